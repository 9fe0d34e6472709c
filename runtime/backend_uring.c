/* SPDX-License-Identifier: MIT */
/* cmio runtime — the io_uring readiness backend (Linux 5.18+), raw system calls, no liburing.
 *
 * mio's readiness model on io_uring, the same for the user as on epoll:
 *   - A registration is one multishot poll request (IORING_OP_POLL_ADD, IORING_POLL_ADD_MULTI,
 *     edge-triggered: the kernel posts a completion for each wake-up of the socket's wait queue
 *     that matches the interest, with the readiness at that moment — what EPOLLET reports).
 *     Registering a ready socket reports it at once; so does a reregistration, as EPOLL_CTL_MOD
 *     does: it replaces the poll request (a cancellation and a new poll with a new record, which
 *     evaluates readiness afresh exactly once; a poll update would fail while a wake-up of the
 *     poll is pending, and retrying it reports the readiness twice).
 *   - Registering and reregistering make no system call: the request is queued in the submission
 *     ring and goes to the kernel with the next wait, so a steady-state cmio_poll_poll() is one
 *     io_uring_enter(), and when completions are already waiting in the ring and nothing is
 *     queued or pending, it is no system call at all.
 *   - Deregistering (and closing) cannot wait for the next poll: an armed poll request holds a
 *     reference to the socket, so until the kernel sees the cancellation the socket stays open
 *     behind the closed fd (the peer sees no EOF, a listener keeps its port). Deregister submits
 *     the cancellation at once (one io_uring_enter, as epoll_ctl(DEL) is one system call); close
 *     submits it together with the close itself (IORING_OP_CLOSE): one system call for both.
 *   - Completions are read straight from the mapped completion ring into the caller's events
 *     array (the kernel's struct epoll_event, the same bits); several completions of one
 *     registration within one poll become one event, as epoll's ready list coalesces wake-ups.
 *     A completion's user_data is its registration's record, so an event costs no lookup; a
 *     completion of a registration removed since is dropped, and a record is reused only after
 *     the last completion of its poll (the one without IORING_CQE_F_MORE) was seen. Nothing is
 *     allocated per event; records come from a pool grown 255 at a time (never per
 *     registration), found by fd through a table only the registering paths use.
 *   - A multishot poll the kernel ended (CQ ring overflow, its submitting thread exited) is
 *     re-armed with the next wait; re-arming reports the readiness at that moment, so no edge is
 *     lost.
 *   - Single-issuer mode (IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN, 6.1+), where the kernel has
 *     it: a wake-up costs the polling thread nothing until it asks for completions, and then all of
 *     them are handled in one batch (~11 % less CPU per round trip for a busy server at 1 000
 *     connections than COOP_TASKRUN, which handles them at each of its system calls). Only the
 *     thread that created the ring may enter it, so: the polling thread is that thread — a poll
 *     made by another one (the poll handed to a worker, or moved) gives that thread a ring of its
 *     own, with every registration armed again in it and the old ring closed (ur_migrate:
 *     O(registrations), once per change; the ring keeps its fd number); another thread's changes
 *     are queued (in the submission ring, or the backend's own queue when that is full: never lost,
 *     never waiting) and a waiting polling thread is woken to submit them; another thread's
 *     deregistration or close is submitted by the polling thread — at once when it waits, else with
 *     its next poll (the fd itself is closed at once, with close(2); the socket is released when
 *     the poll request is cancelled).
 *   - Before 6.1: any thread may enter the ring. Changes go into the submission ring under a
 *     lock (registration paths only; cmio_poll_poll takes none), and a registration made while
 *     a thread waits writes an internal eventfd, polled by the ring, so that the waiting thread
 *     wakes and submits it. A wake-up does not interrupt the polling thread while it runs
 *     (IORING_SETUP_COOP_TASKRUN, 5.19+; without it each event costs an IPI and a kernel entry,
 *     which halves a busy server's rate): it is handled at the thread's next system call, or at
 *     once when it waits. Wake-ups are handled in the thread that submitted the poll request, so
 *     requests that another thread submitted (a full submission ring or a deregistration sent
 *     the queue along), or that were submitted before the poll moved to another thread, are
 *     armed again by the polling thread under its own name (ur_adopt: O(registrations), once)
 *     instead of waiting for that thread's next kernel entry.
 *   - Timeouts go to the wait itself (IORING_ENTER_EXT_ARG): nanosecond resolution.
 *   - The waker is the eventfd (or pipe) waker, polled like any registration: each write is a new
 *     wake-up, hence a new event.
 * Where io_uring is missing or forbidden (ENOSYS, EPERM from seccomp or
 * /proc/sys/kernel/io_uring_disabled) or too old for multishot poll, ext-arg waits and CQE
 * skipping (before 5.18), cmio_poll_new() returns -ENOSYS or -EPERM.
 */
#include "internal.h"

#if CMIO_BACKEND_URING

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- the kernel's ABI (include/uapi/linux/io_uring.h), written out so that every libc and every
 * kernel-header version builds this file ------------------------------------------------------ */

#ifndef SYS_io_uring_setup /* the same numbers on every architecture but alpha */
#define SYS_io_uring_setup 425
#define SYS_io_uring_enter 426
#endif

struct ur_sqe {
    uint8_t opcode;
    uint8_t flags;
    uint16_t ioprio;
    int32_t fd;
    uint64_t off;
    uint64_t addr;
    uint32_t len;
    uint32_t op_flags; /* poll32_events, cancel_flags, … */
    uint64_t user_data;
    uint16_t buf_index;
    uint16_t personality;
    int32_t file_index;
    uint64_t addr3;
    uint64_t pad2;
};

struct ur_cqe {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
};

struct ur_sqring_offsets {
    uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
    uint64_t user_addr;
};

struct ur_cqring_offsets {
    uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
    uint64_t user_addr;
};

struct ur_params {
    uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd;
    uint32_t resv[3];
    struct ur_sqring_offsets sq_off;
    struct ur_cqring_offsets cq_off;
};

struct ur_kts {
    int64_t tv_sec;
    int64_t tv_nsec;
};

struct ur_getevents_arg {
    uint64_t sigmask;
    uint32_t sigmask_sz;
    uint32_t min_wait_usec;
    uint64_t ts;
};

_Static_assert(sizeof(struct ur_sqe) == 64, "io_uring_sqe is 64 bytes");
_Static_assert(sizeof(struct ur_cqe) == 16, "io_uring_cqe is 16 bytes");
_Static_assert(sizeof(struct ur_params) == 120, "io_uring_params is 120 bytes");
_Static_assert(sizeof(struct ur_getevents_arg) == 24, "io_uring_getevents_arg is 24 bytes");

