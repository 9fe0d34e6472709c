/* SPDX-License-Identifier: MIT */
/* cmio tests — socket address parsing, formatting and accessors. */
#include <cmio/addr.h>

#include <arpa/inet.h>
#include <string.h>

#include "test_util.h"

/* parse(text) then format must give back exactly `text`. */
static void check_round_trip(const char *text)
{
    cmio_sockaddr a;
    char buf[CMIO_SOCKADDR_STRLEN];
    assert_int_equal(cmio_sockaddr_parse(&a, text), 0);
    assert_int_equal(cmio_sockaddr_format(&a, buf, sizeof buf), (int)strlen(text));
    assert_string_equal(buf, text);
}

static void test_parse_v4(void **state)
{
    (void)state;
    cmio_sockaddr a;
    assert_int_equal(cmio_sockaddr_parse(&a, "127.0.0.1:8080"), 0);
    assert_int_equal(a.len, sizeof(struct sockaddr_in));
    assert_int_equal(cmio_sockaddr_family(&a), AF_INET);
    assert_int_equal(cmio_sockaddr_port(&a), 8080);
    assert_int_equal(a.u.v4.sin_port, htons(8080));
    assert_int_equal(a.u.v4.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    check_round_trip("127.0.0.1:8080");
    check_round_trip("0.0.0.0:0");
    check_round_trip("255.255.255.255:65535");
    check_round_trip("10.1.2.3:1");
}

static void test_parse_v6(void **state)
{
    (void)state;
    cmio_sockaddr a;
    assert_int_equal(cmio_sockaddr_parse(&a, "[::1]:443"), 0);
    assert_int_equal(a.len, sizeof(struct sockaddr_in6));
    assert_int_equal(cmio_sockaddr_family(&a), AF_INET6);
    assert_int_equal(cmio_sockaddr_port(&a), 443);
    assert_memory_equal(&a.u.v6.sin6_addr, &in6addr_loopback, sizeof in6addr_loopback);
    assert_int_equal(a.u.v6.sin6_scope_id, 0);
    assert_int_equal(a.u.v6.sin6_flowinfo, 0);
    check_round_trip("[::1]:443");
    check_round_trip("[::]:0");
    check_round_trip("[2001:db8::1:2]:65535");
    check_round_trip("[::ffff:1.2.3.4]:80");
    check_round_trip("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    /* Text inet_ntop would not produce still parses to the same address. */
    cmio_sockaddr b;
    assert_int_equal(cmio_sockaddr_parse(&a, "[0:0::0:1]:443"), 0);
    assert_int_equal(cmio_sockaddr_parse(&b, "[::1]:443"), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));
}

static void test_parse_scope(void **state)
{
    (void)state;
    cmio_sockaddr a;
    assert_int_equal(cmio_sockaddr_parse(&a, "[fe80::1%2]:80"), 0);
    assert_int_equal(a.u.v6.sin6_scope_id, 2);
    assert_int_equal(cmio_sockaddr_port(&a), 80);
    assert_int_equal(cmio_sockaddr_parse(&a, "[fe80::1%4294967295]:80"), 0);
    assert_int_equal(a.u.v6.sin6_scope_id, 4294967295u);
    check_round_trip("[fe80::1%2]:80");
    check_round_trip("[fe80::1%4294967295]:65535");
    /* Scope 0 is the same as none. */
    assert_int_equal(cmio_sockaddr_parse(&a, "[fe80::1%0]:80"), 0);
    assert_int_equal(a.u.v6.sin6_scope_id, 0);
}

static void test_parse_port_forms(void **state)
{
    (void)state;
    cmio_sockaddr a;
    assert_int_equal(cmio_sockaddr_parse(&a, "1.2.3.4:0"), 0);
    assert_int_equal(cmio_sockaddr_port(&a), 0);
    assert_int_equal(cmio_sockaddr_parse(&a, "1.2.3.4:65535"), 0);
    assert_int_equal(cmio_sockaddr_port(&a), 65535);
    assert_int_equal(cmio_sockaddr_parse(&a, "1.2.3.4:0080"), 0); /* leading zeros, as Rust */
    assert_int_equal(cmio_sockaddr_port(&a), 80);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "1.2.3.4",
        "1.2.3.4:",
        ":80",
        "1.2.3.4:65536",
        "1.2.3.4:99999",
        "1.2.3.4:4294967376", /* 2^32 + 80: no wrap-around */
        "1.2.3.4:8a",
        "1.2.3.4:a8",
        "1.2.3:80",
        "1.2.3.4.5:80",
        "256.1.1.1:80",
        "255.255.255.2555:80", /* first 15 characters would be valid */
        "1.2.3.4:655350",
        "localhost:80",
        " 1.2.3.4:80",
        "1.2.3.4 :80",
        "1.2.3.4: 80",
        "1.2.3.4:80 ",
        "1.2.3.4:+80",
        "1.2.3.4:-80",
        "1.2.3.4:80:80",
        "1.2.3.4:80\n",
        "::1:80",
        "::1",
        "[::1]",
        "[::1]:",
        "[::1]80",
        "[::1",
        "[::1]:65536",
        "[::1]:80x",
        "[::1]:80]",
        "[[::1]]:80",
        "[]:80",
        "[1.2.3.4]:80",
        "[::g]:80",
        "[ ::1]:80",
        "[fe80::1%]:80",
        "[fe80::1%eth0]:80",
        "[fe80::1%-1]:80",
        "[fe80::1%+1]:80",
        "[fe80::1%4294967296]:80",
        "[fe80::1%1%2]:80",
        "[fe80::1]%2:80",
        /* Bracket part longer than INET6_ADDRSTRLEN. */
        "[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80",
        "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555]:80",
        /* Overlong strings: never truncated into something valid. */
        "1.2.3.4:000000000000000000000000000000000000000000000000000000000000000000000080",
        "[::1]:0000000000000000000000000000000000000000000000000000000000000000000000080",
        "[::0000000000000000000000000000000000000000000000000000000000000000000001]:80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cmio_sockaddr a;
        memset(&a, 0xAB, sizeof a);
        int r = cmio_sockaddr_parse(&a, bad[i]);
        if (r != -EINVAL)
            fail_msg("parse(\"%s\") = %d, expected -EINVAL", bad[i], r);
    }
}

