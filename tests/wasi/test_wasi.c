/* SPDX-License-Identifier: MIT */
/* cmio WASI row — the guest: a test program built for wasm32-wasi against cmio's own wasi build
 * (generated/wasi wrappers + runtime/, compiled by clang for wasm32 with wasi-libc), translated to
 * C by wasm2c and run by the minimal test host (host.c). The harness (harness.c) passes it a
 * listening TCP socket as fd 3 and plays the clients when asked ("@clients N SIZE", protocol.h).
 *
 * cmocka is not built for wasm32, so the checks are a few lines here: CHECK() records a failure in
 * the current test and goes on; each test prints "[ OK ]" or "[FAIL]", and the last line is
 * "N passed, N failed". The tests run in order and share the listener, the poll and the first
 * stream, as one server's life would. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <cmio/cmio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol.h"

/* Upper bound for anything a test waits for. */
#define WAIT_MS 20000
#define SMALL 1000
#define MANY 50
#define MANY_SIZE 4096
#define LARGE 3
#define LARGE_SIZE (1 << 20)

enum {
    TOK_LISTENER = 1000,
    TOK_STREAM = 1001,
    TOK_STREAM2 = 1002,
    TOK_LISTENER2 = 1003,
};

static int failures; /* in the current test */
static int tests_passed, tests_failed;

static void check(bool ok, int line, const char *what)
{
    if (!ok) {
        printf("  test_wasi.c:%d: check failed: %s\n", line, what);
        failures++;
    }
}

static void check_int(long long got, long long want, int line, const char *what)
{
    if (got != want) {
        printf("  test_wasi.c:%d: %s is %lld (%s), expected %lld (%s)\n", line, what, got,
               cmio_err_name((int)got), want, cmio_err_name((int)want));
        failures++;
    }
}

#define CHECK(cond) check((cond), __LINE__, #cond)
#define CHECK_INT(got, want) check_int((long long)(got), (long long)(want), __LINE__, #got)

static void run(const char *name, void (*test)(void))
{
    failures = 0;
    test();
    printf("[%s] %s\n", failures == 0 ? " OK " : "FAIL", name);
    if (failures == 0)
        tests_passed++;
    else
        tests_failed++;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- shared state ---------------------------------------------------------------------------- */

static cmio_poll *poll_;
static cmio_events *events;
static cmio_tcp_listener listener;
static cmio_tcp_stream stream;

/* What the events of one token said, accumulated over polls. */
struct seen {
    int events;
    bool readable, writable, read_closed, write_closed, error;
};

static void note(struct seen *s, const cmio_event *e)
{
    s->events++;
    s->readable |= cmio_event_is_readable(e);
    s->writable |= cmio_event_is_writable(e);
    s->read_closed |= cmio_event_is_read_closed(e);
    s->write_closed |= cmio_event_is_write_closed(e);
    s->error |= cmio_event_is_error(e);
}

/* Polls (timeout ms each time) until an event for token arrives or ms have passed; returns the
 * poll's error, or 0 with *s filled (s->events 0 when nothing came for token). */
static int poll_token(cmio_token token, int ms, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    int64_t end = now_ms() + ms;
    for (;;) {
        int64_t left = end - now_ms();
        if (left < 0)
            left = 0;
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
        int n = cmio_poll_poll(poll_, events, &ts);
        if (n < 0)
            return n;
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e))
            if (cmio_event_token(e) == token)
                note(s, e);
        if (s->events > 0 || left == 0)
            return 0;
    }
}

/* Reads until want bytes came (waiting for READABLE under token when the stream has none);
 * returns the count read, or a negative errno. */
static long read_all(cmio_tcp_stream *s, cmio_token token, uint8_t *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = cmio_tcp_stream_read(s, buf + got, want - got);
        if (n == -EAGAIN) {
            struct seen seen;
            int r = poll_token(token, WAIT_MS, &seen);
            if (r < 0)
                return r;
            if (seen.events == 0)
                return -ETIMEDOUT;
            continue;
        }
        if (n <= 0)
            return n < 0 ? n : (long)got;
        got += (size_t)n;
    }
    return (long)got;
}

