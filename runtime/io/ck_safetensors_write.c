/* ck_safetensors_write.c - the safetensors writer: every output file is
 * streamed by ck_st_writer_*, byte for byte as the reference Rust library
 * (safetensors/src/tensor.rs) lays it out, into a temporary name renamed
 * into place on close. */
#include "ck_safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_buf.h"
#include "ck_fault.h"
#include "ck_json_out.h"
#include "ck_st_common.h"

#define WRITE_BUF CK_ST_WRITE_BUF_BYTES

struct ck_st_writer {
  char *path, *tmp_path;
  int fd;
  int created;         /* tmp_path is ours to remove */
  size_t n;
  char **names;        /* per entry index (copies) */
  size_t *order;       /* data position -> entry index */
  size_t *pos_of;      /* entry index -> data position */
  size_t *by_name;     /* entry indices sorted by name */
  uint64_t *begins, *ends; /* per data position */
  uint64_t header_len, data_len, written;
  size_t cur;          /* first data position with end > written */
  unsigned char *buf;
  size_t buf_used;
};

static void sb_u64(ck_buf *b, uint64_t v) {
  char tmp[24];
  snprintf(tmp, sizeof tmp, "%" PRIu64, v);
  ck_buf_puts(b, tmp);
}

/* A JSON string as serde_json writes it: only '"', '\\' and control
 * characters are escaped (short forms where JSON has them, else \u00xx in
 * lower case); everything else, non-ASCII included, is copied. */
static void sb_json_str(ck_buf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  ck_buf_add(b, "\"", 1);
  const char *run = s;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    ck_buf_add(b, run, (size_t)(s - run));
    run = s + 1;
    char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
    size_t n = 2;
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
      memcpy(esc + 1, "u00", 3);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      n = 6;
    }
    ck_buf_add(b, esc, n);
  }
  ck_buf_add(b, run, (size_t)(s - run));
  ck_buf_add(b, "\"", 1);
}

/* Strict UTF-8 check (no overlongs, surrogates or code points past
 * U+10FFFF): the header must be a valid Rust String. */
static int utf8_ok(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  while (*s) {
    unsigned c = *s;
    if (c < 0x80) {
      s++;
      continue;
    }
    size_t n;
    unsigned cp, min;
    if ((c & 0xe0) == 0xc0) n = 1, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0) n = 2, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0) n = 3, cp = c & 0x07, min = 0x10000;
    else return 0;
    for (size_t i = 1; i <= n; i++) {
      if ((s[i] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    s += n + 1;
  }
  return 1;
}

static int cmp_plan(const void *a, const void *b, void *base) {
  const ck_st_plan_entry *e = base;
  const ck_st_plan_entry *x = &e[*(const size_t *)a];
  const ck_st_plan_entry *y = &e[*(const size_t *)b];
  int rx = ck_dtype_st_rank(x->dtype), ry = ck_dtype_st_rank(y->dtype);
  if (rx != ry) return rx > ry ? -1 : 1; /* higher rank first */
  return strcmp(x->name, y->name);
}
static int cmp_plan_name(const void *a, const void *b, void *base) {
  const ck_st_plan_entry *e = base;
  return strcmp(e[*(const size_t *)a].name, e[*(const size_t *)b].name);
}

static void writer_free(ck_st_writer *w) {
  if (!w) return;
  if (w->names)
    for (size_t i = 0; i < w->n; i++) free(w->names[i]);
  free(w->names);
  free(w->order);
  free(w->pos_of);
  free(w->by_name);
  free(w->begins);
  free(w->ends);
  free(w->buf);
  free(w->path);
  free(w->tmp_path);
  free(w);
}

/* "write failed: No space left on device (the disk is full)". */
static int write_failed(ck_st_writer *w, ck_error *err) {
  int e = errno;
  return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = w->tmp_path},
                    "%s: write failed: %s%s", w->tmp_path, strerror(e),
                    e == ENOSPC || e == EDQUOT ? " (the disk is full)" : "");
}

