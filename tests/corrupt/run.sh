#!/bin/sh
# run.sh CKCONV - the corrupt-input corpus: damaged checkpoints and
# configs, each rejected with an exact message.
#
# tests/corrupt/make_corpus.py builds every case at test time from three
# small valid checkpoints (so no binary is committed): WORK/NAME/ is a
# checkpoint folder, run as `ckconv convert NAME NAME.out --to X` (X is
# fast_llm for an HF folder, llama for a fast_llm one); WORK/NAME, a
# file, is run as `ckconv config import -f llama NAME`.  Commands run in
# WORK with relative paths, so messages name `NAME/file`; WORK's absolute
# path, where a message has one (symlink targets), is shown as WORK.
#
# tests/corrupt/NAME.expected holds the exact line stderr must be.  Every
# case must also: exit 1, print exactly that one line and nothing on
# stdout, name the case's file, write nothing (no NAME.out, no temporary
# .NAME.out.ckconv-* folder) and leave the input byte-identical.
#
# CORRUPT_UPDATE=1 writes the .expected files from the actual messages
# (review the diff).  CKCONV_WRAP (e.g. a valgrind command line) is put
# before every ckconv command; CORRUPT_SKIP lists cases to leave out.
set -u
ck=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
wrap=${CKCONV_WRAP:-}
skip=" ${CORRUPT_SKIP:-} "
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
W=$tmp/w
mkdir -p "$W/base"
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
tree_hash() { (cd "$1" && find . \( -type f -o -type l \) | LC_ALL=C sort | while read -r f; do
  if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else sha256sum "$f"; fi; done) | sha256sum; }
hash_of() { if [ -d "$1" ]; then tree_hash "$1"; else sha256sum "$1"; fi; }

# the three valid checkpoints every case is a damaged copy of
gen="$py $root/tests/tools/make_hf_llama.py"
small="--hidden 16 --heads 2 --kv-heads 1 --layers 1 --vocab 32 --inter 32"
# shellcheck disable=SC2086
$gen "$W/base/hf" $small >/dev/null && $gen "$W/base/hf2" $small --shards 2 >/dev/null &&
  "$ck" convert "$W/base/hf" "$W/base/fl" --to fast_llm --quiet &&
  CK_MIN_PARAMETERS_PER_FILE_OK=1 "$ck" convert "$W/base/hf2" "$W/base/fl2" \
    --to fast_llm --parameters-per-file 1500 --quiet || { echo "corrupt: cannot build the base checkpoints"; exit 1; }
rm -rf "$W/base/fl" && mv "$W/base/fl2" "$W/base/fl"
[ -f "$W/base/fl/model_1.safetensors" ] || { echo "corrupt: the fast_llm base needs two files"; exit 1; }
# the bases themselves are fine: every failure below is the damage's
for b in hf hf2 fl; do
  to=fast_llm; [ $b = fl ] && to=llama
  "$ck" convert "$W/base/$b" "$tmp/check_$b" --to $to --quiet || { echo "corrupt: base $b does not convert"; exit 1; }
done

cases=$($py "$here/make_corpus.py" "$W") || { echo "corrupt: make_corpus.py failed"; exit 1; }
# the .bin writer of the corpus, undamaged, gives a valid checkpoint
$wrap "$ck" convert "$W/bin_valid_base" "$tmp/check_bin" --to fast_llm --quiet || { echo "corrupt: bin_valid_base does not convert"; exit 1; }
outside=$(tree_hash "$W/outside")
cd "$W" || exit 1
for name in $cases; do
  case "$skip" in *" $name "*) continue ;; esac
  exp=$here/$name.expected
  before=$(hash_of "$name")
  if [ -d "$name" ]; then
    to=fast_llm; [ -f "$name/metadata.yaml" ] && to=llama
    $wrap "$ck" convert "$name" "$name.out" --to $to --quiet >"$tmp/out" 2>"$tmp/err"
  else
    $wrap "$ck" config import -f llama "$name" >"$tmp/out" 2>"$tmp/err"
  fi
  rc=$?
  got=$(sed "s|$W|WORK|g" "$tmp/err" | head -n 1)
  if [ "${CORRUPT_UPDATE:-}" = 1 ] && [ $rc -eq 1 ]; then
    printf '%s\n' "$got" > "$exp"
  fi
  want=$(cat "$exp" 2>/dev/null) || want="(no $name.expected)"
  after=$(hash_of "$name")
  why=""
  [ $rc -eq 1 ] || why="$why exit $rc;"
  [ "$got" = "$want" ] || why="$why message differs;"
  [ "$(wc -l < "$tmp/err")" -eq 1 ] || why="$why $(wc -l < "$tmp/err") lines on stderr;"
  [ -s "$tmp/out" ] && why="$why output on stdout;"
  case "$got" in *"$name"*) ;; *) why="$why message does not name $name;" ;; esac
  [ -e "$name.out" ] && why="$why $name.out written;"
  [ -n "$(ls -a | grep -F ".$name.out.ckconv")" ] && why="$why temporary folder left;"
  [ "$before" = "$after" ] || why="$why input modified;"
  if [ -z "$why" ]; then
    ok
  else
    ko "$name:$why"
    echo "  want: $want"
    echo "  got:  $got"
    [ "$(wc -l < "$tmp/err")" -gt 1 ] && sed 's/^/  | /' "$tmp/err" | head -n 20
  fi
done
[ "$(tree_hash "$W/outside")" = "$outside" ] && ok || ko "the files outside the folders changed"
# every expected file has its case
for exp in "$here"/*.expected; do
  name=$(basename "$exp" .expected)
  case " $(echo $cases) " in *" $name "*) ;; *) ko "$name.expected: no such case" ;; esac
done
echo "corrupt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
