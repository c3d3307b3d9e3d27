/* ck_json_out.c - Python-compatible JSON printer (json.dumps) for jansson
 * values.
 *
 * Sits at the very end of the pipeline: whatever the converters build as
 * json_t is printed here, and must match Python's output byte for byte
 * (ensure_ascii escaping, separators, sort order, float repr).
 */
#include "ck_json_out.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ck_buf.h"

/* ------------------------------------------------------------ floats */

/* Digits of a decimal candidate: value = 0.d1d2...dn * 10^(exp+1), i.e.
 * d1 is the units digit when exp == 0. */
typedef struct {
  char dig[24];
  int n;
  int exp;
} decimal;

/* Parse "%.*e" output ("d.ddde+XX" or "de-XX") of a positive number. */
static void dec_parse(const char *s, decimal *d) {
  d->n = 0;
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9') d->dig[d->n++] = *s;
  d->exp = (*s == 'e') ? atoi(s + 1) : 0;
}

static double dec_value(const decimal *d) {
  char tmp[64];
  int k = 0;
  tmp[k++] = d->dig[0];
  tmp[k++] = '.';
  for (int i = 1; i < d->n; i++) tmp[k++] = d->dig[i];
  snprintf(tmp + k, sizeof tmp - k, "e%d", d->exp);
  return strtod(tmp, NULL);
}

/* Step the last digit by +1 or -1, keeping n digits (carries may move the
 * exponent: 9.99 + 1 -> 1.00e+1, 1.00 - 1 -> 9.99e-1). */
static void dec_step(decimal *d, int up) {
  int i = d->n - 1;
  if (up) {
    while (i >= 0 && d->dig[i] == '9') d->dig[i--] = '0';
    if (i >= 0) {
      d->dig[i]++;
    } else {
      d->dig[0] = '1';
      d->exp++;
    }
  } else {
    while (i >= 0 && d->dig[i] == '0') d->dig[i--] = '9';
    if (i < 0) return; /* all zeros: not a positive candidate */
    d->dig[i]--;
    if (d->dig[0] == '0') {
      /* 1.00e5 - step = 0.999e5 = 9.99e4 with the same digit count. */
      for (int k = 0; k < d->n; k++) d->dig[k] = '9';
      d->exp--;
    }
  }
}

/* The decimal of `prec` significant digits nearest to x that strtod maps
 * back to x, if any.  The correctly rounded candidate is the nearest one
 * on its side of x; when it misses (the rounding interval is asymmetric
 * at powers of two) the nearest one on the other side may still hit. */
static int try_precision(double x, int prec, decimal *out) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
  decimal d;
  dec_parse(tmp, &d);
  double v = dec_value(&d);
  if (v == x) {
    *out = d;
    return 1;
  }
  dec_step(&d, v < x);
  if (dec_value(&d) == x) {
    *out = d;
    return 1;
  }
  return 0;
}

/* Shortest decimal that reads back as x (x > 0, finite), and among those
 * the closest to x, as Python's repr (dtoa mode 0).  Success is monotonic
 * in the precision (a p-digit hit is also a (p+1)-digit one), so a binary
 * search over 1..17 digits finds the shortest.  printf/strtod are used
 * in the C locale (ckconv never calls setlocale for LC_NUMERIC). */
static void shortest_decimal(double x, decimal *out) {
  int lo = 1, hi = 17;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (try_precision(x, mid, out))
      hi = mid;
    else
      lo = mid + 1;
  }
  if (!try_precision(x, lo, out)) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.16e", x);
    dec_parse(tmp, out);
  }
}

