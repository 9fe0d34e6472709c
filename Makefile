# cmio — build, test and generate. See README.md.
#
#   make                 libcmio.a, libcmio.so and the examples (gcc + make only)
#   make demo            echo server + clients on an ephemeral port
#   make test            installs missing test deps, checks generated/, runs every cmocka suite
#   make generate        regenerates generated/ from idl/ (needs Python 3 + Jinja2 + PyYAML)
#   make check-generated fails with a diff when generated/ is stale
#   make audit           prints the API surface (type × operation × platform)
#   make test SANITIZE=1 / make test-valgrind      the suites under ASan+UBSan / valgrind
#
# PLATFORM selects the generated wrappers (linux, posix); CC may be gcc or clang.

PLATFORM ?= linux
SANITIZE ?=
# Poll backend and waker for the test run (default: the platform table's first); any that the
# platform compiles in, e.g. make test-row BACKEND=poll WAKER=pipe. Read by cmio_poll_new().
BACKEND ?=
WAKER ?=
V ?=

ifeq ($(origin CC),default)
CC := gcc
endif
CXX_CHECK ?= g++
NM ?= nm

# Cross/matrix rows (tests/matrix.sh) set ROW to name the build folder, CMOCKA to a cmocka
# install prefix built for the target, RUNNER to an emulator (qemu-s390x -L …), STATIC=1.
ROW ?=
CMOCKA ?=
RUNNER ?=
STATIC ?=
variant := $(or $(ROW),$(PLATFORM)-$(notdir $(CC))$(if $(SANITIZE),-san))
B := build/$(variant)

