/* test_dtype.c - unit tests of runtime/core/ck_dtype.c (names and casts).
 *
 * Exhaustive F16/BF16 round trips, hand-computed rounding cases, sweeps
 * checked against numpy via tests/unit/st_oracle.py (run from the repo
 * root).  CK_QUICK=1 or valgrind shrinks the sweeps. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_dtype.h"

#include "support.h"

#define ORACLE "/usr/bin/python3 tests/unit/st_oracle.py"

static int quick(void) {
  const char *q = getenv("CK_QUICK");
  return (q && *q && strcmp(q, "0") != 0) || RUNNING_ON_VALGRIND;
}

static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float u2f(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static uint64_t d2u(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static uint16_t cast_f32_to(ck_dtype to, uint32_t bits) {
  uint16_t out = 0;
  ck_error err = {0};
  ck_assert_int_eq(ck_dtype_cast(to, &out, CK_DT_F32, &bits, 1, &err), 0);
  return out;
}
static uint32_t cast_to_f32(ck_dtype from, uint16_t bits) {
  uint32_t out = 0;
  ck_error err = {0};
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F32, &out, from, &bits, 1, &err), 0);
  return out;
}
static uint16_t cast_f64_to16(ck_dtype to, double d) {
  uint16_t out = 0;
  ck_error err = {0};
  ck_assert_int_eq(ck_dtype_cast(to, &out, CK_DT_F64, &d, 1, &err), 0);
  return out;
}

static int f16_is_nan(uint16_t h) { return (h & 0x7fff) > 0x7c00; }
static int bf16_is_nan(uint16_t h) { return (h & 0x7fff) > 0x7f80; }

/* The value an F16 bit pattern stands for, from the IEEE definition. */
static double f16_value(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 0x3ff;
  double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
  if (e == 31) v = INFINITY;
  return (h & 0x8000) ? -v : v;
}

START_TEST(test_names) {
  ck_assert_int_eq(ck_dtype_from_name("F32"), CK_DT_F32);
  ck_assert_int_eq(ck_dtype_from_name("BF16"), CK_DT_BF16);
  ck_assert_int_eq(ck_dtype_from_name("F8_E4M3"), CK_DT_F8_E4M3);
  ck_assert_int_eq(ck_dtype_from_name("f32"), CK_DT_INVALID);
  ck_assert_int_eq(ck_dtype_from_name("F33"), CK_DT_INVALID);
  ck_assert_int_eq(ck_dtype_from_name(NULL), CK_DT_INVALID);
  for (int i = 0; i < CK_DT_COUNT; i++) {
    ck_assert_int_eq(ck_dtype_from_name(ck_dtype_name((ck_dtype)i)), i);
    ck_assert_uint_gt(ck_dtype_size((ck_dtype)i), 0);
    ck_assert_ptr_nonnull(strstr(ck_dtype_all_names(),
                                 ck_dtype_name((ck_dtype)i)));
  }
  ck_assert_str_eq(ck_dtype_name(CK_DT_INVALID), "?");
  ck_assert_uint_eq(ck_dtype_size(CK_DT_INVALID), 0);
  ck_assert_uint_eq(ck_dtype_size(CK_DT_F64), 8);
  ck_assert_uint_eq(ck_dtype_size(CK_DT_F32), 4);
  ck_assert_uint_eq(ck_dtype_size(CK_DT_BF16), 2);
  ck_assert_uint_eq(ck_dtype_size(CK_DT_F16), 2);
  ck_assert_uint_eq(ck_dtype_size(CK_DT_I64), 8);
  ck_assert_uint_eq(ck_dtype_size(CK_DT_BOOL), 1);
  ck_assert_int_eq(ck_dtype_from_alias("fp32"), CK_DT_F32);
  ck_assert_int_eq(ck_dtype_from_alias("float32"), CK_DT_F32);
  ck_assert_int_eq(ck_dtype_from_alias("fp16"), CK_DT_F16);
  ck_assert_int_eq(ck_dtype_from_alias("float16"), CK_DT_F16);
  ck_assert_int_eq(ck_dtype_from_alias("bf16"), CK_DT_BF16);
  ck_assert_int_eq(ck_dtype_from_alias("bfloat16"), CK_DT_BF16);
  ck_assert_int_eq(ck_dtype_from_alias("BF16"), CK_DT_BF16);
  ck_assert_int_eq(ck_dtype_from_alias("f64"), CK_DT_F64);
  ck_assert_int_eq(ck_dtype_from_alias("fp8"), CK_DT_INVALID);
  /* Reference library order: U64 > I64 > F64 > ... > BF16 > F16 > BOOL. */
  ck_assert_int_gt(ck_dtype_st_rank(CK_DT_I64), ck_dtype_st_rank(CK_DT_F64));
  ck_assert_int_gt(ck_dtype_st_rank(CK_DT_F32), ck_dtype_st_rank(CK_DT_I32));
  ck_assert_int_gt(ck_dtype_st_rank(CK_DT_BF16), ck_dtype_st_rank(CK_DT_F16));
  ck_assert_int_gt(ck_dtype_st_rank(CK_DT_I16), ck_dtype_st_rank(CK_DT_I8));
  ck_assert_int_eq(ck_dtype_st_rank(CK_DT_BOOL), 0);
}
END_TEST

