/* cmd_config.c - the commands that work on a config document alone:
 * `formats`, `config export`, `config import`, `weights` and `params`.
 * They read a Fast-LLM or HF config (JSON or YAML, a file or stdin) and
 * print JSON; no checkpoint is involved. */
#include "cmds.h"

#include <stdio.h>
#include <string.h>

#include "ck_complete.h"
#include "ck_convert.h"
#include "ck_params.h"
#include "ck_weights.h"

int cmd_formats(const cli_cmd *cmd, int argc, char **argv) {
  const char *pos[1];
  int n_pos;
  ck_error err;
  ck_error_clear(&err);
  int rc = cli_parse(cmd, argc, argv, NULL, NULL, pos, 0, &n_pos, &err);
  if (rc) return rc > 0 ? 0 : cli_fail(&err);
  const ck_spec *spec = cli_spec;
  printf("%-18s %-18s %-26s %s\n", "FORMAT", "MODEL_TYPE", "ARCHITECTURE",
         "LAYOUTS");
  /* the other end of every conversion: Fast-LLM's own checkpoint folder */
  printf("%-18s %-18s %-26s %s\n", "fast_llm", "-",
         "(metadata.yaml + safetensors)", "-");
  for (int i = 0; i < spec->n_formats; i++) {
    const ck_format *f = &spec->formats[i];
    printf("%-18s %-18s %-26s %s%s%s\n", f->name, f->model_type,
           f->n_architectures ? f->architectures[0] : "-",
           (f->layouts & CK_LAYOUT_V4) ? "v4" : "",
           (f->layouts & CK_LAYOUT_V4) && (f->layouts & CK_LAYOUT_V5) ? ","
                                                                      : "",
           (f->layouts & CK_LAYOUT_V5) ? "v5" : "");
  }
  return 0;
}

enum { OPT_LAYOUT = CLI_LONG, OPT_RAW, OPT_PRINT_COMPLETED };

/* The options of the config-document commands. */
typedef struct doc_opts {
  const char *format, *layout;
  int raw, print_completed;
  cli_ignore ignore; /* --ignore-hf-key */
} doc_opts;

static int on_doc_opt(void *ctx, int key, const char *v, ck_error *err) {
  doc_opts *o = ctx;
  switch (key) {
  case 'f': o->format = v; return 0;
  case OPT_LAYOUT: o->layout = v; return 0;
  case OPT_RAW: o->raw = 1; return 0;
  case OPT_PRINT_COMPLETED: o->print_completed = 1; return 0;
  case CLI_OPT_IGNORE: return cli_add_ignore(&o->ignore, v, err);
  }
  return cli_usage(err, "unhandled option");
}

const cli_opt cli_export_opts[] = {
    {"format", 'f', "FORMAT", "the HF format (see ckconv formats)"},
    {"layout", OPT_LAYOUT, "v4|v5", "transformers layout of the HF config"},
    {NULL, 0, NULL, NULL}};
const cli_opt cli_import_opts[] = {
    {"format", 'f', "FORMAT", "the HF format (see ckconv formats)"},
    {"layout", OPT_LAYOUT, "v4|v5", "transformers layout of the HF config"},
    {"raw", OPT_RAW, NULL, "import the dict as given, not completed by its "
                           "transformers class"},
    {CLI_IGNORE_OPT},
    {"print-completed", OPT_PRINT_COMPLETED, NULL,
     "print the dict as the transformers class completes it"},
    {NULL, 0, NULL, NULL}};
const cli_opt cli_weights_opts[] = {
    {"format", 'f', "FORMAT", "the HF format (see ckconv formats)"},
    {NULL, 0, NULL, NULL}};

/* A parsed config-document command: its options, format, and document
 * owned by rt. */
typedef struct doc_cmd {
  doc_opts o;
  const ck_format *f;
  ck_rt rt;
  json_t *doc;
} doc_cmd;

/* Parse a config-document command; then its format, layout and document
 * (errors of the document itself at load_stage) into d->rt, which owns
 * it.  Returns -1 when ready (free d->rt after), else the exit status. */
static int open_doc(const cli_cmd *cmd, int argc, char **argv,
                    ck_stage load_stage, doc_cmd *d) {
  doc_opts *o = &d->o;
  const ck_format **f = &d->f;
  ck_rt *rt = &d->rt;
  json_t **doc = &d->doc;
  memset(o, 0, sizeof *o);
  const char *pos[1];
  int n_pos;
  ck_error err;
  ck_error_clear(&err);
  int rc = cli_parse(cmd, argc, argv, on_doc_opt, o, pos, 1, &n_pos, &err);
  if (rc > 0) return 0;
  if (rc < 0) return cli_fail(&err);
  if (!o->format) return cli_usage(&err, "missing -f FORMAT"), cli_fail(&err);
  if (o->raw && o->print_completed)
    return cli_usage(&err, "--print-completed shows the completion, which "
                           "--raw skips"),
           cli_fail(&err);
  *f = cli_format(o->format, 0, NULL, &err);
  if (!*f) return cli_fail(&err);
  int layout = cli_layout(*f, o->layout, &err);
  if (layout < 0) return cli_fail(&err);
  *doc = cli_load_doc(n_pos ? pos[0] : "-", load_stage, &err);
  if (!*doc) return cli_fail(&err);
  ck_rt_init(rt, cli_spec, layout);
  ck_rt_own(rt, *doc);
  return -1;
}

