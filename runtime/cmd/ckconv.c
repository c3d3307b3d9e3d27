/* ckconv.c - the ckconv command: the end of the pipeline.
 *
 *   ckconv formats
 *   ckconv config export -f FORMAT [--layout v4|v5] [FILE|-]
 *   ckconv config import -f FORMAT [--layout v4|v5] [--raw]
 *                        [--ignore-hf-key KEY]... [--print-completed] [FILE|-]
 *
 * Reads JSON or YAML, runs the config runtime over the generated tables
 * and prints JSON the way Python's json.dumps(sort_keys=True, indent=2)
 * does.  Exit status: 0 success, 1 rejected input (stderr's first line is
 * `ckconv: error[STAGE]: MESSAGE`), 2 usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_complete.h"
#include "ck_convert.h"
#include "ck_json_out.h"
#include "ck_tables.h"
#include "ck_params.h"
#include "ck_convert_ckpt.h"
#include "ck_report.h"
#include "ck_verify.h"
#include "ck_plan.h"
#include "ck_weights.h"
#include "ck_version.h"
#include "ck_yaml.h"


static const ck_spec *spec = &ck_spec_tables;

/* --json (plan, inspect, verify): stdout gets one report object
 * (docs/ckconv-report.schema.json), also when the command fails. */
static int json_mode;
static const char *json_cmd = "";
static json_t *report_new(int ok) {
  json_t *r = json_object();
  json_object_set_new(r, "schema", json_string("ckconv-report/1"));
  json_object_set_new(r, "command", json_string(json_cmd));
  json_object_set_new(r, "ok", json_boolean(ok));
  return r;
}
static int print_json(json_t *v);
static void report_error(const ck_error *err) {
  if (!json_mode) return;
  json_t *r = report_new(0);
  json_object_set_new(r, "error", ck_error_to_json(err));
  print_json(r);
  json_decref(r);
}

static int usage(const char *msg) {
  if (msg && json_mode) {
    ck_error e;
    ck_fail(&e, "usage", "%s", msg);
    report_error(&e);
  }
  if (msg) fprintf(stderr, "ckconv: %s\n", msg);
  fputs("usage:\n"
        "  ckconv formats\n"
        "  ckconv config export -f FORMAT [--layout v4|v5] [FILE|-]\n"
        "  ckconv config import -f FORMAT [--layout v4|v5] [--raw]\n"
        "                       [--ignore-hf-key KEY]... [--print-completed]\n"
        "                       [FILE|-]\n"
        "  ckconv weights -f FORMAT [FILE|-]\n"
        "  ckconv params -f FORMAT [FILE|-]\n"
        "  ckconv convert IN OUT [--from FORMAT|auto] --to FORMAT [--layout v4|v5]\n"
        "                 [--dtype fp32|fp16|bf16] [--parameters-per-file N]\n"
        "                 [--ignore-hf-key KEY]... [--jobs N] [--force] [--quiet]\n"
        "                 [--json]\n"
        "  ckconv plan IN [--from FORMAT|auto] --to FORMAT [--layout v4|v5]\n"
        "              [--dtype fp32|fp16|bf16] [--parameters-per-file N]\n"
        "              [--ignore-hf-key KEY]... [--jobs N] [--json]\n"
        "  ckconv inspect PATH [-f FORMAT] [--ignore-hf-key KEY]... [--json]\n"
        "  ckconv verify A B [-f FORMAT] [--jobs N] [--json]\n"
        "  ckconv --version\n"
        "See docs/cli.md.\n",
        stderr);
  return 2;
}

static int fail(const ck_error *err) {
  report_error(err);
  fprintf(stderr, "ckconv: error[%s]: %s\n", err->stage, err->msg);
  return 1;
}

/* Read a whole file ("-" = stdin). */
static char *read_all(const char *path, size_t *len, ck_error *err) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) {
    ck_fail(err, "io", "%s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
    if (n + 1 >= cap) {
      if (cap >= ((size_t)1 << 30)) { /* inputs under 1 GiB */
        free(buf);
        buf = NULL;
        ck_fail(err, "io", "%s: larger than 1 GiB, not a config file", path);
        break;
      }
      cap *= 2;
      char *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        buf = NULL;
      }
      buf = nb;
    }
  }
  int bad = ferror(f);
  if (f != stdin) fclose(f);
  if (!buf) {
    if (!ck_error_is_set(err)) ck_fail(err, "io", "%s: out of memory", path);
    return NULL;
  }
  if (bad) {
    free(buf);
    ck_fail(err, "io", "%s: read error", path);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Parse JSON, or YAML when the text is not JSON.  New reference. */
static json_t *load_doc(const char *path, const char *stage, ck_error *err) {
  size_t len = 0;
  char *text = read_all(path, &len, err);
  if (!text) return NULL;
  json_error_t jerr;
  json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                         &jerr);
  if (!v) {
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    if (*p == '{' || *p == '[') {
      ck_fail(err, stage, "%s:%d:%d: invalid JSON: %s",
              strcmp(path, "-") ? path : "<stdin>", jerr.line, jerr.column,
              jerr.text);
    } else {
      v = ck_yaml_load(text, len, strcmp(path, "-") ? path : "<stdin>", err);
      if (!v) snprintf(err->stage, sizeof err->stage, "%s", stage);
    }
  }
  free(text);
  if (v && !json_is_object(v)) {
    ck_fail(err, stage, "%s: expected a mapping at the top level",
            strcmp(path, "-") ? path : "<stdin>");
    json_decref(v);
    return NULL;
  }
  return v;
}

