/* ck_spec.h - the data model shared by convc and the runtime.
 *
 * The kinds of declarations, weight declarations, hints, builtins and
 * transforms are enums expanded from the .def lists next to this file,
 * each the only place its list is written.
 *
 * convc (compiler/) builds these structures from the .conv specs and
 * prints them as `static const` C initializers into generated/; the
 * runtime (runtime/) executes them.  Every entry carries the spec
 * location it came from, so a runtime error can name the rule
 * ("specs/llama.conv:14").  Nothing here is mutable at run time.
 */
#ifndef CK_SPEC_H
#define CK_SPEC_H

/* the most dimensions a `param` may declare (convc rejects more) */
#define CK_MAX_DIMS 8

typedef struct ck_srcloc {
  const char *file;
  int line, col;
} ck_srcloc;

/* ------------------------------------------------------------ paths */
typedef struct ck_path {
  const char *const *seg;
  int n;
  const char *text; /* dotted form, for messages */
} ck_path;

/* ------------------------------------------------------ expressions */
/* ORDER CK_EX: the runtime evaluator (ck_expr.c) switches on these. */
typedef enum ck_ex_op {
  CK_EX_NULL, CK_EX_BOOL, CK_EX_INT, CK_EX_FLOAT, CK_EX_STR, CK_EX_LIST,
  CK_EX_PATH,  /* field path (export: config; import: HF dict) */
  CK_EX_SELF,  /* the section's config object */
  CK_EX_NOT, CK_EX_NEG,
  CK_EX_AND, CK_EX_OR,
  CK_EX_ADD, CK_EX_SUB, CK_EX_MUL, CK_EX_DIV, CK_EX_FLOORDIV, CK_EX_MOD,
  CK_EX_EQ, CK_EX_NE, CK_EX_LT, CK_EX_LE, CK_EX_GT, CK_EX_GE,
  CK_EX_IN, CK_EX_NOT_IN,
  CK_EX_IS, CK_EX_IS_NOT, /* exact class test: cls */
  CK_EX_IF,
  CK_EX_CALL, /* builtin (ck_builtins.def): name */
  CK_EX_COALESCE /* a ?? b: a unless it is null */
} ck_ex_op;

typedef struct ck_expr {
  ck_ex_op op;
  long long i;     /* INT, BOOL */
  double f;        /* FLOAT */
  const char *s;   /* STR; CALL: function name */
  const ck_path *path;
  const struct ck_expr *const *args; /* operands, list items, call args */
  int n_args;
  int cls;         /* IS: class index */
  const char *text; /* source text, for messages */
  ck_srcloc loc;
} ck_expr;

/* the expression builtins, by their index in ck_builtins.def */
typedef enum ck_builtin_id {
#define CK_BUILTIN(id, name, min_args, max_args, doc) CK_FN_##id,
#include "ck_builtins.def"
#undef CK_BUILTIN
} ck_builtin_id;
/* outside the enum, so switches over it need no case for it */
enum { CK_FN_COUNT = 0
#define CK_BUILTIN(id, name, min_args, max_args, doc) + 1
#include "ck_builtins.def"
#undef CK_BUILTIN
};

/* a named expression: transform params, linear options, module locals */
typedef struct ck_wparam {
  const char *name;
  const ck_expr *value;
} ck_wparam;

/* ------------------------------------------------------------ schema */
typedef enum ck_hint {
#define CK_HINT(id, name, doc) CK_HINT_##id,
#include "ck_hints.def"
#undef CK_HINT
} ck_hint;
/* outside the enum, so switches over it need no case for it */
enum { CK_HINT_COUNT = 0
#define CK_HINT(id, name, doc) + 1
#include "ck_hints.def"
#undef CK_HINT
};

typedef enum ck_type_kind {
  CK_TY_ANY, CK_TY_INT, CK_TY_FLOAT, CK_TY_BOOL, CK_TY_STR, CK_TY_ENUM,
  CK_TY_CONFIG, CK_TY_LIST, CK_TY_DICT
} ck_type_kind;

typedef struct ck_type {
  ck_type_kind kind;
  int optional;                    /* null accepted */
  const struct ck_type *elem;      /* LIST, DICT values */
  int cls;                         /* CONFIG: class index */
  const char *const *enum_values;  /* ENUM */
  int n_enum;
  const char *text;                /* as written, for messages */
} ck_type;

typedef enum ck_default_kind {
  CK_DEF_EMPTY,    /* sub-config built from {}, empty dict/list */
  CK_DEF_VALUE,    /* literal default */
  CK_DEF_IMPLICIT, /* null, then computed during validation */
  CK_DEF_REQUIRED  /* must be given */
} ck_default_kind;

