/* Generated from idl/unix_listener.yaml by codegen/generate.py — do not edit. Platform: netbsd.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_UNIX_LISTENER_H
#define CMIO_UNIX_LISTENER_H

#include <cmio/common.h>
#include <cmio/addr.h>
#include <cmio/datagram.h>
#include <cmio/io_source.h>
#include <cmio/poll.h>
#include <cmio/unix.h>

#include <sys/uio.h>
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
 * -ENAMETOOLONG when the path does not fit sun_path; -EADDRINUSE when the file exists. [mio:
 * UnixListener::bind]
 */
CMIO_API int cmio_unix_listener_bind(cmio_unix_listener *listener, const char *path);

/*
 * Creates a listener bound to `addr` (a pathname or, on Linux, an abstract name). [mio:
 * UnixListener::bind_addr]
 */
CMIO_API int cmio_unix_listener_bind_addr(cmio_unix_listener *listener, const cmio_unix_addr *addr);

/*
 * Accepts a new connection: a non-blocking, close-on-exec stream, not registered. -EAGAIN when
 * none is pending. [mio: UnixListener::accept]
 */
CMIO_API int cmio_unix_listener_accept(cmio_unix_listener *listener, cmio_unix_stream *stream,
                                       cmio_unix_addr *peer);

/*
 * Returns the address this listener is bound to. [mio: UnixListener::local_addr]
 */
CMIO_API int cmio_unix_listener_local_addr(const cmio_unix_listener *listener,
                                           cmio_unix_addr *addr);

/*
 * Gets and clears the socket's pending error (SO_ERROR); *error is 0 when there is none. [mio:
 * UnixListener::take_error]
 */
CMIO_API int cmio_unix_listener_take_error(const cmio_unix_listener *listener, int *error);

/*
 * Wraps an open socket fd as a unix_listener, taking ownership of it (close it with
 * cmio_unix_listener_close()). The fd is made non-blocking if it is not already. [mio:
 * FromRawFd::from_raw_fd]
 */
CMIO_API int cmio_unix_listener_from_fd(cmio_unix_listener *listener, int fd);

/*
 * Returns the unix_listener's fd, which stays owned by the unix_listener. [mio:
 * AsRawFd::as_raw_fd]
 */
CMIO_API int cmio_unix_listener_as_fd(const cmio_unix_listener *listener);

/*
 * Deregisters the unix_listener if it is registered and hands its fd to the caller, who must
 * close it. The unix_listener is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 */
CMIO_API int cmio_unix_listener_into_fd(cmio_unix_listener *listener);

/*
 * Registers the unix_listener with a registry, so that cmio_poll_poll() reports its readiness
 * under `token`. A unix_listener can be registered with one registry at a time: -EEXIST when
 * it already is. [mio: Registry::register]
 */
CMIO_API int cmio_unix_listener_register(cmio_unix_listener *listener, cmio_registry *registry,
                                         cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered unix_listener. -ENOENT when it is not
 * registered, -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 */
CMIO_API int cmio_unix_listener_reregister(cmio_unix_listener *listener, cmio_registry *registry,
                                           cmio_token token, cmio_interest interest);

/*
 * Removes the unix_listener from its registry; no more events are reported for it. -ENOENT
 * when it is not registered. [mio: Registry::deregister]
 */
CMIO_API int cmio_unix_listener_deregister(cmio_unix_listener *listener, cmio_registry *registry);

/*
 * Deregisters the unix_listener if it is registered and closes it. -EBADF when it is already
 * closed. [mio: Drop]
 */
CMIO_API int cmio_unix_listener_close(cmio_unix_listener *listener);

CMIO_EXTERN_C_END

#endif /* CMIO_UNIX_LISTENER_H */
