/* SPDX-License-Identifier: MIT */
/* cmio runtime — Unix-domain socket helpers: names, peer credentials, fd passing (SCM_RIGHTS).
 * Which variant is built comes from the platform table (cmio/platform.h). */
#include "net.h"
#include "internal.h"

#if CMIO_HAVE_UNIX_SOCKETS

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

int cmio__unix_addr_check(const cmio_unix_addr *addr)
{
    if (addr->sun.sun_family != AF_UNIX || addr->len < offsetof(struct sockaddr_un, sun_path) ||
        addr->len > sizeof(addr->sun))
        return -EINVAL;
    return AF_UNIX;
}

int cmio__getname_unix(int fd, bool peer, cmio_unix_addr *addr)
{
    struct sockaddr_un sun;
    socklen_t len = sizeof(sun);
    memset(&sun, 0, sizeof(sun));
    int r = peer ? getpeername(fd, (struct sockaddr *)&sun, &len)
                 : getsockname(fd, (struct sockaddr *)&sun, &len);
    if (r < 0)
        return -errno;
    return cmio_unix_addr_from_sys(addr, (const struct sockaddr *)&sun, len);
}

int cmio__peer_cred(int fd, cmio_peer_cred *out)
{
#if CMIO_PEER_CRED_SO_PEERCRED || CMIO_PEER_CRED_SOCKPEERCRED
#if CMIO_PEER_CRED_SO_PEERCRED
    struct ucred cred;
#else
    struct sockpeercred cred; /* OpenBSD: SO_PEERCRED, another struct with the same fields */
#endif
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    out->pid = cred.pid;
    out->uid = cred.uid;
    out->gid = cred.gid;
    return 0;
#elif CMIO_PEER_CRED_LOCAL_PEERPID
    /* macOS: getpeereid, and the pid from LOCAL_PEERPID (as Rust's std reads them). */
    if (getpeereid(fd, &out->uid, &out->gid) < 0)
        return -errno;
    pid_t pid;
    socklen_t len = sizeof(pid);
    out->pid = getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0 ? pid : -1;
    return 0;
#elif CMIO_PEER_CRED_GETPEEREID
    if (getpeereid(fd, &out->uid, &out->gid) < 0)
        return -errno;
    out->pid = -1;
    return 0;
#else
    (void)fd;
    (void)out;
    return -ENOSYS; /* not reached: the op is absent from this platform's headers */
#endif
}

ssize_t cmio__send_fds(int fd, const void *buf, size_t len, const int *fds, size_t nfds, int flags)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * CMIO_MAX_FDS)];
    } ctl;
    if (nfds > CMIO_MAX_FDS || (nfds > 0 && len == 0))
        return -EINVAL; /* fds travel with at least one byte, or a stream drops them silently */
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n = sendmsg(fd, &msg, flags);
    return n < 0 ? -errno : n;
}

void cmio__recv_fds_collect(struct msghdr *msg, cmio_fd_buf *fdb, size_t cap, int (*close_fd)(int))
{
    fdb->len = 0;
    fdb->truncated = false;
    /* CMSG_SPACE pads to alignment, so a few more fds than cap may fit in the buffer without
     * MSG_CTRUNC: those count as truncation too. */
    bool lost = (msg->msg_flags & MSG_CTRUNC) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        /* Never trust cmsg_len (Linux never sends a bad one; some kernels have reported the
         * untruncated length after truncating). Shorter than a header: nothing in it can be read.
         * Longer than what msg_controllen says was filled: only the fds that are there are read
         * (and closed), nothing past msg_controllen. Either way the message counts as truncated
         * and the walk stops. */
        size_t used = (size_t)((const unsigned char *)c - (const unsigned char *)msg->msg_control);
        size_t room = msg->msg_controllen - used;
        size_t clen = c->cmsg_len;
        if (room < CMSG_LEN(0) || clen < CMSG_LEN(0)) {
            lost = true;
            break;
        }
        bool overlong = clen > room;
        if (overlong) {
            clen = room;
            lost = true;
        }
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t k = (clen - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int rfd;
                memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (fdb->len < cap) {
#if !CMIO_CMSG_CLOEXEC
                    (void)cmio__fd_set_cloexec(rfd);
#endif
                    fdb->fds[fdb->len++] = rfd;
                } else {
                    close_fd(rfd);
                    lost = true;
                }
            }
        }
        if (overlong)
            break;
    }
    if (lost) {
        for (size_t i = 0; i < fdb->len; i++)
            close_fd(fdb->fds[i]);
        fdb->len = 0;
        fdb->truncated = true;
    }
}

ssize_t cmio__recv_fds(int fd, void *buf, size_t len, cmio_fd_buf *fdb)
{
    if (fdb->fds == NULL && fdb->cap != 0)
        return -EINVAL;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * CMIO_MAX_FDS)];
    } ctl;
    size_t cap = fdb->cap < CMIO_MAX_FDS ? fdb->cap : CMIO_MAX_FDS;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (cap > 0) {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * cap);
    }
    fdb->len = 0;
    fdb->truncated = false;
#if CMIO_CMSG_CLOEXEC
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
#else
    ssize_t n = recvmsg(fd, &msg, 0);
#endif
    if (n < 0)
        return -errno;
    cmio__recv_fds_collect(&msg, fdb, cap, close);
    return n;
}

#endif /* CMIO_HAVE_UNIX_SOCKETS */
