/* ck_expr.c - evaluator for the expressions compiled from .conv specs.
 *
 * Expressions appear in class checks and implicit defaults (paths resolve
 * against a config object), in export `validate` rules (same), and in
 * import fallbacks (paths resolve against the HF dict).  Semantics follow
 * Python where the two could differ: 1 == 1.0, truthiness, `in`; and `/`
 * between integers is exact division (an error when it does not divide),
 * which is what the formats mean by "derived from".
 */
#include "ck_config.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static ck_val jv(json_t *j) { return (ck_val){j, NULL, NULL}; }

static ck_val own(ck_rt *rt, json_t *j) { return jv(ck_rt_own(rt, j)); }

int ck_truthy(ck_val v) {
  if (v.c) return 1;
  if (v.d) return v.d->n > 0;
  json_t *j = v.j;
  if (!j || json_is_null(j) || json_is_false(j)) return 0;
  if (json_is_true(j)) return 1;
  if (json_is_integer(j)) return json_integer_value(j) != 0;
  if (json_is_real(j)) return json_real_value(j) != 0.0;
  if (json_is_string(j)) return json_string_length(j) > 0;
  if (json_is_array(j)) return json_array_size(j) > 0;
  if (json_is_object(j)) return json_object_size(j) > 0;
  return 1;
}

int ck_py_equal(const json_t *a, const json_t *b) {
  if (!a || !b) return a == b;
  if (json_is_number(a) && json_is_number(b)) {
    if (json_is_integer(a) && json_is_integer(b))
      return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
  }
  /* Python: True == 1, False == 0 */
  if (json_is_boolean(a) && json_is_number(b))
    return (json_is_true(a) ? 1.0 : 0.0) == json_number_value(b);
  if (json_is_boolean(b) && json_is_number(a))
    return ck_py_equal(b, a);
  if (json_typeof(a) != json_typeof(b)) return 0;
  if (json_is_array(a)) {
    if (json_array_size(a) != json_array_size(b)) return 0;
    for (size_t i = 0; i < json_array_size(a); i++)
      if (!ck_py_equal(json_array_get(a, i), json_array_get(b, i))) return 0;
    return 1;
  }
  if (json_is_object(a)) {
    if (json_object_size(a) != json_object_size(b)) return 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)a, k, v) {
      if (!ck_py_equal(v, json_object_get(b, k))) return 0;
    }
    return 1;
  }
  return json_equal((json_t *)a, (json_t *)b);
}

/* Python-like repr of a json value, for error messages. */
void ck_json_repr(const json_t *v, char *buf, size_t n) {
  if (!v || json_is_null(v)) {
    snprintf(buf, n, "None");
  } else if (json_is_true(v)) {
    snprintf(buf, n, "True");
  } else if (json_is_false(v)) {
    snprintf(buf, n, "False");
  } else if (json_is_string(v)) {
    snprintf(buf, n, "'%s'", json_string_value(v));
  } else if (json_is_integer(v)) {
    snprintf(buf, n, "%lld", (long long)json_integer_value(v));
  } else if (json_is_real(v)) {
    char tmp[64];
    double d = json_real_value(v);
    for (int p = 1; p <= 17; p++) {
      snprintf(tmp, sizeof tmp, "%.*g", p, d);
      if (strtod(tmp, NULL) == d) break;
    }
    if (!strpbrk(tmp, ".eEn")) strcat(tmp, ".0");
    snprintf(buf, n, "%s", tmp);
  } else {
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(buf, n, "%s", s ? s : "?");
    free(s);
  }
}

void ck_val_repr(const ck_rt *rt, ck_val v, char *buf, size_t n) {
  if (v.c)
    snprintf(buf, n, "<%s>", rt->spec->classes[v.c->cls].name);
  else if (v.d)
    snprintf(buf, n, "<dict of %d configs>", v.d->n);
  else
    ck_json_repr(v.j, buf, n);
}

/* ---------------------------------------------------------- paths */

static int step_cfg(ck_rt *rt, ck_cfg *cfg, const char *seg, ck_val *out) {
  int fi = ck_class_field_index(rt->spec, cfg->cls, seg);
  if (fi < 0) return -1;
  ck_slot *s = &cfg->slots[fi];
  if (s->sub) *out = (ck_val){NULL, s->sub, NULL};
  else if (s->dict) *out = (ck_val){NULL, NULL, s->dict};
  else *out = jv(s->v ? s->v : ck_rt_own(rt, json_null()));
  return 0;
}

