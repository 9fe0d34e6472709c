/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — private declarations of the Windows folder: the Windows headers in the
 * order Winsock needs, the NT and AFD definitions the AFD backend uses (not in the SDK headers),
 * and the functions runtime/win/ files share. Nothing here is exported from cmio.dll.
 *
 * The NT functions come from ntdll.dll through GetProcAddress (as wepoll does), so that programs
 * link with -lcmio -lws2_32 only: ntdll is not one of the libraries the toolchain links by
 * default.
 */
#ifndef CMIO_WIN_NT_H
#define CMIO_WIN_NT_H

#include "internal.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <mswsock.h>
#include <windows.h>
#include <winternl.h>

/* ---- NT status codes (the SDK's winnt.h spells some of them as DWORDs) --------------------- */

#define CMIO__STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define CMIO__STATUS_PENDING ((NTSTATUS)0x00000103L)
#define CMIO__STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)
#define CMIO__STATUS_CANCELLED ((NTSTATUS)0xC0000120L)
#define CMIO__STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)

/* ---- AFD: the kernel driver behind Winsock, polled with IOCTL_AFD_POLL --------------------- */

#define CMIO__IOCTL_AFD_POLL 0x00012024UL

/* The poll bits of AFD_POLL_HANDLE_INFO.Events (mio's src/sys/windows/afd.rs names them). */
#define CMIO__AFD_POLL_RECEIVE 0x0001u           /* data to read */
#define CMIO__AFD_POLL_RECEIVE_EXPEDITED 0x0002u /* out-of-band data */
#define CMIO__AFD_POLL_SEND 0x0004u              /* room to write; a connect has completed */
#define CMIO__AFD_POLL_DISCONNECT 0x0008u        /* the peer shut down its write half (FIN) */
#define CMIO__AFD_POLL_ABORT 0x0010u             /* the connection was reset or aborted */
#define CMIO__AFD_POLL_LOCAL_CLOSE 0x0020u       /* the socket was closed here */
#define CMIO__AFD_POLL_ACCEPT 0x0080u            /* a connection waits to be accepted */
#define CMIO__AFD_POLL_CONNECT_FAIL 0x0100u      /* a connect failed */

typedef struct cmio__afd_poll_handle_info {
    HANDLE handle;
    ULONG events;
    NTSTATUS status;
} cmio__afd_poll_handle_info;

typedef struct cmio__afd_poll_info {
    LARGE_INTEGER timeout;
    ULONG number_of_handles; /* always 1 here */
    ULONG exclusive;
    cmio__afd_poll_handle_info handles[1];
} cmio__afd_poll_info;

/* ---- afd.c: the NT glue ---------------------------------------------------------------------- */

/* Resolves the ntdll functions (once, thread-safely). 0 or a negative errno. */
int cmio__nt_init(void);

/* Opens an AFD helper handle (\Device\Afd\Cmio: the driver, no socket behind it), associated with
 * `port` (completion key 0) and with FILE_SKIP_SET_EVENT_ON_HANDLE. 0 or a negative errno. */
int cmio__afd_open(HANDLE port, HANDLE *out);

/* Starts IOCTL_AFD_POLL on `afd` for info->handles[0]. iosb->Status is STATUS_PENDING until the
 * completion packet (whose lpOverlapped is `context`) is queued on the port, also when the poll
 * completes at once. Returns 0 when a packet will come, else the failure's NTSTATUS (negative;
 * no packet will come). */
NTSTATUS cmio__afd_poll(HANDLE afd, cmio__afd_poll_info *info, IO_STATUS_BLOCK *iosb,
                        void *context);

/* Cancels the poll whose status block is iosb, if it is still pending (NtCancelIoFileEx). Its
 * completion packet still comes, with iosb->Status STATUS_CANCELLED — or with the poll's real
 * result when it completed first. 0 or a negative errno. */
int cmio__afd_cancel(HANDLE afd, IO_STATUS_BLOCK *iosb);

/* The base service provider's socket under `s` (SIO_BASE_HANDLE, with the fallbacks mio uses for
 * layered providers that break it): the one AFD knows. 0 or a negative errno. */
int cmio__afd_base_socket(SOCKET s, SOCKET *base);

/* ---- error_map.c (the rest of it is declared in sys_socket.h) -------------------------------- */

/* The errno (positive) for an NTSTATUS, through RtlNtStatusToDosError and the one table. */
int cmio__nt_errno(NTSTATUS status);

/* ---- backend_afd.c, for waker_iocp.c --------------------------------------------------------- */

/* The completion port of an AFD selector, and its lock (an SRW lock, exclusive). */
HANDLE cmio__afd_port(struct cmio_selector *sel);
void cmio__afd_lock(struct cmio_selector *sel);
void cmio__afd_unlock(struct cmio_selector *sel);

/* A waker's completion packets carry this address as lpOverlapped and the waker as the key. */
extern OVERLAPPED cmio__waker_packet_tag;

/* ---- waker_iocp.c, for backend_afd.c --------------------------------------------------------- */

/* A waker packet was dequeued (selector lock held, or the selector is being destroyed): returns
 * true and the waker's token when the waker lives (it may be woken again from now on), false when
 * it was freed meanwhile (it is released now). */
bool cmio__waker_iocp_packet(ULONG_PTR key, cmio_token *token);

#endif /* CMIO_WIN_NT_H */
