#!/usr/bin/python3
"""Independent expectations for Qwen3 / Qwen3-MoE per-layer mixes (json
only, no ckconv code): transformers' rules, written out here.

  qwen3_layers.py kinds CONFIG
      print the per-layer kinds of an HF config, one word per layer:
      moe / dense for qwen3_moe (Qwen3MoeDecoderLayer: sparse when i is
      not in mlp_only_layers and (i + 1) % decoder_sparse_step == 0),
      full_attention / sliding_attention:W for qwen3 (Qwen3Config:
      sliding_window is None unless use_sliding_window; layer_types
      defaults to sliding from max_window_layers on when the window is
      set; Qwen3Attention slides only on sliding_attention layers).
  qwen3_layers.py imported CONFIG FL.json
      the `ckconv config import` output has, per layer, the block the
      rule gives: a fixed decoder when every layer is of the usual kind
      (MoE, full attention), else a pattern decoder whose blocks are
      named by kind, with the MLP (moe
      of moe_intermediate_size, or a dense mlp of intermediate_size) and
      the window (window_size == sliding_window on sliding layers only).
  qwen3_layers.py same CONFIG_A CONFIG_B
      the two HF configs have the same per-layer kinds (a round trip may
      change the spelling: decoder_sparse_step, max_window_layers).
"""
import json
import sys


def kinds(c):
    n = c["num_hidden_layers"]
    if c["model_type"] == "qwen3_moe":
        step = c.get("decoder_sparse_step", 1)
        only = c.get("mlp_only_layers") or []
        experts = c.get("num_experts", c.get("num_local_experts", 0))
        return ["moe" if i not in only and experts > 0 and (i + 1) % step == 0
                else "dense" for i in range(n)]
    window = c.get("sliding_window") if c.get("use_sliding_window") else None
    types = c.get("layer_types")
    if types is None:
        types = ["sliding_attention"
                 if window is not None and i >= c.get("max_window_layers", 28)
                 else "full_attention" for i in range(n)]
    return [f"sliding_attention:{window}"
            if t == "sliding_attention" and window is not None
            else "full_attention" for t in types]


def fail(msg):
    print("qwen3_layers: " + msg, file=sys.stderr)
    sys.exit(1)


def imported(cfg_path, fl_path):
    c = json.load(open(cfg_path))
    fl = json.load(open(fl_path))
    dec = fl["decoder"]
    want = kinds(c)
    names = [k.split(":")[0] for k in want]
    # the usual kind alone (every layer MoE, or full attention) keeps a
    # fixed decoder; anything else is a pattern
    if set(names) in ({"moe"}, {"full_attention"}):
        if dec.get("type", "fixed") != "fixed" or "block" not in dec:
            fail(f"one kind of layer ({names[0]}): expected a fixed decoder, got {dec.get('type')}")
        blocks = [dec["block"]] * len(names)
    else:
        if dec.get("type") != "pattern":
            fail(f"a mix {names}: expected a pattern decoder, got {dec.get('type')}")
        if dec["num_blocks"] != len(names):
            fail(f"num_blocks {dec['num_blocks']} != {len(names)}")
        pattern = dec["pattern"]
        got = [pattern[i % len(pattern)] for i in range(len(names))]
        if got != names:
            fail(f"pattern {got} != expected {names}")
        if sorted(dec["blocks"]) != sorted(set(names)):
            fail(f"blocks {sorted(dec['blocks'])} != {sorted(set(names))}")
        blocks = [dec["blocks"][x] for x in names]
    for i, (k, b) in enumerate(zip(want, blocks)):
        mlp = b["mlp"]
        if k == "moe":
            if mlp.get("type") != "moe" or mlp["intermediate_size"] != c["moe_intermediate_size"]:
                fail(f"layer {i}: expected a moe MLP of {c['moe_intermediate_size']}, got {mlp.get('type')} {mlp.get('intermediate_size')}")
        elif mlp.get("type", "mlp") != "mlp" or mlp["intermediate_size"] != c["intermediate_size"]:
            fail(f"layer {i}: expected a dense MLP of {c['intermediate_size']}, got {mlp.get('type')} {mlp.get('intermediate_size')}")
        window = b["mixer"].get("window_size")
        expect = int(k.split(":")[1]) if k.startswith("sliding_attention:") else None
        if window != expect:
            fail(f"layer {i} ({k}): window_size {window}, expected {expect}")
    print(f"qwen3_layers: {len(want)} layers as {'/'.join(sorted(set(names)))}")


def main():
    cmd = sys.argv[1]
    if cmd == "kinds":
        print(" ".join(kinds(json.load(open(sys.argv[2])))))
    elif cmd == "imported":
        imported(sys.argv[2], sys.argv[3])
    elif cmd == "same":
        a, b = (kinds(json.load(open(p))) for p in sys.argv[2:4])
        if a != b:
            fail(f"layers differ: {a} != {b}")
        print(f"qwen3_layers: {len(a)} layers alike")
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
