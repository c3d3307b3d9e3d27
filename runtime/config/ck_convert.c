/* ck_convert.c - the section-converter interpreter.
 *
 * Runtime stage after the generated tables: walks a format's root section
 * and executes each declaration (rename, constants, optional, nested,
 * dispatch, typed dict, block sequence, custom hooks, validate rules) in
 * declaration order, for export (config object -> HF dict) or import (HF
 * dict -> Fast-LLM dict), plus the HF coverage walker that rejects every
 * HF key no declaration claims.
 */
#include "ck_convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ck_format *ck_format_find(const ck_spec *s, const char *name) {
  for (int i = 0; i < s->n_formats; i++)
    if (strcmp(s->formats[i].name, name) == 0) return &s->formats[i];
  return NULL;
}

/* Record the innermost declaration that failed as the error's rule (a
 * nested section's failure must keep its own, not its parent's). */
static int failed_rule(const ck_decl *d, ck_error *err) {
  if (err && !err->rule[0]) ck_error_set_rule(err, d->loc.file, d->loc.line);
  return -1;
}

static void rule_name(const ck_decl *d, char *buf, size_t n) {
  snprintf(buf, n, "rule %s:%d (%s)", d->loc.file, d->loc.line, d->text);
}

int ck_safe_set_key(ck_rt *rt, json_t *obj, const char *key, json_t *v,
                    ck_stage stage, const char *rule, ck_error *err) {
  (void)rt;
  json_t *old = json_object_get(obj, key);
  if (old && json_is_object(old) && json_is_object(v) && old != v) {
    /* two rules filling one sub-dict: merge, each leaf checked */
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
      if (ck_safe_set_key(rt, old, k, x, stage, rule, err)) {
        ck_error_prefix(err, "%s.", key);
        return -1;
      }
    }
    return 0;
  }
  if (old) {
    if (ck_py_equal(old, v)) return 0;
    char a[256], b[256];
    ck_json_repr(old, a, sizeof a);
    ck_json_repr(v, b, sizeof b);
    return ck_fail(err, stage, "'%s' gets two different values: %s, then "
                   "%s from %s", key, a, b, rule ? rule : "a rule");
  }
  json_object_set(obj, key, v);
  return 0;
}

int ck_safe_set(ck_rt *rt, json_t *obj, const ck_path *p, json_t *v,
                ck_stage stage, const char *rule, ck_error *err) {
  for (int i = 0; i + 1 < p->n; i++) {
    json_t *next = json_object_get(obj, p->seg[i]);
    if (!next) {
      next = json_object();
      json_object_set_new(obj, p->seg[i], next);
    } else if (!json_is_object(next)) {
      return ck_fail(err, stage, "'%s' is not a mapping (writing '%s')",
                     p->seg[i], p->text);
    }
    obj = next;
  }
  if (ck_safe_set_key(rt, obj, p->seg[p->n - 1], v, stage, rule, err) != 0) {
    if (p->n > 1) ck_error_prefix(err, "%s: ", p->text);
    return -1;
  }
  return 0;
}

static json_t *get_path(json_t *obj, const ck_path *p) {
  for (int i = 0; i < p->n && obj; i++)
    obj = json_is_object(obj) ? json_object_get(obj, p->seg[i]) : NULL;
  return obj;
}

static json_t *val_json(ck_rt *rt, ck_val v) {
  if (v.j) return v.j;
  if (v.c) return ck_cfg_to_dict(rt, v.c);
  return ck_rt_own(rt, json_null());
}

/* ------------------------------------------------------------ export */

static int export_section(ck_rt *rt, int si, ck_cfg *cfg, json_t *out,
                          ck_error *err);

static int map_table(ck_rt *rt, const ck_table *t, json_t *v, int export,
                     json_t **res, const char *what, ck_error *err) {
  ck_scope none = {0};
  for (int i = 0; i < t->n_rows; i++) {
    const ck_table_row *r = &t->rows[i];
    if (export ? !r->export_ok : !r->import_ok) continue;
    ck_val from, to;
    if (ck_eval(rt, export ? r->fast_llm : r->hf, none, &from, CK_STAGE_SPEC,
                err))
      return -1;
    if (!ck_py_equal(from.j, v)) continue;
    if (ck_eval(rt, export ? r->hf : r->fast_llm, none, &to, CK_STAGE_SPEC,
                err))
      return -1;
    *res = to.j;
    return 0;
  }
  char repr[256], known[1024] = "";
  size_t used = 0;
  ck_json_repr(v, repr, sizeof repr);
  for (int i = 0; i < t->n_rows && used < sizeof known; i++) {
    const ck_table_row *r = &t->rows[i];
    if (export ? !r->export_ok : !r->import_ok) continue;
    const ck_expr *k = export ? r->fast_llm : r->hf;
    used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                             used ? ", " : "", k->text);
  }
  return ck_fail_at(err, export ? CK_STAGE_EXPORT : CK_STAGE_IMPORT_CONFIG,
                    (ck_about){.key = what},
                    "%s %s has no %s equivalent (known: %s)", what, repr,
                    export ? "HF" : "Fast-LLM", known);
}

/* The fields of a block sequence, as its class's `sequence` line names
 * them: the block (fixed) or the blocks and the pattern (pattern), and
 * the count; -1 for an absent one.  Fails, naming the rule, when it is no
 * block sequence. */
typedef struct seq_fields { int block, blocks, pattern, num; } seq_fields;

static int find_seq_fields(ck_rt *rt, const ck_cfg *seq, const char *rule,
                           seq_fields *f, ck_error *err) {
  const ck_spec *s = rt->spec;
  const ck_class *k = &s->classes[seq->cls];
  f->block = k->seq_block;
  f->blocks = k->seq_blocks;
  f->pattern = k->seq_pattern;
  f->num = k->seq_count;
  if (f->num < 0 || (f->block < 0 && f->blocks < 0))
    return ck_fail(err, CK_STAGE_EXPORT, "%s: unsupported block sequence %s",
                   rule, s->classes[seq->cls].name);
  return 0;
}

