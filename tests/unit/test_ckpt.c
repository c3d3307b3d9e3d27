/* test_ckpt.c - unit tests of runtime/io/ck_ckpt_read.c and ck_ckpt_write.c.
 *
 * Writes fast_llm and HF checkpoints through the API, reads them back,
 * checks them against tests/unit/ckpt_oracle.py (run from the repo root),
 * checks crash safety and every reading error; input folders must be
 * byte-identical after each read.  All in one mkdtemp directory. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_ckpt.h"

#include "support.h"

#define ORACLE "/usr/bin/python3 tests/unit/ckpt_oracle.py"

static char g_base[64]; /* per test case, removed by the parent */
static char g_dir[128];  /* per test, inside g_base */

static int quick(void) {
  const char *q = getenv("CK_QUICK");
  return (q && *q && strcmp(q, "0") != 0) || RUNNING_ON_VALGRIND;
}

static int rm_one(const char *p, const struct stat *st, int f,
                  struct FTW *w) {
  (void)st, (void)f, (void)w;
  return remove(p);
}
static void rm_rf(const char *p) {
  nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Unchecked fixtures run in the parent, so the tree is removed even when
 * a test (in its forked child) fails. */
static void setup(void) {
  strcpy(g_base, "/tmp/ck_ckpt_test_XXXXXX");
  if (!mkdtemp(g_base)) abort();
}
static void teardown(void) { rm_rf(g_base); }

/* A fresh directory for one test (tests may run in one process). */
static void fresh(void) {
  snprintf(g_dir, sizeof g_dir, "%s/t_XXXXXX", g_base);
  if (!mkdtemp(g_dir)) abort();
}

/* Path under the test's dir (a few live at once). */
static const char *bp(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static const char *bp(const char *fmt, ...) {
  static char ring[8][512];
  static int k;
  char *p = ring[k++ % 8];
  char rel[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rel, sizeof rel, fmt, ap);
  va_end(ap);
  snprintf(p, 512, "%s/%s", g_dir, rel);
  return p;
}

static int exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

/* Entries of a directory other than . and .. */
static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

/* ---------------------------------------------------------- snapshots */

typedef struct {
  char *p;
  size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

/* Everything observable in a tree (names, types, modes, link targets,
 * full contents), in sorted order: equal snapshots = unchanged tree. */
static void snap_dir(sbuf *b, const char *path, const char *rel) {
  struct dirent **list;
  int n = scandir(path, &list, NULL, alphasort);
  ck_assert_int_ge(n, 0);
  for (int i = 0; i < n; i++) {
    const char *nm = list[i]->d_name;
    if (strcmp(nm, ".") && strcmp(nm, "..")) {
      char full[1024], r[1024], line[1200];
      struct stat st;
      snprintf(full, sizeof full, "%s/%s", path, nm);
      snprintf(r, sizeof r, "%s/%s", rel, nm);
      ck_assert_int_eq(lstat(full, &st), 0);
      snprintf(line, sizeof line, "\n%s %o %lld ", r, (unsigned)st.st_mode,
               (long long)st.st_size);
      sb_add(b, line, strlen(line));
      if (S_ISLNK(st.st_mode)) {
        char tgt[1024];
        ssize_t k = readlink(full, tgt, sizeof tgt);
        ck_assert_int_ge(k, 0);
        sb_add(b, tgt, (size_t)k);
      } else if (S_ISDIR(st.st_mode)) {
        snap_dir(b, full, r);
      } else if (S_ISREG(st.st_mode)) {
        FILE *f = fopen(full, "rb");
        ck_assert_ptr_nonnull(f);
        char chunk[4096];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) sb_add(b, chunk, k);
        fclose(f);
      }
    }
    free(list[i]);
  }
  free(list);
}

static char *snapshot(const char *dir) {
  sbuf b = {0};
  sb_add(&b, "", 0);
  snap_dir(&b, dir, ".");
  return b.p;
}

/* ---------------------------------------------------------- producer */

static uint8_t pat(size_t i, uint64_t j) {
  return (uint8_t)((i * 31 + j * 7 + 1) & 0xff);
}

typedef struct {
  const ck_ckpt_out_tensor *t;
  size_t n;
  int *calls;          /* per tensor */
  size_t fail_at;      /* tensor index to fail on, or (size_t)-1 */
  const char *tmp_dir; /* checked to exist while producing */
} prod_ctx;

static uint64_t nbytes(const ck_ckpt_out_tensor *t) {
  uint64_t n = ck_dtype_size(t->dtype);
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

/* Pattern bytes in chunks of 7 (exercises chunked writes). */
static int produce(void *vctx, size_t i, ck_st_writer *w, ck_error *err) {
  prod_ctx *c = vctx;
  ck_assert_uint_lt(i, c->n);
  c->calls[i]++;
  if (c->tmp_dir) ck_assert(exists(c->tmp_dir));
  uint64_t nb = nbytes(&c->t[i]);
  uint8_t buf[7];
  for (uint64_t j = 0; j < nb;) {
    size_t k = 0;
    for (; k < sizeof buf && j < nb; k++, j++) buf[k] = pat(i, j);
    if (i == c->fail_at && j > nb / 2)
      return ck_fail(err, CK_STAGE_INTERNAL,
                     "producer failed on purpose at '%s'", c->t[i].name);
    if (ck_st_writer_write(w, buf, k, err)) return -1;
  }
  return 0;
}

/* ---------------------------------------------------------- fixtures */

#define T(nm, dt, nd, ...) {nm, dt, nd, {__VA_ARGS__}}

static const ck_ckpt_out_tensor FL_TENSORS[] = {
    T("embeddings.word_embeddings_weight", CK_DT_F32, 2, 2, 5), /* 10 */
    T("decoder.0.mixer.query.weight", CK_DT_F16, 2, 4, 5),      /* 20 */
    T("decoder.0.norm_1.weight", CK_DT_BF16, 1, 5),             /* 5 */
    T("head.final_norm.weight", CK_DT_F32, 0, 0),               /* 1 */
    T("empty", CK_DT_I64, 2, 0, 3),                             /* 0 */
};
/* Limit 25: 10, 30 >= 25 -> file 0 = [0, 1]; 5, 6, 6 -> file 1. */
static const size_t FL_SPLIT[] = {0, 0, 1, 1, 1};

static const ck_ckpt_out_tensor HF_TENSORS[] = {
    T("model.embed_tokens.weight", CK_DT_F32, 2, 2, 5),              /* 10 */
    T("model.layers.0.self_attn.q_proj.weight", CK_DT_F16, 2, 4, 5), /* 20 */
    T("model.norm.weight", CK_DT_BF16, 1, 5),                        /* 5 */
    T("lm_head.weight", CK_DT_F32, 2, 3, 2),                         /* 6 */
};
static const size_t HF_SPLIT[] = {0, 0, 1, 1};

static const char *BASE_MODEL =
    "{\"hidden_size\": 64, \"decoder\": {\"num_blocks\": 2, \"block\": "
    "{\"mixer\": {\"type\": \"attention\", \"rotary\": {\"type\": "
    "\"default\", \"theta\": 10000.0}}, \"normalization\": {\"type\": "
    "\"rms_norm\", \"epsilon\": 1e-05}}}, \"embeddings\": {\"vocab_size\": "
    "128}, \"tied_embedding_weight\": false}";
static const char *HF_CONFIG =
    "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], "
    "\"rms_norm_eps\": 1e-05, \"rope_theta\": 10000.0, \"hidden_size\": 64, "
    "\"tie_word_embeddings\": false, \"note\": \"caf\\u00e9 \\u2713\", "
    "\"rope_scaling\": null, \"nested\": {\"b\": 1, \"a\": [1, 2.5, null]}}";
static const char *EXTRA =
    "{\"ckconv\": {\"source\": \"/in/dir\", \"version\": \"0.1\"}}";

static json_t *jparse(const char *s) {
  json_error_t je;
  json_t *v = json_loads(s, 0, &je);
  ck_assert_msg(v != NULL, "%s", je.text);
  return v;
}

/* Write a checkpoint; returns 0 or -1 (err set).  The producer's calls
 * are checked: each tensor exactly once. */
static int write_ckpt(const char *out, ck_ckpt_kind kind,
                      const ck_ckpt_out_tensor *t, size_t n, uint64_t ppf,
                      int force, size_t fail_at, ck_error *err) {
  json_t *bm = jparse(BASE_MODEL), *hf = jparse(HF_CONFIG);
  json_t *extra = jparse(EXTRA);
  ck_ckpt_meta m = {kind == CK_CKPT_HF ? "llama" : "fast_llm", bm,
                    kind == CK_CKPT_HF ? hf : NULL, NULL, extra};
  int *calls = calloc(n ? n : 1, sizeof *calls);
  int rc = -1;
  ck_ckpt_out *o = ck_ckpt_out_begin(out, kind, force, err);
  if (!o) goto done;
  prod_ctx ctx = {t, n, calls, fail_at, ck_ckpt_out_tmp_dir(o)};
  if (ck_ckpt_out_plan(o, t, n, ppf, err) ||
      ck_ckpt_out_set_meta(o, &m, err) ||
      ck_ckpt_out_write_all(o, produce, &ctx, err)) {
    ck_ckpt_out_abort(o);
    goto done;
  }
  for (size_t i = 0; i < n; i++) ck_assert_int_eq(calls[i], 1);
  rc = ck_ckpt_out_finish(o, &m, err);
done:
  free(calls);
  json_decref(bm);
  json_decref(hf);
  json_decref(extra);
  return rc;
}

/* Spec for the oracle, built from the same literals. */
static void write_spec(const char *path, ck_ckpt_kind kind,
                       const ck_ckpt_out_tensor *t, size_t n, uint64_t ppf,
                       const size_t *split) {
  json_t *s = json_object(), *ts = json_array(), *files = json_array();
  json_object_set_new(s, "kind", json_string(kind == CK_CKPT_HF ? "hf"
                                             : "fast_llm"));
  json_object_set_new(s, "format", json_string(kind == CK_CKPT_HF ? "llama"
                                               : "fast_llm"));
  json_object_set_new(s, "base_model", jparse(BASE_MODEL));
  json_object_set_new(s, "hf_config", jparse(HF_CONFIG));
  json_object_set_new(s, "extra", jparse(EXTRA));
  json_object_set_new(s, "ppf", json_integer((json_int_t)ppf));
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_object(), *sh = json_array();
    for (int d = 0; d < t[i].ndim; d++)
      json_array_append_new(sh, json_integer((json_int_t)t[i].shape[d]));
    json_object_set_new(e, "name", json_string(t[i].name));
    json_object_set_new(e, "dtype", json_string(ck_dtype_name(t[i].dtype)));
    json_object_set_new(e, "shape", sh);
    json_array_append_new(ts, e);
    if (split) {
      if (json_array_size(files) <= split[i])
        json_array_append_new(files, json_array());
      json_array_append_new(json_array_get(files, split[i]),
                            json_string(t[i].name));
    }
  }
  json_object_set_new(s, "tensors", ts);
  if (split) json_object_set_new(s, "files", files);
  else json_decref(files);
  ck_assert_int_eq(json_dump_file(s, path, 0), 0);
  json_decref(s);
}

static void run_oracle(const char *spec, const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, ORACLE " check %s %s", spec, dir);
  int rc = system(cmd);
  ck_assert_msg(rc == 0, "oracle failed (%d): %s", rc, cmd);
}

/* Read back and compare every byte with the pattern. */
static void verify_read(const char *dir, ck_ckpt_kind kind,
                        const ck_ckpt_out_tensor *t, size_t n,
                        const size_t *split) {
  ck_error err = {0};
  char *before = snapshot(dir);
  ck_ckpt_kind k;
  ck_assert_int_eq(ck_ckpt_detect(dir, &k, &err), 0);
  ck_assert_int_eq(k, kind);
  ck_ckpt_in *c = ck_ckpt_open(dir, kind, 0, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_ckpt_count(c), n);
  for (size_t i = 0; i < n; i++) {
    const ck_ckpt_tensor *x = ck_ckpt_find(c, t[i].name);
    ck_assert_msg(x != NULL, "%s not found", t[i].name);
    ck_assert_str_eq(x->name, t[i].name);
    ck_assert_int_eq(x->t->dtype, t[i].dtype);
    ck_assert_int_eq(x->t->ndim, t[i].ndim);
    for (int d = 0; d < t[i].ndim; d++)
      ck_assert_uint_eq(x->t->shape[d], t[i].shape[d]);
    ck_assert_uint_eq(x->t->nbytes, nbytes(&t[i]));
    const uint8_t *b = x->t->data;
    for (uint64_t j = 0; j < x->t->nbytes; j++)
      ck_assert_msg(b[j] == pat(i, j), "%s byte %llu", t[i].name,
                    (unsigned long long)j);
    char fname[64];
    snprintf(fname, sizeof fname, "/model_%zu.safetensors", split[i]);
    const char *path = ck_st_path(x->file);
    ck_assert_str_eq(path + strlen(path) - strlen(fname), fname);
  }
  /* Iteration: file order, then data order; every tensor once. */
  size_t prev_file = 0;
  for (size_t i = 0; i < ck_ckpt_count(c); i++) {
    const ck_ckpt_tensor *x = ck_ckpt_at(c, i);
    ck_assert_ptr_eq(ck_ckpt_find(c, x->name), x);
    size_t f = 0;
    while (ck_ckpt_file_at(c, f) != x->file) f++;
    ck_assert_uint_ge(f, prev_file);
    if (i && f == prev_file)
      ck_assert_uint_gt(x->t->begin + 1, ck_ckpt_at(c, i - 1)->t->begin);
    prev_file = f;
  }
  ck_assert_ptr_null(ck_ckpt_find(c, "nope"));
  ck_assert_ptr_null(ck_ckpt_at(c, n));
  ck_ckpt_close(c);
  char *after = snapshot(dir);
  ck_assert_str_eq(before, after);
  free(before);
  free(after);
}

/* ---------------------------------------------------------- round trips */

#define NT(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_roundtrip_fast_llm) {
  fresh();
  setenv("CK_MIN_PARAMETERS_PER_FILE_OK", "1", 1);
  ck_error err = {0};
  const char *out = bp("fl");
  ck_assert_msg(write_ckpt(out, CK_CKPT_FAST_LLM, FL_TENSORS, NT(FL_TENSORS),
                           25, 0, (size_t)-1, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(count_entries(g_dir), 1); /* no temp dir left */
  verify_read(out, CK_CKPT_FAST_LLM, FL_TENSORS, NT(FL_TENSORS), FL_SPLIT);
  write_spec(bp("fl.json"), CK_CKPT_FAST_LLM, FL_TENSORS, NT(FL_TENSORS), 25,
             FL_SPLIT);
  run_oracle(bp("fl.json"), out);

  ck_ckpt_in *c = ck_ckpt_open(out, CK_CKPT_FAST_LLM, 0, &err);
  ck_assert_ptr_nonnull(c);
  json_t *bm = jparse(BASE_MODEL);
  ck_assert(json_equal(ck_ckpt_base_model(c), bm));
  json_decref(bm);
  ck_assert_str_eq(json_string_value(json_object_get(ck_ckpt_config(c),
                                                     "format")), "fast_llm");
  ck_assert_uint_eq(ck_ckpt_file_count(c), 2);
  ck_ckpt_close(c);
}
END_TEST

START_TEST(test_roundtrip_hf) {
  fresh();
  setenv("CK_MIN_PARAMETERS_PER_FILE_OK", "1", 1);
  ck_error err = {0};
  const char *out = bp("hf");
  ck_assert_msg(write_ckpt(out, CK_CKPT_HF, HF_TENSORS, NT(HF_TENSORS), 25,
                           0, (size_t)-1, &err) == 0, "%s", err.msg);
  verify_read(out, CK_CKPT_HF, HF_TENSORS, NT(HF_TENSORS), HF_SPLIT);
  write_spec(bp("hf.json"), CK_CKPT_HF, HF_TENSORS, NT(HF_TENSORS), 25,
             HF_SPLIT);
  run_oracle(bp("hf.json"), out);
  ck_ckpt_in *c = ck_ckpt_open(out, CK_CKPT_HF, 0, &err);
  ck_assert_ptr_nonnull(c);
  ck_assert_uint_eq(json_object_size(ck_ckpt_base_model(c)), 0);
  ck_assert_str_eq(json_string_value(json_object_get(ck_ckpt_config(c),
                                                     "model_type")), "llama");
  ck_ckpt_close(c);
}
END_TEST

/* Other limits: one tensor per file (limit 5 with 10, 20, 5, 6), and the
 * default (everything in model_0), checked by the oracle's own split. */
START_TEST(test_split_rules) {
  fresh();
  setenv("CK_MIN_PARAMETERS_PER_FILE_OK", "1", 1);
  ck_error err = {0};
  static const size_t every[] = {0, 1, 2, 3};
  ck_assert(write_ckpt(bp("s10"), CK_CKPT_HF, HF_TENSORS, NT(HF_TENSORS), 5,
                       0, (size_t)-1, &err) == 0);
  verify_read(bp("s10"), CK_CKPT_HF, HF_TENSORS, NT(HF_TENSORS), every);
  write_spec(bp("s10.json"), CK_CKPT_HF, HF_TENSORS, NT(HF_TENSORS), 5,
             every);
  run_oracle(bp("s10.json"), bp("s10"));

  static const size_t one[] = {0, 0, 0, 0, 0};
  ck_assert(write_ckpt(bp("s0"), CK_CKPT_FAST_LLM, FL_TENSORS, NT(FL_TENSORS),
                       0, 0, (size_t)-1, &err) == 0);
  verify_read(bp("s0"), CK_CKPT_FAST_LLM, FL_TENSORS, NT(FL_TENSORS), one);
  write_spec(bp("s0.json"), CK_CKPT_FAST_LLM, FL_TENSORS, NT(FL_TENSORS),
             (uint64_t)1 << 32, one);
  run_oracle(bp("s0.json"), bp("s0"));

  /* Exactly on the limit closes the file: 10 | 20 | 5+6 with limit 10. */
  ck_ckpt_out *o = ck_ckpt_out_begin(NULL, CK_CKPT_HF, 0, &err);
  ck_assert_int_eq(ck_ckpt_out_plan(o, HF_TENSORS, 4, 10, &err), 0);
  ck_assert_uint_eq(ck_ckpt_out_file_count(o), 3);
  ck_assert_uint_eq(ck_ckpt_out_tensor_file(o, 0), 0);
  ck_assert_uint_eq(ck_ckpt_out_tensor_file(o, 1), 1);
  ck_assert_uint_eq(ck_ckpt_out_tensor_file(o, 2), 2);
  ck_assert_uint_eq(ck_ckpt_out_tensor_file(o, 3), 2);
  size_t a, b;
  ck_ckpt_out_file_range(o, 2, &a, &b);
  ck_assert_uint_eq(a, 2);
  ck_assert_uint_eq(b, 4);
  ck_assert_str_eq(ck_ckpt_out_file_name(o, 2), "model_2.safetensors");
  ck_assert_str_eq(ck_ckpt_out_tensor_key(o, 3), "lm_head.weight");
  ck_assert_int_eq(ck_ckpt_out_write_all(o, produce, NULL, &err), -1);
  ck_ckpt_out_abort(o);
  ck_assert_int_eq(count_entries(g_dir), 4);
}
END_TEST

START_TEST(test_plan_errors) {
  fresh();
  ck_error err = {0};
  unsetenv("CK_MIN_PARAMETERS_PER_FILE_OK");
  ck_ckpt_out *o = ck_ckpt_out_begin(NULL, CK_CKPT_FAST_LLM, 0, &err);
  ck_assert_int_eq(ck_ckpt_out_plan(o, FL_TENSORS, 5, 1000, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "minimum of 2**20"));
  ck_assert_int_eq(ck_ckpt_out_plan(o, FL_TENSORS, 5, 1 << 20, &err), 0);
  ck_assert_str_eq(ck_ckpt_out_tensor_key(o, 0),
                   "embeddings.word_embeddings_weight/weights");
  ck_assert_int_eq(ck_ckpt_out_plan(o, FL_TENSORS, 5, 1 << 20, &err), -1);
  ck_ckpt_out_abort(o);

  ck_ckpt_out_tensor dup[2] = {T("a", CK_DT_F32, 1, 2), T("a", CK_DT_F32, 0)};
  o = ck_ckpt_out_begin(NULL, CK_CKPT_HF, 0, &err);
  ck_assert_int_eq(ck_ckpt_out_plan(o, dup, 2, 0, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "'a' planned twice"));
  ck_ckpt_out_abort(o);

  ck_ckpt_out_tensor slash[1] = {T("a/b", CK_DT_F32, 0)};
  o = ck_ckpt_out_begin(NULL, CK_CKPT_FAST_LLM, 0, &err);
  ck_assert_int_eq(ck_ckpt_out_plan(o, slash, 1, 0, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "'a/b'"));
  ck_ckpt_out_abort(o);

  /* HF output without an HF config, wrong format names. */
  o = ck_ckpt_out_begin(NULL, CK_CKPT_HF, 0, &err);
  ck_ckpt_meta m = {"llama", NULL, NULL, NULL, NULL};
  ck_assert_int_eq(ck_ckpt_out_set_meta(o, &m, &err), -1);
  m.format_name = "fast_llm";
  ck_assert_int_eq(ck_ckpt_out_set_meta(o, &m, &err), -1);
  ck_ckpt_out_abort(o);
  o = ck_ckpt_out_begin(NULL, CK_CKPT_FAST_LLM, 0, &err);
  m.format_name = "llama";
  ck_assert_int_eq(ck_ckpt_out_set_meta(o, &m, &err), -1);
  json_t *x = jparse("{\"state_index\": {}}");
  m = (ck_ckpt_meta){"fast_llm", NULL, NULL, NULL, x};
  ck_assert_int_eq(ck_ckpt_out_set_meta(o, &m, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "state_index"));
  json_decref(x);
  ck_ckpt_out_abort(o);
  ck_assert_int_eq(count_entries(g_dir), 0);
}
END_TEST

/* The __metadata__ strings, no base_model, no extra: M has config
 * {type: gpt} and metadata {} -> "{}\n". */
START_TEST(test_st_metadata) {
  fresh();
  ck_error err = {0};
  ck_ckpt_out *o = ck_ckpt_out_begin(NULL, CK_CKPT_FAST_LLM, 0, &err);
  ck_ckpt_meta m = {"fast_llm", NULL, NULL, NULL, NULL};
  ck_assert_int_eq(ck_ckpt_out_set_meta(o, &m, &err), 0);
  const char *const *k, *const *v;
  ck_assert_uint_eq(ck_ckpt_out_st_meta(o, &k, &v), 6);
  const char *want[][2] = {{"fast_llm_version", "0.4.0"},
                           {"model", "gpt"},
                           {"format", "fast_llm"},
                           {"config", "type: gpt\n"},
                           {"shards", "- weights\n"},
                           {"metadata", "{}\n"}};
  for (int i = 0; i < 6; i++) {
    ck_assert_str_eq(k[i], want[i][0]);
    ck_assert_str_eq(v[i], want[i][1]);
  }
  ck_ckpt_out_abort(o);
}
END_TEST

/* 10^5 tensors (10^4 under valgrind): plan, write, find by name. */
START_TEST(test_many_tensors) {
  fresh();
  setenv("CK_MIN_PARAMETERS_PER_FILE_OK", "1", 1);
  size_t n = quick() ? 10000 : 100000;
  ck_ckpt_out_tensor *t = calloc(n, sizeof *t);
  char (*names)[16] = calloc(n, 16);
  for (size_t i = 0; i < n; i++) {
    snprintf(names[i], 16, "t.%06zu", (i * 7919) % n);
    t[i] = (ck_ckpt_out_tensor)T(names[i], CK_DT_F32, 1, 1);
  }
  ck_error err = {0};
  const char *out = bp("many");
  ck_assert_msg(write_ckpt(out, CK_CKPT_HF, t, n, n / 3 + 1, 0, (size_t)-1,
                           &err) == 0, "%s", err.msg);
  ck_ckpt_in *c = ck_ckpt_open(out, CK_CKPT_HF, 1, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_ckpt_count(c), n);
  ck_assert_uint_eq(ck_ckpt_file_count(c), 3);
  for (size_t i = 0; i < n; i++) {
    const ck_ckpt_tensor *x = ck_ckpt_find(c, names[i]);
    ck_assert_msg(x && x->t->numel == 1 && !x->t->data, "%s", names[i]);
  }
  ck_ckpt_close(c);
  c = ck_ckpt_open(out, CK_CKPT_HF, 0, &err);
  ck_assert_ptr_nonnull(c);
  const ck_ckpt_tensor *x = ck_ckpt_find(c, names[n - 1]);
  ck_assert_uint_eq(((const uint8_t *)x->t->data)[3], pat(n - 1, 3));
  ck_ckpt_close(c);
  free(t);
  free(names);
}
END_TEST

/* ---------------------------------------------------------- crash safety */

START_TEST(test_abort_leaves_nothing) {
  fresh();
  ck_error err = {0};
  const char *out = bp("a/b/out");
  ck_ckpt_out *o = ck_ckpt_out_begin(out, CK_CKPT_HF, 0, &err);
  ck_assert_ptr_nonnull(o);
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s/a/b/.out.ckconv-tmp-%ld", g_dir,
           (long)getpid());
  ck_assert_str_eq(ck_ckpt_out_tmp_dir(o), tmp);
  ck_assert(exists(tmp));
  ck_assert_int_eq(ck_ckpt_out_plan(o, HF_TENSORS, 4, 0, &err), 0);
  ck_assert_int_eq(ck_ckpt_out_add_file(o, "code.py", "x = 1\n", 6, &err),
                   0);
  ck_assert_int_eq(ck_ckpt_out_add_file(o, "ok", "", 0, &err), -1);
  ck_ckpt_out_abort(o);
  ck_assert(!exists(tmp));
  ck_assert(!exists(out));
  ck_assert_int_eq(count_entries(bp("a/b")), 0);
  ck_ckpt_out_abort(NULL);
}
END_TEST

START_TEST(test_existing_out_dir) {
  fresh();
  setenv("CK_MIN_PARAMETERS_PER_FILE_OK", "1", 1);
  ck_error err = {0};
  const char *out = bp("exist");
  ck_assert_int_eq(mkdir(out, 0755), 0);
  write_text(bp("exist/keep.txt"), "precious\n");
  /* a folder that is not a checkpoint is never replaced, --force or not */
  char *before = snapshot(g_dir);
  ck_assert_ptr_null(ck_ckpt_out_begin(out, CK_CKPT_HF, 1, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "is not a checkpoint folder"));
  char *after = snapshot(g_dir);
  ck_assert_str_eq(before, after);
  free(after);
  free(before);
  /* an (old) HF checkpoint: replaced only with --force */
  write_text(bp("exist/config.json"), "{}\n");
  before = snapshot(g_dir);
  ck_assert_ptr_null(ck_ckpt_out_begin(out, CK_CKPT_HF, 0, &err));
  ck_assert_str_eq(err.stage, "checkpoint");
  ck_assert_ptr_nonnull(strstr(err.msg, "exists; use --force to replace"));
  ck_assert_ptr_nonnull(strstr(err.msg, out));
  after = snapshot(g_dir);
  ck_assert_str_eq(before, after);
  free(after);

  /* force, but the producer fails midway: the old folder stays. */
  ck_assert_int_eq(write_ckpt(out, CK_CKPT_HF, HF_TENSORS, 4, 25, 1, 2, &err),
                   -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "failed on purpose"));
  after = snapshot(g_dir);
  ck_assert_str_eq(before, after);
  free(after);
  free(before);

  /* force: replaced, nothing left beside it. */
  ck_assert_msg(write_ckpt(out, CK_CKPT_HF, HF_TENSORS, 4, 25, 1, (size_t)-1,
                           &err) == 0, "%s", err.msg);
  ck_assert(!exists(bp("exist/keep.txt")));
  ck_assert_int_eq(count_entries(g_dir), 1);
  verify_read(out, CK_CKPT_HF, HF_TENSORS, 4, HF_SPLIT);
}
END_TEST

