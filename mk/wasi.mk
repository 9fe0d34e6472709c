# SPDX-License-Identifier: MIT
# ---- the WASI row: cmio's real wasm32-wasi build, run under a minimal test host --------------
#
#   make test-wasi        the row alone, with its summary (make test-matrix MATRIX=wasi: as a row
#                         of the matrix). Installs what is missing first (tests/wasi/deps.sh:
#                         apt-get as root, saying so).
#   make wasi-run-tests   builds and checks, runs the row, appends its results (matrix.sh uses it)
#
# Steps: libcmio.a for wasm32-wasi (runtime/ + generated/wasi/src, clang + wasi-libc); the wasi
# headers each compile alone (C11, C++11, C11 with CMIO_NO_INLINE) and expose exactly the IDL's
# wasi operations (tests/check_surface.py); tests/wasi/test_wasi.c linked against that library
# into test_wasi.wasm; wasm2c turns it into C (module "guest"), linked natively with the test host
# (tests/wasi/host.c) and wabt's wasm-rt-impl.c into build/wasi/test_wasi; the harness
# (tests/wasi/harness.c) passes it a 127.0.0.1 listener as fd 3 and plays the clients.
#
# Debian's toolchain: clang --target=wasm32-wasi --sysroot=/usr finds wasi-libc in
# /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi, wasm-ld in lld-14 and the builtins in
# libclang-rt-14-dev-wasm32; -nostdlibinc keeps the host's /usr/include out of the search, so a
# header wasi-libc lacks is an error, not glibc's. The guest's stack comes first in its memory
# (--stack-first): an overflow traps instead of overwriting data.

WASI_B := build/wasi
WASI_CC ?= clang
WASI_AR ?= llvm-ar-14
WASI_SYSROOT ?= /usr
WASM2C ?= wasm2c
WASM_RT_DIR ?= /usr/share/wabt/wasm2c
WASI_ROW := wasi-$(notdir $(WASI_CC))/poll/none

WASI_TARGET := --target=wasm32-wasi --sysroot=$(WASI_SYSROOT) -nostdlibinc \
	-isystem $(WASI_SYSROOT)/include/wasm32-wasi
WASI_CFLAGS := $(WASI_TARGET) $(WFLAGS) -O2
WASI_INCLUDES := -I$(S)runtime/include -I$(S)generated/wasi/include
WASI_LDFLAGS := -Wl,--stack-first -Wl,-z,stack-size=262144

WASI_OBJS := $(patsubst $(S)runtime/%.c,$(WASI_B)/runtime/%.o,$(wildcard $(S)runtime/*.c)) \
	$(patsubst $(S)generated/wasi/src/%.c,$(WASI_B)/gen/%.o,$(wildcard $(S)generated/wasi/src/*.c))

.PHONY: test-wasi wasi-run-tests wasi-deps wasi-lib wasi-check-headers wasi-check-surface

wasi-deps:
	@sh $(S)tests/wasi/deps.sh

$(WASI_B)/runtime/%.o: $(S)runtime/%.c
	@mkdir -p $(@D)
	$(WASI_CC) $(WASI_CFLAGS) -D_GNU_SOURCE $(WASI_INCLUDES) -I$(S)runtime -MMD -MP -c $< -o $@

$(WASI_B)/gen/%.o: $(S)generated/wasi/src/%.c
	@mkdir -p $(@D)
	$(WASI_CC) $(WASI_CFLAGS) $(WASI_INCLUDES) -I$(S)runtime -I$(S)generated/wasi/src -MMD -MP \
		-c $< -o $@

$(WASI_B)/libcmio.a: $(WASI_OBJS)
	rm -f $@
	$(WASI_AR) rcs $@ $^

wasi-lib: $(WASI_B)/libcmio.a

# Every public header alone, for wasm32: C11, C++11, and C11 without the inline fast paths.
wasi-check-headers:
	@for h in $(S)runtime/include/cmio/*.h $(S)generated/wasi/include/cmio/*.h; do \
		n=$$(basename $$h); \
		printf '#include <cmio/%s>\n' $$n | $(WASI_CC) $(WASI_CFLAGS) $(WASI_INCLUDES) -x c -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(WASI_CC) $(WASI_TARGET) -std=c++11 -Wall -Wextra -Werror $(WASI_INCLUDES) -x c++ -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(WASI_CC) $(WASI_CFLAGS) $(WASI_INCLUDES) -DCMIO_NO_INLINE -x c -fsyntax-only - || exit 1; \
	done; echo "check-headers: wasi: every header compiles alone for wasm32 as C11 and C++11 (and C11 with CMIO_NO_INLINE)"

# Exactly the IDL's wasi operations are declared; every other one (and the Waker) does not compile.
wasi-check-surface:
	@python3 $(S)tests/check_surface.py wasi $(WASI_B)/surface -- $(WASI_CC) $(WASI_CFLAGS) $(WASI_INCLUDES)

$(WASI_B)/test_wasi.wasm: $(S)tests/wasi/test_wasi.c $(S)tests/wasi/protocol.h $(WASI_B)/libcmio.a
	$(WASI_CC) $(WASI_CFLAGS) $(WASI_INCLUDES) $< $(WASI_B)/libcmio.a $(WASI_LDFLAGS) -o $@

# wasm2c writes guest.c and guest.h together.
$(WASI_B)/guest.c: $(WASI_B)/test_wasi.wasm
	$(WASM2C) -n guest $< -o $@
$(WASI_B)/guest.h: $(WASI_B)/guest.c

# The translated module and wabt's runtime are third-party style C: built without our warnings.
$(WASI_B)/guest.o: $(WASI_B)/guest.c $(WASI_B)/guest.h
	$(CC) -O1 -w -I$(WASM_RT_DIR) -c $< -o $@

$(WASI_B)/wasm-rt-impl.o: $(WASM_RT_DIR)/wasm-rt-impl.c
	@mkdir -p $(@D)
	$(CC) -O1 -w -I$(WASM_RT_DIR) -c $< -o $@

$(WASI_B)/host.o: $(S)tests/wasi/host.c $(WASI_B)/guest.h
	$(CC) $(WFLAGS) -O2 -I$(WASI_B) -I$(WASM_RT_DIR) -c $< -o $@

$(WASI_B)/test_wasi: $(WASI_B)/host.o $(WASI_B)/guest.o $(WASI_B)/wasm-rt-impl.o
	$(CC) $^ -lm -o $@

$(WASI_B)/harness: $(S)tests/wasi/harness.c $(S)tests/wasi/protocol.h
	@mkdir -p $(@D)
	$(CC) $(WFLAGS) -O2 $< -o $@

wasi-run-tests: wasi-deps
	@$(MAKE) --no-print-directory $(WASI_B)/test_wasi $(WASI_B)/harness
	@$(MAKE) --no-print-directory wasi-check-headers
	@$(MAKE) --no-print-directory wasi-check-surface
	@sh $(S)tests/wasi/run.sh "$(WASI_ROW)" build/test-results.txt $(WASI_B)/harness $(WASI_B)/test_wasi

test-wasi:
	@rm -f build/test-results.txt
	@$(MAKE) --no-print-directory wasi-run-tests
	@sh $(S)tests/summary.sh build/test-results.txt

FORMAT_FILES += $(wildcard $(S)tests/wasi/*.c $(S)tests/wasi/*.h)

-include $(WASI_OBJS:.o=.d)
