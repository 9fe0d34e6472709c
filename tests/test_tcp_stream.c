/* SPDX-License-Identifier: MIT */
/* cmio tests — cmio_tcp_stream: connect, echo over IPv4/IPv6 driven by poll events, shutdown,
 * options, peek, vectored I/O, a 64 MiB transfer, resets without SIGPIPE, fd ownership and
 * registration. Everything runs on 127.0.0.1 / ::1 with ephemeral ports; every wait is a
 * bounded event wait. */
#include <cmio/cmio.h>

#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#ifndef _WIN32
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#include "tcp_util.h"

/* One wait for events until deadline; fails, naming `what`, once the deadline has passed. */
static int poll_or_fail(cmio_poll *poll, cmio_events *events, int64_t deadline, const char *what)
{
    int n = test_poll_until(poll, events, deadline);
    if (n == -ETIMEDOUT)
        fail_msg("%s: timed out after %d ms", what, TEST_WAIT_MS);
    return n;
}

/* Fails, naming `what`, once deadline has passed. */
static void check_deadline(int64_t deadline, const char *what)
{
    if (test_now_ns() >= deadline)
        fail_msg("%s: timed out after %d ms", what, TEST_WAIT_MS);
}

/* Byte i of the test streams: position-dependent, so lost, repeated or reordered bytes show. */
static uint8_t pattern_byte(uint64_t i)
{
    return (uint8_t)(((i * 2654435761u) >> 11) ^ (i >> 9));
}

/* ---- echo over IPv4 and IPv6, driven entirely by poll events ----------------------------- */

#define ECHO_TOTAL (256 * 1024 + 17)

struct echo_state {
    cmio_tcp_listener listener;
    cmio_tcp_stream client, server;
    cmio_sockaddr listen_addr;
    bool connected, server_open, server_eof, client_shut, client_eof, saw_read_closed;
    size_t sent, received;
    /* Server side: bytes read but not yet written back. */
    char pending[8192];
    size_t pend_len, pend_off;
    int server_wouldblock;
};

/* Client: write the payload until done or -EAGAIN, then read echoes until -EAGAIN or EOF. */
static void echo_client_pump(struct echo_state *st)
{
    char chunk[3000];
    while (st->connected && st->sent < ECHO_TOTAL) {
        size_t n = ECHO_TOTAL - st->sent;
        if (n > sizeof chunk)
            n = sizeof chunk;
        for (size_t i = 0; i < n; i++)
            chunk[i] = (char)pattern_byte(st->sent + i);
        ssize_t w = cmio_tcp_stream_write(&st->client, chunk, n);
        if (w == -EAGAIN)
            break;
        assert_true(w > 0);
        st->sent += (size_t)w;
    }
    if (st->sent == ECHO_TOTAL && !st->client_shut) {
        assert_int_equal(cmio_tcp_stream_shutdown(&st->client, CMIO_SHUTDOWN_WRITE), 0);
        st->client_shut = true;
    }
    for (;;) {
        char buf[4096];
        ssize_t r = cmio_tcp_stream_read(&st->client, buf, sizeof buf);
        if (r == -EAGAIN)
            break;
        assert_true(r >= 0);
        if (r == 0) {
            st->client_eof = true;
            break;
        }
        for (ssize_t i = 0; i < r; i++) {
            if ((uint8_t)buf[i] != pattern_byte(st->received + (size_t)i))
                fail_msg("echo byte %zu differs", st->received + (size_t)i);
        }
        st->received += (size_t)r;
        assert_true(st->received <= st->sent);
    }
}

/* Server: flush what is pending, read more, echo it; stop at -EAGAIN; close after EOF. */
static void echo_server_pump(struct echo_state *st)
{
    while (st->server_open) {
        if (st->pend_off < st->pend_len) {
            ssize_t w = cmio_tcp_stream_write(&st->server, st->pending + st->pend_off,
                                              st->pend_len - st->pend_off);
            if (w == -EAGAIN) {
                st->server_wouldblock++;
                return; /* a writable event follows */
            }
            assert_true(w > 0);
            st->pend_off += (size_t)w;
            continue;
        }
        st->pend_off = st->pend_len = 0;
        if (st->server_eof) {
            assert_int_equal(cmio_tcp_stream_close(&st->server), 0);
            st->server_open = false;
            return;
        }
        ssize_t r = cmio_tcp_stream_read(&st->server, st->pending, sizeof st->pending);
        if (r == -EAGAIN)
            return; /* a readable event follows */
        assert_true(r >= 0);
        if (r == 0)
            st->server_eof = true;
        st->pend_len = (size_t)r;
    }
}

static void check_echo(int family)
{
    enum { TOK_L = 10, TOK_C = 11, TOK_S = 12 };
    cmio_poll *poll;
    cmio_events *events;
    struct echo_state *st = calloc(1, sizeof *st);
    assert_non_null(st);
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 16), 0);
    cmio_registry *reg = cmio_poll_registry(poll);

    tcp_listen(&st->listener, family, &st->listen_addr);
    assert_int_equal(cmio_tcp_listener_register(&st->listener, reg, TOK_L, CMIO_INTEREST_READABLE),
                     0);
    assert_int_equal(cmio_tcp_stream_connect(&st->client, &st->listen_addr), 0);
    assert_int_equal(cmio_tcp_stream_register(&st->client, reg, TOK_C,
                                              CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE),
                     0);

    int64_t deadline = test_deadline();
    while (!st->client_eof || st->server_open) {
        int n = poll_or_fail(poll, events, deadline, "echo");
        if (n > 0)
            deadline = test_deadline(); /* progress: the bound is per wait */
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            switch (cmio_event_token(e)) {
            case TOK_L:
                assert_true(cmio_event_is_readable(e));
                for (;;) {
                    cmio_tcp_stream s;
                    cmio_sockaddr peer;
                    int r = cmio_tcp_listener_accept(&st->listener, &s, &peer);
                    if (r == -EAGAIN)
                        break;
                    assert_int_equal(r, 0);
                    assert_false(st->server_open); /* exactly one connection */
                    st->server = s;
                    st->server_open = true;
                    assert_int_equal(cmio_sockaddr_family(&peer), family);
                    assert_int_equal(
                        cmio_tcp_stream_register(&st->server, reg, TOK_S,
                                                 CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE),
                        0);
                }
                break;
            case TOK_C:
                if (!st->connected) {
                    /* The first client event says the connect finished. */
                    assert_true(cmio_event_is_writable(e));
                    int err = 1;
                    assert_int_equal(cmio_tcp_stream_take_error(&st->client, &err), 0);
                    assert_int_equal(err, 0);
                    cmio_sockaddr peer;
                    assert_int_equal(cmio_tcp_stream_peer_addr(&st->client, &peer), 0);
                    assert_true(cmio_sockaddr_equal(&peer, &st->listen_addr));
                    st->connected = true;
                }
                if (cmio_event_is_read_closed(e))
                    st->saw_read_closed = true;
                echo_client_pump(st);
                break;
            case TOK_S:
                echo_server_pump(st);
                break;
            default:
                fail_msg("unexpected token %llu", (unsigned long long)cmio_event_token(e));
            }
        }
    }
    assert_int_equal(st->sent, ECHO_TOTAL);
    assert_int_equal(st->received, ECHO_TOTAL);
    /* The end of stream was announced by an event: either one we handled, or (when the pump
     * read the 0 before that event was polled) one still pending, since the FIN came after the
     * last poll that reported the client. */
    if (!st->saw_read_closed) {
        const cmio_event *e = tcp_wait_token(poll, events, TOK_C);
        assert_true(cmio_event_is_read_closed(e));
    }

    assert_int_equal(cmio_tcp_stream_close(&st->client), 0);
    assert_int_equal(cmio_tcp_listener_close(&st->listener), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
    free(st);
}

