/* SPDX-License-Identifier: MIT */
/* cmio tests — the thread-safety stress test (run by every row, and under ThreadSanitizer by
 * `make test-tsan`): one thread sits in cmio_poll_poll while others register, reregister,
 * deregister and close sockets, clone registries (and register through the clones, create and
 * free wakers on them) and wake the poll — on whichever backend the row runs (epoll, poll(2)).
 *
 * Every socket registration gets a token never used before. The assertions are deterministic, not
 * timing luck:
 *   - liveness: a registered socket that was made readable is reported, every time (each worker
 *     waits, bounded, until the poller has seen its token);
 *   - no stale events: once deregister/reregister/close returned, no poll that *started* after
 *     that reports the old token (poll_starts orders the two: the worker reads it after its call
 *     returned, the poller bumps it before each poll);
 *   - no unknown tokens: every event carries a token that was handed out;
 *   - every wake seen: each waker thread waits, bounded, for an event of its own waker after each
 *     wake (its own waker, so that no other thread's wake can stand in for it);
 *   - no fd leaked: the process holds as many fds at the end as at the start.
 * Worker threads never call cmocka (not thread-safe): they count failures, the main thread asserts.
 * Iterations are fixed (CMIO_STRESS_ITERS scales them); a 60 s cap stops the loops early on a very
 * slow runner (valgrind, qemu), which is reported, not hidden.
 */
#include <cmio/cmio.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define MAX_TOKENS 16384
#define TOKEN_BASE ((cmio_token)0x5000000)
#define WAKE_TOKEN_A ((cmio_token)0xa11a)
#define WAKE_TOKEN_B ((cmio_token)0xb11b)
#define CAP_NS ((int64_t)60 * 1000000000)
#define WAIT_NS ((int64_t)2 * TEST_WAIT_MS * 1000000)

struct stress {
    cmio_poll *poll;
    cmio_registry *reg;
    cmio_waker *waker_a; /* on the poll's registry */
    cmio_waker *waker_b; /* on a clone */
    cmio_registry *waker_b_reg;
    int64_t start_ns;

    atomic_bool stop;            /* the poller's exit */
    atomic_uint_fast64_t starts; /* polls started (bumped before each poll) */
    atomic_uint next_token;      /* index of the next token to hand out */
    /* Per token index: seen (the poller reported it), and dead_at (0: live; else the value of
     * starts read after the call that retired the token returned). */
    atomic_bool seen[MAX_TOKENS];
    atomic_uint_fast64_t dead_at[MAX_TOKENS];
    atomic_uint wakes_seen_a, wakes_seen_b;

    /* Results, read by the main thread after the joins. */
    atomic_uint stale, unknown, lost, errors, capped;
    atomic_uint iterations, wakes, polls;
    pthread_mutex_t msg_lock;
    char msg[256];
};

static struct stress S;

static int iters(int base)
{
    const char *s = getenv("CMIO_STRESS_ITERS");
    double scale = s != NULL ? atof(s) : 1.0;
    int n = (int)(base * (scale > 0 ? scale : 1.0));
    return n > 0 ? n : 1;
}

/* Counts a failure; the first one's text is kept for the report. */
__attribute__((format(printf, 2, 3))) static void record(atomic_uint *counter, const char *fmt, ...)
{
    if (atomic_fetch_add(counter, 1) == 0) {
        pthread_mutex_lock(&S.msg_lock);
        if (S.msg[0] == '\0') {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(S.msg, sizeof S.msg, fmt, ap);
            va_end(ap);
        }
        pthread_mutex_unlock(&S.msg_lock);
    }
}

static bool capped(void)
{
    if (test_now_ns() - S.start_ns < CAP_NS)
        return false;
    atomic_store(&S.capped, 1);
    return true;
}

static cmio_token new_token(unsigned *idx)
{
    unsigned i = atomic_fetch_add(&S.next_token, 1);
    if (i >= MAX_TOKENS) {
        record(&S.errors, "token space exhausted (%u)", i);
        i = MAX_TOKENS - 1;
    }
    *idx = i;
    return TOKEN_BASE + i;
}

/* After the call retiring token idx returned: polls that start from now on must not report it. */
static void retire(unsigned idx)
{
    atomic_store(&S.dead_at[idx], atomic_load(&S.starts));
}

/* Waits until the poller reported token idx. */
static bool wait_seen(unsigned idx)
{
    int64_t deadline = test_now_ns() + WAIT_NS;
    while (!atomic_load(&S.seen[idx])) {
        if (test_now_ns() > deadline) {
            record(&S.lost, "token %#lx never reported (%ld ms)", (unsigned long)(TOKEN_BASE + idx),
                   (long)(WAIT_NS / 1000000));
            return false;
        }
        test_sleep_ms(0);
        sched_yield();
    }
    return true;
}

