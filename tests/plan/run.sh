#!/bin/sh
# `ckconv plan` and --json: plan finds each problem class on small generated
# checkpoints whose safetensors files hold headers only (data cut away, so
# no tensor data can have been read); its predicted files, offsets and
# sizes equal what `convert` then writes (tests/plan/check.py parses the
# written headers); convert refuses the same inputs with the same problems;
# --json output of plan, inspect, verify and errors validates against
# docs/ckconv-report.schema.json.
set -u
ck=${1:-build/ckconv}
py=/usr/bin/python3
gen="$py tests/tools/make_hf_llama.py"
chk="$py tests/plan/check.py"
schema=docs/ckconv-report.schema.json
. "$(dirname "$0")/../tools/testlib.sh"
valid() { $chk validate $schema "$1" >"$tmp/v.log" 2>&1 && ok || { cat "$tmp/v.log"; ko "$2: schema"; }; }

$gen "$tmp/untied" --heads 4 --kv-heads 2 >/dev/null || ko generator
$gen "$tmp/tied" --heads 4 --kv-heads 2 --tied >/dev/null || ko generator

# ---- each problem class, headers only: exit 1, named, schema-valid
problem() { # name kind grep-text src ops...
  name=$1 kind=$2 text=$3 src=$4; shift 4
  d=$tmp/p_$name
  $chk mutate "$src" "$d" "$@" truncate || { ko "$name: mutate"; return; }
  "$ck" plan "$d" --to fast_llm --json >"$tmp/$name.json" 2>"$tmp/$name.err"
  [ $? -eq 1 ] && ok || ko "$name: exit status"
  valid "$tmp/$name.json" "$name"
  $py - "$tmp/$name.json" "$kind" "$text" <<'PY' && ok || ko "$name: problem not reported"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if not r["ok"] and any(p["kind"] == sys.argv[2] and sys.argv[3] in p["message"]
                                  for p in r["problems"]) else 1)
PY
  # the text form lists it too
  "$ck" plan "$d" --to fast_llm >"$tmp/$name.txt" 2>/dev/null
  grep -q "\[$kind\]" "$tmp/$name.txt" && ok || ko "$name: text form"
  # inspect finds the same problem (exit 1, listed in text and --json)
  "$ck" inspect "$d" >"$tmp/$name.ins" 2>/dev/null
  [ $? -eq 1 ] && { grep -q "\[$kind\]" "$tmp/$name.ins" ||
    grep -qF "$text" "$tmp/$name.ins"; } && ok || ko "$name: inspect"
  "$ck" inspect "$d" --json >"$tmp/$name.ins.json" 2>/dev/null
  [ $? -eq 1 ] || ko "$name: inspect --json exit status"
  valid "$tmp/$name.ins.json" "$name: inspect --json"
}
problem missing missing "missing tensor 'model.layers.1.mlp.up_proj.weight'" "$tmp/untied" drop:model.layers.1.mlp.up_proj.weight
problem extra unexpected "unexpected tensor 'extra.weight'" "$tmp/untied" dup:extra.weight=model.norm.weight
problem shape shape "'model.layers.0.mlp.down_proj.weight' has shape [96, 64]" "$tmp/untied" transpose:model.layers.0.mlp.down_proj.weight
problem tied_lm tie "tied config but lm_head.weight present" "$tmp/tied" dup:lm_head.weight=model.layers.0.self_attn.q_proj.weight
problem untied_nolm tie "untied config but lm_head.weight missing" "$tmp/untied" drop:lm_head.weight
problem config config "unknown key 'foo_bar'" "$tmp/untied" key:foo_bar=3

# all at once: five classes in one run (the data cut away is one)
d=$tmp/p_all
$chk mutate "$tmp/untied" "$d" drop:lm_head.weight dup:extra.weight=model.norm.weight \
  transpose:model.layers.0.mlp.down_proj.weight key:foo_bar=3 truncate
