"""Load and validate the cmio IDL (idl/*.yaml) against idl/schema.yaml, then build the model
the templates render.

Every problem is reported as `file:line: message` (an IdlError); nothing else may escape, which
fuzz/idl_mutate.py checks. In order: each file's bytes and YAML (`load_yaml`), the schema itself
(`check_schema`, which includes CONTRACT: what this code and the templates read), every file
against the schema (`Validator`), then the rules across files (`load`, `_build_op`)."""

import copy
import os
import re

import yaml

# Patterns are matched whole (fullmatch): `$` would accept a trailing newline.
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MACRO = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z0-9_().+-]+)?")  # "NAME" or "NAME VALUE"
C_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z_][A-Za-z0-9_]*)*")  # "struct iovec"
PARAM_SPEC = re.compile(r"([a-z0-9_]+(?:\|[a-z0-9_]+)*) ((?:in|out)(?:\|(?:in|out))*)(\??)")
DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# Names of the locals in the wrapper bodies (templates/ops.c.j2): parameters may not take them.
RESERVED = {"family", "sfd", "rc", "sa", "salen", "value", "how_", "n", "msg", "ua", "sun", "sv", "ss"}
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

MAX_BYTES = 1 << 20  # per file
MAX_DEPTH = 32  # nesting of YAML collections (the IDL needs 8)
MAX_VALUES = 100_000  # values per file once aliases are expanded

RESULT_C = {"status": "int", "bytes": "ssize_t", "fd": "int", "count": "int"}
# The op keys that belong to kinds (schema `kinds`: `keys`, or `calls` for `call`).
KIND_KEYS = ("socket", "steps", "backlog", "call", "option", "membership")
# Kinds that a platform can only have when its table entry says how: kind -> (key, "cannot" value).
PLATFORM_NEEDS = {"peer_cred": ("peer_cred", "none")}
# Each backend and waker a `generate: true` platform names needs runtime/**/backend_<name>.c or
# runtime/**/waker_<name>.c, unless listed here: (key, name) -> a file under runtime/, or None
# when nothing is needed.
RUNTIME_FILES = {("wakers", "none"): None}


class IdlError(Exception):
    """The problems found, each one line `file:line: message` (a value quoted in a message that
    holds a newline or another non-printable character shows it escaped)."""

    def __init__(self, errors):
        self.errors = ["".join(c if c.isprintable() else c.encode("unicode_escape").decode()
                               for c in e) for e in errors]
        super().__init__("\n".join(self.errors))


def _what(v):
    """A value as an error message shows it."""
    if v is None:
        return "an empty value"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"the number {v}"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return repr(v if len(v) <= 40 else v[:37] + "...")


# ---- YAML with line numbers ---------------------------------------------------------------------


class LDict(dict):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line = 0
    key_lines = None


class LList(list):
    line = 0
    item_lines = None


def _lines(items, line):
    """The line of each item of a list (`line` for a list that did not come from YAML)."""
    return getattr(items, "item_lines", None) or [line] * len(items)


def _fail(fname, line, msg):
    raise IdlError([f"{fname}:{line}: {msg}"])


