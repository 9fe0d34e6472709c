/* SPDX-License-Identifier: MIT */
/* Generated from idl/platforms.yaml by codegen/generate.py — do not edit. Platform: linux.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_PLATFORM_H
#define CMIO_PLATFORM_H

/*
 * Linux with glibc or musl. The default build: epoll and eventfd; poll(2) and a pipe waker are
 * compiled in too and chosen with CMIO_BACKEND=poll / CMIO_WAKER=pipe (mio's
 * mio_unsupported_force_poll_poll and mio_unsupported_force_waker_pipe); so is io_uring
 * (multishot poll requests, Linux 5.18+), chosen with CMIO_BACKEND=uring.
 */
#define CMIO_PLATFORM_NAME "linux"
#define CMIO_PLATFORM_LINUX 1
#define CMIO_HANDLE_FD 1

/* Poll backends compiled in; the first is the default. A build may leave some out (make
 * CMIO_BACKENDS="epoll" defines the others 0, e.g. -DCMIO_BACKEND_POLL=0): libcmio and every
 * program that includes these headers must then be compiled with the same definitions. With a
 * single backend the inline fast paths need no run-time test of which backend runs a poll. */
#ifndef CMIO_BACKEND_EPOLL
#define CMIO_BACKEND_EPOLL 1
#endif
#ifndef CMIO_BACKEND_POLL
#define CMIO_BACKEND_POLL 1
#endif
#ifndef CMIO_BACKEND_URING
#define CMIO_BACKEND_URING 1
#endif
#define CMIO__BACKEND_COUNT (CMIO_BACKEND_EPOLL + CMIO_BACKEND_POLL + CMIO_BACKEND_URING)
#if CMIO_BACKEND_EPOLL
#define CMIO_DEFAULT_BACKEND "epoll"
#elif CMIO_BACKEND_POLL
#define CMIO_DEFAULT_BACKEND "poll"
#elif CMIO_BACKEND_URING
#define CMIO_DEFAULT_BACKEND "uring"
#else
#error "every poll backend of this platform is left out"
#endif

/* The poll(2) backend waits with ppoll (nanoseconds). */
#define CMIO_HAVE_PPOLL 1
/* poll(2) reports a hang-up on an fd polled for no event (yes). */
#define CMIO_POLL_HANGUP_ALONE 1

/* Wakers compiled in (how cmio_waker_wake() wakes the poll); the first is the default. */
#define CMIO_WAKER_EVENTFD 1
#define CMIO_WAKER_PIPE 1
#define CMIO_DEFAULT_WAKER "eventfd"
/* 0 where the only waker is `none`: the Waker API is absent from the headers. */
#define CMIO_HAVE_WAKER 1

/* Threads: a registry may be used while another thread polls (the poll(2) backend then locks its
 * table and wakes the poller through a pipe). */
#define CMIO_HAVE_THREADS 1

/* Socket calls: the full BSD set, or only accept/recv/send/shutdown on sockets the host hands
 * over (inherited). */
#define CMIO_SOCKETS_FULL 1

/* Socket types this platform has, each with its header <cmio/<type>.h> (idl/<type>.yaml). */
#define CMIO_HAVE_TCP_LISTENER 1
#define CMIO_HAVE_TCP_STREAM 1
#define CMIO_HAVE_UDP_SOCKET 1
#define CMIO_HAVE_UNIX_DATAGRAM 1
#define CMIO_HAVE_UNIX_LISTENER 1
#define CMIO_HAVE_UNIX_STREAM 1

/* Interest flags this platform has (mio's Interest). */
#define CMIO_HAVE_INTEREST_READABLE 1
#define CMIO_HAVE_INTEREST_WRITABLE 1
#define CMIO_HAVE_INTEREST_PRIORITY 1
#define CMIO_HAVE_INTEREST_AIO 0
#define CMIO_HAVE_INTEREST_LIO 0

/* Unix-domain sockets: abstract names; received fds close-on-exec in recvmsg itself
 * (MSG_CMSG_CLOEXEC) or by fcntl afterwards; how peer credentials are read. */
#define CMIO_HAVE_ABSTRACT_NAMES 1
#define CMIO_CMSG_CLOEXEC 1
#define CMIO_PEER_CRED_SO_PEERCRED 1

/* Batched UDP: sendmmsg/recvmmsg. */
#define CMIO_BATCH_MMSG 1

/* Private: the flags of every send (msg_nosignal); the inline fast paths use it. */
#define CMIO__SEND_FLAGS MSG_NOSIGNAL

#endif /* CMIO_PLATFORM_H */
