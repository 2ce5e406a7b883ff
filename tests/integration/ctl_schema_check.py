#!/usr/bin/env python3
"""Checks JSON documents against a schema of docs/schema/ (no third-party
module: the subset those schemas use: type, enum, const, required,
properties, items, $ref to #/$defs, minimum, maximum). A member the schema
does not name is an error too: what tunnelctl -j prints must be documented.

    ctl_schema_check.py SCHEMA DOCUMENT...
exits 1 naming the path of the first mismatch in each document."""
import json
import sys

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def resolve(root, s):
    while "$ref" in s:
        ref = s["$ref"]
        if not ref.startswith("#/$defs/"):
            raise SystemExit(f"unsupported $ref {ref}")
        extra = {k: v for k, v in s.items() if k != "$ref"}
        s = dict(root["$defs"][ref[len("#/$defs/"):]], **extra)
    return s


def check(root, s, v, path, errs):
    s = resolve(root, s)
    if "const" in s and v != s["const"]:
        errs.append(f"{path}: expected {s['const']!r}, got {v!r}")
        return
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{path}: {v!r} not one of {s['enum']}")
        return
    if "type" in s:
        types = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(TYPES[t](v) for t in types):
            errs.append(f"{path}: expected {types}, got {type(v).__name__}")
            return
    if TYPES["number"](v):
        if "minimum" in s and v < s["minimum"]:
            errs.append(f"{path}: {v} below {s['minimum']}")
        if "maximum" in s and v > s["maximum"]:
            errs.append(f"{path}: {v} above {s['maximum']}")
    if isinstance(v, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{path}: missing {k}")
        for k, x in v.items():
            if k not in props:
                errs.append(f"{path}.{k}: not in the schema")
            else:
                check(root, props[k], x, f"{path}.{k}", errs)
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            check(root, s["items"], x, f"{path}[{i}]", errs)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        root = json.load(f)
    bad = 0
    for name in sys.argv[2:]:
        with open(name, encoding="utf-8") as f:
            doc = json.load(f)
        errs = []
        check(root, root, doc, "document", errs)
        for e in errs[:20]:
            print(f"{name}: {e}")
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
