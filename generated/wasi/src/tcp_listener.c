/* SPDX-License-Identifier: MIT */
/* Generated from idl/tcp_listener.yaml by codegen/generate.py — do not edit. Platform: wasi.
 * Change the IDL (or the template) and run `make generate`. */
#include "sys.h"

#include <cmio/tcp_listener.h>

#include <limits.h>
#include <string.h>

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

/* FromRawFd::from_raw_fd — idl/source.yaml:7 */
int cmio_tcp_listener_from_fd(cmio_tcp_listener *listener, int fd)
{
    if (listener == NULL)
        return -EINVAL;

    int rc = cmio__source_adopt(&listener->src, fd);
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