static bool is_pattern(unsigned client, const uint8_t *buf, size_t from, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (buf[k] != pattern_byte(client, from + k))
            return false;
    return true;
}

/* ---- an echo server for many connections (edge-triggered, as mio's examples) ---------------- */

#define MAX_CONNS 64

struct conn {
    cmio_tcp_stream s;
    bool used, eof, done;
    int err;
    size_t off, len, total;
    uint8_t buf[16384];
};

static struct conn conns[MAX_CONNS];

/* Moves what can be moved on c: write what is pending, else read more; at end of stream shut down
 * the write half and close. Returns when an operation said -EAGAIN (its event re-arms it). */
static void pump(struct conn *c)
{
    while (!c->done && c->err == 0) {
        if (c->off < c->len) {
            ssize_t w = cmio_tcp_stream_write(&c->s, c->buf + c->off, c->len - c->off);
            if (w == -EAGAIN)
                return;
            if (w < 0)
                c->err = (int)w;
            else
                c->off += (size_t)w;
            continue;
        }
        if (c->eof) {
            int r = cmio_tcp_stream_shutdown(&c->s, CMIO_SHUTDOWN_WRITE);
            int r2 = cmio_tcp_stream_close(&c->s);
            c->err = r < 0 ? r : r2;
            c->done = true;
            return;
        }
        ssize_t n = cmio_tcp_stream_read(&c->s, c->buf, sizeof(c->buf));
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            c->err = (int)n;
        } else if (n == 0) {
            c->eof = true;
        } else {
            c->off = 0;
            c->len = (size_t)n;
            c->total += (size_t)n;
        }
    }
}

/* Serves `clients` connections of `size` bytes each on the listener (registered under token):
 * accepts until -EAGAIN, echoes, closes at end of stream. Returns how many were served whole. */
static int serve(cmio_token token, int clients, size_t size)
{
    int accepted = 0, served = 0;
    memset(conns, 0, sizeof(conns));
    int64_t end = now_ms() + WAIT_MS;
    while (served < clients && now_ms() < end) {
        struct timespec ts = {1, 0};
        int n = cmio_poll_poll(poll_, events, &ts);
        if (n < 0) {
            printf("  serve: cmio_poll_poll: %s\n", cmio_err_name(n));
            return served;
        }
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            cmio_token t = cmio_event_token(e);
            if (t == token) {
                for (;;) {
                    if (accepted == MAX_CONNS)
                        break;
                    struct conn *c = &conns[accepted];
                    int r = cmio_tcp_listener_accept(&listener, &c->s, NULL);
                    if (r == -EAGAIN)
                        break;
                    if (r < 0) {
                        printf("  serve: accept: %s\n", cmio_err_name(r));
                        return served;
                    }
                    c->used = true;
                    r = cmio_tcp_stream_register(&c->s, cmio_poll_registry(poll_),
                                                 (cmio_token)accepted,
                                                 CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE);
                    if (r < 0)
                        c->err = r;
                    accepted++;
                }
            } else if (t < (cmio_token)accepted && !conns[t].done) {
                struct conn *c = &conns[t];
                pump(c);
                if (c->err != 0) {
                    printf("  serve: connection %d: %s\n", (int)t, cmio_err_name(c->err));
                    c->done = true;
                    (void)cmio_tcp_stream_close(&c->s);
                } else if (c->done) {
                    if (c->total == size)
                        served++;
                    else
                        printf("  serve: connection %d: %zu bytes, expected %zu\n", (int)t,
                               c->total, size);
                }
            }
        }
    }
    for (int i = 0; i < accepted; i++)
        if (!conns[i].done)
            (void)cmio_tcp_stream_close(&conns[i].s);
    if (served < clients)
        printf("  serve: %d of %d connections served (%d accepted)\n", served, clients, accepted);
    return served;
}

