/* ck_complete.c - interpreter of specs/transformers.json.
 *
 * Replays XConfig(**raw).to_dict() for the config class of a format, in
 * the v4 (4.57) or v5 (dataclass) layout, from tables: field order and
 * defaults, named derivation rules, the base class's fields and to_dict
 * steps.  All model knowledge is in the JSON (docs/transformers.md); this
 * file only knows the handful of rule kinds.
 */
#include "ck_complete.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ck_convert.h"

#define STAGE CK_STAGE_TRANSFORMERS_COMPLETION
#define TABLES "transformers.json"

/* The tables, parsed once per call and owned by rt: they are small, and
 * keeping no process-wide state keeps ck_rt the only owner of memory. */
static json_t *tables(ck_rt *rt, ck_error *err) {
  const ck_data *d = ck_spec_data(rt->spec, TABLES);
  if (!d) {
    ck_fail(err, CK_STAGE_SPEC, "specs/%s is not compiled into the tables",
            TABLES);
    return NULL;
  }
  json_error_t je;
  json_t *t = json_loadb(d->text, d->len, JSON_REJECT_DUPLICATES, &je);
  if (!t || !json_is_object(t)) {
    ck_fail(err, CK_STAGE_SPEC, "specs/%s:%d:%d: %s", TABLES, je.line,
            je.column, t ? "not a mapping" : je.text);
    json_decref(t);
    return NULL;
  }
  return ck_rt_own(rt, t);
}

static int bad_table(ck_error *err, const char *where, const char *what) {
  return ck_fail(err, CK_STAGE_SPEC, "specs/%s: %s: %s", TABLES, where, what);
}

static const char *class_name(json_t *t, const ck_format *f) {
  return json_string_value(
      json_object_get(json_object_get(t, "format_class"), f->name));
}

const char *ck_transformers_class(ck_rt *rt, const ck_format *f) {
  ck_error e;
  json_t *t = tables(rt, &e);
  return t ? class_name(t, f) : NULL;
}

/* ------------------------------------------------------------ helpers */

/* Remove key from the pending kwargs and return it (new reference). */
static json_t *take(json_t *kw, const char *key) {
  json_t *v = json_object_get(kw, key);
  if (!v) return NULL;
  json_incref(v);
  json_object_del(kw, key);
  return v;
}

/* Python truthiness of a JSON value. */
static int truthy(const json_t *v) {
  if (!v || json_is_null(v) || json_is_false(v)) return 0;
  if (json_is_integer(v)) return json_integer_value(v) != 0;
  if (json_is_real(v)) return json_real_value(v) != 0.0;
  if (json_is_string(v)) return json_string_length(v) != 0;
  if (json_is_array(v)) return json_array_size(v) != 0;
  if (json_is_object(v)) return json_object_size(v) != 0;
  return 1;
}

static int is_missing(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return !v || json_is_null(v);
}

/* One pass over a field list: the input's value when it has the key (the
 * key is consumed), else the override, else the table default. */
static int fill(json_t *out, json_t *kw, json_t *fields, json_t *overrides,
                const char *where, ck_error *err) {
  if (!fields) return 0;
  if (!json_is_array(fields)) return bad_table(err, where, "not a list");
  size_t i;
  json_t *f;
  json_array_foreach(fields, i, f) {
    const char *k = json_string_value(json_array_get(f, 0));
    if (!json_is_array(f) || json_array_size(f) != 2 || !k)
      return bad_table(err, where, "entries must be [name, default]");
    json_t *v = take(kw, k);
    if (!v) {
      json_t *over = overrides ? json_object_get(overrides, k) : NULL;
      v = json_deep_copy(over ? over : json_array_get(f, 1));
    }
    json_object_set_new(out, k, v);
  }
  return 0;
}

/* ------------------------------------------------------------ rules */

typedef struct rule_ctx {
  ck_rt *rt;
  json_t *tables;
  json_t *out;      /* the dict being built */
  json_t *kw;       /* input keys not consumed yet */
  const char *where; /* "LlamaConfig (v5)" for messages */
  const char *model_type; /* the class's, written by to_dict */
  const char *layout;     /* "v4" / "v5" */
  int depth;              /* 0 for the top-level config, +1 per sub-config */
} rule_ctx;

