/* SPDX-License-Identifier: MIT */
/* cmio runtime — Waker (mio's Waker): an fd registered READABLE under the waker's token that
 * cmio_waker_wake() makes readable from any thread. The kind (eventfd, pipe) comes from the
 * platform table, or CMIO_WAKER; each kind is one small file (waker_eventfd.c, waker_pipe.c).
 * A kind with `attach` (kqueue's EVFILT_USER, waker_kqueue.c) is an event of the selector itself:
 * no fd is opened, registered or closed for it.
 *
 * Wakes that arrive before the poll runs coalesce into one event. wake() is one write(2): it may be
 * called from a signal handler. On backends that re-arm (poll(2)) the waker is registered with the
 * internal CMIO__INTEREST_WAKER bit, so the backend keeps it armed and drains it when reported.
 * The waker holds a selector reference, so it stays valid after the poll that created it is freed.
 */
#include "internal.h"

#if CMIO_HAVE_WAKER

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cmio_waker {
    cmio_io_source src; /* the read end (the eventfd itself for eventfd) */
    int wfd;            /* the end wake() writes */
    const struct cmio_waker_ops *ops;
    cmio_token token; /* for wakers with attach (their trigger needs it) */
};

const struct cmio_waker_ops *cmio__waker(void)
{
    static const struct cmio_waker_ops *const kinds[] = {
#if CMIO_WAKER_EVENTFD
        &cmio__waker_eventfd,
#endif
#if CMIO_WAKER_PIPE
        &cmio__waker_pipe,
#endif
#if CMIO_WAKER_KQUEUE
        &cmio__waker_kqueue,
#endif
    };
    const char *want = getenv("CMIO_WAKER");
    if (want == NULL || *want == '\0')
        want = CMIO_DEFAULT_WAKER;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i]->name, want) == 0)
            return kinds[i];
    return NULL;
}

const char *cmio_waker_name(void)
{
    const struct cmio_waker_ops *ops = cmio__waker();
    return ops != NULL ? ops->name : "none";
}

int cmio_waker_new(cmio_waker **out, cmio_registry *registry, cmio_token token)
{
    if (out == NULL || registry == NULL)
        return -EINVAL;
    const struct cmio_waker_ops *ops = cmio__waker();
    if (ops == NULL)
        return -ENOTSUP; /* CMIO_WAKER names a waker this build does not have */
    cmio_waker *waker = malloc(sizeof *waker);
    if (waker == NULL)
        return -ENOMEM;
    waker->ops = ops;
    waker->token = token;
    struct cmio_selector *sel = registry->sel;
    int rfd;
    int r;
    if (ops->attach != NULL) {
        r = ops->attach(sel, token, &rfd, &waker->wfd);
        if (r < 0) {
            free(waker);
            return r;
        }
        cmio__source_init(&waker->src, rfd); /* not owned: cmio_waker_free() detaches */
        cmio__selector_ref(sel);
        waker->src.sel = sel; /* only to keep the selector alive */
        *out = waker;
        return 0;
    }
    r = ops->open(&rfd, &waker->wfd);
    if (r < 0) {
        free(waker);
        return r;
    }
    cmio__source_init(&waker->src, rfd);
    /* Registered directly (not through the user-facing checks) with the internal waker bit. */
    r = sel->be->add(sel, rfd, token,
                     CMIO_INTEREST_READABLE | CMIO__INTEREST_WAKER | CMIO__INTEREST_KNOWN);
    if (r < 0) {
        cmio_waker_free(waker);
        return r;
    }
    cmio__selector_ref(sel);
    waker->src.sel = sel;
    *out = waker;
    return 0;
}

int cmio_waker_wake(cmio_waker *waker)
{
    if (waker == NULL || !cmio__source_open(&waker->src))
        return -EINVAL;
    /* Only a write(2) (and, for a full pipe, reads), or one kevent(2): async-signal-safe on every
     * backend, since backends that re-arm keep a waker armed and drain it themselves. */
    if (waker->ops->attach != NULL)
        return waker->ops->trigger(cmio__source_fd(&waker->src), waker->wfd, waker->token);
    return waker->ops->wake(cmio__source_fd(&waker->src), waker->wfd);
}

void cmio_waker_free(cmio_waker *waker)
{
    if (waker == NULL)
        return;
    if (waker->ops->attach != NULL) {
        waker->ops->detach(cmio__source_fd(&waker->src), waker->wfd);
        cmio__selector_unref(waker->src.sel);
        free(waker);
        return;
    }
    int wfd = waker->wfd;
    bool own_wfd = wfd != cmio__source_fd(&waker->src);
    /* The registered read end goes first: closing a pipe's write end while its read end is still
     * registered makes it report POLLHUP to any thread polling meanwhile (on every poll, on the
     * poll(2) backend, where a waker stays armed). */
    (void)cmio__source_close(&waker->src); /* -EBADF when already empty: nothing to do */
    if (own_wfd && wfd >= 0)
        close(wfd);
    free(waker);
}

#endif /* CMIO_HAVE_WAKER */
