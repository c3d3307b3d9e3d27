/* cmd_convert.c - `convert IN OUT` and `plan IN`: one option table and
 * one parser for both, so that a plan is the plan of exactly the convert
 * given the same arguments. */
#include "cmds.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ck_convert.h"
#include "ck_convert_ckpt.h"
#include "ck_parts.h"
#include "ck_plan.h"
#include "ck_report.h"
#include "cli_progress.h"

enum {
  OPT_FROM = CLI_LONG, OPT_TO, OPT_LAYOUT, OPT_DTYPE, OPT_PPF,
  OPT_JOBS, OPT_FORCE, OPT_QUIET, OPT_JSON, OPT_MAX_SHARD, OPT_RESUME,
  OPT_PART, OPT_FINISH, OPT_PARTS
};

#define SHARED_OPTS                                                         \
  {"from", OPT_FROM, "FORMAT", "the input's HF format (default: detected)"}, \
  {"format", 'f', "FORMAT", "the same as --from"},                          \
  {"to", OPT_TO, "FORMAT", "fast_llm, or the HF format to write"},          \
  {"layout", OPT_LAYOUT, "v4|v5", "transformers layout of the HF side"},    \
  {"dtype", OPT_DTYPE, "fp32|fp16|bf16", "cast every tensor to this dtype"}, \
  {"parameters-per-file", OPT_PPF, "N", "parameters per output file"},      \
  {"max-shard-size", OPT_MAX_SHARD, "SIZE", "bytes per output file (5GB)"}, \
  {CLI_IGNORE_OPT},                                                          \
  {CLI_REVISION_OPT},                                                        \
  {"jobs", OPT_JOBS, "N", "tensors converted at once (threads)"},           \
  {"json", OPT_JSON, NULL, "print one JSON report on stdout"}

const cli_opt cli_convert_opts[] = {
    SHARED_OPTS,
    {"part", OPT_PART, "K/N", "write only the K-th of N shares, staged"},
    {"resume", OPT_RESUME, NULL, "journal, and keep an interrupted run's work"},
    {"finish", OPT_FINISH, NULL, "publish OUT once every part is written"},
    {"force", OPT_FORCE, NULL, "replace an existing output folder"},
    {"quiet", OPT_QUIET, NULL, "no progress and no final line"},
    {NULL, 0, NULL, NULL}};
const cli_opt cli_plan_opts[] = {
    SHARED_OPTS,
    {"part", OPT_PART, "K/N", "show what part K of N writes"},
    {"parts", OPT_PARTS, "N", "show what each of N parts writes"},
    {NULL, 0, NULL, NULL}};

typedef struct conv_args {
  ck_convert_opts o;
  const char *layout;
  cli_ignore ignore; /* --ignore-hf-key */
  const char *revision; /* --revision */
  cli_input in;      /* IN, resolved */
  int quiet;
} conv_args;

static int on_conv_opt(void *ctx, int key, const char *v, ck_error *err) {
  conv_args *c = ctx;
  ck_convert_opts *o = &c->o;
  long long n;
  switch (key) {
  case 'f':
  case OPT_FROM: o->from = v; return 0;
  case OPT_TO: o->to = v; return 0;
  case OPT_LAYOUT: c->layout = v; return 0;
  case OPT_DTYPE:
    o->dtype = ck_dtype_from_alias(v);
    if (o->dtype == CK_DT_INVALID || !ck_dtype_is_castable_float(o->dtype))
      return cli_usage(err, "--dtype must be fp32, fp16 or bf16");
    return 0;
  case OPT_PPF:
    if ((n = cli_int("parameters-per-file", v, 1, INT64_MAX, err)) < 0)
      return -1;
    o->parameters_per_file = (uint64_t)n;
    return 0;
  case OPT_MAX_SHARD:
    if ((n = cli_size("max-shard-size", v, err)) < 0) return -1;
    o->max_shard_bytes = (uint64_t)n;
    return 0;
  case OPT_JOBS:
    /* tensors converted at once (threads); default: online cores, <= 8 */
    if ((n = cli_int("jobs", v, 1, 256, err)) < 0) return -1;
    o->jobs = (int)n;
    return 0;
  case CLI_OPT_IGNORE: return cli_add_ignore(&c->ignore, v, err);
  case CLI_OPT_REVISION: c->revision = v; return 0;
  case OPT_FORCE: o->force = 1; return 0;
  case OPT_RESUME: o->resume = 1; return 0;
  case OPT_FINISH: o->finish = 1; return 0;
  case OPT_PART: {
    int k, nn;
    char tail;
    if (sscanf(v, "%d/%d%c", &k, &nn, &tail) != 2 || nn < 1 || nn > 100000 ||
        k < 1 || k > nn)
      return cli_usage(err, "--part must be K/N with 1 <= K <= N (got '%s')",
                       v);
    o->part_k = k;
    o->part_n = nn;
    return 0;
  }
  case OPT_PARTS:
    if ((n = cli_int("parts", v, 1, 100000, err)) < 0) return -1;
    o->part_k = 0;
    o->part_n = (int)n;
    return 0;
  case OPT_QUIET: c->quiet = 1; return 0;
  case OPT_JSON: return 0; /* cli_json, set before parsing */
  }
  return cli_usage(err, "unhandled option");
}

