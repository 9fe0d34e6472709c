# SPDX-License-Identifier: MIT
"""Load and validate the cmio IDL (idl/*.yaml) against idl/schema.yaml, then build the model
the templates render.

Every problem is reported as `file:line: message` (an IdlError); nothing else may escape, which
fuzz/idl_mutate.py checks. In order: each file's bytes and YAML (idl_yaml.py), schema.yaml itself
(idl_schema.check_schema, with CONTRACT: what this code and the templates read), every file
against the schema (idl_schema.Validator), then the rules across files (`load`, `_build_op`) and
idl/runtime.yaml, the handwritten API (`_load_runtime`)."""

import os
import re

from idl_schema import (KIND_KEYS, RESULT_C, Validator, check_error_keys, check_platform_defaults,
                        check_schema, resolve)
from idl_yaml import IdlError, item_lines, load_yaml  # noqa: F401 (IdlError, load_yaml: API)

# Names of the locals in the wrapper bodies (templates/ops.c.j2): parameters may not take them.
RESERVED = {"family", "sfd", "rc", "sa", "salen", "value", "how_", "n", "msg", "ua", "sun", "sv", "ss"}
# What a wrapper returns for a bad argument: -EINVAL, or the result type's own "none" value where a
# negative errno does not fit (a Windows SOCKET is unsigned).
RESULT_INVALID = {"raw_socket": "INVALID_SOCKET"}
# What each result kind returns (the reference's "Returns" line); one per RESULT_C entry.
RESULT_DOC = {
    "status": "0, or a negative errno.",
    "bytes": "The number of bytes transferred, or a negative errno.",
    "fd": "The file descriptor, or a negative errno.",
    "count": "The number of datagrams transferred, or a negative errno when none was.",
    "raw_socket": "The socket, or INVALID_SOCKET.",
}
# The files of idl/ that are not type or mixin files.
NOT_TYPE_FILES = ("schema.yaml", "platforms.yaml", "types.yaml", "runtime.yaml")
# Kinds that a platform can only have when its table entry says how: kind -> (key, "cannot" value).
PLATFORM_NEEDS = {"peer_cred": ("peer_cred", "none")}
# What a platform with `sockets: inherited` (WASI preview 1) can do on the sockets the host hands
# over: accept, recv/send, shutdown, plain reads, and the fd and registration ops. Every other kind
# (and io call) needs the BSD calls of `sockets: full`.
INHERITED_KINDS = {"accept", "shutdown", "from_fd", "as_fd", "into_fd", "register", "reregister",
                   "deregister", "close"}
INHERITED_IO_CALLS = {"read", "readv", "recv", "recv_peek", "send"}
# Each backend and waker a `generate: true` platform names needs runtime/**/backend_<name>.c or
# runtime/**/waker_<name>.c, unless listed here: (key, name) -> a file under runtime/, or None
# when nothing is needed.
RUNTIME_FILES = {("wakers", "none"): None}
# The headers the templates write besides one per type: a type may not take their names.
GENERATED_HEADERS = {"cmio": "umbrella header", "platform": "platform header",
                     "version": "version header"}


# ---- the model ----------------------------------------------------------------------------------


def _expand(platform_spec, groups, platforms):
    out = set()
    for p in platform_spec if isinstance(platform_spec, list) else [platform_spec]:
        out.update(groups.get(p, [p]))
    return [p for p in platforms if p in out]  # in table order


def _param_spec(spec):
    """'bool|u32 out?' -> (['bool','u32'], ['out'], nullable)."""
    types, d = spec.split()
    return types.split("|"), d.rstrip("?").split("|"), d.endswith("?")


def _c_params(p, tinfo):
    """C declarations for one parameter (a buffer gives two)."""
    c, name, out = tinfo["c"], p["name"], p["dir"] == "out"
    if tinfo["pass"] == "value":
        return [f"{c} *{name}" if out else f"{c} {name}"]
    if tinfo["pass"] == "pointer":
        const = "" if out or tinfo["mutable"] else "const "
        return [f"{const}{c} *{name}"]
    const = "" if out and not tinfo["const"] else "const "
    return [f"{const}{c} *{name}", f"{tinfo['len']['c']} {tinfo['len']['name']}"]


