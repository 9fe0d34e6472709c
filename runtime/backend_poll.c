/* SPDX-License-Identifier: MIT */
/* cmio runtime — the poll(2) backend, as mio's src/sys/unix/selector/poll.rs.
 *
 * poll(2) is level-triggered; users get edge-triggered semantics all the same. When an fd's
 * readiness is reported, the reported interests are disarmed, so the same readiness is not
 * reported again. Error and hang-up are edges too: the fd stays in the poll set (with no events
 * once everything is reported) until POLLERR/POLLHUP has been reported once. io_source re-arms one
 * direction (rearm below) when an operation for that direction returns -EAGAIN: a read re-arms
 * POLLIN/POLLRDHUP/POLLPRI, a write POLLOUT — so an idle, always-writable socket registered for
 * both is not reported writable again because a read would block (mio's poll selector re-arms
 * everything there and spins). reregister re-arms the whole interest. Raw fds registered with
 * cmio_registry_register_fd() have no io_source: re-arm them with cmio_registry_reregister_fd().
 *
 * Disarming is lazy: a reported readiness is only marked `pending` (and its fd listed); the next
 * wait disarms what is still pending. An operation that returns -EAGAIN before then — the common
 * case, a loop that reads until -EAGAIN — only clears the mark, so the poll set is not written
 * twice per event.
 *
 * The read side's bits travel together, as Linux's read-closed rule needs them (EPOLLIN with
 * EPOLLRDHUP): when POLLRDHUP is reported after a POLLIN that was not drained, POLLIN goes with it,
 * so the event says readable and read-closed rather than nothing at all.
 *
 * Fairness: when more fds are ready than the events buffer holds, the next collection starts after
 * the last fd reported (round robin), as epoll's ready list does: every ready fd is reported within
 * ceil(ready / capacity) polls.
 *
 * Registrations live in a table that any thread may change while another one is blocked in
 * poll(2): a change writes a byte to a notification pipe, which wakes the poller; it takes the new
 * poll set and waits again with what is left of the timeout.
 *
 * Locking costs nothing in a single-threaded loop: the thread that created the selector (its
 * owner) works on the table without the mutex for as long as no other thread has touched it. The
 * first call from another thread sets SHARED for good; from then on everyone takes the mutex. Both
 * flags live in one atomic word, changed only by read-modify-writes: the owner adds OWNER_BUSY and
 * sees in the same step whether SHARED is set (then it backs out and locks); another thread ORs in
 * SHARED and waits until OWNER_BUSY is gone. So the owner never works unlocked while another
 * thread holds the mutex; and it never stays OWNER_BUSY inside poll(2).
 *
 * The poll set is kept, not rebuilt: set[i + 1] is regs[i]'s pollfd (set[0] the notification
 * pipe), updated in place by every change (an fd with nothing left to report has fd -1, which
 * poll(2) skips). The polling thread waits on its own copy, pset: a change made while no thread is
 * inside poll(2) goes to both at once, one made during a wait marks pset stale and it is copied
 * whole (one memcpy) before the next wait. After a wait pset is scanned only up to the last ready
 * entry (poll(2) says how many there are).
 */
#include "internal.h"

#if CMIO_BACKEND_POLL

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#if CMIO_HAVE_THREADS
#include <pthread.h>
#include <sched.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct reg {
    int fd;
    cmio_token token;
    short interest; /* poll(2) events the registration asks for */
    short armed;    /* the part of interest not yet reported since the last re-arm */
    short pending;  /* reported since the last wait and not re-armed: disarmed before the next */
    bool err_seen;  /* POLLERR/POLLHUP reported since the last re-arm */
    bool waker;     /* a waker's fd: always armed, drained when reported */
    uint64_t added; /* the selector's add count when it was added (see wait_adds) */
};

