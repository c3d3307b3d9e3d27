/* ck_resume.c - staged conversions (see ck_resume.h): the conversion's
 * identity (the manifest), the split into parts, reading and checking
 * the journals, journaling what this run writes, and --finish. */
#include "ck_resume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ck_fault.h"
#include "ck_journal.h"
#include "ck_parts.h"
#include "ck_version.h"

/* Records are appended (after an fdatasync of the files they describe)
 * every BATCH_BYTES of data or BATCH_NS: a crash redoes at most that
 * much, and syncing more often measured slower than a plain run. */
#define BATCH_BYTES ((uint64_t)1 << 30)
#define BATCH_NS 10000000000LL

/* ------------------------------------------------------------- identity */

/* Every file of the input folder, by name: size and mtime_ns (symlinks
 * followed, as they are read).  A changed or added file changes the
 * identity, whatever it is: cheap, and never wrong in the unsafe way. */
static json_t *input_files(const char *dir, ck_error *err) {
  DIR *d = opendir(dir);
  if (!d) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = dir}, "%s: cannot list: %s",
               dir, strerror(errno));
    return NULL;
  }
  json_t *files = json_object();
  struct dirent *e;
  while ((e = readdir(d))) {
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    json_t *f = json_object();
    json_object_set_new(f, "size", json_integer((json_int_t)st.st_size));
    json_object_set_new(f, "mtime_ns",
                        json_integer((json_int_t)st.st_mtim.tv_sec * 1000000000 +
                                     st.st_mtim.tv_nsec));
    json_object_set_new(files, e->d_name, f);
  }
  closedir(d);
  return files;
}

/* Everything that decides the output's bytes: ckconv, specs, options,
 * input files.  The staging folder is keyed by OUT already. */
static json_t *manifest(const ck_spec *spec, const ck_convert_opts *o,
                        const ck_preflight *pf, ck_error *err) {
  json_t *inputs = input_files(o->in_dir, err);
  if (!inputs) return NULL;
  json_t *m = json_object(), *ign = json_array();
  for (size_t i = 0; i < (size_t)o->hf_read.n_ignore_keys; i++)
    json_array_append_new(ign, json_string(o->hf_read.ignore_keys[i]));
  json_object_set_new(m, "ckconv_version", json_string(CKCONV_VERSION));
  json_object_set_new(m, "specs_sha256", json_string(spec->sources_sha256
                                                         ? spec->sources_sha256
                                                         : ""));
  json_object_set_new(m, "input", json_string(o->in_dir));
  json_object_set_new(m, "inputs", inputs);
  json_object_set_new(m, "from", json_string(pf->format ? pf->format : ""));
  json_object_set_new(m, "to", json_string(o->to));
  json_object_set_new(m, "layout", json_integer(pf->L.layout));
  json_object_set_new(m, "dtype", json_string(o->dtype == CK_DT_INVALID
                                                  ? "keep"
                                                  : ck_dtype_name(o->dtype)));
  json_object_set_new(m, "parameters_per_file",
                      json_integer((json_int_t)o->parameters_per_file));
  json_object_set_new(m, "max_shard_size",
                      json_integer((json_int_t)o->max_shard_bytes));
  json_object_set_new(m, "ignore_hf_keys", ign);
  return m;
}

/* ------------------------------------------------------------- journals */

typedef struct run {
  ck_ckpt_out *out;
  const ck_jobs *jobs;
  const char *staging;
  unsigned char *done;    /* per tensor: proved on disk */
  int n_parts_seen;       /* N of the journal.K-of-N files found, or 0 */
  /* this run's journal */
  int jfd;
  char jpath[4096];
  pthread_mutex_t mu;
  ck_journal_rec *pending;
  size_t n_pending, cap_pending;
  uint64_t pending_bytes;
  long long last_ns;
  int each;               /* journal every tensor (test hooks) */
  unsigned char *dirty;   /* per output file: written since the last flush */
  size_t written;
} run;