#define UR_OP_POLL_ADD 6
#define UR_OP_ASYNC_CANCEL 14
#define UR_OP_CLOSE 19
#define UR_SQE_CQE_SKIP_SUCCESS (1u << 6)
#define UR_POLL_ADD_MULTI (1u << 0)
#define UR_CQE_F_MORE (1u << 1)
#define UR_SETUP_CQSIZE (1u << 3)
#define UR_SETUP_CLAMP (1u << 4)
#define UR_SETUP_SUBMIT_ALL (1u << 7)
#define UR_SETUP_COOP_TASKRUN (1u << 8)
#define UR_SETUP_TASKRUN_FLAG (1u << 9)
#define UR_SETUP_SINGLE_ISSUER (1u << 12)
#define UR_SETUP_DEFER_TASKRUN (1u << 13)
#define UR_ENTER_GETEVENTS (1u << 0)
#define UR_ENTER_EXT_ARG (1u << 3)
#define UR_FEAT_SINGLE_MMAP (1u << 0)
#define UR_FEAT_NODROP (1u << 1)
#define UR_FEAT_EXT_ARG (1u << 8)
#define UR_FEAT_CQE_SKIP (1u << 11)
#define UR_SQ_CQ_OVERFLOW (1u << 1)
#define UR_SQ_TASKRUN (1u << 2)
#define UR_OFF_SQ_RING 0ULL
#define UR_OFF_CQ_RING 0x8000000ULL
#define UR_OFF_SQES 0x10000000ULL

/* ---- the selector ------------------------------------------------------------------------- */

/* user_data of a registration's poll is its record's address (8-byte aligned); the backend's own
 * requests use values no record has: */
#define UD_NOTIFY 2 /* the internal eventfd's poll */
#define UD_CTRL 6   /* a cancellation or close (completes only when it fails) */

/* One registration. A record is in use from register until the last completion of its poll after
 * deregister: until then a completion may still name it. */
struct ureg {
    uint64_t token; /* token, live, mask: written under the lock, read by the polling thread */
    uint32_t live;  /* registered (0 after deregister: its completions are dropped) */
    uint32_t mask;  /* what the user may be told: the interest's epoll bits | ERR | HUP */
    uint32_t kmask; /* what the kernel polls for (lock held) */
    int32_t fd;
    uint64_t seen_seq; /* the poll call that last reported it, at events index seen_idx (polling */
    uint32_t seen_idx; /* thread only) */
    struct ureg *next; /* free lists */
};

#define UR_POOL 255
struct ureg_pool {
    struct ureg_pool *next;
    struct ureg rec[UR_POOL];
};

struct cmio_uring_selector {
    struct cmio_selector base; /* first member: the generic code sees only this */
    int ring_fd;
    int notify_fd;
    /* completion ring (the polling thread only) */
    uint32_t *cq_khead, *cq_ktail;
    uint32_t cq_mask;
    struct ur_cqe *cqes;
    uint64_t seq; /* cmio_poll_poll calls, for coalescing */
    /* submission ring: producers hold the lock */
    uint32_t *sq_khead, *sq_ktail, *sq_kflags, *sq_array;
    uint32_t sq_mask, sq_entries;
    uint32_t sq_tail; /* the producers' copy of *sq_ktail */
    struct ur_sqe *sqes;
    /* Single-issuer mode (IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN, 6.1+): only `issuer`, the
     * thread that created the ring, may enter it; another thread's changes that find the
     * submission ring full wait in `ovf` (lock held) until the issuer moves them in. */
    bool single;
    bool staged;      /* ur_sqe_get gave a slot of ovf (lock held) */
    uint32_t kflags;  /* sq flags that make a poll enter the kernel: CQ overflow, deferred work */
    uintptr_t issuer; /* written under the lock, by the polling thread only */
    uint32_t novf;    /* entries in ovf (written under the lock, read by the polling thread) */
    uint32_t ovf_cap;
    struct ur_sqe *ovf;
    int waiting;        /* a thread is waiting (or about to) in io_uring_enter */
    uintptr_t owner;    /* the polling thread (pthread_self), whose wake-up work runs the polls */
    int foreign;        /* polls were submitted by another thread: the poller re-arms them all */
    unsigned adds;      /* poll requests queued since the polling thread last submitted */
    int lock;           /* ur_lock: producers of submissions; the records' and table's writers */
    struct ureg **byfd; /* fd → its registration (lock held) */
    size_t nbyfd;
    struct ureg *free;     /* records to reuse (lock held) */
    struct ureg *returned; /* records the polling thread is done with (pushed without the lock) */
    struct ureg_pool *pools;
    void *ring_map, *cq_map, *sqe_map;
    size_t ring_len, cq_len, sqe_len;
};

#define SEL(s) ((struct cmio_uring_selector *)(s))

static inline uintptr_t ur_self(void)
{
    return (uintptr_t)pthread_self();
}

/* The registering paths' lock: held for a few stores (a pool's calloc, a full ring's flush at
 * most), never while waiting, and never taken by cmio_poll_poll but to re-arm a poll the kernel
 * ended. A test-and-set lock that yields the CPU while another thread holds it: two atomic
 * operations per registration, where a mutex costs ~50 instructions. */
static inline void ur_lock(struct cmio_uring_selector *s)
{
    while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}

static inline void ur_unlock(struct cmio_uring_selector *s)
{
    __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

static unsigned ur_sq_size = 256, ur_cq_size = 8192;
static bool ur_no_single;

void cmio__uring_set_sizes(unsigned sq_entries, unsigned cq_entries)
{
    ur_sq_size = sq_entries != 0 ? sq_entries : 256;
    ur_cq_size = cq_entries != 0 ? cq_entries : 8192;
}

void cmio__uring_set_single(bool on)
{
    ur_no_single = !on;
}

bool cmio__uring_is_single(const struct cmio_selector *sel)
{
    return ((const struct cmio_uring_selector *)(const void *)sel)->single;
}

static inline uint32_t ur_load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void ur_store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* io_uring_enter; the submitted count, or a negative errno (errno is left alone). On x86-64 the
 * system call instruction itself: it is on every waiting poll's path, and libc's syscall() is a
 * variadic function that then converts to errno. */
static inline int ur_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                           const void *arg, size_t argsz)
{
#if defined(__x86_64__) && defined(__GNUC__)
    long ret;
    register long r10 __asm__("r10") = (long)flags;
    register long r8 __asm__("r8") = (long)(uintptr_t)arg;
    register long r9 __asm__("r9") = (long)argsz;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)SYS_io_uring_enter), "D"((long)fd), "S"((long)to_submit),
                       "d"((long)min_complete), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return (int)ret;
#else
    int saved = errno;
    long r = syscall(SYS_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz);
    int err = errno;
    errno = saved;
    return r < 0 ? -err : (int)r;
#endif
}

/* The kernel reads poll32_events with its 16-bit halves swapped on big-endian machines. */
static inline uint32_t ur_poll32(uint32_t events)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (events << 16) | (events >> 16);
#else
    return events;
#endif
}

static inline uint64_t ur_ud(const struct ureg *e)
{
    return (uint64_t)(uintptr_t)e;
}

