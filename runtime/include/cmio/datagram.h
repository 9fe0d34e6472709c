/* SPDX-License-Identifier: MIT */
/* cmio — one datagram of a batched send or receive (cmio_udp_socket_send_batch / _recv_batch). */
#ifndef CMIO_DATAGRAM_H
#define CMIO_DATAGRAM_H

#include <cmio/addr.h>
#include <cmio/common.h>

#if CMIO_HAVE_UDP_SOCKET
CMIO_EXTERN_C_BEGIN

typedef struct cmio_udp_msg {
    void *buf;  /* send: the datagram; receive: room for one */
    size_t len; /* send: its length; receive: the room */
    cmio_sockaddr
        addr;        /* send: the destination (addr.len 0: the connected peer); receive: sender */
    size_t received; /* receive: bytes stored in buf */
    bool truncated;  /* receive: the datagram was longer than len and its tail was discarded */
} cmio_udp_msg;

CMIO_EXTERN_C_END
#endif /* CMIO_HAVE_UDP_SOCKET */

#endif /* CMIO_DATAGRAM_H */
