/* SPDX-License-Identifier: MIT */
/* echo_raw_epoll — the reference echo server: the edge-triggered epoll loop a careful C programmer
 * writes by hand (epoll_wait, accept4, read, write), following the protocol in bench/README.md.
 *
 *   echo_raw_epoll       --tcp 127.0.0.1:0 | --unix PATH | --udp 127.0.0.1:0 [--max-conns N]
 *   echo_raw_epoll_drain (the same, built with -DECHO_DRAIN=1: reads until EAGAIN)
 *
 * The leanest honest baseline, so that every ratio in RESULTS.md is against the physical limit:
 *   - the token is the connection's address (epoll_data.ptr): no table index, no liveness check
 *     (a connection is closed only while its own event is handled, and epoll reports an fd at
 *     most once per wait, so no later event of the same batch can name a closed connection). The
 *     listener and the signal self-pipe carry a NULL token: one compare tells them from a
 *     connection, and a signal wakes the loop, which checks `stop`;
 *   - the read strategy is chosen at compile time, one binary per strategy: by default it stops
 *     after a short read (the socket is empty; new data brings a new edge), echo_raw_epoll_drain
 *     reads until EAGAIN. The per-read work is one read, one write and, by default, one compare;
 *   - a partial write is the slow path, out of line.
 * Connections live in a fixed table allocated at start-up. A connection is registered for
 * EPOLLIN | EPOLLET when accepted; only while a partial write waits for room is it switched to
 * EPOLLOUT (one epoll_ctl each way), so the steady state makes no epoll_ctl. (EPOLLOUT is not
 * left on: a Unix stream socket reports an EPOLLOUT edge every time the peer reads, which would
 * cost a wake-up and a read per round trip.) Reads go into one shared 64 KiB buffer; bytes a
 * partial write could not send are copied into the connection's own slot of a pending-bytes table
 * (reserved at start-up, touched only then). The closing of a connection relies on close(2)
 * removing it from the epoll set (the fd is never shared).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_util.h"

#ifndef ECHO_DRAIN
#define ECHO_DRAIN 0
#endif
#if ECHO_DRAIN
#define NAME "echo_raw_epoll_drain"
#else
#define NAME "echo_raw_epoll"
#endif

#define BUF_SIZE 65536
#define MAX_EVENTS 1024

/* ---- guarantee knobs --------------------------------------------------------------------------
 * bench/run.sh also builds this loop with -DGUARANTEES=mask, adding cmio's guarantees to it one at
 * a time to find what each costs per round trip (RESULTS.md's guarantee → cost table). The
 * reference server is GUARANTEES=0: every knob below is then the plain operation. */
#ifndef GUARANTEES
#define GUARANTEES 0
#endif
#define G_SEND 1  /* no SIGPIPE ever: send(…, MSG_NOSIGNAL) instead of write */
#define G_ERRNO 2 /* results are bytes or -errno, the poll's too (no errno to read after) */
#define G_FD1 4   /* the fd is stored + 1 (an all-zero connection holds none) */
#define G_EVENTS                                                                                   \
    8             /* the event count is stored; an event is fetched by index, checked against it,  \
                     and its token through a NULL-checked accessor */
#define G_ARGS 16 /* the poll checks its arguments (a NULL poll or events: an error) */
#define G_BACKEND 32 /* the poll tests that epoll runs it (the backend is chosen at run time) */
#define G_POLL (G_EVENTS | G_ARGS | G_BACKEND)
#define FD_BIAS ((GUARANTEES & G_FD1) ? 1 : 0)

enum proto { PROTO_TCP, PROTO_UNIX, PROTO_UDP };

struct conn {
    int fd;                 /* + FD_BIAS; -1 + FD_BIAS: free */
    uint32_t off;           /* pending bytes are pending[slot × BUF_SIZE + off, … + len) */
    uint32_t len;           /* 0: nothing pending */
    struct conn *next_free; /* free list */
};

static struct conn *conns, *free_conns;
static uint8_t *pending; /* max_conns × BUF_SIZE, reserved (MAP_NORESERVE), touched on demand */
static uint32_t max_conns = 20000, nconns;
static uint8_t rbuf[BUF_SIZE];
static int epfd, lfd = -1, sig_rd = -1, sig_wr = -1;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    stop = 1;
    (void)!write(sig_wr, "x", 1);
    errno = saved;
}

static inline int conn_fd(const struct conn *c)
{
    return c->fd - FD_BIAS;
}

static inline ssize_t io_result(ssize_t r)
{
#if GUARANTEES & G_ERRNO
    return r >= 0 ? r : -(ssize_t)errno;
#else
    return r;
#endif
}

/* The error of a failed io_read or io_write. */
#if GUARANTEES & G_ERRNO
#define IO_ERR(r) ((int)-(r))
#else
#define IO_ERR(r) errno
#endif

static inline ssize_t io_read(struct conn *c, void *buf, size_t len)
{
    return io_result(read(conn_fd(c), buf, len));
}

