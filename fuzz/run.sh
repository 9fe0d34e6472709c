#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz/run.sh BINDIR SECONDS TARGET...: runs each libFuzzer target for SECONDS seconds over its
# committed seed corpus (fuzz/corpus/TARGET, read-only: new inputs go to build/fuzz/work/TARGET)
# and prints one line per target: "fuzz: TARGET: N executions in S s (corpus: C inputs)". A crash,
# leak, sanitizer report or failed property keeps the input in build/fuzz/artifacts/ and fails the
# run (turn the input into a regression test in tests/ — see fuzz/README.md). Then, when
# fuzz/idl_mutate.py exists, the IDL loader's mutation fuzzer for as long, and its summary line.
set -u
bindir=$1
seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/build/fuzz/work
art=$root/build/fuzz/artifacts
mkdir -p "$work" "$art"
failed=""
for t in "$@"; do
    mkdir -p "$work/$t"
    log=$root/build/fuzz/$t.log
    "$bindir/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$art/$t-" "$work/$t" "$root/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    corpus=$(find "$root/fuzz/corpus/$t" "$work/$t" -type f 2>/dev/null | wc -l)
    echo "fuzz: $t: ${runs:-0} executions in $seconds s (corpus: $corpus inputs)"
    if [ "$rc" -ne 0 ]; then
        echo "fuzz: $t FAILED (exit $rc); log $log; the input is in $art/:"
        grep -E 'ERROR|SUMMARY|check failed|Test unit written' "$log" | head -n 20
        failed="$failed $t"
    fi
done
if [ -f "$root/fuzz/idl_mutate.py" ]; then
    out=$(cd "$root" && python3 fuzz/idl_mutate.py --seconds "$seconds" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | grep '^idl_mutate:' | tail -n 1)
    echo "fuzz: ${line:-idl_mutate: no summary line}"
    if [ "$rc" -ne 0 ]; then
        printf '%s\n' "$out" | tail -n 20
        failed="$failed idl_mutate"
    fi
else
    echo "fuzz: idl_mutate: skipped (fuzz/idl_mutate.py is not in this tree)"
fi
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed"
    exit 1
fi
echo "fuzz: every target ran $seconds s without a finding"
