# SPDX-License-Identifier: MIT
# make install / make uninstall, cmio.pc and the CMake package (included by the Makefile).
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=$(PREFIX)/lib] [INCLUDEDIR=$(PREFIX)/include]
#                [PKGCONFIGDIR=$(LIBDIR)/pkgconfig] [CMAKEDIR=$(LIBDIR)/cmake/cmio]
#                [MANDIR=$(PREFIX)/share/man] [DOCDIR=$(PREFIX)/share/doc/cmio]
#
# installs the built PLATFORM's library: one merged include/cmio/ (runtime/include/cmio and
# generated/$(PLATFORM)/include/cmio), libcmio.a, libcmio.so.MAJOR.MINOR.PATCH with the links
# libcmio.so.MAJOR and libcmio.so, cmio.pc, the CMake package (cmio-config.cmake,
# cmio-config-version.cmake), the man pages (section 3) and LICENSE, CHANGELOG.md, README.md.
# PREFIX, LIBDIR, … are the final paths (written into cmio.pc); DESTDIR is prepended to every
# installed file only (staged installs, packages). `make uninstall` with the same variables
# removes exactly those files.

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/cmio
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/cmio
DESTDIR ?=
INSTALL ?= install

INSTALL_HEADERS = $(sort $(wildcard $(S)runtime/include/cmio/*.h)) \
	$(sort $(wildcard $(S)generated/$(PLATFORM)/include/cmio/*.h))
INSTALL_MAN3 = $(sort $(wildcard $(S)generated/man/man3/*.3))
INSTALL_DOCS = $(S)LICENSE $(S)CHANGELOG.md $(S)README.md

# cmio.pc: ${prefix}-relative paths when LIBDIR/INCLUDEDIR are under PREFIX, else absolute.
pc_path = $(if $(filter $(PREFIX)/%,$(1)),$${prefix}$(patsubst $(PREFIX)%,%,$(1)),$(1))
# The pointer size the library is built for (the CMake package refuses other sizes).
SIZEOF_VOID_P = $(shell printf '__SIZEOF_POINTER__\n' | $(CC) $(CPPFLAGS) $(CFLAGS) -E -P -x c - | tail -n 1)

PKG_FILES := $(B)/cmio.pc $(B)/cmio-config.cmake $(B)/cmio-config-version.cmake

# Remade whenever an install path or the version changes (the stamp holds them).
PKG_STAMP_TEXT = $(VERSION) $(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(CMAKEDIR)
$(B)/.pkg-paths: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = "$(PKG_STAMP_TEXT)" ] || echo "$(PKG_STAMP_TEXT)" > $@

$(B)/cmio.pc: $(S)pkg/cmio.pc.in $(S)VERSION $(B)/.pkg-paths
	$(call say,GEN,$@)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call pc_path,$(LIBDIR))|g' \
		-e 's|@INCLUDEDIR@|$(call pc_path,$(INCLUDEDIR))|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

$(B)/cmio-config.cmake: $(S)pkg/cmio-config.cmake.in $(S)VERSION $(B)/.pkg-paths
	$(call say,GEN,$@)sed -e "s|@REL_LIBDIR@|$$(realpath -m --relative-to='$(CMAKEDIR)' '$(LIBDIR)')|g" \
		-e "s|@REL_INCLUDEDIR@|$$(realpath -m --relative-to='$(CMAKEDIR)' '$(INCLUDEDIR)')|g" \
		-e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(VERSION_MAJOR)|g' $< > $@

$(B)/cmio-config-version.cmake: $(S)pkg/cmio-config-version.cmake.in $(S)VERSION $(B)/.pkg-paths
	$(call say,GEN,$@)sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(VERSION_MAJOR)|g' \
		-e 's|@SIZEOF_VOID_P@|$(SIZEOF_VOID_P)|g' $< > $@

lib: $(PKG_FILES)

# tests/suite_install.sh: install into a temporary DESTDIR, build and run consumers.
SHELL_SUITES += install

.PHONY: install uninstall FORCE
FORCE:

install: lib
	@case "$(PREFIX)$(LIBDIR)$(INCLUDEDIR)" in /*) ;; *) \
		echo "install: PREFIX, LIBDIR and INCLUDEDIR must be absolute paths" >&2; exit 1 ;; esac
	$(call say,INSTALL,$(DESTDIR)$(INCLUDEDIR)/cmio)$(INSTALL) -d '$(DESTDIR)$(INCLUDEDIR)/cmio'
	$(Q)$(INSTALL) -m 644 $(INSTALL_HEADERS) '$(DESTDIR)$(INCLUDEDIR)/cmio'
	$(call say,INSTALL,$(DESTDIR)$(LIBDIR))$(INSTALL) -d '$(DESTDIR)$(LIBDIR)'
	$(Q)$(INSTALL) -m 644 $(B)/libcmio.a '$(DESTDIR)$(LIBDIR)/libcmio.a'
	$(Q)$(INSTALL) -m 755 $(B)/$(SOLIB) '$(DESTDIR)$(LIBDIR)/$(SOLIB)'
	$(Q)ln -sf $(SOLIB) '$(DESTDIR)$(LIBDIR)/$(SONAME)'
	$(Q)ln -sf $(SONAME) '$(DESTDIR)$(LIBDIR)/libcmio.so'
	$(call say,INSTALL,$(DESTDIR)$(PKGCONFIGDIR)/cmio.pc)$(INSTALL) -d '$(DESTDIR)$(PKGCONFIGDIR)'
	$(Q)$(INSTALL) -m 644 $(B)/cmio.pc '$(DESTDIR)$(PKGCONFIGDIR)/cmio.pc'
	$(call say,INSTALL,$(DESTDIR)$(CMAKEDIR))$(INSTALL) -d '$(DESTDIR)$(CMAKEDIR)'
	$(Q)$(INSTALL) -m 644 $(B)/cmio-config.cmake $(B)/cmio-config-version.cmake '$(DESTDIR)$(CMAKEDIR)'
ifneq ($(INSTALL_MAN3),)
	$(call say,INSTALL,$(DESTDIR)$(MANDIR)/man3)$(INSTALL) -d '$(DESTDIR)$(MANDIR)/man3'
	$(Q)$(INSTALL) -m 644 $(INSTALL_MAN3) '$(DESTDIR)$(MANDIR)/man3'
endif
	$(call say,INSTALL,$(DESTDIR)$(DOCDIR))$(INSTALL) -d '$(DESTDIR)$(DOCDIR)'
	$(Q)$(INSTALL) -m 644 $(wildcard $(INSTALL_DOCS)) '$(DESTDIR)$(DOCDIR)'

uninstall:
	$(call say,RM,$(DESTDIR)$(INCLUDEDIR)/cmio)rm -f $(addprefix '$(DESTDIR)$(INCLUDEDIR)/cmio/,$(addsuffix ',$(notdir $(INSTALL_HEADERS))))
	$(Q)rmdir '$(DESTDIR)$(INCLUDEDIR)/cmio' 2>/dev/null || true
	$(call say,RM,$(DESTDIR)$(LIBDIR)/libcmio.*)rm -f '$(DESTDIR)$(LIBDIR)/libcmio.a' '$(DESTDIR)$(LIBDIR)/$(SOLIB)' \
		'$(DESTDIR)$(LIBDIR)/$(SONAME)' '$(DESTDIR)$(LIBDIR)/libcmio.so'
	$(Q)rm -f '$(DESTDIR)$(PKGCONFIGDIR)/cmio.pc'
	$(Q)rm -f '$(DESTDIR)$(CMAKEDIR)/cmio-config.cmake' '$(DESTDIR)$(CMAKEDIR)/cmio-config-version.cmake'
	$(Q)rmdir '$(DESTDIR)$(CMAKEDIR)' 2>/dev/null || true
	$(Q)rm -f $(addprefix '$(DESTDIR)$(MANDIR)/man3/,$(addsuffix ',$(notdir $(INSTALL_MAN3))))
	$(Q)rm -f $(addprefix '$(DESTDIR)$(DOCDIR)/,$(addsuffix ',$(notdir $(INSTALL_DOCS))))
	$(Q)rmdir '$(DESTDIR)$(DOCDIR)' 2>/dev/null || true
