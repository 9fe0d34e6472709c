/* SPDX-License-Identifier: MIT */
/* Generated from idl/unix_datagram.yaml by codegen/generate.py — do not edit. Platform: macos.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_UNIX_DATAGRAM_H
#define CMIO_UNIX_DATAGRAM_H

#include <cmio/common.h>
#include <cmio/addr.h>
#include <cmio/datagram.h>
#include <cmio/io_source.h>
#include <cmio/poll.h>
#include <cmio/unix.h>

#include <sys/socket.h>
#include <unistd.h>

CMIO_EXTERN_C_BEGIN

/*
 * A non-blocking Unix-domain datagram socket. Datagrams are never reordered or lost locally;
 * one longer than the receive buffer is truncated (the rest discarded), as the platform does
 * it. Port of mio's net::UnixDatagram. A small caller-owned struct: no heap allocation; close
 * it with cmio_unix_datagram_close(). An all-zero struct is empty (every operation returns
 * -EBADF, closing it touches no fd). Move-only: never use two copies of one socket.
 * Constructors and accept write it only on success.
 */
typedef struct cmio_unix_datagram {
    cmio_io_source src;
} cmio_unix_datagram;

/* An empty cmio_unix_datagram: the same as an all-zero one (every operation on it returns -EBADF
 * and closing it touches no fd). */
// clang-format off
#define CMIO_UNIX_DATAGRAM_INIT {{0, false, NULL}}
// clang-format on

/* Which operations this platform has (an absent one is not declared below). */
#define CMIO_HAVE_UNIX_DATAGRAM_BIND 1
#define CMIO_HAVE_UNIX_DATAGRAM_BIND_ADDR 1
#define CMIO_HAVE_UNIX_DATAGRAM_UNBOUND 1
#define CMIO_HAVE_UNIX_DATAGRAM_PAIR 1
#define CMIO_HAVE_UNIX_DATAGRAM_CONNECT 1
#define CMIO_HAVE_UNIX_DATAGRAM_LOCAL_ADDR 1
#define CMIO_HAVE_UNIX_DATAGRAM_PEER_ADDR 1
#define CMIO_HAVE_UNIX_DATAGRAM_RECV_FROM 1
#define CMIO_HAVE_UNIX_DATAGRAM_RECV 1
#define CMIO_HAVE_UNIX_DATAGRAM_SEND_TO 1
#define CMIO_HAVE_UNIX_DATAGRAM_SEND 1
#define CMIO_HAVE_UNIX_DATAGRAM_TAKE_ERROR 1
#define CMIO_HAVE_UNIX_DATAGRAM_SHUTDOWN 1
#define CMIO_HAVE_UNIX_DATAGRAM_SEND_FDS 1
#define CMIO_HAVE_UNIX_DATAGRAM_RECV_FDS 1
#define CMIO_HAVE_UNIX_DATAGRAM_FROM_FD 1
#define CMIO_HAVE_UNIX_DATAGRAM_AS_FD 1
#define CMIO_HAVE_UNIX_DATAGRAM_INTO_FD 1
#define CMIO_HAVE_UNIX_DATAGRAM_REGISTER 1
#define CMIO_HAVE_UNIX_DATAGRAM_REREGISTER 1
#define CMIO_HAVE_UNIX_DATAGRAM_DEREGISTER 1
#define CMIO_HAVE_UNIX_DATAGRAM_CLOSE 1

/*
 * Creates a datagram socket bound to the filesystem path `path`. [mio: UnixDatagram::bind]
 *
 * sock: (out) Receives the new unix_datagram; written only on success.
 * path: The socket file to create.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or path is NULL; path is "".
 *   -ENAMETOOLONG: path is longer than CMIO_UNIX_PATH_MAX bytes (never truncated).
 *   other: the errors of socket(2), bind(2), e.g. -EADDRINUSE, -EADDRNOTAVAIL, -EACCES, -EMFILE,
 *       -ENFILE.
 */
