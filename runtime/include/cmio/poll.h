/* SPDX-License-Identifier: MIT */
/* cmio — the readiness core: Poll, Registry, Events, Event, Token, Interest (mio's API).
 *
 * Readiness is edge-triggered: after an event, keep doing the operation (read, write, accept, …)
 * until it returns -EAGAIN; only then is a new event for that readiness guaranteed.
 *
 * Thread safety: a cmio_poll and its cmio_events belong to one thread. A cmio_registry may be used
 * from any thread, also while another thread is blocked in cmio_poll_poll().
 */
#ifndef CMIO_POLL_H
#define CMIO_POLL_H

#include <cmio/common.h>

#include <time.h>

#if defined(__GLIBC__) && !defined(__USE_POSIX199309) && !defined(__USE_ISOC11)
#error                                                                                             \
    "cmio: struct timespec is not declared: in strict C99 compile with -D_POSIX_C_SOURCE=200809L (or -std=gnu99), or include a cmio header before any system header"
#endif

CMIO_EXTERN_C_BEGIN

/* Associates an event with the source that produced it (mio's Token). Any 64-bit value, including
 * a pointer cast through uintptr_t. */
typedef uint64_t cmio_token;

/* What readiness a registration asks for (mio's Interest): an OR of the flags below, never 0. */
typedef uint8_t cmio_interest;
#define CMIO_INTEREST_READABLE ((cmio_interest)0x01)
#define CMIO_INTEREST_WRITABLE ((cmio_interest)0x02)
#if CMIO_HAVE_INTEREST_PRIORITY
#define CMIO_INTEREST_PRIORITY ((cmio_interest)0x10)
#endif
#if CMIO_HAVE_INTEREST_AIO
#define CMIO_INTEREST_AIO ((cmio_interest)0x04)
#endif
#if CMIO_HAVE_INTEREST_LIO
#define CMIO_INTEREST_LIO ((cmio_interest)0x08)
#endif

typedef struct cmio_poll cmio_poll;
typedef struct cmio_registry cmio_registry;
typedef struct cmio_events cmio_events;
/* One readiness event. On epoll this is the kernel's own struct epoll_event: the events array is
 * filled by the kernel and read in place, never copied. */
typedef struct cmio_event cmio_event;

/* ---- Poll ---------------------------------------------------------------------------------- */

/* Creates a poll instance (epoll_create1(EPOLL_CLOEXEC) on Linux, kqueue() on macOS and the BSDs).
 * *out is set on success. */
CMIO_API int cmio_poll_new(cmio_poll **out);

/* Frees the poll instance. Registries obtained with cmio_registry_try_clone() stay valid until
 * they are freed themselves. NULL is ignored. */
CMIO_API void cmio_poll_free(cmio_poll *poll);

/* The poll's registry (owned by the poll; do not free it). NULL for NULL. */
CMIO_API cmio_registry *cmio_poll_registry(cmio_poll *poll);

/* Waits for readiness events and stores them in `events` (replacing what it held).
 * timeout NULL waits until an event arrives; {0,0} returns at once; any other timeout is honoured
 * at the backend's resolution, rounded up (1 ns never becomes 0). Returns the number of events
 * (0 on timeout) or a negative errno: -EINTR when a signal interrupted the wait, -EINVAL for NULL
 * arguments or a negative/denormal timespec. */
CMIO_API int cmio_poll_poll(cmio_poll *poll, cmio_events *events, const struct timespec *timeout);

/* Name of the poll backend this process uses, e.g. "epoll", "kqueue" or "poll": the platform's
 * default, or the one named by the environment variable CMIO_BACKEND, read once. cmio_poll_new()
 * fails with -ENOTSUP when CMIO_BACKEND names a backend the build lacks (then this returns "none").
 */
CMIO_API const char *cmio_backend_name(void);

/* ---- Registry ------------------------------------------------------------------------------ */

/* Another handle to the same registry, usable from another thread and outliving the poll (mio's
 * Registry::try_clone). Free it with cmio_registry_free(). */
