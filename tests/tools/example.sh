#!/bin/sh
# example.sh CKCONV - convert a shipped Fast-LLM config to a Hugging Face
# config.json (both transformers layouts) and back, printing each step.
set -eu
ck=$1
out=${TMPDIR:-/tmp}/ckconv-example
rm -rf "$out"
mkdir -p "$out"
echo "== ckconv formats"
"$ck" formats
echo
echo "== Fast-LLM -> HF (transformers v4 layout): $out/config.json"
"$ck" config export -f llama --layout v4 tests/data/llama_base_model.yaml > "$out/config.json"
cat "$out/config.json"
echo
echo "== Fast-LLM -> HF (transformers v5 layout): $out/config_v5.json"
"$ck" config export -f llama --layout v5 tests/data/llama_base_model.yaml > "$out/config_v5.json"
grep -A 8 rope_parameters "$out/config_v5.json"
echo
echo "== HF -> Fast-LLM (validated, explicit fields only)"
"$ck" config import -f llama --layout v4 "$out/config.json"
echo
echo "== a rejected input: an unknown key"
sed 's/"vocab_size"/"foo_unknown": 1, "vocab_size"/' "$out/config.json" > "$out/bad.json"
"$ck" config import -f llama "$out/bad.json" || echo "(exit status $?)"
