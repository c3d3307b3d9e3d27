#!/usr/bin/python3
"""Rewrite a Hugging Face safetensors checkpoint as pytorch_model.bin
files written by torch.save (Debian's python3-torch): the independent
writer of the .bin reader's tests.

usage: make_hf_bin.py SRC OUT [--shards K] [--shared] [--tied-lm-head]
                      [--keep-safetensors]

SRC: a folder from make_hf_llama.py (config.json + safetensors).  OUT
gets the same config.json and the same tensors (names, dtypes, shapes,
bytes) in pytorch_model.bin, or with --shards K in
pytorch_model-0000k-of-0000K.bin files and pytorch_model.bin.index.json
as transformers' save_pretrained(safe_serialization=False) lays them out.

--shared: every layer's q_proj and k_proj weights become views of one
storage (k at a non-zero storage offset), and the embedding a view of a
storage with unused elements before and after it, so that views with
offsets are read.  --tied-lm-head: also save lm_head.weight as the very
storage of the embedding (what torch.save(model.state_dict()) writes for
tied embeddings).  --keep-safetensors: leave the safetensors files too.
"""
import argparse
import collections
import json
import os
import shutil
import struct

import torch

DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
      "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = collections.OrderedDict()
    for name in sorted(k for k in header if k != "__metadata__"):
        h = header[name]
        b, e = h["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]) or bytearray(1),
                             dtype=DT[h["dtype"]])
        t = t[:(e - b) // t.element_size()]
        out[name] = t.reshape(h["shape"]).clone()
    return out


def read_folder(d):
    if os.path.exists(os.path.join(d, "model.safetensors")):
        files = ["model.safetensors"]
    else:
        idx = json.load(open(os.path.join(d, "model.safetensors.index.json")))
        files = sorted(set(idx["weight_map"].values()))
    sd = collections.OrderedDict()
    for f in files:
        sd.update(read_safetensors(os.path.join(d, f)))
    return sd, files


def share(sd):
    """q and k of each layer as views of one storage; the embedding a
    view in the middle of a larger storage."""
    for q in [k for k in sd if k.endswith("self_attn.q_proj.weight")]:
        k = q.replace("q_proj", "k_proj")
        a, b = sd[q], sd[k]
        flat = torch.cat([a.flatten(), b.flatten()])
        sd[q] = flat[:a.numel()].view(a.shape)
        sd[k] = flat[a.numel():].view(b.shape)
    e = "model.embed_tokens.weight"
    t = sd[e]
    big = torch.zeros(t.numel() + 7, dtype=t.dtype)
    big[3:3 + t.numel()] = t.flatten()
    sd[e] = big[3:3 + t.numel()].view(t.shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--shared", action="store_true")
    ap.add_argument("--tied-lm-head", action="store_true")
    ap.add_argument("--keep-safetensors", action="store_true")
    a = ap.parse_args()
    sd, files = read_folder(a.src)
    if a.shared:
        share(sd)
    if a.tied_lm_head:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    os.makedirs(a.out, exist_ok=True)
    shutil.copy(os.path.join(a.src, "config.json"), a.out)
    if a.keep_safetensors:
        for f in files + ["model.safetensors.index.json"]:
            if os.path.exists(os.path.join(a.src, f)):
                shutil.copy(os.path.join(a.src, f), a.out)
    if a.shards == 1:
        torch.save(sd, os.path.join(a.out, "pytorch_model.bin"))
        return
    names = list(sd)
    per = -(-len(names) // a.shards)
    wm = {}
    for s in range(a.shards):
        fn = "pytorch_model-%05d-of-%05d.bin" % (s + 1, a.shards)
        part = collections.OrderedDict((n, sd[n])
                                       for n in names[s * per:(s + 1) * per])
        torch.save(part, os.path.join(a.out, fn))
        wm.update({n: fn for n in part})
    total = sum(t.numel() * t.element_size() for t in sd.values())
    json.dump({"metadata": {"total_size": total}, "weight_map": wm},
              open(os.path.join(a.out, "pytorch_model.bin.index.json"), "w"),
              indent=2)


main()
