/* SPDX-License-Identifier: MIT */
/* Generated from VERSION by codegen/generate.py — do not edit. Platform: freebsd.
 * Change the IDL (or the template) and run `make generate`. */
/* cmio — the version, from the file VERSION at the top of the source tree (the one place it is
 * kept: it also names the shared library and its SONAME, and goes into cmio.pc and the CMake
 * package). cmio follows Semantic Versioning; the SONAME libcmio.so.MAJOR changes with MAJOR. */
#ifndef CMIO_VERSION_H
#define CMIO_VERSION_H

#include <cmio/common.h>

#define CMIO_VERSION_MAJOR 0
#define CMIO_VERSION_MINOR 1
#define CMIO_VERSION_PATCH 0
#define CMIO_VERSION_STRING "0.1.0"
/* (MAJOR << 16) | (MINOR << 8) | PATCH, as libuv's UV_VERSION_HEX: compare it in #if. */
#define CMIO_VERSION_HEX 0x000100

CMIO_EXTERN_C_BEGIN

/* The CMIO_VERSION_HEX of the library the program runs with (which may be newer than the headers
 * it was compiled with). */
CMIO_API unsigned int cmio_version(void);

/* The CMIO_VERSION_STRING of the library the program runs with, e.g. "0.1.0". Never NULL. */
CMIO_API const char *cmio_version_string(void);

CMIO_EXTERN_C_END

#endif /* CMIO_VERSION_H */
