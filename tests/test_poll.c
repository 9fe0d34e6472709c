/* SPDX-License-Identifier: MIT */
/* cmio tests — Poll, Registry, Events and Event on raw file descriptors. */
#include "internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_util.h"

#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#endif

#define R CMIO_INTEREST_READABLE
#define W CMIO_INTEREST_WRITABLE
#if CMIO_HAVE_INTEREST_PRIORITY
#define P CMIO_INTEREST_PRIORITY
#else
#define P 0 /* no priority interest on this platform (Windows, macOS, the BSDs) */
#endif

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, test_fixture_setup, test_fixture_teardown)

/* ---- Poll basics ----------------------------------------------------------------------------- */

static void test_poll_new_free(void **state)
{
    TEST_SKIP_LIBKQUEUE(TEST_LIBKQUEUE_FDS);
    (void)state;
    int before = test_count_open_fds();
    cmio_poll *poll = NULL;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_non_null(poll);
    assert_non_null(cmio_poll_registry(poll));
    assert_ptr_equal(cmio_poll_registry(poll), cmio_poll_registry(poll));
    assert_int_equal(test_count_open_fds(), before + test_poll_fds());
    cmio_poll_free(poll);
    assert_int_equal(test_count_open_fds(), before);
    cmio_poll_free(NULL);
    assert_null(cmio_poll_registry(NULL));
    assert_int_equal(cmio_poll_new(NULL), -EINVAL);
}

static void test_backend_name(void **state)
{
    (void)state;
    assert_string_equal(cmio_backend_name(), test_expected_backend());
}

static void test_poll_null_args(void **state)
{
    struct test_fixture *f = *state;
    const struct timespec zero = {0, 0};
    assert_int_equal(cmio_poll_poll(NULL, f->events, &zero), -EINVAL);
    assert_int_equal(cmio_poll_poll(f->poll, NULL, &zero), -EINVAL);
}

static void test_poll_invalid_timespec(void **state)
{
    struct test_fixture *f = *state;
    const struct timespec bad[] = {{-1, 0}, {0, -1}, {0, 1000000000L}, {1, 2000000000L}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cmio_poll_poll(f->poll, f->events, &bad[i]), -EINVAL);
    const struct timespec ok = {0, 999999999L};
    assert_int_equal(cmio__timeout_check(&ok), 0);
    assert_int_equal(cmio__timeout_check(NULL), 0);
}

/* ---- Timeouts -------------------------------------------------------------------------------- */

static void test_timeout_zero(void **state)
{
    struct test_fixture *f = *state;
    /* Nothing is registered: a blocking wait would never return (the watchdog would fire). */
    const struct timespec zero = {0, 0};
    int64_t t0 = test_now_ns();
    assert_int_equal(cmio_poll_poll(f->poll, f->events, &zero), 0);
    assert_true(test_now_ns() - t0 < 2000000000LL);
    assert_true(cmio_events_is_empty(f->events));
}

static void test_timeout_1us(void **state)
{
    struct test_fixture *f = *state;
    const struct timespec us = {0, 1000};
    int64_t t0 = test_now_ns();
    assert_int_equal(cmio_poll_poll(f->poll, f->events, &us), 0);
    assert_true(test_now_ns() - t0 >= 1000);
    const struct timespec ns = {0, 1};
    assert_int_equal(cmio_poll_poll(f->poll, f->events, &ns), 0);
}

static void test_timeout_50ms(void **state)
{
    struct test_fixture *f = *state;
    const struct timespec ms50 = {0, 50000000L};
    int64_t t0 = test_now_ns();
    assert_int_equal(cmio_poll_poll(f->poll, f->events, &ms50), 0);
    assert_true(test_now_ns() - t0 >= 50000000LL);
}