int ck_resolve_path(ck_rt *rt, ck_scope sc, const ck_path *p, ck_val *out,
                    ck_stage stage, ck_error *err) {
  ck_val cur = sc.cfg ? (ck_val){NULL, sc.cfg, NULL} : jv(sc.hf);
  int first = 0;
  if (p->n > 0 && p->seg[0][0] == '$') {
    /* `$name`: a module local, else a field of the root config */
    const char *name = p->seg[0] + 1;
    json_t *local = sc.locals ? json_object_get(sc.locals, name) : NULL;
    if (local) {
      cur = jv(local);
    } else if (sc.root) {
      if (step_cfg(rt, sc.root, name, &cur) != 0)
        return ck_fail(err, stage, "%s has no field '%s' (path '%s')",
                       rt->spec->classes[sc.root->cls].name, name, p->text);
    } else {
      return ck_fail(err, stage, "'%s': no module local or root config "
                     "here", p->seg[0]);
    }
    first = 1;
  }
  for (int i = first; i < p->n; i++) {
    const char *seg = p->seg[i];
    if (cur.c) {
      if (step_cfg(rt, cur.c, seg, &cur) != 0)
        return ck_fail(err, stage, "%s has no field '%s' (path '%s')",
                       rt->spec->classes[cur.c->cls].name, seg, p->text);
    } else if (cur.d) {
      ck_cfgdict *d = cur.d;
      int found = 0;
      for (int k = 0; k < d->n && !found; k++)
        if (strcmp(d->keys[k], seg) == 0) {
          cur = (ck_val){NULL, d->vals[k], NULL};
          found = 1;
        }
      if (!found)
        return ck_fail_at(err, stage, (ck_about){.key = seg},
                          "no entry '%s' (path '%s')", seg, p->text);
    } else if (cur.j && json_is_object(cur.j)) {
      json_t *next = json_object_get(cur.j, seg);
      if (!next)
        return ck_fail_at(err, stage, (ck_about){.key = p->text},
                          "%s key '%s' is missing",
                          sc.hf ? "HF config" : "config", p->text);
      cur = jv(next);
    } else {
      return ck_fail(err, stage, "cannot look up '%s' in a non-mapping "
                     "(path '%s')", seg, p->text);
    }
  }
  *out = cur;
  return 0;
}

/* --------------------------------------------------------- operators */

static int num(ck_val v, double *d, int *is_int, long long *i) {
  if (!v.j) return 0;
  if (json_is_integer(v.j)) {
    *i = json_integer_value(v.j);
    *d = (double)*i;
    *is_int = 1;
    return 1;
  }
  if (json_is_boolean(v.j)) {
    *i = json_is_true(v.j);
    *d = (double)*i;
    *is_int = 1;
    return 1;
  }
  if (json_is_real(v.j)) {
    *d = json_real_value(v.j);
    *is_int = 0;
    return 1;
  }
  return 0;
}

static int val_equal(ck_val a, ck_val b) {
  if (a.c || b.c) {
    if (a.c && b.c) return a.c == b.c;
    /* a config never equals null */
    return 0;
  }
  if (a.d || b.d) return a.d == b.d;
  return ck_py_equal(a.j, b.j);
}

