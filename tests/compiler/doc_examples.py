#!/usr/bin/env python3
"""doc_examples.py CONVC - keep the ```conv examples of docs/language.md real.

A block whose first line is `# from specs/FILE ...` is an excerpt: every
non-comment line of it must appear (whitespace-normalized) in that spec,
so an excerpt cannot drift from the spec it quotes.  Every other block is
a free-standing example: all of them, in document order, are compiled
together with the schema and the llama spec by `convc --check`, so each
example is valid `.conv` (and examples may build on earlier ones).
Prints one line per problem and exits 1 if there is any.
"""
import os
import re
import subprocess
import sys
import tempfile

DOC = "docs/language.md"


def norm(line):
    return " ".join(line.split())


def main():
    convc = sys.argv[1] if len(sys.argv) > 1 else "build/convc"
    text = open(DOC, encoding="utf-8").read()
    blocks = [(text.count("\n", 0, m.start()) + 2, m.group(1))
              for m in re.finditer(r"```conv\n(.*?)```", text, re.S)]
    if not blocks:
        print(f"FAIL {DOC}: no ```conv examples found")
        return 1
    problems = 0
    free = []
    for line, body in blocks:
        m = re.match(r"#\s*from (specs/\S+)", body)
        if not m:
            free.append(f"# {DOC}:{line}\n{body}")
            continue
        spec_lines = {norm(l) for l in open(m.group(1), encoding="utf-8")}
        for k, l in enumerate(body.split("\n")):
            n = norm(l)
            if n and not n.startswith("#") and n not in spec_lines:
                print(f"FAIL {DOC}:{line + k}: not in {m.group(1)}: {n}")
                problems += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "examples.conv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(free))
        r = subprocess.run([convc, "--check", "specs/00_schema.conv",
                            "specs/01_hf_allowlist.conv",
                            "specs/10_llama.conv", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL the free-standing examples of {DOC} do not "
                  f"compile (each starts with a '# {DOC}:LINE' comment):")
            print(r.stderr)
            problems += 1
    print(f"doc examples: {len(blocks) - len(free)} excerpts, {len(free)} "
          f"free-standing, {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
