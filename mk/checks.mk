# SPDX-License-Identifier: MIT
# The checks of issue 9 (included by the Makefile). CI (.ci/run) runs all of them but soak and
# long fuzzing; each builds its own variant under build/ and installs what it lacks (valgrind;
# clang with its sanitizer and libFuzzer runtimes) with tests/install-check-deps.sh.
#
#   make test-valgrind          every suite on every native row (linux/epoll/eventfd,
#                               linux/poll/pipe, posix/poll/pipe) under valgrind: memory errors,
#                               definite leaks and fds a suite left open at exit (--track-fds)
#                               fail it ("make test SANITIZE=1" runs the same rows under ASan+UBSan)
#   make test-tsan              every suite, test_stress included, on every native row built by
#                               clang with -fsanitize=thread: any ThreadSanitizer report fails
#   make fuzz [FUZZ_SECONDS=N]  the libFuzzer targets in fuzz/ (clang, ASan+UBSan), N s each
#                               (default 60) from the seeds in fuzz/corpus/, then
#                               fuzz/idl_mutate.py when present; executions per target printed
#   make test-faults            tests/faults/faults.c: the Nth system call or allocation of a full
#                               cycle (every socket type, poll, waker, clone) fails, then every
#                               call from the Nth on, N = 1, 2, … on every native row: no crash,
#                               hang, fd or heap leak, and every error has a name
#   make soak [SOAK_ROUNDS=N]   tests/soak.c (not in make test or CI; ~1 min): N rounds (default
#                               10) of 10 000 concurrent TCP + 200 Unix connections and 20 000
#                               UDP datagrams, every payload checksummed, on epoll then poll(2)

.PHONY: test-valgrind run-valgrind test-tsan run-static fuzz fuzz-bins test-faults run-faults soak

