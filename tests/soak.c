/* SPDX-License-Identifier: MIT */
/* cmio soak (`make soak`, not part of `make test`): 10 000 concurrent TCP connections plus Unix
 * stream and UDP traffic through one cmio event loop on each side, every payload checksummed end
 * to end, on the backend named by CMIO_BACKEND (the Makefile runs epoll, then poll).
 *
 * The server is a child process (its own fds, its own poll); the client is the parent. In each of
 * SOAK_ROUNDS rounds:
 *   - TCP: the client opens SOAK_TCP connections (at most 512 connecting at once, within the
 *     listener's backlog) and holds them all: once every one is established (SOAK_TCP concurrent
 *     connections on each side), each sends one message — a 16-byte header {magic, id, length,
 *     FNV-1a of the payload} and 1..8192 payload bytes that are a function of (id, offset) — the
 *     server verifies the checksum, echoes the message and shuts down its write half; the client
 *     checks every echoed byte against the function and the header, reads EOF and closes;
 *   - Unix streams: SOAK_UNIX connections at the same time, the same protocol, payloads up to 64
 * KiB;
 * and, running through all rounds:
 *   - UDP: SOAK_UDP datagrams (same header, up to 1200 payload bytes), at most 32 in flight, each
 *     verified by the server and echoed, then verified by the client; a datagram that never
 *     comes back is counted as lost (loopback with that window loses none).
 * The server closes first (TIME_WAIT stays on its side), so the client's ephemeral ports are free
 * again for the next round. Printed per side: connections, bytes verified, errors, fds and RSS at
 * start and end. Fails on any error, lost datagram, unfinished connection, or fd not released by
 * the end. Bounded: each side gives up at SOAK_DEADLINE_S (60 s + 15 s a round).
 */
#include <cmio/cmio.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define SOAK_TCP 10000
#define SOAK_UNIX 200
/* Rounds: CMIO_SOAK_ROUNDS (make soak SOAK_ROUNDS=N), default 10; datagrams: 20 000 a round;
 * each side gives up after 60 s + 15 s a round. */
static int SOAK_ROUNDS = 10;
static long SOAK_UDP;
static double SOAK_DEADLINE_S;
#define MAX_CONNECTING 512
#define UDP_WINDOW 32
#define MAGIC 0x636d696fu /* "cmio" */
#define HDR 16

#define TOK_TCP_LISTENER 1
#define TOK_UNIX_LISTENER 2
#define TOK_UDP 3
#define TOK_CTL 4
#define TOK_CONN0 16

/* ---- payloads ------------------------------------------------------------------------------ */

static uint8_t payload_byte(uint32_t id, uint32_t i)
{
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull + i;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (uint8_t)x;
}

static uint32_t fnv_step(uint32_t h, uint8_t b)
{
    return (h ^ b) * 16777619u;
}

#define FNV_INIT 2166136261u

static uint32_t payload_len(uint32_t id, uint32_t max)
{
    return 1 + (uint32_t)(((uint64_t)id * 2654435761u) % max);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The header of message id: magic, id, length, checksum of the payload. */
static void make_header(uint8_t *h, uint32_t id, uint32_t len)
{
    uint32_t sum = FNV_INIT;
    for (uint32_t i = 0; i < len; i++)
        sum = fnv_step(sum, payload_byte(id, i));
    put32(h, MAGIC);
    put32(h + 4, id);
    put32(h + 8, len);
    put32(h + 12, sum);
}

/* ---- process figures ---------------------------------------------------------------------- */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the directory's own fd */
}