static void test_timeout_ms_rounding(void **state)
{
    (void)state;
    const struct {
        struct timespec ts;
        int ms;
    } cases[] = {
        {{0, 0}, 0},
        {{0, 1}, 1},
        {{0, 999999}, 1},
        {{0, 1000000}, 1},
        {{0, 1000001}, 2},
        {{1, 0}, 1000},
        {{1, 1}, 1001},
        {{2147483, 647000000L}, INT_MAX},
        {{2147483, 647000001L}, INT_MAX},
        {{2147484, 0}, INT_MAX},
        {{(time_t)INT_MAX, 999999999L}, INT_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(cmio__timeout_ms(&cases[i].ts), cases[i].ms);
    assert_int_equal(cmio__timeout_ms(NULL), -1);
}

struct delayed_write {
    test_sock fd;
    long delay_ms;
};

static void *write_after_delay(void *arg)
{
    struct delayed_write *dw = arg;
    test_sleep_ms(dw->delay_ms);
    test_write_byte(dw->fd);
    return NULL;
}

/* NULL timeout: blocks until another thread makes an fd ready. */
static void check_null_timeout_blocks(struct test_fixture *f)
{
    test_sock sv[2];
    pthread_t th;
    test_socketpair(sv);
    assert_int_equal(test_register_sock(f->reg, sv[0], 7, R), 0);

    struct delayed_write dw = {sv[1], 50};
    int64_t t0 = test_now_ns();
    assert_int_equal(pthread_create(&th, NULL, write_after_delay, &dw), 0);
    int n;
    while ((n = cmio_poll_poll(f->poll, f->events, NULL)) == -EINTR) {
    }
    assert_int_equal(n, 1);
    assert_true(test_now_ns() - t0 >= 50000000LL); /* it did wait for the write */
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 7);
    assert_true(cmio_event_is_readable(cmio_events_get(f->events, 0)));
    assert_int_equal(pthread_join(th, NULL), 0);

    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

static void test_timeout_null_blocks(void **state)
{
    check_null_timeout_blocks(*state);
}

#ifndef _WIN32 /* signals: Unix only */
static void on_signal(int sig)
{
    (void)sig;
}

struct signaller {
    pthread_t target;
    atomic_bool stop;
};

static void *signal_until_stopped(void *arg)
{
    struct signaller *s = arg;
    while (!atomic_load(&s->stop)) {
        pthread_kill(s->target, SIGUSR1);
        test_sleep_ms(10);
    }
    return NULL;
}

/* A signal interrupting the wait gives -EINTR (mio returns Interrupted too). */
static void test_poll_eintr(void **state)
{
    TEST_SKIP_UNDER("qemu-i386",
                    "qemu-user (i386) makes pthread_join fail with EDEADLK after pthread_kill "
                    "(reproduced without cmio)");
    struct test_fixture *f = *state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART (epoll_wait is never restarted anyway) */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);

    struct signaller s = {.target = pthread_self()};
    atomic_init(&s.stop, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, signal_until_stopped, &s), 0);
    /* Nothing registered: only a signal can end this wait. */
    assert_int_equal(cmio_poll_poll(f->poll, f->events, NULL), -EINTR);
    assert_int_equal(cmio_events_len(f->events), 0);
    atomic_store(&s.stop, true);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
}
#endif

/* ---- Events buffer --------------------------------------------------------------------------- */

static void test_events_new_invalid(void **state)
{
    (void)state;
    cmio_events *ev = NULL;
    assert_int_equal(cmio_events_new(&ev, 0), -EINVAL);
    assert_null(ev);
    assert_int_equal(cmio_events_new(NULL, 4), -EINVAL);
    assert_int_equal(cmio_events_new(&ev, (size_t)INT_MAX + 1), -EINVAL);
    assert_int_equal(cmio_events_new(&ev, SIZE_MAX), -EINVAL);
    assert_int_equal(cmio_events_new(&ev, 3), 0);
    assert_int_equal(cmio_events_capacity(ev), 3);
    assert_int_equal(cmio_events_len(ev), 0);
    assert_true(cmio_events_is_empty(ev));
    assert_null(cmio_events_get(ev, 0));
    assert_null(cmio_events_first(ev));
    cmio_events_free(ev);
    cmio_events_free(NULL);
}

