/* SPDX-License-Identifier: MIT */
/* cmio runtime — the kqueue backend (macOS, FreeBSD, NetBSD, OpenBSD; libkqueue on Linux).
 *
 * Modelled on mio's src/sys/unix/selector/kqueue.rs. A registration is one EVFILT_READ and/or one
 * EVFILT_WRITE knote per fd, both EV_CLEAR: edge-triggered natively, so nothing is ever re-armed
 * (rearm is NULL). Every registration change is one kevent() call whose changes all carry
 * EV_RECEIPT, so that each filter's own error comes back in its receipt; deregister deletes both
 * filters and ignores ENOENT for the one that was never added, and EPIPE (an old macOS answer for
 * a pipe whose other end is gone, tokio-rs/mio#582) is ignored as mio does. The token travels in
 * udata. Timeouts go to kevent() as they are, in nanoseconds.
 *
 * Each kevent is one event (a socket registered for both directions may give two events with the
 * same token in one poll, as in mio). kevent() writes into the caller's cmio_events buffer, which
 * is allocated with room for a struct kevent per slot; select() then translates each kevent, in
 * place and in order, into the event bits that events.c reads (internal.h, CMIO__EV_KQUEUE): no
 * copy, no allocation per event.
 *
 * kqueue itself neither refuses a second EV_ADD (it modifies the knote) nor a modify of a filter
 * it does not have (EV_ADD adds it). For the raw-fd API to answer -EEXIST and -ENOENT as on every
 * other backend, the selector keeps one bit per fd ("registered here"), guarded by a mutex that is
 * held across the kevent() call: one bit per fd, grown by doubling, never per registration. Like
 * epoll, regular files and directories are refused with -EPERM (kqueue would report them ready).
 */
#include "internal.h"

#if CMIO_BACKEND_KQUEUE

#if !CMIO_HANDLE_FD
#error "the kqueue backend polls fds (platform table: handle: fd)"
#endif

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/time.h>
#include <sys/event.h>
#include <unistd.h>

struct cmio_kqueue_selector {
    struct cmio_selector base; /* first member: the generic code sees only this */
    int kq;
    pthread_mutex_t lock; /* guards regd/capfd and orders registration changes */
    unsigned char *regd;  /* bit fd: fd is registered with this selector */
    size_t capfd;         /* fds that regd has room for (a multiple of 8) */
};

#define KQ(s) ((struct cmio_kqueue_selector *)(s))

/* select() lets kevent() fill the events buffer, then rewrites it in place: each translated event
 * must fit in the space of the kevent it comes from (events.c allocates kevent-sized slots). */
_Static_assert(sizeof(cmio__sys_event) <= sizeof(struct kevent),
               "a translated event must fit where its kevent was");

int cmio__kqueue_fd(struct cmio_selector *sel)
{
    return sel->be == &cmio__backend_kqueue ? KQ(sel)->kq : -ENOTSUP;
}

static int kq_create(struct cmio_selector **out)
{
    struct cmio_kqueue_selector *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->kq = kqueue();
    if (s->kq < 0) {
        int err = errno;
        free(s);
        return -err;
    }
    /* kqueue() has no close-on-exec flag everywhere (kqueue1/kqueuex are not portable): mio sets
     * it with fcntl too. */
    int r = cmio__fd_set_cloexec(s->kq);
    if (r == 0)
        r = -pthread_mutex_init(&s->lock, NULL);
    if (r < 0) {
        close(s->kq);
        free(s);
        return r;
    }
    s->base.be = &cmio__backend_kqueue;
    atomic_init(&s->base.refs, 1);
    *out = &s->base;
    return 0;
}

static void kq_destroy(struct cmio_selector *sel)
{
    struct cmio_kqueue_selector *s = KQ(sel);
    close(s->kq);
    pthread_mutex_destroy(&s->lock);
    free(s->regd);
    free(s);
}

/* ---- the registered-fd bits (lock held) ----------------------------------------------------- */

static bool kq_is_registered(const struct cmio_kqueue_selector *s, int fd)
{
    return (size_t)fd < s->capfd && (s->regd[(size_t)fd / 8] & (1u << (fd % 8))) != 0;
}