static int export_sequence(ck_rt *rt, const ck_decl *d, ck_cfg *seq,
                           json_t *out, ck_error *err) {
  char rule[512];
  rule_name(d, rule, sizeof rule);
  seq_fields sf;
  if (find_seq_fields(rt, seq, rule, &sf, err)) return -1;
  int fi_block = sf.block, fi_blocks = sf.blocks, fi_num = sf.num;
  if (fi_block >= 0) {
    if (export_section(rt, d->section, seq->slots[fi_block].sub, out, err))
      return -1;
  } else {
    ck_cfgdict *blocks = seq->slots[fi_blocks].dict;
    json_t *first = NULL;
    for (int i = 0; blocks && i < blocks->n; i++) {
      json_t *one = ck_rt_own(rt, json_object());
      if (export_section(rt, d->section, blocks->vals[i], one, err)) return -1;
      if (!first) {
        first = one;
      } else if (!ck_py_equal(first, one)) {
        char a[1024], b[1024];
        ck_json_repr(first, a, sizeof a);
        ck_json_repr(one, b, sizeof b);
        return ck_fail(err, CK_STAGE_EXPORT,
                       "%s: the HF format has one block "
                       "layout, but blocks '%s' and '%s' export differently:"
                       " %s != %s",
                       rule, blocks->keys[0], blocks->keys[i], a, b);
      }
    }
    const char *k;
    json_t *v;
    if (first)
      json_object_foreach(first, k, v) {
        if (ck_safe_set_key(rt, out, k, v, CK_STAGE_EXPORT, rule, err))
          return -1;
      }
  }
  return ck_safe_set(rt, out, &d->hf[0], seq->slots[fi_num].v, CK_STAGE_EXPORT,
                     rule, err);
}

static int pick_branch(ck_rt *rt, const ck_decl *d, const ck_cfg *c);

/* The branch for a block of a `layout` decoder: by the class of the
 * config at d->by inside the block. */
static int layout_branch(ck_rt *rt, const ck_decl *d, ck_cfg *block,
                         ck_error *err) {
  ck_val v;
  ck_scope sc = {.cfg = block};
  if (ck_resolve_path(rt, sc, d->by, &v, CK_STAGE_EXPORT, err)) return -2;
  if (!v.c)
    return ck_fail(err, CK_STAGE_EXPORT, "block has no %s", d->by->text), -2;
  int b = pick_branch(rt, d, v.c);
  if (b < 0)
    return ck_fail(err, CK_STAGE_EXPORT,
                   "a block whose %s is a %s cannot be "
                   "represented by this format",
                   d->by->text, rt->spec->classes[v.c->cls].name),
           -2;
  if (!rt->spec->sections[d->branches[b].section].hf_type_name)
    return ck_fail(err, CK_STAGE_EXPORT,
                   "blocks whose %s is a %s have no layout "
                   "name in this format (section %s)",
                   d->by->text, rt->spec->classes[v.c->cls].name,
                   rt->spec->sections[d->branches[b].section].name),
           -2;
  return b;
}

static void branch_names(const ck_spec *s, const ck_decl *d, int by_class,
                         char *buf, size_t n);

/* The branch for a block of a `layout = EXPR` decoder: the one whose
 * type name is the block's name (the first for a fixed sequence). */
static int named_branch(ck_rt *rt, const ck_decl *d, const char *name,
                        ck_error *err) {
  const ck_spec *s = rt->spec;
  if (!name) return 0;
  for (int b = 0; b < d->n_branches; b++)
    if (strcmp(s->sections[d->branches[b].section].hf_type_name, name) == 0)
      return b;
  char known[256];
  branch_names(s, d, 0, known, sizeof known);
  return ck_fail(err, CK_STAGE_EXPORT,
                 "block '%s' is not a block kind of this format (the "
                 "blocks must be named %s)", name, known),
         -2;
}

static int export_layout(ck_rt *rt, const ck_decl *d, ck_cfg *seq,
                         json_t *out, ck_error *err) {
  const ck_spec *s = rt->spec;
  char rule[512];
  rule_name(d, rule, sizeof rule);
  seq_fields sf;
  if (find_seq_fields(rt, seq, rule, &sf, err)) return -1;
  int fb = sf.block, fbs = sf.blocks, fp = sf.pattern, fn = sf.num;
  json_t *layout = ck_rt_own(rt, json_array());
  if (fb >= 0) {
    ck_cfg *block = seq->slots[fb].sub;
    int b = d->by ? layout_branch(rt, d, block, err)
                  : named_branch(rt, d, NULL, err);
    if (b < 0) return -1;
    if (export_section(rt, d->branches[b].section, block, out, err)) return -1;
    json_array_append_new(layout, json_string(
        s->sections[d->branches[b].section].hf_type_name));
  } else {
    ck_cfgdict *blocks = seq->slots[fbs].dict;
    int *branch = ck_rt_alloc(rt, sizeof *branch * (size_t)(blocks->n + 1));
    for (int i = 0; i < blocks->n; i++) { /* every block, unused ones too */
      branch[i] = d->by ? layout_branch(rt, d, blocks->vals[i], err)
                        : named_branch(rt, d, blocks->keys[i], err);
      if (branch[i] < 0) {
        ck_error_prefix(err, "%s: ", rule);
        return -1;
      }
      if (export_section(rt, d->branches[branch[i]].section, blocks->vals[i],
                         out, err))
        return -1;
    }
    json_t *pattern = seq->slots[fp].v;
    for (size_t k = 0; pattern && k < json_array_size(pattern); k++) {
      const char *name = json_string_value(json_array_get(pattern, k));
      for (int i = 0; name && i < blocks->n; i++)
        if (strcmp(blocks->keys[i], name) == 0)
          json_array_append_new(layout, json_string(
              s->sections[d->branches[branch[i]].section].hf_type_name));
    }
  }
  /* by name, the format writes the names in its own form (emits) */
  if (d->by &&
      ck_safe_set(rt, out, &d->hf[0], layout, CK_STAGE_EXPORT, rule, err))
    return -1;
  return ck_safe_set(rt, out, &d->hf[d->by ? 1 : 0], seq->slots[fn].v,
                     CK_STAGE_EXPORT, rule, err);
}

static int pick_branch(ck_rt *rt, const ck_decl *d, const ck_cfg *c) {
  for (int b = 0; b < d->n_branches; b++)
    if (d->branches[b].cls == c->cls) return b;
  (void)rt;
  return -1;
}