static void test_parse_overlong_input(void **state)
{
    (void)state;
    /* A valid address followed by a long tail, and a huge string: rejected, not truncated. */
    char big[4096];
    memset(big, '0', sizeof big);
    memcpy(big, "1.2.3.4:", 8);
    big[sizeof big - 1] = '\0';
    cmio_sockaddr a;
    assert_int_equal(cmio_sockaddr_parse(&a, big), -EINVAL);
    big[8 + CMIO_SOCKADDR_STRLEN] = '\0';
    assert_int_equal(cmio_sockaddr_parse(&a, big), -EINVAL);
}

static void test_parse_null(void **state)
{
    (void)state;
    cmio_sockaddr a;
    assert_int_equal(cmio_sockaddr_parse(NULL, "1.2.3.4:80"), -EINVAL);
    assert_int_equal(cmio_sockaddr_parse(&a, NULL), -EINVAL);
}

static void test_format_small_buffer(void **state)
{
    (void)state;
    cmio_sockaddr a;
    char buf[CMIO_SOCKADDR_STRLEN];
    assert_int_equal(cmio_sockaddr_parse(&a, "127.0.0.1:80"), 0);
    /* Exactly enough: strlen + NUL. */
    assert_int_equal(cmio_sockaddr_format(&a, buf, 13), 12);
    assert_string_equal(buf, "127.0.0.1:80");
    /* One short: nothing written but an empty string. */
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(cmio_sockaddr_format(&a, buf, 12), -ENOSPC);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'Z');
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(cmio_sockaddr_format(&a, buf, 1), -ENOSPC);
    assert_int_equal(buf[0], '\0');
    buf[0] = 'Z';
    assert_int_equal(cmio_sockaddr_format(&a, buf, 0), -ENOSPC);
    assert_int_equal(buf[0], 'Z'); /* buflen 0: untouched */

    assert_int_equal(cmio_sockaddr_parse(&a, "[fe80::1%2]:80"), 0);
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(cmio_sockaddr_format(&a, buf, 14), -ENOSPC);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(cmio_sockaddr_format(&a, buf, 15), 14);
    assert_string_equal(buf, "[fe80::1%2]:80");
}

