#!/bin/sh
# resume.sh CKCONV - staged conversions: `convert --resume`, `--part K/N`
# and `--finish` (docs/cli.md, "Resume and parts").
#
# The expectation every case is held to is independent of the staged
# code: the output of a plain one-process conversion of the same input
# with the same options, compared file by file and byte by byte
# (`diff -r`, metadata with its provenance included).
# (a) SIGKILL after exactly N journaled tensors (CKCONV_TEST_KILL_AFTER_TENSORS,
#     runtime/core/ck_fault.c) for every N of both directions, at the named
#     steps of publication, and at fractions of a larger conversion's time;
#     then --resume: identical, and (one thread) exactly N tensors kept.
# (b) A torn journal record and a damaged tensor on disk are not trusted.
# (c) ENOSPC after N tensors (CKCONV_TEST_FAIL_AFTER_TENSORS), and on a real
#     tmpfs grown afterwards (root only): the staging folder is kept, and
#     --resume with the space back gives the identical output.
# (d) A changed input file or option between the runs: refused, naming it.
# (e) Parts run as concurrent processes in random order, one SIGKILLed
#     and rerun, then --finish: identical; --finish with a part missing
#     names the part and its tensor count; a completed part rerun is a
#     no-op.  SIGINT keeps the staging folder.
# (f) The inputs are byte-identical after everything.
set -u
ck=$1
py=/usr/bin/python3
. "$(dirname "$0")/../tools/crashlib.sh"
same() { diff -r "$1" "$2" >/dev/null; }
# run a command meant to be killed, without the shell's "Killed" line
killed() { "$@" 2>/dev/null & wait $! 2>/dev/null; }
# a field of the journal state of a --json convert report
jfield() { $py -c "import json,sys; print(json.load(open(sys.argv[1]))['convert']['journal'][sys.argv[2]])" "$1" "$2"; }

gen="$py tests/tools/make_hf_llama.py"
$gen "$tmp/hf" --layers 2 --shards 2 >/dev/null || { echo "resume: generator failed"; exit 1; }
export CK_MIN_PARAMETERS_PER_FILE_OK=1
ppf="--parameters-per-file 20000"
q "$ck" convert "$tmp/hf" "$tmp/fl" --to fast_llm --quiet || { echo "resume: base conversion failed"; exit 1; }
hf_hash=$(tree_hash "$tmp/hf")
fl_hash=$(tree_hash "$tmp/fl")
inputs_intact() {
  [ "$(tree_hash "$tmp/hf")" = "$hf_hash" ] && [ "$(tree_hash "$tmp/fl")" = "$fl_hash" ]
}
# the independent expectation: plain one-process conversions
q "$ck" convert "$tmp/hf" "$tmp/ref_fl" --to fast_llm $ppf --quiet &&
  q "$ck" convert "$tmp/fl" "$tmp/ref_hf" --to llama $ppf --quiet || { echo "resume: reference conversion failed"; exit 1; }
[ "$(ls "$tmp/ref_fl" | grep -c safetensors)" -ge 4 ] && ok || ko "the tests need several output files"
n_fl=$($py -c "import json,sys; print(len(json.load(open(sys.argv[1]))['plan']['tensors']))" /dev/stdin <<EOF
$("$ck" plan "$tmp/hf" --to fast_llm $ppf --json)
EOF
)
n_hf=$($py -c "import json,sys; print(len(json.load(open(sys.argv[1]))['plan']['tensors']))" /dev/stdin <<EOF
$("$ck" plan "$tmp/fl" --to llama $ppf --json)
EOF
)
[ "$n_fl" -gt 10 ] && [ "$n_hf" -gt 10 ] && ok || ko "tensor counts: $n_fl, $n_hf"

# a plain --resume run (nothing to resume) is a plain conversion
p=$tmp/first; mkdir -p "$p"
q "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --resume --quiet && same "$tmp/ref_fl" "$p/out" &&
  [ "$(leftovers "$p")" = "out " ] && ok || ko "--resume with no earlier run: left '$(leftovers "$p")'"

