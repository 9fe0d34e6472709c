# SPDX-License-Identifier: MIT
"""Load and validate the cmio IDL (idl/*.yaml) against idl/schema.yaml, then build the model
the templates render. Every problem is reported as `file:line: message`."""

import os
import re

import yaml

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names of the locals in the wrapper bodies (templates/ops.c.j2): parameters may not take them.
RESERVED = {"family", "sfd", "rc", "sa", "salen", "value", "how_", "n", "msg", "ua", "sun", "sv", "ss"}


class IdlError(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(errors))
        self.errors = errors


# ---- YAML with line numbers ---------------------------------------------------------------------


class LDict(dict):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line = 0
    key_lines = None


class LList(list):
    line = 0
    item_lines = None


def _convert(loader, node, fname, errors):
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line, out.key_lines = line, {}
        loader.flatten_mapping(node)
        for knode, vnode in node.value:
            key = loader.construct_object(knode, deep=True)
            kline = knode.start_mark.line + 1
            if not isinstance(key, str):
                errors.append(f"{fname}:{kline}: keys must be strings, not {key!r}")
                continue
            if key in out:
                errors.append(f"{fname}:{kline}: duplicate key '{key}'")
                continue
            out[key] = _convert(loader, vnode, fname, errors)
            out.key_lines[key] = kline
        return out
    if isinstance(node, yaml.SequenceNode):
        out = LList()
        out.line, out.item_lines = line, []
        for item in node.value:
            out.append(_convert(loader, item, fname, errors))
            out.item_lines.append(item.start_mark.line + 1)
        return out
    return loader.construct_object(node, deep=True)


def load_yaml(path, display):
    """Returns the document with line information; raises IdlError on bad YAML."""
    errors = []
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise IdlError([f"{display}:1: cannot read: {e.strerror}"])
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise IdlError([f"{display}:1: empty file"])
        doc = _convert(loader, node, display, errors)
    except yaml.MarkedYAMLError as e:
        mark, msg = e.problem_mark or e.context_mark, e.problem or e.context
        # An unterminated construct (flow collection, quoted scalar, key without ':') is only
        # noticed on a later line, or at the end of the file: report the line where it starts.
        if e.problem_mark and e.context_mark and (e.context or "").startswith(
                ("while parsing a flow", "while scanning a")):
            mark = e.context_mark
            msg = f"{e.problem} on line {e.problem_mark.line + 1}, {e.context} that starts here"
        line = mark.line + 1 if mark else 1
        raise IdlError([f"{display}:{line}: YAML error: {msg}"])
    finally:
        loader.dispose()
    if errors:
        raise IdlError(errors)
    return doc


# ---- schema validation --------------------------------------------------------------------------


