#!/bin/sh
# check-generated.sh CONVC SPEC... - fail when the committed generated/
# tables differ from what the specs compile to now (CI's staleness check).
set -eu
convc=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$convc" -o "$tmp" --doc "$tmp/formats.md" "$@"
stale=0
for f in generated/ck_tables.c generated/ck_tables.h docs/formats.md; do
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
     git cat-file -e "HEAD:$f" 2>/dev/null; then
    git show "HEAD:$f" > "$tmp/committed"
  else
    cp "$f" "$tmp/committed"
  fi
  if ! cmp -s "$tmp/$(basename "$f")" "$tmp/committed"; then
    echo "$f is stale: run make and commit it" >&2
    stale=1
  fi
done
[ "$stale" -eq 0 ] && echo "generated: up to date (1 passed, 0 failed)"
exit "$stale"