CMIO_API int cmio_registry_try_clone(const cmio_registry *registry, cmio_registry **out);

/* Frees a registry made by cmio_registry_try_clone(). Calling it on a poll's own registry does
 * nothing. NULL is ignored. */
CMIO_API void cmio_registry_free(cmio_registry *registry);

#if CMIO_HANDLE_FD
/* Registers a raw file descriptor (mio's SourceFd): the caller keeps ownership of fd and must
 * deregister it before closing it. -EEXIST when fd is already registered, -EINVAL for interest 0
 * or unknown interest bits, -EBADF for a negative fd. */
CMIO_API int cmio_registry_register_fd(cmio_registry *registry, int fd, cmio_token token,
                                       cmio_interest interest);
/* Changes the token and interest of a registered fd. -ENOENT when fd is not registered (a closed
 * fd included), -EBADF for a negative fd. */
CMIO_API int cmio_registry_reregister_fd(cmio_registry *registry, int fd, cmio_token token,
                                         cmio_interest interest);
/* Removes a registered fd. -ENOENT when fd is not registered (a closed fd included), -EBADF for a
 * negative fd. */
CMIO_API int cmio_registry_deregister_fd(cmio_registry *registry, int fd);
#endif
#if CMIO_HANDLE_SOCKET
#include <winsock2.h>
/* Windows: the same for a raw socket (a SOCKET the caller owns: deregister it before closing it).
 * -EBADF for INVALID_SOCKET, and for a handle that is not an open socket when registering. A raw
 * registration has no socket struct to re-arm it: after an event, do the operation until it would
 * block, then reregister to be told again (mio's AFD backend emulates edges that way). */
CMIO_API int cmio_registry_register_socket(cmio_registry *registry, SOCKET socket, cmio_token token,
                                           cmio_interest interest);
CMIO_API int cmio_registry_reregister_socket(cmio_registry *registry, SOCKET socket,
                                             cmio_token token, cmio_interest interest);
CMIO_API int cmio_registry_deregister_socket(cmio_registry *registry, SOCKET socket);
#endif

/* ---- Events -------------------------------------------------------------------------------- */

/* The largest capacity cmio_events_new() accepts, the same on every backend and platform: what
 * epoll_wait takes on every architecture (INT_MAX / sizeof(struct epoll_event), which is 12 or 16
 * bytes). */
#define CMIO_EVENTS_MAX ((size_t)(2147483647 / 16))

/* Allocates room for up to `capacity` events per cmio_poll_poll() call (1..CMIO_EVENTS_MAX, else
 * -EINVAL; -ENOMEM when the memory is not there). */
CMIO_API int cmio_events_new(cmio_events **out, size_t capacity);
/* NULL is ignored. */
CMIO_API void cmio_events_free(cmio_events *events);
/* Number of events stored by the last cmio_poll_poll(). */
CMIO_API size_t cmio_events_len(const cmio_events *events);
CMIO_API size_t cmio_events_capacity(const cmio_events *events);
CMIO_API bool cmio_events_is_empty(const cmio_events *events);
/* Forgets the stored events. */
CMIO_API void cmio_events_clear(cmio_events *events);
/* The i-th event, or NULL when i >= cmio_events_len(). Valid until the next poll or clear. */
CMIO_API const cmio_event *cmio_events_get(const cmio_events *events, size_t i);

/* Iterate: for (const cmio_event *e = cmio_events_first(ev); e; e = cmio_events_next(ev, e)) */
CMIO_API const cmio_event *cmio_events_first(const cmio_events *events);
CMIO_API const cmio_event *cmio_events_next(const cmio_events *events, const cmio_event *event);

