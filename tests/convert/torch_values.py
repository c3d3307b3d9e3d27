#!/usr/bin/python3
"""torch_values.py BIN_DIR HF_DIR: every tensor torch.load reads from the
.bin files of BIN_DIR (pytorch_model.bin or the files of its index) is in
HF_DIR's safetensors files (read here with json + struct) with the same
dtype, shape and bytes.  torch is the independent reader of the files
ckconv read; HF_DIR is ckconv's output."""
import json
import os
import struct
import sys

import torch

NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
         torch.float64: "F64", torch.int64: "I64", torch.int32: "I32"}


def st_folder(d):
    out = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith(".safetensors"):
            continue
        raw = open(os.path.join(d, f), "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        h = json.loads(raw[8:8 + n])
        for k, v in h.items():
            if k != "__metadata__":
                b, e = v["data_offsets"]
                out[k] = (v["dtype"], v["shape"], raw[8 + n + b:8 + n + e])
    return out


def bin_files(d):
    if os.path.exists(os.path.join(d, "pytorch_model.bin")):
        return ["pytorch_model.bin"]
    idx = json.load(open(os.path.join(d, "pytorch_model.bin.index.json")))
    return sorted(set(idx["weight_map"].values()))


def main():
    src, dst = sys.argv[1], sys.argv[2]
    got = st_folder(dst)
    n = 0
    for f in bin_files(src):
        sd = torch.load(os.path.join(src, f), map_location="cpu",
                        weights_only=True)
        for k, t in sd.items():
            if k not in got:
                if k == "lm_head.weight":  # tied: written once, as upstream
                    continue
                sys.exit("torch_values: %s missing from %s" % (k, dst))
            dt, shape, data = got[k]
            t = t.contiguous()
            want = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
            if (dt, shape) != (NAMES[t.dtype], list(t.shape)) or data != want:
                sys.exit("torch_values: %s differs (%s %s vs %s %s)" %
                         (k, dt, shape, NAMES[t.dtype], list(t.shape)))
            n += 1
    print("torch_values: %d tensors as torch reads them" % n)


main()
