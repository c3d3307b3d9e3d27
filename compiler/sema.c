/* sema.c - semantic analysis: AST -> ck_spec model.
 *
 * Third stage of convc.  Resolves every name (classes, enums, sections,
 * tables, formats), flattens class and section inheritance (parent order
 * kept, re-declared keys replaced in place, new keys appended), compiles
 * expressions, and checks that every Fast-LLM path a declaration names
 * exists in the schema.  Errors are reported with their location and
 * analysis continues, so one run lists every problem it can find.
 */
#include "compiler.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEWA(m, T, n) \
  ((T *)ck_arena_alloc((m)->arena, sizeof(T) * ((n) > 0 ? (size_t)(n) : 1u)))

static ck_srcloc srcloc(ck_loc l) { return (ck_srcloc){l.file, l.line, l.col}; }

static const char *const hint_names[] = {
#define CK_HINT(id, name, doc) name,
#include "ck_hints.def"
#undef CK_HINT
};

static const char *const decl_words[] = {
#define CK_DECL(id, word, label, doc) word,
#include "ck_decls.def"
#undef CK_DECL
};

static const char *const wdecl_words[] = {
#define CK_WDECL(id, word, label, doc) word,
#include "ck_wdecls.def"
#undef CK_WDECL
};

const char *const ck_transform_words[CK_TF_COUNT] = {
#define CK_TRANSFORM(id, name, kind) [CK_TF_##id] = name,
#include "ck_transforms.def"
#undef CK_TRANSFORM
};

static const char *const builtin_names[] = {
#define CK_BUILTIN(id, name, min_args, max_args, doc) name,
#include "ck_builtins.def"
#undef CK_BUILTIN
};

static const struct {
  int min_args, max_args;
} builtin_arity[] = {
#define CK_BUILTIN(id, name, min_args, max_args, doc) {min_args, max_args},
#include "ck_builtins.def"
#undef CK_BUILTIN
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* The index of `name` in one of the lists above, or -1. */
static int name_index(const char *const *names, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return (int)i;
  return -1;
}

/* "a, b, c" (or "a, b or c" with last = " or "): the known names of a
 * list for a message, so it never lags behind the list. */
static const char *join_names(ck_arena *a, const char *const *names,
                              size_t n, const char *last) {
  size_t len = 1;
  for (size_t i = 0; i < n; i++) len += strlen(names[i]) + strlen(last) + 2;
  char *out = ck_arena_alloc(a, len);
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(out, i + 1 == n ? last : ", ");
    strcat(out, names[i]);
  }
  return out;
}

/* Tables the sema keeps while it works; the model keeps the results. */
typedef struct enum_def {
  const char *name;
  const char *const *values;
  int n;
} enum_def;

typedef struct sema {
  ck_model *m;
  enum_def *enums;
  int n_enums;
  ck_class *classes;
  ck_section *sections;
  ck_table *tables;
  ck_format *formats;
  ck_allowlist *allow;
  const char **hooks;
  int n_hooks;
  int *class_done, *section_done;
} sema;

/* ------------------------------------------------------------ lookups */

int ck_class_find(const ck_spec *s, const char *name) {
  for (int i = 0; i < s->n_classes; i++)
    if (s->classes[i].name && strcmp(s->classes[i].name, name) == 0) return i;
  return -1;
}

int ck_section_find(const ck_spec *s, const char *name) {
  for (int i = 0; i < s->n_sections; i++)
    if (s->sections[i].name && strcmp(s->sections[i].name, name) == 0)
      return i;
  return -1;
}

int ck_class_is_subclass(const ck_spec *s, int cls, int base) {
  for (int c = cls, guard = 0; c >= 0 && guard < 1000; guard++) {
    if (c == base) return 1;
    c = s->classes[c].parent;
  }
  return 0;
}

int ck_class_field(const ck_spec *s, int cls, const char *name) {
  const ck_class *c = &s->classes[cls];
  for (int i = 0; i < c->n_fields; i++)
    if (strcmp(c->fields[i].name, name) == 0) return i;
  return -1;
}

int ck_class_concrete(const ck_spec *s, int cls) {
  for (int guard = 0; cls >= 0 && guard < 100; guard++) {
    if (s->classes[cls].default_subclass < 0 ||
        s->classes[cls].default_subclass == cls)
      return cls;
    cls = s->classes[cls].default_subclass;
  }
  return cls;
}

static const enum_def *find_enum(sema *S, const char *name) {
  for (int i = 0; i < S->n_enums; i++)
    if (strcmp(S->enums[i].name, name) == 0) return &S->enums[i];
  return NULL;
}

static const ck_table *find_table(sema *S, const char *name) {
  for (int i = 0; i < S->m->spec.n_tables; i++)
    if (strcmp(S->tables[i].name, name) == 0) return &S->tables[i];
  return NULL;
}

