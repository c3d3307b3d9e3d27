#!/usr/bin/python3
"""Build the corrupt-input corpus of tests/corrupt/run.sh.

usage: make_corpus.py WORK

WORK/base holds three valid checkpoints made by run.sh: hf (one
model.safetensors), hf2 (two shards and an index) and fl (fast_llm, two
files).  Each case is a damaged copy of one of them, WORK/NAME/ (run
through `ckconv convert`), or a single file WORK/NAME (run through
`ckconv config import -f llama`).  WORK/outside/ holds a valid shard
outside every case folder, the target of the symlink cases.  Prints the
case names, one per line.  Binary inputs are made here at test time, so
that no binary is committed; json and struct only, independent of ckconv.
"""
import json
import os
import shutil
import struct
import sys

W = sys.argv[1]
BASE = os.path.join(W, "base")
CASES = []


def case(name, base):
    """Copy base (hf, hf2 or fl) to WORK/name and return the new path."""
    dst = os.path.join(W, name)
    shutil.copytree(os.path.join(BASE, base), dst, symlinks=True)
    CASES.append(name)
    return dst


def file_case(name, data):
    with open(os.path.join(W, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    CASES.append(name)


def read_st(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def write_raw(path, header, data=b"", n=None, pad=True):
    """header: bytes, or a dict dumped as compact JSON."""
    if not isinstance(header, bytes):
        header = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        header += b" " * (-(8 + len(header)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header) if n is None else n))
        f.write(header)
        f.write(data)


def st_case(name, edit):
    """HF single-file case: edit(header, data) returns (header, data)."""
    d = case(name, "hf")
    p = os.path.join(d, "model.safetensors")
    header, data = read_st(p)
    header, data = edit(header, data)
    write_raw(p, header, data)


def tensors(header):
    """Tensor names in data order."""
    t = [k for k in header if k != "__metadata__"]
    return sorted(t, key=lambda k: header[k]["data_offsets"][0])


# ------------------------------------------------------------ safetensors
def st_header_bytes(name, text):
    st_case(name, lambda h, d: (text, d))


d = case("st_short_file", "hf")
open(os.path.join(d, "model.safetensors"), "wb").write(b"\x10\0\0\0\0")

d = case("st_header_len_past_eof", "hf")
p = os.path.join(d, "model.safetensors")
raw = open(p, "rb").read()
open(p, "wb").write(struct.pack("<Q", len(raw)) + raw[8:])

d = case("st_header_len_over_cap", "hf")
p = os.path.join(d, "model.safetensors")
raw = open(p, "rb").read()
open(p, "wb").write(struct.pack("<Q", 100 * 1024 * 1024 + 1) + raw[8:])

d = case("st_header_len_huge", "hf")
p = os.path.join(d, "model.safetensors")
raw = open(p, "rb").read()
open(p, "wb").write(b"\xff" * 8 + raw[8:])

st_header_bytes("st_header_not_json", b'{"a": {"dtype": "F32",, }}')
st_header_bytes("st_header_truncated_json", b'{"a": {"dtype": "F32", "sha')
st_header_bytes("st_header_array", b"[1, 2, 3]")
st_header_bytes("st_header_string", b'"model"')
st_header_bytes("st_header_bad_utf8",
                b'{"\xff\xfe": {"dtype": "F32", "shape": [0], '
                b'"data_offsets": [0, 0]}}')
st_header_bytes("st_nul_in_name",
                b'{"a\\u0000b": {"dtype": "F32", "shape": [0], '
                b'"data_offsets": [0, 0]}}')
st_header_bytes("st_duplicate_name",
                b'{"x": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}'
                b', "x": {"dtype": "F32", "shape": [0], '
                b'"data_offsets": [0, 0]}}')
st_header_bytes("st_deep_nesting",
                b'{"x": {"dtype": "F32", "shape": ' + b"[" * 12 + b"1" +
                b"]" * 12 + b', "data_offsets": [0, 4]}}')


def set_field(name, field, value, which=0):
    def edit(h, d):
        h[tensors(h)[which]][field] = value
        return h, d
    st_case(name, edit)


set_field("st_unknown_dtype", "dtype", "F33")
set_field("st_dtype_not_string", "dtype", 32)
set_field("st_shape_not_array", "shape", "16x32")
set_field("st_shape_negative", "shape", [-1, 16])
set_field("st_shape_float", "shape", [32, 16.0])
set_field("st_rank_over_cap", "shape", [1] * 17)
# 2^32 * 2^32 elements: the product does not fit in 64 bits
set_field("st_shape_overflow", "shape", [2 ** 32, 2 ** 32, 1])
# 2^62 elements fit, 2^62 * 4 bytes do not
set_field("st_bytes_overflow", "shape", [2 ** 62])
set_field("st_nbytes_mismatch", "shape", [32, 15])
set_field("st_offsets_not_array", "data_offsets", "0-2048")
set_field("st_offsets_wrong_length", "data_offsets", [0])
set_field("st_offsets_negative", "data_offsets", [-2048, 0])


def edit_entry(h, d, f):
    h[tensors(h)[0]] = f(h[tensors(h)[0]])
    return h, d


st_case("st_entry_not_object", lambda h, d: edit_entry(h, d, lambda e: [1]))
st_case("st_missing_dtype", lambda h, d: edit_entry(
    h, d, lambda e: {k: v for k, v in e.items() if k != "dtype"}))


def reversed_offsets(h, d):
    t = h[tensors(h)[0]]
    t["data_offsets"] = t["data_offsets"][::-1]
    return h, d


st_case("st_offsets_reversed", reversed_offsets)


def overlap(h, d):
    # the second tensor starts 4 bytes early (same length)
    t = h[tensors(h)[1]]
    t["data_offsets"] = [t["data_offsets"][0] - 4, t["data_offsets"][1] - 4]
    return h, d


def gap(h, d):
    # every tensor after the first moves 4 bytes on: a hole after the first
    for k in tensors(h)[1:]:
        b, e = h[k]["data_offsets"]
        h[k]["data_offsets"] = [b + 4, e + 4]
    return h, d + b"\0" * 4


st_case("st_overlap", overlap)
st_case("st_gap", gap)
st_case("st_offsets_past_eof", lambda h, d: (h, d[:-4]))
st_case("st_stray_bytes", lambda h, d: (h, d + b"\0" * 8))


def meta(value):
    def edit(h, d):
        h["__metadata__"] = value
        return h, d
    return edit


st_case("st_meta_not_object", meta(["format", "pt"]))
st_case("st_meta_value_number", meta({"format": "pt", "step": 3}))
st_case("st_meta_value_object", meta({"format": {"name": "pt"}}))


def many(h, d):
    # one tensor more than the cap of 1,000,000 (empty tensors, so the
    # entries are short and the offsets tile: only the count is wrong)
    parts = [b'"t%d":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}' % i
             for i in range(1000001)]
    return b"{" + b",".join(parts) + b"}", b""


st_case("st_too_many_tensors", many)

# ------------------------------------------------------------ index.json
SHARD1 = "model-00001-of-00002.safetensors"
SHARD2 = "model-00002-of-00002.safetensors"


def index_case(name, edit):
    d = case(name, "hf2")
    p = os.path.join(d, "model.safetensors.index.json")
    idx = json.load(open(p))
    idx = edit(idx, d)
    if idx is not None:
        with open(p, "w") as f:
            json.dump(idx, f, indent=2)
    return d


def first_entry(value):
    def edit(idx, d):
        k = next(iter(idx["weight_map"]))
        idx["weight_map"][k] = value
        return idx
    return edit


def retarget(value):
    """Point every entry of shard 1 at value."""
    def edit(idx, d):
        for k, v in idx["weight_map"].items():
            if v == SHARD1:
                idx["weight_map"][k] = value
        return idx
    return edit


index_case("idx_dotdot", retarget("../" + SHARD1))
index_case("idx_dotdot_only", retarget(".."))
index_case("idx_absolute", retarget("/etc/passwd"))
index_case("idx_subdir", retarget("sub/" + SHARD1))
index_case("idx_bin_file", retarget("pytorch_model-00001-of-00002.bin"))
index_case("idx_not_safetensors", retarget("weights.npz"))
index_case("idx_entry_not_string", first_entry(3))
index_case("idx_wrong_file", first_entry(SHARD2))

os.makedirs(os.path.join(W, "outside"))
shutil.copy(os.path.join(BASE, "hf2", SHARD1), os.path.join(W, "outside"))
d = index_case("idx_symlink_out", lambda idx, d: idx)
os.remove(os.path.join(d, SHARD1))
os.symlink(os.path.join(W, "outside", SHARD1), os.path.join(d, SHARD1))
d = index_case("idx_symlink_broken", lambda idx, d: idx)
os.remove(os.path.join(d, SHARD1))
os.symlink(os.path.join(W, "nowhere", SHARD1), os.path.join(d, SHARD1))
d = index_case("idx_symlink_loop", lambda idx, d: idx)
os.remove(os.path.join(d, SHARD1))
os.symlink(SHARD1, os.path.join(d, SHARD1))
d = index_case("idx_symlink_dir", lambda idx, d: idx)
os.remove(os.path.join(d, SHARD1))
os.mkdir(os.path.join(d, "sub"))
os.symlink("sub", os.path.join(d, SHARD1))
d = index_case("cfg_symlink_out", lambda idx, d: idx)
shutil.copy(os.path.join(d, "config.json"), os.path.join(W, "outside"))
os.remove(os.path.join(d, "config.json"))
os.symlink(os.path.join(W, "outside", "config.json"),
           os.path.join(d, "config.json"))
d = index_case("idx_missing_file", lambda idx, d: idx)
os.remove(os.path.join(d, SHARD2))
d = index_case("idx_directory", lambda idx, d: idx)
os.remove(os.path.join(d, SHARD2))
os.mkdir(os.path.join(d, SHARD2))


def raw_index(text):
    def edit(idx, d):
        open(os.path.join(d, "model.safetensors.index.json"), "w").write(text)
    return edit


index_case("idx_not_json", raw_index('{"weight_map": {"a": "b",}}'))
index_case("idx_not_object", raw_index('["model.safetensors"]\n'))
index_case("idx_no_weight_map", lambda idx, d: {"metadata": {}})
index_case("idx_weight_map_list", lambda idx, d: {"weight_map": [SHARD1]})

# a tensor of shard 1 written into shard 2 as well
d = index_case("idx_tensor_in_two_files", lambda idx, d: idx)
h1, d1 = read_st(os.path.join(d, SHARD1))
h2, d2 = read_st(os.path.join(d, SHARD2))
k = tensors(h1)[0]
b, e = h1[k]["data_offsets"]
h2[k] = dict(h1[k], data_offsets=[len(d2), len(d2) + e - b])
write_raw(os.path.join(d, SHARD2), h2, d2 + d1[b:e])

# ------------------------------------------------------------ config.json
def config_case(name, text):
    d = case(name, "hf")
    open(os.path.join(d, "config.json"), "w").write(text)


DEEP = "[" * 100000 + "]" * 100000
config_case("cfg_not_object", '["llama"]\n')
config_case("cfg_string", '"llama"\n')
config_case("cfg_not_json", '{"model_type": "llama",\n')
config_case("cfg_empty", "")
config_case("cfg_duplicate_key",
            '{"model_type": "llama", "hidden_size": 16, "hidden_size": 32}')
config_case("cfg_deep_nesting", '{"model_type": "llama", "x": %s}' % DEEP)
d = case("cfg_missing", "hf")
os.remove(os.path.join(d, "config.json"))

file_case("import_not_object.json", '[{"model_type": "llama"}]\n')
file_case("import_not_json.json", '{"model_type": "llama", }\n')
file_case("import_deep_json.json", '{"model_type": "llama", "x": %s}' % DEEP)
file_case("import_deep_yaml.yaml",
          "".join("  " * i + "k%d:\n" % i for i in range(100)) + "  " * 100
          + "v\n")
# found by fuzz_yaml: a "\0" escape made a key that C code saw cut short
file_case("import_yaml_nul.yaml", 'model_type: "llama\\0x"\n')
file_case("import_yaml_alias.yaml",
          'a: &a ["x", "x"]\nb: &b [*a, *a]\nc: [*b, *b]\n')

# ------------------------------------------------------------ metadata.yaml
def md_case(name, edit):
    d = case(name, "fl")
    p = os.path.join(d, "metadata.yaml")
    text = open(p).read()
    out = edit(text)
    assert out != text, name
    open(p, "w").write(out)
    return d


def sub(old, new, count=1):
    def edit(text):
        assert old in text, old
        return text.replace(old, new, count)
    return edit


md_case("md_unknown_key", sub("model: gpt\n", "model: gpt\nprecision: bf16\n"))
md_case("md_newer_version", sub("fast_llm_version: 0.4.0",
                                "fast_llm_version: 0.5.0"))
md_case("md_older_version", sub("fast_llm_version: 0.4.0",
                                "fast_llm_version: 0.2.9"))
md_case("md_bad_version", sub("fast_llm_version: 0.4.0",
                              "fast_llm_version: latest"))
md_case("md_format_wrong", sub("format: fast_llm", "format: distributed"))
md_case("md_missing_shards", sub("shards:\n- weights\n", ""))
md_case("md_shards_no_weights", sub("shards:\n- weights\n",
                                    "shards:\n- optimizer\n"))
md_case("md_base_model_not_mapping",
        lambda t: "config:\n  base_model: 3\n" + t[t.index("fast_llm_version"):])
# damage at the top, so that the line numbers in the messages do not
# depend on what ckconv writes into metadata.yaml
md_case("md_not_yaml", lambda t: "extra: b: c\n" + t)
md_case("md_not_mapping", lambda t: "- config\n- shards\n")
md_case("md_empty", lambda t: "")
md_case("md_two_documents", lambda t: "format: fast_llm\n---\n" + t)
md_case("md_alias", lambda t: "extra: &m gpt\nmore: *m\n" + t)
md_case("md_nul_in_key", lambda t: '"format\\0": fast_llm\n' + t)
md_case("md_deep_nesting",
        lambda t: "extra: " + "[" * 100 + "]" * 100 + "\n" + t)
md_case("md_state_index_dotdot", sub(": model_0.safetensors",
                                     ": ../model_0.safetensors"))
md_case("md_state_index_absolute", sub(": model_0.safetensors",
                                       ": /etc/passwd"))
md_case("md_state_index_bad_key", sub("/weights: model_0", ": model_0"))
md_case("md_state_index_missing", sub("  state_index:", "  index:"))
md_case("md_state_index_extra", sub(
    "  state_index:\n", "  state_index:\n    ghost/weights: "
    "model_0.safetensors\n"))
md_case("md_tensor_not_indexed", lambda t: "".join(
    line for i, line in enumerate(t.splitlines(True))
    if i != t.splitlines().index("  state_index:") + 1))
d = md_case("md_state_index_missing_file",
            sub(": model_1.safetensors", ": model_7.safetensors"))
d = md_case("md_state_index_symlink_out", sub("fast_llm_version: 0.4.0",
                                              "fast_llm_version: '0.4.0'"))
os.remove(os.path.join(d, "model_0.safetensors"))
shutil.copy(os.path.join(BASE, "fl", "model_0.safetensors"),
            os.path.join(W, "outside", "fl_model_0.safetensors"))
os.symlink(os.path.join(W, "outside", "fl_model_0.safetensors"),
           os.path.join(d, "model_0.safetensors"))

print("\n".join(CASES))