START_TEST(test_bad_pairs) {
  ck_error err = {0};
  int32_t i = 1;
  uint16_t h;
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F16, &h, CK_DT_I32, &i, 1, &err), -1);
  ck_assert_str_eq(err.stage, "cast");
  ck_assert_ptr_nonnull(strstr(err.msg, "I32"));
  ck_assert_ptr_nonnull(strstr(err.msg, "F16"));
  /* same dtype is a copy for any dtype */
  int64_t a[3] = {1, -2, 3}, b[3] = {0};
  ck_assert_int_eq(ck_dtype_cast(CK_DT_I64, b, CK_DT_I64, a, 3, &err), 0);
  ck_assert_mem_eq(a, b, sizeof a);
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F32, b, CK_DT_F32, a, 0, &err), 0);
}
END_TEST

START_TEST(test_f16_all_patterns) {
  static uint16_t src[65536], back[65536];
  static uint32_t wide[65536];
  static uint64_t wide64[65536];
  ck_error err = {0};
  for (uint32_t i = 0; i < 65536; i++) src[i] = (uint16_t)i;
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F32, wide, CK_DT_F16, src, 65536,
                                 &err), 0);
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F16, back, CK_DT_F32, wide, 65536,
                                 &err), 0);
  for (uint32_t i = 0; i < 65536; i++) {
    float f = u2f(wide[i]);
    if (f16_is_nan((uint16_t)i)) {
      ck_assert_msg(isnan(f), "F16 %04x -> F32 %08x not NaN", i, wide[i]);
      ck_assert_msg(f16_is_nan(back[i]), "F16 %04x -> %04x not NaN", i,
                    back[i]);
      ck_assert_uint_eq(back[i] & 0x8000, i & 0x8000);
      if (i & 0x200) /* quiet NaNs come back bit-exact */
        ck_assert_uint_eq(back[i], i);
    } else {
      ck_assert_msg(back[i] == i, "F16 %04x -> F32 %08x -> F16 %04x", i,
                    wide[i], back[i]);
      ck_assert_msg((double)f == f16_value((uint16_t)i) &&
                        !!signbit(f) == !!(i & 0x8000),
                    "F16 %04x widened to %a", i, (double)f);
    }
  }
  /* Through F64 too. */
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F64, wide64, CK_DT_F16, src, 65536,
                                 &err), 0);
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F16, back, CK_DT_F64, wide64, 65536,
                                 &err), 0);
  for (uint32_t i = 0; i < 65536; i++) {
    if (f16_is_nan((uint16_t)i)) {
      ck_assert(f16_is_nan(back[i]));
    } else {
      double d;
      memcpy(&d, &wide64[i], 8);
      ck_assert_msg(back[i] == i && d == f16_value((uint16_t)i),
                    "F16 %04x via F64 %a -> %04x", i, d, back[i]);
    }
  }
}
END_TEST

