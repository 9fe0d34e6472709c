/* SPDX-License-Identifier: MIT */
/* cmio runtime — errno names and descriptions (cmio_strerror, cmio_err_name).
 *
 * One static table, built from X-macro lists, replaces strerror(3): no locale, no global buffer,
 * safe from any thread. Descriptions are short and lowercase, like libuv's.
 */
#include <cmio/error.h>

#include <limits.h>

/* Codes POSIX defines that every platform has, Windows' C runtime and wasi-libc included. */
#define CMIO_ERRNO_COMMON(X)                                                                       \
    X(EPERM, "operation not permitted")                                                            \
    X(ENOENT, "no such file or directory")                                                         \
    X(ESRCH, "no such process")                                                                    \
    X(EINTR, "interrupted system call")                                                            \
    X(EIO, "i/o error")                                                                            \
    X(ENXIO, "no such device or address")                                                          \
    X(E2BIG, "argument list too long")                                                             \
    X(ENOEXEC, "exec format error")                                                                \
    X(EBADF, "bad file descriptor")                                                                \
    X(ECHILD, "no child processes")                                                                \
    X(EAGAIN, "resource temporarily unavailable (would block)")                                    \
    X(ENOMEM, "not enough memory")                                                                 \
    X(EACCES, "permission denied")                                                                 \
    X(EFAULT, "bad address in system call argument")                                               \
    X(EBUSY, "resource busy or locked")                                                            \
    X(EEXIST, "already exists")                                                                    \
    X(EXDEV, "cross-device link not permitted")                                                    \
    X(ENODEV, "no such device")                                                                    \
    X(ENOTDIR, "not a directory")                                                                  \
    X(EISDIR, "is a directory")                                                                    \
    X(EINVAL, "invalid argument")                                                                  \
    X(ENFILE, "file table overflow (system limit on open files)")                                  \
    X(EMFILE, "too many open files")                                                               \
    X(ENOTTY, "inappropriate ioctl for device")                                                    \
    X(ETXTBSY, "text file is busy")                                                                \
    X(EFBIG, "file too large")                                                                     \
    X(ENOSPC, "no space left on device (or buffer too small)")                                     \
    X(ESPIPE, "invalid seek")                                                                      \
    X(EROFS, "read-only file system")                                                              \
    X(EMLINK, "too many links")                                                                    \
    X(EPIPE, "broken pipe")                                                                        \
    X(EDOM, "argument out of domain")                                                              \
    X(ERANGE, "result too large")                                                                  \
    X(EDEADLK, "resource deadlock avoided")                                                        \
    X(ENAMETOOLONG, "name too long")                                                               \
    X(ENOLCK, "no locks available")                                                                \
    X(ENOSYS, "function not implemented")                                                          \
    X(ENOTEMPTY, "directory not empty")                                                            \
    X(ELOOP, "too many symbolic links encountered")                                                \
    X(ENOMSG, "no message of desired type")                                                        \
    X(EIDRM, "identifier removed")                                                                 \
    X(ENOLINK, "link has been severed")                                                            \
    X(EPROTO, "protocol error")                                                                    \
    X(EBADMSG, "bad message")                                                                      \
    X(EOVERFLOW, "value too large for defined data type")                                          \
    X(EILSEQ, "illegal byte sequence")                                                             \
    X(ENOTSOCK, "socket operation on non-socket")                                                  \
    X(EDESTADDRREQ, "destination address required")                                                \
    X(EMSGSIZE, "message too long")                                                                \
    X(EPROTOTYPE, "protocol wrong type for socket")                                                \
    X(ENOPROTOOPT, "protocol not available")                                                       \
    X(EPROTONOSUPPORT, "protocol not supported")                                                   \
    X(EOPNOTSUPP, "operation not supported")                                                       \
    X(EAFNOSUPPORT, "address family not supported")                                                \
    X(EADDRINUSE, "address already in use")                                                        \
    X(EADDRNOTAVAIL, "address not available")                                                      \
    X(ENETDOWN, "network is down")                                                                 \
    X(ENETUNREACH, "network is unreachable")                                                       \
    X(ENETRESET, "connection reset by network")                                                    \
    X(ECONNABORTED, "software caused connection abort")                                            \
    X(ECONNRESET, "connection reset by peer")                                                      \
    X(ENOBUFS, "no buffer space available")                                                        \
    X(EISCONN, "socket is already connected")                                                      \
    X(ENOTCONN, "socket is not connected")                                                         \
    X(ETIMEDOUT, "connection timed out")                                                           \
    X(ECONNREFUSED, "connection refused")                                                          \
    X(EHOSTUNREACH, "host is unreachable")                                                         \
    X(EALREADY, "operation already in progress")                                                   \
    X(EINPROGRESS, "operation in progress")                                                        \
    X(ECANCELED, "operation canceled")                                                             \
    X(EOWNERDEAD, "owner died")                                                                    \
    X(ENOTRECOVERABLE, "state not recoverable")