static int flush_buf(ck_st_writer *w, ck_error *err) {
  if (w->buf_used && ck_fault_write_all(w->fd, w->buf, w->buf_used) != 0)
    return write_failed(w, err);
  w->buf_used = 0;
  return 0;
}

/* Buffered append: small chunks are gathered into WRITE_BUF-sized writes,
 * big ones go straight to write(2). */
static int put(ck_st_writer *w, const void *p, size_t len, ck_error *err) {
  if (w->buf_used + len <= WRITE_BUF) {
    memcpy(w->buf + w->buf_used, p, len);
    w->buf_used += len;
    return w->buf_used == WRITE_BUF ? flush_buf(w, err) : 0;
  }
  if (flush_buf(w, err)) return -1;
  if (len >= WRITE_BUF) {
    if (ck_fault_write_all(w->fd, p, len) != 0) return write_failed(w, err);
    return 0;
  }
  memcpy(w->buf, p, len);
  w->buf_used = len;
  return 0;
}

/* Validate the plan and metadata; on success fill w->names and the sorted
 * index arrays. */
static int plan_check(ck_st_writer *w, const ck_st_plan_entry *e, size_t n,
                      const char *const *mk, const char *const *mv,
                      size_t n_meta, ck_error *err) {
  const char *path = w->path;
  if ((n && !e) || (n_meta && (!mk || !mv)))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: writer given %s count but no array", path,
                      n && !e ? "a tensor" : "a metadata");
  if (n > CK_ST_MAX_TENSORS)
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: %zu tensors planned, more than the cap "
                      "of %u",
                      path, n, CK_ST_MAX_TENSORS);
  for (size_t i = 0; i < n; i++) {
    if (!e[i].name || !e[i].name[0])
      return ck_fail_at(err, STAGE, (ck_about){.file = path},
                        "%s: planned tensor #%zu has no name", path, i);
    const char *nm = e[i].name;
    if (!utf8_ok(nm))
      return ck_st_tensor_fail(err, path, nm, "name is not valid UTF-8");
    if (strcmp(nm, "__metadata__") == 0)
      return ck_st_tensor_fail(err, path, nm, "reserved name");
    if (ck_dtype_size(e[i].dtype) == 0)
      return ck_st_tensor_fail(err, path, nm, "invalid dtype value %d",
                         (int)e[i].dtype);
    if (e[i].ndim < 0 || e[i].ndim > CK_ST_MAX_RANK)
      return ck_st_tensor_fail(err, path, nm, "rank %d outside 0..%d", e[i].ndim,
                         CK_ST_MAX_RANK);
    if (e[i].ndim > 0 && !e[i].shape)
      return ck_st_tensor_fail(err, path, nm, "rank %d but no shape", e[i].ndim);
    uint64_t numel = 1, nbytes;
    for (int d = 0; d < e[i].ndim; d++)
      if (__builtin_mul_overflow(numel, e[i].shape[d], &numel))
        return ck_st_tensor_fail(err, path, nm, "shape has more than 2^64 elements");
    if (__builtin_mul_overflow(numel, (uint64_t)ck_dtype_size(e[i].dtype),
                               &nbytes))
      return ck_st_tensor_fail(err, path, nm, "size is more than 2^64 bytes");
  }
  for (size_t i = 0; i < n_meta; i++) {
    if (!mk[i] || !mv[i])
      return ck_fail_at(err, STAGE, (ck_about){.file = path},
                        "%s: metadata entry #%zu has a NULL %s", path, i,
                        !mk[i] ? "key" : "value");
    if (!utf8_ok(mk[i]) || !utf8_ok(mv[i]))
      return ck_fail_at(err, STAGE, (ck_about){.file = path, .key = mk[i]},
                        "%s: metadata key '%.*s': not valid UTF-8", path,
                        NAME_SHOWN, mk[i]);
    for (size_t j = 0; j < i; j++)
      if (strcmp(mk[i], mk[j]) == 0)
        return ck_fail_at(err, STAGE, (ck_about){.file = path, .key = mk[i]},
                          "%s: metadata key '%.*s' given twice", path,
                          NAME_SHOWN, mk[i]);
  }

  w->names = calloc(n ? n : 1, sizeof *w->names);
  w->order = calloc(n ? n : 1, sizeof *w->order);
  w->pos_of = calloc(n ? n : 1, sizeof *w->pos_of);
  w->by_name = calloc(n ? n : 1, sizeof *w->by_name);
  w->begins = calloc(n ? n : 1, sizeof *w->begins);
  w->ends = calloc(n ? n : 1, sizeof *w->ends);
  if (!w->names || !w->order || !w->pos_of || !w->by_name || !w->begins ||
      !w->ends)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                      "%s: out of memory planning %zu tensors", path, n);
  for (size_t i = 0; i < n; i++) {
    if (!(w->names[i] = strdup(e[i].name)))
      return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                        "%s: out of memory", path);
    w->order[i] = w->by_name[i] = i;
  }
  if (n) {
    qsort_r(w->order, n, sizeof *w->order, cmp_plan, (void *)e);
    qsort_r(w->by_name, n, sizeof *w->by_name, cmp_plan_name, (void *)e);
  }
  for (size_t i = 1; i < n; i++)
    if (strcmp(e[w->by_name[i]].name, e[w->by_name[i - 1]].name) == 0)
      return ck_st_tensor_fail(err, path, e[w->by_name[i]].name,
                         "planned twice (entries #%zu and #%zu)",
                         w->by_name[i - 1], w->by_name[i]);
  return 0;
}

