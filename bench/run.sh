#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh — cmio's benchmark suite (`make bench`; bench/README.md describes it).
#
#   make bench                  full run (~11 min): 4 interleaved rounds, 10 000/20 000 round trips
#   BENCH_QUICK=1 make bench    short run (< 2 min): 1 round, 5 000/10 000 round trips
#
# Installs what it needs with apt-get when run as root (libuv1-dev libevent-dev libev-dev
# librust-mio-dev cargo gnuplot-nox strace valgrind linux-perf; it says which are missing), builds
# the peer servers -O2 (and cmio once more with CMIO_BACKENDS=epoll), runs every server × scenario
# with the server pinned to CPU 0 and the load generator to CPU 1 — round trips and connection
# churn —, measures the deterministic costs per round trip and per connection (callgrind, system
# calls by name, alloc_count), what each of cmio's guarantees costs (full run), the micro
# benchmarks, and writes bench/RESULTS.md and bench/results.png. A peer server that is missing or
# does not build is reported as MISSING in every table; a run that fails is FAIL.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BIN=${BENCH_BIN:-build/linux-gcc/bench}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac # make bench passes an absolute path
CC=${BENCH_CC:-gcc}
case ${BENCH_QUICK:-0} in 0 | "") QUICK=0 ;; *) QUICK=1 ;; esac
RESULTS=bench/RESULTS.md
PNG=bench/results.png
SOCK=/tmp/cmio-bench-$$.sock
WORK=$(mktemp -d /tmp/cmio-bench.XXXXXX)
T_START=$(date +%s)

if [ "$QUICK" = 1 ]; then
    ROUNDS=1 CHURN_ROUNDS=1 PAIR_ROUNDS=3 SYS_FREE_REPS=1 PAIR_SLICE_MS=50 WARMUP=0.1 DURATION=0.2 N1=5000 N2=10000 C1=200 C2=400
    MICRO_ARGS=--quick GUARANTEE_RUN=0 DET_MODES=lockstep
else
    ROUNDS=4 CHURN_ROUNDS=3 PAIR_ROUNDS=101 SYS_FREE_REPS=5 PAIR_SLICE_MS=100 WARMUP=0.1 DURATION=0.5 N1=10000 N2=20000 C1=1000 C2=2000
    MICRO_ARGS='' GUARANTEE_RUN=1 DET_MODES="lockstep free"
fi
DET_CONNS=100  # connections of the deterministic runs per round trip (64-byte messages)
DET_CONNS2=200 # the second run of allocations per accepted connection

SPID= # the server being run
cleanup() {
    if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then kill -KILL "$SPID" 2>/dev/null; fi
    local p
    for p in ${RPID[@]+"${RPID[@]}"}; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$WORK" "$SOCK"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted"; exit 130' INT TERM

say() { printf '[%4ds] %s\n' "$(($(date +%s) - T_START))" "$*"; }
loud() { printf '\n!!!! %s\n\n' "$*" | tee -a "$WORK/problems.txt"; }

# ---- 1. dependencies ----------------------------------------------------------------------------
PKGS="libuv1-dev libevent-dev libev-dev librust-mio-dev cargo gnuplot-nox strace valgrind linux-perf"
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        say "installing with apt-get:$missing"
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >"$WORK/apt.log" 2>&1 ||
            { apt-get update -qq >>"$WORK/apt.log" 2>&1 &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing \
                    >>"$WORK/apt.log" 2>&1; } ||
            loud "apt-get install$missing failed (see below); continuing with what is there"
    else
        loud "missing packages:$missing — run: sudo apt-get install$missing"
    fi
fi
for tool in valgrind taskset; do
    command -v "$tool" >/dev/null 2>&1 || loud "$tool is not installed: its measurements are skipped"
done
# System calls are counted with perf's syscall tracepoints (no ptrace: the server runs at full
# speed, so batching and io_uring's no-wait polls are what they are without a tracer); strace -f -c
# where perf cannot open them.
# perf counts the system calls the servers make by name (one tracepoint each: enabling all 360
# takes seconds) and all of them (raw_syscalls:sys_enter); the rest is reported as "other".
SYSTOOL=none
SYSCALL_EVENTS=raw_syscalls:sys_enter
for sc in read write readv writev recvfrom sendto recvmsg sendmsg recvmmsg sendmmsg epoll_wait \
    epoll_pwait epoll_pwait2 epoll_ctl io_uring_enter poll ppoll accept accept4 close shutdown \
    getsockopt setsockopt fcntl ioctl futex mmap munmap brk fstat newfstatat pipe2 eventfd2 socket; do
    for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
        if [ -d "$d/events/syscalls/sys_enter_$sc" ]; then
            SYSCALL_EVENTS="$SYSCALL_EVENTS,syscalls:sys_enter_$sc"
            break
        fi
    done
done
if command -v perf >/dev/null 2>&1 &&
    perf stat -x, -e "$SYSCALL_EVENTS" -- true >/dev/null 2>&1; then
    SYSTOOL=perf
elif command -v strace >/dev/null 2>&1; then
    SYSTOOL=strace
    loud "perf cannot count system calls here (tracepoints): counting with strace, which slows the server"
else
    loud "neither perf nor strace: system calls are not counted"
fi

# fds: 10 000 connections need ~10 000 in each process (server and load generator).
ulimit -Hn 65536 2>/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# ---- 2. builds ----------------------------------------------------------------------------------
say "building the C bench programs (make bench-build was run by make bench)"
[ -x "$BIN/loadgen" ] || make --no-print-directory bench-build >/dev/null ||
    { echo "run.sh: make bench-build failed"; exit 1; }
# cmio again with epoll as its only backend (CMIO_BACKENDS=epoll: no run-time backend test).
EBIN=$(dirname "$BIN")-epoll/bench
make --no-print-directory CC="$CC" CMIO_BACKENDS=epoll B="$(dirname "$EBIN")" bench-build \
    >"$WORK/build-epoll-only.log" 2>&1 ||
    loud "make CMIO_BACKENDS=epoll bench-build failed: $(tail -c 300 "$WORK/build-epoll-only.log")"

declare -A CMD ENVS STATUS
SERVERS="raw-epoll cmio-epoll cmio-uring cmio-poll libuv libevent libev mio"
CMD[raw-epoll]=$BIN/echo_raw_epoll
CMD[raw-epoll+drain]=$BIN/echo_raw_epoll_drain
CMD[cmio-epoll]=$BIN/echo_cmio
CMD[cmio-epoll+drain]=$BIN/echo_cmio_drain
CMD[cmio-epoll-only]=$EBIN/echo_cmio
CMD[cmio-epoll-only+drain]=$EBIN/echo_cmio_drain
CMD[cmio-uring]=$BIN/echo_cmio
ENVS[cmio-uring]="CMIO_BACKEND=uring"
CMD[cmio-uring+drain]=$BIN/echo_cmio_drain
ENVS[cmio-uring+drain]="CMIO_BACKEND=uring"
CMD[cmio-poll]=$BIN/echo_cmio_drain # poll(2) re-arms only after -EAGAIN: read until it
ENVS[cmio-poll]="CMIO_BACKEND=poll CMIO_WAKER=pipe"
CMD[libuv]=$BIN/echo_libuv
CMD[libevent]=$BIN/echo_libevent
CMD[libev]=$BIN/echo_libev
CMD[mio]=$BIN/echo_mio
for s in $SERVERS; do STATUS[$s]=ok; done
STATUS[cmio-epoll-only]=ok
[ -x "${CMD[cmio-epoll-only]}" ] || STATUS[cmio-epoll-only]="MISSING: the CMIO_BACKENDS=epoll build failed"

# The lean loop with one of cmio's guarantees added (echo_raw_epoll.c -DGUARANTEES=bit).
GVARIANTS="raw+send:1 raw+errno:2 raw+fd1:4 raw+events:8 raw+args:16 raw+backend:32 raw+all:63"
if [ "$GUARANTEE_RUN" = 1 ]; then
    for gv in $GVARIANTS; do
        name=${gv%%:*} bits=${gv##*:}
        CMD[$name]=$BIN/echo_raw_g$bits
        STATUS[$name]=ok
        "$CC" -std=c11 -Wall -Wextra -Werror -D_FILE_OFFSET_BITS=64 -O2 -g -pthread \
            -DGUARANTEES="$bits" bench/echo_raw_epoll.c -o "${CMD[$name]}" >"$WORK/build-g.log" 2>&1 ||
            STATUS[$name]="MISSING: -DGUARANTEES=$bits failed to build ($(head -c 200 "$WORK/build-g.log"))"
    done
fi

# The status of a variant (X+drain, raw+…) is its base server's.
base_of() {
    case $1 in
    raw+*) echo raw-epoll ;;
    *+drain) echo "${1%+drain}" ;;
    *) echo "$1" ;;
    esac
}
ok() { [ "${STATUS[$1]:-}" = ok ] && [ "${STATUS[$(base_of "$1")]}" = ok ]; }

