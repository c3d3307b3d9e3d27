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
  oracle.py import-check HF FL WEIGHTS
                                the fast_llm folder holds exactly the
                                tensors of the converter list WEIGHTS (JSON
                                as in the golden `weights` / `ckconv
                                weights`), each recomputed here from the HF
                                tensors by its kind's semantics, bytes
                                compared; every HF tensor consumed once
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


def moe_expect(hf, m, q, n_experts, names, expect):
    """A mixture of experts under HF prefix m: the router is the gate; the
    experts are stacked expert-major, gate then up projection (names[0],
    names[1]) in layer_1; the down projections [H, I] (names[2]) are
    concatenated along the last dim and transposed into layer_2."""
    gate, up, down = names
    dt = hf[m + "gate.weight"][0]
    expect[q + "mlp.router.weight"] = hf[m + "gate.weight"]
    l1 = []
    for e in range(n_experts):
        l1 += [hf[m + f"experts.{e}.{gate}.weight"][1], hf[m + f"experts.{e}.{up}.weight"][1]]
    expect[q + "mlp.layer_1.weight"] = (dt, np.concatenate(l1))
    w2 = np.concatenate([hf[m + f"experts.{e}.{down}.weight"][1] for e in range(n_experts)], axis=1)
    expect[q + "mlp.layer_2.weight"] = (dt, w2.T)


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
        for hf_norm, fl_norm in (("q_norm", "query_norm"), ("k_norm", "key_norm")):
            # Qwen3: per-head RMS norm weights, copied as they are
            if p + f"self_attn.{hf_norm}.weight" in hf:
                expect[q + f"mixer.{fl_norm}.weight"] = hf[p + f"self_attn.{hf_norm}.weight"]
        if p + "mlp.gate.weight" in hf:
            # Qwen3-MoE: router mlp.gate, experts stacked expert-major,
            # gate_proj then up_proj; down_proj [H, I] per expert joined
            # along the last dim, transposed
            moe_expect(hf, p + "mlp.", q, cfg.get("num_experts", cfg.get("num_local_experts")),
                       ("gate_proj", "up_proj", "down_proj"), expect)
        if p + "block_sparse_moe.gate.weight" in hf:
            # Mixtral: experts stacked expert-major, gate (w1) then up (w3)
            moe_expect(hf, p + "block_sparse_moe.", q, cfg["num_local_experts"],
                       ("w1", "w3", "w2"), expect)


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


def import_expect(kind, names, params, parts):
    """The Fast-LLM tensor of one converter, from its HF tensors (upstream's
    import direction, golden README "Weight-converter kinds"); parts are
    numpy arrays (BF16 as uint16: only moved, never computed on)."""
    n = len(parts)
    if kind in ("WeightConverter", "OutputProjectionWeightConverter"):
        if n != 1:
            fail(f"{names}: {kind} with {n} HF tensors")
        return parts[0]
    if kind == "_Gemma4SharedKeyValueWeightConverter":
        shared = params.get("shared_key_value")
        if shared not in (True, False):
            fail(f"{names}: shared_key_value param missing")
        if shared:
            # full-attention block with attention_k_eq_v: k_proj is the
            # whole key_value tensor
            if n != 1:
                fail(f"{names}: shared key/value with {n} HF tensors")
            return parts[0]
        kind = "KeyValueWeightConverter"
    if kind in ("SplitWeightConverter", "KeyValueWeightConverter"):
        if kind == "KeyValueWeightConverter" and n != 2:
            fail(f"{names}: key/value with {n} HF tensors")
        if any(p.shape[1:] != parts[0].shape[1:] for p in parts):
            fail(f"{names}: shapes {[p.shape for p in parts]} cannot be stacked")
        return np.concatenate(parts, axis=0)
    if kind == "TransposeSplitWeightConverter":
        # export is t() then chunk along the last dim: import concatenates
        # along the last dim and transposes (a 1-D bias is just joined)
        return np.concatenate(parts, axis=-1).T
    if kind == "PatchEmbeddingWeightConverter":
        c, h, w = params["input_channels"], params["patch_height"], params["patch_width"]
        x = parts[0]
        if n != 1 or x.ndim != 4 or x.shape[1:] != (c, h, w):
            fail(f"{names}: patch conv {x.shape} is not [out, {c}, {h}, {w}]")
        # element [o, ci, i, j] goes to [o, (ci * h + i) * w + j]
        out = np.empty((x.shape[0], c * h * w), dtype=x.dtype)
        for ci in range(c):
            for i in range(h):
                out[:, (ci * h + i) * w:(ci * h + i + 1) * w] = x[:, ci, i, :]
        return out
    if kind == "Gemma4MoELayer1Converter":
        e = params["experts"]
        x = parts[0]
        if n != 1 or x.ndim != 3 or x.shape[0] != e:
            fail(f"{names}: gate_up_proj {x.shape} is not [{e}, 2I, H]")
        # expert-major: rows e*2I .. (e+1)*2I are expert e's [2I, H]
        return np.concatenate([x[k] for k in range(e)], axis=0)
    if kind == "Gemma4MoELayer2Converter":
        e = params["experts"]
        x = parts[0]
        if n != 1 or x.ndim != 3 or x.shape[0] != e:
            fail(f"{names}: down_proj {x.shape} is not [{e}, H, I]")
        # expert e's [I, H] block is the transpose of its [H, I]
        return np.concatenate([x[k].T for k in range(e)], axis=0)
    fail(f"{names}: unknown converter kind {kind}")


