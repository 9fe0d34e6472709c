# SPDX-License-Identifier: MIT
"""The schema language of idl/schema.yaml: `Validator` checks a document against a schema node;
`check_schema` checks schema.yaml itself, including CONTRACT (what codegen reads), before it is
used. Problems are `file:line: message` lines."""

import copy
import re

import yaml

from idl_yaml import describe, item_lines

# Patterns are matched whole (fullmatch): `$` would accept a trailing newline.
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MACRO = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z0-9_().+-]+)?")  # "NAME" or "NAME VALUE"
C_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z_][A-Za-z0-9_]*)*")  # "struct iovec"
PARAM_SPEC = re.compile(r"([a-z0-9_]+(?:\|[a-z0-9_]+)*) ((?:in|out)(?:\|(?:in|out))*)(\??)")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# Words that cannot name a C parameter in a header compiled as C11/C23 or C++20: keywords, and
# object-like macros of the C library or of GNU modes (`unix`, `linux`). Names starting with `__`
# or `_` and a capital are reserved too.
C_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto if
    inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while alignas alignof bool constexpr false nullptr static_assert
    thread_local true typeof typeof_unqual and and_eq asm bitand bitor catch char8_t char16_t
    char32_t class co_await co_return co_yield compl concept const_cast consteval constinit
    decltype delete dynamic_cast explicit export friend mutable namespace new noexcept not not_eq
    operator or or_eq private protected public reinterpret_cast requires static_cast template
    this throw try typeid typename using virtual wchar_t xor xor_eq""".split())
C_MACROS = frozenset("""
    errno stdin stdout stderr unix linux sun i386 noreturn complex imaginary s_addr h_addr
    sa_handler sa_sigaction st_atime st_mtime st_ctime""".split())

# The C type of each op result (schema: op `result`, kind `result`).
RESULT_C = {"status": "int", "bytes": "ssize_t", "fd": "int", "count": "int",
            "raw_socket": "SOCKET"}
# The op keys that belong to kinds (schema `kinds`: `keys`, or `calls` for `call`).
KIND_KEYS = ("socket", "steps", "backlog", "call", "option", "membership")
# The directions a kind's `rearm` may name (templates: CMIO_INTEREST_<REARM>).
REARM = ("readable", "writable")
# The keys of an `errors` mapping: an errno name, or `other`.
ERROR_KEY = re.compile(r"E[A-Z0-9]+|other")

# ---- the schema of the schema -------------------------------------------------------------------

# Schema node types, each with the keys it takes besides `doc`, `required` and `default`; the
# first listed is required.
NODE_TYPES = {
    "map": ("keys",), "dict": ("values",), "list": ("items", "nonempty"), "enum": ("values",),
    "int": ("min", "max"), "bool": (), "text": (), "identifier": (), "name": (), "param_name": (),
    "macro": (), "c_type": (), "platforms": (), "typename": (), "kind": (),
}
KIND_FIELDS = ("self", "keys", "result", "params", "calls", "inline", "rearm", "handle", "doc")
# The top-level keys of schema.yaml.
TOP_KEYS = ("definitions", "kinds", "kind_errors", "call_syscalls")

# What the loader and the templates read, in the schema's own language: schema.yaml may add keys
# and constraints, but must keep these definitions, keys and node types, make each `required`
# key here required or defaulted, and keep enums within the values listed. A template that reads
# a new key adds it here. (Read with libyaml where PyYAML has it: every run of the generator
# parses this, and the pure-Python parser takes a tenth of a second.)
CONTRACT = yaml.load("""
platforms_file:
  type: map
  keys:
    groups: {type: dict, required: true, values: {type: list, nonempty: true, items: {type: identifier}}}
    platforms: {type: dict, required: true, values: {ref: platform}}
platform:
  type: map
  keys:
    doc: {type: text, required: true}
    generate: {type: bool, required: true}
    feature_macros: {type: list, required: true, items: {type: macro}}
    handle: {type: enum, required: true}
    backends: {type: list, required: true, nonempty: true, items: {type: enum}}
    ppoll: {type: bool, required: true}
    wakers: {type: list, required: true, nonempty: true, items: {type: enum}}
    socket_flags: {type: bool, required: true}
    accept: {type: enum, required: true}
    sigpipe: {type: enum, required: true}
    reuseaddr: {type: bool, required: true}
    interest: {type: list, required: true, items: {type: enum}}
    cmsg_cloexec: {type: bool, required: true}
    peer_cred: {type: enum, required: true}
    batch: {type: enum, required: true}
    ip_multicast_v4: {type: enum, required: true}
    ipv6_join: {type: identifier, required: true}
    ipv6_leave: {type: identifier, required: true}
    abstract_names: {type: bool, required: true}
    threads: {type: bool, required: true}
    poll_hangup_alone: {type: bool, required: true}
    sockets: {type: enum, required: true, values: [full, inherited]}
