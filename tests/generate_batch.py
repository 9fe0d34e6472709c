#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""generate_batch.py BATCH: runs codegen/generate.py once for every folder BATCH/<case>/ that has
an `idl/` folder, all in this one process, as

    cd BATCH/<case> && generate.py --idl BATCH/<case>/idl --out BATCH/<case>/out

would run it, and writes what it printed (stdout and stderr, in order) to BATCH/<case>/output and
its exit status to BATCH/<case>/status. tests/test_codegen.c runs the bad-IDL cases through this:
one Python start for all of them instead of one each (a start, the imports and reading every IDL
file cost more than the checks a case is about).

Each case runs generate.py's own main(), with its own arguments and working directory; an
exception main() lets out is printed as Python prints it, with status 1, as the command would.
The one shortcut: reading a file (idl_yaml.load_yaml) is memoized on (its name as messages show
it, its bytes). A file with the same name and bytes as one an earlier case read, which is every
file a case does not replace, gives a deep copy of the same document, or the same error, without
being parsed again; load_yaml is a function of those two alone.
"""

import contextlib
import copy
import io
import os
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "codegen"))
import generate  # noqa: E402
import idl  # noqa: E402


def memoized(real):
    cache = {}

    def load_yaml(path, display):
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError:
            return real(path, display)
        key = (display, raw)
        if key not in cache:
            try:
                cache[key] = (real(path, display), None)
            except idl.IdlError as e:
                cache[key] = (None, e.errors)
        doc, errors = cache[key]
        if errors is not None:
            raise idl.IdlError(list(errors))
        return copy.deepcopy(doc)

    return load_yaml


def run_one(case_dir):
    """generate.py's main() on case_dir/idl into case_dir/out, from case_dir: (status, output)."""
    out = io.StringIO()
    argv, cwd = sys.argv, os.getcwd()
    sys.argv = ["generate.py", "--idl", os.path.join(case_dir, "idl"),
                "--out", os.path.join(case_dir, "out")]
    try:
        os.chdir(case_dir)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                status = generate.main()
            except SystemExit as e:  # as the interpreter turns sys.exit(code) into a status
                if e.code is None or isinstance(e.code, int):
                    status = e.code or 0
                else:
                    print(e.code, file=sys.stderr)
                    status = 1
            except Exception:  # noqa: BLE001 (printed, as an uncaught exception would be)
                traceback.print_exc()
                status = 1
    finally:
        os.chdir(cwd)
        sys.argv = argv
    return status or 0, out.getvalue()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.splitlines()[0])
    batch = os.path.abspath(sys.argv[1])
    idl.load_yaml = memoized(idl.load_yaml)
    n = 0
    for case in sorted(os.listdir(batch)):
        case_dir = os.path.join(batch, case)
        if not os.path.isdir(os.path.join(case_dir, "idl")):
            continue
        status, output = run_one(case_dir)
        with open(os.path.join(case_dir, "output"), "w", encoding="utf-8",
                  errors="backslashreplace") as f:
            f.write(output)
        with open(os.path.join(case_dir, "status"), "w", encoding="utf-8") as f:
            f.write(f"{status}\n")
        n += 1
    print(f"generate_batch: {n} case(s) run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
