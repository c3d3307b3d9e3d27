#!/bin/sh
# Checkpoint conversion tests of the hybrid and multimodal formats
# (apriel2_text, apriel_hybrid_ssm, llava, apriel2, gemma4; issue 6).
#
# For golden cases of ../shared/golden, tests/tools/make_hf_model.py writes
# a small HF checkpoint (config.json = the golden hf_config dict, random
# tensors named and shaped by the converter list), which is converted
# HF -> fast_llm -> HF.  Checked independently (tests/convert/oracle.py,
# json + numpy): every fast_llm tensor recomputed from the HF tensors by
# its converter kind against upstream's converter list (the golden
# `weights`: patch-embedding view, Gemma 4 MoE reshape and per-expert
# transpose, shared K/V, splits, transposes), the round trip byte-identical,
# upstream's folder layout; then `ckconv verify FL HF`.  The documented
# upstream limits are tested as failures: a dense Gemma 4 imported from HF
# cannot be exported again, KDA blocks cannot be exported by
# apriel_hybrid_ssm, llava_hybrid_ssm has no weights for a gdn text decoder.
#
# usage: formats.sh [CKCONV] [SHARED]
set -u
ck=${1:-build/ckconv}
shared=${2:-tests/data/shared}
golden=$shared/golden
py=/usr/bin/python3
gen="$py tests/tools/make_hf_model.py"
oracle="$py tests/convert/oracle.py"
. "$(dirname "$0")/../tools/testlib.sh"

if [ ! -d "$golden" ]; then
  echo "formats: no golden data in $golden"
  exit 1
fi

# upstream's converter list of a golden case (its `weights`); with a
# third argument, the full-attention blocks share K/V (attention_k_eq_v):
# their key_value converter keeps only k_proj, with shared_key_value true
golden_weights() { # CASE.json OUT [k_eq_v]
  $py - "$@" <<'EOF'
import json, sys
case = json.load(open(sys.argv[1]))
weights = case["weights"]
if len(sys.argv) > 3:
    hf = case["hf_config_v5"]
    assert len(hf["layer_types"]) == hf["num_hidden_layers"]
    for i, t in enumerate(hf["layer_types"]):
        if t != "full_attention":
            continue
        [w] = [w for w in weights if w["fast_llm"] == [f"decoder.{i}.mixer.key_value.weight"]]
        assert w["kind"] == "_Gemma4SharedKeyValueWeightConverter"
        assert w["hf"][0].endswith("self_attn.k_proj.weight"), w
        w["hf"] = w["hf"][:1]
        w["params"] = {"shared_key_value": True}
json.dump(weights, open(sys.argv[2], "w"), indent=2)
EOF
}

# NAME FORMAT LAYOUT CASE WEIGHTS EXPORT [generator args...]
#   EXPORT: ok, or the text the refused fast_llm -> HF step must print
#   (stage export, nothing written)
roundtrip() {
  name=$1 fmt=$2 lay=$3 gcase=$golden/$4.json w=$5 export=$6
  shift 6
  d=$tmp/$name
  mkdir -p "$d"
  quiet $gen "$d/hf" --golden "$gcase" --format "$fmt" --layout "$lay" \
    --ckconv "$ck" --weights "$w" --fl-out "$d/fl_config.json" "$@" ||
    { ko "$name: generator"; return; }
  before=$(tree_hash "$d/hf")
  quiet "$ck" convert "$d/hf" "$d/fl" --to fast_llm --quiet || { ko "$name: import"; return; }
  # element by element: every fast_llm tensor = its HF tensors transformed
  # by the converter kind, computed by the oracle from upstream's list
  quiet $oracle import-check "$d/hf" "$d/fl" "$w" && ok || ko "$name: fast_llm tensors (element-wise)"
  quiet $oracle layout "$d/fl" && ok || ko "$name: fast_llm layout"
  # ckconv's own plan for that config is upstream's list
  quiet "$ck" weights -f "$fmt" "$d/fl_config.json" && cp "$tmp/log" "$d/ck_weights.json" &&
    $py -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
      "$d/ck_weights.json" "$w" && ok || ko "$name: ckconv weights differ from the expected list"
  if [ "$export" = ok ]; then
    quiet "$ck" convert "$d/fl" "$d/hf2" --to "$fmt" --layout "$lay" --quiet || { ko "$name: export"; return; }
    quiet $oracle same "$d/hf" "$d/hf2" && ok || ko "$name: round trip not byte-identical"
    quiet $oracle layout "$d/hf2" && ok || ko "$name: HF layout"
    # config.json of the round trip is the dict we started from
    # (plus the dtype key, always written: tests/convert/config_roundtrip.py)
    $py tests/convert/config_roundtrip.py "$d/hf/config.json" "$d/hf2/config.json" "$lay" &&
      ok || ko "$name: config.json differs after the round trip"
  else
    # documented upstream limit: refused at stage export, nothing written
    "$ck" convert "$d/fl" "$d/hf2" --to "$fmt" --layout "$lay" --quiet >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^ckconv: error\[export\]: " "$tmp/err" &&
      grep -qF "$export" "$tmp/err" && [ ! -s "$tmp/out" ] && [ ! -e "$d/hf2" ] &&
      [ -z "$(ls -A "$d" | grep ckconv)" ]; then
      ok
    else
      ko "$name: export must fail at stage export with '$export' and write nothing (exit $rc)"
      cat "$tmp/err"
    fi
  fi
  quiet "$ck" verify "$d/fl" "$d/hf" && grep -q " 0 differing" "$tmp/log" && ok || ko "$name: ckconv verify FL HF"
  [ "$(tree_hash "$d/hf")" = "$before" ] && ok || ko "$name: input modified"
}

