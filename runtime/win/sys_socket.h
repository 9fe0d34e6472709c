/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — the system layer of platforms whose handle is a Winsock SOCKET
 * (platform table `handle: socket`): the same functions as runtime/sys_fd.h, over Winsock. Each
 * returns 0, a count or a handle, or a negative errno mapped by the one table in errmap.h, with
 * the Unix meaning wherever Winsock differs:
 *   - a non-blocking connect that goes on is -EINPROGRESS (Winsock says WSAEWOULDBLOCK);
 *   - a datagram longer than the buffer fills the buffer and returns its length, the rest being
 *     discarded, as recv(2) does (Winsock fails with WSAEMSGSIZE after filling it);
 *   - reading after shutdown(SHUT_RD) returns 0, end of stream (Winsock: WSAESHUTDOWN);
 *   - on a datagram socket, an ICMP port unreachable is -ECONNREFUSED (Winsock: WSAECONNRESET),
 *     and a send with no destination is -EDESTADDRREQ (Winsock: WSAENOTCONN);
 *   - a closed or invalid SOCKET is -EBADF (Winsock: WSAENOTSOCK), as a closed fd is on Unix;
 *   - sizes beyond what Winsock takes (int, ULONG) are clamped: a partial read or write.
 * Sockets are created with WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT and made non-blocking
 * with ioctlsocket(FIONBIO) (platform table: socket_flags false, accept accept_ioctl); Winsock is
 * initialised once, on first use. Private to libcmio.
 */
#ifndef CMIO_WIN_SYS_SOCKET_H
#define CMIO_WIN_SYS_SOCKET_H

#include <cmio/addr.h>
#include <cmio/io_source.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <winsock2.h>
#include <ws2tcpip.h>

/* POSIX names of shutdown's `how` (mingw's <unistd.h> has them too). */
#ifndef SHUT_RDWR
#define SHUT_RD SD_RECEIVE
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH
#endif

/* error_map.c: the errno (positive) of a Win32/Winsock code, EIO when the table lacks it; the
 * negative errno of WSAGetLastError() / GetLastError(). */
int cmio__win_errno(unsigned long code);
int cmio__wsa_error(void);
int cmio__last_error(void);
/* winsock.c: WSAStartup(2.2) once per process (InitOnce). 0 or a negative errno. */
int cmio__winsock_init(void);

/* sys.c: the calls with more to them than a line. */
int cmio__win_socket(SOCKET *out, int family, int type);
int cmio__sys_set_cloexec(cmio__handle h);
int cmio__sys_connect(cmio__handle h, const struct sockaddr *sa, socklen_t len);
ssize_t cmio__sys_recv(cmio__handle h, void *buf, size_t len, int flags);
ssize_t cmio__sys_send(cmio__handle h, const void *buf, size_t len, int flags);
ssize_t cmio__sys_readv(cmio__handle h, const struct iovec *iov, int iovcnt);
ssize_t cmio__sys_writev(cmio__handle h, const struct iovec *iov, int iovcnt, int flags);
ssize_t cmio__sys_recvfrom(cmio__handle h, void *buf, size_t len, int flags, struct sockaddr *addr,
                           socklen_t *addrlen);

static inline int cmio__sys_error(void)
{
    return cmio__wsa_error();
}

/* SO_ERROR holds a Winsock code: 0 or a negative errno. */
static inline int cmio__sys_error_code(int so_error)
{
    return so_error == 0 ? 0 : -cmio__win_errno((unsigned long)so_error);
}

static inline bool cmio__sys_handle_valid(cmio__handle h)
{
    return h != (cmio__handle)INVALID_SOCKET; /* also: h + 1 fits */
}

/* Winsock takes int lengths: larger requests move at most INT_MAX bytes. */
static inline int cmio__sys_len(size_t len)
{
    return len > INT_MAX ? INT_MAX : (int)len;
}

/* The out-parameters are written on every path (INVALID_SOCKET on failure), so that the compiler
 * sees them written however it judges the (out-of-line) error mapping. */
static inline int cmio__sys_socket_raw(cmio__handle *out, int family, int type)
{
    SOCKET s = INVALID_SOCKET;
    int rc = cmio__win_socket(&s, family, type);
    *out = (cmio__handle)s;
    return rc;
}

static inline int cmio__sys_accept_raw(cmio__handle *out, cmio__handle h, struct sockaddr *addr,
                                       socklen_t *len)
{
    SOCKET s = accept((SOCKET)h, addr, len);
    *out = (cmio__handle)s;
    return s == INVALID_SOCKET ? cmio__sys_error() : 0;
}

static inline int cmio__sys_set_nonblock(cmio__handle h)
{
    u_long on = 1;
    return ioctlsocket((SOCKET)h, FIONBIO, &on) == SOCKET_ERROR ? cmio__sys_error() : 0;
}

static inline int cmio__sys_close(cmio__handle h)
{
    return closesocket((SOCKET)h) == SOCKET_ERROR ? cmio__sys_error() : 0;
}

static inline int cmio__sys_bind(cmio__handle h, const struct sockaddr *sa, socklen_t len)
{
    return bind((SOCKET)h, sa, len) == SOCKET_ERROR ? cmio__sys_error() : 0;
}

static inline int cmio__sys_listen(cmio__handle h, int backlog)
{
    return listen((SOCKET)h, backlog) == SOCKET_ERROR ? cmio__sys_error() : 0;
}

static inline int cmio__sys_shutdown(cmio__handle h, int how)
{
    return shutdown((SOCKET)h, how) == SOCKET_ERROR ? cmio__sys_error() : 0;
}

/* A socket has no read(2): recv without flags — except that, as read(2), a zero-length read of a
 * stream returns 0 at once (Winsock says WSAEWOULDBLOCK when nothing is queued). */
static inline ssize_t cmio__sys_read(cmio__handle h, void *buf, size_t len)
{
    ssize_t n = cmio__sys_recv(h, buf, len, 0);
    return n == -EAGAIN && len == 0 ? 0 : n;
}

static inline ssize_t cmio__sys_sendto(cmio__handle h, const void *buf, size_t len, int flags,
                                       const struct sockaddr *addr, socklen_t addrlen)
{
    int n = sendto((SOCKET)h, (const char *)buf, cmio__sys_len(len), flags, addr, addrlen);
    return n == SOCKET_ERROR ? cmio__sys_error() : n;
}

#endif /* CMIO_WIN_SYS_SOCKET_H */
