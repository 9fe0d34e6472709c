/* SPDX-License-Identifier: MIT */
/* cmio — common definitions shared by every public header.
 *
 * Conventions (the whole API follows them):
 *   - functions return 0 on success or a negative errno value (-EAGAIN = would block);
 *   - I/O functions return a byte count (ssize_t) or a negative errno value;
 *   - there is no global error state; cmio_strerror() names every code.
 */
#ifndef CMIO_COMMON_H
#define CMIO_COMMON_H

/* cmio's API is POSIX (struct timespec, ssize_t, socklen_t), which strict ISO C modes (-std=c99,
 * -std=c11) hide unless a feature macro asks for it. When the program asked for no feature set at
 * all, ask for POSIX.1-2008 here, before any system header: a cmio header included first is then
 * enough. A program that sets its own (_POSIX_C_SOURCE, _XOPEN_SOURCE, _GNU_SOURCE,
 * _DEFAULT_SOURCE, _BSD_SOURCE) keeps it; in strict C99 it must give at least
 * _POSIX_C_SOURCE 200809L, or include a cmio header before any system header (poll.h says so
 * with an #error on glibc). Non-strict modes (gnu99, gnu11, the compilers' defaults) need
 * nothing. */
#if defined(__STRICT_ANSI__) && !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) &&            \
    !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_BSD_SOURCE) &&                 \
    !defined(_POSIX_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmio/platform.h>

#ifdef __cplusplus
#define CMIO_EXTERN_C_BEGIN extern "C" {
#define CMIO_EXTERN_C_END }
#else
#define CMIO_EXTERN_C_BEGIN
#define CMIO_EXTERN_C_END
#endif

/* Marks a function exported from libcmio.so; everything else is hidden. On Windows the functions
 * are exported from cmio.dll when it is built (CMIO_BUILD_DLL); users declare nothing, so the same
 * headers serve the DLL (through its import library) and the static library. */
#if defined(_WIN32)
#if defined(CMIO_BUILD_DLL)
#define CMIO_API __declspec(dllexport)
#else
#define CMIO_API
#endif
#if defined(__GNUC__) || defined(__clang__)
#define CMIO_NODISCARD __attribute__((warn_unused_result))
#else
#define CMIO_NODISCARD
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define CMIO_API __attribute__((visibility("default")))
#define CMIO_NODISCARD __attribute__((warn_unused_result))
#else
#define CMIO_API
#define CMIO_NODISCARD
#endif

#if CMIO_HANDLE_SOCKET
/* Winsock has no struct iovec: the scatter/gather calls (readv, writev) take POSIX's, declared
 * here with its layout, so that the same code builds on every platform. */
struct iovec {
    void *iov_base;
    size_t iov_len;
};
#ifndef IOV_MAX
#define IOV_MAX 1024 /* what cmio accepts in one call, as Linux */
#endif
#else
#include <sys/uio.h>
#endif

CMIO_EXTERN_C_BEGIN

/* Which half of a connection to shut down (std's Shutdown). */
typedef enum cmio_shutdown {
    CMIO_SHUTDOWN_READ = 0,
    CMIO_SHUTDOWN_WRITE = 1,
    CMIO_SHUTDOWN_BOTH = 2,
} cmio_shutdown;

CMIO_EXTERN_C_END

#endif /* CMIO_COMMON_H */
