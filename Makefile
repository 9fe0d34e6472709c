# SPDX-License-Identifier: MIT
# cmio — build, test and generate. See README.md.
#
#   make                 libcmio.a, libcmio.so (versioned, with its links) and the examples
#   make demo            echo server + clients on an ephemeral port, and every other example
#   make test            installs missing test deps, runs every check and every cmocka suite
#   make install         headers, libraries, cmio.pc, CMake package, man pages (PREFIX, DESTDIR)
#   make uninstall       removes what `make install` installed
#   make generate        regenerates generated/ from idl/ (needs Python 3 + Jinja2 + PyYAML)
#   make check-generated fails with a diff when generated/ is stale
#   make audit           prints the API surface (type × operation × platform) and baseline status
#   make api-check / abi-check / api-baseline / abi-baseline     API and ABI change detection
#   make test SANITIZE=1 / make test-valgrind      the suites under ASan+UBSan / valgrind
#   make test-tsan / fuzz / test-faults / soak      ThreadSanitizer, libFuzzer, fault injection,
#                        10 000 connections (mk/checks.mk)
#
# PLATFORM selects the generated wrappers (linux, posix); CC may be gcc or clang.
#
# Packaging conventions: CFLAGS (default -O2 -g), CPPFLAGS, LDFLAGS and AR are honoured; WERROR=0
# turns -Werror off; V=1 prints full commands (default: one line per step, `CC runtime/poll.c`).
# Out-of-tree builds: B=DIR puts every build product in DIR (default build/<platform>-<cc>); or run
# `make -f /path/to/cmio/Makefile` from another directory: products go to ./build/… there and the
# sources are read from the Makefile's directory.
#
# Adding targets: put them in a fragment mk/<name>.mk (included at the end, sorted by name; use
# $(S) before source paths and $(B) for build products), and add a check that `make test` should
# run to TEST_CHECKS (`TEST_CHECKS += my-check`).

# The source tree: empty when make runs in it, else the Makefile's directory with a trailing /.
S := $(filter-out ./,$(dir $(lastword $(MAKEFILE_LIST))))
SRCDIR := $(abspath $(or $(S),.))

PLATFORM ?= linux
SANITIZE ?=
# Poll backend and waker for the test run (default: the platform table's first); any that the
# platform compiles in, e.g. make test-row BACKEND=poll WAKER=pipe. Read by cmio_poll_new().
BACKEND ?=
WAKER ?=
V ?=
WERROR ?= 1

ifeq ($(origin CC),default)
CC := gcc
endif
ifeq ($(origin AR),default)
AR := ar
endif
CXX_CHECK ?= g++
NM ?= nm

# Cross/matrix rows (tests/matrix.sh) set ROW to name the build folder, CMOCKA to a cmocka
# install prefix built for the target, RUNNER to an emulator (qemu-s390x -L …), STATIC=1.
ROW ?=
CMOCKA ?=
RUNNER ?=
STATIC ?=

# ---- kqueue on Linux, through libkqueue (issue 12) -----------------------------------------
# BACKEND=kqueue on a platform whose table has no kqueue (linux) builds libcmio with the kqueue
# backend and the EVFILT_USER waker (WAKER defaults to kqueue; WAKER=pipe works too) against
# libkqueue installed under KQUEUE_PREFIX (include/kqueue/sys/event.h, lib/libkqueue.so), in its
# own build folder (<platform>-<cc>-libkqueue). Not given: tests/find-libkqueue.sh looks for it
# (pkg-config, /usr/local, /usr). Not found: run-tests prints "skipped: libkqueue not found
# (KQUEUE_PREFIX)" and records the row as skipped. Nothing here downloads libkqueue.
KQUEUE_PREFIX ?=
KQ_EMULATED := $(if $(filter kqueue,$(BACKEND)),$(if $(shell grep -s '^\#define CMIO_BACKEND_KQUEUE 1' $(S)generated/$(PLATFORM)/include/cmio/platform.h),,1))
ifeq ($(KQ_EMULATED),1)
ifeq ($(KQUEUE_PREFIX),)
override KQUEUE_PREFIX := $(shell sh $(S)tests/find-libkqueue.sh)
endif
ifeq ($(WAKER),)
override WAKER := kqueue
endif
KQ_SUFFIX := -libkqueue
KQ_MISSING := $(if $(wildcard $(KQUEUE_PREFIX)/include/kqueue/sys/event.h),,1)
XCFLAGS_KQ := -DCMIO_BACKEND_KQUEUE=1 -DCMIO_WAKER_KQUEUE=1 -DCMIO_LIBKQUEUE=1 \
	-I$(KQUEUE_PREFIX)/include/kqueue
