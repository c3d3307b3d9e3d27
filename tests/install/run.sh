#!/bin/sh
# Install tests: `make install` into a temporary DESTDIR, then run what was
# installed, not what is in build/: ckconv --version and formats, convc on
# the specs, a real HF -> fast_llm -> HF conversion, a C program built
# with `pkg-config --cflags --libs ckconv`, the bash completion (syntax and
# completions), the man pages (render without warnings, and list every
# subcommand and option of the usage texts and every keyword of the
# grammar, so they cannot drift from the programs), then `make uninstall`
# must leave no file behind.
#
#   sh tests/install/run.sh [MAKE] [BUILD]
set -u
make=${1:-make}
build=${2:-build}
py=/usr/bin/python3
. "$(dirname "$0")/../tools/testlib.sh"

root=$tmp/root
usr=$root/usr
if ! quiet $make -s BUILD="$build" DESTDIR="$root" PREFIX=/usr install; then
  ko "make install"
  echo "install: $pass passed, $((fail)) failed"
  exit 1
fi
ok
ck=$usr/bin/ckconv
convc=$usr/bin/convc

for f in bin/ckconv bin/convc lib/libckrt.a lib/pkgconfig/ckconv.pc \
         include/ckconv/ck_tables.h include/ckconv/ck_spec.h \
         share/man/man1/ckconv.1 share/man/man1/convc.1 share/man/man5/conv.5 \
         share/bash-completion/completions/ckconv; do
  [ -f "$usr/$f" ] && ok || ko "not installed: /usr/$f"
done

# --- the installed programs
v=$("$ck" --version) && echo "$v" | grep -Eq '^ckconv [0-9]+\.[0-9]+\.[0-9]+' && ok \
  || ko "ckconv --version: '$v'"