/* Names of d's branches, each once ("A, B, C"), for messages; classes
 * when by_class, else the branch sections' HF type names. */
static void branch_names(const ck_spec *s, const ck_decl *d, int by_class,
                         char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int b = 0; b < d->n_branches; b++) {
    const ck_branch *br = &d->branches[b];
    const char *name = by_class ? s->classes[br->cls].name
                                : s->sections[br->section].hf_type_name;
    int seen = !name;
    for (int e = 0; e < b && !seen; e++) {
      const ck_branch *o = &d->branches[e];
      const char *other = by_class ? s->classes[o->cls].name
                                   : s->sections[o->section].hf_type_name;
      seen = other && strcmp(other, name) == 0;
    }
    if (!seen && used < n)
      used += (size_t)snprintf(buf + used, n - used, "%s%s",
                               used ? ", " : "", name);
  }
}

/* A dispatch of a default branch into its mapping at `at`: the default
 * is what an absent mapping means, so a mapping that would hold nothing
 * but the discriminator is left out (v4 `rope_scaling` of a default
 * rotary). */
static int export_default_branch(ck_rt *rt, const ck_decl *d, int sec,
                                 ck_cfg *c, json_t *out, const char *rule,
                                 ck_error *err) {
  json_t *one = ck_rt_own(rt, json_object());
  const char *tn = rt->spec->sections[sec].hf_type_name;
  json_object_set_new(one, d->discriminator, json_string(tn));
  if (export_section(rt, sec, c, one, err)) return -1;
  if (json_object_size(one) <= 1) return 0;
  return ck_safe_set(rt, out, d->at, one, CK_STAGE_EXPORT, rule, err);
}

static json_t *sub_object(json_t *out, const ck_path *at) {
  for (int i = 0; i < at->n; i++) {
    json_t *next = json_object_get(out, at->seg[i]);
    if (!next) {
      next = json_object();
      json_object_set_new(out, at->seg[i], next);
    }
    out = next;
  }
  return out;
}

static int export_decl(ck_rt *rt, const ck_section *in, const ck_decl *d,
                       ck_cfg *cfg, json_t *out, ck_error *err) {
  const ck_spec *s = rt->spec;
  if (d->layout && d->layout != rt->layout) return 0; /* another layout's */
  char rule[512];
  rule_name(d, rule, sizeof rule);
  ck_scope sc = {.cfg = cfg, .hf = NULL};
  ck_val v, c;
  switch (d->kind) {
  case CK_DECL_RENAME:
  case CK_DECL_OPTIONAL: {
    if (ck_resolve_path(rt, sc, &d->fl[0], &v, CK_STAGE_EXPORT, err)) return -1;
    json_t *j = val_json(rt, v);
    if (d->kind == CK_DECL_OPTIONAL) {
      json_t *sentinel = ck_rt_own(rt, json_null());
      if (d->has_sentinel) {
        if (ck_eval(rt, d->value, sc, &c, CK_STAGE_EXPORT, err)) return -1;
        sentinel = c.j;
      }
      if (ck_py_equal(j, sentinel)) return 0;
    }
    if (d->table && map_table(rt, d->table, j, 1, &j, d->fl[0].text, err)) {
      ck_error_prefix(err, "%s: ", rule);
      return -1;
    }
    return ck_safe_set(rt, out, &d->hf[0], j, CK_STAGE_EXPORT, rule, err);
  }
  case CK_DECL_CONST_IMPORT: {
    if (ck_resolve_path(rt, sc, &d->fl[0], &v, CK_STAGE_EXPORT, err)) return -1;
    ck_scope none = {0};
    if (ck_eval(rt, d->value, none, &c, CK_STAGE_EXPORT, err)) return -1;
    int same = (v.c || v.d) ? 0 : ck_py_equal(v.j, c.j);
    if (same) return 0;
    char a[256], b[256];
    ck_val_repr(rt, v, a, sizeof a);
    ck_json_repr(c.j, b, sizeof b);
    if (v.c && json_is_null(c.j))
      snprintf(a, sizeof a, "set (%s)", s->classes[v.c->cls].name);
    return ck_fail(err, CK_STAGE_EXPORT,
                   "%s is %s, but this format requires %s "
                   "(%s)",
                   d->fl[0].text, a, b, rule);
  }
  case CK_DECL_CONST_EXPORT: {
    if (d->when) {
      if (ck_eval(rt, d->when, sc, &c, CK_STAGE_EXPORT, err)) return -1;
      if (!ck_truthy(c)) return 0;
    }
    if (ck_eval(rt, d->value, sc, &c, CK_STAGE_EXPORT, err)) return -1;
    return ck_safe_set(rt, out, &d->hf[0], val_json(rt, c), CK_STAGE_EXPORT,
                       rule, err);
  }
  case CK_DECL_IGNORE:
  case CK_DECL_IMPORT_ONLY:
  case CK_DECL_VALIDATE:
  case CK_DECL_REQUIRE:
    return 0;
  case CK_DECL_CUSTOM: {
    const ck_hook *h = (const ck_hook *)d->hook;
    if (h->export_fn(rt, d, cfg, out, err) != 0) {
      if (!ck_error_is_set(err))
        ck_fail(err, CK_STAGE_EXPORT, "%s failed", rule);
      return -1;
    }
    return 0;
  }
  case CK_DECL_NESTED: {
    if (d->self_config) v = (ck_val){NULL, cfg, NULL};
    else if (ck_resolve_path(rt, sc, &d->fl[0], &v, CK_STAGE_EXPORT, err))
      return -1;
    if (!v.c)
      return ck_fail(err, CK_STAGE_EXPORT, "%s is not set, but %s needs it",
                     d->fl[0].text, rule);
    json_t *target = d->at ? sub_object(out, d->at) : out;
    const char *tn = s->sections[d->section].hf_type_name;
    if (tn &&
        ck_safe_set_key(rt, target, "type", ck_rt_own(rt, json_string(tn)),
                        CK_STAGE_EXPORT, rule, err))
      return -1;
    return export_section(rt, d->section, v.c, target, err);
  }
  case CK_DECL_DISPATCH: {
    if (d->self_config) v = (ck_val){NULL, cfg, NULL};
    else if (ck_resolve_path(rt, sc, &d->fl[0], &v, CK_STAGE_EXPORT, err)) return -1;
    if (!v.c)
      return ck_fail(err, CK_STAGE_EXPORT, "%s is not set, but %s needs it",
                     d->fl[0].text, rule);
    int b = pick_branch(rt, d, v.c);
    if (b < 0) {
      char known[512], what[256];
      branch_names(s, d, 1, known, sizeof known);
      snprintf(what, sizeof what, d->self_config ? "the %s" : "%s",
               d->self_config ? s->classes[in->cls].name : d->fl[0].text);
      return ck_fail(err, CK_STAGE_EXPORT, "%s: %s is a %s, which this format "
                     "cannot represent (it supports %s)", rule, what,
                     s->classes[v.c->cls].name, known);
    }
    int sec = d->branches[b].section;
    if (d->branches[b].is_default && d->at)
      return export_default_branch(rt, d, sec, v.c, out, rule, err);
    json_t *target = d->at ? sub_object(out, d->at) : out;
    if (ck_safe_set_key(rt, target, d->discriminator,
                        ck_rt_own(rt, json_string(s->sections[sec].hf_type_name)), CK_STAGE_EXPORT, rule, err))
      return -1;
    return export_section(rt, sec, v.c, target, err);
  }
  case CK_DECL_TYPED_DICT: {
    if (ck_resolve_path(rt, sc, &d->fl[0], &v, CK_STAGE_EXPORT, err)) return -1;
    json_t *target = d->at ? sub_object(out, d->at) : out;
    for (int i = 0; v.d && i < v.d->n; i++) {
      ck_cfg *entry = v.d->vals[i];
      int b = pick_branch(rt, d, entry);
      if (b < 0)
        return ck_fail(err, CK_STAGE_EXPORT,
                       "%s: %s.%s is a %s, which this format "
                       "cannot represent",
                       rule, d->fl[0].text, v.d->keys[i],
                       s->classes[entry->cls].name);
      int sec = d->branches[b].section;
      json_t *one = json_object();
      json_object_set_new(target, v.d->keys[i], one);
      if (d->n_branches > 1 || s->sections[sec].hf_type_name)
        json_object_set_new(one, d->discriminator,
                            json_string(s->sections[sec].hf_type_name));
      if (export_section(rt, sec, entry, one, err)) return -1;
    }
    return 0;
  }
  case CK_DECL_SEQUENCE:
    if (ck_resolve_path(rt, sc, &d->fl[0], &v, CK_STAGE_EXPORT, err)) return -1;
    if (!v.c)
      return ck_fail(err, CK_STAGE_EXPORT, "%s: no block sequence", rule);
    return export_sequence(rt, d, v.c, out, err);
  case CK_DECL_LAYOUT:
    if (ck_resolve_path(rt, sc, &d->fl[0], &v, CK_STAGE_EXPORT, err)) return -1;
    if (!v.c)
      return ck_fail(err, CK_STAGE_EXPORT, "%s: no block sequence", rule);
    return export_layout(rt, d, v.c, out, err);
  }
  return 0;
}

