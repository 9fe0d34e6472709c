/* SPDX-License-Identifier: MIT */
/* cmio tests — the io_uring backend (runtime/backend_uring.c) on every row: main() selects it
 * (CMIO_BACKEND=uring) before anything else, so these run whatever backend the row's other suites
 * use. Every test that needs io_uring is skipped, with the reason, where the build has no uring
 * backend or the kernel refuses io_uring (seccomp, /proc/sys/kernel/io_uring_disabled, too old);
 * the fallback tests make it unavailable themselves (a seccomp filter in a child process).
 *
 * What they pin down, beyond the common suites: what multishot poll does on this kernel (a
 * readiness is reported again only after a new wake-up, several wake-ups before a poll are one
 * event), that a reregistration while a wake-up is pending reports the readiness once, that a
 * registration or reregistration from another thread wakes the thread waiting in
 * cmio_poll_poll, that deregistering and closing take effect at once (an armed poll holds a
 * reference to the socket), that a full submission ring and an overflowing completion ring lose
 * nothing (also with another thread's changes), that registrations survive the exit of the
 * thread that submitted them and a poll handed to another thread while that one keeps running
 * (with the same fd numbers), and the clean -ENOSYS / -EPERM where io_uring is missing or
 * forbidden. Every test runs twice: in the mode this kernel offers (single issuer from 6.1) and in
 * the mode of kernels before 6.1. */
#include <cmio/cmio.h>

#include "internal.h"

#if defined(__has_include)
#if __has_include(<linux/filter.h>) && __has_include(<linux/seccomp.h>)
#define HAVE_SECCOMP 1
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif
#endif
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "test_util.h"

#define R CMIO_INTEREST_READABLE
#define W CMIO_INTEREST_WRITABLE

static int uring_error;     /* cmio_poll_new's result on the uring backend: 0 when it works */
static bool inherited[256]; /* fds open when the process started (not ours to check) */

