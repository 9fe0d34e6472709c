/* SPDX-License-Identifier: MIT */
/* cmio tests — cmio_tcp_listener: bind, accept, addresses, options, fd ownership, registration.
 * Everything runs on 127.0.0.1 / ::1 with ephemeral ports; every wait is a bounded event wait. */
#include <cmio/cmio.h>

#include <string.h>

#include "test_util.h"

#ifndef _WIN32
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "tcp_util.h"

/* ---- bind and local_addr ------------------------------------------------------------------- */

static void check_bind_local_addr(int family)
{
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr want, got;
    test_loopback(&want, family, 0);
    assert_int_equal(cmio_tcp_listener_bind(&l, &want), 0);
    assert_int_equal(cmio_tcp_listener_local_addr(&l, &got), 0);

    /* Same family and IP as requested, a real (ephemeral) port, and what the kernel says. */
    assert_int_equal(cmio_sockaddr_family(&got), family);
    assert_int_not_equal(cmio_sockaddr_port(&got), 0);
    assert_int_equal(cmio_sockaddr_set_port(&want, cmio_sockaddr_port(&got)), 0);
    assert_true(cmio_sockaddr_equal(&want, &got));

    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    test_sock fd = TEST_HANDLE(tcp_listener, &l);
    assert_true(fd != TEST_NO_SOCK);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(len, got.len);
    assert_memory_equal(&ss, &got.u, len);

    /* It really listens, non-blocking and close-on-exec. */
    int acc = 0;
    len = sizeof acc;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, (void *)&acc, &len), 0);
    assert_int_equal(acc, 1);
    assert_true(tcp_fd_nonblocking(fd));
    assert_true(tcp_fd_cloexec(fd));
    /* SO_REUSEADDR is set (mio does so on Unix); on Windows it is not (platform table reuseaddr:
     * there it would let another socket bind the same port), as mio. */
    int reuse = 0;
    len = sizeof reuse;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, (void *)&reuse, &len), 0);
#ifdef _WIN32
    assert_int_equal(reuse, 0);
#else
    assert_int_not_equal(reuse, 0);
#endif

    assert_int_equal(cmio_tcp_listener_close(&l), 0);
}

static void test_bind_local_addr_v4(void **state)
{
    (void)state;
    check_bind_local_addr(AF_INET);
}

static void test_bind_local_addr_v6(void **state)
{
    (void)state;
    if (!tcp_ipv6_supported()) {
        print_message("skipping: socket(AF_INET6) fails on this system: %s\n", strerror(errno));
        skip();
    }
    check_bind_local_addr(AF_INET6);
}

static void test_bind_addr_in_use(void **state)
{
    (void)state;
    cmio_tcp_listener a = CMIO_TCP_LISTENER_INIT, b = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr, again;
    tcp_listen(&a, AF_INET, &addr);
    int before = test_count_open_fds();
    /* SO_REUSEADDR does not let two sockets listen on one port (no SO_REUSEPORT). */
    assert_int_equal(cmio_tcp_listener_bind(&b, &addr), -EADDRINUSE);
    assert_int_equal(test_count_open_fds(), before); /* the failed socket was closed */
    assert_int_equal(cmio_tcp_listener_close(&a), 0);
    /* Once the first is closed, the same port binds again. */
    assert_int_equal(cmio_tcp_listener_bind(&b, &addr), 0);
    assert_int_equal(cmio_tcp_listener_local_addr(&b, &again), 0);
    assert_true(cmio_sockaddr_equal(&addr, &again));
    assert_int_equal(cmio_tcp_listener_close(&b), 0);
}