/* Header JSON exactly as serde_json serializes the reference library's
 * Metadata: compact, __metadata__ first, tensors in data order, keys
 * dtype/shape/data_offsets; then space padding to a multiple of 8. */
static void build_header(ck_st_writer *w, const ck_st_plan_entry *e,
                         const char *const *mk, const char *const *mv,
                         size_t n_meta, ck_buf *b) {
  ck_buf_puts(b, "{");
  int first = 1;
  if (n_meta) {
    ck_buf_puts(b, "\"__metadata__\":{");
    for (size_t i = 0; i < n_meta; i++) {
      if (i) ck_buf_puts(b, ",");
      sb_json_str(b, mk[i]);
      ck_buf_puts(b, ":");
      sb_json_str(b, mv[i]);
    }
    ck_buf_puts(b, "}");
    first = 0;
  }
  uint64_t off = 0;
  for (size_t p = 0; p < w->n; p++) {
    const ck_st_plan_entry *t = &e[w->order[p]];
    uint64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) numel *= t->shape[d];
    uint64_t nbytes = numel * ck_dtype_size(t->dtype);
    w->pos_of[w->order[p]] = p;
    w->begins[p] = off;
    w->ends[p] = off + nbytes;
    if (!first) ck_buf_puts(b, ",");
    first = 0;
    sb_json_str(b, t->name);
    ck_buf_puts(b, ":{\"dtype\":\"");
    ck_buf_puts(b, ck_dtype_name(t->dtype));
    ck_buf_puts(b, "\",\"shape\":[");
    for (int d = 0; d < t->ndim; d++) {
      if (d) ck_buf_puts(b, ",");
      sb_u64(b, t->shape[d]);
    }
    ck_buf_puts(b, "],\"data_offsets\":[");
    sb_u64(b, off);
    ck_buf_puts(b, ",");
    sb_u64(b, off + nbytes);
    ck_buf_puts(b, "]}");
    off += nbytes;
  }
  ck_buf_puts(b, "}");
  while (b->len % 8) ck_buf_puts(b, " ");
  w->data_len = off;
}

/* ck_st_writer_open, and without `create` ck_st_writer_plan: the same
 * checks, order, header and offsets, but no file. */
