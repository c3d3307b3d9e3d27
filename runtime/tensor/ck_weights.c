/* ck_weights.c - expand `weights { }` declarations into leaf converters.
 *
 * Runtime stage between the config runtime and the tensor engine.  Names
 * are joined with '.' from the prefixes of the enclosing declarations
 * (an empty prefix adds nothing), block sequences expand over the fixed
 * or pattern decoder, `repeat` substitutes {i} / {i+N} in its names, and
 * an `output` leaf disappears when the model ties its embeddings.
 */
#include "ck_weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tf_names[] = {
#define CK_TRANSFORM(id, name, kind) name,
#include "ck_transforms.def"
#undef CK_TRANSFORM
};
static const char *const tf_kinds[] = {
#define CK_TRANSFORM(id, name, kind) kind,
#include "ck_transforms.def"
#undef CK_TRANSFORM
};

const char *ck_transform_name(int t) {
  return t >= 0 && t < CK_TF_COUNT ? tf_names[t] : "?";
}
const char *ck_transform_kind(int t) {
  return t >= 0 && t < CK_TF_COUNT ? tf_kinds[t] : "?";
}

typedef struct walk {
  ck_rt *rt;
  ck_cfg *root;
  ck_plan *plan;
  ck_error *err;
} walk;


static const char *path_str(ck_rt *rt, const ck_path *p) {
  size_t n = 1;
  for (int i = 0; i < p->n; i++) n += strlen(p->seg[i]) + 1;
  char *s = ck_rt_alloc(rt, n);
  for (int i = 0; i < p->n; i++) {
    if (!p->seg[i][0]) continue;
    if (s[0]) strcat(s, ".");
    strcat(s, p->seg[i]);
  }
  return s;
}

/* Replace {i} and {i+N} / {i-N} in a name template. */
const char *ck_subst_index(ck_rt *rt, const char *tmpl, long long i) {
  size_t n = strlen(tmpl) + 64;
  char *out = ck_rt_alloc(rt, n);
  size_t o = 0;
  for (const char *p = tmpl; *p && o + 24 < n;) {
    if (p[0] == '{' && p[1] == 'i') {
      const char *q = p + 2;
      long long off = 0;
      if (*q == '+' || *q == '-') off = strtoll(q, (char **)&q, 10);
      if (*q == '}') {
        o += (size_t)snprintf(out + o, n - o, "%lld", i + off);
        p = q + 1;
        continue;
      }
    }
    out[o++] = *p++;
  }
  out[o] = '\0';
  return out;
}

static void add_leaf(walk *w, const ck_wdecl *d, const char **fl, int n_fl,
                     const char **hf, int n_hf, int transform,
                     json_t *params) {
  ck_plan *p = w->plan;
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 256;
    ck_leaf *nl = ck_rt_alloc(w->rt, sizeof *nl * p->cap);
    if (p->n) memcpy(nl, p->leaves, sizeof *nl * p->n);
    p->leaves = nl;
  }
  p->leaves[p->n++] = (ck_leaf){fl, n_fl, hf, n_hf, transform, params, d};
}

static int section_weights(walk *w, int si, ck_cfg *cfg, const char *fl,
                           const char *hf, int depth);

static int truthy_expr(walk *w, const ck_expr *e, ck_cfg *cfg, int *out) {
  ck_val v;
  ck_scope sc = {.cfg = cfg, .root = w->root};
  if (ck_eval(w->rt, e, sc, &v, CK_STAGE_WEIGHTS, w->err)) return -1;
  *out = ck_truthy(v);
  return 0;
}

/* The sub-config a declaration applies to: `config EXPR`, else its
 * Fast-LLM name read as a field path. */
static int sub_config(walk *w, const ck_wdecl *d, ck_cfg *cfg, ck_val *out) {
  ck_scope sc = {.cfg = cfg, .root = w->root};
  if (d->config)
    return ck_eval(w->rt, d->config, sc, out, CK_STAGE_WEIGHTS, w->err);
  return ck_resolve_path(w->rt, sc, d->fl, out, CK_STAGE_WEIGHTS, w->err);
}

