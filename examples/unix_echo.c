/* SPDX-License-Identifier: MIT */
/* unix_echo — an echo server on a Unix-domain socket and its clients, in one event loop.
 *
 *   unix_echo [PATH] [--clients N] [--messages M]
 *
 * Binds a cmio_unix_listener to PATH (default: $TMPDIR/cmio-unix-echo-<pid>.sock; removed at
 * exit), connects N clients (default 4) with cmio_unix_stream_connect(), and lets each send M
 * lines (default 100) while the server echoes them; every client checks that its bytes came
 * back in order, shuts its write half down, and waits for the server to close. The server logs
 * each peer's credentials where the platform has cmio_unix_stream_peer_cred (what mio lacks).
 * Prints one line and exits 0 when every client verified its echo; 1 otherwise. Every wait is
 * bounded (5 s).
 *
 * The same rules as on TCP: readiness is edge-triggered, so every handler does its I/O until
 * -EAGAIN; a slow reader stops its writer (the server only reads while it has nothing to write).
 */
#include <cmio/cmio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define TOKEN_LISTENER ((cmio_token)0)
#define TOKEN_SERVER_BASE ((cmio_token)1000)
#define TOKEN_CLIENT_BASE ((cmio_token)2000)
#define WAIT_MS 5000

/* A server-side connection: echoes what it reads. */
struct server_conn {
    bool in_use;
    cmio_unix_stream stream;
    char buf[4096];
    size_t off, len;
    bool eof;
};

/* A client: sends `payload`, reads the echo back into `got`. */
struct client {
    cmio_unix_stream stream;
    char *payload, *got;
    size_t len, sent, received;
    bool shut, done;
};

static struct server_conn servers[MAX_CLIENTS];
static struct client clients[MAX_CLIENTS];

static int fail(const char *what, int err)
{
    printf("unix_echo: FAILED: %s: %s\n", what, cmio_strerror(err));
    return 1;
}

/* Server side: echo until -EAGAIN; close after the client's EOF once everything is echoed. */
static int server_ready(struct server_conn *s)
{
    for (;;) {
        if (s->off < s->len) {
            ssize_t n = cmio_unix_stream_write(&s->stream, s->buf + s->off, s->len - s->off);
            if (n == -EAGAIN)
                return 0; /* a writable event comes when there is room */
            if (n < 0)
                return (int)n;
            s->off += (size_t)n;
            continue;
        }
        s->off = s->len = 0;
        if (s->eof) {
            (void)cmio_unix_stream_close(&s->stream);
            s->in_use = false;
            return 0;
        }
        ssize_t n = cmio_unix_stream_read(&s->stream, s->buf, sizeof s->buf);
        if (n == -EAGAIN)
            return 0;
        if (n < 0)
            return (int)n;
        if (n == 0)
            s->eof = true;
        s->len = (size_t)n;
    }
}

/* Client side: write what is left, read what came back, until -EAGAIN. */
static int client_ready(struct client *c)
{
    while (c->sent < c->len) {
        ssize_t n = cmio_unix_stream_write(&c->stream, c->payload + c->sent, c->len - c->sent);
        if (n == -EAGAIN)
            break;
        if (n < 0)
            return (int)n;
        c->sent += (size_t)n;
    }
    if (c->sent == c->len && !c->shut) {
        int r = cmio_unix_stream_shutdown(&c->stream, CMIO_SHUTDOWN_WRITE);
        if (r < 0)
            return r;
        c->shut = true;
    }
    for (;;) {
        char buf[4096];
        ssize_t n = cmio_unix_stream_read(&c->stream, buf, sizeof buf);
        if (n == -EAGAIN)
            return 0;
        if (n < 0)
            return (int)n;
        if (n == 0) { /* the server closed: everything must have come back */
            if (c->received != c->len || memcmp(c->got, c->payload, c->len) != 0)
                return -EPROTO;
            (void)cmio_unix_stream_close(&c->stream);
            c->done = true;
            return 0;
        }
        if (c->received + (size_t)n > c->len)
            return -EPROTO; /* more than was sent */
        memcpy(c->got + c->received, buf, (size_t)n);
        c->received += (size_t)n;
    }
}

static int accept_all(cmio_unix_listener *listener, cmio_registry *registry)
{
    for (;;) {
        cmio_unix_stream stream;
        int r = cmio_unix_listener_accept(listener, &stream, NULL);
        if (r == -EAGAIN)
            return 0;
        if (r < 0)
            return r;
        size_t i = 0;
        while (i < MAX_CLIENTS && servers[i].in_use)
            i++;
        if (i == MAX_CLIENTS) {
            (void)cmio_unix_stream_close(&stream);
            continue;
        }
#ifdef CMIO_HAVE_UNIX_STREAM_PEER_CRED /* absent where the platform cannot tell (mio's cfg) */
        cmio_peer_cred cred;
        if (cmio_unix_stream_peer_cred(&stream, &cred) == 0)
            fprintf(stderr, "unix_echo: accepted a client (pid %ld, uid %ld, gid %ld)\n",
                    (long)cred.pid, (long)cred.uid, (long)cred.gid);
#endif
        struct server_conn *s = &servers[i];
        memset(s, 0, sizeof *s);
        s->stream = stream;
        r = cmio_unix_stream_register(&s->stream, registry, TOKEN_SERVER_BASE + i,
                                      CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE);
        if (r < 0) {
            (void)cmio_unix_stream_close(&s->stream);
            return r;
        }
        s->in_use = true;
    }
}

