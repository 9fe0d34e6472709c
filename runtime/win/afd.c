/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — the NT glue of the AFD backend: ntdll functions, AFD helper handles,
 * IOCTL_AFD_POLL, its cancellation and the base socket. As mio's src/sys/windows/afd.rs and
 * wepoll's afd.c; the selector (backend_afd.c) decides when to poll and what to report.
 */
#include "win/nt.h"

#include <string.h>

typedef NTSTATUS(NTAPI *cmio_nt_create_file_fn)(HANDLE *, ACCESS_MASK, OBJECT_ATTRIBUTES *,
                                                IO_STATUS_BLOCK *, LARGE_INTEGER *, ULONG, ULONG,
                                                ULONG, ULONG, void *, ULONG);
typedef NTSTATUS(NTAPI *cmio_nt_device_io_control_file_fn)(HANDLE, HANDLE, void *, void *,
                                                           IO_STATUS_BLOCK *, ULONG, void *, ULONG,
                                                           void *, ULONG);
typedef NTSTATUS(NTAPI *cmio_nt_cancel_io_file_ex_fn)(HANDLE, IO_STATUS_BLOCK *, IO_STATUS_BLOCK *);
typedef ULONG(NTAPI *cmio_rtl_nt_status_to_dos_error_fn)(NTSTATUS);

static cmio_nt_create_file_fn cmio_nt_create_file;
static cmio_nt_device_io_control_file_fn cmio_nt_device_io_control_file;
static cmio_nt_cancel_io_file_ex_fn cmio_nt_cancel_io_file_ex;
static cmio_rtl_nt_status_to_dos_error_fn cmio_rtl_nt_status_to_dos_error;

static INIT_ONCE cmio_nt_once = INIT_ONCE_STATIC_INIT;
static int cmio_nt_status; /* 0 or -errno, written once by cmio_nt_load */

/* void (*)(void) converts to and from any function pointer type without a warning. */
typedef void (*cmio_any_fn)(void);

static cmio_any_fn cmio_nt_proc(HMODULE ntdll, const char *name)
{
    return (cmio_any_fn)GetProcAddress(ntdll, name);
}

static BOOL CALLBACK cmio_nt_load(INIT_ONCE *once, void *param, void **context)
{
    (void)once;
    (void)param;
    (void)context;
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    if (ntdll == NULL) {
        cmio_nt_status = cmio__last_error();
        return TRUE;
    }
    cmio_nt_create_file = (cmio_nt_create_file_fn)cmio_nt_proc(ntdll, "NtCreateFile");
    cmio_nt_device_io_control_file =
        (cmio_nt_device_io_control_file_fn)cmio_nt_proc(ntdll, "NtDeviceIoControlFile");
    cmio_nt_cancel_io_file_ex =
        (cmio_nt_cancel_io_file_ex_fn)cmio_nt_proc(ntdll, "NtCancelIoFileEx");
    cmio_rtl_nt_status_to_dos_error =
        (cmio_rtl_nt_status_to_dos_error_fn)cmio_nt_proc(ntdll, "RtlNtStatusToDosError");
    if (cmio_nt_create_file == NULL || cmio_nt_device_io_control_file == NULL ||
        cmio_nt_cancel_io_file_ex == NULL || cmio_rtl_nt_status_to_dos_error == NULL)
        cmio_nt_status = -ENOSYS;
    return TRUE;
}

int cmio__nt_init(void)
{
    (void)InitOnceExecuteOnce(&cmio_nt_once, cmio_nt_load, NULL, NULL);
    return cmio_nt_status;
}

int cmio__nt_errno(NTSTATUS status)
{
    if (cmio__nt_init() < 0)
        return EIO;
    return cmio__win_errno(cmio_rtl_nt_status_to_dos_error(status));
}