static uint64_t nbytes(const ck_jobs *jobs, size_t i) {
  const ck_ckpt_out_tensor *t = &jobs->out[i];
  uint64_t b = ck_dtype_size(t->dtype);
  for (int d = 0; d < t->ndim; d++) b *= t->shape[d];
  return b;
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Mark done every tensor of `want` that a record of the journal at path
 * proves: it is where the plan puts it, and its bytes on disk have the
 * checksum recorded.  Records of other plans (none: the manifest is
 * the same) or of damaged data are ignored: the tensor is written again. */
static int load_journal(run *R, const char *path, const unsigned char *want,
                        ck_error *err) {
  ck_journal_rec *r;
  size_t n;
  uint64_t end;
  if (ck_journal_load(path, &r, &n, &end, err)) return -1;
  for (size_t k = 0; k < n; k++) {
    size_t i = (size_t)r[k].tensor;
    if (r[k].tensor >= R->jobs->n || R->done[i] || !want[i]) continue;
    int fd;
    uint64_t off, sum;
    const char *fpath;
    ck_ckpt_out_target(R->out, i, &fd, &off, &fpath);
    if (off != r[k].offset || nbytes(R->jobs, i) != r[k].length) continue;
    if (ck_journal_sum(fd, off, r[k].length, &sum) == 0 && sum == r[k].sum)
      R->done[i] = 1;
  }
  free(r);
  return 0;
}

/* Every journal of the staging folder: `journal` (--resume) and
 * `journal.K-of-N` (parts). */
static int load_journals(run *R, const unsigned char *want, ck_error *err) {
  DIR *d = opendir(R->staging);
  if (!d)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = R->staging},
                      "%s: cannot list: %s", R->staging, strerror(errno));
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d))) {
    int k, n;
    char tail;
    if (sscanf(e->d_name, "journal.%d-of-%d%c", &k, &n, &tail) == 2 && n > 0)
      R->n_parts_seen = n;
    else if (strcmp(e->d_name, "journal") != 0)
      continue;
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", R->staging, e->d_name);
    rc = load_journal(R, p, want, err);
  }
  closedir(d);
  return rc;
}

/* Append the pending records: first the data they describe reaches the
 * disk (fdatasync of the files), then the records.  Under R->mu. */
static int flush(run *R, ck_error *err) {
  if (!R->n_pending) return 0;
  for (size_t f = 0; f < ck_ckpt_out_file_count(R->out); f++)
    if (R->dirty[f]) {
      if (ck_ckpt_out_sync_file(R->out, f, err)) return -1;
      R->dirty[f] = 0;
    }
  if (ck_journal_append(R->jfd, R->jpath, R->pending, R->n_pending, err))
    return -1;
  R->n_pending = 0;
  R->pending_bytes = 0;
  R->last_ns = now_ns();
  return 0;
}

/* ck_write_opts.written: checksum tensor i's bytes as written, queue its
 * record, and journal the queue every BATCH_BYTES or BATCH_NS. */
static int on_written(void *arg, size_t i, ck_error *err) {
  run *R = arg;
  int fd;
  uint64_t off, sum, len = nbytes(R->jobs, i);
  const char *path;
  ck_ckpt_out_target(R->out, i, &fd, &off, &path);
  if (ck_fault_tensor() != 0 || ck_journal_sum(fd, off, len, &sum) != 0) {
    int e = errno;
    return ck_fail_at(err, CK_STAGE_IO,
                      (ck_about){.file = path,
                                 .tensor = ck_ckpt_out_tensor_key(R->out, i)},
                      "%s: tensor '%.400s': %s failed: %s%s", path,
                      ck_ckpt_out_tensor_key(R->out, i),
                      e == ENOSPC ? "write" : "reading back", strerror(e),
                      e == ENOSPC || e == EDQUOT ? " (the disk is full)" : "");
  }
  pthread_mutex_lock(&R->mu);
  int rc = 0;
  if (R->n_pending == R->cap_pending) {
    size_t cap = R->cap_pending ? R->cap_pending * 2 : 256;
    ck_journal_rec *g = realloc(R->pending, cap * sizeof *g);
    if (!g) rc = ck_fail(err, CK_STAGE_IO, "out of memory");
    else {
      R->pending = g;
      R->cap_pending = cap;
    }
  }
  if (!rc) {
    R->pending[R->n_pending++] = (ck_journal_rec){i, off, len, sum};
    R->dirty[ck_ckpt_out_tensor_file(R->out, i)] = 1;
    R->pending_bytes += len;
    R->written++;
    if (R->each || R->pending_bytes >= BATCH_BYTES ||
        now_ns() - R->last_ns >= BATCH_NS)
      rc = flush(R, err);
  }
  pthread_mutex_unlock(&R->mu);
  return rc;
}

