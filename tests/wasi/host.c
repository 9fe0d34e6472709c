/* SPDX-License-Identifier: MIT */
/* cmio WASI row — a minimal WASI preview 1 host for one wasm2c-translated module.
 *
 * Debian has no WASI runtime with socket support (no wasmtime, wasmer or WAMR packages; Node's
 * WASI crashes in sock_accept). So the row takes the real wasm32 module that clang built
 * (test_wasi.wasm: cmio's wasi build and its test program), turns it into C with wabt's wasm2c
 * (module name "guest") and links it with this file and wabt's wasm-rt-impl.c into a native
 * program. This is a test host, not a production runtime: no capabilities or rights checks, no
 * preopened directories, no files opened by path, no environment variables. It is written against
 * the wasm2c of Debian 12's wabt 1.0.32 (names Z_<module>Z_<export>, wasm_rt_impl_try()).
 *
 * What it implements, each call bounds-checking every guest pointer (-> EFAULT):
 *   args_get/args_sizes_get      the host's argv (argv[0] included)
 *   environ_get/_sizes_get       an empty environment
 *   clock_time_get               CLOCK_REALTIME, _MONOTONIC, _PROCESS/THREAD_CPUTIME_ID
 *   fd_read/fd_write             readv/writev
 *   fd_close, fd_seek            close, lseek
 *   fd_fdstat_get                filetype (socket stream/dgram, file, dir, …), NONBLOCK/APPEND
 *                                flags, all rights
 *   fd_fdstat_set_flags          NONBLOCK and APPEND (fcntl F_SETFL)
 *   fd_filestat_get              fstat
 *   poll_oneoff                  native poll(2): fd_read/fd_write subscriptions and clock
 *                                subscriptions (relative or absolute); a read event carries the
 *                                HANGUP flag once the peer shut down its write half (POLLRDHUP),
 *                                a write event once the connection is closed (POLLHUP)
 *   sock_accept                  accept4 (NONBLOCK as asked, always CLOEXEC)
 *   sock_recv/sock_send          recvmsg (PEEK, WAITALL; DATA_TRUNCATED out) / sendmsg
 *                                (MSG_NOSIGNAL: no SIGPIPE, EPIPE instead)
 *   sock_shutdown                shutdown
 *   proc_exit                    ends the run with that status
 *
 * WASI fd N is host fd N: the guest sees the host's stdio as 0-2 and whatever the caller left open
 * above (the harness passes the listener as fd 3, as wasmtime's --tcplisten does). A trap (out of
 * bounds access, unreachable, stack exhaustion, …) is reported on stderr as "wasi-host: trap: …"
 * and the host exits with status 134. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "guest.h" /* wasm2c's output for the module (module name "guest") */
#include "wasm-rt-impl.h"

/* ---- WASI preview 1 constants (wasi_snapshot_preview1.witx) ---------------------------------- */

/* errno values (witx `errno`): the ones this host returns by name; werr() maps the rest. */
enum { W_ESUCCESS = 0, W_EBADF = 8, W_EFAULT = 21, W_EINVAL = 28, W_EIO = 29, W_ENOTSUP = 58 };

enum { FT_UNKNOWN, FT_BLOCK, FT_CHAR, FT_DIR, FT_FILE, FT_SOCK_DGRAM, FT_SOCK_STREAM, FT_SYMLINK };
enum { FDF_APPEND = 1, FDF_DSYNC = 2, FDF_NONBLOCK = 4, FDF_RSYNC = 8, FDF_SYNC = 16 };
enum { EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };
enum { EVRW_HANGUP = 1, SUBCLOCK_ABSTIME = 1 };
enum { RI_PEEK = 1, RI_WAITALL = 2, RO_DATA_TRUNCATED = 1 };
#define ALL_RIGHTS ((UINT64_C(1) << 29) - 1)