def _runtime_idents(runtime_dir):
    """{name: header} of the headers in runtime/include/cmio: `cmio/<h>.h` and every cmio_*
    identifier they declare (outside comments)."""
    idents, inc = {}, os.path.join(runtime_dir, "include", "cmio")
    for h in sorted(os.listdir(inc)) if os.path.isdir(inc) else []:
        with open(os.path.join(inc, h), encoding="utf-8", errors="replace") as f:
            code = re.sub(r"/\*.*?\*/|//[^\n]*", " ", f.read(), flags=re.S)
        for ident in re.findall(r"\bcmio_[a-z0-9_]+\b", code) + [f"cmio/{h}"]:
            idents.setdefault(ident, f"runtime/include/cmio/{h}")
    return idents


def _check_runtime_files(v, fname, plat_doc, runtime_dir):
    """A platform with `generate: true` has a runtime file for each of its backends and wakers:
    runtime/**/backend_<name>.c (any folder under runtime/), or what RUNTIME_FILES says."""
    found = {n for _, _, names in os.walk(runtime_dir) for n in names}
    for pname, p in plat_doc["platforms"].items():
        if not p["generate"]:
            continue
        for key, prefix in (("backends", "backend"), ("wakers", "waker")):
            for name, line in zip(p[key], item_lines(p[key], p.key_lines.get(key, p.line))):
                want = RUNTIME_FILES.get((key, name), f"{prefix}_{name}.c")
                ok = want is None or (os.path.exists(os.path.join(runtime_dir, want)) if "/" in want
                                      else want in found)
                if not ok:
                    v.err(fname, line, f"platform '{pname}' has generate: true, but runtime/ has "
                                       f"no {want} for its {prefix} '{name}'")


