/* SPDX-License-Identifier: MIT */
/* cmio runtime — kqueue waker (macOS, FreeBSD; libkqueue on Linux), as mio's kqueue Waker: an
 * EVFILT_USER event of the poll's own kqueue, EV_CLEAR, triggered with NOTE_TRIGGER. No fd at all:
 * a wake is one kevent() call (a system call on a kernel kqueue, so it may be called from a signal
 * handler there; libkqueue's kevent() takes locks, so on the Linux kqueue row it may not: see
 * test_wake_from_signal_handler in tests/test_waker.c).
 * Each waker has its own user-event identifier, so a poll may have several wakers (mio uses ident
 * 0 and allows one). Works only with the kqueue backend: -ENOTSUP with another one. */
#include "internal.h"

#if CMIO_WAKER_KQUEUE

#include <sys/types.h>
#include <sys/time.h>
#include <sys/event.h>

#if !CMIO_BACKEND_KQUEUE
#error "the kqueue waker needs the kqueue backend (platform table: backends)"
#endif

/* User-event identifiers: unique within the process, so within every kqueue. */
static atomic_uint cmio_kqueue_waker_next;

/* One EVFILT_USER change with EV_RECEIPT, so that its own error comes back (as mio does). */
static int kqueue_user(int kq, uintptr_t ident, unsigned short flags, unsigned int fflags,
                       cmio_token token)
{
    struct kevent kev;
    EV_SET(&kev, ident, EVFILT_USER, flags | EV_RECEIPT, fflags, 0, (void *)(uintptr_t)token);
    if (kevent(kq, &kev, 1, &kev, 1, NULL) < 0)
        return -errno;
    if ((kev.flags & EV_ERROR) && kev.data != 0)
        return -(int)kev.data;
    return 0;
}

static int kqueue_attach(struct cmio_selector *sel, cmio_token token, int *rfd, int *wfd)
{
    int kq = cmio__kqueue_fd(sel);
    if (kq < 0)
        return kq; /* not a kqueue selector */
    int ident = (int)(atomic_fetch_add_explicit(&cmio_kqueue_waker_next, 1, memory_order_relaxed) %
                      (unsigned)INT_MAX);
    int r = kqueue_user(kq, (uintptr_t)ident, EV_ADD | EV_CLEAR, 0, token);
    if (r < 0)
        return r;
    *rfd = kq;
    *wfd = ident;
    return 0;
}

static int kqueue_trigger(int kq, int ident, cmio_token token)
{
    /* No EV_ADD: a trigger only, so a deleted event answers ENOENT instead of coming back. The
     * token again: every change of a knote rewrites its udata (FreeBSD, macOS, libkqueue). */
    struct kevent kev;
    EV_SET(&kev, (uintptr_t)ident, EVFILT_USER, 0, NOTE_TRIGGER, 0, (void *)(uintptr_t)token);
    /* EINTR: the change has been applied (kevent(2)); the wake is not lost. */
    if (kevent(kq, &kev, 1, NULL, 0, NULL) < 0 && errno != EINTR)
        return -errno;
    return 0;
}

static void kqueue_detach(int kq, int ident)
{
    (void)kqueue_user(kq, (uintptr_t)ident, EV_DELETE, 0, 0);
}

const struct cmio_waker_ops cmio__waker_kqueue = {
    .name = "kqueue",
    .open = NULL,
    .wake = NULL,
    .attach = kqueue_attach,
    .trigger = kqueue_trigger,
    .detach = kqueue_detach,
};

#endif /* CMIO_WAKER_KQUEUE */
