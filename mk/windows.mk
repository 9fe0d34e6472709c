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
#   make windows-examples   build/windows/examples/*.exe: tcp_server (with cmio.dll), tcp_client
#   make windows-install    DESTDIR/WIN_PREFIX (default /usr/local/x86_64-w64-mingw32):
#                           include/cmio/*.h, lib/libcmio.a, lib/libcmio.dll.a, bin/cmio.dll
#   make windows-run-tests CMOCKA=<prefix>
#                           every Windows suite (each run under Wine by tests/win/run.sh), the
#                           shell suite tests/win/suite_windows.sh (install, a program written
#                           for Linux built unchanged and run, the example echo server) and the
#                           export and header checks; results appended to build/test-results.txt
#
# Link a program with the static library: x86_64-w64-mingw32-gcc prog.c -lcmio -lws2_32 (with
# libcmio.dll.a installed too, -lcmio takes cmio.dll, which then needs nothing else).

WIN_CC ?= x86_64-w64-mingw32-gcc
WIN_CXX ?= x86_64-w64-mingw32-g++
WIN_AR ?= x86_64-w64-mingw32-ar
WIN_OBJDUMP ?= x86_64-w64-mingw32-objdump
WIN_PREFIX ?= /usr/local/x86_64-w64-mingw32
WB := build/windows

# Windows 7 (0x0601) APIs: GetQueuedCompletionStatusEx, InitOnce, SRW locks. The generated wrappers
# define these themselves (platform table feature_macros).
WIN_DEFS := -DWIN32_LEAN_AND_MEAN -D_WIN32_WINNT=0x0601
WIN_CFLAGS := $(WFLAGS) -O2 -g
WIN_INCLUDES := -I$(S)runtime/include -I$(S)generated/windows/include -I$(S)runtime

# The runtime files that need what Windows lacks (fds and fcntl, Unix-domain sockets, recvmmsg
# batches, the fd wakers and their poll backends) are left out; runtime/win/ replaces them.
WIN_UNIX_ONLY := fd.c unix_addr.c unix_net.c udp_batch.c waker.c waker_eventfd.c waker_pipe.c \
	backend_epoll.c backend_poll.c