types_file:
  type: map
  keys:
    types: {type: dict, required: true, values: {ref: type}}
type:
  type: map
  keys:
    c: {type: c_type, required: true}
    pass: {type: enum, required: true, values: [value, pointer, buffer]}
    mutable: {type: bool, required: true}
    const: {type: bool, required: true}
    len: {type: map, keys: {c: {type: c_type, required: true}, name: {type: param_name, required: true}}}
mixin_file:
  type: map
  keys:
    mixin: {type: name, required: true}
    ops: {type: list, required: true, items: {ref: op}}
type_file:
  type: map
  keys:
    type: {type: name, required: true}
    mio: {type: text, required: true}
    self: {type: param_name, required: true}
    doc: {type: text, required: true}
    mixins: {type: list, required: true, items: {type: name}}
    available: {type: platforms}
    ops: {type: list, required: true, items: {ref: op}}
op:
  type: map
  keys:
    name: {type: name, required: true}
    kind: {type: kind, required: true}
    doc: {type: text, required: true}
    mio: {type: text}
    params: {type: list, required: true, items: {ref: param}}
    result: {type: enum, required: true, values: [status, bytes, fd, count, raw_socket]}
    available: {type: platforms, required: true}
    socket: {type: enum, values: [stream, dgram]}
    steps: {type: list, items: {type: enum, values: [reuseaddr, bind, listen, connect]}}
    backlog: {type: int}
    call: {type: identifier}
    option:
      type: map
      keys:
        level: {type: identifier, required: true}
        name: {type: identifier, required: true}
        value: {type: enum, required: true, values: [int, ip_multicast_v4]}
    membership: {type: enum, values: [join, leave]}
    errors: {ref: errors, required: true}
errors:
  type: dict
  values: {type: text}
runtime_file:
  type: map
  keys:
    runtime: {type: text, required: true}
    groups: {type: list, required: true, items: {ref: runtime_group}}
    private: {type: list, required: true, items: {ref: function}}
runtime_group:
  type: map
  keys:
    name: {type: identifier, required: true}
    header: {type: text, required: true}
    mio: {type: text}
    doc: {type: text, required: true}
    functions: {type: list, required: true, items: {ref: function}}
function:
  type: map
  keys:
    name: {type: identifier, required: true}
    result: {type: text, required: true}
    params: {type: list, required: true, items: {ref: c_param}}
    doc: {type: text, required: true}
    returns: {type: text}
    errors: {ref: errors, required: true}
    available: {type: platforms, required: true}
    when: {type: identifier}
    mio: {type: text}
    header: {type: text}
    inline: {type: bool, required: true}
    backends: {type: dict, values: {type: text}}
c_param:
  type: map
  keys:
    name: {type: identifier, required: true}
    c: {type: text, required: true}
    dir: {type: enum, required: true, values: [in, out]}
    nullable: {type: bool, required: true}
    doc: {type: text, required: true}
param:
  type: map
  keys:
    name: {type: param_name, required: true}
    type: {type: typename, required: true}
    dir: {type: enum, required: true, values: [in, out]}
    nullable: {type: bool, required: true}
    doc: {type: text, required: true}
""", Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def check_schema(schema, fname):
    """Checks schema.yaml itself (node shapes, refs, defaults, kinds, CONTRACT); returns errors."""
    errors, defaults = [], []

    def err(line, msg):
        errors.append(f"{fname}:{line}: {msg}")

    def node(n, line, where):
        if not isinstance(n, dict):
            return err(line, f"{where} must be a schema node (a mapping with `type` or `ref`), "
                             f"not {describe(n)}")
        kl = lambda k: n.key_lines.get(k, line)  # noqa: E731
        t = n.get("type")
        if "ref" in n:
            for k in n:
                if k not in ("ref", "doc", "required", "default"):
                    err(kl(k), f"{where}: key '{k}' cannot go with `ref` (allowed: doc, required, "
                               "default)")
            if not isinstance(n["ref"], str) or n["ref"] not in defs:
                err(kl("ref"), f"{where}: `ref` names no definition: {describe(n['ref'])}")
        elif not isinstance(t, str) or t not in NODE_TYPES:
            return err(kl("type"), f"{where}: `type` must be one of {', '.join(NODE_TYPES)}, "
                                   f"not {describe(t)}")
        else:
            own = NODE_TYPES[t]
            for k in n:
                if k not in ("type", "doc", "required", "default") + own:
                    err(kl(k), f"{where}: key '{k}' is not used by type '{t}'")
            if own and own[0] not in n and t != "int":
                return err(line, f"{where}: type '{t}' needs `{own[0]}`")
            if t == "map" and not isinstance(n["keys"], dict):
                err(kl("keys"), f"{where}: `keys` must be a mapping of key names to nodes")
            elif t == "map":
                for k, sub in n["keys"].items():
                    node(sub, n["keys"].key_lines[k], f"key '{k}'")
            elif t in ("dict", "list"):
                node(n[own[0]], kl(own[0]), f"the {own[0]} of {where}")
            elif t == "enum":
                vals = n["values"]
                if (not isinstance(vals, list) or not vals or len(set(map(repr, vals))) != len(vals)
                        or not all(isinstance(v, str) and IDENT.fullmatch(v) for v in vals)):
                    err(kl("values"), f"{where}: `values` must list distinct identifiers")
            for k in ("min", "max"):
                if k in n and (isinstance(n[k], bool) or not isinstance(n[k], int)):
                    err(kl(k), f"{where}: `{k}` must be an integer")
            if "nonempty" in n and not isinstance(n["nonempty"], bool):
                err(kl("nonempty"), f"{where}: `nonempty` must be true or false")
        if "doc" in n and not isinstance(n["doc"], str):
            err(kl("doc"), f"{where}: `doc` must be text")
        if "required" in n and not isinstance(n["required"], bool):
            err(kl("required"), f"{where}: `required` must be true or false")
        if "default" in n:
            if n.get("required") is True:
                err(kl("default"), f"{where}: a required key cannot have a default")
            else:
                defaults.append((n, kl("default"), where))
        return None

    for k in schema:
        if k not in TOP_KEYS:
            err(schema.key_lines[k], f"unknown key '{k}' (allowed: {', '.join(TOP_KEYS)})")
    for k in TOP_KEYS:
        if (k in schema or k in ("definitions", "kinds")) and not isinstance(schema.get(k), dict):
            err(schema.key_lines.get(k, schema.line), f"`{k}` must be a mapping")
    if errors:
        return errors
    defs, kinds = schema["definitions"], schema["kinds"]
    acyclic = set()  # definitions whose chain of refs ends in a node with a type
    for name, n in defs.items():
        node(n, defs.key_lines[name], f"definition '{name}'")
        chain = [name]
        while isinstance(n, dict) and isinstance(n.get("ref"), str) and n["ref"] in defs:
            if n["ref"] in chain:
                err(defs.key_lines[name], f"definition '{name}' is a loop of refs")
                break
            if n["ref"] in acyclic:
                acyclic.update(chain)
                break
            chain.append(n["ref"])
            n = defs[n["ref"]]
        else:
            acyclic.update(chain)
    for name in CONTRACT:
        if name not in defs:
            err(schema.key_lines["definitions"], f"definition '{name}' is missing (codegen reads it)")
    _check_kinds(kinds, err)
    if errors:
        return errors
    v = Validator(defs, kinds, {"platforms": set(), "types": set()})
    for n, line, where in defaults:  # a default must itself be valid
        t = resolve(defs, n)["type"]
        if t in ("typename", "kind"):
            err(line, f"{where}: a {t} cannot have a default")
        elif t != "platforms":  # platform names are known later: check_platform_defaults
            v.check(copy.deepcopy(n["default"]), n, fname, line, f"the default of {where}")
    seen = set()
    for name, con in CONTRACT.items():
        _conform(defs, defs[name], con, defs.key_lines[name], f"definition '{name}'", err, seen)
    if errors or v.errors:
        return errors + v.errors
    # What the kinds and the tables after them say, now that `errors` and `platform` are known.
    handles = resolve(defs, resolve(defs, defs["platform"])["keys"]["handle"])["values"]
    for kname, kind in kinds.items():
        if "handle" in kind and kind["handle"] not in handles:
            err(kind.key_lines["handle"], f"kind '{kname}': `handle` must be one of the platform "
                                          f"table's handles ({', '.join(handles)})")
    kind_errors = schema.get("kind_errors", {})
    for kname, errs in kind_errors.items():
        kline = kind_errors.key_lines[kname]
        if kname not in kinds:
            err(kline, f"kind_errors: unknown kind '{kname}'")
        v.check(errs, defs["errors"], fname, kline, f"kind_errors '{kname}'")
        check_error_keys(v, fname, errs, kline)
    call_syscalls = schema.get("call_syscalls", {})
    v.check(call_syscalls, {"type": "dict", "values": {"type": "identifier"}}, fname,
            schema.key_lines.get("call_syscalls", 1), "call_syscalls")
    return errors + v.errors


def resolve(defs, node):
    """The node a (chain of) `ref` stands for; defs: the checked schema's definitions."""
    while isinstance(node, dict) and "ref" in node:
        node = defs[node["ref"]]
    return node


