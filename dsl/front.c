/* front.c - entry point of the front end: read one spec file and run the
 * reentrant lexer and parser over it, appending its items to a list. */
#include "front.h"

#include "parser.h"
#include "lexer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int yyparse(yyscan_t scanner, ck_front *F);

/* Read a whole file into a NUL-terminated buffer (NULL on failure). */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  if (!buf) { fclose(f); return NULL; }
  for (;;) {
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (n + 1 < cap) break;
    cap *= 2;
    char *nb = realloc(buf, cap);
    if (!nb) { free(buf); fclose(f); return NULL; }
    buf = nb;
  }
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

int ck_parse_file(ck_arena *arena, ck_diag *diag, const char *path,
                  ck_node **items) {
  size_t len = 0;
  char *text = slurp(path, &len);
  if (!text) {
    ck_loc none = {0};
    ck_diag_error(diag, none, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  int rc = ck_parse_text(arena, diag, path, text, len, items);
  free(text);
  return rc;
}

int ck_parse_text(ck_arena *arena, ck_diag *diag, const char *path,
                  const char *text, size_t len, ck_node **items) {
  if (memchr(text, '\0', len)) {
    ck_loc at = {path, 1, 1, 1};
    ck_diag_error(diag, at, "file contains a NUL byte");
    return -1;
  }
  /* The diagnostics quote lines with string functions: keep a
   * NUL-terminated copy as the registered source. */
  char *copy = malloc(len + 1);
  if (!copy) abort();
  memcpy(copy, text, len);
  copy[len] = '\0';
  ck_diag_add_source(path, copy);
  ck_front F = {arena, diag, ck_arena_strdup(arena, path), 1, 1, NULL};
  yyscan_t scanner;
  if (ck_yylex_init_extra(&F, &scanner) != 0) abort();
  YY_BUFFER_STATE b = ck_yy_scan_bytes(text, (int)len, scanner);
  int before = diag->nerr;
  int rc = yyparse(scanner, &F);
  ck_yy_delete_buffer(b, scanner);
  ck_yylex_destroy(scanner);
  free(copy);
  *items = ck_ast_append(*items, F.items);
  return (rc == 0 && diag->nerr == before) ? 0 : -1;
}
