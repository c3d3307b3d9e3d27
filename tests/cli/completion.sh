#!/bin/sh
# completion.sh CKCONV SHARED - the command-line side of the transformers
# completion (docs/transformers.md): config import with and without --raw,
# --print-completed against upstream's emulated dicts, coverage advice,
# --ignore-hf-key, the model_type warning and the usage errors.
set -u
ck=$1
shared=${2:-tests/data/shared}
py=${PYTHON:-/usr/bin/python3}
real=$shared/realdata/hf-configs
verdicts=$shared/realdata/upstream-verdicts
. "$(dirname "$0")/../tools/testlib.sh"
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }

# the README walk-through: completed import accepts, --raw fails as upstream
"$ck" config import -f llama tests/data/llama-2-7b-hf_config.json > "$tmp/out" 2> "$tmp/err" &&
  grep -q '"head_size": 128' "$tmp/out" && [ ! -s "$tmp/err" ] && ok || ko "completed import"
"$ck" config import -f llama --raw tests/data/llama-2-7b-hf_config.json > "$tmp/out" 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "^ckconv: error\[import_config\]: .*'attention_bias'" "$tmp/err" && ok || ko "--raw import"

# --print-completed is transformers' dict, byte for byte after sorting
for layout in v4 v5; do
  "$ck" config import -f llama --layout $layout --print-completed tests/data/llama-2-7b-hf_config.json > "$tmp/got" &&
    $py -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['pairs']['llama']['transformers_emulated_input'][sys.argv[2]]['dict'], indent=2, sort_keys=True))" \
      "$verdicts/llama-2-7b-hf.json" $layout > "$tmp/want" &&
    cmp -s "$tmp/got" "$tmp/want" && ok || ko "--print-completed $layout"
done

# coverage: every unknown key, advice, and --ignore-hf-key
"$ck" config import -f llama "$real/llama-2-7b_mlc-preset.json" > "$tmp/out" 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "'context_window_size' (value: 2048)" "$tmp/err" &&
  grep -q "'prefill_chunk_size' (value: 2048)" "$tmp/err" &&
  grep -q "MLC engine settings" "$tmp/err" && ok || ko "MLC advice"
"$ck" config import -f llama --ignore-hf-key context_window_size \
  --ignore-hf-key=prefill_chunk_size "$real/llama-2-7b_mlc-preset.json" > /dev/null 2>&1 &&
  ok || ko "--ignore-hf-key accepts"
"$ck" config import -f llama "$real/llama-3.2-1b_finetune_bnb8bit.json" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "quantized checkpoints are not supported" "$tmp/err" && ok || ko "quantization advice"

# the deliberate difference: Mixtral head_dim null imports
"$ck" config import -f mixtral --print-completed "$real/mixtral-8x7b-v0.1.json" | grep -q '"head_dim": null' &&
  "$ck" config import -f mixtral "$real/mixtral-8x7b-v0.1.json" | grep -q '"head_size": 128' &&
  ok || ko "mixtral head_dim null"

# a foreign model_type is read through the class, with a warning
echo '{"model_type": "gpt2", "architectures": ["LlamaForCausalLM"]}' > "$tmp/mt.json"
"$ck" config import -f llama "$tmp/mt.json" > /dev/null 2> "$tmp/err" &&
  grep -q "^ckconv: warning: the config's model_type is 'gpt2'" "$tmp/err" && ok || ko "model_type warning"
"$ck" config import -f llama --raw "$tmp/mt.json" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "error\[model_type_check\]" "$tmp/err" && ok || ko "--raw model_type_check"

# malformed input for the class
echo '{"hidden_size": "big"}' > "$tmp/big.json"
"$ck" config import -f llama "$tmp/big.json" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "^ckconv: error\[transformers_completion\]: LlamaConfig" "$tmp/err" && ok || ko "completion error"

# usage errors
"$ck" config import -f llama --ignore-hf-key 2> /dev/null; [ $? -eq 2 ] && ok || ko "--ignore-hf-key without KEY"
"$ck" config export -f llama --ignore-hf-key x tests/data/llama_base_model.yaml > /dev/null 2>&1; [ $? -eq 2 ] && ok || ko "export --ignore-hf-key"
"$ck" config import -f llama --raw --print-completed tests/data/llama-2-7b-hf_config.json > /dev/null 2>&1; [ $? -eq 2 ] && ok || ko "--raw --print-completed"

echo "completion cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
