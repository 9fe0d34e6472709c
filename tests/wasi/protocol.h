/* SPDX-License-Identifier: MIT */
/* cmio WASI row — what the guest test program (test_wasi.c, wasm32) and the native harness
 * (harness.c) agree on. Header-only.
 *
 * The guest writes its progress to stdout, one line at a time. A line starting with "@clients "
 * is a request to the harness: "@clients N SIZE" makes it open N connections to the listener it
 * passed as fd 3, all at once; client i sends SIZE bytes of pattern_byte(i, k), reads the echo
 * back and checks it, then shuts down its write half and expects end of stream (the guest's
 * shutdown or close). Every other line is copied to the harness's stdout. */
#ifndef CMIO_WASI_PROTOCOL_H
#define CMIO_WASI_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

/* The listener's fd in the guest: the first fd after stdio, where wasmtime's --tcplisten puts it.
 */
#define WASI_LISTEN_FD 3

#define WASI_CLIENTS_CMD "@clients "

/* Byte k of what client i sends (and expects back). */
static inline uint8_t pattern_byte(unsigned client, size_t k)
{
    return (uint8_t)((client * 131u + k * 7u + (k >> 8)) & 0xff);
}

#endif /* CMIO_WASI_PROTOCOL_H */
