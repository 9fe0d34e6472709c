/* cmio — the state every socket type carries (mio's IoSource).
 *
 * Socket structs (cmio_tcp_stream, …) are small and caller-owned; each embeds a cmio_io_source.
 * Its fields are private: use the generated cmio_<type>_* functions.
 */
#ifndef CMIO_IO_SOURCE_H
#define CMIO_IO_SOURCE_H

#include <cmio/common.h>
#include <cmio/poll.h>

CMIO_EXTERN_C_BEGIN

struct cmio_selector;

typedef struct cmio_io_source {
    int fd;                    /* -1 once closed or released */
    struct cmio_selector *sel; /* the selector it is registered with, or NULL */
} cmio_io_source;

CMIO_EXTERN_C_END

#endif /* CMIO_IO_SOURCE_H */
