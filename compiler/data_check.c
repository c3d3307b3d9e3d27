/* data_check.c - compile-time check of specs/transformers.json.
 *
 * The transformers completion tables are data that runtime/config/ck_complete.c
 * interprets; convc embeds them (--data).  A misspelt class name, rule
 * kind or key there would otherwise only fail when a user converts a
 * checkpoint of that format, so convc validates the whole structure that
 * ck_complete.c accepts: every part, its JSON type, the formats named in
 * format_class (against the specs), the classes named anywhere, the
 * model_types sub_config rules name, each rule's and to_dict step's
 * parameters and the dict keys they read.  Diagnostics go through ck_diag
 * as `file:line:col: error: JSON.PATH: message`, with the source line; the
 * positions come from a small scan of the text (jansson has none).  Keys
 * starting with '_' are comments.  Other data files are not checked.
 */
#include "compiler.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLES "transformers.json"

/* where a JSON path starts in the text: its key (members) or value */
typedef struct pos {
  const char *path;
  int key; /* 1: the member's key, 0: the value */
  ck_loc loc;
} pos;

typedef struct dc {
  ck_model *m;
  const char *file;
  json_t *root;
  json_t *seen; /* messages already reported (a table reused by layouts) */
  pos *pos;
  int n_pos, cap_pos;
} dc;

/* ------------------------------------------------------- positions */

typedef struct cursor {
  const char *s, *end;
  int line, col;
} cursor;

static void adv(cursor *u) {
  if (*u->s == '\n') {
    u->line++;
    u->col = 1;
  } else {
    u->col++;
  }
  u->s++;
}

static void skip_ws(cursor *u) {
  while (u->s < u->end && strchr(" \t\r\n", *u->s)) adv(u);
}

static void note_pos(dc *c, const char *path, int key, cursor at, int len) {
  if (c->n_pos == c->cap_pos) {
    c->cap_pos = c->cap_pos ? 2 * c->cap_pos : 256;
    c->pos = realloc(c->pos, sizeof *c->pos * (size_t)c->cap_pos);
    if (!c->pos) abort();
  }
  ck_loc loc = {c->file, at.line, at.col, len};
  c->pos[c->n_pos++] = (pos){path, key, loc};
}

/* A string token at u (the text is valid JSON: jansson parsed it); its
 * raw contents, which are the key for the keys this file uses. */
static char *scan_string(dc *c, cursor *u) {
  adv(u);
  const char *start = u->s;
  while (u->s < u->end && *u->s != '"') {
    if (*u->s == '\\' && u->s + 1 < u->end) adv(u);
    adv(u);
  }
  char *raw = ck_arena_strndup(c->m->arena, start, (size_t)(u->s - start));
  if (u->s < u->end) adv(u);
  return raw;
}

static void scan_value(dc *c, cursor *u, const char *path) {
  skip_ws(u);
  if (u->s >= u->end) return;
  cursor at = *u;
  if (*u->s == '{' || *u->s == '[') {
    int obj = *u->s == '{';
    char close = obj ? '}' : ']';
    note_pos(c, path, 0, at, 1);
    adv(u);
    for (int i = 0;; i++) {
      skip_ws(u);
      if (u->s >= u->end || *u->s == close) break;
      if (*u->s == ',') {
        adv(u);
        skip_ws(u);
      }
      const char *child;
      if (obj) {
        cursor k = *u;
        char *name = scan_string(c, u);
        child = *path ? ck_arena_printf(c->m->arena, "%s.%s", path, name)
                      : name;
        note_pos(c, child, 1, k, (int)(u->s - k.s));
        skip_ws(u);
        if (u->s < u->end && *u->s == ':') adv(u);
      } else {
        child = ck_arena_printf(c->m->arena, "%s[%d]", path, i);
      }
      scan_value(c, u, child);
    }
    if (u->s < u->end) adv(u);
    return;
  }
  if (*u->s == '"') {
    scan_string(c, u);
  } else {
    while (u->s < u->end && !strchr(",]} \t\r\n", *u->s)) adv(u);
  }
  note_pos(c, path, 0, at, (int)(u->s - at.s));
}

