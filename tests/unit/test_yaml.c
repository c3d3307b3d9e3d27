/* test_yaml.c - unit tests for ck_yaml (PyYAML safe_load / safe_dump).
 *
 * Load tables pin each SafeLoader resolution rule and the located error
 * messages; the dump oracle compares ck_yaml_dump with yaml.safe_dump
 * (via tests/unit/py_oracle.py and /usr/bin/python3) on every dict of the
 * golden files plus hand cases, and checks load(dump(x)) == x.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ck_json_out.h"
#include "ck_yaml.h"

#include "support.h"


/* ------------------------------------------------------------ loading */

/* Expected values are json.dumps(yaml.safe_load(text)) as printed by
 * Python (checked when the table was written). */
static const struct {
  const char *yaml, *json;
} load_cases[] = {
    /* bool: exactly 18 spellings; other casings and y/n are strings */
    {"a: [yes, Yes, YES, no, No, NO, true, True, TRUE, false, False, FALSE, "
     "on, On, ON, off, Off, OFF, yES, tRUE, y, n]",
     "{\"a\": [true, true, true, false, false, false, true, true, true, "
     "false, false, false, true, true, true, false, false, false, \"yES\", "
     "\"tRUE\", \"y\", \"n\"]}"},
    /* null */
    {"a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: nULL\ng: ''\n",
     "{\"a\": null, \"b\": null, \"c\": null, \"d\": null, \"e\": null, "
     "\"f\": \"nULL\", \"g\": \"\"}"},
    /* int: decimal, _, hex, binary, leading-0 octal, base 60; no 0o */
    {"[0, -0, +12, 1_000, 0x1F, -0x1f, 0b101, -0b1_1, 0777, 0o17, 08, 1:30, "
     "-1:30, 190:20:30, 9223372036854775807, -9223372036854775808, 0_, 00, "
     "012_3, 0x_1, 1_2:0_5, 1__]",
     "[0, 0, 12, 1000, 31, -31, 5, -3, 511, \"0o17\", \"08\", 90, -90, "
     "685230, 9223372036854775807, -9223372036854775808, 0, 0, 83, 1, "
     "\"1_2:0_5\", 1]"},
    /* float: needs a '.', exponent needs a sign */
    {"[1.0, 1e-05, 1.0e-05, 1.0e+5, 1.0E-5, .5, -.5, +1.5, 1., 1_0.5, "
     "1:30.5, -190:20:30.15, 0., 6.02e+23, 3.0e5, 1.0e-5, 1.5e-07, .5e+3, "
     "-0.0, 1.7976931348623157e+308, 2.0e-324, 0.1_]",
     "[1.0, \"1e-05\", 1e-05, 100000.0, 1e-05, 0.5, \"-.5\", 1.5, 1.0, "
     "10.5, 90.5, -685230.15, 0.0, 6.02e+23, \"3.0e5\", 1e-05, 1.5e-07, "
     "500.0, -0.0, 1.7976931348623157e+308, 0.0, 0.1]"},
    /* quoted scalars are strings */
    {"['true', \"1.0\", 'null', \"123\", '', \"~\", 'yes', \"0x1F\"]",
     "[\"true\", \"1.0\", \"null\", \"123\", \"\", \"~\", \"yes\", "
     "\"0x1F\"]"},
    /* tags: "!" resolves even quoted; !!std tags construct */
    {"[! 12, ! '12', !!str 12, !!float '1e5', !!int '0x10', !!bool 'yes', "
     "!!null 'x', !!float 3, !!str true]",
     "[12, 12, \"12\", 100000.0, 16, true, null, 3.0, \"true\"]"},
    {"a: !!float 1_000\nb: !!int 1_000\n", "{\"a\": 1000.0, \"b\": 1000}"},
    {"!!map {a: !!seq [1, 2]}", "{\"a\": [1, 2]}"},
    /* non-string keys become their json.dumps spelling */
    {"1: a\n2.50: b\nno: c\n~: d\n0x10: e\n1.0e+20: f\n",
     "{\"1\": \"a\", \"2.5\": \"b\", \"false\": \"c\", \"null\": \"d\", "
     "\"16\": \"e\", \"1e+20\": \"f\"}"},
    {"=: 1\n", "{\"=\": 1}"},
    {".inf: a\n-.Inf: b\n.NaN: c\n",
     "{\"Infinity\": \"a\", \"-Infinity\": \"b\", \"NaN\": \"c\"}"},
    /* duplicate keys: last value wins, first position kept */
    {"a: 1\nb: 2\na: 3\n", "{\"a\": 3, \"b\": 2}"},
    /* documents */
    {"", "null"},
    {"# only a comment\n", "null"},
    {"---\n", "null"},
    {"--- 5\n", "5"},
    {"---\na: 1\n...\n", "{\"a\": 1}"},
    {"plain text\n", "\"plain text\""},
    {"'quoted'", "\"quoted\""},
    /* structure */
    {"a:\n- 1\n- b: [x, {y: z}]\n  c:\n  - - 2\n    - 3\n",
     "{\"a\": [1, {\"b\": [\"x\", {\"y\": \"z\"}], \"c\": [[2, 3]]}]}"},
    {"{a: 1, b: [], c: {}}", "{\"a\": 1, \"b\": [], \"c\": {}}"},
    {"? a\n: 1\n? b\n", "{\"a\": 1, \"b\": null}"},
    /* scalar styles */
    {"a: |\n  line1\n  line2\nb: >\n  folded\n  text\n\n  para\nc: foo\n"
     "  bar\nd: \"x\\\n  y\"\n",
     "{\"a\": \"line1\\nline2\\n\", \"b\": \"folded text\\npara\\n\", "
     "\"c\": \"foo bar\", \"d\": \"xy\"}"},
    {"a: caf\xc3\xa9\nb: \"\\u00e9\\x41\\N\\_\"\nc: 'it''s'\n",
     "{\"a\": \"caf\\u00e9\", \"b\": \"\\u00e9A\\u0085\\u00a0\", "
     "\"c\": \"it's\"}"},
    {"key with spaces: value with spaces\nurl: http://x.y/z#frag\n"
     "win: C:\\path\n",
     "{\"key with spaces\": \"value with spaces\", \"url\": "
     "\"http://x.y/z#frag\", \"win\": \"C:\\\\path\"}"},
    {"a: 2001-12-14x\nb: 2001-1-1\nc: '2001-12-14'\n",
     "{\"a\": \"2001-12-14x\", \"b\": \"2001-1-1\", \"c\": \"2001-12-14\"}"},
};

