/* ast.h - the syntax tree that dsl/parser.y builds from a .conv file.
 *
 * Pipeline: specs/NAME.conv -> lexer.l/parser.y -> this AST -> compiler/
 * (sema, coverage, emit) -> generated/ tables.  Each construct has its own
 * node struct with named fields, starting with the common ck_node header
 * (kind, location, list link); every grammar action is one constructor
 * call, and compiler/sema.c reads the fields through checked downcasts
 * (ck_as_field(n), ...).  All nodes and strings live in one arena per
 * compilation (ck_arena) and are freed together.
 */
#ifndef CK_AST_H
#define CK_AST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ck_loc {
  const char *file; /* spec path as given on the command line */
  int line, col;    /* 1-based */
  int len;          /* length of the token or construct head */
} ck_loc;

/* ORDER AST_KIND: every node kind, its struct ck_NAME_node, its downcast
 * ck_as_NAME() and its name in messages (ck_ast_kind_name). */
#define CK_AST_KINDS(X)                                               \
  X(ENUM, enum, "enum")                 /* enum NAME { values }     */ \
  X(CONFIG, config, "config")           /* config class             */ \
  X(MOD, mod, "modifier")               /* abstract|registry|default */ \
  X(FIELD, field, "field")              /* field of a config class  */ \
  X(BOUND, bound, "bound")              /* CMP VALUE after a type   */ \
  X(TYPE, type, "type")                 /* field type               */ \
  X(CHECK, check, "check")              /* check EXPR [: MSG]       */ \
  X(MEMBER, member, "member")           /* param|module|repeat|tie  */ \
  X(SEQ, seq, "sequence")               /* class `sequence` line    */ \
  X(SECTION, section, "section")        /* section NAME ...         */ \
  X(ENTRY, entry, "section entry")      /* [KEY:] [layout L] decl   */ \
  X(DECL, decl, "declaration")          /* conversion declaration   */ \
  X(WDECL, wdecl, "weight declaration") /* entry of weights { }     */ \
  X(LABEL, label, "label")              /* KEY ':' weight decl      */ \
  X(ARG, arg, "argument")               /* NAME ':' EXPR            */ \
  X(BRANCH, branch, "branch")           /* CLASS -> SECTION [at P]  */ \
  X(FORMAT, format, "format")           /* format NAME { props }    */ \
  X(PROP, prop, "property")             /* NAME values              */ \
  X(MAP, map, "map")                    /* { "k": "v", ... }        */ \
  X(KV, kv, "map entry")                /* "k": "v"                 */ \
  X(TABLE, table, "table")              /* table NAME { rows }      */ \
  X(ROW, row, "row")                    /* FL <-> HF                */ \
  X(ALLOW, allow, "allowlist")          /* allowlist L { keys }     */ \
  X(PATH, path, "path")                 /* a.b."c"                  */ \
  X(IDENT, ident, "identifier")                                        \
  X(STR, str, "string")                                                \
  X(INT, int, "integer")                                               \
  X(FLOAT, float, "float")                                             \
  X(BOOL, bool, "bool")                                                \
  X(NULL, null, "null")                                                \
  X(LIST, list, "list")                 /* [a, b]                   */ \
  X(SELF, self, "self")                                                \
  X(UNOP, unop, "unary")                /* not x, -x                */ \
  X(BINOP, binop, "binary")             /* x OP y                   */ \
  X(IF, if, "if")                       /* if c then a else b       */ \
  X(CALL, call, "call")                 /* f(args)[.path]           */ \
  X(IS, is, "is")                       /* x is [not] Class         */ \
  X(IN, in, "in")                       /* x [not] in [list]        */

typedef enum ck_ast_kind {
#define CK_AST_ENUM(K, name, text) AST_##K,
  CK_AST_KINDS(CK_AST_ENUM)
#undef CK_AST_ENUM
  AST_KIND_COUNT
} ck_ast_kind;

/* The header every node starts with.  Lists are intrusive: a list is its
 * first node (or NULL) and `next` links the rest, of the kinds its owner
 * documents. */
