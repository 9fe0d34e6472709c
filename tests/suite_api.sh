#!/bin/sh
# SPDX-License-Identifier: MIT
# suite_api.sh ROW RESULTS: the API as data is the API that ships.
#   - libcmio.so exports exactly what generated/api.json lists for this platform (from the type
#     files and idl/runtime.yaml, private cmio__ exports included): `nm -D --defined-only` minus
#     the C runtime's _init/_fini — nothing undocumented, nothing missing;
#   - every signature in the IDL is the one the headers declare (generate.py decl-check compiles);
#   - every public export has its man page, and every page renders without a groff warning;
#   - `make api-check` passes, and on a changed copy of idl/ fails with a readable diff when an
#     op is removed, a parameter type changes, a runtime function is removed or changes its
#     result, or an op loses a platform; an added op passes and is listed;
#   - `make api-baseline` is deterministic.
# Needs CMIO_ROOT, CMIO_BUILD, CMIO_PLATFORM, CMIO_CC, CMIO_PYTHON.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"
t_begin "$1" suite_api "$2"

root=$CMIO_ROOT
py=${CMIO_PYTHON:-python3}
cc=${CMIO_CC:-cc}
gen() { "$py" "$root/codegen/generate.py" "$@"; }
nm_tool=${NM:-nm}

case_exports_equal() {
    # generated/api.json's export list (kept current by check-generated) for this platform.
    "$py" -c 'import json, sys
for e in json.load(open(sys.argv[1]))["exports"]:
    if sys.argv[2] in e["platforms"]:
        print(e["name"])' "$root/generated/api.json" "$CMIO_PLATFORM" | sort >"$T_TMP/idl.txt" || return 1
    "$nm_tool" -D --defined-only "$CMIO_BUILD/libcmio.so" | awk '{print $3}' |
        grep -v -e '^_init$' -e '^_fini$' | sort >"$T_TMP/so.txt" || return 1
    if ! diff -u "$T_TMP/idl.txt" "$T_TMP/so.txt" >"$T_TMP/diff.txt"; then
        echo "the exports of libcmio.so (+) differ from generated/api.json's for $CMIO_PLATFORM (-):"
        cat "$T_TMP/diff.txt"
        echo "declare each export in idl/<type>.yaml or idl/runtime.yaml (private cmio__ ones under 'private:')"
        return 1
    fi
    echo "$(wc -l <"$T_TMP/so.txt") exports, $(grep -c '^cmio__' "$T_TMP/so.txt") private"
}

case_decl_check() {
    gen decl-check --platform "$CMIO_PLATFORM" >"$T_TMP/decl.c" || return 1
    inc="-I$root/runtime/include -I$root/generated/$CMIO_PLATFORM/include"
    # shellcheck disable=SC2086
    $cc -std=c11 -Wall -Wextra -Werror $inc -fsyntax-only "$T_TMP/decl.c" &&
        $cc -std=c11 -Wall -Wextra -Werror -DCMIO_NO_INLINE $inc -fsyntax-only "$T_TMP/decl.c"
}

case_decl_check_catches() {
    # The check itself: a wrong signature must not compile.
    gen decl-check --platform "$CMIO_PLATFORM" |
        sed 's/int (\*)(cmio_events \*\*, size_t)/int (*)(cmio_events **, int)/' >"$T_TMP/bad.c" || return 1
    grep -q 'cmio_events \*\*, int' "$T_TMP/bad.c" || { echo "no cmio_events_new line to change"; return 1; }
    if $cc -std=c11 -I"$root/runtime/include" -I"$root/generated/$CMIO_PLATFORM/include" \
        -fsyntax-only "$T_TMP/bad.c" 2>"$T_TMP/err.txt"; then
        echo "a wrong signature compiled"
        return 1
    fi
    t_contains "$(cat "$T_TMP/err.txt")" "cmio_events_new: the header does not declare"
}

