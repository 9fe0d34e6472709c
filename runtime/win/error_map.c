/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — Win32/Winsock/NTSTATUS codes to errno, through the one table in
 * runtime/win/errmap.h. No global state is set: callers get the negative errno as a value. */
#include "win/nt.h"

#include "win/errmap.h"

int cmio__win_errno(DWORD code)
{
    switch (code) {
#define CMIO_ERRMAP_CASE(win, posix)                                                               \
    case win:                                                                                      \
        return posix;
        CMIO__WSA_ERRORS(CMIO_ERRMAP_CASE)
        CMIO__WIN32_ERRORS(CMIO_ERRMAP_CASE)
#undef CMIO_ERRMAP_CASE
    case 0:
        return EIO; /* a failure without a code: still a failure */
    default:
        return EIO;
    }
}

int cmio__wsa_error(void)
{
    return -cmio__win_errno((DWORD)WSAGetLastError());
}

int cmio__last_error(void)
{
    return -cmio__win_errno(GetLastError());
}
