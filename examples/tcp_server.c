/* SPDX-License-Identifier: MIT */
/* tcp_server — an edge-triggered TCP echo server on cmio (mio's examples/tcp_server.rs in C).
 *
 *   tcp_server [PORT] [--max-conns N]
 *
 * Binds 127.0.0.1:PORT (default 9000; 0 picks a free port), prints exactly one line
 * "listening on 127.0.0.1:PORT" on stdout once it is bound, then echoes back whatever each client
 * sends. It exits cleanly (status 0, every socket closed) on SIGINT or SIGTERM, or after N
 * connections have closed when --max-conns N is given. Progress is logged on stderr.
 *
 * The shape of every cmio program:
 *   1. create a poll and an events buffer;
 *   2. register sources (the listener, a waker, each accepted stream) with a token each;
 *   3. loop: cmio_poll_poll() fills the events; for each event look up the token and do the I/O
 *      *until it returns -EAGAIN* — readiness is edge-triggered, so an event only says "something
 *      changed"; the next event comes after an operation has reported -EAGAIN.
 *
 * Nothing is allocated per connection or per event: connections live in a fixed table.
 * Accept errors never stop the server: a connection that failed is skipped, and running out of
 * file descriptors sheds a pending connection through a reserve fd, or pauses accepting briefly
 * (see "accepting" below) — copy that part too.
 */
#include <cmio/cmio.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens -------------------------------------------------------------------------------- */

/* A token is any 64-bit value. Two are fixed; a connection's token carries its slot in the table
 * and the slot's generation, so an event can never be mistaken for a later user of the slot. */
#define TOKEN_LISTENER ((cmio_token)0)
#define TOKEN_WAKER ((cmio_token)1)
#define TOKEN_CONN_BASE ((cmio_token)2)

#define MAX_CONNS 64
#define CONN_BUF 16384 /* echo buffer per connection */
#define EVENTS_CAP 128

struct conn {
    bool in_use;
    uint32_t generation;
    cmio_tcp_stream stream;
    char peer[CMIO_SOCKADDR_STRLEN];
    cmio_interest interest; /* what it is registered for right now */
    bool peer_done;         /* the client closed its write half: flush, then close */
    /* Bytes read but not yet written back: buf[off, len). */
    char buf[CONN_BUF];
    size_t off, len;
    uint64_t echoed;
};

static struct conn conns[MAX_CONNS];

static cmio_token conn_token(size_t slot)
{
    return TOKEN_CONN_BASE + (((cmio_token)conns[slot].generation << 32) | slot);
}

/* The slot an event's token designates, or -1 for a stale token. */
static long conn_slot(cmio_token token)
{
    cmio_token t = token - TOKEN_CONN_BASE;
    size_t slot = (size_t)(t & 0xffffffffu);
    if (slot >= MAX_CONNS || !conns[slot].in_use || conns[slot].generation != (uint32_t)(t >> 32))
        return -1;
    return (long)slot;
}

/* ---- stopping on SIGINT/SIGTERM ------------------------------------------------------------ */

/* The handler may not do much: it sets a flag and wakes the poll. cmio_waker_wake() is a single
 * write(2) to an eventfd, which is async-signal-safe, so the blocked cmio_poll_poll() returns
 * with a TOKEN_WAKER event (or -EINTR, if the signal interrupted it directly). */
static volatile sig_atomic_t stop_requested;
static cmio_waker *volatile waker; /* set before the handlers are installed */

static void on_signal(int sig)
{
    int saved_errno = errno;
    (void)sig;
    stop_requested = 1;
    if (waker != NULL)
        (void)cmio_waker_wake(waker);
    errno = saved_errno;
}

static int install_signal_handlers(void)
{
#ifdef _WIN32
    /* Windows has C's signal() only (Ctrl+C arrives on another thread: wake is thread-safe). */
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        return -errno;
    return 0;
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
        return -errno;
    /* No need to ignore SIGPIPE: cmio writes never raise it (they return -EPIPE instead). */
    return 0;
#endif
}

/* ---- connections --------------------------------------------------------------------------- */

static unsigned long conns_closed;

static void conn_close(struct conn *c, const char *why)
{
    /* close() also removes the stream from the poll. */
    (void)cmio_tcp_stream_close(&c->stream);
    fprintf(stderr, "tcp_server: %s: closed (%s), echoed %llu bytes\n", c->peer, why,
            (unsigned long long)c->echoed);
    c->in_use = false;
    c->generation++;
    conns_closed++;
}

/* Registers for `want` if that is not what the stream is registered for already. */
static int conn_want(struct conn *c, size_t slot, cmio_registry *registry, cmio_interest want)
{
    if (c->interest == want)
        return 0;
    int r = cmio_tcp_stream_reregister(&c->stream, registry, conn_token(slot), want);
    if (r == 0)
        c->interest = want;
    return r;
}