static inline ssize_t io_write(struct conn *c, const void *buf, size_t len)
{
#if GUARANTEES & G_SEND
    return io_result(send(conn_fd(c), buf, len, MSG_NOSIGNAL));
#else
    return io_result(write(conn_fd(c), buf, len));
#endif
}

static uint8_t *conn_pending(const struct conn *c)
{
    return pending + (size_t)(c - conns) * BUF_SIZE;
}

/* Registers what the connection waits for: EPOLLOUT while bytes are pending, else EPOLLIN. */
static bool conn_want(struct conn *c, uint32_t what)
{
    struct epoll_event ev = {.events = what | EPOLLET, .data.ptr = c};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, conn_fd(c), &ev) == 0;
}

static void conn_close(struct conn *c)
{
    close(conn_fd(c)); /* also removes it from the epoll set */
    c->fd = -1 + FD_BIAS;
    c->off = c->len = 0;
    c->next_free = free_conns;
    free_conns = c;
    nconns--;
}

/* The slow path: write() took w < n bytes of rbuf (w < 0: an error, or EAGAIN). Keeps the rest
 * and waits for EPOLLOUT. */
static __attribute__((noinline)) void partial_write(struct conn *c, size_t n, ssize_t w)
{
    if (w < 0) {
        if (IO_ERR(w) != EAGAIN) {
            conn_close(c);
            return;
        }
        w = 0;
    }
    memcpy(conn_pending(c), rbuf + w, n - (size_t)w);
    c->off = 0;
    c->len = (uint32_t)(n - (size_t)w);
    if (!conn_want(c, EPOLLOUT))
        conn_close(c);
}

/* Flushes the pending bytes (on EPOLLOUT). Returns false while some are left or when the
 * connection was closed. */
static __attribute__((noinline)) bool flush_pending(struct conn *c)
{
    uint8_t *p = conn_pending(c);
    while (c->off < c->len) {
        ssize_t w = io_write(c, p + c->off, c->len - c->off);
        if (w < 0) {
            if (IO_ERR(w) == EAGAIN)
                return false; /* the next EPOLLOUT edge resumes */
            if (IO_ERR(w) == EINTR)
                continue;
            conn_close(c);
            return false;
        }
        c->off += (uint32_t)w;
    }
    c->off = c->len = 0;
    if (!conn_want(c, EPOLLIN)) {
        conn_close(c);
        return false;
    }
    return true; /* data that came while we waited brought its edge then: read it now */
}

static void conn_ready(struct conn *c)
{
    if (c->len != 0 && !flush_pending(c))
        return;
    for (;;) {
        ssize_t n = io_read(c, rbuf, BUF_SIZE);
        if (n <= 0) {
            if (n < 0 && IO_ERR(n) == EAGAIN)
                return;
            if (n < 0 && IO_ERR(n) == EINTR)
                continue;
            conn_close(c); /* end of stream or error */
            return;
        }
        ssize_t w = io_write(c, rbuf, (size_t)n);
        if (w != n) {
            partial_write(c, (size_t)n, w);
            return;
        }
#if !ECHO_DRAIN
        if (n < BUF_SIZE)
            return; /* a short read: the socket is empty, new data brings a new edge */
#endif
    }
}

static void accept_all(void)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN)
                fprintf(stderr, NAME ": accept4: %s\n", strerror(errno));
            return;
        }
        struct conn *c = free_conns;
        if (c == NULL) {
            fprintf(stderr, NAME ": table full (%u), refusing a connection\n", max_conns);
            close(fd);
            continue;
        }
        free_conns = c->next_free;
        c->fd = fd + FD_BIAS;
        nconns++;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            fprintf(stderr, NAME ": epoll_ctl: %s\n", strerror(errno));
            conn_close(c);
        }
    }
}

static void udp_ready(void)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        ssize_t n = recvfrom(lfd, rbuf, sizeof rbuf, 0, (struct sockaddr *)&ss, &sl);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* EAGAIN (or an error a UDP socket reports once) */
        }
        /* A datagram that does not fit the send buffer is dropped, as UDP may. */
        (void)sendto(lfd, rbuf, (size_t)n, 0, (struct sockaddr *)&ss, sl);
        /* Always until EAGAIN, whatever the read strategy: with edge-triggered readiness a
         * datagram left queued would wait for the next one to arrive (a burst would stall). */
    }
}

/* ---- the poll, with the G_POLL knobs: as cmio's, behind a poll and an events object -----------
 */
#if GUARANTEES & G_POLL
struct gpoll {
    int epfd;
};
struct gevents {
    size_t len, cap;
    struct epoll_event ev[MAX_EVENTS];
};

/* Allocated out of line, as cmio_poll_new and cmio_events_new do: the compiler cannot know they
 * are not NULL. */
static __attribute__((noinline)) void gpoll_new(struct gpoll **p, struct gevents **e)
{
    *p = malloc(sizeof **p);
    *e = malloc(sizeof **e);
    if (*p == NULL || *e == NULL)
        exit(1);
    (*p)->epfd = epfd;
    (*e)->len = 0;
    (*e)->cap = MAX_EVENTS;
}