static int arith(ck_rt *rt, const ck_expr *e, ck_val a, ck_val b,
                 ck_val *out, ck_stage stage, ck_error *err) {
  double x, y;
  long long xi = 0, yi = 0;
  int xint, yint;
  if (!num(a, &x, &xint, &xi) || !num(b, &y, &yint, &yi)) {
    char ra[128], rb[128];
    ck_val_repr(rt, a, ra, sizeof ra);
    ck_val_repr(rt, b, rb, sizeof rb);
    return ck_fail(err, stage, "`%s`: cannot compute with %s and %s",
                   e->text, ra, rb);
  }
  int both = xint && yint;
  switch (e->op) {
  case CK_EX_ADD:
    *out = both ? own(rt, json_integer(xi + yi)) : own(rt, json_real(x + y));
    return 0;
  case CK_EX_SUB:
    *out = both ? own(rt, json_integer(xi - yi)) : own(rt, json_real(x - y));
    return 0;
  case CK_EX_MUL:
    *out = both ? own(rt, json_integer(xi * yi)) : own(rt, json_real(x * y));
    return 0;
  case CK_EX_DIV:
    if (y == 0) return ck_fail(err, stage, "`%s`: division by zero", e->text);
    if (both) {
      if (xi % yi != 0)
        return ck_fail(err, stage, "`%s`: %lld is not divisible by %lld",
                       e->text, xi, yi);
      *out = own(rt, json_integer(xi / yi));
    } else {
      *out = own(rt, json_real(x / y));
    }
    return 0;
  case CK_EX_FLOORDIV:
  case CK_EX_MOD:
    if (y == 0) return ck_fail(err, stage, "`%s`: division by zero", e->text);
    if (both) {
      long long q = xi / yi, r = xi % yi;
      if (r != 0 && ((r < 0) != (yi < 0))) { q--; r += yi; }
      *out = own(rt, json_integer(e->op == CK_EX_MOD ? r : q));
    } else {
      double q = floor(x / y);
      *out = own(rt, json_real(e->op == CK_EX_MOD ? x - q * y : q));
    }
    return 0;
  default: {
    int r = 0;
    switch (e->op) {
    case CK_EX_LT: r = x < y; break;
    case CK_EX_LE: r = x <= y; break;
    case CK_EX_GT: r = x > y; break;
    case CK_EX_GE: r = x >= y; break;
    default: break;
    }
    *out = own(rt, json_boolean(r));
    return 0;
  }
  }
}

/* ---------------------------------------------------------- builtins */

/* One function per entry of common/ck_builtins.def, named bi_ID: the
 * call `e` with its evaluated arguments `a` (convc checked the arity). */
#define BUILTIN(id)                                                       \
  static int bi_##id(ck_rt *rt, const ck_expr *e, ck_val *a, ck_val *out, \
                     ck_stage stage, ck_error *err)

BUILTIN(MAP) { /* map(k1, v1, k2, v2, ...) -> a dict */
  if (e->n_args % 2)
    return ck_fail(err, stage, "`%s`: map() takes key, value pairs", e->text);
  json_t *m = json_object();
  for (int i = 0; i + 1 < e->n_args; i += 2) {
    if (!a[i].j || !json_is_string(a[i].j)) {
      json_decref(m);
      return ck_fail(err, stage, "`%s`: map() keys must be strings", e->text);
    }
    json_t *v = a[i + 1].c ? ck_cfg_to_dict(rt, a[i + 1].c) : a[i + 1].j;
    json_object_set(m, json_string_value(a[i].j), v ? v : json_null());
  }
  *out = own(rt, m);
  return 0;
}

BUILTIN(EXPAND) { /* the block names of each position */
  ck_cfg **blocks;
  long long n;
  if (!a[0].c || ck_cfg_expand_sequence(rt, a[0].c, &blocks, &n, err))
    return ck_fail(err, stage, "`%s`: not a block sequence", e->text);
  int fp = rt->spec->classes[a[0].c->cls].seq_pattern;
  json_t *pattern = fp >= 0 ? a[0].c->slots[fp].v : NULL;
  json_t *arr = json_array();
  size_t len = pattern && json_is_array(pattern) ? json_array_size(pattern) : 0;
  for (long long i = 0; len && i < n; i++)
    json_array_append(arr, json_array_get(pattern, (size_t)i % len));
  *out = own(rt, arr);
  return 0;
}

