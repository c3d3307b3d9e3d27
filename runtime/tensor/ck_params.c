/* ck_params.c - model parameters from the schema, and weight coverage.
 *
 * Runtime stage next to ck_weights.c.  Member order follows the class
 * declarations (Fast-LLM's registration order); names are module paths
 * joined with '.'; `$name` resolves to a module local or a root field.
 */
#include "ck_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pwalk {
  ck_rt *rt;
  ck_cfg *root;
  ck_params *out;
  ck_error *err;
} pwalk;


static ck_param *add(pwalk *w, const char *name) {
  ck_params *o = w->out;
  if (o->n == o->cap) {
    o->cap = o->cap ? 2 * o->cap : 256;
    ck_param *np = ck_rt_alloc(w->rt, sizeof *np * o->cap);
    if (o->n) memcpy(np, o->items, sizeof *np * o->n);
    o->items = np;
  }
  ck_param *p = &o->items[o->n++];
  memset(p, 0, sizeof *p);
  p->name = name;
  return p;
}

static int eval(pwalk *w, const ck_expr *e, ck_cfg *cfg, json_t *locals,
                ck_val *v) {
  ck_scope sc = {.cfg = cfg, .root = w->root, .locals = locals};
  return ck_eval(w->rt, e, sc, v, CK_STAGE_WEIGHTS, w->err);
}

static int walk(pwalk *w, ck_cfg *cfg, const char *prefix, json_t *locals,
                int depth);

static int module(pwalk *w, ck_cfg *sub, const ck_member *m, ck_cfg *cfg,
                  const char *name, json_t *locals, int depth) {
  json_t *inner = locals;
  if (m->n_args > 0) {
    inner = ck_rt_own(w->rt, locals ? json_deep_copy(locals) : json_object());
    for (int a = 0; a < m->n_args; a++) {
      ck_val v;
      if (eval(w, m->args[a].value, cfg, locals, &v)) return -1;
      json_object_set(inner, m->args[a].name, v.j ? v.j : json_null());
    }
  }
  return walk(w, sub, name, inner, depth + 1);
}

static int walk(pwalk *w, ck_cfg *cfg, const char *prefix, json_t *locals,
                int depth) {
  if (depth > 64)
    return ck_fail(w->err, CK_STAGE_WEIGHTS, "modules nest too deep at %s",
                   prefix);
  const ck_class *k = ck_cfg_class(w->rt, cfg);
  for (int i = 0; i < k->n_members; i++) {
    const ck_member *m = &k->members[i];
    ck_val v;
    if (m->when) {
      if (eval(w, m->when, cfg, locals, &v)) return -1;
      if (!ck_truthy(v)) continue;
    }
    const char *name = ck_rt_join(w->rt, prefix, m->name->text);
    switch (m->kind) {
    case CK_M_PARAM: {
      ck_param *p = add(w, name);
      p->ndim = m->n_dims;
      for (int d = 0; d < m->n_dims && d < CK_MAX_DIMS; d++) {
        if (eval(w, m->dims[d], cfg, locals, &v)) return -1;
        if (!v.j || !json_is_integer(v.j))
          return ck_fail_at(w->err, CK_STAGE_WEIGHTS,
                            (ck_about){.tensor = name},
                            "%s: dimension %d (%s) is not "
                            "an integer",
                            name, d, m->dims[d]->text);
        p->shape[d] = json_integer_value(v.j);
      }
      break;
    }
    case CK_M_MODULE:
      if (eval(w, m->value, cfg, locals, &v)) return -1;
      if (v.c && module(w, v.c, m, cfg, name, locals, depth)) return -1;
      /* a dict of configs: one sub-module per entry, named by its key */
      for (int k = 0; v.d && k < v.d->n; k++)
        if (module(w, v.d->vals[k], m, cfg, ck_rt_join(w->rt, name, v.d->keys[k]),
                   locals, depth))
          return -1;
      break;
    case CK_M_REPEAT: {
      ck_val cnt;
      if (eval(w, m->count, cfg, locals, &cnt)) return -1;
      long long n = cnt.j && json_is_integer(cnt.j) ? json_integer_value(cnt.j) : 0;
      if (eval(w, m->value, cfg, locals, &v)) return -1;
      for (long long r = 0; r < n && v.c; r++)
        if (module(w, v.c, m, cfg,
                   ck_rt_join(w->rt, prefix, ck_subst_index(w->rt, m->name->text, r)),
                   locals, depth))
          return -1;
      break;
    }
    case CK_M_TIE: {
      ck_param *p = add(w, name);
      p->ndim = -1; /* filled from the target below */
      p->tied_to = ck_rt_join(w->rt, prefix, m->target->text);
      break;
    }
    }
  }
  /* a block sequence's modules are its positions */
  ck_cfg **blocks;
  long long n;
  ck_error quiet;
  if (w->rt->spec->classes[cfg->cls].seq_count >= 0 &&
      ck_cfg_expand_sequence(w->rt, cfg, &blocks, &n, &quiet) == 0) {
    for (long long b = 0; b < n; b++) {
      char idx[32];
      snprintf(idx, sizeof idx, "%lld", b);
      if (walk(w, blocks[b], ck_rt_join(w->rt, prefix, idx), locals, depth + 1))
        return -1;
    }
  }
  return 0;
}

