/* SPDX-License-Identifier: MIT */
/* loadgen — the load generator of the cmio benchmarks, on raw edge-triggered epoll.
 *
 *   loadgen --connect ADDR --proto tcp|unix|udp --conns N --size S [--pipeline P] [--lockstep]
 *           (--warmup SEC --duration SEC | --roundtrips N) [--timeout SEC]
 *
 * Opens N connections (UDP: N connected sockets) to an echo server (bench/README.md) and plays
 * ping-pong with S-byte messages: each connection keeps P messages in flight (default 1), and
 * every byte that comes back is checked against the message's pattern (a function of the
 * connection and the message's sequence number). --lockstep keeps exactly one message in flight
 * across all connections, rotating over them, so that each server wake-up serves one round trip.
 *
 * --warmup/--duration run for a bounded time and count the round trips completed in the
 * measured window; --roundtrips N does exactly N round trips (in total) and stops.
 *
 * --churn: connection churn instead (TCP or Unix stream). Each of the N clients connects
 * (non-blocking), sends one S-byte message, reads the echo, checks it, closes (TCP: with a reset,
 * so no TIME_WAIT piles up on either side) and connects again at once. A round trip is then a
 * whole connection: round_trips/rt_per_s count connections, the latency is from connect() to
 * the last byte of the echo. --roundtrips N makes exactly N connections.
 *
 * --gap-us N (lock-step, churn): waits N µs before each next message or connection, so that the
 * server is idle, waiting, when it comes.
 *
 * It prints one line on stdout:
 *   round_trips=… rt_per_s=… p50_us=… p99_us=… errors=… (and a few descriptive keys)
 * and exits 0 only when errors=0. Every wait is bounded: a run in which nothing comes back for
 * --timeout seconds (default 10) is an error. Only 127.0.0.1 and Unix paths under /tmp are
 * accepted as targets.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

enum proto { PROTO_TCP, PROTO_UNIX, PROTO_UDP };

#define RBUF_SIZE 65536
#define MAX_EVENTS 1024
#define MAX_SIZE (1u << 20)

struct conn {
    int fd;
    uint32_t id;
    uint64_t sent;     /* messages whose first byte was written (the next to send is `sent`) */
    uint64_t received; /* messages received completely */
    size_t send_off;   /* bytes of message `sent - 1` still to write, counted from its start */
    bool send_partial; /* message `sent - 1` is not fully written yet */
    size_t recv_off;   /* bytes of message `received` received so far */
    bool connected;
};

static struct {
    enum proto proto;
    union {
        struct sockaddr_in in;
        struct sockaddr_un un;
    } addr;
    socklen_t addrlen;
    const char *target;
    unsigned conns;
    size_t size;
    unsigned pipeline;
    bool lockstep;
    bool churn;
    unsigned gap_us; /* lock-step, churn: pause before the next message or connection */
    double warmup, duration, timeout;
    uint64_t roundtrips; /* 0: timed mode */
} opt = {.pipeline = 1, .timeout = 10.0};

static struct conn *conns;
static uint64_t *sent_at; /* conns × pipeline send times (ns), indexed by sequence % pipeline */
static uint8_t *msgbuf;   /* one message, generated on demand */
static uint8_t rbuf[RBUF_SIZE];
static int epfd = -1;

static uint64_t total_sent, total_received, errors;
static uint64_t window_rt; /* round trips completed inside the measured window */
static bool measuring, stopping;
static unsigned lock_cur; /* lock-step: the connection whose turn it is */

/* ---- latency histogram: log-linear, 128 sub-buckets per power of two (< 0.8 % error) ------ */

#define SUB_BITS 7
#define SUB (1u << SUB_BITS)
#define NBUCKETS (SUB + 50 * SUB)
static uint64_t hist[NBUCKETS];
static uint64_t hist_n;

static unsigned bucket_of(uint64_t ns)
{
    if (ns < SUB)
        return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns); /* >= SUB_BITS */
    unsigned idx = SUB + (e - SUB_BITS) * SUB + (unsigned)((ns >> (e - SUB_BITS)) - SUB);
    return idx < NBUCKETS ? idx : NBUCKETS - 1;
}

static double bucket_mid(unsigned idx)
{
    if (idx < SUB)
        return idx;
    unsigned e = (idx - SUB) / SUB + SUB_BITS;
    uint64_t m = SUB + (idx - SUB) % SUB;
    double lo = (double)(m << (e - SUB_BITS));
    double width = (double)(1ull << (e - SUB_BITS));
    return lo + width / 2;
}