static int kq_mark(struct cmio_kqueue_selector *s, int fd, bool on)
{
    if ((size_t)fd >= s->capfd) {
        if (!on)
            return 0;
        size_t cap = s->capfd ? s->capfd : 1024;
        while (cap <= (size_t)fd)
            cap *= 2;
        unsigned char *regd = realloc(s->regd, cap / 8);
        if (regd == NULL)
            return -ENOMEM;
        memset(regd + s->capfd / 8, 0, (cap - s->capfd) / 8);
        s->regd = regd;
        s->capfd = cap;
    }
    unsigned char bit = (unsigned char)(1u << (fd % 8));
    if (on)
        s->regd[(size_t)fd / 8] |= bit;
    else
        s->regd[(size_t)fd / 8] &= (unsigned char)~bit;
    return 0;
}

/* ---- registration changes ------------------------------------------------------------------- */

/* What a change may answer without it being an error (mio's ignored errors). */
enum { KQ_IGNORE_ENOENT = 1, KQ_IGNORE_EPIPE = 2 };

/* Applies n changes (all EV_RECEIPT) with one kevent() call; the receipts overwrite the changes.
 * Returns 0 or the first receipt's error that is not ignored. */
static int kq_apply(int kq, struct kevent *ch, int n, int ignore)
{
    if (n == 0)
        return 0;
    /* The receipts fill the whole event list, so kevent() returns at once without collecting any
     * pending event. EINTR: every change has been applied (FreeBSD's kevent(2), as mio reads it);
     * the receipts are then not written, and the changes left in ch carry no EV_ERROR. */
    if (kevent(kq, ch, n, ch, n, NULL) < 0 && errno != EINTR)
        return -errno;
    for (int i = 0; i < n; i++) {
        if ((ch[i].flags & EV_ERROR) == 0 || ch[i].data == 0)
            continue;
        int err = (int)ch[i].data;
        if ((err == ENOENT && (ignore & KQ_IGNORE_ENOENT)) ||
            (err == EPIPE && (ignore & KQ_IGNORE_EPIPE)))
            continue;
        return -err;
    }
    return 0;
}

/* The udata of a change: the token (the type of udata differs between systems). */
#define KQ_UDATA(token) ((void *)(uintptr_t)(token))

/* Fills ch with the two filters' changes: EV_ADD for the directions in interest, `other` (0 or
 * EV_DELETE) for the rest; returns how many changes there are. Deletes come first: the order is
 * irrelevant to a kernel kqueue, but libkqueue turns a filter level-triggered when the other one
 * of its fd is deleted after it was added (a reregister from readable to writable would then
 * report writable on every poll). Interests other than readable and writable (aio, lio; priority
 * on the libkqueue row) add no filter, as in mio. */
static int kq_changes(struct kevent ch[2], int fd, cmio_token token, cmio_interest interest,
                      unsigned short other)
{
    static const struct {
        short filter;
        cmio_interest interest;
    } dirs[2] = {{EVFILT_WRITE, CMIO_INTEREST_WRITABLE}, {EVFILT_READ, CMIO_INTEREST_READABLE}};
    int n = 0;
    if (other != 0)
        for (int i = 0; i < 2; i++)
            if ((interest & dirs[i].interest) == 0)
                EV_SET(&ch[n++], (uintptr_t)fd, dirs[i].filter, EV_RECEIPT | other, 0, 0,
                       KQ_UDATA(token));
    for (int i = 0; i < 2; i++)
        if (interest & dirs[i].interest)
            EV_SET(&ch[n++], (uintptr_t)fd, dirs[i].filter, EV_RECEIPT | EV_ADD | EV_CLEAR, 0, 0,
                   KQ_UDATA(token));
    return n;
}

