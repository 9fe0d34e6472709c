/* SPDX-License-Identifier: MIT */
/* Generated from idl/platforms.yaml by codegen/generate.py — do not edit. Platform: netbsd.
 * Change the IDL (or the template) and run `make generate`. */
/* The platform layer of the wrappers: how sockets are made non-blocking and close-on-exec, how
 * connections are accepted and how writes avoid SIGPIPE — all read from the platform table. The
 * calls themselves are the system layer's (internal.h includes the one of the platform's handle:
 * runtime/sys_fd.h, runtime/win/sys_socket.h), which returns 0 or a negative errno everywhere.
 * Private to libcmio. */
#ifndef CMIO_SYS_H
#define CMIO_SYS_H

#include "internal.h"
#include "net.h"

#include <errno.h>
#include <limits.h>

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

/* Makes a socket this library received from the system ready for use: nothing to do.
 * Closes it on failure. */
static inline int cmio__sys_prepare(cmio__handle fd, bool flags_done)
{
    int rc = 0;
    if (!flags_done) {
        rc = cmio__sys_set_nonblock(fd);
        if (rc == 0)
            rc = cmio__sys_set_cloexec(fd);
    }
    if (rc < 0)
        (void)cmio__sys_close(fd);
    return rc;
}

/* A new non-blocking, close-on-exec socket in *out (written on every path, as the system layer's
 * out-parameters are: the compiler sees it set whatever it assumes of the error paths)
 * (SOCK_NONBLOCK|SOCK_CLOEXEC). */
static inline int cmio__sys_socket(cmio__handle *out, int family, int type)
{
    int rc = cmio__sys_socket_raw(out, family, type | SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (rc == 0)
        rc = cmio__sys_prepare(*out, true);
    return rc;
}

/* Accepts a connection as a non-blocking, close-on-exec socket (accept4). */
static inline int cmio__sys_accept(cmio__handle *out, cmio__handle fd, struct sockaddr *addr,
                                   socklen_t *len)
{
    int s = accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    *out = s;
    int rc = s < 0 ? -errno : 0;
    if (rc == 0)
        rc = cmio__sys_prepare(*out, true);
    return rc;
}

/* A connected pair of non-blocking, close-on-exec Unix sockets. */
static inline int cmio__sys_socketpair(int type, int sv[2])
{
    if (socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    int rc = cmio__sys_prepare(sv[0], true);
    if (rc < 0) {
        (void)cmio__sys_close(sv[1]);
        return rc;
    }
    rc = cmio__sys_prepare(sv[1], true);
    if (rc < 0) {
        (void)cmio__sys_close(sv[0]);
        return rc;
    }
    return 0;
}

#endif /* CMIO_SYS_H */
