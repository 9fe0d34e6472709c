#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cmio generator: idl/*.yaml -> generated/ (headers, per-platform wrappers, API table).

  generate.py [--out DIR]     validate the IDL, render every artifact, clang-format, write
  generate.py audit           print the API surface (Markdown) and write generated/api.json
  generate.py api-check       compare the API surface with idl/api-baseline.json (--baseline)
  generate.py api-baseline    write the current surface to idl/api-baseline.json
  generate.py exports         the names libcmio.so must export on --platform (default linux)
  generate.py decl-check      C that compiles only if the IDL's signatures are the headers'

Steps: load + validate (idl.py), build the model, render (templates/, one per artifact), format
(clang-format with the repo's .clang-format), write atomically. Nothing is written unless every
step succeeded; the output is byte-identical from run to run.
"""

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap

import api
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
    env.filters["comment_lines"] = comment_lines
    env.filters["roff"] = roff
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
    """The validated model (idl.load), checked against the templates, with the version of the
    file VERSION; raises idl.IdlError."""
    model = idl.load(idl_dir, runtime_dir)
    check_kinds(model, idl_dir)
    model["version"] = load_version(os.path.join(ROOT, "VERSION"))
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
        types = [t for t in types if t["ops"]]  # a type with no op there has no header either
        kinds = sorted({op["kind"] for t in types for op in t["ops"]})  # what sys.h must provide
        inc, src = f"{name}/include/cmio", f"{name}/src"
        put(f"{inc}/platform.h", "platform.h.j2", platform=plat, types=types)
        put(f"{inc}/cmio.h", "cmio.h.j2", platform=plat, types=types)
        put(f"{inc}/version.h", "version.h.j2", platform=plat, version=model["version"])
        put(f"{src}/sys.h", "sys.h.j2", platform=plat, kinds=kinds)
        for t in types:
            put(f"{inc}/{t['name']}.h", "type.h.j2", platform=plat, type=t)
            put(f"{src}/{t['name']}.c", "type.c.j2", platform=plat, type=t)
    put("api.md", "api.md.j2", fmt=False, exports=api.exports(model), prototype=api.prototype)
    out["api.json"] = (api_json(model), False)
    for rel, text in man_pages(model, env).items():
        out[rel] = (text, False)
    return out


# ---- man pages (section 3) ------------------------------------------------------------------


def roff(text):
    """Text for a man page: backslashes escaped, `code` in italics, minus signs of -ERRNO and
    negative numbers, no line starting with a control character."""
    text = " ".join(str(text).split()).replace("\\", "\\e")
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    text = re.sub(r"`([^`]+)`", r"\\fI\1\\fP", text)
    text = re.sub(r"(?<![A-Za-z0-9])-(?=[A-Z0-9])", r"\\-", text)
    return "\\&" + text if text[:1] in (".", "'") else text


def _summary(doc):
    """The first sentence of a doc, lower-cased unless it starts with a name (the NAME line)."""
    doc = " ".join(doc.split())
    m = re.match(r"(.+?[.:;])(\s|$)", doc)
    first = (m.group(1) if m else doc).rstrip(".:;")
    if len(first) > 1 and first[0].isupper() and first[1].islower():
        first = first[0].lower() + first[1:]
    return first


def _synopsis(result, name, decls):
    """`int \\fBname\\fP(const T *\\fIa\\fP, size_t \\fIn\\fP);` for the SYNOPSIS."""
    args = []
    for d in decls:
        t = idl.decl_type(d)
        n = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", d).group(1)
        args.append(f"{t}{'' if t.endswith('*') else ' '}\\fI{n}\\fP")
    res = result if result.endswith("*") else result + " "
    return f"{res}\\fB{name}\\fP({', '.join(args) or 'void'});"


def man_pages(model, env):
    """man/man3/<function>.3 for every public export, <group>.3 for every socket type and runtime
    group (cmio_tcp_stream, cmio_poll, …) and cmio.3: from the same model as the headers."""
    version = model["version"]["string"]
    generated = [p["name"] for p in model["platforms"] if p["generate"]]
    names = {e["name"] for e in api.exports(model)}
    groups = []
    for t in model["types"]:
        fns = [dict(op, name=op["c_name"], params=op["ref_params"], decls=op["c_params"], backends=[],
                    origin=op["source"].rsplit(":", 1)[0], header=f"cmio/{t['name']}.h")
               for op in t["ops"]]
        groups.append({"name": t["name"], "title": f"{t['c_type']} (mio's {t['mio']})",
                       "doc": t["doc"], "mio": t["mio"], "origin": t["file"], "functions": fns})
    for g in model["runtime"]["groups"]:
        fns = [dict(fn, decls=fn["c_params"], origin=fn["source"].rsplit(":", 1)[0],
                    header=g["header"]) for fn in g["functions"]]
        title = f"cmio_{g['name']}" + (f" (mio's {g['mio']})" if g.get("mio") else "")
        groups.append({"name": g["name"], "title": title, "doc": g["doc"], "mio": g.get("mio"),
                       "origin": "idl/runtime.yaml", "functions": fns})
    out = {}
    for g in groups:
        page = f"cmio_{g['name']}"
        g["page"] = page if page not in names else None
        g["summary"] = _summary(g["doc"])
        for fn in g["functions"]:
            fn["summary"] = _summary(fn["doc"])
            fn["synopsis"] = _synopsis(fn["result_c"], fn["name"], fn["decls"])
            fn["absent"] = [p for p in generated if p not in fn["available"]]
            fn["see_also"] = ([g["page"]] if g["page"] else []) + ["cmio"]
            out[f"man/man3/{fn['name']}.3"] = env.get_template("man3.j2").render(
                fn=fn, version=version)
        if g["page"]:
            out[f"man/man3/{page}.3"] = env.get_template("man3-group.j2").render(
                group=dict(g, page=page), version=version)
    out["man/man3/cmio.3"] = env.get_template("man3-cmio.j2").render(
        model=model, groups=groups, version=version)
    return out


def _wrap(text, first="", rest="", width=96):
    return textwrap.wrap(" ".join(text.split()), width, initial_indent=first,
                         subsequent_indent=rest, break_long_words=False, break_on_hyphens=False)


def _returns_sentence(text):
    """'0, or a negative errno.' -> 'Returns 0, or a negative errno'; 'The count …' -> 'Returns the count …'."""
    text = text.rstrip(".")
    if text[:4] in ("The ", "An ", "A ") or text.startswith("The"):
        text = text[0].lower() + text[1:]
    return "Returns " + text


def comment_lines(fn):
    """The header comment of a generated function: its doc, every parameter (direction,
    nullability, doc), what it returns and each error it can return (model: idl.py)."""
    # "[mio: X]" stays on one line (\x01 holds its space while wrapping).
    lines = [ln.replace("\x01", " ") for ln in _wrap(f"{fn['doc']} [mio:\x01{fn['mio']}]")]
    lines.append("")
    for p in fn["ref_params"]:
        tag = ("(out, may be NULL) " if p["nullable"] else "(out) ") if p["dir"] == "out" else ""
        lines += _wrap(tag + p["doc"], first=f"{p['label']}: ", rest="    ")
    lines.append("")
    lines += _wrap(_returns_sentence(fn["returns"]) + (":" if fn["errors"] else "."))
    for e in fn["errors"]:
        code = "other" if e["code"] == "other" else "-" + e["code"]
        lines += _wrap(e["text"], first=f"  {code}: ", rest="      ")
    return lines


def api_json(model):
    """generated/api.json: the whole API as data — every export with its signature, docs,
    parameters, errors and platforms."""
    names = [p["name"] for p in model["platforms"]]

    def fn_json(fn, extra):
        return {
            **extra,
            "result": fn["result_c"], "params": fn["c_params"], "inline": fn["inline"],
            "doc": fn["doc"],
            "params_doc": [{"name": p["label"], "dir": p["dir"], "nullable": p["nullable"],
                            "doc": " ".join(p["doc"].split())}
                           for p in fn.get("ref_params", fn.get("params"))],
            "returns": fn.get("returns"),
            "errors": fn["errors"],
            **({"backends": fn["backends"]} if fn.get("backends") else {}),
            "available": {p: p in fn["available"] for p in names},
        }

    out = {
        "generated_from": "idl/ by codegen/generate.py - do not edit",
        "version": model["version"]["string"],
        "platforms": {p["name"]: {k: v for k, v in p.items() if k != "name"}
                      for p in model["platforms"]},
        "types": [{
            "name": t["name"], "c_type": t["c_type"], "mio": t["mio"], "file": t["file"],
            "ops": [fn_json(op, {"name": op["name"], "c_name": op["c_name"], "kind": op["kind"],
                                 "mio": op["mio"]})
                    for op in t["ops"]],
        } for t in model["types"]],
        "runtime": [{
            "name": g["name"], "header": g["header"], "mio": g["mio"], "doc": g["doc"],
            "functions": [fn_json(fn, {"c_name": fn["c_name"], "mio": fn["mio"]})
                          for fn in g["functions"]],
        } for g in model["runtime"]["groups"]],
        "private": [fn_json(fn, {"c_name": fn["c_name"]}) for fn in model["runtime"]["private"]],
        "exports": [{"name": e["name"], "prototype": api.prototype(e), "header": e["header"],
                     "platforms": e["platforms"], "private": e["private"]}
                    for e in api.exports(model)],
    }
    return json.dumps(out, indent=2, sort_keys=False) + "\n"


def load_version(path):
    """The version in the file VERSION: MAJOR.MINOR.PATCH, each 0..255 (CMIO_VERSION_HEX)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
    except OSError as e:
        raise idl.IdlError([f"VERSION:1: cannot read: {e.strerror}"])
    m = re.fullmatch(r"(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})", text)
    if not m or any(int(x) > 255 for x in m.groups()):
        raise idl.IdlError([f"VERSION:1: '{text}' is not MAJOR.MINOR.PATCH (each 0..255)"])
    major, minor, patch = (int(x) for x in m.groups())
    return {"string": text, "major": major, "minor": minor, "patch": patch,
            "hex": (major << 16) | (minor << 8) | patch}


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


def _display(path):
    """A path as the messages show it: relative to the source tree when inside it."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return path if rel.startswith("..") else rel


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", nargs="?", default="generate",
                    choices=["generate", "audit", "api-check", "api-baseline", "exports",
                             "decl-check"])
    ap.add_argument("--idl", default=os.path.join(ROOT, "idl"), help="IDL folder")
    ap.add_argument("--out", default=os.path.join(ROOT, "generated"), help="output folder")
    ap.add_argument("--baseline", default=os.path.join(ROOT, "idl", "api-baseline.json"),
                    help="the API baseline (api-check, api-baseline)")
    ap.add_argument("--platform", default="linux", help="platform (exports, decl-check)")
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
        print("\n## Baseline status\n")
        try:
            with open(args.baseline, encoding="utf-8") as f:
                lines, _, _ = api.check(model, f.read(), _display(args.baseline))
            print("\n".join(lines))
        except FileNotFoundError:
            print(f"api-check: no baseline {_display(args.baseline)}: run `make api-baseline`")
        return 0
    if args.command in ("exports", "decl-check"):
        if args.platform not in [p["name"] for p in model["platforms"]]:
            sys.exit(f"generate: unknown platform '{args.platform}'")
        if args.command == "exports":
            print("\n".join(api.export_names(model, args.platform)))
        else:
            sys.stdout.write(api.decl_check_c(model, args.platform))
        return 0
    if args.command == "api-baseline":
        write_atomic(args.baseline, api.baseline_json(model))
        print(f"api-baseline: {_display(args.baseline)} holds the surface of cmio "
              f"{model['version']['string']} ({len(api.exports(model))} exports)")
        return 0
    if args.command == "api-check":
        try:
            with open(args.baseline, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            print(f"api-check: no baseline {_display(args.baseline)}: run `make api-baseline`",
                  file=sys.stderr)
            return 1
        lines, bad, _ = api.check(model, text, _display(args.baseline))
        print("\n".join(lines))
        return 1 if bad else 0

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
