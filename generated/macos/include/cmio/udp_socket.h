/* SPDX-License-Identifier: MIT */
/* Generated from idl/udp_socket.yaml by codegen/generate.py — do not edit. Platform: macos.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_UDP_SOCKET_H
#define CMIO_UDP_SOCKET_H

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
 * A non-blocking UDP socket. A datagram larger than the receive buffer is truncated as the
 * platform does it: on Linux and the BSDs the call returns the buffer's length and the rest of
 * the datagram is discarded (batched receives report it in cmio_udp_msg.truncated). Port of
 * mio's net::UdpSocket. A small caller-owned struct: no heap allocation; close it with
 * cmio_udp_socket_close(). An all-zero struct is empty (every operation returns -EBADF,
 * closing it touches no fd). Move-only: never use two copies of one socket. Constructors and
 * accept write it only on success.
 */
typedef struct cmio_udp_socket {
    cmio_io_source src;
} cmio_udp_socket;

/* An empty cmio_udp_socket: the same as an all-zero one (every operation on it returns -EBADF
 * and closing it touches no fd). */
// clang-format off
#define CMIO_UDP_SOCKET_INIT {{0, false, NULL}}
// clang-format on

/* Which operations this platform has (an absent one is not declared below). */
#define CMIO_HAVE_UDP_SOCKET_BIND 1
#define CMIO_HAVE_UDP_SOCKET_LOCAL_ADDR 1
#define CMIO_HAVE_UDP_SOCKET_PEER_ADDR 1
#define CMIO_HAVE_UDP_SOCKET_SEND_TO 1
#define CMIO_HAVE_UDP_SOCKET_RECV_FROM 1
#define CMIO_HAVE_UDP_SOCKET_PEEK_FROM 1
#define CMIO_HAVE_UDP_SOCKET_SEND 1
#define CMIO_HAVE_UDP_SOCKET_RECV 1
#define CMIO_HAVE_UDP_SOCKET_PEEK 1
#define CMIO_HAVE_UDP_SOCKET_CONNECT 1
#define CMIO_HAVE_UDP_SOCKET_SET_BROADCAST 1
#define CMIO_HAVE_UDP_SOCKET_BROADCAST 1
#define CMIO_HAVE_UDP_SOCKET_SET_MULTICAST_LOOP_V4 1
#define CMIO_HAVE_UDP_SOCKET_MULTICAST_LOOP_V4 1
#define CMIO_HAVE_UDP_SOCKET_SET_MULTICAST_TTL_V4 1
#define CMIO_HAVE_UDP_SOCKET_MULTICAST_TTL_V4 1
#define CMIO_HAVE_UDP_SOCKET_SET_MULTICAST_LOOP_V6 1
#define CMIO_HAVE_UDP_SOCKET_MULTICAST_LOOP_V6 1
#define CMIO_HAVE_UDP_SOCKET_SET_TTL 1
#define CMIO_HAVE_UDP_SOCKET_TTL 1
#define CMIO_HAVE_UDP_SOCKET_JOIN_MULTICAST_V4 1
#define CMIO_HAVE_UDP_SOCKET_LEAVE_MULTICAST_V4 1
#define CMIO_HAVE_UDP_SOCKET_JOIN_MULTICAST_V6 1
#define CMIO_HAVE_UDP_SOCKET_LEAVE_MULTICAST_V6 1
#define CMIO_HAVE_UDP_SOCKET_ONLY_V6 1
#define CMIO_HAVE_UDP_SOCKET_TAKE_ERROR 1
#define CMIO_HAVE_UDP_SOCKET_SEND_BATCH 1
#define CMIO_HAVE_UDP_SOCKET_RECV_BATCH 1
#define CMIO_HAVE_UDP_SOCKET_FROM_FD 1
#define CMIO_HAVE_UDP_SOCKET_AS_FD 1
#define CMIO_HAVE_UDP_SOCKET_INTO_FD 1
#define CMIO_HAVE_UDP_SOCKET_REGISTER 1
#define CMIO_HAVE_UDP_SOCKET_REREGISTER 1
#define CMIO_HAVE_UDP_SOCKET_DEREGISTER 1
#define CMIO_HAVE_UDP_SOCKET_CLOSE 1