static json_t *complete_class(ck_rt *rt, json_t *t, const char *cname,
                              const char *L, json_t *raw, int depth,
                              ck_error *err);

static const char *param(json_t *r, const char *name) {
  return json_string_value(json_object_get(r, name));
}

static int need(rule_ctx *c, json_t *r, const char *name, const char **out,
                ck_error *err) {
  *out = param(r, name);
  if (*out) return 0;
  char what[128];
  snprintf(what, sizeof what, "rule '%s' needs a string '%s'",
           param(r, "rule") ? param(r, "rule") : "?", name);
  return bad_table(err, c->where, what);
}

/* KEY = FROM when KEY is null (num_key_value_heads). */
static int rule_default_from(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key, *from;
  if (need(c, r, "key", &key, err) || need(c, r, "from", &from, err))
    return -1;
  if (!is_missing(c->out, key)) return 0;
  json_t *v = json_object_get(c->out, from);
  json_object_set(c->out, key, v ? v : json_null());
  return 0;
}

/* KEY = NUM // DEN when KEY is null (always, with "overwrite": true),
 * with Python's floor division. */
static int rule_floor_div(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key, *num, *den;
  if (need(c, r, "key", &key, err) || need(c, r, "num", &num, err) ||
      need(c, r, "den", &den, err))
    return -1;
  if (!is_missing(c->out, key) &&
      !json_is_true(json_object_get(r, "overwrite")))
    return 0;
  json_t *a = json_object_get(c->out, num), *b = json_object_get(c->out, den);
  if (!json_is_number(a) || !json_is_number(b) ||
      json_number_value(b) == 0) {
    char ra[64], rb[64];
    ck_json_repr(a, ra, sizeof ra);
    ck_json_repr(b, rb, sizeof rb);
    return ck_fail(err, STAGE, "%s: %s = %s // %s needs two numbers and a "
                   "non-zero divisor, got %s and %s", c->where, key, num, den,
                   ra, rb);
  }
  json_t *v;
  if (json_is_integer(a) && json_is_integer(b)) {
    json_int_t x = json_integer_value(a), y = json_integer_value(b);
    json_int_t q = x / y;
    if (x % y != 0 && ((x < 0) != (y < 0))) q--;
    v = json_integer(q);
  } else {
    v = json_real(floor(json_number_value(a) / json_number_value(b)));
  }
  json_object_set_new(c->out, key, v);
  return 0;
}

/* KEY = VALUE when KEY is null (Qwen3-MoE's mlp_only_layers: None -> []). */
static int rule_default_value(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key;
  json_t *value = json_object_get(r, "value");
  if (need(c, r, "key", &key, err)) return -1;
  if (!value) return bad_table(err, c->where, "rule 'default_value' needs "
                               "a 'value'");
  if (is_missing(c->out, key))
    json_object_set_new(c->out, key, json_deep_copy(value));
  return 0;
}

/* KEY = null unless FLAG is true (Qwen2's sliding_window). */
static int rule_null_unless(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key, *flag;
  if (need(c, r, "key", &key, err) || need(c, r, "flag", &flag, err))
    return -1;
  if (!truthy(json_object_get(c->out, flag)))
    json_object_set_new(c->out, key, json_null());
  return 0;
}

/* KEY = [SLIDING if WINDOW is set and i >= FIRST_SLIDING else FULL for i
 * in range(COUNT)] when KEY is null (Qwen2's layer_types). */
static int rule_layer_types(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key, *count, *window, *first, *sliding, *full;
  if (need(c, r, "key", &key, err) || need(c, r, "count", &count, err) ||
      need(c, r, "window", &window, err) ||
      need(c, r, "first_sliding", &first, err) ||
      need(c, r, "sliding", &sliding, err) || need(c, r, "full", &full, err))
    return -1;
  if (!is_missing(c->out, key)) return 0;
  json_t *n = json_object_get(c->out, count);
  json_t *from = json_object_get(c->out, first);
  int windowed = !is_missing(c->out, window);
  if (!json_is_integer(n) || json_integer_value(n) < 0 ||
      json_integer_value(n) > (1 << 20) ||
      (windowed && !json_is_number(from))) {
    char rn[64], rf[64];
    ck_json_repr(n, rn, sizeof rn);
    ck_json_repr(from, rf, sizeof rf);
    return ck_fail(err, STAGE, "%s: computing %s needs an integer %s "
                   "(got %s) and a number %s (got %s)", c->where, key,
                   count, rn, first, rf);
  }
  json_t *list = json_array();
  for (json_int_t i = 0; i < json_integer_value(n); i++) {
    int sl = windowed && (double)i >= json_number_value(from);
    json_array_append_new(list, json_string(sl ? sliding : full));
  }
  json_object_set_new(c->out, key, list);
  return 0;
}

