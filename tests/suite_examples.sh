#!/bin/sh
# SPDX-License-Identifier: MIT
# suite_examples.sh ROW RESULTS: every example of examples/ runs and does what it says.
#   tcp_server + tcp_client   examples/demo.sh (what `make demo` runs)
#   unix_echo                 self-checking; also on the poll(2) backend
#   waker                     jobs from a thread, then a clean stop on SIGTERM and on SIGINT
#                             (the handler's wake), also with the pipe waker on poll(2)
#   udp_server                datagrams of 1 to 65507 bytes echoed; SIGTERM stops it
#   tcp_listenfd_server       the listener inherited as fd 3 (LISTEN_FDS, LISTEN_PID) or --fd N;
#                             refuses LISTEN_PID of another process
#   docs/tutorial.md          its c blocks make a program that builds and behaves as described
# The UDP and inherited-listener peers are tests/example_peer.py (CMIO_PYTHON).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"
t_begin "$1" suite_examples "$2"

bin=$CMIO_BUILD/examples
py=${CMIO_PYTHON:-python3}
peer="$here/example_peer.py"

nap() { sleep 0.1 2>/dev/null || sleep 1; }

# Waits (at most 5 s) until file $1 has a line matching $2; prints the line.
wait_line() {
    i=0
    while [ "$i" -lt 50 ]; do
        line=$(grep -m 1 -e "$2" "$1" 2>/dev/null) && [ -n "$line" ] && { echo "$line"; return 0; }
        i=$((i + 1))
        nap
    done
    echo "no line matching '$2' in $1 within 5 s:"
    cat "$1"
    return 1
}

# Waits (at most 5 s) for background process $1 to exit; its status in $status.
wait_exit() {
    i=0
    while kill -0 "$1" 2>/dev/null; do
        i=$((i + 1))
        if [ "$i" -gt 50 ]; then
            kill -KILL "$1" 2>/dev/null
            wait "$1" 2>/dev/null
            status=killed
            echo "pid $1 did not exit within 5 s (killed)"
            return 1
        fi
        nap
    done
    wait "$1"
    status=$?
}

case_demo() {
    sh "$here/../examples/demo.sh" "$bin"
}

case_unix_echo() {
    "$bin/unix_echo" --clients 8 --messages 2000 "$T_TMP/echo.sock" &&
        [ ! -e "$T_TMP/echo.sock" ] # removed at exit
}

case_unix_echo_poll() {
    CMIO_BACKEND=poll CMIO_WAKER=pipe "$bin/unix_echo" --clients 8 --messages 2000
}

# waker: the jobs arrive, then signal $1 stops it cleanly.
waker_stops_on() {
    out=$(mktemp "$T_TMP/waker.XXXXXX") # a fresh file: never an earlier run's lines
    "$bin/waker" --jobs 20000 >"$out" 2>&1 &
    pid=$!
    wait_line "$out" "processed 20000 jobs" || { kill -KILL $pid; return 1; }
    kill "-$1" $pid
    wait_exit $pid || return 1
    cat "$out"
    [ "$status" -eq 0 ] || { echo "exit status $status"; return 1; }
    grep -q "stopping cleanly on SIG$1" "$out"
}

case_waker_term() { waker_stops_on TERM; }
case_waker_int() { waker_stops_on INT; }
case_waker_pipe_poll() { CMIO_BACKEND=poll CMIO_WAKER=pipe waker_stops_on TERM; }

