/* SPDX-License-Identifier: MIT */
/* Generated from idl/tcp_stream.yaml by codegen/generate.py — do not edit. Platform: openbsd.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_TCP_STREAM_H
#define CMIO_TCP_STREAM_H

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
 * A non-blocking TCP stream between a local and a remote socket. Writes never raise SIGPIPE:
 * writing to a closed peer returns -EPIPE (or -ECONNRESET). Port of mio's net::TcpStream. A
 * small caller-owned struct: no heap allocation; close it with cmio_tcp_stream_close(). An
 * all-zero struct is empty (every operation returns -EBADF, closing it touches no fd). Move-
 * only: never use two copies of one socket. Constructors and accept write it only on success.
 */
typedef struct cmio_tcp_stream {
    cmio_io_source src;
} cmio_tcp_stream;

/* An empty cmio_tcp_stream: the same as an all-zero one (every operation on it returns -EBADF
 * and closing it touches no fd). */
// clang-format off
#define CMIO_TCP_STREAM_INIT {{0, false, NULL}}
// clang-format on

/* Which operations this platform has (an absent one is not declared below). */
#define CMIO_HAVE_TCP_STREAM_CONNECT 1
#define CMIO_HAVE_TCP_STREAM_PEER_ADDR 1
#define CMIO_HAVE_TCP_STREAM_LOCAL_ADDR 1
#define CMIO_HAVE_TCP_STREAM_SHUTDOWN 1
#define CMIO_HAVE_TCP_STREAM_SET_NODELAY 1
#define CMIO_HAVE_TCP_STREAM_NODELAY 1
#define CMIO_HAVE_TCP_STREAM_SET_TTL 1
#define CMIO_HAVE_TCP_STREAM_TTL 1
#define CMIO_HAVE_TCP_STREAM_TAKE_ERROR 1
#define CMIO_HAVE_TCP_STREAM_PEEK 1
#define CMIO_HAVE_TCP_STREAM_READ 1
#define CMIO_HAVE_TCP_STREAM_WRITE 1
#define CMIO_HAVE_TCP_STREAM_READV 1
#define CMIO_HAVE_TCP_STREAM_WRITEV 1
#define CMIO_HAVE_TCP_STREAM_FROM_FD 1
#define CMIO_HAVE_TCP_STREAM_AS_FD 1
#define CMIO_HAVE_TCP_STREAM_INTO_FD 1
#define CMIO_HAVE_TCP_STREAM_REGISTER 1
#define CMIO_HAVE_TCP_STREAM_REREGISTER 1
#define CMIO_HAVE_TCP_STREAM_DEREGISTER 1
#define CMIO_HAVE_TCP_STREAM_CLOSE 1

/*
 * Starts connecting to `addr` and returns at once (0, also while the connection is still in
 * progress). Register the stream for WRITABLE: when the event arrives, call
 * cmio_tcp_stream_take_error() — a non-zero error means the connection failed — and
 * cmio_tcp_stream_peer_addr(), which gives -ENOTCONN while the connection is not established (as
 * mio's docs describe). [mio: TcpStream::connect]
 *
 * stream: (out) Receives the new tcp_stream; written only on success.
 * addr: The address to connect to.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or addr is NULL; addr is empty or malformed.
 *   -EAFNOSUPPORT: addr is neither IPv4 nor IPv6, or not the socket's family.
 *   other: the errors of socket(2), connect(2), e.g. -EADDRINUSE, -EADDRNOTAVAIL, -EACCES,
 *       -EMFILE, -ENFILE.
 */
CMIO_API int cmio_tcp_stream_connect(cmio_tcp_stream *stream, const cmio_sockaddr *addr);

/*
 * Returns the address of the remote peer; -ENOTCONN while not connected.
 * [mio: TcpStream::peer_addr]
 *
 * stream: The tcp_stream (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or addr is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -ENOTCONN: the socket is not connected.
 *   other: the errors of getpeername(2).
 */
CMIO_API int cmio_tcp_stream_peer_addr(const cmio_tcp_stream *stream, cmio_sockaddr *addr);

/*
 * Returns the local address of this stream. [mio: TcpStream::local_addr]
 *
 * stream: The tcp_stream (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or addr is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of getsockname(2).
 */
CMIO_API int cmio_tcp_stream_local_addr(const cmio_tcp_stream *stream, cmio_sockaddr *addr);

/*
 * Shuts down the read half, the write half or both halves of the connection.
 * [mio: TcpStream::shutdown]
 *
 * stream: The tcp_stream.
 * how: Which half to shut down.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream is NULL; how is not a cmio_shutdown value.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of shutdown(2), e.g. -ENOTCONN.
 */
