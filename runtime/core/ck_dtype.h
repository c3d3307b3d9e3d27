/* ck_dtype.h - element types of checkpoint tensors, and casting.
 *
 * Every tensor between the safetensors reader and writer carries a
 * ck_dtype named as in safetensors ("F32", "BF16"); CLI aliases map onto
 * them.  ck_dtype_cast converts among F64, F32, F16 and BF16. */
#ifndef CK_DTYPE_H
#define CK_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "ck_error.h"

/* ORDER CK_DT: the table in ck_dtype.c is indexed by these values. */
typedef enum {
  CK_DT_F64,
  CK_DT_F32,
  CK_DT_F16,
  CK_DT_BF16,
  CK_DT_I64,
  CK_DT_I32,
  CK_DT_I16,
  CK_DT_I8,
  CK_DT_U8,
  CK_DT_BOOL,
  CK_DT_U64,
  CK_DT_U32,
  CK_DT_U16,
  CK_DT_C64,         /* complex, two F32 parts */
  CK_DT_F8_E4M3,
  CK_DT_F8_E5M2,
  CK_DT_F8_E8M0,
  CK_DT_F8_E4M3FNUZ,
  CK_DT_F8_E5M2FNUZ,
  CK_DT_COUNT,       /* number of valid dtypes */
  CK_DT_INVALID = -1 /* returned by the lookups for unknown names */
} ck_dtype;

/* Lookup by exact safetensors name ("F32"); CK_DT_INVALID if unknown. */
ck_dtype ck_dtype_from_name(const char *name);

/* Lookup of a user-facing name: the safetensors names in any case plus
 * "fp64"/"float64", "fp32"/"float32", "fp16"/"float16"/"half",
 * "bf16"/"bfloat16".  CK_DT_INVALID if unknown. */
ck_dtype ck_dtype_from_alias(const char *alias);

/* Safetensors name; "?" for an out-of-range value. */
const char *ck_dtype_name(ck_dtype dt);

/* Element size in bytes; 0 for an out-of-range value. */
size_t ck_dtype_size(ck_dtype dt);

/* 1 for the floating types ck_dtype_cast converts (F64 F32 F16 BF16). */
int ck_dtype_is_castable_float(ck_dtype dt);

/* 1 for the integer and bool types (I64 .. U8, BOOL, U64 .. U16): never
 * the dtype of a weight of a floating-point model. */
int ck_dtype_is_integer(ck_dtype dt);

/* Rank of the dtype in the reference (Rust) safetensors library's enum,
 * which orders tensors in a file: higher rank first.  -1 if invalid. */
int ck_dtype_st_rank(ck_dtype dt);

/* Comma-separated list of all names, for "expected one of" messages. */
const char *ck_dtype_all_names(void);

/* Convert n elements from src (dtype `from`) to dst (dtype `to`).  Both
 * buffers are little-endian, need not be aligned and must not overlap.
 * Same dtype: plain copy.  Narrowing rounds to nearest, ties to even;
 * overflow gives +-Inf; NaN stays a quiet NaN of the same sign (widening
 * keeps the payload bits as they are); subnormals are exact.  Fails only
 * for a pair that is not convertible (e.g. I32 -> F16). */
int ck_dtype_cast(ck_dtype to, void *dst, ck_dtype from, const void *src,
                  size_t n, ck_error *err);

/* After ck_dtype_cast(to, dst, from, src, n): how many elements a
 * narrowing cast sent to +-Inf from a finite value (0 for any other
 * pair).  convert warns with the count. */
uint64_t ck_dtype_count_overflow(ck_dtype to, const void *dst, ck_dtype from,
                                 const void *src, size_t n);

#endif
