/* SPDX-License-Identifier: MIT */
/* Generated from idl/unix_stream.yaml by codegen/generate.py — do not edit. Platform: macos.
 * Change the IDL (or the template) and run `make generate`. */
#define _DARWIN_C_SOURCE
#include "sys.h"

#include <cmio/unix_stream.h>

#include <limits.h>
#include <string.h>

/* UnixStream::connect — idl/unix_stream.yaml:12 */
int cmio_unix_stream_connect(cmio_unix_stream *stream, const char *path)
{
    if (stream == NULL || path == NULL)
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
    /* Non-blocking: -EINPROGRESS means the connection goes on; a writable event tells the end. */
    rc = cmio__sys_connect(sfd, sa, salen);
    if (rc < 0 && rc != -EINPROGRESS)
        goto fail;
    cmio__source_init(&stream->src, sfd);
    return 0;
fail:
    (void)cmio__sys_close(sfd);
    return rc;
}

/* UnixStream::connect_addr — idl/unix_stream.yaml:24 */
int cmio_unix_stream_connect_addr(cmio_unix_stream *stream, const cmio_unix_addr *addr)
{
    if (stream == NULL || addr == NULL)
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
    /* Non-blocking: -EINPROGRESS means the connection goes on; a writable event tells the end. */
    rc = cmio__sys_connect(sfd, sa, salen);
    if (rc < 0 && rc != -EINPROGRESS)
        goto fail;
    cmio__source_init(&stream->src, sfd);
    return 0;
fail:
    (void)cmio__sys_close(sfd);
    return rc;
}

/* UnixStream::pair — idl/unix_stream.yaml:33 */
int cmio_unix_stream_pair(cmio_unix_stream *stream, cmio_unix_stream *other)
{
    if (stream == NULL || other == NULL)
        return -EINVAL;

    int sv[2];
    int rc = cmio__sys_socketpair(SOCK_STREAM, sv);
    if (rc < 0)
        return rc;
    cmio__source_init(&stream->src, sv[0]);
    cmio__source_init(&other->src, sv[1]);
    return 0;
}

