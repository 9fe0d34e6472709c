/* SPDX-License-Identifier: MIT */
/* cmio tests — cmio_unix_listener: bind by path and by address (abstract on Linux), accept
 * (non-blocking, close-on-exec, -EAGAIN when nothing is pending, edge-triggered readiness),
 * local_addr, take_error, fd ownership (from_fd/as_fd/into_fd), registration and close. Every
 * socket file lives in a per-test temporary directory; every wait is a bounded event wait. */
#include <cmio/cmio.h>

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "test_util.h"

#include "unix_util.h"

static void test_bind_path(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "l.sock", path, sizeof path);
    assert_false(ux_file_exists(path));

    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    assert_true(ux_is_socket_file(path));
    int fd = cmio_unix_listener_as_fd(&l);
    assert_true(fd >= 0);
    assert_true(ux_fd_nonblocking(fd));
    assert_true(ux_fd_cloexec(fd));
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    assert_int_equal(type, SOCK_STREAM);
    len = sizeof listening;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len), 0);
    assert_int_equal(listening, 1);

    cmio_unix_addr local, want;
    assert_int_equal(cmio_unix_listener_local_addr(&l, &local), 0);
    assert_int_equal(cmio_unix_addr_from_pathname(&want, path), 0);
    assert_true(cmio_unix_addr_equal(&local, &want));
    assert_string_equal(cmio_unix_addr_as_pathname(&local), path);

    /* The file exists now: a second bind fails and leaves no fd behind. */
    int before = test_count_open_fds();
    cmio_unix_listener l2 = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l2, path), -EADDRINUSE);
    assert_int_equal(cmio_unix_listener_as_fd(&l2), -EBADF);
    assert_int_equal(test_count_open_fds(), before);

    assert_int_equal(cmio_unix_listener_close(&l), 0);
    assert_int_equal(cmio_unix_listener_as_fd(&l), -EBADF);
    /* Closing does not remove the file (the caller unlinks it). */
    assert_true(ux_is_socket_file(path));
}

static void test_bind_missing_dir(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "nodir/l.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), -ENOENT);
    assert_int_equal(cmio_unix_listener_bind(&l, ""), -EINVAL);
    assert_int_equal(cmio_unix_listener_as_fd(&l), -EBADF);
}

static void test_bind_addr_pathname(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "ba.sock", path, sizeof path);
    cmio_unix_addr addr, local;
    assert_int_equal(cmio_unix_addr_from_pathname(&addr, path), 0);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind_addr(&l, &addr), 0);
    assert_true(ux_is_socket_file(path));
    assert_int_equal(cmio_unix_listener_local_addr(&l, &local), 0);
    assert_true(cmio_unix_addr_equal(&local, &addr));

    /* Reachable through connect_addr. */
    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_connect_addr(&c, &addr), 0);
    const cmio_event *e = ux_wait_token(ctx, UX_TOK_LISTENER);
    assert_true(cmio_event_is_readable(e));
    assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), 0);
    ux_write_all(&c, "hi", 2);
    char buf[2];
    ux_read_exact(&s, buf, 2);
    assert_memory_equal(buf, "hi", 2);
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

static void test_bind_addr_unnamed_invalid(void **state)
{
    (void)state;
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    cmio_unix_addr bad;
    memset(&bad, 0, sizeof bad);
    bad.sun.sun_family = AF_INET; /* not a Unix address at all */
    bad.len = sizeof(bad.sun);
    int before = test_count_open_fds();
    assert_int_equal(cmio_unix_listener_bind_addr(&l, &bad), -EINVAL);
    bad.sun.sun_family = AF_UNIX;
    bad.len = sizeof(bad.sun) + 1; /* longer than the struct */
    assert_int_equal(cmio_unix_listener_bind_addr(&l, &bad), -EINVAL);
    assert_int_equal(cmio_unix_listener_as_fd(&l), -EBADF);
    assert_int_equal(test_count_open_fds(), before);
}

