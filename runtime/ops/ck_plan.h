/* ck_plan.h - the preflight of a conversion: `ckconv plan`, and the check
 * `convert` runs before it reads any tensor data.
 *
 * Exists so that a bad checkpoint is refused in milliseconds with every
 * problem listed at once (config, missing / unexpected / misshapen
 * tensors, tie rules), and so that the user can see, before converting,
 * every output tensor with its sources, transform, shape, dtype, file and
 * offset (computed by the writer's own layout code), and the totals. */
#ifndef CK_PLAN_H
#define CK_PLAN_H

#include "ck_load.h"
#include "ck_carry.h"
#include "ck_ties.h"

typedef struct ck_pf_problem {
  const char *kind;    /* config, coverage, missing, unexpected, shape,
                          dtype, tie, transform */
  ck_stage stage;      /* ck_error stage it is reported under */
  const char *message;
  const char *tensor;  /* or NULL */
  const char *key;     /* config key path, or NULL */
  const char *file;    /* or NULL */
} ck_pf_problem;

typedef struct ck_pf_tensor {
  const char *name;          /* output tensor name */
  const char *key;           /* key in its file (NULL when not laid out) */
  const char *const *sources;
  int n_sources;
  const char *transform;
  ck_dtype dtype;
  int ndim;
  uint64_t shape[CK_ST_MAX_RANK];
  uint64_t nbytes;
  long file;                 /* index into files, -1 when not laid out */
  uint64_t offset;           /* absolute offset of its first byte */
  uint64_t begin;            /* data_offsets[0] (relative to the data) */
} ck_pf_tensor;

typedef struct ck_pf_file {
  const char *name;
  size_t n_tensors;
  uint64_t header_len, size;
} ck_pf_file;

typedef struct ck_preflight {
  ck_rt rt;
  ck_loaded L;
  int loaded;                /* L holds an open checkpoint */
  ck_ckpt_kind in_kind, out_kind;
  const char *format;        /* the HF format (either side), or NULL */
  ck_jobs jobs;              /* valid when jobs_ok */
  int jobs_ok;
  ck_pf_tensor *t;
  size_t n;
  ck_pf_file *files;
  size_t n_files;
  ck_pf_problem *problems;
  size_t n_problems, cap_problems;
  /* what convert does that the user should hear of, though nothing is
   * wrong: a known buffer skipped (kind "skipped"), a tied head equal to
   * the embeddings dropped ("dropped"); stage CK_STAGE_WEIGHTS */
  ck_pf_problem *warnings;
  size_t n_warnings, cap_warnings;
  ck_carried *carried;       /* files carried into the output (ck_carry.h) */
  size_t n_carried;
  uint64_t read_bytes, write_bytes, peak_memory;
  ck_error config_error;     /* the config's rejection, as ck_load gave it */
  ck_ckpt_meta meta;         /* the output's metadata, when laid out */
  int meta_ok;
} ck_preflight;


/* Run the preflight of `convert o` (o->out_dir is not looked at).
 * header_only: safetensors headers only (plan); else the data is mapped
 * and a tied-but-present head is compared with the embeddings.  Returns
 * -1 with err for what stops it outright (not a checkpoint, bad header,
 * unknown format, input already in the --to layout: stage usage); else 0,
 * with every problem in pf->problems.  Free with ck_preflight_free. */
int ck_preflight_run(const ck_spec *spec, const ck_convert_opts *o,
                     int header_only, ck_preflight *pf, ck_error *err);
void ck_preflight_free(ck_preflight *pf);

/* Problems listed one by one in a message or a plan; past these, the
 * rest is counted ("... and 212 more; --json for all"), since a wrong
 * --from on a large model gives one problem per tensor. */
#define CK_PF_LISTED 10

/* All problems as one error, the way convert reports them. */
void ck_preflight_error(const ck_preflight *pf, const char *in_dir,
                        ck_error *err);


#endif
