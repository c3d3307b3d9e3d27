/* ck_st_common.h - what the safetensors reader and writer share: the
 * error stage and the one way a message names a tensor.  Internal to
 * runtime/io. */
#ifndef CK_ST_COMMON_H
#define CK_ST_COMMON_H

#include "ck_error.h"

#define STAGE CK_STAGE_SAFETENSORS
#define NAME_SHOWN 200 /* longest name quoted in full in a message */

/* Fail with "PATH: tensor 'NAME': MESSAGE" (stage safetensors). */
__attribute__((format(printf, 4, 5))) int
ck_st_tensor_fail(ck_error *err, const char *path, const char *name,
                  const char *fmt, ...);

#endif
