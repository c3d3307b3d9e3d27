/* test_json_out.c - unit tests for ck_json_out (Python json.dumps clone).
 *
 * Hand-written tables pin the float repr and string escaping; oracle
 * tests compare against /usr/bin/python3 (tests/unit/py_oracle.py) on
 * every golden JSON file and on thousands of doubles.  Run from the repo
 * root; golden files are under $CK_SHARED/golden (default ../shared).
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ck_json_out.h"

#include "support.h"


static char *dump(const char *json_text, int indent, int sort) {
  json_error_t je;
  json_t *v = json_loads(json_text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
  ck_assert_msg(v != NULL, "bad test JSON %s: %s", json_text, je.text);
  char *s = ck_json_dumps_py(v, indent, sort);
  json_decref(v);
  ck_assert_ptr_nonnull(s);
  return s;
}

/* ------------------------------------------------------------ floats */

static const struct {
  double d;
  const char *repr;
} doubles[] = {
    {0.1, "0.1"},
    {0.5, "0.5"},
    {1.0, "1.0"},
    {-1.0, "-1.0"},
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {1e-05, "1e-05"},
    {1e-5 * 3, "3.0000000000000004e-05"},
    {3e-05, "3e-05"},
    {0.02209708691207961, "0.02209708691207961"}, /* 2**-5.5 */
    {1e16, "1e+16"},
    {1e15, "1000000000000000.0"},
    {1234567890123456.0, "1234567890123456.0"},
    {123456789.123, "123456789.123"},
    {5e-324, "5e-324"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {10000.0, "10000.0"},
    {0.0001, "0.0001"},
    {0.00001234, "1.234e-05"},
    {1.234e-09, "1.234e-09"},
    {1.5e-07, "1.5e-07"},
    {1e22, "1e+22"},
    {1e23, "1e+23"},
    {9007199254740993.0, "9007199254740992.0"},
    {0.1 + 0.2, "0.30000000000000004"},
    {1.0 / 3.0, "0.3333333333333333"},
    {2.0 / 3.0, "0.6666666666666666"},
    {100.0, "100.0"},
    {1e100, "1e+100"},
    {-1.5e-300, "-1.5e-300"},
    {6.103515625e-05, "6.103515625e-05"},
    {0.000123, "0.000123"},
    {123e18, "1.23e+20"},
};

START_TEST(test_format_double_table) {
  char buf[CK_JSON_DOUBLE_BUFSZ];
  for (size_t i = 0; i < sizeof doubles / sizeof *doubles; i++) {
    int n = ck_json_format_double(doubles[i].d, buf, sizeof buf);
    ck_assert_int_eq(n, (int)strlen(doubles[i].repr));
    ck_assert_str_eq(buf, doubles[i].repr);
  }
}
END_TEST

START_TEST(test_format_double_special) {
  char buf[CK_JSON_DOUBLE_BUFSZ];
  ck_json_format_double(INFINITY, buf, sizeof buf);
  ck_assert_str_eq(buf, "Infinity");
  ck_json_format_double(-INFINITY, buf, sizeof buf);
  ck_assert_str_eq(buf, "-Infinity");
  ck_json_format_double(NAN, buf, sizeof buf);
  ck_assert_str_eq(buf, "NaN");
  /* Too small a buffer is refused, not truncated. */
  ck_assert_int_eq(ck_json_format_double(0.1, buf, 3), -1);
  ck_assert_int_eq(ck_json_format_double(0.1, buf, 4), 3);
  ck_assert_str_eq(buf, "0.1");
}
END_TEST

/* Powers of two (asymmetric rounding intervals) and random bit patterns,
 * against Python's own repr. */
START_TEST(test_format_double_oracle) {
  char dir[] = "/tmp/ck_json_doubles_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(ts_run_oracle("doubles", dir, NULL), 0);
  char path[512];
  snprintf(path, sizeof path, "%s/manifest.tsv", dir);
  char *text = ts_read_file(path, NULL);
  ck_assert_ptr_nonnull(text);
  int count = 0, bad = 0;
  char buf[CK_JSON_DOUBLE_BUFSZ];
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *tab = strchr(line, '\t');
    ck_assert_ptr_nonnull(tab);
    uint64_t bits = strtoull(line, NULL, 16);
    double d;
    memcpy(&d, &bits, sizeof d);
    ck_json_format_double(d, buf, sizeof buf);
    if (strcmp(buf, tab + 1) != 0 && bad++ < 5)
      fprintf(stderr, "double %016llx: got %s, python %s\n",
              (unsigned long long)bits, buf, tab + 1);
    count++;
  }
  free(text);
  ts_rm_tree(dir);
  ck_assert_int_gt(count, 5000);
  ck_assert_int_eq(bad, 0);
}
END_TEST

