# SPDX-License-Identifier: MIT
"""The API surface of cmio as the IDL declares it: every export of libcmio.so (the generated
socket operations, the handwritten runtime functions of idl/runtime.yaml, the private exports the
headers' inline code calls), with its signature and platforms.

Used by generate.py for api.json, `make api-check` / `make api-baseline` (compare with / write
idl/api-baseline.json), `exports` (the names libcmio.so must export on a platform) and
`decl-check` (a C file that fails to compile when a signature here is not the header's)."""

import json

import idl


def exports(model):
    """Every export, sorted by name: {name, result, params (C types), decls, platforms, header,
    origin, private}."""
    out = []
    for t in model["types"]:
        for op in t["ops"]:
            out.append({
                "name": op["c_name"], "result": idl.decl_type(op["result_c"] + " x"),
                "params": [idl.decl_type(d) for d in op["c_params"]], "decls": op["c_params"],
                "platforms": list(op["available"]), "header": f"cmio/{t['name']}.h",
                "origin": op["source"].rsplit(":", 1)[0], "private": False,
            })
    rt = model["runtime"]
    for fn in rt["functions"] + rt["private"]:
        group = next((g for g in rt["groups"] if fn in g["functions"]), None)
        out.append({
            "name": fn["c_name"], "result": fn["result_c"], "params": [p["c"] for p in fn["params"]],
            "decls": fn["c_params"], "platforms": list(fn["available"]),
            "header": group["header"] if group else fn["header"],
            "origin": fn["source"].rsplit(":", 1)[0], "private": fn["private"],
        })
    return sorted(out, key=lambda e: e["name"])


def prototype(e):
    """`int cmio_x(const cmio_y *a, size_t n)` of an export."""
    result = e["result"] if e["result"].endswith("*") else e["result"] + " "
    return f"{result}{e['name']}({', '.join(e['decls']) or 'void'})"


def signature(e):
    """The types only: `int (const cmio_y *, size_t)` — what the baseline compares."""
    return f"{e['result']} ({', '.join(e['params']) or 'void'})"


# ---- the baseline (idl/api-baseline.json) ---------------------------------------------------


def baseline_json(model):
    """The baseline file's text: every export's result, parameter types and platforms. Sorted and
    stable, so that regenerating it after no API change rewrites nothing."""
    data = {
        "about": "The API surface of cmio accepted so far: every export of libcmio.so with its "
                 "signature and platforms. `make api-check` compares the IDL with it; "
                 "`make api-baseline` accepts the current surface.",
        "version": model["version"]["string"],
        "exports": {e["name"]: {"result": e["result"], "params": e["params"],
                                "platforms": e["platforms"],
                                **({"private": True} if e["private"] else {})}
                    for e in exports(model)},
    }
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


def check(model, baseline_text, baseline_name):
    """Compares the IDL's surface with the baseline. Returns (report lines, incompatible count,
    addition count). Removals, changed signatures and platforms an export no longer has are
    incompatible; new exports and new platforms are additions."""
    base = json.loads(baseline_text)["exports"]
    cur = {e["name"]: e for e in exports(model)}
    removed, changed, lost, added, gained = [], [], [], [], []
    for name, b in sorted(base.items()):
        e = cur.get(name)
        was = f"{b['result']} ({', '.join(b['params']) or 'void'})"
        if e is None:
            removed.append(f"  - removed   {name}: {was}  [{' '.join(b['platforms'])}]")
            continue
        if e["result"] != b["result"] or e["params"] != b["params"]:
            changed.append(f"  ~ changed   {name}\n        was: {was}\n        now: {signature(e)}")
        gone = [p for p in b["platforms"] if p not in e["platforms"]]
        if gone:
            lost.append(f"  - platforms {name}: no longer on {' '.join(gone)}")
        new = [p for p in e["platforms"] if p not in b["platforms"]]
        if new:
            gained.append(f"  + platforms {name}: now also on {' '.join(new)}")
    for name, e in sorted(cur.items()):
        if name not in base:
            added.append(f"  + added     {name}: {signature(e)}  [{' '.join(e['platforms'])}]  "
                         f"({e['origin']})")
    bad = removed + changed + lost
    lines = []
    if bad:
        lines.append(f"api-check: {len(bad)} incompatible change(s) against {baseline_name}:")
        lines += bad
    if added or gained:
        lines.append(f"api-check: {len(added) + len(gained)} addition(s) "
                     f"(accept them with `make api-baseline`):")
        lines += added + gained
    if bad:
        lines.append("api-check: FAILED: a removed export or a changed signature breaks every "
                     "program that uses it. Restore it, or (for a new MAJOR version) accept the "
                     "change with `make api-baseline`.")
    else:
        lines.append(f"api-check: {len(cur)} exports, no incompatible change against "
                     f"{baseline_name}"
                     + (f" ({len(added) + len(gained)} addition(s) not yet accepted)"
                        if added or gained else ""))
    return lines, len(bad), len(added) + len(gained)


# ---- checks against the build --------------------------------------------------------------


def export_names(model, platform):
    """The names libcmio.so must export on `platform` (one per line)."""
    return [e["name"] for e in exports(model) if platform in e["platforms"]]


def decl_check_c(model, platform):
    """A C translation unit that compiles only if every export's signature in the IDL is the one
    the platform's headers declare (parenthesised names: not the inline macros)."""
    lines = ["/* Generated by codegen/generate.py decl-check — every signature of the IDL against "
             "the headers. */",
             "#include <cmio/cmio.h>", ""]
    n = 0
    for e in exports(model):
        if platform not in e["platforms"]:
            continue
        params = ", ".join(e["params"]) or "void"
        lines.append(f"_Static_assert(__builtin_types_compatible_p(__typeof__(&({e['name']})), "
                     f"{e['result']} (*)({params})),")
        lines.append(f'               "{e["name"]}: the header does not declare '
                     f'{signature(e)} ({e["origin"]})");')
        n += 1
    lines.append(f"/* {n} exports */")
    lines.append("typedef int cmio_decl_check_done;")
    return "\n".join(lines) + "\n"
