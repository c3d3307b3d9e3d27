/* test_safetensors.c - unit tests of runtime/io/ck_safetensors_read.c and _write.c.
 *
 * Round trips, byte-exact layout (also confirmed by tests/unit/st_oracle.py,
 * run from the repo root), writer misuse, one test per kind of corrupt
 * file.  Files live in a mkdtemp directory removed at the end. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_safetensors.h"

#include "support.h"

#define ORACLE "/usr/bin/python3 tests/unit/st_oracle.py"

static char g_dir[64];

static int quick(void) {
  const char *q = getenv("CK_QUICK");
  return (q && *q && strcmp(q, "0") != 0) || RUNNING_ON_VALGRIND;
}

/* Unchecked fixtures run in the parent, so the directory is removed even
 * when a test (in its forked child) fails. */
static void setup(void) {
  strcpy(g_dir, "/tmp/ck_st_test_XXXXXX");
  if (!mkdtemp(g_dir)) abort();
}

static void teardown(void) {
  DIR *d = opendir(g_dir);
  if (!d) return;
  struct dirent *e;
  char p[512];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(g_dir);
}

/* Path of a file in the temp dir (a few live at once). */
static const char *tp(const char *name) {
  static char ring[8][512];
  static int k;
  char *p = ring[k++ % 8];
  snprintf(p, 512, "%s/%s", g_dir, name);
  return p;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static uint64_t file_size(const char *path) {
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  return (uint64_t)st.st_size;
}

static const char *make_raw(const char *name, const void *p, size_t n) {
  const char *path = tp(name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  if (n) ck_assert_uint_eq(fwrite(p, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

/* A file with header length `n_field`, header text `hdr` and `data_len`
 * data bytes. */
static const char *make_st_n(const char *name, uint64_t n_field,
                             const char *hdr, size_t data_len) {
  size_t hl = strlen(hdr);
  unsigned char *buf = calloc(1, 8 + hl + data_len + 1);
  ck_assert_ptr_nonnull(buf);
  for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(n_field >> (8 * i));
  memcpy(buf + 8, hdr, hl);
  for (size_t i = 0; i < data_len; i++) buf[8 + hl + i] = (unsigned char)i;
  const char *path = make_raw(name, buf, 8 + hl + data_len);
  free(buf);
  return path;
}

static const char *make_st(const char *name, const char *hdr,
                           size_t data_len) {
  return make_st_n(name, strlen(hdr), hdr, data_len);
}

/* Opening must fail in `stage` with a message naming the file and
 * containing each of the given fragments (NULL-terminated list). */
static void expect_fail_v(int header_only, const char *path,
                          const char *stage, const char *const *frags) {
  ck_error err = {0};
  ck_st_file *f = header_only ? ck_st_open_header_only(path, &err)
                              : ck_st_open(path, &err);
  ck_assert_msg(f == NULL, "%s: open should fail", path);
  ck_assert_str_eq(err.stage, stage);
  ck_assert_msg(strstr(err.msg, path), "message lacks the path: %s",
                err.msg);
  for (; *frags; frags++)
    ck_assert_msg(strstr(err.msg, *frags), "message lacks [%s]: %s", *frags,
                  err.msg);
}

#define EXPECT_FAIL(path, ...)                                               \
  do {                                                                       \
    const char *const frags_[] = {__VA_ARGS__, NULL};                        \
    expect_fail_v(0, path, "safetensors", frags_);                           \
    expect_fail_v(1, path, "safetensors", frags_);                           \
  } while (0)

/* ------------------------------------------------------------- writing */

typedef struct {
  const char *name;
  ck_dtype dt;
  int ndim;
  uint64_t shape[4];
} spec;

static uint64_t numel_of(const spec *s) {
  uint64_t n = 1;
  for (int i = 0; i < s->ndim; i++) n *= s->shape[i];
  return n;
}

/* Deterministic integer-valued contents, so sums are exact everywhere. */
static double elem_value(size_t t, uint64_t i, ck_dtype dt) {
  if (dt == CK_DT_BOOL) return (double)((i + t) % 2);
  if (dt == CK_DT_U8) return (double)((i * 3 + t) % 200);
  return (double)((int64_t)((i * 7 + t) % 23) - 11);
}

static void fill(size_t t, ck_dtype dt, uint64_t n, unsigned char *out,
                 double *sum) {
  ck_error err = {0};
  float *tmp = NULL;
  *sum = 0;
  if (dt == CK_DT_F32 || dt == CK_DT_F16 || dt == CK_DT_BF16) {
    tmp = malloc(n ? n * sizeof *tmp : 1);
    ck_assert_ptr_nonnull(tmp);
  }
  for (uint64_t i = 0; i < n; i++) {
    double v = elem_value(t, i, dt);
    *sum += v;
    unsigned char *p = out + i * ck_dtype_size(dt);
    switch (dt) {
    case CK_DT_F64: memcpy(p, &v, 8); break;
    case CK_DT_F32: case CK_DT_F16: case CK_DT_BF16: tmp[i] = (float)v; break;
    case CK_DT_I64: { int64_t x = (int64_t)v; memcpy(p, &x, 8); break; }
    case CK_DT_I32: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
    case CK_DT_I16: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
    case CK_DT_I8: { int8_t x = (int8_t)v; memcpy(p, &x, 1); break; }
    case CK_DT_U8: case CK_DT_BOOL: *p = (unsigned char)v; break;
    default: ck_abort_msg("fill: dtype %s not handled", ck_dtype_name(dt));
    }
  }
  if (tmp) {
    ck_assert_int_eq(ck_dtype_cast(dt, out, CK_DT_F32, tmp, n, &err), 0);
    free(tmp);
  }
}

/* Write specs[] to path, each tensor's bytes sent in chunks of `chunk`
 * bytes (0: one write), in the writer's order.  Returns the data of every
 * tensor (by spec index) in *data and sums in sums[]. */
static void write_specs(const char *path, const spec *specs, size_t n,
                        const char *const *mk, const char *const *mv,
                        size_t nm, size_t chunk, unsigned char ***data,
                        double *sums) {
  ck_st_plan_entry *pe = calloc(n ? n : 1, sizeof *pe);
  unsigned char **bufs = calloc(n ? n : 1, sizeof *bufs);
  for (size_t i = 0; i < n; i++) {
    pe[i] = (ck_st_plan_entry){specs[i].name, specs[i].dt, specs[i].ndim,
                               specs[i].shape};
    uint64_t nb = numel_of(&specs[i]) * ck_dtype_size(specs[i].dt);
    bufs[i] = malloc(nb ? nb : 1);
    fill(i, specs[i].dt, numel_of(&specs[i]), bufs[i], &sums[i]);
  }
  ck_error err = {0};
  ck_st_writer *w = ck_st_writer_open(path, pe, n, mk, mv, nm, &err);
  ck_assert_msg(w != NULL, "writer_open: %s", err.msg);
  free(pe); /* the writer keeps its own copies */
  for (size_t k = 0; k < n; k++) {
    size_t i = ck_st_writer_order(w, k);
    uint64_t nb = numel_of(&specs[i]) * ck_dtype_size(specs[i].dt);
    ck_assert_msg(ck_st_writer_begin(w, specs[i].name, &err) == 0, "%s",
                  err.msg);
    if (nb) ck_assert_uint_eq(ck_st_writer_next(w), i);
    size_t step = chunk ? chunk : (size_t)nb;
    for (uint64_t off = 0; off < nb; off += step) {
      size_t len = (size_t)(nb - off < step ? nb - off : step);
      ck_assert_msg(ck_st_writer_write(w, bufs[i] + off, len, &err) == 0,
                    "%s", err.msg);
    }
  }
  ck_assert_uint_eq(ck_st_writer_next(w), n);
  ck_assert_msg(ck_st_writer_close(w, &err) == 0, "close: %s", err.msg);
  if (data) {
    *data = bufs;
  } else {
    for (size_t i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
  }
}

static void free_data(unsigned char **d, size_t n) {
  for (size_t i = 0; i < n; i++) free(d[i]);
  free(d);
}

static const spec MIXED[] = {
  {"model.embed.weight", CK_DT_F32, 2, {3, 5}},
  {"model.norm.weight", CK_DT_BF16, 1, {7}},
  {"lm_head.weight", CK_DT_F16, 2, {2, 3}},
  {"step", CK_DT_I64, 1, {3}},
  {"scale", CK_DT_F64, 0, {0}},        /* 0-d scalar */
  {"empty", CK_DT_I32, 2, {0, 4}},     /* zero elements */
  {"bytes", CK_DT_U8, 1, {5}},
  {"mask", CK_DT_BOOL, 3, {1, 3, 1}},
  {"a.small", CK_DT_I16, 1, {3}},
  {"b.tiny", CK_DT_I8, 1, {1}},
};
#define N_MIXED (sizeof MIXED / sizeof MIXED[0])

static const spec *find_spec(const spec *s, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(s[i].name, name) == 0) return &s[i];
  return NULL;
}

START_TEST(test_roundtrip_dtypes) {
  const char *path = tp("mixed.safetensors");
  unsigned char **data;
  double sums[N_MIXED];
  write_specs(path, MIXED, N_MIXED, NULL, NULL, 0, 0, &data, sums);
  ck_assert(!exists(tp("mixed.safetensors.ckpart")));

  ck_error err = {0};
  ck_st_file *f = ck_st_open(path, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_st_count(f), N_MIXED);
  ck_assert_uint_eq(ck_st_meta_count(f), 0);
  ck_assert_ptr_null(ck_st_meta_get(f, "format"));
  ck_assert_str_eq(ck_st_path(f), path);
  ck_assert_uint_eq(ck_st_header_len(f) % 8, 0);
  ck_assert_uint_eq(ck_st_data_offset(f), 8 + ck_st_header_len(f));
  ck_assert_uint_eq(ck_st_data_offset(f) + ck_st_data_len(f),
                    file_size(path));
  ck_assert_uint_eq(ck_st_file_size(f), file_size(path));
  ck_assert_int_eq(ck_st_truncated(f), 0);
  uint64_t pos = 0;
  int prev_rank = 1000;
  for (size_t k = 0; k < ck_st_count(f); k++) {
    const ck_st_tensor *t = ck_st_tensor_at(f, k);
    const spec *s = find_spec(MIXED, N_MIXED, t->name);
    ck_assert_ptr_nonnull(s);
    size_t si = (size_t)(s - MIXED);
    ck_assert_int_eq(t->dtype, s->dt);
    ck_assert_int_eq(t->ndim, s->ndim);
    for (int d = 0; d < s->ndim; d++)
      ck_assert_uint_eq(t->shape[d], s->shape[d]);
    ck_assert_uint_eq(t->numel, numel_of(s));
    ck_assert_uint_eq(t->nbytes, numel_of(s) * ck_dtype_size(s->dt));
    ck_assert_uint_eq(t->begin, pos); /* data order, tiled */
    ck_assert_uint_eq(t->end, pos + t->nbytes);
    ck_assert_uint_eq(t->file_offset, ck_st_data_offset(f) + t->begin);
    ck_assert_ptr_nonnull(t->data);
    if (t->nbytes) ck_assert_mem_eq(t->data, data[si], t->nbytes);
    /* dtype rank descending, as the reference writer orders them */
    ck_assert_int_le(ck_dtype_st_rank(t->dtype), prev_rank);
    prev_rank = ck_dtype_st_rank(t->dtype);
    ck_assert_ptr_eq(ck_st_find(f, t->name), t);
    pos = t->end;
  }
  const ck_st_tensor *sc = ck_st_find(f, "scale");
  ck_assert_int_eq(sc->ndim, 0);
  ck_assert_uint_eq(sc->numel, 1);
  ck_assert_uint_eq(sc->nbytes, 8);
  const ck_st_tensor *em = ck_st_find(f, "empty");
  ck_assert_uint_eq(em->numel, 0);
  ck_assert_uint_eq(em->nbytes, 0);
  ck_assert_ptr_null(ck_st_find(f, "missing"));
  ck_assert_ptr_null(ck_st_find(f, ""));
  ck_assert_ptr_null(ck_st_tensor_at(f, N_MIXED));
  ck_st_close(f);
  free_data(data, N_MIXED);
}
END_TEST

START_TEST(test_metadata_roundtrip) {
  const char *keys[] = {"format", "fast_llm_metadata", "odd \"key\"\\",
                        "ctl", "unicode"};
  const char *vals[] = {"pt", "config:\n  a: 1\n\tb: [x, y]\n", "\x01\x1f/",
                        "\b\f\r", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"};
  size_t nm = sizeof keys / sizeof keys[0];
  const char *path = tp("meta.safetensors");
  spec one[] = {{"w", CK_DT_F32, 1, {2}}};
  double sums[1];
  write_specs(path, one, 1, keys, vals, nm, 0, NULL, sums);
  ck_error err = {0};
  ck_st_file *f = ck_st_open(path, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_st_meta_count(f), nm);
  for (size_t i = 0; i < nm; i++) {
    const char *k, *v;
    ck_st_meta_at(f, i, &k, &v);
    ck_assert_str_eq(k, keys[i]); /* header order is kept */
    ck_assert_str_eq(v, vals[i]);
    ck_assert_str_eq(ck_st_meta_get(f, keys[i]), vals[i]);
  }
  const char *k = "x", *v = "y";
  ck_st_meta_at(f, nm, &k, &v);
  ck_assert_ptr_null(k);
  ck_assert_ptr_null(v);
  ck_assert_ptr_null(ck_st_meta_get(f, "absent"));
  ck_st_close(f);

  /* Metadata alone, no tensors. */
  path = tp("meta_only.safetensors");
  write_specs(path, NULL, 0, keys, vals, 1, 0, NULL, sums);
  f = ck_st_open(path, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_st_count(f), 0);
  ck_assert_str_eq(ck_st_meta_get(f, "format"), "pt");
  ck_st_close(f);
}
END_TEST

START_TEST(test_chunked_writes) {
  /* One tensor larger than the writer's 8 MiB buffer, sent in odd chunk
   * sizes, between small ones. */
  uint64_t big = quick() ? (9u << 20) / 4 : (9u << 20) / 4 + 3;
  spec s[] = {{"big", CK_DT_F32, 1, {big}},
              {"small.a", CK_DT_F32, 1, {3}},
              {"small.b", CK_DT_BF16, 2, {17, 3}},
              {"zero", CK_DT_F32, 1, {0}}};
  size_t chunks[] = {10u << 20, 3u << 20, 4096, 7, 1};
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
    if (quick() && c >= 2) break;
    char name[64];
    snprintf(name, sizeof name, "chunk%zu.safetensors", chunks[c]);
    const char *path = tp(name);
    unsigned char **data;
    double sums[4];
    write_specs(path, s, 4, NULL, NULL, 0, chunks[c], &data, sums);
    ck_error err = {0};
    ck_st_file *f = ck_st_open(path, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    for (size_t i = 0; i < 4; i++) {
      const ck_st_tensor *t = ck_st_find(f, s[i].name);
      ck_assert_ptr_nonnull(t);
      if (t->nbytes) ck_assert(memcmp(t->data, data[i], t->nbytes) == 0);
    }
    ck_st_close(f);
    free_data(data, 4);
    unlink(path);
  }
  /* Small chunks for the big tensor too: 1 and 7 bytes over 256 KiB. */
  spec m[] = {{"mid", CK_DT_U8, 1, {quick() ? 4096 : 1u << 18}}};
  double sum;
  write_specs(tp("c1.safetensors"), m, 1, NULL, NULL, 0, 7, NULL, &sum);
  ck_error err = {0};
  ck_st_file *f = ck_st_open(tp("c1.safetensors"), &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  const unsigned char *p = ck_st_tensor_at(f, 0)->data;
  for (uint64_t i = 0; i < m[0].shape[0]; i++)
    ck_assert_uint_eq(p[i], (unsigned)elem_value(0, i, CK_DT_U8));
  ck_st_close(f);
}
END_TEST

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)len + 1);
  ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return b;
}

/* The layout the reference Rust writer produces, byte for byte. */
START_TEST(test_exact_bytes) {
  uint64_t shp[] = {2, 2};
  ck_st_plan_entry e[] = {{"test", CK_DT_I32, 2, shp}};
  ck_error err = {0};
  const char *path = tp("exact.safetensors");
  ck_st_writer *w = ck_st_writer_open(path, e, 1, NULL, NULL, 0, &err);
  ck_assert_ptr_nonnull(w);
  int32_t v[4] = {1, 2, 3, 4};
  ck_assert_int_eq(ck_st_writer_write(w, v, 16, &err), 0);
  ck_assert_int_eq(ck_st_writer_close(w, &err), 0);
  size_t n;
  unsigned char *b = slurp(path, &n);
  const char *hdr =
      "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"
      "    ";
  ck_assert_uint_eq(n, 8 + 64 + 16);
  ck_assert_mem_eq(b, "\x40\0\0\0\0\0\0\0", 8);
  ck_assert_mem_eq(b + 8, hdr, 64);
  ck_assert_mem_eq(b + 72, v, 16);
  free(b);

  /* Metadata first, then tensors; no tensors and no metadata is "{}". */
  const char *mk[] = {"format"}, *mv[] = {"pt"};
  uint64_t one = 1;
  ck_st_plan_entry e2[] = {{"b", CK_DT_F16, 1, &one},
                           {"a", CK_DT_F16, 0, NULL}};
  w = ck_st_writer_open(path, e2, 2, mk, mv, 1, &err);
  ck_assert_ptr_nonnull(w);
  ck_assert_uint_eq(ck_st_writer_order(w, 0), 1); /* "a" before "b" */
  ck_assert_uint_eq(ck_st_writer_data_len(w), 4);
  ck_assert_int_eq(ck_st_writer_write(w, "\0\x3c", 2, &err), 0);
  ck_assert_int_eq(ck_st_writer_write(w, "\0\x40", 2, &err), 0);
  ck_assert_int_eq(ck_st_writer_close(w, &err), 0);
  b = slurp(path, &n);
  const char *hdr2 =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"a\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,2]},"
      "\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[2,4]}}";
  size_t hl = strlen(hdr2), pad = (8 - hl % 8) % 8;
  ck_assert_uint_eq(n, 8 + hl + pad + 4);
  ck_assert_uint_eq(b[0], hl + pad);
  ck_assert_mem_eq(b + 8, hdr2, hl);
  for (size_t i = 0; i < pad; i++) ck_assert_uint_eq(b[8 + hl + i], ' ');
  free(b);

  w = ck_st_writer_open(path, NULL, 0, NULL, NULL, 0, &err);
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(ck_st_writer_close(w, &err), 0);
  b = slurp(path, &n);
  ck_assert_uint_eq(n, 16);
  ck_assert_mem_eq(b, "\x08\0\0\0\0\0\0\0{}      ", 16);
  free(b);
  ck_st_file *f = ck_st_open(path, &err);
  ck_assert_msg(f != NULL, "%s", err.msg); /* empty file is valid */
  ck_assert_uint_eq(ck_st_count(f), 0);
  ck_assert_uint_eq(ck_st_data_len(f), 0);
  ck_st_close(f);
}
END_TEST

/* The reference library sorts by its dtype enum (descending), then name;
 * so BF16 precedes F16 and I64 precedes F64 whatever the names. */
START_TEST(test_reference_order) {
  uint64_t one = 1;
  ck_st_plan_entry e[] = {
    {"a16", CK_DT_F16, 1, &one},  {"z16", CK_DT_BF16, 1, &one},
    {"m64", CK_DT_F64, 1, &one},  {"n64", CK_DT_I64, 1, &one},
    {"b32", CK_DT_F32, 1, &one},  {"a32", CK_DT_F32, 1, &one},
    {"B32", CK_DT_F32, 1, &one},  {"u8", CK_DT_U8, 1, &one},
    {"bool", CK_DT_BOOL, 1, &one}, {"i32", CK_DT_I32, 1, &one},
  };
  const char *want[] = {"n64", "m64", "B32", "a32", "b32", "i32",
                        "z16", "a16", "u8",  "bool"};
  ck_error err = {0};
  ck_st_writer *w =
      ck_st_writer_open(tp("order.safetensors"), e, 10, NULL, NULL, 0, &err);
  ck_assert_ptr_nonnull(w);
  for (size_t i = 0; i < 10; i++)
    ck_assert_str_eq(e[ck_st_writer_order(w, i)].name, want[i]);
  ck_st_writer_abort(w);
  ck_assert(!exists(tp("order.safetensors")));
  ck_assert(!exists(tp("order.safetensors.ckpart")));
}
END_TEST

START_TEST(test_writer_misuse) {
  uint64_t two = 2, four = 4;
  ck_st_plan_entry e[] = {{"a", CK_DT_F32, 1, &four},
                          {"b", CK_DT_F32, 1, &two}};
  ck_error err = {0};
  const char *path = tp("misuse.safetensors");
  ck_st_writer *w = ck_st_writer_open(path, e, 2, NULL, NULL, 0, &err);
  ck_assert_ptr_nonnull(w);
  ck_assert(exists(tp("misuse.safetensors.ckpart")));
  ck_assert(!exists(path));
  unsigned char buf[64] = {0};
  /* begin on the wrong tensor */
  ck_assert_int_eq(ck_st_writer_begin(w, "b", &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "tensor 'b'"));
  ck_assert_ptr_nonnull(strstr(err.msg, "out of order"));
  ck_assert_ptr_nonnull(strstr(err.msg, "next expected tensor 'a'"));
  ck_assert_int_eq(ck_st_writer_begin(w, "nope", &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "not in the planned"));
  ck_assert_int_eq(ck_st_writer_begin(w, "a", &err), 0);
  /* a chunk crossing from 'a' into 'b' */
  ck_assert_int_eq(ck_st_writer_write(w, buf, 12, &err), 0);
  ck_assert_int_eq(ck_st_writer_write(w, buf, 8, &err), -1);
  ck_assert_str_eq(err.stage, "safetensors");
  ck_assert_ptr_nonnull(strstr(err.msg, path));
  ck_assert_ptr_nonnull(strstr(err.msg, "tensor 'a'"));
  ck_assert_ptr_nonnull(strstr(err.msg, "only 4 of its 16 bytes remain"));
  ck_assert_int_eq(ck_st_writer_write(w, buf, 4, &err), 0);
  ck_assert_uint_eq(ck_st_writer_next(w), 1);
  ck_assert_int_eq(ck_st_writer_begin(w, "b", &err), 0);
  ck_assert_int_eq(ck_st_writer_write(w, buf, 3, &err), 0);
  /* close with 'b' incomplete: error, and no file left behind */
  ck_assert_int_eq(ck_st_writer_close(w, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "tensor 'b'"));
  ck_assert_ptr_nonnull(strstr(err.msg, "incomplete: 3 of 8 bytes"));
  ck_assert(!exists(path));
  ck_assert(!exists(tp("misuse.safetensors.ckpart")));

  /* bytes after the end */
  w = ck_st_writer_open(path, e, 2, NULL, NULL, 0, &err);
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(ck_st_writer_write(w, buf, 16, &err), 0);
  ck_assert_int_eq(ck_st_writer_write(w, buf, 8, &err), 0);
  ck_assert_int_eq(ck_st_writer_write(w, buf, 1, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "after all 24 bytes"));
  ck_assert_int_eq(ck_st_writer_write(w, buf, 0, &err), 0);
  ck_st_writer_abort(w);
  ck_assert(!exists(path));
  ck_assert(!exists(tp("misuse.safetensors.ckpart")));
  ck_st_writer_abort(NULL);

  /* bad plans */
  ck_st_plan_entry dup[] = {{"x", CK_DT_F32, 1, &two},
                            {"x", CK_DT_F16, 1, &two}};
  ck_assert_ptr_null(ck_st_writer_open(path, dup, 2, NULL, NULL, 0, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "tensor 'x': planned twice"));
  ck_st_plan_entry res[] = {{"__metadata__", CK_DT_F32, 1, &two}};
  ck_assert_ptr_null(ck_st_writer_open(path, res, 1, NULL, NULL, 0, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "reserved"));
  ck_st_plan_entry bad_dt[] = {{"y", (ck_dtype)99, 1, &two}};
  ck_assert_ptr_null(ck_st_writer_open(path, bad_dt, 1, NULL, NULL, 0, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "tensor 'y': invalid dtype"));
  ck_st_plan_entry no_shape[] = {{"z", CK_DT_F32, 2, NULL}};
  ck_assert_ptr_null(
      ck_st_writer_open(path, no_shape, 1, NULL, NULL, 0, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "tensor 'z'"));
  uint64_t huge[] = {1ull << 32, 1ull << 32};
  ck_st_plan_entry big[] = {{"h", CK_DT_F32, 2, huge}};
  ck_assert_ptr_null(ck_st_writer_open(path, big, 1, NULL, NULL, 0, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "2^64"));
  ck_st_plan_entry bad_utf8[] = {{"\xff\xfe", CK_DT_F32, 1, &two}};
  ck_assert_ptr_null(
      ck_st_writer_open(path, bad_utf8, 1, NULL, NULL, 0, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "UTF-8"));
  const char *mk[] = {"k", "k"}, *mv[] = {"1", "2"};
  ck_assert_ptr_null(ck_st_writer_open(path, e, 2, mk, mv, 2, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "metadata key 'k' given twice"));
  ck_assert_ptr_null(ck_st_writer_open(path, e, 2, NULL, NULL, 1, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "no array"));
  ck_assert(!exists(path));
  ck_assert(!exists(tp("misuse.safetensors.ckpart")));

  /* unwritable destination */
  ck_assert_ptr_null(ck_st_writer_open("/nonexistent/dir/x.safetensors", e,
                                       2, NULL, NULL, 0, &err));
  ck_assert_str_eq(err.stage, "io");
  ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/dir/x.safetensors"));
}
END_TEST

START_TEST(test_many_tensors) {
  size_t n = quick() ? 5000 : 100000;
  ck_st_plan_entry *e = calloc(n, sizeof *e);
  char (*names)[32] = calloc(n, sizeof *names);
  uint64_t two = 2;
  for (size_t i = 0; i < n; i++) {
    snprintf(names[i], sizeof names[i], "layers.%zu.mlp.w", i);
    e[i] = (ck_st_plan_entry){names[i], i % 3 ? CK_DT_BF16 : CK_DT_F32, 1,
                              &two};
  }
  ck_error err = {0};
  const char *path = tp("many.safetensors");
  ck_st_writer *w = ck_st_writer_open(path, e, n, NULL, NULL, 0, &err);
  ck_assert_msg(w != NULL, "%s", err.msg);
  unsigned char buf[8];
  for (size_t k = 0; k < n; k++) {
    size_t i = ck_st_writer_order(w, k);
    size_t nb = 2 * ck_dtype_size(e[i].dtype);
    memset(buf, (int)(i & 0xff), sizeof buf);
    ck_assert_int_eq(ck_st_writer_write(w, buf, nb, &err), 0);
  }
  ck_assert_int_eq(ck_st_writer_close(w, &err), 0);
  ck_st_file *f = ck_st_open(path, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_st_count(f), n);
  for (size_t i = 0; i < n; i++) {
    const ck_st_tensor *t = ck_st_find(f, names[i]);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->dtype, e[i].dtype);
    ck_assert_uint_eq(((const unsigned char *)t->data)[0], i & 0xff);
  }
  ck_st_close(f);
  free(e);
  free(names);
}
END_TEST

/* ------------------------------------------------------ oracle checks */

static json_t *oracle_dump(const char *path) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, ORACLE " dump '%s'", path);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  json_error_t je;
  json_t *j = json_loadf(p, 0, &je);
  int rc = pclose(p);
  ck_assert_msg(j != NULL, "oracle output not JSON: %s", je.text);
  ck_assert_msg(rc == 0 && json_is_true(json_object_get(j, "ok")),
                "oracle rejects %s: %s", path,
                json_string_value(json_object_get(j, "error")));
  return j;
}

START_TEST(test_oracle_confirms) {
  const char *path = tp("oracle.safetensors");
  const char *mk[] = {"format", "note"};
  const char *mv[] = {"pt", "line1\nline2 \"q\" \\ \x01 caf\xc3\xa9"};
  unsigned char **data;
  double sums[N_MIXED];
  write_specs(path, MIXED, N_MIXED, mk, mv, 2, 5, &data, sums);
  json_t *j = oracle_dump(path);
  ck_assert(json_is_true(json_object_get(j, "canonical")));
  json_t *meta = json_object_get(j, "metadata");
  ck_assert_str_eq(json_string_value(json_object_get(meta, "format")), "pt");
  ck_assert_str_eq(json_string_value(json_object_get(meta, "note")), mv[1]);
  json_t *ts = json_object_get(j, "tensors");
  ck_assert_uint_eq(json_array_size(ts), N_MIXED);
  ck_error err = {0};
  ck_st_file *f = ck_st_open(path, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_uint_eq(json_integer_value(json_object_get(j, "header_len")),
                    ck_st_header_len(f));
  for (size_t k = 0; k < N_MIXED; k++) {
    json_t *t = json_array_get(ts, k);
    const char *name = json_string_value(json_object_get(t, "name"));
    const spec *s = find_spec(MIXED, N_MIXED, name);
    ck_assert_msg(s != NULL, "oracle saw unknown tensor %s", name);
    /* header order is data order */
    ck_assert_str_eq(ck_st_tensor_at(f, k)->name, name);
    ck_assert_str_eq(json_string_value(json_object_get(t, "dtype")),
                     ck_dtype_name(s->dt));
    json_t *shape = json_object_get(t, "shape");
    ck_assert_uint_eq(json_array_size(shape), (size_t)s->ndim);
    for (int d = 0; d < s->ndim; d++)
      ck_assert_uint_eq(json_integer_value(json_array_get(shape, d)),
                        s->shape[d]);
    double sum = json_number_value(json_object_get(t, "sum"));
    ck_assert_msg(sum == sums[s - MIXED], "%s: oracle sum %g, wrote %g", name,
                  sum, sums[s - MIXED]);
  }
  ck_st_close(f);
  json_decref(j);
  free_data(data, N_MIXED);
}
END_TEST

/* ------------------------------------------------------- header-only */

START_TEST(test_header_only) {
  const char *path = tp("ho.safetensors");
  unsigned char **data;
  double sums[N_MIXED];
  write_specs(path, MIXED, N_MIXED, NULL, NULL, 0, 0, &data, sums);
  free_data(data, N_MIXED);
  ck_error err = {0};
  ck_st_file *f = ck_st_open_header_only(path, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_st_count(f), N_MIXED);
  ck_assert_int_eq(ck_st_truncated(f), 0);
  ck_assert_ptr_null(ck_st_tensor_at(f, 0)->data);
  uint64_t full = ck_st_file_size(f);
  const ck_st_tensor *big = ck_st_find(f, "model.embed.weight");
  ck_assert_uint_eq(big->nbytes, 60);
  ck_st_close(f);

  /* Cut the data section: header-only reports it, a full open refuses. */
  ck_assert_int_eq(truncate(path, (off_t)(full - 10)), 0);
  f = ck_st_open_header_only(path, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_int_eq(ck_st_truncated(f), 1);
  ck_assert_uint_eq(ck_st_data_offset(f) + ck_st_data_len(f), full);
  ck_assert_uint_eq(ck_st_file_size(f), full - 10);
  ck_st_close(f);
  const char *const frags[] = {"run past the end", NULL};
  expect_fail_v(0, path, "safetensors", frags);
}
END_TEST

START_TEST(test_missing_file) {
  ck_error err = {0};
  const char *path = tp("absent.safetensors");
  ck_assert_ptr_null(ck_st_open(path, &err));
  ck_assert_str_eq(err.stage, "io");
  ck_assert_ptr_nonnull(strstr(err.msg, path));
  ck_assert_ptr_null(ck_st_open(g_dir, &err));
  ck_assert_str_eq(err.stage, "io");
  ck_st_close(NULL);
}
END_TEST

/* ------------------------------------------------------ corrupt files */

#define T_OK(name, dt, shape, b, e)                                          \
  "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape                      \
  ",\"data_offsets\":[" #b "," #e "]}"

START_TEST(test_corrupt_short) {
  EXPECT_FAIL(make_raw("short.st", "\x10\0\0\0\0", 5), "5 bytes",
              "too short");
  EXPECT_FAIL(make_raw("zero.st", "", 0), "0 bytes");
}
END_TEST

START_TEST(test_corrupt_header_len) {
  EXPECT_FAIL(make_st_n("past.st", 1000, "{}", 10), "header length 1000",
              "only 12 bytes");
  EXPECT_FAIL(make_st_n("cap.st", CK_ST_HEADER_MAX + 1ull, "{}", 0),
              "header length 104857601", "exceeds the cap");
  EXPECT_FAIL(make_st_n("huge.st", UINT64_MAX, "{}", 0), "exceeds the cap");
}
END_TEST

START_TEST(test_corrupt_not_json) {
  EXPECT_FAIL(make_st("nj.st", "{\"a\": ", 0), "not valid JSON");
  EXPECT_FAIL(make_st("nj2.st", "hello   ", 0), "not valid JSON");
  EXPECT_FAIL(make_st("nj3.st", "", 0), "not valid JSON");
  EXPECT_FAIL(make_st("nj4.st", "{\"a\xff\":1}", 0), "not valid JSON");
  EXPECT_FAIL(make_raw("nj5.st", "\x08\0\0\0\0\0\0\0{}\0\0\0\0\0\0", 16),
              "not valid JSON");
}
END_TEST

START_TEST(test_corrupt_not_object) {
  EXPECT_FAIL(make_st("arr.st", "[1,2,3] ", 0), "JSON array",
              "expected an object");
  EXPECT_FAIL(make_st("str.st", "\"x\"", 0), "not valid JSON");
}
END_TEST

START_TEST(test_corrupt_duplicate) {
  EXPECT_FAIL(make_st("dup.st",
                      "{" T_OK("dup.weight", "F32", "[1]", 0, 4) ","
                          T_OK("dup.weight", "F32", "[1]", 4, 8) "}",
                      8),
              "duplicate", "dup.weight");
}
END_TEST

START_TEST(test_corrupt_dtype) {
  EXPECT_FAIL(make_st("dt.st", "{" T_OK("w.weight", "F33", "[1]", 0, 4) "}", 4),
              "tensor 'w.weight'", "unknown dtype \"F33\"");
  EXPECT_FAIL(make_st("dt2.st",
                      "{\"w2\":{\"dtype\":32,\"shape\":[1],"
                      "\"data_offsets\":[0,4]}}",
                      4),
              "tensor 'w2'", "\"dtype\" is a JSON integer");
  EXPECT_FAIL(make_st("dt3.st",
                      "{\"w3\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
              "tensor 'w3'", "missing \"dtype\"");
  EXPECT_FAIL(make_st("dt4.st", "{\"w4\":[1,2]}", 4), "tensor 'w4'",
              "entry is a JSON array");
}
END_TEST

START_TEST(test_corrupt_shape) {
  EXPECT_FAIL(make_st("neg.st", "{" T_OK("neg", "F32", "[2,-3]", 0, 24) "}",
                      24),
              "tensor 'neg'", "shape[1] is -3");
  EXPECT_FAIL(make_st("real.st", "{" T_OK("real", "F32", "[2.5]", 0, 8) "}",
                      8),
              "tensor 'real'", "shape[0] is 2.5");
  EXPECT_FAIL(make_st("strs.st", "{" T_OK("strs", "F32", "[\"4\"]", 0, 16)
                                     "}", 16),
              "tensor 'strs'", "shape[0] is \"4\"");
  EXPECT_FAIL(make_st("nsh.st", "{" T_OK("nsh", "F32", "4", 0, 16) "}", 16),
              "tensor 'nsh'", "\"shape\" is a JSON integer");
  EXPECT_FAIL(make_st("rank.st",
                      "{" T_OK("rank", "F32",
                               "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", 0, 4)
                      "}",
                      4),
              "tensor 'rank'", "17 dimensions");
}
END_TEST

START_TEST(test_corrupt_overflow) {
  EXPECT_FAIL(make_st("ovf.st",
                      "{" T_OK("ovf", "F32", "[4294967296,4294967296]", 0, 4)
                      "}",
                      4),
              "tensor 'ovf'", "more than 2^64 elements");
  EXPECT_FAIL(make_st("ovb.st",
                      "{" T_OK("ovb", "F32", "[4611686018427387904]", 0, 4)
                      "}",
                      4),
              "tensor 'ovb'", "more than 2^64 bytes");
}
END_TEST

START_TEST(test_corrupt_size_mismatch) {
  EXPECT_FAIL(make_st("mis.st", "{" T_OK("a.weight", "F32", "[2,2]", 0, 12)
                                    "}", 12),
              "tensor 'a.weight': data_offsets [0, 12] but dtype F32 x "
              "shape [2, 2] needs 16 bytes");
  EXPECT_FAIL(make_st("bad_off.st", "{" T_OK("bo", "F32", "[1]", 8, 4) "}",
                      8),
              "tensor 'bo'", "end before they begin");
  EXPECT_FAIL(make_st("neg_off.st", "{" T_OK("no", "F32", "[1]", -4, 0) "}",
                      4),
              "tensor 'no'", "data_offsets[0] is -4");
  EXPECT_FAIL(make_st("len_off.st",
                      "{\"lo\":{\"dtype\":\"F32\",\"shape\":[1],"
                      "\"data_offsets\":[0,4,8]}}",
                      4),
              "tensor 'lo'", "wrong length");
}
END_TEST

START_TEST(test_corrupt_out_of_bounds) {
  const char *p = make_st("oob.st",
                          "{" T_OK("first", "F32", "[2]", 0, 8) ","
                              T_OK("oob", "F32", "[4]", 8, 24) "}",
                          8);
  const char *const frags[] = {"tensor 'oob'", "[8, 24]", "run past the end",
                               NULL};
  expect_fail_v(0, p, "safetensors", frags);
}
END_TEST

START_TEST(test_corrupt_overlap) {
  EXPECT_FAIL(make_st("ovl.st",
                      "{" T_OK("a", "F32", "[4]", 0, 16) ","
                          T_OK("b", "F32", "[4]", 8, 24) "}",
                      24),
              "tensor 'b'", "overlap tensor 'a' at [0, 16]");
  /* a zero-size tensor inside another one overlaps it too */
  EXPECT_FAIL(make_st("ovl0.st",
                      "{" T_OK("z", "F32", "[0]", 4, 4) ","
                          T_OK("a", "F32", "[4]", 0, 16) "}",
                      16),
              "tensor 'z'", "overlap tensor 'a'");
}
END_TEST

START_TEST(test_corrupt_gap) {
  EXPECT_FAIL(make_st("gap.st",
                      "{" T_OK("a", "F32", "[2]", 0, 8) ","
                          T_OK("b", "F32", "[2]", 16, 24) "}",
                      24),
              "tensor 'b'", "gap of 8 bytes after tensor 'a'");
  EXPECT_FAIL(make_st("gap0.st", "{" T_OK("late", "F32", "[2]", 8, 16) "}",
                      16),
              "tensor 'late'", "gap of 8 bytes at the start");
  EXPECT_FAIL(make_st("tail.st", "{" T_OK("last", "F32", "[2]", 0, 8) "}",
                      12),
              "4 stray bytes", "tensor 'last'");
  EXPECT_FAIL(make_st("tail0.st", "{}", 3), "3 stray bytes");
}
END_TEST

START_TEST(test_corrupt_metadata) {
  EXPECT_FAIL(make_st("m1.st", "{\"__metadata__\":{\"fmt\":1}}", 0),
              "__metadata__ key 'fmt'", "expected a string");
  EXPECT_FAIL(make_st("m2.st", "{\"__metadata__\":{\"ok\":\"x\",\"cfg\":"
                               "{\"a\":\"b\"}}}", 0),
              "__metadata__ key 'cfg'", "JSON object");
  EXPECT_FAIL(make_st("m3.st", "{\"__metadata__\":[\"x\"]}", 0),
              "__metadata__ is a JSON array");
  EXPECT_FAIL(make_st("m4.st", "{\"__metadata__\":{\"k\":null}}", 0),
              "__metadata__ key 'k'");
}
END_TEST

START_TEST(test_corrupt_nesting) {
  EXPECT_FAIL(make_st("deep.st",
                      "{\"d\":{\"dtype\":\"F32\",\"shape\":[1],"
                      "\"data_offsets\":[0,4],\"x\":[[[[[[[[[1]]]]]]]]]}}",
                      4),
              "nests deeper than 8");
  /* brackets inside strings do not count */
  const char *p = make_st("strbr.st",
                          "{\"__metadata__\":{\"k\":\"[[[[[[[[[[[[\\\"\"},"
                          T_OK("w", "F32", "[1]", 0, 4) "}    ",
                          4);
  ck_error err = {0};
  ck_st_file *f = ck_st_open(p, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_str_eq(ck_st_meta_get(f, "k"), "[[[[[[[[[[[[\"");
  ck_st_close(f);
}
END_TEST

/* Files in the style of other writers: unpadded header, unknown extra
 * fields (ignored by the reference reader), leading whitespace, tensors
 * listed out of data order. */
START_TEST(test_foreign_layouts) {
  const char *p = make_st("foreign.st",
                          " \n{\"b\":{\"dtype\":\"I32\",\"shape\":[2],"
                          "\"data_offsets\":[4,12],\"extra\":{\"x\":[1]}},"
                          T_OK("a", "BF16", "[2]", 0, 4) "}",
                          12);
  ck_error err = {0};
  ck_st_file *f = ck_st_open(p, &err);
  ck_assert_msg(f != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_st_count(f), 2);
  ck_assert_str_eq(ck_st_tensor_at(f, 0)->name, "a");
  ck_assert_str_eq(ck_st_tensor_at(f, 1)->name, "b");
  const ck_st_tensor *b = ck_st_find(f, "b");
  ck_assert_uint_eq(b->file_offset, 8 + ck_st_header_len(f) + 4);
  ck_assert_uint_eq(((const unsigned char *)b->data)[0], 4);
  ck_st_close(f);
}
END_TEST

static Suite *st_suite(void) {
  Suite *s = suite_create("safetensors");
  TCase *rt = tcase_create("roundtrip");
  tcase_add_unchecked_fixture(rt, setup, teardown);
  tcase_set_timeout(rt, 60);
  tcase_add_test(rt, test_roundtrip_dtypes);
  tcase_add_test(rt, test_metadata_roundtrip);
  tcase_add_test(rt, test_chunked_writes);
  tcase_add_test(rt, test_exact_bytes);
  tcase_add_test(rt, test_reference_order);
  tcase_add_test(rt, test_writer_misuse);
  tcase_add_test(rt, test_many_tensors);
  tcase_add_test(rt, test_oracle_confirms);
  tcase_add_test(rt, test_header_only);
  tcase_add_test(rt, test_missing_file);
  tcase_add_test(rt, test_foreign_layouts);
  suite_add_tcase(s, rt);

  TCase *bad = tcase_create("corrupt");
  tcase_add_unchecked_fixture(bad, setup, teardown);
  tcase_set_timeout(bad, 60);
  tcase_add_test(bad, test_corrupt_short);
  tcase_add_test(bad, test_corrupt_header_len);
  tcase_add_test(bad, test_corrupt_not_json);
  tcase_add_test(bad, test_corrupt_not_object);
  tcase_add_test(bad, test_corrupt_duplicate);
  tcase_add_test(bad, test_corrupt_dtype);
  tcase_add_test(bad, test_corrupt_shape);
  tcase_add_test(bad, test_corrupt_overflow);
  tcase_add_test(bad, test_corrupt_size_mismatch);
  tcase_add_test(bad, test_corrupt_out_of_bounds);
  tcase_add_test(bad, test_corrupt_overlap);
  tcase_add_test(bad, test_corrupt_gap);
  tcase_add_test(bad, test_corrupt_metadata);
  tcase_add_test(bad, test_corrupt_nesting);
  suite_add_tcase(s, bad);
  return s;
}

int main(void) {
  return ts_run_suite(st_suite());
}