class Validator:
    """Checks a document against a schema node; collects `file:line: message` errors."""

    def __init__(self, schema, names):
        self.defs = schema["definitions"]
        self.kinds = schema["kinds"]
        self.names = names  # {'platforms': set, 'types': set}
        self.errors = []

    def err(self, fname, line, msg):
        self.errors.append(f"{fname}:{line}: {msg}")

    def check(self, value, node, fname, line, what):
        if "ref" in node:
            return self.check(value, self.defs[node["ref"]], fname, line, what)
        t = node["type"]
        if t == "map":
            return self._map(value, node, fname, line, what)
        if t == "dict":
            if not isinstance(value, dict):
                return self.err(fname, line, f"{what} must be a mapping")
            for k, v in value.items():
                kl = value.key_lines.get(k, line)
                if not IDENT.match(k):
                    self.err(fname, kl, f"{what}: '{k}' is not an identifier")
                self.check(v, node["values"], fname, kl, f"'{k}'")
            return None
        if t == "list":
            if not isinstance(value, list):
                return self.err(fname, line, f"{what} must be a list")
            lines = getattr(value, "item_lines", None) or [line] * len(value)
            for item, il in zip(value, lines):
                self.check(item, node["items"], fname, il, f"an item of {what}")
            return None
        if t == "platforms":
            items = value if isinstance(value, list) else [value]
            for p in items:
                if not isinstance(p, str):
                    self.err(fname, line, f"{what} must name platforms")
                elif p not in self.names["platforms"]:
                    known = ", ".join(sorted(self.names["platforms"]))
                    self.err(fname, line, f"{what}: unknown platform '{p}' (known: {known})")
            return None
        if t == "typename":
            if not isinstance(value, str) or value not in self.names["types"]:
                known = ", ".join(sorted(self.names["types"]))
                self.err(fname, line, f"{what}: unknown type '{value}' (known: {known})")
            return None
        if t == "kind":
            if not isinstance(value, str) or value not in self.kinds:
                known = ", ".join(self.kinds)
                self.err(fname, line, f"{what}: unknown kind '{value}' (known: {known})")
            return None
        if t == "enum":
            if value not in node["values"]:
                allowed = ", ".join(node["values"])
                self.err(fname, line, f"{what}: '{value}' is not one of {allowed}")
            return None
        if t == "bool":
            if not isinstance(value, bool):
                self.err(fname, line, f"{what} must be true or false")
            return None
        if t == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.err(fname, line, f"{what} must be an integer")
            return None
        if t == "identifier":
            if not isinstance(value, str) or not IDENT.match(value):
                self.err(fname, line, f"{what} must be an identifier, not {value!r}")
            return None
        if t == "text":
            if not isinstance(value, str) or not value.strip():
                self.err(fname, line, f"{what} must be non-empty text")
            return None
        raise AssertionError(f"schema: unknown node type {t}")

    def _map(self, value, node, fname, line, what):
        if not isinstance(value, dict):
            return self.err(fname, line, f"{what} must be a mapping")
        keys = node["keys"]
        for k, v in value.items():
            kl = value.key_lines.get(k, line)
            if k not in keys:
                allowed = ", ".join(keys)
                self.err(fname, kl, f"unknown key '{k}' in {what} (allowed: {allowed})")
                continue
            self.check(v, keys[k], fname, kl, f"'{k}'")
        for k, spec in keys.items():
            if k not in value:
                if spec.get("required"):
                    self.err(fname, line, f"missing required key '{k}' in {what}")
                elif "default" in spec:
                    value[k] = spec["default"]
        return None


# ---- the model ----------------------------------------------------------------------------------


def _expand(platform_spec, groups, platforms):
    out = set()
    for p in platform_spec if isinstance(platform_spec, list) else [platform_spec]:
        out.update(groups.get(p, [p]))
    return [p for p in platforms if p in out]  # in table order


def _param_spec(spec):
    """'bool|u32 out?' -> (['bool','u32'], 'out', nullable)."""
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


RESULT_C = {"status": "int", "bytes": "ssize_t", "fd": "int", "count": "int",
            "raw_socket": "SOCKET"}
# What a wrapper returns for a bad argument: -EINVAL, or the result type's own "none" value where a
# negative errno does not fit (a Windows SOCKET is unsigned).
RESULT_INVALID = {"raw_socket": "INVALID_SOCKET"}

# The files of idl/ that are not type or mixin files.
NOT_TYPE_FILES = ("schema.yaml", "platforms.yaml", "types.yaml", "runtime.yaml")
# What each result kind returns (the reference's "Returns" line).
RESULT_DOC = {
    "status": "0, or a negative errno.",
    "bytes": "The number of bytes transferred, or a negative errno.",
    "fd": "The file descriptor, or a negative errno.",
    "count": "The number of datagrams transferred, or a negative errno when none was.",
    "raw_socket": "The socket, or INVALID_SOCKET.",
}
ERROR_KEY = re.compile(r"^(E[A-Z0-9]+|other)$")

# Kinds that a platform can only have when its table entry says how: kind -> (key, "cannot" value).
PLATFORM_NEEDS = {"peer_cred": ("peer_cred", "none")}
# What a platform with `sockets: inherited` (WASI preview 1) can do on the sockets the host hands
# over: accept, recv/send, shutdown, plain reads, and the fd and registration ops. Every other kind
# (and io call) needs the BSD calls of `sockets: full`.
INHERITED_KINDS = {"accept", "shutdown", "from_fd", "as_fd", "into_fd", "register", "reregister",
                   "deregister", "close"}