static void err(sema *S, ck_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void err(sema *S, ck_loc loc, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  ck_diag_error(S->m->diag, loc, "%s", buf);
}

/* ------------------------------------------------------------- paths */

static ck_path *make_path(sema *S, const ck_node *node) {
  const ck_path_node *p = ck_as_path(node);
  ck_path *path = ck_arena_alloc(S->m->arena, sizeof *path);
  int n = ck_ast_count(p->segs);
  const char **seg = NEWA(S->m, const char *, n);
  size_t len = 0;
  int i = 0;
  for (const ck_node *s = p->segs; s; s = s->next) {
    seg[i] = ck_ast_text(s);
    len += strlen(seg[i++]) + 1;
  }
  char *text = ck_arena_alloc(S->m->arena, len + 1);
  for (i = 0; i < n; i++) {
    if (i) strcat(text, ".");
    strcat(text, seg[i]);
  }
  path->seg = seg;
  path->n = n;
  path->text = text;
  return path;
}

/* Check a Fast-LLM path against the schema, starting at class `cls`.
 * A segment may name a field of the class or of any of its subclasses
 * (polymorphic fields hold subclasses at run time); after a dict field
 * any key is accepted.  Returns the type reached, or NULL after an
 * error. */
static const ck_type *check_fl_path(sema *S, int cls, const ck_path *p,
                                    ck_loc loc) {
  static const ck_type any = {CK_TY_ANY, 1, NULL, -1, NULL, 0, "any"};
  const ck_spec *s = &S->m->spec;
  const ck_type *t = NULL;
  int cur = cls;
  for (int i = 0; i < p->n; i++) {
    if (cur < 0) {
      if (t && t->kind == CK_TY_DICT) {
        t = t->elem;
        cur = t->kind == CK_TY_CONFIG ? t->cls : -1;
        continue;
      }
      if (t && t->kind == CK_TY_ANY) return &any;
      err(S, loc, "'%s' in path '%s' does not name a field: '%s' is not a "
          "config class", p->seg[i], p->text,
          t ? t->text : "the value");
      return NULL;
    }
    const ck_field *f = NULL;
    for (int c = 0; c < s->n_classes && !f; c++) {
      if (!ck_class_is_subclass(s, c, cur)) continue;
      int fi = ck_class_field(s, c, p->seg[i]);
      if (fi >= 0) f = &s->classes[c].fields[fi];
    }
    if (!f) {
      err(S, loc, "%s has no field '%s' (in path '%s')",
          s->classes[cur].name, p->seg[i], p->text);
      return NULL;
    }
    t = f->type;
    cur = t->kind == CK_TY_CONFIG ? t->cls : -1;
  }
  return t ? t : &any;
}

/* -------------------------------------------------------- expressions */

static const struct {
  const char *op;
  ck_ex_op code;
} binops[] = {{"or", CK_EX_OR},   {"and", CK_EX_AND}, {"+", CK_EX_ADD},
              {"-", CK_EX_SUB},   {"*", CK_EX_MUL},   {"/", CK_EX_DIV},
              {"//", CK_EX_FLOORDIV}, {"%", CK_EX_MOD}, {"==", CK_EX_EQ},
              {"!=", CK_EX_NE},   {"<", CK_EX_LT},    {"<=", CK_EX_LE},
              {">", CK_EX_GT},    {">=", CK_EX_GE},   {"??", CK_EX_COALESCE}};

/* Expression context: how paths are checked. */
enum { CTX_CONST, CTX_CLASS, CTX_HF };

static ck_expr *compile_expr(sema *S, const ck_node *n, int ctx, int cls);

static ck_expr *new_expr(sema *S, ck_ex_op op, const ck_node *n) {
  ck_expr *e = ck_arena_alloc(S->m->arena, sizeof *e);
  e->op = op;
  e->loc = srcloc(n->loc);
  e->cls = -1;
  return e;
}

static void compile_args(sema *S, ck_expr *e, const ck_node *list, int ctx,
                         int cls) {
  int n = ck_ast_count(list);
  const ck_expr **args = NEWA(S->m, const ck_expr *, n);
  int i = 0;
  for (const ck_node *a = list; a; a = a->next)
    args[i++] = compile_expr(S, a, ctx, cls);
  e->args = args;
  e->n_args = n;
}

/* Render an expression back to text, for messages in the tables. */
static void expr_text(const ck_expr *e, char *buf, size_t n);

/* The operands of a node that has a fixed number (up to 3), as the
 * arguments of e: each is compiled on its own, not with its siblings. */
static void compile_operands(sema *S, ck_expr *e, int ctx, int cls, int n,
                             const ck_node *x, const ck_node *y,
                             const ck_node *z) {
  const ck_node *in[3] = {x, y, z};
  const ck_expr **args = NEWA(S->m, const ck_expr *, n);
  for (int i = 0; i < n; i++) args[i] = compile_expr(S, in[i], ctx, cls);
  e->args = args;
  e->n_args = n;
}

static ck_expr *compile_expr(sema *S, const ck_node *n, int ctx, int cls) {
  ck_expr *e = NULL;
  switch (n->kind) {
  case AST_NULL: e = new_expr(S, CK_EX_NULL, n); break;
  case AST_BOOL:
    e = new_expr(S, CK_EX_BOOL, n);
    e->i = ck_as_bool(n)->value;
    break;
  case AST_INT:
    e = new_expr(S, CK_EX_INT, n);
    e->i = ck_as_int(n)->value;
    break;
  case AST_FLOAT:
    e = new_expr(S, CK_EX_FLOAT, n);
    e->f = ck_as_float(n)->value;
    break;
  case AST_STR:
    e = new_expr(S, CK_EX_STR, n);
    e->s = ck_as_str(n)->value;
    break;
  case AST_LIST:
    e = new_expr(S, CK_EX_LIST, n);
    compile_args(S, e, ck_as_list(n)->items, ctx, cls);
    break;
  case AST_SELF:
    e = new_expr(S, CK_EX_SELF, n);
    if (ctx != CTX_CLASS) err(S, n->loc, "'self' is only meaningful in a "
                              "check or a validate rule");
    break;
  case AST_PATH:
    e = new_expr(S, CK_EX_PATH, n);
    e->path = make_path(S, n);
    if (ctx == CTX_CONST)
      err(S, n->loc, "'%s': a constant is expected here, not a path",
          e->path->text);
    else if (ctx == CTX_CLASS && cls >= 0 && e->path->seg[0][0] != '$')
      check_fl_path(S, cls, e->path, n->loc);
    break;
  case AST_UNOP: {
    const ck_unop_node *u = ck_as_unop(n);
    e = new_expr(S, strcmp(u->op, "not") == 0 ? CK_EX_NOT : CK_EX_NEG, n);
    compile_operands(S, e, ctx, cls, 1, u->operand, NULL, NULL);
    if (e->op == CK_EX_NEG && e->args[0]->op == CK_EX_INT) {
      e->op = CK_EX_INT;
      e->i = -e->args[0]->i;
    } else if (e->op == CK_EX_NEG && e->args[0]->op == CK_EX_FLOAT) {
      e->op = CK_EX_FLOAT;
      e->f = -e->args[0]->f;
    }
    break;
  }
  case AST_BINOP: {
    const ck_binop_node *b = ck_as_binop(n);
    ck_ex_op op = CK_EX_NULL;
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
      if (strcmp(binops[i].op, b->op) == 0) op = binops[i].code;
    e = new_expr(S, op, n);
    compile_operands(S, e, ctx, cls, 2, b->lhs, b->rhs, NULL);
    break;
  }
  case AST_IF: {
    const ck_if_node *f = ck_as_if(n);
    e = new_expr(S, CK_EX_IF, n);
    compile_operands(S, e, ctx, cls, 3, f->cond, f->then, f->otherwise);
    break;
  }
  case AST_IN: {
    const ck_in_node *in = ck_as_in(n);
    e = new_expr(S, in->negated ? CK_EX_NOT_IN : CK_EX_IN, n);
    compile_operands(S, e, ctx, cls, 2, in->operand, in->list, NULL);
    break;
  }
  case AST_IS: {
    const ck_is_node *is = ck_as_is(n);
    e = new_expr(S, is->negated ? CK_EX_IS_NOT : CK_EX_IS, n);
    compile_operands(S, e, ctx, cls, 1, is->operand, NULL, NULL);
    e->cls = ck_class_find(&S->m->spec, is->cls);
    e->s = is->cls;
    if (e->cls < 0) err(S, n->loc, "unknown config class '%s'", is->cls);
    break;
  }
  case AST_CALL: {
    const ck_call_node *c = ck_as_call(n);
    e = new_expr(S, CK_EX_CALL, n);
    e->s = c->fn;
    compile_args(S, e, c->args, ctx, cls);
    if (c->member) e->path = make_path(S, &c->member->h); /* f(x).a.b */
    int b = name_index(builtin_names, COUNT(builtin_names), c->fn);
    if (b < 0)
      err(S, n->loc, "unknown function '%s' (known: %s)", c->fn,
          join_names(S->m->arena, builtin_names, COUNT(builtin_names), ", "));
    else if (e->n_args < builtin_arity[b].min_args ||
             e->n_args > builtin_arity[b].max_args)
    {
      int lo = builtin_arity[b].min_args, hi = builtin_arity[b].max_args;
      if (lo == hi)
        err(S, n->loc, "%s() takes %d argument%s, not %d", c->fn, lo,
            lo == 1 ? "" : "s", e->n_args);
      else
        err(S, n->loc, "%s() takes %d to %d arguments, not %d", c->fn, lo,
            hi, e->n_args);
    }
    break;
  }
  default:
    e = new_expr(S, CK_EX_NULL, n);
    err(S, n->loc, "a %s is not an expression", ck_ast_kind_name(n->kind));
    break;
  }
  char buf[512];
  expr_text(e, buf, sizeof buf);
  e->text = ck_arena_strdup(S->m->arena, buf);
  return e;
}

static const char *op_text(ck_ex_op op) {
  if (op == CK_EX_COALESCE) return "??";
  for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
    if (binops[i].code == op) return binops[i].op;
  return "?";
}

static void expr_text(const ck_expr *e, char *buf, size_t n) {
  char a[512], b[512], c[512];
  switch (e->op) {
  case CK_EX_NULL: snprintf(buf, n, "null"); break;
  case CK_EX_BOOL: snprintf(buf, n, "%s", e->i ? "true" : "false"); break;
  case CK_EX_INT: snprintf(buf, n, "%lld", e->i); break;
  case CK_EX_FLOAT: {
    /* shortest text that reads back exactly, always looking like a float */
    char t[64];
    for (int p = 1; p <= 17; p++) {
      snprintf(t, sizeof t, "%.*g", p, e->f);
      if (strtod(t, NULL) == e->f) break;
    }
    if (!strpbrk(t, ".eEn")) strcat(t, ".0");
    snprintf(buf, n, "%s", t);
    break;
  }
  case CK_EX_STR: snprintf(buf, n, "\"%s\"", e->s); break;
  case CK_EX_PATH: snprintf(buf, n, "%s", e->path->text); break;
  case CK_EX_SELF: snprintf(buf, n, "self"); break;
  case CK_EX_LIST:
  case CK_EX_CALL: {
    size_t used = (size_t)snprintf(buf, n, "%s%s", e->op == CK_EX_CALL ? e->s : "",
                                   e->op == CK_EX_CALL ? "(" : "[");
    for (int i = 0; i < e->n_args && used < n; i++) {
      expr_text(e->args[i], a, sizeof a);
      used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", a);
    }
    if (used < n) snprintf(buf + used, n - used, "%s", e->op == CK_EX_CALL ? ")" : "]");
    break;
  }
  case CK_EX_NOT:
  case CK_EX_NEG:
    expr_text(e->args[0], a, sizeof a);
    snprintf(buf, n, "%s%s", e->op == CK_EX_NOT ? "not " : "-", a);
    break;
  case CK_EX_IF:
    expr_text(e->args[0], a, sizeof a);
    expr_text(e->args[1], b, sizeof b);
    expr_text(e->args[2], c, sizeof c);
    snprintf(buf, n, "if %s then %s else %s", a, b, c);
    break;
  case CK_EX_IN:
  case CK_EX_NOT_IN:
    expr_text(e->args[0], a, sizeof a);
    expr_text(e->args[1], b, sizeof b);
    snprintf(buf, n, "%s %s %s", a, e->op == CK_EX_IN ? "in" : "not in", b);
    break;
  case CK_EX_IS:
  case CK_EX_IS_NOT:
    expr_text(e->args[0], a, sizeof a);
    snprintf(buf, n, "%s %s %s", a, e->op == CK_EX_IS ? "is" : "is not",
             e->s);
    break;
  default:
    expr_text(e->args[0], a, sizeof a);
    expr_text(e->args[1], b, sizeof b);
    snprintf(buf, n, "%s %s %s", a, op_text(e->op), b);
    break;
  }
}

/* ------------------------------------------------------------- types */

static ck_type *compile_type(sema *S, const ck_type_node *t) {
  ck_type *ty = ck_arena_alloc(S->m->arena, sizeof *ty);
  ty->cls = -1;
  ty->optional = t->optional;
  if (t->form == CK_TYPE_LIST) {
    ty->kind = CK_TY_LIST;
    ty->elem = compile_type(S, t->elem);
    ty->text = ck_arena_printf(S->m->arena, "list[%s]", ty->elem->text);
  } else if (t->form == CK_TYPE_DICT) {
    ty->kind = CK_TY_DICT;
    if (strcmp(t->key->name, "str") != 0)
      err(S, t->key->h.loc, "dict keys must be 'str', not '%s'",
          t->key->name);
    ty->elem = compile_type(S, t->elem);
    ty->text = ck_arena_printf(S->m->arena, "dict[str, %s]", ty->elem->text);
  } else if (t->form == CK_TYPE_ENUM) {
    ty->kind = CK_TY_ENUM;
    int n = ck_ast_count(t->values);
    const char **v = NEWA(S->m, const char *, n);
    int i = 0;
    for (const ck_node *x = t->values; x; x = x->next) v[i++] = ck_ast_text(x);
    ty->enum_values = v;
    ty->n_enum = n;
    ty->text = "enum";
  } else {
    static const struct {
      const char *name;
      ck_type_kind kind;
    } prims[] = {{"int", CK_TY_INT},   {"float", CK_TY_FLOAT},
                 {"bool", CK_TY_BOOL}, {"str", CK_TY_STR},
                 {"any", CK_TY_ANY}};
    ty->text = t->name;
    int found = 0;
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
      if (strcmp(prims[i].name, t->name) == 0) {
        ty->kind = prims[i].kind;
        found = 1;
      }
    if (!found) {
      const enum_def *en = find_enum(S, t->name);
      if (en) {
        ty->kind = CK_TY_ENUM;
        ty->enum_values = en->values;
        ty->n_enum = en->n;
      } else {
        ty->kind = CK_TY_CONFIG;
        ty->cls = ck_class_find(&S->m->spec, t->name);
        if (ty->cls < 0)
          err(S, t->h.loc, "unknown type '%s' (not int, float, bool, str, "
              "any, an enum or a config class)", t->name);
      }
    }
  }
  if (ty->optional)
    ty->text = ck_arena_printf(S->m->arena, "%s?", ty->text);
  return ty;
}

/* Does a constant expression fit a field type?  (statically) */
static int const_fits(const ck_expr *e, const ck_type *t) {
  if (e->op == CK_EX_NULL) return t->optional || t->kind == CK_TY_ANY;
  switch (t->kind) {
  case CK_TY_ANY: return 1;
  case CK_TY_INT: return e->op == CK_EX_INT;
  case CK_TY_FLOAT: return e->op == CK_EX_INT || e->op == CK_EX_FLOAT;
  case CK_TY_BOOL: return e->op == CK_EX_BOOL;
  case CK_TY_STR: return e->op == CK_EX_STR;
  case CK_TY_ENUM:
    if (e->op != CK_EX_STR) return 0;
    for (int i = 0; i < t->n_enum; i++)
      if (strcmp(t->enum_values[i], e->s) == 0) return 1;
    return 0;
  case CK_TY_LIST: return e->op == CK_EX_LIST;
  default: return 0;
  }
}

/* ----------------------------------------------------------- classes */

/* Does a numeric default satisfy the field's `> 0`-style bound? */
static int bound_holds(const ck_expr *v, ck_ex_op cmp, const ck_expr *b) {
  int vn = v->op == CK_EX_INT || v->op == CK_EX_FLOAT;
  int bn = b->op == CK_EX_INT || b->op == CK_EX_FLOAT;
  if (!vn || !bn) return 1;
  double x = v->op == CK_EX_INT ? (double)v->i : v->f;
  double y = b->op == CK_EX_INT ? (double)b->i : b->f;
  switch (cmp) {
  case CK_EX_GT: return x > y;
  case CK_EX_GE: return x >= y;
  case CK_EX_LT: return x < y;
  case CK_EX_LE: return x <= y;
  case CK_EX_EQ: return x == y;
  case CK_EX_NE: return x != y;
  default: return 1;
  }
}

/* Build class `ci` (after its parent): inherited fields first, the
 * implicit `type` discriminator at index 0, re-declared fields replaced
 * in place. */
static void build_members(sema *S, int ci, const ck_config_node *n,
                          const ck_class *p);
static void build_sequence(sema *S, int ci, const ck_config_node *n,
                           const ck_class *p);

static void build_class(sema *S, int ci, int depth) {
  ck_spec *s = &S->m->spec;
  if (S->class_done[ci]) return;
  const ck_config_node *n = S->m->class_nodes[ci];
  ck_class *c = &S->classes[ci];
  if (depth > 64) {
    err(S, n->h.loc, "class '%s' inherits from itself", c->name);
    S->class_done[ci] = 1;
    return;
  }
  S->class_done[ci] = 1; /* guards cycles */
  int parent = -1;
  if (n->base) {
    parent = ck_class_find(s, n->base->name);
    if (parent < 0)
      err(S, n->base->h.loc, "unknown base class '%s'", n->base->name);
    else if (ck_class_is_subclass(s, parent, ci) || parent == ci) {
      err(S, n->base->h.loc, "class '%s' inherits from itself", c->name);
      parent = -1;
    } else {
      S->class_done[ci] = 0;
      build_class(S, parent, depth + 1);
      S->class_done[ci] = 1;
    }
  }
  if (parent >= 0 && ck_class_is_subclass(s, parent, ci)) {
    if (depth == 0)
      err(S, n->base->h.loc, "class '%s' inherits from itself (through "
          "'%s')", c->name, n->base->name);
    parent = -1;
  }
  c->parent = parent;
  const ck_class *p = parent >= 0 ? &S->classes[parent] : NULL;

  int nf_new = 0, nc_new = 0;
  for (const ck_node *it = n->items; it; it = it->next) {
    if (it->kind == AST_FIELD) nf_new++;
    if (it->kind == AST_CHECK) nc_new++;
  }
  int cap = (p ? p->n_fields : 1) + nf_new;
  ck_field *fields = NEWA(S->m, ck_field, cap);
  int nf = 0;
  if (p) {
    memcpy(fields, p->fields, sizeof *fields * (size_t)p->n_fields);
    nf = p->n_fields;
  } else {
    static const ck_type str_opt = {CK_TY_STR, 1, NULL, -1, NULL, 0, "str?"};
    ck_expr *null_e = ck_arena_alloc(S->m->arena, sizeof *null_e);
    null_e->op = CK_EX_NULL;
    null_e->text = "null";
    fields[nf++] = (ck_field){"type", CK_HINT_FEATURE, &str_opt,
                              CK_DEF_VALUE, null_e, CK_EX_NULL, NULL, ci, 0,
                              srcloc(n->h.loc)};
  }
  int ncap = (p ? p->n_checks : 0) + nc_new;
  ck_check *checks = NEWA(S->m, ck_check, ncap);
  int nc = 0;
  if (p) {
    memcpy(checks, p->checks, sizeof *checks * (size_t)p->n_checks);
    nc = p->n_checks;
  }
  c->fields = fields;
  c->n_fields = nf;
  c->checks = checks;

  for (const ck_node *item = n->items; item; item = item->next) {
    if (item->kind != AST_FIELD) continue;
    const ck_field_node *it = ck_as_field(item);
    ck_field f = {0};
    f.name = it->name;
    f.owner = ci;
    f.loc = srcloc(it->h.loc);
    int h = name_index(hint_names, COUNT(hint_names), it->hint);
    if (h < 0) {
      err(S, it->h.loc, "unknown field hint '%s' (use %s)", it->hint,
          join_names(S->m->arena, hint_names, COUNT(hint_names), " or "));
      h = CK_HINT_UNKNOWN;
    }
    f.hint = (ck_hint)h;
    f.type = compile_type(S, it->type);
    f.cmp = CK_EX_NULL;
    if (it->bound) {
      for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
        if (strcmp(binops[i].op, it->bound->op) == 0) f.cmp = binops[i].code;
      f.bound = compile_expr(S, it->bound->value, CTX_CONST, -1);
    }
    if (it->required) {
      f.def_kind = CK_DEF_REQUIRED;
    } else if (it->implicit) {
      f.def_kind = CK_DEF_IMPLICIT;
      f.def = compile_expr(S, it->dflt, CTX_CLASS, -1);
      if (!f.type->optional)
        err(S, it->h.loc, "field '%s' has an implicit default, so its type "
            "must be optional ('%s?')", f.name, f.type->text);
    } else if (it->dflt) {
      f.always = it->always;
      f.def_kind = CK_DEF_VALUE;
      f.def = compile_expr(S, it->dflt, CTX_CONST, -1);
      if (!const_fits(f.def, f.type))
        err(S, it->dflt->loc, "default %s does not fit the type %s of field "
            "'%s'", f.def->text, f.type->text, f.name);
      else if (f.bound && !bound_holds(f.def, f.cmp, f.bound))
        err(S, it->dflt->loc, "default %s of field '%s' is outside its "
            "bound %s %s", f.def->text, f.name, op_text(f.cmp),
            f.bound->text);
    } else {
      f.def_kind = CK_DEF_EMPTY;
      if (f.type->kind != CK_TY_CONFIG && f.type->kind != CK_TY_LIST &&
          f.type->kind != CK_TY_DICT)
        err(S, it->h.loc, "field '%s' of type %s needs a default (= value), "
            "or 'required'", f.name, f.type->text);
      else if (f.type->optional)
        err(S, it->h.loc, "optional field '%s' needs an explicit default "
            "(= null, or a value)", f.name);
    }
    int slot = -1;
    for (int i = 0; i < nf; i++)
      if (strcmp(fields[i].name, f.name) == 0) slot = i;
    if (slot >= 0 && fields[slot].owner == ci)
      err(S, it->h.loc, "field '%s' is declared twice in class '%s'", f.name,
          c->name);
    if (slot >= 0)
      fields[slot] = f;
    else
      fields[nf++] = f;
  }
  c->n_fields = nf;
  /* implicit defaults and checks see the finished field list */
  for (const ck_node *it = n->items; it; it = it->next) {
    if (it->kind == AST_FIELD && ck_as_field(it)->implicit) {
      const ck_field_node *fd = ck_as_field(it);
      int fi = ck_class_field(s, ci, fd->name);
      if (fi >= 0)
        fields[fi].def = compile_expr(S, fd->dflt, CTX_CLASS, ci);
    }
    if (it->kind != AST_CHECK) continue;
    const ck_check_node *ck = ck_as_check(it);
    checks[nc].cond = compile_expr(S, ck->cond, CTX_CLASS, ci);
    checks[nc].message = ck->message;
    checks[nc].loc = srcloc(it->loc);
    nc++;
  }
  c->n_checks = nc;
  build_members(S, ci, n, p);
  build_sequence(S, ci, n, p);
}

/* A `sequence` field of class ci: its index, when it exists and has the
 * kind of type the role needs (want: a config, a dict of configs, a list
 * of names or an integer); else an error at the name, and -1. */
static int sequence_field(sema *S, int ci, const ck_ident_node *name,
                          const char *role, ck_type_kind want) {
  ck_class *c = &S->classes[ci];
  int fi = ck_class_field(&S->m->spec, ci, name->name);
  if (fi < 0) {
    err(S, name->h.loc, "sequence %s '%s' is not a field of %s", role,
        name->name, c->name);
    return -1;
  }
  const ck_type *t = c->fields[fi].type;
  int ok = t->kind == want;
  if (ok && want == CK_TY_DICT) ok = t->elem && t->elem->kind == CK_TY_CONFIG;
  if (ok && want == CK_TY_LIST) ok = t->elem && t->elem->kind == CK_TY_STR;
  if (!ok) {
    static const char *const kinds[] = {
        [CK_TY_CONFIG] = "a config", [CK_TY_DICT] = "a dict of configs",
        [CK_TY_LIST] = "a list[str]", [CK_TY_INT] = "an int"};
    err(S, name->h.loc, "sequence %s '%s' must be %s, not %s", role,
        name->name, kinds[want], t->text);
    return -1;
  }
  return fi;
}

/* `sequence BLOCK count N` / `sequence BLOCKS by PATTERN count N`: the
 * fields the runtime reads a block sequence from; inherited, and field
 * positions are kept by subclasses. */
static void build_sequence(sema *S, int ci, const ck_config_node *n,
                           const ck_class *p) {
  ck_class *c = &S->classes[ci];
  if (p) {
    c->seq_block = p->seq_block;
    c->seq_blocks = p->seq_blocks;
    c->seq_pattern = p->seq_pattern;
    c->seq_count = p->seq_count;
  }
  for (const ck_node *item = n->items; item; item = item->next) {
    if (item->kind != AST_SEQ) continue;
    const ck_seq_node *it = ck_as_seq(item);
    int pattern = it->pattern != NULL;
    c->seq_block = pattern ? -1 : sequence_field(S, ci, it->block, "block",
                                                 CK_TY_CONFIG);
    c->seq_blocks = pattern ? sequence_field(S, ci, it->block, "blocks",
                                             CK_TY_DICT) : -1;
    c->seq_pattern = pattern ? sequence_field(S, ci, it->pattern, "pattern",
                                              CK_TY_LIST) : -1;
    c->seq_count = sequence_field(S, ci, it->count, "count", CK_TY_INT);
  }
}

/* The concrete block-sequence classes under base that import builds: one
 * with a single block (base's default first) and one with named blocks
 * and a pattern; -1 when there is none. */
static void sequence_classes(const ck_spec *s, int base, int *fixed,
                             int *pattern) {
  *fixed = *pattern = -1;
  int dflt = ck_class_concrete(s, base);
  for (int ci = -1; ci < s->n_classes; ci++) {
    int k = ci < 0 ? dflt : ci;
    if (k < 0 || s->classes[k].abstract || !ck_class_is_subclass(s, k, base) ||
        s->classes[k].seq_count < 0)
      continue;
    if (*fixed < 0 && s->classes[k].seq_block >= 0) *fixed = k;
    if (*pattern < 0 && s->classes[k].seq_blocks >= 0 &&
        s->classes[k].seq_pattern >= 0)
      *pattern = k;
  }
}

static ck_wparam *compile_named(sema *S, const ck_node *list, int cls,
                                int *n_out) {
  int n = ck_ast_count(list);
  ck_wparam *out = NEWA(S->m, ck_wparam, n);
  int i = 0;
  for (const ck_node *p = list; p; p = p->next, i++) {
    out[i].name = ck_as_arg(p)->name;
    out[i].value = compile_expr(S, ck_as_arg(p)->value, CTX_CLASS, cls);
  }
  *n_out = n;
  return out;
}

/* param / module / repeat / tie lines: the tensors a config owns. */
static void build_members(sema *S, int ci, const ck_config_node *n,
                          const ck_class *p) {
  ck_class *c = &S->classes[ci];
  int cap = p ? p->n_members : 0;
  for (const ck_node *it = n->items; it; it = it->next)
    if (it->kind == AST_MEMBER) cap++;
  ck_member *m = NEWA(S->m, ck_member, cap);
  int k = 0;
  if (p && p->n_members) {
    memcpy(m, p->members, sizeof *m * (size_t)p->n_members);
    k = p->n_members;
  }
  for (const ck_node *item = n->items; item; item = item->next) {
    if (item->kind != AST_MEMBER) continue;
    const ck_member_node *it = ck_as_member(item);
    ck_member mb = {0};
    mb.loc = srcloc(it->h.loc);
    mb.name = make_path(S, &it->name->h);
    if (strcmp(it->word, "param") == 0) {
      mb.kind = CK_M_PARAM;
      mb.n_dims = ck_ast_count(it->dims);
      if (mb.n_dims > CK_MAX_DIMS)
        err(S, it->h.loc, "param '%s' has %d dimensions; at most %d are "
            "supported", mb.name->text, mb.n_dims, CK_MAX_DIMS);
      const ck_expr **dims = NEWA(S->m, const ck_expr *, mb.n_dims);
      int i = 0;
      for (const ck_node *d = it->dims; d; d = d->next)
        dims[i++] = compile_expr(S, d, CTX_CLASS, ci);
      mb.dims = dims;
      if (it->when) mb.when = compile_expr(S, it->when, CTX_CLASS, ci);
    } else if (strcmp(it->word, "tie") == 0) {
      mb.kind = CK_M_TIE;
      mb.target = make_path(S, &it->target->h);
      mb.when = compile_expr(S, it->when, CTX_CLASS, ci);
    } else {
      mb.kind = strcmp(it->word, "repeat") == 0 ? CK_M_REPEAT : CK_M_MODULE;
      mb.value = compile_expr(S, it->value, CTX_CLASS, ci);
      if (mb.kind == CK_M_REPEAT)
        mb.count = compile_expr(S, it->count, CTX_CLASS, ci);
      else if (it->when)
        mb.when = compile_expr(S, it->when, CTX_CLASS, ci);
      if (it->args) {
        ck_wparam *args = compile_named(S, it->args, ci, &mb.n_args);
        mb.args = args;
      }
    }
    int slot = -1;
    for (int i = 0; i < k; i++)
      if (m[i].kind == mb.kind && strcmp(m[i].name->text, mb.name->text) == 0)
        slot = i;
    if (slot >= (p ? p->n_members : 0))
      err(S, it->h.loc, "%s '%s' is declared twice in %s (first at line "
          "%d)", it->word, mb.name->text, c->name, m[slot].loc.line);
    else if (slot >= 0) m[slot] = mb; /* a subclass re-declares in place */
    else m[k++] = mb;
  }
  c->members = m;
  c->n_members = k;
}

static void build_classes(sema *S, ck_node *items) {
  ck_spec *s = &S->m->spec;
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_CONFIG) n++;
  S->classes = NEWA(S->m, ck_class, n);
  S->m->class_nodes = NEWA(S->m, const ck_config_node *, n);
  S->class_done = NEWA(S->m, int, n);
  s->classes = S->classes;
  s->n_classes = 0;
  for (ck_node *item = items; item; item = item->next) {
    if (item->kind != AST_CONFIG) continue;
    const ck_config_node *it = ck_as_config(item);
    if (ck_class_find(s, it->name) >= 0) {
      err(S, it->h.loc, "config class '%s' is declared twice", it->name);
      continue;
    }
    int ci = s->n_classes++;
    ck_class *c = &S->classes[ci];
    c->name = it->name;
    c->loc = srcloc(it->h.loc);
    c->parent = c->registry = c->default_subclass = -1;
    c->seq_block = c->seq_blocks = c->seq_pattern = c->seq_count = -1;
    c->dynamic_name = it->dynamic_name;
    S->m->class_nodes[ci] = it;
  }
  for (int ci = 0; ci < s->n_classes; ci++) build_class(S, ci, 0);
  /* modifiers need every class */
  for (int ci = 0; ci < s->n_classes; ci++) {
    const ck_config_node *n = S->m->class_nodes[ci];
    for (const ck_node *m = n->mods; m; m = m->next) {
      const ck_mod_node *mod = ck_as_mod(m);
      if (strcmp(mod->word, "abstract") == 0) S->classes[ci].abstract = 1;
      if (strcmp(mod->word, "registry") == 0) S->classes[ci].registry = ci;
      if (strcmp(mod->word, "default") == 0) {
        int d = ck_class_find(s, mod->arg->name);
        if (d < 0)
          err(S, mod->arg->h.loc, "unknown default subclass '%s'",
              mod->arg->name);
        else if (!ck_class_is_subclass(s, d, ci))
          err(S, mod->arg->h.loc, "default '%s' is not a subclass of '%s'",
              mod->arg->name, S->classes[ci].name);
        else
          S->classes[ci].default_subclass = d;
      }
    }
  }
  /* registries: a dynamic name goes to the nearest ancestor registry */
  for (int ci = 0; ci < s->n_classes; ci++) {
    ck_class *c = &S->classes[ci];
    if (c->registry == ci) continue;
    int r = -1;
    int guard = 0;
    for (int a = c->parent; a >= 0 && r < 0 && guard++ < 1000;
         a = S->classes[a].parent)
      if (S->classes[a].registry == a) r = a;
    c->registry = r;
    if (c->dynamic_name && r < 0)
      err(S, S->m->class_nodes[ci]->h.loc, "class '%s' has the type name "
          "\"%s\" but no base class is a 'registry'", c->name,
          c->dynamic_name);
  }
  for (int a = 0; a < s->n_classes; a++)
    for (int b = a + 1; b < s->n_classes; b++) {
      const ck_class *x = &S->classes[a], *y = &S->classes[b];
      if (x->dynamic_name && y->dynamic_name && x->registry == y->registry &&
          strcmp(x->dynamic_name, y->dynamic_name) == 0)
        err(S, S->m->class_nodes[b]->h.loc, "type name \"%s\" is already "
            "used by '%s' in the same registry", y->dynamic_name, x->name);
    }
}

