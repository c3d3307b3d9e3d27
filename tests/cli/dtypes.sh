#!/bin/sh
# dtypes.sh CKCONV - a weight stored with an integer or bool dtype.
#
# Every model ckconv converts has floating-point weights, so a weight
# tensor whose safetensors dtype is an integer (I32, U8, ...) or BOOL is
# damaged or mislabelled data, not something to copy or cast silently.
# The safetensors files are rewritten here with json + struct only (the
# dtype field of one tensor, bytes unchanged): convert, plan, inspect and
# verify must each name the file, the tensor and the dtype, exit 1, write
# nothing, and leave the input byte-identical.
set -u
ck=${1:-build/ckconv}
py=/usr/bin/python3
. "$(dirname "$0")/../tools/testlib.sh"
gen="$py tests/tools/make_hf_llama.py"
small="--hidden 16 --heads 2 --kv-heads 1 --layers 1 --vocab 32 --inter 32"

# retype FILE TENSOR DTYPE [N]: the header's dtype of TENSOR becomes DTYPE
# (and its shape [N], for a dtype of another size)
retype() {
  $py - "$@" <<'EOF'
import json, struct, sys
path, name, dtype = sys.argv[1:4]
b = open(path, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
h[name]['dtype'] = dtype
if len(sys.argv) > 4:
    h[name]['shape'] = [int(sys.argv[4])]
t = json.dumps(h, separators=(',', ':')).encode()
t += b' ' * ((8 - len(t) % 8) % 8)
open(path, 'wb').write(struct.pack('<Q', len(t)) + t + b[8 + n:])
EOF
}

# shellcheck disable=SC2086
$gen "$tmp/good" $small >/dev/null &&
  "$ck" convert "$tmp/good" "$tmp/good_fl" --to fast_llm --quiet ||
  { echo "dtypes: cannot build the base checkpoint"; exit 1; }
# I32 and U32 keep the F32 data's element size; BOOL and U8 (one byte)
# relabel the [16] final norm's 64 bytes as 64 elements.
for dt in I32 U32 BOOL U8; do
  T=model.layers.0.mlp.up_proj.weight
  cp -r "$tmp/good" "$tmp/bad_$dt"
  case $dt in
    BOOL|U8) T=model.norm.weight; retype "$tmp/bad_$dt/model.safetensors" $T $dt 64 ;;
    *) retype "$tmp/bad_$dt/model.safetensors" $T $dt ;;
  esac
  before=$(tree_hash "$tmp/bad_$dt")
  msg="ckconv: error[checkpoint]: $tmp/bad_$dt/model.safetensors: tensor '$T' has dtype $dt; the weights of a llama model are floating point"
  "$ck" convert "$tmp/bad_$dt" "$tmp/out_$dt" --to fast_llm > "$tmp/out" 2> "$tmp/err"
  [ $? -eq 1 ] && [ "$(cat "$tmp/err")" = "$msg" ] && [ ! -s "$tmp/out" ] &&
    [ ! -e "$tmp/out_$dt" ] && [ -z "$(ls -A "$tmp" | grep ckconv-tmp)" ] &&
    ok || { cat "$tmp/err"; ko "convert $dt"; }
  "$ck" plan "$tmp/bad_$dt" --to fast_llm > "$tmp/out" 2> "$tmp/err"
  [ $? -eq 1 ] && [ "$(cat "$tmp/err")" = "$msg" ] &&
    grep -qxF "  [dtype] $tmp/bad_$dt/model.safetensors: tensor '$T' has dtype $dt; the weights of a llama model are floating point" "$tmp/out" &&
    ok || ko "plan $dt"
  "$ck" plan "$tmp/bad_$dt" --to fast_llm --json > "$tmp/plan.json" 2> /dev/null
  $py -c "
import json, sys
r = json.load(open(sys.argv[1]))
p = [x for x in r['problems'] if x['kind'] == 'dtype']
sys.exit(0 if not r['ok'] and r['error']['stage'] == 'checkpoint' and len(p) == 1
         and p[0]['tensor'] == sys.argv[2] and p[0]['stage'] == 'checkpoint'
         and p[0]['file'].endswith('/model.safetensors') else 1)" "$tmp/plan.json" $T &&
    $py tests/plan/check.py validate docs/ckconv-report.schema.json "$tmp/plan.json" > /dev/null &&
    ok || ko "plan --json $dt"
  "$ck" inspect "$tmp/bad_$dt" > "$tmp/out" 2> "$tmp/err"
  [ $? -eq 1 ] && grep -qx "checks:   1 problem" "$tmp/out" &&
    grep -qF "[dtype] $tmp/bad_$dt/model.safetensors: tensor '$T' has dtype $dt;" "$tmp/out" &&
    grep -q "^dtypes:   F32 x11 $dt x1$" "$tmp/out" && [ ! -s "$tmp/err" ] &&
    ok || { cat "$tmp/out" "$tmp/err"; ko "inspect $dt"; }
  # verify: on the HF side against a good fast_llm, and HF against itself
  "$ck" verify "$tmp/good_fl" "$tmp/bad_$dt" > "$tmp/out" 2> "$tmp/err"
  [ $? -eq 1 ] && [ "$(cat "$tmp/err")" = "$msg" ] && [ ! -s "$tmp/out" ] &&
    ok || { cat "$tmp/err"; ko "verify $dt"; }
  "$ck" verify "$tmp/bad_$dt" "$tmp/good" > /dev/null 2> "$tmp/err"
  [ $? -eq 1 ] && grep -qF "tensor '$T' has dtype $dt; the weights of the model are floating point" "$tmp/err" &&
    ok || { cat "$tmp/err"; ko "verify HF $dt against HF"; }
  [ "$(tree_hash "$tmp/bad_$dt")" = "$before" ] && ok || ko "$dt: input changed"
done

# a fast_llm input with an I32 weight, converted to HF
cp -r "$tmp/good_fl" "$tmp/bad_fl"
retype "$tmp/bad_fl/model_0.safetensors" "decoder.0.mlp.layer_1.weight/weights" I32 2>/dev/null ||
  { $py -c "import json,struct,sys; b=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',b[:8])[0]; print(sorted(k for k in json.loads(b[8:8+n]) if k != '__metadata__'))" "$tmp/bad_fl/model_0.safetensors"; ko "fast_llm tensor name"; }
"$ck" convert "$tmp/bad_fl" "$tmp/out_fl" --to llama > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "^ckconv: error\[checkpoint\]: $tmp/bad_fl/model_0.safetensors: tensor 'decoder.0.mlp.layer_1.weight' has dtype I32; the weights of a llama model are floating point$" "$tmp/err" &&
  [ ! -e "$tmp/out_fl" ] && ok || { cat "$tmp/err"; ko "fast_llm input I32"; }

echo "dtypes: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
