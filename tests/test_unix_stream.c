/* SPDX-License-Identifier: MIT */
/* cmio tests — cmio_unix_stream: echo through a listener at a path and (Linux) at an abstract
 * name driven by poll events, connect errors, pair, addresses, shutdown, read/write/readv/writev,
 * peer close without SIGPIPE, take_error, fd passing (SCM_RIGHTS: content, close-on-exec,
 * truncation, limits, no leaks), peer credentials (Linux), fd ownership and registration. Socket
 * files live in a per-test temporary directory; every wait is a bounded event wait. */
#include <cmio/cmio.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "test_util.h"

#include "unix_util.h"

/* ---- echo through a listener, driven entirely by poll events ----------------------------- */

#define ECHO_TOTAL (256 * 1024 + 13)

struct echo_state {
    cmio_unix_listener *listener;
    cmio_unix_stream client, server;
    bool accepted, connected, client_shut, server_eof, server_closed, client_eof;
    bool saw_read_closed;
    size_t sent, received;
    char pend[8192]; /* server: read, not yet echoed */
    size_t pend_len, pend_off;
};

static void echo_client_pump(struct echo_state *st)
{
    char chunk[5000];
    while (st->connected && st->sent < ECHO_TOTAL) {
        size_t n = ECHO_TOTAL - st->sent;
        if (n > sizeof chunk)
            n = sizeof chunk;
        for (size_t i = 0; i < n; i++)
            chunk[i] = (char)ux_pattern(st->sent + i);
        ssize_t w = cmio_unix_stream_write(&st->client, chunk, n);
        if (w == -EAGAIN)
            break;
        assert_true(w > 0);
        st->sent += (size_t)w;
    }
    if (st->sent == ECHO_TOTAL && !st->client_shut) {
        assert_int_equal(cmio_unix_stream_shutdown(&st->client, CMIO_SHUTDOWN_WRITE), 0);
        st->client_shut = true;
    }
    while (st->connected && !st->client_eof) {
        char buf[4096];
        ssize_t r = cmio_unix_stream_read(&st->client, buf, sizeof buf);
        if (r == -EAGAIN)
            break;
        assert_true(r >= 0);
        if (r == 0) {
            st->client_eof = true;
            break;
        }
        for (ssize_t i = 0; i < r; i++) {
            if ((uint8_t)buf[i] != ux_pattern(st->received + (size_t)i))
                fail_msg("echo: byte %zu differs", st->received + (size_t)i);
        }
        st->received += (size_t)r;
    }
}

static void echo_server_pump(struct echo_state *st)
{
    while (!st->server_closed) {
        while (st->pend_off < st->pend_len) {
            ssize_t w = cmio_unix_stream_write(&st->server, st->pend + st->pend_off,
                                               st->pend_len - st->pend_off);
            if (w == -EAGAIN)
                return; /* a writable event resumes us */
            assert_true(w > 0);
            st->pend_off += (size_t)w;
        }
        st->pend_len = st->pend_off = 0;
        if (st->server_eof) {
            assert_int_equal(cmio_unix_stream_close(&st->server), 0);
            st->server_closed = true;
            return;
        }
        ssize_t r = cmio_unix_stream_read(&st->server, st->pend, sizeof st->pend);
        if (r == -EAGAIN)
            return;
        assert_true(r >= 0);
        if (r == 0)
            st->server_eof = true;
        else
            st->pend_len = (size_t)r;
    }
}

/* Runs the echo against `listener` (bound, not registered): the client connects by path (when
 * path != NULL) or by addr. */
static void run_echo(ux_ctx *ctx, cmio_unix_listener *listener, const char *path,
                     const cmio_unix_addr *addr)
{
    struct echo_state *st = calloc(1, sizeof *st);
    assert_non_null(st);
    st->listener = listener;
    st->client = (cmio_unix_stream)CMIO_UNIX_STREAM_INIT;
    st->server = (cmio_unix_stream)CMIO_UNIX_STREAM_INIT;
    const cmio_interest rw = CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE;

    assert_int_equal(
        cmio_unix_listener_register(listener, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE),
        0);
    if (path != NULL)
        assert_int_equal(cmio_unix_stream_connect(&st->client, path), 0);
    else
        assert_int_equal(cmio_unix_stream_connect_addr(&st->client, addr), 0);
    assert_int_equal(cmio_unix_stream_register(&st->client, ctx->reg, UX_TOK_CLIENT, rw), 0);

    int64_t deadline = test_deadline();
    while (!st->client_eof) {
        if (test_poll_until(ctx->poll, ctx->events, deadline) == -ETIMEDOUT)
            fail_msg("echo: timed out: sent %zu received %zu accepted %d server_eof %d", st->sent,
                     st->received, st->accepted, st->server_eof);
        for (const cmio_event *e = cmio_events_first(ctx->events); e;
             e = cmio_events_next(ctx->events, e)) {
            cmio_token t = cmio_event_token(e);
            if (t == UX_TOK_LISTENER) {
                for (;;) {
                    cmio_unix_stream extra = CMIO_UNIX_STREAM_INIT;
                    int r = cmio_unix_listener_accept(listener, st->accepted ? &extra : &st->server,
                                                      NULL);
                    if (r == -EAGAIN)
                        break;
                    assert_int_equal(r, 0);
                    assert_false(st->accepted); /* exactly one connection */
                    st->accepted = true;
                    assert_int_equal(
                        cmio_unix_stream_register(&st->server, ctx->reg, UX_TOK_SERVER, rw), 0);
                    echo_server_pump(st);
                }
            } else if (t == UX_TOK_CLIENT) {
                assert_false(cmio_event_is_error(e));
                if (!st->connected && cmio_event_is_writable(e)) {
                    int err = 1;
                    assert_int_equal(cmio_unix_stream_take_error(&st->client, &err), 0);
                    assert_int_equal(err, 0);
                    st->connected = true;
                }
                if (cmio_event_is_read_closed(e))
                    st->saw_read_closed = true;
                echo_client_pump(st);
            } else if (t == UX_TOK_SERVER) {
                assert_true(st->accepted);
                echo_server_pump(st);
            } else {
                fail_msg("echo: unexpected token %#llx", (unsigned long long)t);
            }
        }
    }
    assert_int_equal(st->sent, ECHO_TOTAL);
    assert_int_equal(st->received, ECHO_TOTAL);
    assert_true(st->server_closed);
    /* The server's close was reported as read-closed: by an event we handled, or (when the pump
     * read the 0 before that event was polled) by one still pending, as in the TCP echo test.
     * io_uring reports the readiness of the wake-up that made the event, epoll that of the wait:
     * the client's own shutdown() can leave an event for echo data the pump has since read,
     * which lets it read the 0 before the close is polled. */
    if (!st->saw_read_closed) {
        const cmio_event *e =
            test_poll_for_token(ctx->poll, ctx->events, UX_TOK_CLIENT, TEST_WAIT_MS);
        assert_non_null(e);
        assert_true(cmio_event_is_read_closed(e));
    }
    assert_int_equal(cmio_unix_stream_close(&st->client), 0);
    assert_int_equal(cmio_unix_listener_deregister(listener, ctx->reg), 0);
    free(st);
}