CMIO_API int cmio_tcp_stream_shutdown(cmio_tcp_stream *stream, cmio_shutdown how);

/*
 * Sets TCP_NODELAY; true disables Nagle's algorithm, so small writes are sent at once.
 * [mio: TcpStream::set_nodelay]
 *
 * stream: The tcp_stream.
 * nodelay: The new value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2).
 */
CMIO_API int cmio_tcp_stream_set_nodelay(cmio_tcp_stream *stream, bool nodelay);

/*
 * Gets TCP_NODELAY. [mio: TcpStream::nodelay]
 *
 * stream: The tcp_stream (not changed).
 * nodelay: (out) Receives the value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or nodelay is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_tcp_stream_nodelay(const cmio_tcp_stream *stream, bool *nodelay);

/*
 * Sets the IP_TTL option, the time-to-live of every packet sent from this socket.
 * [mio: TcpStream::set_ttl]
 *
 * stream: The tcp_stream.
 * ttl: The new time-to-live (1..255).
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream is NULL; ttl is more than INT_MAX (255 for an option the platform keeps in a
 *       byte).
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2).
 */
CMIO_API int cmio_tcp_stream_set_ttl(cmio_tcp_stream *stream, uint32_t ttl);

/*
 * Gets the IP_TTL option. [mio: TcpStream::ttl]
 *
 * stream: The tcp_stream (not changed).
 * ttl: (out) Receives the time-to-live.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or ttl is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_tcp_stream_ttl(const cmio_tcp_stream *stream, uint32_t *ttl);

/*
 * Gets and clears the socket's pending error (SO_ERROR): *error is 0 when there is none, else a
 * negative errno. After a WRITABLE event on a connecting stream, this tells whether the connection
 * failed (e.g. -ECONNREFUSED). [mio: TcpStream::take_error]
 *
 * stream: The tcp_stream (not changed).
 * error: (out) Receives 0 or the pending error as a negative errno.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or error is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_tcp_stream_take_error(const cmio_tcp_stream *stream, int *error);

/*
 * Receives data without removing it from the queue (MSG_PEEK): the next read returns it again.
 * Returns the byte count, 0 at end of stream, or -EAGAIN. [mio: TcpStream::peek]
 *
 * stream: The tcp_stream.
 * buf, len: (out) Receives the data.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: stream is NULL; buf is NULL and len is not 0.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EAGAIN: nothing can be transferred now; wait for the next readable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of recv(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE (never
 *       SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_tcp_stream_peek(cmio_tcp_stream *stream, void *buf, size_t len);

/*
 * Reads up to len bytes. Returns the byte count, 0 when the peer has closed its write half, or
 * -EAGAIN when nothing is buffered (wait for a readable event). [mio: TcpStream::read]
 *
 * stream: The tcp_stream.
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
CMIO_API ssize_t cmio_tcp_stream_read(cmio_tcp_stream *stream, void *buf, size_t len);

/*
 * Writes up to len bytes; returns how many were taken (possibly fewer), or -EAGAIN when the send
 * buffer is full (wait for a writable event). -EPIPE when the peer is gone; never SIGPIPE.
 * [mio: TcpStream::write]
 *
 * stream: The tcp_stream.
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
CMIO_API ssize_t cmio_tcp_stream_write(cmio_tcp_stream *stream, const void *buf, size_t len);

/*
 * Reads into several buffers in order (scatter). Returns the total byte count, 0 or -EAGAIN.
 * [mio: TcpStream::readv]
 *
 * stream: The tcp_stream.
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
CMIO_API ssize_t cmio_tcp_stream_readv(cmio_tcp_stream *stream, const struct iovec *iov,
                                       int iovcnt);

/*
 * Writes several buffers in order (gather). Returns the total byte count taken, or -EAGAIN. Never
 * SIGPIPE. [mio: TcpStream::writev]
 *
 * stream: The tcp_stream.
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
CMIO_API ssize_t cmio_tcp_stream_writev(cmio_tcp_stream *stream, const struct iovec *iov,
                                        int iovcnt);

/*
 * Wraps an open socket fd as a tcp_stream, taking ownership of it (close it with
 * cmio_tcp_stream_close()). The fd is made non-blocking if it is not already.
 * [mio: FromRawFd::from_raw_fd]
 *
 * stream: (out) Receives the new tcp_stream; written only on success.
 * fd: The socket to take over.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: the fd is negative.
 *   other: the errors of fcntl(2) (making it non-blocking), e.g. -EBADF for an fd that is not
 *       open.
 */
CMIO_API int cmio_tcp_stream_from_fd(cmio_tcp_stream *stream, int fd);