#if CMIO_HAVE_ABSTRACT_NAMES
static void test_linux_only_bind_addr_abstract(void **state)
{
    ux_ctx *ctx = *state;
    char name[96];
    size_t nlen = ux_abstract_name(name, sizeof name, "lst");
    cmio_unix_addr addr, local, peer;
    assert_int_equal(cmio_unix_addr_from_abstract_name(&addr, name, nlen), 0);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind_addr(&l, &addr), 0);
    assert_int_equal(ux_dir_entries(ctx), 0); /* no file anywhere we look */
    assert_int_equal(cmio_unix_listener_local_addr(&l, &local), 0);
    assert_true(cmio_unix_addr_equal(&local, &addr));
    size_t glen = 0;
    const void *g = cmio_unix_addr_as_abstract_name(&local, &glen);
    assert_int_equal(glen, nlen);
    assert_memory_equal(g, name, nlen);

    /* The same name again is in use. */
    cmio_unix_listener l2 = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind_addr(&l2, &addr), -EADDRINUSE);

    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_connect_addr(&c, &addr), 0);
    ux_wait_token(ctx, UX_TOK_LISTENER);
    assert_int_equal(cmio_unix_listener_accept(&l, &s, &peer), 0);
    assert_true(cmio_unix_addr_is_unnamed(&peer));
    assert_int_equal(cmio_unix_stream_peer_addr(&c, &peer), 0);
    assert_true(cmio_unix_addr_equal(&peer, &addr));
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);

    /* Closed: the name is free again (abstract names vanish with their socket). */
    assert_int_equal(cmio_unix_listener_bind_addr(&l2, &addr), 0);
    assert_int_equal(cmio_unix_listener_close(&l2), 0);
}
#endif

static void test_accept_nothing_pending(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "a.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    cmio_unix_stream s = CMIO_UNIX_STREAM_INIT;
    cmio_unix_addr peer;
    assert_int_equal(cmio_unix_listener_accept(&l, &s, &peer), -EAGAIN);
    assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), -EAGAIN);
    assert_int_equal(cmio_unix_stream_as_fd(&s), -EBADF); /* untouched */
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

static void test_accept_cloexec_nonblocking(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "acc.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
    cmio_unix_addr peer;
    memset(&peer, 0x5a, sizeof peer);
    ux_connect_accept(ctx, &l, path, &c, &s, &peer);

    int fd = cmio_unix_stream_as_fd(&s);
    assert_true(fd >= 0);
    assert_true(ux_fd_nonblocking(fd));
    assert_true(ux_fd_cloexec(fd));
    /* The client is unbound, so accept reports an unnamed peer. */
    assert_true(cmio_unix_addr_is_unnamed(&peer));
    /* The accepted end's local address is the listener's path. */
    cmio_unix_addr local;
    assert_int_equal(cmio_unix_stream_local_addr(&s, &local), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&local), path);

    /* Non-blocking: a read with nothing there returns at once. */
    char b;
    assert_int_equal(cmio_unix_stream_read(&s, &b, 1), -EAGAIN);
    /* Not registered: registering it works (no -EEXIST). */
    assert_int_equal(cmio_unix_stream_register(&s, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE),
                     0);
    ux_write_all(&c, "z", 1);
    const cmio_event *e = ux_wait_token(ctx, UX_TOK_SERVER);
    assert_true(cmio_event_is_readable(e));
    assert_int_equal(cmio_unix_stream_read(&s, &b, 1), 1);
    assert_int_equal(b, 'z');

    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

/* Accepted peers from a bound client show its path. */
static void test_accept_peer_pathname(void **state)
{
    ux_ctx *ctx = *state;
    char lpath[64], cpath[64];
    ux_path(ctx, "srv.sock", lpath, sizeof lpath);
    ux_path(ctx, "cli.sock", cpath, sizeof cpath);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, lpath), 0);

    /* A client bound to its own path before connecting (raw socket, adopted with from_fd). */
    int fd = test_socket(AF_UNIX, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    cmio_unix_addr caddr, laddr;
    assert_int_equal(cmio_unix_addr_from_pathname(&caddr, cpath), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&caddr.sun, caddr.len), 0);
    assert_int_equal(cmio_unix_addr_from_pathname(&laddr, lpath), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&laddr.sun, laddr.len), 0);
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_from_fd(&c, fd), 0);

    cmio_unix_addr peer;
    assert_true(test_fd_wait(cmio_unix_listener_as_fd(&l), POLLIN) & POLLIN);
    assert_int_equal(cmio_unix_listener_accept(&l, &s, &peer), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&peer), cpath);
    assert_true(cmio_unix_addr_equal(&peer, &caddr));
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

/* Edge-triggered: one event for several pending connections; accept drains them all, then a new
 * connection brings a new event. */