build_c_peer() { # name source pkg-config-name fallback-libs
    local name=$1 src=bench/$2 pc=$3 libs=$4 flags
    if [ ! -f "$src" ]; then
        STATUS[$name]="MISSING: $src does not exist"
        return
    fi
    flags=$(pkg-config --cflags --libs "$pc" 2>/dev/null) || flags=$libs
    # shellcheck disable=SC2086
    if ! "$CC" -std=c11 -O2 -g -Wall -Wextra "$src" $flags -o "$BIN/echo_$name" \
        >"$WORK/build-$name.log" 2>&1; then
        STATUS[$name]="MISSING: $src failed to build ($(head -c 300 "$WORK/build-$name.log" | tr '\n' ' '))"
    fi
}
say "building the peer servers (libuv, libevent, libev, mio)"
build_c_peer libuv echo_libuv.c libuv -luv
build_c_peer libevent echo_libevent.c libevent -levent
build_c_peer libev echo_libev.c libev -lev
if [ ! -f bench/mio/Cargo.toml ]; then
    STATUS[mio]="MISSING: bench/mio/Cargo.toml does not exist"
else
    # Debian's cargo and rustc (the ones that go with librust-mio-dev), offline, when present.
    CARGO=cargo RUSTC_BIN=rustc
    [ -x /usr/bin/cargo ] && CARGO=/usr/bin/cargo
    [ -x /usr/bin/rustc ] && RUSTC_BIN=/usr/bin/rustc
    if (cd bench/mio && CARGO_TARGET_DIR="$BIN/mio-target" RUSTC=$RUSTC_BIN \
        "$CARGO" build --release --offline) >"$WORK/build-mio.log" 2>&1 &&
        cp "$BIN/mio-target/release/echo_mio" "$BIN/echo_mio"; then
        :
    else
        STATUS[mio]="MISSING: cargo build failed ($(tail -c 300 "$WORK/build-mio.log" | tr '\n' ' '))"
    fi
fi

# io_uring may be missing or forbidden here (seccomp, /proc/sys/kernel/io_uring_disabled).
env CMIO_BACKEND=uring "$BIN/echo_cmio" --tcp 127.0.0.1:0 >"$WORK/probe.out" 2>"$WORK/probe.err" &
probe=$!
for i in $(seq 100); do
    grep -q '^ready ' "$WORK/probe.out" && break
    kill -0 "$probe" 2>/dev/null || break
    sleep 0.05
done
grep -q '^ready ' "$WORK/probe.out" ||
    STATUS[cmio-uring]="MISSING: io_uring unavailable here: $(tr '\n' ' ' <"$WORK/probe.err" | head -c 300)"
kill -TERM "$probe" 2>/dev/null
wait "$probe" 2>/dev/null

for s in $SERVERS cmio-epoll-only; do
    case ${STATUS[$s]} in MISSING*) loud "server $s: ${STATUS[$s]}" ;; esac
done
PRESENT=
for s in $SERVERS; do [ "${STATUS[$s]}" = ok ] && PRESENT="$PRESENT $s"; done

# ---- server sessions ----------------------------------------------------------------------------
# start_server NAME PROTO TOOL OUTFILE: TOOL is none, callgrind, sys (system calls) or alloc.
# Sets SPID (the process to wait for) and SADDR; returns non-zero when it did not get ready.
start_server() {
    local name=$1 proto=$2 tool=$3 outf=$4 addr i
    case $proto in unix) addr=$SOCK ;; *) addr=127.0.0.1:0 ;; esac
    : >"$WORK/srv.out"
    : >"$WORK/srv.pid"
    local -a pre=()
    case $tool in
    callgrind) pre=(valgrind --tool=callgrind --callgrind-out-file="$outf" --log-file="$WORK/vg.log") ;;
    sys)
        if [ "$SYSTOOL" = perf ]; then
            pre=(perf stat -x "," -e "$SYSCALL_EVENTS" -o "$outf.raw" sh -c 'echo $$ >"$0"; exec "$@"' "$WORK/srv.pid")
        else
            pre=(strace -f -c -U "name,calls" -o "$outf.raw" sh -c 'echo $$ >"$0"; exec "$@"' "$WORK/srv.pid")
        fi
        ;;
    alloc) pre=(env ALLOC_COUNT_FILE="$outf" LD_PRELOAD="$BIN/alloc_count.so") ;;
    esac
    # shellcheck disable=SC2086
    env ${ENVS[$name]:-} taskset -c 0 "${pre[@]}" "${CMD[$name]}" --"$proto" "$addr" \
        >"$WORK/srv.out" 2>"$WORK/srv.err" &
    SPID=$!
    for i in $(seq 300); do
        SADDR=$(sed -n 's/^ready //p' "$WORK/srv.out" | head -n 1)
        [ -n "$SADDR" ] && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$SADDR" ]; then
        loud "server $name ($proto, $tool) did not print 'ready': $(tail -c 400 "$WORK/srv.err")"
        stop_server
        return 1
    fi
    if [ "$tool" = sys ]; then
        for i in $(seq 100); do [ -s "$WORK/srv.pid" ] && break; sleep 0.02; done
    fi
    return 0
}