static int print_json(json_t *v) {
  char *s = ck_json_dumps_py(v, 2, 1);
  if (!s) return 1;
  fputs(s, stdout);
  fputc('\n', stdout);
  free(s);
  return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_formats(void) {
  printf("%-18s %-18s %-26s %s\n", "FORMAT", "MODEL_TYPE", "ARCHITECTURE",
         "LAYOUTS");
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

typedef struct opts {
  const char *format;
  const char *layout;
  const char *file;
  int raw;
  int print_completed;
  const char *ignore[64]; /* --ignore-hf-key paths */
  int n_ignore;
} opts;

/* --ignore-hf-key KEY / --ignore-hf-key=KEY at argv[*i]: 1 if taken (and
 * stored), 0 if argv[*i] is another option, -1 on a usage error. */
static int ignore_key_opt(int argc, char **argv, int *i, const char **keys,
                          int *n, int cap) {
  const char *a = argv[*i], *key;
  if (strcmp(a, "--ignore-hf-key") == 0) {
    if (*i + 1 >= argc) return usage("--ignore-hf-key needs a KEY"), -1;
    key = argv[++*i];
  } else if (strncmp(a, "--ignore-hf-key=", 16) == 0) {
    key = a + 16;
  } else {
    return 0;
  }
  if (!key[0]) return usage("--ignore-hf-key needs a KEY"), -1;
  if (*n == cap) return usage("too many --ignore-hf-key options"), -1;
  keys[(*n)++] = key;
  return 1;
}

static int parse_opts(int argc, char **argv, opts *o) {
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int ig = ignore_key_opt(argc, argv, &i, o->ignore, &o->n_ignore,
                            (int)(sizeof o->ignore / sizeof o->ignore[0]));
    if (ig < 0) return -1;
    if (ig) continue;
    if ((strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) && i + 1 < argc)
      o->format = argv[++i];
    else if (strncmp(a, "--format=", 9) == 0)
      o->format = a + 9;
    else if (strcmp(a, "--layout") == 0 && i + 1 < argc)
      o->layout = argv[++i];
    else if (strncmp(a, "--layout=", 9) == 0)
      o->layout = a + 9;
    else if (strcmp(a, "--raw") == 0)
      o->raw = 1;
    else if (strcmp(a, "--print-completed") == 0)
      o->print_completed = 1;
    else if (a[0] == '-' && a[1] != '\0')
      return usage("unknown option"), -1;
    else if (!o->file)
      o->file = a;
    else
      return usage("too many arguments"), -1;
  }
  if (!o->file) o->file = "-";
  if (!o->format) return usage("missing -f FORMAT"), -1;
  return 0;
}

static int layout_of(const ck_format *f, const char *name) {
  if (!name) return (f->layouts & CK_LAYOUT_V4) ? CK_LAYOUT_V4 : CK_LAYOUT_V5;
  int l = strcmp(name, "v4") == 0 ? CK_LAYOUT_V4
          : strcmp(name, "v5") == 0 ? CK_LAYOUT_V5 : 0;
  if (!l) return usage("--layout must be v4 or v5"), -1;
  if (!(l & f->layouts)) {
    fprintf(stderr, "ckconv: format %s does not support layout %s\n",
            f->name, name);
    return -1;
  }
  return l;
}

static const ck_format *find_format(const char *name) {
  const ck_format *f = ck_format_find(spec, name);
  if (!f) {
    fprintf(stderr, "ckconv: unknown format '%s'; known formats:", name);
    for (int i = 0; i < spec->n_formats; i++)
      fprintf(stderr, " %s", spec->formats[i].name);
    fputc('\n', stderr);
  }
  return f;
}

/* Accept the base_model section alone, or a model config holding it. */
static json_t *base_model_of(json_t *doc) {
  json_t *c = json_object_get(doc, "config");
  if (c && json_is_object(c) && json_object_get(c, "base_model")) doc = c;
  json_t *b = json_object_get(doc, "base_model");
  return (b && json_is_object(b)) ? b : doc;
}

/* What config, weights and params share: the format and layout of o,
 * and the document o->file read (errors at load_stage) into a runtime rt
 * that owns it.  Returns -1 when ready (free rt after), else the exit
 * code. */
static int open_config_doc(const opts *o, const char *load_stage,
                           const ck_format **f, ck_rt *rt, json_t **doc) {
  *f = find_format(o->format);
  if (!*f) return 2;
  int layout = layout_of(*f, o->layout);
  if (layout < 0) return 2;
  ck_error err;
  ck_error_clear(&err);
  *doc = load_doc(o->file, load_stage, &err);
  if (!*doc) return fail(&err);
  ck_rt_init(rt, spec, layout);
  ck_rt_own(rt, *doc);
  return -1;
}

static int cmd_config(int argc, char **argv) {
  if (argc < 1) return usage("config needs export or import");
  int is_export = strcmp(argv[0], "export") == 0;
  if (!is_export && strcmp(argv[0], "import") != 0)
    return usage("config needs export or import");
  opts o = {0};
  if (parse_opts(argc - 1, argv + 1, &o) != 0) return 2;
  if (is_export && (o.n_ignore || o.print_completed))
    return usage("--ignore-hf-key and --print-completed are options of "
                 "config import");
  if (o.raw && o.print_completed)
    return usage("--print-completed shows the completion, which --raw skips");
  const ck_format *f;
  ck_rt rt;
  json_t *doc;
  int rc = open_config_doc(&o, is_export ? "validation" : "model_type_check",
                           &f, &rt, &doc);
  if (rc >= 0) return rc;
  int layout = rt.layout;
  ck_error err;
  ck_error_clear(&err);
  if (is_export) {
    json_t *hf = ck_export_config(&rt, f, base_model_of(doc), &err);
    rc = hf ? print_json(hf) : fail(&err);
  } else if (o.print_completed) {
    /* what transformers would hand upstream, before ckconv's deviations */
    json_t *done = ck_complete_hf_config(&rt, f, layout, doc, &err);
    rc = done ? print_json(done) : fail(&err);
  } else {
    /* default: through the format's transformers class, as upstream
     * reads a config.json; --raw: the dict exactly as given */
    ck_hf_read how = {o.raw, o.ignore, o.n_ignore};
    json_t *out = NULL;
    ck_cfg *cfg = ck_import_hf_config(&rt, f, doc, &how, NULL, &out, &err);
    rc = cfg ? print_json(out) : fail(&err);
    json_t *mt = json_object_get(doc, "model_type");
    const char *cls = ck_transformers_class(&rt, f);
    if (cfg && !o.raw && cls && json_is_string(mt) &&
        strcmp(json_string_value(mt), f->model_type) != 0)
      fprintf(stderr, "ckconv: warning: the config's model_type is '%s'; "
              "it was read through %s as '%s' (transformers only warns "
              "about this, and upstream accepts it)\n",
              json_string_value(mt), cls, f->model_type);
  }
  ck_rt_free(&rt);
  return rc;
}

/* `weights`: the ordered leaf converters; `params`: the model's tensors
 * with their shapes, as the schema declares them. */
static int cmd_weights(int argc, char **argv, int params_only) {
  opts o = {0};
  if (parse_opts(argc, argv, &o) != 0) return 2;
  if (o.n_ignore || o.print_completed)
    return usage("--ignore-hf-key and --print-completed are options of "
                 "config import");
  const ck_format *f;
  ck_rt rt;
  json_t *doc;
  int rc = open_config_doc(&o, "validation", &f, &rt, &doc);
  if (rc >= 0) return rc;
  ck_error err;
  ck_error_clear(&err);
  ck_cfg *cfg = ck_load_base_model(&rt, f, base_model_of(doc), &err);
  ck_plan plan;
  ck_params params;
  if (params_only && cfg && ck_model_params(&rt, cfg, &params, &err) == 0) {
    json_t *out = ck_rt_own(&rt, json_array());
    for (size_t i = 0; i < params.n; i++) {
      json_t *o = json_object(), *shape = json_array();
      for (int d = 0; d < params.items[i].ndim; d++)
        json_array_append_new(shape, json_integer(params.items[i].shape[d]));
      json_object_set_new(o, "name", json_string(params.items[i].name));
      json_object_set_new(o, "shape", shape);
      if (params.items[i].tied_to)
        json_object_set_new(o, "tied_to", json_string(params.items[i].tied_to));
      json_array_append_new(out, o);
    }
    rc = print_json(out);
  } else if (!params_only && cfg &&
             ck_weights_plan(&rt, f, cfg, &plan, &err) == 0) {
    rc = print_json(ck_plan_to_json(&rt, &plan));
  } else {
    rc = fail(&err);
  }
  ck_rt_free(&rt);
  return rc;
}

static void progress(void *arg, uint64_t done, uint64_t total) {
  (void)arg;
  double gib = 1024.0 * 1024.0 * 1024.0;
  fprintf(stderr, "\rckconv: %.2f / %.2f GiB (%3.0f%%)", done / gib,
          total / gib, total ? 100.0 * (double)done / (double)total : 100.0);
  if (done >= total) fputc('\n', stderr);
}

/* The options `convert` and `plan` share, so that a plan is the plan of
 * exactly the convert with the same arguments. */
typedef struct conv_args {
  ck_convert_opts o;
  const char *ignore[64]; /* --ignore-hf-key */
  int quiet;
} conv_args;

/* Parse convert's (plan: 0) or plan's (plan: 1) arguments into c.
 * Returns -1 when they are valid, else the exit code (a usage error). */
static int parse_conv_args(int argc, char **argv, int plan, conv_args *c) {
  ck_convert_opts *o = &c->o;
  memset(c, 0, sizeof *c);
  o->dtype = CK_DT_INVALID;
  const char *layout = NULL;
  int n_ignore = 0;
  const char *cmd = plan ? "plan" : "convert";
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int ig = ignore_key_opt(argc, argv, &i, c->ignore, &n_ignore,
                            (int)(sizeof c->ignore / sizeof c->ignore[0]));
    if (ig < 0) return 2;
    if (ig) continue;
    if ((strcmp(a, "--from") == 0 || strcmp(a, "-f") == 0 ||
         strcmp(a, "--format") == 0) && v) { o->from = v; i++; }
    else if (strncmp(a, "--format=", 9) == 0) o->from = a + 9;
    else if (strcmp(a, "--to") == 0 && v) { o->to = v; i++; }
    else if (strcmp(a, "--layout") == 0 && v) { layout = v; i++; }
    else if (strncmp(a, "--layout=", 9) == 0) layout = a + 9;
    else if (strcmp(a, "--dtype") == 0 && v) {
      o->dtype = ck_dtype_from_alias(v);
      if (o->dtype == CK_DT_INVALID || !ck_dtype_is_castable_float(o->dtype))
        return usage("--dtype must be fp32, fp16 or bf16");
      i++;
    } else if (strcmp(a, "--parameters-per-file") == 0 && v) {
      char *end;
      errno = 0;
      unsigned long long n = strtoull(v, &end, 10);
      if (errno || *end || n == 0)
        return usage("--parameters-per-file needs a positive integer");
      o->parameters_per_file = n;
      i++;
    } else if (strcmp(a, "--jobs") == 0 && v) {
      /* tensors converted at once (threads); default: online cores, <= 8 */
      char *end;
      errno = 0;
      long n = strtol(v, &end, 10);
      if (errno || *end || n < 1 || n > 256)
        return usage("--jobs needs an integer from 1 to 256");
      o->jobs = (int)n;
      i++;
    } else if (!plan && strcmp(a, "--force") == 0) o->force = 1;
    else if (!plan && strcmp(a, "--quiet") == 0) c->quiet = 1;
    else if (strcmp(a, "--json") == 0) continue; /* global flag */
    else if (a[0] == '-') return usage("unknown option");
    else if (!o->in_dir) o->in_dir = a;
    else if (!plan && !o->out_dir) o->out_dir = a;
    else return usage("too many arguments");
  }
  if (!o->in_dir || (!plan && !o->out_dir))
    return usage(plan ? "plan needs IN" : "convert needs IN and OUT");
  if (!o->to) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s needs --to FORMAT (fast_llm or an HF "
             "format)", cmd);
    return usage(msg);
  }
  if (strcmp(o->to, "fast_llm") != 0 && !find_format(o->to)) return 2;
  if (o->from && strcmp(o->from, "auto") != 0 && !find_format(o->from)) return 2;
  if (layout) {
    if (strcmp(layout, "v4") == 0) o->layout = CK_LAYOUT_V4;
    else if (strcmp(layout, "v5") == 0) o->layout = CK_LAYOUT_V5;
    else return usage("--layout must be v4 or v5");
  }
  o->hf_read.ignore_keys = c->ignore;
  o->hf_read.n_ignore_keys = n_ignore;
  return -1;
}

