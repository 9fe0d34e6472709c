/* SPDX-License-Identifier: MIT */
/* echo_libuv — the benchmark's echo server on libuv (uv_tcp, uv_pipe, uv_udp, uv_signal).
 *
 *   echo_libuv --tcp HOST:PORT | --unix PATH | --udp HOST:PORT [--drain]
 *
 * Binds (port 0 picks a free port; a Unix PATH is unlinked first, and libuv unlinks it when the
 * pipe is closed), prints exactly one line "ready ADDRESS" on stdout, then echoes on one thread:
 *   - libuv accepts every pending connection (its listener loops accept(2) until EAGAIN and calls
 *     the connection callback once per connection; we uv_accept each one);
 *   - uv_read_start with an alloc_cb that hands out the connection's own 64 KiB buffer; read_cb
 *     sends the bytes back with uv_try_write, and only a remainder goes to uv_write (whose request
 *     is embedded in the connection, so nothing is allocated per event). While that remainder is
 *     queued the connection is uv_read_stop()ped; the write callback starts reading again;
 *   - UDP: uv_udp_recv_start with a 64 KiB buffer; each datagram is sent back to its sender with
 *     uv_udp_try_send. A datagram whose send would block is dropped, as UDP may.
 * SIGTERM or SIGINT (uv_signal) close every handle; uv_run returns, the loop is closed, exit 0.
 *
 * How much libuv reads per readable event is libuv's decision, and it has no option for it:
 *   - streams (libuv 1.44 src/unix/stream.c uv__read): it calls read(2) with the 64 KiB that
 *     alloc_cb gives, at most 32 times per event, and stops after the first short read (fewer
 *     bytes than the buffer) — the protocol's default mode. --drain is accepted and ignored: libuv
 *     cannot be told to read on to EAGAIN (it reads again on the next loop iteration, as its
 *     epoll use is level-triggered).
 *   - UDP (src/unix/udp.c uv__udp_recvmsg): it calls recvmsg(2) until EAGAIN, at most 32 datagrams
 *     per event, with or without --drain (recvmmsg is used only with UV_UDP_RECVMMSG, not set
 * here).
 */
#define _GNU_SOURCE /* uv.h needs pthread_rwlock_t and friends under -std=c11 */
#include <uv.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (64 * 1024)
#define BACKLOG 1024 /* what mio's TcpListener::bind and UnixListener::bind use */

enum mode { MODE_TCP, MODE_UNIX, MODE_UDP };

struct conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;                /* h.handle.data points back to the connection */
    uv_write_t wreq;    /* the one write that may be pending */
    char buf[BUF_SIZE]; /* what alloc_cb hands out, and what wreq writes from */
};

static enum mode mode;
static uv_loop_t loop;
static union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
    uv_udp_t udp;
} server;
static char dgram[BUF_SIZE];

static void die(const char *what, int err)
{
    fprintf(stderr, "echo_libuv: %s: %s\n", what, uv_strerror(err));
    exit(1);
}

/* ---- connections --------------------------------------------------------------------------- */

static void on_close(uv_handle_t *handle)
{
    free(handle->data); /* a connection; the server and signal handles have no data */
}

static void conn_close(struct conn *c)
{
    if (!uv_is_closing(&c->h.handle))
        uv_close(&c->h.handle, on_close);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = handle->data;
    (void)suggested;
    *buf = uv_buf_init(c->buf, sizeof c->buf);
}

static void on_read(uv_stream_t *, ssize_t, const uv_buf_t *);

static void on_write(uv_write_t *req, int status)
{
    struct conn *c = req->data;
    if (status < 0 || uv_read_start(&c->h.stream, on_alloc, on_read) < 0)
        conn_close(c);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = stream->data;
    if (nread < 0) { /* UV_EOF or an error */
        conn_close(c);
        return;
    }
    if (nread == 0) /* EAGAIN */
        return;
    uv_buf_t out = uv_buf_init(buf->base, (unsigned int)nread);
    int n = uv_try_write(stream, &out, 1);
    if (n == nread)
        return;
    if (n < 0 && n != UV_EAGAIN) {
        conn_close(c);
        return;
    }
    if (n > 0)
        out = uv_buf_init(buf->base + n, (unsigned int)(nread - n));
    /* Read nothing more until the rest, which lives in c->buf, has been written. */
    uv_read_stop(stream);
    c->wreq.data = c;
    if (uv_write(&c->wreq, stream, &out, 1, on_write) < 0)
        conn_close(c);
}

static void on_connection(uv_stream_t *listener, int status)
{
    if (status < 0) {
        fprintf(stderr, "echo_libuv: listen: %s\n", uv_strerror(status));
        return;
    }
    struct conn *c = malloc(sizeof *c);
    if (c == NULL)
        die("malloc", UV_ENOMEM);
    int err = mode == MODE_TCP ? uv_tcp_init(&loop, &c->h.tcp) : uv_pipe_init(&loop, &c->h.pipe, 0);
    if (err < 0) {
        free(c);
        return;
    }
    c->h.handle.data = c;
    if (uv_accept(listener, &c->h.stream) < 0 || uv_read_start(&c->h.stream, on_alloc, on_read) < 0)
        conn_close(c);
}

