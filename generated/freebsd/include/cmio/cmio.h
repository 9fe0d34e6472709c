/* SPDX-License-Identifier: MIT */
/* Generated from the files in idl/ by codegen/generate.py — do not edit. Platform: freebsd.
 * Change the IDL (or the template) and run `make generate`. */
/* The umbrella header: #include <cmio/cmio.h> and link with -lcmio. */
#ifndef CMIO_CMIO_H
#define CMIO_CMIO_H

#include <cmio/platform.h>
#include <cmio/common.h>
#include <cmio/version.h>
#include <cmio/error.h>
#include <cmio/addr.h>
#include <cmio/poll.h>
#include <cmio/io_source.h>
#include <cmio/unix.h>
#include <cmio/datagram.h>
#include <cmio/tcp_listener.h>
#include <cmio/tcp_stream.h>
#include <cmio/udp_socket.h>
#include <cmio/unix_datagram.h>
#include <cmio/unix_listener.h>
#include <cmio/unix_stream.h>

#endif /* CMIO_CMIO_H */
