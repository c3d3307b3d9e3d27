/* ck_weights.h - the weight-converter plan of a model.
 *
 * Walks a format's `weights { }` declarations over a validated config and
 * produces the ordered list of leaf converters: which Fast-LLM tensors
 * become which HF tensors through which transform.  The list is what
 * `ckconv weights` prints (upstream's get_converters order and kinds) and
 * what the conversion engine executes.  Owned by the ck_rt.
 */
#ifndef CK_WEIGHTS_H
#define CK_WEIGHTS_H

#include "ck_config.h"

typedef struct ck_leaf {
  const char **fl;      /* Fast-LLM tensor names */
  int n_fl;
  const char **hf;      /* HF tensor names */
  int n_hf;
  int transform;        /* ck_transform_id */
  json_t *params;       /* evaluated transform params, or NULL */
  const ck_wdecl *decl; /* the declaration, for messages */
} ck_leaf;

typedef struct ck_plan {
  ck_leaf *leaves;
  size_t n, cap;
  const char *model;    /* the format's name ("llama"), for messages;
                           NULL for a plan made up of a folder's tensors */
} ck_plan;

int ck_weights_plan(ck_rt *rt, const ck_format *f, ck_cfg *root,
                    ck_plan *plan, ck_error *err);
json_t *ck_plan_to_json(ck_rt *rt, const ck_plan *plan);
const char *ck_transform_name(int transform);
/* A name template with {i} / {i+N} / {i-N} filled in (owned by rt). */
const char *ck_subst_index(ck_rt *rt, const char *tmpl, long long i);
const char *ck_transform_kind(int transform);

#endif