def check_platform_defaults(schema, fname, v):
    """The defaults of `platforms` nodes name platforms or groups (v.names, once the platform
    table is read): errors go to v."""
    stack = [(n, schema["definitions"].key_lines[k], f"definition '{k}'")
             for k, n in schema["definitions"].items()]
    while stack:
        n, line, where = stack.pop()
        if "default" in n and resolve(schema["definitions"], n)["type"] == "platforms":
            v.check(copy.deepcopy(n["default"]), n, fname, n.key_lines["default"],
                    f"the default of {where}")
        if "ref" in n:
            continue
        if n["type"] == "map":
            stack += [(sub, n["keys"].key_lines[k], f"key '{k}'") for k, sub in n["keys"].items()]
        elif n["type"] in ("dict", "list"):
            own = "values" if n["type"] == "dict" else "items"
            stack.append((n[own], n.key_lines[own], f"the {own} of {where}"))


def check_error_keys(v, fname, errs, line):
    """The keys of an `errors` mapping are errno names (EAGAIN, ...) or `other`."""
    if not isinstance(errs, dict):
        return
    lines = getattr(errs, "key_lines", None) or {}
    for k in errs:
        if not ERROR_KEY.fullmatch(k):
            v.err(fname, lines.get(k, line), f"errors: '{k}' is not an errno name (EAGAIN, …) "
                                             "or 'other'")


def _check_kinds(kinds, err):
    for kname, kind in kinds.items():
        line = kinds.key_lines[kname]
        if not SNAKE.fullmatch(kname):
            err(line, f"kind '{kname}' must be a snake_case name (the template macro's)")
        if not isinstance(kind, dict):
            err(line, f"kind '{kname}' must be a mapping")
            continue
        kl = lambda k: kind.key_lines.get(k, line)  # noqa: E731,B023
        for k in kind:
            if k not in KIND_FIELDS:
                err(kl(k), f"kind '{kname}': unknown key '{k}' (allowed: {', '.join(KIND_FIELDS)})")
        if kind.get("self") not in ("out", "mut", "const"):
            err(kl("self"), f"kind '{kname}': `self` must be out, mut or const")
        if not isinstance(kind.get("result"), str) or kind["result"] not in RESULT_C:
            err(kl("result"), f"kind '{kname}': `result` must be one of {', '.join(RESULT_C)}")
        if "rearm" in kind and kind["rearm"] not in REARM:
            err(kl("rearm"), f"kind '{kname}': `rearm` must be one of {', '.join(REARM)}, "
                             f"not {describe(kind['rearm'])}")
        if "handle" in kind and not isinstance(kind["handle"], str):
            err(kl("handle"), f"kind '{kname}': `handle` must name a handle, not "
                              f"{describe(kind['handle'])}")
        keys = kind.get("keys", [])
        if not isinstance(keys, list) or any(k not in KIND_KEYS for k in keys) or \
                len(set(map(repr, keys))) != len(keys):
            err(kl("keys"), f"kind '{kname}': `keys` must list distinct keys of "
                            f"{', '.join(KIND_KEYS)}")
        elif ("call" in keys) != ("calls" in kind):
            err(kl("keys"), f"kind '{kname}': a kind with `calls` has key `call`, and only then")
        if "params" in kind and "calls" in kind:
            err(kl("calls"), f"kind '{kname}' has both `params` and `calls`")
        specs = [(kind["params"], kl("params"))] if "params" in kind else []
        calls = kind.get("calls", {})
        if not isinstance(calls, dict) or ("calls" in kind and not calls):
            err(kl("calls"), f"kind '{kname}': `calls` must map call names to parameter lists")
            calls = {}
        for c, s in calls.items():
            if not IDENT.fullmatch(c):
                err(calls.key_lines[c], f"kind '{kname}': call '{c}' is not an identifier")
            specs.append((s, calls.key_lines[c]))
        for s, sline in specs:
            if not isinstance(s, list):
                err(sline, f"kind '{kname}': parameters must be a list of \"type dir\" strings")
                continue
            for spec, pl in zip(s, item_lines(s, sline)):
                if not isinstance(spec, str) or not PARAM_SPEC.fullmatch(spec):
                    err(pl, f"kind '{kname}': parameter {describe(spec)} is not \"type[|type...] "
                            "in|out[?]\"")
        inl = kind.get("inline", [])
        if not isinstance(inl, list):
            err(kl("inline"), f"kind '{kname}': `inline` must be a list of its calls")
            continue
        for c, ln in zip(inl, item_lines(inl, line)):  # a typo would silently not inline
            if not isinstance(c, str) or c not in calls:
                err(ln, f"kind '{kname}': inline call {describe(c)} is not one of its calls")


