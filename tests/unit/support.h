/* support.h - what the Check unit tests share.
 *
 * Passing assertions made silent (Check reports each one to the parent
 * process, which makes loops over 10^5 elements slow; failures are
 * reported as before), RUNNING_ON_VALGRIND where valgrind's header is
 * missing, and the helpers of the oracle-driven tests: whole-file reads,
 * temporary trees, running tests/unit/py_oracle.py, the golden folder.
 * Everything is static inline, so a test uses what it needs.
 */
#ifndef CK_TEST_SUPPORT_H
#define CK_TEST_SUPPORT_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#undef ck_assert_msg
#define ck_assert_msg(expr, ...)                                              \
  ((expr) ? (void)0                                                           \
          : _ck_assert_failed(__FILE__, __LINE__, "Assertion '" #expr         \
                              "' failed", ##__VA_ARGS__))

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define PYTHON "/usr/bin/python3"
#define PY_ORACLE "tests/unit/py_oracle.py"


static inline char *ts_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (cap - n - 1 == 0) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

static inline int ts_rm_entry(const char *path, const struct stat *sb,
                              int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static inline void ts_rm_tree(const char *dir) {
  nftw(dir, ts_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run the oracle script with the given arguments; returns exit status. */
static inline int ts_run_oracle(const char *mode, const char *a,
                                const char *b) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execl(PYTHON, PYTHON, PY_ORACLE, mode, a, b, (char *)NULL);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline void ts_golden_dir(char *buf, size_t n) {
  const char *shared = getenv("CK_SHARED");
  snprintf(buf, n, "%s/golden", shared && *shared ? shared : "tests/data/shared");
}

static inline int ts_is_dir(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Run a suite with Check's normal output; the process exit status. */
static inline int ts_run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