/* KEY = [EVERY if (i + 1) % PERIOD == 0 else OTHER for i in range(COUNT)]
 * when KEY is null; then, given LAST, a list whose last entry is not LAST
 * gets it (Gemma 4's 5:1 sliding/full layers, the last one always full). */
static int rule_layer_pattern(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key, *count, *every, *other;
  const char *last = param(r, "last");
  json_t *period = json_object_get(r, "period");
  if (need(c, r, "key", &key, err) || need(c, r, "count", &count, err) ||
      need(c, r, "every", &every, err) || need(c, r, "other", &other, err))
    return -1;
  if (!json_is_integer(period) || json_integer_value(period) < 1)
    return bad_table(err, c->where, "rule 'layer_pattern' needs a "
                     "positive integer 'period'");
  if (is_missing(c->out, key)) {
    json_t *n = json_object_get(c->out, count);
    if (!json_is_integer(n) || json_integer_value(n) < 0 ||
        json_integer_value(n) > (1 << 20)) {
      char rn[64];
      ck_json_repr(n, rn, sizeof rn);
      return ck_fail(err, STAGE, "%s: computing %s needs an integer %s "
                     "(got %s)", c->where, key, count, rn);
    }
    json_t *list = json_array();
    json_int_t p = json_integer_value(period);
    for (json_int_t i = 0; i < json_integer_value(n); i++)
      json_array_append_new(list, json_string((i + 1) % p ? other : every));
    json_object_set_new(c->out, key, list);
  }
  json_t *list = json_object_get(c->out, key);
  size_t len = json_is_array(list) ? json_array_size(list) : 0;
  json_t *end = len ? json_array_get(list, len - 1) : NULL;
  if (last && end && !(json_is_string(end) &&
                       strcmp(json_string_value(end), last) == 0)) {
    /* the list may be the input's: change a copy */
    json_t *copy = json_deep_copy(list);
    json_array_set_new(copy, len - 1, json_string(last));
    json_object_set_new(c->out, key, copy);
  }
  return 0;
}

/* KEY[TO] = KEY[FROM] when KEY is a mapping holding FROM (the 4.x
 * rope_scaling 'type' -> 'rope_type' copy). */
static int rule_copy_in(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key, *from, *to;
  if (need(c, r, "key", &key, err) || need(c, r, "from", &from, err) ||
      need(c, r, "to", &to, err))
    return -1;
  json_t *m = json_object_get(c->out, key);
  json_t *v = json_is_object(m) ? json_object_get(m, from) : NULL;
  if (v) json_object_set(m, to, v);
  return 0;
}

/* v5: legacy rope_theta / rope_scaling folded into rope_parameters, as
 * transformers' convert_rope_params_to_dict + standardize_rope_params do.
 * The key names come from the table's "fold_rope" entry. */