/*
 * Creates a UDP socket bound to `addr` (port 0 for an ephemeral port; read it back with
 * cmio_udp_socket_local_addr()). [mio: UdpSocket::bind]
 *
 * sock: (out) Receives the new udp_socket; written only on success.
 * addr: The local address to bind to.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or addr is NULL; addr is empty or malformed.
 *   -EAFNOSUPPORT: addr is neither IPv4 nor IPv6, or not the socket's family.
 *   other: the errors of socket(2), bind(2), e.g. -EADDRINUSE, -EADDRNOTAVAIL, -EACCES, -EMFILE,
 *       -ENFILE.
 */
CMIO_API int cmio_udp_socket_bind(cmio_udp_socket *sock, const cmio_sockaddr *addr);

/*
 * Returns the local address of this socket. [mio: UdpSocket::local_addr]
 *
 * sock: The udp_socket (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or addr is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockname(2).
 */
CMIO_API int cmio_udp_socket_local_addr(const cmio_udp_socket *sock, cmio_sockaddr *addr);

/*
 * Returns the address of the connected peer; -ENOTCONN when the socket is not connected.
 * [mio: UdpSocket::peer_addr]
 *
 * sock: The udp_socket (not changed).
 * addr: (out) Receives the address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or addr is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -ENOTCONN: the socket is not connected.
 *   other: the errors of getpeername(2).
 */
CMIO_API int cmio_udp_socket_peer_addr(const cmio_udp_socket *sock, cmio_sockaddr *addr);

/*
 * Sends one datagram to `target`. Returns the bytes sent or -EAGAIN. [mio: UdpSocket::send_to]
 *
 * sock: The udp_socket.
 * buf, len: The datagram.
 * target: Where to send it.
 *
 * Returns the number of bytes transferred, or a negative errno:
 *   -EINVAL: sock or target is NULL; buf is NULL and len is not 0; target is empty or malformed.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAFNOSUPPORT: target is neither IPv4 nor IPv6, or not the socket's family.
 *   -EAGAIN: nothing can be transferred now; wait for the next writable event (edge-triggered:
 *       this re-arms it).
 *   other: the errors of sendto(2), e.g. -ECONNRESET; a write to a closed peer gives -EPIPE (never
 *       SIGPIPE), a datagram too large -EMSGSIZE.
 */
CMIO_API ssize_t cmio_udp_socket_send_to(cmio_udp_socket *sock, const void *buf, size_t len,
                                         const cmio_sockaddr *target);

/*
 * Receives one datagram and the address it came from. Returns its length (truncated to len, the
 * rest discarded), or -EAGAIN when none is queued. [mio: UdpSocket::recv_from]
 *
 * sock: The udp_socket.
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
CMIO_API ssize_t cmio_udp_socket_recv_from(cmio_udp_socket *sock, void *buf, size_t len,
                                           cmio_sockaddr *source);

/*
 * Like recv_from, but the datagram stays queued (MSG_PEEK). [mio: UdpSocket::peek_from]
 *
 * sock: The udp_socket.
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
CMIO_API ssize_t cmio_udp_socket_peek_from(cmio_udp_socket *sock, void *buf, size_t len,
                                           cmio_sockaddr *source);

/*
 * Sends one datagram to the connected peer; -EDESTADDRREQ when not connected.
 * [mio: UdpSocket::send]
 *
 * sock: The udp_socket.
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
CMIO_API ssize_t cmio_udp_socket_send(cmio_udp_socket *sock, const void *buf, size_t len);

/*
 * Receives one datagram from the connected peer (truncated to len), or -EAGAIN.
 * [mio: UdpSocket::recv]
 *
 * sock: The udp_socket.
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
CMIO_API ssize_t cmio_udp_socket_recv(cmio_udp_socket *sock, void *buf, size_t len);

/*
 * Like recv, but the datagram stays queued (MSG_PEEK). [mio: UdpSocket::peek]
 *
 * sock: The udp_socket.
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
CMIO_API ssize_t cmio_udp_socket_peek(cmio_udp_socket *sock, void *buf, size_t len);

/*
 * Connects the socket to `addr`: send and recv then talk to that peer only, and datagrams from
 * other addresses are dropped. [mio: UdpSocket::connect]
 *
 * sock: The udp_socket.
 * addr: The peer.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or addr is NULL; addr is empty or malformed.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAFNOSUPPORT: addr is neither IPv4 nor IPv6, or not the socket's family.
 *   other: the errors of connect(2), e.g. -ECONNREFUSED, -ENETUNREACH.
 */
