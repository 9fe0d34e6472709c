#!/bin/sh
# SPDX-License-Identifier: MIT
# build-peers.sh [OUTDIR] — builds the echo servers cmio is benchmarked against, into OUTDIR
# (default build/bench, relative to the current directory):
#
#   echo_libuv      bench/echo_libuv.c      on libuv     (Debian libuv1-dev)
#   echo_libevent   bench/echo_libevent.c   on libevent  (Debian libevent-dev)
#   echo_libev      bench/echo_libev.c      on libev     (Debian libev-dev)
#   echo_mio        bench/mio/ (Rust)       on mio 0.8   (Debian librust-mio-dev, librust-libc-dev)
#
# Missing Debian packages are installed first with apt-get (as root; the list is printed). The C
# servers are built with $CC (default gcc) -std=c11 -O2 -g -Wall -Wextra -Werror; echo_mio with
# `cargo build --release --offline` against Debian's crates in /usr/share/cargo/registry (see
# bench/mio/.cargo/config.toml), its target folder $CARGO_TARGET_DIR (default build/mio-target
# under the repository). Exits non-zero naming every server that failed to build.
set -u

root=$(cd "$(dirname "$0")/.." && pwd) || exit 1
out=${1:-build/bench}
if ! mkdir -p "$out" || ! out=$(cd "$out" && pwd); then
    echo "build-peers: cannot create $out" >&2
    exit 1
fi
cc=${CC:-gcc}

# ---- packages ----------------------------------------------------------------------------------

installed() {
    dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

want="libuv1-dev libevent-dev libev-dev librust-mio-dev librust-libc-dev"
command -v "$cc" >/dev/null 2>&1 || want="$want gcc"
# The machine's cargo (rustup) is used when there is one; otherwise Debian's.
command -v cargo >/dev/null 2>&1 || want="$want cargo"
missing=
for p in $want; do
    installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "build-peers: installing with apt-get:$missing"
    if [ "$(id -u)" != 0 ]; then
        echo "build-peers: not root: install$missing yourself" >&2
    else
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086 # one word per package
        apt-get install -y -q $missing >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $missing >/dev/null; } ||
            echo "build-peers: apt-get install$missing failed" >&2
    fi
fi

# ---- build -------------------------------------------------------------------------------------

failed=

build_c() { # NAME LIBS...
    name=$1
    shift
    if "$cc" -std=c11 -O2 -g -Wall -Wextra -Werror -o "$out/$name" "$root/bench/$name.c" "$@"; then
        echo "build-peers: $out/$name"
    else
        failed="$failed $name"
    fi
}

build_c echo_libuv -luv
build_c echo_libevent -levent_core
build_c echo_libev -lev

target=${CARGO_TARGET_DIR:-$root/build/mio-target}
if (cd "$root/bench/mio" && CARGO_TARGET_DIR=$target cargo build --release --offline --quiet) &&
    cp "$target/release/echo_mio" "$out/echo_mio.tmp" && mv "$out/echo_mio.tmp" "$out/echo_mio"; then
    echo "build-peers: $out/echo_mio"
else
    failed="$failed echo_mio"
fi

if [ -n "$failed" ]; then
    echo "build-peers: FAILED:$failed" >&2
    exit 1
fi
