#!/bin/sh
# run.sh FUZZER NAME SECONDS OUT - run one libFuzzer harness of tests/fuzz
# for SECONDS from its seed corpus (tests/fuzz/corpus/NAME, read only).
# New corpus inputs go to OUT/corpus/NAME, a crashing input to
# OUT/crashes/NAME-*, the whole log to OUT/NAME.log; the repository is
# never written.  Prints one summary line; exit 1 on any finding (crash,
# leak, UBSan report, timeout, out-of-memory).
set -u
bin=$1
name=$2
secs=$3
out=$4
mkdir -p "$out/corpus/$name" "$out/crashes"
log=$out/$name.log
# -close_fd_mask=3: the code under test prints diagnostics (convc's, on
# stderr) for most inputs; libFuzzer keeps its own and the sanitizers'
# reports on a duplicate of stderr.
CK_FUZZ_SPECS=specs "$bin" -max_total_time="$secs" -close_fd_mask=3 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$out/crashes/$name-" \
  "$out/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ $rc -ne 0 ]; then
  echo "FAIL fuzz_$name: exit $rc after ${execs:-?} executions; input in $out/crashes, log $log"
  grep -E '^(==[0-9]+==|SUMMARY|.*runtime error)' "$log" | head -n 20
  exit 1
fi
corpus=$(ls "$out/corpus/$name" | wc -l)
echo "fuzz_$name: $execs executions in $secs s, no finding (corpus $out/corpus/$name: $corpus inputs)"
