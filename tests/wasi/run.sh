#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh ROW RESULTS HARNESS HOST: runs the WASI row (the harness, which runs HOST with the
# listener as fd 3), shows its output and appends two lines to RESULTS in tests/run.sh's format
# ("ROW SUITE PASSED FAILED SKIPPED"): test_wasi, the guest's own tests (its "N passed, N failed"
# line), and wasi_harness, the harness's checks (each client's echo, and the guest's run ending
# without a trap). No summary line, a crash or a hang (5 min) counts as one failure.
set -u
row=$1
results=$2
harness=$3
host=$4
mkdir -p "$(dirname "$results")"
echo "==== row $row: $(basename "$host") (wasm32-wasi, via wasm2c) under $(basename "$harness") ===="
out=$(mktemp)
timeout 300 "$harness" "$host" >"$out" 2>&1
rc=$?
cat "$out"
guest=$(sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1)
checks=$(sed -n 's/^harness: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p' "$out" |
    tail -n 1)
rm -f "$out"
[ -n "$guest" ] || guest="0 1"
[ -n "$checks" ] || checks="0 1"
if [ "$rc" -ne 0 ] && [ "${checks#* }" = "0" ] && [ "${guest#* }" = "0" ]; then
    echo "run.sh: $row: the harness exited with status $rc (crash or timeout)"
    checks="${checks% *} 1"
fi
echo "$row test_wasi $guest 0" >>"$results"
echo "$row wasi_harness $checks 0" >>"$results"
