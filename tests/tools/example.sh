#!/bin/sh
# example.sh CKCONV - a real conversion, end to end: generate a small
# Hugging Face Llama checkpoint (numpy, tests/tools/make_hf_llama.py),
# convert it to Fast-LLM's fast_llm layout and back, verify both, and
# convert a shipped Fast-LLM config to config.json in both transformers
# layouts.
set -eu
ck=$1
out=${TMPDIR:-/tmp}/ckconv-example
rm -rf "$out"
mkdir -p "$out"
echo "== a small HF Llama checkpoint (GQA 8/2 heads, 4 layers, 2 shards): $out/hf"
/usr/bin/python3 tests/tools/make_hf_llama.py "$out/hf" --hidden 256 --heads 8 \
  --kv-heads 2 --head-dim 32 --layers 4 --vocab 1024 --inter 688 --shards 2
"$ck" inspect "$out/hf"
echo
echo "== plan: what the conversion will write, from the headers only (first and last lines)"
"$ck" plan "$out/hf" --to fast_llm > "$out/plan.txt"
head -4 "$out/plan.txt"
echo "  ..."
tail -3 "$out/plan.txt"
echo
echo "== HF -> fast_llm: $out/fast_llm"
"$ck" convert "$out/hf" "$out/fast_llm" --to fast_llm
ls -l "$out/fast_llm"
echo
echo "== fast_llm -> HF (transformers v5 layout, bf16): $out/hf_bf16"
"$ck" convert "$out/fast_llm" "$out/hf_bf16" --to llama --layout v5 --dtype bf16
echo
echo "== verify: names mapped through the llama plan, values compared"
"$ck" verify "$out/fast_llm" "$out/hf"
"$ck" verify "$out/fast_llm" "$out/hf_bf16"
echo
echo "== config only: a shipped Fast-LLM config -> config.json (v4 layout)"
"$ck" config export -f llama --layout v4 tests/data/llama_base_model.yaml
echo
echo "== a rejected input: an HF config with an unknown key"
sed 's/"vocab_size"/"foo_unknown": 1, "vocab_size"/' "$out/hf/config.json" > "$out/bad.json"
"$ck" config import -f llama "$out/bad.json" || echo "(exit status $?)"
