#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh ROW RESULTS TEST...: runs each cmocka suite of one build row and appends
# "ROW SUITE PASSED FAILED SKIPPED" to RESULTS. A suite that crashes, hangs (5 min) or exits
# non-zero without a cmocka failure count is counted as one failure.
#
# Output: one line per suite ("  PASS test_poll  42 passed, 1 skipped"), then for each skipped
# test its name and the reason it printed; a failing suite's whole output is shown. V=1 shows
# every suite's whole output.
# CMIO_VALGRIND=1 runs every suite under valgrind (errors, definite leaks and fds the suite left
# open at exit — valgrind --track-fds — fail the suite);
# CMIO_RUNNER (e.g. "qemu-s390x -L /usr/s390x-linux-gnu") runs each suite under an emulator.
set -u
row=$1
results=$2
shift 2
mkdir -p "$(dirname "$results")"
# CMIO_PROBE (tests/backend_probe.c) exits 77 when this row's backend cannot run here (io_uring
# forbidden or missing): the row is then skipped, with the reason, instead of failing every suite.
if [ -n "${CMIO_VALGRIND:-}" ] && [ "${CMIO_BACKEND:-}" = uring ]; then
    # valgrind 3.19 keeps its big lock while a thread is in io_uring_enter (its wrapper does not
    # mark the call as blocking): every other thread stops, so a test whose wait needs another
    # thread hangs.
    why="valgrind runs no other thread while one waits in io_uring_enter"
    echo "==== row $row: skipped: $why ===="
    echo "# row $row skipped: $why" >>"$results"
    echo "$row (row) 0 0 1" >>"$results"
    exit 0
fi
if [ -n "${CMIO_PROBE:-}" ] && [ -x "$CMIO_PROBE" ]; then
    # shellcheck disable=SC2086
    why=$(timeout 60 ${CMIO_RUNNER:-} "$CMIO_PROBE" 2>&1)
    if [ $? -eq 77 ]; then
        echo "==== row $row: skipped: $why ===="
        echo "# row $row skipped: $why" >>"$results"
        echo "$row (row) 0 0 1" >>"$results"
        exit 0
    fi
fi
echo "==== row $row: $# suites ===="
for t in "$@"; do
    name=$(basename "$t")
    out=$(mktemp)
    if [ -n "${CMIO_VALGRIND:-}" ]; then
        vglog=$(mktemp)
        # valgrind does not see the closes io_uring makes (IORING_OP_CLOSE) and would list those
        # fds as open: test_uring counts its fds from /proc/self/fd around every test instead.
        trackfds=yes
        [ "$name" = test_uring ] && trackfds=no
        # CMIO_RUNNER names the runner to the suite (TEST_SKIP_UNDER in tests/test_util.h).
        CMIO_RUNNER=valgrind timeout 900 valgrind --quiet --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
            --track-fds=$trackfds --log-file="$vglog" "$t" >"$out" 2>&1
        rc=$?
        # --track-fds lists every fd open at exit beyond 0-2: one the suite opened (a stack
        # follows) is a leak; one inherited from whoever started it is not.
        leaked=$(awk '/Open file descriptor [0-9]+/ { fd = $0; sub(/.*descriptor /, "", fd);
                          sub(/:.*/, "", fd); getline nxt;
                          if (nxt !~ /inherited from parent/) printf " %s", fd }' "$vglog")
        if [ -n "$leaked" ]; then
            cat "$vglog" >>"$out"
            echo "run.sh: $row/$name left fds open at exit:$leaked (valgrind --track-fds)" >>"$out"
            [ "$rc" -eq 0 ] && rc=98
        else # the fd report lists only inherited fds: left out
            grep -v -E 'FILE DESCRIPTORS|Open file descriptor|inherited from parent|^==[0-9]+== *$' \
                "$vglog" >>"$out"
        fi
        rm -f "$vglog"
        (exit "$rc")
    else
        # shellcheck disable=SC2086
        timeout 300 ${CMIO_RUNNER:-} "$t" >"$out" 2>&1
    fi
    rc=$?
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    passed=${passed:-0}
    failed=${failed:-0}
    skipped=${skipped:-0}
    status=PASS
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "run.sh: $row/$name exited with status $rc (crash, timeout or valgrind error)" >>"$out"
        failed=1
    fi
    [ "$failed" -gt 0 ] && status=FAIL
    [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ] && status=FAIL && failed=1
    if [ "$status" = FAIL ] || [ "${V:-}" = 1 ]; then
        cat "$out"
    fi
    printf '  %s %-22s %4d passed, %d failed, %d skipped\n' "$status" "$name" "$passed" "$failed" \
        "$skipped"
    if [ "$status" = PASS ] && [ "$skipped" -gt 0 ] && [ "${V:-}" != 1 ]; then
        # Each skipped test with what it printed between its RUN and SKIPPED lines (the reason).
        awk '/^\[ RUN      \]/ { n = 0; next }
             /^\[  SKIPPED \] [^0-9]/ { if (seen[$4]++) next; printf "       skipped %s", $4; for (i = 1; i <= n; i++) printf "%s%s", (i == 1 ? ": " : "; "), l[i]; printf "\n"; n = 0; next }
             /^\[/ { n = 0; next }
             { l[++n] = $0 }' "$out"
    fi
    echo "$row $name $passed $failed $skipped" >>"$results"
    rm -f "$out"
done