/* A /proc/self/status figure in KiB: VmRSS (now) or VmHWM (peak). */
static long rss_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t k = strlen(key);
    long kib = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, key, k) == 0 && line[k] == ':') {
            kib = strtol(line + k + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct stats {
    long conns;      /* connections completed (verified and closed) */
    long peak;       /* most connections open at once */
    long udp;        /* datagrams verified */
    long udp_lost;   /* client: datagrams that never came back */
    long long bytes; /* payload bytes verified */
    long errors;     /* anything unexpected */
    int fds_start, fds_end, fds_peak;
    long rss_start, rss_end, rss_peak;
    char first_error[160];
};

static void error_at(struct stats *st, const char *what, long code)
{
    if (st->errors++ == 0)
        snprintf(st->first_error, sizeof st->first_error, "%s: %ld (%s)", what, code,
                 code < 0 ? cmio_err_name((int)code) : "");
}

/* ---- a stream of either kind ---------------------------------------------------------------- */

enum kind { TCP, UNIX };

struct conn {
    enum kind kind;
    union {
        cmio_tcp_stream tcp;
        cmio_unix_stream unx;
    } s;
    int state;
    uint32_t id, len;
    uint8_t hdr[HDR];
    uint8_t *buf; /* server: the whole message */
    size_t done;  /* bytes written (sending) or read (receiving) */
    uint32_t sum;
};

static ssize_t c_read(struct conn *c, void *b, size_t n)
{
    return c->kind == TCP ? cmio_tcp_stream_read(&c->s.tcp, b, n)
                          : cmio_unix_stream_read(&c->s.unx, b, n);
}

static ssize_t c_write(struct conn *c, const void *b, size_t n)
{
    return c->kind == TCP ? cmio_tcp_stream_write(&c->s.tcp, b, n)
                          : cmio_unix_stream_write(&c->s.unx, b, n);
}

static int c_close(struct conn *c)
{
    return c->kind == TCP ? cmio_tcp_stream_close(&c->s.tcp) : cmio_unix_stream_close(&c->s.unx);
}

static int c_register(struct conn *c, cmio_registry *reg, cmio_token t, cmio_interest i)
{
    return c->kind == TCP ? cmio_tcp_stream_register(&c->s.tcp, reg, t, i)
                          : cmio_unix_stream_register(&c->s.unx, reg, t, i);
}

/* ---- server -----------------------------------------------------------------------------------
 */

enum { S_HDR, S_BODY, S_ECHO, S_EOF, S_CLOSED };

struct server {
    cmio_poll *poll;
    cmio_registry *reg;
    struct conn *conns;
    size_t nconns, cap;
    long open;
    struct stats st;
};

static void s_close(struct server *sv, struct conn *c)
{
    int r = c_close(c);
    if (r < 0)
        error_at(&sv->st, "server close", r);
    free(c->buf);
    c->buf = NULL;
    c->state = S_CLOSED;
    sv->open--;
}

/* Drives one server connection as far as it goes without blocking. */
static void s_drive(struct server *sv, struct conn *c)
{
    for (;;) {
        if (c->state == S_HDR || c->state == S_BODY) {
            uint8_t tmp[HDR];
            uint8_t *dst = c->state == S_HDR ? tmp : c->buf + HDR + c->done;
            size_t want = c->state == S_HDR ? HDR - c->done : c->len - c->done;
            if (c->state == S_HDR)
                dst = c->hdr + c->done;
            ssize_t n = c_read(c, dst, want);
            if (n == -EAGAIN)
                return;
            if (n <= 0) {
                error_at(&sv->st, "server read (message cut short)", (long)n);
                s_close(sv, c);
                return;
            }
            c->done += (size_t)n;
            if (c->state == S_HDR && c->done == HDR) {
                c->len = get32(c->hdr + 8);
                if (get32(c->hdr) != MAGIC || c->len == 0 || c->len > 65536) {
                    error_at(&sv->st, "server: bad header", (long)c->len);
                    s_close(sv, c);
                    return;
                }
                c->buf = malloc(HDR + c->len);
                if (c->buf == NULL) {
                    error_at(&sv->st, "server: out of memory", -ENOMEM);
                    s_close(sv, c);
                    return;
                }
                memcpy(c->buf, c->hdr, HDR);
                c->state = S_BODY;
                c->done = 0;
            } else if (c->state == S_BODY && c->done == c->len) {
                uint32_t sum = FNV_INIT;
                for (uint32_t i = 0; i < c->len; i++)
                    sum = fnv_step(sum, c->buf[HDR + i]);
                if (sum != get32(c->hdr + 12)) {
                    error_at(&sv->st, "server: checksum mismatch, id", (long)get32(c->hdr + 4));
                    s_close(sv, c);
                    return;
                }
                sv->st.bytes += c->len;
                c->state = S_ECHO;
                c->done = 0;
            }
        } else if (c->state == S_ECHO) {
            ssize_t n = c_write(c, c->buf + c->done, HDR + c->len - c->done);
            if (n == -EAGAIN)
                return;
            if (n < 0) {
                error_at(&sv->st, "server write", (long)n);
                s_close(sv, c);
                return;
            }
            c->done += (size_t)n;
            if (c->done == HDR + c->len) {
                int r = c->kind == TCP ? cmio_tcp_stream_shutdown(&c->s.tcp, CMIO_SHUTDOWN_WRITE)
                                       : cmio_unix_stream_shutdown(&c->s.unx, CMIO_SHUTDOWN_WRITE);
                if (r < 0)
                    error_at(&sv->st, "server shutdown", r);
                free(c->buf);
                c->buf = NULL;
                c->state = S_EOF;
            }
        } else if (c->state == S_EOF) {
            uint8_t b;
            ssize_t n = c_read(c, &b, 1);
            if (n == -EAGAIN)
                return;
            if (n != 0)
                error_at(&sv->st, "server: data or error after the message", (long)n);
            else
                sv->st.conns++;
            s_close(sv, c);
            return;
        } else {
            return;
        }
    }
}

static void s_accept(struct server *sv, enum kind kind, void *listener)
{
    for (;;) {
        struct conn nc;
        memset(&nc, 0, sizeof nc);
        nc.kind = kind;
        int r = kind == TCP ? cmio_tcp_listener_accept(listener, &nc.s.tcp, NULL)
                            : cmio_unix_listener_accept(listener, &nc.s.unx, NULL);
        if (r == -EAGAIN)
            return;
        if (r < 0) {
            error_at(&sv->st, "server accept", r);
            return;
        }
        if (sv->nconns == sv->cap) {
            error_at(&sv->st, "server: more connections than expected", (long)sv->nconns);
            c_close(&nc);
            continue;
        }
        struct conn *c = &sv->conns[sv->nconns];
        *c = nc;
        r = c_register(c, sv->reg, TOK_CONN0 + sv->nconns,
                       CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE);
        if (r < 0) {
            error_at(&sv->st, "server register", r);
            c_close(c);
            continue;
        }
        c->state = S_HDR;
        sv->nconns++;
        if (++sv->open > sv->st.peak)
            sv->st.peak = sv->open;
        s_drive(sv, c);
    }
}

static void s_udp(struct server *sv, cmio_udp_socket *u)
{
    uint8_t b[HDR + 2048];
    for (;;) {
        cmio_sockaddr from;
        ssize_t n = cmio_udp_socket_recv_from(u, b, sizeof b, &from);
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            error_at(&sv->st, "server recv_from", (long)n);
            return;
        }
        uint32_t len = n >= HDR ? get32(b + 8) : 0;
        if (n < HDR || get32(b) != MAGIC || (size_t)n != HDR + len) {
            error_at(&sv->st, "server: bad datagram", (long)n);
            continue;
        }
        uint32_t sum = FNV_INIT;
        for (uint32_t i = 0; i < len; i++)
            sum = fnv_step(sum, b[HDR + i]);
        if (sum != get32(b + 12)) {
            error_at(&sv->st, "server: datagram checksum mismatch, id", (long)get32(b + 4));
            continue;
        }
        sv->st.bytes += len;
        sv->st.udp++;
        ssize_t w = cmio_udp_socket_send_to(u, b, (size_t)n, &from);
        if (w != n)
            error_at(&sv->st, "server send_to", (long)w);
    }
}

static void server(cmio_tcp_listener *tl, cmio_unix_listener *ul, cmio_udp_socket *us, int ctl,
                   int res)
{
    struct server sv;
    memset(&sv, 0, sizeof sv);
    sv.st.fds_start = count_fds();
    sv.st.rss_start = rss_kib("VmRSS");
    sv.cap = (size_t)SOAK_ROUNDS * (SOAK_TCP + SOAK_UNIX);
    sv.conns = calloc(sv.cap, sizeof *sv.conns);
    cmio_events *ev;
    if (sv.conns == NULL || cmio_poll_new(&sv.poll) != 0 || cmio_events_new(&ev, 1024) != 0)
        _exit(3);
    sv.reg = cmio_poll_registry(sv.poll);
    int r = cmio_tcp_listener_register(tl, sv.reg, TOK_TCP_LISTENER, CMIO_INTEREST_READABLE);
    if (r == 0)
        r = cmio_unix_listener_register(ul, sv.reg, TOK_UNIX_LISTENER, CMIO_INTEREST_READABLE);
    if (r == 0)
        r = cmio_udp_socket_register(us, sv.reg, TOK_UDP, CMIO_INTEREST_READABLE);
    if (r == 0)
        r = cmio_registry_register_fd(sv.reg, ctl, TOK_CTL, CMIO_INTEREST_READABLE);
    if (r < 0)
        error_at(&sv.st, "server register", r);
    double deadline = now_s() + SOAK_DEADLINE_S + 10; /* the client's, and time to stop us */
    bool stop = r < 0;
    while (!stop && now_s() < deadline) {
        const struct timespec t = {0, 100 * 1000000L};
        int n = cmio_poll_poll(sv.poll, ev, &t);
        if (n < 0 && n != -EINTR) {
            error_at(&sv.st, "server poll", n);
            break;
        }
        for (const cmio_event *e = cmio_events_first(ev); e; e = cmio_events_next(ev, e)) {
            cmio_token tok = cmio_event_token(e);
            if (tok == TOK_TCP_LISTENER)
                s_accept(&sv, TCP, tl);
            else if (tok == TOK_UNIX_LISTENER)
                s_accept(&sv, UNIX, ul);
            else if (tok == TOK_UDP)
                s_udp(&sv, us);
            else if (tok == TOK_CTL)
                stop = true;
            else if (tok >= TOK_CONN0 && tok - TOK_CONN0 < sv.nconns)
                s_drive(&sv, &sv.conns[tok - TOK_CONN0]);
            else
                error_at(&sv.st, "server: unknown token", (long)tok);
        }
        if (sv.open == SOAK_TCP + SOAK_UNIX && sv.st.fds_peak == 0)
            sv.st.fds_peak = count_fds(); /* every connection of a round open at once */
    }
    if (!stop)
        error_at(&sv.st, "server: deadline passed (s)", (long)SOAK_DEADLINE_S);
    for (size_t i = 0; i < sv.nconns; i++)
        if (sv.conns[i].state != S_CLOSED) {
            error_at(&sv.st, "server: connection left unfinished, index", (long)i);
            s_close(&sv, &sv.conns[i]);
        }
    (void)cmio_registry_deregister_fd(sv.reg, ctl);
    cmio_tcp_listener_close(tl);
    cmio_unix_listener_close(ul);
    cmio_udp_socket_close(us);
    cmio_events_free(ev);
    cmio_poll_free(sv.poll);
    free(sv.conns);
    sv.st.fds_end = count_fds();
    sv.st.rss_end = rss_kib("VmRSS");
    sv.st.rss_peak = rss_kib("VmHWM");
    if (write(res, &sv.st, sizeof sv.st) != (ssize_t)sizeof sv.st)
        _exit(4);
    _exit(0);
}

/* ---- client -----------------------------------------------------------------------------------
 */

enum { C_IDLE, C_CONNECTING, C_READY, C_SENDING, C_RECEIVING, C_DONE };

struct client {
    cmio_poll *poll;
    cmio_registry *reg;
    struct conn *conns;
    size_t n, next; /* connections, next one to open */
    long connecting, ready, open, done;
    bool sending; /* every connection is established: messages go out */
    struct stats st;
};

static void cl_finish(struct client *cl, struct conn *c, bool ok)
{
    int r = c_close(c);
    if (r < 0)
        error_at(&cl->st, "client close", r);
    c->state = C_DONE;
    cl->open--;
    cl->done++;
    if (ok)
        cl->st.conns++;
}

static void cl_drive(struct client *cl, struct conn *c)
{
    uint8_t buf[8192];
    for (;;) {
        if (c->state == C_SENDING) {
            size_t total = HDR + c->len;
            size_t k = 0;
            while (k < sizeof buf && c->done + k < total) {
                size_t at = c->done + k;
                buf[k++] = at < HDR ? c->hdr[at] : payload_byte(c->id, (uint32_t)(at - HDR));
            }
            ssize_t n = c_write(c, buf, k);
            if (n == -EAGAIN)
                return;
            if (n < 0) {
                error_at(&cl->st, "client write", (long)n);
                cl_finish(cl, c, false);
                return;
            }
            c->done += (size_t)n;
            if (c->done == total) {
                c->state = C_RECEIVING;
                c->done = 0;
            }
        } else if (c->state == C_RECEIVING) {
            ssize_t n = c_read(c, buf, sizeof buf);
            if (n == -EAGAIN)
                return;
            if (n < 0) {
                error_at(&cl->st, "client read", (long)n);
                cl_finish(cl, c, false);
                return;
            }
            if (n == 0) {
                bool ok = c->done == HDR + c->len;
                if (!ok)
                    error_at(&cl->st, "client: echo cut short, id", (long)c->id);
                else
                    cl->st.bytes += c->len;
                cl_finish(cl, c, ok);
                return;
            }
            for (ssize_t i = 0; i < n; i++, c->done++) {
                uint8_t want = c->done < HDR ? c->hdr[c->done]
                               : c->done < HDR + c->len
                                   ? payload_byte(c->id, (uint32_t)(c->done - HDR))
                                   : (uint8_t)~buf[i];
                if (buf[i] != want) {
                    error_at(&cl->st, "client: echo differs, id", (long)c->id);
                    cl_finish(cl, c, false);
                    return;
                }
            }
        } else {
            return;
        }
    }
}

static void cl_open_more(struct client *cl, const cmio_sockaddr *taddr, const char *upath)
{
    while (cl->next < cl->n && cl->connecting < MAX_CONNECTING) {
        struct conn *c = &cl->conns[cl->next];
        int r = c->kind == TCP ? cmio_tcp_stream_connect(&c->s.tcp, taddr)
                               : cmio_unix_stream_connect(&c->s.unx, upath);
        if (r == 0)
            r = c_register(c, cl->reg, TOK_CONN0 + cl->next,
                           CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE);
        cl->next++;
        if (r < 0) {
            error_at(&cl->st, "client connect", r);
            c->state = C_DONE;
            cl->done++;
            continue;
        }
        c->state = C_CONNECTING;
        cl->connecting++;
        if (++cl->open > cl->st.peak)
            cl->st.peak = cl->open;
    }
}

static void cl_event(struct client *cl, struct conn *c, const cmio_event *e)
{
    if (c->state == C_CONNECTING) {
        if (!cmio_event_is_writable(e) && !cmio_event_is_error(e))
            return;
        int err = 0;
        int r = c->kind == TCP ? cmio_tcp_stream_take_error(&c->s.tcp, &err)
                               : cmio_unix_stream_take_error(&c->s.unx, &err);
        cl->connecting--;
        if (r < 0 || err != 0) {
            error_at(&cl->st, "client: connection failed", r < 0 ? r : err);
            cl_finish(cl, c, false);
            return;
        }
        c->state = C_READY;
        cl->ready++;
        return;
    }
    cl_drive(cl, c);
}

/* UDP: up to UDP_WINDOW datagrams in flight; every echo verified. */
struct udp_client {
    cmio_udp_socket s;
    uint32_t next, inflight, got;
    double last_progress;
};

static void cl_udp_send(struct client *cl, struct udp_client *u)
{
    uint8_t b[HDR + 1200];
    while (u->next < SOAK_UDP && u->inflight < UDP_WINDOW) {
        uint32_t len = payload_len(u->next, 1200);
        make_header(b, u->next, len);
        for (uint32_t i = 0; i < len; i++)
            b[HDR + i] = payload_byte(u->next, i);
        ssize_t n = cmio_udp_socket_send(&u->s, b, HDR + len);
        if (n == -EAGAIN)
            return;
        if (n != (ssize_t)(HDR + len)) {
            error_at(&cl->st, "client udp send", (long)n);
            return;
        }
        u->next++;
        u->inflight++;
    }
}

static void cl_udp_recv(struct client *cl, struct udp_client *u)
{
    uint8_t b[HDR + 2048];
    for (;;) {
        ssize_t n = cmio_udp_socket_recv(&u->s, b, sizeof b);
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            error_at(&cl->st, "client udp recv", (long)n);
            return;
        }
        uint32_t id = n >= HDR ? get32(b + 4) : 0;
        uint32_t len = payload_len(id, 1200);
        uint8_t h[HDR];
        make_header(h, id, len);
        bool ok = n == (ssize_t)(HDR + len) && memcmp(b, h, HDR) == 0;
        for (uint32_t i = 0; ok && i < len; i++)
            ok = b[HDR + i] == payload_byte(id, i);
        if (!ok) {
            error_at(&cl->st, "client: udp echo differs, id", (long)id);
            continue;
        }
        cl->st.bytes += len;
        cl->st.udp++;
        u->inflight--;
        u->got++;
        u->last_progress = now_s();
    }
}