LDLIBS_KQ := -L$(KQUEUE_PREFIX)/lib -Wl,-rpath,$(KQUEUE_PREFIX)/lib -lkqueue
# make test-valgrind BACKEND=kqueue: libkqueue's own allocations are not leak-checked (it keeps
# the state of fds closed while registered; tests/libkqueue.supp). ASan: tests/test_util.h.
export VALGRIND_OPTS := --suppressions=$(SRCDIR)/tests/libkqueue.supp $(VALGRIND_OPTS)
endif


# CMIO_BACKENDS="epoll" (any subset of the platform's backends, the default first): the others
# are left out of libcmio and of everything built here (-DCMIO_BACKEND_POLL=0 …, which a program
# using that libcmio must be compiled with too); the build folder gets a suffix (-epoll).
CMIO_BACKENDS ?=
platform_backends = $(shell sed -n 's/^\#define CMIO_BACKEND_\([A-Z0-9_]*\) 1$$/\1/p' $(S)generated/$(PLATFORM)/include/cmio/platform.h)
BACKEND_DEFS := $(if $(CMIO_BACKENDS),$(foreach b,$(platform_backends),$(if $(filter $(b),$(shell echo $(CMIO_BACKENDS) | tr a-z A-Z)),,-DCMIO_BACKEND_$(b)=0)))
variant := $(or $(ROW),$(PLATFORM)-$(notdir $(CC))$(if $(SANITIZE),-san)$(KQ_SUFFIX))$(if $(CMIO_BACKENDS),-$(subst $(eval) ,+,$(strip $(CMIO_BACKENDS))))
B ?= build/$(variant)

# ---- version: the one place is the file VERSION ---------------------------------------------
# It feeds generated/*/include/cmio/version.h (make generate), the shared library's file name
# and SONAME, cmio.pc and the CMake package.
VERSION := $(strip $(file < $(S)VERSION))
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
SONAME := libcmio.so.$(VERSION_MAJOR)
SOLIB := libcmio.so.$(VERSION)

# ---- quiet output ---------------------------------------------------------------------------
# $(call say,CC,file) prints "  CC      file" (file without the source-tree prefix) unless V=1.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' '$(1)' '$(patsubst $(S)%,%,$(2))';
endif

CFLAGS ?= -O2 -g
# Every compile: C11, warnings (as errors unless WERROR=0), 64-bit file offsets on 32-bit targets.
WFLAGS := -std=c11 -Wall -Wextra $(if $(filter 0,$(WERROR)),,-Werror) -D_FILE_OFFSET_BITS=64 \
	$(BACKEND_DEFS)
# Flags the build itself adds to every compile (XCFLAGS) and link (XLDFLAGS), apart from the
# user's CPPFLAGS/CFLAGS/LDFLAGS so that `make CFLAGS=…` never drops them (fragments add theirs).
XCFLAGS := $(XCFLAGS_KQ)
XLDFLAGS := $(LDLIBS_KQ)
# Libraries libcmio.so itself needs (after its objects): libkqueue on the Linux kqueue row.
LDLIBS_SO := $(LDLIBS_KQ)
ifneq ($(SANITIZE),)
XCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
XLDFLAGS += -fsanitize=address,undefined
endif
C_FLAGS = $(CPPFLAGS) $(CFLAGS) $(XCFLAGS)
LD_FLAGS = $(LDFLAGS) $(XLDFLAGS)
ALL_CFLAGS = $(WFLAGS) $(C_FLAGS) -fPIC -fvisibility=hidden -pthread
INCLUDES := -I$(S)runtime/include -I$(S)generated/$(PLATFORM)/include -I$(S)runtime

