/* SPDX-License-Identifier: MIT */
/* cmio — the state every socket type carries (mio's IoSource).
 *
 * Socket structs (cmio_tcp_stream, …) are small and caller-owned; each embeds a cmio_io_source.
 * Its fields are private: use the generated cmio_<type>_* functions.
 *
 * Ownership rules (every socket type):
 *   - An all-zero struct is empty (`= {0}`, static storage, calloc'd tables) and so is one set to
 *     CMIO_<TYPE>_INIT: every operation on it returns -EBADF and closing it touches no fd.
 *   - A socket struct is move-only: moving it (memcpy, assignment, then never using the old copy)
 *     is fine; using two copies of a registered socket — closing both, say — is a use-after-free.
 *   - Constructors and accept write their output struct only on success; on failure it is left
 *     untouched.
 */
#ifndef CMIO_IO_SOURCE_H
#define CMIO_IO_SOURCE_H

#include <cmio/common.h>
#include <cmio/poll.h>

CMIO_EXTERN_C_BEGIN

struct cmio_selector;

/* Private: what a socket handle is on this platform (platform.h's CMIO_HANDLE_*): an fd, or a
 * Winsock SOCKET. */
#if CMIO_HANDLE_SOCKET
typedef uintptr_t cmio__handle;
#else
typedef int cmio__handle;
#endif

typedef struct cmio_io_source {
    cmio__handle fd1;          /* the handle + 1; 0 = empty (an all-zero struct holds none) */
    bool rearm;                /* registered with a backend that re-arms after -EAGAIN (poll) */
    struct cmio_selector *sel; /* the selector it is registered with, or NULL */
} cmio_io_source;

/* Private: src's fd, -1 when src is empty (a system call on -1 fails with EBADF, so an empty
 * socket needs no test of its own on the I/O paths; on Windows -1 is INVALID_SOCKET). */
static inline cmio__handle cmio__source_fd(const cmio_io_source *src)
{
    return src->fd1 - 1;
}

/* Private, used by the inline fast paths of the generated headers: re-arms the direction `dir`
 * (CMIO_INTEREST_READABLE after a read-side operation, _WRITABLE after a write) of src's
 * registration after that operation returned -EAGAIN (only called when src->rearm). */
CMIO_API void cmio__source_would_block(cmio_io_source *src, cmio_interest dir);

/* Private: the result of a failed system call on src (errno holds the reason) as a negative
 * errno. On backends that re-arm, -EAGAIN re-arms direction `dir` first; on epoll this is one
 * compare. */
static inline ssize_t cmio__source_io_error(cmio_io_source *src, cmio_interest dir)
{
    int err = errno;
    if (err == EAGAIN && src->rearm)
        cmio__source_would_block(src, dir);
    return -(ssize_t)err;
}

CMIO_EXTERN_C_END

#endif /* CMIO_IO_SOURCE_H */
