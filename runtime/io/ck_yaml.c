/* ck_yaml.c - PyYAML-compatible YAML loading (libyaml events -> jansson)
 * and dumping (a transcription of PyYAML's Emitter for safe_dump).
 *
 * Config files enter the pipeline through ck_yaml_load and converted
 * configs leave through ck_yaml_dump; both must agree with what PyYAML 6
 * (pure-Python SafeLoader / SafeDumper, YAML 1.1 resolver) would do.
 */
#include "ck_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ck_json_out.h"

/* ================================================================ buffer */

typedef struct {
  char *p;
  size_t len, cap;
  int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
      b->oom = 1;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* ============================================================== resolver */

/* Implicit tags of PyYAML's Resolver (YAML 1.1), in the order they are
 * registered; the regexes are mutually exclusive, so order only matters
 * for documentation. */
typedef enum {
  T_STR,
  T_BOOL,
  T_FLOAT,
  T_INT,
  T_MERGE,
  T_NULL,
  T_TIMESTAMP,
  T_VALUE
} rtag;

static int is_dig(char c) { return c >= '0' && c <= '9'; }

static int is_hex(char c) {
  return is_dig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_lit(const char *s, size_t n, const char *lit) {
  return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static size_t skip_sign(const char *s, size_t n, size_t i) {
  return (i < n && (s[i] == '-' || s[i] == '+')) ? i + 1 : i;
}

/* Skip chars of the class [0-9_] (or [0-9a-fA-F_] / [0-7_] / [01_]). */
static size_t skip_class(const char *s, size_t n, size_t i, int base) {
  for (; i < n; i++) {
    char c = s[i];
    int ok = c == '_' || (base == 16 ? is_hex(c)
                          : base == 8 ? (c >= '0' && c <= '7')
                          : base == 2 ? (c == '0' || c == '1')
                                      : is_dig(c));
    if (!ok) break;
  }
  return i;
}

/* (?::[0-5]?[0-9])+ at s[i]; returns the end, or (size_t)-1 if absent.
 * Greedy two-digit groups are exact here: what follows a group is ':',
 * '.' or the end, never a digit. */
static size_t sexa_groups(const char *s, size_t n, size_t i) {
  int groups = 0;
  while (i < n && s[i] == ':') {
    size_t j = i + 1;
    if (j + 1 < n && s[j] >= '0' && s[j] <= '5' && is_dig(s[j + 1]))
      j += 2;
    else if (j < n && is_dig(s[j]))
      j += 1;
    else
      return (size_t)-1;
    i = j;
    groups++;
  }
  return groups ? i : (size_t)-1;
}

/* (?:[eE][-+][0-9]+)? at s[i]: returns the end (i when absent). */
static size_t skip_exp(const char *s, size_t n, size_t i) {
  if (i + 2 < n && (s[i] == 'e' || s[i] == 'E') &&
      (s[i + 1] == '-' || s[i + 1] == '+') && is_dig(s[i + 2])) {
    i += 3;
    while (i < n && is_dig(s[i])) i++;
  }
  return i;
}

static int match_bool(const char *s, size_t n) {
  static const char *const words[] = {
      "yes", "Yes", "YES", "no",  "No",  "NO",    "true",  "True",  "TRUE",
      "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (is_lit(s, n, words[i])) return 1;
  return 0;
}

static int match_null(const char *s, size_t n) {
  return n == 0 || is_lit(s, n, "~") || is_lit(s, n, "null") ||
         is_lit(s, n, "Null") || is_lit(s, n, "NULL");
}

/* The float regex: note it requires a '.', and a signed exponent. */
static int match_float(const char *s, size_t n) {
  size_t i = skip_sign(s, n, 0), j;
  if (i < n && is_dig(s[i])) {
    /* [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)? */
    j = skip_class(s, n, i + 1, 10);
    if (j < n && s[j] == '.') {
      j = skip_exp(s, n, skip_class(s, n, j + 1, 10));
      if (j == n) return 1;
    }
    /* [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* */
    j = sexa_groups(s, n, skip_class(s, n, i + 1, 10));
    if (j != (size_t)-1 && j < n && s[j] == '.' &&
        skip_class(s, n, j + 1, 10) == n)
      return 1;
    return 0;
  }
  if (i < n && s[i] == '.') {
    /* [-+]?\.(?:inf|Inf|INF) */
    if (is_lit(s + i, n - i, ".inf") || is_lit(s + i, n - i, ".Inf") ||
        is_lit(s + i, n - i, ".INF"))
      return 1;
    if (i != 0) return 0; /* the rest takes no sign: "-.5" is a string */
    if (is_lit(s, n, ".nan") || is_lit(s, n, ".NaN") || is_lit(s, n, ".NAN"))
      return 1;
    /* \.[0-9][0-9_]*(?:[eE][-+][0-9]+)? */
    if (n > 1 && is_dig(s[1]) && skip_exp(s, n, skip_class(s, n, 2, 10)) == n)
      return 1;
  }
  return 0;
}

/* The int regex: 0b.., 0.. (octal), decimal, 0x.., base 60. No 0o. */
static int match_int(const char *s, size_t n) {
  size_t i = skip_sign(s, n, 0);
  if (i >= n || !is_dig(s[i])) return 0;
  if (s[i] == '0') {
    if (i + 1 == n) return 1;
    if (s[i + 1] == 'b')
      return i + 2 < n && skip_class(s, n, i + 2, 2) == n;
    if (s[i + 1] == 'x')
      return i + 2 < n && skip_class(s, n, i + 2, 16) == n;
    return skip_class(s, n, i + 1, 8) == n;
  }
  size_t j = skip_class(s, n, i + 1, 10);
  if (j == n) return 1;
  return sexa_groups(s, n, j) == n;
}

/* [0-9]{lo..hi} at s[*i]. */
static int digits(const char *s, size_t n, size_t *i, int lo, int hi) {
  int k = 0;
  while (k < hi && *i < n && is_dig(s[*i])) (*i)++, k++;
  return k >= lo;
}

static int match_timestamp(const char *s, size_t n) {
  size_t i = 0;
  if (n == 10 && digits(s, n, &i, 4, 4) && s[4] == '-' && is_dig(s[5]) &&
      is_dig(s[6]) && s[7] == '-' && is_dig(s[8]) && is_dig(s[9]))
    return 1;
  i = 0;
  if (!digits(s, n, &i, 4, 4) || i >= n || s[i++] != '-') return 0;
  if (!digits(s, n, &i, 1, 2) || i >= n || s[i++] != '-') return 0;
  if (!digits(s, n, &i, 1, 2) || i >= n) return 0;
  if (s[i] == 'T' || s[i] == 't') {
    i++;
  } else if (s[i] == ' ' || s[i] == '\t') {
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
  } else {
    return 0;
  }
  if (!digits(s, n, &i, 1, 2) || i >= n || s[i++] != ':') return 0;
  if (!digits(s, n, &i, 2, 2) || i >= n || s[i++] != ':') return 0;
  if (!digits(s, n, &i, 2, 2)) return 0;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && is_dig(s[i])) i++;
  }
  if (i == n) return 1;
  while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
  if (i < n && s[i] == 'Z') return i + 1 == n;
  if (i < n && (s[i] == '-' || s[i] == '+')) {
    i++;
    if (!digits(s, n, &i, 1, 2)) return 0;
    if (i == n) return 1;
    if (s[i++] != ':') return 0;
    return digits(s, n, &i, 2, 2) && i == n;
  }
  return 0;
}

/* Resolver.resolve(ScalarNode, value, (True, False)): the tag a plain
 * scalar with this text gets.  (PyYAML also registers '!', '&', '*' as
 * tag:yaml.org,2002:yaml "for documentation"; those can never be plain
 * scalars, so leaving them out changes nothing.) */
static rtag resolve_plain(const char *s, size_t n) {
  if (match_null(s, n)) return T_NULL;
  if (match_bool(s, n)) return T_BOOL;
  if (match_float(s, n)) return T_FLOAT;
  if (match_int(s, n)) return T_INT;
  if (is_lit(s, n, "<<")) return T_MERGE;
  if (is_lit(s, n, "=")) return T_VALUE;
  if (match_timestamp(s, n)) return T_TIMESTAMP;
  return T_STR;
}

/* =========================================================== constructors */

/* value.replace('_', ''), optionally lower()ed, as a NUL-terminated copy. */
static char *strip_underscores(const char *s, size_t n, int lower) {
  char *o = malloc(n + 1);
  if (!o) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '_') continue;
    if (lower && c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    o[k++] = c;
  }
  o[k] = '\0';
  return o;
}

enum { C_OK = 0, C_BAD = -1, C_RANGE = -2, C_NONFINITE = -3, C_OOM = -4 };

/* int(s, base) for an unsigned digit string; C_BAD if empty/invalid. */
static int parse_uint(const char *s, size_t n, int base,
                      unsigned long long *out) {
  unsigned long long v = 0;
  if (n == 0) return C_BAD;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int d = is_dig(c) ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : 99;
    if (d >= base) return C_BAD;
    if (__builtin_mul_overflow(v, (unsigned long long)base, &v) ||
        __builtin_add_overflow(v, (unsigned long long)d, &v))
      return C_RANGE;
  }
  *out = v;
  return C_OK;
}

