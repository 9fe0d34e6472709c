# SPDX-License-Identifier: MIT
# ---- compiled and linked, not run (issue 12: the macos matrix row) -------------------------
# compile-all: libcmio (static and shared), the examples and every test binary, nothing run; what
# `make test-matrix MATRIX=macos` builds for x86_64-macos and aarch64-macos with Zig's clang and
# the macOS SDK headers it ships (tests/matrix.sh installs Zig under build/matrix with npm).
.PHONY: compile-all
compile-all: lib examples $(TESTS)
