#!/bin/sh
# Checkpoint conversion benchmark: is ckconv about as fast as copying the
# files, and does it stay small in memory whatever the model size?
#
# usage: sh tests/tools/bench.sh [CKCONV]        (default build/ckconv)
#
# A Hugging Face llama checkpoint of ~2.1 GiB (f32, 4 shards, random
# weights from tests/tools/make_hf_llama.py) is generated once under
# $BENCH_DIR (default build/bench) and reused by later runs with the same
# parameters.  Then, in the same run and under the same page-cache
# condition, this measures:
#
#   cp -r HF OUT + sync          the baseline: the fastest a converter that
#                                reads every byte and writes every byte can
#                                hope to be on this disk
#   ckconv convert HF -> fast_llm
#   the same with CKCONV_SIMPLE_IO=1 (one thread, streamed writes: what
#                                the fast path gains; same bytes, checked)
#   ckconv convert fast_llm -> HF (llama)
#   ckconv convert HF -> fast_llm --dtype bf16   (writes half the bytes)
#   ckconv convert fast_llm -> HF --dtype bf16
#   ckconv verify HF fast_llm     (reads both, writes nothing; by time)
#   ckconv convert HF -> fast_llm --resume   (staged and journaled: the
#                                journal's overhead, run right after the
#                                plain one in every round, reported as the
#                                range of the per-round ratios)
#   2 concurrent --part K/2 runs, then --finish   (the speed-up of parts
#                                on this machine; --jobs 1 each unless
#                                BENCH_JOBS, so as many threads as cores)
#
# and, outside that table, the time of the small steps: convc compiling
# every spec (as the Makefile's tables rule does) and `ckconv config
# import` of a real config.json (tests/data/llama-2-7b-hf_config.json),
# each the median over BENCH_REPS rounds of BENCH_SMALL_LOOPS runs.
#
# For each: the wall time (spawn to exit, plus a sync so that data left in
# the page cache is counted; ckconv fsyncs its files itself), the
# throughput in MiB/s of bytes written, the ratio to cp's throughput, and
# the peak ANONYMOUS resident memory of the process: RssAnon of
# /proc/PID/status sampled every 5 ms (tests/tools/rss_peak.py).  ckconv
# mmaps its input, and those pages are file-backed (RssFile), reclaimable
# and shared with the page cache, so they are not counted; what is counted
# is the memory ckconv itself allocates, which must not grow with the
# model.  Before every measurement the page cache is dropped when this
# runs as root (cold cache); otherwise the input is read once beforehand
# and the figures are warm-cache.  Each measurement runs BENCH_REPS times
# (default 3) and the MEDIAN run is reported (with the fastest and the
# slowest), with the highest RssAnon of all runs.
#
# The targets "throughput >= 0.8x cp" (0.6x by time with a bf16 cast)
# and "anon RSS < 64 MiB" are
# REPORTED as PASS/MISS, not asserted: the script exits 0 whatever the
# figures.  It fails (exit 1) only if a conversion fails or its output
# does not verify (tests/convert/oracle.py: the fast_llm -> HF round trip
# reproduces the input tensors byte for byte; the bf16 output is the
# input rounded to nearest even).  Conversion outputs are removed at the
# end; the generated input is kept for the next run.
#
# Environment: BENCH_DIR (work directory), BENCH_REPS (runs per
# measurement, default 3), BENCH_LAYERS (decoder layers, default 9, the
# size: about 0.18 GiB each on top of 0.49 GiB of embeddings; 1 for a
# quick CI-sized run), BENCH_JOBS (--jobs of ckconv convert; default:
# ckconv's own), BENCH_SMALL_LOOPS (runs per round of the small steps,
# default 20), BENCH_CACHE=warm (do not drop the page cache even as
# root).
# Variables are set through eval (t_KEY...) and word splitting is wanted:
# shellcheck disable=SC2046,SC2086,SC2154,SC2317
set -u

