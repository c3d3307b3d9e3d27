/* ck_dtype.c - dtype table and the float casts of the conversion pipeline.
 *
 * The casts run over whole checkpoints (hundreds of GB), so each (from,
 * to) pair is one tight, vectorizable loop over bit patterns, chosen by a
 * switch once per call. */
#include "ck_dtype.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ck_dtype.c assumes a little-endian host"
#endif

typedef struct {
  const char *name; /* safetensors name */
  size_t size;      /* bytes per element */
  int st_rank;      /* position in Rust safetensors' `enum Dtype` */
} dtype_info;

/* ORDER CK_DT.  st_rank follows the reference library's enum:
 * BOOL F4 F6_E2M3 F6_E3M2 U8 I8 F8_E5M2 F8_E4M3 F8_E8M0 F8_E4M3FNUZ
 * F8_E5M2FNUZ I16 U16 F16 BF16 I32 U32 F32 C64 F64 I64 U64. */
static const dtype_info DTYPES[CK_DT_COUNT] = {
  [CK_DT_F64] = {"F64", 8, 19},
  [CK_DT_F32] = {"F32", 4, 17},
  [CK_DT_F16] = {"F16", 2, 13},
  [CK_DT_BF16] = {"BF16", 2, 14},
  [CK_DT_I64] = {"I64", 8, 20},
  [CK_DT_I32] = {"I32", 4, 15},
  [CK_DT_I16] = {"I16", 2, 11},
  [CK_DT_I8] = {"I8", 1, 5},
  [CK_DT_U8] = {"U8", 1, 4},
  [CK_DT_BOOL] = {"BOOL", 1, 0},
  [CK_DT_U64] = {"U64", 8, 21},
  [CK_DT_U32] = {"U32", 4, 16},
  [CK_DT_U16] = {"U16", 2, 12},
  [CK_DT_C64] = {"C64", 8, 18},
  [CK_DT_F8_E4M3] = {"F8_E4M3", 1, 7},
  [CK_DT_F8_E5M2] = {"F8_E5M2", 1, 6},
  [CK_DT_F8_E8M0] = {"F8_E8M0", 1, 8},
  [CK_DT_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", 1, 9},
  [CK_DT_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", 1, 10},
};

static int valid(ck_dtype dt) { return dt >= 0 && dt < CK_DT_COUNT; }

ck_dtype ck_dtype_from_name(const char *name) {
  if (!name) return CK_DT_INVALID;
  for (int i = 0; i < CK_DT_COUNT; i++)
    if (strcmp(DTYPES[i].name, name) == 0) return (ck_dtype)i;
  return CK_DT_INVALID;
}

ck_dtype ck_dtype_from_alias(const char *alias) {
  static const struct {
    const char *alias;
    ck_dtype dt;
  } ALIASES[] = {
    {"fp64", CK_DT_F64},     {"float64", CK_DT_F64}, {"double", CK_DT_F64},
    {"fp32", CK_DT_F32},     {"float32", CK_DT_F32}, {"float", CK_DT_F32},
    {"fp16", CK_DT_F16},     {"float16", CK_DT_F16}, {"half", CK_DT_F16},
    {"bf16", CK_DT_BF16},    {"bfloat16", CK_DT_BF16},
  };
  if (!alias) return CK_DT_INVALID;
  for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
    if (strcasecmp(ALIASES[i].alias, alias) == 0) return ALIASES[i].dt;
  for (int i = 0; i < CK_DT_COUNT; i++)
    if (strcasecmp(DTYPES[i].name, alias) == 0) return (ck_dtype)i;
  return CK_DT_INVALID;
}

const char *ck_dtype_name(ck_dtype dt) {
  return valid(dt) ? DTYPES[dt].name : "?";
}

size_t ck_dtype_size(ck_dtype dt) { return valid(dt) ? DTYPES[dt].size : 0; }

int ck_dtype_st_rank(ck_dtype dt) {
  return valid(dt) ? DTYPES[dt].st_rank : -1;
}

int ck_dtype_is_castable_float(ck_dtype dt) {
  return dt == CK_DT_F64 || dt == CK_DT_F32 || dt == CK_DT_F16 ||
         dt == CK_DT_BF16;
}

int ck_dtype_is_integer(ck_dtype dt) {
  return (dt >= CK_DT_I64 && dt <= CK_DT_U16) && dt != CK_DT_C64;
}

/* ORDER CK_DT (checked by test_dtype's test_names). */
const char *ck_dtype_all_names(void) {
  return "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, U64, U32, U16, "
         "C64, F8_E4M3, F8_E5M2, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ";
}

/* ---------------------------------------------------------------- bits */

/* Unaligned little-endian loads and stores; compilers turn these memcpys
 * into plain moves. */
static inline uint16_t ld16(const unsigned char *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}
static inline uint32_t ld32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint64_t ld64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline void st16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void st32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void st64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

/* F32 -> F16, round to nearest even.  Branch-free so that the loop
 * vectorizes: every path is computed and the right one selected.  Results
 * in F16's subnormal range come from one float addition of 0.5, whose
 * ulp (2^-24) is F16's subnormal step, so the FPU does the rounding; that
 * needs the default floating-point environment (nearest-even, no
 * flush-to-zero), which this program never changes. */
static inline uint16_t f32_to_f16(uint32_t x) {
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t a = x & 0x7fffffffu;
  float fa, fs;
  memcpy(&fa, &a, 4);
  fs = fa + 0.5f;
  uint32_t sub;
  memcpy(&sub, &fs, 4);
  sub -= 0x3f000000u;                  /* units of 2^-24; may reach 0x400 */
  uint32_t r = a - 0x38000000u;        /* rebias exponent 127 -> 15 */
  r += 0xfffu + ((r >> 13) & 1u);      /* ties to even; may carry to Inf */
  uint32_t is_sub = 0u - (uint32_t)(a < 0x38800000u); /* masks */
  uint32_t is_big = 0u - (uint32_t)(a >= 0x47800000u); /* >= 65536, Inf */
  uint32_t is_nan = 0u - (uint32_t)(a > 0x7f800000u);
  uint32_t o = (sub & is_sub) | ((r >> 13) & ~is_sub);
  o = (0x7c00u & is_big) | (o & ~is_big);
  o |= is_nan & (0x200u | ((a >> 13) & 0x3ffu)); /* quiet, payload */
  return (uint16_t)(o | sign);
}

/* F16 -> F32, exact, branch-free (vectorizes).  NaN payload bits move up
 * unchanged.  F16 subnormals m * 2^-24 come from one exact float
 * subtraction, (2^-14 + m * 2^-24) - 2^-14, all of whose operands and
 * result are F32 normals, so no rounding or flush-to-zero can apply. */
static inline uint32_t f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t em = (uint32_t)(h & 0x7fffu) << 13; /* exponent and mantissa */
  uint32_t e = em & 0x0f800000u;
  uint32_t norm = em + (112u << 23);            /* rebias 15 -> 127 */
  uint32_t is_special = 0u - (uint32_t)(e == 0x0f800000u); /* Inf, NaN */
  uint32_t is_sub = 0u - (uint32_t)(e == 0);               /* 0, subnormal */
  float fs;
  uint32_t t = norm + (1u << 23);
  memcpy(&fs, &t, 4);
  fs -= 6.103515625e-05f; /* 2^-14 */
  uint32_t sub;
  memcpy(&sub, &fs, 4);
  uint32_t o = (norm & ~is_sub) | (sub & is_sub);
  o |= is_special & 0x7f800000u; /* exponent all ones */
  return o | sign;
}

/* F32 -> BF16, round to nearest even.  Adding 0x7fff plus the lowest kept
 * bit rounds every finite value correctly, carrying into the exponent (and
 * into Inf on overflow); only NaN needs its own case. */
static inline uint16_t f32_to_bf16(uint32_t x) {
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t)((x >> 16) | 0x0040u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return (uint16_t)(x >> 16);
}

static inline uint32_t bf16_to_f32(uint16_t b) { return (uint32_t)b << 16; }

/* F64 -> a narrow float with `mbits` mantissa and `ebits` exponent bits
 * (F32: 23/8, F16: 10/5, BF16: 7/8), in one rounding step: going through
 * F32 would round twice and can be wrong near ties. */
static inline uint32_t f64_narrow(uint64_t x, unsigned mbits, unsigned ebits) {
  int bias = (1 << (ebits - 1)) - 1;
  uint32_t sign = (uint32_t)(x >> 63) << (mbits + ebits);
  uint32_t inf = ((1u << ebits) - 1u) << mbits;
  uint64_t a = x & 0x7fffffffffffffffull;
  if (a > 0x7ff0000000000000ull) /* NaN: top payload bits, quiet bit */
    return sign | inf | (1u << (mbits - 1)) |
           ((uint32_t)(a >> (52 - mbits)) & ((1u << mbits) - 1u));
  int e = (int)(a >> 52) - 1023;
  if (e > bias) return sign | inf; /* >= 2^(bias+1), or Inf */
  int emin = 1 - bias;
  if (e < emin - (int)mbits - 1) /* below half the smallest subnormal */
    return sign;                 /* (also zero and F64 subnormals) */
  uint64_t sig = (a & 0xfffffffffffffull) | (1ull << 52);
  uint64_t h;
  unsigned s;
  if (e >= emin) { /* normal target */
    s = 52 - mbits;
    h = ((uint64_t)(e + bias) << mbits) | ((sig >> s) & ((1ull << mbits) - 1));
  } else { /* subnormal target, in units of 2^(emin - mbits) */
    s = (unsigned)(52 - (int)mbits + emin - e); /* up to 53 */
    h = sig >> s;
  }
  uint64_t rem = sig & ((1ull << s) - 1);
  uint64_t half = 1ull << (s - 1);
  h += (rem > half) | ((rem == half) & (h & 1)); /* may carry to Inf */
  return sign | (uint32_t)h;
}

static inline uint64_t f32_to_f64(uint32_t x) {
  uint64_t sign = (uint64_t)(x >> 31) << 63;
  uint32_t e = (x >> 23) & 0xffu;
  uint64_t m = x & 0x7fffffu;
  if (e == 0xffu) return sign | 0x7ff0000000000000ull | (m << 29);
  if (e != 0) return sign | ((uint64_t)(e + 896u) << 52) | (m << 29);
  if (m == 0) return sign;
  uint32_t shift = (uint32_t)__builtin_clzll(m) - 40u; /* 1 .. 23 */
  m <<= shift;
  return sign | ((uint64_t)(897u - shift) << 52) | ((m & 0x7fffffu) << 29);
}

/* ---------------------------------------------------------------- loops */

/* One kernel per (from, to) pair.  Fixed-size blocks (a constant trip
 * count) and restrict parameters let gcc -O2 vectorize the branch-free
 * conversions; the tail is done one element at a time.  On x86-64 each
 * kernel is also compiled for AVX2 and picked at load time (ifunc), about
 * 3x faster than SSE2 for F32 -> F16. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__) && \
    !defined(CK_NO_CAST_CLONES)
#define CAST_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CAST_CLONES
#endif
#define CAST_BLOCK 256
#define CAST_KERNEL(NAME, DSZ, SSZ, STORE, LOAD, EXPR)                        \
  CAST_CLONES static void NAME(unsigned char *restrict d,                     \
                               const unsigned char *restrict s, size_t n) {   \
    size_t i = 0;                                                             \
    for (; i + CAST_BLOCK <= n; i += CAST_BLOCK)                              \
      for (size_t j = i; j < i + CAST_BLOCK; j++)                             \
        STORE(d + j * (DSZ), EXPR(LOAD(s + j * (SSZ))));                      \
    for (; i < n; i++) STORE(d + i * (DSZ), EXPR(LOAD(s + i * (SSZ))));       \
  }

static inline uint32_t f64_to_f32b(uint64_t x) {
  return f64_narrow(x, 23, 8);
}
static inline uint16_t f64_to_f16b(uint64_t x) {
  return (uint16_t)f64_narrow(x, 10, 5);
}
static inline uint16_t f64_to_bf16b(uint64_t x) {
  return (uint16_t)f64_narrow(x, 7, 8);
}
static inline uint64_t f16_to_f64(uint16_t h) {
  return f32_to_f64(f16_to_f32(h));
}
static inline uint64_t bf16_to_f64(uint16_t h) {
  return f32_to_f64(bf16_to_f32(h));
}
static inline uint16_t f16_to_bf16(uint16_t h) {
  return f32_to_bf16(f16_to_f32(h));
}
static inline uint16_t bf16_to_f16(uint16_t h) {
  return f32_to_f16(bf16_to_f32(h));
}

CAST_KERNEL(k_f32_f16, 2, 4, st16, ld32, f32_to_f16)
CAST_KERNEL(k_f32_bf16, 2, 4, st16, ld32, f32_to_bf16)
CAST_KERNEL(k_f16_f32, 4, 2, st32, ld16, f16_to_f32)
CAST_KERNEL(k_bf16_f32, 4, 2, st32, ld16, bf16_to_f32)
CAST_KERNEL(k_f16_bf16, 2, 2, st16, ld16, f16_to_bf16)
CAST_KERNEL(k_bf16_f16, 2, 2, st16, ld16, bf16_to_f16)
CAST_KERNEL(k_f64_f32, 4, 8, st32, ld64, f64_to_f32b)
CAST_KERNEL(k_f64_f16, 2, 8, st16, ld64, f64_to_f16b)
CAST_KERNEL(k_f64_bf16, 2, 8, st16, ld64, f64_to_bf16b)
CAST_KERNEL(k_f32_f64, 8, 4, st64, ld32, f32_to_f64)
CAST_KERNEL(k_f16_f64, 8, 2, st64, ld16, f16_to_f64)
CAST_KERNEL(k_bf16_f64, 8, 2, st64, ld16, bf16_to_f64)

int ck_dtype_cast(ck_dtype to, void *dst, ck_dtype from, const void *src,
                  size_t n, ck_error *err) {
  if (!valid(to) || !valid(from))
    return ck_fail(err, CK_STAGE_CAST, "cast: invalid dtype value (%d -> %d)",
                   (int)from, (int)to);
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (to == from) {
    if (n) memcpy(d, s, n * DTYPES[to].size);
    return 0;
  }
#define PAIR(a, b) ((int)(a) * CK_DT_COUNT + (int)(b))
  void (*k)(unsigned char *restrict, const unsigned char *restrict, size_t);
  switch (PAIR(from, to)) { /* once per call, not per element */
  case PAIR(CK_DT_F32, CK_DT_F16): k = k_f32_f16; break;
  case PAIR(CK_DT_F32, CK_DT_BF16): k = k_f32_bf16; break;
  case PAIR(CK_DT_F16, CK_DT_F32): k = k_f16_f32; break;
  case PAIR(CK_DT_BF16, CK_DT_F32): k = k_bf16_f32; break;
  case PAIR(CK_DT_F16, CK_DT_BF16): k = k_f16_bf16; break;
  case PAIR(CK_DT_BF16, CK_DT_F16): k = k_bf16_f16; break;
  case PAIR(CK_DT_F64, CK_DT_F32): k = k_f64_f32; break;
  case PAIR(CK_DT_F64, CK_DT_F16): k = k_f64_f16; break;
  case PAIR(CK_DT_F64, CK_DT_BF16): k = k_f64_bf16; break;
  case PAIR(CK_DT_F32, CK_DT_F64): k = k_f32_f64; break;
  case PAIR(CK_DT_F16, CK_DT_F64): k = k_f16_f64; break;
  case PAIR(CK_DT_BF16, CK_DT_F64): k = k_bf16_f64; break;
  default: k = NULL;
  }