# the golden cases, upstream's converter list as the expectation
rt() { # NAME FORMAT LAYOUT CASE [generator args...]
  w=$tmp/$1.weights.json
  golden_weights "$golden/$4.json" "$w" || { ko "$1: golden weights"; return; }
  rt_name=$1 rt_fmt=$2 rt_layout=$3 rt_case=$4
  shift 4
  roundtrip "$rt_name" "$rt_fmt" "$rt_layout" "$rt_case" "$w" ok "$@"
}

# apriel2_text: attention, mamba, gdn, kda, stochastic mixers, patterns
for c in fixture_apriel2_attn fixture_apriel2_mamba fixture_apriel2_gdn fixture_apriel2_kda \
         fixture_apriel2_hybrid fixture_apriel2_stochastic pattern_attn_mamba_swa \
         llama3_per_layer_qkv_bias; do
  rt "apriel2_text_$c" apriel2_text v4 "apriel2_text/$c"
done
rt apriel2_text_stochastic_v5_bf16 apriel2_text v5 apriel2_text/fixture_apriel2_stochastic --dtype bf16 --shards 2
# apriel_hybrid_ssm: t/m2 and t/gdn layouts, attention only
for c in t_m2_pattern t_gdn_pattern attention_only; do
  rt "apriel_hybrid_ssm_$c" apriel_hybrid_ssm v4 "apriel_hybrid_ssm/$c"
done
# llava (untied text: language_model.lm_head.weight is always declared):
# patch-embedding view [Hv, 3, ph, pw] <-> [Hv, 3*ph*pw]
rt llava_fixture llava v4 llava/fixture_llava
rt llava_patch16_v5 llava v5 llava/gqa_text_patch16 --shards 3
# apriel2 multimodal: patch embedding, vision encoder, text decoder
rt apriel2_multimodal apriel2 v4 apriel2/fixture_apriel2_multimodal
rt apriel2_pattern_vision apriel2 v5 apriel2/hybrid_text_pattern_vision --dtype bf16
# gemma4 MoE: experts.gate_up_proj [E, 2I, H] <-> [E*2I, H],
# experts.down_proj [E, H, I] <-> [E*I, H] (per-expert transpose)
rt gemma4_moe gemma4 v5 gemma4/fixture_gemma4

# gemma4 MoE with I != H (128 vs 256), shared K/V on the full-attention
# block (k_proj only [g*d, H] <-> key_value [g*d, H]; sliding blocks still
# split k/v), bf16, sharded input
w=$tmp/gemma4_moe_kv.weights.json
if golden_weights "$golden/gemma4/fixture_gemma4.json" "$w" k_eq_v; then
  roundtrip gemma4_moe_kv gemma4 v5 gemma4/fixture_gemma4 "$w" ok \
    --hf-set attention_k_eq_v=true --fl-set decoder.blocks.full_attention.mixer.shared_key_value=true \
    --hf-set moe_intermediate_size=128 \
    --fl-set decoder.blocks.sliding_attention.mlp.routed.intermediate_size=128 \
    --fl-set decoder.blocks.full_attention.mlp.routed.intermediate_size=128 \
    --dtype bf16 --shards 3 --seed 7