"$ck" formats >"$tmp/formats" && grep -q '^llama ' "$tmp/formats" && ok || ko "ckconv formats"
"$convc" --help >/dev/null 2>&1 && ok || ko "convc --help"
quiet "$convc" --check --data specs/transformers.json specs/*.conv && ok || ko "convc --check specs"
quiet "$convc" -o "$tmp/gen" --data specs/transformers.json specs/*.conv \
  && cmp -s "$tmp/gen/ck_tables.c" generated/ck_tables.c && ok \
  || ko "installed convc does not reproduce generated/ck_tables.c"

d=$tmp/conv
if quiet $py tests/tools/make_hf_llama.py "$d/hf"; then
  quiet "$ck" convert "$d/hf" "$d/fl" --to fast_llm --quiet && ok || ko "convert to fast_llm"
  quiet "$ck" convert "$d/fl" "$d/hf2" --to llama --quiet && ok || ko "convert to llama"
  quiet "$ck" verify "$d/fl" "$d/hf" && ok || ko "verify fast_llm vs hf"
  quiet "$ck" verify "$d/hf" "$d/hf2" && ok || ko "verify round trip"
else
  ko "make_hf_llama.py"
fi

# --- the runtime library through pkg-config (DESTDIR paths via the sysroot)
cat >"$tmp/t.c" <<'EOF'
#include <stdio.h>
#include <ck_config.h>
#include <ck_convert.h>
#include <ck_sha256.h>
#include <ck_tables.h>
int main(void) {
  const ck_format *f = ck_format_find(&ck_spec_tables, "llama");
  ck_rt rt;
  ck_rt_init(&rt, &ck_spec_tables, 0);
  ck_rt_free(&rt);
  if (!f) return 1;
  ck_sha256 s; /* on libmd: ckconv.pc must require it */
  char hex[65];
  ck_sha256_init(&s);
  ck_sha256_update(&s, "abc", 3);
  ck_sha256_hex(&s, hex);
  printf("%s %d %.8s\n", f->model_type, ck_spec_tables.n_formats > 0, hex);
  return 0;
}
EOF
export PKG_CONFIG_PATH="$usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
if flags=$(pkg-config --cflags --libs ckconv); then
  ok
  echo "$flags" | grep -q -- "-I$usr/include/ckconv" && ok || ko "pkg-config cflags: $flags"
  pkg-config --modversion ckconv | grep -qx "$("$ck" --version | cut -d' ' -f2)" && ok \
    || ko "ckconv.pc version differs from ckconv --version"
  # shellcheck disable=SC2086
  quiet ${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$tmp/t" "$tmp/t.c" $flags && ok \
    || ko "compile and link against the installed library"
  [ "$("$tmp/t" 2>&1)" = "llama 1 ba7816bf" ] && ok || ko "linked program output: $("$tmp/t" 2>&1)"
else
  ko "pkg-config ckconv"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# --- bash completion
comp=$usr/share/bash-completion/completions/ckconv
bash -n "$comp" && ok || ko "bash -n completion"
mkdir -p "$tmp/cwd/somedir"
complete() { # expected words... -- COMP_WORDS...
  exp=
  while [ "$1" != -- ]; do exp="$exp $1"; shift; done
  shift
  got=$(cd "$tmp/cwd" && PATH="$usr/bin:$PATH" bash -c '
    . "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ckconv
    printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' "$comp" "$@")
  want=$(printf '%s\n' $exp | sort | tr '\n' ' ')
  [ "$got" = "$want" ] && ok || ko "completion of '$*': got '$got', want '$want'"
}
fmts=$(awk 'NR > 1 {print $1}' "$tmp/formats")
complete config convert -- ckconv con
complete export import -- ckconv config ""
complete $fmts -- ckconv config export -f ""
complete $fmts -- ckconv convert -f ""
complete $fmts fast_llm -- ckconv convert a b --to ""
complete v4 v5 -- ckconv convert a b --layout ""
complete fp32 fp16 bf16 -- ckconv convert a b --dtype ""
complete --finish --force --from -- ckconv convert a b --f
complete --part -- ckconv convert a b --part
complete --resume --revision -- ckconv convert a b --re
complete --part --parts -- ckconv plan a --part
complete somedir -- ckconv inspect som
complete somedir -- ckconv convert x som
# the hub cache: repo ids as inputs, refs as --revision values
mkdir -p "$tmp/hub/models--org--m/snapshots" "$tmp/hub/models--org--m/refs/refs/pr" \
  "$tmp/hub/models--solo/snapshots" "$tmp/hub/models--solo/refs"
: > "$tmp/hub/models--org--m/refs/main"
: > "$tmp/hub/models--org--m/refs/v1"
: > "$tmp/hub/models--org--m/refs/refs/pr/1"
: > "$tmp/hub/models--solo/refs/dev"
export HF_HUB_CACHE="$tmp/hub"
complete org/m -- ckconv convert or
complete org/m solo somedir -- ckconv inspect ""
complete main v1 refs/pr/1 -- ckconv convert org/m out --to fast_llm --revision ""
complete dev -- ckconv verify somedir solo --revision ""
unset HF_HUB_CACHE
# every option of each subcommand's usage is offered
for sub in formats "config export" "config import" weights params convert inspect verify; do
  opts=$("$ck" --help 2>&1 | awk -v c="ckconv $sub" '
    /^  ckconv / { on = (index($0, "  " c " ") == 1 || $0 == "  " c) }
    /^  ckconv / || /^   +[^ ]/ { if (on) print }' \
    | grep -oE -- '(^|[[ ])--?[a-zA-Z][-a-zA-Z0-9]*' | tr -d '[ ' | sort -u)
  # shellcheck disable=SC2086
  got=$(PATH="$usr/bin:$PATH" bash -c '. "$0"; COMP_WORDS=(ckconv "$@" -)
    COMP_CWORD=$(($# + 1)); _ckconv; echo " ${COMPREPLY[*]} "' "$comp" $sub)
  for o in $opts; do
    case $got in *" $o "*) ok ;; *) ko "completion of 'ckconv $sub -' lacks $o" ;; esac
  done
done

# --- man pages: render without warnings, and cover the programs
man1=$usr/share/man/man1
man5=$usr/share/man/man5
for p in "$man1/ckconv.1" "$man1/convc.1" "$man5/conv.5"; do
  w=$(LC_ALL=C groff -man -ww -z "$p" 2>&1)
  [ -z "$w" ] && ok || ko "groff warnings in ${p##*/}: $w"
  if command -v man >/dev/null; then
    w=$(LC_ALL=C MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)
    [ -z "$w" ] && ok || ko "man warnings in ${p##*/}: $w"
  fi
done
# The text of a page, as man shows it, hyphenation undone.
text() { LC_ALL=C groff -man -Tascii -rLL=200n -rHY=0 "$1" 2>/dev/null | col -b; }
text "$man1/ckconv.1" >"$tmp/ckconv.txt"
text "$man1/convc.1" >"$tmp/convc.txt"
text "$man5/conv.5" >"$tmp/conv.txt"
words() { grep -oE -- '(^|[[ |])--?[a-zA-Z][-a-zA-Z0-9]*' | tr -d '[ |' | sort -u; }
# subcommands and options of ckconv's usage, in ckconv.1 and docs/cli.md
for w in $("$ck" --help 2>&1 | awk '/^  ckconv /{print $2}' | sort -u) \
         $("$ck" --help 2>&1 | words); do
  grep -qe "$w" "$tmp/ckconv.txt" && ok || ko "ckconv.1 does not mention '$w' (from ckconv --help; document it in docs/cli.md)"
done
# and the reverse: every option of the synopsis in docs/cli.md is in the usage
for w in $(awk '/^## ckconv$/{on=1} on && /^```/{n++; next} on && n==1' docs/cli.md | words); do
  "$ck" --help 2>&1 | words | grep -qx -- "$w" && ok \
    || ko "docs/cli.md's synopsis has '$w', ckconv --help does not"
done
for w in $("$convc" --help 2>&1 | words); do
  grep -qe "$w" "$tmp/convc.txt" && ok || ko "convc.1 does not mention '$w' (from convc --help)"
done
for w in $(sed -n 's/^"\([a-z_]*\)"[ \t]*{ *return.*/\1/p' dsl/lexer.l); do
  grep -qw -e "$w" "$tmp/conv.txt" && ok || ko "conv.5 does not mention keyword '$w' of dsl/lexer.l"
done

# --- uninstall leaves no file
quiet $make -s BUILD="$build" DESTDIR="$root" PREFIX=/usr uninstall && ok || ko "make uninstall"
left=$(find "$root" ! -type d)
[ -z "$left" ] && ok || ko "left after uninstall: $left"

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
