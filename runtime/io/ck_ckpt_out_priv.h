/* ck_ckpt_out_priv.h - the state of a checkpoint output (ck_ckpt_out),
 * shared by the files that write one: ck_ckpt_write.c (plan, metadata,
 * streamed and positional writing, publication) and ck_ckpt_stage.c (the
 * stable staging folder of resumable and partial conversions).  Private
 * to runtime/io. */
#ifndef CK_CKPT_OUT_PRIV_H
#define CK_CKPT_OUT_PRIV_H

#include "ck_ckpt.h"

struct ck_ckpt_out {
  ck_ckpt_kind kind;
  int force;
  char *out_dir;        /* NULL: plan-only object */
  char *parent;
  char *tmp_dir;        /* <parent>/.<base>.ckconv-tmp-<pid> */
  char *old_dir;        /* <parent>/.<base>.ckconv-old-<pid> */
  int tmp_exists;       /* created and not yet renamed to out_dir */
  int planned, meta_set, written;
  /* plan */
  size_t n;
  ck_ckpt_out_tensor *t;  /* copies; t[i].name owned */
  char **keys;            /* key in the file */
  size_t *file_of;        /* file index of tensor i */
  size_t n_files;
  size_t *file_first;     /* n_files + 1 boundaries */
  uint64_t max_file_bytes; /* 0: split by parameters_per_file */
  char **file_names;
  /* metadata */
  json_t *M;              /* CheckpointMetadata.to_dict(), no state_index */
  json_t *hf_config;      /* HF only */
  char **mk, **mv;        /* safetensors __metadata__ */
  size_t n_meta;
  /* positional writing (ck_ckpt_out_layout): one open writer per file */
  ck_st_writer **ws;
  size_t *order;          /* write order: tensor indices */
  /* staged (resumable) output, ck_ckpt_stage.c: tmp_dir is the stable
   * <parent>/.<base>.ckconv-staging, kept on failure for --resume; the
   * files are laid out once and reopened by every run or part */
  int staged;
  int *sfd;               /* per file: descriptor, -1 when closed */
  char **spath;           /* per file: its path in the staging folder */
  json_t *manifest;       /* the conversion's identity (set_manifest) */
  int lock_fd;            /* the staging lock while laying out, or -1 */
  int drop_tmp;           /* abort removes the staging folder (nothing in
                             it worth resuming: the layout failed) */
};

/* The safetensors writer of output file f (ck_ckpt_write.c): create
 * makes the file in tmp_dir, else it is planned only. */
ck_st_writer *ck_ckpt_out_file_writer(const ck_ckpt_out *o, size_t f,
                                      int create, ck_error *err);

/* ck_ckpt_stage.c, called by ck_ckpt_write.c for a staged output. */
int ck_ckpt_stage_layout(ck_ckpt_out *o, ck_error *err);
int ck_ckpt_stage_sync(ck_ckpt_out *o, ck_error *err);
int ck_ckpt_stage_drop_bookkeeping(ck_ckpt_out *o, ck_error *err);
void ck_ckpt_stage_close(ck_ckpt_out *o);

#endif