def load(idl_dir, runtime_dir=None):
    """Loads, validates and returns the model; raises IdlError with every problem found.
    runtime_dir (default: the runtime/ next to codegen/) is where the backends, wakers and
    public headers the generated code builds on live."""
    if runtime_dir is None:
        runtime_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "runtime")
    # Files are named as "idl/<file>" whatever the working directory, so output is reproducible.
    rel = os.path.basename(os.path.normpath(idl_dir))
    disp = lambda f: os.path.join(rel, f)  # noqa: E731
    schema = load_yaml(os.path.join(idl_dir, "schema.yaml"), disp("schema.yaml"))
    errors = check_schema(schema, disp("schema.yaml"))
    if errors:
        raise IdlError(errors)
    plat_doc = load_yaml(os.path.join(idl_dir, "platforms.yaml"), disp("platforms.yaml"))
    types_doc = load_yaml(os.path.join(idl_dir, "types.yaml"), disp("types.yaml"))

    v = Validator(schema["definitions"], schema["kinds"], {"platforms": set(), "types": set()})
    v.check(plat_doc, v.defs["platforms_file"], disp("platforms.yaml"), 1, "the platform table")
    v.check(types_doc, v.defs["types_file"], disp("types.yaml"), 1, "the type table")
    if v.errors:
        raise IdlError(v.errors)

    runtime_idents = _runtime_idents(runtime_dir)
    _check_runtime_files(v, disp("platforms.yaml"), plat_doc, runtime_dir)
    platforms = list(plat_doc["platforms"])
    groups = dict(plat_doc["groups"])
    for g, members in groups.items():
        for m in members:
            if m not in platforms:
                v.err(disp("platforms.yaml"), plat_doc["groups"].key_lines[g],
                      f"group '{g}' names unknown platform '{m}'")
        if g in platforms:
            v.err(disp("platforms.yaml"), plat_doc["groups"].key_lines[g],
                  f"group '{g}' has the name of a platform")
    types = dict(types_doc["types"])
    for tname, t in types.items():
        tl = types_doc["types"].key_lines[tname]
        if t["pass"] == "buffer" and "len" not in t:
            v.err(disp("types.yaml"), tl, f"type '{tname}' is passed as a buffer and needs `len`")
        elif "len" in t and t["len"]["name"] in RESERVED:
            v.err(disp("types.yaml"), t["len"].key_lines["name"],
                  f"length name '{t['len']['name']}' is reserved for the wrappers' locals")
    if v.errors:
        raise IdlError(v.errors)

    # Type and mixin files: every other *.yaml in idl/.
    names = sorted(f for f in os.listdir(idl_dir) if f.endswith(".yaml")
                   and f not in NOT_TYPE_FILES)
    docs = [(f, load_yaml(os.path.join(idl_dir, f), disp(f))) for f in names]
    type_docs = [(f, d) for f, d in docs if "mixin" not in d]
    mixin_docs = [(f, d) for f, d in docs if "mixin" in d]

    socket_types = {d.get("type"): f for f, d in type_docs if isinstance(d.get("type"), str)}
    v.names = {"platforms": set(platforms) | set(groups),
               "types": set(types) | set(socket_types)}
    check_platform_defaults(schema, disp("schema.yaml"), v)
    if v.errors:
        raise IdlError(v.errors)
    mixins = {}
    for f, d in mixin_docs:
        v.check(d, v.defs["mixin_file"], disp(f), d.line, "a mixin file")
        m = d["mixin"]
        if isinstance(m, str) and m in mixins:
            v.err(disp(f), d.key_lines["mixin"], f"mixin '{m}' is also defined in {disp(mixins[m][0])}")
        elif isinstance(m, str):
            mixins[m] = (f, d)
    for f, d in type_docs:
        v.check(d, v.defs["type_file"], disp(f), d.line, "a type file")
        t = d.get("type")
        if not isinstance(t, str):
            continue
        tl = d.key_lines.get("type", 1)
        if f != t + ".yaml":
            v.err(disp(f), tl, f"type '{t}' must live in idl/{t}.yaml")
        if t in types:
            v.err(disp(f), tl, f"type '{t}' has the name of a type in {disp('types.yaml')}")
        for clash in (f"cmio/{t}.h", f"cmio_{t}"):
            if clash in runtime_idents:
                v.err(disp(f), tl, f"type '{t}' would define {clash}, which "
                                   f"{runtime_idents[clash]} already has")
        if t in GENERATED_HEADERS:
            v.err(disp(f), tl, f"type '{t}' would write cmio/{t}.h, which is the generator's "
                               f"{GENERATED_HEADERS[t]}")
        if isinstance(d.get("self"), str) and d["self"] in RESERVED:
            v.err(disp(f), d.key_lines["self"],
                  f"self name '{d['self']}' is reserved for the wrappers' locals")
    _check_specs(v, schema, disp("schema.yaml"), v.names["types"])
    if v.errors:
        raise IdlError(v.errors)

    kind_errors = schema.get("kind_errors") or {}
    call_syscalls = schema.get("call_syscalls") or {}
    model_types, c_names = [], {}
    for f, d in type_docs:
        ops, seen, used = [], {}, set()
        sources = [(f, op, None) for op in d["ops"]]
        for m, ml in zip(d["mixins"], item_lines(d["mixins"], d.key_lines.get("mixins", d.line))):
            if m not in mixins or m in used:
                v.err(disp(f), ml, f"{'unknown mixin' if m not in mixins else 'mixin listed twice:'} '{m}'")
                continue
            used.add(m)
            mf, md = mixins[m]
            sources += [(mf, op, m) for op in md["ops"]]
        for of, op, m in sources:
            line = op.line
            if op["name"] in seen:
                first_f, first_line = seen[op["name"]]
                if m is not None and first_f == f:  # the type file redefines a mixin's op
                    v.err(disp(f), first_line,
                          f"duplicate op '{op['name']}' in type '{d['type']}' "
                          f"(mixin '{m}' defines it at {disp(of)}:{line})")
                else:
                    v.err(disp(of), line,
                          f"duplicate op '{op['name']}' in type '{d['type']}' "
                          f"(first at {disp(first_f)}:{first_line})")
                continue
            seen[op["name"]] = (of, line)
            built = _build_op(v, disp(of), op, d, types, socket_types, groups, platforms,
                              kind_errors.get(op["kind"]) or {}, call_syscalls)
            if "available" in d:  # the type's own availability bounds every op's
                where = _expand(d["available"], groups, platforms)
                built["available"] = [p for p in built["available"] if p in where]
                if not built["available"]:
                    continue  # a mixin op none of the type's platforms has (SOCKET ops on Unix)
            ops.append(built)
        # Every C name is declared once: across types (tcp + stream_read = tcp_stream + read)
        # and against the runtime's headers.
        where = f"{disp(f)}:{d.key_lines['type']}"
        for c_name, at in [(f"cmio_{d['type']}", where)] + [(op["c_name"], op["source"]) for op in ops]:
            first = c_names.setdefault(c_name, at)
            fname, line = at.rsplit(":", 1)
            if first != at:
                v.err(fname, line, f"{c_name} (type '{d['type']}') is also declared by {first}")
            elif c_name in runtime_idents and c_name != f"cmio_{d['type']}":
                v.err(fname, line, f"{c_name} is already declared in {runtime_idents[c_name]}")
        model_types.append({
            "name": d["type"], "c_type": f"cmio_{d['type']}", "file": f"idl/{f}",
            "mio": d["mio"], "doc": d["doc"], "self": d["self"], "ops": ops,
        })
    if v.errors:
        raise IdlError(v.errors)

    handle_errs = set()  # a mixin's op is built once per type: report it once
    for t in model_types:  # an op on a platform whose table cannot do it
        for op in t["ops"]:
            handle = v.kinds[op["kind"]].get("handle")  # from_fd needs fds, from_socket SOCKETs
            for p in op["available"] if handle else []:
                if plat_doc["platforms"][p]["handle"] != handle and \
                        (op["source"], p) not in handle_errs:
                    handle_errs.add((op["source"], p))
                    v.err(op["source"].rsplit(":", 1)[0], op["line"],
                          f"op '{op['name']}' of kind '{op['kind']}' needs handle '{handle}' but "
                          f"is available on '{p}', whose platform table says handle: "
                          f"{plat_doc['platforms'][p]['handle']}")
            key, cannot = PLATFORM_NEEDS.get(op["kind"], (None, None))
            for p in op["available"] if key else []:
                if plat_doc["platforms"][p][key] == cannot:
                    v.err(op["source"].rsplit(":", 1)[0], op["line"],
                          f"op '{op['name']}' is available on '{p}', whose platform table "
                          f"says {key}: {cannot}")
            inherited_ok = op["kind"] in INHERITED_KINDS or (
                op["kind"] == "io" and op["call"] in INHERITED_IO_CALLS)
            for p in [] if inherited_ok else op["available"]:
                if plat_doc["platforms"][p]["sockets"] == "inherited":
                    v.err(op["source"].rsplit(":", 1)[0], op["line"],
                          f"op '{op['name']}' is available on '{p}', whose platform table "
                          f"says sockets: inherited (only accept, recv, send, shutdown)")
    if v.errors:
        raise IdlError(v.errors)

    for t in model_types:  # which socket types each type's header needs
        t["needs"] = sorted({p["type"] for op in t["ops"] for p in op["params"]
                             if p["type"] in socket_types and p["type"] != t["name"]})
    plats = []
    for name in platforms:
        p = dict(plat_doc["platforms"][name])
        p["name"] = name
        plats.append(p)
    runtime = _load_runtime(v, idl_dir, disp, plat_doc, groups, platforms)
    seen = {op["c_name"]: op["source"] for t in model_types for op in t["ops"]}
    for fn in runtime["functions"] + runtime["private"]:
        if fn["c_name"] in seen:
            v.err(fn["source"].rsplit(":", 1)[0], int(fn["source"].rsplit(":", 1)[1]),
                  f"function '{fn['c_name']}' is already defined at {seen[fn['c_name']]}")
        seen[fn["c_name"]] = fn["source"]
    if v.errors:
        raise IdlError(v.errors)
    kinds = {k: schema["kinds"].key_lines[k] for k in schema["kinds"]}
    return {"platforms": plats, "groups": groups, "types": model_types, "type_table": types,
            "kinds": kinds, "runtime": runtime}


