/* ck_yaml.h - YAML in and out, behaving like PyYAML's safe_load/safe_dump.
 *
 * Fast-LLM configs are YAML; ckconv reads them into jansson values at the
 * start of the pipeline and writes converted configs back at the end.
 * Reading resolves plain scalars as PyYAML's SafeLoader (YAML 1.1) does;
 * writing reproduces yaml.safe_dump(v) (PyYAML 6 defaults) byte for byte.
 */
#ifndef CK_YAML_H
#define CK_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "ck_error.h"

/* Deepest nesting of mappings/sequences ck_yaml_load accepts. */
#define CK_YAML_MAX_DEPTH 64

/* Parse one YAML document (len bytes of UTF-8 text; NUL not required)
 * into a new json_t reference the caller owns; an empty stream gives
 * json null, as safe_load gives None.  Plain scalars resolve as PyYAML's
 * SafeLoader: null/~/empty -> null, yes/no/on/off/true/false (3 casings)
 * -> bool, YAML 1.1 ints (incl. 0x, 0b, leading-0 octal, base 60) ->
 * integer, floats only with a '.' (1.0e-05, .5, 1., base 60) -> real,
 * anything else -> string; quoted scalars are strings.  Mapping keys that
 * resolve to non-strings become the string json.dumps would print for
 * them (1 -> "1", 1.5 -> "1.5", true -> "true", null -> "null", .inf ->
 * "Infinity"); a repeated key keeps its first position and last value.
 * Rejected with an error (stage "yaml", message "name:line:column: ..."):
 * syntax errors, aliases and anchors, more than one document, nesting
 * deeper than CK_YAML_MAX_DEPTH, non-scalar keys, merge keys (<<),
 * timestamps, .inf/.nan as values (jansson holds finite reals only),
 * NUL characters ("\0" escapes: keys and strings are C strings),
 * integers outside 64 bits, and tags other than the standard !!str,
 * !!int, !!float, !!bool, !!null, !!map, !!seq.  name is used in messages
 * only (NULL -> "<string>").  Returns NULL on error. */
json_t *ck_yaml_load(const char *text, size_t len, const char *name,
                     ck_error *err);

/* yaml.safe_dump(v): block style, keys sorted by code point, indent 2,
 * width 80, ASCII-only output (non-ASCII is escaped in double quotes),
 * a top-level plain scalar followed by "...".  Returns a malloc'd string
 * the caller frees, or NULL with err set (stage "yaml") on OOM. */
char *ck_yaml_dump(const json_t *v, ck_error *err);

#endif
