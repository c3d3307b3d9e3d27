/* ck_provenance.h - what produced a checkpoint ckconv writes.
 *
 * The output records the ckconv version, the format and spec that
 * converted it and the SHA-256 of the input's config and index files, in
 * `metadata.ckconv` of the Fast-LLM checkpoint metadata.  That mapping is
 * Fast-LLM's free-form extras (metadata.yaml for a fast_llm output; the
 * `fast_llm_metadata` of the index and safetensors headers for an HF
 * one), so neither Fast-LLM nor transformers readers are affected, and
 * config.json stays exactly the exported config.
 */
#ifndef CK_PROVENANCE_H
#define CK_PROVENANCE_H

#include <jansson.h>

#include "ck_ckpt.h"
#include "ck_error.h"
#include "ck_spec.h"

/* {"ckconv": {...}} for a conversion of the folder in_dir (of kind
 * in_kind) with `format` (the HF format on either side) and `layout`
 * (CK_LAYOUT_*).  A new reference; NULL with err set when an input file
 * cannot be read. */
json_t *ck_provenance(const ck_spec *spec, const char *in_dir,
                      ck_ckpt_kind in_kind, const ck_format *format,
                      int layout, ck_error *err);

#endif
