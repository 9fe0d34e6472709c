#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what `make test` needs and this machine lacks: cmocka, a Python with Jinja2 + PyYAML
# (for check-generated), clang-format, g++, pkg-config, cmake, abigail-tools. As root it runs
# apt-get and says so; otherwise it prints the exact command and fails.
set -u
here=$(dirname "$0")
missing=""

have_cmocka() {
    printf '#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <setjmp.h>\n#include <cmocka.h>\nint main(void){return 0;}\n' |
        ${CC:-cc} -x c - -o /dev/null -lcmocka >/dev/null 2>&1
}

have_cmocka || missing="$missing libcmocka-dev"
"$here/../codegen/find-python" >/dev/null 2>&1 || missing="$missing python3-jinja2 python3-yaml"
command -v "${CLANG_FORMAT:-clang-format}" >/dev/null 2>&1 || missing="$missing clang-format"
# The installation suite (pkg-config, C++ and CMake consumers) and the ABI check (libabigail).
command -v g++ >/dev/null 2>&1 || missing="$missing g++"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v abidiff >/dev/null 2>&1 || missing="$missing abigail-tools"

[ -z "$missing" ] && exit 0

echo "make test: missing test dependencies:$missing"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "make test: installing them: apt-get install -y$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null || {
        echo "make test: apt-get install failed" >&2
        exit 1
    }
    exit 0
fi
echo "make test: run this (as root) and try again:" >&2
echo "    apt-get install -y$missing" >&2
exit 1