typedef struct ck_node {
  ck_ast_kind kind;
  ck_loc loc;
  struct ck_node *next; /* sibling in a list */
} ck_node;

typedef struct ck_ident_node ck_ident_node;
typedef struct ck_str_node ck_str_node;
typedef struct ck_path_node ck_path_node;
typedef struct ck_type_node ck_type_node;
typedef struct ck_bound_node ck_bound_node;
typedef struct ck_decl_node ck_decl_node;

/* ---- top-level items ---- */

/* enum NAME { a, "b" }: a named set of string values. */
typedef struct ck_enum_node {
  ck_node h;
  const char *name;
  ck_node *values; /* AST_IDENT / AST_STR list */
} ck_enum_node;

/* config NAME [: BASE [DYNAMIC-NAME]] modifiers { items } */
typedef struct ck_config_node {
  ck_node h;
  const char *name;
  const ck_ident_node *base; /* parent class, or NULL */
  const char *dynamic_name;  /* registry type name, or NULL */
  ck_node *mods;             /* AST_MOD list */
  ck_node *items;            /* AST_FIELD / CHECK / MEMBER / SEQ list */
} ck_config_node;

/* A class modifier: `abstract`, `registry` or `default CLASS`. */
typedef struct ck_mod_node {
  ck_node h;
  const char *word;         /* "abstract", "registry" or "default" */
  const ck_ident_node *arg; /* the default subclass, or NULL */
} ck_mod_node;

/* HINT NAME: TYPE [CMP BOUND] [= DEFAULT [always] | = implicit EXPR |
 * required]: a field of a config class. */
typedef struct ck_field_node {
  ck_node h;
  const char *name;
  const char *hint;           /* feature, architecture, ... (unchecked) */
  const ck_type_node *type;
  const ck_bound_node *bound; /* `> 0`-style constraint, or NULL */
  ck_node *dflt;   /* default value (or implicit expression), or NULL */
  bool required;   /* `required`: no default, must be given */
  bool implicit;   /* `= implicit EXPR`: computed during validation */
  bool always;     /* `= VALUE always`: validation makes it explicit */
} ck_field_node;

/* The constraint of a field: its value compared with a constant. */
struct ck_bound_node {
  ck_node h;
  const char *op; /* "==", "!=", "<", "<=", ">", ">=" */
  ck_node *value; /* the constant (a primary expression) */
};

/* The shape a field type has. */
typedef enum ck_type_form {
  CK_TYPE_NAMED, /* int, float, bool, str, any, an enum or a class */
  CK_TYPE_LIST,  /* list[T] */
  CK_TYPE_DICT,  /* dict[KEY, T] */
  CK_TYPE_ENUM   /* enum(a, b) inline */
} ck_type_form;

/* A field type: NAME | list[T] | dict[K, T] | enum(...), then `?`. */
struct ck_type_node {
  ck_node h;
  ck_type_form form;
  const char *name;          /* the base name; "list"/"dict"/"enum" */
  const ck_type_node *elem;  /* list / dict element type */
  const ck_ident_node *key;  /* dict key type (must be str) */
  ck_node *values;           /* enum(...): AST_IDENT / AST_STR list */
  bool optional;             /* T? */
};

/* check EXPR [: MESSAGE]: a rule over a config. */
typedef struct ck_check_node {
  ck_node h;
  ck_node *cond;
  const char *message; /* or NULL */
} ck_check_node;

/* The tensors a config owns:
 *   param NAME [dims] [when C]    module NAME = EXPR [with (args)] [when C]
 *   module NAME = EXPR [with (args)] repeat N    tie NAME = TARGET when C */
typedef struct ck_member_node {
  ck_node h;
  const char *word;           /* "param", "module", "repeat" or "tie" */
  const ck_path_node *name;
  ck_node *dims;              /* param: shape expression list */
  ck_node *value;             /* module / repeat: the module expression */
  ck_node *args;              /* module / repeat: AST_ARG list */
  const ck_path_node *target; /* tie: the tied tensor */
  ck_node *when;              /* condition, or NULL */
  ck_node *count;             /* repeat: the repeat count */
} ck_member_node;

