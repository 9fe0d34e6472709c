/* SPDX-License-Identifier: MIT */
/* cmio tests — readiness that poll(2) reported for a closed fd is never attributed to a new
 * registration that reused the fd number (found by test_stress on the poll(2) backend: a freshly
 * registered socket was, now and then, never reported).
 *
 * Linked with -Wl,--wrap=poll,--wrap=ppoll: while `slow` is set, the backend's wait sleeps 100 ms
 * before and after the real call, so that the main thread can, deterministically, close a
 * registered socket after the poller copied its poll set (or after poll(2) returned) and register
 * a new socket on the same fd number before the poller collects.
 *   - test_nval_not_applied_to_new_registration: poll(2) returns POLLNVAL for the closed fd; the
 *     backend disarms whatever is registered under that fd number at collection time — the new
 *     socket — which is then never reported (lost readiness).
 *   - test_hup_not_applied_to_new_registration: poll(2) returns POLLIN|POLLRDHUP|POLLHUP for the
 *     old socket (its peer closed); the new socket, whose peer is open and which has no data, is
 *     reported readable, read-closed and write-closed under its new token.
 * Both failed on the poll(2) backend before the fix (runtime/backend_poll.c: revents from a wait
 * go only to registrations that existed when the wait's copy of the poll set was taken). The
 * epoll backend ties a registration to the open file, not the number: both pass there.
 */
#include <cmio/cmio.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "test_util.h"

int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
int __real_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *m);
int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *m);

static atomic_bool slow;

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    bool s = atomic_load(&slow);
    if (s)
        test_sleep_ms(100);
    int r = __real_poll(fds, n, timeout);
    if (s)
        test_sleep_ms(100);
    return r;
}

int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *m)
{
    bool s = atomic_load(&slow);
    if (s)
        test_sleep_ms(100);
    int r = __real_ppoll(fds, n, t, m);
    if (s)
        test_sleep_ms(100);
    return r;
}

/* Both tests need the new socket to get the closed one's fd number; libkqueue opens and closes
 * fds of its own from its monitoring thread, which can take the number first. */
#define LIBKQUEUE_FD_NUMBERS                                                                       \
    "libkqueue's monitoring thread opens fds of its own, which can take the reused fd number"

#define OLD_TOKEN ((cmio_token)1)
#define NEW_TOKEN ((cmio_token)2)

static cmio_poll *P;
static atomic_bool new_readable, new_closed;

static atomic_bool stop;

/* Polls (300 ms at a time) until stop, recording what it saw of the new token. */
static void *poller(void *arg)
{
    (void)arg;
    cmio_events *ev;
    if (cmio_events_new(&ev, 8) != 0)
        return NULL;
    const struct timespec to = {0, 300 * 1000000L};
    while (!atomic_load(&stop)) {
        int n = cmio_poll_poll(P, ev, &to);
        for (int k = 0; k < n; k++) {
            const cmio_event *e = cmio_events_get(ev, (size_t)k);
            if (cmio_event_token(e) != NEW_TOKEN)
                continue;
            if (cmio_event_is_readable(e))
                atomic_store(&new_readable, true);
            if (cmio_event_is_read_closed(e) || cmio_event_is_write_closed(e) ||
                cmio_event_is_error(e))
                atomic_store(&new_closed, true);
        }
    }
    cmio_events_free(ev);
    return NULL;
}

/* Lets the poller collect and poll again a few times, then stops it. */
static void finish(pthread_t t)
{
    test_sleep_ms(800);
    atomic_store(&stop, true);
    assert_int_equal(pthread_join(t, NULL), 0);
    atomic_store(&slow, false);
}

static void test_nval_not_applied_to_new_registration(void **state)
{
    (void)state;
    TEST_SKIP_LIBKQUEUE(LIBKQUEUE_FD_NUMBERS);
    atomic_store(&new_readable, false);
    atomic_store(&new_closed, false);
    atomic_store(&stop, false);
    assert_int_equal(cmio_poll_new(&P), 0);
    cmio_registry *reg = cmio_poll_registry(P);
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, d = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int old_fd = cmio_unix_stream_as_fd(&a);
    assert_int_equal(cmio_unix_stream_register(&a, reg, OLD_TOKEN, CMIO_INTEREST_READABLE), 0);
    atomic_store(&slow, true);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, poller, NULL), 0);
    test_sleep_ms(50); /* the poller copied its poll set (a's fd in it) and sleeps */
    assert_int_equal(cmio_unix_stream_close(&a), 0); /* poll(2) will see POLLNVAL for it */
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    test_sleep_ms(100); /* poll(2) ran; the poller sleeps before collecting */
    assert_int_equal(cmio_unix_stream_pair(&c, &d), 0);
    assert_int_equal(cmio_unix_stream_as_fd(&c), old_fd);
    assert_int_equal(cmio_unix_stream_register(&c, reg, NEW_TOKEN, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_unix_stream_write(&d, "x", 1), 1);
    finish(t);
    assert_true(atomic_load(&new_readable)); /* the new socket is readable: reported */
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&d), 0);
    cmio_poll_free(P);
}

static void test_hup_not_applied_to_new_registration(void **state)
{
    (void)state;
    TEST_SKIP_LIBKQUEUE(LIBKQUEUE_FD_NUMBERS);
    atomic_store(&new_readable, false);
    atomic_store(&new_closed, false);
    atomic_store(&stop, false);
    assert_int_equal(cmio_poll_new(&P), 0);
    cmio_registry *reg = cmio_poll_registry(P);
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, d = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    int old_fd = cmio_unix_stream_as_fd(&a);
    assert_int_equal(cmio_unix_stream_register(&a, reg, OLD_TOKEN, CMIO_INTEREST_READABLE), 0);
    atomic_store(&slow, true);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, poller, NULL), 0);
    test_sleep_ms(50);
    assert_int_equal(cmio_unix_stream_close(&b), 0); /* a hangs up before poll(2) looks */
    test_sleep_ms(100);                              /* poll(2) reported it; not yet collected */
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_pair(&c, &d), 0); /* both ends open, nothing written */
    assert_int_equal(cmio_unix_stream_as_fd(&c), old_fd);
    assert_int_equal(cmio_unix_stream_register(&c, reg, NEW_TOKEN, CMIO_INTEREST_READABLE), 0);
    finish(t);
    assert_false(atomic_load(&new_closed));
    assert_false(atomic_load(&new_readable));
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&d), 0);
    cmio_poll_free(P);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nval_not_applied_to_new_registration),
        cmocka_unit_test(test_hup_not_applied_to_new_registration),
    };
    alarm(TEST_WATCHDOG_S);
    return cmocka_run_group_tests_name("poll_fd_reuse", tests, NULL, NULL);
}