static void *poller(void *arg)
{
    (void)arg;
    cmio_events *events;
    if (cmio_events_new(&events, 8) != 0) {
        record(&S.errors, "cmio_events_new failed");
        return NULL;
    }
    const struct timespec tick = {0, 20 * 1000000};
    while (!atomic_load(&S.stop)) {
        uint_fast64_t p = atomic_fetch_add(&S.starts, 1) + 1;
        int n = cmio_poll_poll(S.poll, events, &tick);
        atomic_fetch_add(&S.polls, 1);
        if (n < 0 && n != -EINTR) {
            record(&S.errors, "cmio_poll_poll: %d", n);
            continue;
        }
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            cmio_token t = cmio_event_token(e);
            if (t == WAKE_TOKEN_A) {
                atomic_fetch_add(&S.wakes_seen_a, 1);
                continue;
            }
            if (t == WAKE_TOKEN_B) {
                atomic_fetch_add(&S.wakes_seen_b, 1);
                continue;
            }
            if (t < TOKEN_BASE || t - TOKEN_BASE >= atomic_load(&S.next_token) ||
                t - TOKEN_BASE >= MAX_TOKENS) {
                record(&S.unknown, "event with unknown token %#lx", (unsigned long)t);
                continue;
            }
            unsigned idx = (unsigned)(t - TOKEN_BASE);
            uint_fast64_t dead = atomic_load(&S.dead_at[idx]);
            if (dead != 0 && p > dead)
                record(&S.stale, "token %#lx reported by poll %ld, started after it was retired",
                       (unsigned long)t, (long)p);
            atomic_store(&S.seen[idx], true);
        }
    }
    cmio_events_free(events);
    return NULL;
}

/* One registration's life: pair, register, make readable, wait for the event, then retire the
 * token by deregister, reregister (new token, then close) or close — by turns. */
static void socket_cycle(cmio_registry *reg, int turn)
{
    cmio_unix_stream a = CMIO_UNIX_STREAM_INIT, b = CMIO_UNIX_STREAM_INIT;
    int r = cmio_unix_stream_pair(&a, &b);
    if (r < 0) {
        record(&S.errors, "cmio_unix_stream_pair: %d", r);
        return;
    }
    unsigned idx, idx2;
    cmio_token t = new_token(&idx);
    r = cmio_unix_stream_register(&a, reg, t, CMIO_INTEREST_READABLE);
    if (r < 0)
        record(&S.errors, "register %#lx: %d", (unsigned long)t, r);
    else if (cmio_unix_stream_write(&b, "x", 1) != 1)
        record(&S.errors, "write to %#lx's peer failed", (unsigned long)t);
    else if (wait_seen(idx)) {
        switch (turn % 3) {
        case 0:
            r = cmio_unix_stream_deregister(&a, reg);
            if (r < 0)
                record(&S.errors, "deregister %#lx: %d", (unsigned long)t, r);
            retire(idx);
            break;
        case 1: {
            cmio_token t2 = new_token(&idx2);
            r = cmio_unix_stream_reregister(&a, reg, t2,
                                            CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE);
            if (r < 0)
                record(&S.errors, "reregister %#lx: %d", (unsigned long)t, r);
            retire(idx);
            (void)wait_seen(idx2);
            r = cmio_unix_stream_close(&a);
            if (r < 0)
                record(&S.errors, "close %#lx: %d", (unsigned long)t2, r);
            retire(idx2);
            break;
        }
        default:
            r = cmio_unix_stream_close(&a);
            if (r < 0)
                record(&S.errors, "close %#lx: %d", (unsigned long)t, r);
            retire(idx);
            break;
        }
    }
    (void)cmio_unix_stream_close(&a); /* -EBADF when already closed */
    (void)cmio_unix_stream_close(&b);
    atomic_fetch_add(&S.iterations, 1);
}

/* Registers through the poll's own registry. */
static void *registrar(void *arg)
{
    int n = iters(400);
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < n && !capped(); i++)
        socket_cycle(S.reg, i + id);
    return NULL;
}

/* Clones the registry for every few sockets (the clone outlives nothing: freed each round), and
 * now and then creates a waker on the clone, wakes it, waits for its event and frees it. */