static int export_section(ck_rt *rt, int si, ck_cfg *cfg, json_t *out,
                          ck_error *err) {
  const ck_section *sec = &rt->spec->sections[si];
  /* the export-validation hook runs before any declaration */
  for (int i = 0; i < sec->n_decls; i++) {
    const ck_decl *d = &sec->decls[i];
    if (d->kind != CK_DECL_VALIDATE) continue;
    if (d->layout && d->layout != rt->layout) continue;
    ck_val v;
    ck_scope sc = {.cfg = cfg, .hf = NULL};
    if (ck_eval(rt, d->value, sc, &v, CK_STAGE_EXPORT, err)) return -1;
    if (!ck_truthy(v))
      return ck_fail(err, CK_STAGE_EXPORT, "%s: %s (rule %s:%d: validate %s)",
                     sec->name, d->message ? d->message : "not exportable",
                     d->loc.file, d->loc.line, d->value->text),
             failed_rule(d, err);
  }
  for (int i = 0; i < sec->n_decls; i++)
    if (export_decl(rt, sec, &sec->decls[i], cfg, out, err))
      return failed_rule(&sec->decls[i], err);
  return 0;
}

ck_cfg *ck_load_base_model(ck_rt *rt, const ck_format *f, json_t *base_model,
                           ck_error *err) {
  ck_cfg *cfg = ck_cfg_from_dict(rt, f->model_class, base_model, "", err);
  if (!cfg) return NULL;
  if (ck_cfg_validate(rt, cfg, "", err) != 0) return NULL;
  return cfg;
}

json_t *ck_export_config(ck_rt *rt, const ck_format *f, json_t *base_model,
                         ck_error *err) {
  ck_cfg *cfg = ck_load_base_model(rt, f, base_model, err);
  if (!cfg) return NULL;
  json_t *out = ck_rt_own(rt, json_object());
  if (export_section(rt, f->root, cfg, out, err)) return NULL;
  char rule[256];
  snprintf(rule, sizeof rule, "format %s", f->name);
  if (ck_safe_set_key(rt, out, "model_type",
                      ck_rt_own(rt, json_string(f->model_type)),
                      CK_STAGE_EXPORT, rule, err))
    return NULL;
  json_t *arch = ck_rt_own(rt, json_array());
  for (int i = 0; i < f->n_architectures; i++)
    json_array_append_new(arch, json_string(f->architectures[i]));
  if (ck_safe_set_key(rt, out, "architectures", arch, CK_STAGE_EXPORT, rule,
                      err))
    return NULL;
  if (f->n_auto_map > 0) {
    json_t *am = ck_rt_own(rt, json_object());
    for (int i = 0; i < f->n_auto_map; i++)
      json_object_set_new(am, f->auto_map[2 * i],
                          json_string(f->auto_map[2 * i + 1]));
    if (ck_safe_set_key(rt, out, "auto_map", am, CK_STAGE_EXPORT, rule, err))
      return NULL;
  }
  return out;
}

/* ------------------------------------------------------------ import */

static int import_section(ck_rt *rt, int si, json_t *hf, json_t *out,
                          ck_error *err);

static json_t *hf_lookup(json_t *hf, const ck_path *p) { return get_path(hf, p); }

