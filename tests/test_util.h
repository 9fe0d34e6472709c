/* SPDX-License-Identifier: MIT */
/* cmio tests — small shared helpers (header-only, static inline). Include after the system
 * headers a test needs; this header brings in cmocka itself. */
#ifndef CMIO_TEST_UTIL_H
#define CMIO_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cmio/addr.h>
#include <cmio/poll.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Upper bound for anything a test waits for; generous so slow runs (valgrind) pass. */
#define TEST_WAIT_MS 5000
/* Whole-binary watchdog: a hang (e.g. a timeout ignored) kills the test run with SIGALRM. */
#define TEST_WATCHDOG_S 120

static inline int64_t test_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* Polls without blocking; returns the event count (asserts it is not an error). */
static inline int test_poll_now(cmio_poll *poll, cmio_events *events)
{
    const struct timespec zero = {0, 0};
    int n = cmio_poll_poll(poll, events, &zero);
    assert_true(n >= 0);
    assert_int_equal((size_t)n, cmio_events_len(events));
    return n;
}

/* Finds the event carrying token in the last poll's events, or NULL. */
static inline const cmio_event *test_find_token(const cmio_events *events, cmio_token token)
{
    for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
        if (cmio_event_token(e) == token)
            return e;
    }
    return NULL;
}

/* 127.0.0.1:port or [::1]:port. */
static inline void test_loopback(cmio_sockaddr *out, int family, uint16_t port)
{
    static const uint8_t v4[4] = {127, 0, 0, 1};
    static const uint8_t v6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (family == AF_INET6)
        assert_int_equal(cmio_sockaddr_ipv6(out, v6, port), 0);
    else
        assert_int_equal(cmio_sockaddr_ipv4(out, v4, port), 0);
}

/* A deadline TEST_WAIT_MS from now, on test_now_ns()'s clock. */
static inline int64_t test_deadline(void)
{
    return test_now_ns() + (int64_t)TEST_WAIT_MS * 1000000;
}

/* One wait for events, bounded by `deadline` (test_now_ns() clock); -EINTR is retried, any other
 * error fails the test. Returns the event count (0: the wait reached the deadline), or -ETIMEDOUT
 * when the deadline has already passed — the caller then fails saying what it waited for. */
static inline int test_poll_until(cmio_poll *poll, cmio_events *events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - test_now_ns();
        if (left <= 0)
            return -ETIMEDOUT;
        struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
        int n = cmio_poll_poll(poll, events, &ts);
        if (n != -EINTR) {
            assert_true(n >= 0);
            return n;
        }
    }
}

/* Polls (retrying on -EINTR) until an event with token shows up or timeout_ms passes. Returns
 * the event (valid until the next poll with events) or NULL. Other events are dropped. */
static inline const cmio_event *test_poll_for_token(cmio_poll *poll, cmio_events *events,
                                                    cmio_token token, int timeout_ms)
{
    int64_t deadline = test_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int64_t left = deadline - test_now_ns();
        if (left < 0)
            left = 0;
        struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
        int n = cmio_poll_poll(poll, events, &ts);
        if (n == -EINTR)
            continue;
        assert_true(n >= 0);
        const cmio_event *e = test_find_token(events, token);
        if (e != NULL)
            return e;
        if (left == 0)
            return NULL;
    }
}

/* Number of open file descriptors of this process. */
/* The fds a poll instance holds: 1 for epoll, 2 for poll(2) (its notification pipe) and for
 * io_uring (the ring and the eventfd that wakes a waiting thread after a registration). */
static inline int test_poll_fds(void)
{
    const char *b = cmio_backend_name();
    return strcmp(b, "poll") == 0 || strcmp(b, "uring") == 0 ? 2 : 1;
}

/* The fds a waker holds: 1 for an eventfd, 2 for a pipe. */
static inline int test_waker_fds(void)
{
    return strcmp(cmio_waker_name(), "pipe") == 0 ? 2 : 1;
}

/* The backend this run should use: $CMIO_BACKEND, else the platform table's default. */
static inline const char *test_expected_backend(void)
{
    const char *b = getenv("CMIO_BACKEND");
    return b != NULL && *b != '\0' ? b : CMIO_DEFAULT_BACKEND;
}

/* Skips the calling test, with the reason printed, when the suite runs under an emulator whose
 * command (CMIO_RUNNER, set by tests/run.sh for the cross rows) contains `emu` ("qemu",
 * "qemu-i386") and the behaviour tested is one that emulator gets wrong — each use names the bug.
 */
#define TEST_SKIP_UNDER(emu, why)                                                                  \
    do {                                                                                           \
        const char *runner_ = getenv("CMIO_RUNNER");                                               \
        if (runner_ != NULL && strstr(runner_, emu) != NULL) {                                     \
            print_message("skipped under %s: %s\n", runner_, why);                                 \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* Waits with poll(2) until fd reports any of `what` (POLLIN, POLLOUT, …). Returns revents, or 0
 * when TEST_WAIT_MS passed. */
static inline short test_fd_wait(int fd, short what)
{
    int64_t deadline = test_now_ns() + (int64_t)TEST_WAIT_MS * 1000000;
    for (;;) {
        int64_t left_ms = (deadline - test_now_ns()) / 1000000;
        struct pollfd p = {.fd = fd, .events = what, .revents = 0};
        int n = poll(&p, 1, left_ms > 0 ? (int)left_ms : 0);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n > 0)
            return p.revents;
        if (left_ms <= 0)
            return 0;
    }
}

static inline int test_count_open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int n = 0;
    assert_non_null(dir);
    while (readdir(dir) != NULL)
        n++;
    closedir(dir);
    return n - 3; /* ".", ".." and the directory's own fd */
}

static inline bool test_fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* A non-blocking AF_UNIX stream socket pair. */
static inline void test_socketpair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

static inline void test_write_byte(int fd)
{
    assert_int_equal(write(fd, "x", 1), 1);
}

/* Reads until -EAGAIN; returns the number of bytes read. */
static inline size_t test_drain(int fd)
{
    char buf[4096];
    size_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += (size_t)n;
    assert_int_equal(n, -1);
    assert_int_equal(errno, EAGAIN);
    return total;
}

#endif /* CMIO_TEST_UTIL_H */
