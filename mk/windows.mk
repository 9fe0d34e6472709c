# SPDX-License-Identifier: MIT
# cmio for Windows: the windows platform's wrappers (generated/windows) and the runtime with
# runtime/win/ (AFD + IOCP backend, IOCP waker, Winsock system layer), cross-built with mingw-w64
# and tested under Wine. Included by the Makefile.
#
#   make test-windows       the windows row of tests/matrix.sh: installs mingw-w64, Wine and cmake
#                           (apt-get), builds cmocka for mingw from Debian's source package, then
#                           windows-run-tests, then the summary
#   make windows-lib        build/windows/libcmio.a (static), cmio.dll and its import library
#                           libcmio.dll.a
#   make windows-run-tests CMOCKA=<prefix>
#                           every Windows suite and the checks, each suite run under Wine
#                           (tests/win/run.sh); results appended to build/test-results.txt
#
# Link a program with the static library: x86_64-w64-mingw32-gcc prog.c -lcmio -lws2_32 (cmio.dll
# through libcmio.dll.a needs nothing else).

WIN_CC ?= x86_64-w64-mingw32-gcc
WIN_CXX ?= x86_64-w64-mingw32-g++
WIN_AR ?= x86_64-w64-mingw32-ar
WIN_OBJDUMP ?= x86_64-w64-mingw32-objdump
WB := build/windows

# Windows 7 (0x0601) APIs: GetQueuedCompletionStatusEx, InitOnce, SRW locks. The generated wrappers
# define these themselves (platform table feature_macros).
WIN_DEFS := -DWIN32_LEAN_AND_MEAN -D_WIN32_WINNT=0x0601
WIN_CFLAGS := $(WFLAGS) -O2 -g
WIN_INCLUDES := -Iruntime/include -Igenerated/windows/include -Iruntime

# The runtime files that need what Windows lacks (fds and fcntl, Unix-domain sockets, recvmmsg
# batches, the fd wakers and their poll backends) are left out; runtime/win/ replaces them.
WIN_UNIX_ONLY := fd.c unix_addr.c unix_net.c udp_batch.c waker.c waker_eventfd.c waker_pipe.c \
	backend_epoll.c backend_poll.c
WIN_RUNTIME_SRC := $(filter-out $(addprefix runtime/,$(WIN_UNIX_ONLY)),$(wildcard runtime/*.c)) \
	$(wildcard runtime/win/*.c)
WIN_GEN_SRC := $(wildcard generated/windows/src/*.c)
WIN_OBJS := $(WIN_RUNTIME_SRC:runtime/%.c=$(WB)/runtime/%.o) \
	$(WIN_GEN_SRC:generated/windows/src/%.c=$(WB)/gen/%.o)
WIN_DLL_OBJS := $(WIN_OBJS:$(WB)/%.o=$(WB)/dll/%.o)

# The suites that apply to Windows (tests/win/README.md lists the others and why they do not).
WIN_SUITES := test_error test_addr test_poll test_tcp_listener test_tcp_stream test_udp_socket test_waker test_io_source
WIN_TESTS := $(WIN_SUITES:%=$(WB)/tests/%.exe)

.PHONY: test-windows windows-lib windows-run-tests windows-check-exports windows-check-headers

test-windows:
	@sh tests/matrix.sh windows

windows-lib: $(WB)/libcmio.a $(WB)/cmio.dll

$(WB)/runtime/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) $(WIN_DEFS) $(WIN_INCLUDES) -MMD -MP -c $< -o $@

$(WB)/gen/%.o: generated/windows/src/%.c
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) $(WIN_INCLUDES) -Igenerated/windows/src -MMD -MP -c $< -o $@

# The DLL's objects: the same sources with CMIO_API = __declspec(dllexport), so that cmio.dll
# exports exactly the public functions.
$(WB)/dll/runtime/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) $(WIN_DEFS) -DCMIO_BUILD_DLL $(WIN_INCLUDES) -MMD -MP -c $< -o $@

$(WB)/dll/gen/%.o: generated/windows/src/%.c
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -DCMIO_BUILD_DLL $(WIN_INCLUDES) -Igenerated/windows/src -MMD -MP \
		-c $< -o $@

$(WB)/libcmio.a: $(WIN_OBJS)
	rm -f $@
	$(WIN_AR) rcs $@ $^

# libgcc linked in: cmio.dll needs only Windows' own DLLs (kernel32, ws2_32, msvcrt).
$(WB)/cmio.dll: $(WIN_DLL_OBJS)
	$(WIN_CC) -shared -static-libgcc -o $@ $^ -Wl,--out-implib,$(WB)/libcmio.dll.a -lws2_32

# Tests link the static library (they use private runtime headers too) and cmocka statically:
# nothing but Windows' DLLs to find under Wine. C99 printf (%zu) as in cmocka's build
# (tests/matrix/mingw64.cmake): mingw's stdio, and cmocka's printf-format attribute checked as
# that (gcc reads `printf` as Microsoft's format on this target).
WIN_TEST_CFLAGS := -D__USE_MINGW_ANSI_STDIO=1 -D__printf__=__gnu_printf__
$(WB)/tests/%.exe: tests/%.c $(wildcard tests/*.h) $(wildcard tests/win/*.h) $(WB)/libcmio.a
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) $(WIN_TEST_CFLAGS) $(WIN_INCLUDES) -I$(CMOCKA)/include $< \
		$(WB)/libcmio.a $(CMOCKA)/lib/libcmocka.a -lws2_32 -static -lpthread -o $@

windows-run-tests: windows-lib $(WIN_TESTS) windows-check-exports windows-check-headers
	@sh tests/win/run.sh $(WB) build/test-results.txt $(WIN_TESTS)

# cmio.dll exports cmio_* functions only (as check-exports for libcmio.so).
windows-check-exports: $(WB)/cmio.dll
	@names=$$($(WIN_OBJDUMP) -p $< | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$$/p' | \
		awk '/\]/ && !/Table/ {print $$NF}'); \
	bad=$$(printf '%s\n' $$names | grep -v -e '^cmio_' || true); \
	if [ -n "$$bad" ]; then echo "cmio.dll exports non-cmio symbols: $$bad"; exit 1; fi; \
	echo "windows-check-exports: cmio.dll exports $$(printf '%s\n' $$names | grep -c '^cmio_') symbols, all cmio_*"

# Every public header compiles alone with mingw-w64, as C11, C99 and C++11, with no POSIX header.
windows-check-headers:
	@for h in runtime/include/cmio/*.h generated/windows/include/cmio/*.h; do \
		n=$$(basename $$h); \
		printf '#include <cmio/%s>\n' $$n | $(WIN_CC) $(WFLAGS) $(WIN_INCLUDES) -x c -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(WIN_CC) -std=c99 -Wall -Wextra -Werror $(WIN_INCLUDES) -x c -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(WIN_CXX) -std=c++11 -Wall -Wextra -Werror $(WIN_INCLUDES) -x c++ -fsyntax-only - || exit 1; \
	done; echo "windows-check-headers: every header compiles alone as C11, C99 and C++11 (mingw-w64)"

-include $(WIN_OBJS:.o=.d) $(WIN_DLL_OBJS:.o=.d)
