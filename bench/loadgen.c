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
 * --rounds R --slice-ms MS (instead of --warmup/--duration/--roundtrips): interleaved runs, for
 * comparing servers on a noisy host. --connect may then be given up to 8 times; one child process
 * per target opens its connections (or clients) and waits. Each round gives every target one
 * slice in turn (the order rotates from round to round): the child sends for MS milliseconds,
 * then stops sending (churn: starting connections) and waits until every reply in flight is back,
 * so that the slice's count is of whole round trips and its time includes the drain. The targets
 * are idle but for the one in its slice, and neighbouring slices see nearly the same host. Before
 * the R measured rounds come --warmup-rounds W unreported ones (default 1). It prints one line per
 * slice, then a last line:
 *   slice round=R target=T count=C ns=N      (T: the target's index in the order given)
 *   rounds=… targets=… errors=…
 *
 * It prints one line on stdout (interleaved: the lines above):
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
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
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
    unsigned rounds;     /* interleaved: measured rounds (0: not interleaved) */
    unsigned warmup_rounds;
    unsigned slice_ms;
} opt = {.pipeline = 1, .timeout = 10.0, .warmup_rounds = 1};

#define MAX_TARGETS 8

static struct conn *conns;
static uint64_t *sent_at; /* conns × pipeline send times (ns), indexed by sequence % pipeline */
static uint8_t *msgbuf;   /* one message, generated on demand */
static uint8_t rbuf[RBUF_SIZE];
static int epfd = -1;

static uint64_t total_sent, total_received, errors;
static uint64_t window_rt; /* round trips completed inside the measured window */
static bool measuring, stopping;
static bool paused;       /* interleaved: outside a slice nothing new is sent or connected */
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
            "       loadgen --connect ADDR [--connect ADDR]... (same options)\n"
            "               --rounds R --slice-ms MS [--warmup-rounds W]   (interleaved)\n"
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
    if (stopping || paused)
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

/* epoll_wait on the load generator's set: the events' count (0 when interrupted), or -1 after
 * fail(). */
static int wait_events(struct epoll_event *evs, int wait_ms)
{
    int n = epoll_wait(epfd, evs, MAX_EVENTS, wait_ms);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n < 0)
        failf_errno("epoll_wait", errno);
    return n;
}

static void rt_events(const struct epoll_event *evs, int n)
{
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

/* Opens the N connections (stops at the first failure, which fail() reports). */
static void open_all(void)
{
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
    if (stopping || paused || (opt.roundtrips != 0 && churn_started >= opt.roundtrips))
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

static void churn_events(const struct epoll_event *evs, int n)
{
    for (int i = 0; i < n && !stopping; i++) {
        struct churner *c = &churners[evs[i].data.u64];
        if (c->fd >= 0)
            churn_step(c, evs[i].events);
    }
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
        int n = wait_events(evs, 100);
        if (n < 0)
            break;
        churn_events(evs, n);
    }
    *window_end = now_ns();
    for (unsigned i = 0; i < opt.conns; i++)
        churn_close(&churners[i]);
    free(churners);
}

/* ---- interleaved runs ---------------------------------------------------------------------- */

struct slice_result {
    uint64_t count; /* round trips (churn: connections) completed in the slice */
    uint64_t ns;    /* from the slice's start until the last reply in flight was back */
    uint64_t ok;    /* 0: the child failed (it said why on stderr) */
};

/* The parent and a child exchange messages of at most PIPE_BUF bytes over pipes: each is written
 * at once and read at once, never in pieces. */
_Static_assert(sizeof(struct slice_result) <= PIPE_BUF, "a message must be atomic on a pipe");

static bool write_msg(int fd, const void *buf, size_t len)
{
    ssize_t n;
    do
        n = write(fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)len;
}

/* Reads one len-byte message within timeout_ms; false on EOF, error or timeout. */
static bool read_msg(int fd, void *buf, size_t len, int timeout_ms)
{
    uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        uint64_t now = now_ns();
        if (now >= deadline)
            return false;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        uint64_t left_ms = (deadline - now) / 1000000u + 1;
        int r = poll(&pfd, 1, left_ms < 1000 ? (int)left_ms : 1000);
        if (r < 0 && errno != EINTR)
            return false;
        if (r <= 0)
            continue; /* interrupted, or not yet: the deadline is checked above */
        ssize_t n;
        do
            n = read(fd, buf, len);
        while (n < 0 && errno == EINTR);
        return n == (ssize_t)len;
    }
}