/* No --to: an HF input can only go to fast_llm; a fast_llm checkpoint
 * that ckconv made from an HF one goes back to the format it records
 * (metadata.ckconv.format, ck_provenance.c).  Anything else needs --to. */
static int default_target(ck_convert_opts *o, ck_error *err) {
  ck_ckpt_kind kind;
  if (ck_ckpt_detect(o->in_dir, &kind, err)) return -1;
  if (kind == CK_CKPT_HF) {
    o->to = "fast_llm";
    return 0;
  }
  ck_ckpt_in *in = ck_ckpt_open(o->in_dir, kind, 1, err);
  if (!in) return -1;
  json_t *f = json_object_get(
      json_object_get(json_object_get(ck_ckpt_config(in), "metadata"),
                      "ckconv"),
      "format");
  const ck_format *hf = json_is_string(f)
                            ? ck_format_find(cli_spec, json_string_value(f))
                            : NULL;
  ck_ckpt_close(in);
  if (!hf)
    return cli_usage(err,
                     "%s is a fast_llm checkpoint that records no HF format "
                     "(metadata.ckconv.format, written when ckconv makes one "
                     "from an HF checkpoint): give --to FORMAT",
                     o->in_dir);
  o->to = hf->name; /* the spec's string: outlives the checkpoint */
  return 0;
}

/* Parse convert's (plan: 0) or plan's (plan: 1) arguments into c.
 * Returns -1 when they are valid, 0 after --help, else -1 with err. */
static int parse_conv_args(const cli_cmd *cmd, int argc, char **argv,
                           int plan, conv_args *c, ck_error *err) {
  memset(c, 0, sizeof *c);
  ck_convert_opts *o = &c->o;
  o->dtype = CK_DT_INVALID;
  const char *pos[2];
  int n_pos;
  int rc = cli_parse(cmd, argc, argv, on_conv_opt, c, pos, plan ? 1 : 2,
                     &n_pos, err);
  if (rc) return rc > 0 ? 1 : -1;
  if (n_pos < (plan ? 1 : 2))
    return cli_usage(err, plan ? "plan needs IN" : "convert needs IN and OUT");
  o->out_dir = plan ? NULL : pos[1];
  if (o->finish && o->part_n)
    return cli_usage(err, "--finish publishes the parts' output: give it "
                     "without --part");
  if (o->max_shard_bytes && o->parameters_per_file)
    return cli_usage(err, "--max-shard-size and --parameters-per-file both "
                     "set how files are split: give one");
  if (o->to) {
    int to_fl = 0;
    const ck_format *to = cli_format(o->to, 1, &to_fl, err);
    if (!to && !to_fl) return -1;
    o->to = to_fl ? "fast_llm" : to->name;
  }
  if (o->from && strcmp(o->from, "auto") != 0) {
    const ck_format *from = cli_format(o->from, 0, NULL, err);
    if (!from) return -1;
    o->from = from->name;
  }
  if (c->layout) {
    o->layout = cli_layout(NULL, c->layout, err);
    if (o->layout < 0) return -1;
  }
  o->hf_read.ignore_keys = c->ignore.keys;
  o->hf_read.n_ignore_keys = c->ignore.n;
  /* last: a repo id is looked up only once the command line is valid */
  c->in.arg = pos[0];
  if (cli_resolve_inputs(&c->in, 1, c->revision, err)) return -1;
  o->in_dir = c->in.dir;
  if (!o->to && default_target(o, err)) return -1;
  return 0;
}