static ck_loc loc_of(const dc *c, const char *path, int key) {
  const pos *value = NULL;
  for (int i = 0; i < c->n_pos; i++) {
    if (strcmp(c->pos[i].path, path) != 0) continue;
    if (c->pos[i].key == key) return c->pos[i].loc;
    value = &c->pos[i];
  }
  ck_loc none = {c->file, 1, 1, 1};
  return value ? value->loc : none;
}

/* ------------------------------------------------------- reporting */

enum { AT_VALUE = 0, AT_KEY = 1 };

static void err(dc *c, const char *path, int where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void err(dc *c, const char *path, int where, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *once = ck_arena_printf(c->m->arena, "%s\n%s", path, msg);
  if (json_object_get(c->seen, once)) return;
  json_object_set_new(c->seen, once, json_true());
  if (*path)
    ck_diag_error(c->m->diag, loc_of(c, path, where), "%s: %s", path, msg);
  else
    ck_diag_error(c->m->diag, loc_of(c, path, where), "%s", msg);
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "a mapping";
  case JSON_ARRAY: return "a list";
  case JSON_STRING: return "a string";
  case JSON_INTEGER:
  case JSON_REAL: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

static const char *sub(dc *c, const char *path, const char *key) {
  return *path ? ck_arena_printf(c->m->arena, "%s.%s", path, key) : key;
}

static const char *item(dc *c, const char *path, size_t i) {
  return ck_arena_printf(c->m->arena, "%s[%zu]", path, i);
}

/* v has the JSON type want ("a mapping", ...); else an error at path. */
static int want_type(dc *c, json_t *v, const char *path, const char *want) {
  if (v && strcmp(type_name(v), want) == 0) return 1;
  if (v) err(c, path, AT_VALUE, "must be %s, got %s", want, type_name(v));
  return 0;
}

/* Every member of obj is one of allowed (NULL-terminated) or a comment. */
static void known_keys(dc *c, json_t *obj, const char *path,
                       const char *const *allowed) {
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    if (k[0] == '_') continue;
    int ok = 0;
    char list[256] = "";
    for (const char *const *a = allowed; *a; a++) {
      ok |= strcmp(*a, k) == 0;
      size_t n = strlen(list);
      snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *a);
    }
    if (!ok)
      err(c, sub(c, path, k), AT_KEY, "unknown key '%s' (expected %s)", k,
          list[0] ? list : "none");
  }
}

/* obj.key as a string; a missing one is an error when required. */
static const char *str_member(dc *c, json_t *obj, const char *path,
                              const char *key, int required) {
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required) err(c, path, AT_KEY, "needs a string '%s'", key);
    return NULL;
  }
  return want_type(c, v, sub(c, path, key), "a string")
             ? json_string_value(v) : NULL;
}

static json_t *classes(const dc *c) {
  return json_object_get(c->root, "classes");
}

static int is_class(const dc *c, const char *name) {
  return name[0] != '_' && json_is_object(json_object_get(classes(c), name));
}

static int is_model_type(const dc *c, const char *mt) {
  const char *k;
  json_t *v;
  json_object_foreach(classes(c), k, v) {
    const char *m = json_string_value(json_object_get(v, "model_type"));
    if (k[0] != '_' && m && strcmp(m, mt) == 0) return 1;
  }
  return 0;
}

static int is_format(const dc *c, const char *name) {
  for (int i = 0; i < c->m->spec.n_formats; i++)
    if (strcmp(c->m->spec.formats[i].name, name) == 0) return 1;
  return 0;
}

/* ------------------------------------------------------ field lists */

/* [[name, default], ...] with distinct names; each name is added to
 * known (the keys of the dict being built), when given. */
