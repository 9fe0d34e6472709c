/* SPDX-License-Identifier: MIT */
/* cmio runtime — the version of the library (cmio/version.h, generated from VERSION). */
#include <cmio/version.h>

unsigned int cmio_version(void)
{
    return CMIO_VERSION_HEX;
}

const char *cmio_version_string(void)
{
    return CMIO_VERSION_STRING;
}
