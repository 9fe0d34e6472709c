/* SPDX-License-Identifier: MIT */
/* cmio runtime — the events buffer and the event accessors.
 *
 * On Linux a cmio_event is the kernel's struct epoll_event, read in place. The readiness mapping
 * is exactly mio's (src/sys/unix/selector/epoll.rs, module event); events the kqueue backend
 * translated from kevents (CMIO__EV_KQUEUE) follow mio's kqueue.rs instead.
 */
/* The exported, out-of-line versions: the header's inline fast paths are switched off here. */
#define CMIO_NO_INLINE 1
#include "internal.h"

#include <stddef.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

/* The largest capacity every backend can fill: epoll_wait refuses maxevents above
 * INT_MAX / sizeof(struct epoll_event), so every backend refuses it too (one limit everywhere). */
_Static_assert(CMIO_EVENTS_MAX <= INT_MAX / sizeof(cmio__sys_event),
               "CMIO_EVENTS_MAX is more than epoll_wait takes");

#if CMIO_BACKEND_EPOLL
/* The header's inline cmio_events_get reads this layout. */
struct cmio__events_layout_check {
    size_t len;
    size_t cap;
    struct epoll_event ev[1];
};
_Static_assert(offsetof(struct cmio_events, ev) == offsetof(struct cmio__events_layout_check, ev),
               "cmio_events layout differs from the inline fast path's");
_Static_assert(offsetof(struct cmio_events, len) == 0 &&
                   offsetof(struct cmio_events, cap) == sizeof(size_t),
               "cmio_events layout differs from the inline fast path's");
#endif

#if CMIO_BACKEND_KQUEUE
#include <sys/types.h>
#include <sys/time.h>
#include <sys/event.h>
/* The kqueue backend lets kevent() fill the buffer and translates it in place: each slot has room
 * for a struct kevent (the events themselves stay cmio__sys_event-sized, packed at the front). */
#define CMIO_EVENT_ROOM                                                                            \
    (sizeof(struct kevent) > sizeof(cmio__sys_event) ? sizeof(struct kevent)                       \
                                                     : sizeof(cmio__sys_event))
#else
#define CMIO_EVENT_ROOM sizeof(cmio__sys_event)
#endif
_Static_assert(CMIO_EVENTS_MAX <= (SIZE_MAX - sizeof(struct cmio_events)) / CMIO_EVENT_ROOM,
               "the largest events buffer's size overflows size_t");

int cmio_events_new(cmio_events **out, size_t capacity)
{
    if (out == NULL || capacity == 0 || capacity > CMIO_EVENTS_MAX)
        return -EINVAL;
    /* No overflow: CMIO_EVENTS_MAX * CMIO_EVENT_ROOM fits (static assert above). */
    cmio_events *events = malloc(sizeof(struct cmio_events) + capacity * CMIO_EVENT_ROOM);
    if (events == NULL)
        return -ENOMEM;
    events->len = 0;
    events->cap = capacity;
    *out = events;
    return 0;
}

void cmio_events_free(cmio_events *events)
{
    free(events);
}

size_t cmio_events_len(const cmio_events *events)
{
    return events != NULL ? events->len : 0;
}

size_t cmio_events_capacity(const cmio_events *events)
{
    return events != NULL ? events->cap : 0;
}

bool cmio_events_is_empty(const cmio_events *events)
{
    return cmio_events_len(events) == 0;
}

void cmio_events_clear(cmio_events *events)
{
    if (events != NULL)
        events->len = 0;
}

const cmio_event *cmio_events_get(const cmio_events *events, size_t i)
{
    if (events == NULL || i >= events->len)
        return NULL;
    return (const cmio_event *)&events->ev[i];
}

const cmio_event *cmio_events_first(const cmio_events *events)
{
    return cmio_events_get(events, 0);
}

const cmio_event *cmio_events_next(const cmio_events *events, const cmio_event *event)
{
    if (events == NULL || event == NULL)
        return NULL;
    /* Compare addresses as integers: event may not point into this array at all. */
    uintptr_t base = (uintptr_t)events->ev;
    uintptr_t at = (uintptr_t)event;
    if (at < base || (at - base) % sizeof(cmio__sys_event) != 0)
        return NULL;
    return cmio_events_get(events, (at - base) / sizeof(cmio__sys_event) + 1);
}

/* ---- Event: mio's epoll mapping (kqueue's where marked) ------------------------------------ */

static uint32_t cmio_event_bits(const cmio_event *event)
{
    return event != NULL ? ((const cmio__sys_event *)event)->events : 0;
}

cmio_token cmio_event_token(const cmio_event *event)
{
    return event != NULL ? ((const cmio__sys_event *)event)->data.u64 : 0;
}

bool cmio_event_is_readable(const cmio_event *event)
{
    return (cmio_event_bits(event) & (CMIO__EV_IN | CMIO__EV_PRI)) != 0;
}

bool cmio_event_is_writable(const cmio_event *event)
{
    return (cmio_event_bits(event) & CMIO__EV_OUT) != 0;
}

bool cmio_event_is_error(const cmio_event *event)
{
    return (cmio_event_bits(event) & CMIO__EV_ERR) != 0;
}

bool cmio_event_is_read_closed(const cmio_event *event)
{
    uint32_t e = cmio_event_bits(event);
    if (e & CMIO__EV_KQUEUE) /* EV_EOF on the read filter */
        return (e & (CMIO__EV_IN | CMIO__EV_EOF)) == (CMIO__EV_IN | CMIO__EV_EOF);
    /* Both halves closed, or the peer sent FIN / we called shutdown(SHUT_RD). */
    return (e & CMIO__EV_HUP) != 0 || ((e & CMIO__EV_IN) != 0 && (e & CMIO__EV_RDHUP) != 0);
}

bool cmio_event_is_write_closed(const cmio_event *event)
{
    uint32_t e = cmio_event_bits(event);
    if (e & CMIO__EV_KQUEUE) /* EV_EOF on the write filter */
        return (e & (CMIO__EV_OUT | CMIO__EV_EOF)) == (CMIO__EV_OUT | CMIO__EV_EOF);
    /* Both halves closed; or a pipe's write end whose reader went away (with or without room). */
    return (e & CMIO__EV_HUP) != 0 || ((e & CMIO__EV_OUT) != 0 && (e & CMIO__EV_ERR) != 0) ||
           e == (uint32_t)CMIO__EV_ERR;
}

bool cmio_event_is_priority(const cmio_event *event)
{
    return (cmio_event_bits(event) & CMIO__EV_PRI) != 0;
}

bool cmio_event_is_aio(const cmio_event *event)
{
    return (cmio_event_bits(event) & CMIO__EV_AIO) != 0; /* only kqueue's EVFILT_AIO sets it */
}

bool cmio_event_is_lio(const cmio_event *event)
{
    return (cmio_event_bits(event) & CMIO__EV_LIO) != 0; /* only kqueue's EVFILT_LIO sets it */
}
