#!/usr/bin/python3
"""Helper of tests/plan/run.sh, independent of ckconv (json + struct only).

  check.py validate SCHEMA REPORT   REPORT (ckconv --json output) against the
                                    subset of JSON Schema the schema uses
  check.py mutate SRC DST OP...     copy an HF checkpoint folder, changing it:
                                    drop:NAME  dup:NEW=OLD  transpose:NAME
                                    key:K=JSONVALUE  truncate (data sections
                                    cut away: 8-byte length + header only)
                                    sparse (data sections a hole of their
                                    full length: a whole file, no data)
  check.py layout PLAN OUTDIR       the plan's predicted files, offsets and
                                    sizes equal the written files' headers
"""
import json
import os
import shutil
import struct
import sys


def fail(msg):
    print(msg)
    sys.exit(1)


# ---------------------------------------------------------------- schema

def validate(v, s, root, path="$"):
    if "$ref" in s:
        node = root
        for part in s["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return validate(v, node, root, path)
    errs = []
    types = s.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        def is_t(t):
            return {"object": isinstance(v, dict), "array": isinstance(v, list),
                    "string": isinstance(v, str), "null": v is None,
                    "boolean": isinstance(v, bool),
                    "integer": isinstance(v, int) and not isinstance(v, bool),
                    "number": isinstance(v, (int, float)) and not isinstance(v, bool)}[t]
        if not any(is_t(t) for t in types):
            return [f"{path}: {v!r} is not of type {types}"]
    if "const" in s and v != s["const"]:
        errs.append(f"{path}: {v!r} != const {s['const']!r}")
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{path}: {v!r} not in {s['enum']}")
    if "minimum" in s and isinstance(v, (int, float)) and v < s["minimum"]:
        errs.append(f"{path}: {v} < {s['minimum']}")
    if isinstance(v, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{path}: missing required '{k}'")
        for k, x in v.items():
            if k in props:
                errs += validate(x, props[k], root, f"{path}.{k}")
            elif s.get("additionalProperties") is False:
                errs.append(f"{path}: unexpected property '{k}'")
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            errs += validate(x, s["items"], root, f"{path}[{i}]")
    if "if" in s and not validate(v, s["if"], root, path):
        errs += validate(v, s.get("then", {}), root, path)
    known = {"$schema", "$id", "title", "type", "required", "properties",
             "additionalProperties", "items", "enum", "const", "minimum",
             "$ref", "$defs", "if", "then"}
    unknown = set(s) - known
    if unknown:
        errs.append(f"schema uses keywords this validator lacks: {unknown}")
    return errs


# ---------------------------------------------------------------- files

def read_st(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    return n, header, raw[8 + n:]


def write_st(path, tensors, meta, truncate=False, sparse=False):
    header = {}
    if meta:
        header["__metadata__"] = meta
    data = b""
    for name in sorted(tensors):
        dtype, shape, blob = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h +
                (b"" if truncate or sparse else data))
        if sparse:
            f.truncate(8 + len(h) + len(data))


def mutate(src, dst, ops):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    files = [f for f in os.listdir(dst) if f.endswith(".safetensors")]
    assert files == ["model.safetensors"], files
    path = os.path.join(dst, "model.safetensors")
    _, header, data = read_st(path)
    meta = header.pop("__metadata__", None)
    tensors = {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
               for k, v in header.items()}
    truncate = sparse = False
    for op in ops:
        if op == "truncate":
            truncate = True
        elif op == "sparse":
            sparse = True
        elif op.startswith("drop:"):
            del tensors[op[5:]]
        elif op.startswith("dup:"):
            new, old = op[4:].split("=")
            tensors[new] = tensors[old]
        elif op.startswith("transpose:"):
            d, s, b = tensors[op[10:]]
            tensors[op[10:]] = (d, s[::-1], b)
        elif op.startswith("key:"):
            k, v = op[4:].split("=", 1)
            cp = os.path.join(dst, "config.json")
            cfg = json.load(open(cp))
            cfg[k] = json.loads(v)
            json.dump(cfg, open(cp, "w"), indent=2)
        else:
            fail(f"unknown op {op}")
    write_st(path, tensors, meta, truncate, sparse)


def layout(plan_path, out):
    plan = json.load(open(plan_path))["plan"]
    files = sorted(f for f in os.listdir(out) if f.endswith(".safetensors"))
    if files != sorted(f["name"] for f in plan["files"]):
        fail(f"files: planned {[f['name'] for f in plan['files']]}, written {files}")
    for f in plan["files"]:
        p = os.path.join(out, f["name"])
        if os.path.getsize(p) != f["size"]:
            fail(f"{f['name']}: planned {f['size']} bytes, written {os.path.getsize(p)}")
        n, header, _ = read_st(p)
        if n != f["header_bytes"]:
            fail(f"{f['name']}: planned header {f['header_bytes']}, written {n}")
        keys = [k for k in header if k != "__metadata__"]
        if len(keys) != f["tensors"]:
            fail(f"{f['name']}: planned {f['tensors']} tensors, written {len(keys)}")
    seen = 0
    for t in plan["tensors"]:
        n, header, _ = read_st(os.path.join(out, t["file"]))
        h = header.get(t["key"])
        if h is None:
            fail(f"{t['key']} not in {t['file']}")
        if h["data_offsets"] != t["data_offsets"] or 8 + n + h["data_offsets"][0] != t["offset"]:
            fail(f"{t['key']}: planned {t['data_offsets']} @{t['offset']}, written {h['data_offsets']}")
        if h["shape"] != t["shape"] or h["dtype"] != t["dtype"]:
            fail(f"{t['key']}: planned {t['dtype']}{t['shape']}, written {h['dtype']}{h['shape']}")
        seen += 1
    print(f"{seen} tensors at their planned offsets")


def main():
    cmd = sys.argv[1]
    if cmd == "validate":
        schema = json.load(open(sys.argv[2]))
        text = open(sys.argv[3]).read()
        try:
            report = json.loads(text)
        except ValueError as e:
            fail(f"not one JSON object: {e}")
        errs = validate(report, schema, schema)
        if errs:
            fail("\n".join(errs))
    elif cmd == "mutate":
        mutate(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "layout":
        layout(sys.argv[2], sys.argv[3])
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
