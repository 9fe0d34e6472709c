/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — the AFD backend: readiness of sockets through IOCTL_AFD_POLL operations
 * completed on one I/O completion port, as mio's src/sys/windows/selector.rs and wepoll.
 *
 * Every registered socket has one heap-allocated state (struct sock) holding the poll operation's
 * IO_STATUS_BLOCK and AFD_POLL_INFO, which the kernel writes until the operation completes; at
 * most one poll is outstanding per socket. Sockets share AFD helper handles in groups of up to 32
 * (an AFD handle is the device the poll is issued on, not the socket).
 *
 * AFD polls are level-triggered and one-shot: a poll completes when one of its events is true.
 * Edge-triggered readiness is emulated as mio does: a reported event is removed from the
 * socket's `armed` set, so the next poll no longer asks for it, until an operation for that
 * direction returns -EAGAIN (io_source calls rearm) or the registration changes. Changing what a
 * pending poll asks for means cancelling it (NtCancelIoFileEx) and submitting a new one when its
 * completion arrives; a cancelled poll's event mask is stale, so the IO status is checked first.
 *
 * Changes are queued (the update queue) and submitted just before the wait in GetQueued-
 * CompletionStatusEx, or at once when another thread is inside that wait (mio's update queue), so
 * that registry calls from other threads take effect while a thread polls. One SRW lock guards
 * the selector's tables; the wait itself runs without it.
 */
#include "win/nt.h"

#include <stdlib.h>
#include <string.h>

#if CMIO_BACKEND_AFD

#define GROUP_MAX 32         /* sockets per AFD helper handle, as mio */
#define ENTRIES 256          /* completion packets dequeued per wait */
#define DESTROY_WAIT_MS 5000 /* longest wait for cancelled polls when the selector is freed */

enum { POLL_IDLE, POLL_PENDING, POLL_CANCELLED };

/* AFD events always polled: a connection that failed or was reset is reported whatever the
 * interest (mio's SockState::set_event). */
#define AFD_ALWAYS (CMIO__AFD_POLL_ABORT | CMIO__AFD_POLL_CONNECT_FAIL)
#define AFD_READ                                                                                   \
    (CMIO__AFD_POLL_RECEIVE | CMIO__AFD_POLL_DISCONNECT | CMIO__AFD_POLL_ACCEPT | AFD_ALWAYS)
#define AFD_WRITE (CMIO__AFD_POLL_SEND | AFD_ALWAYS)
#define AFD_KNOWN (AFD_READ | AFD_WRITE | CMIO__AFD_POLL_RECEIVE_EXPEDITED)

struct group {
    struct group *next;
    HANDLE afd;
    size_t users; /* socket states using this handle, freed or not */
};

/* A node of the update queue or of the deleted list (a sock is in at most one). */
struct link {
    struct link *prev, *next;
};

struct sock {
    IO_STATUS_BLOCK iosb; /* written by the kernel while poll == POLL_PENDING/CANCELLED */
    cmio__afd_poll_info info;
    struct link link;
    struct sock *hnext; /* hash chain */
    struct group *group;
    SOCKET socket; /* the handle the user registered (the key) */
    SOCKET base;   /* the base provider's socket, which AFD polls */
    cmio_token token;
    uint32_t want;    /* AFD events of the registration's interest */
    uint32_t armed;   /* the part of want not reported since the last re-arm */
    uint32_t pending; /* what the outstanding poll asks for */
    int poll;         /* POLL_* */
    bool deleted;     /* deregistered: freed when its poll completes */
};

struct afd_selector {
    struct cmio_selector base; /* first member: the generic code sees only this */
    HANDLE port;
    SRWLOCK lock;
    struct sock **buckets; /* socket → state, chained */
    size_t nbuckets, nsocks;
    struct link update;  /* states whose poll must be (re)submitted */
    struct link deleted; /* deregistered states whose poll has not completed yet */
    size_t ndeleted;
    struct group *groups;
    bool polling; /* a thread is waiting on the port */
    OVERLAPPED_ENTRY entries[ENTRIES];
};

#define SEL(s) ((struct afd_selector *)(s))

/* ---- lists and the socket table ------------------------------------------------------------- */

static void link_init(struct link *l)
{
    l->prev = l->next = l;
}

static bool linked(const struct link *l)
{
    return l->next != l;
}

static void link_append(struct link *head, struct link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static void link_remove(struct link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    link_init(l);
}

static struct sock *sock_of(struct link *l)
{
    return (struct sock *)(void *)((char *)l - offsetof(struct sock, link));
}

static size_t bucket_of(const struct afd_selector *s, SOCKET socket)
{
    /* Handles are multiples of 4; mix the rest (Fibonacci hashing). */
    uint64_t h = ((uint64_t)socket >> 2) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (s->nbuckets - 1);
}

static struct sock **find_slot(struct afd_selector *s, SOCKET socket)
{
    struct sock **p = &s->buckets[bucket_of(s, socket)];
    while (*p != NULL && (*p)->socket != socket)
        p = &(*p)->hnext;
    return p;
}

static struct sock *find(struct afd_selector *s, SOCKET socket)
{
    return *find_slot(s, socket);
}

/* Makes room for one more socket (doubles the table beyond one socket per bucket). */
static int table_reserve(struct afd_selector *s)
{
    if (s->nsocks < s->nbuckets)
        return 0;
    size_t n = s->nbuckets * 2;
    struct sock **b = calloc(n, sizeof(*b));
    if (b == NULL)
        return -ENOMEM;
    struct sock **old = s->buckets;
    size_t oldn = s->nbuckets;
    s->buckets = b;
    s->nbuckets = n;
    for (size_t i = 0; i < oldn; i++) {
        for (struct sock *k = old[i], *next; k != NULL; k = next) {
            next = k->hnext;
            size_t j = bucket_of(s, k->socket);
            k->hnext = b[j];
            b[j] = k;
        }
    }
    free(old);
    return 0;
}

/* ---- AFD helper handles ---------------------------------------------------------------------- */

static int group_acquire(struct afd_selector *s, struct group **out)
{
    struct group *g = s->groups;
    while (g != NULL && g->users >= GROUP_MAX)
        g = g->next;
    if (g == NULL) {
        g = calloc(1, sizeof(*g));
        if (g == NULL)
            return -ENOMEM;
        int r = cmio__afd_open(s->port, &g->afd);
        if (r < 0) {
            free(g);
            return r;
        }
        g->next = s->groups;
        s->groups = g;
    }
    g->users++;
    *out = g;
    return 0;
}

/* ---- one socket ------------------------------------------------------------------------------ */

static uint32_t afd_events(cmio_interest interest)
{
    uint32_t ev = AFD_ALWAYS;
    if (interest & CMIO_INTEREST_READABLE)
        ev |= AFD_READ;
    if (interest & CMIO_INTEREST_WRITABLE)
        ev |= AFD_WRITE;
    return ev;
}

/* AFD events → the event bits events.c reads, reproducing mio's Windows mapping: readable =
 * RECEIVE|ACCEPT|DISCONNECT|ABORT|CONNECT_FAIL, writable = SEND|ABORT|CONNECT_FAIL, error =
 * CONNECT_FAIL, read closed = DISCONNECT|ABORT|CONNECT_FAIL, write closed = ABORT|CONNECT_FAIL. */
static uint32_t to_event_bits(uint32_t afd)
{
    uint32_t e = 0;
    if (afd & (CMIO__AFD_POLL_RECEIVE | CMIO__AFD_POLL_ACCEPT))
        e |= CMIO__EV_IN;
    if (afd & CMIO__AFD_POLL_RECEIVE_EXPEDITED)
        e |= CMIO__EV_PRI;
    if (afd & CMIO__AFD_POLL_SEND)
        e |= CMIO__EV_OUT;
    if (afd & CMIO__AFD_POLL_DISCONNECT)
        e |= CMIO__EV_IN | CMIO__EV_RDHUP;
    if (afd & CMIO__AFD_POLL_ABORT)
        e |= CMIO__EV_IN | CMIO__EV_OUT | CMIO__EV_HUP;
    if (afd & CMIO__AFD_POLL_CONNECT_FAIL)
        e |= CMIO__EV_IN | CMIO__EV_OUT | CMIO__EV_ERR | CMIO__EV_HUP;
    return e;
}

static void sock_free(struct sock *k)
{
    k->group->users--;
    free(k);
}

/* Submits, keeps or cancels k's poll so that it asks for k->armed (lock held). */
static void sock_update(struct afd_selector *s, struct sock *k)
{
    if (k->poll == POLL_CANCELLED)
        return; /* its completion re-queues it */
    if (k->poll == POLL_PENDING) {
        /* A pending poll that asks for everything armed may stay (it may complete for an event
         * no longer wanted: it is then submitted again). Else it is cancelled and resubmitted
         * with the new set when its completion arrives. */
        if ((k->armed & ~k->pending) == 0)
            return;
        if (cmio__afd_cancel(k->group->afd, &k->iosb) == 0) {
            k->poll = POLL_CANCELLED;
            k->pending = 0;
        }
        return;
    }
    memset(&k->info, 0, sizeof(k->info));
    k->info.timeout.QuadPart = INT64_MAX;
    k->info.number_of_handles = 1;
    k->info.exclusive = FALSE;
    k->info.handles[0].handle = (HANDLE)k->base;
    /* Always LOCAL_CLOSE too: a socket closed without being deregistered completes its poll. */
    k->info.handles[0].events = k->armed | CMIO__AFD_POLL_LOCAL_CLOSE;
    NTSTATUS st = cmio__afd_poll(k->group->afd, &k->info, &k->iosb, k);
    if (st == 0) {
        k->poll = POLL_PENDING;
        k->pending = k->armed;
        return;
    }
    if (st == CMIO__STATUS_INVALID_HANDLE) {
        /* The socket was closed behind our back: nothing to report, ever (epoll forgets a
         * closed fd the same way). It stays registered until deregistered. */
        k->armed = 0;
        return;
    }
    /* Any other failure is reported as the socket's error, through the port like a completion
     * (mio reports a failed poll operation as CONNECT_FAIL). */
    k->iosb.Status = st;
    k->poll = POLL_PENDING;
    k->pending = k->armed;
    if (!PostQueuedCompletionStatus(s->port, 0, 0, (OVERLAPPED *)(void *)k)) {
        k->poll = POLL_IDLE;
        k->armed = 0;
    }
}

/* Asks for k's poll to be brought up to date: at once when a thread waits on the port, else just
 * before the next wait (lock held). */
static void sock_request_update(struct afd_selector *s, struct sock *k)
{
    if (!linked(&k->link))
        link_append(&s->update, &k->link);
    if (s->polling) {
        link_remove(&k->link);
        sock_update(s, k);
    }
}

static void update_all(struct afd_selector *s)
{
    while (linked(&s->update)) {
        struct sock *k = sock_of(s->update.next);
        link_remove(&k->link);
        sock_update(s, k);
    }
}

/* A poll of k completed (lock held): returns the event bits to report (0: none). */
static uint32_t sock_feed(struct afd_selector *s, struct sock *k)
{
    k->poll = POLL_IDLE;
    k->pending = 0;
    if (k->deleted) {
        link_remove(&k->link);
        s->ndeleted--;
        sock_free(k);
        return 0;
    }
    uint32_t afd = 0;
    if (k->iosb.Status == CMIO__STATUS_CANCELLED) {
        /* Cancelled to change what it asks for: its event mask is stale. */
    } else if (k->iosb.Status < 0) {
        afd = CMIO__AFD_POLL_CONNECT_FAIL; /* the operation itself failed */
    } else if (k->info.number_of_handles < 1) {
        /* completed without an event (timeout): nothing to report */
    } else if (k->info.handles[0].events & CMIO__AFD_POLL_LOCAL_CLOSE) {
        /* Closed without being deregistered: nothing more will come (poll not resubmitted). */
        k->armed = 0;
        return 0;
    } else {
        afd = k->info.handles[0].events;
    }
    afd &= k->armed;
    k->armed &= ~afd; /* edge: not again until re-armed */
    sock_request_update(s, k);
    return afd != 0 ? to_event_bits(afd) : 0;
}

/* ---- the backend ----------------------------------------------------------------------------- */

static int afd_create(struct cmio_selector **out)
{
    int r = cmio__nt_init();
    if (r < 0)
        return r;
    r = cmio__winsock_init(); /* SIO_BASE_HANDLE is a Winsock call */
    if (r < 0)
        return r;
    struct afd_selector *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->nbuckets = 64;
    s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
    if (s->buckets == NULL) {
        free(s);
        return -ENOMEM;
    }
    s->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    if (s->port == NULL) {
        r = cmio__last_error();
        free(s->buckets);
        free(s);
        return r;
    }
    InitializeSRWLock(&s->lock);
    link_init(&s->update);
    link_init(&s->deleted);
    s->base.be = &cmio__backend_afd;
    atomic_init(&s->base.refs, 1);
    *out = &s->base;
    return 0;
}

/* Deregisters k (lock held): its poll is cancelled; it is freed now when no poll is outstanding,
 * else when the poll's completion arrives. */
static void sock_delete(struct afd_selector *s, struct sock *k)
{
    *find_slot(s, k->socket) = k->hnext;
    s->nsocks--;
    k->deleted = true;
    if (linked(&k->link))
        link_remove(&k->link);
    if (k->poll == POLL_PENDING && cmio__afd_cancel(k->group->afd, &k->iosb) == 0)
        k->poll = POLL_CANCELLED;
    if (k->poll == POLL_IDLE) {
        sock_free(k);
    } else {
        link_append(&s->deleted, &k->link);
        s->ndeleted++;
    }
}

/* One packet dequeued while the selector is being freed. */
static void destroy_packet(struct afd_selector *s, const OVERLAPPED_ENTRY *e)
{
    cmio_token token;
    if (e->lpOverlapped == &cmio__waker_packet_tag)
        (void)cmio__waker_iocp_packet(e->lpCompletionKey, &token); /* frees a freed waker */
    else if (e->lpOverlapped != NULL)
        (void)sock_feed(s, (struct sock *)(void *)e->lpOverlapped);
}

static void afd_destroy(struct cmio_selector *sel)
{
    struct afd_selector *s = SEL(sel);
    for (size_t i = 0; i < s->nbuckets; i++)
        while (s->buckets[i] != NULL)
            sock_delete(s, s->buckets[i]);
    /* Every cancelled poll still completes, and the kernel writes its status block until then:
     * drain the port until they all did (and free wakers whose last wake is still queued). */
    ULONGLONG start = GetTickCount64();
    for (;;) {
        ULONG n = 0;
        DWORD wait = s->ndeleted > 0 ? 100 : 0;
        if (GetQueuedCompletionStatusEx(s->port, s->entries, ENTRIES, &n, wait, FALSE)) {
            for (ULONG i = 0; i < n; i++)
                destroy_packet(s, &s->entries[i]);
            continue;
        }
        if (s->ndeleted == 0 || GetTickCount64() - start > DESTROY_WAIT_MS)
            break;
    }
    if (s->ndeleted > 0)
        return; /* the kernel may still write into them: leak rather than corrupt memory */
    for (struct group *g = s->groups, *next; g != NULL; g = next) {
        next = g->next;
        CloseHandle(g->afd);
        free(g);
    }
    CloseHandle(s->port);
    free(s->buckets);
    free(s);
}

static int afd_add(struct cmio_selector *sel, cmio__handle h, cmio_token token,
                   cmio_interest interest)
{
    struct afd_selector *s = SEL(sel);
    SOCKET socket = (SOCKET)h;
    SOCKET base;
    int r = cmio__afd_base_socket(socket, &base);
    if (r < 0)
        return r; /* -EBADF for a closed socket (WSAENOTSOCK), as epoll_ctl says */
    struct sock *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return -ENOMEM;
    AcquireSRWLockExclusive(&s->lock);
    if (find(s, socket) != NULL)
        r = -EEXIST;
    if (r == 0)
        r = table_reserve(s);
    if (r == 0)
        r = group_acquire(s, &k->group);
    if (r == 0) {
        link_init(&k->link);
        k->socket = socket;
        k->base = base;
        k->token = token;
        k->want = k->armed = afd_events(interest);
        k->poll = POLL_IDLE;
        struct sock **slot = &s->buckets[bucket_of(s, socket)];
        k->hnext = *slot;
        *slot = k;
        s->nsocks++;
        sock_request_update(s, k);
    }
    ReleaseSRWLockExclusive(&s->lock);
    if (r < 0)
        free(k);
    return r;
}

static int afd_modify(struct cmio_selector *sel, cmio__handle h, cmio_token token,
                      cmio_interest interest)
{
    struct afd_selector *s = SEL(sel);
    AcquireSRWLockExclusive(&s->lock);
    struct sock *k = find(s, (SOCKET)h);
    if (k != NULL) {
        k->token = token;
        k->want = k->armed = afd_events(interest); /* re-armed, as EPOLL_CTL_MOD does */
        sock_request_update(s, k);
    }
    ReleaseSRWLockExclusive(&s->lock);
    return k != NULL ? 0 : -ENOENT;
}

static int afd_remove(struct cmio_selector *sel, cmio__handle h)
{
    struct afd_selector *s = SEL(sel);
    AcquireSRWLockExclusive(&s->lock);
    struct sock *k = find(s, (SOCKET)h);
    if (k != NULL)
        sock_delete(s, k);
    ReleaseSRWLockExclusive(&s->lock);
    return k != NULL ? 0 : -ENOENT;
}

/* An operation of direction `dir` returned -EAGAIN: that direction's events are wanted again. */
static int afd_rearm(struct cmio_selector *sel, cmio__handle h, cmio_interest dir)
{
    struct afd_selector *s = SEL(sel);
    AcquireSRWLockExclusive(&s->lock);
    struct sock *k = find(s, (SOCKET)h);
    uint32_t add = k != NULL ? k->want & afd_events(dir) & ~k->armed : 0;
    if (add != 0) {
        k->armed |= add;
        sock_request_update(s, k);
    }
    ReleaseSRWLockExclusive(&s->lock);
    return k != NULL ? 0 : -ENOENT;
}

/* Monotonic nanoseconds (the performance counter). */
static int64_t now_ns(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f); /* constant, and cheap to ask for */
    QueryPerformanceCounter(&c);
    return c.QuadPart / f.QuadPart * 1000000000 + c.QuadPart % f.QuadPart * 1000000000 / f.QuadPart;
}

/* Turns dequeued packets into events (lock held); returns how many were stored. */
static size_t feed(struct afd_selector *s, ULONG n, cmio_events *events, size_t out)
{
    for (ULONG i = 0; i < n; i++) {
        const OVERLAPPED_ENTRY *e = &s->entries[i];
        cmio_token token;
        uint32_t bits;
        if (e->lpOverlapped == &cmio__waker_packet_tag) {
            if (!cmio__waker_iocp_packet(e->lpCompletionKey, &token))
                continue;
            bits = CMIO__EV_IN;
        } else if (e->lpOverlapped != NULL) {
            struct sock *k = (struct sock *)(void *)e->lpOverlapped;
            bits = sock_feed(s, k);
            if (bits == 0)
                continue;
            token = k->token;
        } else {
            continue; /* not ours */
        }
        events->ev[out].events = bits;
        events->ev[out].data.u64 = token;
        out++;
    }
    return out;
}

static int afd_select(struct cmio_selector *sel, cmio_events *events,
                      const struct timespec *timeout)
{
    struct afd_selector *s = SEL(sel);
    bool zero = timeout != NULL && timeout->tv_sec == 0 && timeout->tv_nsec == 0;
    if (timeout != NULL && timeout->tv_sec > (time_t)30 * 365 * 86400)
        timeout = NULL; /* over 30 years: wait forever */
    int64_t deadline = 0;
    if (timeout != NULL)
        deadline = now_ns() + (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
    size_t out = 0;
    int rounds = 8; /* zero timeout: extra rounds after packets that gave no event */
    for (;;) {
        DWORD ms = INFINITE;
        if (timeout != NULL) {
            int64_t left = deadline - now_ns();
            /* Rounded up: a wait never ends before the timeout (1 ns is 1 ms, not 0). */
            int64_t lms = left > 0 ? (left + 999999) / 1000000 : 0;
            ms = lms >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)lms;
        }
        size_t room = events->cap - out;
        ULONG want = room < ENTRIES ? (ULONG)room : ENTRIES;

        AcquireSRWLockExclusive(&s->lock);
        update_all(s);
        s->polling = true;
        ReleaseSRWLockExclusive(&s->lock);

        ULONG n = 0;
        BOOL ok = GetQueuedCompletionStatusEx(s->port, s->entries, want, &n, ms, FALSE);
        DWORD err = ok ? 0 : GetLastError();

        AcquireSRWLockExclusive(&s->lock);
        s->polling = false;
        if (ok)
            out = feed(s, n, events, out);
        ReleaseSRWLockExclusive(&s->lock);

        if (!ok && err != WAIT_TIMEOUT) {
            events->len = out;
            return out > 0 ? (int)out : -cmio__win_errno(err);
        }
        /* Packets that gave no event (a cancelled poll, whose socket is resubmitted now), or a
         * wait that ended early: wait again for what is left of the timeout. A zero timeout
         * goes round again only after such packets, a few times: a poll cancelled to change
         * what it asks for then reports what is already true, as epoll_ctl would at once. */
        bool again = timeout == NULL || now_ns() < deadline || (zero && ok && rounds-- > 0);
        if (out > 0 || !again) {
            events->len = out;
            return (int)out;
        }
    }
}

HANDLE cmio__afd_port(struct cmio_selector *sel)
{
    return SEL(sel)->port;
}

void cmio__afd_lock(struct cmio_selector *sel)
{
    AcquireSRWLockExclusive(&SEL(sel)->lock);
}

void cmio__afd_unlock(struct cmio_selector *sel)
{
    ReleaseSRWLockExclusive(&SEL(sel)->lock);
}

const struct cmio_backend cmio__backend_afd = {
    .name = "afd",
    .create = afd_create,
    .destroy = afd_destroy,
    .add = afd_add,
    .modify = afd_modify,
    .remove = afd_remove,
    .select = afd_select,
    .rearm = afd_rearm,
};

#endif /* CMIO_BACKEND_AFD */
