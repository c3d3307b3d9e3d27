#!/bin/sh
# Compiler error tests: each tests/compiler/errors/NAME.conv, compiled
# together with the schema, must fail with exactly the diagnostics kept in
# NAME.expected (file:line:col, message, source line, caret); the same for
# broken copies of the transformers tables (tests/compiler/data).  Then the
# coverage check is exercised on a real spec: deleting one declaration
# from a copy of the llama spec must name the uncovered field; and on
# generated specs wider and deeper than the walk's former caps.  Then the
# examples and the lists of docs/language.md are checked.  The committed
# generated/ck_tables.c must also use designated initializers only.
set -u
convc=${1:-build/convc}
. "$(dirname "$0")/../tools/testlib.sh"
for spec in tests/compiler/errors/*.conv; do
  want=${spec%.conv}.expected
  "$convc" --check specs/00_schema.conv "$spec" >/dev/null 2>"$tmp/got"
  rc=$?
  if [ "$rc" -eq 1 ] && cmp -s "$tmp/got" "$want"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $spec (exit $rc)"
    diff "$want" "$tmp/got" | head -20
  fi
done

# Broken transformers tables: each tests/compiler/data/NAME/transformers.json,
# compiled with the real specs, must fail with exactly NAME.expected (the
# JSON path, line:col and caret of every problem).
for json in tests/compiler/data/*/transformers.json; do
  want=${json%/transformers.json}.expected
  "$convc" --check --data "$json" specs/*.conv >/dev/null 2>"$tmp/got"
  rc=$?
  if [ "$rc" -eq 1 ] && cmp -s "$tmp/got" "$want"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $json (exit $rc)"
    diff "$want" "$tmp/got" | head -20
  fi
done

# The real specs compile cleanly and deterministically.
data=""
for j in specs/*.json; do [ -e "$j" ] && data="$data --data $j"; done
# shellcheck disable=SC2086
if "$convc" -o "$tmp" $data specs/*.conv && cmp -s "$tmp/ck_tables.c" generated/ck_tables.c; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL specs do not compile to the committed generated/ck_tables.c"
fi

# ... with designated initializers only (compiler/emit.c): a positional
# initializer, an enum value printed as a number or a -1 index left out
# fails (tests/tools/check-designated.sh)
if sh tests/tools/check-designated.sh generated/ck_tables.c >"$tmp/des"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL generated/ck_tables.c has undesignated initializers"
  cat "$tmp/des"
fi

# Static coverage on a real spec: remove one claim, expect the field named.
check_removal() { # pattern field
  sed "/$1/d" specs/10_llama.conv > "$tmp/llama.conv"
  line=$(grep -n "^section LlamaAttention" "$tmp/llama.conv" | cut -d: -f1)
  "$convc" --check specs/00_schema.conv specs/01_hf_allowlist.conv \
    "$tmp/llama.conv" 2>"$tmp/err" >/dev/null
  rc=$?
  if [ "$rc" -eq 1 ] && grep -q "^$tmp/llama.conv:$line:9: error: AttentionConfig.$2 is an architecture field that section LlamaAttention does not claim" "$tmp/err"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL removing '$1' did not report AttentionConfig.$2"; cat "$tmp/err"
  fi
}
check_removal '^  shared_key_value = false' shared_key_value
check_removal '^  head_groups <-> num_key_value_heads' head_groups

# the same on a derived spec: Mixtral's MoE fields are claimed by its own
# declarations, so removing one names the MoE field
sed '/^  shared_experts = 0/d' specs/13_mixtral.conv > "$tmp/mixtral.conv"
line=$(grep -n "^section MixtralMLP" "$tmp/mixtral.conv" | cut -d: -f1)
"$convc" --check specs/00_schema.conv specs/01_hf_allowlist.conv specs/10_llama.conv \
  specs/11_mistral.conv "$tmp/mixtral.conv" 2>"$tmp/err" >/dev/null
if [ $? -eq 1 ] && grep -q "^$tmp/mixtral.conv:$line:9: error: MoEMLPConfig.shared_experts is an architecture field that section MixtralMLP does not claim" "$tmp/err"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL removing shared_experts from mixtral"; cat "$tmp/err"
fi

# No silent caps in the coverage walk: every architecture path is checked
# however many (5000 fields, the unclaimed one last: the walk used to stop
# at 4096) and however deep (40 nested configs: it used to stop at 32).
check_cover() { # name field_text
  "$convc" --check specs/00_schema.conv "$tmp/$1.conv" 2>"$tmp/err" >/dev/null
  rc=$?
  if [ "$rc" -eq 1 ] && [ "$(grep -c ': error: ' "$tmp/err")" -eq 1 ] &&
     grep -q "^$tmp/$1.conv:1:9: error: $2 is an architecture field that section $1 does not claim" "$tmp/err"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL $1: expected only $2 unclaimed (exit $rc)"
    head -5 "$tmp/err"
  fi
}
n=5000
awk -v n=$n 'BEGIN {
  print "section Wide for WideConfig {"
  for (i = 0; i < n - 1; i++) print "  ignore f" i
  print "}"; print "config WideConfig {"
  for (i = 0; i < n; i++) print "  arch f" i ": int = 0"
  print "}" }' > "$tmp/Wide.conv"
check_cover Wide "WideConfig.f$((n - 1))"
d=40
awk -v d=$d 'BEGIN {
  p = ""; for (i = 1; i < d; i++) p = p "c."
  print "section Deep for Deep0 {"; print "  ignore " p "x"; print "}"
  for (i = 0; i < d - 1; i++)
    print "config Deep" i " {\n  feature c: Deep" i + 1 "\n}"
  print "config Deep" d - 1 " {\n  arch x: int = 0\n  arch y: int = 0\n}" }' \
  > "$tmp/Deep.conv"
check_cover Deep "Deep0.$(printf 'c.%.0s' $(seq $((d - 1))))y"

# the examples of docs/language.md compile, and excerpts match their spec
if ${PYTHON:-python3} tests/compiler/doc_examples.py "$convc"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL docs/language.md examples"
fi

# docs/language.md names every entry of common/'s lists (builtins,
# declaration kinds, hints, transforms, weight entry kinds)
if ${PYTHON:-python3} tests/compiler/doc_lists.py; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL docs/language.md lags behind common/*.def"
fi

echo "compiler: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