# stop_server: SIGTERM, then waits up to 20 s (valgrind writes its output), then SIGKILL. A server
# still there after 1 s gets one TCP connection: valgrind 3.19 runs io_uring_enter with signals
# blocked, so a waiting cmio-uring server under callgrind sees SIGTERM only when the wait returns.
stop_server() {
    local target=$SPID i rc
    [ -n "$SPID" ] || return 0
    [ -s "$WORK/srv.pid" ] && target=$(cat "$WORK/srv.pid")
    kill -TERM "$target" 2>/dev/null
    for i in $(seq 400); do
        kill -0 "$SPID" 2>/dev/null || break
        if [ "$i" = 20 ]; then
            case $SADDR in
            /*) ;;
            *:*) (exec 3<>"/dev/tcp/${SADDR%:*}/${SADDR##*:}") 2>/dev/null ;;
            esac
        fi
        sleep 0.05
    done
    if kill -0 "$SPID" 2>/dev/null; then
        loud "server pid $SPID did not exit within 20 s of SIGTERM: killed"
        kill -KILL "$SPID" "$target" 2>/dev/null
    fi
    wait "$SPID" 2>/dev/null
    rc=$?
    SPID=
    return $rc
}

# loadgen PROTO ARGS…: the load generator on CPU 1, bounded; prints its result line.
loadgen() {
    local proto=$1
    shift
    loadgen_raw --connect "$SADDR" --proto "$proto" "$@"
}
# loadgen_raw ARGS…: the same with every argument given (the paired runs' several targets); a
# bound of LG_TIMEOUT seconds (default 300).
loadgen_raw() {
    timeout "${LG_TIMEOUT:-300}" taskset -c 1 "$BIN/loadgen" "$@" 2>"$WORK/lg.err"
}

kv() { # kv KEY LINE → value
    printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# rt_run SERVER SCENARIO PROTO CONNS SIZE KIND ROUND: one measured run (KIND churn: connection
# churn); prints its rt.tsv line (scenario server round rt/s p50 p99 failed time), rt/s FAIL when
# it failed.
rt_run() {
    local s=$1 scname=$2 proto=$3 conns=$4 size=$5 kind=$6 round=$7 line lrc err
    local -a extra=()
    [ "$kind" = churn ] && extra=(--churn)
    if ! start_server "$s" "$proto" none /dev/null >&2; then
        printf '%s\t%s\t%s\tFAIL\t0\t0\t1\n' "$scname" "$s" "$round"
        return
    fi
    line=$(loadgen "$proto" --conns "$conns" --size "$size" "${extra[@]}" --warmup "$WARMUP" \
        --duration "$DURATION")
    lrc=$?
    stop_server >&2
    err=$(kv errors "$line")
    if [ $lrc -ne 0 ] || [ "${err:-1}" != 0 ]; then
        loud "FAIL: $s $scname round $round: ${line:-no output} $(tail -c 300 "$WORK/lg.err")" >&2
        printf '%s\t%s\t%s\tFAIL\t0\t0\t1\n' "$scname" "$s" "$round"
        return
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t0\t%s\n' "$scname" "$s" "$round" "$(kv rt_per_s "$line")" \
        "$(kv p50_us "$line")" "$(kv p99_us "$line")" "$(($(date +%s) - T_START))"
}

# ---- 3. round trips and connections per second, interleaved -------------------------------------
SCENARIOS=${BENCH_SCENARIOS:-"tcp-1x64:tcp:1:64 tcp-100x64:tcp:100:64 tcp-1000x64:tcp:1000:64
tcp-10000x64:tcp:10000:64 tcp-10x16k:tcp:10:16384 unix-1x64:unix:1:64 udp-1x64:udp:1:64"}
CHURN_SCENARIOS=${BENCH_CHURN:-"churn-1:tcp:1:64:churn churn-100:tcp:100:64:churn churn-1000:tcp:1000:64:churn"}
RT=$WORK/rt.tsv
: >"$RT"
set -- $PRESENT
NPRESENT=$#
rounds() { # rounds N "SCENARIOS"
    local n=$1 list=$2 round order sc scname proto conns size kind s
    for round in $(seq "$n"); do
        # Rotate the server order every round.
        order=$(printf '%s\n' $PRESENT | awk -v r="$round" '{a[NR-1]=$0} END {for (i=0;i<NR;i++) print a[(i+r-1)%NR]}')
        for sc in $list; do
            IFS=: read -r scname proto conns size kind <<<"$sc"
            for s in $order; do
                rt_run "$s" "$scname" "$proto" "$conns" "$size" "${kind:-rt}" "$round" >>"$RT"
            done
        done
        say "round $round done"
    done
}
say "round trips/s: $ROUNDS round(s) × $(echo $SCENARIOS | wc -w) scenarios × $NPRESENT servers (warm-up ${WARMUP}s, ${DURATION}s measured)"
rounds "$ROUNDS" "$SCENARIOS"
say "connections/s (churn): $CHURN_ROUNDS round(s) × $(echo $CHURN_SCENARIOS | wc -w) scenarios × $NPRESENT servers"
rounds "$CHURN_ROUNDS" "$CHURN_SCENARIOS"

# ---- 3b. paired runs: raw epoll and each cmio backend but poll(2), interleaved -----------------
# The host's noise comes in bursts, wider than the difference being looked for. So per scenario the
# servers are started once and stay up: raw-epoll twice (raw-epoll and raw-epoll#2), cmio-epoll,
# cmio-uring. One load generator (--rounds) keeps a child with its connections per server and runs
# PAIR_ROUNDS rounds: in each, every server gets a PAIR_SLICE_MS slice in turn (the order rotates;
# at the end of a slice the child stops sending and waits for the replies in flight, which count),
# the others idle. Per round, a cmio server's ratio is its rate ÷ the geometric mean of the two
# raw-epoll instances' rates in the same round; raw-epoll#2 ÷ raw-epoll is the measurement's own
# noise (two copies of one program).
PAIRED=$WORK/paired.tsv # scenario round server ratio
: >"$PAIRED"
PAIR_SERVERS=
for s in raw-epoll cmio-epoll cmio-uring; do [ "${STATUS[$s]}" = ok ] && PAIR_SERVERS="$PAIR_SERVERS $s"; done
[ "${STATUS[raw-epoll]}" = ok ] && PAIR_SERVERS="raw-epoll raw-epoll#2${PAIR_SERVERS#*raw-epoll}"
declare -A RPID=() RADDR=()
stop_residents() {
    local s
    for s in "${!RPID[@]}"; do
        SPID=${RPID[$s]} SADDR=${RADDR[$s]}
        : >"$WORK/srv.pid"
        stop_server >&2
    done
    RPID=() RADDR=()
}
if [ "${STATUS[raw-epoll]}" = ok ] && [ "$(echo $PAIR_SERVERS | wc -w)" -ge 3 ]; then
    say "paired runs: $PAIR_ROUNDS round(s) × $(echo $SCENARIOS $CHURN_SCENARIOS | wc -w) scenarios ($PAIR_SERVERS), ${PAIR_SLICE_MS} ms slices"
    for sc in $SCENARIOS $CHURN_SCENARIOS; do
        IFS=: read -r scname proto conns size kind <<<"$sc"
        extra=()
        [ "${kind:-rt}" = churn ] && extra=(--churn)
        up=1
        targets=()
        for s in $PAIR_SERVERS; do
            if SOCK=$WORK/pair-${s%#*}-${#targets[@]}.sock start_server "${s%#*}" "$proto" none /dev/null >&2; then
                RPID[$s]=$SPID RADDR[$s]=$SADDR
                targets+=(--connect "$SADDR")
                SPID=
            else
                up=0
            fi
        done
        if [ $up = 1 ]; then
            LG_TIMEOUT=1800 loadgen_raw "${targets[@]}" --proto "$proto" --conns "$conns" --size "$size" \
                "${extra[@]}" --rounds "$PAIR_ROUNDS" --slice-ms "$PAIR_SLICE_MS" >"$WORK/pair.out"
            lrc=$?
            last=$(tail -n 1 "$WORK/pair.out")
            if [ $lrc -ne 0 ] || [ "$(kv errors "$last")" != 0 ]; then
                loud "FAIL: paired $scname: ${last:-no output} $(tail -c 300 "$WORK/lg.err")"
            else
                awk -v sc="$scname" -v names="$PAIR_SERVERS" '
                    BEGIN { nn = split(names, name, " ") }
                    /^slice / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                                if (v["ns"] > 0) rate[v["round"], v["target"] + 1] = v["count"] / v["ns"]
                                if (v["round"] + 1 > n) n = v["round"] + 1 }
                    END { for (r = 0; r < n; r++) {
                              a = rate[r, 1]; b = rate[r, 2]
                              if (a <= 0 || b <= 0) continue
                              printf "%s\t%d\t%s\t%.4f\n", sc, r, "raw-epoll#2", b / a
                              for (t = 3; t <= nn; t++) if (rate[r, t] > 0)
                                  printf "%s\t%d\t%s\t%.4f\n", sc, r, name[t], rate[r, t] / sqrt(a * b) } }' \
                    "$WORK/pair.out" >>"$PAIRED"
            fi
        fi
        SADDR=
        stop_residents
    done
fi

# ---- 4. deterministic costs per round trip and per connection -----------------------------------
# Each is the difference of two runs (N1 and N2 round trips, DET_CONNS connections, 64 bytes; or
# C1 and C2 connections of one churning client), divided by their difference: start-up, the accepts
# (per round trip) and exit cancel out.
DET=$WORK/det.tsv # variant mode tool N conns file
: >"$DET"
VARIANTS=
for s in $PRESENT; do
    VARIANTS="$VARIANTS $s"
    case $s in
    cmio-epoll) [ "$QUICK" = 0 ] && ok cmio-epoll-only && VARIANTS="$VARIANTS cmio-epoll-only" ;;
    esac
done
# The +drain variants (reading until -EAGAIN) only in the full run.
if [ "$QUICK" = 0 ]; then
    for v in raw-epoll cmio-epoll cmio-uring; do
        ok "$v" && [ -x "${CMD[$v+drain]}" ] && STATUS[$v+drain]=ok && VARIANTS="$VARIANTS $v+drain"
    done
fi

n1_of() { [ "$1" = churn ] && echo "$C1" || echo "$N1"; }
n2_of() { [ "$1" = churn ] && echo "$C2" || echo "$N2"; }

# det_once VARIANT MODE TOOL N CONNS FILE: one measured server run; its counts in FILE.
det_once() {
    local v=$1 mode=$2 tool=$3 n=$4 conns=$5 f=$6 line lrc
    local -a largs=()
    case $mode in lockstep) largs=(--lockstep) ;; churn) largs=(--churn) ;; esac
    # Under callgrind the server is slow: a pause before each next message (lock-step) or
    # connection (churn) keeps it waiting for its next event, as it is at native speed.
    [ "$tool" = callgrind ] && [ "$mode" != free ] && largs+=(--gap-us 50)
    rm -f "$f" "$f.raw"
    start_server "$v" tcp "$tool" "$f" || return 1
    line=$(loadgen tcp --conns "$conns" --size 64 --roundtrips "$n" "${largs[@]}")
    lrc=$?
    stop_server
    if [ $lrc -ne 0 ] || [ "$(kv errors "$line")" != 0 ]; then
        loud "FAIL: $v $mode $tool N=$n: ${line:-no output} $(tail -c 300 "$WORK/lg.err")"
        return 1
    fi
    if [ "$tool" = sys ]; then # "name calls" lines, whichever counted them
        if [ "$SYSTOOL" = perf ]; then
            awk -F, '$1 !~ /^[0-9]+$/ { next }
                $3 == "raw_syscalls:sys_enter" { total = $1; next }
                $3 ~ /^syscalls:sys_enter_/ { n = $3; sub(/^syscalls:sys_enter_/, "", n); print n, $1; named += $1 }
                END { print "other", total - named }' "$f.raw" >"$f"
        else
            awk 'NF == 2 && $2 ~ /^[0-9]+$/ && $1 != "total" { print $1, $2 }' "$f.raw" >"$f"
        fi
    fi
    [ -s "$f" ] || { loud "FAIL: $v $mode $tool N=$n wrote no $tool output"; return 1; }
}

# det_run VARIANT MODE TOOL N CONNS → records its output file in $DET. Free-running system call
# counts depend on timing (how many events one wait returns: a server that keeps up waits once or
# twice per round trip, one that falls behind once per batch), and one run can land in either
# regime: they are measured SYS_FREE_REPS times, and the run with the median total is kept.
det_run() {
    local v=$1 mode=$2 tool=$3 n=$4 conns=$5 reps=1 r f
    [ "$tool" = sys ] && [ "$mode" = free ] && reps=$SYS_FREE_REPS
    f=$WORK/det-$v-$mode-$tool-$n-$conns.out
    for r in $(seq "$reps"); do
        det_once "$v" "$mode" "$tool" "$n" "$conns" "$f.rep$r" || return
    done
    if [ "$reps" = 1 ]; then
        mv "$f.rep1" "$f"
    else
        r=$(for x in $(seq "$reps"); do
            printf '%s %s\n' "$(awk '{ t += $2 } END { print t + 0 }' "$f.rep$x")" "$x"
        done | sort -n | awk -v m=$(((reps + 1) / 2)) 'NR == m { print $2 }')
        cp "$f.rep$r" "$f"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$mode" "$tool" "$n" "$conns" "$f" >>"$DET"
}

HAVE_VG=0
command -v valgrind >/dev/null 2>&1 && HAVE_VG=1
say "deterministic costs per round trip: callgrind, system calls ($SYSTOOL), alloc_count × {$DET_MODES} × N=$N1,$N2"
[ -n "${BENCH_SKIP_DET:-}" ] && VARIANTS_RUN= || VARIANTS_RUN=$VARIANTS
for v in $VARIANTS_RUN; do
    for mode in $DET_MODES; do
        for n in $N1 $N2; do
            [ "$SYSTOOL" != none ] && det_run "$v" "$mode" sys "$n" $DET_CONNS
            [ $HAVE_VG = 1 ] && det_run "$v" "$mode" callgrind "$n" $DET_CONNS
            [ "$mode" = lockstep ] && det_run "$v" "$mode" alloc "$n" $DET_CONNS
        done
    done
    det_run "$v" lockstep alloc "$N1" $DET_CONNS2
    say "  $v done"
done
say "deterministic costs per connection (churn, 1 client): callgrind, system calls × C=$C1,$C2"
[ -n "${BENCH_SKIP_DET:-}" ] && CHURN_RUN= || CHURN_RUN=$PRESENT
for s in $CHURN_RUN; do
    for n in $C1 $C2; do
        [ "$SYSTOOL" != none ] && det_run "$s" churn sys "$n" 1
        [ $HAVE_VG = 1 ] && det_run "$s" churn callgrind "$n" 1
    done
done
if [ "$GUARANTEE_RUN" = 1 ] && [ $HAVE_VG = 1 ] && [ -z "${BENCH_SKIP_DET:-}" ]; then
    say "guarantee → cost: the lean loop with each of cmio's guarantees added (callgrind)"
    for gv in $GVARIANTS; do
        v=${gv%%:*}
        ok "$v" || continue
        for mode in lockstep free; do
            for n in $N1 $N2; do det_run "$v" "$mode" callgrind "$n" $DET_CONNS; done
        done
    done
fi

# ---- 5. micro benchmarks ------------------------------------------------------------------------
say "micro benchmarks (epoll/eventfd, uring/eventfd, poll/pipe)"
for mb in epoll uring poll; do
    case $mb in
    epoll) menv="CMIO_BACKEND=epoll" ;;
    uring) menv="CMIO_BACKEND=uring"; [ "${STATUS[cmio-uring]}" = ok ] || continue ;;
    poll) menv="CMIO_BACKEND=poll CMIO_WAKER=pipe" ;;
    esac
    # shellcheck disable=SC2086
    env $menv timeout 300 taskset -c 0,1 "$BIN/micro" $MICRO_ARGS >"$WORK/micro-$mb.txt" \
        2>"$WORK/micro-$mb.err" || loud "micro ($mb) failed: $(cat "$WORK/micro-$mb.err")"
done

# ---- 6. tables ----------------------------------------------------------------------------------
say "writing $RESULTS and $PNG"
det_file() { # det_file VARIANT MODE TOOL N [CONNS]
    awk -F'\t' -v v="$1" -v m="$2" -v t="$3" -v n="$4" -v c="${5:-}" \
        '$1==v && $2==m && $3==t && $4==n && (c == "" || $5==c) {print $6}' "$DET" | head -n 1
}
# Instructions per unit (round trip or connection) by category for VARIANT MODE:
# "total server lib std libc other".
cg_per() {
    local f1 f2 bin n1 n2
    n1=$(n1_of "$2") n2=$(n2_of "$2")
    f1=$(det_file "$1" "$2" callgrind "$n1")
    f2=$(det_file "$1" "$2" callgrind "$n2")
    [ -n "$f1" ] && [ -n "$f2" ] || return
    bin=$(cd "$(dirname "${CMD[$1]}")" && pwd)/$(basename "${CMD[$1]}")
    paste -d' ' <(awk -v bin="$bin" -f bench/cg_split.awk "$f1") \
        <(awk -v bin="$bin" -f bench/cg_split.awk "$f2") |
        awk -v d=$((n2 - n1)) '{
            for (i = 1; i <= 6; i++) { split($i, a, "="); split($(i+6), b, "="); v[a[1]] = (b[2]-a[2])/d }
            printf "%.1f %.1f %.1f %.1f %.1f %.1f\n", v["total"], v["server"], v["lib"], v["std"], v["libc"], v["other"] }'
}
# System calls per unit for VARIANT MODE: "total|epoll_ctl|io_uring_enter|breakdown".
st_per() {
    local f1 f2 n1 n2
    n1=$(n1_of "$2") n2=$(n2_of "$2")
    f1=$(det_file "$1" "$2" sys "$n1")
    f2=$(det_file "$1" "$2" sys "$n2")
    [ -n "$f1" ] && [ -n "$f2" ] || return
    awk -v d=$((n2 - n1)) '
        FNR == 1 { file++ }
        NF == 2 && $2 ~ /^[0-9]+$/ { c[$1, file] = $2; names[$1] = 1 }
        END {
            tot = 0; s = ""
            for (n in names) {
                v = (c[n, 2] - c[n, 1]) / d
                if (v > 0.005 || v < -0.005) { per[n] = v; tot += v }
            }
            while (1) { best = ""; for (n in per) if (best == "" || per[n] > per[best]) best = n
                if (best == "") break
                s = s (s == "" ? "" : ", ") sprintf("%s %.2f", best, per[best]); delete per[best] }
            printf "%.2f|%.3f|%.3f|%s\n", tot, (c["epoll_ctl", 2] - c["epoll_ctl", 1]) / d,
                (c["io_uring_enter", 2] - c["io_uring_enter", 1]) / d, s
        }' "$f1" "$f2"
}
al_per() { # allocations: "per_rt bytes_per_rt per_conn"
    local f1 f2 f3 a1 a2 a3 b1 b2
    f1=$(det_file "$1" lockstep alloc "$N1" $DET_CONNS)
    f2=$(det_file "$1" lockstep alloc "$N2" $DET_CONNS)
    f3=$(det_file "$1" lockstep alloc "$N1" $DET_CONNS2)
    [ -n "$f1" ] && [ -n "$f2" ] && [ -n "$f3" ] || return
    a1=$(kv allocs "$(cat "$f1")") a2=$(kv allocs "$(cat "$f2")") a3=$(kv allocs "$(cat "$f3")")
    b1=$(kv bytes "$(cat "$f1")") b2=$(kv bytes "$(cat "$f2")")
    awk -v a1="$a1" -v a2="$a2" -v a3="$a3" -v b1="$b1" -v b2="$b2" -v d=$((N2 - N1)) \
        -v dc=$((DET_CONNS2 - DET_CONNS)) \
        'BEGIN { printf "%.3f %.1f %.2f\n", (a2-a1)/d, (b2-b1)/d, (a3-a1)/dc }'
}
MISSING_ROWS=$(for s in $SERVERS; do [ "${STATUS[$s]}" = ok ] || echo "$s"; done)
# The median of column 4 (rt/s) of rt.tsv for SCENARIO SERVER; empty when none.
rt_median() {
    awk -F'\t' -v sc="$1" -v s="$2" '$1 == sc && $2 == s && $4 != "FAIL" { x[++n] = $4 }
        END { if (!n) exit
              for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
              printf "%.0f", n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }' "$RT"
}
# rate_tables TITLE UNIT "SCENARIOS": the interleaved table and its details.
rate_tables() {
    local unit=$1 list=$2 sc scname s
    printf '| server |'
    for sc in $list; do printf ' %s |' "${sc%%:*}"; done
    printf '\n|---|'
    for sc in $list; do printf -- '---:|'; done
    printf '\n'
    for s in $SERVERS; do
        printf '| %s |' "$s"
        for sc in $list; do
            scname=${sc%%:*}
            if [ "${STATUS[$s]}" != ok ]; then printf ' MISSING |'; continue; fi
            awk -F'\t' -v sc="$scname" -v s="$s" '
                function med(arr, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
                    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
                $1 == sc && $4 != "FAIL" && $3 !~ /^p/ { if ($2 == s) x[++nx] = $4; if ($2 == "raw-epoll") r[++nr] = $4 }
                $1 == sc && $4 == "FAIL" && $2 == s { fail++ }
                END { if (nx == 0) { printf " FAIL |"; exit }
                      m = med(x, nx); printf " %.0f", m
                      if (nr > 0) printf " (%.2f×)", m / med(r, nr)
                      if (fail) printf " %d FAIL", fail
                      printf " |" }' "$RT"
        done
        printf '\n'
    done
    echo
    for sc in $list; do
        scname=${sc%%:*}
        echo "<details><summary>$scname: median, range, latency</summary>"
        echo
        echo "| server | $unit median | range (min–max) | ratio to raw epoll | p50 µs | p99 µs | runs |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for s in $SERVERS; do
            if [ "${STATUS[$s]}" != ok ]; then echo "| $s | MISSING | | | | | |"; continue; fi
            awk -F'\t' -v sc="$scname" -v s="$s" '
                function med(arr, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
                    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
                $3 ~ /^p/ { next }
                $1 == sc && $4 != "FAIL" { if ($2 == s) { x[++nx] = $4; p5[nx] = $5; p9[nx] = $6 } if ($2 == "raw-epoll") r[++nr] = $4 }
                $1 == sc && $2 == s { runs++; if ($4 == "FAIL") fail++ }
                END { if (nx == 0) { printf "| %s | FAIL | | | | | %d |\n", s, runs; exit }
                      lo = x[1]; hi = x[1]; for (i = 1; i <= nx; i++) { if (x[i] < lo) lo = x[i]; if (x[i] > hi) hi = x[i] }
                      m = med(x, nx); a = med(p5, nx); b = med(p9, nx)
                      ratio = nr > 0 ? sprintf("%.3f", m / med(r, nr)) : "n/a"
                      note = fail ? " (" fail " FAIL)" : ""
                      printf "| %s | %.0f | %.0f–%.0f | %s | %.1f | %.1f | %d%s |\n", s, m, lo, hi, ratio, a, b, runs, note }' "$RT"
        done
        echo
        echo "</details>"
        echo
    done
}
# paired_median SCENARIO SERVER → "median lo hi n" of the paired ratios, or nothing
paired_stats() {
    awk -F'\t' -v sc="$1" -v s="$2" '$1 == sc && $3 == s { v[++n] = $4 }
        END { if (!n) exit
              for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
              printf "%.3f %.3f %.3f %d\n", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2, v[1], v[n], n }' "$PAIRED"
}
# paired_worst SERVER "SCENARIOS" → "lowest-median (worst: scenario)"
paired_worst() {
    local s=$1 sc best='' bname='' m
    for sc in $2; do
        m=$(paired_stats "${sc%%:*}" "$s" | cut -d' ' -f1)
        [ -n "$m" ] || continue
        if [ -z "$best" ] || awk -v a="$m" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$m bname=${sc%%:*}; fi
    done
    [ -n "$best" ] && echo "$best (worst: $bname)"
}
instr_table() { # instr_table MODE "VARIANTS"
    local mode=$1 v r raw ratio
    echo "| server | total | ratio to raw | server code | library | Rust std | libc | other |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    raw=$(cg_per raw-epoll "$mode" | cut -d' ' -f1)
    for v in $2; do
        if ! ok "$v"; then echo "| $v | MISSING | | | | | | |"; continue; fi
        r=$(cg_per "$v" "$mode")
        if [ -z "$r" ]; then echo "| $v | FAIL/n.a. | | | | | | |"; continue; fi
        set -- $r
        ratio=$(awk -v a="$1" -v b="${raw:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
        echo "| $v | $1 | $ratio | $2 | $3 | $4 | $5 | $6 |"
    done
}
# code_table VARIANT: cmio's own code per round trip (lock-step), by file:function.
code_table() {
    local f1 f2 f
    f1=$(det_file "$1" lockstep callgrind "$N1")
    f2=$(det_file "$1" lockstep callgrind "$N2")
    if [ -z "$f1" ] || [ -z "$f2" ]; then echo "n/a (callgrind runs missing)"; return; fi
    echo "| function (file) | Ir per round trip |"
    echo "|---|---:|"
    for f in "$f1" "$f2"; do
        callgrind_annotate --auto=no --threshold=100 "$f" 2>/dev/null |
            sed -n 's/^ *\([0-9,]*\) ([ 0-9.]*%) *\([^ ]*\).*/\1 \2/p' | tr -d ',' |
            grep -E ' ([^ ]*/)?(runtime|generated)/'
        echo "=="
    done | awk -v d=$((N2 - N1)) '
        BEGIN { k = 0 }
        $0 == "==" { k++; next }
        { c[$2, k] = $1; names[$2] = 1 }
        END { for (n in names) { v = (c[n, 1] - c[n, 0]) / d; if (v >= 0.5) printf "%.1f\t%s\n", v, n } }' |
        sort -rn | head -n 20 | awk -F'\t' '{ printf "| `%s` | %s |\n", $2, $1 }'
}
SYSTOOL_TEXT="perf stat, syscall tracepoints (every entry, failed calls such as EAGAIN included; no tracer slows the server; *other*: every call not named in the list)"
[ "$SYSTOOL" = strace ] && SYSTOOL_TEXT="strace -f -c (failed calls such as EAGAIN included; strace slows the server, which changes batching)"

