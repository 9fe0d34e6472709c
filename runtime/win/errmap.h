/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — the one Win32/Winsock → errno table: X(code, errno) for every code a
 * socket, AFD or completion-port call can report. cmio returns the same negative errno on Windows
 * as on Unix for the same situation (-EAGAIN for WSAEWOULDBLOCK, -ECONNRESET for WSAECONNRESET,
 * …); every errno used here has a name in cmio_err_name() (tests/test_error.c checks each row).
 * Codes whose Unix counterpart the Windows C runtime lacks (WSAESHUTDOWN, WSAEHOSTDOWN, …) map to
 * the nearest one it has, as libuv's src/win/error.c does; a code missing here becomes EIO.
 * Included by runtime/win/error_map.c and by the tests; no include guard (X-macro list). */

/* Every Winsock error (WSABASEERR + n), in numeric order. */
#define CMIO__WSA_ERRORS(X)                                                                        \
    X(WSAEINTR, EINTR)                                                                             \
    X(WSAEBADF, EBADF)                                                                             \
    X(WSAEACCES, EACCES)                                                                           \
    X(WSAEFAULT, EFAULT)                                                                           \
    X(WSAEINVAL, EINVAL)                                                                           \
    X(WSAEMFILE, EMFILE)                                                                           \
    X(WSAEWOULDBLOCK, EAGAIN)                                                                      \
    X(WSAEINPROGRESS, EINPROGRESS)                                                                 \
    X(WSAEALREADY, EALREADY)                                                                       \
    X(WSAENOTSOCK, EBADF) /* a closed or invalid SOCKET: a bad fd on Unix */                       \
    X(WSAEDESTADDRREQ, EDESTADDRREQ)                                                               \
    X(WSAEMSGSIZE, EMSGSIZE)                                                                       \
    X(WSAEPROTOTYPE, EPROTOTYPE)                                                                   \
    X(WSAENOPROTOOPT, ENOPROTOOPT)                                                                 \
    X(WSAEPROTONOSUPPORT, EPROTONOSUPPORT)                                                         \
    X(WSAESOCKTNOSUPPORT, EPROTONOSUPPORT)                                                         \
    X(WSAEOPNOTSUPP, EOPNOTSUPP)                                                                   \
    X(WSAEPFNOSUPPORT, EAFNOSUPPORT)                                                               \
    X(WSAEAFNOSUPPORT, EAFNOSUPPORT)                                                               \
    X(WSAEADDRINUSE, EADDRINUSE)                                                                   \
    X(WSAEADDRNOTAVAIL, EADDRNOTAVAIL)                                                             \
    X(WSAENETDOWN, ENETDOWN)                                                                       \
    X(WSAENETUNREACH, ENETUNREACH)                                                                 \
    X(WSAENETRESET, ENETRESET)                                                                     \
    X(WSAECONNABORTED, ECONNABORTED)                                                               \
    X(WSAECONNRESET, ECONNRESET)                                                                   \
    X(WSAENOBUFS, ENOBUFS)                                                                         \
    X(WSAEISCONN, EISCONN)                                                                         \
    X(WSAENOTCONN, ENOTCONN)                                                                       \
    X(WSAESHUTDOWN, EPIPE)                                                                         \
    X(WSAETOOMANYREFS, ENOBUFS)                                                                    \
    X(WSAETIMEDOUT, ETIMEDOUT)                                                                     \
    X(WSAECONNREFUSED, ECONNREFUSED)                                                               \
    X(WSAELOOP, ELOOP)                                                                             \
    X(WSAENAMETOOLONG, ENAMETOOLONG)                                                               \
    X(WSAEHOSTDOWN, EHOSTUNREACH)                                                                  \
    X(WSAEHOSTUNREACH, EHOSTUNREACH)                                                               \
    X(WSAENOTEMPTY, ENOTEMPTY)                                                                     \
    X(WSAEPROCLIM, EMFILE)                                                                         \
    X(WSAEUSERS, EMFILE)                                                                           \
    X(WSAEDQUOT, ENOSPC)                                                                           \
    X(WSAESTALE, EBADF)                                                                            \
    X(WSAEREMOTE, EIO)                                                                             \
    X(WSASYSNOTREADY, ENETDOWN)                                                                    \
    X(WSAVERNOTSUPPORTED, ENOSYS)                                                                  \
    X(WSANOTINITIALISED, ENETDOWN)                                                                 \
    X(WSAEDISCON, EPIPE)                                                                           \
    X(WSAENOMORE, ENOENT)                                                                          \
    X(WSAECANCELLED, ECANCELED)                                                                    \
    X(WSAEINVALIDPROCTABLE, EINVAL)                                                                \
    X(WSAEINVALIDPROVIDER, EINVAL)                                                                 \
    X(WSAEPROVIDERFAILEDINIT, EIO)                                                                 \
    X(WSASYSCALLFAILURE, EIO)                                                                      \
    X(WSASERVICE_NOT_FOUND, ENOENT)                                                                \
    X(WSATYPE_NOT_FOUND, ENOENT)                                                                   \
    X(WSA_E_NO_MORE, ENOENT)                                                                       \
    X(WSA_E_CANCELLED, ECANCELED)                                                                  \
    X(WSAEREFUSED, ECONNREFUSED)                                                                   \
    X(WSAHOST_NOT_FOUND, ENOENT)                                                                   \
    X(WSATRY_AGAIN, EAGAIN)                                                                        \
    X(WSANO_RECOVERY, EIO)                                                                         \
    X(WSANO_DATA, ENOENT)

