/* ck_verify.h - `ckconv verify`: do two checkpoints hold the same
 * tensors, through the weight plan or directly. */
#ifndef CK_VERIFY_H
#define CK_VERIFY_H

#include "ck_load.h"

/* verify A B: the tensors of two checkpoints agree once names are mapped
 * through the plan (fast_llm vs HF), or directly (same layout).  Equal
 * dtypes must match bit for bit; across dtypes the values must agree
 * within the coarser dtype's rounding (bf16 2^-8, fp16 2^-11 relative). */
typedef struct ck_verify_report {
  size_t compared, identical, within_tolerance, differing;
  double max_rel_diff;
  char first_difference[512];
  /* a tied config whose head is held anyway (HF lm_head.weight, fast_llm
   * head.output_weights) and identical to the embeddings: not counted in
   * compared, not a difference (one that differs counts as differing) */
  size_t tied_heads;
  char tied_head[512];
} ck_verify_report;

/* n_threads: tensors compared at once (ck_write_jobs(n_threads) threads);
 * the report is the same for any value. */
int ck_verify(const ck_spec *spec, const char *a, const char *b,
              const char *format, int n_threads, ck_verify_report *rep,
              ck_error *err);

#endif
