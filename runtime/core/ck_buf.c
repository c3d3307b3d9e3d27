/* ck_buf.c - the growable text buffer (ck_buf.h). */
#include "ck_buf.h"

#include <stdlib.h>
#include <string.h>

void ck_buf_reserve(ck_buf *b, size_t extra) {
  if (b->oom || b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  char *np = realloc(b->p, cap);
  if (!np) {
    b->oom = 1;
    return;
  }
  b->p = np;
  b->cap = cap;
}

void ck_buf_add(ck_buf *b, const char *s, size_t n) {
  ck_buf_reserve(b, n);
  if (b->oom) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void ck_buf_puts(ck_buf *b, const char *s) { ck_buf_add(b, s, strlen(s)); }

void ck_buf_putc(ck_buf *b, char c) { ck_buf_add(b, &c, 1); }

void ck_buf_spaces(ck_buf *b, size_t n) {
  ck_buf_reserve(b, n);
  if (b->oom) return;
  memset(b->p + b->len, ' ', n);
  b->len += n;
  b->p[b->len] = '\0';
}