/*
 * Returns the tcp_stream's fd, which stays owned by the tcp_stream. [mio: AsRawFd::as_raw_fd]
 *
 * stream: The tcp_stream (not changed).
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 */
CMIO_API int cmio_tcp_stream_as_fd(const cmio_tcp_stream *stream);

/*
 * Deregisters the tcp_stream if it is registered and hands its fd to the caller, who must close
 * it. The tcp_stream is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 *
 * stream: The tcp_stream.
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 */
CMIO_API int cmio_tcp_stream_into_fd(cmio_tcp_stream *stream);

/*
 * Registers the tcp_stream with a registry, so that cmio_poll_poll() reports its readiness under
 * `token`. A tcp_stream can be registered with one registry at a time: -EEXIST when it already is.
 * [mio: Registry::register]
 *
 * stream: The tcp_stream.
 * registry: The registry to register with.
 * token: Reported in the events of this tcp_stream.
 * interest: The readiness to report; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or registry is NULL; interest is 0 or has bits the platform does not know.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -EEXIST: the tcp_stream is already registered (with this or another registry).
 *   other: the backend's errors, e.g. -ENOMEM (epoll_ctl(2)).
 */
CMIO_API int cmio_tcp_stream_register(cmio_tcp_stream *stream, cmio_registry *registry,
                                      cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered tcp_stream. -ENOENT when it is not registered,
 * -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 *
 * stream: The tcp_stream.
 * registry: The registry the tcp_stream is registered with.
 * token: The new token.
 * interest: The new interest; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or registry is NULL; interest is 0 or has unknown bits, or the tcp_stream is
 *       registered with another registry.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -ENOENT: the tcp_stream is not registered.
 */
CMIO_API int cmio_tcp_stream_reregister(cmio_tcp_stream *stream, cmio_registry *registry,
                                        cmio_token token, cmio_interest interest);

/*
 * Removes the tcp_stream from its registry; no more events are reported for it. -ENOENT when it is
 * not registered. [mio: Registry::deregister]
 *
 * stream: The tcp_stream.
 * registry: The registry the tcp_stream is registered with.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream or registry is NULL; the tcp_stream is registered with another registry.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   -ENOENT: the tcp_stream is not registered.
 */
CMIO_API int cmio_tcp_stream_deregister(cmio_tcp_stream *stream, cmio_registry *registry);

/*
 * Deregisters the tcp_stream if it is registered and closes it. -EBADF when it is already closed.
 * [mio: Drop]
 *
 * stream: The tcp_stream.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: stream is NULL.
 *   -EBADF: stream is empty (all zero) or already closed.
 *   other: the errors of close(2); the fd is released and the tcp_stream is empty in every case.
 */
CMIO_API int cmio_tcp_stream_close(cmio_tcp_stream *stream);

/* ---- Inline fast paths -----------------------------------------------------------------------
 * Operations that are one system call are defined here as static inline functions; the exported
 * functions above run the same code. The macros below make calls use them (a function pointer
 * still takes the exported function); define CMIO_NO_INLINE to call the exported ones. */
static inline ssize_t cmio__tcp_stream_peek(cmio_tcp_stream *stream, void *buf, size_t len)
{
    if (stream == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = recv(cmio__source_fd(&stream->src), buf, len, MSG_PEEK);
    return n >= 0 ? n : cmio__source_io_error(&stream->src, CMIO_INTEREST_READABLE);
}

static inline ssize_t cmio__tcp_stream_read(cmio_tcp_stream *stream, void *buf, size_t len)
{
    if (stream == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = read(cmio__source_fd(&stream->src), buf, len);
    return n >= 0 ? n : cmio__source_io_error(&stream->src, CMIO_INTEREST_READABLE);
}

static inline ssize_t cmio__tcp_stream_write(cmio_tcp_stream *stream, const void *buf, size_t len)
{
    if (stream == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = send(cmio__source_fd(&stream->src), buf, len, CMIO__SEND_FLAGS);
    return n >= 0 ? n : cmio__source_io_error(&stream->src, CMIO_INTEREST_WRITABLE);
}

#ifndef CMIO_NO_INLINE
#define cmio_tcp_stream_peek(stream, buf, len) cmio__tcp_stream_peek(stream, buf, len)
#define cmio_tcp_stream_read(stream, buf, len) cmio__tcp_stream_read(stream, buf, len)
#define cmio_tcp_stream_write(stream, buf, len) cmio__tcp_stream_write(stream, buf, len)
#endif

CMIO_EXTERN_C_END

#endif /* CMIO_TCP_STREAM_H */
