/* SPDX-License-Identifier: MIT */
/* cmio tests — shared TCP helpers for test_tcp_listener.c and test_tcp_stream.c (header-only,
 * static inline). Include after test_util.h.
 *
 * Every wait here is an event wait with a bounded timeout (TEST_WAIT_MS): either a cmio poll on
 * a private poll instance, or poll(2) on the raw fd when the socket must not be registered
 * (poll(2) does not consume epoll's edge-triggered readiness, so it cannot hide an event from a
 * cmio poll the test is watching).
 */
#ifndef CMIO_TCP_UTIL_H
#define CMIO_TCP_UTIL_H

#include <cmio/cmio.h>

#include <string.h>

#include "test_util.h"

#ifndef _WIN32
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

/* Token helpers use distinct values so a wrong token cannot match by accident. */
#define TCP_TOK_LISTENER ((cmio_token)0x1100)
#define TCP_TOK_CLIENT ((cmio_token)0x2200)
#define TCP_TOK_SERVER ((cmio_token)0x3300)

/* true when this kernel can create IPv6 sockets at all (the only reason to skip IPv6 tests). */
static inline bool tcp_ipv6_supported(void)
{
    test_sock fd = test_raw_socket(AF_INET6, SOCK_STREAM);
    if (fd == TEST_NO_SOCK)
        return false;
    test_sock_close(fd);
    return true;
}

/* Binds a listener on the loopback address of `family`, port 0; *bound gets the real address. */
static inline void tcp_listen(cmio_tcp_listener *listener, int family, cmio_sockaddr *bound)
{
    cmio_sockaddr addr;
    test_loopback(&addr, family, 0);
    assert_int_equal(cmio_tcp_listener_bind(listener, &addr), 0);
    assert_int_equal(cmio_tcp_listener_local_addr(listener, bound), 0);
    assert_int_equal(cmio_sockaddr_family(bound), family);
    assert_int_not_equal(cmio_sockaddr_port(bound), 0);
}

/* An address nobody listens on: a listener is bound on port 0, its port read and the listener
 * closed again. Nothing else in this process binds, so the port stays free for the test. */
static inline void tcp_closed_port(cmio_sockaddr *out, int family)
{
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    tcp_listen(&l, family, out);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
}

/* Waits on a cmio poll for an event with `token`; fails the test after TEST_WAIT_MS. Events for
 * other tokens are dropped: use it only when no other registered source matters. */
static inline const cmio_event *tcp_wait_token(cmio_poll *poll, cmio_events *events,
                                               cmio_token token)
{
    const cmio_event *e = test_poll_for_token(poll, events, token, TEST_WAIT_MS);
    if (e == NULL)
        fail_msg("no event with token %#llx within %d ms", (unsigned long long)token, TEST_WAIT_MS);
    return e;
}

/* One non-blocking poll: asserts that no event carries `token`. */
static inline void tcp_assert_no_event(cmio_poll *poll, cmio_events *events, cmio_token token)
{
    test_poll_now(poll, events);
    if (test_find_token(events, token) != NULL)
        fail_msg("unexpected event with token %#llx", (unsigned long long)token);
}

/* Connects a new stream to `listener` (bound to `addr`, not registered anywhere) and accepts
 * it, both driven by events of a private poll: *client is connected (writable, take_error 0),
 * *server is the accepted end, *peer (may be NULL) the address accept reported. Neither stream
 * is registered on return. */