/* UnixStream::local_addr — idl/unix_stream.yaml:41 */
int cmio_unix_stream_local_addr(const cmio_unix_stream *stream, cmio_unix_addr *addr)
{
    if (stream == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname_unix(cmio__source_fd(&stream->src), false, addr);
}

/* UnixStream::peer_addr — idl/unix_stream.yaml:49 */
int cmio_unix_stream_peer_addr(const cmio_unix_stream *stream, cmio_unix_addr *addr)
{
    if (stream == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname_unix(cmio__source_fd(&stream->src), true, addr);
}

/* UnixStream::take_error — idl/unix_stream.yaml:58 */
int cmio_unix_stream_take_error(const cmio_unix_stream *stream, int *error)
{
    if (stream == NULL || error == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&stream->src), SOL_SOCKET, SO_ERROR, &value);
    if (rc < 0)
        return rc;
    *error = cmio__sys_error_code(value);
    return 0;
}

/* UnixStream::shutdown — idl/unix_stream.yaml:65 */
int cmio_unix_stream_shutdown(cmio_unix_stream *stream, cmio_shutdown how)
{
    if (stream == NULL)
        return -EINVAL;

    int how_ = cmio__shutdown_how(how);
    if (how_ < 0)
        return how_;
    return cmio__sys_shutdown(cmio__source_fd(&stream->src), how_);
}

/* UnixStream::read — idl/unix_stream.yaml:72 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_unix_stream_read)(cmio_unix_stream *stream, void *buf, size_t len)
{
    return cmio__unix_stream_read(stream, buf, len);
}

/* UnixStream::write — idl/unix_stream.yaml:81 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_unix_stream_write)(cmio_unix_stream *stream, const void *buf, size_t len)
{
    return cmio__unix_stream_write(stream, buf, len);
}

/* UnixStream::readv — idl/unix_stream.yaml:90 */
ssize_t cmio_unix_stream_readv(cmio_unix_stream *stream, const struct iovec *iov, int iovcnt)
{
    if (stream == NULL || (iov == NULL && iovcnt != 0))
        return -EINVAL;
    if (iovcnt < 0 || iovcnt > cmio__sys_iov_max())
        return -EINVAL;

    ssize_t n = cmio__sys_readv(cmio__source_fd(&stream->src), iov, iovcnt);
    return cmio__source_did_io(&stream->src, n, CMIO_INTEREST_READABLE);
}

/* UnixStream::writev — idl/unix_stream.yaml:99 */
ssize_t cmio_unix_stream_writev(cmio_unix_stream *stream, const struct iovec *iov, int iovcnt)
{
    if (stream == NULL || (iov == NULL && iovcnt != 0))
        return -EINVAL;
    if (iovcnt < 0 || iovcnt > cmio__sys_iov_max())
        return -EINVAL;

    ssize_t n = cmio__sys_writev(cmio__source_fd(&stream->src), iov, iovcnt, CMIO__SEND_FLAGS);
    return cmio__source_did_io(&stream->src, n, CMIO_INTEREST_WRITABLE);
}

/* none (cmio extension) — idl/unix_stream.yaml:108 */
ssize_t cmio_unix_stream_send_fds(cmio_unix_stream *stream, const void *buf, size_t len,
                                  const int *fds, size_t nfds)
{
    if (stream == NULL || (buf == NULL && len != 0) || (fds == NULL && nfds != 0))
        return -EINVAL;

    ssize_t n =
        cmio__send_fds(cmio__source_fd(&stream->src), buf, len, fds, nfds, CMIO__SEND_FLAGS);
    return cmio__source_did_io(&stream->src, n, CMIO_INTEREST_WRITABLE);
}

/* none (cmio extension) — idl/unix_stream.yaml:121 */
ssize_t cmio_unix_stream_recv_fds(cmio_unix_stream *stream, void *buf, size_t len, cmio_fd_buf *fds)
{
    if (stream == NULL || fds == NULL || (buf == NULL && len != 0))
        return -EINVAL;

    ssize_t n = cmio__recv_fds(cmio__source_fd(&stream->src), buf, len, fds);
    return cmio__source_did_io(&stream->src, n, CMIO_INTEREST_READABLE);
}

/* none (std's UnixStream::peer_cred) — idl/unix_stream.yaml:134 */
int cmio_unix_stream_peer_cred(const cmio_unix_stream *stream, cmio_peer_cred *cred)
{
    if (stream == NULL || cred == NULL)
        return -EINVAL;

    return cmio__peer_cred(cmio__source_fd(&stream->src), cred);
}

/* FromRawFd::from_raw_fd — idl/source.yaml:7 */
int cmio_unix_stream_from_fd(cmio_unix_stream *stream, int fd)
{
    if (stream == NULL)
        return -EINVAL;

    int rc = cmio__source_adopt(&stream->src, fd);
    if (rc == 0)
        rc = cmio__sockopt_set_int(cmio__source_fd(&stream->src), SOL_SOCKET, SO_NOSIGPIPE, 1);
    return rc;
}

/* AsRawFd::as_raw_fd — idl/source.yaml:19 */
int cmio_unix_stream_as_fd(const cmio_unix_stream *stream)
{
    if (stream == NULL)
        return -EINVAL;

    return cmio__source_fd(&stream->src) >= 0 ? cmio__source_fd(&stream->src) : -EBADF;
}

/* IntoRawFd::into_raw_fd — idl/source.yaml:26 */
int cmio_unix_stream_into_fd(cmio_unix_stream *stream)
{
    if (stream == NULL)
        return -EINVAL;

    cmio__handle sfd;
    int rc = cmio__source_release(&stream->src, &sfd);
    return rc < 0 ? rc : sfd;
}

/* Registry::register — idl/source.yaml:35 */
int cmio_unix_stream_register(cmio_unix_stream *stream, cmio_registry *registry, cmio_token token,
                              cmio_interest interest)
{
    if (stream == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_register(&stream->src, registry, token, interest);
}

/* Registry::reregister — idl/source.yaml:53 */
int cmio_unix_stream_reregister(cmio_unix_stream *stream, cmio_registry *registry, cmio_token token,
                                cmio_interest interest)
{
    if (stream == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_reregister(&stream->src, registry, token, interest);
}

/* Registry::deregister — idl/source.yaml:71 */
int cmio_unix_stream_deregister(cmio_unix_stream *stream, cmio_registry *registry)
{
    if (stream == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_deregister(&stream->src, registry);
}

/* Drop — idl/source.yaml:83 */
int cmio_unix_stream_close(cmio_unix_stream *stream)
{
    if (stream == NULL)
        return -EINVAL;

    return cmio__source_close(&stream->src);
}
