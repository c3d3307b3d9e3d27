/* test_config.c - unit tests of the config runtime over the generated
 * schema: from_dict (type dispatch, defaults, unknown fields), validation
 * (int -> float, bounds, checks, implicit defaults), to_dict (explicit
 * fields only), the expression semantics the specs rely on (every builtin
 * of common/ck_builtins.def has a runtime function), and the HF
 * allowlists compared with the golden file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_convert.h"
#include "ck_tables.h"
#include "support.h"

static ck_rt rt;
static ck_error err;

static void setup(void) {
  ck_rt_init(&rt, &ck_spec_tables, CK_LAYOUT_V5);
  ck_error_clear(&err);
}
static void teardown(void) { ck_rt_free(&rt); }

static int cls(const char *name) {
  for (int i = 0; i < ck_spec_tables.n_classes; i++)
    if (strcmp(ck_spec_tables.classes[i].name, name) == 0) return i;
  ck_abort_msg("no class %s", name);
  return -1;
}

static json_t *parse(const char *text) {
  json_error_t je;
  json_t *v = json_loads(text, 0, &je);
  ck_assert_msg(v != NULL, "bad test json: %s", je.text);
  return ck_rt_own(&rt, v);
}

static ck_cfg *build(const char *cls_name, const char *text) {
  ck_cfg *c = ck_cfg_from_dict(&rt, cls(cls_name), parse(text), "", &err);
  if (c && ck_cfg_validate(&rt, c, "", &err) != 0) return NULL;
  return c;
}

static void assert_dict(ck_cfg *c, const char *want) {
  json_t *got = ck_cfg_to_dict(&rt, c);
  json_t *w = parse(want);
  char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
  ck_assert_msg(json_equal(got, w), "to_dict: %s, want %s", g, want);
  free(g);
}

START_TEST(type_dispatch_and_defaults) {
  /* absent type -> default subclass; `type` becomes explicit */
  ck_cfg *c = build("RotaryConfig", "{}");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(ck_spec_tables.classes[c->cls].name, "NoRotaryConfig");
  assert_dict(c, "{\"type\": \"none\"}");
  /* a registered name picks the subclass; defaults stay implicit */
  c = build("RotaryConfig", "{\"type\": \"yarn\", \"theta\": 10000}");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(ck_spec_tables.classes[c->cls].name, "YarnRotaryConfig");
  /* int given for a float field is stored as a float */
  assert_dict(c, "{\"type\": \"yarn\", \"theta\": 10000.0}");
}
END_TEST

START_TEST(implicit_defaults_are_not_serialized) {
  ck_cfg *c = build("RotaryConfig", "{\"type\": \"yarn\", \"scale_factor\": 4.0}");
  ck_assert_ptr_nonnull(c);
  int fi = ck_class_field_index(&ck_spec_tables, c->cls, "attention_factor");
  /* 0.1 * ln(4) + 1 */
  ck_assert_double_eq_tol(json_real_value(c->slots[fi].v), 1.1386294361119891,
                          1e-15);
  assert_dict(c, "{\"type\": \"yarn\", \"scale_factor\": 4.0}");
  c = build("MLPConfig", "{\"gated\": true}");
  fi = ck_class_field_index(&ck_spec_tables, c->cls, "activation");
  ck_assert_str_eq(json_string_value(c->slots[fi].v), "silu");
  c = build("MLPConfig", "{}");
  ck_assert_str_eq(json_string_value(c->slots[fi].v), "gelu");
}
END_TEST

START_TEST(rejections_name_the_field) {
  ck_assert_ptr_null(build("AttentionConfig", "{\"heads\": 8, \"head_groups\": 3}"));
  ck_assert_str_eq(err.stage, "validation");
  ck_assert_ptr_nonnull(strstr(err.msg, "heads must be a multiple of head_groups"));
  teardown();
  setup();
  ck_assert_ptr_null(build("GPTBaseModelConfig", "{\"embeddings\": {\"vocab_size\": 0}}"));
  ck_assert_ptr_nonnull(strstr(err.msg, "embeddings.vocab_size"));
  teardown();
  setup();
  ck_assert_ptr_null(build("GPTBaseModelConfig", "{\"hidden_sise\": 4}"));
  ck_assert_ptr_nonnull(strstr(err.msg, "unknown field `hidden_sise`"));
  teardown();
  setup();
  ck_assert_ptr_null(build("NormalizationConfig", "{\"type\": \"batch_norm\"}"));
  ck_assert_ptr_nonnull(strstr(err.msg, "unknown type 'batch_norm'"));
  ck_assert_ptr_nonnull(strstr(err.msg, "rms_norm"));
  teardown();
  setup();
  ck_assert_ptr_null(build("MLPConfig", "{\"activation\": \"swish\"}"));
  ck_assert_ptr_nonnull(strstr(err.msg, "'swish' is not one of"));
  teardown();
  setup();
  ck_assert_ptr_null(build("PatternBlockSequenceConfig", "{\"pattern\": [\"a\"]}"));
  ck_assert_ptr_nonnull(strstr(err.msg, "missing required field `blocks`"));
  teardown();
  setup();
  ck_assert_ptr_null(build("PatternBlockSequenceConfig",
                           "{\"blocks\": {\"a\": {}}, \"pattern\": [\"b\"]}"));
  ck_assert_ptr_nonnull(strstr(err.msg, "every pattern entry must name a block"));
}
END_TEST

