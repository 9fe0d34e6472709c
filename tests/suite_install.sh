#!/bin/sh
# SPDX-License-Identifier: MIT
# suite_install.sh ROW RESULTS: the library as a user adopts it (run by `make test`, which sets
# CMIO_ROOT (the source tree), CMIO_BUILD (the built row's directory), CMIO_PLATFORM, CMIO_CC).
#
# `make install` into a temporary DESTDIR with PREFIX=/opt/cmio; then out-of-tree consumers
# (tests/consumer/) are built against the staged installation and run: C via pkg-config (shared,
# and --static), C++ via pkg-config, CMake find_package (cmio::cmio, cmio::cmio_static, C++), a
# program linked in the build tree; then `make uninstall` must leave nothing behind. Also the
# packager conventions of the Makefile (CPPFLAGS, LDFLAGS, AR, WERROR=0, V=1, out-of-tree
# builds), checked on `make -n` (the commands make would run).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/harness.sh"
t_begin "$1" suite_install "$2"

root=$CMIO_ROOT
build=$CMIO_BUILD
cc=${CMIO_CC:-cc}
# A sanitizer build (make test SANITIZE=1): its library needs the consumers built the same way.
san=""
[ -n "${CMIO_SANITIZE:-}" ] && san="-fsanitize=address,undefined"
make_cmio() { make --no-print-directory -f "$root/Makefile" B="$build" PLATFORM="$CMIO_PLATFORM" CC="$cc" SANITIZE="${CMIO_SANITIZE:-}" "$@"; }

version=$(cat "$root/VERSION")
major=${version%%.*}
stage=$T_TMP/stage
prefix=/opt/cmio
inst=$stage$prefix
consumer=$root/tests/consumer