int ck_json_format_double(double d, char *buf, size_t n) {
  char out[CK_JSON_DOUBLE_BUFSZ];
  int k = 0;
  if (isnan(d)) {
    strcpy(out, "NaN");
  } else if (isinf(d)) {
    strcpy(out, d < 0 ? "-Infinity" : "Infinity");
  } else if (d == 0) {
    strcpy(out, signbit(d) ? "-0.0" : "0.0");
  } else {
    decimal dc;
    shortest_decimal(fabs(d), &dc);
    while (dc.n > 1 && dc.dig[dc.n - 1] == '0') dc.n--;
    if (d < 0) out[k++] = '-';
    if (dc.exp < -4 || dc.exp >= 16) {
      out[k++] = dc.dig[0];
      if (dc.n > 1) {
        out[k++] = '.';
        for (int i = 1; i < dc.n; i++) out[k++] = dc.dig[i];
      }
      k += snprintf(out + k, sizeof out - k, "e%c%02d",
                    dc.exp < 0 ? '-' : '+', abs(dc.exp));
    } else if (dc.exp >= 0) {
      int ip = dc.exp + 1; /* digits before the point */
      for (int i = 0; i < ip; i++) out[k++] = i < dc.n ? dc.dig[i] : '0';
      out[k++] = '.';
      if (dc.n > ip) {
        for (int i = ip; i < dc.n; i++) out[k++] = dc.dig[i];
      } else {
        out[k++] = '0';
      }
      out[k] = '\0';
    } else {
      out[k++] = '0';
      out[k++] = '.';
      for (int i = 0; i < -dc.exp - 1; i++) out[k++] = '0';
      for (int i = 0; i < dc.n; i++) out[k++] = dc.dig[i];
      out[k] = '\0';
    }
  }
  size_t len = strlen(out);
  if (!buf || len + 1 > n) return -1;
  memcpy(buf, out, len + 1);
  return (int)len;
}

/* ------------------------------------------------------------ strings */

