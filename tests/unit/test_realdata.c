/* test_realdata.c - ckconv against upstream on real published config.json
 * files ($CK_SHARED/realdata, default ../shared), plus unit tests of the
 * transformers completion (runtime/config/ck_complete.c, specs/transformers.json).
 *
 * The table-driven test walks every file of realdata/upstream-verdicts and
 * every (format, layout) pair it lists, in two variants: `raw` (the dict as
 * given, ckconv --raw) and `completed` (through the transformers class):
 *   - the verdict is upstream's: accepted, or rejected at the same stage;
 *     coverage rejections name the same unknown key paths, in order;
 *   - accepted: the serialized Fast-LLM config equals fast_llm_base_model
 *     and the weight-converter list equals upstream's;
 *   - completed: the dict equals transformers_emulated_input, key for key,
 *     type for type, leaf order included;
 *   - a documented deviation (ckconv_deviations) is expected where it
 *     applies: ckconv accepts, with the results of upstream's raw import.
 * Also: auto format routing, and for every golden case of a format with a
 * transformers class, completion does not change the imported config.
 * Pairs upstream never emulated (gemma4, llava with a ministral3 text
 * model) and formats without a transformers class are skipped, not failed.
 * The closing line is `realdata: N passed, N failed`.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* before check.h, whose CK_EXPORT macro would clash with ck_engine.h's */
#include "ck_load.h"

#include <check.h>

#include "ck_complete.h"
#include "ck_convert.h"
#include "ck_tables.h"
#include "ck_weights.h"
#include "support.h"

/* ------------------------------------------------------------- tallies */

enum { V_RAW, V_COMPLETED, V_AUTO, V_GOLDEN, V_N };
static const char *const variant_name[V_N] = {"raw", "completed",
                                              "auto-route", "golden"};
static int n_pass[V_N], n_fail[V_N], n_skip[V_N], n_deviation;
static int n_pairs[V_N], n_pairs_ok[V_N]; /* (file, format, layout) */
static int verbose;