static int rule_fold_rope(rule_ctx *c, json_t *r, ck_error *err) {
  json_t *cfg = json_object_get(c->tables, "fold_rope");
  json_t *om = json_object_get(cfg, "original_max");
  const char *into = param(cfg, "into"), *scaling = param(cfg, "scaling");
  const char *theta = param(cfg, "theta"), *partial = param(cfg, "partial");
  const char *type = param(cfg, "type"), *alias = param(cfg, "type_alias");
  const char *dflt = param(cfg, "default_type");
  const char *om_key = param(om, "key"), *om_fb = param(om, "fallback");
  json_t *def_theta = json_object_get(r, "default_theta");
  if (!into || !scaling || !theta || !partial || !type || !alias || !dflt ||
      !om_key || !om_fb || !json_is_array(json_object_get(om, "types")) ||
      !json_is_number(def_theta))
    return bad_table(err, c->where, "fold_rope needs the fold_rope entry "
                     "and a numeric default_theta");
  json_t *sc = take(c->kw, scaling);
  json_t *cur = json_object_get(c->out, into);
  json_t *src = truthy(sc) ? sc : truthy(cur) ? cur : NULL;
  if (src && !json_is_object(src)) {
    char rs[128];
    ck_json_repr(src, rs, sizeof rs);
    json_decref(sc);
    return ck_fail(err, STAGE, "%s: %s must be a mapping, got %s", c->where,
                   src == sc ? scaling : into, rs);
  }
  json_t *p = src ? json_deep_copy(src) : json_object();
  json_decref(sc);
  json_t *th = take(c->kw, theta);
  if (!json_object_get(p, theta))
    json_object_set(p, theta, th ? th : def_theta);
  json_decref(th);
  json_t *prf = json_object_get(c->kw, partial);
  if (prf && !json_object_get(p, partial)) json_object_set(p, partial, prf);
  if (!json_object_get(p, type)) {
    json_t *a = json_object_get(p, alias);
    json_object_set_new(p, type, a ? json_incref(a) : json_string(dflt));
  }
  const char *rt_name = json_string_value(json_object_get(p, type));
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(om, "types"), i, t) {
    if (!rt_name || !json_is_string(t) ||
        strcmp(json_string_value(t), rt_name) != 0)
      continue;
    json_t *top = json_object_get(c->kw, om_key);
    if (top) json_object_set(p, om_key, top);
    else if (!json_object_get(p, om_key))
      json_object_set(p, om_key, json_object_get(c->out, om_fb)
                                     ? json_object_get(c->out, om_fb)
                                     : json_null());
  }
  json_object_set_new(c->out, into, p);
  return 0;
}

/* The class whose model_type is MT, or NULL. */
static const char *class_of_model_type(json_t *t, const char *mt) {
  const char *name;
  json_t *cls;
  json_object_foreach(json_object_get(t, "classes"), name, cls) {
    const char *m = param(cls, "model_type");
    if (name[0] != '_' && m && strcmp(m, mt) == 0) return name;
  }
  return NULL;
}

/* KEY is a nested config (LlavaConfig's text_config / vision_config),
 * completed by the class whose model_type it names, as transformers does
 * with CONFIG_MAPPING[d.get("model_type", DEFAULT_MODEL_TYPE)](**d):
 * a mapping without model_type gets DEFAULT_MODEL_TYPE appended, null
 * takes the mapping IF_NULL (default {}).  The sub-dict is built like a
 * top-level one, in the same layout, then base.sub_config_finish runs on
 * it (to_dict drops a nested transformers_version). */
static int rule_sub_config(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key, *dmt;
  if (need(c, r, "key", &key, err) ||
      need(c, r, "default_model_type", &dmt, err))
    return -1;
  if (c->depth >= 8)
    return ck_fail(err, STAGE, "%s: %s: sub-configs nested too deeply",
                   c->where, key);
  json_t *v = json_object_get(c->out, key);
  if (!v || json_is_null(v)) {
    json_t *dflt = json_object_get(r, "if_null");
    if (dflt && !json_is_object(dflt))
      return bad_table(err, c->where, "sub_config's if_null must be a "
                       "mapping");
    v = dflt ? dflt : ck_rt_own(c->rt, json_object());
  } else if (!json_is_object(v)) {
    char rv[128];
    ck_json_repr(v, rv, sizeof rv);
    return ck_fail(err, STAGE, "%s: %s must be a mapping or null, got %s",
                   c->where, key, rv);
  }
  json_t *sub = ck_rt_own(c->rt, json_deep_copy(v));
  if (!json_object_get(sub, "model_type"))
    json_object_set_new(sub, "model_type", json_string(dmt));
  const char *mt = json_string_value(json_object_get(sub, "model_type"));
  if (!mt) {
    char rv[128];
    ck_json_repr(json_object_get(sub, "model_type"), rv, sizeof rv);
    return ck_fail(err, STAGE, "%s: %s.model_type must be a string, got %s",
                   c->where, key, rv);
  }
  const char *cname = class_of_model_type(c->tables, mt);
  if (!cname)
    return ck_fail(err, STAGE, "%s: %s has model_type '%s', which has no "
                   "transformers config class in specs/%s (use --raw to "
                   "import the dict as given)", c->where, key, mt, TABLES);
  json_t *done =
      complete_class(c->rt, c->tables, cname, c->layout, sub, c->depth + 1,
                     err);
  if (!done) return -1;
  json_object_set(c->out, key, done);
  return 0;
}