/* SafeConstructor.construct_yaml_int; Python ints are unbounded, ours
 * stop at the json_int_t range (C_RANGE). */
static int construct_int(const char *s, size_t n, json_int_t *out) {
  char *v = strip_underscores(s, n, 0);
  if (!v) return C_OOM;
  int neg = v[0] == '-';
  char *p = v + (v[0] == '-' || v[0] == '+');
  size_t len = strlen(p);
  unsigned long long mag = 0;
  int rc;
  if (len == 0) {
    rc = C_BAD;
  } else if (strcmp(p, "0") == 0) {
    rc = C_OK;
  } else if (strncmp(p, "0b", 2) == 0) {
    rc = parse_uint(p + 2, len - 2, 2, &mag);
  } else if (strncmp(p, "0x", 2) == 0) {
    rc = parse_uint(p + 2, len - 2, 16, &mag);
  } else if (p[0] == '0') {
    rc = parse_uint(p, len, 8, &mag);
  } else if (strchr(p, ':')) {
    /* base 60, most significant part first (same value as PyYAML's
     * reversed sum, exact integer arithmetic). */
    rc = C_OK;
    for (char *part = p; rc == C_OK;) {
      char *colon = strchr(part, ':');
      size_t plen = colon ? (size_t)(colon - part) : strlen(part);
      unsigned long long d;
      rc = parse_uint(part, plen, 10, &d);
      if (rc == C_OK && (__builtin_mul_overflow(mag, 60ULL, &mag) ||
                         __builtin_add_overflow(mag, d, &mag)))
        rc = C_RANGE;
      if (!colon) break;
      part = colon + 1;
    }
  } else {
    rc = parse_uint(p, len, 10, &mag);
  }
  free(v);
  if (rc != C_OK) return rc;
  if (neg) {
    if (mag > (unsigned long long)INT64_MAX + 1) return C_RANGE;
    *out = mag ? (json_int_t)(-(long long)(mag - 1) - 1) : 0;
  } else {
    if (mag > (unsigned long long)INT64_MAX) return C_RANGE;
    *out = (json_int_t)mag;
  }
  return C_OK;
}

/* Python float(s) for the strings that reach it: decimal only. */
static int py_float(const char *s, double *out) {
  if (!*s || strchr(s, 'x')) return C_BAD;
  char *end;
  errno = 0;
  double d = strtod(s, &end);
  if (end == s || *end) return C_BAD;
  *out = d;
  return C_OK;
}

/* SafeConstructor.construct_yaml_float.  jansson cannot hold inf/nan, so
 * those come back as C_NONFINITE (with *out set, for use as a key). */
