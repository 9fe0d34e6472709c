/* SPDX-License-Identifier: MIT */
/* Generated from idl/udp_socket.yaml by codegen/generate.py — do not edit. Platform: macos.
 * Change the IDL (or the template) and run `make generate`. */
#define _DARWIN_C_SOURCE
#include "sys.h"

#include <cmio/udp_socket.h>

#include <limits.h>
#include <string.h>

/* UdpSocket::bind — idl/udp_socket.yaml:13 */
int cmio_udp_socket_bind(cmio_udp_socket *sock, const cmio_sockaddr *addr)
{
    if (sock == NULL || addr == NULL)
        return -EINVAL;

    int family = cmio__sockaddr_check(addr);
    if (family < 0)
        return family;
    const struct sockaddr *sa = &addr->u.sa;
    socklen_t salen = addr->len;
    cmio__handle sfd;
    int rc = cmio__sys_socket(&sfd, family, SOCK_DGRAM);
    if (rc < 0)
        return rc;
    rc = cmio__sys_bind(sfd, sa, salen);
    if (rc < 0)
        goto fail;
    cmio__source_init(&sock->src, sfd);
    return 0;
fail:
    (void)cmio__sys_close(sfd);
    return rc;
}

/* UdpSocket::local_addr — idl/udp_socket.yaml:24 */
int cmio_udp_socket_local_addr(const cmio_udp_socket *sock, cmio_sockaddr *addr)
{
    if (sock == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname(cmio__source_fd(&sock->src), false, addr);
}

/* UdpSocket::peer_addr — idl/udp_socket.yaml:32 */
int cmio_udp_socket_peer_addr(const cmio_udp_socket *sock, cmio_sockaddr *addr)
{
    if (sock == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname(cmio__source_fd(&sock->src), true, addr);
}

/* UdpSocket::send_to — idl/udp_socket.yaml:41 */
ssize_t cmio_udp_socket_send_to(cmio_udp_socket *sock, const void *buf, size_t len,
                                const cmio_sockaddr *target)
{
    if (sock == NULL || target == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    int family = cmio__sockaddr_check(target);
    if (family < 0)
        return family;
    const struct sockaddr *sa = &target->u.sa;
    socklen_t salen = target->len;
    (void)family;
    ssize_t n =
        cmio__sys_sendto(cmio__source_fd(&sock->src), buf, len, CMIO__SEND_FLAGS, sa, salen);
    return cmio__source_did_io(&sock->src, n, CMIO_INTEREST_WRITABLE);
}

/* UdpSocket::recv_from — idl/udp_socket.yaml:51 */
ssize_t cmio_udp_socket_recv_from(cmio_udp_socket *sock, void *buf, size_t len,
                                  cmio_sockaddr *source)
{
    if (sock == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    struct sockaddr_storage ss;
    socklen_t salen = sizeof(ss);
    ssize_t n = cmio__sys_recvfrom(cmio__source_fd(&sock->src), buf, len, 0, (struct sockaddr *)&ss,
                                   &salen);
    if (n >= 0 && source != NULL &&
        cmio_sockaddr_from_sys(source, (struct sockaddr *)&ss, salen) < 0)
        memset(source, 0, sizeof(*source));
    return cmio__source_did_io(&sock->src, n, CMIO_INTEREST_READABLE);
}

/* UdpSocket::peek_from — idl/udp_socket.yaml:63 */
ssize_t cmio_udp_socket_peek_from(cmio_udp_socket *sock, void *buf, size_t len,
                                  cmio_sockaddr *source)
{
    if (sock == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    struct sockaddr_storage ss;
    socklen_t salen = sizeof(ss);
    ssize_t n = cmio__sys_recvfrom(cmio__source_fd(&sock->src), buf, len, MSG_PEEK,
                                   (struct sockaddr *)&ss, &salen);
    if (n >= 0 && source != NULL &&
        cmio_sockaddr_from_sys(source, (struct sockaddr *)&ss, salen) < 0)
        memset(source, 0, sizeof(*source));
    return cmio__source_did_io(&sock->src, n, CMIO_INTEREST_READABLE);
}

/* UdpSocket::send — idl/udp_socket.yaml:73 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_udp_socket_send)(cmio_udp_socket *sock, const void *buf, size_t len)
{
    return cmio__udp_socket_send(sock, buf, len);
}

/* UdpSocket::recv — idl/udp_socket.yaml:82 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_udp_socket_recv)(cmio_udp_socket *sock, void *buf, size_t len)
{
    return cmio__udp_socket_recv(sock, buf, len);
}

/* UdpSocket::peek — idl/udp_socket.yaml:91 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_udp_socket_peek)(cmio_udp_socket *sock, void *buf, size_t len)
{
    return cmio__udp_socket_peek(sock, buf, len);
}

/* UdpSocket::connect — idl/udp_socket.yaml:100 */
int cmio_udp_socket_connect(cmio_udp_socket *sock, const cmio_sockaddr *addr)
{
    if (sock == NULL || addr == NULL)
        return -EINVAL;

    int family = cmio__sockaddr_check(addr);
    if (family < 0)
        return family;
    const struct sockaddr *sa = &addr->u.sa;
    socklen_t salen = addr->len;
    (void)family;
    return cmio__sys_connect(cmio__source_fd(&sock->src), sa, salen);
}

/* UdpSocket::set_broadcast — idl/udp_socket.yaml:109 */
int cmio_udp_socket_set_broadcast(cmio_udp_socket *sock, bool enabled)
{
    if (sock == NULL)
        return -EINVAL;

    return cmio__sockopt_set_int(cmio__source_fd(&sock->src), SOL_SOCKET, SO_BROADCAST,
                                 enabled ? 1 : 0);
}

/* UdpSocket::broadcast — idl/udp_socket.yaml:117 */
int cmio_udp_socket_broadcast(const cmio_udp_socket *sock, bool *enabled)
{
    if (sock == NULL || enabled == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&sock->src), SOL_SOCKET, SO_BROADCAST, &value);
    if (rc < 0)
        return rc;
    *enabled = value != 0;
    return 0;
}

/* UdpSocket::set_multicast_loop_v4 — idl/udp_socket.yaml:125 */
int cmio_udp_socket_set_multicast_loop_v4(cmio_udp_socket *sock, bool enabled)
{
    if (sock == NULL)
        return -EINVAL;

    return cmio__sockopt_set_u8(cmio__source_fd(&sock->src), IPPROTO_IP, IP_MULTICAST_LOOP,
                                enabled ? 1 : 0);
}

/* UdpSocket::multicast_loop_v4 — idl/udp_socket.yaml:133 */
int cmio_udp_socket_multicast_loop_v4(const cmio_udp_socket *sock, bool *enabled)
{
    if (sock == NULL || enabled == NULL)
        return -EINVAL;

    int value;
    int rc =
        cmio__sockopt_get_u8(cmio__source_fd(&sock->src), IPPROTO_IP, IP_MULTICAST_LOOP, &value);
    if (rc < 0)
        return rc;
    *enabled = value != 0;
    return 0;
}

/* UdpSocket::set_multicast_ttl_v4 — idl/udp_socket.yaml:141 */
int cmio_udp_socket_set_multicast_ttl_v4(cmio_udp_socket *sock, uint32_t ttl)
{
    if (sock == NULL)
        return -EINVAL;

    if (ttl > UINT8_MAX)
        return -EINVAL;
    return cmio__sockopt_set_u8(cmio__source_fd(&sock->src), IPPROTO_IP, IP_MULTICAST_TTL,
                                (int)ttl);
}

/* UdpSocket::multicast_ttl_v4 — idl/udp_socket.yaml:149 */
int cmio_udp_socket_multicast_ttl_v4(const cmio_udp_socket *sock, uint32_t *ttl)
{
    if (sock == NULL || ttl == NULL)
        return -EINVAL;

    int value;
    int rc =
        cmio__sockopt_get_u8(cmio__source_fd(&sock->src), IPPROTO_IP, IP_MULTICAST_TTL, &value);
    if (rc < 0)
        return rc;
    *ttl = (uint32_t)value;
    return 0;
}

/* UdpSocket::set_multicast_loop_v6 — idl/udp_socket.yaml:157 */
int cmio_udp_socket_set_multicast_loop_v6(cmio_udp_socket *sock, bool enabled)
{
    if (sock == NULL)
        return -EINVAL;

    return cmio__sockopt_set_int(cmio__source_fd(&sock->src), IPPROTO_IPV6, IPV6_MULTICAST_LOOP,
                                 enabled ? 1 : 0);
}

/* UdpSocket::multicast_loop_v6 — idl/udp_socket.yaml:165 */
int cmio_udp_socket_multicast_loop_v6(const cmio_udp_socket *sock, bool *enabled)
{
    if (sock == NULL || enabled == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&sock->src), IPPROTO_IPV6, IPV6_MULTICAST_LOOP,
                                   &value);
    if (rc < 0)
        return rc;
    *enabled = value != 0;
    return 0;
}

/* UdpSocket::set_ttl — idl/udp_socket.yaml:173 */
int cmio_udp_socket_set_ttl(cmio_udp_socket *sock, uint32_t ttl)
{
    if (sock == NULL)
        return -EINVAL;

    if (ttl > INT_MAX)
        return -EINVAL;
    return cmio__sockopt_set_int(cmio__source_fd(&sock->src), IPPROTO_IP, IP_TTL, (int)ttl);
}

/* UdpSocket::ttl — idl/udp_socket.yaml:181 */
int cmio_udp_socket_ttl(const cmio_udp_socket *sock, uint32_t *ttl)
{
    if (sock == NULL || ttl == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&sock->src), IPPROTO_IP, IP_TTL, &value);
    if (rc < 0)
        return rc;
    *ttl = (uint32_t)value;
    return 0;
}

/* UdpSocket::join_multicast_v4 — idl/udp_socket.yaml:189 */
int cmio_udp_socket_join_multicast_v4(cmio_udp_socket *sock, const struct in_addr *multiaddr,
                                      const struct in_addr *iface)
{
    if (sock == NULL || multiaddr == NULL || iface == NULL)
        return -EINVAL;

    return cmio__multicast_v4(cmio__source_fd(&sock->src), IP_ADD_MEMBERSHIP, multiaddr, iface);
}

/* UdpSocket::leave_multicast_v4 — idl/udp_socket.yaml:198 */
int cmio_udp_socket_leave_multicast_v4(cmio_udp_socket *sock, const struct in_addr *multiaddr,
                                       const struct in_addr *iface)
{
    if (sock == NULL || multiaddr == NULL || iface == NULL)
        return -EINVAL;

    return cmio__multicast_v4(cmio__source_fd(&sock->src), IP_DROP_MEMBERSHIP, multiaddr, iface);
}

/* UdpSocket::join_multicast_v6 — idl/udp_socket.yaml:207 */
int cmio_udp_socket_join_multicast_v6(cmio_udp_socket *sock, const struct in6_addr *multiaddr,
                                      uint32_t iface)
{
    if (sock == NULL || multiaddr == NULL)
        return -EINVAL;

    return cmio__multicast_v6(cmio__source_fd(&sock->src), IPV6_JOIN_GROUP, multiaddr, iface);
}

/* UdpSocket::leave_multicast_v6 — idl/udp_socket.yaml:216 */
int cmio_udp_socket_leave_multicast_v6(cmio_udp_socket *sock, const struct in6_addr *multiaddr,
                                       uint32_t iface)
{
    if (sock == NULL || multiaddr == NULL)
        return -EINVAL;

    return cmio__multicast_v6(cmio__source_fd(&sock->src), IPV6_LEAVE_GROUP, multiaddr, iface);
}

/* UdpSocket::only_v6 — idl/udp_socket.yaml:225 */
int cmio_udp_socket_only_v6(const cmio_udp_socket *sock, bool *enabled)
{
    if (sock == NULL || enabled == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&sock->src), IPPROTO_IPV6, IPV6_V6ONLY, &value);
    if (rc < 0)
        return rc;
    *enabled = value != 0;
    return 0;
}

/* UdpSocket::take_error — idl/udp_socket.yaml:233 */
int cmio_udp_socket_take_error(const cmio_udp_socket *sock, int *error)
{
    if (sock == NULL || error == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&sock->src), SOL_SOCKET, SO_ERROR, &value);
    if (rc < 0)
        return rc;
    *error = cmio__sys_error_code(value);
    return 0;
}

