/* SPDX-License-Identifier: MIT */
/* cmio tests — an all-zero socket struct is empty, on every type: every operation on it returns
 * -EBADF and closing it touches no fd (not fd 0, which an all-zero fd field would name). Static
 * storage, calloc'd connection tables and `= {0}` are the natural C patterns. The CMIO_*_INIT
 * macros are the same empty value. */
#include <cmio/cmio.h>

#include <stdlib.h>

#include "test_util.h"

#define R CMIO_INTEREST_READABLE

#ifdef _WIN32
/* Windows: an all-zero struct holds INVALID_SOCKET, and no handle is 0 (handle values start at 4):
 * there is no socket an empty struct could name by mistake, nothing to guard. */
static int setup(void **state)
{
    (void)state;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return 0;
}

static void assert_stdin_untouched(void) {}
#else
/* fd 0 is made a pipe holding one byte; an operation that wrongly used fd 0 would read that byte,
 * write into the pipe or close it. */
static int saved_stdin = -1, stdin_peer = -1;

static int setup(void **state)
{
    (void)state;
    int p[2];
    saved_stdin = dup(0);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(dup2(p[0], 0), 0);
    close(p[0]);
    assert_int_equal(write(p[1], "S", 1), 1);
    stdin_peer = p[1];
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close(stdin_peer);
    if (saved_stdin >= 0) {
        dup2(saved_stdin, 0);
        close(saved_stdin);
    } else {
        close(0);
    }
    return 0;
}

/* fd 0 is still the pipe, still open, and its byte is still unread. */
static void assert_stdin_untouched(void)
{
    assert_true(test_fd_is_open(0));
    int avail = -1;
    struct pollfd p = {.fd = 0, .events = POLLIN, .revents = 0};
    assert_int_equal(poll(&p, 1, 0), 1);
    assert_true(p.revents & POLLIN);
    (void)avail;
}
#endif

/* The empty value, field by field (padding bytes may differ). */
static void assert_empty_source(const cmio_io_source *src)
{
    assert_int_equal(src->fd1, 0);
    assert_false(src->rearm);
    assert_null(src->sel);
}

struct ctx {
    cmio_poll *poll;
    cmio_registry *reg;
};

static struct ctx open_ctx(void)
{
    struct ctx c;
    assert_int_equal(cmio_poll_new(&c.poll), 0);
    c.reg = cmio_poll_registry(c.poll);
    return c;
}