static int construct_float(const char *s, size_t n, double *out) {
  char *v = strip_underscores(s, n, 1);
  if (!v) return C_OOM;
  double sign = v[0] == '-' ? -1.0 : 1.0;
  char *p = v + (v[0] == '-' || v[0] == '+');
  double val = 0.0;
  int rc = C_OK;
  if (strcmp(p, ".inf") == 0) {
    val = INFINITY;
  } else if (strcmp(p, ".nan") == 0) {
    val = NAN;
    sign = 1.0;
  } else if (strchr(p, ':')) {
    /* Sum the parts from the least significant one, in float, exactly
     * as PyYAML does (the rounding depends on the order). */
    double base = 1.0;
    char *part = p + strlen(p);
    while (rc == C_OK) {
      char *start = part;
      while (start > p && start[-1] != ':') start--;
      char saved = *part;
      *part = '\0';
      double d;
      rc = py_float(start, &d);
      *part = saved;
      if (rc != C_OK) break;
      val += d * base;
      base *= 60;
      if (start == p) break;
      part = start - 1;
    }
  } else {
    rc = py_float(p, &val);
  }
  free(v);
  if (rc != C_OK) return rc;
  val = sign * val;
  *out = val;
  return isfinite(val) ? C_OK : C_NONFINITE;
}

/* ================================================================= loader */

typedef struct {
  json_t *node; /* open container, borrowed (owned by its parent/root) */
  json_t *key;  /* pending mapping key (a json string), owned */
} frame;

typedef struct {
  const char *name;
  const char *text;
  size_t len;
  ck_error *err;
  frame stack[CK_YAML_MAX_DEPTH];
  int depth;
  json_t *root;
} loader;