static int import_sub(ck_rt *rt, int sec, json_t *hf, json_t **res,
                      ck_error *err) {
  json_t *o = ck_rt_own(rt, json_object());
  if (import_section(rt, sec, hf, o, err)) return -1;
  *res = o;
  return 0;
}

static int default_branch(const ck_decl *d) {
  for (int b = 0; b < d->n_branches; b++)
    if (d->branches[b].is_default) return b;
  return -1;
}

static int branch_by_hf(ck_rt *rt, const ck_decl *d, json_t *hf,
                        const char *where, ck_error *err) {
  const ck_spec *s = rt->spec;
  json_t *t = json_is_object(hf) ? json_object_get(hf, d->discriminator) : NULL;
  if (!t && default_branch(d) >= 0) return default_branch(d);
  if (!t || !json_is_string(t)) {
    char repr[128];
    ck_json_repr(t, repr, sizeof repr);
    ck_about about = {.key = d->discriminator};
    if (t)
      return ck_fail_at(err, CK_STAGE_IMPORT_CONFIG, about,
                        "%s: HF key '%s' (the type) must be a string, got %s",
                        where, d->discriminator, repr),
             -2;
    return ck_fail_at(err, CK_STAGE_IMPORT_CONFIG, about,
                      "%s: HF key '%s' (the type) is missing", where,
                      d->discriminator),
           -2;
  }
  for (int b = 0; b < d->n_branches; b++)
    if (strcmp(s->sections[d->branches[b].section].hf_type_name,
               json_string_value(t)) == 0)
      return b;
  char known[512];
  branch_names(s, d, 0, known, sizeof known);
  return ck_fail(err, CK_STAGE_IMPORT_CONFIG, "%s: unknown %s '%s'%s%s (known: "
                 "%s)", where, d->discriminator, json_string_value(t),
                 d->at ? " in " : "", d->at ? d->at->text : "", known), -2;
}

/* The HF mapping a dispatch reads: the one at `at` (or the current one).
 * With a default branch, an absent or null mapping means the default
 * ({}); anything else that is not a mapping is an error. */
static int dispatch_source(ck_rt *rt, const ck_decl *d, json_t *hf,
                           const char *rule, json_t **sub, ck_error *err) {
  *sub = d->at ? hf_lookup(hf, d->at) : hf;
  if (default_branch(d) < 0) return 0;
  if (!*sub || json_is_null(*sub)) {
    *sub = ck_rt_own(rt, json_object());
  } else if (!json_is_object(*sub)) {
    char repr[128];
    ck_json_repr(*sub, repr, sizeof repr);
    return ck_fail(err, CK_STAGE_IMPORT_CONFIG, "HF key '%s' must be a mapping or "
                   "null, got %s (needed by %s)", d->at ? d->at->text : "",
                   repr, rule);
  }
  return 0;
}

/* The block-sequence class cls that an import builds into the dict seq:
 * its `type` is written unless the class is its registry's default (a
 * fixed sequence), so the dict reads as upstream's. */
static const ck_class *sequence_type(ck_rt *rt, json_t *seq, int cls) {
  const ck_class *k = &rt->spec->classes[cls];
  int dflt = k->registry >= 0 ? rt->spec->classes[k->registry].default_subclass
                              : -1;
  if (k->dynamic_name && dflt != cls)
    json_object_set_new(seq, "type", json_string(k->dynamic_name));
  return k;
}

/* Where a nested or dispatched section's import goes: at d's Fast-LLM
 * path, or, for `""` (the section's own config), merged into out. */
static int store_import(ck_rt *rt, const ck_decl *d, json_t *res,
                        json_t *out, const char *rule, ck_error *err) {
  if (!d->self_config)
    return ck_safe_set(rt, out, &d->fl[0], res, CK_STAGE_IMPORT_CONFIG, rule,
                       err);
  const char *k;
  json_t *x;
  json_object_foreach(res, k, x) {
    if (ck_safe_set_key(rt, out, k, x, CK_STAGE_IMPORT_CONFIG, rule, err))
      return -1;
  }
  return 0;
}

