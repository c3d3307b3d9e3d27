/* ck_jobs_run.c - run tensor jobs: bytes in bounded memory.
 *
 * Every transform is either a byte-range copy (rename, split and
 * key-value chunks along dim 0, their concatenation on import) or a
 * transpose of a 2-D tensor split along its last dimension; both are
 * produced block by block from the mmapped input, so memory stays at a
 * few MiB whatever the tensor.  The simple write path streams them
 * (ck_jobs_produce); the fast path is ck_jobs_write.c.
 */
#include "ck_job.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- running */

int ck_out_buf_ensure(out_buf *b, size_t raw, size_t cast, ck_error *err) {
  if (raw > b->raw_bytes) {
    unsigned char *p = realloc(b->raw, raw);
    if (!p)
      return ck_fail(err, CK_STAGE_IO, "out of memory for a %zu-byte block",
                     raw);
    b->raw = p;
    b->raw_bytes = raw;
  }
  if (cast > b->cast_bytes) {
    unsigned char *p = realloc(b->cast, cast);
    if (!p)
      return ck_fail(err, CK_STAGE_IO, "out of memory for a %zu-byte block",
                     cast);
    b->cast = p;
    b->cast_bytes = cast;
  }
  return 0;
}

void ck_out_buf_free(out_buf *b) {
  free(b->raw);
  free(b->cast);
  b->raw = b->cast = NULL;
  b->raw_bytes = b->cast_bytes = 0;
}

/* Cast (if needed) n elements of p and hand them to the sink.  The cast
 * kernels of ck_dtype.c are one loop per (from, to) pair: the dispatch
 * happens once per block, never per element. */
static int emit(const ck_job *job, out_buf *b, const unsigned char *p,
                size_t n, ck_sink_fn sink, void *arg, ck_error *err) {
  if (job->in_dt == job->out_dt)
    return sink(arg, p, n * job->esize, err);
  if (ck_dtype_cast(job->out_dt, b->cast, job->in_dt, p, n, err)) return -1;
  uint64_t inf = ck_dtype_count_overflow(job->out_dt, b->cast, job->in_dt, p, n);
  if (inf && job->overflow_inf) atomic_fetch_add(job->overflow_inf, inf);
  return sink(arg, b->cast, n * ck_dtype_size(job->out_dt), err);
}

/* dst[c * dst_stride + r] = src[r * src_stride + c] for r < rows,
 * c < cols, in TILE x TILE tiles (4 KiB of f32 per side, both in L1) so
 * that both sides stay in cache: a plain column walk over a transposed
 * weight misses the cache on every read.  One macro instance per element
 * size: the inner loop is a plain load/store, no call. */
#define TILE 32
#define TRANSPOSE(T)                                                       \
  do {                                                                     \
    T *d = (T *)dst;                                                       \
    const T *sr = (const T *)src;                                          \
    for (uint64_t r0 = 0; r0 < rows; r0 += TILE)                           \
      for (uint64_t c0 = 0; c0 < cols; c0 += TILE) {                       \
        uint64_t r1 = r0 + TILE < rows ? r0 + TILE : rows;                 \
        uint64_t c1 = c0 + TILE < cols ? c0 + TILE : cols;                 \
        for (uint64_t r = r0; r < r1; r++)                                 \
          for (uint64_t c = c0; c < c1; c++)                               \
            d[c * dst_stride + r] = sr[r * src_stride + c];                \
      }                                                                    \
  } while (0)

static void transpose(void *dst, uint64_t dst_stride, const void *src,
                      uint64_t src_stride, uint64_t rows, uint64_t cols,
                      size_t es) {
  switch (es) {
  case 1: TRANSPOSE(uint8_t); break;
  case 2: TRANSPOSE(uint16_t); break;
  case 4: TRANSPOSE(uint32_t); break;
  default: TRANSPOSE(uint64_t); break;
  }
}

/* Elements per block for a job: BUF_BYTES of the wider of its input and
 * output element. */
static uint64_t block_elems(const ck_job *job) {
  size_t w = job->esize > ck_dtype_size(job->out_dt) ? job->esize
                                                     : ck_dtype_size(job->out_dt);
  uint64_t cap = BUF_BYTES / (w ? w : 1);
  if (cap > job->out_elems) cap = job->out_elems ? job->out_elems : 1;
  return cap;
}

/* Make room for `elems` elements of a job in b (raw if the job transposes,
 * cast if it casts). */
static int job_room(const ck_job *job, out_buf *b, uint64_t elems,
                    ck_error *err) {
  size_t raw = job->kind != JOB_COPY ? (size_t)elems * job->esize : 0;
  size_t cast = job->in_dt != job->out_dt
                    ? (size_t)elems * ck_dtype_size(job->out_dt) : 0;
  return ck_out_buf_ensure(b, raw, cast, err);
}