struct cmio_poll_selector {
    struct cmio_selector base; /* first member: the generic code sees only this */
#if CMIO_HAVE_THREADS
    pthread_mutex_t lock; /* taken by every thread once SHARED is set */
    const char *owner;    /* the creating thread's mark: unlocked while not SHARED */
    atomic_uint state;    /* OWNER_BUSY | SHARED, below */
#endif
    struct reg *regs; /* dense table */
    size_t nregs, capregs;
    size_t *slot; /* fd → index in regs + 1 (0: not registered) */
    size_t capslot;
    struct pollfd *set;       /* set[0]: notify_rd; set[i + 1]: regs[i] (capregs + 1 entries) */
    struct pollfd *pset;      /* the polling thread's copy of set, handed to poll(2) */
    size_t capset;            /* entries of pset */
    nfds_t npset;             /* entries of pset in use */
    bool dirty;               /* set changed since pset was copied from it */
    int notify_rd, notify_wr; /* wakes a blocked poll(2) after a change */
    bool polling;             /* a thread is inside poll(2) */
    size_t next;              /* pset index where the next collection starts (round robin) */
    size_t *pend;             /* regs with `pending` bits (reported by the last wait) */
    size_t npend, cappend;
    /* Registrations added so far, and how many there were when the current wait's copy of the
     * set was taken: revents from that wait belong to the files polled then, so a registration
     * added since (possibly of a closed fd's number, reused) must not receive them. */
    uint64_t adds, wait_adds;
};

#define SEL(s) ((struct cmio_poll_selector *)(s))

static short interest_to_poll(cmio_interest interest)
{
    short ev = 0;
    if (interest & CMIO_INTEREST_READABLE)
        ev |= (short)(POLLIN | CMIO__EV_RDHUP);
    if (interest & CMIO_INTEREST_WRITABLE)
        ev |= POLLOUT;
#if CMIO_HAVE_INTEREST_PRIORITY
    if (interest & CMIO_INTEREST_PRIORITY)
        ev |= POLLPRI;
#endif
    return ev;
}

/* The poll(2) bits one direction re-arms: a read side's operation re-arms everything a read can
 * report (in, read hang-up, priority data), a write side's POLLOUT. */
static inline short direction_to_poll(cmio_interest dir)
{
    static const short bits[4] = {0, (short)(POLLIN | CMIO__EV_RDHUP | CMIO__EV_PRI), POLLOUT,
                                  (short)(POLLIN | CMIO__EV_RDHUP | CMIO__EV_PRI | POLLOUT)};
    return bits[dir & (CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE)];
}

/* poll(2) revents → the event bits cmio_event reads (the same values on Linux). */
static uint32_t poll_to_event(short revents)
{
    uint32_t e = 0;
    e |= (revents & POLLIN) ? (uint32_t)CMIO__EV_IN : 0;
    e |= (revents & CMIO__EV_PRI) ? (uint32_t)CMIO__EV_PRI : 0;
    e |= (revents & POLLOUT) ? (uint32_t)CMIO__EV_OUT : 0;
    e |= (revents & POLLERR) ? (uint32_t)CMIO__EV_ERR : 0;
    e |= (revents & POLLHUP) ? (uint32_t)CMIO__EV_HUP : 0;
    e |= (revents & CMIO__EV_RDHUP) ? (uint32_t)CMIO__EV_RDHUP : 0;
    return e;
}

static inline struct reg *find(struct cmio_poll_selector *s, int fd)
{
    if ((size_t)fd >= s->capslot || s->slot[fd] == 0)
        return NULL;
    return &s->regs[s->slot[fd] - 1];
}

/* true when pset mirrors set and no thread is inside poll(2): a change then goes to both at once
 * (a single-threaded loop never copies the whole set); else pset is stale (dirty) and refresh()
 * copies it before the next wait. */
static inline bool direct(const struct cmio_poll_selector *s)
{
    return !(s->polling | s->dirty);
}

/* After the number of registrations changed: marks pset stale unless it can follow at once. */
static void resized(struct cmio_poll_selector *s)
{
    if (s->polling || s->capset < s->nregs + 1)
        s->dirty = true;
    else if (!s->dirty)
        s->npset = (nfds_t)(s->nregs + 1);
}

/* set[i + 1] from regs[i] (and pset[i + 1] when direct): polled while something is armed or an
 * error/hang-up is unreported (where poll(2) can wait for a hang-up alone: not WASI's
 * poll_oneoff, CMIO_POLL_HANGUP_ALONE). */
static inline void sync_entry(struct cmio_poll_selector *s, size_t i)
{
    const struct reg *g = &s->regs[i];
    bool polled = g->armed != 0 || (CMIO_POLL_HANGUP_ALONE && !g->err_seen);
    struct pollfd e = {.fd = polled ? g->fd : -1, .events = g->armed};
    s->set[i + 1] = e;
    if (direct(s))
        s->pset[i + 1] = e;
    else
        s->dirty = true; /* during a wait: the polling thread copies the set before its next one */
}