else
  ko "gemma4_moe_kv: golden weights"
fi

# dense gemma4: HF -> fast_llm checked element-wise; fast_llm -> HF is
# upstream's dense re-export bug (golden README, upstream behaviour 1)
dense_msg="pre-mixer / dense pre-MLP normalization overrides cannot be exported"
w=$tmp/gemma4_dense.weights.json
if golden_weights "$golden/gemma4/dense_softcap.json" "$w"; then
  roundtrip gemma4_dense gemma4 v5 gemma4/dense_softcap "$w" "$dense_msg"
else
  ko "gemma4_dense: golden weights"
fi
# dense with shared K/V on the full-attention block and 2 global K/V groups
w=$tmp/gemma4_dense_kv.weights.json
if golden_weights "$golden/gemma4/dense_softcap.json" "$w" k_eq_v; then
  roundtrip gemma4_dense_kv gemma4 v5 gemma4/dense_softcap "$w" "$dense_msg" \
    --hf-set attention_k_eq_v=true --fl-set decoder.blocks.full_attention.mixer.shared_key_value=true \
    --hf-set num_global_key_value_heads=2 --fl-set decoder.blocks.full_attention.mixer.head_groups=2
else
  ko "gemma4_dense_kv: golden weights"
fi

# casts through the transforms: MoE and patch embedding into bf16
for n in gemma4_moe llava_fixture; do
  d=$tmp/$n
  quiet "$ck" convert "$d/hf" "$d/fl_bf16" --to fast_llm --dtype bf16 --quiet &&
    quiet $oracle cast "$d/fl" "$d/fl_bf16" BF16 && ok || ko "$n: cast to bf16"
done

# the oracle has teeth: k/v swapped, and the MoE down_proj read without
# its per-expert transpose (same shape here, H = I = 256), must fail
d=$tmp/gemma4_moe
$py - "$tmp/gemma4_moe.weights.json" "$tmp/swap_kv.json" "$tmp/no_transpose.json" <<'EOF'
import copy, json, sys
w = json.load(open(sys.argv[1]))
a, b = copy.deepcopy(w), copy.deepcopy(w)
next(x for x in a if x["kind"] == "_Gemma4SharedKeyValueWeightConverter")["hf"].reverse()
next(x for x in b if x["kind"] == "Gemma4MoELayer2Converter")["kind"] = "Gemma4MoELayer1Converter"
json.dump(a, open(sys.argv[2], "w")); json.dump(b, open(sys.argv[3], "w"))
EOF
for bad in swap_kv no_transpose; do
  $oracle import-check "$d/hf" "$d/fl" "$tmp/$bad.json" >"$tmp/log" 2>&1
  [ $? -eq 1 ] && grep -q "content differs" "$tmp/log" && ok || ko "oracle control $bad not detected"
done

# KDA blocks cannot be exported by apriel_hybrid_ssm (no layout name)
d=$tmp/apriel2_text_fixture_apriel2_kda
"$ck" convert "$d/fl" "$d/ssm" --to apriel_hybrid_ssm --quiet 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "^ckconv: error\[export\]: .*KimiDeltaAttention" "$tmp/err" && [ ! -e "$d/ssm" ] &&
  [ -z "$(ls -A "$d" | grep ckconv)" ] && ok || { ko "kda -> apriel_hybrid_ssm must fail at export"; cat "$tmp/err"; }

# llava_hybrid_ssm: no weights for a gdn text decoder (upstream AttributeError)
$py -c 'import json, sys; json.dump(json.load(open(sys.argv[1]))["fast_llm_base_model_input"], open(sys.argv[2], "w"))' \
  "$golden/llava_hybrid_ssm/t_gdn_text_gqa.json" "$tmp/lhs.json"
"$ck" weights -f llava_hybrid_ssm "$tmp/lhs.json" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "^ckconv: error\[weights\]: .*GatedDeltaNetConfig has no add_linear_biases" "$tmp/err" &&
  ok || { ko "llava_hybrid_ssm gdn weights must fail"; cat "$tmp/err"; }

echo "formats: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