#undef PAIR
  if (k) {
    k(d, s, n);
    return 0;
  }
  return ck_fail(err, CK_STAGE_CAST,
                 "cannot cast %s to %s: only F64, F32, F16 and BF16 convert "
                 "into each other",
                 DTYPES[from].name, DTYPES[to].name);
}

/* Only narrowing float casts overflow: an output element that is +-Inf
 * where the input element was finite.  The output's bit pattern is
 * tested first, so a block without infinities costs one compare per
 * element. */
static int is_inf_bits(ck_dtype dt, const unsigned char *p) {
  switch (dt) {
  case CK_DT_F16: return (ld16(p) & 0x7fffu) == 0x7c00u;
  case CK_DT_BF16: return (ld16(p) & 0x7fffu) == 0x7f80u;
  case CK_DT_F32: return (ld32(p) & 0x7fffffffu) == 0x7f800000u;
  case CK_DT_F64:
    return (ld64(p) & 0x7fffffffffffffffull) == 0x7ff0000000000000ull;
  default: return 0;
  }
}

uint64_t ck_dtype_count_overflow(ck_dtype to, const void *dst, ck_dtype from,
                                 const void *src, size_t n) {
  size_t ts = ck_dtype_size(to), fs = ck_dtype_size(from);
  if (ts >= fs || !ck_dtype_is_castable_float(to) ||
      !ck_dtype_is_castable_float(from))
    return 0;
  const unsigned char *d = dst, *s = src;
  uint64_t count = 0;
  for (size_t i = 0; i < n; i++)
    if (is_inf_bits(to, d + i * ts) && !is_inf_bits(from, s + i * fs)) {
      /* a NaN input gives NaN, not Inf: only finite inputs get here */
      count++;
    }
  return count;
}