#define NEED_URING()                                                                               \
    do {                                                                                           \
        if (uring_error != 0) {                                                                    \
            print_message("skipped: no io_uring here: cmio_poll_new: %s (%d)\n",                   \
                          cmio_strerror(uring_error), uring_error);                                \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

#define VALGRIND_URING_THREADS                                                                     \
    "valgrind 3.19 holds its lock while a thread waits in io_uring_enter: no other thread runs"

struct fixture {
    int fds_before;
    cmio_poll *poll;
    cmio_events *events;
    cmio_registry *reg;
};

/* Each test must leave no fd open: counted from /proc/self/fd (the kernel's table), because
 * valgrind --track-fds does not see the closes io_uring makes (IORING_OP_CLOSE). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    f->fds_before = test_count_open_fds();
    if (uring_error == 0) {
        if (cmio_poll_new(&f->poll) < 0 || cmio_events_new(&f->events, 64) < 0)
            return -1;
        f->reg = cmio_poll_registry(f->poll);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    cmio_events_free(f->events);
    cmio_poll_free(f->poll);
    int before = f->fds_before, after = test_count_open_fds();
    free(f);
    if (after != before) {
        print_error("%d fd(s) open before the test, %d after it\n", before, after);
        return -1;
    }
    return 0;
}

/* Every test runs twice: in the mode the kernel offers (single issuer from 6.1), and in the mode
 * of kernels before 6.1 (cmio__uring_set_single(false): any thread enters the ring). */
static bool old_mode;

static void set_old_mode(bool on)
{
    old_mode = on;
#if CMIO_BACKEND_URING
    cmio__uring_set_single(!on);
#endif
}

static int setup_old(void **state)
{
    set_old_mode(true);
    return setup(state);
}

static int teardown_old(void **state)
{
    int r = teardown(state);
    set_old_mode(false);
    return r;
}

static int mode_old(void **state)
{
    (void)state;
    set_old_mode(true);
    return 0;
}

static int mode_default(void **state)
{
    (void)state;
    set_old_mode(false);
    return 0;
}

/* clang-format off */
#define OLD " (the mode of kernels before 6.1)"
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TEST_OLD(fn) {#fn OLD, fn, setup_old, teardown_old, NULL}
#define PLAIN(fn) cmocka_unit_test(fn)
#define PLAIN_OLD(fn) {#fn OLD, fn, mode_old, mode_default, NULL}
/* clang-format on */

/* Polls for up to ms; returns the event count. */
static int poll_ms(struct fixture *f, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    int n;
    do
        n = cmio_poll_poll(f->poll, f->events, &ts);
    while (n == -EINTR);
    assert_true(n >= 0);
    return n;
}

static void pair(cmio_unix_stream *a, cmio_unix_stream *b)
{
    assert_int_equal(cmio_unix_stream_pair(a, b), 0);
}

/* ---- unavailable: a clean error, never a crash -------------------------------------------- */

/* In a child: io_uring_setup fails with err (seccomp), then creating the backend's selector and a
 * poll (the process's backend is uring) fail with -err. */
static void check_unavailable(int err)
{
#if !CMIO_BACKEND_URING
    (void)err;
    print_message("skipped: this platform's build has no io_uring backend\n");
    skip();
#elif !defined(HAVE_SECCOMP)
    (void)err;
    print_message(
        "skipped: no <linux/seccomp.h> in this toolchain (a seccomp filter makes io_uring "
        "unavailable)\n");
    skip();
#else
    TEST_SKIP_UNDER("qemu", "a seccomp filter would apply to the emulator's own system calls");
    if (strcmp(cmio_backend_name(), "uring") != 0) {
        print_message("skipped: the uring backend is not compiled in\n");
        skip();
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sock_filter prog[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog fprog = {(unsigned short)(sizeof prog / sizeof prog[0]), prog};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0)
            _exit(3);
        struct cmio_selector *sel = NULL;
        if (cmio__backend_uring.create(&sel) != -err)
            _exit(1);
        cmio_poll *p = NULL;
        if (cmio_poll_new(&p) != -err || p != NULL)
            _exit(2);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

static void test_unavailable_enosys(void **state)
{
    (void)state;
    check_unavailable(ENOSYS); /* no io_uring in this kernel, or a filter that hides it */
}

static void test_unavailable_eperm(void **state)
{
    (void)state;
    check_unavailable(EPERM); /* io_uring_disabled = 2, or a container's seccomp profile */
}

/* ---- the poll's own fds ------------------------------------------------------------------- */

static void test_fds_cloexec(void **state)
{
    (void)state;
    NEED_URING();
    bool before[1024];
    for (int fd = 0; fd < 1024; fd++)
        before[fd] = test_fd_is_open(fd);
    cmio_poll *p;
    assert_int_equal(cmio_poll_new(&p), 0);
    int fresh = 0;
    for (int fd = 0; fd < 1024; fd++) {
        if (before[fd] || !test_fd_is_open(fd))
            continue;
        fresh++;
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    }
    assert_int_equal(fresh, 2); /* the ring and the eventfd that wakes a waiting thread */
    cmio_poll_free(p);
    for (int fd = 0; fd < 1024; fd++)
        assert_int_equal(test_fd_is_open(fd), before[fd]);
}

/* ---- what multishot poll does: EPOLLET's edges -------------------------------------------- */

static void test_multishot_edges(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
    cmio_unix_stream a, b;
    pair(&a, &b);
    assert_int_equal(cmio_unix_stream_register(&b, f->reg, 1, R | W), 0);
    /* Registering a ready socket reports it (writable) once. */
    assert_int_equal(test_poll_now(f->poll, f->events), 1);
    assert_true(cmio_event_is_writable(cmio_events_get(f->events, 0)));
    assert_int_equal(poll_ms(f, 20), 0);

    /* Data: one event; nothing more until a new wake-up, read or not. */
    assert_int_equal(cmio_unix_stream_write(&a, "12", 2), 2);
    assert_int_equal(poll_ms(f, 1000), 1);
    assert_true(cmio_event_is_readable(cmio_events_get(f->events, 0)));
    assert_int_equal(poll_ms(f, 20), 0);
    /* More data is a new wake-up, hence a new event, before any -EAGAIN (as EPOLLET). */
    assert_int_equal(cmio_unix_stream_write(&a, "3", 1), 1);
    assert_int_equal(poll_ms(f, 1000), 1);
    assert_true(cmio_event_is_readable(cmio_events_get(f->events, 0)));
    char buf[64];
    assert_int_equal(cmio_unix_stream_read(&b, buf, 1), 1); /* part of it */
    assert_int_equal(poll_ms(f, 20), 0);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), 2);
    assert_int_equal(cmio_unix_stream_read(&b, buf, sizeof buf), -EAGAIN);
    assert_int_equal(poll_ms(f, 20), 0);

    /* Several wake-ups before a poll are one event (the ring may hold several completions). */
    for (int i = 0; i < 5; i++)
        assert_int_equal(cmio_unix_stream_write(&a, "x", 1), 1);
    assert_int_equal(poll_ms(f, 1000), 1);
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 1);
    assert_int_equal(poll_ms(f, 20), 0);
    while (cmio_unix_stream_read(&b, buf, sizeof buf) > 0) {
    }

    /* Writable again only after the send buffer filled (-EAGAIN) and room came back. */
    static char big[65536];
    while (cmio_unix_stream_write(&b, big, sizeof big) > 0) {
    }
    assert_int_equal(poll_ms(f, 20), 0);
    while (cmio_unix_stream_read(&a, big, sizeof big) > 0) {
    }
    assert_int_equal(poll_ms(f, 1000), 1);
    assert_true(cmio_event_is_writable(cmio_events_get(f->events, 0)));

    /* The peer's close: read-closed and write-closed. */
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    const cmio_event *e = test_poll_for_token(f->poll, f->events, 1, TEST_WAIT_MS);
    assert_non_null(e);
    assert_true(cmio_event_is_read_closed(e));
    assert_int_equal(cmio_unix_stream_close(&b), 0);
}

/* Changes queued before the first poll go to the kernel together, in order. */
static void test_changes_before_submit(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
    cmio_unix_stream a, b, c, d;
    pair(&a, &b);
    pair(&c, &d);
    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), 1);
    assert_int_equal(cmio_unix_stream_write(&c, "x", 1), 1);
    /* registered then deregistered: no event; registered then reregistered: the new token. */
    assert_int_equal(cmio_unix_stream_register(&b, f->reg, 1, R), 0);
    assert_int_equal(cmio_unix_stream_deregister(&b, f->reg), 0);
    assert_int_equal(cmio_unix_stream_register(&d, f->reg, 2, W), 0);
    assert_int_equal(cmio_unix_stream_reregister(&d, f->reg, 3, R), 0);
    assert_int_equal(poll_ms(f, 200), 1);
    const cmio_event *e = cmio_events_get(f->events, 0);
    assert_int_equal(cmio_event_token(e), 3);
    assert_true(cmio_event_is_readable(e));
    assert_int_equal(poll_ms(f, 20), 0);
    /* Reregistering with the same interest reports what is ready again (EPOLL_CTL_MOD). */
    assert_int_equal(cmio_unix_stream_reregister(&d, f->reg, 4, R), 0);
    assert_int_equal(poll_ms(f, 1000), 1);
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 4);
    /* Registered and closed before any poll: nothing, and the peer sees the end of stream. */
    char byte;
    assert_int_equal(cmio_unix_stream_read(&b, &byte, 1), 1); /* unread data would reset a */
    assert_int_equal(cmio_unix_stream_register(&b, f->reg, 5, R), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_read(&a, &byte, 1), 0);
    assert_int_equal(poll_ms(f, 20), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&d), 0);
}

