/* ck_ckpt.h - checkpoint folders: Hugging Face and Fast-LLM `fast_llm`.
 *
 * The tensor side of a conversion starts and ends here: ck_ckpt_in opens
 * an input folder (config + every tensor, by name, read-only), ck_ckpt_out
 * writes an output folder in upstream's exact layout (StateDictSaver file
 * split, metadata.yaml or config.json + index), crash-safely. */
#ifndef CK_CKPT_H
#define CK_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ck_dtype.h"
#include "ck_error.h"
#include "ck_safetensors.h"

/* The Fast-LLM version ckconv reads up to and writes by default. */
#define CK_CKPT_FAST_LLM_VERSION "0.4.0"
/* Oldest metadata.yaml version Fast-LLM still loads. */
#define CK_CKPT_FAST_LLM_MIN_VERSION "0.3.0"

typedef enum {
  CK_CKPT_HF,       /* config.json + model.safetensors[.index.json] */
  CK_CKPT_FAST_LLM  /* metadata.yaml + model_{n}.safetensors */
} ck_ckpt_kind;

/* ================================================================ reading
 *
 * Error stages: "io" for OS errors, "checkpoint" for bad layouts (also
 * unparsable config.json / metadata.yaml / index files).  Messages name
 * the file and the key, entry or tensor.  Nothing is ever written in the
 * input directory. */

typedef struct ck_ckpt_in ck_ckpt_in;

/* One exposed tensor.  `name` is the HF name, or the Fast-LLM parameter
 * name (the state_index key without "/weights").  All pointers belong to
 * the ck_ckpt_in and stay valid until ck_ckpt_close. */
typedef struct ck_ckpt_tensor {
  const char *name;
  const ck_st_tensor *t;    /* t->data is NULL when opened header-only */
  const ck_st_file *file;
} ck_ckpt_tensor;

/* CK_CKPT_FAST_LLM when DIR/metadata.yaml exists, else CK_CKPT_HF when
 * DIR/config.json exists, else an error naming both. */
int ck_ckpt_detect(const char *dir, ck_ckpt_kind *kind, ck_error *err);

/* Open a checkpoint folder.
 *
 * HF: config.json (a JSON object, duplicate keys rejected); weights from
 * the first of, as upstream's HF loader: model.safetensors, the distinct
 * files of model.safetensors.index.json's weight_map (first-seen order),
 * pytorch_model.bin, the files of pytorch_model.bin.index.json (.bin
 * files, read by ck_torchbin.h as ck_st_files); else an error ("No
 * compatible checkpoint found in DIR ...").  Every tensor of every file
 * is exposed; a name in two files is an error, and so is a weight_map
 * entry missing from the file it names.  PyTorch weights left beside
 * safetensors ones are not read; ck_ckpt_ignored names them.
 *
 * fast_llm: metadata.yaml (top-level keys among config, fast_llm_version,
 * format, metadata, model, shards; format "fast_llm"; version 0.3.0 ..
 * 0.4.0; "weights" in shards; metadata.state_index mapping "param/shard"
 * -> file).  Exposes the "weights" shard only; every state_index entry
 * must be in its file and every tensor of the files in state_index.
 *
 * File names from an index or state_index must be plain names of regular
 * files in DIR: no '/', no "..", no absolute paths.  Every file read
 * (config, index, metadata.yaml, weights) may be a symlink only to a
 * regular file inside DIR, or inside the hub cache repo when DIR is a
 * snapshot (.../models--ORG--NAME/snapshots/REV; ck_hub_check_link).
 * header_only: files are opened with ck_st_open_header_only
 * (tensor data NULL), for planning without reading data. */
ck_ckpt_in *ck_ckpt_open(const char *dir, ck_ckpt_kind kind, int header_only,
                         ck_error *err);
void ck_ckpt_close(ck_ckpt_in *c); /* NULL is fine */

/* Check len bytes as the metadata.yaml of a fast_llm folder dir, as
 * ck_ckpt_open does, up to (not including) opening the files its
 * state_index names (their names are checked).  For the fuzzer. */
int ck_ckpt_check_metadata(const char *dir, const char *text, size_t len,
                           ck_error *err);

