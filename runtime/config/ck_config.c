/* ck_config.c - from_dict, validation and to_dict over the schema tables.
 *
 * Mirrors Fast-LLM's config mechanics closely enough that the configs it
 * accepts, rejects and serializes are the same: `type` selects a
 * registered subclass (or the base's default subclass), missing fields
 * take their defaults (sub-configs are built from {}), unknown keys are an
 * error, validation type-checks (int -> float allowed), applies bounds
 * and class checks, fills implicit defaults without making them explicit,
 * and makes `type` explicit for registered classes.
 */
#include "ck_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ the context */

typedef struct ck_rt_block {
  struct ck_rt_block *next;
  unsigned char data[];
} ck_rt_block;

void ck_rt_init(ck_rt *rt, const ck_spec *spec, int layout) {
  memset(rt, 0, sizeof *rt);
  rt->spec = spec;
  rt->layout = layout;
}

void ck_rt_free(ck_rt *rt) {
  ck_rt_block *b = rt->blocks;
  while (b) {
    ck_rt_block *n = b->next;
    free(b);
    b = n;
  }
  for (size_t i = 0; i < rt->n_refs; i++) json_decref(rt->refs[i]);
  free(rt->refs);
  rt->blocks = NULL;
  rt->refs = NULL;
  rt->n_refs = rt->cap_refs = 0;
}

void *ck_rt_alloc(ck_rt *rt, size_t n) {
  ck_rt_block *b = calloc(1, sizeof *b + n);
  if (!b) abort(); /* config-sized allocations: out of memory is fatal */
  b->next = rt->blocks;
  rt->blocks = b;
  return b->data;
}

char *ck_rt_join(ck_rt *rt, const char *prefix, const char *name) {
  size_t n = strlen(prefix) + strlen(name) + 2;
  char *s = ck_rt_alloc(rt, n);
  snprintf(s, n, "%s%s%s", prefix, prefix[0] && name[0] ? "." : "", name);
  return s;
}

char *ck_rt_strndup(ck_rt *rt, const char *s, size_t n) {
  char *p = ck_rt_alloc(rt, n + 1);
  memcpy(p, s, n);
  return p;
}

char *ck_rt_strdup(ck_rt *rt, const char *s) {
  return s ? ck_rt_strndup(rt, s, strlen(s)) : NULL;
}

json_t *ck_rt_own(ck_rt *rt, json_t *v) {
  if (!v) abort();
  if (rt->n_refs == rt->cap_refs) {
    rt->cap_refs = rt->cap_refs ? 2 * rt->cap_refs : 64;
    rt->refs = realloc(rt->refs, rt->cap_refs * sizeof *rt->refs);
    if (!rt->refs) abort();
  }
  rt->refs[rt->n_refs++] = v;
  return v;
}

const ck_class *ck_cfg_class(const ck_rt *rt, const ck_cfg *cfg) {
  return &rt->spec->classes[cfg->cls];
}

int ck_class_field_index(const ck_spec *s, int cls, const char *name) {
  const ck_class *c = &s->classes[cls];
  for (int i = 0; i < c->n_fields; i++)
    if (strcmp(c->fields[i].name, name) == 0) return i;
  return -1;
}

static int is_subclass(const ck_spec *s, int cls, int base) {
  for (int guard = 0; cls >= 0 && guard < 1000; guard++) {
    if (cls == base) return 1;
    cls = s->classes[cls].parent;
  }
  return 0;
}

static const char *sub_where(ck_rt *rt, const char *where, const char *key) {
  size_t n = strlen(where) + strlen(key) + 2;
  char *p = ck_rt_alloc(rt, n);
  snprintf(p, n, "%s%s%s", where, where[0] ? "." : "", key);
  return p;
}

static json_t *expr_literal(ck_rt *rt, const ck_expr *e) {
  ck_val v;
  ck_scope none = {0};
  ck_error err;
  if (ck_eval(rt, e, none, &v, CK_STAGE_SPEC, &err) != 0 || !v.j)
    return ck_rt_own(rt, json_null());
  return v.j;
}

/* ------------------------------------------------------- from_dict */

