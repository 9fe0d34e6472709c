/* SPDX-License-Identifier: MIT */
/* cmio — IPv4/IPv6 socket addresses (mio/std's SocketAddr).
 *
 * A cmio_sockaddr is a plain value: copy it, compare it with cmio_sockaddr_equal(), and pass it by
 * pointer. Its storage is the kernel's own sockaddr, so no conversion happens on the way to a
 * system call.
 */
#ifndef CMIO_ADDR_H
#define CMIO_ADDR_H

#include <cmio/common.h>

#if CMIO_HANDLE_SOCKET
/* Winsock: struct sockaddr_in/_in6, socklen_t, AF_INET/AF_INET6. */
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif

CMIO_EXTERN_C_BEGIN

typedef struct cmio_sockaddr {
    union {
        struct sockaddr sa;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } u;
    socklen_t len; /* sizeof(u.v4) or sizeof(u.v6); 0 for an empty address */
} cmio_sockaddr;

/* Longest text cmio_sockaddr_format() writes, including the terminating NUL:
 * "[" + IPv6 text (45) + "%" + scope id (10) + "]:" + port (5) + NUL. */
#define CMIO_SOCKADDR_STRLEN 66

/* Parses "a.b.c.d:port" or "[ipv6]:port" (an optional numeric "%scope" may follow the IPv6
 * address). The port is required, decimal, 0..65535. Anything else → -EINVAL. */
CMIO_API int cmio_sockaddr_parse(cmio_sockaddr *out, const char *text);

/* Writes the text form ("127.0.0.1:80", "[::1]:80") into buf. Returns the length written
 * (excluding the NUL), -ENOSPC if buf is too small (nothing is truncated: buf holds "" then),
 * -EINVAL for a NULL or empty address, -EAFNOSUPPORT for another family. */
CMIO_API int cmio_sockaddr_format(const cmio_sockaddr *addr, char *buf, size_t buflen);

/* Builds an IPv4 address from 4 octets in network order (e.g. {127,0,0,1}) and a host-order
 * port. */
CMIO_API int cmio_sockaddr_ipv4(cmio_sockaddr *out, const uint8_t octets[4], uint16_t port);

/* Builds an IPv6 address from 16 octets in network order and a host-order port. */
CMIO_API int cmio_sockaddr_ipv6(cmio_sockaddr *out, const uint8_t octets[16], uint16_t port);

/* Copies a kernel sockaddr of length len (AF_INET or AF_INET6) into out; -EAFNOSUPPORT for other
 * families, -EINVAL when len is too short. */
CMIO_API int cmio_sockaddr_from_sys(cmio_sockaddr *out, const struct sockaddr *sa, socklen_t len);

/* AF_INET, AF_INET6, or AF_UNSPEC for NULL/empty. */
CMIO_API int cmio_sockaddr_family(const cmio_sockaddr *addr);

/* Host-order port; 0 for NULL/empty. */
CMIO_API uint16_t cmio_sockaddr_port(const cmio_sockaddr *addr);

/* Sets the port (host order). -EINVAL for NULL/empty. */
CMIO_API int cmio_sockaddr_set_port(cmio_sockaddr *addr, uint16_t port);

/* true when both hold the same family, address, port (and IPv6 scope/flow info). */
CMIO_API bool cmio_sockaddr_equal(const cmio_sockaddr *a, const cmio_sockaddr *b);

CMIO_EXTERN_C_END

#endif /* CMIO_ADDR_H */
