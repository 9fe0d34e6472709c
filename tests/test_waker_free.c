/* SPDX-License-Identifier: MIT */
/* cmio tests — cmio_waker_free closes its fds in an order no poll can observe. Linked with
 * -Wl,--wrap=close (see the Makefile's checks section): every close(2) libcmio makes goes through
 * __wrap_close below, which, while a waker is being freed, polls the registry with a zero timeout
 * right after each close and records any event carrying the waker's token.
 *
 * Found by test_stress on the poll(2) backend: a pipe waker closed its write end first, so its
 * read end — still registered, and kept armed as every waker is — reported POLLHUP on every poll
 * until it was deregistered: a busy loop of spurious waker events in any thread polling meanwhile
 * (on epoll: one spurious EPOLLHUP event). An eventfd waker has one fd; the test makes a pipe waker
 * (CMIO_WAKER is read at each cmio_waker_new).
 */
#include <cmio/cmio.h>

#include <stdlib.h>
#include <unistd.h>

#include "test_util.h"

#define WAKE_TOKEN ((cmio_token)0x3a3e)

int __real_close(int fd);
int __wrap_close(int fd);

static cmio_poll *hook_poll;
static cmio_events *hook_events;
static int hook_closes, hook_events_seen;

int __wrap_close(int fd)
{
    int r = __real_close(fd);
    if (hook_poll != NULL) {
        const struct timespec zero = {0, 0};
        hook_closes++;
        if (cmio_poll_poll(hook_poll, hook_events, &zero) > 0 &&
            test_find_token(hook_events, WAKE_TOKEN) != NULL)
            hook_events_seen++;
    }
    return r;
}

static void test_waker_free_no_event(void **state)
{
    (void)state;
    const char *was = getenv("CMIO_WAKER");
    char *saved = was != NULL ? strdup(was) : NULL;
    assert_int_equal(setenv("CMIO_WAKER", "pipe", 1), 0);
    if (strcmp(cmio_waker_name(), "pipe") != 0) {
        if (saved != NULL)
            setenv("CMIO_WAKER", saved, 1);
        free(saved);
        skip(); /* no pipe waker in this build */
    }
    int before = test_count_open_fds();
    cmio_poll *poll;
    cmio_events *events;
    cmio_waker *waker;
    assert_int_equal(cmio_poll_new(&poll), 0);
    assert_int_equal(cmio_events_new(&events, 8), 0);
    assert_int_equal(cmio_waker_new(&waker, cmio_poll_registry(poll), WAKE_TOKEN), 0);

    /* A wake, reported and consumed: the waker is idle when it is freed. */
    assert_int_equal(cmio_waker_wake(waker), 0);
    assert_non_null(test_poll_for_token(poll, events, WAKE_TOKEN, TEST_WAIT_MS));
    assert_int_equal(test_poll_now(poll, events), 0);

    hook_poll = poll;
    hook_events = events;
    cmio_waker_free(waker);
    hook_poll = NULL;
    /* Both ends of the pipe; on io_uring the registered read end is closed by the ring
     * (IORING_OP_CLOSE, submitted with its cancellation), not by close(2): only the write end
     * passes here, after the read end is gone. */
    assert_int_equal(hook_closes, strcmp(cmio_backend_name(), "uring") == 0 ? 1 : 2);
    assert_int_equal(hook_events_seen, 0);
    assert_int_equal(test_poll_now(poll, events), 0);

    cmio_events_free(events);
    cmio_poll_free(poll);
    TEST_ASSERT_FDS_BACK_TO(before);
    if (saved != NULL)
        setenv("CMIO_WAKER", saved, 1);
    else
        unsetenv("CMIO_WAKER");
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waker_free_no_event),
    };
    return cmocka_run_group_tests_name("waker_free", tests, NULL, NULL);
}
