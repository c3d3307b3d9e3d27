/* ck_verify.h - `ckconv verify`: do two checkpoints hold the same
 * tensors, through the weight plan or directly. */
#ifndef CK_VERIFY_H
#define CK_VERIFY_H

#include "ck_load.h"

/* verify A B: the tensors of two checkpoints agree once names are mapped
 * through the plan (fast_llm vs HF), or directly (same layout).  Equal
 * dtypes must match bit for bit.  Across widths (one side made by
 * convert --dtype) the wider side rounded to the narrower dtype by
 * convert's own cast must match bit for bit: values the cast sends to inf
 * or to zero are counted, not differences.  fp16 against bf16 (no cast
 * between them) agree within the coarser rounding (2^-8 relative).
 * compared = identical + rounded + within_tolerance + differing; a tensor
 * on one side only is `unmatched`.  The check passes when differing,
 * unmatched and config_differences are all 0. */
typedef struct ck_verify_report {
  size_t compared, identical, rounded, within_tolerance, differing;
  size_t unmatched;
  uint64_t overflow_inf, underflow_zero;
  double max_rel_diff;
  char first_difference[512];
  /* a tied config whose head is held anyway (HF lm_head.weight, fast_llm
   * head.output_weights) and identical to the embeddings: not counted in
   * compared, not a difference (one that differs counts as differing) */
  size_t tied_heads;
  char tied_head[512];
  /* "agree (...)", "differ: KEY is ... in A and ... in B" or "not
   * compared: why" */
  char config[768];
  int config_differences;
} ck_verify_report;

/* n_threads: tensors compared at once (ck_write_jobs(n_threads) threads);
 * the report is the same for any value. */
int ck_verify(const ck_spec *spec, const char *a, const char *b,
              const char *format, int n_threads, ck_verify_report *rep,
              ck_error *err);

#endif
