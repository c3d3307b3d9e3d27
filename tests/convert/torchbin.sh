#!/bin/sh
# pytorch_model.bin inputs: small llama checkpoints made by
# tests/tools/make_hf_llama.py (safetensors, numpy) and rewritten by
# tests/tools/make_hf_bin.py with Debian's torch.save (the independent
# writer): single and sharded with an index; fp32, fp16, bf16; shared
# storages (views at storage offsets); tied embeddings saved twice.  Each
# converts to fast_llm and back; the outputs are compared with the same
# model converted from its safetensors (oracle.py same: byte-identical
# tensors) and with what torch.load reads (torch_values.py); a ZIP64
# directory (tests/tools/zip64.py) reads the same.  inspect,
# plan and verify read .bin inputs; safetensors beside .bin are preferred
# and the .bin files reported.
set -u
ck=${1:-build/ckconv}
py=/usr/bin/python3
gen="$py tests/tools/make_hf_llama.py"
bin="$py tests/tools/make_hf_bin.py"
oracle="$py tests/convert/oracle.py"
. "$(dirname "$0")/../tools/testlib.sh"

case_bin() { # name "llama-args" "bin-args"
  name=$1 d=$tmp/$1
  # shellcheck disable=SC2086
  $gen "$d/st" $2 >/dev/null && $bin "$d/st" "$d/bin" $3 || { ko "$name: generators"; return; }
  before=$(tree_hash "$d/bin")
  quiet "$ck" convert "$d/st" "$d/fl_st" --to fast_llm --quiet || { ko "$name: safetensors import"; return; }
  quiet "$ck" convert "$d/bin" "$d/fl" --to fast_llm --quiet || { ko "$name: .bin import"; return; }
  quiet "$ck" convert "$d/fl" "$d/hf2" --to llama --quiet || { ko "$name: export"; return; }
  quiet "$ck" convert "$d/fl_st" "$d/hf2_st" --to llama --quiet || { ko "$name: safetensors export"; return; }
  quiet $oracle same "$d/fl_st" "$d/fl" && ok || ko "$name: fast_llm output differs from the safetensors one"
  # byte-identical output folders, files and all, when no index is read
  # (a sharded input's provenance names its index, so only its tensors
  # are compared, above)
  case "$3" in *--shards*) ;; *)
    diff -r "$d/fl" "$d/fl_st" >/dev/null && diff -r "$d/hf2" "$d/hf2_st" >/dev/null &&
      ok || ko "$name: output folders not byte-identical to the safetensors model's" ;;
  esac
  quiet $oracle same "$d/st" "$d/hf2" && ok || ko "$name: round trip differs from the safetensors model"
  quiet $oracle llama-import "$d/st" "$d/fl" && ok || ko "$name: fast_llm tensors"
  quiet $py tests/convert/torch_values.py "$d/bin" "$d/hf2" && ok || ko "$name: values differ from torch.load"
  quiet "$ck" verify "$d/bin" "$d/fl" && ok || ko "$name: verify .bin against its conversion"
  $py tests/convert/provenance.py "$ck" "$d/bin" "$d/fl" && ok || ko "$name: provenance of the .bin input"
  [ "$(tree_hash "$d/bin")" = "$before" ] && ok || ko "$name: input modified"
}

case_bin f32 "--heads 4 --kv-heads 2" ""
case_bin f16 "--heads 4 --kv-heads 2 --dtype f16" ""
case_bin bf16 "--heads 4 --kv-heads 2 --dtype bf16 --layers 3" ""
case_bin shards "--heads 4 --kv-heads 2 --dtype bf16" "--shards 3"
case_bin shared "--heads 4 --kv-heads 4" "--shared"
case_bin shared_shards "--heads 4 --kv-heads 2 --dtype f16" "--shared --shards 2"
case_bin tied "--heads 4 --kv-heads 2 --tied" "--tied-lm-head --shared"