START_TEST(test_bf16_all_patterns) {
  static uint16_t src[65536], back[65536], back2[65536];
  static uint32_t wide[65536];
  static uint64_t wide64[65536];
  ck_error err = {0};
  for (uint32_t i = 0; i < 65536; i++) src[i] = (uint16_t)i;
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F32, wide, CK_DT_BF16, src, 65536,
                                 &err), 0);
  ck_assert_int_eq(ck_dtype_cast(CK_DT_BF16, back, CK_DT_F32, wide, 65536,
                                 &err), 0);
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F64, wide64, CK_DT_BF16, src, 65536,
                                 &err), 0);
  ck_assert_int_eq(ck_dtype_cast(CK_DT_BF16, back2, CK_DT_F64, wide64, 65536,
                                 &err), 0);
  for (uint32_t i = 0; i < 65536; i++) {
    ck_assert_uint_eq(wide[i], i << 16); /* BF16 is the top half of F32 */
    double d;
    memcpy(&d, &wide64[i], 8);
    if (bf16_is_nan((uint16_t)i)) {
      ck_assert(bf16_is_nan(back[i]) && bf16_is_nan(back2[i]));
      ck_assert_uint_eq(back[i] & 0x8000, i & 0x8000);
      ck_assert(isnan(d));
      if (i & 0x40) ck_assert_uint_eq(back[i], i);
    } else {
      ck_assert_msg(back[i] == i, "BF16 %04x -> %04x", i, back[i]);
      ck_assert_msg(back2[i] == i, "BF16 %04x via F64 -> %04x", i, back2[i]);
      ck_assert(d == (double)u2f(i << 16));
    }
  }
}
END_TEST

typedef struct {
  uint32_t in;
  uint16_t out;
  const char *what;
} case16;

START_TEST(test_f32_to_f16_cases) {
  static const case16 cases[] = {
    {0x3f800000, 0x3c00, "1.0"},
    {0x3f801000, 0x3c00, "1 + 2^-11: tie, down to even"},
    {0x3f803000, 0x3c02, "1 + 3*2^-11: tie, up to even"},
    {0x3f800fff, 0x3c00, "just below a tie"},
    {0x3f801001, 0x3c01, "just above a tie"},
    {0xbf803000, 0xbc02, "negative tie up"},
    {0x3dcccccd, 0x2e66, "0.1"},
    {0x477fe000, 0x7bff, "65504, largest finite"},
    {0x477fefff, 0x7bff, "just below 65520"},
    {0x477ff000, 0x7c00, "65520: tie between 65504 and 2^16 -> Inf"},
    {0x47800000, 0x7c00, "65536 overflows"},
    {0x501502f9, 0x7c00, "1e10 overflows"},
    {0x7f7fffff, 0x7c00, "FLT_MAX overflows"},
    {0xff7fffff, 0xfc00, "-FLT_MAX overflows to -Inf"},
    {0x7f800000, 0x7c00, "+Inf"},
    {0xff800000, 0xfc00, "-Inf"},
    {0x7fc00000, 0x7e00, "quiet NaN"},
    {0xffc00000, 0xfe00, "negative quiet NaN"},
    {0x7f800001, 0x7e00, "signalling NaN is quieted, not Inf"},
    {0x7fa00000, 0x7f00, "NaN payload top bits kept"},
    {0x38800000, 0x0400, "2^-14, smallest normal"},
    {0x387fc000, 0x03ff, "largest subnormal"},
    {0x387fe000, 0x0400, "tie between largest subnormal and min normal"},
    {0x33800000, 0x0001, "2^-24, smallest subnormal"},
    {0x33c00000, 0x0002, "1.5 * 2^-24: tie, up to even"},
    {0x34200000, 0x0002, "2.5 * 2^-24: tie, down to even"},
    {0x33000000, 0x0000, "2^-25: tie, down to zero"},
    {0x33000001, 0x0001, "just above 2^-25: up to min subnormal"},
    {0x32ffffff, 0x0000, "just below 2^-25: underflow to zero"},
    {0xb3000001, 0x8001, "negative, to -min subnormal"},
    {0x322bcc77, 0x0000, "1e-8 underflows"},
    {0xb22bcc77, 0x8000, "-1e-8 underflows to -0"},
    {0x00000001, 0x0000, "F32 subnormal to zero"},
    {0x80000000, 0x8000, "-0"},
    {0x00000000, 0x0000, "+0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint16_t got = cast_f32_to(CK_DT_F16, cases[i].in);
    ck_assert_msg(got == cases[i].out, "%s: F32 %08x -> F16 %04x, want %04x",
                  cases[i].what, cases[i].in, got, cases[i].out);
  }
}
END_TEST

START_TEST(test_f32_to_bf16_cases) {
  static const case16 cases[] = {
    {0x3f800000, 0x3f80, "1.0"},
    {0x3f808000, 0x3f80, "tie, down to even"},
    {0x3f818000, 0x3f82, "tie, up to even"},
    {0x3f807fff, 0x3f80, "just below a tie"},
    {0x3f808001, 0x3f81, "just above a tie"},
    {0xbf818000, 0xbf82, "negative tie up"},
    {0x3dcccccd, 0x3dcd, "0.1"},
    {0x7f7f0000, 0x7f7f, "largest finite BF16"},
    {0x7f7f7fff, 0x7f7f, "just below the overflow tie"},
    {0x7f7f8000, 0x7f80, "tie above largest finite -> Inf"},
    {0x7f7fffff, 0x7f80, "FLT_MAX overflows"},
    {0xff7fffff, 0xff80, "-FLT_MAX overflows to -Inf"},
    {0x7f800000, 0x7f80, "+Inf"},
    {0xff800000, 0xff80, "-Inf"},
    {0x7fc00000, 0x7fc0, "quiet NaN"},
    {0xffc00000, 0xffc0, "negative quiet NaN"},
    {0x7f800001, 0x7fc0, "signalling NaN is quieted, not Inf"},
    {0x7f810000, 0x7fc1, "NaN payload kept"},
    {0x00010000, 0x0001, "smallest BF16 subnormal"},
    {0x00008000, 0x0000, "half of it: tie, down to zero"},
    {0x00008001, 0x0001, "just above: up to min subnormal"},
    {0x00007fff, 0x0000, "just below: underflow to zero"},
    {0x00018000, 0x0002, "subnormal tie, up to even"},
    {0x007fffff, 0x0080, "largest F32 subnormal rounds to min normal"},
    {0x80008001, 0x8001, "negative subnormal"},
    {0x80000000, 0x8000, "-0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint16_t got = cast_f32_to(CK_DT_BF16, cases[i].in);
    ck_assert_msg(got == cases[i].out, "%s: F32 %08x -> BF16 %04x, want %04x",
                  cases[i].what, cases[i].in, got, cases[i].out);
  }
  /* BF16 <-> F16 directly */
  uint16_t h = 0x3c01, b;
  ck_error err = {0};
  ck_assert_int_eq(ck_dtype_cast(CK_DT_BF16, &b, CK_DT_F16, &h, 1, &err), 0);
  ck_assert_uint_eq(b, 0x3f80); /* 1 + 2^-10 rounds to 1.0 in BF16 */
  b = 0x4780; /* 65536 */
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F16, &h, CK_DT_BF16, &b, 1, &err), 0);
  ck_assert_uint_eq(h, 0x7c00);
  (void)cast_to_f32;
}
END_TEST