static void test_echo_v4(void **state)
{
    (void)state;
    check_echo(AF_INET);
}

static void test_echo_v6(void **state)
{
    (void)state;
    if (!tcp_ipv6_supported()) {
        print_message("skipping: socket(AF_INET6) fails on this system: %s\n", strerror(errno));
        skip();
    }
    check_echo(AF_INET6);
}

/* ---- connect ------------------------------------------------------------------------------- */

static void check_connect_refused(int family)
{
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr closed, peer;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_closed_port(&closed, family);

    /* A non-blocking connect returns at once; the refusal comes later, as an event. */
    assert_int_equal(cmio_tcp_stream_connect(&c, &closed), 0);
    assert_int_equal(cmio_tcp_stream_peer_addr(&c, &peer), -ENOTCONN);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_WRITABLE),
                     0);
    const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_CLIENT);
    assert_true(cmio_event_is_writable(e) || cmio_event_is_error(e));

    int err = 0;
    assert_int_equal(cmio_tcp_stream_take_error(&c, &err), 0);
    assert_int_equal(err, test_pending_error(-ECONNREFUSED));
    /* take_error clears it. */
    assert_int_equal(cmio_tcp_stream_take_error(&c, &err), 0);
    test_assert_error_cleared(err, -ECONNREFUSED);
    assert_int_equal(cmio_tcp_stream_peer_addr(&c, &peer), -ENOTCONN);

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

static void test_connect_refused_v4(void **state)
{
    (void)state;
    check_connect_refused(AF_INET);
}

static void test_connect_refused_v6(void **state)
{
    (void)state;
    if (!tcp_ipv6_supported()) {
        print_message("skipping: socket(AF_INET6) fails on this system: %s\n", strerror(errno));
        skip();
    }
    check_connect_refused(AF_INET6);
}

/* A connect that stays in progress, then succeeds. To hold it in progress without timing luck,
 * the listener's accept queue is filled first (listen backlog 0 plus one queued connection): the
 * kernel drops the SYN, so the stream is still connecting (peer_addr -ENOTCONN, no writable
 * event). Accepting the queued connection makes room; the SYN retransmission (about 1 s later)
 * then connects and the writable event arrives. */
static void test_connect_success(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);

    test_sock lfd = test_raw_socket(AF_INET, SOCK_STREAM);
    assert_true(TEST_VALID_HANDLE(lfd));
    cmio_sockaddr addr;
    test_loopback(&addr, AF_INET, 0);
    assert_int_equal(bind(lfd, &addr.u.sa, addr.len), 0);
    assert_int_equal(listen(lfd, 0), 0);
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    assert_int_equal(TEST_FROM_HANDLE(tcp_listener, &l, lfd), 0);
    assert_int_equal(cmio_tcp_listener_local_addr(&l, &addr), 0);

    cmio_tcp_stream filler = CMIO_TCP_STREAM_INIT, c = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_stream_connect(&filler, &addr), 0);
    if (!(test_fd_wait(lfd, POLLIN) & POLLIN))
        fail_msg("the first connection never reached the accept queue");

    cmio_sockaddr peer;
    assert_int_equal(cmio_tcp_stream_connect(&c, &addr), 0);
    assert_int_equal(cmio_tcp_stream_peer_addr(&c, &peer), -ENOTCONN);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_WRITABLE),
                     0);
    tcp_assert_no_event(poll, events, TCP_TOK_CLIENT);
    assert_int_equal(cmio_tcp_stream_peer_addr(&c, &peer), -ENOTCONN);

    cmio_tcp_stream s1 = CMIO_TCP_STREAM_INIT, s2 = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_listener_accept(&l, &s1, NULL), 0);

    const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_CLIENT);
    assert_true(cmio_event_is_writable(e));
    assert_false(cmio_event_is_error(e));
    int err = 1;
    assert_int_equal(cmio_tcp_stream_take_error(&c, &err), 0);
    assert_int_equal(err, 0);
    assert_int_equal(cmio_tcp_stream_peer_addr(&c, &peer), 0);
    assert_true(cmio_sockaddr_equal(&peer, &addr));

    /* The accepted end sees the client's local address as its peer. */
    cmio_sockaddr client_local, accepted_peer;
    assert_true(test_fd_wait(lfd, POLLIN) & POLLIN);
    assert_int_equal(cmio_tcp_listener_accept(&l, &s2, &accepted_peer), 0);
    assert_int_equal(cmio_tcp_stream_local_addr(&c, &client_local), 0);
    assert_true(cmio_sockaddr_equal(&accepted_peer, &client_local));

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&filler), 0);
    assert_int_equal(cmio_tcp_stream_close(&s1), 0);
    assert_int_equal(cmio_tcp_stream_close(&s2), 0);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

