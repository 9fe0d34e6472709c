/* SPDX-License-Identifier: MIT */
/* cmio fault injection (`make test-faults`): fails the Nth system call or allocation libcmio makes
 * across a full cycle of every socket type, the poll, the waker and a cloned registry, for
 * N = 1, 2, … until a cycle runs with no injected failure; on the backend and waker named by
 * CMIO_BACKEND / CMIO_WAKER (the Makefile runs every native row).
 *
 * How: this program is linked statically against libcmio.a with -Wl,--wrap=<fn> for every function
 * in faults.mk's list, so every call libcmio makes to them (and the calls the headers' inline fast
 * paths make from here) goes through the __wrap_ functions below. Each N runs in a fresh child
 * process; the child arms the counter, runs the cycle, cleans up whatever it got, and reports.
 *
 * Asserted for every N (any violation fails the run, with N and the failed function):
 *   - no crash and no hang (a signal, or 60 s, in the child);
 *   - no fd leak: /proc/self/fd counts the same before and after the cycle;
 *   - no heap leak: as many blocks freed as malloc/calloc/realloc handed out;
 *   - every error the API returned has a name in cmio_err_name (not "EUNKNOWN"), and none is
 *     -EPERM, which is never injected (a raw -1 returned as an errno would show up as -EPERM);
 *   - no stall: an operation that keeps returning -EAGAIN while nothing failed is a lost
 *     readiness or a swallowed error.
 * The report gives, per row, the number of injection points (calls in a clean cycle) by function.
 */
#include <cmio/cmio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the injector -----------------------------------------------------------------------------
 */

#define MAX_FNS 48

static bool fi_armed;
static bool fi_persist; /* every call from the Nth on fails, not only the Nth */
static unsigned long fi_calls, fi_target;
static const char *fi_injected;
static long fi_live; /* heap blocks handed out and not freed */
static struct {
    const char *name;
    unsigned long n;
} fi_count[MAX_FNS];
static int fi_nfns;

/* Counts a call of `name`; true when it is the one to fail. */
static bool fi_hit(const char *name)
{
    if (!fi_armed)
        return false;
    fi_calls++;
    int i = 0;
    while (i < fi_nfns && fi_count[i].name != name)
        i++;
    if (i == fi_nfns && fi_nfns < MAX_FNS)
        fi_count[fi_nfns++].name = name;
    if (i < MAX_FNS)
        fi_count[i].n++;
    if (fi_calls == fi_target || (fi_persist && fi_calls > fi_target)) {
        if (fi_injected == NULL)
            fi_injected = name;
        return true;
    }
    return false;
}

/* A wrapper that fails with errno `err` and returns `ret`, or calls the real function. */
#define FI_WRAP(ret_t, fn, err, failret, params, args)                                             \
    ret_t __real_##fn params;                                                                      \
    ret_t __wrap_##fn params;                                                                      \
    ret_t __wrap_##fn params                                                                       \
    {                                                                                              \
        if (fi_hit(#fn)) {                                                                         \
            errno = err;                                                                           \
            return failret;                                                                        \
        }                                                                                          \
        return __real_##fn args;                                                                   \
    }

FI_WRAP(int, socket, EMFILE, -1, (int d, int t, int p), (d, t, p))
FI_WRAP(int, socketpair, EMFILE, -1, (int d, int t, int p, int sv[2]), (d, t, p, sv))
FI_WRAP(int, accept4, EMFILE, -1, (int fd, struct sockaddr *a, socklen_t *l, int f), (fd, a, l, f))
FI_WRAP(int, accept, EMFILE, -1, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l))
FI_WRAP(int, bind, EADDRINUSE, -1, (int fd, const struct sockaddr *a, socklen_t l), (fd, a, l))
FI_WRAP(int, listen, EADDRINUSE, -1, (int fd, int n), (fd, n))
FI_WRAP(int, connect, ECONNREFUSED, -1, (int fd, const struct sockaddr *a, socklen_t l), (fd, a, l))
FI_WRAP(int, getsockname, ENOBUFS, -1, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l))
FI_WRAP(int, getpeername, ENOBUFS, -1, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l))
FI_WRAP(int, getsockopt, ENOBUFS, -1, (int fd, int lv, int nm, void *v, socklen_t *l),
        (fd, lv, nm, v, l))