/* One round: every connection opened (all at once), one message each, all closed. */
static void cl_round(struct client *cl, struct udp_client *u, cmio_events *ev, int round,
                     const cmio_sockaddr *taddr, const char *upath, double deadline)
{
    /* Interleaved kinds: every 51st connection is a Unix stream. */
    size_t nu = 0;
    for (size_t i = 0; i < cl->n; i++) {
        struct conn *c = &cl->conns[i];
        memset(c, 0, sizeof *c);
        c->kind = (i % 51 == 50 && nu < SOAK_UNIX) || i >= SOAK_TCP + nu ? UNIX : TCP;
        if (c->kind == UNIX) {
            nu++;
            c->s.unx = (cmio_unix_stream)CMIO_UNIX_STREAM_INIT;
        } else {
            c->s.tcp = (cmio_tcp_stream)CMIO_TCP_STREAM_INIT;
        }
        c->id = (uint32_t)(round * cl->n + i);
        c->len = payload_len(c->id, c->kind == TCP ? 8192 : 65536);
        make_header(c->hdr, c->id, c->len);
    }
    cl->next = 0;
    cl->connecting = cl->ready = cl->done = 0;
    cl->sending = false;
    double t0 = now_s(), all_open = 0;
    cl_open_more(cl, taddr, upath);
    while (now_s() < deadline && cl->done < (long)cl->n) {
        const struct timespec t = {0, 100 * 1000000L};
        int n = cmio_poll_poll(cl->poll, ev, &t);
        if (n < 0 && n != -EINTR) {
            error_at(&cl->st, "client poll", n);
            break;
        }
        for (const cmio_event *e = cmio_events_first(ev); e; e = cmio_events_next(ev, e)) {
            cmio_token tok = cmio_event_token(e);
            if (tok == TOK_UDP) {
                cl_udp_recv(cl, u);
                cl_udp_send(cl, u);
            } else if (tok >= TOK_CONN0 && tok - TOK_CONN0 < cl->n) {
                cl_event(cl, &cl->conns[tok - TOK_CONN0], e);
            } else {
                error_at(&cl->st, "client: unknown token", (long)tok);
            }
        }
        cl_open_more(cl, taddr, upath);
        if (!cl->sending && cl->next == cl->n && cl->connecting == 0) {
            /* Every connection is open at once: now the messages go out. */
            cl->sending = true;
            all_open = now_s();
            int fds = count_fds();
            if (fds > cl->st.fds_peak)
                cl->st.fds_peak = fds;
            for (size_t i = 0; i < cl->n; i++)
                if (cl->conns[i].state == C_READY) {
                    cl->conns[i].state = C_SENDING;
                    cl_drive(cl, &cl->conns[i]);
                }
        }
        if (u->inflight > 0 && now_s() - u->last_progress > 5) {
            cl->st.udp_lost += u->inflight; /* 5 s without an echo: they are gone */
            u->inflight = 0;
            u->last_progress = now_s();
            cl_udp_send(cl, u);
        }
    }
    if (cl->done != (long)cl->n)
        error_at(&cl->st, "client: connections unfinished at the deadline", cl->n - cl->done);
    for (size_t i = 0; i < cl->n; i++)
        if (cl->conns[i].state != C_DONE && cl->conns[i].state != C_IDLE)
            c_close(&cl->conns[i]);
    printf("soak: %s: round %d: %zu connections (%zu TCP, %zu Unix) all open at once after %.1f s, "
           "done in %.1f s\n",
           cmio_backend_name(), round + 1, cl->n, cl->n - nu, nu,
           all_open > 0 ? all_open - t0 : -1.0, now_s() - t0);
    fflush(stdout);
}