static void test_connect_bad_args(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr, empty, bad;
    int before = test_count_open_fds();
    test_loopback(&addr, AF_INET, 9);
    assert_int_equal(cmio_tcp_stream_connect(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_tcp_stream_connect(&c, NULL), -EINVAL);
    memset(&empty, 0, sizeof empty);
    assert_int_equal(cmio_tcp_stream_connect(&c, &empty), -EINVAL);
    bad = addr;
    bad.len = 0;
    assert_int_equal(cmio_tcp_stream_connect(&c, &bad), -EINVAL);
    bad.len = sizeof(struct sockaddr_in6);
    assert_int_equal(cmio_tcp_stream_connect(&c, &bad), -EINVAL);
    bad.u.sa.sa_family = AF_UNIX;
    bad.len = sizeof(struct sockaddr_in);
    assert_int_equal(cmio_tcp_stream_connect(&c, &bad), -EAFNOSUPPORT);
    /* Nothing opened; the struct is still empty. */
    assert_int_equal(test_count_open_fds(), before);
    assert_int_equal(TEST_HANDLE(tcp_stream, &c), TEST_EMPTY_HANDLE);
}

/* ---- addresses ----------------------------------------------------------------------------- */

static void test_addrs(void **state)
{
    (void)state;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr, accepted_peer, cl, cp, sl, sp, loop;
    tcp_listen(&l, AF_INET, &addr);
    tcp_pair_with(&l, &addr, &c, &s, &accepted_peer);

    assert_int_equal(cmio_tcp_stream_local_addr(&c, &cl), 0);
    assert_int_equal(cmio_tcp_stream_peer_addr(&c, &cp), 0);
    assert_int_equal(cmio_tcp_stream_local_addr(&s, &sl), 0);
    assert_int_equal(cmio_tcp_stream_peer_addr(&s, &sp), 0);
    assert_true(cmio_sockaddr_equal(&cp, &addr));
    assert_true(cmio_sockaddr_equal(&sl, &addr));
    assert_true(cmio_sockaddr_equal(&sp, &cl));
    assert_true(cmio_sockaddr_equal(&accepted_peer, &cl));
    /* The client got an ephemeral port on 127.0.0.1. */
    test_loopback(&loop, AF_INET, cmio_sockaddr_port(&cl));
    assert_int_not_equal(cmio_sockaddr_port(&cl), 0);
    assert_true(cmio_sockaddr_equal(&cl, &loop));

    assert_int_equal(cmio_tcp_stream_local_addr(NULL, &cl), -EINVAL);
    assert_int_equal(cmio_tcp_stream_local_addr(&c, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_stream_peer_addr(NULL, &cl), -EINVAL);
    assert_int_equal(cmio_tcp_stream_peer_addr(&c, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_local_addr(&c, &cl), -EBADF);
    assert_int_equal(cmio_tcp_stream_peer_addr(&c, &cl), -EBADF);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
}

/* ---- peer close and shutdown --------------------------------------------------------------- */

static void test_peer_close_read_closed(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_READABLE),
                     0);
    /* Nothing yet: the stream is open and empty. */
    tcp_assert_no_event(poll, events, TCP_TOK_CLIENT);
    char buf[16];
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), -EAGAIN);

    /* Data, then close: the data comes first, then end of stream (read 0). */
    tcp_write_all(&s, "bye", 3);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    bool read_closed = false;
    size_t got = 0;
    int64_t deadline = test_deadline();
    for (;;) {
        const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_CLIENT);
        assert_true(cmio_event_is_readable(e));
        read_closed = read_closed || cmio_event_is_read_closed(e);
        ssize_t n;
        while ((n = cmio_tcp_stream_read(&c, buf + got, sizeof buf - got)) > 0)
            got += (size_t)n;
        if (n == 0)
            break;
        assert_int_equal(n, -EAGAIN);
        check_deadline(deadline, "peer close");
    }
#ifdef _WIN32
    /* AFD reports the FIN (AFD_POLL_DISCONNECT) once the data before it has been read: the event
     * may come after read already returned 0. */
    if (!read_closed)
        read_closed = cmio_event_is_read_closed(tcp_wait_token(poll, events, TCP_TOK_CLIENT));
#endif
    assert_true(read_closed);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "bye", 3);
    /* End of stream is sticky. */
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 0);

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

static void test_shutdown_write(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&s, cmio_poll_registry(poll), TCP_TOK_SERVER,
                                              CMIO_INTEREST_READABLE),
                     0);

    assert_int_equal(cmio_tcp_stream_shutdown(&c, CMIO_SHUTDOWN_WRITE), 0);
    const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_SERVER);
    assert_true(cmio_event_is_read_closed(e));
    char buf[16];
    assert_int_equal(cmio_tcp_stream_read(&s, buf, sizeof buf), 0);

    /* The other direction still works. */
    tcp_write_all(&s, "still", 5);
    tcp_read_exact(&c, buf, 5);
    assert_memory_equal(buf, "still", 5);
    /* And the shut half refuses (without SIGPIPE). */
    assert_int_equal(cmio_tcp_stream_write(&c, "x", 1), -EPIPE);

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

static void test_shutdown_read(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_READABLE),
                     0);
    char buf[16];
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), -EAGAIN);

    assert_int_equal(cmio_tcp_stream_shutdown(&c, CMIO_SHUTDOWN_READ), 0);
    /* The read half is closed locally: an event says so and reads return 0 at once. (Windows:
     * AFD reports no event for the socket's own shutdown; mio's tests/tcp_stream.rs ignores
     * these events there too.) */
#ifndef _WIN32
    const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_CLIENT);
    assert_true(cmio_event_is_read_closed(e));
#endif
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 0);

    /* The write half still works. */
    tcp_write_all(&c, "write", 5);
    tcp_read_exact(&s, buf, 5);
    assert_memory_equal(buf, "write", 5);

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

static void test_shutdown_both(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_READABLE),
                     0);
    tcp_assert_no_event(poll, events, TCP_TOK_CLIENT);

    assert_int_equal(cmio_tcp_stream_shutdown(&c, CMIO_SHUTDOWN_BOTH), 0);
#ifndef _WIN32 /* no event for the socket's own shutdown on Windows (see test_shutdown_read) */
    const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_CLIENT);
    assert_true(cmio_event_is_read_closed(e));
    /* kqueue: write_closed is the write filter's EV_EOF, and only READABLE is registered. */
    if (test_backend_is("kqueue"))
        assert_false(cmio_event_is_write_closed(e));
    else
        assert_true(cmio_event_is_write_closed(e));
#endif
    char buf[16];
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 0);
    assert_int_equal(cmio_tcp_stream_write(&c, "x", 1), -EPIPE);
    /* The peer sees end of stream. */
    assert_int_equal(tcp_read_to_eof(&s), 0);

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

static void test_shutdown_invalid(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_shutdown(&c, (cmio_shutdown)3), -EINVAL);
    assert_int_equal(cmio_tcp_stream_shutdown(&c, (cmio_shutdown)-1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_shutdown(&c, (cmio_shutdown)0x7fffffff), -EINVAL);
    assert_int_equal(cmio_tcp_stream_shutdown(NULL, CMIO_SHUTDOWN_BOTH), -EINVAL);
    /* Nothing was shut down by the invalid calls: both directions still work. */
    char buf[4];
    tcp_write_all(&c, "ab", 2);
    tcp_read_exact(&s, buf, 2);
    tcp_write_all(&s, "cd", 2);
    tcp_read_exact(&c, buf + 2, 2);
    assert_memory_equal(buf, "abcd", 4);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_shutdown(&c, CMIO_SHUTDOWN_BOTH), -EBADF);
}