typedef struct named_op {
  const char *name;
  int (*fn)(rule_ctx *c, json_t *r, ck_error *err);
} named_op;

static const named_op rules[] = {
    {"default_from", rule_default_from}, {"floor_div", rule_floor_div},
    {"default_value", rule_default_value},
    {"null_unless", rule_null_unless},   {"layer_types", rule_layer_types},
    {"layer_pattern", rule_layer_pattern},
    {"copy_in", rule_copy_in},           {"fold_rope", rule_fold_rope},
    {"sub_config", rule_sub_config},     {NULL, NULL}};

static int run_ops(rule_ctx *c, json_t *list, const char *field,
                   const named_op *ops, ck_error *err) {
  if (list && !json_is_array(list))
    return bad_table(err, c->where, "rules/finish must be a list");
  size_t i;
  json_t *r;
  json_array_foreach(list, i, r) {
    const char *name = param(r, field);
    const named_op *op = ops;
    while (op->name && (!name || strcmp(op->name, name) != 0)) op++;
    if (!op->name) {
      char what[128];
      snprintf(what, sizeof what, "unknown %s '%s'", field,
               name ? name : "?");
      return bad_table(err, c->where, what);
    }
    if (op->fn(c, r, err)) return -1;
  }
  return 0;
}

/* ------------------------------------------------------ to_dict steps */

static int fin_set_model_type(rule_ctx *c, json_t *r, ck_error *err) {
  (void)r;
  (void)err;
  json_object_set_new(c->out, "model_type", json_string(c->model_type));
  return 0;
}

static int fin_set(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key;
  if (need(c, r, "key", &key, err)) return -1;
  json_t *v = json_object_get(r, "value");
  json_object_set(c->out, key, v ? v : json_null());
  return 0;
}

static int fin_move_to_end(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key;
  if (need(c, r, "key", &key, err)) return -1;
  json_t *v = take(c->out, key);
  if (v) json_object_set_new(c->out, key, v);
  return 0;
}

static int fin_remove(rule_ctx *c, json_t *r, ck_error *err) {
  const char *key;
  if (need(c, r, "key", &key, err)) return -1;
  json_object_del(c->out, key);
  return 0;
}

static const named_op finish_ops[] = {{"set_model_type", fin_set_model_type},
                                      {"set", fin_set},
                                      {"move_to_end", fin_move_to_end},
                                      {"remove", fin_remove},
                                      {NULL, NULL}};

/* ------------------------------------------------------------ complete */

/* Rename the input keys of an alias table (the target wins when both are
 * given). */
static void apply_aliases(json_t *kw, json_t *aliases) {
  const char *k;
  json_t *v;
  json_object_foreach(aliases, k, v) {
    json_t *val = take(kw, k);
    const char *to = json_string_value(v);
    if (val && to && !json_object_get(kw, to)) json_object_set(kw, to, val);
    json_decref(val);
  }
}

/* The class's keyword arguments: a copy of the input in file order, with
 * the base's aliases and the class's own (transformers' attribute_map:
 * setting an aliased name sets its target, so to_dict writes the target)
 * applied, and the base's discarded keys dropped. */
static json_t *kwargs_of(ck_rt *rt, json_t *base, json_t *cls, json_t *raw) {
  json_t *kw = ck_rt_own(rt, json_deep_copy(raw));
  json_t *d;
  size_t i;
  apply_aliases(kw, json_object_get(base, "aliases"));
  apply_aliases(kw, json_object_get(cls, "aliases"));
  json_array_foreach(json_object_get(base, "discard"), i, d)
    if (json_is_string(d)) json_object_del(kw, json_string_value(d));
  return kw;
}

/* CNAME(**raw).to_dict() in layout L; depth > 0 for a nested sub-config,
 * which also gets base.sub_config_finish. */