ck_ckpt_kind ck_ckpt_kind_of(const ck_ckpt_in *c);

/* HF: "DIR: PyTorch weights present but ignored (...): NAMES" when
 * pytorch_model*.bin files (or their index) sit beside the safetensors
 * weights that were read; NULL otherwise.  For inspect, plan and the
 * convert warning. */
const char *ck_ckpt_ignored(const ck_ckpt_in *c);
const char *ck_ckpt_dir(const ck_ckpt_in *c);

/* Tensors in a stable order: files in the order above, then data order
 * within a file.  i < ck_ckpt_count(c). */
size_t ck_ckpt_count(const ck_ckpt_in *c);
const ck_ckpt_tensor *ck_ckpt_at(const ck_ckpt_in *c, size_t i);
/* By name (hash lookup); NULL if absent. */
const ck_ckpt_tensor *ck_ckpt_find(const ck_ckpt_in *c, const char *name);

/* The open weight files, in the order tensors are listed. */
size_t ck_ckpt_file_count(const ck_ckpt_in *c);
const ck_st_file *ck_ckpt_file_at(const ck_ckpt_in *c, size_t i);

/* Borrowed: HF -> the config.json object; fast_llm -> the whole
 * metadata.yaml mapping. */
json_t *ck_ckpt_config(const ck_ckpt_in *c);
/* Borrowed: fast_llm -> metadata config.base_model (an empty object when
 * absent); HF -> an empty object. */
json_t *ck_ckpt_base_model(const ck_ckpt_in *c);

/* ================================================================ writing
 *
 * Life cycle (each step fails with err set and leaves `o` to abort):
 *   o = ck_ckpt_out_begin(out_dir, kind, force)   temp dir created
 *   ck_ckpt_out_plan(o, tensors, n, parameters_per_file)
 *   ck_ckpt_out_set_meta(o, &meta)                before any data
 *   ck_ckpt_out_write_all(o, produce, ctx)        the model_{k} files
 *   ck_ckpt_out_finish(o, NULL)                   small files, publish
 * ck_ckpt_out_finish consumes `o` (frees it, success or not; on failure
 * the temp dir is removed as by abort).  Until then, after any failure or
 * to give up, call ck_ckpt_out_abort(o): it removes the temp dir and frees.
 *
 * Everything is written into <parent>/.<basename>.ckconv-tmp-<pid>; finish
 * fsyncs it and renames it to out_dir (a replaced out_dir is first moved
 * to <parent>/.<basename>.ckconv-old-<pid> and removed after the rename).
 * So out_dir is never partial: the complete new checkpoint, what it was
 * before, or (crash between the two renames) absent.
 *
 * parameters_per_file: elements per file as upstream's StateDictSaver
 * counts them (a file is closed as soon as its running element count
 * reaches the limit; the rest goes to a last file).  0 means the default
 * 2**32; anything else must be >= 2**20, unless the environment has
 * CK_MIN_PARAMETERS_PER_FILE_OK=1 (for tests that shard tiny models). */

typedef struct ck_ckpt_out ck_ckpt_out;

/* One output tensor, in export order (the order the converter emits). */
typedef struct ck_ckpt_out_tensor {
  const char *name;     /* HF name, or Fast-LLM parameter name (no '/') */
  ck_dtype dtype;
  int ndim;             /* 0 .. CK_ST_MAX_RANK */
  uint64_t shape[CK_ST_MAX_RANK];
} ck_ckpt_out_tensor;

/* What goes into metadata.yaml / config.json / the index.  All borrowed
 * (references are taken where kept). */
typedef struct ck_ckpt_meta {
  const char *format_name;  /* "fast_llm", or the HF format ("llama") */
  json_t *base_model;       /* Fast-LLM base_model dict (explicit fields);
                               NULL or {} -> omitted */
  json_t *hf_config;        /* HF only: the exported HF dict (required) */
  const char *fast_llm_version; /* NULL -> CK_CKPT_FAST_LLM_VERSION */
  json_t *extra_metadata;   /* optional mapping merged into M.metadata
                               (provenance); may not hold "state_index" */
} ck_ckpt_meta;

