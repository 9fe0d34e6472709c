#!/bin/sh
# SPDX-License-Identifier: MIT
# suite_abi.sh ROW RESULTS: `make abi-check` (libabigail's abidiff against abi/<platform>-<arch>.abi)
# passes on this build and catches what breaks programs built against libcmio.so.MAJOR. Each
# negative case changes a copy of the source tree, rebuilds libcmio.so there (-O0, reusing this
# build's objects so that only what the change touches is compiled) and runs the copy's
# `make abi-check`, which must fail naming the change:
#   - a removed export (cmio_version_string),
#   - a changed parameter type (cmio_events_new's capacity: size_t -> unsigned),
#   - a changed layout of cmio_io_source (a field before fd1: size and offsets), which every
#     socket struct embeds and the inline fast paths read,
#   - a changed layout of the poll head (struct cmio__poll_head, read by the inline
#     cmio_poll_poll),
# and an added export passes (listed). Needs CMIO_ROOT, CMIO_BUILD, CMIO_PLATFORM, CMIO_CC.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"
t_begin "$1" suite_abi "$2"

root=$CMIO_ROOT
cc=${CMIO_CC:-cc}
arch=$($cc -dumpmachine | cut -d- -f1)
baseline=abi/$CMIO_PLATFORM-$arch.abi
copy=$T_TMP/src
# The build directory inside the tree (its .d files name the sources relative to the tree).
case $CMIO_BUILD in
"$root"/*) brel=${CMIO_BUILD#"$root"/} ;;
*) brel=build/abi-variant ;;
esac

make_copy() {
    mkdir -p "$copy" || return 1
    (cd "$root" && git ls-files -z --cached --others --exclude-standard runtime "generated/$CMIO_PLATFORM" \
        mk pkg abi codegen Makefile VERSION 2>/dev/null | xargs -0 -r cp -a --parents -t "$copy") || return 1
    if [ ! -f "$copy/Makefile" ]; then # not a git checkout: copy the folders whole
        (cd "$root" && cp -a --parents runtime "generated/$CMIO_PLATFORM" mk pkg abi codegen \
            Makefile VERSION "$copy") || return 1
    fi
    if [ "$brel" != build/abi-variant ]; then
        mkdir -p "$copy/$brel" &&
            cp -a "$CMIO_BUILD/runtime" "$CMIO_BUILD/gen" "$copy/$brel/" 2>/dev/null
    fi
    return 0
}

# Restores every file a previous case changed (the next case's build recompiles them anyway).
restore() {
    for f in runtime/version.c runtime/events.c runtime/include/cmio/poll.h \
        runtime/include/cmio/io_source.h; do
        cmp -s "$root/$f" "$copy/$f" || cp "$root/$f" "$copy/$f"
    done
}

abi_check_copy() {
    (cd "$copy" && make --no-print-directory B="$brel" PLATFORM="$CMIO_PLATFORM" CC="$cc" \
        SANITIZE="${CMIO_SANITIZE:-}" CFLAGS="-O0 -g" lib >/dev/null &&
        make --no-print-directory B="$brel" PLATFORM="$CMIO_PLATFORM" CC="$cc" \
            SANITIZE="${CMIO_SANITIZE:-}" abi-check)
}

# Runs the copy's abi-check, which must fail; its output must contain every given string.
expect_abi_failure() {
    out=$(abi_check_copy 2>&1)
    rc=$?
    printf '%s\n' "$out"
    [ "$rc" -ne 0 ] || { echo "abi-check passed, but the ABI changed"; return 1; }
    for want in "$@"; do t_contains "$out" "$want" || return 1; done
}

case_passes() {
    (cd "$root" && make --no-print-directory B="$CMIO_BUILD" PLATFORM="$CMIO_PLATFORM" CC="$cc" \
        SANITIZE="${CMIO_SANITIZE:-}" abi-check)
}

case_sees_layouts() {
    # The baseline holds the layouts the inline code reads: abidiff compares what it holds.
    for t in cmio_io_source cmio__poll_head cmio_events cmio_poll; do
        grep -q "<class-decl name='$t' size-in-bits=" "$root/$baseline" || { echo "$baseline lacks struct $t"; return 1; }
    done
}

case_removed() {
    restore
    sed -i '/^const char \*cmio_version_string(void)$/,/^}$/d' "$copy/runtime/version.c"
    grep -q cmio_version_string "$copy/runtime/version.c" && { echo "could not remove it"; return 1; }
    expect_abi_failure "1 Removed" "cmio_version_string" "FAILED"
}

case_param_type() {
    restore
    sed -i 's/int cmio_events_new(cmio_events \*\*out, size_t capacity)/int cmio_events_new(cmio_events **out, unsigned capacity)/' \
        "$copy/runtime/include/cmio/poll.h" "$copy/runtime/events.c"
    grep -q "unsigned capacity" "$copy/runtime/events.c" || { echo "could not change it"; return 1; }
    expect_abi_failure "cmio_events_new" "type size changed from 64 to 32" "FAILED"
}

case_io_source_layout() {
    restore
    sed -i 's/^\(    cmio__handle fd1;\)/    int cmio_test_pad;\n\1/' "$copy/runtime/include/cmio/io_source.h"
    grep -q cmio_test_pad "$copy/runtime/include/cmio/io_source.h" || { echo "could not change it"; return 1; }
    expect_abi_failure "struct cmio_io_source' changed" "'int fd1' offset changed from 0 to 32" "FAILED"
}

case_poll_head_layout() {
    restore
    sed -i 's/^\(    int epfd;\)$/\1\n    int cmio_test_flags;/' "$copy/runtime/include/cmio/poll.h"
    grep -q cmio_test_flags "$copy/runtime/include/cmio/poll.h" || { echo "could not change it"; return 1; }
    expect_abi_failure "cmio__poll_head head' changed" "type size changed from 32 to 64" "FAILED"
}

case_added() {
    restore
    printf '__attribute__((visibility("default"))) int cmio_test_added(void);\nint cmio_test_added(void)\n{\n    return 1;\n}\n' \
        >>"$copy/runtime/version.c"
    out=$(abi_check_copy 2>&1) || { printf '%s\n' "$out"; return 1; }
    t_contains "$out" "cmio_test_added" && t_contains "$out" "only additions"
}

if ! command -v abidiff >/dev/null 2>&1; then
    t_skip "every case" "abidiff is missing (apt-get install abigail-tools)"
elif [ ! -f "$root/$baseline" ]; then
    t_skip "every case" "no ABI baseline $baseline for this platform and architecture (make abi-baseline)"
else
    t_case "make abi-check passes on this build" case_passes
    t_case "the baseline holds the layouts the inline code reads" case_sees_layouts
    if make_copy; then
        t_case "a removed export fails abi-check" case_removed
        t_case "a changed parameter type fails abi-check" case_param_type
        t_case "a changed cmio_io_source layout fails abi-check" case_io_source_layout
        t_case "a changed poll head layout fails abi-check" case_poll_head_layout
        t_case "an added export passes abi-check, listed" case_added
    else
        t_case "copy the source tree" false
    fi
fi
t_end
