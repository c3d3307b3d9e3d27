/* test_sha256.c - unit tests of common/ck_sha256.c, the wrapper
 * on libmd's SHA-256.
 *
 * The FIPS 180-4 example vectors, every split of one message into two
 * updates (the block-boundary paths), and ck_sha256_file against the
 * sha256sum of coreutils as an independent reader. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_sha256.h"
#include "support.h"

static void digest(const char *msg, size_t n, char hex[65]) {
  ck_sha256 s;
  ck_sha256_init(&s);
  ck_sha256_update(&s, msg, n);
  ck_sha256_hex(&s, hex);
}

START_TEST(test_fips_vectors) {
  char hex[65];
  digest("", 0, hex);
  ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  digest("abc", 3, hex);
  ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  digest(m448, strlen(m448), hex);
  ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  ck_sha256 s;
  ck_sha256_init(&s);
  char a[1000];
  memset(a, 'a', sizeof a);
  for (int i = 0; i < 1000; i++) ck_sha256_update(&s, a, sizeof a);
  ck_sha256_hex(&s, hex);
  ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(test_split_updates) {
  char msg[200], whole[65], parts[65];
  for (size_t i = 0; i < sizeof msg; i++) msg[i] = (char)(i * 7 + 3);
  for (size_t n = 0; n <= sizeof msg; n += 13) {
    digest(msg, n, whole);
    for (size_t cut = 0; cut <= n; cut++) {
      ck_sha256 s;
      ck_sha256_init(&s);
      ck_sha256_update(&s, msg, cut);
      ck_sha256_update(&s, msg + cut, n - cut);
      ck_sha256_hex(&s, parts);
      ck_assert_msg(strcmp(whole, parts) == 0, "n=%zu cut=%zu", n, cut);
    }
  }
}
END_TEST

START_TEST(test_file_vs_sha256sum) {
  char path[] = "/tmp/ck_sha256_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "wb");
  for (int i = 0; i < 300000; i++) fputc((i * 131 + i / 7) & 0xff, f);
  fclose(f);
  char ours[65], cmd[128], theirs[65] = {0};
  ck_assert_int_eq(ck_sha256_file(path, ours), 0);
  snprintf(cmd, sizeof cmd, "sha256sum %s", path);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  ck_assert_int_eq(fscanf(p, "%64s", theirs), 1);
  pclose(p);
  unlink(path);
  ck_assert_str_eq(ours, theirs);
  ck_assert_int_eq(ck_sha256_file("/nonexistent/ck_sha256", ours), -1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sha256");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_fips_vectors);
  tcase_add_test(tc, test_split_updates);
  tcase_add_test(tc, test_file_vs_sha256sum);
  suite_add_tcase(s, tc);
  return ts_run_suite(s);
}
