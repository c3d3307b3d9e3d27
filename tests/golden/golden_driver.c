/* golden_driver.c - one table-driven test over ../shared/golden for every
 * format that has a spec.
 *
 * For each case and layout: export of fast_llm_base_model_input equals
 * hf_config_<layout>; import of that HF dict equals
 * reimported_fast_llm_serialized[layout]; the round trip is architecture-
 * equal exactly when upstream says it is.  For errors.json: every rejected
 * import and export fails at the same stage, every accepted mutation is
 * accepted with the same result.  Comparisons are type-exact (1 != 1.0).
 * Formats of the golden data without a spec are listed as skipped.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_convert.h"
#include "ck_tables.h"
#include "ck_params.h"
#include "ck_weights.h"

static int passed, failed, skipped;
static int verbose;

static void result(int ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void result(int ok, const char *fmt, ...) {
  va_list ap;
  if (ok) {
    passed++;
    if (!verbose) return;
    printf("ok   ");
  } else {
    failed++;
    printf("FAIL ");
  }
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

static int layout_of(const char *name) {
  return strcmp(name, "v4") == 0 ? CK_LAYOUT_V4 : CK_LAYOUT_V5;
}

static void show_diff(const char *what, json_t *got, json_t *want) {
  char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
  char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
  printf("     %s got:  %s\n     %s want: %s\n", what, g ? g : "null", what,
         w ? w : "null");
  free(g);
  free(w);
}

/* The architecture view of a config: arch fields only, sub-configs by
 * class, as Fast-LLM's compare_architecture sees it. */
static json_t *arch_of(ck_rt *rt, const ck_cfg *cfg) {
  const ck_class *k = &rt->spec->classes[cfg->cls];
  json_t *out = json_object();
  json_object_set_new(out, "__class__", json_string(k->name));
  for (int i = 0; i < k->n_fields; i++) {
    const ck_field *f = &k->fields[i];
    const ck_slot *s = &cfg->slots[i];
    if (f->hint != CK_HINT_ARCH) continue;
    if (s->sub) {
      json_object_set_new(out, f->name, arch_of(rt, s->sub));
    } else if (s->dict) {
      json_t *d = json_object();
      for (int j = 0; j < s->dict->n; j++)
        json_object_set_new(d, s->dict->keys[j], arch_of(rt, s->dict->vals[j]));
      json_object_set_new(out, f->name, d);
    } else {
      json_object_set(out, f->name, s->v ? s->v : json_null());
    }
  }
  return out;
}

/* Load a golden file.  Upstream's resolved configs can hold integers
 * beyond 64 bits (StochasticMixerConfig.seed_shift) that jansson rejects;
 * such literals are turned into strings, since no check reads them. */
static json_t *load_golden(const char *path, json_error_t *jerr) {
  json_t *v = json_load_file(path, 0, jerr);
  if (v || !strstr(jerr->text, "too big")) return v;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *in = malloc((size_t)n + 1), *out = malloc((size_t)n * 2 + 1);
  size_t got = in ? fread(in, 1, (size_t)n, f) : 0;
  fclose(f);
  size_t o = 0;
  int in_str = 0;
  for (size_t i = 0; out && i < got; i++) {
    char c = in[i];
    if (in_str) {
      out[o++] = c;
      if (c == '\\' && i + 1 < got) out[o++] = in[++i];
      else if (c == '"') in_str = 0;
      continue;
    }
    if (c == '"') in_str = 1;
    if (c >= '0' && c <= '9' && (i == 0 || !strchr("0123456789.eE+-", in[i - 1]))) {
      size_t j = i;
      while (j < got && in[j] >= '0' && in[j] <= '9') j++;
      if (j - i > 18 && (j >= got || !strchr(".eE", in[j]))) {
        out[o++] = '"';
        memcpy(out + o, in + i, j - i);
        o += j - i;
        out[o++] = '"';
        i = j - 1;
        continue;
      }
    }
    out[o++] = c;
  }
  v = out ? json_loadb(out, o, 0, jerr) : NULL;
  free(in);
  free(out);
  return v;
}

/* The weight-converter list (order, kinds, params) and the static weight
 * coverage of the schema's tensors; or, where upstream could not list
 * the converters, that ckconv refuses too. */
