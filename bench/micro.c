/* SPDX-License-Identifier: MIT */
/* micro — micro benchmarks of cmio's readiness core (public API only).
 *
 *   micro [--quick]          (CMIO_BACKEND=poll CMIO_WAKER=pipe for the poll(2) backend)
 *
 * Prints one line per benchmark, key=value:
 *   waker_rt     two threads, each with its own poll and waker: A wakes B, B's poll returns, B
 *                wakes A, A's poll returns — one round trip (threads pinned to CPUs 0 and 1)
 *   reg_dereg    cmio_udp_socket_register + _deregister of one socket, pairs per second
 *   poll_idle    one cmio_poll_poll() that returns one readable Unix stream, with 0 and with
 *                10 000 idle registered UDP sockets; medians of the call alone, and their ratio
 *   accept       accept + register + close of a connection (the server side; the clients
 *                connect before the clock starts), per second
 *   close_dereg  what deregistering before close costs: register a new UDP socket (through the
 *                raw-fd API) and close it, with and without cmio_registry_deregister_fd first;
 *                ns per socket+register+close each way and the difference (on epoll: the
 *                epoll_ctl(DEL) that cmio's close makes, over the removal close(2) makes anyway
 *                when it drops the last reference — a dup'ed fd would keep the registration)
 * and exits non-zero when a benchmark could not run (every wait is bounded: 5 s).
 */
#define _GNU_SOURCE
#include <cmio/cmio.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define IDLE 10000

static const struct timespec five_s = {5, 0};
static bool quick;
static int failures;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail(const char *bench, const char *what, int err)
{
    fprintf(stderr, "micro: %s: %s: %s\n", bench, what, cmio_strerror(err));
    failures++;
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    return n ? v[n / 2] : 0;
}

/* ---- waker round trip ---------------------------------------------------------------------- */

struct side {
    cmio_poll *poll;
    cmio_events *events;
    cmio_waker *waker; /* wakes this side's poll */
};

static struct side side_a, side_b;
static _Atomic bool waker_done;

/* Waits for this side's waker event; false after 5 s or an error. */
static bool wait_woken(struct side *s)
{
    for (;;) {
        int n = cmio_poll_poll(s->poll, s->events, &five_s);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            return false;
        for (int i = 0; i < n; i++)
            if (cmio_event_token(cmio_events_get(s->events, (size_t)i)) == 1)
                return true;
    }
}

static void *waker_b(void *arg)
{
    (void)arg;
    pin(1);
    while (!waker_done) {
        struct timespec t = {0, 100000000};
        int n = cmio_poll_poll(side_b.poll, side_b.events, &t);
        for (int i = 0; i < n; i++)
            if (cmio_event_token(cmio_events_get(side_b.events, (size_t)i)) == 1)
                (void)cmio_waker_wake(side_a.waker);
    }
    return NULL;
}

static int side_new(struct side *s)
{
    int r;
    if ((r = cmio_poll_new(&s->poll)) < 0 || (r = cmio_events_new(&s->events, 16)) < 0 ||
        (r = cmio_waker_new(&s->waker, cmio_poll_registry(s->poll), 1)) < 0)
        return r;
    return 0;
}

static void side_free(struct side *s)
{
    cmio_waker_free(s->waker);
    cmio_events_free(s->events);
    cmio_poll_free(s->poll);
}

static void bench_waker(void)
{
    int r;
    if ((r = side_new(&side_a)) < 0 || (r = side_new(&side_b)) < 0) {
        fail("waker_rt", "setup", r);
        return;
    }
    pthread_t tb;
    if (pthread_create(&tb, NULL, waker_b, NULL) != 0) {
        fail("waker_rt", "pthread_create", -EAGAIN);
        return;
    }
    pin(0);
    long n = quick ? 20000 : 100000, done = 0;
    for (long i = 0; i < 2000; i++) { /* warm-up */
        (void)cmio_waker_wake(side_b.waker);
        if (!wait_woken(&side_a))
            break;
    }
    uint64_t t0 = now_ns();
    for (; done < n; done++) {
        if ((r = cmio_waker_wake(side_b.waker)) < 0 || !wait_woken(&side_a))
            break;
    }
    uint64_t t = now_ns() - t0;
    waker_done = true;
    pthread_join(tb, NULL);
    if (done < n) {
        fail("waker_rt", "no wake-up within 5 s", r < 0 ? r : -ETIMEDOUT);
        return;
    }
    printf("waker_rt rt=%ld ns_per_rt=%.0f rt_per_s=%.0f\n", n, (double)t / (double)n,
           (double)n * 1e9 / (double)t);
    side_free(&side_a);
    side_free(&side_b);
}