static json_t *complete_class(ck_rt *rt, json_t *t, const char *cname,
                              const char *L, json_t *raw, int depth,
                              ck_error *err) {
  json_t *cls = json_object_get(json_object_get(t, "classes"), cname);
  if (!json_is_object(raw)) {
    ck_fail(err, STAGE, "%s: the HF config is not a mapping", cname);
    return NULL;
  }
  char where[128];
  snprintf(where, sizeof where, "%s (%s)", cname, L);
  json_t *base = json_object_get(json_object_get(t, "base"), L);
  json_t *c = json_object_get(cls, L);
  if (json_is_string(c)) c = json_object_get(cls, json_string_value(c));
  const char *mt = param(cls, "model_type");
  if (!json_is_object(base) || !json_is_object(c) || !mt) {
    bad_table(err, where, "needs base.<layout>, the class's layout tables "
              "and model_type");
    return NULL;
  }

  json_t *kw = kwargs_of(rt, base, c, raw);
  const char *k;
  json_t *v;
  json_t *out = ck_rt_own(rt, json_object());
  /* attributes the class sets after PretrainedConfig.__init__ are its own
   * arguments: consumed now, placed after the extras */
  json_t *late = ck_rt_own(rt, json_object());
  rule_ctx ctx = {rt, t, out, kw, where, mt, L, depth};
  if (fill(late, kw, json_object_get(c, "after_base"), NULL, where, err) ||
      fill(out, kw, json_object_get(base, "before_class"), NULL, where,
           err) ||
      fill(out, kw, json_object_get(c, "fields"), NULL, where, err) ||
      fill(out, kw, json_object_get(base, "after_class"),
           json_object_get(c, "base_defaults"), where, err))
    return NULL;
  /* arguments the class passes to a base that has no field for them (a
   * 4.x-style class on the v5 base) land first among the extras */
  json_object_foreach(json_object_get(c, "base_defaults"), k, v) {
    if (json_object_get(out, k)) continue;
    json_t *given = take(kw, k);
    json_object_set_new(out, k, given ? given : json_deep_copy(v));
  }
  if (run_ops(&ctx, json_object_get(c, "rules"), "rule", rules, err))
    return NULL;
  json_object_foreach(kw, k, v) json_object_set(out, k, v);
  json_object_foreach(late, k, v) json_object_set(out, k, v);
  if (run_ops(&ctx, json_object_get(base, "finish"), "op", finish_ops, err))
    return NULL;
  if (depth > 0 &&
      run_ops(&ctx, json_object_get(base, "sub_config_finish"), "op",
              finish_ops, err))
    return NULL;
  return out;
}

json_t *ck_complete_hf_config(ck_rt *rt, const ck_format *f, int layout,
                              json_t *raw, ck_error *err) {
  json_t *t = tables(rt, err);
  if (!t) return NULL;
  const char *L = layout == CK_LAYOUT_V5 ? "v5" : "v4";
  const char *cname = class_name(t, f);
  json_t *cls = cname ? json_object_get(json_object_get(t, "classes"), cname)
                      : NULL;
  if (!cls) {
    ck_fail(err, STAGE, "format %s has no transformers config class in "
            "specs/%s (use --raw to import the dict as given)", f->name,
            TABLES);
    return NULL;
  }
  return complete_class(rt, t, cname, L, raw, 0, err);
}

/* ---------------------------------------------------------- deviations */

