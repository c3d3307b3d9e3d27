/* ck_hf_extra.h - the parts of an HF config.json beyond the mapping.
 *
 * The formats map architecture only, as upstream does; transformers and
 * serving engines also read the token ids, max_position_embeddings, the
 * dtype and so on.  So a conversion HF -> fast_llm records those keys of
 * the input (metadata.ckconv.hf_config_extra, beside the provenance), and
 * an export fast_llm -> HF puts them back and always states the dtype it
 * wrote.  `config export` and the golden tests stay on the pure mapping.
 */
#ifndef CK_HF_EXTRA_H
#define CK_HF_EXTRA_H

#include "ck_load.h"

/* HF input L: the keys of its config.json that the export of its own
 * imported config does not write (the dtype keys aside), as a new
 * object. */
json_t *ck_hf_extra_record(ck_rt *rt, const ck_loaded *L);

/* fast_llm input L: the config.json of its export as HF with tensors of
 * `dtype` (CK_DT_INVALID: say none).  Keys recorded by
 * ck_hf_extra_record come back: all of them when the export is to the
 * format and layout they were recorded from, else only transformers
 * metadata keys of the target layout (a sliding_window recorded from a
 * qwen2 config says nothing of a llama one).  The exported keys win.
 * Owned by rt. */
json_t *ck_hf_output_config(ck_rt *rt, const ck_loaded *L, ck_dtype dtype);

/* "float32", "bfloat16", ... as transformers names a torch dtype; NULL
 * for a dtype without a torch name. */
const char *ck_torch_dtype_name(ck_dtype dt);

#endif
