/* compiler.h - the phases of convc after parsing.
 *
 * sema.c   AST -> ck_spec model (names resolved, inheritance flattened,
 *          paths and types checked)
 * cover.c  static architecture coverage and sentinel checks
 * emit.c   ck_spec model -> deterministic C tables in generated/
 * data_check.c  the structure of specs/transformers.json
 * convc.c  the command line
 * Every phase reports problems through ck_diag (file:line:col) and keeps
 * going; emit runs only when no error was reported.
 */
#ifndef CK_COMPILER_H
#define CK_COMPILER_H

#include "ast.h"
#include "ck_spec.h"

/* The model under construction: ck_spec plus compile-time extras. */
typedef struct ck_model {
  ck_spec spec;
  ck_arena *arena;
  ck_diag *diag;
  /* per class: AST node and the resolved "concrete class from {}" */
  const ck_config_node **class_nodes;
  const ck_section_node **section_nodes;
  ck_loc *section_locs;
  ck_loc *class_locs;
} ck_model;

/* sema.c */
int ck_sema(ck_model *m, ck_node *items);
int ck_class_find(const ck_spec *s, const char *name);
int ck_section_find(const ck_spec *s, const char *name);
int ck_class_is_subclass(const ck_spec *s, int cls, int base);
int ck_class_field(const ck_spec *s, int cls, const char *name);
int ck_class_concrete(const ck_spec *s, int cls); /* default subclass chain */

/* cover.c */
void ck_cover(ck_model *m);

/* emit.c */
int ck_emit(const ck_model *m, const char *outdir, const char *const *inputs,
            int n_inputs, const char *symbol, const char *const *data,
            int n_data);

/* data_check.c: the --data files convc knows (transformers.json); -1
 * when an error was reported */
int ck_data_check(ck_model *m, const char *const *data, int n_data);

/* doc.c */
int ck_emit_doc(const ck_model *m, const char *path);

/* The spec word of each transform (`as split`), from ck_transforms.def:
 * sema resolves them, doc prints them. */
extern const char *const ck_transform_words[CK_TF_COUNT];

#endif