/* SIGINT (Ctrl-C) and SIGTERM (a Slurm time-out) while convert runs:
 * they are blocked in every thread and taken by this one, which removes
 * the unfinished output's temporary folder, says so through the error
 * path, and ends the process with 128 + the signal. */
static void *interrupt_watcher(void *arg) {
  sigset_t *set = arg;
  int sig = 0;
  if (sigwait(set, &sig) != 0) return NULL;
  char out[4096] = "";
  int removed = ck_ckpt_out_interrupted(out, sizeof out);
  ck_error err;
  if (removed == 2) /* a staged output: kept for --resume */
    ck_fail_at(&err, CK_STAGE_INTERRUPTED, (ck_about){.file = out},
               "interrupted by %s: %s was not written; its staging folder "
               "is kept: run the same command with --resume (or the part "
               "again) to go on", sig == SIGINT ? "SIGINT" : "SIGTERM", out);
  else
    ck_fail_at(&err, CK_STAGE_INTERRUPTED, (ck_about){.file = out},
               "interrupted by %s%s%s%s", sig == SIGINT ? "SIGINT" : "SIGTERM",
               removed ? ": removed the unfinished output; " : "",
               removed ? out : "",
               removed ? " was not written" : " (no output was half-written)");
  cli_fail(&err);
  fflush(stdout);
  _exit(128 + sig);
}