/* ------------------------------------------------------------ dumps */

START_TEST(test_scalars_and_layout) {
  static const struct {
    const char *in;
    int indent, sort;
    const char *out;
  } cases[] = {
      {"null", 2, 1, "null"},
      {"true", 2, 1, "true"},
      {"-12", 2, 1, "-12"},
      {"9223372036854775807", -1, 0, "9223372036854775807"},
      {"1e-5", -1, 0, "1e-05"},
      {"{}", 2, 1, "{}"},
      {"[]", 2, 1, "[]"},
      {"[1, 2.5, \"x\", null]", -1, 0, "[1, 2.5, \"x\", null]"},
      {"{\"b\": 1, \"a\": [1, {}]}", -1, 0, "{\"b\": 1, \"a\": [1, {}]}"},
      {"{\"b\": 1, \"a\": [1, {}]}", -1, 1, "{\"a\": [1, {}], \"b\": 1}"},
      {"{\"b\": 1, \"a\": [1, {}]}", 2, 1,
       "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": 1\n}"},
      {"{\"b\": 1, \"a\": [1, {}]}", 4, 0,
       "{\n    \"b\": 1,\n    \"a\": [\n        1,\n        {}\n    ]\n}"},
      {"{\"b\": [[]], \"a\": {\"c\": {}}}", 0, 0,
       "{\n\"b\": [\n[]\n],\n\"a\": {\n\"c\": {}\n}\n}"},
      /* Code point order: "B" < "a" < "b" < "\u00e9" < "\U0001F600". */
      {"{\"\\ud83d\\ude00\": 1, \"\\u00e9\": 2, \"b\": 3, \"a\": 4, "
       "\"B\": 5}",
       -1, 1,
       "{\"B\": 5, \"a\": 4, \"b\": 3, \"\\u00e9\": 2, "
       "\"\\ud83d\\ude00\": 1}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *s = dump(cases[i].in, cases[i].indent, cases[i].sort);
    ck_assert_msg(strcmp(s, cases[i].out) == 0, "case %zu: got <%s>", i, s);
    free(s);
  }
}
END_TEST

START_TEST(test_string_escapes) {
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"\"plain\"", "\"plain\""},
      {"\"q\\\"b\\\\s/\"", "\"q\\\"b\\\\s/\""},
      {"\"\\n\\r\\t\\b\\f\"", "\"\\n\\r\\t\\b\\f\""},
      {"\"\\u0000\\u0001\\u001f \\u007f\"",
       "\"\\u0000\\u0001\\u001f \\u007f\""},
      {"\"caf\\u00e9 \\u4e2d \\uffff\"", "\"caf\\u00e9 \\u4e2d \\uffff\""},
      {"\"\\ud83d\\ude00 \\udbff\\udfff\"",
       "\"\\ud83d\\ude00 \\udbff\\udfff\""},
      {"\"\\u2028\\u0085\"", "\"\\u2028\\u0085\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *s = dump(cases[i].in, -1, 0);
    ck_assert_msg(strcmp(s, cases[i].out) == 0, "case %zu: got <%s>", i, s);
    free(s);
  }
  /* Raw UTF-8 input, including a NUL inside the string. */
  json_t *v = json_stringn("\xc3\xa9\0x", 4);
  char *s = ck_json_dumps_py(v, -1, 0);
  ck_assert_str_eq(s, "\"\\u00e9\\u0000x\"");
  free(s);
  json_decref(v);
}
END_TEST

