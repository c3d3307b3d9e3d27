/* ck_sha256.c - SHA-256 over byte streams and files (see ck_sha256.h).
 *
 * The compression function and padding are libmd's; this file only maps
 * ckconv's API onto it.  Files are read here with stdio rather than with
 * libmd's SHA256File, which hashes st_size bytes and so would see a pipe
 * or a /proc file as empty. */
#include "ck_sha256.h"

#include <stdio.h>

void ck_sha256_init(ck_sha256 *s) { SHA256Init(&s->ctx); }

void ck_sha256_update(ck_sha256 *s, const void *data, size_t n) {
  if (n > 0) SHA256Update(&s->ctx, data, n);
}

void ck_sha256_hex(ck_sha256 *s, char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256Final(d, &s->ctx);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  hex[2 * SHA256_DIGEST_LENGTH] = '\0';
}

int ck_sha256_file(const char *path, char hex[65]) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  ck_sha256 s;
  ck_sha256_init(&s);
  unsigned char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) ck_sha256_update(&s, buf, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) return -1;
  ck_sha256_hex(&s, hex);
  return 0;
}