static void watch_interrupts(void) {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  /* blocked before any worker thread exists, so all inherit the mask */
  if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return;
  pthread_t t;
  if (pthread_create(&t, NULL, interrupt_watcher, &set) == 0)
    pthread_detach(t);
  else
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* Warnings go to stderr as they come (unless --quiet) and, under --json,
 * into the report. */
typedef struct warn_ctx {
  int quiet;
  json_t *list;
} warn_ctx;

static void on_warning(void *arg, const char *kind, const char *tensor,
                       const char *file, const char *message) {
  warn_ctx *w = arg;
  if (!w->quiet && !cli_json) fprintf(stderr, "ckconv: warning: %s\n", message);
  json_t *o = json_object();
  json_object_set_new(o, "kind", json_string(kind));
  json_object_set_new(o, "stage", json_string("weights"));
  json_object_set_new(o, "message", json_string(message));
  json_object_set_new(o, "tensor", tensor ? json_string(tensor) : json_null());
  json_object_set_new(o, "key", json_null());
  json_object_set_new(o, "file", file ? json_string(file) : json_null());
  json_array_append_new(w->list, o);
}

int cmd_convert(const cli_cmd *cmd, int argc, char **argv) {
  /* first: a signal even while the arguments are read is reported */
  watch_interrupts();
  conv_args c;
  ck_error err;
  ck_error_clear(&err);
  int rc = parse_conv_args(cmd, argc, argv, 0, &c, &err);
  if (rc) {
    cli_inputs_free(&c.in, 1);
    return rc > 0 ? 0 : cli_fail(&err);
  }
  ck_convert_opts o = c.o;
  cli_progress prog;
  cli_progress_init(&prog);
  if (!c.quiet && !cli_json) {
    o.progress = cli_progress_report;
    o.progress_arg = &prog;
  }
  warn_ctx warnings = {c.quiet, json_array()};
  o.warn = on_warning;
  o.warn_arg = &warnings;
  ck_stage_state stage = {0};
  o.stage = &stage;
  if (ck_convert_checkpoint(cli_spec, &o, &err) != 0) {
    json_decref(warnings.list);
    cli_inputs_free(&c.in, 1);
    return cli_fail(&err);
  }
  if (!c.quiet && stage.staged && !stage.published)
    fprintf(stderr, "ckconv: part %d/%d of %s: %zu of its %zu tensors "
            "written now, %zu kept from an earlier run; %zu of %zu tensors "
            "in all (run --finish once every part is done)\n", stage.part_k,
            stage.part_n, o.out_dir, stage.tensors_written,
            stage.part_tensors, stage.tensors_kept, stage.tensors_done,
            stage.tensors_total);
  else if (!c.quiet && stage.staged && stage.tensors_kept)
    fprintf(stderr, "ckconv: wrote %s (kept %zu of %zu tensors from an "
            "earlier run)\n", o.out_dir, stage.tensors_kept,
            stage.tensors_total);
  else if (!c.quiet)
    fprintf(stderr, "ckconv: wrote %s\n", o.out_dir);
  if (cli_json) {
    json_t *r = cli_report_new(1), *j = json_object();
    json_object_set_new(j, "input", json_string(o.in_dir));
    json_object_set_new(j, "output", json_string(o.out_dir));
    json_object_set_new(j, "to", json_string(o.to));
    json_object_set_new(j, "published", json_boolean(!stage.staged ||
                                                     stage.published));
    if (stage.staged) {
      json_t *js = json_object();
      json_object_set_new(js, "tensors_total",
                          json_integer((json_int_t)stage.tensors_total));
      json_object_set_new(js, "tensors_done",
                          json_integer((json_int_t)stage.tensors_done));
      json_object_set_new(js, "tensors_kept",
                          json_integer((json_int_t)stage.tensors_kept));
      json_object_set_new(js, "tensors_written",
                          json_integer((json_int_t)stage.tensors_written));
      json_object_set_new(js, "bytes_total",
                          json_integer((json_int_t)stage.bytes_total));
      json_object_set_new(js, "bytes_done",
                          json_integer((json_int_t)stage.bytes_done));
      json_object_set_new(js, "part", stage.part_n
                                          ? json_sprintf("%d/%d", stage.part_k,
                                                         stage.part_n)
                                          : json_null());
      json_object_set_new(js, "part_tensors",
                          json_integer((json_int_t)stage.part_tensors));
      json_object_set_new(j, "journal", js);
    }
    json_object_set_new(r, "convert", j);
    json_object_set(r, "warnings", warnings.list);
    cli_print_json(r);
    json_decref(r);
  }
  json_decref(warnings.list);
  cli_inputs_free(&c.in, 1);
  return 0;
}

/* Sizes as people read them: the largest unit that keeps one digit or
 * more before the point (1023 B, 305.2 KiB, 8.0 MiB, 2.07 GiB). */
static void human_bytes(uint64_t b, char *buf, size_t n) {
  if (b < 1024) snprintf(buf, n, "%" PRIu64 " B", b);
  else if (b < ((uint64_t)1 << 20)) snprintf(buf, n, "%.1f KiB", b / 1024.0);
  else if (b < ((uint64_t)1 << 30)) snprintf(buf, n, "%.1f MiB", b / 1048576.0);
  else snprintf(buf, n, "%.2f GiB", b / 1073741824.0);
}

static void print_plan(const ck_preflight *pf, const ck_convert_opts *o) {
  printf("plan: %s (%s%s%s) -> %s\n", o->in_dir,
         pf->in_kind == CK_CKPT_HF ? "Hugging Face" : "fast_llm",
         pf->format ? ", " : "", pf->format ? pf->format : "", o->to);
  for (size_t i = 0; i < pf->n; i++) {
    const ck_pf_tensor *t = &pf->t[i];
    char shape[256] = "[";
    size_t u = 1;
    for (int d = 0; d < t->ndim && u < sizeof shape; d++)
      u += (size_t)snprintf(shape + u, sizeof shape - u, "%s%" PRIu64,
                            d ? ", " : "", t->shape[d]);
    if (u < sizeof shape) snprintf(shape + u, sizeof shape - u, "]");
    printf("  %s <- ", t->name);
    for (int s = 0; s < t->n_sources; s++)
      printf("%s%s", s ? " + " : "", t->sources[s]);
    printf("  %s %s %s", t->transform, ck_dtype_name(t->dtype), shape);
    if (t->file >= 0)
      printf("  %s @%" PRIu64 " (%" PRIu64 " bytes)", pf->files[t->file].name,
             t->offset, t->nbytes);
    printf("\n");
  }
  for (size_t f = 0; f < pf->n_files; f++)
    printf("file: %s, %zu tensors, %" PRIu64 " bytes (header %" PRIu64 ")\n",
           pf->files[f].name, pf->files[f].n_tensors, pf->files[f].size,
           pf->files[f].header_len);
  char rb[32], wb[32], pm[32];
  human_bytes(pf->read_bytes, rb, sizeof rb);
  human_bytes(pf->write_bytes, wb, sizeof wb);
  human_bytes(pf->peak_memory, pm, sizeof pm);
  printf("totals: %zu output tensors, read %s, write %s, %zu output "
         "file%s, peak memory %s\n", pf->n, rb, wb, pf->n_files,
         pf->n_files == 1 ? "" : "s", pm);
  for (size_t i = 0; i < pf->n_carried; i++) {
    char b[32];
    human_bytes(pf->carried[i].bytes, b, sizeof b);
    printf("carried: %s (%s)\n", pf->carried[i].name, b);
  }
  json_t *parts = o->part_n ? ck_parts_plan_json(pf, o->part_n, o->part_k)
                            : NULL;
  size_t k;
  json_t *pt;
  json_array_foreach(parts, k, pt) {
    char b[32];
    human_bytes((uint64_t)json_integer_value(json_object_get(pt, "bytes")), b,
                sizeof b);
    printf("part %s: %lld tensors, %s:", json_string_value(json_object_get(pt, "part")),
           (long long)json_integer_value(json_object_get(pt, "tensors")), b);
    size_t j;
    json_t *f;
    json_array_foreach(json_object_get(pt, "files"), j, f) {
      if (json_is_true(json_object_get(f, "whole")))
        printf("%s %s", j ? "," : "", json_string_value(json_object_get(f, "name")));
      else
        printf("%s %s @%lld..%lld (%lld tensors)", j ? "," : "",
               json_string_value(json_object_get(f, "name")),
               (long long)json_integer_value(json_object_get(f, "offset")),
               (long long)json_integer_value(json_object_get(f, "end")),
               (long long)json_integer_value(json_object_get(f, "tensors")));
    }
    printf("%s\n", json_array_size(json_object_get(pt, "files")) ? "" : " nothing");
  }
  json_decref(parts);
  if (pf->n_warnings) printf("warnings: %zu\n", pf->n_warnings);
  for (size_t i = 0; i < pf->n_warnings; i++)
    printf("  [%s] %s\n", pf->warnings[i].kind, pf->warnings[i].message);
  printf("problems: %zu\n", pf->n_problems);
  for (size_t i = 0; i < pf->n_problems && i < CK_PF_LISTED; i++)
    printf("  [%s] %s\n", pf->problems[i].kind, pf->problems[i].message);
  if (pf->n_problems > CK_PF_LISTED)
    printf("  ... and %zu more; --json for all\n",
           pf->n_problems - CK_PF_LISTED);
}

/* plan IN --to FORMAT: what `convert` would do, from headers only. */
int cmd_plan(const cli_cmd *cmd, int argc, char **argv) {
  conv_args c;
  ck_error err;
  ck_error_clear(&err);
  int rc = parse_conv_args(cmd, argc, argv, 1, &c, &err);
  if (rc) {
    cli_inputs_free(&c.in, 1);
    return rc > 0 ? 0 : cli_fail(&err);
  }
  ck_convert_opts o = c.o;
  ck_preflight pf;
  if (ck_preflight_run(cli_spec, &o, 1, &pf, &err)) {
    ck_preflight_free(&pf);
    cli_inputs_free(&c.in, 1);
    return cli_fail(&err);
  }
  int ok = pf.n_problems == 0;
  if (!ok) ck_preflight_error(&pf, o.in_dir, &err);
  if (cli_json) {
    json_t *r = cli_report_new(ok);
    json_t *pj = ck_preflight_to_json(&pf, &o);
    json_t *parts = o.part_n ? ck_parts_plan_json(&pf, o.part_n, o.part_k)
                             : NULL;
    if (parts) json_object_set_new(pj, "parts", parts);
    json_object_set_new(r, "plan", pj);
    json_object_set_new(r, "problems", ck_preflight_problems_json(&pf));
    json_object_set_new(r, "warnings", ck_preflight_warnings_json(&pf));
    if (!ok) json_object_set_new(r, "error", ck_error_to_json(&err));
    cli_print_json(r);
    json_decref(r);
  } else {
    print_plan(&pf, &o);
  }
  ck_preflight_free(&pf);
  cli_inputs_free(&c.in, 1);
  return ok ? 0 : cli_print_error(&err);
}