/* Error at a mark: "name:line:column: message" (1-based like PyYAML). */
static int lfail(loader *L, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int lfail(loader *L, yaml_mark_t m, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ck_fail(L->err, "yaml", "%s:%zu:%zu: %s", L->name, m.line + 1,
                 m.column + 1, msg);
}

/* At most 40 bytes of a scalar for messages. */
#define SHOWN(n) ((int)((n) > 40 ? 40 : (n)))

/* Turn libyaml's parser error into a located message. */
static int parser_fail(loader *L, const yaml_parser_t *p) {
  if (p->error == YAML_MEMORY_ERROR)
    return ck_fail(L->err, "yaml", "%s: out of memory while parsing YAML",
                   L->name);
  const char *problem = p->problem ? p->problem : "invalid YAML";
  if (p->error == YAML_READER_ERROR) {
    /* Reader errors carry a byte offset; turn it into line/column. */
    yaml_mark_t m = {0, 0, 0};
    for (size_t i = 0; i < p->problem_offset && i < L->len; i++) {
      if (L->text[i] == '\n') {
        m.line++;
        m.column = 0;
      } else if ((L->text[i] & 0xC0) != 0x80) {
        m.column++; /* columns count characters, not UTF-8 bytes */
      }
    }
    if (p->problem_value != -1)
      return lfail(L, m, "%s (byte #%X at offset %zu)", problem,
                   (unsigned)p->problem_value, p->problem_offset);
    return lfail(L, m, "%s (at byte offset %zu)", problem, p->problem_offset);
  }
  if (p->context)
    return lfail(L, p->problem_mark, "%s (%s started at line %zu, column %zu)",
                 problem, p->context, p->context_mark.line + 1,
                 p->context_mark.column + 1);
  return lfail(L, p->problem_mark, "%s", problem);
}

/* The string json.dumps() prints for a dict key that is not a str, so a
 * mapping with int/float/bool/null keys reads as Python would write it. */
static json_t *key_string(const json_t *v) {
  char buf[CK_JSON_DOUBLE_BUFSZ];
  switch (json_typeof(v)) {
  case JSON_STRING:
    return json_stringn(json_string_value(v), json_string_length(v));
  case JSON_INTEGER:
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return json_string(buf);
  case JSON_REAL:
    ck_json_format_double(json_real_value(v), buf, sizeof buf);
    return json_string(buf);
  case JSON_TRUE: return json_string("true");
  case JSON_FALSE: return json_string("false");
  default: return json_string("null");
  }
}

static int in_key_position(const loader *L) {
  if (L->depth == 0) return 0;
  const frame *f = &L->stack[L->depth - 1];
  return json_is_object(f->node) && !f->key;
}

/* Attach a finished value (steals the reference) to the open container,
 * or make it the key of the next mapping entry. */
static int attach(loader *L, json_t *v, yaml_mark_t m) {
  if (!v) return lfail(L, m, "out of memory");
  if (L->depth == 0) {
    L->root = v;
    return 0;
  }
  frame *f = &L->stack[L->depth - 1];
  if (json_is_array(f->node)) {
    if (json_array_append_new(f->node, v)) return lfail(L, m, "out of memory");
    return 0;
  }
  if (!f->key) {
    f->key = key_string(v);
    json_decref(v);
    if (!f->key) return lfail(L, m, "out of memory");
    return 0;
  }
  int rc = json_object_setn_new(f->node, json_string_value(f->key),
                                json_string_length(f->key), v);
  json_decref(f->key);
  f->key = NULL;
  if (rc) return lfail(L, m, "out of memory");
  return 0;
}

static const char *tag_name(rtag t) {
  switch (t) {
  case T_BOOL: return "bool";
  case T_FLOAT: return "float";
  case T_INT: return "int";
  case T_NULL: return "null";
  default: return "str";
  }
}

/* Build the value of one scalar event, resolving it as SafeLoader would:
 * no tag + plain -> implicit resolution; no tag + quoted -> str; the
 * non-specific tag "!" -> implicit resolution even when quoted (PyYAML's
 * parser marks it implicit); standard !!tags -> that constructor. */
static int load_scalar(loader *L, const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  size_t n = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  yaml_mark_t m = ev->start_mark;
  int key = in_key_position(L);
  /* A "\0" escape is the only way to put NUL in a scalar.  Keys and
   * strings are C strings from here on (a key "a\0b" would be looked up
   * as "a", a value "silu\0x" compared as "silu"), and the JSON input path
   * rejects \u0000 too: refuse it. */
  if (memchr(s, '\0', n))
    return lfail(L, m, "a NUL character (\\0) in a %s is not supported",
                 key ? "mapping key" : "scalar");
  rtag t;
  if (!tag) {
    t = ev->data.scalar.plain_implicit ? resolve_plain(s, n) : T_STR;
  } else if (strcmp(tag, "!") == 0) {
    t = resolve_plain(s, n);
  } else if (strcmp(tag, "tag:yaml.org,2002:str") == 0) {
    t = T_STR;
  } else if (strcmp(tag, "tag:yaml.org,2002:int") == 0) {
    t = T_INT;
  } else if (strcmp(tag, "tag:yaml.org,2002:float") == 0) {
    t = T_FLOAT;
  } else if (strcmp(tag, "tag:yaml.org,2002:bool") == 0) {
    t = T_BOOL;
  } else if (strcmp(tag, "tag:yaml.org,2002:null") == 0) {
    t = T_NULL;
  } else {
    return lfail(L, m, "unsupported tag '%s' (only !!str, !!int, !!float, "
                 "!!bool, !!null, !!map and !!seq are allowed)", tag);
  }
  json_t *v = NULL;
  switch (t) {
  case T_NULL: v = json_null(); break;
  case T_BOOL: {
    /* bool_values[value.lower()]; a NUL never matches a spelling. */
    char low[8] = {0};
    int fits = n < sizeof low && !memchr(s, '\0', n);
    for (size_t i = 0; fits && i < n; i++)
      low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
    if (fits && (!strcmp(low, "yes") || !strcmp(low, "true") ||
                 !strcmp(low, "on")))
      v = json_true();
    else if (fits && (!strcmp(low, "no") || !strcmp(low, "false") ||
                      !strcmp(low, "off")))
      v = json_false();
    else
      return lfail(L, m, "expected a boolean (yes/no/true/false/on/off) "
                   "for !!bool, found '%.*s'", SHOWN(n), s);
    break;
  }
  case T_INT: {
    json_int_t iv = 0;
    int rc = construct_int(s, n, &iv);
    if (rc == C_OOM) return lfail(L, m, "out of memory");
    if (rc == C_RANGE)
      return lfail(L, m, "integer '%.*s' does not fit in 64 bits", SHOWN(n),
                   s);
    if (rc != C_OK)
      return lfail(L, m, "expected an integer, found '%.*s'", SHOWN(n), s);
    v = json_integer(iv);
    break;
  }
  case T_FLOAT: {
    double d = 0;
    int rc = construct_float(s, n, &d);
    if (rc == C_OOM) return lfail(L, m, "out of memory");
    if (rc == C_NONFINITE && key) {
      /* json.dumps spells such keys "Infinity", "-Infinity", "NaN". */
      char buf[CK_JSON_DOUBLE_BUFSZ];
      ck_json_format_double(d, buf, sizeof buf);
      v = json_string(buf);
      break;
    }
    if (rc == C_NONFINITE)
      return lfail(L, m, "float '%.*s' is not finite; inf and nan cannot "
                   "be represented", SHOWN(n), s);
    if (rc != C_OK)
      return lfail(L, m, "expected a float, found '%.*s'", SHOWN(n), s);
    v = json_real(d);
    break;
  }
  case T_MERGE:
    if (key)
      return lfail(L, m, "merge keys (<<) are not supported; write the "
                   "entries out or quote the key");
    return lfail(L, m, "'<<' resolves to the YAML merge tag and cannot be "
                 "a value (PyYAML rejects it too); quote it");
  case T_VALUE:
    if (!key)
      return lfail(L, m, "'=' resolves to the YAML value tag and cannot be "
                   "a value (PyYAML rejects it too); quote it");
    v = json_string("=");
    break;
  case T_TIMESTAMP:
    return lfail(L, m, "'%.*s' is a YAML timestamp (PyYAML would load a "
                 "date/datetime, which has no JSON form); quote it",
                 SHOWN(n), s);
  case T_STR:
    v = json_stringn(s, n);
    if (!v) return lfail(L, m, "string is not valid UTF-8");
    break;
  }
  return attach(L, v, m);
}

static int load_collection_start(loader *L, const yaml_event_t *ev,
                                 int is_map) {
  yaml_mark_t m = ev->start_mark;
  const char *tag = (const char *)(is_map ? ev->data.mapping_start.tag
                                          : ev->data.sequence_start.tag);
  const char *anchor = (const char *)(is_map ? ev->data.mapping_start.anchor
                                             : ev->data.sequence_start.anchor);
  const char *what = is_map ? "mapping" : "sequence";
  if (anchor)
    return lfail(L, m, "anchors (&%s) are not supported", anchor);
  if (tag && strcmp(tag, "!") != 0 &&
      strcmp(tag, is_map ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq"))
    return lfail(L, m, "unsupported tag '%s' on a %s", tag, what);
  if (in_key_position(L))
    return lfail(L, m, "a %s cannot be a mapping key (only scalar keys are "
                 "supported)", what);
  if (L->depth >= CK_YAML_MAX_DEPTH)
    return lfail(L, m, "nesting deeper than %d levels", CK_YAML_MAX_DEPTH);
  json_t *c = is_map ? json_object() : json_array();
  json_t *borrowed = c;
  if (attach(L, c, m)) return -1;
  L->stack[L->depth].node = borrowed;
  L->stack[L->depth].key = NULL;
  L->depth++;
  return 0;
}

/* Walk libyaml's event stream, keeping an explicit stack of open
 * containers (bounded, so hostile nesting fails cleanly).  Each container
 * is attached to its parent when it opens, so on error only the root and
 * the pending keys need freeing. */
json_t *ck_yaml_load(const char *text, size_t len, const char *name,
                     ck_error *err) {
  loader L;
  memset(&L, 0, sizeof L);
  L.name = name ? name : "<string>";
  L.text = text;
  L.len = len;
  L.err = err;
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    ck_fail(err, "yaml", "%s: out of memory while parsing YAML", L.name);
    return NULL;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)(text ? text : ""),
                               text ? len : 0);
  int docs = 0, rc = 0, done = 0;
  while (!done && rc == 0) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      rc = parser_fail(&L, &p);
      break;
    }
    switch (ev.type) {
    case YAML_DOCUMENT_START_EVENT:
      if (++docs > 1)
        rc = lfail(&L, ev.start_mark, "expected a single document, but "
                   "found another document");
      break;
    case YAML_STREAM_END_EVENT: done = 1; break;
    case YAML_ALIAS_EVENT:
      rc = lfail(&L, ev.start_mark, "aliases (*%s) are not supported",
                 (const char *)ev.data.alias.anchor);
      break;
    case YAML_SCALAR_EVENT:
      if (ev.data.scalar.anchor)
        rc = lfail(&L, ev.start_mark, "anchors (&%s) are not supported",
                   (const char *)ev.data.scalar.anchor);
      else
        rc = load_scalar(&L, &ev);
      break;
    case YAML_SEQUENCE_START_EVENT:
      rc = load_collection_start(&L, &ev, 0);
      break;
    case YAML_MAPPING_START_EVENT:
      rc = load_collection_start(&L, &ev, 1);
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      if (L.depth > 0) { /* libyaml balances these; stay safe anyway */
        L.depth--;
        json_decref(L.stack[L.depth].key);
        L.stack[L.depth].key = NULL;
      }
      break;
    default: break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&p);
  for (int i = 0; i < L.depth; i++) json_decref(L.stack[i].key);
  if (rc) {
    json_decref(L.root);
    return NULL;
  }
  return L.root ? L.root : json_null();
}

