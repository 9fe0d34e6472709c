/* SPDX-License-Identifier: MIT */
/* cmio runtime — batched UDP: sendmmsg/recvmmsg where the platform table says so (CMIO_BATCH_MMSG),
 * else a loop of sendto/recvfrom. Both return how many datagrams moved, or a negative errno when
 * the first one failed; *stop is the negative errno that ended the batch before `count` (0 when all
 * moved), so that the wrapper can re-arm after -EAGAIN even when some datagrams did move. */
#include "net.h"

#if CMIO_HAVE_UDP_SOCKET

#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Every destination is checked before anything is sent, as send_to checks its one: an address of
 * another family or a malformed one fails the whole batch. addr.len 0 means the connected peer. */
static int check_batch(const cmio_udp_msg *msgs, size_t count)
{
    if (count > INT_MAX)
        return -EINVAL;
    for (size_t i = 0; i < count; i++) {
        if (msgs[i].addr.len != 0) {
            int r = cmio__sockaddr_check(&msgs[i].addr);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* The result of a batch: the count, or the error when nothing moved. */
static int batch_result(size_t done, int err, int *stop)
{
    *stop = err;
    return done > 0 || err == 0 ? (int)done : err;
}

#if CMIO_BATCH_MMSG

/* Datagrams per system call; the stack holds this many headers. */
#define CHUNK 128

/* A call that moved fewer than it was given is followed by another: it returns the error that
 * stopped the first (recvmmsg/sendmmsg report it on the next call), so a short batch always ends
 * with its reason. */
int cmio__udp_send_batch(int fd, const cmio_udp_msg *msgs, size_t count, int flags, int *stop)
{
    struct mmsghdr hdr[CHUNK];
    struct iovec iov[CHUNK];
    size_t done = 0;
    int r = check_batch(msgs, count);
    if (r < 0)
        return batch_result(0, r, stop);
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
            return batch_result(done, -errno, stop);
        done += (size_t)n;
    }
    return batch_result(done, 0, stop);
}

int cmio__udp_recv_batch(int fd, cmio_udp_msg *msgs, size_t count, int *stop)
{
    struct mmsghdr hdr[CHUNK];
    struct iovec iov[CHUNK];
    size_t done = 0;
    if (count > INT_MAX)
        return batch_result(0, -EINVAL, stop);
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
            return batch_result(done, -errno, stop);
        for (int i = 0; i < n; i++) {
            cmio_udp_msg *m = &msgs[done + (size_t)i];
            m->addr.len = hdr[i].msg_hdr.msg_namelen;
            m->received = hdr[i].msg_len;
            m->truncated = (hdr[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        }
        done += (size_t)n;
    }
    return batch_result(done, 0, stop);
}

#else /* a loop of single system calls */

int cmio__udp_send_batch(int fd, const cmio_udp_msg *msgs, size_t count, int flags, int *stop)
{
    size_t done = 0;
    int r = check_batch(msgs, count);
    if (r < 0)
        return batch_result(0, r, stop);
    for (; done < count; done++) {
        const cmio_udp_msg *m = &msgs[done];
        ssize_t n = m->addr.len != 0 ? sendto(fd, m->buf, m->len, flags, &m->addr.u.sa, m->addr.len)
                                     : send(fd, m->buf, m->len, flags);
        if (n < 0)
            return batch_result(done, -errno, stop);
    }
    return batch_result(done, 0, stop);
}

int cmio__udp_recv_batch(int fd, cmio_udp_msg *msgs, size_t count, int *stop)
{
    size_t done = 0;
    if (count > INT_MAX)
        return batch_result(0, -EINVAL, stop);
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
            return batch_result(done, -errno, stop);
        m->addr.len = msg.msg_namelen;
        m->received = (size_t)n;
        m->truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    }
    return batch_result(done, 0, stop);
}

#endif

#endif /* CMIO_HAVE_UDP_SOCKET */
