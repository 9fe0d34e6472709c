#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_surface.py PLATFORM OUTDIR -- CC ARGS...

Checks a generated platform's API surface against generated/api.json (the IDL's availability):
every operation available on PLATFORM is declared by <cmio/cmio.h> and has its CMIO_HAVE_ macro;
every other one, and the Waker API when the platform has no waker, is a compile error (an
undeclared identifier), as mio's cfg makes it. Two compiles with CC ARGS (-fsyntax-only is added):
one that must succeed, one that must fail naming each absent function."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAKER_API = ["cmio_waker_new", "cmio_waker_wake", "cmio_waker_free", "cmio_waker_name"]


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    plat, out, cc = sys.argv[1], sys.argv[2], sys.argv[4:]
    with open(os.path.join(ROOT, "generated", "api.json"), encoding="utf-8") as f:
        api = json.load(f)
    if plat not in api["platforms"] or not api["platforms"][plat].get("generate"):
        sys.exit(f"check-surface: '{plat}' is not a generated platform")
    no_waker = api["platforms"][plat]["wakers"] == ["none"]
    ops = [op for t in api["types"] for op in t["ops"]]
    present = [op["c_name"] for op in ops if op["available"][plat]]
    absent = [op["c_name"] for op in ops if not op["available"][plat]]
    absent += WAKER_API if no_waker else []
    os.makedirs(out, exist_ok=True)

    good = ["#include <cmio/cmio.h>", "void cmio_surface_present(void);",
            "void cmio_surface_present(void)", "{"]
    good += [f"    (void)&{name};" for name in present]
    good += ["}"]
    for op in ops:
        macro = "CMIO_HAVE_" + op["c_name"][len("cmio_"):].upper()
        want = op["available"][plat]
        good += [f"#if{'n' if want else ''}def {macro}",
                 f"#error {macro} is {'missing' if want else 'defined'}", "#endif"]
    bad = ["#include <cmio/cmio.h>"]
    for i, name in enumerate(absent):
        bad += [f"void cmio_surface_absent_{i}(void);",
                f"void cmio_surface_absent_{i}(void) {{ (void)&{name}; }}"]

    def compile_file(name, lines):
        path = os.path.join(out, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        unlimited = ["-ferror-limit=0"] if "clang" in os.path.basename(cc[0]) else []
        return subprocess.run(cc + ["-fsyntax-only"] + unlimited + [path],
                              capture_output=True, text=True, check=False,
                              env=dict(os.environ, LC_ALL="C"))  # plain ' quotes

    r = compile_file("surface_present.c", good)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        sys.exit(f"check-surface: {plat}: an available operation is missing (see above)")
    r = compile_file("surface_absent.c", bad) if absent else None
    undeclared = [n for n in absent if f"'{n}'" not in r.stderr] if r else []
    if r and (r.returncode == 0 or undeclared):
        sys.stderr.write(r.stderr)
        sys.exit(f"check-surface: {plat}: declared although absent from the IDL: "
                 f"{', '.join(undeclared) or '(the file compiled)'}")
    print(f"check-surface: {plat}: {len(present)} operations declared, {len(absent)} absent "
          f"(each an undeclared identifier{', the Waker API included' if no_waker else ''})")


if __name__ == "__main__":
    main()