/* convert IN OUT: one checkpoint folder into another. */
static int cmd_convert(int argc, char **argv) {
  conv_args c;
  int rc = parse_conv_args(argc, argv, 0, &c);
  if (rc >= 0) return rc;
  ck_convert_opts o = c.o;
  int quiet = c.quiet;
  if (!quiet && isatty(STDERR_FILENO)) o.progress = progress;
  ck_error err;
  ck_error_clear(&err);
  if (ck_convert_checkpoint(spec, &o, &err) != 0) {
    if (strcmp(err.stage, "usage") == 0) {
      report_error(&err);
      fprintf(stderr, "ckconv: %s\n", err.msg);
      return 2;
    }
    return fail(&err);
  }
  if (!quiet)
    fprintf(stderr, "ckconv: wrote %s\n", o.out_dir);
  if (json_mode) {
    json_t *r = report_new(1), *c = json_object();
    json_object_set_new(c, "input", json_string(o.in_dir));
    json_object_set_new(c, "output", json_string(o.out_dir));
    json_object_set_new(c, "to", json_string(o.to));
    json_object_set_new(r, "convert", c);
    print_json(r);
    json_decref(r);
  }
  return 0;
}

/* The config values inspect summarises: where they are in the Fast-LLM
 * config, their --json key, their label in the text. */