/* Pick the class `type` names, searching the registry of `cls`. */
static int resolve_type(ck_rt *rt, int cls, json_t *obj, const char *where,
                        ck_error *err) {
  const ck_spec *s = rt->spec;
  json_t *t = obj ? json_object_get(obj, "type") : NULL;
  if (t && !json_is_null(t)) {
    if (!json_is_string(t))
      return ck_fail_at(err, CK_STAGE_VALIDATION,
                        (ck_about){.key = where[0] ? where : "config"},
                        "%s: `type` must be a string",
                        where[0] ? where : "config"),
             -2;
    const char *name = json_string_value(t);
    for (int c = 0; c < s->n_classes; c++) {
      const ck_class *k = &s->classes[c];
      if (k->dynamic_name && strcmp(k->dynamic_name, name) == 0 &&
          is_subclass(s, c, cls))
        return c;
    }
    char known[1024] = "";
    size_t used = 0;
    for (int c = 0; c < s->n_classes; c++) {
      const ck_class *k = &s->classes[c];
      if (k->dynamic_name && is_subclass(s, c, cls) && used < sizeof known)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                                 used ? ", " : "", k->dynamic_name);
    }
    return ck_fail_at(err, CK_STAGE_VALIDATION,
                      (ck_about){.key = where[0] ? where : "config"},
                      "%s: unknown type '%s' for %s (known: %s)",
                      where[0] ? where : "config", name, s->classes[cls].name,
                      known[0] ? known : "none"),
           -2;
  }
  for (int guard = 0; guard < 100; guard++) {
    int d = s->classes[cls].default_subclass;
    if (d < 0 || d == cls) break;
    cls = d;
  }
  return cls;
}

static int build_field(ck_rt *rt, ck_slot *slot, const ck_field *f,
                       json_t *v, const char *where, ck_error *err);

ck_cfg *ck_cfg_from_dict(ck_rt *rt, int cls, json_t *obj, const char *where,
                         ck_error *err) {
  const ck_spec *s = rt->spec;
  if (obj && !json_is_object(obj)) {
    ck_fail_at(err, CK_STAGE_VALIDATION,
               (ck_about){.key = where[0] ? where : "config"},
               "%s: expected a mapping for %s", where[0] ? where : "config",
               s->classes[cls].name);
    return NULL;
  }
  int real = resolve_type(rt, cls, obj, where, err);
  if (real < 0) return NULL;
  const ck_class *k = &s->classes[real];
  if (k->abstract) {
    ck_fail_at(err, CK_STAGE_VALIDATION,
               (ck_about){.key = where[0] ? where : "config"},
               "%s: %s is abstract; give a `type`", where[0] ? where : "config",
               k->name);
    return NULL;
  }
  ck_cfg *cfg = ck_rt_alloc(rt, sizeof *cfg);
  cfg->cls = real;
  cfg->slots = ck_rt_alloc(rt, sizeof *cfg->slots * (size_t)(k->n_fields + 1));
  for (int i = 0; i < k->n_fields; i++) {
    const ck_field *f = &k->fields[i];
    json_t *v = obj ? json_object_get(obj, f->name) : NULL;
    const char *w = sub_where(rt, where, f->name);
    if (v) {
      cfg->slots[i].is_explicit = 1;
      if (build_field(rt, &cfg->slots[i], f, v, w, err) != 0) return NULL;
      continue;
    }
    switch (f->def_kind) {
    case CK_DEF_REQUIRED:
      ck_fail_at(err, CK_STAGE_VALIDATION,
                 (ck_about){.key = where[0] ? where : "config"},
                 "%s: missing required field `%s` of %s",
                 where[0] ? where : "config", f->name, k->name);
      return NULL;
    case CK_DEF_IMPLICIT:
      cfg->slots[i].v = ck_rt_own(rt, json_null());
      break;
    case CK_DEF_VALUE:
      cfg->slots[i].v = expr_literal(rt, f->def);
      break;
    case CK_DEF_EMPTY:
      if (f->type->kind == CK_TY_CONFIG) {
        cfg->slots[i].sub = ck_cfg_from_dict(rt, f->type->cls, NULL, w, err);
        if (!cfg->slots[i].sub) return NULL;
      } else if (f->type->kind == CK_TY_DICT &&
                 f->type->elem->kind == CK_TY_CONFIG) {
        cfg->slots[i].dict = ck_rt_alloc(rt, sizeof(ck_cfgdict));
      } else if (f->type->kind == CK_TY_DICT) {
        cfg->slots[i].v = ck_rt_own(rt, json_object());
      } else {
        cfg->slots[i].v = ck_rt_own(rt, json_array());
      }
      break;
    }
  }
  if (obj) {
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
      if (ck_class_field_index(s, real, key) < 0) {
        ck_fail_at(err, CK_STAGE_VALIDATION,
                   (ck_about){.key = where[0] ? where : "config"},
                   "%s: unknown field `%s` in class %s",
                   where[0] ? where : "config", key, k->name);
        return NULL;
      }
    }
  }
  return cfg;
}

