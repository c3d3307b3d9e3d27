/* ck_load.h - open and understand one checkpoint folder: its layout,
 * format, config (imported or exported through the generated tables),
 * weight plan and model tensors.  The first step of every operation
 * (plan, convert, verify, inspect), and the options they share. */
#ifndef CK_LOAD_H
#define CK_LOAD_H

#include "ck_complete.h"
#include "ck_engine.h"

/* What a staged conversion (--resume, --part, --finish) found and did,
 * for the report (ck_resume.h). */
typedef struct ck_stage_state {
  int staged;               /* 0: a plain conversion, nothing below */
  size_t tensors_total, tensors_done;  /* done: journaled, all parts */
  size_t tensors_kept;      /* journaled by earlier runs, not rewritten */
  size_t tensors_written;   /* by this run */
  uint64_t bytes_total, bytes_done;
  int part_k, part_n;       /* this run's part, 0/0 for none */
  size_t part_tensors;      /* tensors of this run's share */
  int published;            /* OUT was written (resume, finish) */
} ck_stage_state;

typedef struct ck_convert_opts {
  const char *in_dir;
  const char *out_dir;
  const char *from;       /* HF format name, or NULL / "auto" */
  const char *to;         /* "fast_llm" or an HF format name */
  int layout;             /* CK_LAYOUT_V4/V5; 0 = from the input / v4 */
  ck_dtype dtype;         /* CK_DT_INVALID keeps the input dtypes */
  uint64_t parameters_per_file; /* 0 = upstream default (2**32) */
  uint64_t max_shard_bytes;     /* --max-shard-size; 0 = by parameters */
  int force;
  int jobs;               /* tensors in flight (threads); 0 = online
                             cores, at most 8 */
  ck_hf_read hf_read;     /* how an HF config.json is read (completion,
                             --ignore-hf-key) */
  void (*progress)(void *arg, uint64_t done, uint64_t total);
  void *progress_arg;
  /* convert: each warning of the preflight (ck_plan.h), before writing */
  void (*warn)(void *arg, const char *kind, const char *tensor,
               const char *file, const char *message);
  void *warn_arg;
  /* staged conversion (ck_resume.h): --resume, --part K/N, --finish */
  int resume;
  int part_k, part_n;     /* 1 <= part_k <= part_n, or 0/0 */
  int finish;
  ck_stage_state *stage;  /* filled when not NULL */
} ck_convert_opts;

/* A loaded input: its checkpoint, format, config and plan. */
typedef struct ck_loaded {
  ck_ckpt_in *in;
  ck_ckpt_kind kind;
  const ck_format *format;  /* the HF format on either side */
  ck_cfg *cfg;              /* validated Fast-LLM base model */
  json_t *base_model;       /* its to_dict (explicit fields) */
  json_t *hf_config;        /* fast_llm input: its HF export */
  int layout;
  ck_plan plan;
  ck_params params;
} ck_loaded;

/* Pick the format of an HF config: model_type first, then architectures.
 * NULL with an error naming what was found and the known formats. */
const ck_format *ck_format_for_hf(const ck_spec *s, json_t *hf,
                                  ck_error *err);

/* Open and understand a checkpoint.  `format` names the HF format (for a
 * fast_llm input: the one it will be converted to / compared with; for
 * an HF input NULL or "auto" detects it).  An HF config.json is read
 * through ck_import_hf_config with `hf_read` (NULL: completed by the
 * format's transformers class, no key ignored). */
enum { /* ck_load flags */
  CK_LOAD_HEADER_ONLY = 1, /* safetensors headers only, no tensor data */
  CK_LOAD_NO_EXPORT = 2    /* fast_llm input: do not export the config */
};
int ck_load(ck_rt *rt, const char *dir, const char *format, int layout,
            int flags, const ck_hf_read *hf_read, ck_loaded *out,
            ck_error *err);
void ck_loaded_close(ck_loaded *l);

/* Which write path convert takes: the simple streamed one (1) when
 * CKCONV_SIMPLE_IO=1 or a byte-counting test hook is set, else the
 * threaded positional one with ck_write_jobs(asked) threads (asked, else
 * one per online core, at most 8). */
int ck_simple_io(void);
/* The fast path without copy_file_range: CKCONV_SIMPLE_IO=pwrite (or =1,
 * for a staged run, which has no streamed path). */
int ck_no_copy_file_range(void);
int ck_write_jobs(int asked);

#endif