/* Linux-only codes (mostly STREAMS and driver leftovers; listed so every errno has a name). */
#define CMIO_ERRNO_LINUX(X)                                                                        \
    X(ECHRNG, "channel number out of range")                                                       \
    X(EL2NSYNC, "level 2 not synchronized")                                                        \
    X(EL3HLT, "level 3 halted")                                                                    \
    X(EL3RST, "level 3 reset")                                                                     \
    X(ELNRNG, "link number out of range")                                                          \
    X(EUNATCH, "protocol driver not attached")                                                     \
    X(ENOCSI, "no csi structure available")                                                        \
    X(EL2HLT, "level 2 halted")                                                                    \
    X(EBADE, "invalid exchange")                                                                   \
    X(EBADR, "invalid request descriptor")                                                         \
    X(EXFULL, "exchange full")                                                                     \
    X(ENOANO, "no anode")                                                                          \
    X(EBADRQC, "invalid request code")                                                             \
    X(EBADSLT, "invalid slot")                                                                     \
    X(EBFONT, "bad font file format")                                                              \
    X(ENOSTR, "device not a stream")                                                               \
    X(ENODATA, "no data available")                                                                \
    X(ETIME, "timer expired")                                                                      \
    X(ENOSR, "out of streams resources")                                                           \
    X(ENONET, "machine is not on the network")                                                     \
    X(ENOPKG, "package not installed")                                                             \
    X(EADV, "advertise error")                                                                     \
    X(ESRMNT, "srmount error")                                                                     \
    X(ECOMM, "communication error on send")                                                        \
    X(EDOTDOT, "rfs specific error")                                                               \
    X(ENOTUNIQ, "name not unique on network")                                                      \
    X(EBADFD, "file descriptor in bad state")                                                      \
    X(EREMCHG, "remote address changed")                                                           \
    X(ELIBACC, "cannot access a needed shared library")                                            \
    X(ELIBBAD, "accessing a corrupted shared library")                                             \
    X(ELIBSCN, ".lib section in a.out corrupted")                                                  \
    X(ELIBMAX, "attempting to link in too many shared libraries")                                  \
    X(ELIBEXEC, "cannot exec a shared library directly")                                           \
    X(ERESTART, "interrupted system call should be restarted")                                     \
    X(ESTRPIPE, "streams pipe error")                                                              \
    X(EUCLEAN, "structure needs cleaning")                                                         \
    X(ENOTNAM, "not a xenix named type file")                                                      \
    X(ENAVAIL, "no xenix semaphores available")                                                    \
    X(EISNAM, "is a named type file")                                                              \
    X(EREMOTEIO, "remote i/o error")                                                               \
    X(ENOMEDIUM, "no medium found")                                                                \
    X(EMEDIUMTYPE, "wrong medium type")                                                            \
    X(ENOKEY, "required key not available")                                                        \
    X(EKEYEXPIRED, "key has expired")                                                              \
    X(EKEYREVOKED, "key has been revoked")                                                         \
    X(EKEYREJECTED, "key was rejected by service")                                                 \
    X(ERFKILL, "operation not possible due to rf-kill")                                            \
    X(EHWPOISON, "memory page has hardware error")