/* a value through a spec table: to_hf("hf_activation", activation) */
static int through_table(ck_rt *rt, const ck_expr *e, ck_val *a, ck_val *out,
                         ck_stage stage, ck_error *err, int exp) {
  const char *tn = a[0].j && json_is_string(a[0].j) ? json_string_value(a[0].j) : "";
  const ck_table *t = NULL;
  for (int i = 0; i < rt->spec->n_tables; i++)
    if (strcmp(rt->spec->tables[i].name, tn) == 0) t = &rt->spec->tables[i];
  if (!t) return ck_fail(err, stage, "`%s`: no table '%s'", e->text, tn);
  ck_scope none = {0};
  for (int i = 0; i < t->n_rows; i++) {
    const ck_table_row *r = &t->rows[i];
    if (exp ? !r->export_ok : !r->import_ok) continue;
    ck_val from;
    if (ck_eval(rt, exp ? r->fast_llm : r->hf, none, &from, stage, err)) return -1;
    if (ck_py_equal(from.j, a[1].j))
      return ck_eval(rt, exp ? r->hf : r->fast_llm, none, out, stage, err);
  }
  char repr[128];
  ck_json_repr(a[1].j, repr, sizeof repr);
  return ck_fail(err, stage, "%s has no %s equivalent in table %s", repr,
                 exp ? "HF" : "Fast-LLM", tn);
}

BUILTIN(TO_HF) { return through_table(rt, e, a, out, stage, err, 1); }
BUILTIN(FROM_HF) { return through_table(rt, e, a, out, stage, err, 0); }

BUILTIN(LEN) {
  long long n = -1;
  if (a[0].d) n = a[0].d->n;
  else if (a[0].j && json_is_array(a[0].j)) n = (long long)json_array_size(a[0].j);
  else if (a[0].j && json_is_object(a[0].j)) n = (long long)json_object_size(a[0].j);
  else if (a[0].j && json_is_string(a[0].j)) n = (long long)json_string_length(a[0].j);
  else if (a[0].j && json_is_null(a[0].j)) n = 0;
  if (n < 0) return ck_fail(err, stage, "`%s`: len() of a value without length", e->text);
  *out = own(rt, json_integer(n));
  return 0;
}

BUILTIN(KEYS) {
  (void)e, (void)stage, (void)err;
  json_t *arr = json_array();
  if (a[0].d)
    for (int i = 0; i < a[0].d->n; i++)
      json_array_append_new(arr, json_string(a[0].d->keys[i]));
  else if (a[0].j && json_is_object(a[0].j)) {
    const char *k;
    json_t *v;
    json_object_foreach(a[0].j, k, v) json_array_append_new(arr, json_string(k));
  }
  *out = own(rt, arr);
  return 0;
}

BUILTIN(ALL_IN) {
  (void)e, (void)stage, (void)err;
  int ok = 1;
  if (a[0].j && json_is_array(a[0].j)) {
    size_t i;
    json_t *x;
    json_array_foreach(a[0].j, i, x) {
      int found = 0;
      for (size_t k = 0; a[1].j && k < json_array_size(a[1].j); k++)
        if (ck_py_equal(x, json_array_get(a[1].j, k))) found = 1;
      if (!found) ok = 0;
    }
  }
  *out = own(rt, json_boolean(ok));
  return 0;
}

static int end_block(ck_rt *rt, const ck_expr *e, ck_val *a, ck_val *out,
                     ck_stage stage, ck_error *err, int first) {
  ck_cfg **blocks;
  long long n;
  if (!a[0].c || ck_cfg_expand_sequence(rt, a[0].c, &blocks, &n, err))
    return ck_fail(err, stage, "`%s`: not a block sequence", e->text);
  if (n == 0) {
    /* Fast-LLM still has a block config for an empty sequence */
    int fb = rt->spec->classes[a[0].c->cls].seq_block;
    if (fb < 0) return ck_fail(err, stage, "`%s`: empty sequence", e->text);
    *out = (ck_val){NULL, a[0].c->slots[fb].sub, NULL};
    return 0;
  }
  *out = (ck_val){NULL, blocks[first ? 0 : n - 1], NULL};
  return 0;
}

BUILTIN(FIRST_BLOCK) { return end_block(rt, e, a, out, stage, err, 1); }
BUILTIN(LAST_BLOCK) { return end_block(rt, e, a, out, stage, err, 0); }

BUILTIN(FIRST_KEY) {
  (void)e, (void)stage, (void)err;
  const char *k = NULL;
  if (a[0].d && a[0].d->n > 0) k = a[0].d->keys[0];
  else if (a[0].j && json_is_object(a[0].j)) {
    void *it = json_object_iter(a[0].j);
    if (it) k = json_object_iter_key(it);
  }
  *out = k ? own(rt, json_string(k)) : own(rt, json_null());
  return 0;
}