static void test_events_null_accessors(void **state)
{
    (void)state;
    assert_int_equal(cmio_events_len(NULL), 0);
    assert_int_equal(cmio_events_capacity(NULL), 0);
    assert_true(cmio_events_is_empty(NULL));
    cmio_events_clear(NULL);
    assert_null(cmio_events_get(NULL, 0));
    assert_null(cmio_events_first(NULL));
    assert_null(cmio_events_next(NULL, NULL));
    assert_int_equal(cmio_event_token(NULL), 0);
    assert_false(cmio_event_is_readable(NULL));
    assert_false(cmio_event_is_writable(NULL));
    assert_false(cmio_event_is_error(NULL));
    assert_false(cmio_event_is_read_closed(NULL));
    assert_false(cmio_event_is_write_closed(NULL));
    assert_false(cmio_event_is_priority(NULL));
    assert_false(cmio_event_is_aio(NULL));
    assert_false(cmio_event_is_lio(NULL));
}

/* 5 ready fds, capacity 2: 2, 2, 1 events with distinct tokens covering all 5. */
static void test_events_capacity(void **state)
{
    struct test_fixture *f = *state;
    cmio_events *ev;
    test_sock sv[5][2];
    assert_int_equal(cmio_events_new(&ev, 2), 0);
    for (int i = 0; i < 5; i++) {
        test_socketpair(sv[i]);
        test_write_byte(sv[i][1]);
        assert_int_equal(test_register_sock(f->reg, sv[i][0], 100 + (cmio_token)i, R), 0);
    }
    unsigned seen = 0;
    const int expect[] = {2, 2, 1, 0};
    for (int round = 0; round < 4; round++) {
        assert_int_equal(expect[round] > 0 ? test_poll_ready(f->poll, ev)
                                           : test_poll_now(f->poll, ev),
                         expect[round]);
        assert_true(cmio_events_len(ev) <= cmio_events_capacity(ev));
        for (size_t i = 0; i < cmio_events_len(ev); i++) {
            cmio_token t = cmio_event_token(cmio_events_get(ev, i));
            assert_in_range(t, 100, 104);
            assert_false(seen & (1u << (t - 100)));
            seen |= 1u << (t - 100);
        }
    }
    assert_int_equal(seen, 0x1f);
    for (int i = 0; i < 5; i++) {
        test_sock_close(sv[i][0]);
        test_sock_close(sv[i][1]);
    }
    cmio_events_free(ev);
}

static void test_events_iterate(void **state)
{
    struct test_fixture *f = *state;
    test_sock sv[3][2];
    for (int i = 0; i < 3; i++) {
        test_socketpair(sv[i]);
        test_write_byte(sv[i][1]);
        assert_int_equal(test_register_sock(f->reg, sv[i][0], (cmio_token)i, R), 0);
    }
    assert_int_equal(test_poll_ready(f->poll, f->events), 3);
    size_t count = 0;
    for (const cmio_event *e = cmio_events_first(f->events); e;
         e = cmio_events_next(f->events, e)) {
        assert_ptr_equal(e, cmio_events_get(f->events, count));
        count++;
    }
    assert_int_equal(count, 3);
    assert_null(cmio_events_get(f->events, 3));
    assert_null(cmio_events_get(f->events, SIZE_MAX));
    assert_null(cmio_events_next(f->events, cmio_events_get(f->events, 2)));
    int foreign;
    assert_null(cmio_events_next(f->events, (const cmio_event *)&foreign));
    assert_false(cmio_events_is_empty(f->events));
    cmio_events_clear(f->events);
    assert_true(cmio_events_is_empty(f->events));
    assert_null(cmio_events_first(f->events));
    assert_null(cmio_events_get(f->events, 0));
    for (int i = 0; i < 3; i++) {
        test_sock_close(sv[i][0]);
        test_sock_close(sv[i][1]);
    }
}

/* ---- Registry -------------------------------------------------------------------------------- */

