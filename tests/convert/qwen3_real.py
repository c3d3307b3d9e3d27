#!/usr/bin/python3
"""Independent expectations for the real Qwen3 / Qwen3-MoE configs of
tests/data/qwen3 (json only, no ckconv code).

  qwen3_real.py checkpoint CONFIG OUT
      OUT/config.json = CONFIG byte for byte, and OUT/model.safetensors a
      header-only file (its data a sparse hole) naming every tensor transformers'
      Qwen3ForCausalLM / Qwen3MoeForCausalLM saves for that config, with
      its shape (modeling_qwen3*.py: q/k/v/o projections over head_dim,
      q_norm / k_norm [head_dim], mlp.gate [experts, hidden], per-expert
      gate/up/down of moe_intermediate_size; no lm_head when tied).
  qwen3_real.py plan CONFIG PLAN.json
      every tensor of `ckconv plan --json` has the Fast-LLM name and shape
      computed here from CONFIG, and there is no other.
  qwen3_real.py imported CONFIG FL.json
      `ckconv config import` output carries the config's numbers.
"""
import json
import shutil
import struct
import sys


def dims(c):
    H, N = c["hidden_size"], c["num_attention_heads"]
    G = c.get("num_key_value_heads") or N
    D = c.get("head_dim") or H // N
    E = c.get("num_experts", c.get("num_local_experts"))
    moe = c["model_type"] == "qwen3_moe"
    I = c["moe_intermediate_size"] if moe else c["intermediate_size"]
    return H, N, G, D, I, E, moe


def hf_tensors(c):
    H, N, G, D, I, E, moe = dims(c)
    V, L = c["vocab_size"], c["num_hidden_layers"]
    t = {"model.embed_tokens.weight": [V, H], "model.norm.weight": [H]}
    if not c.get("tie_word_embeddings", False):
        t["lm_head.weight"] = [V, H]
    for i in range(L):
        p = f"model.layers.{i}."
        t[p + "self_attn.q_proj.weight"] = [N * D, H]
        t[p + "self_attn.k_proj.weight"] = [G * D, H]
        t[p + "self_attn.v_proj.weight"] = [G * D, H]
        t[p + "self_attn.o_proj.weight"] = [H, N * D]
        t[p + "self_attn.q_norm.weight"] = [D]
        t[p + "self_attn.k_norm.weight"] = [D]
        t[p + "input_layernorm.weight"] = [H]
        t[p + "post_attention_layernorm.weight"] = [H]
        if moe:
            t[p + "mlp.gate.weight"] = [E, H]
            for e in range(E):
                q = p + f"mlp.experts.{e}."
                t[q + "gate_proj.weight"] = [I, H]
                t[q + "up_proj.weight"] = [I, H]
                t[q + "down_proj.weight"] = [H, I]
        else:
            t[p + "mlp.gate_proj.weight"] = [I, H]
            t[p + "mlp.up_proj.weight"] = [I, H]
            t[p + "mlp.down_proj.weight"] = [H, I]
    return t


def fl_tensors(c):
    H, N, G, D, I, E, moe = dims(c)
    V, L = c["vocab_size"], c["num_hidden_layers"]
    t = {"embeddings.word_embeddings_weight": [V, H],
         "head.final_norm.weight": [H]}
    if not c.get("tie_word_embeddings", False):
        t["head.output_weights"] = [V, H]
    for i in range(L):
        p = f"decoder.{i}."
        t[p + "mixer.query.weight"] = [N * D, H]
        t[p + "mixer.key_value.weight"] = [2 * G * D, H]
        t[p + "mixer.dense.weight"] = [H, N * D]
        t[p + "mixer.query_norm.weight"] = [D]
        t[p + "mixer.key_norm.weight"] = [D]
        t[p + "norm_1.weight"] = [H]
        t[p + "norm_2.weight"] = [H]
        k = E if moe else 1
        t[p + "mlp.layer_1.weight"] = [k * 2 * I, H]
        t[p + "mlp.layer_2.weight"] = [k * I, H]
        if moe:
            t[p + "mlp.router.weight"] = [E, H]
    return t


def checkpoint(config, out):
    import os
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(config, os.path.join(out, "config.json"))
    c = json.load(open(config))
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in sorted(hf_tensors(c).items()):
        n = 2
        for s in shape:
            n *= s
        header[name] = {"dtype": "BF16", "shape": shape,
                        "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        # the data a hole of its full length: a whole file at real size
        # (plan reads headers only) that takes no disk space
        f.truncate(8 + len(h) + off)


def plan(config, plan_path):
    c = json.load(open(config))
    r = json.load(open(plan_path))
    got = {t["name"]: t["shape"] for t in r["plan"]["tensors"]}
    want = fl_tensors(c)
    if got != want:
        bad = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        sys.exit(f"plan differs from the expected tensors: {bad[:6]} "
                 f"({len(got)} planned, {len(want)} expected)")
    print(f"qwen3_real: {len(want)} planned tensors as expected")


def imported(config, fl_path):
    c = json.load(open(config))
    fl = json.load(open(fl_path))
    H, N, G, D, I, E, moe = dims(c)
    b = fl["decoder"]["block"]
    rope = c.get("rope_parameters") or {"rope_theta": c["rope_theta"]}
    want = {
        ("hidden_size",): H, ("tied_embedding_weight",): c["tie_word_embeddings"],
        ("embeddings", "vocab_size"): c["vocab_size"],
        ("decoder", "num_blocks"): c["num_hidden_layers"],
        ("mixer", "heads"): N, ("mixer", "head_groups"): G,
        ("mixer", "head_size"): D, ("mixer", "rotary", "theta"): rope["rope_theta"],
        ("mixer", "query_norm", "epsilon"): c["rms_norm_eps"],
        ("mixer", "key_norm", "epsilon"): c["rms_norm_eps"],
        ("normalization", "epsilon"): c["rms_norm_eps"],
        ("mlp", "intermediate_size"): I,
    }
    if moe:
        want[("mlp", "experts")] = E
        want[("mlp", "experts_per_token")] = c["num_experts_per_tok"]
        want[("mlp", "type")] = "moe"
    for path, v in want.items():
        node = fl if path[0] in ("hidden_size", "tied_embedding_weight",
                                 "embeddings", "decoder") else b
        for k in path:
            node = node[k]
        if node != v:
            sys.exit(f"{'.'.join(path)} is {node!r}, expected {v!r}")
    print(f"qwen3_real: {len(want)} imported values as expected")


if __name__ == "__main__":
    {"checkpoint": checkpoint, "plan": plan, "imported": imported}[sys.argv[1]](*sys.argv[2:])
