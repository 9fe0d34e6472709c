/* SPDX-License-Identifier: MIT */
/* tcp_client — sends messages to an echo server with cmio and checks what comes back.
 *
 *   tcp_client HOST:PORT [MESSAGES]
 *
 * HOST is a numeric address ("127.0.0.1:9000", "[::1]:9000"); MESSAGES defaults to 10. The
 * client connects without blocking (the connect finishes when the stream becomes writable, and
 * take_error says whether it succeeded), sends MESSAGES lines while reading the echoes as they
 * come, then shuts its write half down and waits for the server to close. It prints one line and
 * exits 0 when every byte came back in order, 1 otherwise (2 for bad arguments).
 *
 * Every wait is bounded: a server that stops answering for WAIT_MS fails the run.
 */
#include <cmio/cmio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_STREAM ((cmio_token)1)
#define WAIT_MS 5000

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The whole conversation, known in advance: "message 1/N\n" … "message N/N\n". */
static char *make_payload(unsigned long count, size_t *len)
{
    size_t cap = 0;
    for (unsigned long i = 1; i <= count; i++)
        cap += (size_t)snprintf(NULL, 0, "message %lu/%lu\n", i, count);
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return NULL;
    size_t off = 0;
    for (unsigned long i = 1; i <= count; i++)
        off += (size_t)snprintf(buf + off, cap + 1 - off, "message %lu/%lu\n", i, count);
    *len = off;
    return buf;
}

static int fail(const char *target, const char *what, int err)
{
    if (err != 0)
        printf("tcp_client: %s: FAILED: %s: %s\n", target, what, cmio_strerror(err));
    else
        printf("tcp_client: %s: FAILED: %s\n", target, what);
    return 1;
}

/* Runs the whole exchange; returns the exit status. */
static int run(const char *target, const cmio_sockaddr *addr, unsigned long count)
{
    cmio_poll *poll = NULL;
    cmio_events *events = NULL;
    cmio_tcp_stream stream = CMIO_TCP_STREAM_INIT;
    char *payload = NULL;
    size_t total = 0, sent = 0, received = 0;
    bool connected = false, shut = false, eof = false;
    int status = 1, r;
    double start = now_ms();

    payload = make_payload(count, &total);
    if (payload == NULL)
        return fail(target, "out of memory", 0);
    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, 8)) < 0) {
        status = fail(target, "poll", r);
        goto out;
    }

    /* 1. Start connecting. 0 means "in progress" (or done): the writable event tells. */
    if ((r = cmio_tcp_stream_connect(&stream, addr)) < 0) {
        status = fail(target, "connect", r);
        goto out;
    }
    r = cmio_tcp_stream_register(&stream, cmio_poll_registry(poll), TOKEN_STREAM,
                                 CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE);
    if (r < 0) {
        status = fail(target, "register", r);
        goto out;
    }

    while (!eof) {
        struct timespec timeout = {WAIT_MS / 1000, (WAIT_MS % 1000) * 1000000L};
        int n = cmio_poll_poll(poll, events, &timeout);
        if (n == -EINTR)
            continue;
        if (n < 0) {
            status = fail(target, "poll", n);
            goto out;
        }
        if (n == 0) {
            status = fail(target, connected ? "no echo within 5 s" : "connect timed out", 0);
            goto out;
        }
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            if (cmio_event_token(e) != TOKEN_STREAM)
                continue;
            /* 2. The first event ends the connect: success or failure is in SO_ERROR. */
            if (!connected) {
                int err = 0;
                if ((r = cmio_tcp_stream_take_error(&stream, &err)) < 0 || err != 0) {
                    status = fail(target, "connect", r < 0 ? r : err);
                    goto out;
                }
                connected = true;
            }

            /* 3. Write until everything is sent or the socket would block. */
            while (sent < total) {
                ssize_t w = cmio_tcp_stream_write(&stream, payload + sent, total - sent);
                if (w == -EAGAIN)
                    break; /* a writable event will follow */
                if (w < 0) {
                    status = fail(target, "write", (int)w);
                    goto out;
                }
                sent += (size_t)w;
            }
            if (sent == total && !shut) {
                /* Tell the server we are done: it closes after echoing the rest. */
                if ((r = cmio_tcp_stream_shutdown(&stream, CMIO_SHUTDOWN_WRITE)) < 0) {
                    status = fail(target, "shutdown", r);
                    goto out;
                }
                shut = true;
            }

            /* 4. Read until the socket would block (or the server closes), checking each byte
             *    against what was sent. */
            for (;;) {
                char buf[4096];
                ssize_t got = cmio_tcp_stream_read(&stream, buf, sizeof buf);
                if (got == -EAGAIN)
                    break; /* a readable event will follow */
                if (got < 0) {
                    status = fail(target, "read", (int)got);
                    goto out;
                }
                if (got == 0) {
                    eof = true;
                    break;
                }
                if (received + (size_t)got > sent ||
                    memcmp(buf, payload + received, (size_t)got) != 0) {
                    status = fail(target, "the echo differs from what was sent", 0);
                    goto out;
                }
                received += (size_t)got;
            }
        }
    }

    if (received != total) {
        char what[96];
        snprintf(what, sizeof what, "server closed after %zu of %zu bytes", received, total);
        status = fail(target, what, 0);
        goto out;
    }
    printf("tcp_client: %s: OK: %lu messages, %zu bytes echoed and verified in %.1f ms\n", target,
           count, total, now_ms() - start);
    status = 0;

out:
    (void)cmio_tcp_stream_close(&stream); /* -EBADF when it was never opened: harmless */
    cmio_events_free(events);
    cmio_poll_free(poll);
    free(payload);
    return status;
}

int main(int argc, char **argv)
{
    cmio_sockaddr addr;
    unsigned long count = 10;
    if (argc < 2 || argc > 3 || cmio_sockaddr_parse(&addr, argv[1]) < 0) {
        fprintf(stderr, "usage: tcp_client HOST:PORT [MESSAGES]   (e.g. 127.0.0.1:9000 100)\n");
        return 2;
    }
    if (argc == 3) {
        char *end;
        errno = 0;
        count = strtoul(argv[2], &end, 10);
        if (errno != 0 || end == argv[2] || *end != '\0' || argv[2][0] == '-' || count == 0 ||
            count > 10000000ul) {
            fprintf(stderr, "tcp_client: MESSAGES must be 1..10000000\n");
            return 2;
        }
    }
    return run(argv[1], &addr, count);
}
