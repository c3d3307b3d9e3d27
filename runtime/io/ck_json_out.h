/* ck_json_out.h - JSON text exactly as Python's json.dumps prints it.
 *
 * Every JSON file ckconv writes (converted configs, reports) is compared
 * byte-for-byte with files produced by Python, so this is the only JSON
 * printer of the runtime.  It also owns the Python float repr, which the
 * YAML dumper (ck_yaml_dump.c) and error messages reuse.
 */
#ifndef CK_JSON_OUT_H
#define CK_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "ck_error.h"

/* Big enough for any ck_json_format_double() output plus the NUL. */
#define CK_JSON_DOUBLE_BUFSZ 32

/* Python's json.dumps(v, indent=indent, sort_keys=bool(sort_keys)) with
 * ensure_ascii=True.  indent < 0 means indent=None (one line, separators
 * ", " and ": "); indent >= 0 puts every item on its own line, indented by
 * `indent` spaces per level, with separators "," and ": ".  No trailing
 * newline.  Returns a malloc'd string the caller frees, NULL on OOM. */
char *ck_json_dumps_py(const json_t *v, int indent, int sort_keys);

/* ck_json_dumps_py() written to f (no newline added).  Returns 0, or -1
 * with err set (stage "json") on OOM or a write error. */
int ck_json_write_py(FILE *f, const json_t *v, int indent, int sort_keys,
                     ck_error *err);

/* Python's repr(d) for finite d: the shortest digit string that reads
 * back as d, positional for decimal exponents -4..15 (always with a '.',
 * e.g. "10000.0", "0.0001"), else scientific ("1e-05", "1.5e+16").  Non-
 * finite values use json.dumps' spellings "Infinity", "-Infinity", "NaN"
 * (repr would say inf/nan).  Writes a NUL-terminated string into buf and
 * returns its length, or -1 if n is too small (CK_JSON_DOUBLE_BUFSZ is
 * always enough). */
int ck_json_format_double(double d, char *buf, size_t n);

/* The members of a JSON object, in insertion order or sorted as Python
 * sorts str keys (by code point); a malloc'd array the caller frees, NULL
 * on OOM.  The keys and values are borrowed from obj. */
typedef struct ck_json_item {
  const char *key;
  size_t len;
  json_t *val;
} ck_json_item;
ck_json_item *ck_json_items(const json_t *obj, int sorted, size_t *n);

#endif
