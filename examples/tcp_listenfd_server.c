/* SPDX-License-Identifier: MIT */
/* tcp_listenfd_server — a TCP server on a listener it inherits (mio's
 * examples/tcp_listenfd_server.rs in C).
 *
 *   LISTEN_FDS=1 tcp_listenfd_server          the listener is fd 3 (systemd socket activation,
 *                                             systemfd, wasmtime --tcplisten, …)
 *   tcp_listenfd_server --fd N                the listener is fd N
 *   tcp_listenfd_server ... [--max-conns N]   exit after N connections have closed
 *
 * As mio's: it greets each connection with "Hello world!\n", then prints whatever the peer sends
 * ("Received data: ...") and "Connection closed" when the peer closes. With LISTEN_PID set (as
 * systemd sets it), the fds are only taken when it names this process. The inherited socket is
 * adopted with cmio_tcp_listener_from_fd(), which makes it non-blocking; the program exits
 * cleanly (status 0) on SIGINT or SIGTERM.
 *
 * Try it:  systemfd --no-pid -s http::9000 -- ./tcp_listenfd_server    then: nc 127.0.0.1 9000
 */
#include <cmio/cmio.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3 /* the first inherited fd (sd_listen_fds(3)) */
#define TOKEN_SERVER ((cmio_token)0)
#define TOKEN_WAKER ((cmio_token)1)
#define TOKEN_FIRST_CONN ((cmio_token)2)
#define MAX_CONNS 32

static const char DATA[] = "Hello world!\n";

struct conn {
    bool in_use;
    cmio_token token;
    cmio_tcp_stream stream;
};
static struct conn conns[MAX_CONNS];

static volatile sig_atomic_t stop_requested;
static cmio_waker *volatile waker;