static void test_accept_until_eagain(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "many.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
    enum { N = 4 };
    cmio_unix_stream c[N + 1], s[N + 1];
    for (int i = 0; i <= N; i++) {
        c[i] = (cmio_unix_stream)CMIO_UNIX_STREAM_INIT;
        s[i] = (cmio_unix_stream)CMIO_UNIX_STREAM_INIT;
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(cmio_unix_stream_connect(&c[i], path), 0);
    ux_wait_token(ctx, UX_TOK_LISTENER);
    int accepted = 0;
    for (;;) {
        int r = cmio_unix_listener_accept(&l, &s[accepted], NULL);
        if (r == -EAGAIN)
            break;
        assert_int_equal(r, 0);
        accepted++;
        assert_true(accepted <= N);
    }
    assert_int_equal(accepted, N);
    ux_assert_no_event(ctx, UX_TOK_LISTENER);

    assert_int_equal(cmio_unix_stream_connect(&c[N], path), 0);
    ux_wait_token(ctx, UX_TOK_LISTENER);
    assert_int_equal(cmio_unix_listener_accept(&l, &s[N], NULL), 0);
    assert_int_equal(cmio_unix_listener_accept(&l, &s[N], NULL), -EAGAIN);
    for (int i = 0; i <= N; i++) {
        assert_int_equal(cmio_unix_stream_close(&c[i]), 0);
        assert_int_equal(cmio_unix_stream_close(&s[i]), 0);
    }
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

static void test_take_error(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "te.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    int err = 12345;
    assert_int_equal(cmio_unix_listener_take_error(&l, &err), 0);
    assert_int_equal(err, 0);
    assert_int_equal(cmio_unix_listener_take_error(&l, NULL), -EINVAL);
    assert_int_equal(cmio_unix_listener_take_error(NULL, &err), -EINVAL);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    /* A closed listener has no socket to ask. */
    assert_int_equal(cmio_unix_listener_take_error(&l, &err), -EBADF);
}

static void test_from_fd(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "raw.sock", path, sizeof path);
    /* A blocking listening socket made by hand. */
    int fd = test_socket(AF_UNIX, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    cmio_unix_addr addr;
    assert_int_equal(cmio_unix_addr_from_pathname(&addr, path), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr.sun, addr.len), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_false(ux_fd_nonblocking(fd));

    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_from_fd(&l, fd), 0);
    assert_int_equal(cmio_unix_listener_as_fd(&l), fd);
    assert_true(ux_fd_nonblocking(fd)); /* made non-blocking */
    cmio_unix_stream s = CMIO_UNIX_STREAM_INIT, c = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), -EAGAIN); /* does not block */
    cmio_unix_addr local;
    assert_int_equal(cmio_unix_listener_local_addr(&l, &local), 0);
    assert_true(cmio_unix_addr_equal(&local, &addr));

    /* It works as a listener. */
    ux_connect_accept(ctx, &l, path, &c, &s, NULL);
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    /* The listener owns the fd: closing it closes fd. */
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    assert_false(test_fd_is_open(fd));

    assert_int_equal(cmio_unix_listener_from_fd(&l, -1), -EBADF);
    assert_int_equal(cmio_unix_listener_from_fd(NULL, 0), -EINVAL);
}

static void test_into_fd(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "into.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    int fd0 = cmio_unix_listener_as_fd(&l);
    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);

    int fd = cmio_unix_listener_into_fd(&l);
    assert_int_equal(fd, fd0);
    assert_true(test_fd_is_open(fd));
    /* The struct is empty. */
    assert_int_equal(cmio_unix_listener_as_fd(&l), -EBADF);
    assert_int_equal(cmio_unix_listener_into_fd(&l), -EBADF);
    assert_int_equal(cmio_unix_listener_close(&l), -EBADF);
    assert_int_equal(cmio_unix_listener_deregister(&l, ctx->reg), -EBADF);
    /* And it was deregistered: the raw fd can be registered afresh, and no event comes with the
     * old token. */
    int before_conn = test_count_open_fds();
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_connect(&c, path), 0);
    assert_true(test_fd_wait(fd, POLLIN) & POLLIN);
    ux_assert_no_event(ctx, UX_TOK_LISTENER);
    assert_int_equal(cmio_registry_register_fd(ctx->reg, fd, UX_TOK_OTHER, CMIO_INTEREST_READABLE),
                     0);
    ux_wait_token(ctx, UX_TOK_OTHER);
    assert_int_equal(cmio_registry_deregister_fd(ctx->reg, fd), 0);
    /* Still a working listening socket owned by us. */
    int a = accept(fd, NULL, NULL);
    assert_true(a >= 0);
    assert_int_equal(close(a), 0);
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(test_count_open_fds(), before_conn);
    assert_int_equal(close(fd), 0);
    assert_int_equal(cmio_unix_listener_into_fd(NULL), -EINVAL);
    assert_int_equal(cmio_unix_listener_as_fd(NULL), -EINVAL);
}

