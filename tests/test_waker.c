/* SPDX-License-Identifier: MIT */
/* cmio tests — Waker (eventfd on Linux, a completion packet on Windows). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#ifndef _WIN32
#include <signal.h>
#include <sys/time.h>
#endif

#define WAKE_TOKEN ((cmio_token)0xfeedULL)

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, test_fixture_setup, test_fixture_teardown)

/* Asserts the last poll returned exactly one event: the waker's, readable. */
static void assert_one_wake_event(const cmio_events *events, int n)
{
    assert_int_equal(n, 1);
    const cmio_event *e = cmio_events_get(events, 0);
    assert_int_equal(cmio_event_token(e), WAKE_TOKEN);
    assert_true(cmio_event_is_readable(e));
    assert_false(cmio_event_is_writable(e));
    assert_false(cmio_event_is_error(e));
}

struct delayed_wake {
    cmio_waker *waker;
    long delay_ms;
    int result;
};

static void *wake_after_delay(void *arg)
{
    struct delayed_wake *dw = arg;
    test_sleep_ms(dw->delay_ms);
    dw->result = cmio_waker_wake(dw->waker);
    return NULL;
}

static void test_wake_from_thread(void **state)
{
    struct test_fixture *f = *state;
    cmio_waker *waker = NULL;
    pthread_t th;
    assert_int_equal(cmio_waker_new(&waker, cmio_poll_registry(f->poll), WAKE_TOKEN), 0);
    assert_non_null(waker);
    assert_int_equal(test_poll_now(f->poll, f->events), 0); /* not woken yet */

    struct delayed_wake dw = {waker, 50, -1};
    int64_t t0 = test_now_ns();
    assert_int_equal(pthread_create(&th, NULL, wake_after_delay, &dw), 0);
    int n;
    while ((n = cmio_poll_poll(f->poll, f->events, NULL)) == -EINTR) {
    }
    assert_true(test_now_ns() - t0 >= 50000000LL); /* blocked until the wake */
    assert_one_wake_event(f->events, n);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(dw.result, 0);
    cmio_waker_free(waker);
}