static int import_decl(ck_rt *rt, const ck_decl *d, json_t *hf, json_t *out,
                       ck_error *err) {
  const ck_spec *s = rt->spec;
  char rule[512];
  rule_name(d, rule, sizeof rule);
  ck_scope sc = {.cfg = NULL, .hf = hf};
  ck_val v;
  switch (d->kind) {
  case CK_DECL_RENAME: {
    json_t *j = hf_lookup(hf, &d->hf[0]);
    if (!j && d->has_sentinel == 2) return 0; /* `when present` */
    if (!j) {
      if (!d->value)
        return ck_fail_at(err, CK_STAGE_IMPORT_CONFIG,
                          (ck_about){.key = d->hf[0].text},
                          "HF config has no key '%s' "
                          "(needed for %s by %s)",
                          d->hf[0].text, d->fl[0].text, rule);
      if (ck_eval(rt, d->value, sc, &v, CK_STAGE_IMPORT_CONFIG, err)) {
        ck_error_prefix(err, "%s: ", rule);
        return -1;
      }
      j = v.j;
    } else if (d->table &&
               map_table(rt, d->table, j, 0, &j, d->hf[0].text, err)) {
      return -1;
    }
    return ck_safe_set(rt, out, &d->fl[0], j, CK_STAGE_IMPORT_CONFIG, rule,
                       err);
  }
  case CK_DECL_OPTIONAL: {
    json_t *j = hf_lookup(hf, &d->hf[0]);
    if (!j) return 0;
    json_t *sentinel = ck_rt_own(rt, json_null());
    if (d->has_sentinel) {
      ck_scope none = {0};
      if (ck_eval(rt, d->value, none, &v, CK_STAGE_IMPORT_CONFIG, err))
        return -1;
      sentinel = v.j;
    }
    if (ck_py_equal(j, sentinel)) return 0;
    return ck_safe_set(rt, out, &d->fl[0], j, CK_STAGE_IMPORT_CONFIG, rule,
                       err);
  }
  case CK_DECL_CONST_IMPORT: {
    ck_scope none = {0};
    if (ck_eval(rt, d->value, none, &v, CK_STAGE_IMPORT_CONFIG, err)) return -1;
    return ck_safe_set(rt, out, &d->fl[0], v.j, CK_STAGE_IMPORT_CONFIG, rule,
                       err);
  }
  case CK_DECL_CONST_EXPORT: {
    json_t *j = hf_lookup(hf, &d->hf[0]);
    /* only a constant can be checked; a value of the config is export-only */
    if (!j || d->when || d->value->op == CK_EX_PATH ||
        d->value->op == CK_EX_CALL || d->value->op >= CK_EX_NOT)
      return 0;
    ck_scope none = {0};
    if (ck_eval(rt, d->value, none, &v, CK_STAGE_IMPORT_CONFIG, err)) return -1;
    if (ck_py_equal(j, v.j)) return 0;
    char a[256], b[256];
    ck_json_repr(j, a, sizeof a);
    ck_json_repr(v.j, b, sizeof b);
    return ck_fail_at(err, CK_STAGE_IMPORT_CONFIG,
                      (ck_about){.key = d->hf[0].text},
                      "HF key '%s' is %s, but this format"
                      " requires %s (%s)",
                      d->hf[0].text, a, b, rule);
  }
  case CK_DECL_IMPORT_ONLY:
    if (ck_eval(rt, d->value, sc, &v, CK_STAGE_IMPORT_CONFIG, err)) {
      ck_error_prefix(err, "%s: ", rule);
      return -1;
    }
    return ck_safe_set(rt, out, &d->fl[0], v.j, CK_STAGE_IMPORT_CONFIG, rule,
                       err);
  case CK_DECL_IGNORE:
  case CK_DECL_VALIDATE:
    return 0;
  case CK_DECL_REQUIRE:
    if (ck_eval(rt, d->value, sc, &v, CK_STAGE_IMPORT_CONFIG, err)) return -1;
    if (ck_truthy(v)) return 0;
    return ck_fail(err, CK_STAGE_IMPORT_CONFIG, "%s (%s: require %s)",
                   d->message ? d->message : "unsupported HF config", rule,
                   d->value->text);
  case CK_DECL_CUSTOM: {
    const ck_hook *h = (const ck_hook *)d->hook;
    if (h->import_fn(rt, d, hf, out, err) != 0) {
      if (!ck_error_is_set(err))
        ck_fail(err, CK_STAGE_IMPORT_CONFIG, "%s failed", rule);
      return -1;
    }
    return 0;
  }
  case CK_DECL_NESTED: {
    json_t *sub = d->at ? hf_lookup(hf, d->at) : hf;
    if (!sub && d->has_sentinel == 2) return 0; /* `when present` */
    if (!sub || !json_is_object(sub))
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                     "HF config has no mapping '%s' "
                     "(needed by %s)",
                     d->at ? d->at->text : "", rule);
    const char *tn = s->sections[d->section].hf_type_name;
    json_t *t = json_object_get(sub, "type");
    if (tn && t && (!json_is_string(t) || strcmp(json_string_value(t), tn)))
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG, "%s: HF type must be '%s'",
                     rule, tn);
    json_t *res;
    if (import_sub(rt, d->section, sub, &res, err)) return -1;
    return store_import(rt, d, res, out, rule, err);
  }
  case CK_DECL_DISPATCH: {
    json_t *sub;
    if (dispatch_source(rt, d, hf, rule, &sub, err)) return -1;
    int b = branch_by_hf(rt, d, sub, rule, err);
    if (b < 0) return -1;
    json_t *res;
    if (import_sub(rt, d->branches[b].section, sub, &res, err)) {
      /* where: "rope_scaling (rope_type 'llama3'): ..." */
      const char *tn = json_string_value(json_object_get(sub,
                                                         d->discriminator));
      if (d->at && tn)
        ck_error_prefix(err, "%s (%s '%s'): ", d->at->text, d->discriminator,
                        tn);
      else if (d->at)
        ck_error_prefix(err, "%s: ", d->at->text);
      return -1;
    }
    return store_import(rt, d, res, out, rule, err);
  }
  case CK_DECL_TYPED_DICT: {
    json_t *sub = d->at ? hf_lookup(hf, d->at) : hf;
    if (!sub || !json_is_object(sub))
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                     "HF config has no mapping '%s' "
                     "(needed by %s)",
                     d->at ? d->at->text : "", rule);
    json_t *res = ck_rt_own(rt, json_object());
    const char *k;
    json_t *entry;
    json_object_foreach(sub, k, entry) {
      int b = 0;
      if (d->n_branches > 1 ||
          s->sections[d->branches[0].section].hf_type_name) {
        b = branch_by_hf(rt, d, entry, rule, err);
        if (b < 0) return -1;
      }
      json_t *one;
      if (import_sub(rt, d->branches[b].section, entry, &one, err)) return -1;
      json_object_set(res, k, one);
    }
    return ck_safe_set(rt, out, &d->fl[0], res, CK_STAGE_IMPORT_CONFIG, rule,
                       err);
  }
  case CK_DECL_LAYOUT: {
    /* the names: an HF list, or (`= EXPR`, no `by`) computed from it */
    const ck_path *count = &d->hf[d->by ? 1 : 0];
    json_t *layout = NULL;
    const char *what = d->by ? d->hf[0].text : "the layout list";
    if (d->by) {
      layout = hf_lookup(hf, &d->hf[0]);
    } else {
      if (ck_eval(rt, d->value, sc, &v, CK_STAGE_IMPORT_CONFIG, err)) {
        ck_error_prefix(err, "%s: ", rule);
        return -1;
      }
      layout = v.j;
    }
    if (!layout || !json_is_array(layout) || json_array_size(layout) == 0)
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                     d->by ? "HF config has no non-empty list "
                             "'%s' (needed by %s)"
                           : "%s is not a non-empty list (%s)",
                     what, rule);
    json_t *n = hf_lookup(hf, count);
    if (!n)
      return ck_fail_at(err, CK_STAGE_IMPORT_CONFIG,
                        (ck_about){.key = count->text},
                        "HF config has no key '%s' "
                        "(needed by %s)",
                        count->text, rule);
    json_t *blocks = ck_rt_own(rt, json_object());
    size_t i;
    json_t *name;
    json_t *first = NULL;
    json_array_foreach(layout, i, name) {
      const char *nm = json_is_string(name) ? json_string_value(name) : NULL;
      int b = -1;
      for (int k = 0; nm && k < d->n_branches && b < 0; k++) {
        const char *tn = s->sections[d->branches[k].section].hf_type_name;
        if (tn && strcmp(tn, nm) == 0) b = k;
      }
      if (b < 0) {
        char repr[128];
        ck_json_repr(name, repr, sizeof repr);
        return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                       "%s entry %zu is %s, not a "
                       "known block kind (%s)",
                       what, i, repr, rule);
      }
      if (json_object_get(blocks, nm)) continue;
      json_t *block;
      if (import_sub(rt, d->branches[b].section, hf, &block, err)) return -1;
      json_object_set(blocks, nm, block);
      if (!first) first = block;
    }
    json_t *seq = ck_rt_own(rt, json_object());
    /* a computed list of the first branch's kind only is a uniform
     * decoder: a fixed one, which export gives back to that branch */
    if (d->by ? json_array_size(layout) == 1
              : json_object_size(blocks) == 1 &&
                    json_object_get(blocks,
                                    s->sections[d->branches[0].section]
                                        .hf_type_name)) {
      const ck_class *k = sequence_type(rt, seq, d->fixed_cls);
      json_object_set(seq, k->fields[k->seq_block].name, first);
      json_object_set(seq, k->fields[k->seq_count].name, n);
    } else {
      const ck_class *k = sequence_type(rt, seq, d->pattern_cls);
      json_object_set(seq, k->fields[k->seq_blocks].name, blocks);
      json_object_set(seq, k->fields[k->seq_pattern].name, layout);
      json_object_set(seq, k->fields[k->seq_count].name, n);
    }
    return ck_safe_set(rt, out, &d->fl[0], seq, CK_STAGE_IMPORT_CONFIG, rule, err);
  }
  case CK_DECL_SEQUENCE: {
    json_t *block;
    if (import_sub(rt, d->section, hf, &block, err)) return -1;
    json_t *n = hf_lookup(hf, &d->hf[0]);
    if (!n)
      return ck_fail_at(err, CK_STAGE_IMPORT_CONFIG,
                        (ck_about){.key = d->hf[0].text},
                        "HF config has no key '%s' "
                        "(needed by %s)",
                        d->hf[0].text, rule);
    json_t *seq = ck_rt_own(rt, json_object());
    const ck_class *k = sequence_type(rt, seq, d->fixed_cls);
    json_object_set(seq, k->fields[k->seq_block].name, block);
    json_object_set(seq, k->fields[k->seq_count].name, n);
    return ck_safe_set(rt, out, &d->fl[0], seq, CK_STAGE_IMPORT_CONFIG, rule, err);
  }
  }
  return 0;
}