/* none (cmio extension) — idl/udp_socket.yaml:242 */
int cmio_udp_socket_send_batch(cmio_udp_socket *sock, const cmio_udp_msg *msgs, size_t count)
{
    if (sock == NULL || (msgs == NULL && count != 0))
        return -EINVAL;

    int rc;
    int n = cmio__udp_send_batch(cmio__source_fd(&sock->src), msgs, count, CMIO__SEND_FLAGS, &rc);
    (void)cmio__source_did_io(&sock->src, rc, CMIO_INTEREST_WRITABLE);
    return n;
}

/* none (cmio extension) — idl/udp_socket.yaml:258 */
int cmio_udp_socket_recv_batch(cmio_udp_socket *sock, cmio_udp_msg *msgs, size_t count)
{
    if (sock == NULL || (msgs == NULL && count != 0))
        return -EINVAL;

    int rc;
    int n = cmio__udp_recv_batch(cmio__source_fd(&sock->src), msgs, count, &rc);
    (void)cmio__source_did_io(&sock->src, rc, CMIO_INTEREST_READABLE);
    return n;
}

/* FromRawFd::from_raw_fd — idl/source.yaml:7 */
int cmio_udp_socket_from_fd(cmio_udp_socket *sock, int fd)
{
    if (sock == NULL)
        return -EINVAL;

    int rc = cmio__source_adopt(&sock->src, fd);
    if (rc == 0)
        rc = cmio__sockopt_set_int(cmio__source_fd(&sock->src), SOL_SOCKET, SO_NOSIGPIPE, 1);
    return rc;
}