def _decode(raw, fname):
    """The file's text: UTF-8 without BOM, printable characters, tabs and line ends only."""
    if len(raw) > MAX_BYTES:
        _fail(fname, 1, f"larger than {MAX_BYTES} bytes: not an IDL file")
    if raw.startswith(b"\xef\xbb\xbf"):
        _fail(fname, 1, "the file starts with a byte order mark (BOM): save it as UTF-8 without one")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        _fail(fname, raw.count(b"\n", 0, e.start) + 1,
              f"invalid UTF-8 (byte 0x{raw[e.start]:02x}): IDL files are UTF-8")
    for n, line in enumerate(text.split("\n"), 1):
        line = (line[:-1] if line.endswith("\r") else line).replace("\t", " ")
        if not line.isprintable():
            c = next(c for c in line if not c.isprintable())
            _fail(fname, n, f"non-printable character U+{ord(c):04X}{' (NUL)' if c == chr(0) else ''}")
    return text


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, composing only what the IDL uses: no tags, bounded nesting, and no
    alias to a node that contains it (which would make the document infinite)."""

    def __init__(self, text, fname):
        super().__init__(text)
        self.fname, self.depth, self.open_anchors = fname, 0, set()

    def compose_node(self, parent, index):
        ev = self.peek_event()
        line = ev.start_mark.line + 1
        if isinstance(ev, yaml.AliasEvent):
            if ev.anchor in self.open_anchors:
                _fail(self.fname, line, f"alias *{ev.anchor} refers to a node that contains it")
            return super().compose_node(parent, index)
        if ev.tag is not None:
            tag = ev.tag.replace("tag:yaml.org,2002:", "!!")
            _fail(self.fname, line, f"explicit tag '{tag}': the IDL takes plain values, no tags")
        if self.depth >= MAX_DEPTH:
            _fail(self.fname, line, f"nested deeper than {MAX_DEPTH} levels")
        self.depth += 1
        self.open_anchors.add(ev.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self.open_anchors.discard(ev.anchor)


def _scalar(node, fname, errors):
    """A scalar as the IDL reads it: quoted and block scalars are strings; plain ones are null,
    true/false, a decimal integer, or else a string (no YAML 1.1 yes/no, octal, dates, floats)."""
    v = node.value
    if node.style is not None:
        return v
    if v in ("", "~", "null", "Null", "NULL"):
        return None
    if v in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return v[0] in "tT"
    if DECIMAL.fullmatch(v):
        if len(v) > 20:
            errors.append(f"{fname}:{node.start_mark.line + 1}: number {v[:20]}... is too large")
            return None
        return int(v)
    return v


def _convert(node, fname, errors, budget, depth=0):
    """The node as LDict/LList/scalars; `budget` ([values left]) bounds what aliases expand to."""
    line = node.start_mark.line + 1
    budget[0] -= 1
    if budget[0] < 0:
        _fail(fname, line, f"more than {MAX_VALUES} values once aliases are expanded")
    if depth > MAX_DEPTH:
        _fail(fname, line, f"nested deeper than {MAX_DEPTH} levels (through aliases)")
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line, out.key_lines = line, {}
        for knode, vnode in node.value:
            kline = knode.start_mark.line + 1
            if knode.tag == "tag:yaml.org,2002:merge":
                errors.append(f"{fname}:{kline}: merge keys (<<) are not supported")
                continue
            key = _scalar(knode, fname, errors) if isinstance(knode, yaml.ScalarNode) else [knode]
            if not isinstance(key, str):
                errors.append(f"{fname}:{kline}: keys must be strings, not {_what(key)}")
                continue
            if key in out:
                errors.append(f"{fname}:{kline}: duplicate key '{key}'")
                continue
            out[key] = _convert(vnode, fname, errors, budget, depth + 1)
            out.key_lines[key] = kline
        return out
    if isinstance(node, yaml.SequenceNode):
        out = LList()
        out.line, out.item_lines = line, []
        for item in node.value:
            out.append(_convert(item, fname, errors, budget, depth + 1))
            out.item_lines.append(item.start_mark.line + 1)
        return out
    return _scalar(node, fname, errors)


def load_yaml(path, display):
    """Returns the file's mapping with line information; raises IdlError on bad YAML."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        _fail(display, 1, f"cannot read: {e.strerror or e}")
    loader = _Loader(_decode(raw, display), display)
    errors = []
    try:
        node = loader.get_single_node()
        if node is None:
            _fail(display, 1, "empty file")
        if not isinstance(node, yaml.MappingNode):
            _fail(display, node.start_mark.line + 1, "the file must be a mapping (`key: value` "
                  f"lines), not {'a list' if isinstance(node, yaml.SequenceNode) else 'a scalar'}")
        doc = _convert(node, display, errors, [MAX_VALUES])
    except yaml.MarkedYAMLError as e:
        mark, msg = e.problem_mark or e.context_mark, e.problem or e.context or str(e)
        if msg.startswith("but ") and e.context:  # "expected a single document ... but found"
            msg = f"{e.context} {msg}"
        # An unterminated construct (flow collection, quoted scalar, key without ':') is only
        # noticed on a later line, or at the end of the file: report the line where it starts.
        if e.problem_mark and e.context_mark and (e.context or "").startswith(
                ("while parsing a flow", "while scanning a")):
            mark = e.context_mark
            msg = f"{e.problem} on line {e.problem_mark.line + 1}, {e.context} that starts here"
        _fail(display, mark.line + 1 if mark else 1, f"YAML error: {msg}")
    except yaml.YAMLError as e:  # not expected: _decode rejects what PyYAML's reader would
        _fail(display, 1, f"YAML error: {e}")
    finally:
        loader.dispose()
    if errors:
        raise IdlError(errors)
    return doc


