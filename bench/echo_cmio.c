/* SPDX-License-Identifier: MIT */
/* echo_cmio — the benchmark echo server on cmio's public API (bench/README.md has the protocol).
 *
 *   echo_cmio       --tcp 127.0.0.1:0 | --unix PATH | --udp 127.0.0.1:0 [--max-conns N]
 *   echo_cmio_drain (the same, built with -DECHO_DRAIN=1: reads until -EAGAIN)
 *
 * The same server as echo_raw_epoll.c, line for line, written the way cmio (and mio) is meant to
 * be used: connections live in a fixed table allocated at start-up (default 20000 slots), the
 * token is the connection's address (no table index, no liveness check: a connection is closed
 * only while its own event is handled, and a poll reports a registration at most once), each
 * registered READABLE when accepted and switched to WRITABLE only while a partial write waits for
 * room. The read strategy is chosen at compile time, one binary per strategy. Reads go into one
 * shared 64 KiB buffer; bytes a partial write could not send are copied into the connection's slot
 * of a pending-bytes table reserved at start-up. Nothing is allocated per connection or per event.
 *
 * Backends: the same binaries run on io_uring (CMIO_BACKEND=uring) and on poll(2)
 * (CMIO_BACKEND=poll CMIO_WAKER=pipe). Stopping after a short read relies on a new edge for new
 * data, which epoll and io_uring's multishot poll give; cmio's contract everywhere is only "a
 * readiness is reported again after an operation returned -EAGAIN", and the poll(2) backend gives
 * no more: there echo_cmio refuses to run (use echo_cmio_drain).
 *
 * SIGINT/SIGTERM: the handler writes to a self-pipe registered as a raw fd
 * (cmio_registry_register_fd) with the listener's token (0, not a connection): async-signal-safe on
 * every backend.
 */
#define _GNU_SOURCE
#include <cmio/cmio.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_util.h"

#ifndef ECHO_DRAIN
#define ECHO_DRAIN 0
#endif
#if ECHO_DRAIN
#define NAME "echo_cmio_drain"
#else
#define NAME "echo_cmio"
#endif

#define BUF_SIZE 65536
#define EVENTS_CAP 1024
#define TOKEN_OTHER ((cmio_token)0) /* the listener (or UDP socket) and the self-pipe */

enum proto { PROTO_TCP, PROTO_UNIX, PROTO_UDP };

struct conn {
    union {
        cmio_tcp_stream tcp;
        cmio_unix_stream unix_;
    } s;
    uint32_t off;           /* pending bytes are pending[slot × BUF_SIZE + off, … + len) */
    uint32_t len;           /* 0: nothing pending */
    struct conn *next_free; /* free list; NULL while in use and at the end of the list */
    bool in_use;
};

static enum proto proto = PROTO_TCP;
static struct conn *conns, *free_conns;
static uint8_t *pending; /* max_conns × BUF_SIZE, reserved (MAP_NORESERVE), touched on demand */
static uint32_t max_conns = 20000, nconns;
static uint8_t rbuf[BUF_SIZE];
static cmio_registry *registry;
static cmio_tcp_listener tcp_listener = CMIO_TCP_LISTENER_INIT;
static cmio_unix_listener unix_listener = CMIO_UNIX_LISTENER_INIT;
static cmio_udp_socket udp = CMIO_UDP_SOCKET_INIT;
static int sig_wr = -1;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    stop = 1;
    (void)!write(sig_wr, "x", 1);
    errno = saved;
}