"$ck" plan "$d" --to fast_llm --json >"$tmp/all.json" 2>/dev/null
valid "$tmp/all.json" all
$py - "$tmp/all.json" <<'PY' && ok || ko "all problems at once"
import json, sys
kinds = sorted(p["kind"] for p in json.load(open(sys.argv[1]))["problems"])
sys.exit(0 if kinds == ["config", "shape", "tie", "truncated", "unexpected"] else print(kinds) or 1)
PY
# a truncated shard (an interrupted download): plan and inspect say so,
# naming the file and both sizes
$chk mutate "$tmp/untied" "$tmp/p_trunc" truncate
"$ck" plan "$tmp/p_trunc" --to fast_llm >"$tmp/trunc.txt" 2>/dev/null
[ $? -eq 1 ] && grep -q "^  \[truncated\] .*/model.safetensors: truncated: [0-9]* bytes on disk, but its header describes [0-9]*" "$tmp/trunc.txt" &&
  ok || { cat "$tmp/trunc.txt"; ko "plan: truncated shard"; }
"$ck" inspect "$tmp/p_trunc" >"$tmp/trunc.ins" 2>/dev/null
[ $? -eq 1 ] && grep -q "\[truncated\]" "$tmp/trunc.ins" && ok || ko "inspect: truncated shard"
# convert refuses it with every problem, before writing anything
"$ck" convert "$tmp/p_missing" "$tmp/o_bad" --to fast_llm --quiet 2>"$tmp/err"
[ $? -eq 1 ] && [ ! -e "$tmp/o_bad" ] && ok || ko "convert: refuses a bad checkpoint"
$chk mutate "$tmp/untied" "$tmp/c_all" drop:lm_head.weight dup:extra.weight=model.norm.weight key:foo_bar=3
"$ck" convert "$tmp/c_all" "$tmp/o_bad" --to fast_llm --quiet 2>"$tmp/err"
grep -q "unknown key 'foo_bar'" "$tmp/err" && grep -q "untied config but lm_head.weight missing" "$tmp/err" &&
  grep -q "unexpected tensor 'extra.weight'" "$tmp/err" && ok || { cat "$tmp/err"; ko "convert: all problems"; }
# convert compares a tied-but-present head with the embeddings
$chk mutate "$tmp/tied" "$tmp/c_same" dup:lm_head.weight=model.embed_tokens.weight
# byte-identical: dropped with a warning, the output is the tied model's
"$ck" convert "$tmp/c_same" "$tmp/o_same" --to fast_llm 2>"$tmp/err" &&
  grep -q "^ckconv: warning: dropped 'lm_head.weight': .*byte-identical to it" "$tmp/err" &&
  "$ck" convert "$tmp/tied" "$tmp/o_tied" --to fast_llm --quiet &&
  $py tests/convert/oracle.py same "$tmp/o_tied" "$tmp/o_same" >/dev/null &&
  ok || { cat "$tmp/err"; ko "convert: tied head identical"; }
"$ck" convert "$tmp/c_same" "$tmp/o_same_j" --to fast_llm --json >"$tmp/w.json" 2>/dev/null &&
  valid "$tmp/w.json" "convert --json with a warning" &&
  $py -c "import json,sys; w=json.load(open(sys.argv[1]))['warnings']; sys.exit(0 if [x['kind'] for x in w] == ['dropped'] and w[0]['tensor'] == 'lm_head.weight' else 1)" "$tmp/w.json" &&
  ok || ko "convert --json lists the dropped head"
# plan reads no data: it says what convert will decide, as a warning
"$ck" plan "$tmp/c_same" --to fast_llm >"$tmp/plan_same" &&
  grep -q "^  \[tie\] 'lm_head.weight' is present though the config ties" "$tmp/plan_same" &&
  ok || ko "plan: tied head present, same shape"
$chk mutate "$tmp/tied" "$tmp/c_diff" dup:lm_head.weight=model.layers.0.self_attn.q_proj.weight
"$ck" convert "$tmp/c_diff" "$tmp/o_bad" --to fast_llm --quiet 2>"$tmp/err"
grep -q "tied config but lm_head.weight present.*differs from 'model.embed_tokens.weight'" "$tmp/err" && ok || { cat "$tmp/err"; ko "convert: tied head differs"; }

