/* SPDX-License-Identifier: MIT */
/* Generated from idl/unix_listener.yaml by codegen/generate.py — do not edit. Platform: openbsd.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_UNIX_LISTENER_H
#define CMIO_UNIX_LISTENER_H

#include <cmio/common.h>
#include <cmio/addr.h>
#include <cmio/datagram.h>
#include <cmio/io_source.h>
#include <cmio/poll.h>
#include <cmio/unix.h>

#include <cmio/unix_stream.h>

CMIO_EXTERN_C_BEGIN

/*
 * A Unix-domain stream socket server. Non-blocking and close-on-exec; accepted streams are
 * too. Binding a path creates the socket file; remove it with unlink(2) when done. Port of
 * mio's net::UnixListener. A small caller-owned struct: no heap allocation; close it with
 * cmio_unix_listener_close(). An all-zero struct is empty (every operation returns -EBADF,
 * closing it touches no fd). Move-only: never use two copies of one socket. Constructors and
 * accept write it only on success.
 */
typedef struct cmio_unix_listener {
    cmio_io_source src;
} cmio_unix_listener;

/* An empty cmio_unix_listener: the same as an all-zero one (every operation on it returns -EBADF
 * and closing it touches no fd). */
// clang-format off
#define CMIO_UNIX_LISTENER_INIT {{0, false, NULL}}
// clang-format on

/* Which operations this platform has (an absent one is not declared below). */
#define CMIO_HAVE_UNIX_LISTENER_BIND 1
#define CMIO_HAVE_UNIX_LISTENER_BIND_ADDR 1
#define CMIO_HAVE_UNIX_LISTENER_ACCEPT 1
#define CMIO_HAVE_UNIX_LISTENER_LOCAL_ADDR 1
#define CMIO_HAVE_UNIX_LISTENER_TAKE_ERROR 1
#define CMIO_HAVE_UNIX_LISTENER_FROM_FD 1
#define CMIO_HAVE_UNIX_LISTENER_AS_FD 1
#define CMIO_HAVE_UNIX_LISTENER_INTO_FD 1
#define CMIO_HAVE_UNIX_LISTENER_REGISTER 1
#define CMIO_HAVE_UNIX_LISTENER_REREGISTER 1
#define CMIO_HAVE_UNIX_LISTENER_DEREGISTER 1
#define CMIO_HAVE_UNIX_LISTENER_CLOSE 1

/*
 * Creates a listener bound to the filesystem path `path` and listening with a backlog of 1024.
 * -ENAMETOOLONG when the path does not fit sun_path; -EADDRINUSE when the file exists.
 * [mio: UnixListener::bind]
 *
 * listener: (out) Receives the new unix_listener; written only on success.
 * path: The socket file to create.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or path is NULL; path is "".
 *   -ENAMETOOLONG: path is longer than CMIO_UNIX_PATH_MAX bytes (never truncated).
 *   other: the errors of socket(2), bind(2), listen(2), e.g. -EADDRINUSE, -EADDRNOTAVAIL, -EACCES,
 *       -EMFILE, -ENFILE.
 */
CMIO_API int cmio_unix_listener_bind(cmio_unix_listener *listener, const char *path);

/*
 * Creates a listener bound to `addr` (a pathname or, on Linux, an abstract name).
 * [mio: UnixListener::bind_addr]
 *
 * listener: (out) Receives the new unix_listener; written only on success.
 * addr: The address to bind to.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or addr is NULL; addr is not a valid Unix-domain address.
 *   other: the errors of socket(2), bind(2), listen(2), e.g. -EADDRINUSE, -EADDRNOTAVAIL, -EACCES,
 *       -EMFILE, -ENFILE.
 */
CMIO_API int cmio_unix_listener_bind_addr(cmio_unix_listener *listener, const cmio_unix_addr *addr);

/*
 * Accepts a new connection: a non-blocking, close-on-exec stream, not registered. -EAGAIN when
 * none is pending. [mio: UnixListener::accept]
 *
 * listener: The unix_listener.
 * stream: (out) Receives the accepted stream.
 * peer: (out, may be NULL) The peer's address (usually unnamed); may be NULL.
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
CMIO_API int cmio_unix_listener_accept(cmio_unix_listener *listener, cmio_unix_stream *stream,
                                       cmio_unix_addr *peer);

/*
 * Returns the address this listener is bound to. [mio: UnixListener::local_addr]
 *
 * listener: The unix_listener (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or addr is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   other: the errors of getsockname(2).
 */
