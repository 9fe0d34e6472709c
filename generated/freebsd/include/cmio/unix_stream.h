/* SPDX-License-Identifier: MIT */
/* Generated from idl/unix_stream.yaml by codegen/generate.py — do not edit. Platform: freebsd.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_UNIX_STREAM_H
#define CMIO_UNIX_STREAM_H

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
 * A non-blocking Unix-domain stream socket. Writes never raise SIGPIPE: writing to a closed
 * peer returns -EPIPE. Port of mio's net::UnixStream. A small caller-owned struct: no heap
 * allocation; close it with cmio_unix_stream_close(). An all-zero struct is empty (every
 * operation returns -EBADF, closing it touches no fd). Move-only: never use two copies of one
 * socket. Constructors and accept write it only on success.
 */
typedef struct cmio_unix_stream {
    cmio_io_source src;
} cmio_unix_stream;

/* An empty cmio_unix_stream: the same as an all-zero one (every operation on it returns -EBADF
 * and closing it touches no fd). */
// clang-format off
#define CMIO_UNIX_STREAM_INIT {{0, false, NULL}}
// clang-format on

/* Which operations this platform has (an absent one is not declared below). */
#define CMIO_HAVE_UNIX_STREAM_CONNECT 1
#define CMIO_HAVE_UNIX_STREAM_CONNECT_ADDR 1
#define CMIO_HAVE_UNIX_STREAM_PAIR 1
#define CMIO_HAVE_UNIX_STREAM_LOCAL_ADDR 1
#define CMIO_HAVE_UNIX_STREAM_PEER_ADDR 1
#define CMIO_HAVE_UNIX_STREAM_TAKE_ERROR 1
#define CMIO_HAVE_UNIX_STREAM_SHUTDOWN 1
#define CMIO_HAVE_UNIX_STREAM_READ 1
#define CMIO_HAVE_UNIX_STREAM_WRITE 1
#define CMIO_HAVE_UNIX_STREAM_READV 1
#define CMIO_HAVE_UNIX_STREAM_WRITEV 1
#define CMIO_HAVE_UNIX_STREAM_SEND_FDS 1
#define CMIO_HAVE_UNIX_STREAM_RECV_FDS 1
#define CMIO_HAVE_UNIX_STREAM_PEER_CRED 1
#define CMIO_HAVE_UNIX_STREAM_FROM_FD 1
#define CMIO_HAVE_UNIX_STREAM_AS_FD 1
#define CMIO_HAVE_UNIX_STREAM_INTO_FD 1
#define CMIO_HAVE_UNIX_STREAM_REGISTER 1
#define CMIO_HAVE_UNIX_STREAM_REREGISTER 1
#define CMIO_HAVE_UNIX_STREAM_DEREGISTER 1
#define CMIO_HAVE_UNIX_STREAM_CLOSE 1

/*
 * Connects to the socket at `path` without blocking: 0 when connected or in progress (wait for a
 * writable event, then check take_error); -EAGAIN when the listener's backlog is full; -ENOENT /
 * -ECONNREFUSED when nothing listens there. [mio: UnixStream::connect]
 *
 * stream: (out) Receives the new unix_stream; written only on success.
 * path: The listener's socket file.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or path is NULL; path is "".
 *   -ENAMETOOLONG: path is longer than CMIO_UNIX_PATH_MAX bytes (never truncated).
 *   other: the errors of socket(2), connect(2), e.g. -EADDRINUSE, -EADDRNOTAVAIL, -EACCES,
 *       -EMFILE, -ENFILE.
 */
CMIO_API int cmio_unix_stream_connect(cmio_unix_stream *stream, const char *path);

/*
 * Connects to `addr` (a pathname or, on Linux, an abstract name), as connect does.
 * [mio: UnixStream::connect_addr]
 *
 * stream: (out) Receives the new unix_stream; written only on success.
 * addr: The listener's address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or addr is NULL; addr is not a valid Unix-domain address.
 *   other: the errors of socket(2), connect(2), e.g. -EADDRINUSE, -EADDRNOTAVAIL, -EACCES,
 *       -EMFILE, -ENFILE.
 */
CMIO_API int cmio_unix_stream_connect_addr(cmio_unix_stream *stream, const cmio_unix_addr *addr);

/*
 * Creates a connected pair of unnamed streams (socketpair), both non-blocking and close-on-exec.
 * [mio: UnixStream::pair]
 *
 * stream: (out) Receives the new unix_stream; written only on success.
 * other: (out) Receives the other end.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or other is NULL.
 *   other: the errors of socketpair(2), e.g. -EMFILE, -ENFILE.
 */
CMIO_API int cmio_unix_stream_pair(cmio_unix_stream *stream, cmio_unix_stream *other);

/*
 * Returns the local address of this stream (usually unnamed). [mio: UnixStream::local_addr]
 *
 * stream: The unix_stream (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or addr is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of getsockname(2).
 */