json_t *ck_apply_deviations(ck_rt *rt, const ck_format *f, json_t *completed,
                            const char **applied, ck_error *err) {
  if (applied) *applied = NULL;
  json_t *t = tables(rt, err);
  if (!t) return NULL;
  const char *cname = class_name(t, f);
  json_t *out = completed;
  char names[512] = "";
  size_t i, j;
  json_t *dv, *cl;
  json_array_foreach(json_object_get(t, "ckconv_deviations"), i, dv) {
    const char *name = param(dv, "name"), *op = param(dv, "op");
    const char *key = param(dv, "key");
    if (!name || !op || !key || strcmp(op, "drop_if_null") != 0) {
      bad_table(err, "ckconv_deviations", "entries need name, key and op "
                "drop_if_null");
      return NULL;
    }
    int mine = 0;
    json_array_foreach(json_object_get(dv, "classes"), j, cl)
      mine |= cname && json_is_string(cl) &&
              strcmp(json_string_value(cl), cname) == 0;
    json_t *v = json_object_get(out, key);
    if (!mine || !v || !json_is_null(v)) continue;
    if (out == completed) out = ck_rt_own(rt, json_deep_copy(completed));
    json_object_del(out, key);
    size_t n = strlen(names);
    snprintf(names + n, sizeof names - n, "%s%s", n ? "," : "", name);
  }
  if (applied && names[0]) {
    char *s = ck_rt_alloc(rt, strlen(names) + 1);
    memcpy(s, names, strlen(names) + 1);
    *applied = s;
  }
  return out;
}

/* ------------------------------------------------------------- import */

typedef struct unknown_paths {
  ck_rt *rt;
  const char **paths;
  int n, cap;
} unknown_paths;

static void note_unknown(void *arg, const char *path) {
  unknown_paths *u = arg;
  if (u->n == u->cap) {
    u->cap = u->cap ? 2 * u->cap : 16;
    const char **np = ck_rt_alloc(u->rt, sizeof *np * (size_t)u->cap);
    if (u->n) memcpy(np, u->paths, sizeof *np * (size_t)u->n);
    u->paths = np;
  }
  u->paths[u->n++] = path;
}

static int under(const char *path, const char *key) {
  size_t n = strlen(key);
  return strncmp(path, key, n) == 0 && (path[n] == '\0' || path[n] == '.');
}

/* Advice for the kinds of unknown keys the tables know (coverage_hints),
 * then, for keys no hint covers, what the user can do about them. */
static void add_advice(ck_rt *rt, const unknown_paths *u, ck_error *err) {
  ck_error terr;
  json_t *t = tables(rt, &terr);
  char *hinted = ck_rt_alloc(rt, (size_t)u->n + 1);
  size_t i, j;
  json_t *h, *key;
  json_array_foreach(t ? json_object_get(t, "coverage_hints") : NULL, i, h) {
    const char *advice = param(h, "advice");
    char matched[512] = "";
    json_array_foreach(json_object_get(h, "keys"), j, key) {
      const char *k = json_string_value(key);
      int hit = 0;
      for (int p = 0; k && advice && p < u->n; p++)
        if (under(u->paths[p], k)) hit = hinted[p] = 1;
      size_t n = strlen(matched);
      if (hit)
        snprintf(matched + n, sizeof matched - n, "%s%s", n ? ", " : "", k);
    }
    if (matched[0]) ck_error_append(err, ". %s: %s", matched, advice);
  }
  int all_hinted = 1;
  for (int p = 0; p < u->n; p++) all_hinted &= hinted[p];
  if (!all_hinted)
    ck_error_append(err, ". If a key does not change the model's weights, "
                    "--ignore-hf-key KEY (repeatable; KEY covers its "
                    "subtree) accepts it knowingly");
}

ck_cfg *ck_import_hf_config(ck_rt *rt, const ck_format *f, json_t *hf,
                            const ck_hf_read *o, json_t **imported,
                            json_t **serialized, ck_error *err) {
  json_t *dict = hf;
  if (!(o && o->raw) && ck_transformers_class(rt, f)) {
    json_t *done = ck_complete_hf_config(rt, f, rt->layout, hf, err);
    if (!done) return NULL;
    dict = ck_apply_deviations(rt, f, done, NULL, err);
    if (!dict) return NULL;
  }
  if (imported) *imported = dict;
  unknown_paths u = {rt, NULL, 0, 0};
  ck_hf_coverage_hook hook = {o ? o->ignore_keys : NULL,
                              o ? o->n_ignore_keys : 0, note_unknown, &u};
  ck_cfg *cfg = ck_import_config_hook(rt, f, dict, &hook, serialized, err);
  if (!cfg && err->stage_id == CK_STAGE_HF_COVERAGE && u.n > 0) {
    add_advice(rt, &u, err);
    for (int i = 0; o && o->unknown_key && i < u.n; i++)
      o->unknown_key(o->unknown_arg, u.paths[i]);
  }
  return cfg;
}
