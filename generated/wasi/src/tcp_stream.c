/* SPDX-License-Identifier: MIT */
/* Generated from idl/tcp_stream.yaml by codegen/generate.py — do not edit. Platform: wasi.
 * Change the IDL (or the template) and run `make generate`. */
#include "sys.h"

#include <cmio/tcp_stream.h>

#include <limits.h>
#include <string.h>

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
