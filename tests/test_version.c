/* SPDX-License-Identifier: MIT */
/* cmio tests — the version: the macros of cmio/version.h, what the library reports, and the file
 * VERSION they all come from (CMIO_ROOT names the source tree, as `make test` sets it). */
#include <cmio/cmio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_macros_agree(void **state)
{
    (void)state;
    char text[32];
    snprintf(text, sizeof text, "%d.%d.%d", CMIO_VERSION_MAJOR, CMIO_VERSION_MINOR,
             CMIO_VERSION_PATCH);
    assert_string_equal(text, CMIO_VERSION_STRING);
    assert_int_equal(CMIO_VERSION_HEX,
                     (CMIO_VERSION_MAJOR << 16) | (CMIO_VERSION_MINOR << 8) | CMIO_VERSION_PATCH);
#if CMIO_VERSION_HEX < 0x000100
#error "CMIO_VERSION_HEX must be usable in #if"
#endif
}

static void test_library_reports_the_header_version(void **state)
{
    (void)state;
    assert_int_equal(cmio_version(), CMIO_VERSION_HEX);
    assert_non_null(cmio_version_string());
    assert_string_equal(cmio_version_string(), CMIO_VERSION_STRING);
    /* The exported functions too, not a macro. */
    unsigned int (*version)(void) = cmio_version;
    assert_int_equal(version(), CMIO_VERSION_HEX);
}

static void test_version_file_is_the_source(void **state)
{
    (void)state;
    const char *root = getenv("CMIO_ROOT");
    if (root == NULL || root[0] == '\0') {
        print_message("CMIO_ROOT is not set (run through make test)\n");
        skip();
    }
    char path[4096], text[64] = "";
    snprintf(path, sizeof path, "%s/VERSION", root);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    text[strcspn(text, "\r\n")] = '\0';
    assert_string_equal(text, CMIO_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_macros_agree),
        cmocka_unit_test(test_library_reports_the_header_version),
        cmocka_unit_test(test_version_file_is_the_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