START_TEST(test_producer_fails) {
  fresh();
  setenv("CK_MIN_PARAMETERS_PER_FILE_OK", "1", 1);
  ck_error err = {0};
  /* Fails in the second file, after the first was complete. */
  ck_assert_int_eq(write_ckpt(bp("pf"), CK_CKPT_FAST_LLM, FL_TENSORS, 5, 25,
                              0, 2, &err), -1);
  ck_assert_str_eq(err.stage, "internal");
  ck_assert(!exists(bp("pf")));
  ck_assert_int_eq(count_entries(g_dir), 0);
}
END_TEST

/* A producer that returns 0 without writing everything. */
static int lazy(void *ctx, size_t i, ck_st_writer *w, ck_error *err) {
  (void)ctx, (void)i;
  uint8_t b = 0;
  return ck_st_writer_write(w, &b, 1, err);
}

START_TEST(test_producer_short) {
  fresh();
  ck_error err = {0};
  json_t *hf = jparse(HF_CONFIG);
  ck_ckpt_meta m = {"llama", NULL, hf, NULL, NULL};
  ck_ckpt_out *o = ck_ckpt_out_begin(bp("short"), CK_CKPT_HF, 0, &err);
  ck_assert_int_eq(ck_ckpt_out_plan(o, HF_TENSORS, 4, 0, &err), 0);
  ck_assert_int_eq(ck_ckpt_out_set_meta(o, &m, &err), 0);
  ck_assert_int_eq(ck_ckpt_out_write_all(o, lazy, NULL, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "producer returned before"));
  ck_assert_ptr_nonnull(strstr(err.msg, "model_0.safetensors"));
  ck_ckpt_out_abort(o);

  /* finish with metadata other than set_meta's: refused, nothing left. */
  o = ck_ckpt_out_begin(bp("short"), CK_CKPT_HF, 0, &err);
  ck_assert_int_eq(ck_ckpt_out_plan(o, HF_TENSORS, 0, 0, &err), 0);
  ck_assert_int_eq(ck_ckpt_out_set_meta(o, &m, &err), 0);
  ck_assert_int_eq(ck_ckpt_out_write_all(o, lazy, NULL, &err), 0);
  ck_ckpt_meta m2 = {"mistral", NULL, hf, NULL, NULL};
  ck_assert_int_eq(ck_ckpt_out_finish(o, &m2, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "different"));
  ck_assert_int_eq(count_entries(g_dir), 0);

  /* Zero tensors: no data file, but the index (empty weight_map). */
  o = ck_ckpt_out_begin(bp("short"), CK_CKPT_HF, 0, &err);
  ck_assert_int_eq(ck_ckpt_out_plan(o, HF_TENSORS, 0, 0, &err), 0);
  ck_assert_int_eq(ck_ckpt_out_set_meta(o, &m, &err), 0);
  ck_assert_int_eq(ck_ckpt_out_write_all(o, lazy, NULL, &err), 0);
  ck_assert_int_eq(ck_ckpt_out_finish(o, NULL, &err), 0);
  ck_assert_int_eq(count_entries(bp("short")), 3);
  json_decref(hf);
}
END_TEST

