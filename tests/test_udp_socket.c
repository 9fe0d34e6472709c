/* SPDX-License-Identifier: MIT */
/* cmio tests — cmio_udp_socket: bind, addresses, unconnected and connected datagrams, peeking,
 * truncation, socket options, multicast on loopback, ICMP errors, batches, fd ownership and
 * registration. Everything runs on 127.0.0.1 / ::1 (plus an administratively scoped IPv4 group and
 * a link-scoped IPv6 group, both on lo only) with ephemeral ports; every wait is a bounded event
 * wait (TEST_WAIT_MS), never a sleep.
 *
 * Ordering without timing luck. Some checks need "every datagram sent before this point has been
 * handed to its socket (or dropped)": all 64 datagrams of a batch are queued before ONE recv_batch;
 * a third party's datagram to a connected socket has been dropped; nothing arrives after leaving a
 * group. On loopback the kernel delivers a datagram from the per-CPU backlog of the CPU that sent
 * it, in FIFO order (lo has no RPS by default). udp_pin_begin() pins this thread to its current
 * CPU, so every datagram goes through one backlog; udp_barrier() then sends one more datagram to a
 * fresh socket and waits until that one is readable: everything sent before it has been processed.
 * (Should sched_setaffinity be refused, the checks still hold unless the thread migrates between
 * two sends of a few microseconds — and such a miss can only hide a bug, never fail a good build,
 * except for the batch count, which would then under-count.)
 */
#include <cmio/cmio.h>

#include <stdio.h>
#include <string.h>

#include "test_util.h"

#ifndef _WIN32
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

/* Distinct token values so a wrong token cannot match by accident. */
#define UDP_TOK_A ((cmio_token)0x5A01)
#define UDP_TOK_B ((cmio_token)0x5B02)

/* The interface the multicast tests use: loopback only. */
#ifndef UDP_MC_IFNAME
#define UDP_MC_IFNAME "lo"
#endif

/* ---- helpers ------------------------------------------------------------------------------- */

/* 0 when this kernel can create IPv6 datagram sockets, else the errno of socket(). */
static int udp_ipv6_errno(void)
{
    test_sock fd = test_raw_socket(AF_INET6, SOCK_DGRAM);
    if (fd == TEST_NO_SOCK)
        return test_sock_errno();
    test_sock_close(fd);
    return 0;
}

/* The only reason an IPv6 test may skip: no AF_INET6 sockets at all. */
#define UDP_REQUIRE_IPV6()                                                                         \
    do {                                                                                           \
        int udp_err_ = udp_ipv6_errno();                                                           \
        if (udp_err_ != 0) {                                                                       \
            print_message("skipping: socket(AF_INET6, SOCK_DGRAM) fails on this system: %s\n",     \
                          strerror(udp_err_));                                                     \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static const char *udp_family_name(int family)
{
    return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* Binds s to the loopback address of `family`, port 0; *bound gets the real address. */
static void udp_bind(cmio_udp_socket *s, int family, cmio_sockaddr *bound)
{
    cmio_sockaddr addr;
    test_loopback(&addr, family, 0);
    assert_int_equal(cmio_udp_socket_bind(s, &addr), 0);
    assert_int_equal(cmio_udp_socket_local_addr(s, bound), 0);
    assert_int_equal(cmio_sockaddr_family(bound), family);
    assert_int_not_equal(cmio_sockaddr_port(bound), 0);
}

/* An address nobody is bound to: a socket is bound on port 0, its port read and the socket closed
 * again. Nothing else in this process binds, so the port stays free for the test. */
static void udp_closed_port(cmio_sockaddr *out, int family)
{
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    udp_bind(&s, family, out);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

/* Fails the test unless s becomes readable within TEST_WAIT_MS. */
static void udp_wait_readable(const cmio_udp_socket *s)
{
    test_sock fd = TEST_HANDLE(udp_socket, s);
    assert_true(TEST_VALID_HANDLE(fd));
    if (!(test_fd_wait(fd, POLLIN) & POLLIN))
        fail_msg("socket %lld not readable within %d ms", (long long)fd, TEST_WAIT_MS);
}

/* Waits until s is readable, then receives one datagram and checks its bytes and sender. */
static void udp_expect(cmio_udp_socket *s, const void *want, size_t len, const cmio_sockaddr *from)
{
    char buf[2048];
    cmio_sockaddr src;
    memset(&src, 0, sizeof src);
    udp_wait_readable(s);
    ssize_t n = cmio_udp_socket_recv_from(s, buf, sizeof buf, &src);
    assert_int_equal(n, (ssize_t)len);
    if (len > 0)
        assert_memory_equal(buf, want, len);
    if (from != NULL)
        assert_true(cmio_sockaddr_equal(&src, from));
}

static void udp_expect_empty(cmio_udp_socket *s)
{
    char buf[64];
    assert_int_equal(cmio_udp_socket_recv_from(s, buf, sizeof buf, NULL), -EAGAIN);
}

/* A poll instance with room for 16 events. */
typedef struct udp_poll {
    cmio_poll *poll;
    cmio_events *events;
    cmio_registry *reg;
} udp_poll;

static void udp_poll_open(udp_poll *p)
{
    assert_int_equal(cmio_poll_new(&p->poll), 0);
    assert_int_equal(cmio_events_new(&p->events, 16), 0);
    p->reg = cmio_poll_registry(p->poll);
    assert_non_null(p->reg);
}

static void udp_poll_close(udp_poll *p)
{
    cmio_events_free(p->events);
    cmio_poll_free(p->poll);
}

/* Waits for an event with `token`; fails after TEST_WAIT_MS. Other tokens' events are dropped. */
static const cmio_event *udp_wait_token(udp_poll *p, cmio_token token)
{
    const cmio_event *e = test_poll_for_token(p->poll, p->events, token, TEST_WAIT_MS);
    if (e == NULL)
        fail_msg("no event with token %#llx within %d ms", (unsigned long long)token, TEST_WAIT_MS);
    return e;
}

/* One non-blocking poll: asserts that no event carries `token`. */
static void udp_assert_no_event(udp_poll *p, cmio_token token)
{
    test_poll_now(p->poll, p->events);
    if (test_find_token(p->events, token) != NULL)
        fail_msg("unexpected event with token %#llx", (unsigned long long)token);
}

/* Pins the thread to the CPU it runs on (see the comment at the top); undone by udp_pin_end. */
#ifdef _WIN32
/* Windows: SetThreadAffinityMask (Wine maps it to sched_setaffinity). */
typedef struct udp_pin {
    DWORD_PTR saved;
    bool pinned;
} udp_pin;

static void udp_pin_begin(udp_pin *pin)
{
    DWORD cpu = GetCurrentProcessorNumber();
    pin->saved = cpu < 64 ? SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << cpu) : 0;
    pin->pinned = pin->saved != 0;
}

static void udp_pin_end(udp_pin *pin)
{
    if (pin->pinned)
        assert_true(SetThreadAffinityMask(GetCurrentThread(), pin->saved) != 0);
    pin->pinned = false;
}
#else
typedef struct udp_pin {
#ifdef CPU_ZERO
    cpu_set_t saved;
#endif
    bool pinned;
} udp_pin;

static void udp_pin_begin(udp_pin *pin)
{
    pin->pinned = false;
#ifdef CPU_ZERO /* Linux; elsewhere (macOS) no affinity call: not pinned, as when it is refused */
    if (sched_getaffinity(0, sizeof pin->saved, &pin->saved) != 0)
        return;
    int cpu = sched_getcpu();
    if (cpu < 0)
        return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pin->pinned = sched_setaffinity(0, sizeof one, &one) == 0;
#endif
}

static void udp_pin_end(udp_pin *pin)
{
#ifdef CPU_ZERO
    if (pin->pinned)
        assert_int_equal(sched_setaffinity(0, sizeof pin->saved, &pin->saved), 0);
#endif
    pin->pinned = false;
}
#endif

#ifndef _WIN32 /* used by the multicast delivery and batch tests, which Windows has not */
/* Sends one datagram from `from` to a fresh socket of `family` and waits until it has arrived:
 * with the thread pinned, every datagram `from` sent before has been delivered or dropped. */
static void udp_barrier(cmio_udp_socket *from, int family)
{
    cmio_udp_socket b = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr baddr;
    udp_bind(&b, family, &baddr);
    assert_int_equal(cmio_udp_socket_send_to(from, "barrier", 7, &baddr), 7);
    udp_wait_readable(&b);
    assert_int_equal(cmio_udp_socket_close(&b), 0);
}
#endif

#ifdef _WIN32 /* the same probes as the TCP tests' (tests/win/test_win.h) */
#define udp_fd_nonblocking tcp_fd_nonblocking
#define udp_fd_cloexec tcp_fd_cloexec
#else
static bool udp_fd_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    assert_true(fl >= 0);
    return (fl & O_NONBLOCK) != 0;
}

static bool udp_fd_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    assert_true(fl >= 0);
    return (fl & FD_CLOEXEC) != 0;
}
#endif

/* Reads an int socket option straight from the kernel (to check the cmio getters and setters
 * against something they did not produce themselves). */
static int udp_getsockopt_int(const cmio_udp_socket *s, int level, int name)
{
    int v = 0; /* Windows writes fewer bytes than an int for some options */
    socklen_t len = sizeof v;
    assert_int_equal(getsockopt(TEST_HANDLE(udp_socket, s), level, name, (void *)&v, &len), 0);
    return v;
}

static void udp_setsockopt_int(const cmio_udp_socket *s, int level, int name, int v)
{
    assert_int_equal(
        setsockopt(TEST_HANDLE(udp_socket, s), level, name, (const void *)&v, sizeof v), 0);
}

#ifndef _WIN32 /* recvmsg control messages: Unix */
/* The IPv4 TTL of the next queued datagram, read with IP_RECVTTL and MSG_PEEK: the datagram stays
 * queued. */
static int udp_peek_ttl(const cmio_udp_socket *s)
{
    test_sock fd = TEST_HANDLE(udp_socket, s);
    int on = 1;
    assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_RECVTTL, (const void *)&on, sizeof on), 0);
    char data[2048];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    memset(&ctl, 0, sizeof ctl);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    assert_true(recvmsg(fd, &msg, MSG_PEEK) >= 0);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
            int ttl;
            memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
            return ttl;
        }
    }
    fail_msg("no IP_TTL control message on fd %d", fd);
    return -1;
}
#endif

/* Multicast groups derived from the pid, so concurrent runs of this suite (other build rows) never
 * share a group and the /proc membership checks see only this process. */
static void udp_group_v4(struct in_addr *g)
{
#ifdef _WIN32
    unsigned pid = (unsigned)GetCurrentProcessId();
#else
    unsigned pid = (unsigned)getpid();
#endif
    char text[32];
    snprintf(text, sizeof text, "239.255.%u.%u", 1 + (pid / 254) % 254, 1 + pid % 254);
    assert_int_equal(inet_pton(AF_INET, text, g), 1);
}

/* ff02::1:ffXX:XXXX (link scope): no address of this host maps to it on lo. */
static void udp_group_v6(struct in6_addr *g)
{
#ifdef _WIN32
    unsigned pid = (unsigned)GetCurrentProcessId();
#else
    unsigned pid = (unsigned)getpid();
#endif
    memset(g, 0, sizeof *g);
    g->s6_addr[0] = 0xff;
    g->s6_addr[1] = 0x02;
    g->s6_addr[11] = 0x01;
    g->s6_addr[12] = 0xff;
    g->s6_addr[13] = (uint8_t)(pid >> 16);
    g->s6_addr[14] = (uint8_t)(pid >> 8);
    g->s6_addr[15] = (uint8_t)pid;
}