START_TEST(explicit_null_and_nested_serialization) {
  ck_cfg *c = build("DecoderBlockConfig", "{\"pre_mlp_normalization\": null}");
  ck_assert_ptr_nonnull(c);
  /* sub-configs built from {} appear only through their explicit type */
  assert_dict(c, "{\"type\": \"decoder\", \"pre_mlp_normalization\": null,"
                 " \"mixer\": {\"type\": \"attention\", \"rotary\": {\"type\": \"none\"}},"
                 " \"mlp\": {\"type\": \"mlp\"}, \"normalization\": {\"type\": \"layer_norm\"}}");
}
END_TEST

static int eval_int(const char *hf_text, const char *path_a, const char *path_b,
                    ck_ex_op op, json_t **out) {
  const char *sa[] = {path_a}, *sb[] = {path_b};
  ck_path pa = {sa, 1, path_a}, pb = {sb, 1, path_b};
  ck_expr a = {.op = CK_EX_PATH, .path = &pa, .text = path_a};
  ck_expr b = {.op = CK_EX_PATH, .path = &pb, .text = path_b};
  const ck_expr *args[] = {&a, &b};
  ck_expr e = {.op = op, .args = args, .n_args = 2, .text = "a op b"};
  ck_scope sc = {.cfg = NULL, .hf = parse(hf_text)};
  ck_val v;
  int rc = ck_eval(&rt, &e, sc, &v, CK_STAGE_IMPORT_CONFIG, &err);
  *out = v.j;
  return rc;
}

START_TEST(expression_semantics) {
  json_t *v;
  ck_assert_int_eq(eval_int("{\"h\": 256, \"n\": 8}", "h", "n", CK_EX_DIV, &v), 0);
  ck_assert(json_is_integer(v) && json_integer_value(v) == 32);
  /* `/` between integers is exact: 250 / 8 is an error, as upstream */
  ck_assert_int_eq(eval_int("{\"h\": 250, \"n\": 8}", "h", "n", CK_EX_DIV, &v), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "not divisible"));
  ck_assert_int_eq(eval_int("{\"h\": -7, \"n\": 2}", "h", "n", CK_EX_FLOORDIV, &v), 0);
  ck_assert_int_eq(json_integer_value(v), -4); /* Python floor division */
  ck_assert_int_eq(eval_int("{\"h\": 1, \"n\": 1.0}", "h", "n", CK_EX_EQ, &v), 0);
  ck_assert(json_is_true(v)); /* 1 == 1.0 */
  ck_assert_int_eq(eval_int("{\"h\": 1}", "h", "missing", CK_EX_EQ, &v), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "missing"));
}
END_TEST

/* a call of `name` on `n` literal arguments */
static int eval_call(const char *name, const ck_expr *const *args, int n,
                     json_t **out) {
  ck_expr e = {.op = CK_EX_CALL, .s = name, .args = args, .n_args = n,
               .text = "call"};
  ck_scope sc = {.cfg = NULL, .hf = parse("{}")};
  ck_val v = {0};
  int rc = ck_eval(&rt, &e, sc, &v, CK_STAGE_IMPORT_CONFIG, &err);
  *out = v.j;
  return rc;
}