/* F64 sources round once: going through F32 would round twice. */
START_TEST(test_f64_cases) {
  double tie_plus = 1.0 + ldexp(1, -11) + ldexp(1, -40);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, tie_plus), 0x3c01);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, 1.0 + ldexp(1, -11)), 0x3c00);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, 65520.0), 0x7c00);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, 65519.999), 0x7bff);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, ldexp(1, -25)), 0x0000);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, ldexp(1, -25) * (1 + 1e-15)),
                    0x0001);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, -ldexp(1.5, -24)), 0x8002);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, 1e300), 0x7c00);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, -INFINITY), 0xfc00);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_F16, 4.9e-324), 0x0000);
  ck_assert(f16_is_nan(cast_f64_to16(CK_DT_F16, NAN)));
  ck_assert_uint_eq(cast_f64_to16(CK_DT_BF16, 1.0 + ldexp(1, -8)
                                                  + ldexp(1, -40)), 0x3f81);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_BF16, 1.0 + ldexp(1, -8)), 0x3f80);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_BF16, ldexp(1, -133)), 0x0001);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_BF16, ldexp(1, -134)), 0x0000);
  ck_assert_uint_eq(cast_f64_to16(CK_DT_BF16, 1e300), 0x7f80);
  uint64_t snan = 0x7ff0000000000001ull;
  uint16_t h;
  ck_error err = {0};
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F16, &h, CK_DT_F64, &snan, 1, &err), 0);
  ck_assert_uint_eq(h, 0x7e00);

  /* F64 -> F32 agrees with the C conversion (IEEE, nearest even) on a
   * spread of values, including subnormal and overflowing ones. */
  uint64_t state = 0x9e3779b97f4a7c15ull;
  int n = quick() ? 20000 : 400000;
  for (int i = 0; i < n; i++) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    double d;
    uint64_t bits = state;
    if (i % 2) { /* exponent near F32's range */
      uint64_t e = 1023 - 160 + (state >> 56) % 300;
      bits = (state & 0x800fffffffffffffull) | (e << 52);
    }
    memcpy(&d, &bits, 8);
    float want = (float)d, got;
    ck_assert_int_eq(ck_dtype_cast(CK_DT_F32, &got, CK_DT_F64, &d, 1, &err),
                     0);
    if (isnan(d))
      ck_assert(isnan(got));
    else
      ck_assert_msg(f2u(got) == f2u(want), "F64 %016llx -> F32 %08x, want "
                    "%08x", (unsigned long long)d2u(d), f2u(got), f2u(want));
    double back;
    ck_assert_int_eq(ck_dtype_cast(CK_DT_F64, &back, CK_DT_F32, &got, 1,
                                   &err), 0);
    if (!isnan(got)) ck_assert(back == (double)got);
  }
}
END_TEST