START_TEST(test_load_resolution) {
  for (size_t i = 0; i < sizeof load_cases / sizeof *load_cases; i++) {
    ck_error err = {0};
    const char *y = load_cases[i].yaml;
    json_t *v = ck_yaml_load(y, strlen(y), "t.yaml", &err);
    ck_assert_msg(v != NULL, "case %zu: %s", i, err.msg);
    char *s = ck_json_dumps_py(v, -1, 0);
    ck_assert_msg(strcmp(s, load_cases[i].json) == 0,
                  "case %zu:\n got  %s\n want %s", i, s, load_cases[i].json);
    free(s);
    json_decref(v);
  }
}
END_TEST

/* Types, not just spellings: 1.0 is a real, 1 an integer. */
START_TEST(test_load_types) {
  ck_error err = {0};
  const char *y = "i: 1\nf: 1.0\ns: '1'\n";
  json_t *v = ck_yaml_load(y, strlen(y), "t.yaml", &err);
  ck_assert_ptr_nonnull(v);
  ck_assert(json_is_integer(json_object_get(v, "i")));
  ck_assert(json_is_real(json_object_get(v, "f")));
  ck_assert(json_is_string(json_object_get(v, "s")));
  json_decref(v);
  /* len bounds the input: no NUL terminator needed. */
  v = ck_yaml_load("a: 1XYZ", 4, "t.yaml", &err);
  ck_assert_ptr_nonnull(v);
  ck_assert_int_eq(json_integer_value(json_object_get(v, "a")), 1);
  json_decref(v);
}
END_TEST