struct cmio_errinfo {
    int code;
    const char *name;
    const char *desc;
};

#define CMIO_ERRINFO(code, desc) {code, #code, desc},

/* clang-format off */
static const struct cmio_errinfo cmio_errtab[] = {
    CMIO_ERRNO_COMMON(CMIO_ERRINFO)
    /* BSD socket-era and other Unix codes: neither the Windows C runtime nor wasi-libc has all
     * of them, so each is listed where it is defined. */
#ifdef ENOTBLK
    CMIO_ERRINFO(ENOTBLK, "block device required")
#endif
#ifdef EMULTIHOP
    CMIO_ERRINFO(EMULTIHOP, "multihop attempted")
#endif
#ifdef EUSERS
    CMIO_ERRINFO(EUSERS, "too many users")
#endif
#ifdef ESOCKTNOSUPPORT
    CMIO_ERRINFO(ESOCKTNOSUPPORT, "socket type not supported")
#endif
#ifdef EPFNOSUPPORT
    CMIO_ERRINFO(EPFNOSUPPORT, "protocol family not supported")
#endif
#ifdef ESHUTDOWN
    CMIO_ERRINFO(ESHUTDOWN, "cannot send after socket shutdown")
#endif
#ifdef ETOOMANYREFS
    CMIO_ERRINFO(ETOOMANYREFS, "too many references")
#endif
#ifdef EHOSTDOWN
    CMIO_ERRINFO(EHOSTDOWN, "host is down")
#endif
#ifdef ESTALE
    CMIO_ERRINFO(ESTALE, "stale file handle")
#endif
#ifdef EREMOTE
    CMIO_ERRINFO(EREMOTE, "object is remote")
#endif
#ifdef EDQUOT
    CMIO_ERRINFO(EDQUOT, "disk quota exceeded")
#endif
#if defined(__linux__) /* errno values come from the kernel, whatever the wrappers */
    CMIO_ERRNO_LINUX(CMIO_ERRINFO)
#endif
#if defined(_WIN32) /* the C runtime's STREAMS codes (Linux lists them above) */
    CMIO_ERRINFO(ENODATA, "no data available")
    CMIO_ERRINFO(ENOSR, "out of streams resources")
    CMIO_ERRINFO(ENOSTR, "device not a stream")
    CMIO_ERRINFO(ETIME, "timer expired")
#endif
    /* Aliases get an entry only where they are distinct codes (on Linux they are not). */
#if EWOULDBLOCK != EAGAIN
    CMIO_ERRINFO(EWOULDBLOCK, "operation would block")
#endif
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
    CMIO_ERRINFO(ENOTSUP, "operation not supported")
#endif
#if defined(EDEADLOCK) && EDEADLOCK != EDEADLK
    CMIO_ERRINFO(EDEADLOCK, "resource deadlock avoided")
#endif
};
/* clang-format on */

static const struct cmio_errinfo *cmio_errinfo_find(int err)
{
    if (err == INT_MIN)
        return NULL;
    if (err < 0)
        err = -err;
    for (size_t i = 0; i < sizeof cmio_errtab / sizeof cmio_errtab[0]; i++) {
        if (cmio_errtab[i].code == err)
            return &cmio_errtab[i];
    }
    return NULL;
}

const char *cmio_strerror(int err)
{
    if (err == 0)
        return "success";
    const struct cmio_errinfo *info = cmio_errinfo_find(err);
    return info != NULL ? info->desc : "unknown error";
}

const char *cmio_err_name(int err)
{
    if (err == 0)
        return "OK";
    const struct cmio_errinfo *info = cmio_errinfo_find(err);
    return info != NULL ? info->name : "EUNKNOWN";
}