/* The operations every socket type has, on an empty struct of that type. */
#define CHECK_SOURCE_OPS(T, s, c)                                                                  \
    do {                                                                                           \
        assert_int_equal(TEST_HANDLE(T, &(s)), TEST_EMPTY_HANDLE);                                 \
        assert_int_equal(cmio_##T##_register(&(s), (c).reg, 1, R), -EBADF);                        \
        assert_int_equal(cmio_##T##_reregister(&(s), (c).reg, 1, R), -EBADF);                      \
        assert_int_equal(cmio_##T##_deregister(&(s), (c).reg), -EBADF);                            \
        assert_int_equal(TEST_INTO_HANDLE(T, &(s)), TEST_EMPTY_HANDLE);                            \
        assert_int_equal(cmio_##T##_close(&(s)), -EBADF);                                          \
        assert_int_equal(cmio_##T##_close(&(s)), -EBADF);                                          \
    } while (0)

static void test_tcp_listener_zeroed(void **state)
{
    (void)state;
    struct ctx c = open_ctx();
    cmio_tcp_listener l;
    memset(&l, 0, sizeof l);
    cmio_tcp_stream out;
    cmio_sockaddr addr;
    uint32_t ttl;
    int err;
    assert_int_equal(cmio_tcp_listener_accept(&l, &out, NULL), -EBADF);
    assert_int_equal(cmio_tcp_listener_local_addr(&l, &addr), -EBADF);
    assert_int_equal(cmio_tcp_listener_set_ttl(&l, 64), -EBADF);
    assert_int_equal(cmio_tcp_listener_ttl(&l, &ttl), -EBADF);
    assert_int_equal(cmio_tcp_listener_take_error(&l, &err), -EBADF);
    CHECK_SOURCE_OPS(tcp_listener, l, c);
    cmio_tcp_listener init = CMIO_TCP_LISTENER_INIT;
    assert_empty_source(&init.src);
    assert_empty_source(&l.src); /* still the empty value */
    assert_stdin_untouched();
    cmio_poll_free(c.poll);
}

static void test_tcp_stream_zeroed(void **state)
{
    (void)state;
    struct ctx c = open_ctx();
    cmio_tcp_stream s = {0};
    char buf[4] = {0}; /* handed to the kernel (sendmsg on fd -1): initialised for valgrind */
    struct iovec iov = {buf, sizeof buf};
    cmio_sockaddr addr;
    bool b;
    uint32_t ttl;
    int err;
    assert_int_equal(cmio_tcp_stream_read(&s, buf, sizeof buf), -EBADF);
    assert_int_equal((cmio_tcp_stream_read)(&s, buf, sizeof buf), -EBADF);
    assert_int_equal(cmio_tcp_stream_peek(&s, buf, sizeof buf), -EBADF);
    assert_int_equal(cmio_tcp_stream_write(&s, "w", 1), -EBADF);
    assert_int_equal((cmio_tcp_stream_write)(&s, "w", 1), -EBADF);
    assert_int_equal(cmio_tcp_stream_readv(&s, &iov, 1), -EBADF);
    assert_int_equal(cmio_tcp_stream_writev(&s, &iov, 1), -EBADF);
    assert_int_equal(cmio_tcp_stream_peer_addr(&s, &addr), -EBADF);
    assert_int_equal(cmio_tcp_stream_local_addr(&s, &addr), -EBADF);
    assert_int_equal(cmio_tcp_stream_shutdown(&s, CMIO_SHUTDOWN_BOTH), -EBADF);
    assert_int_equal(cmio_tcp_stream_set_nodelay(&s, true), -EBADF);
    assert_int_equal(cmio_tcp_stream_nodelay(&s, &b), -EBADF);
    assert_int_equal(cmio_tcp_stream_set_ttl(&s, 1), -EBADF);
    assert_int_equal(cmio_tcp_stream_ttl(&s, &ttl), -EBADF);
    assert_int_equal(cmio_tcp_stream_take_error(&s, &err), -EBADF);
    CHECK_SOURCE_OPS(tcp_stream, s, c);
    assert_stdin_untouched();
    cmio_poll_free(c.poll);
}

static void test_udp_socket_zeroed(void **state)
{
    (void)state;
    struct ctx c = open_ctx();
    static cmio_udp_socket s; /* static storage: all zero */
    char buf[4] = {0};
    cmio_sockaddr addr, from;
    test_loopback(&addr, AF_INET, 9);
    bool b;
    uint32_t v;
    int err;
    cmio_udp_msg msg = {.buf = buf, .len = sizeof buf};
    assert_int_equal(cmio_udp_socket_recv(&s, buf, sizeof buf), -EBADF);
    assert_int_equal(cmio_udp_socket_peek(&s, buf, sizeof buf), -EBADF);
    assert_int_equal(cmio_udp_socket_send(&s, "w", 1), -EBADF);
    assert_int_equal(cmio_udp_socket_recv_from(&s, buf, sizeof buf, &from), -EBADF);
    assert_int_equal(cmio_udp_socket_peek_from(&s, buf, sizeof buf, &from), -EBADF);
    assert_int_equal(cmio_udp_socket_send_to(&s, "w", 1, &addr), -EBADF);
    assert_int_equal(cmio_udp_socket_connect(&s, &addr), -EBADF);
    assert_int_equal(cmio_udp_socket_local_addr(&s, &from), -EBADF);
    assert_int_equal(cmio_udp_socket_peer_addr(&s, &from), -EBADF);
    assert_int_equal(cmio_udp_socket_set_broadcast(&s, true), -EBADF);
    assert_int_equal(cmio_udp_socket_broadcast(&s, &b), -EBADF);
    assert_int_equal(cmio_udp_socket_set_ttl(&s, 3), -EBADF);
    assert_int_equal(cmio_udp_socket_ttl(&s, &v), -EBADF);
    assert_int_equal(cmio_udp_socket_take_error(&s, &err), -EBADF);
#ifdef CMIO_HAVE_UDP_SOCKET_SEND_BATCH
    assert_int_equal(cmio_udp_socket_send_batch(&s, &msg, 1), -EBADF);
    assert_int_equal(cmio_udp_socket_recv_batch(&s, &msg, 1), -EBADF);
#endif
    (void)msg;
    CHECK_SOURCE_OPS(udp_socket, s, c);
    assert_stdin_untouched();
    cmio_poll_free(c.poll);
}

#if CMIO_HAVE_UNIX_STREAM /* Unix-domain sockets (not on Windows, as in mio) */
static void test_unix_types_zeroed(void **state)
{
    (void)state;
    struct ctx c = open_ctx();
    /* A calloc'd connection table. */
    cmio_unix_stream *table = calloc(4, sizeof *table);
    assert_non_null(table);
    cmio_unix_listener *ls = calloc(1, sizeof *ls);
    cmio_unix_datagram *ds = calloc(1, sizeof *ds);
    assert_non_null(ls);
    assert_non_null(ds);
    char buf[4] = {0};
    int fds[1] = {1};
    int got[2];
    cmio_fd_buf fdb = {.fds = got, .cap = 2};
    cmio_unix_addr ua;
    cmio_unix_stream out;
    int err;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cmio_unix_stream_read(&table[i], buf, sizeof buf), -EBADF);
        assert_int_equal(cmio_unix_stream_write(&table[i], "w", 1), -EBADF);
        assert_int_equal(cmio_unix_stream_send_fds(&table[i], "w", 1, fds, 1), -EBADF);
        assert_int_equal(cmio_unix_stream_recv_fds(&table[i], buf, sizeof buf, &fdb), -EBADF);
        assert_int_equal(cmio_unix_stream_local_addr(&table[i], &ua), -EBADF);
        assert_int_equal(cmio_unix_stream_take_error(&table[i], &err), -EBADF);
        assert_int_equal(cmio_unix_stream_shutdown(&table[i], CMIO_SHUTDOWN_READ), -EBADF);
        CHECK_SOURCE_OPS(unix_stream, table[i], c);
    }
    assert_int_equal(cmio_unix_listener_accept(ls, &out, NULL), -EBADF);
    assert_int_equal(cmio_unix_listener_local_addr(ls, &ua), -EBADF);
    CHECK_SOURCE_OPS(unix_listener, *ls, c);
    assert_int_equal(cmio_unix_datagram_recv(ds, buf, sizeof buf), -EBADF);
    assert_int_equal(cmio_unix_datagram_send(ds, "w", 1), -EBADF);
    assert_int_equal(cmio_unix_datagram_recv_from(ds, buf, sizeof buf, &ua), -EBADF);
    assert_int_equal(cmio_unix_datagram_send_to(ds, "w", 1, "/nonexistent/x"), -EBADF);
    assert_int_equal(cmio_unix_datagram_send_fds(ds, "w", 1, fds, 1), -EBADF);
    assert_int_equal(cmio_unix_datagram_recv_fds(ds, buf, sizeof buf, &fdb), -EBADF);
    CHECK_SOURCE_OPS(unix_datagram, *ds, c);
    free(table);
    free(ls);
    free(ds);
    assert_stdin_untouched();
    cmio_poll_free(c.poll);
}

/* A struct that held a socket and was closed (or released) is empty again, the same value as
 * CMIO_*_INIT and all zero. */
static void test_closed_is_empty_again(void **state)
{
    (void)state;
    cmio_unix_stream a, b;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int fd = cmio_unix_stream_into_fd(&b);
    assert_true(fd > 0);
    close(fd);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_empty_source(&a.src);
    assert_empty_source(&b.src);
    assert_int_equal(cmio_unix_stream_close(&a), -EBADF);
    assert_stdin_untouched();
}
#endif

/* The same with TCP, on every platform: a listener released and a stream closed are empty. */
static void test_closed_is_empty_again_tcp(void **state)
{
    (void)state;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr;
    test_loopback(&addr, AF_INET, 0);
    assert_int_equal(cmio_tcp_listener_bind(&l, &addr), 0);
    assert_int_equal(cmio_tcp_listener_local_addr(&l, &addr), 0);
    assert_int_equal(cmio_tcp_stream_connect(&c, &addr), 0);
    test_sock h = TEST_INTO_HANDLE(tcp_listener, &l);
    assert_true(TEST_VALID_HANDLE(h));
    assert_int_equal(test_sock_close(h), 0);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_empty_source(&l.src);
    assert_empty_source(&c.src);
    assert_int_equal(cmio_tcp_listener_close(&l), -EBADF);
    assert_int_equal(cmio_tcp_stream_close(&c), -EBADF);
    assert_stdin_untouched();
}

/* Failed constructors leave their output untouched (an empty struct stays empty). */
static void test_failed_constructor_leaves_output(void **state)
{
    (void)state;
    cmio_tcp_stream s;
    memset(&s, 0xA5, sizeof s);
    cmio_tcp_stream before = s;
    cmio_sockaddr bad;
    memset(&bad, 0, sizeof bad);
    assert_int_equal(cmio_tcp_stream_connect(&s, &bad), -EINVAL);
    assert_memory_equal(&s, &before, sizeof s);
#if CMIO_HAVE_UNIX_LISTENER
    cmio_unix_listener l = {0};
    assert_int_equal(cmio_unix_listener_bind(&l, "/nonexistent-dir-cmio/x"), -ENOENT);
    assert_empty_source(&l.src);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tcp_listener_zeroed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_stream_zeroed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_socket_zeroed, setup, teardown),
#if CMIO_HAVE_UNIX_STREAM
        cmocka_unit_test_setup_teardown(test_unix_types_zeroed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_is_empty_again, setup, teardown),
#endif
        cmocka_unit_test_setup_teardown(test_closed_is_empty_again_tcp, setup, teardown),
        cmocka_unit_test(test_failed_constructor_leaves_output),
    };
    test_alarm(TEST_WATCHDOG_S);
    return cmocka_run_group_tests_name("empty", tests, NULL, NULL);
}