static void test_echo_path(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "echo.sock", path, sizeof path);
    int before = test_count_open_fds();
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    cmio_unix_addr local;
    assert_int_equal(cmio_unix_listener_local_addr(&l, &local), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&local), path);
    run_echo(ctx, &l, path, NULL);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    assert_int_equal(test_count_open_fds(), before);
}

static void test_echo_connect_addr_pathname(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "echo2.sock", path, sizeof path);
    cmio_unix_addr addr, local;
    assert_int_equal(cmio_unix_addr_from_pathname(&addr, path), 0);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind_addr(&l, &addr), 0);
    assert_int_equal(cmio_unix_listener_local_addr(&l, &local), 0);
    assert_true(cmio_unix_addr_equal(&local, &addr));
    run_echo(ctx, &l, NULL, &addr);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

#if CMIO_HAVE_ABSTRACT_NAMES
static void test_linux_only_abstract_echo(void **state)
{
    ux_ctx *ctx = *state;
    char name[96];
    size_t nlen = ux_abstract_name(name, sizeof name, "echo");
    cmio_unix_addr addr, local;
    assert_int_equal(cmio_unix_addr_from_abstract_name(&addr, name, nlen), 0);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind_addr(&l, &addr), 0);
    assert_int_equal(cmio_unix_listener_local_addr(&l, &local), 0);
    assert_true(cmio_unix_addr_equal(&local, &addr));
    run_echo(ctx, &l, NULL, &addr);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    assert_int_equal(ux_dir_entries(ctx), 0);
}
#endif

/* ---- connect ------------------------------------------------------------------------------ */

static void test_connect_nobody_listens(void **state)
{
    ux_ctx *ctx = *state;
    char missing[64], stale[64], plain[64];
    ux_path(ctx, "missing.sock", missing, sizeof missing);
    ux_path(ctx, "stale.sock", stale, sizeof stale);
    ux_path(ctx, "plain.txt", plain, sizeof plain);
    int before = test_count_open_fds();
    cmio_unix_stream s = CMIO_UNIX_STREAM_INIT;

    /* No file at all. */
    int r = cmio_unix_stream_connect(&s, missing);
    assert_true(r == -ENOENT || r == -ECONNREFUSED);
    assert_int_equal(r, -ENOENT); /* what Linux reports */
    cmio_unix_addr addr;
    assert_int_equal(cmio_unix_addr_from_pathname(&addr, missing), 0);
    assert_int_equal(cmio_unix_stream_connect_addr(&s, &addr), -ENOENT);

    /* A socket file whose listener is gone. */
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, stale), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    assert_true(ux_is_socket_file(stale));
    assert_int_equal(cmio_unix_stream_connect(&s, stale), -ECONNREFUSED);

    /* A regular file is no socket. */
    close(ux_temp_file(ctx, "plain.txt", "x"));
    assert_int_equal(cmio_unix_stream_connect(&s, plain), -ECONNREFUSED);

    assert_int_equal(cmio_unix_stream_as_fd(&s), -EBADF); /* untouched on failure */
    assert_int_equal(test_count_open_fds(), before);      /* no socket leaked on the error paths */
}

#if CMIO_HAVE_ABSTRACT_NAMES
static void test_linux_only_connect_abstract_nobody(void **state)
{
    (void)state;
    char name[96];
    size_t nlen = ux_abstract_name(name, sizeof name, "none");
    cmio_unix_addr addr;
    assert_int_equal(cmio_unix_addr_from_abstract_name(&addr, name, nlen), 0);
    cmio_unix_stream s = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_connect_addr(&s, &addr), -ECONNREFUSED);
}
#endif