/* sequence BLOCK count N / sequence BLOCKS by PATTERN count N: the fields
 * of a class the runtime reads a block sequence from. */
typedef struct ck_seq_node {
  ck_node h;
  const ck_ident_node *block;   /* block field (blocks, with a pattern) */
  const ck_ident_node *pattern; /* pattern field, or NULL */
  const ck_ident_node *count;   /* count field */
} ck_seq_node;

/* section NAME for CLASS [as HF-TYPE] { entries }
 * section NAME extends PARENT [as HF-TYPE | for CLASS] { entries } */
typedef struct ck_section_node {
  ck_node h;
  const char *name;
  const char *cls;             /* `for CLASS` (NULL when extending) */
  bool extends;                /* `extends PARENT` */
  const char *parent;          /* the parent section, when extending */
  const ck_ident_node *narrow; /* `extends P for CLASS`: a subclass */
  const char *hf_type;         /* `as "name"`, or NULL */
  ck_node *entries;            /* AST_ENTRY list */
} ck_section_node;

/* One entry of a section: [KEY ':'] ['layout' LAYOUT] declaration.  Its
 * location is the layout's when there is one, else the declaration's. */
typedef struct ck_entry_node {
  ck_node h;
  const ck_ident_node *label;  /* the declaration key, or NULL */
  const ck_ident_node *layout; /* v4 / v5 limit, or NULL */
  const ck_decl_node *decl;
} ck_entry_node;

/* A conversion declaration of a section.  `word` names its kind in
 * common/ck_decls.def ("default" is a rename with `else`, "weights" a
 * weights block); the operands a kind does not have are NULL. */
struct ck_decl_node {
  ck_node h;
  const char *word;
  ck_node *fl;                   /* Fast-LLM AST_PATH list */
  ck_node *hf;                   /* HF AST_PATH list; layout: the layout
                                    names path (none with `= EXPR`), then
                                    the count path */
  ck_node *value;                /* rename `else`, optional sentinel,
                                    constant, import expression, validate
                                    / require condition, layout names */
  ck_node *when;                 /* emit: condition */
  const ck_ident_node *table;    /* rename `via TABLE` */
  const ck_ident_node *when_word;/* `when present` (rename, nested) */
  const ck_ident_node *section;  /* nested / sequence: target section */
  const ck_ident_node *hook;     /* custom: hook name */
  const ck_path_node *at;        /* nested / dispatch: HF prefix */
  ck_node *branches;             /* dispatch / layout: AST_BRANCH list */
  const ck_str_node *discriminator; /* dispatch `discriminator "k"` */
  const ck_path_node *by;        /* layout: the layout-name source (NULL
                                    with `= EXPR`: by block name) */
  const ck_str_node *message;    /* validate / require */
  ck_node *weights;              /* weights: AST_WDECL / AST_LABEL list */
  bool recursive;                /* `recursive` keyword */
  bool override;                 /* `override weights` */
};

/* An entry of a `weights { }` block: FL -> HF FORM.  `word` names its
 * kind in common/ck_wdecls.def. */
typedef struct ck_wdecl_node {
  ck_node h;
  const char *word;
  const ck_path_node *fl;         /* Fast-LLM name */
  ck_node *hf;                    /* HF AST_PATH list */
  ck_node *count;                 /* leaf / linear `for i in N`; repeat
                                     `count EXPR` */
  const ck_ident_node *transform; /* leaf / linear `as TRANSFORM` */
  ck_node *params;                /* leaf / linear: AST_ARG list */
  ck_node *when;                  /* condition, or NULL */
  const ck_ident_node *section;   /* nested / sequence / repeat */
  ck_node *config;                /* `config EXPR`, or NULL */
  const ck_path_node *by;         /* sequence_dispatch `by PATH` */
  ck_node *branches;              /* dispatches: AST_BRANCH list */
  bool self;                      /* sequence `self` */
  bool optional;                  /* nested `optional` */
} ck_wdecl_node;

/* KEY ':' WDECL: a labelled weight declaration (labelled again, the
 * outermost label counts), at the declaration's location. */
