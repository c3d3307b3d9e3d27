/* ck_yaml_scalar.h - how PyYAML's SafeLoader resolves and constructs a
 * plain scalar (YAML 1.1).  Shared by the loader (ck_yaml_load.c), which
 * types what it reads, and the dumper (ck_yaml_dump.c), which must quote
 * a string exactly when reading it back would resolve it otherwise.
 * Internal to runtime/io. */
#ifndef CK_YAML_SCALAR_H
#define CK_YAML_SCALAR_H

#include <stddef.h>

#include <jansson.h>

/* Implicit tags of PyYAML's Resolver (YAML 1.1), in the order they are
 * registered; the regexes are mutually exclusive, so order only matters
 * for documentation. */
typedef enum {
  CK_YT_STR,
  CK_YT_BOOL,
  CK_YT_FLOAT,
  CK_YT_INT,
  CK_YT_MERGE,
  CK_YT_NULL,
  CK_YT_TIMESTAMP,
  CK_YT_VALUE
} ck_yaml_tag;

/* The implicit tag of plain scalar s[0..n). */
ck_yaml_tag ck_yaml_resolve_plain(const char *s, size_t n);
/* Results of the constructors: the loader words the message. */
enum { C_OK = 0, C_BAD = -1, C_RANGE = -2, C_NONFINITE = -3, C_OOM = -4 };
/* SafeConstructor's int / float of s[0..n): C_OK, or why not. */
int ck_yaml_construct_int(const char *s, size_t n, json_int_t *out);
int ck_yaml_construct_float(const char *s, size_t n, double *out);
/* "bool", "float", "int", "null" or "str". */
const char *ck_yaml_tag_name(ck_yaml_tag t);

#endif