RUNTIME_SRC := $(wildcard $(S)runtime/*.c)
GEN_SRC := $(wildcard $(S)generated/$(PLATFORM)/src/*.c)
OBJS := $(RUNTIME_SRC:$(S)runtime/%.c=$(B)/runtime/%.o) \
	$(GEN_SRC:$(S)generated/$(PLATFORM)/src/%.c=$(B)/gen/%.o)
EXAMPLES := $(patsubst $(S)examples/%.c,$(B)/examples/%,$(wildcard $(S)examples/*.c))
TESTS := $(patsubst $(S)tests/%.c,$(B)/tests/%,$(wildcard $(S)tests/test_*.c))

PYTHON = $(shell $(S)codegen/find-python)

# Checks `make test` runs after the generator/format checks and before the suites (fragments in
# mk/ add theirs).
TEST_CHECKS :=

.PHONY: all lib examples demo test test-deps run-tests run-shell-suites test-suite check-generated generate audit \
	check-format check-spdx check-exports check-headers test-valgrind test-row test-matrix clean

all: lib examples

lib: $(B)/libcmio.a $(B)/libcmio.so

# Handwritten runtime: Linux interfaces (epoll, eventfd, syscall) are allowed here.
$(B)/runtime/%.o: $(S)runtime/%.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE $(INCLUDES) -MMD -MP -c $< -o $@

# Generated wrappers: each file defines its platform's feature macros itself (platform table).
$(B)/gen/%.o: $(S)generated/$(PLATFORM)/src/%.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) $(INCLUDES) -I$(S)generated/$(PLATFORM)/src -MMD -MP \
		-c $< -o $@

$(B)/libcmio.a: $(OBJS)
	$(call say,AR,$@)rm -f $@ && $(AR) rcs $@ $^

# libcmio.so.MAJOR.MINOR.PATCH with SONAME libcmio.so.MAJOR, and the two links a program linked
# in the build tree needs (-L$(B) -lcmio finds libcmio.so; at run time LD_LIBRARY_PATH=$(B)
# finds libcmio.so.MAJOR).
# SHLIB_LDFLAGS: an ELF soname; the macos matrix row gives a Mach-O install name instead.
SHLIB_LDFLAGS ?= -Wl,-soname,$(SONAME) -Wl,--no-undefined
$(B)/$(SOLIB): $(OBJS)
	$(call say,LD,$@)$(CC) -shared -pthread $(LD_FLAGS) $(SHLIB_LDFLAGS) -o $@ $^ $(LDLIBS_SO)

$(B)/$(SONAME): $(B)/$(SOLIB)
	$(Q)ln -sf $(SOLIB) $@

$(B)/libcmio.so: $(B)/$(SONAME)
	$(Q)ln -sf $(SONAME) $@

examples: $(EXAMPLES)

$(B)/examples/%: $(S)examples/%.c $(B)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(WFLAGS) $(C_FLAGS) -D_GNU_SOURCE -pthread $(INCLUDES) \
		$< $(B)/libcmio.a $(LD_FLAGS) $(if $(STATIC),-static) -o $@

demo: examples
	@sh $(S)examples/demo.sh $(B)/examples

# ---- tests ----------------------------------------------------------------------------------

# Tests may use the private runtime headers (runtime/) to check internals such as io_source.
$(B)/tests/%: $(S)tests/%.c $(wildcard $(S)tests/*.h) $(B)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(WFLAGS) $(C_FLAGS) -D_GNU_SOURCE -pthread $(INCLUDES) \
		$(if $(CMOCKA),-I$(CMOCKA)/include) $< $(B)/libcmio.a $(LD_FLAGS) \
		$(if $(CMOCKA),-L$(CMOCKA)/lib) $(if $(STATIC),-static) -lcmocka -o $@

test-deps:
	@sh $(S)tests/install-deps.sh

# The README's test command: dependencies, generated/ in sync, formatting, licence lines, the checks of
# TEST_CHECKS, then every suite on each native row (linux and posix wrappers), and on the kqueue
# backend with its EVFILT_USER waker and with a pipe waker through libkqueue (skipped rows without
# libkqueue: KQUEUE_PREFIX=<its install prefix>).
test: test-deps
	@$(MAKE) --no-print-directory check-generated
	@$(MAKE) --no-print-directory check-format
	@$(MAKE) --no-print-directory check-spdx
	@$(MAKE) --no-print-directory bench-build
	@for c in $(TEST_CHECKS); do $(MAKE) --no-print-directory $$c || exit 1; done
	@rm -f build/test-results.txt
	@$(MAKE) --no-print-directory PLATFORM=linux run-tests
	@$(MAKE) --no-print-directory PLATFORM=linux run-shell-suites
	@$(MAKE) --no-print-directory PLATFORM=linux BACKEND=poll WAKER=pipe SKIP="$(LINUX_ONLY_SUITES)" \
		run-tests
	@$(MAKE) --no-print-directory PLATFORM=linux BACKEND=uring SKIP="$(LINUX_ONLY_SUITES)" run-tests
	@$(MAKE) --no-print-directory PLATFORM=posix SKIP="$(LINUX_ONLY_SUITES)" run-tests
	@$(MAKE) --no-print-directory PLATFORM=linux BACKEND=kqueue WAKER=kqueue \
		SKIP="$(LINUX_ONLY_SUITES)" run-tests
	@$(MAKE) --no-print-directory PLATFORM=linux BACKEND=kqueue WAKER=pipe \
		SKIP="$(LINUX_ONLY_SUITES)" run-tests
	@sh $(S)tests/summary.sh build/test-results.txt

# Suites that test the build or the tree rather than a backend: run on the first row only.
LINUX_ONLY_SUITES := test_codegen

# The platform matrix (tests/matrix.sh): gcc, clang, poll/pipe, posix, musl (static), i386 and
# s390x (under qemu-user); installs missing tools with apt-get. MATRIX="musl s390x" picks rows.
test-matrix:
	@cd $(SRCDIR) && sh tests/matrix.sh $(MATRIX)

# One row: this PLATFORM/CC build with BACKEND/WAKER (default: the platform's first).
default_of = $(firstword $(shell sed -n 's/^\#define CMIO_DEFAULT_$(1) "\(.*\)"/\1/p' $(S)generated/$(PLATFORM)/include/cmio/platform.h))
row = $(variant)/$(or $(BACKEND),$(firstword $(CMIO_BACKENDS)),$(call default_of,BACKEND))/$(or $(WAKER),$(call default_of,WAKER))
RUN_TESTS = $(filter-out $(addprefix $(B)/tests/,$(SKIP)),$(TESTS))
TEST_ENV = CMIO_ROOT=$(SRCDIR) CMIO_PYTHON="$(PYTHON)" CMIO_BACKEND=$(BACKEND) CMIO_WAKER=$(WAKER) \
	CMIO_BUILD=$(abspath $(B)) CMIO_PLATFORM=$(PLATFORM) CMIO_CC="$(CC)" CMIO_SANITIZE=$(SANITIZE) V=$(V)

ifeq ($(KQ_MISSING),1)
run-tests: # BACKEND=kqueue without libkqueue: a skipped row (see the kqueue section above)
	@echo "==== row $(row): skipped: libkqueue not found (KQUEUE_PREFIX) ===="
	@mkdir -p build && echo "$(row) skipped:libkqueue~not~found~(KQUEUE_PREFIX) 0 0 1" >>build/test-results.txt
else
# tests/backend_probe: a row whose backend cannot run here (io_uring forbidden) is skipped, with why.
run-tests: lib examples $(TESTS) $(B)/tests/backend_probe check-exports check-headers
	@$(TEST_ENV) CMIO_EXAMPLES=$(abspath $(B))/examples CMIO_RUNNER="$(RUNNER)" \
		CMIO_PROBE=$(abspath $(B))/tests/backend_probe \
		sh $(S)tests/run.sh "$(row)" build/test-results.txt $(RUN_TESTS)
endif

# Shell suites (tests/suite_<name>.sh on tests/harness.sh): what is not a C test — installing
# and consuming the library, the examples, the API/ABI checks. They run on the first row of
# `make test`; each appends its line to the results like a cmocka suite (a failure shows in the
# summary). Fragments add theirs: SHELL_SUITES += name. One alone: make test-suite SUITE=name.
SHELL_SUITES := examples
run-shell-suites: lib examples
	@for s in $(SHELL_SUITES); do \
		$(TEST_ENV) sh $(S)tests/suite_$$s.sh "$(row)" build/test-results.txt; done; true

test-suite: lib examples
	@rm -f build/test-results.txt
	@$(TEST_ENV) sh $(S)tests/suite_$(SUITE).sh "$(row)" build/test-results.txt; true
	@sh $(S)tests/summary.sh build/test-results.txt

# make test-row [PLATFORM=…] [BACKEND=…] [WAKER=…] [CC=…]: one row alone, with its summary.
test-row: test-deps
	@rm -f build/test-results.txt
	@$(MAKE) --no-print-directory run-tests
	@sh $(S)tests/summary.sh build/test-results.txt

# _init/_fini are the C runtime's (crti.o) entry points, not cmio's: musl's crti.o leaves them
# global (glibc's hides them), so the musl row's libcmio.so exports them too.
check-exports: $(B)/libcmio.so
	@bad=$$($(NM) -D --defined-only $< | awk '{print $$3}' | grep -v -e '^cmio_' -e '^_init$$' -e '^_fini$$' || true); \
	if [ -n "$$bad" ]; then echo "libcmio.so exports non-cmio symbols: $$bad"; exit 1; fi; \
	echo "check-exports: $(variant): libcmio.so exports $$($(NM) -D --defined-only $< | grep -c ' cmio_') symbols, all cmio_*"

# Every public header compiles alone, in C11 and in C++, with and without the inline fast paths,
# and in strict C99 (-std=c99 -pedantic: common.h asks for POSIX.1-2008 when nothing else did;
# with a system header first, the program gives _POSIX_C_SOURCE itself).
check-headers:
	@for h in $(S)runtime/include/cmio/*.h $(S)generated/$(PLATFORM)/include/cmio/*.h; do \
		n=$$(basename $$h); \
		printf '#include <cmio/%s>\n' $$n | $(CC) $(WFLAGS) $(INCLUDES) -x c -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(CXX_CHECK) -std=c++11 -Wall -Wextra -Werror $(INCLUDES) -x c++ -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(CC) $(WFLAGS) $(INCLUDES) -DCMIO_NO_INLINE -x c -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\ntypedef int cmio_tu;\n' $$n | $(CC) $(C99_FLAGS) $(INCLUDES) -x c -fsyntax-only - || exit 1; \
	done; \
	printf '#include <stdio.h>\n#include <cmio/cmio.h>\n' | $(CC) $(C99_FLAGS) -D_POSIX_C_SOURCE=200809L $(INCLUDES) -x c -fsyntax-only - || exit 1; \
	echo "check-headers: $(PLATFORM): every header compiles alone as C11 and C++11 (and C11 with CMIO_NO_INLINE) and as strict C99 (-std=c99 -pedantic)"
C99_FLAGS = -std=c99 -pedantic -Wall -Wextra $(if $(filter 0,$(WERROR)),,-Werror)

# test-valgrind (every native row), test-tsan, fuzz, test-faults, soak: mk/checks.mk.

# ---- benchmarks (bench/, see bench/README.md) ----------------------------------------------
# bench-build: the C bench programs that need only a C compiler and cmio (loadgen, echo_raw_epoll,
# echo_cmio, micro, alloc_count.so) in $(B)/bench, -O2, cmio linked statically and libc
# dynamically; `make test` builds them so that they cannot rot. bench: bench/run.sh (installs the
# peer servers' libraries, builds them, runs every scenario, writes bench/RESULTS.md and
# bench/results.png; BENCH_QUICK=1 for a short run).
BENCH_DIR := $(B)/bench
BENCH_CFLAGS = $(WFLAGS) $(C_FLAGS) -pthread
BENCH_INCLUDES := -I$(S)runtime/include -I$(S)generated/$(PLATFORM)/include

.PHONY: bench bench-build
bench-build: $(BENCH_DIR)/loadgen $(BENCH_DIR)/echo_raw_epoll $(BENCH_DIR)/echo_raw_epoll_drain \
	$(BENCH_DIR)/echo_cmio $(BENCH_DIR)/echo_cmio_drain $(BENCH_DIR)/micro \
	$(BENCH_DIR)/alloc_count.so

$(BENCH_DIR)/loadgen $(BENCH_DIR)/echo_raw_epoll: $(BENCH_DIR)/%: $(S)bench/%.c $(S)bench/bench_util.h
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(BENCH_CFLAGS) $< $(LD_FLAGS) -o $@

# The echo servers' read strategy is compiled in: *_drain reads until EAGAIN (-DECHO_DRAIN=1).
$(BENCH_DIR)/echo_raw_epoll_drain: $(S)bench/echo_raw_epoll.c $(S)bench/bench_util.h
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(BENCH_CFLAGS) -DECHO_DRAIN=1 $< $(LD_FLAGS) -o $@

# Public API only: no -Iruntime (the private headers).
$(BENCH_DIR)/echo_cmio $(BENCH_DIR)/micro: $(BENCH_DIR)/%: $(S)bench/%.c $(S)bench/bench_util.h \
		$(B)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(BENCH_CFLAGS) $(BENCH_INCLUDES) $< $(B)/libcmio.a $(LD_FLAGS) -o $@

$(BENCH_DIR)/echo_cmio_drain: $(S)bench/echo_cmio.c $(S)bench/bench_util.h $(B)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(BENCH_CFLAGS) $(BENCH_INCLUDES) -DECHO_DRAIN=1 $< $(B)/libcmio.a \
		$(LD_FLAGS) -o $@

$(BENCH_DIR)/alloc_count.so: $(S)bench/alloc_count.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(WFLAGS) $(CPPFLAGS) -O2 -g -fPIC -shared $< -o $@

bench: bench-build
	@cd $(SRCDIR) && BENCH_BIN=$(abspath $(BENCH_DIR)) BENCH_CC=$(CC) bash bench/run.sh

# ---- generator ------------------------------------------------------------------------------

generate:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; "$$py" $(S)codegen/generate.py

check-generated:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	"$$py" $(S)codegen/generate.py --out "$$tmp" || exit 1; \
	if diff -ru $(S)generated "$$tmp" > "$$tmp.diff" 2>&1; then \
		echo "check-generated: generated/ matches idl/ ($$(find $(S)generated -type f | wc -l) files)"; \
		rm -f "$$tmp.diff"; \
	else cat "$$tmp.diff"; rm -f "$$tmp.diff"; \
		echo "check-generated: generated/ is stale: run 'make generate' and commit the result"; exit 1; fi

# The API table, then each baseline's status (fragments add theirs to AUDIT_STATUS).
AUDIT_STATUS :=
audit:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; "$$py" $(S)codegen/generate.py audit
	@for c in $(AUDIT_STATUS); do $(MAKE) --no-print-directory $$c; done

# ---- IDL loader fuzzing (fuzz/idl_mutate.py; section owned by the IDL loader work) -----------
# make fuzz-idl [FUZZ_SECONDS=N]: mutates idl/ (and the seeds in tests/idl-bad, fuzz/idl-corpus)
# and runs the loader and the templates on each mutant for N seconds (default 10); any exception
# other than a `file:line: message` rejection fails, and the mutant is kept in build/fuzz-idl/.
.PHONY: fuzz-idl
fuzz-idl:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; \
		"$$py" $(S)fuzz/idl_mutate.py --seconds $(or $(FUZZ_SECONDS),10)

FORMAT_FILES = $(wildcard $(addprefix $(S),runtime/*.c runtime/*.h runtime/include/cmio/*.h \
	tests/*.c tests/*.h examples/*.c bench/*.c bench/*.h runtime/win/*.c runtime/win/*.h tests/win/*.h))
check-format:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && \
		echo "check-format: $(words $(FORMAT_FILES)) handwritten files match .clang-format"

# Every source file carries `SPDX-License-Identifier: MIT` (tests/check-spdx.sh lists those that
# do not).
check-spdx:
	@sh $(S)tests/check-spdx.sh $(SRCDIR)

clean:
	rm -rf $(if $(filter build/%,$(B)),build,$(B))

# Fragments: mk/*.mk, each a self-contained set of targets (see the top of this file).
include $(sort $(wildcard $(S)mk/*.mk))

-include $(OBJS:.o=.d)
