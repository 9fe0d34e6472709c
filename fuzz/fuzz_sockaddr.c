/* SPDX-License-Identifier: MIT */
/* fuzz_sockaddr — libFuzzer target for cmio_sockaddr_parse / _format / _from_sys and the
 * accessors (runtime/addr.c). Built and run by `make fuzz` (fuzz/run.sh).
 *
 * Properties checked on every input (abort() on a violation, so libFuzzer keeps the input):
 *   - the input as text: parse never reads past the NUL; when it accepts, format succeeds, the
 *     formatted text parses back to an equal address and formats to the same text (a fixed point);
 *     format into every smaller buffer gives -ENOSPC and "" without writing past the buffer;
 *   - the input as a raw cmio_sockaddr (arbitrary bytes): format, family, port, set_port and
 *     equal never crash; text that format produced parses back to the same address;
 *   - the input as a kernel sockaddr of its own length: from_sys never reads past it; what it
 *     accepts formats and round-trips.
 * Every buffer is heap-allocated at its exact size so that AddressSanitizer sees any over-read.
 */
#include <cmio/addr.h>
#include <cmio/error.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_sockaddr: %s:%d: check failed: %s\n", __FILE__, __LINE__,        \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Formats a into exactly-sized heap buffers of every length below the text's and checks that
 * each is refused cleanly; returns the text (malloc'd) or NULL when format refuses a. */
static char *format_checked(const cmio_sockaddr *a)
{
    char *full = malloc(CMIO_SOCKADDR_STRLEN);
    CHECK(full != NULL);
    int n = cmio_sockaddr_format(a, full, CMIO_SOCKADDR_STRLEN);
    if (n < 0) {
        CHECK(n == -EINVAL || n == -EAFNOSUPPORT);
        free(full);
        return NULL;
    }
    CHECK(n > 0 && n < CMIO_SOCKADDR_STRLEN && strlen(full) == (size_t)n);
    for (size_t cap = 0; cap <= (size_t)n; cap++) {
        char *small = malloc(cap > 0 ? cap : 1);
        CHECK(small != NULL);
        if (cap > 0)
            small[0] = 'x';
        CHECK(cmio_sockaddr_format(a, small, cap) == -ENOSPC);
        if (cap > 0)
            CHECK(small[0] == '\0');
        free(small);
    }
    /* Exactly n + 1 bytes is enough. */
    char *exact = malloc((size_t)n + 1);
    CHECK(exact != NULL);
    CHECK(cmio_sockaddr_format(a, exact, (size_t)n + 1) == n);
    CHECK(strcmp(exact, full) == 0);
    free(exact);
    return full;
}

/* text came from format(a): it must parse back to a (flow info is not part of the text). */
static void check_round_trip(const cmio_sockaddr *a, const char *text)
{
    cmio_sockaddr b;
    CHECK(cmio_sockaddr_parse(&b, text) == 0);
    cmio_sockaddr a2 = *a;
    if (cmio_sockaddr_family(&a2) == AF_INET6)
        a2.u.v6.sin6_flowinfo = 0;
    CHECK(cmio_sockaddr_equal(&a2, &b));
    CHECK(cmio_sockaddr_port(&b) == cmio_sockaddr_port(a));
    CHECK(cmio_sockaddr_family(&b) == cmio_sockaddr_family(a));
    char *again = format_checked(&b);
    CHECK(again != NULL);
    CHECK(strcmp(again, text) == 0);
    free(again);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    cmio_sockaddr a;
    int r = cmio_sockaddr_parse(&a, text);
    if (r == 0) {
        /* Accepted text holds no NUL before its end and is shorter than the limit. */
        CHECK(strlen(text) < CMIO_SOCKADDR_STRLEN);
        CHECK(a.len == sizeof a.u.v4 || a.len == sizeof a.u.v6);
        char *out = format_checked(&a);
        CHECK(out != NULL);
        check_round_trip(&a, out);
        free(out);
    } else {
        CHECK(r == -EINVAL);
        CHECK(strcmp(cmio_err_name(r), "EUNKNOWN") != 0);
    }
    free(text);
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
    if (size < sizeof(cmio_sockaddr))
        return;
    cmio_sockaddr *a = malloc(sizeof *a);
    CHECK(a != NULL);
    memcpy(a, data, sizeof *a);
    (void)cmio_sockaddr_family(a);
    (void)cmio_sockaddr_port(a);
    (void)cmio_sockaddr_equal(a, a);
    char *out = format_checked(a);
    if (out != NULL) {
        check_round_trip(a, out);
        free(out);
    }
    int fam = cmio_sockaddr_family(a);
    int r = cmio_sockaddr_set_port(a, 4242);
    CHECK(r == ((fam == AF_INET || fam == AF_INET6) ? 0 : -EINVAL));
    if (r == 0)
        CHECK(cmio_sockaddr_port(a) == 4242);
    free(a);
}

static void fuzz_from_sys(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 1024)
        return;
    void *sa = malloc(size);
    CHECK(sa != NULL);
    memcpy(sa, data, size);
    cmio_sockaddr a;
    int r = cmio_sockaddr_from_sys(&a, sa, (socklen_t)size);
    if (r == 0) {
        int fam = cmio_sockaddr_family(&a);
        CHECK(fam == AF_INET || fam == AF_INET6);
        char *out = format_checked(&a);
        CHECK(out != NULL);
        check_round_trip(&a, out);
        free(out);
    } else {
        CHECK(r == -EINVAL || r == -EAFNOSUPPORT);
    }
    free(sa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_text(data, size);
    fuzz_raw(data, size);
    fuzz_from_sys(data, size);
    return 0;
}