typedef struct ck_label_node {
  ck_node h;
  const char *label;
  ck_node *item; /* AST_WDECL or AST_LABEL */
} ck_label_node;

/* NAME ':' EXPR: a named argument (weight parameter, module argument). */
typedef struct ck_arg_node {
  ck_node h;
  const char *name;
  ck_node *value;
} ck_arg_node;

/* ['default'] CLASS -> SECTION [at PREFIX]: a branch of a dispatch. */
typedef struct ck_branch_node {
  ck_node h;
  const char *cls;
  const char *section;
  const ck_path_node *at; /* or NULL */
  bool is_default;        /* `default`: what an absent type means */
} ck_branch_node;

/* format NAME { properties }. */
typedef struct ck_format_node {
  ck_node h;
  const char *name;
  ck_node *props; /* AST_PROP list */
} ck_format_node;

/* NAME VALUE, ...: a format property. */
typedef struct ck_prop_node {
  ck_node h;
  const char *name;
  ck_node *values; /* AST_STR / AST_IDENT / AST_MAP list */
} ck_prop_node;

/* { "key": "value", ... }: a property value. */
typedef struct ck_map_node {
  ck_node h;
  ck_node *entries; /* AST_KV list */
} ck_map_node;

typedef struct ck_kv_node {
  ck_node h;
  const char *key, *value;
} ck_kv_node;

/* table NAME { rows }. */
typedef struct ck_table_node {
  ck_node h;
  const char *name;
  ck_node *rows; /* AST_ROW list */
} ck_table_node;

/* Which ways a table row converts. */
typedef enum ck_row_dir {
  CK_ROW_BOTH,        /* <-> */
  CK_ROW_IMPORT_ONLY, /* <- */
  CK_ROW_EXPORT_ONLY  /* -> */
} ck_row_dir;

/* FL-VALUE <-> HF-VALUE: a row of a table. */
typedef struct ck_row_node {
  ck_node h;
  ck_node *fast_llm, *hf; /* literals */
  ck_row_dir dir;
} ck_row_node;

/* allowlist LAYOUT { "key", ... }. */
typedef struct ck_allow_node {
  ck_node h;
  const char *layout;
  ck_node *keys; /* AST_STR list */
} ck_allow_node;

/* ---- paths, names and expressions ---- */

/* a.b."c": its location spans all segments. */
struct ck_path_node {
  ck_node h;
  ck_node *segs; /* AST_IDENT / AST_STR list */
};

struct ck_ident_node {
  ck_node h;
  const char *name;
};

struct ck_str_node {
  ck_node h;
  const char *value; /* unescaped */
};

typedef struct ck_int_node {
  ck_node h;
  long long value;
} ck_int_node;

typedef struct ck_float_node {
  ck_node h;
  double value;
  const char *text; /* source text */
} ck_float_node;

typedef struct ck_bool_node {
  ck_node h;
  bool value;
} ck_bool_node;

typedef struct ck_null_node {
  ck_node h;
} ck_null_node;

typedef struct ck_self_node {
  ck_node h;
} ck_self_node;

typedef struct ck_list_node {
  ck_node h;
  ck_node *items; /* expressions (NULL: []) */
} ck_list_node;

typedef struct ck_unop_node {
  ck_node h;
  const char *op; /* "not" or "-" */
  ck_node *operand;
} ck_unop_node;

typedef struct ck_binop_node {
  ck_node h;
  const char *op; /* "or", "and", "+", "==", "??", ... */
  ck_node *lhs, *rhs;
} ck_binop_node;

typedef struct ck_if_node {
  ck_node h;
  ck_node *cond, *then, *otherwise;
} ck_if_node;

/* FUNCTION(args) or FUNCTION(args).path */
typedef struct ck_call_node {
  ck_node h;
  const char *fn;
  ck_node *args;               /* expression list */
  const ck_path_node *member;  /* `.a.b` after the call, or NULL */
} ck_call_node;

/* EXPR is [not] CLASS */
typedef struct ck_is_node {
  ck_node h;
  ck_node *operand;
  const char *cls;
  bool negated;
} ck_is_node;

