# SPDX-License-Identifier: MIT
# CMake toolchain: cmocka for the cmio matrix row "musl" (tests/matrix.sh). Debian's musl-tools:
# musl-gcc wraps the host gcc with musl's headers and libc (/usr/lib/musl, /usr/include/x86_64-linux-musl).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER musl-gcc)