static const struct {
  const char *path, *json_key, *label;
} summary[] = {
    {"hidden_size", "hidden_size", "hidden_size"},
    {"decoder.num_blocks", "blocks", "blocks"},
    {"decoder.block.mixer.heads", "heads", "heads"},
    {"decoder.block.mixer.head_groups", "kv_heads", "kv heads"},
    {"decoder.block.mixer.head_size", "head_size", "head size"},
    {"decoder.block.mlp.intermediate_size", "mlp", "mlp"},
    {"embeddings.vocab_size", "vocab", "vocab"},
    {"tied_embedding_weight", "tied", "tied"}};
#define N_SUMMARY (sizeof summary / sizeof summary[0])

/* Read one value of the validated config for the summary, or NULL. */
static json_t *cfg_value(ck_rt *rt, ck_cfg *cfg, const char *dotted) {
  const char *segs[8];
  char buf[256];
  snprintf(buf, sizeof buf, "%s", dotted);
  int n = 0;
  for (char *t = strtok(buf, "."); t && n < 8; t = strtok(NULL, "."))
    segs[n++] = t;
  ck_path p = {segs, n, dotted};
  ck_val v;
  ck_error e;
  ck_scope sc = {.cfg = cfg};
  if (ck_resolve_path(rt, sc, &p, &v, "inspect", &e) != 0 || !v.j) return NULL;
  return v.j;
}


