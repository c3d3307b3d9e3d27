/* doc.c - docs/formats.md, generated from the compiled specs.
 *
 * A side output of convc next to emit.c: for every format, its identity,
 * the size of its spec, and the config and weight mappings of every
 * section reachable from its root, so the documentation can never drift
 * from what ckconv executes.  `make` regenerates it; `make check` fails
 * when the committed copy is stale.
 */
#include "compiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void md(FILE *f, const char *s) { /* table-safe text */
  for (; s && *s; s++) {
    if (*s == '|') fputs("\\|", f);
    else if (*s == '\n') fputc(' ', f);
    else fputc(*s, f);
  }
}

/* md() with each run of white space as one space: an expression that
 * spans several source lines, on one table line */
static void md_flat(FILE *f, const char *s) {
  int space = 0;
  for (; s && *s; s++) {
    if (*s == ' ' || *s == '\n' || *s == '\t') {
      space = 1;
      continue;
    }
    if (space) fputc(' ', f);
    space = 0;
    if (*s == '|') fputs("\\|", f);
    else fputc(*s, f);
  }
}

static void paths(FILE *f, const ck_path *p, int n) {
  if (n == 0) {
    fputs("-", f);
    return;
  }
  for (int i = 0; i < n; i++) {
    fputs(i ? ", `" : "`", f);
    md(f, p[i].text[0] ? p[i].text : "\"\"");
    fputc('`', f);
  }
}

static void branches(FILE *f, const ck_spec *s, const ck_branch *b, int n) {
  for (int i = 0; i < n; i++) {
    fprintf(f, "%s%s%s -> %s", i ? ", " : "", b[i].is_default ? "default " : "",
            b[i].cls >= 0 ? s->classes[b[i].cls].name : "?",
            b[i].section >= 0 ? s->sections[b[i].section].name : "?");
    if (b[i].hf) fprintf(f, " at `%s`", b[i].hf->text);
  }
}

/* how the rule and conversion columns start, by kind (common/'s lists) */
static const char *const decl_labels[] = {
#define CK_DECL(id, word, label, doc) label,
#include "ck_decls.def"
#undef CK_DECL
};

static const char *const wdecl_labels[] = {
#define CK_WDECL(id, word, label, doc) label,
#include "ck_wdecls.def"
#undef CK_WDECL
};


static void decl_row(FILE *f, const ck_spec *s, const ck_section *sec,
                     const ck_decl *d) {
  fprintf(f, "| %s | ", sec->name);
  if (d->kind == CK_DECL_DISPATCH && d->self_config) fputs("`\"\"`", f);
  else paths(f, d->fl, d->n_fl);
  fputs(" | ", f);
  if (d->kind == CK_DECL_NESTED || d->kind == CK_DECL_DISPATCH ||
      d->kind == CK_DECL_TYPED_DICT)
    d->at ? (void)fprintf(f, "`%s`", d->at->text) : (void)fputs("(flat)", f);
  else
    paths(f, d->hf, d->n_hf);
  fputs(" | ", f);
  if (d->layout)
    fprintf(f, "layout %s only: ", d->layout == CK_LAYOUT_V4 ? "v4" : "v5");
  fputs(decl_labels[d->kind], f);
  switch (d->kind) {
  case CK_DECL_RENAME:
    if (d->value) { fputs(", else `", f); md(f, d->value->text); fputc('`', f); }
    if (d->table) fprintf(f, " via table `%s`", d->table->name);
    break;
  case CK_DECL_OPTIONAL:
    if (d->has_sentinel) { fputs(" (sentinel `", f); md(f, d->value->text); fputs("`)", f); }
    break;
  case CK_DECL_CONST_IMPORT:
    fputs(" `", f); md(f, d->value->text); fputc('`', f);
    break;
  case CK_DECL_CONST_EXPORT:
    fputs(" `", f); md(f, d->value->text); fputc('`', f);
    break;
  case CK_DECL_IGNORE: break;
  case CK_DECL_IMPORT_ONLY:
    fputs(" `", f); md(f, d->value->text); fputc('`', f);
    break;
  case CK_DECL_CUSTOM:
    fprintf(f, " `%s`%s", d->message, d->recursive ? " (whole subtree)" : "");
    break;
  case CK_DECL_NESTED:
    fprintf(f, " %s", s->sections[d->section].name);
    break;
  case CK_DECL_DISPATCH:
  case CK_DECL_TYPED_DICT:
    fputc(' ', f);
    branches(f, s, d->branches, d->n_branches);
    break;
  case CK_DECL_SEQUENCE:
    fprintf(f, " %s", s->sections[d->section].name);
    break;
  case CK_DECL_VALIDATE:
    fputc(' ', f); md(f, d->message ? d->message : d->value->text);
    break;
  case CK_DECL_REQUIRE:
    fputc(' ', f); md(f, d->message ? d->message : d->value->text);
    break;
  case CK_DECL_LAYOUT:
    if (!d->by) { /* by name: the computed list, then name -> section */
      fputs(" name, computed as `", f);
      md_flat(f, d->value->text);
      fputs("`: ", f);
      for (int i = 0; i < d->n_branches; i++)
        fprintf(f, "%s`%s` -> %s", i ? ", " : "",
                s->sections[d->branches[i].section].hf_type_name,
                s->sections[d->branches[i].section].name);
      break;
    }
    fputs(" `", f);
    md(f, d->by->text);
    fputs("`: ", f);
    branches(f, s, d->branches, d->n_branches);
    break;
  }
  fputs(" |\n", f);
}

