/* SPDX-License-Identifier: MIT */
/* cmio runtime — the epoll backend (Linux, Android).
 *
 * Modelled on mio's src/sys/unix/selector/epoll.rs: every registration is edge-triggered, the
 * token travels in epoll_event.data.u64, and the kernel writes events straight into the caller's
 * cmio_events buffer. A timeout with a sub-millisecond part uses epoll_pwait2 (nanosecond
 * resolution) when the kernel has it, else epoll_wait with milliseconds rounded up; no timeout and
 * whole milliseconds use epoll_wait.
 */
#include "internal.h"

#if CMIO_BACKEND_EPOLL

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

struct cmio_epoll_selector {
    struct cmio_selector base; /* first member: the generic code sees only this */
    int epfd;
};

/* Set once epoll_pwait2 turned out to be unavailable (old kernel, seccomp filter). */
static atomic_bool cmio_epoll_no_pwait2;

void cmio__epoll_disable_pwait2(void)
{
    atomic_store_explicit(&cmio_epoll_no_pwait2, true, memory_order_relaxed);
}

static int cmio_epoll_fd(struct cmio_selector *sel)
{
    return ((struct cmio_epoll_selector *)sel)->epfd;
}

static int cmio_epoll_create(struct cmio_selector **out)
{
    struct cmio_epoll_selector *sel = malloc(sizeof *sel);
    if (sel == NULL)
        return -ENOMEM;
    sel->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (sel->epfd < 0) {
        int err = errno;
        free(sel);
        return -err;
    }
    sel->base.be = &cmio__backend_epoll;
    atomic_init(&sel->base.refs, 1);
    *out = &sel->base;
    return 0;
}

static void cmio_epoll_destroy(struct cmio_selector *sel)
{
    close(cmio_epoll_fd(sel));
    free(sel);
}

static uint32_t cmio_epoll_interest(cmio_interest interest)
{
    uint32_t ev = EPOLLET;
    if (interest & CMIO_INTEREST_READABLE)
        ev |= EPOLLIN | EPOLLRDHUP;
    if (interest & CMIO_INTEREST_WRITABLE)
        ev |= EPOLLOUT;
    if (interest & CMIO_INTEREST_PRIORITY)
        ev |= EPOLLPRI;
    return ev;
}

static int cmio_epoll_ctl(struct cmio_selector *sel, int op, int fd, cmio_token token,
                          cmio_interest interest)
{
    struct epoll_event ev = {.events = cmio_epoll_interest(interest), .data.u64 = token};
    if (epoll_ctl(cmio_epoll_fd(sel), op, fd, &ev) < 0)
        return -errno;
    return 0;
}

static int cmio_epoll_add(struct cmio_selector *sel, int fd, cmio_token token,
                          cmio_interest interest)
{
    return cmio_epoll_ctl(sel, EPOLL_CTL_ADD, fd, token, interest);
}

/* A closed fd is not registered: -ENOENT, as the poll(2) backend says (the kernel says EBADF). */
static int cmio_epoll_not_registered(int r)
{
    return r == -EBADF ? -ENOENT : r;
}

static int cmio_epoll_modify(struct cmio_selector *sel, int fd, cmio_token token,
                             cmio_interest interest)
{
    return cmio_epoll_not_registered(cmio_epoll_ctl(sel, EPOLL_CTL_MOD, fd, token, interest));
}

static int cmio_epoll_remove(struct cmio_selector *sel, int fd)
{
    /* A non-NULL event pointer keeps pre-2.6.9 kernels happy, as mio does. */
    struct epoll_event ev = {0};
    if (epoll_ctl(cmio_epoll_fd(sel), EPOLL_CTL_DEL, fd, &ev) < 0)
        return cmio_epoll_not_registered(-errno);
    return 0;
}

#ifdef SYS_epoll_pwait2
/* epoll_pwait2 takes the kernel's 64-bit timespec on every architecture. */
struct cmio_kernel_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

/* Returns the count, or -1 with errno set (ENOSYS/EPERM: the system call is unavailable). */
static int cmio_epoll_pwait2(int epfd, cmio_events *events, const struct timespec *timeout)
{
    struct cmio_kernel_timespec kts, *kp = NULL;
    if (timeout != NULL) {
        kts.tv_sec = (int64_t)timeout->tv_sec;
        kts.tv_nsec = (int64_t)timeout->tv_nsec;
        kp = &kts;
    }
    return (int)syscall(SYS_epoll_pwait2, epfd, events->ev, (int)events->cap, kp, NULL, 0);
}
#endif

static int cmio_epoll_select(struct cmio_selector *sel, cmio_events *events,
                             const struct timespec *timeout)
{
    int epfd = cmio_epoll_fd(sel);
    int n;
    /* Waiting forever, or whole milliseconds, needs no nanosecond call: epoll_wait is the
     * cheapest. Only a sub-millisecond remainder takes epoll_pwait2. */
    if (timeout == NULL || timeout->tv_nsec % 1000000L == 0 ||
        atomic_load_explicit(&cmio_epoll_no_pwait2, memory_order_relaxed)) {
        n = epoll_wait(epfd, events->ev, (int)events->cap, cmio__timeout_ms(timeout));
    } else {
#ifdef SYS_epoll_pwait2
        n = cmio_epoll_pwait2(epfd, events, timeout);
        /* EPERM: a seccomp filter that predates the call (epoll_pwait2 never returns it). */
        if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
            cmio__epoll_disable_pwait2();
            n = epoll_wait(epfd, events->ev, (int)events->cap, cmio__timeout_ms(timeout));
        }
#else
        n = epoll_wait(epfd, events->ev, (int)events->cap, cmio__timeout_ms(timeout));
#endif
    }
    if (n < 0) {
        events->len = 0;
        return -errno; /* -EINTR included, as mio reports it */
    }
    events->len = (size_t)n;
    return n;
}

const struct cmio_backend cmio__backend_epoll = {
    .name = "epoll",
    .create = cmio_epoll_create,
    .destroy = cmio_epoll_destroy,
    .add = cmio_epoll_add,
    .modify = cmio_epoll_modify,
    .remove = cmio_epoll_remove,
    .select = cmio_epoll_select,
    .wait_fd = cmio_epoll_fd,
    .rearm = NULL,
};

#endif /* CMIO_BACKEND_EPOLL */
