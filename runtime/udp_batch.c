/* cmio runtime — batched UDP: sendmmsg/recvmmsg where the platform table says so (CMIO_BATCH_MMSG),
 * else a loop of sendto/recvfrom. Both return how many datagrams moved, or a negative errno when
 * the first one failed. */
#include "net.h"

#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#if CMIO_BATCH_MMSG

/* Datagrams per system call; the stack holds this many headers. */
#define CHUNK 128

int cmio__udp_send_batch(int fd, const cmio_udp_msg *msgs, size_t count, int flags)
{
    struct mmsghdr hdr[CHUNK];
    struct iovec iov[CHUNK];
    size_t done = 0;
    if (count > INT_MAX)
        return -EINVAL;
    while (done < count) {
        size_t k = count - done < CHUNK ? count - done : CHUNK;
        memset(hdr, 0, sizeof(hdr[0]) * k);
        for (size_t i = 0; i < k; i++) {
            const cmio_udp_msg *m = &msgs[done + i];
            iov[i].iov_base = m->buf;
            iov[i].iov_len = m->len;
            hdr[i].msg_hdr.msg_iov = &iov[i];
            hdr[i].msg_hdr.msg_iovlen = 1;
            if (m->addr.len != 0) {
                hdr[i].msg_hdr.msg_name = (void *)&m->addr.u;
                hdr[i].msg_hdr.msg_namelen = m->addr.len;
            }
        }
        int n = sendmmsg(fd, hdr, (unsigned int)k, flags);
        if (n < 0)
            return done > 0 ? (int)done : -errno;
        done += (size_t)n;
        if ((size_t)n < k)
            break;
    }
    return (int)done;
}

int cmio__udp_recv_batch(int fd, cmio_udp_msg *msgs, size_t count)
{
    struct mmsghdr hdr[CHUNK];
    struct iovec iov[CHUNK];
    size_t done = 0;
    if (count > INT_MAX)
        return -EINVAL;
    while (done < count) {
        size_t k = count - done < CHUNK ? count - done : CHUNK;
        memset(hdr, 0, sizeof(hdr[0]) * k);
        for (size_t i = 0; i < k; i++) {
            cmio_udp_msg *m = &msgs[done + i];
            iov[i].iov_base = m->buf;
            iov[i].iov_len = m->len;
            hdr[i].msg_hdr.msg_iov = &iov[i];
            hdr[i].msg_hdr.msg_iovlen = 1;
            hdr[i].msg_hdr.msg_name = &m->addr.u;
            hdr[i].msg_hdr.msg_namelen = sizeof(m->addr.u);
        }
        int n = recvmmsg(fd, hdr, (unsigned int)k, 0, NULL);
        if (n < 0)
            return done > 0 ? (int)done : -errno;
        for (int i = 0; i < n; i++) {
            cmio_udp_msg *m = &msgs[done + (size_t)i];
            m->addr.len = hdr[i].msg_hdr.msg_namelen;
            m->received = hdr[i].msg_len;
            m->truncated = (hdr[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        }
        done += (size_t)n;
        if ((size_t)n < k)
            break;
    }
    return (int)done;
}

#else /* a loop of single system calls */

int cmio__udp_send_batch(int fd, const cmio_udp_msg *msgs, size_t count, int flags)
{
    size_t done = 0;
    if (count > INT_MAX)
        return -EINVAL;
    for (; done < count; done++) {
        const cmio_udp_msg *m = &msgs[done];
        ssize_t n = m->addr.len != 0 ? sendto(fd, m->buf, m->len, flags, &m->addr.u.sa, m->addr.len)
                                     : send(fd, m->buf, m->len, flags);
        if (n < 0)
            return done > 0 ? (int)done : -errno;
    }
    return (int)done;
}

int cmio__udp_recv_batch(int fd, cmio_udp_msg *msgs, size_t count)
{
    size_t done = 0;
    if (count > INT_MAX)
        return -EINVAL;
    for (; done < count; done++) {
        cmio_udp_msg *m = &msgs[done];
        struct iovec iov = {.iov_base = m->buf, .iov_len = m->len};
        struct msghdr msg;
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_name = &m->addr.u;
        msg.msg_namelen = sizeof(m->addr.u);
        ssize_t n = recvmsg(fd, &msg, 0);
        if (n < 0)
            return done > 0 ? (int)done : -errno;
        m->addr.len = msg.msg_namelen;
        m->received = (size_t)n;
        m->truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    }
    return (int)done;
}

#endif