CMIO_API int cmio_unix_listener_local_addr(const cmio_unix_listener *listener,
                                           cmio_unix_addr *addr);

/*
 * Gets and clears the socket's pending error (SO_ERROR); *error is 0 when there is none.
 * [mio: UnixListener::take_error]
 *
 * listener: The unix_listener (not changed).
 * error: (out) Receives 0 or the pending error.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or error is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_unix_listener_take_error(const cmio_unix_listener *listener, int *error);

/*
 * Wraps an open socket fd as a unix_listener, taking ownership of it (close it with
 * cmio_unix_listener_close()). The fd is made non-blocking if it is not already.
 * [mio: FromRawFd::from_raw_fd]
 *
 * listener: (out) Receives the new unix_listener; written only on success.
 * fd: The socket to take over.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener is NULL.
 *   -EBADF: the fd is negative.
 *   other: the errors of fcntl(2) (making it non-blocking), e.g. -EBADF for an fd that is not
 *       open.
 */
CMIO_API int cmio_unix_listener_from_fd(cmio_unix_listener *listener, int fd);

/*
 * Returns the unix_listener's fd, which stays owned by the unix_listener.
 * [mio: AsRawFd::as_raw_fd]
 *
 * listener: The unix_listener (not changed).
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: listener is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 */
CMIO_API int cmio_unix_listener_as_fd(const cmio_unix_listener *listener);

/*
 * Deregisters the unix_listener if it is registered and hands its fd to the caller, who must close
 * it. The unix_listener is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 *
 * listener: The unix_listener.
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: listener is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 */
CMIO_API int cmio_unix_listener_into_fd(cmio_unix_listener *listener);

/*
 * Registers the unix_listener with a registry, so that cmio_poll_poll() reports its readiness
 * under `token`. A unix_listener can be registered with one registry at a time: -EEXIST when it
 * already is. [mio: Registry::register]
 *
 * listener: The unix_listener.
 * registry: The registry to register with.
 * token: Reported in the events of this unix_listener.
 * interest: The readiness to report; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or registry is NULL; interest is 0 or has bits the platform does not know.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   -EEXIST: the unix_listener is already registered (with this or another registry).
 *   other: the backend's errors, e.g. -ENOMEM (epoll_ctl(2)).
 */
CMIO_API int cmio_unix_listener_register(cmio_unix_listener *listener, cmio_registry *registry,
                                         cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered unix_listener. -ENOENT when it is not registered,
 * -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 *
 * listener: The unix_listener.
 * registry: The registry the unix_listener is registered with.
 * token: The new token.
 * interest: The new interest; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or registry is NULL; interest is 0 or has unknown bits, or the unix_listener
 *       is registered with another registry.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   -ENOENT: the unix_listener is not registered.
 */
CMIO_API int cmio_unix_listener_reregister(cmio_unix_listener *listener, cmio_registry *registry,
                                           cmio_token token, cmio_interest interest);

/*
 * Removes the unix_listener from its registry; no more events are reported for it. -ENOENT when it
 * is not registered. [mio: Registry::deregister]
 *
 * listener: The unix_listener.
 * registry: The registry the unix_listener is registered with.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener or registry is NULL; the unix_listener is registered with another registry.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   -ENOENT: the unix_listener is not registered.
 */
CMIO_API int cmio_unix_listener_deregister(cmio_unix_listener *listener, cmio_registry *registry);

/*
 * Deregisters the unix_listener if it is registered and closes it. -EBADF when it is already
 * closed. [mio: Drop]
 *
 * listener: The unix_listener.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: listener is NULL.
 *   -EBADF: listener is empty (all zero) or already closed.
 *   other: the errors of close(2); the fd is released and the unix_listener is empty in every
 *       case.
 */
CMIO_API int cmio_unix_listener_close(cmio_unix_listener *listener);

CMIO_EXTERN_C_END

#endif /* CMIO_UNIX_LISTENER_H */