static double percentile_us(double p)
{
    if (hist_n == 0)
        return 0;
    uint64_t rank = (uint64_t)(p * (double)hist_n);
    if (rank >= hist_n)
        rank = hist_n - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < NBUCKETS; i++) {
        seen += hist[i];
        if (seen > rank)
            return bucket_mid(i) / 1000.0;
    }
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
    if (errors == 0)
        fprintf(stderr, "loadgen: %s\n", what);
    errors++;
    stopping = true;
}

static void failf_errno(const char *what, int err)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
    fail(msg);
}

/* The message pattern: 8-byte words of a mixed (connection, sequence) value. */
static void make_message(uint8_t *out, uint32_t id, uint64_t seq)
{
    uint64_t x = ((uint64_t)id << 40) ^ (seq * 0x9E3779B97F4A7C15ull) ^ 0x5851F42D4C957F2Dull;
    size_t i = 0;
    for (; i + 8 <= opt.size; i += 8) {
        uint64_t w = x + i * 0xD6E8FEB86659FD93ull;
        w ^= w >> 29;
        memcpy(out + i, &w, 8);
    }
    if (i < opt.size) {
        uint64_t w = x + i * 0xD6E8FEB86659FD93ull;
        w ^= w >> 29;
        memcpy(out + i, &w, opt.size - i);
    }
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 3600)
        return false;
    *out = v;
    return true;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

/* "127.0.0.1:PORT" (loopback only) or a Unix path under /tmp. */
static bool parse_target(const char *text)
{
    opt.target = text;
    if (opt.proto == PROTO_UNIX) {
        if (strncmp(text, "/tmp/", 5) != 0 || strlen(text) >= sizeof opt.addr.un.sun_path)
            return false;
        opt.addr.un.sun_family = AF_UNIX;
        strcpy(opt.addr.un.sun_path, text);
        opt.addrlen = sizeof opt.addr.un;
        return true;
    }
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= 16)
        return false;
    char host[16];
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    uint64_t port;
    if (!parse_u64(colon + 1, 65535, &port) || port == 0)
        return false;
    opt.addr.in.sin_family = AF_INET;
    opt.addr.in.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &opt.addr.in.sin_addr) != 1)
        return false;
    if ((ntohl(opt.addr.in.sin_addr.s_addr) >> 24) != 127)
        return false; /* loopback only */
    opt.addrlen = sizeof opt.addr.in;
    return true;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: loadgen --connect ADDR --proto tcp|unix|udp --conns N --size S [--pipeline P]\n"
            "               [--lockstep | --churn] [--gap-us N]\n"
            "               (--warmup SEC --duration SEC | --roundtrips N) [--timeout SEC]\n"
            "  ADDR: 127.x.x.x:PORT for tcp/udp, a path under /tmp/ for unix\n"
            "  --churn: each client connects, sends one message, reads the echo, closes, again\n"
            "           (tcp/unix; a round trip is a connection)\n");
    return 2;
}

/* ---- connections --------------------------------------------------------------------------- */

