/* SPDX-License-Identifier: MIT */
/* cmio tests — cmio_strerror / cmio_err_name. */
#include <cmio/error.h>

#include <limits.h>
#include <string.h>

#include "test_util.h"

/* Every code listed here must have its own symbolic name and a real description. */
#define REQUIRED_CODES(X)                                                                          \
    X(EAGAIN)                                                                                      \
    X(EINTR)                                                                                       \
    X(EINVAL)                                                                                      \
    X(EBADF)                                                                                       \
    X(ENOMEM)                                                                                      \
    X(EMFILE)                                                                                      \
    X(ENFILE)                                                                                      \
    X(ENOBUFS)                                                                                     \
    X(EADDRINUSE)                                                                                  \
    X(EADDRNOTAVAIL)                                                                               \
    X(EAFNOSUPPORT)                                                                                \
    X(ECONNREFUSED)                                                                                \
    X(ECONNRESET)                                                                                  \
    X(ECONNABORTED)                                                                                \
    X(EPIPE)                                                                                       \
    X(ENOTCONN)                                                                                    \
    X(EISCONN)                                                                                     \
    X(EINPROGRESS)                                                                                 \
    X(EALREADY)                                                                                    \
    X(ETIMEDOUT)                                                                                   \
    X(EHOSTUNREACH)                                                                                \
    X(ENETUNREACH)                                                                                 \
    X(ENETDOWN)                                                                                    \
    X(EACCES)                                                                                      \
    X(EPERM)                                                                                       \
    X(EEXIST)                                                                                      \
    X(ENOENT)                                                                                      \
    X(ENOTSOCK)                                                                                    \
    X(EOPNOTSUPP)                                                                                  \
    X(EPROTONOSUPPORT)                                                                             \
    X(EPROTOTYPE)                                                                                  \
    X(ENOPROTOOPT)                                                                                 \
    X(EMSGSIZE)                                                                                    \
    X(EDESTADDRREQ)                                                                                \
    X(EFAULT)                                                                                      \
    X(ENOSPC)                                                                                      \
    X(ENAMETOOLONG)                                                                                \
    X(ENOSYS)                                                                                      \
    X(ENOTDIR)                                                                                     \
    X(ELOOP)                                                                                       \
    X(EROFS)                                                                                       \
    X(EISDIR)                                                                                      \
    X(ENXIO)                                                                                       \
    X(EIO)                                                                                         \
    X(ERANGE)                                                                                      \
    X(EOVERFLOW)                                                                                   \
    X(ENETRESET)                                                                                   \
    X(EPROTO)                                                                                      \
    X(EBUSY)                                                                                       \
    X(ECANCELED)

static void test_known_names(void **state)
{
    (void)state;
    assert_string_equal(cmio_err_name(EAGAIN), "EAGAIN");
    assert_string_equal(cmio_err_name(-EAGAIN), "EAGAIN");
    assert_string_equal(cmio_err_name(-ECONNREFUSED), "ECONNREFUSED");
    assert_string_equal(cmio_err_name(EINVAL), "EINVAL");
    assert_string_equal(cmio_err_name(-EADDRINUSE), "EADDRINUSE");
    assert_string_equal(cmio_err_name(-ENOSPC), "ENOSPC");
}

static void test_known_descriptions(void **state)
{
    (void)state;
    assert_string_equal(cmio_strerror(-EAGAIN), "resource temporarily unavailable (would block)");
    assert_string_equal(cmio_strerror(EAGAIN), cmio_strerror(-EAGAIN));
    assert_string_equal(cmio_strerror(-ECONNREFUSED), "connection refused");
    assert_string_equal(cmio_strerror(EINVAL), "invalid argument");
    assert_string_equal(cmio_strerror(-EPIPE), "broken pipe");
    assert_string_equal(cmio_strerror(-EINTR), "interrupted system call");
}

static void test_zero(void **state)
{
    (void)state;
    assert_string_equal(cmio_err_name(0), "OK");
    assert_string_equal(cmio_strerror(0), "success");
}

static void test_unknown(void **state)
{
    (void)state;
    const int unknown[] = {4095, -4095, 100000, -100000, INT_MAX, INT_MIN, INT_MIN + 1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_string_equal(cmio_err_name(unknown[i]), "EUNKNOWN");
        assert_string_equal(cmio_strerror(unknown[i]), "unknown error");
    }
}

static void test_aliases(void **state)
{
    (void)state;
    /* Aliases share the entry of the code they equal; distinct ones have their own. */
    assert_string_equal(cmio_err_name(-EWOULDBLOCK),
                        EWOULDBLOCK == EAGAIN ? "EAGAIN" : "EWOULDBLOCK");
    assert_string_equal(cmio_err_name(-ENOTSUP), ENOTSUP == EOPNOTSUPP ? "EOPNOTSUPP" : "ENOTSUP");
}