/* The Win32 errors behind sockets, AFD polls, completion ports and the NTSTATUS codes they pass
 * through RtlNtStatusToDosError (WSA_INVALID_HANDLE etc. are these same numbers). */
#define CMIO__WIN32_ERRORS(X)                                                                      \
    X(ERROR_INVALID_FUNCTION, EINVAL)                                                              \
    X(ERROR_FILE_NOT_FOUND, ENOENT)                                                                \
    X(ERROR_PATH_NOT_FOUND, ENOENT)                                                                \
    X(ERROR_TOO_MANY_OPEN_FILES, EMFILE)                                                           \
    X(ERROR_ACCESS_DENIED, EACCES)                                                                 \
    X(ERROR_INVALID_HANDLE, EBADF)                                                                 \
    X(ERROR_NOT_ENOUGH_MEMORY, ENOMEM)                                                             \
    X(ERROR_OUTOFMEMORY, ENOMEM)                                                                   \
    X(ERROR_GEN_FAILURE, EIO)                                                                      \
    X(ERROR_NOT_SUPPORTED, ENOTSUP)                                                                \
    X(ERROR_DEV_NOT_EXIST, ENODEV)                                                                 \
    X(ERROR_UNEXP_NET_ERR, EIO)                                                                    \
    X(ERROR_NETNAME_DELETED, ECONNRESET)                                                           \
    X(ERROR_NETWORK_ACCESS_DENIED, EACCES)                                                         \
    X(ERROR_INVALID_PARAMETER, EINVAL)                                                             \
    X(ERROR_BROKEN_PIPE, EPIPE)                                                                    \
    X(ERROR_CALL_NOT_IMPLEMENTED, ENOSYS)                                                          \
    X(ERROR_SEM_TIMEOUT, ETIMEDOUT)                                                                \
    X(ERROR_INSUFFICIENT_BUFFER, ENOBUFS)                                                          \
    X(ERROR_INVALID_NAME, EINVAL)                                                                  \
    X(ERROR_MOD_NOT_FOUND, ENOSYS)                                                                 \
    X(ERROR_PROC_NOT_FOUND, ENOSYS)                                                                \
    X(ERROR_BUSY, EBUSY)                                                                           \
    X(ERROR_ALREADY_EXISTS, EEXIST)                                                                \
    X(ERROR_NO_DATA, EPIPE)                                                                        \
    X(ERROR_MORE_DATA, EMSGSIZE)                                                                   \
    X(ERROR_NO_MORE_ITEMS, ENOENT)                                                                 \
    X(ERROR_NOT_OWNER, EPERM)                                                                      \
    X(ERROR_ABANDONED_WAIT_0, EBADF)                                                               \
    X(ERROR_INVALID_FLAGS, EINVAL)                                                                 \
    X(ERROR_OPERATION_ABORTED, ECANCELED)                                                          \
    X(ERROR_IO_INCOMPLETE, EINPROGRESS)                                                            \
    X(ERROR_IO_PENDING, EINPROGRESS)                                                               \
    X(ERROR_NOACCESS, EFAULT)                                                                      \
    X(ERROR_INVALID_ADDRESS, EFAULT)                                                               \
    X(ERROR_INVALID_USER_BUFFER, EFAULT)                                                           \
    X(ERROR_NO_SYSTEM_RESOURCES, ENOBUFS)                                                          \
    X(ERROR_NONPAGED_SYSTEM_RESOURCES, ENOBUFS)                                                    \
    X(ERROR_PAGED_SYSTEM_RESOURCES, ENOBUFS)                                                       \
    X(ERROR_WORKING_SET_QUOTA, ENOMEM)                                                             \
    X(ERROR_COMMITMENT_LIMIT, ENOMEM)                                                              \
    X(ERROR_TIMEOUT, ETIMEDOUT)                                                                    \
    X(ERROR_CONNECTION_REFUSED, ECONNREFUSED)                                                      \
    X(ERROR_GRACEFUL_DISCONNECT, EPIPE)                                                            \
    X(ERROR_ADDRESS_ALREADY_ASSOCIATED, EADDRINUSE)                                                \
    X(ERROR_ADDRESS_NOT_ASSOCIATED, EADDRNOTAVAIL)                                                 \
    X(ERROR_CONNECTION_INVALID, ENOTCONN)                                                          \
    X(ERROR_CONNECTION_ACTIVE, EISCONN)                                                            \
    X(ERROR_NETWORK_UNREACHABLE, ENETUNREACH)                                                      \
    X(ERROR_HOST_UNREACHABLE, EHOSTUNREACH)                                                        \
    X(ERROR_PROTOCOL_UNREACHABLE, ENETUNREACH)                                                     \
    X(ERROR_PORT_UNREACHABLE, ECONNREFUSED)                                                        \
    X(ERROR_REQUEST_ABORTED, ECANCELED)                                                            \
    X(ERROR_CONNECTION_ABORTED, ECONNABORTED)                                                      \
    X(ERROR_NOT_CONNECTED, ENOTCONN)                                                               \
    X(ERROR_NOT_FOUND, ENOENT)                                                                     \
    X(ERROR_CANCELLED, ECANCELED)                                                                  \
    X(WAIT_TIMEOUT, ETIMEDOUT)