/* ---- options ------------------------------------------------------------------------------- */

static void test_nodelay(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &c, &s);
    test_sock fd = TEST_HANDLE(tcp_stream, &c);
    int raw = 0; /* Windows writes fewer bytes than an int (as cmio's getter expects) */
    socklen_t len = sizeof raw;
    bool on = true;

    /* The getter reports what the kernel has, whichever way it is set. */
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (void *)&raw, &len), 0);
    assert_int_equal(cmio_tcp_stream_nodelay(&c, &on), 0);
    assert_int_equal(on, raw != 0);

    assert_int_equal(cmio_tcp_stream_set_nodelay(&c, true), 0);
    on = false;
    assert_int_equal(cmio_tcp_stream_nodelay(&c, &on), 0);
    assert_true(on);
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (void *)&raw, &len), 0);
    assert_int_not_equal(raw, 0);

    assert_int_equal(cmio_tcp_stream_set_nodelay(&c, false), 0);
    on = true;
    assert_int_equal(cmio_tcp_stream_nodelay(&c, &on), 0);
    assert_false(on);
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (void *)&raw, &len), 0);
    assert_int_equal(raw, 0);

    /* Per socket: the other end is unaffected by this one. */
    assert_int_equal(cmio_tcp_stream_set_nodelay(&c, true), 0);
    assert_int_equal(cmio_tcp_stream_set_nodelay(&s, false), 0);
    assert_int_equal(cmio_tcp_stream_nodelay(&s, &on), 0);
    assert_false(on);

    assert_int_equal(cmio_tcp_stream_set_nodelay(NULL, true), -EINVAL);
    assert_int_equal(cmio_tcp_stream_nodelay(NULL, &on), -EINVAL);
    assert_int_equal(cmio_tcp_stream_nodelay(&c, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_set_nodelay(&c, true), -EBADF);
    assert_int_equal(cmio_tcp_stream_nodelay(&c, &on), -EBADF);
}

static void test_ttl(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &c, &s);
    uint32_t ttl = 0;
    int raw = 0;
    socklen_t len = sizeof raw;

    assert_int_equal(cmio_tcp_stream_set_ttl(&c, 7), 0);
    assert_int_equal(cmio_tcp_stream_ttl(&c, &ttl), 0);
    assert_int_equal(ttl, 7);
    assert_int_equal(
        getsockopt(TEST_HANDLE(tcp_stream, &c), IPPROTO_IP, IP_TTL, (void *)&raw, &len), 0);
    assert_int_equal(raw, 7);
    assert_int_equal(cmio_tcp_stream_set_ttl(&c, 200), 0);
    assert_int_equal(cmio_tcp_stream_ttl(&c, &ttl), 0);
    assert_int_equal(ttl, 200);

    /* Out of range: the kernel refuses, and the value stays. */
    assert_int_equal(cmio_tcp_stream_set_ttl(&c, 256), -EINVAL);
    assert_int_equal(cmio_tcp_stream_set_ttl(&c, 0), -EINVAL);
    assert_int_equal(cmio_tcp_stream_set_ttl(&c, 0x80000000u), -EINVAL);
    assert_int_equal(cmio_tcp_stream_ttl(&c, &ttl), 0);
    assert_int_equal(ttl, 200);

    /* Data still flows with a small TTL on loopback. */
    char buf[2];
    assert_int_equal(cmio_tcp_stream_set_ttl(&c, 1), 0);
    tcp_write_all(&c, "ok", 2);
    tcp_read_exact(&s, buf, 2);
    assert_memory_equal(buf, "ok", 2);

    assert_int_equal(cmio_tcp_stream_set_ttl(NULL, 1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_ttl(NULL, &ttl), -EINVAL);
    assert_int_equal(cmio_tcp_stream_ttl(&c, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_set_ttl(&c, 1), -EBADF);
    assert_int_equal(cmio_tcp_stream_ttl(&c, &ttl), -EBADF);
}

/* ---- peek, read, write, readv, writev ------------------------------------------------------ */

static void test_peek(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &c, &s);
    char buf[64];
    assert_int_equal(cmio_tcp_stream_peek(&c, buf, sizeof buf), -EAGAIN);

    /* One small send arrives as one segment on loopback. */
    assert_int_equal(cmio_tcp_stream_write(&s, "hello world", 11), 11);
    assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &c), POLLIN) & POLLIN);

    memset(buf, 0, sizeof buf);
    assert_int_equal(cmio_tcp_stream_peek(&c, buf, sizeof buf), 11);
    assert_memory_equal(buf, "hello world", 11);
    memset(buf, 0, sizeof buf);
    assert_int_equal(cmio_tcp_stream_peek(&c, buf, 5), 5);
    assert_memory_equal(buf, "hello", 5);
    /* Still all there: read returns the same bytes, then the queue is empty. */
    memset(buf, 0, sizeof buf);
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 11);
    assert_memory_equal(buf, "hello world", 11);
    assert_int_equal(cmio_tcp_stream_peek(&c, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), -EAGAIN);

    assert_int_equal(cmio_tcp_stream_peek(NULL, buf, 1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_peek(&c, NULL, 1), -EINVAL);

    /* At end of stream, peek returns 0. */
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &c), POLLIN) & POLLIN);
    assert_int_equal(cmio_tcp_stream_peek(&c, buf, sizeof buf), 0);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_peek(&c, buf, sizeof buf), -EBADF);
}