static void test_register_errors(void **state)
{
    struct test_fixture *f = *state;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(test_register_sock(f->reg, sv[0], 1, 0), -EINVAL);
    assert_int_equal(test_register_sock(f->reg, sv[0], 1, 0x80), -EINVAL);
#if !CMIO_HAVE_INTEREST_AIO
    assert_int_equal(test_register_sock(f->reg, sv[0], 1, R | 0x04), -EINVAL); /* AIO */
#endif
    assert_int_equal(test_register_sock(f->reg, TEST_NO_SOCK, 1, R), -EBADF);
    assert_int_equal(test_register_sock(NULL, sv[0], 1, R), -EINVAL);
    assert_int_equal(test_reregister_sock(f->reg, sv[0], 1, 0), -EINVAL);
    assert_int_equal(test_reregister_sock(NULL, sv[0], 1, R), -EINVAL);
    assert_int_equal(test_reregister_sock(f->reg, TEST_NO_SOCK, 1, R), -EBADF);
    assert_int_equal(test_deregister_sock(NULL, sv[0]), -EINVAL);
    assert_int_equal(test_deregister_sock(f->reg, TEST_NO_SOCK), -EBADF);

    /* Not registered yet. */
    assert_int_equal(test_reregister_sock(f->reg, sv[0], 1, R), -ENOENT);
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), -ENOENT);

    assert_int_equal(test_register_sock(f->reg, sv[0], 1, R | W | P), 0);
    assert_int_equal(test_register_sock(f->reg, sv[0], 2, R), -EEXIST);
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), -ENOENT);

#ifdef _WIN32
    /* A closed socket, and a handle that is not a socket (an event): both -EBADF (Winsock says
     * WSAENOTSOCK, which is how Windows tells a bad socket handle). */
    test_sock closed = test_raw_socket(AF_INET, SOCK_STREAM);
    test_sock_close(closed);
    assert_int_equal(test_register_sock(f->reg, closed, 1, R), -EBADF);
    HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);
    assert_non_null(ev);
    assert_int_equal(test_register_sock(f->reg, (test_sock)ev, 1, R), -EBADF);
    CloseHandle(ev);
#else
    /* Kernel errors pass through: a closed fd, a regular file. */
    int closed = dup(sv[0]);
    close(closed);
    assert_int_equal(test_register_sock(f->reg, closed, 1, R), -EBADF);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_int_equal(test_register_sock(f->reg, fileno(tmp), 1, R), -EPERM);
    fclose(tmp);
#endif
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

static void test_reregister(void **state)
{
    struct test_fixture *f = *state;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(test_register_sock(f->reg, sv[0], 1, R), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0); /* nothing to read yet */

    /* Writable only, token 2: the (writable) socket reports at once under the new token. */
    assert_int_equal(test_reregister_sock(f->reg, sv[0], 2, W), 0);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    const cmio_event *e = cmio_events_get(f->events, 0);
    assert_int_equal(cmio_event_token(e), 2);
    assert_true(cmio_event_is_writable(e));
    assert_false(cmio_event_is_readable(e));

    /* Readable data no longer interests it. */
    test_write_byte(sv[1]);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);

    /* Back to readable, token 3: the pending byte is reported. */
    assert_int_equal(test_reregister_sock(f->reg, sv[0], 3, R), 0);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    e = cmio_events_get(f->events, 0);
    assert_int_equal(cmio_event_token(e), 3);
    assert_true(cmio_event_is_readable(e));
    assert_false(cmio_event_is_writable(e));

    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

static void test_deregister_stops_events(void **state)
{
    struct test_fixture *f = *state;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(test_register_sock(f->reg, sv[0], 5, R), 0);
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    test_write_byte(sv[1]);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    /* Registering again works and reports the pending data. */
    assert_int_equal(test_register_sock(f->reg, sv[0], 6, R), 0);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 6);
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

