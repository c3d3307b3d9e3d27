/* ck_hooks.c - the C transforms that the .conv language names with
 * `custom NAME`.  Keep this file small: a hook exists only where a
 * mapping depends on the transformers layout or reshapes several keys at
 * once.  Each hook still has its Fast-LLM and HF claims declared in the
 * spec, so coverage stays exact.
 *
 * llama_rotary: Fast-LLM rotary config <-> transformers rope settings.
 *   v4: flat `rope_theta` plus `rope_scaling` (llama3 and yarn only);
 *   v5: one `rope_parameters` dict.  Import reads whichever is present.
 */
#include "ck_convert.h"

#include <stdio.h>
#include <string.h>

typedef struct rope_extra {
  const char *hf;       /* key in the rope parameters */
  const char *fast_llm; /* rotary config field */
} rope_extra;

static const rope_extra llama3_extras[] = {
    {"factor", "scale_factor"},
    {"low_freq_factor", "low_frequency_factor"},
    {"high_freq_factor", "high_frequency_factor"},
    {"original_max_position_embeddings", "original_context_length"},
    {NULL, NULL}};

static const rope_extra yarn_extras[] = {
    {"factor", "scale_factor"},
    {"attention_factor", "attention_factor"},
    {"beta_fast", "beta_fast"},
    {"beta_slow", "beta_slow"},
    {"original_max_position_embeddings", "original_context_length"},
    {NULL, NULL}};

static const rope_extra *extras_for(const char *rope_type) {
  if (strcmp(rope_type, "llama3") == 0) return llama3_extras;
  if (strcmp(rope_type, "yarn") == 0) return yarn_extras;
  return NULL;
}

/* The rule name a hook's writes are reported under ("hook NAME (file:line)"),
 * so a conflict names the spec line that called the hook. */
static const char *hook_rule(const ck_decl *d, const char *hook, char *buf,
                             size_t size) {
  snprintf(buf, size, "hook %s (%s:%d)", hook, d->loc.file, d->loc.line);
  return buf;
}

static json_t *field(ck_rt *rt, ck_cfg *c, const char *name) {
  int fi = ck_class_field_index(rt->spec, c->cls, name);
  return fi >= 0 ? c->slots[fi].v : NULL;
}

static int rotary_export(ck_rt *rt, const ck_decl *d, ck_cfg *cfg,
                         json_t *hf, ck_error *err) {
  int fi = ck_class_field_index(rt->spec, cfg->cls, d->fl[0].seg[0]);
  ck_cfg *rot = fi >= 0 ? cfg->slots[fi].sub : NULL;
  const char *cls = rot ? rt->spec->classes[rot->cls].name : "None";
  const char *type = NULL;
  if (strcmp(cls, "DefaultRotaryConfig") == 0) type = "default";
  else if (strcmp(cls, "Llama3RotaryConfig") == 0) type = "llama3";
  else if (strcmp(cls, "YarnRotaryConfig") == 0) type = "yarn";
  if (!type)
    return ck_fail(err, CK_STAGE_EXPORT,
                   "Unsupported rotary type: %s (this format "
                   "supports default, llama3 and yarn rotary embeddings)",
                   cls);
  json_t *params = ck_rt_own(rt, json_object());
  json_object_set(params, "rope_theta", field(rt, rot, "theta"));
  json_object_set_new(params, "rope_type", json_string(type));
  const rope_extra *ex = extras_for(type);
  for (; ex && ex->hf; ex++)
    json_object_set(params, ex->hf, field(rt, rot, ex->fast_llm));
  char rule[256];
  hook_rule(d, "llama_rotary", rule, sizeof rule);
  if (rt->layout == CK_LAYOUT_V5)
    return ck_safe_set_key(rt, hf, "rope_parameters", params, CK_STAGE_EXPORT,
                           rule, err);
  if (ck_safe_set_key(rt, hf, "rope_theta",
                      json_object_get(params, "rope_theta"), CK_STAGE_EXPORT,
                      rule, err))
    return -1;
  if (!extras_for(type)) return 0;
  json_t *scaling = ck_rt_own(rt, json_deep_copy(params));
  json_object_del(scaling, "rope_theta");
  return ck_safe_set_key(rt, hf, "rope_scaling", scaling, CK_STAGE_EXPORT, rule,
                         err);
}