# ------------------------------------------- (a) SIGKILL after N tensors
kill_resume() { # label in to ref n total
  label=$1; in=$2; to=$3; ref=$4; n=$5; total=$6
  p=$tmp/k_${label}_$n
  rm -rf "$p"; mkdir -p "$p"
  CKCONV_TEST_KILL_AFTER_TENSORS=$n "$ck" convert "$in" "$p/out" --to "$to" $ppf --jobs 1 --resume --quiet 2>/dev/null &
  pid=$!
  wait $pid 2>/dev/null
  rc=$?
  if [ "$n" -ge "$total" ]; then # no kill: a whole --resume run
    [ $rc -eq 0 ] && same "$ref" "$p/out" && [ "$(leftovers "$p")" = "out " ] && ok ||
      ko "no kill after $n of $total tensors ($label): exit $rc, left '$(leftovers "$p")'"
    return
  fi
  [ $rc -eq 137 ] && [ "$(leftovers "$p")" = ".out.ckconv-staging " ] && ok ||
    ko "kill after $n tensors ($label): exit $rc, left '$(leftovers "$p")'"
  "$ck" convert "$in" "$p/out" --to "$to" $ppf --resume --quiet --json >"$tmp/r.json" 2>"$tmp/err"
  rc=$?
  kept=$(jfield "$tmp/r.json" tensors_kept 2>/dev/null)
  # one thread: exactly the n tensors before the kill were journaled
  want=$n
  [ $rc -eq 0 ] && same "$ref" "$p/out" && [ "$(leftovers "$p")" = "out " ] &&
    [ "$kept" = "$want" ] && inputs_intact && ok ||
    ko "resume after a kill after $n tensors ($label): exit $rc, kept '$kept' (want $want), left '$(leftovers "$p")', $(cat "$tmp/err")"
}
i=0
while [ $i -le "$n_fl" ]; do kill_resume fl "$tmp/hf" fast_llm "$tmp/ref_fl" $i "$n_fl"; i=$((i + 1)); done
i=0
while [ $i -le "$n_hf" ]; do kill_resume hf "$tmp/fl" llama "$tmp/ref_hf" $i "$n_hf"; i=$((i + 1)); done

# killed twice in a row, then resumed: the second run kept the first's work
p=$tmp/twice; mkdir -p "$p"
killed env CKCONV_TEST_KILL_AFTER_TENSORS=3 "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --jobs 1 --resume --quiet
killed env CKCONV_TEST_KILL_AFTER_TENSORS=4 "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --jobs 1 --resume --quiet
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --resume --quiet --json >"$tmp/r.json" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(jfield "$tmp/r.json" tensors_kept)" = 7 ] && same "$tmp/ref_fl" "$p/out" && ok ||
  ko "two kills then resume: $(cat "$tmp/err")"

# killed at the named steps of publication
for at in before-publish after-publish; do
  p=$tmp/named_$at; mkdir -p "$p"
  killed env CKCONV_TEST_KILL_AT=$at "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --resume --quiet
  rc=$?
  if [ $at = before-publish ]; then
    # the journal is gone, the checkpoint not yet published: started over
    [ $rc -eq 137 ] && [ ! -e "$p/out" ] && ok || ko "kill $at: exit $rc, left '$(leftovers "$p")'"
    q "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --resume --quiet && same "$tmp/ref_fl" "$p/out" &&
      [ "$(leftovers "$p")" = "out " ] && ok || ko "resume after a kill $at: left '$(leftovers "$p")'"
  else
    [ $rc -eq 137 ] && same "$tmp/ref_fl" "$p/out" && [ "$(leftovers "$p")" = "out " ] && ok ||
      ko "kill $at: exit $rc, left '$(leftovers "$p")'"
  fi
done

# timed kills of the threaded path on a larger model, then --resume
big=$tmp/big
$gen "$big/hf" --hidden 512 --heads 8 --kv-heads 2 --head-dim 64 --layers 8 --vocab 8000 \
  --inter 1536 >/dev/null || { echo "resume: generator failed"; exit 1; }
big_hash=$(tree_hash "$big/hf")
q "$ck" convert "$big/hf" "$tmp/big_ref" --to fast_llm --dtype bf16 --quiet || { echo "resume: big conversion failed"; exit 1; }
ms=0
for run in 1 2 3; do
  rm -rf "$tmp/big_fl" "$tmp/.big_fl.ckconv-staging"
  t0=$(date +%s%N)
  q "$ck" convert "$big/hf" "$tmp/big_fl" --to fast_llm --dtype bf16 --resume --quiet || { echo "resume: big conversion failed"; exit 1; }
  t=$(( ($(date +%s%N) - t0) / 1000000 ))
  { [ $ms -eq 0 ] || [ $t -lt $ms ]; } && ms=$t
