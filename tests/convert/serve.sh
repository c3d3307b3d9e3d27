#!/bin/sh
# An output people can serve, and a command that tells the truth: the HF
# config keys beyond the mapping come back on export and the dtype is
# stated; a setting the target cannot hold is refused; old buffers and
# bookkeeping keys are taken; --to defaults; progress in batch logs; long
# problem lists summarised; verify after a --dtype cast (rounded compare,
# overflow counted, configs compared).  Expectations come from the
# generator's own config, Python's json and numpy, never from ckconv.
set -u
ck=${1:-build/ckconv}
py=/usr/bin/python3
gen="$py tests/tools/make_hf_llama.py"
chk="$py tests/plan/check.py"
. "$(dirname "$0")/../tools/testlib.sh"

# ---- ckconv formats lists fast_llm too
"$ck" formats >"$tmp/formats" && grep -q "^fast_llm  " "$tmp/formats" && ok || ko "formats lists fast_llm"

# ---- the extra keys of config.json survive HF -> fast_llm -> HF
$gen "$tmp/hf" --format mistral >/dev/null
$py - "$tmp/hf/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c.update(bos_token_id=1, eos_token_id=[2, 7], pad_token_id=None,
         initializer_range=0.02, unsloth_version="2024.8",
         _attn_implementation_autoset=True)
json.dump(c, open(p, "w"), indent=2)
PY
# bookkeeping keys need no --ignore-hf-key
"$ck" convert "$tmp/hf" "$tmp/fl" --quiet && ok || ko "HF -> fast_llm (no --to, bookkeeping keys)"
[ -f "$tmp/fl/metadata.yaml" ] && ok || ko "no --to on an HF input writes fast_llm"
# no --to on a fast_llm checkpoint ckconv made: the format it came from
"$ck" convert "$tmp/fl" "$tmp/hf2" --quiet && ok || ko "fast_llm -> HF (no --to)"
$py tests/convert/config_roundtrip.py "$tmp/hf/config.json" "$tmp/hf2/config.json" v4 &&
  ok || ko "config.json comes back whole (same format and layout)"
# to v5: the transformers metadata keys come back, the v4-only ones do not,
# and the dtype key is v5's
"$ck" convert "$tmp/fl" "$tmp/hf5" --to mistral --layout v5 --dtype bf16 --quiet &&
$py - "$tmp/hf/config.json" "$tmp/hf5/config.json" <<'PY' && ok || ko "v5 export: metadata keys restored, dtype stated"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("bos_token_id", "eos_token_id", "pad_token_id", "initializer_range",
          "max_position_embeddings", "use_cache"):
    assert b.get(k, "absent") == a[k], (k, b.get(k, "absent"))
assert b["dtype"] == "bfloat16" and "torch_dtype" not in b, b
assert "rope_scaling" not in b and b["sliding_window"] == 4096, b
PY
# a fast_llm checkpoint that records no HF format: --to is needed
cp -r "$tmp/fl" "$tmp/fl_bare"
$py - "$tmp/fl_bare/metadata.yaml" <<'PY'
import sys, yaml
p = sys.argv[1]
m = yaml.safe_load(open(p))
del m["metadata"]["ckconv"]
open(p, "w").write(yaml.safe_dump(m))
PY
"$ck" convert "$tmp/fl_bare" "$tmp/o_bare" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "records no HF format.*give --to FORMAT" "$tmp/err" && [ ! -e "$tmp/o_bare" ] &&
  ok || { cat "$tmp/err"; ko "no recorded format: usage error"; }
# upstream-made checkpoints (no record) still export, with the dtype stated
"$ck" convert "$tmp/fl_bare" "$tmp/o_bare" --to mistral --quiet &&
  $py -c "import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if c['torch_dtype'] == 'float32' and 'bos_token_id' not in c else 1)" "$tmp/o_bare/config.json" &&
  ok || ko "export without a record: dtype only"

# ---- a sliding window llama cannot hold is refused, not dropped
"$ck" convert "$tmp/fl" "$tmp/o_llama" --to llama 2>"$tmp/err"
[ $? -eq 1 ] && [ ! -e "$tmp/o_llama" ] &&
  grep -q "^ckconv: error\[export\]: .*window_size is set, and this format has no sliding window: export to mistral" "$tmp/err" &&
  ok || { cat "$tmp/err"; ko "sliding window refused for llama"; }

