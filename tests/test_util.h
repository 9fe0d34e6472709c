/* SPDX-License-Identifier: MIT */
/* cmio tests — small shared helpers (header-only, static inline). Include after the system
 * headers a test needs; this header brings in cmocka itself. */
#ifndef CMIO_TEST_UTIL_H
#define CMIO_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cmio/addr.h>
#include <cmio/poll.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Upper bound for anything a test waits for; generous so slow runs (valgrind) pass. */
#define TEST_WAIT_MS 5000
/* Whole-binary watchdog: a hang (e.g. a timeout ignored) kills the test run with SIGALRM. */
#define TEST_WATCHDOG_S 120

#ifdef _WIN32
/* Windows (Winsock, run under Wine): the OS helpers below, over SOCKETs. */
#include "win/test_win.h"
#else
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/* A raw socket of the tests (an fd here, a SOCKET on Windows), and the accessor of a socket
 * struct's handle: TEST_HANDLE(tcp_stream, &s) is cmio_tcp_stream_as_fd(&s). */
typedef int test_sock;
#define TEST_NO_SOCK (-1)
#define TEST_HANDLE(kind, obj) cmio_##kind##_as_fd(obj)
/* The other handle operations, and what as_fd/into_fd return for an empty struct and for NULL
 * (Windows: INVALID_SOCKET for both). */
#define TEST_FROM_HANDLE(kind, obj, h) cmio_##kind##_from_fd(obj, h)
#define TEST_INTO_HANDLE(kind, obj) cmio_##kind##_into_fd(obj)
#define TEST_EMPTY_HANDLE (-EBADF)
#define TEST_NULL_HANDLE (-EINVAL)
#define TEST_VALID_HANDLE(h) ((h) >= 0)
#define test_sock_close close
#define test_alarm alarm

/* The errno of the raw socket call that just failed. */
static inline int test_sock_errno(void)
{
    return errno;
}

static inline bool test_under_wine(void)
{
    return false;
}

static inline void test_sock_set_nonblock(test_sock s)
{
    assert_int_equal(fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK), 0);
}

static inline void test_sock_set_blocking(test_sock s)
{
    assert_int_equal(fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK), 0);
}

/* recv(2) on a raw socket: the count, or -1 with test_sock_errno() set. */
static inline ssize_t test_sock_recv(test_sock s, void *buf, size_t len)
{
    return recv(s, buf, len, 0);
}

/* The pending error of a raw socket (SO_ERROR) as a positive errno, 0 for none. */
static inline int test_so_error(test_sock s)
{
    int err = -1;
    socklen_t len = sizeof err;
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    return err;
}

/* Raw registrations (mio's SourceFd; a SOCKET on Windows). */
#define test_register_sock cmio_registry_register_fd
#define test_reregister_sock cmio_registry_reregister_fd
#define test_deregister_sock cmio_registry_deregister_fd

static inline int64_t test_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}
#endif

/* The fixture most suites share: a poll, its registry and room for 64 events. Use with
 * cmocka_unit_test_setup_teardown(fn, test_fixture_setup, test_fixture_teardown). */
struct test_fixture {
    cmio_poll *poll;
    cmio_registry *reg;
    cmio_events *events;
};

static inline int test_fixture_setup(void **state)
{
    struct test_fixture *f = (struct test_fixture *)calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(cmio_poll_new(&f->poll), 0);
    f->reg = cmio_poll_registry(f->poll);
    assert_int_equal(cmio_events_new(&f->events, 64), 0);
    *state = f;
    return 0;
}

static inline int test_fixture_teardown(void **state)
{
    struct test_fixture *f = (struct test_fixture *)*state;
    cmio_events_free(f->events);
    cmio_poll_free(f->poll);
    free(f);
    return 0;
}

/* Polls without blocking; returns the event count (asserts it is not an error). */
static inline int test_poll_now(cmio_poll *poll, cmio_events *events)
{
    const struct timespec zero = {0, 0};
    int n = cmio_poll_poll(poll, events, &zero);
    assert_true(n >= 0);
    assert_int_equal((size_t)n, cmio_events_len(events));
    return n;
}

/* Finds the event carrying token in the last poll's events, or NULL. */
static inline const cmio_event *test_find_token(const cmio_events *events, cmio_token token)
{
    for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
        if (cmio_event_token(e) == token)
            return e;
    }
    return NULL;
}

/* 127.0.0.1:port or [::1]:port. */
static inline void test_loopback(cmio_sockaddr *out, int family, uint16_t port)
{
    static const uint8_t v4[4] = {127, 0, 0, 1};
    static const uint8_t v6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (family == AF_INET6)
        assert_int_equal(cmio_sockaddr_ipv6(out, v6, port), 0);
    else
        assert_int_equal(cmio_sockaddr_ipv4(out, v4, port), 0);
}

