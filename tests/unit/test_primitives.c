/* test_primitives.c - every .conv primitive at run time, on a made-up
 * format (tests/primitives/prims.conv) with hand-written expectations:
 * dispatch flat and under a key, typed_dict, optional, emit, import-only,
 * validate, HF type names and their coverage; weight plans through
 * dispatch with per-branch prefixes, optional nested, fixed and pattern
 * sequences, `self` sequences, repeat with {i+1}, split leaves, output
 * projections and ties, and the schema's tensors for coverage. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_convert.h"
#include "ck_params.h"
#include "ck_weights.h"
#include "support.h"

extern const ck_spec ck_prim_tables;

static ck_rt rt;
static ck_error err;

static void setup(void) {
  ck_rt_init(&rt, &ck_prim_tables, CK_LAYOUT_V4);
  ck_error_clear(&err);
}
static void teardown(void) { ck_rt_free(&rt); }

static json_t *parse(const char *text) {
  json_error_t je;
  json_t *v = json_loads(text, 0, &je);
  ck_assert_msg(v != NULL, "bad test json: %s (%s)", je.text, text);
  return ck_rt_own(&rt, v);
}

static void assert_json(json_t *got, const char *want) {
  char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
  json_t *w = parse(want);
  ck_assert_msg(json_equal(got, w), "got  %s\nwant %s", g, want);
  free(g);
}

static const ck_format *fmt(const char *name) {
  const ck_format *f = ck_format_find(&ck_prim_tables, name);
  ck_assert_ptr_nonnull(f);
  return f;
}

#define TOP                                                             \
  "{\"first\": {\"type\": \"a\", \"x\": 3},"                             \
  " \"parts\": {\"p\": {\"type\": \"b\"}, \"q\": {\"type\": \"a\"}},"    \
  " \"chain\": {\"block\": {\"part\": {\"type\": \"b\", \"label\": \"L\"}," \
  " \"extra\": {\"x\": 1}}}}"

#define TOP_HF                                                          \
  "{\"hidden\": 4, \"type\": \"A\", \"x_hf\": 3,"                        \
  " \"parts\": {\"p\": {\"type\": \"B\", \"y_hf\": 2},"                  \
  "             \"q\": {\"type\": \"A\", \"x_hf\": 1}},"                  \
  " \"part\": {\"type\": \"B\", \"y_hf\": 2, \"label_hf\": \"L\"},"       \
  " \"n_layers\": 2, \"version\": 2, \"heads\": 2, \"tied\": false,"     \
  " \"repeats\": 2, \"model_type\": \"prim\","                          \
  " \"architectures\": [\"PrimModel\"],"                                \
  " \"auto_map\": {\"AutoConfig\": \"configuration_prim.PrimConfig\"}}"

START_TEST(export_all_config_primitives) {
  json_t *hf = ck_export_config(&rt, fmt("prim"), parse(TOP), &err);
  ck_assert_msg(hf != NULL, "%s: %s", err.stage, err.msg);
  assert_json(hf, TOP_HF);
}
END_TEST

START_TEST(import_all_config_primitives) {
  json_t *out = NULL;
  ck_cfg *c = ck_import_config(&rt, fmt("prim"), parse(TOP_HF), &out, &err);
  ck_assert_msg(c != NULL, "%s: %s", err.stage, err.msg);
  /* derived comes from the import-only rule heads * 2; the sequence
   * imports as a fixed chain; types injected from the HF type names */
  assert_json(out,
              "{\"width\": 4, \"first\": {\"type\": \"a\", \"x\": 3},"
              " \"parts\": {\"p\": {\"type\": \"b\", \"y\": 2},"
              "             \"q\": {\"type\": \"a\", \"x\": 1}},"
              " \"chain\": {\"type\": \"fixed\", \"num_blocks\": 2,"
              "   \"block\": {\"part\": {\"type\": \"b\", \"y\": 2,"
              "   \"label\": \"L\"}}},"
              " \"mode\": \"fast\", \"heads\": 2, \"derived\": 4,"
              " \"tied_embedding_weight\": false, \"repeats\": 2}");
}
END_TEST