#ifndef _WIN32 /* interfaces by name, /proc/net/igmp: Unix */
static unsigned udp_mc_ifindex(void)
{
    unsigned idx = if_nametoindex(UDP_MC_IFNAME);
    if (idx == 0)
        fail_msg("if_nametoindex(\"%s\"): %s", UDP_MC_IFNAME, strerror(errno));
    return idx;
}

/* Turns IP(V6)_MULTICAST_ALL off on a receiver: it then gets only the groups it joined itself,
 * not those some other socket of the host joined. Returns 0 or the errno; ENOPROTOOPT (a libc or
 * qemu-user without the option) is tolerated: the pid-derived groups are not joined elsewhere. */
static int udp_mcast_all_off(int fd, int family)
{
    int zero = 0, r = -1;
    errno = ENOPROTOOPT;
#ifdef IP_MULTICAST_ALL
    if (family == AF_INET)
        r = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, (const void *)&zero, sizeof zero);
#endif
#ifdef IPV6_MULTICAST_ALL
    if (family == AF_INET6)
        r = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, (const void *)&zero, sizeof zero);
#endif
    (void)fd; /* unused where neither option exists (macOS) */
    (void)zero;
    (void)family;
    return r == 0 || errno == ENOPROTOOPT ? 0 : errno;
}

/* Sends a multicast sender's datagrams out of lo: IP_MULTICAST_IF 127.0.0.1 / IPV6_MULTICAST_IF
 * lo's index, set directly. Returns 0 or the errno. qemu-user does not emulate these two options
 * (ENOPROTOOPT, the s390x row); that refusal alone is tolerated, since the senders here pick lo
 * anyway: the IPv4 one is bound to 127.0.0.1 (Linux sends multicast from a bound local address out
 * of that address's device) and the IPv6 destination carries lo's index as its scope id. */
static int udp_mcast_if_v4(int fd)
{
    struct in_addr lo = {.s_addr = htonl(INADDR_LOOPBACK)};
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, (const void *)&lo, sizeof lo) == 0 ||
        errno == ENOPROTOOPT)
        return 0;
    return errno;
}

static int udp_mcast_if_v6(int fd, unsigned ifindex)
{
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (const void *)&ifindex, sizeof ifindex) ==
            0 ||
        errno == ENOPROTOOPT)
        return 0;
    return errno;
}

/* Whether the kernel lists `group` as joined on UDP_MC_IFNAME in /proc/net/igmp. That file prints
 * each group as "%08X" of the network-order address read as an integer by the *kernel*: under
 * qemu-user (the s390x row) that kernel's byte order is not this program's, so both are accepted.
 */
static bool udp_igmp_has(const struct in_addr *group)
{
    FILE *f = fopen("/proc/net/igmp", "r");
    if (f == NULL)
        fail_msg("cannot open /proc/net/igmp: %s", strerror(errno));
    const uint8_t *b = (const uint8_t *)&group->s_addr;
    uint32_t as_le =
        (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    uint32_t as_be =
        (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
    char line[256];
    bool on_dev = false, found = false;
    while (fgets(line, sizeof line, f) != NULL) {
        char word[64];
        int idx;
        unsigned long v;
        if (line[0] != '\t' && line[0] != ' ') /* "1\tlo        :     2      V3" or the header */
            on_dev = sscanf(line, "%d %63s", &idx, word) == 2 && strcmp(word, UDP_MC_IFNAME) == 0;
        else if (on_dev && sscanf(line, " %lx", &v) == 1 && (v == as_le || v == as_be))
            found = true;
    }
    fclose(f);
    return found;
}

/* The same for IPv6, /proc/net/igmp6: "1    lo    ff0200000000000000000001ff001234     1 …". */
static bool udp_igmp6_has(const struct in6_addr *group)
{
    FILE *f = fopen("/proc/net/igmp6", "r");
    if (f == NULL)
        fail_msg("cannot open /proc/net/igmp6: %s", strerror(errno));
    char want[33], line[256];
    for (int i = 0; i < 16; i++)
        snprintf(want + 2 * i, 3, "%02x", group->s6_addr[i]);
    bool found = false;
    while (fgets(line, sizeof line, f) != NULL) {
        char dev[64], hex[64];
        int idx;
        if (sscanf(line, "%d %63s %63s", &idx, dev, hex) == 3 && strcmp(dev, UDP_MC_IFNAME) == 0 &&
            strcmp(hex, want) == 0)
            found = true;
    }
    fclose(f);
    return found;
}

#endif /* !_WIN32 */

/* A group setup that arms the whole-binary watchdog (a hang fails instead of blocking CI). */
static int udp_group_setup(void **state)
{
    (void)state;
    test_alarm(TEST_WATCHDOG_S);
    return 0;
}

static int udp_group_teardown(void **state)
{
    (void)state;
    test_alarm(0);
    return 0;
}

/* ---- bind and local_addr ------------------------------------------------------------------- */

static void check_bind_local_addr(int family)
{
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr want, got;
    test_loopback(&want, family, 0);
    assert_int_equal(cmio_udp_socket_bind(&s, &want), 0);
    assert_int_equal(cmio_udp_socket_local_addr(&s, &got), 0);

    /* Same family and IP as requested, a real (ephemeral) port, and what the kernel says. */
    assert_int_equal(cmio_sockaddr_family(&got), family);
    assert_int_not_equal(cmio_sockaddr_port(&got), 0);
    assert_int_equal(cmio_sockaddr_set_port(&want, cmio_sockaddr_port(&got)), 0);
    assert_true(cmio_sockaddr_equal(&want, &got));

    test_sock fd = TEST_HANDLE(udp_socket, &s);
    assert_true(TEST_VALID_HANDLE(fd));
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(len, got.len);
    assert_memory_equal(&ss, &got.u, len);

    /* A datagram socket, non-blocking and close-on-exec. */
    int type = 0;
    len = sizeof type;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, (void *)&type, &len), 0);
    assert_int_equal(type, SOCK_DGRAM);
    assert_true(udp_fd_nonblocking(fd));
    assert_true(udp_fd_cloexec(fd));

    assert_int_equal(cmio_udp_socket_close(&s), 0);
    assert_false(test_fd_is_open(fd));
}

static void test_bind_local_addr_v4(void **state)
{
    (void)state;
    check_bind_local_addr(AF_INET);
}

static void test_bind_local_addr_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    check_bind_local_addr(AF_INET6);
}

static void test_bind_addr_in_use(void **state)
{
    (void)state;
    cmio_udp_socket a = CMIO_UDP_SOCKET_INIT, b = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr addr;
    udp_bind(&a, AF_INET, &addr);
    int before = test_count_open_fds();

    assert_int_equal(cmio_udp_socket_bind(&b, &addr), -EADDRINUSE);
    /* The failed bind closed its socket and left b empty. */
    assert_int_equal(test_count_open_fds(), before);
    assert_int_equal(TEST_HANDLE(udp_socket, &b), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_udp_socket_close(&b), -EBADF);

    /* Once the port is free again, binding to it works. */
    assert_int_equal(cmio_udp_socket_close(&a), 0);
    assert_int_equal(cmio_udp_socket_bind(&b, &addr), 0);
    cmio_sockaddr got;
    assert_int_equal(cmio_udp_socket_local_addr(&b, &got), 0);
    assert_true(cmio_sockaddr_equal(&got, &addr));
    assert_int_equal(cmio_udp_socket_close(&b), 0);
}

/* ---- bad arguments ------------------------------------------------------------------------- */