static void field_list(dc *c, json_t *list, const char *path, json_t *known) {
  if (!list || !want_type(c, list, path, "a list")) return;
  json_t *names = json_object();
  size_t i;
  json_t *f;
  json_array_foreach(list, i, f) {
    const char *p = item(c, path, i);
    const char *name = json_string_value(json_array_get(f, 0));
    if (!json_is_array(f) || json_array_size(f) != 2 || !name) {
      err(c, p, AT_VALUE, "must be [name, default], got %s",
          json_is_array(f) ? "another list" : type_name(f));
      continue;
    }
    if (json_object_get(names, name))
      err(c, p, AT_VALUE, "field '%s' is listed twice", name);
    json_object_set_new(names, name, json_true());
    if (known) json_object_set_new(known, name, json_true());
  }
  json_decref(names);
}

/* ---------------------------------------------- rules and to_dict ops */

/* a parameter of a rule or op: a string, a string naming a key of the
 * dict being built, the model_type of a class, a number, a boolean, a
 * mapping, or any value */
typedef enum ptype { P_STR, P_KEY, P_MODEL_TYPE, P_NUM, P_BOOL, P_MAP, P_ANY }
    ptype;

typedef struct param {
  const char *name;
  ptype type;
  int required;
} param;

typedef struct op_spec {
  const char *name;
  param params[7];
} op_spec;

/* what ck_complete.c's rules[] and finish_ops[] take */
static const op_spec rule_specs[] = {
    {"default_from", {{"key", P_KEY, 1}, {"from", P_KEY, 1}}},
    {"floor_div",
     {{"key", P_KEY, 1}, {"num", P_KEY, 1}, {"den", P_KEY, 1},
      {"overwrite", P_BOOL, 0}}},
    {"default_value", {{"key", P_KEY, 1}, {"value", P_ANY, 1}}},
    {"null_unless", {{"key", P_KEY, 1}, {"flag", P_KEY, 1}}},
    {"layer_types",
     {{"key", P_KEY, 1}, {"count", P_KEY, 1}, {"window", P_KEY, 1},
      {"first_sliding", P_KEY, 1}, {"sliding", P_STR, 1},
      {"full", P_STR, 1}}},
    {"layer_pattern",
     {{"key", P_KEY, 1}, {"count", P_KEY, 1}, {"period", P_NUM, 1},
      {"every", P_STR, 1}, {"other", P_STR, 1}, {"last", P_STR, 0}}},
    {"copy_in", {{"key", P_KEY, 1}, {"from", P_STR, 1}, {"to", P_STR, 1}}},
    {"fold_rope", {{"default_theta", P_NUM, 1}}},
    {"sub_config",
     {{"key", P_KEY, 1}, {"default_model_type", P_MODEL_TYPE, 1},
      {"if_null", P_MAP, 0}}},
    {NULL, {{NULL, P_ANY, 0}}}};

static const op_spec finish_specs[] = {
    {"set_model_type", {{NULL, P_ANY, 0}}},
    {"set", {{"key", P_STR, 1}, {"value", P_ANY, 0}}},
    {"move_to_end", {{"key", P_KEY, 1}}},
    {"remove", {{"key", P_KEY, 1}}},
    {NULL, {{NULL, P_ANY, 0}}}};

static void check_param(dc *c, json_t *r, const char *path, const param *p,
                        json_t *known, const char *dict) {
  json_t *v = json_object_get(r, p->name);
  const char *vp = sub(c, path, p->name);
  if (!v) {
    if (p->required)
      err(c, path, AT_KEY, "needs %s '%s'",
          p->type == P_NUM ? "a number" : p->type == P_MAP ? "a mapping"
          : p->type == P_BOOL ? "a boolean" : p->type == P_ANY ? "a value"
          : "a string", p->name);
    return;
  }
  switch (p->type) {
  case P_ANY: return;
  case P_NUM: want_type(c, v, vp, "a number"); return;
  case P_BOOL: want_type(c, v, vp, "a boolean"); return;
  case P_MAP: want_type(c, v, vp, "a mapping"); return;
  default: break;
  }
  if (!want_type(c, v, vp, "a string")) return;
  const char *s = json_string_value(v);
  if (p->type == P_KEY && !json_object_get(known, s))
    err(c, vp, AT_VALUE, "'%s' is not a field of %s", s, dict);
  if (p->type == P_MODEL_TYPE && !is_model_type(c, s))
    err(c, vp, AT_VALUE, "no class in classes has model_type '%s'", s);
}