/* ---------------------------------------------------------- numpy sweep */

static void write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(p, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

static void read_file(const char *path, void *p, size_t n) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fread(p, 1, n, f), n);
  fclose(f);
}

/* Run the oracle's cast on n inputs of `isz` bytes; returns malloc'd
 * output bits (n elements of `osz` bytes). */
static void *oracle_cast(const char *from, const char *to, const void *in,
                         size_t n, size_t isz, size_t osz) {
  char dir[] = "/tmp/ck_dtype_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char ip[64], op[64], cmd[256];
  snprintf(ip, sizeof ip, "%s/in", dir);
  snprintf(op, sizeof op, "%s/out", dir);
  write_file(ip, in, n * isz);
  snprintf(cmd, sizeof cmd, ORACLE " cast %s %s %s %s", from, to, ip, op);
  int rc = system(cmd);
  ck_assert_msg(rc == 0, "oracle failed (%d): %s", rc, cmd);
  void *out = malloc(n * osz);
  ck_assert_ptr_nonnull(out);
  read_file(op, out, n * osz);
  unlink(ip);
  unlink(op);
  rmdir(dir);
  return out;
}

/* F32 inputs around every F16 rounding boundary (each midpoint between
 * neighbouring F16 values, and one F32 ulp either side), plus random bit
 * patterns in and out of F16's range. */
static size_t sweep_inputs(uint32_t **out) {
  int q = quick();
  size_t step = q ? 61 : 1, n = 0, cap = 3 * 65536 / step + 200000;
  uint32_t *v = malloc(cap * sizeof *v);
  ck_assert_ptr_nonnull(v);
  for (uint32_t h = 0; h < 0x7c00; h += (uint32_t)step) {
    double mid = (f16_value((uint16_t)h) + f16_value((uint16_t)(h + 1))) / 2;
    if (h == 0x7bff) mid = 65520.0;
    uint32_t m = f2u((float)mid); /* exact: midpoints fit in F32 */
    for (int s = 0; s < 2; s++) {
      uint32_t sg = s ? 0x80000000u : 0;
      v[n++] = (m - 1) | sg;
      v[n++] = m | sg;
      v[n++] = (m + 1) | sg;
    }
    if (n + 6 > cap - 100000) break;
  }
  uint64_t st = 0x243f6a8885a308d3ull;
  size_t nrand = q ? 5000 : 100000;
  for (size_t i = 0; i < nrand && n < cap; i++) {
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    uint32_t bits = (uint32_t)st;
    if (i % 4) { /* exponents from 2^-30 to 2^17 */
      uint32_t e = 97 + (uint32_t)(st >> 40) % 48;
      bits = (bits & 0x807fffffu) | (e << 23);
    }
    v[n++] = bits;
  }
  *out = v;
  return n;
}