static void test_register_reregister_deregister(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "reg.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    int lfd = cmio_unix_listener_as_fd(&l);

    /* Not registered yet. */
    assert_int_equal(
        cmio_unix_listener_reregister(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE),
        -ENOENT);
    assert_int_equal(cmio_unix_listener_deregister(&l, ctx->reg), -ENOENT);
    /* Bad interests. */
    assert_int_equal(cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, 0), -EINVAL);
    assert_int_equal(cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, 0x80), -EINVAL);

    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_OTHER, CMIO_INTEREST_READABLE), -EEXIST);
    assert_int_equal(cmio_unix_listener_reregister(&l, ctx->reg, UX_TOK_LISTENER, 0), -EINVAL);

    cmio_unix_stream c[3] = {CMIO_UNIX_STREAM_INIT, CMIO_UNIX_STREAM_INIT, CMIO_UNIX_STREAM_INIT};
    cmio_unix_stream s = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_connect(&c[0], path), 0);
    const cmio_event *e = ux_wait_token(ctx, UX_TOK_LISTENER);
    assert_true(cmio_event_is_readable(e));
    assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), -EAGAIN);

    /* Reregister under another token: the next connection reports that token only. */
    assert_int_equal(
        cmio_unix_listener_reregister(&l, ctx->reg, UX_TOK_OTHER, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_unix_stream_connect(&c[1], path), 0);
    e = ux_wait_token(ctx, UX_TOK_OTHER);
    assert_true(cmio_event_is_readable(e));
    assert_null(test_find_token(ctx->events, UX_TOK_LISTENER));
    assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), -EAGAIN);

    /* Another poll's registry is refused while registered here. */
    cmio_poll *p2;
    assert_int_equal(cmio_poll_new(&p2), 0);
    assert_int_equal(cmio_unix_listener_reregister(&l, cmio_poll_registry(p2), UX_TOK_OTHER,
                                                   CMIO_INTEREST_READABLE),
                     -EINVAL);
    assert_int_equal(cmio_unix_listener_deregister(&l, cmio_poll_registry(p2)), -EINVAL);
    assert_int_equal(cmio_unix_listener_register(&l, cmio_poll_registry(p2), UX_TOK_OTHER,
                                                 CMIO_INTEREST_READABLE),
                     -EEXIST);
    cmio_poll_free(p2);

    /* Deregistered: a pending connection (seen by poll(2)) brings no event. */
    assert_int_equal(cmio_unix_listener_deregister(&l, ctx->reg), 0);
    assert_int_equal(cmio_unix_listener_deregister(&l, ctx->reg), -ENOENT);
    assert_int_equal(cmio_unix_stream_connect(&c[2], path), 0);
    assert_true(test_fd_wait(lfd, POLLIN) & POLLIN);
    ux_assert_no_event(ctx, UX_TOK_OTHER);
    ux_assert_no_event(ctx, UX_TOK_LISTENER);

    /* Registering again works and reports the pending connection. */
    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
    ux_wait_token(ctx, UX_TOK_LISTENER);
    assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cmio_unix_stream_close(&c[i]), 0);
    /* close deregisters. */
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    assert_int_equal(cmio_unix_listener_close(&l), -EBADF);
    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), -EBADF);
}

/* A registered listener that is closed leaves nothing behind in the poll: a new socket that reuses
 * the fd number can be registered. */