# ---- progress: plain lines with done / total, rate and ETA in a batch log
CKCONV_PROGRESS_SECONDS=0 "$ck" convert "$tmp/hf" "$tmp/o_prog" --to fast_llm 2>"$tmp/err"
grep -Eq "^ckconv: [0-9.]+ / [0-9.]+ MiB \( *[0-9]+%\), [0-9]+ MiB/s, ETA [0-9:]+$" "$tmp/err" &&
  grep -Eq "^ckconv: ([0-9.]+) / \1 MiB \(100%\), [0-9]+ MiB/s, took [0-9:]+$" "$tmp/err" &&
  ! grep -q "$(printf '\r')" "$tmp/err" && ok || { cat "$tmp/err"; ko "progress lines"; }
# at the default interval a small conversion prints the final line only
"$ck" convert "$tmp/hf" "$tmp/o_prog2" --to fast_llm 2>"$tmp/err"
[ "$(grep -c 'MiB/s' "$tmp/err")" = 1 ] && grep -q "(100%)" "$tmp/err" && ok || { cat "$tmp/err"; ko "one line per interval"; }

# ---- a long list of problems is summarised, --json has them all
$gen "$tmp/llama" --layers 3 >/dev/null
drops=$($py -c "
print(' '.join(f'drop:model.layers.{l}.{t}.weight' for l in range(3)
      for t in ('self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj',
                'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj')))")
# shellcheck disable=SC2086
$chk mutate "$tmp/llama" "$tmp/many" $drops
"$ck" plan "$tmp/many" --to fast_llm >"$tmp/plan" 2>/dev/null
[ "$(grep -c '^  \[missing\]' "$tmp/plan")" = 10 ] && grep -q "^problems: 21$" "$tmp/plan" &&
  grep -q "^  \.\.\. and 11 more; --json for all$" "$tmp/plan" && ok || { cat "$tmp/plan"; ko "plan summarises"; }
"$ck" convert "$tmp/many" "$tmp/o_many" --to fast_llm 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "; \.\.\. and 11 more; --json for all" "$tmp/err" && ok || { cat "$tmp/err"; ko "convert error summarises"; }
"$ck" plan "$tmp/many" --to fast_llm --json >"$tmp/many.json" 2>/dev/null
$py -c "import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))['problems']) == 21 else 1)" "$tmp/many.json" &&
  ok || ko "--json lists every problem"

# ---- a cast that overflows: warned with the count; verify passes, counts it
$gen "$tmp/big" >/dev/null
$py - "$tmp/big/model.safetensors" <<'PY'
# 5 values of the first MLP weight near F16's range (65504): 1e5, -7e4,
# 3e38, 65520 (rounds up to inf), and 65519 (rounds down to 65504); and 2
# that round to zero
import json, struct, sys
import numpy as np
p = sys.argv[1]
raw = bytearray(open(p, "rb").read())
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
b, e = h["model.layers.0.mlp.down_proj.weight"]["data_offsets"]
a = np.frombuffer(raw, dtype=np.float32, count=(e - b) // 4, offset=8 + n + b).copy()
a[:5] = [1e5, -7e4, 3e38, 65520.0, 65519.0]
a[5:7] = [1e-9, -1e-10]  # below half F16's smallest subnormal: to zero
raw[8 + n + b:8 + n + e] = a.tobytes()
open(p, "wb").write(raw)
PY
"$ck" convert "$tmp/big" "$tmp/big16" --to fast_llm --dtype fp16 2>"$tmp/err" &&
  grep -q "^ckconv: warning: the cast to F16 sent 4 values beyond its range to infinity$" "$tmp/err" &&
  ok || { cat "$tmp/err"; ko "overflow warning with the count"; }
# a staged run (--resume) says it too
"$ck" convert "$tmp/big" "$tmp/big16r" --to fast_llm --dtype fp16 --resume 2>"$tmp/err" &&
  grep -q "^ckconv: warning: the cast to F16 sent 4 values beyond its range to infinity$" "$tmp/err" &&
  ok || { cat "$tmp/err"; ko "overflow warning from a staged run"; }
"$ck" verify "$tmp/big16" "$tmp/big" >"$tmp/v" 2>&1 &&
  grep -q "0 bit-identical, [0-9]* equal once rounded to the narrower dtype, 0 within the dtype tolerance, 0 differing" "$tmp/v" &&
  grep -q "^verify: the cast sent 4 values to inf and [0-9]* to zero$" "$tmp/v" &&
  grep -q "^verify: configs agree" "$tmp/v" && ok || { cat "$tmp/v"; ko "verify after a cast"; }
"$ck" verify "$tmp/big16" "$tmp/big" --json >"$tmp/v.json" 2>/dev/null &&
$py - "$tmp/v.json" "$tmp/big/model.safetensors" <<'PY' && ok || ko "verify --json counts add up"
import json, struct, sys
import numpy as np
v = json.load(open(sys.argv[1]))["verify"]
# independent count of what rounding to fp16 sends to zero: numpy's cast
raw = open(sys.argv[2], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n]); h.pop("__metadata__", None)
zero = 0
for name, e in h.items():
    a = np.frombuffer(raw[8 + n + e["data_offsets"][0]:8 + n + e["data_offsets"][1]], dtype=np.float32)
    with np.errstate(over="ignore"):
        zero += int(((a != 0) & (a.astype(np.float16) == 0)).sum())
assert v["overflow_to_inf"] == 4, v
assert zero >= 2 and v["underflow_to_zero"] == zero, (v, zero)
assert v["compared"] == v["identical"] + v["rounded"] + v["within_tolerance"] + v["differing"] == len(h), v
assert v["unmatched"] == 0 and v["config"].startswith("agree"), v
PY
# fp16 against bf16 (no cast between them): the tolerance rule, not the
# rounded compare
"$ck" convert "$tmp/hf" "$tmp/fl_b16" --dtype bf16 --quiet &&
  "$ck" convert "$tmp/fl" "$tmp/hf_f16" --dtype fp16 --quiet &&
  "$ck" verify "$tmp/fl_b16" "$tmp/hf_f16" >"$tmp/v" 2>&1 &&
  grep -q "0 bit-identical, 0 equal once rounded to the narrower dtype, [1-9][0-9]* within the dtype tolerance, 0 differing" "$tmp/v" &&
  ok || { cat "$tmp/v"; ls "$tmp"; ko "verify fp16 against bf16"; }
# one element changed after the cast: verify names the tensor
$py - "$tmp/big16" <<'PY'
import json, os, struct, sys
d = sys.argv[1]
f = [x for x in os.listdir(d) if x.endswith(".safetensors")][0]
p = os.path.join(d, f)
raw = bytearray(open(p, "rb").read())
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
b = h["decoder.0.mixer.query.weight/weights"]["data_offsets"][0]
raw[8 + n + b + 20] ^= 0x40
open(p, "wb").write(raw)
PY
"$ck" verify "$tmp/big16" "$tmp/big" >"$tmp/v" 2>&1
[ $? -eq 1 ] && grep -q "q_proj.weight. differs at element 10 (F16 vs F32, not the wider one rounded" "$tmp/v" &&
  ok || { cat "$tmp/v"; ko "verify finds a changed element"; }
# configs are compared: a changed epsilon is a difference
cp -r "$tmp/hf2" "$tmp/hf_eps"
sed -i 's/"rms_norm_eps": 1e-05/"rms_norm_eps": 1e-06/' "$tmp/hf_eps/config.json"
"$ck" verify "$tmp/fl" "$tmp/hf_eps" >"$tmp/v" 2>&1
[ $? -eq 1 ] && grep -q "^verify: configs differ: rms_norm_eps is 1e-05 in .* and 1e-06 in " "$tmp/v" &&
  ok || { cat "$tmp/v"; ko "verify compares configs"; }

# ---- the files around the weights are carried both ways, byte for byte;
# weights of another kind, folders and links out of the folder are not
$gen "$tmp/around" >/dev/null
printf '{"version": "1.0", "model": {"type": "BPE"}}' >"$tmp/around/tokenizer.json"
printf '{"bos_token_id": 1, "eos_token_id": 2}' >"$tmp/around/generation_config.json"
head -c 3000 /dev/urandom >"$tmp/around/tokenizer.model"
printf '{%% for m in messages %%}{{ m.content }}{%% endfor %%}' >"$tmp/around/chat_template.jinja"
printf 'not a torch file' >"$tmp/around/pytorch_model.bin"
printf 'nor this' >"$tmp/around/weights.pt"
mkdir "$tmp/around/original" && printf x >"$tmp/around/original/params.json"
printf 'secret' >"$tmp/outside.txt" && ln -s "$tmp/outside.txt" "$tmp/around/link.txt"
before=$(tree_hash "$tmp/around")
"$ck" plan "$tmp/around" >"$tmp/plan" &&
  [ "$(grep -c '^carried: ' "$tmp/plan")" = 4 ] && grep -q "^carried: tokenizer.model (2.9 KiB)$" "$tmp/plan" &&
  grep -q "^  \[skipped\] .*/around: PyTorch weights present but ignored (the safetensors weights are read): pytorch_model.bin$" "$tmp/plan" &&
  [ "$(grep -c pytorch_model.bin "$tmp/plan")" = 1 ] &&
  grep -q "^  \[skipped\] not carried: weights.pt: weights of another kind" "$tmp/plan" &&
  grep -q "^  \[skipped\] not carried: original: a folder" "$tmp/plan" &&
  grep -q "^  \[skipped\] not carried: link.txt: a symbolic link out of the input folder" "$tmp/plan" &&
  ok || { cat "$tmp/plan"; ko "plan lists the files carried and left"; }
carried_same() {
  for f in tokenizer.json generation_config.json tokenizer.model chat_template.jinja; do
    cmp -s "$tmp/around/$f" "$tmp/around_fl/$f" && cmp -s "$tmp/around/$f" "$tmp/around_hf/$f" || return 1
  done
}
"$ck" convert "$tmp/around" "$tmp/around_fl" 2>"$tmp/err" &&
  grep -q "^ckconv: warning: .*PyTorch weights present but ignored.*: pytorch_model.bin$" "$tmp/err" &&
  "$ck" convert "$tmp/around_fl" "$tmp/around_hf" --quiet &&
  carried_same && [ ! -e "$tmp/around_hf/pytorch_model.bin" ] && [ ! -e "$tmp/around_hf/weights.pt" ] && [ ! -e "$tmp/around_hf/link.txt" ] &&
  [ ! -e "$tmp/around_fl/original" ] && ok || ko "carried both ways, byte for byte"
[ "$(tree_hash "$tmp/around")" = "$before" ] && ok || ko "input untouched"
"$ck" plan "$tmp/around" --json >"$tmp/around.json" &&
  $py -c "import json,sys; c=json.load(open(sys.argv[1]))['plan']['carried']; sys.exit(0 if [x['name'] for x in c] == ['chat_template.jinja', 'generation_config.json', 'tokenizer.json', 'tokenizer.model'] and c[3]['bytes'] == 3000 else 1)" "$tmp/around.json" &&
  ok || ko "plan --json lists the carried files"

# ---- --max-shard-size: files split by bytes with Hugging Face's rule
# (recomputed here from the plan's tensors in export order), and what
# convert writes is what plan predicted
"$ck" plan "$tmp/hf" --to fast_llm --max-shard-size 40KB --json >"$tmp/shard.json" &&
"$ck" convert "$tmp/hf" "$tmp/o_shard" --to fast_llm --max-shard-size 40KB --quiet &&
$py - "$tmp/shard.json" "$tmp/o_shard" 40000 <<'PY' && ok || ko "--max-shard-size split"
import json, os, sys
plan = json.load(open(sys.argv[1]))["plan"]
limit = int(sys.argv[3])
files, size = [[]], 0
for t in plan["tensors"]:
    if files[-1] and size + t["nbytes"] > limit:
        files.append([])
        size = 0
    files[-1].append(t["name"])
    size += t["nbytes"]
got = {}
for t in plan["tensors"]:
    got.setdefault(t["file"], []).append(t["name"])
want = {f"model_{k}.safetensors": names for k, names in enumerate(files)}
assert got == want, (sorted(got), sorted(want))
assert len(want) > 2
written = sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".safetensors"))
assert written == sorted(want), written
for f in plan["files"]:
    assert os.path.getsize(os.path.join(sys.argv[2], f["name"])) == f["size"], f
PY
"$ck" convert "$tmp/hf" "$tmp/o_shard2" --max-shard-size 40KB --parameters-per-file 5000000 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "give one" "$tmp/err" && ok || ko "--max-shard-size with --parameters-per-file"
"$ck" convert "$tmp/hf" "$tmp/o_shard2" --max-shard-size 5XB 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "needs a size such as 5GB" "$tmp/err" && ok || ko "--max-shard-size bad value"

echo "serve: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
