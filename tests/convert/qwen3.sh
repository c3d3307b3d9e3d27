#!/bin/sh
# The qwen3 and qwen3_moe formats (issue 14), written in .conv alone.
#
# Real published configs (tests/data/qwen3, provenance in
# tests/data/SOURCES.md) import completed and raw, in both layouts, with
# the numbers tests/convert/qwen3_real.py reads from the JSON; a header-only
# checkpoint at real size (the tensors transformers saves for that config)
# plans to exactly the Fast-LLM tensors computed there.  The settings
# Fast-LLM cannot express are refused at import, naming the key.  Small
# generated checkpoints (tests/tools/make_hf_llama.py) convert both ways
# byte-identically, element by element against tests/convert/oracle.py
# (numpy), tied and untied, bf16, both layouts, with plan / inspect / verify.
#
# usage: qwen3.sh [CKCONV]
set -u
ck=${1:-build/ckconv}
py=/usr/bin/python3
gen="$py tests/tools/make_hf_llama.py"
oracle="$py tests/convert/oracle.py"
real="$py tests/convert/qwen3_real.py"
layers="$py tests/convert/qwen3_layers.py"
data=tests/data/qwen3
. "$(dirname "$0")/../tools/testlib.sh"

fmt_of() { $py -c 'import json, sys; print(json.load(open(sys.argv[1]))["model_type"])' "$1"; }

