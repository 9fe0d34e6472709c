/* SPDX-License-Identifier: MIT */
/* cmio — error names.
 *
 * Every cmio function reports failure as a negative errno value. These helpers turn such a value
 * into text without touching any global state (unlike strerror(3), they are thread-safe).
 */
#ifndef CMIO_ERROR_H
#define CMIO_ERROR_H

#include <cmio/common.h>

CMIO_EXTERN_C_BEGIN

/* A short description of `err` (negative or positive errno), e.g. "resource temporarily
 * unavailable (would block)". 0 gives "success". Unknown codes give "unknown error". Never NULL. */
CMIO_API const char *cmio_strerror(int err);

/* The symbolic name of `err`, e.g. "EAGAIN". 0 gives "OK"; unknown codes give "EUNKNOWN". */
CMIO_API const char *cmio_err_name(int err);

CMIO_EXTERN_C_END

#endif /* CMIO_ERROR_H */
