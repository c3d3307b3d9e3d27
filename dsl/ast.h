/* ast.h - the syntax tree that dsl/parser.y builds from a .conv file.
 *
 * Pipeline: specs/NAME.conv -> lexer.l/parser.y -> this AST -> compiler/
 * (sema, coverage, emit) -> generated/ tables.  The tree is deliberately
 * generic (one node type with a kind tag and up to four children) so that
 * every grammar action is a single constructor call; meaning is given to
 * the nodes by compiler/sema.c.  All nodes and strings live in one arena
 * per compilation (ck_arena) and are freed together.
 */
#ifndef CK_AST_H
#define CK_AST_H

#include <stddef.h>

typedef struct ck_loc {
  const char *file; /* spec path as given on the command line */
  int line, col;    /* 1-based */
  int len;          /* length of the token or construct head */
} ck_loc;

/* ORDER AST_KIND: keep ck_ast_kind_name() in ast.c in step. */
typedef enum ck_ast_kind {
  AST_FILE,        /* a = first item */
  AST_ENUM,        /* str = name, a = value list (AST_IDENT) */
  AST_CONFIG,      /* str = name, a = base (AST_IDENT|NULL), b = items,
                      c = modifiers (AST_MOD list), s2 = dynamic name */
  AST_MOD,         /* str = abstract|registry|default, a = ident arg */
  AST_FIELD,       /* str = name, s2 = hint, a = type, b = default expr,
                      c = constraint (AST_BINOP with NULL lhs), flags */
  AST_TYPE,        /* str = base name, a = elem type, b = 2nd type,
                      flags = CK_TY_OPTIONAL.. */
  AST_CHECK,       /* a = expr, str = message */
  AST_PARAM,       /* a = name path, b = shape exprs, c = condition */
  AST_SECTION,     /* str = name, s2 = class or parent, a = decls,
                      flags = SECTION_EXTENDS, b = hf type name (AST_STR) */
  AST_DECL,        /* str = primitive, s2 = label, a/b/c/d = operands */
  AST_BRANCH,      /* str = class name, s2 = section name, a = hf prefix */
  AST_FORMAT,      /* str = name, a = properties */
  AST_PROP,        /* str = property name, a = values */
  AST_TABLE,       /* str = name, a = rows (AST_ROW) */
  AST_ROW,         /* a = fast-llm value, b = hf value, flags = direction */
  AST_ALLOW,       /* str = layout, a = keys (AST_STR) */
  AST_PATH,        /* a = first segment (AST_IDENT/AST_STR list) */
  AST_IDENT,       /* str */
  AST_STR,         /* str */
  AST_INT,         /* ival */
  AST_FLOAT,       /* fval, str = source text */
  AST_BOOL,        /* ival */
  AST_NULL,
  AST_LIST,        /* a = items */
  AST_SELF,
  AST_UNOP,        /* str = operator, a */
  AST_BINOP,       /* str = operator, a, b */
  AST_IF,          /* a = cond, b = then, c = else */
  AST_CALL,        /* str = function, a = args */
  AST_IS,          /* a = expr, str = class name */
  AST_IN,          /* a = expr, b = list; flags = negated */
  AST_GUARD,       /* str = layout name, a = the declaration it limits */
  AST_SEQ,         /* class `sequence`: a = block(s) field, b = count
                      field, c = pattern field or NULL (AST_IDENT) */
  AST_KIND_COUNT
} ck_ast_kind;

enum {
  CK_TYF_OPTIONAL = 1, /* T? */
  CK_TYF_LIST = 2,     /* list[T] */
  CK_TYF_DICT = 4,     /* dict[str, T] */
  CK_TYF_ENUM = 8      /* enum(a, b) inline */
};

enum {
  CK_FIELD_REQUIRED = 1, /* no default: must be given */
  CK_FIELD_IMPLICIT = 2, /* default computed during validation */
  CK_DECL_RECURSIVE = 4, /* custom/import claims whole subtrees */
  CK_SECTION_EXTENDS = 8,
  CK_ROW_IMPORT_ONLY = 16,
  CK_ROW_EXPORT_ONLY = 32,
  CK_DECL_IF_PRESENT = 64, /* rename imported only when the HF key exists */
  CK_FIELD_ALWAYS = 128,   /* validation makes the field explicit */
  CK_BRANCH_DEFAULT = 256  /* `default C -> S`: what an absent type means */
};

typedef struct ck_node {
  ck_ast_kind kind;
  ck_loc loc;
  const char *str;
  const char *s2;
  long long ival;
  double fval;
  int flags;
  struct ck_node *a, *b, *c, *d;
  struct ck_node *next; /* sibling in a list */
} ck_node;

/* ---- arena: every AST node and string of one compilation ---- */
typedef struct ck_arena ck_arena;
ck_arena *ck_arena_new(void);
void ck_arena_free(ck_arena *a);
void *ck_arena_alloc(ck_arena *a, size_t n);      /* zeroed */
char *ck_arena_strdup(ck_arena *a, const char *s);
char *ck_arena_strndup(ck_arena *a, const char *s, size_t n);
char *ck_arena_printf(ck_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- constructors used by the grammar (one call per action) ---- */
ck_node *ck_ast_new(ck_arena *a, ck_ast_kind kind, ck_loc loc);
ck_node *ck_ast_str(ck_arena *a, ck_ast_kind kind, ck_loc loc,
                    const char *str);
ck_node *ck_ast_op(ck_arena *a, ck_ast_kind kind, ck_loc loc,
                   const char *op, ck_node *x, ck_node *y);
ck_node *ck_ast_decl(ck_arena *a, ck_loc loc, const char *prim, ck_node *x,
                     ck_node *y, ck_node *z);
ck_node *ck_ast_append(ck_node *list, ck_node *item); /* returns list */
ck_node *ck_ast_set(ck_node *n, const char *s2, ck_node *b, ck_node *c,
                    int flags);
int ck_ast_count(const ck_node *list);
const char *ck_ast_kind_name(ck_ast_kind k);

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
