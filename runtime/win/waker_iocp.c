/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — Waker (mio's src/sys/windows/waker.rs): cmio_waker_wake() posts a
 * completion packet to the poll's completion port (PostQueuedCompletionStatus); the AFD backend
 * reports it as a readable event with the waker's token. No socket, no handle of its own.
 *
 * Wakes coalesce: `posted` is set by the wake that posts a packet, and cleared when the poll
 * dequeues it, so wakes that arrive before the poll runs give one event. A packet still queued
 * when the waker is freed names a freed waker: the waker is then only marked dead, and released
 * by whoever dequeues the packet (the next poll, or the selector when it is freed).
 */
#include "win/nt.h"

#include <stdlib.h>
#include <string.h>

#if CMIO_WAKER_IOCP

struct cmio_waker {
    struct cmio_selector *sel; /* one reference held */
    cmio_token token;
    atomic_bool posted; /* a packet of this waker is queued */
    bool dead;          /* freed by the user while posted (selector lock) */
};

OVERLAPPED cmio__waker_packet_tag;

/* The waker kind this process uses: iocp, unless CMIO_WAKER names another (then none). */
static bool cmio_waker_chosen(void)
{
    const char *want = getenv("CMIO_WAKER");
    return want == NULL || *want == '\0' || strcmp(want, "iocp") == 0;
}

const char *cmio_waker_name(void)
{
    return cmio_waker_chosen() ? "iocp" : "none";
}

int cmio_waker_new(cmio_waker **out, cmio_registry *registry, cmio_token token)
{
    if (out == NULL || registry == NULL)
        return -EINVAL;
    if (!cmio_waker_chosen() || registry->sel->be != &cmio__backend_afd)
        return -ENOTSUP;
    cmio_waker *w = malloc(sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    w->sel = registry->sel;
    w->token = token;
    atomic_init(&w->posted, false);
    w->dead = false;
    cmio__selector_ref(w->sel);
    *out = w;
    return 0;
}

int cmio_waker_wake(cmio_waker *waker)
{
    if (waker == NULL)
        return -EINVAL;
    if (atomic_exchange_explicit(&waker->posted, true, memory_order_acq_rel))
        return 0; /* a packet is queued already: this wake joins it */
    if (!PostQueuedCompletionStatus(cmio__afd_port(waker->sel), 0, (ULONG_PTR)waker,
                                    &cmio__waker_packet_tag)) {
        int r = cmio__last_error();
        atomic_store_explicit(&waker->posted, false, memory_order_release);
        return r;
    }
    return 0;
}

bool cmio__waker_iocp_packet(ULONG_PTR key, cmio_token *token)
{
    cmio_waker *w = (cmio_waker *)key;
    if (w->dead) {
        free(w);
        return false;
    }
    /* Cleared before the event is seen: a wake from now on posts again. */
    atomic_store_explicit(&w->posted, false, memory_order_release);
    *token = w->token;
    return true;
}

void cmio_waker_free(cmio_waker *waker)
{
    if (waker == NULL)
        return;
    struct cmio_selector *sel = waker->sel;
    cmio__afd_lock(sel);
    if (atomic_load_explicit(&waker->posted, memory_order_acquire))
        waker->dead = true; /* its packet frees it; do not touch it after the unlock */
    else
        free(waker);
    cmio__afd_unlock(sel);
    cmio__selector_unref(sel);
}

#endif /* CMIO_WAKER_IOCP */
