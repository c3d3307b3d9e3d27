#!/bin/sh
# hubcache.sh CKCONV - the Hugging Face hub cache as an input.
#
# Builds a cache exactly as huggingface_hub lays one out (blobs/ named by
# their sha256 for the safetensors files and by their git blob sha1 for
# the small ones, snapshots/<40-hex commit>/ holding relative links into
# ../../blobs/, refs/main and refs/v1 holding commit hashes), then checks
# against conversions of the same checkpoints as plain folders: a snapshot
# folder and a repo id convert byte-identically, --revision picks a
# branch, a tag or a full hash, the cache folder follows HF_HUB_CACHE /
# HF_HOME / ~/.cache like huggingface_hub, plan / inspect / verify accept
# repo ids (--json names the resolved folder), and each refusal is one
# line and exit 1.  After every command the cache's listing (path, size,
# mtime, link target, and each file's sha256) is what it was.
set -u
ck=${1:-build/ckconv}
case $ck in /*) ;; *) ck=$(pwd)/$ck ;; esac
py=/usr/bin/python3
. "$(dirname "$0")/../tools/testlib.sh"
gen="$py tests/tools/make_hf_llama.py"
small="--hidden 16 --heads 2 --kv-heads 1 --layers 1 --vocab 32 --inter 32"
unset HF_HUB_CACHE HUGGINGFACE_HUB_CACHE HF_HOME XDG_CACHE_HOME
A=0123456789abcdef0123456789abcdef01234567
B=89abcdef0123456789abcdef0123456789abcdef

# two revisions of one model (different weights), as plain folders
# shellcheck disable=SC2086
$gen "$tmp/plainA" $small --shards 2 >/dev/null &&
  $gen "$tmp/plainB" $small --shards 2 --seed 7 >/dev/null &&
  "$ck" convert "$tmp/plainA" "$tmp/wantA" --to fast_llm --quiet &&
  "$ck" convert "$tmp/plainB" "$tmp/wantB" --to fast_llm --quiet ||
  { echo "hubcache: cannot build the plain checkpoints"; exit 1; }
cmp -s "$tmp/wantA/model_0.safetensors" "$tmp/wantB/model_0.safetensors" &&
  { echo "hubcache: the two revisions must differ"; exit 1; }

# snapshot REPO_DIR COMMIT PLAIN: PLAIN's files as blobs + links
snapshot() {
  mkdir -p "$1/blobs" "$1/refs" "$1/snapshots/$2"
  for f in "$3"/*; do
    case $f in
      *.safetensors) h=$(sha256sum "$f" | cut -c1-64) ;;
      *) h=$($py -c "import hashlib,sys; d=open(sys.argv[1],'rb').read(); print(hashlib.sha1(b'blob %d\0' % len(d) + d).hexdigest())" "$f") ;;
    esac
    [ -f "$1/blobs/$h" ] || cp "$f" "$1/blobs/$h"
    ln -s "../../blobs/$h" "$1/snapshots/$2/$(basename "$f")"
  done
}
home=$tmp/home
hub=$home/.cache/huggingface/hub
repo=$hub/models--org--tiny
snapshot "$repo" $A "$tmp/plainA"
snapshot "$repo" $B "$tmp/plainB"
printf %s $A > "$repo/refs/main"
printf %s $B > "$repo/refs/v1"
# a pull-request revision "refs/pr/1" is kept as refs/refs/pr/1
mkdir -p "$repo/refs/refs/pr" && printf %s $B > "$repo/refs/refs/pr/1"
# refused repos: a shard linking out of the repo, dangling, a loop, a
# directory; and a ref whose snapshot is gone
mkdir -p "$tmp/elsewhere" && cp "$tmp/plainA/model-00001-of-00002.safetensors" "$tmp/elsewhere/x"
for bad in out dangling loop dir; do
  snapshot "$hub/models--org--$bad" $A "$tmp/plainA"
  printf %s $A > "$hub/models--org--$bad/refs/main"
  s1=$hub/models--org--$bad/snapshots/$A/model-00001-of-00002.safetensors
  rm "$s1"
  case $bad in
    out) ln -s "$tmp/elsewhere/x" "$s1" ;;
    dangling) ln -s ../../blobs/0000 "$s1" ;;
    loop) ln -s model-00001-of-00002.safetensors "$s1" ;;
    dir) ln -s ../../blobs "$s1" ;;
  esac
done
# the index itself linking out of the repo (a copy of the real one)
snapshot "$hub/models--org--idxout" $A "$tmp/plainA"
printf %s $A > "$hub/models--org--idxout/refs/main"
ix=$hub/models--org--idxout/snapshots/$A/model.safetensors.index.json
cp "$ix" "$tmp/elsewhere/index.json" && rm "$ix" && ln -s "$tmp/elsewhere/index.json" "$ix"
printf %s ffffffffffffffffffffffffffffffffffffffff > "$repo/refs/gone"
printf 'main\n' > "$repo/refs/bent"   # a ref that holds no commit hash

listing() {
  find "$home" "$tmp/elsewhere" -printf '%p %s %T@ %l\n' | LC_ALL=C sort
  find "$home" "$tmp/elsewhere" -type f -exec sha256sum {} + | LC_ALL=C sort
}
listing > "$tmp/listing.before"
untouched() { # what
  listing | cmp -s - "$tmp/listing.before" && ok || ko "$1: the cache changed"
}
n=0
# same OUT_WANT CMD...: CMD writes $tmp/o.N, byte-identical to OUT_WANT
same() {
  want=$1; shift
  n=$((n + 1))
  "$@" "$tmp/o.$n" --to fast_llm --quiet 2> "$tmp/err" &&
    diff -r "$want" "$tmp/o.$n" > /dev/null && [ ! -s "$tmp/err" ] && ok ||
    { cat "$tmp/err"; ko "$*: not the plain folder's conversion"; }
  untouched "$*"
}
export HOME="$home"

# a snapshot folder, a repo id (through ~/.cache), each revision form
same "$tmp/wantA" "$ck" convert "$repo/snapshots/$A"
same "$tmp/wantB" "$ck" convert "$repo/snapshots/$B"
same "$tmp/wantA" "$ck" convert org/tiny
same "$tmp/wantA" "$ck" convert org/tiny --revision main
same "$tmp/wantB" "$ck" convert org/tiny --revision v1
same "$tmp/wantB" "$ck" convert org/tiny --revision refs/pr/1
same "$tmp/wantA" "$ck" convert org/tiny --revision $A
same "$tmp/wantB" "$ck" convert --revision=$B org/tiny

# where the cache is: HF_HUB_CACHE over HF_HOME over XDG_CACHE_HOME
mkdir -p "$tmp/empty/hub"
same "$tmp/wantA" env HF_HOME="$home/.cache/huggingface" HOME=/nonexistent "$ck" convert org/tiny
same "$tmp/wantA" env HF_HUB_CACHE="$hub" HF_HOME="$tmp/empty" "$ck" convert org/tiny
same "$tmp/wantA" env HUGGINGFACE_HUB_CACHE="$hub" HF_HOME="$tmp/empty" "$ck" convert org/tiny
same "$tmp/wantA" env XDG_CACHE_HOME="$home/.cache" HOME=/nonexistent "$ck" convert org/tiny
env HF_HUB_CACHE="$tmp/empty/hub" HF_HOME="$home/.cache/huggingface" \
  "$ck" convert org/tiny "$tmp/o.x" --to fast_llm --quiet 2> "$tmp/err"
[ $? -eq 1 ] && grep -q "looked for $tmp/empty/hub/models--org--tiny;" "$tmp/err" &&
  [ ! -e "$tmp/o.x" ] && ok || ko "HF_HUB_CACHE wins over HF_HOME"

# an existing path is a folder: ./org/tiny here is revision B's files
mkdir -p "$tmp/cwd/org" && cp -r "$tmp/plainB" "$tmp/cwd/org/tiny"
(cd "$tmp/cwd" && "$ck" convert org/tiny "$tmp/o.cwd" --to fast_llm --quiet) &&
  diff -r "$tmp/wantB" "$tmp/o.cwd" > /dev/null && ok || ko "an existing path is a folder"

# plan, inspect and verify take repo ids; --json names the folder read
"$ck" plan org/tiny --to fast_llm --json > "$tmp/plan.json" &&
  $py -c "
import json, sys
r = json.load(open(sys.argv[1]))
want = {'repo_id': 'org/tiny', 'revision': 'main', 'commit': sys.argv[3], 'folder': sys.argv[2]}
sys.exit(0 if r['hub'] == [want] and r['plan']['input']['path'] == sys.argv[2] else 1)" \
    "$tmp/plan.json" "$repo/snapshots/$A" $A && ok || ko "plan --json names the snapshot"
$py tests/plan/check.py validate docs/ckconv-report.schema.json "$tmp/plan.json" > /dev/null &&
  ok || ko "plan --json with hub: schema"
untouched plan
"$ck" inspect org/tiny --revision v1 > "$tmp/ins" &&
  grep -q "^path:     $repo/snapshots/$B$" "$tmp/ins" && grep -q "^checks:   every tensor present" "$tmp/ins" &&
  ok || ko "inspect --revision v1"
"$ck" inspect org/tiny --json > "$tmp/ins.json" &&
  $py tests/plan/check.py validate docs/ckconv-report.schema.json "$tmp/ins.json" > /dev/null &&
  ok || ko "inspect --json with hub: schema"
untouched inspect
"$ck" verify org/tiny "$tmp/wantA" > "$tmp/v" && grep -q ", 0 differing (max relative difference 0)$" "$tmp/v" &&
  ok || ko "verify a repo id"
"$ck" verify "$tmp/wantB" org/tiny --revision v1 > /dev/null && ok || ko "verify --revision"
"$ck" verify "$tmp/wantB" org/tiny > /dev/null 2>&1; [ $? -eq 1 ] && ok || ko "verify main against v1 differs"
untouched verify

# refusals: one line on stderr, nothing on stdout, exit 1, nothing written
refuse() { # want-line cmd...
  want=$1; shift
  n=$((n + 1))
  "$@" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  if [ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
    [ "$(cat "$tmp/err")" = "$want" ] && [ ! -e "$tmp/o.$n" ]; then ok
  else ko "$*: exit $rc, got: $(cat "$tmp/err")"; echo "  want: $want"; fi
  untouched "$*"
}
S=snapshots/$A/model-00001-of-00002.safetensors
E="ckconv: error[checkpoint]:"
refuse "$E $hub/models--org--out/$S: symbolic link to $tmp/elsewhere/x, outside the cache repo $hub/models--org--out; refusing" \
  "$ck" convert org/out "$tmp/o.$((n + 1))" --to fast_llm
refuse "$E $hub/models--org--idxout/snapshots/$A/model.safetensors.index.json: symbolic link to $tmp/elsewhere/index.json, outside the cache repo $hub/models--org--idxout; refusing" \
  "$ck" convert org/idxout "$tmp/o.$((n + 1))" --to fast_llm
refuse "$E $hub/models--org--dangling/$S: dangling symbolic link to ../../blobs/0000; refusing" \
  "$ck" convert org/dangling "$tmp/o.$((n + 1))" --to fast_llm
refuse "$E $hub/models--org--loop/$S: symbolic link loop (it points to model-00001-of-00002.safetensors); refusing" \
  "$ck" plan org/loop --to fast_llm
refuse "$E $hub/models--org--dir/$S: symbolic link to $hub/models--org--dir/blobs, which is a directory; refusing" \
  "$ck" inspect "$hub/models--org--dir/snapshots/$A"
refuse "$E org/absent is not in the Hugging Face cache: looked for $hub/models--org--absent; download it first (e.g. \`hf download org/absent\`) or give a folder" \
  "$ck" convert org/absent "$tmp/o.$((n + 1))" --to fast_llm
refuse "$E $repo/refs/bent: not a commit hash; expected the commit hash of the ref" \
  "$ck" convert org/tiny "$tmp/o.$((n + 1))" --to fast_llm --revision bent
refuse "$E org/tiny has no revision 'v2' in the Hugging Face cache ($repo/refs has bent, gone, main, refs/pr/1, v1); give a downloaded branch or tag, or a full 40-character commit hash" \
  "$ck" verify org/tiny "$tmp/wantA" --revision v2
refuse "$E org/tiny: revision 'gone' is commit ffffffffffffffffffffffffffffffffffffffff, but its snapshot $repo/snapshots/ffffffffffffffffffffffffffffffffffffffff is missing; download it again (e.g. \`hf download org/tiny --revision gone\`)" \
  "$ck" convert org/tiny "$tmp/o.$((n + 1))" --to fast_llm --revision gone
refuse "$E --revision v1 selects a revision of a Hugging Face repo id (ORG/NAME), but $tmp/plainA is a path, not a repo id (an existing path is always a folder); give the repo id or drop --revision" \
  "$ck" convert "$tmp/plainA" "$tmp/o.$((n + 1))" --to fast_llm --revision v1
# an output inside the input's cache repo is a usage error (exit 2)
"$ck" convert org/tiny "$repo/converted" --to fast_llm 2> "$tmp/err"
[ $? -eq 2 ] && grep -q "^ckconv: output $repo/converted is inside the Hugging Face cache repo $repo of the input" "$tmp/err" &&
  ok || ko "an output in the cache repo"
untouched "output in the cache repo"
"$ck" convert org/tiny "$repo/blobs/new/sub/out" --to fast_llm 2> "$tmp/err"
[ $? -eq 2 ] && grep -q "^ckconv: output $repo/blobs/new/sub/out is inside the Hugging Face cache repo" "$tmp/err" &&
  ok || ko "an output in the cache repo under folders yet to be made"
untouched "output in the cache repo, parents missing"

echo "hubcache: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
