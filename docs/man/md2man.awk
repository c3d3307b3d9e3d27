# md2man.awk - turn one section of a Markdown page of docs/ into man(7) roff.
#
# Why it exists: the man pages (ckconv.1, convc.1, conv.5) are generated
# from docs/cli.md and docs/language.md by docs/man/gen.sh, so they cannot
# drift from the reference the project maintains.  It knows exactly the
# Markdown those pages use: headings, paragraphs, fenced code, pipe tables,
# "- " and "N. " lists, `code`, **bold**, *italic*, [text](link).
# POSIX awk (runs under mawk); run it with LC_ALL=C so UTF-8 is seen as
# bytes and written as \[uXXXX].
#
# Variables (-v):
#   start    the heading line where the section starts (exact text); the
#            section ends at the next heading of the same or a higher level
#   sh       Markdown heading level written as .SH (deeper: .SS, deeper
#            still: a bold paragraph)
#   synopsis 1: the first code block is written as .SH SYNOPSIS, followed
#            by .SH DESCRIPTION
#   title    if set, written as .SH before the section's text

BEGIN {
  for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
  on = 0; fence = 0; para = ""; nrows = 0; item = ""; codes = 0
  if (sh == "") sh = 2
}

function hlevel(s,   n) {
  n = 0
  while (substr(s, n + 1, 1) == "#") n++
  return (n > 0 && substr(s, n + 1, 1) == " ") ? n : 0
}

# UTF-8 sequences to groff's \[uXXXX].
function utf8(s,   out, i, c, b, cp, n, k) {
  if (s !~ /[\200-\377]/) return s
  out = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1); b = ord[c]
    if (b < 128) { out = out c; continue }
    if (b >= 240) { cp = b - 240; n = 3 }
    else if (b >= 224) { cp = b - 224; n = 2 }
    else { cp = b - 192; n = 1 }
    for (k = 1; k <= n; k++) cp = cp * 64 + (ord[substr(s, i + k, 1)] - 128)
    i += n
    out = out sprintf("\\[u%04X]", cp)
  }
  return out
}

# Escapes for literal text: backslash, then the hyphen of code.
function esc(s) { gsub(/\\/, "\\e", s); return s }
function esccode(s) { s = esc(s); gsub(/-/, "\\-", s); return s }

# Inline Markdown of prose (may span lines).  Code spans are set aside
# first (as \001N\002), so **`x`** and `2**32` both come out right.
function inline(s,   out, n, parts, i, t, a, b, ncode, code) {
  n = split(s, parts, "`")
  t = ""; ncode = 0
  for (i = 1; i <= n; i++) {
    if (i % 2 == 0 && i < n) {
      code[++ncode] = "\\fB" esccode(parts[i]) "\\fP"
      t = t "\001" ncode "\002"
    } else t = t (i % 2 == 0 ? "`" : "") esc(parts[i])
  }
  while (match(t, /\[[^]]*\]\([^)]*\)/)) {
    a = substr(t, RSTART, RLENGTH); b = a
    sub(/\]\(.*/, "", b); sub(/^\[/, "", b)
    t = substr(t, 1, RSTART - 1) b substr(t, RSTART + RLENGTH)
  }
  while (match(t, /\*\*[^*]+\*\*/))
    t = substr(t, 1, RSTART - 1) "\\fB" substr(t, RSTART + 2, RLENGTH - 4) \
        "\\fR" substr(t, RSTART + RLENGTH)
  while (match(t, /\*[^* ][^*]*\*/))
    t = substr(t, 1, RSTART - 1) "\\fI" substr(t, RSTART + 1, RLENGTH - 2) \
        "\\fR" substr(t, RSTART + RLENGTH)
  out = ""
  while (match(t, /\001[0-9]+\002/)) {
    out = out substr(t, 1, RSTART - 1) code[substr(t, RSTART + 1, RLENGTH - 2) + 0]
    t = substr(t, RSTART + RLENGTH)
  }
  return out t
}