/* (a path argument is resolved quietly in ck_eval instead) */
BUILTIN(HAS) {
  (void)e, (void)stage, (void)err;
  *out = own(rt, json_boolean(a[0].j != NULL || a[0].c || a[0].d));
  return 0;
}

/* the numeric builtins: argument i as a number, else an error */
static int number_arg(const ck_expr *e, ck_val *a, int i, double *x,
                      int *xint, long long *xi, ck_stage stage,
                      ck_error *err) {
  if (num(a[i], x, xint, xi)) return 0;
  if (i == 0)
    return ck_fail(err, stage, "`%s`: %s() needs a number", e->text, e->s);
  return ck_fail(err, stage, "`%s`: %s() needs numbers", e->text, e->s);
}

BUILTIN(LOG) {
  double x;
  long long xi;
  int xint;
  if (number_arg(e, a, 0, &x, &xint, &xi, stage, err)) return -1;
  if (x <= 0) return ck_fail(err, stage, "`%s`: log of %g", e->text, x);
  *out = own(rt, json_real(log(x)));
  return 0;
}

BUILTIN(POW) {
  double x, y;
  long long xi, yi;
  int xint, yint;
  if (number_arg(e, a, 0, &x, &xint, &xi, stage, err) ||
      number_arg(e, a, 1, &y, &yint, &yi, stage, err))
    return -1;
  *out = own(rt, json_real(pow(x, y))); /* C pow, as Python's float ** */
  return 0;
}

BUILTIN(INT) {
  double x;
  long long xi;
  int xint;
  if (number_arg(e, a, 0, &x, &xint, &xi, stage, err)) return -1;
  *out = own(rt, json_integer(xint ? xi : (long long)x));
  return 0;
}

BUILTIN(FLOAT) {
  double x;
  long long xi;
  int xint;
  if (number_arg(e, a, 0, &x, &xint, &xi, stage, err)) return -1;
  *out = own(rt, json_real(x));
  return 0;
}

static int min_max(const ck_expr *e, ck_val *a, ck_val *out,
                   ck_stage stage, ck_error *err, int min) {
  double x, y;
  long long xi, yi;
  int xint, yint;
  if (number_arg(e, a, 0, &x, &xint, &xi, stage, err) ||
      number_arg(e, a, 1, &y, &yint, &yi, stage, err))
    return -1;
  int pick_first = min ? x <= y : x >= y;
  *out = pick_first ? a[0] : a[1];
  return 0;
}

BUILTIN(MIN) { (void)rt; return min_max(e, a, out, stage, err, 1); }
BUILTIN(MAX) { (void)rt; return min_max(e, a, out, stage, err, 0); }

/* ---------------------------------------------------- list builtins
 * range / fill / set_at / positions: enough to turn a per-layer rule
 * ("every k-th layer", "from layer m on", "except these") into a list
 * of block names on import, and a list of names back into positions on
 * export, without a comprehension in the language. */

/* the most items these builtins build: far above any layer count, low
 * enough that a wrong argument cannot exhaust memory */
#define LIST_MAX 1000000

/* argument i as an integer (booleans count), else an error */
static int int_arg(const ck_expr *e, ck_val *a, int i, long long *out,
                   ck_stage stage, ck_error *err) {
  double x;
  int xint = 0;
  if (num(a[i], &x, &xint, out) && xint) return 0;
  return ck_fail(err, stage, "`%s`: argument %d of %s() must be an integer",
                 e->text, i + 1, e->s);
}

/* argument i as a list, else an error */
static int list_arg(const ck_expr *e, ck_val *a, int i, ck_stage stage,
                    ck_error *err) {
  if (a[i].j && json_is_array(a[i].j)) return 0;
  return ck_fail(err, stage, "`%s`: argument %d of %s() must be a list",
                 e->text, i + 1, e->s);
}

