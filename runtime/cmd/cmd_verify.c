/* cmd_verify.c - `verify A B`: do two checkpoints hold the same tensors
 * (through the weight plan across layouts, directly within one)? */
#include "cmds.h"

#include <stdio.h>
#include <string.h>

#include "ck_report.h"
#include "ck_verify.h"

enum { OPT_JOBS = CLI_LONG, OPT_JSON };

const cli_opt cli_verify_opts[] = {
    {"format", 'f', "FORMAT", "the HF format of the HF side"},
    {CLI_REVISION_OPT},
    {"jobs", OPT_JOBS, "N", "tensors compared at once (threads)"},
    {"json", OPT_JSON, NULL, "print one JSON report on stdout"},
    {NULL, 0, NULL, NULL}};

typedef struct verify_args {
  const char *format;
  const char *revision; /* --revision, for the repo id(s) among A and B */
  int jobs;
} verify_args;

static int on_verify_opt(void *ctx, int key, const char *v, ck_error *err) {
  verify_args *a = ctx;
  long long n;
  switch (key) {
  case 'f': a->format = v; return 0;
  case CLI_OPT_REVISION: a->revision = v; return 0;
  case OPT_JOBS:
    /* tensors compared at once (threads); default as convert's */
    if ((n = cli_int("jobs", v, 1, 256, err)) < 0) return -1;
    a->jobs = (int)n;
    return 0;
  case OPT_JSON: return 0;
  }
  return cli_usage(err, "unhandled option");
}

/* Tensors that differ or have no counterpart, or configs that differ. */
static int failed(const ck_verify_report *r) {
  return r->differing || r->unmatched || r->config_differences;
}

/* A difference is an error: stage verify, naming the first one. */
static void difference_error(const ck_verify_report *r, ck_error *err) {
  char what[128] = "";
  if (r->differing)
    snprintf(what, sizeof what, "%zu tensor%s differ%s", r->differing,
             r->differing == 1 ? "" : "s", r->differing == 1 ? "s" : "");
  if (r->unmatched)
    snprintf(what + strlen(what), sizeof what - strlen(what),
             "%s%zu tensor%s no counterpart", what[0] ? " and " : "",
             r->unmatched, r->unmatched == 1 ? " has" : "s have");
  if (what[0])
    ck_fail(err, CK_STAGE_VERIFY, "%s; first: %s", what, r->first_difference);
  else
    ck_fail(err, CK_STAGE_VERIFY, "the configs %s", r->config);
}

static int verify_json(const ck_verify_report *r) {
  json_t *v = json_object();
  json_object_set_new(v, "compared", json_integer((json_int_t)r->compared));
  json_object_set_new(v, "identical", json_integer((json_int_t)r->identical));
  json_object_set_new(v, "rounded", json_integer((json_int_t)r->rounded));
  json_object_set_new(v, "within_tolerance",
                      json_integer((json_int_t)r->within_tolerance));
  json_object_set_new(v, "unmatched", json_integer((json_int_t)r->unmatched));
  json_object_set_new(v, "overflow_to_inf",
                      json_integer((json_int_t)r->overflow_inf));
  json_object_set_new(v, "underflow_to_zero",
                      json_integer((json_int_t)r->underflow_zero));
  json_object_set_new(v, "config", json_string(r->config));
  json_object_set_new(v, "differing", json_integer((json_int_t)r->differing));
  json_object_set_new(v, "max_rel_diff", json_real(r->max_rel_diff));
  json_object_set_new(v, "first_difference",
                      r->first_difference[0] ? json_string(r->first_difference)
                                             : json_null());
  if (r->tied_head[0])
    json_object_set_new(v, "tied_head", json_string(r->tied_head));
  json_t *rep = cli_report_new(!failed(r));
  json_object_set_new(rep, "verify", v);
  ck_error err;
  ck_error_clear(&err);
  if (failed(r)) {
    difference_error(r, &err);
    json_object_set_new(rep, "error", ck_error_to_json(&err));
  }
  cli_print_json(rep);
  json_decref(rep);
  return failed(r) ? cli_print_error(&err) : 0;
}

int cmd_verify(const cli_cmd *cmd, int argc, char **argv) {
  verify_args a = {0};
  const char *pos[2];
  int n_pos;
  ck_error err;
  ck_error_clear(&err);
  int rc = cli_parse(cmd, argc, argv, on_verify_opt, &a, pos, 2, &n_pos,
                     &err);
  if (rc) return rc > 0 ? 0 : cli_fail(&err);
  if (n_pos < 2) return cli_usage(&err, "verify needs A and B"), cli_fail(&err);
  cli_input in[2] = {{.arg = pos[0]}, {.arg = pos[1]}};
  ck_verify_report r;
  rc = cli_resolve_inputs(in, 2, a.revision, &err) ||
       ck_verify(cli_spec, in[0].dir, in[1].dir, a.format, a.jobs, &r, &err);
  cli_inputs_free(in, 2);
  if (rc) return cli_fail(&err);
  if (cli_json) return verify_json(&r);
  printf("verify: %zu tensors compared: %zu bit-identical, %zu equal once "
         "rounded to the narrower dtype, %zu within the dtype tolerance, %zu "
         "differing (max relative difference %.3g)",
         r.compared, r.identical, r.rounded, r.within_tolerance, r.differing,
         r.max_rel_diff);
  if (r.unmatched) printf("; %zu without a counterpart", r.unmatched);
  printf("\n");
  if (r.overflow_inf || r.underflow_zero)
    printf("verify: the cast sent %llu value%s to inf and %llu to zero\n",
           (unsigned long long)r.overflow_inf, r.overflow_inf == 1 ? "" : "s",
           (unsigned long long)r.underflow_zero);
  if (r.tied_head[0]) printf("verify: %s\n", r.tied_head);
  printf("verify: configs %s\n", r.config);
  if (!failed(&r)) return 0;
  difference_error(&r, &err);
  return cli_print_error(&err);
}