/* Interest → (what the kernel polls for, what the user is told). Priority alone is polled with
 * POLLIN too: io_uring does not match a wake-up on POLLPRI alone (IO_ASYNC_POLL_COMMON), and TCP
 * urgent data wakes with POLLIN|POLLPRI; the user mask drops the POLLIN. */
static void ur_masks(cmio_interest interest, uint32_t *kmask, uint32_t *umask)
{
    uint32_t k = 0, u = CMIO__EV_ERR | CMIO__EV_HUP;
    if (interest & CMIO_INTEREST_READABLE) {
        k |= CMIO__EV_IN | CMIO__EV_RDHUP;
        u |= CMIO__EV_IN | CMIO__EV_RDHUP;
    }
    if (interest & CMIO_INTEREST_WRITABLE) {
        k |= CMIO__EV_OUT;
        u |= CMIO__EV_OUT;
    }
    if (interest & CMIO_INTEREST_PRIORITY) {
        k |= CMIO__EV_PRI | CMIO__EV_IN;
        u |= CMIO__EV_PRI;
    }
    *kmask = k;
    *umask = u;
}

/* ---- records (lock held, but for ur_rec_done) ---------------------------------------------- */

static struct ureg *ur_rec_get(struct cmio_uring_selector *s)
{
    if (s->free == NULL) /* take back what the polling thread is done with */
        s->free = __atomic_exchange_n(&s->returned, NULL, __ATOMIC_ACQUIRE);
    if (s->free == NULL) {
        struct ureg_pool *pool = calloc(1, sizeof *pool);
        if (pool == NULL)
            return NULL;
        pool->next = s->pools;
        s->pools = pool;
        for (size_t i = UR_POOL; i-- > 0;) {
            pool->rec[i].next = s->free;
            s->free = &pool->rec[i];
        }
    }
    struct ureg *e = s->free;
    s->free = e->next;
    return e;
}