/* ---- the mode ----------------------------------------------------------------------------- */

/* Single-issuer mode (SINGLE_ISSUER | DEFER_TASKRUN) wherever the kernel has it (6.1+). */
static void test_mode(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
#if CMIO_BACKEND_URING
    struct utsname u;
    assert_int_equal(uname(&u), 0);
    int major = 0, minor = 0;
    (void)sscanf(u.release, "%d.%d", &major, &minor);
    bool has = major > 6 || (major == 6 && minor >= 1);
    if (!old_mode && !has)
        print_message("kernel %s: before 6.1, no single-issuer mode\n", u.release);
    assert_int_equal(cmio__uring_is_single(f->reg->sel), !old_mode && has);
#else
    (void)f;
#endif
}

/* ---- reregistering while a wake-up is pending --------------------------------------------- */

/* Data arrives (a wake-up of the armed poll, not yet handled), then the registration changes:
 * the readiness is reported once, with the new token — not once per wake-up and change (a poll
 * update fails while the wake-up is pending; retrying it reported the data twice). */
static void test_reregister_while_woken(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
    cmio_unix_stream a, b;
    pair(&a, &b);
    assert_int_equal(cmio_unix_stream_register(&b, f->reg, 1, R), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0); /* armed in the kernel */

    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), 1);
    assert_int_equal(cmio_unix_stream_reregister(&b, f->reg, 2, R), 0); /* the same interest */
    assert_int_equal(poll_ms(f, 1000), 1);
    const cmio_event *e = cmio_events_get(f->events, 0);
    assert_int_equal(cmio_event_token(e), 2);
    assert_true(cmio_event_is_readable(e));
    assert_int_equal(poll_ms(f, 20), 0);

    /* Another interest: one event with what is ready for it. */
    assert_int_equal(cmio_unix_stream_write(&a, "y", 1), 1);
    assert_int_equal(cmio_unix_stream_reregister(&b, f->reg, 3, R | W), 0);
    assert_int_equal(poll_ms(f, 1000), 1);
    e = cmio_events_get(f->events, 0);
    assert_int_equal(cmio_event_token(e), 3);
    assert_true(cmio_event_is_readable(e));
    assert_true(cmio_event_is_writable(e));
    assert_int_equal(poll_ms(f, 20), 0);

    /* Many changes between two polls: one event, the last token. */
    assert_int_equal(cmio_unix_stream_write(&a, "z", 1), 1);
    for (cmio_token t = 10; t < 20; t++)
        assert_int_equal(cmio_unix_stream_reregister(&b, f->reg, t, R), 0);
    assert_int_equal(poll_ms(f, 1000), 1);
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 19);
    assert_int_equal(poll_ms(f, 20), 0);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
}

