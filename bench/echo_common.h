/* SPDX-License-Identifier: MIT */
/* echo_common.h — what the libev and libevent echo servers share: address parsing, the bound
 * socket and its ready line, and the read/echo/flush loop of one connection. Included once by
 * each server (static functions). */
#ifndef ECHO_COMMON_H
#define ECHO_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

/* A connection's socket and pending bytes buf[off, len). */
struct echo_io {
    int fd;
    size_t off, len;
    char buf[BUF_SIZE];
};

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
static int open_socket(const char *prog, enum mode mode, const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1;
    if (mode == MODE_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
        if (strlen(addr) >= sizeof sun->sun_path) {
            fprintf(stderr, "%s: unix path too long: %s\n", prog, addr);
            return -1;
        }
        memset(&ss, 0, sizeof ss);
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, addr);
        len = sizeof *sun;
        unlink(addr);
    } else if (parse_inet(addr, &ss, &len) < 0) {
        fprintf(stderr, "%s: bad address (want HOST:PORT): %s\n", prog, addr);
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
    fprintf(stderr, "%s: %s: %s\n", prog, addr, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* ---- one connection ------------------------------------------------------------------------- */

/* Writes buf[off, len). Returns 0 when all is written, 1 if some is left (EAGAIN), -1 on error. */
static int echo_flush(struct echo_io *c)
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
static int echo_read(struct echo_io *c, bool drain)
{
    for (;;) {
        ssize_t n = read(c->fd, c->buf, BUF_SIZE);
        if (n > 0) {
            c->off = 0;
            c->len = (size_t)n;
            int r = echo_flush(c);
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

#endif /* ECHO_COMMON_H */
