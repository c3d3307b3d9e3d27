#!/bin/sh
# valgrind.sh BUILD SHARED - run the runtime's tests under valgrind;
# any leak or memory error fails.
set -u
build=$1
shared=$2
vg="valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
fail=0
pass=0
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  CK_FORK=no CK_QUICK=1 CK_SHARED=$shared $vg "$t" >/dev/null 2>"$build/vg.log"
  rc=$?
  if [ $rc -eq 99 ]; then fail=$((fail + 1)); echo "FAIL valgrind: $t"; cat "$build/vg.log"; else pass=$((pass + 1)); fi
done
$vg "$build/golden_driver" "$shared/golden" >/dev/null 2>"$build/vg.log"
if [ $? -eq 99 ]; then fail=$((fail + 1)); echo "FAIL valgrind: golden_driver"; cat "$build/vg.log"; else pass=$((pass + 1)); fi
in=$(mktemp)
/usr/bin/python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['hf_config_v4']))" "$shared/golden/llama/fixture_llama.json" > "$in"
$vg "$build/ckconv" config import -f llama "$in" >/dev/null 2>"$build/vg.log"
if [ $? -eq 99 ]; then fail=$((fail + 1)); echo "FAIL valgrind: ckconv config import"; cat "$build/vg.log"; else pass=$((pass + 1)); fi
rm -f "$in"
# a whole conversion, both directions, under valgrind
vgdir=$(mktemp -d)
/usr/bin/python3 tests/tools/make_hf_llama.py "$vgdir/hf" --bias --shards 2 >/dev/null
for step in "$vgdir/hf $vgdir/fl --to fast_llm" "$vgdir/fl $vgdir/hf2 --to llama --dtype bf16" "verify"; do
  if [ "$step" = verify ]; then
    $vg "$build/ckconv" verify "$vgdir/fl" "$vgdir/hf" >/dev/null 2>"$build/vg.log"
  else
    # shellcheck disable=SC2086
    $vg "$build/ckconv" convert $step --quiet >/dev/null 2>"$build/vg.log"
  fi
  if [ $? -eq 99 ]; then fail=$((fail + 1)); echo "FAIL valgrind: $step"; cat "$build/vg.log"; else pass=$((pass + 1)); fi
done
rm -rf "$vgdir"
# the corrupt-input corpus: every rejection path, no leak, no invalid
# access (the 1,000,001-tensor header alone would take a minute here; it
# runs natively and under ASan)
CORRUPT_SKIP=st_too_many_tensors CKCONV_WRAP="$vg" sh tests/corrupt/run.sh "$build/ckconv" >"$build/vg.log" 2>&1
if [ $? -ne 0 ]; then fail=$((fail + 1)); echo "FAIL valgrind: corrupt corpus"; cat "$build/vg.log"; else pass=$((pass + 1)); fi
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