/* ---- deregister and close take effect at once --------------------------------------------- */

static void test_close_releases_at_once(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
    /* A registered listener, armed in the kernel (one poll), then closed: its port is free at
     * once (connect is refused, bind succeeds), without another poll. */
    cmio_tcp_listener l = CMIO_TCP_LISTENER_INIT;
    cmio_sockaddr addr;
    test_loopback(&addr, AF_INET, 0);
    assert_int_equal(cmio_tcp_listener_bind(&l, &addr), 0);
    assert_int_equal(cmio_tcp_listener_local_addr(&l, &addr), 0);
    assert_int_equal(cmio_tcp_listener_register(&l, f->reg, 1, R), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);
    cmio_tcp_stream s;
    int r = cmio_tcp_stream_connect(&s, &addr);
    if (r == 0) {
        /* Non-blocking connect: the refusal arrives as the socket's error. */
        assert_int_equal(test_fd_wait(cmio_tcp_stream_as_fd(&s), POLLOUT) & POLLOUT, POLLOUT);
        int err = 0;
        assert_int_equal(cmio_tcp_stream_take_error(&s, &err), 0);
        assert_int_equal(err, -ECONNREFUSED);
        assert_int_equal(cmio_tcp_stream_close(&s), 0);
    } else {
        assert_int_equal(r, -ECONNREFUSED);
    }
    assert_int_equal(cmio_tcp_listener_bind(&l, &addr), 0);
    assert_int_equal(cmio_tcp_listener_close(&l), 0);

    /* A registered stream closed: the peer reads the end of stream at once. */
    cmio_unix_stream a, b;
    pair(&a, &b);
    assert_int_equal(cmio_unix_stream_register(&b, f->reg, 2, R | W), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 1);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    char c;
    assert_int_equal(cmio_unix_stream_read(&a, &c, 1), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);

    /* Deregistered, then its fd taken back and closed by hand: the same. */
    pair(&b, &a);
    assert_int_equal(cmio_unix_stream_register(&b, f->reg, 3, R), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    assert_int_equal(cmio_unix_stream_deregister(&b, f->reg), 0);
    int fd = cmio_unix_stream_into_fd(&b);
    assert_true(fd >= 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(cmio_unix_stream_read(&a, &c, 1), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    assert_int_equal(poll_ms(f, 20), 0);
}

/* ---- other threads ------------------------------------------------------------------------ */

struct thread_arg {
    struct fixture *f;
    cmio_registry *reg;
    cmio_unix_stream *s;
    cmio_unix_stream *peer;
    cmio_waker *waker;
    int step; /* what the thread does */
    int result;
};

static void *other_thread(void *p)
{
    struct thread_arg *t = p;
    test_sleep_ms(50); /* the main thread is waiting by now (if not, the test still holds) */
    switch (t->step) {
    case 0: /* register a ready socket */
        t->result = cmio_unix_stream_register(t->s, t->reg, 7, R);
        break;
    case 1: /* reregister it for writing */
        t->result = cmio_unix_stream_reregister(t->s, t->reg, 8, W);
        break;
    case 2: { /* close it; the peer must see the end of stream now, not at the next poll */
        t->result = cmio_unix_stream_close(t->s);
        if (t->result == 0) {
            char c;
            ssize_t n = -EAGAIN;
            int64_t deadline = test_now_ns() + 2000000000LL;
            while (n == -EAGAIN && test_now_ns() < deadline) {
                (void)test_fd_wait(cmio_unix_stream_as_fd(t->peer), POLLIN);
                n = cmio_unix_stream_read(t->peer, &c, 1);
            }
            t->result = n == 0 ? 0 : -1;
        }
        (void)cmio_waker_wake(t->waker);
        break;
    }
    case 3: /* register, and hand the poll's first wait to this thread, then exit */
        t->result = cmio_unix_stream_register(t->s, t->reg, 9, R);
        if (t->result == 0)
            t->result = test_poll_now(t->f->poll, t->f->events);
        break;
    }
    return NULL;
}

static void run_thread(struct thread_arg *t, pthread_t *th)
{
    assert_int_equal(pthread_create(th, NULL, other_thread, t), 0);
}

static void test_registration_from_thread_wakes_waiter(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
    TEST_SKIP_UNDER("valgrind", VALGRIND_URING_THREADS);
    cmio_unix_stream a, b;
    pair(&a, &b);
    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), 1);
    cmio_registry *clone;
    assert_int_equal(cmio_registry_try_clone(f->reg, &clone), 0);
    struct thread_arg t = {.f = f, .reg = clone, .s = &b, .step = 0};
    pthread_t th;
    run_thread(&t, &th);
    /* Waits (up to 5 s, far longer than the thread takes) and wakes with the new registration. */
    int64_t t0 = test_now_ns();
    const cmio_event *e = test_poll_for_token(f->poll, f->events, 7, TEST_WAIT_MS);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.result, 0);
    assert_non_null(e);
    assert_true(cmio_event_is_readable(e));
    assert_true(test_now_ns() - t0 < (int64_t)TEST_WAIT_MS * 1000000);

    t.step = 1;
    run_thread(&t, &th);
    e = test_poll_for_token(f->poll, f->events, 8, TEST_WAIT_MS);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.result, 0);
    assert_non_null(e);
    assert_true(cmio_event_is_writable(e));

    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    cmio_registry_free(clone);
}

