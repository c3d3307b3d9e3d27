/* ck_convert_ckpt.h - `ckconv convert`: run the preflight, then write
 * the output folder from its jobs, crash-safely (a temporary sibling
 * renamed into place). */
#ifndef CK_CONVERT_CKPT_H
#define CK_CONVERT_CKPT_H

#include "ck_load.h"

int ck_convert_checkpoint(const ck_spec *spec, const ck_convert_opts *o,
                          ck_error *err);

#endif