/* ---------------------------------------------------------- reading */

/* A safetensors file with F32 [2] tensors named as given. */
static void st_make(const char *path, const char *const *names, size_t n) {
  ck_st_plan_entry e[16] = {{0}};
  uint64_t shape[1] = {2};
  for (size_t i = 0; i < n; i++)
    e[i] = (ck_st_plan_entry){names[i], CK_DT_F32, 1, shape};
  ck_error err = {0};
  ck_st_writer *w = ck_st_writer_open(path, e, n, NULL, NULL, 0, &err);
  ck_assert_msg(w != NULL, "%s", err.msg);
  float v[2] = {1.0f, 2.0f};
  for (size_t i = 0; i < n; i++)
    ck_assert_int_eq(ck_st_writer_write(w, v, sizeof v, &err), 0);
  ck_assert_int_eq(ck_st_writer_close(w, &err), 0);
}

/* An HF folder: config.json + the given index text (NULL: none). */
static const char *hf_dir(const char *name, const char *index) {
  const char *d = bp("%s", name);
  ck_assert_int_eq(mkdir(d, 0755), 0);
  write_text(bp("%s/config.json", name), "{\"model_type\": \"llama\"}");
  if (index) write_text(bp("%s/model.safetensors.index.json", name), index);
  return d;
}

