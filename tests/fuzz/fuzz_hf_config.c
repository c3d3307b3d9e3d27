/* fuzz_hf_config.c - libFuzzer harness for the HF config import.
 *
 * The input is a config.json: parsed as ckconv parses one (duplicate
 * keys rejected), then imported by every compiled format (ck_spec_tables)
 * in every layout it supports, through all the stages (model_type_check
 * .. validation).  An accepted config is exported back and its weight
 * plan and tensor list are built, as `ckconv convert` would.  So that the
 * fuzzer gets past model_type_check, an object without model_type and
 * architectures is given the format's own for a second import. */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ck_convert.h"
#include "ck_params.h"
#include "ck_tables.h"
#include "ck_weights.h"

static void import_one(const ck_format *f, int layout, json_t *hf) {
  ck_rt rt;
  ck_error err;
  ck_rt_init(&rt, &ck_spec_tables, layout);
  json_t *dict = NULL;
  ck_cfg *cfg = ck_import_config(&rt, f, hf, &dict, &err);
  if (!cfg) {
    if (!err.stage[0]) __builtin_trap(); /* rejected without a reason */
  } else {
    ck_plan plan;
    ck_params params;
    if (ck_weights_plan(&rt, f, cfg, &plan, &err) == 0 &&
        ck_model_params(&rt, cfg, &params, &err) == 0)
      (void)ck_weight_coverage(&rt, &params, &plan, &err);
    (void)ck_export_config(&rt, f, dict, &err);
  }
  ck_rt_free(&rt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_error_t jerr;
  json_t *hf = json_loadb((const char *)data, size,
                          JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
  if (!hf) return 0;
  const ck_spec *s = &ck_spec_tables;
  for (int i = 0; i < s->n_formats; i++) {
    const ck_format *f = &s->formats[i];
    for (int layout = CK_LAYOUT_V4; layout <= CK_LAYOUT_V5; layout <<= 1) {
      if (!(f->layouts & layout)) continue;
      import_one(f, layout, hf);
      if (json_is_object(hf) && !json_object_get(hf, "model_type") &&
          f->n_architectures > 0) {
        json_t *c = json_deep_copy(hf);
        json_t *arch = json_array();
        for (int k = 0; k < f->n_architectures; k++)
          json_array_append_new(arch, json_string(f->architectures[k]));
        json_object_set_new(c, "model_type", json_string(f->model_type));
        json_object_set_new(c, "architectures", arch);
        import_one(f, layout, c);
        json_decref(c);
      }
    }
  }
  json_decref(hf);
  return 0;
}