/* ---------------------------------------------------------- sections */

static const char *hook_intern(sema *S, const char *name) {
  for (int i = 0; i < S->n_hooks; i++)
    if (strcmp(S->hooks[i], name) == 0) return S->hooks[i];
  S->hooks[S->n_hooks++] = name;
  return name;
}

static ck_branch *compile_branches(sema *S, const ck_node *list, int *n_out,
                                   int need_hf_type);

static ck_path *path_list(sema *S, const ck_node *list, int *n_out) {
  int n = ck_ast_count(list);
  ck_path *arr = NEWA(S->m, ck_path, n);
  int i = 0;
  for (const ck_node *p = list; p; p = p->next) arr[i++] = *make_path(S, p);
  *n_out = n;
  return arr;
}

static ck_decl compile_decl(sema *S, const ck_decl_node *d,
                            const char *label, int cls, int index);

/* Every field of class cls but `type`, as one-segment paths. */
static ck_path *class_fields(sema *S, int cls, int *n_out) {
  const ck_class *k = &S->m->spec.classes[cls];
  ck_path *fl = NEWA(S->m, ck_path, k->n_fields);
  int m = 0;
  for (int i = 1; i < k->n_fields; i++) {
    const char **seg = NEWA(S->m, const char *, 1);
    seg[0] = k->fields[i].name;
    fl[m++] = (ck_path){seg, 1, k->fields[i].name};
  }
  *n_out = m;
  return fl;
}

