/* SPDX-License-Identifier: MIT */
/* cmio runtime — private declarations shared by runtime/ and the generated wrappers.
 * Nothing here is exported from libcmio.so (symbols are hidden by default). */
#ifndef CMIO_INTERNAL_H
#define CMIO_INTERNAL_H

#include <cmio/io_source.h>
#include <cmio/poll.h>

#include <limits.h>
#include <stdatomic.h>

/* Keeps a rarely taken path out of its caller, so that the common path stays short. */
#if defined(__GNUC__) || defined(__clang__)
#define CMIO__NOINLINE __attribute__((noinline))
#else
#define CMIO__NOINLINE
#endif

/* The system layer: the socket calls of the platform's handle kind (platform table `handle`), each
 * returning 0, a count or a handle, or a negative errno. */
#if CMIO_HANDLE_SOCKET
#include "win/sys_socket.h"
#else
#include "sys_fd.h"
#endif

/* ---- backend interface (one file per backend: backend_epoll.c, …) ------------------------- */

struct cmio_selector;

struct cmio_backend {
    const char *name;
    /* Allocates a selector whose first member is struct cmio_selector (be and refs filled in). */
    int (*create)(struct cmio_selector **out);
    void (*destroy)(struct cmio_selector *sel);
    int (*add)(struct cmio_selector *sel, cmio__handle fd, cmio_token token,
               cmio_interest interest);
    int (*modify)(struct cmio_selector *sel, cmio__handle fd, cmio_token token,
                  cmio_interest interest);
    int (*remove)(struct cmio_selector *sel, cmio__handle fd);
    /* Fills events (len set); returns the count or a negative errno. timeout already validated. */
    int (*select)(struct cmio_selector *sel, cmio_events *events, const struct timespec *timeout);
    /* The epoll fd a caller may wait on directly for this selector (the inline cmio_poll_poll of
     * poll.h), or NULL when waiting needs the backend's select. */
    int (*wait_fd)(struct cmio_selector *sel);
    /* Re-arms the direction `dir` of fd's interest (CMIO_INTEREST_READABLE after a read-side
     * operation, CMIO_INTEREST_WRITABLE after a write) once that operation returned -EAGAIN; the
     * other direction stays as it is. NULL for backends that are edge-triggered natively (epoll,
     * kqueue): io_source then does nothing at all. */
    int (*rearm)(struct cmio_selector *sel, cmio__handle fd, cmio_interest dir);
};

/* Shared by a poll and the registries cloned from it; freed when the last reference goes. */
struct cmio_selector {
    const struct cmio_backend *be;
    atomic_int refs;
};

extern const struct cmio_backend cmio__backend_epoll;
extern const struct cmio_backend cmio__backend_poll;
extern const struct cmio_backend cmio__backend_kqueue;
extern const struct cmio_backend cmio__backend_afd;
#if CMIO_BACKEND_KQUEUE
/* The kqueue fd of a kqueue selector (for the EVFILT_USER waker), or -ENOTSUP for another one. */
int cmio__kqueue_fd(struct cmio_selector *sel);
#endif
extern const struct cmio_backend cmio__backend_uring;
#if CMIO_BACKEND_URING
/* Ring sizes of the io_uring selectors created from now on (tests: tiny rings exercise a full
 * submission ring and an overflowing completion ring); 0 restores the default (256, 8192). */
void cmio__uring_set_sizes(unsigned sq_entries, unsigned cq_entries);
/* Whether the io_uring selectors created from now on use single-issuer mode where the kernel has
 * it (the default, true), or the mode of kernels before 6.1 (tests run both). */
void cmio__uring_set_single(bool on);
/* Whether sel (an io_uring selector) is in single-issuer mode (tests). */
bool cmio__uring_is_single(const struct cmio_selector *sel);
/* io_source's close of a source registered with an io_uring selector: deregisters and closes fd
 * in one system call; 0 or a negative errno, the fd is closed (or queued to be) either way. (Not
 * a member of struct cmio_backend: that struct is reachable from the exported types, and the ABI
 * check compares its layout.) */
int cmio__uring_close(struct cmio_selector *sel, int fd);
#endif
#if CMIO_BACKEND_EPOLL
/* Makes the epoll backend use epoll_wait from now on, as if epoll_pwait2 were missing (tests). */
void cmio__epoll_disable_pwait2(void);
#endif

/* The backend this process uses: the platform table's default, or the one named by the
 * CMIO_BACKEND environment variable (read once). NULL when that names no compiled-in backend. */
