/* ck_load.c - open a checkpoint folder and understand it.
 *
 * Input folder -> config import/export (ck_convert.c) -> weight plan
 * (ck_weights.c) checked against the schema's tensors (ck_params.c).
 * The input is only ever read.
 */
#include "ck_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_convert.h"

const ck_format *ck_format_for_hf(const ck_spec *s, json_t *hf,
                                  ck_error *err) {
  json_t *mt = json_object_get(hf, "model_type");
  if (mt && json_is_string(mt))
    for (int i = 0; i < s->n_formats; i++)
      if (strcmp(s->formats[i].model_type, json_string_value(mt)) == 0)
        return &s->formats[i];
  json_t *arch = json_object_get(hf, "architectures");
  for (size_t a = 0; arch && json_is_array(arch) && a < json_array_size(arch); a++) {
    const char *name = json_string_value(json_array_get(arch, a));
    for (int i = 0; name && i < s->n_formats; i++)
      for (int k = 0; k < s->formats[i].n_architectures; k++)
        if (strcmp(s->formats[i].architectures[k], name) == 0)
          return &s->formats[i];
  }
  char known[1024] = "";
  size_t used = 0;
  for (int i = 0; i < s->n_formats && used < sizeof known; i++)
    used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                             i ? ", " : "", s->formats[i].name);
  char what[512];
  if (mt && json_is_string(mt))
    snprintf(what, sizeof what, "model_type '%s'", json_string_value(mt));
  else
    snprintf(what, sizeof what, "a config without model_type");
  return ck_fail(err, CK_STAGE_MODEL_TYPE_CHECK,
                 "%s has no Fast-LLM format; known "
                 "formats: %s (give --from FORMAT to choose one)",
                 what, known),
         NULL;
}

/* A config error is about DIR/NAME: say so in the message and the file
 * field; `within` (the position of the config in that file) prefixes the
 * key the error names. */
static void in_file(ck_error *err, const char *dir, const char *name,
                    const char *within) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (within) {
    ck_error_prefix(err, "%s: ", within);
    if (err->key[0]) {
      char key[sizeof err->key];
      snprintf(key, sizeof key, "%s.%s", within, err->key);
      ck_error_set_key(err, key);
    }
  }
  ck_error_in_file(err, path);
}

static int pick_layout(const ck_format *f, int requested, json_t *hf) {
  int l = requested;
  if (!l)
    l = hf && json_object_get(hf, "rope_parameters") ? CK_LAYOUT_V5
                                                     : CK_LAYOUT_V4;
  if (!(l & f->layouts)) l = f->layouts & CK_LAYOUT_V5 ? CK_LAYOUT_V5 : CK_LAYOUT_V4;
  return l;
}

int ck_load(ck_rt *rt, const char *dir, const char *format, int layout,
            int flags, const ck_hf_read *hf_read, ck_loaded *L,
            ck_error *err) {
  memset(L, 0, sizeof *L);
  if (ck_ckpt_detect(dir, &L->kind, err)) return -1;
  L->in = ck_ckpt_open(dir, L->kind, (flags & CK_LOAD_HEADER_ONLY) != 0, err);
  if (!L->in) return -1;
  const ck_spec *s = rt->spec;
  int auto_fmt = !format || strcmp(format, "auto") == 0;
  if (!auto_fmt) {
    L->format = ck_format_find(s, format);
    if (!L->format) {
      ck_fail(err, CK_STAGE_USAGE, "unknown format '%s'", format);
      goto fail;
    }
  }
  if (L->kind == CK_CKPT_HF) {
    json_t *hf = ck_ckpt_config(L->in);
    if (auto_fmt && !(L->format = ck_format_for_hf(s, hf, err))) goto fail;
    L->layout = pick_layout(L->format, layout, hf);
    rt->layout = L->layout;
    /* as upstream: through the transformers class first (ck_complete.c) */
    L->cfg = ck_import_hf_config(rt, L->format, hf, hf_read, NULL,
                                 &L->base_model, err);
    if (!L->cfg) {
      in_file(err, dir, "config.json", NULL);
      goto fail;
    }
  } else {
    if (!L->format) {
      ck_fail(err, CK_STAGE_USAGE,
              "%s is a fast_llm checkpoint: name the HF "
              "format to convert to (--to FORMAT)",
              dir);
      goto fail;
    }
    L->layout = pick_layout(L->format, layout, NULL);
    rt->layout = L->layout;
    L->cfg = ck_load_base_model(rt, L->format, ck_ckpt_base_model(L->in),
                                err);
    if (!L->cfg) {
      in_file(err, dir, "metadata.yaml", "config.base_model");
      goto fail;
    }
    L->base_model = ck_cfg_to_dict(rt, L->cfg);
    /* the export must be possible before any tensor is looked at (verify
     * only needs the tensor plan, which comes from the Fast-LLM config) */
    if (!(flags & CK_LOAD_NO_EXPORT))
      L->hf_config = ck_export_config(rt, L->format, L->base_model, err);
    if (!(flags & CK_LOAD_NO_EXPORT) && !L->hf_config) {
      in_file(err, dir, "metadata.yaml", NULL);
      goto fail;
    }
  }
  if (ck_weights_plan(rt, L->format, L->cfg, &L->plan, err) ||
      ck_model_params(rt, L->cfg, &L->params, err) ||
      ck_weight_coverage(rt, &L->params, &L->plan, err))
    goto fail;
  return 0;
fail:
  ck_ckpt_close(L->in);
  L->in = NULL;
  return -1;
}

void ck_loaded_close(ck_loaded *L) {
  ck_ckpt_close(L->in);
  L->in = NULL;
}

/* The simple write path: one thread streaming each file through
 * ck_st_writer (ck_ckpt_out_write_all), the reference the fast path is
 * tested against (tests/convert/fastpath.sh).  Chosen by
 * CKCONV_SIMPLE_IO=1, and whenever a write fault is injected
 * (ck_fault.h), whose byte counting only that path goes through.
 * CKCONV_SIMPLE_IO=pwrite keeps the fast path but without
 * copy_file_range (its pread/pwrite fallback, for the tests). */
int ck_simple_io(void) {
  const char *s = getenv("CKCONV_SIMPLE_IO");
  return (s && strcmp(s, "1") == 0) ||
         getenv("CKCONV_TEST_KILL_AFTER_BYTES") ||
         getenv("CKCONV_TEST_FAIL_WRITE_AFTER_BYTES");
}

/* The positional path without copy_file_range (its pread/pwrite
 * fallback): CKCONV_SIMPLE_IO=pwrite, or =1 where the streamed path is
 * not possible (a staged run writes into files laid out before). */
int ck_no_copy_file_range(void) {
  const char *s = getenv("CKCONV_SIMPLE_IO");
  return s && (strcmp(s, "pwrite") == 0 || strcmp(s, "1") == 0);
}

/* Threads for the fast path: as asked, else one per online core, at most
 * 8 (two can keep a disk busy; more only add memory, 4 MiB each). */
int ck_write_jobs(int asked) {
  if (asked > 0) return asked;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}
