/* fuzz_conv.c - libFuzzer harness for the .conv front end and convc's
 * semantic phases.
 *
 * The input is a spec file compiled after the real schema and HF
 * allowlist (specs/00_schema.conv, specs/01_hf_allowlist.conv), as convc
 * would compile it: lexer + parser (ck_parse_text), then ck_sema and,
 * when there was no syntax error, ck_cover.  Diagnostics go to stderr,
 * which `make fuzz` closes (-close_fd_mask).  The schema directory comes
 * from CK_FUZZ_SPECS (default "specs", the repository root being the
 * working directory). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compiler.h"

static char *schema, *allowlist;
static size_t schema_len, allowlist_len;
static const char *schema_path, *allowlist_path;

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fuzz_conv: cannot read %s (set CK_FUZZ_SPECS)\n", path);
    abort();
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) abort();
  fclose(f);
  buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *dir = getenv("CK_FUZZ_SPECS");
  static char p1[4096], p2[4096];
  snprintf(p1, sizeof p1, "%s/00_schema.conv", dir ? dir : "specs");
  snprintf(p2, sizeof p2, "%s/01_hf_allowlist.conv", dir ? dir : "specs");
  schema_path = p1;
  allowlist_path = p2;
  schema = slurp(p1, &schema_len);
  allowlist = slurp(p2, &allowlist_len);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 20)) return 0; /* specs are small; keep runs fast */
  ck_diag diag = {0, 50, NULL, NULL};
  ck_arena *arena = ck_arena_new();
  ck_node *items = NULL;
  /* the real specs must compile on their own: any error there is ours */
  if (ck_parse_text(arena, &diag, schema_path, schema, schema_len, &items) ||
      ck_parse_text(arena, &diag, allowlist_path, allowlist, allowlist_len,
                    &items))
    abort();
  ck_parse_text(arena, &diag, "fuzz.conv", (const char *)data, size, &items);
  ck_model model = {0};
  model.arena = arena;
  model.diag = &diag;
  int syntax_errors = diag.nerr;
  ck_sema(&model, items);
  if (syntax_errors == 0) ck_cover(&model);
  ck_arena_free(arena);
  ck_diag_free_sources();
  return 0;
}
