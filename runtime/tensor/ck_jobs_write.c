/* ck_jobs_write.c - the engine's positional fast path (ck_jobs_write).
 */
#include "ck_job.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------ positional fast path
 *
 * ck_jobs_write: the output files are laid out from the plan (headers
 * written, files sized), then N worker threads take tensors in write
 * order and write each at its known offset: identity copies with
 * copy_file_range(2) (the bytes never enter user memory; the kernel may
 * even share blocks), everything else through run_job into pwrite(2).
 * Each worker owns one out_buf, so memory is N * 2 * BUF_BYTES whatever
 * the model. */

uint64_t ck_jobs_write_memory(int n_workers) {
  return (uint64_t)(n_workers > 0 ? n_workers : 1) * 2 * BUF_BYTES;
}

/* One open input file: copy_file_range needs a descriptor, the job only
 * knows the mapped file. */
typedef struct src_fd {
  const ck_st_file *file;
  int fd;
} src_fd;

typedef struct shared {
  const ck_jobs *jobs;
  ck_ckpt_out *o;
  int simple;                /* no copy_file_range */
  src_fd *srcs;
  size_t n_srcs;
  pthread_mutex_t mu;        /* guards everything below */
  size_t next;               /* next position in write order */
  int failed;
  ck_error err;              /* the first worker error */
  uint64_t done, total;       /* the bytes this run writes (skipped ones,
                                 kept from an earlier run, are not counted:
                                 rates and ETAs stay true on a resume) */
  void (*report)(void *arg, uint64_t done, uint64_t total);
  void *report_arg;
  const ck_write_opts *opts;
} shared;

/* copy_file_range does not work between these files (other file
 * systems, old kernel, special files): every later copy goes straight
 * to the fallback.  Set once by any worker; a stale 0 read by another
 * costs one failing call. */
static _Atomic int cfr_broken;

static int src_fd_of(const shared *S, const ck_st_file *f) {
  for (size_t i = 0; i < S->n_srcs; i++)
    if (S->srcs[i].file == f) return S->srcs[i].fd;
  return -1;
}

static int write_failed(const char *path, const char *name, int e,
                        ck_error *err) {
  return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path, .tensor = name},
                    "%s: tensor '%.400s': write failed: %s%s", path, name,
                    strerror(e),
                    e == ENOSPC || e == EDQUOT ? " (the disk is full)" : "");
}

