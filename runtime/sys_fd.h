/* SPDX-License-Identifier: MIT */
/* cmio runtime — the system layer of platforms whose handle is an fd (platform table `handle: fd`):
 * the calls the generated wrappers and the runtime make on a socket, each as a static inline
 * function that returns what cmio returns (0, a count or a handle, or a negative errno). Every body
 * is the POSIX call and `-errno`, so the wrappers compile to exactly the code they had when they
 * called POSIX directly. runtime/win/sys_socket.h is the same layer for Winsock; internal.h
 * includes the one the platform's `handle` names. What differs between POSIX platforms (accept4,
 * SOCK_NONBLOCK, SO_NOSIGPIPE, …) is platform-table data, used by the generated sys.h.
 *
 * Only POSIX.1-2008 calls: the posix row compiles the wrappers with _POSIX_C_SOURCE alone.
 * Private to libcmio.
 */
#ifndef CMIO_SYS_FD_H
#define CMIO_SYS_FD_H

#include <cmio/io_source.h>

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

int cmio__fd_set_nonblock(int fd);
int cmio__fd_set_cloexec(int fd);

/* The error of the call that just failed, as a negative errno. */
static inline int cmio__sys_error(void)
{
    return -errno;
}

/* An SO_ERROR value (0 or an errno) as 0 or a negative errno. */
static inline int cmio__sys_error_code(int so_error)
{
    return -so_error;
}

/* true for a handle a socket struct can hold (its handle + 1 must fit). */
static inline bool cmio__sys_handle_valid(cmio__handle h)
{
    return h >= 0 && h != INT_MAX;
}

#if CMIO_SOCKETS_FULL /* not in wasi-libc: sockets there are the host's (inherited) */
/* socket(2): `type` may carry SOCK_NONBLOCK | SOCK_CLOEXEC where the platform has them. Like every
 * out-parameter of the layer, *out is written on every path (-1 on failure). */
static inline int cmio__sys_socket_raw(cmio__handle *out, int family, int type)
{
    int fd = socket(family, type, 0);
    *out = fd;
    return fd < 0 ? -errno : 0;
}
#endif

/* accept(2) (accept4 is platform data: the generated sys.h calls it where the table says so). */
static inline int cmio__sys_accept_raw(cmio__handle *out, cmio__handle h, struct sockaddr *addr,
                                       socklen_t *len)
{
    int fd = accept(h, addr, len);
    *out = fd;
    return fd < 0 ? -errno : 0;
}

static inline int cmio__sys_set_nonblock(cmio__handle h)
{
    return cmio__fd_set_nonblock(h);
}

/* Not inherited by child processes (FD_CLOEXEC). */
static inline int cmio__sys_set_cloexec(cmio__handle h)
{
    return cmio__fd_set_cloexec(h);
}

/* close(2). -EINTR still released the fd (Linux), so it is never retried. */
static inline int cmio__sys_close(cmio__handle h)
{
    return close(h) < 0 ? -errno : 0;
}

#if CMIO_SOCKETS_FULL /* not in wasi-libc: sockets there are the host's (inherited) */
static inline int cmio__sys_bind(cmio__handle h, const struct sockaddr *sa, socklen_t len)
{
    return bind(h, sa, len) < 0 ? -errno : 0;
}

static inline int cmio__sys_listen(cmio__handle h, int backlog)
{
    return listen(h, backlog) < 0 ? -errno : 0;
}

/* A non-blocking connect: -EINPROGRESS while it goes on (a writable event tells the end). */
static inline int cmio__sys_connect(cmio__handle h, const struct sockaddr *sa, socklen_t len)
{
    return connect(h, sa, len) < 0 ? -errno : 0;
}
#endif

/* `how`: SHUT_RD, SHUT_WR or SHUT_RDWR. */
static inline int cmio__sys_shutdown(cmio__handle h, int how)
{
    return shutdown(h, how) < 0 ? -errno : 0;
}

static inline ssize_t cmio__sys_read(cmio__handle h, void *buf, size_t len)
{
    ssize_t n = read(h, buf, len);
    return n < 0 ? -errno : n;
}

static inline ssize_t cmio__sys_recv(cmio__handle h, void *buf, size_t len, int flags)
{
    ssize_t n = recv(h, buf, len, flags);
    return n < 0 ? -errno : n;
}

static inline ssize_t cmio__sys_send(cmio__handle h, const void *buf, size_t len, int flags)
{
    ssize_t n = send(h, buf, len, flags);
    return n < 0 ? -errno : n;
}

static inline ssize_t cmio__sys_readv(cmio__handle h, const struct iovec *iov, int iovcnt)
{
    ssize_t n = readv(h, iov, iovcnt);
    return n < 0 ? -errno : n;
}

#if CMIO_SOCKETS_FULL /* not in wasi-libc: sockets there are the host's (inherited) */
/* sendmsg, not writev: writev cannot take the no-SIGPIPE flag. */
static inline ssize_t cmio__sys_writev(cmio__handle h, const struct iovec *iov, int iovcnt,
                                       int flags)
{
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = (struct iovec *)iov;
    msg.msg_iovlen = iovcnt;
    ssize_t n = sendmsg(h, &msg, flags);
    return n < 0 ? -errno : n;
}

static inline ssize_t cmio__sys_recvfrom(cmio__handle h, void *buf, size_t len, int flags,
                                         struct sockaddr *addr, socklen_t *addrlen)
{
    ssize_t n = recvfrom(h, buf, len, flags, addr, addrlen);
    return n < 0 ? -errno : n;
}

static inline ssize_t cmio__sys_sendto(cmio__handle h, const void *buf, size_t len, int flags,
                                       const struct sockaddr *addr, socklen_t addrlen)
{
    ssize_t n = sendto(h, buf, len, flags, addr, addrlen);
    return n < 0 ? -errno : n;
}
#endif

#endif /* CMIO_SYS_FD_H */