/* Makes room for one more registration of fd. Lock held. */
static int reserve(struct cmio_poll_selector *s, int fd)
{
    if ((size_t)fd >= s->capslot) {
        size_t cap = s->capslot ? s->capslot : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        size_t *slot = realloc(s->slot, cap * sizeof(*slot));
        if (slot == NULL)
            return -ENOMEM;
        memset(slot + s->capslot, 0, (cap - s->capslot) * sizeof(*slot));
        s->slot = slot;
        s->capslot = cap;
    }
    if (s->nregs == s->capregs) {
        size_t cap = s->capregs ? s->capregs * 2 : 16;
        struct reg *regs = realloc(s->regs, cap * sizeof(*regs));
        if (regs == NULL)
            return -ENOMEM;
        s->regs = regs;
        struct pollfd *set = realloc(s->set, (cap + 1) * sizeof(*set));
        if (set == NULL)
            return -ENOMEM; /* regs grew, capregs did not: the next try reuses it */
        s->set = set;
        s->capregs = cap;
    }
    return 0;
}

#if CMIO_HAVE_THREADS

/* One byte per thread: its address tells threads apart without a call (pthread_self is one). */
#if defined(__GNUC__)
/* initial-exec: the address is one instruction, not a call to __tls_get_addr (-fPIC). */
static _Thread_local char thread_mark __attribute__((tls_model("initial-exec")));
#else
static _Thread_local char thread_mark;
#endif

#define OWNER_BUSY 1u /* the owner is working on the table without the mutex */
#define SHARED 2u     /* another thread has used the selector: everyone locks, for good */

/* The owner's unlocked entry: true when this thread is the owner and no other thread has come
 * (leave with leave(s, false)); false otherwise, nothing held. */
static inline bool enter_owner(struct cmio_poll_selector *s)
{
    if (s->owner != &thread_mark)
        return false;
    if (!(atomic_fetch_add(&s->state, OWNER_BUSY) & SHARED))
        return true;
    atomic_fetch_sub_explicit(&s->state, OWNER_BUSY, memory_order_release);
    return false;
}

/* enter()'s locked path: announces this thread (SHARED) and waits until the owner is out of any
 * unlocked section, then takes the mutex. Out of line: the owner's path stays short. */
CMIO__NOINLINE static bool enter_locked(struct cmio_poll_selector *s)
{
    if (s->owner != &thread_mark)
        atomic_fetch_or(&s->state, SHARED);
    while (atomic_load(&s->state) & OWNER_BUSY)
        sched_yield(); /* the owner finishes what it started unlocked: a few instructions */
    pthread_mutex_lock(&s->lock);
    return true;
}

/* Enters the table: unlocked for the owner while no other thread has come (returns false), else
 * with the mutex (returns true). Pair with leave(). */
static inline bool enter(struct cmio_poll_selector *s)
{
    return enter_owner(s) ? false : enter_locked(s);
}

static inline void leave(struct cmio_poll_selector *s, bool locked)
{
    if (locked)
        pthread_mutex_unlock(&s->lock);
    else
        atomic_fetch_sub_explicit(&s->state, OWNER_BUSY, memory_order_release);
}

#else
/* No threads (platform table `threads: false`, WASI preview 1): nothing can change the table while
 * poll(2) waits, so there is nothing to lock and no notification pipe (set[0] is fd -1, which
 * poll(2) skips). */

static inline bool enter_owner(struct cmio_poll_selector *s)
{
    (void)s;
    return true;
}

static inline bool enter(struct cmio_poll_selector *s)
{
    (void)s;
    return false;
}

static inline void leave(struct cmio_poll_selector *s, bool locked)
{
    (void)s;
    (void)locked;
}

#endif

/* Wakes the polling thread so that it sees a change. Called inside enter()/leave(). */
static void notify(struct cmio_poll_selector *s)
{
    if (s->polling) {
        const char b = 1;
        (void)!write(s->notify_wr, &b, 1); /* a full pipe is already a pending wake */
    }
}