static void test_required_codes(void **state)
{
    (void)state;
#define CHECK_CODE(code)                                                                           \
    assert_string_equal(cmio_err_name(code), #code);                                               \
    assert_string_equal(cmio_err_name(-(code)), #code);                                            \
    assert_string_not_equal(cmio_strerror(-(code)), "unknown error");                              \
    assert_string_equal(cmio_strerror(code), cmio_strerror(-(code)));
    REQUIRED_CODES(CHECK_CODE)
    /* Unix codes the Windows C runtime does not define (Winsock's equivalents map to others). */
#ifdef ESHUTDOWN
    CHECK_CODE(ESHUTDOWN)
#endif
#ifdef EHOSTDOWN
    CHECK_CODE(EHOSTDOWN)
#endif
#undef CHECK_CODE
}

/* Whatever the table holds is consistent: a name "E…", a lowercase description, same result for
 * the positive and negative code, and no two codes share a name. */
static void test_table_consistent(void **state)
{
    (void)state;
    const char *names[4096] = {0};
    int known = 0;
    for (int code = 1; code < 4096; code++) {
        const char *name = cmio_err_name(-code);
        const char *desc = cmio_strerror(-code);
        assert_non_null(name);
        assert_non_null(desc);
        assert_ptr_equal(name, cmio_err_name(code));
        assert_ptr_equal(desc, cmio_strerror(code));
        if (strcmp(name, "EUNKNOWN") == 0) {
            assert_string_equal(desc, "unknown error");
            continue;
        }
        known++;
        assert_int_equal(name[0], 'E');
        assert_string_not_equal(desc, "unknown error");
        assert_true(desc[0] != '\0');
        for (const char *p = desc; *p; p++)
            assert_false(*p >= 'A' && *p <= 'Z');
        for (int prev = 1; prev < code; prev++) {
            if (names[prev] != NULL)
                assert_string_not_equal(names[prev], name);
        }
        names[code] = name;
    }
#ifdef _WIN32
    /* The Windows C runtime defines 78 codes (EWOULDBLOCK and ENOTSUP distinct); all are named. */
    assert_true(known >= 78);
#else
    /* Linux has ~133 codes; the table covers them all. */
    assert_true(known >= 120);
#endif
}

#ifdef _WIN32
#include "win/errmap.h"

int cmio__win_errno(unsigned long code);

/* Every Winsock and Win32 code of the one table maps to an errno cmio_err_name() names, and the
 * ones that decide behaviour map as on Unix. */
static void test_windows_error_table(void **state)
{
    (void)state;
    size_t rows = 0;
#define CHECK_ROW(win, posix)                                                                      \
    assert_int_equal(cmio__win_errno(win), posix);                                                 \
    assert_string_not_equal(cmio_err_name(-cmio__win_errno(win)), "EUNKNOWN");                     \
    assert_string_not_equal(cmio_strerror(-cmio__win_errno(win)), "unknown error");                \
    rows++;
    CMIO__WSA_ERRORS(CHECK_ROW)
    CMIO__WIN32_ERRORS(CHECK_ROW)
#undef CHECK_ROW
    assert_true(rows > 100);
    assert_int_equal(cmio__win_errno(WSAEWOULDBLOCK), EAGAIN);
    assert_int_equal(cmio__win_errno(WSAECONNRESET), ECONNRESET);
    assert_int_equal(cmio__win_errno(WSAECONNREFUSED), ECONNREFUSED);
    assert_int_equal(cmio__win_errno(WSAEADDRINUSE), EADDRINUSE);
    assert_int_equal(cmio__win_errno(WSAENOTCONN), ENOTCONN);
    assert_int_equal(cmio__win_errno(WSAENOTSOCK), EBADF);
    assert_int_equal(cmio__win_errno(WSAESHUTDOWN), EPIPE);
    assert_int_equal(cmio__win_errno(ERROR_INVALID_HANDLE), EBADF);
    /* A code the table lacks is still a failure: EIO, never 0. */
    assert_int_equal(cmio__win_errno(0xDEADu), EIO);
    assert_int_equal(cmio__win_errno(0), EIO);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_names),
        cmocka_unit_test(test_known_descriptions),
        cmocka_unit_test(test_zero),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_required_codes),
        cmocka_unit_test(test_table_consistent),
#ifdef _WIN32
        cmocka_unit_test(test_windows_error_table),
#endif
    };
    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
