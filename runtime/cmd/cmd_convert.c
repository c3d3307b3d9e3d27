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

#include "ck_convert_ckpt.h"
#include "ck_plan.h"
#include "ck_report.h"

enum {
  OPT_FROM = CLI_LONG, OPT_TO, OPT_LAYOUT, OPT_DTYPE, OPT_PPF,
  OPT_JOBS, OPT_FORCE, OPT_QUIET, OPT_JSON
};

#define SHARED_OPTS                                                         \
  {"from", OPT_FROM, "FORMAT", "the input's HF format (default: detected)"}, \
  {"format", 'f', "FORMAT", "the same as --from"},                          \
  {"to", OPT_TO, "FORMAT", "fast_llm, or the HF format to write"},          \
  {"layout", OPT_LAYOUT, "v4|v5", "transformers layout of the HF side"},    \
  {"dtype", OPT_DTYPE, "fp32|fp16|bf16", "cast every tensor to this dtype"}, \
  {"parameters-per-file", OPT_PPF, "N", "parameters per output file"},      \
  {CLI_IGNORE_OPT},                                                          \
  {"jobs", OPT_JOBS, "N", "tensors converted at once (threads)"},           \
  {"json", OPT_JSON, NULL, "print one JSON report on stdout"}

const cli_opt cli_convert_opts[] = {
    SHARED_OPTS,
    {"force", OPT_FORCE, NULL, "replace an existing output folder"},
    {"quiet", OPT_QUIET, NULL, "no progress and no final line"},
    {NULL, 0, NULL, NULL}};
const cli_opt cli_plan_opts[] = {SHARED_OPTS, {NULL, 0, NULL, NULL}};

typedef struct conv_args {
  ck_convert_opts o;
  const char *layout;
  cli_ignore ignore; /* --ignore-hf-key */
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
  case OPT_JOBS:
    /* tensors converted at once (threads); default: online cores, <= 8 */
    if ((n = cli_int("jobs", v, 1, 256, err)) < 0) return -1;
    o->jobs = (int)n;
    return 0;
  case CLI_OPT_IGNORE: return cli_add_ignore(&c->ignore, v, err);
  case OPT_FORCE: o->force = 1; return 0;
  case OPT_QUIET: c->quiet = 1; return 0;
  case OPT_JSON: return 0; /* cli_json, set before parsing */
  }
  return cli_usage(err, "unhandled option");
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
  o->in_dir = pos[0];
  o->out_dir = plan ? NULL : pos[1];
  if (!o->to)
    return cli_usage(err, "%s needs --to FORMAT (fast_llm or an HF format)",
                     cmd->name);
  int to_fl = 0;
  const ck_format *to = cli_format(o->to, 1, &to_fl, err);
  if (!to && !to_fl) return -1;
  o->to = to_fl ? "fast_llm" : to->name;
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
  return 0;
}

static void warn(const char *msg) {
  fprintf(stderr, "ckconv: warning: %s\n", msg);
}

static void progress(void *arg, uint64_t done, uint64_t total) {
  (void)arg;
  double gib = 1024.0 * 1024.0 * 1024.0;
  fprintf(stderr, "\rckconv: %.2f / %.2f GiB (%3.0f%%)", done / gib,
          total / gib, total ? 100.0 * (double)done / (double)total : 100.0);
  if (done >= total) fputc('\n', stderr);
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

int cmd_convert(const cli_cmd *cmd, int argc, char **argv) {
  conv_args c;
  ck_error err;
  ck_error_clear(&err);
  int rc = parse_conv_args(cmd, argc, argv, 0, &c, &err);
  if (rc) return rc > 0 ? 0 : cli_fail(&err);
  ck_convert_opts o = c.o;
  if (!c.quiet && isatty(STDERR_FILENO)) o.progress = progress;
  o.warn = warn;
  watch_interrupts();
  if (ck_convert_checkpoint(cli_spec, &o, &err) != 0) return cli_fail(&err);
  if (!c.quiet) fprintf(stderr, "ckconv: wrote %s\n", o.out_dir);
  if (cli_json) {
    json_t *r = cli_report_new(1), *j = json_object();
    json_object_set_new(j, "input", json_string(o.in_dir));
    json_object_set_new(j, "output", json_string(o.out_dir));
    json_object_set_new(j, "to", json_string(o.to));
    json_object_set_new(r, "convert", j);
    cli_print_json(r);
    json_decref(r);
  }
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
  if (pf->loaded && ck_ckpt_ignored(pf->L.in))
    printf("note: %s\n", ck_ckpt_ignored(pf->L.in));
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
  printf("problems: %zu\n", pf->n_problems);
  for (size_t i = 0; i < pf->n_problems; i++)
    printf("  [%s] %s\n", pf->problems[i].kind, pf->problems[i].message);
}

/* plan IN --to FORMAT: what `convert` would do, from headers only. */
int cmd_plan(const cli_cmd *cmd, int argc, char **argv) {
  conv_args c;
  ck_error err;
  ck_error_clear(&err);
  int rc = parse_conv_args(cmd, argc, argv, 1, &c, &err);
  if (rc) return rc > 0 ? 0 : cli_fail(&err);
  ck_convert_opts o = c.o;
  ck_preflight pf;
  if (ck_preflight_run(cli_spec, &o, 1, &pf, &err)) {
    ck_preflight_free(&pf);
    return cli_fail(&err);
  }
  int ok = pf.n_problems == 0;
  if (!ok) ck_preflight_error(&pf, o.in_dir, &err);
  if (cli_json) {
    json_t *r = cli_report_new(ok);
    json_object_set_new(r, "plan", ck_preflight_to_json(&pf, &o));
    json_object_set_new(r, "problems", ck_preflight_problems_json(&pf));
    if (!ok) json_object_set_new(r, "error", ck_error_to_json(&err));
    cli_print_json(r);
    json_decref(r);
  } else {
    print_plan(&pf, &o);
  }
  ck_preflight_free(&pf);
  return ok ? 0 : cli_print_error(&err);
}
