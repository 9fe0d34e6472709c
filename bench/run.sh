#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh — cmio's benchmark suite (`make bench`; bench/README.md describes it).
#
#   make bench                  full run (< 10 min): 7 interleaved rounds, 10 000/20 000 round trips
#   BENCH_QUICK=1 make bench    short run (< 2 min): 1 round, 5 000/10 000 round trips
#
# Installs what it needs with apt-get when run as root (libuv1-dev libevent-dev libev-dev
# librust-mio-dev cargo gnuplot-nox strace valgrind; it says which are missing), builds the peer
# servers -O2, runs every server × scenario with the server pinned to CPU 0 and the load generator
# to CPU 1, measures the deterministic costs per round trip (callgrind, strace, alloc_count) and
# the micro benchmarks, and writes bench/RESULTS.md and bench/results.png. A peer server that is
# missing or does not build is reported as MISSING in every table; a run that fails is FAIL.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BIN=${BENCH_BIN:-build/linux-gcc/bench}
CC=${BENCH_CC:-gcc}
case ${BENCH_QUICK:-0} in 0 | "") QUICK=0 ;; *) QUICK=1 ;; esac
RESULTS=bench/RESULTS.md
PNG=bench/results.png
SOCK=/tmp/cmio-bench-$$.sock
WORK=$(mktemp -d /tmp/cmio-bench.XXXXXX)
T_START=$(date +%s)

if [ "$QUICK" = 1 ]; then
    ROUNDS=1 PAIRS=2 WARMUP=0.1 DURATION=0.2 N1=5000 N2=10000 MICRO_ARGS=--quick
else
    ROUNDS=7 PAIRS=6 WARMUP=0.1 DURATION=0.5 N1=10000 N2=20000 MICRO_ARGS=
fi
DET_CONNS=100    # connections of the deterministic runs (64-byte messages)
DET_CONNS2=200   # the second run of allocations per accepted connection

SPID= # the server being run
cleanup() {
    if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then kill -KILL "$SPID" 2>/dev/null; fi
    rm -rf "$WORK" "$SOCK"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted"; exit 130' INT TERM

say() { printf '[%4ds] %s\n' "$(($(date +%s) - T_START))" "$*"; }
loud() { printf '\n!!!! %s\n\n' "$*" | tee -a "$WORK/problems.txt"; }

# ---- 1. dependencies ----------------------------------------------------------------------------
PKGS="libuv1-dev libevent-dev libev-dev librust-mio-dev cargo gnuplot-nox strace valgrind"
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
for tool in valgrind strace taskset; do
    command -v "$tool" >/dev/null 2>&1 || loud "$tool is not installed: its measurements are skipped"
done

# fds: 10 000 connections need ~10 000 in each process (server and load generator).
ulimit -Hn 65536 2>/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# ---- 2. builds ----------------------------------------------------------------------------------
say "building the C bench programs (make bench-build was run by make bench)"
[ -x "$BIN/loadgen" ] || make --no-print-directory bench-build >/dev/null ||
    { echo "run.sh: make bench-build failed"; exit 1; }

declare -A CMD ENVS STATUS
SERVERS="raw-epoll cmio-epoll cmio-poll libuv libevent libev mio"
CMD[raw-epoll]=$BIN/echo_raw_epoll
CMD[cmio-epoll]=$BIN/echo_cmio
CMD[cmio-poll]=$BIN/echo_cmio
ENVS[cmio-poll]="CMIO_BACKEND=poll CMIO_WAKER=pipe"
CMD[libuv]=$BIN/echo_libuv
CMD[libevent]=$BIN/echo_libevent
CMD[libev]=$BIN/echo_libev
CMD[mio]=$BIN/echo_mio
for s in $SERVERS; do STATUS[$s]=ok; done

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
    if (cd bench/mio && CARGO_TARGET_DIR="$ROOT/$BIN/mio-target" RUSTC=$RUSTC_BIN \
        "$CARGO" build --release --offline) >"$WORK/build-mio.log" 2>&1 &&
        cp "$BIN/mio-target/release/echo_mio" "$BIN/echo_mio"; then
        :
    else
        STATUS[mio]="MISSING: cargo build failed ($(tail -c 300 "$WORK/build-mio.log" | tr '\n' ' '))"
    fi
fi
for s in $SERVERS; do
    case ${STATUS[$s]} in MISSING*) loud "server $s: ${STATUS[$s]}" ;; esac