/* EXPR [not] in [list] */
typedef struct ck_in_node {
  ck_node h;
  ck_node *operand;
  ck_node *list; /* AST_LIST */
  bool negated;
} ck_in_node;

/* Checked downcasts: ck_as_field(n) is n as a field node, and asserts
 * that it is one.  NULL stays NULL. */
const ck_node *ck_ast_expect(const ck_node *n, ck_ast_kind kind);
#define CK_AST_AS(K, name, text)                                      \
  static inline const ck_##name##_node *ck_as_##name(const ck_node *n) { \
    return (const ck_##name##_node *)ck_ast_expect(n, AST_##K);          \
  }
CK_AST_KINDS(CK_AST_AS)
#undef CK_AST_AS

/* The text of an identifier or a string (a path segment, an enum value,
 * a property value). */
const char *ck_ast_text(const ck_node *n);

/* A field default as the grammar collects it (the field keeps its parts). */
typedef enum ck_ast_default_kind {
  CK_DEFAULT_NONE,     /* no default */
  CK_DEFAULT_VALUE,    /* = VALUE */
  CK_DEFAULT_ALWAYS,   /* = VALUE always */
  CK_DEFAULT_IMPLICIT, /* = implicit EXPR */
  CK_DEFAULT_REQUIRED  /* required */
} ck_ast_default_kind;

typedef struct ck_default {
  ck_ast_default_kind kind;
  ck_node *value; /* VALUE / EXPR, or NULL */
} ck_default;