CMIO_API int cmio_udp_socket_connect(cmio_udp_socket *sock, const cmio_sockaddr *addr);

/*
 * Sets SO_BROADCAST, which allows sending to a broadcast address. [mio: UdpSocket::set_broadcast]
 *
 * sock: The udp_socket.
 * enabled: The new value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2).
 */
CMIO_API int cmio_udp_socket_set_broadcast(cmio_udp_socket *sock, bool enabled);

/*
 * Gets SO_BROADCAST. [mio: UdpSocket::broadcast]
 *
 * sock: The udp_socket (not changed).
 * enabled: (out) Receives the value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or enabled is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_udp_socket_broadcast(const cmio_udp_socket *sock, bool *enabled);

/*
 * Sets IP_MULTICAST_LOOP; true delivers this socket's IPv4 multicast to the local host too.
 * [mio: UdpSocket::set_multicast_loop_v4]
 *
 * sock: The udp_socket.
 * enabled: The new value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2).
 */
CMIO_API int cmio_udp_socket_set_multicast_loop_v4(cmio_udp_socket *sock, bool enabled);

/*
 * Gets IP_MULTICAST_LOOP. [mio: UdpSocket::multicast_loop_v4]
 *
 * sock: The udp_socket (not changed).
 * enabled: (out) Receives the value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or enabled is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_udp_socket_multicast_loop_v4(const cmio_udp_socket *sock, bool *enabled);

/*
 * Sets IP_MULTICAST_TTL, the time-to-live of outgoing IPv4 multicast (0..255).
 * [mio: UdpSocket::set_multicast_ttl_v4]
 *
 * sock: The udp_socket.
 * ttl: The new time-to-live.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL; ttl is more than INT_MAX (255 for an option the platform keeps in a
 *       byte).
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2).
 */
CMIO_API int cmio_udp_socket_set_multicast_ttl_v4(cmio_udp_socket *sock, uint32_t ttl);

/*
 * Gets IP_MULTICAST_TTL. [mio: UdpSocket::multicast_ttl_v4]
 *
 * sock: The udp_socket (not changed).
 * ttl: (out) Receives the time-to-live.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or ttl is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_udp_socket_multicast_ttl_v4(const cmio_udp_socket *sock, uint32_t *ttl);

/*
 * Sets IPV6_MULTICAST_LOOP; true delivers this socket's IPv6 multicast to the local host.
 * [mio: UdpSocket::set_multicast_loop_v6]
 *
 * sock: The udp_socket.
 * enabled: The new value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2).
 */
CMIO_API int cmio_udp_socket_set_multicast_loop_v6(cmio_udp_socket *sock, bool enabled);

/*
 * Gets IPV6_MULTICAST_LOOP. [mio: UdpSocket::multicast_loop_v6]
 *
 * sock: The udp_socket (not changed).
 * enabled: (out) Receives the value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or enabled is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_udp_socket_multicast_loop_v6(const cmio_udp_socket *sock, bool *enabled);

/*
 * Sets IP_TTL, the time-to-live of every unicast packet sent from this socket.
 * [mio: UdpSocket::set_ttl]
 *
 * sock: The udp_socket.
 * ttl: The new time-to-live (1..255).
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL; ttl is more than INT_MAX (255 for an option the platform keeps in a
 *       byte).
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2).
 */
