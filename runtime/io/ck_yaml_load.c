/* ck_yaml_load.c - PyYAML-compatible YAML loading: libyaml events ->
 * jansson values, scalars resolved as SafeLoader does.
 *
 * Config files (metadata.yaml, Fast-LLM configs) enter the pipeline
 * here; what is accepted and refused is listed in ck_yaml.h.
 */
#include "ck_yaml.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ck_json_out.h"
#include "ck_yaml_scalar.h"

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
  return ck_fail(L->err, CK_STAGE_YAML, "%s:%zu:%zu: %s", L->name, m.line + 1,
                 m.column + 1, msg);
}

/* At most 40 bytes of a scalar for messages. */
#define SHOWN(n) ((int)((n) > 40 ? 40 : (n)))

/* Turn libyaml's parser error into a located message. */
static int parser_fail(loader *L, const yaml_parser_t *p) {
  if (p->error == YAML_MEMORY_ERROR)
    return ck_fail_at(L->err, CK_STAGE_YAML, (ck_about){.file = L->name},
                      "%s: out of memory while parsing YAML", L->name);
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
  ck_yaml_tag t;
  if (!tag) {
    t = ev->data.scalar.plain_implicit ? ck_yaml_resolve_plain(s, n) : CK_YT_STR;
  } else if (strcmp(tag, "!") == 0) {
    t = ck_yaml_resolve_plain(s, n);
  } else if (strcmp(tag, "tag:yaml.org,2002:str") == 0) {
    t = CK_YT_STR;
  } else if (strcmp(tag, "tag:yaml.org,2002:int") == 0) {
    t = CK_YT_INT;
  } else if (strcmp(tag, "tag:yaml.org,2002:float") == 0) {
    t = CK_YT_FLOAT;
  } else if (strcmp(tag, "tag:yaml.org,2002:bool") == 0) {
    t = CK_YT_BOOL;
  } else if (strcmp(tag, "tag:yaml.org,2002:null") == 0) {
    t = CK_YT_NULL;
  } else {
    return lfail(L, m, "unsupported tag '%s' (only !!str, !!int, !!float, "
                 "!!bool, !!null, !!map and !!seq are allowed)", tag);
  }
  json_t *v = NULL;
  switch (t) {
  case CK_YT_NULL: v = json_null(); break;
  case CK_YT_BOOL: {
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
  case CK_YT_INT: {
    json_int_t iv = 0;
    int rc = ck_yaml_construct_int(s, n, &iv);
    if (rc == C_OOM) return lfail(L, m, "out of memory");
    if (rc == C_RANGE)
      return lfail(L, m, "integer '%.*s' does not fit in 64 bits", SHOWN(n),
                   s);
    if (rc != C_OK)
      return lfail(L, m, "expected an integer, found '%.*s'", SHOWN(n), s);
    v = json_integer(iv);
    break;
  }
  case CK_YT_FLOAT: {
    double d = 0;
    int rc = ck_yaml_construct_float(s, n, &d);
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
  case CK_YT_MERGE:
    if (key)
      return lfail(L, m, "merge keys (<<) are not supported; write the "
                   "entries out or quote the key");
    return lfail(L, m, "'<<' resolves to the YAML merge tag and cannot be "
                 "a value (PyYAML rejects it too); quote it");
  case CK_YT_VALUE:
    if (!key)
      return lfail(L, m, "'=' resolves to the YAML value tag and cannot be "
                   "a value (PyYAML rejects it too); quote it");
    v = json_string("=");
    break;
  case CK_YT_TIMESTAMP:
    return lfail(L, m, "'%.*s' is a YAML timestamp (PyYAML would load a "
                 "date/datetime, which has no JSON form); quote it",
                 SHOWN(n), s);
  case CK_YT_STR:
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
    ck_fail_at(err, CK_STAGE_YAML, (ck_about){.file = L.name},
               "%s: out of memory while parsing YAML", L.name);
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