/* A list of rules (field "rule") or to_dict steps (field "op"); P_KEY
 * parameters must be keys of known, which describes dict. */
static void op_list(dc *c, json_t *list, const char *path, const char *field,
                    const op_spec *specs, json_t *known, const char *dict) {
  if (!list || !want_type(c, list, path, "a list")) return;
  size_t i;
  json_t *r;
  json_array_foreach(list, i, r) {
    const char *p = item(c, path, i);
    if (!want_type(c, r, p, "a mapping")) continue;
    const char *name = str_member(c, r, p, field, 1);
    if (!name) continue;
    const op_spec *s = specs;
    char names[256] = "";
    for (; s->name && strcmp(s->name, name) != 0; s++) {
      size_t n = strlen(names);
      snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", s->name);
    }
    if (!s->name) {
      err(c, sub(c, p, field), AT_VALUE, "unknown %s '%s' (%ss: %s)", field,
          name, field, names);
      continue;
    }
    const char *allowed[9] = {field};
    int n = 1;
    for (const param *q = s->params; q->name; q++) {
      allowed[n++] = q->name;
      check_param(c, r, p, q, known, dict);
    }
    allowed[n] = NULL;
    known_keys(c, r, p, allowed);
    if (strcmp(name, "fold_rope") == 0) {
      json_t *fr = json_object_get(c->root, "fold_rope");
      const char *into = json_string_value(json_object_get(fr, "into"));
      if (!fr)
        err(c, p, AT_VALUE, "rule fold_rope needs the top-level fold_rope "
            "table");
      else if (into && !json_object_get(known, into))
        err(c, p, AT_VALUE, "fold_rope writes '%s', which is not a field "
            "of %s", into, dict);
    }
  }
}

/* ------------------------------------------------------------- parts */

static const char *const layouts[] = {"v4", "v5", NULL};

static void check_format_class(dc *c, json_t *fc, const char *path) {
  if (!want_type(c, fc, path, "a mapping")) return;
  const char *k;
  json_t *v;
  json_object_foreach(fc, k, v) {
    if (k[0] == '_') continue;
    const char *p = sub(c, path, k);
    if (!is_format(c, k))
      err(c, p, AT_KEY, "format '%s' is not defined in the specs", k);
    if (want_type(c, v, p, "a string") && !is_class(c, json_string_value(v)))
      err(c, p, AT_VALUE, "class '%s' is not defined in classes",
          json_string_value(v));
  }
}

/* The keys the base of layout L gives every dict. */
static json_t *base_fields(dc *c, const char *L) {
  json_t *b = json_object_get(json_object_get(c->root, "base"), L);
  json_t *known = json_object();
  const char *lists[] = {"before_class", "after_class"};
  for (int i = 0; i < 2; i++) {
    size_t j;
    json_t *f;
    json_array_foreach(json_object_get(b, lists[i]), j, f) {
      const char *name = json_string_value(json_array_get(f, 0));
      if (json_is_array(f) && name)
        json_object_set_new(known, name, json_true());
    }
  }
  return known;
}

/* An alias table (the base's, or a class's attribute_map): old name ->
 * a field of dict. */
static void alias_table(dc *c, json_t *al, const char *ap, json_t *known,
                        const char *dict) {
  if (!al || !want_type(c, al, ap, "a mapping")) return;
  const char *k;
  json_t *v;
  json_object_foreach(al, k, v) {
    const char *vp = sub(c, ap, k);
    if (k[0] == '_' || !want_type(c, v, vp, "a string")) continue;
    if (!json_object_get(known, json_string_value(v)))
      err(c, vp, AT_VALUE, "alias target '%s' is not a field of %s",
          json_string_value(v), dict);
  }
}

