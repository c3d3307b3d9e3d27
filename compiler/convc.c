/* convc.c - the .conv compiler's command line.
 *
 *   convc [-o DIR] [--check] SPEC.conv...
 *
 * Parses every spec (dsl/), analyses them together (sema.c, cover.c),
 * checks the data files given with --data (data_check.c) and, when no
 * error was found, writes generated/ck_tables.{c,h} (emit.c).
 * Errors go to stderr as `file:line:col: error: message`; exit status 1
 * when there was any, 2 on a usage error.
 */
#include "compiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* CKCONV_VERSION: passed by the Makefile from runtime/ck_version.h */

static int usage(void) {
  fputs("usage: convc [-o DIR] [--check] [--symbol NAME] [--max-errors N] "
        "SPEC.conv...\n"
        "  -o DIR        write ck_tables.c and ck_tables.h into DIR "
        "(default: generated)\n"
        "  --check       analyse only, write nothing\n"
        "  --symbol NAME name of the ck_spec object (default ck_spec_tables)\n"
        "  --doc FILE    also write the formats reference (docs/formats.md)\n"
        "  --data FILE   compile a data file in (ck_spec_data() finds it)\n"
        "  --max-errors  stop printing after N errors (default 50)\n"
        "  --version     print the version (shared with ckconv)\n",
        stderr);
  return 2;
}

int main(int argc, char **argv) {
  const char *outdir = "generated";
  const char *symbol = "ck_spec_tables";
  const char *doc = NULL;
  int check_only = 0;
  ck_diag diag = {0, 50, NULL, NULL};
  const char **inputs = calloc((size_t)argc, sizeof *inputs);
  const char **data = calloc((size_t)argc, sizeof *data);
  int n_inputs = 0, n_data = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      outdir = argv[++i];
    } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      data[n_data++] = argv[++i];
    } else if (strcmp(argv[i], "--doc") == 0 && i + 1 < argc) {
      doc = argv[++i];
    } else if (strcmp(argv[i], "--symbol") == 0 && i + 1 < argc) {
      symbol = argv[++i];
    } else if (strcmp(argv[i], "--check") == 0) {
      check_only = 1;
    } else if (strcmp(argv[i], "--max-errors") == 0 && i + 1 < argc) {
      diag.max_errors = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--version") == 0) {
      free(inputs);
      free(data);
      printf("convc %s\n", CKCONV_VERSION);
      return 0;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      free(inputs);
      free(data);
      usage();
      return 0;
    } else if (argv[i][0] == '-') {
      free(inputs);
      free(data);
      return usage();
    } else {
      inputs[n_inputs++] = argv[i];
    }
  }
  if (n_inputs == 0) {
    free(inputs);
    free(data);
    return usage();
  }
  ck_arena *arena = ck_arena_new();
  ck_node *items = NULL;
  for (int i = 0; i < n_inputs; i++)
    ck_parse_file(arena, &diag, inputs[i], &items);
  ck_model model = {0};
  model.arena = arena;
  model.diag = &diag;
  int syntax_errors = diag.nerr;
  if (diag.nerr == 0 || items) {
    ck_sema(&model, items);
    /* coverage over a half-parsed section would only add noise */
    if (syntax_errors == 0) ck_cover(&model);
    /* the tables name formats: check them against a complete spec */
    if (syntax_errors == 0) ck_data_check(&model, data, n_data);
  }
  int rc = 0;
  if (diag.nerr > 0) {
    if (diag.max_errors > 0 && diag.nerr > diag.max_errors)
      fprintf(stderr, "convc: %d more errors not shown\n",
              diag.nerr - diag.max_errors);
    fprintf(stderr, "convc: %d error%s\n", diag.nerr,
            diag.nerr == 1 ? "" : "s");
    rc = 1;
  } else if (!check_only) {
    mkdir(outdir, 0755); /* an existing directory is fine */
    rc = ck_emit(&model, outdir, inputs, n_inputs, symbol, data, n_data) == 0
             ? 0 : 1;
    if (doc && ck_emit_doc(&model, doc) != 0) rc = 1;
  }
  ck_arena_free(arena);
  ck_diag_free_sources();
  free(inputs);
  free(data);
  return rc;
}