static int pwrite_all(int fd, const unsigned char *p, size_t len,
                      uint64_t off) {
  while (len) {
    ssize_t w = pwrite(fd, p, len, (off_t)off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    if (w == 0) {
      errno = EIO;
      return -1;
    }
    p += w;
    off += (uint64_t)w;
    len -= (size_t)w;
  }
  return 0;
}

/* Sink of run_job for the fast path: pwrite at a running offset. */
typedef struct at_sink {
  int fd;
  uint64_t off;
  const char *path, *name;
} at_sink;

static int to_offset(void *arg, const void *bytes, size_t len,
                     ck_error *err) {
  at_sink *s = arg;
  if (pwrite_all(s->fd, bytes, len, s->off))
    return write_failed(s->path, s->name, errno, err);
  s->off += len;
  return 0;
}

/* Copy len bytes from in_fd at in_off to out_fd at out_off: in the kernel
 * with copy_file_range when it can, else pread/pwrite through the
 * worker's buffer (the whole raw + cast area, 2 * BUF_BYTES). */
static int copy_range(const shared *S, out_buf *b, const ck_st_file *in,
                      uint64_t in_off, at_sink *out, uint64_t len,
                      ck_error *err) {
  int in_fd = src_fd_of(S, in);
  if (in_fd < 0)
    return ck_fail_at(err, CK_STAGE_IO,
                      (ck_about){.file = ck_st_path(in), .tensor = out->name},
                      "%s: tensor '%.400s': input file not open",
                      ck_st_path(in), out->name);
  while (len && !S->simple && !cfr_broken) {
    loff_t io = (loff_t)in_off, oo = (loff_t)out->off;
    size_t want = len > ((size_t)1 << 30) ? (size_t)1 << 30 : (size_t)len;
    ssize_t n = copy_file_range(in_fd, &io, out->fd, &oo, want, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
                  errno == EINVAL || errno == EBADF || errno == ETXTBSY)) {
      cfr_broken = 1;
      break;
    }
    if (n < 0) return write_failed(out->path, out->name, errno, err);
    if (n == 0)
      return ck_fail_at(err, CK_STAGE_IO,
                        (ck_about){.file = ck_st_path(in), .tensor = out->name},
                        "%s: tensor '%.400s': the input ends before "
                        "its data (file changed while converting?)",
                        ck_st_path(in), out->name);
    in_off += (uint64_t)n;
    out->off += (uint64_t)n;
    len -= (uint64_t)n;
  }
  if (!len) return 0;
  if (ck_out_buf_ensure(b, BUF_BYTES, BUF_BYTES, err)) return -1;
  while (len) {
    size_t k = len < BUF_BYTES ? (size_t)len : BUF_BYTES;
    ssize_t r = pread(in_fd, b->raw, k, (off_t)in_off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return ck_fail_at(err, CK_STAGE_IO,
                        (ck_about){.file = ck_st_path(in), .tensor = out->name},
                        "%s: tensor '%.400s': read failed: %s", ck_st_path(in),
                        out->name,
                        r < 0 ? strerror(errno) : "unexpected end of file");
    if (to_offset(out, b->raw, (size_t)r, err)) return -1;
    in_off += (uint64_t)r;
    len -= (uint64_t)r;
  }
  return 0;
}

/* Write planned tensor i (an index into jobs / the plan). */
static int write_tensor(shared *S, out_buf *b, size_t i, ck_error *err) {
  const ck_job *job = &S->jobs->jobs[i];
  at_sink s;
  ck_ckpt_out_target(S->o, i, &s.fd, &s.off, &s.path);
  s.name = S->jobs->out[i].name;
  if (job->kind == JOB_COPY && job->in_dt == job->out_dt) {
    for (int k = 0; k < job->n_segs; k++)
      if (copy_range(S, b, job->seg_file[k], job->seg_off[k], &s,
                     job->seg_len[k], err))
        return -1;
    return 0;
  }
  if (ck_job_run_block(job, b, to_offset, &s, err)) {
    if (!strstr(err->msg, s.name))
      ck_error_prefix(err, "tensor '%.400s': ", s.name);
    return -1;
  }
  return 0;
}

static void *worker(void *arg) {
  shared *S = arg;
  out_buf b = {0};
  ck_error err;
  ck_error_clear(&err);
  for (;;) {
    pthread_mutex_lock(&S->mu);
    size_t p = S->next++;
    int stop = S->failed || p >= S->jobs->n;
    pthread_mutex_unlock(&S->mu);
    if (stop) break;
    size_t i = ck_ckpt_out_data_order(S->o, p);
    if (S->opts->skip && S->opts->skip[i]) continue;
    const ck_job *job = &S->jobs->jobs[i];
    uint64_t bytes = job->out_elems * ck_dtype_size(job->out_dt);
    int rc = bytes ? write_tensor(S, &b, i, &err) : 0;
    if (!rc && bytes && S->opts->written)
      rc = S->opts->written(S->opts->written_arg, i, &err);
    pthread_mutex_lock(&S->mu);
    if (rc && !S->failed) {
      S->failed = 1;
      S->err = err; /* reported once: later failures are consequences */
    }
    if (!rc) {
      S->done += bytes;
      if (S->report) S->report(S->report_arg, S->done, S->total);
    }
    pthread_mutex_unlock(&S->mu);
    if (rc) break;
  }
  ck_out_buf_free(&b);
  return NULL;
}

int ck_jobs_write(const ck_jobs *jobs, ck_ckpt_out *o,
                  const ck_write_opts *opts, ck_error *err) {
  shared S;
  memset(&S, 0, sizeof S);
  S.jobs = jobs;
  S.o = o;
  S.simple = opts->no_copy_file_range;
  S.report = opts->report;
  S.report_arg = opts->report_arg;
  S.opts = opts;
  S.total = jobs->total_bytes;
  for (size_t j = 0; opts->skip && j < jobs->n; j++)
    if (opts->skip[j])
      S.total -= jobs->jobs[j].out_elems * ck_dtype_size(jobs->jobs[j].out_dt);
  int n_threads = opts->jobs < 1 ? 1 : opts->jobs;
  if ((size_t)n_threads > jobs->n) n_threads = jobs->n ? (int)jobs->n : 1;
  int rc = -1;
  /* one descriptor per input file that identity copies read */
  size_t cap = 0;
  for (size_t j = 0; j < jobs->n; j++)
    cap += (size_t)jobs->jobs[j].n_segs;
  S.srcs = calloc(cap ? cap : 1, sizeof *S.srcs);
  if (!S.srcs) return ck_fail(err, CK_STAGE_IO, "out of memory");
  for (size_t j = 0; j < jobs->n; j++) {
    const ck_job *job = &jobs->jobs[j];
    if (job->kind != JOB_COPY) continue;
    for (int k = 0; k < job->n_segs; k++) {
      const ck_st_file *f = job->seg_file[k];
      if (src_fd_of(&S, f) >= 0) continue;
      int fd = open(ck_st_path(f), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = ck_st_path(f)},
                   "%s: cannot open: %s", ck_st_path(f), strerror(errno));
        goto done;
      }
      S.srcs[S.n_srcs++] = (src_fd){f, fd};
    }
  }
  if (!opts->laid_out && ck_ckpt_out_layout(o, err)) goto done;
  if (pthread_mutex_init(&S.mu, NULL) != 0) {
    ck_fail(err, CK_STAGE_IO, "cannot create a mutex");
    goto done;
  }
  pthread_t *th = calloc((size_t)n_threads, sizeof *th);
  int started = 0;
  if (!th) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
  } else {
    /* the calling thread is worker 0 */
    for (int t = 1; t < n_threads; t++) {
      if (pthread_create(&th[t], NULL, worker, &S) != 0) break;
      started++;
    }
    worker(&S);
    for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
    free(th);
    if (S.failed) {
      *err = S.err;
    } else if (S.next < jobs->n) {
      ck_fail(err, CK_STAGE_IO, "internal error: not every tensor was written");
    } else {
      rc = ck_ckpt_out_layout_done(o, err);
    }
  }
  pthread_mutex_destroy(&S.mu);
done:
  for (size_t i = 0; i < S.n_srcs; i++) close(S.srcs[i].fd);
  free(S.srcs);
  return rc;
}
