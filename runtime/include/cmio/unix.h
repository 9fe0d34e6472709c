/* SPDX-License-Identifier: MIT */
/* cmio — Unix-domain sockets: addresses (std's os::unix::net::SocketAddr), peer credentials and
 * file-descriptor passing buffers.
 *
 * An address is a pathname ("/run/app.sock"), an abstract name (Linux: a name in the abstract
 * namespace, no file), or unnamed (an unbound socket, a socketpair end). A name that does not fit
 * sun_path is refused with -ENAMETOOLONG, never truncated.
 */
#ifndef CMIO_UNIX_H
#define CMIO_UNIX_H

#include <cmio/common.h>

/* Unix-domain sockets exist where one of their types does (platform.h, from idl/); elsewhere
 * (WASI) this header declares nothing. */
#if CMIO_HAVE_UNIX_STREAM || CMIO_HAVE_UNIX_LISTENER || CMIO_HAVE_UNIX_DATAGRAM
#define CMIO_HAVE_UNIX_SOCKETS 1
#else
#define CMIO_HAVE_UNIX_SOCKETS 0
#endif

#if CMIO_HAVE_UNIX_SOCKETS
#include <sys/socket.h>
#include <sys/un.h>

CMIO_EXTERN_C_BEGIN

typedef struct cmio_unix_addr {
    struct sockaddr_un sun;
    socklen_t len; /* as the kernel counts it: offsetof(sun_path) + name bytes (+ NUL) */
} cmio_unix_addr;

/* Longest pathname that fits, in bytes, without its terminating NUL. */
#define CMIO_UNIX_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* A pathname address. -EINVAL for NULL or "", -ENAMETOOLONG when it does not fit. */
CMIO_API int cmio_unix_addr_from_pathname(cmio_unix_addr *out, const char *path);

/* A pathname address from len bytes (no NUL needed); an embedded NUL → -EINVAL. */
CMIO_API int cmio_unix_addr_from_pathname_bytes(cmio_unix_addr *out, const void *path, size_t len);

#if CMIO_HAVE_ABSTRACT_NAMES
/* An abstract-namespace address (Linux): len bytes of name, which may hold any byte. Up to
 * CMIO_UNIX_PATH_MAX bytes, else -ENAMETOOLONG. */
CMIO_API int cmio_unix_addr_from_abstract_name(cmio_unix_addr *out, const void *name, size_t len);
#endif

/* The unnamed address. */
CMIO_API int cmio_unix_addr_unnamed(cmio_unix_addr *out);

/* Converts what the kernel returned (getsockname, accept, recvfrom). -EAFNOSUPPORT when sa is
 * not AF_UNIX, -EINVAL when len is out of range. */
CMIO_API int cmio_unix_addr_from_sys(cmio_unix_addr *out, const struct sockaddr *sa, socklen_t len);

CMIO_API bool cmio_unix_addr_is_unnamed(const cmio_unix_addr *addr);

/* The pathname (NUL-terminated), or NULL when the address is not a pathname. */
CMIO_API const char *cmio_unix_addr_as_pathname(const cmio_unix_addr *addr);

/* The abstract name and its length, or NULL (and *len = 0) when the address is not abstract. */
CMIO_API const void *cmio_unix_addr_as_abstract_name(const cmio_unix_addr *addr, size_t *len);

/* true when both are the same kind of address with the same name. */
CMIO_API bool cmio_unix_addr_equal(const cmio_unix_addr *a, const cmio_unix_addr *b);

/* The credentials of the process at the other end of a Unix stream (SO_PEERCRED on Linux,
 * getpeereid where that is what the platform has). pid is -1 where the platform cannot tell it. */
typedef struct cmio_peer_cred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
} cmio_peer_cred;

/* Most fds one message can carry: Linux's SCM_MAX_FD is 253, but musl refuses control messages
 * over 1024 bytes, which is 251 fds on 64-bit targets. */
#define CMIO_MAX_FDS 251

/* Receives file descriptors passed with SCM_RIGHTS. Set fds and cap; a receive sets len and
 * truncated. Received fds are close-on-exec. When the sender passed more fds than fit (the control
 * message was truncated), truncated is true, len is 0 and every fd that did arrive was closed. */
typedef struct cmio_fd_buf {
    int *fds;       /* caller's array of cap ints */
    size_t cap;     /* capacity in fds (at most CMIO_MAX_FDS are used) */
    size_t len;     /* out: fds received */
    bool truncated; /* out: fds were lost to truncation (and closed) */
} cmio_fd_buf;

CMIO_EXTERN_C_END
#endif /* CMIO_HAVE_UNIX_SOCKETS */

#endif /* CMIO_UNIX_H */