/* ================================================================ emitter */

/* What follows transcribes PyYAML 6's emitter.py for the events
 * safe_dump produces from JSON data (no anchors, no explicit tags, block
 * style, empty collections in flow style).  Names and the state flags
 * (column, whitespace, indention, open_ended, contexts) follow the
 * Python code so the two can be compared line by line. */

#define BEST_INDENT 2
#define BEST_WIDTH 80
#define NONE_CH UINT32_MAX

typedef struct {
  sbuf out;
  int indent; /* -1 is Python's None */
  int flow_level;
  size_t column;
  int whitespace, indention, open_ended;
  int root_context, sequence_context, mapping_context, simple_key_context;
  uint32_t *cpbuf; /* code points of the scalar being written (reused) */
  size_t cpcap;
} emitter;

typedef struct {
  uint32_t *cp; /* the scalar's text as code points */
  size_t n;
  const char *text; /* UTF-8, for the resolver */
  size_t text_len;
  rtag tag;
  int implicit0, implicit1;
} scalar;

typedef struct {
  int empty, multiline;
  int allow_flow_plain, allow_block_plain, allow_single_quoted;
  int allow_double_quoted, allow_block;
} analysis;

enum { STYLE_PLAIN, STYLE_SINGLE, STYLE_DOUBLE };

static int is_break(uint32_t ch) {
  return ch == '\n' || ch == 0x85 || ch == 0x2028 || ch == 0x2029;
}

/* '\0 \t\r\n\x85\u2028\u2029' */
static int is_ws_or_break(uint32_t ch) {
  return ch == 0 || ch == ' ' || ch == '\t' || ch == '\r' || is_break(ch);
}