def _conform(defs, sch, con, line, where, err, seen):
    """Checks a schema node against its CONTRACT node (see CONTRACT)."""
    while "ref" in sch:
        sch = defs[sch["ref"]]
    if "ref" in con:
        if sch is defs[con["ref"]] or (id(sch), con["ref"]) in seen:
            return  # that definition is checked on its own
        seen.add((id(sch), con["ref"]))
        con = CONTRACT[con["ref"]]
    if sch["type"] != con["type"]:
        return err(line, f"{where} must be of type '{con['type']}' (codegen relies on it), "
                         f"not '{sch['type']}'")
    if con.get("nonempty") and sch.get("nonempty") is not True:
        err(line, f"{where} must say `nonempty: true` (codegen relies on it)")
    if "values" in con:
        for v in sch["values"]:
            if v not in con["values"]:
                err(sch.key_lines["values"], f"{where}: codegen knows only the values "
                                             f"{', '.join(con['values'])}, not '{v}'")
    if con["type"] == "map":
        for k, ck in con["keys"].items():
            if k not in sch["keys"]:
                err(line, f"{where} must have key '{k}' (codegen reads it)")
                continue
            sk, kl = sch["keys"][k], sch["keys"].key_lines[k]
            if ck.get("required") and sk.get("required") is not True and "default" not in sk:
                err(kl, f"{where}: key '{k}' must be required or have a default (codegen reads it)")
            _conform(defs, sk, ck, kl, f"key '{k}' of {where}", err, seen)
    elif con["type"] in ("list", "dict"):
        own = "items" if con["type"] == "list" else "values"
        _conform(defs, sch[own], con[own], line, f"the {own} of {where}", err, seen)
    return None


# ---- schema validation --------------------------------------------------------------------------


def name_problem(value, param):
    """Why a string is not a valid snake_case name (and, for a C parameter, not a usable one)."""
    if param and value in C_KEYWORDS:
        return f"'{value}' is a C or C++ keyword: it cannot name a C parameter"
    if param and value in C_MACROS:
        return f"'{value}' is a macro of the C library: it cannot name a C parameter"
    if re.match(r"__|_[A-Z]", value):
        return f"'{value}' is a reserved identifier (it starts with __ or _ and a capital)"
    if not SNAKE.fullmatch(value):
        return f"'{value}' is not a snake_case name (lower-case words joined by _)"
    # A parameter named like a type (size_t, cmio_token) hides it from the parameters after it.
    if param and value.endswith("_t"):
        return f"'{value}' ends in _t, which POSIX reserves for type names"
    if param and value.startswith("cmio_"):
        return f"'{value}' starts with cmio_, the library's prefix for its types and functions"
    return None