/* Does all the I/O the connection can do now. Edge-triggered rules: every path that stops
 * early stops on -EAGAIN, so an event is guaranteed when progress becomes possible again.
 *
 * While buffered data cannot be written, the connection waits for WRITABLE only and reads
 * nothing more: a slow reader slows down its own writer (back-pressure) instead of making the
 * server buffer without bound. */
static void conn_ready(size_t slot, cmio_registry *registry)
{
    struct conn *c = &conns[slot];
    for (;;) {
        if (c->off < c->len) {
            ssize_t n = cmio_tcp_stream_write(&c->stream, c->buf + c->off, c->len - c->off);
            if (n == -EAGAIN) {
                if (conn_want(c, slot, registry, CMIO_INTEREST_WRITABLE) < 0)
                    conn_close(c, "reregister failed");
                return;
            }
            if (n < 0) {
                conn_close(c, cmio_strerror((int)n));
                return;
            }
            c->off += (size_t)n;
            c->echoed += (uint64_t)n;
            continue;
        }
        c->off = c->len = 0; /* everything echoed so far */
        if (c->peer_done) {
            conn_close(c, "client done");
            return;
        }
        ssize_t n = cmio_tcp_stream_read(&c->stream, c->buf, sizeof c->buf);
        if (n == -EAGAIN) {
            if (conn_want(c, slot, registry, CMIO_INTEREST_READABLE) < 0)
                conn_close(c, "reregister failed");
            return;
        }
        if (n < 0) {
            conn_close(c, cmio_strerror((int)n));
            return;
        }
        if (n == 0)
            c->peer_done = true; /* end of stream: flush what is left (nothing here), close */
        c->len = (size_t)n;
    }
}

/* ---- accepting ----------------------------------------------------------------------------- */

/* Out of file descriptors (-EMFILE/-ENFILE), accept cannot take the pending connection, and an
 * edge-triggered loop that stops before -EAGAIN gets no new event for the connections still
 * queued: the server would never serve anyone again. Two classic remedies, both here:
 *   - a reserve fd (opened at start): close it, accept the connection, close that at once (the
 *     client sees the connection closed rather than hanging), reopen the reserve, carry on;
 *   - when even that fails (or for -ENOMEM/-ENOBUFS), stop accepting for ACCEPT_RETRY_MS and
 *     try again from the poll loop's timeout: no event is needed to resume. */
#define ACCEPT_RETRY_MS 100
static cmio_udp_socket reserve; /* all zero: empty until reserve_open() */
static bool accept_paused;

/* Any cheap socket holds the reserve fd; a UDP socket keeps to cmio's portable API. */
static void reserve_open(void)
{
    cmio_sockaddr any;
    const uint8_t loopback[4] = {127, 0, 0, 1};
    cmio_sockaddr_ipv4(&any, loopback, 0);
    (void)cmio_udp_socket_bind(&reserve, &any); /* on failure it stays empty */
}

/* Sheds one pending connection using the reserve fd: 0 when one was closed, -EAGAIN when none
 * was pending (accept says "too many open files" before it looks at the queue), -EMFILE when
 * there is no reserve. */
static int shed_one(cmio_tcp_listener *listener)
{
    if (cmio_udp_socket_close(&reserve) < 0)
        return -EMFILE; /* -EBADF: empty, no reserve left */
    cmio_tcp_stream doomed;
    int r = cmio_tcp_listener_accept(listener, &doomed, NULL);
    if (r == 0)
        (void)cmio_tcp_stream_close(&doomed);
    reserve_open();
    return r;
}

/* Accepts every pending connection (until -EAGAIN, so that the next one raises an event). */
static void accept_all(cmio_tcp_listener *listener, cmio_registry *registry)
{
    accept_paused = false;
    for (;;) {
        cmio_tcp_stream stream;
        cmio_sockaddr peer;
        int r = cmio_tcp_listener_accept(listener, &stream, &peer);
        if (r == -EAGAIN)
            return;
        if (r == -ECONNABORTED || r == -EPROTO || r == -EPERM || r == -EINTR) {
            /* That connection is gone (or was refused by a firewall): the next one may be fine. */
            fprintf(stderr, "tcp_server: accept: %s (carrying on)\n", cmio_strerror(r));
            continue;
        }
        if (r == -EMFILE || r == -ENFILE) {
            int shed = shed_one(listener);
            if (shed == -EAGAIN)
                return; /* nothing was pending after all */
            if (shed == 0) {
                fprintf(stderr, "tcp_server: accept: %s: closed one pending connection\n",
                        cmio_strerror(r));
                continue;
            }
        }
        if (r < 0) {
            /* -ENOMEM, -ENOBUFS, or out of fds with no reserve left: retry after a pause. */
            fprintf(stderr, "tcp_server: accept: %s (retrying in %d ms)\n", cmio_strerror(r),
                    ACCEPT_RETRY_MS);
            accept_paused = true;
            return;
        }
        size_t slot = 0;
        while (slot < MAX_CONNS && conns[slot].in_use)
            slot++;
        if (slot == MAX_CONNS) {
            fprintf(stderr, "tcp_server: table full (%d connections), refusing one\n", MAX_CONNS);
            (void)cmio_tcp_stream_close(&stream);
            continue;
        }
        struct conn *c = &conns[slot];
        c->stream = stream;
        c->off = c->len = 0;
        c->echoed = 0;
        c->peer_done = false;
        if (cmio_sockaddr_format(&peer, c->peer, sizeof c->peer) < 0)
            snprintf(c->peer, sizeof c->peer, "?");
        /* Start with READABLE; WRITABLE is added only while an echo is stuck. */
        c->interest = CMIO_INTEREST_READABLE;
        r = cmio_tcp_stream_register(&c->stream, registry, conn_token(slot), c->interest);
        if (r < 0) {
            fprintf(stderr, "tcp_server: register: %s\n", cmio_strerror(r));
            (void)cmio_tcp_stream_close(&c->stream);
            continue;
        }
        c->in_use = true;
        fprintf(stderr, "tcp_server: %s: accepted (slot %zu)\n", c->peer, slot);
        /* Data that arrived before the registration is not lost: registering reports the
         * readiness the stream already has. */
    }
}