static void wdecl_row(FILE *f, const ck_spec *s, const ck_section *sec,
                      const ck_wdecl *w) {
  fprintf(f, "| %s | `%s` | ", sec->name, w->fl->text[0] ? w->fl->text : "\"\"");
  paths(f, w->hf, w->n_hf);
  if (w->count && (w->kind == CK_W_LEAF || w->kind == CK_W_LINEAR)) {
    fputs(" for i in `", f); md(f, w->count->text); fputc('`', f);
  }
  fputs(" | ", f);
  fputs(wdecl_labels[w->kind], f);
  switch (w->kind) {
  case CK_W_LEAF: fputs(ck_transform_words[w->transform], f); break;
  case CK_W_LINEAR:
    fprintf(f, " %s", ck_transform_words[w->transform]);
    if (w->n_params) { fputs(", bias `", f); md(f, w->params[0].value->text); fputc('`', f); }
    break;
  case CK_W_NESTED:
    fprintf(f, " %s%s", s->sections[w->section].name, w->optional ? " (optional)" : "");
    break;
  case CK_W_SEQUENCE:
    fprintf(f, " %s%s", s->sections[w->section].name, w->self ? " (self)" : "");
    break;
  case CK_W_SEQUENCE_DISPATCH:
    fputc(' ', f);
    branches(f, s, w->branches, w->n_branches);
    break;
  case CK_W_REPEAT:
    fprintf(f, " %s, count `", s->sections[w->section].name);
    md(f, w->count->text);
    fputc('`', f);
    break;
  case CK_W_DISPATCH:
  case CK_W_TYPED_DICT:
    fputc(' ', f);
    branches(f, s, w->branches, w->n_branches);
    break;
  }
  if (w->config) { fputs("; config `", f); md(f, w->config->text); fputc('`', f); }
  if (w->when) { fputs("; when `", f); md(f, w->when->text); fputc('`', f); }
  fputs(" |\n", f);
}

/* Sections reachable from a root, depth first, each once. */
static void reach(const ck_spec *s, int si, int *seen, int *order, int *n) {
  if (si < 0 || seen[si]) return;
  seen[si] = 1;
  order[(*n)++] = si;
  const ck_section *sec = &s->sections[si];
  for (int i = 0; i < sec->n_decls; i++) {
    const ck_decl *d = &sec->decls[i];
    reach(s, d->section, seen, order, n);
    for (int b = 0; b < d->n_branches; b++)
      reach(s, d->branches[b].section, seen, order, n);
  }
  for (int i = 0; i < sec->n_wdecls; i++) {
    const ck_wdecl *w = &sec->wdecls[i];
    reach(s, w->section, seen, order, n);
    for (int b = 0; b < w->n_branches; b++)
      reach(s, w->branches[b].section, seen, order, n);
  }
}

static int count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int n = 0, c, last = '\n';
  while ((c = fgetc(f)) != EOF) {
    if (c == '\n') n++;
    last = c;
  }
  fclose(f);
  return n + (last != '\n');
}