typedef struct ck_field {
  const char *name;
  ck_hint hint;
  const ck_type *type;
  ck_default_kind def_kind;
  const ck_expr *def;        /* VALUE: literal; IMPLICIT: expression */
  ck_ex_op cmp;              /* per-field bound (CK_EX_GT..), or CK_EX_NULL */
  const ck_expr *bound;
  int owner;                 /* class that declares it */
  int always;                /* validation makes it explicit (serialized) */
  ck_srcloc loc;
} ck_field;

typedef struct ck_check {
  const ck_expr *cond;
  const char *message;
  ck_srcloc loc;
} ck_check;

/* What a config contributes to the model's parameters (for weight
 * coverage and shape checks): a tensor, a sub-module, a repeated
 * sub-module, or a tie (a duplicate that is never saved). */
typedef enum ck_member_kind {
  CK_M_PARAM, CK_M_MODULE, CK_M_REPEAT, CK_M_TIE
} ck_member_kind;

typedef struct ck_member {
  ck_member_kind kind;
  const ck_path *name;       /* may contain {i} (REPEAT) */
  const struct ck_expr *const *dims; /* PARAM shape */
  int n_dims;
  const struct ck_expr *value;  /* MODULE/REPEAT: the sub-config */
  const ck_path *target;     /* TIE: the tensor actually stored */
  const struct ck_expr *when;
  const struct ck_expr *count;  /* REPEAT */
  const struct ck_wparam *args; /* MODULE: locals ($name) for the sub-module */
  int n_args;
  ck_srcloc loc;
} ck_member;

typedef struct ck_class {
  const char *name;
  int parent;                /* -1 for roots */
  const char *dynamic_name;  /* registered `type` name, or NULL */
  int registry;              /* class whose registry holds the name, -1 */
  int default_subclass;      /* used when `type` is absent, -1 */
  int abstract;
  const ck_field *fields;    /* inherited first; field 0 is `type` */
  int n_fields;
  const ck_check *checks;    /* inherited first */
  int n_checks;
  const ck_member *members;  /* inherited first */
  int n_members;
  ck_srcloc loc;
  /* `sequence`: the fields that make the class a block sequence (field
   * indexes, -1 when absent or not a sequence) */
  int seq_block;             /* the block of every position (fixed) */
  int seq_blocks;            /* the named blocks (pattern) */
  int seq_pattern;           /* the block name of each position */
  int seq_count;             /* the number of positions */
} ck_class;

/* -------------------------------------------------- value tables */
typedef struct ck_table_row {
  const ck_expr *fast_llm;
  const ck_expr *hf;
  int export_ok, import_ok;
} ck_table_row;

typedef struct ck_table {
  const char *name;
  const ck_table_row *rows;
  int n_rows;
} ck_table;

/* -------------------------------------------- section converters */
typedef enum ck_decl_kind {
#define CK_DECL(id, word, label, doc) CK_DECL_##id,
#include "ck_decls.def"
#undef CK_DECL
} ck_decl_kind;
/* outside the enum, so switches over it need no case for it */
enum { CK_DECL_COUNT = 0
#define CK_DECL(id, word, label, doc) + 1
#include "ck_decls.def"
#undef CK_DECL
};

struct ck_hook;

typedef struct ck_branch {
  int cls;         /* Fast-LLM class selecting the branch */
  int section;     /* its section converter */
  const ck_path *hf; /* weights: HF prefix for this branch, or NULL */
  int is_default;  /* DISPATCH `default`: taken on import when the HF
                      mapping or its discriminator is absent */
} ck_branch;

typedef struct ck_decl {
  ck_decl_kind kind;
  const char *key;           /* declaration key (inheritance overrides) */
  const ck_path *fl;         /* Fast-LLM paths claimed */
  int n_fl;
  const ck_path *hf;         /* HF paths claimed (recursive prefixes) */
  int n_hf;
  int recursive;             /* fl paths claim whole subtrees */
  const ck_expr *value;      /* constant, fallback, sentinel, import expr,
                                validate condition */
  int has_sentinel;          /* OPTIONAL: 1 = explicit sentinel;
                                RENAME: 2 = `when present` */
  const ck_table *table;     /* RENAME via table */
  int section;               /* NESTED, SEQUENCE: section index */
  const ck_path *at;         /* NESTED/DISPATCH/TYPED_DICT: HF sub-path */
  int self_config;           /* NESTED `""`: the section's own config */
  const ck_expr *when;       /* CONST_EXPORT: written only when true */
  int opaque_hf;             /* NESTED `recursive`: HF subtree claimed whole */
  const ck_path *by;         /* LAYOUT: path in a block that selects it */
  const ck_branch *branches;
  int n_branches;
  const char *discriminator; /* HF key naming the branch ("type") */
  const struct ck_hook *hook;/* CUSTOM */
  const char *message;       /* VALIDATE */
  const char *text;          /* the declaration as written */
  ck_srcloc loc;
  int layout;                /* `layout v4|v5`: the CK_LAYOUT_* it is
                                limited to; 0 for every layout */
  int fixed_cls;             /* SEQUENCE, LAYOUT: the sequence class import
                                builds for one block kind, */
  int pattern_cls;           /* LAYOUT: ... and for several; -1 */
} ck_decl;