/* Opening must fail with `stage` and a message holding every fragment;
 * the folder must be unchanged. */
static void expect_fail(const char *dir, ck_ckpt_kind kind,
                        const char *stage, const char *const *frags) {
  char *before = snapshot(dir);
  for (int header_only = 0; header_only < 2; header_only++) {
    ck_error err = {0};
    ck_ckpt_in *c = ck_ckpt_open(dir, kind, header_only, &err);
    ck_assert_msg(c == NULL, "opened %s", dir);
    ck_assert_str_eq(err.stage, stage);
    for (int i = 0; frags[i]; i++)
      ck_assert_msg(strstr(err.msg, frags[i]) != NULL,
                    "'%s' not in: %s", frags[i], err.msg);
  }
  char *after = snapshot(dir);
  ck_assert_str_eq(before, after);
  free(before);
  free(after);
}
#define EXPECT_FAIL(dir, kind, stage, ...)                                   \
  do {                                                                        \
    const char *const fr_[] = {__VA_ARGS__, NULL};                            \
    expect_fail(dir, kind, stage, fr_);                                       \
  } while (0)

static const char *const AB[] = {"a", "b"};
static const char *const CD[] = {"c", "d"};

START_TEST(test_detect) {
  fresh();
  ck_error err = {0};
  ck_ckpt_kind k;
  const char *d = bp("none");
  ck_assert_int_eq(mkdir(d, 0755), 0);
  ck_assert_int_eq(ck_ckpt_detect(d, &k, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "metadata.yaml"));
  ck_assert_ptr_nonnull(strstr(err.msg, "config.json"));
  ck_assert_ptr_nonnull(strstr(err.msg, d));
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "config.json", "missing");
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "metadata.yaml", "missing");
  write_text(bp("none/config.json"), "{}");
  ck_assert_int_eq(ck_ckpt_detect(d, &k, &err), 0);
  ck_assert_int_eq(k, CK_CKPT_HF);
  write_text(bp("none/metadata.yaml"), "{}");
  ck_assert_int_eq(ck_ckpt_detect(d, &k, &err), 0);
  ck_assert_int_eq(k, CK_CKPT_FAST_LLM);
  ck_assert_int_eq(ck_ckpt_detect(bp("missing"), &k, &err), -1);
}
END_TEST