done
same "$tmp/big_ref" "$tmp/big_fl" && ok || ko "a --resume run differs from a plain one (big model)"
hits=0
for k in 2 4 6; do
  p=$tmp/t_$k; mkdir -p "$p"
  "$ck" convert "$big/hf" "$p/out" --to fast_llm --dtype bf16 --resume --quiet 2>/dev/null &
  pid=$!
  sleep "$(awk "BEGIN { printf \"%.3f\", $ms * $k / 8 / 1000 }")"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  [ $? -eq 137 ] && hits=$((hits + 1))
  q "$ck" convert "$big/hf" "$p/out" --to fast_llm --dtype bf16 --resume --quiet &&
    same "$tmp/big_ref" "$p/out" && [ "$(leftovers "$p")" = "out " ] && ok ||
    ko "resume after a timed kill at $k/8: left '$(leftovers "$p")'"
  rm -rf "$p"
done
echo "resume: $hits of 3 timed kills hit a running conversion (one takes ${ms} ms)"
[ "$(tree_hash "$big/hf")" = "$big_hash" ] && ok || ko "the big input changed"

# SIGINT: a staged output is kept for --resume, and said so
p=$tmp/sigint; mkdir -p "$p"
"$ck" convert "$big/hf" "$p/out" --to fast_llm --dtype bf16 --resume --quiet 2>"$tmp/err" &
pid=$!
sleep "$(awk "BEGIN { printf \"%.3f\", $ms / 2 / 1000 }")"
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if [ $rc -eq 130 ]; then
  [ "$(leftovers "$p")" = ".out.ckconv-staging " ] && grep -q "its staging folder is kept" "$tmp/err" && ok ||
    ko "SIGINT of a --resume run: left '$(leftovers "$p")', $(cat "$tmp/err")"
else
  [ $rc -eq 0 ] && ok || ko "SIGINT of a --resume run: exit $rc"
fi
q "$ck" convert "$big/hf" "$p/out" --to fast_llm --dtype bf16 --resume --quiet && same "$tmp/big_ref" "$p/out" && ok ||
  ko "resume after SIGINT"

# ------------------------------- (b) torn record, damaged data on disk
p=$tmp/torn; mkdir -p "$p"
killed env CKCONV_TEST_KILL_AFTER_TENSORS=6 "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --jobs 1 --resume --quiet
s=$p/.out.ckconv-staging
printf 't 7 123 45' >>"$s/journal" # torn: no newline, no checksum
# damage the bytes of the first journaled tensor (record: t I OFF LEN ...)
set -- $(head -n 1 "$s/journal")
file=$($py -c "
import json,sys
plan=json.load(open(sys.argv[1]))['plan']
print(plan['tensors'][int(sys.argv[2])]['file'])" /dev/stdin "$2" <<EOF
$("$ck" plan "$tmp/hf" --to fast_llm $ppf --json)
EOF
)
printf '\377\377\377\377' | dd of="$s/$file" bs=1 seek="$3" conv=notrunc 2>/dev/null
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --resume --quiet --json >"$tmp/r.json" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(jfield "$tmp/r.json" tensors_kept)" = 5 ] && same "$tmp/ref_fl" "$p/out" && ok ||
  ko "torn record and damaged tensor ($file): kept $(jfield "$tmp/r.json" tensors_kept 2>/dev/null), $(cat "$tmp/err")"

