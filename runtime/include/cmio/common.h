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

/* Marks a function exported from libcmio.so; everything else is hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define CMIO_API __attribute__((visibility("default")))
#define CMIO_NODISCARD __attribute__((warn_unused_result))
#else
#define CMIO_API
#define CMIO_NODISCARD
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
