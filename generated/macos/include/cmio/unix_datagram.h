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

#include <sys/uio.h>
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
 */
CMIO_API int cmio_unix_datagram_bind(cmio_unix_datagram *sock, const char *path);

/*
 * Creates a datagram socket bound to `addr` (a pathname or, on Linux, an abstract name). [mio:
 * UnixDatagram::bind_addr]
 */
CMIO_API int cmio_unix_datagram_bind_addr(cmio_unix_datagram *sock, const cmio_unix_addr *addr);

/*
 * Creates a datagram socket bound to no address (it can send, and connect). [mio:
 * UnixDatagram::unbound]
 */
CMIO_API int cmio_unix_datagram_unbound(cmio_unix_datagram *sock);

/*
 * Creates a connected pair of unnamed datagram sockets (socketpair). [mio: UnixDatagram::pair]
 */
CMIO_API int cmio_unix_datagram_pair(cmio_unix_datagram *sock, cmio_unix_datagram *other);

/*
 * Connects the socket to the socket at `path`; send and recv then talk to it only. [mio:
 * UnixDatagram::connect]
 */
CMIO_API int cmio_unix_datagram_connect(cmio_unix_datagram *sock, const char *path);

/*
 * Returns the local address (unnamed for an unbound socket). [mio: UnixDatagram::local_addr]
 */
CMIO_API int cmio_unix_datagram_local_addr(const cmio_unix_datagram *sock, cmio_unix_addr *addr);

/*
 * Returns the address of the connected peer; -ENOTCONN when not connected. [mio:
 * UnixDatagram::peer_addr]
 */
CMIO_API int cmio_unix_datagram_peer_addr(const cmio_unix_datagram *sock, cmio_unix_addr *addr);

/*
 * Receives one datagram and its sender's address (unnamed for an unbound sender), or -EAGAIN.
 * [mio: UnixDatagram::recv_from]
 */
CMIO_API ssize_t cmio_unix_datagram_recv_from(cmio_unix_datagram *sock, void *buf, size_t len,
                                              cmio_unix_addr *source);

/*
 * Receives one datagram, or -EAGAIN. [mio: UnixDatagram::recv]
 */
CMIO_API ssize_t cmio_unix_datagram_recv(cmio_unix_datagram *sock, void *buf, size_t len);

/*
 * Sends one datagram to the socket at `path`; -EAGAIN when its queue is full. [mio:
 * UnixDatagram::send_to]
 */
CMIO_API ssize_t cmio_unix_datagram_send_to(cmio_unix_datagram *sock, const void *buf, size_t len,
                                            const char *path);

/*
 * Sends one datagram to the connected peer; -ENOTCONN when not connected. [mio:
 * UnixDatagram::send]
 */
CMIO_API ssize_t cmio_unix_datagram_send(cmio_unix_datagram *sock, const void *buf, size_t len);

/*
 * Gets and clears the socket's pending error (SO_ERROR); *error is 0 when there is none. [mio:
 * UnixDatagram::take_error]
 */
CMIO_API int cmio_unix_datagram_take_error(const cmio_unix_datagram *sock, int *error);

/*
 * Shuts down the read half, the write half or both. [mio: UnixDatagram::shutdown]
 */
CMIO_API int cmio_unix_datagram_shutdown(cmio_unix_datagram *sock, cmio_shutdown how);

/*
 * Sends one datagram together with open file descriptors (SCM_RIGHTS) to the connected peer.
 * The datagram must hold at least one byte. Returns the bytes sent or -EAGAIN; -EINVAL for
 * more than CMIO_MAX_FDS fds or for fds with an empty datagram. [mio: none (cmio extension)]
 */
CMIO_API ssize_t cmio_unix_datagram_send_fds(cmio_unix_datagram *sock, const void *buf, size_t len,
                                             const int *fds, size_t nfds);

/*
 * Receives one datagram and any file descriptors sent with it (close-on-exec, owned by the
 * caller). When more fds arrived than fit, fds->truncated is set and none are kept (those that
 * arrived are closed). [mio: none (cmio extension)]
 */
CMIO_API ssize_t cmio_unix_datagram_recv_fds(cmio_unix_datagram *sock, void *buf, size_t len,
                                             cmio_fd_buf *fds);

/*
 * Wraps an open socket fd as a unix_datagram, taking ownership of it (close it with
 * cmio_unix_datagram_close()). The fd is made non-blocking if it is not already. [mio:
 * FromRawFd::from_raw_fd]
 */
CMIO_API int cmio_unix_datagram_from_fd(cmio_unix_datagram *sock, int fd);

/*
 * Returns the unix_datagram's fd, which stays owned by the unix_datagram. [mio:
 * AsRawFd::as_raw_fd]
 */
CMIO_API int cmio_unix_datagram_as_fd(const cmio_unix_datagram *sock);

/*
 * Deregisters the unix_datagram if it is registered and hands its fd to the caller, who must
 * close it. The unix_datagram is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 */
CMIO_API int cmio_unix_datagram_into_fd(cmio_unix_datagram *sock);

/*
 * Registers the unix_datagram with a registry, so that cmio_poll_poll() reports its readiness
 * under `token`. A unix_datagram can be registered with one registry at a time: -EEXIST when
 * it already is. [mio: Registry::register]
 */
CMIO_API int cmio_unix_datagram_register(cmio_unix_datagram *sock, cmio_registry *registry,
                                         cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered unix_datagram. -ENOENT when it is not
 * registered, -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 */
CMIO_API int cmio_unix_datagram_reregister(cmio_unix_datagram *sock, cmio_registry *registry,
                                           cmio_token token, cmio_interest interest);

/*
 * Removes the unix_datagram from its registry; no more events are reported for it. -ENOENT
 * when it is not registered. [mio: Registry::deregister]
 */
CMIO_API int cmio_unix_datagram_deregister(cmio_unix_datagram *sock, cmio_registry *registry);

/*
 * Deregisters the unix_datagram if it is registered and closes it. -EBADF when it is already
 * closed. [mio: Drop]
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