static void *cloner(void *arg)
{
    (void)arg;
    int n = iters(100);
    for (int i = 0; i < n && !capped(); i++) {
        cmio_registry *clone;
        int r = cmio_registry_try_clone(S.reg, &clone);
        if (r < 0) {
            record(&S.errors, "cmio_registry_try_clone: %d", r);
            continue;
        }
        for (int k = 0; k < 3; k++)
            socket_cycle(clone, i + k);
        if (i % 5 == 0) {
            unsigned idx;
            cmio_token t = new_token(&idx);
            cmio_waker *w;
            r = cmio_waker_new(&w, clone, t);
            if (r < 0) {
                record(&S.errors, "cmio_waker_new on a clone: %d", r);
            } else {
                if (cmio_waker_wake(w) < 0)
                    record(&S.errors, "cmio_waker_wake %#lx failed", (unsigned long)t);
                else
                    (void)wait_seen(idx);
                cmio_waker_free(w);
                retire(idx);
            }
        }
        cmio_registry_free(clone);
    }
    return NULL;
}

/* Wakes its own waker and waits for an event of it each time. */
static void *waker_thread(void *arg)
{
    bool a = arg == NULL;
    cmio_waker *w = a ? S.waker_a : S.waker_b;
    atomic_uint *seen = a ? &S.wakes_seen_a : &S.wakes_seen_b;
    int n = iters(1000);
    for (int i = 0; i < n && !capped(); i++) {
        unsigned before = atomic_load(seen);
        int r = cmio_waker_wake(w);
        if (r < 0) {
            record(&S.errors, "cmio_waker_wake: %d", r);
            continue;
        }
        atomic_fetch_add(&S.wakes, 1);
        int64_t deadline = test_now_ns() + WAIT_NS;
        while (atomic_load(seen) == before) {
            if (test_now_ns() > deadline) {
                record(&S.lost, "wake %d of waker %c never reported", i, a ? 'A' : 'B');
                return NULL;
            }
            sched_yield();
        }
    }
    return NULL;
}

static void test_stress_threads(void **state)
{
    (void)state;
    int fds_before = test_count_open_fds();
    memset(&S, 0, sizeof S);
    pthread_mutex_init(&S.msg_lock, NULL);
    S.start_ns = test_now_ns();
    assert_int_equal(cmio_poll_new(&S.poll), 0);
    S.reg = cmio_poll_registry(S.poll);
    assert_int_equal(cmio_waker_new(&S.waker_a, S.reg, WAKE_TOKEN_A), 0);
    assert_int_equal(cmio_registry_try_clone(S.reg, &S.waker_b_reg), 0);
    assert_int_equal(cmio_waker_new(&S.waker_b, S.waker_b_reg, WAKE_TOKEN_B), 0);

    pthread_t poll_thread, workers[5];
    assert_int_equal(pthread_create(&poll_thread, NULL, poller, NULL), 0);
    assert_int_equal(pthread_create(&workers[0], NULL, registrar, (void *)(intptr_t)0), 0);
    assert_int_equal(pthread_create(&workers[1], NULL, registrar, (void *)(intptr_t)1), 0);
    assert_int_equal(pthread_create(&workers[2], NULL, cloner, NULL), 0);
    assert_int_equal(pthread_create(&workers[3], NULL, waker_thread, NULL), 0);
    assert_int_equal(pthread_create(&workers[4], NULL, waker_thread, &S), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(pthread_join(workers[i], NULL), 0);
    atomic_store(&S.stop, true);
    assert_int_equal(cmio_waker_wake(S.waker_a), 0); /* ends the poller's current wait */
    assert_int_equal(pthread_join(poll_thread, NULL), 0);

    cmio_waker_free(S.waker_b);
    cmio_registry_free(S.waker_b_reg);
    cmio_waker_free(S.waker_a);
    cmio_poll_free(S.poll);
    print_message(
        "stress (%s backend): %u socket cycles, %u tokens, %u wakes, %u polls, %.1f s%s\n",
        cmio_backend_name(), atomic_load(&S.iterations), atomic_load(&S.next_token),
        atomic_load(&S.wakes), atomic_load(&S.polls), (double)(test_now_ns() - S.start_ns) / 1e9,
        atomic_load(&S.capped) ? " (stopped early at the 60 s cap)" : "");
    if (S.msg[0] != '\0')
        print_message("stress: first failure: %s\n", S.msg);
    assert_int_equal(atomic_load(&S.stale), 0);
    assert_int_equal(atomic_load(&S.unknown), 0);
    assert_int_equal(atomic_load(&S.lost), 0);
    assert_int_equal(atomic_load(&S.errors), 0);
    TEST_ASSERT_FDS_BACK_TO(fds_before);
    pthread_mutex_destroy(&S.msg_lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress_threads),
    };
    cmocka_set_message_output(CM_OUTPUT_STDOUT);
    alarm(TEST_WATCHDOG_S * 2);
    return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
