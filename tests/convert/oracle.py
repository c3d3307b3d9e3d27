#!/usr/bin/python3
"""Independent checks of ckconv's checkpoint output (json + numpy only).

  oracle.py same A B            every tensor of two HF (or two fast_llm)
                                folders: same names, dtypes, shapes, bytes
  oracle.py llama-import HF FL  the fast_llm folder holds exactly what the
                                llama mapping says, element by element,
                                computed here from the HF tensors
  oracle.py cast SRC DST DTYPE  DST holds SRC's tensors rounded to DTYPE
                                (round to nearest even), names unchanged
  oracle.py layout DIR          files, index / metadata.yaml and `ok` as
                                upstream writes them
"""
import json
import os
import struct
import sys

import numpy as np
import yaml

NP = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16,
      "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_file(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        arr = np.frombuffer(data[b:end], dtype=NP[e["dtype"]]).reshape(e["shape"])
        out[name] = (e["dtype"], arr)
    return out, meta


def read_folder(d):
    """name -> (dtype, array); fast_llm keys lose their '/weights'."""
    tensors = {}
    if os.path.exists(os.path.join(d, "metadata.yaml")):
        meta = yaml.safe_load(open(os.path.join(d, "metadata.yaml")))
        files = sorted(set(meta["metadata"]["state_index"].values()))
    elif os.path.exists(os.path.join(d, "model.safetensors")):
        files = ["model.safetensors"]
    else:
        index = json.load(open(os.path.join(d, "model.safetensors.index.json")))
        files = sorted(set(index["weight_map"].values()))
    for f in files:
        t, _ = read_file(os.path.join(d, f))
        for k, v in t.items():
            name = k.split("/")[0]
            assert name not in tensors, f"{name} twice"
            tensors[name] = v
    return tensors


def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def as_f32(dtype, arr):
    return bf16_to_f32(arr) if dtype == "BF16" else arr.astype(np.float32)


def fail(msg):
    print("oracle: FAIL " + msg)
    sys.exit(1)


def same(a, b):
    ta, tb = read_folder(a), read_folder(b)
    if set(ta) != set(tb):
        fail(f"names differ: {sorted(set(ta) ^ set(tb))[:10]}")
    for k in ta:
        if ta[k][0] != tb[k][0] or ta[k][1].shape != tb[k][1].shape:
            fail(f"{k}: {ta[k][0]}{ta[k][1].shape} vs {tb[k][0]}{tb[k][1].shape}")
        if ta[k][1].tobytes() != tb[k][1].tobytes():
            fail(f"{k}: bytes differ")
    print(f"oracle: {len(ta)} tensors identical")


def block_expect(hf, cfg, p, q, expect):
    """The Fast-LLM tensors of one block, computed from the HF ones."""
    if True:
        expect[q + "mixer.query.weight"] = hf[p + "self_attn.q_proj.weight"]
        expect[q + "mixer.dense.weight"] = hf[p + "self_attn.o_proj.weight"]
        expect[q + "norm_1.weight"] = hf[p + "input_layernorm.weight"]
        expect[q + "norm_2.weight"] = hf[p + "post_attention_layernorm.weight"]
        for kind in ("weight", "bias"):
            if p + "self_attn.k_proj." + kind in hf:
                k = hf[p + "self_attn.k_proj." + kind]
                v = hf[p + "self_attn.v_proj." + kind]
                expect[q + "mixer.key_value." + kind] = (k[0], np.concatenate([k[1], v[1]]))
            if p + "self_attn.q_proj." + kind in hf:
                expect[q + "mixer.query." + kind] = hf[p + "self_attn.q_proj." + kind]
            if p + "self_attn.o_proj." + kind in hf:
                expect[q + "mixer.dense." + kind] = hf[p + "self_attn.o_proj." + kind]
            if p + "mlp.gate_proj." + kind in hf:
                g = hf[p + "mlp.gate_proj." + kind]
                u = hf[p + "mlp.up_proj." + kind]
                expect[q + "mlp.layer_1." + kind] = (g[0], np.concatenate([g[1], u[1]]))
                d = hf[p + "mlp.down_proj." + kind]
                expect[q + "mlp.layer_2." + kind] = (d[0], d[1].T if d[1].ndim == 2 else d[1])
        if p + "block_sparse_moe.gate.weight" in hf:
            # Mixtral: experts stacked expert-major, gate (w1) then up (w3)
            m = p + "block_sparse_moe."
            E = cfg["num_local_experts"]
            dt = hf[m + "gate.weight"][0]
            expect[q + "mlp.router.weight"] = hf[m + "gate.weight"]
            l1 = []
            for e in range(E):
                l1 += [hf[m + f"experts.{e}.w1.weight"][1], hf[m + f"experts.{e}.w3.weight"][1]]
            expect[q + "mlp.layer_1.weight"] = (dt, np.concatenate(l1))
            # w2 [H, I] per expert: concatenated along the last dim, transposed
            w2 = np.concatenate([hf[m + f"experts.{e}.w2.weight"][1] for e in range(E)], axis=1)
            expect[q + "mlp.layer_2.weight"] = (dt, w2.T)


