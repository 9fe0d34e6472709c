#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Mutation fuzzer for the IDL loader (codegen/idl.py) and the generator (codegen/generate.py).

  idl_mutate.py --seconds N [--seed S]  fuzz for N seconds (--stats: the commonest rejections;
                                         --format: clang-format accepted mutants' output too)
  idl_mutate.py --replay DIR...          run idl/ + each overlay DIR once, report what happened

Seeds: the committed idl/, and the overlays in tests/idl-bad/<case>/ and fuzz/idl-corpus/<case>/
(files that replace or join idl/'s, as tests/test_codegen.c applies them). Each execution takes a
seed, applies 1-4 random mutations (bytes, lines, and YAML-aware ones: scalars replaced by other
types, keys deleted or duplicated, anchors, aliases, tags, deep nesting, Unicode junk, whole
files removed or copied), writes the tree to a temporary `idl/` and runs, in-process, what
`generate.py` runs: load and validate, then for an accepted mutant render every template
(clang-format only with --format).

A rejection is an IdlError whose every line is `idl/<file>:<line>: <message>`, naming a file of
the mutant (or a missing one it could not read) and a line within it. Anything else is a crash:
another exception, a malformed message, a run longer than 20 s. The first crash stops the fuzzer
(exit 1): the mutant is saved as an overlay in build/fuzz-idl/crash-<id>/ (copy it to
tests/idl-bad/ with an `expect` once fixed) and the traceback printed.

Python 3, the standard library, PyYAML and Jinja2 only. The last line printed is
`idl_mutate: N executions, N rejected, N accepted, N crashes`.
"""

import argparse
import copy
import hashlib
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "codegen"))
import generate  # noqa: E402
import idl  # noqa: E402

IDL = os.path.join(ROOT, "idl")
RUNTIME = os.path.join(ROOT, "runtime")
OVERLAY_DIRS = [os.path.join(ROOT, "tests", "idl-bad"), os.path.join(ROOT, "fuzz", "idl-corpus")]
CRASH_DIR = os.path.join(ROOT, "build", "fuzz-idl")
TIMEOUT = 20
ERROR_LINE = re.compile(r"idl/([^:/]+):([0-9]+): (.+)")


class Hang(Exception):
    pass


# ---- seeds --------------------------------------------------------------------------------------


NOT_IDL = ("expect", "traceback.txt", "removed")  # files of an overlay that are not IDL files


def read_tree(path):
    return {f: open(os.path.join(path, f), "rb").read() for f in sorted(os.listdir(path))
            if os.path.isfile(os.path.join(path, f)) and f not in NOT_IDL}


def overlay(base, path):
    """idl/ + an overlay: its files replace or join idl/'s; its `removed` lists files to drop."""
    tree = dict(base, **read_tree(path))
    removed = os.path.join(path, "removed")
    for f in open(removed).read().split() if os.path.exists(removed) else []:
        tree.pop(f, None)
    return tree


def seeds():
    """[(name, {file: bytes})]: idl/ first, then idl/ + each overlay."""
    base = read_tree(IDL)
    out = [("idl", base)]
    for d in OVERLAY_DIRS:
        for case in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if os.path.isdir(os.path.join(d, case)):
                out.append((os.path.relpath(os.path.join(d, case), ROOT),
                            overlay(base, os.path.join(d, case))))
    return out


# ---- mutations ----------------------------------------------------------------------------------

INTERESTING_BYTES = b"\x00\xff\x80\t\r\n :-[]{}&*!#\"'|>%@`,?\\"
SCALARS = [
    "0", "-1", "1", "1024", "2147483647", "2147483648", "-2147483649", "9" * 25, "1e999", ".inf",
    ".nan", "0x10", "010", "1_000", "1.5", "yes", "no", "on", "off", "null", "~", "''", '""', "true",
    "false", "[]", "{}", "[a, b]", "{a: b}", "[[[]]]", "2001-12-14", "2001-13-45", "12:30:45",
    "!!int x", "!!float x", "!!timestamp x", "!!binary x", "!!bool x", "!!str 5", "!!null x",
    "!!set {a}", "!!omap [a: 1]", "!!python/object/apply:os.system ['true']", "!!python/name:os.system",
    "!foo x", "! x", "!<tag:yaml.org,2002:int> x", "&a x", "*a", "*undefined", "<<", "=",
    "PeerAddr", "peerAddr", "peer-addr", "register", "class", "int", "_Bool", "__x", "_X", "x_",
    "errno", "unix", "rc", "n", "len", "self", "this", "cmio_x", "poll", "waker", "bool",
    "tcp_stream", "source", "all", "native", "unix", "linux", "posix", "wasi", "io", "close",
    "generate", "required", "ref", "type", "map", "list", "dict", "enum", "text", "platforms",
    '"a */ b"', '"/* c"', '"x\\ny"', '"\\u202e"', '"\\u00a0"', '"\\0"', '"\\x7f"', "\u00e9t\u00e9",
    "x" * 300, "|\n  block\n  text", ">-\n  folded", '"' + "\\t" * 3 + '"', "'it''s'",
    "- a\n- b", "a: b", "? a", "%YAML 1.1", "---", "...",
]
JUNK = ["\x00", "\ufeff", "\u2028", "\u2029", "\u0085", "\u202e", "\u200b", "\x1b", "\x7f", "\r",
        "\t", "\ud7ff", "\U0001f600", "\ue000"]
JUNK_BYTES = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80",
              b"\xef\xbb\xbf", b"\xe2\x80"]


def nodes_of(text, cache={}):  # noqa: B006 (a deliberate per-process cache)
    """[(node, start, end)] of a text's YAML nodes (character offsets), or [] if it is not YAML."""
    key = hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()
    if key in cache:
        return cache[key]
    out = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:  # noqa: BLE001 (any parse failure: no YAML-aware mutation)
        root = None
    stack, seen = [root] if root is not None else [], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        out.append((n, n.start_mark.index, n.end_mark.index))
        if isinstance(n, yaml.MappingNode):
            stack += [x for kv in n.value for x in kv]
        elif isinstance(n, yaml.SequenceNode):
            stack += n.value
    if len(cache) > 2000:
        cache.clear()
    cache[key] = out
    return out


def splice(text, start, end, new):
    return text[:start] + new + text[end:]


def m_bytes(rng, data, tree):
    """Byte-level: flip, set, insert, delete, duplicate, truncate."""
    b = bytearray(data)
    if not b:
        return bytes(rng.choice(INTERESTING_BYTES) for _ in range(rng.randint(1, 8)))
    i = rng.randrange(len(b))
    op = rng.randrange(7)
    if op == 0:
        b[i] ^= 1 << rng.randrange(8)
    elif op == 1:
        b[i] = rng.choice(INTERESTING_BYTES)
    elif op == 2:
        b[i:i] = bytes(rng.choice(INTERESTING_BYTES) for _ in range(rng.randint(1, 8)))
    elif op == 3:
        del b[i:i + rng.randint(1, 64)]
    elif op == 4:
        j = min(len(b), i + rng.randint(1, 200))
        b[j:j] = b[i:j]
    elif op == 5:
        del b[i:]
    else:
        b[i:i] = rng.choice(JUNK_BYTES)
    return bytes(b)


def m_lines(rng, data, tree):
    """Line-level: delete, duplicate, swap, move, re-indent, or borrow a line from another file."""
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(7)
    if op == 0:
        del lines[i:i + rng.randint(1, 4)]
    elif op == 1:
        lines[i:i] = lines[i:i + rng.randint(1, 6)]
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        lines.insert(j, lines.pop(i))
    elif op == 4:
        lines[i] = rng.choice([b"  ", b" ", b"\t", b"    "]) + lines[i]
    elif op == 5:
        lines[i] = lines[i][rng.randint(1, 4):]
    else:
        other = rng.choice(list(tree.values())).split(b"\n")
        lines.insert(i, rng.choice(other))
    return b"\n".join(lines)


def m_yaml(rng, data, tree):
    """YAML-aware: works on the node structure of the text; falls back to lines if not YAML."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return m_lines(rng, data, tree)
    nodes = nodes_of(text)
    if not nodes:
        return m_lines(rng, data, tree)
    node, start, end = rng.choice(nodes)
    scalars = [n for n in nodes if isinstance(n[0], yaml.ScalarNode)]
    op = rng.randrange(11)
    if op <= 2 and scalars:  # a scalar becomes an interesting value or another scalar of the IDL
        node, start, end = rng.choice(scalars)
        if rng.random() < 0.5:
            new = rng.choice(SCALARS)
        else:
            other = rng.choice(nodes_of(rng.choice(list(tree.values())).decode("utf-8", "replace"))
                               or [(None, 0, 0)])[0]
            new = other.value if isinstance(other, yaml.ScalarNode) else rng.choice(SCALARS)
        if "\n" in new and node.style is None:
            new = '"' + new.replace("\n", "\\n") + '"' if rng.random() < 0.5 else new
        text = splice(text, start, end, new)
    elif op == 3:  # delete a key with its value, or a list item (whole lines)
        s = text.rfind("\n", 0, start) + 1
        e = text.find("\n", end)
        text = text[:s] + (text[e + 1:] if e >= 0 else "")
    elif op == 4:  # duplicate a node's lines
        s = text.rfind("\n", 0, start) + 1
        e = text.find("\n", end)
        e = len(text) if e < 0 else e + 1
        text = text[:e] + text[s:e] + text[e:]
    elif op == 5:  # wrap in a list or a mapping
        text = splice(text, start, end, rng.choice(["[", "{k: ", "[[", "- "]) + text[start:end]
                      + rng.choice(["]", "}", "]]", ""]))
    elif op == 6:  # anchor a node; alias it inside itself, elsewhere, or to a missing anchor
        target = rng.choice(nodes)
        inner = [n for n in nodes if start <= n[1] and n[2] <= end and n[0] is not node]
        if inner and rng.random() < 0.5:
            target = rng.choice(inner)
        _, ts, te = target
        alias = rng.choice(["*a", "*a", "*b", "[*a, *a]"])
        if ts >= end:
            text = splice(text, ts, te, alias)
            text = splice(text, start, start, "&a ")
        elif te <= start:
            text = splice(text, start, start, "&a ")
            text = splice(text, ts, te, alias)
        else:
            text = splice(text, ts, te, alias)
            text = splice(text, start, start, "&a ")
    elif op == 7:  # a tag before a node
        tag = rng.choice(["!!int", "!!float", "!!str", "!!map", "!!seq", "!!binary", "!!timestamp",
                          "!!python/tuple", "!foo", "!", "!!merge", "!!set"])
        text = splice(text, start, start, tag + " ")
    elif op == 8:  # deep nesting
        n = rng.choice([20, 33, 40, 100, 1000, 5000])
        text = splice(text, start, end, "[" * n + "x" + "]" * n if rng.random() < 0.7
                      else "{a: " * n + "x" + "}" * n)
    elif op == 9:  # Unicode junk
        text = splice(text, start, start, rng.choice(JUNK) * rng.randint(1, 3))
    else:  # an alias bomb: each level lists the previous one ten times
        bomb = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'x'] * 10)}]\n"
                       for i in range(rng.randint(3, 9)))
        text = text + "\n" + bomb
    return text.encode("utf-8", "surrogatepass")


def m_files(rng, tree):
    """File-level: remove a file, empty it, copy a type file under a new name, or add junk."""
    names = sorted(tree)
    op = rng.randrange(4)
    f = rng.choice(names)
    if op == 0:
        del tree[f]
    elif op == 1:
        tree[f] = rng.choice([b"", b"\n", b"# only a comment\n", b"---\n", b"~\n", b"[]\n", b"x\n"])
    elif op == 2:
        tree[rng.choice(["copy.yaml", "probe.yaml", "aa.yaml", "zz.yaml"])] = tree[f]
    else:
        tree[rng.choice(names)] = tree[f]


def mutate(rng, tree):
    """Applies 1-4 mutations (one in half the mutants, so that more get past the YAML stage);
    schema.yaml gets about one in six."""
    for _ in range(rng.choices([1, 2, 3, 4], [8, 4, 2, 2])[0]):
        if rng.random() < 0.05 and tree:
            m_files(rng, tree)
            continue
        names = sorted(tree)
        if not names:
            return
        weights = [3 if f == "schema.yaml" else 2 if f in ("platforms.yaml", "types.yaml") else 1.5
                   for f in names]
        f = rng.choices(names, weights)[0]
        r = rng.random()
        mutator = m_bytes if r < 0.25 else m_lines if r < 0.45 else m_yaml
        tree[f] = mutator(rng, tree[f], tree)


# ---- running one tree ---------------------------------------------------------------------------


def _cached_load_yaml(real, seed_files):
    """load_yaml memoised for the seeds' files (most files of a mutant are unchanged seed files);
    seed_files: {(file name, bytes)}."""
    cache = {}

    def load_yaml(path, display):
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError:
            return real(path, display)
        key = (display, raw)
        if key not in cache:
            if (os.path.basename(path), raw) not in seed_files:
                return real(path, display)
            try:
                cache[key] = (real(path, display), None)
            except idl.IdlError as e:
                cache[key] = (None, e.errors)
        doc, errors = cache[key]
        if errors is not None:
            raise idl.IdlError(list(errors))
        return copy.deepcopy(doc)

    return load_yaml


def _on_alarm(signum, frame):
    raise Hang(f"no answer within {TIMEOUT} s")


FORMAT = False  # --format: also clang-format what an accepted mutant renders (slow)


def run_tree(tree, workdir):
    """Writes tree to workdir/idl and runs the generator's steps on it.
    Returns ("accepted", None), ("rejected", first error) or ("crash", traceback text)."""
    d = os.path.join(workdir, "idl")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for f, data in tree.items():
        with open(os.path.join(d, f), "wb") as fh:
            fh.write(data)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        model = generate.load(d, RUNTIME)
        files = generate.render_all(model)
        for rel, (text, fmt) in sorted(files.items()) if FORMAT else []:
            if fmt:
                generate.clang_format(text, os.path.join("generated", rel))
        return "accepted", None
    except idl.IdlError as e:
        bad = [line for line in e.errors if not well_formed(line, tree)]
        if bad or not e.errors:
            return "crash", f"IdlError with a line that is not `idl/<file>:<line>: message`: {bad!r}"
        return "rejected", e.errors[0]
    except SystemExit as e:  # fine only with a `file:line: message`
        if isinstance(e.code, str) and well_formed(e.code, tree):
            return "rejected", e.code
        return "crash", traceback.format_exc()
    except (Exception, Hang):  # noqa: BLE001 (every other exception is a crash)
        return "crash", traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def well_formed(line, tree):
    m = ERROR_LINE.fullmatch(line)
    if not m:
        return False
    f, n = m.group(1), int(m.group(2))
    if f not in tree:
        return "cannot read" in m.group(3)
    return 1 <= n <= tree[f].count(b"\n") + 1


def save_crash(tree, base, detail):
    """Saves the files that differ from idl/ (and a list of removed ones) as an overlay."""
    digest = hashlib.sha1(repr(sorted(tree.items())).encode()).hexdigest()[:12]
    out = os.path.join(CRASH_DIR, f"crash-{digest}")
    os.makedirs(out, exist_ok=True)
    for f, data in tree.items():
        if base.get(f) != data:
            with open(os.path.join(out, f), "wb") as fh:
                fh.write(data)
    removed = sorted(set(base) - set(tree))
    if removed:
        with open(os.path.join(out, "removed"), "w") as fh:
            fh.write("\n".join(removed) + "\n")
    with open(os.path.join(out, "traceback.txt"), "w") as fh:
        fh.write(detail)
    return out


# ---- main ---------------------------------------------------------------------------------------


def replay(dirs, workdir):
    base, crashes = read_tree(IDL), 0
    for d in dirs:
        verdict, detail = run_tree(overlay(base, d), workdir)
        print(f"{d}: {verdict}" + (f": {detail}" if verdict == "rejected" else ""))
        if verdict == "crash":
            crashes += 1
            print(detail)
    return 1 if crashes else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10, help="how long to fuzz (default 10)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: from the time)")
    ap.add_argument("--replay", nargs="+", metavar="DIR", help="run idl/ + each overlay once")
    ap.add_argument("--stats", action="store_true", help="also print the commonest rejections")
    ap.add_argument("--format", action="store_true",
                    help="also run clang-format on what accepted mutants render (slow)")
    args = ap.parse_args()
    global FORMAT
    FORMAT = args.format
    all_seeds = seeds()
    seed_files = {(f, data) for _, tree in all_seeds for f, data in tree.items()}
    idl.load_yaml = _cached_load_yaml(idl.load_yaml, seed_files)
    signal.signal(signal.SIGALRM, _on_alarm)
    sys.setrecursionlimit(1000)  # the default: a deep recursion must show here as it would there
    workdir = tempfile.mkdtemp(prefix="idl_mutate.")
    try:
        if args.replay:
            return replay(args.replay, workdir)
        return fuzz(args, all_seeds, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def fuzz(args, all_seeds, workdir):
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 2**32
    rng = random.Random(seed)
    counts = {"accepted": 0, "rejected": 0, "crash": 0}
    rejections = {}
    base = all_seeds[0][1]
    start = time.monotonic()
    # idl/ and the corpus first: idl/ must be accepted, and no seed may crash (tests/idl-bad's
    # cases are test_codegen's; they are only mutated here).
    for name, tree in all_seeds:
        if name != "idl" and not name.startswith("fuzz/"):
            continue
        verdict, detail = run_tree(dict(tree), workdir)
        counts[verdict] += 1
        if verdict == "crash" or (name == "idl" and verdict != "accepted"):
            print(f"idl_mutate: seed {name}: {verdict}\n{detail}", file=sys.stderr)
            counts["crash"] += verdict != "crash"
            return report(counts, 1)
    n = 0
    while time.monotonic() - start < args.seconds:
        n += 1
        case_seed = rng.randrange(2**32)
        crng = random.Random(case_seed)
        name, tree = all_seeds[0] if crng.random() < 0.6 else crng.choice(all_seeds)
        tree = dict(tree)
        mutate(crng, tree)
        verdict, detail = run_tree(tree, workdir)
        counts[verdict] += 1
        if verdict == "rejected":
            what = re.sub(r"'[^']*'|[0-9]+", "_", detail.split(": ", 1)[1])[:60]
            rejections[what] = rejections.get(what, 0) + 1
        if verdict == "crash":
            out = save_crash(tree, base, detail)
            print(f"idl_mutate: CRASH on a mutant of {name} (--seed {seed}, execution {n}, "
                  f"case seed {case_seed})\nreproducer: {out} (an overlay of idl/; "
                  f"`{sys.argv[0]} --replay {out}` reruns it)\n{detail}", file=sys.stderr)
            return report(counts, 1)
    elapsed = time.monotonic() - start
    total = sum(counts.values())
    if args.stats:
        for what, k in sorted(rejections.items(), key=lambda kv: -kv[1])[:25]:
            print(f"{k:7d}  {what}")
    print(f"idl_mutate: seed {seed}, {len(all_seeds)} seeds, {elapsed:.0f} s, "
          f"{total / max(elapsed, 1e-9):.1f} executions/s")
    return report(counts, 0)


def report(counts, rc):
    total = sum(counts.values())
    print(f"idl_mutate: {total} executions, {counts['rejected']} rejected, "
          f"{counts['accepted']} accepted, {counts['crash']} crashes")
    return rc


if __name__ == "__main__":
    sys.exit(main())
