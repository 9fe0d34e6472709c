/* SPDX-License-Identifier: MIT */
/* cmio runtime — file descriptor helpers: flags, pipes. */
#include "internal.h"

#include <fcntl.h>
#include <unistd.h>

int cmio__fd_set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    if (flags & O_NONBLOCK)
        return 0;
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

int cmio__fd_set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0)
        return -errno;
    if (flags & FD_CLOEXEC)
        return 0;
    if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

#if CMIO_HAVE_THREADS || CMIO_WAKER_PIPE
/* Used by the poll(2) backend's notification pipe (only where threads exist) and the pipe waker;
 * wasi-libc has no pipe(). */
int cmio__fd_pipe(int p[2])
{
    if (pipe(p) < 0)
        return -errno;
    int r = 0;
    for (int i = 0; i < 2 && r == 0; i++) {
        r = cmio__fd_set_nonblock(p[i]);
        if (r == 0)
            r = cmio__fd_set_cloexec(p[i]);
    }
    if (r < 0) {
        close(p[0]);
        close(p[1]);
    }
    return r;
}
#endif
