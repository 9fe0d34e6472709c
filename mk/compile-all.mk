# SPDX-License-Identifier: MIT
# ---- compiled and linked, not run (issue 12: the macos matrix row) -------------------------
# compile-all: libcmio (static and shared), the examples and the test binaries, nothing run; what
# `make test-matrix MATRIX=macos` builds for x86_64-macos and aarch64-macos with Zig's clang and
# the macOS SDK headers it ships (tests/matrix.sh installs Zig under build/matrix with npm).
.PHONY: compile-all
# The suites linked with --wrap (WRAP_SUITES, mk/checks.mk) are left out: ld64 has no --wrap.
compile-all: lib examples $(filter-out $(WRAP_SUITES:%=$(B)/tests/%),$(TESTS))
