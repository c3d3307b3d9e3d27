/* emit.c - code generation: ck_spec model -> generated/ck_tables.{c,h}.
 *
 * Last stage of convc.  Prints the model as plain `static const` C data
 * (children before parents, so no forward declarations), with every
 * entry's spec location.  Output depends only on the specs and their
 * order on the command line, so regenerating never changes a committed
 * file unless a spec changed.
 */
#include "compiler.h"
#include "ck_sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kinds from common/'s lists, printed by their enum names so that the
 * tables do not depend on the order of a list. */
static const char *const hint_ids[] = {
#define CK_HINT(id, name, doc) "CK_HINT_" #id,
#include "ck_hints.def"
#undef CK_HINT
};

static const char *const decl_ids[] = {
#define CK_DECL(id, word, label, doc) "CK_DECL_" #id,
#include "ck_decls.def"
#undef CK_DECL
};

static const char *const wdecl_ids[] = {
#define CK_WDECL(id, word, label, doc) "CK_W_" #id,
#include "ck_wdecls.def"
#undef CK_WDECL
};

static const char *const transform_ids[] = {
#define CK_TRANSFORM(id, name, kind) "CK_TF_" #id,
#include "ck_transforms.def"
#undef CK_TRANSFORM
};

typedef struct emitter {
  FILE *f;
  int next_id;
  const ck_spec *s;
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

static void put_loc(FILE *f, ck_srcloc l) {
  fputs("{", f);
  put_str(f, l.file);
  fprintf(f, ", %d, %d}", l.line, l.col);
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
    fprintf(E->f, "  {ck_seg%d, %d, ", segs[i], p[i].n);
    put_str(E->f, p[i].text);
    fputs("},\n", E->f);
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
  fprintf(E->f, "static const ck_expr ck_expr%d = {%d, %lldLL, %.17g, ", id,
          (int)e->op, e->i, e->f);
  put_str(E->f, e->s);
  if (path >= 0) fprintf(E->f, ", &ck_paths%d[0]", path);
  else fputs(", NULL", E->f);
  if (argv >= 0) fprintf(E->f, ", ck_args%d, %d", argv, e->n_args);
  else fputs(", NULL, 0", E->f);
  fprintf(E->f, ", %d, ", e->cls);
  put_str(E->f, e->text);
  fputs(", ", E->f);
  put_loc(E->f, e->loc);
  fputs("};\n", E->f);
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
  fprintf(E->f, "static const ck_type ck_type%d = {%d, %d, ", id,
          (int)t->kind, t->optional);
  if (elem >= 0) fprintf(E->f, "&ck_type%d", elem);
  else fputs("NULL", E->f);
  fprintf(E->f, ", %d, ", t->cls);
  if (ev >= 0) fprintf(E->f, "ck_enum%d, %d, ", ev, t->n_enum);
  else fputs("NULL, 0, ", E->f);
  put_str(E->f, t->text);
  fputs("};\n", E->f);
  return id;
}

static void ref(FILE *f, const char *prefix, int id) {
  if (id >= 0) fprintf(f, "&%s%d", prefix, id);
  else fputs("NULL", f);
}

static int emit_exprs(emitter *E, const ck_expr *const *v, int n) {
  if (n == 0) return -1;
  int *ids = calloc((size_t)n, sizeof *ids);
  for (int i = 0; i < n; i++) ids[i] = emit_expr(E, v[i]);
  int id = E->next_id++;
  fprintf(E->f, "static const ck_expr *const ck_args%d[] = {", id);
  for (int i = 0; i < n; i++) fprintf(E->f, "%s&ck_expr%d", i ? ", " : "", ids[i]);
  fputs("};\n", E->f);
  free(ids);
  return id;
}

static int emit_named(emitter *E, const ck_wparam *p, int n) {
  if (n == 0) return -1;
  int *vals = calloc((size_t)n, sizeof *vals);
  for (int i = 0; i < n; i++) vals[i] = emit_expr(E, p[i].value);
  int id = E->next_id++;
  fprintf(E->f, "static const ck_wparam ck_wparams%d[] = {", id);
  for (int i = 0; i < n; i++) {
    fputs(i ? ", {" : "{", E->f);
    put_str(E->f, p[i].name);
    fprintf(E->f, ", &ck_expr%d}", vals[i]);
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
    fprintf(E->f, "  {%d, &ck_paths%d[0], ", (int)m->kind, ids[i][0]);
    if (ids[i][1] >= 0) fprintf(E->f, "ck_args%d, %d, ", ids[i][1], m->n_dims);
    else fputs("NULL, 0, ", E->f);
    ref(E->f, "ck_expr", ids[i][2]);
    fputs(", ", E->f);
    if (ids[i][3] >= 0) fprintf(E->f, "&ck_paths%d[0]", ids[i][3]);
    else fputs("NULL", E->f);
    fputs(", ", E->f);
    ref(E->f, "ck_expr", ids[i][4]);
    fputs(", ", E->f);
    ref(E->f, "ck_expr", ids[i][5]);
    if (ids[i][6] >= 0) fprintf(E->f, ", ck_wparams%d, %d, ", ids[i][6], m->n_args);
    else fputs(", NULL, 0, ", E->f);
    put_loc(E->f, m->loc);
    fputs("},\n", E->f);
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
    fputs("  {", E->f);
    put_str(E->f, f->name);
    fprintf(E->f, ", %s, &ck_type%d, %d, ", hint_ids[f->hint], types[i],
            (int)f->def_kind);
    ref(E->f, "ck_expr", defs[i]);
    fprintf(E->f, ", %d, ", (int)f->cmp);
    ref(E->f, "ck_expr", bounds[i]);
    fprintf(E->f, ", %d, %d, ", f->owner, f->always);
    put_loc(E->f, f->loc);
    fputs("},\n", E->f);
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
      fprintf(E->f, "  {&ck_expr%d, ", conds[i]);
      put_str(E->f, c->checks[i].message);
      fputs(", ", E->f);
      put_loc(E->f, c->checks[i].loc);
      fputs("},\n", E->f);
    }
    fputs("};\n", E->f);
    free(conds);
  }
}

