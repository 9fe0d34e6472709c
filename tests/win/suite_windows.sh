#!/bin/sh
# SPDX-License-Identifier: MIT
# suite_windows.sh ROW RESULTS BUILD: the Windows library as a user adopts it, under Wine (run by
# tests/win/run.sh with the Wine prefix and the wineserver it keeps up; CMIO_ROOT is the source
# tree, BUILD build/windows).
#   install          make windows-install into a temporary DESTDIR: every public header (no Unix
#                    socket type), libcmio.a, libcmio.dll.a, cmio.dll
#   outside_static   tests/win/outside.c — a program written for Linux from the README — built
#                    unchanged with `x86_64-w64-mingw32-gcc outside.c -lcmio -lws2_32` against the
#                    installed headers and the static library alone, then run
#   outside_dll      the same against the whole installation: -lcmio takes cmio.dll's import
#                    library; the DLL next to the program
#   example_echo     examples/tcp_server.exe (through cmio.dll) serves three tcp_client.exe at
#                    once (1, 100 and 20000 messages, each echo verified), then stops by itself
#                    (--max-conns 3) with status 0
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../harness.sh"
t_begin "$1" suite_windows "$2"
build=$(cd "$3" && pwd)
root=$CMIO_ROOT
cc=${WIN_CC:-x86_64-w64-mingw32-gcc}
stage=$T_TMP/stage
prefix=/mingw

make_cmio() { make --no-print-directory -f "$root/Makefile" "$@"; }

case_install() {
    (cd "$build/../.." && make_cmio windows-install DESTDIR="$stage" WIN_PREFIX=$prefix) || return 1
    for f in include/cmio/cmio.h include/cmio/common.h include/cmio/poll.h include/cmio/addr.h \
        include/cmio/platform.h include/cmio/tcp_stream.h include/cmio/tcp_listener.h \
        include/cmio/udp_socket.h lib/libcmio.a lib/libcmio.dll.a bin/cmio.dll; do
        [ -f "$stage$prefix/$f" ] || { echo "missing: $prefix/$f"; return 1; }
    done
    for t in unix_stream unix_listener unix_datagram; do
        [ ! -e "$stage$prefix/include/cmio/$t.h" ] || { echo "$t.h installed for Windows"; return 1; }
    done
}

case_outside_static() {
    d=$T_TMP/static
    mkdir -p "$d/lib" && cp -r "$stage$prefix/include" "$d/" && cp "$stage$prefix/lib/libcmio.a" "$d/lib/" || return 1
    cp "$here/outside.c" "$d/prog.c" || return 1
    (cd "$d" && "$cc" prog.c -Iinclude -Llib -lcmio -lws2_32 -o prog.exe) || return 1
    out=$(wine "$d/prog.exe") || { echo "$out"; return 1; }
    t_contains "$out" "outside: OK"
}

case_outside_dll() {
    d=$T_TMP/dll
    mkdir -p "$d" && cp "$here/outside.c" "$d/prog.c" || return 1
    (cd "$d" && "$cc" prog.c -I"$stage$prefix/include" -L"$stage$prefix/lib" -lcmio -lws2_32 \
        -o prog.exe) || return 1
    x86_64-w64-mingw32-objdump -p "$d/prog.exe" | grep -q 'DLL Name: cmio.dll' ||
        { echo "prog.exe does not use cmio.dll"; return 1; }
    cp "$stage$prefix/bin/cmio.dll" "$d/" || return 1
    out=$(wine "$d/prog.exe") || { echo "$out"; return 1; }
    t_contains "$out" "outside: OK"
}

case_example_echo() {
    bin=$build/examples
    log=$T_TMP/server.out
    wine "$bin/tcp_server.exe" 0 --max-conns 3 >"$log" 2>"$T_TMP/server.err" &
    pid=$!
    i=0
    addr=""
    while [ "$i" -lt 100 ] && [ -z "$addr" ]; do
        addr=$(sed -n 's/^listening on \([^ \r]*\).*/\1/p' "$log" 2>/dev/null | head -n 1)
        [ -n "$addr" ] || { sleep 0.1; i=$((i + 1)); }
    done
    [ -n "$addr" ] || { echo "no 'listening on' line within 10 s:"; cat "$log" "$T_TMP/server.err"; kill "$pid"; return 1; }
    rc=0
    for n in 1 100 20000; do
        wine "$bin/tcp_client.exe" "$addr" "$n" >"$T_TMP/client-$n.out" 2>&1 &
        eval "c$n=\$!"
    done
    # shellcheck disable=SC2154
    for p in "$c1" "$c100" "$c20000"; do wait "$p" || rc=1; done
    cat "$T_TMP"/client-*.out
    [ "$(grep -c ': OK:' "$T_TMP"/client-*.out | awk -F: '{s += $NF} END {print s}')" -eq 3 ] || rc=1
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        echo "tcp_server did not stop after 3 connections:"; cat "$T_TMP/server.err"; kill "$pid"; return 1
    fi
    wait "$pid" || { echo "tcp_server exited with $?:"; cat "$T_TMP/server.err"; return 1; }
    return $rc
}

t_case install case_install
t_case outside_static case_outside_static
t_case outside_dll case_outside_dll
t_case example_echo case_example_echo
t_end
