/* SPDX-License-Identifier: MIT */
/* cmio tests — cmio_unix_addr: pathname, abstract (Linux) and unnamed addresses, their accessors,
 * equality and conversion from what the kernel returns; lengths at and past the sun_path limit
 * (refused with -ENAMETOOLONG, never truncated — also through a real bind). */
#include <cmio/cmio.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "test_util.h"

#include "unix_util.h"

#define PATH_OFFSET offsetof(struct sockaddr_un, sun_path)

/* A string of n copies of c. */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_path_max_matches_sun_path(void **state)
{
    (void)state;
    struct sockaddr_un sun;
    assert_int_equal(CMIO_UNIX_PATH_MAX, sizeof(sun.sun_path) - 1);
}

static void test_pathname(void **state)
{
    (void)state;
    cmio_unix_addr a;
    assert_int_equal(cmio_unix_addr_from_pathname(&a, "/tmp/some.sock"), 0);
    assert_int_equal(a.sun.sun_family, AF_UNIX);
    assert_int_equal(a.len, PATH_OFFSET + strlen("/tmp/some.sock") + 1);
    assert_false(cmio_unix_addr_is_unnamed(&a));
    assert_string_equal(cmio_unix_addr_as_pathname(&a), "/tmp/some.sock");
    size_t len = 99;
    assert_null(cmio_unix_addr_as_abstract_name(&a, &len));
    assert_int_equal(len, 0);

    /* A relative path is a pathname too. */
    assert_int_equal(cmio_unix_addr_from_pathname(&a, "rel"), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&a), "rel");
}

static void test_pathname_bytes(void **state)
{
    (void)state;
    cmio_unix_addr a, b;
    /* Not NUL-terminated: only len bytes are used. */
    const char raw[] = {'/', 't', 'm', 'p', '/', 'x', 'y', 'Z', 'Z'};
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(&a, raw, 7), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&a), "/tmp/xy");
    assert_int_equal(a.len, PATH_OFFSET + 8);
    assert_int_equal(cmio_unix_addr_from_pathname(&b, "/tmp/xy"), 0);
    assert_true(cmio_unix_addr_equal(&a, &b));
}

static void test_pathname_embedded_nul(void **state)
{
    (void)state;
    cmio_unix_addr a;
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(&a, "/tmp/a\0b", 8), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(&a, "\0abc", 4), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(&a, "abc\0", 4), -EINVAL);
}

static void test_pathname_empty_and_null(void **state)
{
    (void)state;
    cmio_unix_addr a;
    assert_int_equal(cmio_unix_addr_from_pathname(&a, ""), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_pathname(&a, NULL), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_pathname(NULL, "/tmp/x"), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(&a, "x", 0), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(&a, NULL, 3), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(NULL, "abc", 3), -EINVAL);
    assert_int_equal(cmio_unix_addr_unnamed(NULL), -EINVAL);
}

static void test_pathname_length_limit(void **state)
{
    (void)state;
    cmio_unix_addr a;
    char *max = repeat('p', CMIO_UNIX_PATH_MAX);
    char *over = repeat('q', CMIO_UNIX_PATH_MAX + 1);
    char *way_over = repeat('r', 4096);

    assert_int_equal(cmio_unix_addr_from_pathname(&a, max), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&a), max);
    assert_int_equal(a.len, sizeof(struct sockaddr_un));
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(&a, max, CMIO_UNIX_PATH_MAX), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&a), max);

    assert_int_equal(cmio_unix_addr_from_pathname(&a, over), -ENAMETOOLONG);
    assert_int_equal(cmio_unix_addr_from_pathname_bytes(&a, over, CMIO_UNIX_PATH_MAX + 1),
                     -ENAMETOOLONG);
    assert_int_equal(cmio_unix_addr_from_pathname(&a, way_over), -ENAMETOOLONG);
    free(max);
    free(over);
    free(way_over);
}

