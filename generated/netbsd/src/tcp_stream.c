/* SPDX-License-Identifier: MIT */
/* Generated from idl/tcp_stream.yaml by codegen/generate.py — do not edit. Platform: netbsd.
 * Change the IDL (or the template) and run `make generate`. */
#define _NETBSD_SOURCE
#include "sys.h"

#include <cmio/tcp_stream.h>

#include <limits.h>
#include <string.h>

/* TcpStream::connect — idl/tcp_stream.yaml:11 */
int cmio_tcp_stream_connect(cmio_tcp_stream *stream, const cmio_sockaddr *addr)
{
    if (stream == NULL || addr == NULL)
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

/* TcpStream::peer_addr — idl/tcp_stream.yaml:27 */
int cmio_tcp_stream_peer_addr(const cmio_tcp_stream *stream, cmio_sockaddr *addr)
{
    if (stream == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname(cmio__source_fd(&stream->src), true, addr);
}

/* TcpStream::local_addr — idl/tcp_stream.yaml:39 */
int cmio_tcp_stream_local_addr(const cmio_tcp_stream *stream, cmio_sockaddr *addr)
{
    if (stream == NULL || addr == NULL)
        return -EINVAL;

    return cmio__getname(cmio__source_fd(&stream->src), false, addr);
}

/* TcpStream::shutdown — idl/tcp_stream.yaml:50 */
int cmio_tcp_stream_shutdown(cmio_tcp_stream *stream, cmio_shutdown how)
{
    if (stream == NULL)
        return -EINVAL;

    int how_ = cmio__shutdown_how(how);
    if (how_ < 0)
        return how_;
    return cmio__sys_shutdown(cmio__source_fd(&stream->src), how_);
}

/* TcpStream::set_nodelay — idl/tcp_stream.yaml:59 */
int cmio_tcp_stream_set_nodelay(cmio_tcp_stream *stream, bool nodelay)
{
    if (stream == NULL)
        return -EINVAL;

    return cmio__sockopt_set_int(cmio__source_fd(&stream->src), IPPROTO_TCP, TCP_NODELAY,
                                 nodelay ? 1 : 0);
}

/* TcpStream::nodelay — idl/tcp_stream.yaml:69 */
int cmio_tcp_stream_nodelay(const cmio_tcp_stream *stream, bool *nodelay)
{
    if (stream == NULL || nodelay == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&stream->src), IPPROTO_TCP, TCP_NODELAY, &value);
    if (rc < 0)
        return rc;
    *nodelay = value != 0;
    return 0;
}

/* TcpStream::set_ttl — idl/tcp_stream.yaml:80 */
int cmio_tcp_stream_set_ttl(cmio_tcp_stream *stream, uint32_t ttl)
{
    if (stream == NULL)
        return -EINVAL;

    if (ttl > INT_MAX)
        return -EINVAL;
    return cmio__sockopt_set_int(cmio__source_fd(&stream->src), IPPROTO_IP, IP_TTL, (int)ttl);
}

/* TcpStream::ttl — idl/tcp_stream.yaml:90 */
int cmio_tcp_stream_ttl(const cmio_tcp_stream *stream, uint32_t *ttl)
{
    if (stream == NULL || ttl == NULL)
        return -EINVAL;

    int value;
    int rc = cmio__sockopt_get_int(cmio__source_fd(&stream->src), IPPROTO_IP, IP_TTL, &value);
    if (rc < 0)
        return rc;
    *ttl = (uint32_t)value;
    return 0;
}

/* TcpStream::take_error — idl/tcp_stream.yaml:101 */
int cmio_tcp_stream_take_error(const cmio_tcp_stream *stream, int *error)
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

/* TcpStream::peek — idl/tcp_stream.yaml:114 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_tcp_stream_peek)(cmio_tcp_stream *stream, void *buf, size_t len)
{
    return cmio__tcp_stream_peek(stream, buf, len);
}

/* TcpStream::read — idl/tcp_stream.yaml:128 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_tcp_stream_read)(cmio_tcp_stream *stream, void *buf, size_t len)
{
    return cmio__tcp_stream_read(stream, buf, len);
}

/* TcpStream::write — idl/tcp_stream.yaml:142 */
/* The body is the header's inline fast path (parenthesised name: not the macro). */
ssize_t(cmio_tcp_stream_write)(cmio_tcp_stream *stream, const void *buf, size_t len)
{
    return cmio__tcp_stream_write(stream, buf, len);
}

/* TcpStream::readv — idl/tcp_stream.yaml:155 */
ssize_t cmio_tcp_stream_readv(cmio_tcp_stream *stream, const struct iovec *iov, int iovcnt)
{
    if (stream == NULL || (iov == NULL && iovcnt != 0))
        return -EINVAL;
    if (iovcnt < 0 || iovcnt > cmio__sys_iov_max())
        return -EINVAL;

    ssize_t n = cmio__sys_readv(cmio__source_fd(&stream->src), iov, iovcnt);
    return cmio__source_did_io(&stream->src, n, CMIO_INTEREST_READABLE);
}

/* TcpStream::writev — idl/tcp_stream.yaml:167 */
ssize_t cmio_tcp_stream_writev(cmio_tcp_stream *stream, const struct iovec *iov, int iovcnt)
{
    if (stream == NULL || (iov == NULL && iovcnt != 0))
        return -EINVAL;
    if (iovcnt < 0 || iovcnt > cmio__sys_iov_max())
        return -EINVAL;

    ssize_t n = cmio__sys_writev(cmio__source_fd(&stream->src), iov, iovcnt, CMIO__SEND_FLAGS);
    return cmio__source_did_io(&stream->src, n, CMIO_INTEREST_WRITABLE);
}

/* FromRawFd::from_raw_fd — idl/source.yaml:7 */
int cmio_tcp_stream_from_fd(cmio_tcp_stream *stream, int fd)
{
    if (stream == NULL)
        return -EINVAL;

    int rc = cmio__source_adopt(&stream->src, fd);
    return rc;
}

/* AsRawFd::as_raw_fd — idl/source.yaml:19 */
int cmio_tcp_stream_as_fd(const cmio_tcp_stream *stream)
{
    if (stream == NULL)
        return -EINVAL;

    return cmio__source_fd(&stream->src) >= 0 ? cmio__source_fd(&stream->src) : -EBADF;
}

/* IntoRawFd::into_raw_fd — idl/source.yaml:26 */
int cmio_tcp_stream_into_fd(cmio_tcp_stream *stream)
{
    if (stream == NULL)
        return -EINVAL;

    cmio__handle sfd;
    int rc = cmio__source_release(&stream->src, &sfd);
    return rc < 0 ? rc : sfd;
}

/* Registry::register — idl/source.yaml:35 */
int cmio_tcp_stream_register(cmio_tcp_stream *stream, cmio_registry *registry, cmio_token token,
                             cmio_interest interest)
{
    if (stream == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_register(&stream->src, registry, token, interest);
}

/* Registry::reregister — idl/source.yaml:53 */
int cmio_tcp_stream_reregister(cmio_tcp_stream *stream, cmio_registry *registry, cmio_token token,
                               cmio_interest interest)
{
    if (stream == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_reregister(&stream->src, registry, token, interest);
}

/* Registry::deregister — idl/source.yaml:71 */
int cmio_tcp_stream_deregister(cmio_tcp_stream *stream, cmio_registry *registry)
{
    if (stream == NULL || registry == NULL)
        return -EINVAL;

    return cmio__source_deregister(&stream->src, registry);
}

/* Drop — idl/source.yaml:83 */
int cmio_tcp_stream_close(cmio_tcp_stream *stream)
{
    if (stream == NULL)
        return -EINVAL;

    return cmio__source_close(&stream->src);
}