/* The polling thread saw the last completion of a deregistered record's poll: it may be reused. */
static void ur_rec_done(struct cmio_uring_selector *s, struct ureg *e)
{
    struct ureg *head = __atomic_load_n(&s->returned, __ATOMIC_RELAXED);
    do
        e->next = head;
    while (!__atomic_compare_exchange_n(&s->returned, &head, e, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
}

static struct ureg *ur_byfd(struct cmio_uring_selector *s, int fd)
{
    return (size_t)fd < s->nbyfd ? s->byfd[fd] : NULL;
}

static int ur_byfd_set(struct cmio_uring_selector *s, int fd, struct ureg *e)
{
    if ((size_t)fd >= s->nbyfd) {
        size_t n = s->nbyfd != 0 ? s->nbyfd : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct ureg **t = realloc(s->byfd, n * sizeof *t);
        if (t == NULL)
            return -ENOMEM;
        memset(t + s->nbyfd, 0, (n - s->nbyfd) * sizeof *t);
        s->byfd = t;
        s->nbyfd = n;
    }
    s->byfd[fd] = e;
    return 0;
}

/* ---- the submission ring (lock held) -------------------------------------------------------- */

/* May this thread enter the ring? Any thread may, but in single-issuer mode (lock held). */
static inline bool ur_can_enter(const struct cmio_uring_selector *s)
{
    return !s->single || ur_self() == s->issuer;
}

static void ur_mark_foreign(struct cmio_uring_selector *s);

/* Free submission slots in the ring. */
static inline uint32_t ur_sq_room(const struct cmio_uring_selector *s)
{
    return s->sq_entries - (s->sq_tail - ur_load(s->sq_khead));
}

/* The submission ring has fewer than n free slots, and this thread may enter it: hands the queue
 * to the kernel now. 0, or a negative errno when the kernel takes nothing. (Lock held.) */
static int ur_sq_flush(struct cmio_uring_selector *s, uint32_t n)
{
    ur_mark_foreign(s);
    while (ur_sq_room(s) < n) {
        int r = ur_enter(s->ring_fd, s->sq_entries, 0, 0, NULL, 0);
        if (r < 0 && r != -EINTR)
            return r == -EAGAIN || r == -EBUSY ? -ENOMEM : r;
    }
    return 0;
}

/* Single-issuer mode, the issuer: moves what other threads left in ovf into the submission ring
 * (in order, after what the ring holds), handing the ring to the kernel whenever it is full.
 * 0, or a negative errno when the kernel takes nothing (what is left stays in ovf). (Lock
 * held.) */
static int ur_ovf_drain(struct cmio_uring_selector *s)
{
    uint32_t i = 0, n = s->novf;
    int r = 0;
    for (; i < n; i++) {
        if (ur_sq_room(s) == 0 && (r = ur_sq_flush(s, 1)) < 0)
            break;
        s->sqes[s->sq_tail & s->sq_mask] = s->ovf[i];
        s->sq_tail++;
        __atomic_store_n(s->sq_ktail, s->sq_tail, __ATOMIC_SEQ_CST);
    }
    if (i < n)
        memmove(s->ovf, s->ovf + i, (size_t)(n - i) * sizeof *s->ovf);
    __atomic_store_n(&s->novf, n - i, __ATOMIC_SEQ_CST);
    return r;
}

/* ur_sqe_get when the ring has no room for n or ovf is not empty: a thread that may enter makes
 * room; in single-issuer mode another thread gets slots of ovf (grown as needed: never lost,
 * never waiting for the issuer). */
static __attribute__((noinline)) int ur_sqe_slow(struct cmio_uring_selector *s, uint32_t n,
                                                 struct ur_sqe **q)
{
    if (ur_can_enter(s)) {
        int r = s->novf != 0 ? ur_ovf_drain(s) : 0;
        if (r == 0 && ur_sq_room(s) < n)
            r = ur_sq_flush(s, n);
        if (r < 0)
            return r;
        for (uint32_t i = 0; i < n; i++) {
            q[i] = &s->sqes[(s->sq_tail + i) & s->sq_mask];
            *q[i] = (struct ur_sqe){0};
        }
        return 0;
    }
    if (s->ovf_cap - s->novf < n) {
        uint32_t cap = s->ovf_cap != 0 ? s->ovf_cap * 2 : 64;
        struct ur_sqe *t = realloc(s->ovf, (size_t)cap * sizeof *t);
        if (t == NULL)
            return -ENOMEM;
        s->ovf = t;
        s->ovf_cap = cap;
    }
    s->staged = true;
    for (uint32_t i = 0; i < n; i++) {
        q[i] = &s->ovf[s->novf + i];
        *q[i] = (struct ur_sqe){0};
    }
    return 0;
}

/* n (1 or 2) free submission slots, zeroed, into q; 0, or a negative errno when the ring stays
 * full. ur_sqe_push publishes them together. (Lock held.) */
static inline int ur_sqe_get(struct cmio_uring_selector *s, uint32_t n, struct ur_sqe **q)
{
    if (__builtin_expect(s->novf != 0 || ur_sq_room(s) < n, 0))
        return ur_sqe_slow(s, n, q);
    for (uint32_t i = 0; i < n; i++) {
        q[i] = &s->sqes[(s->sq_tail + i) & s->sq_mask];
        *q[i] = (struct ur_sqe){0};
    }
    return 0;
}

/* Publishes the n slots ur_sqe_get returned. Sequentially consistent, as the waiting thread's
 * store of `waiting` and its load of the tail are (ur_wait*): of a registering thread and a
 * thread about to wait, at least one sees the other — the registration is submitted by the
 * waiting thread's io_uring_enter, or the registering thread wakes it (ur_kick). */
static inline void ur_sqe_push(struct cmio_uring_selector *s, uint32_t n)
{
    if (__builtin_expect(s->staged, 0)) {
        s->staged = false;
        __atomic_store_n(&s->novf, s->novf + n, __ATOMIC_SEQ_CST);
        return;
    }
    s->sq_tail += n;
    __atomic_store_n(s->sq_ktail, s->sq_tail, __ATOMIC_SEQ_CST);
}

/* After queueing a change: a thread waiting in io_uring_enter would not submit it until it wakes,
 * so wake it (the poll of the internal eventfd). */
static void ur_kick(struct cmio_uring_selector *s)
{
    if (__atomic_load_n(&s->waiting, __ATOMIC_SEQ_CST)) {
        const uint64_t one = 1;
        (void)!write(s->notify_fd, &one, sizeof one);
    }
}

/* Makes the kernel take every submission up to `tail` (exclusive) before returning: submitted by
 * this call or by another thread's io_uring_enter, which holds the ring's lock until it is done.
 * A submission the kernel could not take yet (no memory) stays queued and goes with the next
 * io_uring_enter. (Lock held, by a thread that may enter: ur_can_enter.) */
static int ur_submit_through(struct cmio_uring_selector *s, uint32_t tail)
{
    ur_mark_foreign(s);
    for (int tries = 0;; tries++) {
        uint32_t head = ur_load(s->sq_khead);
        if ((int32_t)(tail - head) <= 0)
            return 0;
        /* Single issuer: the cancellation of a poll is deferred work, done when completions are
         * asked for (without waiting: min_complete 0). */
        int r = ur_enter(s->ring_fd, tail - head, 0, s->single ? UR_ENTER_GETEVENTS : 0, NULL, 0);
        if (r < 0) {
            if (r == -EINTR)
                continue;
            if ((r == -EAGAIN || r == -EBUSY) && tries < 100) {
                sched_yield();
                continue;
            }
            return r == -EAGAIN || r == -EBUSY ? -ENOMEM : r;
        }
    }
}

/* Queues a multishot poll of fd for user_data ud. */
static void ur_prep_poll(struct ur_sqe *q, int fd, uint32_t kmask, uint64_t ud)
{
    q->opcode = UR_OP_POLL_ADD;
    q->fd = fd;
    q->len = UR_POLL_ADD_MULTI;
    q->op_flags = ur_poll32(kmask);
    q->user_data = ud;
}

/* A cancellation of the poll request whose user_data is ud (completes only when it fails). */
static void ur_prep_cancel(struct ur_sqe *q, uint64_t ud)
{
    q->opcode = UR_OP_ASYNC_CANCEL;
    q->flags = UR_SQE_CQE_SKIP_SUCCESS;
    q->fd = -1;
    q->addr = ud;
    q->user_data = UD_CTRL;
}

static int ur_queue_poll(struct cmio_uring_selector *s, int fd, uint32_t kmask, uint64_t ud)
{
    struct ur_sqe *q;
    int r = ur_sqe_get(s, 1, &q);
    if (r < 0)
        return r;
    ur_prep_poll(q, fd, kmask, ud);
    ur_sqe_push(s, 1);
    __atomic_add_fetch(&s->adds, 1, __ATOMIC_RELAXED);
    return 0;
}

/* A thread submits what is queued. With IORING_SETUP_COOP_TASKRUN a poll request's wake-ups are
 * handled in the thread that submitted it, at its next entry into the kernel (at once when it is
 * waiting): poll requests submitted by a thread that is not the polling one (its deregistration
 * or a full ring sent the queue along) are marked, and the polling thread arms them again under
 * its own name (ur_adopt). */
static void ur_mark_foreign(struct cmio_uring_selector *s)
{
    if (s->single)
        return; /* only the polling thread submits */
    if (ur_self() != __atomic_load_n(&s->owner, __ATOMIC_RELAXED) &&
        __atomic_exchange_n(&s->adds, 0, __ATOMIC_RELAXED) != 0)
        __atomic_store_n(&s->foreign, 1, __ATOMIC_RELAXED);
}

/* Replaces registration e's poll request by a new one, with a new record: e's poll is cancelled
 * (its completions are dropped from now on), the new one armed with kmask — which evaluates
 * readiness afresh, as EPOLL_CTL_MOD does, exactly once. (A poll update, IORING_POLL_UPDATE_*,
 * fails with -EALREADY while a wake-up of the poll is being handled — always, in single-issuer
 * mode, for a wake-up that came before the update was submitted — and retrying it reports the
 * readiness twice.) 0 or a negative errno (nothing changed). */
static int ur_replace(struct cmio_uring_selector *s, struct ureg *e, uint64_t token, uint32_t umask,
                      uint32_t kmask)
{
    struct ureg *n = ur_rec_get(s);
    if (n == NULL)
        return -ENOMEM;
    struct ur_sqe *q[2];
    int r = ur_sqe_get(s, 2, q);
    if (r < 0) {
        n->next = s->free;
        s->free = n;
        return r;
    }
    n->token = token;
    n->mask = umask;
    n->kmask = kmask;
    n->fd = e->fd;
    n->seen_seq = 0;
    n->live = 1;
    ur_prep_cancel(q[0], ur_ud(e));
    ur_prep_poll(q[1], n->fd, kmask, ur_ud(n));
    __atomic_store_n(&e->live, 0, __ATOMIC_RELAXED);
    s->byfd[n->fd] = n;
    ur_sqe_push(s, 2);
    __atomic_add_fetch(&s->adds, 1, __ATOMIC_RELAXED);
    return 0;
}

/* Ends fd's registration and queues the cancellation of its poll. Its completions still in the
 * ring are dropped from now on; the record is reused after the poll's last completion. */
static int ur_unregister(struct cmio_uring_selector *s, int fd)
{
    struct ureg *e = ur_byfd(s, fd);
    if (e == NULL)
        return -ENOENT;
    struct ur_sqe *q;
    int r = ur_sqe_get(s, 1, &q);
    if (r < 0)
        return r;
    ur_prep_cancel(q, ur_ud(e));
    ur_sqe_push(s, 1);
    __atomic_store_n(&e->live, 0, __ATOMIC_RELAXED);
    s->byfd[fd] = NULL;
    return 0;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static void ur_unmap(const struct cmio_uring_selector *s)
{
    if (s->sqe_map != NULL)
        munmap(s->sqe_map, s->sqe_len);
    if (s->cq_map != NULL && s->cq_map != s->ring_map)
        munmap(s->cq_map, s->cq_len);
    if (s->ring_map != NULL)
        munmap(s->ring_map, s->ring_len);
}

static void uring_destroy(struct cmio_selector *sel)
{
    struct cmio_uring_selector *s = SEL(sel);
    close(s->ring_fd); /* the kernel cancels every request still armed */
    ur_unmap(s);
    close(s->notify_fd);
    while (s->pools != NULL) {
        struct ureg_pool *next = s->pools->next;
        free(s->pools);
        s->pools = next;
    }
    free(s->byfd);
    free(s->ovf);
    free(s);
}

static int ur_map(struct cmio_uring_selector *s, const struct ur_params *p)
{
    s->ring_len = p->sq_off.array + p->sq_entries * sizeof(uint32_t);
    s->cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct ur_cqe);
    if (p->features & UR_FEAT_SINGLE_MMAP) {
        if (s->cq_len > s->ring_len)
            s->ring_len = s->cq_len;
        s->cq_len = s->ring_len;
    }
    void *m = mmap(NULL, s->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s->ring_fd,
                   UR_OFF_SQ_RING);
    if (m == MAP_FAILED)
        return -errno;
    s->ring_map = m;
    if (p->features & UR_FEAT_SINGLE_MMAP) {
        s->cq_map = m;
    } else {
        m = mmap(NULL, s->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s->ring_fd,
                 UR_OFF_CQ_RING);
        if (m == MAP_FAILED)
            return -errno;
        s->cq_map = m;
    }
    s->sqe_len = p->sq_entries * sizeof(struct ur_sqe);
    m = mmap(NULL, s->sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s->ring_fd,
             UR_OFF_SQES);
    if (m == MAP_FAILED)
        return -errno;
    s->sqe_map = m;

    char *sq = s->ring_map, *cq = s->cq_map;
    s->sq_khead = (uint32_t *)(void *)(sq + p->sq_off.head);
    s->sq_ktail = (uint32_t *)(void *)(sq + p->sq_off.tail);
    s->sq_kflags = (uint32_t *)(void *)(sq + p->sq_off.flags);
    s->sq_array = (uint32_t *)(void *)(sq + p->sq_off.array);
    s->sq_mask = *(uint32_t *)(void *)(sq + p->sq_off.ring_mask);
    s->sq_entries = *(uint32_t *)(void *)(sq + p->sq_off.ring_entries);
    s->cq_khead = (uint32_t *)(void *)(cq + p->cq_off.head);
    s->cq_ktail = (uint32_t *)(void *)(cq + p->cq_off.tail);
    s->cq_mask = *(uint32_t *)(void *)(cq + p->cq_off.ring_mask);
    s->cqes = (struct ur_cqe *)(void *)(cq + p->cq_off.cqes);
    s->sqes = s->sqe_map;
    /* Slot i of the SQE array is always entry i of the ring: the indirection is set once. */
    for (uint32_t i = 0; i < s->sq_entries; i++)
        s->sq_array[i] = i;
    s->sq_tail = *s->sq_ktail;
    return 0;
}

/* A ring for s, created by (and in single-issuer mode belonging to) this thread, mapped.
 * Single-issuer mode where the kernel has it (6.1+): wake-ups are handled only when the polling
 * thread asks for completions (DEFER_TASKRUN), in one batch, instead of interrupting each of its
 * system calls — ~11 % less CPU per round trip for a busy server here. Before that, COOP_TASKRUN
 * (5.19+): a wake-up does not interrupt the polling thread while it runs (an IPI and a kernel entry
 * per event, which halves the rate of a busy server); it is handled at its next system call, or at
 * once when it waits. 0 or a negative errno. */
static int ur_ring_new(struct cmio_uring_selector *s)
{
    const uint32_t base = UR_SETUP_CQSIZE | UR_SETUP_CLAMP | UR_SETUP_SUBMIT_ALL;
    const uint32_t coop = base | UR_SETUP_COOP_TASKRUN | UR_SETUP_TASKRUN_FLAG;
    const uint32_t modes[3] = {coop | UR_SETUP_SINGLE_ISSUER | UR_SETUP_DEFER_TASKRUN, coop, base};
    struct ur_params p;
    int fd = -1;
    uint32_t mode = 0;
    for (int i = ur_no_single ? 1 : 0; i < 3; i++) {
        memset(&p, 0, sizeof p);
        p.flags = mode = modes[i];
        p.cq_entries = ur_cq_size;
        fd = (int)syscall(SYS_io_uring_setup, ur_sq_size, &p);
        if (fd >= 0 || errno != EINVAL) /* EINVAL: a kernel that predates one of the flags */
            break;
    }
    if (fd < 0) /* EINVAL: before 5.18 (SUBMIT_ALL) */
        return errno == EINVAL ? -ENOSYS : -errno;
    const uint32_t need = UR_FEAT_NODROP | UR_FEAT_EXT_ARG | UR_FEAT_CQE_SKIP;
    if ((p.features & need) != need) { /* before 5.17: no CQE skipping (no cheap cancellation) */
        close(fd);
        return -ENOSYS;
    }
    s->ring_fd = fd;
    s->ring_map = s->cq_map = s->sqe_map = NULL;
    int r = ur_map(s, &p);
    if (r < 0) {
        ur_unmap(s);
        close(fd);
        return r;
    }
    s->single = (mode & UR_SETUP_DEFER_TASKRUN) != 0;
    s->kflags = UR_SQ_CQ_OVERFLOW | (s->single ? UR_SQ_TASKRUN : 0);
    s->issuer = ur_self();
    return 0;
}

static int uring_create(struct cmio_selector **out)
{
    struct cmio_uring_selector *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->ring_fd = s->notify_fd = -1;
    int r = ur_ring_new(s);
    if (r < 0) {
        free(s);
        return r;
    }
    s->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->notify_fd < 0) {
        r = -errno;
        goto fail;
    }
    r = ur_queue_poll(s, s->notify_fd, CMIO__EV_IN, UD_NOTIFY); /* goes with the first wait */
    if (r < 0)
        goto fail;
    s->base.be = &cmio__backend_uring;
    atomic_init(&s->base.refs, 1);
    *out = &s->base;
    return 0;
fail:
    close(s->ring_fd);
    ur_unmap(s);
    if (s->notify_fd >= 0)
        close(s->notify_fd);
    free(s);
    return r;
}

/* ---- registrations ------------------------------------------------------------------------ */

static int uring_add(struct cmio_selector *sel, int fd, cmio_token token, cmio_interest interest)
{
    struct cmio_uring_selector *s = SEL(sel);
    if (!(interest & CMIO__INTEREST_KNOWN)) {
        /* A raw fd: refuse what epoll_ctl refuses, now rather than in a completion nobody sees. */
        struct stat st;
        if (fstat(fd, &st) < 0)
            return -errno;
        if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
            return -EPERM;
    }
    uint32_t kmask, umask;
    ur_masks(interest, &kmask, &umask);

    ur_lock(s);
    int r = -EEXIST;
    if (ur_byfd(s, fd) == NULL) {
        struct ureg *e = ur_rec_get(s);
        r = e == NULL ? -ENOMEM : ur_byfd_set(s, fd, e);
        if (r == 0) {
            e->token = token;
            e->mask = umask;
            e->kmask = kmask;
            e->fd = fd;
            e->seen_seq = 0;
            e->live = 1;
            r = ur_queue_poll(s, fd, kmask, ur_ud(e)); /* publishes the record to the kernel */
            if (r < 0)
                s->byfd[fd] = NULL;
        }
        if (r < 0 && e != NULL) {
            e->next = s->free;
            s->free = e;
        }
    }
    ur_unlock(s);
    if (r == 0)
        ur_kick(s);
    return r;
}

static int uring_modify(struct cmio_selector *sel, int fd, cmio_token token, cmio_interest interest)
{
    struct cmio_uring_selector *s = SEL(sel);
    uint32_t kmask, umask;
    ur_masks(interest, &kmask, &umask);
    ur_lock(s);
    struct ureg *e = ur_byfd(s, fd);
    /* A new poll request, also for the same interest: it re-evaluates readiness, as
     * EPOLL_CTL_MOD does. */
    int r = e != NULL ? ur_replace(s, e, token, umask, kmask) : -ENOENT;
    ur_unlock(s);
    if (r == 0)
        ur_kick(s);
    return r;
}

static int uring_remove(struct cmio_selector *sel, int fd)
{
    struct cmio_uring_selector *s = SEL(sel);
    ur_lock(s);
    int r = ur_unregister(s, fd);
    bool enter = r == 0 && ur_can_enter(s);
    /* Now, not with the next wait: the armed poll keeps the socket open until it is cancelled,
     * and the caller may close the fd next. One that could not go now goes with the next wait. */
    if (enter)
        (void)ur_submit_through(s, s->sq_tail);
    ur_unlock(s);
    if (r == 0 && !enter)
        ur_kick(s); /* single issuer: the polling thread submits it, at once if it waits */
    return r;
}

/* Deregisters and closes fd in one io_uring_enter: the cancellation, then IORING_OP_CLOSE. The fd
 * is never closed with close(2) once a close is queued, so its number cannot be reused (and the
 * queued close hit another file) before the kernel has run it. */
int cmio__uring_close(struct cmio_selector *sel, int fd)
{
    struct cmio_uring_selector *s = SEL(sel);
    ur_lock(s);
    bool registered = ur_unregister(s, fd) == 0;
    struct ur_sqe *q = NULL;
    int err = ur_can_enter(s) ? ur_sqe_get(s, 1, &q) : -EPERM;
    const bool queued = err == 0;
    if (queued) {
        q->opcode = UR_OP_CLOSE;
        q->flags = UR_SQE_CQE_SKIP_SUCCESS;
        q->fd = fd;
        q->user_data = UD_CTRL;
        ur_sqe_push(s, 1);
        /* Sockets have no ->flush, so the kernel closes the fd inline, before io_uring_enter
         * returns. */
        err = ur_submit_through(s, s->sq_tail);
    }
    ur_unlock(s);
    if (queued)
        return err;
    /* Single issuer and another thread (the polling thread submits the cancellation, at once if
     * it waits), or the ring is full and the kernel takes nothing: close(2). */
    if (registered)
        ur_kick(s);
    return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

/* ---- waiting ------------------------------------------------------------------------------ */

/* A completion of the backend's own (its user_data is no record). */
static void ur_internal(struct cmio_uring_selector *s, uint64_t ud, int32_t res, uint32_t flags)
{
    if (ud == UD_NOTIFY) {
        /* Ended by the kernel (CQ overflow): arm it again; cancelled: ur_adopt armed a new one. */
        if (!(flags & UR_CQE_F_MORE) && res != -ECANCELED) {
            ur_lock(s);
            (void)ur_queue_poll(s, s->notify_fd, CMIO__EV_IN, UD_NOTIFY);
            ur_unlock(s);
        }
        return;
    }
    /* UD_CTRL: a cancellation or close that failed (the poll had ended): nothing to undo. */
}

/* Appends (or merges) the readiness `res` of live registration e to events at *out; false when
 * events is full. Several completions of one registration in one poll are one event, as epoll's
 * ready list makes one of several wake-ups. */
static inline bool ur_report(struct ureg *e, int32_t res, cmio_events *events, size_t *out,
                             uint64_t seq)
{
    uint32_t bits = (uint32_t)res & __atomic_load_n(&e->mask, __ATOMIC_RELAXED);
    if (bits == 0)
        return true;
    if (e->seen_seq == seq) {
        events->ev[e->seen_idx].events |= bits;
        return true;
    }
    size_t i = *out;
    if (i == events->cap)
        return false;
    events->ev[i].events = bits;
    events->ev[i].data.u64 = __atomic_load_n(&e->token, __ATOMIC_RELAXED);
    e->seen_seq = seq;
    e->seen_idx = (uint32_t)i;
    *out = i + 1;
    return true;
}

/* Every completion but a live registration's multishot readiness: the backend's own, one of a
 * registration removed since (dropped), and the last completion of a poll (the record of a
 * removed registration can then be reused; a live one's poll, which the kernel ended — CQ ring
 * overflow, its submitting thread exited — is reported and armed again). False when events is
 * full and c must stay. */
static bool ur_cqe_slow(struct cmio_uring_selector *s, const struct ur_cqe *c, cmio_events *events,
                        size_t *out)
{
    uint64_t ud = c->user_data;
    if (ud & 7) {
        ur_internal(s, ud, c->res, c->flags);
        return true;
    }
    struct ureg *e = (struct ureg *)(uintptr_t)ud;
    bool last = !(c->flags & UR_CQE_F_MORE);
    if (!__atomic_load_n(&e->live, __ATOMIC_RELAXED)) {
        if (last)
            ur_rec_done(s, e);
        return true;
    }
    if (c->res > 0 && !ur_report(e, c->res, events, out, s->seq))
        return false;
    if (last) {
        /* Armed again; but a failure of the poll itself (e.g. -EBADF: closed before it was
         * armed) is final, and the registration is gone. */
        ur_lock(s);
        bool done = !e->live;
        if (!done && (c->res >= 0 || c->res == -ECANCELED) &&
            ur_queue_poll(s, e->fd, e->kmask, ur_ud(e)) == 0)
            done = false;
        else if (!done) {
            e->live = 0;
            if (ur_byfd(s, e->fd) == e)
                s->byfd[e->fd] = NULL;
            done = true;
        }
        ur_unlock(s);
        if (done)
            ur_rec_done(s, e);
    }
    return true;
}

/* The rest of a harvest, from the completion at head, once one needed more than the fast loop. */
static __attribute__((noinline)) size_t
ur_harvest_slow(struct cmio_uring_selector *s, cmio_events *events, uint32_t head, size_t out)
{
    const uint32_t tail = ur_load(s->cq_ktail);
    for (; head != tail; head++) {
        if (!ur_cqe_slow(s, &s->cqes[head & s->cq_mask], events, &out))
            break;
    }
    ur_store(s->cq_khead, head);
    return out;
}

/* Moves completions into events; returns their count. Stops when events is full, leaving the
 * rest in the ring. The loop handles a live registration's multishot readiness and nothing else
 * (it calls nothing); at any other completion it hands over to ur_harvest_slow. */
static inline size_t ur_harvest(struct cmio_uring_selector *s, cmio_events *events)
{
    uint32_t head = *s->cq_khead;
    const uint32_t tail = ur_load(s->cq_ktail), mask = s->cq_mask;
    const struct ur_cqe *cqes = s->cqes;
    const uint64_t seq = s->seq;
    size_t out = 0;
    for (; head != tail; head++) {
        const struct ur_cqe *c = &cqes[head & mask];
        uint64_t ud = c->user_data;
        int32_t res = c->res;
        struct ureg *e = (struct ureg *)(uintptr_t)ud;
        if ((ud & 7) != 0 || res <= 0 || !(c->flags & UR_CQE_F_MORE) ||
            !__atomic_load_n(&e->live, __ATOMIC_RELAXED))
            return ur_harvest_slow(s, events, head, out);
        if (!ur_report(e, res, events, &out, seq))
            break;
    }
    ur_store(s->cq_khead, head);
    return out;
}

/* Single-issuer mode: other threads' changes wait in ovf; they go in with this wait. */
static __attribute__((noinline)) void ur_take_ovf(struct cmio_uring_selector *s)
{
    ur_lock(s);
    (void)ur_ovf_drain(s); /* what the kernel could not take yet stays, for the next wait */
    ur_unlock(s);
}

static int64_t ur_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* No timeout, the lock-step server's path: waits for one completion (queued changes go with the
 * wait), collects, and waits again if it was only the backend's own or a removed registration's. */
static __attribute__((noinline)) int ur_wait_forever(struct cmio_uring_selector *s,
                                                     cmio_events *events)
{
    for (;;) {
        /* From here a registration made by another thread wakes us (ur_kick). */
        __atomic_store_n(&s->waiting, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&s->novf, __ATOMIC_SEQ_CST) != 0)
            ur_take_ovf(s);
        uint32_t pending = __atomic_load_n(s->sq_ktail, __ATOMIC_SEQ_CST) - ur_load(s->sq_khead);
        if (pending != 0)
            __atomic_store_n(&s->adds, 0, __ATOMIC_RELAXED); /* this thread submits them */
        int r = ur_enter(s->ring_fd, pending, 1, UR_ENTER_GETEVENTS, NULL, 0);
        __atomic_store_n(&s->waiting, 0, __ATOMIC_RELAXED);
        if (r < 0 && r != -EAGAIN && r != -EBUSY) {
            events->len = 0;
            return r; /* -EINTR included, as epoll_wait: the completions stay */
        }
        size_t out = ur_harvest(s, events);
        if (out > 0) {
            events->len = out;
            return (int)out;
        }
    }
}