#if GUARANTEES & G_BACKEND
static __attribute__((noinline)) int gpoll_other_backend(void)
{
    return -ENOSYS; /* never reached: epoll runs every poll here */
}
#endif

static inline int gpoll_wait(struct gpoll *p, struct gevents *e)
{
#if GUARANTEES & G_ARGS
    if (p == NULL || e == NULL)
        return -EINVAL;
#endif
#if GUARANTEES & G_BACKEND
    if (p->epfd < 0)
        return gpoll_other_backend();
#endif
    int n = epoll_wait(p->epfd, e->ev, (int)e->cap, -1);
    if (n < 0) {
#if GUARANTEES & G_EVENTS
        e->len = 0;
#endif
        return (int)io_result(n);
    }
#if GUARANTEES & G_EVENTS
    e->len = (size_t)n;
#endif
    return n;
}

static inline void *gevent_ptr(const struct gevents *e, int i)
{
#if GUARANTEES & G_EVENTS
    const struct epoll_event *ev = e != NULL && (size_t)i < e->len ? &e->ev[i] : NULL;
    return ev != NULL ? ev->data.ptr : NULL;
#else
    return e->ev[i].data.ptr;
#endif
}
#endif

static int usage(void)
{
    fprintf(stderr,
            "usage: " NAME " --tcp 127.0.0.1:PORT | --unix PATH | --udp 127.0.0.1:PORT "
            "[--max-conns N]\n"
            "  (the read strategy is built in: echo_raw_epoll stops after a short read,\n"
            "   echo_raw_epoll_drain reads until EAGAIN; --drain is accepted by the latter)\n");
    return 2;
}

static bool parse_inet(const char *text, struct sockaddr_in *sin)
{
    const char *colon = strrchr(text, ':');
    char host[64];
    if (colon == NULL || (size_t)(colon - text) >= sizeof host)
        return false;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || end == colon + 1 || port > 65535)
        return false;
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &sin->sin_addr) == 1;
}

int main(int argc, char **argv)
{
    enum proto proto = PROTO_TCP;
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
        conns[i].fd = -1 + FD_BIAS;
        conns[i].next_free = free_conns;
        free_conns = &conns[i];
    }

    epfd = epoll_create1(EPOLL_CLOEXEC);
    int sp[2];
    if (epfd < 0 || pipe2(sp, O_NONBLOCK | O_CLOEXEC) < 0) {
        perror(NAME ": epoll_create1/pipe2");
        return 1;
    }
    sig_rd = sp[0];
    sig_wr = sp[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
#if !(GUARANTEES & G_SEND)
    signal(SIGPIPE, SIG_IGN);
#endif

    char ready[160];
    if (proto == PROTO_UNIX) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(where) >= sizeof sun.sun_path)
            return usage();
        strcpy(sun.sun_path, where);
        unlink(where);
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
            listen(lfd, 1024) < 0) {
            perror(NAME ": unix listen");
            return 1;
        }
        snprintf(ready, sizeof ready, "%s", where);
    } else {
        struct sockaddr_in sin;
        if (!parse_inet(where, &sin))
            return usage();
        int type = proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
        lfd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
            (proto == PROTO_TCP && listen(lfd, 1024) < 0)) {
            perror(NAME ": bind/listen");
            return 1;
        }
        socklen_t sl = sizeof sin;
        getsockname(lfd, (struct sockaddr *)&sin, &sl);
        char host[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin.sin_addr, host, sizeof host);
        snprintf(ready, sizeof ready, "%s:%u", host, (unsigned)ntohs(sin.sin_port));
    }
    /* The listener and the self-pipe: token NULL (not a connection). */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0 ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, sig_rd, &ev) < 0) {
        perror(NAME ": epoll_ctl");
        return 1;
    }
    printf("ready %s\n", ready);
    fflush(stdout);

#if GUARANTEES & G_POLL
    struct gpoll *gp;
    struct gevents *ge;
    gpoll_new(&gp, &ge);
#define POLL_WAIT() gpoll_wait(gp, ge)
#define EVENT_PTR(i) gevent_ptr(ge, i)
#else
    static struct epoll_event events[MAX_EVENTS];
#define POLL_WAIT() (int)io_result(epoll_wait(epfd, events, MAX_EVENTS, -1))
#define EVENT_PTR(i) events[i].data.ptr
#endif
    while (!stop) {
        int n = POLL_WAIT();
        if (n < 0) {
            if (IO_ERR(n) == EINTR)
                continue;
            perror(NAME ": epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = EVENT_PTR(i);
            if (c != NULL)
                conn_ready(c);
            else if (proto == PROTO_UDP)
                udp_ready();
            else
                accept_all(); /* the listener, or the self-pipe (then: EAGAIN, and stop) */
        }
    }

    for (uint32_t i = 0; i < max_conns; i++)
        if (conn_fd(&conns[i]) >= 0)
            conn_close(&conns[i]);
    close(lfd);
    if (proto == PROTO_UNIX)
        unlink(where);
    close(sig_rd);
    close(sig_wr);
    close(epfd);
    munmap(pending, (size_t)max_conns * BUF_SIZE);
    free(conns);
    return 0;
}
