/* ast.c - arena, AST constructors and diagnostics for the .conv front end.
 *
 * The arena owns every node and string of one compilation; nothing in the
 * tree is freed on its own.  Diagnostics print `file:line:col: error: msg`
 * followed by the offending source line and a caret, and count errors so
 * that a phase can finish and report several problems in one run.
 */
#include "ast.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- arena */

typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  unsigned char data[];
} chunk;

struct ck_arena {
  chunk *head;
};

ck_arena *ck_arena_new(void) {
  ck_arena *a = calloc(1, sizeof *a);
  if (!a) abort();
  return a;
}

void ck_arena_free(ck_arena *a) {
  if (!a) return;
  chunk *c = a->head;
  while (c) {
    chunk *n = c->next;
    free(c);
    c = n;
  }
  free(a);
}

void *ck_arena_alloc(ck_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->head->cap - a->head->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    chunk *c = malloc(sizeof *c + cap);
    if (!c) abort(); /* a compiler out of memory has nothing to recover */
    c->next = a->head;
    c->used = 0;
    c->cap = cap;
    a->head = c;
  }
  void *p = a->head->data + a->head->used;
  a->head->used += n;
  memset(p, 0, n);
  return p;
}

char *ck_arena_strndup(ck_arena *a, const char *s, size_t n) {
  char *p = ck_arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *ck_arena_strdup(ck_arena *a, const char *s) {
  return ck_arena_strndup(a, s, strlen(s));
}

char *ck_arena_printf(ck_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = ck_arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

/* ------------------------------------------------------- constructors */

const ck_node *ck_ast_expect(const ck_node *n, ck_ast_kind kind) {
  assert(!n || n->kind == kind);
  return n;
}

const char *ck_ast_text(const ck_node *n) {
  if (n->kind == AST_STR) return ck_as_str(n)->value;
  return ck_as_ident(n)->name;
}

/* A zeroed node of `kind` (its struct's size) at loc. */
static void *node(ck_arena *a, size_t size, ck_ast_kind kind, ck_loc loc) {
  ck_node *n = ck_arena_alloc(a, size);
  n->kind = kind;
  n->loc = loc;
  return n;
}
#define NODE(name, K, loc) \
  ((ck_##name##_node *)node(a, sizeof(ck_##name##_node), K, loc))

/* The name of an optional IDENT token, or NULL. */
static const char *name_of(const ck_node *ident) {
  return ident ? ck_as_ident(ident)->name : NULL;
}
/* The value of an optional STRING token, or NULL. */
static const char *value_of(const ck_node *str) {
  return str ? ck_as_str(str)->value : NULL;
}

ck_node *ck_ast_ident(ck_arena *a, ck_loc loc, const char *name) {
  ck_ident_node *n = NODE(ident, AST_IDENT, loc);
  n->name = name;
  return &n->h;
}

ck_node *ck_ast_str(ck_arena *a, ck_loc loc, const char *value) {
  ck_str_node *n = NODE(str, AST_STR, loc);
  n->value = value;
  return &n->h;
}

ck_node *ck_ast_int(ck_arena *a, ck_loc loc, long long value) {
  ck_int_node *n = NODE(int, AST_INT, loc);
  n->value = value;
  return &n->h;
}

ck_node *ck_ast_float(ck_arena *a, ck_loc loc, double value,
                      const char *text) {
  ck_float_node *n = NODE(float, AST_FLOAT, loc);
  n->value = value;
  n->text = text;
  return &n->h;
}

/* ---- items */

ck_node *ck_ast_enum(ck_arena *a, ck_loc loc, ck_node *name,
                     ck_node *values) {
  ck_enum_node *n = NODE(enum, AST_ENUM, loc);
  n->name = name_of(name);
  n->values = values;
  return &n->h;
}

ck_node *ck_ast_config(ck_arena *a, ck_loc loc, ck_node *name, ck_node *base,
                       ck_node *dynamic_name, ck_node *mods,
                       ck_node *items) {
  ck_config_node *n = NODE(config, AST_CONFIG, loc);
  n->name = name_of(name);
  n->base = ck_as_ident(base);
  n->dynamic_name = value_of(dynamic_name);
  n->mods = mods;
  n->items = items;
  return &n->h;
}

ck_node *ck_ast_mod(ck_arena *a, ck_loc loc, const char *word, ck_node *arg) {
  ck_mod_node *n = NODE(mod, AST_MOD, loc);
  n->word = word;
  n->arg = ck_as_ident(arg);
  return &n->h;
}

ck_default ck_ast_default(ck_ast_default_kind kind, ck_node *value) {
  return (ck_default){kind, value};
}

ck_node *ck_ast_field(ck_arena *a, ck_loc loc, ck_node *hint, ck_node *name,
                      ck_node *type, ck_node *bound, ck_default dflt) {
  ck_field_node *n = NODE(field, AST_FIELD, loc);
  n->name = name_of(name);
  n->hint = name_of(hint);
  n->type = ck_as_type(type);
  n->bound = ck_as_bound(bound);
  n->dflt = dflt.value;
  n->required = dflt.kind == CK_DEFAULT_REQUIRED;
  n->implicit = dflt.kind == CK_DEFAULT_IMPLICIT;
  n->always = dflt.kind == CK_DEFAULT_ALWAYS;
  return &n->h;
}

ck_node *ck_ast_bound(ck_arena *a, ck_loc loc, const char *op,
                      ck_node *value) {
  ck_bound_node *n = NODE(bound, AST_BOUND, loc);
  n->op = op;
  n->value = value;
  return &n->h;
}

static ck_type_node *type_node(ck_arena *a, ck_loc loc, ck_type_form form,
                               const char *name) {
  ck_type_node *n = NODE(type, AST_TYPE, loc);
  n->form = form;
  n->name = name;
  return n;
}

ck_node *ck_ast_type_named(ck_arena *a, ck_loc loc, ck_node *name) {
  return &type_node(a, loc, CK_TYPE_NAMED, name_of(name))->h;
}

ck_node *ck_ast_type_list(ck_arena *a, ck_loc loc, ck_node *elem) {
  ck_type_node *n = type_node(a, loc, CK_TYPE_LIST, "list");
  n->elem = ck_as_type(elem);
  return &n->h;
}

ck_node *ck_ast_type_dict(ck_arena *a, ck_loc loc, ck_node *key,
                          ck_node *elem) {
  ck_type_node *n = type_node(a, loc, CK_TYPE_DICT, "dict");
  n->key = ck_as_ident(key);
  n->elem = ck_as_type(elem);
  return &n->h;
}

ck_node *ck_ast_type_enum(ck_arena *a, ck_loc loc, ck_node *values) {
  ck_type_node *n = type_node(a, loc, CK_TYPE_ENUM, "enum");
  n->values = values;
  return &n->h;
}

ck_node *ck_ast_type_optional(ck_arena *a, ck_node *type) {
  ck_type_node *n = NODE(type, AST_TYPE, type->loc);
  *n = *ck_as_type(type);
  n->optional = true;
  return &n->h;
}

ck_node *ck_ast_check(ck_arena *a, ck_loc loc, ck_node *cond,
                      ck_node *message) {
  ck_check_node *n = NODE(check, AST_CHECK, loc);
  n->cond = cond;
  n->message = value_of(message);
  return &n->h;
}

static ck_member_node *member(ck_arena *a, ck_loc loc, const char *word,
                              ck_node *name, ck_node *when) {
  ck_member_node *n = NODE(member, AST_MEMBER, loc);
  n->word = word;
  n->name = ck_as_path(name);
  n->when = when;
  return n;
}

ck_node *ck_ast_param(ck_arena *a, ck_loc loc, ck_node *name, ck_node *dims,
                      ck_node *when) {
  ck_member_node *n = member(a, loc, "param", name, when);
  n->dims = dims;
  return &n->h;
}

ck_node *ck_ast_module(ck_arena *a, ck_loc loc, ck_node *name,
                       ck_node *value, ck_node *args, ck_node *when) {
  ck_member_node *n = member(a, loc, "module", name, when);
  n->value = value;
  n->args = args;
  return &n->h;
}

ck_node *ck_ast_repeat(ck_arena *a, ck_loc loc, ck_node *name,
                       ck_node *value, ck_node *args, ck_node *count) {
  ck_member_node *n = member(a, loc, "repeat", name, NULL);
  n->value = value;
  n->args = args;
  n->count = count;
  return &n->h;
}

ck_node *ck_ast_tie(ck_arena *a, ck_loc loc, ck_node *name, ck_node *target,
                    ck_node *when) {
  ck_member_node *n = member(a, loc, "tie", name, when);
  n->target = ck_as_path(target);
  return &n->h;
}

ck_node *ck_ast_seq(ck_arena *a, ck_loc loc, ck_node *block,
                    ck_node *pattern, ck_node *count) {
  ck_seq_node *n = NODE(seq, AST_SEQ, loc);
  n->block = ck_as_ident(block);
  n->pattern = ck_as_ident(pattern);
  n->count = ck_as_ident(count);
  return &n->h;
}

ck_node *ck_ast_section(ck_arena *a, ck_loc loc, ck_node *name, ck_node *cls,
                        ck_node *hf_type, ck_node *entries) {
  ck_section_node *n = NODE(section, AST_SECTION, loc);
  n->name = name_of(name);
  n->cls = name_of(cls);
  n->hf_type = value_of(hf_type);
  n->entries = entries;
  return &n->h;
}

ck_node *ck_ast_section_extends(ck_arena *a, ck_loc loc, ck_node *name,
                                ck_node *parent, ck_node *hf_type,
                                ck_node *narrow, ck_node *entries) {
  ck_section_node *n = NODE(section, AST_SECTION, loc);
  n->name = name_of(name);
  n->extends = true;
  n->parent = name_of(parent);
  n->hf_type = value_of(hf_type);
  n->narrow = ck_as_ident(narrow);
  n->entries = entries;
  return &n->h;
}

ck_node *ck_ast_entry(ck_arena *a, ck_node *label, ck_node *layout,
                      ck_node *decl) {
  ck_entry_node *n = NODE(entry, AST_ENTRY, layout ? layout->loc : decl->loc);
  n->label = ck_as_ident(label);
  n->layout = ck_as_ident(layout);
  n->decl = ck_as_decl(decl);
  return &n->h;
}

/* ---- section declarations */

static ck_decl_node *decl(ck_arena *a, ck_loc loc, const char *word,
                          ck_node *fl, ck_node *hf) {
  ck_decl_node *n = NODE(decl, AST_DECL, loc);
  n->word = word;
  n->fl = fl;
  n->hf = hf;
  return n;
}

ck_node *ck_ast_rename(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                       ck_node *otherwise, ck_node *table) {
  /* with `else` it keeps the word "default" for the rule text */
  ck_decl_node *n = decl(a, loc, otherwise ? "default" : "rename", fl, hf);
  n->value = otherwise;
  n->table = ck_as_ident(table);
  return &n->h;
}

ck_node *ck_ast_rename_present(ck_arena *a, ck_loc loc, ck_node *fl,
                               ck_node *hf, ck_node *when_word) {
  ck_decl_node *n = decl(a, loc, "rename", fl, hf);
  n->when_word = ck_as_ident(when_word);
  return &n->h;
}

ck_node *ck_ast_optional(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                         ck_node *sentinel) {
  ck_decl_node *n = decl(a, loc, "optional", fl, hf);
  n->value = sentinel;
  return &n->h;
}

ck_node *ck_ast_const_import(ck_arena *a, ck_loc loc, ck_node *fl,
                             ck_node *value) {
  ck_decl_node *n = decl(a, loc, "const_import", fl, NULL);
  n->value = value;
  return &n->h;
}

ck_node *ck_ast_const_export(ck_arena *a, ck_loc loc, ck_node *hf,
                             ck_node *value, ck_node *when) {
  ck_decl_node *n = decl(a, loc, "const_export", NULL, hf);
  n->value = value;
  n->when = when;
  return &n->h;
}

ck_node *ck_ast_ignore(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf) {
  return &decl(a, loc, "ignore", fl, hf)->h;
}

ck_node *ck_ast_import_only(ck_arena *a, ck_loc loc, ck_node *fl,
                            ck_node *value, bool recursive, ck_node *hf) {
  ck_decl_node *n = decl(a, loc, "import_only", fl, hf);
  n->value = value;
  n->recursive = recursive;
  return &n->h;
}

ck_node *ck_ast_custom(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hook,
                       bool recursive, ck_node *hf) {
  ck_decl_node *n = decl(a, loc, "custom", fl, hf);
  n->hook = ck_as_ident(hook);
  n->recursive = recursive;
  return &n->h;
}

ck_node *ck_ast_nested(ck_arena *a, ck_loc loc, ck_node *fl,
                       ck_node *section, ck_node *at, bool recursive,
                       ck_node *when_word) {
  ck_decl_node *n = decl(a, loc, "nested", fl, NULL);
  n->section = ck_as_ident(section);
  n->at = ck_as_path(at);
  n->recursive = recursive;
  n->when_word = ck_as_ident(when_word);
  return &n->h;
}

ck_node *ck_ast_dispatch(ck_arena *a, ck_loc loc, const char *word,
                         ck_node *fl, ck_node *at, ck_node *discriminator,
                         ck_node *branches) {
  ck_decl_node *n = decl(a, loc, word, fl, NULL);
  n->at = ck_as_path(at);
  n->discriminator = ck_as_str(discriminator);
  n->branches = branches;
  return &n->h;
}

ck_node *ck_ast_sequence(ck_arena *a, ck_loc loc, ck_node *fl,
                         ck_node *section, ck_node *count) {
  ck_decl_node *n = decl(a, loc, "sequence", fl, count);
  n->section = ck_as_ident(section);
  return &n->h;
}

ck_node *ck_ast_layout(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *names,
                       ck_node *count, ck_node *by, ck_node *branches) {
  ck_decl_node *n = decl(a, loc, "layout", fl, ck_ast_append(names, count));
  n->by = ck_as_path(by);
  n->branches = branches;
  return &n->h;
}

ck_node *ck_ast_layout_expr(ck_arena *a, ck_loc loc, ck_node *fl,
                            ck_node *names, ck_node *count,
                            ck_node *branches) {
  ck_decl_node *n = decl(a, loc, "layout", fl, count);
  n->value = names;
  n->branches = branches;
  return &n->h;
}

ck_node *ck_ast_validate(ck_arena *a, ck_loc loc, ck_node *cond,
                         ck_node *message) {
  ck_decl_node *n = decl(a, loc, "validate", NULL, NULL);
  n->value = cond;
  n->message = ck_as_str(message);
  return &n->h;
}

ck_node *ck_ast_weights(ck_arena *a, ck_loc loc, bool override,
                        ck_node *wdecls) {
  ck_decl_node *n = decl(a, loc, "weights", NULL, NULL);
  n->weights = wdecls;
  n->override = override;
  return &n->h;
}

ck_node *ck_ast_require(ck_arena *a, ck_loc loc, ck_node *cond, ck_node *hf,
                        ck_node *message) {
  ck_decl_node *n = decl(a, loc, "require", NULL, hf);
  n->value = cond;
  n->message = ck_as_str(message);
  return &n->h;
}

/* ---- weight declarations */

static ck_wdecl_node *wdecl(ck_arena *a, ck_loc loc, const char *word,
                            ck_node *fl, ck_node *hf, ck_node *config) {
  ck_wdecl_node *n = NODE(wdecl, AST_WDECL, loc);
  n->word = word;
  n->fl = ck_as_path(fl);
  n->hf = hf;
  n->config = config;
  return n;
}

ck_node *ck_ast_wleaf(ck_arena *a, ck_loc loc, bool linear, ck_node *fl,
                      ck_node *hf, ck_node *count, ck_node *transform,
                      ck_node *params, ck_node *when) {
  ck_wdecl_node *n = wdecl(a, loc, linear ? "linear" : "leaf", fl, hf, NULL);
  n->count = count;
  n->transform = ck_as_ident(transform);
  n->params = params;
  n->when = when;
  return &n->h;
}

ck_node *ck_ast_wnested(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                        ck_node *section, ck_node *config, bool optional,
                        ck_node *when) {
  ck_wdecl_node *n = wdecl(a, loc, "nested", fl, hf, config);
  n->section = ck_as_ident(section);
  n->optional = optional;
  n->when = when;
  return &n->h;
}

ck_node *ck_ast_wsequence(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                          ck_node *section, ck_node *self,
                          ck_node *config) {
  ck_wdecl_node *n = wdecl(a, loc, "sequence", fl, hf, config);
  n->section = ck_as_ident(section);
  n->self = ck_as_self(self) != NULL;
  return &n->h;
}

ck_node *ck_ast_wsequence_dispatch(ck_arena *a, ck_loc loc, ck_node *fl,
                                   ck_node *hf, ck_node *self,
                                   ck_node *config, ck_node *by,
                                   ck_node *branches) {
  ck_wdecl_node *n = wdecl(a, loc, "sequence_dispatch", fl, hf, config);
  n->self = ck_as_self(self) != NULL;
  n->by = ck_as_path(by);
  n->branches = branches;
  return &n->h;
}

ck_node *ck_ast_wrepeat(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                        ck_node *section, ck_node *count, ck_node *config) {
  ck_wdecl_node *n = wdecl(a, loc, "repeat", fl, hf, config);
  n->section = ck_as_ident(section);
  n->count = count;
  return &n->h;
}

ck_node *ck_ast_wdispatch(ck_arena *a, ck_loc loc, const char *word,
                          ck_node *fl, ck_node *hf, ck_node *config,
                          ck_node *branches) {
  ck_wdecl_node *n = wdecl(a, loc, word, fl, hf, config);
  n->branches = branches;
  return &n->h;
}

ck_node *ck_ast_label(ck_arena *a, ck_node *label, ck_node *item) {
  ck_label_node *n = NODE(label, AST_LABEL, item->loc);
  n->label = name_of(label);
  n->item = item;
  return &n->h;
}

ck_node *ck_ast_arg(ck_arena *a, ck_loc loc, ck_node *name, ck_node *value) {
  ck_arg_node *n = NODE(arg, AST_ARG, loc);
  n->name = name_of(name);
  n->value = value;
  return &n->h;
}

ck_node *ck_ast_branch(ck_arena *a, ck_loc loc, ck_node *cls,
                       ck_node *section, ck_node *at, bool is_default) {
  ck_branch_node *n = NODE(branch, AST_BRANCH, loc);
  n->cls = name_of(cls);
  n->section = name_of(section);
  n->at = ck_as_path(at);
  n->is_default = is_default;
  return &n->h;
}

/* ---- formats, tables, allowlists */

ck_node *ck_ast_format(ck_arena *a, ck_loc loc, ck_node *name,
                       ck_node *props) {
  ck_format_node *n = NODE(format, AST_FORMAT, loc);
  n->name = name_of(name);
  n->props = props;
  return &n->h;
}

ck_node *ck_ast_prop(ck_arena *a, ck_loc loc, ck_node *name,
                     ck_node *values) {
  ck_prop_node *n = NODE(prop, AST_PROP, loc);
  n->name = name_of(name);
  n->values = values;
  return &n->h;
}

ck_node *ck_ast_map(ck_arena *a, ck_loc loc, ck_node *entries) {
  ck_map_node *n = NODE(map, AST_MAP, loc);
  n->entries = entries;
  return &n->h;
}

ck_node *ck_ast_kv(ck_arena *a, ck_loc loc, ck_node *key, ck_node *value) {
  ck_kv_node *n = NODE(kv, AST_KV, loc);
  n->key = value_of(key);
  n->value = value_of(value);
  return &n->h;
}

ck_node *ck_ast_table(ck_arena *a, ck_loc loc, ck_node *name,
                      ck_node *rows) {
  ck_table_node *n = NODE(table, AST_TABLE, loc);
  n->name = name_of(name);
  n->rows = rows;
  return &n->h;
}

ck_node *ck_ast_row(ck_arena *a, ck_loc loc, ck_node *fast_llm, ck_node *hf,
                    ck_row_dir dir) {
  ck_row_node *n = NODE(row, AST_ROW, loc);
  n->fast_llm = fast_llm;
  n->hf = hf;
  n->dir = dir;
  return &n->h;
}

ck_node *ck_ast_allow(ck_arena *a, ck_loc loc, ck_node *layout,
                      ck_node *keys) {
  ck_allow_node *n = NODE(allow, AST_ALLOW, loc);
  n->layout = name_of(layout);
  n->keys = keys;
  return &n->h;
}

/* ---- paths and expressions */

ck_node *ck_ast_path(ck_arena *a, ck_loc loc, ck_node *seg) {
  ck_path_node *n = NODE(path, AST_PATH, loc);
  n->segs = seg;
  return &n->h;
}

ck_node *ck_ast_path_dot(ck_arena *a, ck_node *path, ck_node *seg,
                         ck_loc seg_loc) {
  const ck_path_node *p = ck_as_path(path);
  ck_path_node *n = NODE(path, AST_PATH, p->h.loc);
  n->h.loc.len = seg_loc.col + seg_loc.len - n->h.loc.col;
  n->segs = ck_ast_append(p->segs, seg);
  return &n->h;
}

ck_node *ck_ast_bool(ck_arena *a, ck_loc loc, bool value) {
  ck_bool_node *n = NODE(bool, AST_BOOL, loc);
  n->value = value;
  return &n->h;
}

ck_node *ck_ast_null(ck_arena *a, ck_loc loc) {
  return &NODE(null, AST_NULL, loc)->h;
}

ck_node *ck_ast_self(ck_arena *a, ck_loc loc) {
  return &NODE(self, AST_SELF, loc)->h;
}

ck_node *ck_ast_neg_literal(ck_arena *a, ck_loc loc, ck_node *num) {
  if (num->kind == AST_INT) return ck_ast_int(a, loc, -ck_as_int(num)->value);
  const ck_float_node *f = ck_as_float(num);
  return ck_ast_float(a, loc, -f->value, f->text);
}

ck_node *ck_ast_list(ck_arena *a, ck_loc loc, ck_node *items) {
  ck_list_node *n = NODE(list, AST_LIST, loc);
  n->items = items;
  return &n->h;
}

ck_node *ck_ast_unop(ck_arena *a, ck_loc loc, const char *op,
                     ck_node *operand) {
  ck_unop_node *n = NODE(unop, AST_UNOP, loc);
  n->op = op;
  n->operand = operand;
  return &n->h;
}

ck_node *ck_ast_binop(ck_arena *a, ck_loc loc, const char *op, ck_node *lhs,
                      ck_node *rhs) {
  ck_binop_node *n = NODE(binop, AST_BINOP, loc);
  n->op = op;
  n->lhs = lhs;
  n->rhs = rhs;
  return &n->h;
}

ck_node *ck_ast_if(ck_arena *a, ck_loc loc, ck_node *cond, ck_node *then,
                   ck_node *otherwise) {
  ck_if_node *n = NODE(if, AST_IF, loc);
  n->cond = cond;
  n->then = then;
  n->otherwise = otherwise;
  return &n->h;
}

ck_node *ck_ast_call(ck_arena *a, ck_loc loc, ck_node *fn, ck_node *args,
                     ck_node *member) {
  ck_call_node *n = NODE(call, AST_CALL, loc);
  n->fn = name_of(fn);
  n->args = args;
  n->member = ck_as_path(member);
  return &n->h;
}

ck_node *ck_ast_is(ck_arena *a, ck_loc loc, ck_node *operand, ck_node *cls,
                   bool negated) {
  ck_is_node *n = NODE(is, AST_IS, loc);
  n->operand = operand;
  n->cls = name_of(cls);
  n->negated = negated;
  return &n->h;
}

ck_node *ck_ast_in(ck_arena *a, ck_loc loc, ck_node *operand, ck_node *list,
                   bool negated) {
  ck_in_node *n = NODE(in, AST_IN, loc);
  n->operand = operand;
  n->list = list;
  n->negated = negated;
  return &n->h;
}

/* ---- lists */

ck_node *ck_ast_append(ck_node *list, ck_node *item) {
  if (!list) return item;
  ck_node *t = list;
  while (t->next) t = t->next;
  t->next = item;
  return list;
}

int ck_ast_count(const ck_node *list) {
  int n = 0;
  for (; list; list = list->next) n++;
  return n;
}

const char *ck_ast_kind_name(ck_ast_kind k) {
  static const char *const names[] = {
#define CK_AST_NAME(K, name, text) text,
      CK_AST_KINDS(CK_AST_NAME)
#undef CK_AST_NAME
  };
  _Static_assert(sizeof names / sizeof names[0] == AST_KIND_COUNT,
                 "ORDER AST_KIND");
  return (unsigned)k < AST_KIND_COUNT ? names[k] : "?";
}

/* -------------------------------------------------------- diagnostics */

typedef struct source {
  struct source *next;
  char *file;
  char *text;
} source;
static source *sources;

void ck_diag_add_source(const char *file, const char *text) {
  source *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->file = strdup(file);
  s->text = strdup(text);
  s->next = sources;
  sources = s;
}

void ck_diag_free_sources(void) {
  while (sources) {
    source *n = sources->next;
    free(sources->file);
    free(sources->text);
    free(sources);
    sources = n;
  }
}

/* Print the source line of loc and a caret under its column. */
static void quote_line(ck_loc loc) {
  if (!loc.file || loc.line <= 0) return;
  for (source *s = sources; s; s = s->next) {
    if (strcmp(s->file, loc.file) != 0) continue;
    const char *p = s->text;
    for (int l = 1; l < loc.line && p; l++) {
      p = strchr(p, '\n');
      if (p) p++;
    }
    if (!p) return;
    const char *e = strchr(p, '\n');
    int n = e ? (int)(e - p) : (int)strlen(p);
    fprintf(stderr, "  %.*s\n  ", n, p);
    for (int i = 1; i < loc.col && i <= n; i++)
      fputc(p[i - 1] == '\t' ? '\t' : ' ', stderr);
    int len = loc.len > 0 ? loc.len : 1;
    if (loc.col - 1 + len > n) len = n - loc.col + 1 > 0 ? n - loc.col + 1 : 1;
    fputc('^', stderr);
    for (int i = 1; i < len; i++) fputc('~', stderr);
    fputc('\n', stderr);
    return;
  }
}

static void report(ck_loc loc, const char *kind, const char *fmt,
                   va_list ap) {
  if (loc.file)
    fprintf(stderr, "%s:%d:%d: %s: ", loc.file, loc.line, loc.col, kind);
  else
    fprintf(stderr, "convc: %s: ", kind);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  quote_line(loc);
}

void ck_diag_error(ck_diag *d, ck_loc loc, const char *fmt, ...) {
  d->nerr++;
  if (d->max_errors > 0 && d->nerr > d->max_errors) return;
  va_list ap;
  va_start(ap, fmt);
  report(loc, "error", fmt, ap);
  va_end(ap);
}

void ck_diag_note(ck_diag *d, ck_loc loc, const char *fmt, ...) {
  if (d->max_errors > 0 && d->nerr > d->max_errors) return;
  va_list ap;
  va_start(ap, fmt);
  report(loc, "note", fmt, ap);
  va_end(ap);
}
