/* SPDX-License-Identifier: MIT */
/* Generated from idl/unix_listener.yaml by codegen/generate.py — do not edit. Platform: macos.
 * Change the IDL (or the template) and run `make generate`. */
#define _DARWIN_C_SOURCE
#include "sys.h"

#include <cmio/unix_listener.h>

#include <limits.h>
#include <string.h>

/* UnixListener::bind — idl/unix_listener.yaml:12 */
int cmio_unix_listener_bind(cmio_unix_listener *listener, const char *path)
{
    if (listener == NULL || path == NULL)
        return -EINVAL;

    cmio_unix_addr ua;
    int family = cmio_unix_addr_from_pathname(&ua, path);
    if (family < 0)
        return family;
    family = AF_UNIX;
    const struct sockaddr *sa = (const struct sockaddr *)&ua.sun;
    socklen_t salen = ua.len;
    cmio__handle sfd;
    int rc = cmio__sys_socket(&sfd, family, SOCK_STREAM);
    if (rc < 0)
        return rc;
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

/* UnixListener::bind_addr — idl/unix_listener.yaml:24 */
int cmio_unix_listener_bind_addr(cmio_unix_listener *listener, const cmio_unix_addr *addr)
{
    if (listener == NULL || addr == NULL)
        return -EINVAL;

    int family = cmio__unix_addr_check(addr);
    if (family < 0)
        return family;
    const struct sockaddr *sa = (const struct sockaddr *)&addr->sun;
    socklen_t salen = addr->len;
    cmio__handle sfd;
    int rc = cmio__sys_socket(&sfd, family, SOCK_STREAM);
    if (rc < 0)
        return rc;
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

/* UnixListener::accept — idl/unix_listener.yaml:34 */
int cmio_unix_listener_accept(cmio_unix_listener *listener, cmio_unix_stream *stream,
                              cmio_unix_addr *peer)
{
    if (listener == NULL || stream == NULL)
        return -EINVAL;

    struct sockaddr_un sun;
    socklen_t salen = sizeof(sun);
    cmio__handle sfd;
    int rc =
        cmio__sys_accept(&sfd, cmio__source_fd(&listener->src), (struct sockaddr *)&sun, &salen);
    if (rc < 0)
        return (int)cmio__source_did_io(&listener->src, rc, CMIO_INTEREST_READABLE);
    if (peer != NULL && cmio_unix_addr_from_sys(peer, (struct sockaddr *)&sun, salen) < 0)
        (void)cmio_unix_addr_unnamed(peer);
    cmio__source_init(&stream->src, sfd);
    return 0;
}

/* UnixListener::local_addr — idl/unix_listener.yaml:44 */
int cmio_unix_listener_local_addr(const cmio_unix_listener *listener, cmio_unix_addr *addr)
{
    if (listener == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname_unix(cmio__source_fd(&listener->src), false, addr);
}

/* UnixListener::take_error — idl/unix_listener.yaml:52 */
int cmio_unix_listener_take_error(const cmio_unix_listener *listener, int *error)
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
int cmio_unix_listener_from_fd(cmio_unix_listener *listener, int fd)
{
    if (listener == NULL)
        return -EINVAL;

    int rc = cmio__source_adopt(&listener->src, fd);
    if (rc == 0)
        rc = cmio__sockopt_set_int(cmio__source_fd(&listener->src), SOL_SOCKET, SO_NOSIGPIPE, 1);
    return rc;
}

/* AsRawFd::as_raw_fd — idl/source.yaml:19 */
int cmio_unix_listener_as_fd(const cmio_unix_listener *listener)
{
    if (listener == NULL)
        return -EINVAL;

    return cmio__source_fd(&listener->src) >= 0 ? cmio__source_fd(&listener->src) : -EBADF;
}

/* IntoRawFd::into_raw_fd — idl/source.yaml:26 */
int cmio_unix_listener_into_fd(cmio_unix_listener *listener)
{
    if (listener == NULL)
        return -EINVAL;

    cmio__handle sfd;
    int rc = cmio__source_release(&listener->src, &sfd);
    return rc < 0 ? rc : sfd;
}

/* Registry::register — idl/source.yaml:35 */
int cmio_unix_listener_register(cmio_unix_listener *listener, cmio_registry *registry,
                                cmio_token token, cmio_interest interest)
{
    if (listener == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_register(&listener->src, registry, token, interest);
}

/* Registry::reregister — idl/source.yaml:53 */
int cmio_unix_listener_reregister(cmio_unix_listener *listener, cmio_registry *registry,
                                  cmio_token token, cmio_interest interest)
{
    if (listener == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_reregister(&listener->src, registry, token, interest);
}

/* Registry::deregister — idl/source.yaml:71 */
int cmio_unix_listener_deregister(cmio_unix_listener *listener, cmio_registry *registry)
{
    if (listener == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_deregister(&listener->src, registry);
}

/* Drop — idl/source.yaml:83 */
int cmio_unix_listener_close(cmio_unix_listener *listener)
{
    if (listener == NULL)
        return -EINVAL;

    return cmio__source_close(&listener->src);
}