static void test_edge_triggered(void **state)
{
    struct test_fixture *f = *state;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(test_register_sock(f->reg, sv[0], 9, R), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);

    test_write_byte(sv[1]);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    assert_true(cmio_event_is_readable(cmio_events_get(f->events, 0)));
    /* One event per edge: still readable, but not reported again. */
    assert_int_equal(test_poll_now(f->poll, f->events), 0);

    assert_int_equal(test_drain(sv[0]), 1);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    /* A raw fd has no io_source to re-arm it after -EAGAIN: mio's SourceFd rule is to reregister
     * (a no-op for epoll's edge; the poll(2) backend needs it). */
    assert_int_equal(test_reregister_sock(f->reg, sv[0], 9, R), 0);

    /* New data after draining: a new edge. */
    test_write_byte(sv[1]);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 9);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);

    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

struct clone_ctx {
    cmio_registry *reg;
    test_sock fd;
    int result;
};

static void *register_after_delay(void *arg)
{
    struct clone_ctx *c = arg;
    test_sleep_ms(50);
    c->result = test_register_sock(c->reg, c->fd, 42, R);
    return NULL;
}

/* A cloned registry registers from another thread while the poll thread is blocked. */
static void test_try_clone_thread(void **state)
{
    struct test_fixture *f = *state;
    cmio_registry *clone = NULL;
    test_sock sv[2];
    pthread_t th;
    test_socketpair(sv);
    test_write_byte(sv[1]); /* already readable */

    assert_int_equal(cmio_registry_try_clone(f->reg, &clone), 0);
    assert_non_null(clone);
    assert_ptr_not_equal(clone, f->reg);
    struct clone_ctx c = {clone, sv[0], -1};
    assert_int_equal(pthread_create(&th, NULL, register_after_delay, &c), 0);
    const cmio_event *e = test_poll_for_token(f->poll, f->events, 42, TEST_WAIT_MS);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(c.result, 0);
    assert_non_null(e);
    assert_true(cmio_event_is_readable(e));

    /* Both handles address the same registrations. */
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    assert_int_equal(test_deregister_sock(clone, sv[0]), -ENOENT);
    cmio_registry_free(clone);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

static void test_try_clone_outlives_poll(void **state)
{
    TEST_SKIP_LIBKQUEUE(TEST_LIBKQUEUE_FDS);
    (void)state;
    int before = test_count_open_fds();
    cmio_poll *poll;
    cmio_registry *clone, *clone2;
    test_sock sv[2];
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_registry_try_clone(cmio_poll_registry(poll), &clone), 0);
    assert_int_equal(cmio_registry_try_clone(clone, &clone2), 0);
    assert_int_equal(cmio_registry_try_clone(NULL, &clone2), -EINVAL);
    assert_int_equal(cmio_registry_try_clone(clone, NULL), -EINVAL);

    /* Freeing the poll's own registry is a no-op; the poll still works. */
    cmio_registry_free(cmio_poll_registry(poll));
    cmio_registry_free(NULL);
    cmio_poll_free(poll);
    assert_int_equal(test_count_open_fds(),
                     before + test_poll_fds()); /* the clones keep the selector */

    test_socketpair(sv);
    assert_int_equal(test_register_sock(clone, sv[0], 1, R), 0);
    assert_int_equal(test_reregister_sock(clone2, sv[0], 2, W), 0);
    assert_int_equal(test_deregister_sock(clone, sv[0]), 0);
    cmio_registry_free(clone);
    assert_int_equal(test_register_sock(clone2, sv[0], 1, R), 0);
    cmio_registry_free(clone2);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
    assert_int_equal(test_count_open_fds(), before); /* last reference closed it */
}

/* ---- Event accessors ------------------------------------------------------------------------- */

