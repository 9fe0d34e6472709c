# SPDX-License-Identifier: MIT
# API and ABI change detection (included by the Makefile).
#
#   make api-check      the API surface the IDL declares (every export: name, parameter types,
#                       result, platforms; codegen/api.py) against idl/api-baseline.json: a
#                       removed export, a changed signature or a lost platform fails with a
#                       readable diff; additions are listed and pass
#   make api-baseline   accepts the current surface (rewrites idl/api-baseline.json)
#   make abi-check      libcmio.so's ABI (abidw: every exported function and every type they
#                       reach, with sizes and field offsets — cmio_io_source, cmio_events, the
#                       poll head struct cmio__poll_head that the headers' inline code reads)
#                       against abi/<platform>-<arch>.abi with abidiff: any change but an added
#                       function fails
#   make abi-baseline   rewrites abi/<platform>-<arch>.abi from this build
#   make audit          the API table (generated/api.md), then the status of both baselines
#
# The baselines are regenerated deterministically (`make api-baseline abi-baseline`) when a release
# accepts a change; the ABI baseline is the default build's (gcc, -O2 -g, PLATFORM=linux).
# abidw/abidiff come from Debian's abigail-tools (tests/install-deps.sh installs it).

API_BASELINE := $(S)idl/api-baseline.json
ABI_ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine 2>/dev/null)))
ABI_BASELINE := $(S)abi/$(PLATFORM)-$(ABI_ARCH).abi
# Locations, parameter names and paths are left out: they change without changing the ABI.
ABIDW_FLAGS := --no-corpus-path --no-comp-dir-path --no-show-locs --no-parameter-names \
	--no-elf-needed --type-id-style hash
ABIDIFF_FLAGS := --no-show-locs

.PHONY: api-check api-baseline abi-check abi-baseline
TEST_CHECKS += api-check abi-check
SHELL_SUITES += api abi

api-check:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; "$$py" $(S)codegen/generate.py api-check \
		--baseline $(API_BASELINE)

api-baseline:
	@py="$(PYTHON)"; [ -n "$$py" ] || exit 1; "$$py" $(S)codegen/generate.py api-baseline \
		--baseline $(API_BASELINE)

# abidiff's exit status is a bit field: 4 = the ABI changed, 8 = an incompatible change, 1/2 =
# error. Added functions alone are reported as a change too; they are accepted here (the API
# check lists them), everything else fails.
abi-check: $(B)/libcmio.so
	@command -v abidiff >/dev/null 2>&1 || { echo "abi-check: abidiff is missing: apt-get install abigail-tools (make test-deps installs it)"; exit 1; }
	@if [ ! -f $(ABI_BASELINE) ]; then \
		echo "abi-check: SKIPPED: no ABI baseline for $(PLATFORM)-$(ABI_ARCH) ($(ABI_BASELINE:$(S)%=%); make abi-baseline writes one)"; \
		exit 0; fi; \
	out=$$(abidiff $(ABIDIFF_FLAGS) $(ABI_BASELINE) $(B)/$(SOLIB)); rc=$$?; \
	if [ $$rc -eq 0 ]; then \
		echo "abi-check: $(B)/$(SOLIB) has the ABI of $(ABI_BASELINE:$(S)%=%)"; exit 0; fi; \
	if [ $$((rc & 3)) -ne 0 ]; then echo "$$out"; echo "abi-check: abidiff failed (status $$rc)"; exit 1; fi; \
	if printf '%s\n' "$$out" | grep -q '^Functions changes summary: 0 Removed, 0 Changed[^,]*, [0-9]* Added' && \
	   printf '%s\n' "$$out" | grep -q '^Variables changes summary: 0 Removed, 0 Changed, 0 Added' && \
	   ! printf '%s\n' "$$out" | grep -q -e 'Removed function symbol' -e 'Removed variable symbol' \
		-e 'Changed function symbol' -e 'Removed variable' -e 'changed:$$' -e 'size changed' \
		-e 'offset changed'; then \
		printf '%s\n' "$$out" | sed -n '/Added function/,$$p'; \
		echo "abi-check: only additions against $(ABI_BASELINE:$(S)%=%) (make abi-baseline accepts them)"; exit 0; fi; \
	echo "$$out"; \
	echo "abi-check: FAILED: the ABI of $(B)/$(SOLIB) differs from $(ABI_BASELINE:$(S)%=%) (above)."; \
	echo "abi-check: programs built against libcmio.so.$(VERSION_MAJOR) would break: restore it, or make"; \
	echo "abi-check: it a new MAJOR version (VERSION) and accept it with make abi-baseline."; exit 1

abi-baseline: $(B)/libcmio.so
	@mkdir -p $(dir $(ABI_BASELINE))
	@abidw $(ABIDW_FLAGS) --out-file $(ABI_BASELINE) $(B)/$(SOLIB) && \
		echo "abi-baseline: $(ABI_BASELINE:$(S)%=%) holds the ABI of $(B)/$(SOLIB) ($$(grep -c '<elf-symbol ' $(ABI_BASELINE)) symbols)"

# make audit: after the API table and the API baseline status, the ABI baseline status.
AUDIT_STATUS += abi-status
.PHONY: abi-status
abi-status: $(B)/libcmio.so
	@$(MAKE) --no-print-directory abi-check > $(B)/abi-check.txt 2>&1; \
	grep '^abi-check:' $(B)/abi-check.txt || tail -n 3 $(B)/abi-check.txt; true
