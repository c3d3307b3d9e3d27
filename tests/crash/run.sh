#!/bin/sh
# run.sh CKCONV - crash safety of `ckconv convert`.
#
# (a) The conversion is killed with SIGKILL at many points: after exactly
#     N bytes of output (CKCONV_TEST_KILL_AFTER_BYTES, a test-only hook of
#     runtime/core/ck_fault.c, which selects the simple write path) swept over
#     the whole output of both directions, at the named steps of
#     publication (CKCONV_TEST_KILL_AT), and at fractions of the time a
#     larger conversion takes (the default, threaded write path).  After
#     each kill OUT is absent or complete (`ok`, `ckconv verify` against
#     the input, the layout oracle), the only leftover is the killed
#     process's own .OUT.ckconv-tmp-PID (or, killed between the two
#     renames of --force, its .OUT.ckconv-old-PID), and the next convert
#     to OUT cleans up.
# (b) Writes fail with ENOSPC (CKCONV_TEST_FAIL_WRITE_AFTER_BYTES), and,
#     when mounting is permitted (root), on a real 1 MiB tmpfs with both
#     write paths: exit 1, one message naming the file and saying the disk
#     is full, nothing left.
# (c) The input folders are byte-identical after every test.
set -u
ck=$1
py=/usr/bin/python3
oracle="$py tests/convert/oracle.py"
. "$(dirname "$0")/../tools/crashlib.sh"

gen="$py tests/tools/make_hf_llama.py"
$gen "$tmp/hf" --layers 2 --shards 2 >/dev/null || { echo "crash: generator failed"; exit 1; }
q "$ck" convert "$tmp/hf" "$tmp/fl" --to fast_llm --quiet || { echo "crash: base conversion failed"; exit 1; }
hf_hash=$(tree_hash "$tmp/hf")
fl_hash=$(tree_hash "$tmp/fl")
inputs_intact() {
  [ "$(tree_hash "$tmp/hf")" = "$hf_hash" ] && [ "$(tree_hash "$tmp/fl")" = "$fl_hash" ]
}
# several output files, so that kills fall between files too
export CK_MIN_PARAMETERS_PER_FILE_OK=1
ppf="--parameters-per-file 20000"

# OUT is complete: the ok marker, same tensors as the input, upstream layout
complete() { # in out
  [ -f "$2/ok" ] && q "$ck" verify "$1" "$2" && q $oracle layout "$2"
}

# ------------------------------------------------------- (a) kill by bytes
# total output bytes of each direction: every byte goes through the hook,
# and the output is deterministic, so each run writes exactly this many
q "$ck" convert "$tmp/hf" "$tmp/full_fl" --to fast_llm $ppf --quiet &&
  q "$ck" convert "$tmp/fl" "$tmp/full_hf" --to llama $ppf --quiet || { echo "crash: full conversion failed"; exit 1; }
