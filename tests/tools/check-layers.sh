#!/bin/sh
# check-layers.sh - the runtime's folders are layers: a file may include
# headers of its own layer and of the layers below it, never above.
# Also refuses include cycles between two files of different concepts
# (a .c/.h pair is one concept).  Usage: check-layers.sh LAYER...
# (lowest first, as RT_LAYERS in the Makefile), run from the top folder.
set -u
fail=0
rank() { # rank of the layer that holds header $1; -1 outside the layers
  r=0
  for l in $LAYERS; do
    [ -f "runtime/$l/$1" ] && { echo $r; return; }
    r=$((r + 1))
  done
  echo -1
}
LAYERS="$*"
r=0
for l in $LAYERS; do
  for f in runtime/$l/*.c runtime/$l/*.h; do
    [ -f "$f" ] || continue
    for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
      hr=$(rank "$h")
      if [ "$hr" -gt "$r" ]; then
        echo "check-layers: $f includes $h from a higher layer" >&2
        fail=1
      fi
    done
  done
  r=$((r + 1))
done
# convc (dsl/, compiler/) sees common/ and its own headers only: the
# compiler must not reach into the runtime
for f in dsl/*.c dsl/*.h dsl/*.y dsl/*.l compiler/*.c compiler/*.h; do
  [ -f "$f" ] || continue
  for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
    case "$h" in parser.h|lexer.h) continue ;; esac
    [ -f "common/$h" ] || [ -f "dsl/$h" ] || [ -f "compiler/$h" ] || {
      echo "check-layers: $f includes $h, which is not in common/, dsl/ or compiler/" >&2
      fail=1
    }
  done
done
# runtime/cmd/ sits on top: it may include anything; nothing includes it.
if grep -rln '#include "[^"]*cmd/' runtime 2>/dev/null; then fail=1; fi
# Cycles: A's files include B's header and B's files include A's.
for l in $LAYERS; do
  for f in runtime/$l/*.c runtime/$l/*.h; do
    [ -f "$f" ] || continue
    a=$(basename "${f%.*}")
    for h in $(sed -n 's/^#include "\([^"]*\)\.h".*/\1/p' "$f"); do
      [ "$h" = "$a" ] && continue
      for g in $(ls runtime/*/"$h".c runtime/*/"$h".h 2>/dev/null); do
        if grep -q "^#include \"$a\.h\"" "$g"; then
          echo "check-layers: $f and $g include each other" >&2
          fail=1
        fi
      done
    done
  done
done
[ $fail = 0 ] && echo "layers: every include goes down (or across) the layers $LAYERS; no cycles; convc includes nothing of runtime/"
exit $fail
