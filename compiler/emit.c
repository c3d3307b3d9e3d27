/* emit.c - code generation: ck_spec model -> generated/ck_tables.{c,h}.
 *
 * Last stage of convc.  Prints the model as plain `static const` C data
 * (children before parents, so no forward declarations), with every
 * entry's spec location.  Output depends only on the specs and their
 * order on the command line, so regenerating never changes a committed
 * file unless a spec changed.
 *
 * Every struct initializer is designated (`{.kind = CK_DECL_RENAME,
 * .key = "epsilon", ...}`), so reordering or inserting a member of a
 * common/ck_spec.h struct cannot silently change what a table means.
 * Members whose value is zero (0, NULL) are left out; indexes whose
 * "none" is -1 (class, section, parent, field indexes) are always
 * written, and enum values are written by their names.
 * tests/compiler/run.sh checks the generated file for this.
 */
#include "compiler.h"
#include "ck_sha256.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kinds from common/'s lists, printed by their enum names so that the
 * tables do not depend on the order of a list. */
static const char *const hint_ids[] = {
#define CK_HINT(id, name, doc) [CK_HINT_##id] = "CK_HINT_" #id,
#include "ck_hints.def"
#undef CK_HINT
};

static const char *const decl_ids[] = {
#define CK_DECL(id, word, label, doc) [CK_DECL_##id] = "CK_DECL_" #id,
#include "ck_decls.def"
#undef CK_DECL
};

static const char *const wdecl_ids[] = {
#define CK_WDECL(id, word, label, doc) [CK_W_##id] = "CK_W_" #id,
#include "ck_wdecls.def"
#undef CK_WDECL
};

static const char *const transform_ids[] = {
#define CK_TRANSFORM(id, name, kind) [CK_TF_##id] = "CK_TF_" #id,
#include "ck_transforms.def"
#undef CK_TRANSFORM
};

/* The enums ck_spec.h writes out itself (no .def list).  Each name is
 * tied to its value by the designator, so a misspelt name does not
 * compile and a reordered enum still prints right; a value without a
 * name (a new enumerator) makes convc fail (enum_name) instead of
 * printing a wrong or numeric value. */
#define ID(x) [x] = #x
static const char *const ex_ids[] = {
  ID(CK_EX_NULL), ID(CK_EX_BOOL), ID(CK_EX_INT), ID(CK_EX_FLOAT),
  ID(CK_EX_STR), ID(CK_EX_LIST), ID(CK_EX_PATH), ID(CK_EX_SELF),
  ID(CK_EX_NOT), ID(CK_EX_NEG), ID(CK_EX_AND), ID(CK_EX_OR),
  ID(CK_EX_ADD), ID(CK_EX_SUB), ID(CK_EX_MUL), ID(CK_EX_DIV),
  ID(CK_EX_FLOORDIV), ID(CK_EX_MOD), ID(CK_EX_EQ), ID(CK_EX_NE),
  ID(CK_EX_LT), ID(CK_EX_LE), ID(CK_EX_GT), ID(CK_EX_GE), ID(CK_EX_IN),
  ID(CK_EX_NOT_IN), ID(CK_EX_IS), ID(CK_EX_IS_NOT), ID(CK_EX_IF),
  ID(CK_EX_CALL), ID(CK_EX_COALESCE),
};
static const char *const type_ids[] = {
  ID(CK_TY_ANY), ID(CK_TY_INT), ID(CK_TY_FLOAT), ID(CK_TY_BOOL),
  ID(CK_TY_STR), ID(CK_TY_ENUM), ID(CK_TY_CONFIG), ID(CK_TY_LIST),
  ID(CK_TY_DICT),
};
static const char *const def_ids[] = {
  ID(CK_DEF_EMPTY), ID(CK_DEF_VALUE), ID(CK_DEF_IMPLICIT),
  ID(CK_DEF_REQUIRED),
};
static const char *const member_ids[] = {
  ID(CK_M_PARAM), ID(CK_M_MODULE), ID(CK_M_REPEAT), ID(CK_M_TIE),
};
/* bit masks: each entry is one bit */
static const struct bit {
  int bit;
  const char *name;
} layout_bits[] = {
  {CK_LAYOUT_V4, "CK_LAYOUT_V4"}, {CK_LAYOUT_V5, "CK_LAYOUT_V5"},
}, skip_bits[] = {
  {CK_SKIP_MODEL_TYPE, "CK_SKIP_MODEL_TYPE"},
  {CK_SKIP_ARCHITECTURES, "CK_SKIP_ARCHITECTURES"},
};
#undef ID
#define N_OF(a) (int)(sizeof(a) / sizeof *(a))

typedef struct emitter {
  FILE *f;
  int next_id;
  const ck_spec *s;
  int failed; /* a value had no name: the output is not written */
} emitter;