/* Host errno -> WASI errno; anything else is EIO. */
static const struct {
    int host;
    uint16_t wasi;
} errmap[] = {
    {E2BIG, 1},       {EACCES, 2},    {EADDRINUSE, 3},    {EADDRNOTAVAIL, 4}, {EAFNOSUPPORT, 5},
    {EAGAIN, 6},      {EALREADY, 7},  {EBADF, 8},         {ECONNABORTED, 13}, {ECONNREFUSED, 14},
    {ECONNRESET, 15}, {EFAULT, 21},   {EHOSTUNREACH, 23}, {EINPROGRESS, 26},  {EINTR, 27},
    {EINVAL, 28},     {EIO, 29},      {EISCONN, 30},      {EISDIR, 31},       {EMFILE, 33},
    {EMSGSIZE, 35},   {ENETDOWN, 38}, {ENETRESET, 39},    {ENETUNREACH, 40},  {ENFILE, 41},
    {ENOBUFS, 42},    {ENOENT, 44},   {ENOMEM, 48},       {ENOSPC, 51},       {ENOSYS, 52},
    {ENOTCONN, 53},   {ENOTDIR, 54},  {ENOTSOCK, 57},     {EOPNOTSUPP, 58},   {EPERM, 63},
    {EPIPE, 64},      {ESPIPE, 70},   {ETIMEDOUT, 73}};

static uint32_t werr(int e)
{
    for (size_t i = 0; i < sizeof(errmap) / sizeof(errmap[0]); i++)
        if (errmap[i].host == e)
            return errmap[i].wasi;
    return W_EIO;
}

/* ---- the host instance and guest memory ------------------------------------------------------ */

struct Z_wasi_snapshot_preview1_instance_t {
    wasm_rt_memory_t *mem; /* the guest's exported memory */
    int argc;
    char **argv;
    jmp_buf exit_to; /* proc_exit */
    int exit_code;
};

/* The guest range [ptr, ptr + len) as a host pointer, or NULL when it is out of bounds. */
static uint8_t *mem_at(struct Z_wasi_snapshot_preview1_instance_t *w, uint32_t ptr, uint64_t len)
{
    if ((uint64_t)ptr + len > w->mem->size)
        return NULL;
    return w->mem->data + ptr;
}

/* Little-endian stores and loads (wasm memory is little-endian; so is every host this runs on). */
#define PUT(w, ptr, type, value)                                                                   \
    do {                                                                                           \
        type v_ = (type)(value);                                                                   \
        memcpy((w)->mem->data + (ptr), &v_, sizeof(v_));                                           \
    } while (0)

static uint32_t get32(struct Z_wasi_snapshot_preview1_instance_t *w, uint32_t ptr)
{
    uint32_t v;
    memcpy(&v, w->mem->data + ptr, sizeof(v));
    return v;
}

static uint64_t get64(struct Z_wasi_snapshot_preview1_instance_t *w, uint32_t ptr)
{
    uint64_t v;
    memcpy(&v, w->mem->data + ptr, sizeof(v));
    return v;
}

#define NEED(w, ptr, len)                                                                          \
    do {                                                                                           \
        if (mem_at((w), (ptr), (len)) == NULL)                                                     \
            return W_EFAULT;                                                                       \
    } while (0)

/* Guest iovec array (8 bytes each: u32 buf, u32 len) as host iovecs; at most IOV_MAX. */
#define MAX_IOV 1024
static uint32_t iovs_in(struct Z_wasi_snapshot_preview1_instance_t *w, uint32_t iovs, uint32_t n,
                        struct iovec *out)
{
    if (n > MAX_IOV)
        return W_EINVAL;
    NEED(w, iovs, (uint64_t)n * 8);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t buf = get32(w, iovs + i * 8), len = get32(w, iovs + i * 8 + 4);
        uint8_t *p = mem_at(w, buf, len);
        if (p == NULL)
            return W_EFAULT;
        out[i].iov_base = p;
        out[i].iov_len = len;
    }
    return W_ESUCCESS;
}

/* ---- args, environment, clocks, exit -----------------------------------------------------------
 */

