/* ck_params.h - the Fast-LLM tensors a model has, from the schema.
 *
 * Walks the `param` / `module` / `tie` members of the config classes over
 * a validated config: every parameter name with its shape, and the tied
 * duplicates that are never saved.  Weight coverage compares this list
 * with the converter plan, so a mapping that forgets a tensor, names one
 * the model does not have, or converts one twice is caught before any
 * checkpoint is read.
 */
#ifndef CK_PARAMS_H
#define CK_PARAMS_H

#include "ck_config.h"
#include "ck_weights.h"

typedef struct ck_param {
  const char *name;
  int ndim;
  long long shape[CK_MAX_DIMS];
  const char *tied_to;  /* stored tensor when this one is a duplicate */
} ck_param;

typedef struct ck_params {
  ck_param *items;
  size_t n, cap;
} ck_params;

int ck_model_params(ck_rt *rt, ck_cfg *root, ck_params *out, ck_error *err);
const ck_param *ck_params_find(const ck_params *p, const char *name);

/* Every parameter consumed by exactly one leaf, tied duplicates counted
 * once, no leaf naming an unknown tensor.  All problems in one message. */
int ck_weight_coverage(ck_rt *rt, const ck_params *params,
                       const ck_plan *plan, ck_error *err);

#endif
