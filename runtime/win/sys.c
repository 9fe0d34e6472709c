/* SPDX-License-Identifier: MIT */
/* cmio runtime (Windows) — the system layer's calls with more to them than a line (see
 * sys_socket.h for what each maps and why). */
#include "win/nt.h"

static bool cmio_is_datagram(cmio__handle h)
{
    int type = 0, len = sizeof(type);
    return getsockopt((SOCKET)h, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0 &&
           type == SOCK_DGRAM;
}

/* The error of a failed receive, with the Unix meaning: after shutdown(SHUT_RD) a read is end of
 * stream (0); a datagram cut to fit the buffer filled it (`full` bytes); an ICMP port unreachable
 * on a datagram socket is a refused connection; else -errno. */
static ssize_t cmio_recv_error(cmio__handle h, size_t full)
{
    int err = WSAGetLastError();
    if (err == WSAESHUTDOWN)
        return 0;
    if (err == WSAEMSGSIZE)
        return (ssize_t)full;
    if (err == WSAECONNRESET && cmio_is_datagram(h))
        return -ECONNREFUSED;
    return -cmio__win_errno((DWORD)err);
}

int cmio__win_socket(SOCKET *out, int family, int type)
{
    int r = cmio__winsock_init();
    if (r < 0)
        return r;
    /* Overlapped (what AFD polls need), never inherited by child processes. */
    SOCKET s =
        WSASocketW(family, type, 0, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET)
        return cmio__wsa_error();
    *out = s;
    return 0;
}

int cmio__sys_set_cloexec(cmio__handle h)
{
    if (!SetHandleInformation((HANDLE)h, HANDLE_FLAG_INHERIT, 0))
        return cmio__last_error();
    return 0;
}

int cmio__sys_connect(cmio__handle h, const struct sockaddr *sa, socklen_t len)
{
    if (connect((SOCKET)h, sa, len) != SOCKET_ERROR)
        return 0;
    int err = WSAGetLastError();
    /* A non-blocking connect that goes on: WSAEWOULDBLOCK here, EINPROGRESS on Unix. */
    return err == WSAEWOULDBLOCK ? -EINPROGRESS : -cmio__win_errno((DWORD)err);
}

ssize_t cmio__sys_recv(cmio__handle h, void *buf, size_t len, int flags)
{
    int want = cmio__sys_len(len);
    int n = recv((SOCKET)h, (char *)buf, want, flags);
    return n == SOCKET_ERROR ? cmio_recv_error(h, (size_t)want) : n;
}

ssize_t cmio__sys_send(cmio__handle h, const void *buf, size_t len, int flags)
{
    int n = send((SOCKET)h, (const char *)buf, cmio__sys_len(len), flags);
    if (n != SOCKET_ERROR)
        return n;
    int err = WSAGetLastError();
    /* An unconnected datagram socket has no destination: EDESTADDRREQ on Unix. */
    if ((err == WSAENOTCONN || err == WSAEINVAL) && cmio_is_datagram(h)) {
        struct sockaddr_storage ss;
        int sslen = sizeof(ss);
        if (getpeername((SOCKET)h, (struct sockaddr *)&ss, &sslen) == SOCKET_ERROR)
            return -EDESTADDRREQ;
    }
    return -cmio__win_errno((DWORD)err);
}

ssize_t cmio__sys_recvfrom(cmio__handle h, void *buf, size_t len, int flags, struct sockaddr *addr,
                           socklen_t *addrlen)
{
    int want = cmio__sys_len(len);
    int n = recvfrom((SOCKET)h, (char *)buf, want, flags, addr, addrlen);
    return n == SOCKET_ERROR ? cmio_recv_error(h, (size_t)want) : n;
}

/* iovec → WSABUF (a different layout). Returns the byte total, clamped to what one call moves. */
static size_t cmio_wsabufs(WSABUF *bufs, const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        size_t len = iov[i].iov_len;
        if (len > (size_t)INT_MAX - total)
            len = (size_t)INT_MAX - total; /* the rest: a short transfer */
        bufs[i].len = (ULONG)len;
        bufs[i].buf = (char *)iov[i].iov_base;
        total += len;
    }
    return total;
}

ssize_t cmio__sys_readv(cmio__handle h, const struct iovec *iov, int iovcnt)
{
    WSABUF bufs[IOV_MAX]; /* iovcnt <= IOV_MAX: the wrappers check it */
    size_t total = cmio_wsabufs(bufs, iov, iovcnt);
    DWORD got = 0, flags = 0;
    if (WSARecv((SOCKET)h, bufs, (DWORD)iovcnt, &got, &flags, NULL, NULL) == SOCKET_ERROR)
        return cmio_recv_error(h, total);
    return (ssize_t)got;
}

ssize_t cmio__sys_writev(cmio__handle h, const struct iovec *iov, int iovcnt, int flags)
{
    WSABUF bufs[IOV_MAX];
    (void)cmio_wsabufs(bufs, iov, iovcnt);
    DWORD sent = 0;
    if (WSASend((SOCKET)h, bufs, (DWORD)iovcnt, &sent, (DWORD)flags, NULL, NULL) == SOCKET_ERROR)
        return cmio__wsa_error();
    return (ssize_t)sent;
}