/* `default C -> S` means "what an absent HF type is": dispatch only. */
static void no_default_branch(sema *S, const ck_node *list) {
  for (const ck_node *b = list; b; b = b->next)
    if (ck_as_branch(b)->is_default)
      err(S, b->loc, "only a dispatch has a default branch");
}

/* Is this section entry a `weights { }` block (not under a layout)? */
static int is_weights(const ck_node *entry) {
  const ck_entry_node *e = ck_as_entry(entry);
  return !e->layout && strcmp(e->decl->word, "weights") == 0;
}

/* One entry of a section bound to class `cls`: its declaration, limited
 * to one transformers layout by `layout v4|v5 DECL`. */
static ck_decl compile_entry(sema *S, const ck_entry_node *e, int cls,
                             int index) {
  const char *label = e->label ? e->label->name : NULL;
  if (!e->layout) return compile_decl(S, e->decl, label, cls, index);
  const char *layout = e->layout->name;
  if (strcmp(e->decl->word, "weights") == 0) {
    err(S, e->h.loc, "`layout %s` applies to one declaration, not to a "
        "weights block", layout);
    ck_decl none = {.kind = CK_DECL_IGNORE, .section = -1,
                    .fixed_cls = -1, .pattern_cls = -1,
                    .loc = srcloc(e->h.loc)};
    none.key = none.text = ck_arena_printf(S->m->arena, "layout#%d", index);
    return none;
  }
  ck_decl out = compile_decl(S, e->decl, label, cls, index);
  if (strcmp(layout, "v4") == 0) out.layout = CK_LAYOUT_V4;
  else if (strcmp(layout, "v5") == 0) out.layout = CK_LAYOUT_V5;
  else err(S, e->h.loc, "unknown layout '%s' (layouts: v4, v5)", layout);
  return out;
}