static int tied(walk *w) {
  int fi = ck_class_field_index(w->rt->spec, w->root->cls,
                                "tied_embedding_weight");
  return fi >= 0 && w->root->slots[fi].v && json_is_true(w->root->slots[fi].v);
}

static int emit_names(walk *w, const ck_wdecl *d, const char *fl,
                      const char *hf, const char *suffix, ck_cfg *cfg,
                      int transform, int with_params) {
  const char **fln = ck_rt_alloc(w->rt, sizeof *fln);
  fln[0] = ck_rt_join(w->rt, ck_rt_join(w->rt, fl, path_str(w->rt, d->fl)), suffix);
  /* `for i in N`: the HF name list repeats N times with {i} = 0..N-1 */
  long long reps = 1;
  int templated = 0;
  if (d->count) {
    ck_val c;
    ck_scope sc = {.cfg = cfg, .root = w->root};
    if (ck_eval(w->rt, d->count, sc, &c, CK_STAGE_WEIGHTS, w->err)) return -1;
    if (!c.j || !json_is_integer(c.j) || json_integer_value(c.j) < 0)
      return ck_fail(w->err, CK_STAGE_WEIGHTS,
                     "%s:%d: `for` needs a non-negative "
                     "integer",
                     d->loc.file, d->loc.line);
    reps = json_integer_value(c.j);
    templated = 1;
  }
  int n_hf = (int)(reps * d->n_hf);
  const char **hfn = ck_rt_alloc(w->rt, sizeof *hfn * (size_t)(n_hf + 1));
  for (long long r = 0, k = 0; r < reps; r++)
    for (int i = 0; i < d->n_hf; i++, k++) {
      const char *name = path_str(w->rt, &d->hf[i]);
      if (templated) name = ck_subst_index(w->rt, name, r);
      hfn[k] = ck_rt_join(w->rt, ck_rt_join(w->rt, hf, name), suffix);
    }
  json_t *params = NULL;
  int n_tp = 0; /* transform params (a linear's `bias` is its own rule) */
  for (int i = 0; i < d->n_params; i++)
    if (d->kind != CK_W_LINEAR || strcmp(d->params[i].name, "bias")) n_tp++;
  (void)with_params;
  if (n_tp > 0) {
    params = ck_rt_own(w->rt, json_object());
    for (int i = 0; i < d->n_params; i++) {
      if (d->kind == CK_W_LINEAR && !strcmp(d->params[i].name, "bias")) continue;
      ck_val v;
      ck_scope sc = {.cfg = cfg, .root = w->root};
      if (ck_eval(w->rt, d->params[i].value, sc, &v, CK_STAGE_WEIGHTS, w->err))
        return -1;
      json_object_set(params, d->params[i].name, v.j ? v.j : json_null());
    }
  }
  add_leaf(w, d, fln, 1, hfn, n_hf, transform, params);
  return 0;
}

static int pick(const ck_wdecl *d, const ck_cfg *c) {
  for (int b = 0; b < d->n_branches; b++)
    if (d->branches[b].cls == c->cls) return b;
  return -1;
}