FI_WRAP(int, setsockopt, ENOMEM, -1, (int fd, int lv, int nm, const void *v, socklen_t l),
        (fd, lv, nm, v, l))
FI_WRAP(int, shutdown, ENOTCONN, -1, (int fd, int how), (fd, how))
FI_WRAP(int, epoll_create1, EMFILE, -1, (int f), (f))
FI_WRAP(int, epoll_ctl, ENOMEM, -1, (int ep, int op, int fd, struct epoll_event *e),
        (ep, op, fd, e))
FI_WRAP(int, epoll_wait, EINTR, -1, (int ep, struct epoll_event *e, int n, int t), (ep, e, n, t))
FI_WRAP(int, poll, ENOMEM, -1, (struct pollfd * f, nfds_t n, int t), (f, n, t))
FI_WRAP(int, ppoll, ENOMEM, -1,
        (struct pollfd * f, nfds_t n, const struct timespec *t, const sigset_t *m), (f, n, t, m))
FI_WRAP(ssize_t, read, EIO, -1, (int fd, void *b, size_t n), (fd, b, n))
FI_WRAP(ssize_t, write, EIO, -1, (int fd, const void *b, size_t n), (fd, b, n))
FI_WRAP(ssize_t, readv, ECONNRESET, -1, (int fd, const struct iovec *v, int n), (fd, v, n))
FI_WRAP(ssize_t, writev, ECONNRESET, -1, (int fd, const struct iovec *v, int n), (fd, v, n))
FI_WRAP(ssize_t, recv, ECONNRESET, -1, (int fd, void *b, size_t n, int f), (fd, b, n, f))
FI_WRAP(ssize_t, recvfrom, ECONNREFUSED, -1,
        (int fd, void *b, size_t n, int f, struct sockaddr *a, socklen_t *l), (fd, b, n, f, a, l))
FI_WRAP(ssize_t, recvmsg, ECONNRESET, -1, (int fd, struct msghdr *m, int f), (fd, m, f))
FI_WRAP(int, recvmmsg, ENOMEM, -1,
        (int fd, struct mmsghdr *m, unsigned int n, int f, struct timespec *t), (fd, m, n, f, t))
FI_WRAP(ssize_t, send, ENOBUFS, -1, (int fd, const void *b, size_t n, int f), (fd, b, n, f))
FI_WRAP(ssize_t, sendto, ENOBUFS, -1,
        (int fd, const void *b, size_t n, int f, const struct sockaddr *a, socklen_t l),
        (fd, b, n, f, a, l))
FI_WRAP(ssize_t, sendmsg, ENOBUFS, -1, (int fd, const struct msghdr *m, int f), (fd, m, f))
FI_WRAP(int, sendmmsg, ENOBUFS, -1, (int fd, struct mmsghdr *m, unsigned int n, int f),
        (fd, m, n, f))
FI_WRAP(int, eventfd, EMFILE, -1, (unsigned int v, int f), (v, f))
FI_WRAP(int, pipe, EMFILE, -1, (int p[2]), (p))
FI_WRAP(int, fstat64, ENOMEM, -1, (int fd, struct stat *st), (fd, st))
FI_WRAP(int, pthread_mutex_init, 0, ENOMEM, (pthread_mutex_t * m, const pthread_mutexattr_t *a),
        (m, a))

/* fcntl's third argument exists only for some commands. (_FILE_OFFSET_BITS=64 makes it fcntl64.) */
int __real_fcntl64(int fd, int cmd, ...);
int __wrap_fcntl64(int fd, int cmd, ...);
int __wrap_fcntl64(int fd, int cmd, ...)
{
    if (fi_hit("fcntl")) {
        errno = EBADF;
        return -1;
    }
    if (cmd == F_GETFD || cmd == F_GETFL)
        return __real_fcntl64(fd, cmd);
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return __real_fcntl64(fd, cmd, arg);
}