CMIO_API int cmio_unix_datagram_bind(cmio_unix_datagram *sock, const char *path);

/*
 * Creates a datagram socket bound to `addr` (a pathname or, on Linux, an abstract name).
 * [mio: UnixDatagram::bind_addr]
 *
 * sock: (out) Receives the new unix_datagram; written only on success.
 * addr: The address to bind to.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or addr is NULL; addr is not a valid Unix-domain address.
 *   other: the errors of socket(2), bind(2), e.g. -EADDRINUSE, -EADDRNOTAVAIL, -EACCES, -EMFILE,
 *       -ENFILE.
 */
CMIO_API int cmio_unix_datagram_bind_addr(cmio_unix_datagram *sock, const cmio_unix_addr *addr);

/*
 * Creates a datagram socket bound to no address (it can send, and connect).
 * [mio: UnixDatagram::unbound]
 *
 * sock: (out) Receives the new unix_datagram; written only on success.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   other: the errors of socket(2), e.g. -EMFILE, -ENFILE.
 */
CMIO_API int cmio_unix_datagram_unbound(cmio_unix_datagram *sock);

/*
 * Creates a connected pair of unnamed datagram sockets (socketpair). [mio: UnixDatagram::pair]
 *
 * sock: (out) Receives the new unix_datagram; written only on success.
 * other: (out) Receives the other end.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or other is NULL.
 *   other: the errors of socketpair(2), e.g. -EMFILE, -ENFILE.
 */
CMIO_API int cmio_unix_datagram_pair(cmio_unix_datagram *sock, cmio_unix_datagram *other);

/*
 * Connects the socket to the socket at `path`; send and recv then talk to it only.
 * [mio: UnixDatagram::connect]
 *
 * sock: The unix_datagram.
 * path: The peer's socket file.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or path is NULL; path is "".
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -ENAMETOOLONG: path is longer than CMIO_UNIX_PATH_MAX bytes (never truncated).
 *   other: the errors of connect(2), e.g. -ECONNREFUSED, -ENETUNREACH.
 */
CMIO_API int cmio_unix_datagram_connect(cmio_unix_datagram *sock, const char *path);

/*
 * Returns the local address (unnamed for an unbound socket). [mio: UnixDatagram::local_addr]
 *
 * sock: The unix_datagram (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or addr is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockname(2).
 */
CMIO_API int cmio_unix_datagram_local_addr(const cmio_unix_datagram *sock, cmio_unix_addr *addr);

/*
 * Returns the address of the connected peer; -ENOTCONN when not connected.
 * [mio: UnixDatagram::peer_addr]
 *
 * sock: The unix_datagram (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or addr is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -ENOTCONN: the socket is not connected.
 *   other: the errors of getpeername(2).
 */
CMIO_API int cmio_unix_datagram_peer_addr(const cmio_unix_datagram *sock, cmio_unix_addr *addr);