static void test_close_from_thread_while_waiting(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
    TEST_SKIP_UNDER("valgrind", VALGRIND_URING_THREADS);
    cmio_waker *waker;
    int r = cmio_waker_new(&waker, f->reg, 99);
    if (r == -ENOTSUP) { /* the libkqueue rows: CMIO_WAKER=kqueue needs a kqueue poll */
        print_message("skipped: this process's waker (%s) cannot wake an io_uring poll\n",
                      cmio_waker_name());
        skip();
    }
    assert_int_equal(r, 0);
    cmio_unix_stream a, b;
    pair(&a, &b);
    assert_int_equal(cmio_unix_stream_register(&b, f->reg, 1, R), 0);
    assert_int_equal(test_poll_now(f->poll, f->events), 0); /* armed in the kernel */
    struct thread_arg t = {.f = f, .s = &b, .peer = &a, .waker = waker, .step = 2};
    pthread_t th;
    run_thread(&t, &th);
    const cmio_event *e = test_poll_for_token(f->poll, f->events, 99, TEST_WAIT_MS);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_non_null(e);
    assert_int_equal(t.result, 0); /* the peer saw the end of stream while we waited */
    assert_int_equal(cmio_unix_stream_close(&a), 0);
    cmio_waker_free(waker);
}

/* Poll requests belong to the thread that submitted them; when it exits, the kernel ends them on
 * their next wake-up and the backend arms them again: no event is lost. */
