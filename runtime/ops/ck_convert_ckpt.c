/* ck_convert_ckpt.c - convert one checkpoint folder into another.
 *
 * The preflight (ck_plan.c) loads the input and builds every tensor job;
 * this file checks the paths, writes the jobs into a temporary sibling
 * of the output (ck_ckpt_write.c) and renames it into place.  The input
 * is only ever read.
 */
#include "ck_convert_ckpt.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_plan.h"

/* The same folder (or one inside the other) must not be both ends. */
static int check_paths(const char *in, const char *out, ck_error *err) {
  char rin[PATH_MAX], rout[PATH_MAX];
  if (!realpath(in, rin)) return 0; /* open reports it */
  if (!realpath(out, rout)) {
    /* not there yet: resolve its parent, keep its own name */
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", out);
    char *slash = strrchr(parent, '/');
    const char *base = slash ? slash + 1 : out;
    if (slash == parent) parent[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(parent, sizeof parent, ".");
    char rparent[PATH_MAX];
    if (!realpath(parent, rparent)) return 0; /* created or reported later */
    snprintf(rout, sizeof rout, "%s/%s", strcmp(rparent, "/") ? rparent : "",
             base);
  }
  size_t n = strlen(rin);
  if (strcmp(rin, rout) == 0 ||
      (strncmp(rout, rin, n) == 0 && rout[n] == '/') ||
      (strncmp(rin, rout, strlen(rout)) == 0 && rin[strlen(rout)] == '/'))
    return ck_fail(err, CK_STAGE_USAGE,
                   "output %s overlaps the input %s; the "
                   "input is never modified, choose another output",
                   out, in);
  return 0;
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
  if (o->warn && ck_ckpt_ignored(pf.L.in))
    o->warn(ck_ckpt_ignored(pf.L.in));
  ck_jobs *jobs = &pf.jobs;
  out = ck_ckpt_out_begin(o->out_dir, pf.out_kind, o->force, err);
  if (!out) goto done;
  ck_jobs_progress prog = {jobs, 0, o->progress, o->progress_arg};
  const char *sio = getenv("CKCONV_SIMPLE_IO");
  ck_write_opts wo = {ck_write_jobs(o->jobs), sio && strcmp(sio, "pwrite") == 0,
                      o->progress, o->progress_arg};
  int simple = ck_simple_io();
  if (ck_ckpt_out_plan(out, jobs->out, jobs->n, o->parameters_per_file, err) ||
      ck_ckpt_out_set_meta(out, &pf.meta, err) ||
      (simple ? ck_ckpt_out_write_all(out, ck_jobs_produce, &prog, err)
              : ck_jobs_write(jobs, out, &wo, err))) {
    ck_ckpt_out_name_output(out, err); /* the user's path, not the temp */
    ck_ckpt_out_abort(out);
    goto done;
  }
  rc = ck_ckpt_out_finish(out, NULL, err);
done:
  ck_preflight_free(&pf);
  return rc;
}
