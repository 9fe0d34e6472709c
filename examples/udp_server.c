/* SPDX-License-Identifier: MIT */
/* udp_server — an edge-triggered UDP echo server (mio's examples/udp_server.rs in C).
 *
 *   udp_server [PORT]
 *
 * Binds 127.0.0.1:PORT (default 9000; 0 picks a free port), prints exactly one line
 * "listening on 127.0.0.1:PORT" on stdout once it is bound, then sends every datagram back to
 * its sender. Try it with `nc -u 127.0.0.1 9000`: whatever you type comes back. It exits cleanly
 * (status 0) on SIGINT or SIGTERM, and prints how many datagrams it echoed on stderr.
 *
 * As in mio's example: one socket, one token, an events buffer of one, and on every readable
 * event a loop of recv_from until -EAGAIN (edge-triggered: the next event only comes after the
 * socket reported -EAGAIN). A reply that cannot be sent right away (-EAGAIN: the send buffer is
 * full) is dropped, as UDP may drop it anyway.
 */
#include <cmio/cmio.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_UDP ((cmio_token)0)
#define TOKEN_WAKER ((cmio_token)1)

/* SIGINT/SIGTERM: a flag and a wake (cmio_waker_wake is async-signal-safe). */
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

static bool parse_port(const char *s, uint16_t *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

int main(int argc, char **argv)
{
    uint16_t port = 9000;
    if (argc > 2 || (argc == 2 && !parse_port(argv[1], &port))) {
        fprintf(stderr, "usage: udp_server [PORT]   (PORT default 9000, 0 = any)\n");
        return 2;
    }

    cmio_poll *poll = NULL;
    cmio_events *events = NULL;
    cmio_udp_socket sock = CMIO_UDP_SOCKET_INIT; /* all zero: empty */
    cmio_waker *new_waker = NULL;
    cmio_sockaddr addr;
    char text[CMIO_SOCKADDR_STRLEN];
    static char buf[1 << 16]; /* the largest UDP payload fits */
    unsigned long echoed = 0, dropped = 0;
    int status = 1, r;

    /* Two events at most per poll: the socket and the waker. */
    if ((r = cmio_poll_new(&poll)) < 0 || (r = cmio_events_new(&events, 2)) < 0) {
        fprintf(stderr, "udp_server: poll: %s\n", cmio_strerror(r));
        goto out;
    }
    cmio_registry *registry = cmio_poll_registry(poll);
    if ((r = cmio_waker_new(&new_waker, registry, TOKEN_WAKER)) < 0) {
        fprintf(stderr, "udp_server: waker: %s\n", cmio_strerror(r));
        goto out;
    }
    waker = new_waker;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    const uint8_t loopback[4] = {127, 0, 0, 1};
    cmio_sockaddr_ipv4(&addr, loopback, port);
    if ((r = cmio_udp_socket_bind(&sock, &addr)) < 0 ||
        (r = cmio_udp_socket_local_addr(&sock, &addr)) < 0 ||
        (r = cmio_udp_socket_register(&sock, registry, TOKEN_UDP, CMIO_INTEREST_READABLE)) < 0) {
        fprintf(stderr, "udp_server: bind port %u: %s\n", (unsigned)port, cmio_strerror(r));
        goto out;
    }
    cmio_sockaddr_format(&addr, text, sizeof text);
    printf("listening on %s\n", text);
    fflush(stdout);
    fprintf(stderr, "udp_server: try it with: nc -u %s %u\n", "127.0.0.1",
            (unsigned)cmio_sockaddr_port(&addr));

    while (!stop_requested) {
        r = cmio_poll_poll(poll, events, NULL);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "udp_server: poll: %s\n", cmio_strerror(r));
            goto out;
        }
        for (size_t i = 0; i < cmio_events_len(events); i++) {
            const cmio_event *e = cmio_events_get(events, i);
            if (cmio_event_token(e) != TOKEN_UDP)
                continue; /* the waker: the loop condition sees stop_requested */
            /* Receive every queued datagram: stop only on -EAGAIN. */
            for (;;) {
                cmio_sockaddr from;
                ssize_t n = cmio_udp_socket_recv_from(&sock, buf, sizeof buf, &from);
                if (n == -EAGAIN)
                    break;
                if (n < 0) {
                    fprintf(stderr, "udp_server: recv_from: %s\n", cmio_strerror((int)n));
                    goto out;
                }
                ssize_t sent = cmio_udp_socket_send_to(&sock, buf, (size_t)n, &from);
                if (sent == (ssize_t)n) {
                    echoed++;
                } else {
                    dropped++; /* -EAGAIN (send buffer full) or an unreachable sender */
                    cmio_sockaddr_format(&from, text, sizeof text);
                    fprintf(stderr, "udp_server: reply to %s dropped: %s\n", text,
                            sent < 0 ? cmio_strerror((int)sent) : "short send");
                }
            }
        }
    }
    fprintf(stderr, "udp_server: stopping on signal; echoed %lu datagrams, dropped %lu\n", echoed,
            dropped);
    status = 0;

out:
    (void)cmio_udp_socket_close(&sock); /* -EBADF if it was never opened: harmless */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    waker = NULL;
    cmio_waker_free(new_waker);
    cmio_events_free(events);
    cmio_poll_free(poll);
    return status;
}