const struct cmio_backend *cmio__backend(void);

/* ---- wakers (waker.c picks one; one file per kind) ----------------------------------------- */

struct cmio_waker_ops {
    const char *name;
    /* Opens the waker's fds: *rfd is registered for READABLE, *wfd is written by wake. */
    int (*open)(int *rfd, int *wfd);
    /* Makes rfd readable; never blocks, never loses a wake (drains a full pipe first). */
    int (*wake)(int rfd, int wfd);
    /* Optional, for a waker that is an event of the selector itself rather than an fd (kqueue's
     * EVFILT_USER): then attach, trigger and detach replace open and wake, and nothing is
     * registered with the backend's add. attach adds the event under token to sel and sets *rfd,
     * *wfd to what trigger and detach get (waker.c closes neither); trigger is wake's equivalent
     * (it gets the token again: a kqueue change rewrites the event's udata); detach removes the
     * event when the waker is freed. */
    int (*attach)(struct cmio_selector *sel, cmio_token token, int *rfd, int *wfd);
    int (*trigger)(int rfd, int wfd, cmio_token token);
    void (*detach)(int rfd, int wfd);
};

extern const struct cmio_waker_ops cmio__waker_eventfd;
extern const struct cmio_waker_ops cmio__waker_pipe;
extern const struct cmio_waker_ops cmio__waker_kqueue;

/* The waker kind this process uses: the platform default, or CMIO_WAKER (read once). */
const struct cmio_waker_ops *cmio__waker(void);

void cmio__selector_ref(struct cmio_selector *sel);
void cmio__selector_unref(struct cmio_selector *sel);

/* Internal interest bit, never accepted from users: the registration is a waker's. Backends that
 * re-arm (poll) keep it armed and drain the fd when they report it, so that cmio_waker_wake() is a
 * single write(2) — async-signal-safe, lock-free — on every backend. Others ignore the bit. */
#define CMIO__INTEREST_WAKER ((cmio_interest)0x80)
/* Internal interest bit, never accepted from users: the fd is one cmio opened or adopted itself
 * (an io_source's socket, a waker's fd), so it is open and pollable and a backend that would
 * otherwise check that with a system call (io_uring queues registrations) may skip it. */
#define CMIO__INTEREST_KNOWN ((cmio_interest)0x40)

/* Validates an interest: non-zero and only known bits. */
static inline bool cmio__interest_valid(cmio_interest interest)
{
    cmio_interest known = CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE;
#if CMIO_HAVE_INTEREST_PRIORITY
    known |= CMIO_INTEREST_PRIORITY;
#endif
#if CMIO_HAVE_INTEREST_AIO
    known |= CMIO_INTEREST_AIO;
#endif
#if CMIO_HAVE_INTEREST_LIO
    known |= CMIO_INTEREST_LIO;
#endif
    return interest != 0 && (interest & (cmio_interest)~known) == 0;
}

/* Timeout validation (NULL is valid = infinite): -EINVAL when tv_sec < 0 or tv_nsec outside
 * [0, 1e9). */
int cmio__timeout_check(const struct timespec *timeout);
/* Milliseconds for epoll_wait/poll: NULL → -1; rounded up; clamped to INT_MAX. Inline: it is on
 * every poll's path. */
static inline int cmio__timeout_ms(const struct timespec *timeout)
{
    if (timeout == NULL)
        return -1;
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0)
        return 0; /* not reached after cmio__timeout_check */
    if (timeout->tv_sec > INT_MAX / 1000)
        return INT_MAX;
    long long ms = (long long)timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999L) / 1000000L;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* ---- events storage ------------------------------------------------------------------------ */

#if CMIO_BACKEND_EPOLL
#include <sys/epoll.h>
/* Where epoll exists every backend reports events as the kernel's struct epoll_event, so the
 * epoll backend hands the kernel's array to the user unchanged. */
typedef struct epoll_event cmio__sys_event;
#define CMIO__EV_IN EPOLLIN
#define CMIO__EV_PRI EPOLLPRI
#define CMIO__EV_OUT EPOLLOUT
#define CMIO__EV_ERR EPOLLERR
#define CMIO__EV_HUP EPOLLHUP
#define CMIO__EV_RDHUP EPOLLRDHUP
#else
/* Elsewhere the same layout as struct epoll_event, with the bits below. */
typedef struct {
    uint32_t events;
    union {
        uint64_t u64;
    } data;
} cmio__sys_event;
#if CMIO_BACKEND_AFD
/* Windows: the AFD backend (runtime/win/backend_afd.c) translates AFD's poll bits into these, so
 * that the accessors in events.c give mio's Windows mapping. */