static void test_connect_bad_args(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "x.sock", path, sizeof path);
    cmio_unix_stream s = CMIO_UNIX_STREAM_INIT, t = CMIO_UNIX_STREAM_INIT;
    cmio_unix_addr addr;
    assert_int_equal(cmio_unix_addr_from_pathname(&addr, path), 0);
    assert_int_equal(cmio_unix_stream_connect(NULL, path), -EINVAL);
    assert_int_equal(cmio_unix_stream_connect(&s, NULL), -EINVAL);
    assert_int_equal(cmio_unix_stream_connect(&s, ""), -EINVAL);
    assert_int_equal(cmio_unix_stream_connect_addr(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_unix_stream_connect_addr(&s, NULL), -EINVAL);
    addr.sun.sun_family = AF_INET;
    assert_int_equal(cmio_unix_stream_connect_addr(&s, &addr), -EINVAL);
    assert_int_equal(cmio_unix_stream_pair(NULL, &t), -EINVAL);
    assert_int_equal(cmio_unix_stream_pair(&s, NULL), -EINVAL);
    assert_int_equal(cmio_unix_stream_as_fd(&s), -EBADF);
}

/* ---- pair, addresses ------------------------------------------------------------------------ */

static void test_pair_both_directions(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int fa = cmio_unix_stream_as_fd(&a), fb = cmio_unix_stream_as_fd(&b);
    assert_true(fa >= 0 && fb >= 0 && fa != fb);
    assert_true(ux_fd_nonblocking(fa) && ux_fd_nonblocking(fb));
    assert_true(ux_fd_cloexec(fa) && ux_fd_cloexec(fb));

    assert_int_equal(cmio_unix_stream_register(&a, ctx->reg, UX_TOK_CLIENT, CMIO_INTEREST_READABLE),
                     0);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE),
                     0);
    char buf[16];
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);

    assert_int_equal(cmio_unix_stream_write(&a, "a->b", 4), 4);
    assert_true(cmio_event_is_readable(ux_wait_token(ctx, UX_TOK_SERVER)));
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 4);
    assert_memory_equal(buf, "a->b", 4);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);

    assert_int_equal(cmio_unix_stream_write(&b, "b->a!", 5), 5);
    assert_true(cmio_event_is_readable(ux_wait_token(ctx, UX_TOK_CLIENT)));
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), 5);
    assert_memory_equal(buf, "b->a!", 5);
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), -EAGAIN);

    /* Both ends are unnamed. */
    cmio_unix_addr addr;
    assert_int_equal(cmio_unix_stream_local_addr(&a, &addr), 0);
    assert_true(cmio_unix_addr_is_unnamed(&addr));
    assert_int_equal(cmio_unix_stream_peer_addr(&a, &addr), 0);
    assert_true(cmio_unix_addr_is_unnamed(&addr));
    assert_int_equal(cmio_unix_stream_peer_addr(&b, &addr), 0);
    assert_true(cmio_unix_addr_is_unnamed(&addr));

    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

static void test_addrs(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "addrs.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
    ux_connect_accept(ctx, &l, path, &c, &s, NULL);

    cmio_unix_addr addr, want;
    assert_int_equal(cmio_unix_addr_from_pathname(&want, path), 0);
    assert_int_equal(cmio_unix_stream_local_addr(&c, &addr), 0);
    assert_true(cmio_unix_addr_is_unnamed(&addr));
    assert_int_equal(cmio_unix_stream_peer_addr(&c, &addr), 0);
    assert_true(cmio_unix_addr_equal(&addr, &want));
    assert_int_equal(cmio_unix_stream_local_addr(&s, &addr), 0);
    assert_true(cmio_unix_addr_equal(&addr, &want));
    assert_int_equal(cmio_unix_stream_peer_addr(&s, &addr), 0);
    assert_true(cmio_unix_addr_is_unnamed(&addr));

    /* A stream that is not connected has no peer. */
    cmio_unix_stream u = CMIO_UNIX_STREAM_INIT;
    int fd = test_socket(AF_UNIX, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(cmio_unix_stream_from_fd(&u, fd), 0);
    assert_int_equal(cmio_unix_stream_peer_addr(&u, &addr), -ENOTCONN);
    assert_int_equal(cmio_unix_stream_local_addr(&u, &addr), 0);
    assert_true(cmio_unix_addr_is_unnamed(&addr));

    assert_int_equal(cmio_unix_stream_local_addr(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_unix_stream_local_addr(&c, NULL), -EINVAL);
    assert_int_equal(cmio_unix_stream_peer_addr(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_unix_stream_peer_addr(&c, NULL), -EINVAL);

    assert_int_equal(cmio_unix_stream_close(&u), 0);
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

/* ---- close, shutdown, SIGPIPE ------------------------------------------------------------- */

static void test_peer_close_read_closed(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE),
                     0);
    assert_int_equal(cmio_unix_stream_write(&a, "bye", 3), 3);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    const cmio_event *e = ux_wait_token(ctx, UX_TOK_SERVER);
    assert_true(cmio_event_is_readable(e));
    assert_true(cmio_event_is_read_closed(e));
    char buf[8];
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 3);
    assert_memory_equal(buf, "bye", 3);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 0);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 0); /* stays at end */
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

