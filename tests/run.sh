#!/bin/sh
# run.sh ROW RESULTS TEST...: runs each cmocka suite of one build row, shows its output, and
# appends "ROW SUITE PASSED FAILED SKIPPED" to RESULTS. A suite that crashes, hangs (5 min) or
# exits non-zero without a cmocka failure count is counted as one failure.
# CMIO_VALGRIND=1 runs every suite under valgrind (errors and definite leaks fail the suite);
# CMIO_RUNNER (e.g. "qemu-s390x -L /usr/s390x-linux-gnu") runs each suite under an emulator.
set -u
row=$1
results=$2
shift 2
mkdir -p "$(dirname "$results")"
echo "==== row $row: $# suites ===="
for t in "$@"; do
    name=$(basename "$t")
    out=$(mktemp)
    if [ -n "${CMIO_VALGRIND:-}" ]; then
        timeout 900 valgrind --quiet --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
            "$t" >"$out" 2>&1
    else
        # shellcheck disable=SC2086
        timeout 300 ${CMIO_RUNNER:-} "$t" >"$out" 2>&1
    fi
    rc=$?
    cat "$out"
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    passed=${passed:-0}
    failed=${failed:-0}
    skipped=${skipped:-0}
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "run.sh: $row/$name exited with status $rc (crash, timeout or valgrind error)"
        failed=1
    fi
    echo "$row $name $passed $failed $skipped" >>"$results"
    rm -f "$out"
done