BUILTIN(RANGE) {
  long long lo = 0, hi, step = 1;
  if (e->n_args == 1) {
    if (int_arg(e, a, 0, &hi, stage, err)) return -1;
  } else if (int_arg(e, a, 0, &lo, stage, err) ||
             int_arg(e, a, 1, &hi, stage, err) ||
             (e->n_args == 3 && int_arg(e, a, 2, &step, stage, err))) {
    return -1;
  }
  if (step == 0)
    return ck_fail(err, stage, "`%s`: range() step must not be zero", e->text);
  long long n = step > 0 ? (hi > lo ? (hi - lo + step - 1) / step : 0)
                         : (lo > hi ? (lo - hi - step - 1) / -step : 0);
  if (n > LIST_MAX)
    return ck_fail(err, stage, "`%s`: range() of %lld items (at most %d)",
                   e->text, n, LIST_MAX);
  json_t *arr = json_array();
  for (long long k = 0; k < n; k++)
    json_array_append_new(arr, json_integer(lo + k * step));
  *out = own(rt, arr);
  return 0;
}

BUILTIN(FILL) {
  long long n;
  if (int_arg(e, a, 0, &n, stage, err)) return -1;
  if (n < 0 || n > LIST_MAX)
    return ck_fail(err, stage, "`%s`: fill() of %lld items (0 to %d)",
                   e->text, n, LIST_MAX);
  if (!a[1].j)
    return ck_fail(err, stage, "`%s`: fill() needs a value, not a config",
                   e->text);
  json_t *arr = json_array();
  for (long long k = 0; k < n; k++) json_array_append(arr, a[1].j);
  *out = own(rt, arr);
  return 0;
}

BUILTIN(SET_AT) {
  if (list_arg(e, a, 0, stage, err) || list_arg(e, a, 1, stage, err))
    return -1;
  if (!a[2].j)
    return ck_fail(err, stage, "`%s`: set_at() needs a value, not a config",
                   e->text);
  json_t *arr = json_copy(a[0].j);
  ck_rt_own(rt, arr);
  size_t n = json_array_size(arr), i;
  json_t *pos;
  json_array_foreach(a[1].j, i, pos) {
    if (!json_is_integer(pos) || json_integer_value(pos) < 0 ||
        (size_t)json_integer_value(pos) >= n) {
      char repr[64];
      ck_json_repr(pos, repr, sizeof repr);
      return ck_fail(err, stage, "`%s`: position %s is outside the list "
                     "of %zu items", e->text, repr, n);
    }
    json_array_set(arr, (size_t)json_integer_value(pos), a[2].j);
  }
  *out = jv(arr);
  return 0;
}

BUILTIN(POSITIONS) {
  if (list_arg(e, a, 0, stage, err)) return -1;
  json_t *arr = json_array();
  size_t i;
  json_t *x;
  json_array_foreach(a[0].j, i, x)
    if (a[1].j && ck_py_equal(x, a[1].j)) json_array_append_new(arr, json_integer((json_int_t)i));
  *out = own(rt, arr);
  return 0;
}

#undef BUILTIN

typedef int (*builtin_fn)(ck_rt *rt, const ck_expr *e, ck_val *a,
                          ck_val *out, ck_stage stage, ck_error *err);

static const struct {
  const char *name;
  builtin_fn fn;
} builtins[] = {
#define CK_BUILTIN(id, name, min_args, max_args, doc) [CK_FN_##id] = {name, bi_##id},
#include "ck_builtins.def"
#undef CK_BUILTIN
};

/* The builtin called `name` (CK_FN_*), or -1. */
static int builtin_find(const char *name) {
  for (int i = 0; i < CK_FN_COUNT; i++)
    if (strcmp(builtins[i].name, name) == 0) return i;
  return -1;
}

static int call(ck_rt *rt, const ck_expr *e, ck_val *a, ck_val *out,
                ck_stage stage, ck_error *err) {
  int fn = builtin_find(e->s);
  if (fn < 0)
    return ck_fail(err, stage, "`%s`: unknown function %s", e->text, e->s);
  return builtins[fn].fn(rt, e, a, out, stage, err);
}

