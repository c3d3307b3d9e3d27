/* cmd_inspect.c - `inspect PATH`: what a checkpoint folder is (layout,
 * files, tensors, dtypes), which format it is and what its config says,
 * and the header-only preflight of converting it, so that inspect lists
 * the problems plan and convert would find. */
#include "cmds.h"

#include <stdio.h>
#include <string.h>

#include "ck_json_out.h"
#include "ck_plan.h"
#include "ck_report.h"

enum { OPT_JSON };

const cli_opt cli_inspect_opts[] = {
    {"format", 'f', "FORMAT", "the HF format to check a fast_llm checkpoint "
                              "against (or to read an HF one as)"},
    {CLI_IGNORE_OPT},
    {CLI_REVISION_OPT},
    {"json", OPT_JSON, NULL, "print one JSON report on stdout"},
    {NULL, 0, NULL, NULL}};

typedef struct inspect_args {
  const char *path, *format;
  cli_ignore ignore; /* --ignore-hf-key */
  const char *revision; /* --revision */
} inspect_args;

static int on_inspect_opt(void *ctx, int key, const char *v, ck_error *err) {
  inspect_args *a = ctx;
  switch (key) {
  case 'f': a->format = v; return 0;
  case CLI_OPT_IGNORE: return cli_add_ignore(&a->ignore, v, err);
  case CLI_OPT_REVISION: a->revision = v; return 0;
  case OPT_JSON: return 0;
  }
  return cli_usage(err, "unhandled option");
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

/* One value of the validated config for the summary, or NULL. */
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
  if (ck_resolve_path(rt, sc, &p, &v, CK_STAGE_INTERNAL, &e) != 0 || !v.j)
    return NULL;
  return v.j;
}

/* The header-only preflight of converting PATH (to fast_llm from HF, to
 * FORMAT from fast_llm).  pf is valid (free it) when this returns 0. */
static int inspect_checks(const inspect_args *a, const ck_loaded *L,
                          ck_preflight *pf, ck_error *err) {
  ck_convert_opts o = {0};
  o.dtype = CK_DT_INVALID;
  o.in_dir = a->path;
  o.from = a->format;
  o.to = L->kind == CK_CKPT_HF ? "fast_llm" : L->format->name;
  o.hf_read.ignore_keys = a->ignore.keys;
  o.hf_read.n_ignore_keys = a->ignore.n;
  if (ck_preflight_run(cli_spec, &o, 1, pf, err) == 0) return 0;
  ck_preflight_free(pf);
  return -1;
}

/* What inspect finds, for the text and the --json forms alike. */
typedef struct findings {
  ck_ckpt_kind kind;
  size_t files, tensors;
  uint64_t bytes;
  size_t per_dtype[CK_DT_COUNT];
  int loaded;            /* the format and config were understood */
  const ck_format *format;
  json_t *values[N_SUMMARY]; /* summary values, borrowed from rt */
  size_t converters, model_tensors;
  int checked;           /* the preflight ran: pf is valid */
  ck_preflight pf;
  int ok;
  ck_error err;          /* when !ok */
  int torch_bin;         /* the weights are PyTorch .bin files */
  char ignored[1024];    /* ck_ckpt_ignored, or "" */
} findings;

