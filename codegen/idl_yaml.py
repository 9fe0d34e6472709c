# SPDX-License-Identifier: MIT
"""Reading one IDL file: its bytes (UTF-8, printable), its YAML (no tags, bounded nesting and
alias expansion), and the result as mappings and lists that remember their lines. Problems are
IdlError: `file:line: message` lines."""

import re

import yaml

DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
MAX_BYTES = 256 << 10  # per file (the largest IDL file is 11 KiB)
MAX_DEPTH = 32  # nesting of YAML collections (the IDL needs 8)
MAX_VALUES = 100_000  # values per file once aliases are expanded


class IdlError(Exception):
    """The problems found, each one line `file:line: message` (a value quoted in a message that
    holds a newline or another non-printable character shows it escaped)."""

    def __init__(self, errors):
        self.errors = ["".join(c if c.isprintable() else c.encode("unicode_escape").decode()
                               for c in e) for e in errors]
        super().__init__("\n".join(self.errors))


def describe(v):
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


def item_lines(items, line):
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
                errors.append(f"{fname}:{kline}: keys must be strings, not {describe(key)}")
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
