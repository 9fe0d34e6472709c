/* cmio — the state every socket type carries (mio's IoSource).
 *
 * Socket structs (cmio_tcp_stream, …) are small and caller-owned; each embeds a cmio_io_source.
 * Its fields are private: use the generated cmio_<type>_* functions.
 */
#ifndef CMIO_IO_SOURCE_H
#define CMIO_IO_SOURCE_H

#include <cmio/common.h>
#include <cmio/poll.h>

CMIO_EXTERN_C_BEGIN

struct cmio_selector;

typedef struct cmio_io_source {
    int fd;                    /* -1 once closed or released */
    bool rearm;                /* registered with a backend that re-arms after -EAGAIN (poll) */
    struct cmio_selector *sel; /* the selector it is registered with, or NULL */
} cmio_io_source;

/* Private, used by the inline fast paths of the generated headers: re-arms src's registration
 * after an operation returned -EAGAIN (only called when src->rearm). */
CMIO_API void cmio__source_would_block(cmio_io_source *src);

/* Private: the result of a failed system call on src (errno holds the reason) as a negative
 * errno. On backends that re-arm, -EAGAIN re-arms first; on epoll this is one compare. */
static inline ssize_t cmio__source_io_error(cmio_io_source *src)
{
    int err = errno;
    if (err == EAGAIN && src->rearm)
        cmio__source_would_block(src);
    return -(ssize_t)err;
}

CMIO_EXTERN_C_END

#endif /* CMIO_IO_SOURCE_H */