static int inspect_run(const inspect_args *a, ck_rt *rt, findings *fd) {
  memset(fd, 0, sizeof *fd);
  ck_error_clear(&fd->err);
  fd->ok = 1;
  ck_error *err = &fd->err;
  if (ck_ckpt_detect(a->path, &fd->kind, err)) return -1;
  ck_ckpt_in *in = ck_ckpt_open(a->path, fd->kind, 1, err);
  if (!in) return -1;
  fd->files = ck_ckpt_file_count(in);
  fd->tensors = ck_ckpt_count(in);
  const char *path0 = fd->files ? ck_st_path(ck_ckpt_file_at(in, 0)) : "";
  size_t pl = strlen(path0);
  fd->torch_bin = pl >= 4 && strcmp(path0 + pl - 4, ".bin") == 0;
  if (ck_ckpt_ignored(in))
    snprintf(fd->ignored, sizeof fd->ignored, "%s", ck_ckpt_ignored(in));
  for (size_t i = 0; i < fd->tensors; i++) {
    const ck_st_tensor *t = ck_ckpt_at(in, i)->t;
    fd->bytes += t->nbytes;
    if (t->dtype >= 0 && t->dtype < CK_DT_COUNT) fd->per_dtype[t->dtype]++;
  }
  ck_ckpt_close(in);
  if (fd->kind == CK_CKPT_FAST_LLM && !a->format) return 0;
  ck_loaded L;
  ck_hf_read how = {.ignore_keys = a->ignore.keys, .n_ignore_keys = a->ignore.n};
  if (ck_load(rt, a->path, a->format, 0, CK_LOAD_HEADER_ONLY, &how, &L, err)) {
    fd->ok = 0;
    return 0;
  }
  fd->loaded = 1;
  fd->format = L.format;
  for (size_t k = 0; k < N_SUMMARY; k++)
    fd->values[k] = cfg_value(rt, L.cfg, summary[k].path);
  fd->converters = L.plan.n;
  fd->model_tensors = L.params.n;
  if (inspect_checks(a, &L, &fd->pf, err)) {
    fd->ok = 0;
  } else {
    fd->checked = 1;
    if (fd->pf.n_problems) {
      fd->ok = 0;
      ck_preflight_error(&fd->pf, a->path, err);
    }
  }
  ck_loaded_close(&L);
  return 0;
}

static int inspect_json(const inspect_args *a, const findings *fd) {
  json_t *ins = json_object(), *dt = json_object();
  for (int d = 0; d < CK_DT_COUNT; d++)
    if (fd->per_dtype[d])
      json_object_set_new(dt, ck_dtype_name((ck_dtype)d),
                          json_integer((json_int_t)fd->per_dtype[d]));
  json_object_set_new(ins, "path", json_string(a->path));
  json_object_set_new(ins, "layout", json_string(fd->kind == CK_CKPT_HF
                                                     ? "hf" : "fast_llm"));
  json_object_set_new(ins, "files", json_integer((json_int_t)fd->files));
  json_object_set_new(ins, "weights_format",
                      json_string(fd->torch_bin ? "pytorch_bin"
                                                : "safetensors"));
  json_object_set_new(ins, "ignored", fd->ignored[0]
                                          ? json_string(fd->ignored)
                                          : json_null());
  json_object_set_new(ins, "tensors", json_integer((json_int_t)fd->tensors));
  json_object_set_new(ins, "bytes", json_integer((json_int_t)fd->bytes));
  json_object_set_new(ins, "dtypes", dt);
  json_object_set_new(ins, "format", json_null());
  json_object_set_new(ins, "config", json_null());
  json_object_set_new(ins, "weights", json_null());
  if (fd->loaded) {
    json_t *c = json_object(), *w = json_object();
    for (size_t k = 0; k < N_SUMMARY; k++)
      if (fd->values[k]) json_object_set(c, summary[k].json_key, fd->values[k]);
    json_object_set_new(w, "converters", json_integer((json_int_t)fd->converters));
    json_object_set_new(w, "model_tensors",
                        json_integer((json_int_t)fd->model_tensors));
    json_object_set_new(w, "coverage", json_string("ok"));
    json_object_set_new(ins, "format", json_string(fd->format->name));
    json_object_set_new(ins, "config", c);
    json_object_set_new(ins, "weights", w);
  }
  json_t *r = cli_report_new(fd->ok);
  json_object_set_new(r, "inspect", ins);
  if (fd->checked)
    json_object_set_new(r, "problems", ck_preflight_problems_json(&fd->pf));
  if (!fd->ok) json_object_set_new(r, "error", ck_error_to_json(&fd->err));
  cli_print_json(r);
  json_decref(r);
  return fd->ok ? 0 : cli_print_error(&fd->err);
}

