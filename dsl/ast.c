/* ast.c - arena, AST constructors and diagnostics for the .conv front end.
 *
 * The arena owns every node and string of one compilation; nothing in the
 * tree is freed on its own.  Diagnostics print `file:line:col: error: msg`
 * followed by the offending source line and a caret, and count errors so
 * that a phase can finish and report several problems in one run.
 */
#include "ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- arena */

typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  unsigned char data[];
} chunk;

struct ck_arena {
  chunk *head;
};

ck_arena *ck_arena_new(void) {
  ck_arena *a = calloc(1, sizeof *a);
  if (!a) abort();
  return a;
}

void ck_arena_free(ck_arena *a) {
  if (!a) return;
  chunk *c = a->head;
  while (c) {
    chunk *n = c->next;
    free(c);
    c = n;
  }
  free(a);
}

void *ck_arena_alloc(ck_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->head->cap - a->head->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    chunk *c = malloc(sizeof *c + cap);
    if (!c) abort(); /* a compiler out of memory has nothing to recover */
    c->next = a->head;
    c->used = 0;
    c->cap = cap;
    a->head = c;
  }
  void *p = a->head->data + a->head->used;
  a->head->used += n;
  memset(p, 0, n);
  return p;
}

char *ck_arena_strndup(ck_arena *a, const char *s, size_t n) {
  char *p = ck_arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *ck_arena_strdup(ck_arena *a, const char *s) {
  return ck_arena_strndup(a, s, strlen(s));
}

char *ck_arena_printf(ck_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = ck_arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

/* ------------------------------------------------------- constructors */

ck_node *ck_ast_new(ck_arena *a, ck_ast_kind kind, ck_loc loc) {
  ck_node *n = ck_arena_alloc(a, sizeof *n);
  n->kind = kind;
  n->loc = loc;
  return n;
}

ck_node *ck_ast_str(ck_arena *a, ck_ast_kind kind, ck_loc loc,
                    const char *str) {
  ck_node *n = ck_ast_new(a, kind, loc);
  n->str = str;
  return n;
}

ck_node *ck_ast_op(ck_arena *a, ck_ast_kind kind, ck_loc loc, const char *op,
                   ck_node *x, ck_node *y) {
  ck_node *n = ck_ast_str(a, kind, loc, op);
  n->a = x;
  n->b = y;
  return n;
}

ck_node *ck_ast_decl(ck_arena *a, ck_loc loc, const char *prim, ck_node *x,
                     ck_node *y, ck_node *z) {
  ck_node *n = ck_ast_str(a, AST_DECL, loc, prim);
  n->a = x;
  n->b = y;
  n->c = z;
  return n;
}

ck_node *ck_ast_append(ck_node *list, ck_node *item) {
  if (!list) return item;
  ck_node *t = list;
  while (t->next) t = t->next;
  t->next = item;
  return list;
}

ck_node *ck_ast_set(ck_node *n, const char *s2, ck_node *b, ck_node *c,
                    int flags) {
  if (s2) n->s2 = s2;
  if (b) n->b = b;
  if (c) n->c = c;
  n->flags |= flags;
  return n;
}

int ck_ast_count(const ck_node *list) {
  int n = 0;
  for (; list; list = list->next) n++;
  return n;
}

const char *ck_ast_kind_name(ck_ast_kind k) {
  static const char *const names[] = {
      "file",  "enum",  "config", "modifier", "field", "type",  "check",
      "param", "section", "declaration", "branch", "format", "property",
      "table", "row",   "allowlist", "path", "identifier", "string",
      "integer", "float", "bool", "null", "list", "self", "unary",
      "binary", "if",   "call", "is", "in", "layout guard", "sequence"};
  _Static_assert(sizeof names / sizeof names[0] == AST_KIND_COUNT,
                 "ORDER AST_KIND");
  return (unsigned)k < AST_KIND_COUNT ? names[k] : "?";
}

/* -------------------------------------------------------- diagnostics */

typedef struct source {
  struct source *next;
  char *file;
  char *text;
} source;
static source *sources;

void ck_diag_add_source(const char *file, const char *text) {
  source *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->file = strdup(file);
  s->text = strdup(text);
  s->next = sources;
  sources = s;
}

void ck_diag_free_sources(void) {
  while (sources) {
    source *n = sources->next;
    free(sources->file);
    free(sources->text);
    free(sources);
    sources = n;
  }
}

/* Print the source line of loc and a caret under its column. */
static void quote_line(ck_loc loc) {
  if (!loc.file || loc.line <= 0) return;
  for (source *s = sources; s; s = s->next) {
    if (strcmp(s->file, loc.file) != 0) continue;
    const char *p = s->text;
    for (int l = 1; l < loc.line && p; l++) {
      p = strchr(p, '\n');
      if (p) p++;
    }
    if (!p) return;
    const char *e = strchr(p, '\n');
    int n = e ? (int)(e - p) : (int)strlen(p);
    fprintf(stderr, "  %.*s\n  ", n, p);
    for (int i = 1; i < loc.col && i <= n; i++)
      fputc(p[i - 1] == '\t' ? '\t' : ' ', stderr);
    int len = loc.len > 0 ? loc.len : 1;
    if (loc.col - 1 + len > n) len = n - loc.col + 1 > 0 ? n - loc.col + 1 : 1;
    fputc('^', stderr);
    for (int i = 1; i < len; i++) fputc('~', stderr);
    fputc('\n', stderr);
    return;
  }
}

static void report(ck_loc loc, const char *kind, const char *fmt,
                   va_list ap) {
  if (loc.file)
    fprintf(stderr, "%s:%d:%d: %s: ", loc.file, loc.line, loc.col, kind);
  else
    fprintf(stderr, "convc: %s: ", kind);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  quote_line(loc);
}

void ck_diag_error(ck_diag *d, ck_loc loc, const char *fmt, ...) {
  d->nerr++;
  if (d->max_errors > 0 && d->nerr > d->max_errors) return;
  va_list ap;
  va_start(ap, fmt);
  report(loc, "error", fmt, ap);
  va_end(ap);
}

void ck_diag_note(ck_diag *d, ck_loc loc, const char *fmt, ...) {
  if (d->max_errors > 0 && d->nerr > d->max_errors) return;
  va_list ap;
  va_start(ap, fmt);
  report(loc, "note", fmt, ap);
  va_end(ap);
}