static void test_read_closed_shutdown_then_close(void **state)
{
    struct test_fixture *f = *state;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(test_register_sock(f->reg, sv[0], 1, R), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);

    /* Peer shuts down its write side: read closed, write side still open. */
    assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    const cmio_event *e = cmio_events_get(f->events, 0);
    assert_true(cmio_event_is_readable(e));
    assert_true(cmio_event_is_read_closed(e));
    assert_false(cmio_event_is_write_closed(e));
    assert_false(cmio_event_is_error(e));
    assert_false(cmio_event_is_priority(e));

    /* Peer closes: both halves closed (EPOLLHUP). On kqueue the event is the read filter's
     * EV_EOF, and write_closed is the write filter's (not registered here), as in mio. Over TCP
     * (Windows' test pairs) a close after the FIN sends nothing more: the peer resets the
     * connection instead (AFD_POLL_ABORT). */
#ifdef _WIN32
    test_sock_reset(sv[1]);
#else
    test_sock_close(sv[1]);
#endif
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    e = cmio_events_get(f->events, 0);
    assert_true(cmio_event_is_read_closed(e));
    if (test_backend_is("kqueue"))
        assert_false(cmio_event_is_write_closed(e));
    else
        assert_true(cmio_event_is_write_closed(e));
    assert_false(cmio_event_is_aio(e));
    assert_false(cmio_event_is_lio(e));

    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    test_sock_close(sv[0]);
}

static void test_write_closed_socket(void **state)
{
    struct test_fixture *f = *state;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(test_register_sock(f->reg, sv[0], 1, W), 0);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1); /* initially writable */
    assert_false(cmio_event_is_write_closed(cmio_events_get(f->events, 0)));
#ifdef _WIN32
    test_sock_reset(sv[1]); /* TCP: a close is a FIN, which a writer is not told about */
#else
    test_sock_close(sv[1]);
#endif
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    const cmio_event *e = cmio_events_get(f->events, 0);
    assert_true(cmio_event_is_write_closed(e));
    /* kqueue: the write filter's EV_EOF says nothing about the read side (mio's mapping). */
    if (test_backend_is("kqueue"))
        assert_false(cmio_event_is_read_closed(e));
    else
        assert_true(cmio_event_is_read_closed(e));
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), 0);
    test_sock_close(sv[0]);
}

#ifndef _WIN32 /* pipes: only sockets are polled on Windows */
/* Pipe write end whose reader went away: EPOLLOUT | EPOLLERR. */
static void test_write_closed_pipe(void **state)
{
    struct test_fixture *f = *state;
    int p[2];
    assert_int_equal(test_pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    assert_int_equal(test_register_sock(f->reg, p[1], 3, W), 0);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    assert_true(cmio_event_is_writable(cmio_events_get(f->events, 0)));
    close(p[0]);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    const cmio_event *e = cmio_events_get(f->events, 0);
    assert_int_equal(cmio_event_token(e), 3);
    /* epoll reports the whole readiness on a new edge; poll(2) only what is new since the last
     * report (writability was reported above and not re-armed). */
    if (strcmp(cmio_backend_name(), "poll") != 0)
        assert_true(cmio_event_is_writable(e));
    /* kqueue: error = an errno in fflags, which libkqueue sets (from EPOLLERR) and a kernel
     * kqueue's pipe filter may leave 0: not checked there. */
    if (!test_backend_is("kqueue") || test_on_libkqueue())
        assert_true(cmio_event_is_error(e));
    assert_true(cmio_event_is_write_closed(e));
    assert_false(cmio_event_is_read_closed(e));
    assert_int_equal(test_deregister_sock(f->reg, p[1]), 0);
    close(p[1]);
}

/* Full pipe whose reader went away: EPOLLERR alone still means write closed. */
static void test_write_closed_full_pipe(void **state)
{
    struct test_fixture *f = *state;
    int p[2];
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(test_pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    while (write(p[1], buf, sizeof buf) > 0) {
    }
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(test_register_sock(f->reg, p[1], 4, W), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0); /* full: not writable */
    close(p[0]);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    const cmio_event *e = cmio_events_get(f->events, 0);
    if (test_backend_is("kqueue")) {
        /* kqueue: the write filter fires with EV_EOF, so the event is writable (mio's mapping). */
        assert_true(cmio_event_is_writable(e));
        assert_true(cmio_event_is_write_closed(e));
        assert_false(cmio_event_is_read_closed(e));
        /* Error = an errno in fflags: libkqueue puts one there (from EPOLLERR); a kernel kqueue's
         * pipe filter may leave it 0, which is not checked here. */
        if (test_on_libkqueue())
            assert_true(cmio_event_is_error(e));
        assert_int_equal(test_deregister_sock(f->reg, p[1]), 0);
        close(p[1]);
        return;
    }
    assert_false(cmio_event_is_writable(e));
    assert_true(cmio_event_is_error(e));
    assert_true(cmio_event_is_write_closed(e));
    assert_false(cmio_event_is_read_closed(e));
    assert_int_equal(test_deregister_sock(f->reg, p[1]), 0);
    close(p[1]);
}

/* Pipe read end whose writer went away: EPOLLHUP. */
static void test_read_closed_pipe(void **state)
{
    struct test_fixture *f = *state;
    int p[2];
    assert_int_equal(test_pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    assert_int_equal(test_register_sock(f->reg, p[0], 5, R), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    close(p[1]);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    const cmio_event *e = cmio_events_get(f->events, 0);
    assert_int_equal(cmio_event_token(e), 5);
    assert_true(cmio_event_is_read_closed(e));
    assert_false(cmio_event_is_error(e));
    assert_int_equal(test_deregister_sock(f->reg, p[0]), 0);
    close(p[0]);
}
#endif

/* A 127.0.0.1 port nobody listens on (bound once, then closed). */
static void closed_port(struct sockaddr_in *sin)
{
    test_sock fd = test_raw_socket(AF_INET, SOCK_STREAM);
    socklen_t len = sizeof *sin;
    assert_true(fd != TEST_NO_SOCK);
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)sin, sizeof *sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)sin, &len), 0);
    test_sock_close(fd);
}