static int build_field(ck_rt *rt, ck_slot *slot, const ck_field *f,
                       json_t *v, const char *where, ck_error *err) {
  const ck_type *t = f->type;
  if (t->kind == CK_TY_CONFIG) {
    if (json_is_null(v)) {
      if (!t->optional)
        return ck_fail_at(err, CK_STAGE_VALIDATION, (ck_about){.key = where},
                          "%s: null is not allowed (%s)", where, t->text);
      slot->v = ck_rt_own(rt, json_null());
      return 0;
    }
    slot->sub = ck_cfg_from_dict(rt, t->cls, v, where, err);
    return slot->sub ? 0 : -1;
  }
  if (t->kind == CK_TY_DICT && t->elem->kind == CK_TY_CONFIG) {
    if (json_is_null(v) && t->optional) {
      slot->v = ck_rt_own(rt, json_null());
      return 0;
    }
    if (!json_is_object(v))
      return ck_fail_at(err, CK_STAGE_VALIDATION, (ck_about){.key = where},
                        "%s: expected a mapping (%s)", where, t->text);
    ck_cfgdict *d = ck_rt_alloc(rt, sizeof *d);
    size_t n = json_object_size(v);
    d->keys = ck_rt_alloc(rt, sizeof *d->keys * (n + 1));
    d->vals = ck_rt_alloc(rt, sizeof *d->vals * (n + 1));
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
      d->keys[d->n] = key;
      d->vals[d->n] = ck_cfg_from_dict(rt, t->elem->cls, val,
                                       sub_where(rt, where, key), err);
      if (!d->vals[d->n]) return -1;
      d->n++;
    }
    slot->dict = d;
    return 0;
  }
  slot->v = json_incref(v);
  ck_rt_own(rt, slot->v);
  return 0;
}

/* ------------------------------------------------------- validation */

static int check_scalar(ck_rt *rt, const ck_type *t, json_t **pv,
                        const char *where, ck_error *err) {
  json_t *v = *pv;
  if (json_is_null(v)) {
    if (t->optional || t->kind == CK_TY_ANY) return 0;
    return ck_fail_at(err, CK_STAGE_VALIDATION, (ck_about){.key = where},
                      "%s: null is not allowed (%s)", where, t->text);
  }
  switch (t->kind) {
  case CK_TY_ANY: return 0;
  case CK_TY_INT:
    if (json_is_integer(v)) return 0;
    break;
  case CK_TY_FLOAT:
    if (json_is_real(v)) return 0;
    if (json_is_integer(v)) { /* Fast-LLM accepts ints for floats */
      *pv = ck_rt_own(rt, json_real((double)json_integer_value(v)));
      return 0;
    }
    break;
  case CK_TY_BOOL:
    if (json_is_boolean(v)) return 0;
    break;
  case CK_TY_STR:
    if (json_is_string(v)) return 0;
    break;
  case CK_TY_ENUM:
    if (json_is_string(v)) {
      for (int i = 0; i < t->n_enum; i++)
        if (strcmp(t->enum_values[i], json_string_value(v)) == 0) return 0;
      char known[512] = "";
      size_t used = 0;
      for (int i = 0; i < t->n_enum && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                                 i ? ", " : "", t->enum_values[i]);
      return ck_fail_at(err, CK_STAGE_VALIDATION, (ck_about){.key = where},
                        "%s: '%s' is not one of: %s", where,
                        json_string_value(v), known);
    }
    break;
  case CK_TY_LIST:
    if (json_is_array(v)) {
      size_t i;
      json_t *item;
      json_t *copy = NULL;
      json_array_foreach(v, i, item) {
        json_t *x = item;
        if (check_scalar(rt, t->elem, &x, where, err) != 0) return -1;
        if (x != item) {
          if (!copy) copy = ck_rt_own(rt, json_deep_copy(v));
          json_array_set(copy, i, x);
        }
      }
      if (copy) *pv = copy;
      return 0;
    }
    break;
  case CK_TY_DICT:
    if (json_is_object(v)) return 0;
    break;
  default:
    break;
  }
  char repr[256];
  ck_json_repr(v, repr, sizeof repr);
  return ck_fail_at(err, CK_STAGE_VALIDATION, (ck_about){.key = where},
                    "%s: %s is not a valid %s", where, repr, t->text);
}

