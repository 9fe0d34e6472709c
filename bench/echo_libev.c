/* SPDX-License-Identifier: MIT */
/* echo_libev — the benchmark's echo server on libev (ev_io watchers, ev_signal).
 *
 *   echo_libev --tcp HOST:PORT | --unix PATH | --udp HOST:PORT [--drain]
 *
 * Binds (port 0 picks a free port; a Unix PATH is unlinked first and again at exit), prints exactly
 * one line "ready ADDRESS" on stdout, then echoes on one thread:
 *   - a readable listener accepts every pending connection;
 *   - a readable connection is read into its own 64 KiB buffer and everything read is written
 *     back. By default it stops after a short read (fewer bytes than the buffer holds); with
 *     --drain it reads until EAGAIN. A partial write keeps the rest in the buffer and the watcher
 *     switches to EV_WRITE: nothing more is read until the rest is flushed. EOF or an error closes;
 *   - UDP: each datagram is sent back to its sender (one per readable event, or until EAGAIN with
 *     --drain). A datagram whose send would block is dropped, as UDP may.
 * SIGTERM or SIGINT stops the loop; every socket is closed, the loop destroyed, and it exits 0.
 *
 * libev is level-triggered here (its epoll backend), so a watcher that has not drained its socket
 * is called again on the next iteration. Nothing is allocated per event: a connection's watcher
 * and buffer are one allocation, made at accept.
 */
#define _GNU_SOURCE /* accept4 */
#include <ev.h>
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
    ev_io io;         /* EV_READ while idle, EV_WRITE while buf[off, len) waits to be written */
    struct echo_io e; /* the socket and its pending bytes */
    struct conn *prev, *next; /* every open connection, so that exit can close them */
};

static bool drain;
static struct conn *conns;
static char dgram[BUF_SIZE];

/* ---- connections --------------------------------------------------------------------------- */

static void conn_close(struct ev_loop *loop, struct conn *c)
{
    ev_io_stop(loop, &c->io);
    close(c->e.fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    free(c);
}

static void set_events(struct ev_loop *loop, struct conn *c, int events)
{
    ev_io_stop(loop, &c->io);
    ev_io_modify(&c->io, events);
    ev_io_start(loop, &c->io);
}

static void on_conn(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = w->data;
    if (revents & EV_WRITE) {
        int r = echo_flush(&c->e);
        if (r < 0)
            conn_close(loop, c);
        else if (r == 0)
            set_events(loop, c, EV_READ);
        return;
    }
    int r = echo_read(&c->e, drain);
    if (r < 0)
        conn_close(loop, c);
    else if (r > 0)
        set_events(loop, c, EV_WRITE);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                perror("echo_libev: accept");
            return;
        }
        struct conn *c = malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->e.fd = fd;
        c->e.off = c->e.len = 0;
        c->prev = NULL;
        c->next = conns;
        if (conns != NULL)
            conns->prev = c;
        conns = c;
        ev_io_init(&c->io, on_conn, fd, EV_READ);
        c->io.data = c;
        ev_io_start(loop, &c->io);
    }
}

/* ---- UDP ----------------------------------------------------------------------------------- */

static void on_datagram(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        ssize_t n = recvfrom(w->fd, dgram, sizeof dgram, 0, (struct sockaddr *)&peer, &plen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* EAGAIN, or an error UDP reports for an earlier send */
        }
        while (sendto(w->fd, dgram, (size_t)n, 0, (struct sockaddr *)&peer, plen) < 0 &&
               errno == EINTR) {
        }
        if (!drain)
            return;
    }
}

/* ---- main ---------------------------------------------------------------------------------- */

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: echo_libev --tcp HOST:PORT | --unix PATH | --udp HOST:PORT [--drain]\n");
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

    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    if (loop == NULL) {
        fprintf(stderr, "echo_libev: no usable libev backend\n");
        return 1;
    }
    int fd = open_socket("echo_libev", mode, addr);
    if (fd < 0)
        return 1;

    ev_io listener;
    ev_io_init(&listener, mode == MODE_UDP ? on_datagram : on_accept, fd, EV_READ);
    ev_io_start(loop, &listener);
    ev_signal sigterm, sigint;
    ev_signal_init(&sigterm, on_signal, SIGTERM);
    ev_signal_start(loop, &sigterm);
    ev_signal_init(&sigint, on_signal, SIGINT);
    ev_signal_start(loop, &sigint);

    ev_run(loop, 0);

    while (conns != NULL)
        conn_close(loop, conns);
    ev_io_stop(loop, &listener);
    ev_signal_stop(loop, &sigterm);
    ev_signal_stop(loop, &sigint);
    close(fd);
    if (mode == MODE_UNIX)
        unlink(addr);
    ev_loop_destroy(loop);
    return 0;
}