static void test_bad_args(void **state)
{
    (void)state;
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT, fresh = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr addr, empty, badlen, unixfam, out;
    struct in_addr g4, lo4;
    struct in6_addr g6;
    bool flag;
    uint32_t u32;
    int err;
    char buf[16];
    cmio_udp_msg msg;
    memset(&msg, 0, sizeof msg);
    memset(&empty, 0, sizeof empty);
    udp_bind(&s, AF_INET, &addr);
    /* An IPv4 address whose length does not match its family, and a family cmio does not do. */
    badlen = addr;
    badlen.len = sizeof badlen.u.v6;
    memset(&unixfam, 0, sizeof unixfam);
    unixfam.u.sa.sa_family = AF_UNIX;
    unixfam.len = sizeof unixfam.u.v4;
    udp_group_v4(&g4);
    lo4.s_addr = htonl(INADDR_LOOPBACK);
    udp_group_v6(&g6);
    udp_poll p;
    udp_poll_open(&p);

    assert_int_equal(cmio_udp_socket_bind(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_udp_socket_bind(&fresh, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_bind(&fresh, &empty), -EINVAL);
    assert_int_equal(cmio_udp_socket_bind(&fresh, &badlen), -EINVAL);
    assert_int_equal(cmio_udp_socket_bind(&fresh, &unixfam), -EAFNOSUPPORT);
    assert_int_equal(TEST_HANDLE(udp_socket, &fresh),
                     TEST_EMPTY_HANDLE); /* untouched by the failures */

    assert_int_equal(cmio_udp_socket_local_addr(NULL, &out), -EINVAL);
    assert_int_equal(cmio_udp_socket_local_addr(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_peer_addr(NULL, &out), -EINVAL);
    assert_int_equal(cmio_udp_socket_peer_addr(&s, NULL), -EINVAL);

    assert_int_equal(cmio_udp_socket_send_to(NULL, "x", 1, &addr), -EINVAL);
    assert_int_equal(cmio_udp_socket_send_to(&s, NULL, 1, &addr), -EINVAL);
    assert_int_equal(cmio_udp_socket_send_to(&s, "x", 1, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_send_to(&s, "x", 1, &empty), -EINVAL);
    assert_int_equal(cmio_udp_socket_send_to(&s, "x", 1, &badlen), -EINVAL);
    assert_int_equal(cmio_udp_socket_send_to(&s, "x", 1, &unixfam), -EAFNOSUPPORT);
    assert_int_equal(cmio_udp_socket_recv_from(NULL, buf, sizeof buf, &out), -EINVAL);
    assert_int_equal(cmio_udp_socket_recv_from(&s, NULL, 1, &out), -EINVAL);
    assert_int_equal(cmio_udp_socket_peek_from(NULL, buf, sizeof buf, &out), -EINVAL);
    assert_int_equal(cmio_udp_socket_peek_from(&s, NULL, 1, &out), -EINVAL);
    assert_int_equal(cmio_udp_socket_send(NULL, "x", 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_send(&s, NULL, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_recv(NULL, buf, sizeof buf), -EINVAL);
    assert_int_equal(cmio_udp_socket_recv(&s, NULL, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_peek(NULL, buf, sizeof buf), -EINVAL);
    assert_int_equal(cmio_udp_socket_peek(&s, NULL, 1), -EINVAL);

    assert_int_equal(cmio_udp_socket_connect(NULL, &addr), -EINVAL);
    assert_int_equal(cmio_udp_socket_connect(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_connect(&s, &empty), -EINVAL);
    assert_int_equal(cmio_udp_socket_connect(&s, &badlen), -EINVAL);
    assert_int_equal(cmio_udp_socket_connect(&s, &unixfam), -EAFNOSUPPORT);
    assert_int_equal(cmio_udp_socket_peer_addr(&s, &out), -ENOTCONN); /* none of them connected */

    assert_int_equal(cmio_udp_socket_set_broadcast(NULL, true), -EINVAL);
    assert_int_equal(cmio_udp_socket_broadcast(NULL, &flag), -EINVAL);
    assert_int_equal(cmio_udp_socket_broadcast(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_set_multicast_loop_v4(NULL, true), -EINVAL);
    assert_int_equal(cmio_udp_socket_multicast_loop_v4(NULL, &flag), -EINVAL);
    assert_int_equal(cmio_udp_socket_multicast_loop_v4(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_set_multicast_ttl_v4(NULL, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_multicast_ttl_v4(NULL, &u32), -EINVAL);
    assert_int_equal(cmio_udp_socket_multicast_ttl_v4(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_set_multicast_loop_v6(NULL, true), -EINVAL);
    assert_int_equal(cmio_udp_socket_multicast_loop_v6(NULL, &flag), -EINVAL);
    assert_int_equal(cmio_udp_socket_multicast_loop_v6(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_set_ttl(NULL, 64), -EINVAL);
    assert_int_equal(cmio_udp_socket_ttl(NULL, &u32), -EINVAL);
    assert_int_equal(cmio_udp_socket_ttl(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_only_v6(NULL, &flag), -EINVAL);
    assert_int_equal(cmio_udp_socket_only_v6(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_take_error(NULL, &err), -EINVAL);
    assert_int_equal(cmio_udp_socket_take_error(&s, NULL), -EINVAL);

    assert_int_equal(cmio_udp_socket_join_multicast_v4(NULL, &g4, &lo4), -EINVAL);
    assert_int_equal(cmio_udp_socket_join_multicast_v4(&s, NULL, &lo4), -EINVAL);
    assert_int_equal(cmio_udp_socket_join_multicast_v4(&s, &g4, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_leave_multicast_v4(NULL, &g4, &lo4), -EINVAL);
    assert_int_equal(cmio_udp_socket_leave_multicast_v4(&s, NULL, &lo4), -EINVAL);
    assert_int_equal(cmio_udp_socket_leave_multicast_v4(&s, &g4, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_join_multicast_v6(NULL, &g6, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_join_multicast_v6(&s, NULL, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_leave_multicast_v6(NULL, &g6, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_leave_multicast_v6(&s, NULL, 1), -EINVAL);

#if CMIO_HAVE_UDP_SOCKET_SEND_BATCH /* batches: Unix (idl/udp_socket.yaml) */
    assert_int_equal(cmio_udp_socket_send_batch(NULL, &msg, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_send_batch(&s, NULL, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_recv_batch(NULL, &msg, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_recv_batch(&s, NULL, 1), -EINVAL);
#else
    (void)msg;
#endif

    assert_int_equal(TEST_FROM_HANDLE(udp_socket, NULL, 0), -EINVAL);
    assert_int_equal(TEST_HANDLE(udp_socket, NULL), TEST_NULL_HANDLE);
    assert_int_equal(TEST_INTO_HANDLE(udp_socket, NULL), TEST_NULL_HANDLE);
    assert_int_equal(cmio_udp_socket_register(NULL, p.reg, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_udp_socket_register(&s, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_udp_socket_reregister(NULL, p.reg, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_udp_socket_reregister(&s, NULL, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_udp_socket_deregister(NULL, p.reg), -EINVAL);
    assert_int_equal(cmio_udp_socket_deregister(&s, NULL), -EINVAL);
    assert_int_equal(cmio_udp_socket_close(NULL), -EINVAL);

    /* None of the rejected calls sent or queued anything, and the socket still works. */
    udp_expect_empty(&s);
    assert_int_equal(cmio_udp_socket_send_to(&s, "ok", 2, &addr), 2);
    udp_expect(&s, "ok", 2, &addr);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    udp_poll_close(&p);
}

/* An empty struct (CMIO_UDP_SOCKET_INIT) and a closed one hold no fd: every call says -EBADF. */
static void check_no_fd(cmio_udp_socket *e)
{
    cmio_sockaddr addr, out;
    char buf[8] = "payload";
    bool flag;
    uint32_t u32;
    int err;
    cmio_udp_msg msg;
    memset(&msg, 0, sizeof msg);
    test_loopback(&addr, AF_INET, 9);
    msg.buf = buf;
    msg.len = 1;
    msg.addr = addr;
    udp_poll p;
    udp_poll_open(&p);

    assert_int_equal(TEST_HANDLE(udp_socket, e), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_udp_socket_local_addr(e, &out), -EBADF);
    assert_int_equal(cmio_udp_socket_peer_addr(e, &out), -EBADF);
    assert_int_equal(cmio_udp_socket_send_to(e, "x", 1, &addr), -EBADF);
    assert_int_equal(cmio_udp_socket_recv_from(e, buf, sizeof buf, &out), -EBADF);
    assert_int_equal(cmio_udp_socket_peek_from(e, buf, sizeof buf, &out), -EBADF);
    assert_int_equal(cmio_udp_socket_send(e, "x", 1), -EBADF);
    assert_int_equal(cmio_udp_socket_recv(e, buf, sizeof buf), -EBADF);
    assert_int_equal(cmio_udp_socket_peek(e, buf, sizeof buf), -EBADF);
    assert_int_equal(cmio_udp_socket_connect(e, &addr), -EBADF);
    assert_int_equal(cmio_udp_socket_set_broadcast(e, true), -EBADF);
    assert_int_equal(cmio_udp_socket_broadcast(e, &flag), -EBADF);
    assert_int_equal(cmio_udp_socket_set_ttl(e, 9), -EBADF);
    assert_int_equal(cmio_udp_socket_ttl(e, &u32), -EBADF);
    assert_int_equal(cmio_udp_socket_take_error(e, &err), -EBADF);
#if CMIO_HAVE_UDP_SOCKET_SEND_BATCH
    assert_int_equal(cmio_udp_socket_send_batch(e, &msg, 1), -EBADF);
    assert_int_equal(cmio_udp_socket_recv_batch(e, &msg, 1), -EBADF);
#else
    (void)msg;
#endif
    assert_int_equal(cmio_udp_socket_register(e, p.reg, 1, CMIO_INTEREST_READABLE), -EBADF);
    assert_int_equal(cmio_udp_socket_reregister(e, p.reg, 1, CMIO_INTEREST_READABLE), -EBADF);
    assert_int_equal(cmio_udp_socket_deregister(e, p.reg), -EBADF);
    assert_int_equal(TEST_INTO_HANDLE(udp_socket, e), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_udp_socket_close(e), -EBADF);
    udp_poll_close(&p);
}

static void test_empty_and_closed_socket(void **state)
{
    (void)state;
    cmio_udp_socket e = CMIO_UDP_SOCKET_INIT;
    check_no_fd(&e);

    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr addr;
    udp_bind(&s, AF_INET, &addr);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    check_no_fd(&s);
}

/* ---- echo driven by poll events ------------------------------------------------------------- */

/* A client and a server socket registered with one poll; eight request/echo rounds, each step
 * driven by a readable event and followed by receiving until -EAGAIN (edge-triggered). */
static void check_echo(int family)
{
    udp_poll p;
    udp_poll_open(&p);
    cmio_udp_socket srv = CMIO_UDP_SOCKET_INIT, cli = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr saddr, caddr;
    udp_bind(&srv, family, &saddr);
    udp_bind(&cli, family, &caddr);
    assert_int_equal(cmio_udp_socket_register(&srv, p.reg, UDP_TOK_A, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_udp_socket_register(&cli, p.reg, UDP_TOK_B, CMIO_INTEREST_READABLE), 0);

    for (int round = 0; round < 8; round++) {
        char msg[64];
        int len =
            snprintf(msg, sizeof msg, "echo round %d over %s", round, udp_family_name(family));
        assert_int_equal(cmio_udp_socket_send_to(&cli, msg, (size_t)len, &saddr), len);

        /* Server: a readable event; receive (and echo) until -EAGAIN. */
        const cmio_event *e = udp_wait_token(&p, UDP_TOK_A);
        assert_true(cmio_event_is_readable(e));
        int got = 0;
        for (;;) {
            char buf[128];
            cmio_sockaddr src;
            ssize_t n = cmio_udp_socket_recv_from(&srv, buf, sizeof buf, &src);
            if (n == -EAGAIN)
                break;
            assert_int_equal(n, len);
            assert_memory_equal(buf, msg, (size_t)len);
            assert_true(cmio_sockaddr_equal(&src, &caddr));
            assert_int_equal(cmio_udp_socket_send_to(&srv, buf, (size_t)n, &src), n);
            got++;
        }
        assert_int_equal(got, 1);

        /* Client: the echo, from the server's address. */
        e = udp_wait_token(&p, UDP_TOK_B);
        assert_true(cmio_event_is_readable(e));
        got = 0;
        for (;;) {
            char buf[128];
            cmio_sockaddr src;
            ssize_t n = cmio_udp_socket_recv_from(&cli, buf, sizeof buf, &src);
            if (n == -EAGAIN)
                break;
            assert_int_equal(n, len);
            assert_memory_equal(buf, msg, (size_t)len);
            assert_true(cmio_sockaddr_equal(&src, &saddr));
            got++;
        }
        assert_int_equal(got, 1);
    }
    assert_int_equal(cmio_udp_socket_close(&srv), 0);
    assert_int_equal(cmio_udp_socket_close(&cli), 0);
    udp_poll_close(&p);
}

static void test_echo_v4(void **state)
{
    (void)state;
    check_echo(AF_INET);
}

static void test_echo_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    check_echo(AF_INET6);
}

/* ---- connected vs unconnected ------------------------------------------------------------- */

static void check_connected(int family)
{
    cmio_udp_socket a = CMIO_UDP_SOCKET_INIT, peer = CMIO_UDP_SOCKET_INIT,
                    third = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr aaddr, paddr, taddr, got, src;
    char buf[64];
    udp_bind(&a, family, &aaddr);
    udp_bind(&peer, family, &paddr);
    udp_bind(&third, family, &taddr);

    /* Unconnected: no peer, and send has no destination. */
    assert_int_equal(cmio_udp_socket_peer_addr(&a, &got), -ENOTCONN);
    assert_int_equal(cmio_udp_socket_send(&a, "x", 1), -EDESTADDRREQ);

    assert_int_equal(cmio_udp_socket_connect(&a, &paddr), 0);
    assert_int_equal(cmio_udp_socket_peer_addr(&a, &got), 0);
    assert_true(cmio_sockaddr_equal(&got, &paddr));
    assert_int_equal(cmio_udp_socket_local_addr(&a, &got), 0);
    assert_true(cmio_sockaddr_equal(&got, &aaddr));
    assert_int_equal(cmio_udp_socket_connect(&peer, &aaddr), 0);

    /* send reaches the peer; recv gets what the peer sends. */
    assert_int_equal(cmio_udp_socket_send(&a, "to the peer", 11), 11);
    udp_wait_readable(&peer);
    assert_int_equal(cmio_udp_socket_recv(&peer, buf, sizeof buf), 11);
    assert_memory_equal(buf, "to the peer", 11);
    assert_int_equal(cmio_udp_socket_recv(&peer, buf, sizeof buf), -EAGAIN);

    assert_int_equal(cmio_udp_socket_send(&peer, "to a", 4), 4);
    udp_wait_readable(&a);
    assert_int_equal(cmio_udp_socket_recv_from(&a, buf, sizeof buf, &src), 4);
    assert_memory_equal(buf, "to a", 4);
    assert_true(cmio_sockaddr_equal(&src, &paddr));
    assert_int_equal(cmio_udp_socket_recv(&a, buf, sizeof buf), -EAGAIN);

    /* A third socket's datagram is dropped: a receives only the peer's one sent after it. */
    udp_pin pin;
    udp_pin_begin(&pin);
    assert_int_equal(cmio_udp_socket_send_to(&third, "from a third socket", 19, &aaddr), 19);
    assert_int_equal(cmio_udp_socket_send(&peer, "from the peer", 13), 13);
    udp_pin_end(&pin);
    udp_wait_readable(&a);
    assert_int_equal(cmio_udp_socket_recv(&a, buf, sizeof buf), 13);
    assert_memory_equal(buf, "from the peer", 13);
    assert_int_equal(cmio_udp_socket_recv(&a, buf, sizeof buf), -EAGAIN);

    /* Connecting again switches the peer: now the third socket gets through. */
    assert_int_equal(cmio_udp_socket_connect(&a, &taddr), 0);
    assert_int_equal(cmio_udp_socket_peer_addr(&a, &got), 0);
    assert_true(cmio_sockaddr_equal(&got, &taddr));
    assert_int_equal(cmio_udp_socket_send_to(&third, "now", 3, &aaddr), 3);
    udp_expect(&a, "now", 3, &taddr);
    assert_int_equal(cmio_udp_socket_send(&a, "back", 4), 4);
    udp_expect(&third, "back", 4, &aaddr);

    assert_int_equal(cmio_udp_socket_close(&a), 0);
    assert_int_equal(cmio_udp_socket_close(&peer), 0);
    assert_int_equal(cmio_udp_socket_close(&third), 0);
}

static void test_connected_v4(void **state)
{
    (void)state;
    check_connected(AF_INET);
}

static void test_connected_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    check_connected(AF_INET6);
}

/* ---- peeking, empty sockets, truncation ------------------------------------------------------ */

static void test_peek_from_does_not_consume(void **state)
{
    (void)state;
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr, src;
    char buf[64];
    udp_bind(&r, AF_INET, &raddr);
    udp_bind(&s, AF_INET, &saddr);
    assert_int_equal(cmio_udp_socket_peek_from(&r, buf, sizeof buf, &src), -EAGAIN);

    assert_int_equal(cmio_udp_socket_send_to(&s, "peekaboo", 8, &raddr), 8);
    udp_wait_readable(&r);
    for (int i = 0; i < 3; i++) {
        memset(buf, 0, sizeof buf);
        memset(&src, 0, sizeof src);
        assert_int_equal(cmio_udp_socket_peek_from(&r, buf, sizeof buf, &src), 8);
        assert_memory_equal(buf, "peekaboo", 8);
        assert_true(cmio_sockaddr_equal(&src, &saddr));
    }
    /* A short peek (and one without a source) does not consume it either. */
    assert_int_equal(cmio_udp_socket_peek_from(&r, buf, 4, NULL), 4);
    assert_memory_equal(buf, "peek", 4);

    /* recv_from returns the same bytes and source, and then the queue is empty. */
    memset(buf, 0, sizeof buf);
    memset(&src, 0, sizeof src);
    assert_int_equal(cmio_udp_socket_recv_from(&r, buf, sizeof buf, &src), 8);
    assert_memory_equal(buf, "peekaboo", 8);
    assert_true(cmio_sockaddr_equal(&src, &saddr));
    assert_int_equal(cmio_udp_socket_recv_from(&r, buf, sizeof buf, &src), -EAGAIN);
    assert_int_equal(cmio_udp_socket_peek_from(&r, buf, sizeof buf, &src), -EAGAIN);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

static void test_peek_does_not_consume(void **state)
{
    (void)state;
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr, src;
    char buf[64];
    udp_bind(&r, AF_INET, &raddr);
    udp_bind(&s, AF_INET, &saddr);
    assert_int_equal(cmio_udp_socket_connect(&r, &saddr), 0);
    assert_int_equal(cmio_udp_socket_connect(&s, &raddr), 0);
    assert_int_equal(cmio_udp_socket_peek(&r, buf, sizeof buf), -EAGAIN);

    assert_int_equal(cmio_udp_socket_send(&s, "look twice", 10), 10);
    udp_wait_readable(&r);
    for (int i = 0; i < 3; i++) {
        memset(buf, 0, sizeof buf);
        assert_int_equal(cmio_udp_socket_peek(&r, buf, sizeof buf), 10);
        assert_memory_equal(buf, "look twice", 10);
    }
    memset(buf, 0, sizeof buf);
    memset(&src, 0, sizeof src);
    assert_int_equal(cmio_udp_socket_recv_from(&r, buf, sizeof buf, &src), 10);
    assert_memory_equal(buf, "look twice", 10);
    assert_true(cmio_sockaddr_equal(&src, &saddr));
    assert_int_equal(cmio_udp_socket_recv(&r, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_udp_socket_peek(&r, buf, sizeof buf), -EAGAIN);

    /* And a datagram first peeked is then returned by recv. */
    assert_int_equal(cmio_udp_socket_send(&s, "again", 5), 5);
    udp_wait_readable(&r);
    assert_int_equal(cmio_udp_socket_peek(&r, buf, sizeof buf), 5);
    memset(buf, 0, sizeof buf);
    assert_int_equal(cmio_udp_socket_recv(&r, buf, sizeof buf), 5);
    assert_memory_equal(buf, "again", 5);
    assert_int_equal(cmio_udp_socket_recv(&r, buf, sizeof buf), -EAGAIN);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

static void test_recv_empty_and_truncation(void **state)
{
    (void)state;
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr, src;
    char big[100], small[10], buf[200];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('A' + i % 26);
    udp_bind(&r, AF_INET, &raddr);
    udp_bind(&s, AF_INET, &saddr);

    /* Nothing queued: would block, at once. */
    assert_int_equal(cmio_udp_socket_recv(&r, buf, sizeof buf), -EAGAIN);
    assert_int_equal(cmio_udp_socket_recv_from(&r, buf, sizeof buf, &src), -EAGAIN);

    /* Linux (like the BSDs): a datagram longer than the buffer is truncated — the call returns the
     * buffer's length, not the datagram's (no MSG_TRUNC in the flags) — and the rest of that
     * datagram is discarded: the next receive finds the queue empty. */
    assert_int_equal(cmio_udp_socket_send_to(&s, big, sizeof big, &raddr), (ssize_t)sizeof big);
    udp_wait_readable(&r);
    memset(&src, 0, sizeof src);
    assert_int_equal(cmio_udp_socket_recv_from(&r, small, sizeof small, &src),
                     (ssize_t)sizeof small);
    assert_memory_equal(small, big, sizeof small);
    assert_true(cmio_sockaddr_equal(&src, &saddr));
    assert_int_equal(cmio_udp_socket_recv(&r, buf, sizeof buf), -EAGAIN);

    /* The same through recv. */
    assert_int_equal(cmio_udp_socket_send_to(&s, big, sizeof big, &raddr), (ssize_t)sizeof big);
    udp_wait_readable(&r);
    memset(small, 0, sizeof small);
    assert_int_equal(cmio_udp_socket_recv(&r, small, sizeof small), (ssize_t)sizeof small);
    assert_memory_equal(small, big, sizeof small);
    assert_int_equal(cmio_udp_socket_recv_from(&r, buf, sizeof buf, NULL), -EAGAIN);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

/* A zero-length datagram is a datagram: sent with (NULL, 0), received as 0 bytes, consumed. A
 * receive with (NULL, 0) consumes a non-empty datagram (truncated to nothing). */
static void test_zero_length_datagram(void **state)
{
    (void)state;
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr;
    udp_bind(&r, AF_INET, &raddr);
    udp_bind(&s, AF_INET, &saddr);

    assert_int_equal(cmio_udp_socket_send_to(&s, NULL, 0, &raddr), 0);
    udp_expect(&r, NULL, 0, &saddr);
    udp_expect_empty(&r);

    assert_int_equal(cmio_udp_socket_send_to(&s, "abc", 3, &raddr), 3);
    udp_wait_readable(&r);
    assert_int_equal(cmio_udp_socket_recv_from(&r, NULL, 0, NULL), 0);
    udp_expect_empty(&r);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

/* ---- options --------------------------------------------------------------------------------- */

static void test_broadcast(void **state)
{
    (void)state;
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr saddr;
    bool on = true;
    udp_bind(&s, AF_INET, &saddr);

    assert_int_equal(cmio_udp_socket_broadcast(&s, &on), 0);
    assert_false(on); /* off by default */
    assert_int_equal(udp_getsockopt_int(&s, SOL_SOCKET, SO_BROADCAST), 0);

    assert_int_equal(cmio_udp_socket_set_broadcast(&s, true), 0);
    assert_int_equal(cmio_udp_socket_broadcast(&s, &on), 0);
    assert_true(on);
    assert_int_not_equal(udp_getsockopt_int(&s, SOL_SOCKET, SO_BROADCAST), 0);

    assert_int_equal(cmio_udp_socket_set_broadcast(&s, false), 0);
    assert_int_equal(cmio_udp_socket_broadcast(&s, &on), 0);
    assert_false(on);
    assert_int_equal(udp_getsockopt_int(&s, SOL_SOCKET, SO_BROADCAST), 0);

    /* The getter reads the kernel, not a cached value. */
    udp_setsockopt_int(&s, SOL_SOCKET, SO_BROADCAST, 1);
    assert_int_equal(cmio_udp_socket_broadcast(&s, &on), 0);
    assert_true(on);

    /* With it off, the kernel refuses to send to lo's broadcast address (nothing is sent). */
    assert_int_equal(cmio_udp_socket_set_broadcast(&s, false), 0);
    cmio_sockaddr bcast;
    static const uint8_t b4[4] = {127, 255, 255, 255};
    assert_int_equal(cmio_sockaddr_ipv4(&bcast, b4, cmio_sockaddr_port(&saddr)), 0);
    assert_int_equal(cmio_udp_socket_send_to(&s, "b", 1, &bcast), -EACCES);

    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

static void test_multicast_loop_v4(void **state)
{
    (void)state;
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr saddr;
    bool on = false;
    udp_bind(&s, AF_INET, &saddr);

    assert_int_equal(cmio_udp_socket_multicast_loop_v4(&s, &on), 0);
    assert_true(on); /* on by default */
    assert_int_not_equal(udp_getsockopt_int(&s, IPPROTO_IP, IP_MULTICAST_LOOP), 0);

    assert_int_equal(cmio_udp_socket_set_multicast_loop_v4(&s, false), 0);
    assert_int_equal(cmio_udp_socket_multicast_loop_v4(&s, &on), 0);
    assert_false(on);
    assert_int_equal(udp_getsockopt_int(&s, IPPROTO_IP, IP_MULTICAST_LOOP), 0);

    assert_int_equal(cmio_udp_socket_set_multicast_loop_v4(&s, true), 0);
    assert_int_equal(cmio_udp_socket_multicast_loop_v4(&s, &on), 0);
    assert_true(on);
    assert_int_not_equal(udp_getsockopt_int(&s, IPPROTO_IP, IP_MULTICAST_LOOP), 0);

    udp_setsockopt_int(&s, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
    assert_int_equal(cmio_udp_socket_multicast_loop_v4(&s, &on), 0);
    assert_false(on);

    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

static void test_multicast_ttl_v4(void **state)
{
    (void)state;
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr saddr;
    uint32_t ttl = 99;
    udp_bind(&s, AF_INET, &saddr);

    assert_int_equal(cmio_udp_socket_multicast_ttl_v4(&s, &ttl), 0);
    assert_int_equal(ttl, 1); /* 1 by default: multicast stays on the link */
    assert_int_equal(udp_getsockopt_int(&s, IPPROTO_IP, IP_MULTICAST_TTL), 1);

    static const uint32_t values[] = {0, 42, 255};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_int_equal(cmio_udp_socket_set_multicast_ttl_v4(&s, values[i]), 0);
        assert_int_equal(cmio_udp_socket_multicast_ttl_v4(&s, &ttl), 0);
        assert_int_equal(ttl, values[i]);
        assert_int_equal(udp_getsockopt_int(&s, IPPROTO_IP, IP_MULTICAST_TTL), (int)values[i]);
    }
    /* Out of range (0..255): refused, the value stays. */
    assert_int_equal(cmio_udp_socket_set_multicast_ttl_v4(&s, 256), -EINVAL);
    assert_int_equal(cmio_udp_socket_set_multicast_ttl_v4(&s, UINT32_MAX), -EINVAL);
    assert_int_equal(cmio_udp_socket_multicast_ttl_v4(&s, &ttl), 0);
    assert_int_equal(ttl, 255);

    udp_setsockopt_int(&s, IPPROTO_IP, IP_MULTICAST_TTL, 7);
    assert_int_equal(cmio_udp_socket_multicast_ttl_v4(&s, &ttl), 0);
    assert_int_equal(ttl, 7);

    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

static void test_multicast_loop_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT, s4 = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr saddr;
    bool on = false;
    udp_bind(&s, AF_INET6, &saddr);

    assert_int_equal(cmio_udp_socket_multicast_loop_v6(&s, &on), 0);
    assert_true(on); /* on by default */
    assert_int_not_equal(udp_getsockopt_int(&s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 0);

    assert_int_equal(cmio_udp_socket_set_multicast_loop_v6(&s, false), 0);
    assert_int_equal(cmio_udp_socket_multicast_loop_v6(&s, &on), 0);
    assert_false(on);
    assert_int_equal(udp_getsockopt_int(&s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 0);

    assert_int_equal(cmio_udp_socket_set_multicast_loop_v6(&s, true), 0);
    assert_int_equal(cmio_udp_socket_multicast_loop_v6(&s, &on), 0);
    assert_true(on);

    udp_setsockopt_int(&s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
    assert_int_equal(cmio_udp_socket_multicast_loop_v6(&s, &on), 0);
    assert_false(on);

    /* An IPv6 option on an IPv4 socket: the kernel's error (Linux: -ENOPROTOOPT) comes through. */
    udp_bind(&s4, AF_INET, &saddr);
    assert_true(cmio_udp_socket_set_multicast_loop_v6(&s4, true) < 0);

    assert_int_equal(cmio_udp_socket_close(&s), 0);
    assert_int_equal(cmio_udp_socket_close(&s4), 0);
}

static void test_ttl(void **state)
{
    (void)state;
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr;
    uint32_t ttl = 0;
    char buf[16];
    udp_bind(&r, AF_INET, &raddr);
    udp_bind(&s, AF_INET, &saddr);

    /* The default is whatever the kernel says (net.ipv4.ip_default_ttl). */
    assert_int_equal(cmio_udp_socket_ttl(&s, &ttl), 0);
    assert_int_equal(ttl, udp_getsockopt_int(&s, IPPROTO_IP, IP_TTL));
    assert_true(ttl >= 1 && ttl <= 255);

    /* Each value is read back and is the TTL of the datagrams sent (loopback keeps it). */
    static const uint32_t values[] = {77, 13, 255, 1};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_int_equal(cmio_udp_socket_set_ttl(&s, values[i]), 0);
        assert_int_equal(cmio_udp_socket_ttl(&s, &ttl), 0);
        assert_int_equal(ttl, values[i]);
        assert_int_equal(udp_getsockopt_int(&s, IPPROTO_IP, IP_TTL), (int)values[i]);

        assert_int_equal(cmio_udp_socket_send_to(&s, "ttl", 3, &raddr), 3);
        udp_wait_readable(&r);
#ifndef _WIN32 /* the datagram's TTL, read with recvmsg control messages */
        assert_int_equal(udp_peek_ttl(&r), (int)values[i]);
#endif
        assert_int_equal(cmio_udp_socket_recv(&r, buf, sizeof buf), 3);
        udp_expect_empty(&r);
    }

    /* Out of range (1..255): refused, the value stays. */
    assert_int_equal(cmio_udp_socket_set_ttl(&s, 0), -EINVAL);
    assert_int_equal(cmio_udp_socket_set_ttl(&s, 256), -EINVAL);
    assert_int_equal(cmio_udp_socket_set_ttl(&s, UINT32_MAX), -EINVAL);
    assert_int_equal(cmio_udp_socket_ttl(&s, &ttl), 0);
    assert_int_equal(ttl, 1);

    udp_setsockopt_int(&s, IPPROTO_IP, IP_TTL, 99);
    assert_int_equal(cmio_udp_socket_ttl(&s, &ttl), 0);
    assert_int_equal(ttl, 99);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

static void test_only_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr saddr;
    bool on;
    udp_bind(&s, AF_INET6, &saddr);

    /* A socket from bind: the kernel's default (net.ipv6.bindv6only), read directly. */
    int direct = udp_getsockopt_int(&s, IPPROTO_IPV6, IPV6_V6ONLY);
    on = direct == 0;
    assert_int_equal(cmio_udp_socket_only_v6(&s, &on), 0);
    assert_int_equal(on, direct != 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);

    /* Both values, set on the raw socket before it is handed over. */
    for (int want = 0; want <= 1; want++) {
        test_sock fd = test_raw_socket(AF_INET6, SOCK_DGRAM);
        assert_true(TEST_VALID_HANDLE(fd));
        assert_int_equal(
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (const void *)&want, sizeof want), 0);
        assert_int_equal(TEST_FROM_HANDLE(udp_socket, &s, fd), 0);
        on = want == 0;
        assert_int_equal(cmio_udp_socket_only_v6(&s, &on), 0);
        assert_int_equal(on, want == 1);
        assert_int_equal(udp_getsockopt_int(&s, IPPROTO_IPV6, IPV6_V6ONLY), want);
        assert_int_equal(cmio_udp_socket_close(&s), 0);
    }

    /* On an IPv4 socket the option does not exist: an error (Linux: -EOPNOTSUPP). */
    udp_bind(&s, AF_INET, &saddr);
    assert_true(cmio_udp_socket_only_v6(&s, &on) < 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

/* ---- multicast: membership ------------------------------------------------------------------- */
/* Unix only: membership is checked in /proc/net/igmp, the receiver binds the group address and the
 * IPv6 interface is found by name. (The join/leave calls run on Windows in test_bad_args and
 * test_join_leave_calls below.) */
#ifndef _WIN32

static void test_join_leave_multicast_v4(void **state)
{
    (void)state;
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr saddr;
    struct in_addr group, lo, unicast;
    udp_group_v4(&group);
    lo.s_addr = htonl(INADDR_LOOPBACK);
    unicast.s_addr = htonl(INADDR_LOOPBACK);
    udp_bind(&s, AF_INET, &saddr);
    assert_false(udp_igmp_has(&group));

    /* Joined on lo: the kernel lists the group there; joining twice is refused. */
    int r = cmio_udp_socket_join_multicast_v4(&s, &group, &lo);
    if (r != 0)
        fail_msg("join_multicast_v4 on 127.0.0.1: %s", cmio_strerror(r));
    assert_true(udp_igmp_has(&group));
    assert_int_equal(cmio_udp_socket_join_multicast_v4(&s, &group, &lo), -EADDRINUSE);

    /* Left: gone from lo; leaving twice is refused. */
    assert_int_equal(cmio_udp_socket_leave_multicast_v4(&s, &group, &lo), 0);
    assert_false(udp_igmp_has(&group));
    assert_int_equal(cmio_udp_socket_leave_multicast_v4(&s, &group, &lo), -EADDRNOTAVAIL);

    /* Not a multicast address: the kernel says -EINVAL. */
    assert_int_equal(cmio_udp_socket_join_multicast_v4(&s, &unicast, &lo), -EINVAL);

    /* close() drops a membership that was not left. */
    assert_int_equal(cmio_udp_socket_join_multicast_v4(&s, &group, &lo), 0);
    assert_true(udp_igmp_has(&group));
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    assert_false(udp_igmp_has(&group));
}

static void test_join_leave_multicast_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr saddr;
    struct in6_addr group;
    udp_group_v6(&group);
    unsigned lo = udp_mc_ifindex();
    udp_bind(&s, AF_INET6, &saddr);
    assert_false(udp_igmp6_has(&group));

    int r = cmio_udp_socket_join_multicast_v6(&s, &group, lo);
    if (r != 0)
        fail_msg("join_multicast_v6 on %s (index %u): %s", UDP_MC_IFNAME, lo, cmio_strerror(r));
    assert_true(udp_igmp6_has(&group));
    assert_int_equal(cmio_udp_socket_join_multicast_v6(&s, &group, lo), -EADDRINUSE);

    assert_int_equal(cmio_udp_socket_leave_multicast_v6(&s, &group, lo), 0);
    assert_false(udp_igmp6_has(&group));
    assert_int_equal(cmio_udp_socket_leave_multicast_v6(&s, &group, lo), -EADDRNOTAVAIL);

    assert_int_equal(cmio_udp_socket_join_multicast_v6(&s, &in6addr_loopback, lo), -EINVAL);

    assert_int_equal(cmio_udp_socket_join_multicast_v6(&s, &group, lo), 0);
    assert_true(udp_igmp6_has(&group));
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    assert_false(udp_igmp6_has(&group));
}

/* ---- multicast: delivery over loopback ------------------------------------------------------- */

/* Whether the kernel itself delivers multicast over lo, tried with plain sockets and exactly the
 * steps of the cmio test below. Only when it does not may the cmio test skip; then *why says what
 * the kernel refused. */
static bool udp_mc_probe_v4(const struct in_addr *group, char *why, size_t whylen)
{
    bool ok = false;
    test_sock r = test_raw_socket(AF_INET, SOCK_DGRAM);
    test_sock s = test_raw_socket(AF_INET, SOCK_DGRAM);
    assert_true(TEST_VALID_HANDLE(r) && TEST_VALID_HANDLE(s));
    struct sockaddr_in ra, sa;
    memset(&ra, 0, sizeof ra);
    ra.sin_family = AF_INET;
    ra.sin_addr = *group;
    socklen_t len = sizeof ra;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct ip_mreq m;
    memset(&m, 0, sizeof m);
    m.imr_multiaddr = *group;
    m.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1, err;

    if (bind(r, (struct sockaddr *)&ra, sizeof ra) < 0 ||
        getsockname(r, (struct sockaddr *)&ra, &len) < 0) {
        snprintf(why, whylen, "binding to the group address: %s", strerror(errno));
        goto out;
    }
    if ((err = udp_mcast_all_off(r, AF_INET)) != 0) {
        snprintf(why, whylen, "IP_MULTICAST_ALL off: %s", strerror(err));
        goto out;
    }
    if (setsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, (const void *)&m, sizeof m) < 0) {
        snprintf(why, whylen, "IP_ADD_MEMBERSHIP on 127.0.0.1: %s", strerror(errno));
        goto out;
    }
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, (const void *)&one, sizeof one) < 0) {
        snprintf(why, whylen, "sender setup: %s", strerror(errno));
        goto out;
    }
    if ((err = udp_mcast_if_v4(s)) != 0) {
        snprintf(why, whylen, "IP_MULTICAST_IF 127.0.0.1: %s", strerror(err));
        goto out;
    }
    if (sendto(s, "probe", 5, 0, (struct sockaddr *)&ra, sizeof ra) < 0) {
        snprintf(why, whylen, "sendto the group via 127.0.0.1: %s", strerror(errno));
        goto out;
    }
    if (!(test_fd_wait(r, POLLIN) & POLLIN)) {
        snprintf(why, whylen,
                 "nothing arrived within %d ms (does lo lack the MULTICAST flag or a route?)",
                 TEST_WAIT_MS);
        goto out;
    }
    ok = true;
out:
    close(r);
    close(s);
    return ok;
}

static void test_multicast_loopback_v4(void **state)
{
    (void)state;
    struct in_addr group, lo;
    char gtext[INET_ADDRSTRLEN], why[160];
    udp_group_v4(&group);
    lo.s_addr = htonl(INADDR_LOOPBACK);
    inet_ntop(AF_INET, &group, gtext, sizeof gtext);
    if (!udp_mc_probe_v4(&group, why, sizeof why)) {
        print_message("skipping: the kernel does not deliver IPv4 multicast (%s) over lo: %s\n",
                      gtext, why);
        skip();
    }

    /* Receiver: bound to the group address, joined on 127.0.0.1, only its own memberships
     * (IP_MULTICAST_ALL off, so another socket's join could not make the test pass). */
    udp_poll p;
    udp_poll_open(&p);
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr gaddr, saddr, src;
    assert_int_equal(cmio_sockaddr_ipv4(&gaddr, (const uint8_t *)&group.s_addr, 0), 0);
    assert_int_equal(cmio_udp_socket_bind(&r, &gaddr), 0);
    assert_int_equal(cmio_udp_socket_local_addr(&r, &gaddr), 0);
    assert_int_equal(udp_mcast_all_off(TEST_HANDLE(udp_socket, &r), AF_INET), 0);
    assert_int_equal(cmio_udp_socket_join_multicast_v4(&r, &group, &lo), 0);
    assert_int_equal(cmio_udp_socket_register(&r, p.reg, UDP_TOK_A, CMIO_INTEREST_READABLE), 0);

    /* Sender: 127.0.0.1, multicast out of lo, loop on, TTL 3 (seen by the receiver). */
    udp_bind(&s, AF_INET, &saddr);
    assert_int_equal(udp_mcast_if_v4(TEST_HANDLE(udp_socket, &s)), 0);
    assert_int_equal(cmio_udp_socket_set_multicast_loop_v4(&s, true), 0);
    assert_int_equal(cmio_udp_socket_set_multicast_ttl_v4(&s, 3), 0);

    assert_int_equal(cmio_udp_socket_send_to(&s, "to the group", 12, &gaddr), 12);
    const cmio_event *e = udp_wait_token(&p, UDP_TOK_A);
    assert_true(cmio_event_is_readable(e));
    assert_int_equal(udp_peek_ttl(&r), 3);
    char buf[64];
    memset(&src, 0, sizeof src);
    assert_int_equal(cmio_udp_socket_recv_from(&r, buf, sizeof buf, &src), 12);
    assert_memory_equal(buf, "to the group", 12);
    assert_true(cmio_sockaddr_equal(&src, &saddr));
    udp_expect_empty(&r);

    /* After leaving, a datagram to the group is not delivered (checked behind a barrier). */
    assert_int_equal(cmio_udp_socket_leave_multicast_v4(&r, &group, &lo), 0);
    udp_pin pin;
    udp_pin_begin(&pin);
    assert_int_equal(cmio_udp_socket_send_to(&s, "after leaving", 13, &gaddr), 13);
    udp_barrier(&s, AF_INET);
    udp_pin_end(&pin);
    udp_expect_empty(&r);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    udp_poll_close(&p);
}

static bool udp_mc_probe_v6(const struct in6_addr *group, unsigned ifindex, char *why,
                            size_t whylen)
{
    bool ok = false;
    test_sock r = test_raw_socket(AF_INET6, SOCK_DGRAM);
    test_sock s = test_raw_socket(AF_INET6, SOCK_DGRAM);
    assert_true(TEST_VALID_HANDLE(r) && TEST_VALID_HANDLE(s));
    struct sockaddr_in6 ra, sa;
    memset(&ra, 0, sizeof ra);
    ra.sin6_family = AF_INET6;
    ra.sin6_addr = *group;
    ra.sin6_scope_id = ifindex;
    socklen_t len = sizeof ra;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    struct ipv6_mreq m;
    memset(&m, 0, sizeof m);
    m.ipv6mr_multiaddr = *group;
    m.ipv6mr_interface = ifindex;
    int one = 1, err;

    if (bind(r, (struct sockaddr *)&ra, sizeof ra) < 0 ||
        getsockname(r, (struct sockaddr *)&ra, &len) < 0) {
        snprintf(why, whylen, "binding to the group address: %s", strerror(errno));
        goto out;
    }
    if ((err = udp_mcast_all_off(r, AF_INET6)) != 0) {
        snprintf(why, whylen, "IPV6_MULTICAST_ALL off: %s", strerror(err));
        goto out;
    }
    if (setsockopt(r, IPPROTO_IPV6, IPV6_JOIN_GROUP, (const void *)&m, sizeof m) < 0) {
        snprintf(why, whylen, "IPV6_JOIN_GROUP on %s: %s", UDP_MC_IFNAME, strerror(errno));
        goto out;
    }
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, (const void *)&one, sizeof one) < 0) {
        snprintf(why, whylen, "sender setup: %s", strerror(errno));
        goto out;
    }
    if ((err = udp_mcast_if_v6(s, ifindex)) != 0) {
        snprintf(why, whylen, "IPV6_MULTICAST_IF %s: %s", UDP_MC_IFNAME, strerror(err));
        goto out;
    }
    if (sendto(s, "probe", 5, 0, (struct sockaddr *)&ra, sizeof ra) < 0) {
        snprintf(why, whylen, "sendto the group via %s: %s (no IPv6 multicast route on it)",
                 UDP_MC_IFNAME, strerror(errno));
        goto out;
    }
    if (!(test_fd_wait(r, POLLIN) & POLLIN)) {
        snprintf(why, whylen, "nothing arrived within %d ms", TEST_WAIT_MS);
        goto out;
    }
    ok = true;
out:
    close(r);
    close(s);
    return ok;
}

static void test_multicast_loopback_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    struct in6_addr group;
    char gtext[INET6_ADDRSTRLEN], why[160];
    udp_group_v6(&group);
    unsigned lo = udp_mc_ifindex();
    inet_ntop(AF_INET6, &group, gtext, sizeof gtext);
    if (!udp_mc_probe_v6(&group, lo, why, sizeof why)) {
        print_message("skipping: the kernel does not deliver IPv6 multicast (%s%%%s) over %s: %s\n",
                      gtext, UDP_MC_IFNAME, UDP_MC_IFNAME, why);
        skip();
    }

    udp_poll p;
    udp_poll_open(&p);
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr gaddr, saddr, src;
    assert_int_equal(cmio_sockaddr_ipv6(&gaddr, group.s6_addr, 0), 0);
    gaddr.u.v6.sin6_scope_id = lo;
    assert_int_equal(cmio_udp_socket_bind(&r, &gaddr), 0);
    assert_int_equal(cmio_udp_socket_local_addr(&r, &gaddr), 0);
    assert_int_equal(udp_mcast_all_off(TEST_HANDLE(udp_socket, &r), AF_INET6), 0);
    assert_int_equal(cmio_udp_socket_join_multicast_v6(&r, &group, lo), 0);
    assert_int_equal(cmio_udp_socket_register(&r, p.reg, UDP_TOK_A, CMIO_INTEREST_READABLE), 0);

    udp_bind(&s, AF_INET6, &saddr);
    assert_int_equal(udp_mcast_if_v6(TEST_HANDLE(udp_socket, &s), lo), 0);
    assert_int_equal(cmio_udp_socket_set_multicast_loop_v6(&s, true), 0);

    assert_int_equal(cmio_udp_socket_send_to(&s, "to the v6 group", 15, &gaddr), 15);
    const cmio_event *e = udp_wait_token(&p, UDP_TOK_A);
    assert_true(cmio_event_is_readable(e));
    char buf[64];
    memset(&src, 0, sizeof src);
    assert_int_equal(cmio_udp_socket_recv_from(&r, buf, sizeof buf, &src), 15);
    assert_memory_equal(buf, "to the v6 group", 15);
    assert_int_equal(cmio_sockaddr_port(&src), cmio_sockaddr_port(&saddr));
    udp_expect_empty(&r);

    assert_int_equal(cmio_udp_socket_leave_multicast_v6(&r, &group, lo), 0);
    udp_pin pin;
    udp_pin_begin(&pin);
    assert_int_equal(cmio_udp_socket_send_to(&s, "after leaving", 13, &gaddr), 13);
    udp_barrier(&s, AF_INET6);
    udp_pin_end(&pin);
    udp_expect_empty(&r);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    udp_poll_close(&p);
}

#else
/* Windows: joining and leaving a group on 127.0.0.1 (the socket bound to 0.0.0.0), and leaving
 * one not joined, which Winsock refuses. */
static void test_join_leave_calls(void **state)
{
    (void)state;
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr any;
    static const uint8_t zero[4] = {0, 0, 0, 0};
    struct in_addr group, lo;
    udp_group_v4(&group);
    lo.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(cmio_sockaddr_ipv4(&any, zero, 0), 0);
    assert_int_equal(cmio_udp_socket_bind(&s, &any), 0);
    int r = cmio_udp_socket_join_multicast_v4(&s, &group, &lo);
    if (r != 0)
        fail_msg("join_multicast_v4 on 127.0.0.1: %s", cmio_strerror(r));
    assert_int_equal(cmio_udp_socket_leave_multicast_v4(&s, &group, &lo), 0);
    assert_true(cmio_udp_socket_leave_multicast_v4(&s, &group, &lo) < 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}
#endif

/* ---- ICMP errors: take_error and recv -------------------------------------------------------- */

/* A connected socket sends to a port nobody is bound to; the ICMP port-unreachable that comes back
 * sets the socket's error, reported by an error event and then by take_error (or by recv). */
static void check_refused(int family, bool via_recv)
{
    udp_poll p;
    udp_poll_open(&p);
    cmio_udp_socket a = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr aaddr, closed;
    int err = 1;
    char buf[16];
    udp_closed_port(&closed, family);
    udp_bind(&a, family, &aaddr);
    assert_int_equal(cmio_udp_socket_take_error(&a, &err), 0);
    assert_int_equal(err, 0);
    assert_int_equal(cmio_udp_socket_connect(&a, &closed), 0);
    assert_int_equal(cmio_udp_socket_register(&a, p.reg, UDP_TOK_A, CMIO_INTEREST_READABLE), 0);

    assert_int_equal(cmio_udp_socket_send(&a, "anyone?", 7), 7);
    if (test_under_wine()) {
        /* Known Wine difference: the port unreachable only sets SO_ERROR — no poll event, and recv
         * does not fail (Windows: AFD reports it and recv says WSAECONNRESET, which cmio turns
         * into -ECONNREFUSED on a datagram socket). Asserted as Wine's behaviour. */
        print_message("under Wine: an ICMP port unreachable raises no event, only SO_ERROR\n");
        assert_true(test_wait_sock_error(TEST_HANDLE(udp_socket, &a)));
        assert_int_equal(cmio_udp_socket_recv(&a, buf, sizeof buf), -EAGAIN);
        assert_int_equal(cmio_udp_socket_take_error(&a, &err), 0);
        assert_int_equal(err, -ECONNREFUSED);
        assert_int_equal(cmio_udp_socket_close(&a), 0);
        udp_poll_close(&p);
        return;
    }
    const cmio_event *e = udp_wait_token(&p, UDP_TOK_A);
    assert_true(cmio_event_is_error(e));

    if (test_on_libkqueue()) {
        /* libkqueue read the error (getsockopt(SO_ERROR), for the event's fflags): it is gone. */
        assert_int_equal(cmio_udp_socket_take_error(&a, &err), 0);
        assert_int_equal(err, test_pending_error(-ECONNREFUSED));
    } else if (via_recv) {
        assert_int_equal(cmio_udp_socket_recv(&a, buf, sizeof buf), -ECONNREFUSED);
        /* Reported once: the error is cleared by recv. */
        assert_int_equal(cmio_udp_socket_take_error(&a, &err), 0);
        assert_int_equal(err, 0);
    } else {
        err = 0;
        assert_int_equal(cmio_udp_socket_take_error(&a, &err), 0);
        assert_int_equal(err, -ECONNREFUSED);
        /* Taken: cleared, so neither take_error nor recv reports it again. */
        assert_int_equal(cmio_udp_socket_take_error(&a, &err), 0);
        assert_int_equal(err, 0);
    }
    assert_int_equal(cmio_udp_socket_recv(&a, buf, sizeof buf), -EAGAIN);

    assert_int_equal(cmio_udp_socket_close(&a), 0);
    udp_poll_close(&p);
}

static void test_take_error_refused_v4(void **state)
{
    (void)state;
    check_refused(AF_INET, false);
}

static void test_recv_refused_v4(void **state)
{
    (void)state;
    check_refused(AF_INET, true);
}

static void test_take_error_refused_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    check_refused(AF_INET6, false);
}

/* ---- batches --------------------------------------------------------------------------------- */
#if CMIO_HAVE_UDP_SOCKET_SEND_BATCH /* Unix (idl/udp_socket.yaml) */

#define BATCH_N 64
#define BATCH_ROOM 128
#define BATCH_BUF 64

static void check_batch(int family)
{
    udp_poll p;
    udp_poll_open(&p);
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr;
    udp_bind(&r, family, &raddr);
    udp_bind(&s, family, &saddr);
    assert_int_equal(cmio_udp_socket_register(&r, p.reg, UDP_TOK_A, CMIO_INTEREST_READABLE), 0);

    /* 64 distinct datagrams (contents and lengths), each addressed to r. */
    static char out_buf[BATCH_N][BATCH_BUF];
    cmio_udp_msg out[BATCH_N];
    memset(out, 0, sizeof out);
    for (int i = 0; i < BATCH_N; i++) {
        int len = snprintf(out_buf[i], BATCH_BUF, "datagram %02d of %d%.*s", i, BATCH_N, i % 7,
                           "+++++++");
        out[i].buf = out_buf[i];
        out[i].len = (size_t)len;
        out[i].addr = raddr;
    }
    udp_pin pin;
    udp_pin_begin(&pin);
    assert_int_equal(cmio_udp_socket_send_batch(&s, out, BATCH_N), BATCH_N);
    udp_barrier(&s, family); /* all 64 are now in r's queue */
    udp_pin_end(&pin);
    const cmio_event *e = udp_wait_token(&p, UDP_TOK_A);
    assert_true(cmio_event_is_readable(e));

    /* ONE call with room for 128 returns exactly the 64, in order, with their sender. */
    static char in_buf[BATCH_ROOM][BATCH_BUF];
    cmio_udp_msg in[BATCH_ROOM];
    memset(in, 0, sizeof in);
    for (int i = 0; i < BATCH_ROOM; i++) {
        in[i].buf = in_buf[i];
        in[i].len = BATCH_BUF;
        in[i].received = SIZE_MAX; /* must be overwritten */
        in[i].truncated = true;    /* must be cleared */
    }
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, BATCH_ROOM), BATCH_N);
    for (int i = 0; i < BATCH_N; i++) {
        assert_int_equal(in[i].received, out[i].len);
        assert_memory_equal(in[i].buf, out[i].buf, out[i].len);
        assert_false(in[i].truncated);
        assert_true(cmio_sockaddr_equal(&in[i].addr, &saddr));
        assert_int_equal(in[i].addr.len, saddr.len);
    }
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, BATCH_ROOM), -EAGAIN);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    udp_poll_close(&p);
}

static void test_batch_v4(void **state)
{
    (void)state;
    check_batch(AF_INET);
}

static void test_batch_v6(void **state)
{
    (void)state;
    UDP_REQUIRE_IPV6();
    check_batch(AF_INET6);
}

static void test_batch_truncated(void **state)
{
    (void)state;
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr;
    udp_bind(&r, AF_INET, &raddr);
    udp_bind(&s, AF_INET, &saddr);

    char longer[40];
    memset(longer, 'L', sizeof longer);
    longer[8] = '!';
    cmio_udp_msg out[3];
    memset(out, 0, sizeof out);
    out[0].buf = "tiny";
    out[0].len = 4;
    out[1].buf = longer;
    out[1].len = sizeof longer;
    out[2].buf = "exactly8";
    out[2].len = 8;
    for (int i = 0; i < 3; i++)
        out[i].addr = raddr;
    udp_pin pin;
    udp_pin_begin(&pin);
    assert_int_equal(cmio_udp_socket_send_batch(&s, out, 3), 3);
    udp_barrier(&s, AF_INET);
    udp_pin_end(&pin);
    udp_wait_readable(&r);

    /* Room for 8 bytes each: the 40-byte one is cut to 8 (its tail discarded) and flagged. */
    char in_buf[4][8];
    cmio_udp_msg in[4];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 4; i++) {
        in[i].buf = in_buf[i];
        in[i].len = sizeof in_buf[i];
        in[i].truncated = i != 1;
    }
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 4), 3);
    assert_int_equal(in[0].received, 4);
    assert_memory_equal(in[0].buf, "tiny", 4);
    assert_false(in[0].truncated);
    assert_int_equal(in[1].received, 8);
    assert_memory_equal(in[1].buf, longer, 8);
    assert_true(in[1].truncated);
    assert_int_equal(in[2].received, 8);
    assert_memory_equal(in[2].buf, "exactly8", 8);
    assert_false(in[2].truncated); /* an exact fit is not truncated */
    for (int i = 0; i < 3; i++)
        assert_true(cmio_sockaddr_equal(&in[i].addr, &saddr));
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 4), -EAGAIN);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
}

static void test_batch_edge_cases(void **state)
{
    (void)state;
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT, c = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr, caddr, wrong;
    udp_bind(&r, AF_INET, &raddr);
    udp_bind(&s, AF_INET, &saddr);
    udp_bind(&c, AF_INET, &caddr);
    /* An IPv6 destination is the wrong family for these IPv4 sockets. */
    test_loopback(&wrong, AF_INET6, cmio_sockaddr_port(&raddr));
    char in_buf[4][32];
    cmio_udp_msg in[4], out[3];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    for (int i = 0; i < 4; i++) {
        in[i].buf = in_buf[i];
        in[i].len = sizeof in_buf[i];
    }
    udp_pin pin;

    /* Nothing to do, nothing queued, nothing to send with. */
    assert_int_equal(cmio_udp_socket_send_batch(&s, NULL, 0), 0);
    assert_int_equal(cmio_udp_socket_send_batch(&s, out, 0), 0);
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 0), 0);
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 4), -EAGAIN);
    assert_int_equal(cmio_udp_socket_send_batch(&s, NULL, 1), -EINVAL);
    assert_int_equal(cmio_udp_socket_recv_batch(&r, NULL, 1), -EINVAL);

    /* addr.len 0 means the connected peer: refused while unconnected, … */
    out[0].buf = "one";
    out[0].len = 3;
    out[1].buf = "two";
    out[1].len = 3;
    assert_int_equal(cmio_udp_socket_send_batch(&c, out, 2), -EDESTADDRREQ);
    /* … delivered to the peer once connected. */
    assert_int_equal(cmio_udp_socket_connect(&c, &raddr), 0);
    udp_pin_begin(&pin);
    assert_int_equal(cmio_udp_socket_send_batch(&c, out, 2), 2);
    udp_barrier(&c, AF_INET);
    udp_pin_end(&pin);
    udp_wait_readable(&r);
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 4), 2);
    assert_int_equal(in[0].received, 3);
    assert_memory_equal(in[0].buf, "one", 3);
    assert_int_equal(in[1].received, 3);
    assert_memory_equal(in[1].buf, "two", 3);
    assert_true(cmio_sockaddr_equal(&in[0].addr, &caddr));
    assert_true(cmio_sockaddr_equal(&in[1].addr, &caddr));
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 4), -EAGAIN);

    /* A failure after the first message: the count sent so far, the rest is not sent. */
    out[0].buf = "first";
    out[0].len = 5;
    out[0].addr = raddr;
    out[1].buf = "bad";
    out[1].len = 3;
    out[1].addr = wrong;
    out[2].buf = "third";
    out[2].len = 5;
    out[2].addr = raddr;
    udp_pin_begin(&pin);
    assert_int_equal(cmio_udp_socket_send_batch(&s, out, 3), 1);
    udp_barrier(&s, AF_INET);
    udp_pin_end(&pin);
    udp_wait_readable(&r);
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 4), 1);
    assert_int_equal(in[0].received, 5);
    assert_memory_equal(in[0].buf, "first", 5);
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 4), -EAGAIN);

    /* A failure on the first message: its errno, and nothing is sent. */
    udp_pin_begin(&pin);
    assert_int_equal(cmio_udp_socket_send_batch(&s, &out[1], 2), -EAFNOSUPPORT);
    udp_barrier(&s, AF_INET);
    udp_pin_end(&pin);
    assert_int_equal(cmio_udp_socket_recv_batch(&r, in, 4), -EAGAIN);

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    assert_int_equal(cmio_udp_socket_close(&c), 0);
}

#endif /* CMIO_HAVE_UDP_SOCKET_SEND_BATCH */

/* ---- fd ownership ---------------------------------------------------------------------------- */

static void test_from_fd_as_fd(void **state)
{
    (void)state;
    /* A blocking socket made outside cmio. */
    test_sock fd = test_raw_socket(AF_INET, SOCK_DGRAM);
    assert_true(TEST_VALID_HANDLE(fd));
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
#ifndef _WIN32 /* Windows: blocking when made (its probe would block here) */
    assert_false(udp_fd_nonblocking(fd));
#endif

    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT;
    assert_int_equal(TEST_FROM_HANDLE(udp_socket, &s, fd), 0);
    assert_int_equal(TEST_HANDLE(udp_socket, &s), fd);
    assert_true(udp_fd_nonblocking(fd));
    /* Non-blocking now: an empty queue returns at once. */
    char buf[32];
    assert_int_equal(cmio_udp_socket_recv(&s, buf, sizeof buf), -EAGAIN);

    /* And it works as a UDP socket. */
    cmio_sockaddr bound, oaddr;
    assert_int_equal(cmio_udp_socket_local_addr(&s, &bound), 0);
    assert_int_equal(cmio_sockaddr_port(&bound), ntohs(sin.sin_port));
    cmio_udp_socket o = CMIO_UDP_SOCKET_INIT;
    udp_bind(&o, AF_INET, &oaddr);
    assert_int_equal(cmio_udp_socket_send_to(&o, "adopted", 7, &bound), 7);
    udp_expect(&s, "adopted", 7, &oaddr);
    assert_int_equal(cmio_udp_socket_close(&o), 0);

    /* The socket owns the fd: close closes it. */
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    assert_false(test_fd_is_open(fd));
    assert_int_equal(TEST_HANDLE(udp_socket, &s), TEST_EMPTY_HANDLE);

    /* A negative or closed fd is refused and leaves the struct empty. */
    assert_int_equal(TEST_FROM_HANDLE(udp_socket, &s, TEST_NO_SOCK), -EBADF);
    assert_int_equal(TEST_FROM_HANDLE(udp_socket, &s, fd), -EBADF);
    assert_int_equal(TEST_HANDLE(udp_socket, &s), TEST_EMPTY_HANDLE);
}

static void test_into_fd(void **state)
{
    (void)state;
    udp_poll p;
    udp_poll_open(&p);
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT, o = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr addr, oaddr;
    udp_bind(&s, AF_INET, &addr);
    udp_bind(&o, AF_INET, &oaddr);
    assert_int_equal(cmio_udp_socket_register(&s, p.reg, UDP_TOK_A, CMIO_INTEREST_READABLE), 0);
    test_sock fd = TEST_HANDLE(udp_socket, &s);

    assert_int_equal(TEST_INTO_HANDLE(udp_socket, &s), fd);
    /* The struct is empty and the fd still open, now the caller's. */
    assert_int_equal(TEST_HANDLE(udp_socket, &s), TEST_EMPTY_HANDLE);
    assert_int_equal(TEST_INTO_HANDLE(udp_socket, &s), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_udp_socket_close(&s), -EBADF);
    assert_true(test_fd_is_open(fd));

    /* It was deregistered: a datagram makes the fd readable but the poll reports nothing. */
    assert_int_equal(cmio_udp_socket_send_to(&o, "x", 1, &addr), 1);
    if (!(test_fd_wait(fd, POLLIN) & POLLIN))
        fail_msg("released fd not readable within %d ms", TEST_WAIT_MS);
    udp_assert_no_event(&p, UDP_TOK_A);
    /* Deregistered in the kernel too: the raw fd can be registered afresh. */
    assert_int_equal(test_register_sock(p.reg, fd, UDP_TOK_B, CMIO_INTEREST_READABLE), 0);
    udp_wait_token(&p, UDP_TOK_B);
    assert_int_equal(test_deregister_sock(p.reg, fd), 0);

    char c;
    assert_int_equal(test_sock_recv(fd, &c, 1), 1);
    assert_int_equal(test_sock_close(fd), 0);
    assert_int_equal(cmio_udp_socket_close(&o), 0);
    udp_poll_close(&p);
}

#ifndef _WIN32 /* dup(): a Winsock handle has no in-process duplicate sharing the socket */
/* close() of a registered socket removes it from the poll explicitly: a dup() of its fd keeps the
 * open file (and so an epoll registration, were it left) alive, yet no event follows. */
static void test_close_deregisters(void **state)
{
    (void)state;
    udp_poll p;
    udp_poll_open(&p);
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT, o = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr addr, oaddr;
    udp_bind(&s, AF_INET, &addr);
    udp_bind(&o, AF_INET, &oaddr);
    assert_int_equal(cmio_udp_socket_register(&s, p.reg, UDP_TOK_A, CMIO_INTEREST_READABLE), 0);
    int dupfd = dup(TEST_HANDLE(udp_socket, &s));
    assert_true(dupfd >= 0);

    assert_int_equal(cmio_udp_socket_close(&s), 0);
    assert_int_equal(TEST_HANDLE(udp_socket, &s), TEST_EMPTY_HANDLE);
    assert_int_equal(cmio_udp_socket_close(&s), -EBADF);

    assert_int_equal(cmio_udp_socket_send_to(&o, "x", 1, &addr), 1);
    if (!(test_fd_wait(dupfd, POLLIN) & POLLIN)) /* the socket is readable … */
        fail_msg("dup'ed fd not readable within %d ms", TEST_WAIT_MS);
    udp_assert_no_event(&p, UDP_TOK_A); /* … and nobody is told */

    assert_int_equal(close(dupfd), 0);
    assert_int_equal(cmio_udp_socket_close(&o), 0);
    udp_poll_close(&p);
}
#endif

/* ---- registration ---------------------------------------------------------------------------- */

static void test_register_reregister_deregister(void **state)
{
    (void)state;
    udp_poll p, other;
    udp_poll_open(&p);
    udp_poll_open(&other);
    cmio_udp_socket s = CMIO_UDP_SOCKET_INIT, peer = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr addr, paddr;
    char buf[16];
    udp_bind(&s, AF_INET, &addr);
    udp_bind(&peer, AF_INET, &paddr);

    /* Not registered yet. */
    assert_int_equal(cmio_udp_socket_reregister(&s, p.reg, 1, CMIO_INTEREST_READABLE), -ENOENT);
    assert_int_equal(cmio_udp_socket_deregister(&s, p.reg), -ENOENT);
    /* Interest 0 or unknown bits. */
    assert_int_equal(cmio_udp_socket_register(&s, p.reg, 1, 0), -EINVAL);
    assert_int_equal(cmio_udp_socket_register(&s, p.reg, 1, (cmio_interest)0x80), -EINVAL);

    assert_int_equal(cmio_udp_socket_register(&s, p.reg, 1, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_udp_socket_register(&s, p.reg, 2, CMIO_INTEREST_READABLE), -EEXIST);
    assert_int_equal(cmio_udp_socket_register(&s, other.reg, 2, CMIO_INTEREST_READABLE), -EEXIST);
    assert_int_equal(cmio_udp_socket_reregister(&s, p.reg, 1, 0), -EINVAL);
    /* Registered with another poll. */
    assert_int_equal(cmio_udp_socket_reregister(&s, other.reg, 1, CMIO_INTEREST_READABLE), -EINVAL);
    assert_int_equal(cmio_udp_socket_deregister(&s, other.reg), -EINVAL);

    /* Readable interest only: an (always writable) idle socket reports nothing … */
    udp_assert_no_event(&p, 1);
    /* … and a datagram produces a readable event with token 1. */
    assert_int_equal(cmio_udp_socket_send_to(&peer, "one", 3, &addr), 3);
    const cmio_event *e = udp_wait_token(&p, 1);
    assert_true(cmio_event_is_readable(e));
    assert_false(cmio_event_is_writable(e));
    assert_int_equal(cmio_udp_socket_recv(&s, buf, sizeof buf), 3);
    assert_int_equal(cmio_udp_socket_recv(&s, buf, sizeof buf), -EAGAIN);

    /* Reregistered as token 2 with writable interest: a writable event under 2, never 1. */
    assert_int_equal(
        cmio_udp_socket_reregister(&s, p.reg, 2, CMIO_INTEREST_READABLE | CMIO_INTEREST_WRITABLE),
        0);
    e = udp_wait_token(&p, 2);
    assert_true(cmio_event_is_writable(e));
    assert_null(test_find_token(p.events, 1));
    assert_int_equal(cmio_udp_socket_reregister(&s, p.reg, 2, CMIO_INTEREST_READABLE), 0);
    assert_int_equal(cmio_udp_socket_send_to(&peer, "two", 3, &addr), 3);
    e = udp_wait_token(&p, 2);
    assert_true(cmio_event_is_readable(e));
    assert_null(test_find_token(p.events, 1));
    assert_int_equal(cmio_udp_socket_recv(&s, buf, sizeof buf), 3);
    assert_int_equal(cmio_udp_socket_recv(&s, buf, sizeof buf), -EAGAIN);

    /* Deregistered: with a datagram queued (readable), no event at all. */
    assert_int_equal(cmio_udp_socket_deregister(&s, p.reg), 0);
    assert_int_equal(cmio_udp_socket_deregister(&s, p.reg), -ENOENT);
    assert_int_equal(cmio_udp_socket_send_to(&peer, "three", 5, &addr), 5);
    udp_wait_readable(&s);
    /* One poll for both tokens (edge-triggered: a second poll would not see it again); nothing
     * else is registered with p, so it must report no event at all. */
    assert_int_equal(test_poll_now(p.poll, p.events), 0);

    /* It can then be registered with the other poll, which sees the queued datagram. */
    assert_int_equal(cmio_udp_socket_register(&s, other.reg, 3, CMIO_INTEREST_READABLE), 0);
    e = udp_wait_token(&other, 3);
    assert_true(cmio_event_is_readable(e));
    udp_assert_no_event(&p, 3);

    assert_int_equal(cmio_udp_socket_close(&s), 0);
    assert_int_equal(cmio_udp_socket_close(&peer), 0);
    /* A closed socket cannot be registered. */
    assert_int_equal(cmio_udp_socket_register(&s, p.reg, 1, CMIO_INTEREST_READABLE), -EBADF);
    udp_poll_close(&p);
    udp_poll_close(&other);
}

/* ---- no fd leaks ----------------------------------------------------------------------------- */

static void test_no_fd_leak(void **state)
{
    (void)state;
    int before = test_count_open_fds();
    udp_poll p;
    udp_poll_open(&p); /* its own fds: one on epoll, more with the poll(2) backend */
    int base = test_count_open_fds();
    cmio_udp_socket r = CMIO_UDP_SOCKET_INIT, s = CMIO_UDP_SOCKET_INIT, r6 = CMIO_UDP_SOCKET_INIT,
                    dup = CMIO_UDP_SOCKET_INIT;
    cmio_sockaddr raddr, saddr, a6;
    udp_bind(&r, AF_INET, &raddr);
    udp_bind(&s, AF_INET, &saddr);
    bool v6 = udp_ipv6_errno() == 0;
    if (v6)
        udp_bind(&r6, AF_INET6, &a6);
    assert_int_equal(test_count_open_fds(), base + 2 + (v6 ? 1 : 0));

    /* Failed calls open nothing. */
    assert_int_equal(cmio_udp_socket_bind(&dup, &raddr), -EADDRINUSE);
    assert_int_equal(TEST_FROM_HANDLE(udp_socket, &dup, TEST_NO_SOCK), -EBADF);

    /* Registration, I/O and batches open nothing either (but the backend's handles for the
     * registration, kept until the poll is freed). */
    assert_int_equal(cmio_udp_socket_register(&r, p.reg, UDP_TOK_A, CMIO_INTEREST_READABLE), 0);
#if CMIO_HAVE_UDP_SOCKET_SEND_BATCH
    cmio_udp_msg m;
    memset(&m, 0, sizeof m);
    m.buf = "leak?";
    m.len = 5;
    m.addr = raddr;
    assert_int_equal(cmio_udp_socket_send_batch(&s, &m, 1), 1);
    udp_wait_token(&p, UDP_TOK_A);
    char buf[8];
    m.buf = buf;
    m.len = sizeof buf;
    assert_int_equal(cmio_udp_socket_recv_batch(&r, &m, 1), 1);
#else
    assert_int_equal(cmio_udp_socket_send_to(&s, "leak?", 5, &raddr), 5);
    udp_wait_token(&p, UDP_TOK_A);
    char buf[8];
    assert_int_equal(cmio_udp_socket_recv_from(&r, buf, sizeof buf, NULL), 5);
#endif
    assert_int_equal(test_count_open_fds(), base + 2 + (v6 ? 1 : 0) + test_backend_fds(1));

    assert_int_equal(cmio_udp_socket_close(&r), 0);
    assert_int_equal(cmio_udp_socket_close(&s), 0);
    if (v6)
        assert_int_equal(cmio_udp_socket_close(&r6), 0);
    assert_int_equal(test_count_open_fds(), base + test_backend_fds(1));
    udp_poll_close(&p);
    assert_int_equal(test_count_open_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_local_addr_v4),
        cmocka_unit_test(test_bind_local_addr_v6),
        cmocka_unit_test(test_bind_addr_in_use),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_empty_and_closed_socket),
        cmocka_unit_test(test_echo_v4),
        cmocka_unit_test(test_echo_v6),
        cmocka_unit_test(test_connected_v4),
        cmocka_unit_test(test_connected_v6),
        cmocka_unit_test(test_peek_from_does_not_consume),
        cmocka_unit_test(test_peek_does_not_consume),
        cmocka_unit_test(test_recv_empty_and_truncation),
        cmocka_unit_test(test_zero_length_datagram),
        cmocka_unit_test(test_broadcast),
        cmocka_unit_test(test_multicast_loop_v4),
        cmocka_unit_test(test_multicast_ttl_v4),
        cmocka_unit_test(test_multicast_loop_v6),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_only_v6),
#ifndef _WIN32
        cmocka_unit_test(test_join_leave_multicast_v4),
        cmocka_unit_test(test_join_leave_multicast_v6),
        cmocka_unit_test(test_multicast_loopback_v4),
        cmocka_unit_test(test_multicast_loopback_v6),
#else
        cmocka_unit_test(test_join_leave_calls),
#endif
        cmocka_unit_test(test_take_error_refused_v4),
        cmocka_unit_test(test_recv_refused_v4),
        cmocka_unit_test(test_take_error_refused_v6),
#if CMIO_HAVE_UDP_SOCKET_SEND_BATCH
        cmocka_unit_test(test_batch_v4),
        cmocka_unit_test(test_batch_v6),
        cmocka_unit_test(test_batch_truncated),
        cmocka_unit_test(test_batch_edge_cases),
#endif
        cmocka_unit_test(test_from_fd_as_fd),
        cmocka_unit_test(test_into_fd),
#ifndef _WIN32
        cmocka_unit_test(test_close_deregisters),
#endif
        cmocka_unit_test(test_register_reregister_deregister),
        cmocka_unit_test(test_no_fd_leak),
    };
    return cmocka_run_group_tests_name("udp_socket", tests, udp_group_setup, udp_group_teardown);
}