static void test_submitting_thread_exits(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
    cmio_unix_stream a, b;
    pair(&a, &b);
    bool before[256];
    for (int fd = 0; fd < 256; fd++)
        before[fd] = test_fd_is_open(fd);
    struct thread_arg t = {.f = f, .reg = f->reg, .s = &b, .step = 3};
    pthread_t th;
    run_thread(&t, &th);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.result, 0);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(cmio_unix_stream_write(&a, "x", 1), 1);
        const cmio_event *e = test_poll_for_token(f->poll, f->events, 9, TEST_WAIT_MS);
        assert_non_null(e);
        assert_true(cmio_event_is_readable(e));
        char c;
        assert_int_equal(cmio_unix_stream_read(&b, &c, 1), 1);
    }
    /* The poll moved to that thread and back (a new ring each time in single-issuer mode): the
     * same fd numbers are open, each close-on-exec. */
    for (int fd = 0; fd < 256; fd++) {
        assert_int_equal(test_fd_is_open(fd), before[fd]);
        if (before[fd] && !inherited[fd])
            assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    }
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
}

/* A poll handed to another thread while the thread that submitted its requests keeps running
 * without entering the kernel: the wake-ups of those requests would wait for that thread (the
 * ring does not interrupt a running thread); the new polling thread arms them again itself. */
struct spinner {
    struct fixture *f;
    cmio_unix_stream *s;
    atomic_int armed, done;
    int result;
};

static void *spin_after_arming(void *p)
{
    struct spinner *sp = p;
    sp->result = cmio_unix_stream_register(sp->s, sp->f->reg, 11, R);
    if (sp->result == 0)
        sp->result = test_poll_now(sp->f->poll, sp->f->events); /* submitted by this thread */
    atomic_store(&sp->armed, 1);
    int64_t until = test_now_ns() + 3000000000LL; /* clock_gettime: the vDSO, no system call */
    while (!atomic_load(&sp->done) && test_now_ns() < until) {
    }
    return NULL;
}

static void test_poll_handed_to_another_thread(void **state)
{
    struct fixture *f = *state;
    NEED_URING();
    cmio_unix_stream a, b;
    pair(&a, &b);
    struct spinner sp = {.f = f, .s = &b};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, spin_after_arming, &sp), 0);
    while (!atomic_load(&sp.armed))
        test_sleep_ms(1);
    assert_int_equal(sp.result, 0);
    assert_int_equal(cmio_unix_stream_write(&a, "x", 1), 1);
    int64_t t0 = test_now_ns();
    const cmio_event *e = test_poll_for_token(f->poll, f->events, 11, 2000);
    int64_t waited = test_now_ns() - t0;
    atomic_store(&sp.done, 1);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_non_null(e); /* not after the other thread stopped spinning */
    assert_true(cmio_event_is_readable(e));
    assert_true(waited < 2000000000LL);
    assert_int_equal(cmio_unix_stream_close(&b), 0);
    assert_int_equal(cmio_unix_stream_close(&a), 0);
}

/* ---- another thread's changes with a full submission ring --------------------------------- */

