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

static const char *const transform_names[] = {
#define CK_TRANSFORM(id, name, kind) name,
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

static ck_path *make_path(sema *S, const ck_node *p) {
  ck_path *path = ck_arena_alloc(S->m->arena, sizeof *path);
  int n = ck_ast_count(p->a);
  const char **seg = NEWA(S->m, const char *, n);
  size_t len = 0;
  int i = 0;
  for (const ck_node *s = p->a; s; s = s->next) {
    seg[i++] = s->str;
    len += strlen(s->str) + 1;
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

static ck_expr *compile_expr(sema *S, const ck_node *n, int ctx, int cls) {
  ck_expr *e = NULL;
  switch (n->kind) {
  case AST_NULL: e = new_expr(S, CK_EX_NULL, n); break;
  case AST_BOOL: e = new_expr(S, CK_EX_BOOL, n); e->i = n->ival; break;
  case AST_INT: e = new_expr(S, CK_EX_INT, n); e->i = n->ival; break;
  case AST_FLOAT: e = new_expr(S, CK_EX_FLOAT, n); e->f = n->fval; break;
  case AST_STR: e = new_expr(S, CK_EX_STR, n); e->s = n->str; break;
  case AST_LIST:
    e = new_expr(S, CK_EX_LIST, n);
    compile_args(S, e, n->a, ctx, cls);
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
  case AST_UNOP:
    e = new_expr(S, strcmp(n->str, "not") == 0 ? CK_EX_NOT : CK_EX_NEG, n);
    compile_args(S, e, n->a, ctx, cls);
    if (e->op == CK_EX_NEG && e->args[0]->op == CK_EX_INT) {
      e->op = CK_EX_INT;
      e->i = -e->args[0]->i;
    } else if (e->op == CK_EX_NEG && e->args[0]->op == CK_EX_FLOAT) {
      e->op = CK_EX_FLOAT;
      e->f = -e->args[0]->f;
    }
    break;
  case AST_BINOP: {
    ck_ex_op op = CK_EX_NULL;
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
      if (strcmp(binops[i].op, n->str) == 0) op = binops[i].code;
    e = new_expr(S, op, n);
    ck_node tmp = *n->a;
    tmp.next = n->b;
    compile_args(S, e, &tmp, ctx, cls);
    break;
  }
  case AST_IF: {
    e = new_expr(S, CK_EX_IF, n);
    ck_node c0 = *n->a, c1 = *n->b, c2 = *n->c;
    c0.next = &c1;
    c1.next = &c2;
    c2.next = NULL;
    compile_args(S, e, &c0, ctx, cls);
    break;
  }
  case AST_IN: {
    e = new_expr(S, n->flags ? CK_EX_NOT_IN : CK_EX_IN, n);
    ck_node x = *n->a, y = *n->b;
    x.next = &y;
    y.next = NULL;
    compile_args(S, e, &x, ctx, cls);
    break;
  }
  case AST_IS:
    e = new_expr(S, n->flags ? CK_EX_IS_NOT : CK_EX_IS, n);
    {
      ck_node x = *n->a;
      x.next = NULL;
      compile_args(S, e, &x, ctx, cls);
    }
    e->cls = ck_class_find(&S->m->spec, n->str);
    e->s = n->str;
    if (e->cls < 0) err(S, n->loc, "unknown config class '%s'", n->str);
    break;
  case AST_CALL: {
    e = new_expr(S, CK_EX_CALL, n);
    e->s = n->str;
    compile_args(S, e, n->a, ctx, cls);
    if (n->d) e->path = make_path(S, n->d); /* f(x).a.b */
    int b = name_index(builtin_names, COUNT(builtin_names), n->str);
    if (b < 0)
      err(S, n->loc, "unknown function '%s' (known: %s)", n->str,
          join_names(S->m->arena, builtin_names, COUNT(builtin_names), ", "));
    else if (e->n_args < builtin_arity[b].min_args ||
             e->n_args > builtin_arity[b].max_args)
      err(S, n->loc, "%s() takes %d argument%s, not %d", n->str,
          builtin_arity[b].min_args,
          builtin_arity[b].min_args == 1 ? "" : "s", e->n_args);
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

static ck_type *compile_type(sema *S, const ck_node *t) {
  ck_type *ty = ck_arena_alloc(S->m->arena, sizeof *ty);
  ty->cls = -1;
  ty->optional = (t->flags & CK_TYF_OPTIONAL) != 0;
  if (t->flags & CK_TYF_LIST) {
    ty->kind = CK_TY_LIST;
    ty->elem = compile_type(S, t->a);
    ty->text = ck_arena_printf(S->m->arena, "list[%s]", ty->elem->text);
  } else if (t->flags & CK_TYF_DICT) {
    ty->kind = CK_TY_DICT;
    if (strcmp(t->b->str, "str") != 0)
      err(S, t->b->loc, "dict keys must be 'str', not '%s'", t->b->str);
    ty->elem = compile_type(S, t->a);
    ty->text = ck_arena_printf(S->m->arena, "dict[str, %s]", ty->elem->text);
  } else if (t->flags & CK_TYF_ENUM) {
    ty->kind = CK_TY_ENUM;
    int n = ck_ast_count(t->a);
    const char **v = NEWA(S->m, const char *, n);
    int i = 0;
    for (const ck_node *x = t->a; x; x = x->next) v[i++] = x->str;
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
    ty->text = t->str;
    int found = 0;
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
      if (strcmp(prims[i].name, t->str) == 0) {
        ty->kind = prims[i].kind;
        found = 1;
      }
    if (!found) {
      const enum_def *en = find_enum(S, t->str);
      if (en) {
        ty->kind = CK_TY_ENUM;
        ty->enum_values = en->values;
        ty->n_enum = en->n;
      } else {
        ty->kind = CK_TY_CONFIG;
        ty->cls = ck_class_find(&S->m->spec, t->str);
        if (ty->cls < 0)
          err(S, t->loc, "unknown type '%s' (not int, float, bool, str, "
              "any, an enum or a config class)", t->str);
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
static void build_members(sema *S, int ci, const ck_node *n,
                          const ck_class *p);
static void build_sequence(sema *S, int ci, const ck_node *n,
                           const ck_class *p);

static void build_class(sema *S, int ci, int depth) {
  ck_spec *s = &S->m->spec;
  if (S->class_done[ci]) return;
  const ck_node *n = S->m->class_nodes[ci];
  ck_class *c = &S->classes[ci];
  if (depth > 64) {
    err(S, n->loc, "class '%s' inherits from itself", c->name);
    S->class_done[ci] = 1;
    return;
  }
  S->class_done[ci] = 1; /* guards cycles */
  int parent = -1;
  if (n->a) {
    parent = ck_class_find(s, n->a->str);
    if (parent < 0)
      err(S, n->a->loc, "unknown base class '%s'", n->a->str);
    else if (ck_class_is_subclass(s, parent, ci) || parent == ci) {
      err(S, n->a->loc, "class '%s' inherits from itself", c->name);
      parent = -1;
    } else {
      S->class_done[ci] = 0;
      build_class(S, parent, depth + 1);
      S->class_done[ci] = 1;
    }
  }
  if (parent >= 0 && ck_class_is_subclass(s, parent, ci)) {
    if (depth == 0)
      err(S, n->a->loc, "class '%s' inherits from itself (through '%s')",
          c->name, n->a->str);
    parent = -1;
  }
  c->parent = parent;
  const ck_class *p = parent >= 0 ? &S->classes[parent] : NULL;

  int nf_new = 0, nc_new = 0;
  for (const ck_node *it = n->b; it; it = it->next) {
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
                              srcloc(n->loc)};
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

  for (const ck_node *it = n->b; it; it = it->next) {
    if (it->kind != AST_FIELD) continue;
    ck_field f = {0};
    f.name = it->str;
    f.owner = ci;
    f.loc = srcloc(it->loc);
    int h = name_index(hint_names, COUNT(hint_names), it->s2);
    if (h < 0) {
      err(S, it->loc, "unknown field hint '%s' (use %s)", it->s2,
          join_names(S->m->arena, hint_names, COUNT(hint_names), " or "));
      h = CK_HINT_UNKNOWN;
    }
    f.hint = (ck_hint)h;
    f.type = compile_type(S, it->a);
    f.cmp = CK_EX_NULL;
    if (it->c) {
      for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
        if (strcmp(binops[i].op, it->c->str) == 0) f.cmp = binops[i].code;
      f.bound = compile_expr(S, it->c->b, CTX_CONST, -1);
    }
    if (it->flags & CK_FIELD_REQUIRED) {
      f.def_kind = CK_DEF_REQUIRED;
    } else if (it->flags & CK_FIELD_IMPLICIT) {
      f.def_kind = CK_DEF_IMPLICIT;
      f.def = compile_expr(S, it->b, CTX_CLASS, -1);
      if (!f.type->optional)
        err(S, it->loc, "field '%s' has an implicit default, so its type "
            "must be optional ('%s?')", f.name, f.type->text);
    } else if (it->b) {
      f.always = (it->flags & CK_FIELD_ALWAYS) != 0;
      f.def_kind = CK_DEF_VALUE;
      f.def = compile_expr(S, it->b, CTX_CONST, -1);
      if (!const_fits(f.def, f.type))
        err(S, it->b->loc, "default %s does not fit the type %s of field "
            "'%s'", f.def->text, f.type->text, f.name);
      else if (f.bound && !bound_holds(f.def, f.cmp, f.bound))
        err(S, it->b->loc, "default %s of field '%s' is outside its bound "
            "%s %s", f.def->text, f.name, op_text(f.cmp), f.bound->text);
    } else {
      f.def_kind = CK_DEF_EMPTY;
      if (f.type->kind != CK_TY_CONFIG && f.type->kind != CK_TY_LIST &&
          f.type->kind != CK_TY_DICT)
        err(S, it->loc, "field '%s' of type %s needs a default (= value), "
            "or 'required'", f.name, f.type->text);
      else if (f.type->optional)
        err(S, it->loc, "optional field '%s' needs an explicit default "
            "(= null, or a value)", f.name);
    }
    int slot = -1;
    for (int i = 0; i < nf; i++)
      if (strcmp(fields[i].name, f.name) == 0) slot = i;
    if (slot >= 0 && fields[slot].owner == ci)
      err(S, it->loc, "field '%s' is declared twice in class '%s'", f.name,
          c->name);
    if (slot >= 0)
      fields[slot] = f;
    else
      fields[nf++] = f;
  }
  c->n_fields = nf;
  /* implicit defaults and checks see the finished field list */
  for (const ck_node *it = n->b; it; it = it->next) {
    if (it->kind == AST_FIELD && (it->flags & CK_FIELD_IMPLICIT)) {
      int fi = ck_class_field(s, ci, it->str);
      if (fi >= 0)
        fields[fi].def = compile_expr(S, it->b, CTX_CLASS, ci);
    }
    if (it->kind != AST_CHECK) continue;
    checks[nc].cond = compile_expr(S, it->a, CTX_CLASS, ci);
    checks[nc].message = it->str;
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
static int sequence_field(sema *S, int ci, const ck_node *name,
                          const char *role, ck_type_kind want) {
  ck_class *c = &S->classes[ci];
  int fi = ck_class_field(&S->m->spec, ci, name->str);
  if (fi < 0) {
    err(S, name->loc, "sequence %s '%s' is not a field of %s", role,
        name->str, c->name);
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
    err(S, name->loc, "sequence %s '%s' must be %s, not %s", role, name->str,
        kinds[want], t->text);
    return -1;
  }
  return fi;
}

/* `sequence BLOCK count N` / `sequence BLOCKS by PATTERN count N`: the
 * fields the runtime reads a block sequence from; inherited, and field
 * positions are kept by subclasses. */
static void build_sequence(sema *S, int ci, const ck_node *n,
                           const ck_class *p) {
  ck_class *c = &S->classes[ci];
  if (p) {
    c->seq_block = p->seq_block;
    c->seq_blocks = p->seq_blocks;
    c->seq_pattern = p->seq_pattern;
    c->seq_count = p->seq_count;
  }
  for (const ck_node *it = n->b; it; it = it->next) {
    if (it->kind != AST_SEQ) continue;
    int pattern = it->c != NULL;
    c->seq_block = pattern ? -1 : sequence_field(S, ci, it->a, "block",
                                                 CK_TY_CONFIG);
    c->seq_blocks = pattern ? sequence_field(S, ci, it->a, "blocks",
                                             CK_TY_DICT) : -1;
    c->seq_pattern = pattern ? sequence_field(S, ci, it->c, "pattern",
                                              CK_TY_LIST) : -1;
    c->seq_count = sequence_field(S, ci, it->b, "count", CK_TY_INT);
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
    out[i].name = p->str;
    out[i].value = compile_expr(S, p->a, CTX_CLASS, cls);
  }
  *n_out = n;
  return out;
}

/* param / module / repeat / tie lines: the tensors a config owns. */
static void build_members(sema *S, int ci, const ck_node *n,
                          const ck_class *p) {
  ck_class *c = &S->classes[ci];
  int cap = p ? p->n_members : 0;
  for (const ck_node *it = n->b; it; it = it->next)
    if (it->kind == AST_PARAM) cap++;
  ck_member *m = NEWA(S->m, ck_member, cap);
  int k = 0;
  if (p && p->n_members) {
    memcpy(m, p->members, sizeof *m * (size_t)p->n_members);
    k = p->n_members;
  }
  for (const ck_node *it = n->b; it; it = it->next) {
    if (it->kind != AST_PARAM) continue;
    ck_member mb = {0};
    mb.loc = srcloc(it->loc);
    mb.name = make_path(S, it->a);
    if (strcmp(it->str, "param") == 0) {
      mb.kind = CK_M_PARAM;
      mb.n_dims = ck_ast_count(it->b);
      if (mb.n_dims > CK_MAX_DIMS)
        err(S, it->loc, "param '%s' has %d dimensions; at most %d are "
            "supported", mb.name->text, mb.n_dims, CK_MAX_DIMS);
      const ck_expr **dims = NEWA(S->m, const ck_expr *, mb.n_dims);
      int i = 0;
      for (const ck_node *d = it->b; d; d = d->next)
        dims[i++] = compile_expr(S, d, CTX_CLASS, ci);
      mb.dims = dims;
      if (it->c) mb.when = compile_expr(S, it->c, CTX_CLASS, ci);
    } else if (strcmp(it->str, "tie") == 0) {
      mb.kind = CK_M_TIE;
      mb.target = make_path(S, it->b);
      mb.when = compile_expr(S, it->c, CTX_CLASS, ci);
    } else {
      mb.kind = strcmp(it->str, "repeat") == 0 ? CK_M_REPEAT : CK_M_MODULE;
      mb.value = compile_expr(S, it->b, CTX_CLASS, ci);
      if (it->c) {
        const ck_expr *e = compile_expr(S, it->c, CTX_CLASS, ci);
        if (mb.kind == CK_M_REPEAT) mb.count = e;
        else mb.when = e;
      }
      if (it->d) {
        ck_wparam *args = compile_named(S, it->d, ci, &mb.n_args);
        mb.args = args;
      }
    }
    int slot = -1;
    for (int i = 0; i < k; i++)
      if (m[i].kind == mb.kind && strcmp(m[i].name->text, mb.name->text) == 0)
        slot = i;
    if (slot >= (p ? p->n_members : 0))
      err(S, it->loc, "%s '%s' is declared twice in %s (first at line %d)",
          it->str, mb.name->text, c->name, m[slot].loc.line);
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
  S->m->class_nodes = NEWA(S->m, const ck_node *, n);
  S->class_done = NEWA(S->m, int, n);
  s->classes = S->classes;
  s->n_classes = 0;
  for (ck_node *it = items; it; it = it->next) {
    if (it->kind != AST_CONFIG) continue;
    if (ck_class_find(s, it->str) >= 0) {
      err(S, it->loc, "config class '%s' is declared twice", it->str);
      continue;
    }
    int ci = s->n_classes++;
    ck_class *c = &S->classes[ci];
    c->name = it->str;
    c->loc = srcloc(it->loc);
    c->parent = c->registry = c->default_subclass = -1;
    c->seq_block = c->seq_blocks = c->seq_pattern = c->seq_count = -1;
    c->dynamic_name = it->s2;
    S->m->class_nodes[ci] = it;
  }
  for (int ci = 0; ci < s->n_classes; ci++) build_class(S, ci, 0);
  /* modifiers need every class */
  for (int ci = 0; ci < s->n_classes; ci++) {
    const ck_node *n = S->m->class_nodes[ci];
    for (const ck_node *mod = n->c; mod; mod = mod->next) {
      if (strcmp(mod->str, "abstract") == 0) S->classes[ci].abstract = 1;
      if (strcmp(mod->str, "registry") == 0) S->classes[ci].registry = ci;
      if (strcmp(mod->str, "default") == 0) {
        int d = ck_class_find(s, mod->a->str);
        if (d < 0)
          err(S, mod->a->loc, "unknown default subclass '%s'", mod->a->str);
        else if (!ck_class_is_subclass(s, d, ci))
          err(S, mod->a->loc, "default '%s' is not a subclass of '%s'",
              mod->a->str, S->classes[ci].name);
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
      err(S, S->m->class_nodes[ci]->loc, "class '%s' has the type name "
          "\"%s\" but no base class is a 'registry'", c->name,
          c->dynamic_name);
  }
  for (int a = 0; a < s->n_classes; a++)
    for (int b = a + 1; b < s->n_classes; b++) {
      const ck_class *x = &S->classes[a], *y = &S->classes[b];
      if (x->dynamic_name && y->dynamic_name && x->registry == y->registry &&
          strcmp(x->dynamic_name, y->dynamic_name) == 0)
        err(S, S->m->class_nodes[b]->loc, "type name \"%s\" is already "
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

static ck_decl compile_decl(sema *S, const ck_node *d, int cls, int index);

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
    if (b->flags & CK_BRANCH_DEFAULT)
      err(S, b->loc, "only a dispatch has a default branch");
}

/* `layout v4|v5 DECL`: DECL limited to one transformers layout. */
static ck_decl compile_guarded(sema *S, const ck_node *g, int cls,
                               int index) {
  const ck_node *d = g->a;
  if (strcmp(d->str, "weights") == 0) {
    err(S, g->loc, "`layout %s` applies to one declaration, not to a "
        "weights block", g->str);
    ck_decl none = {.kind = CK_DECL_IGNORE, .section = -1,
                    .fixed_cls = -1, .pattern_cls = -1,
                    .loc = srcloc(g->loc)};
    none.key = none.text = ck_arena_printf(S->m->arena, "layout#%d", index);
    return none;
  }
  ck_decl out = compile_decl(S, d, cls, index);
  if (strcmp(g->str, "v4") == 0) out.layout = CK_LAYOUT_V4;
  else if (strcmp(g->str, "v5") == 0) out.layout = CK_LAYOUT_V5;
  else err(S, g->loc, "unknown layout '%s' (layouts: v4, v5)", g->str);
  return out;
}

/* Compile one declaration of a section bound to class `cls`. */
static ck_decl compile_decl(sema *S, const ck_node *d, int cls, int index) {
  if (d->kind == AST_GUARD) return compile_guarded(S, d, cls, index);
  ck_spec *s = &S->m->spec;
  ck_decl out = {0};
  /* the parser labels a rename with `else` "default": the rule text keeps
   * that word */
  int kind = strcmp(d->str, "default") == 0
                 ? CK_DECL_RENAME
                 : name_index(decl_words, COUNT(decl_words), d->str);
  if (kind < 0)
    err(S, d->loc, "internal: declaration kind '%s' is not in "
        "common/ck_decls.def", d->str);
  out.kind = kind < 0 ? CK_DECL_RENAME : (ck_decl_kind)kind;
  out.loc = srcloc(d->loc);
  out.section = -1;
  out.fixed_cls = out.pattern_cls = -1;
  int nfl = 0, nhf = 0;
  switch (out.kind) {
  case CK_DECL_CONST_EXPORT:
    /* emit HF = EXPR [when EXPR]: a constant, or a value of the config
     * written on export only */
    out.hf = path_list(S, d->b, &nhf);
    out.value = compile_expr(S, d->c, CTX_CLASS, cls);
    if (d->d) out.when = compile_expr(S, d->d, CTX_CLASS, cls);
    break;
  case CK_DECL_VALIDATE:
    out.value = compile_expr(S, d->c, CTX_CLASS, cls);
    out.message = d->b ? d->b->str : NULL;
    break;
  case CK_DECL_LAYOUT: {
    /* a block sequence as a list of per-block layout names (the branch
     * sections' HF type names) plus a block count, blocks flat-merged */
    out.recursive = 1;
    out.fl = path_list(S, d->a, &nfl);
    out.hf = path_list(S, d->b, &nhf);
    out.branches = compile_branches(S, d->c, &out.n_branches, 0);
    no_default_branch(S, d->c);
    int one;
    out.by = path_list(S, d->d, &one);
    break;
  }
  case CK_DECL_REQUIRE:
    out.value = compile_expr(S, d->c, CTX_HF, -1);
    out.message = d->d ? d->d->str : NULL;
    if (d->b) out.hf = path_list(S, d->b, &nhf);
    break;
  default:
    if (d->a) out.fl = path_list(S, d->a, &nfl);
    break;
  }
  const ck_type *fl0 = NULL; /* the type of the first Fast-LLM path */
  for (int i = 0; i < nfl; i++)
    if (out.fl[i].n != 1 || out.fl[i].seg[0][0] != '\0') {
      const ck_type *t =
          check_fl_path(S, cls, &out.fl[i], d->a ? d->a->loc : d->loc);
      if (i == 0) fl0 = t;
    }
  if ((out.kind == CK_DECL_SEQUENCE || out.kind == CK_DECL_LAYOUT) && fl0 &&
      fl0->kind == CK_TY_CONFIG) {
    /* what import builds: the sequence classes under the field's class */
    sequence_classes(s, fl0->cls, &out.fixed_cls, &out.pattern_cls);
    if (out.fixed_cls < 0 ||
        (out.kind == CK_DECL_LAYOUT && out.pattern_cls < 0))
      err(S, d->a->loc, "'%s' is a %s, and no subclass of it declares "
          "`sequence BLOCK%s count N`, which import builds", out.fl[0].text,
          s->classes[fl0->cls].name,
          out.fixed_cls < 0 ? "" : "S by PATTERN");
  }

  switch (out.kind) {
  case CK_DECL_RENAME:
    out.hf = path_list(S, d->b, &nhf);
    if (d->c) out.value = compile_expr(S, d->c, CTX_HF, -1);
    if (d->flags & CK_DECL_IF_PRESENT) {
      out.has_sentinel = 2;
      if (strcmp(d->d->str, "present") != 0)
        err(S, d->d->loc, "expected `when present`, not `when %s`",
            d->d->str);
      break;
    }
    if (d->d) {
      out.table = find_table(S, d->d->str);
      if (!out.table) err(S, d->d->loc, "unknown table '%s'", d->d->str);
    }
    break;
  case CK_DECL_OPTIONAL:
    out.hf = path_list(S, d->b, &nhf);
    if (d->c) {
      out.value = compile_expr(S, d->c, CTX_CONST, -1);
      out.has_sentinel = 1;
    }
    break;
  case CK_DECL_CONST_IMPORT:
    out.value = compile_expr(S, d->c, CTX_CONST, -1);
    if (nfl == 1) {
      const ck_type *t = check_fl_path(S, cls, &out.fl[0], d->loc);
      if (t && t->kind != CK_TY_CONFIG && t->kind != CK_TY_ANY &&
          !const_fits(out.value, t))
        err(S, d->c->loc, "constant %s does not fit the type %s of '%s'",
            out.value->text, t->text, out.fl[0].text);
    }
    break;
  case CK_DECL_IGNORE:
    out.recursive = 1;
    if (d->b) out.hf = path_list(S, d->b, &nhf);
    break;
  case CK_DECL_IMPORT_ONLY:
    out.value = compile_expr(S, d->c, CTX_HF, -1);
    out.recursive = (d->flags & CK_DECL_RECURSIVE) != 0;
    if (d->b) out.hf = path_list(S, d->b, &nhf);
    break;
  case CK_DECL_CUSTOM:
    out.recursive = (d->flags & CK_DECL_RECURSIVE) != 0;
    if (d->b) out.hf = path_list(S, d->b, &nhf);
    out.message = hook_intern(S, d->c->str); /* hook name, resolved in emit */
    break;
  case CK_DECL_NESTED:
  case CK_DECL_SEQUENCE: {
    out.recursive = 1;
    out.section = ck_section_find(s, d->c->str);
    if (out.kind == CK_DECL_NESTED && (d->flags & CK_DECL_RECURSIVE))
      out.opaque_hf = 1;
    if (out.kind == CK_DECL_NESTED && (d->flags & CK_DECL_IF_PRESENT)) {
      out.has_sentinel = 2;
      if (strcmp(d->d->str, "present") != 0)
        err(S, d->d->loc, "expected `when present`, not `when %s`",
            d->d->str);
    }
    if (out.kind == CK_DECL_NESTED && nfl == 1 && out.fl[0].n == 1 &&
        out.fl[0].seg[0][0] == '\0' && out.section >= 0) {
      /* `"" nested S`: S converts this same config (seen as S's class);
       * it claims every field of that class */
      int tc = s->sections[out.section].cls;
      out.self_config = 1;
      if (tc >= 0 && !ck_class_is_subclass(s, cls, tc))
        err(S, d->c->loc, "section '%s' converts %s, which %s is not",
            d->c->str, s->classes[tc].name, s->classes[cls].name);
      else if (tc >= 0)
        out.fl = class_fields(S, tc, &nfl);
      if (d->b) {
        int one;
        out.at = path_list(S, d->b, &one);
      }
      break;
    }
    if (out.section < 0) {
      err(S, d->c->loc, "unknown section '%s'", d->c->str);
    } else if (nfl == 1) {
      const ck_type *t = check_fl_path(S, cls, &out.fl[0], d->loc);
      int target = s->sections[out.section].cls;
      if (out.kind == CK_DECL_NESTED && t && t->kind == CK_TY_CONFIG &&
          target >= 0 && !ck_class_is_subclass(s, target, t->cls))
        err(S, d->c->loc, "section '%s' converts %s, which is not a %s "
            "(the type of '%s')", d->c->str, s->classes[target].name,
            s->classes[t->cls].name, out.fl[0].text);
    }
    if (d->b) {
      if (out.kind == CK_DECL_NESTED) {
        int one;
        out.at = path_list(S, d->b, &one);
      } else {
        out.hf = path_list(S, d->b, &nhf);
      }
    }
    break;
  }
  case CK_DECL_DISPATCH:
  case CK_DECL_TYPED_DICT: {
    out.recursive = 1;
    if (d->b) {
      int one;
      out.at = path_list(S, d->b, &one);
    }
    out.discriminator = d->d ? d->d->str : "type";
    /* a typed dict of one class may go without a discriminator */
    out.branches = compile_branches(
        S, d->c, &out.n_branches,
        out.kind == CK_DECL_DISPATCH || ck_ast_count(d->c) > 1);
    /* `"" dispatch`: this section's own config picks the branch and is
     * converted whole by it, so it claims every field of the class */
    out.self_config = out.kind == CK_DECL_DISPATCH && nfl == 1 &&
                      out.fl[0].n == 1 && out.fl[0].seg[0][0] == '\0';
    if (out.self_config) out.fl = class_fields(S, cls, &nfl);
    int defaults = 0;
    if (out.kind == CK_DECL_TYPED_DICT) no_default_branch(S, d->c);
    for (const ck_node *b = d->c; b; b = b->next)
      if ((b->flags & CK_BRANCH_DEFAULT) && defaults++)
        err(S, b->loc, "a dispatch has at most one default branch");
    break;
  }
  default:
    break;
  }
  out.n_hf = nhf;
  out.n_fl = nfl;
  /* declaration key: label, else the first claimed path */
  if (d->s2)
    out.key = d->s2;
  else if (out.self_config && out.kind == CK_DECL_DISPATCH)
    out.key = "self dispatch";
  else if (out.self_config)
    out.key = ck_arena_printf(S->m->arena, "self %s", d->c->str);
  else if (nfl > 0)
    out.key = out.fl[0].text;
  else if (nhf > 0)
    out.key = out.hf[0].text;
  else if (out.kind == CK_DECL_VALIDATE || out.kind == CK_DECL_REQUIRE)
    out.key = ck_arena_printf(S->m->arena, "%s %s", d->str, out.value->text);
  else
    out.key = ck_arena_printf(S->m->arena, "%s#%d", d->str, index);
  out.text = ck_arena_printf(S->m->arena, "%s %s", d->str, out.key);
  return out;
}

static void build_section(sema *S, int si, int depth);

static ck_branch *compile_branches(sema *S, const ck_node *list, int *n_out,
                                   int need_hf_type) {
  ck_spec *s = &S->m->spec;
  int nb = ck_ast_count(list);
  ck_branch *br = NEWA(S->m, ck_branch, nb);
  int i = 0;
  for (const ck_node *b = list; b; b = b->next, i++) {
    br[i].cls = ck_class_find(s, b->str);
    br[i].section = ck_section_find(s, b->s2);
    if (b->a) {
      int one;
      br[i].hf = path_list(S, b->a, &one);
    }
    br[i].is_default = (b->flags & CK_BRANCH_DEFAULT) != 0;
    if (br[i].cls < 0) err(S, b->loc, "unknown config class '%s'", b->str);
    /* an extending section inherits its type name when it is built */
    if (br[i].section >= 0 && !s->sections[br[i].section].hf_type_name &&
        (S->m->section_nodes[br[i].section]->flags & CK_SECTION_EXTENDS))
      build_section(S, br[i].section, 0);
    if (br[i].section < 0)
      err(S, b->loc, "unknown section '%s'", b->s2);
    else if (need_hf_type && !s->sections[br[i].section].hf_type_name)
      err(S, b->loc, "section '%s' is a dispatch branch, so it needs an "
          "HF type name ('section %s for ... as \"name\"')", b->s2, b->s2);
  }
  *n_out = nb;
  return br;
}

/* Compile one entry of a `weights { }` block of a section for `cls`. */
static ck_wdecl compile_wdecl(sema *S, const ck_node *d, int cls) {
  ck_spec *s = &S->m->spec;
  ck_wdecl w = {0};
  int kind = name_index(wdecl_words, COUNT(wdecl_words), d->str);
  if (kind < 0)
    err(S, d->loc, "internal: weight declaration kind '%s' is not in "
        "common/ck_wdecls.def", d->str);
  w.kind = kind < 0 ? CK_W_LEAF : (ck_wkind)kind;
  w.loc = srcloc(d->loc);
  w.section = -1;
  w.fl = make_path(S, d->a);
  w.hf = path_list(S, d->b, &w.n_hf);
  const ck_node *opt = d->d;
  switch (w.kind) {
  case CK_W_LEAF:
  case CK_W_LINEAR: {
    w.transform = CK_TF_PLAIN;
    if (d->c) {
      int found = name_index(transform_names, COUNT(transform_names),
                             d->c->str);
      if (found < 0)
        err(S, d->c->loc, "unknown transform '%s' (known: %s)", d->c->str,
            join_names(S->m->arena, transform_names, COUNT(transform_names),
                       ", "));
      else
        w.transform = found;
    }
    int np = opt ? ck_ast_count(opt->a) : 0;
    ck_wparam *params = NEWA(S->m, ck_wparam, np);
    int i = 0;
    for (const ck_node *p = opt ? opt->a : NULL; p; p = p->next, i++) {
      params[i].name = p->str;
      params[i].value = compile_expr(S, p->a, CTX_CLASS, cls);
      /* linear: `bias` is the bias rule; other names are transform
       * params, as for a leaf */
    }
    w.params = params;
    w.n_params = np;
    if (opt && opt->b) w.when = compile_expr(S, opt->b, CTX_CLASS, cls);
    if (opt && opt->c) w.count = compile_expr(S, opt->c, CTX_CLASS, cls);
    break;
  }
  case CK_W_NESTED:
  case CK_W_SEQUENCE:
  case CK_W_REPEAT:
    w.section = ck_section_find(s, d->c->str);
    if (w.section < 0) err(S, d->c->loc, "unknown section '%s'", d->c->str);
    if (opt && opt->a) w.config = compile_expr(S, opt->a, CTX_CLASS, cls);
    if (w.kind == CK_W_REPEAT && opt && opt->b)
      w.count = compile_expr(S, opt->b, CTX_CLASS, cls);
    else if (opt && opt->b)
      w.when = compile_expr(S, opt->b, CTX_CLASS, cls);
    if (w.kind == CK_W_NESTED) w.optional = (d->flags & CK_DECL_RECURSIVE) != 0;
    if (w.kind == CK_W_SEQUENCE) w.self = (d->flags & CK_DECL_RECURSIVE) != 0;
    break;
  case CK_W_SEQUENCE_DISPATCH:
  case CK_W_DISPATCH:
  case CK_W_TYPED_DICT:
    if (opt && opt->a) w.config = compile_expr(S, opt->a, CTX_CLASS, cls);
    if (w.kind == CK_W_SEQUENCE_DISPATCH) {
      w.self = (d->flags & CK_DECL_RECURSIVE) != 0;
      if (opt && opt->c) w.by = make_path(S, opt->c);
    }
    w.branches = compile_branches(S, d->c, &w.n_branches, 0);
    break;
  }
  if (!w.config && (w.kind == CK_W_NESTED || w.kind == CK_W_DISPATCH ||
                    w.kind == CK_W_TYPED_DICT ||
                    ((w.kind == CK_W_SEQUENCE ||
                      w.kind == CK_W_SEQUENCE_DISPATCH) && !w.self)))
    check_fl_path(S, cls, w.fl, d->a->loc);
  w.key = d->s2 ? d->s2 : w.fl->text;
  w.text = ck_arena_printf(S->m->arena, "%s %s", d->str, w.key);
  return w;
}

static void build_weights(sema *S, ck_section *sec, const ck_section *parent,
                          const ck_node *decls) {
  int n = parent ? parent->n_wdecls : 0;
  for (const ck_node *d = decls; d; d = d->next)
    if (strcmp(d->str, "weights") == 0) n += ck_ast_count(d->a);
  ck_wdecl *w = NEWA(S->m, ck_wdecl, n);
  int k = 0;
  int override = 0;
  for (const ck_node *d = decls; d; d = d->next)
    if (strcmp(d->str, "weights") == 0 && (d->flags & CK_DECL_RECURSIVE))
      override = 1;
  if (parent && parent->n_wdecls && !override) {
    memcpy(w, parent->wdecls, sizeof *w * (size_t)parent->n_wdecls);
    k = parent->n_wdecls;
  }
  int first_own = k;
  char *mine = ck_arena_alloc(S->m->arena, (size_t)n + 1);
  for (const ck_node *d = decls; d; d = d->next) {
    if (strcmp(d->str, "weights") != 0 || sec->cls < 0) continue;
    for (const ck_node *e = d->a; e; e = e->next) {
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
  const ck_node *n = S->m->section_nodes[si];
  ck_section *sec = &S->sections[si];
  const ck_section *parent = NULL;
  if (n->flags & CK_SECTION_EXTENDS) {
    int p = ck_section_find(s, n->s2);
    if (p < 0) {
      err(S, n->loc, "unknown parent section '%s'", n->s2);
    } else if (p == si || depth > 64) {
      err(S, n->loc, "section '%s' extends itself", sec->name);
    } else {
      S->section_done[si] = 0;
      build_section(S, p, depth + 1);
      S->section_done[si] = 1;
      parent = &S->sections[p];
      sec->cls = parent->cls;
      sec->hf_type_name = n->b ? n->b->str : parent->hf_type_name;
      if (n->d) {
        int c = ck_class_find(s, n->d->str);
        if (c < 0)
          err(S, n->d->loc, "unknown config class '%s'", n->d->str);
        else if (parent->cls >= 0 && !ck_class_is_subclass(s, c, parent->cls))
          err(S, n->d->loc, "'%s' is not a subclass of %s, the class of "
              "section '%s'", n->d->str, s->classes[parent->cls].name,
              parent->name);
        else
          sec->cls = c;
      }
    }
  }
  int nd = ck_ast_count(n->a) + (parent ? parent->n_decls : 0);
  ck_decl *decls = NEWA(S->m, ck_decl, nd);
  int k = 0;
  if (parent) {
    memcpy(decls, parent->decls, sizeof *decls * (size_t)parent->n_decls);
    k = parent->n_decls;
  }
  int first_own = k, idx = 0;
  char *mine = ck_arena_alloc(S->m->arena, (size_t)nd + 1); /* slots set here */
  for (const ck_node *d = n->a; d; d = d->next, idx++) {
    if (sec->cls < 0) break;
    if (strcmp(d->str, "weights") == 0) continue;
    ck_decl cd = compile_decl(S, d, sec->cls, idx);
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
  build_weights(S, sec, parent, n->a);
}

static void build_sections(sema *S, ck_node *items) {
  ck_spec *s = &S->m->spec;
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_SECTION) n++;
  S->sections = NEWA(S->m, ck_section, n);
  S->section_done = NEWA(S->m, int, n);
  S->m->section_nodes = NEWA(S->m, const ck_node *, n);
  s->sections = S->sections;
  s->n_sections = 0;
  for (ck_node *it = items; it; it = it->next) {
    if (it->kind != AST_SECTION) continue;
    if (ck_section_find(s, it->str) >= 0) {
      err(S, it->loc, "section '%s' is declared twice", it->str);
      continue;
    }
    int si = s->n_sections++;
    ck_section *sec = &S->sections[si];
    sec->name = it->str;
    sec->loc = srcloc(it->loc);
    sec->cls = -1;
    S->m->section_nodes[si] = it;
    if (!(it->flags & CK_SECTION_EXTENDS)) {
      sec->cls = ck_class_find(s, it->s2);
      if (sec->cls < 0)
        err(S, it->loc, "section '%s' is for unknown config class '%s'",
            it->str, it->s2);
      if (it->b) sec->hf_type_name = it->b->str;
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
  for (ck_node *it = items; it; it = it->next) {
    if (it->kind != AST_TABLE) continue;
    if (find_table(S, it->str)) {
      err(S, it->loc, "table '%s' is declared twice", it->str);
      continue;
    }
    ck_table *t = &S->tables[S->m->spec.n_tables++];
    t->name = it->str;
    int nr = ck_ast_count(it->a);
    ck_table_row *rows = NEWA(S->m, ck_table_row, nr);
    int i = 0;
    for (const ck_node *r = it->a; r; r = r->next, i++) {
      rows[i].fast_llm = compile_expr(S, r->a, CTX_CONST, -1);
      rows[i].hf = compile_expr(S, r->b, CTX_CONST, -1);
      rows[i].export_ok = !(r->flags & CK_ROW_IMPORT_ONLY);
      rows[i].import_ok = !(r->flags & CK_ROW_EXPORT_ONLY);
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
  for (ck_node *it = items; it; it = it->next) {
    if (it->kind != AST_ENUM) continue;
    if (find_enum(S, it->str)) {
      err(S, it->loc, "enum '%s' is declared twice", it->str);
      continue;
    }
    enum_def *e = &S->enums[S->n_enums++];
    e->name = it->str;
    e->n = ck_ast_count(it->a);
    const char **v = NEWA(S->m, const char *, e->n);
    int i = 0;
    for (const ck_node *x = it->a; x; x = x->next) v[i++] = x->str;
    e->values = v;
  }
}

static void build_allowlists(sema *S, ck_node *items) {
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_ALLOW) n++;
  S->allow = NEWA(S->m, ck_allowlist, n);
  S->m->spec.allowlists = S->allow;
  for (ck_node *it = items; it; it = it->next) {
    if (it->kind != AST_ALLOW) continue;
    if (strcmp(it->str, "common") && strcmp(it->str, "v4") &&
        strcmp(it->str, "v5"))
      err(S, it->loc, "allowlist layout must be common, v4 or v5, not '%s'",
          it->str);
    ck_allowlist *a = &S->allow[S->m->spec.n_allowlists++];
    a->layout = it->str;
    a->n_keys = ck_ast_count(it->a);
    const char **k = NEWA(S->m, const char *, a->n_keys);
    int i = 0;
    for (const ck_node *x = it->a; x; x = x->next) k[i++] = x->str;
    a->keys = k;
  }
}

static const ck_node *prop(const ck_node *fmt, const char *name) {
  for (const ck_node *p = fmt->a; p; p = p->next)
    if (strcmp(p->str, name) == 0) return p;
  return NULL;
}

static void build_formats(sema *S, ck_node *items) {
  ck_spec *s = &S->m->spec;
  static const char *const known[] = {"model_type", "architectures",
                                      "layouts", "root", "auto_map",
                                      "model", "skip_checks"};
  int n = 0;
  for (ck_node *it = items; it; it = it->next)
    if (it->kind == AST_FORMAT) n++;
  S->formats = NEWA(S->m, ck_format, n);
  s->formats = S->formats;
  for (ck_node *it = items; it; it = it->next) {
    if (it->kind != AST_FORMAT) continue;
    for (int i = 0; i < s->n_formats; i++)
      if (strcmp(S->formats[i].name, it->str) == 0)
        err(S, it->loc, "format '%s' is declared twice", it->str);
    ck_format *f = &S->formats[s->n_formats++];
    f->name = it->str;
    f->loc = srcloc(it->loc);
    f->root = f->model_class = -1;
    for (const ck_node *p = it->a; p; p = p->next) {
      if (name_index(known, COUNT(known), p->str) < 0)
        err(S, p->loc, "unknown format property '%s' (known: %s)", p->str,
            join_names(S->m->arena, known, COUNT(known), ", "));
    }
    const ck_node *p;
    if ((p = prop(it, "model_type")) && p->a->kind == AST_STR)
      f->model_type = p->a->str;
    else
      err(S, it->loc, "format '%s' needs: model_type \"name\"", f->name);
    if ((p = prop(it, "architectures"))) {
      f->n_architectures = ck_ast_count(p->a);
      const char **a = NEWA(S->m, const char *, f->n_architectures);
      int i = 0;
      for (const ck_node *x = p->a; x; x = x->next) a[i++] = x->str;
      f->architectures = a;
    } else {
      err(S, it->loc, "format '%s' needs: architectures \"Name\"", f->name);
    }
    if ((p = prop(it, "layouts"))) {
      for (const ck_node *x = p->a; x; x = x->next) {
        if (strcmp(x->str, "v4") == 0) f->layouts |= CK_LAYOUT_V4;
        else if (strcmp(x->str, "v5") == 0) f->layouts |= CK_LAYOUT_V5;
        else err(S, x->loc, "unknown layout '%s' (v4 or v5)", x->str);
      }
    } else {
      f->layouts = CK_LAYOUT_V4 | CK_LAYOUT_V5;
    }
    if ((p = prop(it, "root"))) {
      f->root = ck_section_find(s, p->a->str);
      if (f->root < 0) err(S, p->a->loc, "unknown section '%s'", p->a->str);
      else f->model_class = s->sections[f->root].cls;
    } else {
      err(S, it->loc, "format '%s' needs: root SectionName", f->name);
    }
    if ((p = prop(it, "skip_checks"))) {
      for (const ck_node *x = p->a; x; x = x->next) {
        if (strcmp(x->str, "model_type") == 0) f->skip_checks |= CK_SKIP_MODEL_TYPE;
        else if (strcmp(x->str, "architectures") == 0)
          f->skip_checks |= CK_SKIP_ARCHITECTURES;
        else err(S, x->loc, "skip_checks takes model_type and/or "
                 "architectures, not '%s'", x->str);
      }
    }
    if ((p = prop(it, "model"))) {
      f->model_class = ck_class_find(s, p->a->str);
      if (f->model_class < 0)
        err(S, p->a->loc, "unknown config class '%s'", p->a->str);
    }
    if ((p = prop(it, "auto_map"))) {
      const ck_node *kv = p->a->kind == AST_LIST ? p->a->a : NULL;
      int nk = ck_ast_count(kv);
      const char **am = NEWA(S->m, const char *, 2 * nk);
      int i = 0;
      for (; kv; kv = kv->next) {
        am[i++] = kv->a->str;
        am[i++] = kv->b->str;
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
    if (it->kind == AST_SECTION) n_decl += ck_ast_count(it->a);
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