/* ---- the tests, in order --------------------------------------------------------------------- */

static void test_platform(void)
{
    CHECK(strcmp(CMIO_PLATFORM_NAME, "wasi") == 0);
    CHECK(strcmp(cmio_backend_name(), "poll") == 0);
    CHECK(CMIO_HAVE_WAKER == 0);
}

static void test_listener_from_fd(void)
{
    cmio_tcp_listener bad;
    CHECK_INT(cmio_tcp_listener_from_fd(&bad, -1), -EBADF);
    CHECK_INT(cmio_tcp_listener_from_fd(NULL, WASI_LISTEN_FD), -EINVAL);
    CHECK_INT(cmio_tcp_listener_from_fd(&listener, WASI_LISTEN_FD), 0);
    CHECK_INT(cmio_tcp_listener_as_fd(&listener), WASI_LISTEN_FD);
}

static void test_accept_before_client(void)
{
    cmio_tcp_stream s;
    cmio_sockaddr peer;
    memset(&peer, 0xab, sizeof(peer));
    CHECK_INT(cmio_tcp_listener_accept(&listener, &s, &peer), -EAGAIN);
    CHECK(((const uint8_t *)&peer)[0] == 0xab); /* untouched: nothing was accepted */
    CHECK_INT(cmio_tcp_listener_accept(&listener, NULL, NULL), -EINVAL);
}

static void test_register_idle(void)
{
    CHECK_INT(cmio_poll_new(&poll_), 0);
    CHECK_INT(cmio_events_new(&events, 64), 0);
    /* Nothing registered and no timeout: poll_oneoff has nothing to wait for (and there is no
     * other thread to register something): an error, not a wait forever. */
    CHECK_INT(cmio_poll_poll(poll_, events, NULL), -ENOTSUP);
    cmio_registry *reg = cmio_poll_registry(poll_);
    CHECK_INT(cmio_tcp_listener_register(&listener, reg, TOK_LISTENER, 0), -EINVAL);
    CHECK_INT(cmio_tcp_listener_register(&listener, reg, TOK_LISTENER, CMIO_INTEREST_READABLE), 0);
    CHECK_INT(cmio_tcp_listener_register(&listener, reg, TOK_LISTENER, CMIO_INTEREST_READABLE),
              -EEXIST);
    const struct timespec zero = {0, 0}, ms50 = {0, 50000000L};
    CHECK_INT(cmio_poll_poll(poll_, events, &zero), 0);
    int64_t t0 = now_ms();
    CHECK_INT(cmio_poll_poll(poll_, events, &ms50), 0);
    CHECK(now_ms() - t0 >= 50); /* the timeout is honoured, not cut short */
}

static void test_listener_readable(void)
{
    printf(WASI_CLIENTS_CMD "1 %d\n", SMALL);
    struct seen s;
    CHECK_INT(poll_token(TOK_LISTENER, WAIT_MS, &s), 0);
    CHECK(s.events > 0);
    CHECK(s.readable);
    CHECK(!s.writable);
    CHECK(!s.error);
}

static void test_accept(void)
{
    cmio_sockaddr peer;
    memset(&peer, 0xab, sizeof(peer));
    CHECK_INT(cmio_tcp_listener_accept(&listener, &stream, &peer), 0);
    /* WASI preview 1 cannot tell the peer's address: it is left empty. */
    CHECK_INT(cmio_sockaddr_family(&peer), AF_UNSPEC);
    int fd = cmio_tcp_stream_as_fd(&stream);
    CHECK(fd > WASI_LISTEN_FD);
    cmio_tcp_stream other;
    CHECK_INT(cmio_tcp_listener_accept(&listener, &other, NULL), -EAGAIN);
    /* Edge-triggered: no new connection, so no new event for the listener. */
    const struct timespec zero = {0, 0};
    CHECK_INT(cmio_poll_poll(poll_, events, &zero), 0);
}