def llama_import(hf_dir, fl_dir):
    hf, fl = read_folder(hf_dir), read_folder(fl_dir)
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    expect = {"embeddings.word_embeddings_weight": hf["model.embed_tokens.weight"]}
    for i in range(cfg["num_hidden_layers"]):
        block_expect(hf, cfg, f"model.layers.{i}.", f"decoder.{i}.", expect)
    if cfg.get("model_type") == "mtp_llama":
        P = cfg["prediction_heads"]
        for j in range(P - 1):
            block_expect(hf, cfg, f"model.mtp_heads.{j}.",
                         f"multi_token_prediction.blocks.{j}.", expect)
            expect[f"multi_token_prediction.heads.{j}.final_norm.weight"] = \
                hf[f"model.mtp_norms.{j + 1}.weight"]
        expect["head.final_norm.weight"] = hf["model.mtp_norms.0.weight"]
    else:
        expect["head.final_norm.weight"] = hf["model.norm.weight"]
    if "lm_head.weight" in hf:
        expect["head.output_weights"] = hf["lm_head.weight"]
    if set(expect) != set(fl):
        fail(f"fast_llm names differ: {sorted(set(expect) ^ set(fl))[:10]}")
    for k, (dt, arr) in expect.items():
        got = fl[k]
        if got[0] != dt or got[1].shape != arr.shape or \
                got[1].tobytes() != np.ascontiguousarray(arr).tobytes():
            fail(f"{k}: content differs from the hand-computed tensor")
    print(f"oracle: {len(expect)} fast_llm tensors match the llama mapping")


def round_bf16(x):
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def cast(src, dst, dtype):
    a, b = read_folder(src), read_folder(dst)
    if set(a) != set(b):
        fail("names differ")
    for k, (dt, arr) in a.items():
        got_dt, got = b[k]
        if got_dt != dtype:
            fail(f"{k}: dtype {got_dt}, expected {dtype}")
        f32 = as_f32(dt, arr)
        if dtype == "BF16":
            want = round_bf16(f32)
        elif dtype == "F16":
            want = f32.astype(np.float16)
        else:
            want = f32
        if want.tobytes() != got.tobytes():
            fail(f"{k}: cast to {dtype} differs")
    print(f"oracle: {len(a)} tensors cast to {dtype} exactly")


def layout(d):
    files = sorted(os.listdir(d))
    if "ok" not in files or os.path.getsize(os.path.join(d, "ok")) != 0:
        fail("no empty ok marker")
    if "metadata.yaml" in files:
        text = open(os.path.join(d, "metadata.yaml")).read()
        meta = yaml.safe_load(text)
        if yaml.safe_dump(meta) != text:
            fail("metadata.yaml is not yaml.safe_dump output")
        if sorted(meta) != ["config", "fast_llm_version", "format", "metadata",
                            "model", "shards"]:
            fail(f"metadata.yaml keys {sorted(meta)}")
        index = meta["metadata"]["state_index"]
        if not all(k.endswith("/weights") for k in index):
            fail("state_index keys must end in /weights")
        for f in set(index.values()):
            t, smeta = read_file(os.path.join(d, f))
            if smeta.get("format") != "fast_llm" or smeta.get("shards") != "- weights\n":
                fail(f"{f}: __metadata__ {smeta}")
            for k in t:
                if index.get(k) != f:
                    fail(f"{f}: {k} not indexed here")
    else:
        text = open(os.path.join(d, "model.safetensors.index.json")).read()
        index = json.loads(text)
        if json.dumps(index, indent=4) != text:
            fail("index.json is not json.dumps(indent=4) output")
        if list(index) != ["metadata", "weight_map"] or \
                list(index["metadata"]) != ["fast_llm_metadata", "model_config", "format"]:
            fail("index.json key order")
        config = json.load(open(os.path.join(d, "config.json")))
        if index["metadata"]["model_config"] != config:
            fail("model_config != config.json")
        for f in set(index["weight_map"].values()):
            t, smeta = read_file(os.path.join(d, f))
            if smeta.get("format") != "pt":
                fail(f"{f}: __metadata__ format must be pt")
            for k in t:
                if index["weight_map"].get(k) != f:
                    fail(f"{f}: {k} not indexed here")
    names = [f for f in files if f.endswith(".safetensors")]
    if names != [f"model_{i}.safetensors" for i in range(len(names))]:
        fail(f"file names {names}")
    print(f"oracle: layout of {d} as upstream writes it ({len(names)} files)")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "same":
        same(sys.argv[2], sys.argv[3])
    elif cmd == "llama-import":
        llama_import(sys.argv[2], sys.argv[3])
    elif cmd == "cast":
        cast(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "layout":
        layout(sys.argv[2])
    else:
        fail("unknown command " + cmd)