static void test_write_after_peer_close_epipe(void **state)
{
    ux_ctx *ctx = *state;
    /* A SIGPIPE would kill this process: the test only means something with the default. */
    assert_true(ux_sigpipe_is_default());
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_register(&a, ctx->reg, UX_TOK_CLIENT,
                                               CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE),
                     0);
    ux_wait_token(ctx, UX_TOK_CLIENT); /* the initial writable event */
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    const cmio_event *e = ux_wait_token(ctx, UX_TOK_CLIENT);
    assert_true(cmio_event_is_read_closed(e) || cmio_event_is_write_closed(e));

    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), -EPIPE);
    struct iovec iov[2] = {{.iov_base = "ab", .iov_len = 2}, {.iov_base = "cd", .iov_len = 2}};
    assert_int_equal(cmio_unix_stream_writev(&a, iov, 2), -EPIPE);
    int fds[1] = {0};
    assert_int_equal(cmio_unix_stream_send_fds(&a, "x", 1, fds, 1), -EPIPE);
    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), -EPIPE);
    assert_true(ux_sigpipe_is_default()); /* untouched by the library */
    char buf[4];
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
}

static void test_shutdown_write(void **state)
{
    ux_ctx *ctx = *state;
    assert_true(ux_sigpipe_is_default());
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE),
                     0);
    assert_int_equal(cmio_unix_stream_write(&a, "last", 4), 4);
    assert_int_equal(cmio_unix_stream_shutdown(&a, CMIO_SHUTDOWN_WRITE), 0);
    const cmio_event *e = ux_wait_token(ctx, UX_TOK_SERVER);
    assert_true(cmio_event_is_read_closed(e));
    char buf[8];
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 4);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 0);
    /* a can no longer write, but still reads what b sends. */
    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), -EPIPE);
    assert_int_equal(cmio_unix_stream_write(&b, "back", 4), 4);
    assert_true(test_fd_wait(cmio_unix_stream_as_fd(&a), POLLIN) & POLLIN);
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), 4);
    assert_memory_equal(buf, "back", 4);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

static void test_shutdown_read(void **state)
{
    (void)state;
    assert_true(ux_sigpipe_is_default());
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    char buf[8];
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_unix_stream_shutdown(&a, CMIO_SHUTDOWN_READ), 0);
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), 0); /* end instead of -EAGAIN */
    /* On Unix streams the peer learns it: its writes fail. */
    assert_int_equal(cmio_unix_stream_write(&b, "x", 1), -EPIPE);
    /* a can still write. */
    assert_int_equal(cmio_unix_stream_write(&a, "ok", 2), 2);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 2);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

static void test_shutdown_both_and_invalid(void **state)
{
    (void)state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_shutdown(&a, (cmio_shutdown)7), -EINVAL);
    assert_int_equal(cmio_unix_stream_shutdown(&a, (cmio_shutdown)-1), -EINVAL);
    assert_int_equal(cmio_unix_stream_shutdown(NULL, CMIO_SHUTDOWN_BOTH), -EINVAL);
    /* The invalid calls changed nothing. */
    assert_int_equal(cmio_unix_stream_write(&a, "1", 1), 1);
    char buf[4];
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 1);

    assert_int_equal(cmio_unix_stream_shutdown(&a, CMIO_SHUTDOWN_BOTH), 0);
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), 0);
    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), -EPIPE);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 0);
    assert_int_equal(cmio_unix_stream_write(&b, "x", 1), -EPIPE);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    /* On a closed stream: -EBADF. */
    assert_int_equal(cmio_unix_stream_shutdown(&a, CMIO_SHUTDOWN_BOTH), -EBADF);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

