/* SPDX-License-Identifier: MIT */
/* fuzz_cmsg — libFuzzer target for the control-message handling of recv_fds, through the private
 * seam cmio__recv_fds_collect (runtime/unix_net.c): the fuzzer plays the kernel and hands it the
 * msghdr recvmsg would have left, with any control bytes, any msg_controllen up to the buffer and
 * any MSG_CTRUNC flag. Built and run by `make fuzz` (fuzz/run.sh).
 *
 * Input layout: byte 0 = flags (bit 0: MSG_CTRUNC; bits 1..7: how many bytes of the buffer the
 * "kernel" says it filled are cut from its end), byte 1 = cap (0..255, clamped to CMIO_MAX_FDS),
 * the rest = the control buffer. Properties (abort() on a violation):
 *   - nothing outside the control buffer or the caller's fd array is read or written (the control
 *     buffer and the fd array are heap blocks of exact size; msg_controllen never exceeds it);
 *   - every fd the function takes out of the buffer is either delivered or closed, never both,
 *     never twice; truncated ⇔ something was closed or cut (and then nothing is delivered);
 *   - at most cap fds are delivered; with MSG_CTRUNC nothing is;
 *   - the fds delivered or closed appear in the control buffer, in order.
 * close_fd records instead of closing: the fd numbers are made up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_cmsg: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_SEEN 4096

static int closed[MAX_SEEN];
static size_t nclosed;

static int record_close(int fd)
{
    CHECK(nclosed < MAX_SEEN);
    closed[nclosed++] = fd;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 2 + 4096)
        return 0;
    bool ctrunc = (data[0] & 1) != 0;
    size_t cut = data[0] >> 1;
    size_t cap = data[1] < CMIO_MAX_FDS ? data[1] : CMIO_MAX_FDS;
    size_t clen = size - 2;
    if (cut > clen)
        cut = clen;

    /* The control buffer: malloc aligns it as recvmsg's buffer would be. */
    unsigned char *ctl = malloc(clen > 0 ? clen : 1);
    int *fds = malloc(cap > 0 ? cap * sizeof(int) : 1);
    CHECK(ctl != NULL && fds != NULL);
    memcpy(ctl, data + 2, clen);

    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_control = clen > 0 ? ctl : NULL;
    msg.msg_controllen = clen - cut;
    msg.msg_flags = ctrunc ? MSG_CTRUNC : 0;

    cmio_fd_buf fb = {.fds = cap > 0 ? fds : NULL, .cap = cap, .len = 777, .truncated = true};
    nclosed = 0;
    cmio__recv_fds_collect(&msg, &fb, cap, record_close);

    CHECK(fb.len <= cap);
    if (fb.truncated)
        CHECK(fb.len == 0);
    else
        CHECK(nclosed == 0);
    if (ctrunc)
        CHECK(fb.truncated && fb.len == 0);
    if (nclosed > 0)
        CHECK(fb.truncated);

    /* Every fd handed out (delivered or closed) is an int that lies inside the filled part of
     * the buffer: count how many ints it holds at all, an upper bound. */
    size_t filled = msg.msg_controllen;
    CHECK(fb.len + nclosed <= filled / sizeof(int));
    /* Each value delivered or closed occurs in the filled buffer. */
    for (size_t i = 0; i < fb.len + nclosed; i++) {
        int fd = i < fb.len ? fds[i] : closed[i - fb.len];
        bool found = false;
        for (size_t off = 0; !found && off + sizeof(int) <= filled; off += sizeof(int))
            found = memcmp(ctl + off, &fd, sizeof fd) == 0;
        CHECK(found);
    }
    free(fds);
    free(ctl);
    return 0;
}