/* Produce job's bytes, in order, in blocks of at most block_elems
 * elements (a transposed row may make one block longer), into sink. */
int ck_job_run_block(const ck_job *job, out_buf *b, ck_sink_fn sink, void *arg,
                   ck_error *err) {
  size_t es = job->esize;
  uint64_t cap = block_elems(job);
  if (job->kind == JOB_COPY && job->in_dt == job->out_dt) {
    /* straight from the mapped input: one call per segment, so the writer
     * can hand large ranges to write(2) without copying them */
    for (int s = 0; s < job->n_segs; s++)
      if (sink(arg, job->seg_ptr[s], (size_t)job->seg_len[s], err)) return -1;
    return 0;
  }
  if (job->kind == JOB_COPY) {
    if (job_room(job, b, cap, err)) return -1;
    for (int s = 0; s < job->n_segs; s++) {
      uint64_t n = job->seg_len[s] / es;
      for (uint64_t off = 0; off < n; off += cap) {
        size_t k = (size_t)(n - off < cap ? n - off : cap);
        if (emit(job, b, job->seg_ptr[s] + off * es, k, sink, arg, err))
          return -1;
      }
    }
    return 0;
  }
  if (job->kind == JOB_T_EXPORT) {
    /* output rows c (of length rn), as many as fit in one block */
    uint64_t rows = cap / (job->rn ? job->rn : 1);
    if (rows == 0) rows = 1;
    if (job_room(job, b, rows * job->rn, err)) return -1;
    for (uint64_t c0 = 0; c0 < job->C; c0 += rows) {
      uint64_t c1 = c0 + rows < job->C ? c0 + rows : job->C;
      /* output rows c0..c1 of [C, rn] = columns c0..c1 of input rows
       * r0..r0+rn */
      transpose(b->raw, job->rn, job->src + (job->r0 * job->C + c0) * es,
                job->C, job->rn, c1 - c0, es);
      if (emit(job, b, b->raw, (size_t)((c1 - c0) * job->rn), sink, arg, err))
        return -1;
    }
    return 0;
  }
  if (job->kind == JOB_T_BATCH) {
    /* each of n_batch [R, C] matrices, transposed to [C, R] */
    uint64_t rows = cap / (job->R ? job->R : 1);
    if (rows == 0) rows = 1;
    if (job_room(job, b, rows * job->R, err)) return -1;
    for (uint64_t e = 0; e < job->n_batch; e++) {
      const unsigned char *m = job->src + e * job->R * job->C * es;
      for (uint64_t c0 = 0; c0 < job->C; c0 += rows) {
        uint64_t c1 = c0 + rows < job->C ? c0 + rows : job->C;
        transpose(b->raw, job->R, m + c0 * es, job->C, job->R, c1 - c0, es);
        if (emit(job, b, b->raw, (size_t)((c1 - c0) * job->R), sink, arg,
                 err))
          return -1;
      }
    }
    return 0;
  }
  /* T_IMPORT */
  uint64_t rows = cap / (job->C ? job->C : 1);
  if (rows == 0) rows = 1;
  if (job_room(job, b, rows * job->C, err)) return -1;
  for (uint64_t r0 = 0; r0 < job->R; r0 += rows) {
    uint64_t r1 = r0 + rows < job->R ? r0 + rows : job->R;
    /* output rows r0..r1 of [R, C]; row r is column r % rn of input
     * r / rn ([C, rn]); split where the input changes */
    for (uint64_t r = r0; r < r1;) {
      uint64_t j = r / job->rn, rr = r % job->rn;
      uint64_t n = job->rn - rr < r1 - r ? job->rn - rr : r1 - r;
      transpose(b->raw + (r - r0) * job->C * es, job->C,
                job->srcs[j] + rr * es, job->rn, job->C, n, es);
      r += n;
    }
    if (emit(job, b, b->raw, (size_t)((r1 - r0) * job->C), sink, arg, err))
      return -1;
  }
  return 0;
}

int ck_jobs_run(const ck_jobs *jobs, size_t index, ck_sink_fn sink,
                void *arg, ck_error *err) {
  out_buf b = {0};
  int rc = ck_job_run_block(&jobs->jobs[index], &b, sink, arg, err);
  ck_out_buf_free(&b);
  return rc;
}

static int to_writer(void *arg, const void *bytes, size_t len,
                     ck_error *err) {
  return ck_st_writer_write((ck_st_writer *)arg, bytes, len, err);
}

int ck_jobs_produce(void *ctx, size_t index, ck_st_writer *w, ck_error *err) {
  ck_jobs_progress *p = ctx;
  if (ck_jobs_run(p->jobs, index, to_writer, w, err)) return -1;
  p->done_bytes += p->jobs->jobs[index].out_elems *
                   ck_dtype_size(p->jobs->jobs[index].out_dt);
  if (p->report) p->report(p->report_arg, p->done_bytes, p->jobs->total_bytes);
  return 0;
}