/* take_error: a connection the listener never accepted is reset when the listener closes. */
static void test_take_error_reset(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "reset.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_connect(&c, path), 0);
    int err = 12345;
    assert_int_equal(cmio_unix_stream_take_error(&c, &err), 0);
    assert_int_equal(err, 0);
    assert_int_equal(cmio_unix_stream_register(&c, ctx->reg, UX_TOK_CLIENT, CMIO_INTEREST_READABLE),
                     0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    const cmio_event *e = ux_wait_token(ctx, UX_TOK_CLIENT);
    assert_true(cmio_event_is_read_closed(e) || cmio_event_is_error(e));
    assert_int_equal(cmio_unix_stream_take_error(&c, &err), 0);
    assert_int_equal(err, test_pending_error(-ECONNRESET));
    assert_int_equal(cmio_unix_stream_take_error(&c, &err), 0); /* taken: cleared */
    assert_int_equal(err, 0);
    assert_int_equal(cmio_unix_stream_take_error(NULL, &err), -EINVAL);
    assert_int_equal(cmio_unix_stream_take_error(&c, NULL), -EINVAL);
    assert_int_equal(cmio_unix_stream_close(&c), 0);
}

/* ---- read / write ------------------------------------------------------------------------- */

static void test_read_write_args(void **state)
{
    (void)state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    char buf[4];
    assert_int_equal(cmio_unix_stream_read(NULL, buf, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_read(&a, NULL, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_write(NULL, "x", 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_write(&a, NULL, 1), -EINVAL);
    /* Zero-length with NULL is fine. */
    assert_int_equal(cmio_unix_stream_write(&a, NULL, 0), 0);
    /* Nothing was sent by any of the above. */
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);
    struct iovec iov = {.iov_base = buf, .iov_len = 1};
    assert_int_equal(cmio_unix_stream_readv(NULL, &iov, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_readv(&a, NULL, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_readv(&a, &iov, -1), -EINVAL);
    assert_int_equal(cmio_unix_stream_writev(NULL, &iov, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_writev(&a, NULL, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_writev(&a, &iov, -1), -EINVAL);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    /* Closed: -EBADF, not a crash. */
    assert_int_equal(cmio_unix_stream_read(&a, buf, 1), -EBADF);
    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), -EBADF);
}

static void test_readv_writev(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE),
                     0);
    struct iovec out[3] = {
        {.iov_base = "hello", .iov_len = 5},
        {.iov_base = ", ", .iov_len = 2},
        {.iov_base = "vectored world", .iov_len = 14},
    };
    assert_int_equal(cmio_unix_stream_writev(&a, out, 3), 21);
    ux_wait_token(ctx, UX_TOK_SERVER);
    char p1[4], p2[10], p3[32];
    memset(p3, 0, sizeof p3);
    struct iovec in[3] = {
        {.iov_base = p1, .iov_len = sizeof p1},
        {.iov_base = p2, .iov_len = sizeof p2},
        {.iov_base = p3, .iov_len = sizeof p3},
    };
    assert_int_equal(cmio_unix_stream_readv(&b, in, 3), 21);
    assert_memory_equal(p1, "hell", 4);
    assert_memory_equal(p2, "o, vectore", 10);
    assert_memory_equal(p3, "d world", 7);
    assert_int_equal(cmio_unix_stream_readv(&b, in, 3), -EAGAIN);
    assert_int_equal(cmio_unix_stream_readv(&b, in, 0), 0);
    assert_int_equal(cmio_unix_stream_writev(&a, out, 0), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

/* Edge-triggered writability: write until -EAGAIN, no event while full, one once drained. */
static void test_write_until_eagain_then_writable(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_register(&a, ctx->reg, UX_TOK_CLIENT, CMIO_INTEREST_WRITABLE),
                     0);
    assert_true(cmio_event_is_writable(ux_wait_token(ctx, UX_TOK_CLIENT)));
    static char chunk[16384];
    memset(chunk, 'w', sizeof chunk);
    size_t total = 0;
    for (;;) {
        ssize_t n = cmio_unix_stream_write(&a, chunk, sizeof chunk);
        if (n == -EAGAIN)
            break;
        assert_true(n > 0);
        total += (size_t)n;
        assert_true(total < ((size_t)64 << 20)); /* it must fill up at some point */
    }
    assert_true(total > 0);
    ux_assert_no_event(ctx, UX_TOK_CLIENT);
    size_t drained = 0;
    while (drained < total) {
        char buf[65536];
        ssize_t n = cmio_unix_stream_read(&b, buf, sizeof buf);
        assert_true(n > 0);
        drained += (size_t)n;
    }
    assert_int_equal(drained, total);
    assert_true(cmio_event_is_writable(ux_wait_token(ctx, UX_TOK_CLIENT)));
    assert_int_equal(cmio_unix_stream_write(&a, "y", 1), 1);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

/* ---- fd passing ----------------------------------------------------------------------------- */

static void test_send_recv_fds(void **state)
{
    ux_ctx *ctx = *state;
    int before = test_count_open_fds();
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE),
                     0);
    ux_fdset set;
    ux_fdset_open(ctx, &set);
    int sent[3] = {set.pipe_r, set.pipe_w, set.file};
    assert_int_equal(cmio_unix_stream_send_fds(&a, "fds!", 4, sent, 3), 4);
    /* Sending passes duplicates: ours stay open. */
    for (int i = 0; i < 3; i++)
        assert_true(test_fd_is_open(sent[i]));
    int mid = test_count_open_fds();

    ux_wait_token(ctx, UX_TOK_SERVER);
    int got[8];
    for (int i = 0; i < 8; i++)
        got[i] = -1;
    cmio_fd_buf fb = {.fds = got, .cap = 8, .len = 99, .truncated = true};
    char buf[16];
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &fb), 4);
    assert_memory_equal(buf, "fds!", 4);
    assert_int_equal(fb.len, 3);
    assert_false(fb.truncated);
    assert_int_equal(got[3], -1); /* nothing written past len */
    assert_int_equal(test_count_open_fds(), mid + 3);
    ux_check_received(&set, got);

    /* A message without fds: len 0, not truncated. */
    assert_int_equal(cmio_unix_stream_write(&a, "plain", 5), 5);
    fb.len = 42;
    fb.truncated = true;
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &fb), 5);
    assert_memory_equal(buf, "plain", 5);
    assert_int_equal(fb.len, 0);
    assert_false(fb.truncated);
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &fb), -EAGAIN);

    for (int i = 0; i < 3; i++)
        assert_int_equal(close(got[i]), 0);
    ux_fdset_close(&set);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(test_count_open_fds(), before);
}

/* More fds than fit: none kept, the ones that arrived closed, the data still returned. */
static void test_recv_fds_truncated(void **state)
{
    TEST_SKIP_UNDER("qemu", "qemu-user does not set MSG_CTRUNC and passes the excess fds through "
                            "(reproduced without cmio)");
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    ux_fdset set;
    ux_fdset_open(ctx, &set);
    int sent[3] = {set.pipe_r, set.pipe_w, set.file};
    int before = test_count_open_fds();

    assert_int_equal(cmio_unix_stream_send_fds(&a, "trunc", 5, sent, 3), 5);
    int got[1] = {-1};
    cmio_fd_buf fb = {.fds = got, .cap = 1};
    char buf[16];
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &fb), 5);
    assert_memory_equal(buf, "trunc", 5);
    assert_true(fb.truncated);
    assert_int_equal(fb.len, 0);
    assert_int_equal(test_count_open_fds(), before); /* whatever arrived was closed */

    /* cap 0 (no array): the same. */
    assert_int_equal(cmio_unix_stream_send_fds(&a, "zero", 4, sent, 3), 4);
    cmio_fd_buf none = {.fds = NULL, .cap = 0};
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &none), 4);
    assert_memory_equal(buf, "zero", 4);
    assert_true(none.truncated);
    assert_int_equal(none.len, 0);
    assert_int_equal(test_count_open_fds(), before);

    /* The stream is still fine afterwards. */
    assert_int_equal(cmio_unix_stream_write(&a, "ok", 2), 2);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 2);
    ux_fdset_close(&set);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

