/* test_hub.c - unit tests of runtime/io/ck_hub.c: which strings are hub
 * repo ids (huggingface_hub's validate_repo_id, cases written out by
 * hand), where the cache is for each environment (constants.py's order),
 * which folders are snapshots of a repo, and the symlink rule on a
 * cache laid out as huggingface_hub lays it out. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_hub.h"

#include "support.h"

/* A new empty folder under /tmp; malloc'd. */
static char *tmp_dir(void) {
  char *d = strdup("/tmp/ck_hub_test_XXXXXX");
  ck_assert(d && mkdtemp(d));
  return d;
}

START_TEST(test_repo_ids) {
  static const char *const good[] = {
      "meta-llama/Llama-3.1-8B", "gpt2", "Qwen/Qwen2.5-0.5B-Instruct",
      "a/b", "org_1/name.v2", "_x/y_"};
  static const char *const bad[] = {
      "", "/abs/path", "a/b/c", "a--b/c", "a/b..c", "-a/b", "a/b-",
      "a/.b", "a/b.git", "a b/c", "a/", "/b", "a//b", "org/na$me"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    ck_assert_msg(ck_hub_is_repo_id(good[i]), "'%s' is a repo id", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_msg(!ck_hub_is_repo_id(bad[i]), "'%s' is no repo id", bad[i]);
  char name[128];
  memset(name, 'a', 97);
  name[97] = '\0';
  ck_assert(!ck_hub_is_repo_id(name)); /* names are 96 characters at most */
  name[96] = '\0';
  ck_assert(ck_hub_is_repo_id(name));
  /* an existing path is always a folder, even of the id's form */
  char *d = tmp_dir();
  ck_assert_int_eq(chdir(d), 0);
  ck_assert_int_eq(mkdir("org", 0755), 0);
  ck_assert_int_eq(mkdir("org/name", 0755), 0);
  ck_assert(!ck_hub_is_repo_id("org/name"));
  ck_assert(ck_hub_is_repo_id("org/other"));
  ck_assert_int_eq(chdir("/"), 0);
  ts_rm_tree(d);
  free(d);
}
END_TEST

static void expect_cache(const char *want) {
  char *got = ck_hub_cache_dir();
  ck_assert_str_eq(got, want);
  free(got);
}

START_TEST(test_cache_dir) {
  static const char *const vars[] = {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE",
                                     "HF_HOME", "XDG_CACHE_HOME"};
  for (size_t i = 0; i < 4; i++) unsetenv(vars[i]);
  setenv("HOME", "/home/u", 1);
  expect_cache("/home/u/.cache/huggingface/hub");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  expect_cache("/xdg/huggingface/hub");
  setenv("HF_HOME", "~/hf", 1);
  expect_cache("/home/u/hf/hub");
  setenv("HUGGINGFACE_HUB_CACHE", "/legacy", 1);
  expect_cache("/legacy");
  setenv("HF_HUB_CACHE", "/new", 1);
  expect_cache("/new");
  setenv("HF_HUB_CACHE", "", 1); /* empty counts as unset */
  expect_cache("/legacy");
}
END_TEST

START_TEST(test_repo_of) {
  static const struct { const char *dir, *repo; } cases[] = {
      {"/c/hub/models--org--name/snapshots/abc", "/c/hub/models--org--name"},
      {"/models--gpt2/snapshots/0123", "/models--gpt2"},
      {"/c/hub/models--org--name/snapshots", NULL},
      {"/c/hub/models--org--name/blobs/abc", NULL},
      {"/c/hub/datasets--org--name/snapshots/abc", NULL},
      {"/c/hub/models--/snapshots/abc", NULL},
      {"/plain/folder", NULL},
      {"/", NULL}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *got = ck_hub_repo_of(cases[i].dir);
    if (cases[i].repo)
      ck_assert_msg(got && strcmp(got, cases[i].repo) == 0, "%s -> %s",
                    cases[i].dir, got ? got : "NULL");
    else
      ck_assert_msg(!got, "%s -> %s, expected none", cases[i].dir, got);
    free(got);
  }
}
END_TEST

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert(f != NULL);
  fputs(text, f);
  fclose(f);
}

/* A cache with org/m at commit H (refs/main and refs/v1), snapshot files
 * linked into blobs/ and links of every refused kind. */
#define H "0123456789abcdef0123456789abcdef01234567"
START_TEST(test_resolve_and_links) {
  char *d = tmp_dir();
  char p[PATH_MAX], q[PATH_MAX];
  ck_assert_int_eq(chdir(d), 0);
  const char *dirs[] = {"hub", "hub/models--org--m", "hub/models--org--m/blobs",
                        "hub/models--org--m/refs",
                        "hub/models--org--m/snapshots",
                        "hub/models--org--m/snapshots/" H, "elsewhere"};
  for (size_t i = 0; i < 7; i++) ck_assert_int_eq(mkdir(dirs[i], 0755), 0);
  put("hub/models--org--m/refs/main", H "\n");
  put("hub/models--org--m/refs/v1", H);
  put("hub/models--org--m/blobs/b1", "{}");
  put("elsewhere/x", "x");
  const char *s = "hub/models--org--m/snapshots/" H;
  snprintf(p, sizeof p, "%s/ok", s);
  ck_assert_int_eq(symlink("../../blobs/b1", p), 0);
  snprintf(p, sizeof p, "%s/out", s);
  snprintf(q, sizeof q, "%s/elsewhere/x", d);
  ck_assert_int_eq(symlink(q, p), 0);
  snprintf(p, sizeof p, "%s/gone", s);
  ck_assert_int_eq(symlink("../../blobs/none", p), 0);
  snprintf(p, sizeof p, "%s/loop", s);
  ck_assert_int_eq(symlink("loop", p), 0);
  snprintf(p, sizeof p, "%s/dir", s);
  ck_assert_int_eq(symlink("../../blobs", p), 0);
  setenv("HF_HUB_CACHE", "hub", 1);

  ck_error err = {0};
  char *dir = NULL, *commit = NULL;
  const char *revs[] = {NULL, "main", "v1", H};
  for (size_t i = 0; i < 4; i++) {
    ck_assert_msg(ck_hub_resolve("org/m", revs[i], &dir, &commit, &err) == 0,
                  "%s", err.msg);
    ck_assert_str_eq(dir, "hub/models--org--m/snapshots/" H);
    ck_assert_str_eq(commit, H);
    free(dir);
    free(commit);
  }
  ck_assert_int_eq(ck_hub_resolve("org/none", NULL, &dir, &commit, &err), -1);
  ck_assert_str_eq(err.stage, "checkpoint");
  ck_assert_str_eq(err.msg, "org/none is not in the Hugging Face cache: "
                   "looked for hub/models--org--none; download it first "
                   "(e.g. `hf download org/none`) or give a folder");
  ck_assert_int_eq(ck_hub_resolve("org/m", "v2", &dir, &commit, &err), -1);
  ck_assert_msg(strstr(err.msg, "has no revision 'v2'") &&
                    (strstr(err.msg, "refs has main, v1") ||
                     strstr(err.msg, "refs has v1, main")),
                "%s", err.msg);
  ck_assert_int_eq(ck_hub_resolve("org/m", "ffffffffffffffffffffffffffffff"
                                  "ffffffffff", &dir, &commit, &err), -1);
  ck_assert_msg(strstr(err.msg, "snapshot") && strstr(err.msg, "missing"),
                "%s", err.msg);

  char real[PATH_MAX];
  ck_assert(realpath(s, real) != NULL);
  char *repo = ck_hub_repo_of(real);
  ck_assert(repo != NULL);
  static const struct { const char *name, *frag; } links[] = {
      {"ok", NULL}, {"absent", NULL}, {"out", ", outside the cache repo "},
      {"gone", "dangling symbolic link to ../../blobs/none"},
      {"loop", "symbolic link loop"}, {"dir", ", which is a directory"}};
  for (size_t i = 0; i < 6; i++) {
    snprintf(p, sizeof p, "%s/%s", s, links[i].name);
    int rc = ck_hub_check_link(p, s, real, repo, &err);
    if (!links[i].frag) {
      ck_assert_msg(rc == 0, "%s: %s", links[i].name, err.msg);
      continue;
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(err.stage, "checkpoint");
    ck_assert_str_eq(err.file, p);
    ck_assert_msg(strncmp(err.msg, p, strlen(p)) == 0 &&
                      strstr(err.msg, links[i].frag) &&
                      strstr(err.msg, "; refusing"),
                  "%s", err.msg);
  }
  /* the same blob link seen from a plain folder (no repo) points outside */
  snprintf(p, sizeof p, "%s/ok", s);
  ck_assert_int_eq(ck_hub_check_link(p, s, real, NULL, &err), -1);
  ck_assert_msg(strstr(err.msg, "/blobs/b1, outside " ) != NULL, "%s",
                err.msg);
  free(repo);
  unsetenv("HF_HUB_CACHE");
  ck_assert_int_eq(chdir("/"), 0);
  ts_rm_tree(d);
  free(d);
}
END_TEST

static Suite *hub_suite(void) {
  Suite *s = suite_create("hub");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_repo_ids);
  tcase_add_test(tc, test_cache_dir);
  tcase_add_test(tc, test_repo_of);
  tcase_add_test(tc, test_resolve_and_links);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return ts_run_suite(hub_suite());
}
