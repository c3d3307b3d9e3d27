/* ck_yaml_dump.c - yaml.safe_dump, byte for byte: a transcription of
 * PyYAML's Emitter for the block style that safe_dump uses.
 *
 * Converted configs leave the pipeline here (metadata.yaml).
 */
#include "ck_yaml.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ck_buf.h"
#include "ck_json_out.h"
#include "ck_yaml_scalar.h"

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
  ck_buf out;
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
  ck_yaml_tag tag;
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
  ck_buf_add(&e->out, b, k);
}

/* text[start:end] written, column advanced by its length. */
static void write_range(emitter *e, const uint32_t *t, size_t start,
                        size_t end) {
  for (size_t i = start; i < end; i++) put_cp(e, t[i]);
  e->column += end - start;
}

static void write_data(emitter *e, const char *s) {
  ck_buf_puts(&e->out, s);
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
static int make_scalar(emitter *e, const char *text, size_t len, ck_yaml_tag tag,
                       scalar *sc) {
  memset(sc, 0, sizeof *sc);
  sc->text = text;
  sc->text_len = len;
  sc->tag = tag;
  sc->implicit0 = ck_yaml_resolve_plain(text, len) == tag;
  sc->implicit1 = tag == CK_YT_STR;
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
  ck_yaml_tag tag;
  switch (json_typeof(v)) {
  case JSON_STRING:
    return make_scalar(e, json_string_value(v), json_string_length(v), CK_YT_STR,
                       sc);
  case JSON_INTEGER:
    snprintf(buf, bufsz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    tag = CK_YT_INT;
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
    tag = CK_YT_FLOAT;
    break;
  }
  case JSON_TRUE:
    snprintf(buf, bufsz, "true");
    tag = CK_YT_BOOL;
    break;
  case JSON_FALSE:
    snprintf(buf, bufsz, "false");
    tag = CK_YT_BOOL;
    break;
  default:
    snprintf(buf, bufsz, "null");
    tag = CK_YT_NULL;
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
    snprintf(tag, sizeof tag, "!!%s", ck_yaml_tag_name(sc->tag));
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


static void emit_block_mapping(emitter *e, const json_t *obj) {
  size_t k;
  ck_json_item *items = ck_json_items(obj, 1, &k); /* sort_keys=True */
  if (!items) {
    e->out.oom = 1;
    return;
  }
  int saved = e->indent;
  e->indent = e->indent < 0 ? 0 : e->indent + BEST_INDENT;
  for (size_t i = 0; i < k && !e->out.oom; i++) {
    write_indent(e);
    scalar sc;
    if (make_scalar(e, items[i].key, items[i].len, CK_YT_STR, &sc)) {
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
    ck_fail(err, CK_STAGE_YAML, "out of memory while writing YAML");
    return NULL;
  }
  return e.out.p;
}