/* Compile one declaration of a section bound to class `cls`; label is
 * its key when it has one. */
static ck_decl compile_decl(sema *S, const ck_decl_node *d,
                            const char *label, int cls, int index) {
  ck_spec *s = &S->m->spec;
  ck_decl out = {0};
  /* the parser labels a rename with `else` "default": the rule text keeps
   * that word */
  int kind = strcmp(d->word, "default") == 0
                 ? CK_DECL_RENAME
                 : name_index(decl_words, COUNT(decl_words), d->word);
  if (kind < 0)
    err(S, d->h.loc, "internal: declaration kind '%s' is not in "
        "common/ck_decls.def", d->word);
  out.kind = kind < 0 ? CK_DECL_RENAME : (ck_decl_kind)kind;
  out.loc = srcloc(d->h.loc);
  out.section = -1;
  out.fixed_cls = out.pattern_cls = -1;
  int nfl = 0, nhf = 0;
  switch (out.kind) {
  case CK_DECL_CONST_EXPORT:
    /* emit HF = EXPR [when EXPR]: a constant, or a value of the config
     * written on export only */
    out.hf = path_list(S, d->hf, &nhf);
    out.value = compile_expr(S, d->value, CTX_CLASS, cls);
    if (d->when) out.when = compile_expr(S, d->when, CTX_CLASS, cls);
    break;
  case CK_DECL_VALIDATE:
    out.value = compile_expr(S, d->value, CTX_CLASS, cls);
    out.message = d->message ? d->message->value : NULL;
    break;
  case CK_DECL_LAYOUT: {
    /* a block sequence as a list of per-block layout names (the branch
     * sections' HF type names) plus a block count, blocks flat-merged */
    out.recursive = 1;
    out.fl = path_list(S, d->fl, &nfl);
    out.hf = path_list(S, d->hf, &nhf);
    out.branches = compile_branches(S, d->branches, &out.n_branches, 0);
    no_default_branch(S, d->branches);
    if (d->by) {
      int one;
      out.by = path_list(S, &d->by->h, &one);
      break;
    }
    /* `= EXPR`: the names come from the HF dict, and export picks each
     * block's branch by its name, so every branch needs one */
    out.value = compile_expr(S, d->value, CTX_HF, -1);
    int b = 0;
    for (const ck_node *bn = d->branches; bn; bn = bn->next, b++)
      if (out.branches[b].section >= 0 &&
          !s->sections[out.branches[b].section].hf_type_name)
        err(S, bn->loc, "section '%s' is a branch of a layout by name, so "
            "it needs an HF type name ('section %s ... as \"name\"')",
            s->sections[out.branches[b].section].name,
            s->sections[out.branches[b].section].name);
    break;
  }
  case CK_DECL_REQUIRE:
    out.value = compile_expr(S, d->value, CTX_HF, -1);
    out.message = d->message ? d->message->value : NULL;
    if (d->hf) out.hf = path_list(S, d->hf, &nhf);
    break;
  default:
    if (d->fl) out.fl = path_list(S, d->fl, &nfl);
    break;
  }
  const ck_type *fl0 = NULL; /* the type of the first Fast-LLM path */
  for (int i = 0; i < nfl; i++)
    if (out.fl[i].n != 1 || out.fl[i].seg[0][0] != '\0') {
      const ck_type *t =
          check_fl_path(S, cls, &out.fl[i], d->fl ? d->fl->loc : d->h.loc);
      if (i == 0) fl0 = t;
    }
  if ((out.kind == CK_DECL_SEQUENCE || out.kind == CK_DECL_LAYOUT) && fl0 &&
      fl0->kind == CK_TY_CONFIG) {
    /* what import builds: the sequence classes under the field's class */
    sequence_classes(s, fl0->cls, &out.fixed_cls, &out.pattern_cls);
    if (out.fixed_cls < 0 ||
        (out.kind == CK_DECL_LAYOUT && out.pattern_cls < 0))
      err(S, d->fl->loc, "'%s' is a %s, and no subclass of it declares "
          "`sequence BLOCK%s count N`, which import builds", out.fl[0].text,
          s->classes[fl0->cls].name,
          out.fixed_cls < 0 ? "" : "S by PATTERN");
  }

  switch (out.kind) {
  case CK_DECL_RENAME:
    out.hf = path_list(S, d->hf, &nhf);
    if (d->value) out.value = compile_expr(S, d->value, CTX_HF, -1);
    if (d->when_word) {
      out.has_sentinel = 2;
      if (strcmp(d->when_word->name, "present") != 0)
        err(S, d->when_word->h.loc, "expected `when present`, not `when "
            "%s`", d->when_word->name);
      break;
    }
    if (d->table) {
      out.table = find_table(S, d->table->name);
      if (!out.table)
        err(S, d->table->h.loc, "unknown table '%s'", d->table->name);
    }
    break;
  case CK_DECL_OPTIONAL:
    out.hf = path_list(S, d->hf, &nhf);
    if (d->value) {
      out.value = compile_expr(S, d->value, CTX_CONST, -1);
      out.has_sentinel = 1;
    }
    break;
  case CK_DECL_CONST_IMPORT:
    out.value = compile_expr(S, d->value, CTX_CONST, -1);
    if (nfl == 1) {
      const ck_type *t = check_fl_path(S, cls, &out.fl[0], d->h.loc);
      if (t && t->kind != CK_TY_CONFIG && t->kind != CK_TY_ANY &&
          !const_fits(out.value, t))
        err(S, d->value->loc, "constant %s does not fit the type %s of "
            "'%s'", out.value->text, t->text, out.fl[0].text);
    }
    break;
  case CK_DECL_IGNORE:
    out.recursive = 1;
    if (d->hf) out.hf = path_list(S, d->hf, &nhf);
    break;
  case CK_DECL_IMPORT_ONLY:
    out.value = compile_expr(S, d->value, CTX_HF, -1);
    out.recursive = d->recursive;
    if (d->hf) out.hf = path_list(S, d->hf, &nhf);
    break;
  case CK_DECL_CUSTOM:
    out.recursive = d->recursive;
    if (d->hf) out.hf = path_list(S, d->hf, &nhf);
    /* hook name, resolved in emit */
    out.message = hook_intern(S, d->hook->name);
    break;
  case CK_DECL_NESTED:
  case CK_DECL_SEQUENCE: {
    out.recursive = 1;
    out.section = ck_section_find(s, d->section->name);
    if (out.kind == CK_DECL_NESTED && d->recursive) out.opaque_hf = 1;
    if (out.kind == CK_DECL_NESTED && d->when_word) {
      out.has_sentinel = 2;
      if (strcmp(d->when_word->name, "present") != 0)
        err(S, d->when_word->h.loc, "expected `when present`, not `when "
            "%s`", d->when_word->name);
    }
    if (out.kind == CK_DECL_NESTED && nfl == 1 && out.fl[0].n == 1 &&
        out.fl[0].seg[0][0] == '\0' && out.section >= 0) {
      /* `"" nested S`: S converts this same config (seen as S's class);
       * it claims every field of that class */
      int tc = s->sections[out.section].cls;
      out.self_config = 1;
      if (tc >= 0 && !ck_class_is_subclass(s, cls, tc))
        err(S, d->section->h.loc, "section '%s' converts %s, which %s is "
            "not", d->section->name, s->classes[tc].name,
            s->classes[cls].name);
      else if (tc >= 0)
        out.fl = class_fields(S, tc, &nfl);
      if (d->at) {
        int one;
        out.at = path_list(S, &d->at->h, &one);
      }
      break;
    }
    if (out.section < 0) {
      err(S, d->section->h.loc, "unknown section '%s'", d->section->name);
    } else if (nfl == 1) {
      const ck_type *t = check_fl_path(S, cls, &out.fl[0], d->h.loc);
      int target = s->sections[out.section].cls;
      if (out.kind == CK_DECL_NESTED && t && t->kind == CK_TY_CONFIG &&
          target >= 0 && !ck_class_is_subclass(s, target, t->cls))
        err(S, d->section->h.loc, "section '%s' converts %s, which is not "
            "a %s (the type of '%s')", d->section->name,
            s->classes[target].name, s->classes[t->cls].name,
            out.fl[0].text);
    }
    if (d->at) { /* nested */
      int one;
      out.at = path_list(S, &d->at->h, &one);
    }
    if (d->hf) out.hf = path_list(S, d->hf, &nhf); /* sequence: count */
    break;
  }
  case CK_DECL_DISPATCH:
  case CK_DECL_TYPED_DICT: {
    out.recursive = 1;
    if (d->at) {
      int one;
      out.at = path_list(S, &d->at->h, &one);
    }
    out.discriminator = d->discriminator ? d->discriminator->value : "type";
    /* a typed dict of one class may go without a discriminator */
    out.branches = compile_branches(
        S, d->branches, &out.n_branches,
        out.kind == CK_DECL_DISPATCH || ck_ast_count(d->branches) > 1);
    /* `"" dispatch`: this section's own config picks the branch and is
     * converted whole by it, so it claims every field of the class */
    out.self_config = out.kind == CK_DECL_DISPATCH && nfl == 1 &&
                      out.fl[0].n == 1 && out.fl[0].seg[0][0] == '\0';
    if (out.self_config) out.fl = class_fields(S, cls, &nfl);
    int defaults = 0;
    if (out.kind == CK_DECL_TYPED_DICT) no_default_branch(S, d->branches);
    for (const ck_node *b = d->branches; b; b = b->next)
      if (ck_as_branch(b)->is_default && defaults++)
        err(S, b->loc, "a dispatch has at most one default branch");
    break;
  }
  default:
    break;
  }
  out.n_hf = nhf;
  out.n_fl = nfl;
  /* declaration key: label, else the first claimed path */
  if (label)
    out.key = label;
  else if (out.self_config && out.kind == CK_DECL_DISPATCH)
    out.key = "self dispatch";
  else if (out.self_config)
    out.key = ck_arena_printf(S->m->arena, "self %s", d->section->name);
  else if (nfl > 0)
    out.key = out.fl[0].text;
  else if (nhf > 0)
    out.key = out.hf[0].text;
  else if (out.kind == CK_DECL_VALIDATE || out.kind == CK_DECL_REQUIRE)
    out.key = ck_arena_printf(S->m->arena, "%s %s", d->word, out.value->text);
  else
    out.key = ck_arena_printf(S->m->arena, "%s#%d", d->word, index);
  out.text = ck_arena_printf(S->m->arena, "%s %s", d->word, out.key);
  return out;
}

