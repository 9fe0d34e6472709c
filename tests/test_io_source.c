/* SPDX-License-Identifier: MIT */
/* cmio tests — the io_source glue the generated socket wrappers build on. */
#include "internal.h"

#include <stdlib.h>

#include "test_util.h"

#define R CMIO_INTEREST_READABLE
#define W CMIO_INTEREST_WRITABLE

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, test_fixture_setup, test_fixture_teardown)

/* A blocking socket pair: adopt must make its end non-blocking. */
#ifdef _WIN32
static void blocking_pair(test_sock sv[2])
{
    test_socketpair(sv);
    test_sock_set_blocking(sv[0]); /* (Winsock cannot read the flag back without blocking) */
}

static bool is_nonblocking(test_sock s)
{
    return tcp_fd_nonblocking(s);
}
#else
static void blocking_pair(int sv[2])
{
    assert_int_equal(test_socketpair_of(AF_UNIX, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0, sv), 0);
    assert_false(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
}

static bool is_nonblocking(int fd)
{
    return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}
#endif

static void test_adopt(void **state)
{
    (void)state;
    cmio_io_source src = {0, false, NULL};
    test_sock sv[2];
    blocking_pair(sv);
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);
    assert_int_equal(cmio__source_fd(&src), sv[0]);
    assert_null(src.sel);
    assert_true(is_nonblocking(sv[0]));
    /* Adopting an fd that is already non-blocking is fine too. */
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);

    assert_int_equal(cmio__source_adopt(NULL, sv[0]), -EINVAL);
    assert_int_equal(cmio__source_adopt(&src, TEST_NO_SOCK), -EBADF);
    test_sock closed = test_raw_socket(AF_INET, SOCK_STREAM);
    test_sock_close(closed);
    assert_int_equal(cmio__source_adopt(&src, closed), -EBADF);
    assert_int_equal(cmio__source_fd(&src), sv[0]); /* unchanged on failure */
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

#ifndef _WIN32 /* fcntl flags of a pipe: fd platforms */
static void test_fd_helpers(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_false(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
    assert_int_equal(cmio__fd_set_cloexec(p[0]), 0);
    assert_true(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
    assert_int_equal(cmio__fd_set_cloexec(p[0]), 0);
    assert_int_equal(cmio__fd_set_nonblock(p[0]), 0);
    assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(cmio__fd_set_nonblock(p[0]), 0);
    assert_int_equal(cmio__fd_set_nonblock(-1), -EBADF);
    assert_int_equal(cmio__fd_set_cloexec(-1), -EBADF);
    close(p[0]);
    close(p[1]);
}
#endif

static void test_register_lifecycle(void **state)
{
    struct test_fixture *f = *state;
    cmio_io_source src;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);

    /* Not registered yet. */
    assert_int_equal(cmio__source_reregister(&src, f->reg, 1, R), -ENOENT);
    assert_int_equal(cmio__source_deregister(&src, f->reg), -ENOENT);

    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), 0);
    assert_non_null(src.sel);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), -EEXIST);
    test_write_byte(sv[1]);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 1);

    assert_int_equal(cmio__source_reregister(&src, f->reg, 2, W), 0);
    assert_int_equal(test_poll_ready(f->poll, f->events), 1);
    assert_int_equal(cmio_event_token(cmio_events_get(f->events, 0)), 2);
    assert_true(cmio_event_is_writable(cmio_events_get(f->events, 0)));

    assert_int_equal(cmio__source_deregister(&src, f->reg), 0);
    assert_null(src.sel);
    test_write_byte(sv[1]);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    assert_int_equal(cmio__source_deregister(&src, f->reg), -ENOENT);
    /* The raw fd API sees the same state. */
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), -ENOENT);

    assert_int_equal(cmio__source_close(&src), 0);
    test_sock_close(sv[1]);
}

static void test_register_errors(void **state)
{
    struct test_fixture *f = *state;
    cmio_io_source src = {0, false, NULL};
    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), -EBADF);
    assert_int_equal(cmio__source_register(NULL, f->reg, 1, R), -EINVAL);
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);
    assert_int_equal(cmio__source_register(&src, NULL, 1, R), -EINVAL);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, 0), -EINVAL);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, 0x80), -EINVAL);
    assert_null(src.sel);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), 0);
    assert_int_equal(cmio__source_reregister(&src, f->reg, 1, 0), -EINVAL);
    assert_int_equal(cmio__source_reregister(NULL, f->reg, 1, R), -EINVAL);
    assert_int_equal(cmio__source_reregister(&src, NULL, 1, R), -EINVAL);
    assert_int_equal(cmio__source_deregister(NULL, f->reg), -EINVAL);
    assert_int_equal(cmio__source_deregister(&src, NULL), -EINVAL);
    assert_int_equal(cmio__source_close(&src), 0);
    assert_int_equal(cmio__source_close(NULL), -EINVAL);
    cmio__handle h;
    assert_int_equal(cmio__source_release(NULL, &h), -EINVAL);
    test_sock_close(sv[1]);
}