static void test_bind_bad_args(void **state)
{
    (void)state;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    int before = test_count_open_fds();

    test_loopback(&addr, AF_INET, 0);
    assert_int_equal(cmio_tcp_listener_bind(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_tcp_listener_bind(&l, NULL), -EINVAL);

    cmio_sockaddr empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(cmio_tcp_listener_bind(&l, &empty), -EINVAL);

    /* A family whose length does not match. */
    cmio_sockaddr bad = addr;
    bad.len = 0;
    assert_int_equal(cmio_tcp_listener_bind(&l, &bad), -EINVAL);
    bad.len = sizeof(struct sockaddr_in) - 1;
    assert_int_equal(cmio_tcp_listener_bind(&l, &bad), -EINVAL);
    bad.len = sizeof(struct sockaddr_in6);
    assert_int_equal(cmio_tcp_listener_bind(&l, &bad), -EINVAL);

    /* Not an IP family at all. */
    bad.u.sa.sa_family = AF_UNIX;
    bad.len = sizeof(struct sockaddr_in);
    assert_int_equal(cmio_tcp_listener_bind(&l, &bad), -EAFNOSUPPORT);

    /* Nothing was opened and the struct is untouched. */
    assert_int_equal(test_count_open_fds(), before);
    assert_int_equal(TEST_HANDLE(tcp_listener, &l), TEST_EMPTY_HANDLE);
}

static void test_local_addr_bad_args(void **state)
{
    (void)state;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    assert_int_equal(cmio_tcp_listener_local_addr(&l, &addr), -EBADF);
    tcp_listen(&l, AF_INET, &addr);
    assert_int_equal(cmio_tcp_listener_local_addr(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_tcp_listener_local_addr(&l, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    assert_int_equal(cmio_tcp_listener_local_addr(&l, &addr), -EBADF);
}

/* ---- accept -------------------------------------------------------------------------------- */

static void check_accept(int family)
{
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream client = CMIO_TCP_STREAM_INIT, server = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr, peer, client_local, server_local, server_peer;
    tcp_listen(&l, family, &addr);

    /* Nothing pending: would block, and the output struct is left alone. */
    assert_int_equal(cmio_tcp_listener_accept(&l, &server, &peer), -EAGAIN);
    assert_int_equal(TEST_HANDLE(tcp_stream, &server), TEST_EMPTY_HANDLE);

    tcp_pair_with(&l, &addr, &client, &server, &peer);

    test_sock fd = TEST_HANDLE(tcp_stream, &server);
    assert_true(fd != TEST_NO_SOCK);
    assert_true(tcp_fd_cloexec(fd));
    assert_true(tcp_fd_nonblocking(fd));

    /* The peer accept reported is the client's local address, and the two ends agree. */
    assert_int_equal(cmio_tcp_stream_local_addr(&client, &client_local), 0);
    assert_int_equal(cmio_sockaddr_family(&peer), family);
    assert_true(cmio_sockaddr_equal(&peer, &client_local));
    assert_int_equal(cmio_tcp_stream_peer_addr(&server, &server_peer), 0);
    assert_true(cmio_sockaddr_equal(&server_peer, &client_local));
    assert_int_equal(cmio_tcp_stream_local_addr(&server, &server_local), 0);
    assert_true(cmio_sockaddr_equal(&server_local, &addr));

    /* The accepted stream carries data both ways. */
    char buf[8];
    tcp_write_all(&client, "ping", 4);
    tcp_read_exact(&server, buf, 4);
    assert_memory_equal(buf, "ping", 4);
    tcp_write_all(&server, "pong", 4);
    tcp_read_exact(&client, buf, 4);
    assert_memory_equal(buf, "pong", 4);

    /* Drained again. */
    cmio_tcp_stream extra = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_listener_accept(&l, &extra, NULL), -EAGAIN);

    assert_int_equal(cmio_tcp_stream_close(&client), 0);
    assert_int_equal(cmio_tcp_stream_close(&server), 0);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
}

static void test_accept_v4(void **state)
{
    (void)state;
    check_accept(AF_INET);
}

static void test_accept_v6(void **state)
{
    (void)state;
    if (!tcp_ipv6_supported()) {
        print_message("skipping: socket(AF_INET6) fails on this system: %s\n", strerror(errno));
        skip();
    }
    check_accept(AF_INET6);
}

/* accept with a NULL peer, and several pending connections accepted until -EAGAIN after one
 * edge-triggered readable event. */
static void test_accept_null_peer_and_drain(void **state)
{
    (void)state;
    enum { N = 3 };
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream clients[N], servers[N];
    cmio_sockaddr addr;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 16), 0);
    tcp_listen(&l, AF_INET, &addr);
    assert_int_equal(cmio_tcp_listener_register(&l, cmio_poll_registry(poll), TCP_TOK_LISTENER,
                                                CMIO_INTEREST_READABLE),
                     0);

    for (int i = 0; i < N; i++) {
        assert_int_equal(cmio_tcp_stream_connect(&clients[i], &addr), 0);
        /* Wait until the connection is established (the client sees it writable). */
        assert_true(test_fd_wait(TEST_HANDLE(tcp_stream, &clients[i]), POLLOUT) & POLLOUT);
    }

    const cmio_event *e = tcp_wait_token(poll, events, TCP_TOK_LISTENER);
    assert_true(cmio_event_is_readable(e));
    assert_false(cmio_event_is_writable(e));

    int accepted = 0;
    for (;;) {
        int r = cmio_tcp_listener_accept(&l, &servers[accepted], NULL);
        if (r == -EAGAIN) {
            if (accepted == N)
                break;
            /* A handshake may still be finishing: the next edge comes with it. */
            tcp_wait_token(poll, events, TCP_TOK_LISTENER);
            continue;
        }
        assert_int_equal(r, 0);
        assert_true(TEST_HANDLE(tcp_stream, &servers[accepted]) != TEST_EMPTY_HANDLE);
        accepted++;
        assert_true(accepted <= N);
    }
    assert_int_equal(accepted, N);
    /* Every accepted stream is a distinct fd; each is connected to one of the clients. */
    for (int i = 0; i < N; i++) {
        cmio_sockaddr p;
        assert_int_equal(cmio_tcp_stream_peer_addr(&servers[i], &p), 0);
        int matches = 0;
        for (int j = 0; j < N; j++) {
            cmio_sockaddr local;
            assert_int_equal(cmio_tcp_stream_local_addr(&clients[j], &local), 0);
            matches += cmio_sockaddr_equal(&p, &local);
            if (j != i)
                assert_int_not_equal(TEST_HANDLE(tcp_stream, &servers[i]),
                                     TEST_HANDLE(tcp_stream, &servers[j]));
        }
        assert_int_equal(matches, 1);
    }

    for (int i = 0; i < N; i++) {
        assert_int_equal(cmio_tcp_stream_close(&clients[i]), 0);
        assert_int_equal(cmio_tcp_stream_close(&servers[i]), 0);
    }
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

static void test_accept_bad_args(void **state)
{
    (void)state;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream s = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr, peer;
    assert_int_equal(cmio_tcp_listener_accept(&l, &s, &peer), -EBADF); /* empty listener */
    tcp_listen(&l, AF_INET, &addr);
    assert_int_equal(cmio_tcp_listener_accept(NULL, &s, &peer), -EINVAL);
    assert_int_equal(cmio_tcp_listener_accept(&l, NULL, &peer), -EINVAL);
    assert_int_equal(cmio_tcp_listener_accept(&l, NULL, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    assert_int_equal(cmio_tcp_listener_accept(&l, &s, NULL), -EBADF);
    assert_int_equal(TEST_HANDLE(tcp_stream, &s), TEST_EMPTY_HANDLE);
}

/* ---- options ------------------------------------------------------------------------------- */

static void test_ttl(void **state)
{
    (void)state;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    uint32_t ttl = 0;
    tcp_listen(&l, AF_INET, &addr);

    assert_int_equal(cmio_tcp_listener_set_ttl(&l, 42), 0);
    assert_int_equal(cmio_tcp_listener_ttl(&l, &ttl), 0);
    assert_int_equal(ttl, 42);
    /* The kernel agrees. */
    int raw = 0;
    socklen_t len = sizeof raw;
    assert_int_equal(
        getsockopt(TEST_HANDLE(tcp_listener, &l), IPPROTO_IP, IP_TTL, (void *)&raw, &len), 0);
    assert_int_equal(raw, 42);

    assert_int_equal(cmio_tcp_listener_set_ttl(&l, 255), 0);
    assert_int_equal(cmio_tcp_listener_ttl(&l, &ttl), 0);
    assert_int_equal(ttl, 255);

    /* Out of range for IP: the kernel refuses and the value is unchanged. */
    assert_int_equal(cmio_tcp_listener_set_ttl(&l, 256), -EINVAL);
    assert_int_equal(cmio_tcp_listener_set_ttl(&l, 0), -EINVAL);
    assert_int_equal(cmio_tcp_listener_set_ttl(&l, UINT32_MAX), -EINVAL);
    assert_int_equal(cmio_tcp_listener_ttl(&l, &ttl), 0);
    assert_int_equal(ttl, 255);

    /* Accepted streams inherit the listener's TTL. */
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_listener_set_ttl(&l, 17), 0);
    tcp_pair_with(&l, &addr, &c, &s, NULL);
    assert_int_equal(cmio_tcp_stream_ttl(&s, &ttl), 0);
    assert_int_equal(ttl, 17);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);

    assert_int_equal(cmio_tcp_listener_set_ttl(NULL, 1), -EINVAL);
    assert_int_equal(cmio_tcp_listener_ttl(NULL, &ttl), -EINVAL);
    assert_int_equal(cmio_tcp_listener_ttl(&l, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    assert_int_equal(cmio_tcp_listener_set_ttl(&l, 1), -EBADF);
    assert_int_equal(cmio_tcp_listener_ttl(&l, &ttl), -EBADF);
}

static void test_take_error(void **state)
{
    (void)state;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    int err = 12345;
    tcp_listen(&l, AF_INET, &addr);
    assert_int_equal(cmio_tcp_listener_take_error(&l, &err), 0);
    assert_int_equal(err, 0);
    assert_int_equal(cmio_tcp_listener_take_error(NULL, &err), -EINVAL);
    assert_int_equal(cmio_tcp_listener_take_error(&l, NULL), -EINVAL);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    assert_int_equal(cmio_tcp_listener_take_error(&l, &err), -EBADF);

    /* A pending SO_ERROR is reported as a negative errno, then cleared. A UDP socket connected to
     * a closed port gets ECONNREFUSED from the ICMP reply; wrap it to read it through the API
     * (take_error is a plain SO_ERROR query, whatever the socket type). */
    cmio_sockaddr closed;
    tcp_closed_port(&closed, AF_INET);
    test_sock u = test_raw_socket(AF_INET, SOCK_DGRAM);
    assert_true(u != TEST_NO_SOCK);
    assert_int_equal(connect(u, &closed.u.sa, closed.len), 0);
    assert_int_equal(send(u, "x", 1, 0), 1);
    assert_true(test_wait_sock_error(u));
    assert_int_equal(TEST_FROM_HANDLE(tcp_listener, &l, u), 0);
    assert_int_equal(cmio_tcp_listener_take_error(&l, &err), 0);
    assert_int_equal(err, -ECONNREFUSED);
    assert_int_equal(cmio_tcp_listener_take_error(&l, &err), 0);
    test_assert_error_cleared(err, -ECONNREFUSED);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
}

/* ---- fd ownership: from_fd, as_fd, into_fd, close ------------------------------------------ */

static void test_from_fd_as_fd(void **state)
{
    (void)state;
    /* A blocking listening socket made with plain system calls. */
    test_sock fd = test_raw_socket(AF_INET, SOCK_STREAM);
    assert_true(fd != TEST_NO_SOCK);
    cmio_sockaddr addr;
    test_loopback(&addr, AF_INET, 0);
    assert_int_equal(bind(fd, &addr.u.sa, addr.len), 0);
    assert_int_equal(listen(fd, 16), 0);
#ifndef _WIN32 /* Windows: blocking when made (its probe would block here) */
    assert_false(tcp_fd_nonblocking(fd));
#endif

    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    assert_int_equal(TEST_FROM_HANDLE(tcp_listener, &l, fd), 0);
    assert_int_equal(TEST_HANDLE(tcp_listener, &l), fd);
    assert_true(tcp_fd_nonblocking(fd));

    /* Non-blocking now: accept with nothing pending returns at once. */
    cmio_tcp_stream s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_listener_accept(&l, &s, NULL), -EAGAIN);

    /* And it works as a listener. */
    cmio_sockaddr bound, peer;
    assert_int_equal(cmio_tcp_listener_local_addr(&l, &bound), 0);
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT;
    tcp_pair_with(&l, &bound, &c, &s, &peer);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);

    /* The listener owns the fd: close closes it. */
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    assert_false(test_fd_is_open(fd));

    assert_int_equal(TEST_FROM_HANDLE(tcp_listener, NULL, 0), -EINVAL);
    assert_int_equal(TEST_FROM_HANDLE(tcp_listener, &l, TEST_NO_SOCK), -EBADF);
    assert_int_equal(TEST_HANDLE(tcp_listener, NULL), TEST_NULL_HANDLE);
    assert_int_equal(TEST_HANDLE(tcp_listener, &l), TEST_EMPTY_HANDLE);
}

static void test_into_fd(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_listen(&l, AF_INET, &addr);
    assert_int_equal(cmio_tcp_listener_register(&l, cmio_poll_registry(poll), TCP_TOK_LISTENER,
                                                CMIO_INTEREST_READABLE),
                     0);
    test_sock fd = TEST_HANDLE(tcp_listener, &l);

    assert_int_equal(TEST_INTO_HANDLE(tcp_listener, &l), fd);
    /* The struct is empty and the fd is still open, now the caller's. */
    assert_int_equal(TEST_HANDLE(tcp_listener, &l), TEST_EMPTY_HANDLE);
    assert_int_equal(TEST_INTO_HANDLE(tcp_listener, &l), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_tcp_listener_close(&l), -EBADF);
    assert_true(test_fd_is_open(fd));

    /* It was deregistered: a connection makes the fd readable but the poll reports nothing. */
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_stream_connect(&c, &addr), 0);
    assert_true(test_fd_wait(fd, POLLIN) & POLLIN);
    tcp_assert_no_event(poll, events, TCP_TOK_LISTENER);
    /* Deregistered in the kernel too: the raw fd can be registered afresh. */
    assert_int_equal(
        test_register_sock(cmio_poll_registry(poll), fd, TCP_TOK_LISTENER, CMIO_INTEREST_READABLE),
        0);
    tcp_wait_token(poll, events, TCP_TOK_LISTENER);
    assert_int_equal(test_deregister_sock(cmio_poll_registry(poll), fd), 0);

    test_sock s = accept(fd, NULL, NULL);
    assert_true(s != TEST_NO_SOCK);
    test_sock_close(s);
    assert_int_equal(test_sock_close(fd), 0);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(TEST_INTO_HANDLE(tcp_listener, NULL), TEST_NULL_HANDLE);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

#ifndef _WIN32 /* dup(): a Winsock handle has no in-process duplicate sharing the socket */
/* close() of a registered listener removes it from the poll explicitly: a dup() of its fd keeps
 * the open file (and so the epoll registration, were it left) alive, yet no event follows. */
static void test_close_deregisters(void **state)
{
    (void)state;
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_listen(&l, AF_INET, &addr);
    assert_int_equal(cmio_tcp_listener_register(&l, cmio_poll_registry(poll), TCP_TOK_LISTENER,
                                                CMIO_INTEREST_READABLE),
                     0);
    test_sock fd = TEST_HANDLE(tcp_listener, &l);
    int dupfd = dup(fd);
    assert_true(dupfd >= 0);

    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    assert_int_equal(TEST_HANDLE(tcp_listener, &l), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_tcp_listener_close(&l), -EBADF);

    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_stream_connect(&c, &addr), 0);
    assert_true(test_fd_wait(dupfd, POLLIN) & POLLIN);   /* the socket is readable … */
    tcp_assert_no_event(poll, events, TCP_TOK_LISTENER); /* … and nobody is told */

    assert_int_equal(close(dupfd), 0);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_listener_close(NULL), -EINVAL);
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
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_poll_new(&other), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    cmio_registry *reg = cmio_poll_registry(poll);
    tcp_listen(&l, AF_INET, &addr);

    /* Not registered yet. */
    assert_int_equal(cmio_tcp_listener_reregister(&l, reg, 1, CMIO_INTEREST_READABLE), -ENOENT);
    assert_int_equal(cmio_tcp_listener_deregister(&l, reg), -ENOENT);
    /* Bad arguments. */
    assert_int_equal(cmio_tcp_listener_register(&l, reg, 1, 0), -EINVAL);
    assert_int_equal(cmio_tcp_listener_register(NULL, reg, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_tcp_listener_register(&l, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);

    assert_int_equal(cmio_tcp_listener_register(&l, reg, 1, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_tcp_listener_register(&l, reg, 2, CMIO_INTEREST_READABLE), -EEXIST);
    assert_int_equal(
        cmio_tcp_listener_register(&l, cmio_poll_registry(other), 2, CMIO_INTEREST_READABLE),
        -EEXIST);
    assert_int_equal(cmio_tcp_listener_reregister(&l, reg, 1, 0), -EINVAL);
    assert_int_equal(cmio_tcp_listener_reregister(NULL, reg, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_tcp_listener_reregister(&l, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_tcp_listener_deregister(NULL, reg), -EINVAL);
    assert_int_equal(cmio_tcp_listener_deregister(&l, NULL), -EINVAL);
    /* Registered with another poll. */
    assert_int_equal(
        cmio_tcp_listener_reregister(&l, cmio_poll_registry(other), 1, CMIO_INTEREST_READABLE),
        -EINVAL);
    assert_int_equal(cmio_tcp_listener_deregister(&l, cmio_poll_registry(other)), -EINVAL);

    /* Token 1: a connection produces a readable event with token 1. */
    cmio_tcp_stream c1 = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_stream_connect(&c1, &addr), 0);
    const cmio_event *e = tcp_wait_token(poll, events, 1);
    assert_true(cmio_event_is_readable(e));
    assert_null(test_find_token(events, 2));
    assert_int_equal(cmio_tcp_listener_accept(&l, &s, NULL), 0);
    assert_int_equal(cmio_tcp_listener_accept(&l, &s, NULL), -EAGAIN);
    assert_int_equal(cmio_tcp_stream_close(&s), 0);

    /* Reregistered as token 2: the next connection is reported under 2, never 1. */
    assert_int_equal(cmio_tcp_listener_reregister(&l, reg, 2, CMIO_INTEREST_READABLE), 0);
    cmio_tcp_stream c2 = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_stream_connect(&c2, &addr), 0);
    e = tcp_wait_token(poll, events, 2);
    assert_true(cmio_event_is_readable(e));
    assert_null(test_find_token(events, 1));

    /* Deregistered: with a connection pending (readable), no event at all. */
    assert_int_equal(cmio_tcp_listener_deregister(&l, reg), 0);
    assert_int_equal(cmio_tcp_listener_deregister(&l, reg), -ENOENT);
    cmio_tcp_stream c3 = CMIO_TCP_STREAM_INIT;
    assert_int_equal(cmio_tcp_stream_connect(&c3, &addr), 0);
    assert_true(test_fd_wait(TEST_HANDLE(tcp_listener, &l), POLLIN) & POLLIN);
    assert_int_equal(test_poll_now(poll, events), 0); /* neither token 1 nor 2: nothing */

    /* It can then be registered with the other poll, which sees the pending connections. */
    assert_int_equal(
        cmio_tcp_listener_register(&l, cmio_poll_registry(other), 3, CMIO_INTEREST_READABLE), 0);
    e = tcp_wait_token(other, events, 3);
    assert_true(cmio_event_is_readable(e));
    tcp_assert_no_event(poll, events, 3);

    assert_int_equal(cmio_tcp_stream_close(&c1), 0);
    assert_int_equal(cmio_tcp_stream_close(&c2), 0);
    assert_int_equal(cmio_tcp_stream_close(&c3), 0);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    /* A closed listener cannot be registered. */
    assert_int_equal(cmio_tcp_listener_register(&l, reg, 1, CMIO_INTEREST_READABLE), -EBADF);
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
    cmio_tcp_listener l4 = CMIO_TCP_LISTENER_INIT, l6 = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream c = CMIO_TCP_STREAM_INIT, s = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    tcp_listen(&l4, AF_INET, &addr);
    bool v6 = tcp_ipv6_supported();
    if (v6) {
        cmio_sockaddr a6;
        tcp_listen(&l6, AF_INET6, &a6);
        assert_int_equal(
            cmio_tcp_listener_register(&l6, cmio_poll_registry(poll), 6, CMIO_INTEREST_READABLE),
            0);
    }
    assert_int_equal(
        cmio_tcp_listener_register(&l4, cmio_poll_registry(poll), 4, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_tcp_stream_connect(&c, &addr), 0);
    tcp_wait_token(poll, events, 4);
    assert_int_equal(cmio_tcp_listener_accept(&l4, &s, NULL), 0);
    assert_int_equal(test_count_open_fds(),
                     before + 3 + test_poll_fds() + (v6 ? 1 : 0) + test_backend_fds(v6 ? 2 : 1));

    assert_int_equal(cmio_tcp_stream_close(&s), 0);
    assert_int_equal(cmio_tcp_stream_close(&c), 0);
    assert_int_equal(cmio_tcp_listener_close(&l4), 0);
    if (v6)
        assert_int_equal(cmio_tcp_listener_close(&l6), 0);
    cmio_events_free(events);
    cmio_poll_free(poll);
    assert_int_equal(test_count_open_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_local_addr_v4),
        cmocka_unit_test(test_bind_local_addr_v6),
        cmocka_unit_test(test_bind_addr_in_use),
        cmocka_unit_test(test_bind_bad_args),
        cmocka_unit_test(test_local_addr_bad_args),
        cmocka_unit_test(test_accept_v4),
        cmocka_unit_test(test_accept_v6),
        cmocka_unit_test(test_accept_null_peer_and_drain),
        cmocka_unit_test(test_accept_bad_args),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_take_error),
        cmocka_unit_test(test_from_fd_as_fd),
        cmocka_unit_test(test_into_fd),
#ifndef _WIN32
        cmocka_unit_test(test_close_deregisters),
#endif
        cmocka_unit_test(test_register_reregister_deregister),
        cmocka_unit_test(test_no_fd_leak),
    };
    return cmocka_run_group_tests_name("tcp_listener", tests, tcp_group_setup, tcp_group_teardown);
}
