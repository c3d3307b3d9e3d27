#!/usr/bin/env python3
"""doc_lists.py - docs/language.md documents every entry of common/'s lists.

The builtins (ck_builtins.def), declaration kinds (ck_decls.def), field
hints (ck_hints.def) and transforms (ck_transforms.def) are each written
once, in their .def; the hand-written language reference must name every
one of them where it lists them, and its table of weight entries (§12)
must have one row per kind of ck_wdecls.def, so the two cannot drift.
Prints one line per problem and exits 1 if there is any.
"""
import re
import sys

DOC = "docs/language.md"


def entries(name, macro):
    """(ID, first string) of each CK_MACRO(...) line of common/NAME."""
    path = f"common/{name}"
    pat = re.compile(r'^%s\((\w+),\s*"([^"]*)"' % macro)
    out = [m.groups() for m in map(pat.match, open(path, encoding="utf-8"))
           if m]
    if not out:
        print(f"FAIL {path}: no {macro}(...) entries found")
    return out


def part(text, start, end):
    """The text from the first line matching `start` to the next `end`."""
    m = re.search(start, text, re.M)
    if not m:
        return None
    e = re.compile(end, re.M).search(text, m.end())
    return text[m.start():e.start() if e else len(text)]


def main():
    text = open(DOC, encoding="utf-8").read()
    problems = 0

    def need(where, body, what, pattern):
        nonlocal problems
        if body is None:
            print(f"FAIL {DOC}: cannot find {where}")
            problems += 1
        elif pattern not in body:
            print(f"FAIL {DOC}: {where} does not document {what}")
            problems += 1

    builtins = part(text, r"^\*\*Built-in functions:\*\*", r"^\n(?!\|)")
    for _, name in entries("ck_builtins.def", "CK_BUILTIN"):
        need("the built-in functions table", builtins, f"{name}()",
             f"`{name}(")
    kinds = part(text, r"KIND is one of", r"\.\n")
    for _, word in entries("ck_decls.def", "CK_DECL"):
        need("the KIND list of §5", kinds, f"the declaration kind '{word}'",
             f"`{word}`")
    hints = part(text, r"^### Field hints", r"^#")
    for _, name in entries("ck_hints.def", "CK_HINT"):
        need("### Field hints", hints, f"the hint '{name}'", f"`{name}`")
    transforms = part(text, r"^### Transforms", r"^#")
    for _, name in entries("ck_transforms.def", "CK_TRANSFORM"):
        need("the table of ### Transforms", transforms,
             f"the transform '{name}'", f"| `{name}`")
    wkinds = entries("ck_wdecls.def", "CK_WDECL")
    table = part(text, r"^\| entry \| expands to \|", r"^(?!\|)")
    rows = table.count("\n") - 2 if table else -1
    if rows != len(wkinds):
        print(f"FAIL {DOC}: the weight entry table of §12 has {rows} rows, "
              f"common/ck_wdecls.def {len(wkinds)} kinds "
              f"({', '.join(w for _, w in wkinds)})")
        problems += 1
    print(f"doc lists: {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