/* Waits (io_uring_enter: queued changes go with it) and collects, until there are events or the
 * timeout passed. */
static __attribute__((noinline)) int ur_wait(struct cmio_uring_selector *s, cmio_events *events,
                                             const struct timespec *timeout)
{
    const bool zero = timeout != NULL && timeout->tv_sec == 0 && timeout->tv_nsec == 0;
    int64_t deadline = 0;
    if (timeout != NULL && timeout->tv_sec > (time_t)30 * 365 * 86400)
        timeout = NULL; /* over 30 years: wait forever, no overflow */
    const bool timed = timeout != NULL && !zero;
    if (timed)
        deadline = ur_now_ns() + (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
    for (;;) {
        bool last = zero;
        uint32_t pending = ur_load(s->sq_ktail) - ur_load(s->sq_khead);
        bool ready = ur_load(s->cq_ktail) != *s->cq_khead;
        if (!ready || pending != 0 ||
            (__atomic_load_n(s->sq_kflags, __ATOMIC_RELAXED) & s->kflags) ||
            __atomic_load_n(&s->novf, __ATOMIC_RELAXED) != 0) {
            unsigned min = ready || zero ? 0 : 1;
            unsigned flags = UR_ENTER_GETEVENTS;
            struct ur_kts kts;
            struct ur_getevents_arg arg;
            const void *argp = NULL;
            size_t argsz = 0;
            if (min != 0 && timed) {
                int64_t left = deadline - ur_now_ns();
                if (left <= 0) {
                    min = 0; /* time is up: collect what is there */
                    last = true;
                } else {
                    kts.tv_sec = left / 1000000000;
                    kts.tv_nsec = left % 1000000000;
                    memset(&arg, 0, sizeof arg);
                    arg.ts = (uint64_t)(uintptr_t)&kts;
                    argp = &arg;
                    argsz = sizeof arg;
                    flags |= UR_ENTER_EXT_ARG;
                }
            }
            if (min != 0) /* from here a registration made by another thread wakes us (ur_kick) */
                __atomic_store_n(&s->waiting, 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&s->novf, __ATOMIC_SEQ_CST) != 0)
                ur_take_ovf(s);
            pending = __atomic_load_n(s->sq_ktail, __ATOMIC_SEQ_CST) - ur_load(s->sq_khead);
            if (pending != 0)
                __atomic_store_n(&s->adds, 0, __ATOMIC_RELAXED); /* this thread submits them */
            int r = ur_enter(s->ring_fd, pending, min, flags, argp, argsz);
            if (min != 0)
                __atomic_store_n(&s->waiting, 0, __ATOMIC_RELAXED);
            if (r < 0) {
                if (r == -ETIME) {
                    last = true;
                } else if (r != -EAGAIN && r != -EBUSY) {
                    events->len = 0;
                    return r; /* -EINTR included, as epoll_wait: the completions stay */
                } /* EAGAIN/EBUSY: the kernel is short of memory or the CQ ring overflowed:
                     collect what is there, then try again */
            }
        }
        size_t out = ur_harvest(s, events);
        if (out > 0 || last) {
            events->len = out;
            return (int)out;
        }
        /* Only the backend's own completions, or ones of registrations removed since: wait
         * again, with what is left of the timeout. */
    }
}