# ---- the schema of the schema -------------------------------------------------------------------

# Schema node types, each with the keys it takes besides `doc`, `required` and `default`; the
# first listed is required.
NODE_TYPES = {
    "map": ("keys",), "dict": ("values",), "list": ("items", "nonempty"), "enum": ("values",),
    "int": ("min", "max"), "bool": (), "text": (), "identifier": (), "name": (), "param_name": (),
    "macro": (), "c_type": (), "platforms": (), "typename": (), "kind": (),
}
KIND_FIELDS = ("self", "keys", "result", "params", "calls", "inline", "doc")

# What the loader and the templates read, in the schema's own language: schema.yaml may add keys
# and constraints, but must keep these definitions, keys and node types, make each `required`
# key here required or defaulted, and keep enums within the values listed. A template that reads
# a new key adds it here.
CONTRACT = yaml.safe_load("""
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
    ops: {type: list, required: true, items: {ref: op}}
op:
  type: map
  keys:
    name: {type: name, required: true}
    kind: {type: kind, required: true}
    doc: {type: text, required: true}
    mio: {type: text}
    params: {type: list, required: true, items: {ref: param}}
    result: {type: enum, required: true, values: [status, bytes, fd, count]}
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
param:
  type: map
  keys:
    name: {type: param_name, required: true}
    type: {type: typename, required: true}
    dir: {type: enum, required: true, values: [in, out]}
    nullable: {type: bool, required: true}
    doc: {type: text, required: true}
""")