static void result(int v, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void result(int v, int ok, const char *fmt, ...) {
  va_list ap;
  if (ok) n_pass[v]++;
  else n_fail[v]++;
  if (ok && !verbose) return;
  printf("%s [%s] ", ok ? "ok  " : "FAIL", variant_name[v]);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

static void show(const char *what, json_t *v) {
  char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
              : NULL;
  printf("     %s: %.1500s\n", what, s ? s : "(none)");
  free(s);
}

static const char *shared_dir(void) {
  const char *s = getenv("CK_SHARED");
  return s && s[0] ? s : "tests/data/shared";
}

static int layout_of(const char *name) {
  return strcmp(name, "v4") == 0 ? CK_LAYOUT_V4 : CK_LAYOUT_V5;
}

/* Leaf paths in order, as the verdicts' leaf_paths_in_order lists them:
 * an empty mapping has no leaf, a list is one leaf. */
static void leaf_paths(json_t *v, const char *prefix, json_t *out) {
  const char *k;
  json_t *x;
  json_object_foreach(v, k, x) {
    char p[1024];
    snprintf(p, sizeof p, "%s%s%s", prefix, prefix[0] ? "." : "", k);
    if (json_is_object(x)) leaf_paths(x, p, out);
    else json_array_append_new(out, json_string(p));
  }
}

/* ------------------------------------------------ one (file, format) */

typedef struct paths {
  json_t *list;
} paths;

static void collect(void *arg, const char *path) {
  json_array_append_new(((paths *)arg)->list, json_string(path));
}

/* Upstream's uncovered_hf_paths ([{path: [...], value}]) as dotted paths. */
static json_t *upstream_paths(json_t *rec) {
  json_t *out = json_array();
  size_t i, j;
  json_t *u, *seg;
  json_array_foreach(json_object_get(rec, "uncovered_hf_paths"), i, u) {
    char p[1024] = "";
    json_array_foreach(json_object_get(u, "path"), j, seg) {
      size_t n = strlen(p);
      snprintf(p + n, sizeof p - n, "%s%s", n ? "." : "",
               json_string_value(seg));
    }
    json_array_append_new(out, json_string(p));
  }
  return out;
}

/* Compare one import against an upstream record {accepted, stage,
 * fast_llm_base_model, weights_ref, uncovered_hf_paths}. */
static void check_import(int v, const char *label, ck_rt *rt,
                         const ck_format *f, json_t *dict, json_t *rec,
                         json_t *weight_lists, int deviation) {
  ck_error err;
  ck_error_clear(&err);
  paths unknown = {json_array()};
  ck_hf_coverage_hook hook = {NULL, 0, collect, &unknown};
  json_t *ser = NULL;
  ck_cfg *cfg = ck_import_config_hook(rt, f, dict, &hook, &ser, &err);
  int up_ok = json_is_true(json_object_get(rec, "accepted"));
  const char *up_stage = json_string_value(json_object_get(rec, "stage"));
  if (deviation && !up_ok && up_stage && strcmp(up_stage, "validation") == 0) {
    /* the documented deviation: upstream fails validation on what the
     * deviation removes, ckconv imports */
    result(v, cfg != NULL, "%s: accepted (deviation; upstream: rejected at "
           "validation)", label);
    if (!cfg) printf("     error[%s]: %s\n", err.stage, err.msg);
    json_decref(unknown.list);
    return;
  }
  if (!up_ok) {
    int ok = !cfg && up_stage && strcmp(err.stage, up_stage) == 0;
    result(v, ok, "%s: rejected at %s", label, up_stage ? up_stage : "?");
    if (!ok && cfg) printf("     got: accepted\n");
    if (!ok && !cfg) printf("     error[%s]: %s\n", err.stage, err.msg);
    if (!cfg && strcmp(err.stage, "hf_coverage") == 0) {
      json_t *want = upstream_paths(rec);
      int same = json_equal(unknown.list, want);
      result(v, same, "%s: unknown keys as upstream lists them", label);
      if (!same) {
        show("got ", unknown.list);
        show("want", want);
      }
      json_decref(want);
    }
    json_decref(unknown.list);
    return;
  }
  json_decref(unknown.list);
  result(v, cfg != NULL, "%s: accepted", label);
  if (!cfg) {
    printf("     error[%s]: %s\n", err.stage, err.msg);
    return;
  }
  json_t *want = json_object_get(rec, "fast_llm_base_model");
  int ok = json_equal(ser, want);
  result(v, ok, "%s: Fast-LLM config equals upstream's", label);
  if (!ok) {
    show("got ", ser);
    show("want", want);
  }
  const char *ref = json_string_value(json_object_get(rec, "weights_ref"));
  json_t *want_w = json_object_get(
      json_object_get(weight_lists, ref ? ref : ""), "weights");
  ck_plan plan;
  json_t *got_w = NULL;
  if (ck_weights_plan(rt, f, cfg, &plan, &err) == 0)
    got_w = ck_plan_to_json(rt, &plan);
  ok = got_w && want_w && json_equal(got_w, want_w);
  result(v, ok, "%s: weight list equals upstream's (%zu converters)", label,
         json_array_size(want_w));
  if (!ok && !got_w) printf("     error[%s]: %s\n", err.stage, err.msg);
  for (size_t k = 0; !ok && got_w && k < json_array_size(want_w); k++)
    if (!json_equal(json_array_get(got_w, k), json_array_get(want_w, k))) {
      printf("     first difference at converter %zu\n", k);
      show("got ", json_array_get(got_w, k));
      show("want", json_array_get(want_w, k));
      break;
    }
}

static void run_pair(const char *file, json_t *raw, const char *fmt,
                     json_t *pair, json_t *weight_lists) {
  const ck_format *f = ck_format_find(&ck_spec_tables, fmt);
  size_t li;
  json_t *lay;
  json_array_foreach(json_object_get(pair, "layouts"), li, lay) {
    const char *L = json_string_value(lay);
    char label[512];
    if (!f) {
      n_skip[V_RAW]++;
      n_skip[V_COMPLETED]++;
      if (verbose)
        printf("skip %s %s %s: ckconv has no format %s\n", file, fmt, L,
               fmt);
      continue;
    }
    ck_rt rt;
    ck_rt_init(&rt, &ck_spec_tables, layout_of(L));
    /* raw: the dict as given */
    snprintf(label, sizeof label, "%s %s %s", file, fmt, L);
    int before = n_fail[V_RAW];
    check_import(V_RAW, label, &rt, f,
                 ck_rt_own(&rt, json_deep_copy(raw)),
                 json_object_get(json_object_get(pair, "raw"), L),
                 weight_lists, 0);
    n_pairs[V_RAW]++;
    n_pairs_ok[V_RAW] += n_fail[V_RAW] == before;
    /* completed: through the transformers class */
    json_t *tf = json_object_get(json_object_get(pair, "transformers_emulated"),
                                 L);
    json_t *tf_in = json_object_get(
        json_object_get(json_object_get(pair, "transformers_emulated_input"),
                        L),
        "dict");
    json_t *tf_order = json_object_get(
        json_object_get(json_object_get(pair, "transformers_emulated_input"),
                        L),
        "leaf_paths_in_order");
    if (!tf_in || !json_is_boolean(json_object_get(tf, "accepted")) ||
        !ck_transformers_class(&rt, f)) {
      n_skip[V_COMPLETED]++;
      if (verbose)
        printf("skip %s: %s\n", label,
               tf_in ? "no transformers class for this format in "
                       "specs/transformers.json"
                     : "not emulated upstream");
      ck_rt_free(&rt);
      continue;
    }
    ck_error err;
    ck_error_clear(&err);
    before = n_fail[V_COMPLETED];
    n_pairs[V_COMPLETED]++;
    json_t *done = ck_complete_hf_config(&rt, f, layout_of(L), raw, &err);
    int ok = done && json_equal(done, tf_in);
    result(V_COMPLETED, ok, "%s: completed dict equals "
           "transformers_emulated_input", label);
    if (!done) printf("     error[%s]: %s\n", err.stage, err.msg);
    const char *k;
    json_t *x;
    if (done && !ok)
      json_object_foreach(tf_in, k, x) {
        json_t *g = json_object_get(done, k);
        if (!g || !json_equal(g, x)) {
          printf("     key %s\n", k);
          show("got ", g);
          show("want", x);
        }
      }
    if (done && !ok)
      json_object_foreach(done, k, x) if (!json_object_get(tf_in, k))
        printf("     extra key %s\n", k);
    if (done) {
      json_t *order = json_array();
      leaf_paths(done, "", order);
      int same = json_equal(order, tf_order);
      result(V_COMPLETED, same, "%s: completed key order as transformers'",
             label);
      if (!same) {
        show("got ", order);
        show("want", tf_order);
      }
      json_decref(order);
      const char *applied = NULL;
      json_t *dict = ck_apply_deviations(&rt, f, done, &applied, &err);
      if (applied) {
        n_deviation++;
        printf("note [completed] %s: deviation %s applied (upstream: %s)\n",
               label, applied,
               json_is_true(json_object_get(tf, "accepted"))
                   ? "accepted"
                   : json_string_value(json_object_get(tf, "stage")));
        /* where upstream fails validation on it, ckconv must give upstream's
         * raw results (the raw file has no head_dim at all) */
        json_t *raw_rec = json_object_get(json_object_get(pair, "raw"), L);
        const char *st = json_string_value(json_object_get(tf, "stage"));
        if (!json_is_true(json_object_get(tf, "accepted")) && st &&
            strcmp(st, "validation") == 0 &&
            json_is_true(json_object_get(raw_rec, "accepted")))
          tf = raw_rec;
      }
      if (dict)
        check_import(V_COMPLETED, label, &rt, f, dict, tf, weight_lists,
                     applied != NULL);
    }
    n_pairs_ok[V_COMPLETED] += n_fail[V_COMPLETED] == before;
    ck_rt_free(&rt);
  }
}

/* ckconv's auto format vs upstream's handler_map[model_type] dispatch. */
static void check_auto(const char *file, json_t *raw, json_t *verdict) {
  json_t *route = json_object_get(
      json_object_get(verdict, "auto_routing"),
      "AutoGPTHuggingfaceCheckpointHandler");
  const char *up = json_string_value(json_object_get(route, "routes_to"));
  ck_error err;
  ck_error_clear(&err);
  const ck_format *f = ck_format_for_hf(&ck_spec_tables, raw, &err);
  int has_mt = json_is_string(json_object_get(raw, "model_type"));
  if (up && ck_format_find(&ck_spec_tables, up)) {
    int ok = f && strcmp(f->name, up) == 0;
    result(V_AUTO, ok, "%s: routed to %s", file, up);
    if (!ok) printf("     got: %s\n", f ? f->name : err.msg);
  } else if (up) {
    n_skip[V_AUTO]++;
  } else if (has_mt) {
    /* upstream: KeyError; ckconv: a clear "no Fast-LLM format" */
    int ok = !f && strstr(err.msg, "has no Fast-LLM format") &&
             strstr(err.msg, "known formats:");
    result(V_AUTO, ok, "%s: no format for its model_type, said clearly",
           file);
    if (!ok) printf("     got: %s\n", f ? f->name : err.msg);
  } else {
    /* no model_type: ckconv falls back to architectures (upstream's
     * auto handler raises KeyError) */
    int ok = f != NULL;
    result(V_AUTO, ok, "%s: no model_type, routed by architectures to %s",
           file, f ? f->name : "?");
  }
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* List dir's *.json (but _index.json and errors.json), sorted. */
static int list_json(const char *dir, char ***names) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0, cap = 64;
  *names = malloc(sizeof **names * (size_t)cap);
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 ||
        e->d_name[0] == '_' || strcmp(e->d_name, "errors.json") == 0)
      continue;
    if (n == cap) *names = realloc(*names, sizeof **names * (size_t)(cap *= 2));
    (*names)[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(*names, (size_t)n, sizeof **names, cmp_str);
  return n;
}

static void free_names(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* Completion must not change what a golden HF dict (Fast-LLM's own
 * export) imports to, for every format that has a transformers class. */
static void check_golden(const char *shared) {
  for (int i = 0; i < ck_spec_tables.n_formats; i++) {
    const ck_format *f = &ck_spec_tables.formats[i];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/golden/%s", shared, f->name);
    char **names;
    int n = list_json(dir, &names);
    if (n < 0) continue;
    for (int c = 0; c < n; c++) {
      char path[8192];
      snprintf(path, sizeof path, "%s/%s", dir, names[c]);
      json_error_t je;
      json_t *g = json_load_file(path, 0, &je);
      if (!g) {
        n_skip[V_GOLDEN]++; /* e.g. integers beyond 64 bits */
        continue;
      }
      const char *layouts[] = {"v4", "v5"};
      for (int l = 0; l < 2; l++) {
        char key[32];
        snprintf(key, sizeof key, "hf_config_%s", layouts[l]);
        json_t *hf = json_object_get(g, key);
        if (!json_is_object(hf)) continue;
        ck_rt rt;
        ck_rt_init(&rt, &ck_spec_tables, layout_of(layouts[l]));
        if (!ck_transformers_class(&rt, f)) {
          n_skip[V_GOLDEN]++;
          ck_rt_free(&rt);
          continue;
        }
        ck_error e1, e2;
        ck_error_clear(&e1);
        ck_error_clear(&e2);
        json_t *s1 = NULL, *s2 = NULL;
        ck_hf_read raw = {.raw = 1};
        ck_cfg *a = ck_import_hf_config(&rt, f, hf, &raw, NULL, &s1, &e1);
        ck_cfg *b = ck_import_hf_config(&rt, f, hf, NULL, NULL, &s2, &e2);
        int ok = (!a && !b && strcmp(e1.stage, e2.stage) == 0) ||
                 (a && b && json_equal(s1, s2));
        result(V_GOLDEN, ok, "%s/%s %s: completed import = raw import",
               f->name, names[c], layouts[l]);
        if (!ok && !a) printf("     raw error[%s]: %s\n", e1.stage, e1.msg);
        if (!ok && !b)
          printf("     completed error[%s]: %s\n", e2.stage, e2.msg);
        if (!ok && a && b) {
          show("raw      ", s1);
          show("completed", s2);
        }
        ck_rt_free(&rt);
      }
      json_decref(g);
    }
    free_names(names, n);
  }
}

START_TEST(realdata_table) {
  verbose = getenv("CK_VERBOSE") != NULL;
  const char *shared = shared_dir();
  char vdir[4096], cdir[4096];
  snprintf(vdir, sizeof vdir, "%s/realdata/upstream-verdicts", shared);
  snprintf(cdir, sizeof cdir, "%s/realdata/hf-configs", shared);
  char **names;
  int n = list_json(vdir, &names);
  ck_assert_msg(n > 0, "no verdicts under %s (set CK_SHARED)", vdir);
  for (int i = 0; i < n; i++) {
    char path[8192];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s", vdir, names[i]);
    json_t *verdict = json_load_file(path, 0, &je);
    snprintf(path, sizeof path, "%s/%s", cdir, names[i]);
    json_t *raw = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!verdict || !raw) {
      result(V_RAW, 0, "%s: cannot read: %s", names[i], je.text);
      json_decref(verdict);
      json_decref(raw);
      continue;
    }
    check_auto(names[i], raw, verdict);
    const char *fmt;
    json_t *pair;
    json_object_foreach(json_object_get(verdict, "pairs"), fmt, pair)
      run_pair(names[i], raw, fmt, pair,
               json_object_get(verdict, "weight_converter_lists"));
    json_decref(verdict);
    json_decref(raw);
  }
  free_names(names, n);
  check_golden(shared);
  int pass = 0, fail = 0;
  for (int v = 0; v < V_N; v++) {
    printf("realdata %-10s %3d passed, %d failed, %d skipped", variant_name[v],
           n_pass[v], n_fail[v], n_skip[v]);
    if (n_pairs[v])
      printf(" (%d of %d file/format/layout pairs entirely as upstream)",
             n_pairs_ok[v], n_pairs[v]);
    putchar('\n');
    pass += n_pass[v];
    fail += n_fail[v];
  }
  printf("realdata: %d documented deviation(s) applied\n", n_deviation);
  printf("realdata: %d passed, %d failed\n", pass, fail);
  fflush(stdout);
  ck_assert_int_eq(fail, 0);
}
END_TEST

/* ------------------------------------------------------- unit tests */

static ck_rt rt;
static ck_error err;

static void setup(void) {
  ck_rt_init(&rt, &ck_spec_tables, CK_LAYOUT_V4);
  ck_error_clear(&err);
}
static void teardown(void) { ck_rt_free(&rt); }

static json_t *parse(const char *text) {
  json_error_t je;
  json_t *v = json_loads(text, 0, &je);
  ck_assert_msg(v != NULL, "bad test json: %s", je.text);
  return ck_rt_own(&rt, v);
}

static const ck_format *fmt(const char *name) {
  const ck_format *f = ck_format_find(&ck_spec_tables, name);
  ck_assert_ptr_nonnull(f);
  return f;
}

static json_int_t int_at(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
  return json_integer_value(v);
}

START_TEST(every_class_completes_an_empty_config) {
  for (int i = 0; i < ck_spec_tables.n_formats; i++) {
    const ck_format *f = &ck_spec_tables.formats[i];
    if (!ck_transformers_class(&rt, f)) continue;
    for (int l = CK_LAYOUT_V4; l <= CK_LAYOUT_V5; l <<= 1) {
      json_t *d = ck_complete_hf_config(&rt, f, l, parse("{}"), &err);
      ck_assert_msg(d != NULL, "%s: %s", f->name, err.msg);
      ck_assert_str_eq(json_string_value(json_object_get(d, "model_type")),
                       f->model_type);
      /* a multimodal class (LlavaConfig) holds its text model's config;
       * the Apriel2 classes hold theirs nested (decoder), without
       * num_key_value_heads: for them the key must be absent, not null */
      json_t *text = json_object_get(d, "text_config");
      json_t *o = json_is_object(text) ? text : d;
      if (json_object_get(o, "num_key_value_heads") ||
          !json_object_get(o, "decoder"))
        ck_assert_int_eq(int_at(o, "num_key_value_heads") > 0, 1);
      /* output_attentions is always the last or next-to-last key */
      ck_assert_ptr_nonnull(json_object_get(d, "output_attentions"));
    }
  }
}
END_TEST

START_TEST(llama_derivations_and_v5_rope) {
  json_t *raw = parse("{\"hidden_size\": 512, \"num_attention_heads\": 8, "
                      "\"rope_theta\": 500000, \"rope_scaling\": "
                      "{\"type\": \"yarn\", \"factor\": 4.0}, "
                      "\"max_position_embeddings\": 4096, "
                      "\"temperature\": 0.7}");
  json_t *d4 = ck_complete_hf_config(&rt, fmt("llama"), CK_LAYOUT_V4, raw,
                                     &err);
  ck_assert_ptr_nonnull(d4);
  ck_assert_int_eq(int_at(d4, "head_dim"), 64);
  ck_assert_int_eq(int_at(d4, "num_key_value_heads"), 8);
  ck_assert_int_eq(int_at(d4, "rope_theta"), 500000); /* type kept */
  json_t *sc = json_object_get(d4, "rope_scaling");
  ck_assert_str_eq(json_string_value(json_object_get(sc, "rope_type")),
                   "yarn");
  ck_assert_ptr_nonnull(json_object_get(d4, "temperature"));
  json_t *d5 = ck_complete_hf_config(&rt, fmt("llama"), CK_LAYOUT_V5, raw,
                                     &err);
  ck_assert_ptr_nonnull(d5);
  ck_assert_ptr_null(json_object_get(d5, "rope_theta"));
  ck_assert_ptr_null(json_object_get(d5, "rope_scaling"));
  ck_assert_ptr_null(json_object_get(d5, "temperature")); /* discarded */
  json_t *p = json_object_get(d5, "rope_parameters");
  ck_assert_str_eq(json_string_value(json_object_get(p, "rope_type")),
                   "yarn");
  ck_assert_int_eq(int_at(p, "rope_theta"), 500000);
  ck_assert_int_eq(int_at(p, "original_max_position_embeddings"), 4096);
  /* the input is never modified */
  ck_assert_ptr_null(json_object_get(json_object_get(raw, "rope_scaling"),
                                     "rope_type"));
}
END_TEST

START_TEST(qwen2_sliding_window_and_layer_types) {
  json_t *on = parse("{\"num_hidden_layers\": 4, \"use_sliding_window\": "
                     "true, \"sliding_window\": 128, \"max_window_layers\": "
                     "2}");
  json_t *d = ck_complete_hf_config(&rt, fmt("qwen2"), CK_LAYOUT_V4, on,
                                    &err);
  ck_assert_ptr_nonnull(d);
  ck_assert_int_eq(int_at(d, "sliding_window"), 128);
  json_t *lt = json_object_get(d, "layer_types");
  ck_assert_int_eq((int)json_array_size(lt), 4);
  ck_assert_str_eq(json_string_value(json_array_get(lt, 1)),
                   "full_attention");
  ck_assert_str_eq(json_string_value(json_array_get(lt, 2)),
                   "sliding_attention");
  json_t *off = parse("{\"num_hidden_layers\": 2, \"sliding_window\": 128}");
  d = ck_complete_hf_config(&rt, fmt("qwen2"), CK_LAYOUT_V5, off, &err);
  ck_assert_ptr_nonnull(d);
  ck_assert(json_is_null(json_object_get(d, "sliding_window")));
  lt = json_object_get(d, "layer_types");
  ck_assert_str_eq(json_string_value(json_array_get(lt, 1)),
                   "full_attention");
}
END_TEST

/* Qwen3-MoE's attribute_map (v5: num_experts is stored as
 * num_local_experts, in the field's place; 4.57 has no map), the
 * mlp_only_layers None -> [] of both layouts, and Qwen3's head_dim, a
 * field of its own (128) rather than hidden_size // heads. */
START_TEST(qwen3_aliases_and_defaults) {
  json_t *raw = parse("{\"num_experts\": 64, \"mlp_only_layers\": null, "
                      "\"hidden_size\": 1024}");
  json_t *d5 = ck_complete_hf_config(&rt, fmt("qwen3_moe"), CK_LAYOUT_V5,
                                     raw, &err);
  ck_assert_ptr_nonnull(d5);
  ck_assert_int_eq(int_at(d5, "num_local_experts"), 64);
  ck_assert_ptr_null(json_object_get(d5, "num_experts"));
  ck_assert(json_is_array(json_object_get(d5, "mlp_only_layers")));
  ck_assert_int_eq((int)json_array_size(json_object_get(d5, "mlp_only_layers")), 0);
  /* the alias takes the field's place, after num_experts_per_tok */
  const char *prev = NULL, *k;
  json_t *v;
  json_object_foreach(d5, k, v) {
    if (strcmp(k, "num_local_experts") == 0) break;
    prev = k;
  }
  ck_assert_str_eq(prev, "num_experts_per_tok");
  /* both given: the target wins, as transformers' setattr order has it */
  json_t *both = parse("{\"num_experts\": 64, \"num_local_experts\": 8}");
  d5 = ck_complete_hf_config(&rt, fmt("qwen3_moe"), CK_LAYOUT_V5, both, &err);
  ck_assert_ptr_nonnull(d5);
  ck_assert_int_eq(int_at(d5, "num_local_experts"), 8);
  json_t *d4 = ck_complete_hf_config(&rt, fmt("qwen3_moe"), CK_LAYOUT_V4,
                                     raw, &err);
  ck_assert_ptr_nonnull(d4);
  ck_assert_int_eq(int_at(d4, "num_experts"), 64);
  ck_assert_ptr_null(json_object_get(d4, "num_local_experts"));
  ck_assert_int_eq((int)json_array_size(json_object_get(d4, "mlp_only_layers")), 0);
  ck_assert(json_is_false(json_object_get(d4, "norm_topk_prob")));
  ck_assert_ptr_null(json_object_get(d4, "head_dim"));
  /* the input is never modified */
  ck_assert(json_is_null(json_object_get(raw, "mlp_only_layers")));
  json_t *dense = ck_complete_hf_config(&rt, fmt("qwen3"), CK_LAYOUT_V4,
                                        raw, &err);
  ck_assert_ptr_nonnull(dense);
  ck_assert_int_eq(int_at(dense, "head_dim"), 128);
  ck_assert_int_eq((int)json_array_size(json_object_get(dense, "layer_types")), 32);
}
END_TEST

/* Gemma4TextConfig's layer_types: 5 sliding to 1 full when not given,
 * the last layer forced to full either way (without touching the input),
 * and its per-layer-type rope_parameters default. */
START_TEST(gemma4_layer_pattern) {
  json_t *d = ck_complete_hf_config(&rt, fmt("gemma4"), CK_LAYOUT_V5,
                                    parse("{\"num_hidden_layers\": 8}"),
                                    &err);
  ck_assert_ptr_nonnull(d);
  json_t *lt = json_object_get(d, "layer_types");
  ck_assert_int_eq((int)json_array_size(lt), 8);
  const char *want[] = {"sliding_attention", "sliding_attention",
                        "sliding_attention", "sliding_attention",
                        "sliding_attention", "full_attention",
                        "sliding_attention", "full_attention"};
  for (int i = 0; i < 8; i++)
    ck_assert_str_eq(json_string_value(json_array_get(lt, i)), want[i]);
  json_t *rp = json_object_get(d, "rope_parameters");
  ck_assert_str_eq(json_string_value(json_object_get(
      json_object_get(rp, "full_attention"), "rope_type")), "proportional");
  json_t *raw = parse("{\"num_hidden_layers\": 2, \"layer_types\": "
                      "[\"full_attention\", \"sliding_attention\"]}");
  d = ck_complete_hf_config(&rt, fmt("gemma4"), CK_LAYOUT_V5, raw, &err);
  ck_assert_ptr_nonnull(d);
  ck_assert_str_eq(json_string_value(json_array_get(
      json_object_get(d, "layer_types"), 1)), "full_attention");
  ck_assert_str_eq(json_string_value(json_array_get(
      json_object_get(raw, "layer_types"), 1)), "sliding_attention");
}
END_TEST

START_TEST(malformed_input_is_a_completion_error) {
  json_t *bad = parse("{\"hidden_size\": \"big\", \"num_attention_heads\": "
                      "8}");
  ck_assert_ptr_null(ck_complete_hf_config(&rt, fmt("llama"), CK_LAYOUT_V4,
                                           bad, &err));
  ck_assert_str_eq(err.stage, "transformers_completion");
  ck_assert_ptr_nonnull(strstr(err.msg, "head_dim"));
  ck_assert_ptr_nonnull(strstr(err.msg, "'big'"));
  ck_error_clear(&err);
  json_t *zero = parse("{\"num_attention_heads\": 0}");
  ck_assert_ptr_null(ck_complete_hf_config(&rt, fmt("mistral"), CK_LAYOUT_V5,
                                           zero, &err));
  ck_assert_str_eq(err.stage, "transformers_completion");
  ck_error_clear(&err);
  json_t *rope = parse("{\"rope_scaling\": \"linear\"}");
  ck_assert_ptr_null(ck_complete_hf_config(&rt, fmt("llama"), CK_LAYOUT_V5,
                                           rope, &err));
  ck_assert_str_eq(err.stage, "transformers_completion");
  ck_assert_ptr_nonnull(strstr(err.msg, "rope_scaling"));
}
END_TEST

/* The one deliberate difference from upstream: Mixtral's head_dim null. */
START_TEST(mixtral_null_head_dim_deviation) {
  json_t *raw = parse("{\"model_type\": \"mixtral\", \"architectures\": "
                      "[\"MixtralForCausalLM\"], \"hidden_size\": 256, "
                      "\"num_attention_heads\": 8, \"num_key_value_heads\": "
                      "2, \"num_hidden_layers\": 2, \"intermediate_size\": "
                      "512, \"vocab_size\": 1000}");
  json_t *done = ck_complete_hf_config(&rt, fmt("mixtral"), CK_LAYOUT_V4, raw,
                                       &err);
  ck_assert_ptr_nonnull(done);
  ck_assert(json_is_null(json_object_get(done, "head_dim"))); /* as HF */
  const char *applied = NULL;
  json_t *dict = ck_apply_deviations(&rt, fmt("mixtral"), done, &applied,
                                     &err);
  ck_assert_ptr_nonnull(dict);
  ck_assert_str_eq(applied, "mixtral_null_head_dim");
  ck_assert_ptr_null(json_object_get(dict, "head_dim"));
  ck_assert_ptr_nonnull(json_object_get(done, "head_dim")); /* untouched */
  json_t *ser = NULL;
  ck_cfg *cfg = ck_import_hf_config(&rt, fmt("mixtral"), raw, NULL, NULL,
                                    &ser, &err);
  ck_assert_msg(cfg != NULL, "%s", err.msg);
  json_t *mixer = json_object_get(
      json_object_get(json_object_get(ser, "decoder"), "block"), "mixer");
  ck_assert_int_eq(int_at(mixer, "head_size"), 32); /* 256 / 8 */
  /* without the deviation, validation fails as upstream's does */
  ck_assert_ptr_null(ck_import_config(&rt, fmt("mixtral"), done, NULL, &err));
  ck_assert_str_eq(err.stage, "validation");
  /* no deviation for other classes, or for an explicit head_dim */
  json_t *llama = ck_complete_hf_config(&rt, fmt("llama"), CK_LAYOUT_V4,
                                        parse("{}"), &err);
  ck_assert_ptr_eq(ck_apply_deviations(&rt, fmt("llama"), llama, &applied,
                                       &err), llama);
  ck_assert_ptr_null(applied);
}
END_TEST

/* LlavaConfig's sub-configs: each completed by the class its model_type
 * names, defaults when null, no transformers_version inside. */
START_TEST(llava_sub_configs) {
  json_t *raw = parse("{\"text_config\": {\"model_type\": \"mistral\", "
                      "\"hidden_size\": 1024, \"rope_theta\": 1e6}, "
                      "\"vision_config\": {\"model_type\": \"pixtral\", "
                      "\"hidden_size\": 512, \"num_attention_heads\": 8, "
                      "\"head_dim\": 99}}");
  for (int l = CK_LAYOUT_V4; l <= CK_LAYOUT_V5; l <<= 1) {
    json_t *d = ck_complete_hf_config(&rt, fmt("llava"), l, raw, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    json_t *t = json_object_get(d, "text_config");
    json_t *v = json_object_get(d, "vision_config");
    ck_assert_str_eq(json_string_value(json_object_get(t, "model_type")),
                     "mistral");
    ck_assert_int_eq(int_at(t, "head_dim"), 32);
    ck_assert_int_eq(int_at(t, "num_key_value_heads"), 8);
    ck_assert_int_eq(int_at(v, "head_dim"), 64); /* always derived */
    ck_assert_ptr_null(json_object_get(t, "transformers_version"));
    ck_assert_ptr_null(json_object_get(v, "transformers_version"));
    ck_assert_ptr_nonnull(json_object_get(d, "transformers_version"));
    ck_assert_ptr_nonnull(l == CK_LAYOUT_V5
                              ? json_object_get(t, "rope_parameters")
                              : json_object_get(t, "rope_theta"));
  }
  /* null / no model_type: LlavaConfig's defaults (CLIP, Llama) */
  json_t *d = ck_complete_hf_config(
      &rt, fmt("llava"), CK_LAYOUT_V4,
      parse("{\"vision_config\": null, \"text_config\": {}}"), &err);
  ck_assert_ptr_nonnull(d);
  json_t *v = json_object_get(d, "vision_config");
  ck_assert_str_eq(json_string_value(json_object_get(v, "model_type")),
                   "clip_vision_model");
  ck_assert_int_eq(int_at(v, "image_size"), 336);
  ck_assert_str_eq(json_string_value(json_object_get(
                       json_object_get(d, "text_config"), "model_type")),
                   "llama");
  /* a nested model_type without a class, or a non-mapping */
  ck_assert_ptr_null(ck_complete_hf_config(
      &rt, fmt("llava"), CK_LAYOUT_V5,
      parse("{\"text_config\": {\"model_type\": \"ministral3\"}}"), &err));
  ck_assert_str_eq(err.stage, "transformers_completion");
  ck_assert_ptr_nonnull(strstr(err.msg, "'ministral3'"));
  ck_assert_ptr_null(ck_complete_hf_config(
      &rt, fmt("llava"), CK_LAYOUT_V4, parse("{\"vision_config\": 3}"),
      &err));
  ck_assert_str_eq(err.stage, "transformers_completion");
}
END_TEST

START_TEST(ignore_hf_key_and_advice) {
  json_t *raw = parse("{\"model_type\": \"llama\", \"architectures\": "
                      "[\"LlamaForCausalLM\"], \"hidden_size\": 256, "
                      "\"num_attention_heads\": 8, \"num_hidden_layers\": 2, "
                      "\"intermediate_size\": 512, \"vocab_size\": 1000, "
                      "\"quantization_config\": {\"load_in_8bit\": true, "
                      "\"quant_method\": \"bitsandbytes\"}, "
                      "\"prefill_chunk_size\": 2048, \"foo\": {\"bar\": 1}}");
  ck_assert_ptr_null(ck_import_hf_config(&rt, fmt("llama"), raw, NULL, NULL,
                                         NULL, &err));
  ck_assert_str_eq(err.stage, "hf_coverage");
  ck_assert_ptr_nonnull(strstr(err.msg, "'quantization_config.load_in_8bit'"
                                        " (value: True)"));
  ck_assert_ptr_nonnull(strstr(err.msg, "'foo.bar' (value: 1)"));
  ck_assert_ptr_nonnull(strstr(err.msg, "quantized checkpoints are not "
                                        "supported"));
  ck_assert_ptr_nonnull(strstr(err.msg, "MLC engine settings"));
  ck_assert_ptr_nonnull(strstr(err.msg, "--ignore-hf-key"));
  /* a prefix that is not a path segment ignores nothing */
  const char *partial[] = {"quantization", "prefill_chunk_size", "foo.bar"};
  ck_hf_read o = {.ignore_keys = partial, .n_ignore_keys = 3};
  ck_error_clear(&err);
  ck_assert_ptr_null(ck_import_hf_config(&rt, fmt("llama"), raw, &o, NULL,
                                         NULL, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "quantization_config.quant_method"));
  ck_assert_ptr_null(strstr(err.msg, "'prefill_chunk_size'"));
  ck_assert_ptr_null(strstr(err.msg, "MLC engine"));
  /* whole subtrees */
  const char *keys[] = {"quantization_config", "prefill_chunk_size", "foo"};
  ck_hf_read all = {.ignore_keys = keys, .n_ignore_keys = 3};
  ck_error_clear(&err);
  ck_assert_msg(ck_import_hf_config(&rt, fmt("llama"), raw, &all, NULL, NULL,
                                    &err) != NULL, "%s", err.msg);
  /* --raw keeps the old behaviour: the sparse dict misses keys */
  ck_hf_read raw_read = {.raw = 1, .ignore_keys = keys, .n_ignore_keys = 3};
  ck_assert_ptr_null(ck_import_hf_config(&rt, fmt("llama"), raw, &raw_read,
                                         NULL, NULL, &err));
  ck_assert_str_eq(err.stage, "import_config");
}
END_TEST

int main(void) {
  Suite *s = suite_create("realdata");
  TCase *units = tcase_create("completion");
  tcase_add_checked_fixture(units, setup, teardown);
  tcase_add_test(units, every_class_completes_an_empty_config);
  tcase_add_test(units, llama_derivations_and_v5_rope);
  tcase_add_test(units, qwen2_sliding_window_and_layer_types);
  tcase_add_test(units, qwen3_aliases_and_defaults);
  tcase_add_test(units, gemma4_layer_pattern);
  tcase_add_test(units, malformed_input_is_a_completion_error);
  tcase_add_test(units, mixtral_null_head_dim_deviation);
  tcase_add_test(units, llava_sub_configs);
  tcase_add_test(units, ignore_hf_key_and_advice);
  suite_add_tcase(s, units);
  TCase *table = tcase_create("table");
  tcase_set_timeout(table, 600);
  tcase_add_test(table, realdata_table);
  suite_add_tcase(s, table);
  return ts_run_suite(s);
}
