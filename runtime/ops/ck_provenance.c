/* ck_provenance.c - the `metadata.ckconv` record of a written checkpoint
 * (see ck_provenance.h). */
#include "ck_provenance.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ck_sha256.h"
#include "ck_version.h"

/* Adds NAME and NAME_sha256 for in_dir/file to src; a missing optional
 * file adds nothing. */
static int add_file(json_t *src, const char *in_dir, const char *key,
                    const char *file, int optional, ck_error *err) {
  char path[4096], hex[65], k[64];
  snprintf(path, sizeof path, "%s/%s", in_dir, file);
  struct stat st;
  if (optional && stat(path, &st) != 0 && errno == ENOENT) return 0;
  if (ck_sha256_file(path, hex) != 0)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                      "%s: cannot read for its digest: %s", path,
                      strerror(errno));
  snprintf(k, sizeof k, "%s_sha256", key);
  json_object_set_new(src, key, json_string(file));
  json_object_set_new(src, k, json_string(hex));
  return 0;
}

/* The index an HF input's weights are read through, if any: the
 * safetensors one (recorded when present), or the .bin one when nothing
 * before it in ck_ckpt_open's order exists. */
static const char *hf_index(const char *in_dir) {
  static const char *const before[] = {"model.safetensors",
                                       "model.safetensors.index.json",
                                       "pytorch_model.bin"};
  char path[4096];
  struct stat st;
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", in_dir, before[i]);
    if (stat(path, &st) == 0) return "model.safetensors.index.json";
  }
  return "pytorch_model.bin.index.json";
}

json_t *ck_provenance(const ck_spec *spec, const char *in_dir,
                      ck_ckpt_kind in_kind, const ck_format *format,
                      int layout, ck_error *err) {
  json_t *src = json_object();
  int hf = in_kind == CK_CKPT_HF;
  json_object_set_new(src, "layout", json_string(hf ? "huggingface"
                                                    : "fast_llm"));
  if (hf ? add_file(src, in_dir, "config", "config.json", 0, err) ||
               add_file(src, in_dir, "index", hf_index(in_dir), 1, err)
         : add_file(src, in_dir, "config", "metadata.yaml", 0, err)) {
    json_decref(src);
    return NULL;
  }
  json_t *ck = json_object();
  json_object_set_new(ck, "version", json_string(CKCONV_VERSION));
  json_object_set_new(ck, "format", json_string(format->name));
  json_object_set_new(ck, "transformers_layout",
                      json_string(layout == CK_LAYOUT_V4 ? "v4" : "v5"));
  json_object_set_new(ck, "spec", json_string(format->loc.file));
  json_object_set_new(ck, "specs_sha256",
                      json_string(spec->sources_sha256
                                      ? spec->sources_sha256 : ""));
  json_object_set_new(ck, "source", src);
  json_t *top = json_object();
  json_object_set_new(top, "ckconv", ck);
  return top;
}
