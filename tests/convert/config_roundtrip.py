"""config_roundtrip.py A B LAYOUT - B (config.json written by an export)
is A (the config.json the checkpoint was made from) with the dtype key of
the layout (torch_dtype for v4, dtype for v5) stating the dtype holding
most of B's tensor bytes, as read here from B's safetensors headers."""
import json
import os
import struct
import sys

TORCH = {"F64": "float64", "F32": "float32", "F16": "float16",
         "BF16": "bfloat16"}

a_path, b_path, layout = sys.argv[1:4]
a, b = (json.load(open(p)) for p in (a_path, b_path))
key = "torch_dtype" if layout == "v4" else "dtype"
bytes_of = {}
folder = os.path.dirname(b_path)
for f in os.listdir(folder):
    if f.endswith(".safetensors"):
        with open(os.path.join(folder, f), "rb") as fh:
            n = struct.unpack("<Q", fh.read(8))[0]
            header = json.loads(fh.read(n))
        for name, e in header.items():
            if name != "__metadata__":
                lo, hi = e["data_offsets"]
                bytes_of[e["dtype"]] = bytes_of.get(e["dtype"], 0) + hi - lo
want = TORCH[max(bytes_of, key=bytes_of.get)]
if b.get(key) != want:
    sys.exit(f"{b_path}: {key} is {b.get(key)!r}, the tensors are {want}")
if key not in a:
    del b[key]
elif a[key] != want:
    a[key] = want  # cast on export: the new dtype is stated
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print(f"{k}: {a.get(k)!r} != {b.get(k)!r}")
    sys.exit(1)