static void check_weights(ck_rt *rt, const ck_format *f, json_t *c,
                          const char *name, json_t *input) {
  ck_error err;
  ck_error_clear(&err);
  ck_plan plan;
  ck_cfg *base = ck_load_base_model(rt, f, ck_rt_own(rt, json_deep_copy(input)), &err);
  json_t *want_w = json_object_get(c, "weights");
  json_t *got_w = NULL;
  if (base && ck_weights_plan(rt, f, base, &plan, &err) == 0)
    got_w = ck_plan_to_json(rt, &plan);
  if (json_is_null(want_w) &&
      !json_is_null(json_object_get(c, "weights_error"))) {
    result(!got_w, "%s/%s weights rejected as upstream", f->name, name);
    return;
  }
  int ok = got_w && json_equal(got_w, want_w);
  result(ok, "%s/%s weights (%zu converters)", f->name, name,
         json_array_size(want_w));
  if (!ok && !got_w) printf("     error[%s]: %s\n", err.stage, err.msg);
  if (!ok && got_w) {
    for (size_t k = 0; k < json_array_size(want_w) || k < json_array_size(got_w); k++)
      if (!json_equal(json_array_get(got_w, k), json_array_get(want_w, k))) {
        printf("     first difference at converter %zu\n", k);
        show_diff("converter", json_array_get(got_w, k), json_array_get(want_w, k));
        break;
      }
  }
  /* static weight coverage: the schema's tensors vs the converters */
  ck_params params;
  ck_error cerr;
  ck_error_clear(&cerr);
  int cov = got_w && ck_model_params(rt, base, &params, &cerr) == 0 &&
            ck_weight_coverage(rt, &params, &plan, &cerr) == 0;
  result(cov, "%s/%s weight coverage", f->name, name);
  if (!cov) printf("     error[%s]: %s\n", cerr.stage, cerr.msg);
}

static void run_case(const ck_format *f, const char *path) {
  json_error_t jerr;
  json_t *c = load_golden(path, &jerr);
  if (!c) {
    result(0, "%s: cannot read: %s", path, jerr.text);
    return;
  }
  const char *name = json_string_value(json_object_get(c, "case"));
  json_t *input = json_object_get(c, "fast_llm_base_model_input");
  json_t *layouts = json_object_get(c, "layouts");
  size_t li;
  json_t *lay;
  json_array_foreach(layouts, li, lay) {
    const char *L = json_string_value(lay);
    char key[64];
    snprintf(key, sizeof key, "hf_config_%s", L);
    json_t *want_hf = json_object_get(c, key);
    ck_rt rt;
    ck_error err;
    ck_error_clear(&err);
    ck_rt_init(&rt, &ck_spec_tables, layout_of(L));
    json_t *in = json_deep_copy(input);
    ck_rt_own(&rt, in);
    json_t *hf = ck_export_config(&rt, f, in, &err);
    int ok = hf && json_equal(hf, want_hf);
    result(ok, "%s/%s %s export", f->name, name, L);
    if (!ok) {
      if (!hf) printf("     error[%s]: %s\n", err.stage, err.msg);
      else show_diff("hf", hf, want_hf);
    }
    /* import of the golden HF dict */
    json_t *serialized = NULL;
    ck_error_clear(&err);
    ck_cfg *imported = ck_import_config(
        &rt, f, ck_rt_own(&rt, json_deep_copy(want_hf)), &serialized, &err);
    json_t *want_fl = json_object_get(
        json_object_get(c, "reimported_fast_llm_serialized"), L);
    ok = imported && json_equal(serialized, want_fl);
    result(ok, "%s/%s %s import", f->name, name, L);
    if (!ok) {
      if (!imported) printf("     error[%s]: %s\n", err.stage, err.msg);
      else show_diff("fast_llm", serialized, want_fl);
    }
    /* the weight converter list, order and kinds included */
    if (li == 0) check_weights(&rt, f, c, name, input);
    /* round trip architecture equality, as upstream judged it */
    ck_cfg *orig = ck_load_base_model(&rt, f, ck_rt_own(&rt, json_deep_copy(input)), &err);
    if (orig && imported) {
      json_t *a = arch_of(&rt, orig), *b = arch_of(&rt, imported);
      int equal = json_equal(a, b);
      json_t *rt_want = json_object_get(json_object_get(c, "roundtrip"), L);
      int want_eq = json_is_true(json_object_get(rt_want, "architecture_equal"));
      result(equal == want_eq, "%s/%s %s round trip architecture_equal=%d",
             f->name, name, L, want_eq);
      json_decref(a);
      json_decref(b);
    }
    ck_rt_free(&rt);
  }
  json_decref(c);
}