WIN_RUNTIME_SRC := $(filter-out $(addprefix $(S)runtime/,$(WIN_UNIX_ONLY)), \
	$(wildcard $(S)runtime/*.c)) $(wildcard $(S)runtime/win/*.c)
WIN_GEN_SRC := $(wildcard $(S)generated/windows/src/*.c)
WIN_OBJS := $(WIN_RUNTIME_SRC:$(S)runtime/%.c=$(WB)/runtime/%.o) \
	$(WIN_GEN_SRC:$(S)generated/windows/src/%.c=$(WB)/gen/%.o)
WIN_DLL_OBJS := $(WIN_OBJS:$(WB)/%.o=$(WB)/dll/%.o)

# The suites that apply to Windows. The rest are Unix-only: test_unix_* (no Unix-domain sockets
# on Windows, as mio), test_codegen (the generator; the Linux rows run it), test_examples (fork,
# exec and RLIMIT_NOFILE; suite_windows runs the example server instead), test_inline (the inline
# fast paths exist where the handle is an fd only).
WIN_SUITES := test_error test_addr test_poll test_tcp_listener test_tcp_stream test_udp_socket \
	test_waker test_io_source test_empty test_edge test_version
WIN_TESTS := $(WIN_SUITES:%=$(WB)/tests/%.exe)
WIN_EXAMPLES := $(WB)/examples/tcp_server.exe $(WB)/examples/tcp_client.exe

.PHONY: test-windows windows-lib windows-examples windows-install windows-run-tests \
	windows-check-exports windows-check-headers

test-windows:
	@cd $(SRCDIR) && sh tests/matrix.sh windows

windows-lib: $(WB)/libcmio.a $(WB)/cmio.dll

$(WB)/runtime/%.o: $(S)runtime/%.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(WIN_CC) $(WIN_CFLAGS) $(WIN_DEFS) $(WIN_INCLUDES) -MMD -MP -c $< -o $@

$(WB)/gen/%.o: $(S)generated/windows/src/%.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(WIN_CC) $(WIN_CFLAGS) $(WIN_INCLUDES) -I$(S)generated/windows/src -MMD -MP \
		-c $< -o $@

# The DLL's objects: the same sources with CMIO_API = __declspec(dllexport), so that cmio.dll
# exports exactly the public functions.
$(WB)/dll/runtime/%.o: $(S)runtime/%.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(WIN_CC) $(WIN_CFLAGS) $(WIN_DEFS) -DCMIO_BUILD_DLL $(WIN_INCLUDES) -MMD -MP \
		-c $< -o $@

$(WB)/dll/gen/%.o: $(S)generated/windows/src/%.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(WIN_CC) $(WIN_CFLAGS) -DCMIO_BUILD_DLL $(WIN_INCLUDES) \
		-I$(S)generated/windows/src -MMD -MP -c $< -o $@

$(WB)/libcmio.a: $(WIN_OBJS)
	$(call say,AR,$@)rm -f $@ && $(WIN_AR) rcs $@ $^

# libgcc linked in: cmio.dll needs only Windows' own DLLs (kernel32, ws2_32, msvcrt).
$(WB)/cmio.dll: $(WIN_DLL_OBJS)
	$(call say,LD,$@)$(WIN_CC) -shared -static-libgcc -o $@ $^ \
		-Wl,--out-implib,$(WB)/libcmio.dll.a -lws2_32

# The examples: tcp_server through cmio.dll (next to it), tcp_client with the static library.
windows-examples: $(WIN_EXAMPLES)

$(WB)/examples/tcp_server.exe: $(S)examples/tcp_server.c $(WB)/cmio.dll
	@mkdir -p $(@D)
	cp $(WB)/cmio.dll $(@D)/
	$(call say,CC,$<)$(WIN_CC) $(WIN_CFLAGS) $(WIN_INCLUDES) $< -L$(WB) -lcmio -lws2_32 \
		-static-libgcc -o $@

$(WB)/examples/tcp_client.exe: $(S)examples/tcp_client.c $(WB)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(WIN_CC) $(WIN_CFLAGS) $(WIN_INCLUDES) $< $(WB)/libcmio.a -lws2_32 -static \
		-lpthread -o $@

windows-install: windows-lib
	install -d $(DESTDIR)$(WIN_PREFIX)/include/cmio $(DESTDIR)$(WIN_PREFIX)/lib \
		$(DESTDIR)$(WIN_PREFIX)/bin
	install -m 644 $(S)runtime/include/cmio/*.h $(S)generated/windows/include/cmio/*.h \
		$(DESTDIR)$(WIN_PREFIX)/include/cmio/
	install -m 644 $(WB)/libcmio.a $(WB)/libcmio.dll.a $(DESTDIR)$(WIN_PREFIX)/lib/
	install -m 755 $(WB)/cmio.dll $(DESTDIR)$(WIN_PREFIX)/bin/

# Tests link the static library (they use private runtime headers too) and cmocka statically:
# nothing but Windows' DLLs to find under Wine. C99 printf (%zu) as in cmocka's build
# (tests/matrix/mingw64.cmake): mingw's stdio, and cmocka's printf-format attribute checked as
# that (gcc reads `printf` as Microsoft's format on this target).
WIN_TEST_CFLAGS := -D__USE_MINGW_ANSI_STDIO=1 -D__printf__=__gnu_printf__
$(WB)/tests/%.exe: $(S)tests/%.c $(wildcard $(S)tests/*.h) $(wildcard $(S)tests/win/*.h) \
		$(WB)/libcmio.a
	@mkdir -p $(@D)
	$(call say,CC,$<)$(WIN_CC) $(WIN_CFLAGS) $(WIN_TEST_CFLAGS) $(WIN_INCLUDES) \
		-I$(CMOCKA)/include $< $(WB)/libcmio.a $(CMOCKA)/lib/libcmocka.a -lws2_32 -static \
		-lpthread -o $@

windows-run-tests: windows-lib $(WIN_TESTS) $(WIN_EXAMPLES) windows-check-exports \
		windows-check-headers
	@sh $(S)tests/win/run.sh $(WB) build/test-results.txt $(WIN_TESTS)

# cmio.dll exports cmio_* functions only (as check-exports for libcmio.so).
windows-check-exports: $(WB)/cmio.dll
	@names=$$($(WIN_OBJDUMP) -p $< | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$$/p' | \
		awk '/\]/ && !/Table/ {print $$NF}'); \
	bad=$$(printf '%s\n' $$names | grep -v -e '^cmio_' || true); \
	if [ -n "$$bad" ]; then echo "cmio.dll exports non-cmio symbols: $$bad"; exit 1; fi; \
	echo "windows-check-exports: cmio.dll exports $$(printf '%s\n' $$names | grep -c '^cmio_') symbols, all cmio_*"

# Every public header compiles alone with mingw-w64, as C11, strict C99 (-pedantic) and C++11, with
# no POSIX header.
windows-check-headers:
	@for h in $(S)runtime/include/cmio/*.h $(S)generated/windows/include/cmio/*.h; do \
		n=$$(basename $$h); \
		printf '#include <cmio/%s>\n' $$n | $(WIN_CC) $(WFLAGS) $(WIN_INCLUDES) -x c -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\ntypedef int cmio_tu;\n' $$n | $(WIN_CC) $(C99_FLAGS) $(WIN_INCLUDES) -x c -fsyntax-only - || exit 1; \
		printf '#include <cmio/%s>\n' $$n | $(WIN_CXX) -std=c++11 -Wall -Wextra -Werror $(WIN_INCLUDES) -x c++ -fsyntax-only - || exit 1; \
	done; echo "windows-check-headers: every header compiles alone as C11, C99 and C++11 (mingw-w64)"

-include $(WIN_OBJS:.o=.d) $(WIN_DLL_OBJS:.o=.d)