/* Write exactly the bytes of tensor `tensor_index` (an index into the
 * planned array) with ck_st_writer_write, in chunks of any size. */
typedef int (*ck_ckpt_produce_fn)(void *ctx, size_t tensor_index,
                                  ck_st_writer *w, ck_error *err);

/* Refuses an existing out_dir unless force ("OUT exists; use --force to
 * replace it"); creates missing parent directories (never removed) and
 * the temp dir.  out_dir NULL gives a plan-only object (nothing created;
 * plan and the queries below work, write_all and finish fail) for dry
 * runs. */
ck_ckpt_out *ck_ckpt_out_begin(const char *out_dir, ck_ckpt_kind kind,
                               int force, ck_error *err);

/* Assign tensors to files (see parameters_per_file above); checks names
 * (non-empty, unique, no '/' for fast_llm), dtypes and ranks.  Once. */
int ck_ckpt_out_plan(ck_ckpt_out *o, const ck_ckpt_out_tensor *t, size_t n,
                     uint64_t parameters_per_file, ck_error *err);

/* Before plan: split by tensor bytes instead (--max-shard-size), as
 * Hugging Face's writer does: a tensor that would take a non-empty file
 * past `bytes` starts the next file; a larger tensor has a file of its
 * own.  Then parameters_per_file is not used.  0 restores it. */
void ck_ckpt_out_set_max_file_bytes(ck_ckpt_out *o, uint64_t bytes);

/* After plan: files are model_0.safetensors, model_1... and each holds a
 * contiguous range [first, end) of the planned tensors. */
size_t ck_ckpt_out_file_count(const ck_ckpt_out *o);
const char *ck_ckpt_out_file_name(const ck_ckpt_out *o, size_t f);
void ck_ckpt_out_file_range(const ck_ckpt_out *o, size_t f, size_t *first,
                            size_t *end);
size_t ck_ckpt_out_tensor_file(const ck_ckpt_out *o, size_t i);
/* Key inside the file: the name (HF) or name + "/weights" (fast_llm). */
const char *ck_ckpt_out_tensor_key(const ck_ckpt_out *o, size_t i);

/* Compute the safetensors __metadata__ and the small files' contents
 * from m (copied/referenced).  Must precede write_all.  Once. */
int ck_ckpt_out_set_meta(ck_ckpt_out *o, const ck_ckpt_meta *m,
                         ck_error *err);
/* After set_meta: the __metadata__ every file gets, in header order. */
size_t ck_ckpt_out_st_meta(const ck_ckpt_out *o, const char *const **keys,
                           const char *const **values);

/* Write every file in order, one open at a time: for each tensor in the
 * file's data order (ck_st_writer_order) call produce, then check the
 * tensor is complete; close the file.  Once. */
int ck_ckpt_out_write_all(ck_ckpt_out *o, ck_ckpt_produce_fn produce,
                          void *ctx, ck_error *err);

/* Positional writing, the alternative to write_all (ck_jobs_write.c's fast
 * path): layout opens every model_{k} file at once, writes its header
 * and sizes it from the plan; the caller then writes tensor i's bytes at
 * ck_ckpt_out_target's (fd, offset), in any order, from any thread;
 * layout_done fsyncs, closes and renames every file (write_all's end
 * state).  After a failure, ck_ckpt_out_abort removes everything. */
int ck_ckpt_out_layout(ck_ckpt_out *o, ck_error *err);
/* fd and absolute offset of tensor i's first byte; the path of its file
 * (the temporary name, for messages).  After layout. */
void ck_ckpt_out_target(const ck_ckpt_out *o, size_t i, int *fd,
                        uint64_t *offset, const char **path);
/* The p-th planned tensor in write order: file by file, data order
 * within a file (p < the tensor count). */
size_t ck_ckpt_out_data_order(const ck_ckpt_out *o, size_t p);
int ck_ckpt_out_layout_done(ck_ckpt_out *o, ck_error *err);

/* Write metadata.yaml (fast_llm) or config.json and
 * model.safetensors.index.json (HF), the empty `ok` marker, fsync, and
 * publish atomically (see above).  m: NULL, or the same values given to
 * set_meta (checked).  Consumes o.  If the new checkpoint was published
 * but an old out_dir moved aside could not be removed, returns -1 with a
 * message saying so (out_dir is then complete). */
