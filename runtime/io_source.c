/* SPDX-License-Identifier: MIT */
/* cmio runtime — the registration state every socket carries (mio's IoSource).
 *
 * A source remembers the selector it is registered with and holds a reference to it, so a socket
 * may safely outlive its poll. Registering twice, or through another poll's registry, is refused
 * here, before any system call.
 */
#include "internal.h"

/* Removes src from its selector and forgets the selector. Returns the backend's result. */
static int cmio_source_unregister(cmio_io_source *src)
{
    struct cmio_selector *sel = src->sel;
    int r = sel->be->remove(sel, cmio__source_fd(src));
    src->sel = NULL;
    src->rearm = false;
    cmio__selector_unref(sel);
    return r;
}

int cmio__source_register(cmio_io_source *src, cmio_registry *registry, cmio_token token,
                          cmio_interest interest)
{
    if (src == NULL || registry == NULL || !cmio__interest_valid(interest))
        return -EINVAL;
    if (!cmio__source_open(src))
        return -EBADF;
    if (src->sel != NULL)
        return -EEXIST;
    int r = registry->sel->be->add(registry->sel, cmio__source_fd(src), token,
                                   interest | CMIO__INTEREST_KNOWN);
    if (r < 0)
        return r;
    cmio__selector_ref(registry->sel);
    src->sel = registry->sel;
    src->rearm = registry->sel->be->rearm != NULL;
    return 0;
}

/* Common checks of reregister and deregister. */
static int cmio_source_check_registered(const cmio_io_source *src, const cmio_registry *registry)
{
    if (src == NULL || registry == NULL)
        return -EINVAL;
    if (!cmio__source_open(src))
        return -EBADF;
    if (src->sel == NULL)
        return -ENOENT;
    if (src->sel != registry->sel)
        return -EINVAL; /* registered with another poll */
    return 0;
}

int cmio__source_reregister(cmio_io_source *src, cmio_registry *registry, cmio_token token,
                            cmio_interest interest)
{
    if (!cmio__interest_valid(interest))
        return -EINVAL;
    int r = cmio_source_check_registered(src, registry);
    if (r < 0)
        return r;
    return src->sel->be->modify(src->sel, cmio__source_fd(src), token, interest);
}

int cmio__source_deregister(cmio_io_source *src, cmio_registry *registry)
{
    int r = cmio_source_check_registered(src, registry);
    if (r < 0)
        return r;
    r = src->sel->be->remove(src->sel, cmio__source_fd(src));
    /* -ENOENT: the kernel no longer has it (e.g. removed through the raw-fd API); forget it too. */
    if (r == 0 || r == -ENOENT) {
        cmio__selector_unref(src->sel);
        src->sel = NULL;
        src->rearm = false;
    }
    return r;
}

int cmio__source_close(cmio_io_source *src)
{
    int r = 0;

    if (src == NULL)
        return -EINVAL;
    if (!cmio__source_open(src))
        return -EBADF; /* empty (all-zero) or already closed: no fd is touched */
#if CMIO_BACKEND_URING
    if (src->sel != NULL && src->sel->be == &cmio__backend_uring) {
        /* io_uring deregisters and closes in one system call. */
        struct cmio_selector *sel = src->sel;
        r = cmio__uring_close(sel, cmio__source_fd(src));
        src->sel = NULL;
        src->rearm = false;
        cmio__selector_unref(sel);
        src->fd1 = 0;
        return r;
    }
#endif
    if (src->sel != NULL) {
        r = cmio_source_unregister(src);
        if (r == -ENOENT || r == -EBADF)
            r = 0;
    }
    /* On Linux the fd is released even when close() fails, so never retry it. */
    int c = cmio__sys_close(cmio__source_fd(src));
    if (c < 0 && c != -EINTR)
        r = c;
    src->fd1 = 0;
    return r;
}

int cmio__source_release(cmio_io_source *src, cmio__handle *out)
{
    if (src == NULL)
        return -EINVAL;
    if (!cmio__source_open(src))
        return -EBADF;
    if (src->sel != NULL)
        (void)cmio_source_unregister(src); /* the caller gets the fd back either way */
    *out = cmio__source_fd(src);
    src->fd1 = 0;
    return 0;
}

int cmio__source_adopt(cmio_io_source *src, cmio__handle fd)
{
    if (src == NULL)
        return -EINVAL;
    if (!cmio__sys_handle_valid(fd)) /* -1, or INT_MAX: fd + 1 would not fit (never handed out) */
        return -EBADF;
    int r = cmio__sys_set_nonblock(fd);
    if (r < 0)
        return r;
    cmio__source_init(src, fd);
    return 0;
}

void cmio__source_would_block(cmio_io_source *src, cmio_interest dir)
{
    /* src->rearm (the callers' test) is only ever set with sel and sel->be->rearm; checked anyway.
     */
    struct cmio_selector *sel = src != NULL ? src->sel : NULL;
    if (sel != NULL && src->rearm)
        (void)sel->be->rearm(sel, cmio__source_fd(src), dir);
}