static int open_conn(struct conn *c)
{
    int type = opt.proto == PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int family = opt.proto == PROTO_UNIX ? AF_UNIX : AF_INET;
    /* Blocking connect with a send timeout (connect honours SO_SNDTIMEO), then non-blocking: the
     * handshake is bounded and needs no event loop of its own. */
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct timeval tv = {.tv_sec = (time_t)opt.timeout, .tv_usec = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (opt.proto == PROTO_TCP) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (connect(fd, (const struct sockaddr *)&opt.addr, opt.addrlen) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    c->fd = fd;
    c->connected = true;
    /* EPOLLOUT too, so that a partial write resumes without an epoll_ctl. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u64 = c->id};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int err = errno;
        close(fd);
        c->fd = -1;
        return -err;
    }
    return 0;
}

static void close_conn(struct conn *c)
{
    if (c->fd < 0)
        return;
    if (opt.proto == PROTO_TCP) {
        /* Reset instead of FIN: no TIME_WAIT piles up over thousands of runs. */
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        (void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    c->fd = -1;
}

/* Finishes the message being written on c. Returns false when the socket is full. */
static bool flush_partial(struct conn *c)
{
    if (!c->send_partial)
        return true;
    make_message(msgbuf, c->id, c->sent - 1);
    while (c->send_off < opt.size) {
        ssize_t n = send(c->fd, msgbuf + c->send_off, opt.size - c->send_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return false;
            failf_errno("send", errno);
            return false;
        }
        c->send_off += (size_t)n;
    }
    c->send_partial = false;
    return true;
}

static bool may_send(const struct conn *c)
{
    if (stopping)
        return false;
    if (opt.roundtrips != 0 && total_sent >= opt.roundtrips)
        return false;
    if (opt.lockstep)
        return c->id == lock_cur && total_sent == total_received;
    return c->sent - c->received < opt.pipeline;
}

/* Sends as many messages as c may have in flight. */
static void pump(struct conn *c, uint64_t now)
{
    if (!flush_partial(c))
        return;
    while (may_send(c)) {
        uint64_t seq = c->sent;
        make_message(msgbuf, c->id, seq);
        sent_at[(size_t)c->id * opt.pipeline + seq % opt.pipeline] = now;
        c->sent++;
        total_sent++;
        ssize_t n;
        do
            n = send(c->fd, msgbuf, opt.size, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN) {
            failf_errno("send", errno);
            return;
        }
        if (n < 0)
            n = 0;
        if ((size_t)n < opt.size) {
            if (opt.proto == PROTO_UDP) {
                fail("send: datagram not sent (socket full)");
                return;
            }
            c->send_partial = true;
            c->send_off = (size_t)n;
            return; /* EPOLLOUT resumes it */
        }
    }
}

/* One message of c came back completely. */
static void message_done(struct conn *c, uint64_t now)
{
    uint64_t seq = c->received;
    uint64_t t0 = sent_at[(size_t)c->id * opt.pipeline + seq % opt.pipeline];
    c->received++;
    total_received++;
    if (measuring) {
        hist[bucket_of(now - t0)]++;
        hist_n++;
        window_rt++;
    }
}

/* --gap-us: the server is idle (waiting for its next event) when the next message or connection
 * comes. The deterministic measurements use it so that a server that could sometimes find its
 * next event already there (io_uring's completion ring) is measured on the path a lock-step
 * server takes at native speed: waiting. */
static void gap(void)
{
    if (opt.gap_us == 0)
        return;
    struct timespec ts = {0, (long)opt.gap_us * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* Checks `len` received bytes of c against the pattern; returns false on a mismatch. */
static bool consume(struct conn *c, const uint8_t *data, size_t len, uint64_t now)
{
    while (len > 0) {
        if (c->received >= c->sent) {
            fail("received bytes that were never sent");
            return false;
        }
        size_t take = opt.size - c->recv_off;
        if (take > len)
            take = len;
        make_message(msgbuf, c->id, c->received);
        if (memcmp(msgbuf + c->recv_off, data, take) != 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "connection %u message %" PRIu64 ": content mismatch", c->id,
                     c->received);
            fail(msg);
            return false;
        }
        data += take;
        len -= take;
        c->recv_off += take;
        if (c->recv_off == opt.size) {
            c->recv_off = 0;
            message_done(c, now);
        }
    }
    return true;
}

/* Reads what c has. Stream sockets stop after a short read (the socket is drained: a new edge
 * comes with new data); datagram sockets read until -EAGAIN or nothing is outstanding. */
static void on_readable(struct conn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, rbuf, sizeof rbuf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                failf_errno("recv", errno);
            return;
        }
        uint64_t now = now_ns();
        if (n == 0) {
            fail("the server closed a connection");
            return;
        }
        if (opt.proto == PROTO_UDP && (size_t)n != opt.size) {
            fail("datagram of the wrong size");
            return;
        }
        if (!consume(c, rbuf, (size_t)n, now))
            return;
        bool caught_up = c->received == c->sent; /* nothing of c's is on the way back */
        if (opt.lockstep && total_received == total_sent) {
            /* The next connection's turn (after the gap, if one was asked for). */
            gap();
            lock_cur = (lock_cur + 1) % opt.conns;
            pump(&conns[lock_cur], now);
        } else {
            pump(c, now);
        }
        if (opt.proto == PROTO_UDP) {
            if (caught_up)
                return; /* what pump() just sent comes back with an edge of its own */
        } else if ((size_t)n < sizeof rbuf) {
            return;
        }
    }
}

/* ---- connection churn ---------------------------------------------------------------------- */

struct churner {
    int fd;          /* -1: not connected */
    uint32_t id;     /* the client (its pattern) */
    uint64_t seq;    /* connections this client made (the message's sequence number) */
    uint64_t t0;     /* when its connect() started */
    size_t sent;     /* bytes of the message written */
    size_t received; /* bytes of the echo read */
};

static struct churner *churners;
static uint64_t churn_started, churn_done;

/* Starts c's next connection; false when no more may start (or on an error). */
static bool churn_start(struct churner *c, uint64_t now)
{
    if (stopping || (opt.roundtrips != 0 && churn_started >= opt.roundtrips))
        return false;
    int family = opt.proto == PROTO_UNIX ? AF_UNIX : AF_INET;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        failf_errno("socket", errno);
        return false;
    }
    if (connect(fd, (const struct sockaddr *)&opt.addr, opt.addrlen) < 0 && errno != EINPROGRESS) {
        failf_errno("connect", errno);
        close(fd);
        return false;
    }
    c->fd = fd;
    c->t0 = now;
    c->sent = c->received = 0;
    churn_started++;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u64 = c->id};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        failf_errno("epoll_ctl", errno);
        return false;
    }
    return true;
}