int ck_emit_doc(const ck_model *m, const char *path) {
  const ck_spec *s = &m->spec;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fputs("<!-- Generated by convc from specs/; do not edit. `make` regenerates "
        "it and `make check` fails when it is stale. -->\n"
        "# Formats\n\n"
        "Each format is a `.conv` spec compiled into the tables ckconv runs. "
        "This page is generated from those specs: the config mapping and the "
        "weight mapping of every section a format reaches from its root, in "
        "declaration order (inherited declarations first, re-declared ones in "
        "place). Fast-LLM paths are relative to the section's config class; "
        "HF names are relative to where the section is nested. The language is "
        "described in docs/language.md.\n\n", f);
  fputs("| format | model_type | architecture | layouts | spec lines (own file) | "
        "spec lines (with inherited sections) | C hooks |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n", f);
  int *seen = calloc((size_t)s->n_sections + 1, sizeof *seen);
  int *order = calloc((size_t)s->n_sections + 1, sizeof *order);
  for (int i = 0; i < s->n_formats; i++) {
    const ck_format *fm = &s->formats[i];
    memset(seen, 0, sizeof *seen * (size_t)(s->n_sections + 1));
    int n = 0;
    reach(s, fm->root, seen, order, &n);
    const char *files[64];
    int nf = 0, total = 0;
    char hooks[512] = "";
    for (int k = 0; k < n; k++) {
      const ck_section *sec = &s->sections[order[k]];
      int known = 0;
      for (int j = 0; j < nf; j++) if (strcmp(files[j], sec->loc.file) == 0) known = 1;
      if (!known && nf < 64) {
        files[nf++] = sec->loc.file;
        total += count_lines(sec->loc.file);
      }
      for (int d = 0; d < sec->n_decls; d++)
        if (sec->decls[d].kind == CK_DECL_CUSTOM && !strstr(hooks, sec->decls[d].message)) {
          if (hooks[0]) strcat(hooks, ", ");
          strncat(hooks, sec->decls[d].message, sizeof hooks - strlen(hooks) - 1);
        }
    }
    int own = count_lines(fm->loc.file);
    int own_in_total = 0;
    for (int j = 0; j < nf; j++) if (strcmp(files[j], fm->loc.file) == 0) own_in_total = 1;
    if (!own_in_total) total += own;
    fprintf(f, "| [%s](#%s) | `%s` | `%s` | %s%s%s | %d (`%s`) | %d | %s |\n",
            fm->name, fm->name, fm->model_type,
            fm->n_architectures ? fm->architectures[0] : "-",
            fm->layouts & CK_LAYOUT_V4 ? "v4" : "",
            (fm->layouts & CK_LAYOUT_V4) && (fm->layouts & CK_LAYOUT_V5) ? ", " : "",
            fm->layouts & CK_LAYOUT_V5 ? "v5" : "", own, fm->loc.file, total,
            hooks[0] ? hooks : "-");
  }
  if (s->n_hooks)
    fputs("\nC hooks (`custom`) live in `runtime/config/ck_hooks.c`.\n", f);
  else
    fputs("\nNo format uses a C hook (`custom`, `runtime/config/ck_hooks.c`). Where "
          "the HF keys depend on the transformers layout (the rotary "
          "embedding: v4 `rope_theta`/`rope_scaling`, v5 `rope_parameters`), "
          "the declarations are limited to a layout (`layout v4`, `layout "
          "v5`).\n", f);
  for (int i = 0; i < s->n_formats; i++) {
    const ck_format *fm = &s->formats[i];
    fprintf(f, "\n## %s\n\n", fm->name);
    fprintf(f, "HF `model_type` `%s`, `architectures` [`%s`], layouts %s%s%s; "
            "root section `%s` for `%s`; spec `%s`.\n",
            fm->model_type, fm->n_architectures ? fm->architectures[0] : "-",
            fm->layouts & CK_LAYOUT_V4 ? "v4" : "",
            (fm->layouts & CK_LAYOUT_V4) && (fm->layouts & CK_LAYOUT_V5) ? ", " : "",
            fm->layouts & CK_LAYOUT_V5 ? "v5" : "",
            fm->root >= 0 ? s->sections[fm->root].name : "?",
            fm->model_class >= 0 ? s->classes[fm->model_class].name : "?",
            fm->loc.file);
    if (fm->n_auto_map) {
      fputs("Export adds `auto_map`:", f);
      for (int a = 0; a < fm->n_auto_map; a++)
        fprintf(f, "%s `%s`: `%s`", a ? "," : "", fm->auto_map[2 * a],
                fm->auto_map[2 * a + 1]);
      fputs(".\n", f);
    }
    memset(seen, 0, sizeof *seen * (size_t)(s->n_sections + 1));
    int n = 0;
    reach(s, fm->root, seen, order, &n);
    fputs("\n### Config\n\n| section | Fast-LLM | HF | rule |\n| --- | --- | --- | --- |\n", f);
    for (int k = 0; k < n; k++) {
      const ck_section *sec = &s->sections[order[k]];
      for (int d = 0; d < sec->n_decls; d++) decl_row(f, s, sec, &sec->decls[d]);
    }
    fputs("\n### Weights\n\n| section | Fast-LLM | HF | conversion |\n| --- | --- | --- | --- |\n", f);
    for (int k = 0; k < n; k++) {
      const ck_section *sec = &s->sections[order[k]];
      for (int w = 0; w < sec->n_wdecls; w++) wdecl_row(f, s, sec, &sec->wdecls[w]);
    }
  }
  free(seen);
  free(order);
  fclose(f);
  FILE *out = fopen(path, "wb");
  int rc = 0;
  if (!out || fwrite(buf, 1, len, out) != len || fclose(out) != 0) {
    fprintf(stderr, "convc: error: cannot write %s\n", path);
    rc = -1;
  }
  free(buf);
  return rc;
}