static void test_read_write_args(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &c, &s);
    char buf[8];
    assert_int_equal(cmio_tcp_stream_read(NULL, buf, 1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_read(&c, NULL, 1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_write(NULL, "x", 1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_write(&c, NULL, 1), -EINVAL);
    /* Zero-length I/O with a NULL buffer is allowed and moves nothing. */
    assert_int_equal(cmio_tcp_stream_write(&c, NULL, 0), 0);
    assert_int_equal(cmio_tcp_stream_read(&s, NULL, 0), 0);
    assert_int_equal(cmio_tcp_stream_read(&s, buf, sizeof buf), -EAGAIN);
    /* Nothing was sent by the rejected calls: the first byte the peer sees is this one. */
    tcp_write_all(&c, "z", 1);
    tcp_read_exact(&s, buf, 1);
    assert_int_equal(buf[0], 'z');
    assert_int_equal(cmio_tcp_stream_read(&s, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_read(&c, buf, 1), -EBADF);
    assert_int_equal(cmio_tcp_stream_write(&c, "x", 1), -EBADF);
}

static void test_readv_writev(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &c, &s);

    char a[] = "The ", b[] = "quick ", d[] = "brown fox";
    struct iovec out[3] = {{a, 4}, {b, 6}, {d, 9}};
    assert_int_equal(cmio_tcp_stream_writev(&c, out, 3), 19);
    assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &s), POLLIN) & POLLIN);

    char x[5], y[5], z[32];
    memset(z, 0, sizeof z);
    struct iovec in[3] = {{x, sizeof x}, {y, sizeof y}, {z, sizeof z}};
    assert_int_equal(cmio_tcp_stream_readv(&s, in, 3), 19);
    assert_memory_equal(x, "The q", 5);
    assert_memory_equal(y, "uick ", 5);
    assert_memory_equal(z, "brown fox", 9);
    assert_int_equal(cmio_tcp_stream_readv(&s, in, 3), -EAGAIN);

    /* Bad counts and NULL arrays; none of them sends anything. */
    assert_int_equal(cmio_tcp_stream_writev(&c, out, -1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_readv(&s, in, -1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_writev(&c, NULL, 1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_readv(&s, NULL, 1), -EINVAL);
    assert_int_equal(cmio_tcp_stream_writev(NULL, out, 3), -EINVAL);
    assert_int_equal(cmio_tcp_stream_readv(NULL, in, 3), -EINVAL);
    assert_int_equal(cmio_tcp_stream_writev(&c, NULL, 0), 0);

    /* Read side with fewer bytes than room: filled in order, the rest untouched. */
    struct iovec out2[3] = {{"12", 2}, {"345", 3}, {"6", 1}};
    assert_int_equal(cmio_tcp_stream_writev(&c, out2, 3), 6);
    assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &s), POLLIN) & POLLIN);
    memset(x, '.', sizeof x);
    memset(y, '.', sizeof y);
    assert_int_equal(cmio_tcp_stream_readv(&s, in, 3), 6);
    assert_memory_equal(x, "12345", 5);
    assert_memory_equal(y, "6....", 5);

    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    /* readv at end of stream returns 0. */
    assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &c), POLLIN) & POLLIN);
    assert_int_equal(cmio_tcp_stream_readv(&c, in, 3), 0);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_readv(&c, in, 3), -EBADF);
    assert_int_equal(cmio_tcp_stream_writev(&c, out, 3), -EBADF);
}

/* ---- a 64 MiB transfer through many would-block cycles ------------------------------------ */

#define BIG_TOTAL ((uint64_t)64 * 1024 * 1024)
#define BIG_PERIOD 1000003u /* a prime: the pattern never lines up with buffer sizes */

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void test_large_transfer(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream w = CMIO_TCP_STREAM_INIT, r = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &w, &r);
    assert_int_equal(cmio_tcp_stream_register(&w, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_WRITABLE),
                     0);
    assert_int_equal(cmio_tcp_stream_register(&r, cmio_poll_registry(poll), TCP_TOK_SERVER,
                                              CMIO_INTEREST_READABLE),
                     0);

    /* The writer sends slices of a periodic pattern (period BIG_PERIOD, stored twice so any
     * slice up to BIG_PERIOD bytes is contiguous). */
    uint8_t *pat = malloc(2 * (size_t)BIG_PERIOD);
    uint8_t *rbuf = malloc(256 * 1024);
    assert_non_null(pat);
    assert_non_null(rbuf);
    for (size_t i = 0; i < BIG_PERIOD; i++)
        pat[i] = pat[i + BIG_PERIOD] = pattern_byte(i);

    const uint64_t basis = 0xcbf29ce484222325ull;
    uint64_t sent = 0, received = 0, wsum = basis, rsum = basis;
    unsigned long writer_eagain = 0, reader_eagain = 0, polls = 0;
    bool shut = false, eof = false;

    int64_t deadline = test_deadline();
    bool writable = true, readable = false;
    while (!eof) {
        if (writable) {
            while (sent < BIG_TOTAL) {
                size_t off = (size_t)(sent % BIG_PERIOD);
                uint64_t left = BIG_TOTAL - sent;
                size_t n = left < BIG_PERIOD ? (size_t)left : BIG_PERIOD;
                ssize_t k = cmio_tcp_stream_write(&w, pat + off, n);
                if (k == -EAGAIN) {
                    writer_eagain++;
                    writable = false; /* wait for the next writable event */
                    break;
                }
                assert_true(k > 0);
                wsum = fnv1a(wsum, pat + off, (size_t)k);
                sent += (uint64_t)k;
            }
            if (sent == BIG_TOTAL && !shut) {
                assert_int_equal(cmio_tcp_stream_shutdown(&w, CMIO_SHUTDOWN_WRITE), 0);
                shut = true;
            }
        }
        if (readable) {
            for (;;) {
                ssize_t k = cmio_tcp_stream_read(&r, rbuf, 256 * 1024);
                if (k == -EAGAIN) {
                    reader_eagain++;
                    readable = false;
                    break;
                }
                assert_true(k >= 0);
                if (k == 0) {
                    eof = true;
                    break;
                }
                rsum = fnv1a(rsum, rbuf, (size_t)k);
                received += (uint64_t)k;
                assert_true(received <= sent);
            }
        }
        if (eof)
            break;
        int n = poll_or_fail(poll, events, deadline, "64 MiB transfer");
        polls++;
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            if (cmio_event_token(e) == TCP_TOK_CLIENT) {
                assert_true(cmio_event_is_writable(e));
                writable = true;
            } else if (cmio_event_token(e) == TCP_TOK_SERVER) {
                assert_true(cmio_event_is_readable(e));
                readable = true;
            } else {
                fail_msg("unexpected token");
            }
        }
        if (n > 0)
            deadline = test_deadline();
    }
    print_message("64 MiB: %lu writer would-blocks, %lu reader would-blocks, %lu polls\n",
                  writer_eagain, reader_eagain, polls);
    assert_true(sent == BIG_TOTAL);
    assert_true(received == BIG_TOTAL);
    assert_true(wsum == rsum);
    /* The data really is the pattern: its checksum computed independently. */
    uint64_t want = basis;
    for (uint64_t pos = 0; pos < BIG_TOTAL;) {
        uint64_t left = BIG_TOTAL - pos;
        size_t n = left < BIG_PERIOD ? (size_t)left : BIG_PERIOD;
        want = fnv1a(want, pat, n);
        pos += n;
    }
    assert_true(rsum == want);
    assert_true(writer_eagain > 0);
    assert_true(reader_eagain > 0);

    free(pat);
    free(rbuf);
    assert_int_equal(cmio_tcp_stream_close(&w), 0);
    assert_int_equal(cmio_tcp_stream_close(&r), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

/* ---- writes after the peer reset: errors, never SIGPIPE ------------------------------------ */

#ifndef _WIN32
/* SIGPIPE stays at its default disposition in these tests: a SIGPIPE would kill the binary. */
typedef struct sigaction sigpipe_saved;
static void sigpipe_default(sigpipe_saved *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGPIPE, &sa, old), 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
}

