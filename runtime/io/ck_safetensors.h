/* ck_safetensors.h - reading and writing safetensors files.
 *
 * Both checkpoint formats (HF, Fast-LLM) keep weights in safetensors: the
 * reader validates a whole header, then maps the input read-only; the
 * writer streams tensors out in the reference library's exact layout. */

/* Format: u64 little-endian N, N bytes of JSON header, then the data
 * section.  The header maps tensor names to {"dtype", "shape",
 * "data_offsets": [begin, end]} (relative to the data section), plus an
 * optional "__metadata__" object of string values. */
#ifndef CK_SAFETENSORS_H
#define CK_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "ck_dtype.h"
#include "ck_error.h"

#define CK_ST_HEADER_MAX (100u * 1024u * 1024u) /* bytes of JSON header */
#define CK_ST_MAX_RANK 16
#define CK_ST_MAX_TENSORS 1000000u
#define CK_ST_MAX_DEPTH 8 /* JSON nesting (a valid header needs 3) */
/* The writer gathers small tensor chunks into writes of this size. */
#define CK_ST_WRITE_BUF_BYTES ((size_t)8 << 20)

/* ---------------------------------------------------------------- reader */

typedef struct ck_st_file ck_st_file;

/* One tensor of an open file.  All pointers are owned by the file and
 * stay valid until ck_st_close. */
typedef struct ck_st_tensor {
  const char *name;       /* NUL-terminated (names never contain NUL) */
  ck_dtype dtype;
  int ndim;               /* 0 for a scalar */
  const uint64_t *shape;  /* ndim entries */
  uint64_t numel;         /* product of shape (1 for a scalar) */
  uint64_t nbytes;        /* numel * ck_dtype_size(dtype) */
  uint64_t begin, end;    /* data_offsets, relative to the data section */
  uint64_t file_offset;   /* absolute offset of the first byte */
  const void *data;       /* mapped bytes; NULL when opened header-only */
} ck_st_tensor;

/* Open, validate and mmap (read-only) a whole file.  Nothing is exposed
 * unless the header is entirely valid and the tensors tile the data
 * section exactly up to the end of the file. */
ck_st_file *ck_st_open(const char *path, ck_error *err);

/* Validate the header against the file's size without mapping the data
 * (tensor.data is NULL).  A data section shorter than the header says is
 * accepted and reported by ck_st_truncated(); every other check is as in
 * ck_st_open. */
ck_st_file *ck_st_open_header_only(const char *path, ck_error *err);

/* Validate `len` bytes held in memory as a whole file (name is used in
 * messages only), with exactly the checks of ck_st_open; tensor.data
 * points into `bytes`, which must outlive the result.  For the fuzzer and
 * tests; files are read with ck_st_open. */
ck_st_file *ck_st_parse_buffer(const void *bytes, size_t len,
                               const char *name, ck_error *err);

void ck_st_close(ck_st_file *f); /* NULL is fine */

/* Tensors of another container exposed as a ck_st_file (a torch .bin,
 * runtime/io/ck_torchbin.c), so that everything downstream reads them
 * as safetensors: each view is a contiguous byte range of the file.  The
 * views may overlap (two tensors sharing a storage) and need not tile
 * the file; names must be unique. */
typedef struct ck_st_view {
  const char *name;       /* copied */
  ck_dtype dtype;
  int ndim;               /* 0 .. CK_ST_MAX_RANK */
  const uint64_t *shape;  /* ndim entries, copied */
  uint64_t file_offset;   /* absolute offset of the first byte */
} ck_st_view;

/* Build the file `path` of file_size bytes from n views (ordered by
 * file_offset, then name).  base: the whole file in memory (tensor.data
 * = base + file_offset), or NULL for a header-only open.  map/map_len,
 * when map is not NULL: an mmap of the file the result owns (unmapped by
 * ck_st_close, also on failure).  Fails, naming the tensor, on a
 * duplicate name, a bad rank or dtype, or bytes past the file's end. */
ck_st_file *ck_st_from_views(const char *path, uint64_t file_size,
                             const ck_st_view *views, size_t n,
                             const void *base, void *map, size_t map_len,
                             ck_error *err);

const char *ck_st_path(const ck_st_file *f);
uint64_t ck_st_file_size(const ck_st_file *f);   /* actual size on disk */
uint64_t ck_st_header_len(const ck_st_file *f);  /* N */
uint64_t ck_st_data_offset(const ck_st_file *f); /* 8 + N (0: views) */
uint64_t ck_st_data_len(const ck_st_file *f);    /* as the header says */
/* 1 if (header-only open) the file is shorter than 8 + N + data_len. */
int ck_st_truncated(const ck_st_file *f);