/* A real socket at a path of exactly CMIO_UNIX_PATH_MAX bytes binds and reports that path. */
static void test_bind_at_path_max(void **state)
{
    ux_ctx *ctx = *state;
    char path[CMIO_UNIX_PATH_MAX + 1];
    size_t dlen = strlen(ctx->dir);
    memcpy(path, ctx->dir, dlen);
    path[dlen] = '/';
    memset(path + dlen + 1, 'm', CMIO_UNIX_PATH_MAX - dlen - 1);
    path[CMIO_UNIX_PATH_MAX] = '\0';
    assert_int_equal(strlen(path), CMIO_UNIX_PATH_MAX);

    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), 0);
    assert_true(ux_is_socket_file(path));
    cmio_unix_addr local, want;
    assert_int_equal(cmio_unix_listener_local_addr(&l, &local), 0);
    assert_non_null(cmio_unix_addr_as_pathname(&local));
    assert_string_equal(cmio_unix_addr_as_pathname(&local), path);
    assert_int_equal(cmio_unix_addr_from_pathname(&want, path), 0);
    assert_true(cmio_unix_addr_equal(&local, &want));

    /* And a client can reach it by that path. */
    cmio_unix_stream c = CMIO_UNIX_STREAM_INIT, s = CMIO_UNIX_STREAM_INIT;
    ux_connect_accept(ctx, &l, path, &c, &s, NULL);
    cmio_unix_addr peer;
    assert_int_equal(cmio_unix_stream_peer_addr(&c, &peer), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&peer), path);
    assert_int_equal(cmio_unix_stream_close(&c), 0);
    assert_int_equal(cmio_unix_stream_close(&s), 0);
    assert_int_equal(cmio_unix_listener_close(&l), 0);
}

/* One byte too long: refused, and no socket file with the truncated name appears. */
static void test_bind_overlong_not_truncated(void **state)
{
    ux_ctx *ctx = *state;
    char path[CMIO_UNIX_PATH_MAX + 2];
    size_t dlen = strlen(ctx->dir);
    memcpy(path, ctx->dir, dlen);
    path[dlen] = '/';
    memset(path + dlen + 1, 't', CMIO_UNIX_PATH_MAX + 1 - dlen - 1);
    path[CMIO_UNIX_PATH_MAX + 1] = '\0';
    assert_int_equal(strlen(path), CMIO_UNIX_PATH_MAX + 1);
    char truncated[CMIO_UNIX_PATH_MAX + 1];
    memcpy(truncated, path, CMIO_UNIX_PATH_MAX);
    truncated[CMIO_UNIX_PATH_MAX] = '\0';

    int before = test_count_open_fds();
    cmio_unix_listener l = CMIO_UNIX_LISTENER_INIT;
    assert_int_equal(cmio_unix_listener_bind(&l, path), -ENAMETOOLONG);
    assert_int_equal(cmio_unix_listener_as_fd(&l), -EBADF); /* untouched */

    cmio_unix_datagram d = CMIO_UNIX_DATAGRAM_INIT;
    assert_int_equal(cmio_unix_datagram_bind(&d, path), -ENAMETOOLONG);
    assert_int_equal(cmio_unix_datagram_as_fd(&d), -EBADF);

    cmio_unix_stream s = CMIO_UNIX_STREAM_INIT;
    assert_int_equal(cmio_unix_stream_connect(&s, path), -ENAMETOOLONG);

    assert_false(ux_file_exists(truncated));
    assert_int_equal(ux_dir_entries(ctx), 0);
    assert_int_equal(test_count_open_fds(), before); /* no socket left open on the error path */
}

static void test_unnamed(void **state)
{
    (void)state;
    cmio_unix_addr a, b;
    memset(&a, 0xab, sizeof a);
    assert_int_equal(cmio_unix_addr_unnamed(&a), 0);
    assert_int_equal(a.sun.sun_family, AF_UNIX);
    assert_int_equal(a.len, PATH_OFFSET);
    assert_true(cmio_unix_addr_is_unnamed(&a));
    assert_null(cmio_unix_addr_as_pathname(&a));
    size_t len = 5;
    assert_null(cmio_unix_addr_as_abstract_name(&a, &len));
    assert_int_equal(len, 0);
    assert_int_equal(cmio_unix_addr_unnamed(&b), 0);
    assert_true(cmio_unix_addr_equal(&a, &b));
}

static void test_accessors_null(void **state)
{
    (void)state;
    assert_false(cmio_unix_addr_is_unnamed(NULL));
    assert_null(cmio_unix_addr_as_pathname(NULL));
    size_t len = 7;
    assert_null(cmio_unix_addr_as_abstract_name(NULL, &len));
    assert_int_equal(len, 0);
    cmio_unix_addr a;
    assert_int_equal(cmio_unix_addr_unnamed(&a), 0);
    assert_false(cmio_unix_addr_equal(&a, NULL));
    assert_false(cmio_unix_addr_equal(NULL, &a));
    assert_false(cmio_unix_addr_equal(NULL, NULL));
}