#define CMIO__EV_IN 0x001u
#define CMIO__EV_PRI 0x002u
#define CMIO__EV_OUT 0x004u
#define CMIO__EV_ERR 0x008u
#define CMIO__EV_HUP 0x010u
#define CMIO__EV_RDHUP 0x2000u
#else
#include <poll.h>
/* Elsewhere poll(2)'s bits. */
#define CMIO__EV_IN POLLIN
#ifdef POLLPRI
#define CMIO__EV_PRI POLLPRI
#else
#define CMIO__EV_PRI 0 /* wasi-libc's poll has read and write only */
#endif
#define CMIO__EV_OUT POLLOUT
#define CMIO__EV_ERR POLLERR
#define CMIO__EV_HUP POLLHUP
#ifdef POLLRDHUP
#define CMIO__EV_RDHUP POLLRDHUP
#else
#define CMIO__EV_RDHUP 0
#endif
#endif /* poll(2)'s bits */
#endif /* not epoll */

/* Private event bits, above every epoll and poll(2) bit. The kqueue backend translates each
 * kevent into the bits above plus these (backend_kqueue.c), as mio's kqueue selector maps it:
 * with CMIO__EV_KQUEUE set, read_closed / write_closed are EV_EOF on the read / write filter. */
#define CMIO__EV_KQUEUE ((uint32_t)1 << 16) /* the event is a translated kevent */
#define CMIO__EV_EOF ((uint32_t)1 << 17)    /* EV_EOF on the event's filter */
#define CMIO__EV_AIO ((uint32_t)1 << 18)    /* EVFILT_AIO */
#define CMIO__EV_LIO ((uint32_t)1 << 19)    /* EVFILT_LIO */

struct cmio_events {
    size_t len;
    size_t cap;
    cmio__sys_event ev[];
};

struct cmio_registry {
    struct cmio_selector *sel;
    bool is_clone; /* false for the poll's own registry */
};

struct cmio_poll {
    struct cmio__poll_head head; /* first: poll.h's inline cmio_poll_poll reads it */
    struct cmio_registry registry;
};

/* ---- io_source glue (io_source.c): the one place that knows about re-arming ---------------- */

int cmio__source_register(cmio_io_source *src, cmio_registry *registry, cmio_token token,
                          cmio_interest interest);
int cmio__source_reregister(cmio_io_source *src, cmio_registry *registry, cmio_token token,
                            cmio_interest interest);
int cmio__source_deregister(cmio_io_source *src, cmio_registry *registry);
/* Deregisters if registered, then closes the fd; the source is empty afterwards. */
int cmio__source_close(cmio_io_source *src);
/* Deregisters if registered and hands the fd to *out (the source is empty afterwards). 0 or a
 * negative errno. */
int cmio__source_release(cmio_io_source *src, cmio__handle *out);
/* Takes ownership of fd: makes it non-blocking if it is not. -EBADF for an invalid fd. */
int cmio__source_adopt(cmio_io_source *src, cmio__handle fd);
/* Makes src hold fd, registered nowhere (what every constructor does with a new fd). */
static inline void cmio__source_init(cmio_io_source *src, cmio__handle fd)
{
    src->fd1 = fd + 1;
    src->rearm = false;
    src->sel = NULL;
}

/* true when src holds an fd (neither all-zero nor closed/released). */
static inline bool cmio__source_open(const cmio_io_source *src)
{
    return src->fd1 > 0;
}

/* Every I/O wrapper passes its raw result (bytes or -errno) through here, with the direction the
 * operation moves data in. On epoll the re-arm test costs one compare; nothing is called. (The
 * inline fast paths use cmio__source_io_error.) */
static inline ssize_t cmio__source_did_io(cmio_io_source *src, ssize_t r, cmio_interest dir)
{
    if (r == -EAGAIN && src->rearm)
        cmio__source_would_block(src, dir);
    return r;
}

/* ---- fd helpers (fd.c; cmio__fd_set_nonblock/_cloexec are in sys_fd.h) ---------------------- */

/* A pipe whose ends are both non-blocking and close-on-exec (pipe2 is not POSIX.1-2008). */
int cmio__fd_pipe(int p[2]);

#endif /* CMIO_INTERNAL_H */