static void check_base(dc *c, json_t *base, const char *path) {
  static const char *const keys[] = {"aliases", "discard", "before_class",
                                     "after_class", "finish",
                                     "sub_config_finish", NULL};
  if (!want_type(c, base, path, "a mapping")) return;
  known_keys(c, base, path, layouts);
  for (const char *const *L = layouts; *L; L++) {
    json_t *b = json_object_get(base, *L);
    const char *p = sub(c, path, *L);
    if (!b) {
      err(c, path, AT_KEY, "needs the layout '%s'", *L);
      continue;
    }
    if (!want_type(c, b, p, "a mapping")) continue;
    known_keys(c, b, p, keys);
    field_list(c, json_object_get(b, "before_class"), sub(c, p,
               "before_class"), NULL);
    field_list(c, json_object_get(b, "after_class"), sub(c, p,
               "after_class"), NULL);
    json_t *known = base_fields(c, *L);
    const char *dict = ck_arena_printf(c->m->arena, "base.%s", *L);
    alias_table(c, json_object_get(b, "aliases"), sub(c, p, "aliases"),
                known, dict);
    json_t *ds = json_object_get(b, "discard");
    const char *dp = sub(c, p, "discard");
    if (ds && want_type(c, ds, dp, "a list")) {
      size_t i;
      json_t *d;
      json_array_foreach(ds, i, d) want_type(c, d, item(c, dp, i), "a string");
    }
    op_list(c, json_object_get(b, "finish"), sub(c, p, "finish"), "op",
            finish_specs, known, dict);
    op_list(c, json_object_get(b, "sub_config_finish"),
            sub(c, p, "sub_config_finish"), "op", finish_specs, known, dict);
    json_decref(known);
  }
}

static void check_fold_rope(dc *c, json_t *fr, const char *path) {
  static const char *const keys[] = {"into", "scaling", "theta", "partial",
                                     "type", "type_alias", "default_type",
                                     "original_max", NULL};
  static const char *const om_keys[] = {"key", "fallback", "types", NULL};
  if (!want_type(c, fr, path, "a mapping")) return;
  known_keys(c, fr, path, keys);
  for (int i = 0; i < 7; i++) str_member(c, fr, path, keys[i], 1);
  json_t *om = json_object_get(fr, "original_max");
  const char *op = sub(c, path, "original_max");
  if (!om) {
    err(c, path, AT_KEY, "needs a mapping 'original_max'");
    return;
  }
  if (!want_type(c, om, op, "a mapping")) return;
  known_keys(c, om, op, om_keys);
  str_member(c, om, op, "key", 1);
  str_member(c, om, op, "fallback", 1);
  json_t *types = json_object_get(om, "types");
  const char *tp = sub(c, op, "types");
  if (!types) err(c, op, AT_KEY, "needs a list 'types'");
  else if (want_type(c, types, tp, "a list")) {
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t) want_type(c, t, item(c, tp, i), "a string");
  }
}

/* The layout table of class cls for L: itself, or the layout it names. */
static json_t *layout_table(json_t *cls, const char *L) {
  json_t *t = json_object_get(cls, L);
  return json_is_string(t) ? json_object_get(cls, json_string_value(t)) : t;
}

/* Rules see the base's fields, the class's fields and base_defaults. */
static json_t *class_fields(dc *c, json_t *t, const char *L) {
  json_t *known = base_fields(c, L);
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(t, "fields"), i, f) {
    const char *name = json_string_value(json_array_get(f, 0));
    if (json_is_array(f) && name) json_object_set_new(known, name, json_true());
  }
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(t, "base_defaults"), k, v)
    json_object_set_new(known, k, json_true());
  return known;
}

