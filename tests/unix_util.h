/* SPDX-License-Identifier: MIT */
/* cmio tests — shared Unix-domain socket helpers for test_unix_addr.c, test_unix_listener.c,
 * test_unix_stream.c and test_unix_datagram.c (header-only, static inline). Include after
 * test_util.h.
 *
 * Every test that touches the filesystem gets its own temporary directory (mkdtemp under /tmp,
 * short so that socket paths fit sun_path), created by ux_setup and removed with every file in it
 * by ux_teardown, together with a private poll instance. Every wait is an event wait with a bounded
 * timeout (TEST_WAIT_MS): a cmio poll, or poll(2) on the raw fd when the socket must not be
 * registered. Nothing sleeps for synchronisation.
 */
#ifndef CMIO_UNIX_UTIL_H
#define CMIO_UNIX_UTIL_H

#include <cmio/cmio.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "test_util.h"

/* Distinct token values so that a wrong token cannot match by accident. */
#define UX_TOK_LISTENER ((cmio_token)0x51a0)
#define UX_TOK_CLIENT ((cmio_token)0x52b0)
#define UX_TOK_SERVER ((cmio_token)0x53c0)
#define UX_TOK_OTHER ((cmio_token)0x54d0)

/* The per-test fixture: a temporary directory and a poll instance. */
typedef struct ux_ctx {
    char dir[32];
    cmio_poll *poll;
    cmio_events *events;
    cmio_registry *reg;
} ux_ctx;

static inline int ux_setup(void **state)
{
    ux_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return -1;
    strcpy(ctx->dir, "/tmp/cmuxXXXXXX");
    if (mkdtemp(ctx->dir) == NULL) {
        free(ctx);
        return -1;
    }
    if (cmio_poll_new(&ctx->poll) != 0) {
        rmdir(ctx->dir);
        free(ctx);
        return -1;
    }
    if (cmio_events_new(&ctx->events, 16) != 0) {
        cmio_poll_free(ctx->poll);
        rmdir(ctx->dir);
        free(ctx);
        return -1;
    }
    ctx->reg = cmio_poll_registry(ctx->poll);
    *state = ctx;
    return 0;
}

static inline int ux_teardown(void **state)
{
    ux_ctx *ctx = *state;
    int rc = 0;
    DIR *d = opendir(ctx->dir);
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", ctx->dir, de->d_name);
            if (unlink(p) != 0)
                rc = -1;
        }
        closedir(d);
    }
    if (rmdir(ctx->dir) != 0)
        rc = -1;
    cmio_events_free(ctx->events);
    cmio_poll_free(ctx->poll);
    free(ctx);
    return rc;
}

/* dir/name into out (asserts it fits out). */
static inline void ux_path(const ux_ctx *ctx, const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", ctx->dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

static inline bool ux_file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static inline bool ux_is_socket_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Number of entries (files) in the fixture's directory. */
static inline int ux_dir_entries(const ux_ctx *ctx)
{
    DIR *d = opendir(ctx->dir);
    int n = 0;
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    }
    closedir(d);
    return n;
}

/* A name in the abstract namespace unique to this process and call (so that concurrent runs of
 * the same suite never collide); it contains an embedded NUL on purpose. Returns its length. */
static inline size_t ux_abstract_name(char *out, size_t cap, const char *tag)
{
    static unsigned counter;
    int n = snprintf(out, cap, "cmio-test%c%s-%ld-%u-%lld", '\0', tag, (long)getpid(), ++counter,
                     (long long)test_now_ns());
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* Waits on the fixture's poll for an event with `token`; fails after TEST_WAIT_MS. Events for
 * other tokens are dropped. */
static inline const cmio_event *ux_wait_token(ux_ctx *ctx, cmio_token token)
{
    const cmio_event *e = test_poll_for_token(ctx->poll, ctx->events, token, TEST_WAIT_MS);
    if (e == NULL)
        fail_msg("no event with token %#llx within %d ms", (unsigned long long)token, TEST_WAIT_MS);
    return e;
}

/* One non-blocking poll: asserts that no event carries `token`. */
static inline void ux_assert_no_event(ux_ctx *ctx, cmio_token token)
{
    test_poll_now(ctx->poll, ctx->events);
    if (test_find_token(ctx->events, token) != NULL)
        fail_msg("unexpected event with token %#llx", (unsigned long long)token);
}

static inline bool ux_fd_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    assert_true(fl >= 0);
    return (fl & O_NONBLOCK) != 0;
}

static inline bool ux_fd_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    assert_true(fl >= 0);
    return (fl & FD_CLOEXEC) != 0;
}

/* true when SIGPIPE has its default disposition (so a SIGPIPE would kill the test). */
static inline bool ux_sigpipe_is_default(void)
{
    struct sigaction sa;
    assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
    return sa.sa_handler == SIG_DFL;
}

/* A file in the fixture directory holding `content`, opened read-write; returns its fd. */
static inline int ux_temp_file(const ux_ctx *ctx, const char *name, const char *content)
{
    char p[128];
    ux_path(ctx, name, p, sizeof p);
    int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    size_t len = strlen(content);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    return fd;
}

/* Byte i of test payloads: position-dependent, so lost, repeated or reordered bytes show. */
static inline uint8_t ux_pattern(uint64_t i)
{
    return (uint8_t)(((i * 2654435761u) >> 11) ^ (i >> 9));
}

/* ---- stream helpers -------------------------------------------------------------------------- */