/* ---- the stream a connection holds (TCP or Unix) -----------------------------------------
 * The echo path is written once for both stream types and specialised per type (ALWAYS_INLINE
 * with a constant `p`): the protocol is chosen once per run, as the raw server's fd-based code
 * needs no choice at all. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE ssize_t conn_read(enum proto p, struct conn *c, void *buf, size_t len)
{
    return p == PROTO_TCP ? cmio_tcp_stream_read(&c->s.tcp, buf, len)
                          : cmio_unix_stream_read(&c->s.unix_, buf, len);
}

ALWAYS_INLINE ssize_t conn_write(enum proto p, struct conn *c, const void *buf, size_t len)
{
    return p == PROTO_TCP ? cmio_tcp_stream_write(&c->s.tcp, buf, len)
                          : cmio_unix_stream_write(&c->s.unix_, buf, len);
}

static cmio_token conn_token(const struct conn *c)
{
    return (cmio_token)(uintptr_t)c;
}

static uint8_t *conn_pending(const struct conn *c)
{
    return pending + (size_t)(c - conns) * BUF_SIZE;
}

static int conn_interest(enum proto p, struct conn *c, cmio_interest interest)
{
    return p == PROTO_TCP
               ? cmio_tcp_stream_reregister(&c->s.tcp, registry, conn_token(c), interest)
               : cmio_unix_stream_reregister(&c->s.unix_, registry, conn_token(c), interest);
}

static void conn_close(struct conn *c)
{
    /* close() also removes the stream from the registry. */
    if (proto == PROTO_TCP)
        (void)cmio_tcp_stream_close(&c->s.tcp);
    else
        (void)cmio_unix_stream_close(&c->s.unix_);
    c->in_use = false;
    c->off = c->len = 0;
    c->next_free = free_conns;
    free_conns = c;
    nconns--;
}

/* ---- echo ---------------------------------------------------------------------------------- */

/* The slow path: the write took w < n bytes of rbuf (w < 0: an error, or -EAGAIN). Keeps the rest
 * and waits for WRITABLE. */
static __attribute__((noinline)) void partial_write(enum proto p, struct conn *c, size_t n,
                                                    ssize_t w)
{
    if (w < 0) {
        if (w != -EAGAIN) {
            conn_close(c);
            return;
        }
        w = 0;
    }
    memcpy(conn_pending(c), rbuf + w, n - (size_t)w);
    c->off = 0;
    c->len = (uint32_t)(n - (size_t)w);
    if (conn_interest(p, c, CMIO_INTEREST_WRITABLE) < 0)
        conn_close(c);
}

/* Flushes the pending bytes (on WRITABLE). Returns false while some are left or when the
 * connection was closed. */
static __attribute__((noinline)) bool flush_pending(enum proto p, struct conn *c)
{
    uint8_t *q = conn_pending(c);
    while (c->off < c->len) {
        ssize_t w = conn_write(p, c, q + c->off, c->len - c->off);
        if (w < 0) {
            if (w == -EAGAIN)
                return false; /* the next WRITABLE event resumes */
            if (w == -EINTR)
                continue;
            conn_close(c);
            return false;
        }
        c->off += (uint32_t)w;
    }
    c->off = c->len = 0;
    if (conn_interest(p, c, CMIO_INTEREST_READABLE) < 0) {
        conn_close(c);
        return false;
    }
    return true; /* data that came while we waited for room brought its event then: read it now */
}

ALWAYS_INLINE void conn_ready(enum proto p, struct conn *c)
{
    if (c->len != 0 && !flush_pending(p, c))
        return;
    for (;;) {
        ssize_t n = conn_read(p, c, rbuf, BUF_SIZE);
        if (n <= 0) {
            if (n == -EAGAIN)
                return;
            if (n == -EINTR)
                continue;
            conn_close(c); /* end of stream or error */
            return;
        }
        ssize_t w = conn_write(p, c, rbuf, (size_t)n);
        if (w != n) {
            partial_write(p, c, (size_t)n, w);
            return;
        }
#if !ECHO_DRAIN
        if (n < BUF_SIZE)
            return; /* a short read: the socket is empty, new data brings a new edge */
#endif
    }
}

/* Takes a connection for an accepted stream and registers it. */
static void conn_add(const cmio_tcp_stream *tcp, const cmio_unix_stream *un)
{
    struct conn *c = free_conns;
    if (c == NULL) {
        fprintf(stderr, NAME ": table full (%u), refusing a connection\n", max_conns);
        if (tcp != NULL)
            (void)cmio_tcp_stream_close((cmio_tcp_stream *)tcp);
        else
            (void)cmio_unix_stream_close((cmio_unix_stream *)un);
        return;
    }
    free_conns = c->next_free;
    c->in_use = true;
    nconns++;
    int r;
    if (tcp != NULL) {
        c->s.tcp = *tcp;
        r = cmio_tcp_stream_register(&c->s.tcp, registry, conn_token(c), CMIO_INTEREST_READABLE);
    } else {
        c->s.unix_ = *un;
        r = cmio_unix_stream_register(&c->s.unix_, registry, conn_token(c), CMIO_INTEREST_READABLE);
    }
    if (r < 0) {
        fprintf(stderr, NAME ": register: %s\n", cmio_strerror(r));
        conn_close(c);
    }
}

