#!/bin/sh
# vendor-shared.sh [SHARED] - copy the reference data the tests read
# (SHARED/golden: upstream's converter outputs; SHARED/realdata: published
# HF configs and upstream's verdicts) into tests/data/shared/, byte for
# byte, so that a clone tests itself without ../shared beside it.
#   sh tests/tools/vendor-shared.sh ../shared     refresh the copy
#   sh tests/tools/vendor-shared.sh --check DIR   say whether DIR differs
# Expectations are never edited here: only copied.
set -eu
dest=tests/data/shared
if [ "${1:-}" = "--check" ]; then
  src=${2:?usage: vendor-shared.sh --check SHARED}
  [ -d "$src/golden" ] || { echo "vendored data: no $src/golden to compare"; exit 0; }
  if diff -rq "$src/golden" "$dest/golden" >/dev/null &&
     diff -rq "$src/realdata" "$dest/realdata" >/dev/null; then
    echo "vendored data: tests/data/shared is the same as $src"
  else
    echo "vendored data: $src differs from tests/data/shared (the tests ran on $src; refresh with sh tests/tools/vendor-shared.sh $src)"
  fi
  exit 0
fi
src=${1:-../shared}
[ -d "$src/golden" ] && [ -d "$src/realdata" ] ||
  { echo "vendor-shared: $src has no golden/ and realdata/" >&2; exit 1; }
rm -rf "$dest.new"
mkdir -p "$dest.new"
cp -R "$src/golden" "$src/realdata" "$dest.new/"
chmod -R u+w "$dest.new"
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "vendor-shared: copied $src/golden and $src/realdata into $dest"
