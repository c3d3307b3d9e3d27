/* ck_hf_extra.c - recording and restoring an HF config's extra keys
 * (see ck_hf_extra.h). */
#include "ck_hf_extra.h"

#include <string.h>

#include "ck_convert.h"

/* The dtype keys are the output's, never carried over. */
static int is_dtype_key(const char *k) {
  return strcmp(k, "torch_dtype") == 0 || strcmp(k, "dtype") == 0;
}

json_t *ck_hf_extra_record(ck_rt *rt, const ck_loaded *L) {
  /* a config the format imports but cannot export again (upstream's
   * gemma4 dense case) still converts: then only the keys that are
   * transformers metadata are known not to be the export's */
  ck_error ignored;
  json_t *exported = ck_export_config(rt, L->format, L->base_model, &ignored);
  json_t *in = ck_ckpt_config(L->in), *extra = json_object(), *v;
  const char *k;
  json_object_foreach(in, k, v) {
    if (is_dtype_key(k)) continue;
    if (exported ? json_object_get(exported, k) != NULL
                 : !ck_hf_key_is_metadata(rt->spec, L->layout, k))
      continue;
    json_object_set(extra, k, v);
  }
  return extra;
}

const char *ck_torch_dtype_name(ck_dtype dt) {
  switch (dt) {
  case CK_DT_F64: return "float64";
  case CK_DT_F32: return "float32";
  case CK_DT_F16: return "float16";
  case CK_DT_BF16: return "bfloat16";
  default: return NULL;
  }
}

json_t *ck_hf_output_config(ck_rt *rt, const ck_loaded *L, ck_dtype dtype) {
  json_t *out = json_deep_copy(L->hf_config);
  ck_rt_own(rt, out);
  json_t *ck = json_object_get(
      json_object_get(ck_ckpt_config(L->in), "metadata"), "ckconv");
  json_t *extra = json_object_get(ck, "hf_config_extra");
  const char *from = json_string_value(json_object_get(ck, "format"));
  const char *from_layout =
      json_string_value(json_object_get(ck, "transformers_layout"));
  const char *layout = L->layout == CK_LAYOUT_V4 ? "v4" : "v5";
  int same = from && from_layout && strcmp(from, L->format->name) == 0 &&
             strcmp(from_layout, layout) == 0;
  const char *k;
  json_t *v;
  if (json_is_object(extra))
    json_object_foreach(extra, k, v) {
      if (is_dtype_key(k) || json_object_get(out, k)) continue;
      if (same || ck_hf_key_is_metadata(rt->spec, L->layout, k))
        json_object_set(out, k, v);
    }
  const char *name = ck_torch_dtype_name(dtype);
  if (name)
    json_object_set_new(out, L->layout == CK_LAYOUT_V4 ? "torch_dtype"
                                                       : "dtype",
                        json_string(name));
  return out;
}