/* AsRawFd::as_raw_fd — idl/source.yaml:19 */
int cmio_udp_socket_as_fd(const cmio_udp_socket *sock)
{
    if (sock == NULL)
        return -EINVAL;

    return cmio__source_fd(&sock->src) >= 0 ? cmio__source_fd(&sock->src) : -EBADF;
}

/* IntoRawFd::into_raw_fd — idl/source.yaml:26 */
int cmio_udp_socket_into_fd(cmio_udp_socket *sock)
{
    if (sock == NULL)
        return -EINVAL;

    cmio__handle sfd;
    int rc = cmio__source_release(&sock->src, &sfd);
    return rc < 0 ? rc : sfd;
}

/* Registry::register — idl/source.yaml:35 */
int cmio_udp_socket_register(cmio_udp_socket *sock, cmio_registry *registry, cmio_token token,
                             cmio_interest interest)
{
    if (sock == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_register(&sock->src, registry, token, interest);
}

/* Registry::reregister — idl/source.yaml:53 */
int cmio_udp_socket_reregister(cmio_udp_socket *sock, cmio_registry *registry, cmio_token token,
                               cmio_interest interest)
{
    if (sock == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_reregister(&sock->src, registry, token, interest);
}

/* Registry::deregister — idl/source.yaml:71 */
int cmio_udp_socket_deregister(cmio_udp_socket *sock, cmio_registry *registry)
{
    if (sock == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_deregister(&sock->src, registry);
}

/* Drop — idl/source.yaml:83 */
int cmio_udp_socket_close(cmio_udp_socket *sock)
{
    if (sock == NULL)
        return -EINVAL;

    return cmio__source_close(&sock->src);
}
