# SPDX-License-Identifier: MIT
# CMake toolchain: cmocka for the cmio matrix row "macos", target x86_64-macos (tests/matrix.sh).
# Zig's clang with the macOS SDK headers and libSystem stubs it ships; tests/matrix.sh installs
# Zig with npm and sets CMIO_ZIG_BIN to its wrappers (cc-x86_64-macos, ar, ranlib).
set(CMAKE_SYSTEM_NAME Darwin)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $ENV{CMIO_ZIG_BIN}/cc-x86_64-macos)
set(CMAKE_AR $ENV{CMIO_ZIG_BIN}/ar)
set(CMAKE_RANLIB $ENV{CMIO_ZIG_BIN}/ranlib)