static void test_wakes_coalesce(void **state)
{
    struct test_fixture *f = *state;
    cmio_waker *waker;
    assert_int_equal(cmio_waker_new(&waker, cmio_poll_registry(f->poll), WAKE_TOKEN), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(cmio_waker_wake(waker), 0);
    assert_one_wake_event(f->events, test_poll_now(f->poll, f->events));
    assert_int_equal(test_poll_now(f->poll, f->events), 0);

    /* After the event, a new wake is a new event (the counter is never drained). */
    assert_int_equal(cmio_waker_wake(waker), 0);
    assert_one_wake_event(f->events, test_poll_now(f->poll, f->events));
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    assert_int_equal(cmio_waker_wake(waker), 0);
    assert_one_wake_event(f->events, test_poll_now(f->poll, f->events));
    cmio_waker_free(waker);
}

/* More wakes than a pipe holds (64 KiB) before anyone polls: wake never blocks, never fails, and
 * the poll still sees exactly one event; then a later wake is a new event. */
static void test_full_pipe_neither_blocks_nor_loses(void **state)
{
    struct test_fixture *f = *state;
    cmio_waker *waker;
    assert_int_equal(cmio_waker_new(&waker, cmio_poll_registry(f->poll), WAKE_TOKEN), 0);
    print_message("waker: %s, backend: %s\n", cmio_waker_name(), cmio_backend_name());
    for (int i = 0; i < 200000; i++)
        assert_int_equal(cmio_waker_wake(waker), 0);
    assert_one_wake_event(f->events, test_poll_now(f->poll, f->events));
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    assert_int_equal(cmio_waker_wake(waker), 0);
    assert_one_wake_event(f->events, test_poll_now(f->poll, f->events));
    cmio_waker_free(waker);
}

#ifndef _WIN32 /* signals: Unix */
/* wake() from a signal handler that interrupts the polling thread — what examples/tcp_server.c
 * does on SIGTERM. It must be async-signal-safe on every backend: a wake that took a lock the
 * interrupted poll holds would deadlock (the watchdog alarm would then fail the suite). */
static cmio_waker *sig_waker;
static volatile sig_atomic_t sig_wake_errors;
static volatile sig_atomic_t sig_count;

static void on_sigprof(int sig)
{
    (void)sig;
    int saved = errno;
    if (cmio_waker_wake(sig_waker) != 0)
        sig_wake_errors++;
    sig_count++;
    errno = saved;
}

static void test_wake_from_signal_handler(void **state)
{
    TEST_SKIP_UNDER("qemu-i386", "qemu-i386 kills this process during the 20 µs profiling-timer "
                                 "storm once earlier tests have run threads; the same waker loop "
                                 "alone passes under qemu-i386 (not a cmio bug we could find)");
    if (strcmp(cmio_waker_name(), "kqueue") == 0)
        TEST_SKIP_LIBKQUEUE("libkqueue's kevent() takes a process-wide mutex and the kqueue's "
                            "lock, so a wake from a handler that interrupted a kevent() call "
                            "deadlocks (a kernel kqueue's kevent(2) is one system call)");
    struct test_fixture *f = *state;
    assert_int_equal(cmio_waker_new(&sig_waker, cmio_poll_registry(f->poll), WAKE_TOKEN), 0);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigprof;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGPROF, &sa, &old), 0);
    sig_wake_errors = 0;
    sig_count = 0;

    /* Idle registrations make the backend spend time in its bookkeeping, where a lock-taking
     * wake would deadlock. */
    enum { IDLE = 256 };
    int sv[2], idle[IDLE];
    test_socketpair(sv);
    for (int i = 0; i < IDLE; i++) {
        idle[i] = dup(sv[0]);
        assert_true(idle[i] >= 0);
        assert_int_equal(cmio_registry_register_fd(cmio_poll_registry(f->poll), idle[i],
                                                   (cmio_token)i, CMIO_INTEREST_READABLE),
                         0);
    }
    /* A signal every 20 µs of CPU time (ITIMER_PROF: the watchdog's alarm() stays untouched). */
    struct itimerval every = {{0, 20}, {0, 20}}, stop = {{0, 0}, {0, 0}};
    assert_int_equal(setitimer(ITIMER_PROF, &every, NULL), 0);
    /* Poll without waiting while the signals land (EINTR is possible), so that the thread is
     * mostly inside cmio, then until the last wake is seen. */
    const struct timespec zero = {0, 0};
    int wake_events = 0;
    int64_t t0 = test_now_ns();
    /* Until 200 signals have landed (the timer counts CPU time, which this loop burns), at most
     * 10 s. */
    while (sig_count < 200 && test_now_ns() - t0 < 10LL * 1000 * 1000 * 1000) {
        int n = cmio_poll_poll(f->poll, f->events, &zero);
        assert_true(n >= 0 || n == -EINTR);
        for (int k = 0; k < n; k++)
            wake_events += cmio_event_token(cmio_events_get(f->events, (size_t)k)) == WAKE_TOKEN;
    }
    assert_int_equal(setitimer(ITIMER_PROF, &stop, NULL), 0);
    assert_int_equal(sigaction(SIGPROF, &old, NULL), 0);
    assert_int_equal(sig_wake_errors, 0);
    assert_true(sig_count >= 200);
    assert_true(wake_events >= 1);
    /* After the storm, one more wake is one more event. */
    int n;
    do {
        n = test_poll_now(f->poll, f->events);
    } while (n > 0);
    assert_int_equal(cmio_waker_wake(sig_waker), 0);
    assert_one_wake_event(f->events, test_poll_now(f->poll, f->events));
    cmio_waker_free(sig_waker);
    for (int i = 0; i < IDLE; i++) {
        assert_int_equal(cmio_registry_deregister_fd(cmio_poll_registry(f->poll), idle[i]), 0);
        close(idle[i]);
    }
    close(sv[0]);
    close(sv[1]);
}
#endif

#define WAKE_THREADS 4
#define WAKES_PER_THREAD 2000

static void *wake_many(void *arg)
{
    cmio_waker *waker = arg;
    for (int i = 0; i < WAKES_PER_THREAD; i++) {
        if (cmio_waker_wake(waker) != 0)
            return (void *)1;
    }
    return NULL;
}