static void expect_import_error(const char *hf, const char *stage,
                                const char *needle) {
  teardown();
  setup();
  ck_cfg *c = ck_import_config(&rt, fmt("prim"), parse(hf), NULL, &err);
  ck_assert_ptr_null(c);
  ck_assert_str_eq(err.stage, stage);
  ck_assert_msg(strstr(err.msg, needle), "'%s' not in: %s", needle, err.msg);
}

START_TEST(import_rejections) {
  /* emit: a present key must hold the constant */
  json_t *hf = parse(TOP_HF);
  json_object_set_new(hf, "version", json_integer(3));
  char *t = json_dumps(hf, 0);
  expect_import_error(t, "import_config", "version");
  free(t);
  /* coverage descends under a dispatch's key: part.zzz is unknown */
  hf = parse(TOP_HF);
  json_object_set_new(json_object_get(hf, "part"), "zzz", json_integer(1));
  t = json_dumps(hf, 0);
  expect_import_error(t, "hf_coverage", "part.zzz");
  free(t);
  /* an unknown HF type name */
  hf = parse(TOP_HF);
  json_object_set_new(json_object_get(hf, "part"), "type", json_string("C"));
  t = json_dumps(hf, 0);
  expect_import_error(t, "import_config", "unknown type 'C'");
  free(t);
}
END_TEST

START_TEST(export_rejections) {
  json_t *in = parse(TOP);
  json_object_set_new(in, "mode", json_string("slow"));
  ck_assert_ptr_null(ck_export_config(&rt, fmt("prim"), in, &err));
  ck_assert_str_eq(err.stage, "export");
  ck_assert_ptr_nonnull(strstr(err.msg, "mode"));
  in = parse(TOP);
  json_object_set_new(in, "heads", json_integer(0));
  ck_assert_ptr_null(ck_export_config(&rt, fmt("prim"), in, &err));
  ck_assert_ptr_nonnull(strstr(err.msg, "heads must be positive"));
}
END_TEST