/* ---------------------------------------------------------------- run */

/* part[i]: the part (0-based) of planned tensor i among n_parts, from
 * the laid-out output (ck_parts_assign works in write order). */
static int parts_of(ck_ckpt_out *out, const ck_jobs *jobs, int n_parts,
                    int *part, ck_error *err) {
  size_t n = jobs->n;
  size_t *file_of = calloc(n ? n : 1, sizeof *file_of);
  uint64_t *b = calloc(n ? n : 1, sizeof *b);
  int *pp = calloc(n ? n : 1, sizeof *pp);
  int rc = -1;
  if (!file_of || !b || !pp) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
  } else {
    for (size_t p = 0; p < n; p++) {
      size_t i = ck_ckpt_out_data_order(out, p);
      file_of[p] = ck_ckpt_out_tensor_file(out, i);
      b[p] = nbytes(jobs, i);
    }
    ck_parts_assign(n, file_of, b, ck_ckpt_out_file_count(out), n_parts, pp);
    for (size_t p = 0; p < n; p++) part[ck_ckpt_out_data_order(out, p)] = pp[p];
    rc = 0;
  }
  free(file_of);
  free(b);
  free(pp);
  return rc;
}

/* --finish with tensors missing: which parts, how many each (the parts
 * as the journal.K-of-N names found say they were split). */
static int missing_error(const run *R, const ck_convert_opts *o,
                         ck_error *err) {
  size_t n = R->jobs->n, missing = 0;
  int np = R->n_parts_seen;
  size_t *per = calloc(np > 0 ? (size_t)np : 1, sizeof *per);
  int *part = np > 0 ? calloc(n ? n : 1, sizeof *part) : NULL;
  if (part && parts_of(R->out, R->jobs, np, part, err)) {
    free(part);
    part = NULL;
  }
  for (size_t i = 0; i < n; i++)
    if (!R->done[i] && nbytes(R->jobs, i)) {
      missing++;
      if (per && part) per[part[i]]++;
    }
  char list[2048] = "";
  size_t u = 0;
  for (int k = 0; per && part && k < np && u < sizeof list; k++)
    if (per[k])
      u += (size_t)snprintf(list + u, sizeof list - u, "%spart %d/%d (%zu "
                            "tensor%s)", u ? ", " : "", k + 1, np, per[k],
                            per[k] == 1 ? "" : "s");
  free(per);
  free(part);
  return ck_fail_at(err, CK_STAGE_CHECKPOINT, (ck_about){.file = o->out_dir},
                    "cannot finish %s: %zu of %zu tensors are not written%s%s"
                    "; run %s again, then --finish",
                    o->out_dir, missing, n, u ? ": " : " (no part has run)",
                    list, u ? "them" : "the parts or --resume");
}

