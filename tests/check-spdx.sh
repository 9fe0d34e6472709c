#!/bin/sh
# SPDX-License-Identifier: MIT
# check-spdx.sh [ROOT]: lists every source file that lacks the line `SPDX-License-Identifier: MIT`
# in its first 5 lines, and fails if there is one (`make check-spdx`, part of `make test`).
#
# Source files: C (.c .h), Python (.py), shell (.sh, and any file starting with #!), Makefiles
# (Makefile, .mk), templates (.j2, .in), YAML (.yaml .yml, .clang-format), CMake (.cmake), awk,
# Rust and TOML (bench/mio). Not source: documentation (.md), data (.json, .png, VERSION, LICENSE,
# Cargo.lock, tests/idl-bad/*/expect), .gitignore, and the two bad-IDL fixtures whose bytes are
# the test and cannot hold the line: an empty file (yaml_empty_file) and a UTF-16 one (yaml_utf16,
# where the line would be UTF-16 too). Files are those git knows or would add (tracked plus
# untracked, not ignored); outside a git checkout, every file under ROOT except build/.
set -u
root=${1:-.}
cd "$root" || exit 2

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    files=$(git ls-files --cached --others --exclude-standard | sort -u)
else
    files=$(find . -path ./build -prune -o -path ./.git -prune -o -type f -print | sed 's|^\./||' | sort)
fi

is_source() {
    case $1 in
    *.md | *.json | *.png | *.lock | */expect | VERSION | LICENSE | .gitignore) return 1 ;;
    tests/idl-bad/yaml_empty_file/probe.yaml | tests/idl-bad/yaml_utf16/probe.yaml) return 1 ;;
    *.c | *.h | *.py | *.sh | *.mk | *.j2 | *.in | *.yaml | *.yml | *.cmake | *.awk | *.rs | *.toml) return 0 ;;
    Makefile | */Makefile | .clang-format) return 0 ;;
    esac
    # Scripts without an extension (codegen/find-python, .ci/run).
    [ -f "$1" ] && head -c 2 "$1" 2>/dev/null | grep -q '^#!'
}

n=0
bad=0
for f in $files; do
    [ -f "$f" ] || continue # deleted but not yet committed
    is_source "$f" || continue
    n=$((n + 1))
    if ! head -n 5 "$f" | grep -q 'SPDX-License-Identifier: MIT'; then
        [ "$bad" -eq 0 ] && echo "check-spdx: these source files have no 'SPDX-License-Identifier: MIT' line in their first 5 lines:"
        echo "    $f"
        bad=$((bad + 1))
    fi
done
if [ "$bad" -gt 0 ]; then
    echo "check-spdx: $bad of $n source files lack the licence line (see LICENSE; the comment syntax of the file, e.g. /* SPDX-License-Identifier: MIT */ or # SPDX-License-Identifier: MIT)"
    exit 1
fi
echo "check-spdx: all $n source files carry SPDX-License-Identifier: MIT"
