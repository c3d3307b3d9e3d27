"""py_oracle.py - Python reference outputs for test_json_out / test_yaml.

The C unit tests run this once with /usr/bin/python3 (Debian's PyYAML 6,
pure-Python emitter) and compare the runtime's printers byte for byte
against the files it writes.  Every mode writes OUTDIR/manifest.tsv, one
case per line, tab-separated; the C side reads only that manifest.

  py_oracle.py json    GOLDEN OUTDIR  every *.json under GOLDEN:
      N.s2 = json.dumps(x, indent=2, sort_keys=True)
      N.u4 = json.dumps(x, indent=4)        manifest: N  path
  py_oracle.py yaml    GOLDEN OUTDIR  every dict-valued top-level entry of
      every *.json under GOLDEN, then the hand cases below:
      N.json = the value (json.dumps), N.yaml = yaml.safe_dump(value)
                                            manifest: N  origin
  py_oracle.py doubles OUTDIR         powers of two and random doubles:
      manifest: hexbits  json.dumps(float)
"""
import glob
import json
import os
import random
import struct
import sys

import yaml


def golden_files(root):
    return sorted(glob.glob(os.path.join(root, "**", "*.json"), recursive=True))


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def mode_json(root, out):
    lines = []
    for n, path in enumerate(golden_files(root)):
        with open(path, encoding="utf-8") as f:
            x = json.load(f)
        write(os.path.join(out, "%d.s2" % n), json.dumps(x, indent=2, sort_keys=True))
        write(os.path.join(out, "%d.u4" % n), json.dumps(x, indent=4))
        lines.append("%d\t%s\n" % (n, path))
    write(os.path.join(out, "manifest.tsv"), "".join(lines))


LONG_WORDS = " ".join("word%d" % i for i in range(60))


def hand_cases():
    """Values that exercise quoting, folding and nesting rules."""
    return [
        {"list_of_dicts": [{"a": 1, "b": [1, 2, {"c": []}]}, {}, [], [[1], [2, 3]]]},
        {"nested": {"deeper": {"deepest": {"x": [{"y": {"z": None}}]}}}},
        {"colon": "a: b", "hash": "a #b", "hash2": "a#b", "lead": " lead",
         "trail": "trail ", "nl": "line1\nline2", "nl2": "a\n\nb\n",
         "tab": "a\tb", "cr": "a\rb", "quote": "it's", "dq": 'say "hi"',
         "bs": "back\\slash", "dash": "- item", "dash2": "-item", "q": "? x",
         "excl": "!tag", "amp": "&anchor", "star": "*alias", "pipe": "|",
         "gt": ">", "pct": "%x", "at": "@x", "tick": "`x", "brace": "{a}",
         "brack": "[a]", "comma": "a,b", "doc": "---", "doc2": "...x",
         "empty": "", "space": " ", "colon_end": "key:", "bare_colon": ":"},
        {"true": "true", "yes": "yes", "Off": "Off", "null": "null", "tilde": "~",
         "int": "123", "neg": "-7", "oct": "0777", "hex": "0x1F", "bin": "0b101",
         "sexa": "1:30", "float": "1.0", "exp": "1e-05", "exp2": "1.0e-05",
         "dot": ".5", "negdot": "-.5", "inf": ".inf", "nan": ".NaN",
         "date": "2001-12-14", "datetime": "2001-12-14t21:59:43.10-05:00",
         "merge": "<<", "value": "=", "o": "0o17", "zero8": "08"},
        {"unicode": "caf\u00e9", "cjk": "\u4e2d\u6587", "emoji": "\U0001F600",
         "nbsp": "a\u00a0b", "bom": "\ufeffx", "nel": "a\x85b", "ls": "a\u2028b",
         "nul": "a\x00b", "bell": "\x07", "esc": "\x1b[0m", "del": "a\x7fb",
         "u10ffff": "\U0010ffff"},
        {"long_plain": LONG_WORDS, "long_single": "'" + LONG_WORDS,
         "long_double": "\u00e9 " + LONG_WORDS,
         "long_double_esc": "x\u00e9" * 60,
         "long_spaces": "a  " * 50, "long_nl": (LONG_WORDS + "\n") * 2,
         "long_word": "y" * 200, "long_trailing": LONG_WORDS + " ",
         "mixed": "ab " * 30 + "\u00e9" + " cd" * 30},
        {"k" * 122: 1, "k" * 123: 2, "": "empty key", "multi\nline": 3,
         "\u00e9": "unicode key", "a: b": "colon key", "123": "int-like key",
         "true": "bool-like key"},
        {"floats": [0.1, 1e-05, 3e-05, 1e16, 1e15, 123456789.123, 5e-324,
                    1.7976931348623157e308, -0.0, 0.0, 10000.0, 2 ** -5.5,
                    1.5e-07, 1e22, -1e-100],
         "ints": [0, -1, 9223372036854775807, -9223372036854775808],
         "bools": [True, False], "none": None},
        [{"a": 1}, {"b": [1, {"c": "d"}]}],
        [[["deep"]]],
        {"a": [[1, 2], [3, [4, []]]], "b": [{"x": {}}, {"y": [{}]}]},
        {"seq_under_long_key_" + "z" * 120: [1, 2],
         "map_under_long_key_" + "w" * 120: {"a": 1}},
        # top-level scalars: plain ones end with "...", quoted ones do not
        "abc", "", 1, -2.5e-10, None, True, "true", "a: b", "a\nb",
        LONG_WORDS, "\u00e9" * 50, [], {},
    ]


def mode_yaml(root, out):
    lines = []
    n = 0

    def emit(value, origin):
        nonlocal n
        write(os.path.join(out, "%d.json" % n), json.dumps(value))
        write(os.path.join(out, "%d.yaml" % n), yaml.safe_dump(value))
        lines.append("%d\t%s\n" % (n, origin))
        n += 1

    for path in golden_files(root):
        with open(path, encoding="utf-8") as f:
            x = json.load(f)
        if not isinstance(x, dict):
            continue
        for key, value in x.items():
            if isinstance(value, dict):
                emit(value, "%s:%s" % (path, key))
    for i, value in enumerate(hand_cases()):
        emit(value, "hand case %d" % i)
    write(os.path.join(out, "manifest.tsv"), "".join(lines))


def mode_doubles(out):
    rnd = random.Random(20240601)
    bits = [struct.unpack("<Q", struct.pack("<d", 2.0 ** e))[0]
            for e in range(-1074, 1024)]
    bits += [rnd.getrandbits(64) for _ in range(3000)]
    lines = []
    for b in bits:
        d = struct.unpack("<d", struct.pack("<Q", b))[0]
        lines.append("%016x\t%s\n" % (b, json.dumps(d)))
    write(os.path.join(out, "manifest.tsv"), "".join(lines))


def main(argv):
    if len(argv) == 4 and argv[1] == "json":
        mode_json(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "yaml":
        mode_yaml(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "doubles":
        mode_doubles(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