def import_check(hf_dir, fl_dir, weights_path):
    hf, fl = read_folder(hf_dir), read_folder(fl_dir)
    convs = json.load(open(weights_path))
    expect, used, kinds = {}, set(), {}
    for c in convs:
        if len(c["fast_llm"]) != 1:
            fail(f"converter with Fast-LLM names {c['fast_llm']}")
        name = c["fast_llm"][0]
        missing = [h for h in c["hf"] if h not in hf]
        if missing:
            fail(f"{name}: HF tensor(s) {missing} not in {hf_dir}")
        if used & set(c["hf"]) or len(set(c["hf"])) != len(c["hf"]):
            fail(f"{name}: HF tensor(s) consumed twice")
        used |= set(c["hf"])
        dts = {hf[h][0] for h in c["hf"]}
        if len(dts) != 1:
            fail(f"{name}: HF tensors of different dtypes {sorted(dts)}")
        arr = import_expect(c["kind"], c["hf"], c.get("params") or {},
                            [hf[h][1] for h in c["hf"]])
        if name in expect:
            fail(f"{name}: two converters")
        expect[name] = (dts.pop(), arr)
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    if set(hf) != used:
        fail(f"HF tensors no converter consumes: {sorted(set(hf) - used)[:10]}")
    if set(expect) != set(fl):
        fail(f"fast_llm names differ: {sorted(set(expect) ^ set(fl))[:10]}")
    for k, (dt, arr) in expect.items():
        got_dt, got = fl[k]
        if got_dt != dt or got.shape != arr.shape:
            fail(f"{k}: {got_dt}{list(got.shape)}, expected {dt}{list(arr.shape)}")
        gb, wb = got.tobytes(), np.ascontiguousarray(arr).tobytes()
        if gb != wb:
            first = np.flatnonzero(np.frombuffer(gb, np.uint8) != np.frombuffer(wb, np.uint8))[0]
            at = [int(i) for i in np.unravel_index(first // got.itemsize, got.shape)]
            fail(f"{k}: content differs from the hand-computed tensor (first at {at})")
    summary = ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items()))
    print(f"oracle: {len(expect)} fast_llm tensors match the converter list ({summary})")


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
                list(index["metadata"]) != ["fast_llm_metadata", "model_config",
                                            "format", "total_size"]:
            fail("index.json key order")
        # total_size as Hugging Face's writer counts it: tensor data bytes
        total = 0
        for f in set(index["weight_map"].values()):
            t, _ = read_file(os.path.join(d, f))
            total += sum(arr.nbytes for _, arr in t.values())
        if index["metadata"]["total_size"] != total:
            fail(f"total_size {index['metadata']['total_size']} != {total}")
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
    elif cmd == "import-check":
        import_check(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        fail("unknown command " + cmd)
