#!/usr/bin/python3
"""st_oracle.py - independent reference for the ckconv unit tests.

Shares no code with runtime/: parses safetensors files with json and
numpy, and converts floats with numpy (or exact comparisons), so that
test_safetensors.c and test_dtype.c check the C code against a second
implementation.  Run with /usr/bin/python3 (Debian's numpy).

  st_oracle.py dump FILE
      Validate FILE and print one JSON object: metadata, tensors in file
      order (name, dtype, shape, offsets, float64 sum of the values), and
      "canonical": whether the header bytes are exactly what the reference
      Rust safetensors library would write for these tensors.
  st_oracle.py cast FROM TO IN OUT
      Convert the little-endian array in IN (FROM: f32 or f64) to TO (f16,
      bf16 or f32) and write the result bits to OUT.  f16/f32 use numpy's
      astype (round to nearest even); bf16 picks the nearer of the two
      neighbouring bf16 values by exact float64 distances, ties to even.
"""
import json
import struct
import sys

import numpy as np

# Reference library's `enum Dtype` order (tensors sorted by it, descending).
RANK = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2",
        "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16", "U16",
        "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]
NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8",
         "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?",
         "U64": "<u8", "U32": "<u4", "U16": "<u2"}
SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4,
        "I16": 2, "I8": 1, "U8": 1, "BOOL": 1, "U64": 8, "U32": 4, "U16": 2,
        "C64": 8, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1,
        "F8_E4M3FNUZ": 1, "F8_E5M2FNUZ": 1}


def fail(msg):
    print(json.dumps({"ok": False, "error": msg}))
    sys.exit(1)


def values(dtype, raw):
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).astype(np.float64)
    if dtype in NUMPY:
        return np.frombuffer(raw, dtype=NUMPY[dtype]).astype(np.float64)
    return np.frombuffer(raw, dtype="u1").astype(np.float64)


def dump(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail("shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        fail("header length past end of file")
    raw_header = blob[8:8 + n]
    pairs = json.loads(raw_header.decode("utf-8"), object_pairs_hook=list)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        fail("duplicate keys")
    meta = None
    tensors = []
    for k, v in pairs:
        if k == "__metadata__":
            meta = dict(v)
            if not all(isinstance(x, str) for x in meta.values()):
                fail("metadata not str->str")
            continue
        d = dict(v)
        shape = d["shape"]
        b, e = d["data_offsets"]
        numel = 1
        for s in shape:
            if not isinstance(s, int) or s < 0:
                fail("bad shape")
            numel *= s
        if e - b != numel * SIZE[d["dtype"]]:
            fail("size mismatch for " + k)
        tensors.append({"name": k, "dtype": d["dtype"], "shape": shape,
                        "offsets": [b, e]})
    data = blob[8 + n:]
    pos = 0
    for t in sorted(tensors, key=lambda t: tuple(t["offsets"])):
        if t["offsets"][0] != pos:
            fail("tensors do not tile the data section at " + t["name"])
        pos = t["offsets"][1]
    if pos != len(data):
        fail("data section has %d bytes, tensors cover %d" % (len(data), pos))
    for t in tensors:
        b, e = t["offsets"]
        t["sum"] = float(values(t["dtype"], data[b:e]).sum())

    # What the reference writer produces for the same content.
    order = sorted(tensors, key=lambda t: (-RANK.index(t["dtype"]),
                                           t["name"].encode("utf-8")))
    obj = {}
    if meta is not None:
        obj["__metadata__"] = meta
    off = 0
    for t in order:
        size = t["offsets"][1] - t["offsets"][0]
        obj[t["name"]] = {"dtype": t["dtype"], "shape": t["shape"],
                          "data_offsets": [off, off + size]}
        off += size
    canon = json.dumps(obj, separators=(",", ":"),
                       ensure_ascii=False).encode("utf-8")
    canon += b" " * (-len(canon) % 8)
    print(json.dumps({"ok": True, "header_len": n, "metadata": meta,
                      "canonical": canon == raw_header,
                      "tensors": tensors}))


def bf16_nearest(x32):
    """Round float32 array to bf16 bits by comparing exact distances."""
    bits = x32.view(np.uint32).astype(np.uint64)
    sign = bits & 0x80000000
    mag = bits & 0x7FFFFFFF
    lo = mag & 0xFFFF0000            # truncated toward zero
    hi = lo + 0x10000                # next bf16 up in magnitude
    val = mag.astype(np.uint32).view(np.float32).astype(np.float64)
    lo_v = lo.astype(np.uint32).view(np.float32).astype(np.float64)
    hi_v = np.where(hi == 0x7F800000, 2.0 ** 128,
                    hi.astype(np.uint32).view(np.float32).astype(np.float64))
    d_lo = val - lo_v
    d_hi = hi_v - val
    lo_even = ((lo >> 16) & 1) == 0
    pick_hi = (d_hi < d_lo) | ((d_hi == d_lo) & ~lo_even)
    out = np.where(pick_hi, hi, lo)
    out = np.where(mag == 0x7F800000, mag, out)  # infinity stays
    res = ((out | sign) >> 16).astype(np.uint16)
    nan = mag > 0x7F800000
    res[nan] = (((bits[nan] >> 16) | 0x40) & 0xFFFF).astype(np.uint16)
    return res


def cast(src, dst, inp, outp):
    with open(inp, "rb") as f:
        raw = f.read()
    x = np.frombuffer(raw, dtype={"f32": "<f4", "f64": "<f8"}[src])
    with np.errstate(all="ignore"):
        if dst == "f16":
            out = x.astype("<f2")
        elif dst == "f32":
            out = x.astype("<f4")
        elif dst == "bf16" and src == "f32":
            out = bf16_nearest(x)
        else:
            fail("unsupported cast %s -> %s" % (src, dst))
    with open(outp, "wb") as f:
        f.write(out.tobytes())


def main(argv):
    if len(argv) == 3 and argv[1] == "dump":
        dump(argv[2])
    elif len(argv) == 6 and argv[1] == "cast":
        cast(argv[2], argv[3], argv[4], argv[5])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