static void test_close_deregisters(void **state)
{
    ux_ctx *ctx = *state;
    char p1[64], p2[64];
    ux_path(ctx, "c1.sock", p1, sizeof p1);
    ux_path(ctx, "c2.sock", p2, sizeof p2);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT, l2 = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, p1), 0);
    int fd = cmio_unix_listener_as_fd(&l);
    assert_int_equal(
        cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    assert_false(test_fd_is_open(fd));
    assert_int_equal(cmio_unix_listener_bind(&l2, p2), 0);
    assert_int_equal(cmio_unix_listener_as_fd(&l2), fd); /* lowest free fd is reused */
    assert_int_equal(
        cmio_unix_listener_register(&l2, ctx->reg, UX_TOK_OTHER, CMIO_INTEREST_READABLE), 0);
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_connect(&c, p2), 0);
    ux_wait_token(ctx, UX_TOK_OTHER);
    assert_null(test_find_token(ctx->events, UX_TOK_LISTENER));
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_listener_close(&l2), 0);
}

static void test_no_fd_leak(void **state)
{
    ux_ctx *ctx = *state;
    int before = test_count_open_fds();
    for (int round = 0; round < 3; round++) {
        char path[64], name[16];
        snprintf(name, sizeof name, "leak%d.sock", round);
        ux_path(ctx, name, path, sizeof path);
        cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
        cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
        assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
        ux_connect_accept(ctx, &l, path, &c, &s, NULL);
        assert_int_equal(
            cmio_unix_stream_register(&s, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE), 0);
        assert_int_equal(
            cmio_unix_listener_register(&l, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
        assert_int_equal(cmio_unix_stream_close(&c), 0);
        assert_int_equal(cmio_unix_stream_close(&s), 0);
        assert_int_equal(cmio_unix_listener_close(&l), 0);
        /* Failing calls open nothing either. */
        assert_int_equal(cmio_unix_listener_bind(&l, path), -EADDRINUSE);
        assert_int_equal(cmio_unix_listener_accept(&l, &s, NULL), -EBADF);
    }
    assert_int_equal(test_count_open_fds(), before);
}

static void test_bad_args(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "args.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    cmio_unix_stream s = CMIO_UNIX_STREAM_INIT;
    cmio_unix_addr addr;
    assert_int_equal(cmio_unix_addr_from_pathname(&addr, path), 0);

    assert_int_equal(cmio_unix_listener_bind(NULL, path), -EINVAL);
    assert_int_equal(cmio_unix_listener_bind(&l, NULL), -EINVAL);
    assert_int_equal(cmio_unix_listener_bind_addr(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_unix_listener_bind_addr(&l, NULL), -EINVAL);
    assert_false(ux_file_exists(path));

    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    assert_int_equal(cmio_unix_listener_accept(NULL, &s, NULL), -EINVAL);
    assert_int_equal(cmio_unix_listener_accept(&l, NULL, NULL), -EINVAL);
    assert_int_equal(cmio_unix_listener_local_addr(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_unix_listener_local_addr(&l, NULL), -EINVAL);
    assert_int_equal(cmio_unix_listener_register(NULL, ctx->reg, 1, CMIO_INTEREST_READABLE),
                     -EINVAL);
    assert_int_equal(cmio_unix_listener_register(&l, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_unix_listener_reregister(NULL, ctx->reg, 1, CMIO_INTEREST_READABLE),
                     -EINVAL);
    assert_int_equal(cmio_unix_listener_reregister(&l, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_unix_listener_deregister(NULL, ctx->reg), -EINVAL);
    assert_int_equal(cmio_unix_listener_deregister(&l, NULL), -EINVAL);
    assert_int_equal(cmio_unix_listener_close(NULL), -EINVAL);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UX_TEST(test_bind_path),
        UX_TEST(test_bind_missing_dir),
        UX_TEST(test_bind_addr_pathname),
        UX_TEST(test_bind_addr_unnamed_invalid),
#if CMIO_HAVE_ABSTRACT_NAMES
        UX_TEST(test_linux_only_bind_addr_abstract),
#endif
        UX_TEST(test_accept_nothing_pending),
        UX_TEST(test_accept_cloexec_nonblocking),
        UX_TEST(test_accept_peer_pathname),
        UX_TEST(test_accept_until_eagain),
        UX_TEST(test_take_error),
        UX_TEST(test_from_fd),
        UX_TEST(test_into_fd),
        UX_TEST(test_register_reregister_deregister),
        UX_TEST(test_close_deregisters),
        UX_TEST(test_no_fd_leak),
        UX_TEST(test_bad_args),
    };
    return cmocka_run_group_tests_name("unix_listener", tests, ux_group_setup, ux_group_teardown);
}