/* The layout of the HF mapping a section imports.  Not the layout flag:
 * the mapping says which one it is in (upstream reads `rope_parameters`
 * whenever it is there).  v5 when the mapping holds a key that one of
 * the section's `layout v5` declarations claims (an `hf` key or its `at`
 * mapping), else v4. */
static int import_layout(const ck_section *sec, json_t *hf) {
  for (int i = 0; i < sec->n_decls; i++) {
    const ck_decl *d = &sec->decls[i];
    if (d->layout != CK_LAYOUT_V5 || !json_is_object(hf)) continue;
    for (int h = 0; h < d->n_hf; h++)
      if (json_object_get(hf, d->hf[h].seg[0])) return CK_LAYOUT_V5;
    if (d->at && json_object_get(hf, d->at->seg[0])) return CK_LAYOUT_V5;
  }
  return CK_LAYOUT_V4;
}

static int import_section(ck_rt *rt, int si, json_t *hf, json_t *out,
                          ck_error *err) {
  const ck_section *sec = &rt->spec->sections[si];
  const ck_class *k = &rt->spec->classes[sec->cls];
  if (k->dynamic_name)
    json_object_set_new(out, "type", json_string(k->dynamic_name));
  int layout = import_layout(sec, hf);
  for (int i = 0; i < sec->n_decls; i++) {
    const ck_decl *d = &sec->decls[i];
    if (d->layout && d->layout != layout) continue;
    if (import_decl(rt, d, hf, out, err)) return failed_rule(d, err);
  }
  return 0;
}

/* ------------------------------------------------------ HF coverage */

typedef struct claims {
  char **paths; /* dotted, NUL-separated segments joined by '\x1f' */
  int n, cap;
} claims;

static void claim_add(ck_rt *rt, claims *c, const char *prefix,
                      const ck_path *p) {
  size_t n = strlen(prefix) + (p ? strlen(p->text) : 0) + 2;
  char *s = ck_rt_alloc(rt, n);
  snprintf(s, n, "%s%s%s", prefix, prefix[0] && p ? "." : "",
           p ? p->text : "");
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 64;
    char **np = ck_rt_alloc(rt, sizeof *np * (size_t)c->cap);
    if (c->n) memcpy(np, c->paths, sizeof *np * (size_t)c->n);
    c->paths = np;
  }
  c->paths[c->n++] = s;
}

static const char *join(ck_rt *rt, const char *prefix, const ck_path *at) {
  if (!at) return prefix;
  size_t n = strlen(prefix) + strlen(at->text) + 2;
  char *s = ck_rt_alloc(rt, n);
  snprintf(s, n, "%s%s%s", prefix, prefix[0] ? "." : "", at->text);
  return s;
}

static void collect_claims(ck_rt *rt, int si, const char *prefix, claims *c,
                           int depth) {
  if (depth > 32) return;
  const ck_section *sec = &rt->spec->sections[si];
  for (int i = 0; i < sec->n_decls; i++) {
    const ck_decl *d = &sec->decls[i];
    for (int h = 0; h < d->n_hf; h++) claim_add(rt, c, prefix, &d->hf[h]);
    switch (d->kind) {
    case CK_DECL_NESTED: {
      const char *p = join(rt, prefix, d->at);
      if (d->opaque_hf) { /* the whole HF subtree is this rule's */
        claim_add(rt, c, prefix, d->at);
        break;
      }
      if (rt->spec->sections[d->section].hf_type_name)
        claim_add(rt, c, p, &(ck_path){(const char *[]){"type"}, 1, "type"});
      collect_claims(rt, d->section, p, c, depth + 1);
      break;
    }
    case CK_DECL_SEQUENCE:
      collect_claims(rt, d->section, prefix, c, depth + 1);
      break;
    case CK_DECL_LAYOUT:
      for (int b = 0; b < d->n_branches; b++)
        collect_claims(rt, d->branches[b].section, prefix, c, depth + 1);
      break;
    case CK_DECL_DISPATCH: {
      const char *p = join(rt, prefix, d->at);
      ck_path disc = {(const char *[]){d->discriminator}, 1, d->discriminator};
      claim_add(rt, c, p, &disc);
      for (int b = 0; b < d->n_branches; b++)
        collect_claims(rt, d->branches[b].section, p, c, depth + 1);
      break;
    }
    case CK_DECL_TYPED_DICT:
      if (d->at) claim_add(rt, c, prefix, d->at);
      break;
    default:
      break;
    }
  }
}