static void expect_import(const ck_format *f, json_t *e, int rejected) {
  const char *name = json_string_value(json_object_get(e, "name"));
  const char *L = json_string_value(json_object_get(e, "layout"));
  ck_rt rt;
  ck_error err;
  ck_error_clear(&err);
  ck_rt_init(&rt, &ck_spec_tables, layout_of(L ? L : "v5"));
  json_t *serialized = NULL;
  json_t *hf = ck_rt_own(&rt, json_deep_copy(json_object_get(e, "hf_config")));
  ck_cfg *cfg = ck_import_config(&rt, f, hf, &serialized, &err);
  if (rejected) {
    const char *stage = json_string_value(json_object_get(e, "stage"));
    int ok = !cfg && strcmp(err.stage, stage) == 0;
    result(ok, "%s/errors %s %s: import rejected at %s", f->name, name, L,
           stage);
    if (!ok && cfg) printf("     got: accepted\n");
    if (!ok && !cfg) printf("     error[%s]: %s\n", err.stage, err.msg);
  } else {
    json_t *want = json_object_get(e, "imported_fast_llm_serialized");
    int ok = cfg && (!want || json_equal(serialized, want));
    result(ok, "%s/errors %s %s: import accepted", f->name, name, L);
    if (!ok && !cfg) printf("     error[%s]: %s\n", err.stage, err.msg);
    if (!ok && cfg) show_diff("fast_llm", serialized, want);
  }
  ck_rt_free(&rt);
}

static void expect_export(const ck_format *f, json_t *e, int rejected) {
  const char *name = json_string_value(json_object_get(e, "name"));
  json_t *by_layout = json_object_get(e, "by_layout");
  for (int l = CK_LAYOUT_V4; l <= CK_LAYOUT_V5; l <<= 1) {
    if (!(f->layouts & l)) continue;
    const char *L = l == CK_LAYOUT_V4 ? "v4" : "v5";
    if (by_layout && !json_object_get(by_layout, L)) continue;
    ck_rt rt;
    ck_error err;
    ck_error_clear(&err);
    ck_rt_init(&rt, &ck_spec_tables, l);
    json_t *in = ck_rt_own(&rt, json_deep_copy(json_object_get(e, "fast_llm_base_model")));
    json_t *hf = ck_export_config(&rt, f, in, &err);
    if (rejected) {
      const char *stage = json_string_value(json_object_get(e, "stage"));
      int ok = !hf && strcmp(err.stage, stage) == 0;
      result(ok, "%s/errors %s %s: export rejected at %s", f->name, name, L,
             stage);
      if (!ok && hf) printf("     got: accepted\n");
      if (!ok && !hf) printf("     error[%s]: %s\n", err.stage, err.msg);
    } else {
      json_t *want = json_object_get(e, "hf_config");
      int ok = hf && (!want || json_equal(hf, want));
      result(ok, "%s/errors %s %s: export accepted", f->name, name, L);
      if (!ok && !hf) printf("     error[%s]: %s\n", err.stage, err.msg);
    }
    ck_rt_free(&rt);
  }
}

static void run_errors(const ck_format *f, const char *path) {
  json_error_t jerr;
  json_t *d = load_golden(path, &jerr);
  if (!d) {
    result(0, "%s: cannot read: %s", path, jerr.text);
    return;
  }
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(d, "hf_import_errors"), i, e)
      expect_import(f, e, 1);
  json_array_foreach(json_object_get(d, "hf_import_accepted_mutations"), i, e)
      expect_import(f, e, 0);
  json_array_foreach(json_object_get(d, "export_errors"), i, e)
      expect_export(f, e, 1);
  json_array_foreach(json_object_get(d, "export_accepted_variants"), i, e)
      expect_export(f, e, 0);
  json_decref(d);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv) {
  const char *root = argc > 1 ? argv[1] : "tests/data/shared/golden";
  verbose = getenv("CK_VERBOSE") != NULL;
  DIR *dir = opendir(root);
  if (!dir) {
    fprintf(stderr, "golden: cannot open %s (set SHARED=...)\n", root);
    return 1;
  }
  char *names[256];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(dir)) && n < 256)
    if (de->d_name[0] != '.') names[n++] = strdup(de->d_name);
  closedir(dir);
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  for (int i = 0; i < n; i++) {
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/%s", root, names[i]);
    DIR *fd = opendir(sub);
    if (!fd) { free(names[i]); continue; }
    const ck_format *f = ck_format_find(&ck_spec_tables, names[i]);
    char *files[512];
    int nf = 0;
    while ((de = readdir(fd)) && nf < 512)
      if (strstr(de->d_name, ".json")) files[nf++] = strdup(de->d_name);
    closedir(fd);
    qsort(files, (size_t)nf, sizeof *files, cmp_str);
    if (!f) {
      printf("skip %s: no spec for this format yet (%d files)\n", names[i], nf);
      skipped += nf;
    }
    for (int j = 0; j < nf; j++) {
      char p[8192];
      snprintf(p, sizeof p, "%s/%s", sub, files[j]);
      if (f && strcmp(files[j], "errors.json") == 0) run_errors(f, p);
      else if (f) run_case(f, p);
      free(files[j]);
    }
    free(names[i]);
  }
  printf("golden: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}