static int kq_add(struct cmio_selector *sel, cmio__handle fd, cmio_token token,
                  cmio_interest interest)
{
    struct cmio_kqueue_selector *s = KQ(sel);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno; /* -EBADF for a closed fd, as kevent and epoll_ctl say */
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
        return -EPERM; /* always "ready": refused, as epoll refuses them */
    struct kevent ch[2];
    int n = kq_changes(ch, fd, token, interest, 0);
    pthread_mutex_lock(&s->lock);
    int r = kq_is_registered(s, fd) ? -EEXIST : kq_mark(s, fd, true);
    if (r == 0) {
        r = kq_apply(s->kq, ch, n, KQ_IGNORE_EPIPE);
        if (r < 0) {
            /* One filter may have been added before the other failed: remove what is there. */
            struct kevent del[2];
            (void)kq_apply(s->kq, del, kq_changes(del, fd, 0, 0, EV_DELETE), KQ_IGNORE_ENOENT);
            (void)kq_mark(s, fd, false);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

static int kq_modify(struct cmio_selector *sel, cmio__handle fd, cmio_token token,
                     cmio_interest interest)
{
    struct cmio_kqueue_selector *s = KQ(sel);
    /* As mio: add the wanted filters, delete the others (ENOENT: it was not there). */
    struct kevent ch[2];
    int n = kq_changes(ch, fd, token, interest, EV_DELETE);
    pthread_mutex_lock(&s->lock);
    int r = kq_is_registered(s, fd) ? kq_apply(s->kq, ch, n, KQ_IGNORE_ENOENT | KQ_IGNORE_EPIPE)
                                    : -ENOENT;
    pthread_mutex_unlock(&s->lock);
    return r;
}

static int kq_remove(struct cmio_selector *sel, cmio__handle fd)
{
    struct cmio_kqueue_selector *s = KQ(sel);
    /* As mio: delete both filters, ignoring ENOENT for the one never added. */
    struct kevent ch[2];
    int n = kq_changes(ch, fd, 0, 0, EV_DELETE);
    pthread_mutex_lock(&s->lock);
    int r = -ENOENT;
    if (kq_is_registered(s, fd)) {
        r = kq_apply(s->kq, ch, n, KQ_IGNORE_ENOENT);
        /* Forgotten whatever the kernel said (-EBADF: the fd was closed, and with it its knotes).
         */
        (void)kq_mark(s, fd, false);
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

/* ---- waiting -------------------------------------------------------------------------------- */

/* One kevent → the bits events.c reads: mio's kqueue mapping (is_readable: EVFILT_READ or
 * EVFILT_USER; is_writable: EVFILT_WRITE; is_error: EV_ERROR, or EV_EOF with an error in fflags;
 * is_read_closed / is_write_closed: EV_EOF on the read / write filter; is_aio / is_lio: their
 * filters; never priority). */
static uint32_t kq_bits(const struct kevent *k)
{
    uint32_t e = CMIO__EV_KQUEUE;
    if (k->filter == EVFILT_READ)
        e |= (uint32_t)CMIO__EV_IN;
    else if (k->filter == EVFILT_WRITE)
        e |= (uint32_t)CMIO__EV_OUT;
#ifdef EVFILT_USER
    else if (k->filter == EVFILT_USER)
        e |= (uint32_t)CMIO__EV_IN; /* the waker: readable, as an eventfd or a pipe would be */
#endif
#ifdef EVFILT_AIO
    else if (k->filter == EVFILT_AIO)
        e |= CMIO__EV_AIO;
#endif
#ifdef EVFILT_LIO
    else if (k->filter == EVFILT_LIO)
        e |= CMIO__EV_LIO;
#endif
    if (k->flags & EV_EOF)
        e |= CMIO__EV_EOF;
    if ((k->flags & EV_ERROR) || ((k->flags & EV_EOF) && k->fflags != 0))
        e |= (uint32_t)CMIO__EV_ERR;
    return e;
}

static int kq_select(struct cmio_selector *sel, cmio_events *events, const struct timespec *timeout)
{
    struct kevent *kev = (struct kevent *)(void *)events->ev; /* room for cap kevents */
    int n = kevent(KQ(sel)->kq, NULL, 0, kev, (int)events->cap, timeout);
    if (n < 0) {
        events->len = 0;
        return -errno; /* -EINTR included, as mio reports it */
    }
    /* In place, in order: event i ends at or before kevent i + 1 starts (static assert above). */
    for (int i = 0; i < n; i++) {
        struct kevent k;
        memcpy(&k, &kev[i], sizeof(k));
        cmio__sys_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.events = kq_bits(&k);
        ev.data.u64 = (cmio_token)(uintptr_t)k.udata;
        memcpy(&events->ev[i], &ev, sizeof(ev));
    }
    events->len = (size_t)n;
    return n;
}

const struct cmio_backend cmio__backend_kqueue = {
    .name = "kqueue",
    .create = kq_create,
    .destroy = kq_destroy,
    .add = kq_add,
    .modify = kq_modify,
    .remove = kq_remove,
    .select = kq_select,
    .wait_fd = NULL,
    .rearm = NULL,
};

#endif /* CMIO_BACKEND_KQUEUE */
