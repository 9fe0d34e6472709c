/* SPDX-License-Identifier: MIT */
/* Generated from idl/tcp_listener.yaml by codegen/generate.py — do not edit. Platform: macos.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_TCP_LISTENER_H
#define CMIO_TCP_LISTENER_H

#include <cmio/common.h>
#include <cmio/addr.h>
#include <cmio/datagram.h>
#include <cmio/io_source.h>
#include <cmio/poll.h>
#include <cmio/unix.h>

#include <cmio/tcp_stream.h>

CMIO_EXTERN_C_BEGIN

/*
 * A TCP socket server, listening for connections. Non-blocking and close-on-exec; accepted
 * streams are too. Port of mio's net::TcpListener. A small caller-owned struct: no heap
 * allocation; close it with cmio_tcp_listener_close(). An all-zero struct is empty (every
 * operation returns -EBADF, closing it touches no fd). Move-only: never use two copies of one
 * socket. Constructors and accept write it only on success.
 */
typedef struct cmio_tcp_listener {
    cmio_io_source src;
} cmio_tcp_listener;

/* An empty cmio_tcp_listener: the same as an all-zero one (every operation on it returns -EBADF
 * and closing it touches no fd). */
// clang-format off
#define CMIO_TCP_LISTENER_INIT {{0, false, NULL}}
// clang-format on

/* Which operations this platform has (an absent one is not declared below). */
#define CMIO_HAVE_TCP_LISTENER_BIND 1
#define CMIO_HAVE_TCP_LISTENER_ACCEPT 1
#define CMIO_HAVE_TCP_LISTENER_LOCAL_ADDR 1
#define CMIO_HAVE_TCP_LISTENER_SET_TTL 1
#define CMIO_HAVE_TCP_LISTENER_TTL 1
#define CMIO_HAVE_TCP_LISTENER_TAKE_ERROR 1
#define CMIO_HAVE_TCP_LISTENER_FROM_FD 1
#define CMIO_HAVE_TCP_LISTENER_AS_FD 1
#define CMIO_HAVE_TCP_LISTENER_INTO_FD 1
#define CMIO_HAVE_TCP_LISTENER_REGISTER 1
#define CMIO_HAVE_TCP_LISTENER_REREGISTER 1
#define CMIO_HAVE_TCP_LISTENER_DEREGISTER 1
#define CMIO_HAVE_TCP_LISTENER_CLOSE 1

/*
 * Creates a listener bound to `addr` and listening with a backlog of 1024, as mio does.
 * SO_REUSEADDR is set first on Unix, so a restarted server can bind a port in TIME_WAIT. Bind to
 * port 0 for an ephemeral port and read it back with cmio_tcp_listener_local_addr().
 * [mio: TcpListener::bind]
 *
 * listener: (out) Receives the new tcp_listener; written only on success.
 * addr: The local address to bind to.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or addr is NULL; addr is empty or malformed.
 *   -EAFNOSUPPORT: addr is neither IPv4 nor IPv6, or not the socket's family.
 *   other: the errors of socket(2), setsockopt(2), bind(2), listen(2), e.g. -EADDRINUSE,
 *       -EADDRNOTAVAIL, -EACCES, -EMFILE, -ENFILE.
 */
CMIO_API int cmio_tcp_listener_bind(cmio_tcp_listener *listener, const cmio_sockaddr *addr);

/*
 * Accepts a new connection. The new stream is non-blocking and close-on-exec and is not
 * registered. -EAGAIN when no connection is pending: wait for a readable event.
 * [mio: TcpListener::accept]
 *
 * listener: The tcp_listener.
 * stream: (out) Receives the accepted stream.
 * peer: (out, may be NULL) Receives the peer's address; may be NULL. Left empty (family AF_UNSPEC)
 *     where the platform cannot tell it (WASI preview 1).
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or stream is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   -EAGAIN: no connection is pending; wait for the next readable event (this re-arms it).
 *   -ECONNABORTED: a connection was reset before it was accepted; accept again.
 *   -EMFILE: the process has no free file descriptor (ENFILE: the system). The connection stays
 *       queued and, readiness being edge-triggered, no new event comes for it: accept again after
 *       freeing an fd (or on a timer).
 *   other: the errors of accept(2) (accept4 where the platform has it).
 */
CMIO_API int cmio_tcp_listener_accept(cmio_tcp_listener *listener, cmio_tcp_stream *stream,
                                      cmio_sockaddr *peer);

/*
 * Returns the local address this listener is bound to. [mio: TcpListener::local_addr]
 *
 * listener: The tcp_listener (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or addr is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   other: the errors of getsockname(2).
 */