/*
 * Receives one datagram and its sender's address (unnamed for an unbound sender), or -EAGAIN.
 * [mio: UnixDatagram::recv_from]
 *
 * sock: The unix_datagram.
 * buf, len: (out) Receives the datagram.
 * source: (out, may be NULL) The sender; may be NULL.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: sock is NULL; buf is NULL and len is not 0.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next readable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of recvfrom(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE
 *       (never SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_unix_datagram_recv_from(cmio_unix_datagram *sock, void *buf, size_t len,
                                              cmio_unix_addr *source);

/*
 * Receives one datagram, or -EAGAIN. [mio: UnixDatagram::recv]
 *
 * sock: The unix_datagram.
 * buf, len: (out) Receives the datagram.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: sock is NULL; buf is NULL and len is not 0.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next readable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of recv(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE (never
 *       SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_unix_datagram_recv(cmio_unix_datagram *sock, void *buf, size_t len);

/*
 * Sends one datagram to the socket at `path`; -EAGAIN when its queue is full.
 * [mio: UnixDatagram::send_to]
 *
 * sock: The unix_datagram.
 * buf, len: The datagram.
 * path: The receiver's socket file.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: sock or path is NULL; buf is NULL and len is not 0; path is "".
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next writable event (edge-triggered:
 *       this re-arms it).
 *   -ENAMETOOLONG: path is longer than CMIO_UNIX_PATH_MAX bytes (never truncated).
 *   other: the errors of sendto(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE (never
 *       SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_unix_datagram_send_to(cmio_unix_datagram *sock, const void *buf, size_t len,
                                            const char *path);

/*
 * Sends one datagram to the connected peer; -ENOTCONN when not connected.
 * [mio: UnixDatagram::send]
 *
 * sock: The unix_datagram.
 * buf, len: The datagram.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: sock is NULL; buf is NULL and len is not 0.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next writable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of send(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE (never
 *       SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_unix_datagram_send(cmio_unix_datagram *sock, const void *buf, size_t len);

/*
 * Gets and clears the socket's pending error (SO_ERROR); *error is 0 when there is none.
 * [mio: UnixDatagram::take_error]
 *
 * sock: The unix_datagram (not changed).
 * error: (out) Receives 0 or the pending error.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or error is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_unix_datagram_take_error(const cmio_unix_datagram *sock, int *error);

/*
 * Shuts down the read half, the write half or both. [mio: UnixDatagram::shutdown]
 *
 * sock: The unix_datagram.
 * how: Which half to shut down.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL; how is not a cmio_shutdown value.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of shutdown(2), e.g. -ENOTCONN.
 */
CMIO_API int cmio_unix_datagram_shutdown(cmio_unix_datagram *sock, cmio_shutdown how);

/*
 * Sends one datagram together with open file descriptors (SCM_RIGHTS) to the connected peer. The
 * datagram must hold at least one byte. Returns the bytes sent or -EAGAIN; -EINVAL for more than
 * CMIO_MAX_FDS fds or for fds with an empty datagram. [mio: none (cmio extension)]
 *
 * sock: The unix_datagram.
 * buf, len: The datagram.
 * fds, nfds: The descriptors to pass.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: sock is NULL; buf is NULL and len is not 0; fds is NULL and nfds is not 0; more than
 *       CMIO_MAX_FDS fds, or fds without a byte to carry them.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be sent now; wait for the next writable event (this re-arms it).
 *   other: the errors of sendmsg(2).
 */
CMIO_API ssize_t cmio_unix_datagram_send_fds(cmio_unix_datagram *sock, const void *buf, size_t len,
                                             const int *fds, size_t nfds);

/*
 * Receives one datagram and any file descriptors sent with it (close-on-exec, owned by the
 * caller). When more fds arrived than fit, fds->truncated is set and none are kept (those that
 * arrived are closed). [mio: none (cmio extension)]
 *
 * sock: The unix_datagram.
 * buf, len: (out) Receives the datagram.
 * fds: (out) Receives the descriptors.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: sock or fds is NULL; buf is NULL and len is not 0; the fd buffer has no array but a
 *       non-zero capacity.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAGAIN: nothing to receive now; wait for the next readable event (this re-arms it).
 *   other: the errors of recvmsg(2).
 */
CMIO_API ssize_t cmio_unix_datagram_recv_fds(cmio_unix_datagram *sock, void *buf, size_t len,
                                             cmio_fd_buf *fds);

/*
 * Wraps an open socket fd as a unix_datagram, taking ownership of it (close it with
 * cmio_unix_datagram_close()). The fd is made non-blocking if it is not already.
 * [mio: FromRawFd::from_raw_fd]
 *
 * sock: (out) Receives the new unix_datagram; written only on success.
 * fd: The socket to take over.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: the fd is negative.
 *   other: the errors of fcntl(2) (making it non-blocking), e.g. -EBADF for an fd that is not
 *       open.
 */
CMIO_API int cmio_unix_datagram_from_fd(cmio_unix_datagram *sock, int fd);