INHERITED_IO_CALLS = {"read", "readv", "recv", "recv_peek", "send"}


def load(idl_dir):
    """Loads, validates and returns the model; raises IdlError with every problem found."""
    # Files are named as "idl/<file>" whatever the working directory, so output is reproducible.
    rel = os.path.basename(os.path.normpath(idl_dir))
    disp = lambda f: os.path.join(rel, f)  # noqa: E731
    schema = load_yaml(os.path.join(idl_dir, "schema.yaml"), disp("schema.yaml"))
    plat_doc = load_yaml(os.path.join(idl_dir, "platforms.yaml"), disp("platforms.yaml"))
    types_doc = load_yaml(os.path.join(idl_dir, "types.yaml"), disp("types.yaml"))

    v = Validator(schema, {"platforms": set(), "types": set()})
    # A kind's `inline` list may only name its own calls (a typo would silently not inline).
    for kname, kind in schema["kinds"].items():
        inl = kind.get("inline") or []
        lines = getattr(inl, "item_lines", None) or [kind.key_lines.get("inline", 1)] * len(inl)
        for c, ln in zip(inl, lines):
            if c not in (kind.get("calls") or {}):
                v.err(disp("schema.yaml"), ln,
                      f"kind '{kname}': inline call '{c}' is not one of its calls")
    kind_errors = schema.get("kind_errors") or {}
    for kname, errs in kind_errors.items():
        kline = kind_errors.key_lines.get(kname, 1)
        if kname not in schema["kinds"]:
            v.err(disp("schema.yaml"), kline, f"kind_errors: unknown kind '{kname}'")
        v.check(errs, v.defs["errors"], disp("schema.yaml"), kline, f"kind_errors '{kname}'")
        _check_error_keys(v, disp("schema.yaml"), errs, kline)
    v.check(plat_doc, v.defs["platforms_file"], disp("platforms.yaml"), 1, "the platform table")
    v.check(types_doc, v.defs["types_file"], disp("types.yaml"), 1, "the type table")
    if v.errors:
        raise IdlError(v.errors)

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
        if t["pass"] == "buffer" and "len" not in t:
            v.err(disp("types.yaml"), types_doc["types"].key_lines[tname],
                  f"type '{tname}' is passed as a buffer and needs `len`")

    # Type and mixin files: every other *.yaml in idl/.
    files = sorted(f for f in os.listdir(idl_dir) if f.endswith(".yaml")
                   and f not in NOT_TYPE_FILES)
    docs = [(f, load_yaml(os.path.join(idl_dir, f), disp(f))) for f in files]
    type_docs = [(f, d) for f, d in docs if isinstance(d, dict) and "mixin" not in d]
    mixin_docs = [(f, d) for f, d in docs if isinstance(d, dict) and "mixin" in d]
    for f, d in docs:
        if not isinstance(d, dict):
            v.err(disp(f), 1, "a type or mixin file must be a mapping")

    socket_types = {d.get("type"): f for f, d in type_docs if isinstance(d.get("type"), str)}
    v.names = {"platforms": set(platforms) | set(groups),
               "types": set(types) | set(socket_types)}
    for f, d in mixin_docs:
        v.check(d, v.defs["mixin_file"], disp(f), d.line, "a mixin file")
    for f, d in type_docs:
        v.check(d, v.defs["type_file"], disp(f), d.line, "a type file")
        if isinstance(d.get("type"), str) and f != d["type"] + ".yaml":
            v.err(disp(f), d.key_lines.get("type", 1),
                  f"type '{d['type']}' must live in idl/{d['type']}.yaml")
    if v.errors:
        raise IdlError(v.errors)

    mixins = {d["mixin"]: (f, d) for f, d in mixin_docs}
    model_types = []
    for f, d in type_docs:
        ops, seen = [], {}
        sources = [(f, op, None) for op in d["ops"]]
        for m in d["mixins"]:
            if m not in mixins:
                v.err(disp(f), d.key_lines["mixins"], f"unknown mixin '{m}'")
                continue
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
                              kind_errors.get(op["kind"]) or {},
                              schema.get("call_syscalls") or {})
            if "available" in d:  # the type's own availability bounds every op's
                where = _expand(d["available"], groups, platforms)
                built["available"] = [p for p in built["available"] if p in where]
                if not built["available"]:
                    continue  # a mixin op none of the type's platforms has (SOCKET ops on Unix)
            ops.append(built)
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
    runtime = _load_runtime(v, idl_dir, disp, plat_doc, groups, platforms, schema)
    seen = {op["c_name"]: op["source"] for t in model_types for op in t["ops"]}
    for fn in runtime["functions"] + runtime["private"]:
        if fn["c_name"] in seen:
            v.err(fn["source"].rsplit(":", 1)[0], int(fn["source"].rsplit(":", 1)[1]),
                  f"function '{fn['c_name']}' is already defined at {seen[fn['c_name']]}")
        seen[fn["c_name"]] = fn["source"]
    if v.errors:
        raise IdlError(v.errors)
    return {"platforms": plats, "groups": groups, "types": model_types, "type_table": types,
            "runtime": runtime}


