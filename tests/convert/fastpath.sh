#!/bin/sh
# The fast write path of `ckconv convert` (ck_jobs_write: files laid out
# up front, tensors written at their offsets by --jobs threads, identity
# copies by copy_file_range) must produce exactly the bytes of the simple
# path (CKCONV_SIMPLE_IO=1: one thread streaming each file through
# ck_st_writer).  For small generated checkpoints (tests/tools/
# make_hf_llama.py: llama with several input shards, mixtral whose
# per-expert layer 2 is transposed, qwen2 with biases in bf16), both
# directions, with and without a cast, several output shards, --jobs 1, 2
# and 4, and the pread/pwrite fallback (CKCONV_SIMPLE_IO=pwrite): every
# output file is compared with cmp.  Then a fast-path failure: one error,
# naming the file, and no output folder or temporary left behind; and
# --jobs values out of 1..256 refused as usage errors.
# No timing is measured here (see tests/tools/bench.sh).
#
# usage: sh tests/convert/fastpath.sh [CKCONV]
set -u
ck=${1:-build/ckconv}
py=/usr/bin/python3
gen="$py tests/tools/make_hf_llama.py"
. "$(dirname "$0")/../tools/testlib.sh"

# same_tree A B: the same file names, each byte-identical.
same_tree() {
  [ "$(cd "$1" && ls)" = "$(cd "$2" && ls)" ] || { echo "file lists differ: $1 $2"; return 1; }
  for f in "$1"/*; do
    cmp "$f" "$2/$(basename "$f")" || return 1
  done
}

# check NAME IN OUT-BASE CONVERT-ARGS...: the simple path's output as the
# reference, then each fast variant compared with it.
check() {
  name=$1 in=$2 out=$3
  shift 3
  if ! CKCONV_SIMPLE_IO=1 "$ck" convert "$in" "$out.ref" --quiet "$@" >"$tmp/log" 2>&1; then
    cat "$tmp/log"
    ko "$name: simple path"
    return
  fi
  for v in "1 fast" "2 fast" "4 fast" "2 pwrite" "1 pwrite"; do
    j=${v% *} mode=${v#* }
    o=$out.j$j.$mode
    if [ "$mode" = pwrite ]; then
      CKCONV_SIMPLE_IO=pwrite "$ck" convert "$in" "$o" --quiet --jobs "$j" "$@" >"$tmp/log" 2>&1
    else
      "$ck" convert "$in" "$o" --quiet --jobs "$j" "$@" >"$tmp/log" 2>&1
    fi || { cat "$tmp/log"; ko "$name: --jobs $j $mode: convert failed"; continue; }
    same_tree "$out.ref" "$o" && ok || ko "$name: --jobs $j $mode: differs from the simple path"
    rm -rf "$o"
  done
}

case_model() { # name format generator-args...
  name=$1 fmt=$2
  shift 2
  d=$tmp/$name
  $gen "$d/hf" --format "$fmt" "$@" >/dev/null || { ko "$name: generator"; return; }
  check "$name import" "$d/hf" "$d/fl" --to fast_llm
  check "$name import bf16" "$d/hf" "$d/flb" --to fast_llm --dtype bf16
  check "$name export" "$d/fl.ref" "$d/hf2" --to "$fmt"
  check "$name export bf16" "$d/fl.ref" "$d/hf2b" --to "$fmt" --dtype bf16
  CK_MIN_PARAMETERS_PER_FILE_OK=1 check "$name export sharded" "$d/fl.ref" "$d/hf3" \
    --to "$fmt" --parameters-per-file 20000
  CK_MIN_PARAMETERS_PER_FILE_OK=1 check "$name import sharded fp16" "$d/hf" "$d/fl3" \
    --to fast_llm --parameters-per-file 20000 --dtype fp16
}

case_model llama llama --heads 4 --kv-heads 2 --shards 3
case_model mixtral mixtral --heads 4 --kv-heads 2 --shards 2
case_model qwen2 qwen2 --heads 4 --kv-heads 2 --dtype bf16 --tied

# A failure on the fast path (the file size limit makes laying out the
# output fail with EFBIG): exit 1, one error naming the file, and neither
# the output folder nor a temporary folder left behind.
d=$tmp/llama
(
  trap '' XFSZ
  ulimit -f 64
  exec "$ck" convert "$d/hf" "$tmp/big_out" --to fast_llm --quiet --jobs 2
) >"$tmp/log" 2>&1
rc=$?
if [ "$rc" = 1 ] && [ "$(grep -c 'error' "$tmp/log")" = 1 ] &&
   grep -q 'model_0.safetensors' "$tmp/log" && [ ! -e "$tmp/big_out" ] &&
   [ -z "$(ls -a "$tmp" | grep ckconv-tmp)" ]; then
  ok
else
  cat "$tmp/log"
  ko "fast-path failure: exit $rc, expected one error and no output"
fi

# The paths compared above really differ (else every cmp would pass
# trivially): traced system calls show copy_file_range on the default path,
# pwrite without it under CKCONV_SIMPLE_IO=pwrite, and neither on the
# simple path, which streams with write.
io_calls() { # MODE: "<copy_file_range count> <pwrite64 count>"
  rm -rf "$tmp/io_out"
  # LeakSanitizer cannot run under ptrace; leaks are checked by every
  # other run of the sanitizer build
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  CKCONV_SIMPLE_IO=$1 strace -f -qq -e trace=copy_file_range,pwrite64 \
    -o "$tmp/io.trace" "$ck" convert "$d/hf" "$tmp/io_out" --to fast_llm \
    --quiet --jobs 2 || return 1
  echo "$(grep -c '^[0-9]* *copy_file_range' "$tmp/io.trace") $(grep -c '^[0-9]* *pwrite64' "$tmp/io.trace")"
}
set -- $(io_calls "")
[ "${1:-0}" -gt 0 ] && ok || ko "default path: no copy_file_range traced ($*)"
set -- $(io_calls pwrite)
[ "${1:-1}" -eq 0 ] && [ "${2:-0}" -gt 0 ] && ok || ko "pwrite path: expected pwrite only ($*)"
set -- $(io_calls 1)
[ "${1:-1}" -eq 0 ] && [ "${2:-1}" -eq 0 ] && ok || ko "simple path: expected neither ($*)"

# --jobs takes 1 to 256: anything else is a usage error (exit 2), nothing
# written.
for bad in 0 -1 257 x ""; do
  "$ck" convert "$d/hf" "$tmp/bad_jobs" --to fast_llm --quiet --jobs "$bad" >"$tmp/log" 2>&1
  rc=$?
  if [ "$rc" = 2 ] && grep -q -- '--jobs' "$tmp/log" && [ ! -e "$tmp/bad_jobs" ]; then
    ok
  else
    cat "$tmp/log"
    ko "--jobs '$bad': exit $rc, expected a usage error"
  fi
done

echo "fastpath: $pass passed, $fail failed"
[ "$fail" = 0 ]
