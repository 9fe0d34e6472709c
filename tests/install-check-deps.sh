#!/bin/sh
# SPDX-License-Identifier: MIT
# install-check-deps.sh WHAT...: installs what a check target needs and this machine lacks, as
# tests/install-deps.sh does for `make test` (as root: apt-get, and says so; otherwise prints the
# command and fails). WHAT: valgrind (make test-valgrind), clang-rt (clang with its sanitizer and
# libFuzzer runtimes: make test-tsan, make fuzz, make test-faults).
set -u
missing=""
for what in "$@"; do
    case $what in
    valgrind)
        command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
        ;;
    clang-rt)
        command -v clang >/dev/null 2>&1 || missing="$missing clang"
        # The runtimes: a program built with -fsanitize=thread and one with -fsanitize=fuzzer link.
        tmp=$(mktemp -d)
        printf 'int main(void){return 0;}\n' >"$tmp/t.c"
        printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n){(void)d;(void)n;return 0;}\n' >"$tmp/f.c"
        if ! clang -fsanitize=thread "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1 ||
            ! clang -fsanitize=fuzzer,address,undefined "$tmp/f.c" -o "$tmp/f" >/dev/null 2>&1; then
            v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
            missing="$missing libclang-rt-${v:-14}-dev"
        fi
        rm -rf "$tmp"
        ;;
    *)
        echo "install-check-deps.sh: unknown dependency '$what'" >&2
        exit 2
        ;;
    esac
done
[ -z "$missing" ] && exit 0
echo "make: missing check dependencies:$missing"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "make: installing them: apt-get install -y$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null &&
        apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "make: apt-get install failed" >&2
        exit 1
    }
    exit 0
fi
echo "make: run this (as root) and try again:" >&2
echo "    apt-get install -y$missing" >&2
exit 1