CMIO_API int cmio_udp_socket_set_ttl(cmio_udp_socket *sock, uint32_t ttl);

/*
 * Gets IP_TTL. [mio: UdpSocket::ttl]
 *
 * sock: The udp_socket (not changed).
 * ttl: (out) Receives the time-to-live.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or ttl is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_udp_socket_ttl(const cmio_udp_socket *sock, uint32_t *ttl);

/*
 * Joins the IPv4 multicast group `multiaddr` on the interface with address `iface` (named so
 * because the Windows headers define `interface` as a macro). [mio: UdpSocket::join_multicast_v4]
 *
 * sock: The udp_socket.
 * multiaddr: The group.
 * iface: The local interface's address (INADDR_ANY for any).
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock, multiaddr or iface is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2), e.g. -EADDRNOTAVAIL, -ENODEV, -EINVAL for a group that is
 *       not multicast.
 */
CMIO_API int cmio_udp_socket_join_multicast_v4(cmio_udp_socket *sock,
                                               const struct in_addr *multiaddr,
                                               const struct in_addr *iface);

/*
 * Leaves an IPv4 multicast group joined with join_multicast_v4.
 * [mio: UdpSocket::leave_multicast_v4]
 *
 * sock: The udp_socket.
 * multiaddr: The group.
 * iface: The local interface's address.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock, multiaddr or iface is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2), e.g. -EADDRNOTAVAIL, -ENODEV, -EINVAL for a group that is
 *       not multicast.
 */
CMIO_API int cmio_udp_socket_leave_multicast_v4(cmio_udp_socket *sock,
                                                const struct in_addr *multiaddr,
                                                const struct in_addr *iface);

/*
 * Joins the IPv6 multicast group `multiaddr` on interface index `iface` (0 for any).
 * [mio: UdpSocket::join_multicast_v6]
 *
 * sock: The udp_socket.
 * multiaddr: The group.
 * iface: The interface index.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or multiaddr is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2), e.g. -EADDRNOTAVAIL, -ENODEV, -EINVAL for a group that is
 *       not multicast.
 */
CMIO_API int cmio_udp_socket_join_multicast_v6(cmio_udp_socket *sock,
                                               const struct in6_addr *multiaddr, uint32_t iface);

/*
 * Leaves an IPv6 multicast group joined with join_multicast_v6.
 * [mio: UdpSocket::leave_multicast_v6]
 *
 * sock: The udp_socket.
 * multiaddr: The group.
 * iface: The interface index.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or multiaddr is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of setsockopt(2), e.g. -EADDRNOTAVAIL, -ENODEV, -EINVAL for a group that is
 *       not multicast.
 */
CMIO_API int cmio_udp_socket_leave_multicast_v6(cmio_udp_socket *sock,
                                                const struct in6_addr *multiaddr, uint32_t iface);

/*
 * Gets IPV6_V6ONLY (whether an IPv6 socket refuses IPv4-mapped traffic). [mio: UdpSocket::only_v6]
 *
 * sock: The udp_socket (not changed).
 * enabled: (out) Receives the value.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or enabled is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_udp_socket_only_v6(const cmio_udp_socket *sock, bool *enabled);

/*
 * Gets and clears the socket's pending error (SO_ERROR), e.g. -ECONNREFUSED after an ICMP
 * port-unreachable: *error is 0 when there is none. [mio: UdpSocket::take_error]
 *
 * sock: The udp_socket (not changed).
 * error: (out) Receives 0 or the pending error.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or error is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of getsockopt(2).
 */
CMIO_API int cmio_udp_socket_take_error(const cmio_udp_socket *sock, int *error);