# the shared case really has views at non-zero storage offsets, sharing
$py - "$tmp/shared/bin/pytorch_model.bin" <<'EOF' && ok || ko "shared: storages not shared"
import sys, torch
sd = torch.load(sys.argv[1], weights_only=True)
q, k = sd["model.layers.0.self_attn.q_proj.weight"], sd["model.layers.0.self_attn.k_proj.weight"]
e = sd["model.embed_tokens.weight"]
ok = q.untyped_storage().data_ptr() == k.untyped_storage().data_ptr() if hasattr(q, "untyped_storage") \
    else q.storage().data_ptr() == k.storage().data_ptr()
sys.exit(0 if ok and k.storage_offset() > 0 and e.storage_offset() == 3 else 1)
EOF

# a ZIP64 central directory (as torch.save writes beyond 4 GiB), same
# local headers and data: read the same
z=$tmp/zip64
cp -r "$tmp/f32/bin" "$z" && $py tests/tools/zip64.py "$tmp/f32/bin/pytorch_model.bin" "$z/pytorch_model.bin" &&
  quiet "$ck" convert "$z" "$z.fl" --to fast_llm --quiet && quiet $oracle same "$tmp/f32/fl_st" "$z.fl" &&
  ok || ko "zip64: not read as the plain archive"

# inspect and plan read a .bin input from its pickle alone
d=$tmp/f32
out=$("$ck" inspect "$d/bin" 2>&1)
case "$out" in *"(1 PyTorch .bin file)"*"coverage ok"*) ok ;; *) ko "inspect .bin: $out" ;; esac
out=$("$ck" inspect --json "$tmp/shards/bin" 2>&1)
echo "$out" | $py -c 'import json,sys; r=json.load(sys.stdin)["inspect"]; sys.exit(0 if r["files"] == 3 and r["weights_format"] == "pytorch_bin" and r["ignored"] is None else 1)' &&
  ok || ko "inspect --json .bin: $out"
"$ck" plan "$d/bin" --to fast_llm >"$tmp/plan_bin" 2>&1 && "$ck" plan "$d/st" --to fast_llm >"$tmp/plan_st" 2>&1 &&
  [ "$(grep -c '<-' "$tmp/plan_bin")" -gt 0 ] &&
  [ "$(grep '<-' "$tmp/plan_bin")" = "$(grep '<-' "$tmp/plan_st")" ] && ok || ko "plan .bin: not the safetensors plan"

# safetensors and .bin side by side: the safetensors are read, the .bin
# files named in inspect, plan and a warning of convert
both=$tmp/both
$bin "$tmp/f32/st" "$both" --keep-safetensors --shards 2 || ko "both: generator"
printf 'not a zip\n' > "$both/pytorch_model-00001-of-00002.bin" # never read
out=$("$ck" inspect "$both" 2>&1)
case "$out" in *"(1 safetensors file)"*"note:     $both: PyTorch weights present but ignored (the safetensors weights are read): "*"pytorch_model-00001-of-00002.bin"*) ok ;;
  *) ko "both: inspect does not report the .bin files: $out" ;; esac
"$ck" plan "$both" --to fast_llm 2>&1 | grep -q "^  \[skipped\] $both: PyTorch weights present but ignored" && ok || ko "both: plan warning"
"$ck" convert "$both" "$tmp/both_fl" --to fast_llm 2>"$tmp/both_err" &&
  grep -q "^ckconv: warning: $both: PyTorch weights present but ignored (the safetensors weights are read): .*pytorch_model.bin.index.json" "$tmp/both_err" &&
  quiet $oracle same "$tmp/f32/fl_st" "$tmp/both_fl" && ok || ko "both: convert warning / output: $(cat "$tmp/both_err")"

# a .bin index entry must name a .bin file; reading order prefers the
# single file over the index
x=$tmp/mixed
cp -r "$tmp/shards/bin" "$x"
sed -i 's/pytorch_model-00002-of-00003.bin/model.safetensors/' "$x/pytorch_model.bin.index.json"
"$ck" convert "$x" "$x.out" --to fast_llm --quiet 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "pytorch_model.bin.index.json: weight_map entry '.*': file 'model.safetensors' is not a .bin file" "$tmp/err" &&
  [ ! -e "$x.out" ] && ok || ko "bin index naming a safetensors file: $(cat "$tmp/err")"

echo "torchbin: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
