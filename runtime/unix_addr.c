/* SPDX-License-Identifier: MIT */
/* cmio runtime — Unix-domain socket addresses. */
#include <cmio/unix.h>

#if CMIO_HAVE_UNIX_SOCKETS

#include <stddef.h>
#include <string.h>

#define PATH_OFFSET offsetof(struct sockaddr_un, sun_path)
#define PATH_CAP sizeof(((struct sockaddr_un *)0)->sun_path)

static void unix_addr_clear(cmio_unix_addr *out)
{
    memset(out, 0, sizeof(*out));
    out->sun.sun_family = AF_UNIX;
    out->len = (socklen_t)PATH_OFFSET;
}

int cmio_unix_addr_from_pathname_bytes(cmio_unix_addr *out, const void *path, size_t len)
{
    if (out == NULL || path == NULL || len == 0)
        return -EINVAL;
    if (memchr(path, '\0', len) != NULL)
        return -EINVAL;
    if (len > PATH_CAP - 1)
        return -ENAMETOOLONG;
    unix_addr_clear(out);
    memcpy(out->sun.sun_path, path, len);
    out->len = (socklen_t)(PATH_OFFSET + len + 1);
    return 0;
}

int cmio_unix_addr_from_pathname(cmio_unix_addr *out, const char *path)
{
    if (path == NULL)
        return -EINVAL;
    /* strnlen: an overlong path is refused without reading past what could fit. */
    size_t len = strnlen(path, PATH_CAP);
    return len == PATH_CAP ? -ENAMETOOLONG : cmio_unix_addr_from_pathname_bytes(out, path, len);
}

#if CMIO_HAVE_ABSTRACT_NAMES
int cmio_unix_addr_from_abstract_name(cmio_unix_addr *out, const void *name, size_t len)
{
    if (out == NULL || (name == NULL && len != 0))
        return -EINVAL;
    if (len > PATH_CAP - 1)
        return -ENAMETOOLONG;
    unix_addr_clear(out);
    if (len != 0)
        memcpy(out->sun.sun_path + 1, name, len);
    out->len = (socklen_t)(PATH_OFFSET + 1 + len);
    return 0;
}
#endif

int cmio_unix_addr_unnamed(cmio_unix_addr *out)
{
    if (out == NULL)
        return -EINVAL;
    unix_addr_clear(out);
    return 0;
}

int cmio_unix_addr_from_sys(cmio_unix_addr *out, const struct sockaddr *sa, socklen_t len)
{
    if (out == NULL || sa == NULL || len > sizeof(struct sockaddr_un))
        return -EINVAL;
    /* Some kernels report 0 (or just the family) for an unnamed peer. */
    if (len < PATH_OFFSET + 1) {
        if (len >= sizeof(sa_family_t) && sa->sa_family != AF_UNIX)
            return -EAFNOSUPPORT;
        return cmio_unix_addr_unnamed(out);
    }
    if (sa->sa_family != AF_UNIX)
        return -EAFNOSUPPORT;
    unix_addr_clear(out);
    memcpy(&out->sun, sa, len);
    out->len = len;
    if (out->sun.sun_path[0] != '\0') {
        /* A pathname: the kernel may or may not count the NUL; normalise to counting it. */
        size_t n = strnlen(out->sun.sun_path, len - PATH_OFFSET);
        if (n == PATH_CAP)
            return -ENAMETOOLONG; /* not NUL-terminated within sun_path: cannot be exposed */
        out->len = (socklen_t)(PATH_OFFSET + n + 1);
    }
    return 0;
}

bool cmio_unix_addr_is_unnamed(const cmio_unix_addr *addr)
{
    return addr != NULL && addr->len <= PATH_OFFSET;
}

/* The bytes of sun_path a named address uses (> 0), or 0 when addr is NULL, unnamed or malformed:
 * not AF_UNIX, or a len past sockaddr_un (a struct filled by hand, or gone bad). The accessors
 * read nothing outside the struct whatever it holds. */
static size_t name_len(const cmio_unix_addr *addr)
{
    if (addr == NULL || addr->sun.sun_family != AF_UNIX || addr->len <= PATH_OFFSET ||
        addr->len > sizeof(addr->sun))
        return 0;
    return addr->len - PATH_OFFSET;
}

const char *cmio_unix_addr_as_pathname(const cmio_unix_addr *addr)
{
    if (name_len(addr) == 0 || addr->sun.sun_path[0] == '\0')
        return NULL;
    /* A pathname is NUL-terminated inside sun_path, or it is no pathname. */
    if (memchr(addr->sun.sun_path, '\0', PATH_CAP) == NULL)
        return NULL;
    return addr->sun.sun_path;
}

const void *cmio_unix_addr_as_abstract_name(const cmio_unix_addr *addr, size_t *len)
{
    size_t n = name_len(addr);
    if (len != NULL)
        *len = 0;
    if (n == 0 || addr->sun.sun_path[0] != '\0')
        return NULL;
    if (len != NULL)
        *len = n - 1;
    return addr->sun.sun_path + 1;
}

bool cmio_unix_addr_equal(const cmio_unix_addr *a, const cmio_unix_addr *b)
{
    if (a == NULL || b == NULL || a->len != b->len || a->len < PATH_OFFSET ||
        a->len > sizeof(a->sun) || a->sun.sun_family != AF_UNIX || b->sun.sun_family != AF_UNIX)
        return false;
    return memcmp(a->sun.sun_path, b->sun.sun_path, a->len - PATH_OFFSET) == 0;
}

#endif /* CMIO_HAVE_UNIX_SOCKETS */
