/* SPDX-License-Identifier: MIT */
/* cmio tests — the inline fast paths of the public headers and the exported functions behind them.
 *
 * The generated headers define the one-system-call operations (read, write, send, recv, peek;
 * idl/schema.yaml kinds.io.inline) as static inline functions and map the public names to them
 * with function-like macros; poll.h does the same for cmio_poll_poll on epoll builds. Writing the
 * name in parentheses, `(cmio_tcp_stream_read)(...)`, or taking its address calls the exported
 * function instead. Every test here runs each operation both ways on the same input and checks
 * that both give the documented result, so neither form can drift from the other. On the poll(2)
 * row the re-arm test proves the inline form re-arms after -EAGAIN (without it no second event
 * would come).
 */
#include "test_util.h"

#include <cmio/cmio.h>

#include <limits.h>

#include "tcp_util.h"

#define TOK_A ((cmio_token)0xA1)
#define TOK_WAKE ((cmio_token)0xA2)

/* Waits until fd has something to read (bounded). */
static void wait_readable(int fd)
{
    assert_int_equal(test_fd_wait(fd, POLLIN) & POLLIN, POLLIN);
}

/* ---- byte streams: the same checks for TCP and Unix streams -------------------------------- */

/* STREAM_CHECKS(T, a, b): a and b are a connected pair of cmio_T. For each of write (inline /
 * exported) the other side reads with the other form; NULLs, empty sockets and closed sockets
 * give the same errors both ways. */
