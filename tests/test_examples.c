/* SPDX-License-Identifier: MIT */
/* cmio tests — the examples users copy keep working under stress: examples/tcp_server.c serves
 * clients again after running out of file descriptors (an accept error must not stop an
 * edge-triggered accept loop for good). Runs the real example binary ($CMIO_EXAMPLES, set by the
 * Makefile) with a small RLIMIT_NOFILE. */
#include <cmio/cmio.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "test_util.h"

struct server {
    pid_t pid;
    int out; /* its stdout */
    struct sockaddr_in addr;
};

/* Starts tcp_server on an ephemeral port with at most `nofile` fds; reads its address. */
static void server_start(struct server *s, rlim_t nofile)
{
    const char *dir = getenv("CMIO_EXAMPLES");
    if (dir == NULL || *dir == '\0') {
        print_message("skipped: CMIO_EXAMPLES (the examples' build folder) is not set\n");
        skip();
    }
    char bin[4096];
    snprintf(bin, sizeof bin, "%s/tcp_server", dir);
    assert_int_equal(access(bin, X_OK), 0);
    int p[2];
    assert_int_equal(test_pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        int devnull =
            open(getenv("CMIO_TEST_SERVER_LOG") ? getenv("CMIO_TEST_SERVER_LOG") : "/dev/null",
                 O_WRONLY | O_CREAT, 0600);
        dup2(devnull, 2);
        for (int fd = 3; fd < 4096; fd++) /* only what the server opens counts against its limit */
            close(fd);
        struct rlimit rl = {nofile, nofile};
        setrlimit(RLIMIT_NOFILE, &rl);
        /* Through sh's ulimit as well: under valgrind (make test-valgrind) this process's
         * setrlimit only changes valgrind's emulated limit, not what the exec'd server gets. */
        char cmd[64];
        snprintf(cmd, sizeof cmd, "ulimit -n %lu && exec \"$0\" 0", (unsigned long)nofile);
        execl("/bin/sh", "sh", "-c", cmd, bin, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    s->pid = pid;
    s->out = p[0];
    char line[256];
    size_t len = 0;
    while (len < sizeof line - 1 && (len == 0 || line[len - 1] != '\n')) {
        assert_true(test_fd_wait(s->out, POLLIN) & (POLLIN | POLLHUP));
        ssize_t n = read(s->out, line + len, sizeof line - 1 - len);
        assert_true(n > 0);
        len += (size_t)n;
    }
    line[len] = '\0';
    unsigned port = 0;
    assert_int_equal(sscanf(line, "listening on 127.0.0.1:%u", &port), 1);
    memset(&s->addr, 0, sizeof s->addr);
    s->addr.sin_family = AF_INET;
    s->addr.sin_port = htons((uint16_t)port);
    s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void server_stop(struct server *s)
{
    assert_int_equal(kill(s->pid, SIGTERM), 0);
    int status = 0;
    int64_t deadline = test_deadline();
    pid_t r;
    while ((r = waitpid(s->pid, &status, WNOHANG)) == 0 && test_now_ns() < deadline)
        test_sleep_ms(10);
    if (r == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        fail_msg("tcp_server ignored SIGTERM");
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(s->out);
}

/* A connected blocking client socket. */
static int client_connect(const struct server *s)
{
    int fd = test_socket(AF_INET, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (const struct sockaddr *)&s->addr, sizeof s->addr), 0);
    return fd;
}

/* What the server does with this client within TEST_WAIT_MS: 1 = echoed "ping", 0 = closed the
 * connection (EOF or reset), -1 = nothing at all (the client would hang). */
static int client_outcome(int fd)
{
    if (send(fd, "ping", 4, MSG_NOSIGNAL) != 4)
        return 0;
    char buf[8];
    size_t got = 0;
    while (got < 4) {
        if (!(test_fd_wait(fd, POLLIN) & (POLLIN | POLLHUP | POLLERR)))
            return -1;
        ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
        if (n <= 0)
            return 0;
        got += (size_t)n;
    }
    return memcmp(buf, "ping", 4) == 0 ? 1 : 0;
}

/* The server runs out of fds after two connections: further clients are closed at once (not left
 * hanging in the backlog), and once a connection ends new clients are served again. */
static void test_tcp_server_survives_fd_exhaustion(void **state)
{
    (void)state;
    TEST_SKIP_UNDER("qemu", "the example binary cannot be exec'd without the emulator");
    TEST_SKIP_LIBKQUEUE(TEST_LIBKQUEUE_FDS); /* the fd budget below is a kernel kqueue's */
    /* stdin/out/err + poll + waker + listener + the reserve socket, then room for two clients. */
    int base = 3 + test_poll_fds() + test_waker_fds() + 1 + 1;
    struct server s;
    server_start(&s, (rlim_t)base + 2);

    int c1 = client_connect(&s), c2 = client_connect(&s);
    assert_int_equal(client_outcome(c1), 1);
    assert_int_equal(client_outcome(c2), 1);
    for (int i = 0; i < 3; i++) { /* no fd left for these: each is closed, none hangs */
        int c = client_connect(&s);
        assert_int_equal(client_outcome(c), 0);
        close(c);
    }
    assert_int_equal(client_outcome(c1), 1); /* the first two are still served */

    close(c1); /* frees one fd on the server once it sees the end of that connection */
    int served = 0;
    int64_t deadline = test_deadline();
    while (!served && test_now_ns() < deadline) {
        int c = client_connect(&s);
        served = client_outcome(c) == 1;
        close(c);
        if (!served)
            test_sleep_ms(10);
    }
    assert_true(served);
    assert_int_equal(client_outcome(c2), 1);
    close(c2);
    server_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_server_survives_fd_exhaustion),
    };
    alarm(TEST_WATCHDOG_S);
    return cmocka_run_group_tests_name("examples", tests, NULL, NULL);
}