static void put_str(FILE *f, const char *s) {
  if (!s) {
    fputs("NULL", f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c == '\n') fputs("\\n", f);
    else if (c < 32 || c >= 127) fprintf(f, "\\%03o", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

/* The name of enum value v of a list, or NULL (and the emitter fails). */
static const char *enum_name(emitter *E, const char *const *names, int n,
                             int v, const char *what) {
  if (v >= 0 && v < n && names[v]) return names[v];
  fprintf(stderr, "convc: internal error: %s %d has no name in emit.c\n",
          what, v);
  E->failed = 1;
  return NULL;
}
#define ENUM(E, list, v, what) enum_name(E, list, N_OF(list), (int)(v), what)

/* ---------------------------------------- designated initializers */
/* One struct initializer, `{.a = 1, .b = x}`, printed member by member:
 * ini_open, then the members, then ini_close. */
typedef struct ini {
  emitter *E;
  int n; /* members printed so far */
} ini;

static ini ini_open(emitter *E) {
  fputc('{', E->f);
  return (ini){E, 0};
}

static void ini_close(ini *in) { fputc('}', in->E->f); }

/* starts member `name`; its value is printed next */
static FILE *mem(ini *in, const char *name) {
  fprintf(in->E->f, "%s.%s = ", in->n++ ? ", " : "", name);
  return in->E->f;
}

/* an int, left out when 0 */
static void m_int(ini *in, const char *name, long v) {
  if (v) fprintf(mem(in, name), "%ld", v);
}

/* an index whose "none" is -1: always written */
static void m_idx(ini *in, const char *name, int v) {
  fprintf(mem(in, name), "%d", v);
}

/* an enum value, always written, by name */
static void m_enum(ini *in, const char *name, const char *id) {
  fputs(id ? id : "0", mem(in, name));
}

/* a bit mask of the bits in b, left out when 0 */
static void m_bits(ini *in, const char *name, int v, const struct bit *b,
                   int nb) {
  if (!v) return;
  FILE *f = mem(in, name);
  int first = 1;
  for (int i = 0; i < nb; i++)
    if (v & b[i].bit) {
      fprintf(f, "%s%s", first ? "" : " | ", b[i].name);
      first = 0;
      v &= ~b[i].bit;
    }
  if (v) {
    fprintf(stderr, "convc: internal error: %s bits %#x have no name\n",
            name, v);
    in->E->failed = 1;
    fprintf(f, "%s%d", first ? "" : " | ", v);
  }
}

/* a string, left out when NULL */
static void m_str(ini *in, const char *name, const char *s) {
  if (s) put_str(mem(in, name), s);
}

/* a pointer to ck_<prefix><id>, left out when id < 0 */
static void m_ref(ini *in, const char *name, const char *prefix, int id) {
  if (id >= 0) fprintf(mem(in, name), "&%s%d", prefix, id);
}

/* the first element of path array ck_paths<id>, left out when id < 0 */
static void m_path(ini *in, const char *name, int id) {
  if (id >= 0) fprintf(mem(in, name), "&ck_paths%d[0]", id);
}

/* array <prefix><id> and its count, left out when id < 0 */
static void m_arr(ini *in, const char *name, const char *prefix, int id,
                  const char *count, int n) {
  if (id < 0) return;
  fprintf(mem(in, name), "%s%d", prefix, id);
  m_int(in, count, n);
}

static void m_loc(ini *in, ck_srcloc l) {
  if (!l.file && !l.line && !l.col) return;
  mem(in, "loc");
  ini lo = ini_open(in->E);
  m_str(&lo, "file", l.file);
  m_int(&lo, "line", l.line);
  m_int(&lo, "col", l.col);
  ini_close(&lo);
}

/* Emit the segment array of a path; returns its id. */
static int emit_segs(emitter *E, const ck_path *p) {
  int id = E->next_id++;
  fprintf(E->f, "static const char *const ck_seg%d[] = {", id);
  for (int i = 0; i < p->n; i++) {
    if (i) fputs(", ", E->f);
    put_str(E->f, p->seg[i]);
  }
  fputs("};\n", E->f);
  return id;
}

/* Emit an array of paths; returns its id, or -1 for none. */
static int emit_paths(emitter *E, const ck_path *p, int n) {
  if (!p || n == 0) return -1;
  int *segs = calloc((size_t)n, sizeof *segs);
  for (int i = 0; i < n; i++) segs[i] = emit_segs(E, &p[i]);
  int id = E->next_id++;
  fprintf(E->f, "static const ck_path ck_paths%d[] = {\n", id);
  for (int i = 0; i < n; i++) {
    fputs("  ", E->f);
    ini in = ini_open(E);
    fprintf(mem(&in, "seg"), "ck_seg%d", segs[i]);
    m_int(&in, "n", p[i].n);
    m_str(&in, "text", p[i].text);
    ini_close(&in);
    fputs(",\n", E->f);
  }
  fputs("};\n", E->f);
  free(segs);
  return id;
}

static int emit_expr(emitter *E, const ck_expr *e) {
  if (!e) return -1;
  int *args = NULL;
  int path = -1, argv = -1;
  if (e->n_args > 0) {
    args = calloc((size_t)e->n_args, sizeof *args);
    for (int i = 0; i < e->n_args; i++) args[i] = emit_expr(E, e->args[i]);
    argv = E->next_id++;
    fprintf(E->f, "static const ck_expr *const ck_args%d[] = {", argv);
    for (int i = 0; i < e->n_args; i++)
      fprintf(E->f, "%s&ck_expr%d", i ? ", " : "", args[i]);
    fputs("};\n", E->f);
    free(args);
  }
  if (e->path) path = emit_paths(E, e->path, 1);
  int id = E->next_id++;
  fprintf(E->f, "static const ck_expr ck_expr%d = ", id);
  ini in = ini_open(E);
  m_enum(&in, "op", ENUM(E, ex_ids, e->op, "ck_ex_op"));
  if (e->i) fprintf(mem(&in, "i"), "%lldLL", e->i);
  /* -0.0 is not the zero value */
  if (e->f != 0 || signbit(e->f)) fprintf(mem(&in, "f"), "%.17g", e->f);
  m_str(&in, "s", e->s);
  m_path(&in, "path", path);
  m_arr(&in, "args", "ck_args", argv, "n_args", e->n_args);
  m_idx(&in, "cls", e->cls);
  m_str(&in, "text", e->text);
  m_loc(&in, e->loc);
  ini_close(&in);
  fputs(";\n", E->f);
  return id;
}

static int emit_type(emitter *E, const ck_type *t) {
  int elem = t->elem ? emit_type(E, t->elem) : -1;
  int ev = -1;
  if (t->n_enum > 0) {
    ev = E->next_id++;
    fprintf(E->f, "static const char *const ck_enum%d[] = {", ev);
    for (int i = 0; i < t->n_enum; i++) {
      if (i) fputs(", ", E->f);
      put_str(E->f, t->enum_values[i]);
    }
    fputs("};\n", E->f);
  }
  int id = E->next_id++;
  fprintf(E->f, "static const ck_type ck_type%d = ", id);
  ini in = ini_open(E);
  m_enum(&in, "kind", ENUM(E, type_ids, t->kind, "ck_type_kind"));
  m_int(&in, "optional", t->optional);
  m_ref(&in, "elem", "ck_type", elem);
  m_idx(&in, "cls", t->cls);
  m_arr(&in, "enum_values", "ck_enum", ev, "n_enum", t->n_enum);
  m_str(&in, "text", t->text);
  ini_close(&in);
  fputs(";\n", E->f);
  return id;
}

static int emit_exprs(emitter *E, const ck_expr *const *v, int n) {
  if (n == 0) return -1;
  int *ids = calloc((size_t)n, sizeof *ids);
  for (int i = 0; i < n; i++) ids[i] = emit_expr(E, v[i]);
  int id = E->next_id++;
  fprintf(E->f, "static const ck_expr *const ck_args%d[] = {", id);
  for (int i = 0; i < n; i++)
    fprintf(E->f, "%s&ck_expr%d", i ? ", " : "", ids[i]);
  fputs("};\n", E->f);
  free(ids);
  return id;
}

/* Emit an array of named expressions; returns its id, or -1 for none. */
static int emit_named(emitter *E, const ck_wparam *p, int n) {
  if (n == 0) return -1;
  int *vals = calloc((size_t)n, sizeof *vals);
  for (int i = 0; i < n; i++) vals[i] = emit_expr(E, p[i].value);
  int id = E->next_id++;
  fprintf(E->f, "static const ck_wparam ck_wparams%d[] = {", id);
  for (int i = 0; i < n; i++) {
    if (i) fputs(", ", E->f);
    ini in = ini_open(E);
    m_str(&in, "name", p[i].name);
    m_ref(&in, "value", "ck_expr", vals[i]);
    ini_close(&in);
  }
  fputs("};\n", E->f);
  free(vals);
  return id;
}

static int emit_members(emitter *E, const ck_class *c) {
  if (c->n_members == 0) return -1;
  int (*ids)[7] = calloc((size_t)c->n_members, sizeof *ids);
  for (int i = 0; i < c->n_members; i++) {
    const ck_member *m = &c->members[i];
    ids[i][0] = emit_paths(E, m->name, 1);
    ids[i][1] = emit_exprs(E, m->dims, m->n_dims);
    ids[i][2] = emit_expr(E, m->value);
    ids[i][3] = m->target ? emit_paths(E, m->target, 1) : -1;
    ids[i][4] = emit_expr(E, m->when);
    ids[i][5] = emit_expr(E, m->count);
    ids[i][6] = emit_named(E, m->args, m->n_args);
  }
  int id = E->next_id++;
  fprintf(E->f, "static const ck_member ck_members%d[] = {\n", id);
  for (int i = 0; i < c->n_members; i++) {
    const ck_member *m = &c->members[i];
    fputs("  ", E->f);
    ini in = ini_open(E);
    m_enum(&in, "kind", ENUM(E, member_ids, m->kind, "ck_member_kind"));
    m_path(&in, "name", ids[i][0]);
    m_arr(&in, "dims", "ck_args", ids[i][1], "n_dims", m->n_dims);
    m_ref(&in, "value", "ck_expr", ids[i][2]);
    m_path(&in, "target", ids[i][3]);
    m_ref(&in, "when", "ck_expr", ids[i][4]);
    m_ref(&in, "count", "ck_expr", ids[i][5]);
    m_arr(&in, "args", "ck_wparams", ids[i][6], "n_args", m->n_args);
    m_loc(&in, m->loc);
    ini_close(&in);
    fputs(",\n", E->f);
  }
  fputs("};\n", E->f);
  free(ids);
  return id;
}

static void emit_class(emitter *E, int ci, int *fields_id, int *checks_id) {
  const ck_class *c = &E->s->classes[ci];
  int *types = calloc((size_t)c->n_fields + 1, sizeof *types);
  int *defs = calloc((size_t)c->n_fields + 1, sizeof *defs);
  int *bounds = calloc((size_t)c->n_fields + 1, sizeof *bounds);
  for (int i = 0; i < c->n_fields; i++) {
    types[i] = emit_type(E, c->fields[i].type);
    defs[i] = emit_expr(E, c->fields[i].def);
    bounds[i] = emit_expr(E, c->fields[i].bound);
  }
  *fields_id = E->next_id++;
  fprintf(E->f, "static const ck_field ck_fields%d[] = {\n", *fields_id);
  for (int i = 0; i < c->n_fields; i++) {
    const ck_field *f = &c->fields[i];
    fputs("  ", E->f);
    ini in = ini_open(E);
    m_str(&in, "name", f->name);
    m_enum(&in, "hint", ENUM(E, hint_ids, f->hint, "ck_hint"));
    m_ref(&in, "type", "ck_type", types[i]);
    m_enum(&in, "def_kind",
           ENUM(E, def_ids, f->def_kind, "ck_default_kind"));
    m_ref(&in, "def", "ck_expr", defs[i]);
    /* CK_EX_NULL: no bound */
    if (f->cmp != CK_EX_NULL)
      m_enum(&in, "cmp", ENUM(E, ex_ids, f->cmp, "ck_ex_op"));
    m_ref(&in, "bound", "ck_expr", bounds[i]);
    m_idx(&in, "owner", f->owner);
    m_int(&in, "always", f->always);
    m_loc(&in, f->loc);
    ini_close(&in);
    fputs(",\n", E->f);
  }
  fputs("};\n", E->f);
  free(types);
  free(defs);
  free(bounds);
  *checks_id = -1;
  if (c->n_checks > 0) {
    int *conds = calloc((size_t)c->n_checks, sizeof *conds);
    for (int i = 0; i < c->n_checks; i++)
      conds[i] = emit_expr(E, c->checks[i].cond);
    *checks_id = E->next_id++;
    fprintf(E->f, "static const ck_check ck_checks%d[] = {\n", *checks_id);
    for (int i = 0; i < c->n_checks; i++) {
      fputs("  ", E->f);
      ini in = ini_open(E);
      m_ref(&in, "cond", "ck_expr", conds[i]);
      m_str(&in, "message", c->checks[i].message);
      m_loc(&in, c->checks[i].loc);
      ini_close(&in);
      fputs(",\n", E->f);
    }
    fputs("};\n", E->f);
    free(conds);
  }
}

/* Emit a branch array (with per-branch HF prefixes); returns its id. */
static int emit_branches(emitter *E, const ck_branch *br, int n) {
  if (n == 0) return -1;
  int *hf = calloc((size_t)n, sizeof *hf);
  for (int b = 0; b < n; b++)
    hf[b] = br[b].hf ? emit_paths(E, br[b].hf, 1) : -1;
  int id = E->next_id++;
  fprintf(E->f, "static const ck_branch ck_branches%d[] = {", id);
  for (int b = 0; b < n; b++) {
    if (b) fputs(", ", E->f);
    ini in = ini_open(E);
    m_idx(&in, "cls", br[b].cls);
    m_idx(&in, "section", br[b].section);
    m_path(&in, "hf", hf[b]);
    m_int(&in, "is_default", br[b].is_default);
    ini_close(&in);
  }
  fputs("};\n", E->f);
  free(hf);
  return id;
}

static int emit_wdecls(emitter *E, const ck_section *sec) {
  int n = sec->n_wdecls;
  if (n == 0) return -1;
  int (*ids)[8] = calloc((size_t)n, sizeof *ids);
  for (int i = 0; i < n; i++) {
    const ck_wdecl *w = &sec->wdecls[i];
    ids[i][0] = emit_paths(E, w->fl, 1);
    ids[i][1] = emit_paths(E, w->hf, w->n_hf);
    ids[i][2] = emit_expr(E, w->config);
    ids[i][3] = emit_expr(E, w->when);
    ids[i][4] = emit_expr(E, w->count);
    ids[i][5] = emit_branches(E, w->branches, w->n_branches);
    ids[i][7] = w->by ? emit_paths(E, w->by, 1) : -1;
    ids[i][6] = emit_named(E, w->params, w->n_params);
  }
  int id = E->next_id++;
  fprintf(E->f, "static const ck_wdecl ck_wdecls%d[] = {\n", id);
  for (int i = 0; i < n; i++) {
    const ck_wdecl *w = &sec->wdecls[i];
    fputs("  ", E->f);
    ini in = ini_open(E);
    m_enum(&in, "kind", ENUM(E, wdecl_ids, w->kind, "ck_wkind"));
    m_str(&in, "key", w->key);
    m_path(&in, "fl", ids[i][0]);
    m_arr(&in, "hf", "ck_paths", ids[i][1], "n_hf", w->n_hf);
    m_enum(&in, "transform",
           ENUM(E, transform_ids, w->transform, "ck_transform_id"));
    m_arr(&in, "params", "ck_wparams", ids[i][6], "n_params", w->n_params);
    m_ref(&in, "config", "ck_expr", ids[i][2]);
    m_ref(&in, "when", "ck_expr", ids[i][3]);
    m_ref(&in, "count", "ck_expr", ids[i][4]);
    m_int(&in, "optional", w->optional);
    m_int(&in, "self", w->self);
    m_idx(&in, "section", w->section);
    m_arr(&in, "branches", "ck_branches", ids[i][5], "n_branches",
          w->n_branches);
    m_path(&in, "by", ids[i][7]);
    m_str(&in, "text", w->text);
    m_loc(&in, w->loc);
    ini_close(&in);
    fputs(",\n", E->f);
  }
  fputs("};\n", E->f);
  free(ids);
  return id;
}

static int emit_decls(emitter *E, const ck_section *sec) {
  int n = sec->n_decls;
  if (n == 0) return -1;
  int (*ids)[8] = calloc((size_t)n, sizeof *ids);
  for (int i = 0; i < n; i++) {
    const ck_decl *d = &sec->decls[i];
    ids[i][0] = emit_paths(E, d->fl, d->n_fl);
    ids[i][1] = emit_paths(E, d->hf, d->n_hf);
    ids[i][2] = emit_expr(E, d->value);
    ids[i][3] = d->at ? emit_paths(E, d->at, 1) : -1;
    ids[i][4] = emit_branches(E, d->branches, d->n_branches);
    ids[i][5] = emit_expr(E, d->when);
    ids[i][7] = d->by ? emit_paths(E, d->by, 1) : -1;
    ids[i][6] = -1;
    if (d->table) {
      for (int t = 0; t < E->s->n_tables; t++)
        if (&E->s->tables[t] == d->table) ids[i][6] = t;
    }
  }
  int id = E->next_id++;
  fprintf(E->f, "static const ck_decl ck_decls%d[] = {\n", id);
  for (int i = 0; i < n; i++) {
    const ck_decl *d = &sec->decls[i];
    fputs("  ", E->f);
    ini in = ini_open(E);
    m_enum(&in, "kind", ENUM(E, decl_ids, d->kind, "ck_decl_kind"));
    m_str(&in, "key", d->key);
    m_arr(&in, "fl", "ck_paths", ids[i][0], "n_fl", d->n_fl);
    m_arr(&in, "hf", "ck_paths", ids[i][1], "n_hf", d->n_hf);
    m_int(&in, "recursive", d->recursive);
    m_ref(&in, "value", "ck_expr", ids[i][2]);
    m_int(&in, "has_sentinel", d->has_sentinel);
    if (ids[i][6] >= 0)
      fprintf(mem(&in, "table"), "&ck_all_tables[%d]", ids[i][6]);
    m_idx(&in, "section", d->section);
    m_path(&in, "at", ids[i][3]);
    m_int(&in, "self_config", d->self_config);
    m_ref(&in, "when", "ck_expr", ids[i][5]);
    m_int(&in, "opaque_hf", d->opaque_hf);
    m_path(&in, "by", ids[i][7]);
    m_arr(&in, "branches", "ck_branches", ids[i][4], "n_branches",
          d->n_branches);
    m_str(&in, "discriminator", d->discriminator);
    if (d->kind == CK_DECL_CUSTOM)
      fprintf(mem(&in, "hook"), "&ck_hook_%s", d->message);
    m_str(&in, "message", d->message);
    m_str(&in, "text", d->text);
    m_loc(&in, d->loc);
    m_bits(&in, "layout", d->layout, layout_bits, N_OF(layout_bits));
    m_idx(&in, "fixed_cls", d->fixed_cls);
    m_idx(&in, "pattern_cls", d->pattern_cls);
    ini_close(&in);
    fputs(",\n", E->f);
  }
  fputs("};\n", E->f);
  free(ids);
  return id;
}

static int write_file_if_changed(const char *path, const char *data,
                                 size_t len) {
  FILE *f = fopen(path, "rb");
  if (f) {
    char *old = malloc(len + 1);
    size_t r = old ? fread(old, 1, len + 1, f) : 0;
    fclose(f);
    int same = old && r == len && memcmp(old, data, len) == 0;
    free(old);
    if (same) return 0;
  }
  f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "convc: error: cannot write %s: %s\n", path,
            strerror(errno));
    return -1;
  }
  return 0;
}

/* Embed a data file as a C string literal, 16 bytes a line. */
static int emit_data(FILE *f, int i, const char *path) {
  FILE *in = fopen(path, "rb");
  if (!in) {
    fprintf(stderr, "convc: error: cannot read data file %s: %s\n", path,
            strerror(errno));
    return -1;
  }
  fprintf(f, "static const char ck_data%d[] =\n  \"", i);
  int c, col = 0;
  unsigned long n = 0;
  while ((c = fgetc(in)) != EOF) {
    fprintf(f, "\\%03o", (unsigned char)c);
    n++;
    if (++col == 16) {
      fputs("\"\n  \"", f);
      col = 0;
    }
  }
  fputs("\";\n", f);
  fclose(in);
  return (int)n;
}

/* The digest of the compiled files: for each, its base name, a NUL, its
 * contents, a NUL.  Base names keep it independent of the directory
 * convc was run from. */
static int sources_digest(const char *const *inputs, int n_inputs,
                          const char *const *data, int n_data,
                          char hex[65]) {
  ck_sha256 s;
  ck_sha256_init(&s);
  for (int i = 0; i < n_inputs + n_data; i++) {
    const char *path = i < n_inputs ? inputs[i] : data[i - n_inputs];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    ck_sha256_update(&s, base, strlen(base) + 1);
    FILE *in = fopen(path, "rb");
    if (!in) {
      fprintf(stderr, "convc: cannot read %s\n", path);
      return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) ck_sha256_update(&s, buf, n);
    fclose(in);
    ck_sha256_update(&s, "", 1);
  }
  ck_sha256_hex(&s, hex);
  return 0;
}

int ck_emit(const ck_model *m, const char *outdir, const char *const *inputs,
            int n_inputs, const char *symbol, const char *const *data,
            int n_data) {
  const ck_spec *s = &m->spec;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  emitter E = {f, 0, s, 0};
  ini in;
  fputs("/* Generated by convc from", f);
  for (int i = 0; i < n_inputs; i++) fprintf(f, " %s", inputs[i]);
  fputs(";\n * do not edit.  Regenerate with `make`. */\n", f);
  fputs("#include \"ck_spec.h\"\n\n#include <stddef.h>\n\n", f);
  fputs("struct ck_hook;\n", f);
  for (int i = 0; i < s->n_hooks; i++)
    fprintf(f, "extern const struct ck_hook ck_hook_%s;\n", s->hooks[i]);
  fprintf(f, "static const ck_table ck_all_tables[%d];\n\n",
          s->n_tables ? s->n_tables : 1);

  /* value tables */
  int *rows = calloc((size_t)s->n_tables + 1, sizeof *rows);
  for (int t = 0; t < s->n_tables; t++) {
    const ck_table *tb = &s->tables[t];
    int *fl = calloc((size_t)tb->n_rows + 1, sizeof *fl);
    int *hf = calloc((size_t)tb->n_rows + 1, sizeof *hf);
    for (int r = 0; r < tb->n_rows; r++) {
      fl[r] = emit_expr(&E, tb->rows[r].fast_llm);
      hf[r] = emit_expr(&E, tb->rows[r].hf);
    }
    rows[t] = E.next_id++;
    fprintf(f, "static const ck_table_row ck_rows%d[] = {\n", rows[t]);
    for (int r = 0; r < tb->n_rows; r++) {
      fputs("  ", f);
      in = ini_open(&E);
      m_ref(&in, "fast_llm", "ck_expr", fl[r]);
      m_ref(&in, "hf", "ck_expr", hf[r]);
      m_int(&in, "export_ok", tb->rows[r].export_ok);
      m_int(&in, "import_ok", tb->rows[r].import_ok);
      ini_close(&in);
      fputs(",\n", f);
    }
    fputs("};\n", f);
    free(fl);
    free(hf);
  }
  fprintf(f, "static const ck_table ck_all_tables[%d] = {\n",
          s->n_tables ? s->n_tables : 1);
  for (int t = 0; t < s->n_tables; t++) {
    fputs("  ", f);
    in = ini_open(&E);
    m_str(&in, "name", s->tables[t].name);
    m_arr(&in, "rows", "ck_rows", rows[t], "n_rows", s->tables[t].n_rows);
    ini_close(&in);
    fputs(",\n", f);
  }
  if (s->n_tables == 0) fputs("  {.name = NULL},\n", f);
  fputs("};\n\n", f);
  free(rows);

  /* classes */
  int *fid = calloc((size_t)s->n_classes + 1, sizeof *fid);
  int *cid = calloc((size_t)s->n_classes + 1, sizeof *cid);
  int *mid = calloc((size_t)s->n_classes + 1, sizeof *mid);
  for (int c = 0; c < s->n_classes; c++) {
    emit_class(&E, c, &fid[c], &cid[c]);
    mid[c] = emit_members(&E, &s->classes[c]);
  }
  fprintf(f, "\nstatic const ck_class ck_classes[%d] = {\n",
          s->n_classes ? s->n_classes : 1);
  for (int c = 0; c < s->n_classes; c++) {
    const ck_class *k = &s->classes[c];
    fprintf(f, "  /* %d */ ", c);
    in = ini_open(&E);
    m_str(&in, "name", k->name);
    m_idx(&in, "parent", k->parent);
    m_str(&in, "dynamic_name", k->dynamic_name);
    m_idx(&in, "registry", k->registry);
    m_idx(&in, "default_subclass", k->default_subclass);
    m_int(&in, "abstract", k->abstract);
    m_arr(&in, "fields", "ck_fields", fid[c], "n_fields", k->n_fields);
    m_arr(&in, "checks", "ck_checks", cid[c], "n_checks", k->n_checks);
    m_arr(&in, "members", "ck_members", mid[c], "n_members", k->n_members);
    m_loc(&in, k->loc);
    m_idx(&in, "seq_block", k->seq_block);
    m_idx(&in, "seq_blocks", k->seq_blocks);
    m_idx(&in, "seq_pattern", k->seq_pattern);
    m_idx(&in, "seq_count", k->seq_count);
    ini_close(&in);
    fputs(",\n", f);
  }
  fputs("};\n\n", f);
  free(fid);
  free(cid);
  free(mid);

  /* sections */
  int *did = calloc((size_t)s->n_sections + 1, sizeof *did);
  int *wid = calloc((size_t)s->n_sections + 1, sizeof *wid);
  for (int i = 0; i < s->n_sections; i++) {
    did[i] = emit_decls(&E, &s->sections[i]);
    wid[i] = emit_wdecls(&E, &s->sections[i]);
  }
  fprintf(f, "\nstatic const ck_section ck_sections[%d] = {\n",
          s->n_sections ? s->n_sections : 1);
  for (int i = 0; i < s->n_sections; i++) {
    const ck_section *sec = &s->sections[i];
    fprintf(f, "  /* %d */ ", i);
    in = ini_open(&E);
    m_str(&in, "name", sec->name);
    m_idx(&in, "cls", sec->cls);
    m_str(&in, "hf_type_name", sec->hf_type_name);
    m_arr(&in, "decls", "ck_decls", did[i], "n_decls", sec->n_decls);
    m_arr(&in, "wdecls", "ck_wdecls", wid[i], "n_wdecls", sec->n_wdecls);
    m_loc(&in, sec->loc);
    ini_close(&in);
    fputs(",\n", f);
  }
  fputs("};\n\n", f);
  free(did);
  free(wid);

  /* formats */
  for (int i = 0; i < s->n_formats; i++) {
    const ck_format *fm = &s->formats[i];
    fprintf(f, "static const char *const ck_arch%d[] = {", i);
    for (int a = 0; a < fm->n_architectures; a++) {
      if (a) fputs(", ", f);
      put_str(f, fm->architectures[a]);
    }
    fputs(fm->n_architectures ? "};\n" : "NULL};\n", f);
    fprintf(f, "static const char *const ck_automap%d[] = {", i);
    for (int a = 0; a < 2 * fm->n_auto_map; a++) {
      if (a) fputs(", ", f);
      put_str(f, fm->auto_map[a]);
    }
    fputs(fm->n_auto_map ? "};\n" : "NULL};\n", f);
    fprintf(f, "static const char *const ck_buffers%d[] = {", i);
    for (int a = 0; a < fm->n_buffers; a++) {
      if (a) fputs(", ", f);
      put_str(f, fm->buffers[a]);
    }
    fputs(fm->n_buffers ? "};\n" : "NULL};\n", f);
  }
  fprintf(f, "static const ck_format ck_formats[%d] = {\n",
          s->n_formats ? s->n_formats : 1);
  for (int i = 0; i < s->n_formats; i++) {
    const ck_format *fm = &s->formats[i];
    fputs("  ", f);
    in = ini_open(&E);
    m_str(&in, "name", fm->name);
    m_str(&in, "model_type", fm->model_type);
    fprintf(mem(&in, "architectures"), "ck_arch%d", i);
    m_int(&in, "n_architectures", fm->n_architectures);
    fprintf(mem(&in, "auto_map"), "ck_automap%d", i);
    m_int(&in, "n_auto_map", fm->n_auto_map);
    fprintf(mem(&in, "buffers"), "ck_buffers%d", i);
    m_int(&in, "n_buffers", fm->n_buffers);
    m_bits(&in, "layouts", fm->layouts, layout_bits, N_OF(layout_bits));
    m_bits(&in, "skip_checks", fm->skip_checks, skip_bits,
           N_OF(skip_bits));
    m_idx(&in, "root", fm->root);
    m_idx(&in, "model_class", fm->model_class);
    m_loc(&in, fm->loc);
    ini_close(&in);
    fputs(",\n", f);
  }
  fputs("};\n\n", f);

  /* allowlists and hooks */
  for (int i = 0; i < s->n_allowlists; i++) {
    fprintf(f, "static const char *const ck_allow%d[] = {\n", i);
    for (int k = 0; k < s->allowlists[i].n_keys; k++) {
      fputs("  ", f);
      put_str(f, s->allowlists[i].keys[k]);
      fputs(",\n", f);
    }
    fputs("};\n", f);
  }
  fprintf(f, "static const ck_allowlist ck_allowlists[%d] = {\n",
          s->n_allowlists ? s->n_allowlists : 1);
  for (int i = 0; i < s->n_allowlists; i++) {
    fputs("  ", f);
    in = ini_open(&E);
    m_str(&in, "layout", s->allowlists[i].layout);
    fprintf(mem(&in, "keys"), "ck_allow%d", i);
    m_int(&in, "n_keys", s->allowlists[i].n_keys);
    ini_close(&in);
    fputs(",\n", f);
  }
  fputs("};\n", f);
  fprintf(f, "static const char *const ck_hook_names[%d] = {",
          s->n_hooks ? s->n_hooks : 1);
  for (int i = 0; i < s->n_hooks; i++) {
    if (i) fputs(", ", f);
    put_str(f, s->hooks[i]);
  }
  fputs(s->n_hooks ? "};\n\n" : "NULL};\n\n", f);

  int data_ok = 1;
  int *data_len = calloc((size_t)n_data + 1, sizeof *data_len);
  for (int i = 0; i < n_data; i++)
    if ((data_len[i] = emit_data(f, i, data[i])) < 0) data_ok = 0;
  fprintf(f, "static const ck_data ck_data_files[%d] = {\n",
          n_data ? n_data : 1);
  for (int i = 0; i < n_data; i++) {
    const char *base = strrchr(data[i], '/');
    fputs("  ", f);
    in = ini_open(&E);
    m_str(&in, "name", base ? base + 1 : data[i]);
    fprintf(mem(&in, "text"), "ck_data%d", i);
    if (data_len[i]) fprintf(mem(&in, "len"), "%dUL", data_len[i]);
    ini_close(&in);
    fputs(",\n", f);
  }
  if (n_data == 0) fputs("  {.name = NULL},\n", f);
  fputs("};\n\n", f);
  free(data_len);
  char digest[65];
  if (sources_digest(inputs, n_inputs, data, n_data, digest)) data_ok = 0;
  fprintf(f, "const ck_spec %s = {\n", symbol);
  static const char *const arrays[][3] = {
    {"classes", "ck_classes", "n_classes"},
    {"sections", "ck_sections", "n_sections"},
    {"formats", "ck_formats", "n_formats"},
    {"tables", "ck_all_tables", "n_tables"},
    {"allowlists", "ck_allowlists", "n_allowlists"},
    {"hooks", "ck_hook_names", "n_hooks"},
    {"data", "ck_data_files", "n_data"},
  };
  const int counts[] = {s->n_classes, s->n_sections, s->n_formats,
                        s->n_tables, s->n_allowlists, s->n_hooks, n_data};
  for (int i = 0; i < N_OF(counts); i++) {
    fprintf(f, "  .%s = %s", arrays[i][0], arrays[i][1]);
    if (counts[i]) fprintf(f, ", .%s = %d", arrays[i][2], counts[i]);
    fputs(",\n", f);
  }
  fprintf(f, "  .sources_sha256 = \"%s\"};\n", data_ok ? digest : "");
  fclose(f);
  if (!data_ok || E.failed) {
    free(buf);
    return -1;
  }

  char path[4096];
  snprintf(path, sizeof path, "%s/ck_tables.c", outdir);
  int rc = write_file_if_changed(path, buf, len);
  free(buf);
  char hdr[1024];
  snprintf(hdr, sizeof hdr,
           "/* Generated by convc; do not edit.  Regenerate with `make`.\n"
           " * The compiled .conv specs: schema, section converters, formats. */\n"
           "#ifndef CK_TABLES_H\n#define CK_TABLES_H\n\n#include \"ck_spec.h\"\n\n"
           "extern const ck_spec %s;\n\n#endif\n", symbol);
  snprintf(path, sizeof path, "%s/ck_tables.h", outdir);
  if (write_file_if_changed(path, hdr, strlen(hdr)) != 0) rc = -1;
  return rc;
}