CFLAGS ?= -O2 -g
# Every compile: C11, warnings as errors, 64-bit file offsets on 32-bit targets too.
WFLAGS := -std=c11 -Wall -Wextra -Werror -D_FILE_OFFSET_BITS=64
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS := $(WFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -pthread
INCLUDES := -Iruntime/include -Igenerated/$(PLATFORM)/include -Iruntime

RUNTIME_SRC := $(wildcard runtime/*.c)
GEN_SRC := $(wildcard generated/$(PLATFORM)/src/*.c)
OBJS := $(RUNTIME_SRC:runtime/%.c=$(B)/runtime/%.o) $(GEN_SRC:generated/$(PLATFORM)/src/%.c=$(B)/gen/%.o)
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
TESTS := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))

PYTHON = $(shell codegen/find-python)

.PHONY: all lib examples demo test test-deps run-tests check-generated generate audit \
	check-format check-exports check-headers test-valgrind test-row test-matrix clean

all: lib examples

lib: $(B)/libcmio.a $(B)/libcmio.so

# Handwritten runtime: Linux interfaces (epoll, eventfd, syscall) are allowed here.
$(B)/runtime/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE $(INCLUDES) -MMD -MP -c $< -o $@

# Generated wrappers: each file defines its platform's feature macros itself (platform table).
$(B)/gen/%.o: generated/$(PLATFORM)/src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(INCLUDES) -Igenerated/$(PLATFORM)/src -MMD -MP -c $< -o $@

$(B)/libcmio.a: $(OBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/libcmio.so: $(OBJS)
	$(CC) -shared -pthread $(LDFLAGS) -Wl,-soname,libcmio.so.0 -Wl,--no-undefined -o $@ $^

examples: $(EXAMPLES)

$(B)/examples/%: examples/%.c $(B)/libcmio.a
	@mkdir -p $(@D)
	$(CC) $(WFLAGS) $(CFLAGS) -D_GNU_SOURCE -pthread $(INCLUDES) $< $(B)/libcmio.a $(LDFLAGS) \
		$(if $(STATIC),-static) -o $@

demo: examples
	sh examples/demo.sh $(B)/examples

# ---- tests ----------------------------------------------------------------------------------

# Tests may use the private runtime headers (runtime/) to check internals such as io_source.
$(B)/tests/%: tests/%.c $(wildcard tests/*.h) $(B)/libcmio.a
	@mkdir -p $(@D)
	$(CC) $(WFLAGS) $(CFLAGS) -D_GNU_SOURCE -pthread $(INCLUDES) $(if $(CMOCKA),-I$(CMOCKA)/include) \
		$< $(B)/libcmio.a $(LDFLAGS) $(if $(CMOCKA),-L$(CMOCKA)/lib) $(if $(STATIC),-static) \
		-lcmocka -o $@

test-deps:
	@sh tests/install-deps.sh

# The README's test command: dependencies, generated/ in sync, formatting, exports, headers,
# then every suite on each native row (linux and posix wrappers).
test: test-deps
	@$(MAKE) --no-print-directory check-generated
	@$(MAKE) --no-print-directory check-format
	@$(MAKE) --no-print-directory bench-build
	@rm -f build/test-results.txt
	@$(MAKE) --no-print-directory PLATFORM=linux run-tests
	@$(MAKE) --no-print-directory PLATFORM=linux BACKEND=poll WAKER=pipe SKIP=test_codegen run-tests
	@$(MAKE) --no-print-directory PLATFORM=posix SKIP=test_codegen run-tests
	@sh tests/summary.sh build/test-results.txt

# The platform matrix (tests/matrix.sh): gcc, clang, poll+pipe, posix, musl (static), i386 and
# s390x (under qemu-user); installs missing tools with apt-get. MATRIX="musl s390x" picks rows.
test-matrix:
	@sh tests/matrix.sh $(MATRIX)

# One row: this PLATFORM/CC build with BACKEND/WAKER (default: the platform's first).
default_of = $(shell sed -n 's/^\#define CMIO_DEFAULT_$(1) "\(.*\)"/\1/p' generated/$(PLATFORM)/include/cmio/platform.h)
row = $(variant)/$(or $(BACKEND),$(call default_of,BACKEND))/$(or $(WAKER),$(call default_of,WAKER))
RUN_TESTS = $(filter-out $(addprefix $(B)/tests/,$(SKIP)),$(TESTS))

run-tests: lib $(TESTS) check-exports check-headers
	@CMIO_ROOT=$(CURDIR) CMIO_PYTHON="$(PYTHON)" CMIO_BACKEND=$(BACKEND) CMIO_WAKER=$(WAKER) \
		CMIO_RUNNER="$(RUNNER)" sh tests/run.sh "$(row)" build/test-results.txt $(RUN_TESTS)

# make test-row [PLATFORM=…] [BACKEND=…] [WAKER=…] [CC=…]: one row alone, with its summary.
test-row: test-deps
	@rm -f build/test-results.txt
	@$(MAKE) --no-print-directory run-tests
	@sh tests/summary.sh build/test-results.txt

# _init/_fini are the C runtime's (crti.o) entry points, not cmio's: musl's crti.o leaves them
# global (glibc's hides them), so the musl row's libcmio.so exports them too.
check-exports: $(B)/libcmio.so
	@bad=$$($(NM) -D --defined-only $< | awk '{print $$3}' | grep -v -e '^cmio_' -e '^_init$$' -e '^_fini$$' || true); \
	if [ -n "$$bad" ]; then echo "libcmio.so exports non-cmio symbols: $$bad"; exit 1; fi; \
	echo "check-exports: $(variant): libcmio.so exports $$($(NM) -D --defined-only $< | grep -c ' cmio_') symbols, all cmio_*"

# Every public header compiles alone, in C11 and in C++, with and without the inline fast paths.
check-headers:
	@for h in runtime/include/cmio/*.h generated/$(PLATFORM)/include/cmio/*.h; do \
		n=$$(basename $$h); \
		printf '#include <cmio/%s>\n' $$n | $(CC) $(WFLAGS) $(INCLUDES) -x c -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(CXX_CHECK) -std=c++11 -Wall -Wextra -Werror $(INCLUDES) -x c++ -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(CC) $(WFLAGS) $(INCLUDES) -DCMIO_NO_INLINE -x c -fsyntax-only - || exit 1; \
	done; echo "check-headers: $(PLATFORM): every header compiles alone as C11 and C++11 (and C11 with CMIO_NO_INLINE)"

test-valgrind:
	@$(MAKE) --no-print-directory PLATFORM=$(PLATFORM) lib $(TESTS)
	@rm -f build/test-results.txt
	@CMIO_ROOT=$(CURDIR) CMIO_PYTHON="$(PYTHON)" CMIO_VALGRIND=1 CMIO_BACKEND=$(BACKEND) \
		CMIO_WAKER=$(WAKER) sh tests/run.sh "$(row)-valgrind" build/test-results.txt $(RUN_TESTS)
	@sh tests/summary.sh build/test-results.txt

# ---- benchmarks (bench/, see bench/README.md) ----------------------------------------------
# bench-build: the C bench programs that need only a C compiler and cmio (loadgen, echo_raw_epoll,
# echo_cmio, micro, alloc_count.so) in $(B)/bench, -O2, cmio linked statically and libc
# dynamically; `make test` builds them so that they cannot rot. bench: bench/run.sh (installs the
# peer servers' libraries, builds them, runs every scenario, writes bench/RESULTS.md and
# bench/results.png; BENCH_QUICK=1 for a short run).
BENCH_DIR := $(B)/bench
BENCH_CFLAGS := $(WFLAGS) $(CFLAGS) -pthread
BENCH_INCLUDES := -Iruntime/include -Igenerated/$(PLATFORM)/include

.PHONY: bench bench-build
bench-build: $(BENCH_DIR)/loadgen $(BENCH_DIR)/echo_raw_epoll $(BENCH_DIR)/echo_cmio \
	$(BENCH_DIR)/micro $(BENCH_DIR)/alloc_count.so

$(BENCH_DIR)/loadgen $(BENCH_DIR)/echo_raw_epoll: $(BENCH_DIR)/%: bench/%.c bench/bench_util.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< $(LDFLAGS) -o $@

# Public API only: no -Iruntime (the private headers).
$(BENCH_DIR)/echo_cmio $(BENCH_DIR)/micro: $(BENCH_DIR)/%: bench/%.c bench/bench_util.h $(B)/libcmio.a
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(BENCH_INCLUDES) $< $(B)/libcmio.a $(LDFLAGS) -o $@

$(BENCH_DIR)/alloc_count.so: bench/alloc_count.c
	@mkdir -p $(@D)
	$(CC) $(WFLAGS) -O2 -g -fPIC -shared $< -o $@

bench: bench-build
	@BENCH_BIN=$(BENCH_DIR) BENCH_CC=$(CC) bash bench/run.sh

# ---- generator ------------------------------------------------------------------------------

generate:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; "$$py" codegen/generate.py

check-generated:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	"$$py" codegen/generate.py --out "$$tmp" || exit 1; \
	if diff -ru generated "$$tmp" > "$$tmp.diff" 2>&1; then \
		echo "check-generated: generated/ matches idl/ ($$(find generated -type f | wc -l) files)"; \
		rm -f "$$tmp.diff"; \
	else cat "$$tmp.diff"; rm -f "$$tmp.diff"; \
		echo "check-generated: generated/ is stale: run 'make generate' and commit the result"; exit 1; fi

audit:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; "$$py" codegen/generate.py audit

# ---- IDL loader fuzzing (fuzz/idl_mutate.py; section owned by the IDL loader work) -----------
# make fuzz-idl [FUZZ_SECONDS=N]: mutates idl/ (and the seeds in tests/idl-bad, fuzz/idl-corpus)
# and runs the loader and the templates on each mutant for N seconds (default 10); any exception
# other than a `file:line: message` rejection fails, and the mutant is kept in build/fuzz-idl/.
.PHONY: fuzz-idl
fuzz-idl:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; \
		"$$py" fuzz/idl_mutate.py --seconds $(or $(FUZZ_SECONDS),10)

FORMAT_FILES = $(wildcard runtime/*.c runtime/*.h runtime/include/cmio/*.h tests/*.c tests/*.h \
	examples/*.c bench/*.c bench/*.h)
check-format:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && \
		echo "check-format: $(words $(FORMAT_FILES)) handwritten files match .clang-format"

clean:
	rm -rf build

-include $(OBJS:.o=.d)