int ck_convert_staged(const ck_spec *spec, const ck_convert_opts *o,
                      ck_preflight *pf, ck_error *err) {
  const ck_jobs *jobs = &pf->jobs;
  size_t n = jobs->n;
  run R;
  memset(&R, 0, sizeof R);
  R.jfd = -1;
  R.jobs = jobs;
  R.each = ck_fault_tensor_hooks();
  R.last_ns = now_ns();
  pthread_mutex_init(&R.mu, NULL);
  int rc = -1;
  unsigned char *want = calloc(n ? n : 1, 1), *skip = calloc(n ? n : 1, 1);
  R.done = calloc(n ? n : 1, 1);
  R.dirty = calloc(n ? n : 1, 1); /* files <= tensors */
  json_t *m = manifest(spec, o, pf, err);
  ck_ckpt_out *out = NULL;
  if (!m) goto done;
  if (!want || !skip || !R.done || !R.dirty) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
    goto done;
  }
  out = ck_ckpt_out_begin_staged(o->out_dir, pf->out_kind, o->force, err);
  if (!out) goto done;
  R.out = out;
  R.staging = ck_ckpt_out_tmp_dir(out);
  ck_ckpt_out_set_max_file_bytes(out, o->max_shard_bytes);
  ck_ckpt_out_set_manifest(out, m);
  if (ck_ckpt_out_plan(out, jobs->out, n, o->parameters_per_file, err) ||
      ck_ckpt_out_set_meta(out, &pf->meta, err) ||
      ck_ckpt_out_layout(out, err))
    goto fail;
  /* this run's share: every tensor, or part K's */
  if (o->part_n) {
    int *part = calloc(n ? n : 1, sizeof *part);
    if (!part || parts_of(out, jobs, o->part_n, part, err)) {
      if (!part) ck_fail(err, CK_STAGE_IO, "out of memory");
      free(part);
      goto fail;
    }
    for (size_t i = 0; i < n; i++) want[i] = part[i] == o->part_k - 1;
    free(part);
  } else {
    memset(want, 1, n);
  }
  if (load_journals(&R, want, err)) goto fail;
  ck_stage_state st = {.staged = 1, .tensors_total = n,
                       .part_k = o->part_k, .part_n = o->part_n};
  for (size_t i = 0; i < n; i++) {
    uint64_t b = nbytes(jobs, i);
    if (!b) R.done[i] = 1; /* nothing to write, nothing to prove */
    skip[i] = R.done[i] || !want[i];
    st.bytes_total += b;
    st.part_tensors += want[i];
    if (want[i] && R.done[i] && b) st.tensors_kept++;
  }
  if (o->finish) { /* want is every tensor: all journals were read */
    for (size_t i = 0; i < n; i++)
      if (!R.done[i]) {
        missing_error(&R, o, err);
        goto fail;
      }
    if (ck_ckpt_out_layout_done(out, err)) goto fail; /* all on disk */
  } else {
    if (o->part_n)
      snprintf(R.jpath, sizeof R.jpath, "%s/journal.%d-of-%d", R.staging,
               o->part_k, o->part_n);
    else
      snprintf(R.jpath, sizeof R.jpath, "%s/journal", R.staging);
    if (ck_journal_open(R.jpath, &R.jfd, err)) goto fail;
    ck_write_opts wo = {.jobs = ck_write_jobs(o->jobs),
                        .no_copy_file_range = ck_no_copy_file_range(),
                        .report = o->progress, .report_arg = o->progress_arg,
                        .laid_out = 1, .skip = skip, .written = on_written,
                        .written_arg = &R};
    if (ck_jobs_write(jobs, out, &wo, err)) {
      pthread_mutex_lock(&R.mu);
      ck_error e2;
      ck_error_clear(&e2);
      (void)flush(&R, &e2); /* what was written is kept */
      pthread_mutex_unlock(&R.mu);
      goto fail;
    }
    pthread_mutex_lock(&R.mu);
    int frc = flush(&R, err);
    pthread_mutex_unlock(&R.mu);
    if (frc) goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    if (!skip[i] && nbytes(jobs, i)) R.done[i] = 1;
    st.tensors_done += R.done[i];
    if (R.done[i]) st.bytes_done += nbytes(jobs, i);
  }
  st.tensors_written = R.written;
  if (o->part_n) { /* a share done; --finish publishes */
    if (o->stage) *o->stage = st;
    rc = 0;
    goto fail; /* keeps the staging folder */
  }
  for (size_t i = 0; i < pf->n_carried; i++) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", R.staging, pf->carried[i].name);
    (void)unlink(p); /* an earlier --finish's, cut short */
    if (ck_ckpt_out_copy_file(out, pf->carried[i].name, pf->carried[i].path,
                              err))
      goto fail;
  }
  if (R.jfd >= 0) close(R.jfd);
  R.jfd = -1;
  rc = ck_ckpt_out_finish(out, NULL, err);
  out = NULL;
  st.published = rc == 0;
  if (o->stage) *o->stage = st;
  goto done;
fail:
  if (rc) ck_ckpt_out_name_output(out, err);
  ck_ckpt_out_abort(out);
  out = NULL;
done:
  if (R.jfd >= 0) close(R.jfd);
  json_decref(m);
  free(want);
  free(skip);
  free(R.done);
  free(R.dirty);
  free(R.pending);
  pthread_mutex_destroy(&R.mu);
  return rc;
}