{
    echo "# cmio benchmark results"
    echo
    echo "Written by \`make bench\` ($([ "$QUICK" = 1 ] && echo "BENCH_QUICK=1: short run" || echo "full run")) — overwritten on every run; the method is in [README.md](README.md)."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs; $(uname -srmo)"
    echo "- gcc: $("$CC" --version | head -n 1)"
    echo "- libuv: $(pkg-config --modversion libuv 2>/dev/null || echo n/a); libevent: $(pkg-config --modversion libevent 2>/dev/null || echo n/a); libev: $(dpkg-query -W -f='${Version}' libev-dev 2>/dev/null || echo n/a)"
    echo "- mio crate: $(dpkg-query -W -f='${Version}' librust-mio-dev 2>/dev/null || echo n/a) (librust-mio-dev); rustc: $(${RUSTC_BIN:-rustc} --version 2>/dev/null || echo n/a)"
    echo "- cmio: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- runtime generated bench ':!bench/*.md' ':!bench/*.png' 2>/dev/null || echo ' (runtime/, generated/ or bench/ modified)'), $BIN/libcmio.a -O2; cmio-epoll-only: the same built with CMIO_BACKENDS=epoll"
    echo "- pinning: server \`taskset -c 0\`, load generator \`taskset -c 1\`; $ROUNDS round(s) (churn: $CHURN_ROUNDS), server order rotated each round; warm-up ${WARMUP} s, ${DURATION} s measured per run"
    echo "- system calls counted with: $SYSTOOL"
    echo
    if [ -s "$WORK/problems.txt" ]; then
        echo "## Problems in this run"
        echo
        sed -n 's/^!!!! /- /p' "$WORK/problems.txt"
        echo
    fi

    echo "## Round trips per second"
    echo
    echo "Median over the rounds; ratio = median ÷ raw epoll's median (1 conn × 64 B mostly measures"
    echo "the cost of waking a CPU in this VM; UDP is one socket). The details give each server's range:"
    echo "a ratio closer to 1 than raw epoll's own run-to-run spread is noise, not a difference."
    echo
    rate_tables "rt/s" "$SCENARIOS"

    echo "## Connections per second (churn)"
    echo
    echo "Each of N clients connects, sends 64 B, reads the echo, closes (with a reset: no TIME_WAIT)"
    echo "and connects again; median over the rounds; p50/p99 are from connect() to the echo's last byte."
    echo
    rate_tables "conn/s" "$CHURN_SCENARIOS"

    echo "## Round trips per second — cmio ÷ raw epoll, paired runs"
    echo
    echo "Interleaved: per scenario raw-epoll (twice: raw-epoll and raw-epoll#2), cmio-epoll and cmio-uring"
    echo "are started once and stay up; one load generator keeps its connections to all of them and runs"
    echo "$PAIR_ROUNDS rounds, each giving every server a ${PAIR_SLICE_MS} ms slice in turn (the order rotates; a slice"
    echo "ends by waiting for the replies in flight, and they count). The others idle meanwhile, and"
    echo "neighbouring slices see nearly the same host. Per round, a cmio server's ratio is its rt/s"
    echo "(connections/s for churn) ÷ the geometric mean of the two raw-epoll instances' in the same round;"
    echo "*raw-epoll#2* is raw-epoll#2 ÷ raw-epoll, the same program twice: the measurement's own noise."
    echo "Median over the rounds, and the range of the single rounds."
    echo
    if [ -s "$PAIRED" ]; then
        printf '| scenario |'
        for s in $PAIR_SERVERS; do [ "$s" = raw-epoll ] || printf ' %s | range |' "$s"; done
        printf ' rounds |\n|---|'
        for s in $PAIR_SERVERS; do [ "$s" = raw-epoll ] || printf -- '---:|---:|'; done
        printf -- '---:|\n'
        for sc in $SCENARIOS $CHURN_SCENARIOS; do
            scname=${sc%%:*}
            printf '| %s |' "$scname"
            ng=0
            for s in $PAIR_SERVERS; do
                [ "$s" = raw-epoll ] && continue
                st=$(paired_stats "$scname" "$s")
                if [ -z "$st" ]; then printf ' n/a | |'; continue; fi
                set -- $st
                printf ' %s | %s–%s |' "$1" "$2" "$3"
                ng=$4
            done
            printf ' %s |\n' "$ng"
        done
    else
        echo "n/a (raw-epoll or the cmio servers missing)"
    fi
    echo

    ALLV="$VARIANTS $MISSING_ROWS"
    echo "## Instructions per round trip — lock-step (one message in flight, $DET_CONNS connections, 64 B)"
    echo
    echo "callgrind, whole server process, (Ir(N=$N2) − Ir(N=$N1)) ÷ $((N2 - N1)). *library* is cmio's"
    echo "runtime/ and generated/ code for cmio, the .so for libuv/libevent/libev, the mio crate for mio."
    echo "cmio-epoll-only is cmio built with CMIO_BACKENDS=epoll. The load generator waits 50 µs before each"
    echo "next message, so that the server, slow under callgrind, waits for it as it does at native speed"
    echo "(a cmio-uring poll that finds its completion already in the ring costs fewer instructions)."
    echo
    instr_table lockstep "$ALLV"
    echo
    echo "## Instructions per round trip — free-running ($DET_CONNS connections × 1 in flight, 64 B)"
    echo
    if [ "$DET_MODES" = lockstep ]; then
        echo "Measured in the full run only (BENCH_QUICK=1 measures lock-step alone)."
    else
        echo "As above, with every connection's message in flight at once: the server is the bottleneck"
        echo "under callgrind and each wait returns many events (cost per round trip at saturation)."
        echo
        instr_table free "$ALLV"
    fi
    echo

    echo "## Guarantee → cost (instructions per round trip)"
    echo
    if [ "$GUARANTEE_RUN" = 1 ] && [ -n "$(cg_per raw+all lockstep)" ]; then
        echo "What each of cmio's documented guarantees costs, measured by adding it alone to the lean loop"
        echo "(echo_raw_epoll.c built with -DGUARANTEES=bit) and taking the difference to the lean loop;"
        echo "callgrind, lock-step and free-running as above. cmio-epoll pays them all together."
        echo
        echo "| guarantee (knob) | what the user gets | lock-step | free-running |"
        echo "|---|---|---:|---:|"
        rl=$(cg_per raw-epoll lockstep | cut -d' ' -f1)
        rf=$(cg_per raw-epoll free | cut -d' ' -f1)
        for gv in $GVARIANTS; do
            v=${gv%%:*}
            case $v in
            raw+send) what="no SIGPIPE, ever, with no process-wide signal disposition: every write is send(…, MSG_NOSIGNAL) (one more argument; libc's send is longer than write)" ;;
            raw+errno) what="results are bytes or -errno (no errno to read; -EAGAIN as a value): a failed call is tested once more after the conversion" ;;
            raw+fd1) what="an all-zero socket struct is empty (-EBADF, close touches no fd): the fd is stored + 1, one subtraction per system call" ;;
            raw+events) what="cmio_events_len / cmio_events_get: the count is stored, an index past it gives NULL, a NULL event gives token 0" ;;
            raw+args) what="cmio_poll_poll(NULL, …) and (…, NULL, …) return -EINVAL instead of crashing" ;;
            raw+backend) what="the backend is chosen at run time (CMIO_BACKEND): the inline poll tests that epoll runs it — gone with CMIO_BACKENDS=epoll" ;;
            raw+all) what="all six together" ;;
            esac
            l=$(cg_per "$v" lockstep | cut -d' ' -f1)
            f=$(cg_per "$v" free | cut -d' ' -f1)
            dl=$(awk -v a="$l" -v b="$rl" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.1f", a - b }')
            df=$(awk -v a="$f" -v b="$rf" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.1f", a - b }')
            echo "| $v | $what | $dl | $df |"
        done
        for v in cmio-epoll cmio-epoll-only; do
            l=$(cg_per "$v" lockstep | cut -d' ' -f1)
            f=$(cg_per "$v" free | cut -d' ' -f1)
            dl=$(awk -v a="$l" -v b="$rl" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.1f", a - b }')
            df=$(awk -v a="$f" -v b="$rf" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.1f", a - b }')
            echo "| **$v − raw-epoll** | what cmio costs with all of them | $dl | $df |"
        done
    else
        echo "Measured in the full run only (BENCH_QUICK=1 skips it)."
    fi
    echo

    for v in cmio-epoll cmio-uring; do
        echo "## $v: cmio's code per round trip (lock-step, callgrind self cost)"
        echo
        echo "\`file:function\`; the headers' inline fast paths (\`runtime/include/…\`, \`generated/*/include/…\`)"
        echo "are named by the function of the server they were inlined into."
        echo
        code_table "$v"
        echo
    done

    for mode in $DET_MODES; do
        echo "## System calls per round trip — $([ $mode = lockstep ] && echo lock-step || echo free-running)"
        echo
        echo "$SYSTOOL_TEXT; (calls(N=$N2) − calls(N=$N1)) ÷ $((N2 - N1))."
        echo
        echo "| server | total | epoll_ctl (steady state) | io_uring_enter | by kind |"
        echo "|---|---:|---:|---:|---|"
        for v in $ALLV; do
            if ! ok "$v"; then echo "| $v | MISSING | | | |"; continue; fi
            r=$(st_per "$v" $mode)
            if [ -z "$r" ]; then echo "| $v | FAIL/n.a. | | | |"; continue; fi
            IFS='|' read -r tot ctl ure kinds <<<"$r"
            echo "| $v | $tot | $ctl | $ure | $kinds |"
        done
        echo
    done

    echo "## Per connection (churn: one client, connect, 64 B, echo, close, again)"
    echo
    echo "(x(C=$C2) − x(C=$C1)) ÷ $((C2 - C1)) connections of one client; system calls: $SYSTOOL; instructions:"
    echo "callgrind, whole server process (the accept, the registration, the echo, the close)."
    echo
    echo "| server | system calls | epoll_ctl | io_uring_enter | by kind | instructions | server code | library | Rust std | libc | other |"
    echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"
    for s in $SERVERS; do
        if [ "${STATUS[$s]}" != ok ]; then echo "| $s | MISSING | | | | | | | | | |"; continue; fi
        r=$(st_per "$s" churn)
        c=$(cg_per "$s" churn)
        IFS='|' read -r tot ctl ure kinds <<<"${r:-n/a|||}"
        set -- ${c:-n/a}
        echo "| $s | $tot | $ctl | $ure | $kinds | $1 | ${2:-} | ${3:-} | ${4:-} | ${5:-} | ${6:-} |"
    done
    echo

    echo "## Heap allocations"
    echo
    echo "alloc_count.so (LD_PRELOAD): per round trip = (allocs(N=$N2) − allocs(N=$N1)) ÷ $((N2 - N1)), lock-step;"
    echo "per accepted connection = (allocs($DET_CONNS2 conns) − allocs($DET_CONNS conns)) ÷ $((DET_CONNS2 - DET_CONNS)), same round trips."
    echo
    echo "| server | allocations / round trip | bytes / round trip | allocations / connection |"
    echo "|---|---:|---:|---:|"
    for v in $ALLV; do
        if ! ok "$v"; then echo "| $v | MISSING | | |"; continue; fi
        r=$(al_per "$v")
        if [ -z "$r" ]; then echo "| $v | FAIL/n.a. | | |"; continue; fi
        set -- $r
        echo "| $v | $1 | $2 | $3 |"
    done
    echo

    echo "## Micro benchmarks (bench/micro.c)"
    echo
    echo "| benchmark | epoll + eventfd | uring + eventfd | poll + pipe |"
    echo "|---|---:|---:|---:|"
    for key in "waker_rt ns_per_rt" "waker_rt rt_per_s" "reg_dereg ns_per_pair" "reg_dereg pairs_per_s" \
        "poll_idle idle0_ns" "poll_idle idle10000_ns" "poll_idle ratio" "accept ns_per_accept" \
        "accept accepts_per_s" "close_dereg ns_close" "close_dereg ns_dereg_close" \
        "close_dereg ns_dereg"; do
        set -- $key
        printf '| %s %s |' "$1" "$2"
        for mb in epoll uring poll; do
            x=$(kv "$2" "$(grep "^$1 " "$WORK/micro-$mb.txt" 2>/dev/null)")
            printf ' %s |' "${x:-n/a}"
        done
        printf '\n'
    done
    echo
    echo "poll_idle: median time of one cmio_poll_poll() returning one ready Unix stream, with 0 and"
    echo "with 10 000 idle registered UDP sockets; ratio = 10 000 idle ÷ 0 idle. On io_uring (Linux 6.1+,"
    echo "deferred task work) the event's completion is posted by the poll's io_uring_enter, as epoll_wait"
    echo "collects it (before 6.1 it was in the ring already: no system call). reg_dereg on io_uring: the"
    echo "registration is queued, the deregistration submitted at once."
    echo "close_dereg (epoll): a new UDP socket registered and closed, without and with"
    echo "cmio_registry_deregister_fd before close; ns_dereg is the difference: what cmio's explicit"
    echo "deregister-on-close costs over the removal close(2) makes when it drops the last reference."
    echo

    echo "## cmio against its targets"
    echo
    pct() { awk -v a="$1" -v b="$2" -v lim="$3" 'BEGIN { if (a == "" || b == "") print "n/a|n/a"; else printf "%s vs %s = %.2f×|%s\n", a, b, a / b, (a / b <= lim ? "yes" : "**no**") }'; }
    echo "| target | measured | met? |"
    echo "|---|---|---|"
    rl=$(cg_per raw-epoll lockstep | cut -d' ' -f1) rf=$(cg_per raw-epoll free | cut -d' ' -f1)
    for v in cmio-epoll cmio-epoll-only; do
        IFS='|' read -r m y <<<"$(pct "$(cg_per $v lockstep | cut -d' ' -f1)" "$rl" 1.10)"
        echo "| $v instructions/rt ≤ 1.10× raw epoll (lock-step) | $m | $y |"
        IFS='|' read -r m y <<<"$(pct "$(cg_per $v free | cut -d' ' -f1)" "$rf" 1.05)"
        echo "| $v instructions/rt ≤ 1.05× raw epoll (free-running) | $m | $y |"
    done
    for v in cmio-epoll cmio-uring; do
        for mode in lockstep free; do
            a=$(st_per $v $mode | cut -d'|' -f1) b=$(st_per raw-epoll $mode | cut -d'|' -f1)
            awk -v v="$v" -v m="$mode" -v a="$a" -v b="$b" 'BEGIN { if (a == "" || b == "") printf "| %s system calls/rt ≤ raw epoll (%s) | n/a | n/a |\n", v, m
                else printf "| %s system calls/rt ≤ raw epoll (%s) | %s vs %s | %s |\n", v, m, a, b, (a <= b + 0.02 ? "yes" : "**no**") }'
        done
    done
    a=$(st_per cmio-uring churn | cut -d'|' -f1) b=$(st_per raw-epoll churn | cut -d'|' -f1)
    awk -v a="$a" -v b="$b" 'BEGIN { if (a == "" || b == "") print "| cmio-uring system calls per connection < raw epoll (churn) | n/a | n/a |"
        else printf "| cmio-uring system calls per connection < raw epoll (churn) | %s vs %s | %s |\n", a, b, (a < b - 0.02 ? "yes" : "**no**") }'
    for mode in lockstep free; do
        c=$(st_per cmio-epoll $mode | cut -d'|' -f2)
        echo "| cmio-epoll: 0 epoll_ctl in steady state ($mode) | ${c:-n/a} per rt | $(awk -v c="${c:-x}" 'BEGIN { print (c == "x" ? "n/a" : (c + 0 == 0 ? "yes" : "**no**")) }') |"
    done
    # shellcheck disable=SC2046
    set -- $(al_per cmio-epoll)
    echo "| 0 allocations per event / connection (epoll) | ${1:-n/a} per rt, ${3:-n/a} per connection | $(awk -v a="${1:-x}" -v c="${3:-x}" 'BEGIN { print (a == "x" ? "n/a" : (a + 0 == 0 && c + 0 == 0 ? "yes" : "**no**")) }') |"
    # shellcheck disable=SC2046
    set -- $(al_per cmio-uring)
    echo "| 0 allocations per event / connection (uring) | ${1:-n/a} per rt, ${3:-n/a} per connection | $(awk -v a="${1:-x}" -v c="${3:-x}" 'BEGIN { print (a == "x" ? "n/a" : (a + 0 == 0 && c + 0 < 0.05 ? "yes" : "**no**")) }') |"
    for s in cmio-epoll cmio-uring; do
        w=$(paired_worst "$s" "$SCENARIOS")
        awk -v s="$s" -v w="$w" 'BEGIN { if (w == "") printf "| %s rt/s ≥ 0.97× raw epoll, paired, every scenario | n/a | n/a |\n", s
            else { split(w, p, " "); printf "| %s rt/s ≥ 0.97× raw epoll, paired, every scenario | lowest median ratio %s | %s |\n", s, w, (p[1] >= 0.97 ? "yes" : "**no**") } }'
        w=$(paired_worst "$s" "$CHURN_SCENARIOS")
        awk -v s="$s" -v w="$w" 'BEGIN { if (w == "") printf "| %s connections/s ≥ 0.97× raw epoll, paired (churn) | n/a | n/a |\n", s
            else { split(w, p, " "); printf "| %s connections/s ≥ 0.97× raw epoll, paired (churn) | lowest median ratio %s | %s |\n", s, w, (p[1] >= 0.97 ? "yes" : "**no**") } }'
    done
    pr=$(kv ratio "$(grep '^poll_idle ' "$WORK/micro-epoll.txt" 2>/dev/null)")
    awk -v a="${pr:-}" 'BEGIN { if (a == "") print "| cmio_poll_poll with 10 000 idle within 5% of 0 idle (epoll) | n/a | n/a |"
        else printf "| cmio_poll_poll with 10 000 idle within 5%% of 0 idle (epoll) | ratio %s | %s |\n", a, (a <= 1.05 ? "yes" : "**no**") }'
    echo
    echo "Run time: $(($(date +%s) - T_START)) s (before the plot)."
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"

