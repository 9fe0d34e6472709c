/* SPDX-License-Identifier: MIT */
/* cmio runtime — IPv4/IPv6 socket addresses: strict parsing and formatting.
 *
 * Accepted text: "a.b.c.d:port" and "[ipv6]:port" or "[ipv6%scope]:port" with a numeric scope.
 * The port is 1..5 decimal digits (leading zeros allowed), at most 65535. Nothing else: no
 * spaces, signs, host names or trailing characters, and overlong input is rejected, never
 * truncated.
 */
#include <cmio/addr.h>

#if CMIO_HANDLE_SOCKET
/* Winsock declares inet_pton/inet_ntop in <ws2tcpip.h> (addr.h includes it); its name for
 * sa_family_t is ADDRESS_FAMILY. */
typedef ADDRESS_FAMILY sa_family_t;
#else
#include <arpa/inet.h>
#endif
#include <stdio.h>
#include <string.h>

/* Longest text accepted: the longest valid form is shorter than CMIO_SOCKADDR_STRLEN. */
#define CMIO_ADDR_TEXT_MAX CMIO_SOCKADDR_STRLEN

static bool cmio_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses [s, end) as a decimal number <= max. No sign, at least one digit. */
static int cmio_parse_decimal(const char *s, const char *end, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    if (s == end)
        return -EINVAL;
    for (; s < end; s++) {
        if (!cmio_is_digit(*s))
            return -EINVAL;
        uint32_t d = (uint32_t)(*s - '0');
        if (v > (max - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Copies [s, end) into buf (size n) as a C string; -EINVAL when it does not fit. */
static int cmio_copy_part(char *buf, size_t n, const char *s, const char *end)
{
    size_t len = (size_t)(end - s);
    if (len == 0 || len >= n)
        return -EINVAL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

static int cmio_parse_v4(cmio_sockaddr *out, const char *text, const char *end)
{
    const char *colon = memchr(text, ':', (size_t)(end - text));
    char host[INET_ADDRSTRLEN];
    uint32_t port;
    struct in_addr ia;

    if (colon == NULL || cmio_copy_part(host, sizeof host, text, colon) < 0)
        return -EINVAL;
    if (inet_pton(AF_INET, host, &ia) != 1)
        return -EINVAL;
    if (cmio_parse_decimal(colon + 1, end, UINT16_MAX, &port) < 0)
        return -EINVAL;

    memset(out, 0, sizeof *out);
    out->u.v4.sin_family = AF_INET;
    out->u.v4.sin_port = htons((uint16_t)port);
    out->u.v4.sin_addr = ia;
    out->len = sizeof out->u.v4;
    return 0;
}

static int cmio_parse_v6(cmio_sockaddr *out, const char *text, const char *end)
{
    const char *open = text + 1;
    const char *close = memchr(open, ']', (size_t)(end - open));
    const char *pct;
    char host[INET6_ADDRSTRLEN];
    uint32_t scope = 0, port;
    struct in6_addr ia;

    if (close == NULL || close + 1 >= end || close[1] != ':')
        return -EINVAL;
    pct = memchr(open, '%', (size_t)(close - open));
    if (pct != NULL && cmio_parse_decimal(pct + 1, close, UINT32_MAX, &scope) < 0)
        return -EINVAL;
    if (cmio_copy_part(host, sizeof host, open, pct != NULL ? pct : close) < 0)
        return -EINVAL;
    if (inet_pton(AF_INET6, host, &ia) != 1)
        return -EINVAL;
    if (cmio_parse_decimal(close + 2, end, UINT16_MAX, &port) < 0)
        return -EINVAL;

    memset(out, 0, sizeof *out);
    out->u.v6.sin6_family = AF_INET6;
    out->u.v6.sin6_port = htons((uint16_t)port);
    out->u.v6.sin6_addr = ia;
    out->u.v6.sin6_scope_id = scope;
    out->len = sizeof out->u.v6;
    return 0;
}

int cmio_sockaddr_parse(cmio_sockaddr *out, const char *text)
{
    if (out == NULL || text == NULL)
        return -EINVAL;
    size_t len = strnlen(text, CMIO_ADDR_TEXT_MAX);
    if (len == 0 || len >= CMIO_ADDR_TEXT_MAX)
        return -EINVAL;
    if (text[0] == '[')
        return cmio_parse_v6(out, text, text + len);
    return cmio_parse_v4(out, text, text + len);
}

int cmio_sockaddr_format(const cmio_sockaddr *addr, char *buf, size_t buflen)
{
    char host[INET6_ADDRSTRLEN];
    char text[CMIO_SOCKADDR_STRLEN];
    int n;

    if (addr == NULL || buf == NULL || addr->len == 0)
        return -EINVAL;
    switch (addr->u.sa.sa_family) {
    case AF_INET:
        if (inet_ntop(AF_INET, &addr->u.v4.sin_addr, host, sizeof host) == NULL)
            return -errno;
        n = snprintf(text, sizeof text, "%s:%u", host, (unsigned)ntohs(addr->u.v4.sin_port));
        break;
    case AF_INET6:
        if (inet_ntop(AF_INET6, &addr->u.v6.sin6_addr, host, sizeof host) == NULL)
            return -errno;
        if (addr->u.v6.sin6_scope_id != 0)
            n = snprintf(text, sizeof text, "[%s%%%lu]:%u", host,
                         (unsigned long)addr->u.v6.sin6_scope_id,
                         (unsigned)ntohs(addr->u.v6.sin6_port));
        else
            n = snprintf(text, sizeof text, "[%s]:%u", host, (unsigned)ntohs(addr->u.v6.sin6_port));
        break;
    default:
        return -EAFNOSUPPORT;
    }
    if (n < 0 || (size_t)n >= sizeof text)
        return -EINVAL; /* cannot happen: text is sized for the longest form */
    if ((size_t)n >= buflen) {
        if (buflen > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    memcpy(buf, text, (size_t)n + 1);
    return n;
}

int cmio_sockaddr_ipv4(cmio_sockaddr *out, const uint8_t octets[4], uint16_t port)
{
    if (out == NULL || octets == NULL)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    out->u.v4.sin_family = AF_INET;
    out->u.v4.sin_port = htons(port);
    memcpy(&out->u.v4.sin_addr, octets, 4);
    out->len = sizeof out->u.v4;
    return 0;
}

int cmio_sockaddr_ipv6(cmio_sockaddr *out, const uint8_t octets[16], uint16_t port)
{
    if (out == NULL || octets == NULL)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    out->u.v6.sin6_family = AF_INET6;
    out->u.v6.sin6_port = htons(port);
    memcpy(&out->u.v6.sin6_addr, octets, 16);
    out->len = sizeof out->u.v6;
    return 0;
}

int cmio_sockaddr_from_sys(cmio_sockaddr *out, const struct sockaddr *sa, socklen_t len)
{
    sa_family_t family;

    if (out == NULL || sa == NULL || len < (socklen_t)sizeof family)
        return -EINVAL;
    memcpy(&family, &sa->sa_family, sizeof family);
    switch (family) {
    case AF_INET:
        if (len < (socklen_t)sizeof out->u.v4)
            return -EINVAL;
        memset(out, 0, sizeof *out);
        memcpy(&out->u.v4, sa, sizeof out->u.v4);
        out->len = sizeof out->u.v4;
        return 0;
    case AF_INET6:
        if (len < (socklen_t)sizeof out->u.v6)
            return -EINVAL;
        memset(out, 0, sizeof *out);
        memcpy(&out->u.v6, sa, sizeof out->u.v6);
        out->len = sizeof out->u.v6;
        return 0;
    default:
        return -EAFNOSUPPORT;
    }
}

int cmio_sockaddr_family(const cmio_sockaddr *addr)
{
    if (addr == NULL || addr->len == 0)
        return AF_UNSPEC;
    return addr->u.sa.sa_family;
}

uint16_t cmio_sockaddr_port(const cmio_sockaddr *addr)
{
    switch (cmio_sockaddr_family(addr)) {
    case AF_INET:
        return ntohs(addr->u.v4.sin_port);
    case AF_INET6:
        return ntohs(addr->u.v6.sin6_port);
    default:
        return 0;
    }
}

int cmio_sockaddr_set_port(cmio_sockaddr *addr, uint16_t port)
{
    switch (cmio_sockaddr_family(addr)) {
    case AF_INET:
        addr->u.v4.sin_port = htons(port);
        return 0;
    case AF_INET6:
        addr->u.v6.sin6_port = htons(port);
        return 0;
    default:
        return -EINVAL;
    }
}

bool cmio_sockaddr_equal(const cmio_sockaddr *a, const cmio_sockaddr *b)
{
    if (a == NULL || b == NULL)
        return false;
    int family = cmio_sockaddr_family(a);
    if (family != cmio_sockaddr_family(b))
        return false;
    switch (family) {
    case AF_INET:
        return a->u.v4.sin_port == b->u.v4.sin_port &&
               a->u.v4.sin_addr.s_addr == b->u.v4.sin_addr.s_addr;
    case AF_INET6:
        return a->u.v6.sin6_port == b->u.v6.sin6_port &&
               memcmp(&a->u.v6.sin6_addr, &b->u.v6.sin6_addr, sizeof a->u.v6.sin6_addr) == 0 &&
               a->u.v6.sin6_scope_id == b->u.v6.sin6_scope_id &&
               a->u.v6.sin6_flowinfo == b->u.v6.sin6_flowinfo;
    default:
        return true; /* both empty */
    }
}