static void build_section(sema *S, int si, int depth);

static ck_branch *compile_branches(sema *S, const ck_node *list, int *n_out,
                                   int need_hf_type) {
  ck_spec *s = &S->m->spec;
  int nb = ck_ast_count(list);
  ck_branch *br = NEWA(S->m, ck_branch, nb);
  int i = 0;
  for (const ck_node *node = list; node; node = node->next, i++) {
    const ck_branch_node *b = ck_as_branch(node);
    br[i].cls = ck_class_find(s, b->cls);
    br[i].section = ck_section_find(s, b->section);
    if (b->at) {
      int one;
      br[i].hf = path_list(S, &b->at->h, &one);
    }
    br[i].is_default = b->is_default;
    if (br[i].cls < 0)
      err(S, b->h.loc, "unknown config class '%s'", b->cls);
    /* an extending section inherits its type name when it is built */
    if (br[i].section >= 0 && !s->sections[br[i].section].hf_type_name &&
        S->m->section_nodes[br[i].section]->extends)
      build_section(S, br[i].section, 0);
    if (br[i].section < 0)
      err(S, b->h.loc, "unknown section '%s'", b->section);
    else if (need_hf_type && !s->sections[br[i].section].hf_type_name)
      err(S, b->h.loc, "section '%s' is a dispatch branch, so it needs an "
          "HF type name ('section %s for ... as \"name\"')", b->section,
          b->section);
  }
  *n_out = nb;
  return br;
}