int main(int argc, char **argv)
{
    char path[CMIO_UNIX_PATH_MAX + 1] = "";
    unsigned long nclients = 4, nmessages = 100;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            nclients = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--messages") == 0 && i + 1 < argc)
            nmessages = strtoul(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && strlen(argv[i]) <= CMIO_UNIX_PATH_MAX)
            snprintf(path, sizeof path, "%s", argv[i]);
        else {
            fprintf(stderr, "usage: unix_echo [PATH] [--clients N] [--messages M]\n");
            return 2;
        }
    }
    if (nclients < 1 || nclients > MAX_CLIENTS || nmessages < 1 || nmessages > 1000000) {
        fprintf(stderr, "unix_echo: 1..%d clients and 1..1000000 messages\n", MAX_CLIENTS);
        return 2;
    }
    if (path[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        int n = snprintf(path, sizeof path, "%s/cmio-unix-echo-%ld.sock",
                         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", (long)getpid());
        if (n < 0 || (size_t)n >= sizeof path) {
            fprintf(stderr, "unix_echo: $TMPDIR is too long for a socket path\n");
            return 2;
        }
    }

    cmio_poll *poll = NULL;
    cmio_events *events = NULL;
    cmio_unix_listener listener = CMIO_UNIX_LISTENER_INIT;
    int r, status = 1;
    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, 64)) < 0)
        return fail("poll", r);
    cmio_registry *registry = cmio_poll_registry(poll);

    if ((r = cmio_unix_listener_bind(&listener, path)) < 0) {
        status = fail(path, r);
        goto out;
    }
    if ((r = cmio_unix_listener_register(&listener, registry, TOKEN_LISTENER,
                                         CMIO_INTEREST_READABLE)) < 0) {
        status = fail("register the listener", r);
        goto out;
    }
    printf("unix_echo: listening on %s\n", path);
    fflush(stdout);

    for (size_t i = 0; i < nclients; i++) {
        struct client *c = &clients[i];
        size_t cap = nmessages * 48, len = 0;
        c->payload = malloc(cap);
        c->got = malloc(cap);
        if (c->payload == NULL || c->got == NULL) {
            status = fail("malloc", -ENOMEM);
            goto out;
        }
        for (unsigned long m = 1; m <= nmessages; m++)
            len += (size_t)snprintf(c->payload + len, cap - len, "client %zu message %lu/%lu\n",
                                    i + 1, m, nmessages);
        c->len = len;
        /* A Unix connect completes at once (or fails: -ECONNREFUSED, -EAGAIN when the backlog is
         * full); the stream is non-blocking from the start. */
        if ((r = cmio_unix_stream_connect(&c->stream, path)) < 0 ||
            (r = cmio_unix_stream_register(&c->stream, registry, TOKEN_CLIENT_BASE + i,
                                           CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE)) < 0) {
            status = fail("connect", r);
            goto out;
        }
    }

    size_t done = 0;
    struct timespec tick = {0, 100 * 1000 * 1000};
    int idle_ms = 0;
    while (done < nclients) {
        r = cmio_poll_poll(poll, events, &tick);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            status = fail("poll", r);
            goto out;
        }
        idle_ms = r == 0 ? idle_ms + 100 : 0;
        if (idle_ms >= WAIT_MS) {
            status = fail("no progress for 5 s", -ETIMEDOUT);
            goto out;
        }
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            cmio_token t = cmio_event_token(e);
            r = 0;
            if (t == TOKEN_LISTENER) {
                r = accept_all(&listener, registry);
            } else if (t >= TOKEN_CLIENT_BASE && t < TOKEN_CLIENT_BASE + nclients) {
                struct client *c = &clients[t - TOKEN_CLIENT_BASE];
                r = c->done ? 0 : client_ready(c);
                if (r == 0 && c->done)
                    done++;
            } else if (t >= TOKEN_SERVER_BASE && t < TOKEN_SERVER_BASE + MAX_CLIENTS) {
                struct server_conn *s = &servers[t - TOKEN_SERVER_BASE];
                r = s->in_use ? server_ready(s) : 0;
            }
            if (r < 0) {
                status = fail(r == -EPROTO ? "the echo differs from what was sent" : "I/O", r);
                goto out;
            }
        }
    }
    size_t bytes = 0;
    for (size_t i = 0; i < nclients; i++)
        bytes += clients[i].len;
    printf("unix_echo: OK: %lu clients each got their %lu messages back (%zu bytes in all)\n",
           nclients, nmessages, bytes);
    status = 0;

out:
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
        (void)cmio_unix_stream_close(&clients[i].stream); /* -EBADF when already closed */
        free(clients[i].payload);
        free(clients[i].got);
        if (servers[i].in_use)
            (void)cmio_unix_stream_close(&servers[i].stream);
    }
    if (cmio_unix_listener_close(&listener) == 0)
        unlink(path); /* a pathname socket stays in the filesystem until removed */
    cmio_events_free(events);
    cmio_poll_free(poll);
    return status;
}