/* ---- main ---------------------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: tcp_server [PORT] [--max-conns N]   (PORT default 9000, 0 = any)\n");
    return 2;
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    unsigned long port = 9000, max_conns = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-conns") == 0 && i + 1 < argc) {
            if (!parse_ulong(argv[++i], 1000000000ul, &max_conns) || max_conns == 0)
                return usage();
        } else if (!parse_ulong(argv[i], 65535, &port)) {
            return usage();
        }
    }

    cmio_poll *poll = NULL;
    cmio_events *events = NULL;
    cmio_tcp_listener listener = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    char text[CMIO_SOCKADDR_STRLEN];
    const uint8_t loopback[4] = {127, 0, 0, 1};
    int status = 1, r;

    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, EVENTS_CAP)) < 0) {
        fprintf(stderr, "tcp_server: poll: %s\n", cmio_strerror(r));
        goto out;
    }
    cmio_registry *registry = cmio_poll_registry(poll);

    cmio_waker *new_waker;
    if ((r = cmio_waker_new(&new_waker, registry, TOKEN_WAKER)) < 0) {
        fprintf(stderr, "tcp_server: waker: %s\n", cmio_strerror(r));
        goto out;
    }
    waker = new_waker; /* before the handlers exist, so they always see it */
    if ((r = install_signal_handlers()) < 0) {
        fprintf(stderr, "tcp_server: signals: %s\n", cmio_strerror(r));
        goto out;
    }

    cmio_sockaddr_ipv4(&addr, loopback, (uint16_t)port);
    if ((r = cmio_tcp_listener_bind(&listener, &addr)) < 0 ||
        (r = cmio_tcp_listener_local_addr(&listener, &addr)) < 0 ||
        (r = cmio_tcp_listener_register(&listener, registry, TOKEN_LISTENER,
                                        CMIO_INTEREST_READABLE)) < 0) {
        fprintf(stderr, "tcp_server: listen on port %lu: %s\n", port, cmio_strerror(r));
        goto out;
    }
    cmio_sockaddr_format(&addr, text, sizeof text);
    reserve_open();
    printf("listening on %s\n", text);
    fflush(stdout);

    const struct timespec retry = {0, ACCEPT_RETRY_MS * 1000000L};
    while (!stop_requested && (max_conns == 0 || conns_closed < max_conns)) {
        /* Wait as long as it takes, or only until accepting is retried. */
        r = cmio_poll_poll(poll, events, accept_paused ? &retry : NULL);
        if (r >= 0 && accept_paused)
            accept_all(&listener, registry);
        if (r == -EINTR)
            continue; /* a signal: the loop condition decides */
        if (r < 0) {
            fprintf(stderr, "tcp_server: poll: %s\n", cmio_strerror(r));
            goto out;
        }
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            cmio_token token = cmio_event_token(e);
            if (token == TOKEN_LISTENER) {
                accept_all(&listener, registry);
            } else if (token == TOKEN_WAKER) {
                /* Only the signal handler wakes us; the loop condition sees stop_requested. */
            } else {
                long slot = conn_slot(token);
                if (slot >= 0)
                    conn_ready((size_t)slot, registry);
            }
        }
    }
    fprintf(stderr, "tcp_server: %s; %lu connections closed\n",
            stop_requested ? "stopping on signal" : "connection limit reached", conns_closed);
    status = 0;

out:
    for (size_t i = 0; i < MAX_CONNS; i++) {
        if (conns[i].in_use)
            conn_close(&conns[i], "server stopping");
    }
    (void)cmio_tcp_listener_close(&listener); /* -EBADF if it was never bound: harmless */
    (void)cmio_udp_socket_close(&reserve);
    /* From here on a signal must not touch the waker: ignore them, then free it. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    cmio_waker *w = waker;
    waker = NULL;
    cmio_waker_free(w);
    cmio_events_free(events);
    cmio_poll_free(poll);
    return status;
}
