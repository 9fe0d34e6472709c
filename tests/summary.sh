#!/bin/sh
# SPDX-License-Identifier: MIT
# summary.sh RESULTS: per-row counts, then one closing line "cmio: N passed, N failed, N skipped".
# Exits non-zero when anything failed or nothing ran.
set -u
results=$1
if [ ! -s "$results" ]; then
    echo "cmio: 0 passed, 1 failed (no suite ran)"
    exit 1
fi
echo "==== summary ===="
# A row that could not run at all is one line "ROW skipped:<reason~with~tildes~for~spaces> 0 0 1".
awk '
/^#/ { note = note "\n" substr($0, 3); next }
{ p[$1] += $3; f[$1] += $4; s[$1] += $5; n[$1]++; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
$2 ~ /^skipped:/ { w = substr($2, 9); gsub(/~/, " ", w); why[$1] = w }
$4 > 0 { bad = bad " " $1 "/" $2 }
END {
    for (i = 1; i <= k; i++) {
        r = order[i]
        if (r in why) printf "row %-20s skipped: %s\n", r, why[r]
        else printf "row %-20s %3d suites  %4d passed  %d failed  %d skipped\n", r, n[r], p[r], f[r], s[r]
        P += p[r]; F += f[r]; S += s[r]
    }
    if (bad != "") printf "failing suites:%s\n", bad
    if (note != "") printf "%s\n", substr(note, 2)
    printf "cmio: %d passed, %d failed, %d skipped\n", P, F, S
    exit F > 0
}' "$results"
