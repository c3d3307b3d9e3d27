#!/usr/bin/env python3
"""provenance.py CKCONV IN OUT - check the provenance ckconv records in OUT.

OUT was converted from IN by CKCONV.  Every place the Fast-LLM metadata is
written (metadata.yaml for a fast_llm output; the index and every
safetensors header for an HF one) must hold `metadata.ckconv` with the
version `CKCONV --version` prints, the SHA-256 of IN's config and index
files computed here with hashlib, and the digest of the spec sources
computed here from specs/ the way convc defines it (base name, NUL,
contents, NUL for each .conv then each .json, in sorted order).
"""
import glob
import hashlib
import json
import os
import struct
import subprocess
import sys

import yaml


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def specs_digest():
    h = hashlib.sha256()
    for path in sorted(glob.glob("specs/*.conv")) + sorted(glob.glob("specs/*.json")):
        h.update(os.path.basename(path).encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read())
        h.update(b"\0")
    return h.hexdigest()


def records(out):
    """Every (where, ckconv record) written in OUT."""
    if os.path.exists(os.path.join(out, "metadata.yaml")):
        with open(os.path.join(out, "metadata.yaml")) as f:
            yield "metadata.yaml", yaml.safe_load(f)["metadata"]["ckconv"]
    index = os.path.join(out, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            md = json.load(f)["metadata"]["fast_llm_metadata"]
        yield "index", md["metadata"]["ckconv"]
    for st in sorted(glob.glob(os.path.join(out, "*.safetensors"))):
        with open(st, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            meta = json.loads(f.read(n)).get("__metadata__", {})
        if "fast_llm_metadata" in meta:
            md = yaml.safe_load(meta["fast_llm_metadata"])
        else:
            md = {"metadata": yaml.safe_load(meta["metadata"])}
        yield os.path.basename(st), md["metadata"]["ckconv"]


def main():
    ck, src, out = sys.argv[1:4]
    version = subprocess.run([ck, "--version"], capture_output=True,
                             text=True, check=True).stdout.split()[1]
    if os.path.exists(os.path.join(src, "metadata.yaml")):
        want_src = {"layout": "fast_llm", "config": "metadata.yaml",
                    "config_sha256": sha(os.path.join(src, "metadata.yaml"))}
    else:
        want_src = {"layout": "huggingface", "config": "config.json",
                    "config_sha256": sha(os.path.join(src, "config.json"))}
        name = "model.safetensors.index.json"
        if not any(os.path.exists(os.path.join(src, f)) for f in
                   ("model.safetensors", name, "pytorch_model.bin")):
            name = "pytorch_model.bin.index.json"  # its .bin shards are read
        index = os.path.join(src, name)
        if os.path.exists(index):
            want_src["index"] = name
            want_src["index_sha256"] = sha(index)
    digest = specs_digest()
    bad = 0
    seen = 0
    for where, rec in records(out):
        seen += 1
        problems = []
        if rec.get("version") != version:
            problems.append(f"version {rec.get('version')!r} != {version!r}")
        if rec.get("source") != want_src:
            problems.append(f"source {rec.get('source')!r} != {want_src!r}")
        if rec.get("specs_sha256") != digest:
            problems.append(f"specs_sha256 {rec.get('specs_sha256')} != {digest}")
        if not str(rec.get("spec", "")).startswith("specs/") or \
           not os.path.exists(rec["spec"]):
            problems.append(f"spec {rec.get('spec')!r} is not a spec file")
        for p in problems:
            print(f"FAIL {out}/{where}: {p}")
        bad += len(problems)
    if seen == 0:
        print(f"FAIL {out}: no provenance record found")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
