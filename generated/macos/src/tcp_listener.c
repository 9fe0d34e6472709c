/* SPDX-License-Identifier: MIT */
/* Generated from idl/tcp_listener.yaml by codegen/generate.py — do not edit. Platform: macos.
 * Change the IDL (or the template) and run `make generate`. */
#define _DARWIN_C_SOURCE
#include "sys.h"

#include <cmio/tcp_listener.h>

#include <limits.h>
#include <string.h>

/* TcpListener::bind — idl/tcp_listener.yaml:11 */
int cmio_tcp_listener_bind(cmio_tcp_listener *listener, const cmio_sockaddr *addr)
{
    if (listener == NULL || addr == NULL)
        return -EINVAL;

    int family = cmio__sockaddr_check(addr);
    if (family < 0)
        return family;
    const struct sockaddr *sa = &addr->u.sa;
    socklen_t salen = addr->len;
    cmio__handle sfd;
    int rc = cmio__sys_socket(&sfd, family, SOCK_STREAM);
    if (rc < 0)
        return rc;
    rc = cmio__sockopt_set_int(sfd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (rc < 0)
        goto fail;
    rc = cmio__sys_bind(sfd, sa, salen);
    if (rc < 0)
        goto fail;
    rc = cmio__sys_listen(sfd, 1024);
    if (rc < 0)
        goto fail;
    cmio__source_init(&listener->src, sfd);
    return 0;
fail:
    (void)cmio__sys_close(sfd);
    return rc;
}

/* TcpListener::accept — idl/tcp_listener.yaml:26 */
int cmio_tcp_listener_accept(cmio_tcp_listener *listener, cmio_tcp_stream *stream,
                             cmio_sockaddr *peer)
{
    if (listener == NULL || stream == NULL)
        return -EINVAL;

    /* Into local storage, always (wasi-libc's accept writes through a NULL address): *peer changes
     * only when a connection was accepted. */
    struct sockaddr_storage ss;
    socklen_t salen = sizeof(ss);
    cmio__handle sfd;
    int rc =
        cmio__sys_accept(&sfd, cmio__source_fd(&listener->src), (struct sockaddr *)&ss, &salen);
    if (rc < 0)
        return (int)cmio__source_did_io(&listener->src, rc, CMIO_INTEREST_READABLE);
    if (peer != NULL && cmio_sockaddr_from_sys(peer, (struct sockaddr *)&ss, salen) < 0)
        memset(peer, 0, sizeof(*peer));
    cmio__source_init(&stream->src, sfd);
    return 0;
}

/* TcpListener::local_addr — idl/tcp_listener.yaml:45 */
int cmio_tcp_listener_local_addr(const cmio_tcp_listener *listener, cmio_sockaddr *addr)
{
    if (listener == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname(cmio__source_fd(&listener->src), false, addr);
}

/* TcpListener::set_ttl — idl/tcp_listener.yaml:56 */
int cmio_tcp_listener_set_ttl(cmio_tcp_listener *listener, uint32_t ttl)
{
    if (listener == NULL)
        return -EINVAL;

    if (ttl > INT_MAX)
        return -EINVAL;
    return cmio__sockopt_set_int(cmio__source_fd(&listener->src), IPPROTO_IP, IP_TTL, (int)ttl);
}

/* TcpListener::ttl — idl/tcp_listener.yaml:66 */
int cmio_tcp_listener_ttl(const cmio_tcp_listener *listener, uint32_t *ttl)
{
    if (listener == NULL || ttl == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&listener->src), IPPROTO_IP, IP_TTL, &value);
    if (rc < 0)
        return rc;
    *ttl = (uint32_t)value;
    return 0;
}

/* TcpListener::take_error — idl/tcp_listener.yaml:77 */
int cmio_tcp_listener_take_error(const cmio_tcp_listener *listener, int *error)
{
    if (listener == NULL || error == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&listener->src), SOL_SOCKET, SO_ERROR, &value);
    if (rc < 0)
        return rc;
    *error = cmio__sys_error_code(value);
    return 0;
}

/* FromRawFd::from_raw_fd — idl/source.yaml:7 */
int cmio_tcp_listener_from_fd(cmio_tcp_listener *listener, int fd)
{
    if (listener == NULL)
        return -EINVAL;

    int rc = cmio__source_adopt(&listener->src, fd);
    if (rc == 0)
        rc = cmio__sockopt_set_int(cmio__source_fd(&listener->src), SOL_SOCKET, SO_NOSIGPIPE, 1);
    return rc;
}

/* AsRawFd::as_raw_fd — idl/source.yaml:19 */
int cmio_tcp_listener_as_fd(const cmio_tcp_listener *listener)
{
    if (listener == NULL)
        return -EINVAL;

    return cmio__source_fd(&listener->src) >= 0 ? cmio__source_fd(&listener->src) : -EBADF;
}

/* IntoRawFd::into_raw_fd — idl/source.yaml:26 */
int cmio_tcp_listener_into_fd(cmio_tcp_listener *listener)
{
    if (listener == NULL)
        return -EINVAL;

    cmio__handle sfd;
    int rc = cmio__source_release(&listener->src, &sfd);
    return rc < 0 ? rc : sfd;
}

/* Registry::register — idl/source.yaml:35 */
int cmio_tcp_listener_register(cmio_tcp_listener *listener, cmio_registry *registry,
                               cmio_token token, cmio_interest interest)
{
    if (listener == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_register(&listener->src, registry, token, interest);
}

/* Registry::reregister — idl/source.yaml:53 */
int cmio_tcp_listener_reregister(cmio_tcp_listener *listener, cmio_registry *registry,
                                 cmio_token token, cmio_interest interest)
{
    if (listener == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_reregister(&listener->src, registry, token, interest);
}

/* Registry::deregister — idl/source.yaml:71 */
int cmio_tcp_listener_deregister(cmio_tcp_listener *listener, cmio_registry *registry)
{
    if (listener == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_deregister(&listener->src, registry);
}

/* Drop — idl/source.yaml:83 */
int cmio_tcp_listener_close(cmio_tcp_listener *listener)
{
    if (listener == NULL)
        return -EINVAL;

    return cmio__source_close(&listener->src);
}