done
PRESENT=
for s in $SERVERS; do [ "${STATUS[$s]}" = ok ] && PRESENT="$PRESENT $s"; done

# ---- server sessions ----------------------------------------------------------------------------
# start_server NAME PROTO TOOL OUTFILE [server args]: TOOL is none, callgrind, strace or alloc.
# Sets SPID (the process to wait for) and SADDR; returns non-zero when it did not get ready.
start_server() {
    local name=$1 proto=$2 tool=$3 outf=$4 addr i
    shift 4
    case $proto in unix) addr=$SOCK ;; *) addr=127.0.0.1:0 ;; esac
    : >"$WORK/srv.out"
    : >"$WORK/srv.pid"
    local -a pre=()
    case $tool in
    callgrind) pre=(valgrind --tool=callgrind --callgrind-out-file="$outf" --log-file="$WORK/vg.log") ;;
    strace) pre=(strace -f -c -U name,calls -o "$outf" sh -c 'echo $$ >"$0"; exec "$@"' "$WORK/srv.pid") ;;
    alloc) pre=(env ALLOC_COUNT_FILE="$outf" LD_PRELOAD="$ROOT/$BIN/alloc_count.so") ;;
    esac
    # shellcheck disable=SC2086
    env ${ENVS[$name]:-} taskset -c 0 "${pre[@]}" "${CMD[$name]}" --"$proto" "$addr" "$@" \
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
    if [ "$tool" = strace ]; then
        for i in $(seq 100); do [ -s "$WORK/srv.pid" ] && break; sleep 0.02; done
    fi
    return 0
}

# stop_server: SIGTERM, then waits up to 20 s (valgrind writes its output), then SIGKILL.
stop_server() {
    local target=$SPID i rc
    [ -n "$SPID" ] || return 0
    [ -s "$WORK/srv.pid" ] && target=$(cat "$WORK/srv.pid")
    kill -TERM "$target" 2>/dev/null
    for i in $(seq 400); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
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
    timeout 300 taskset -c 1 "$BIN/loadgen" --connect "$SADDR" --proto "$proto" "$@" 2>"$WORK/lg.err"
}

