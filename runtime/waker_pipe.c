/* SPDX-License-Identifier: MIT */
/* cmio runtime — pipe waker, as mio's src/sys/unix/waker/pipe.rs, for platforms without eventfd.
 * Both ends are non-blocking: a full pipe neither blocks the waker nor loses the wake (it is
 * drained, then written again; a full pipe is readable anyway). */
#include "internal.h"

#if CMIO_WAKER_PIPE

#include <unistd.h>

static int pipe_open(int *rfd, int *wfd)
{
    int p[2];
    int r = cmio__fd_pipe(p);
    if (r < 0)
        return r;
    *rfd = p[0];
    *wfd = p[1];
    return 0;
}

static int pipe_wake(int rfd, int wfd)
{
    const char b = 1;
    for (;;) {
        if (write(wfd, &b, 1) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        /* Full: empty it, so that the next write is a new edge for epoll, and write again. */
        char buf[512];
        while (read(rfd, buf, sizeof buf) > 0) {
        }
    }
}

const struct cmio_waker_ops cmio__waker_pipe = {
    .name = "pipe",
    .open = pipe_open,
    .wake = pipe_wake,
};

#endif /* CMIO_WAKER_PIPE */
