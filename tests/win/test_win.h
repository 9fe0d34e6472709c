/* SPDX-License-Identifier: MIT */
/* cmio tests — the OS helpers of tests/test_util.h for Windows (Winsock; run under Wine): the same
 * names as the POSIX ones there, over a socket handle (test_sock) instead of an fd. Included by
 * test_util.h; not on its own. */
#ifndef CMIO_TEST_WIN_H
#define CMIO_TEST_WIN_H

#include <winsock2.h>
#include <ws2tcpip.h>

#include <windows.h>
#include <winternl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A raw socket of the tests, and what a socket struct's handle accessor is called. */
typedef SOCKET test_sock;
#define TEST_NO_SOCK INVALID_SOCKET
#define TEST_HANDLE(kind, obj) cmio_##kind##_as_socket(obj)
#define TEST_FROM_HANDLE(kind, obj, h) cmio_##kind##_from_socket(obj, h)
#define TEST_INTO_HANDLE(kind, obj) cmio_##kind##_into_socket(obj)
#define TEST_EMPTY_HANDLE INVALID_SOCKET
#define TEST_NULL_HANDLE INVALID_SOCKET
#define TEST_VALID_HANDLE(h) ((h) != INVALID_SOCKET)

/* runtime/win/error_map.c: the errno of a Winsock code (the tests link the static library). */
int cmio__win_errno(unsigned long code);

/* The errno of the raw socket call that just failed, as cmio would return it (positive). */
static inline int test_sock_errno(void)
{
    return cmio__win_errno((unsigned long)WSAGetLastError());
}

/* A raw socket for tests that make their own (blocking, not inherited); INVALID_SOCKET on failure
 * (Winsock started first: the tests may make one before cmio does). */
static inline test_sock test_raw_socket(int family, int type)
{
    WSADATA data;
    if (WSAStartup(MAKEWORD(2, 2), &data) != 0)
        return INVALID_SOCKET;
    return WSASocketW(family, type, 0, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
}

static inline int test_sock_close(test_sock s)
{
    return closesocket(s) == SOCKET_ERROR ? -1 : 0;
}

/* Closes s so that its peer sees the connection reset (SO_LINGER {1, 0}: an RST, no FIN). */
static inline void test_sock_reset(test_sock s)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof lg), 0);
    assert_int_equal(closesocket(s), 0);
}

static inline void test_sock_set_nonblock(test_sock s)
{
    u_long on = 1;
    assert_int_equal(ioctlsocket(s, FIONBIO, &on), 0);
}

static inline void test_sock_set_blocking(test_sock s)
{
    u_long off = 0;
    assert_int_equal(ioctlsocket(s, FIONBIO, &off), 0);
}

static inline ssize_t test_sock_recv(test_sock s, void *buf, size_t len)
{
    int n = recv(s, (char *)buf, (int)len, 0);
    return n == SOCKET_ERROR ? -1 : n;
}

/* The pending error of a raw socket (SO_ERROR holds a Winsock code) as a positive errno, 0 for
 * none. */
static inline int test_so_error(test_sock s)
{
    int err = -1;
    int len = sizeof err;
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len), 0);
    return err == 0 ? 0 : cmio__win_errno((unsigned long)err);
}

/* Raw registrations: a SOCKET (the fd calls do not exist here). */
#define test_register_sock cmio_registry_register_socket
#define test_reregister_sock cmio_registry_reregister_socket
#define test_deregister_sock cmio_registry_deregister_socket

/* POSIX names of shutdown's `how`. */
#ifndef SHUT_RDWR
#define SHUT_RD SD_RECEIVE
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH
#endif

/* true when the suite runs under Wine (ntdll exports wine_get_version): the known differences
 * from Windows are asserted as Wine's behaviour only there, and say so. */