static int claimed(const claims *c, const char *path) {
  for (int i = 0; i < c->n; i++) {
    size_t n = strlen(c->paths[i]);
    if (strncmp(path, c->paths[i], n) == 0 &&
        (path[n] == '\0' || path[n] == '.'))
      return 1;
  }
  return 0;
}

int ck_hf_key_is_metadata(const ck_spec *s, int layout, const char *key) {
  const char *name = layout == CK_LAYOUT_V4 ? "v4" : "v5";
  for (int i = 0; i < s->n_allowlists; i++) {
    const ck_allowlist *a = &s->allowlists[i];
    if (strcmp(a->layout, name) && strcmp(a->layout, "common")) continue;
    for (int k = 0; k < a->n_keys; k++)
      if (strcmp(a->keys[k], key) == 0) return 1;
  }
  return 0;
}

static int ignored(const ck_hf_coverage_hook *hook, const char *path) {
  for (int i = 0; hook && i < hook->n_ignore; i++) {
    size_t n = strlen(hook->ignore[i]);
    if (strncmp(path, hook->ignore[i], n) == 0 &&
        (path[n] == '\0' || path[n] == '.'))
      return 1;
  }
  return 0;
}

static void walk_hf(ck_rt *rt, const claims *c, json_t *obj,
                    const char *prefix, int any_allowed,
                    const ck_hf_coverage_hook *hook, ck_error *err,
                    int *n_unknown) {
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    size_t n = strlen(prefix) + strlen(k) + 2;
    char *path = ck_rt_alloc(rt, n);
    snprintf(path, n, "%s%s%s", prefix, prefix[0] ? "." : "", k);
    int ok = any_allowed || ck_hf_key_is_metadata(rt->spec, rt->layout, k);
    if (ok || claimed(c, path) || ignored(hook, path)) continue;
    if (json_is_object(v)) {
      walk_hf(rt, c, v, path, 0, hook, err, n_unknown);
      continue;
    }
    char repr[256];
    ck_json_repr(v, repr, sizeof repr);
    if (*n_unknown == 0)
      ck_fail_at(err, CK_STAGE_HF_COVERAGE, (ck_about){.key = path},
                 "HF config has unknown key '%s' (value: "
                 "%s)",
                 path, repr);
    else
      ck_error_append(err, "; unknown key '%s' (value: %s)", path, repr);
    if (hook && hook->unknown) hook->unknown(hook->arg, path);
    (*n_unknown)++;
  }
}

static int check_hf_coverage(ck_rt *rt, const ck_format *f, json_t *hf,
                             const ck_hf_coverage_hook *hook, ck_error *err) {
  claims c = {0};
  collect_claims(rt, f->root, "", &c, 0);
  int n_unknown = 0;
  walk_hf(rt, &c, hf, "", 0, hook, err, &n_unknown);
  if (n_unknown == 0) return 0;
  ck_error_append(err, ". No declaration of format %s claims %s, and %s "
                  "not transformers metadata: possible transformers-version "
                  "mismatch, manual edit, or corrupted config",
                  f->name, n_unknown == 1 ? "it" : "them",
                  n_unknown == 1 ? "it is" : "they are");
  return -1;
}

ck_cfg *ck_import_config(ck_rt *rt, const ck_format *f, json_t *hf,
                         json_t **serialized, ck_error *err) {
  return ck_import_config_hook(rt, f, hf, NULL, serialized, err);
}

ck_cfg *ck_import_config_hook(ck_rt *rt, const ck_format *f, json_t *hf,
                              const ck_hf_coverage_hook *hook,
                              json_t **serialized, ck_error *err) {
  if (!json_is_object(hf)) {
    ck_fail(err, CK_STAGE_MODEL_TYPE_CHECK,
            "the HF config is not a JSON object");
    return NULL;
  }
  json_t *mt = json_object_get(hf, "model_type");
  if (!(f->skip_checks & CK_SKIP_MODEL_TYPE) &&
      (!mt || !json_is_string(mt) ||
       strcmp(json_string_value(mt), f->model_type) != 0)) {
    char repr[256];
    ck_json_repr(mt, repr, sizeof repr);
    ck_fail(err, CK_STAGE_MODEL_TYPE_CHECK,
            "model_type is %s, but format %s "
            "expects '%s'",
            mt ? repr : "missing", f->name, f->model_type);
    return NULL;
  }
  json_t *arch = json_object_get(hf, "architectures");
  int ok = arch && json_is_array(arch) &&
           (int)json_array_size(arch) == f->n_architectures;
  for (int i = 0; ok && i < f->n_architectures; i++) {
    json_t *a = json_array_get(arch, (size_t)i);
    ok = json_is_string(a) && strcmp(json_string_value(a),
                                     f->architectures[i]) == 0;
  }
  if (f->skip_checks & CK_SKIP_ARCHITECTURES) ok = 1;
  if (!ok) {
    char repr[512];
    ck_json_repr(arch, repr, sizeof repr);
    ck_fail(err, CK_STAGE_ARCHITECTURES_CHECK,
            "architectures is %s, but format %s"
            " expects [\"%s\"]",
            arch ? repr : "missing", f->name, f->architectures[0]);
    return NULL;
  }
  if (check_hf_coverage(rt, f, hf, hook, err)) return NULL;
  json_t *fl = ck_rt_own(rt, json_object());
  if (import_section(rt, f->root, hf, fl, err)) return NULL;
  ck_cfg *cfg = ck_load_base_model(rt, f, fl, err);
  if (!cfg) return NULL;
  if (serialized) *serialized = ck_cfg_to_dict(rt, cfg);
  return cfg;
}