static int check_bound(ck_rt *rt, const ck_field *f, json_t *v,
                       const char *where, ck_error *err) {
  if (f->cmp == CK_EX_NULL || !f->bound || json_is_null(v) ||
      !json_is_number(v))
    return 0;
  double x = json_number_value(v);
  double b = f->bound->op == CK_EX_INT ? (double)f->bound->i : f->bound->f;
  int ok = 1;
  switch (f->cmp) {
  case CK_EX_GT: ok = x > b; break;
  case CK_EX_GE: ok = x >= b; break;
  case CK_EX_LT: ok = x < b; break;
  case CK_EX_LE: ok = x <= b; break;
  case CK_EX_EQ: ok = x == b; break;
  case CK_EX_NE: ok = x != b; break;
  default: break;
  }
  (void)rt;
  if (ok) return 0;
  static const char *const ops[] = {[CK_EX_GT] = ">", [CK_EX_GE] = ">=",
                                    [CK_EX_LT] = "<", [CK_EX_LE] = "<=",
                                    [CK_EX_EQ] = "==", [CK_EX_NE] = "!="};
  char repr[128];
  ck_json_repr(v, repr, sizeof repr);
  return ck_fail_at(err, CK_STAGE_VALIDATION, (ck_about){.key = where},
                    "%s: %s must be %s %s", where, repr, ops[f->cmp],
                    f->bound->text);
}

int ck_cfg_validate(ck_rt *rt, ck_cfg *cfg, const char *where,
                    ck_error *err) {
  const ck_class *k = ck_cfg_class(rt, cfg);
  if (k->dynamic_name) {
    cfg->slots[0].v = ck_rt_own(rt, json_string(k->dynamic_name));
    cfg->slots[0].is_explicit = 1;
  }
  for (int i = 0; i < k->n_fields; i++) {
    const ck_field *f = &k->fields[i];
    ck_slot *s = &cfg->slots[i];
    const char *w = sub_where(rt, where, f->name);
    if (s->sub) {
      if (ck_cfg_validate(rt, s->sub, w, err) != 0) return -1;
      continue;
    }
    if (s->dict) {
      for (int d = 0; d < s->dict->n; d++)
        if (ck_cfg_validate(rt, s->dict->vals[d],
                            sub_where(rt, w, s->dict->keys[d]), err) != 0)
          return -1;
      continue;
    }
    if (f->type->kind == CK_TY_CONFIG) {
      if (!f->type->optional)
        return ck_fail(err, CK_STAGE_VALIDATION, "%s: null is not allowed (%s)",
                       w, f->type->text);
      continue;
    }
    if (f->def_kind == CK_DEF_IMPLICIT && json_is_null(s->v)) {
      ck_val v;
      ck_scope sc = {.cfg = cfg, .hf = NULL};
      if (ck_eval(rt, f->def, sc, &v, CK_STAGE_VALIDATION, err) != 0) {
        ck_error_prefix(err, "%s: ", w);
        return -1;
      }
      if (v.j) s->v = v.j;
    }
    if (check_scalar(rt, f->type, &s->v, w, err) != 0) return -1;
    if (check_bound(rt, f, s->v, w, err) != 0) return -1;
    if (f->always) s->is_explicit = 1;
  }
  for (int i = 0; i < k->n_checks; i++) {
    const ck_check *c = &k->checks[i];
    ck_val v;
    ck_scope sc = {.cfg = cfg, .hf = NULL};
    if (ck_eval(rt, c->cond, sc, &v, CK_STAGE_VALIDATION, err) != 0) {
      ck_error_prefix(err, "%s: ", where[0] ? where : k->name);
      return -1;
    }
    if (!ck_truthy(v))
      return ck_fail_at(err, CK_STAGE_VALIDATION,
                        (ck_about){.key = where[0] ? where : k->name},
                        "%s: %s (check `%s` failed, %s:%d)",
                        where[0] ? where : k->name,
                        c->message ? c->message : "invalid configuration",
                        c->cond->text, c->loc.file, c->loc.line);
  }
  return 0;
}

