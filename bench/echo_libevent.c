/* SPDX-License-Identifier: MIT */
/* echo_libevent — the benchmark's echo server on libevent 2 (plain events, no bufferevents).
 *
 *   echo_libevent --tcp HOST:PORT | --unix PATH | --udp HOST:PORT [--drain]
 *
 * Binds (port 0 picks a free port; a Unix PATH is unlinked first and again at exit), prints exactly
 * one line "ready ADDRESS" on stdout, then echoes on one thread:
 *   - a readable listener accepts every pending connection;
 *   - a readable connection is read into its own 64 KiB buffer and everything read is written
 *     back. By default it stops after a short read (fewer bytes than the buffer holds); with
 *     --drain it reads until EAGAIN. A partial write keeps the rest in the buffer; the read event
 *     is deleted and the write event added, so nothing more is read until the rest is flushed.
 *     EOF or an error closes;
 *   - UDP: each datagram is sent back to its sender (one per readable event, or until EAGAIN with
 *     --drain). A datagram whose send would block is dropped, as UDP may.
 * SIGTERM or SIGINT (evsignal events) break the loop; every socket is closed, the base freed, and
 * it exits 0.
 *
 * Events are persistent (EV_PERSIST) and level-triggered (libevent's default epoll backend), so
 * an event whose socket still has data fires again on the next iteration. Each connection's two
 * events (event_new, EV_READ|EV_PERSIST and EV_WRITE|EV_PERSIST) and its buffer are allocated once,
 * at accept; nothing is allocated per event.
 */
#define _GNU_SOURCE /* accept4 */
#include <event2/event.h>
#include "echo_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct conn {
    struct event *rev;        /* added while idle */
    struct event *wev;        /* added instead while buf[off, len) waits to be written */
    struct echo_io e;         /* the socket and its pending bytes */
    struct conn *prev, *next; /* every open connection, so that exit can close them */
};

static bool drain;
static struct conn *conns;
static char dgram[BUF_SIZE];

/* ---- connections --------------------------------------------------------------------------- */

static void conn_close(struct conn *c)
{
    event_free(c->rev);
    event_free(c->wev);
    close(c->e.fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    free(c);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    (void)fd;
    (void)what;
    int r = echo_flush(&c->e);
    if (r < 0) {
        conn_close(c);
    } else if (r == 0) {
        event_del(c->wev);
        event_add(c->rev, NULL);
    }
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    (void)fd;
    (void)what;
    int r = echo_read(&c->e, drain);
    if (r < 0) {
        conn_close(c);
    } else if (r > 0) {
        event_del(c->rev);
        event_add(c->wev, NULL);
    }
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    struct event_base *base = arg;
    (void)what;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                perror("echo_libevent: accept");
            return;
        }
        struct conn *c = malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->e.fd = fd;
        c->e.off = c->e.len = 0;
        c->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, c);
        c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, on_writable, c);
        if (c->rev == NULL || c->wev == NULL || event_add(c->rev, NULL) < 0) {
            if (c->rev != NULL)
                event_free(c->rev);
            if (c->wev != NULL)
                event_free(c->wev);
            close(fd);
            free(c);
            continue;
        }
        c->prev = NULL;
        c->next = conns;
        if (conns != NULL)
            conns->prev = c;
        conns = c;
    }
}

/* ---- UDP ----------------------------------------------------------------------------------- */

static void on_datagram(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        ssize_t n = recvfrom(fd, dgram, sizeof dgram, 0, (struct sockaddr *)&peer, &plen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* EAGAIN, or an error UDP reports for an earlier send */
        }
        while (sendto(fd, dgram, (size_t)n, 0, (struct sockaddr *)&peer, plen) < 0 &&
               errno == EINTR) {
        }
        if (!drain)
            return;
    }
}

/* ---- main ---------------------------------------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: echo_libevent --tcp HOST:PORT | --unix PATH | --udp HOST:PORT [--drain]\n");
    return 2;
}

int main(int argc, char **argv)
{
    enum mode mode = MODE_TCP;
    const char *addr = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--drain") == 0) {
            drain = true;
        } else if (i + 1 < argc && addr == NULL &&
                   (strcmp(argv[i], "--tcp") == 0 || strcmp(argv[i], "--unix") == 0 ||
                    strcmp(argv[i], "--udp") == 0)) {
            mode = strcmp(argv[i], "--tcp") == 0    ? MODE_TCP
                   : strcmp(argv[i], "--unix") == 0 ? MODE_UNIX
                                                    : MODE_UDP;
            addr = argv[++i];
        } else {
            return usage();
        }
    }
    if (addr == NULL)
        return usage();
    signal(SIGPIPE, SIG_IGN);

    struct event_base *base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "echo_libevent: event_base_new failed\n");
        return 1;
    }
    int fd = open_socket("echo_libevent", mode, addr);
    if (fd < 0)
        return 1;

    struct event *listener =
        event_new(base, fd, EV_READ | EV_PERSIST, mode == MODE_UDP ? on_datagram : on_accept, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    if (listener == NULL || sigterm == NULL || sigint == NULL || event_add(listener, NULL) < 0 ||
        event_add(sigterm, NULL) < 0 || event_add(sigint, NULL) < 0) {
        fprintf(stderr, "echo_libevent: cannot add events\n");
        return 1;
    }

    int rc = event_base_dispatch(base) < 0 ? 1 : 0;

    while (conns != NULL)
        conn_close(conns);
    event_free(listener);
    event_free(sigterm);
    event_free(sigint);
    close(fd);
    if (mode == MODE_UNIX)
        unlink(addr);
    event_base_free(base);
    libevent_global_shutdown();
    return rc;
}
