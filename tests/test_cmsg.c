/* SPDX-License-Identifier: MIT */
/* cmio tests — the control-message handling of recv_fds (runtime/unix_net.c), through its private
 * seam cmio__recv_fds_collect: the test plays the kernel and hands it a msghdr as recvmsg would
 * leave it, well-formed or not. Closed fds are recorded, never closed, so made-up fd numbers are
 * safe. The fuzz target fuzz/fuzz_cmsg.c drives the same seam with arbitrary bytes; each of its
 * findings becomes a test here.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include "test_util.h"

#include "net.h"

/* Fds passed to the recording close_fd. */
static int closed[1024];
static size_t nclosed;

static int record_close(int fd)
{
    if (nclosed < sizeof closed / sizeof closed[0])
        closed[nclosed] = fd;
    nclosed++;
    return 0;
}

static bool was_closed(int fd)
{
    for (size_t i = 0; i < nclosed && i < sizeof closed / sizeof closed[0]; i++)
        if (closed[i] == fd)
            return true;
    return false;
}

/* Values that sit in memory right after the control message: reading one of them is an
 * over-read past msg_controllen. */
#define SENTINEL 0x7ead00
#define IS_SENTINEL(fd) ((fd) >= SENTINEL && (fd) < SENTINEL + 64)

/* A control buffer bigger than what the "kernel" says it filled, with sentinels everywhere. */
typedef struct ctl_buf {
    struct {
        _Alignas(struct cmsghdr) unsigned char b[512];
    } u;
    struct msghdr msg;
} ctl_buf;

static void ctl_init(ctl_buf *c)
{
    for (size_t i = 0; i < sizeof c->u.b / sizeof(int); i++) {
        int v = SENTINEL + (int)(i % 64);
        memcpy(c->u.b + i * sizeof(int), &v, sizeof v);
    }
    memset(&c->msg, 0, sizeof c->msg);
    c->msg.msg_control = c->u.b;
    nclosed = 0;
}

/* Writes a cmsghdr at byte offset off with the given cmsg_len and nfds fds (first, first+1, …);
 * returns the offset of the next header (CMSG_SPACE of the fds). */
static size_t ctl_put(ctl_buf *c, size_t off, int type, size_t cmsg_len, size_t nfds, int first)
{
    struct cmsghdr h;
    memset(&h, 0, sizeof h);
    h.cmsg_level = SOL_SOCKET;
    h.cmsg_type = type;
    h.cmsg_len = cmsg_len;
    memcpy(c->u.b + off, &h, sizeof h);
    for (size_t i = 0; i < nfds; i++) {
        int fd = first + (int)i;
        memcpy(c->u.b + off + CMSG_LEN(0) + i * sizeof(int), &fd, sizeof fd);
    }
    return off + CMSG_SPACE(nfds * sizeof(int));
}

static void assert_no_sentinel(const cmio_fd_buf *fb)
{
    for (size_t i = 0; i < fb->len; i++)
        assert_false(IS_SENTINEL(fb->fds[i]));
    for (size_t i = 0; i < nclosed && i < sizeof closed / sizeof closed[0]; i++)
        assert_false(IS_SENTINEL(closed[i]));
}

/* A well-formed message: every fd delivered, in order, nothing closed. */
static void test_collect_well_formed(void **state)
{
    (void)state;
    ctl_buf c;
    ctl_init(&c);
    c.msg.msg_controllen = ctl_put(&c, 0, SCM_RIGHTS, CMSG_LEN(3 * sizeof(int)), 3, 40);
    int got[8];
    cmio_fd_buf fb = {.fds = got, .cap = 8, .len = 99, .truncated = true};
    cmio__recv_fds_collect(&c.msg, &fb, 8, record_close);
    assert_int_equal(fb.len, 3);
    assert_false(fb.truncated);
    assert_int_equal(got[0], 40);
    assert_int_equal(got[1], 41);
    assert_int_equal(got[2], 42);
    assert_int_equal(nclosed, 0);
}

