/* ck_ties.h - which output head of a loaded model is tied to its
 * embeddings, shared by plan, convert and verify so that all three apply
 * the same tie rules. */
#ifndef CK_TIES_H
#define CK_TIES_H

#include "ck_load.h"

/* The tie of a loaded model (plan, convert and verify share it): a tied
 * config (tied_embedding_weight true) has its head `head_fl` tied to the
 * embeddings `emb_fl` (HF name `emb_hf`); `untied` when the config says
 * false. */
typedef struct ck_ties {
  int tied, untied;
  const char *head_fl;        /* tied duplicate (head.output_weights) */
  const char *emb_fl;         /* what it is tied to */
  const char *emb_hf;         /* the embeddings' HF name */
} ck_ties;
void ck_find_ties(ck_rt *rt, const ck_loaded *L, ck_ties *t);
/* 1 when `name` is the output head of a `kind` checkpoint of a tied
 * config (HF: *lm_head.weight; fast_llm: head_fl). */
int ck_tied_head(const ck_ties *t, ck_ckpt_kind kind, const char *name);
/* A head against the embeddings: 0 byte-identical, 1 differing first at
 * element *at, 2 different in shape or dtype. */
int ck_tie_compare(const ck_ckpt_tensor *h, const ck_ckpt_tensor *e,
                   uint64_t *at);
/* 1 when `name` is an HF output head (`lm_head.weight`, at any prefix). */
int ck_is_hf_head(const char *name);

#endif