/* ---------------------------------------------------------- to_dict */

json_t *ck_cfg_to_dict(ck_rt *rt, const ck_cfg *cfg) {
  const ck_class *k = ck_cfg_class(rt, cfg);
  json_t *out = ck_rt_own(rt, json_object());
  for (int i = 0; i < k->n_fields; i++) {
    const ck_field *f = &k->fields[i];
    const ck_slot *s = &cfg->slots[i];
    if (s->sub) {
      json_t *d = ck_cfg_to_dict(rt, s->sub);
      if (json_object_size(d) > 0)
        json_object_set(out, f->name, d);
    } else if (s->dict) {
      if (!s->is_explicit) continue;
      json_t *d = ck_rt_own(rt, json_object());
      for (int j = 0; j < s->dict->n; j++)
        json_object_set(d, s->dict->keys[j],
                        ck_cfg_to_dict(rt, s->dict->vals[j]));
      json_object_set(out, f->name, d);
    } else if (s->is_explicit && s->v) {
      json_object_set(out, f->name, s->v);
    }
  }
  return out;
}

/* ------------------------------------------------- block sequences */

int ck_cfg_expand_sequence(ck_rt *rt, ck_cfg *seq, ck_cfg ***blocks,
                           long long *n, ck_error *err) {
  const ck_spec *s = rt->spec;
  const ck_class *k = &s->classes[seq->cls]; /* its `sequence` fields */
  int fb = k->seq_block, fbs = k->seq_blocks, fn = k->seq_count;
  if (fn < 0 || (fb < 0 && fbs < 0))
    return ck_fail(err, CK_STAGE_WEIGHTS, "%s is not a block sequence",
                   s->classes[seq->cls].name);
  *n = json_integer_value(seq->slots[fn].v);
  *blocks = ck_rt_alloc(rt, sizeof **blocks * (size_t)(*n + 1));
  if (fb >= 0) {
    for (long long i = 0; i < *n; i++) (*blocks)[i] = seq->slots[fb].sub;
    return 0;
  }
  int fp = k->seq_pattern;
  json_t *pattern = fp >= 0 ? seq->slots[fp].v : NULL;
  ck_cfgdict *d = seq->slots[fbs].dict;
  size_t len = pattern && json_is_array(pattern) ? json_array_size(pattern) : 0;
  if (len == 0) return ck_fail(err, CK_STAGE_WEIGHTS, "empty block pattern");
  for (long long i = 0; i < *n; i++) {
    const char *name =
        json_string_value(json_array_get(pattern, (size_t)i % len));
    (*blocks)[i] = NULL;
    for (int k = 0; d && k < d->n; k++)
      if (name && strcmp(d->keys[k], name) == 0) (*blocks)[i] = d->vals[k];
    if (!(*blocks)[i])
      return ck_fail(err, CK_STAGE_WEIGHTS, "pattern names unknown block '%s'",
                     name ? name : "?");
  }
  return 0;
}

const ck_data *ck_spec_data(const ck_spec *s, const char *name) {
  for (int i = 0; i < s->n_data; i++)
    if (s->data[i].name && strcmp(s->data[i].name, name) == 0)
      return &s->data[i];
  return NULL;
}