/*
 * Returns the unix_datagram's fd, which stays owned by the unix_datagram.
 * [mio: AsRawFd::as_raw_fd]
 *
 * sock: The unix_datagram (not changed).
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 */
CMIO_API int cmio_unix_datagram_as_fd(const cmio_unix_datagram *sock);

/*
 * Deregisters the unix_datagram if it is registered and hands its fd to the caller, who must close
 * it. The unix_datagram is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 *
 * sock: The unix_datagram.
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 */
CMIO_API int cmio_unix_datagram_into_fd(cmio_unix_datagram *sock);

/*
 * Registers the unix_datagram with a registry, so that cmio_poll_poll() reports its readiness
 * under `token`. A unix_datagram can be registered with one registry at a time: -EEXIST when it
 * already is. [mio: Registry::register]
 *
 * sock: The unix_datagram.
 * registry: The registry to register with.
 * token: Reported in the events of this unix_datagram.
 * interest: The readiness to report; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or registry is NULL; interest is 0 or has bits the platform does not know.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EEXIST: the unix_datagram is already registered (with this or another registry).
 *   other: the backend's errors, e.g. -ENOMEM (epoll_ctl(2)).
 */
CMIO_API int cmio_unix_datagram_register(cmio_unix_datagram *sock, cmio_registry *registry,
                                         cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered unix_datagram. -ENOENT when it is not registered,
 * -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 *
 * sock: The unix_datagram.
 * registry: The registry the unix_datagram is registered with.
 * token: The new token.
 * interest: The new interest; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or registry is NULL; interest is 0 or has unknown bits, or the unix_datagram is
 *       registered with another registry.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -ENOENT: the unix_datagram is not registered.
 */
CMIO_API int cmio_unix_datagram_reregister(cmio_unix_datagram *sock, cmio_registry *registry,
                                           cmio_token token, cmio_interest interest);

/*
 * Removes the unix_datagram from its registry; no more events are reported for it. -ENOENT when it
 * is not registered. [mio: Registry::deregister]
 *
 * sock: The unix_datagram.
 * registry: The registry the unix_datagram is registered with.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or registry is NULL; the unix_datagram is registered with another registry.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -ENOENT: the unix_datagram is not registered.
 */
CMIO_API int cmio_unix_datagram_deregister(cmio_unix_datagram *sock, cmio_registry *registry);

/*
 * Deregisters the unix_datagram if it is registered and closes it. -EBADF when it is already
 * closed. [mio: Drop]
 *
 * sock: The unix_datagram.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of close(2); the fd is released and the unix_datagram is empty in every
 *       case.
 */
CMIO_API int cmio_unix_datagram_close(cmio_unix_datagram *sock);

/* ---- Inline fast paths -----------------------------------------------------------------------
 * Operations that are one system call are defined here as static inline functions; the exported
 * functions above run the same code. The macros below make calls use them (a function pointer
 * still takes the exported function); define CMIO_NO_INLINE to call the exported ones. */
static inline ssize_t cmio__unix_datagram_recv(cmio_unix_datagram *sock, void *buf, size_t len)
{
    if (sock == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = recv(cmio__source_fd(&sock->src), buf, len, 0);
    return n >= 0 ? n : cmio__source_io_error(&sock->src, CMIO_INTEREST_READABLE);
}

static inline ssize_t cmio__unix_datagram_send(cmio_unix_datagram *sock, const void *buf,
                                               size_t len)
{
    if (sock == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = send(cmio__source_fd(&sock->src), buf, len, CMIO__SEND_FLAGS);
    return n >= 0 ? n : cmio__source_io_error(&sock->src, CMIO_INTEREST_WRITABLE);
}

#ifndef CMIO_NO_INLINE
#define cmio_unix_datagram_recv(sock, buf, len) cmio__unix_datagram_recv(sock, buf, len)
#define cmio_unix_datagram_send(sock, buf, len) cmio__unix_datagram_send(sock, buf, len)
#endif

CMIO_EXTERN_C_END

#endif /* CMIO_UNIX_DATAGRAM_H */
