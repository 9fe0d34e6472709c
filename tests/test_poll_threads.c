/* SPDX-License-Identifier: MIT */
/* cmio tests — changes made from another thread while the poller is blocked in cmio_poll_poll()
 * reach the wait: a reregister (new token and interest), and the re-arm that an operation
 * returning -EAGAIN makes (mio's contract: a Registry may be used from any thread, and the next
 * readiness after -EAGAIN is reported).
 *
 * Found by test_stress on the poll(2) backend: a change made during a wait updated the selector's
 * poll set but not the polling thread's copy, and did not mark the copy stale, so the wait went on
 * with the old interest after every wake-up: the reregistered socket, or the socket re-armed by a
 * read in another thread, was never reported again. Both tests failed on the poll(2) backend
 * before the fix; epoll passes. The poller waits without a timeout, and the main thread acts 100 ms
 * after the poller's last event, so the poller is (almost surely) inside poll(2); when it is not,
 * the tests pass anyway — they never fail by timing.
 */
#include <cmio/cmio.h>

#include <pthread.h>
#include <stdatomic.h>

#include "test_util.h"

#define TOK_A ((cmio_token)0xa1)
#define TOK_A2 ((cmio_token)0xa2)
#define TOK_STOP ((cmio_token)0x5709)

struct shared {
    cmio_poll *poll;
    cmio_waker *stop;
    atomic_uint seen_a, seen_a2;
    atomic_bool done;
};

static void *poller(void *arg)
{
    struct shared *sh = arg;
    cmio_events *ev;
    if (cmio_events_new(&ev, 8) != 0)
        return NULL;
    while (!atomic_load(&sh->done)) {
        int n = cmio_poll_poll(sh->poll, ev, NULL);
        for (int k = 0; k < n; k++) {
            const cmio_event *e = cmio_events_get(ev, (size_t)k);
            if (cmio_event_token(e) == TOK_A && cmio_event_is_readable(e))
                atomic_fetch_add(&sh->seen_a, 1);
            if (cmio_event_token(e) == TOK_A2)
                atomic_fetch_add(&sh->seen_a2, 1);
        }
    }
    cmio_events_free(ev);
    return NULL;
}

/* Waits (bounded) until *counter exceeds `than`; true when it did. */
static bool wait_above(atomic_uint *counter, unsigned than)
{
    int64_t deadline = test_deadline();
    while (atomic_load(counter) <= than) {
        if (test_now_ns() > deadline)
            return false;
        test_sleep_ms(1);
    }
    return true;
}

static void start(struct shared *sh, pthread_t *t)
{
    memset(sh, 0, sizeof *sh);
    assert_int_equal(cmio_poll_new(&sh->poll), 0);
    assert_int_equal(cmio_waker_new(&sh->stop, cmio_poll_registry(sh->poll), TOK_STOP), 0);
    assert_int_equal(pthread_create(t, NULL, poller, sh), 0);
}

static void finish(struct shared *sh, pthread_t t)
{
    atomic_store(&sh->done, true);
    assert_int_equal(cmio_waker_wake(sh->stop), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    cmio_waker_free(sh->stop);
    cmio_poll_free(sh->poll);
}

static void test_reregister_during_wait(void **state)
{
    (void)state;
    struct shared sh;
    pthread_t t;
    start(&sh, &t);
    cmio_registry *reg = cmio_poll_registry(sh.poll);
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_register(&a, reg, TOK_A, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_unix_stream_write(&b, "x", 1), 1);
    assert_true(wait_above(&sh.seen_a, 0));
    test_sleep_ms(100); /* the poller is back inside poll(2) */
    assert_int_equal(cmio_unix_stream_reregister(&a, reg, TOK_A2,
                                                 CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE),
                     0);
    assert_true(wait_above(&sh.seen_a2, 0)); /* readable (unread byte) and writable */
    finish(&sh, t);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

static void test_rearm_from_other_thread_during_wait(void **state)
{
    (void)state;
    struct shared sh;
    pthread_t t;
    start(&sh, &t);
    cmio_registry *reg = cmio_poll_registry(sh.poll);
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_pair(&a, &b), 0);
    assert_int_equal(cmio_unix_stream_register(&a, reg, TOK_A, CMIO_INTEREST_READABLE), 0);
    char buf[16];
    for (unsigned round = 0; round < 3; round++) {
        assert_int_equal(cmio_unix_stream_write(&b, "x", 1), 1);
        assert_true(wait_above(&sh.seen_a, round));
        test_sleep_ms(100); /* the poller is back inside poll(2) */
        /* This thread reads until -EAGAIN: that re-arms READABLE during the poller's wait. */
        assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), 1);
        assert_int_equal(cmio_unix_stream_read(&a, buf, sizeof buf), -EAGAIN);
    }
    finish(&sh, t);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reregister_during_wait),
        cmocka_unit_test(test_rearm_from_other_thread_during_wait),
    };
    alarm(TEST_WATCHDOG_S);
    return cmocka_run_group_tests_name("poll_threads", tests, NULL, NULL);
}