/* ---- arena: every AST node and string of one compilation ---- */
typedef struct ck_arena ck_arena;
ck_arena *ck_arena_new(void);
void ck_arena_free(ck_arena *a);
void *ck_arena_alloc(ck_arena *a, size_t n);      /* zeroed */
char *ck_arena_strdup(ck_arena *a, const char *s);
char *ck_arena_strndup(ck_arena *a, const char *s, size_t n);
char *ck_arena_printf(ck_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- constructors used by the grammar (one call per action) ----
 * Parameters typed ck_node * are checked against the kind they must have
 * (an IDENT token for a name, a path for a path, ...). */
ck_node *ck_ast_append(ck_node *list, ck_node *item); /* returns list */
int ck_ast_count(const ck_node *list);
const char *ck_ast_kind_name(ck_ast_kind k);

/* tokens (the lexer) */
ck_node *ck_ast_ident(ck_arena *a, ck_loc loc, const char *name);
ck_node *ck_ast_str(ck_arena *a, ck_loc loc, const char *value);
ck_node *ck_ast_int(ck_arena *a, ck_loc loc, long long value);
ck_node *ck_ast_float(ck_arena *a, ck_loc loc, double value, const char *text);

/* items */
ck_node *ck_ast_enum(ck_arena *a, ck_loc loc, ck_node *name, ck_node *values);
ck_node *ck_ast_config(ck_arena *a, ck_loc loc, ck_node *name, ck_node *base,
                       ck_node *dynamic_name, ck_node *mods,
                       ck_node *items);
ck_node *ck_ast_mod(ck_arena *a, ck_loc loc, const char *word, ck_node *arg);
ck_node *ck_ast_field(ck_arena *a, ck_loc loc, ck_node *hint, ck_node *name,
                      ck_node *type, ck_node *bound, ck_default dflt);
ck_default ck_ast_default(ck_ast_default_kind kind, ck_node *value);
ck_node *ck_ast_bound(ck_arena *a, ck_loc loc, const char *op, ck_node *value);
ck_node *ck_ast_type_named(ck_arena *a, ck_loc loc, ck_node *name);
ck_node *ck_ast_type_list(ck_arena *a, ck_loc loc, ck_node *elem);
ck_node *ck_ast_type_dict(ck_arena *a, ck_loc loc, ck_node *key, ck_node *elem);
ck_node *ck_ast_type_enum(ck_arena *a, ck_loc loc, ck_node *values);
ck_node *ck_ast_type_optional(ck_arena *a, ck_node *type); /* T? */
ck_node *ck_ast_check(ck_arena *a, ck_loc loc, ck_node *cond, ck_node *message);
ck_node *ck_ast_param(ck_arena *a, ck_loc loc, ck_node *name, ck_node *dims,
                      ck_node *when);
ck_node *ck_ast_module(ck_arena *a, ck_loc loc, ck_node *name, ck_node *value,
                       ck_node *args, ck_node *when);
ck_node *ck_ast_repeat(ck_arena *a, ck_loc loc, ck_node *name, ck_node *value,
                       ck_node *args, ck_node *count);
ck_node *ck_ast_tie(ck_arena *a, ck_loc loc, ck_node *name, ck_node *target,
                    ck_node *when);
ck_node *ck_ast_seq(ck_arena *a, ck_loc loc, ck_node *block, ck_node *pattern,
                    ck_node *count);
ck_node *ck_ast_section(ck_arena *a, ck_loc loc, ck_node *name, ck_node *cls,
                        ck_node *hf_type, ck_node *entries);
ck_node *ck_ast_section_extends(ck_arena *a, ck_loc loc, ck_node *name,
                                ck_node *parent, ck_node *hf_type,
                                ck_node *narrow, ck_node *entries);
ck_node *ck_ast_entry(ck_arena *a, ck_node *label, ck_node *layout,
                      ck_node *decl);

/* section declarations (AST_DECL); fl/hf are path lists */
ck_node *ck_ast_rename(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                       ck_node *otherwise, ck_node *table);
ck_node *ck_ast_rename_present(ck_arena *a, ck_loc loc, ck_node *fl,
                               ck_node *hf, ck_node *when_word);
ck_node *ck_ast_optional(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                         ck_node *sentinel);
ck_node *ck_ast_const_import(ck_arena *a, ck_loc loc, ck_node *fl,
                             ck_node *value);
ck_node *ck_ast_const_export(ck_arena *a, ck_loc loc, ck_node *hf,
                             ck_node *value, ck_node *when);
ck_node *ck_ast_ignore(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf);
ck_node *ck_ast_import_only(ck_arena *a, ck_loc loc, ck_node *fl,
                            ck_node *value, bool recursive, ck_node *hf);
ck_node *ck_ast_custom(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hook,
                       bool recursive, ck_node *hf);
ck_node *ck_ast_nested(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *section,
                       ck_node *at, bool recursive, ck_node *when_word);
ck_node *ck_ast_dispatch(ck_arena *a, ck_loc loc, const char *word, ck_node *fl,
                         ck_node *at, ck_node *discriminator,
                         ck_node *branches);
ck_node *ck_ast_sequence(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *section,
                         ck_node *count);
ck_node *ck_ast_layout(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *names,
                       ck_node *count, ck_node *by, ck_node *branches);
/* fl layout = EXPR count N { branches }: the names computed from the HF
 * dict on import, blocks picked by their name on export. */
ck_node *ck_ast_layout_expr(ck_arena *a, ck_loc loc, ck_node *fl,
                            ck_node *names, ck_node *count,
                            ck_node *branches);
ck_node *ck_ast_validate(ck_arena *a, ck_loc loc, ck_node *cond,
                         ck_node *message);
ck_node *ck_ast_weights(ck_arena *a, ck_loc loc, bool override,
                        ck_node *wdecls);
ck_node *ck_ast_require(ck_arena *a, ck_loc loc, ck_node *cond, ck_node *hf,
                        ck_node *message);

/* weight declarations (AST_WDECL); hf is a path list */
ck_node *ck_ast_wleaf(ck_arena *a, ck_loc loc, bool linear, ck_node *fl,
                      ck_node *hf, ck_node *count, ck_node *transform,
                      ck_node *params, ck_node *when);
ck_node *ck_ast_wnested(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                        ck_node *section, ck_node *config, bool optional,
                        ck_node *when);
ck_node *ck_ast_wsequence(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                          ck_node *section, ck_node *self, ck_node *config);
ck_node *ck_ast_wsequence_dispatch(ck_arena *a, ck_loc loc, ck_node *fl,
                                   ck_node *hf, ck_node *self,
                                   ck_node *config, ck_node *by,
                                   ck_node *branches);
ck_node *ck_ast_wrepeat(ck_arena *a, ck_loc loc, ck_node *fl, ck_node *hf,
                        ck_node *section, ck_node *count, ck_node *config);
ck_node *ck_ast_wdispatch(ck_arena *a, ck_loc loc, const char *word,
                          ck_node *fl, ck_node *hf, ck_node *config,
                          ck_node *branches);
ck_node *ck_ast_label(ck_arena *a, ck_node *label, ck_node *item);
ck_node *ck_ast_arg(ck_arena *a, ck_loc loc, ck_node *name, ck_node *value);
ck_node *ck_ast_branch(ck_arena *a, ck_loc loc, ck_node *cls, ck_node *section,
                       ck_node *at, bool is_default);

/* formats, tables, allowlists */
ck_node *ck_ast_format(ck_arena *a, ck_loc loc, ck_node *name, ck_node *props);
ck_node *ck_ast_prop(ck_arena *a, ck_loc loc, ck_node *name, ck_node *values);
ck_node *ck_ast_map(ck_arena *a, ck_loc loc, ck_node *entries);
ck_node *ck_ast_kv(ck_arena *a, ck_loc loc, ck_node *key, ck_node *value);
ck_node *ck_ast_table(ck_arena *a, ck_loc loc, ck_node *name, ck_node *rows);
ck_node *ck_ast_row(ck_arena *a, ck_loc loc, ck_node *fast_llm, ck_node *hf,
                    ck_row_dir dir);
ck_node *ck_ast_allow(ck_arena *a, ck_loc loc, ck_node *layout, ck_node *keys);

/* paths and expressions */
ck_node *ck_ast_path(ck_arena *a, ck_loc loc, ck_node *seg);
/* PATH '.' SEG: a new path, one segment longer, spanning it (seg_loc) */
ck_node *ck_ast_path_dot(ck_arena *a, ck_node *path, ck_node *seg,
                         ck_loc seg_loc);
ck_node *ck_ast_bool(ck_arena *a, ck_loc loc, bool value);
ck_node *ck_ast_null(ck_arena *a, ck_loc loc);
ck_node *ck_ast_self(ck_arena *a, ck_loc loc);
/* '-' NUMBER in a table row: the negated literal, at the sign */
ck_node *ck_ast_neg_literal(ck_arena *a, ck_loc loc, ck_node *num);
ck_node *ck_ast_list(ck_arena *a, ck_loc loc, ck_node *items);
ck_node *ck_ast_unop(ck_arena *a, ck_loc loc, const char *op, ck_node *operand);
ck_node *ck_ast_binop(ck_arena *a, ck_loc loc, const char *op, ck_node *lhs,
                      ck_node *rhs);
ck_node *ck_ast_if(ck_arena *a, ck_loc loc, ck_node *cond, ck_node *then,
                   ck_node *otherwise);
ck_node *ck_ast_call(ck_arena *a, ck_loc loc, ck_node *fn, ck_node *args,
                     ck_node *member);
ck_node *ck_ast_is(ck_arena *a, ck_loc loc, ck_node *operand, ck_node *cls,
                   bool negated);
ck_node *ck_ast_in(ck_arena *a, ck_loc loc, ck_node *operand, ck_node *list,
                   bool negated);

/* ---- diagnostics: file:line:col: error: message, source line, caret ---- */
typedef struct ck_diag {
  int nerr;
  int max_errors;
  const char *source_file; /* current file and its text, for the caret */
  const char *source_text;
} ck_diag;

void ck_diag_error(ck_diag *d, ck_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ck_diag_note(ck_diag *d, ck_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Register the text of a file so later diagnostics can quote it. */
void ck_diag_add_source(const char *file, const char *text);
void ck_diag_free_sources(void);

/* ---- front end entry: parse one file, appending items to *items ---- */
int ck_parse_file(ck_arena *arena, ck_diag *diag, const char *path,
                  ck_node **items);
/* The same on len bytes in memory (need not be NUL-terminated); path
 * names the text in diagnostics.  For the fuzzer and tests. */
int ck_parse_text(ck_arena *arena, ck_diag *diag, const char *path,
                  const char *text, size_t len, ck_node **items);

#endif
