/* SPDX-License-Identifier: MIT */
/* Generated from idl/platforms.yaml by codegen/generate.py — do not edit. Platform: macos.
 * Change the IDL (or the template) and run `make generate`. */
/* The platform layer of the wrappers: how sockets are made non-blocking and close-on-exec, how
 * connections are accepted and how writes avoid SIGPIPE — all read from the platform table.
 * Private to libcmio. */
#ifndef CMIO_SYS_H
#define CMIO_SYS_H

#include "internal.h"
#include "net.h"

#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

/* The most buffers one readv/writev takes: IOV_MAX where <limits.h> has it (it is an XSI
 * extension), else what sysconf says (no limit of ours when it cannot tell). */
static inline int cmio__sys_iov_max(void)
{
#ifdef IOV_MAX
    return IOV_MAX;
#else
    long max = sysconf(_SC_IOV_MAX);
    return max > 0 && max < INT_MAX ? (int)max : INT_MAX;
#endif
}

/* Makes an fd this library received from the kernel ready for use: see below. */
static inline int cmio__sys_prepare(int fd, bool flags_done)
{
    int rc = 0;
    if (!flags_done) {
        rc = cmio__fd_set_nonblock(fd);
        if (rc == 0)
            rc = cmio__fd_set_cloexec(fd);
    }
    if (rc == 0)
        rc = cmio__sockopt_set_int(fd, SOL_SOCKET, SO_NOSIGPIPE, 1);
    if (rc < 0)
        close(fd);
    return rc < 0 ? rc : fd;
}

/* A new non-blocking, close-on-exec socket (socket() then fcntl). */
static inline int cmio__sys_socket(int family, int type)
{
    int fd = socket(family, type, 0);
    if (fd < 0)
        return -errno;
    return cmio__sys_prepare(fd, false);
}

/* Accepts a connection as a non-blocking, close-on-exec socket (accept_fcntl). */
static inline int cmio__sys_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int s = accept(fd, addr, len);
    if (s < 0)
        return -errno;
    return cmio__sys_prepare(s, false);
}

/* A connected pair of non-blocking, close-on-exec Unix sockets. */
static inline int cmio__sys_socketpair(int type, int sv[2])
{
    if (socketpair(AF_UNIX, type, 0, sv) < 0)
        return -errno;
    int rc = cmio__sys_prepare(sv[0], false);
    if (rc < 0) {
        close(sv[1]);
        return rc;
    }
    rc = cmio__sys_prepare(sv[1], false);
    if (rc < 0) {
        close(sv[0]);
        return rc;
    }
    return 0;
}

#endif /* CMIO_SYS_H */