static void test_format_invalid(void **state)
{
    (void)state;
    cmio_sockaddr a;
    char buf[CMIO_SOCKADDR_STRLEN];
    memset(&a, 0, sizeof a);
    assert_int_equal(cmio_sockaddr_format(&a, buf, sizeof buf), -EINVAL); /* empty */
    assert_int_equal(cmio_sockaddr_format(NULL, buf, sizeof buf), -EINVAL);
    assert_int_equal(cmio_sockaddr_parse(&a, "1.2.3.4:5"), 0);
    assert_int_equal(cmio_sockaddr_format(&a, NULL, 10), -EINVAL);
    a.u.sa.sa_family = AF_UNIX;
    assert_int_equal(cmio_sockaddr_format(&a, buf, sizeof buf), -EAFNOSUPPORT);
}

static void test_format_longest(void **state)
{
    (void)state;
    /* The longest output fits CMIO_SOCKADDR_STRLEN. */
    check_round_trip("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535");
    /* The longest input (45-character address, 10-digit scope) is accepted. */
    cmio_sockaddr a, b;
    assert_int_equal(
        cmio_sockaddr_parse(&a, "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%4294967295]:65535"),
        0);
    assert_int_equal(
        cmio_sockaddr_parse(&b, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535"), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));
}

static void test_ipv4_ipv6_builders(void **state)
{
    (void)state;
    cmio_sockaddr a, b;
    char buf[CMIO_SOCKADDR_STRLEN];
    const uint8_t lo4[4] = {127, 0, 0, 1};
    uint8_t lo6[16] = {0};
    lo6[15] = 1;

    assert_int_equal(cmio_sockaddr_ipv4(&a, lo4, 8080), 0);
    assert_int_equal(cmio_sockaddr_parse(&b, "127.0.0.1:8080"), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));
    assert_int_equal(cmio_sockaddr_format(&a, buf, sizeof buf), 14);
    assert_string_equal(buf, "127.0.0.1:8080");

    assert_int_equal(cmio_sockaddr_ipv6(&a, lo6, 9), 0);
    assert_int_equal(cmio_sockaddr_parse(&b, "[::1]:9"), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));

    assert_int_equal(cmio_sockaddr_ipv4(NULL, lo4, 1), -EINVAL);
    assert_int_equal(cmio_sockaddr_ipv4(&a, NULL, 1), -EINVAL);
    assert_int_equal(cmio_sockaddr_ipv6(NULL, lo6, 1), -EINVAL);
    assert_int_equal(cmio_sockaddr_ipv6(&a, NULL, 1), -EINVAL);
}

static void test_equal(void **state)
{
    (void)state;
    cmio_sockaddr a, b, empty1, empty2;
    memset(&empty1, 0, sizeof empty1);
    memset(&empty2, 0, sizeof empty2);

    assert_int_equal(cmio_sockaddr_parse(&a, "1.2.3.4:80"), 0);
    assert_int_equal(cmio_sockaddr_parse(&b, "1.2.3.4:80"), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));
    assert_int_equal(cmio_sockaddr_parse(&b, "1.2.3.4:81"), 0);
    assert_false(cmio_sockaddr_equal(&a, &b));
    assert_int_equal(cmio_sockaddr_parse(&b, "1.2.3.5:80"), 0);
    assert_false(cmio_sockaddr_equal(&a, &b));
    assert_int_equal(cmio_sockaddr_parse(&b, "[::ffff:1.2.3.4]:80"), 0);
    assert_false(cmio_sockaddr_equal(&a, &b)); /* different family */

    assert_int_equal(cmio_sockaddr_parse(&a, "[fe80::1%1]:80"), 0);
    assert_int_equal(cmio_sockaddr_parse(&b, "[fe80::1%2]:80"), 0);
    assert_false(cmio_sockaddr_equal(&a, &b)); /* scope differs */
    assert_int_equal(cmio_sockaddr_parse(&b, "[fe80::1%1]:80"), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));
    b.u.v6.sin6_flowinfo = htonl(7);
    assert_false(cmio_sockaddr_equal(&a, &b)); /* flow info differs */

    assert_false(cmio_sockaddr_equal(NULL, &a));
    assert_false(cmio_sockaddr_equal(&a, NULL));
    assert_true(cmio_sockaddr_equal(&empty1, &empty2));
    assert_false(cmio_sockaddr_equal(&empty1, &a));
}