static inline void tcp_pair_with(cmio_tcp_listener *listener, const cmio_sockaddr *addr,
                                 cmio_tcp_stream *client, cmio_tcp_stream *server,
                                 cmio_sockaddr *peer)
{
    cmio_poll *poll;
    cmio_events *events;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    cmio_registry *reg = cmio_poll_registry(poll);

    assert_int_equal(
        cmio_tcp_listener_register(listener, reg, TCP_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_tcp_stream_connect(client, addr), 0);
    assert_int_equal(cmio_tcp_stream_register(client, reg, TCP_TOK_CLIENT, CMIO_INTEREST_WRITABLE),
                     0);

    /* Both events may come in one poll or in several; wait for each one. */
    bool accepted = false, connected = false;
    int64_t deadline = test_deadline();
    while (!accepted || !connected) {
        if (test_poll_until(poll, events, deadline) == -ETIMEDOUT)
            fail_msg("tcp_pair_with: accepted=%d connected=%d after %d ms", accepted, connected,
                     TEST_WAIT_MS);
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            if (cmio_event_token(e) == TCP_TOK_LISTENER && !accepted) {
                int r = cmio_tcp_listener_accept(listener, server, peer);
                if (r == 0)
                    accepted = true;
                else
                    assert_int_equal(r, -EAGAIN);
            } else if (cmio_event_token(e) == TCP_TOK_CLIENT && cmio_event_is_writable(e)) {
                int err = 1;
                assert_int_equal(cmio_tcp_stream_take_error(client, &err), 0);
                assert_int_equal(err, 0);
                connected = true;
            }
        }
    }
    assert_int_equal(cmio_tcp_listener_deregister(listener, reg), 0);
    assert_int_equal(cmio_tcp_stream_deregister(client, reg), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

/* A connected pair over loopback of `family`, through a listener that is closed again. */
static inline void tcp_pair(int family, cmio_tcp_stream *client, cmio_tcp_stream *server)
{
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    tcp_listen(&l, family, &addr);
    tcp_pair_with(&l, &addr, client, server, NULL);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
}

/* Writes all of buf, waiting for POLLOUT (bounded) whenever the stream would block. */
static inline void tcp_write_all(cmio_tcp_stream *s, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = cmio_tcp_stream_write(s, p, len);
        if (n == -EAGAIN) {
            if (!(test_fd_wait(TEST_HANDLE(tcp_stream, s), POLLOUT) & POLLOUT))
                fail_msg("tcp_write_all: not writable within %d ms", TEST_WAIT_MS);
            continue;
        }
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Reads exactly len bytes, waiting for POLLIN (bounded) whenever the stream would block. Fails
 * on end of stream. */
static inline void tcp_read_exact(cmio_tcp_stream *s, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = cmio_tcp_stream_read(s, p, len);
        if (n == -EAGAIN) {
            if (test_fd_wait(TEST_HANDLE(tcp_stream, s), POLLIN) == 0)
                fail_msg("tcp_read_exact: not readable within %d ms", TEST_WAIT_MS);
            continue;
        }
        if (n == 0)
            fail_msg("tcp_read_exact: end of stream with %zu bytes missing", len);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Reads until end of stream (bounded): returns the number of bytes that came before it. */
static inline size_t tcp_read_to_eof(cmio_tcp_stream *s)
{
    char buf[4096];
    size_t total = 0;
    for (;;) {
        ssize_t n = cmio_tcp_stream_read(s, buf, sizeof buf);
        if (n == 0)
            return total;
        if (n == -EAGAIN) {
            if (test_fd_wait(TEST_HANDLE(tcp_stream, s), POLLIN) == 0)
                fail_msg("tcp_read_to_eof: no end of stream within %d ms", TEST_WAIT_MS);
            continue;
        }
        assert_true(n > 0);
        total += (size_t)n;
    }
}

#ifndef _WIN32 /* Windows: tests/win/test_win.h */
/* O_NONBLOCK / FD_CLOEXEC of an fd. */
static inline bool tcp_fd_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    assert_true(fl >= 0);
    return (fl & O_NONBLOCK) != 0;
}

static inline bool tcp_fd_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    assert_true(fl >= 0);
    return (fl & FD_CLOEXEC) != 0;
}

#endif

/* Makes the peer of `s` reset the connection: SO_LINGER {1, 0} then close sends an RST. */
static inline void tcp_close_with_reset(cmio_tcp_stream *s)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(
        setsockopt(TEST_HANDLE(tcp_stream, s), SOL_SOCKET, SO_LINGER, (const void *)&lg, sizeof lg),
        0);
    assert_int_equal(cmio_tcp_stream_close(s), 0);
}

/* A write to a connection the peer reset or closed, once that is known: -EPIPE. Winsock keeps
 * reporting the reset itself on every later send, -ECONNRESET, which the API allows too ("-EPIPE
 * (or -ECONNRESET)"). */
static inline void tcp_assert_dead_write(ssize_t r)
{
#ifdef _WIN32
    if (r != -EPIPE && r != -ECONNRESET)
        fail_msg("write to a dead connection: %zd, not -EPIPE or -ECONNRESET", r);
#else
    assert_int_equal(r, -EPIPE);
#endif
}

/* A group setup that arms the whole-binary watchdog (a hang fails instead of blocking CI). */
static inline int tcp_group_setup(void **state)
{
    (void)state;
    test_alarm(TEST_WATCHDOG_S);
    return 0;
}

static inline int tcp_group_teardown(void **state)
{
    (void)state;
    test_alarm(0);
    return 0;
}

#endif /* CMIO_TCP_UTIL_H */