/* No control message at all (controllen 0, or too short for a header): nothing happens. */
static void test_collect_empty(void **state)
{
    (void)state;
    ctl_buf c;
    ctl_init(&c);
    int got[4];
    cmio_fd_buf fb = {.fds = got, .cap = 4, .len = 99, .truncated = true};
    cmio__recv_fds_collect(&c.msg, &fb, 4, record_close);
    assert_int_equal(fb.len, 0);
    assert_false(fb.truncated);
    c.msg.msg_controllen = sizeof(struct cmsghdr) - 1;
    cmio__recv_fds_collect(&c.msg, &fb, 4, record_close);
    assert_int_equal(fb.len, 0);
    assert_false(fb.truncated);
    assert_int_equal(nclosed, 0);
}

/* recv_fds with cap 0 passes no control buffer at all (msg_control NULL): found by
 * fuzz/fuzz_cmsg, the walk computed NULL + 0, undefined behaviour that clang's UBSan reports
 * (make test SANITIZE=1 CC=clang). */
static void test_collect_no_control_buffer(void **state)
{
    (void)state;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    cmio_fd_buf fb = {.fds = NULL, .cap = 0, .len = 5, .truncated = true};
    nclosed = 0;
    cmio__recv_fds_collect(&msg, &fb, 0, record_close);
    assert_int_equal(fb.len, 0);
    assert_false(fb.truncated);
    msg.msg_flags = MSG_CTRUNC;
    cmio__recv_fds_collect(&msg, &fb, 0, record_close);
    assert_int_equal(fb.len, 0);
    assert_true(fb.truncated);
    assert_int_equal(nclosed, 0);
}

/* More fds than cap: all of them closed, none kept, truncated. */
static void test_collect_over_cap(void **state)
{
    (void)state;
    ctl_buf c;
    ctl_init(&c);
    c.msg.msg_controllen = ctl_put(&c, 0, SCM_RIGHTS, CMSG_LEN(3 * sizeof(int)), 3, 40);
    int got[2];
    cmio_fd_buf fb = {.fds = got, .cap = 2};
    cmio__recv_fds_collect(&c.msg, &fb, 2, record_close);
    assert_int_equal(fb.len, 0);
    assert_true(fb.truncated);
    assert_int_equal(nclosed, 3);
    assert_true(was_closed(40) && was_closed(41) && was_closed(42));
}

/* MSG_CTRUNC: what did arrive is closed. */
static void test_collect_ctrunc(void **state)
{
    (void)state;
    ctl_buf c;
    ctl_init(&c);
    c.msg.msg_controllen = ctl_put(&c, 0, SCM_RIGHTS, CMSG_LEN(2 * sizeof(int)), 2, 40);
    c.msg.msg_flags = MSG_CTRUNC;
    int got[8];
    cmio_fd_buf fb = {.fds = got, .cap = 8};
    cmio__recv_fds_collect(&c.msg, &fb, 8, record_close);
    assert_int_equal(fb.len, 0);
    assert_true(fb.truncated);
    assert_int_equal(nclosed, 2);
    assert_true(was_closed(40) && was_closed(41));
}

/* Other control messages are skipped, SCM_RIGHTS after them still read. */
static void test_collect_skips_other_types(void **state)
{
    (void)state;
    ctl_buf c;
    ctl_init(&c);
    size_t off = ctl_put(&c, 0, SCM_RIGHTS + 1, CMSG_LEN(2 * sizeof(int)), 2, 50);
    c.msg.msg_controllen = ctl_put(&c, off, SCM_RIGHTS, CMSG_LEN(1 * sizeof(int)), 1, 60);
    int got[4];
    cmio_fd_buf fb = {.fds = got, .cap = 4};
    cmio__recv_fds_collect(&c.msg, &fb, 4, record_close);
    assert_int_equal(fb.len, 1);
    assert_int_equal(got[0], 60);
    assert_false(fb.truncated);
    assert_int_equal(nclosed, 0);
}

