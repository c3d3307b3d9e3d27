#!/usr/bin/python3
"""Write a small Hugging Face checkpoint of the llama family with known
random weights (llama, mistral, qwen2, dream, mixtral, mtp_llama,
diffusion_llama, qwen3, qwen3_moe: --format).

Independent of ckconv: the config and the safetensors files are produced
here with json and numpy only, the way transformers' save_pretrained lays
them out (config.json, model.safetensors or model-0000k-of-0000n files with
an index).  Used by the conversion tests and the benchmark.

usage: make_hf_llama.py OUT [--hidden H] [--heads N] [--kv-heads G]
         [--head-dim D] [--layers L] [--vocab V] [--inter I] [--tied]
         [--bias] [--dtype f32|f16|bf16] [--shards K] [--seed S]
         [--format F] [--experts E] [--prediction-heads P] [--moe-inter M]
         [--mlp-only-layers I,J] [--sparse-step K] [--window W]
         [--max-window-layers M]

qwen3_moe layers are sparse by Qwen3MoeDecoderLayer's rule (layer i not
in --mlp-only-layers and (i + 1) % --sparse-step == 0), the others dense
Qwen3MoeMLP of --inter; --window turns on qwen3's sliding window
(use_sliding_window, sliding_window W, max_window_layers M).
"""
import argparse
import json
import os
import struct

import numpy as np

DTYPES = {"f32": ("F32", np.float32), "f16": ("F16", np.float16),
          "bf16": ("BF16", None)}


