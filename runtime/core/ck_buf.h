/* ck_buf.h - the runtime's one growable text buffer.
 *
 * The JSON and YAML printers and the safetensors header writer build
 * their output in it.  Appends never fail loudly: an allocation failure
 * sets `oom`, later appends do nothing, and the caller checks `oom` once
 * at the end.  The text is always NUL-terminated once anything is in it.
 */
#ifndef CK_BUF_H
#define CK_BUF_H

#include <stddef.h>

typedef struct ck_buf {
  char *p;        /* malloc'd; the caller frees it (or keeps it) */
  size_t len, cap;
  int oom;        /* an allocation failed: the contents are incomplete */
} ck_buf;

/* Room for `extra` more bytes and the NUL. */
void ck_buf_reserve(ck_buf *b, size_t extra);
void ck_buf_add(ck_buf *b, const char *s, size_t n);
void ck_buf_puts(ck_buf *b, const char *s);
void ck_buf_putc(ck_buf *b, char c);
/* n spaces (indentation). */
void ck_buf_spaces(ck_buf *b, size_t n);

#endif
