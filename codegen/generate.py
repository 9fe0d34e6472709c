#!/usr/bin/env python3
"""cmio generator: idl/*.yaml -> generated/ (headers, per-platform wrappers, API table).

  generate.py [--out DIR]     validate the IDL, render every artifact, clang-format, write
  generate.py audit           print the API surface (Markdown) and write generated/api.json

Steps: load + validate (idl.py), build the model, render (templates/, one per artifact), format
(clang-format with the repo's .clang-format), write atomically. Nothing is written unless every
step succeeded; the output is byte-identical from run to run.
"""

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile

import idl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = os.path.join(ROOT, "codegen", "templates")


@functools.lru_cache(maxsize=None)
def environment():
    import jinja2  # here: a run that stops at a bad IDL does not need it

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["split_lines"] = str.splitlines
    return env


def check_kinds(model, idl_dir):
    """Every kind in schema.yaml has its macro, `<kind>(op, type, platform)`, in ops.c.j2."""
    macros = environment().get_template("ops.c.j2").module
    errors = []
    for kind, line in model["kinds"].items():
        m = getattr(macros, kind, None)
        if getattr(m, "arguments", None) != ("op", "type", "platform"):
            errors.append(f"{os.path.basename(os.path.normpath(idl_dir))}/schema.yaml:{line}: "
                          f"kind '{kind}' has no macro {kind}(op, type, platform) in "
                          "codegen/templates/ops.c.j2")
    if errors:
        raise idl.IdlError(errors)


def load(idl_dir, runtime_dir=None):
    """The validated model (idl.load), checked against the templates; raises idl.IdlError."""
    model = idl.load(idl_dir, runtime_dir)
    check_kinds(model, idl_dir)
    return model


def render_all(model):
    """Returns {relative path: (text, needs clang-format)} for every generated file."""
    env = environment()
    out = {}

    def put(path, template, fmt=True, **ctx):
        out[path] = (env.get_template(template).render(model=model, **ctx), fmt)

    for plat in model["platforms"]:
        if not plat["generate"]:
            continue
        name = plat["name"]
        types = [dict(t, ops=[op for op in t["ops"] if name in op["available"]])
                 for t in model["types"]]
        inc, src = f"{name}/include/cmio", f"{name}/src"
        put(f"{inc}/platform.h", "platform.h.j2", platform=plat)
        put(f"{inc}/cmio.h", "cmio.h.j2", platform=plat, types=types)
        put(f"{src}/sys.h", "sys.h.j2", platform=plat)
        for t in types:
            put(f"{inc}/{t['name']}.h", "type.h.j2", platform=plat, type=t)
            put(f"{src}/{t['name']}.c", "type.c.j2", platform=plat, type=t)
    put("api.md", "api.md.j2", fmt=False)
    out["api.json"] = (api_json(model), False)
    return out


def api_json(model):
    names = [p["name"] for p in model["platforms"]]
    api = {
        "generated_from": "idl/ by codegen/generate.py - do not edit",
        "platforms": {p["name"]: {k: v for k, v in p.items() if k != "name"}
                      for p in model["platforms"]},
        "types": [{
            "name": t["name"], "c_type": t["c_type"], "mio": t["mio"], "file": t["file"],
            "ops": [{
                "name": op["name"], "c_name": op["c_name"], "kind": op["kind"],
                "mio": op["mio"], "result": op["result_c"],
                "params": op["c_params"], "inline": op["inline"],
                "available": {p: p in op["available"] for p in names},
            } for op in t["ops"]],
        } for t in model["types"]],
    }
    return json.dumps(api, indent=2, sort_keys=False) + "\n"


def clang_format(text, path):
    exe = os.environ.get("CLANG_FORMAT", "clang-format")
    try:
        r = subprocess.run([exe, "--style=file", "--assume-filename=" + os.path.join(ROOT, path)],
                           input=text, capture_output=True, text=True, check=False, cwd=ROOT)
    except FileNotFoundError:
        sys.exit(f"generate: {exe} not found: apt-get install clang-format")
    if r.returncode != 0:
        sys.exit(f"generate: clang-format failed on {path}: {r.stderr.strip()}")
    return r.stdout


def write_atomic(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_tree(out_dir, files):
    """Writes every file; removes files under out_dir that are no longer generated."""
    for rel, text in sorted(files.items()):
        write_atomic(os.path.join(out_dir, rel), text)
    for dirpath, _, names in os.walk(out_dir, topdown=False):
        for n in names:
            rel = os.path.relpath(os.path.join(dirpath, n), out_dir)
            if rel not in files:
                os.unlink(os.path.join(dirpath, n))
        if dirpath != out_dir and not os.listdir(dirpath):
            os.rmdir(dirpath)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", nargs="?", default="generate", choices=["generate", "audit"])
    ap.add_argument("--idl", default=os.path.join(ROOT, "idl"), help="IDL folder")
    ap.add_argument("--out", default=os.path.join(ROOT, "generated"), help="output folder")
    ap.add_argument("--runtime", default=os.path.join(ROOT, "runtime"),
                    help="runtime folder (backend and waker files, public headers)")
    args = ap.parse_args()

    try:
        model = load(args.idl, args.runtime)
    except idl.IdlError as e:
        for line in e.errors:
            print(line, file=sys.stderr)
        print(f"generate: {len(e.errors)} error(s) in the IDL; nothing written", file=sys.stderr)
        return 1

    if args.command == "audit":
        files = render_all(model)
        sys.stdout.write(files["api.md"][0])
        write_atomic(os.path.join(args.out, "api.json"), files["api.json"][0])
        return 0

    rendered = render_all(model)
    files = {rel: clang_format(text, os.path.join("generated", rel)) if fmt else text
             for rel, (text, fmt) in rendered.items()}
    if os.path.isdir(args.out) and os.listdir(args.out) and \
            not os.path.exists(os.path.join(args.out, "api.json")):
        sys.exit(f"generate: {args.out} is not empty and holds no api.json: refusing to clean it")
    write_tree(args.out, files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
