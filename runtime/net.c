/* SPDX-License-Identifier: MIT */
/* cmio runtime — socket helpers shared by the generated wrappers. */
#include "net.h"

#include "internal.h"

#include <string.h>

int cmio__sockaddr_check(const cmio_sockaddr *addr)
{
    switch (addr->u.sa.sa_family) {
    case AF_INET:
        return addr->len == sizeof(addr->u.v4) ? AF_INET : -EINVAL;
    case AF_INET6:
        return addr->len == sizeof(addr->u.v6) ? AF_INET6 : -EINVAL;
    case AF_UNSPEC:
        return -EINVAL;
    default:
        return -EAFNOSUPPORT;
    }
}

#if CMIO_SOCKETS_FULL /* names and options: not on sockets inherited from a WASI host */

int cmio__getname(cmio__handle fd, bool peer, cmio_sockaddr *addr)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                 : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (r < 0)
        return cmio__sys_error();
    return cmio_sockaddr_from_sys(addr, (const struct sockaddr *)&ss, len);
}

int cmio__sockopt_set_int(cmio__handle fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, (const void *)&value, sizeof(value)) < 0 ? cmio__sys_error()
                                                                                : 0;
}

int cmio__sockopt_get_int(cmio__handle fd, int level, int name, int *value)
{
    socklen_t len = sizeof(*value);
    *value = 0;
    return getsockopt(fd, level, name, (void *)value, &len) < 0 ? cmio__sys_error() : 0;
}

int cmio__sockopt_set_u8(cmio__handle fd, int level, int name, int value)
{
    unsigned char v = (unsigned char)value;
    return setsockopt(fd, level, name, (const void *)&v, sizeof(v)) < 0 ? cmio__sys_error() : 0;
}

int cmio__sockopt_get_u8(cmio__handle fd, int level, int name, int *value)
{
    unsigned char v = 0;
    socklen_t len = sizeof(v);
    if (getsockopt(fd, level, name, (void *)&v, &len) < 0)
        return cmio__sys_error();
    *value = v;
    return 0;
}

int cmio__multicast_v4(cmio__handle fd, int option, const struct in_addr *group,
                       const struct in_addr *iface)
{
    struct ip_mreq mreq;
    memset(&mreq, 0, sizeof(mreq));
    mreq.imr_multiaddr = *group;
    mreq.imr_interface = *iface;
    return setsockopt(fd, IPPROTO_IP, option, (const void *)&mreq, sizeof(mreq)) < 0
               ? cmio__sys_error()
               : 0;
}

int cmio__multicast_v6(cmio__handle fd, int option, const struct in6_addr *group, uint32_t iface)
{
    struct ipv6_mreq mreq;
    memset(&mreq, 0, sizeof(mreq));
    mreq.ipv6mr_multiaddr = *group;
    mreq.ipv6mr_interface = iface;
    return setsockopt(fd, IPPROTO_IPV6, option, (const void *)&mreq, sizeof(mreq)) < 0
               ? cmio__sys_error()
               : 0;
}

#endif /* CMIO_SOCKETS_FULL */

int cmio__shutdown_how(cmio_shutdown how)
{
    switch (how) {
    case CMIO_SHUTDOWN_READ:
        return SHUT_RD;
    case CMIO_SHUTDOWN_WRITE:
        return SHUT_WR;
    case CMIO_SHUTDOWN_BOTH:
        return SHUT_RDWR;
    }
    return -EINVAL;
}