/* Single-issuer mode, a poll by a thread that is not the ring's issuer (a poll handed to another
 * thread, or a first poll not made by the creating thread): that thread cannot enter the ring,
 * so it gets a ring of its own. Every live registration keeps its record and is armed again in
 * the new ring (arming reports what is ready at that moment: no edge is lost); the old ring is
 * closed (the kernel cancels what was armed there, and so releases the sockets); the records of
 * removed registrations that were waiting for their poll's last completion are free again, and a
 * close still queued in the old ring is made with close(2). O(registrations), once per change of
 * polling thread. 0 or a negative errno (the old ring stays). (Lock held.) */
static void ur_ring_move(struct cmio_uring_selector *to, const struct cmio_uring_selector *from)
{
    to->ring_fd = from->ring_fd;
    to->cq_khead = from->cq_khead, to->cq_ktail = from->cq_ktail;
    to->cq_mask = from->cq_mask;
    to->cqes = from->cqes;
    to->sq_khead = from->sq_khead, to->sq_ktail = from->sq_ktail;
    to->sq_kflags = from->sq_kflags, to->sq_array = from->sq_array;
    to->sq_mask = from->sq_mask, to->sq_entries = from->sq_entries, to->sq_tail = from->sq_tail;
    to->sqes = from->sqes;
    to->single = from->single;
    to->kflags = from->kflags;
    to->issuer = from->issuer;
    to->ring_map = from->ring_map, to->cq_map = from->cq_map, to->sqe_map = from->sqe_map;
    to->ring_len = from->ring_len, to->cq_len = from->cq_len, to->sqe_len = from->sqe_len;
}