/* Writes all of buf, waiting for POLLOUT (bounded) whenever the stream would block. */
static inline void ux_write_all(cmio_unix_stream *s, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = cmio_unix_stream_write(s, p, len);
        if (n == -EAGAIN) {
            if (!(test_fd_wait(cmio_unix_stream_as_fd(s), POLLOUT) & POLLOUT))
                fail_msg("ux_write_all: not writable within %d ms", TEST_WAIT_MS);
            continue;
        }
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Reads exactly len bytes, waiting for POLLIN (bounded) whenever the stream would block. */
static inline void ux_read_exact(cmio_unix_stream *s, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = cmio_unix_stream_read(s, p, len);
        if (n == -EAGAIN) {
            if (test_fd_wait(cmio_unix_stream_as_fd(s), POLLIN) == 0)
                fail_msg("ux_read_exact: not readable within %d ms", TEST_WAIT_MS);
            continue;
        }
        if (n == 0)
            fail_msg("ux_read_exact: end of stream with %zu bytes missing", len);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Connects a stream to `listener` at `path` and accepts it, both driven by events on the
 * fixture's poll. Neither stream nor the listener is registered on return. *peer (may be NULL)
 * gets the address accept reported. */
static inline void ux_connect_accept(ux_ctx *ctx, cmio_unix_listener *listener, const char *path,
                                     cmio_unix_stream *client, cmio_unix_stream *server,
                                     cmio_unix_addr *peer)
{
    assert_int_equal(
        cmio_unix_listener_register(listener, ctx->reg, UX_TOK_LISTENER, CMIO_INTEREST_READABLE),
        0);
    assert_int_equal(cmio_unix_stream_connect(client, path), 0);
    assert_int_equal(
        cmio_unix_stream_register(client, ctx->reg, UX_TOK_CLIENT, CMIO_INTEREST_WRITABLE), 0);
    bool accepted = false, connected = false;
    int64_t deadline = test_deadline();
    while (!accepted || !connected) {
        if (test_poll_until(ctx->poll, ctx->events, deadline) == -ETIMEDOUT)
            fail_msg("ux_connect_accept: accepted=%d connected=%d after %d ms", accepted, connected,
                     TEST_WAIT_MS);
        for (const cmio_event *e = cmio_events_first(ctx->events); e;
             e = cmio_events_next(ctx->events, e)) {
            if (cmio_event_token(e) == UX_TOK_LISTENER && !accepted) {
                int r = cmio_unix_listener_accept(listener, server, peer);
                if (r == 0)
                    accepted = true;
                else
                    assert_int_equal(r, -EAGAIN);
            } else if (cmio_event_token(e) == UX_TOK_CLIENT && cmio_event_is_writable(e)) {
                int err = 1;
                assert_int_equal(cmio_unix_stream_take_error(client, &err), 0);
                assert_int_equal(err, 0);
                connected = true;
            }
        }
    }
    assert_int_equal(cmio_unix_listener_deregister(listener, ctx->reg), 0);
    assert_int_equal(cmio_unix_stream_deregister(client, ctx->reg), 0);
}

/* ---- fd passing ------------------------------------------------------------------------------ */

/* What a fd-passing test sends: a pipe's two ends and a file with known content. */
#define UX_FILE_CONTENT "cmio fd passing: file content"

typedef struct ux_fdset {
    int pipe_r, pipe_w, file;
} ux_fdset;

static inline void ux_fdset_open(const ux_ctx *ctx, ux_fdset *s)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    s->pipe_r = p[0];
    s->pipe_w = p[1];
    s->file = ux_temp_file(ctx, "passed.txt", UX_FILE_CONTENT);
}

static inline void ux_fdset_close(ux_fdset *s)
{
    assert_int_equal(close(s->pipe_r), 0);
    assert_int_equal(close(s->pipe_w), 0);
    assert_int_equal(close(s->file), 0);
}

/* Checks fds received for {pipe_r, pipe_w, file} sent in that order: they are new fds, close-on-
 * exec, and refer to the same objects (data written into the received write end comes out of the
 * original read end and vice versa; the file reads back its content). */
static inline void ux_check_received(const ux_fdset *orig, const int got[3])
{
    for (int i = 0; i < 3; i++) {
        assert_true(got[i] >= 0);
        assert_true(test_fd_is_open(got[i]));
        assert_int_not_equal(got[i], orig->pipe_r);
        assert_int_not_equal(got[i], orig->pipe_w);
        assert_int_not_equal(got[i], orig->file);
        assert_true(ux_fd_cloexec(got[i]));
    }
    char buf[64];
    /* received write end → original read end */
    assert_int_equal(write(got[1], "via-received-w", 14), 14);
    assert_int_equal(read(orig->pipe_r, buf, sizeof buf), 14);
    assert_memory_equal(buf, "via-received-w", 14);
    /* original write end → received read end */
    assert_int_equal(write(orig->pipe_w, "via-original-w", 14), 14);
    assert_int_equal(read(got[0], buf, sizeof buf), 14);
    assert_memory_equal(buf, "via-original-w", 14);
    /* the file */
    size_t clen = strlen(UX_FILE_CONTENT);
    memset(buf, 0, sizeof buf);
    assert_int_equal(pread(got[2], buf, sizeof buf, 0), (ssize_t)clen);
    assert_memory_equal(buf, UX_FILE_CONTENT, clen);
}

/* ---- group setup ----------------------------------------------------------------------------- */

/* Arms the whole-binary watchdog (a hang fails instead of blocking CI). */
static inline int ux_group_setup(void **state)
{
    (void)state;
    alarm(TEST_WATCHDOG_S);
    return 0;
}

static inline int ux_group_teardown(void **state)
{
    (void)state;
    alarm(0);
    return 0;
}

#define UX_TEST(f) cmocka_unit_test_setup_teardown(f, ux_setup, ux_teardown)

#endif /* CMIO_UNIX_UTIL_H */