/* Control experiment: a plain send(2) without MSG_NOSIGNAL on the same socket does raise
 * SIGPIPE (blocked here and consumed), so the checks above would have caught a missing flag. */
static void check_raw_send_raises_sigpipe(int fd)
{
#ifdef SO_NOSIGPIPE
    /* Where cmio sets SO_NOSIGPIPE on its sockets (macOS), the control needs it off. */
    int off = 0;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &off, sizeof off), 0);
#endif
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
    errno = 0;
    assert_int_equal(send(fd, "x", 1, 0), -1);
    assert_int_equal(errno, EPIPE);
    sigset_t pending;
    assert_int_equal(sigpending(&pending), 0);
    assert_true(sigismember(&pending, SIGPIPE));
    int sig = 0; /* pending, so sigwait returns at once (sigtimedwait is not everywhere) */
    assert_int_equal(sigwait(&set, &sig), 0);
    assert_int_equal(sig, SIGPIPE);
    assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}

static void sigpipe_restore(sigpipe_saved *old)
{
    assert_int_equal(sigaction(SIGPIPE, old, NULL), 0);
}
#else
/* Windows has no SIGPIPE: a write to a dead connection just fails (what these tests check). */
typedef int sigpipe_saved;
static void sigpipe_default(sigpipe_saved *old)
{
    (void)old;
}

static void check_raw_send_raises_sigpipe(test_sock fd)
{
    (void)fd;
}

static void sigpipe_restore(sigpipe_saved *old)
{
    (void)old;
}
#endif

/* Waits until c has seen the reset (an error or closed event). */
static void wait_for_reset(cmio_poll *poll, cmio_events *events, cmio_tcp_stream *c)
{
    int64_t deadline = test_deadline();
    for (;;) {
        const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_CLIENT);
        if (cmio_event_is_error(e) || cmio_event_is_read_closed(e))
            return;
        /* Drain what readiness there is, so the next edge can come. */
        char buf[256];
        while (cmio_tcp_stream_read(c, buf, sizeof buf) > 0) {
        }
        check_deadline(deadline, "reset");
    }
}

static void test_write_after_reset(void **state)
{
    (void)state;
    sigpipe_saved old;
    sigpipe_default(&old);
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_READABLE),
                     0);

    tcp_close_with_reset(&s); /* SO_LINGER {1, 0}: close sends an RST */
    wait_for_reset(poll, events, &c);

    /* The reset is the socket's pending error: take_error returns it once. (Winsock keeps no
     * pending error for a reset — SO_ERROR holds a failed connect's —: 0 under Wine; the reads and
     * writes below report the reset instead.) */
    int err = 0;
    assert_int_equal(cmio_tcp_stream_take_error(&c, &err), 0);
#ifdef _WIN32
    if (test_under_wine())
        assert_int_equal(err, 0);
    else
        assert_true(err == 0 || err == -ECONNRESET);
#else
    assert_int_equal(err, test_pending_error(-ECONNRESET));
    assert_int_equal(cmio_tcp_stream_take_error(&c, &err), 0);
    assert_int_equal(err, 0);
#endif

    /* Writing to the dead connection: -EPIPE, and the process is still alive. */
    tcp_assert_dead_write(cmio_tcp_stream_write(&c, "x", 1));
    tcp_assert_dead_write(cmio_tcp_stream_write(&c, "y", 1));
    struct iovec iov[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    tcp_assert_dead_write(cmio_tcp_stream_writev(&c, iov, 3));
    /* Reading after the reset: end of stream (the error was taken above). Windows says
     * -ECONNRESET (the reset stays the socket's state); a known Wine difference: recv returns 0
     * there, asserted as Wine's behaviour under Wine. */
    char buf[4];
#ifdef _WIN32
    if (test_under_wine()) {
        print_message("under Wine: recv after a peer reset returns 0, not WSAECONNRESET\n");
        assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 0);
    } else {
        assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), -ECONNRESET);
    }
#else
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 0);
#endif

    check_raw_send_raises_sigpipe(TEST_HANDLE(tcp_stream, &c));
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
    sigpipe_restore(&old);
}

/* The peer closes with unread data (which sends an RST); writev, then write, fail cleanly. */
static void test_writev_after_close_with_unread_data(void **state)
{
    (void)state;
    sigpipe_saved old;
    sigpipe_default(&old);
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_READABLE),
                     0);

    tcp_write_all(&c, "unread", 6);
    assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &s), POLLIN) & POLLIN);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    wait_for_reset(poll, events, &c);

    /* The first call reports the reset (-ECONNRESET), or -EPIPE if it was already consumed;
     * every later one -EPIPE. Each path would raise SIGPIPE without MSG_NOSIGNAL. */
    struct iovec iov[3] = {{"a", 1}, {"bc", 2}, {"def", 3}};
    ssize_t r = cmio_tcp_stream_writev(&c, iov, 3);
    assert_true(r == -ECONNRESET || r == -EPIPE);
    tcp_assert_dead_write(cmio_tcp_stream_writev(&c, iov, 3));
    tcp_assert_dead_write(cmio_tcp_stream_write(&c, "x", 1));

    check_raw_send_raises_sigpipe(TEST_HANDLE(tcp_stream, &c));
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
    sigpipe_restore(&old);
}

/* The peer closes normally (FIN). The first write is accepted by the kernel and answered with an
 * RST; after that, writes fail with -EPIPE/-ECONNRESET, still without SIGPIPE. */
static void test_write_after_peer_close(void **state)
{
    (void)state;
    sigpipe_saved old;
    sigpipe_default(&old);
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_READABLE),
                     0);

    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_CLIENT);
    assert_true(cmio_event_is_read_closed(e));
    assert_false(cmio_event_is_error(e));
    char buf[4];
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 0);

    assert_int_equal(cmio_tcp_stream_write(&c, "x", 1), 1);
    e = tcp_wait_token(poll, events, TCP_TOK_CLIENT); /* the RST */
    assert_true(cmio_event_is_error(e) || cmio_event_is_write_closed(e));
    ssize_t r = cmio_tcp_stream_write(&c, "y", 1);
    assert_true(r == -ECONNRESET || r == -EPIPE);
    tcp_assert_dead_write(cmio_tcp_stream_write(&c, "z", 1));

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
    sigpipe_restore(&old);
}

/* ---- take_error ---------------------------------------------------------------------------- */

static void test_take_error_args(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &c, &s);
    int err = 99;
    assert_int_equal(cmio_tcp_stream_take_error(&c, &err), 0);
    assert_int_equal(err, 0);
    assert_int_equal(cmio_tcp_stream_take_error(NULL, &err), -EINVAL);
    assert_int_equal(cmio_tcp_stream_take_error(&c, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_take_error(&c, &err), -EBADF);
}