static int poll_create(struct cmio_selector **out)
{
    struct cmio_poll_selector *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    int p[2] = {-1, -1};
    s->set = malloc(sizeof(*s->set));
    if (s->set == NULL) {
        free(s);
        return -ENOMEM;
    }
#if CMIO_HAVE_THREADS
    int r = cmio__fd_pipe(p);
    if (r == 0) {
        r = -pthread_mutex_init(&s->lock, NULL);
        if (r < 0) {
            close(p[0]);
            close(p[1]);
        }
    }
    if (r < 0) {
        free(s->set);
        free(s);
        return r;
    }
    s->owner = &thread_mark;
#endif
    s->set[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
    s->dirty = true;
    s->notify_rd = p[0];
    s->notify_wr = p[1];
    s->base.be = &cmio__backend_poll;
    atomic_init(&s->base.refs, 1);
    *out = &s->base;
    return 0;
}

static void poll_destroy(struct cmio_selector *sel)
{
    struct cmio_poll_selector *s = SEL(sel);
#if CMIO_HAVE_THREADS
    close(s->notify_rd);
    close(s->notify_wr);
    pthread_mutex_destroy(&s->lock);
#endif
    free(s->regs);
    free(s->slot);
    free(s->set);
    free(s->pset);
    free(s->pend);
    free(s);
}

static int poll_add(struct cmio_selector *sel, int fd, cmio_token token, cmio_interest interest)
{
    struct cmio_poll_selector *s = SEL(sel);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno; /* -EBADF, as epoll_ctl says for a closed fd */
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
        return -EPERM; /* always "ready": refused, as epoll refuses them */
    bool locked = enter(s);
    int r = find(s, fd) != NULL ? -EEXIST : reserve(s, fd);
    if (r == 0) {
        short ev = interest_to_poll(interest);
        s->regs[s->nregs] = (struct reg){.fd = fd,
                                         .token = token,
                                         .interest = ev,
                                         .armed = ev,
                                         .waker = (interest & CMIO__INTEREST_WAKER) != 0,
                                         .added = ++s->adds};
        s->slot[fd] = ++s->nregs;
        resized(s);
        sync_entry(s, s->nregs - 1);
        notify(s);
    }
    leave(s, locked);
    return r;
}

static int poll_modify(struct cmio_selector *sel, int fd, cmio_token token, cmio_interest interest)
{
    struct cmio_poll_selector *s = SEL(sel);
    bool locked = enter(s);
    struct reg *g = find(s, fd);
    if (g != NULL) {
        g->token = token;
        g->interest = g->armed = interest_to_poll(interest);
        g->pending = 0;
        g->err_seen = false;
        sync_entry(s, (size_t)(g - s->regs));
        notify(s);
    }
    leave(s, locked);
    return g != NULL ? 0 : -ENOENT;
}

static int poll_remove(struct cmio_selector *sel, int fd)
{
    struct cmio_poll_selector *s = SEL(sel);
    bool locked = enter(s);
    struct reg *g = find(s, fd);
    if (g != NULL) {
        s->slot[fd] = 0;
        struct reg *last = &s->regs[--s->nregs];
        size_t i = (size_t)(g - s->regs);
        if (g != last) {
            *g = *last;
            s->slot[g->fd] = i + 1;
            /* The pending list names regs by index: disarm the moved one now instead. */
            g->armed = (short)(g->armed & ~g->pending);
            g->pending = 0;
        }
        resized(s);
        if (g != last)
            sync_entry(s, i);
        notify(s);
    }
    leave(s, locked);
    return g != NULL ? 0 : -ENOENT;
}

/* rearm with the table entered: clears what is pending in that direction and arms it again if it
 * was disarmed (or an error/hang-up was seen). */
static int rearm_entered(struct cmio_poll_selector *s, int fd, cmio_interest dir)
{
    struct reg *g = find(s, fd);
    if (g == NULL)
        return -ENOENT;
    short bits = (short)(g->interest & direction_to_poll(dir));
    g->pending = (short)(g->pending & ~bits); /* reported, then -EAGAIN: stays armed */
    if ((g->armed & bits) != bits || g->err_seen) {
        g->armed = (short)(g->armed | bits);
        g->err_seen = false;
        sync_entry(s, (size_t)(g - s->regs));
        notify(s);
    }
    return 0;
}

CMIO__NOINLINE static int rearm_slow(struct cmio_poll_selector *s, int fd, cmio_interest dir)
{
    bool locked = enter(s);
    int r = rearm_entered(s, fd, dir);
    leave(s, locked);
    return r;
}

/* The owner's common case costs no call: a loop that reads until -EAGAIN finds the direction
 * still armed (disarming is lazy) and only clears its pending mark. */
static int poll_rearm(struct cmio_selector *sel, int fd, cmio_interest dir)
{
    struct cmio_poll_selector *s = SEL(sel);
    if (enter_owner(s)) {
        if ((size_t)fd < s->capslot && s->slot[fd] != 0) {
            struct reg *g = &s->regs[s->slot[fd] - 1];
            short bits = (short)(g->interest & direction_to_poll(dir));
            if ((g->armed & bits) == bits && !g->err_seen) {
                g->pending = (short)(g->pending & ~bits);
                leave(s, false);
                return 0;
            }
        }
        leave(s, false);
    }
    return rearm_slow(s, fd, dir);
}

/* Brings the polling thread's copy up to date (one memcpy, only after a change). Lock held. */
static int refresh(struct cmio_poll_selector *s)
{
    if (!s->dirty)
        return 0;
    size_t n = s->nregs + 1;
    if (s->capset < n) {
        size_t cap = n > 16 ? n * 2 : 16;
        struct pollfd *pset = realloc(s->pset, cap * sizeof(*pset));
        if (pset == NULL)
            return -ENOMEM;
        s->pset = pset;
        s->capset = cap;
    }
    memcpy(s->pset, s->set, n * sizeof(*s->pset));
    s->npset = (nfds_t)n;
    s->dirty = false;
    return 0;
}

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
}