/* ---- register + deregister ----------------------------------------------------------------- */

static int udp_bound(cmio_udp_socket *s)
{
    cmio_sockaddr addr;
    const uint8_t lo[4] = {127, 0, 0, 1};
    cmio_sockaddr_ipv4(&addr, lo, 0);
    return cmio_udp_socket_bind(s, &addr);
}

static void bench_reg_dereg(void)
{
    cmio_poll *poll;
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    int r;
    if ((r = cmio_poll_new(&poll)) < 0 || (r = udp_bound(&s)) < 0) {
        fail("reg_dereg", "setup", r);
        return;
    }
    cmio_registry *reg = cmio_poll_registry(poll);
    long n = quick ? 50000 : 300000;
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if ((r = cmio_udp_socket_register(&s, reg, 7, CMIO_INTEREST_READABLE)) < 0 ||
            (r = cmio_udp_socket_deregister(&s, reg)) < 0) {
            fail("reg_dereg", "register/deregister", r);
            return;
        }
    }
    uint64_t t = now_ns() - t0;
    printf("reg_dereg pairs=%ld ns_per_pair=%.0f pairs_per_s=%.0f\n", n, (double)t / (double)n,
           (double)n * 1e9 / (double)t);
    cmio_udp_socket_close(&s);
    cmio_poll_free(poll);
}

/* ---- poll latency with idle registrations ------------------------------------------------- */

/* Median ns of one cmio_poll_poll() that reports the active stream; 0 on failure. */
static uint64_t poll_once_median(cmio_poll *poll, cmio_events *events, cmio_unix_stream *a,
                                 cmio_unix_stream *b, uint64_t *samples, size_t n)
{
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        if (cmio_unix_stream_write(a, "x", 1) != 1)
            return 0;
        uint64_t t0 = now_ns();
        int got = cmio_poll_poll(poll, events, &five_s);
        uint64_t t1 = now_ns();
        if (got != 1 || cmio_event_token(cmio_events_get(events, 0)) != 1)
            return 0;
        samples[i] = t1 - t0;
        while (cmio_unix_stream_read(b, buf, sizeof buf) > 0) {
        }
    }
    return median(samples, n);
}

static void bench_poll_idle(void)
{
    cmio_poll *poll;
    cmio_events *events;
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    int r;
    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, 64)) < 0 ||
        (r = cmio_unix_stream_pair(&a, &b)) < 0 ||
        (r = cmio_unix_stream_register(&b, cmio_poll_registry(poll), 1, CMIO_INTEREST_READABLE)) <
            0) {
        fail("poll_idle", "setup", r);
        return;
    }
    cmio_registry *reg = cmio_poll_registry(poll);
    static cmio_udp_socket idle[IDLE];
    for (size_t i = 0; i < IDLE; i++) {
        if ((r = udp_bound(&idle[i])) < 0) {
            fail("poll_idle", "10000 UDP sockets", r);
            return;
        }
    }
    size_t n = quick ? 2000 : 10000;
    uint64_t *samples = malloc(n * sizeof *samples);
    uint64_t m0[3] = {0}, m1[2] = {0};
    /* 0 idle, 10 000 idle, 0, 10 000, 0: interleaved, so drift hits both sides. */
    for (int rep = 0; rep < 5 && samples != NULL; rep++) {
        bool with_idle = rep % 2 == 1;
        for (size_t i = 0; with_idle && i < IDLE; i++)
            if ((r = cmio_udp_socket_register(&idle[i], reg, 100 + i, CMIO_INTEREST_READABLE)) <
                0) {
                fail("poll_idle", "register idle", r);
                return;
            }
        uint64_t m = poll_once_median(poll, events, &a, &b, samples, n);
        if (m == 0) {
            fail("poll_idle", "active stream not reported", -ETIMEDOUT);
            return;
        }
        if (with_idle)
            m1[rep / 2] = m;
        else
            m0[rep / 2] = m;
        for (size_t i = 0; with_idle && i < IDLE; i++)
            (void)cmio_udp_socket_deregister(&idle[i], reg);
    }
    uint64_t idle0 = median(m0, 3), idle1 = (m1[0] + m1[1]) / 2;
    printf("poll_idle idle0_ns=%llu idle%d_ns=%llu ratio=%.3f samples=%zu\n",
           (unsigned long long)idle0, IDLE, (unsigned long long)idle1,
           (double)idle1 / (double)idle0, n);
    free(samples);
    for (size_t i = 0; i < IDLE; i++)
        cmio_udp_socket_close(&idle[i]);
    cmio_unix_stream_close(&a);
    cmio_unix_stream_close(&b);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

/* ---- accepts ------------------------------------------------------------------------------- */