static int inspect_text(const inspect_args *a, const findings *fd) {
  printf("path:     %s\n", a->path);
  printf("layout:   %s (%zu %s file%s)\n",
         fd->kind == CK_CKPT_HF ? "Hugging Face" : "Fast-LLM fast_llm",
         fd->files, fd->torch_bin ? "PyTorch .bin" : "safetensors",
         fd->files == 1 ? "" : "s");
  if (fd->ignored[0]) printf("note:     %s\n", fd->ignored);
  printf("tensors:  %zu, %.2f MiB\n", fd->tensors,
         fd->bytes / (1024.0 * 1024.0));
  printf("dtypes:  ");
  for (int d = 0; d < CK_DT_COUNT; d++)
    if (fd->per_dtype[d])
      printf(" %s x%zu", ck_dtype_name((ck_dtype)d), fd->per_dtype[d]);
  printf("\n");
  if (fd->kind == CK_CKPT_FAST_LLM && !a->format) {
    printf("format:   fast_llm (give -f FORMAT to check it against an HF "
           "format)\n");
    return 0;
  }
  if (!fd->loaded) {
    printf("format:   not convertible: error[%s]: %s\n", fd->err.stage,
           fd->err.msg);
    return 1;
  }
  printf("format:   %s (model_type %s, %s)\n", fd->format->name,
         fd->format->model_type, fd->format->architectures[0]);
  printf("config:  ");
  for (size_t k = 0; k < N_SUMMARY; k++) {
    char repr[64];
    if (!fd->values[k]) continue;
    ck_json_repr(fd->values[k], repr, sizeof repr);
    printf(" %s %s%s", summary[k].label, repr, k + 1 < N_SUMMARY ? "," : "");
  }
  printf("\n");
  printf("weights:  %zu converters, %zu model tensors; coverage ok\n",
         fd->converters, fd->model_tensors);
  if (!fd->checked) {
    printf("checks:   not run: error[%s]: %s\n", fd->err.stage, fd->err.msg);
    return 1;
  }
  if (fd->pf.n_problems == 0)
    printf("checks:   every tensor present, of the shape and dtype the "
           "config implies\n");
  else
    printf("checks:   %zu problem%s\n", fd->pf.n_problems,
           fd->pf.n_problems == 1 ? "" : "s");
  for (size_t k = 0; k < fd->pf.n_problems; k++)
    printf("  [%s] %s\n", fd->pf.problems[k].kind, fd->pf.problems[k].message);
  return fd->pf.n_problems ? 1 : 0;
}

int cmd_inspect(const cli_cmd *cmd, int argc, char **argv) {
  inspect_args a = {0};
  const char *pos[1];
  int n_pos;
  ck_error err;
  ck_error_clear(&err);
  int rc = cli_parse(cmd, argc, argv, on_inspect_opt, &a, pos, 1, &n_pos,
                     &err);
  if (rc) return rc > 0 ? 0 : cli_fail(&err);
  if (!n_pos) return cli_usage(&err, "inspect needs PATH"), cli_fail(&err);
  cli_input in = {.arg = pos[0]};
  if (cli_resolve_inputs(&in, 1, a.revision, &err)) {
    cli_inputs_free(&in, 1);
    return cli_fail(&err);
  }
  a.path = in.dir;
  ck_rt rt;
  ck_rt_init(&rt, cli_spec, CK_LAYOUT_V4);
  findings fd;
  if (inspect_run(&a, &rt, &fd)) {
    ck_rt_free(&rt);
    cli_inputs_free(&in, 1);
    return cli_fail(&fd.err);
  }
  rc = cli_json ? inspect_json(&a, &fd) : inspect_text(&a, &fd);
  if (fd.checked) ck_preflight_free(&fd.pf);
  ck_rt_free(&rt);
  cli_inputs_free(&in, 1);
  return rc;
}