/* Emit a branch array (with per-branch HF prefixes); returns its id. */
static int emit_branches(emitter *E, const ck_branch *br, int n) {
  if (n == 0) return -1;
  int *hf = calloc((size_t)n, sizeof *hf);
  for (int b = 0; b < n; b++) hf[b] = br[b].hf ? emit_paths(E, br[b].hf, 1) : -1;
  int id = E->next_id++;
  fprintf(E->f, "static const ck_branch ck_branches%d[] = {", id);
  for (int b = 0; b < n; b++) {
    fprintf(E->f, "%s{%d, %d, ", b ? ", " : "", br[b].cls, br[b].section);
    if (hf[b] >= 0) fprintf(E->f, "&ck_paths%d[0], ", hf[b]);
    else fputs("NULL, ", E->f);
    fprintf(E->f, "%d}", br[b].is_default);
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
    ids[i][6] = -1;
    if (w->n_params > 0) {
      int *vals = calloc((size_t)w->n_params, sizeof *vals);
      for (int p = 0; p < w->n_params; p++) vals[p] = emit_expr(E, w->params[p].value);
      ids[i][6] = E->next_id++;
      fprintf(E->f, "static const ck_wparam ck_wparams%d[] = {", ids[i][6]);
      for (int p = 0; p < w->n_params; p++) {
        fputs(p ? ", {" : "{", E->f);
        put_str(E->f, w->params[p].name);
        fprintf(E->f, ", &ck_expr%d}", vals[p]);
      }
      fputs("};\n", E->f);
      free(vals);
    }
  }
  int id = E->next_id++;
  fprintf(E->f, "static const ck_wdecl ck_wdecls%d[] = {\n", id);
  for (int i = 0; i < n; i++) {
    const ck_wdecl *w = &sec->wdecls[i];
    fprintf(E->f, "  {%s, ", wdecl_ids[w->kind]);
    put_str(E->f, w->key);
    fprintf(E->f, ", &ck_paths%d[0], ", ids[i][0]);
    if (ids[i][1] >= 0) fprintf(E->f, "ck_paths%d, %d, ", ids[i][1], w->n_hf);
    else fputs("NULL, 0, ", E->f);
    fprintf(E->f, "%s, ", transform_ids[w->transform]);
    if (ids[i][6] >= 0) fprintf(E->f, "ck_wparams%d, %d, ", ids[i][6], w->n_params);
    else fputs("NULL, 0, ", E->f);
    ref(E->f, "ck_expr", ids[i][2]);
    fputs(", ", E->f);
    ref(E->f, "ck_expr", ids[i][3]);
    fputs(", ", E->f);
    ref(E->f, "ck_expr", ids[i][4]);
    fprintf(E->f, ", %d, %d, %d, ", w->optional, w->self, w->section);
    if (ids[i][5] >= 0) fprintf(E->f, "ck_branches%d, %d, ", ids[i][5], w->n_branches);
    else fputs("NULL, 0, ", E->f);
    if (ids[i][7] >= 0) fprintf(E->f, "&ck_paths%d[0], ", ids[i][7]);
    else fputs("NULL, ", E->f);
    put_str(E->f, w->text);
    fputs(", ", E->f);
    put_loc(E->f, w->loc);
    fputs("},\n", E->f);
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
    fprintf(E->f, "  {%s, ", decl_ids[d->kind]);
    put_str(E->f, d->key);
    if (ids[i][0] >= 0) fprintf(E->f, ", ck_paths%d, %d", ids[i][0], d->n_fl);
    else fputs(", NULL, 0", E->f);
    if (ids[i][1] >= 0) fprintf(E->f, ", ck_paths%d, %d", ids[i][1], d->n_hf);
    else fputs(", NULL, 0", E->f);
    fprintf(E->f, ", %d, ", d->recursive);
    ref(E->f, "ck_expr", ids[i][2]);
    fprintf(E->f, ", %d, ", d->has_sentinel);
    if (ids[i][6] >= 0) fprintf(E->f, "&ck_all_tables[%d]", ids[i][6]);
    else fputs("NULL", E->f);
    fprintf(E->f, ", %d, ", d->section);
    if (ids[i][3] >= 0) fprintf(E->f, "&ck_paths%d[0]", ids[i][3]);
    else fputs("NULL", E->f);
    fprintf(E->f, ", %d, ", d->self_config);
    ref(E->f, "ck_expr", ids[i][5]);
    fprintf(E->f, ", %d, ", d->opaque_hf);
    if (ids[i][7] >= 0) fprintf(E->f, "&ck_paths%d[0]", ids[i][7]);
    else fputs("NULL", E->f);
    if (ids[i][4] >= 0)
      fprintf(E->f, ", ck_branches%d, %d, ", ids[i][4], d->n_branches);
    else
      fputs(", NULL, 0, ", E->f);
    put_str(E->f, d->discriminator);
    if (d->kind == CK_DECL_CUSTOM) fprintf(E->f, ", &ck_hook_%s, ", d->message);
    else fputs(", NULL, ", E->f);
    put_str(E->f, d->message);
    fputs(", ", E->f);
    put_str(E->f, d->text);
    fputs(", ", E->f);
    put_loc(E->f, d->loc);
    fprintf(E->f, ", %d, %d, %d},\n", d->layout, d->fixed_cls,
            d->pattern_cls);
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
  emitter E = {f, 0, s};
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
    for (int r = 0; r < tb->n_rows; r++)
      fprintf(f, "  {&ck_expr%d, &ck_expr%d, %d, %d},\n", fl[r], hf[r],
              tb->rows[r].export_ok, tb->rows[r].import_ok);
    fputs("};\n", f);
    free(fl);
    free(hf);
  }
  fprintf(f, "static const ck_table ck_all_tables[%d] = {\n",
          s->n_tables ? s->n_tables : 1);
  for (int t = 0; t < s->n_tables; t++) {
    fputs("  {", f);
    put_str(f, s->tables[t].name);
    fprintf(f, ", ck_rows%d, %d},\n", rows[t], s->tables[t].n_rows);
  }
  if (s->n_tables == 0) fputs("  {NULL, NULL, 0},\n", f);
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
    fprintf(f, "  /* %d */ {", c);
    put_str(f, k->name);
    fprintf(f, ", %d, ", k->parent);
    put_str(f, k->dynamic_name);
    fprintf(f, ", %d, %d, %d, ck_fields%d, %d, ", k->registry,
            k->default_subclass, k->abstract, fid[c], k->n_fields);
    if (cid[c] >= 0) fprintf(f, "ck_checks%d, %d, ", cid[c], k->n_checks);
    else fputs("NULL, 0, ", f);
    if (mid[c] >= 0) fprintf(f, "ck_members%d, %d, ", mid[c], k->n_members);
    else fputs("NULL, 0, ", f);
    put_loc(f, k->loc);
    fprintf(f, ", %d, %d, %d, %d},\n", k->seq_block, k->seq_blocks,
            k->seq_pattern, k->seq_count);
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
    fprintf(f, "  /* %d */ {", i);
    put_str(f, sec->name);
    fprintf(f, ", %d, ", sec->cls);
    put_str(f, sec->hf_type_name);
    if (did[i] >= 0) fprintf(f, ", ck_decls%d, %d, ", did[i], sec->n_decls);
    else fputs(", NULL, 0, ", f);
    if (wid[i] >= 0) fprintf(f, "ck_wdecls%d, %d, ", wid[i], sec->n_wdecls);
    else fputs("NULL, 0, ", f);
    put_loc(f, sec->loc);
    fputs("},\n", f);
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
  }
  fprintf(f, "static const ck_format ck_formats[%d] = {\n",
          s->n_formats ? s->n_formats : 1);
  for (int i = 0; i < s->n_formats; i++) {
    const ck_format *fm = &s->formats[i];
    fputs("  {", f);
    put_str(f, fm->name);
    fputs(", ", f);
    put_str(f, fm->model_type);
    fprintf(f, ", ck_arch%d, %d, ck_automap%d, %d, %d, %d, %d, %d, ", i,
            fm->n_architectures, i, fm->n_auto_map, fm->layouts,
            fm->skip_checks, fm->root, fm->model_class);
    put_loc(f, fm->loc);
    fputs("},\n", f);
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
    fputs("  {", f);
    put_str(f, s->allowlists[i].layout);
    fprintf(f, ", ck_allow%d, %d},\n", i, s->allowlists[i].n_keys);
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
  fprintf(f, "static const ck_data ck_data_files[%d] = {\n", n_data ? n_data : 1);
  for (int i = 0; i < n_data; i++) {
    const char *base = strrchr(data[i], '/');
    fputs("  {", f);
    put_str(f, base ? base + 1 : data[i]);
    fprintf(f, ", ck_data%d, %dUL},\n", i, data_len[i]);
  }
  if (n_data == 0) fputs("  {NULL, NULL, 0UL},\n", f);
  fputs("};\n\n", f);
  free(data_len);
  char digest[65];
  if (sources_digest(inputs, n_inputs, data, n_data, digest)) data_ok = 0;
  fprintf(f,
          "const ck_spec %s = {\n"
          "  ck_classes, %d, ck_sections, %d, ck_formats, %d,\n"
          "  ck_all_tables, %d, ck_allowlists, %d, ck_hook_names, %d,\n"
          "  ck_data_files, %d,\n  \"%s\"};\n",
          symbol, s->n_classes, s->n_sections, s->n_formats, s->n_tables,
          s->n_allowlists, s->n_hooks, n_data, data_ok ? digest : "");
  fclose(f);
  if (!data_ok) {
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
