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

#include <sys/uio.h>
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
 * SO_REUSEADDR is set first on Unix, so a restarted server can bind a port in TIME_WAIT. Bind
 * to port 0 for an ephemeral port and read it back with cmio_tcp_listener_local_addr(). [mio:
 * TcpListener::bind]
 */
CMIO_API int cmio_tcp_listener_bind(cmio_tcp_listener *listener, const cmio_sockaddr *addr);

/*
 * Accepts a new connection. The new stream is non-blocking and close-on-exec and is not
 * registered. -EAGAIN when no connection is pending: wait for a readable event. [mio:
 * TcpListener::accept]
 */
CMIO_API int cmio_tcp_listener_accept(cmio_tcp_listener *listener, cmio_tcp_stream *stream,
                                      cmio_sockaddr *peer);

/*
 * Returns the local address this listener is bound to. [mio: TcpListener::local_addr]
 */
CMIO_API int cmio_tcp_listener_local_addr(const cmio_tcp_listener *listener, cmio_sockaddr *addr);

/*
 * Sets the IP_TTL option, the time-to-live of every packet sent from this socket. [mio:
 * TcpListener::set_ttl]
 */
CMIO_API int cmio_tcp_listener_set_ttl(cmio_tcp_listener *listener, uint32_t ttl);

/*
 * Gets the IP_TTL option. [mio: TcpListener::ttl]
 */
CMIO_API int cmio_tcp_listener_ttl(const cmio_tcp_listener *listener, uint32_t *ttl);

/*
 * Gets and clears the socket's pending error (SO_ERROR): *error is 0 when there is none, else
 * a negative errno. [mio: TcpListener::take_error]
 */
CMIO_API int cmio_tcp_listener_take_error(const cmio_tcp_listener *listener, int *error);

/*
 * Wraps an open socket fd as a tcp_listener, taking ownership of it (close it with
 * cmio_tcp_listener_close()). The fd is made non-blocking if it is not already. [mio:
 * FromRawFd::from_raw_fd]
 */
CMIO_API int cmio_tcp_listener_from_fd(cmio_tcp_listener *listener, int fd);

/*
 * Returns the tcp_listener's fd, which stays owned by the tcp_listener. [mio:
 * AsRawFd::as_raw_fd]
 */
CMIO_API int cmio_tcp_listener_as_fd(const cmio_tcp_listener *listener);

/*
 * Deregisters the tcp_listener if it is registered and hands its fd to the caller, who must
 * close it. The tcp_listener is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 */
CMIO_API int cmio_tcp_listener_into_fd(cmio_tcp_listener *listener);

/*
 * Registers the tcp_listener with a registry, so that cmio_poll_poll() reports its readiness
 * under `token`. A tcp_listener can be registered with one registry at a time: -EEXIST when it
 * already is. [mio: Registry::register]
 */
CMIO_API int cmio_tcp_listener_register(cmio_tcp_listener *listener, cmio_registry *registry,
                                        cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered tcp_listener. -ENOENT when it is not
 * registered, -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 */
CMIO_API int cmio_tcp_listener_reregister(cmio_tcp_listener *listener, cmio_registry *registry,
                                          cmio_token token, cmio_interest interest);

/*
 * Removes the tcp_listener from its registry; no more events are reported for it. -ENOENT when
 * it is not registered. [mio: Registry::deregister]
 */
CMIO_API int cmio_tcp_listener_deregister(cmio_tcp_listener *listener, cmio_registry *registry);

/*
 * Deregisters the tcp_listener if it is registered and closes it. -EBADF when it is already
 * closed. [mio: Drop]
 */
CMIO_API int cmio_tcp_listener_close(cmio_tcp_listener *listener);

CMIO_EXTERN_C_END

#endif /* CMIO_TCP_LISTENER_H */