# pkg-config of the staged installation: its paths are /opt/cmio/…, found under DESTDIR.
pc() { PKG_CONFIG_PATH=$inst/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage PKG_CONFIG_LIBDIR= pkg-config "$@"; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
run_shared() { LD_LIBRARY_PATH=$inst/lib "$@"; }

case_install() {
    make_cmio install DESTDIR="$stage" PREFIX=$prefix || return 1
    for f in include/cmio/cmio.h include/cmio/poll.h include/cmio/common.h include/cmio/version.h \
        include/cmio/platform.h include/cmio/tcp_stream.h lib/libcmio.a "lib/libcmio.so.$version" \
        lib/pkgconfig/cmio.pc lib/cmake/cmio/cmio-config.cmake \
        lib/cmake/cmio/cmio-config-version.cmake share/doc/cmio/LICENSE \
        share/man/man3/cmio.3 share/man/man3/cmio_tcp_stream_connect.3 \
        share/man/man3/cmio_poll_poll.3; do
        [ -f "$inst/$f" ] || { echo "missing: $prefix/$f"; return 1; }
    done
    # One merged include/cmio: every runtime and generated header, nothing else.
    want=$( (ls "$root/runtime/include/cmio" "$root/generated/$CMIO_PLATFORM/include/cmio") | grep '\.h$' | sort)
    got=$(ls "$inst/include/cmio" | sort)
    [ "$want" = "$got" ] || { printf 'include/cmio differs:\nwant: %s\ngot: %s\n' "$want" "$got"; return 1; }
    [ "$(readlink "$inst/lib/libcmio.so.$major")" = "libcmio.so.$version" ] || { echo "bad link libcmio.so.$major"; return 1; }
    [ "$(readlink "$inst/lib/libcmio.so")" = "libcmio.so.$major" ] || { echo "bad link libcmio.so"; return 1; }
    soname=$(readelf -d "$inst/lib/libcmio.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = "libcmio.so.$major" ] || { echo "SONAME is '$soname', not libcmio.so.$major"; return 1; }
    [ "$(pc --modversion cmio)" = "$version" ] || { echo "cmio.pc version: $(pc --modversion cmio)"; return 1; }
    t_contains "$(pc --static --libs cmio)" "-pthread"
}

case_pkgconfig_shared() {
    # shellcheck disable=SC2046
    $cc -std=c11 -Wall -Wextra -Werror $san -o "$T_TMP/c_shared" "$consumer/consumer.c" $(pc --cflags --libs cmio) || return 1
    t_contains "$(needed "$T_TMP/c_shared")" "libcmio.so.$major" || return 1
    run_shared "$T_TMP/c_shared"
}

case_pkgconfig_static() {
    # --static: the private libraries too; -static: libcmio.a, not the .so next to it. A
    # sanitizer build cannot link fully static: libcmio.a alone then (-Wl,-Bstatic).
    if [ -n "$san" ]; then
        libs=$(pc --static --libs cmio | sed 's/-lcmio/-Wl,-Bstatic -lcmio -Wl,-Bdynamic/')
        static=""
    else
        libs=$(pc --static --libs cmio)
        static=-static
    fi
    # shellcheck disable=SC2046,SC2086
    $cc -std=c11 -Wall -Wextra -Werror $san $static -o "$T_TMP/c_static" "$consumer/consumer.c" $(pc --cflags cmio) $libs || return 1
    if needed "$T_TMP/c_static" | grep -q libcmio; then echo "linked libcmio.so"; return 1; fi
    "$T_TMP/c_static"
}

case_cxx() {
    # shellcheck disable=SC2046
    g++ -std=c++11 -Wall -Wextra -Werror $san -o "$T_TMP/cxx" "$consumer/consumer.cpp" $(pc --cflags --libs cmio) || return 1
    out=$(run_shared "$T_TMP/cxx") || { echo "$out"; return 1; }
    t_contains "$out" "C++, cmio $version"
}

case_cmake() {
    bdir=$T_TMP/cmake
    cmake -S "$consumer" -B "$bdir" -DCMAKE_PREFIX_PATH="$inst" -DCMIO_WANT="$major.0" \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" \
        -DCMAKE_EXE_LINKER_FLAGS="$san" || return 1
    cmake --build "$bdir" || return 1
    t_contains "$(needed "$bdir/consumer_shared")" "libcmio.so.$major" || return 1
    if needed "$bdir/consumer_static" | grep -q libcmio; then echo "consumer_static linked libcmio.so"; return 1; fi
    run_shared "$bdir/consumer_shared" && "$bdir/consumer_static" && run_shared "$bdir/consumer_cxx"
}

case_cmake_version_refused() {
    # A newer MAJOR than the installed one must not be found.
    if cmake -S "$consumer" -B "$T_TMP/cmake-v" -DCMAKE_PREFIX_PATH="$inst" -DCMIO_WANT="$((major + 1)).0" \
        -DCMAKE_C_COMPILER="$cc" >"$T_TMP/cmake-v.log" 2>&1; then
        echo "find_package(cmio $((major + 1)).0) succeeded against cmio $version"
        return 1
    fi
    t_contains "$(cat "$T_TMP/cmake-v.log")" "$version"
}

case_build_tree() {
    # A program linked against the build tree runs (libcmio.so.MAJOR exists there).
    $cc -std=c11 -Wall -Wextra -Werror $san -o "$T_TMP/c_tree" "$consumer/consumer.c" \
        -I"$root/runtime/include" -I"$root/generated/$CMIO_PLATFORM/include" -L"$build" -lcmio || return 1
    LD_LIBRARY_PATH=$build "$T_TMP/c_tree"
}

case_uninstall() {
    make_cmio uninstall DESTDIR="$stage" PREFIX=$prefix || return 1
    left=$(find "$stage" ! -type d)
    [ -z "$left" ] || { echo "left behind:"; echo "$left"; return 1; }
}

case_packager_flags() {
    # The commands make would run for an out-of-tree build with a packager's variables.
    out=$(cd "$T_TMP" && make --no-print-directory -n -f "$root/Makefile" B="$T_TMP/oot" \
        PLATFORM="$CMIO_PLATFORM" CC="$cc" CPPFLAGS=-DCMIO_PKG_CPPFLAGS LDFLAGS=-Wl,-z,now \
        AR=cmio-test-ar WERROR=0 V=1 lib) || { echo "$out"; return 1; }
    t_contains "$out" "-DCMIO_PKG_CPPFLAGS" || return 1
    t_contains "$out" "-Wl,-z,now" || return 1
    t_contains "$out" "cmio-test-ar rcs $T_TMP/oot/libcmio.a" || return 1
    t_contains "$out" "$root/runtime/poll.c -o $T_TMP/oot/runtime/poll.o" || return 1
    t_contains "$out" "-Wl,-soname,libcmio.so.$major" || return 1
    if printf '%s\n' "$out" | grep -q -e '-Werror'; then echo "WERROR=0 still passes -Werror"; return 1; fi
    # Quiet by default: one short line per step, no compiler command line.
    q=$(cd "$T_TMP" && make --no-print-directory -n -f "$root/Makefile" B="$T_TMP/oot" \
        PLATFORM="$CMIO_PLATFORM" CC="$cc" V=0 lib) || return 1
    t_contains "$q" "printf '  %-7s %s\\n' 'CC' 'runtime/poll.c'"
}

t_case "make install into DESTDIR: merged headers, libraries, links, SONAME, cmio.pc" case_install
if [ -f "$inst/lib/pkgconfig/cmio.pc" ]; then
    if command -v pkg-config >/dev/null 2>&1; then
        t_case "pkg-config: a C program linked with libcmio.so runs" case_pkgconfig_shared
        t_case "pkg-config --static: a static C program runs" case_pkgconfig_static
        t_case "pkg-config: a C++ program runs" case_cxx
    else
        t_skip "pkg-config consumers" "pkg-config is not installed (apt-get install pkg-config)"
    fi
    if command -v cmake >/dev/null 2>&1; then
        t_case "CMake find_package(cmio): cmio::cmio, cmio::cmio_static, C++" case_cmake
        t_case "CMake find_package refuses another MAJOR" case_cmake_version_refused
    else
        t_skip "CMake consumers" "cmake is not installed (apt-get install cmake)"
    fi
fi
t_case "a program linked in the build tree runs" case_build_tree
t_case "make uninstall removes every installed file" case_uninstall
t_case "packager variables: CPPFLAGS, LDFLAGS, AR, WERROR=0, V=1, out-of-tree, quiet" case_packager_flags
t_end