static void test_family_port_set_port(void **state)
{
    (void)state;
    cmio_sockaddr a, empty;
    memset(&empty, 0, sizeof empty);

    assert_int_equal(cmio_sockaddr_family(NULL), AF_UNSPEC);
    assert_int_equal(cmio_sockaddr_family(&empty), AF_UNSPEC);
    assert_int_equal(cmio_sockaddr_port(NULL), 0);
    assert_int_equal(cmio_sockaddr_port(&empty), 0);
    assert_int_equal(cmio_sockaddr_set_port(NULL, 1), -EINVAL);
    assert_int_equal(cmio_sockaddr_set_port(&empty, 1), -EINVAL);

    assert_int_equal(cmio_sockaddr_parse(&a, "1.2.3.4:80"), 0);
    assert_int_equal(cmio_sockaddr_set_port(&a, 65535), 0);
    assert_int_equal(cmio_sockaddr_port(&a), 65535);
    assert_int_equal(a.u.v4.sin_port, htons(65535));

    assert_int_equal(cmio_sockaddr_parse(&a, "[::1]:80"), 0);
    assert_int_equal(cmio_sockaddr_set_port(&a, 1234), 0);
    assert_int_equal(cmio_sockaddr_port(&a), 1234);
    assert_int_equal(a.u.v6.sin6_port, htons(1234));
}

static void test_from_sys(void **state)
{
    (void)state;
    cmio_sockaddr a, b;
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr_storage ss;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(80);
    sin.sin_addr.s_addr = htonl(0x01020304);
    assert_int_equal(cmio_sockaddr_from_sys(&a, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(cmio_sockaddr_parse(&b, "1.2.3.4:80"), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));
    assert_int_equal(a.len, sizeof sin);
    assert_int_equal(cmio_sockaddr_from_sys(&a, (struct sockaddr *)&sin, sizeof sin - 1), -EINVAL);

    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(443);
    sin6.sin6_addr = in6addr_loopback;
    sin6.sin6_scope_id = 3;
    assert_int_equal(cmio_sockaddr_from_sys(&a, (struct sockaddr *)&sin6, sizeof sin6), 0);
    assert_int_equal(cmio_sockaddr_parse(&b, "[::1%3]:443"), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));
    assert_int_equal(a.len, sizeof sin6);
    assert_int_equal(cmio_sockaddr_from_sys(&a, (struct sockaddr *)&sin6, sizeof sin), -EINVAL);

    /* A larger buffer (sockaddr_storage from accept) is fine. */
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, &sin6, sizeof sin6);
    assert_int_equal(cmio_sockaddr_from_sys(&a, (struct sockaddr *)&ss, sizeof ss), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));

    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    assert_int_equal(cmio_sockaddr_from_sys(&a, (struct sockaddr *)&ss, sizeof ss), -EAFNOSUPPORT);
    assert_int_equal(cmio_sockaddr_from_sys(&a, (struct sockaddr *)&ss, 1), -EINVAL);
    assert_int_equal(cmio_sockaddr_from_sys(NULL, (struct sockaddr *)&sin, sizeof sin), -EINVAL);
    assert_int_equal(cmio_sockaddr_from_sys(&a, NULL, sizeof sin), -EINVAL);
}

static void test_from_sys_getsockname(void **state)
{
    (void)state;
    /* Round trip through the kernel: bind to 127.0.0.1:0, read the address back. */
    int fd = test_socket(AF_INET, SOCK_STREAM | TEST_SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    cmio_sockaddr a, b;
    assert_int_equal(cmio_sockaddr_parse(&a, "127.0.0.1:0"), 0);
    assert_int_equal(bind(fd, &a.u.sa, a.len), 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(cmio_sockaddr_from_sys(&b, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(cmio_sockaddr_family(&b), AF_INET);
    assert_true(cmio_sockaddr_port(&b) != 0);
    assert_int_equal(cmio_sockaddr_set_port(&a, cmio_sockaddr_port(&b)), 0);
    assert_true(cmio_sockaddr_equal(&a, &b));
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_v4),
        cmocka_unit_test(test_parse_v6),
        cmocka_unit_test(test_parse_scope),
        cmocka_unit_test(test_parse_port_forms),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_overlong_input),
        cmocka_unit_test(test_parse_null),
        cmocka_unit_test(test_format_small_buffer),
        cmocka_unit_test(test_format_invalid),
        cmocka_unit_test(test_format_longest),
        cmocka_unit_test(test_ipv4_ipv6_builders),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_family_port_set_port),
        cmocka_unit_test(test_from_sys),
        cmocka_unit_test(test_from_sys_getsockname),
    };
    return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
