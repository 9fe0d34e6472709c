# SPDX-License-Identifier: MIT
# CMake toolchain: cmocka for the cmio matrix row "macos", target aarch64-macos (tests/matrix.sh).
# Zig's clang with the macOS SDK headers and libSystem stubs it ships; tests/matrix.sh installs
# Zig with npm and sets CMIO_ZIG_BIN to its wrappers (cc-aarch64-macos, ar, ranlib).
set(CMAKE_SYSTEM_NAME Darwin)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER $ENV{CMIO_ZIG_BIN}/cc-aarch64-macos)
set(CMAKE_AR $ENV{CMIO_ZIG_BIN}/ar)
set(CMAKE_RANLIB $ENV{CMIO_ZIG_BIN}/ranlib)