static void test_stream_readable(void)
{
    cmio_registry *reg = cmio_poll_registry(poll_);
    CHECK_INT(cmio_tcp_stream_register(&stream, reg, TOK_STREAM, CMIO_INTEREST_READABLE), 0);
    struct seen s;
    CHECK_INT(poll_token(TOK_STREAM, WAIT_MS, &s), 0);
    CHECK(s.readable);
    CHECK(!s.writable); /* not asked for */
    /* Not read yet, and already reported: the next poll has nothing new, and it does not fail
     * (poll_oneoff cannot wait for an fd with nothing armed: it must leave the poll set). */
    const struct timespec zero = {0, 0};
    CHECK_INT(cmio_poll_poll(poll_, events, &zero), 0);
}

static uint8_t small[SMALL];

static void test_peek_then_read(void)
{
    uint8_t peeked[SMALL];
    ssize_t p = cmio_tcp_stream_peek(&stream, peeked, sizeof(peeked));
    CHECK(p > 0);
    if (p <= 0)
        return;
    CHECK(is_pattern(0, peeked, 0, (size_t)p));
    /* What was peeked is still there: the read returns it again. */
    ssize_t n = cmio_tcp_stream_read(&stream, small, (size_t)p);
    CHECK_INT(n, p);
    CHECK(n > 0 && memcmp(small, peeked, (size_t)n) == 0);
    if (n < 0)
        n = 0;
    long rest = read_all(&stream, TOK_STREAM, small + n, SMALL - (size_t)n);
    CHECK_INT(rest, SMALL - n);
    CHECK(is_pattern(0, small, 0, SMALL));
    /* The client waits for the echo: nothing more to read (the header's inline fast path and the
     * exported function alike). */
    CHECK_INT(cmio_tcp_stream_read(&stream, small, 1), -EAGAIN);
    CHECK_INT((cmio_tcp_stream_read)(&stream, small, 1), -EAGAIN);
    CHECK_INT((cmio_tcp_stream_peek)(&stream, small, 1), -EAGAIN);
    CHECK_INT(cmio_tcp_stream_read(NULL, small, 1), -EINVAL);
}

static void test_no_event_without_news(void)
{
    const struct timespec ms20 = {0, 20000000L};
    CHECK_INT(cmio_poll_poll(poll_, events, &ms20), 0);
}