static void churn_close(struct churner *c)
{
    if (c->fd < 0)
        return;
    if (opt.proto == PROTO_TCP) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        (void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
}

/* Moves c on as far as its socket allows: connected → send → echo read → close → next. */
static void churn_step(struct churner *c, uint32_t events)
{
    if (events & (EPOLLERR | EPOLLHUP)) {
        int err = 0;
        socklen_t len = sizeof err;
        (void)getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        failf_errno("connection failed or hung up", err != 0 ? err : ECONNRESET);
        return;
    }
    if (c->sent < opt.size) {
        make_message(msgbuf, c->id, c->seq);
        ssize_t n = send(c->fd, msgbuf + c->sent, opt.size - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != ENOTCONN)
                failf_errno("send", errno);
            return; /* not connected yet, or full: the next EPOLLOUT edge resumes */
        }
        c->sent += (size_t)n;
        if (c->sent < opt.size)
            return;
    }
    for (;;) {
        ssize_t n = recv(c->fd, rbuf, sizeof rbuf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                failf_errno("recv", errno);
            return;
        }
        if (n == 0) {
            fail("the server closed a connection before the echo");
            return;
        }
        if (c->received + (size_t)n > opt.size) {
            fail("received bytes that were never sent");
            return;
        }
        make_message(msgbuf, c->id, c->seq);
        if (memcmp(msgbuf + c->received, rbuf, (size_t)n) != 0) {
            fail("echo content mismatch");
            return;
        }
        c->received += (size_t)n;
        if (c->received == opt.size)
            break;
    }
    uint64_t now = now_ns();
    churn_close(c);
    churn_done++;
    c->seq++;
    if (measuring) {
        hist[bucket_of(now - c->t0)]++;
        hist_n++;
        window_rt++;
    }
    gap();
    (void)churn_start(c, now_ns());
}

