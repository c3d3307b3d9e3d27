/* ck_torchbin.h - reading pytorch_model.bin files (torch.save zip
 * archives) as ck_st_files.
 *
 * The zip container is validated by libzip (and our own reading of the
 * central directory and local headers, for the data offsets libzip does
 * not expose); the state dict pickle by the restricted reader of
 * ck_pickle.h.  Each tensor becomes a view of the mapped file, so the
 * conversion engine copies it exactly as it copies a safetensors tensor.
 * Refused: compressed data entries, non-contiguous views, views past
 * their storage, dtypes ckconv lacks, big-endian archives, files written
 * before torch 1.6 (not zip archives). */
#ifndef CK_TORCHBIN_H
#define CK_TORCHBIN_H

#include <stddef.h>

#include "ck_error.h"
#include "ck_safetensors.h"

#define CK_TB_PICKLE_MAX (64u << 20) /* bytes of data.pkl */

/* Open and validate path; header_only: tensor.data NULL (the file is
 * still read for the pickle and the zip directory).  Stage checkpoint
 * (io for OS errors); messages name the file, and the tensor or zip
 * entry. */
ck_st_file *ck_tb_open(const char *path, int header_only, ck_error *err);

/* The same checks on len bytes in memory (name for messages); data
 * points into bytes, which must outlive the result.  For the fuzzer. */
ck_st_file *ck_tb_parse_buffer(const void *bytes, size_t len,
                               const char *name, ck_error *err);

#endif
