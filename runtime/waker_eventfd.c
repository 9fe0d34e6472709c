/* SPDX-License-Identifier: MIT */
/* cmio runtime — eventfd waker (Linux), as mio's src/sys/unix/waker/eventfd.rs: one fd, read and
 * written. It is never drained on epoll: every write is a new edge. */
#include "internal.h"

#if CMIO_WAKER_EVENTFD

#include <sys/eventfd.h>
#include <unistd.h>

static int eventfd_open(int *rfd, int *wfd)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    *rfd = *wfd = fd;
    return 0;
}

static int eventfd_wake(int rfd, int wfd)
{
    const uint64_t one = 1;
    for (;;) {
        if (write(wfd, &one, sizeof one) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        /* The counter would overflow: reset it and write again, as mio does. */
        uint64_t value;
        if (read(rfd, &value, sizeof value) < 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
    }
}

const struct cmio_waker_ops cmio__waker_eventfd = {
    .name = "eventfd",
    .open = eventfd_open,
    .wake = eventfd_wake,
};

#endif /* CMIO_WAKER_EVENTFD */
