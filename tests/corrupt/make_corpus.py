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
that no binary is committed; json and struct only (and zipfile for the
.bin cases, whose torch.save-like pickles are assembled here opcode by
opcode), independent of ckconv.
"""
import json
import os
import shutil
import struct
import sys
import warnings
import zipfile

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


# ------------------------------------------------------------ pytorch .bin
# A torch.save-like archive (archive/data.pkl, archive/data/N stored,
# archive/version) of base hf's tensors, written here: the pickle as
# torch's pickler lays it out (protocol 2, OrderedDict, _rebuild_tensor_v2
# with ('storage', torch.XStorage, key, 'cpu', numel) persistent ids).
STORAGE = {"F32": b"FloatStorage", "F16": b"HalfStorage",
           "BF16": b"BFloat16Storage"}
ESIZE = {"F32": 4, "F16": 2, "BF16": 2}


def pk_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def pk_int(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if 0 <= n < 65536:
        return b"M" + struct.pack("<H", n)
    return b"J" + struct.pack("<i", n)


def pk_tuple(items):
    return b"(" + b"".join(items) + b"t"


ODICT = b"ccollections\nOrderedDict\n)R"


def pk_tensor(key, dtype, numel, offset, shape, stride=None,
              stype=None):
    if stride is None:
        stride, acc = [], 1
        for d in reversed(shape):
            stride.insert(0, acc)
            acc *= d
    pid = pk_tuple([pk_str("storage"),
                    b"ctorch\n" + (stype or STORAGE[dtype]) + b"\n",
                    pk_str(key), pk_str("cpu"), pk_int(numel)])
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"Q" +
            pk_int(offset) + pk_tuple([pk_int(d) for d in shape]) +
            pk_tuple([pk_int(d) for d in stride]) + b"\x89" + ODICT + b"tR")


def bin_case(name, tensors_edit=None, pickle_edit=None, entries_edit=None,
             raw_edit=None, compress=None, align=64):
    """HF case whose weights are pytorch_model.bin; the edits damage the
    tensor list [name, dtype, shape, bytes, extra], the pickle bytes, the
    entry list [(name, bytes)] or the final file bytes."""
    d = case(name, "hf")
    p = os.path.join(d, "model.safetensors")
    header, data = read_st(p)
    os.remove(p)
    ts = []
    for k in tensors(header):
        h = header[k]
        b, e = h["data_offsets"]
        ts.append([k, h["dtype"], h["shape"], data[b:e], {}])
    if tensors_edit:
        tensors_edit(ts)
    items = b""
    entries = []
    for i, (k, dt, shape, raw, extra) in enumerate(ts):
        key = extra.get("key", str(i))
        numel = extra.get("numel", len(raw) // ESIZE[dt])
        items += pk_str(k) + pk_tensor(key, dt, numel,
                                       extra.get("offset", 0), shape,
                                       extra.get("stride"),
                                       extra.get("stype"))
        entries.append(("archive/data/" + str(i), raw))
    pkl = b"\x80\x02" + ODICT + b"(" + items + b"u."
    if pickle_edit:
        pkl = pickle_edit(pkl)
    entries = [("archive/data.pkl", pkl)] + entries + \
              [("archive/version", b"3\n")]
    if entries_edit:
        entries = entries_edit(entries)
    out = os.path.join(d, "pytorch_model.bin")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for en, raw in entries:
            zi = zipfile.ZipInfo(en, (1980, 1, 1, 0, 0, 0))
            if align:  # data 64-byte aligned, by a padding extra field,
                # as torch's writer does
                pad = -(z.fp.tell() + 30 + len(en) + 4) % align
                zi.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            z.writestr(zi, raw, compress_type=(compress or {}).get(
                en, zipfile.ZIP_STORED))
    if raw_edit:
        raw = open(out, "rb").read()
        open(out, "wb").write(raw_edit(raw))
    return d


def sub_bytes(old, new):
    def edit(b):
        assert old in b, old
        return b.replace(old, new, 1)
    return edit


def set_extra(which, **kw):
    def edit(ts):
        ts[which][4].update(kw)
    return edit


def first_2d(ts):
    return next(i for i, t in enumerate(ts) if len(t[2]) == 2)


# the same writer undamaged: must convert (run.sh checks bin_valid_base)
d = bin_case("bin_valid_base")
CASES.remove("bin_valid_base")
bin_case("bin_global_os_system",
         pickle_edit=sub_bytes(b"ccollections\nOrderedDict\n", b"cos\nsystem\n"))
bin_case("bin_global_builtins_eval",
         pickle_edit=sub_bytes(b"ccollections\nOrderedDict\n",
                               b"cbuiltins\neval\n"))
bin_case("bin_unknown_opcode", pickle_edit=sub_bytes(b"(X", b"(i"))
bin_case("bin_truncated_pickle", pickle_edit=lambda b: b[:len(b) // 2])
bin_case("bin_memo_out_of_range", pickle_edit=sub_bytes(b"\x89", b"\x89h\xc8"))
bin_case("bin_missing_storage", tensors_edit=set_extra(0, key="99"))
bin_case("bin_compressed", compress={"archive/data/1": zipfile.ZIP_DEFLATED})
bin_case("bin_misaligned", align=1)  # data at odd offsets
bin_case("bin_unknown_dtype",
         tensors_edit=set_extra(0, stype=b"ComplexDoubleStorage"))


def transpose_strides(ts):
    i = first_2d(ts)
    a, b = ts[i][2]
    ts[i][4]["stride"] = [1, a]


bin_case("bin_non_contiguous", tensors_edit=transpose_strides)
bin_case("bin_view_past_storage", tensors_edit=set_extra(0, offset=1))
bin_case("bin_nested_dict", pickle_edit=lambda b: (
    b"\x80\x02}" + pk_str("state_dict") + b[2:-1] + b"s."))
bin_case("bin_big_endian", entries_edit=lambda e: e + [("archive/byteorder",
                                                        b"big")])
with warnings.catch_warnings():  # zipfile warns of the duplicate name
    warnings.simplefilter("ignore")
    bin_case("bin_duplicate_entry", entries_edit=lambda e: e + [e[1]])
bin_case("bin_no_data_pkl", entries_edit=lambda e: [
    ("archive/model.pkl", e[0][1])] + e[1:])


def shift_offset(raw):
    """Point data/0's central directory entry 30 bytes past its local
    header (libzip or ckconv's own check must catch it)."""
    p = 0
    while True:
        p = raw.index(b"PK\x01\x02", p)
        nl = struct.unpack("<H", raw[p + 28:p + 30])[0]
        if raw[p + 46:p + 46 + nl] == b"archive/data/0":
            break
        p += 4
    off = struct.unpack("<I", raw[p + 42:p + 46])[0]
    return raw[:p + 42] + struct.pack("<I", off + 30) + raw[p + 46:]


bin_case("bin_entry_offset_mismatch", raw_edit=shift_offset)


def grow_usize(raw):
    """data/0 stored, but its uncompressed size (local header and central
    directory alike) 4 bytes more than the bytes stored: a view of that
    size would read past the entry."""
    out = bytearray(raw)
    for sig, name_len_at, usize_at, name_at in ((b"PK\x03\x04", 26, 22, 30),
                                                (b"PK\x01\x02", 28, 24, 46)):
        p = 0
        while True:
            p = raw.index(sig, p)
            nl = struct.unpack("<H", raw[p + name_len_at:p + name_len_at + 2])[0]
            if raw[p + name_at:p + name_at + nl] == b"archive/data/0":
                break
            p += 4
        u = struct.unpack("<I", raw[p + usize_at:p + usize_at + 4])[0]
        out[p + usize_at:p + usize_at + 4] = struct.pack("<I", u + 4)
    return bytes(out)


bin_case("bin_stored_size_mismatch", raw_edit=grow_usize)
def bin_index_case(name, target):
    """The .bin moved to a shard named by pytorch_model.bin.index.json,
    every weight_map entry naming target."""
    d = bin_case(name)
    shard = "pytorch_model-00001-of-00001.bin"
    os.rename(os.path.join(d, "pytorch_model.bin"), os.path.join(d, shard))
    header, _ = read_st(os.path.join(BASE, "hf", "model.safetensors"))
    json.dump({"metadata": {}, "weight_map": {
        k: target for k in tensors(header)}},
        open(os.path.join(d, "pytorch_model.bin.index.json"), "w"))


bin_index_case("bin_idx_dotdot", "../pytorch_model-00001-of-00001.bin")
bin_index_case("bin_idx_safetensors", "model.safetensors")
d = case("bin_legacy_format", "hf")
os.remove(os.path.join(d, "model.safetensors"))
# torch.save(..., _use_new_zipfile_serialization=False) starts with a
# protocol-2 pickle of its magic number 0x1950a86a20f9469cfc6c
open(os.path.join(d, "pytorch_model.bin"), "wb").write(
    b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.")
d = case("bin_not_zip", "hf")
os.remove(os.path.join(d, "model.safetensors"))
open(os.path.join(d, "pytorch_model.bin"), "wb").write(b"version https://git-lfs\n")


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
