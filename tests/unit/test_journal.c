/* test_journal.c - unit tests of the journal of staged conversions
 * (runtime/io/ck_journal.c) and of the split into parts
 * (runtime/ops/ck_parts.c).
 *
 * Records round-trip; a torn tail and an altered byte end the journal
 * there (and ck_journal_open cuts the tail off); a second open of a held
 * journal is refused; the data checksum follows the bytes, not where they
 * are, and samples large tensors as documented.  The parts are checked against splits
 * computed by hand. */
/* before check.h, whose CK_EXPORT macro is an enumerator of ck_engine.h */
#include "ck_journal.h"
#include "ck_parts.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

static char dir[] = "/tmp/ck_journal_XXXXXX";

static void path_of(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "%s/%s", dir, name);
}

static off_t size_of(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? st.st_size : -1;
}

START_TEST(test_records_round_trip) {
  char p[256];
  path_of(p, sizeof p, "j1");
  ck_error err;
  ck_error_clear(&err);
  int fd;
  ck_assert_int_eq(ck_journal_open(p, &fd, &err), 0);
  ck_journal_rec r[3] = {{0, 2368, 16384, 0x0123456789abcdefULL},
                         {17, 1ULL << 40, 7, 0},
                         {5, 8, 0, ~0ULL}};
  ck_assert_int_eq(ck_journal_append(fd, p, r, 2, &err), 0);
  ck_assert_int_eq(ck_journal_append(fd, p, r + 2, 1, &err), 0);
  close(fd);
  ck_journal_rec *got;
  size_t n;
  uint64_t end;
  ck_assert_int_eq(ck_journal_load(p, &got, &n, &end, &err), 0);
  ck_assert_uint_eq(n, 3);
  ck_assert_int_eq(memcmp(got, r, sizeof r), 0);
  ck_assert_uint_eq(end, (uint64_t)size_of(p));
  free(got);
  /* a missing journal has no records */
  path_of(p, sizeof p, "none");
  ck_assert_int_eq(ck_journal_load(p, &got, &n, &end, &err), 0);
  ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_torn_and_altered) {
  char p[256];
  path_of(p, sizeof p, "j2");
  ck_error err;
  ck_error_clear(&err);
  int fd;
  ck_assert_int_eq(ck_journal_open(p, &fd, &err), 0);
  ck_journal_rec r[2] = {{1, 100, 50, 42}, {2, 150, 50, 43}};
  ck_assert_int_eq(ck_journal_append(fd, p, r, 2, &err), 0);
  close(fd);
  off_t whole = size_of(p);
  /* a torn record: the valid ones stay, the tail is not trusted */
  FILE *f = fopen(p, "ab");
  fputs("t 3 200 50 00000000000000", f);
  fclose(f);
  ck_journal_rec *got;
  size_t n;
  uint64_t end;
  ck_assert_int_eq(ck_journal_load(p, &got, &n, &end, &err), 0);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(end, (uint64_t)whole);
  free(got);
  /* reopening for appending cuts it off */
  ck_assert_int_eq(ck_journal_open(p, &fd, &err), 0);
  ck_assert_int_eq(size_of(p), whole);
  /* held: a second process (here, descriptor) is refused */
  int fd2;
  ck_assert_int_eq(ck_journal_open(p, &fd2, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "in use by another ckconv process"));
  close(fd);
  /* one altered digit in the second record's offset: only the first
   * record remains ("t 2 150" -> "t 2 151") */
  int d = open(p, O_RDWR);
  char buf[512] = {0};
  ck_assert_int_gt(pread(d, buf, sizeof buf - 1, 0), 0);
  char *second = strchr(buf, '\n') + 1;
  ck_assert_int_eq(strncmp(second, "t 2 150 ", 8), 0);
  ck_assert_int_eq(pwrite(d, "1", 1, (second - buf) + 6), 1);
  close(d);
  ck_assert_int_eq(ck_journal_load(p, &got, &n, &end, &err), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(got[0].tensor, 1);
  free(got);
}
END_TEST

START_TEST(test_sum_follows_bytes) {
  /* 3 MiB + 5 bytes (several read chunks and a tail), written at offset
   * 0 of one file and at offset 4099 of another */
  size_t len = (3u << 20) + 5;
  unsigned char *b = malloc(len);
  for (size_t i = 0; i < len; i++) b[i] = (unsigned char)(i * 131 + i / 7);
  char p1[256], p2[256];
  path_of(p1, sizeof p1, "d1");
  path_of(p2, sizeof p2, "d2");
  int a = open(p1, O_RDWR | O_CREAT | O_TRUNC, 0644);
  int c = open(p2, O_RDWR | O_CREAT | O_TRUNC, 0644);
  ck_assert_int_eq(pwrite(a, b, len, 0), (ssize_t)len);
  ck_assert_int_eq(pwrite(c, b, len, 4099), (ssize_t)len);
  uint64_t s1, s2, s3;
  ck_assert_int_eq(ck_journal_sum(a, 0, len, &s1), 0);
  ck_assert_int_eq(ck_journal_sum(c, 4099, len, &s2), 0);
  ck_assert_uint_eq(s1, s2);
  /* one byte changed in a sampled place changes it: the edges (64 KiB
   * each) and the first 4 KiB of every MiB */
  size_t at[] = {0, 31, 32, 65535, 1u << 20, (1u << 20) + 4095, 2u << 20,
                 len - 65536, len - 1};
  for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
    unsigned char x = b[at[k]] ^ 0x10;
    ck_assert_int_eq(pwrite(c, &x, 1, 4099 + at[k]), 1);
    ck_assert_int_eq(ck_journal_sum(c, 4099, len, &s3), 0);
    ck_assert_uint_ne(s3, s1);
    ck_assert_int_eq(pwrite(c, &b[at[k]], 1, 4099 + at[k]), 1);
  }
  /* between the samples it does not (the sampling is what ck_journal.h
   * says, no more) */
  unsigned char x = b[65536] ^ 0x10;
  ck_assert_int_eq(pwrite(c, &x, 1, 4099 + 65536), 1);
  ck_assert_int_eq(ck_journal_sum(c, 4099, len, &s3), 0);
  ck_assert_uint_eq(s3, s1);
  ck_assert_int_eq(pwrite(c, &b[65536], 1, 4099 + 65536), 1);
  /* small tensors are covered whole */
  ck_assert_int_eq(ck_journal_sum(a, 0, 100000, &s1), 0);
  x = b[70000] ^ 1;
  ck_assert_int_eq(pwrite(a, &x, 1, 70000), 1);
  ck_assert_int_eq(ck_journal_sum(a, 0, 100000, &s3), 0);
  ck_assert_uint_ne(s3, s1);
  /* a shorter file: an error, not a sum */
  ck_assert_int_eq(ck_journal_sum(a, 1, len, &s3), -1);
  close(a);
  close(c);
  unlink(p1);
  unlink(p2);
  free(b);
}
END_TEST