START_TEST(every_builtin_dispatches) {
  static const struct {
    const char *name;
    int min_args;
  } fns[] = {
#define CK_BUILTIN(id, name, min_args, max_args, doc) {name, min_args},
#include "ck_builtins.def"
#undef CK_BUILTIN
  };
  ck_expr s = {.op = CK_EX_STR, .s = "x", .text = "\"x\""};
  const ck_expr *strs[] = {&s, &s, &s}; /* the most min_args */
  json_t *v;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    ck_assert_msg(fns[i].min_args <= 3, "%s: strs[] is too short",
                  fns[i].name);
    ck_error_clear(&err);
    eval_call(fns[i].name, strs, fns[i].min_args, &v);
    ck_assert_msg(!strstr(err.msg, "unknown function"), "%s: %s",
                  fns[i].name, err.msg);
  }
  ck_expr three = {.op = CK_EX_INT, .i = 3, .text = "3"};
  ck_expr half = {.op = CK_EX_FLOAT, .f = 2.5, .text = "2.5"};
  const ck_expr *nums[] = {&three, &half};
  ck_assert_int_eq(eval_call("min", nums, 2, &v), 0);
  ck_assert(json_is_real(v) && json_real_value(v) == 2.5);
  ck_assert_int_eq(eval_call("max", nums, 2, &v), 0);
  ck_assert(json_is_integer(v) && json_integer_value(v) == 3);
  ck_assert_int_eq(eval_call("pow", nums, 2, &v), 0);
  ck_assert(json_is_real(v));
  ck_assert_int_eq(eval_call("len", strs, 1, &v), 0);
  ck_assert_int_eq(json_integer_value(v), 1);
  ck_assert_int_eq(eval_call("log", strs, 1, &v), -1);
  ck_assert_str_eq(err.msg, "`call`: log() needs a number");
  const ck_expr *mixed[] = {&three, &s};
  ck_assert_int_eq(eval_call("max", mixed, 2, &v), -1);
  ck_assert_str_eq(err.msg, "`call`: max() needs numbers");
  ck_assert_int_eq(eval_call("frob", strs, 1, &v), -1);
  ck_assert_str_eq(err.msg, "`call`: unknown function frob");
}
END_TEST

/* the compact JSON text of v, for comparing lists by hand */
static const char *dumps(json_t *v) {
  static char buf[256];
  char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  snprintf(buf, sizeof buf, "%s", t ? t : "(null)");
  free(t);
  return buf;
}

/* range / fill / set_at / positions against values worked out by hand
 * (Python's range, list * n, item assignment, enumerate) */
START_TEST(list_builtins) {
  ck_expr i0 = {.op = CK_EX_INT, .i = 0, .text = "0"};
  ck_expr i1 = {.op = CK_EX_INT, .i = 1, .text = "1"};
  ck_expr i2 = {.op = CK_EX_INT, .i = 2, .text = "2"};
  ck_expr i6 = {.op = CK_EX_INT, .i = 6, .text = "6"};
  ck_expr m2 = {.op = CK_EX_INT, .i = -2, .text = "-2"};
  ck_expr moe = {.op = CK_EX_STR, .s = "moe", .text = "\"moe\""};
  ck_expr dense = {.op = CK_EX_STR, .s = "dense", .text = "\"dense\""};
  json_t *v;
  ck_assert_int_eq(eval_call("range", (const ck_expr *[]){&i6}, 1, &v), 0);
  ck_assert_str_eq(dumps(v), "[0,1,2,3,4,5]");
  /* decoder_sparse_step 2 over 6 layers: the sparse ones */
  ck_assert_int_eq(
      eval_call("range", (const ck_expr *[]){&i1, &i6, &i2}, 3, &v), 0);
  ck_assert_str_eq(dumps(v), "[1,3,5]");
  ck_assert_int_eq(
      eval_call("range", (const ck_expr *[]){&i6, &i1, &m2}, 3, &v), 0);
  ck_assert_str_eq(dumps(v), "[6,4,2]");
  ck_assert_int_eq(eval_call("range", (const ck_expr *[]){&i6, &i1}, 2, &v), 0);
  ck_assert_str_eq(dumps(v), "[]");
  ck_assert_int_eq(
      eval_call("range", (const ck_expr *[]){&i0, &i6, &i0}, 3, &v), -1);
  ck_assert_str_eq(err.msg, "`call`: range() step must not be zero");
  ck_assert_int_eq(eval_call("range", (const ck_expr *[]){&moe}, 1, &v), -1);
  ck_assert_str_eq(err.msg, "`call`: argument 1 of range() must be an integer");

  ck_assert_int_eq(eval_call("fill", (const ck_expr *[]){&i2, &dense}, 2, &v), 0);
  ck_assert_str_eq(dumps(v), "[\"dense\",\"dense\"]");
  ck_assert_int_eq(eval_call("fill", (const ck_expr *[]){&m2, &dense}, 2, &v), -1);

  /* set_at(fill(6, "dense"), range(1, 6, 2), "moe") through literals */
  ck_expr d6[6], p3[3];
  const ck_expr *d6p[6], *p3p[3];
  for (int k = 0; k < 6; k++) d6[k] = dense, d6p[k] = &d6[k];
  for (int k = 0; k < 3; k++) {
    p3[k] = (ck_expr){.op = CK_EX_INT, .i = 2 * k + 1, .text = "k"};
    p3p[k] = &p3[k];
  }
  ck_expr list6 = {.op = CK_EX_LIST, .args = d6p, .n_args = 6, .text = "l"};
  ck_expr pos3 = {.op = CK_EX_LIST, .args = p3p, .n_args = 3, .text = "p"};
  ck_assert_int_eq(
      eval_call("set_at", (const ck_expr *[]){&list6, &pos3, &moe}, 3, &v), 0);
  ck_assert_str_eq(dumps(v), "[\"dense\",\"moe\",\"dense\",\"moe\","
                             "\"dense\",\"moe\"]");
  ck_expr p6[1] = {{.op = CK_EX_INT, .i = 6, .text = "6"}};
  const ck_expr *p6p[1] = {&p6[0]};
  ck_expr pos6 = {.op = CK_EX_LIST, .args = p6p, .n_args = 1, .text = "[6]"};
  ck_assert_int_eq(
      eval_call("set_at", (const ck_expr *[]){&list6, &pos6, &moe}, 3, &v), -1);
  ck_assert_str_eq(err.msg,
                   "`call`: position 6 is outside the list of 6 items");
  ck_assert_int_eq(
      eval_call("positions", (const ck_expr *[]){&list6, &dense}, 2, &v), 0);
  ck_assert_str_eq(dumps(v), "[0,1,2,3,4,5]");
  ck_assert_int_eq(
      eval_call("positions", (const ck_expr *[]){&list6, &moe}, 2, &v), 0);
  ck_assert_str_eq(dumps(v), "[]");
  ck_assert_int_eq(
      eval_call("positions", (const ck_expr *[]){&moe, &moe}, 2, &v), -1);
  ck_assert_str_eq(err.msg, "`call`: argument 1 of positions() must be a list");
}
END_TEST