/* inspect's tensor check: the header-only preflight of converting PATH
 * (to fast_llm from HF, to FORMAT from fast_llm), so that inspect reports
 * missing, unexpected or misshapen tensors and tie problems exactly as
 * plan and convert would.  pf is valid (free it) when this returns 0. */
static int inspect_checks(const char *path, const char *format,
                          const ck_loaded *L, const char *const *ignore,
                          int n_ignore, ck_preflight *pf, ck_error *err) {
  ck_convert_opts o = {0};
  o.dtype = CK_DT_INVALID;
  o.in_dir = path;
  o.from = format;
  o.to = L->kind == CK_CKPT_HF ? "fast_llm" : L->format->name;
  o.hf_read.ignore_keys = (const char **)ignore;
  o.hf_read.n_ignore_keys = n_ignore;
  if (ck_preflight_run(spec, &o, 1, pf, err) == 0) return 0;
  ck_preflight_free(pf);
  return -1;
}
/* inspect --json: the same facts as one report. */
static int inspect_json(const char *path, const char *format,
                        const char **ignore, int n_ignore) {
  ck_error err;
  ck_error_clear(&err);
  ck_ckpt_kind kind;
  if (ck_ckpt_detect(path, &kind, &err)) return fail(&err);
  ck_ckpt_in *in = ck_ckpt_open(path, kind, 1, &err);
  if (!in) return fail(&err);
  json_t *ins = json_object(), *dt = json_object();
  uint64_t bytes = 0;
  for (size_t i = 0; i < ck_ckpt_count(in); i++) {
    const ck_st_tensor *t = ck_ckpt_at(in, i)->t;
    const char *d = ck_dtype_name(t->dtype);
    bytes += t->nbytes;
    json_object_set_new(dt, d, json_integer(
        json_integer_value(json_object_get(dt, d)) + 1));
  }
  json_object_set_new(ins, "path", json_string(path));
  json_object_set_new(ins, "layout", json_string(kind == CK_CKPT_HF ? "hf"
                                                                  : "fast_llm"));
  json_object_set_new(ins, "files",
                      json_integer((json_int_t)ck_ckpt_file_count(in)));
  json_object_set_new(ins, "tensors", json_integer((json_int_t)ck_ckpt_count(in)));
  json_object_set_new(ins, "bytes", json_integer((json_int_t)bytes));
  json_object_set_new(ins, "dtypes", dt);
  ck_ckpt_close(in);
  ck_rt rt;
  ck_rt_init(&rt, spec, CK_LAYOUT_V4);
  ck_loaded L;
  int ok = 1;
  json_t *problems = NULL;
  json_object_set_new(ins, "format", json_null());
  json_object_set_new(ins, "config", json_null());
  json_object_set_new(ins, "weights", json_null());
  if (kind == CK_CKPT_HF || format) {
    if (ck_load(&rt, path, format, 0, CK_LOAD_HEADER_ONLY,
                &(ck_hf_read){0, ignore, n_ignore}, &L, &err) == 0) {
      json_t *c = json_object(), *w = json_object();
      for (size_t k = 0; k < N_SUMMARY; k++) {
        json_t *v = cfg_value(&rt, L.cfg, summary[k].path);
        if (v) json_object_set(c, summary[k].json_key, v);
      }
      json_object_set_new(w, "converters", json_integer((json_int_t)L.plan.n));
      json_object_set_new(w, "model_tensors", json_integer((json_int_t)L.params.n));
      json_object_set_new(w, "coverage", json_string("ok"));
      json_object_set_new(ins, "format", json_string(L.format->name));
      json_object_set_new(ins, "config", c);
      json_object_set_new(ins, "weights", w);
      ck_preflight pf;
      if (inspect_checks(path, format, &L, ignore, n_ignore, &pf, &err)) {
        ok = 0;
      } else {
        problems = ck_preflight_problems_json(&pf);
        if (pf.n_problems) {
          ok = 0;
          ck_preflight_error(&pf, path, &err);
        }
        ck_preflight_free(&pf);
      }
      ck_loaded_close(&L);
    } else {
      ok = 0;
    }
  }
  json_t *r = report_new(ok);
  json_object_set_new(r, "inspect", ins);
  if (problems) json_object_set_new(r, "problems", problems);
  if (!ok) json_object_set_new(r, "error", ck_error_to_json(&err));
  print_json(r);
  json_decref(r);
  ck_rt_free(&rt);
  if (!ok) fprintf(stderr, "ckconv: error[%s]: %s\n", err.stage, err.msg);
  return ok ? 0 : 1;
}

