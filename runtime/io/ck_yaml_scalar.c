/* ck_yaml_scalar.c - PyYAML's implicit resolver and scalar constructors
 * (YAML 1.1 regexes transcribed as small matchers), see ck_yaml_scalar.h.
 */
#include "ck_yaml_scalar.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================== resolver */

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
ck_yaml_tag ck_yaml_resolve_plain(const char *s, size_t n) {
  if (match_null(s, n)) return CK_YT_NULL;
  if (match_bool(s, n)) return CK_YT_BOOL;
  if (match_float(s, n)) return CK_YT_FLOAT;
  if (match_int(s, n)) return CK_YT_INT;
  if (is_lit(s, n, "<<")) return CK_YT_MERGE;
  if (is_lit(s, n, "=")) return CK_YT_VALUE;
  if (match_timestamp(s, n)) return CK_YT_TIMESTAMP;
  return CK_YT_STR;
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
int ck_yaml_construct_int(const char *s, size_t n, json_int_t *out) {
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
int ck_yaml_construct_float(const char *s, size_t n, double *out) {
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

const char *ck_yaml_tag_name(ck_yaml_tag t) {
  switch (t) {
  case CK_YT_BOOL: return "bool";
  case CK_YT_FLOAT: return "float";
  case CK_YT_INT: return "int";
  case CK_YT_NULL: return "null";
  default: return "str";
  }
}
