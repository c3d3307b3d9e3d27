/* ck_convert.h - config conversion between Fast-LLM and HF dicts.
 *
 * Executes the generated section converters.  Import runs Fast-LLM's
 * stages in order and reports the first that fails by name:
 * model_type_check, architectures_check, hf_coverage, import_config,
 * validation.  Export runs validation, then export.  Results are owned by
 * the ck_rt passed in.
 */
#ifndef CK_CONVERT_H
#define CK_CONVERT_H

#include "ck_config.h"

/* Conversion hook for the few transforms the language cannot express;
 * named by `custom NAME` in a spec. */
typedef struct ck_hook {
  const char *name;
  int (*export_fn)(ck_rt *rt, const ck_decl *d, ck_cfg *cfg, json_t *hf,
                   ck_error *err);
  int (*import_fn)(ck_rt *rt, const ck_decl *d, json_t *hf, json_t *fl,
                   ck_error *err);
} ck_hook;

const ck_format *ck_format_find(const ck_spec *s, const char *name);

/* Fast-LLM base-model dict -> HF config dict. */
json_t *ck_export_config(ck_rt *rt, const ck_format *f, json_t *base_model,
                         ck_error *err);
/* HF config dict -> validated config; *serialized gets its to_dict. */
ck_cfg *ck_import_config(ck_rt *rt, const ck_format *f, json_t *hf,
                         json_t **serialized, ck_error *err);

/* What the caller may add to the hf_coverage stage: key paths accepted
 * knowingly (`--ignore-hf-key`; a dotted path accepts its subtree too),
 * and a callback told every path the coverage rejects, in walk order (so
 * that advice can be attached to the message, see ck_complete.c). */
typedef struct ck_hf_coverage_hook {
  const char *const *ignore;
  int n_ignore;
  void (*unknown)(void *arg, const char *path);
  void *arg;
} ck_hf_coverage_hook;

/* ck_import_config with a coverage hook (NULL = none). */
ck_cfg *ck_import_config_hook(ck_rt *rt, const ck_format *f, json_t *hf,
                              const ck_hf_coverage_hook *hook,
                              json_t **serialized, ck_error *err);
/* 1 if an HF key is transformers metadata in `layout` (CK_LAYOUT_*): in
 * the spec's allowlist for it, so no format needs to claim it. */
int ck_hf_key_is_metadata(const ck_spec *s, int layout, const char *key);

/* Parse + validate a Fast-LLM base-model dict. */
ck_cfg *ck_load_base_model(ck_rt *rt, const ck_format *f, json_t *base_model,
                           ck_error *err);

/* Write value at path in obj, creating sub-objects; an existing different
 * value is an error (how two rules writing one key are kept honest). */
int ck_safe_set(ck_rt *rt, json_t *obj, const ck_path *p, json_t *v,
                ck_stage stage, const char *rule, ck_error *err);
int ck_safe_set_key(ck_rt *rt, json_t *obj, const char *key, json_t *v,
                    ck_stage stage, const char *rule, ck_error *err);

#endif