static void test_equal(void **state)
{
    (void)state;
    cmio_unix_addr a, b, c, u;
    assert_int_equal(cmio_unix_addr_from_pathname(&a, "/tmp/eq.sock"), 0);
    assert_int_equal(cmio_unix_addr_from_pathname(&b, "/tmp/eq.sock"), 0);
    assert_int_equal(cmio_unix_addr_from_pathname(&c, "/tmp/eq.sockX"), 0);
    assert_int_equal(cmio_unix_addr_unnamed(&u), 0);
    assert_true(cmio_unix_addr_equal(&a, &a));
    assert_true(cmio_unix_addr_equal(&a, &b));
    assert_false(cmio_unix_addr_equal(&a, &c));
    assert_false(cmio_unix_addr_equal(&c, &a));
    assert_false(cmio_unix_addr_equal(&a, &u));
    assert_false(cmio_unix_addr_equal(&u, &a));
    /* Same length, one byte different. */
    assert_int_equal(cmio_unix_addr_from_pathname(&c, "/tmp/eq.sockq"), 0);
    assert_int_equal(cmio_unix_addr_from_pathname(&b, "/tmp/eq.sockr"), 0);
    assert_false(cmio_unix_addr_equal(&b, &c));
}

/* A cmio_unix_addr that ends exactly where a PROT_NONE page begins: reading one byte past the
 * struct faults. Free with guarded_free. */
static cmio_unix_addr *guarded_addr(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *m =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + page, (size_t)page, PROT_NONE), 0);
    return (cmio_unix_addr *)(void *)(m + page - sizeof(cmio_unix_addr));
}

static void guarded_free(cmio_unix_addr *a)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *m = (unsigned char *)a + sizeof(cmio_unix_addr) - page;
    assert_int_equal(munmap(m, (size_t)page * 2), 0);
}

/* Found by fuzz/fuzz_unix_addr: an address struct whose len is larger than sockaddr_un (caller
 * filled it, or memory went bad) made equal() compare, and as_abstract_name() promise, bytes past
 * the struct; one whose sun_path holds no NUL made as_pathname() return an unterminated string.
 * A malformed address is now no pathname, no abstract name, and equal to nothing. */
static void test_accessors_malformed(void **state)
{
    (void)state;
    cmio_unix_addr *a = guarded_addr();
    cmio_unix_addr b;
    size_t len = 99;

    /* len past sockaddr_un, pathname. */
    assert_int_equal(cmio_unix_addr_from_pathname(a, "/tmp/m.sock"), 0);
    a->len = (socklen_t)(sizeof a->sun + 16);
    b = *a;
    assert_false(cmio_unix_addr_equal(a, a));
    assert_false(cmio_unix_addr_equal(a, &b));
    assert_false(cmio_unix_addr_is_unnamed(a));
    assert_null(cmio_unix_addr_as_pathname(a));

    /* len past sockaddr_un, abstract. */
    memset(a->sun.sun_path, 'z', sizeof a->sun.sun_path);
    a->sun.sun_path[0] = '\0';
    a->len = (socklen_t)(sizeof a->sun + 16);
    assert_null(cmio_unix_addr_as_abstract_name(a, &len));
    assert_int_equal(len, 0);
    assert_false(cmio_unix_addr_equal(a, a));

    /* A pathname without a NUL anywhere in sun_path. */
    memset(a->sun.sun_path, 'p', sizeof a->sun.sun_path);
    a->len = (socklen_t)sizeof a->sun;
    const char *p = cmio_unix_addr_as_pathname(a);
    if (p != NULL)
        assert_true(strnlen(p, sizeof a->sun.sun_path) < sizeof a->sun.sun_path);
    assert_null(p);

    /* A family other than AF_UNIX is not a Unix address. */
    assert_int_equal(cmio_unix_addr_from_pathname(a, "/tmp/f.sock"), 0);
    a->sun.sun_family = AF_INET;
    assert_null(cmio_unix_addr_as_pathname(a));
    assert_false(cmio_unix_addr_equal(a, a));

    /* len shorter than the family field: unnamed, as a zeroed struct is. */
    memset(a, 0, sizeof *a);
    assert_true(cmio_unix_addr_is_unnamed(a));
    assert_null(cmio_unix_addr_as_pathname(a));
    assert_null(cmio_unix_addr_as_abstract_name(a, &len));
    guarded_free(a);
}