/* ---- fd ownership -------------------------------------------------------------------------- */

static void test_from_fd_as_fd(void **state)
{
    (void)state;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &c, &s);
    cmio_sockaddr local_before, local_after;
    assert_int_equal(cmio_tcp_stream_local_addr(&c, &local_before), 0);

    /* Take the fd out and make it blocking, as a socket from elsewhere might be. */
    test_sock fd = TEST_INTO_HANDLE(tcp_stream, &c);
    assert_true(TEST_VALID_HANDLE(fd));
    test_sock_set_blocking(fd);
#ifndef _WIN32 /* Windows: blocking when made (its probe would block here) */
    assert_false(tcp_fd_nonblocking(fd));
#endif

    cmio_tcp_stream w = CMIO_TCP_STREAM_INIT;
    assert_int_equal(TEST_FROM_HANDLE(tcp_stream, &w, fd), 0);
    assert_int_equal(TEST_HANDLE(tcp_stream, &w), fd);
    assert_true(tcp_fd_nonblocking(fd));
    /* Non-blocking in practice: an empty read returns at once. */
    char buf[8];
    assert_int_equal(cmio_tcp_stream_read(&w, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_tcp_stream_local_addr(&w, &local_after), 0);
    assert_true(cmio_sockaddr_equal(&local_before, &local_after));
    tcp_write_all(&s, "wrapped", 7);
    tcp_read_exact(&w, buf, 7);
    assert_memory_equal(buf, "wrapped", 7);

    /* The stream owns the fd now. */
    assert_int_equal(cmio_tcp_stream_close(&w), 0);
    assert_false(test_fd_is_open(fd));
    assert_int_equal(TEST_HANDLE(tcp_stream, &w), TEST_EMPTY_HANDLE);

    assert_int_equal(TEST_FROM_HANDLE(tcp_stream, NULL, 0), -EINVAL);
    assert_int_equal(TEST_FROM_HANDLE(tcp_stream, &w, TEST_NO_SOCK), -EBADF);
    assert_int_equal(TEST_HANDLE(tcp_stream, NULL), TEST_NULL_HANDLE);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
}

static void test_into_fd(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_READABLE),
                     0);
    test_sock fd = TEST_HANDLE(tcp_stream, &c);
    assert_true(TEST_VALID_HANDLE(fd));

    assert_int_equal(TEST_INTO_HANDLE(tcp_stream, &c), fd);
    /* The struct is empty. */
    assert_int_equal(TEST_HANDLE(tcp_stream, &c), TEST_EMPTY_HANDLE);
    assert_int_equal(TEST_INTO_HANDLE(tcp_stream, &c), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_tcp_stream_close(&c), -EBADF);
    assert_int_equal(cmio_tcp_stream_deregister(&c, cmio_poll_registry(poll)), -EBADF);
    assert_true(test_fd_is_open(fd));

    /* Deregistered: data makes the fd readable, but no event is reported for it. */
    tcp_write_all(&s, "raw", 3);
    assert_true(test_fd_wait(fd, POLLIN) & POLLIN);
    tcp_assert_no_event(poll, events, TCP_TOK_CLIENT);
    /* The fd is the caller's and still the connection. */
    char buf[4];
    assert_int_equal(test_sock_recv(fd, buf, sizeof buf), 3);
    assert_memory_equal(buf, "raw", 3);
    assert_int_equal(test_sock_close(fd), 0);

    assert_int_equal(TEST_INTO_HANDLE(tcp_stream, NULL), TEST_NULL_HANDLE);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

#ifndef _WIN32 /* dup(): a Winsock handle has no in-process duplicate sharing the socket */
/* close() of a registered stream deregisters it explicitly: a dup() keeps the socket (and an
 * epoll registration, had close relied on the kernel dropping it) alive, yet no event follows. */
static void test_close_deregisters(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_pair(AF_INET, &c, &s);
    assert_int_equal(cmio_tcp_stream_register(&c, cmio_poll_registry(poll), TCP_TOK_CLIENT,
                                              CMIO_INTEREST_READABLE),
                     0);
    int dupfd = dup(TEST_HANDLE(tcp_stream, &c));
    assert_true(dupfd >= 0);

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(TEST_HANDLE(tcp_stream, &c), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_tcp_stream_close(&c), -EBADF);

    tcp_write_all(&s, "still here", 10);
    assert_true(test_fd_wait(dupfd, POLLIN) & POLLIN); /* the socket receives … */
    tcp_assert_no_event(poll, events, TCP_TOK_CLIENT); /* … but nobody is told */
    char buf[16];
    assert_int_equal(read(dupfd, buf, sizeof buf), 10);

    assert_int_equal(close(dupfd), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_close(NULL), -EINVAL);
    cmio_events_free(events);
    cmio_poll_free(poll);
}
#endif

/* ---- registration -------------------------------------------------------------------------- */