/* Moves ready fds into events and disarms what was reported; `ready` is poll(2)'s count of
 * entries with revents, the notification pipe's included. The scan starts at s->next and wraps
 * (round robin); it stops once every ready entry was seen or events is full. Lock held. */
static size_t collect(struct cmio_poll_selector *s, int ready, cmio_events *events)
{
    size_t out = 0;
    int left = ready - (s->pset[0].revents != 0);
    const struct pollfd *first = s->pset + 1, *end = s->pset + s->npset;
    const struct pollfd *start = s->next > 0 && s->next < s->npset ? s->pset + s->next : first;
    const struct pollfd *p = start, *stop = end;
    for (; left > 0 && out < events->cap; p++) {
        while (p < stop && p->revents == 0)
            p++; /* the common case: idle fds, two compares each */
        if (p == stop) {
            if (stop == start || start == first)
                break;
            p = first - 1; /* wrap: the entries before the start, then stop there */
            stop = start;
            continue;
        }
        short got = p->revents;
        left--;
        s->next = (size_t)(p - s->pset) + 1; /* the next collection starts after this one */
        /* pset[k] is regs[k - 1] unless a change during the wait moved things (dirty). */
        size_t gi = (size_t)(p - s->pset) - 1;
        struct reg *g = &s->regs[gi];
        if (s->dirty || gi >= s->nregs || g->fd != p->fd) {
            g = find(s, p->fd);
            if (g == NULL)
                continue; /* deregistered while we were polling */
            gi = (size_t)(g - s->regs);
        }
        if (g->added > s->wait_adds)
            continue; /* registered during the wait, maybe on the number of an fd closed then */
        if (got & POLLNVAL) {
            g->armed = 0; /* closed without being deregistered: stop polling it */
            g->err_seen = true;
            sync_entry(s, gi);
            continue;
        }
        short rev = (short)(got & (g->armed | (g->err_seen ? 0 : POLLERR | POLLHUP)));
        /* Read-closed is IN with RDHUP (see the top). poll(2) returns POLLIN only when it was asked
         * for, and after an undrained READABLE only RDHUP is: a socket whose peer closed is
         * readable (a read returns the rest, then 0), so IN goes with it. */
        if (rev & CMIO__EV_RDHUP)
            rev = (short)(rev | (g->interest & POLLIN));
        if (rev == 0) {
            /* Already reported while we were polling; or a hang-up reported before, which poll(2)
             * repeats whatever we ask: then nothing is left to report until a re-arm. */
            if (got & (POLLERR | POLLHUP)) {
                g->armed = 0;
                sync_entry(s, gi);
            }
            continue;
        }
        events->ev[out].events = poll_to_event(rev);
        events->ev[out].data.u64 = g->token;
        out++;
        if (g->waker) {
            drain(g->fd); /* wakes before this point coalesce into this event */
            continue;
        }
        if (!(rev & (POLLERR | POLLHUP)) && s->npend < s->cappend) {
            g->pending = rev; /* disarmed before the next wait unless re-armed first */
            s->pend[s->npend++] = gi;
            continue;
        }
        g->armed = (short)(g->armed & ~rev);
        if (rev & (POLLERR | POLLHUP))
            g->err_seen = true;
        sync_entry(s, gi);
    }
    return out;
}

