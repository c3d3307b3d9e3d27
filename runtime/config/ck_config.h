/* ck_config.h - Fast-LLM config objects built from the generated schema.
 *
 * Runtime counterpart of the `config` declarations: from_dict (class
 * dispatch on `type`, defaults, unknown-field rejection), validation
 * (types, bounds, checks, implicit defaults, `type` made explicit) and
 * to_dict (explicit fields only, nested configs omitted when empty), with
 * Fast-LLM's semantics.  Memory rule: everything a conversion allocates,
 * config objects and the json values it creates, belongs to one ck_rt and
 * is released by ck_rt_free; callers never free pieces.
 */
#ifndef CK_CONFIG_H
#define CK_CONFIG_H

#include <jansson.h>

#include "ck_error.h"
#include "ck_spec.h"

typedef struct ck_cfg ck_cfg;

typedef struct ck_cfgdict {
  int n;
  const char **keys;
  ck_cfg **vals;
} ck_cfgdict;

typedef struct ck_slot {
  json_t *v;        /* scalar, list or plain dict value; NULL for configs */
  ck_cfg *sub;      /* config-typed field (NULL when the value is null) */
  ck_cfgdict *dict; /* dict[str, Config] field */
  int is_explicit;  /* given by the user (serialized by to_dict) */
} ck_slot;

struct ck_cfg {
  int cls;          /* index into spec->classes */
  ck_slot *slots;   /* one per field of the class */
};

/* One conversion's context: the spec, the layout, and the allocations. */
typedef struct ck_rt {
  const ck_spec *spec;
  int layout;           /* CK_LAYOUT_V4 or CK_LAYOUT_V5 */
  struct ck_rt_block *blocks;
  json_t **refs;        /* json values owned by this context */
  size_t n_refs, cap_refs;
} ck_rt;

void ck_rt_init(ck_rt *rt, const ck_spec *spec, int layout);
void ck_rt_free(ck_rt *rt);
void *ck_rt_alloc(ck_rt *rt, size_t n);   /* zeroed, owned by rt */
/* prefix + "." + name, either side may be empty (tensor and module
 * names); owned by rt */
char *ck_rt_join(ck_rt *rt, const char *prefix, const char *name);
json_t *ck_rt_own(ck_rt *rt, json_t *v);  /* hand a new reference to rt */
/* Copies owned by rt; ck_rt_strdup(rt, NULL) is NULL. */
char *ck_rt_strndup(ck_rt *rt, const char *s, size_t n);
char *ck_rt_strdup(ck_rt *rt, const char *s);

/* Build a config of class `cls` (or the subclass `type` names) from a
 * JSON object (NULL = {}).  `where` names the position for messages. */
ck_cfg *ck_cfg_from_dict(ck_rt *rt, int cls, json_t *obj, const char *where,
                         ck_error *err);
int ck_cfg_validate(ck_rt *rt, ck_cfg *cfg, const char *where, ck_error *err);
/* Serialize explicit fields; returns a new reference owned by rt. */
json_t *ck_cfg_to_dict(ck_rt *rt, const ck_cfg *cfg);

const ck_class *ck_cfg_class(const ck_rt *rt, const ck_cfg *cfg);
/* A block sequence (fixed: `block` x num_blocks; pattern: `blocks` by the
 * expanded pattern) as one config per position; -1 if cfg is not one. */
int ck_cfg_expand_sequence(ck_rt *rt, ck_cfg *seq, ck_cfg ***blocks,
                           long long *n, ck_error *err);
int ck_class_field_index(const ck_spec *s, int cls, const char *name);

/* ------------------------------------------------------ expressions */
/* A value during evaluation: exactly one of j, c, d is meaningful; a null
 * value is j == json_null(). */
typedef struct ck_val {
  json_t *j;
  ck_cfg *c;
  ck_cfgdict *d;
} ck_val;

/* Where paths resolve: a config object (export side, checks) or an HF
 * dict (import side). */
typedef struct ck_scope {
  ck_cfg *cfg;
  json_t *hf;
  ck_cfg *root;    /* `$name`: the root config's field, */
  json_t *locals;  /* unless a module local of that name is set */
} ck_scope;

int ck_eval(ck_rt *rt, const ck_expr *e, ck_scope sc, ck_val *out,
            ck_stage stage, ck_error *err);
int ck_resolve_path(ck_rt *rt, ck_scope sc, const ck_path *p, ck_val *out,
                    ck_stage stage, ck_error *err);
int ck_truthy(ck_val v);
/* Python `==` between plain values (1 == 1.0, deep for lists/dicts). */
int ck_py_equal(const json_t *a, const json_t *b);
/* Render a value the way Python's repr would, for messages. */
void ck_val_repr(const ck_rt *rt, ck_val v, char *buf, size_t n);
void ck_json_repr(const json_t *v, char *buf, size_t n);

#endif