static void test_register_reregister_deregister(void **state)
{
    (void)state;
    cmio_poll *poll, *other;
    cmio_events *events;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_poll_new(&other), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    cmio_registry *reg = cmio_poll_registry(poll);
    tcp_pair(AF_INET, &c, &s);

    /* Not registered yet; bad arguments. */
    assert_int_equal(cmio_tcp_stream_reregister(&c, reg, 1, CMIO_INTEREST_READABLE), -ENOENT);
    assert_int_equal(cmio_tcp_stream_deregister(&c, reg), -ENOENT);
    assert_int_equal(cmio_tcp_stream_register(&c, reg, 1, 0), -EINVAL);
    assert_int_equal(cmio_tcp_stream_register(NULL, reg, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_tcp_stream_register(&c, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    tcp_assert_no_event(poll, events, 1);

    /* READABLE under token 1: the stream is writable, but that is not asked for. */
    assert_int_equal(cmio_tcp_stream_register(&c, reg, 1, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_tcp_stream_register(&c, reg, 1, CMIO_INTEREST_READABLE), -EEXIST);
    assert_int_equal(
        cmio_tcp_stream_register(&c, cmio_poll_registry(other), 1, CMIO_INTEREST_READABLE),
        -EEXIST);
    assert_int_equal(cmio_tcp_stream_reregister(&c, reg, 1, 0), -EINVAL);
    assert_int_equal(cmio_tcp_stream_reregister(NULL, reg, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_tcp_stream_reregister(&c, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_tcp_stream_deregister(NULL, reg), -EINVAL);
    assert_int_equal(cmio_tcp_stream_deregister(&c, NULL), -EINVAL);
    assert_int_equal(
        cmio_tcp_stream_reregister(&c, cmio_poll_registry(other), 1, CMIO_INTEREST_READABLE),
        -EINVAL);
    assert_int_equal(cmio_tcp_stream_deregister(&c, cmio_poll_registry(other)), -EINVAL);
    tcp_assert_no_event(poll, events, 1);

    tcp_write_all(&s, "1", 1);
    const cmio_event *e = tcp_wait_token(poll, events, 1);
    assert_true(cmio_event_is_readable(e));
    assert_false(cmio_event_is_writable(e));
    char buf[8];
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 1);

    /* WRITABLE under token 2: the (already writable) stream is reported at once, as token 2. */
    assert_int_equal(cmio_tcp_stream_reregister(&c, reg, 2, CMIO_INTEREST_WRITABLE), 0);
    e = tcp_wait_token(poll, events, 2);
    assert_true(cmio_event_is_writable(e));
    assert_false(cmio_event_is_readable(e));
    assert_null(test_find_token(events, 1));
    /* Data now does not produce a readable event: only writability is asked for. */
    tcp_write_all(&s, "2", 1);
    assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &c), POLLIN) & POLLIN);
    tcp_assert_no_event(poll, events, 1);
    test_poll_now(poll, events);
    for (const cmio_event *x = cmio_events_first(events); x; x = cmio_events_next(events, x))
        assert_false(cmio_event_is_readable(x));

    /* Both interests under token 3. */
    assert_int_equal(
        cmio_tcp_stream_reregister(&c, reg, 3, CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE), 0);
    /* (On kqueue, two events with token 3: the read and the write filter's.) */
    assert_non_null(tcp_wait_token(poll, events, 3));
    struct test_readiness rd = test_token_readiness(events, 3);
    assert_true(rd.readable);
    assert_true(rd.writable);
    assert_int_equal(cmio_tcp_stream_read(&c, buf, sizeof buf), 1);
    assert_int_equal(buf[0], '2');

    /* Deregistered: data arrives, no event. Deregistering again: -ENOENT. */
    assert_int_equal(cmio_tcp_stream_deregister(&c, reg), 0);
    assert_int_equal(cmio_tcp_stream_deregister(&c, reg), -ENOENT);
    assert_int_equal(cmio_tcp_stream_reregister(&c, reg, 4, CMIO_INTEREST_READABLE), -ENOENT);
    tcp_write_all(&s, "3", 1);
    assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &c), POLLIN) & POLLIN);
    tcp_assert_no_event(poll, events, 3);
    tcp_assert_no_event(poll, events, 4);

    /* Free to be registered elsewhere now, and that poll sees the pending data. */
    assert_int_equal(
        cmio_tcp_stream_register(&c, cmio_poll_registry(other), 5, CMIO_INTEREST_READABLE), 0);
    e = tcp_wait_token(other, events, 5);
    assert_true(cmio_event_is_readable(e));
    tcp_assert_no_event(poll, events, 5);

    /* A cloned registry is the same registry. */
    cmio_registry *clone;
    assert_int_equal(cmio_registry_try_clone(cmio_poll_registry(other), &clone), 0);
    assert_int_equal(cmio_tcp_stream_reregister(&c, clone, 6, CMIO_INTEREST_READABLE), 0);
    if (test_on_libkqueue()) {
        /* libkqueue does not re-evaluate a knote that EV_ADD modifies (a kernel kqueue does, as
         * epoll does on EPOLL_CTL_MOD): the pending byte raises nothing; a new one does. */
        tcp_assert_no_event(other, events, 6);
        tcp_write_all(&s, "4", 1);
    }
    e = tcp_wait_token(other, events, 6);
    assert_true(cmio_event_is_readable(e));
    assert_int_equal(cmio_tcp_stream_deregister(&c, clone), 0);
    cmio_registry_free(clone);

    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_register(&c, reg, 1, CMIO_INTEREST_READABLE), -EBADF);
    assert_int_equal(cmio_tcp_stream_reregister(&c, reg, 1, CMIO_INTEREST_READABLE), -EBADF);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
    cmio_poll_free(other);
}

/* ---- no fd leaks ----------------------------------------------------------------------------- */

static void test_no_fd_leak(void **state)
{
    TEST_SKIP_LIBKQUEUE(TEST_LIBKQUEUE_FDS);
    (void)state;
    int before = test_count_open_fds();
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT,
                    refused = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr, closed;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    cmio_registry *reg = cmio_poll_registry(poll);
    tcp_listen(&l, AF_INET, &addr);
    tcp_pair_with(&l, &addr, &c, &s, NULL);
    tcp_closed_port(&closed, AF_INET);
    assert_int_equal(cmio_tcp_stream_connect(&refused, &closed), 0);
    assert_int_equal(cmio_tcp_listener_register(&l, reg, 1, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_tcp_stream_register(&c, reg, 2, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_tcp_stream_register(&s, reg, 3, CMIO_INTEREST_WRITABLE), 0);
    assert_int_equal(cmio_tcp_stream_register(&refused, reg, 4, CMIO_INTEREST_WRITABLE), 0);
    tcp_wait_token(poll, events, 4);
    /* poll + listener + 3 streams (+ the backend's for the 4 registrations). */
    assert_int_equal(test_count_open_fds(), before + 4 + test_poll_fds() + test_backend_fds(4));

    assert_int_equal(cmio_tcp_stream_close(&refused), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
    assert_int_equal(test_count_open_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_v4),
        cmocka_unit_test(test_echo_v6),
        cmocka_unit_test(test_connect_refused_v4),
        cmocka_unit_test(test_connect_refused_v6),
        cmocka_unit_test(test_connect_success),
        cmocka_unit_test(test_connect_bad_args),
        cmocka_unit_test(test_addrs),
        cmocka_unit_test(test_peer_close_read_closed),
        cmocka_unit_test(test_shutdown_write),
        cmocka_unit_test(test_shutdown_read),
        cmocka_unit_test(test_shutdown_both),
        cmocka_unit_test(test_shutdown_invalid),
        cmocka_unit_test(test_nodelay),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_read_write_args),
        cmocka_unit_test(test_readv_writev),
        cmocka_unit_test(test_large_transfer),
        cmocka_unit_test(test_write_after_reset),
        cmocka_unit_test(test_writev_after_close_with_unread_data),
        cmocka_unit_test(test_write_after_peer_close),
        cmocka_unit_test(test_take_error_args),
        cmocka_unit_test(test_from_fd_as_fd),
        cmocka_unit_test(test_into_fd),
#ifndef _WIN32
        cmocka_unit_test(test_close_deregisters),
#endif
        cmocka_unit_test(test_register_reregister_deregister),
        cmocka_unit_test(test_no_fd_leak),
    };
    return cmocka_run_group_tests_name("tcp_stream", tests, tcp_group_setup, tcp_group_teardown);
}