/* Concurrent wakes from several threads all succeed and give one event. */
static void test_wake_concurrent(void **state)
{
    struct test_fixture *f = *state;
    cmio_waker *waker;
    pthread_t th[WAKE_THREADS];
    assert_int_equal(cmio_waker_new(&waker, cmio_poll_registry(f->poll), WAKE_TOKEN), 0);
    for (int i = 0; i < WAKE_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, wake_many, waker), 0);
    for (int i = 0; i < WAKE_THREADS; i++) {
        void *ret;
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_null(ret);
    }
    assert_one_wake_event(f->events, test_poll_now(f->poll, f->events));
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    cmio_waker_free(waker);
}

/* Free deregisters (a pending wake is not reported) and closes the eventfd. */
static void test_free_deregisters_and_closes(void **state)
{
    struct test_fixture *f = *state;
    cmio_waker *waker;
    int before = test_count_open_fds();
    assert_int_equal(cmio_waker_new(&waker, cmio_poll_registry(f->poll), WAKE_TOKEN), 0);
    assert_int_equal(test_count_open_fds(), before + test_waker_fds());
    assert_int_equal(cmio_waker_wake(waker), 0);
    cmio_waker_free(waker);
    assert_int_equal(test_count_open_fds(), before);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    cmio_waker_free(NULL);
}

static void test_null_args(void **state)
{
    struct test_fixture *f = *state;
    cmio_waker *waker = NULL;
    assert_int_equal(cmio_waker_new(NULL, cmio_poll_registry(f->poll), 1), -EINVAL);
    assert_int_equal(cmio_waker_new(&waker, NULL, 1), -EINVAL);
    assert_null(waker);
    assert_int_equal(cmio_waker_wake(NULL), -EINVAL);
}

/* A waker made through a cloned registry reports to the original poll. */
static void test_waker_on_cloned_registry(void **state)
{
    struct test_fixture *f = *state;
    cmio_registry *clone;
    cmio_waker *waker;
    assert_int_equal(cmio_registry_try_clone(cmio_poll_registry(f->poll), &clone), 0);
    assert_int_equal(cmio_waker_new(&waker, clone, WAKE_TOKEN), 0);
    cmio_registry_free(clone);
    assert_int_equal(cmio_waker_wake(waker), 0);
    assert_one_wake_event(f->events, test_poll_now(f->poll, f->events));
    cmio_waker_free(waker);
}

/* Documented behaviour: the waker holds the selector, so it may outlive its poll; wake() still
 * succeeds (nobody is listening) and free() releases the last reference and every fd. */
static void test_waker_outlives_poll(void **state)
{
    TEST_SKIP_LIBKQUEUE(TEST_LIBKQUEUE_FDS);
    (void)state;
    int before = test_count_open_fds();
    cmio_poll *poll;
    cmio_waker *waker;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_waker_new(&waker, cmio_poll_registry(poll), WAKE_TOKEN), 0);
    cmio_poll_free(poll);
    assert_int_equal(test_count_open_fds(), before + test_waker_fds() + test_poll_fds());
    assert_int_equal(cmio_waker_wake(waker), 0);
    assert_int_equal(cmio_waker_wake(waker), 0);
    cmio_waker_free(waker);
    assert_int_equal(test_count_open_fds(), before);
}

/* Several wakers on one poll are told apart by their tokens. */
static void test_two_wakers(void **state)
{
    struct test_fixture *f = *state;
    cmio_waker *a, *b;
    assert_int_equal(cmio_waker_new(&a, cmio_poll_registry(f->poll), 1), 0);
    assert_int_equal(cmio_waker_new(&b, cmio_poll_registry(f->poll), 2), 0);
    assert_int_equal(cmio_waker_wake(b), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 1);
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 2);
    assert_int_equal(cmio_waker_wake(a), 0);
    assert_int_equal(cmio_waker_wake(b), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 2);
    assert_non_null(test_find_token(f->events, 1));
    assert_non_null(test_find_token(f->events, 2));
    cmio_waker_free(a);
    cmio_waker_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_wake_from_thread),
        TEST(test_wakes_coalesce),
        TEST(test_full_pipe_neither_blocks_nor_loses),
#ifndef _WIN32
        TEST(test_wake_from_signal_handler),
#endif
        TEST(test_wake_concurrent),
        TEST(test_free_deregisters_and_closes),
        TEST(test_null_args),
        TEST(test_waker_on_cloned_registry),
        cmocka_unit_test(test_waker_outlives_poll),
        TEST(test_two_wakers),
    };
    test_alarm(TEST_WATCHDOG_S);
    return cmocka_run_group_tests_name("waker", tests, NULL, NULL);
}
