#!/bin/sh
# SPDX-License-Identifier: MIT
# deps.sh: installs what the WASI row needs and this machine lacks, from Debian (as root, with
# apt-get, saying so); otherwise prints the command and fails. Needed: clang (wasm32 target),
# wasm-ld (lld-14), llvm-ar (llvm-14), wasi-libc, the wasm32 compiler-rt builtins, wabt (wasm2c,
# wasm-rt-impl.c), a native gcc for the host and the harness, python3 for the surface check.
set -u
PKGS="clang lld-14 llvm-14 wasi-libc libclang-rt-14-dev-wasm32 wabt gcc make python3"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "wasi: missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "wasi: installing them: apt-get install -y --no-install-recommends$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    { apt-get update -qq && apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
        --no-install-recommends $missing; } >/dev/null || {
        echo "wasi: apt-get install failed" >&2
        exit 1
    }
    exit 0
fi
echo "wasi: run this (as root) and try again:" >&2
echo "    apt-get install -y --no-install-recommends$missing" >&2
exit 1