/* A source registered with one poll cannot be changed through another poll's registry. */
static void test_other_registry(void **state)
{
    struct test_fixture *f = *state;
    cmio_poll *other;
    cmio_registry *clone;
    cmio_io_source src;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(cmio_poll_new(&other), 0);
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), 0);
    assert_int_equal(cmio__source_register(&src, cmio_poll_registry(other), 1, R), -EEXIST);
    assert_int_equal(cmio__source_reregister(&src, cmio_poll_registry(other), 1, R), -EINVAL);
    assert_int_equal(cmio__source_deregister(&src, cmio_poll_registry(other)), -EINVAL);
    /* A clone of the right registry is the same registry. */
    assert_int_equal(cmio_registry_try_clone(f->reg, &clone), 0);
    assert_int_equal(cmio__source_reregister(&src, clone, 2, R), 0);
    assert_int_equal(cmio__source_deregister(&src, clone), 0);
    cmio_registry_free(clone);
    assert_int_equal(cmio__source_close(&src), 0);
    cmio_poll_free(other);
    test_sock_close(sv[1]);
}

static void test_close(void **state)
{
    struct test_fixture *f = *state;
    cmio_io_source src;
    test_sock sv[2];
    test_socketpair(sv);
    int before = test_count_open_fds();
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), 0);
    test_write_byte(sv[1]); /* pending readiness */
    assert_int_equal(cmio__source_close(&src), 0);
    assert_int_equal(src.fd1, 0); /* empty again */
    assert_null(src.sel);
    assert_false(test_fd_is_open(sv[0]));
    assert_int_equal(test_count_open_fds(), before - 1 + test_backend_fds(1));
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    assert_int_equal(cmio__source_close(&src), -EBADF);
    cmio__handle h;
    assert_int_equal(cmio__source_release(&src, &h), -EBADF);
    test_sock_close(sv[1]);
}

#ifndef _WIN32 /* dup(): a Winsock handle has no in-process duplicate sharing the socket */
/* close() must deregister explicitly: with a dup'd fd the kernel would keep it registered. */
static void test_close_with_dup(void **state)
{
    struct test_fixture *f = *state;
    cmio_io_source src;
    test_sock sv[2];
    test_socketpair(sv);
    int dupfd = dup(sv[0]);
    assert_true(dupfd >= 0);
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), 0);
    assert_int_equal(cmio__source_close(&src), 0);
    test_write_byte(sv[1]);
    assert_int_equal(test_poll_now(f->poll, f->events), 0);
    close(dupfd);
    test_sock_close(sv[1]);
}
#endif

static void test_release(void **state)
{
    struct test_fixture *f = *state;
    cmio_io_source src;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), 0);
    cmio__handle h = -1;
    assert_int_equal(cmio__source_release(&src, &h), 0);
    assert_int_equal(h, sv[0]);
    assert_int_equal(src.fd1, 0); /* empty again */
    assert_null(src.sel);
    assert_true(test_fd_is_open(sv[0])); /* still open: the caller owns it */
    test_write_byte(sv[1]);
    assert_int_equal(test_poll_now(f->poll, f->events), 0); /* and deregistered */
    assert_int_equal(test_deregister_sock(f->reg, sv[0]), -ENOENT);
    assert_int_equal(cmio__source_release(&src, &h), -EBADF);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

/* The source's selector reference keeps the backend alive after the poll is freed. */
static void test_source_outlives_poll(void **state)
{
    TEST_SKIP_LIBKQUEUE(TEST_LIBKQUEUE_FDS);
    (void)state;
    cmio_poll *poll;
    cmio_io_source src;
    test_sock sv[2];
    int before = test_count_open_fds();
    test_socketpair(sv);
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);
    assert_int_equal(cmio__source_register(&src, cmio_poll_registry(poll), 1, R), 0);
    cmio_poll_free(poll);
    /* pair + poll (+ the backend's for the registration) */
    assert_int_equal(test_count_open_fds(), before + 2 + test_poll_fds() + test_backend_fds(1));
    assert_int_equal(cmio__source_close(&src), 0);
    test_sock_close(sv[1]);
    assert_int_equal(test_count_open_fds(), before);
}

static void test_did_io(void **state)
{
    struct test_fixture *f = *state;
    cmio_io_source src;
    test_sock sv[2];
    test_socketpair(sv);
    assert_int_equal(cmio__source_adopt(&src, sv[0]), 0);
    assert_int_equal(cmio__source_did_io(&src, 5, R), 5);
    assert_int_equal(cmio__source_did_io(&src, -EAGAIN, R), -EAGAIN);
    assert_int_equal(cmio__source_register(&src, f->reg, 1, R), 0);
    assert_int_equal(cmio__source_did_io(&src, -EAGAIN, R), -EAGAIN); /* epoll: no re-arm */
    assert_int_equal(cmio__source_did_io(&src, -EPIPE, W), -EPIPE);
    cmio__source_would_block(&src, R);
    cmio__source_would_block(NULL, W);
    assert_int_equal(cmio__source_close(&src), 0);
    test_sock_close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adopt),
#ifndef _WIN32
        cmocka_unit_test(test_fd_helpers),
#endif
        TEST(test_register_lifecycle),
        TEST(test_register_errors),
        TEST(test_other_registry),
        TEST(test_close),
#ifndef _WIN32
        TEST(test_close_with_dup),
#endif
        TEST(test_release),
        cmocka_unit_test(test_source_outlives_poll),
        TEST(test_did_io),
    };
    test_alarm(TEST_WATCHDOG_S);
    return cmocka_run_group_tests_name("io_source", tests, NULL, NULL);
}