/* A deadline TEST_WAIT_MS from now, on test_now_ns()'s clock. */
static inline int64_t test_deadline(void)
{
    return test_now_ns() + (int64_t)TEST_WAIT_MS * 1000000;
}

/* One wait for events, bounded by `deadline` (test_now_ns() clock); -EINTR is retried, any other
 * error fails the test. Returns the event count (0: the wait reached the deadline), or -ETIMEDOUT
 * when the deadline has already passed — the caller then fails saying what it waited for. */
static inline int test_poll_until(cmio_poll *poll, cmio_events *events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - test_now_ns();
        if (left <= 0)
            return -ETIMEDOUT;
        struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
        int n = cmio_poll_poll(poll, events, &ts);
        if (n != -EINTR) {
            assert_true(n >= 0);
            return n;
        }
    }
}

/* take_error cleared the error it returned (`first`): the next call gave `again`, which must be 0
 * — except under Wine, whose SO_ERROR is not cleared when it is read (a known Wine difference; the
 * test then asserts Wine's behaviour and says so). */
static inline void test_assert_error_cleared(int again, int first)
{
    if (test_under_wine()) {
        print_message("under Wine: SO_ERROR is not cleared when read (Windows clears it)\n");
        assert_int_equal(again, first);
    } else {
        assert_int_equal(again, 0);
    }
}

/* Polls for events a test expects to be ready now; returns the count. On Unix readiness is
 * synchronous: this is test_poll_now. On Windows an AFD poll completes when the network stack
 * (Wine's server) has seen the peer's action, a moment later: the first events within
 * TEST_WAIT_MS (0 when none came). */
static inline int test_poll_ready(cmio_poll *poll, cmio_events *events)
{
    int n = test_poll_now(poll, events);
#ifdef _WIN32
    if (n == 0) {
        n = test_poll_until(poll, events, test_deadline());
        if (n == -ETIMEDOUT)
            n = 0;
    }
#endif
    return n;
}

/* Polls (retrying on -EINTR) until an event with token shows up or timeout_ms passes. Returns
 * the event (valid until the next poll with events) or NULL. Other events are dropped. */
static inline const cmio_event *test_poll_for_token(cmio_poll *poll, cmio_events *events,
                                                    cmio_token token, int timeout_ms)
{
    int64_t deadline = test_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int64_t left = deadline - test_now_ns();
        if (left < 0)
            left = 0;
        struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
        int n = cmio_poll_poll(poll, events, &ts);
        if (n == -EINTR)
            continue;
        assert_true(n >= 0);
        const cmio_event *e = test_find_token(events, token);
        if (e != NULL)
            return e;
        if (left == 0)
            return NULL;
    }
}

/* This run's backend is `name` ("epoll", "poll", "kqueue", "afd"). */
static inline bool test_backend_is(const char *name)
{
    return strcmp(cmio_backend_name(), name) == 0;
}

/* The readiness of one token, OR-ed over all its events in one poll. On kqueue a socket's read
 * and write filters are two events with the same token (mio's kqueue selector); on epoll, poll(2)
 * and afd one event carries it all. */
struct test_readiness {
    int events; /* how many events had the token */
    bool readable, writable, error, read_closed, write_closed, priority;
};

static inline struct test_readiness test_token_readiness(const cmio_events *events,
                                                         cmio_token token)
{
    struct test_readiness r = {0, false, false, false, false, false, false};
    for (size_t i = 0; i < cmio_events_len(events); i++) {
        const cmio_event *e = cmio_events_get(events, i);
        if (cmio_event_token(e) != token)
            continue;
        r.events++;
        r.readable |= cmio_event_is_readable(e);
        r.writable |= cmio_event_is_writable(e);
        r.error |= cmio_event_is_error(e);
        r.read_closed |= cmio_event_is_read_closed(e);
        r.write_closed |= cmio_event_is_write_closed(e);
        r.priority |= cmio_event_is_priority(e);
    }
    return r;
}

/* The kqueue backend runs on libkqueue (the Linux kqueue row, built with CMIO_LIBKQUEUE), not
 * on a kernel kqueue. */
static inline bool test_on_libkqueue(void)
{
#ifdef CMIO_LIBKQUEUE
    return test_backend_is("kqueue");
#else
    return false;
#endif
}

/* Skips the calling test, with the reason printed, on the libkqueue row when what it checks is
 * something libkqueue does differently from a kernel kqueue — each use names the difference. */