static ck_st_writer *writer_new(const char *path,
                                const ck_st_plan_entry *entries, size_t n,
                                const char *const *meta_keys,
                                const char *const *meta_values, size_t n_meta,
                                int create, ck_error *err) {
  ck_st_writer *w = calloc(1, sizeof *w);
  ck_buf b = {0};
  if (!w) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path}, "%s: out of memory",
               path);
    return NULL;
  }
  w->fd = -1;
  w->n = n;
  size_t plen = strlen(path);
  w->path = strdup(path);
  w->tmp_path = malloc(plen + sizeof ".ckpart");
  w->buf = malloc(WRITE_BUF);
  if (!w->path || !w->tmp_path || !w->buf) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path}, "%s: out of memory",
               path);
    goto fail;
  }
  memcpy(w->tmp_path, path, plen);
  memcpy(w->tmp_path + plen, ".ckpart", sizeof ".ckpart");
  if (plan_check(w, entries, n, meta_keys, meta_values, n_meta, err))
    goto fail;

  /* Data sums must fit: each size fits in 64 bits, check the total. */
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t numel = 1;
    for (int d = 0; d < entries[i].ndim; d++) numel *= entries[i].shape[d];
    if (__builtin_add_overflow(total, numel * ck_dtype_size(entries[i].dtype),
                               &total)) {
      ck_fail_at(err, STAGE, (ck_about){.file = path},
                 "%s: planned tensors total more than 2^64 bytes", path);
      goto fail;
    }
  }
  build_header(w, entries, meta_keys, meta_values, n_meta, &b);
  if (b.oom) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: out of memory building the header", path);
    goto fail;
  }
  if (b.len > CK_ST_HEADER_MAX) {
    ck_fail_at(err, STAGE, (ck_about){.file = path},
               "%s: header would be %zu bytes, over the cap of %u", path, b.len,
               CK_ST_HEADER_MAX);
    goto fail;
  }
  w->header_len = b.len;
  while (w->cur < n && w->ends[w->cur] == 0) w->cur++;
  if (!create) {
    free(b.p);
    return w;
  }

  w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (w->fd < 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = w->tmp_path},
               "%s: cannot create: %s", w->tmp_path, strerror(errno));
    goto fail;
  }
  w->created = 1;
  unsigned char lenbuf[8];
  for (int i = 0; i < 8; i++) lenbuf[i] = (unsigned char)(b.len >> (8 * i));
  if (put(w, lenbuf, 8, err) || put(w, b.p, b.len, err)) goto fail;
  free(b.p);
  return w;
fail:
  free(b.p);
  ck_st_writer_abort(w);
  return NULL;
}

ck_st_writer *ck_st_writer_open(const char *path,
                                const ck_st_plan_entry *entries, size_t n,
                                const char *const *meta_keys,
                                const char *const *meta_values, size_t n_meta,
                                ck_error *err) {
  return writer_new(path, entries, n, meta_keys, meta_values, n_meta, 1, err);
}

ck_st_writer *ck_st_writer_plan(const char *path,
                                const ck_st_plan_entry *entries, size_t n,
                                const char *const *meta_keys,
                                const char *const *meta_values, size_t n_meta,
                                ck_error *err) {
  return writer_new(path, entries, n, meta_keys, meta_values, n_meta, 0, err);
}

size_t ck_st_writer_order(const ck_st_writer *w, size_t i) {
  return i < w->n ? w->order[i] : w->n;
}

size_t ck_st_writer_next(const ck_st_writer *w) {
  return w->cur < w->n ? w->order[w->cur] : w->n;
}

uint64_t ck_st_writer_data_len(const ck_st_writer *w) { return w->data_len; }
uint64_t ck_st_writer_header_len(const ck_st_writer *w) {
  return w->header_len;
}

int ck_st_writer_begin(ck_st_writer *w, const char *name, ck_error *err) {
  size_t lo = 0, hi = w->n, found = w->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(name, w->names[w->by_name[mid]]);
    if (c == 0) {
      found = w->by_name[mid];
      break;
    }
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  if (found == w->n)
    return ck_st_tensor_fail(err, w->path, name, "not in the planned tensors");
  size_t p = w->pos_of[found];
  if (w->begins[p] != w->written) {
    const char *next = w->cur < w->n ? w->names[w->order[w->cur]] : NULL;
    return ck_st_tensor_fail(err, w->path, name,
                       "sent out of order: its data starts at offset %" PRIu64
                       " but %" PRIu64 " bytes are written; next expected "
                       "%s%.*s%s",
                       w->begins[p], w->written, next ? "tensor '" : "",
                       NAME_SHOWN, next ? next : "no more tensors",
                       next ? "'" : "");
  }
  return 0;
}