int ck_ckpt_out_finish(ck_ckpt_out *o, const ck_ckpt_meta *m, ck_error *err);

/* Extra small file (e.g. custom model code) written into the temp dir
 * now; name must be a plain file name not used by the checkpoint. */
int ck_ckpt_out_add_file(ck_ckpt_out *o, const char *name, const void *data,
                         size_t len, ck_error *err);

/* 1 when `name` is not a plain file name, or is one a checkpoint folder
 * itself uses (config.json, metadata.yaml, the index, model_*, ok). */
int ck_ckpt_out_reserved_name(const char *name);

/* Copy the file at src (at most CK_CKPT_FS_SMALL_MAX bytes: a tokenizer,
 * a generation config) into the output as `name`, as add_file does. */
int ck_ckpt_out_copy_file(ck_ckpt_out *o, const char *name, const char *src,
                          ck_error *err);

/* Remove the temp dir (never out_dir) and free.  NULL is fine. */
void ck_ckpt_out_abort(ck_ckpt_out *o);

/* An error raised while o was being written may name its hidden
 * temporary folder and the `.ckpart` files in it: rewrite those paths,
 * in the message and the file field, as the user's output path and the
 * names the files would have had. */
void ck_ckpt_out_name_output(const ck_ckpt_out *o, ck_error *err);

/* For a SIGINT/SIGTERM watcher (the command's): remove the temporary
 * folder of the output being written, if any, and give the output path it
 * was for.  Returns 1 when there was one.  Safe to call from another
 * thread while the writer runs (the writer's next write then fails).
 * A staged output (begin_staged) is kept: returns 2 with its path. */
int ck_ckpt_out_interrupted(char *out_dir, size_t n);

/* ---------------------------------------------- staged (resumable) output
 *
 * begin_staged: like begin, but the folder is the stable
 * <parent>/.<basename>.ckconv-staging (created, or taken as an earlier
 * run or a concurrent part left it), and a failure or abort keeps it for
 * a later run (`convert --resume`, `--part`, `--finish`); SIGINT/SIGTERM
 * (ck_ckpt_out_interrupted returns 2) keep it too.  Before layout, give
 * the conversion's identity with set_manifest (a JSON object; "inputs"
 * maps input file names to {size, mtime_ns}; "input" is the input path,
 * for messages).  Layout then, under an flock(2) of the folder's `lock`:
 * lays out every file and writes `manifest` when there is none (a folder
 * without one is emptied first), else refuses a different manifest,
 * naming what differs ("cannot resume OUT: IN/f changed (size ...)").
 * The files keep their final names; which tensors are complete is the
 * journals' business (ck_journal.h, files journal* of the folder), and
 * layout_done only fdatasyncs.  finish removes manifest, journals and
 * lock, then publishes as usual. */
ck_ckpt_out *ck_ckpt_out_begin_staged(const char *out_dir, ck_ckpt_kind kind,
                                      int force, ck_error *err);
int ck_ckpt_out_set_manifest(ck_ckpt_out *o, json_t *manifest); /* ref */
/* Only file f: a part syncs the files it wrote to, not the other parts'
 * (whose dirty pages would make it wait for their writes too). */
int ck_ckpt_out_sync_file(ck_ckpt_out *o, size_t f, ck_error *err);

/* Path of the temp dir (NULL for a plan-only object); for tests. */
const char *ck_ckpt_out_tmp_dir(const ck_ckpt_out *o);

/* After plan and set_meta (a plan-only object is enough): where file f's
 * tensors will be, computed by the writer's own code (ck_st_writer_plan):
 * offset[k] = absolute offset in the file of the first byte of planned
 * tensor first + k (ck_ckpt_out_file_range), *header_len = N, *size = the
 * file's size.  For `ckconv plan`. */
int ck_ckpt_out_file_layout(const ck_ckpt_out *o, size_t f, uint64_t *offset,
                            uint64_t *header_len, uint64_t *size,
                            ck_error *err);

#endif