CMIO_API int cmio_tcp_listener_local_addr(const cmio_tcp_listener *listener, cmio_sockaddr *addr);

/*
 * Sets the IP_TTL option, the time-to-live of every packet sent from this socket.
 * [mio: TcpListener::set_ttl]
 *
 * listener: The tcp_listener.
 * ttl: The new time-to-live (1..255).
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener is NULL; ttl is more than INT_MAX (255 for an option the platform keeps in a
 *       byte).
 *   -EBADF: listener is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2).
 */
CMIO_API int cmio_tcp_listener_set_ttl(cmio_tcp_listener *listener, uint32_t ttl);

/*
 * Gets the IP_TTL option. [mio: TcpListener::ttl]
 *
 * listener: The tcp_listener (not changed).
 * ttl: (out) Receives the time-to-live.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or ttl is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_tcp_listener_ttl(const cmio_tcp_listener *listener, uint32_t *ttl);

/*
 * Gets and clears the socket's pending error (SO_ERROR): *error is 0 when there is none, else a
 * negative errno. [mio: TcpListener::take_error]
 *
 * listener: The tcp_listener (not changed).
 * error: (out) Receives 0 or the pending error as a negative errno.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or error is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_tcp_listener_take_error(const cmio_tcp_listener *listener, int *error);

/*
 * Wraps an open socket fd as a tcp_listener, taking ownership of it (close it with
 * cmio_tcp_listener_close()). The fd is made non-blocking if it is not already.
 * [mio: FromRawFd::from_raw_fd]
 *
 * listener: (out) Receives the new tcp_listener; written only on success.
 * fd: The socket to take over.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener is NULL.
 *   -EBADF: the fd is negative.
 *   other: the errors of fcntl(2) (making it non-blocking), e.g. -EBADF for an fd that is not
 *       open.
 */
CMIO_API int cmio_tcp_listener_from_fd(cmio_tcp_listener *listener, int fd);

/*
 * Returns the tcp_listener's fd, which stays owned by the tcp_listener. [mio: AsRawFd::as_raw_fd]
 *
 * listener: The tcp_listener (not changed).
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: listener is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 */
CMIO_API int cmio_tcp_listener_as_fd(const cmio_tcp_listener *listener);

/*
 * Deregisters the tcp_listener if it is registered and hands its fd to the caller, who must close
 * it. The tcp_listener is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 *
 * listener: The tcp_listener.
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: listener is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 */
CMIO_API int cmio_tcp_listener_into_fd(cmio_tcp_listener *listener);

/*
 * Registers the tcp_listener with a registry, so that cmio_poll_poll() reports its readiness under
 * `token`. A tcp_listener can be registered with one registry at a time: -EEXIST when it already
 * is. [mio: Registry::register]
 *
 * listener: The tcp_listener.
 * registry: The registry to register with.
 * token: Reported in the events of this tcp_listener.
 * interest: The readiness to report; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or registry is NULL; interest is 0 or has bits the platform does not know.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   -EEXIST: the tcp_listener is already registered (with this or another registry).
 *   other: the backend's errors, e.g. -ENOMEM (epoll_ctl(2)).
 */
CMIO_API int cmio_tcp_listener_register(cmio_tcp_listener *listener, cmio_registry *registry,
                                        cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered tcp_listener. -ENOENT when it is not registered,
 * -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 *
 * listener: The tcp_listener.
 * registry: The registry the tcp_listener is registered with.
 * token: The new token.
 * interest: The new interest; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or registry is NULL; interest is 0 or has unknown bits, or the tcp_listener
 *       is registered with another registry.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   -ENOENT: the tcp_listener is not registered.
 */
CMIO_API int cmio_tcp_listener_reregister(cmio_tcp_listener *listener, cmio_registry *registry,
                                          cmio_token token, cmio_interest interest);

/*
 * Removes the tcp_listener from its registry; no more events are reported for it. -ENOENT when it
 * is not registered. [mio: Registry::deregister]
 *
 * listener: The tcp_listener.
 * registry: The registry the tcp_listener is registered with.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or registry is NULL; the tcp_listener is registered with another registry.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   -ENOENT: the tcp_listener is not registered.
 */
CMIO_API int cmio_tcp_listener_deregister(cmio_tcp_listener *listener, cmio_registry *registry);

/*
 * Deregisters the tcp_listener if it is registered and closes it. -EBADF when it is already
 * closed. [mio: Drop]
 *
 * listener: The tcp_listener.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   other: the errors of close(2); the fd is released and the tcp_listener is empty in every case.
 */
CMIO_API int cmio_tcp_listener_close(cmio_tcp_listener *listener);

CMIO_EXTERN_C_END

#endif /* CMIO_TCP_LISTENER_H */