START_TEST(test_hf_config_errors) {
  fresh();
  const char *d = hf_dir("cfg", NULL);
  st_make(bp("cfg/model.safetensors"), AB, 2);
  write_text(bp("cfg/config.json"), "{\"a\": 1, \"a\": 2}");
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "cfg/config.json:", "duplicate");
  write_text(bp("cfg/config.json"), "[1]");
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "cfg/config.json", "object");
  write_text(bp("cfg/config.json"), "{\"model_type\": \"llama\"}");
  ck_error err = {0};
  ck_ckpt_in *c = ck_ckpt_open(d, CK_CKPT_HF, 0, &err);
  ck_assert_ptr_nonnull(c);
  ck_assert_uint_eq(ck_ckpt_count(c), 2);
  ck_ckpt_close(c);
}
END_TEST

START_TEST(test_hf_no_weights) {
  fresh();
  const char *d = hf_dir("now", NULL);
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "No compatible checkpoint found "
              "in", "looked for model.safetensors, model.safetensors.index."
              "json, pytorch_model.bin, pytorch_model.bin.index.json");
  /* a .bin is read when no safetensors weights exist (this one is not a
   * zip archive, nor a pre-1.6 torch.save pickle) */
  write_text(bp("now/pytorch_model.bin"), "pickle");
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "now/pytorch_model.bin",
              "is not a torch.save zip archive", "70 69 63 6b");
  write_text(bp("now/pytorch_model.bin"), "\x80\x02\x8a\x0al\xfc\x9c");
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "now/pytorch_model.bin",
              "before torch 1.6 (not a zip file)", "safetensors");
  /* a safetensors index must name safetensors files */
  write_text(bp("now/model.safetensors.index.json"),
             "{\"weight_map\": {\"a\": \"pytorch_model.bin\"}}");
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "model.safetensors.index.json",
              "'pytorch_model.bin'", "is not a .safetensors file");
}
END_TEST