/* One fd more than cap, where the kernel's control-buffer rounding leaves room for it anyway
 * (CMSG_SPACE(1 int) == CMSG_SPACE(2 ints) on LP64): the documented contract still holds —
 * truncated, nothing kept, nothing leaked. */
static void test_recv_fds_one_more_than_cap(void **state)
{
    TEST_SKIP_UNDER("qemu", "qemu-user does not set MSG_CTRUNC and passes the excess fds through "
                            "(reproduced without cmio)");
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    ux_fdset set;
    ux_fdset_open(ctx, &set);
    int sent[2] = {set.pipe_r, set.file};
    int before = test_count_open_fds();
    assert_int_equal(cmio_unix_stream_send_fds(&a, "two", 3, sent, 2), 3);
    int got[1] = {-1};
    cmio_fd_buf fb = {.fds = got, .cap = 1};
    char buf[8];
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &fb), 3);
    int after = test_count_open_fds();
    if (fb.len > 0)
        close(got[0]); /* keep the count honest for the next tests even when this fails */
    assert_true(fb.truncated);
    assert_int_equal(fb.len, 0);
    assert_int_equal(after, before);
    ux_fdset_close(&set);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

static void test_send_fds_limits(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int fd = ux_temp_file(ctx, "many.txt", "m");
    int *many = malloc(sizeof(int) * (CMIO_MAX_FDS + 1));
    assert_non_null(many);
    for (int i = 0; i < CMIO_MAX_FDS + 1; i++)
        many[i] = fd;
    int before = test_count_open_fds();
    char buf[8];

    /* One too many: refused, nothing sent. */
    assert_int_equal(cmio_unix_stream_send_fds(&a, "x", 1, many, CMIO_MAX_FDS + 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);

    /* Exactly CMIO_MAX_FDS: all arrive. */
    assert_int_equal(cmio_unix_stream_send_fds(&a, "max", 3, many, CMIO_MAX_FDS), 3);
    int *got = malloc(sizeof(int) * CMIO_MAX_FDS);
    assert_non_null(got);
    cmio_fd_buf fb = {.fds = got, .cap = CMIO_MAX_FDS};
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &fb), 3);
    assert_int_equal(fb.len, CMIO_MAX_FDS);
    assert_false(fb.truncated);
    assert_int_equal(test_count_open_fds(), before + CMIO_MAX_FDS);
    for (size_t i = 0; i < fb.len; i++) {
        char c = 0;
        assert_int_equal(pread(got[i], &c, 1, 0), 1);
        assert_int_equal(c, 'm');
        assert_int_equal(close(got[i]), 0);
    }
    assert_int_equal(test_count_open_fds(), before);
    free(got);
    free(many);
    assert_int_equal(close(fd), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

/* "At least one byte of data must be sent with them": fds with no data are refused (on a stream
 * the kernel would silently drop them). */
static void test_send_fds_zero_length(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int fd = ux_temp_file(ctx, "z.txt", "z");
    int fds[1] = {fd};
    ssize_t r = cmio_unix_stream_send_fds(&a, "", 0, fds, 1);
    ssize_t r_null = cmio_unix_stream_send_fds(&a, NULL, 0, fds, 1);
    char buf[4];
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal(close(fd), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(r, -EINVAL);
    assert_int_equal(r_null, -EINVAL);
}

static void test_fds_bad_args(void **state)
{
    (void)state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int fds[1] = {0};
    char buf[4];
    int got[2];
    cmio_fd_buf fb = {.fds = got, .cap = 2};
    assert_int_equal(cmio_unix_stream_send_fds(NULL, "x", 1, fds, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_send_fds(&a, NULL, 1, fds, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_send_fds(&a, "x", 1, NULL, 1), -EINVAL);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_unix_stream_recv_fds(NULL, buf, sizeof buf, &fb), -EINVAL);
    assert_int_equal(cmio_unix_stream_recv_fds(&a, NULL, 1, &fb), -EINVAL);
    assert_int_equal(cmio_unix_stream_recv_fds(&a, buf, sizeof buf, NULL), -EINVAL);
    cmio_fd_buf bad = {.fds = NULL, .cap = 3};
    assert_int_equal(cmio_unix_stream_recv_fds(&a, buf, sizeof buf, &bad), -EINVAL);
    /* No fds at all: a plain send. */
    assert_int_equal(cmio_unix_stream_send_fds(&a, "pl", 2, NULL, 0), 2);
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &fb), 2);
    assert_int_equal(fb.len, 0);
    assert_false(fb.truncated);
    /* Nothing pending: -EAGAIN. */
    assert_int_equal(cmio_unix_stream_recv_fds(&b, buf, sizeof buf, &fb), -EAGAIN);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

/* ---- peer credentials (Linux) -------------------------------------------------------------- */

#ifdef CMIO_HAVE_UNIX_STREAM_PEER_CRED
static void check_cred_is_self(const cmio_unix_stream *s)
{
    cmio_peer_cred cred;
    memset(&cred, 0xff, sizeof cred);
    assert_int_equal(cmio_unix_stream_peer_cred(s, &cred), 0);
    assert_int_equal(cred.pid, getpid());
    assert_int_equal(cred.uid, getuid());
    assert_int_equal(cred.gid, getgid());
}

static void test_linux_only_peer_cred_pair(void **state)
{
    (void)state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    check_cred_is_self(&a);
    check_cred_is_self(&b);
    cmio_peer_cred cred;
    assert_int_equal(cmio_unix_stream_peer_cred(NULL, &cred), -EINVAL);
    assert_int_equal(cmio_unix_stream_peer_cred(&a, NULL), -EINVAL);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_peer_cred(&a, &cred), -EBADF);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

static void test_linux_only_peer_cred_accepted(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "cred.sock", path, sizeof path);
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
    ux_connect_accept(ctx, &l, path, &c, &s, NULL);
    check_cred_is_self(&s);
    check_cred_is_self(&c);
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}
#endif

/* ---- fd ownership, registration ---------------------------------------------------------- */

static void test_from_fd_as_fd(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(test_socketpair_of(AF_UNIX, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0, sv),
                     0); /* blocking */
    assert_false(ux_fd_nonblocking(sv[0]));
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_from_fd(&a, sv[0]), 0);
    assert_int_equal(cmio_unix_stream_from_fd(&b, sv[1]), 0);
    assert_int_equal(cmio_unix_stream_as_fd(&a), sv[0]);
    assert_int_equal(cmio_unix_stream_as_fd(&b), sv[1]);
    assert_true(ux_fd_nonblocking(sv[0]));
    char buf[4];
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), -EAGAIN); /* does not block */
    assert_int_equal(cmio_unix_stream_write(&b, "fd", 2), 2);
    assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), 2);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_false(test_fd_is_open(sv[0])); /* owned: closed with the stream */
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_from_fd(&a, -1), -EBADF);
    assert_int_equal(cmio_unix_stream_from_fd(NULL, 0), -EINVAL);
    assert_int_equal(cmio_unix_stream_as_fd(NULL), -EINVAL);
}