/* close(2) releases the fd even when it reports an error (Linux): injected as EIO after it. */
int __real_close(int fd);
int __wrap_close(int fd);
int __wrap_close(int fd)
{
    bool fail = fi_hit("close");
    int r = __real_close(fd);
    if (fail && r == 0) {
        errno = EIO;
        return -1;
    }
    return r;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

void *__wrap_malloc(size_t n)
{
    if (fi_hit("malloc")) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __real_malloc(n);
    if (p != NULL)
        fi_live++;
    return p;
}

void *__wrap_calloc(size_t k, size_t n)
{
    if (fi_hit("calloc")) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __real_calloc(k, n);
    if (p != NULL)
        fi_live++;
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (fi_hit("realloc")) {
        errno = ENOMEM;
        return NULL;
    }
    void *q = __real_realloc(p, n);
    if (q != NULL && p == NULL)
        fi_live++;
    return q;
}

void __wrap_free(void *p)
{
    if (p != NULL)
        fi_live--;
    __real_free(p);
}

/* ---- the cycle ----------------------------------------------------------------------------------
 */

struct report {
    int injected;        /* the Nth call happened (and failed) */
    char fn[24];         /* which function it was */
    unsigned long calls; /* wrapped calls the cycle made */
    int fd_leak;         /* fds open after minus before */
    long heap_leak;      /* blocks not freed */
    int unnamed;         /* API errors without a name (or -EPERM) */
    int stalls;          /* operations that never stopped returning -EAGAIN */
    int completed;       /* the cycle ran to its end */
    char detail[200];    /* the first problem */
    int nfns;
    struct {
        char name[24];
        unsigned long n;
    } fns[MAX_FNS];
    int ncodes;
    int codes[32]; /* distinct error codes the API returned */
};

static struct report R;
static const char *tmpdir;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    if (R.detail[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(R.detail, sizeof R.detail, fmt, ap);
    va_end(ap);
}

/* Every negative result of an API call comes through here. */
static void check_code(const char *what, long r)
{
    if (r >= 0)
        return;
    int code = (int)r;
    if (strcmp(cmio_err_name(code), "EUNKNOWN") == 0 || code == -EPERM || (long)code != r) {
        R.unnamed++;
        note("%s returned %ld (%s)", what, r, cmio_err_name(code));
    }
    for (int i = 0; i < R.ncodes; i++)
        if (R.codes[i] == code)
            return;
    if (R.ncodes < 32)
        R.codes[R.ncodes++] = code;
}

/* Runs an API call; a negative result ends the cycle (the cleanup runs). */
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        long r_ = (long)(expr);                                                                    \
        if (r_ < 0) {                                                                              \
            check_code(#expr, r_);                                                                 \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

struct ctx {
    cmio_poll *poll;
    cmio_events *events;
    cmio_registry *reg, *clone;
    cmio_waker *waker;
    cmio_tcp_listener tl;
    cmio_tcp_stream tc, ts;
    cmio_udp_socket ua, ub;
    cmio_unix_listener ul;
    cmio_unix_stream uc, us, p1, p2;
    cmio_unix_datagram d1, d2, dp1, dp2, du;
    int got_fds[4];
    size_t ngot;
    char lpath[96], d1path[96], d2path[96];
    bool seen[128]; /* tokens reported by a poll and not yet waited for */
};

/* One poll with a short timeout; an error ends the cycle (-EINTR is what a caller retries). */
static int poll_once(struct ctx *c)
{
    const struct timespec t = {0, 10 * 1000000L};
    int n = cmio_poll_poll(c->poll, c->events, &t);
    if (n == -EINTR && !fi_persist) { /* retried, as callers do (not when it never stops) */
        check_code("cmio_poll_poll", n);
        return 0;
    }
    TRY(n);
    for (const cmio_event *e = cmio_events_first(c->events); e; e = cmio_events_next(c->events, e))
        if (cmio_event_token(e) < 128)
            c->seen[cmio_event_token(e)] = true;
    return n;
}

/* Polls until `token` has been reported (since the last wait for it); bounded. */
static int wait_token(struct ctx *c, cmio_token token)
{
    for (int i = 0; i < 300 && !c->seen[token]; i++)
        if (poll_once(c) < 0)
            return -1;
    if (!c->seen[token]) {
        R.stalls++;
        note("no event for token %d", (int)token);
        return -1;
    }
    c->seen[token] = false;
    return 0;
}

#define WAIT(token)                                                                                \
    do {                                                                                           \
        if (wait_token(c, token) < 0)                                                              \
            return -1;                                                                             \
    } while (0)

/* Repeats `op` (an expression) while it returns -EAGAIN, polling in between; bounded. */
#define RETRY(res, op)                                                                             \
    do {                                                                                           \
        int tries_ = 0;                                                                            \
        for (;;) {                                                                                 \
            res = (long)(op);                                                                      \
            if (res != -EAGAIN)                                                                    \
                break;                                                                             \
            if (++tries_ > 300) {                                                                  \
                R.stalls++;                                                                        \
                note("%s kept returning -EAGAIN", #op);                                            \
                return -1;                                                                         \
            }                                                                                      \
            if (poll_once(c) < 0)                                                                  \
                return -1;                                                                         \
        }                                                                                          \
        TRY(res);                                                                                  \
    } while (0)

static int cycle_tcp(struct ctx *c)
{
    static const uint8_t lo[4] = {127, 0, 0, 1};
    cmio_sockaddr any, addr, peer;
    long r;
    char buf[64];
    TRY(cmio_sockaddr_ipv4(&any, lo, 0));
    TRY(cmio_tcp_listener_bind(&c->tl, &any));
    TRY(cmio_tcp_listener_local_addr(&c->tl, &addr));
    TRY(cmio_tcp_listener_register(&c->tl, c->reg, 1, CMIO_INTEREST_READABLE));
    TRY(cmio_tcp_stream_connect(&c->tc, &addr));
    TRY(cmio_tcp_stream_register(&c->tc, c->clone, 2,
                                 CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE));
    WAIT(1);
    WAIT(2);
    RETRY(r, cmio_tcp_listener_accept(&c->tl, &c->ts, &peer));
    TRY(cmio_tcp_stream_register(&c->ts, c->reg, 3, CMIO_INTEREST_READABLE));
    TRY(cmio_tcp_stream_set_nodelay(&c->tc, true));
    bool nd;
    TRY(cmio_tcp_stream_nodelay(&c->tc, &nd));
    uint32_t ttl;
    TRY(cmio_tcp_stream_set_ttl(&c->tc, 42));
    TRY(cmio_tcp_stream_ttl(&c->tc, &ttl));
    RETRY(r, cmio_tcp_stream_write(&c->tc, "ping", 4));
    WAIT(3);
    RETRY(r, cmio_tcp_stream_peek(&c->ts, buf, sizeof buf));
    RETRY(r, cmio_tcp_stream_read(&c->ts, buf, sizeof buf));
    struct iovec out[2] = {{"po", 2}, {"ng", 2}};
    TRY(cmio_tcp_stream_writev(&c->ts, out, 2));
    WAIT(2);
    struct iovec in[1] = {{buf, sizeof buf}};
    RETRY(r, cmio_tcp_stream_readv(&c->tc, in, 1));
    TRY(cmio_tcp_stream_peer_addr(&c->tc, &peer));
    TRY(cmio_tcp_stream_local_addr(&c->ts, &peer));
    int err;
    TRY(cmio_tcp_stream_take_error(&c->tc, &err));
    TRY(cmio_tcp_listener_take_error(&c->tl, &err));
    TRY(cmio_tcp_stream_shutdown(&c->tc, CMIO_SHUTDOWN_WRITE));
    RETRY(r, cmio_tcp_stream_read(&c->ts, buf, sizeof buf)); /* EOF: 0 */
    TRY(cmio_tcp_stream_reregister(&c->ts, c->reg, 4,
                                   CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE));
    TRY(cmio_tcp_stream_deregister(&c->ts, c->reg));
    TRY(cmio_tcp_stream_close(&c->ts));
    TRY(cmio_tcp_stream_close(&c->tc));
    TRY(cmio_tcp_listener_close(&c->tl));
    return 0;
}

static int cycle_udp(struct ctx *c)
{
    static const uint8_t lo[4] = {127, 0, 0, 1};
    cmio_sockaddr any, a, b, from;
    long r;
    char buf[64], b1[16], b2[16];
    TRY(cmio_sockaddr_ipv4(&any, lo, 0));
    TRY(cmio_udp_socket_bind(&c->ua, &any));
    TRY(cmio_udp_socket_bind(&c->ub, &any));
    TRY(cmio_udp_socket_local_addr(&c->ua, &a));
    TRY(cmio_udp_socket_local_addr(&c->ub, &b));
    TRY(cmio_udp_socket_register(&c->ua, c->reg, 10, CMIO_INTEREST_WRITABLE));
    TRY(cmio_udp_socket_register(&c->ub, c->clone, 11, CMIO_INTEREST_READABLE));
    TRY(cmio_udp_socket_send_to(&c->ua, "dgram", 5, &b));
    WAIT(11);
    RETRY(r, cmio_udp_socket_peek_from(&c->ub, buf, sizeof buf, &from));
    RETRY(r, cmio_udp_socket_recv_from(&c->ub, buf, sizeof buf, &from));
    TRY(cmio_udp_socket_connect(&c->ua, &b));
    TRY(cmio_udp_socket_connect(&c->ub, &a));
    TRY(cmio_udp_socket_peer_addr(&c->ua, &from));
    TRY(cmio_udp_socket_send(&c->ua, "conn", 4));
    RETRY(r, cmio_udp_socket_recv(&c->ub, buf, sizeof buf));
    cmio_udp_msg out[2] = {{.buf = "one", .len = 3}, {.buf = "two", .len = 3}};
    /* A short batch stopped at an error that the next call reports: send the rest again. */
    for (size_t sent = 0; sent < 2; sent += (size_t)r)
        RETRY(r, cmio_udp_socket_send_batch(&c->ua, out + sent, 2 - sent));
    cmio_udp_msg in[2] = {{.buf = b1, .len = sizeof b1}, {.buf = b2, .len = sizeof b2}};
    for (size_t got = 0; got < 2; got += (size_t)r)
        RETRY(r, cmio_udp_socket_recv_batch(&c->ub, in + got, 2 - got));
    uint32_t ttl;
    TRY(cmio_udp_socket_set_ttl(&c->ua, 7));
    TRY(cmio_udp_socket_ttl(&c->ua, &ttl));
    bool on;
    TRY(cmio_udp_socket_set_broadcast(&c->ua, true));
    TRY(cmio_udp_socket_broadcast(&c->ua, &on));
    int err;
    TRY(cmio_udp_socket_take_error(&c->ub, &err));
    TRY(cmio_udp_socket_close(&c->ua));
    TRY(cmio_udp_socket_close(&c->ub));
    return 0;
}

static int cycle_unix(struct ctx *c)
{
    long r;
    char buf[64];
    cmio_unix_addr ua;
    TRY(cmio_unix_listener_bind(&c->ul, c->lpath));
    TRY(cmio_unix_listener_local_addr(&c->ul, &ua));
    TRY(cmio_unix_listener_register(&c->ul, c->reg, 20, CMIO_INTEREST_READABLE));
    TRY(cmio_unix_stream_connect(&c->uc, c->lpath));
    TRY(cmio_unix_stream_register(&c->uc, c->clone, 21, CMIO_INTEREST_WRITABLE));
    WAIT(20);
    WAIT(21);
    RETRY(r, cmio_unix_listener_accept(&c->ul, &c->us, &ua));
    TRY(cmio_unix_stream_register(&c->us, c->reg, 22, CMIO_INTEREST_READABLE));
    RETRY(r, cmio_unix_stream_write(&c->uc, "unix", 4));
    WAIT(22);
    RETRY(r, cmio_unix_stream_read(&c->us, buf, sizeof buf));
    int pass = cmio_unix_listener_as_fd(&c->ul);
    TRY(pass);
    RETRY(r, cmio_unix_stream_send_fds(&c->uc, "f", 1, &pass, 1));
    cmio_fd_buf fb = {.fds = c->got_fds, .cap = 4};
    RETRY(r, cmio_unix_stream_recv_fds(&c->us, buf, sizeof buf, &fb));
    c->ngot = fb.len;
    struct iovec out[2] = {{"v", 1}, {"w", 1}};
    RETRY(r, cmio_unix_stream_writev(&c->us, out, 2));
    struct iovec in[1] = {{buf, sizeof buf}};
    RETRY(r, cmio_unix_stream_readv(&c->uc, in, 1));
#ifndef CMIO_PEER_CRED_NONE /* the op exists where the platform can tell */
    cmio_peer_cred cred;
    TRY(cmio_unix_stream_peer_cred(&c->us, &cred));
#endif
    TRY(cmio_unix_stream_peer_addr(&c->uc, &ua));
    TRY(cmio_unix_stream_local_addr(&c->us, &ua));
    TRY(cmio_unix_stream_shutdown(&c->uc, CMIO_SHUTDOWN_BOTH));
    TRY(cmio_unix_stream_close(&c->uc));
    TRY(cmio_unix_stream_close(&c->us));
    TRY(cmio_unix_listener_close(&c->ul));
    for (size_t i = 0; i < c->ngot; i++)
        __real_close(c->got_fds[i]); /* the driver's own: not an injection point */
    c->ngot = 0;
    unlink(c->lpath);

    /* Datagrams: bound, pair, unbound + connect; a stream pair through the clone. */
    TRY(cmio_unix_datagram_bind(&c->d1, c->d1path));
    TRY(cmio_unix_datagram_bind(&c->d2, c->d2path));
    TRY(cmio_unix_datagram_register(&c->d2, c->reg, 30, CMIO_INTEREST_READABLE));
    RETRY(r, cmio_unix_datagram_send_to(&c->d1, "d", 1, c->d2path));
    WAIT(30);
    RETRY(r, cmio_unix_datagram_recv_from(&c->d2, buf, sizeof buf, &ua));
    TRY(cmio_unix_datagram_unbound(&c->du));
    TRY(cmio_unix_datagram_connect(&c->du, c->d2path));
    RETRY(r, cmio_unix_datagram_send(&c->du, "u", 1));
    RETRY(r, cmio_unix_datagram_recv(&c->d2, buf, sizeof buf));
    TRY(cmio_unix_datagram_pair(&c->dp1, &c->dp2));
    TRY(cmio_unix_datagram_register(&c->dp2, c->clone, 31, CMIO_INTEREST_READABLE));
    RETRY(r, cmio_unix_datagram_send(&c->dp1, "p", 1));
    WAIT(31);
    RETRY(r, cmio_unix_datagram_recv(&c->dp2, buf, sizeof buf));
    TRY(cmio_unix_datagram_deregister(&c->dp2, c->clone));
    TRY(cmio_unix_datagram_local_addr(&c->d1, &ua));
    TRY(cmio_unix_datagram_peer_addr(&c->du, &ua));
    TRY(cmio_unix_datagram_close(&c->d1));
    TRY(cmio_unix_datagram_close(&c->d2));
    TRY(cmio_unix_datagram_close(&c->du));
    TRY(cmio_unix_datagram_close(&c->dp1));
    TRY(cmio_unix_datagram_close(&c->dp2));
    unlink(c->d1path);
    unlink(c->d2path);

    TRY(cmio_unix_stream_pair(&c->p1, &c->p2));
    TRY(cmio_unix_stream_register(&c->p1, c->clone, 40, CMIO_INTEREST_READABLE));
    RETRY(r, cmio_unix_stream_write(&c->p2, "pair", 4));
    WAIT(40);
    RETRY(r, cmio_unix_stream_read(&c->p1, buf, sizeof buf));
    r = cmio_unix_stream_read(&c->p1, buf, sizeof buf); /* drained: -EAGAIN (re-arms on poll) */
    if (r != -EAGAIN)
        TRY(r);
    return 0;
}

static int cycle_waker(struct ctx *c)
{
    TRY(cmio_waker_wake(c->waker));
    WAIT(99);
    TRY(cmio_unix_stream_deregister(&c->p1, c->clone));
    return 0;
}

static int cycle(struct ctx *c)
{
    TRY(cmio_poll_new(&c->poll));
    TRY(cmio_events_new(&c->events, 16));
    c->reg = cmio_poll_registry(c->poll);
    TRY(cmio_registry_try_clone(c->reg, &c->clone));
    TRY(cmio_waker_new(&c->waker, c->reg, 99));
    if (cycle_tcp(c) < 0 || cycle_udp(c) < 0 || cycle_unix(c) < 0 || cycle_waker(c) < 0)
        return -1;
    return 0;
}

/* Releases whatever the cycle still holds; closing an empty socket is a harmless -EBADF. */
static void cleanup(struct ctx *c)
{
    (void)cmio_tcp_listener_close(&c->tl);
    (void)cmio_tcp_stream_close(&c->tc);
    (void)cmio_tcp_stream_close(&c->ts);
    (void)cmio_udp_socket_close(&c->ua);
    (void)cmio_udp_socket_close(&c->ub);
    (void)cmio_unix_listener_close(&c->ul);
    (void)cmio_unix_stream_close(&c->uc);
    (void)cmio_unix_stream_close(&c->us);
    (void)cmio_unix_stream_close(&c->p1);
    (void)cmio_unix_stream_close(&c->p2);
    (void)cmio_unix_datagram_close(&c->d1);
    (void)cmio_unix_datagram_close(&c->d2);
    (void)cmio_unix_datagram_close(&c->dp1);
    (void)cmio_unix_datagram_close(&c->dp2);
    (void)cmio_unix_datagram_close(&c->du);
    for (size_t i = 0; i < c->ngot; i++)
        __real_close(c->got_fds[i]);
    cmio_waker_free(c->waker);
    cmio_registry_free(c->clone);
    cmio_events_free(c->events);
    cmio_poll_free(c->poll);
    unlink(c->lpath);
    unlink(c->d1path);
    unlink(c->d2path);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* The child: one cycle with the Nth call failing; the report goes to fd `out`. */
static void child(unsigned long n, int out)
{
    alarm(60);
    memset(&R, 0, sizeof R);
    struct ctx c = {.tl = CMIO_TCP_LISTENER_INIT,
                    .tc = CMIO_TCP_STREAM_INIT,
                    .ts = CMIO_TCP_STREAM_INIT,
                    .ua = CMIO_UDP_SOCKET_INIT,
                    .ub = CMIO_UDP_SOCKET_INIT,
                    .ul = CMIO_UNIX_LISTENER_INIT,
                    .uc = CMIO_UNIX_STREAM_INIT,
                    .us = CMIO_UNIX_STREAM_INIT,
                    .p1 = CMIO_UNIX_STREAM_INIT,
                    .p2 = CMIO_UNIX_STREAM_INIT,
                    .d1 = CMIO_UNIX_DATAGRAM_INIT,
                    .d2 = CMIO_UNIX_DATAGRAM_INIT,
                    .dp1 = CMIO_UNIX_DATAGRAM_INIT,
                    .dp2 = CMIO_UNIX_DATAGRAM_INIT,
                    .du = CMIO_UNIX_DATAGRAM_INIT};
    snprintf(c.lpath, sizeof c.lpath, "%s/l%lu", tmpdir, n);
    snprintf(c.d1path, sizeof c.d1path, "%s/a%lu", tmpdir, n);
    snprintf(c.d2path, sizeof c.d2path, "%s/b%lu", tmpdir, n);
    int fds_before = count_fds();
    long heap_before = fi_live;
    fi_target = n;
    fi_armed = true;
    R.completed = cycle(&c) == 0;
    cleanup(&c);
    fi_armed = false;
    R.fd_leak = count_fds() - fds_before;
    R.heap_leak = fi_live - heap_before;
    R.calls = fi_calls;
    R.injected = fi_injected != NULL;
    if (fi_injected != NULL)
        snprintf(R.fn, sizeof R.fn, "%s", fi_injected);
    R.nfns = fi_nfns;
    for (int i = 0; i < fi_nfns; i++) {
        snprintf(R.fns[i].name, sizeof R.fns[i].name, "%s", fi_count[i].name);
        R.fns[i].n = fi_count[i].n;
    }
    const char *p = (const char *)&R;
    size_t left = sizeof R;
    while (left > 0) {
        ssize_t w = write(out, p, left);
        if (w <= 0)
            _exit(3);
        p += w;
        left -= (size_t)w;
    }
    _exit(0);
}

/* Runs one child with injection point n; returns the bytes of report read. */
static size_t run_child(unsigned long n, struct report *r, int *status)
{
    int p[2];
    memset(r, 0, sizeof *r);
    if (pipe(p) < 0) {
        perror("pipe");
        exit(2);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        close(p[0]);
        child(n, p[1]);
    }
    close(p[1]);
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t k = read(p[0], (char *)r + got, sizeof *r - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(p[0]);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
    return got;
}

/* What went wrong in a run, or NULL. */
static const char *verdict(const struct report *r, size_t got, int status)
{
    if (WIFSIGNALED(status))
        return WTERMSIG(status) == SIGALRM ? "hang (60 s)" : "crash";
    if (got != sizeof *r || WEXITSTATUS(status) != 0)
        return "no report";
    if (r->fd_leak != 0)
        return "fd leak";
    if (r->heap_leak != 0)
        return "heap leak";
    if (r->unnamed != 0)
        return "error without a name";
    if (r->stalls != 0)
        return "stall";
    if (!r->injected && !r->completed)
        return "the cycle failed with nothing injected";
    return NULL;
}

int main(int argc, char **argv)
{
    const char *row = argc > 1 ? argv[1] : "?";
    unsigned long max = 20000;
    char dir[] = "/tmp/cmio-faults-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    tmpdir = dir;
    signal(SIGPIPE, SIG_IGN);

    unsigned long bad = 0, points = 0;
    for (int mode = 0; mode < 2; mode++) {
        fi_persist = mode == 1;
        const char *how = fi_persist ? "every call from the Nth on fails" : "the Nth call fails";
        unsigned long runs = 0, failed = 0;
        struct report clean;
        memset(&clean, 0, sizeof clean);
        int all_codes[64], nall = 0;
        time_t t0 = time(NULL);
        for (unsigned long n = 1; n <= max; n++) {
            struct report r;
            int status;
            size_t got = run_child(n, &r, &status);
            runs++;
            const char *why = verdict(&r, got, status);
            if (why != NULL) {
                failed++;
                printf("test-faults: %s: %s, N=%lu (%s): %s", row, how, n, r.fn[0] ? r.fn : "?",
                       why);
                if (WIFSIGNALED(status))
                    printf(" (signal %d)", WTERMSIG(status));
                if (r.fd_leak != 0)
                    printf(" (%+d fds)", r.fd_leak);
                if (r.heap_leak != 0)
                    printf(" (%+ld blocks)", r.heap_leak);
                printf("%s%s\n", r.detail[0] ? ": " : "", r.detail);
            }
            for (int i = 0; i < r.ncodes; i++) {
                int k = 0;
                while (k < nall && all_codes[k] != r.codes[i])
                    k++;
                if (k == nall && nall < 64)
                    all_codes[nall++] = r.codes[i];
            }
            if (got == sizeof r && !r.injected) {
                clean = r;
                break;
            }
        }
        if (mode == 0) {
            points = clean.calls;
            printf("test-faults: %s: %lu injection points", row, clean.calls);
            for (int i = 0; i < clean.nfns; i++)
                printf("%s%s %lu", i == 0 ? " (" : ", ", clean.fns[i].name, clean.fns[i].n);
            printf("%s\n", clean.nfns ? ")" : "");
        }
        printf("test-faults: %s: %s: %lu runs in %ld s, %lu failed; error codes returned:", row,
               how, runs, (long)(time(NULL) - t0), failed);
        for (int i = 0; i < nall; i++)
            printf(" %s", cmio_err_name(all_codes[i]));
        printf("\n");
        if (clean.calls == 0) {
            printf("test-faults: %s: no clean run within %lu injections\n", row, max);
            failed++;
        }
        bad += failed;
    }
    (void)points;
    rmdir(dir);
    return bad != 0;
}