static void test_from_sys_pathname(void **state)
{
    (void)state;
    cmio_unix_addr a, want;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, "/run/x.sock");
    assert_int_equal(cmio_unix_addr_from_pathname(&want, "/run/x.sock"), 0);

    /* The NUL counted, as Linux reports it. */
    socklen_t with_nul = (socklen_t)(PATH_OFFSET + strlen("/run/x.sock") + 1);
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sun, with_nul), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&a), "/run/x.sock");
    assert_true(cmio_unix_addr_equal(&a, &want));

    /* Without the NUL, as other systems report it: normalised to the same address. */
    memset(&a, 0xcd, sizeof a);
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sun, with_nul - 1), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&a), "/run/x.sock");
    assert_true(cmio_unix_addr_equal(&a, &want));

    /* The whole struct (trailing NULs counted): still the same address. */
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sun, sizeof sun), 0);
    assert_true(cmio_unix_addr_equal(&a, &want));
}

static void test_from_sys_unnamed_and_errors(void **state)
{
    (void)state;
    cmio_unix_addr a;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;

    /* Just the family, or nothing at all: unnamed. */
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sun, sizeof(sa_family_t)), 0);
    assert_true(cmio_unix_addr_is_unnamed(&a));
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sun, 0), 0);
    assert_true(cmio_unix_addr_is_unnamed(&a));

    /* Not AF_UNIX. */
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(80);
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sin, sizeof sin),
                     -EAFNOSUPPORT);
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sin, sizeof(sa_family_t)),
                     -EAFNOSUPPORT);

    /* Out of range, NULLs. */
    struct sockaddr_storage big;
    memset(&big, 0, sizeof big);
    big.ss_family = AF_UNIX;
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&big, sizeof big), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_sys(NULL, (struct sockaddr *)&sun, sizeof sun), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_sys(&a, NULL, sizeof sun), -EINVAL);

    /* A pathname filling sun_path with no NUL cannot be exposed as a C string. */
    memset(sun.sun_path, 'z', sizeof sun.sun_path);
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sun, sizeof sun),
                     -ENAMETOOLONG);
}

/* What the kernel says about real sockets converts to what the constructors build. */
static void test_from_sys_kernel(void **state)
{
    ux_ctx *ctx = *state;
    char path[64];
    ux_path(ctx, "k.sock", path, sizeof path);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    socklen_t len = sizeof sun;
    /* Unbound: unnamed. */
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sun, &len), 0);
    cmio_unix_addr a, want;
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sun, len), 0);
    assert_true(cmio_unix_addr_is_unnamed(&a));
    /* Bound to a path. */
    assert_int_equal(cmio_unix_addr_from_pathname(&want, path), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&want.sun, want.len), 0);
    len = sizeof sun;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sun, &len), 0);
    assert_int_equal(cmio_unix_addr_from_sys(&a, (struct sockaddr *)&sun, len), 0);
    assert_string_equal(cmio_unix_addr_as_pathname(&a), path);
    assert_true(cmio_unix_addr_equal(&a, &want));
    assert_int_equal(close(fd), 0);
}

#if CMIO_HAVE_ABSTRACT_NAMES
static void test_linux_only_abstract(void **state)
{
    (void)state;
    cmio_unix_addr a, b, p;
    const char name[] = {'a', '\0', 'b', '\0', '\0', 'c', '\xff'};
    assert_int_equal(cmio_unix_addr_from_abstract_name(&a, name, sizeof name), 0);
    assert_int_equal(a.sun.sun_family, AF_UNIX);
    assert_int_equal(a.len, PATH_OFFSET + 1 + sizeof name);
    assert_false(cmio_unix_addr_is_unnamed(&a));
    assert_null(cmio_unix_addr_as_pathname(&a));
    size_t len = 0;
    const void *got = cmio_unix_addr_as_abstract_name(&a, &len);
    assert_non_null(got);
    assert_int_equal(len, sizeof name);
    assert_memory_equal(got, name, sizeof name);
    assert_non_null(cmio_unix_addr_as_abstract_name(&a, NULL)); /* len may be NULL */

    /* Same bytes → equal; a name that differs after an embedded NUL → not equal. */
    assert_int_equal(cmio_unix_addr_from_abstract_name(&b, name, sizeof name), 0);
    assert_true(cmio_unix_addr_equal(&a, &b));
    char other[sizeof name];
    memcpy(other, name, sizeof name);
    other[5] = 'C';
    assert_int_equal(cmio_unix_addr_from_abstract_name(&b, other, sizeof other), 0);
    assert_false(cmio_unix_addr_equal(&a, &b));
    /* A prefix is another name. */
    assert_int_equal(cmio_unix_addr_from_abstract_name(&b, name, 3), 0);
    assert_false(cmio_unix_addr_equal(&a, &b));

    /* "abc" as abstract name and as pathname are different addresses. */
    assert_int_equal(cmio_unix_addr_from_abstract_name(&b, "abc", 3), 0);
    assert_int_equal(cmio_unix_addr_from_pathname(&p, "abc"), 0);
    assert_false(cmio_unix_addr_equal(&b, &p));
    assert_false(cmio_unix_addr_equal(&p, &b));
    assert_null(cmio_unix_addr_as_abstract_name(&p, &len));
    assert_int_equal(len, 0);
}