START_TEST(safe_set_rejects_conflicts) {
  json_t *out = ck_rt_own(&rt, json_object());
  ck_assert_int_eq(ck_safe_set_key(&rt, out, "rms_norm_eps",
                                   ck_rt_own(&rt, json_real(1e-5)),
                                   CK_STAGE_EXPORT, "r1", &err),
                   0);
  ck_assert_int_eq(ck_safe_set_key(&rt, out, "rms_norm_eps",
                                   ck_rt_own(&rt, json_real(1e-5)),
                                   CK_STAGE_EXPORT, "r2", &err),
                   0);
  ck_assert_int_eq(ck_safe_set_key(&rt, out, "rms_norm_eps",
                                   ck_rt_own(&rt, json_real(1e-6)),
                                   CK_STAGE_EXPORT, "r3", &err),
                   -1);
  ck_assert_str_eq(err.stage, "export");
  ck_assert_ptr_nonnull(strstr(err.msg, "rms_norm_eps"));
}
END_TEST

START_TEST(allowlists_match_golden) {
  const char *shared = getenv("CK_SHARED") ? getenv("CK_SHARED") : "tests/data/shared";
  char path[4096];
  snprintf(path, sizeof path, "%s/golden/hf_metadata_allowlist.json", shared);
  json_error_t je;
  json_t *g = json_load_file(path, 0, &je);
  if (!g) {
    fprintf(stderr, "skip: %s not found\n", path);
    return;
  }
  const char *layouts[] = {"v4", "v5"};
  for (int l = 0; l < 2; l++) {
    json_t *want = json_object_get(g, layouts[l]);
    const ck_allowlist *a = NULL;
    for (int i = 0; i < ck_spec_tables.n_allowlists; i++)
      if (strcmp(ck_spec_tables.allowlists[i].layout, layouts[l]) == 0)
        a = &ck_spec_tables.allowlists[i];
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->n_keys, (int)json_array_size(want));
    for (int k = 0; k < a->n_keys; k++) {
      int found = 0;
      for (size_t j = 0; j < json_array_size(want); j++)
        if (strcmp(json_string_value(json_array_get(want, j)), a->keys[k]) == 0)
          found = 1;
      ck_assert_msg(found, "%s allowlist key %s not in golden", layouts[l],
                    a->keys[k]);
    }
  }
  json_decref(g);
}
END_TEST

int main(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, type_dispatch_and_defaults);
  tcase_add_test(tc, implicit_defaults_are_not_serialized);
  tcase_add_test(tc, rejections_name_the_field);
  tcase_add_test(tc, explicit_null_and_nested_serialization);
  tcase_add_test(tc, expression_semantics);
  tcase_add_test(tc, every_builtin_dispatches);
  tcase_add_test(tc, list_builtins);
  tcase_add_test(tc, safe_set_rejects_conflicts);
  tcase_add_test(tc, allowlists_match_golden);
  suite_add_tcase(s, tc);
  return ts_run_suite(s);
}