case_man_pages() {
    man3=$root/generated/man/man3
    missing=""
    for n in $(gen exports --platform "$CMIO_PLATFORM" | grep -v '^cmio__'); do
        [ -f "$man3/$n.3" ] || missing="$missing $n"
    done
    [ -z "$missing" ] || { echo "no man page for:$missing"; return 1; }
    for f in "$man3"/*.3; do
        w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
        [ -z "$w" ] || { echo "$f: $w"; return 1; }
    done
    echo "$(ls "$man3" | wc -l) pages"
}

case_api_check_passes() {
    (cd "$root" && make --no-print-directory api-check)
}

# A copy of idl/ changed by a Python snippet (the text of each file in `s`), then api-check on
# it with the committed baseline; prints the output and returns api-check's status.
api_check_changed() {
    rm -rf "$T_TMP/idl" && cp -a "$root/idl" "$T_TMP/idl" || return 2
    "$py" - "$T_TMP/idl/$1" "$2" <<'EOF' || return 2
import re, sys
path, code = sys.argv[1], sys.argv[2]
s = open(path, encoding="utf-8").read()
old = s
exec(code)
if s == old:
    sys.exit(f"the change did not apply to {path}")
open(path, "w", encoding="utf-8").write(s)
EOF
    gen api-check --idl "$T_TMP/idl" --baseline "$root/idl/api-baseline.json"
}

expect_api_failure() {
    file=$1 code=$2
    shift 2
    out=$(api_check_changed "$file" "$code" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    [ "$rc" -eq 1 ] || { echo "api-check exited with $rc, not 1"; return 1; }
    for want in "$@"; do t_contains "$out" "$want" || return 1; done
}

case_removed_op() {
    expect_api_failure tcp_stream.yaml \
        's = re.sub(r"\n  - name: set_nodelay\n(    .*\n|\n(?=    ))*", "\n", s, count=1)' \
        "- removed   cmio_tcp_stream_set_nodelay: int (cmio_tcp_stream *, bool)" "FAILED"
}

case_param_type() {
    expect_api_failure tcp_stream.yaml \
        's = re.sub(r"(\n  - name: set_ttl\n(?:    .*\n)*?      - name: ttl\n        type: )u32", r"\1bool", s, count=1)' \
        "~ changed   cmio_tcp_stream_set_ttl" "was: int (cmio_tcp_stream *, uint32_t)" \
        "now: int (cmio_tcp_stream *, bool)"
}

case_runtime_removed() {
    expect_api_failure runtime.yaml \
        's = re.sub(r"\n      - name: cmio_events_capacity\n(        .*\n|\n(?=        ))*", "\n", s, count=1)' \
        "- removed   cmio_events_capacity: size_t (const cmio_events *)"
}

case_runtime_result() {
    expect_api_failure runtime.yaml \
        's = s.replace("- name: cmio_events_len\n        result: size_t", "- name: cmio_events_len\n        result: int", 1)' \
        "~ changed   cmio_events_len" "was: size_t (const cmio_events *)" "now: int (const cmio_events *)"
}

case_platform_lost() {
    expect_api_failure tcp_stream.yaml \
        's = re.sub(r"(\n  - name: nodelay\n(?:    .*\n)*?    available: )native", r"\1unix", s, count=1)' \
        "- platforms cmio_tcp_stream_nodelay: no longer on windows"
}

case_added_op() {
    out=$(api_check_changed tcp_stream.yaml \
        's = s.replace("\n  - name: nodelay\n", "\n  - name: nodelay_again\n    kind: sockopt_get\n    option: {level: IPPROTO_TCP, name: TCP_NODELAY}\n    doc: Gets TCP_NODELAY again.\n    params:\n      - {name: nodelay, type: bool, dir: out, doc: Receives it.}\n    available: native\n\n  - name: nodelay\n", 1)' 2>&1)
    rc=$?
    printf '%s\n' "$out"
    [ "$rc" -eq 0 ] || { echo "api-check failed on an addition"; return 1; }
    t_contains "$out" "+ added     cmio_tcp_stream_nodelay_again: int (const cmio_tcp_stream *, bool *)" &&
        t_contains "$out" "make api-baseline"
}

case_baseline_deterministic() {
    gen api-baseline --baseline "$T_TMP/b1.json" >/dev/null &&
        gen api-baseline --baseline "$T_TMP/b2.json" >/dev/null || return 1
    cmp "$T_TMP/b1.json" "$T_TMP/b2.json"
}

t_case "libcmio.so exports exactly api.json's exports for $CMIO_PLATFORM" case_exports_equal
t_case "every IDL signature is the header's (decl-check compiles)" case_decl_check
t_case "decl-check rejects a wrong signature" case_decl_check_catches
if command -v groff >/dev/null 2>&1; then
    t_case "every public export has a man page; every page renders cleanly" case_man_pages
else
    t_skip "man pages render" "groff is not installed (apt-get install groff-base)"
fi
t_case "make api-check passes" case_api_check_passes
t_case "api-check: a removed op fails" case_removed_op
t_case "api-check: a changed parameter type fails" case_param_type
t_case "api-check: a removed runtime function fails" case_runtime_removed
t_case "api-check: a changed result type fails" case_runtime_result
t_case "api-check: a lost platform fails" case_platform_lost
t_case "api-check: an added op passes and is listed" case_added_op
t_case "api-baseline is deterministic" case_baseline_deterministic
t_end