static void check_class(dc *c, const char *name, json_t *cls,
                        const char *path, json_t *model_types) {
  static const char *const keys[] = {"model_type", "v4", "v5", NULL};
  static const char *const tkeys[] = {"fields", "base_defaults",
                                      "after_base", "aliases", "rules",
                                      NULL};
  if (!want_type(c, cls, path, "a mapping")) return;
  known_keys(c, cls, path, keys);
  const char *mt = str_member(c, cls, path, "model_type", 1);
  if (mt) {
    const char *other = json_string_value(json_object_get(model_types, mt));
    if (other)
      err(c, sub(c, path, "model_type"), AT_VALUE, "model_type '%s' is "
          "also %s's: sub_config could not tell them apart", mt, other);
    else
      json_object_set_new(model_types, mt, json_string(name));
  }
  for (const char *const *L = layouts; *L; L++) {
    json_t *t = json_object_get(cls, *L);
    const char *p = sub(c, path, *L);
    if (!t) {
      err(c, path, AT_KEY, "needs the layout '%s'", *L);
      continue;
    }
    if (json_is_string(t)) {
      const char *to = json_string_value(t);
      if (!json_is_object(json_object_get(cls, to)) ||
          strcmp(to, *L) == 0 || to[0] == '_')
        err(c, p, AT_VALUE, "'%s' is not another layout of %s with its "
            "own tables", to, name);
      continue;
    }
    if (!json_is_object(t)) {
      err(c, p, AT_VALUE, "must be a mapping or the name of another "
          "layout, got %s", type_name(t));
      continue;
    }
    known_keys(c, t, p, tkeys);
    field_list(c, json_object_get(t, "fields"), sub(c, p, "fields"), NULL);
    field_list(c, json_object_get(t, "after_base"), sub(c, p, "after_base"),
               NULL);
    json_t *bd = json_object_get(t, "base_defaults");
    if (bd) want_type(c, bd, sub(c, p, "base_defaults"), "a mapping");
  }
  /* the rules of each layout table, against the dict of every layout it
   * is used in (a table named by another layout runs on that base) */
  for (const char *const *L = layouts; *L; L++) {
    json_t *t = layout_table(cls, *L);
    if (!json_is_object(t)) continue;
    json_t *own = json_object_get(cls, *L);
    const char *tl = json_is_string(own) ? json_string_value(own) : *L;
    json_t *known = class_fields(c, t, *L);
    const char *dict = ck_arena_printf(c->m->arena, "%s (%s)", name, tl);
    op_list(c, json_object_get(t, "rules"),
            sub(c, sub(c, path, tl), "rules"), "rule", rule_specs, known,
            dict);
    alias_table(c, json_object_get(t, "aliases"),
                sub(c, sub(c, path, tl), "aliases"), known, dict);
    json_decref(known);
  }
}

static void check_classes(dc *c, json_t *cl, const char *path) {
  if (!want_type(c, cl, path, "a mapping")) return;
  json_t *model_types = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(cl, k, v)
    if (k[0] != '_') check_class(c, k, v, sub(c, path, k), model_types);
  json_decref(model_types);
}

static void check_deviations(dc *c, json_t *dv, const char *path) {
  static const char *const keys[] = {"name", "classes", "op", "key", "why",
                                     NULL};
  if (!want_type(c, dv, path, "a list")) return;
  json_t *names = json_object();
  size_t i, j;
  json_t *d, *cl;
  json_array_foreach(dv, i, d) {
    const char *p = item(c, path, i);
    if (!want_type(c, d, p, "a mapping")) continue;
    known_keys(c, d, p, keys);
    const char *name = str_member(c, d, p, "name", 1);
    const char *op = str_member(c, d, p, "op", 1);
    const char *key = str_member(c, d, p, "key", 1);
    str_member(c, d, p, "why", 0);
    if (name && json_object_get(names, name))
      err(c, sub(c, p, "name"), AT_VALUE, "deviation '%s' is defined "
          "twice", name);
    if (name) json_object_set_new(names, name, json_true());
    if (op && strcmp(op, "drop_if_null") != 0)
      err(c, sub(c, p, "op"), AT_VALUE, "unknown op '%s' (ops: "
          "drop_if_null)", op);
    json_t *list = json_object_get(d, "classes");
    const char *lp = sub(c, p, "classes");
    if (!list) {
      err(c, p, AT_VALUE, "needs a list 'classes'");
      continue;
    }
    if (!want_type(c, list, lp, "a list")) continue;
    json_array_foreach(list, j, cl) {
      const char *cp = item(c, lp, j);
      if (!want_type(c, cl, cp, "a string")) continue;
      const char *cname = json_string_value(cl);
      if (!is_class(c, cname)) {
        err(c, cp, AT_VALUE, "class '%s' is not defined in classes", cname);
        continue;
      }
      json_t *cls = json_object_get(classes(c), cname);
      int found = 0;
      for (const char *const *L = layouts; key && *L; L++) {
        json_t *known = class_fields(c, layout_table(cls, *L), *L);
        found |= json_object_get(known, key) != NULL;
        json_decref(known);
      }
      if (key && !found)
        err(c, sub(c, p, "key"), AT_VALUE, "'%s' is not a field of %s in "
            "any layout", key, cname);
    }
  }
  json_decref(names);
}