static void put_cp(emitter *e, uint32_t c) {
  char b[4];
  size_t k = 0;
  if (c < 0x80) {
    b[k++] = (char)c;
  } else if (c < 0x800) {
    b[k++] = (char)(0xC0 | (c >> 6));
    b[k++] = (char)(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    b[k++] = (char)(0xE0 | (c >> 12));
    b[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
    b[k++] = (char)(0x80 | (c & 0x3F));
  } else {
    b[k++] = (char)(0xF0 | (c >> 18));
    b[k++] = (char)(0x80 | ((c >> 12) & 0x3F));
    b[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
    b[k++] = (char)(0x80 | (c & 0x3F));
  }
  sb_add(&e->out, b, k);
}

/* text[start:end] written, column advanced by its length. */
static void write_range(emitter *e, const uint32_t *t, size_t start,
                        size_t end) {
  for (size_t i = start; i < end; i++) put_cp(e, t[i]);
  e->column += end - start;
}

static void write_data(emitter *e, const char *s) {
  sb_puts(&e->out, s);
  e->column += strlen(s);
}

static void write_indicator(emitter *e, const char *ind, int need_whitespace,
                            int whitespace, int indention) {
  if (!e->whitespace && need_whitespace) write_data(e, " ");
  write_data(e, ind);
  e->whitespace = whitespace;
  e->indention = e->indention && indention;
  e->open_ended = 0;
}

static void write_line_break(emitter *e, uint32_t br) {
  put_cp(e, br == NONE_CH ? '\n' : br);
  e->whitespace = 1;
  e->indention = 1;
  e->column = 0;
}

static void write_indent(emitter *e) {
  size_t indent = e->indent < 0 ? 0 : (size_t)e->indent;
  if (!e->indention || e->column > indent ||
      (e->column == indent && !e->whitespace))
    write_line_break(e, NONE_CH);
  if (e->column < indent) {
    e->whitespace = 1;
    while (e->column < indent) write_data(e, " ");
  }
}

static analysis analyze_scalar(const scalar *sc) {
  analysis a = {0};
  const uint32_t *s = sc->cp;
  size_t n = sc->n;
  if (n == 0) {
    a.empty = 1;
    a.allow_block_plain = a.allow_single_quoted = a.allow_double_quoted = 1;
    return a;
  }
  int block_indicators = 0, flow_indicators = 0, line_breaks = 0;
  int special_characters = 0;
  int leading_space = 0, leading_break = 0, trailing_space = 0;
  int trailing_break = 0, break_space = 0, space_break = 0;
  if (n >= 3 && ((s[0] == '-' && s[1] == '-' && s[2] == '-') ||
                 (s[0] == '.' && s[1] == '.' && s[2] == '.')))
    block_indicators = flow_indicators = 1;
  int preceded_by_whitespace = 1;
  int followed_by_whitespace = n == 1 || is_ws_or_break(s[1]);
  int previous_space = 0, previous_break = 0;
  for (size_t index = 0; index < n;) {
    uint32_t ch = s[index];
    if (index == 0) {
      if (ch < 0x80 && ch && strchr("#,[]{}&*!|>'\"%@`", (int)ch))
        flow_indicators = block_indicators = 1;
      if (ch == '?' || ch == ':') {
        flow_indicators = 1;
        if (followed_by_whitespace) block_indicators = 1;
      }
      if (ch == '-' && followed_by_whitespace)
        flow_indicators = block_indicators = 1;
    } else {
      if (ch < 0x80 && ch && strchr(",?[]{}", (int)ch)) flow_indicators = 1;
      if (ch == ':') {
        flow_indicators = 1;
        if (followed_by_whitespace) block_indicators = 1;
      }
      if (ch == '#' && preceded_by_whitespace)
        flow_indicators = block_indicators = 1;
    }
    if (is_break(ch)) line_breaks = 1;
    /* allow_unicode=False: every non-ASCII character is "special". */
    if (!(ch == '\n' || (ch >= 0x20 && ch <= 0x7E))) special_characters = 1;
    if (ch == ' ') {
      if (index == 0) leading_space = 1;
      if (index == n - 1) trailing_space = 1;
      if (previous_break) break_space = 1;
      previous_space = 1;
      previous_break = 0;
    } else if (is_break(ch)) {
      if (index == 0) leading_break = 1;
      if (index == n - 1) trailing_break = 1;
      if (previous_space) space_break = 1;
      previous_space = 0;
      previous_break = 1;
    } else {
      previous_space = previous_break = 0;
    }
    index++;
    preceded_by_whitespace = is_ws_or_break(ch);
    followed_by_whitespace = index + 1 >= n || is_ws_or_break(s[index + 1]);
  }
  a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = 1;
  a.allow_double_quoted = a.allow_block = 1;
  if (leading_space || leading_break || trailing_space || trailing_break)
    a.allow_flow_plain = a.allow_block_plain = 0;
  if (trailing_space) a.allow_block = 0;
  if (break_space)
    a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = 0;
  if (space_break || special_characters)
    a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted =
        a.allow_block = 0;
  if (line_breaks) a.allow_flow_plain = a.allow_block_plain = 0;
  if (flow_indicators) a.allow_flow_plain = 0;
  if (block_indicators) a.allow_block_plain = 0;
  a.multiline = line_breaks;
  return a;
}

/* choose_scalar_style() for a representer event (style None). */
static int choose_scalar_style(const emitter *e, const scalar *sc,
                               const analysis *a) {
  if (sc->implicit0) {
    if (!(e->simple_key_context && (a->empty || a->multiline)) &&
        ((e->flow_level && a->allow_flow_plain) ||
         (!e->flow_level && a->allow_block_plain)))
      return STYLE_PLAIN;
  }
  if (a->allow_single_quoted && !(e->simple_key_context && a->multiline))
    return STYLE_SINGLE;
  return STYLE_DOUBLE;
}

static void write_plain(emitter *e, const uint32_t *t, size_t n, int split) {
  if (e->root_context) e->open_ended = 1;
  if (n == 0) return;
  if (!e->whitespace) write_data(e, " ");
  e->whitespace = 0;
  e->indention = 0;
  int spaces = 0, breaks = 0;
  size_t start = 0, end = 0;
  while (end <= n) {
    uint32_t ch = end < n ? t[end] : NONE_CH;
    if (spaces) {
      if (ch != ' ') {
        if (start + 1 == end && e->column > BEST_WIDTH && split) {
          write_indent(e);
          e->whitespace = 0;
          e->indention = 0;
        } else {
          write_range(e, t, start, end);
        }
        start = end;
      }
    } else if (breaks) {
      /* Unreachable for safe_dump (multiline scalars are never plain);
       * kept to mirror the Python code. */
      if (ch == NONE_CH || !is_break(ch)) {
        if (t[start] == '\n') write_line_break(e, NONE_CH);
        for (size_t i = start; i < end; i++)
          write_line_break(e, t[i] == '\n' ? NONE_CH : t[i]);
        write_indent(e);
        e->whitespace = 0;
        e->indention = 0;
        start = end;
      }
    } else {
      if (ch == NONE_CH || ch == ' ' || is_break(ch)) {
        write_range(e, t, start, end);
        start = end;
      }
    }
    if (ch != NONE_CH) {
      spaces = ch == ' ';
      breaks = is_break(ch);
    }
    end++;
  }
}

static void write_single_quoted(emitter *e, const uint32_t *t, size_t n,
                                int split) {
  write_indicator(e, "'", 1, 0, 0);
  int spaces = 0, breaks = 0;
  size_t start = 0, end = 0;
  while (end <= n) {
    uint32_t ch = end < n ? t[end] : NONE_CH;
    if (spaces) {
      if (ch == NONE_CH || ch != ' ') {
        if (start + 1 == end && e->column > BEST_WIDTH && split &&
            start != 0 && end != n)
          write_indent(e);
        else
          write_range(e, t, start, end);
        start = end;
      }
    } else if (breaks) {
      if (ch == NONE_CH || !is_break(ch)) {
        if (t[start] == '\n') write_line_break(e, NONE_CH);
        for (size_t i = start; i < end; i++)
          write_line_break(e, t[i] == '\n' ? NONE_CH : t[i]);
        write_indent(e);
        start = end;
      }
    } else {
      if (ch == NONE_CH || ch == ' ' || is_break(ch) || ch == '\'') {
        if (start < end) {
          write_range(e, t, start, end);
          start = end;
        }
      }
    }
    if (ch == '\'') {
      write_data(e, "''");
      start = end + 1;
    }
    if (ch != NONE_CH) {
      spaces = ch == ' ';
      breaks = is_break(ch);
    }
    end++;
  }
  write_indicator(e, "'", 0, 0, 0);
}

static const char *escape_replacement(uint32_t ch) {
  switch (ch) {
  case 0: return "0";
  case 0x07: return "a";
  case 0x08: return "b";
  case 0x09: return "t";
  case 0x0A: return "n";
  case 0x0B: return "v";
  case 0x0C: return "f";
  case 0x0D: return "r";
  case 0x1B: return "e";
  case '"': return "\"";
  case '\\': return "\\";
  case 0x85: return "N";
  case 0xA0: return "_";
  case 0x2028: return "L";
  case 0x2029: return "P";
  default: return NULL;
  }
}

static void write_double_quoted(emitter *e, const uint32_t *t, size_t n,
                                int split) {
  write_indicator(e, "\"", 1, 0, 0);
  size_t start = 0, end = 0;
  while (end <= n) {
    uint32_t ch = end < n ? t[end] : NONE_CH;
    if (ch == NONE_CH || ch == '"' || ch == '\\' || ch == 0x85 ||
        ch == 0x2028 || ch == 0x2029 || ch == 0xFEFF ||
        !(ch >= 0x20 && ch <= 0x7E)) {
      if (start < end) {
        write_range(e, t, start, end);
        start = end;
      }
      if (ch != NONE_CH) {
        char data[16];
        const char *r = escape_replacement(ch);
        if (r)
          snprintf(data, sizeof data, "\\%s", r);
        else if (ch <= 0xFF)
          snprintf(data, sizeof data, "\\x%02X", (unsigned)ch);
        else if (ch <= 0xFFFF)
          snprintf(data, sizeof data, "\\u%04X", (unsigned)ch);
        else
          snprintf(data, sizeof data, "\\U%08X", (unsigned)ch);
        write_data(e, data);
        start = end + 1;
      }
    }
    /* After an escape start is end+1, so Python's end-start is -1. */
    if (0 < end && end + 1 < n && (ch == ' ' || start >= end) &&
        (long)e->column + (long)end - (long)start > BEST_WIDTH && split) {
      if (start < end) {
        write_range(e, t, start, end);
        start = end;
      }
      write_data(e, "\\");
      write_indent(e);
      e->whitespace = 0;
      e->indention = 0;
      if (t[start] == ' ') write_data(e, "\\");
    }
    end++;
  }
  write_indicator(e, "\"", 0, 0, 0);
}

/* Decode UTF-8 into e->cpbuf (invalid bytes map to themselves; jansson
 * strings are always valid).  Returns the count, or -1 on OOM. */
static long decode_utf8(emitter *e, const char *s, size_t len) {
  if (len + 1 > e->cpcap) {
    size_t cap = e->cpcap ? e->cpcap : 64;
    while (cap < len + 1) cap *= 2;
    uint32_t *nb = realloc(e->cpbuf, cap * sizeof *nb);
    if (!nb) return -1;
    e->cpbuf = nb;
    e->cpcap = cap;
  }
  uint32_t *cp = e->cpbuf;
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, n = 0;
  while (i < len) {
    unsigned c = u[i];
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    if (c < 0xC0 || c >= 0xF8 || i + extra >= len) {
      cp[n++] = c;
      i++;
      continue;
    }
    uint32_t v = c & (0x3F >> extra);
    int ok = 1;
    for (int k = 1; k <= extra; k++) {
      if ((u[i + k] & 0xC0) != 0x80) ok = 0;
      v = (v << 6) | (u[i + k] & 0x3F);
    }
    if (!ok) {
      cp[n++] = c;
      i++;
      continue;
    }
    cp[n++] = v;
    i += extra + 1;
  }
  return (long)n;
}

/* Serializer: the implicit flags for a scalar of this text and tag, and
 * its code points (valid until the next scalar is made). */
static int make_scalar(emitter *e, const char *text, size_t len, rtag tag,
                       scalar *sc) {
  memset(sc, 0, sizeof *sc);
  sc->text = text;
  sc->text_len = len;
  sc->tag = tag;
  sc->implicit0 = resolve_plain(text, len) == tag;
  sc->implicit1 = tag == T_STR;
  long n = decode_utf8(e, text, len);
  if (n < 0) return -1;
  sc->cp = e->cpbuf;
  sc->n = (size_t)n;
  return 0;
}

/* Representer: the text and tag SafeRepresenter gives a JSON scalar
 * (buf holds the text of non-strings). */
static int value_scalar(emitter *e, const json_t *v, char *buf, size_t bufsz,
                        scalar *sc) {
  rtag tag;
  switch (json_typeof(v)) {
  case JSON_STRING:
    return make_scalar(e, json_string_value(v), json_string_length(v), T_STR,
                       sc);
  case JSON_INTEGER:
    snprintf(buf, bufsz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    tag = T_INT;
    break;
  case JSON_REAL: {
    double d = json_real_value(v);
    if (isnan(d)) {
      snprintf(buf, bufsz, ".nan");
    } else if (isinf(d)) {
      snprintf(buf, bufsz, d > 0 ? ".inf" : "-.inf");
    } else {
      /* repr(data).lower(), with ".0" put before a bare exponent. */
      char r[CK_JSON_DOUBLE_BUFSZ];
      ck_json_format_double(d, r, sizeof r);
      char *ex = strchr(r, 'e');
      if (ex && !strchr(r, '.'))
        snprintf(buf, bufsz, "%.*s.0%s", (int)(ex - r), r, ex);
      else
        snprintf(buf, bufsz, "%s", r);
    }
    tag = T_FLOAT;
    break;
  }
  case JSON_TRUE:
    snprintf(buf, bufsz, "true");
    tag = T_BOOL;
    break;
  case JSON_FALSE:
    snprintf(buf, bufsz, "false");
    tag = T_BOOL;
    break;
  default:
    snprintf(buf, bufsz, "null");
    tag = T_NULL;
    break;
  }
  return make_scalar(e, buf, strlen(buf), tag, sc);
}

static void expect_node(emitter *e, const json_t *v, int root, int sequence,
                        int mapping, int simple_key);

/* process_tag + expect_scalar + process_scalar. */
static void emit_scalar(emitter *e, const scalar *sc) {
  analysis a = analyze_scalar(sc);
  int style = choose_scalar_style(e, sc, &a);
  if (!((style == STYLE_PLAIN && sc->implicit0) ||
        (style != STYLE_PLAIN && sc->implicit1))) {
    /* Never happens for JSON data (non-str scalars are always plain), but
     * this is what PyYAML would print. */
    char tag[16];
    snprintf(tag, sizeof tag, "!!%s", tag_name(sc->tag));
    write_indicator(e, tag, 1, 0, 0);
  }
  int saved = e->indent;
  e->indent = e->indent < 0 ? BEST_INDENT : e->indent + BEST_INDENT;
  int split = !e->simple_key_context;
  if (style == STYLE_DOUBLE)
    write_double_quoted(e, sc->cp, sc->n, split);
  else if (style == STYLE_SINGLE)
    write_single_quoted(e, sc->cp, sc->n, split);
  else
    write_plain(e, sc->cp, sc->n, split);
  e->indent = saved;
}

static void set_context(emitter *e, int root, int sequence, int mapping,
                        int simple_key) {
  e->root_context = root;
  e->sequence_context = sequence;
  e->mapping_context = mapping;
  e->simple_key_context = simple_key;
}

typedef struct {
  const char *key;
  size_t len;
  json_t *val;
} kv;

static int kv_cmp(const void *a, const void *b) {
  const kv *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->key, y->key, n);
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

static void emit_block_mapping(emitter *e, const json_t *obj) {
  size_t n = json_object_size(obj);
  kv *items = malloc(n * sizeof *items);
  if (!items) {
    e->out.oom = 1;
    return;
  }
  size_t k = 0;
  json_t *o = (json_t *)obj; /* iteration does not modify it */
  for (void *it = json_object_iter(o); it && k < n;
       it = json_object_iter_next(o, it)) {
    items[k].key = json_object_iter_key(it);
    items[k].len = json_object_iter_key_len(it);
    items[k].val = json_object_iter_value(it);
    k++;
  }
  qsort(items, k, sizeof *items, kv_cmp); /* sort_keys=True */
  int saved = e->indent;
  e->indent = e->indent < 0 ? 0 : e->indent + BEST_INDENT;
  for (size_t i = 0; i < k && !e->out.oom; i++) {
    write_indent(e);
    scalar sc;
    if (make_scalar(e, items[i].key, items[i].len, T_STR, &sc)) {
      e->out.oom = 1;
      break;
    }
    /* check_simple_key(): len('!!str') + len(value) < 128, one line. */
    analysis a = analyze_scalar(&sc);
    if (5 + sc.n < 128 && !a.empty && !a.multiline) {
      set_context(e, 0, 0, 1, 1);
      emit_scalar(e, &sc);
      write_indicator(e, ":", 0, 0, 0);
    } else {
      write_indicator(e, "?", 1, 0, 1);
      set_context(e, 0, 0, 1, 0);
      emit_scalar(e, &sc);
      write_indent(e);
      write_indicator(e, ":", 1, 0, 1);
    }
    expect_node(e, items[i].val, 0, 0, 1, 0);
  }
  e->indent = saved;
  free(items);
}

static void emit_block_sequence(emitter *e, const json_t *arr) {
  int indentless = e->mapping_context && !e->indention;
  int saved = e->indent;
  if (e->indent < 0)
    e->indent = 0;
  else if (!indentless)
    e->indent += BEST_INDENT;
  size_t n = json_array_size(arr);
  for (size_t i = 0; i < n && !e->out.oom; i++) {
    write_indent(e);
    write_indicator(e, "-", 1, 0, 1);
    expect_node(e, json_array_get(arr, i), 0, 1, 0, 0);
  }
  e->indent = saved;
}

static void expect_node(emitter *e, const json_t *v, int root, int sequence,
                        int mapping, int simple_key) {
  set_context(e, root, sequence, mapping, simple_key);
  if (json_is_object(v) || json_is_array(v)) {
    int is_map = json_is_object(v);
    size_t n = is_map ? json_object_size(v) : json_array_size(v);
    if (e->flow_level || n == 0) {
      /* Only empty collections get here: "{}" / "[]". */
      write_indicator(e, is_map ? "{" : "[", 1, 1, 0);
      write_indicator(e, is_map ? "}" : "]", 0, 0, 0);
    } else if (is_map) {
      emit_block_mapping(e, v);
    } else {
      emit_block_sequence(e, v);
    }
    return;
  }
  scalar sc;
  char buf[CK_JSON_DOUBLE_BUFSZ + 8];
  if (value_scalar(e, v, buf, sizeof buf, &sc)) {
    e->out.oom = 1;
    return;
  }
  emit_scalar(e, &sc);
}

char *ck_yaml_dump(const json_t *v, ck_error *err) {
  emitter e;
  memset(&e, 0, sizeof e);
  e.indent = -1;
  e.whitespace = 1;
  e.indention = 1;
  json_t *null_value = NULL;
  if (!v) v = null_value = json_null();
  /* Implicit document start; root node; document end; stream end. */
  expect_node(&e, v, 1, 0, 0, 0);
  write_indent(&e);
  if (e.open_ended) {
    write_indicator(&e, "...", 1, 0, 0);
    write_indent(&e);
  }
  json_decref(null_value);
  free(e.cpbuf);
  if (e.out.oom || !e.out.p) {
    free(e.out.p);
    ck_fail(err, "yaml", "out of memory while writing YAML");
    return NULL;
  }
  return e.out.p;
}