/* Decode one UTF-8 sequence at s[*i]; invalid bytes decode as themselves
 * (jansson strings are valid UTF-8, so this only keeps us memory-safe). */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i) {
  unsigned c = s[*i];
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  if (c < 0xC0 || c >= 0xF8 || *i + extra >= len) {
    (*i)++;
    return c;
  }
  uint32_t cp = c & (0x3F >> extra);
  for (int k = 1; k <= extra; k++) {
    unsigned cc = s[*i + k];
    if ((cc & 0xC0) != 0x80) {
      (*i)++;
      return c;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  *i += extra + 1;
  return cp;
}

/* Python's encode_basestring_ascii: printable ASCII except " and \ is
 * copied, the five short escapes are used, everything else is \uxxxx
 * (lowercase hex), astral code points as a surrogate pair. */
static void put_string(ck_buf *b, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  ck_buf_putc(b, '"');
  while (i < len) {
    size_t run = i;
    while (run < len && u[run] >= 0x20 && u[run] <= 0x7e && u[run] != '"' &&
           u[run] != '\\')
      run++;
    if (run > i) {
      ck_buf_add(b, s + i, run - i);
      i = run;
      continue;
    }
    uint32_t cp = utf8_next(u, len, &i);
    switch (cp) {
    case '"': ck_buf_puts(b, "\\\""); continue;
    case '\\': ck_buf_puts(b, "\\\\"); continue;
    case '\n': ck_buf_puts(b, "\\n"); continue;
    case '\r': ck_buf_puts(b, "\\r"); continue;
    case '\t': ck_buf_puts(b, "\\t"); continue;
    case '\b': ck_buf_puts(b, "\\b"); continue;
    case '\f': ck_buf_puts(b, "\\f"); continue;
    default: break;
    }
    uint32_t units[2];
    int nu = 0;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units[nu++] = 0xD800 | (cp >> 10);
      units[nu++] = 0xDC00 | (cp & 0x3FF);
    } else {
      units[nu++] = cp;
    }
    for (int k = 0; k < nu; k++) {
      char e[6] = {'\\', 'u', hex[(units[k] >> 12) & 15],
                   hex[(units[k] >> 8) & 15], hex[(units[k] >> 4) & 15],
                   hex[units[k] & 15]};
      ck_buf_add(b, e, 6);
    }
  }
  ck_buf_putc(b, '"');
}

/* ------------------------------------------------------------ values */

/* Python sorts str keys by code point; for UTF-8 that is byte order. */
static int kv_cmp(const void *a, const void *b) {
  const ck_json_item *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->key, y->key, n);
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

ck_json_item *ck_json_items(const json_t *obj, int sorted, size_t *n) {
  size_t cap = json_object_size(obj), k = 0;
  ck_json_item *items = malloc((cap ? cap : 1) * sizeof *items);
  if (!items) return NULL;
  /* json_object_iter() takes a non-const object but does not modify it. */
  json_t *o = (json_t *)obj;
  for (void *it = json_object_iter(o); it && k < cap;
       it = json_object_iter_next(o, it)) {
    items[k].key = json_object_iter_key(it);
    items[k].len = json_object_iter_key_len(it);
    items[k].val = json_object_iter_value(it);
    k++;
  }
  if (sorted) qsort(items, k, sizeof *items, kv_cmp);
  *n = k;
  return items;
}

static void newline_indent(ck_buf *b, int indent, int level) {
  ck_buf_putc(b, '\n');
  ck_buf_spaces(b, (size_t)indent * (size_t)level);
}

static void put_value(ck_buf *b, const json_t *v, int indent, int sort,
                      int level) {
  char num[CK_JSON_DOUBLE_BUFSZ];
  const char *item_sep = indent >= 0 ? "," : ", ";
  switch (json_typeof(v)) {
  case JSON_NULL: ck_buf_puts(b, "null"); return;
  case JSON_TRUE: ck_buf_puts(b, "true"); return;
  case JSON_FALSE: ck_buf_puts(b, "false"); return;
  case JSON_INTEGER:
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    ck_buf_puts(b, num);
    return;
  case JSON_REAL:
    ck_json_format_double(json_real_value(v), num, sizeof num);
    ck_buf_puts(b, num);
    return;
  case JSON_STRING:
    put_string(b, json_string_value(v), json_string_length(v));
    return;
  case JSON_ARRAY: {
    size_t n = json_array_size(v);
    if (n == 0) {
      ck_buf_puts(b, "[]");
      return;
    }
    ck_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
      if (i) ck_buf_puts(b, item_sep);
      if (indent >= 0) newline_indent(b, indent, level + 1);
      put_value(b, json_array_get(v, i), indent, sort, level + 1);
    }
    if (indent >= 0) newline_indent(b, indent, level);
    ck_buf_putc(b, ']');
    return;
  }
  case JSON_OBJECT: {
    size_t n = json_object_size(v);
    if (n == 0) {
      ck_buf_puts(b, "{}");
      return;
    }
    size_t k;
    ck_json_item *items = ck_json_items(v, sort, &k);
    if (!items) {
      b->oom = 1;
      return;
    }
    ck_buf_putc(b, '{');
    for (size_t i = 0; i < k; i++) {
      if (i) ck_buf_puts(b, item_sep);
      if (indent >= 0) newline_indent(b, indent, level + 1);
      put_string(b, items[i].key, items[i].len);
      ck_buf_puts(b, ": ");
      put_value(b, items[i].val, indent, sort, level + 1);
    }
    free(items);
    if (indent >= 0) newline_indent(b, indent, level);
    ck_buf_putc(b, '}');
    return;
  }
  }
}

char *ck_json_dumps_py(const json_t *v, int indent, int sort_keys) {
  ck_buf b = {0};
  ck_buf_reserve(&b, 0);
  if (!b.oom) b.p[0] = '\0';
  if (v) {
    put_value(&b, v, indent, sort_keys, 0);
  } else {
    ck_buf_puts(&b, "null");
  }
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

int ck_json_write_py(FILE *f, const json_t *v, int indent, int sort_keys,
                     ck_error *err) {
  char *s = ck_json_dumps_py(v, indent, sort_keys);
  if (!s)
    return ck_fail(err, CK_STAGE_JSON, "out of memory while printing JSON");
  size_t len = strlen(s);
  errno = 0;
  size_t w = fwrite(s, 1, len, f);
  free(s);
  if (w != len || ferror(f))
    return ck_fail(err, CK_STAGE_JSON, "cannot write JSON output: %s",
                   errno ? strerror(errno) : "write error");
  return 0;
}