/* ------------------------------------------------ weight converters */
typedef enum ck_transform_id {
#define CK_TRANSFORM(id, name, kind) CK_TF_##id,
#include "ck_transforms.def"
#undef CK_TRANSFORM
  CK_TF_COUNT
} ck_transform_id;

typedef enum ck_wkind {
#define CK_WDECL(id, word, label, doc) CK_W_##id,
#include "ck_wdecls.def"
#undef CK_WDECL
} ck_wkind;
/* outside the enum, so switches over it need no case for it */
enum { CK_W_COUNT = 0
#define CK_WDECL(id, word, label, doc) + 1
#include "ck_wdecls.def"
#undef CK_WDECL
};


typedef struct ck_wdecl {
  ck_wkind kind;
  const char *key;           /* override key for `extends` */
  const ck_path *fl;         /* Fast-LLM name or prefix */
  const ck_path *hf;         /* HF names or prefix */
  int n_hf;
  int transform;             /* ck_transform_id */
  const ck_wparam *params;   /* transform params; linear: bias */
  int n_params;
  const ck_expr *config;     /* sub-config; NULL = the fl path */
  const ck_expr *when;       /* emitted only when true */
  const ck_expr *count;      /* REPEAT; LEAF/LINEAR: `for i in N` */
  int optional;              /* NESTED: skip when the sub-config is null */
  int self;                  /* SEQUENCE: the section config is the sequence */
  int section;
  const ck_branch *branches;
  int n_branches;
  const ck_path *by;         /* SEQUENCE_DISPATCH: path in a block whose
                                class selects the branch (NULL: the block) */
  const char *text;
  ck_srcloc loc;
} ck_wdecl;

typedef struct ck_section {
  const char *name;
  int cls;                   /* Fast-LLM config class it converts */
  const char *hf_type_name;  /* HF discriminator value, or NULL */
  const ck_decl *decls;      /* parent's first (overrides in place) */
  int n_decls;
  const ck_wdecl *wdecls;    /* weight converters, same override rule */
  int n_wdecls;
  ck_srcloc loc;
} ck_section;

/* --------------------------------------------------------- formats */
enum { CK_LAYOUT_V4 = 1, CK_LAYOUT_V5 = 2 };
enum { CK_SKIP_MODEL_TYPE = 1, CK_SKIP_ARCHITECTURES = 2 };

typedef struct ck_format {
  const char *name;
  const char *model_type;
  const char *const *architectures;
  int n_architectures;
  const char *const *auto_map; /* key, value, key, value... */
  int n_auto_map;
  const char *const *buffers;  /* HF tensor-name suffixes of buffers a
                                  checkpoint may carry that no converter
                                  reads ("rotary_emb.inv_freq"): skipped */
  int n_buffers;
  int layouts;                 /* CK_LAYOUT_* mask */
  int skip_checks;             /* CK_SKIP_*: import checks it omits */
  int root;                    /* root section */
  int model_class;             /* the base-model config class */
  ck_srcloc loc;
} ck_format;

typedef struct ck_allowlist {
  const char *layout;          /* "common", "v4", "v5" */
  const char *const *keys;
  int n_keys;
} ck_allowlist;

/* a data file compiled in next to the specs (e.g. transformers defaults) */
typedef struct ck_data {
  const char *name;   /* file name without directory */
  const char *text;   /* its bytes, NUL-terminated */
  unsigned long len;
} ck_data;

/* ------------------------------------------------ the whole program */
typedef struct ck_spec {
  const ck_class *classes;
  int n_classes;
  const ck_section *sections;
  int n_sections;
  const ck_format *formats;
  int n_formats;
  const ck_table *tables;
  int n_tables;
  const ck_allowlist *allowlists;
  int n_allowlists;
  const char *const *hooks;    /* names of the C hooks the specs use */
  int n_hooks;
  const ck_data *data;         /* specs/NAME.json, compiled in */
  int n_data;
  /* SHA-256 over the spec and data files compiled in (base name and
   * contents of each, in command-line order): which specs these are */
  const char *sources_sha256;
} ck_spec;

/* The compiled-in data file `name`, or NULL. */
const ck_data *ck_spec_data(const ck_spec *s, const char *name);

#endif