int ck_eval(ck_rt *rt, const ck_expr *e, ck_scope sc, ck_val *out,
            ck_stage stage, ck_error *err) {
  ck_val a[32] = {{0}};
  switch (e->op) {
  case CK_EX_NULL: *out = own(rt, json_null()); return 0;
  case CK_EX_BOOL: *out = own(rt, json_boolean(e->i)); return 0;
  case CK_EX_INT: *out = own(rt, json_integer(e->i)); return 0;
  case CK_EX_FLOAT: *out = own(rt, json_real(e->f)); return 0;
  case CK_EX_STR: *out = own(rt, json_string(e->s)); return 0;
  case CK_EX_LIST: {
    json_t *arr = json_array();
    for (int i = 0; i < e->n_args; i++) {
      ck_val v;
      if (ck_eval(rt, e->args[i], sc, &v, stage, err) != 0) {
        json_decref(arr);
        return -1;
      }
      json_array_append(arr, v.j ? v.j : json_null());
    }
    *out = own(rt, arr);
    return 0;
  }
  case CK_EX_PATH: return ck_resolve_path(rt, sc, e->path, out, stage, err);
  case CK_EX_SELF: *out = (ck_val){NULL, sc.cfg, NULL}; return 0;
  case CK_EX_AND:
  case CK_EX_OR:
    if (ck_eval(rt, e->args[0], sc, &a[0], stage, err) != 0) return -1;
    if ((e->op == CK_EX_AND) != ck_truthy(a[0])) {
      *out = a[0];
      return 0;
    }
    return ck_eval(rt, e->args[1], sc, out, stage, err);
  case CK_EX_COALESCE: {
    /* a ?? b: b when a is null or (a path) missing */
    ck_error quiet;
    if (ck_eval(rt, e->args[0], sc, &a[0], stage, &quiet) != 0) {
      if (e->args[0]->op != CK_EX_PATH) {
        *err = quiet;
        return -1;
      }
      a[0] = own(rt, json_null());
    }
    if (a[0].c || a[0].d || (a[0].j && !json_is_null(a[0].j))) {
      *out = a[0];
      return 0;
    }
    return ck_eval(rt, e->args[1], sc, out, stage, err);
  }
  case CK_EX_IF:
    if (ck_eval(rt, e->args[0], sc, &a[0], stage, err) != 0) return -1;
    return ck_eval(rt, e->args[ck_truthy(a[0]) ? 1 : 2], sc, out, stage, err);
  case CK_EX_CALL:
    if (builtin_find(e->s) == CK_FN_HAS && e->n_args == 1 &&
        e->args[0]->op == CK_EX_PATH) {
      ck_error quiet;
      *out = own(rt, json_boolean(
          ck_eval(rt, e->args[0], sc, &a[0], stage, &quiet) == 0));
      return 0;
    }
    break;
  default:
    break;
  }
  for (int i = 0; i < e->n_args && i < 32; i++)
    if (ck_eval(rt, e->args[i], sc, &a[i], stage, err) != 0) return -1;
  switch (e->op) {
  case CK_EX_NOT: *out = own(rt, json_boolean(!ck_truthy(a[0]))); return 0;
  case CK_EX_NEG: {
    double x;
    long long xi;
    int xint;
    if (!num(a[0], &x, &xint, &xi))
      return ck_fail(err, stage, "`%s`: not a number", e->text);
    *out = xint ? own(rt, json_integer(-xi)) : own(rt, json_real(-x));
    return 0;
  }
  case CK_EX_EQ: *out = own(rt, json_boolean(val_equal(a[0], a[1]))); return 0;
  case CK_EX_NE: *out = own(rt, json_boolean(!val_equal(a[0], a[1]))); return 0;
  case CK_EX_IN:
  case CK_EX_NOT_IN: {
    int found = 0;
    if (a[1].j && json_is_array(a[1].j))
      for (size_t i = 0; i < json_array_size(a[1].j) && !found; i++)
        found = val_equal(a[0], jv(json_array_get(a[1].j, i)));
    *out = own(rt, json_boolean(e->op == CK_EX_IN ? found : !found));
    return 0;
  }
  case CK_EX_IS:
  case CK_EX_IS_NOT: {
    int is = a[0].c && a[0].c->cls == e->cls;
    *out = own(rt, json_boolean(e->op == CK_EX_IS ? is : !is));
    return 0;
  }
  case CK_EX_CALL:
    if (call(rt, e, a, out, stage, err) != 0) return -1;
    if (e->path) { /* f(x).a.b */
      ck_scope inner = {.cfg = out->c, .hf = out->c ? NULL : out->j};
      return ck_resolve_path(rt, inner, e->path, out, stage, err);
    }
    return 0;
  default: return arith(rt, e, a[0], a[1], out, stage, err);
  }
}
