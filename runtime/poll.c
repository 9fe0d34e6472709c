/* SPDX-License-Identifier: MIT */
/* cmio runtime — Poll and Registry: argument checks, selector sharing, timeouts.
 *
 * The work is done by the backend (backend_epoll.c, …) through struct cmio_backend. A poll owns
 * one reference to its selector; every cloned registry owns another, so a clone may outlive the
 * poll (mio's Registry::try_clone).
 */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

const struct cmio_backend *cmio__backend(void)
{
    static const struct cmio_backend *const backends[] = {
#if CMIO_BACKEND_EPOLL
        &cmio__backend_epoll,
#endif
#if CMIO_BACKEND_POLL
        &cmio__backend_poll,
#endif
#if CMIO_BACKEND_URING
        &cmio__backend_uring,
#endif
#if CMIO_BACKEND_KQUEUE
        &cmio__backend_kqueue,
#endif
#if CMIO_BACKEND_AFD
        &cmio__backend_afd,
#endif
    };
    static const struct cmio_backend *_Atomic chosen;
    static atomic_bool decided;
    if (atomic_load_explicit(&decided, memory_order_acquire))
        return atomic_load_explicit(&chosen, memory_order_relaxed);
    /* Read CMIO_BACKEND once per process (racing first calls agree: same environment). */
    const char *want = getenv("CMIO_BACKEND");
    if (want == NULL || *want == '\0')
        want = CMIO_DEFAULT_BACKEND;
    const struct cmio_backend *be = NULL;
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (strcmp(backends[i]->name, want) == 0)
            be = backends[i];
    atomic_store_explicit(&chosen, be, memory_order_relaxed);
    atomic_store_explicit(&decided, true, memory_order_release);
    return be;
}

const char *cmio_backend_name(void)
{
    const struct cmio_backend *be = cmio__backend();
    return be != NULL ? be->name : "none";
}

/* ---- selector references ------------------------------------------------------------------- */

void cmio__selector_ref(struct cmio_selector *sel)
{
    atomic_fetch_add_explicit(&sel->refs, 1, memory_order_relaxed);
}

void cmio__selector_unref(struct cmio_selector *sel)
{
    if (atomic_fetch_sub_explicit(&sel->refs, 1, memory_order_acq_rel) == 1)
        sel->be->destroy(sel);
}

/* ---- timeouts ------------------------------------------------------------------------------ */

int cmio__timeout_check(const struct timespec *timeout)
{
    if (timeout == NULL)
        return 0;
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L)
        return -EINVAL;
    return 0;
}

/* ---- Poll ---------------------------------------------------------------------------------- */

int cmio_poll_new(cmio_poll **out)
{
    struct cmio_selector *sel;
    int r;

    if (out == NULL)
        return -EINVAL;
    cmio_poll *poll = malloc(sizeof *poll);
    if (poll == NULL)
        return -ENOMEM;
    const struct cmio_backend *be = cmio__backend();
    if (be == NULL) {
        free(poll);
        return -ENOTSUP; /* CMIO_BACKEND names a backend this build does not have */
    }
    r = be->create(&sel);
    if (r < 0) {
        free(poll);
        return r;
    }
    poll->head.epfd = be->wait_fd != NULL ? be->wait_fd(sel) : -1;
    poll->registry.sel = sel;
    poll->registry.is_clone = false;
    *out = poll;
    return 0;
}

void cmio_poll_free(cmio_poll *poll)
{
    if (poll == NULL)
        return;
    cmio__selector_unref(poll->registry.sel);
    free(poll);
}

cmio_registry *cmio_poll_registry(cmio_poll *poll)
{
    return poll != NULL ? &poll->registry : NULL;
}

/* Parenthesised: the header may define cmio_poll_poll as a macro for its inline fast path. */
int(cmio_poll_poll)(cmio_poll *poll, cmio_events *events, const struct timespec *timeout)
{
    if (poll == NULL || events == NULL)
        return -EINVAL;
    int r = cmio__timeout_check(timeout);
    if (r < 0)
        return r;
    events->len = 0;
    struct cmio_selector *sel = poll->registry.sel;
    return sel->be->select(sel, events, timeout);
}

/* ---- Registry ------------------------------------------------------------------------------ */

int cmio_registry_try_clone(const cmio_registry *registry, cmio_registry **out)
{
    if (registry == NULL || out == NULL)
        return -EINVAL;
    cmio_registry *clone = malloc(sizeof *clone);
    if (clone == NULL)
        return -ENOMEM;
    cmio__selector_ref(registry->sel);
    clone->sel = registry->sel;
    clone->is_clone = true;
    *out = clone;
    return 0;
}

void cmio_registry_free(cmio_registry *registry)
{
    if (registry == NULL || !registry->is_clone)
        return;
    cmio__selector_unref(registry->sel);
    free(registry);
}

/* Raw handles (mio's SourceFd; a SOCKET on Windows): the caller owns them. */
static int cmio_registry_add(cmio_registry *registry, cmio__handle h, cmio_token token,
                             cmio_interest interest)
{
    if (registry == NULL || !cmio__interest_valid(interest))
        return -EINVAL;
    if (!cmio__sys_handle_valid(h))
        return -EBADF;
    return registry->sel->be->add(registry->sel, h, token, interest);
}

static int cmio_registry_modify(cmio_registry *registry, cmio__handle h, cmio_token token,
                                cmio_interest interest)
{
    if (registry == NULL || !cmio__interest_valid(interest))
        return -EINVAL;
    if (!cmio__sys_handle_valid(h))
        return -EBADF;
    return registry->sel->be->modify(registry->sel, h, token, interest);
}

static int cmio_registry_remove(cmio_registry *registry, cmio__handle h)
{
    if (registry == NULL)
        return -EINVAL;
    if (!cmio__sys_handle_valid(h))
        return -EBADF;
    return registry->sel->be->remove(registry->sel, h);
}

#if CMIO_HANDLE_FD
int cmio_registry_register_fd(cmio_registry *registry, int fd, cmio_token token,
                              cmio_interest interest)
{
    return cmio_registry_add(registry, fd, token, interest);
}

int cmio_registry_reregister_fd(cmio_registry *registry, int fd, cmio_token token,
                                cmio_interest interest)
{
    return cmio_registry_modify(registry, fd, token, interest);
}

int cmio_registry_deregister_fd(cmio_registry *registry, int fd)
{
    return cmio_registry_remove(registry, fd);
}
#endif /* CMIO_HANDLE_FD */

#if CMIO_HANDLE_SOCKET
int cmio_registry_register_socket(cmio_registry *registry, SOCKET socket, cmio_token token,
                                  cmio_interest interest)
{
    return cmio_registry_add(registry, (cmio__handle)socket, token, interest);
}

int cmio_registry_reregister_socket(cmio_registry *registry, SOCKET socket, cmio_token token,
                                    cmio_interest interest)
{
    return cmio_registry_modify(registry, (cmio__handle)socket, token, interest);
}

int cmio_registry_deregister_socket(cmio_registry *registry, SOCKET socket)
{
    return cmio_registry_remove(registry, (cmio__handle)socket);
}
#endif /* CMIO_HANDLE_SOCKET */