START_TEST(test_hf_index_names) {
  fresh();
  /* Upstream and HF shard names alike, a symlink inside the folder. */
  const char *d = hf_dir("names", "{\"metadata\": {}, \"weight_map\": {"
                         "\"a\": \"model_0.safetensors\", \"c\": "
                         "\"model-00002-of-00002.safetensors\", \"b\": "
                         "\"model_0.safetensors\", \"d\": \"link.safetensors"
                         "\"}}");
  st_make(bp("names/model_0.safetensors"), AB, 2);
  st_make(bp("names/model-00002-of-00002.safetensors"), CD, 1);
  static const char *const D[] = {"d"};
  ck_assert_int_eq(mkdir(bp("names/sub"), 0755), 0);
  st_make(bp("names/sub/real.safetensors"), D, 1);
  ck_assert_int_eq(symlink("sub/real.safetensors",
                           bp("names/link.safetensors")), 0);
  char *before = snapshot(d);
  ck_error err = {0};
  ck_ckpt_in *c = ck_ckpt_open(d, CK_CKPT_HF, 0, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_ckpt_count(c), 4);
  ck_assert_uint_eq(ck_ckpt_file_count(c), 3);
  ck_assert_str_eq(ck_ckpt_at(c, 0)->name, "a");
  ck_assert_str_eq(ck_ckpt_at(c, 2)->name, "c");
  ck_assert_str_eq(ck_ckpt_at(c, 3)->name, "d");
  ck_assert_ptr_nonnull(ck_ckpt_find(c, "b"));
  ck_ckpt_close(c);
  char *after = snapshot(d);
  ck_assert_str_eq(before, after);
  free(before);
  free(after);
}
END_TEST