/* Compile one entry of a `weights { }` block of a section for `cls`: a
 * weight declaration, maybe labelled (the outermost label is its key). */
static ck_wdecl compile_wdecl(sema *S, const ck_node *entry, int cls) {
  ck_spec *s = &S->m->spec;
  const char *label = NULL;
  while (entry->kind == AST_LABEL) {
    const ck_label_node *l = ck_as_label(entry);
    if (!label) label = l->label;
    entry = l->item;
  }
  const ck_wdecl_node *d = ck_as_wdecl(entry);
  ck_wdecl w = {0};
  int kind = name_index(wdecl_words, COUNT(wdecl_words), d->word);
  if (kind < 0)
    err(S, d->h.loc, "internal: weight declaration kind '%s' is not in "
        "common/ck_wdecls.def", d->word);
  w.kind = kind < 0 ? CK_W_LEAF : (ck_wkind)kind;
  w.loc = srcloc(d->h.loc);
  w.section = -1;
  w.fl = make_path(S, &d->fl->h);
  w.hf = path_list(S, d->hf, &w.n_hf);
  switch (w.kind) {
  case CK_W_LEAF:
  case CK_W_LINEAR: {
    w.transform = CK_TF_PLAIN;
    if (d->transform) {
      int found = name_index(ck_transform_words, COUNT(ck_transform_words),
                             d->transform->name);
      if (found < 0)
        err(S, d->transform->h.loc, "unknown transform '%s' (known: %s)",
            d->transform->name,
            join_names(S->m->arena, ck_transform_words, COUNT(ck_transform_words),
                       ", "));
      else
        w.transform = found;
    }
    /* linear: `bias` is the bias rule; other names are transform
     * params, as for a leaf */
    w.params = compile_named(S, d->params, cls, &w.n_params);
    if (d->when) w.when = compile_expr(S, d->when, CTX_CLASS, cls);
    if (d->count) w.count = compile_expr(S, d->count, CTX_CLASS, cls);
    break;
  }
  case CK_W_NESTED:
  case CK_W_SEQUENCE:
  case CK_W_REPEAT:
    w.section = ck_section_find(s, d->section->name);
    if (w.section < 0)
      err(S, d->section->h.loc, "unknown section '%s'", d->section->name);
    if (d->config) w.config = compile_expr(S, d->config, CTX_CLASS, cls);
    if (d->count) w.count = compile_expr(S, d->count, CTX_CLASS, cls);
    if (d->when) w.when = compile_expr(S, d->when, CTX_CLASS, cls);
    if (w.kind == CK_W_NESTED) w.optional = d->optional;
    if (w.kind == CK_W_SEQUENCE) w.self = d->self;
    break;
  case CK_W_SEQUENCE_DISPATCH:
  case CK_W_DISPATCH:
  case CK_W_TYPED_DICT:
    if (d->config) w.config = compile_expr(S, d->config, CTX_CLASS, cls);
    if (w.kind == CK_W_SEQUENCE_DISPATCH) {
      w.self = d->self;
      if (d->by) w.by = make_path(S, &d->by->h);
    }
    w.branches = compile_branches(S, d->branches, &w.n_branches, 0);
    break;
  }
  if (!w.config && (w.kind == CK_W_NESTED || w.kind == CK_W_DISPATCH ||
                    w.kind == CK_W_TYPED_DICT ||
                    ((w.kind == CK_W_SEQUENCE ||
                      w.kind == CK_W_SEQUENCE_DISPATCH) && !w.self)))
    check_fl_path(S, cls, w.fl, d->fl->h.loc);
  w.key = label ? label : w.fl->text;
  w.text = ck_arena_printf(S->m->arena, "%s %s", d->word, w.key);
  return w;
}

static void build_weights(sema *S, ck_section *sec, const ck_section *parent,
                          const ck_node *entries) {
  int n = parent ? parent->n_wdecls : 0;
  for (const ck_node *e = entries; e; e = e->next)
    if (is_weights(e)) n += ck_ast_count(ck_as_entry(e)->decl->weights);
  ck_wdecl *w = NEWA(S->m, ck_wdecl, n);
  int k = 0;
  int override = 0;
  for (const ck_node *e = entries; e; e = e->next)
    if (is_weights(e) && ck_as_entry(e)->decl->override) override = 1;
  if (parent && parent->n_wdecls && !override) {
    memcpy(w, parent->wdecls, sizeof *w * (size_t)parent->n_wdecls);
    k = parent->n_wdecls;
  }
  int first_own = k;
  char *mine = ck_arena_alloc(S->m->arena, (size_t)n + 1);
  for (const ck_node *d = entries; d; d = d->next) {
    if (!is_weights(d) || sec->cls < 0) continue;
    for (const ck_node *e = ck_as_entry(d)->decl->weights; e; e = e->next) {
      ck_wdecl cw = compile_wdecl(S, e, sec->cls);
      int slot = -1;
      for (int i = 0; i < k; i++)
        if (strcmp(w[i].key, cw.key) == 0) slot = i;
      if (slot >= first_own || (slot >= 0 && mine[slot])) {
        err(S, e->loc, "weight '%s' is declared twice in section '%s'; "
            "give one a label ('name: ...')", cw.key, sec->name);
        continue;
      }
      if (slot < 0) slot = k++;
      w[slot] = cw;
      mine[slot] = 1;
    }
  }
  sec->wdecls = w;
  sec->n_wdecls = k;
}

static void build_section(sema *S, int si, int depth) {
  ck_spec *s = &S->m->spec;
  if (S->section_done[si]) return;
  S->section_done[si] = 1;
  const ck_section_node *n = S->m->section_nodes[si];
  ck_section *sec = &S->sections[si];
  const ck_section *parent = NULL;
  if (n->extends) {
    int p = ck_section_find(s, n->parent);
    if (p < 0) {
      err(S, n->h.loc, "unknown parent section '%s'", n->parent);
    } else if (p == si || depth > 64) {
      err(S, n->h.loc, "section '%s' extends itself", sec->name);
    } else {
      S->section_done[si] = 0;
      build_section(S, p, depth + 1);
      S->section_done[si] = 1;
      parent = &S->sections[p];
      sec->cls = parent->cls;
      sec->hf_type_name = n->hf_type ? n->hf_type : parent->hf_type_name;
      if (n->narrow) {
        const ck_ident_node *nc = n->narrow;
        int c = ck_class_find(s, nc->name);
        if (c < 0)
          err(S, nc->h.loc, "unknown config class '%s'", nc->name);
        else if (parent->cls >= 0 && !ck_class_is_subclass(s, c, parent->cls))
          err(S, nc->h.loc, "'%s' is not a subclass of %s, the class of "
              "section '%s'", nc->name, s->classes[parent->cls].name,
              parent->name);
        else
          sec->cls = c;
      }
    }
  }
  int nd = ck_ast_count(n->entries) + (parent ? parent->n_decls : 0);
  ck_decl *decls = NEWA(S->m, ck_decl, nd);
  int k = 0;
  if (parent) {
    memcpy(decls, parent->decls, sizeof *decls * (size_t)parent->n_decls);
    k = parent->n_decls;
  }
  int first_own = k, idx = 0;
  char *mine = ck_arena_alloc(S->m->arena, (size_t)nd + 1); /* slots set here */
  for (const ck_node *d = n->entries; d; d = d->next, idx++) {
    if (sec->cls < 0) break;
    if (is_weights(d)) continue;
    ck_decl cd = compile_entry(S, ck_as_entry(d), sec->cls, idx);
    int slot = -1;
    for (int i = 0; i < k; i++)
      if (strcmp(decls[i].key, cd.key) == 0) slot = i;
    if (slot >= first_own || (slot >= 0 && mine[slot])) {
      err(S, d->loc, "declaration key '%s' is used twice in section '%s'; "
          "give one a label ('name: ...')", cd.key, sec->name);
      continue;
    }
    if (slot < 0) slot = k++;
    decls[slot] = cd;
    mine[slot] = 1;
  }
  sec->decls = decls;
  sec->n_decls = k;
  build_weights(S, sec, parent, n->entries);
}

static void build_sections(sema *S, ck_node *items) {
  ck_spec *s = &S->m->spec;
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_SECTION) n++;
  S->sections = NEWA(S->m, ck_section, n);
  S->section_done = NEWA(S->m, int, n);
  S->m->section_nodes = NEWA(S->m, const ck_section_node *, n);
  s->sections = S->sections;
  s->n_sections = 0;
  for (ck_node *item = items; item; item = item->next) {
    if (item->kind != AST_SECTION) continue;
    const ck_section_node *it = ck_as_section(item);
    if (ck_section_find(s, it->name) >= 0) {
      err(S, it->h.loc, "section '%s' is declared twice", it->name);
      continue;
    }
    int si = s->n_sections++;
    ck_section *sec = &S->sections[si];
    sec->name = it->name;
    sec->loc = srcloc(it->h.loc);
    sec->cls = -1;
    S->m->section_nodes[si] = it;
    if (!it->extends) {
      sec->cls = ck_class_find(s, it->cls);
      if (sec->cls < 0)
        err(S, it->h.loc, "section '%s' is for unknown config class '%s'",
            it->name, it->cls);
      if (it->hf_type) sec->hf_type_name = it->hf_type;
    }
  }
  for (int si = 0; si < s->n_sections; si++) build_section(S, si, 0);
}