START_TEST(test_write_py) {
  ck_error err = {0};
  json_t *v = json_pack("{s:i, s:[f]}", "z", 1, "a", 0.25);
  char *mem = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&mem, &len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(ck_json_write_py(f, v, 2, 1, &err), 0);
  fclose(f);
  ck_assert_str_eq(mem, "{\n  \"a\": [\n    0.25\n  ],\n  \"z\": 1\n}");
  free(mem);
  /* A failing stream reports a json-stage error. */
  f = fopen("/dev/full", "w");
  if (f) {
    setvbuf(f, NULL, _IONBF, 0);
    ck_assert_int_eq(ck_json_write_py(f, v, 2, 1, &err), -1);
    ck_assert_str_eq(err.stage, "json");
    fclose(f);
  }
  json_decref(v);
}
END_TEST

/* Every golden JSON file, dumped with indent=2 sort_keys=True and with
 * indent=4 unsorted, must equal Python's json.dumps output. */
START_TEST(test_golden_oracle) {
  char golden[1024];
  ts_golden_dir(golden, sizeof golden);
  if (!ts_is_dir(golden)) {
    fprintf(stderr, "test_golden_oracle: %s missing, skipped\n", golden);
    return;
  }
  char dir[] = "/tmp/ck_json_oracle_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(ts_run_oracle("json", golden, dir), 0);
  char path[2048];
  snprintf(path, sizeof path, "%s/manifest.tsv", dir);
  char *manifest = ts_read_file(path, NULL);
  ck_assert_ptr_nonnull(manifest);
  int files = 0, compared = 0, skipped = 0, bad = 0;
  char *save = NULL;
  for (char *line = strtok_r(manifest, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *src = strchr(line, '\t');
    ck_assert_ptr_nonnull(src);
    *src++ = '\0';
    files++;
    json_error_t je;
    json_t *v = json_load_file(src, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v) {
      /* e.g. integers beyond 64 bits, which jansson cannot hold */
      fprintf(stderr, "test_golden_oracle: jansson cannot load %s (%s), "
              "skipped\n", src, je.text);
      skipped++;
      continue;
    }
    static const char *const kinds[] = {"s2", "u4"};
    for (int k = 0; k < 2; k++) {
      snprintf(path, sizeof path, "%s/%s.%s", dir, line, kinds[k]);
      char *want = ts_read_file(path, NULL);
      ck_assert_ptr_nonnull(want);
      char *got = k == 0 ? ck_json_dumps_py(v, 2, 1)
                         : ck_json_dumps_py(v, 4, 0);
      ck_assert_ptr_nonnull(got);
      if (strcmp(got, want) != 0 && bad++ < 5)
        fprintf(stderr, "test_golden_oracle: %s (%s) differs from Python\n",
                src, kinds[k]);
      compared++;
      free(got);
      free(want);
    }
    json_decref(v);
  }
  free(manifest);
  ts_rm_tree(dir);
  fprintf(stderr, "test_golden_oracle: %d files, %d dumps compared, "
          "%d skipped\n", files, compared, skipped);
  ck_assert_int_gt(files, 0);
  ck_assert_int_le(skipped, files / 10);
  ck_assert_int_eq(bad, 0);
}
END_TEST

static Suite *json_out_suite(void) {
  Suite *s = suite_create("ck_json_out");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_format_double_table);
  tcase_add_test(tc, test_format_double_special);
  tcase_add_test(tc, test_format_double_oracle);
  tcase_add_test(tc, test_scalars_and_layout);
  tcase_add_test(tc, test_string_escapes);
  tcase_add_test(tc, test_write_py);
  tcase_add_test(tc, test_golden_oracle);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return ts_run_suite(json_out_suite());
}