int ck_st_writer_write(ck_st_writer *w, const void *bytes, size_t len,
                       ck_error *err) {
  if (len == 0) return 0;
  if (w->cur >= w->n)
    return ck_fail_at(err, STAGE, (ck_about){.file = w->path},
                      "%s: %zu bytes written after all %" PRIu64 " bytes of "
                      "tensor data",
                      w->path, len, w->data_len);
  uint64_t left = w->ends[w->cur] - w->written;
  if (len > left)
    return ck_st_tensor_fail(err, w->path, w->names[w->order[w->cur]],
                       "chunk of %zu bytes but only %" PRIu64 " of its %"
                       PRIu64 " bytes remain; a chunk may not cross into "
                       "the next tensor",
                       len, left, w->ends[w->cur] - w->begins[w->cur]);
  if (put(w, bytes, len, err)) return -1;
  w->written += len;
  while (w->cur < w->n && w->ends[w->cur] <= w->written) w->cur++;
  return 0;
}

/* fsync the directory holding path so that the rename is durable; best
 * effort (some filesystems refuse directory fsync). */
static void sync_dir(const char *path) {
  char *dir = strdup(path);
  if (!dir) return;
  char *slash = strrchr(dir, '/');
  const char *d = ".";
  if (slash) {
    slash[slash == dir ? 1 : 0] = '\0';
    d = dir;
  }
  int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(dir);
}

int ck_st_writer_close(ck_st_writer *w, ck_error *err) {
  if (w->written != w->data_len) {
    size_t p = w->cur;
    ck_st_tensor_fail(err, w->path, w->names[w->order[p]],
                "incomplete: %" PRIu64 " of %" PRIu64 " bytes written "
                "(%" PRIu64 " of %" PRIu64 " bytes of tensor data in all)",
                w->written - w->begins[p], w->ends[p] - w->begins[p],
                w->written, w->data_len);
    goto fail;
  }
  if (flush_buf(w, err)) goto fail;
  if (fsync(w->fd) != 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = w->tmp_path},
               "%s: fsync failed: %s", w->tmp_path, strerror(errno));
    goto fail;
  }
  int fd = w->fd;
  w->fd = -1;
  if (close(fd) != 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = w->tmp_path},
               "%s: close failed: %s", w->tmp_path, strerror(errno));
    goto fail;
  }
  if (rename(w->tmp_path, w->path) != 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = w->path},
               "%s: cannot rename %s into place: %s", w->path, w->tmp_path,
               strerror(errno));
    goto fail;
  }
  sync_dir(w->path);
  writer_free(w);
  return 0;
fail:
  ck_st_writer_abort(w);
  return -1;
}

int ck_st_writer_layout(ck_st_writer *w, ck_error *err) {
  if (w->written != 0)
    return ck_fail_at(err, STAGE, (ck_about){.file = w->path},
                      "%s: layout after data was appended", w->path);
  if (flush_buf(w, err)) return -1;
  off_t size = (off_t)(8 + w->header_len + w->data_len);
  /* reserve the blocks now, so a full disk is found before any tensor
   * is converted; file systems without fallocate just get the size */
  if (w->data_len && fallocate(w->fd, 0, 0, size) != 0 &&
      errno != EOPNOTSUPP && errno != ENOSYS)
    return write_failed(w, err);
  if (ftruncate(w->fd, size) != 0) return write_failed(w, err);
  w->written = w->data_len;
  w->cur = w->n;
  return 0;
}

int ck_st_writer_fd(const ck_st_writer *w) { return w->fd; }

uint64_t ck_st_writer_offset(const ck_st_writer *w, size_t entry) {
  return 8 + w->header_len + w->begins[w->pos_of[entry]];
}

const char *ck_st_writer_tmp_path(const ck_st_writer *w) {
  return w->tmp_path;
}

void ck_st_writer_abort(ck_st_writer *w) {
  if (!w) return;
  if (w->fd >= 0) {
    close(w->fd);
    w->fd = -1;
  }
  if (w->created) unlink(w->tmp_path);
  writer_free(w);
}