static inline bool test_under_wine(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

static inline int64_t test_now_ns(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return c.QuadPart / f.QuadPart * 1000000000 + c.QuadPart % f.QuadPart * 1000000000 / f.QuadPart;
}

static inline void test_sleep_ms(long ms)
{
    Sleep((DWORD)ms);
}

/* The watchdog of the POSIX suites (alarm): a timer that ends the process when it fires. */
static VOID CALLBACK test_watchdog_fired(PVOID param, BOOLEAN fired)
{
    (void)param;
    (void)fired;
    fprintf(stderr, "test watchdog: the suite hung; exiting\n");
    fflush(stderr);
    TerminateProcess(GetCurrentProcess(), 124);
}

static inline void test_alarm(unsigned seconds)
{
    static HANDLE timer;
    /* Every suite arms the watchdog first: make the output unbuffered then, so that it is all
     * there (and in order with cmocka's stderr) even when the watchdog ends the process. */
    static bool unbuffered;
    if (!unbuffered) {
        setvbuf(stdout, NULL, _IONBF, 0);
        unbuffered = true;
    }
    if (timer != NULL) {
        (void)DeleteTimerQueueTimer(NULL, timer, NULL);
        timer = NULL;
    }
    if (seconds > 0)
        (void)CreateTimerQueueTimer(&timer, NULL, test_watchdog_fired, NULL, seconds * 1000u, 0,
                                    WT_EXECUTEONLYONCE);
}

/* Waits (bounded) until a raw socket has a pending error: WSAPoll does not report one from an
 * ICMP message (Wine), so SO_ERROR itself is watched (reading it does not clear it under Wine). */
static inline bool test_wait_sock_error(test_sock s)
{
    int64_t deadline = test_now_ns() + (int64_t)TEST_WAIT_MS * 1000000;
    while (test_so_error(s) == 0) {
        if (test_now_ns() > deadline)
            return false;
        Sleep(1);
    }
    return true;
}

/* One WSAPoll of s for `what`, at most ms milliseconds: revents, 0 when nothing came. */
static inline short test_fd_wait_ms(test_sock s, short what, int ms)
{
    WSAPOLLFD p = {.fd = s, .events = what, .revents = 0};
    int n = WSAPoll(&p, 1, ms);
    assert_true(n >= 0);
    return n > 0 ? p.revents : 0;
}

/* Waits with WSAPoll until s reports any of `what` (POLLIN, POLLOUT). Returns revents, or 0 when
 * TEST_WAIT_MS passed. */
static inline short test_fd_wait(test_sock s, short what)
{
    int64_t deadline = test_now_ns() + (int64_t)TEST_WAIT_MS * 1000000;
    for (;;) {
        int64_t left_ms = (deadline - test_now_ns()) / 1000000;
        /* WSAPoll refuses the output-only bits (POLLERR, POLLHUP) in events: they come anyway. */
        short events = (short)(what & (POLLIN | POLLOUT));
        WSAPOLLFD p = {.fd = s, .events = events != 0 ? events : POLLIN, .revents = 0};
        int n = WSAPoll(&p, 1, left_ms > 0 ? (int)left_ms : 0);
        assert_true(n >= 0);
        /* A closed connection is POLLHUP alone here; poll(2) also says POLLIN (a read returns
         * at once, 0). */
        if (n > 0 && (p.revents & POLLHUP) != 0 && (what & POLLIN) != 0)
            p.revents |= POLLIN;
        if (n > 0)
            return p.revents;
        if (left_ms <= 0)
            return 0;
    }
}

/* The handles this process holds (Windows has no fd table: NtQuerySystemInformation's handle list,
 * which Wine implements too, counted for this process). */
static inline int test_count_open_fds(void)
{
    typedef struct {
        ULONG pid;
        UCHAR type, flags;
        USHORT handle;
        PVOID object;
        ACCESS_MASK access;
    } entry;
    typedef struct {
        ULONG count;
        entry h[1];
    } table;
    typedef NTSTATUS(NTAPI * query_fn)(ULONG, PVOID, ULONG, PULONG);
    query_fn query = (query_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                              "NtQuerySystemInformation");
    assert_non_null(query);
    for (ULONG size = 1 << 16;; size *= 2) {
        table *t = malloc(size);
        assert_non_null(t);
        ULONG got = 0;
        NTSTATUS st = query(16 /* SystemHandleInformation */, t, size, &got);
        if (st == (NTSTATUS)0xC0000004L /* STATUS_INFO_LENGTH_MISMATCH */) {
            free(t);
            continue;
        }
        assert_int_equal(st, 0);
        int n = 0;
        for (ULONG i = 0; i < t->count; i++)
            n += t->h[i].pid == GetCurrentProcessId();
        free(t);
        return n;
    }
}

/* A socket is not inherited by child processes (Windows' close-on-exec). */
static inline bool tcp_fd_cloexec(test_sock s)
{
    DWORD flags = 0;
    assert_true(GetHandleInformation((HANDLE)s, &flags));
    return (flags & HANDLE_FLAG_INHERIT) == 0;
}

/* Winsock cannot read FIONBIO back: a socket with nothing to read (or accept) is non-blocking
 * when recv (MSG_PEEK) or accept says WSAEWOULDBLOCK at once instead of waiting. */
static inline bool tcp_fd_nonblocking(test_sock s)
{
    WSAPOLLFD p = {.fd = s, .events = POLLIN, .revents = 0};
    assert_int_equal(WSAPoll(&p, 1, 0), 0); /* nothing pending, or this could not tell */
    int listening = 0, len = sizeof listening;
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, (char *)&listening, &len), 0);
    char c;
    if (listening ? accept(s, NULL, NULL) != INVALID_SOCKET : recv(s, &c, 1, MSG_PEEK) >= 0)
        fail_msg("tcp_fd_nonblocking: the call succeeded with nothing pending");
    return WSAGetLastError() == WSAEWOULDBLOCK;
}

static inline bool test_fd_is_open(test_sock s)
{
    DWORD flags;
    return GetHandleInformation((HANDLE)s, &flags) != 0;
}

/* A connected, non-blocking pair of TCP sockets over 127.0.0.1 (Winsock has no socketpair). */
static inline void test_socketpair(test_sock sv[2])
{
    WSADATA data;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &data), 0);
    test_sock l = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(l != INVALID_SOCKET);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int alen = sizeof(a);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
    sv[0] = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
    assert_true(sv[0] != INVALID_SOCKET);
    assert_int_equal(connect(sv[0], (struct sockaddr *)&a, sizeof(a)), 0);
    sv[1] = accept(l, NULL, NULL);
    assert_true(sv[1] != INVALID_SOCKET);
    closesocket(l);
    u_long on = 1;
    assert_int_equal(ioctlsocket(sv[0], FIONBIO, &on), 0);
    assert_int_equal(ioctlsocket(sv[1], FIONBIO, &on), 0);
    int one = 1;
    setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
    setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
}

static inline void test_write_byte(test_sock s)
{
    assert_int_equal(send(s, "x", 1, 0), 1);
}

/* Reads until it would block; returns the number of bytes read. */
static inline size_t test_drain(test_sock s)
{
    char buf[4096];
    size_t total = 0;
    int n;
    while ((n = recv(s, buf, sizeof buf, 0)) > 0)
        total += (size_t)n;
    assert_int_equal(n, SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
    return total;
}

#endif /* CMIO_TEST_WIN_H */
