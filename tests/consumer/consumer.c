/* SPDX-License-Identifier: MIT */
/* An out-of-tree program that uses an installed cmio (tests/suite_install.sh builds it with
 * pkg-config, shared and static, as C++ through consumer.cpp, and with CMake's find_package).
 * It checks the version, then makes one TCP round trip over 127.0.0.1 with bounded waits, using
 * the inline fast paths of the headers. Prints "consumer: ... ok" and exits 0, else 1.
 * Written in the common subset of C and C++. */
#include <cmio/cmio.h>

#include <stdio.h>
#include <string.h>

#define WAIT_MS 5000

/* Waits (at most WAIT_MS) for an event with `token` that is_readable/is_writable as asked. */
static int wait_for(cmio_poll *poll, cmio_events *events, cmio_token token, int writable)
{
    struct timespec step = {0, 10 * 1000 * 1000};
    for (int i = 0; i < WAIT_MS / 10; i++) {
        int n = cmio_poll_poll(poll, events, &step);
        if (n < 0 && n != -EINTR)
            return n;
        for (size_t k = 0; k < cmio_events_len(events); k++) {
            const cmio_event *e = cmio_events_get(events, k);
            if (cmio_event_token(e) == token &&
                (writable ? cmio_event_is_writable(e) : cmio_event_is_readable(e)))
                return 0;
        }
    }
    return -ETIMEDOUT;
}

static int fail(const char *what, int err)
{
    printf("consumer: FAILED: %s: %s (%s)\n", what, cmio_strerror(err), cmio_err_name(err));
    return 1;
}

static int consumer_main(const char *lang)
{
    if (cmio_version() != CMIO_VERSION_HEX ||
        strcmp(cmio_version_string(), CMIO_VERSION_STRING) != 0) {
        printf("consumer: FAILED: library %s, headers %s\n", cmio_version_string(),
               CMIO_VERSION_STRING);
        return 1;
    }
    cmio_poll *poll = NULL;
    cmio_events *events = NULL;
    cmio_tcp_listener listener = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream client = CMIO_TCP_STREAM_INIT, server = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr;
    char buf[16];
    int r;
    if ((r = cmio_poll_new(&poll)) < 0)
        return fail("cmio_poll_new", r);
    if ((r = cmio_events_new(&events, 16)) < 0)
        return fail("cmio_events_new", r);
    cmio_registry *registry = cmio_poll_registry(poll);
    if ((r = cmio_sockaddr_parse(&addr, "127.0.0.1:0")) < 0 ||
        (r = cmio_tcp_listener_bind(&listener, &addr)) < 0 ||
        (r = cmio_tcp_listener_local_addr(&listener, &addr)) < 0 ||
        (r = cmio_tcp_listener_register(&listener, registry, 1, CMIO_INTEREST_READABLE)) < 0)
        return fail("listener", r);
    if ((r = cmio_tcp_stream_connect(&client, &addr)) < 0 ||
        (r = cmio_tcp_stream_register(&client, registry, 2, CMIO_INTEREST_WRITABLE)) < 0)
        return fail("connect", r);
    if ((r = wait_for(poll, events, 2, 1)) < 0)
        return fail("waiting for the connection", r);
    while ((r = cmio_tcp_listener_accept(&listener, &server, NULL)) == -EAGAIN) {
        if ((r = wait_for(poll, events, 1, 0)) < 0)
            return fail("waiting to accept", r);
    }
    if (r < 0)
        return fail("accept", r);
    if ((r = cmio_tcp_stream_register(&server, registry, 3, CMIO_INTEREST_READABLE)) < 0)
        return fail("register", r);
    ssize_t n = cmio_tcp_stream_write(&client, "ping", 4);
    if (n != 4)
        return fail("write", (int)n);
    while ((n = cmio_tcp_stream_read(&server, buf, sizeof buf)) == -EAGAIN) {
        if ((r = wait_for(poll, events, 3, 0)) < 0)
            return fail("waiting for data", r);
    }
    if (n != 4 || memcmp(buf, "ping", 4) != 0)
        return fail("read", n < 0 ? (int)n : -EIO);
    (void)cmio_tcp_stream_close(&server);
    (void)cmio_tcp_stream_close(&client);
    (void)cmio_tcp_listener_close(&listener);
    cmio_events_free(events);
    cmio_poll_free(poll);
    printf("consumer: %s, cmio %s on %s/%s: ok\n", lang, cmio_version_string(), cmio_backend_name(),
           cmio_waker_name());
    return 0;
}

#ifndef __cplusplus
int main(void)
{
    return consumer_main("C");
}
#endif