/* Accept the base_model section alone, or a model config holding it. */
static json_t *base_model_of(json_t *doc) {
  json_t *c = json_object_get(doc, "config");
  if (c && json_is_object(c) && json_object_get(c, "base_model")) doc = c;
  json_t *b = json_object_get(doc, "base_model");
  return (b && json_is_object(b)) ? b : doc;
}

int cmd_config_export(const cli_cmd *cmd, int argc, char **argv) {
  doc_cmd d;
  int rc = open_doc(cmd, argc, argv, CK_STAGE_VALIDATION, &d);
  if (rc >= 0) return rc;
  ck_error err;
  ck_error_clear(&err);
  json_t *hf = ck_export_config(&d.rt, d.f, base_model_of(d.doc), &err);
  rc = hf ? cli_print_json(hf) : cli_fail(&err);
  ck_rt_free(&d.rt);
  return rc;
}

int cmd_config_import(const cli_cmd *cmd, int argc, char **argv) {
  doc_cmd d;
  int rc = open_doc(cmd, argc, argv, CK_STAGE_MODEL_TYPE_CHECK, &d);
  if (rc >= 0) return rc;
  const doc_opts o = d.o;
  const ck_format *f = d.f;
  ck_rt *rt = &d.rt;
  json_t *doc = d.doc;
  ck_error err;
  ck_error_clear(&err);
  if (o.print_completed) {
    /* what transformers would hand upstream, before ckconv's deviations */
    json_t *done = ck_complete_hf_config(rt, f, rt->layout, doc, &err);
    rc = done ? cli_print_json(done) : cli_fail(&err);
    ck_rt_free(rt);
    return rc;
  }
  /* default: through the format's transformers class, as upstream reads
   * a config.json; --raw: the dict exactly as given */
  ck_hf_read how = {
      .raw = o.raw, .ignore_keys = o.ignore.keys, .n_ignore_keys = o.ignore.n};
  json_t *out = NULL;
  ck_cfg *cfg = ck_import_hf_config(rt, f, doc, &how, NULL, &out, &err);
  rc = cfg ? cli_print_json(out) : cli_fail(&err);
  json_t *mt = json_object_get(doc, "model_type");
  const char *cls = ck_transformers_class(rt, f);
  if (cfg && !o.raw && cls && json_is_string(mt) &&
      strcmp(json_string_value(mt), f->model_type) != 0)
    fprintf(stderr, "ckconv: warning: the config's model_type is '%s'; "
            "it was read through %s as '%s' (transformers only warns "
            "about this, and upstream accepts it)\n",
            json_string_value(mt), cls, f->model_type);
  ck_rt_free(rt);
  return rc;
}

/* `weights`: the ordered leaf converters; `params`: the model's tensors
 * with their shapes, as the schema declares them. */
static int weights_or_params(const cli_cmd *cmd, int argc, char **argv,
                             int params_only) {
  doc_cmd d;
  int rc = open_doc(cmd, argc, argv, CK_STAGE_VALIDATION, &d);
  if (rc >= 0) return rc;
  ck_rt *rt = &d.rt;
  const ck_format *f = d.f;
  ck_error err;
  ck_error_clear(&err);
  ck_cfg *cfg = ck_load_base_model(rt, f, base_model_of(d.doc), &err);
  ck_plan plan;
  ck_params params;
  if (params_only && cfg && ck_model_params(rt, cfg, &params, &err) == 0) {
    json_t *out = ck_rt_own(rt, json_array());
    for (size_t i = 0; i < params.n; i++) {
      json_t *p = json_object(), *shape = json_array();
      for (int d = 0; d < params.items[i].ndim; d++)
        json_array_append_new(shape, json_integer(params.items[i].shape[d]));
      json_object_set_new(p, "name", json_string(params.items[i].name));
      json_object_set_new(p, "shape", shape);
      if (params.items[i].tied_to)
        json_object_set_new(p, "tied_to",
                            json_string(params.items[i].tied_to));
      json_array_append_new(out, p);
    }
    rc = cli_print_json(out);
  } else if (!params_only && cfg &&
             ck_weights_plan(rt, f, cfg, &plan, &err) == 0) {
    rc = cli_print_json(ck_plan_to_json(rt, &plan));
  } else {
    rc = cli_fail(&err);
  }
  ck_rt_free(rt);
  return rc;
}

int cmd_weights(const cli_cmd *cmd, int argc, char **argv) {
  return weights_or_params(cmd, argc, argv, 0);
}

int cmd_params(const cli_cmd *cmd, int argc, char **argv) {
  return weights_or_params(cmd, argc, argv, 1);
}