static __attribute__((noinline)) int ur_migrate(struct cmio_uring_selector *s)
{
    struct cmio_uring_selector fresh, old;
    memset(&fresh, 0, sizeof fresh);
    memset(&old, 0, sizeof old);
    int r = ur_ring_new(&fresh);
    if (r < 0)
        return r;
    ur_ring_move(&old, s);
    ur_ring_move(s, &fresh);
    for (uint32_t h = ur_load(old.sq_khead); h != old.sq_tail; h++) {
        const struct ur_sqe *q = &old.sqes[h & old.sq_mask];
        if (q->opcode == UR_OP_CLOSE)
            (void)close(q->fd);
    }
    __atomic_store_n(&s->novf, 0, __ATOMIC_SEQ_CST); /* changes only: re-arming covers them */
    s->staged = false;
    /* The new ring takes the old one's fd number (dup3 closes the old ring): the process's fd
     * numbers stay as they were. */
    if (dup3(s->ring_fd, old.ring_fd, O_CLOEXEC) == old.ring_fd) {
        (void)close(s->ring_fd);
        s->ring_fd = old.ring_fd;
    } else {
        (void)close(old.ring_fd);
    }
    ur_unmap(&old);

    /* Every record that is not a live registration's is free. */
    s->free = NULL;
    __atomic_store_n(&s->returned, NULL, __ATOMIC_RELAXED);
    for (struct ureg_pool *pool = s->pools; pool != NULL; pool = pool->next) {
        for (size_t i = 0; i < UR_POOL; i++) {
            struct ureg *e = &pool->rec[i];
            if (e->live && ur_byfd(s, e->fd) == e)
                continue;
            e->live = 0;
            e->next = s->free;
            s->free = e;
        }
    }
    for (size_t fd = 0; fd < s->nbyfd; fd++) {
        struct ureg *e = s->byfd[fd];
        if (e != NULL && ur_queue_poll(s, e->fd, e->kmask, ur_ud(e)) < 0) {
            e->live = 0; /* its registration is lost, as if the kernel had refused the poll */
            s->byfd[fd] = NULL;
            e->next = s->free;
            s->free = e;
        }
    }
    (void)ur_queue_poll(s, s->notify_fd, CMIO__EV_IN, UD_NOTIFY);
    return 0;
}

