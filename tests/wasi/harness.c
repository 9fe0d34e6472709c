/* SPDX-License-Identifier: MIT */
/* cmio WASI row — the native harness: plays the part of `wasmtime run --tcplisten` and of the
 * clients.
 *
 *   harness HOST [ARG...]
 *
 * It binds a TCP listener to 127.0.0.1 on an ephemeral port and runs HOST (the WASI host with the
 * translated guest, host.c) with that listener as fd 3 and a pipe as stdout. It copies the guest's
 * lines to its own stdout; on "@clients N SIZE" (protocol.h) it opens N connections at once, sends
 * each one's SIZE bytes while reading the echo, checks every byte, shuts down its write half and
 * expects end of stream. Each client is one check; so is the guest's run itself (it must end
 * without a trap and print its "N passed, N failed" line). The last line is
 * "harness: N passed, N failed"; the exit status is 0 when nothing failed. */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

#define CLIENT_WAIT_MS 60000 /* everything one "@clients" request may take */
#define MAX_CLIENTS 1024

static int checks_passed, checks_failed;
static struct sockaddr_in server;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct client {
    int fd;
    size_t sent, received;
    bool shut, done;
    const char *failure; /* NULL while fine */
};

static void fail(struct client *c, const char *why)
{
    if (c->failure == NULL)
        c->failure = why;
    c->done = true;
}

/* Sends what the socket takes of client i's remaining bytes. */
static void client_send(struct client *c, unsigned i, size_t size)
{
    uint8_t buf[16384];
    while (c->sent < size) {
        size_t n = size - c->sent < sizeof(buf) ? size - c->sent : sizeof(buf);
        for (size_t k = 0; k < n; k++)
            buf[k] = pattern_byte(i, c->sent + k);
        ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EINTR)
                fail(c, strerror(errno));
            return;
        }
        c->sent += (size_t)w;
    }
}

/* Reads and checks what arrived; at the end of the echo shuts down the write half; then waits for
 * end of stream. */
static void client_recv(struct client *c, unsigned i, size_t size)
{
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                fail(c, strerror(errno));
            return;
        }
        if (n == 0) {
            if (c->received == size && c->shut)
                c->done = true;
            else
                fail(c, "end of stream before the whole echo");
            return;
        }
        if (c->received + (size_t)n > size) {
            fail(c, "more bytes echoed than sent");
            return;
        }
        for (ssize_t k = 0; k < n; k++) {
            if (buf[k] != pattern_byte(i, c->received + (size_t)k)) {
                fail(c, "echoed bytes differ from the bytes sent");
                return;
            }
        }
        c->received += (size_t)n;
        if (c->received == size && !c->shut) {
            if (shutdown(c->fd, SHUT_WR) < 0) {
                fail(c, strerror(errno));
                return;
            }
            c->shut = true;
        }
    }
}