def check_schema(schema, fname):
    """Checks schema.yaml itself (node shapes, refs, defaults, kinds, CONTRACT); returns errors."""
    errors, defaults = [], []

    def err(line, msg):
        errors.append(f"{fname}:{line}: {msg}")

    def node(n, line, where):
        if not isinstance(n, dict):
            return err(line, f"{where} must be a schema node (a mapping with `type` or `ref`), "
                             f"not {_what(n)}")
        kl = lambda k: n.key_lines.get(k, line)  # noqa: E731
        t = n.get("type")
        if "ref" in n:
            for k in n:
                if k not in ("ref", "doc", "required"):
                    err(kl(k), f"{where}: key '{k}' cannot go with `ref` (allowed: doc, required)")
            if not isinstance(n["ref"], str) or n["ref"] not in defs:
                err(kl("ref"), f"{where}: `ref` names no definition: {_what(n['ref'])}")
        elif not isinstance(t, str) or t not in NODE_TYPES:
            return err(kl("type"), f"{where}: `type` must be one of {', '.join(NODE_TYPES)}, "
                                   f"not {_what(t)}")
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
            if n.get("required") is True or t in ("platforms", "typename", "kind"):
                err(kl("default"), f"{where}: a {'required key' if n.get('required') else t} "
                                   "cannot have a default")
            else:
                defaults.append((n, kl("default"), where))
        return None

    for k in schema:
        if k not in ("definitions", "kinds"):
            err(schema.key_lines[k], f"unknown key '{k}' (allowed: definitions, kinds)")
    for k in ("definitions", "kinds"):
        if not isinstance(schema.get(k), dict):
            err(schema.key_lines.get(k, schema.line), f"`{k}` must be a mapping")
    if errors:
        return errors
    defs, kinds = schema["definitions"], schema["kinds"]
    for name, n in defs.items():
        node(n, defs.key_lines[name], f"definition '{name}'")
        seen = {name}
        while isinstance(n, dict) and isinstance(n.get("ref"), str) and n["ref"] in defs:
            if n["ref"] in seen:
                err(defs.key_lines[name], f"definition '{name}' is a loop of refs")
                break
            seen.add(n["ref"])
            n = defs[n["ref"]]
    for name in CONTRACT:
        if name not in defs:
            err(schema.key_lines["definitions"], f"definition '{name}' is missing (codegen reads it)")
    _check_kinds(kinds, err)
    if errors:
        return errors
    v = Validator(defs, kinds, {"platforms": set(), "types": set()})
    for n, line, where in defaults:  # a default must itself be valid
        v.check(copy.deepcopy(n["default"]), n, fname, line, f"the default of {where}")
    seen = set()
    for name, con in CONTRACT.items():
        _conform(defs, defs[name], con, defs.key_lines[name], f"definition '{name}'", err, seen)
    return errors + v.errors


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
            for spec, pl in zip(s, _lines(s, sline)):
                if not isinstance(spec, str) or not PARAM_SPEC.fullmatch(spec):
                    err(pl, f"kind '{kname}': parameter {_what(spec)} is not \"type[|type...] "
                            "in|out[?]\"")
        inl = kind.get("inline", [])
        if not isinstance(inl, list):
            err(kl("inline"), f"kind '{kname}': `inline` must be a list of its calls")
            continue
        for c, ln in zip(inl, _lines(inl, line)):  # a typo would silently not inline
            if not isinstance(c, str) or c not in calls:
                err(ln, f"kind '{kname}': inline call {_what(c)} is not one of its calls")


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
        if "ref" in node:
            return self.check(value, self.defs[node["ref"]], fname, line, what)
        t = node["type"]
        if t == "map":
            return self._map(value, node, fname, line, what)
        if t in ("dict", "list"):
            return self._collection(value, node, fname, line, what)
        if t == "platforms":
            items = value if isinstance(value, list) else [value]
            lines = _lines(value, line) if isinstance(value, list) else [line]
            if not items:
                self.err(fname, line, f"{what} must name at least one platform")
            for p, pl in zip(items, lines):
                if not isinstance(p, str):
                    self.err(fname, pl, f"{what} must name platforms, not {_what(p)}")
                elif p not in self.names["platforms"]:
                    known = ", ".join(sorted(self.names["platforms"]))
                    self.err(fname, pl, f"{what}: unknown platform '{p}' (known: {known})")
            return None
        if t == "typename":
            if not isinstance(value, str) or value not in self.names["types"]:
                known = ", ".join(sorted(self.names["types"]))
                self.err(fname, line, f"{what}: unknown type {_what(value)} (known: {known})")
            return None
        if t == "kind":
            if not isinstance(value, str) or value not in self.kinds:
                shown = f"'{value}'" if isinstance(value, str) else f": {_what(value)}"
                self.err(fname, line, f"{what}: unknown kind {shown} (known: {', '.join(self.kinds)})")
            return None
        if t == "enum":
            if value not in node["values"]:
                allowed = ", ".join(node["values"])
                self.err(fname, line, f"{what}: {_what(value)} is not one of {allowed}")
            return None
        if t == "bool":
            if not isinstance(value, bool):
                self.err(fname, line, f"{what} must be true or false, not {_what(value)}")
            return None
        if t == "int":
            lo, hi = node.get("min", INT_MIN), node.get("max", INT_MAX)
            if isinstance(value, bool) or not isinstance(value, int):
                self.err(fname, line, f"{what} must be an integer, not {_what(value)}")
            elif not lo <= value <= hi:
                self.err(fname, line, f"{what} must be between {lo} and {hi}, not {value}")
            return None
        if not isinstance(value, str):
            return self.err(fname, line, f"{what} must be {TEXT_TYPES[t]}, not {_what(value)}")
        if t == "text":
            if not value.strip():
                self.err(fname, line, f"{what} must be non-empty text")
            elif not value.replace("\n", "").replace("\t", "").isprintable():
                self.err(fname, line, f"{what} holds a control character: {_what(value)}")
            elif "/*" in value or "*/" in value:
                self.err(fname, line, f"{what} contains '/*' or '*/', which would end or nest the "
                                      "C comment it goes into")
            return None
        if t in ("name", "param_name"):
            problem = name_problem(value, t == "param_name")
            if problem:
                self.err(fname, line, f"{what}: {problem}")
            return None
        if not {"identifier": IDENT, "macro": MACRO, "c_type": C_TYPE}[t].fullmatch(value):
            self.err(fname, line, f"{what} must be {TEXT_TYPES[t]}, not {_what(value)}")
        return None

    def _collection(self, value, node, fname, line, what):
        t = node["type"]
        if not isinstance(value, dict if t == "dict" else list):
            return self.err(fname, line, f"{what} must be a {'mapping' if t == 'dict' else 'list'}, "
                                         f"not {_what(value)}")
        if node.get("nonempty") and not value:
            self.err(fname, line, f"{what} must not be empty")
        if t == "list":
            for item, il in zip(value, _lines(value, line)):
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
            return self.err(fname, line, f"{what} must be a mapping, not {_what(value)}")
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
            for name, line in zip(p[key], _lines(p[key], p.key_lines.get(key, p.line))):
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
                   and f not in ("schema.yaml", "platforms.yaml", "types.yaml"))
    docs = [(f, load_yaml(os.path.join(idl_dir, f), disp(f))) for f in names]
    type_docs = [(f, d) for f, d in docs if "mixin" not in d]
    mixin_docs = [(f, d) for f, d in docs if "mixin" in d]

    socket_types = {d.get("type"): f for f, d in type_docs if isinstance(d.get("type"), str)}
    v.names = {"platforms": set(platforms) | set(groups),
               "types": set(types) | set(socket_types)}
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
        if isinstance(d.get("self"), str) and d["self"] in RESERVED:
            v.err(disp(f), d.key_lines["self"],
                  f"self name '{d['self']}' is reserved for the wrappers' locals")
    _check_specs(v, schema, disp("schema.yaml"), v.names["types"])
    if v.errors:
        raise IdlError(v.errors)

    model_types, c_names = [], {}
    for f, d in type_docs:
        ops, seen, used = [], {}, set()
        sources = [(f, op, None) for op in d["ops"]]
        for m, ml in zip(d["mixins"], _lines(d["mixins"], d.key_lines.get("mixins", d.line))):
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
            ops.append(_build_op(v, disp(of), op, d, types, socket_types, groups, platforms))
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

    for t in model_types:  # an op on a platform whose table cannot do it
        for op in t["ops"]:
            key, cannot = PLATFORM_NEEDS.get(op["kind"], (None, None))
            for p in op["available"] if key else []:
                if plat_doc["platforms"][p][key] == cannot:
                    v.err(op["source"].rsplit(":", 1)[0], op["line"],
                          f"op '{op['name']}' is available on '{p}', whose platform table "
                          f"says {key}: {cannot}")
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
    kinds = {k: schema["kinds"].key_lines[k] for k in schema["kinds"]}
    return {"platforms": plats, "groups": groups, "types": model_types, "type_table": types,
            "kinds": kinds}


