/* ck_job.h - one tensor job as the engine's three parts see it: built
 * by ck_jobs_build.c, run block by block by ck_jobs_run.c, written at its
 * offset by ck_jobs_write.c.  Internal to runtime/tensor. */
#ifndef CK_JOB_H
#define CK_JOB_H

#include "ck_engine.h"

#define BUF_BYTES CK_ENGINE_BLOCK_BYTES

enum { JOB_COPY, JOB_T_EXPORT, JOB_T_IMPORT, JOB_T_BATCH };

struct ck_job {
  int kind;
  ck_dtype in_dt, out_dt;
  _Atomic uint64_t *overflow_inf; /* the jobs' shared cast-overflow count */
  size_t esize;            /* input element size */
  uint64_t out_elems;
  /* COPY: concatenation of byte segments of the inputs */
  const unsigned char **seg_ptr;
  uint64_t *seg_len;
  const ck_st_file **seg_file; /* where each segment lives on disk, */
  uint64_t *seg_off;           /* for copy_file_range */
  int n_segs;
  /* T_EXPORT: input [R, C]; output [C, rn] = rows r0..r0+rn, transposed */
  const unsigned char *src;
  uint64_t R, C, r0, rn;
  /* T_IMPORT: n inputs [C, rn]; output [n*rn, C] */
  const unsigned char **srcs;
  int n_srcs;
  /* T_BATCH: input [n_batch, R, C] (src) -> output [n_batch, C, R] */
  uint64_t n_batch;
};

/* A worker's scratch memory: raw holds transposed input, cast the cast
 * output.  Fixed size (BUF_BYTES each) and reused for every job; it only
 * grows when a single output row is longer than a block (one row of a
 * tensor, never a whole tensor). */
typedef struct out_buf {
  unsigned char *raw, *cast;
  size_t raw_bytes, cast_bytes;
} out_buf;

int ck_out_buf_ensure(out_buf *b, size_t raw, size_t cast, ck_error *err);
void ck_out_buf_free(out_buf *b);

/* Produce the output bytes of job, block by block, into sink, using b. */
int ck_job_run_block(const ck_job *job, out_buf *b, ck_sink_fn sink, void *arg,
                   ck_error *err);

#endif