#define NPAIRS 40

#if CMIO_BACKEND_URING
struct filler {
    cmio_registry *reg;
    cmio_unix_stream *a, *b;
    int step;
    int result;
};

static void *fill_from_thread(void *p)
{
    struct filler *fl = p;
    fl->result = 0;
    for (int i = 0; i < NPAIRS && fl->result == 0; i++) {
        if (fl->step == 0)
            fl->result = cmio_unix_stream_register(&fl->b[i], fl->reg, (cmio_token)i, R);
        else if (fl->step == 1)
            fl->result = cmio_unix_stream_reregister(&fl->b[i], fl->reg, (cmio_token)(100 + i), R);
        else
            fl->result = cmio_unix_stream_close(&fl->b[i]);
    }
    return NULL;
}

/* A poll whose rings have sq_entries and cq_entries slots, and events of cq_entries. */
static void tiny_poll(unsigned sq_entries, unsigned cq_entries, cmio_poll **p, cmio_events **ev)
{
    cmio__uring_set_sizes(sq_entries, cq_entries);
    int r = cmio_poll_new(p);
    cmio__uring_set_sizes(0, 0);
    assert_int_equal(r, 0);
    assert_int_equal(cmio_events_new(ev, cq_entries), 0);
}

/* Polls until every one of NPAIRS tokens base … base + NPAIRS − 1 has been reported readable. */
static void see_all(cmio_poll *p, cmio_events *ev, cmio_token base)
{
    bool seen[NPAIRS] = {false};
    int left = NPAIRS;
    int64_t deadline = test_deadline();
    while (left > 0) {
        if (test_poll_until(p, ev, deadline) == -ETIMEDOUT)
            fail_msg("%d of %d registrations never reported", left, NPAIRS);
        for (const cmio_event *e = cmio_events_first(ev); e; e = cmio_events_next(ev, e)) {
            cmio_token t = cmio_event_token(e) - base;
            assert_true(t < NPAIRS);
            if (!seen[t] && cmio_event_is_readable(e)) {
                seen[t] = true;
                left--;
            }
        }
    }
}
#endif

/* A 4-entry submission ring, the poll made by this thread, 40 registrations, reregistrations and
 * closes made by another one while this one does not poll: none is lost (in single-issuer mode
 * they wait in the backend's own queue for the polling thread; before, that thread submits), and
 * the closed sockets are released by the next poll at the latest. */
static void test_changes_from_thread_full_ring(void **state)
{
    (void)state;
    NEED_URING();
#if !CMIO_BACKEND_URING
    skip();
#else
    cmio_poll *p;
    cmio_events *ev;
    tiny_poll(4, 64, &p, &ev);
    assert_int_equal(test_poll_now(p, ev), 0); /* this thread is the polling one */
    cmio_registry *clone;
    assert_int_equal(cmio_registry_try_clone(cmio_poll_registry(p), &clone), 0);
    cmio_unix_stream a[NPAIRS], b[NPAIRS];
    for (int i = 0; i < NPAIRS; i++) {
        pair(&a[i], &b[i]);
        assert_int_equal(cmio_unix_stream_write(&a[i], "x", 1), 1);
    }
    for (int step = 0; step < 3; step++) {
        if (step == 2) { /* unread data would make the peer's read fail (ECONNRESET) */
            char c;
            for (int i = 0; i < NPAIRS; i++)
                assert_int_equal(cmio_unix_stream_read(&b[i], &c, 1), 1);
        }
        struct filler fl = {.reg = clone, .a = a, .b = b, .step = step};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, fill_from_thread, &fl), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(fl.result, 0);
        if (step < 2)
            see_all(p, ev, step == 1 ? 100 : 0);
    }
    /* Closed by the other thread: released, at the latest, by this thread's next poll. */
    assert_int_equal(test_poll_now(p, ev), 0);
    for (int i = 0; i < NPAIRS; i++) {
        char c;
        assert_int_equal(test_fd_wait(cmio_unix_stream_as_fd(&a[i]), POLLIN) & POLLIN, POLLIN);
        assert_int_equal(cmio_unix_stream_read(&a[i], &c, 1), 0);
        assert_int_equal(cmio_unix_stream_close(&a[i]), 0);
    }
    cmio_registry_free(clone);
    cmio_events_free(ev);
    cmio_poll_free(p);