/* ---- Event --------------------------------------------------------------------------------- */
/* The accessors map the backend's bits as mio does on that backend; NULL gives 0 / false. The
 * poll(2) backend reports the same bits with POLL* for EPOLL*. Per backend (man 3 cmio_event_is_*
 * and idl/runtime.yaml `backends` say it for every backend):
 *   readable      epoll: EPOLLIN or EPOLLPRI            poll: POLLIN or POLLPRI
 *   writable      epoll: EPOLLOUT                        poll: POLLOUT
 *   error         epoll: EPOLLERR                        poll: POLLERR (once until re-armed)
 *   read_closed   EPOLLHUP, or EPOLLIN with EPOLLRDHUP   poll: the same; without POLLRDHUP
 *                                                        (not Linux) only POLLHUP
 *   write_closed  EPOLLHUP, or EPOLLOUT with EPOLLERR, or EPOLLERR alone; poll: the same
 *   priority      EPOLLPRI                               poll: POLLPRI
 *   aio, lio      always false on epoll and poll (mio: FreeBSD kqueue only)
 * kqueue (mio's kqueue mapping): each event is one filter's, so a source registered READABLE |
 * WRITABLE may give two events with its token in one poll. readable: EVFILT_READ (or the waker's
 * EVFILT_USER); writable: EVFILT_WRITE; error: EV_ERROR, or EV_EOF with an errno in fflags;
 * read_closed / write_closed: EV_EOF on the read / write filter; priority: never; aio / lio:
 * EVFILT_AIO / EVFILT_LIO. */

/* The token the source was registered with. */
CMIO_API cmio_token cmio_event_token(const cmio_event *event);
/* Data to read, a connection to accept, or priority data. */
CMIO_API bool cmio_event_is_readable(const cmio_event *event);
/* Room to write (a connecting stream finished connecting, or failed: see take_error). */
CMIO_API bool cmio_event_is_writable(const cmio_event *event);
/* A pending socket error (read it with cmio_<type>_take_error); reported without interest. */
CMIO_API bool cmio_event_is_error(const cmio_event *event);
/* The peer shut its write half down (reads return 0 once drained), or both halves are closed. */
CMIO_API bool cmio_event_is_read_closed(const cmio_event *event);
/* The peer is gone (writes fail with -EPIPE/-ECONNRESET), or both halves are closed. */
CMIO_API bool cmio_event_is_write_closed(const cmio_event *event);
/* Priority (out-of-band) data; only with CMIO_INTEREST_PRIORITY where the platform has it. */
CMIO_API bool cmio_event_is_priority(const cmio_event *event);
/* An AIO / lio_listio completion (kqueue on FreeBSD); false on epoll and poll(2). */
CMIO_API bool cmio_event_is_aio(const cmio_event *event);
CMIO_API bool cmio_event_is_lio(const cmio_event *event);

/* ---- Inline fast paths ------------------------------------------------------------------------
 * Where epoll exists, a cmio_event is the kernel's struct epoll_event and the events buffer is
 * {len, cap, events...}: reading events then costs no call at all, and a poll on the epoll backend
 * is one epoll_wait. The functions above stay exported (and are what you get with
 * -DCMIO_NO_INLINE); the mapping is the same, mio's. */
/* Private: the first member of every cmio_poll — the epoll fd when the epoll backend runs the poll
 * (cmio_poll_poll below then waits on it directly), else -1. */
struct cmio__poll_head {
    int epfd;
};

#if CMIO_BACKEND_EPOLL && !defined(CMIO_NO_INLINE)
#include <sys/epoll.h>

struct cmio__events_layout {
    size_t len;
    size_t cap;
    struct epoll_event ev[1];
};

static inline size_t cmio__events_len(const cmio_events *events)
{
    return events != NULL ? ((const struct cmio__events_layout *)(const void *)events)->len : 0;
}

static inline const cmio_event *cmio__events_get(const cmio_events *events, size_t i)
{
    const struct cmio__events_layout *l = (const struct cmio__events_layout *)(const void *)events;
    return events != NULL && i < l->len ? (const cmio_event *)(const void *)&l->ev[i] : NULL;
}

static inline uint32_t cmio__event_bits(const cmio_event *event)
{
    return event != NULL ? ((const struct epoll_event *)(const void *)event)->events : 0;
}