/* The polling thread is a new one, or polls were submitted by another thread: every registration
 * gets a new record and poll request submitted by this thread (the old ones are cancelled; their
 * completions are dropped), so that their wake-ups run here (ur_mark_foreign). O(registrations),
 * when a poll changes threads. */
static __attribute__((noinline)) int ur_adopt(struct cmio_uring_selector *s, uintptr_t self)
{
    ur_lock(s);
    if (s->single) {
        int r = self == s->issuer ? 0 : ur_migrate(s);
        if (r == 0)
            __atomic_store_n(&s->owner, self, __ATOMIC_RELAXED);
        ur_unlock(s);
        return r;
    }
    bool first = __atomic_load_n(&s->owner, __ATOMIC_RELAXED) == 0;
    __atomic_store_n(&s->owner, self, __ATOMIC_RELAXED);
    if (first && !__atomic_load_n(&s->foreign, __ATOMIC_RELAXED)) {
        ur_unlock(s); /* the first poll: every poll request queued so far goes with our wait */
        return 0;
    }
    __atomic_store_n(&s->foreign, 0, __ATOMIC_RELAXED);
    for (size_t fd = 0; fd < s->nbyfd; fd++) {
        struct ureg *e = s->byfd[fd];
        if (e != NULL && ur_replace(s, e, e->token, e->mask, e->kmask) < 0)
            break; /* out of memory: the rest stay as they are */
    }
    struct ur_sqe *q[2];
    if (ur_sqe_get(s, 2, q) == 0) {
        ur_prep_cancel(q[0], UD_NOTIFY);
        ur_prep_poll(q[1], s->notify_fd, CMIO__EV_IN, UD_NOTIFY);
        ur_sqe_push(s, 2);
    }
    __atomic_store_n(&s->adds, 0, __ATOMIC_RELAXED);
    ur_unlock(s);
    return 0;
}

/* The common case costs no system call: completions are waiting in the ring (they are posted
 * while the loop runs, e.g. during its own read and send), and no change is queued. */
static int uring_select(struct cmio_selector *sel, cmio_events *events,
                        const struct timespec *timeout)
{
    struct cmio_uring_selector *s = SEL(sel);
    uintptr_t self = ur_self();
    if (__builtin_expect(self != __atomic_load_n(&s->owner, __ATOMIC_RELAXED) ||
                             __atomic_load_n(&s->foreign, __ATOMIC_RELAXED),
                         0)) {
        int r = ur_adopt(s, self);
        if (r < 0) {
            events->len = 0;
            return r;
        }
    }
    s->seq++;
    if (ur_load(s->cq_ktail) != *s->cq_khead && ur_load(s->sq_ktail) == ur_load(s->sq_khead) &&
        !(__atomic_load_n(s->sq_kflags, __ATOMIC_RELAXED) & s->kflags) &&
        __atomic_load_n(&s->novf, __ATOMIC_RELAXED) == 0) {
        size_t out = ur_harvest(s, events);
        if (out > 0) {
            events->len = out;
            return (int)out;
        }
    }
    return timeout == NULL ? ur_wait_forever(s, events) : ur_wait(s, events, timeout);
}

const struct cmio_backend cmio__backend_uring = {
    .name = "uring",
    .create = uring_create,
    .destroy = uring_destroy,
    .add = uring_add,
    .modify = uring_modify,
    .remove = uring_remove,
    .select = uring_select,
    .wait_fd = NULL,
    .rearm = NULL,
};

#endif /* CMIO_BACKEND_URING */