static const struct {
  const char *yaml, *msg;
} error_cases[] = {
    {"a: &x 1\nb: *x\n", "t.yaml:1:4: anchors (&x) are not supported"},
    {"a: 1\nb: *x\n", "t.yaml:2:4: aliases (*x) are not supported"},
    {"a: &anc [1]\n", "t.yaml:1:4: anchors (&anc)"},
    {"a: 1\n---\nb: 2\n", "t.yaml:2:1: expected a single document"},
    {"a:\n  b: 1\n c: 2\n", "t.yaml:3:2: did not find expected key"},
    {"a:\n\tb: 1\n", "t.yaml:2:1: found character that cannot start"},
    {"a: 'unclosed\n", "t.yaml:2:1: found unexpected end of stream"},
    {"a: [1, 2\n", "t.yaml:2:1: did not find expected ',' or ']'"},
    {"a: b: c\n", "t.yaml:1:5: mapping values are not allowed"},
    {"? [a]\n: 1\n", "t.yaml:1:3: a sequence cannot be a mapping key"},
    {"? {a: 1}\n: 1\n", "t.yaml:1:3: a mapping cannot be a mapping key"},
    {"a: !foo x\n", "t.yaml:1:4: unsupported tag '!foo'"},
    {"a: !!binary aGk=\n", "unsupported tag 'tag:yaml.org,2002:binary'"},
    {"a: !!set {x}\n", "unsupported tag 'tag:yaml.org,2002:set' on a mapping"},
    {"x: .inf\n", "t.yaml:1:4: float '.inf' is not finite"},
    {"x: -.Inf\n", "float '-.Inf' is not finite"},
    {"x: .nan\n", "float '.nan' is not finite"},
    {"x: !!float 1e400\n", "float '1e400' is not finite"},
    {"x: 99999999999999999999\n", "t.yaml:1:4: integer '99999999999999999999'"
                                  " does not fit in 64 bits"},
    {"x: -9223372036854775809\n", "does not fit in 64 bits"},
    {"x: 2001-12-14\n", "t.yaml:1:4: '2001-12-14' is a YAML timestamp"},
    {"x: 2001-12-14 21:59:43.10 -5\n", "is a YAML timestamp"},
    {"x: =\n", "t.yaml:1:4: '=' resolves to the YAML value tag"},
    {"x: <<\n", "t.yaml:1:4: '<<' resolves to the YAML merge tag"},
    {"<<: {a: 1}\n", "t.yaml:1:1: merge keys (<<) are not supported"},
    {"x: 0x_\n", "t.yaml:1:4: expected an integer, found '0x_'"},
    {"x: !!int abc\n", "expected an integer, found 'abc'"},
    {"x: !!bool maybe\n", "expected a boolean"},
    {"x: !!float abc\n", "expected a float, found 'abc'"},
    {"a: \x01\n", "t.yaml:1:4: control characters are not allowed"},
    {"a: \"\\ud800\"\n", "t.yaml:1:7: found invalid Unicode character escape"},
    {"a: \xff\n", "t.yaml:1:4: invalid leading UTF-8 octet"},
    /* found by tests/fuzz/fuzz_yaml: keys and strings are C strings */
    {"\"a\\0b\": 1\n", "t.yaml:1:1: a NUL character (\\0) in a mapping key"},
    {"a: \"silu\\0x\"\n", "t.yaml:1:4: a NUL character (\\0) in a scalar"},
};

START_TEST(test_load_errors) {
  for (size_t i = 0; i < sizeof error_cases / sizeof *error_cases; i++) {
    ck_error err = {0};
    const char *y = error_cases[i].yaml;
    json_t *v = ck_yaml_load(y, strlen(y), "t.yaml", &err);
    ck_assert_msg(v == NULL, "case %zu loaded", i);
    ck_assert_str_eq(err.stage, "yaml");
    ck_assert_msg(strstr(err.msg, error_cases[i].msg) != NULL,
                  "case %zu: message <%s> lacks <%s>", i, err.msg,
                  error_cases[i].msg);
  }
}
END_TEST

