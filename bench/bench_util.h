/* SPDX-License-Identifier: MIT */
/* bench_util.h — the little the C bench programs (echo_raw_epoll, echo_cmio, loadgen, micro)
 * share. Header-only, static functions. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <sys/resource.h>

/* Raises RLIMIT_NOFILE to `need` (or as far as the hard limit allows): 10 000 connections need
 * more descriptors than the usual soft limit of 1024. Best effort; failures are ignored. */
static void raise_nofile(rlim_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_max < need) {
        struct rlimit more = {need, need};
        if (setrlimit(RLIMIT_NOFILE, &more) == 0)
            return;
    }
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
}

#endif /* BENCH_UTIL_H */
