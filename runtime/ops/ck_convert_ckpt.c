/* ck_convert_ckpt.c - convert one checkpoint folder into another.
 *
 * The preflight (ck_plan.c) loads the input and builds every tensor job;
 * this file checks the paths, writes the jobs into a temporary sibling
 * of the output (ck_ckpt_write.c) and renames it into place.  The input
 * is only ever read.
 */
#include "ck_convert_ckpt.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_hub.h"
#include "ck_plan.h"
#include "ck_resume.h"

/* out's real path, whether or not it exists yet: its deepest existing
 * ancestor resolved, then the rest of out as given (the folders convert
 * would create).  0, or -1 when not even that resolves. */
static int real_out(const char *out, char *rout) {
  char abs[PATH_MAX], real[PATH_MAX];
  if (out[0] == '/') {
    snprintf(abs, sizeof abs, "%s", out);
  } else {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    snprintf(abs, sizeof abs, "%s/%s", cwd, out);
  }
  size_t cut = strlen(abs);
  for (;;) {
    char head[PATH_MAX];
    snprintf(head, sizeof head, "%.*s", cut ? (int)cut : 1, abs);
    if (realpath(head, real)) break;
    if (cut <= 1) return -1;
    while (cut > 0 && abs[cut - 1] != '/') cut--; /* drop the last name */
    while (cut > 1 && abs[cut - 1] == '/') cut--; /* and its slashes */
  }
  const char *rest = abs + cut;
  while (rest[0] == '/' && rest[1] == '/') rest++;
  snprintf(rout, PATH_MAX, "%s%s%s", strcmp(real, "/") ? real : "",
           rest[0] && rest[0] != '/' ? "/" : "", rest);
  if (!rout[0]) snprintf(rout, PATH_MAX, "/");
  return 0;
}

/* The same folder (or one inside the other) must not be both ends; and
 * when the input is a snapshot of the hub cache, the output must not be
 * anywhere in its repo (its blobs are the input's bytes). */
static int check_paths(const char *in, const char *out, ck_error *err) {
  char rin[PATH_MAX], rout[PATH_MAX];
  if (!realpath(in, rin)) return 0; /* open reports it */
  if (real_out(out, rout)) return 0; /* created or reported later */
  size_t n = strlen(rin);
  if (strcmp(rin, rout) == 0 ||
      (strncmp(rout, rin, n) == 0 && rout[n] == '/') ||
      (strncmp(rin, rout, strlen(rout)) == 0 && rin[strlen(rout)] == '/'))
    return ck_fail(err, CK_STAGE_USAGE,
                   "output %s overlaps the input %s; the "
                   "input is never modified, choose another output",
                   out, in);
  char *repo = ck_hub_repo_of(rin);
  size_t r = repo ? strlen(repo) : 0;
  int inside = repo && strncmp(rout, repo, r) == 0 &&
               (rout[r] == '/' || rout[r] == '\0');
  if (inside)
    ck_fail(err, CK_STAGE_USAGE,
            "output %s is inside the Hugging Face cache repo %s of the input "
            "%s; the input is never modified, choose an output outside the "
            "cache",
            out, repo, in);
  free(repo);
  return inside ? -1 : 0;
}

/* A --dtype cast that sent values to infinity: said once, with the count
 * the jobs kept (both write paths and staged runs). */
static void warn_overflow(const ck_convert_opts *o, const ck_jobs *jobs) {
  uint64_t inf = atomic_load(jobs->overflow_inf);
  if (!inf || !o->warn) return;
  char msg[256];
  snprintf(msg, sizeof msg, "the cast to %s sent %llu value%s beyond its "
           "range to infinity", ck_dtype_name(o->dtype),
           (unsigned long long)inf, inf == 1 ? "" : "s");
  o->warn(o->warn_arg, "cast", NULL, NULL, msg);
}

int ck_convert_checkpoint(const ck_spec *spec, const ck_convert_opts *o,
                          ck_error *err) {
  if (check_paths(o->in_dir, o->out_dir, err)) return -1;
  /* the preflight of `ckconv plan` first: every problem at once, before
   * any output exists (ck_plan.c); its loaded input, jobs and metadata
   * are then what is written, so nothing is read or hashed twice */
  ck_preflight pf;
  int rc = -1;
  ck_ckpt_out *out = NULL;
  if (ck_preflight_run(spec, o, 0, &pf, err)) goto done;
  if (pf.n_problems) {
    ck_preflight_error(&pf, o->in_dir, err);
    goto done;
  }
  if (!pf.jobs_ok || !pf.meta_ok) { /* no problem, so both were built */
    ck_fail_at(err, CK_STAGE_INTERNAL, (ck_about){.file = o->in_dir},
               "%s: the preflight left no plan", o->in_dir);
    goto done;
  }
  for (size_t i = 0; o->warn && i < pf.n_warnings; i++)
    o->warn(o->warn_arg, pf.warnings[i].kind, pf.warnings[i].tensor,
            pf.warnings[i].file, pf.warnings[i].message);
  if (o->resume || o->part_n || o->finish) { /* ck_resume.c */
    rc = ck_convert_staged(spec, o, &pf, err);
    if (rc == 0) warn_overflow(o, &pf.jobs); /* the tensors this run wrote */
    goto done;
  }
  ck_jobs *jobs = &pf.jobs;
  out = ck_ckpt_out_begin(o->out_dir, pf.out_kind, o->force, err);
  if (!out) goto done;
  ck_jobs_progress prog = {jobs, 0, o->progress, o->progress_arg};
  ck_write_opts wo = {.jobs = ck_write_jobs(o->jobs),
                      .no_copy_file_range = ck_no_copy_file_range(),
                      .report = o->progress, .report_arg = o->progress_arg};
  int simple = ck_simple_io();
  ck_ckpt_out_set_max_file_bytes(out, o->max_shard_bytes);
  if (ck_ckpt_out_plan(out, jobs->out, jobs->n, o->parameters_per_file, err) ||
      ck_ckpt_out_set_meta(out, &pf.meta, err) ||
      (simple ? ck_ckpt_out_write_all(out, ck_jobs_produce, &prog, err)
              : ck_jobs_write(jobs, out, &wo, err))) {
    ck_ckpt_out_name_output(out, err); /* the user's path, not the temp */
    ck_ckpt_out_abort(out);
    goto done;
  }
  warn_overflow(o, jobs);
  for (size_t i = 0; i < pf.n_carried; i++)
    if (ck_ckpt_out_copy_file(out, pf.carried[i].name, pf.carried[i].path,
                              err)) {
      ck_ckpt_out_name_output(out, err);
      ck_ckpt_out_abort(out);
      goto done;
    }
  rc = ck_ckpt_out_finish(out, NULL, err);
done:
  ck_preflight_free(&pf);
  return rc;
}
