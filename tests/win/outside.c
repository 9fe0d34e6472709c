/* SPDX-License-Identifier: MIT */
/* A program written for Linux from the README and the headers alone — the "checked from outside"
 * test of the Windows port (tests/win/suite_windows.sh): it must build for Windows unchanged from
 * the installed headers and library (x86_64-w64-mingw32-gcc outside.c -lcmio -lws2_32) and run
 * under Wine. It binds a listener on 127.0.0.1, connects to it, accepts, registers both ends and
 * echoes a message back and forth through the poll, then closes everything. Exit status 0 = OK.
 * Nothing here is Windows-specific; the same file builds on Linux (the suite checks that too). */
#include <cmio/cmio.h>

#include <stdio.h>
#include <string.h>

#define LISTENER 1
#define CLIENT 2
#define SERVER 3

static int fail(const char *what, int err)
{
    fprintf(stderr, "outside: %s: %s (%s)\n", what, cmio_strerror(err), cmio_err_name(err));
    return 1;
}

int main(void)
{
    cmio_poll *poll;
    cmio_events *events;
    cmio_tcp_listener listener = CMIO_TCP_LISTENER_INIT;
    cmio_tcp_stream client = CMIO_TCP_STREAM_INIT, server = CMIO_TCP_STREAM_INIT;
    cmio_sockaddr addr;
    char text[CMIO_SOCKADDR_STRLEN];
    int r;

    if ((r = cmio_poll_new(&poll)) < 0)
        return fail("poll_new", r);
    if ((r = cmio_events_new(&events, 16)) < 0)
        return fail("events_new", r);
    if ((r = cmio_sockaddr_parse(&addr, "127.0.0.1:0")) < 0)
        return fail("sockaddr_parse", r);
    if ((r = cmio_tcp_listener_bind(&listener, &addr)) < 0)
        return fail("bind", r);
    if ((r = cmio_tcp_listener_local_addr(&listener, &addr)) < 0)
        return fail("local_addr", r);
    if (cmio_sockaddr_format(&addr, text, sizeof text) < 0 || cmio_sockaddr_port(&addr) == 0)
        return fail("format", -EINVAL);
    cmio_registry *reg = cmio_poll_registry(poll);
    if ((r = cmio_tcp_listener_register(&listener, reg, LISTENER, CMIO_INTEREST_READABLE)) < 0)
        return fail("register listener", r);
    if ((r = cmio_tcp_stream_connect(&client, &addr)) < 0)
        return fail("connect", r);
    if ((r = cmio_tcp_stream_register(&client, reg, CLIENT,
                                      CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE)) < 0)
        return fail("register client", r);

    static const char msg[] = "hello from outside";
    char sbuf[64], cbuf[64];
    size_t got_server = 0, got_client = 0;
    bool accepted = false, sent = false, echoed = false;
    for (int round = 0; round < 1000 && got_client < sizeof msg; round++) {
        struct timespec timeout = {5, 0};
        r = cmio_poll_poll(poll, events, &timeout);
        if (r == -EINTR)
            continue;
        if (r < 0)
            return fail("poll", r);
        if (r == 0)
            return fail("poll: nothing for 5 s", -ETIMEDOUT);
        for (size_t i = 0; i < cmio_events_len(events); i++) {
            const cmio_event *ev = cmio_events_get(events, i);
            switch (cmio_event_token(ev)) {
            case LISTENER: /* edge-triggered: accept until -EAGAIN */
                while ((r = cmio_tcp_listener_accept(&listener, &server, NULL)) == 0) {
                    accepted = true;
                    r = cmio_tcp_stream_register(&server, reg, SERVER, CMIO_INTEREST_READABLE);
                    if (r < 0)
                        return fail("register server", r);
                }
                if (r != -EAGAIN)
                    return fail("accept", r);
                break;
            case CLIENT:
                if (cmio_event_is_writable(ev) && !sent) {
                    int err = 0;
                    if ((r = cmio_tcp_stream_take_error(&client, &err)) < 0 || err != 0)
                        return fail("connect (take_error)", r < 0 ? r : err);
                    if ((r = (int)cmio_tcp_stream_write(&client, msg, sizeof msg)) < 0)
                        return fail("write", r);
                    if ((size_t)r != sizeof msg)
                        return fail("short write", -EIO);
                    sent = true;
                }
                while ((r = (int)cmio_tcp_stream_read(&client, cbuf + got_client,
                                                      sizeof cbuf - got_client)) > 0)
                    got_client += (size_t)r;
                if (r == 0)
                    return fail("client: end of stream", -EPIPE);
                if (r != -EAGAIN)
                    return fail("client read", r);
                break;
            case SERVER:
                while ((r = (int)cmio_tcp_stream_read(&server, sbuf + got_server,
                                                      sizeof msg - got_server)) > 0)
                    got_server += (size_t)r;
                if (r < 0 && r != -EAGAIN)
                    return fail("server read", r);
                if (got_server == sizeof msg && !echoed) {
                    if (memcmp(sbuf, msg, sizeof msg) != 0)
                        return fail("server got other bytes", -EIO);
                    if ((r = (int)cmio_tcp_stream_write(&server, sbuf, sizeof msg)) < 0)
                        return fail("echo", r);
                    echoed = true;
                }
                break;
            }
        }
    }
    if (!accepted || got_client != sizeof msg || memcmp(cbuf, msg, sizeof msg) != 0)
        return fail("echo did not come back", -EIO);
    if ((r = cmio_tcp_stream_close(&client)) < 0 || (r = cmio_tcp_stream_close(&server)) < 0 ||
        (r = cmio_tcp_listener_close(&listener)) < 0)
        return fail("close", r);
    cmio_events_free(events);
    cmio_poll_free(poll);
    printf("outside: OK: echoed %zu bytes through %s on %s/%s\n", sizeof msg, text,
           cmio_backend_name(), cmio_waker_name());
    return 0;
}