static void check_hints(dc *c, json_t *hs, const char *path) {
  static const char *const keys[] = {"keys", "advice", NULL};
  if (!want_type(c, hs, path, "a list")) return;
  size_t i, j;
  json_t *h, *k;
  json_array_foreach(hs, i, h) {
    const char *p = item(c, path, i);
    if (!want_type(c, h, p, "a mapping")) continue;
    known_keys(c, h, p, keys);
    str_member(c, h, p, "advice", 1);
    json_t *list = json_object_get(h, "keys");
    const char *lp = sub(c, p, "keys");
    if (!list || (json_is_array(list) && json_array_size(list) == 0))
      err(c, p, AT_VALUE, "needs a non-empty list 'keys'");
    else if (want_type(c, list, lp, "a list"))
      json_array_foreach(list, j, k) want_type(c, k, item(c, lp, j),
                                               "a string");
  }
}

/* ------------------------------------------------------------ entry */

static void check_tables(dc *c) {
  static const char *const keys[] = {"format_class", "base", "fold_rope",
                                     "classes", "ckconv_deviations",
                                     "coverage_hints", NULL};
  static const char *const required[] = {"format_class", "base", "classes",
                                         NULL};
  json_t *t = c->root;
  known_keys(c, t, "", keys);
  for (const char *const *r = required; *r; r++)
    if (!json_object_get(t, *r))
      err(c, "", AT_VALUE, "needs the part '%s'", *r);
  const char *k;
  json_t *v;
  json_object_foreach(t, k, v) {
    if (strcmp(k, "format_class") == 0) check_format_class(c, v, k);
    else if (strcmp(k, "base") == 0) check_base(c, v, k);
    else if (strcmp(k, "fold_rope") == 0) check_fold_rope(c, v, k);
    else if (strcmp(k, "classes") == 0) check_classes(c, v, k);
    else if (strcmp(k, "ckconv_deviations") == 0) check_deviations(c, v, k);
    else if (strcmp(k, "coverage_hints") == 0) check_hints(c, v, k);
  }
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0, r;
  char *buf = malloc(cap + 1);
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      char *nb = realloc(buf, 2 * cap + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  *len = n;
  return buf;
}

static void check_file(ck_model *m, const char *path) {
  ck_loc whole = {NULL, 0, 0, 0};
  size_t len;
  char *text = slurp(path, &len);
  if (!text) {
    ck_diag_error(m->diag, whole, "cannot read data file %s: %s", path,
                  strerror(errno));
    return;
  }
  ck_diag_add_source(path, text);
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  ck_loc at = {path, je.line, je.column, 1};
  if (!root) {
    ck_diag_error(m->diag, at, "%s", je.text);
  } else if (!json_is_object(root)) {
    at.line = at.col = 1;
    ck_diag_error(m->diag, at, "the tables must be a mapping, got %s",
                  type_name(root));
  } else {
    dc c = {m, path, root, json_object(), NULL, 0, 0};
    cursor u = {text, text + len, 1, 1};
    scan_value(&c, &u, "");
    check_tables(&c);
    json_decref(c.seen);
    free(c.pos);
  }
  json_decref(root);
  free(text);
}

int ck_data_check(ck_model *m, const char *const *data, int n_data) {
  int before = m->diag->nerr;
  for (int i = 0; i < n_data; i++) {
    const char *base = strrchr(data[i], '/');
    if (strcmp(base ? base + 1 : data[i], TABLES) == 0)
      check_file(m, data[i]);
  }
  return m->diag->nerr > before ? -1 : 0;
}