/*
 * Sends several datagrams with as few system calls as the platform allows (sendmmsg; a loop of
 * sendto elsewhere). Each message's addr is its destination (addr.len 0: the connected peer);
 * every addr is checked first, as send_to checks its one (-EINVAL, -EAFNOSUPPORT: nothing is
 * sent). Returns how many were sent, or a negative errno when the first one failed (-EAGAIN: none
 * could be sent). A short count means the socket would block — it counts as -EAGAIN for
 * edge-triggered readiness, so a WRITABLE event follows when there is room — or that an error
 * stopped the batch, which the next call returns. [mio: none (cmio extension)]
 *
 * sock: The udp_socket.
 * msgs, count: The datagrams.
 *
 * Returns the number of datagrams transferred, or a negative errno when none was:
 *   -EINVAL: sock is NULL; msgs is NULL and count is not 0; a destination is malformed, or more
 *       than INT_MAX datagrams.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAFNOSUPPORT: a destination has a family this socket cannot use.
 *   -EAGAIN: no datagram could be sent; wait for the next writable event (this re-arms it).
 *   other: the error of the first datagram, from sendmmsg(2) or sendto(2); a later failure ends
 *       the batch early and returns the count.
 */
CMIO_API int cmio_udp_socket_send_batch(cmio_udp_socket *sock, const cmio_udp_msg *msgs,
                                        size_t count);

/*
 * Receives up to count queued datagrams with as few system calls as the platform allows (recvmmsg;
 * a loop of recvmsg elsewhere), filling each message's received, truncated and addr. Returns how
 * many arrived, or a negative errno when none did (-EAGAIN: the queue was empty). A short count
 * means the queue is empty — it counts as -EAGAIN for edge-triggered readiness, so a READABLE
 * event follows when a datagram arrives — or that an error stopped the batch, which the next call
 * returns. [mio: none (cmio extension)]
 *
 * sock: The udp_socket.
 * msgs, count: (out) Room for the datagrams.
 *
 * Returns the number of datagrams transferred, or a negative errno when none was:
 *   -EINVAL: sock is NULL; msgs is NULL and count is not 0; more than INT_MAX datagrams.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EAGAIN: no datagram is queued; wait for the next readable event (this re-arms it).
 *   other: the error of the first datagram, from recvmmsg(2) or recvfrom(2).
 */
CMIO_API int cmio_udp_socket_recv_batch(cmio_udp_socket *sock, cmio_udp_msg *msgs, size_t count);

/*
 * Wraps an open socket fd as a udp_socket, taking ownership of it (close it with
 * cmio_udp_socket_close()). The fd is made non-blocking if it is not already.
 * [mio: FromRawFd::from_raw_fd]
 *
 * sock: (out) Receives the new udp_socket; written only on success.
 * fd: The socket to take over.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: the fd is negative.
 *   other: the errors of fcntl(2) (making it non-blocking), e.g. -EBADF for an fd that is not
 *       open.
 */
CMIO_API int cmio_udp_socket_from_fd(cmio_udp_socket *sock, int fd);

/*
 * Returns the udp_socket's fd, which stays owned by the udp_socket. [mio: AsRawFd::as_raw_fd]
 *
 * sock: The udp_socket (not changed).
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 */
CMIO_API int cmio_udp_socket_as_fd(const cmio_udp_socket *sock);

/*
 * Deregisters the udp_socket if it is registered and hands its fd to the caller, who must close
 * it. The udp_socket is empty afterwards. [mio: IntoRawFd::into_raw_fd]
 *
 * sock: The udp_socket.
 *
 * Returns the file descriptor, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 */
CMIO_API int cmio_udp_socket_into_fd(cmio_udp_socket *sock);

