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
#include <string.h>

#include "compiler.h"

static char *schema, *allowlist;
static const char *schema_path, *allowlist_path;
/* The real specs are parsed once: parsing them for every input would
 * cost most of the time under the fuzzer's comparison tracing.  Neither
 * sema nor cover changes the AST, so it is shared by all runs; the
 * input's items are linked after the last spec item for one run only. */
static ck_arena *spec_arena;
static ck_node *spec_items, *spec_last;

static char *slurp(const char *path) {
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
  return buf;
}

/* Register the specs' text so that diagnostics can quote their lines. */
static void add_spec_sources(void) {
  ck_diag_add_source(schema_path, schema);
  ck_diag_add_source(allowlist_path, allowlist);
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
  schema = slurp(p1);
  allowlist = slurp(p2);
  ck_diag diag = {0, 50, NULL, NULL};
  spec_arena = ck_arena_new();
  /* the real specs must compile on their own: an error there is ours */
  if (ck_parse_text(spec_arena, &diag, p1, schema, strlen(schema),
                    &spec_items) ||
      ck_parse_text(spec_arena, &diag, p2, allowlist, strlen(allowlist),
                    &spec_items) || !spec_items)
    abort();
  ck_diag_free_sources();
  for (spec_last = spec_items; spec_last->next; spec_last = spec_last->next)
    ;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 20)) return 0; /* specs are small; keep runs fast */
  ck_diag diag = {0, 50, NULL, NULL};
  ck_arena *arena = ck_arena_new();
  ck_node *items = NULL;
  add_spec_sources();
  ck_parse_text(arena, &diag, "fuzz.conv", (const char *)data, size, &items);
  spec_last->next = items;
  ck_model model = {0};
  model.arena = arena;
  model.diag = &diag;
  int syntax_errors = diag.nerr;
  ck_sema(&model, spec_items);
  if (syntax_errors == 0) ck_cover(&model);
  spec_last->next = NULL;
  ck_arena_free(arena);
  ck_diag_free_sources();
  return 0;
}