def _check_error_keys(v, fname, errs, line):
    if not isinstance(errs, dict):
        return
    for k in errs:
        if not ERROR_KEY.match(k):
            v.err(fname, errs.key_lines.get(k, line) if getattr(errs, "key_lines", None) else line,
                  f"errors: '{k}' is not an errno name (EAGAIN, …) or 'other'")


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


def _load_runtime(v, idl_dir, disp, plat_doc, groups, platforms, schema):
    """idl/runtime.yaml: the handwritten functions, validated; {doc, groups, functions, private}."""
    fname = disp("runtime.yaml")
    doc = load_yaml(os.path.join(idl_dir, "runtime.yaml"), fname)
    v.check(doc, v.defs["runtime_file"], fname, getattr(doc, "line", 1), "the runtime API")
    if v.errors:
        raise IdlError(v.errors)
    backends = set(v.defs["platform"]["keys"]["backends"]["items"]["values"])
    bool_keys = {k for k, spec in v.defs["platform"]["keys"].items() if spec.get("type") == "bool"}

    def build(fn, group, private):
        line = fn.line
        name = fn["name"]
        prefix = "cmio__" if private else "cmio_"
        if not name.startswith(prefix) or (not private and name.startswith("cmio__")):
            what = "a private function" if private else "a function"
            v.err(fname, line, f"{what}'s name must start with '{prefix}': '{name}'")
        _check_error_keys(v, fname, fn["errors"], line)
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


def _build_op(v, fname, op, tdoc, types, socket_types, groups, platforms, kind_errs=None,
              call_syscalls=None):
    kind = v.kinds[op["kind"]]
    line = op.line
    key_line = lambda k: op.key_lines.get(k, line)  # noqa: E731
    kind_keys = {"socket", "steps", "backlog", "call", "option", "membership"}
    wanted = set(kind.get("keys", []))
    if "calls" in kind:
        wanted.add("call")
    if "listen" in (op.get("steps") or []):
        wanted.add("backlog")
    for k in sorted(kind_keys & set(op)):
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

    params, c_params, names = [], [], set()
    if len(op["params"]) != len(expect):
        v.err(fname, key_line("params") if "params" in op.key_lines else line,
              f"op '{op['name']}' of kind '{op['kind']}' takes {len(expect)} parameter(s) "
              f"({', '.join(expect) or 'none'}), not {len(op['params'])}")
    plines = getattr(op["params"], "item_lines", None) or [line] * len(op["params"])
    for i, (p, pl) in enumerate(zip(op["params"], plines)):
        if p["name"] in names or p["name"] == tdoc["self"]:
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
            tinfo = types.get(p["type"])
        if tinfo is None:
            continue
        decls = _c_params(p, tinfo)
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
    _check_error_keys(v, fname, op["errors"], line)
    errors = _op_errors(dict(op, _self_mode=kind["self"]), tdoc, params, kind_errs or {},
                        call_syscalls or {}, rearm)
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