# ---- real configs: import (completed, raw; v4, v5) and real-size plans
for f in "$data"/*.json; do
  n=$(basename "$f" .json) fm=$(fmt_of "$f")
  for lay in v4 v5; do
    for raw in "" --raw; do
      quiet "$ck" config import -f "$fm" --layout $lay $raw "$f" && cp "$tmp/log" "$tmp/$n.fl.json" &&
        quiet $real imported "$f" "$tmp/$n.fl.json" && ok || ko "$n $lay $raw: import"
    done
  done
  d=$tmp/real_$n
  $real checkpoint "$f" "$d" || { ko "$n: header-only checkpoint"; continue; }
  quiet "$ck" plan "$d" --to fast_llm --json && cp "$tmp/log" "$tmp/$n.plan.json" &&
    quiet $real plan "$f" "$tmp/$n.plan.json" && ok || ko "$n: real-size plan"
  "$ck" inspect "$d" >"$tmp/$n.inspect" 2>&1 && grep -q "^format:   $fm " "$tmp/$n.inspect" && ok ||
    { cat "$tmp/$n.inspect"; ko "$n: inspect"; }
  # the --json reports validate against the report schema
  "$ck" inspect "$d" --json >"$tmp/$n.inspect.json" 2>/dev/null &&
    quiet $py tests/plan/check.py validate docs/ckconv-report.schema.json "$tmp/$n.plan.json" &&
    quiet $py tests/plan/check.py validate docs/ckconv-report.schema.json "$tmp/$n.inspect.json" &&
    ok || ko "$n: --json reports against docs/ckconv-report.schema.json"
done

# ---- what Fast-LLM cannot express: refused at import, the key named
# reject NAME CONFIG FORMAT TEXT EDIT [MODES]: EDIT is python on the dict
# c; MODES the import modes that must refuse it (default: completed, --raw)
reject() {
  name=$1 src=$2 fm=$3 text=$4 edit=$5 modes=${6:-"completed --raw"}
  $py - "$src" "$tmp/$name.json" "$edit" <<'PY' || { ko "$name: edit"; return; }
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
  for raw in $modes; do
    [ "$raw" = completed ] && raw=
    "$ck" config import -f "$fm" $raw "$tmp/$name.json" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "^ckconv: error\[" "$tmp/err" && grep -qF "$text" "$tmp/err"; then
      ok
    else
      ko "$name $raw: must fail naming '$text' (exit $rc): $(cat "$tmp/err")"
    fi
  done
}
moe=$data/qwen3-235b-a22b-instruct-2507.json
dense=$data/qwen3-0.6b.json
reject topk_false "$moe" qwen3_moe "HF key 'norm_topk_prob' is False, but this format requires True" \
  'c["norm_topk_prob"] = False'
# missing: the class default false (completed), the require (raw)
reject topk_missing "$moe" qwen3_moe "norm_topk_prob" 'del c["norm_topk_prob"]'
reject topk_missing_raw "$moe" qwen3_moe "norm_topk_prob: false (top-k weights not renormalised) is not supported" \
  'del c["norm_topk_prob"]' --raw
# ---- per-layer mixes Fast-LLM holds as a pattern decoder: imported, with
# the blocks per layer that tests/convert/qwen3_layers.py computes from
# transformers' rules (dense / MoE layers; sliding / full attention)
# mixed NAME CONFIG FORMAT EDIT
mixed() {
  name=$1 src=$2 fm=$3 edit=$4
  $py - "$src" "$tmp/$name.json" "$edit" <<'PY' || { ko "$name: edit"; return; }
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
  for lay in v4 v5; do
    for raw in "" --raw; do
      quiet "$ck" config import -f "$fm" --layout $lay $raw "$tmp/$name.json" && cp "$tmp/log" "$tmp/$name.fl.json" &&
        quiet $layers imported "$tmp/$name.json" "$tmp/$name.fl.json" && ok || ko "$name $lay $raw: import"
    done
  done
  # exported (both layouts) and read back: the same layers (the
  # canonical spelling)
  quiet "$ck" config export -f "$fm" --layout v5 "$tmp/$name.fl.json" && cp "$tmp/log" "$tmp/$name.hf5.json" &&
    quiet $layers same "$tmp/$name.json" "$tmp/$name.hf5.json" && ok || ko "$name: v5 export keeps the layers"
  quiet "$ck" config export -f "$fm" "$tmp/$name.fl.json" && cp "$tmp/log" "$tmp/$name.hf.json" &&
    quiet $layers same "$tmp/$name.json" "$tmp/$name.hf.json" && ok || ko "$name: export keeps the layers"
  # ... and imports to the same Fast-LLM config
  quiet "$ck" config import -f "$fm" "$tmp/$name.hf.json" && cp "$tmp/log" "$tmp/$name.fl2.json" &&
    cmp -s "$tmp/$name.fl.json" "$tmp/$name.fl2.json" && ok || ko "$name: re-import of the export"
}
mixed mlp_only "$moe" qwen3_moe 'c["mlp_only_layers"] = [0, 5]'
mixed sparse_step "$moe" qwen3_moe 'c["decoder_sparse_step"] = 2'
mixed sparse_step_only "$moe" qwen3_moe 'c.update(decoder_sparse_step=3, mlp_only_layers=[2, 93])'
mixed all_dense "$moe" qwen3_moe 'c.update(num_hidden_layers=3, decoder_sparse_step=4)'
mixed one_dense "$moe" qwen3_moe 'c.update(num_hidden_layers=1, mlp_only_layers=[0])'
mixed sliding "$dense" qwen3 'c.update(use_sliding_window=True, sliding_window=4096, max_window_layers=4)'
mixed sliding_types "$dense" qwen3 \
  'c.update(use_sliding_window=True, sliding_window=512, layer_types=["full_attention"] * 4 + ["sliding_attention", "full_attention"] * 12)'
mixed all_sliding "$dense" qwen3 'c.update(use_sliding_window=True, sliding_window=64, max_window_layers=0)'
# the canonical form of the export: decoder_sparse_step 1 and the dense
# layers listed; layer_types, plus max_window_layers when the sliding
# layers are the last ones
$py - "$tmp" <<'PY' && ok || ko "canonical export of the mixes"
import json, sys
t = sys.argv[1]
def hf(n):
    return json.load(open(f"{t}/{n}.hf.json"))
c = hf("sparse_step")
assert c["decoder_sparse_step"] == 1 and c["mlp_only_layers"] == list(range(0, 94, 2)), c
c = hf("mlp_only")
assert c["decoder_sparse_step"] == 1 and c["mlp_only_layers"] == [0, 5], c
c = hf("sliding")
assert c["use_sliding_window"] is True and c["sliding_window"] == 4096 and c["max_window_layers"] == 4, c
assert c["layer_types"] == ["full_attention"] * 4 + ["sliding_attention"] * 24, c
c = hf("sliding_types")
assert c["use_sliding_window"] is True and c["sliding_window"] == 512 and "max_window_layers" not in c, c
PY
# a uniform decoder of the usual kind stays fixed (the real configs
# above); of the other kind, it is a pattern of one block
$py - "$tmp" <<'PY' && ok || ko "uniform decoders: fixed for MoE / full attention, else a pattern"
import json, sys
t = sys.argv[1]
for name, kind in (("all_dense", "dense"), ("all_sliding", "sliding_attention")):
    d = json.load(open(f"{t}/{name}.fl.json"))["decoder"]
    assert d["type"] == "pattern" and list(d["blocks"]) == [kind] and set(d["pattern"]) == {kind}, d
PY
reject layer_type_unknown "$dense" qwen3 "entry 3 is 'chunked_attention', not a known block kind" \
  'c.update(use_sliding_window=True, sliding_window=64, layer_types=["full_attention"] * 3 + ["chunked_attention"] * 25)'
reject layer_types_short "$dense" qwen3 "layer_types must have one entry per layer" \
  'c.update(use_sliding_window=True, sliding_window=64, layer_types=["full_attention", "sliding_attention"])'
reject sparse_step_zero "$moe" qwen3_moe "range() step must not be zero" 'c["decoder_sparse_step"] = 0'
reject mlp_only_outside "$moe" qwen3_moe "position 94 is outside the list of 94 items" 'c["mlp_only_layers"] = [94]'
reject moe_sliding "$moe" qwen3_moe "use_sliding_window: true" \
  'c.update(use_sliding_window=True, sliding_window=4096, layer_types=["full_attention"] * 94)'
# without head_dim: --raw has no head size; completed, Qwen3Config's 128
reject no_head_dim "$dense" qwen3 "HF config has no key 'head_dim'" 'del c["head_dim"]' --raw
"$ck" config import -f qwen3 "$tmp/no_head_dim.json" | grep -q '"head_size": 128' && ok || ko "no head_dim: completed default 128"
# the window on while every layer is full attention changes nothing: accepted
$py -c 'import json, sys; c = json.load(open(sys.argv[1])); c.update(use_sliding_window=True, sliding_window=4096); json.dump(c, open(sys.argv[2], "w"))' \
  "$dense" "$tmp/window_all_full.json"
quiet "$ck" config import -f qwen3 "$tmp/window_all_full.json" && ok || ko "sliding window over no layer: accepted"

# ---- generated checkpoints, both ways
# NAME FORMAT LAYOUT generator-args...
roundtrip() {
  name=$1 fm=$2 lay=$3
  shift 3
  d=$tmp/$name
  $gen "$d/hf" --format "$fm" "$@" || { ko "$name: generator"; return; }
  before=$(tree_hash "$d/hf")
  quiet "$ck" plan "$d/hf" --to fast_llm && ok || ko "$name: plan"
  quiet "$ck" convert "$d/hf" "$d/fl" --to fast_llm --quiet || { ko "$name: import"; return; }
  quiet $oracle llama-import "$d/hf" "$d/fl" && ok || ko "$name: fast_llm tensors (element-wise)"
  quiet $oracle layout "$d/fl" && ok || ko "$name: fast_llm layout"
  quiet "$ck" convert "$d/fl" "$d/hf2" --to "$fm" --layout "$lay" --quiet || { ko "$name: export"; return; }
  quiet $oracle same "$d/hf" "$d/hf2" && ok || ko "$name: round trip not byte-identical"
  quiet $oracle layout "$d/hf2" && ok || ko "$name: HF layout"
  quiet "$ck" verify "$d/fl" "$d/hf" && grep -q " 0 differing" "$tmp/log" && ok || ko "$name: verify FL HF"
  "$ck" inspect "$d/hf" >"$tmp/ins" 2>&1 && grep -q "^format:   $fm " "$tmp/ins" && ok || ko "$name: inspect"
  # the exported config imports to the same Fast-LLM config
  quiet "$ck" convert "$d/hf2" "$d/fl2" --to fast_llm --quiet &&
    quiet "$ck" verify "$d/fl" "$d/fl2" && grep -q " 0 differing" "$tmp/log" &&
    $py - "$d/fl/metadata.yaml" "$d/fl2/metadata.yaml" <<'PY' && ok || ko "$name: re-import of the export"
import sys
a, b = (open(p).read().split("metadata:")[0] for p in sys.argv[1:])
sys.exit(a != b)
PY
  [ "$(tree_hash "$d/hf")" = "$before" ] && ok || ko "$name: input modified"
}
roundtrip qwen3_untied qwen3 v4 --heads 4 --kv-heads 2 --head-dim 24
roundtrip qwen3_tied qwen3 v4 --heads 4 --kv-heads 2 --head-dim 24 --tied
roundtrip qwen3_bias_bf16 qwen3 v4 --heads 8 --kv-heads 2 --head-dim 8 --bias --dtype bf16 --shards 2
roundtrip moe_untied qwen3_moe v4 --heads 4 --kv-heads 2 --head-dim 24 --experts 4
roundtrip moe_tied_bf16 qwen3_moe v4 --heads 4 --kv-heads 1 --experts 3 --tied --dtype bf16 --shards 3
# the real expert count (Qwen3-30B-A3B, Qwen3-235B-A22B): 256 HF names for layer_1
roundtrip moe_128_experts qwen3_moe v5 --experts 128 --hidden 16 --heads 2 --kv-heads 1 --head-dim 8 --moe-inter 4 --layers 1
# per-layer mixes: dense layers (mlp.gate_proj/up_proj/down_proj of
# intermediate_size) among the MoE ones, and sliding-window layers; the
# exported config has the same layers (tests/convert/qwen3_layers.py)
roundtrip moe_mlp_only qwen3_moe v4 --heads 4 --kv-heads 2 --head-dim 24 --experts 4 --layers 4 --mlp-only-layers 0,3
roundtrip moe_sparse_step qwen3_moe v4 --heads 4 --kv-heads 2 --head-dim 16 --experts 3 --layers 4 --sparse-step 2 --tied --dtype bf16 --shards 2
roundtrip qwen3_sliding qwen3 v4 --heads 4 --kv-heads 2 --head-dim 24 --layers 4 --window 16 --max-window-layers 1
for n in moe_mlp_only moe_sparse_step qwen3_sliding; do
  d=$tmp/$n
  quiet $layers same "$d/hf/config.json" "$d/hf2/config.json" && ok || ko "$n: exported layers"
  grep -q '"type": "pattern"\|type: pattern' "$d/fl/metadata.yaml" && ok || ko "$n: a pattern decoder"
done
# the tensors of a dense layer: Qwen3MoeMLP's, no router, no experts
st=$tmp/moe_mlp_only/hf2/model.safetensors.index.json
grep -q '"model.layers.0.mlp.gate_proj.weight"' "$st" &&
  ! grep -q '"model.layers.0.mlp.gate.weight"' "$st" &&
  grep -q '"model.layers.1.mlp.gate.weight"' "$st" && ok ||
  ko "moe_mlp_only: dense layer 0, MoE layer 1 in the export"
# a pattern whose blocks are not this format's kinds: refused at export
"$ck" convert "$tmp/moe_mlp_only/fl" "$tmp/x_mix" --to qwen3 --quiet 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "error\[export\].*block 'dense' is not a block kind of this format (the blocks must be named full_attention, sliding_attention)" "$tmp/err" &&
  [ ! -e "$tmp/x_mix" ] && ok || ko "moe mix -> qwen3: must be refused: $(cat "$tmp/err")"

# v5 export: rope_parameters, and Qwen3-MoE's experts as num_local_experts
d=$tmp/moe_untied
quiet "$ck" convert "$d/fl" "$d/hf_v5" --to qwen3_moe --layout v5 --quiet &&
  quiet $oracle same "$d/hf" "$d/hf_v5" &&
  $py -c 'import json, sys; c = json.load(open(sys.argv[1])); sys.exit(not ("rope_parameters" in c and c["num_local_experts"] == 4 and "num_experts" not in c and c["norm_topk_prob"] is True))' \
    "$d/hf_v5/config.json" && ok || ko "qwen3_moe v5 export"
quiet "$ck" convert "$d/hf_v5" "$d/fl_v5" --to fast_llm --quiet &&
  quiet "$ck" verify "$d/fl" "$d/fl_v5" && ok || ko "qwen3_moe v5 re-import"
quiet "$ck" convert "$tmp/qwen3_untied/fl" "$tmp/q3_v5" --to qwen3 --layout v5 --quiet &&
  grep -q '"rope_parameters"' "$tmp/q3_v5/config.json" && grep -q '"head_dim": 24' "$tmp/q3_v5/config.json" &&
  ok || ko "qwen3 v5 export"

# a Fast-LLM model the format cannot hold: refused at export, nothing written
for pair in "qwen3_untied qwen3_moe mixture-of-experts" "moe_untied qwen3 dense MLP"; do
  set -- $pair
  "$ck" convert "$tmp/$1/fl" "$tmp/x_$1" --to "$2" --quiet 2>"$tmp/err"
  [ $? -eq 1 ] && grep -q "error\[export\].*$3" "$tmp/err" && [ ! -e "$tmp/x_$1" ] && ok ||
    ko "$1 -> $2: export must be refused: $(cat "$tmp/err")"
done
$gen "$tmp/llama/hf" --heads 4 --kv-heads 2 >/dev/null && quiet "$ck" convert "$tmp/llama/hf" "$tmp/llama/fl" --to fast_llm --quiet
"$ck" convert "$tmp/llama/fl" "$tmp/x_llama" --to qwen3 --quiet 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "error\[export\].*query and key norms" "$tmp/err" && ok || ko "llama -> qwen3: no q/k norms: $(cat "$tmp/err")"

echo "qwen3: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