static void assert_plan(const char *format, const char *config,
                        const char *want) {
  ck_cfg *c = ck_load_base_model(&rt, fmt(format), parse(config), &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  ck_plan plan;
  ck_assert_msg(ck_weights_plan(&rt, fmt(format), c, &plan, &err) == 0,
                "%s", err.msg);
  assert_json(ck_plan_to_json(&rt, &plan), want);
}

#define W(fl, hf, kind) \
  "{\"fast_llm\": [" fl "], \"hf\": [" hf "], \"kind\": \"" kind "\"}"

START_TEST(weight_plan_all_primitives) {
  assert_plan(
      "prim", TOP,
      "[" W("\"emb\"", "\"embed\"", "WeightConverter") ","
      W("\"out\"", "\"head\"", "OutputProjectionWeightConverter") ","
      W("\"chain.0.part.v\"", "\"layers.0.part.v0\", \"layers.0.part.v1\"",
        "SplitWeightConverter") ","
      W("\"chain.0.extra.w\"", "\"layers.0.extra.w_hf\"", "WeightConverter") ","
      W("\"chain.0.scale\"", "\"layers.0.scale_hf\"", "WeightConverter") ","
      W("\"chain.1.part.v\"", "\"layers.1.part.v0\", \"layers.1.part.v1\"",
        "SplitWeightConverter") ","
      W("\"chain.1.extra.w\"", "\"layers.1.extra.w_hf\"", "WeightConverter") ","
      W("\"chain.1.scale\"", "\"layers.1.scale_hf\"", "WeightConverter") ","
      W("\"rep.0.w\"", "\"rep_hf.1.w_hf\"", "WeightConverter") ","
      W("\"rep.1.w\"", "\"rep_hf.2.w_hf\"", "WeightConverter") "]");
}
END_TEST

START_TEST(pattern_sequence_dispatch_prefix_and_tie) {
  /* pattern [a, b] over 3 blocks -> a, b, a; a PartA part goes under the
   * branch's own HF prefix "pa"; no optional extra; tied -> no output */
  assert_plan(
      "prim",
      "{\"first\": {\"type\": \"a\"}, \"repeats\": 0,"
      " \"tied_embedding_weight\": true, \"chain\": {\"type\": \"pattern\","
      " \"num_blocks\": 3, \"pattern\": [\"a\", \"b\"], \"blocks\": {"
      " \"a\": {\"part\": {\"type\": \"a\"}}, \"b\": {\"part\": {\"type\": \"b\"}}}}}",
      "[" W("\"emb\"", "\"embed\"", "WeightConverter") ","
      W("\"chain.0.part.w\"", "\"layers.0.pa.w_hf\"", "WeightConverter") ","
      W("\"chain.0.scale\"", "\"layers.0.scale_hf\"", "WeightConverter") ","
      W("\"chain.1.part.v\"", "\"layers.1.part.v0\", \"layers.1.part.v1\"",
        "SplitWeightConverter") ","
      W("\"chain.1.scale\"", "\"layers.1.scale_hf\"", "WeightConverter") ","
      W("\"chain.2.part.w\"", "\"layers.2.pa.w_hf\"", "WeightConverter") ","
      W("\"chain.2.scale\"", "\"layers.2.scale_hf\"", "WeightConverter") "]");
}
END_TEST

START_TEST(self_sequence) {
  assert_plan("prim_chain", "{\"block\": {\"part\": {\"type\": \"b\"}}, \"num_blocks\": 1}",
              "[" W("\"0.part.v\"", "\"layers.0.part.v0\", \"layers.0.part.v1\"",
                    "SplitWeightConverter") ","
              W("\"0.scale\"", "\"layers.0.scale_hf\"", "WeightConverter") "]");
}
END_TEST

START_TEST(coverage_from_schema_tensors) {
  ck_cfg *c = ck_load_base_model(&rt, fmt("prim"), parse(TOP), &err);
  ck_plan plan;
  ck_params params;
  ck_assert_int_eq(ck_weights_plan(&rt, fmt("prim"), c, &plan, &err), 0);
  ck_assert_int_eq(ck_model_params(&rt, c, &params, &err), 0);
  ck_assert_int_eq(ck_weight_coverage(&rt, &params, &plan, &err), 0);
  const ck_param *w = ck_params_find(&params, "rep.1.w");
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(w->ndim, 2);
  ck_assert_int_eq(w->shape[0], 3); /* x of `first` */
  ck_assert_int_eq(w->shape[1], 4); /* $width from the root */
  /* drop one leaf: coverage names the tensor; duplicate one: converted twice */
  ck_plan less = plan;
  less.n--;
  ck_assert_int_eq(ck_weight_coverage(&rt, &params, &less, &err), -1);
  ck_assert_msg(strstr(err.msg, "'rep.1.w' is converted by no declaration"), "%s", err.msg);
  ck_plan more = plan;
  more.leaves = ck_rt_alloc(&rt, sizeof *more.leaves * (plan.n + 1));
  memcpy(more.leaves, plan.leaves, sizeof *more.leaves * plan.n);
  more.leaves[plan.n] = plan.leaves[0];
  more.n = plan.n + 1;
  ck_assert_int_eq(ck_weight_coverage(&rt, &params, &more, &err), -1);
  ck_assert_msg(strstr(err.msg, "'emb' is converted twice"), "%s", err.msg);
}
END_TEST

int main(void) {
  Suite *s = suite_create("primitives");
  TCase *tc = tcase_create("primitives");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, export_all_config_primitives);
  tcase_add_test(tc, import_all_config_primitives);
  tcase_add_test(tc, import_rejections);
  tcase_add_test(tc, export_rejections);
  tcase_add_test(tc, weight_plan_all_primitives);
  tcase_add_test(tc, pattern_sequence_dispatch_prefix_and_tie);
  tcase_add_test(tc, self_sequence);
  tcase_add_test(tc, coverage_from_schema_tensors);
  suite_add_tcase(s, tc);
  return ts_run_suite(s);
}
