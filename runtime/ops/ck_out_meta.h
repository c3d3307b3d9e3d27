/* ck_out_meta.h - the metadata of a conversion's output checkpoint. */
#ifndef CK_OUT_META_H
#define CK_OUT_META_H

#include "ck_load.h"

/* The metadata of the checkpoint a conversion of L writes, provenance
 * included (ck_provenance.c), with the HF config's extra keys recorded
 * (HF -> fast_llm) or restored, and `dtype` (the output's; CK_DT_INVALID
 * for none) stated (fast_llm -> HF), see ck_hf_extra.h.  convert and plan
 * both use it, so plan predicts the same header bytes.  Owned by rt. */
int ck_output_meta(ck_rt *rt, const ck_loaded *L, const char *in_dir,
                   int to_fast_llm, ck_dtype dtype, ck_ckpt_meta *meta,
                   ck_error *err);

#endif