static void test_error_on_refused_connect(void **state)
{
    struct test_fixture *f = *state;
    struct sockaddr_in sin;
    closed_port(&sin);
    test_sock fd = test_raw_socket(AF_INET, SOCK_STREAM);
    assert_true(fd != TEST_NO_SOCK);
    test_sock_set_nonblock(fd);
    /* On loopback the RST arrives while connect() holds the socket: it still says EINPROGRESS
     * (Winsock: WSAEWOULDBLOCK, -EAGAIN) and the failure is reported as EPOLLERR. */
    int r = connect(fd, (struct sockaddr *)&sin, sizeof sin);
    assert_int_equal(r, -1);
#ifdef _WIN32
    assert_int_equal(test_sock_errno(), EAGAIN);
#else
    assert_int_equal(errno, EINPROGRESS);
#endif
    assert_int_equal(test_register_sock(f->reg, fd, 77, R | W), 0);
    /* On kqueue the read and write filters are two events with the token: their union counts. */
    assert_non_null(test_poll_for_token(f->poll, f->events, 77, TEST_WAIT_MS));
    struct test_readiness rd = test_token_readiness(f->events, 77);
    assert_int_equal(rd.events, test_backend_is("kqueue") ? 2 : 1);
    assert_true(rd.error);
    assert_true(rd.write_closed);
    assert_true(rd.read_closed);
    /* libkqueue fills fflags with getsockopt(SO_ERROR), which clears the pending error. */
    assert_int_equal(test_so_error(fd), test_on_libkqueue() ? 0 : ECONNREFUSED);
    assert_int_equal(test_deregister_sock(f->reg, fd), 0);
    test_sock_close(fd);
}

