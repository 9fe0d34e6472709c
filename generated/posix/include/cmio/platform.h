/* SPDX-License-Identifier: MIT */
/* Generated from idl/platforms.yaml by codegen/generate.py — do not edit. Platform: posix.
 * Change the IDL (or the template) and run `make generate`. */
#ifndef CMIO_PLATFORM_H
#define CMIO_PLATFORM_H

/*
 * Any POSIX.1-2008 system, built and tested on Linux to prove the portable path: no accept4,
 * no SOCK_NONBLOCK/SOCK_CLOEXEC (fcntl instead), the poll(2) backend and a pipe waker. Its
 * wrappers are compiled with only _POSIX_C_SOURCE, so a non-POSIX call does not build.
 */
#define CMIO_PLATFORM_NAME "posix"
#define CMIO_PLATFORM_POSIX 1
#define CMIO_HANDLE_FD 1

/* Poll backends compiled in; the first is the default. */
#define CMIO_BACKEND_POLL 1
#define CMIO_DEFAULT_BACKEND "poll"

/* The poll(2) backend waits with poll (milliseconds, rounded up). */
#define CMIO_HAVE_PPOLL 0

/* Wakers compiled in (how cmio_waker_wake() wakes the poll); the first is the default. */
#define CMIO_WAKER_PIPE 1
#define CMIO_DEFAULT_WAKER "pipe"

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
#define CMIO_HAVE_ABSTRACT_NAMES 0
#define CMIO_CMSG_CLOEXEC 0
#define CMIO_PEER_CRED_NONE 1

/* Batched UDP: a loop of single calls. */
#define CMIO_BATCH_LOOP 1

/* Private: the flags of every send (msg_nosignal); the inline fast paths use it. */
#define CMIO__SEND_FLAGS MSG_NOSIGNAL

#endif /* CMIO_PLATFORM_H */