#define STREAM_CHECKS(T, a, b)                                                                     \
    do {                                                                                           \
        char buf[16];                                                                              \
        /* NULL self, NULL buffer with a length: -EINVAL; nothing reaches the kernel. */           \
        assert_int_equal(cmio_##T##_read(NULL, buf, sizeof buf), -EINVAL);                         \
        assert_int_equal((cmio_##T##_read)(NULL, buf, sizeof buf), -EINVAL);                       \
        assert_int_equal(cmio_##T##_write(NULL, "x", 1), -EINVAL);                                 \
        assert_int_equal((cmio_##T##_write)(NULL, "x", 1), -EINVAL);                               \
        assert_int_equal(cmio_##T##_read(&(a), NULL, 4), -EINVAL);                                 \
        assert_int_equal((cmio_##T##_read)(&(a), NULL, 4), -EINVAL);                               \
        assert_int_equal(cmio_##T##_write(&(a), NULL, 4), -EINVAL);                                \
        assert_int_equal((cmio_##T##_write)(&(a), NULL, 4), -EINVAL);                              \
        /* Nothing to read yet: -EAGAIN both ways. */                                              \
        assert_int_equal(cmio_##T##_read(&(b), buf, sizeof buf), -EAGAIN);                         \
        assert_int_equal((cmio_##T##_read)(&(b), buf, sizeof buf), -EAGAIN);                       \
        /* Inline write, exported read. */                                                         \
        assert_int_equal(cmio_##T##_write(&(a), "inline", 6), 6);                                  \
        wait_readable(cmio_##T##_as_fd(&(b)));                                                     \
        assert_int_equal((cmio_##T##_read)(&(b), buf, sizeof buf), 6);                             \
        assert_memory_equal(buf, "inline", 6);                                                     \
        /* Exported write, inline read. */                                                         \
        assert_int_equal((cmio_##T##_write)(&(a), "export", 6), 6);                                \
        wait_readable(cmio_##T##_as_fd(&(b)));                                                     \
        assert_int_equal(cmio_##T##_read(&(b), buf, sizeof buf), 6);                               \
        assert_memory_equal(buf, "export", 6);                                                     \
        /* The address of the name is the exported function (the macro needs a '('). */            \
        ssize_t (*rd)(cmio_##T *, void *, size_t) = cmio_##T##_read;                               \
        ssize_t (*wr)(cmio_##T *, const void *, size_t) = cmio_##T##_write;                        \
        assert_int_equal(wr(&(b), "ptr", 3), 3);                                                   \
        wait_readable(cmio_##T##_as_fd(&(a)));                                                     \
        assert_int_equal(rd(&(a), buf, sizeof buf), 3);                                            \
        assert_memory_equal(buf, "ptr", 3);                                                        \
        /* Peer closed: end of stream (0) both ways. */                                            \
        assert_int_equal(cmio_##T##_close(&(a)), 0);                                               \
        wait_readable(cmio_##T##_as_fd(&(b)));                                                     \
        assert_int_equal(cmio_##T##_read(&(b), buf, sizeof buf), 0);                               \
        assert_int_equal((cmio_##T##_read)(&(b), buf, sizeof buf), 0);                             \
        PEER_CLOSED_WRITE(T, b);                                                                   \
        /* A closed socket: -EBADF both ways (its fd is -1, never a stale number). */              \
        assert_int_equal(cmio_##T##_close(&(b)), 0);                                               \
        assert_int_equal(cmio_##T##_read(&(b), buf, sizeof buf), -EBADF);                          \
        assert_int_equal((cmio_##T##_read)(&(b), buf, sizeof buf), -EBADF);                        \
        assert_int_equal(cmio_##T##_write(&(b), "x", 1), -EBADF);                                  \
        assert_int_equal((cmio_##T##_write)(&(b), "x", 1), -EBADF);                                \
    } while (0)

/* TCP may take a first write to a closed peer (the RST comes back afterwards): checked in
 * test_tcp_stream.c. A Unix stream fails at once: -EPIPE both ways, and never SIGPIPE (the test
 * process would die). */
#define PEER_CLOSED_WRITE(T, b) PEER_CLOSED_WRITE_##T(b)
#define PEER_CLOSED_WRITE_tcp_stream(b) ((void)0)
#define PEER_CLOSED_WRITE_unix_stream(b)                                                           \
    do {                                                                                           \
        assert_int_equal(cmio_unix_stream_write(&(b), "x", 1), -EPIPE);                            \
        assert_int_equal((cmio_unix_stream_write)(&(b), "x", 1), -EPIPE);                          \
    } while (0)

static void test_tcp_stream_both_forms(void **state)
{
    (void)state;
    cmio_tcp_stream a = CMIO_TCP_STREAM_INIT, b = CMIO_TCP_STREAM_INIT;
    tcp_pair(AF_INET, &a, &b);
    /* peek: inline and exported see the same bytes and leave them queued. */
    char buf[8];
    assert_int_equal(cmio_tcp_stream_peek(NULL, buf, sizeof buf), -EINVAL);
    assert_int_equal((cmio_tcp_stream_peek)(NULL, buf, sizeof buf), -EINVAL);
    assert_int_equal(cmio_tcp_stream_peek(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal((cmio_tcp_stream_peek)(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_tcp_stream_write(&a, "pk", 2), 2);
    wait_readable(cmio_tcp_stream_as_fd(&b));
    assert_int_equal(cmio_tcp_stream_peek(&b, buf, sizeof buf), 2);
    assert_int_equal((cmio_tcp_stream_peek)(&b, buf, sizeof buf), 2);
    assert_int_equal(cmio_tcp_stream_read(&b, buf, sizeof buf), 2);
    assert_memory_equal(buf, "pk", 2);
    STREAM_CHECKS(tcp_stream, a, b);
}

static void test_unix_stream_both_forms(void **state)
{
    (void)state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    STREAM_CHECKS(unix_stream, a, b);
}

/* ---- datagrams ----------------------------------------------------------------------------- */

static void test_udp_socket_both_forms(void **state)
{
    (void)state;
    cmio_udp_socket a = CMIO_UDP_SOCKET_INIT, b = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr any, aa, ba;
    test_loopback(&any, AF_INET, 0);
    assert_int_equal(cmio_udp_socket_bind(&a, &any), 0);
    assert_int_equal(cmio_udp_socket_bind(&b, &any), 0);
    assert_int_equal(cmio_udp_socket_local_addr(&a, &aa), 0);
    assert_int_equal(cmio_udp_socket_local_addr(&b, &ba), 0);
    assert_int_equal(cmio_udp_socket_connect(&a, &ba), 0);
    assert_int_equal(cmio_udp_socket_connect(&b, &aa), 0);
    char buf[16];
    assert_int_equal(cmio_udp_socket_send(NULL, "x", 1), -EINVAL);
    assert_int_equal((cmio_udp_socket_send)(NULL, "x", 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_recv(&b, NULL, 1), -EINVAL);
    assert_int_equal((cmio_udp_socket_recv)(&b, NULL, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_recv(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal((cmio_udp_socket_recv)(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_udp_socket_peek(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal((cmio_udp_socket_peek)(&b, buf, sizeof buf), -EAGAIN);
    /* Two datagrams, one sent each way of calling; each is peeked both ways, then received. */
    assert_int_equal(cmio_udp_socket_send(&a, "one", 3), 3);
    assert_int_equal((cmio_udp_socket_send)(&a, "two!", 4), 4);
    wait_readable(cmio_udp_socket_as_fd(&b));
    assert_int_equal(cmio_udp_socket_peek(&b, buf, sizeof buf), 3);
    assert_int_equal((cmio_udp_socket_peek)(&b, buf, sizeof buf), 3);
    assert_int_equal((cmio_udp_socket_recv)(&b, buf, sizeof buf), 3);
    assert_memory_equal(buf, "one", 3);
    wait_readable(cmio_udp_socket_as_fd(&b));
    assert_int_equal(cmio_udp_socket_recv(&b, buf, sizeof buf), 4);
    assert_memory_equal(buf, "two!", 4);
    assert_int_equal(cmio_udp_socket_close(&a), 0);
    assert_int_equal(cmio_udp_socket_send(&a, "x", 1), -EBADF);
    assert_int_equal((cmio_udp_socket_send)(&a, "x", 1), -EBADF);
    assert_int_equal(cmio_udp_socket_close(&b), 0);
}

static void test_unix_datagram_both_forms(void **state)
{
    (void)state;
    cmio_unix_datagram a = CMIO_UNIX_DATAGRAM_INIT, b = CMIO_UNIX_DATAGRAM_INIT;
    assert_int_equal(cmio_unix_datagram_pair(&a, &b), 0);
    char buf[16];
    assert_int_equal(cmio_unix_datagram_send(NULL, "x", 1), -EINVAL);
    assert_int_equal((cmio_unix_datagram_send)(NULL, "x", 1), -EINVAL);
    assert_int_equal(cmio_unix_datagram_recv(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal((cmio_unix_datagram_recv)(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_unix_datagram_send(&a, "abc", 3), 3);
    assert_int_equal((cmio_unix_datagram_send)(&a, "defg", 4), 4);
    assert_int_equal((cmio_unix_datagram_recv)(&b, buf, sizeof buf), 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(cmio_unix_datagram_recv(&b, buf, sizeof buf), 4);
    assert_memory_equal(buf, "defg", 4);
    /* Peer gone: a datagram send has nobody to go to (Linux: -ECONNREFUSED once, which also
     * disconnects, then -ENOTCONN). */
    assert_int_equal(cmio_unix_datagram_close(&b), 0);
    ssize_t w1 = cmio_unix_datagram_send(&a, "x", 1);
    ssize_t w2 = (cmio_unix_datagram_send)(&a, "x", 1);
    assert_true(w1 == -ECONNREFUSED || w1 == -ENOTCONN || w1 == -EPIPE);
    assert_true(w2 == -ECONNREFUSED || w2 == -ENOTCONN || w2 == -EPIPE);
    assert_int_equal(cmio_unix_datagram_close(&a), 0);
}

/* ---- re-arming through the inline form ----------------------------------------------------- */

/* Reads until -EAGAIN with `inline_form` (or the exported function), three times over; every new
 * byte must bring a new readable event. On the poll(2) backend that needs the re-arm after
 * -EAGAIN, so this fails there if a form forgot it; on epoll it holds natively. */
static void rearm_round(bool inline_form)
{
    cmio_poll *poll;
    cmio_events *events;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(
        cmio_unix_stream_register(&b, cmio_poll_registry(poll), TOK_A, CMIO_INTEREST_READABLE), 0);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(cmio_unix_stream_write(&a, "r", 1), 1);
        const cmio_event *e = test_poll_for_token(poll, events, TOK_A, TEST_WAIT_MS);
        assert_non_null(e);
        assert_true(cmio_event_is_readable(e));
        char c;
        ssize_t n =
            inline_form ? cmio_unix_stream_read(&b, &c, 1) : (cmio_unix_stream_read)(&b, &c, 1);
        assert_int_equal(n, 1);
        n = inline_form ? cmio_unix_stream_read(&b, &c, 1) : (cmio_unix_stream_read)(&b, &c, 1);
        assert_int_equal(n, -EAGAIN);
        /* No new data: no new event. */
        assert_null(test_poll_for_token(poll, events, TOK_A, 0));
    }
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

static void test_rearm_inline(void **state)
{
    (void)state;
    rearm_round(true);
}

static void test_rearm_exported(void **state)
{
    (void)state;
    rearm_round(false);
}

/* ---- cmio_poll_poll: inline (epoll) and exported ------------------------------------------- */

typedef int (*poll_fn)(cmio_poll *, cmio_events *, const struct timespec *);

/* The inline form, as a function so both forms can be run from one table. */
static int poll_inline(cmio_poll *poll, cmio_events *events, const struct timespec *timeout)
{
    return cmio_poll_poll(poll, events, timeout);
}

static void test_poll_both_forms(void **state)
{
    (void)state;
    const poll_fn forms[2] = {poll_inline, cmio_poll_poll};
    cmio_poll *poll;
    cmio_events *events;
    cmio_waker *waker;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 4), 0);
    assert_int_equal(cmio_waker_new(&waker, cmio_poll_registry(poll), TOK_WAKE), 0);
    const struct timespec zero = {0, 0}, bad_sec = {-1, 0}, bad_nsec = {0, 1000000000L},
                          neg_nsec = {0, -1}, huge = {(time_t)INT_MAX, 0};
    for (int f = 0; f < 2; f++) {
        poll_fn pf = forms[f];
        /* NULL arguments and invalid timeouts: -EINVAL. */
        assert_int_equal(pf(NULL, events, &zero), -EINVAL);
        assert_int_equal(pf(poll, NULL, &zero), -EINVAL);
        assert_int_equal(pf(poll, events, &bad_sec), -EINVAL);
        assert_int_equal(pf(poll, events, &bad_nsec), -EINVAL);
        assert_int_equal(pf(poll, events, &neg_nsec), -EINVAL);
        /* Nothing ready: 0 events at once. */
        assert_int_equal(pf(poll, events, &zero), 0);
        assert_int_equal(cmio_events_len(events), 0);
        /* Whole milliseconds (the inline path) and a sub-millisecond rest (epoll_pwait2 in the
         * exported function) both wait at least as long as asked. */
        const struct timespec ms2 = {0, 2000000L}, ms1_5 = {0, 1500000L};
        int64_t t0 = test_now_ns();
        assert_int_equal(pf(poll, events, &ms2), 0);
        assert_true(test_now_ns() - t0 >= 2000000);
        t0 = test_now_ns();
        assert_int_equal(pf(poll, events, &ms1_5), 0);
        assert_true(test_now_ns() - t0 >= 1500000);
        /* A ready source is reported with its token, also under a huge timeout and none. */
        assert_int_equal(cmio_waker_wake(waker), 0);
        int n = pf(poll, events, &huge);
        assert_int_equal(n, 1);
        assert_int_equal(cmio_events_len(events), 1);
        assert_int_equal(cmio_event_token(cmio_events_get(events, 0)), TOK_WAKE);
        assert_true(cmio_event_is_readable(cmio_events_get(events, 0)));
        assert_int_equal(cmio_waker_wake(waker), 0);
        n = pf(poll, events, NULL);
        assert_int_equal(n, 1);
        assert_int_equal(cmio_event_token(cmio_events_get(events, 0)), TOK_WAKE);
    }
    cmio_waker_free(waker);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

int main(void)
{
    alarm(TEST_WATCHDOG_S);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_stream_both_forms),
        cmocka_unit_test(test_unix_stream_both_forms),
        cmocka_unit_test(test_udp_socket_both_forms),
        cmocka_unit_test(test_unix_datagram_both_forms),
        cmocka_unit_test(test_rearm_inline),
        cmocka_unit_test(test_rearm_exported),
        cmocka_unit_test(test_poll_both_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
