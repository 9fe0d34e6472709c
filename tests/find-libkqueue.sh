#!/bin/sh
# SPDX-License-Identifier: MIT
# find-libkqueue.sh: prints the install prefix of a libkqueue (include/kqueue/sys/event.h and
# lib/libkqueue.so under it) for the Makefile's kqueue row, or nothing. Looks only at what is
# installed here: pkg-config's libkqueue, then /usr/local and /usr. Downloads nothing.
for p in "$(pkg-config --variable=prefix libkqueue 2>/dev/null)" /usr/local /usr; do
    [ -n "$p" ] && [ -f "$p/include/kqueue/sys/event.h" ] || continue
    for l in "$p"/lib/libkqueue.so "$p"/lib/*/libkqueue.so "$p"/lib64/libkqueue.so; do
        if [ -f "$l" ]; then
            echo "$p"
            exit 0
        fi
    done
done
exit 0