static void on_signal(int sig)
{
    int saved_errno = errno;
    (void)sig;
    stop_requested = 1;
    if (waker != NULL)
        (void)cmio_waker_wake(waker);
    errno = saved_errno;
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

/* The listener's fd from the environment (LISTEN_FDS, LISTEN_PID), or -1 with a message. */
static int listen_fd_from_env(void)
{
    const char *fds = getenv("LISTEN_FDS");
    const char *pid = getenv("LISTEN_PID");
    unsigned long n, p;
    if (fds == NULL) {
        fprintf(stderr, "tcp_listenfd_server: LISTEN_FDS environment variable unset "
                        "(or pass --fd N)\n");
        return -1;
    }
    if (!parse_ulong(fds, 1024, &n) || n < 1) {
        fprintf(stderr, "tcp_listenfd_server: LISTEN_FDS=%s: no fd passed\n", fds);
        return -1;
    }
    if (pid != NULL && (!parse_ulong(pid, 0x7fffffff, &p) || (pid_t)p != getpid())) {
        fprintf(stderr, "tcp_listenfd_server: LISTEN_PID=%s is not this process\n", pid);
        return -1;
    }
    /* As sd_listen_fds(3) does: the variables are for this process only. */
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDNAMES");
    return SD_LISTEN_FDS_START;
}

static struct conn *find_conn(cmio_token token)
{
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (conns[i].in_use && conns[i].token == token)
            return &conns[i];
    return NULL;
}

/* mio's handle_connection_event: true when the connection is done. */
static bool handle_connection_event(cmio_registry *registry, struct conn *c, const cmio_event *e)
{
    if (cmio_event_is_writable(e)) {
        ssize_t n = cmio_tcp_stream_write(&c->stream, DATA, sizeof DATA - 1);
        if (n == (ssize_t)(sizeof DATA - 1)) {
            /* Written: from now on only readable events. */
            int r =
                cmio_tcp_stream_reregister(&c->stream, registry, c->token, CMIO_INTEREST_READABLE);
            if (r < 0) {
                fprintf(stderr, "tcp_listenfd_server: reregister: %s\n", cmio_strerror(r));
                return true;
            }
        } else if (n >= 0) {
            fprintf(stderr, "tcp_listenfd_server: short write\n"); /* mio: WriteZero */
            return true;
        } else if (n != -EAGAIN && n != -EINTR) {
            fprintf(stderr, "tcp_listenfd_server: write: %s\n", cmio_strerror((int)n));
            return true;
        }
    }
    if (cmio_event_is_readable(e)) {
        char buf[4096];
        bool closed = false;
        for (;;) { /* read until -EAGAIN (edge-triggered) or the end of the stream */
            ssize_t n = cmio_tcp_stream_read(&c->stream, buf, sizeof buf);
            if (n == 0) {
                closed = true;
                break;
            }
            if (n == -EAGAIN)
                break;
            if (n == -EINTR)
                continue;
            if (n < 0) {
                fprintf(stderr, "tcp_listenfd_server: read: %s\n", cmio_strerror((int)n));
                return true;
            }
            size_t len = (size_t)n;
            while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
                len--; /* mio prints str_buf.trim_end() */
            printf("Received data: %.*s\n", (int)len, buf);
        }
        if (closed) {
            printf("Connection closed\n");
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    unsigned long fd_arg = 0, max_conns = 0;
    bool have_fd = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc &&
            parse_ulong(argv[i + 1], 65535, &fd_arg)) {
            have_fd = true;
            i++;
        } else if (strcmp(argv[i], "--max-conns") == 0 && i + 1 < argc &&
                   parse_ulong(argv[i + 1], 1000000000ul, &max_conns) && max_conns > 0) {
            i++;
        } else {
            fprintf(stderr, "usage: LISTEN_FDS=1 tcp_listenfd_server [--max-conns N]\n"
                            "       tcp_listenfd_server --fd N [--max-conns N]\n");
            return 2;
        }
    }
    int fd = have_fd ? (int)fd_arg : listen_fd_from_env();
    if (fd < 0)
        return 2;

    cmio_poll *poll = NULL;
    cmio_events *events = NULL;
    cmio_tcp_listener server = CMIO_TCP_LISTENER_INIT;
    cmio_waker *new_waker = NULL;
    unsigned long closed = 0;
    int status = 1, r;

    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, 128)) < 0) {
        fprintf(stderr, "tcp_listenfd_server: poll: %s\n", cmio_strerror(r));
        return 1;
    }
    cmio_registry *registry = cmio_poll_registry(poll);
    if ((r = cmio_waker_new(&new_waker, registry, TOKEN_WAKER)) < 0) {
        fprintf(stderr, "tcp_listenfd_server: waker: %s\n", cmio_strerror(r));
        goto out;
    }
    waker = new_waker;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* Take over the inherited listener: from here on cmio owns (and closes) the fd. */
    if ((r = cmio_tcp_listener_from_fd(&server, fd)) < 0) {
        fprintf(stderr, "tcp_listenfd_server: fd %d: %s\n", fd, cmio_strerror(r));
        goto out;
    }
    cmio_sockaddr addr;
    char text[CMIO_SOCKADDR_STRLEN];
    printf("Using preopened socket FD %d\n", fd);
    printf("You can connect to the server using `nc`:\n");
    if (cmio_tcp_listener_local_addr(&server, &addr) == 0 &&
        cmio_sockaddr_format(&addr, text, sizeof text) > 0) {
        /* "127.0.0.1:9000" or "[::1]:9000": nc takes the address and the port apart. */
        *strrchr(text, ':') = '\0';
        bool v6 = text[0] == '[';
        if (v6)
            text[strlen(text) - 1] = '\0';
        printf(" $ nc %s %u\n", v6 ? text + 1 : text, (unsigned)cmio_sockaddr_port(&addr));
    } else
        printf(" $ nc <IP> <PORT>\n");
    printf("You'll see our welcome message and anything you type will be printed here.\n");
    fflush(stdout);
    if ((r = cmio_tcp_listener_register(&server, registry, TOKEN_SERVER, CMIO_INTEREST_READABLE)) <
        0) {
        fprintf(stderr, "tcp_listenfd_server: register: %s\n", cmio_strerror(r));
        goto out;
    }

    cmio_token unique_token = TOKEN_FIRST_CONN;
    while (!stop_requested && (max_conns == 0 || closed < max_conns)) {
        r = cmio_poll_poll(poll, events, NULL);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "tcp_listenfd_server: poll: %s\n", cmio_strerror(r));
            goto out;
        }
        for (const cmio_event *e = cmio_events_first(events); e; e = cmio_events_next(events, e)) {
            cmio_token token = cmio_event_token(e);
            if (token == TOKEN_SERVER) {
                for (;;) { /* accept until -EAGAIN */
                    cmio_tcp_stream stream;
                    cmio_sockaddr peer;
                    r = cmio_tcp_listener_accept(&server, &stream, &peer);
                    if (r == -EAGAIN)
                        break;
                    if (r == -ECONNABORTED || r == -EINTR)
                        continue;
                    if (r < 0) { /* e.g. -EMFILE: say so and wait for the next connection */
                        fprintf(stderr, "tcp_listenfd_server: accept: %s\n", cmio_strerror(r));
                        break;
                    }
                    size_t slot = 0;
                    while (slot < MAX_CONNS && conns[slot].in_use)
                        slot++;
                    if (slot == MAX_CONNS) {
                        (void)cmio_tcp_stream_close(&stream);
                        continue;
                    }
                    cmio_sockaddr_format(&peer, text, sizeof text);
                    printf("Accepted connection from: %s\n", text);
                    fflush(stdout);
                    struct conn *c = &conns[slot];
                    c->stream = stream; /* a move: `stream` is not used again */
                    c->token = unique_token++;
                    r = cmio_tcp_stream_register(&c->stream, registry, c->token,
                                                 CMIO_INTEREST_WRITABLE);
                    if (r < 0) {
                        fprintf(stderr, "tcp_listenfd_server: register: %s\n", cmio_strerror(r));
                        (void)cmio_tcp_stream_close(&c->stream);
                        continue;
                    }
                    c->in_use = true;
                }
            } else if (token != TOKEN_WAKER) {
                struct conn *c = find_conn(token);
                if (c != NULL && handle_connection_event(registry, c, e)) {
                    (void)cmio_tcp_stream_close(&c->stream); /* deregisters too */
                    c->in_use = false;
                    closed++;
                }
                fflush(stdout);
            }
        }
    }
    fprintf(stderr, "tcp_listenfd_server: %s; %lu connections closed\n",
            stop_requested ? "stopping on signal" : "connection limit reached", closed);
    status = 0;

out:
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (conns[i].in_use)
            (void)cmio_tcp_stream_close(&conns[i].stream);
    (void)cmio_tcp_listener_close(&server);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    waker = NULL;
    cmio_waker_free(new_waker);
    cmio_events_free(events);
    cmio_poll_free(poll);
    return status;
}
