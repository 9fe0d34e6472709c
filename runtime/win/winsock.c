/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — Winsock initialised once per process, from whichever thread first
 * needs it (InitOnceExecuteOnce), never cleaned up: sockets may live until the process exits, and
 * WSAStartup calls of the application itself are counted separately by Winsock. */
#include "win/nt.h"

static INIT_ONCE cmio_winsock_once = INIT_ONCE_STATIC_INIT;
static int cmio_winsock_status; /* 0 or -errno, written once */

static BOOL CALLBACK cmio_winsock_start(INIT_ONCE *once, void *param, void **context)
{
    (void)once;
    (void)param;
    (void)context;
    WSADATA data;
    int err = WSAStartup(MAKEWORD(2, 2), &data);
    if (err != 0)
        cmio_winsock_status = -cmio__win_errno((DWORD)err);
    else if (LOBYTE(data.wVersion) != 2 || HIBYTE(data.wVersion) != 2) {
        WSACleanup();
        cmio_winsock_status = -ENOSYS;
    }
    return TRUE;
}

int cmio__winsock_init(void)
{
    (void)InitOnceExecuteOnce(&cmio_winsock_once, cmio_winsock_start, NULL, NULL);
    return cmio_winsock_status;
}