static int cmd_inspect(int argc, char **argv) {
  const char *path = NULL, *format = NULL;
  const char *ignore[64];
  int n_ignore = 0;
  for (int i = 0; i < argc; i++) {
    int ig = ignore_key_opt(argc, argv, &i, ignore, &n_ignore,
                            (int)(sizeof ignore / sizeof ignore[0]));
    if (ig < 0) return 2;
    if (ig) continue;
    if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--format") == 0) &&
        i + 1 < argc)
      format = argv[++i];
    else if (strcmp(argv[i], "--json") == 0) continue;
    else if (argv[i][0] == '-') return usage("unknown option");
    else if (!path) path = argv[i];
    else return usage("too many arguments");
  }
  if (!path) return usage("inspect needs PATH");
  if (json_mode) return inspect_json(path, format, ignore, n_ignore);
  ck_error err;
  ck_error_clear(&err);
  ck_ckpt_kind kind;
  if (ck_ckpt_detect(path, &kind, &err)) return fail(&err);
  ck_ckpt_in *in = ck_ckpt_open(path, kind, 1, &err);
  if (!in) return fail(&err);
  uint64_t bytes = 0;
  size_t n = ck_ckpt_count(in);
  size_t per_dtype[CK_DT_COUNT] = {0};
  for (size_t i = 0; i < n; i++) {
    const ck_st_tensor *t = ck_ckpt_at(in, i)->t;
    bytes += t->nbytes;
    if (t->dtype >= 0 && t->dtype < CK_DT_COUNT) per_dtype[t->dtype]++;
  }
  printf("path:     %s\n", path);
  printf("layout:   %s (%zu safetensors file%s)\n",
         kind == CK_CKPT_HF ? "Hugging Face" : "Fast-LLM fast_llm",
         ck_ckpt_file_count(in), ck_ckpt_file_count(in) == 1 ? "" : "s");
  printf("tensors:  %zu, %.2f MiB\n", n, bytes / (1024.0 * 1024.0));
  printf("dtypes:  ");
  for (int d = 0; d < CK_DT_COUNT; d++)
    if (per_dtype[d]) printf(" %s x%zu", ck_dtype_name((ck_dtype)d), per_dtype[d]);
  printf("\n");
  ck_ckpt_close(in);
  if (kind == CK_CKPT_FAST_LLM && !format) format = NULL;
  ck_rt rt;
  ck_rt_init(&rt, spec, CK_LAYOUT_V4);
  ck_loaded L;
  int rc = 0;
  if (kind == CK_CKPT_FAST_LLM && !format) {
    printf("format:   fast_llm (give -f FORMAT to check it against an HF "
           "format)\n");
  } else if (ck_load(&rt, path, format, 0, 1,
                     &(ck_hf_read){0, ignore, n_ignore}, &L, &err) == 0) {
    printf("format:   %s (model_type %s, %s)\n", L.format->name,
           L.format->model_type, L.format->architectures[0]);
    printf("config:  ");
    for (size_t k = 0; k < N_SUMMARY; k++) {
      json_t *v = cfg_value(&rt, L.cfg, summary[k].path);
      char repr[64];
      if (!v) continue;
      ck_json_repr(v, repr, sizeof repr);
      printf(" %s %s%s", summary[k].label, repr, k + 1 < N_SUMMARY ? "," : "");
    }
    printf("\n");
    printf("weights:  %zu converters, %zu model tensors; coverage ok\n",
           L.plan.n, L.params.n);
    ck_preflight pf;
    if (inspect_checks(path, format, &L, ignore, n_ignore, &pf, &err)) {
      printf("checks:   not run: error[%s]: %s\n", err.stage, err.msg);
      rc = 1;
    } else {
      if (pf.n_problems == 0)
        printf("checks:   every tensor present, of the shape and dtype the "
               "config implies\n");
      else
        printf("checks:   %zu problem%s\n", pf.n_problems,
               pf.n_problems == 1 ? "" : "s");
      for (size_t k = 0; k < pf.n_problems; k++)
        printf("  [%s] %s\n", pf.problems[k].kind, pf.problems[k].message);
      if (pf.n_problems) rc = 1;
      ck_preflight_free(&pf);
    }
    ck_loaded_close(&L);
  } else {
    printf("format:   not convertible: error[%s]: %s\n", err.stage, err.msg);
    rc = 1;
  }
  ck_rt_free(&rt);
  return rc;
}