static int rotary_import(ck_rt *rt, const ck_decl *d, json_t *hf,
                         json_t *fl, ck_error *err) {
  json_t *params = json_object_get(hf, "rope_parameters");
  json_t *theta;
  const char *where;
  if (params) {
    where = "rope_parameters";
    if (!json_is_object(params))
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                     "rope_parameters must be a "
                     "mapping");
    theta = json_object_get(params, "rope_theta");
    if (!theta)
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                     "rope_parameters has no "
                     "'rope_theta'");
  } else {
    where = "rope_scaling";
    params = json_object_get(hf, "rope_scaling");
    if (params && json_is_null(params)) params = NULL;
    if (params && !json_is_object(params))
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                     "rope_scaling must be a mapping "
                     "or null");
    theta = json_object_get(hf, "rope_theta");
    if (!theta)
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                     "HF config has no key "
                     "'rope_theta' (and no rope_parameters)");
  }
  json_t *rt_type = params ? json_object_get(params, "rope_type") : NULL;
  const char *type = rt_type && json_is_string(rt_type)
                         ? json_string_value(rt_type) : "default";
  if (strcmp(type, "default") && strcmp(type, "llama3") &&
      strcmp(type, "yarn"))
    return ck_fail(err, CK_STAGE_IMPORT_CONFIG,
                   "Unsupported rotary type: %s "
                   "(%s.rope_type; supported: default, llama3, yarn)",
                   type, where);
  json_t *rot = ck_rt_own(rt, json_object());
  json_object_set_new(rot, "type", json_string(type));
  json_object_set(rot, "theta", theta);
  for (const rope_extra *ex = extras_for(type); ex && ex->hf; ex++) {
    json_t *v = json_object_get(params, ex->hf);
    if (!v)
      return ck_fail(err, CK_STAGE_IMPORT_CONFIG, "%s rotary needs '%s' in %s",
                     type, ex->hf, where);
    json_object_set(rot, ex->fast_llm, v);
  }
  char rule[256];
  hook_rule(d, "llama_rotary", rule, sizeof rule);
  return ck_safe_set_key(rt, fl, d->fl[0].seg[0], rot, CK_STAGE_IMPORT_CONFIG,
                         rule, err);
}

const ck_hook ck_hook_llama_rotary = {"llama_rotary", rotary_export,
                                      rotary_import};

/* pixtral_rotary: the vision encoder's 2-D rotary <-> transformers Pixtral
 * rope settings: v4 `rope_theta`, v5 `rope_parameters` {rope_theta,
 * rope_type "default"}; import always gives a `default_2d` rotary. */
static int pixtral_export(ck_rt *rt, const ck_decl *d, ck_cfg *cfg,
                          json_t *hf, ck_error *err) {
  int fi = ck_class_field_index(rt->spec, cfg->cls, d->fl[0].seg[0]);
  ck_cfg *rot = fi >= 0 ? cfg->slots[fi].sub : NULL;
  json_t *theta = rot ? field(rt, rot, "theta") : NULL;
  if (!theta)
    return ck_fail(err, CK_STAGE_EXPORT,
                   "Unsupported rotary type: %s (the vision "
                   "encoder needs a 2-D rotary)",
                   rot ? rt->spec->classes[rot->cls].name : "None");
  char rule[256];
  hook_rule(d, "pixtral_rotary", rule, sizeof rule);
  if (rt->layout == CK_LAYOUT_V5) {
    json_t *p = ck_rt_own(rt, json_object());
    json_object_set(p, "rope_theta", theta);
    json_object_set_new(p, "rope_type", json_string("default"));
    return ck_safe_set_key(rt, hf, "rope_parameters", p, CK_STAGE_EXPORT, rule,
                           err);
  }
  return ck_safe_set_key(rt, hf, "rope_theta", theta, CK_STAGE_EXPORT, rule,
                         err);
}

static int pixtral_import(ck_rt *rt, const ck_decl *d, json_t *hf,
                          json_t *fl, ck_error *err) {
  json_t *params = json_object_get(hf, "rope_parameters");
  json_t *theta = params ? json_object_get(params, "rope_theta")
                         : json_object_get(hf, "rope_theta");
  if (!theta)
    return ck_fail(err, CK_STAGE_IMPORT_CONFIG, "vision config has no %s",
                   params ? "rope_parameters.rope_theta" : "rope_theta");
  json_t *rot = ck_rt_own(rt, json_object());
  json_object_set_new(rot, "type", json_string("default_2d"));
  json_object_set(rot, "theta", theta);
  char rule[256];
  hook_rule(d, "pixtral_rotary", rule, sizeof rule);
  return ck_safe_set_key(rt, fl, d->fl[0].seg[0], rot, CK_STAGE_IMPORT_CONFIG,
                         rule, err);
}

const ck_hook ck_hook_pixtral_rotary = {"pixtral_rotary", pixtral_export,
                                        pixtral_import};