static inline cmio_token cmio__event_token(const cmio_event *event)
{
    return event != NULL ? ((const struct epoll_event *)(const void *)event)->data.u64 : 0;
}

/* cmio_poll_poll on epoll: no timeout or whole milliseconds is one epoll_wait, exactly what the
 * exported function does; everything else (bad or sub-millisecond timeouts, the other backends)
 * goes to the exported function. In a build whose only backend is epoll (CMIO_BACKENDS=epoll)
 * every poll is an epoll: no run-time test of the backend. */
static inline int cmio__poll_poll(cmio_poll *poll, cmio_events *events,
                                  const struct timespec *timeout)
{
    int ms = -1;
    if (timeout != NULL) {
        if (timeout->tv_sec < 0 || timeout->tv_sec >= 2147483 || timeout->tv_nsec < 0 ||
            timeout->tv_nsec >= 1000000000L || timeout->tv_nsec % 1000000L != 0)
            return (cmio_poll_poll)(poll, events, timeout);
        ms = (int)timeout->tv_sec * 1000 + (int)(timeout->tv_nsec / 1000000L);
    }
    if (poll == NULL || events == NULL)
        return -EINVAL; /* here, not in the call: the compiler then knows events is not NULL */
    int epfd = ((const struct cmio__poll_head *)(const void *)poll)->epfd;
#if CMIO__BACKEND_COUNT > 1
    if (epfd < 0)
        return (cmio_poll_poll)(poll, events, timeout);
#endif
    struct cmio__events_layout *l = (struct cmio__events_layout *)(void *)events;
    int n = epoll_wait(epfd, l->ev, (int)l->cap, ms);
    if (n < 0) {
        l->len = 0;
        return -errno;
    }
    l->len = (size_t)n;
    return n;
}

#define cmio_poll_poll(poll, events, timeout) cmio__poll_poll(poll, events, timeout)
#define cmio_events_len(events) cmio__events_len(events)
#define cmio_events_get(events, i) cmio__events_get(events, i)
#define cmio_event_token(event) cmio__event_token(event)
#define cmio_event_is_readable(event) ((cmio__event_bits(event) & (EPOLLIN | EPOLLPRI)) != 0)
#define cmio_event_is_writable(event) ((cmio__event_bits(event) & EPOLLOUT) != 0)
#define cmio_event_is_error(event) ((cmio__event_bits(event) & EPOLLERR) != 0)
#endif

/* ---- Waker --------------------------------------------------------------------------------- */
/* Absent where the platform has no waker (CMIO_HAVE_WAKER 0: WASI, which has no threads). */
#if CMIO_HAVE_WAKER

typedef struct cmio_waker cmio_waker;

/* Name of the waker kind this process uses: "eventfd", "kqueue", "pipe" or "iocp" — the platform's
 * default, or the one named by the environment variable CMIO_WAKER. "none" when CMIO_WAKER names
 * another. */
CMIO_API const char *cmio_waker_name(void);

/* Creates a waker registered with `registry` under `token` (eventfd on Linux, an EVFILT_USER event
 * on macOS and FreeBSD, a pipe elsewhere, a completion packet posted to the port on Windows). When
 * woken, the poll reports a readable event with that token. -ENOTSUP when CMIO_WAKER names a waker
 * the build lacks. */
CMIO_API int cmio_waker_new(cmio_waker **out, cmio_registry *registry, cmio_token token);
/* Wakes the poll. Thread-safe and async-signal-safe (one write(2), or one kevent(2) for the kqueue
 * waker, on every backend: it may be called from a signal handler — except with the kqueue waker on
 * libkqueue, whose kevent() takes locks; on Windows one PostQueuedCompletionStatus); wakes that
 * arrive before the poll runs coalesce into one event. */
CMIO_API int cmio_waker_wake(cmio_waker *waker);
/* Deregisters and frees the waker. NULL is ignored. */
CMIO_API void cmio_waker_free(cmio_waker *waker);
#endif /* CMIO_HAVE_WAKER */

CMIO_EXTERN_C_END

#endif /* CMIO_POLL_H */
