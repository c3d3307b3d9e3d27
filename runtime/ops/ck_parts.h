/* ck_parts.h - the split of a conversion into N parts (`convert --part
 * K/N`, `plan --part K/N`, `plan --parts N`): deterministic from the plan
 * alone, so that every machine of a Slurm array or a GNU parallel run
 * computes the same shares without talking to the others. */
#ifndef CK_PARTS_H
#define CK_PARTS_H

#include "ck_plan.h"

/* The part (0 .. n_parts-1) of each of n tensors given in write order
 * (file by file, data order within a file): file_of[p] their file,
 * bytes[p] their size.  With at least n_parts files, whole files (by
 * their share of the bytes); else byte ranges of tensors, so that each
 * part has about 1/n_parts of the bytes.  Parts may be empty (a file much
 * larger than the others). */
void ck_parts_assign(size_t n, const size_t *file_of, const uint64_t *bytes,
                     size_t n_files, int n_parts, int *part);

/* What each part writes, for `plan`: an array of {part "K/N", tensors,
 * bytes, files: [{name, whole, offset, end, tensors}]} (offset/end: the
 * byte range of the file it writes), only part only_k when > 0.  NULL
 * when the plan has no layout (problems). */
json_t *ck_parts_plan_json(const ck_preflight *pf, int n_parts, int only_k);

#endif