static void test_write_echo(void)
{
    cmio_registry *reg = cmio_poll_registry(poll_);
    CHECK_INT(cmio_tcp_stream_reregister(&stream, reg, TOK_STREAM2,
                                         CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE),
              0);
    struct seen s;
    CHECK_INT(poll_token(TOK_STREAM2, WAIT_MS, &s), 0);
    CHECK(s.writable); /* under the new token */
    size_t sent = 0;
    int64_t end = now_ms() + WAIT_MS;
    while (sent < SMALL && now_ms() < end) {
        ssize_t n = cmio_tcp_stream_write(&stream, small + sent, SMALL - sent);
        if (n == -EAGAIN) {
            CHECK_INT(poll_token(TOK_STREAM2, WAIT_MS, &s), 0);
            continue;
        }
        CHECK(n > 0);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    CHECK_INT(sent, SMALL);
}

static void test_peer_shutdown_read_closed(void)
{
    /* The client shuts down its write half once it has the whole echo. */
    struct seen s;
    int64_t end = now_ms() + WAIT_MS;
    do {
        CHECK_INT(poll_token(TOK_STREAM2, WAIT_MS, &s), 0);
    } while (!s.read_closed && now_ms() < end);
    CHECK(s.read_closed);
    CHECK(s.readable);
    CHECK_INT(cmio_tcp_stream_read(&stream, small, sizeof(small)), 0);
}

static void test_shutdown_and_close(void)
{
    CHECK_INT(cmio_tcp_stream_shutdown(&stream, (cmio_shutdown)7), -EINVAL);
    /* The client sees end of stream: the harness checks it. */
    CHECK_INT(cmio_tcp_stream_shutdown(&stream, CMIO_SHUTDOWN_WRITE), 0);
    CHECK_INT(cmio_tcp_stream_close(&stream), 0);
    CHECK_INT(cmio_tcp_stream_close(&stream), -EBADF);
    CHECK_INT(cmio_tcp_stream_read(&stream, small, 1), -EBADF);
    /* An all-zero (or _INIT) struct is empty. */
    cmio_tcp_stream empty = CMIO_TCP_STREAM_INIT;
    CHECK_INT(cmio_tcp_stream_write(&empty, small, 1), -EBADF);
    CHECK_INT(cmio_tcp_stream_close(&empty), -EBADF);
}

static void test_deregister_reregister(void)
{
    cmio_registry *reg = cmio_poll_registry(poll_);
    CHECK_INT(cmio_tcp_listener_deregister(&listener, reg), 0);
    CHECK_INT(cmio_tcp_listener_deregister(&listener, reg), -ENOENT);
    CHECK_INT(cmio_tcp_listener_reregister(&listener, reg, TOK_LISTENER, CMIO_INTEREST_READABLE),
              -ENOENT);
    printf(WASI_CLIENTS_CMD "1 %d\n", SMALL);
    /* A client is connecting, but the listener is registered nowhere: no event at all. */
    const struct timespec ms300 = {0, 300000000L};
    CHECK_INT(cmio_poll_poll(poll_, events, &ms300), 0);
    CHECK_INT(cmio_tcp_listener_register(&listener, reg, TOK_LISTENER2, CMIO_INTEREST_READABLE), 0);
    CHECK_INT(serve(TOK_LISTENER2, 1, SMALL), 1);
}

static void test_many_connections(void)
{
    printf(WASI_CLIENTS_CMD "%d %d\n", MANY, MANY_SIZE);
    CHECK_INT(serve(TOK_LISTENER2, MANY, MANY_SIZE), MANY);
}

static void test_large_transfers(void)
{
    printf(WASI_CLIENTS_CMD "%d %d\n", LARGE, LARGE_SIZE);
    CHECK_INT(serve(TOK_LISTENER2, LARGE, LARGE_SIZE), LARGE);
}

static void test_into_fd_and_close(void)
{
    int fd = cmio_tcp_listener_into_fd(&listener);
    CHECK_INT(fd, WASI_LISTEN_FD);
    CHECK_INT(cmio_tcp_listener_as_fd(&listener), -EBADF);
    CHECK_INT(cmio_tcp_listener_close(&listener), -EBADF);
    CHECK_INT(cmio_tcp_listener_from_fd(&listener, fd), 0);
    CHECK_INT(cmio_tcp_listener_close(&listener), 0);
    cmio_events_free(events);
    cmio_poll_free(poll_);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* the harness reads the requests line by line */
    printf("%s: cmio %s build, %s backend\n", argc > 0 ? argv[0] : "?", CMIO_PLATFORM_NAME,
           cmio_backend_name());
    run("platform", test_platform);
    run("listener_from_fd", test_listener_from_fd);
    run("accept_before_client", test_accept_before_client);
    run("register_idle", test_register_idle);
    run("listener_readable", test_listener_readable);
    run("accept", test_accept);
    run("stream_readable", test_stream_readable);
    run("peek_then_read", test_peek_then_read);
    run("no_event_without_news", test_no_event_without_news);
    run("write_echo", test_write_echo);
    run("peer_shutdown_read_closed", test_peer_shutdown_read_closed);
    run("shutdown_and_close", test_shutdown_and_close);
    run("deregister_reregister", test_deregister_reregister);
    run("many_connections", test_many_connections);
    run("large_transfers", test_large_transfers);
    run("into_fd_and_close", test_into_fd_and_close);
    printf("%d passed, %d failed\n", tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}
