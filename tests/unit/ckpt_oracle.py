#!/usr/bin/python3
"""ckpt_oracle.py - independent check of a checkpoint folder ckconv wrote.

Shares no code with runtime/: rebuilds what upstream Fast-LLM would write
(CheckpointMetadata.to_dict(), StateDictSaver's file split, json.dumps /
yaml.safe_dump of the small files, export_safetensors_metadata) in Python
from a spec, and compares test_ckpt.c's output with it byte for byte.
Run with /usr/bin/python3 (Debian's numpy and yaml).

  ckpt_oracle.py check SPEC.json DIR
      SPEC: {"kind": "hf"|"fast_llm", "format", "version", "base_model",
      "hf_config", "extra", "ppf", "tensors": [{"name","dtype","shape"}],
      "files": [[name, ...], ...] (hand-computed split, optional)}.
      Tensor i's byte j must be (i*31 + j*7 + 1) & 0xff.  Prints OK, or
      the first difference and exits 1.
"""
import json
import os
import struct
import sys

import numpy as np
import yaml

NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8",
         "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "u1",
         "U64": "<u8", "U32": "<u4", "U16": "<u2", "BF16": "<u2"}
SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4,
        "I16": 2, "I8": 1, "U8": 1, "BOOL": 1, "U64": 8, "U32": 4, "U16": 2}


def fail(msg):
    print("MISMATCH: " + msg)
    sys.exit(1)


def build_metadata(spec):
    # CheckpointMetadata.to_dict(): declaration order, `type` first in
    # the model config (inherited dataclass field).
    config = {"type": "gpt"}
    if spec.get("base_model"):
        config["base_model"] = spec["base_model"]
    return {
        "fast_llm_version": spec.get("version") or "0.4.0",
        "model": "gpt",
        "format": spec["format"],
        "config": config,
        "shards": ["weights"],
        "metadata": dict(spec.get("extra") or {}),
    }


def export_safetensors_metadata(metadata):
    return {key: str(value) if isinstance(value, (str, int, float, bool))
            else yaml.safe_dump(value) for key, value in metadata.items()}


def split(spec):
    # StateDictSaver.add_tensor / finalize.
    files, cur, count = [], [], 0
    for t in spec["tensors"]:
        cur.append(t["name"])
        count += int(np.prod(t["shape"], dtype=np.int64)) if t["shape"] \
            else 1
        if count >= spec["ppf"]:
            files.append(cur)
            cur, count = [], 0
    if cur:
        files.append(cur)
    return files


def pattern(i, nbytes):
    j = np.arange(nbytes, dtype=np.int64)
    return ((i * 31 + j * 7 + 1) & 0xFF).astype(np.uint8)


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("ascii")


def check_safetensors(path, spec, names, key_of, st_meta):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    got_meta = header.pop("__metadata__", None)
    if got_meta != st_meta:
        fail(f"{path}: __metadata__ {got_meta!r} != {st_meta!r}")
    want_keys = {key_of(nm) for nm in names}
    if set(header) != want_keys:
        fail(f"{path}: tensors {sorted(header)} != {sorted(want_keys)}")
    index = {t["name"]: i for i, t in enumerate(spec["tensors"])}
    end = 0
    for nm in names:
        i = index[nm]
        t = spec["tensors"][i]
        h = header[key_of(nm)]
        if h["dtype"] != t["dtype"] or h["shape"] != t["shape"]:
            fail(f"{path}: {nm}: {h} vs {t}")
        b, e = h["data_offsets"]
        numel = int(np.prod(t["shape"], dtype=np.int64)) if t["shape"] else 1
        if e - b != numel * SIZE[t["dtype"]]:
            fail(f"{path}: {nm}: {e - b} bytes for {numel} elements")
        values = np.frombuffer(data[b:e], dtype=NUMPY[t["dtype"]])
        if values.size != numel:
            fail(f"{path}: {nm}: {values.size} values, expected {numel}")
        want = np.frombuffer(pattern(i, e - b).tobytes(),
                             dtype=NUMPY[t["dtype"]])
        if values.tobytes() != want.tobytes():
            fail(f"{path}: {nm}: values differ from the pattern")
        end = max(end, e)
    if end != len(data):
        fail(f"{path}: data section {len(data)} bytes, tensors end at {end}")


def check(spec_path, out):
    with open(spec_path) as f:
        spec = json.load(f)
    files = split(spec)
    if "files" in spec and spec["files"] != files:
        fail(f"split {files} != hand-computed {spec['files']}")
    file_names = [f"model_{k}.safetensors" for k in range(len(files))]
    metadata = build_metadata(spec)
    hf = spec["kind"] == "hf"
    if hf:
        key_of = lambda nm: nm  # noqa: E731
        top = {"fast_llm_metadata": metadata,
               "model_config": spec["hf_config"], "format": "pt"}
        small = ["config.json", "model.safetensors.index.json", "ok"]
    else:
        key_of = lambda nm: nm + "/weights"  # noqa: E731
        top = metadata
        small = ["metadata.yaml", "ok"]
    st_meta = export_safetensors_metadata(top)
    index = {key_of(nm): file_names[k]
             for k, names in enumerate(files) for nm in names}

    listing = sorted(os.listdir(out))
    if listing != sorted(small + file_names):
        fail(f"files {listing} != {sorted(small + file_names)}")
    if os.path.getsize(os.path.join(out, "ok")) != 0:
        fail("ok marker is not empty")
    if hf:
        text = read_text(os.path.join(out, "config.json"))
        want = json.dumps(spec["hf_config"], indent=2, sort_keys=True) + "\n"
        if text != want:
            fail(f"config.json:\n{text}\n!=\n{want}")
        text = read_text(os.path.join(out, "model.safetensors.index.json"))
        # the index alone also states the tensor bytes, as HF's writer does
        total = sum(SIZE[t["dtype"]] * (int(np.prod(t["shape"], dtype=np.int64))
                                        if t["shape"] else 1)
                    for t in spec["tensors"])
        want = json.dumps({"metadata": dict(top, total_size=total),
                           "weight_map": index}, indent=4)
        if text != want:
            fail(f"index.json:\n{text}\n!=\n{want}")
        if json.loads(text)["weight_map"] != index:
            fail("index.json weight_map differs")
    else:
        full = json.loads(json.dumps(metadata))
        full["metadata"]["state_index"] = index
        text = read_text(os.path.join(out, "metadata.yaml"))
        if yaml.safe_load(text) != full:
            fail(f"metadata.yaml loads as {yaml.safe_load(text)!r}")
        if text != yaml.safe_dump(full):
            fail(f"metadata.yaml:\n{text}\n!=\n{yaml.safe_dump(full)}")
    for k, names in enumerate(files):
        check_safetensors(os.path.join(out, file_names[k]), spec, names,
                          key_of, st_meta)
    print("OK")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "check":
        sys.exit(__doc__)
    check(sys.argv[2], sys.argv[3])