case_udp_server() {
    out=$(mktemp "$T_TMP/udp.XXXXXX")
    "$bin/udp_server" 0 >"$out" 2>"$T_TMP/udp.err" &
    pid=$!
    line=$(wait_line "$out" "^listening on ") || { echo "$line"; kill -KILL $pid; return 1; }
    addr=${line#listening on }
    "$py" "$peer" udp "$addr" 300 || { kill -KILL $pid; cat "$T_TMP/udp.err"; return 1; }
    kill -TERM $pid
    wait_exit $pid || return 1
    cat "$T_TMP/udp.err"
    [ "$status" -eq 0 ] && grep -q "echoed 300 datagrams" "$T_TMP/udp.err"
}

listenfd() {
    "$py" "$peer" listenfd "$@" "$bin/tcp_listenfd_server" --max-conns 1
}

case_listenfd_env() {
    out=$(listenfd) || return 1
    echo "$out"
    for want in "Using preopened socket FD 3" "Accepted connection from: 127.0.0.1:" \
        "Received data: ping from the test" "Connection closed" "server exit status 0"; do
        t_contains "$out" "$want" || return 1
    done
}

case_listenfd_fd_arg() {
    out=$(listenfd --fd 5) || return 1
    echo "$out"
    t_contains "$out" "Using preopened socket FD 5" && t_contains "$out" "Connection closed" &&
        t_contains "$out" "server exit status 0"
}

case_listenfd_wrong_pid() {
    out=$(listenfd --wrong-pid) || return 1
    echo "$out"
    t_contains "$out" "is not this process" && t_contains "$out" "server exit status 2"
}

# docs/tutorial.md: its c blocks, in order, are a whole program; it builds and behaves as the
# page says (greets, prints what it receives and the close). It has no clean stop: SIGTERM.
case_tutorial() {
    awk '/^```c$/ { f = 1; next } /^```$/ { f = 0 } f' "$here/../docs/tutorial.md" >"$T_TMP/tutorial.c"
    # shellcheck disable=SC2046
    ${CMIO_CC:-cc} -std=c11 -Wall -Wextra -Werror $([ -n "${CMIO_SANITIZE:-}" ] && echo -fsanitize=address,undefined) -I"$here/../runtime/include" \
        -I"$here/../generated/$CMIO_PLATFORM/include" "$T_TMP/tutorial.c" \
        "$CMIO_BUILD/libcmio.a" -pthread -o "$T_TMP/tutorial" || return 1
    out=$(mktemp "$T_TMP/tutorial.XXXXXX")
    "$T_TMP/tutorial" 0 >"$out" 2>&1 &
    pid=$!
    line=$(wait_line "$out" "^listening on ") || { echo "$line"; kill -KILL $pid; return 1; }
    "$py" "$peer" greet "${line#listening on }" || { kill -KILL $pid; cat "$out"; return 1; }
    i=0
    until grep -q "Connection closed" "$out"; do
        i=$((i + 1))
        [ "$i" -gt 50 ] && break
        nap
    done
    kill -TERM $pid
    wait $pid
    cat "$out"
    for want in "Accepted connection from: 127.0.0.1:" "Received data: ping from the test" \
        "Connection closed"; do
        t_contains "$(cat "$out")" "$want" || return 1
    done
}

case_listenfd_unset() {
    out=$(env -u LISTEN_FDS "$bin/tcp_listenfd_server" 2>&1)
    rc=$?
    echo "$out"
    [ "$rc" -eq 2 ] && t_contains "$out" "LISTEN_FDS environment variable unset"
}

for b in tcp_server tcp_client unix_echo waker udp_server tcp_listenfd_server; do
    [ -x "$bin/$b" ] || { t_case "example $b is built" false; t_end; }
done
t_case "tcp_server + tcp_client (examples/demo.sh)" case_demo
t_case "unix_echo: 8 clients, 2000 lines each" case_unix_echo
t_case "unix_echo on poll(2) with the pipe waker" case_unix_echo_poll
t_case "waker: 20000 jobs from a thread, then SIGTERM stops it cleanly" case_waker_term
t_case "waker: SIGINT stops it cleanly" case_waker_int
t_case "waker on poll(2) with the pipe waker" case_waker_pipe_poll
if "$py" -c 'import socket' >/dev/null 2>&1; then
    t_case "udp_server echoes datagrams of 1..65507 bytes, stops on SIGTERM" case_udp_server
    t_case "tcp_listenfd_server on LISTEN_FDS=1 (fd 3, LISTEN_PID)" case_listenfd_env
    t_case "tcp_listenfd_server --fd 5" case_listenfd_fd_arg
    t_case "tcp_listenfd_server refuses another process's LISTEN_PID" case_listenfd_wrong_pid
    t_case "docs/tutorial.md's program builds and greets, prints, closes" case_tutorial
else
    t_skip "udp_server, tcp_listenfd_server" "no Python 3 for their peer (tests/example_peer.py)"
fi
t_case "tcp_listenfd_server without LISTEN_FDS says so" case_listenfd_unset
t_end
