/* SPDX-License-Identifier: MIT */
/* fuzz_unix_addr — libFuzzer target for the Unix address constructors and accessors
 * (cmio_unix_addr_*, runtime/unix_addr.c). Built and run by `make fuzz` (fuzz/run.sh).
 *
 * Properties checked on every input (abort() on a violation):
 *   - from_pathname / from_pathname_bytes / from_abstract_name accept exactly the names that fit
 *     (no NUL in a pathname, at most CMIO_UNIX_PATH_MAX bytes, -ENAMETOOLONG beyond, never
 *     truncated) and the accessors give the same bytes back; rebuilding from what the accessors
 *     return gives an equal address;
 *   - from_sys with the input as a kernel sockaddr of its own length never reads past it, and what
 *     it accepts has accessors that stay inside sun_path;
 *   - the input as a raw cmio_unix_addr (arbitrary bytes, any len): is_unnamed, as_pathname (the
 *     string it returns is read to its NUL), as_abstract_name (every byte it promises is read) and
 *     equal never read outside the struct.
 * Every buffer is heap-allocated at its exact size so that AddressSanitizer sees any over-read.
 */
#include <cmio/error.h>
#include <cmio/unix.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_unix_addr: %s:%d: check failed: %s\n", __FILE__, __LINE__,       \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define PATH_OFFSET offsetof(struct sockaddr_un, sun_path)

static volatile unsigned char sink;

/* Reads every byte an accessor hands out, so that ASan sees an over-read; checks that the
 * accessors agree with each other. */
static void touch_accessors(const cmio_unix_addr *a)
{
    bool unnamed = cmio_unix_addr_is_unnamed(a);
    const char *path = cmio_unix_addr_as_pathname(a);
    size_t alen = 12345;
    const unsigned char *abs = cmio_unix_addr_as_abstract_name(a, &alen);
    if (path != NULL) {
        size_t n = strlen(path);
        CHECK(n >= 1 && n <= CMIO_UNIX_PATH_MAX);
        CHECK(!unnamed && abs == NULL && alen == 0);
    }
    if (abs != NULL) {
        CHECK(alen <= CMIO_UNIX_PATH_MAX);
        for (size_t i = 0; i < alen; i++)
            sink ^= abs[i];
        CHECK(!unnamed && path == NULL);
    } else {
        CHECK(alen == 0);
    }
    (void)cmio_unix_addr_equal(a, a);
}

/* a is a well-formed address: rebuilding it from its accessors gives an equal one. */
static void check_rebuild(const cmio_unix_addr *a)
{
    touch_accessors(a);
    CHECK(cmio_unix_addr_equal(a, a));
    cmio_unix_addr b;
    const char *path = cmio_unix_addr_as_pathname(a);
    size_t alen;
    const void *abs = cmio_unix_addr_as_abstract_name(a, &alen);
    if (path != NULL) {
        CHECK(cmio_unix_addr_from_pathname(&b, path) == 0);
    } else if (abs != NULL) {
#if CMIO_HAVE_ABSTRACT_NAMES
        CHECK(cmio_unix_addr_from_abstract_name(&b, abs, alen) == 0);
#else
        CHECK(0 && "abstract name without abstract-name support");
#endif
    } else {
        CHECK(cmio_unix_addr_is_unnamed(a));
        CHECK(cmio_unix_addr_unnamed(&b) == 0);
    }
    CHECK(cmio_unix_addr_equal(a, &b) && cmio_unix_addr_equal(&b, a));
    /* What the kernel would hand back for it converts to the same address. */
    cmio_unix_addr c;
    CHECK(cmio_unix_addr_from_sys(&c, (const struct sockaddr *)&a->sun, a->len) == 0);
    CHECK(cmio_unix_addr_equal(a, &c));
}

static void fuzz_constructors(const uint8_t *data, size_t size)
{
    bool has_nul = memchr(data, '\0', size) != NULL;
    cmio_unix_addr a;

    /* Pathname from bytes. */
    void *bytes = malloc(size > 0 ? size : 1);
    CHECK(bytes != NULL);
    memcpy(bytes, data, size);
    int r = cmio_unix_addr_from_pathname_bytes(&a, bytes, size);
    if (size == 0 || has_nul) {
        CHECK(r == -EINVAL);
    } else if (size > CMIO_UNIX_PATH_MAX) {
        CHECK(r == -ENAMETOOLONG);
    } else {
        CHECK(r == 0);
        const char *p = cmio_unix_addr_as_pathname(&a);
        CHECK(p != NULL && strlen(p) == size && memcmp(p, data, size) == 0);
        check_rebuild(&a);
    }

    /* Pathname from a C string: the bytes up to the first NUL. */
    char *text = malloc(size + 1);
    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t tlen = strlen(text);
    r = cmio_unix_addr_from_pathname(&a, text);
    if (tlen == 0)
        CHECK(r == -EINVAL);
    else if (tlen > CMIO_UNIX_PATH_MAX)
        CHECK(r == -ENAMETOOLONG);
    else {
        CHECK(r == 0);
        CHECK(strcmp(cmio_unix_addr_as_pathname(&a), text) == 0);
        check_rebuild(&a);
    }

#if CMIO_HAVE_ABSTRACT_NAMES
    /* Abstract names hold any bytes. */
    r = cmio_unix_addr_from_abstract_name(&a, size > 0 ? bytes : NULL, size);
    if (size > CMIO_UNIX_PATH_MAX) {
        CHECK(r == -ENAMETOOLONG);
    } else {
        CHECK(r == 0);
        size_t alen;
        const void *abs = cmio_unix_addr_as_abstract_name(&a, &alen);
        CHECK(abs != NULL && alen == size && memcmp(abs, data, size) == 0);
        check_rebuild(&a);
    }
#endif
    free(text);
    free(bytes);
}

static void fuzz_from_sys(const uint8_t *data, size_t size)
{
    if (size > 2 * sizeof(struct sockaddr_un))
        return;
    void *sa = malloc(size > 0 ? size : 1);
    CHECK(sa != NULL);
    memcpy(sa, data, size);
    cmio_unix_addr a;
    int r = cmio_unix_addr_from_sys(&a, sa, (socklen_t)size);
    if (r == 0) {
        CHECK(a.len <= sizeof a.sun);
        check_rebuild(&a);
    } else {
        CHECK(r == -EINVAL || r == -EAFNOSUPPORT || r == -ENAMETOOLONG);
        CHECK(strcmp(cmio_err_name(r), "EUNKNOWN") != 0);
    }
    free(sa);
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
    if (size < 2 * sizeof(cmio_unix_addr))
        return;
    cmio_unix_addr *a = malloc(sizeof *a);
    cmio_unix_addr *b = malloc(sizeof *b);
    CHECK(a != NULL && b != NULL);
    memcpy(a, data, sizeof *a);
    memcpy(b, data + sizeof *a, sizeof *b);
    touch_accessors(a);
    touch_accessors(b);
    (void)cmio_unix_addr_equal(a, b);
    (void)cmio_unix_addr_equal(b, a);
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_constructors(data, size);
    fuzz_from_sys(data, size);
    fuzz_raw(data, size);
    return 0;
}
