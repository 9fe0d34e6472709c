/* SPDX-License-Identifier: MIT */
/* backend_probe — can this row's backend run here? tests/run.sh runs it before a row's suites:
 * exit 0 when cmio_poll_new() works on the backend the environment selects (CMIO_BACKEND), else
 * one line saying why on stdout and exit 77, and the row is reported as skipped with that reason
 * (io_uring where the kernel lacks or forbids it: ENOSYS, EPERM from seccomp or
 * /proc/sys/kernel/io_uring_disabled). */
#include <cmio/cmio.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    cmio_poll *poll = NULL;
    int r = cmio_poll_new(&poll);
    if (r == 0) {
        cmio_poll_free(poll);
        return 0;
    }
    printf("backend %s unavailable: cmio_poll_new: %s (%d)", cmio_backend_name(), cmio_strerror(r),
           r);
    FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
    int disabled = 0;
    if (strcmp(cmio_backend_name(), "uring") == 0 && f != NULL && fscanf(f, "%d", &disabled) == 1)
        printf(", /proc/sys/kernel/io_uring_disabled = %d", disabled);
    if (f != NULL)
        fclose(f);
    printf("\n");
    return 77;
}