#define TEST_SKIP_LIBKQUEUE(why)                                                                   \
    do {                                                                                           \
        if (test_on_libkqueue()) {                                                                 \
            print_message("skipped on libkqueue: %s\n", why);                                      \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* libkqueue's kqueue() opens fds of its own (an epoll fd, a close-detection pipe, per-filter
 * eventfds; a monitoring thread's on first use): fd counts around a poll's life are not a
 * kernel kqueue's there. */
#define TEST_LIBKQUEUE_FDS                                                                         \
    "libkqueue's kqueue() opens several fds of its own (epoll, close-detection pipe, per-filter "  \
    "eventfds), where a kernel kqueue is one fd"

/* What take_error returns after an event reported the socket's error `err` (negative errno):
 * err, except on libkqueue, which reads the error with getsockopt(SO_ERROR) to fill the event's
 * fflags and so clears it (a kernel kqueue, epoll and poll(2) leave it pending). */
static inline int test_pending_error(int err)
{
    return test_on_libkqueue() ? 0 : err;
}

/* The fds a poll instance holds: 1 for epoll and kqueue, 2 for poll(2) (its notification pipe)
 * and for io_uring (the ring and the eventfd that wakes a waiting thread after a registration), 1
 * for afd (its completion port; AFD helper handles come with registrations and stay until the
 * poll is freed). */
static inline int test_poll_fds(void)
{
    const char *b = cmio_backend_name();
    return strcmp(b, "poll") == 0 || strcmp(b, "uring") == 0 ? 2 : 1;
}

/* The handles a backend holds for `registered` registered sockets: none on epoll, poll(2) and
 * kqueue; on afd one AFD helper handle per 32 sockets, opened on demand and kept until the poll is
 * freed. */
static inline int test_backend_fds(int registered)
{
    return strcmp(cmio_backend_name(), "afd") == 0 ? (registered + 31) / 32 : 0;
}

/* The fds a waker holds: 1 for an eventfd, 2 for a pipe, none for iocp (it posts to the port) and
 * for kqueue's EVFILT_USER (but libkqueue makes each EVFILT_USER event an eventfd of its own,
 * closed when it is deleted). */
static inline int test_waker_fds(void)
{
    if (strcmp(cmio_waker_name(), "iocp") == 0)
        return 0;
    if (strcmp(cmio_waker_name(), "kqueue") == 0)
        return test_on_libkqueue() ? 1 : 0;
    return strcmp(cmio_waker_name(), "pipe") == 0 ? 2 : 1;
}

/* The backend this run should use: $CMIO_BACKEND, else the platform table's default. */
static inline const char *test_expected_backend(void)
{
    const char *b = getenv("CMIO_BACKEND");
    return b != NULL && *b != '\0' ? b : CMIO_DEFAULT_BACKEND;
}

/* Skips the calling test, with the reason printed, when the suite runs under an emulator whose
 * command (CMIO_RUNNER, set by tests/run.sh for the cross rows, and to "valgrind" under
 * valgrind) contains `emu` ("qemu", "qemu-i386", "valgrind") and the behaviour tested is one that
 * emulator gets wrong — each use names the bug.
 */
#define TEST_SKIP_UNDER(emu, why)                                                                  \
    do {                                                                                           \
        const char *runner_ = getenv("CMIO_RUNNER");                                               \
        if (runner_ != NULL && strstr(runner_, emu) != NULL) {                                     \
            print_message("skipped under %s: %s\n", runner_, why);                                 \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

#ifndef _WIN32
/* Waits with poll(2) until fd reports any of `what` (POLLIN, POLLOUT, …). Returns revents, or 0
 * when TEST_WAIT_MS passed. */
static inline short test_fd_wait(int fd, short what)
{
    int64_t deadline = test_now_ns() + (int64_t)TEST_WAIT_MS * 1000000;
    for (;;) {
        int64_t left_ms = (deadline - test_now_ns()) / 1000000;
        struct pollfd p = {.fd = fd, .events = what, .revents = 0};
        int n = poll(&p, 1, left_ms > 0 ? (int)left_ms : 0);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n > 0)
            return p.revents;
        if (left_ms <= 0)
            return 0;
    }
}

/* Waits (bounded) until a raw socket has a pending error (POLLERR); true when it came. */
static inline bool test_wait_sock_error(test_sock s)
{
    return (test_fd_wait(s, POLLERR) & POLLERR) != 0;
}

#ifdef CMIO_LIBKQUEUE
/* libkqueue frees a closed kqueue's own fds from its monitoring thread, a little later; this
 * waits for that, so that fd counts are exact. Exported by libkqueue (2.7) but not declared in
 * its header; weak, so that a libkqueue without it still links (counts may then be early). */
extern void libkqueue_drain_pending_close(void) __attribute__((weak));

/* LeakSanitizer (SANITIZE=1): libkqueue keeps the state of an fd that is closed while registered
 * (its BUGS.md; a kernel kqueue drops the knotes at close), which some tests do, legally for a
 * kernel kqueue and for epoll; it may then lose it. Its allocations are not checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libkqueue.so\n";
}
#endif

/* Number of open file descriptors of this process. */
static inline int test_count_open_fds(void)
{
#ifdef CMIO_LIBKQUEUE
    if (libkqueue_drain_pending_close != NULL)
        libkqueue_drain_pending_close();
#endif
    DIR *dir = opendir("/proc/self/fd"); /* Linux; /dev/fd elsewhere (macOS, BSD fdescfs) */
    if (dir == NULL)
        dir = opendir("/dev/fd");
    int n = 0;
    assert_non_null(dir);
    while (readdir(dir) != NULL)
        n++;
    closedir(dir);
    return n - 3; /* ".", ".." and the directory's own fd */
}

/* Asserts that the process has `before` fds open again — except on libkqueue, whose kqueue()
 * keeps fds of its own (TEST_LIBKQUEUE_FDS): there it says so and checks nothing, so that the
 * rest of a test (a stress run, say) still runs on that row. */
#define TEST_ASSERT_FDS_BACK_TO(before)                                                            \
    do {                                                                                           \
        if (test_on_libkqueue())                                                                   \
            print_message("fd count not checked on libkqueue: %s\n", TEST_LIBKQUEUE_FDS);          \
        else                                                                                       \
            assert_int_equal(test_count_open_fds(), (before));                                     \
    } while (0)

static inline bool test_fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* Portable stand-ins for what Linux has and macOS lacks: the SOCK_NONBLOCK / SOCK_CLOEXEC type
 * flags (the tests write TEST_SOCK_*), accept4 and pipe2. Where the flags are missing they are
 * bits of our own, applied with fcntl after the call. */
#ifdef SOCK_CLOEXEC
#define TEST_SOCK_NONBLOCK SOCK_NONBLOCK
#define TEST_SOCK_CLOEXEC SOCK_CLOEXEC
#else
#define TEST_SOCK_NONBLOCK 0x20000000
#define TEST_SOCK_CLOEXEC 0x10000000
#endif

/* Applies TEST_SOCK_* (or O_NONBLOCK / O_CLOEXEC when `o_flags`) to fd with fcntl. */
static inline int test_fd_apply(int fd, int flags, bool o_flags)
{
    if (fd < 0)
        return fd;
    if (flags & (o_flags ? O_NONBLOCK : TEST_SOCK_NONBLOCK))
        assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    if (flags & (o_flags ? O_CLOEXEC : TEST_SOCK_CLOEXEC))
        assert_int_equal(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
    return fd;
}

static inline int test_socket(int domain, int type, int protocol)
{
#ifdef SOCK_CLOEXEC
    return socket(domain, type, protocol);
#else
    int fd = socket(domain, type & ~(TEST_SOCK_NONBLOCK | TEST_SOCK_CLOEXEC), protocol);
    return test_fd_apply(fd, type, false);
#endif
}

/* A raw socket for tests that make their own (blocking, close-on-exec). */
static inline test_sock test_raw_socket(int family, int type)
{
    return test_socket(family, type | TEST_SOCK_CLOEXEC, 0);
}

static inline int test_socketpair_of(int domain, int type, int protocol, int sv[2])
{
#ifdef SOCK_CLOEXEC
    return socketpair(domain, type, protocol, sv);
#else
    if (socketpair(domain, type & ~(TEST_SOCK_NONBLOCK | TEST_SOCK_CLOEXEC), protocol, sv) < 0)
        return -1;
    test_fd_apply(sv[0], type, false);
    test_fd_apply(sv[1], type, false);
    return 0;
#endif
}

static inline int test_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
#ifdef SOCK_CLOEXEC
    return accept4(fd, sa, len, flags);
#else
    return test_fd_apply(accept(fd, sa, len), flags, false);
#endif
}

/* pipe2(p, O_NONBLOCK | O_CLOEXEC flags) */
static inline int test_pipe2(int p[2], int flags)
{
#ifdef SOCK_CLOEXEC
    return pipe2(p, flags);
#else
    if (pipe(p) < 0)
        return -1;
    test_fd_apply(p[0], flags, true);
    test_fd_apply(p[1], flags, true);
    return 0;
#endif
}

/* A non-blocking AF_UNIX stream socket pair. */
static inline void test_socketpair(int sv[2])
{
    assert_int_equal(
        test_socketpair_of(AF_UNIX, SOCK_STREAM | TEST_SOCK_NONBLOCK | TEST_SOCK_CLOEXEC, 0, sv),
        0);
}

static inline void test_write_byte(int fd)
{
    assert_int_equal(write(fd, "x", 1), 1);
}

/* Reads until -EAGAIN; returns the number of bytes read. */
static inline size_t test_drain(int fd)
{
    char buf[4096];
    size_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += (size_t)n;
    assert_int_equal(n, -1);
    assert_int_equal(errno, EAGAIN);
    return total;
}
#endif /* !_WIN32 */

#endif /* CMIO_TEST_UTIL_H */