static int wdecl(walk *w, const ck_wdecl *d, ck_cfg *cfg, const char *fl,
                 const char *hf, int depth) {
  const ck_spec *s = w->rt->spec;
  if (d->when) {
    int ok;
    if (truthy_expr(w, d->when, cfg, &ok)) return -1;
    if (!ok) return 0;
  }
  ck_val v;
  switch (d->kind) {
  case CK_W_LEAF:
    if (d->transform == CK_TF_OUTPUT && tied(w)) return 0;
    return emit_names(w, d, fl, hf, "", cfg, d->transform, 1);
  case CK_W_LINEAR: {
    if (emit_names(w, d, fl, hf, "weight", cfg, d->transform, 0)) return -1;
    int bias = 0;
    const ck_expr *rule = NULL;
    for (int i = 0; i < d->n_params; i++)
      if (!strcmp(d->params[i].name, "bias")) rule = d->params[i].value;
    if (rule) {
      if (truthy_expr(w, rule, cfg, &bias)) return -1;
    } else {
      int fi = ck_class_field_index(s, cfg->cls, "add_linear_biases");
      if (fi < 0)
        return ck_fail(w->err, CK_STAGE_WEIGHTS,
                       "%s:%d: %s has no "
                       "add_linear_biases; give linear(bias: ...)",
                       d->loc.file, d->loc.line, s->classes[cfg->cls].name);
      bias = ck_truthy((ck_val){cfg->slots[fi].v, NULL, NULL});
    }
    return bias ? emit_names(w, d, fl, hf, "bias", cfg, d->transform, 0) : 0;
  }
  case CK_W_NESTED:
    if (sub_config(w, d, cfg, &v)) return -1;
    if (!v.c) {
      if (d->optional) return 0;
      return ck_fail(w->err, CK_STAGE_WEIGHTS, "%s:%d: %s has no config (null)",
                     d->loc.file, d->loc.line, d->fl->text);
    }
    return section_weights(w, d->section, v.c,
                           ck_rt_join(w->rt, fl, path_str(w->rt, d->fl)),
                           ck_rt_join(w->rt, hf, path_str(w->rt, &d->hf[0])),
                           depth + 1);
  case CK_W_SEQUENCE:
  case CK_W_SEQUENCE_DISPATCH: {
    ck_cfg *seq = cfg;
    if (!d->self) {
      if (sub_config(w, d, cfg, &v)) return -1;
      seq = v.c;
    }
    if (!seq) return ck_fail(w->err, CK_STAGE_WEIGHTS, "no block sequence");
    ck_cfg **blocks = NULL;
    long long n = 0;
    if (ck_cfg_expand_sequence(w->rt, seq, &blocks, &n, w->err)) return -1;
    const char *fp = ck_rt_join(w->rt, fl, path_str(w->rt, d->fl));
    const char *hp = ck_rt_join(w->rt, hf, path_str(w->rt, &d->hf[0]));
    for (long long i = 0; i < n; i++) {
      char idx[32];
      snprintf(idx, sizeof idx, "%lld", i);
      int sec = d->section;
      if (d->kind == CK_W_SEQUENCE_DISPATCH) {
        ck_cfg *sel = blocks[i];
        if (d->by) { /* dispatch on a config inside the block */
          ck_val bv;
          ck_scope bs = {.cfg = blocks[i], .root = w->root};
          if (ck_resolve_path(w->rt, bs, d->by, &bv, CK_STAGE_WEIGHTS, w->err))
            return -1;
          sel = bv.c;
        }
        int b = sel ? pick(d, sel) : -1;
        if (b < 0)
          return ck_fail(w->err, CK_STAGE_WEIGHTS,
                         "block %lld%s%s is a %s, which "
                         "this format cannot represent",
                         i, d->by ? "'s " : "", d->by ? d->by->text : "",
                         sel ? s->classes[sel->cls].name : "null");
        sec = d->branches[b].section;
      }
      if (section_weights(w, sec, blocks[i], ck_rt_join(w->rt, fp, idx),
                          ck_rt_join(w->rt, hp, idx), depth + 1))
        return -1;
    }
    return 0;
  }
  case CK_W_REPEAT: {
    ck_scope sc = {.cfg = cfg, .root = w->root};
    ck_val cnt;
    if (ck_eval(w->rt, d->count, sc, &cnt, CK_STAGE_WEIGHTS, w->err)) return -1;
    if (sub_config(w, d, cfg, &v)) return -1;
    long long n = cnt.j && json_is_integer(cnt.j) ? json_integer_value(cnt.j) : 0;
    for (long long i = 0; i < n; i++) {
      if (!v.c) return ck_fail(w->err, CK_STAGE_WEIGHTS, "repeat: no config");
      if (section_weights(w, d->section, v.c,
                          ck_rt_join(w->rt, fl, ck_subst_index(w->rt, path_str(w->rt, d->fl), i)),
                          ck_rt_join(w->rt, hf, ck_subst_index(w->rt, path_str(w->rt, &d->hf[0]), i)),
                          depth + 1))
        return -1;
    }
    return 0;
  }
  case CK_W_DISPATCH: {
    if (sub_config(w, d, cfg, &v)) return -1;
    if (!v.c) return 0;
    int b = pick(d, v.c);
    if (b < 0)
      return ck_fail(w->err, CK_STAGE_WEIGHTS,
                     "%s is a %s, which this format "
                     "cannot represent",
                     d->fl->text, s->classes[v.c->cls].name);
    const ck_path *hp = d->branches[b].hf ? d->branches[b].hf : &d->hf[0];
    return section_weights(w, d->branches[b].section, v.c,
                           ck_rt_join(w->rt, fl, path_str(w->rt, d->fl)),
                           ck_rt_join(w->rt, hf, path_str(w->rt, hp)), depth + 1);
  }
  case CK_W_TYPED_DICT: {
    if (sub_config(w, d, cfg, &v)) return -1;
    for (int k = 0; v.d && k < v.d->n; k++) {
      int b = pick(d, v.d->vals[k]);
      if (b < 0)
        return ck_fail(w->err, CK_STAGE_WEIGHTS,
                       "%s.%s is a %s, which this format "
                       "cannot represent",
                       d->fl->text, v.d->keys[k],
                       s->classes[v.d->vals[k]->cls].name);
      const ck_path *hp = d->branches[b].hf ? d->branches[b].hf : &d->hf[0];
      const char *fp = ck_rt_join(w->rt, ck_rt_join(w->rt, fl, path_str(w->rt, d->fl)), v.d->keys[k]);
      const char *hpp = ck_rt_join(w->rt, ck_rt_join(w->rt, hf, path_str(w->rt, hp)), v.d->keys[k]);
      if (section_weights(w, d->branches[b].section, v.d->vals[k], fp, hpp,
                          depth + 1))
        return -1;
    }
    return 0;
  }
  }
  return 0;
}