# Write text lines; a line may not start with a control character.
function emit(s,   n, ls, i, l) {
  n = split(s, ls, "\n")
  for (i = 1; i <= n; i++) {
    l = ls[i]; sub(/^[ \t]+/, "", l); sub(/[ \t]+$/, "", l)
    if (l == "") continue
    if (l ~ /^[.']/) l = "\\&" l
    print utf8(l)
  }
}

function flushpara() {
  if (para != "") { print ".PP"; emit(inline(para)); para = "" }
}
function flushitem() {
  if (item != "") { print ".IP " itemtag " " itemw; emit(inline(item)); item = "" }
}
function flushlist() { flushitem(); inlist = 0 }

# Split a pipe-table row into cells[1..n]; a | inside `code` is text.
function cells(row, c,   n, i, ch, inc, cur) {
  sub(/^[ \t]*\|/, "", row); sub(/\|[ \t]*$/, "", row)
  n = 0; cur = ""; inc = 0
  for (i = 1; i <= length(row); i++) {
    ch = substr(row, i, 1)
    if (ch == "`") inc = !inc
    if (ch == "|" && !inc) { c[++n] = cur; cur = ""; continue }
    cur = cur ch
  }
  c[++n] = cur
  for (i = 1; i <= n; i++) { sub(/^[ \t]+/, "", c[i]); sub(/[ \t]+$/, "", c[i]) }
  return n
}
function flushtable(   r, n, c, i, body) {
  if (nrows == 0) return
  for (r = 2; r <= nrows; r++) {
    if (rows[r] ~ /^[ \t]*\|[- :|]+\|?[ \t]*$/) continue
    n = cells(rows[r], c)
    print ".TP"
    emit(inline(c[1]))
    if (n == 2) emit(inline(c[2]))
    else for (i = 2; i <= n; i++) {
      if (i > 2) print ".br"
      emit("\\fI" inline(hdr[i]) ":\\fR " inline(c[i]))
    }
  }
  nrows = 0
}

function flushall() { flushpara(); flushlist(); flushtable() }

{ line = $0 }

!on {
  if (line == start) {
    on = 1; level = hlevel(line)
    if (title != "") print ".SH " title
  }
  next
}

fence {
  if (line ~ /^[ \t]*```/) {
    fence = 0; print ".fi"; if (rs) print ".RE"
    if (synopsis && codes == 1) print ".SH DESCRIPTION"
    next
  }
  l = esccode(line)
  if (l ~ /^[.']/) l = "\\&" l
  if (l == "") l = ".sp"
  print utf8(l)
  next
}

line ~ /^[ \t]*```/ {
  flushall(); fence = 1; codes++
  rs = !(synopsis && codes == 1)
  if (rs) { print ".PP"; print ".RS 4" } else print ".SH SYNOPSIS"
  print ".nf"
  next
}

hlevel(line) > 0 {
  n = hlevel(line)
  if (n <= level) { on = 0; exit }
  flushall()
  h = substr(line, n + 2)
  if (n == sh) {
    gsub(/`/, "", h); gsub(/^[0-9]+\. /, "", h)
    h = esccode(toupper(h)); gsub(/"/, "\\(dq", h)
    print ".SH \"" utf8(h) "\""
  } else if (n == sh + 1) {
    h = inline(h); gsub(/"/, "\\(dq", h)
    print ".SS \"" utf8(h) "\""
  } else {
    print ".PP"; print "\\fB" utf8(inline(h)) "\\fR"
  }
  next
}

line ~ /^[ \t]*$/ { flushpara(); flushtable(); flushitem(); next }

line ~ /^[ \t]*\|/ {
  flushpara(); flushlist()
  rows[++nrows] = line
  if (nrows == 1) cells(line, hdr)
  next
}

line ~ /^(- |[0-9]+\. )/ {
  flushpara(); flushtable(); flushitem()
  inlist = 1
  if (line ~ /^- /) { itemtag = "\\(bu"; itemw = 2; item = substr(line, 3) }
  else {
    itemtag = line; sub(/ .*/, "", itemtag); itemw = 4
    item = line; sub(/^[0-9]+\. /, "", item)
  }
  next
}

inlist && line ~ /^[ \t]+[^ \t]/ {
  if (item != "") item = item "\n" line
  else { print ".IP \"\" " itemw; para = "" ; emit(inline(line)) }
  next
}

{
  flushlist(); flushtable()
  para = (para == "") ? line : para "\n" line
}

END { flushall() }