static int client(const cmio_sockaddr *taddr, const char *upath, const cmio_sockaddr *uaddr,
                  struct stats *out)
{
    struct client cl;
    memset(&cl, 0, sizeof cl);
    cl.st.fds_start = count_fds();
    cl.st.rss_start = rss_kib("VmRSS");
    cl.n = SOAK_TCP + SOAK_UNIX;
    cl.conns = calloc(cl.n, sizeof *cl.conns);
    cmio_events *ev;
    if (cl.conns == NULL || cmio_poll_new(&cl.poll) != 0 || cmio_events_new(&ev, 1024) != 0)
        return -1;
    cl.reg = cmio_poll_registry(cl.poll);
    struct udp_client u = {.s = CMIO_UDP_SOCKET_INIT};
    static const uint8_t lo[4] = {127, 0, 0, 1};
    cmio_sockaddr any;
    cmio_sockaddr_ipv4(&any, lo, 0);
    int r = cmio_udp_socket_bind(&u.s, &any);
    if (r == 0)
        r = cmio_udp_socket_connect(&u.s, uaddr);
    if (r == 0)
        r = cmio_udp_socket_register(&u.s, cl.reg, TOK_UDP,
                                     CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE);
    if (r < 0)
        error_at(&cl.st, "client udp setup", r);
    double deadline = now_s() + SOAK_DEADLINE_S;
    u.last_progress = now_s();
    cl_udp_send(&cl, &u);
    for (int round = 0; round < SOAK_ROUNDS && now_s() < deadline; round++)
        cl_round(&cl, &u, ev, round, taddr, upath, deadline);
    /* The datagrams still in flight. */
    while (u.got + (long)cl.st.udp_lost < SOAK_UDP && now_s() < deadline) {
        const struct timespec t = {0, 100 * 1000000L};
        if (cmio_poll_poll(cl.poll, ev, &t) > 0) {
            cl_udp_recv(&cl, &u);
            cl_udp_send(&cl, &u);
        }
        if (u.inflight > 0 && now_s() - u.last_progress > 5) {
            cl.st.udp_lost += u.inflight;
            u.inflight = 0;
            u.last_progress = now_s();
            cl_udp_send(&cl, &u);
        }
    }
    if (u.got + (long)cl.st.udp_lost < SOAK_UDP)
        cl.st.udp_lost = SOAK_UDP - u.got;
    cmio_udp_socket_close(&u.s);
    cmio_events_free(ev);
    cmio_poll_free(cl.poll);
    free(cl.conns);
    cl.st.fds_end = count_fds();
    cl.st.rss_end = rss_kib("VmRSS");
    cl.st.rss_peak = rss_kib("VmHWM");
    *out = cl.st;
    return 0;
}