/* ---- UDP ----------------------------------------------------------------------------------- */

static void on_dgram_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    (void)suggested;
    *buf = uv_buf_init(dgram, sizeof dgram);
}

static void on_dgram(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                     unsigned flags)
{
    (void)flags;
    if (nread < 0 || addr == NULL) /* an error, or nothing more to read (addr NULL) */
        return;
    uv_buf_t out = uv_buf_init(buf->base, (unsigned int)nread);
    uv_udp_try_send(udp, &out, 1, addr); /* UV_EAGAIN: dropped */
}

/* ---- main ---------------------------------------------------------------------------------- */

static void close_walk(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, on_close);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    (void)signum;
    uv_walk(sig->loop, close_walk, NULL);
}

/* Parses "A.B.C.D:PORT" or "[V6]:PORT" into ss. Returns 0, or a libuv error. */
static int parse_inet(const char *s, struct sockaddr_storage *ss)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon[1] == '\0')
        return UV_EINVAL;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || port > 65535)
        return UV_EINVAL;
    char host[64];
    size_t hlen = (size_t)(colon - s);
    if (hlen >= sizeof host)
        return UV_EINVAL;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        return uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)ss);
    }
    return uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss);
}

static void print_ready_inet(const struct sockaddr_storage *ss)
{
    char host[64];
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        uv_ip6_name(sin6, host, sizeof host);
        printf("ready [%s]:%u\n", host, ntohs(sin6->sin6_port));
    } else {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        uv_ip4_name(sin, host, sizeof host);
        printf("ready %s:%u\n", host, ntohs(sin->sin_port));
    }
}

static int usage(void)
{
    fprintf(stderr,
            "usage: echo_libuv --tcp HOST:PORT | --unix PATH | --udp HOST:PORT [--drain]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *addr = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--drain") == 0) {
            /* accepted and ignored: see the header comment */
        } else if (i + 1 < argc && addr == NULL &&
                   (strcmp(argv[i], "--tcp") == 0 || strcmp(argv[i], "--unix") == 0 ||
                    strcmp(argv[i], "--udp") == 0)) {
            mode = strcmp(argv[i], "--tcp") == 0    ? MODE_TCP
                   : strcmp(argv[i], "--unix") == 0 ? MODE_UNIX
                                                    : MODE_UDP;
            addr = argv[++i];
        } else {
            return usage();
        }
    }
    if (addr == NULL)
        return usage();
    signal(SIGPIPE, SIG_IGN);

    int err = uv_loop_init(&loop);
    if (err < 0)
        die("uv_loop_init", err);

    struct sockaddr_storage ss;
    int sslen = (int)sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (mode == MODE_UNIX) {
        remove(addr);
        if ((err = uv_pipe_init(&loop, &server.pipe, 0)) < 0 ||
            (err = uv_pipe_bind(&server.pipe, addr)) < 0)
            die(addr, err);
    } else {
        if ((err = parse_inet(addr, &ss)) < 0)
            die(addr, err);
        if (mode == MODE_TCP) {
            if ((err = uv_tcp_init(&loop, &server.tcp)) < 0 ||
                (err = uv_tcp_bind(&server.tcp, (struct sockaddr *)&ss, 0)) < 0 ||
                (err = uv_tcp_getsockname(&server.tcp, (struct sockaddr *)&ss, &sslen)) < 0)
                die(addr, err);
        } else {
            if ((err = uv_udp_init(&loop, &server.udp)) < 0 ||
                (err = uv_udp_bind(&server.udp, (struct sockaddr *)&ss, 0)) < 0 ||
                (err = uv_udp_getsockname(&server.udp, (struct sockaddr *)&ss, &sslen)) < 0)
                die(addr, err);
        }
    }
    if (mode == MODE_UDP)
        err = uv_udp_recv_start(&server.udp, on_dgram_alloc, on_dgram);
    else
        err = uv_listen(&server.stream, BACKLOG, on_connection);
    if (err < 0)
        die(addr, err);
    if (mode == MODE_UNIX)
        printf("ready %s\n", addr);
    else
        print_ready_inet(&ss);
    fflush(stdout);

    uv_signal_t sigterm, sigint;
    uv_signal_init(&loop, &sigterm);
    uv_signal_init(&loop, &sigint);
    sigterm.data = sigint.data = NULL; /* not connections: on_close frees nothing for them */
    if ((err = uv_signal_start(&sigterm, on_signal, SIGTERM)) < 0 ||
        (err = uv_signal_start(&sigint, on_signal, SIGINT)) < 0)
        die("uv_signal_start", err);

    uv_run(&loop, UV_RUN_DEFAULT); /* returns once on_signal has closed every handle */
    err = uv_loop_close(&loop);
    if (err < 0)
        die("uv_loop_close", err);
    return 0;
}