/* Nesting: 64 levels load, 65 are refused at the offending line. */
START_TEST(test_load_depth) {
  char buf[8192];
  ck_error err = {0};
  size_t k = 0;
  for (int i = 0; i < CK_YAML_MAX_DEPTH; i++) buf[k++] = '[';
  for (int i = 0; i < CK_YAML_MAX_DEPTH; i++) buf[k++] = ']';
  json_t *v = ck_yaml_load(buf, k, "deep.yaml", &err);
  ck_assert_ptr_nonnull(v);
  json_decref(v);
  k = 0;
  for (int i = 0; i <= CK_YAML_MAX_DEPTH; i++) buf[k++] = '[';
  for (int i = 0; i <= CK_YAML_MAX_DEPTH; i++) buf[k++] = ']';
  v = ck_yaml_load(buf, k, "deep.yaml", &err);
  ck_assert_ptr_null(v);
  ck_assert_str_eq(err.msg, "deep.yaml:1:65: nesting deeper than 64 levels");
  /* Block style: key k<i> sits on line i+2 in mapping number i+2, so the
   * 65th mapping opens at k63, on line 65. */
  k = (size_t)snprintf(buf, sizeof buf, "top:\n");
  for (int i = 0; i < 70; i++) {
    for (int j = 0; j <= i; j++) k += (size_t)snprintf(buf + k, 3, "  ");
    k += (size_t)snprintf(buf + k, sizeof buf - k, "k%d:\n", i);
  }
  v = ck_yaml_load(buf, k, "deep.yaml", &err);
  ck_assert_ptr_null(v);
  ck_assert_msg(strstr(err.msg, "deep.yaml:65:") == err.msg, "%s", err.msg);
  /* Hostile nesting far beyond the limit fails cleanly too. */
  size_t big = 200000;
  char *huge = malloc(big);
  memset(huge, '[', big);
  v = ck_yaml_load(huge, big, NULL, &err);
  free(huge);
  ck_assert_ptr_null(v);
  ck_assert_msg(strstr(err.msg, "<string>:1:65: nesting deeper") == err.msg,
                "%s", err.msg);
}
END_TEST

/* ------------------------------------------------------------ dumping */

static char *dump_json(const char *json_text) {
  json_error_t je;
  json_t *v = json_loads(json_text, JSON_DECODE_ANY, &je);
  ck_assert_msg(v != NULL, "bad test JSON: %s", je.text);
  ck_error err = {0};
  char *s = ck_yaml_dump(v, &err);
  ck_assert_msg(s != NULL, "%s", err.msg);
  json_decref(v);
  return s;
}

/* A few outputs spelled out, so the rules are readable here; the oracle
 * test below covers the rest against PyYAML itself. */