def tensor_bytes(array, dtype):
    """Encode a float32 array in the given safetensors dtype."""
    if dtype == "bf16":
        bits = array.astype(np.float32).view(np.uint32)
        # round to nearest even on the upper 16 bits
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        return rounded.astype("<u2").tobytes()
    return array.astype(DTYPES[dtype][1]).astype(
        DTYPES[dtype][1]().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, dtype, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    blobs = []
    for name, array in tensors:
        data = tensor_bytes(array, dtype)
        header[name] = {"dtype": DTYPES[dtype][0], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def sparse_layer(a, i):
    """Qwen3MoeDecoderLayer: a mixture of experts, or a dense MLP."""
    return i not in a.mlp_only_layers and (i + 1) % a.sparse_step == 0


def block_tensors(a, p, w, i=0):
    H, N, G, D, I = a.hidden, a.heads, a.kv_heads, a.head_dim, a.inter
    qkv_bias = a.bias or a.format in ("qwen2", "dream")
    t = []
    t.append((p + "self_attn.q_proj.weight", w(N * D, H)))
    t.append((p + "self_attn.k_proj.weight", w(G * D, H)))
    t.append((p + "self_attn.v_proj.weight", w(G * D, H)))
    t.append((p + "self_attn.o_proj.weight", w(H, N * D)))
    if qkv_bias:
        t.append((p + "self_attn.q_proj.bias", w(N * D)))
        t.append((p + "self_attn.k_proj.bias", w(G * D)))
        t.append((p + "self_attn.v_proj.bias", w(G * D)))
    if a.bias:
        t.append((p + "self_attn.o_proj.bias", w(H)))
    if a.format in ("qwen3", "qwen3_moe"):
        # per-head RMS norms over head_dim
        t.append((p + "self_attn.q_norm.weight", 1 + w(D)))
        t.append((p + "self_attn.k_norm.weight", 1 + w(D)))
    if a.format == "qwen3_moe" and sparse_layer(a, i):
        t.append((p + "mlp.gate.weight", w(a.experts, H)))
        for e in range(a.experts):
            q = p + f"mlp.experts.{e}."
            t.append((q + "gate_proj.weight", w(a.moe_inter, H)))
            t.append((q + "up_proj.weight", w(a.moe_inter, H)))
            t.append((q + "down_proj.weight", w(H, a.moe_inter)))
    elif a.format == "mixtral":
        t.append((p + "block_sparse_moe.gate.weight", w(a.experts, H)))
        for e in range(a.experts):
            q = p + f"block_sparse_moe.experts.{e}."
            t.append((q + "w1.weight", w(I, H)))
            t.append((q + "w2.weight", w(H, I)))
            t.append((q + "w3.weight", w(I, H)))
    else:
        t.append((p + "mlp.gate_proj.weight", w(I, H)))
        t.append((p + "mlp.up_proj.weight", w(I, H)))
        t.append((p + "mlp.down_proj.weight", w(H, I)))
        # Qwen3MLP and Qwen3MoeMLP have no biases
        if a.bias and a.format not in ("qwen3", "qwen3_moe"):
            t.append((p + "mlp.gate_proj.bias", w(I)))
            t.append((p + "mlp.up_proj.bias", w(I)))
            t.append((p + "mlp.down_proj.bias", w(H)))
    t.append((p + "input_layernorm.weight", 1 + w(H)))
    t.append((p + "post_attention_layernorm.weight", 1 + w(H)))
    return t


def llama_tensors(a, rng):
    H, V = a.hidden, a.vocab
    t = []

    def w(*shape):
        return rng.standard_normal(shape).astype(np.float32) * 0.05

    t.append(("model.embed_tokens.weight", w(V, H)))
    for i in range(a.layers):
        t += block_tensors(a, f"model.layers.{i}.", w, i)
    if a.format == "mtp_llama":
        for j in range(a.prediction_heads - 1):
            t += block_tensors(a, f"model.mtp_heads.{j}.", w)
        for j in range(a.prediction_heads):
            t.append((f"model.mtp_norms.{j}.weight", 1 + w(H)))
    else:
        t.append(("model.norm.weight", 1 + w(H)))
    if not a.tied:
        t.append(("lm_head.weight", w(V, H)))
    return t


ARCH = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
        "qwen2": "Qwen2ForCausalLM", "dream": "DreamModel",
        "mixtral": "MixtralForCausalLM", "mtp_llama": "MTPLlamaForCausalLM",
        "diffusion_llama": "DiffusionLlamaModel", "qwen3": "Qwen3ForCausalLM",
        "qwen3_moe": "Qwen3MoeForCausalLM"}


def hf_config(a):
    c = {
        "architectures": [ARCH[a.format]], "model_type": a.format,
        "hidden_size": a.hidden, "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads, "head_dim": a.head_dim,
        "num_hidden_layers": a.layers, "vocab_size": a.vocab,
        "intermediate_size": a.inter, "tie_word_embeddings": a.tied,
        "attention_bias": a.bias, "mlp_bias": a.bias,
        "attention_dropout": 0.0, "hidden_act": "silu", "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0, "rope_scaling": None,
        "max_position_embeddings": 2048, "torch_dtype": "float32",
        "transformers_version": "4.57.0", "use_cache": True,
    }
    if a.format in ("mistral", "mixtral"):
        del c["attention_bias"], c["mlp_bias"]
        c["sliding_window"] = 4096 if a.format == "mistral" else None
    if a.format in ("qwen2", "dream"):
        del c["attention_bias"], c["mlp_bias"], c["head_dim"]
        c.update(sliding_window=4096, use_sliding_window=False,
                 max_window_layers=28)
    if a.format == "mixtral":
        c.update(num_local_experts=a.experts, num_experts_per_tok=2,
                 router_aux_loss_coef=0.001, output_router_logits=False)
    if a.format == "mtp_llama":
        c["prediction_heads"] = a.prediction_heads
    if a.format in ("qwen3", "qwen3_moe"):
        # Qwen3Config's keys: attention_bias, no mlp_bias, the sliding keys
        del c["mlp_bias"]
        c.update(sliding_window=None, use_sliding_window=False,
                 max_window_layers=a.layers)
        if a.window:
            c.update(sliding_window=a.window, use_sliding_window=True,
                     max_window_layers=a.max_window_layers)
    if a.format == "qwen3_moe":
        c.update(num_experts=a.experts, num_experts_per_tok=2,
                 moe_intermediate_size=a.moe_inter, norm_topk_prob=True,
                 decoder_sparse_step=a.sparse_step,
                 mlp_only_layers=a.mlp_only_layers,
                 router_aux_loss_coef=0.001, output_router_logits=False)
    return c


def write_checkpoint(out, config, tensors, dtype, shards):
    """config.json and the tensors as HF writes them: one model.safetensors,
    or `shards` files model-0000K-of-0000N.safetensors with an index."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    if shards == 1:
        write_safetensors(os.path.join(out, "model.safetensors"), tensors,
                          dtype, {"format": "pt"})
        return
    per = -(-len(tensors) // shards)
    weight_map = {}
    for k in range(shards):
        name = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        part = tensors[k * per:(k + 1) * per]
        write_safetensors(os.path.join(out, name), part, dtype,
                          {"format": "pt"})
        for tname, _ in part:
            weight_map[tname] = name
    total = sum(int(np.prod(t.shape)) for _, t in tensors) * \
        (4 if dtype == "f32" else 2)
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map},
                  f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=16)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=128)
    ap.add_argument("--inter", type=int, default=96)
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--bias", action="store_true")
    ap.add_argument("--dtype", default="f32", choices=sorted(DTYPES))
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", default="llama", choices=sorted(ARCH))
    ap.add_argument("--experts", type=int, default=4)
    ap.add_argument("--prediction-heads", type=int, default=3)
    ap.add_argument("--moe-inter", type=int, default=48)
    ap.add_argument("--mlp-only-layers", default="",
                    type=lambda v: [int(x) for x in v.split(",") if x])
    ap.add_argument("--sparse-step", type=int, default=1)
    ap.add_argument("--window", type=int, default=0)
    ap.add_argument("--max-window-layers", type=int, default=0)
    a = ap.parse_args()
    if a.format in ("qwen2", "dream") and a.heads * a.head_dim != a.hidden:
        a.head_dim = a.hidden // a.heads
    rng = np.random.default_rng(a.seed)
    write_checkpoint(a.out, hf_config(a), llama_tensors(a, rng), a.dtype,
                     a.shards)

if __name__ == "__main__":
    main()
