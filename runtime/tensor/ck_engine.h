/* ck_engine.h - the tensor side of a conversion.
 *
 * Turns the leaf-converter plan into one job per output tensor, checked
 * against the input checkpoint (every input tensor consumed, every
 * expected one present, shapes equal to what the config implies, one
 * dtype per leaf), then produces each output tensor's bytes in bounded
 * blocks straight from the mmapped inputs, casting on the way: either as
 * a stream for ck_ckpt_out_write_all (the simple path), or written at
 * known offsets by several threads (ck_jobs_write, the fast path).
 */
#ifndef CK_ENGINE_H
#define CK_ENGINE_H

/* Bytes of one block of a cast or transpose (and of each of a worker's
 * two buffers): big enough that a pwrite moves 2 MiB at a time, small
 * enough that 8 workers stay far under the 64 MiB memory target.  The
 * plan's memory estimate uses it too. */
#define CK_ENGINE_BLOCK_BYTES ((size_t)2 << 20)

#include "ck_ckpt.h"
#include "ck_params.h"
#include "ck_weights.h"

typedef enum ck_direction {
  CK_EXPORT, /* Fast-LLM names -> HF names */
  CK_IMPORT  /* HF names -> Fast-LLM names */
} ck_direction;

typedef struct ck_job ck_job;

typedef struct ck_jobs {
  ck_job *jobs;
  size_t n;
  ck_ckpt_out_tensor *out;   /* planned output tensors, same order */
  uint64_t total_bytes;      /* of the outputs */
  /* values a narrowing cast sent to +-Inf from finite ones, added up by
   * every run (any thread) of these jobs: convert warns with it */
  _Atomic uint64_t *overflow_inf;
} ck_jobs;

/* Build the jobs.  out_dtype CK_DT_INVALID keeps each input's dtype.
 * All coverage and shape problems are reported in one error (stage
 * "weights"). */
int ck_jobs_build(ck_rt *rt, const ck_plan *plan, const ck_params *params,
                  ck_direction dir, const ck_ckpt_in *in, ck_dtype out_dtype,
                  ck_jobs *jobs, ck_error *err);

/* Where ck_jobs_build_each hands every problem as it is found: its kind
 * (the report's: coverage, transform, missing, shape, dtype, unexpected),
 * its stage (weights; checkpoint for a tensor stored with an integer
 * dtype), the tensor it is about (or NULL) and the message.  The plan
 * lists problems from it rather than from the error's text. */
typedef struct ck_tensor_sink {
  void (*fn)(void *arg, const char *kind, ck_stage stage, const char *tensor,
             const char *message);  /* NULL: problems only in err */
  void *arg;
  /* 1 for an input tensor no job reads that the caller accounts for
   * itself (a skipped buffer, a tied head), so it is not "unexpected";
   * NULL: none */
  int (*skip)(void *arg, const char *name);
} ck_tensor_sink;

/* A weight stored with an integer or bool dtype, when every model's
 * weights are floating point: 1 with "FILE: tensor 'NAME' has dtype I32;
 * the weights of a MODEL model are floating point" in buf (model NULL:
 * "the model"), else 0.  ck_jobs_build reports it as a problem, verify
 * as an error. */
int ck_weight_dtype_bad(const ck_ckpt_tensor *t, const char *model,
                        char *buf, size_t n);

/* ck_jobs_build, also handing each problem to `sink` (may be NULL). */
int ck_jobs_build_each(ck_rt *rt, const ck_plan *plan, const ck_params *params,
                       ck_direction dir, const ck_ckpt_in *in,
                       ck_dtype out_dtype, const ck_tensor_sink *sink,
                       ck_jobs *jobs, ck_error *err);

/* Producer for ck_ckpt_out_write_all: ctx is a ck_jobs_progress. */
typedef struct ck_jobs_progress {
  const ck_jobs *jobs;
  uint64_t done_bytes;
  void (*report)(void *arg, uint64_t done, uint64_t total);
  void *report_arg;
} ck_jobs_progress;

int ck_jobs_produce(void *ctx, size_t index, ck_st_writer *w, ck_error *err);

/* The bytes a job would produce, through a callback, without a writer
 * (used by verify). */
typedef int (*ck_sink_fn)(void *arg, const void *bytes, size_t len,
                          ck_error *err);
int ck_jobs_run(const ck_jobs *jobs, size_t index, ck_sink_fn sink,
                void *arg, ck_error *err);

/* The fast path of convert: write every job's output into `o` (planned,
 * metadata set) at its known offset, instead of ck_ckpt_out_write_all.
 * `jobs` worker threads (the caller's among them) take tensors in write
 * order; identity copies go through copy_file_range(2) unless
 * no_copy_file_range, with a pread/pwrite fallback.  The first worker
 * error, naming the file and the tensor, is returned once; `o` is then
 * left for ck_ckpt_out_abort.  Memory: 2 blocks of 2 MiB per worker. */
typedef struct ck_write_opts {
  int jobs;                /* threads, >= 1 */
  int no_copy_file_range;  /* always pread/pwrite (CKCONV_SIMPLE_IO) */
  /* after each tensor: the bytes this run has written, of those it
   * writes (skipped tensors count in neither) */
  void (*report)(void *arg, uint64_t done, uint64_t total);
  void *report_arg;
  /* A staged conversion (resume, parts; ck_resume.h): the output is
   * already laid out (no ck_ckpt_out_layout here); tensors with skip[i]
   * set are not written (on disk already, or another part's), and
   * `written` is called by the worker after tensor i's bytes are all
   * written (it journals them); its failure stops the run like a write
   * error.  All NULL / 0 for a plain conversion. */
  int laid_out;
  const unsigned char *skip;
  int (*written)(void *arg, size_t i, ck_error *err);
  void *written_arg;
} ck_write_opts;

/* The buffers ck_jobs_write allocates with n_workers threads (plan's
 * memory estimate; the input is memory-mapped and not counted). */
uint64_t ck_jobs_write_memory(int n_workers);

int ck_jobs_write(const ck_jobs *jobs, ck_ckpt_out *o,
                  const ck_write_opts *opts, ck_error *err);

#endif