static bool allocate(void)
{
    raise_nofile((rlim_t)opt.conns + 64);
    conns = calloc(opt.conns, sizeof *conns);
    sent_at = calloc((size_t)opt.conns * opt.pipeline, sizeof *sent_at);
    msgbuf = malloc(opt.size + 8);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    return conns != NULL && sent_at != NULL && msgbuf != NULL && epfd >= 0;
}

static uint64_t done_count(void)
{
    return opt.churn ? churn_done : total_received;
}

/* Nothing of the slice is on the way any more. */
static bool drained(void)
{
    return opt.churn ? churn_done == churn_started : total_received == total_sent;
}

/* One slice: sends for opt.slice_ms, then waits for what is in flight. */
static struct slice_result run_slice(void)
{
    static struct epoll_event evs[MAX_EVENTS];
    uint64_t t0 = now_ns(), c0 = done_count();
    uint64_t t_end = t0 + (uint64_t)opt.slice_ms * 1000000u;
    uint64_t timeout_ns = (uint64_t)(opt.timeout * 1e9);
    uint64_t last_progress = t0, last_done = c0;
    paused = false;
    if (opt.churn) {
        for (unsigned i = 0; i < opt.conns; i++)
            if (!churn_start(&churners[i], t0))
                break;
    } else if (opt.lockstep) {
        pump(&conns[lock_cur], t0);
    } else {
        for (unsigned i = 0; i < opt.conns; i++)
            pump(&conns[i], t0);
    }
    while (!stopping) {
        uint64_t now = now_ns();
        if (!paused && now >= t_end)
            paused = true;
        if (paused && drained())
            break;
        if (done_count() != last_done) {
            last_done = done_count();
            last_progress = now;
        } else if (now - last_progress > timeout_ns) {
            fail("no reply within the timeout");
            break;
        }
        int wait_ms = 100;
        if (!paused && (t_end - now) / 1000000u + 1 < (uint64_t)wait_ms)
            wait_ms = (int)((t_end - now) / 1000000u + 1);
        int n = wait_events(evs, wait_ms);
        if (n < 0)
            break;
        if (opt.churn)
            churn_events(evs, n);
        else
            rt_events(evs, n);
    }
    paused = true;
    return (struct slice_result){done_count() - c0, now_ns() - t0, errors == 0};
}

/* A target's child: connects, says so, then runs a slice per 'G' read from ctl until EOF. */
static int slice_child(int ctl, int res)
{
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    paused = true;
    struct slice_result r = {0, 0, 0};
    if (!allocate()) {
        fprintf(stderr, "loadgen: out of memory or epoll_create1 failed\n");
        (void)write_msg(res, &r, sizeof r);
        return 1;
    }
    if (opt.churn) {
        churners = calloc(opt.conns, sizeof *churners);
        if (churners == NULL)
            fail("out of memory");
        for (unsigned i = 0; churners != NULL && i < opt.conns; i++) {
            churners[i].fd = -1;
            churners[i].id = i;
        }
    } else {
        open_all();
    }
    r.ok = errors == 0;
    bool go = write_msg(res, &r, sizeof r) && errors == 0;
    char cmd;
    while (go && read_msg(ctl, &cmd, 1, INT_MAX) && cmd == 'G') {
        r = run_slice();
        go = write_msg(res, &r, sizeof r) && r.ok;
    }
    if (opt.churn)
        for (unsigned i = 0; churners != NULL && i < opt.conns; i++)
            churn_close(&churners[i]);
    else
        for (unsigned i = 0; i < opt.conns; i++)
            close_conn(&conns[i]);
    return errors == 0 ? 0 : 1;
}