# ---- 7. the plot --------------------------------------------------------------------------------
if command -v gnuplot >/dev/null 2>&1; then
    : >"$WORK/instr.dat"
    for v in $VARIANTS; do
        r=$(cg_per "$v" lockstep) || true
        [ -n "$r" ] && echo "$v $r" >>"$WORK/instr.dat"
    done
    # rates: rows = scenarios, columns = present servers (thousands)
    rates_dat() {
        printf 'scenario'
        for s in $PRESENT; do printf ' %s' "$s"; done
        printf '\n'
        for sc in $1; do
            scname=${sc%%:*}
            printf '%s' "$scname"
            for s in $PRESENT; do
                m=$(rt_median "$scname" "$s")
                awk -v m="${m:-0}" 'BEGIN { printf " %.3f", m / 1000 }'
            done
            printf '\n'
        done
    }
    rates_dat "$SCENARIOS" >"$WORK/rt.dat"
    rates_dat "$CHURN_SCENARIOS" >"$WORK/churn.dat"
    ncols=$(($(echo $PRESENT | wc -w) + 1))
    # The y range fits every bar but cmio-poll's (poll(2) costs O(registrations) per call):
    # a bar above it is cut and labelled with its value.
    ymax=$(awk '$1 != "cmio-poll" && $2 > m { m = $2 } END { print int(m * 1.25 / 100 + 1) * 100 }' "$WORK/instr.dat")
    gnuplot >"$WORK/gnuplot.log" 2>&1 <<EOF || loud "gnuplot failed: $(cat "$WORK/gnuplot.log")"