static void bench_accept(void)
{
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    const uint8_t lo[4] = {127, 0, 0, 1};
    int r;
    cmio_sockaddr_ipv4(&addr, lo, 0);
    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, 64)) < 0 ||
        (r = cmio_tcp_listener_bind(&l, &addr)) < 0 ||
        (r = cmio_tcp_listener_local_addr(&l, &addr)) < 0 ||
        (r = cmio_tcp_listener_register(&l, cmio_poll_registry(poll), 0, CMIO_INTEREST_READABLE)) <
            0) {
        fail("accept", "setup", r);
        return;
    }
    cmio_registry *reg = cmio_poll_registry(poll);
    enum { BATCH = 100 };
    int clients[BATCH];
    long batches = quick ? 50 : 200, accepted_total = 0;
    uint64_t t = 0;
    for (long b = 0; b < batches; b++) {
        for (int i = 0; i < BATCH; i++) {
            clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (clients[i] < 0 || connect(clients[i], &addr.u.sa, addr.len) < 0) {
                fail("accept", "client connect", -errno);
                return;
            }
        }
        uint64_t t0 = now_ns();
        int accepted = 0;
        while (accepted < BATCH) {
            int n = cmio_poll_poll(poll, events, &five_s);
            if (n <= 0) {
                fail("accept", "listener not reported", n < 0 ? n : -ETIMEDOUT);
                return;
            }
            for (;;) {
                cmio_tcp_stream s;
                r = cmio_tcp_listener_accept(&l, &s, NULL);
                if (r < 0)
                    break;
                accepted++;
                if ((r = cmio_tcp_stream_register(&s, reg, 1, CMIO_INTEREST_READABLE)) < 0) {
                    fail("accept", "register", r);
                    return;
                }
                cmio_tcp_stream_close(&s);
            }
        }
        t += now_ns() - t0;
        accepted_total += accepted;
        for (int i = 0; i < BATCH; i++) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* no TIME_WAIT */
            (void)setsockopt(clients[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            close(clients[i]);
        }
    }
    printf("accept accepts=%ld ns_per_accept=%.0f accepts_per_s=%.0f\n", accepted_total,
           (double)t / (double)accepted_total, (double)accepted_total * 1e9 / (double)t);
    cmio_tcp_listener_close(&l);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

/* ---- close with and without deregistering ------------------------------------------------- */

static void bench_close_dereg(void)
{
    cmio_poll *poll;
    cmio_events *events;
    int r;
    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, 64)) < 0) {
        fail("close_dereg", "setup", r);
        return;
    }
    cmio_registry *reg = cmio_poll_registry(poll);
    const struct timespec zero = {0, 0};
    long n = quick ? 20000 : 100000;
    uint64_t t[2] = {0, 0};
    /* Alternating halves, so that drift hits both ways. */
    for (int half = 0; half < 4; half++) {
        bool dereg = half % 2 == 1;
        uint64_t t0 = now_ns();
        for (long i = 0; i < n / 2; i++) {
            int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0 || (r = cmio_registry_register_fd(reg, fd, 1, CMIO_INTEREST_READABLE)) < 0) {
                fail("close_dereg", "socket/register", fd < 0 ? -errno : r);
                return;
            }
            if (dereg && (r = cmio_registry_deregister_fd(reg, fd)) < 0) {
                fail("close_dereg", "deregister", r);
                return;
            }
            close(fd); /* without deregistering: epoll drops it as the last reference goes */
            if (i % 64 == 63)
                (void)cmio_poll_poll(poll, events, &zero); /* io_uring: submit, collect */
        }
        t[dereg] += now_ns() - t0;
    }
    double a = (double)t[0] / (double)n, b = (double)t[1] / (double)n;
    printf("close_dereg ns_close=%.0f ns_dereg_close=%.0f ns_dereg=%.0f\n", a, b, b - a);
    cmio_events_free(events);
    cmio_poll_free(poll);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else {
            fprintf(stderr, "usage: micro [--quick]\n");
            return 2;
        }
    }
    raise_nofile(IDLE + 1024);
    printf("micro backend=%s waker=%s\n", cmio_backend_name(), cmio_waker_name());
    fflush(stdout);
    bench_waker();
    fflush(stdout);
    bench_reg_dereg();
    fflush(stdout);
    bench_poll_idle();
    fflush(stdout);
    bench_accept();
    fflush(stdout);
    /* Closing a registered raw fd without deregistering is allowed by epoll alone (it drops the
     * registration with the file's last reference); cmio's contract asks for the deregister. */
    if (strcmp(cmio_backend_name(), "epoll") == 0)
        bench_close_dereg();
    return failures == 0 ? 0 : 1;
}