class Validator:
    """Checks a document against a schema node; collects `file:line: message` errors."""

    def __init__(self, defs, kinds, names):
        self.defs = defs
        self.kinds = kinds
        self.names = names  # {'platforms': set, 'types': set}
        self.errors = []

    def err(self, fname, line, msg):
        self.errors.append(f"{fname}:{line}: {msg}")

    def check(self, value, node, fname, line, what):
        while "ref" in node:  # a loop, not a recursion: a chain of refs may be long
            node = self.defs[node["ref"]]
        t = node["type"]
        if t == "map":
            return self._map(value, node, fname, line, what)
        if t in ("dict", "list"):
            return self._collection(value, node, fname, line, what)
        if t == "platforms":
            items = value if isinstance(value, list) else [value]
            lines = item_lines(value, line) if isinstance(value, list) else [line]
            if not items:
                self.err(fname, line, f"{what} must name at least one platform")
            for p, pl in zip(items, lines):
                if not isinstance(p, str):
                    self.err(fname, pl, f"{what} must name platforms, not {describe(p)}")
                elif p not in self.names["platforms"]:
                    known = ", ".join(sorted(self.names["platforms"]))
                    self.err(fname, pl, f"{what}: unknown platform '{p}' (known: {known})")
            return None
        if t == "typename":
            if not isinstance(value, str) or value not in self.names["types"]:
                known = ", ".join(sorted(self.names["types"]))
                self.err(fname, line, f"{what}: unknown type {describe(value)} (known: {known})")
            return None
        if t == "kind":
            if not isinstance(value, str) or value not in self.kinds:
                shown = f"'{value}'" if isinstance(value, str) else f": {describe(value)}"
                self.err(fname, line, f"{what}: unknown kind {shown} (known: {', '.join(self.kinds)})")
            return None
        if t == "enum":
            if value not in node["values"]:
                allowed = ", ".join(node["values"])
                self.err(fname, line, f"{what}: {describe(value)} is not one of {allowed}")
            return None
        if t == "bool":
            if not isinstance(value, bool):
                self.err(fname, line, f"{what} must be true or false, not {describe(value)}")
            return None
        if t == "int":
            lo, hi = node.get("min", INT_MIN), node.get("max", INT_MAX)
            if isinstance(value, bool) or not isinstance(value, int):
                self.err(fname, line, f"{what} must be an integer, not {describe(value)}")
            elif not lo <= value <= hi:
                self.err(fname, line, f"{what} must be between {lo} and {hi}, not {value}")
            return None
        if not isinstance(value, str):
            return self.err(fname, line, f"{what} must be {TEXT_TYPES[t]}, not {describe(value)}")
        if t == "text":
            if not value.strip():
                self.err(fname, line, f"{what} must be non-empty text")
            elif not value.replace("\n", "").replace("\t", "").isprintable():
                self.err(fname, line, f"{what} holds a control character: {describe(value)}")
            elif "/*" in value or "*/" in value:
                self.err(fname, line, f"{what} contains '/*' or '*/', which would end or nest the "
                                      "C comment it goes into")
            elif "??/" in value:
                self.err(fname, line, f"{what} contains the trigraph '??/' (a backslash in C11), "
                                      "which gcc -Wall refuses at the end of a comment line")
            return None
        if t in ("name", "param_name"):
            problem = name_problem(value, t == "param_name")
            if problem:
                self.err(fname, line, f"{what}: {problem}")
            return None
        if not {"identifier": IDENT, "macro": MACRO, "c_type": C_TYPE}[t].fullmatch(value):
            self.err(fname, line, f"{what} must be {TEXT_TYPES[t]}, not {describe(value)}")
        return None

    def _collection(self, value, node, fname, line, what):
        t = node["type"]
        if not isinstance(value, dict if t == "dict" else list):
            return self.err(fname, line, f"{what} must be a {'mapping' if t == 'dict' else 'list'}, "
                                         f"not {describe(value)}")
        if node.get("nonempty") and not value:
            self.err(fname, line, f"{what} must not be empty")
        if t == "list":
            for item, il in zip(value, item_lines(value, line)):
                self.check(item, node["items"], fname, il, f"an item of {what}")
            return None
        for k, v in value.items():
            kl = value.key_lines.get(k, line)
            if not IDENT.fullmatch(k):
                self.err(fname, kl, f"{what}: '{k}' is not an identifier")
            self.check(v, node["values"], fname, kl, f"'{k}'")
        return None

    def _map(self, value, node, fname, line, what):
        if not isinstance(value, dict):
            return self.err(fname, line, f"{what} must be a mapping, not {describe(value)}")
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
                    value[k] = copy.deepcopy(spec["default"])
        return None


TEXT_TYPES = {
    "text": "text", "identifier": "an identifier", "name": "a snake_case name",
    "param_name": "a snake_case name", "macro": 'a macro, "NAME" or "NAME VALUE"',
    "c_type": 'a C type such as "struct iovec"',
}