START_TEST(test_hf_index_unsafe) {
  fresh();
  const char *d = hf_dir("dotdot", "{\"weight_map\": {\"a\": "
                         "\"../x.safetensors\"}}");
  st_make(bp("x.safetensors"), AB, 2);
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "dotdot/model.safetensors.index."
              "json", "weight_map entry 'a'", "'../x.safetensors'");

  char idx[600];
  snprintf(idx, sizeof idx, "{\"weight_map\": {\"a\": \"%s\"}}",
           bp("x.safetensors"));
  d = hf_dir("abs", idx);
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "abs/model.safetensors.index."
              "json", "weight_map entry 'a'", "absolute path");

  d = hf_dir("link", "{\"weight_map\": {\"a\": \"model_0.safetensors\", "
             "\"b\": \"model_0.safetensors\"}}");
  ck_assert_int_eq(symlink("../x.safetensors",
                           bp("link/model_0.safetensors")), 0);
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "link/model_0.safetensors: "
              "symbolic link to ", "/x.safetensors, outside ", "/link; "
              "refusing");

  d = hf_dir("gone", "{\"weight_map\": {\"a\": \"model_0.safetensors\", "
             "\"z\": \"model_7.safetensors\"}}");
  st_make(bp("gone/model_0.safetensors"), AB, 2);
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "gone/model.safetensors.index."
              "json", "weight_map entry 'z'", "'model_7.safetensors'",
              "listed but missing");

  d = hf_dir("suffix", "{\"weight_map\": {\"a\": \"model.txt\"}}");
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "weight_map entry 'a'",
              "'model.txt'", "not a .safetensors");
}
END_TEST

START_TEST(test_hf_index_content) {
  fresh();
  /* Entry naming a file that does not hold the tensor. */
  const char *d = hf_dir("notin", "{\"weight_map\": {\"a\": \"model_0."
                         "safetensors\", \"c\": \"model_0.safetensors\", "
                         "\"x\": \"model_1.safetensors\"}}");
  st_make(bp("notin/model_0.safetensors"), AB, 2);
  st_make(bp("notin/model_1.safetensors"), CD, 2);
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "notin/model.safetensors.index."
              "json", "weight_map entry 'c'", "model_0.safetensors",
              "does not contain it");

  /* The same tensor in two files. */
  static const char *const BC[] = {"b", "c"};
  d = hf_dir("dup", "{\"weight_map\": {\"a\": \"model_0.safetensors\", "
             "\"c\": \"model_1.safetensors\"}}");
  st_make(bp("dup/model_0.safetensors"), AB, 2);
  st_make(bp("dup/model_1.safetensors"), BC, 2);
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "tensor 'b'", "two files",
              "dup/model_0.safetensors", "dup/model_1.safetensors");

  d = hf_dir("nowm", "{\"metadata\": {}}");
  EXPECT_FAIL(d, CK_CKPT_HF, "checkpoint", "nowm/model.safetensors.index."
              "json", "'weight_map' is missing");
}
END_TEST

/* A fast_llm folder: model_0 holds a/weights, b/weights (+ `extra_t`),
 * metadata.yaml from the given pieces. */
