#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh [BINDIR] — the echo server and three clients, on an ephemeral port (`make demo`);
# then the Unix-socket echo and the waker example.
#
# Starts tcp_server on port 0 in the background, waits (at most 5 s) for its
# "listening on ADDR" line, runs three clients against ADDR at the same time (1, 100 and
# 20000 messages), stops the server with SIGTERM and waits (at most 5 s) for it to exit.
# Exits 0 only if every client verified its echo and the server exited with status 0, unix_echo
# verified its clients and waker stopped cleanly on SIGTERM. Needs only a POSIX sh and the example
# binaries (udp_server and tcp_listenfd_server need a peer: `make test` runs them,
# tests/suite_examples.sh).
set -u

bindir=${1:-build/linux-gcc/examples}
server_bin=$bindir/tcp_server
client_bin=$bindir/tcp_client
for b in "$server_bin" "$client_bin"; do
    if [ ! -x "$b" ]; then
        echo "demo: $b is missing: run 'make examples' first" >&2
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cmio-demo.XXXXXX") || exit 1
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Sleeps a tenth of a second where sleep(1) accepts fractions, else a whole second.
nap() {
    sleep 0.1 2>/dev/null || sleep 1
}

# Waits (at most 5 s) until process $1 has exited; returns 1 if it is still running.
wait_gone() {
    i=0
    while kill -0 "$1" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -gt 50 ] && return 1
        nap
    done
    return 0
}

# ---- 1. the server, on a port the kernel picks ----
"$server_bin" 0 >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!

addr=
i=0
while [ "$i" -lt 50 ]; do
    addr=$(sed -n 's/^listening on //p' "$tmp/server.out")
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    i=$((i + 1))
    nap
done
if [ -z "$addr" ]; then
    echo "demo: FAILED: the server did not report 'listening on ...' within 5 s" >&2
    cat "$tmp/server.out" "$tmp/server.err" >&2
    exit 1
fi
echo "demo: server (pid $server_pid) is listening on $addr"

# ---- 2. three clients at once ----
ok=0
n=0
pids=
for count in 1 100 20000; do
    n=$((n + 1))
    "$client_bin" "$addr" "$count" >"$tmp/client.$n" 2>&1 &
    pids="$pids $!"
done
n=0
for pid in $pids; do
    n=$((n + 1))
    if wait "$pid"; then
        ok=$((ok + 1))
    fi
    sed 's/^/demo: client '"$n"': /' "$tmp/client.$n"
done

# ---- 3. stop the server: SIGTERM, then it must exit cleanly ----
kill -TERM "$server_pid"
if wait_gone "$server_pid"; then
    wait "$server_pid"
    server_status=$?
else
    echo "demo: the server ignored SIGTERM for 5 s; killing it" >&2
    kill -KILL "$server_pid"
    wait "$server_pid"
    server_status=killed
fi
server_pid=
echo "demo: server log:"
sed 's/^/demo:   /' "$tmp/server.err"

if [ "$ok" -ne 3 ] || [ "$server_status" != 0 ]; then
    echo "demo: FAILED: $ok of 3 clients succeeded; server exit status: $server_status" >&2
    exit 1
fi
echo "demo: OK: 3 of 3 clients verified their echo; the server exited with status 0"

# ---- 4. the Unix-socket echo (self-checking) and the waker (a thread, then SIGTERM) ----
if [ -x "$bindir/unix_echo" ]; then
    if "$bindir/unix_echo" "$tmp/echo.sock" >"$tmp/unix.out" 2>&1; then
        grep -v 'accepted a client' "$tmp/unix.out" | sed 's/^/demo: /'
    else
        cat "$tmp/unix.out" >&2
        echo "demo: FAILED: unix_echo" >&2
        exit 1
    fi
fi
if [ -x "$bindir/waker" ]; then
    "$bindir/waker" --jobs 10000 >"$tmp/waker.out" 2>&1 &
    server_pid=$!
    i=0
    until grep -q "processed" "$tmp/waker.out" 2>/dev/null; do
        i=$((i + 1))
        if [ "$i" -gt 50 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "demo: FAILED: waker did not process its jobs within 5 s" >&2
            cat "$tmp/waker.out" >&2
            exit 1
        fi
        nap
    done
    kill -TERM "$server_pid"
    if wait_gone "$server_pid" && wait "$server_pid"; then
        server_pid=
        sed 's/^/demo: /' "$tmp/waker.out"
    else
        echo "demo: FAILED: waker did not stop cleanly on SIGTERM" >&2
        cat "$tmp/waker.out" >&2
        exit 1
    fi
fi
echo "demo: OK: every example ran"
exit 0