static void test_into_fd(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int fa = cmio_unix_stream_as_fd(&a);
    assert_int_equal(cmio_unix_stream_register(&a, ctx->reg, UX_TOK_CLIENT, CMIO_INTEREST_READABLE),
                     0);
    int fd = cmio_unix_stream_into_fd(&a);
    assert_int_equal(fd, fa);
    assert_int_equal(cmio_unix_stream_as_fd(&a), -EBADF);
    assert_int_equal(cmio_unix_stream_into_fd(&a), -EBADF);
    assert_int_equal(cmio_unix_stream_close(&a), -EBADF);
    assert_int_equal(cmio_unix_stream_register(&a, ctx->reg, UX_TOK_CLIENT, CMIO_INTEREST_READABLE),
                     -EBADF);
    /* Deregistered: data arriving brings no event with the old token. */
    assert_int_equal(cmio_unix_stream_write(&b, "raw", 3), 3);
    assert_true(test_fd_wait(fd, POLLIN) & POLLIN);
    ux_assert_no_event(ctx, UX_TOK_CLIENT);
    /* The fd is ours and works. */
    char buf[4];
    assert_int_equal(read(fd, buf, sizeof buf), 3);
    assert_int_equal(close(fd), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_into_fd(NULL), -EINVAL);
}

static void test_register_reregister_deregister(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int fb = cmio_unix_stream_as_fd(&b);
    char buf[8];

    assert_int_equal(
        cmio_unix_stream_reregister(&b, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE), -ENOENT);
    assert_int_equal(cmio_unix_stream_deregister(&b, ctx->reg), -ENOENT);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, 0), -EINVAL);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, 0x80), -EINVAL);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE),
                     0);
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_OTHER, CMIO_INTEREST_READABLE),
                     -EEXIST);
    assert_int_equal(cmio_unix_stream_reregister(&b, ctx->reg, UX_TOK_SERVER, 0), -EINVAL);

    assert_int_equal(cmio_unix_stream_write(&a, "1", 1), 1);
    const cmio_event *e = ux_wait_token(ctx, UX_TOK_SERVER);
    assert_true(cmio_event_is_readable(e));
    assert_false(cmio_event_is_writable(e)); /* not asked for */
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 1);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);

    /* New token and interest: writable shows up, under the new token only. */
    assert_int_equal(cmio_unix_stream_reregister(&b, ctx->reg, UX_TOK_OTHER,
                                                 CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE),
                     0);
    e = ux_wait_token(ctx, UX_TOK_OTHER);
    assert_true(cmio_event_is_writable(e));
    assert_null(test_find_token(ctx->events, UX_TOK_SERVER));
    assert_int_equal(cmio_unix_stream_write(&a, "2", 1), 1);
    e = ux_wait_token(ctx, UX_TOK_OTHER);
    assert_true(cmio_event_is_readable(e));
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 1);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);

    /* Another poll's registry is refused. */
    cmio_poll *p2;
    assert_int_equal(cmio_poll_new(&p2), 0);
    assert_int_equal(cmio_unix_stream_reregister(&b, cmio_poll_registry(p2), UX_TOK_OTHER,
                                                 CMIO_INTEREST_READABLE),
                     -EINVAL);
    assert_int_equal(cmio_unix_stream_deregister(&b, cmio_poll_registry(p2)), -EINVAL);
    cmio_poll_free(p2);

    /* Deregistered: readable data (seen by poll(2)) brings no event. */
    assert_int_equal(cmio_unix_stream_deregister(&b, ctx->reg), 0);
    assert_int_equal(cmio_unix_stream_deregister(&b, ctx->reg), -ENOENT);
    assert_int_equal(cmio_unix_stream_write(&a, "3", 1), 1);
    assert_true(test_fd_wait(fb, POLLIN) & POLLIN);
    ux_assert_no_event(ctx, UX_TOK_OTHER);
    ux_assert_no_event(ctx, UX_TOK_SERVER);

    /* Register again: the pending data is reported. */
    assert_int_equal(cmio_unix_stream_register(&b, ctx->reg, UX_TOK_SERVER, CMIO_INTEREST_READABLE),
                     0);
    ux_wait_token(ctx, UX_TOK_SERVER);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 1);
    assert_int_equal(buf[0], '3');

    /* Bad arguments. */
    assert_int_equal(cmio_unix_stream_register(NULL, ctx->reg, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_unix_stream_register(&b, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_unix_stream_reregister(NULL, ctx->reg, 1, CMIO_INTEREST_READABLE),
                     -EINVAL);
    assert_int_equal(cmio_unix_stream_reregister(&b, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_unix_stream_deregister(NULL, ctx->reg), -EINVAL);
    assert_int_equal(cmio_unix_stream_deregister(&b, NULL), -EINVAL);

    /* close deregisters. */
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_close(&b), -EBADF);
    assert_int_equal(cmio_unix_stream_close(NULL), -EINVAL);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
}

/* A registered stream that is closed leaves no registration behind for its fd number. */
static void test_close_deregisters(void **state)
{
    ux_ctx *ctx = *state;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, d = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int fa = cmio_unix_stream_as_fd(&a), fb = cmio_unix_stream_as_fd(&b);
    assert_int_equal(cmio_unix_stream_register(&a, ctx->reg, UX_TOK_CLIENT, CMIO_INTEREST_READABLE),
                     0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_pair(&c, &d), 0);
    /* The lowest free numbers are reused. */
    assert_true(cmio_unix_stream_as_fd(&c) == fa || cmio_unix_stream_as_fd(&d) == fa);
    assert_true(cmio_unix_stream_as_fd(&c) == fb || cmio_unix_stream_as_fd(&d) == fb);
    cmio_unix_stream *reuse = cmio_unix_stream_as_fd(&c) == fa ? &c : &d;
    cmio_unix_stream *peer = reuse == &c ? &d : &c;
    assert_int_equal(
        cmio_unix_stream_register(reuse, ctx->reg, UX_TOK_OTHER, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_unix_stream_write(peer, "n", 1), 1);
    ux_wait_token(ctx, UX_TOK_OTHER);
    assert_null(test_find_token(ctx->events, UX_TOK_CLIENT));
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&d), 0);
}