static void accept_all(void)
{
    for (;;) {
        int r;
        if (proto == PROTO_TCP) {
            cmio_tcp_stream s;
            r = cmio_tcp_listener_accept(&tcp_listener, &s, NULL);
            if (r == 0)
                conn_add(&s, NULL);
        } else {
            cmio_unix_stream s;
            r = cmio_unix_listener_accept(&unix_listener, &s, NULL);
            if (r == 0)
                conn_add(NULL, &s);
        }
        if (r == -EINTR || r == -ECONNABORTED || r == 0)
            continue;
        if (r != -EAGAIN)
            fprintf(stderr, NAME ": accept: %s\n", cmio_strerror(r));
        return;
    }
}

static void udp_ready(void)
{
    for (;;) {
        cmio_sockaddr from;
        ssize_t n = cmio_udp_socket_recv_from(&udp, rbuf, sizeof rbuf, &from);
        if (n == -EINTR)
            continue;
        if (n < 0)
            return; /* -EAGAIN (or an error a UDP socket reports once) */
        /* A datagram that does not fit the send buffer is dropped, as UDP may. */
        (void)cmio_udp_socket_send_to(&udp, rbuf, (size_t)n, &from);
        /* Always until -EAGAIN, whatever the read strategy: with edge-triggered readiness a
         * datagram left queued would wait for the next one to arrive (a burst would stall). */
    }
}

/* ---- the event loop (one copy per protocol) ------------------------------------------------- */

ALWAYS_INLINE int run(enum proto p, cmio_poll *poll, cmio_events *events)
{
    while (!stop) {
        int n = cmio_poll_poll(poll, events, NULL);
        if (n < 0) {
            if (n == -EINTR)
                continue;
            fprintf(stderr, NAME ": poll: %s\n", cmio_strerror(n));
            return 1;
        }
        for (int i = 0; i < n; i++) {
            cmio_token token = cmio_event_token(cmio_events_get(events, (size_t)i));
            if (token != TOKEN_OTHER)
                conn_ready(p, (struct conn *)(uintptr_t)token);
            else if (p == PROTO_UDP)
                udp_ready();
            else
                accept_all(); /* the listener, or the self-pipe (then: -EAGAIN, and stop) */
        }
    }
    return 0;
}

static int run_tcp(cmio_poll *poll, cmio_events *events)
{
    return run(PROTO_TCP, poll, events);
}

static int run_unix(cmio_poll *poll, cmio_events *events)
{
    return run(PROTO_UNIX, poll, events);
}

static int run_udp(cmio_poll *poll, cmio_events *events)
{
    return run(PROTO_UDP, poll, events);
}