/* verify --json: the counts as one report; a difference is an error. */
static int verify_json(const ck_verify_report *r) {
  json_t *v = json_object();
  json_object_set_new(v, "compared", json_integer((json_int_t)r->compared));
  json_object_set_new(v, "identical", json_integer((json_int_t)r->identical));
  json_object_set_new(v, "within_tolerance",
                      json_integer((json_int_t)r->within_tolerance));
  json_object_set_new(v, "differing", json_integer((json_int_t)r->differing));
  json_object_set_new(v, "max_rel_diff", json_real(r->max_rel_diff));
  json_object_set_new(v, "first_difference", r->first_difference[0]
                      ? json_string(r->first_difference) : json_null());
  if (r->tied_head[0])
    json_object_set_new(v, "tied_head", json_string(r->tied_head));
  json_t *rep = report_new(r->differing == 0);
  json_object_set_new(rep, "verify", v);
  ck_error err;
  if (r->differing) {
    ck_fail(&err, "verify", "%zu tensor%s differ; first: %s", r->differing,
            r->differing == 1 ? "" : "s", r->first_difference);
    json_object_set_new(rep, "error", ck_error_to_json(&err));
    fprintf(stderr, "ckconv: error[verify]: %s\n", err.msg);
  }
  print_json(rep);
  json_decref(rep);
  return r->differing ? 1 : 0;
}

static int cmd_verify(int argc, char **argv) {
  const char *a = NULL, *b = NULL, *format = NULL;
  int jobs = 0;
  for (int i = 0; i < argc; i++) {
    if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--format") == 0) &&
        i + 1 < argc)
      format = argv[++i];
    else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
      /* tensors compared at once (threads); default as convert's */
      char *end;
      errno = 0;
      long n = strtol(argv[++i], &end, 10);
      if (errno || *end || n < 1 || n > 256)
        return usage("--jobs needs an integer from 1 to 256");
      jobs = (int)n;
    }
    else if (strcmp(argv[i], "--json") == 0) continue;
    else if (argv[i][0] == '-') return usage("unknown option");
    else if (!a) a = argv[i];
    else if (!b) b = argv[i];
    else return usage("too many arguments");
  }
  if (!a || !b) return usage("verify needs A and B");
  ck_error err;
  ck_error_clear(&err);
  ck_verify_report r;
  if (ck_verify(spec, a, b, format, jobs, &r, &err)) return fail(&err);
  if (json_mode) return verify_json(&r);
  printf("verify: %zu tensors compared: %zu bit-identical, %zu within the "
         "dtype tolerance (max relative difference %.3g), %zu differing\n",
         r.compared, r.identical, r.within_tolerance, r.max_rel_diff,
         r.differing);
  if (r.tied_head[0]) printf("verify: %s\n", r.tied_head);
  if (r.differing) {
    fprintf(stderr, "ckconv: error[verify]: %zu tensor%s differ; first: %s\n",
            r.differing, r.differing == 1 ? "" : "s", r.first_difference);
    return 1;
  }
  return 0;
}

/* Sizes as people read them: the largest unit that keeps one digit or
 * more before the point (1023 B, 305.2 KiB, 8.0 MiB, 2.07 GiB). */
static void human_bytes(uint64_t b, char *buf, size_t n) {
  if (b < 1024) snprintf(buf, n, "%" PRIu64 " B", b);
  else if (b < ((uint64_t)1 << 20)) snprintf(buf, n, "%.1f KiB", b / 1024.0);
  else if (b < ((uint64_t)1 << 30)) snprintf(buf, n, "%.1f MiB", b / 1048576.0);
  else snprintf(buf, n, "%.2f GiB", b / 1073741824.0);
}