/* The churn run; returns the measured window [*start, *end). */
static void run_churn(uint64_t *window_start, uint64_t *window_end)
{
    churners = calloc(opt.conns, sizeof *churners);
    if (churners == NULL) {
        fail("out of memory");
        return;
    }
    uint64_t timeout_ns = (uint64_t)(opt.timeout * 1e9);
    uint64_t t0 = now_ns();
    uint64_t t_measure = t0 + (uint64_t)(opt.warmup * 1e9);
    uint64_t t_end = t_measure + (uint64_t)(opt.duration * 1e9);
    uint64_t last_progress = t0, last_done = 0;
    *window_start = *window_end = t0;
    if (opt.roundtrips != 0)
        measuring = true;
    for (unsigned i = 0; i < opt.conns; i++) {
        churners[i].fd = -1;
        churners[i].id = i;
        if (!churn_start(&churners[i], t0))
            break;
    }
    static struct epoll_event evs[MAX_EVENTS];
    while (!stopping) {
        uint64_t now = now_ns();
        if (opt.roundtrips == 0) {
            if (!measuring && now >= t_measure) {
                measuring = true;
                *window_start = now;
            }
            if (now >= t_end)
                break;
        } else if (churn_done >= opt.roundtrips) {
            break;
        }
        if (churn_done != last_done) {
            last_done = churn_done;
            last_progress = now;
        } else if (now - last_progress > timeout_ns) {
            char msg[160];
            snprintf(msg, sizeof msg, "no connection completed for %.0f s (%" PRIu64 " done)",
                     opt.timeout, churn_done);
            fail(msg);
            break;
        }
        int n = epoll_wait(epfd, evs, MAX_EVENTS, 100);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            failf_errno("epoll_wait", errno);
            break;
        }
        for (int i = 0; i < n && !stopping; i++) {
            struct churner *c = &churners[evs[i].data.u64];
            if (c->fd >= 0)
                churn_step(c, evs[i].events);
        }
    }
    *window_end = now_ns();
    for (unsigned i = 0; i < opt.conns; i++)
        churn_close(&churners[i]);
    free(churners);
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *connect_to = NULL, *proto = NULL;
    uint64_t v;
    bool have_warmup = false, have_duration = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--lockstep") == 0) {
            opt.lockstep = true;
            continue;
        }
        if (strcmp(a, "--churn") == 0) {
            opt.churn = true;
            continue;
        }
        if (val == NULL)
            return usage();
        i++;
        if (strcmp(a, "--connect") == 0)
            connect_to = val;
        else if (strcmp(a, "--proto") == 0)
            proto = val;
        else if (strcmp(a, "--conns") == 0 && parse_u64(val, 1000000, &v) && v > 0)
            opt.conns = (unsigned)v;
        else if (strcmp(a, "--size") == 0 && parse_u64(val, MAX_SIZE, &v) && v > 0)
            opt.size = (size_t)v;
        else if (strcmp(a, "--pipeline") == 0 && parse_u64(val, 1024, &v) && v > 0)
            opt.pipeline = (unsigned)v;
        else if (strcmp(a, "--roundtrips") == 0 && parse_u64(val, UINT64_MAX / 2, &v) && v > 0)
            opt.roundtrips = v;
        else if (strcmp(a, "--warmup") == 0 && parse_double(val, &opt.warmup))
            have_warmup = true;
        else if (strcmp(a, "--duration") == 0 && parse_double(val, &opt.duration) &&
                 opt.duration > 0)
            have_duration = true;
        else if (strcmp(a, "--gap-us") == 0 && parse_u64(val, 999999, &v))
            opt.gap_us = (unsigned)v;
        else if (strcmp(a, "--timeout") == 0 && parse_double(val, &opt.timeout) && opt.timeout >= 1)
            ;
        else
            return usage();
    }
    if (connect_to == NULL || proto == NULL || opt.conns == 0 || opt.size == 0)
        return usage();
    if ((opt.roundtrips != 0) == (have_duration || have_warmup))
        return usage(); /* exactly one of the two modes */
    if (opt.roundtrips == 0 && !have_duration)
        return usage();
    if (strcmp(proto, "tcp") == 0)
        opt.proto = PROTO_TCP;
    else if (strcmp(proto, "unix") == 0)
        opt.proto = PROTO_UNIX;
    else if (strcmp(proto, "udp") == 0)
        opt.proto = PROTO_UDP;
    else
        return usage();
    if (opt.proto == PROTO_UDP && opt.size > 65507)
        return usage();
    if (opt.churn && (opt.proto == PROTO_UDP || opt.lockstep))
        return usage(); /* churn: streams, each client on its own */
    if (!parse_target(connect_to)) {
        fprintf(stderr, "loadgen: target must be 127.x.x.x:PORT or a path under /tmp/: %s\n",
                connect_to);
        return 2;
    }
    if (opt.lockstep)
        opt.pipeline = 1;
    if (opt.gap_us != 0)
        (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* the gap as asked, not +50 µs */

    signal(SIGPIPE, SIG_IGN);
    raise_nofile((rlim_t)opt.conns + 64);
    conns = calloc(opt.conns, sizeof *conns);
    sent_at = calloc((size_t)opt.conns * opt.pipeline, sizeof *sent_at);
    msgbuf = malloc(opt.size + 8);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (conns == NULL || sent_at == NULL || msgbuf == NULL || epfd < 0) {
        fprintf(stderr, "loadgen: out of memory or epoll_create1 failed\n");
        return 1;
    }

    if (opt.churn) {
        uint64_t ws = 0, we = 0;
        run_churn(&ws, &we);
        close(epfd);
        uint64_t done = opt.roundtrips != 0 ? churn_done : window_rt;
        double secs = (double)(we - ws) / 1e9;
        printf("round_trips=%" PRIu64 " rt_per_s=%.0f p50_us=%.1f p99_us=%.1f errors=%" PRIu64
               " proto=%s conns=%u size=%zu mode=churn elapsed_s=%.3f\n",
               done, secs > 0 ? (double)done / secs : 0.0, percentile_us(0.50), percentile_us(0.99),
               errors, proto, opt.conns, opt.size, secs);
        fflush(stdout);
        free(conns);
        free(sent_at);
        free(msgbuf);
        return errors == 0 ? 0 : 1;
    }

    uint64_t t_start = now_ns();
    for (unsigned i = 0; i < opt.conns; i++) {
        conns[i].fd = -1;
        conns[i].id = i;
        int r = open_conn(&conns[i]);
        if (r < 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "connect #%u to %s", i, opt.target);
            failf_errno(msg, -r);
            break;
        }
    }
    uint64_t t_connected = now_ns();

    uint64_t timeout_ns = (uint64_t)(opt.timeout * 1e9);
    uint64_t t0 = now_ns();
    uint64_t t_measure = t0 + (uint64_t)(opt.warmup * 1e9);
    uint64_t t_end = t_measure + (uint64_t)(opt.duration * 1e9);
    uint64_t last_progress = t0, window_start = t0, window_end = t0;
    if (opt.roundtrips != 0) {
        measuring = true; /* every round trip counts */
        window_start = t0;
    }

    if (errors == 0) {
        if (opt.lockstep)
            pump(&conns[0], t0);
        else
            for (unsigned i = 0; i < opt.conns; i++)
                pump(&conns[i], t0);
    }

    static struct epoll_event evs[MAX_EVENTS];
    uint64_t last_received = 0;
    while (!stopping) {
        uint64_t now = now_ns();
        if (opt.roundtrips == 0) {
            if (!measuring && now >= t_measure) {
                measuring = true;
                window_start = now;
            }
            if (now >= t_end) {
                window_end = now;
                break;
            }
        } else if (total_received >= opt.roundtrips) {
            window_end = now;
            break;
        }
        if (total_received != last_received) {
            last_received = total_received;
            last_progress = now;
        } else if (now - last_progress > timeout_ns) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "no reply for %.0f s (%" PRIu64 " sent, %" PRIu64 " received)", opt.timeout,
                     total_sent, total_received);
            fail(msg);
            break;
        }
        int wait_ms = 100;
        if (opt.roundtrips == 0) {
            uint64_t until = measuring ? t_end : t_measure;
            uint64_t left_ms = until > now ? (until - now) / 1000000 + 1 : 0;
            if (left_ms < (uint64_t)wait_ms)
                wait_ms = (int)left_ms;
        }
        int n = epoll_wait(epfd, evs, MAX_EVENTS, wait_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            failf_errno("epoll_wait", errno);
            break;
        }
        for (int i = 0; i < n && !stopping; i++) {
            struct conn *c = &conns[evs[i].data.u64];
            uint32_t e = evs[i].events;
            if (e & EPOLLIN)
                on_readable(c);
            else if (e & (EPOLLERR | EPOLLHUP)) {
                fail("connection error or hang-up");
                break;
            }
            if (!stopping && (e & EPOLLOUT) && c->send_partial)
                pump(c, now_ns());
        }
    }
    if (window_end == t0)
        window_end = now_ns();
    for (unsigned i = 0; i < opt.conns; i++)
        close_conn(&conns[i]);
    close(epfd);

    uint64_t rt = opt.roundtrips != 0 ? total_received : window_rt;
    double secs = (double)(window_end - window_start) / 1e9;
    printf("round_trips=%" PRIu64 " rt_per_s=%.0f p50_us=%.1f p99_us=%.1f errors=%" PRIu64
           " proto=%s conns=%u size=%zu pipeline=%u mode=%s elapsed_s=%.3f connect_s=%.3f\n",
           rt, secs > 0 ? (double)rt / secs : 0.0, percentile_us(0.50), percentile_us(0.99), errors,
           proto, opt.conns, opt.size, opt.pipeline, opt.lockstep ? "lockstep" : "free", secs,
           (double)(t_connected - t_start) / 1e9);
    fflush(stdout);
    free(conns);
    free(sent_at);
    free(msgbuf);
    return errors == 0 ? 0 : 1;
}