#if CMIO_HAVE_INTEREST_PRIORITY /* Windows has no priority interest (mio neither) */
/* TCP urgent data raises EPOLLPRI: priority (and, as in mio, readable). */
static void test_priority_oob(void **state)
{
    struct test_fixture *f = *state;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int lfd = test_socket(AF_INET, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    int cfd = test_socket(AF_INET, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0);
    assert_int_equal(connect(cfd, (struct sockaddr *)&sin, sizeof sin), 0);
    int afd = test_accept4(lfd, NULL, NULL, TEST_SOCK_NONBLOCK | TEST_SOCK_CLOEXEC);
    assert_true(afd >= 0);

    if (test_backend_is("kqueue")) {
        /* kqueue has no priority filter (mio has Interest::PRIORITY on Linux and Android only):
         * the registration adds no filter, so urgent data raises nothing. */
        assert_int_equal(test_register_sock(f->reg, afd, 8, P), 0);
        assert_int_equal(send(cfd, "!", 1, MSG_OOB), 1);
        assert_null(test_poll_for_token(f->poll, f->events, 8, 50));
        assert_int_equal(test_deregister_sock(f->reg, afd), 0);
        close(afd);
        close(cfd);
        close(lfd);
        return;
    }
    assert_int_equal(test_register_sock(f->reg, afd, 8, P), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    assert_int_equal(send(cfd, "!", 1, MSG_OOB), 1);
    const cmio_event *e = test_poll_for_token(f->poll, f->events, 8, TEST_WAIT_MS);
    assert_non_null(e);
    assert_true(cmio_event_is_priority(e));
    assert_true(cmio_event_is_readable(e));
    assert_false(cmio_event_is_writable(e));
    assert_false(cmio_event_is_error(e));

    assert_int_equal(test_deregister_sock(f->reg, afd), 0);
    close(afd);
    close(cfd);
    close(lfd);
}
#endif

/* ---- Fallback without epoll_pwait2 (must stay last: the switch is process-wide) ------------- */

static void test_epoll_wait_fallback(void **state)
{
#if !CMIO_BACKEND_EPOLL
    (void)state;
    print_message("epoll-only test: this build has no epoll backend\n");
    skip();
#else
    if (strcmp(cmio_backend_name(), "epoll") != 0) {
        print_message("epoll-only test: this row uses the %s backend\n", cmio_backend_name());
        skip();
    }
    struct test_fixture *f = *state;
    cmio__epoll_disable_pwait2();

    /* 1 µs is rounded up to 1 ms by epoll_wait: never 0, so it really waits. */
    const struct timespec us = {0, 1000};
    int64_t t0 = test_now_ns();
    assert_int_equal(cmio_poll_poll(f->poll, f->events, &us), 0);
    assert_true(test_now_ns() - t0 >= 1000000LL);

    const struct timespec ms50 = {0, 50000000L};
    t0 = test_now_ns();
    assert_int_equal(cmio_poll_poll(f->poll, f->events, &ms50), 0);
    assert_true(test_now_ns() - t0 >= 50000000LL);

    const struct timespec zero = {0, 0};
    assert_int_equal(cmio_poll_poll(f->poll, f->events, &zero), 0);
    check_null_timeout_blocks(f);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_new_free),
        cmocka_unit_test(test_backend_name),
        TEST(test_poll_null_args),
        TEST(test_poll_invalid_timespec),
        TEST(test_timeout_zero),
        TEST(test_timeout_1us),
        TEST(test_timeout_50ms),
        cmocka_unit_test(test_timeout_ms_rounding),
        TEST(test_timeout_null_blocks),
#ifndef _WIN32
        TEST(test_poll_eintr),
#endif
        cmocka_unit_test(test_events_new_invalid),
        cmocka_unit_test(test_events_null_accessors),
        TEST(test_events_capacity),
        TEST(test_events_iterate),
        TEST(test_register_errors),
        TEST(test_reregister),
        TEST(test_deregister_stops_events),
        TEST(test_edge_triggered),
        TEST(test_try_clone_thread),
        cmocka_unit_test(test_try_clone_outlives_poll),
        TEST(test_read_closed_shutdown_then_close),
        TEST(test_write_closed_socket),
#ifndef _WIN32
        TEST(test_write_closed_pipe),
        TEST(test_write_closed_full_pipe),
        TEST(test_read_closed_pipe),
#endif
        TEST(test_error_on_refused_connect),
#if CMIO_HAVE_INTEREST_PRIORITY
        TEST(test_priority_oob),
#endif
        TEST(test_epoll_wait_fallback),
    };
    test_alarm(TEST_WATCHDOG_S);
    return cmocka_run_group_tests_name("poll", tests, NULL, NULL);
}
