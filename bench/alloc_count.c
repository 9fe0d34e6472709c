/* SPDX-License-Identifier: MIT */
/* alloc_count.so — counts heap allocations of a dynamically linked process (LD_PRELOAD).
 *
 *   ALLOC_COUNT_FILE=/tmp/counts LD_PRELOAD=build/…/bench/alloc_count.so ./server …
 *
 * Wraps malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign, valloc and
 * pvalloc (forwarding to glibc's __libc_* entry points, so no dlsym is needed) and writes one line
 *   mallocs=… callocs=… reallocs=… memaligns=… frees=… allocs=… bytes=…
 * to $ALLOC_COUNT_FILE when the process exits (allocs = every call that returns new memory:
 * malloc + calloc + realloc + the aligned ones; bytes = what they asked for). A process that
 * installs no SIGTERM handler of its own is made to exit through the same path on SIGTERM.
 *
 * Allocations per round trip = difference of two runs with different round-trip counts, divided
 * by the difference of the counts (bench/run.sh does this), which cancels start-up and exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);

static atomic_ulong n_malloc, n_calloc, n_realloc, n_memalign, n_free, n_bytes;

#define COUNT(counter, size)                                                                       \
    do {                                                                                           \
        atomic_fetch_add_explicit(&(counter), 1, memory_order_relaxed);                            \
        atomic_fetch_add_explicit(&n_bytes, (unsigned long)(size), memory_order_relaxed);          \
    } while (0)

void *malloc(size_t size)
{
    COUNT(n_malloc, size);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    COUNT(n_calloc, n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    COUNT(n_realloc, size);
    return __libc_realloc(p, size);
}

void free(void *p)
{
    if (p != NULL)
        atomic_fetch_add_explicit(&n_free, 1, memory_order_relaxed);
    __libc_free(p);
}

void *memalign(size_t align, size_t size)
{
    COUNT(n_memalign, size);
    return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    return memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = memalign(align, size);
    if (p == NULL && size != 0)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size)
{
    return memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

void *pvalloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return memalign(page, (size + page - 1) / page * page);
}

/* ---- the report (async-signal-safe: no stdio, no allocation) ------------------------------ */

static char *put_str(char *at, const char *s)
{
    size_t n = strlen(s);
    memcpy(at, s, n);
    return at + n;
}

static char *put_num(char *at, unsigned long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *at++ = tmp[--n];
    return at;
}

static atomic_bool written;

static void report(void)
{
    if (atomic_exchange(&written, true))
        return;
    const char *path = getenv("ALLOC_COUNT_FILE");
    if (path == NULL || *path == '\0')
        return;
    unsigned long m = atomic_load(&n_malloc), c = atomic_load(&n_calloc);
    unsigned long r = atomic_load(&n_realloc), a = atomic_load(&n_memalign);
    char line[256], *p = line;
    p = put_str(p, "mallocs=");
    p = put_num(p, m);
    p = put_str(p, " callocs=");
    p = put_num(p, c);
    p = put_str(p, " reallocs=");
    p = put_num(p, r);
    p = put_str(p, " memaligns=");
    p = put_num(p, a);
    p = put_str(p, " frees=");
    p = put_num(p, atomic_load(&n_free));
    p = put_str(p, " allocs=");
    p = put_num(p, m + c + r + a);
    p = put_str(p, " bytes=");
    p = put_num(p, atomic_load(&n_bytes));
    *p++ = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    (void)!write(fd, line, (size_t)(p - line));
    close(fd);
}

static void on_sigterm(int sig)
{
    (void)sig;
    report();
    _exit(0);
}

__attribute__((constructor)) static void alloc_count_init(void)
{
    /* Only a fallback: a process that installs its own handler replaces this one and is
     * expected to exit normally, which runs the destructor below. */
    struct sigaction old;
    if (sigaction(SIGTERM, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigterm;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
    }
}

__attribute__((destructor)) static void alloc_count_fini(void)
{
    report();
}