/* Defect 8: cmsg_len claims six fds, the kernel filled room for two (msg_controllen). Nothing past
 * msg_controllen is read; the two fds that are there are closed; the message counts as
 * truncated (fds were lost). */
static void test_collect_cmsg_len_past_controllen(void **state)
{
    (void)state;
    ctl_buf c;
    ctl_init(&c);
    c.msg.msg_controllen = ctl_put(&c, 0, SCM_RIGHTS, CMSG_LEN(6 * sizeof(int)), 2, 40);
    int got[8];
    cmio_fd_buf fb = {.fds = got, .cap = 8};
    cmio__recv_fds_collect(&c.msg, &fb, 8, record_close);
    assert_no_sentinel(&fb);
    assert_int_equal(fb.len, 0);
    assert_true(fb.truncated);
    assert_int_equal(nclosed, 2);
    assert_true(was_closed(40) && was_closed(41));
}

/* The same for the second of two messages: the first one's fds are closed too. */
static void test_collect_second_cmsg_overlong(void **state)
{
    (void)state;
    ctl_buf c;
    ctl_init(&c);
    size_t off = ctl_put(&c, 0, SCM_RIGHTS, CMSG_LEN(1 * sizeof(int)), 1, 40);
    ctl_put(&c, off, SCM_RIGHTS, CMSG_LEN(9 * sizeof(int)), 1, 50);
    c.msg.msg_controllen = off + CMSG_LEN(1 * sizeof(int)); /* filled up to the one fd */
    int got[16];
    cmio_fd_buf fb = {.fds = got, .cap = 16};
    cmio__recv_fds_collect(&c.msg, &fb, 16, record_close);
    assert_no_sentinel(&fb);
    assert_int_equal(fb.len, 0);
    assert_true(fb.truncated);
    assert_true(was_closed(40) && was_closed(50));
    assert_int_equal(nclosed, 2);
}

/* cmsg_len shorter than a header (0, or a few bytes): no fd is read (before the fix the length
 * underflowed into billions of "fds"); the message is malformed, so truncated. */
static void test_collect_cmsg_len_too_short(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, sizeof(struct cmsghdr) - 1};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        ctl_buf c;
        ctl_init(&c);
        ctl_put(&c, 0, SCM_RIGHTS, lens[i], 2, 40);
        c.msg.msg_controllen = CMSG_SPACE(2 * sizeof(int));
        int got[8];
        cmio_fd_buf fb = {.fds = got, .cap = 8};
        cmio__recv_fds_collect(&c.msg, &fb, 8, record_close);
        assert_no_sentinel(&fb);
        assert_int_equal(fb.len, 0);
        assert_true(fb.truncated);
        assert_int_equal(nclosed, 0);
    }
}

/* cap 0 (no room asked for): every fd is closed. */
static void test_collect_cap_zero(void **state)
{
    (void)state;
    ctl_buf c;
    ctl_init(&c);
    c.msg.msg_controllen = ctl_put(&c, 0, SCM_RIGHTS, CMSG_LEN(2 * sizeof(int)), 2, 40);
    cmio_fd_buf fb = {.fds = NULL, .cap = 0};
    cmio__recv_fds_collect(&c.msg, &fb, 0, record_close);
    assert_int_equal(fb.len, 0);
    assert_true(fb.truncated);
    assert_int_equal(nclosed, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collect_well_formed),
        cmocka_unit_test(test_collect_empty),
        cmocka_unit_test(test_collect_no_control_buffer),
        cmocka_unit_test(test_collect_over_cap),
        cmocka_unit_test(test_collect_ctrunc),
        cmocka_unit_test(test_collect_skips_other_types),
        cmocka_unit_test(test_collect_cmsg_len_past_controllen),
        cmocka_unit_test(test_collect_second_cmsg_overlong),
        cmocka_unit_test(test_collect_cmsg_len_too_short),
        cmocka_unit_test(test_collect_cap_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
