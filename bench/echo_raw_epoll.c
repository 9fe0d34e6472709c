/* SPDX-License-Identifier: MIT */
/* echo_raw_epoll — the reference echo server: the edge-triggered epoll loop a C programmer writes
 * by hand (epoll_wait, accept4, read, write), following the protocol in bench/README.md.
 *
 *   echo_raw_epoll --tcp 127.0.0.1:0 | --unix PATH | --udp 127.0.0.1:0 [--drain]
 *                  [--max-conns N]
 *
 * Connections live in a fixed table allocated at start-up (token = index). A connection is
 * registered for EPOLLIN | EPOLLET when it is accepted; only while a partial write waits for room
 * is it switched to EPOLLOUT (one epoll_ctl each way), so the steady state makes no epoll_ctl.
 * (EPOLLOUT is not left on: a Unix stream socket reports an EPOLLOUT edge every time the peer
 * reads, which would cost a wake-up and a read per round trip.) Reads go into one shared 64 KiB
 * buffer; bytes a partial write could not send are copied into the connection's own slot of a
 * pending-bytes table (reserved at start-up, touched only then).
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

#define BUF_SIZE 65536
#define MAX_EVENTS 1024
#define TOKEN_LISTENER UINT64_MAX
#define TOKEN_SIGNAL (UINT64_MAX - 1)

enum proto { PROTO_TCP, PROTO_UNIX, PROTO_UDP };

struct conn {
    int fd;       /* -1: free */
    uint32_t off; /* pending bytes are pending[slot × BUF_SIZE + off, … + len) */
    uint32_t len; /* 0: nothing pending */
    uint32_t next_free;
};

static struct conn *conns;
static uint8_t *pending; /* max_conns × BUF_SIZE, reserved (MAP_NORESERVE), touched on demand */
static uint32_t max_conns = 20000, free_head, nconns;
static uint8_t rbuf[BUF_SIZE];
static bool drain;
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

/* Registers what the connection waits for: EPOLLOUT while bytes are pending, else EPOLLIN. */
static bool conn_want(uint32_t slot, uint32_t what)
{
    struct epoll_event ev = {.events = what | EPOLLET, .data.u64 = slot};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, conns[slot].fd, &ev) == 0;
}

static void conn_close(uint32_t slot)
{
    struct conn *c = &conns[slot];
    close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    c->off = c->len = 0;
    c->next_free = free_head;
    free_head = slot;
    nconns--;
}

/* Writes rbuf[0, n); keeps what does not fit. Returns false when the connection was closed. */
static bool echo(uint32_t slot, size_t n)
{
    struct conn *c = &conns[slot];
    ssize_t w = write(c->fd, rbuf, n);
    if (w < 0) {
        if (errno != EAGAIN) {
            conn_close(slot);
            return false;
        }
        w = 0;
    }
    if ((size_t)w < n) {
        memcpy(pending + (size_t)slot * BUF_SIZE, rbuf + w, n - (size_t)w);
        c->off = 0;
        c->len = (uint32_t)(n - (size_t)w);
        if (!conn_want(slot, EPOLLOUT)) {
            conn_close(slot);
            return false;
        }
    }
    return true;
}

static void conn_ready(uint32_t slot)
{
    struct conn *c = &conns[slot];
    if (c->len != 0) {
        /* Waiting for room: flush the pending bytes first, read nothing until they are out. */
        uint8_t *p = pending + (size_t)slot * BUF_SIZE;
        while (c->off < c->len) {
            ssize_t w = write(c->fd, p + c->off, c->len - c->off);
            if (w < 0) {
                if (errno == EAGAIN)
                    return; /* the next EPOLLOUT edge resumes */
                if (errno == EINTR)
                    continue;
                conn_close(slot);
                return;
            }
            c->off += (uint32_t)w;
        }
        c->off = c->len = 0;
        if (!conn_want(slot, EPOLLIN)) {
            conn_close(slot);
            return;
        }
        /* Data that came while we waited brought its edge then: read it now. */
    }
    for (;;) {
        ssize_t n = read(c->fd, rbuf, sizeof rbuf);
        if (n > 0) {
            if (!echo(slot, (size_t)n) || c->len != 0)
                return;
            if (!drain && (size_t)n < sizeof rbuf)
                return; /* a short read: the socket is empty, new data brings a new edge */
            continue;
        }
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0 && errno == EINTR)
            continue;
        conn_close(slot); /* end of stream or error */
        return;
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
                fprintf(stderr, "echo_raw_epoll: accept4: %s\n", strerror(errno));
            return;
        }
        if (nconns == max_conns) {
            fprintf(stderr, "echo_raw_epoll: table full (%u), refusing a connection\n", max_conns);
            close(fd);
            continue;
        }
        uint32_t slot = free_head;
        free_head = conns[slot].next_free;
        conns[slot].fd = fd;
        nconns++;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = slot};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            fprintf(stderr, "echo_raw_epoll: epoll_ctl: %s\n", strerror(errno));
            conn_close(slot);
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
        /* Always until EAGAIN, whatever --drain says: with edge-triggered readiness a datagram
         * left queued would wait for the next one to arrive (a burst would stall), as in mio. */
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: echo_raw_epoll --tcp 127.0.0.1:PORT | --unix PATH | --udp "
                    "127.0.0.1:PORT [--drain] [--max-conns N]\n");
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
        if (strcmp(argv[i], "--drain") == 0) {
            drain = true;
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
        fprintf(stderr, "echo_raw_epoll: cannot reserve %u connections\n", max_conns);
        return 1;
    }
    for (uint32_t i = 0; i < max_conns; i++) {
        conns[i].fd = -1;
        conns[i].next_free = i + 1;
    }

    epfd = epoll_create1(EPOLL_CLOEXEC);
    int sp[2];
    if (epfd < 0 || pipe2(sp, O_NONBLOCK | O_CLOEXEC) < 0) {
        perror("echo_raw_epoll: epoll_create1/pipe2");
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
    signal(SIGPIPE, SIG_IGN);

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
            perror("echo_raw_epoll: unix listen");
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
            perror("echo_raw_epoll: bind/listen");
            return 1;
        }
        socklen_t sl = sizeof sin;
        getsockname(lfd, (struct sockaddr *)&sin, &sl);
        char host[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin.sin_addr, host, sizeof host);
        snprintf(ready, sizeof ready, "%s:%u", host, (unsigned)ntohs(sin.sin_port));
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = TOKEN_LISTENER};
    struct epoll_event sev = {.events = EPOLLIN | EPOLLET, .data.u64 = TOKEN_SIGNAL};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0 ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, sig_rd, &sev) < 0) {
        perror("echo_raw_epoll: epoll_ctl");
        return 1;
    }
    printf("ready %s\n", ready);
    fflush(stdout);

    static struct epoll_event events[MAX_EVENTS];
    while (!stop) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("echo_raw_epoll: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            uint64_t token = events[i].data.u64;
            if (token < max_conns) {
                if (conns[token].fd >= 0)
                    conn_ready((uint32_t)token);
            } else if (token == TOKEN_LISTENER) {
                if (proto == PROTO_UDP)
                    udp_ready();
                else
                    accept_all();
            }
        }
    }

    for (uint32_t i = 0; i < max_conns; i++)
        if (conns[i].fd >= 0)
            conn_close(i);
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
