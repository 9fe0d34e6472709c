/* SPDX-License-Identifier: MIT */
/* Generated from idl/unix_datagram.yaml by codegen/generate.py — do not edit. Platform: netbsd.
 * Change the IDL (or the template) and run `make generate`. */
#define _NETBSD_SOURCE
#include "sys.h"

#include <cmio/unix_datagram.h>

#include <limits.h>
#include <string.h>

/* UnixDatagram::bind — idl/unix_datagram.yaml:12 */
int cmio_unix_datagram_bind(cmio_unix_datagram *sock, const char *path)
{
    if (sock == NULL || path == NULL)
        return -EINVAL;

    cmio_unix_addr ua;
    int family = cmio_unix_addr_from_pathname(&ua, path);
    if (family < 0)
        return family;
    family = AF_UNIX;
    const struct sockaddr *sa = (const struct sockaddr *)&ua.sun;
    socklen_t salen = ua.len;
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

/* UnixDatagram::bind_addr — idl/unix_datagram.yaml:21 */
int cmio_unix_datagram_bind_addr(cmio_unix_datagram *sock, const cmio_unix_addr *addr)
{
    if (sock == NULL || addr == NULL)
        return -EINVAL;

    int family = cmio__unix_addr_check(addr);
    if (family < 0)
        return family;
    const struct sockaddr *sa = (const struct sockaddr *)&addr->sun;
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

/* UnixDatagram::unbound — idl/unix_datagram.yaml:30 */
int cmio_unix_datagram_unbound(cmio_unix_datagram *sock)
{
    if (sock == NULL)
        return -EINVAL;

    cmio__handle sfd;
    int rc = cmio__sys_socket(&sfd, AF_UNIX, SOCK_DGRAM);
    if (rc < 0)
        return rc;
    cmio__source_init(&sock->src, sfd);
    return 0;
}

/* UnixDatagram::pair — idl/unix_datagram.yaml:36 */
int cmio_unix_datagram_pair(cmio_unix_datagram *sock, cmio_unix_datagram *other)
{
    if (sock == NULL || other == NULL)
        return -EINVAL;

    int sv[2];
    int rc = cmio__sys_socketpair(SOCK_DGRAM, sv);
    if (rc < 0)
        return rc;
    cmio__source_init(&sock->src, sv[0]);
    cmio__source_init(&other->src, sv[1]);
    return 0;
}

/* UnixDatagram::connect — idl/unix_datagram.yaml:44 */
int cmio_unix_datagram_connect(cmio_unix_datagram *sock, const char *path)
{
    if (sock == NULL || path == NULL)
        return -EINVAL;

    cmio_unix_addr ua;
    int family = cmio_unix_addr_from_pathname(&ua, path);
    if (family < 0)
        return family;
    family = AF_UNIX;
    const struct sockaddr *sa = (const struct sockaddr *)&ua.sun;
    socklen_t salen = ua.len;
    (void)family;
    return cmio__sys_connect(cmio__source_fd(&sock->src), sa, salen);
}

/* UnixDatagram::local_addr — idl/unix_datagram.yaml:51 */
int cmio_unix_datagram_local_addr(const cmio_unix_datagram *sock, cmio_unix_addr *addr)
{
    if (sock == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname_unix(cmio__source_fd(&sock->src), false, addr);
}

/* UnixDatagram::peer_addr — idl/unix_datagram.yaml:59 */
int cmio_unix_datagram_peer_addr(const cmio_unix_datagram *sock, cmio_unix_addr *addr)
{
    if (sock == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname_unix(cmio__source_fd(&sock->src), true, addr);
}

/* UnixDatagram::recv_from — idl/unix_datagram.yaml:68 */
ssize_t cmio_unix_datagram_recv_from(cmio_unix_datagram *sock, void *buf, size_t len,
                                     cmio_unix_addr *source)
{
    if (sock == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    struct sockaddr_un sun;
    socklen_t salen = sizeof(sun);
    ssize_t n = cmio__sys_recvfrom(cmio__source_fd(&sock->src), buf, len, 0,
                                   (struct sockaddr *)&sun, &salen);
    if (n >= 0 && source != NULL &&
        cmio_unix_addr_from_sys(source, (struct sockaddr *)&sun, salen) < 0)
        (void)cmio_unix_addr_unnamed(source);
    return cmio__source_did_io(&sock->src, n, CMIO_INTEREST_READABLE);
}

/* UnixDatagram::recv — idl/unix_datagram.yaml:78 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_unix_datagram_recv)(cmio_unix_datagram *sock, void *buf, size_t len)
{
    return cmio__unix_datagram_recv(sock, buf, len);
}

/* UnixDatagram::send_to — idl/unix_datagram.yaml:87 */
ssize_t cmio_unix_datagram_send_to(cmio_unix_datagram *sock, const void *buf, size_t len,
                                   const char *path)
{
    if (sock == NULL || path == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    cmio_unix_addr ua;
    int family = cmio_unix_addr_from_pathname(&ua, path);
    if (family < 0)
        return family;
    family = AF_UNIX;
    const struct sockaddr *sa = (const struct sockaddr *)&ua.sun;
    socklen_t salen = ua.len;
    (void)family;
    ssize_t n =
        cmio__sys_sendto(cmio__source_fd(&sock->src), buf, len, CMIO__SEND_FLAGS, sa, salen);
    return cmio__source_did_io(&sock->src, n, CMIO_INTEREST_WRITABLE);
}

/* UnixDatagram::send — idl/unix_datagram.yaml:97 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_unix_datagram_send)(cmio_unix_datagram *sock, const void *buf, size_t len)
{
    return cmio__unix_datagram_send(sock, buf, len);
}

/* UnixDatagram::take_error — idl/unix_datagram.yaml:106 */
int cmio_unix_datagram_take_error(const cmio_unix_datagram *sock, int *error)
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

/* UnixDatagram::shutdown — idl/unix_datagram.yaml:113 */
int cmio_unix_datagram_shutdown(cmio_unix_datagram *sock, cmio_shutdown how)
{
    if (sock == NULL)
        return -EINVAL;

    int how_ = cmio__shutdown_how(how);
    if (how_ < 0)
        return how_;
    return cmio__sys_shutdown(cmio__source_fd(&sock->src), how_);
}

/* none (cmio extension) — idl/unix_datagram.yaml:120 */
ssize_t cmio_unix_datagram_send_fds(cmio_unix_datagram *sock, const void *buf, size_t len,
                                    const int *fds, size_t nfds)
{
    if (sock == NULL || (buf == NULL && len != 0) || (fds == NULL && nfds != 0))
        return -EINVAL;

    ssize_t n = cmio__send_fds(cmio__source_fd(&sock->src), buf, len, fds, nfds, CMIO__SEND_FLAGS);
    return cmio__source_did_io(&sock->src, n, CMIO_INTEREST_WRITABLE);
}

/* none (cmio extension) — idl/unix_datagram.yaml:133 */
ssize_t cmio_unix_datagram_recv_fds(cmio_unix_datagram *sock, void *buf, size_t len,
                                    cmio_fd_buf *fds)
{
    if (sock == NULL || fds == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = cmio__recv_fds(cmio__source_fd(&sock->src), buf, len, fds);
    return cmio__source_did_io(&sock->src, n, CMIO_INTEREST_READABLE);
}

/* FromRawFd::from_raw_fd — idl/source.yaml:7 */
int cmio_unix_datagram_from_fd(cmio_unix_datagram *sock, int fd)
{
    if (sock == NULL)
        return -EINVAL;

    int rc = cmio__source_adopt(&sock->src, fd);
    return rc;
}

/* AsRawFd::as_raw_fd — idl/source.yaml:19 */
int cmio_unix_datagram_as_fd(const cmio_unix_datagram *sock)
{
    if (sock == NULL)
        return -EINVAL;

    return cmio__source_fd(&sock->src) >= 0 ? cmio__source_fd(&sock->src) : -EBADF;
}

/* IntoRawFd::into_raw_fd — idl/source.yaml:26 */
int cmio_unix_datagram_into_fd(cmio_unix_datagram *sock)
{
    if (sock == NULL)
        return -EINVAL;

    cmio__handle sfd;
    int rc = cmio__source_release(&sock->src, &sfd);
    return rc < 0 ? rc : sfd;
}

/* Registry::register — idl/source.yaml:35 */
int cmio_unix_datagram_register(cmio_unix_datagram *sock, cmio_registry *registry, cmio_token token,
                                cmio_interest interest)
{
    if (sock == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_register(&sock->src, registry, token, interest);
}

/* Registry::reregister — idl/source.yaml:53 */
int cmio_unix_datagram_reregister(cmio_unix_datagram *sock, cmio_registry *registry,
                                  cmio_token token, cmio_interest interest)
{
    if (sock == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_reregister(&sock->src, registry, token, interest);
}

/* Registry::deregister — idl/source.yaml:71 */
int cmio_unix_datagram_deregister(cmio_unix_datagram *sock, cmio_registry *registry)
{
    if (sock == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_deregister(&sock->src, registry);
}

/* Drop — idl/source.yaml:83 */
int cmio_unix_datagram_close(cmio_unix_datagram *sock)
{
    if (sock == NULL)
        return -EINVAL;

    return cmio__source_close(&sock->src);
}