static void print_side(const char *side, const struct stats *st)
{
    printf("soak: %s: %s: %ld connections verified (%ld open at once), %ld datagrams verified "
           "(%ld lost), %lld payload bytes verified, %ld errors; fds: %d at start, %d with every "
           "connection open, %d at end; RSS: %ld KiB at start, %ld KiB at end (peak %ld KiB)\n",
           cmio_backend_name(), side, st->conns, st->peak, st->udp, st->udp_lost, st->bytes,
           st->errors, st->fds_start, st->fds_peak, st->fds_end, st->rss_start, st->rss_end,
           st->rss_peak);
    if (st->errors > 0)
        printf("soak: %s: %s: first error: %s\n", cmio_backend_name(), side, st->first_error);
}

int main(void)
{
    const char *rounds = getenv("CMIO_SOAK_ROUNDS");
    if (rounds != NULL && atoi(rounds) > 0)
        SOAK_ROUNDS = atoi(rounds);
    SOAK_UDP = 20000L * SOAK_ROUNDS;
    SOAK_DEADLINE_S = 60.0 + 15.0 * SOAK_ROUNDS;
    signal(SIGPIPE, SIG_IGN);
    raise_nofile(SOAK_TCP + SOAK_UNIX + 256);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < SOAK_TCP + SOAK_UNIX + 64) {
        printf("soak: RLIMIT_NOFILE is %lu, %d needed: raise it (ulimit -n)\n",
               (unsigned long)rl.rlim_cur, SOAK_TCP + SOAK_UNIX + 64);
        return 1;
    }
    char dir[] = "/tmp/cmio-soak-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char upath[64];
    snprintf(upath, sizeof upath, "%s/s", dir);

    /* The server's sockets are made here, so that the client knows their addresses. */
    static const uint8_t lo[4] = {127, 0, 0, 1};
    cmio_sockaddr any, taddr, uaddr;
    cmio_tcp_listener tl = CMIO_TCP_LISTENER_INIT;
    cmio_unix_listener ul = CMIO_UNIX_LISTENER_INIT;
    cmio_udp_socket us = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr_ipv4(&any, lo, 0);
    int r = cmio_tcp_listener_bind(&tl, &any);
    if (r == 0)
        r = cmio_tcp_listener_local_addr(&tl, &taddr);
    if (r == 0)
        r = cmio_unix_listener_bind(&ul, upath);
    if (r == 0)
        r = cmio_udp_socket_bind(&us, &any);
    if (r == 0)
        r = cmio_udp_socket_local_addr(&us, &uaddr);
    int ctl[2], res[2];
    if (r < 0 || pipe(ctl) < 0 || pipe(res) < 0) {
        printf("soak: setup failed: %s\n", cmio_err_name(r));
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close(ctl[1]);
        close(res[0]);
        server(&tl, &ul, &us, ctl[0], res[1]);
    }
    close(ctl[0]);
    close(res[1]);
    cmio_tcp_listener_close(&tl);
    cmio_unix_listener_close(&ul);
    cmio_udp_socket_close(&us);

    struct stats cst, sst;
    memset(&cst, 0, sizeof cst);
    memset(&sst, 0, sizeof sst);
    if (client(&taddr, upath, &uaddr, &cst) < 0)
        error_at(&cst, "client setup failed", -1);
    if (write(ctl[1], "x", 1) != 1)
        error_at(&cst, "client: cannot stop the server", -errno);
    ssize_t got = read(res[0], &sst, sizeof sst);
    int status = 0;
    waitpid(pid, &status, 0);
    close(ctl[1]);
    close(res[0]);
    unlink(upath);
    rmdir(dir);
    if (got != (ssize_t)sizeof sst || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("soak: %s: the server died (status %d)\n", cmio_backend_name(), status);
        return 1;
    }
    print_side("client", &cst);
    print_side("server", &sst);
    const long conns = (long)SOAK_ROUNDS * (SOAK_TCP + SOAK_UNIX);
    bool ok = cst.errors == 0 && sst.errors == 0 && cst.udp_lost == 0 && cst.conns == conns &&
              sst.conns == conns && cst.peak == SOAK_TCP + SOAK_UNIX && cst.udp == SOAK_UDP &&
              sst.udp == SOAK_UDP && cst.fds_end == cst.fds_start &&
              sst.peak == SOAK_TCP + SOAK_UNIX &&
              sst.fds_end == sst.fds_start - 3; /* the server closed the 3 sockets it was given */
    printf("soak: %s: %s\n", cmio_backend_name(), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