START_TEST(test_f32_sweep_vs_numpy) {
  uint32_t *in;
  size_t n = sweep_inputs(&in);
  uint16_t *got16 = malloc(n * 2), *gotb = malloc(n * 2);
  ck_error err = {0};
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F16, got16, CK_DT_F32, in, n, &err), 0);
  ck_assert_int_eq(ck_dtype_cast(CK_DT_BF16, gotb, CK_DT_F32, in, n, &err), 0);
  uint16_t *want16 = oracle_cast("f32", "f16", in, n, 4, 2);
  uint16_t *wantb = oracle_cast("f32", "bf16", in, n, 4, 2);
  size_t checked = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(u2f(in[i]))) {
      ck_assert(f16_is_nan(got16[i]) && f16_is_nan(want16[i]));
      ck_assert_uint_eq(got16[i] & 0x8000, want16[i] & 0x8000);
      ck_assert(bf16_is_nan(gotb[i]));
      continue;
    }
    ck_assert_msg(got16[i] == want16[i], "F32 %08x (%a) -> F16 %04x, numpy "
                  "%04x", in[i], (double)u2f(in[i]), got16[i], want16[i]);
    ck_assert_msg(gotb[i] == wantb[i], "F32 %08x (%a) -> BF16 %04x, oracle "
                  "%04x", in[i], (double)u2f(in[i]), gotb[i], wantb[i]);
    checked++;
  }
  ck_assert_uint_gt(checked, (quick() ? 5000u : 250000u));
  free(in);
  free(got16);
  free(gotb);
  free(want16);
  free(wantb);
}
END_TEST

START_TEST(test_f64_sweep_vs_numpy) {
  size_t n = quick() ? 5000 : 200000;
  double *in = malloc(n * sizeof *in);
  uint16_t *got = malloc(n * 2);
  ck_assert_ptr_nonnull(in);
  uint64_t st = 0x13198a2e03707344ull;
  for (size_t i = 0; i < n; i++) {
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    uint64_t e = 1023 - 30 + (st >> 56) % 48, bits;
    bits = (st & 0x800fffffffffffffull) | (e << 52);
    if (i % 3 == 0) /* F16 midpoints nudged by tiny amounts */
      bits = d2u(f16_value((uint16_t)(st % 0x7bff)) +
                 ldexp(1, -25) * ldexp(1, (int)(st >> 60) % 15)) +
             (st >> 62) - 1;
    memcpy(&in[i], &bits, 8);
  }
  ck_error err = {0};
  ck_assert_int_eq(ck_dtype_cast(CK_DT_F16, got, CK_DT_F64, in, n, &err), 0);
  uint16_t *want = oracle_cast("f64", "f16", in, n, 8, 2);
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(got[i] == want[i], "F64 %a -> F16 %04x, numpy %04x", in[i],
                  got[i], want[i]);
  free(in);
  free(got);
  free(want);
}
END_TEST

/* Integer and bool dtypes, written out: the ones a float model's weight
 * is refused with (the F8 types are floating point, C64 is neither). */
START_TEST(test_integer_kinds) {
  static const char *const ints[] = {"I64", "I32", "I16", "I8", "U8",
                                     "BOOL", "U64", "U32", "U16"};
  int n = 0;
  for (int d = 0; d < CK_DT_COUNT; d++) {
    int want = 0;
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
      if (strcmp(ck_dtype_name((ck_dtype)d), ints[i]) == 0) want = 1;
    ck_assert_msg(ck_dtype_is_integer((ck_dtype)d) == want, "%s",
                  ck_dtype_name((ck_dtype)d));
    n += want;
  }
  ck_assert_int_eq(n, 9);
  ck_assert(!ck_dtype_is_integer(CK_DT_INVALID));
}
END_TEST

static Suite *dtype_suite(void) {
  Suite *s = suite_create("dtype");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_names);
  tcase_add_test(tc, test_bad_pairs);
  tcase_add_test(tc, test_integer_kinds);
  tcase_add_test(tc, test_f16_all_patterns);
  tcase_add_test(tc, test_bf16_all_patterns);
  tcase_add_test(tc, test_f32_to_f16_cases);
  tcase_add_test(tc, test_f32_to_bf16_cases);
  tcase_add_test(tc, test_f64_cases);
  tcase_add_test(tc, test_f32_sweep_vs_numpy);
  tcase_add_test(tc, test_f64_sweep_vs_numpy);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return ts_run_suite(dtype_suite());
}