# The handwritten C of fuzz/ and tests/faults/ is clang-formatted too.
FORMAT_FILES += $(wildcard $(addprefix $(S),fuzz/*.c tests/faults/*.c))

# Suites that watch or slow down libcmio's own system calls (--wrap on the static link; GNU ld
# and lld have it, Apple's ld64 does not: compile-all leaves them out).
WRAP_SUITES := test_waker_free test_poll_fd_reuse
$(B)/tests/test_waker_free: XLDFLAGS += -Wl,--wrap=close
$(B)/tests/test_poll_fd_reuse: XLDFLAGS += -Wl,--wrap=poll,--wrap=ppoll

# ---- valgrind ----------------------------------------------------------------------------------
test-valgrind: test-deps
	@sh $(S)tests/install-check-deps.sh valgrind
	@rm -f build/test-results.txt
	@$(MAKE) --no-print-directory PLATFORM=linux run-valgrind
	@$(MAKE) --no-print-directory PLATFORM=linux BACKEND=poll WAKER=pipe \
		SKIP="$(LINUX_ONLY_SUITES)" run-valgrind
	@$(MAKE) --no-print-directory PLATFORM=posix SKIP="$(LINUX_ONLY_SUITES)" run-valgrind
	@sh $(S)tests/summary.sh build/test-results.txt

run-valgrind: lib examples $(TESTS) $(B)/tests/backend_probe
	@$(TEST_ENV) CMIO_VALGRIND=1 CMIO_EXAMPLES=$(abspath $(B))/examples \
		CMIO_PROBE=$(abspath $(B))/tests/backend_probe \
		sh $(S)tests/run.sh "$(row)-valgrind" build/test-results.txt $(RUN_TESTS)

# ---- ThreadSanitizer ---------------------------------------------------------------------------
# TSAN=1 (set by test-tsan for its sub-makes) builds everything with -fsanitize=thread.
ifneq ($(TSAN),)
XCFLAGS += -fsanitize=thread -fno-omit-frame-pointer
XLDFLAGS += -fsanitize=thread
endif

test-tsan: test-deps
	@sh $(S)tests/install-check-deps.sh clang-rt
	@rm -f build/test-results.txt
	@$(MAKE) --no-print-directory CC=clang TSAN=1 SANITIZE= PLATFORM=linux ROW=linux-clang-tsan \
		run-static
	@$(MAKE) --no-print-directory CC=clang TSAN=1 SANITIZE= PLATFORM=linux ROW=linux-clang-tsan \
		BACKEND=poll WAKER=pipe SKIP="$(LINUX_ONLY_SUITES)" run-static
	@$(MAKE) --no-print-directory CC=clang TSAN=1 SANITIZE= PLATFORM=linux ROW=linux-clang-tsan \
		BACKEND=uring SKIP="$(LINUX_ONLY_SUITES)" run-static
	@$(MAKE) --no-print-directory CC=clang TSAN=1 SANITIZE= PLATFORM=posix ROW=posix-clang-tsan \
		SKIP="$(LINUX_ONLY_SUITES)" run-static
	@sh $(S)tests/summary.sh build/test-results.txt

# One row's suites against libcmio.a only (a sanitizer runtime may not link into a .so).
# halt_on_error: the first report ends the suite with exit code 66, which fails it.
run-static: $(B)/libcmio.a examples $(TESTS)
	@$(TEST_ENV) CMIO_EXAMPLES=$(abspath $(B))/examples \
		TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 $(TSAN_OPTIONS)" \
		sh $(S)tests/run.sh "$(row)" build/test-results.txt $(RUN_TESTS)

# ---- fuzzing -----------------------------------------------------------------------------------
# FUZZ=1 (set by `make fuzz` for its sub-make) builds the runtime with coverage for libFuzzer.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst $(S)fuzz/%.c,%,$(wildcard $(S)fuzz/fuzz_*.c))
ifneq ($(FUZZ),)
XCFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all
XLDFLAGS += -fsanitize=address,undefined
endif

# A target may use the runtime's private headers: fuzz_cmsg drives recv_fds' control-message seam.
$(B)/fuzz/%: $(S)fuzz/%.c $(B)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(WFLAGS) $(C_FLAGS) -fsanitize=fuzzer -D_GNU_SOURCE $(INCLUDES) $< \
		$(B)/libcmio.a $(LD_FLAGS) -o $@

fuzz-bins: $(addprefix $(B)/fuzz/,$(FUZZ_TARGETS))

fuzz:
	@sh $(S)tests/install-check-deps.sh clang-rt
	@$(MAKE) --no-print-directory CC=clang FUZZ=1 SANITIZE= PLATFORM=linux ROW=linux-clang-fuzz \
		fuzz-bins
	@sh $(S)fuzz/run.sh $(abspath build/linux-clang-fuzz/fuzz) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- fault injection ---------------------------------------------------------------------------
FAULT_WRAP := socket socketpair accept4 accept bind listen connect getsockname getpeername \
	getsockopt setsockopt shutdown epoll_create1 epoll_ctl epoll_wait poll ppoll read write readv \
	writev recv recvfrom recvmsg recvmmsg send sendto sendmsg sendmmsg eventfd pipe fstat64 \
	pthread_mutex_init fcntl64 close malloc calloc realloc free

$(B)/tests/faults: $(S)tests/faults/faults.c $(B)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(WFLAGS) $(C_FLAGS) -D_GNU_SOURCE -pthread $(INCLUDES) $< \
		$(B)/libcmio.a $(LD_FLAGS) $(foreach f,$(FAULT_WRAP),-Wl,--wrap=$(f)) -o $@

run-faults: $(B)/tests/faults
	@CMIO_BACKEND=$(BACKEND) CMIO_WAKER=$(WAKER) $(B)/tests/faults "$(row)"

test-faults:
	@$(MAKE) --no-print-directory PLATFORM=linux SANITIZE= run-faults
	@$(MAKE) --no-print-directory PLATFORM=linux SANITIZE= BACKEND=poll WAKER=pipe run-faults
	@$(MAKE) --no-print-directory PLATFORM=posix SANITIZE= run-faults

# ---- soak --------------------------------------------------------------------------------------
SOAK_ROUNDS ?= 10
$(B)/tests/soak: $(S)tests/soak.c $(S)bench/bench_util.h $(B)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(WFLAGS) $(C_FLAGS) -D_GNU_SOURCE -pthread $(INCLUDES) -I$(S)bench $< \
		$(B)/libcmio.a $(LD_FLAGS) -o $@

soak: $(B)/tests/soak
	@rc=0; CMIO_SOAK_ROUNDS=$(SOAK_ROUNDS) CMIO_BACKEND=epoll $(B)/tests/soak || rc=1; \
	CMIO_SOAK_ROUNDS=$(SOAK_ROUNDS) CMIO_BACKEND=poll CMIO_WAKER=pipe $(B)/tests/soak || rc=1; \
	exit $$rc