/* plan IN --to FORMAT: what `convert` would do, from headers only. */
static int cmd_plan(int argc, char **argv) {
  conv_args c;
  int prc = parse_conv_args(argc, argv, 1, &c);
  if (prc >= 0) return prc;
  ck_convert_opts o = c.o;
  ck_error err;
  ck_error_clear(&err);
  ck_preflight pf;
  if (ck_preflight_run(spec, &o, 1, &pf, &err)) {
    ck_preflight_free(&pf);
    if (strcmp(err.stage, "usage") == 0) {
      report_error(&err);
      fprintf(stderr, "ckconv: %s\n", err.msg);
      return 2;
    }
    return fail(&err);
  }
  int ok = pf.n_problems == 0;
  if (json_mode) {
    json_t *r = report_new(ok);
    json_object_set_new(r, "plan", ck_preflight_to_json(&pf, &o));
    json_object_set_new(r, "problems", ck_preflight_problems_json(&pf));
    if (!ok) {
      ck_preflight_error(&pf, o.in_dir, &err);
      json_object_set_new(r, "error", ck_error_to_json(&err));
    }
    print_json(r);
    json_decref(r);
  } else {
    printf("plan: %s (%s%s%s) -> %s\n", o.in_dir,
           pf.in_kind == CK_CKPT_HF ? "Hugging Face" : "fast_llm",
           pf.format ? ", " : "", pf.format ? pf.format : "", o.to);
    for (size_t i = 0; i < pf.n; i++) {
      const ck_pf_tensor *t = &pf.t[i];
      char shape[256] = "[";
      size_t u = 1;
      for (int d = 0; d < t->ndim && u < sizeof shape; d++)
        u += (size_t)snprintf(shape + u, sizeof shape - u, "%s%" PRIu64,
                              d ? ", " : "", t->shape[d]);
      if (u < sizeof shape) snprintf(shape + u, sizeof shape - u, "]");
      printf("  %s <- ", t->name);
      for (int s = 0; s < t->n_sources; s++)
        printf("%s%s", s ? " + " : "", t->sources[s]);
      printf("  %s %s %s", t->transform, ck_dtype_name(t->dtype), shape);
      if (t->file >= 0)
        printf("  %s @%" PRIu64 " (%" PRIu64 " bytes)", pf.files[t->file].name,
               t->offset, t->nbytes);
      printf("\n");
    }
    for (size_t f = 0; f < pf.n_files; f++)
      printf("file: %s, %zu tensors, %" PRIu64 " bytes (header %" PRIu64
             ")\n", pf.files[f].name, pf.files[f].n_tensors,
             pf.files[f].size, pf.files[f].header_len);
    char rb[32], wb[32], pm[32];
    human_bytes(pf.read_bytes, rb, sizeof rb);
    human_bytes(pf.write_bytes, wb, sizeof wb);
    human_bytes(pf.peak_memory, pm, sizeof pm);
    printf("totals: %zu output tensors, read %s, write %s, %zu output "
           "file%s, peak memory %s\n", pf.n, rb, wb, pf.n_files,
           pf.n_files == 1 ? "" : "s", pm);
    printf("problems: %zu\n", pf.n_problems);
    for (size_t i = 0; i < pf.n_problems; i++)
      printf("  [%s] %s\n", pf.problems[i].kind, pf.problems[i].message);
    if (!ok) {
      ck_preflight_error(&pf, o.in_dir, &err);
      fprintf(stderr, "ckconv: error[%s]: %s\n", err.stage, err.msg);
    }
  }
  ck_preflight_free(&pf);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage(NULL);
  const char *cmd = argv[1];
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("ckconv %s\n", CKCONV_VERSION);
    return 0;
  }
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
      strcmp(cmd, "help") == 0) {
    usage(NULL);
    return 0;
  }
  if (strcmp(cmd, "formats") == 0) return cmd_formats();
  if (strcmp(cmd, "config") == 0) return cmd_config(argc - 2, argv + 2);
  if (strcmp(cmd, "weights") == 0) return cmd_weights(argc - 2, argv + 2, 0);
  if (strcmp(cmd, "params") == 0) return cmd_weights(argc - 2, argv + 2, 1);
  if (strcmp(cmd, "plan") == 0 || strcmp(cmd, "inspect") == 0 ||
      strcmp(cmd, "verify") == 0 || strcmp(cmd, "convert") == 0) {
    json_cmd = cmd;
    for (int i = 2; i < argc; i++)
      if (strcmp(argv[i], "--json") == 0) json_mode = 1;
  }
  if (strcmp(cmd, "convert") == 0) return cmd_convert(argc - 2, argv + 2);
  if (strcmp(cmd, "inspect") == 0) return cmd_inspect(argc - 2, argv + 2);
  if (strcmp(cmd, "plan") == 0) return cmd_plan(argc - 2, argv + 2);
  if (strcmp(cmd, "verify") == 0) return cmd_verify(argc - 2, argv + 2);
  return usage("unknown command");
}
