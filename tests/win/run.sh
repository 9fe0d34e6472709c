#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/win/run.sh BUILD RESULTS TEST.exe...: runs the Windows suites under Wine through
# tests/run.sh (row "windows/afd/iocp", cmocka's summary per suite, results appended to RESULTS),
# then the shell suite tests/win/suite_windows.sh (install, outside program, example server).
#
# Wine runs with a private prefix under BUILD (created on first use, ~10 s), WINEDEBUG=-all and
# mscoree/mshtml disabled (no Mono/Gecko install prompts); one `wineserver -p` stays up for the
# whole run (each suite then starts in ~0.1 s instead of ~1 s) and is stopped with `wineserver -k`
# at the end. CMIO_RUNNER=wine also lets a test say when it runs under Wine.
set -u
build=$1
results=$2
shift 2
WINEPREFIX=$(cd "$build" && pwd)/wineprefix
WINEDEBUG=-all
WINEDLLOVERRIDES="mscoree,mshtml="
export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
for tool in wine wineserver; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "tests/win/run.sh: $tool not found (apt-get install wine wine64)" >&2
        echo "windows/afd/iocp wine_missing 0 1 0" >>"$results"
        exit 1
    }
done
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "tests/win/run.sh: creating the Wine prefix $WINEPREFIX"
    wineboot -i >/dev/null 2>&1 || wine cmd /c exit >/dev/null 2>&1
fi
wineserver -p
trap 'wineserver -k 2>/dev/null' EXIT INT TERM
here=$(cd "$(dirname "$0")" && pwd)
CMIO_ROOT=$(cd "$here/../.." && pwd)
export CMIO_ROOT
CMIO_RUNNER=wine sh "$here/../run.sh" windows/afd/iocp "$results" "$@"
rc=$?
sh "$here/suite_windows.sh" windows/afd/iocp "$results" "$build" || rc=1
exit $rc
