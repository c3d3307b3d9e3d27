/* ck_out_meta.c - what an output checkpoint's metadata holds beside the
 * tensors: the base model, the HF config (with its extra keys and dtype,
 * ck_hf_extra.c) and the provenance record (ck_provenance.c). */
#include "ck_out_meta.h"

#include <string.h>

#include "ck_hf_extra.h"
#include "ck_provenance.h"

int ck_output_meta(ck_rt *rt, const ck_loaded *L, const char *in_dir,
                   int to_fast_llm, ck_dtype dtype, ck_ckpt_meta *meta,
                   ck_error *err) {
  memset(meta, 0, sizeof *meta);
  meta->format_name = to_fast_llm ? "fast_llm" : L->format->name;
  meta->base_model = L->base_model;
  if (!to_fast_llm) meta->hf_config = ck_hf_output_config(rt, L, dtype);
  meta->extra_metadata = ck_provenance(rt->spec, in_dir, L->kind, L->format,
                                       L->layout, err);
  if (!meta->extra_metadata) return -1;
  ck_rt_own(rt, meta->extra_metadata);
  if (to_fast_llm && L->kind == CK_CKPT_HF) {
    json_t *extra = ck_hf_extra_record(rt, L);
    json_object_set_new(json_object_get(meta->extra_metadata, "ckconv"),
                        "hf_config_extra", extra);
  }
  return 0;
}