kv() { # kv KEY LINE → value
    printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# rt_run SERVER SCENARIO PROTO CONNS SIZE ROUND: one measured run; prints its rt.tsv line
# (scenario server round rt/s p50 p99 failed time), rt/s FAIL when it failed.
rt_run() {
    local s=$1 scname=$2 proto=$3 conns=$4 size=$5 round=$6 line lrc err
    if ! start_server "$s" "$proto" none /dev/null >&2; then
        printf '%s\t%s\t%s\tFAIL\t0\t0\t1\n' "$scname" "$s" "$round"
        return
    fi
    line=$(loadgen "$proto" --conns "$conns" --size "$size" --warmup "$WARMUP" --duration "$DURATION")
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

# ---- 3. round trips per second, interleaved ---------------------------------------------------
SCENARIOS=${BENCH_SCENARIOS:-"tcp-1x64:tcp:1:64 tcp-100x64:tcp:100:64 tcp-1000x64:tcp:1000:64
tcp-10000x64:tcp:10000:64 tcp-10x16k:tcp:10:16384 unix-1x64:unix:1:64 udp-1x64:udp:1:64"}
RT=$WORK/rt.tsv
: >"$RT"
set -- $PRESENT
NPRESENT=$#
say "round trips/s: $ROUNDS round(s) × $(echo $SCENARIOS | wc -w) scenarios × $NPRESENT servers (warm-up ${WARMUP}s, ${DURATION}s measured)"
for round in $(seq "$ROUNDS"); do
    # Rotate the server order every round.
    order=$(printf '%s\n' $PRESENT | awk -v r="$round" '{a[NR-1]=$0} END {for (i=0;i<NR;i++) print a[(i+r-1)%NR]}')
    for sc in $SCENARIOS; do
        IFS=: read -r scname proto conns size <<<"$sc"
        for s in $order; do
            rt_run "$s" "$scname" "$proto" "$conns" "$size" "$round" >>"$RT"
        done
    done
    say "round $round done"
done

# ---- 3b. paired runs: raw epoll and cmio-epoll back to back -------------------------------------
# The host's noise comes in bursts of seconds, wider than the difference being looked for; two
# runs started back to back see nearly the same host. Per scenario, PAIRS pairs (which of the two
# goes first alternates); the ratio of each pair, then their median and range.
PAIRED=$WORK/paired.tsv # scenario pair cmio/raw
: >"$PAIRED"
if [ "${STATUS[raw-epoll]}" = ok ] && [ "${STATUS[cmio-epoll]}" = ok ]; then
    say "paired runs: $PAIRS pair(s) × $(echo $SCENARIOS | wc -w) scenarios (raw-epoll, cmio-epoll)"
    for sc in $SCENARIOS; do
        IFS=: read -r scname proto conns size <<<"$sc"
        for pair in $(seq "$PAIRS"); do
            if [ $((pair % 2)) = 1 ]; then first=raw-epoll second=cmio-epoll; else first=cmio-epoll second=raw-epoll; fi
            rt_run "$first" "$scname" "$proto" "$conns" "$size" "p$pair" >"$WORK/pair.tsv"
            rt_run "$second" "$scname" "$proto" "$conns" "$size" "p$pair" >>"$WORK/pair.tsv"
            awk -F'\t' -v sc="$scname" -v p="$pair" '
                { v[$2] = $4 } END { if (v["raw-epoll"] + 0 > 0 && v["cmio-epoll"] + 0 > 0)
                    printf "%s\t%s\t%.4f\n", sc, p, v["cmio-epoll"] / v["raw-epoll"] }' \
                "$WORK/pair.tsv" >>"$PAIRED"
        done
    done
fi

# ---- 4. deterministic costs per round trip ----------------------------------------------------
# Each is the difference of two runs (N1 and N2 round trips, DET_CONNS connections, 64 bytes),
# divided by N2 − N1: start-up, accepts and exit cancel out.
DET=$WORK/det.tsv # variant mode tool N file
: >"$DET"
VARIANTS=
for s in $PRESENT; do
    VARIANTS="$VARIANTS $s"
    # The +drain variants (reading until -EAGAIN) only in the full run.
    [ "$QUICK" = 0 ] && case $s in raw-epoll | cmio-epoll) VARIANTS="$VARIANTS $s+drain" ;; esac
done

det_run() { # det_run VARIANT MODE TOOL N CONNS → prints the output file, or nothing
    local v=$1 mode=$2 tool=$3 n=$4 conns=$5 name=${1%+drain} f
    local -a sargs=() largs=()
    [ "$v" != "$name" ] && sargs=(--drain)
    [ "$mode" = lockstep ] && largs=(--lockstep)
    f=$WORK/det-$v-$mode-$tool-$n-$conns.out
    rm -f "$f"
    start_server "$name" tcp "$tool" "$f" "${sargs[@]}" || return
    line=$(loadgen tcp --conns "$conns" --size 64 --roundtrips "$n" "${largs[@]}")
    lrc=$?
    stop_server
    if [ $lrc -ne 0 ] || [ "$(kv errors "$line")" != 0 ]; then
        loud "FAIL: $v $mode $tool N=$n: ${line:-no output} $(tail -c 300 "$WORK/lg.err")"
        return
    fi
    [ -s "$f" ] || { loud "FAIL: $v $mode $tool N=$n wrote no $tool output"; return; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$mode" "$tool" "$n" "$conns" "$f" >>"$DET"
}

HAVE_VG=0 HAVE_ST=0
command -v valgrind >/dev/null 2>&1 && HAVE_VG=1
command -v strace >/dev/null 2>&1 && HAVE_ST=1
say "deterministic costs: callgrind, strace, alloc_count × {lock-step, free-running} × N=$N1,$N2"
[ -n "${BENCH_SKIP_DET:-}" ] && VARIANTS_RUN= || VARIANTS_RUN=$VARIANTS
for v in $VARIANTS_RUN; do
    for mode in lockstep free; do
        for n in $N1 $N2; do
            [ $HAVE_ST = 1 ] && det_run "$v" "$mode" strace "$n" $DET_CONNS
            [ $HAVE_VG = 1 ] && det_run "$v" "$mode" callgrind "$n" $DET_CONNS
            [ "$mode" = lockstep ] && det_run "$v" "$mode" alloc "$n" $DET_CONNS
        done
    done
    det_run "$v" lockstep alloc "$N1" $DET_CONNS2
    say "  $v done"
done

# ---- 5. micro benchmarks ------------------------------------------------------------------------
say "micro benchmarks (epoll/eventfd and poll/pipe)"
timeout 300 taskset -c 0,1 "$BIN/micro" $MICRO_ARGS >"$WORK/micro-epoll.txt" 2>"$WORK/micro-epoll.err" ||
    loud "micro (epoll) failed: $(cat "$WORK/micro-epoll.err")"
CMIO_BACKEND=poll CMIO_WAKER=pipe timeout 300 taskset -c 0,1 "$BIN/micro" $MICRO_ARGS \
    >"$WORK/micro-poll.txt" 2>"$WORK/micro-poll.err" ||
    loud "micro (poll) failed: $(cat "$WORK/micro-poll.err")"

# ---- 6. tables ----------------------------------------------------------------------------------
say "writing $RESULTS and $PNG"
det_file() { # det_file VARIANT MODE TOOL N [CONNS]
    awk -F'\t' -v v="$1" -v m="$2" -v t="$3" -v n="$4" -v c="${5:-$DET_CONNS}" \
        '$1==v && $2==m && $3==t && $4==n && $5==c {print $6}' "$DET" | head -n 1
}
# Instructions per round trip by category for VARIANT MODE: "total server lib std libc other".
cg_per_rt() {
    local f1 f2 bin
    f1=$(det_file "$1" "$2" callgrind "$N1")
    f2=$(det_file "$1" "$2" callgrind "$N2")
    [ -n "$f1" ] && [ -n "$f2" ] || return
    bin=$(cd "$(dirname "${CMD[${1%+drain}]}")" && pwd)/$(basename "${CMD[${1%+drain}]}")
    paste -d' ' <(awk -v bin="$bin" -f bench/cg_split.awk "$f1") \
        <(awk -v bin="$bin" -f bench/cg_split.awk "$f2") |
        awk -v d=$((N2 - N1)) '{
            for (i = 1; i <= 6; i++) { split($i, a, "="); split($(i+6), b, "="); v[a[1]] = (b[2]-a[2])/d }
            printf "%.1f %.1f %.1f %.1f %.1f %.1f\n", v["total"], v["server"], v["lib"], v["std"], v["libc"], v["other"] }'
}
# System calls per round trip for VARIANT MODE: "total epoll_ctl breakdown".
st_per_rt() {
    local f1 f2
    f1=$(det_file "$1" "$2" strace "$N1")
    f2=$(det_file "$1" "$2" strace "$N2")
    [ -n "$f1" ] && [ -n "$f2" ] || return
    awk -v d=$((N2 - N1)) '
        FNR == 1 { file++ }
        NF == 2 && $2 ~ /^[0-9]+$/ && $1 != "total" { c[$1, file] = $2; names[$1] = 1 }
        END {
            tot = 0; ctl = 0; s = ""
            for (n in names) {
                v = (c[n, 2] - c[n, 1]) / d
                if (v > 0.005 || v < -0.005) { per[n] = v; tot += v }
            }
            # biggest first
            while (1) { best = ""; for (n in per) if (best == "" || per[n] > per[best]) best = n
                if (best == "") break
                s = s (s == "" ? "" : ", ") sprintf("%s %.2f", best, per[best]); delete per[best] }
            ctl = (c["epoll_ctl", 2] - c["epoll_ctl", 1]) / d
            printf "%.2f|%.3f|%s\n", tot, ctl, s
        }' "$f1" "$f2"
}
al_per() { # allocations: "per_rt bytes_per_rt per_conn"
    local f1 f2 f3
    f1=$(det_file "$1" lockstep alloc "$N1")
    f2=$(det_file "$1" lockstep alloc "$N2")
    f3=$(det_file "$1" lockstep alloc "$N1" $DET_CONNS2)
    [ -n "$f1" ] && [ -n "$f2" ] && [ -n "$f3" ] || return
    a1=$(kv allocs "$(cat "$f1")") a2=$(kv allocs "$(cat "$f2")") a3=$(kv allocs "$(cat "$f3")")
    b1=$(kv bytes "$(cat "$f1")") b2=$(kv bytes "$(cat "$f2")")
    awk -v a1="$a1" -v a2="$a2" -v a3="$a3" -v b1="$b1" -v b2="$b2" -v d=$((N2 - N1)) \
        -v dc=$((DET_CONNS2 - DET_CONNS)) \
        'BEGIN { printf "%.3f %.1f %.2f\n", (a2-a1)/d, (b2-b1)/d, (a3-a1)/dc }'
}
missing_cell() { echo "MISSING"; }

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
    echo "- cmio: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- runtime generated 2>/dev/null || echo ' (runtime/ or generated/ modified)'), $BIN/libcmio.a -O2"
    echo "- pinning: server \`taskset -c 0\`, load generator \`taskset -c 1\`; $ROUNDS round(s), server order rotated each round; warm-up ${WARMUP} s, ${DURATION} s measured per run"
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
    printf '| server |'
    for sc in $SCENARIOS; do printf ' %s |' "${sc%%:*}"; done
    printf '\n|---|'
    for sc in $SCENARIOS; do printf -- '---:|'; done
    printf '\n'
    for s in $SERVERS; do
        printf '| %s |' "$s"
        for sc in $SCENARIOS; do
            scname=${sc%%:*}
            if [ "${STATUS[$s]}" != ok ]; then printf ' MISSING |'; continue; fi
            awk -F'\t' -v sc="$scname" -v s="$s" '
                function med(arr, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
                    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
                $1 == sc && $4 != "FAIL" { if ($2 == s) x[++nx] = $4; if ($2 == "raw-epoll") r[++nr] = $4 }
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
    for sc in $SCENARIOS; do
        scname=${sc%%:*}
        echo "<details><summary>$scname: median, range, latency</summary>"
        echo
        echo "| server | rt/s median | range (min–max) | ratio to raw epoll | p50 µs | p99 µs | runs |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for s in $SERVERS; do
            if [ "${STATUS[$s]}" != ok ]; then echo "| $s | MISSING | | | | | |"; continue; fi
            awk -F'\t' -v sc="$scname" -v s="$s" '
                function med(arr, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
                    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
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

    echo "## Round trips per second — cmio-epoll ÷ raw epoll, paired runs"
    echo
    echo "$PAIRS pair(s) per scenario, the two servers started back to back (order alternating), so that"
    echo "both see nearly the same host; each pair gives one ratio (cmio-epoll rt/s ÷ raw-epoll rt/s)."
    echo
    if [ -s "$PAIRED" ]; then
        echo "| scenario | median ratio | range | pairs |"
        echo "|---|---:|---:|---:|"
        for sc in $SCENARIOS; do
            scname=${sc%%:*}
            awk -F'\t' -v sc="$scname" '$1 == sc { v[++n] = $3 }
                END { if (!n) { printf "| %s | n/a | | 0 |\n", sc; exit }
                    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
                    m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
                    printf "| %s | %.3f | %.3f–%.3f | %d |\n", sc, m, v[1], v[n], n }' "$PAIRED"
        done
    else
        echo "n/a (raw-epoll or cmio-epoll missing)"
    fi
    echo

    for mode in lockstep free; do
        if [ $mode = lockstep ]; then
            echo "## Instructions per round trip — lock-step (one message in flight, $DET_CONNS connections, 64 B)"
        else
            echo "## Instructions per round trip — free-running ($DET_CONNS connections × 1 in flight, 64 B)"
        fi
        echo
        echo "callgrind, whole server process, (Ir(N=$N2) − Ir(N=$N1)) ÷ $((N2 - N1)). *library* is cmio's"
        echo "runtime/ and generated/ code for cmio, the .so for libuv/libevent/libev, the mio crate for mio."
        [ $mode = free ] && echo "Free-running costs depend on how many events each wait returns (batching), so they vary with timing."
        echo
        echo "| server | total | ratio to raw | server code | library | Rust std | libc | other |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
        raw=$(cg_per_rt raw-epoll $mode | cut -d' ' -f1)
        for v in $VARIANTS $(for s in $SERVERS; do [ "${STATUS[$s]}" = ok ] || echo "$s"; done); do
            if [ "${STATUS[${v%+drain}]}" != ok ]; then echo "| $v | MISSING | | | | | | |"; continue; fi
            r=$(cg_per_rt "$v" $mode)
            if [ -z "$r" ]; then echo "| $v | FAIL/n.a. | | | | | | |"; continue; fi
            set -- $r
            ratio=$(awk -v a="$1" -v b="${raw:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
            echo "| $v | $1 | $ratio | $2 | $3 | $4 | $5 | $6 |"
        done
        echo
    done

    echo "## cmio's code per round trip (lock-step, callgrind self cost)"
    echo
    echo "\`file:function\`; the headers' inline fast paths (\`runtime/include/…\`, \`generated/*/include/…\`)"
    echo "are named by the function of the server they were inlined into."
    echo
    f1=$(det_file cmio-epoll lockstep callgrind "$N1")
    f2=$(det_file cmio-epoll lockstep callgrind "$N2")
    if [ -n "$f1" ] && [ -n "$f2" ]; then
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

    else
        echo "n/a (callgrind runs missing)"
    fi
    echo

    for mode in lockstep free; do
        echo "## System calls per round trip — $([ $mode = lockstep ] && echo lock-step || echo free-running)"
        echo
        echo "strace -f -c, (calls(N=$N2) − calls(N=$N1)) ÷ $((N2 - N1)); failed calls (EAGAIN) included."
        echo
        echo "| server | total | epoll_ctl (steady state) | by kind |"
        echo "|---|---:|---:|---|"
        for v in $VARIANTS $(for s in $SERVERS; do [ "${STATUS[$s]}" = ok ] || echo "$s"; done); do
            if [ "${STATUS[${v%+drain}]}" != ok ]; then echo "| $v | MISSING | | |"; continue; fi
            r=$(st_per_rt "$v" $mode)
            if [ -z "$r" ]; then echo "| $v | FAIL/n.a. | | |"; continue; fi
            IFS='|' read -r tot ctl kinds <<<"$r"
            echo "| $v | $tot | $ctl | $kinds |"
        done
        echo
    done

    echo "## Heap allocations"
    echo
    echo "alloc_count.so (LD_PRELOAD): per round trip = (allocs(N=$N2) − allocs(N=$N1)) ÷ $((N2 - N1)), lock-step;"
    echo "per accepted connection = (allocs($DET_CONNS2 conns) − allocs($DET_CONNS conns)) ÷ $((DET_CONNS2 - DET_CONNS)), same round trips."
    echo
    echo "| server | allocations / round trip | bytes / round trip | allocations / connection |"
    echo "|---|---:|---:|---:|"
    for v in $VARIANTS $(for s in $SERVERS; do [ "${STATUS[$s]}" = ok ] || echo "$s"; done); do
        if [ "${STATUS[${v%+drain}]}" != ok ]; then echo "| $v | MISSING | | |"; continue; fi
        r=$(al_per "$v")
        if [ -z "$r" ]; then echo "| $v | FAIL/n.a. | | |"; continue; fi
        set -- $r
        echo "| $v | $1 | $2 | $3 |"
    done
    echo

    echo "## Micro benchmarks (bench/micro.c)"
    echo
    echo "| benchmark | epoll + eventfd | poll + pipe |"
    echo "|---|---:|---:|"
    for key in "waker_rt ns_per_rt" "waker_rt rt_per_s" "reg_dereg ns_per_pair" "reg_dereg pairs_per_s" \
        "poll_idle idle0_ns" "poll_idle idle10000_ns" "poll_idle ratio" "accept ns_per_accept" \
        "accept accepts_per_s"; do
        set -- $key
        e=$(kv "$2" "$(grep "^$1 " "$WORK/micro-epoll.txt" 2>/dev/null)")
        p=$(kv "$2" "$(grep "^$1 " "$WORK/micro-poll.txt" 2>/dev/null)")
        echo "| $1 $2 | ${e:-FAIL} | ${p:-FAIL} |"
    done
    echo
    echo "poll_idle: median time of one cmio_poll_poll() returning one ready Unix stream, with 0 and"
    echo "with 10 000 idle registered UDP sockets; ratio = 10 000 idle ÷ 0 idle."
    echo

    echo "## cmio against its targets"
    echo
    lr=$(cg_per_rt raw-epoll lockstep | cut -d' ' -f1)
    lc=$(cg_per_rt cmio-epoll lockstep | cut -d' ' -f1)
    fr=$(cg_per_rt raw-epoll free | cut -d' ' -f1)
    fc=$(cg_per_rt cmio-epoll free | cut -d' ' -f1)
    prt=$(awk -F'\t' '{ v[$1, ++n[$1]] = $3 }
        END { for (k in n) { m = n[k]; delete x; for (i = 1; i <= m; i++) x[i] = v[k, i]
                for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
                med = m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
                if (min == "" || med < min) { min = med; mk = k } }
              if (min != "") printf "%.3f (worst: %s)", min, mk }' "$PAIRED")
    sr=$(st_per_rt raw-epoll lockstep | cut -d'|' -f1)
    sc=$(st_per_rt cmio-epoll lockstep | cut -d'|' -f1)
    sctl=$(st_per_rt cmio-epoll free | cut -d'|' -f2)
    sctl2=$(st_per_rt cmio-epoll lockstep | cut -d'|' -f2)
    al=$(al_per cmio-epoll)
    pr=$(kv ratio "$(grep '^poll_idle ' "$WORK/micro-epoll.txt" 2>/dev/null)")
    rtr=$(awk -F'\t' '
        function med(arr, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
            return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
        $4 != "FAIL" && $2 == "cmio-epoll" { c[$1, ++nc[$1]] = $4; sc[$1] = 1 }
        $4 != "FAIL" && $2 == "raw-epoll" { r[$1, ++nr[$1]] = $4 }
        END { s = ""; for (k in sc) { if (!nr[k]) continue
                delete x; delete y; for (i = 1; i <= nc[k]; i++) x[i] = c[k, i]; for (i = 1; i <= nr[k]; i++) y[i] = r[k, i]
                v = med(x, nc[k]) / med(y, nr[k]); if (min == "" || v < min) { min = v; mk = k } }
              if (min != "") printf "%.3f (worst: %s)", min, mk }' "$RT")
    echo "| target | measured | met? |"
    echo "|---|---|---|"
    awk -v a="${lc:-}" -v b="${lr:-}" 'BEGIN { if (a == "" || b == "") print "| instructions/rt ≤ 1.10× raw epoll (lock-step) | n/a | n/a |"
        else printf "| instructions/rt ≤ 1.10× raw epoll (lock-step) | %s vs %s = %.2f× | %s |\n", a, b, a / b, (a / b <= 1.10 ? "yes" : "**no**") }'
    awk -v a="${fc:-}" -v b="${fr:-}" 'BEGIN { if (a == "" || b == "") print "| instructions/rt ≤ 1.10× raw epoll (free-running) | n/a | n/a |"
        else printf "| instructions/rt ≤ 1.10× raw epoll (free-running) | %s vs %s = %.2f× | %s |\n", a, b, a / b, (a / b <= 1.10 ? "yes" : "**no**") }'
    awk -v a="${sc:-}" -v b="${sr:-}" 'BEGIN { if (a == "" || b == "") print "| same system calls per rt as raw epoll | n/a | n/a |"
        else printf "| same system calls per rt as raw epoll (lock-step) | %s vs %s | %s |\n", a, b, ((a - b < 0.05 && b - a < 0.05) ? "yes" : "**no**") }'
    awk -v a="${sctl2:-}" -v b="${sctl:-}" 'BEGIN { if (a == "") print "| 0 epoll_ctl in steady state | n/a | n/a |"
        else printf "| 0 epoll_ctl in steady state | %s (lock-step), %s (free) per rt | %s |\n", a, b, ((a + 0 == 0 && b + 0 == 0) ? "yes" : "**no**") }'
    set -- ${al:-n/a n/a n/a}
    awk -v a="$1" -v c="$3" 'BEGIN { if (a == "n/a") print "| 0 allocations per event / connection (epoll) | n/a | n/a |"
        else printf "| 0 allocations per event / connection (epoll) | %s per rt, %s per connection | %s |\n", a, c, ((a + 0 == 0 && c + 0 == 0) ? "yes" : "**no**") }'
    awk -v a="${rtr:-}" 'BEGIN { if (a == "") print "| rt/s ≥ 0.97× raw epoll | n/a | n/a |"
        else { split(a, p, " "); printf "| rt/s ≥ 0.97× raw epoll (every scenario), interleaved rounds | lowest median ratio %s | %s |\n", a, (p[1] >= 0.97 ? "yes" : "**no**") } }'
    awk -v a="${prt:-}" 'BEGIN { if (a == "") print "| rt/s ≥ 0.97× raw epoll (every scenario), paired runs | n/a | n/a |"
        else { split(a, p, " "); printf "| rt/s ≥ 0.97× raw epoll (every scenario), paired runs | lowest median ratio %s | %s |\n", a, (p[1] >= 0.97 ? "yes" : "**no**") } }'
    awk -v a="${pr:-}" 'BEGIN { if (a == "") print "| poll with 10 000 idle within 5% of 0 idle (epoll) | n/a | n/a |"
        else printf "| cmio_poll_poll with 10 000 idle within 5%% of 0 idle (epoll) | ratio %s | %s |\n", a, (a <= 1.05 ? "yes" : "**no**") }'
    echo
    echo "Run time: $(($(date +%s) - T_START)) s (before the plot)."
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"