def _check_specs(v, schema, fname, type_names):
    """Each kind's parameter specs name known types (or `socket`, any socket type)."""
    for kname, kind in schema["kinds"].items():
        lists = [kind["params"]] if "params" in kind else list(kind.get("calls", {}).values())
        for specs in lists:
            for spec, line in zip(specs, item_lines(specs, 1)):
                for t in _param_spec(spec)[0]:
                    if t != "socket" and t not in type_names:
                        v.err(fname, line, f"kind '{kname}': parameter type '{t}' is not a type")


def _norm_c(t):
    """A C type written one way: single spaces, 'T *' / 'T **'."""
    t = " ".join(t.split())
    t = re.sub(r"\s*\*\s*", "*", t)
    return re.sub(r"(?<=[^*])\*", " *", t)


def _decl(c, name):
    c = _norm_c(c)
    return f"{c}{name}" if c.endswith("*") else f"{c} {name}"


def decl_type(decl):
    """The type of a C parameter declaration ('const cmio_sockaddr *addr' -> 'const cmio_sockaddr *')."""
    return _norm_c(re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\s*$", "", decl))


def _load_runtime(v, idl_dir, disp, plat_doc, groups, platforms):
    """idl/runtime.yaml: the handwritten functions, validated; {doc, groups, functions, private}."""
    fname = disp("runtime.yaml")
    doc = load_yaml(os.path.join(idl_dir, "runtime.yaml"), fname)
    v.check(doc, v.defs["runtime_file"], fname, getattr(doc, "line", 1), "the runtime API")
    if v.errors:
        raise IdlError(v.errors)
    pkeys = resolve(v.defs, v.defs["platform"])["keys"]
    backends = set(resolve(v.defs, resolve(v.defs, pkeys["backends"])["items"])["values"])
    # `when` may name a true/false key every platform has (required, or with a default).
    bool_keys = {k for k, spec in pkeys.items() if resolve(v.defs, spec)["type"] == "bool"
                 and (spec.get("required") is True or "default" in spec)}

    def build(fn, group, private):
        line = fn.line
        name = fn["name"]
        prefix = "cmio__" if private else "cmio_"
        if not name.startswith(prefix) or (not private and name.startswith("cmio__")):
            what = "a private function" if private else "a function"
            v.err(fname, line, f"{what}'s name must start with '{prefix}': '{name}'")
        check_error_keys(v, fname, fn["errors"], line)
        for b in fn.get("backends") or {}:
            if b not in backends:
                v.err(fname, fn["backends"].key_lines.get(b, line),
                      f"function '{name}': unknown backend '{b}' (known: {', '.join(sorted(backends))})")
        avail = _expand(fn["available"], groups, platforms)
        when = fn.get("when")
        if when is not None:
            if when not in bool_keys:
                v.err(fname, fn.key_lines.get("when", line),
                      f"function '{name}': 'when' must name a true/false key of the platform "
                      f"table ({', '.join(sorted(bool_keys))}), not '{when}'")
            else:
                avail = [p for p in avail if plat_doc["platforms"][p][when]]
        if fn["result"].strip() != "void" and not fn.get("returns"):
            v.err(fname, line, f"function '{name}' returns {fn['result']}: say what in `returns`")
        params = [dict(p, c=_norm_c(p["c"]), decl=_decl(p["c"], p["name"]), label=p["name"])
                  for p in fn["params"]]
        return {
            "name": name, "c_name": name, "group": group, "doc": " ".join(fn["doc"].split()),
            "mio": fn.get("mio"), "result_c": _norm_c(fn["result"]), "params": params,
            "c_params": [p["decl"] for p in params],
            "returns": fn.get("returns"), "available": avail, "inline": fn["inline"],
            "errors": [{"code": k, "text": " ".join(t.split())} for k, t in fn["errors"].items()],
            "backends": [{"name": b, "text": " ".join(t.split())}
                         for b, t in (fn.get("backends") or {}).items()],
            "private": private, "source": f"{fname}:{line}", "header": fn.get("header"),
        }

    out_groups, functions = [], []
    for g in doc["groups"]:
        fns = [build(fn, g["name"], False) for fn in g["functions"]]
        functions += fns
        out_groups.append({"name": g["name"], "header": g["header"], "mio": g.get("mio"),
                           "doc": " ".join(g["doc"].split()), "functions": fns})
    private = [build(fn, "private", True) for fn in doc["private"]]
    return {"doc": " ".join(doc["runtime"].split()), "groups": out_groups,
            "functions": functions, "private": private}


def _op_errors(op, tdoc, params, kind_errs, call_syscalls, rearm):
    """The errors of a generated op: the wrapper's checks (-EINVAL, -EBADF), its kind's, its own."""
    self_name = tdoc["self"]
    nulls = [self_name] + [p["name"] for p in params
                           if (p["pass_"] == "pointer" and not p["nullable"])
                           or (p["pass_"] == "value" and p["dir"] == "out")]
    einval = [(" or ".join([", ".join(nulls[:-1]), nulls[-1]]) if len(nulls) > 1 else nulls[0])
              + " is NULL"]
    for p in params:
        if p["pass_"] == "buffer":
            einval.append(f"{p['name']} is NULL and {p['len_name']} is not 0")
        if p.get("len_name") == "iovcnt":
            einval.append("iovcnt is negative or more than IOV_MAX")
    errs = {"EINVAL": einval}
    self_mode = op.get("_self_mode")
    if self_mode in ("mut", "const"):
        errs["EBADF"] = [f"{self_name} is empty (all zero) or already closed"]
    for p in params:  # sockopt_set's range check of a u32 (templates/ops.c.j2)
        if op["kind"] == "sockopt_set" and p["type"] == "u32":
            einval.append(f"{p['name']} is more than INT_MAX (255 for an option the platform "
                          "keeps in a byte)")
    for p in params:  # the address checks of ops.c.j2's addr_in
        if p["dir"] != "in":
            continue
        if p["type"] == "sockaddr":
            einval.append(f"{p['name']} is empty or malformed")
            errs.setdefault("EAFNOSUPPORT", []).append(
                f"{p['name']} is neither IPv4 nor IPv6, or not the socket's family")
        elif p["type"] == "unix_addr":
            einval.append(f"{p['name']} is not a valid Unix-domain address")
        elif p["type"] == "path":
            einval.append(f"{p['name']} is \"\"")
            errs.setdefault("ENAMETOOLONG", []).append(
                f"{p['name']} is longer than CMIO_UNIX_PATH_MAX bytes (never truncated)")
    steps = [f"{call_syscalls.get(st, st)}(2)" for st in op.get("steps") or []]
    subst = {"type": tdoc["type"], "self": self_name, "rearm": rearm or "",
             "call": call_syscalls.get(op.get("call"), op.get("call") or ""),
             "steps": ", ".join(steps) if steps else "its steps"}
    for source in (kind_errs, op["errors"]):
        for code, text in source.items():
            text = " ".join(text.split())
            for k, val in subst.items():
                text = text.replace("{" + k + "}", val)
            errs.setdefault(code, []).append(text.rstrip("."))
    order = ["EINVAL", "EBADF"]
    codes = order + sorted(c for c in errs if c not in order and c != "other") + ["other"]
    return [{"code": c, "text": "; ".join(t.rstrip(".") for t in errs[c]) + "."}
            for c in codes if c in errs]


def _build_op(v, fname, op, tdoc, types, socket_types, groups, platforms, kind_errs,
              call_syscalls):
    kind = v.kinds[op["kind"]]
    line = op.line
    key_line = lambda k: op.key_lines.get(k, line)  # noqa: E731
    wanted = set(kind.get("keys", []))
    if "calls" in kind:
        wanted.add("call")
    if "listen" in (op.get("steps") or []):
        wanted.add("backlog")
    for k in sorted(set(KIND_KEYS) & set(op)):
        if k not in wanted:
            v.err(fname, key_line(k), f"key '{k}' is not used by kind '{op['kind']}'")
    for k in sorted(wanted - set(op)):
        v.err(fname, line, f"op '{op['name']}' of kind '{op['kind']}' needs key '{k}'")

    expect = kind.get("params", [])
    if "calls" in kind and "call" in op:
        if op["call"] not in kind["calls"]:
            allowed = ", ".join(kind["calls"])
            v.err(fname, key_line("call"),
                  f"kind '{op['kind']}' has no call '{op['call']}' (allowed: {allowed})")
        expect = kind["calls"].get(op["call"], [])
    if op["result"] != kind["result"]:
        v.err(fname, key_line("result") if "result" in op.key_lines else line,
              f"op '{op['name']}' of kind '{op['kind']}' must have result '{kind['result']}'")

    params, c_params, names = [], [], {tdoc["self"]}
    if len(op["params"]) != len(expect):
        v.err(fname, key_line("params") if "params" in op.key_lines else line,
              f"op '{op['name']}' of kind '{op['kind']}' takes {len(expect)} parameter(s) "
              f"({', '.join(expect) or 'none'}), not {len(op['params'])}")
    plines = item_lines(op["params"], line)
    for i, (p, pl) in enumerate(zip(op["params"], plines)):
        if p["name"] in names:
            v.err(fname, pl, f"duplicate parameter name '{p['name']}'")
        if p["name"] in RESERVED:
            v.err(fname, pl, f"parameter name '{p['name']}' is reserved for the wrappers' locals")
        names.add(p["name"])
        if p["nullable"] and p["dir"] != "out":
            v.err(fname, pl, f"parameter '{p['name']}': only out-parameters may be nullable")
        if i < len(expect):
            ok_types, ok_dirs, nullable = _param_spec(expect[i])
            type_ok = p["type"] in ok_types or ("socket" in ok_types and p["type"] in socket_types)
            if not type_ok or p["dir"] not in ok_dirs or p["nullable"] != nullable:
                v.err(fname, pl, f"parameter '{p['name']}' ({p['type']} {p['dir']}"
                      f"{'?' if p['nullable'] else ''}) does not fit kind '{op['kind']}', "
                      f"which wants '{expect[i]}' here")
        if p["type"] in socket_types:
            tinfo = {"c": f"cmio_{p['type']}", "pass": "pointer", "mutable": True}
        else:
            tinfo = types[p["type"]]
        decls = _c_params(p, tinfo)
        if len(decls) == 2:  # a buffer's length parameter is a C parameter too
            len_name = tinfo["len"]["name"]
            if len_name in names:
                v.err(fname, pl, f"parameter '{p['name']}': its length parameter "
                                 f"'{len_name}' has the name of another parameter")
            names.add(len_name)
        params.append(dict(p, c=tinfo["c"], pass_=tinfo["pass"], decls=decls,
                           len_name=(tinfo.get("len") or {}).get("name")))
        c_params += decls

    # The direction a -EAGAIN re-arms (schema: `rearm`; io calls: their buffer's direction).
    rearm = kind.get("rearm")
    if "calls" in kind and op.get("call") in kind["calls"] and kind["calls"][op["call"]]:
        first = kind["calls"][op["call"]][0]
        if first.split()[0].split("|")[0] in ("bytes", "iovec"):
            rearm = "readable" if _param_spec(first)[1] == ["out"] else "writable"

    self_c = {"out": f"cmio_{tdoc['type']} *", "mut": f"cmio_{tdoc['type']} *",
              "const": f"const cmio_{tdoc['type']} *"}[kind["self"]] + tdoc["self"]
    doc = op["doc"].replace("{type}", tdoc["type"])
    check_error_keys(v, fname, op["errors"], line)
    errors = _op_errors(dict(op, _self_mode=kind["self"]), tdoc, params, kind_errs,
                        call_syscalls, rearm)
    # The parameters as the reference documents them: self first; a buffer is "buf, len".
    self_doc = {"out": f"Receives the new {tdoc['type']}; written only on success.",
                "mut": f"The {tdoc['type']}.",
                "const": f"The {tdoc['type']} (not changed)."}[kind["self"]]
    ref_params = [{"label": tdoc["self"], "dir": "out" if kind["self"] == "out" else "in",
                   "nullable": False, "doc": self_doc}]
    for p in params:
        ref_params.append({
            "label": p["name"] + (f", {p['len_name']}" if p["pass_"] == "buffer" else ""),
            "dir": p["dir"], "nullable": p["nullable"],
            "doc": " ".join(p["doc"].replace("{type}", tdoc["type"]).split())})
    return {
        "errors": errors, "ref_params": ref_params, "returns": RESULT_DOC[op["result"]],
        "name": op["name"], "kind": op["kind"], "doc": doc.strip(),
        "mio": op.get("mio") or f"{tdoc['mio'].split('::')[-1]}::{op['name']}",
        "c_name": f"cmio_{tdoc['type']}_{op['name']}",
        "result": op["result"], "result_c": RESULT_C[op["result"]],
        "invalid": RESULT_INVALID.get(op["result"], "-EINVAL"),
        "self_mode": kind["self"], "params": params,
        "c_params": [self_c] + c_params,
        "available": _expand(op["available"], groups, platforms),
        "socket": op.get("socket"), "steps": op.get("steps") or [], "backlog": op.get("backlog"),
        "call": op.get("call"), "option": dict(op["option"]) if op.get("option") else None,
        "inline": op.get("call") in (kind.get("inline") or []),
        "c_args": [tdoc["self"]] + [d.split("*")[-1].split()[-1] for d in c_params],
        "membership": op.get("membership"), "rearm": rearm,
        "source": f"{fname}:{line}", "line": key_line("available"),
    }