static int run_interleaved(const char *const *targets, unsigned ntargets)
{
    pid_t pid[MAX_TARGETS];
    int ctl[MAX_TARGETS], res[MAX_TARGETS];
    unsigned started = 0;
    uint64_t failed = 0;
    for (unsigned t = 0; t < ntargets; t++) {
        int cp[2], rp[2];
        if (pipe2(cp, O_CLOEXEC) < 0) {
            perror("loadgen: pipe2");
            failed++;
            break;
        }
        if (pipe2(rp, O_CLOEXEC) < 0) {
            perror("loadgen: pipe2");
            close(cp[0]);
            close(cp[1]);
            failed++;
            break;
        }
        fflush(stdout);
        pid_t p = fork();
        if (p < 0) {
            perror("loadgen: fork");
            close(cp[0]);
            close(cp[1]);
            close(rp[0]);
            close(rp[1]);
            failed++;
            break;
        }
        if (p == 0) {
            for (unsigned u = 0; u < t; u++) {
                close(ctl[u]);
                close(res[u]);
            }
            close(cp[1]);
            close(rp[0]);
            if (!parse_target(targets[t])) /* checked by main: cannot fail here */
                _exit(2);
            _exit(slice_child(cp[0], rp[1]));
        }
        close(cp[0]);
        close(rp[1]);
        pid[t] = p;
        ctl[t] = cp[1];
        res[t] = rp[0];
        started++;
    }
    /* Connecting 10 000 sockets takes a while; a slice is bounded by its length and the timeout
     * of the drain. */
    int slice_wait_ms = (int)opt.slice_ms + (int)(opt.timeout * 1000) + 2000;
    struct slice_result r;
    for (unsigned t = 0; t < started && failed == 0; t++)
        if (!read_msg(res[t], &r, sizeof r, 120000) || !r.ok) {
            fprintf(stderr, "loadgen: target %u (%s) did not get ready\n", t, targets[t]);
            failed++;
        }
    unsigned rounds = opt.warmup_rounds + opt.rounds;
    for (unsigned round = 0; round < rounds && failed == 0; round++) {
        for (unsigned k = 0; k < ntargets && failed == 0; k++) {
            unsigned t = (k + round) % ntargets;
            if (!write_msg(ctl[t], "G", 1) || !read_msg(res[t], &r, sizeof r, slice_wait_ms) ||
                !r.ok) {
                fprintf(stderr, "loadgen: target %u (%s) failed in round %u\n", t, targets[t],
                        round);
                failed++;
                break;
            }
            if (round >= opt.warmup_rounds)
                printf("slice round=%u target=%u count=%" PRIu64 " ns=%" PRIu64 "\n",
                       round - opt.warmup_rounds, t, r.count, r.ns);
        }
    }
    for (unsigned t = 0; t < started; t++) {
        close(ctl[t]); /* EOF: the child closes its connections and exits */
        close(res[t]);
    }
    for (unsigned t = 0; t < started; t++) {
        int status;
        while (waitpid(pid[t], &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    }
    printf("rounds=%u targets=%u slice_ms=%u errors=%" PRIu64 " conns=%u size=%zu mode=%s\n",
           opt.rounds, ntargets, opt.slice_ms, failed, opt.conns, opt.size,
           opt.churn      ? "churn"
           : opt.lockstep ? "lockstep"
                          : "free");
    fflush(stdout);
    return failed == 0 ? 0 : 1;
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *targets[MAX_TARGETS], *proto = NULL;
    unsigned ntargets = 0;
    uint64_t v;
    bool have_warmup = false, have_duration = false, have_warmup_rounds = false;
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
        if (strcmp(a, "--connect") == 0) {
            if (ntargets == MAX_TARGETS)
                return usage();
            targets[ntargets++] = val;
        } else if (strcmp(a, "--rounds") == 0 && parse_u64(val, 100000, &v) && v > 0)
            opt.rounds = (unsigned)v;
        else if (strcmp(a, "--warmup-rounds") == 0 && parse_u64(val, 100000, &v)) {
            opt.warmup_rounds = (unsigned)v;
            have_warmup_rounds = true;
        } else if (strcmp(a, "--slice-ms") == 0 && parse_u64(val, 60000, &v) && v > 0)
            opt.slice_ms = (unsigned)v;
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
    if (ntargets == 0 || proto == NULL || opt.conns == 0 || opt.size == 0)
        return usage();
    if (opt.rounds != 0 || opt.slice_ms != 0) { /* interleaved */
        if (opt.rounds == 0 || opt.slice_ms == 0 || opt.roundtrips != 0 || have_duration ||
            have_warmup)
            return usage();
    } else {
        if (ntargets > 1 || have_warmup_rounds ||
            (opt.roundtrips != 0) == (have_duration || have_warmup))
            return usage(); /* exactly one of the two modes */
        if (opt.roundtrips == 0 && !have_duration)
            return usage();
    }
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
        return usage();                   /* churn: streams, each client on its own */
    for (unsigned t = ntargets; t-- > 0;) /* the first one stays parsed */
        if (!parse_target(targets[t])) {
            fprintf(stderr, "loadgen: target must be 127.x.x.x:PORT or a path under /tmp/: %s\n",
                    targets[t]);
            return 2;
        }
    if (opt.lockstep)
        opt.pipeline = 1;
    if (opt.gap_us != 0)
        (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* the gap as asked, not +50 µs */

    signal(SIGPIPE, SIG_IGN);
    if (opt.rounds != 0)
        return run_interleaved(targets, ntargets);
    if (!allocate()) {
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
    open_all();
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
        int n = wait_events(evs, wait_ms);
        if (n < 0)
            break;
        rt_events(evs, n);
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