/* Tensors in data-offset order, i < ck_st_count(f). */
size_t ck_st_count(const ck_st_file *f);
const ck_st_tensor *ck_st_tensor_at(const ck_st_file *f, size_t i);
/* Lookup by name (binary search); NULL if absent. */
const ck_st_tensor *ck_st_find(const ck_st_file *f, const char *name);

/* "__metadata__": value for key or NULL; entries in header order. */
const char *ck_st_meta_get(const ck_st_file *f, const char *key);
size_t ck_st_meta_count(const ck_st_file *f);
void ck_st_meta_at(const ck_st_file *f, size_t i, const char **key,
                   const char **value);

/* ---------------------------------------------------------------- writer */

typedef struct ck_st_writer ck_st_writer;

typedef struct ck_st_plan_entry {
  const char *name;
  ck_dtype dtype;
  int ndim;               /* 0 .. CK_ST_MAX_RANK */
  const uint64_t *shape;  /* ndim entries (may be NULL when ndim == 0) */
} ck_st_plan_entry;

/* Plan a file: validates the entries (unique non-empty UTF-8 names, known
 * dtypes, sizes that fit in 64 bits), orders them as the reference library
 * does (dtype rank descending, then name bytewise), writes the header.
 * Data goes to `path`.ckpart, renamed to `path` by a successful close, so
 * a failed run never leaves a half-written file under the final name and
 * an input mapped from `path` stays readable while writing.  Everything
 * is copied: the arrays may be freed after the call.  Metadata is written
 * in the order given (the reference library's order is a hash order). */
ck_st_writer *ck_st_writer_open(const char *path,
                                const ck_st_plan_entry *entries, size_t n,
                                const char *const *meta_keys,
                                const char *const *meta_values, size_t n_meta,
                                ck_error *err);

/* The same plan without a file (nothing is created or written): order,
 * header length, data length and ck_st_writer_offset are exactly what
 * ck_st_writer_open would produce.  `ckconv plan` predicts the output
 * with it.  Free with ck_st_writer_abort. */
ck_st_writer *ck_st_writer_plan(const char *path,
                                const ck_st_plan_entry *entries, size_t n,
                                const char *const *meta_keys,
                                const char *const *meta_values, size_t n_meta,
                                ck_error *err);

/* Index into `entries` of the i-th tensor in data order (i < n). */
size_t ck_st_writer_order(const ck_st_writer *w, size_t i);
/* Index into `entries` of the tensor the next bytes belong to, or n when
 * all data has been written (zero-size tensors are skipped). */
size_t ck_st_writer_next(const ck_st_writer *w);
uint64_t ck_st_writer_data_len(const ck_st_writer *w);
uint64_t ck_st_writer_header_len(const ck_st_writer *w); /* N */

/* Optional check before a tensor's bytes: fails unless `name` is the
 * tensor whose data starts at the current position. */
int ck_st_writer_begin(ck_st_writer *w, const char *name, ck_error *err);

/* Append bytes, in data order, in chunks of any size; a chunk may not run
 * past the end of the current tensor (so every tensor gets exactly its
 * byte count) nor past the end of the data. */
int ck_st_writer_write(ck_st_writer *w, const void *bytes, size_t len,
                       ck_error *err);

/* Check that all data was written, flush, fsync, close and rename into
 * place.  Frees w in every case; on failure the partial file is removed. */
int ck_st_writer_close(ck_st_writer *w, ck_error *err);

/* Close and remove the partial file; frees w.  NULL is fine. */
void ck_st_writer_abort(ck_st_writer *w);

/* Positional writing (the fast path of `ckconv convert`), instead of
 * ck_st_writer_write: ck_st_writer_layout writes the header and gives the
 * file its final size (space reserved where the file system can), after
 * which the caller writes each tensor's bytes itself with pwrite(2) or
 * copy_file_range(2) on ck_st_writer_fd at ck_st_writer_offset, in any
 * order and from any thread, then closes with ck_st_writer_close (which
 * then trusts the caller to have written every byte). */
int ck_st_writer_layout(ck_st_writer *w, ck_error *err);
int ck_st_writer_fd(const ck_st_writer *w);
/* Absolute file offset of entry `entry`'s first byte (entry < n). */
uint64_t ck_st_writer_offset(const ck_st_writer *w, size_t entry);
/* The file being written (path.ckpart), for messages. */
const char *ck_st_writer_tmp_path(const ck_st_writer *w);

#endif