# ---- predictions equal what convert writes (both directions, sharded, cast)
predict() { # name src dst-format extra-args...
  name=$1 src=$2 to=$3; shift 3
  hdr=$tmp/h_$name
  $chk mutate "$src" "$hdr" sparse   # the plan sees headers only
  CK_MIN_PARAMETERS_PER_FILE_OK=1 "$ck" plan "$hdr" --to "$to" --json "$@" >"$tmp/$name.json" 2>"$tmp/err" &&
    ok || { cat "$tmp/err"; ko "$name: plan"; return; }
  valid "$tmp/$name.json" "$name"
  CK_MIN_PARAMETERS_PER_FILE_OK=1 "$ck" convert "$src" "$tmp/o_$name" --to "$to" --quiet "$@" 2>"$tmp/err" ||
    { cat "$tmp/err"; ko "$name: convert"; return; }
  $chk layout "$tmp/$name.json" "$tmp/o_$name" >"$tmp/err" && ok || { cat "$tmp/err"; ko "$name: layout"; }
}
predict import "$tmp/untied" fast_llm
predict import_tied "$tmp/tied" fast_llm --dtype bf16
predict import_sharded "$tmp/untied" fast_llm --parameters-per-file 20000
"$ck" convert "$tmp/untied" "$tmp/fl" --to fast_llm --quiet
predict_fl() { # name dst-format args...: a fast_llm input (data intact; header-only read)
  name=$1 to=$2; shift 2
  CK_MIN_PARAMETERS_PER_FILE_OK=1 "$ck" plan "$tmp/fl" --to "$to" --json "$@" >"$tmp/$name.json" 2>"$tmp/err" &&
    ok || { cat "$tmp/err"; ko "$name: plan"; return; }
  valid "$tmp/$name.json" "$name"
  CK_MIN_PARAMETERS_PER_FILE_OK=1 "$ck" convert "$tmp/fl" "$tmp/o_$name" --to "$to" --quiet "$@" 2>"$tmp/err" ||
    { cat "$tmp/err"; ko "$name: convert"; return; }
  $chk layout "$tmp/$name.json" "$tmp/o_$name" >"$tmp/err" && ok || { cat "$tmp/err"; ko "$name: layout"; }
}
predict_fl export llama
predict_fl export_v5_sharded llama --layout v5 --parameters-per-file 30000 --dtype fp16

# ---- peak memory: two 2 MiB buffers per thread of the default write path
"$ck" plan "$tmp/untied" --to fast_llm --jobs 1 --json >"$tmp/j1.json" &&
"$ck" plan "$tmp/untied" --to fast_llm --jobs 4 --json >"$tmp/j4.json" &&
$py -c "import json,sys; m=[json.load(open(p))['plan']['totals']['peak_memory_bytes'] for p in sys.argv[1:]]; sys.exit(0 if m == [4 << 20, 16 << 20] else print(m) or 1)" "$tmp/j1.json" "$tmp/j4.json" && ok || ko "plan peak memory follows --jobs"

# ---- --json of inspect, verify and errors
"$ck" convert "$tmp/untied" "$tmp/cj" --to fast_llm --quiet --json >"$tmp/c.json" &&
  valid "$tmp/c.json" convert || ko "convert --json"
