#!/usr/bin/python3
"""Write a small Hugging Face checkpoint of any format ckconv converts
(apriel2_text, apriel_hybrid_ssm, llava, apriel2, gemma4, ... : --format),
with known random weights.

The config comes from a golden case (../shared/golden/FORMAT/CASE.json):
config.json is its `hf_config_<layout>` dict, unchanged unless --hf-set
edits it.  The tensors are those of the converter list of the case's
Fast-LLM config (`fast_llm_base_model_input`, edited by --fl-set): the HF
names are the converters' `hf` names, and each HF shape is derived here
from the converter kind and the Fast-LLM shape of its tensor (upstream's
tensor semantics, golden README "Weight-converter kinds"):

  WeightConverter, OutputProjectionWeightConverter   same shape
  SplitWeightConverter, KeyValueWeightConverter      chunks of dim 0
  TransposeSplitWeightConverter                      transpose, then chunks
                                                     of the last dim
  PatchEmbeddingWeightConverter                      [out, C, h, w]
  Gemma4MoELayer1Converter                           [E, 2I, H]
  Gemma4MoELayer2Converter                           [E, H, I]
  _Gemma4SharedKeyValueWeightConverter               1 name: same shape,
                                                     2 names: as KeyValue

The converter list is the golden case's `weights` (upstream's own list)
unless --weights gives another one (e.g. `ckconv weights` output, for a
config edited with --fl-set); the Fast-LLM shapes come from
`ckconv params` (the only use of ckconv here).  The safetensors files are
written with json + numpy only (make_hf_llama.py's writer).

usage: make_hf_model.py OUT --golden CASE.json --ckconv CKCONV
         [--format F] [--layout v4|v5] [--weights W.json]
         [--hf-set KEY=JSON]... [--fl-set DOTTED.PATH=JSON]...
         [--fl-out FILE]   (also write the edited Fast-LLM config there)
         [--dtype f32|f16|bf16] [--shards K] [--seed S]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_hf_llama import DTYPES, write_checkpoint  # noqa: E402


def chunk0(shape, n, what):
    if shape[0] % n:
        sys.exit(f"make_hf_model: {what}: dim 0 of {shape} not divisible by {n}")
    return [[shape[0] // n] + list(shape[1:])] * n


def hf_shapes(conv, fl_shape):
    """The HF shapes of one converter, from its Fast-LLM tensor's shape."""
    kind, hf, params = conv["kind"], conv["hf"], conv.get("params") or {}
    n = len(hf)
    what = conv["fast_llm"][0]
    if kind in ("WeightConverter", "OutputProjectionWeightConverter"):
        if n != 1:
            sys.exit(f"make_hf_model: {what}: {kind} with {n} HF names")
        return [list(fl_shape)]
    if kind in ("SplitWeightConverter", "KeyValueWeightConverter"):
        if kind == "KeyValueWeightConverter" and n != 2:
            sys.exit(f"make_hf_model: {what}: KeyValue with {n} HF names")
        return chunk0(fl_shape, n, what)
    if kind == "_Gemma4SharedKeyValueWeightConverter":
        if n == 1:
            return [list(fl_shape)]
        return chunk0(fl_shape, n, what)
    if kind == "TransposeSplitWeightConverter":
        t = list(reversed(fl_shape))
        if t[-1] % n:
            sys.exit(f"make_hf_model: {what}: last dim of {t} not divisible by {n}")
        return [t[:-1] + [t[-1] // n]] * n
    if kind == "PatchEmbeddingWeightConverter":
        c, h, w = params["input_channels"], params["patch_height"], params["patch_width"]
        if len(fl_shape) != 2 or fl_shape[1] != c * h * w:
            sys.exit(f"make_hf_model: {what}: {fl_shape} is not [out, {c}*{h}*{w}]")
        return [[fl_shape[0], c, h, w]]
    if kind == "Gemma4MoELayer1Converter":
        e = params["experts"]
        if fl_shape[0] % e:
            sys.exit(f"make_hf_model: {what}: {fl_shape} not [E*2I, H] for E={e}")
        return [[e, fl_shape[0] // e, fl_shape[1]]]
    if kind == "Gemma4MoELayer2Converter":
        e = params["experts"]
        if fl_shape[0] % e:
            sys.exit(f"make_hf_model: {what}: {fl_shape} not [E*I, H] for E={e}")
        return [[e, fl_shape[1], fl_shape[0] // e]]
    sys.exit(f"make_hf_model: {what}: unknown converter kind {kind}")


def set_path(d, dotted, value):
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = value


def parse_set(items):
    out = []
    for item in items:
        key, _, text = item.partition("=")
        out.append((key, json.loads(text)))
    return out


def ckconv_json(ckconv, cmd, fmt, config):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
        path = f.name
    try:
        r = subprocess.run([ckconv, cmd, "-f", fmt, path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        sys.exit(f"make_hf_model: ckconv {cmd} -f {fmt}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--golden", required=True)
    ap.add_argument("--ckconv", required=True)
    ap.add_argument("--format")
    ap.add_argument("--layout")
    ap.add_argument("--weights")
    ap.add_argument("--fl-out")
    ap.add_argument("--hf-set", action="append", default=[])
    ap.add_argument("--fl-set", action="append", default=[])
    ap.add_argument("--dtype", default="f32", choices=sorted(DTYPES))
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    case = json.load(open(a.golden))
    fmt = a.format or case["format"]
    layout = a.layout or case["layouts"][0]
    config = case[f"hf_config_{layout}"]
    if config is None:
        sys.exit(f"make_hf_model: {a.golden} has no hf_config_{layout}")
    for key, value in parse_set(a.hf_set):
        set_path(config, key, value)
    fl = case["fast_llm_base_model_input"]
    for key, value in parse_set(a.fl_set):
        set_path(fl, key, value)

    if a.fl_out:
        with open(a.fl_out, "w") as f:
            json.dump(fl, f, indent=2, sort_keys=True)
    if a.weights:
        convs = json.load(open(a.weights))
    elif not a.fl_set and case.get("weights") is not None:
        convs = case["weights"]
    else:
        convs = ckconv_json(a.ckconv, "weights", fmt, fl)
    params = {p["name"]: p for p in ckconv_json(a.ckconv, "params", fmt, fl)}

    rng = np.random.default_rng(a.seed)
    tensors = []
    seen = set()
    for conv in convs:
        if len(conv["fast_llm"]) != 1:
            sys.exit(f"make_hf_model: converter with {len(conv['fast_llm'])} Fast-LLM names")
        name = conv["fast_llm"][0]
        if name not in params:
            sys.exit(f"make_hf_model: {name} is not a tensor of the model (ckconv params)")
        shapes = hf_shapes(conv, params[name]["shape"])
        for hf_name, shape in zip(conv["hf"], shapes):
            if hf_name in seen:
                sys.exit(f"make_hf_model: {hf_name} named twice")
            seen.add(hf_name)
            w = rng.standard_normal(shape).astype(np.float32) * 0.05
            if hf_name.endswith("norm.weight") or "layernorm" in hf_name:
                w = w + 1
            tensors.append((hf_name, w))

    write_checkpoint(a.out, config, tensors, a.dtype, a.shards)

if __name__ == "__main__":
    main()