CMIO_API int cmio_unix_stream_local_addr(const cmio_unix_stream *stream, cmio_unix_addr *addr);

/*
 * Returns the address of the peer; -ENOTCONN while not connected. [mio: UnixStream::peer_addr]
 *
 * stream: The unix_stream (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or addr is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -ENOTCONN: the socket is not connected.
 *   other: the errors of getpeername(2).
 */
CMIO_API int cmio_unix_stream_peer_addr(const cmio_unix_stream *stream, cmio_unix_addr *addr);

/*
 * Gets and clears the socket's pending error (SO_ERROR); *error is 0 when there is none.
 * [mio: UnixStream::take_error]
 *
 * stream: The unix_stream (not changed).
 * error: (out) Receives 0 or the pending error.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or error is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_unix_stream_take_error(const cmio_unix_stream *stream, int *error);

/*
 * Shuts down the read half, the write half or both halves of the connection.
 * [mio: UnixStream::shutdown]
 *
 * stream: The unix_stream.
 * how: Which half to shut down.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream is NULL; how is not a cmio_shutdown value.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of shutdown(2), e.g. -ENOTCONN.
 */
CMIO_API int cmio_unix_stream_shutdown(cmio_unix_stream *stream, cmio_shutdown how);

/*
 * Reads up to len bytes. Returns the byte count, 0 at end of stream, or -EAGAIN.
 * [mio: UnixStream::read]
 *
 * stream: The unix_stream.
 * buf, len: (out) Receives the data.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: stream is NULL; buf is NULL and len is not 0.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next readable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of read(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE (never
 *       SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_unix_stream_read(cmio_unix_stream *stream, void *buf, size_t len);

/*
 * Writes up to len bytes; returns how many were taken, or -EAGAIN. -EPIPE when the peer is gone.
 * [mio: UnixStream::write]
 *
 * stream: The unix_stream.
 * buf, len: The data to send.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: stream is NULL; buf is NULL and len is not 0.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next writable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of send(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE (never
 *       SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_unix_stream_write(cmio_unix_stream *stream, const void *buf, size_t len);

/*
 * Reads into several buffers in order. Returns the total byte count, 0 or -EAGAIN.
 * [mio: UnixStream::readv]
 *
 * stream: The unix_stream.
 * iov, iovcnt: (out) The buffers to fill.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: stream is NULL; iov is NULL and iovcnt is not 0; iovcnt is negative or more than
 *       IOV_MAX.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next readable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of readv(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE (never
 *       SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_unix_stream_readv(cmio_unix_stream *stream, const struct iovec *iov,
                                        int iovcnt);

/*
 * Writes several buffers in order. Returns the total byte count taken, or -EAGAIN.
 * [mio: UnixStream::writev]
 *
 * stream: The unix_stream.
 * iov, iovcnt: The buffers to send.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: stream is NULL; iov is NULL and iovcnt is not 0; iovcnt is negative or more than
 *       IOV_MAX.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next writable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of sendmsg(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE
 *       (never SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_unix_stream_writev(cmio_unix_stream *stream, const struct iovec *iov,
                                         int iovcnt);

/*
 * Sends data together with open file descriptors (SCM_RIGHTS); the receiver gets duplicates. At
 * least one byte of data must be sent with them. Returns the bytes sent or -EAGAIN; -EINVAL for
 * more than CMIO_MAX_FDS fds or for fds with no data. [mio: none (cmio extension)]
 *
 * stream: The unix_stream.
 * buf, len: The data (at least one byte).
 * fds, nfds: The descriptors to pass.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: stream is NULL; buf is NULL and len is not 0; fds is NULL and nfds is not 0; more
 *       than CMIO_MAX_FDS fds, or fds without a byte to carry them.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be sent now; wait for the next writable event (this re-arms it).
 *   other: the errors of sendmsg(2).
 */
CMIO_API ssize_t cmio_unix_stream_send_fds(cmio_unix_stream *stream, const void *buf, size_t len,
                                           const int *fds, size_t nfds);

/*
 * Receives data and any file descriptors sent with it. Received fds are close-on-exec and owned by
 * the caller. When more fds arrived than fit in fds->cap, fds->truncated is set and none are kept
 * (those that arrived are closed, never leaked); the data is still returned. [mio: none (cmio
 * extension)]
 *
 * stream: The unix_stream.
 * buf, len: (out) Receives the data.
 * fds: (out) Receives the descriptors.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: stream or fds is NULL; buf is NULL and len is not 0; the fd buffer has no array but a
 *       non-zero capacity.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EAGAIN: nothing to receive now; wait for the next readable event (this re-arms it).
 *   other: the errors of recvmsg(2).
 */
CMIO_API ssize_t cmio_unix_stream_recv_fds(cmio_unix_stream *stream, void *buf, size_t len,
                                           cmio_fd_buf *fds);