$py -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['ok'] and r['command'] == 'convert' and r['convert']['to'] == 'fast_llm' else 1)" "$tmp/c.json" && ok || ko "convert --json content"
"$ck" convert "$tmp/untied" "$tmp/cj" --to fast_llm --quiet --json >"$tmp/c2.json" 2>/dev/null
[ $? -eq 1 ] || ko "convert --json error exit status"
valid "$tmp/c2.json" "convert --json error (output exists)"
"$ck" convert "$tmp/untied" "$tmp/cj2" --dtype fp8 --json >"$tmp/c3.json" 2>/dev/null
[ $? -eq 2 ] || ko "convert --json usage exit status"
valid "$tmp/c3.json" "convert --json usage error"
"$ck" inspect "$tmp/untied" --json >"$tmp/i.json" && valid "$tmp/i.json" inspect || ko "inspect --json"
"$ck" inspect "$tmp/fl" --json >"$tmp/i2.json" && valid "$tmp/i2.json" inspect_fl || ko "inspect --json fast_llm"
"$ck" verify "$tmp/fl" "$tmp/untied" --json >"$tmp/vf.json" && valid "$tmp/vf.json" verify || ko "verify --json"
"$ck" verify "$tmp/fl" "$tmp/tied" --json >"$tmp/vf2.json" 2>/dev/null
[ $? -eq 1 ] && valid "$tmp/vf2.json" verify_diff || ko "verify --json: differing is exit 1"
"$ck" inspect "$tmp/nope" --json >"$tmp/e1.json" 2>/dev/null
[ $? -eq 1 ] && valid "$tmp/e1.json" error_inspect || ko "inspect --json error exit"
"$ck" verify "$tmp/nope" "$tmp/fl" --json >"$tmp/e2.json" 2>/dev/null
[ $? -eq 1 ] && valid "$tmp/e2.json" error_verify || ko "verify --json error exit"
"$ck" plan "$tmp/fl" --to fast_llm --json >"$tmp/e3.json" 2>/dev/null
[ $? -eq 2 ] && valid "$tmp/e3.json" error_usage || ko "plan --json usage error"
$chk mutate "$tmp/untied" "$tmp/p_cfg" key:foo_bar=3 truncate
"$ck" inspect "$tmp/p_cfg" --json >"$tmp/e4.json" 2>/dev/null
[ $? -eq 1 ] && valid "$tmp/e4.json" error_config || ko "inspect --json config error"
$py - "$tmp/e1.json" "$tmp/e4.json" <<'PY' && ok || ko "error objects"
import json, sys
for p in sys.argv[1:]:
    r = json.load(open(p))
    assert r["ok"] is False and r["error"]["stage"] and r["error"]["message"], r
PY

# ---- the error object's fields come from where the error was raised
# (file, key, tensor, rule), not from reading the message back
fields() { # json-file stage file-suffix key tensor rule-prefix (- = null)
  $py - "$@" <<'PY'
import json, sys
p, stage, file, key, tensor, rule = sys.argv[1:]
e = json.load(open(p))["error"]
def want(v, w, suffix=False):
    if w == "-":
        return v is None
    return v is not None and (v.endswith(w) if suffix else v == w)
ok = (e["stage"] == stage and want(e["file"], file, True) and
      want(e["key"], key) and want(e["tensor"], tensor) and
      (rule == "-" and e["rule"] is None or
       rule != "-" and (e["rule"] or "").startswith(rule)))
sys.exit(0 if ok else print(e) or 1)
PY
}
$chk mutate "$tmp/untied" "$tmp/f_act" 'key:hidden_act="gelu_new"'
"$ck" convert "$tmp/f_act" "$tmp/f_out" --to fast_llm --json >"$tmp/f1.json" 2>/dev/null
[ $? -eq 1 ] && valid "$tmp/f1.json" fields_config &&
  fields "$tmp/f1.json" import_config /f_act/config.json hidden_act - \
    specs/10_llama.conv: && ok || ko "config error: file, key and rule fields"
[ ! -e "$tmp/f_out" ] && ok || ko "config error: no output"
fields "$tmp/e4.json" hf_coverage /p_cfg/config.json foo_bar - - && ok ||
  ko "coverage error: file and key fields"
cp -r "$tmp/untied" "$tmp/f_trunc"
$py -c "import sys; p=sys.argv[1]; d=open(p,'rb').read(); open(p,'wb').write(d[:-100])" \
  "$tmp/f_trunc/model.safetensors"
"$ck" convert "$tmp/f_trunc" "$tmp/f_out" --to fast_llm --json >"$tmp/f2.json" 2>/dev/null
[ $? -eq 1 ] && valid "$tmp/f2.json" fields_safetensors &&
  fields "$tmp/f2.json" safetensors /f_trunc/model.safetensors - lm_head.weight - &&
  ok || ko "safetensors error: file and tensor fields"
"$ck" plan "$tmp/untied" --to nosuch --json >"$tmp/f3.json" 2>"$tmp/f3.err"
[ $? -eq 2 ] && valid "$tmp/f3.json" fields_usage &&
  fields "$tmp/f3.json" usage - - - - && ok ||
  ko "plan --to nosuch --json prints the error report"

echo "plan: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