static void test_no_fd_leak(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "leak.sock", path, sizeof path);
    int before = test_count_open_fds();
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    for (int round = 0; round < 3; round++) {
        cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
        cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
        ux_connect_accept(ctx, &l, path, &c, &s, NULL);
        assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
        const cmio_interest rw = CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE;
        assert_int_equal(cmio_unix_stream_register(&c, ctx->reg, UX_TOK_CLIENT, rw), 0);
        assert_int_equal(cmio_unix_stream_register(&a, ctx->reg, UX_TOK_OTHER, rw), 0);
        /* Pass a stream's own fd through another: the in-flight copy must not leak either. */
        int fds[1] = {cmio_unix_stream_as_fd(&s)};
        assert_int_equal(cmio_unix_stream_send_fds(&a, "f", 1, fds, 1), 1);
        assert_int_equal(cmio_unix_stream_close(&c), 0);
        assert_int_equal(cmio_unix_stream_close(&s), 0);
        assert_int_equal(cmio_unix_stream_close(&a), 0);
        assert_int_equal(cmio_unix_stream_close(&b), 0); /* unread fd dropped by the kernel */
    }
    assert_int_equal(cmio_unix_listener_close(&l), 0);
    assert_int_equal(test_count_open_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UX_TEST(test_echo_path),
        UX_TEST(test_echo_connect_addr_pathname),
#if CMIO_HAVE_ABSTRACT_NAMES
        UX_TEST(test_linux_only_abstract_echo),
#endif
        UX_TEST(test_connect_nobody_listens),
#if CMIO_HAVE_ABSTRACT_NAMES
        UX_TEST(test_linux_only_connect_abstract_nobody),
#endif
        UX_TEST(test_connect_bad_args),
        UX_TEST(test_pair_both_directions),
        UX_TEST(test_addrs),
        UX_TEST(test_peer_close_read_closed),
        UX_TEST(test_write_after_peer_close_epipe),
        UX_TEST(test_shutdown_write),
        UX_TEST(test_shutdown_read),
        UX_TEST(test_shutdown_both_and_invalid),
        UX_TEST(test_take_error_reset),
        UX_TEST(test_read_write_args),
        UX_TEST(test_readv_writev),
        UX_TEST(test_write_until_eagain_then_writable),
        UX_TEST(test_send_recv_fds),
        UX_TEST(test_recv_fds_truncated),
        UX_TEST(test_recv_fds_one_more_than_cap),
        UX_TEST(test_send_fds_limits),
        UX_TEST(test_send_fds_zero_length),
        UX_TEST(test_fds_bad_args),
#ifdef CMIO_HAVE_UNIX_STREAM_PEER_CRED
        UX_TEST(test_linux_only_peer_cred_pair),
        UX_TEST(test_linux_only_peer_cred_accepted),
#endif
        UX_TEST(test_from_fd_as_fd),
        UX_TEST(test_into_fd),
        UX_TEST(test_register_reregister_deregister),
        UX_TEST(test_close_deregisters),
        UX_TEST(test_no_fd_leak),
    };
    return cmocka_run_group_tests_name("unix_stream", tests, ux_group_setup, ux_group_teardown);
}