const ck_param *ck_params_find(const ck_params *p, const char *name) {
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->items[i].name, name) == 0) return &p->items[i];
  return NULL;
}

int ck_model_params(ck_rt *rt, ck_cfg *root, ck_params *out, ck_error *err) {
  memset(out, 0, sizeof *out);
  pwalk w = {rt, root, out, err};
  if (walk(&w, root, "", NULL, 0)) return -1;
  /* A tie entry names a tensor that also appears as a plain param (the
   * head declares output_weights); keep one entry, marked as the tie. */
  size_t k = 0;
  for (size_t i = 0; i < out->n; i++) {
    ck_param *p = &out->items[i];
    if (p->tied_to) continue;
    int dup = 0;
    for (size_t j = 0; j < out->n; j++)
      if (out->items[j].tied_to && strcmp(out->items[j].name, p->name) == 0) {
        out->items[j].ndim = p->ndim;
        memcpy(out->items[j].shape, p->shape, sizeof p->shape);
        dup = 1;
      }
    if (!dup) out->items[k++] = *p;
  }
  for (size_t i = 0; i < out->n; i++) {
    if (!out->items[i].tied_to) continue;
    if (out->items[i].ndim < 0) /* a spec error: the tie has no tensor */
      return ck_fail(err, CK_STAGE_WEIGHTS,
                     "'%s' is tied to '%s', but no param "
                     "'%s' is declared",
                     out->items[i].name, out->items[i].tied_to,
                     out->items[i].name);
    out->items[k++] = out->items[i];
  }
  out->n = k;
  return 0;
}

int ck_weight_coverage(ck_rt *rt, const ck_params *params,
                       const ck_plan *plan, ck_error *err) {
  (void)rt;
  size_t n = params->n;
  int *used = calloc(n ? n : 1, sizeof *used);
  if (!used) return ck_fail(err, CK_STAGE_WEIGHTS, "out of memory");
  int problems = 0;
#define PROBLEM(...)                                                           \
  do {                                                                         \
    if (problems++ == 0)                                                       \
      ck_fail(err, CK_STAGE_WEIGHTS, __VA_ARGS__);                             \
    else {                                                                     \
      ck_error_append(err, "; ");                                              \
      ck_error_append(err, __VA_ARGS__);                                       \
    }                                                                          \
  } while (0)
  for (size_t l = 0; l < plan->n; l++) {
    const ck_leaf *leaf = &plan->leaves[l];
    for (int k = 0; k < leaf->n_fl; k++) {
      const ck_param *p = ck_params_find(params, leaf->fl[k]);
      if (!p) {
        PROBLEM("converter %s:%d names '%s', which the model does not "
                "have", leaf->decl->loc.file, leaf->decl->loc.line,
                leaf->fl[k]);
        continue;
      }
      size_t idx = (size_t)(p - params->items);
      if (used[idx]++)
        PROBLEM("'%s' is converted twice", leaf->fl[k]);
    }
  }
  for (size_t i = 0; i < n; i++) {
    const ck_param *p = &params->items[i];
    if (used[i]) continue;
    /* a tie group is covered when any member is */
    const char *group = p->tied_to ? p->tied_to : p->name;
    int covered = 0;
    for (size_t j = 0; j < n && !covered; j++) {
      const ck_param *q = &params->items[j];
      const char *g = q->tied_to ? q->tied_to : q->name;
      if (used[j] && strcmp(g, group) == 0) covered = 1;
    }
    if (!covered)
      PROBLEM("model tensor '%s' is converted by no declaration", p->name);
  }
#undef PROBLEM
  free(used);
  return problems ? -1 : 0;
}