# ---- 7. the plot --------------------------------------------------------------------------------
if command -v gnuplot >/dev/null 2>&1; then
    : >"$WORK/instr.dat"
    for v in $VARIANTS; do
        r=$(cg_per_rt "$v" lockstep) || true
        [ -n "$r" ] && echo "$v $r" >>"$WORK/instr.dat"
    done
    # rt/s medians: rows = scenarios, columns = present servers
    {
        printf 'scenario'
        for s in $PRESENT; do printf ' %s' "$s"; done
        printf '\n'
        for sc in $SCENARIOS; do
            scname=${sc%%:*}
            printf '%s' "$scname"
            for s in $PRESENT; do
                awk -F'\t' -v sc="$scname" -v s="$s" '
                    $1 == sc && $2 == s && $4 != "FAIL" { x[++n] = $4 }
                    END { if (!n) { printf " 0"; exit }
                          for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
                          printf " %.3f", (n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2) / 1000 }' "$RT"
            done
            printf '\n'
        done
    } >"$WORK/rt.dat"
    ncols=$(($(echo $PRESENT | wc -w) + 1))
    # The y range fits every bar but cmio-poll's (poll(2) costs O(registrations) per call):
    # a bar above it is cut and labelled with its value.
    ymax=$(awk '$1 != "cmio-poll" && $2 > m { m = $2 } END { print int(m * 1.25 / 100 + 1) * 100 }' "$WORK/instr.dat")
    gnuplot >"$WORK/gnuplot.log" 2>&1 <<EOF || loud "gnuplot failed: $(cat "$WORK/gnuplot.log")"
set terminal pngcairo size 1400,1100 font "DejaVu Sans,11"
set output "$PNG"
set termoption noenhanced
set multiplot layout 2,1 title "cmio benchmarks — $(date -u +%Y-%m-%d), $(nproc) CPUs$([ "$QUICK" = 1 ] && echo ', BENCH_QUICK')"
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
unset multiplot
EOF
else
    loud "gnuplot is not installed: no $PNG"
fi

# The raw data of this run, for whoever wants to look closer (not committed).
RAW=$(dirname "$BIN")/bench-last
rm -rf "$RAW"
mkdir -p "$RAW"
cp "$RT" "$DET" "$WORK"/micro-*.txt "$RAW"/ 2>/dev/null
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
cat "$RESULTS" | sed -n '/^## Round trips per second/,/^<details>/p' | head -n 14