total_fl=$(cat "$tmp"/full_fl/* | wc -c)
total_hf=$(cat "$tmp"/full_hf/* | wc -c)
[ "$(ls "$tmp/full_fl" | grep -c safetensors)" -gt 2 ] && ok || ko "the sweep needs several output files"

kill_at_bytes() { # label in to total n
  label=$1; in=$2; to=$3; total=$4; n=$5
  p=$tmp/k_$label
  rm -rf "$p"; mkdir -p "$p"
  CKCONV_TEST_KILL_AFTER_BYTES=$n "$ck" convert "$in" "$p/out" --to "$to" $ppf --quiet 2>"$tmp/err" &
  pid=$!
  wait $pid 2>/dev/null
  rc=$?
  left=$(leftovers "$p")
  if [ "$n" -lt "$total" ]; then
    # killed while writing: nothing published, only its own temp dir
    [ $rc -eq 137 ] && [ "$left" = ".out.ckconv-tmp-$pid " ] && inputs_intact && ok ||
      ko "kill after $n of $total bytes ($label): exit $rc, left '$left'"
  else
    # all bytes written: killed or not, OUT is absent or complete
    { [ ! -e "$p/out" ] || complete "$in" "$p/out"; } && inputs_intact && ok ||
      ko "kill after $n of $total bytes ($label): exit $rc, left '$left'"
  fi
  # the next run to OUT succeeds and removes the dead run's temp dir
  q "$ck" convert "$in" "$p/out" --to "$to" $ppf --quiet --force && complete "$in" "$p/out" &&
    [ "$(leftovers "$p")" = "out " ] && ok || ko "rerun after a kill at $n bytes ($label): left '$(leftovers "$p")'"
}

sweep() { # label in to total
  i=0
  points=24
  while [ $i -le $points ]; do
    kill_at_bytes "$1" "$2" "$3" "$4" $(( $4 * i / points ))
    i=$((i + 1))
  done
  # the first header byte, the last byte of the data, the very end
  for n in 1 8 $(( $4 - 1 )); do kill_at_bytes "$1" "$2" "$3" "$4" $n; done
}
sweep to_fast_llm "$tmp/hf" fast_llm "$total_fl"
sweep to_hf "$tmp/fl" llama "$total_hf"

# ------------------------------------------------ (a) kill at named steps
p=$tmp/named
mkdir -p "$p"
# everything written and synced, not yet renamed: OUT absent
CKCONV_TEST_KILL_AT=before-publish "$ck" convert "$tmp/hf" "$p/out" --to fast_llm --quiet &
pid=$!; wait $pid 2>/dev/null; rc=$?
[ $rc -eq 137 ] && [ ! -e "$p/out" ] && [ "$(leftovers "$p")" = ".out.ckconv-tmp-$pid " ] && ok ||
  ko "kill before publish: exit $rc, left '$(leftovers "$p")'"
q "$ck" convert "$tmp/hf" "$p/out" --to fast_llm --quiet && complete "$tmp/hf" "$p/out" &&
  [ "$(leftovers "$p")" = "out " ] && ok || ko "rerun after a kill before publish"
old=$(tree_hash "$p/out")

# --force: killed between moving the old OUT aside and renaming the new
# one in: OUT absent, the old checkpoint complete at .out.ckconv-old-PID
CKCONV_TEST_KILL_AT=between-renames "$ck" convert "$tmp/hf" "$p/out" --to fast_llm --quiet --force $ppf &
pid=$!; wait $pid 2>/dev/null; rc=$?
[ $rc -eq 137 ] && [ ! -e "$p/out" ] &&
  [ "$(leftovers "$p")" = ".out.ckconv-old-$pid .out.ckconv-tmp-$pid " ] &&
  [ "$(tree_hash "$p/.out.ckconv-old-$pid")" = "$old" ] && ok ||
  ko "kill between renames: exit $rc, left '$(leftovers "$p")'"
# the next run puts the old checkpoint back first: without --force it is
# then refused as existing, and OUT is the old checkpoint again
"$ck" convert "$tmp/hf" "$p/out" --to fast_llm --quiet 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "exists; use --force" "$tmp/err" && [ "$(leftovers "$p")" = "out " ] &&
  [ "$(tree_hash "$p/out")" = "$old" ] && ok || ko "old checkpoint restored after a kill between renames: exit $rc, left '$(leftovers "$p")'"
# killed after the new OUT is in place, before the old copy is removed
CKCONV_TEST_KILL_AT=after-publish "$ck" convert "$tmp/hf" "$p/out" --to fast_llm --quiet --force $ppf &
pid=$!; wait $pid 2>/dev/null; rc=$?
[ $rc -eq 137 ] && complete "$tmp/hf" "$p/out" && [ "$(tree_hash "$p/out")" != "$old" ] &&
  [ "$(leftovers "$p")" = ".out.ckconv-old-$pid out " ] && ok || ko "kill after publish: exit $rc, left '$(leftovers "$p")'"
q "$ck" convert "$tmp/hf" "$p/out" --to fast_llm --quiet --force && complete "$tmp/hf" "$p/out" &&
  [ "$(leftovers "$p")" = "out " ] && ok || ko "rerun after a kill after publish: left '$(leftovers "$p")'"
# killed while replacing with --force: the old OUT is untouched
old=$(tree_hash "$p/out")
CKCONV_TEST_KILL_AFTER_BYTES=5000 "$ck" convert "$tmp/hf" "$p/out" --to fast_llm --quiet --force &
pid=$!; wait $pid 2>/dev/null; rc=$?
[ $rc -eq 137 ] && [ "$(tree_hash "$p/out")" = "$old" ] && ok || ko "kill during --force: exit $rc"
# a temp dir of a live process is never touched
sleep 30 &
live=$!
mkdir "$p/.out.ckconv-tmp-$live"
q "$ck" convert "$tmp/hf" "$p/out" --to fast_llm --quiet --force &&
  [ "$(leftovers "$p")" = ".out.ckconv-tmp-$live out " ] && ok || ko "a live run's temp dir was touched: left '$(leftovers "$p")'"
kill $live 2>/dev/null
wait $live 2>/dev/null
rmdir "$p/.out.ckconv-tmp-$live"
inputs_intact && ok || ko "inputs modified by the named-step kills"

# ------------------------------------------------- (a) kill by timing
# the default write path (threads, pwrite, copy_file_range), which the
# byte hooks do not drive: a 124 MB model cast to bf16, killed at 1/8 ..
# 7/8 of the time a whole conversion takes here, then the simple path
big=$tmp/big
$gen "$big/hf" --hidden 512 --heads 8 --kv-heads 2 --head-dim 64 --layers 8 --vocab 8000 \
  --inter 1536 >/dev/null || { echo "crash: generator failed"; exit 1; }
big_hash=$(tree_hash "$big/hf")
# the shortest of three runs: one slowed by other load on the machine
# would put the kills after the end of the faster runs that follow
ms=0
for run in 1 2 3; do
  t0=$(date +%s%N)
  q "$ck" convert "$big/hf" "$tmp/big_fl" --to fast_llm --dtype bf16 --quiet || { echo "crash: big conversion failed"; exit 1; }
  t=$(( ($(date +%s%N) - t0) / 1000000 ))
  { [ $ms -eq 0 ] || [ $t -lt $ms ]; } && ms=$t
  rm -rf "$tmp/big_fl"
done
killed=0
for k in 1 2 3 4 5 6 7 s2 s4 s6; do
  io=""
  case $k in s*) io=1; k=${k#s} ;; esac
  delay=$(awk "BEGIN { printf \"%.3f\", $ms * $k / 8 / 1000 }")
  p=$tmp/t_$k$io
  mkdir -p "$p"
  CKCONV_SIMPLE_IO=$io "$ck" convert "$big/hf" "$p/out" --to fast_llm --dtype bf16 --quiet 2>/dev/null &
  pid=$!
  sleep "$delay"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  rc=$?
  [ $rc -eq 137 ] && killed=$((killed + 1))
  left=$(leftovers "$p")
  case "$left" in
    "" | ".out.ckconv-tmp-$pid ") good=1 ;;                     # not published
    "out ") complete "$big/hf" "$p/out" && good=1 || good=0 ;;  # finished first
    *) good=0 ;;
  esac
  [ $good = 1 ] && [ "$(tree_hash "$big/hf")" = "$big_hash" ] && ok ||
    ko "kill after ${delay}s of ${ms} ms (SIMPLE_IO=$io): exit $rc, left '$left'"
  q "$ck" convert "$big/hf" "$p/out" --to fast_llm --dtype bf16 --quiet --force &&
    [ "$(leftovers "$p")" = "out " ] && ok || ko "rerun after a kill after ${delay}s: left '$(leftovers "$p")'"
  rm -rf "$p"
done
# most of them must have hit a running conversion, or this tests nothing
echo "crash: $killed of 10 timed kills hit a running conversion (one takes ${ms} ms)"
[ $killed -ge 5 ] && ok || ko "only $killed of 10 timed kills hit a running conversion"

# ------------------------------------------------ (b) the disk fills up
enospc() { # label in to n
  p=$tmp/f_$1
  rm -rf "$p"; mkdir -p "$p"
  CKCONV_TEST_FAIL_WRITE_AFTER_BYTES=$4 "$ck" convert "$2" "$p/out" --to "$3" $ppf --quiet 2>"$tmp/err"
  rc=$?
  first=$(head -n 1 "$tmp/err")
  case "$first" in
    *ckconv-tmp*) msg=0 ;; # errors name the user's output, not the temp
    "ckconv: error[io]: $p/out/"*": write failed: No space left on device (the disk is full)") msg=1 ;;
    *) msg=0 ;;
  esac
  [ $rc -eq 1 ] && [ $msg = 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && [ -z "$(leftovers "$p")" ] && inputs_intact && ok ||
    ko "ENOSPC after $4 bytes ($1): exit $rc, left '$(leftovers "$p")', message '$first'"
}
for n in 0 100 5000 $((total_fl / 2)) $((total_fl - 10)); do enospc "fl_$n" "$tmp/hf" fast_llm $n; done
for n in 0 $((total_hf / 3)) $((total_hf - 10)); do enospc "hf_$n" "$tmp/fl" llama $n; done
# the message names the file being written
enospc msg "$tmp/hf" fast_llm 100
grep -q "out/model_0.safetensors: write failed" "$tmp/err" && ok || ko "ENOSPC message names the file: $(cat "$tmp/err")"
enospc msg_small "$tmp/hf" fast_llm $((total_fl - 10))
grep -q "/metadata.yaml: write failed" "$tmp/err" && ok || ko "ENOSPC in metadata.yaml names it: $(cat "$tmp/err")"

# ------------------------------------- (c) SIGINT / SIGTERM during convert
# a Slurm time-out or Ctrl-C: the unfinished output is removed and said
# so (stage interrupted), exit 128 + signal; the reference run's time
# spreads the signals over the conversion
for sig in INT TERM; do
  want=130; [ $sig = TERM ] && want=143
  hits=0
  for k in 2 4 6; do
    p=$tmp/sig_$sig$k
    rm -rf "$p"; mkdir -p "$p"
    delay=$(awk "BEGIN { printf \"%.3f\", $ms * $k / 8 / 1000 }")
    "$ck" convert "$big/hf" "$p/out" --to fast_llm --dtype bf16 --quiet 2>"$tmp/err" &
    pid=$!
    sleep "$delay"
    kill -$sig $pid 2>/dev/null
    wait $pid
    rc=$?
    left=$(leftovers "$p")
    if [ $rc -eq $want ] && [ "$left" = "out " ]; then # after publishing
      complete "$big/hf" "$p/out" && grep -q "interrupted by SIG$sig (no output was half-written)" "$tmp/err" && ok ||
        ko "SIG$sig after ${delay}s, once published: $(cat "$tmp/err")"
    elif [ $rc -eq $want ] && [ -z "$left" ] && [ ! -s "$tmp/err" ]; then
      : # the signal came before ckconv's main (a loaded machine): nothing
        # written, not a hit (at least one of the three must be)
    elif [ $rc -eq $want ]; then
      hits=$((hits + 1))
      [ -z "$left" ] && grep -q "^ckconv: error\[interrupted\]: interrupted by SIG$sig: removed the unfinished output; $p/out was not written" "$tmp/err" &&
        [ "$(wc -l < "$tmp/err")" -eq 1 ] && ok ||
        ko "SIG$sig after ${delay}s: left '$left', $(cat "$tmp/err")"
    else # finished first
      [ $rc -eq 0 ] && [ "$left" = "out " ] && complete "$big/hf" "$p/out" && ok ||
        ko "SIG$sig after ${delay}s: exit $rc, left '$left'"
    fi
    [ "$(tree_hash "$big/hf")" = "$big_hash" ] && ok || ko "SIG$sig: input changed"
  done
  [ $hits -ge 1 ] && ok || ko "no SIG$sig hit a running conversion"
done
# --json: the interruption is the report's error
p=$tmp/sig_json; rm -rf "$p"; mkdir -p "$p"
"$ck" convert "$big/hf" "$p/out" --to fast_llm --dtype bf16 --quiet --json >"$tmp/sig.json" 2>/dev/null &
pid=$!
sleep "$(awk "BEGIN { printf \"%.3f\", $ms / 2 / 1000 }")"
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if [ $rc -eq 130 ]; then
  $py -c "import json,sys; e=json.load(open(sys.argv[1]))['error']; sys.exit(0 if e['stage'] == 'interrupted' and e['file'].endswith('/out') else 1)" "$tmp/sig.json" &&
    [ -z "$(leftovers "$p")" ] && ok || ko "SIGINT --json report: $(cat "$tmp/sig.json")"
else # finished before the signal: then it must have succeeded whole
  [ $rc -eq 0 ] && complete "$big/hf" "$p/out" && ok || ko "SIGINT --json: exit $rc"
fi

# ------------------------------------ (d) what may stand at the output
p=$tmp/outs; rm -rf "$p"; mkdir -p "$p/other" "$p/empty"
echo notes > "$p/other/notes.txt"; echo x > "$p/afile"
"$ck" convert "$tmp/hf" "$p/other" --to fast_llm --quiet --force 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "other exists and is not a checkpoint folder" "$tmp/err" &&
  [ "$(cat "$p/other/notes.txt")" = notes ] && [ "$(ls "$p/other")" = notes.txt ] && ok ||
  ko "--force on a folder that is not a checkpoint: $(cat "$tmp/err")"
"$ck" convert "$tmp/hf" "$p/afile" --to fast_llm --quiet --force 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "afile exists and is not a folder" "$tmp/err" && [ "$(cat "$p/afile")" = x ] && ok ||
  ko "--force on a plain file: $(cat "$tmp/err")"
q "$ck" convert "$tmp/hf" "$p/empty" --to fast_llm --quiet $ppf && complete "$tmp/hf" "$p/empty" &&
  [ -z "$(ls -A "$p" | grep ckconv)" ] && ok || ko "an empty pre-created output folder is taken"
"$ck" convert "$tmp/hf" "$p/empty" --to fast_llm --quiet $ppf 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "exists; use --force" "$tmp/err" && ok || ko "a checkpoint needs --force"
q "$ck" convert "$tmp/hf" "$p/empty" --to fast_llm --quiet --force $ppf && complete "$tmp/hf" "$p/empty" && ok ||
  ko "--force replaces a checkpoint"

# a real full disk: a 1 MiB tmpfs (root only; skipped elsewhere)
m=$tmp/mnt
mkdir -p "$m"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m tmpfs "$m" 2>/dev/null; then
  mnt=$m
  # the default (fast) write path, then the simple one
  for io in "" 1; do
    CKCONV_SIMPLE_IO=$io "$ck" convert "$big/hf" "$m/out" --to fast_llm --quiet 2>"$tmp/err"
    rc=$?
    [ $rc -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
      grep -q "No space left on device (the disk is full)" "$tmp/err" &&
      grep -q "$m/out/" "$tmp/err" && ! grep -q "ckconv-tmp" "$tmp/err" &&
      [ -z "$(leftovers "$m")" ] &&
      [ "$(tree_hash "$big/hf")" = "$big_hash" ] && ok ||
      ko "tmpfs full (CKCONV_SIMPLE_IO=$io): exit $rc, left '$(leftovers "$m")', $(head -n 1 "$tmp/err")"
  done
  umount "$m" && mnt=""
else
  echo "crash: skipped the 1 MiB tmpfs test (mounting needs root)"
fi

inputs_intact && ok || ko "inputs modified"
echo "crash: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
