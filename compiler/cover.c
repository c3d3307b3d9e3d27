/* cover.c - static coverage checks over the compiled model.
 *
 * Fourth stage of convc.  For every section converter, walk the default
 * instance of its config class the way Fast-LLM's architecture walker
 * does (every architecture-hint field path; descend into every sub-config
 * whatever its hint; optional sub-configs default to null and dicts to
 * empty, so nothing below them) and require each path to be claimed:
 * exactly by a non-recursive declaration, or under the prefix of a
 * recursive one.  Also: an `optional` sentinel must equal the field's
 * default, and one section may not claim the same path twice.
 *
 * No limit on the number or depth of the paths: a proof that dropped the
 * ones past a cap would prove nothing.  The walk ends because a class
 * that contains itself through default sub-configs is an error (its
 * default instance would be infinite) and is not entered again, so the
 * depth is at most the number of classes.
 */
#include "compiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct arch_path {
  const char **seg;
  int n;
} arch_path;

/* The paths of one section's walk: the array is the walker's (grown with
 * realloc, freed by ck_cover), each path's segments live in the arena. */
typedef struct walker {
  ck_model *m;
  const ck_spec *s;
  arch_path *paths;
  int n, cap;
  const char **prefix;  /* one segment per class being walked */
  int *entered;  /* per class: 1 + prefix length when entered, 0 if not */
  char *cycle_reported; /* per class: its self-containment was reported */
} walker;

static void add_path(walker *w, const arch_path *p) {
  if (w->n == w->cap) {
    w->cap = w->cap ? 2 * w->cap : 256;
    w->paths = realloc(w->paths, (size_t)w->cap * sizeof *w->paths);
    if (!w->paths) abort(); /* as ck_arena_alloc: nothing to recover */
  }
  arch_path *q = &w->paths[w->n++];
  q->n = p->n;
  q->seg = ck_arena_alloc(w->m->arena, (size_t)p->n * sizeof *q->seg);
  memcpy(q->seg, p->seg, (size_t)p->n * sizeof *q->seg);
}

static void path_text(const arch_path *p, char *buf, size_t n);

/* f (the last segment of prefix) holds by default a class already being
 * walked: report the cycle once, at the field, and do not enter it. */
static void report_cycle(walker *w, int cls, const ck_field *f,
                         const arch_path *prefix) {
  if (w->cycle_reported[cls]) return;
  w->cycle_reported[cls] = 1;
  int from = w->entered[cls] - 1;
  arch_path tail = {prefix->seg + from, prefix->n - from};
  char text[512];
  path_text(&tail, text, sizeof text);
  const char *name = w->s->classes[cls].name;
  ck_diag_error(w->m->diag,
                (ck_loc){f->loc.file, f->loc.line, f->loc.col,
                         (int)strlen(f->name)},
                "class '%s' contains itself by default (%s.%s): its "
                "default instance would never end; give a field on the "
                "cycle a null default (type '%s?' = null)", name, name, text,
                f->type->text);
}

static void walk(walker *w, int cls, arch_path *prefix) {
  if (cls < 0) return;
  w->entered[cls] = prefix->n + 1;
  const ck_class *c = &w->s->classes[cls];
  for (int i = 0; i < c->n_fields; i++) {
    const ck_field *f = &c->fields[i];
    prefix->seg[prefix->n++] = f->name;
    if (f->hint == CK_HINT_ARCH) add_path(w, prefix);
    if (f->type->kind == CK_TY_CONFIG && f->def_kind == CK_DEF_EMPTY) {
      int sub = ck_class_concrete(w->s, f->type->cls);
      if (sub >= 0 && w->entered[sub])
        report_cycle(w, sub, f, prefix);
      else
        walk(w, sub, prefix);
    }
    prefix->n--;
  }
  w->entered[cls] = 0;
}

static int path_eq(const arch_path *p, const ck_path *q) {
  if (p->n != q->n) return 0;
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->seg[i], q->seg[i]) != 0) return 0;
  return 1;
}

static int path_under(const arch_path *p, const ck_path *prefix) {
  if (prefix->n > p->n) return 0;
  for (int i = 0; i < prefix->n; i++)
    if (strcmp(p->seg[i], prefix->seg[i]) != 0) return 0;
  return 1;
}

static void path_text(const arch_path *p, char *buf, size_t n) {
  buf[0] = '\0';
  size_t used = 0;
  for (int i = 0; i < p->n && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? "." : "",
                             p->seg[i]);
}

static int is_claimed(const ck_section *sec, const arch_path *p) {
  for (int d = 0; d < sec->n_decls; d++) {
    const ck_decl *dc = &sec->decls[d];
    for (int i = 0; i < dc->n_fl; i++) {
      if (dc->recursive ? path_under(p, &dc->fl[i]) : path_eq(p, &dc->fl[i]))
        return 1;
    }
  }
  return 0;
}

static ck_loc loc_of(ck_srcloc l, int len) {
  return (ck_loc){l.file, l.line, l.col, len};
}

/* Is the top-level parent of p claimed, but only non-recursively?  Then
 * the author probably meant a nested/ignore claim: say so. */
static const ck_decl *shallow_parent_claim(const ck_section *sec,
                                           const arch_path *p) {
  if (p->n < 2) return NULL;
  for (int d = 0; d < sec->n_decls; d++) {
    const ck_decl *dc = &sec->decls[d];
    if (dc->recursive) continue;
    for (int i = 0; i < dc->n_fl; i++)
      if (dc->fl[i].n >= 1 && strcmp(dc->fl[i].seg[0], p->seg[0]) == 0)
        return dc;
  }
  return NULL;
}

