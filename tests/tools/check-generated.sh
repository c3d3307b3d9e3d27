#!/bin/sh
# check-generated.sh CONVC SPEC... - fail when the committed generated/
# tables differ from what the specs compile to now (CI's staleness check).
set -eu
convc=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$convc" -o "$tmp" "$@"
stale=0
for f in ck_tables.c ck_tables.h; do
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
     git cat-file -e "HEAD:generated/$f" 2>/dev/null; then
    git show "HEAD:generated/$f" > "$tmp/committed"
  else
    cp "generated/$f" "$tmp/committed"
  fi
  if ! cmp -s "$tmp/$f" "$tmp/committed"; then
    echo "generated/$f is stale: run make and commit generated/" >&2
    stale=1
  fi
done
[ "$stale" -eq 0 ] && echo "generated: up to date (1 passed, 0 failed)"
exit "$stale"