static void test_linux_only_abstract_limits(void **state)
{
    (void)state;
    cmio_unix_addr a;
    char *max = repeat('n', CMIO_UNIX_PATH_MAX);
    assert_int_equal(cmio_unix_addr_from_abstract_name(&a, max, CMIO_UNIX_PATH_MAX), 0);
    assert_int_equal(a.len, sizeof(struct sockaddr_un));
    size_t len = 0;
    const void *got = cmio_unix_addr_as_abstract_name(&a, &len);
    assert_int_equal(len, CMIO_UNIX_PATH_MAX);
    assert_memory_equal(got, max, CMIO_UNIX_PATH_MAX);
    char *over = repeat('o', CMIO_UNIX_PATH_MAX + 1);
    assert_int_equal(cmio_unix_addr_from_abstract_name(&a, over, CMIO_UNIX_PATH_MAX + 1),
                     -ENAMETOOLONG);
    assert_int_equal(cmio_unix_addr_from_abstract_name(NULL, "x", 1), -EINVAL);
    assert_int_equal(cmio_unix_addr_from_abstract_name(&a, NULL, 1), -EINVAL);
    free(max);
    free(over);
}

/* An abstract name with embedded NULs survives bind → getsockname → from_sys. */
static void test_linux_only_abstract_kernel_roundtrip(void **state)
{
    (void)state;
    char name[96];
    size_t nlen = ux_abstract_name(name, sizeof name, "addr");
    assert_non_null(memchr(name, '\0', nlen));
    cmio_unix_addr want, got;
    assert_int_equal(cmio_unix_addr_from_abstract_name(&want, name, nlen), 0);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&want.sun, want.len), 0);
    struct sockaddr_un sun;
    socklen_t len = sizeof sun;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sun, &len), 0);
    assert_int_equal(cmio_unix_addr_from_sys(&got, (struct sockaddr *)&sun, len), 0);
    assert_true(cmio_unix_addr_equal(&got, &want));
    size_t glen = 0;
    const void *g = cmio_unix_addr_as_abstract_name(&got, &glen);
    assert_int_equal(glen, nlen);
    assert_memory_equal(g, name, nlen);
    assert_int_equal(close(fd), 0);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_max_matches_sun_path),
        cmocka_unit_test(test_pathname),
        cmocka_unit_test(test_pathname_bytes),
        cmocka_unit_test(test_pathname_embedded_nul),
        cmocka_unit_test(test_pathname_empty_and_null),
        cmocka_unit_test(test_pathname_length_limit),
        UX_TEST(test_bind_at_path_max),
        UX_TEST(test_bind_overlong_not_truncated),
        cmocka_unit_test(test_unnamed),
        cmocka_unit_test(test_accessors_null),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_accessors_malformed),
        cmocka_unit_test(test_from_sys_pathname),
        cmocka_unit_test(test_from_sys_unnamed_and_errors),
        UX_TEST(test_from_sys_kernel),
#if CMIO_HAVE_ABSTRACT_NAMES
        cmocka_unit_test(test_linux_only_abstract),
        cmocka_unit_test(test_linux_only_abstract_limits),
        cmocka_unit_test(test_linux_only_abstract_kernel_roundtrip),
#endif
    };
    return cmocka_run_group_tests_name("unix_addr", tests, ux_group_setup, ux_group_teardown);
}