/* "@clients N SIZE": N clients at once, each one check. */
static void run_clients(unsigned n, size_t size)
{
    static struct client cl[MAX_CLIENTS];
    static struct pollfd pfd[MAX_CLIENTS];
    if (n == 0 || n > MAX_CLIENTS) {
        printf("harness: bad request: %u clients\n", n);
        checks_failed++;
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        memset(&cl[i], 0, sizeof(cl[i]));
        cl[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (cl[i].fd < 0 || (connect(cl[i].fd, (struct sockaddr *)&server, sizeof(server)) < 0 &&
                             errno != EINPROGRESS))
            fail(&cl[i], strerror(errno));
    }
    int64_t end = now_ms() + CLIENT_WAIT_MS;
    for (;;) {
        unsigned active = 0;
        for (unsigned i = 0; i < n; i++) {
            pfd[i].fd = cl[i].done ? -1 : cl[i].fd;
            pfd[i].events = (short)(POLLIN | (cl[i].sent < size ? POLLOUT : 0));
            pfd[i].revents = 0;
            active += !cl[i].done;
        }
        int64_t left = end - now_ms();
        if (active == 0 || left <= 0)
            break;
        int r = poll(pfd, n, (int)left);
        if (r < 0 && errno != EINTR) {
            perror("harness: poll");
            break;
        }
        for (unsigned i = 0; i < n && r > 0; i++) {
            if (pfd[i].revents == 0)
                continue;
            if (pfd[i].revents & POLLOUT)
                client_send(&cl[i], i, size);
            if (!cl[i].done && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                client_recv(&cl[i], i, size);
        }
    }
    unsigned ok = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!cl[i].done)
            fail(&cl[i], "timed out");
        if (cl[i].failure == NULL) {
            ok++;
        } else {
            printf("harness: client %u of %u (%zu bytes): %s (sent %zu, echoed %zu)\n", i, n, size,
                   cl[i].failure, cl[i].sent, cl[i].received);
        }
        if (cl[i].fd >= 0)
            close(cl[i].fd);
    }
    printf("harness: %u clients of %zu bytes: %u echoed whole and closed, %u failed\n", n, size, ok,
           n - ok);
    fflush(stdout);
    checks_passed += (int)ok;
    checks_failed += (int)(n - ok);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s HOST [ARG...]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    server.sin_family = AF_INET;
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(server);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&server, sizeof(server)) < 0 ||
        listen(lfd, 128) < 0 || getsockname(lfd, (struct sockaddr *)&server, &len) < 0) {
        perror("harness: listener on 127.0.0.1");
        return 1;
    }
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0) {
        perror("harness: pipe");
        return 1;
    }
    printf("harness: listening on 127.0.0.1:%u, passed to the guest as fd %d\n",
           ntohs(server.sin_port), WASI_LISTEN_FD);
    fflush(stdout);

    pid_t pid = fork();
    if (pid < 0) {
        perror("harness: fork");
        return 1;
    }
    if (pid == 0) {
        /* The guest's stdout is the pipe; its fd 3 is the listener (not close-on-exec). */
        if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(lfd, WASI_LISTEN_FD) < 0) {
            perror("harness: dup2");
            _exit(127);
        }
        if (lfd != WASI_LISTEN_FD)
            close(lfd);
        execv(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    close(out[1]);
    close(lfd); /* the guest holds the only listener: if it dies, clients are refused at once */

    FILE *in = fdopen(out[0], "r");
    char *line = NULL;
    size_t cap = 0;
    bool summary = false;
    while (in != NULL && getline(&line, &cap, in) > 0) {
        fputs(line, stdout);
        fflush(stdout);
        unsigned n;
        size_t size;
        int a, b;
        if (strncmp(line, WASI_CLIENTS_CMD, strlen(WASI_CLIENTS_CMD)) == 0) {
            if (sscanf(line + strlen(WASI_CLIENTS_CMD), "%u %zu", &n, &size) == 2) {
                run_clients(n, size);
            } else {
                printf("harness: bad request: %s", line);
                checks_failed++;
            }
        } else if (sscanf(line, "%d passed, %d failed", &a, &b) == 2) {
            summary = true;
        }
    }
    free(line);
    int status;
    if (waitpid(pid, &status, 0) < 0) {
        perror("harness: waitpid");
        return 1;
    }
    /* Exit 0 (all passed) or 1 (some failed, counted by the guest itself) after its summary line;
     * anything else is a trap, a crash or a missing import. */
    bool ran = summary && WIFEXITED(status) && WEXITSTATUS(status) <= 1;
    if (ran) {
        checks_passed++;
    } else {
        checks_failed++;
        if (WIFEXITED(status))
            printf("harness: the guest exited with status %d%s\n", WEXITSTATUS(status),
                   summary ? "" : " without its summary line");
        else
            printf("harness: the host died of signal %d\n", WTERMSIG(status));
    }
    printf("harness: %d passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}