static int expr_const_eq(const ck_expr *a, const ck_expr *b) {
  if (!a || !b) return a == b;
  double x, y;
  int an = a->op == CK_EX_INT || a->op == CK_EX_FLOAT;
  int bn = b->op == CK_EX_INT || b->op == CK_EX_FLOAT;
  if (an && bn) {
    x = a->op == CK_EX_INT ? (double)a->i : a->f;
    y = b->op == CK_EX_INT ? (double)b->i : b->f;
    return x == y;
  }
  if (a->op != b->op) return 0;
  switch (a->op) {
  case CK_EX_NULL: return 1;
  case CK_EX_BOOL: return a->i == b->i;
  case CK_EX_STR: return strcmp(a->s, b->s) == 0;
  default: return 0;
  }
}

/* Resolve a path to the field it ends at, in the default instance. */
static const ck_field *field_at(const ck_spec *s, int cls, const ck_path *p) {
  const ck_field *f = NULL;
  for (int i = 0; i < p->n; i++) {
    if (cls < 0) return NULL;
    int fi = ck_class_field(s, cls, p->seg[i]);
    if (fi < 0) return NULL;
    f = &s->classes[cls].fields[fi];
    cls = f->type->kind == CK_TY_CONFIG ? ck_class_concrete(s, f->type->cls)
                                        : -1;
  }
  return f;
}

static void check_section(ck_model *m, int si, walker *w) {
  const ck_spec *s = &m->spec;
  const ck_section *sec = &s->sections[si];
  if (sec->cls < 0) return;
  /* a section with weights only converts no config: nothing to cover */
  if (sec->n_decls == 0 && sec->n_wdecls > 0) return;
  const ck_class *c = &s->classes[sec->cls];
  arch_path prefix = {w->prefix, 0};
  w->n = 0;
  walk(w, sec->cls, &prefix);
  int len = (int)strlen(sec->name);
  for (int i = 0; i < w->n; i++) {
    if (is_claimed(sec, &w->paths[i])) continue;
    char text[512];
    path_text(&w->paths[i], text, sizeof text);
    ck_diag_error(m->diag, loc_of(sec->loc, len),
                  "%s.%s is an architecture field that section %s does not "
                  "claim; declare it, pin it with `%s = value`, or "
                  "`ignore %s`", c->name, text, sec->name, text, text);
    const ck_decl *shallow = shallow_parent_claim(sec, &w->paths[i]);
    if (shallow)
      ck_diag_note(m->diag, loc_of(shallow->loc, 1),
                   "'%s' is claimed here only as a single value; use "
                   "`nested`, `ignore` or a `recursive` claim to cover what "
                   "is below it", shallow->fl[0].text);
  }
  /* optional sentinels and double claims */
  for (int d = 0; d < sec->n_decls; d++) {
    const ck_decl *dc = &sec->decls[d];
    if (dc->kind == CK_DECL_OPTIONAL && dc->n_fl == 1) {
      const ck_field *f = field_at(s, sec->cls, &dc->fl[0]);
      const ck_expr *sentinel = dc->has_sentinel ? dc->value : NULL;
      static const ck_expr null_e = {.op = CK_EX_NULL};
      if (!sentinel) sentinel = &null_e;
      if (f && (f->def_kind != CK_DEF_VALUE ||
                !expr_const_eq(f->def, sentinel)))
        ck_diag_error(m->diag, loc_of(dc->loc, 8),
                      "optional sentinel %s of '%s' differs from the "
                      "field's default %s: a value equal to the sentinel "
                      "would be dropped on export and come back different",
                      sentinel->op == CK_EX_NULL ? "null" : sentinel->text,
                      dc->fl[0].text,
                      f->def_kind == CK_DEF_VALUE ? f->def->text
                                                  : "(computed)");
    }
    for (int e = d + 1; e < sec->n_decls; e++) {
      const ck_decl *de = &sec->decls[e];
      /* alternatives for different layouts never run together */
      if (dc->layout && de->layout && dc->layout != de->layout) continue;
      for (int i = 0; i < dc->n_fl; i++)
        for (int j = 0; j < de->n_fl; j++)
          if (strcmp(dc->fl[i].text, de->fl[j].text) == 0)
            ck_diag_error(m->diag, loc_of(de->loc, 1),
                          "'%s' is claimed twice in section %s (also by "
                          "'%s' at line %d)", de->fl[j].text, sec->name,
                          dc->key, dc->loc.line);
      /* an emit may repeat a key on purpose: its values must then agree
       * at run time (a checked write), like upstream's rms_norm_eps */
      if (dc->kind == CK_DECL_IGNORE || de->kind == CK_DECL_IGNORE ||
          dc->kind == CK_DECL_CONST_EXPORT || de->kind == CK_DECL_CONST_EXPORT ||
          dc->kind == CK_DECL_REQUIRE || de->kind == CK_DECL_REQUIRE)
        continue;
      for (int i = 0; i < dc->n_hf; i++)
        for (int j = 0; j < de->n_hf; j++)
          if (strcmp(dc->hf[i].text, de->hf[j].text) == 0)
            ck_diag_error(m->diag, loc_of(de->loc, 1),
                          "HF key '%s' is claimed twice in section %s (also "
                          "by '%s' at line %d)", de->hf[j].text, sec->name,
                          dc->key, dc->loc.line);
    }
  }
}

void ck_cover(ck_model *m) {
  int nc = m->spec.n_classes;
  walker w = {m, &m->spec, NULL, 0, 0,
              ck_arena_alloc(m->arena, (size_t)nc * sizeof(const char *)),
              ck_arena_alloc(m->arena, (size_t)nc * sizeof(int)),
              ck_arena_alloc(m->arena, (size_t)nc)};
  for (int si = 0; si < m->spec.n_sections; si++) check_section(m, si, &w);
  free(w.paths);
}