START_TEST(test_dump_hand) {
  static const struct {
    const char *json, *yaml;
  } cases[] = {
      {"\"abc\"", "abc\n...\n"},
      {"1", "1\n...\n"},
      {"null", "null\n...\n"},
      {"\"\"", "''\n"},
      {"\"true\"", "'true'\n"},
      {"{}", "{}\n"},
      {"[]", "[]\n"},
      {"{\"b\": [\"x\", {\"c\": 1, \"a\": []}], \"a\": {}}",
       "a: {}\nb:\n- x\n- a: []\n  c: 1\n"},
      {"[[1, 2], [3, []]]", "- - 1\n  - 2\n- - 3\n  - []\n"},
      {"{\"a\": {\"b\": {\"c\": null}}}", "a:\n  b:\n    c: null\n"},
      {"{\"f\": [1e-05, 10000.0, 0.1, 1e16, 1e300, -0.0, 1.5e-07]}",
       "f:\n- 1.0e-05\n- 10000.0\n- 0.1\n- 1.0e+16\n- 1.0e+300\n- -0.0\n"
       "- 1.5e-07\n"},
      {"{\"s\": [\"1.0\", \"null\", \"123\", \"\", \"1e-05\", \"a: b\", "
       "\"a#b\", \"a #b\", \" x\", \"it's\", \"caf\\u00e9\", \"x\\ny\"]}",
       "s:\n- '1.0'\n- 'null'\n- '123'\n- ''\n- 1e-05\n- 'a: b'\n- a#b\n"
       "- 'a #b'\n- ' x'\n- it's\n- \"caf\\xE9\"\n- 'x\n\n  y'\n"},
      {"{\"\": 1}", "? ''\n: 1\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *s = dump_json(cases[i].json);
    ck_assert_msg(strcmp(s, cases[i].yaml) == 0, "case %zu:\n got <%s>", i,
                  s);
    free(s);
  }
}
END_TEST

/* Every dict-valued entry of every golden file, plus the hand cases of
 * py_oracle.py, against yaml.safe_dump; then load(dump(x)) == x. */
START_TEST(test_dump_oracle) {
  char golden[1024];
  ts_golden_dir(golden, sizeof golden);
  int have_golden = ts_is_dir(golden);
  if (!have_golden)
    fprintf(stderr, "test_dump_oracle: %s missing, golden part skipped\n",
            golden);
  char dir[] = "/tmp/ck_yaml_oracle_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(ts_run_oracle("yaml", golden, dir), 0);
  char path[2048];
  snprintf(path, sizeof path, "%s/manifest.tsv", dir);
  char *manifest = ts_read_file(path, NULL);
  ck_assert_ptr_nonnull(manifest);
  int values = 0, compared = 0, skipped = 0, bad = 0, golden_values = 0;
  char *save = NULL;
  for (char *line = strtok_r(manifest, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *origin = strchr(line, '\t');
    ck_assert_ptr_nonnull(origin);
    *origin++ = '\0';
    values++;
    if (strncmp(origin, "hand case", 9) != 0) golden_values++;
    snprintf(path, sizeof path, "%s/%s.json", dir, line);
    json_error_t je;
    json_t *v = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v) {
      fprintf(stderr, "test_dump_oracle: jansson cannot load %s (%s), "
              "skipped\n", origin, je.text);
      skipped++;
      continue;
    }
    snprintf(path, sizeof path, "%s/%s.yaml", dir, line);
    size_t want_len;
    char *want = ts_read_file(path, &want_len);
    ck_assert_ptr_nonnull(want);
    ck_error err = {0};
    char *got = ck_yaml_dump(v, &err);
    ck_assert_msg(got != NULL, "%s: %s", origin, err.msg);
    if (strcmp(got, want) != 0) {
      if (bad++ < 5)
        fprintf(stderr, "test_dump_oracle: %s differs from PyYAML\n--- "
                "python\n%s--- ck_yaml_dump\n%s", origin, want, got);
    } else {
      json_t *back = ck_yaml_load(got, strlen(got), origin, &err);
      /* the loader refuses NUL characters by design (ck_yaml.h) */
      int nul = !back && strstr(err.msg, "a NUL character") != NULL;
      if (!nul && (!back || !json_equal(back, v))) {
        if (bad++ < 5)
          fprintf(stderr, "test_dump_oracle: %s does not round-trip: %s\n",
                  origin, back ? "values differ" : err.msg);
      }
      json_decref(back);
    }
    compared++;
    free(got);
    free(want);
    json_decref(v);
  }
  free(manifest);
  ts_rm_tree(dir);
  fprintf(stderr, "test_dump_oracle: %d values (%d from golden files), %d "
          "compared, %d skipped\n", values, golden_values, compared, skipped);
  if (have_golden) ck_assert_int_gt(golden_values, 100);
  ck_assert_int_le(skipped, 2);
  ck_assert_int_eq(bad, 0);
}
END_TEST

static Suite *yaml_suite(void) {
  Suite *s = suite_create("ck_yaml");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_load_resolution);
  tcase_add_test(tc, test_load_types);
  tcase_add_test(tc, test_load_errors);
  tcase_add_test(tc, test_load_depth);
  tcase_add_test(tc, test_dump_hand);
  tcase_add_test(tc, test_dump_oracle);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return ts_run_suite(yaml_suite());
}