uint32_t Z_wasi_snapshot_preview1Z_args_sizes_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                                  uint32_t argc_ptr, uint32_t size_ptr)
{
    NEED(w, argc_ptr, 4);
    NEED(w, size_ptr, 4);
    uint32_t size = 0;
    for (int i = 0; i < w->argc; i++)
        size += (uint32_t)strlen(w->argv[i]) + 1;
    PUT(w, argc_ptr, uint32_t, w->argc);
    PUT(w, size_ptr, uint32_t, size);
    return W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_args_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                            uint32_t argv_ptr, uint32_t buf_ptr)
{
    NEED(w, argv_ptr, (uint64_t)w->argc * 4);
    for (int i = 0; i < w->argc; i++) {
        size_t len = strlen(w->argv[i]) + 1;
        NEED(w, buf_ptr, len);
        memcpy(w->mem->data + buf_ptr, w->argv[i], len);
        PUT(w, argv_ptr + (uint32_t)i * 4, uint32_t, buf_ptr);
        buf_ptr += (uint32_t)len;
    }
    return W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_environ_sizes_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                                     uint32_t count_ptr, uint32_t size_ptr)
{
    NEED(w, count_ptr, 4);
    NEED(w, size_ptr, 4);
    PUT(w, count_ptr, uint32_t, 0);
    PUT(w, size_ptr, uint32_t, 0);
    return W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_environ_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                               uint32_t environ_ptr, uint32_t buf_ptr)
{
    (void)w, (void)environ_ptr, (void)buf_ptr;
    return W_ESUCCESS;
}

static int host_clock(uint32_t id, clockid_t *out)
{
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID};
    if (id >= sizeof(ids) / sizeof(ids[0]))
        return -1;
    *out = ids[id];
    return 0;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t Z_wasi_snapshot_preview1Z_clock_time_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                                  uint32_t id, uint64_t precision, uint32_t out)
{
    (void)precision;
    clockid_t c;
    NEED(w, out, 8);
    if (host_clock(id, &c) < 0)
        return W_EINVAL;
    PUT(w, out, uint64_t, clock_ns(c));
    return W_ESUCCESS;
}

void Z_wasi_snapshot_preview1Z_proc_exit(struct Z_wasi_snapshot_preview1_instance_t *w,
                                         uint32_t code)
{
    w->exit_code = (int)code;
    longjmp(w->exit_to, 1);
}

/* ---- file descriptors
 * ---------------------------------------------------------------------------- */