/*
 * Returns the credentials of the peer process as of connect/socketpair (SO_PEERCRED on Linux,
 * getpeereid where that is what the platform has; pid is -1 there). [mio: none (std's
 * UnixStream::peer_cred)]
 *
 * stream: The unix_stream (not changed).
 * cred: (out) Receives pid, uid and gid.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or cred is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2) (SO_PEERCRED) or getpeereid(3), e.g. -ENOTCONN.
 */
CMIO_API int cmio_unix_stream_peer_cred(const cmio_unix_stream *stream, cmio_peer_cred *cred);

/*
 * Wraps an open socket fd as a unix_stream, taking ownership of it (close it with
 * cmio_unix_stream_close()). The fd is made non-blocking if it is not already.
 * [mio: FromRawFd::from_raw_fd]
 *
 * stream: (out) Receives the new unix_stream; written only on success.
 * fd: The socket to take over.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: the fd is negative.
 *   other: the errors of fcntl(2) (making it non-blocking), e.g. -EBADF for an fd that is not
 *       open.
 */
CMIO_API int cmio_unix_stream_from_fd(cmio_unix_stream *stream, int fd);

/*
 * Returns the unix_stream's fd, which stays owned by the unix_stream. [mio: AsRawFd::as_raw_fd]
 *
 * stream: The unix_stream (not changed).
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 */
CMIO_API int cmio_unix_stream_as_fd(const cmio_unix_stream *stream);

/*
 * Deregisters the unix_stream if it is registered and hands its fd to the caller, who must close
 * it. The unix_stream is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 *
 * stream: The unix_stream.
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 */
CMIO_API int cmio_unix_stream_into_fd(cmio_unix_stream *stream);

/*
 * Registers the unix_stream with a registry, so that cmio_poll_poll() reports its readiness under
 * `token`. A unix_stream can be registered with one registry at a time: -EEXIST when it already
 * is. [mio: Registry::register]
 *
 * stream: The unix_stream.
 * registry: The registry to register with.
 * token: Reported in the events of this unix_stream.
 * interest: The readiness to report; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or registry is NULL; interest is 0 or has bits the platform does not know.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EEXIST: the unix_stream is already registered (with this or another registry).
 *   other: the backend's errors, e.g. -ENOMEM (epoll_ctl(2)).
 */
CMIO_API int cmio_unix_stream_register(cmio_unix_stream *stream, cmio_registry *registry,
                                       cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered unix_stream. -ENOENT when it is not registered,
 * -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 *
 * stream: The unix_stream.
 * registry: The registry the unix_stream is registered with.
 * token: The new token.
 * interest: The new interest; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or registry is NULL; interest is 0 or has unknown bits, or the unix_stream is
 *       registered with another registry.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -ENOENT: the unix_stream is not registered.
 */
CMIO_API int cmio_unix_stream_reregister(cmio_unix_stream *stream, cmio_registry *registry,
                                         cmio_token token, cmio_interest interest);

/*
 * Removes the unix_stream from its registry; no more events are reported for it. -ENOENT when it
 * is not registered. [mio: Registry::deregister]
 *
 * stream: The unix_stream.
 * registry: The registry the unix_stream is registered with.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or registry is NULL; the unix_stream is registered with another registry.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -ENOENT: the unix_stream is not registered.
 */
CMIO_API int cmio_unix_stream_deregister(cmio_unix_stream *stream, cmio_registry *registry);

/*
 * Deregisters the unix_stream if it is registered and closes it. -EBADF when it is already closed.
 * [mio: Drop]
 *
 * stream: The unix_stream.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of close(2); the fd is released and the unix_stream is empty in every case.
 */
CMIO_API int cmio_unix_stream_close(cmio_unix_stream *stream);

/* ---- Inline fast paths -----------------------------------------------------------------------
 * Operations that are one system call are defined here as static inline functions; the exported
 * functions above run the same code. The macros below make calls use them (a function pointer
 * still takes the exported function); define CMIO_NO_INLINE to call the exported ones. */
static inline ssize_t cmio__unix_stream_read(cmio_unix_stream *stream, void *buf, size_t len)
{
    if (stream == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = read(cmio__source_fd(&stream->src), buf, len);
    return n >= 0 ? n : cmio__source_io_error(&stream->src, CMIO_INTEREST_READABLE);
}

static inline ssize_t cmio__unix_stream_write(cmio_unix_stream *stream, const void *buf, size_t len)
{
    if (stream == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = send(cmio__source_fd(&stream->src), buf, len, CMIO__SEND_FLAGS);
    return n >= 0 ? n : cmio__source_io_error(&stream->src, CMIO_INTEREST_WRITABLE);
}

#ifndef CMIO_NO_INLINE
#define cmio_unix_stream_read(stream, buf, len) cmio__unix_stream_read(stream, buf, len)
#define cmio_unix_stream_write(stream, buf, len) cmio__unix_stream_write(stream, buf, len)
#endif

CMIO_EXTERN_C_END

#endif /* CMIO_UNIX_STREAM_H */
