#!/bin/sh
# Command-line tests for ckconv: what a user types, what they see.
# Output is checked byte for byte against Python's json.dumps of the
# golden expectation (the independent oracle), errors by exit status and
# the `ckconv: error[STAGE]:` first line.
set -u
ck=${1:-build/ckconv}
shared=${2:-tests/data/shared}
py=/usr/bin/python3
g=$shared/golden/llama
. "$(dirname "$0")/../tools/testlib.sh"

# formats lists llama with its model_type, architecture and layouts
"$ck" formats > "$tmp/formats" && grep -q '^llama  *llama  *LlamaForCausalLM  *v4,v5$' "$tmp/formats" && ok || ko formats

# export from stdin, byte-exact with Python's json.dumps(sort_keys, indent=2)
for case in fixture_llama yarn_rope biases_tied; do
  for layout in v4 v5; do
    $py -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['fast_llm_base_model_input']))" "$g/$case.json" > "$tmp/in.json"
    $py -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['hf_config_$layout'], indent=2, sort_keys=True))" "$g/$case.json" > "$tmp/want"
    "$ck" config export -f llama --layout $layout - < "$tmp/in.json" > "$tmp/got" && cmp -s "$tmp/got" "$tmp/want" && ok || ko "export $case $layout"
    # import of that output, byte-exact with the golden serialized config
    $py -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['reimported_fast_llm_serialized']['$layout'], indent=2, sort_keys=True))" "$g/$case.json" > "$tmp/want_fl"
    "$ck" config import -f llama --layout $layout --raw "$tmp/want" > "$tmp/got_fl" && cmp -s "$tmp/got_fl" "$tmp/want_fl" && ok || ko "import $case $layout"
  done
done

# YAML input, and a full model config holding base_model
$py -c "import json,yaml,sys; print(yaml.safe_dump({'base_model': json.load(open(sys.argv[1]))['fast_llm_base_model_input']}))" "$g/fixture_llama.json" > "$tmp/in.yaml"
"$ck" config export -f llama --layout v4 "$tmp/in.yaml" > "$tmp/got" &&
  $py -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['hf_config_v4'], indent=2, sort_keys=True))" "$g/fixture_llama.json" | cmp -s - "$tmp/got" && ok || ko "yaml input"

# rejections: exit 1, first stderr line names the stage
expect_fail() { # stage args...
  stage=$1; shift
  "$ck" "$@" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  first=$(head -n 1 "$tmp/err")
  case "$first" in
    "ckconv: error[$stage]: "*) [ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && ok || ko "$stage: exit $rc" ;;
    *) ko "$stage: got '$first' (exit $rc)" ;;
  esac
}
echo '{"model_type": "gpt2", "architectures": ["LlamaForCausalLM"]}' > "$tmp/mt.json"
expect_fail model_type_check config import --raw -f llama "$tmp/mt.json"
echo '{"model_type": "llama", "architectures": ["X"]}' > "$tmp/ar.json"
expect_fail architectures_check config import -f llama "$tmp/ar.json"
$py -c "import json,sys; d=json.load(open(sys.argv[1]))['hf_config_v4']; d['foo']=1; d['bar']={'baz': 2}; print(json.dumps(d))" "$g/fixture_llama.json" > "$tmp/cov.json"
expect_fail hf_coverage config import -f llama --layout v4 "$tmp/cov.json"
grep -q "'foo'" "$tmp/err" && grep -q "'bar.baz'" "$tmp/err" && ok || ko "hf_coverage lists every unknown key"
$py -c "import json,sys; d=json.load(open(sys.argv[1]))['hf_config_v4']; del d['hidden_size']; print(json.dumps(d))" "$g/fixture_llama.json" > "$tmp/miss.json"
expect_fail import_config config import --raw -f llama --layout v4 "$tmp/miss.json"
grep -q "hidden_size" "$tmp/err" && ok || ko "import_config names the key"
$py -c "import json,sys; d=json.load(open(sys.argv[1]))['hf_config_v4']; d['num_key_value_heads']=3; print(json.dumps(d))" "$g/fixture_llama.json" > "$tmp/val.json"
expect_fail validation config import -f llama --layout v4 "$tmp/val.json"
echo '{"decoder": {"block": {"normalization": {"type": "layer_norm"}}}}' > "$tmp/ln.json"
expect_fail export config export -f llama "$tmp/ln.json"
echo '{"hidden_size": "big"}' > "$tmp/bad.json"
expect_fail validation config export -f llama "$tmp/bad.json"
echo '{"hidden_size": 1,' > "$tmp/broken.json"
expect_fail validation config export -f llama "$tmp/broken.json"
expect_fail io config export -f llama "$tmp/does-not-exist.json"

# usage errors: exit 2
"$ck" config export "$tmp/in.json" 2>/dev/null; [ $? -eq 2 ] && ok || ko "missing -f is a usage error"
"$ck" config export -f nosuch "$tmp/in.json" 2>"$tmp/err"; [ $? -eq 2 ] && grep -q "known formats: llama" "$tmp/err" && ok || ko "unknown format"
"$ck" frobnicate 2>/dev/null; [ $? -eq 2 ] && ok || ko "unknown command"
"$ck" config export -f llama --layout v9 "$tmp/in.json" 2>/dev/null; [ $? -eq 2 ] && ok || ko "bad layout"

# command-line conventions: getopt_long, one option table per command
for c in formats "config export" "config import" weights params convert plan inspect verify; do
  "$ck" $c --help >"$tmp/help" 2>"$tmp/err"
  [ $? -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q "^  ckconv $c" "$tmp/help" &&
    grep -q -- "--help" "$tmp/help" && ok || ko "$c --help on stdout, exit 0"
done
"$ck" --help >"$tmp/help" 2>/dev/null && grep -q "^  ckconv convert" "$tmp/help" && ok || ko "--help"
"$ck" convert a b --to fast_llm --foce 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown option '--foce' for ckconv convert; did you mean '--force'?" "$tmp/err" &&
  [ "$(wc -l <"$tmp/err")" -eq 2 ] && ok || ko "unknown option named with a suggestion, no usage dump"
"$ck" config export --format=llama --layout=v5 "$tmp/in.json" >"$tmp/eq.json" &&
  "$ck" config export -f llama --layout v5 "$tmp/in.json" | cmp -s - "$tmp/eq.json" && ok || ko "--opt=value"
"$ck" config export -f LLaMA "$tmp/in.json" >/dev/null && ok || ko "format names ignore case"
"$ck" config export -f lama "$tmp/in.json" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown format 'lama' (did you mean 'llama'?)" "$tmp/err" && ok || ko "format suggestion"
"$ck" plan "$tmp" --to nosuch --json >"$tmp/r.json" 2>/dev/null
[ $? -eq 2 ] && $py -c "import json,sys; e=json.load(open(sys.argv[1]))['error']; sys.exit(0 if e['stage'] == 'usage' and 'nosuch' in e['message'] else 1)" "$tmp/r.json" &&
  ok || ko "a usage error under --json prints the error report"
"$ck" verify a --jobs 0 --json >"$tmp/r.json" 2>/dev/null
[ $? -eq 2 ] && $py -c "import json,sys; e=json.load(open(sys.argv[1]))['error']; sys.exit(0 if e['stage'] == 'usage' and '--jobs' in e['message'] else 1)" "$tmp/r.json" &&
  ok || ko "a bad option value under --json prints the error report"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