uint32_t Z_wasi_snapshot_preview1Z_fd_read(struct Z_wasi_snapshot_preview1_instance_t *w,
                                           uint32_t fd, uint32_t iovs, uint32_t n, uint32_t out)
{
    struct iovec iov[MAX_IOV];
    uint32_t e = iovs_in(w, iovs, n, iov);
    if (e != W_ESUCCESS)
        return e;
    NEED(w, out, 4);
    ssize_t r = readv((int)fd, iov, (int)n);
    if (r < 0)
        return werr(errno);
    PUT(w, out, uint32_t, r);
    return W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_write(struct Z_wasi_snapshot_preview1_instance_t *w,
                                            uint32_t fd, uint32_t iovs, uint32_t n, uint32_t out)
{
    struct iovec iov[MAX_IOV];
    uint32_t e = iovs_in(w, iovs, n, iov);
    if (e != W_ESUCCESS)
        return e;
    NEED(w, out, 4);
    ssize_t r = writev((int)fd, iov, (int)n);
    if (r < 0)
        return werr(errno);
    PUT(w, out, uint32_t, r);
    return W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_close(struct Z_wasi_snapshot_preview1_instance_t *w,
                                            uint32_t fd)
{
    (void)w;
    return close((int)fd) < 0 ? werr(errno) : W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_seek(struct Z_wasi_snapshot_preview1_instance_t *w,
                                           uint32_t fd, uint64_t offset, uint32_t whence,
                                           uint32_t out)
{
    static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    NEED(w, out, 8);
    if (whence > 2)
        return W_EINVAL;
    off_t r = lseek((int)fd, (off_t)offset, whences[whence]);
    if (r < 0)
        return werr(errno);
    PUT(w, out, uint64_t, r);
    return W_ESUCCESS;
}

static uint8_t filetype(int fd, const struct stat *st)
{
    if (S_ISSOCK(st->st_mode)) {
        int type = 0;
        socklen_t len = sizeof(type);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
            return FT_UNKNOWN;
        return type == SOCK_STREAM  ? FT_SOCK_STREAM
               : type == SOCK_DGRAM ? FT_SOCK_DGRAM
                                    : FT_UNKNOWN;
    }
    if (S_ISREG(st->st_mode))
        return FT_FILE;
    if (S_ISDIR(st->st_mode))
        return FT_DIR;
    if (S_ISCHR(st->st_mode))
        return FT_CHAR;
    if (S_ISBLK(st->st_mode))
        return FT_BLOCK;
    if (S_ISLNK(st->st_mode))
        return FT_SYMLINK;
    return FT_UNKNOWN; /* pipes: WASI has no file type for them */
}

/* fdstat: u8 filetype @0, u16 flags @2, u64 rights_base @8, u64 rights_inheriting @16. */
uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                                 uint32_t fd, uint32_t out)
{
    struct stat st;
    NEED(w, out, 24);
    int fl = fcntl((int)fd, F_GETFL);
    if (fl < 0 || fstat((int)fd, &st) < 0)
        return werr(errno);
    uint16_t flags =
        (uint16_t)(((fl & O_APPEND) ? FDF_APPEND : 0) | ((fl & O_NONBLOCK) ? FDF_NONBLOCK : 0));
    memset(w->mem->data + out, 0, 24);
    PUT(w, out, uint8_t, filetype((int)fd, &st));
    PUT(w, out + 2, uint16_t, flags);
    PUT(w, out + 8, uint64_t, ALL_RIGHTS);
    PUT(w, out + 16, uint64_t, ALL_RIGHTS);
    return W_ESUCCESS;
}

uint32_t
Z_wasi_snapshot_preview1Z_fd_fdstat_set_flags(struct Z_wasi_snapshot_preview1_instance_t *w,
                                              uint32_t fd, uint32_t flags)
{
    (void)w;
    if (flags & (uint32_t) ~(FDF_APPEND | FDF_NONBLOCK))
        return W_ENOTSUP; /* DSYNC, RSYNC, SYNC: not needed here */
    int fl = fcntl((int)fd, F_GETFL);
    if (fl < 0)
        return werr(errno);
    fl &= ~(O_APPEND | O_NONBLOCK);
    fl |= ((flags & FDF_APPEND) ? O_APPEND : 0) | ((flags & FDF_NONBLOCK) ? O_NONBLOCK : 0);
    return fcntl((int)fd, F_SETFL, fl) < 0 ? werr(errno) : W_ESUCCESS;
}

/* filestat: dev @0, ino @8, u8 filetype @16, nlink @24, size @32, atim @40, mtim @48, ctim @56. */
uint32_t Z_wasi_snapshot_preview1Z_fd_filestat_get(struct Z_wasi_snapshot_preview1_instance_t *w,
                                                   uint32_t fd, uint32_t out)
{
    struct stat st;
    NEED(w, out, 64);
    if (fstat((int)fd, &st) < 0)
        return werr(errno);
    memset(w->mem->data + out, 0, 64);
    PUT(w, out, uint64_t, st.st_dev);
    PUT(w, out + 8, uint64_t, st.st_ino);
    PUT(w, out + 16, uint8_t, filetype((int)fd, &st));
    PUT(w, out + 24, uint64_t, st.st_nlink);
    PUT(w, out + 32, uint64_t, st.st_size);
    PUT(w, out + 40, uint64_t, (uint64_t)st.st_atim.tv_sec * 1000000000u + st.st_atim.tv_nsec);
    PUT(w, out + 48, uint64_t, (uint64_t)st.st_mtim.tv_sec * 1000000000u + st.st_mtim.tv_nsec);
    PUT(w, out + 56, uint64_t, (uint64_t)st.st_ctim.tv_sec * 1000000000u + st.st_ctim.tv_nsec);
    return W_ESUCCESS;
}

/* ---- poll_oneoff
 * ---------------------------------------------------------------------------------- subscription
 * (48 bytes): u64 userdata @0, u8 tag @8; clock: u32 id @16, u64 timeout @24, u64 precision @32,
 * u16 flags @40; fd_read/fd_write: u32 fd @16. event (32 bytes): u64 userdata @0, u16 error @8, u8
 * type @10, u64 nbytes @16, u16 flags @24. */

#define MAX_SUBS 4096

uint32_t Z_wasi_snapshot_preview1Z_poll_oneoff(struct Z_wasi_snapshot_preview1_instance_t *w,
                                               uint32_t in, uint32_t out, uint32_t nsubs,
                                               uint32_t nevents_ptr)
{
    static struct pollfd pfd[MAX_SUBS];
    static uint32_t sub_of[MAX_SUBS]; /* pfd[i] is subscription sub_of[i] */
    if (nsubs == 0 || nsubs > MAX_SUBS)
        return W_EINVAL;
    NEED(w, in, (uint64_t)nsubs * 48);
    NEED(w, out, (uint64_t)nsubs * 32);
    NEED(w, nevents_ptr, 4);

    /* The earliest clock deadline, on the monotonic clock (absolute timeouts are converted). */
    int64_t deadline = -1; /* ns, CLOCK_MONOTONIC; -1: none */
    nfds_t n = 0;
    for (uint32_t i = 0; i < nsubs; i++) {
        uint32_t s = in + i * 48;
        uint8_t tag = w->mem->data[s + 8];
        if (tag == EV_CLOCK) {
            clockid_t c;
            if (host_clock(get32(w, s + 16), &c) < 0)
                return W_EINVAL;
            uint64_t t = get64(w, s + 24);
            uint16_t flags;
            memcpy(&flags, w->mem->data + s + 40, 2);
            uint64_t now = clock_ns(c), mono = clock_ns(CLOCK_MONOTONIC);
            uint64_t rel = (flags & SUBCLOCK_ABSTIME) ? (t > now ? t - now : 0) : t;
            int64_t d = rel > INT64_MAX - mono ? INT64_MAX : (int64_t)(mono + rel);
            if (deadline < 0 || d < deadline)
                deadline = d;
        } else if (tag == EV_FD_READ || tag == EV_FD_WRITE) {
            pfd[n].fd = (int)get32(w, s + 16);
            pfd[n].events = tag == EV_FD_READ ? POLLIN | POLLRDHUP : POLLOUT;
            pfd[n].revents = 0;
            sub_of[n++] = i;
        } else {
            return W_EINVAL;
        }
    }

    int ready;
    for (;;) {
        struct timespec ts, *tp = NULL;
        if (deadline >= 0) {
            int64_t left = deadline - (int64_t)clock_ns(CLOCK_MONOTONIC);
            if (left < 0)
                left = 0;
            ts.tv_sec = left / 1000000000;
            ts.tv_nsec = left % 1000000000;
            tp = &ts;
        }
        ready = ppoll(pfd, n, tp, NULL);
        if (ready >= 0 || errno != EINTR)
            break;
    }
    if (ready < 0)
        return werr(errno);

    uint32_t nev = 0;
    for (nfds_t i = 0; i < n; i++) {
        short re = pfd[i].revents;
        if (re == 0)
            continue;
        uint32_t s = in + sub_of[i] * 48, e = out + nev++ * 32;
        uint8_t tag = w->mem->data[s + 8];
        uint16_t error = 0, flags = 0;
        uint64_t nbytes = 0;
        if (re & POLLNVAL)
            error = W_EBADF;
        else if ((re & POLLERR) && !(re & (POLLIN | POLLOUT)))
            error = W_EIO;
        else if (tag == EV_FD_READ)
            flags = (re & (POLLRDHUP | POLLHUP)) ? EVRW_HANGUP : 0;
        else
            flags = (re & POLLHUP) ? EVRW_HANGUP : 0;
        memset(w->mem->data + e, 0, 32);
        memcpy(w->mem->data + e, w->mem->data + s, 8); /* userdata */
        PUT(w, e + 8, uint16_t, error);
        PUT(w, e + 10, uint8_t, tag);
        PUT(w, e + 16, uint64_t, nbytes);
        PUT(w, e + 24, uint16_t, flags);
    }
    if (deadline >= 0 && (int64_t)clock_ns(CLOCK_MONOTONIC) >= deadline) {
        for (uint32_t i = 0; i < nsubs; i++) { /* the clocks that are due */
            uint32_t s = in + i * 48, e = out + nev * 32;
            if (w->mem->data[s + 8] != EV_CLOCK)
                continue;
            memset(w->mem->data + e, 0, 32);
            memcpy(w->mem->data + e, w->mem->data + s, 8);
            PUT(w, e + 10, uint8_t, EV_CLOCK);
            nev++;
            break; /* one clock event is enough: the guest only learns the wait is over */
        }
    }
    PUT(w, nevents_ptr, uint32_t, nev);
    return W_ESUCCESS;
}

/* ---- sockets -----------------------------------------------------------------------------------
 */

uint32_t Z_wasi_snapshot_preview1Z_sock_accept(struct Z_wasi_snapshot_preview1_instance_t *w,
                                               uint32_t fd, uint32_t flags, uint32_t out)
{
    NEED(w, out, 4);
    if (flags & (uint32_t)~FDF_NONBLOCK)
        return W_EINVAL;
    int s =
        accept4((int)fd, NULL, NULL, SOCK_CLOEXEC | ((flags & FDF_NONBLOCK) ? SOCK_NONBLOCK : 0));
    if (s < 0)
        return werr(errno);
    PUT(w, out, uint32_t, s);
    return W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_sock_recv(struct Z_wasi_snapshot_preview1_instance_t *w,
                                             uint32_t fd, uint32_t iovs, uint32_t n,
                                             uint32_t riflags, uint32_t len_out,
                                             uint32_t roflags_out)
{
    struct iovec iov[MAX_IOV];
    uint32_t e = iovs_in(w, iovs, n, iov);
    if (e != W_ESUCCESS)
        return e;
    NEED(w, len_out, 4);
    NEED(w, roflags_out, 2);
    if (riflags & (uint32_t) ~(RI_PEEK | RI_WAITALL))
        return W_EINVAL;
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    int fl = ((riflags & RI_PEEK) ? MSG_PEEK : 0) | ((riflags & RI_WAITALL) ? MSG_WAITALL : 0);
    ssize_t r = recvmsg((int)fd, &msg, fl);
    if (r < 0)
        return werr(errno);
    PUT(w, len_out, uint32_t, r);
    PUT(w, roflags_out, uint16_t, (msg.msg_flags & MSG_TRUNC) ? RO_DATA_TRUNCATED : 0);
    return W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_sock_send(struct Z_wasi_snapshot_preview1_instance_t *w,
                                             uint32_t fd, uint32_t iovs, uint32_t n,
                                             uint32_t siflags, uint32_t len_out)
{
    struct iovec iov[MAX_IOV];
    uint32_t e = iovs_in(w, iovs, n, iov);
    if (e != W_ESUCCESS)
        return e;
    NEED(w, len_out, 4);
    if (siflags != 0)
        return W_EINVAL; /* WASI defines no send flags */
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    ssize_t r = sendmsg((int)fd, &msg, MSG_NOSIGNAL);
    if (r < 0)
        return werr(errno);
    PUT(w, len_out, uint32_t, r);
    return W_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_sock_shutdown(struct Z_wasi_snapshot_preview1_instance_t *w,
                                                 uint32_t fd, uint32_t how)
{
    (void)w;
    static const int hows[] = {-1, SHUT_RD, SHUT_WR, SHUT_RDWR};
    if (how == 0 || how > 3)
        return W_EINVAL;
    return shutdown((int)fd, hows[how]) < 0 ? werr(errno) : W_ESUCCESS;
}

/* ---- main
 * ---------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    /* The guest never sees SIGPIPE: writes to a closed peer give EPIPE (fd_write on a socket
     * included). */
    signal(SIGPIPE, SIG_IGN);

    static struct Z_wasi_snapshot_preview1_instance_t wasi;
    static Z_guest_instance_t guest;
    wasi.argc = argc;
    wasi.argv = argv;

    wasm_rt_init();
    Z_guest_init_module();
    Z_guest_instantiate(&guest, &wasi);
    wasi.mem = Z_guestZ_memory(&guest);

    volatile int status = 0;
    wasm_rt_trap_t trap = (wasm_rt_trap_t)wasm_rt_impl_try();
    if (trap != WASM_RT_TRAP_NONE) {
        fflush(stdout);
        fprintf(stderr, "wasi-host: trap: %s\n", wasm_rt_strerror(trap));
        status = 134;
    } else if (setjmp(wasi.exit_to) == 0) {
        Z_guestZ__start(&guest); /* returns when main returned 0 */
    } else {
        status = wasi.exit_code;
    }
    fflush(stdout);
    Z_guest_free(&guest);
    wasm_rt_free();
    return status;
}
