/* cmio runtime — Waker on an eventfd (Linux), as mio's src/sys/unix/waker/eventfd.rs.
 *
 * The eventfd is registered edge-triggered for READABLE and never drained: every write is a new
 * edge, and writes made before the poll runs coalesce into one event. The waker holds a
 * reference to the selector, so it stays valid (and wake() keeps succeeding) after the poll
 * that created it is freed.
 */
#include "internal.h"

#if CMIO_WAKER_EVENTFD

#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct cmio_waker {
    cmio_io_source src;
};

int cmio_waker_new(cmio_waker **out, cmio_registry *registry, cmio_token token)
{
    if (out == NULL || registry == NULL)
        return -EINVAL;
    cmio_waker *waker = malloc(sizeof *waker);
    if (waker == NULL)
        return -ENOMEM;
    waker->src.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    waker->src.sel = NULL;
    if (waker->src.fd < 0) {
        int err = errno;
        free(waker);
        return -err;
    }
    int r = cmio__source_register(&waker->src, registry, token, CMIO_INTEREST_READABLE);
    if (r < 0) {
        (void)cmio__source_close(&waker->src);
        free(waker);
        return r;
    }
    *out = waker;
    return 0;
}

/* Resets the counter to 0; -EAGAIN (already 0) is fine. */
static int cmio_waker_reset(int fd)
{
    uint64_t value;
    if (read(fd, &value, sizeof value) < 0 && errno != EAGAIN && errno != EINTR)
        return -errno;
    return 0;
}

int cmio_waker_wake(cmio_waker *waker)
{
    const uint64_t one = 1;

    if (waker == NULL || waker->src.fd < 0)
        return -EINVAL;
    for (;;) {
        if (write(waker->src.fd, &one, sizeof one) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        /* The counter would overflow: reset it and write again, as mio does. */
        int r = cmio_waker_reset(waker->src.fd);
        if (r < 0)
            return r;
    }
}

void cmio_waker_free(cmio_waker *waker)
{
    if (waker == NULL)
        return;
    (void)cmio__source_close(&waker->src);
    free(waker);
}

#endif /* CMIO_WAKER_EVENTFD */
