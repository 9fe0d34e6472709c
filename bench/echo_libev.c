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

#define BUF_SIZE (64 * 1024)
#define BACKLOG 1024 /* what mio's TcpListener::bind and UnixListener::bind use */

enum mode { MODE_TCP, MODE_UNIX, MODE_UDP };

struct conn {
    ev_io io; /* EV_READ while idle, EV_WRITE while buf[off, len) waits to be written */
    int fd;
    size_t off, len;
    struct conn *prev, *next; /* every open connection, so that exit can close them */
    char buf[BUF_SIZE];
};

static bool drain;
static struct conn *conns;
static char dgram[BUF_SIZE];

/* ---- addresses ----------------------------------------------------------------------------- */

/* Parses "A.B.C.D:PORT" or "[V6]:PORT". Returns 0, or -1 if it is neither. */
static int parse_inet(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon[1] == '\0')
        return -1;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || port > 65535)
        return -1;
    char host[INET6_ADDRSTRLEN + 2];
    size_t hlen = (size_t)(colon - s);
    if (hlen >= sizeof host)
        return -1;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    memset(ss, 0, sizeof *ss);
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        host[hlen - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1)
            return -1;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof *sin6;
        return 0;
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
        return -1;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    *len = sizeof *sin;
    return 0;
}

/* Prints "ready HOST:PORT" for the address fd is bound to. */
static int print_ready_inet(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        printf("ready [%s]:%u\n", host, ntohs(sin6->sin6_port));
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        printf("ready %s:%u\n", host, ntohs(sin->sin_port));
    }
    return fflush(stdout) == 0 ? 0 : -1;
}

/* Binds (and for streams listens on) a non-blocking socket; prints the ready line. -1 on error. */
static int open_socket(enum mode mode, const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1;
    if (mode == MODE_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
        if (strlen(addr) >= sizeof sun->sun_path) {
            fprintf(stderr, "echo_libev: unix path too long: %s\n", addr);
            return -1;
        }
        memset(&ss, 0, sizeof ss);
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, addr);
        len = sizeof *sun;
        unlink(addr);
    } else if (parse_inet(addr, &ss, &len) < 0) {
        fprintf(stderr, "echo_libev: bad address (want HOST:PORT): %s\n", addr);
        return -1;
    }
    int type = mode == MODE_UDP ? SOCK_DGRAM : SOCK_STREAM;
    fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    if (mode == MODE_TCP && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        goto fail;
    if (bind(fd, (struct sockaddr *)&ss, len) < 0)
        goto fail;
    if (mode != MODE_UDP && listen(fd, BACKLOG) < 0)
        goto fail;
    if (mode == MODE_UNIX) {
        printf("ready %s\n", addr);
        if (fflush(stdout) != 0)
            goto fail;
    } else if (print_ready_inet(fd) < 0) {
        goto fail;
    }
    return fd;
fail:
    fprintf(stderr, "echo_libev: %s: %s\n", addr, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* ---- connections --------------------------------------------------------------------------- */

static void conn_close(struct ev_loop *loop, struct conn *c)
{
    ev_io_stop(loop, &c->io);
    close(c->fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    free(c);
}

/* Writes buf[off, len). Returns 0 when all is written, 1 if some is left (EAGAIN), -1 on error. */
static int conn_flush(struct conn *c)
{
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
        if (n >= 0) {
            c->off += (size_t)n;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 1;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    c->off = c->len = 0;
    return 0;
}

/* Reads and echoes. Returns 0 when done for this event, 1 if a write is pending, -1 to close. */
static int conn_echo(struct conn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->buf, BUF_SIZE);
        if (n > 0) {
            c->off = 0;
            c->len = (size_t)n;
            int r = conn_flush(c);
            if (r != 0)
                return r;
            if (n < BUF_SIZE && !drain)
                return 0;
        } else if (n == 0) {
            return -1;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        } else if (errno != EINTR) {
            return -1;
        }
    }
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
        int r = conn_flush(c);
        if (r < 0)
            conn_close(loop, c);
        else if (r == 0)
            set_events(loop, c, EV_READ);
        return;
    }
    int r = conn_echo(c);
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
        c->fd = fd;
        c->off = c->len = 0;
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
    int fd = open_socket(mode, addr);
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