START_TEST(test_parts_by_hand) {
  int part[8];
  /* 4 files of 10 bytes, 2 parts: whole files, two each */
  size_t f4[] = {0, 1, 2, 3};
  uint64_t b10[] = {10, 10, 10, 10};
  ck_parts_assign(4, f4, b10, 4, 2, part);
  int want1[] = {0, 0, 1, 1};
  ck_assert_int_eq(memcmp(part, want1, sizeof want1), 0);
  /* 2 files (a: 3 tensors, b: 1) of 30 and 10 bytes, 2 parts: whole
   * files; the middle byte of a (15) is in part 0, of b (35) in part 1 */
  size_t f2[] = {0, 0, 0, 1};
  ck_parts_assign(4, f2, b10, 2, 2, part);
  int want2[] = {0, 0, 0, 1};
  ck_assert_int_eq(memcmp(part, want2, sizeof want2), 0);
  /* one file, 4 tensors of 10 bytes, 2 parts: tensor ranges; middles
   * 5, 15, 25, 35 of 40 -> parts 0, 0, 1, 1 */
  size_t f1[] = {0, 0, 0, 0};
  ck_parts_assign(4, f1, b10, 1, 2, part);
  ck_assert_int_eq(memcmp(part, want1, sizeof want1), 0);
  /* uneven: 100, 1, 1, 1 in one file, 2 parts: middles 50, 100, 101,
   * 102 of 103 -> 50*2/103 = 0, then 1, 1, 1 */
  uint64_t bu[] = {100, 1, 1, 1};
  ck_parts_assign(4, f1, bu, 1, 2, part);
  int want3[] = {0, 1, 1, 1};
  ck_assert_int_eq(memcmp(part, want3, sizeof want3), 0);
  /* 3 tensors, 5 parts: middles 5, 15, 25 of 30 -> 0, 2, 4 (parts 2 and
   * 4 of 5, 1-based, are empty) */
  ck_parts_assign(3, f1, b10, 1, 5, part);
  int want4[] = {0, 2, 4};
  ck_assert_int_eq(memcmp(part, want4, sizeof want4), 0);
  /* no bytes at all: by count */
  uint64_t b0[] = {0, 0, 0, 0};
  ck_parts_assign(4, f1, b0, 1, 2, part);
  ck_assert_int_eq(memcmp(part, want1, sizeof want1), 0);
}
END_TEST

int main(void) {
  if (!mkdtemp(dir)) return 1;
  Suite *s = suite_create("journal");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_records_round_trip);
  tcase_add_test(tc, test_torn_and_altered);
  tcase_add_test(tc, test_sum_follows_bytes);
  tcase_add_test(tc, test_parts_by_hand);
  suite_add_tcase(s, tc);
  int rc = ts_run_suite(s);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) rc = 1;
  return rc;
}