/*
 * Registers the udp_socket with a registry, so that cmio_poll_poll() reports its readiness under
 * `token`. A udp_socket can be registered with one registry at a time: -EEXIST when it already is.
 * [mio: Registry::register]
 *
 * sock: The udp_socket.
 * registry: The registry to register with.
 * token: Reported in the events of this udp_socket.
 * interest: The readiness to report; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or registry is NULL; interest is 0 or has bits the platform does not know.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -EEXIST: the udp_socket is already registered (with this or another registry).
 *   other: the backend's errors, e.g. -ENOMEM (epoll_ctl(2)).
 */
CMIO_API int cmio_udp_socket_register(cmio_udp_socket *sock, cmio_registry *registry,
                                      cmio_token token, cmio_interest interest);

/*
 * Changes the token and interest of a registered udp_socket. -ENOENT when it is not registered,
 * -EINVAL when it is registered with another registry. [mio: Registry::reregister]
 *
 * sock: The udp_socket.
 * registry: The registry the udp_socket is registered with.
 * token: The new token.
 * interest: The new interest; 0 is -EINVAL.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or registry is NULL; interest is 0 or has unknown bits, or the udp_socket is
 *       registered with another registry.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -ENOENT: the udp_socket is not registered.
 */
CMIO_API int cmio_udp_socket_reregister(cmio_udp_socket *sock, cmio_registry *registry,
                                        cmio_token token, cmio_interest interest);

/*
 * Removes the udp_socket from its registry; no more events are reported for it. -ENOENT when it is
 * not registered. [mio: Registry::deregister]
 *
 * sock: The udp_socket.
 * registry: The registry the udp_socket is registered with.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock or registry is NULL; the udp_socket is registered with another registry.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   -ENOENT: the udp_socket is not registered.
 */
CMIO_API int cmio_udp_socket_deregister(cmio_udp_socket *sock, cmio_registry *registry);

/*
 * Deregisters the udp_socket if it is registered and closes it. -EBADF when it is already closed.
 * [mio: Drop]
 *
 * sock: The udp_socket.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL: sock is NULL.
 *   -EBADF: sock is empty (all zero) or already closed.
 *   other: the errors of close(2); the fd is released and the udp_socket is empty in every case.
 */
CMIO_API int cmio_udp_socket_close(cmio_udp_socket *sock);

/* ---- Inline fast paths -----------------------------------------------------------------------
 * Operations that are one system call are defined here as static inline functions; the exported
 * functions above run the same code. The macros below make calls use them (a function pointer
 * still takes the exported function); define CMIO_NO_INLINE to call the exported ones. */
static inline ssize_t cmio__udp_socket_send(cmio_udp_socket *sock, const void *buf, size_t len)
{
    if (sock == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = send(cmio__source_fd(&sock->src), buf, len, CMIO__SEND_FLAGS);
    return n >= 0 ? n : cmio__source_io_error(&sock->src, CMIO_INTEREST_WRITABLE);
}

static inline ssize_t cmio__udp_socket_recv(cmio_udp_socket *sock, void *buf, size_t len)
{
    if (sock == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = recv(cmio__source_fd(&sock->src), buf, len, 0);
    return n >= 0 ? n : cmio__source_io_error(&sock->src, CMIO_INTEREST_READABLE);
}

static inline ssize_t cmio__udp_socket_peek(cmio_udp_socket *sock, void *buf, size_t len)
{
    if (sock == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = recv(cmio__source_fd(&sock->src), buf, len, MSG_PEEK);
    return n >= 0 ? n : cmio__source_io_error(&sock->src, CMIO_INTEREST_READABLE);
}

#ifndef CMIO_NO_INLINE
#define cmio_udp_socket_send(sock, buf, len) cmio__udp_socket_send(sock, buf, len)
#define cmio_udp_socket_recv(sock, buf, len) cmio__udp_socket_recv(sock, buf, len)
#define cmio_udp_socket_peek(sock, buf, len) cmio__udp_socket_peek(sock, buf, len)
#endif

CMIO_EXTERN_C_END

#endif /* CMIO_UDP_SOCKET_H */
