# SPDX-License-Identifier: MIT
# harness.sh — sourced by the shell suites (tests/suite_*.sh), which test what is not C: the
# installation, the API/ABI checks, the examples. A failing case prints its output in full and a
# FAIL line, a skipped case its reason; passing cases are silent (V=1 shows them). t_end prints the suite's
# line in the format of tests/run.sh, appends "ROW SUITE PASSED FAILED SKIPPED" to the results
# file (tests/summary.sh counts it with the cmocka suites) and exits 1 if a case failed.
#
#   . tests/harness.sh; t_begin ROW SUITE RESULTS
#   t_case NAME COMMAND...     runs COMMAND (stdout+stderr captured); exit 0 = pass
#   t_skip NAME REASON
#   t_end
# A case runs in a subshell; $T_TMP is a scratch directory removed by t_end.

t_begin() {
    T_ROW=$1
    T_SUITE=$2
    T_RESULTS=$3
    T_PASSED=0
    T_FAILED=0
    T_SKIPPED=0
    T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cmio-$T_SUITE.XXXXXX") || exit 1
    # A make run from a case must not inherit the parent make's jobserver or variables.
    unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
    trap 'rm -rf "$T_TMP"' EXIT
}

t_case() {
    t_name=$1
    shift
    t_out="$T_TMP/.out"
    ("$@") >"$t_out" 2>&1
    t_rc=$?
    if [ "$t_rc" -eq 0 ]; then
        T_PASSED=$((T_PASSED + 1))
        if [ "${V:-}" = 1 ]; then
            sed 's/^/        /' "$t_out"
            echo "       ok   $t_name"
        fi
    else
        T_FAILED=$((T_FAILED + 1))
        sed 's/^/        /' "$t_out"
        echo "       FAIL $t_name (exit status $t_rc)"
    fi
    rm -f "$t_out"
    return 0
}

t_skip() {
    T_SKIPPED=$((T_SKIPPED + 1))
    echo "       skipped $1: $2"
}

t_end() {
    status=PASS
    [ "$T_FAILED" -gt 0 ] && status=FAIL
    printf '  %s %-22s %4d passed, %d failed, %d skipped\n' "$status" "$T_SUITE" "$T_PASSED" \
        "$T_FAILED" "$T_SKIPPED"
    mkdir -p "$(dirname "$T_RESULTS")"
    echo "$T_ROW $T_SUITE $T_PASSED $T_FAILED $T_SKIPPED" >>"$T_RESULTS"
    [ "$T_FAILED" -eq 0 ]
    exit $?
}

# Fails (with the text) unless "$1" contains "$2".
t_contains() {
    case $1 in
    *"$2"*) return 0 ;;
    esac
    printf 'expected to find: %s\nin:\n%s\n' "$2" "$1"
    return 1
}