#endif
}

/* ---- full rings --------------------------------------------------------------------------- */

/* A 4-entry submission ring and an 8-entry completion ring with 40 ready registrations: the
 * registrations go in batches as the submission ring fills, the completions the ring cannot hold
 * end their multishot polls (the kernel keeps them in its overflow list) and the backend arms
 * those polls again — every registration is reported, now and after new data. */
static void test_tiny_rings(void **state)
{
    (void)state;
    NEED_URING();
#if !CMIO_BACKEND_URING
    skip(); /* not reached: without the backend, cmio_poll_new fails and NEED_URING skips */
#else
    cmio_poll *p;
    cmio_events *ev;
    tiny_poll(4, 8, &p, &ev);
    cmio_unix_stream a[NPAIRS], b[NPAIRS];
    for (int i = 0; i < NPAIRS; i++) {
        pair(&a[i], &b[i]);
        assert_int_equal(cmio_unix_stream_write(&a[i], "x", 1), 1);
        assert_int_equal(cmio_unix_stream_register(&b[i], cmio_poll_registry(p), (cmio_token)i, R),
                         0);
    }
    see_all(p, ev, 0);
    char buf[16];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < NPAIRS; i++) {
            while (cmio_unix_stream_read(&b[i], buf, sizeof buf) > 0) {
            }
            assert_int_equal(cmio_unix_stream_write(&a[i], "y", 1), 1);
        }
        see_all(p, ev, 0);
    }
    for (int i = 0; i < NPAIRS; i++) {
        assert_int_equal(cmio_unix_stream_close(&b[i]), 0);
        assert_int_equal(cmio_unix_stream_close(&a[i]), 0);
    }
    cmio_events_free(ev);
    cmio_poll_free(p);
#endif
}

int main(void)
{
    /* Before any other cmio call: the backend is chosen once per process. */
    setenv("CMIO_BACKEND", "uring", 1);
    for (int fd = 0; fd < 256; fd++)
        inherited[fd] = test_fd_is_open(fd);
    cmio_poll *p = NULL;
    uring_error = cmio_poll_new(&p);
    if (uring_error == 0)
        cmio_poll_free(p);
    else
        print_message("io_uring unavailable: %s (%d): the tests that need it are skipped\n",
                      cmio_strerror(uring_error), uring_error);
    const struct CMUnitTest tests[] = {
        PLAIN(test_unavailable_enosys),
        PLAIN(test_unavailable_eperm),
        PLAIN(test_fds_cloexec),
        TEST(test_mode),
        TEST(test_multishot_edges),
        TEST(test_changes_before_submit),
        TEST(test_reregister_while_woken),
        TEST(test_close_releases_at_once),
        TEST(test_registration_from_thread_wakes_waiter),
        TEST(test_close_from_thread_while_waiting),
        TEST(test_submitting_thread_exits),
        TEST(test_poll_handed_to_another_thread),
        PLAIN(test_changes_from_thread_full_ring),
        PLAIN(test_tiny_rings),
        PLAIN_OLD(test_fds_cloexec),
        TEST_OLD(test_mode),
        TEST_OLD(test_multishot_edges),
        TEST_OLD(test_changes_before_submit),
        TEST_OLD(test_reregister_while_woken),
        TEST_OLD(test_close_releases_at_once),
        TEST_OLD(test_registration_from_thread_wakes_waiter),
        TEST_OLD(test_close_from_thread_while_waiting),
        TEST_OLD(test_submitting_thread_exits),
        TEST_OLD(test_poll_handed_to_another_thread),
        PLAIN_OLD(test_changes_from_thread_full_ring),
        PLAIN_OLD(test_tiny_rings),
    };
    alarm(TEST_WATCHDOG_S);
    return cmocka_run_group_tests_name("uring", tests, NULL, NULL);
}