int cmio__afd_open(HANDLE port, HANDLE *out)
{
    /* Opening \Device\Afd with no extended attributes gives a handle to the driver with no
     * endpoint behind it: it can poll any socket, and many sockets share one. */
    static const WCHAR name[] = L"\\Device\\Afd\\Cmio";
    int r = cmio__nt_init();
    if (r < 0)
        return r;
    UNICODE_STRING uname = {.Length = (USHORT)(sizeof(name) - sizeof(WCHAR)),
                            .MaximumLength = (USHORT)sizeof(name),
                            .Buffer = (WCHAR *)name};
    OBJECT_ATTRIBUTES attr;
    memset(&attr, 0, sizeof(attr));
    attr.Length = sizeof(attr);
    attr.ObjectName = &uname;
    IO_STATUS_BLOCK iosb;
    HANDLE afd = NULL;
    NTSTATUS st = cmio_nt_create_file(&afd, SYNCHRONIZE, &attr, &iosb, NULL, 0,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0, NULL, 0);
    if (st != CMIO__STATUS_SUCCESS)
        return -cmio__nt_errno(st);
    if (CreateIoCompletionPort(afd, port, 0, 0) == NULL ||
        !SetFileCompletionNotificationModes(afd, FILE_SKIP_SET_EVENT_ON_HANDLE)) {
        r = cmio__last_error();
        CloseHandle(afd);
        return r;
    }
    *out = afd;
    return 0;
}

NTSTATUS cmio__afd_poll(HANDLE afd, cmio__afd_poll_info *info, IO_STATUS_BLOCK *iosb, void *context)
{
    iosb->Status = CMIO__STATUS_PENDING;
    NTSTATUS st =
        cmio_nt_device_io_control_file(afd, NULL, NULL, context, iosb, CMIO__IOCTL_AFD_POLL, info,
                                       sizeof(*info), info, sizeof(*info));
    /* Success and pending alike: the port gets a packet (the handle does not skip it). */
    return st == CMIO__STATUS_SUCCESS || st == CMIO__STATUS_PENDING ? 0 : st;
}

int cmio__afd_cancel(HANDLE afd, IO_STATUS_BLOCK *iosb)
{
    if (iosb->Status != CMIO__STATUS_PENDING)
        return 0; /* completed already: its packet is queued */
    IO_STATUS_BLOCK cancel_iosb;
    NTSTATUS st = cmio_nt_cancel_io_file_ex(afd, iosb, &cancel_iosb);
    /* NOT_FOUND: it completed between the check and the call. */
    if (st == CMIO__STATUS_SUCCESS || st == CMIO__STATUS_NOT_FOUND)
        return 0;
    return -cmio__nt_errno(st);
}

static int cmio_base_ioctl(SOCKET s, DWORD ioctl, SOCKET *out)
{
    DWORD bytes = 0;
    SOCKET base = INVALID_SOCKET;
    if (WSAIoctl(s, ioctl, NULL, 0, &base, sizeof(base), &bytes, NULL, NULL) == SOCKET_ERROR)
        return cmio__wsa_error();
    *out = base;
    return 0;
}

int cmio__afd_base_socket(SOCKET s, SOCKET *base)
{
    /* An open socket first (-EBADF for a closed one or another kind of handle): Wine answers
     * SIO_BASE_HANDLE without looking at its socket. */
    int type;
    int len = sizeof(type);
    if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == SOCKET_ERROR)
        return cmio__wsa_error();
    int r = cmio_base_ioctl(s, SIO_BASE_HANDLE, base);
    if (r == 0)
        return 0;
    /* SIO_BASE_HANDLE is not meant to be intercepted by layered providers, but some do; the
     * BSP ioctls then name the base socket (only a different socket is an answer). */
    static const DWORD fallbacks[] = {SIO_BSP_HANDLE_SELECT, SIO_BSP_HANDLE_POLL, SIO_BSP_HANDLE};
    for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++) {
        SOCKET b = INVALID_SOCKET;
        if (cmio_base_ioctl(s, fallbacks[i], &b) == 0 && b != s && b != INVALID_SOCKET) {
            *base = b;
            return 0;
        }
    }
    return r;
}
