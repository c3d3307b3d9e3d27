#!/bin/sh
# check-designated.sh FILE - every struct initializer of a convc output
# (generated/ck_tables.c) is designated, as compiler/emit.c prints them:
#   - every `{` of an initializer of a ck_spec.h struct (a table element,
#     a single struct, a nested .loc) is followed by `.member =`, never by
#     a bare value (a positional initializer);
#   - enum-valued members are written by name (`.kind = CK_DECL_RENAME`,
#     not `.kind = 0`);
#   - the members whose "none" is -1 are written in every element (left
#     out, they would read as index 0);
#   - every struct type of ck_spec.h has initializers in FILE, and no
#     other ck_ type does, so the check cannot pass by matching nothing.
# Prints each offending line; exits 1 if any.
set -eu
file=$1
awk '
BEGIN {
  # struct type -> members every initializer must write ("" for none)
  req["ck_path"] = "seg"; req["ck_expr"] = "op cls"; req["ck_wparam"] = ""
  req["ck_type"] = "kind cls"; req["ck_field"] = "hint def_kind owner"
  req["ck_check"] = ""; req["ck_member"] = "kind"
  req["ck_class"] = "parent registry default_subclass seq_block " \
                    "seq_blocks seq_pattern seq_count"
  req["ck_table_row"] = ""; req["ck_table"] = ""
  req["ck_branch"] = "cls section"
  req["ck_decl"] = "kind section fixed_cls pattern_cls"
  req["ck_wdecl"] = "kind transform section"
  req["ck_section"] = "cls"; req["ck_format"] = "root model_class"
  req["ck_allowlist"] = ""; req["ck_data"] = ""; req["ck_spec"] = ""
  # members holding an enum (or a mask of enum bits): names only
  n = split("ck_expr.op ck_type.kind ck_field.hint ck_field.def_kind " \
            "ck_field.cmp ck_member.kind ck_decl.kind ck_decl.layout " \
            "ck_wdecl.kind ck_wdecl.transform ck_format.layouts " \
            "ck_format.skip_checks", m, " ")
  for (k = 1; k <= n; k++) enums[m[k]] = 1
  mode = ""; nbad = 0; ninit = 0
}
function bad(msg) {
  if (nbad < 20)
    printf "%s:%d: %s: %s\n", FILENAME, FNR, msg, substr($0, 1, 160)
  nbad++
}
# the line without its string literals and comments
function strip(s) {
  gsub(/"([^"\\]|\\.)*"/, "S", s)
  gsub(/\/\*[^*]*\*\//, "", s)
  return s
}
# one initializer `{...}` of a struct of type t
function check_init(t, e,    rest, i, n, m, k, name, val) {
  ninit++; seen[t] = 1
  rest = e
  while ((i = index(rest, "{")) > 0) {
    rest = substr(rest, i + 1)
    if (rest !~ /^ *\./) { bad(t " initializer not designated"); return }
  }
  # top-level members only: drop the braces and the nested initializers
  e = substr(e, 2, length(e) - 2)
  while (gsub(/\{[^{}]*\}/, "N", e)) ;
  n = split(req[t], m, " ")
  for (k = 1; k <= n; k++)
    if (e !~ ("(^|,) *\\." m[k] " = "))
      bad(t " initializer without ." m[k])
  rest = e
  while (match(rest, /\.[a-z_]+ = [^,}]*/)) {
    name = substr(rest, RSTART + 1, RLENGTH - 1); sub(/ = .*/, "", name)
    val = substr(rest, RSTART, RLENGTH); sub(/^[^=]*= /, "", val)
    if ((t "." name) in enums && val !~ /^CK_[A-Z0-9_]+( \| CK_[A-Z0-9_]+)*$/)
      bad("." name " is not an enum name")
    rest = substr(rest, RSTART + RLENGTH)
  }
}
# a run of initializers `{...}, {...}` of type t (an array body)
function check_list(t, s,    i, c, d, start) {
  d = 0; start = 0
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (c == "{") { if (d++ == 0) start = i }
    else if (c == "}") {
      if (--d == 0) check_init(t, substr(s, start, i - start + 1))
    } else if (d == 0 && c !~ /[ ,]/) {
      bad(t " element is not an initializer"); return
    }
  }
}
mode == "array" {
  if ($0 ~ /^};/) { mode = ""; next }
  check_list(type, strip($0)); next
}
mode == "struct" {
  if ($0 !~ /^ +\./ && $0 !~ /^};/) bad(type " member not designated")
  body = body " " $0
  if ($0 ~ /};$/) { mode = ""; check_init(type, strip(body)) }
  next
}
/^(static )?const ck_[a-z_]+ [A-Za-z_][A-Za-z_0-9]*(\[[0-9]*\])? = / {
  type = $0; sub(/^(static )?const /, "", type); sub(/ .*/, "", type)
  if (!(type in req)) { bad("unknown struct type " type); next }
  s = strip($0); sub(/^[^=]*= /, "", s)
  if ($0 ~ /\] = /) {                 # an array of structs
    if (s == "{") { mode = "array"; next }
    sub(/^\{/, "", s); sub(/\};$/, "", s); check_list(type, s)
  } else if (s == "{") {              # a struct over several lines
    mode = "struct"; body = "{"
  } else {
    sub(/;$/, "", s); check_init(type, s)
  }
}
END {
  for (t in req) if (!(t in seen)) {
    printf "%s: no initializer of %s\n", FILENAME, t; nbad++
  }
  if (nbad) { printf "%s: %d problems\n", FILENAME, nbad; exit 1 }
  printf "%s: %d struct initializers, all designated\n", FILENAME, ninit
}' "$file"