def _check_specs(v, schema, fname, type_names):
    """Each kind's parameter specs name known types (or `socket`, any socket type)."""
    for kname, kind in schema["kinds"].items():
        lists = [kind["params"]] if "params" in kind else list(kind.get("calls", {}).values())
        for specs in lists:
            for spec, line in zip(specs, _lines(specs, 1)):
                for t in _param_spec(spec)[0]:
                    if t != "socket" and t not in type_names:
                        v.err(fname, line, f"kind '{kname}': parameter type '{t}' is not a type")


def _build_op(v, fname, op, tdoc, types, socket_types, groups, platforms):
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
    plines = _lines(op["params"], line)
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

    self_c = {"out": f"cmio_{tdoc['type']} *", "mut": f"cmio_{tdoc['type']} *",
              "const": f"const cmio_{tdoc['type']} *"}[kind["self"]] + tdoc["self"]
    doc = op["doc"].replace("{type}", tdoc["type"])
    return {
        "name": op["name"], "kind": op["kind"], "doc": doc.strip(),
        "mio": op.get("mio") or f"{tdoc['mio'].split('::')[-1]}::{op['name']}",
        "c_name": f"cmio_{tdoc['type']}_{op['name']}",
        "result": op["result"], "result_c": RESULT_C[op["result"]],
        "self_mode": kind["self"], "params": params,
        "c_params": [self_c] + c_params,
        "available": _expand(op["available"], groups, platforms),
        "socket": op.get("socket"), "steps": op.get("steps") or [], "backlog": op.get("backlog"),
        "call": op.get("call"), "option": dict(op["option"]) if op.get("option") else None,
        "inline": op.get("call") in (kind.get("inline") or []),
        "c_args": [tdoc["self"]] + [d.split("*")[-1].split()[-1] for d in c_params],
        "membership": op.get("membership"),
        "source": f"{fname}:{line}", "line": key_line("available"),
    }