static int section_weights(walk *w, int si, ck_cfg *cfg, const char *fl,
                           const char *hf, int depth) {
  if (depth > 64)
    return ck_fail(w->err, CK_STAGE_WEIGHTS,
                   "weight declarations nest too deep");
  const ck_section *sec = &w->rt->spec->sections[si];
  for (int i = 0; i < sec->n_wdecls; i++)
    if (wdecl(w, &sec->wdecls[i], cfg, fl, hf, depth)) return -1;
  return 0;
}

int ck_weights_plan(ck_rt *rt, const ck_format *f, ck_cfg *root,
                    ck_plan *plan, ck_error *err) {
  memset(plan, 0, sizeof *plan);
  plan->model = f->name;
  walk w = {rt, root, plan, err};
  return section_weights(&w, f->root, root, "", "", 0);
}

json_t *ck_plan_to_json(ck_rt *rt, const ck_plan *plan) {
  json_t *arr = ck_rt_own(rt, json_array());
  for (size_t i = 0; i < plan->n; i++) {
    const ck_leaf *l = &plan->leaves[i];
    json_t *o = json_object();
    json_t *fl = json_array(), *hf = json_array();
    for (int k = 0; k < l->n_fl; k++) json_array_append_new(fl, json_string(l->fl[k]));
    for (int k = 0; k < l->n_hf; k++) json_array_append_new(hf, json_string(l->hf[k]));
    json_object_set_new(o, "fast_llm", fl);
    json_object_set_new(o, "hf", hf);
    json_object_set_new(o, "kind", json_string(ck_transform_kind(l->transform)));
    if (l->params) json_object_set(o, "params", l->params);
    json_array_append_new(arr, o);
  }
  return arr;
}