ck=${1:-build/ckconv}
py=/usr/bin/python3
tools=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$tools/../.." && pwd)
bench_dir=${BENCH_DIR:-$root/build/bench}
reps=${BENCH_REPS:-3}
layers=${BENCH_LAYERS:-9}
loops=${BENCH_SMALL_LOOPS:-20}
jobs_opt=${BENCH_JOBS:+--jobs $BENCH_JOBS}
gen_args="--hidden 2048 --heads 16 --kv-heads 8 --head-dim 128 --layers $layers --inter 5632 --vocab 32000 --dtype f32 --shards 4 --seed 0"
MIN_RATIO=0.8
MIN_RATIO_CAST=0.6
MAX_ANON_MIB=64

die() { echo "bench: $*" >&2; exit 1; }

case $ck in /*) ;; *) ck=$(pwd)/$ck ;; esac
[ -x "$ck" ] || die "$ck: not an executable (run make first)"
[ -x "$py" ] || die "$py not found"
case $reps in ''|*[!0-9]*|0) die "BENCH_REPS must be a positive integer" ;; esac
case $layers in ''|*[!0-9]*|0) die "BENCH_LAYERS must be a positive integer" ;; esac
case $loops in ''|*[!0-9]*|0) die "BENCH_SMALL_LOOPS must be a positive integer" ;; esac
mkdir -p "$bench_dir" || die "cannot create $bench_dir"
bench_dir=$(cd "$bench_dir" && pwd)

hf=$bench_dir/hf_llama
work=$bench_dir/run.$$
cleanup() { rm -rf "$work" "$hf.tmp.$$"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Total size of the regular files of a folder tree, in bytes (POSIX).
folder_bytes() {
  find "$1" -type f -exec ls -ln {} + | awk '{ s += $5 } END { printf "%.0f\n", s }'
}

# Free space of the file system holding $1, in bytes.
free_bytes() {
  df -Pk "$1" | awk 'NR == 2 { printf "%.0f\n", $4 * 1024 }'
}

# ------------------------------------------------------------- the input
params_want="make_hf_llama.py $gen_args"
if [ -f "$hf.params" ] && [ "$(cat "$hf.params")" = "$params_want" ] &&
   [ -f "$hf/config.json" ]; then
  echo "input: reusing $hf"
else
  rm -rf "$hf" "$hf.params" "$hf.tmp.$$"
  # the generator holds every tensor in memory: ~2x the checkpoint size
  est=$((layers * 189000000 + 525000000))
  [ "$(free_bytes "$bench_dir")" -gt $((est * 2)) ] ||
    die "not enough space in $bench_dir for a ~$est-byte checkpoint (set BENCH_DIR)"
  echo "input: generating $hf ($gen_args)"
  # shellcheck disable=SC2086
  $py "$tools/make_hf_llama.py" "$hf.tmp.$$" $gen_args ||
    die "make_hf_llama.py failed"
  mv "$hf.tmp.$$" "$hf" || die "cannot rename the generated checkpoint"
  echo "$params_want" > "$hf.params"
fi

set -- $($py - "$hf" <<'EOF'
import glob, json, os, struct, sys
params = tensors = 0
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.safetensors")))
for path in files:
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    header.pop("__metadata__", None)
    for e in header.values():
        n = 1
        for d in e["shape"]:
            n *= d
        params += n
        tensors += 1
print(params, tensors, len(files))
EOF
)
[ $# -eq 3 ] || die "cannot read the headers of $hf"
n_params=$1 n_tensors=$2 n_files=$3
in_bytes=$(folder_bytes "$hf")
awk -v p="$n_params" -v t="$n_tensors" -v f="$n_files" -v b="$in_bytes" 'BEGIN {
  printf "input: %d tensors, %.0f parameters (%.1f M), %d safetensors files\n", t, p, p / 1e6, f
  printf "input: %.0f bytes (%.2f GiB, %.1f MiB) on disk\n", b, b / 2^30, b / 2^20 }'
[ "$in_bytes" -ge 2147483648 ] ||
  echo "bench: note: the input is smaller than 2 GiB (BENCH_LAYERS=$layers); figures are less meaningful"

# cp + two fast_llm + HF + two bf16 outputs at once, with some slack
need=$((in_bytes * 5 + 268435456))
[ "$(free_bytes "$bench_dir")" -gt "$need" ] ||
  die "not enough space in $bench_dir: need $need bytes for the outputs (set BENCH_DIR)"
mkdir -p "$work" || die "cannot create $work"

# ------------------------------------------------------------ page cache
if [ "${BENCH_CACHE:-}" != warm ] &&
   (sync && echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
  cache=cold
  cache_note="cold cache: page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every run"
else
  cache=warm
  cache_note="WARM cache: the page cache is not dropped (not root, or BENCH_CACHE=warm); the input is read once before every run, so reads come from memory for cp and ckconv alike"
fi
echo "cache: $cache_note"

# Bring every run to the same starting point.
settle() { # input-folder
  sync
  if [ "$cache" = cold ]; then
    echo 3 > /proc/sys/vm/drop_caches
  else
    find "$1" -type f -exec cat {} + > /dev/null
  fi
}

# ------------------------------------------------------------ measuring
# measure KEY INPUT OUTPUT CMD...: run CMD (which reads INPUT and creates
# OUTPUT, or "-" for none) once; add its time to KEY's list and keep the
# highest RssAnon under KEY.
measure() {
  key=$1 input=$2 output=$3
  shift 3
  [ "$output" = - ] || rm -rf "$output"
  settle "$input"
  res=$($py "$tools/rss_peak.py" --sync -- "$@" 2>"$work/log") ||
    { cat "$work/log" >&2; die "rss_peak.py failed for $key"; }
  res=$(printf '%s\n' "$res" | tail -n 1) # its line follows CMD's output
  set -- $res
  [ $# -eq 5 ] || { cat "$work/log" >&2; die "$key: unexpected measurement '$res'"; }
  if [ "$5" != 0 ]; then
    cat "$work/log" >&2
    die "$key failed (exit $5)"
  fi
  [ "$4" -gt 0 ] || [ "$key" = cp ] ||
    echo "bench: warning: $key exited before any RssAnon sample; its RSS figure is not meaningful"
  if [ "$output" = - ]; then bytes=$in_bytes; else bytes=$(folder_bytes "$output"); fi
  printf '  %-12s run %d: %7.2f s  RssAnon %6d KiB  (%d samples)\n' \
    "$key" "$rep" "$1" "$2" "$4"
  eval "old_t=\${t_$key:-} old_s=\${s_$key:-} old_a=\${a_$key:-0} old_m=\${m_$key:-0}"
  eval "l_$key=\"\${l_$key:-} $1\""
  if [ -z "$old_t" ] || awk -v a="$1" -v b="$old_t" 'BEGIN { exit !(a < b) }'; then
    eval "t_$key=$1"
  fi
  if [ -z "$old_s" ] || awk -v a="$1" -v b="$old_s" 'BEGIN { exit !(a > b) }'; then
    eval "s_$key=$1"
  fi
  [ "$2" -gt "$old_a" ] && eval "a_$key=$2"
  [ "$3" -gt "$old_m" ] && eval "m_$key=$3"
  eval "w_$key=$bytes"
}

# median of the numbers given as arguments
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# small KEY CMD...: milliseconds per run of CMD (stdout discarded), the
# median over $reps rounds of $loops runs each (warm cache: these steps
# read a few small files).
small() {
  key=$1
  shift
  "$@" > /dev/null 2>"$work/log" || { cat "$work/log" >&2; die "$key failed"; }
  list=
  r=1
  while [ "$r" -le "$reps" ]; do
    t0=$(date +%s%N)
    i=1
    while [ "$i" -le "$loops" ]; do
      "$@" > /dev/null 2>&1 || die "$key failed"
      i=$((i + 1))
    done
    t1=$(date +%s%N)
    list="$list $(awk -v a="$t0" -v b="$t1" -v n="$loops" 'BEGIN { printf "%.3f", (b - a) / 1e6 / n }')"
    r=$((r + 1))
  done
  eval "ms_$key=$(median $list)"
}

echo "runs: $reps per measurement, median reported"
rep=1
while [ "$rep" -le "$reps" ]; do
  measure cp "$hf" "$work/cp" cp -r "$hf" "$work/cp"
  measure import "$hf" "$work/fl" "$ck" convert "$hf" "$work/fl" --to fast_llm --quiet $jobs_opt
  export CKCONV_SIMPLE_IO=1 # the same, through the simple write path
  measure simple "$hf" "$work/fl_simple" "$ck" convert "$hf" "$work/fl_simple" --to fast_llm --quiet
  unset CKCONV_SIMPLE_IO
  measure resume "$hf" "$work/fl_resume" "$ck" convert "$hf" "$work/fl_resume" --to fast_llm --resume --quiet $jobs_opt
  measure parts2 "$hf" "$work/fl_parts" sh -c '"$1" convert "$2" "$3" --to fast_llm --part 1/2 --quiet $4 &
    a=$!; "$1" convert "$2" "$3" --to fast_llm --part 2/2 --quiet $4 || exit 1; wait $a || exit 1
    exec "$1" convert "$2" "$3" --to fast_llm --finish --quiet' sh "$ck" "$hf" "$work/fl_parts" "${jobs_opt:---jobs 1}"
  measure verify "$hf" - "$ck" verify "$hf" "$work/fl"
  measure export "$work/fl" "$work/hf2" "$ck" convert "$work/fl" "$work/hf2" --to llama --quiet $jobs_opt
  measure bf16 "$hf" "$work/fl_bf16" "$ck" convert "$hf" "$work/fl_bf16" --to fast_llm --dtype bf16 --quiet $jobs_opt
  measure ebf16 "$work/fl" "$work/hf_bf16" "$ck" convert "$work/fl" "$work/hf_bf16" --to llama --dtype bf16 --quiet $jobs_opt
  rep=$((rep + 1))
done

echo "small steps: $reps rounds of $loops runs, median reported"
convc=$(dirname "$ck")/convc
[ -x "$convc" ] || die "$convc: not an executable (run make first)"
small convc "$convc" -o "$work/gen" --doc "$work/formats.md" \
  $(for f in "$root"/specs/*.json; do printf -- '--data %s ' "$f"; done) "$root"/specs/*.conv
small cfgimport "$ck" config import -f llama "$root/tests/data/llama-2-7b-hf_config.json"

# ------------------------------------------------------------ verifying
echo "verify: fast_llm -> HF round trip reproduces the input tensors"
$py "$root/tests/convert/oracle.py" same "$hf" "$work/hf2" > "$work/log" 2>&1 ||
  { cat "$work/log" >&2; die "the round trip does not reproduce the input"; }
echo "verify: bf16 output is the input rounded to nearest even"
$py "$root/tests/convert/oracle.py" cast "$work/fl" "$work/fl_bf16" BF16 > "$work/log" 2>&1 ||
  { cat "$work/log" >&2; die "the bf16 output is not the rounded input"; }
cmp_dirs() { # A B: every file of A byte-identical in B
  for f in "$1"/*; do cmp "$f" "$2/$(basename "$f")" || return 1; done
}
echo "verify: the fast and the simple write paths wrote the same bytes"
cmp_dirs "$work/fl" "$work/fl_simple" > "$work/log" 2>&1 ||
  { cat "$work/log" >&2; die "the fast path output differs from the simple path's"; }
echo "verify: the --resume and the 2-part outputs are byte-identical to the plain one"
for d in fl_resume fl_parts; do
  diff -r "$work/fl" "$work/$d" > "$work/log" 2>&1 ||
    { cat "$work/log" >&2; die "$d differs from the plain conversion"; }
done
rm -rf "$work/fl_simple" "$work/cp" "$work/fl" "$work/hf2" "$work/fl_bf16" "$work/hf_bf16" "$work/gen" \
  "$work/fl_resume" "$work/fl_parts"

# ------------------------------------------------------------ reporting
row() { # key label
  eval "t=\$t_$1 s=\$s_$1 a=\$a_$1 m=\$m_$1 w=\$w_$1 l=\$l_$1"
  # shellcheck disable=SC2086
  md=$(median $l) mc=$(median $l_cp)
  awk -v l="$2" -v t="$t" -v s="$s" -v a="$a" -v m="$m" -v w="$w" \
      -v md="$md" -v mc="$mc" -v cw="$w_cp" 'BEGIN {
    thr = w / 2^20 / md; cthr = cw / 2^20 / mc
    printf "%-28s %7.2f %7.2f %7.2f %8.1f %8.1f %7.2fx %6.2fx %8.1f %8.1f\n", l, md, t, s,
      w / 2^20, thr, thr / cthr, mc / md, a / 1024, m / 1024 }'
}
echo
echo "checkpoint: $n_params parameters, $in_bytes bytes ($cache cache, median of $reps; ckconv ${jobs_opt:-default --jobs}; $(nproc) cores)"
hdr() { printf '%-28s %7s %7s %7s %8s %8s %8s %7s %8s %8s\n' "$@"; }
hdr "" "median" "best" "worst" "written" "written" "thrput" "time" "peak" "max RSS"
hdr "run" "time s" "time s" "time s" "MiB" "MiB/s" "vs cp" "vs cp" "RssAnon" "all MiB"
hdr "" "" "" "" "" "(median)" "" "" "MiB" "(info)"
row cp "cp -r + sync (baseline)"
row import "ckconv HF -> fast_llm"
row simple "  same, CKCONV_SIMPLE_IO=1"
row export "ckconv fast_llm -> HF"
row bf16 "ckconv HF -> fast_llm bf16"
row ebf16 "ckconv fast_llm -> HF bf16"
row resume "  same, --resume (journal)"
row parts2 "  same, 2 parts + --finish"
row verify "ckconv verify HF fast_llm"
echo
# the journal's overhead: resume / plain, per round (run back to back)
# shellcheck disable=SC2086
printf '%s\n' $l_import > "$work/a"; printf '%s\n' $l_resume > "$work/b"
paste "$work/a" "$work/b" | awk '{ r = $2 / $1; if (NR == 1 || r < lo) lo = r
  if (NR == 1 || r > hi) hi = r; s += r } END {
  printf "%-40s %.2fx .. %.2fx (mean %.2fx) of the plain run'"'"'s time\n", "journal overhead (--resume / plain)", lo, hi, s / NR }'
md_i=$(median $l_import) md_p=$(median $l_parts2)
awk -v a="$md_i" -v b="$md_p" 'BEGIN {
  printf "%-40s %.2fx (median times %.2f s -> %.2f s)\n", "2 concurrent parts vs 1 process", a / b, a, b }'
printf '%-40s %9.1f ms\n' "convc, all specs (median)" "$ms_convc"
printf '%-40s %9.1f ms\n' "ckconv config import llama-2-7b (median)" "$ms_cfgimport"
cat <<EOF

  median/best/worst: of the $reps runs; a wide spread means a noisy disk
                (raise BENCH_REPS).  The other figures use the median.
  verify:       reads the input and the fast_llm output, writes nothing;
                'written MiB' is the input size; judge it by time.
  thrput vs cp: MiB/s of bytes written divided by cp's MiB/s.
  time vs cp:   cp's time divided by this run's time (the bf16 run writes
                half the bytes it reads, so judge it on this one).
  peak RssAnon: anonymous resident memory only (heap, buffers, stacks),
                sampled every 5 ms; the mmapped input is file-backed
                (RssFile) and is NOT counted.  Highest of the $reps runs.
  max RSS all:  getrusage ru_maxrss, file-backed mmapped pages included;
                informative, it grows with the tensors being read.

targets (reported, not asserted):
EOF
target() { # key label ratio-kind min-ratio
  eval "a=\$a_$1 w=\$w_$1 l=\$l_$1"
  # shellcheck disable=SC2086
  t=$(median $l) ct=$(median $l_cp)
  awk -v l="$2" -v t="$t" -v a="$a" -v w="$w" -v ct="$ct" -v cw="$w_cp" \
      -v k="$3" -v mr="$4" -v ma="$MAX_ANON_MIB" 'BEGIN {
    ratio = (k == "time") ? ct / t : (w / t) / (cw / ct)
    printf "  %-28s throughput >= %.1fx cp: %-4s (%.2fx%s)   anon RSS < %d MiB: %-4s (%.1f MiB)\n",
      l, mr, (ratio >= mr) ? "PASS" : "MISS", ratio, (k == "time") ? ", by time" : "",
      ma, (a / 1024 < ma) ? "PASS" : "MISS", a / 1024 }'
}
target import "ckconv HF -> fast_llm" bytes "$MIN_RATIO"
target export "ckconv fast_llm -> HF" bytes "$MIN_RATIO"
target bf16 "ckconv HF -> fast_llm bf16" time "$MIN_RATIO_CAST"
target ebf16 "ckconv fast_llm -> HF bf16" time "$MIN_RATIO_CAST"
echo
echo "bench: done ($cache cache); outputs removed, input kept in $hf"
exit 0