static const char *fl_dir(const char *name, const char *version,
                          const char *more_index, const char *more_top,
                          const char *extra_t) {
  const char *d = bp("%s", name);
  ck_assert_int_eq(mkdir(d, 0755), 0);
  const char *names[3] = {"a/weights", "b/weights", extra_t};
  st_make(bp("%s/model_0.safetensors", name), names, extra_t ? 3 : 2);
  char y[2048];
  snprintf(y, sizeof y,
           "config:\n  base_model:\n    hidden_size: 4\n  type: gpt\n"
           "fast_llm_version: %s\nformat: fast_llm\nmetadata:\n"
           "  state_index:\n    a/weights: model_0.safetensors\n"
           "    b/weights: model_0.safetensors\n%smodel: gpt\nshards:\n"
           "- weights\n%s", version, more_index, more_top);
  write_text(bp("%s/metadata.yaml", name), y);
  return d;
}

START_TEST(test_fast_llm_good) {
  fresh();
  const char *d = fl_dir("flok", "0.3.0", "    a/exp_avgs: model_0."
                         "safetensors\n", "", "a/exp_avgs");
  char *before = snapshot(d);
  ck_error err = {0};
  ck_ckpt_in *c = ck_ckpt_open(d, CK_CKPT_FAST_LLM, 1, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  ck_assert_uint_eq(ck_ckpt_count(c), 2); /* exp_avgs not exposed */
  ck_assert_str_eq(ck_ckpt_at(c, 0)->name, "a");
  ck_assert_str_eq(ck_ckpt_find(c, "b")->t->name, "b/weights");
  ck_assert_ptr_null(ck_ckpt_find(c, "a/exp_avgs"));
  ck_assert_ptr_null(ck_ckpt_at(c, 0)->t->data);
  ck_assert_int_eq(json_integer_value(json_object_get(
                       ck_ckpt_base_model(c), "hidden_size")), 4);
  ck_ckpt_close(c);
  char *after = snapshot(d);
  ck_assert_str_eq(before, after);
  free(before);
  free(after);
}
END_TEST

START_TEST(test_fast_llm_errors) {
  fresh();
  const char *d = fl_dir("unk", "0.4.0", "", "surprise: 1\n", NULL);
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "unk/metadata.yaml",
              "unknown top-level key 'surprise'");
  d = fl_dir("new", "9.0.0", "", "", NULL);
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "new/metadata.yaml",
              "9.0.0", "written by a newer Fast-LLM");
  d = fl_dir("new2", "0.4.1", "", "", NULL);
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "newer Fast-LLM");
  d = fl_dir("old", "0.2.9", "", "", NULL);
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "old/metadata.yaml",
              "0.2.9", "no longer supported");
  d = fl_dir("absent", "0.4.0", "    c/weights: model_0.safetensors\n", "",
             NULL);
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "absent/metadata.yaml",
              "state_index entry 'c/weights'", "model_0.safetensors",
              "does not contain it");
  d = fl_dir("stray", "0.4.0", "", "", "z/weights");
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "stray/model_0.safetensors",
              "tensor 'z/weights'", "not in metadata.yaml's state_index");
  d = fl_dir("esc", "0.4.0", "    c/weights: ../x.safetensors\n", "", NULL);
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "esc/metadata.yaml",
              "state_index entry 'c/weights'", "'../x.safetensors'");
  d = fl_dir("badyaml", "0.4.0", "", "x: [\n", NULL);
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "badyaml/metadata.yaml");

  d = bp("fmt");
  ck_assert_int_eq(mkdir(d, 0755), 0);
  write_text(bp("fmt/metadata.yaml"), "format: distributed\n"
             "fast_llm_version: 0.4.0\nmetadata: {}\nmodel: gpt\n"
             "shards: [weights]\n");
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "fmt/metadata.yaml",
              "'distributed'", "expected 'fast_llm'");
  write_text(bp("fmt/metadata.yaml"), "format: fast_llm\n"
             "fast_llm_version: 0.4.0\nmetadata: {}\nmodel: gpt\n"
             "shards: [exp_avgs]\n");
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "fmt/metadata.yaml",
              "'weights'");
  write_text(bp("fmt/metadata.yaml"), "format: fast_llm\n"
             "fast_llm_version: 0.4.0\nmetadata: {}\nmodel: gpt\n"
             "shards: [weights]\n");
  EXPECT_FAIL(d, CK_CKPT_FAST_LLM, "checkpoint", "fmt/metadata.yaml",
              "state_index");
}
END_TEST

/* ---------------------------------------------------------- main */

static Suite *ckpt_suite(void) {
  Suite *s = suite_create("ckpt");
  TCase *w = tcase_create("write");
  tcase_add_unchecked_fixture(w, setup, teardown);
  tcase_set_timeout(w, 120);
  tcase_add_test(w, test_roundtrip_fast_llm);
  tcase_add_test(w, test_roundtrip_hf);
  tcase_add_test(w, test_split_rules);
  tcase_add_test(w, test_plan_errors);
  tcase_add_test(w, test_st_metadata);
  tcase_add_test(w, test_many_tensors);
  suite_add_tcase(s, w);

  TCase *cs = tcase_create("crash_safety");
  tcase_add_unchecked_fixture(cs, setup, teardown);
  tcase_add_test(cs, test_abort_leaves_nothing);
  tcase_add_test(cs, test_existing_out_dir);
  tcase_add_test(cs, test_producer_fails);
  tcase_add_test(cs, test_producer_short);
  suite_add_tcase(s, cs);

  TCase *r = tcase_create("read");
  tcase_add_unchecked_fixture(r, setup, teardown);
  tcase_add_test(r, test_detect);
  tcase_add_test(r, test_hf_config_errors);
  tcase_add_test(r, test_hf_no_weights);
  tcase_add_test(r, test_hf_index_names);
  tcase_add_test(r, test_hf_index_unsafe);
  tcase_add_test(r, test_hf_index_content);
  tcase_add_test(r, test_fast_llm_good);
  tcase_add_test(r, test_fast_llm_errors);
  suite_add_tcase(s, r);
  return s;
}

int main(void) {
  return ts_run_suite(ckpt_suite());
}