/* Before a wait: disarms what the last one reported and no operation re-armed since. */
static void disarm_pending(struct cmio_poll_selector *s)
{
    for (size_t i = 0; i < s->npend; i++) {
        size_t gi = s->pend[i];
        struct reg *g = &s->regs[gi];
        /* A reg moved by a removal since is still pending: the index then finds another reg with
         * pending 0, or one past the end. */
        if (gi < s->nregs && g->pending != 0) {
            g->armed = (short)(g->armed & ~g->pending);
            g->pending = 0;
            sync_entry(s, gi);
        }
    }
    s->npend = 0;
}

/* Room to list every fd one collection can report (events->cap); without it (no memory), what
 * does not fit is disarmed at once instead. */
static void pend_room(struct cmio_poll_selector *s, size_t cap)
{
    if (s->cappend < cap) {
        size_t *pend = realloc(s->pend, cap * sizeof(*pend));
        if (pend != NULL) {
            s->pend = pend;
            s->cappend = cap;
        }
    }
}

static int wait_set(struct pollfd *set, nfds_t n, const struct timespec *deadline)
{
    if (deadline == NULL)
        return poll(set, n, -1);
    struct timespec now, left;
    clock_gettime(CLOCK_MONOTONIC, &now);
    left.tv_sec = deadline->tv_sec - now.tv_sec;
    left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
    if (left.tv_nsec < 0) {
        left.tv_sec--;
        left.tv_nsec += 1000000000L;
    }
    if (left.tv_sec < 0)
        left.tv_sec = left.tv_nsec = 0;
#if CMIO_HAVE_PPOLL
    return ppoll(set, n, &left, NULL); /* nanosecond timeout */
#else
    return poll(set, n, cmio__timeout_ms(&left)); /* rounded up to a millisecond */
#endif
}

static int poll_select(struct cmio_selector *sel, cmio_events *events,
                       const struct timespec *timeout)
{
    struct cmio_poll_selector *s = SEL(sel);
    struct timespec deadline;
    bool zero = timeout != NULL && timeout->tv_sec == 0 && timeout->tv_nsec == 0;
    if (timeout != NULL && timeout->tv_sec > (time_t)30 * 365 * 86400)
        timeout = NULL; /* over 30 years (fits a 32-bit time_t): wait forever, no overflow */
    if (timeout != NULL) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout->tv_sec;
        deadline.tv_nsec += timeout->tv_nsec;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    for (;;) {
        bool locked = enter(s);
        if (s->npend != 0)
            disarm_pending(s);
        int r = refresh(s);
        s->polling = r == 0;
        s->wait_adds = s->adds;
        leave(s, locked);
        if (r < 0)
            return r;

        r = wait_set(s->pset, s->npset, timeout != NULL ? &deadline : NULL);
        int err = r < 0 ? errno : 0;

        locked = enter(s);
        s->polling = false;
        size_t out = 0;
        if (r > 0) {
            pend_room(s, events->cap);
            out = collect(s, r, events);
        }
        leave(s, locked);
        if (r < 0)
            return -err; /* -EINTR included, as the epoll backend */
        if (r > 0 && (s->pset[0].revents & POLLIN))
            drain(s->notify_rd);
        events->len = out;
        /* Only registrations changed (or what was ready was already reported): wait again with
         * what is left of the timeout. */
        if (out > 0 || r == 0 || zero)
            return (int)out;
    }
}

const struct cmio_backend cmio__backend_poll = {
    .name = "poll",
    .create = poll_create,
    .destroy = poll_destroy,
    .add = poll_add,
    .modify = poll_modify,
    .remove = poll_remove,
    .select = poll_select,
    .rearm = poll_rearm,
};

#endif /* CMIO_BACKEND_POLL */