/* ------------------------------------------------- tables and formats */

static void build_tables(sema *S, ck_node *items) {
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_TABLE) n++;
  S->tables = NEWA(S->m, ck_table, n);
  S->m->spec.tables = S->tables;
  for (ck_node *item = items; item; item = item->next) {
    if (item->kind != AST_TABLE) continue;
    const ck_table_node *it = ck_as_table(item);
    if (find_table(S, it->name)) {
      err(S, it->h.loc, "table '%s' is declared twice", it->name);
      continue;
    }
    ck_table *t = &S->tables[S->m->spec.n_tables++];
    t->name = it->name;
    int nr = ck_ast_count(it->rows);
    ck_table_row *rows = NEWA(S->m, ck_table_row, nr);
    int i = 0;
    for (const ck_node *rn = it->rows; rn; rn = rn->next, i++) {
      const ck_row_node *r = ck_as_row(rn);
      rows[i].fast_llm = compile_expr(S, r->fast_llm, CTX_CONST, -1);
      rows[i].hf = compile_expr(S, r->hf, CTX_CONST, -1);
      rows[i].export_ok = r->dir != CK_ROW_IMPORT_ONLY;
      rows[i].import_ok = r->dir != CK_ROW_EXPORT_ONLY;
    }
    t->rows = rows;
    t->n_rows = nr;
  }
}

static void build_enums(sema *S, ck_node *items) {
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_ENUM) n++;
  S->enums = NEWA(S->m, enum_def, n);
  for (ck_node *item = items; item; item = item->next) {
    if (item->kind != AST_ENUM) continue;
    const ck_enum_node *it = ck_as_enum(item);
    if (find_enum(S, it->name)) {
      err(S, it->h.loc, "enum '%s' is declared twice", it->name);
      continue;
    }
    enum_def *e = &S->enums[S->n_enums++];
    e->name = it->name;
    e->n = ck_ast_count(it->values);
    const char **v = NEWA(S->m, const char *, e->n);
    int i = 0;
    for (const ck_node *x = it->values; x; x = x->next)
      v[i++] = ck_ast_text(x);
    e->values = v;
  }
}

static void build_allowlists(sema *S, ck_node *items) {
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_ALLOW) n++;
  S->allow = NEWA(S->m, ck_allowlist, n);
  S->m->spec.allowlists = S->allow;
  for (ck_node *item = items; item; item = item->next) {
    if (item->kind != AST_ALLOW) continue;
    const ck_allow_node *it = ck_as_allow(item);
    if (strcmp(it->layout, "common") && strcmp(it->layout, "v4") &&
        strcmp(it->layout, "v5"))
      err(S, it->h.loc, "allowlist layout must be common, v4 or v5, not "
          "'%s'", it->layout);
    ck_allowlist *a = &S->allow[S->m->spec.n_allowlists++];
    a->layout = it->layout;
    a->n_keys = ck_ast_count(it->keys);
    const char **k = NEWA(S->m, const char *, a->n_keys);
    int i = 0;
    for (const ck_node *x = it->keys; x; x = x->next)
      k[i++] = ck_as_str(x)->value;
    a->keys = k;
  }
}

static const ck_prop_node *prop(const ck_format_node *fmt,
                                const char *name) {
  for (const ck_node *p = fmt->props; p; p = p->next)
    if (strcmp(ck_as_prop(p)->name, name) == 0) return ck_as_prop(p);
  return NULL;
}

/* The text of a property value: a name or a string (NULL for a map). */
static const char *value_text(const ck_node *v) {
  return v->kind == AST_MAP ? NULL : ck_ast_text(v);
}

static void build_formats(sema *S, ck_node *items) {
  ck_spec *s = &S->m->spec;
  static const char *const known[] = {"model_type", "architectures",
                                      "layouts", "root", "auto_map",
                                      "model", "skip_checks", "buffers"};
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_FORMAT) n++;
  S->formats = NEWA(S->m, ck_format, n);
  s->formats = S->formats;
  for (ck_node *item = items; item; item = item->next) {
    if (item->kind != AST_FORMAT) continue;
    const ck_format_node *it = ck_as_format(item);
    for (int i = 0; i < s->n_formats; i++)
      if (strcmp(S->formats[i].name, it->name) == 0)
        err(S, it->h.loc, "format '%s' is declared twice", it->name);
    ck_format *f = &S->formats[s->n_formats++];
    f->name = it->name;
    f->loc = srcloc(it->h.loc);
    f->root = f->model_class = -1;
    for (const ck_node *pn = it->props; pn; pn = pn->next) {
      const ck_prop_node *p = ck_as_prop(pn);
      if (name_index(known, COUNT(known), p->name) < 0)
        err(S, p->h.loc, "unknown format property '%s' (known: %s)",
            p->name, join_names(S->m->arena, known, COUNT(known), ", "));
    }
    const ck_prop_node *p;
    if ((p = prop(it, "model_type")) && p->values->kind == AST_STR)
      f->model_type = ck_as_str(p->values)->value;
    else
      err(S, it->h.loc, "format '%s' needs: model_type \"name\"", f->name);
    if ((p = prop(it, "architectures"))) {
      f->n_architectures = ck_ast_count(p->values);
      const char **a = NEWA(S->m, const char *, f->n_architectures);
      int i = 0;
      for (const ck_node *x = p->values; x; x = x->next)
        a[i++] = value_text(x);
      f->architectures = a;
    } else {
      err(S, it->h.loc, "format '%s' needs: architectures \"Name\"", f->name);
    }
    if ((p = prop(it, "layouts"))) {
      for (const ck_node *x = p->values; x; x = x->next) {
        const char *v = value_text(x);
        if (strcmp(v, "v4") == 0) f->layouts |= CK_LAYOUT_V4;
        else if (strcmp(v, "v5") == 0) f->layouts |= CK_LAYOUT_V5;
        else err(S, x->loc, "unknown layout '%s' (v4 or v5)", v);
      }
    } else {
      f->layouts = CK_LAYOUT_V4 | CK_LAYOUT_V5;
    }
    if ((p = prop(it, "root"))) {
      const char *root = value_text(p->values);
      f->root = ck_section_find(s, root);
      if (f->root < 0)
        err(S, p->values->loc, "unknown section '%s'", root);
      else f->model_class = s->sections[f->root].cls;
    } else {
      err(S, it->h.loc, "format '%s' needs: root SectionName", f->name);
    }
    if ((p = prop(it, "skip_checks"))) {
      for (const ck_node *x = p->values; x; x = x->next) {
        const char *v = value_text(x);
        if (strcmp(v, "model_type") == 0)
          f->skip_checks |= CK_SKIP_MODEL_TYPE;
        else if (strcmp(v, "architectures") == 0)
          f->skip_checks |= CK_SKIP_ARCHITECTURES;
        else err(S, x->loc, "skip_checks takes model_type and/or "
                 "architectures, not '%s'", v);
      }
    }
    if ((p = prop(it, "buffers"))) {
      f->n_buffers = ck_ast_count(p->values);
      const char **b = NEWA(S->m, const char *, f->n_buffers);
      int i = 0;
      for (const ck_node *x = p->values; x; x = x->next) {
        if (x->kind != AST_STR || !*ck_as_str(x)->value)
          err(S, x->loc, "buffers takes tensor-name suffixes as strings "
              "(\"rotary_emb.inv_freq\")");
        b[i++] = value_text(x);
      }
      f->buffers = b;
    }
    if ((p = prop(it, "model"))) {
      const char *model = value_text(p->values);
      f->model_class = ck_class_find(s, model);
      if (f->model_class < 0)
        err(S, p->values->loc, "unknown config class '%s'", model);
    }
    if ((p = prop(it, "auto_map"))) {
      const ck_node *kv =
          p->values->kind == AST_MAP ? ck_as_map(p->values)->entries : NULL;
      int nk = ck_ast_count(kv);
      const char **am = NEWA(S->m, const char *, 2 * nk);
      int i = 0;
      for (; kv; kv = kv->next) {
        am[i++] = ck_as_kv(kv)->key;
        am[i++] = ck_as_kv(kv)->value;
      }
      f->auto_map = am;
      f->n_auto_map = nk;
    }
  }
}

int ck_sema(ck_model *m, ck_node *items) {
  sema S = {0};
  S.m = m;
  int before = m->diag->nerr;
  int n_decl = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_SECTION)
      n_decl += ck_ast_count(ck_as_section(it)->entries);
  S.hooks = NEWA(m, const char *, n_decl);
  build_enums(&S, items);
  build_tables(&S, items);
  build_classes(&S, items);
  build_sections(&S, items);
  build_allowlists(&S, items);
  build_formats(&S, items);
  m->spec.hooks = S.hooks;
  m->spec.n_hooks = S.n_hooks;
  return m->diag->nerr == before ? 0 : -1;
}