/* ---- main ---------------------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: " NAME " --tcp 127.0.0.1:PORT | --unix PATH | --udp 127.0.0.1:PORT "
                    "[--max-conns N]\n"
                    "  (the read strategy is built in: echo_cmio stops after a short read,\n"
                    "   echo_cmio_drain reads until -EAGAIN; --drain is accepted by the latter)\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *where = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--drain") == 0 && ECHO_DRAIN) {
            /* what this binary does anyway */
        } else if (i + 1 < argc && strcmp(argv[i], "--max-conns") == 0) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || v == 0 || v > 10000000)
                return usage();
            max_conns = (uint32_t)v;
        } else if (i + 1 < argc && strcmp(argv[i], "--tcp") == 0) {
            proto = PROTO_TCP;
            where = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--unix") == 0) {
            proto = PROTO_UNIX;
            where = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--udp") == 0) {
            proto = PROTO_UDP;
            where = argv[++i];
        } else {
            return usage();
        }
    }
    if (where == NULL)
        return usage();

    raise_nofile((rlim_t)max_conns + 64);
    conns = calloc(max_conns, sizeof *conns);
    pending = mmap(NULL, (size_t)max_conns * BUF_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (conns == NULL || pending == MAP_FAILED) {
        fprintf(stderr, NAME ": cannot reserve %u connections\n", max_conns);
        return 1;
    }
    for (uint32_t i = max_conns; i-- > 0;) {
        conns[i].next_free = free_conns;
        free_conns = &conns[i];
    }

    cmio_poll *new_poll = NULL;
    cmio_events *new_events = NULL;
    int r;
    if ((r = cmio_poll_new(&new_poll)) < 0 || (r = cmio_events_new(&new_events, EVENTS_CAP)) < 0) {
        fprintf(stderr, NAME ": poll: %s\n", cmio_strerror(r));
        return 1;
    }
    cmio_poll *const poll = new_poll;
    cmio_events *const events = new_events;
    registry = cmio_poll_registry(poll);
    if (!ECHO_DRAIN && strcmp(cmio_backend_name(), "poll") == 0) {
        fprintf(stderr, NAME ": the poll(2) backend reports readiness again only after -EAGAIN: "
                             "stopping after a short read would hang; use echo_cmio_drain\n");
        return 2;
    }

    int sp[2];
    if (pipe2(sp, O_NONBLOCK | O_CLOEXEC) < 0 ||
        (r = cmio_registry_register_fd(registry, sp[0], TOKEN_OTHER, CMIO_INTEREST_READABLE)) < 0) {
        fprintf(stderr, NAME ": self-pipe: %s\n", strerror(errno));
        return 1;
    }
    sig_wr = sp[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char ready[CMIO_SOCKADDR_STRLEN + 108];
    if (proto == PROTO_UNIX) {
        unlink(where);
        if ((r = cmio_unix_listener_bind(&unix_listener, where)) < 0 ||
            (r = cmio_unix_listener_register(&unix_listener, registry, TOKEN_OTHER,
                                             CMIO_INTEREST_READABLE)) < 0) {
            fprintf(stderr, NAME ": listen on %s: %s\n", where, cmio_strerror(r));
            return 1;
        }
        snprintf(ready, sizeof ready, "%s", where);
    } else {
        cmio_sockaddr addr;
        if (cmio_sockaddr_parse(&addr, where) < 0)
            return usage();
        if (proto == PROTO_TCP) {
            if ((r = cmio_tcp_listener_bind(&tcp_listener, &addr)) < 0 ||
                (r = cmio_tcp_listener_local_addr(&tcp_listener, &addr)) < 0 ||
                (r = cmio_tcp_listener_register(&tcp_listener, registry, TOKEN_OTHER,
                                                CMIO_INTEREST_READABLE)) < 0) {
                fprintf(stderr, NAME ": listen on %s: %s\n", where, cmio_strerror(r));
                return 1;
            }
        } else if ((r = cmio_udp_socket_bind(&udp, &addr)) < 0 ||
                   (r = cmio_udp_socket_local_addr(&udp, &addr)) < 0 ||
                   (r = cmio_udp_socket_register(&udp, registry, TOKEN_OTHER,
                                                 CMIO_INTEREST_READABLE)) < 0) {
            fprintf(stderr, NAME ": bind %s: %s\n", where, cmio_strerror(r));
            return 1;
        }
        cmio_sockaddr_format(&addr, ready, sizeof ready);
    }
    printf("ready %s\n", ready);
    fflush(stdout);

    int rc = proto == PROTO_TCP    ? run_tcp(poll, events)
             : proto == PROTO_UNIX ? run_unix(poll, events)
                                   : run_udp(poll, events);
    if (rc != 0)
        return rc;

    for (uint32_t i = 0; i < max_conns; i++)
        if (conns[i].in_use)
            conn_close(&conns[i]);
    if (proto == PROTO_TCP)
        (void)cmio_tcp_listener_close(&tcp_listener);
    else if (proto == PROTO_UNIX) {
        (void)cmio_unix_listener_close(&unix_listener);
        unlink(where);
    } else
        (void)cmio_udp_socket_close(&udp);
    (void)cmio_registry_deregister_fd(registry, sp[0]);
    close(sp[0]);
    close(sp[1]);
    cmio_events_free(events);
    cmio_poll_free(poll);
    munmap(pending, (size_t)max_conns * BUF_SIZE);
    free(conns);
    return 0;
}