set terminal pngcairo size 1400,1500 font "DejaVu Sans,11"
set output "$PNG"
set termoption noenhanced
set multiplot layout 3,1 title "cmio benchmarks — $(date -u +%Y-%m-%d), $(nproc) CPUs$([ "$QUICK" = 1 ] && echo ', BENCH_QUICK')"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics
set key outside right top
set title "User-space instructions per round trip (lock-step, $DET_CONNS connections, 64 B; callgrind)"
set ylabel "instructions / round trip"
set yrange [0:$ymax]
set xtics rotate by -20
plot "$WORK/instr.dat" using 3:xtic(1) title "server code", '' using 4 title "event library (cmio, libuv, ...)", \
     '' using 5 title "Rust std", '' using 6 title "libc", '' using 7 title "other", \
     '' using 0:(\$2 < $ymax ? \$2 : $ymax * 0.93):(\$2 < $ymax ? sprintf("%.0f", \$2) : sprintf("%.0f (cut)", \$2)) with labels offset 0,0.7 notitle
set autoscale y
set style histogram clustered gap 1
set title "Round trips per second (median of $ROUNDS round(s); server on CPU 0, load generator on CPU 1)"
set ylabel "thousand round trips / s"
set xtics norotate
set key outside right top title "server"
plot for [i=2:$ncols] "$WORK/rt.dat" using i:xtic(1) title columnheader(i)
set title "Connections per second, churn (connect, 64 B, echo, close; median of $CHURN_ROUNDS round(s))"
set ylabel "thousand connections / s"
plot for [i=2:$ncols] "$WORK/churn.dat" using i:xtic(1) title columnheader(i)
unset multiplot
EOF
else
    loud "gnuplot is not installed: no $PNG"
fi

# The raw data of this run, for whoever wants to look closer (not committed).
RAW=$(dirname "$BIN")/bench-last
rm -rf "$RAW"
mkdir -p "$RAW"
cp "$RT" "$DET" "$PAIRED" "$WORK"/micro-*.txt "$RAW"/ 2>/dev/null
cp "$WORK"/det-*.out "$RAW"/ 2>/dev/null
[ -s "$WORK/problems.txt" ] && cp "$WORK/problems.txt" "$RAW"/

T_END=$(($(date +%s) - T_START))
sed -i "s/^Run time: .*/Run time: $T_END s./" "$RESULTS"
say "done in $T_END s: $RESULTS, $PNG"
if [ -s "$WORK/problems.txt" ]; then
    echo
    echo "run.sh: problems in this run:"
    cat "$WORK/problems.txt"
fi
sed -n '/^## cmio against its targets/,/^Run time/p' "$RESULTS"
