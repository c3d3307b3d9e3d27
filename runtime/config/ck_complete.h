/* ck_complete.h - read a config.json the way upstream does.
 *
 * Upstream never imports a raw config.json: it loads it through the
 * format's transformers config class first (class defaults, derived keys,
 * v5 rope folding).  This replays that from specs/transformers.json, then
 * imports with the HF coverage hook.  Results are owned by the ck_rt.
 */
#ifndef CK_COMPLETE_H
#define CK_COMPLETE_H

#include "ck_config.h"

/* How an HF config is read (config import, convert, inspect, verify). */
typedef struct ck_hf_read {
  int raw;                        /* import the dict exactly as given */
  const char *const *ignore_keys; /* --ignore-hf-key paths */
  int n_ignore_keys;
  /* told each key the HF coverage rejects, when it rejects any (NULL:
   * not told); how plan lists them without reading the message */
  void (*unknown_key)(void *arg, const char *key);
  void *unknown_arg;
} ck_hf_read;

/* The transformers class name of a format ("LlamaConfig"), or NULL when
 * specs/transformers.json has none for it. */
const char *ck_transformers_class(ck_rt *rt, const ck_format *f);

/* XConfig(**raw).to_dict() for the format's class in `layout`
 * (CK_LAYOUT_V4/V5): a new dict owned by rt.  Fails under stage
 * "transformers_completion" for input the class cannot take (a derived key
 * from non-numbers, ...) and for a format without a class. */
json_t *ck_complete_hf_config(ck_rt *rt, const ck_format *f, int layout,
                              json_t *raw, ck_error *err);

/* ckconv's documented deviations from upstream (ckconv_deviations in the
 * tables), applied to a completed dict: returns the dict to import (a copy
 * when one applied, else `completed` itself).  *applied (may be NULL) gets
 * the names applied, comma-separated, or NULL. */
json_t *ck_apply_deviations(ck_rt *rt, const ck_format *f, json_t *completed,
                            const char **applied, ck_error *err);

/* Import an HF config: complete it (unless o->raw, or the format has no
 * class), apply the deviations, run ck_import_config with the
 * --ignore-hf-key paths, and add advice to an hf_coverage rejection.
 * *imported (may be NULL) gets the dict that was imported.  o may be NULL
 * (complete, ignore nothing).  The layout is rt->layout. */
ck_cfg *ck_import_hf_config(ck_rt *rt, const ck_format *f, json_t *hf,
                            const ck_hf_read *o, json_t **imported,
                            json_t **serialized, ck_error *err);

#endif