# ------------------------------------------------ (c) the disk fills up
for n in 0 5 12; do
  p=$tmp/nospc_$n; mkdir -p "$p"
  CKCONV_TEST_FAIL_AFTER_TENSORS=$n "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --jobs 1 --resume --quiet 2>"$tmp/err"
  rc=$?
  [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "No space left on device (the disk is full)" "$tmp/err" &&
    grep -q "\.out\.ckconv-staging/model_[0-9]*\.safetensors: tensor '" "$tmp/err" &&
    [ "$(leftovers "$p")" = ".out.ckconv-staging " ] && ok ||
    ko "ENOSPC after $n tensors: exit $rc, left '$(leftovers "$p")', $(cat "$tmp/err")"
  "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --resume --quiet --json >"$tmp/r.json" 2>"$tmp/err"
  [ $? -eq 0 ] && [ "$(jfield "$tmp/r.json" tensors_kept)" = $n ] && same "$tmp/ref_fl" "$p/out" && ok ||
    ko "resume after ENOSPC after $n tensors: $(cat "$tmp/err")"
done
# a real tmpfs (root only): too small, then grown
m=$tmp/mnt; mkdir -p "$m"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m tmpfs "$m" 2>/dev/null; then
  mnt=$m
  "$ck" convert "$big/hf" "$m/out" --to fast_llm --dtype bf16 --resume --quiet 2>"$tmp/err"
  rc=$?
  [ $rc -eq 1 ] && grep -q "the disk is full" "$tmp/err" && [ ! -e "$m/out" ] && ok ||
    ko "tmpfs full: exit $rc, $(cat "$tmp/err")"
  mount -o remount,size=512m "$m" &&
    q "$ck" convert "$big/hf" "$m/out" --to fast_llm --dtype bf16 --resume --quiet &&
    same "$tmp/big_ref" "$m/out" && [ "$(leftovers "$m")" = "out " ] && ok ||
    ko "tmpfs grown, then --resume: left '$(leftovers "$m")'"
  umount "$m"; mnt=""
else
  echo "resume: real full-disk test skipped (needs root to mount a tmpfs)"
fi

# ------------------------------------- (d) what differs is refused
p=$tmp/differs; mkdir -p "$p"
cp -a "$tmp/hf" "$p/in"
killed env CKCONV_TEST_KILL_AFTER_TENSORS=3 "$ck" convert "$p/in" "$p/out" --to fast_llm $ppf --jobs 1 --resume --quiet
shard=$(cd "$p/in" && ls *.safetensors | tail -n 1)
"$ck" convert "$p/in" "$p/out" --to fast_llm --resume --quiet 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "cannot resume $p/out: parameters_per_file differs (was 20000, now 0)" "$tmp/err" && ok ||
  ko "changed option: $(cat "$tmp/err")"
"$ck" convert "$p/in" "$p/out" --to fast_llm $ppf --dtype bf16 --resume --quiet 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "dtype differs (was keep, now BF16)" "$tmp/err" && ok || ko "changed dtype: $(cat "$tmp/err")"
touch -d '2001-01-01' "$p/in/$shard"
"$ck" convert "$p/in" "$p/out" --to fast_llm $ppf --resume --quiet 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "^ckconv: error\[checkpoint\]: cannot resume $p/out: $p/in/$shard changed (size [0-9]* -> [0-9]*, mtime_ns" "$tmp/err" &&
  [ "$(leftovers "$p")" = ".out.ckconv-staging in " ] && ok || ko "touched input: $(cat "$tmp/err")"
# rewritten with other bytes, same size
$py - "$p/in/$shard" <<'EOF'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(-4, 2); f.write(b'\x01\x02\x03\x04')
EOF
"$ck" convert "$p/in" "$p/out" --to fast_llm $ppf --resume --quiet 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "$p/in/$shard changed" "$tmp/err" && ok || ko "rewritten input: $(cat "$tmp/err")"
# without --resume: today's behaviour, a clean conversion
q "$ck" convert "$p/in" "$p/out" --to fast_llm $ppf --quiet && [ -f "$p/out/ok" ] && ok || ko "a plain run next to a staging folder"

# ------------------------------------------------------------ (e) parts
parts_run() { # label n [kill_part]
  label=$1; n=$2; victim=${3:-0}
  p=$tmp/parts_$label; rm -rf "$p"; mkdir -p "$p"
  pids=""
  for k in $(seq 1 "$n" | shuf); do
    if [ "$k" = "$victim" ]; then
      CKCONV_TEST_KILL_AFTER_TENSORS=0 "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --part "$k/$n" --quiet 2>/dev/null &
    else
      "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --part "$k/$n" --quiet 2>"$tmp/err_$k" &
    fi
    pids="$pids $!"
  done
  bad=0
  for pid in $pids; do wait $pid || bad=$((bad + 1)); done
  [ $bad -eq $([ "$victim" = 0 ] && echo 0 || echo 1) ] && [ ! -e "$p/out" ] && ok ||
    ko "parts $label: $bad failed, left '$(leftovers "$p")', $(cat "$tmp"/err_* 2>/dev/null)"
  rm -f "$tmp"/err_*
}
# whole files (4 files, 3 parts) and tensor ranges (4 files, 8 parts)
for n in 3 8; do
  parts_run "whole_$n" $n
  q "$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --finish && same "$tmp/ref_fl" "$p/out" &&
    [ "$(leftovers "$p")" = "out " ] && ok || ko "$n parts then --finish: left '$(leftovers "$p")'"
done
# one part killed: --finish names it, rerunning it completes the rest
parts_run killed 5 2
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --finish 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "cannot finish $p/out: [0-9]* of $n_fl tensors are not written: part 2/5 ([0-9]* tensors*); run them again, then --finish" "$tmp/err" &&
  [ ! -e "$p/out" ] && ok || ko "--finish with part 2/5 killed: $(cat "$tmp/err")"
# a completed part again: nothing to write
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --part 1/5 --quiet --json >"$tmp/r.json" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(jfield "$tmp/r.json" tensors_written)" = 0 ] && ok || ko "a completed part rerun: $(cat "$tmp/err")"
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --part 2/5 --quiet --json >"$tmp/r.json" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(jfield "$tmp/r.json" tensors_written)" -gt 0 ] && [ "$(jfield "$tmp/r.json" part)" = 2/5 ] && ok ||
  ko "the killed part rerun: $(cat "$tmp/err")"
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --finish --quiet --json >"$tmp/r.json" 2>"$tmp/err"
[ $? -eq 0 ] && same "$tmp/ref_fl" "$p/out" && [ "$(leftovers "$p")" = "out " ] &&
  [ "$(jfield "$tmp/r.json" tensors_done)" = "$n_fl" ] && ok || ko "--finish after the rerun: $(cat "$tmp/err")"
# --finish with nothing run
p=$tmp/none; mkdir -p "$p"
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --finish 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "cannot finish $p/out: $n_fl of $n_fl tensors are not written (no part has run)" "$tmp/err" && ok ||
  ko "--finish with nothing written: $(cat "$tmp/err")"
# the fast_llm -> HF direction, 2 parts
p=$tmp/parts_hf; mkdir -p "$p"
"$ck" convert "$tmp/fl" "$p/out" --to llama $ppf --part 2/2 --quiet & a=$!
"$ck" convert "$tmp/fl" "$p/out" --to llama $ppf --part 1/2 --quiet & b=$!
wait $a && wait $b && q "$ck" convert "$tmp/fl" "$p/out" --to llama $ppf --finish --quiet &&
  same "$tmp/ref_hf" "$p/out" && ok || ko "2 parts to HF"
# plan --parts N: disjoint shares covering every tensor once
# (tests/crash/parts_check.py); what convert --part K/N then writes is
# plan --part K/N's count
for n in 2 3 4 8 40; do
  "$ck" plan "$tmp/hf" --to fast_llm $ppf --parts $n --json >"$tmp/plan.json" &&
    $py tests/crash/parts_check.py "$tmp/plan.json" $n && ok || ko "plan --parts $n"
done
p=$tmp/plan_part; mkdir -p "$p"
"$ck" plan "$tmp/hf" --to fast_llm $ppf --part 3/8 --json >"$tmp/plan.json"
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm $ppf --part 3/8 --quiet --json >"$tmp/r.json"
[ "$($py -c "import json,sys; p=json.load(open(sys.argv[1]))['plan']['parts']; print(len(p), p[0]['part'], p[0]['tensors'])" "$tmp/plan.json")" = \
  "1 3/8 $(jfield "$tmp/r.json" part_tensors)" ] && ok || ko "plan --part 3/8 and convert --part 3/8 disagree"
"$ck" plan "$tmp/hf" --to fast_llm $ppf --parts 3 | grep -q "^part 2/3: [0-9]* tensors, [0-9.]* KiB: model_[0-9].safetensors" && ok ||
  ko "plan --parts text: $("$ck" plan "$tmp/hf" --to fast_llm $ppf --parts 3 | grep ^part)"
# usage
"$ck" convert "$tmp/hf" "$tmp/u" --to fast_llm --part 3/2 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "part must be K/N with 1 <= K <= N (got '3/2')" "$tmp/err" && ok || ko "--part 3/2: $(cat "$tmp/err")"
"$ck" convert "$tmp/hf" "$tmp/u" --to fast_llm --part 1/2 --finish 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "without --part" "$tmp/err" && ok || ko "--part with --finish: $(cat "$tmp/err")"

# ------------------------------------------------------------ (f) inputs
inputs_intact && ok || ko "inputs modified"
echo "resume: $pass passed, $fail failed"
[ $fail -eq 0 ]
