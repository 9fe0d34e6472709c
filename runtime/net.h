/* SPDX-License-Identifier: MIT */
/* cmio runtime — socket helpers the generated wrappers call (net.c). Private to libcmio. */
#ifndef CMIO_NET_H
#define CMIO_NET_H

#include <cmio/addr.h>
#include <cmio/common.h>
#include <cmio/io_source.h>
#include <cmio/datagram.h>
#include <cmio/unix.h>

/* The family of a usable address (AF_INET/AF_INET6) or a negative errno: -EINVAL for an empty
 * address or one whose length does not match its family, -EAFNOSUPPORT for another family. */
int cmio__sockaddr_check(const cmio_sockaddr *addr);

/* getsockname (peer false) or getpeername (peer true) into addr; -EAFNOSUPPORT when the socket is
 * not IPv4/IPv6. */
int cmio__getname(cmio__handle fd, bool peer, cmio_sockaddr *addr);

int cmio__sockopt_set_int(cmio__handle fd, int level, int name, int value);
int cmio__sockopt_get_int(cmio__handle fd, int level, int name, int *value);
/* The same for options whose value is an unsigned char on this platform (value 0..255). */
int cmio__sockopt_set_u8(cmio__handle fd, int level, int name, int value);
int cmio__sockopt_get_u8(cmio__handle fd, int level, int name, int *value);

/* IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP (option) with a struct ip_mreq. */
int cmio__multicast_v4(cmio__handle fd, int option, const struct in_addr *group,
                       const struct in_addr *iface);
/* The platform's IPv6 join / leave option with a struct ipv6_mreq. */
int cmio__multicast_v6(cmio__handle fd, int option, const struct in6_addr *group, uint32_t iface);

/* SHUT_RD/SHUT_WR/SHUT_RDWR for a cmio_shutdown, or -EINVAL. */
int cmio__shutdown_how(cmio_shutdown how);

#if CMIO_HAVE_UNIX_SOCKETS
/* ---- Unix-domain sockets (unix_net.c) ---- */

/* AF_UNIX for a well-formed cmio_unix_addr, else -EINVAL. */
int cmio__unix_addr_check(const cmio_unix_addr *addr);
int cmio__getname_unix(int fd, bool peer, cmio_unix_addr *addr);
int cmio__peer_cred(int fd, cmio_peer_cred *out);
/* sendmsg with nfds fds as SCM_RIGHTS (nfds > CMIO_MAX_FDS → -EINVAL). */
ssize_t cmio__send_fds(int fd, const void *buf, size_t len, const int *fds, size_t nfds, int flags);
/* recvmsg; fds land in fdb (close-on-exec); a truncated control message closes them. */
ssize_t cmio__recv_fds(int fd, void *buf, size_t len, cmio_fd_buf *fdb);
/* The part of recv_fds after recvmsg, separate so that tests and fuzz/ can play the kernel: moves
 * the fds of msg's SCM_RIGHTS control messages into fdb (at most cap; fdb->len and truncated
 * set). When any fd cannot be delivered (MSG_CTRUNC, more than cap) every one of them is passed to
 * close_fd (close(2) in recv_fds) and fdb ends up empty and truncated. */
void cmio__recv_fds_collect(struct msghdr *msg, cmio_fd_buf *fdb, size_t cap, int (*close_fd)(int));

#endif

#if CMIO_HAVE_UDP_SOCKET
/* ---- batched UDP (udp_batch.c) ---- */

/* The count moved, or a negative errno when nothing moved; *stop = the negative errno that ended
 * the batch early (usually -EAGAIN), 0 when every datagram moved. */
int cmio__udp_send_batch(int fd, const cmio_udp_msg *msgs, size_t count, int flags, int *stop);
int cmio__udp_recv_batch(int fd, cmio_udp_msg *msgs, size_t count, int *stop);
#endif

#endif /* CMIO_NET_H */
