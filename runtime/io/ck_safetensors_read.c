/* ck_safetensors_read.c - the safetensors reader: validate a file's
 * header completely (offsets tile the data, dtypes, shapes, names), then
 * mmap it.  Every input checkpoint file goes through ck_st_open before any
 * tensor is read. */
#include "ck_safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_fault.h"
#include "ck_json_out.h"
#include "ck_st_common.h"

/* Fail with "PATH: tensor 'NAME': MESSAGE". */
int ck_st_tensor_fail(ck_error *err, const char *path, const char *name,
                      const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ck_fail_at(err, STAGE, (ck_about){.file = path, .tensor = name},
                    "%s: tensor '%.*s%s': %s", path, NAME_SHOWN, name,
                    strlen(name) > NAME_SHOWN ? "..." : "", msg);
}

struct ck_st_file {
  char *path;
  void *map;           /* whole file, PROT_READ; NULL when header-only */
  size_t map_len;
  uint64_t file_size;
  uint64_t header_len; /* N */
  uint64_t data_len;   /* end of the last tensor */
  int truncated;
  int views;           /* built by ck_st_from_views: no header */
  size_t n;
  ck_st_tensor *tensors; /* data order */
  size_t *by_name;       /* indices into tensors, sorted by name */
  uint64_t *shapes;      /* all shapes, back to back */
  char *strings;         /* names and metadata, NUL-terminated */
  size_t n_meta;
  const char **meta;     /* key0, value0, key1, value1, ... */
};

static const char *json_type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "object";
  case JSON_ARRAY: return "array";
  case JSON_STRING: return "string";
  case JSON_INTEGER: return "integer";
  case JSON_REAL: return "real number";
  case JSON_TRUE: return "true";
  case JSON_FALSE: return "false";
  case JSON_NULL: return "null";
  }
  return "value";
}

/* Describe a JSON scalar for a message: `-1`, `1.5`, `"x"`, or its type
 * (a real as Python writes it, so that 16.0 does not read as 16). */
static void json_describe(const json_t *v, char *buf, size_t size) {
  if (json_is_integer(v))
    snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else if (json_is_real(v))
    ck_json_format_double(json_real_value(v), buf, size); /* 16.0, 1e+20 */
  else if (json_is_string(v))
    snprintf(buf, size, "\"%.40s\"", json_string_value(v));
  else
    snprintf(buf, size, "a JSON %s", json_type_name(v));
}

/* Render a shape as "[2, 3]"; 400 bytes hold any shape of rank <= 16. */
static void shape_str(const uint64_t *shape, size_t ndim, char *buf,
                      size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  used += (size_t)snprintf(buf, size, "[");
  for (size_t i = 0; i < ndim && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%" PRIu64,
                             i ? ", " : "", shape[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
}

/* Reject deeply nested JSON before handing it to the parser, which
 * recurses per level; a valid header needs only three levels. */
static int check_depth(const char *path, const char *h, size_t len,
                       ck_error *err) {
  int depth = 0, in_str = 0;
  for (size_t i = 0; i < len; i++) {
    char c = h[i];
    if (in_str) {
      if (c == '\\') i++;
      else if (c == '"') in_str = 0;
    } else if (c == '"') {
      in_str = 1;
    } else if (c == '{' || c == '[') {
      if (++depth > CK_ST_MAX_DEPTH)
        return ck_fail_at(err, STAGE, (ck_about){.file = path},
                          "%s: header JSON nests deeper than %d levels "
                          "(at header byte %zu); expected an object of "
                          "tensor entries",
                          path, CK_ST_MAX_DEPTH, i);
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  return 0;
}

/* Read a non-negative JSON integer; -1 if it is anything else. */
static int get_u64(const json_t *v, uint64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0) return -1;
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

/* Validate one tensor entry and fill t (name and shape pointers set by
 * the caller).  `shape` receives up to CK_ST_MAX_RANK dims. */
static int parse_tensor(const char *path, const char *name, json_t *v,
                        ck_st_tensor *t, uint64_t *shape, ck_error *err) {
  char what[96], sbuf[400];
  if (!json_is_object(v))
    return ck_st_tensor_fail(err, path, name,
                       "entry is a JSON %s, expected an object with "
                       "dtype, shape and data_offsets",
                       json_type_name(v));
  json_t *jd = json_object_get(v, "dtype");
  json_t *js = json_object_get(v, "shape");
  json_t *jo = json_object_get(v, "data_offsets");
  if (!jd || !js || !jo)
    return ck_st_tensor_fail(err, path, name, "missing \"%s\"",
                       !jd ? "dtype" : !js ? "shape" : "data_offsets");
  if (!json_is_string(jd))
    return ck_st_tensor_fail(err, path, name,
                       "\"dtype\" is a JSON %s, expected a string such as "
                       "\"F32\"",
                       json_type_name(jd));
  t->dtype = ck_dtype_from_name(json_string_value(jd));
  if (t->dtype == CK_DT_INVALID)
    return ck_st_tensor_fail(err, path, name,
                       "unknown dtype \"%.40s\" (expected one of %s)",
                       json_string_value(jd), ck_dtype_all_names());

  if (!json_is_array(js))
    return ck_st_tensor_fail(err, path, name,
                       "\"shape\" is a JSON %s, expected an array of "
                       "non-negative integers",
                       json_type_name(js));
  size_t ndim = json_array_size(js);
  if (ndim > CK_ST_MAX_RANK)
    return ck_st_tensor_fail(err, path, name,
                       "shape has %zu dimensions, more than the cap of %d",
                       ndim, CK_ST_MAX_RANK);
  uint64_t numel = 1;
  int overflow = 0;
  for (size_t i = 0; i < ndim; i++) {
    json_t *d = json_array_get(js, i);
    if (get_u64(d, &shape[i]) != 0) {
      json_describe(d, what, sizeof what);
      return ck_st_tensor_fail(err, path, name,
                         "shape[%zu] is %s, expected a non-negative integer",
                         i, what);
    }
    /* Left fold with overflow check, as the reference library does. */
    if (!overflow && __builtin_mul_overflow(numel, shape[i], &numel))
      overflow = 1;
  }
  shape_str(shape, ndim, sbuf, sizeof sbuf);
  if (overflow)
    return ck_st_tensor_fail(err, path, name,
                       "shape %s has more than 2^64 elements", sbuf);
  size_t esize = ck_dtype_size(t->dtype);
  uint64_t nbytes;
  if (__builtin_mul_overflow(numel, (uint64_t)esize, &nbytes))
    return ck_st_tensor_fail(err, path, name,
                       "dtype %s x shape %s is more than 2^64 bytes",
                       ck_dtype_name(t->dtype), sbuf);

  if (!json_is_array(jo) || json_array_size(jo) != 2)
    return ck_st_tensor_fail(err, path, name,
                       "\"data_offsets\" is %s%s, expected an array [begin, "
                       "end]",
                       json_is_array(jo) ? "" : "a JSON ",
                       json_is_array(jo) ? "an array of the wrong length"
                                         : json_type_name(jo));
  uint64_t off[2];
  for (size_t i = 0; i < 2; i++) {
    json_t *o = json_array_get(jo, i);
    if (get_u64(o, &off[i]) != 0) {
      json_describe(o, what, sizeof what);
      return ck_st_tensor_fail(err, path, name,
                         "data_offsets[%zu] is %s, expected a non-negative "
                         "integer",
                         i, what);
    }
  }
  if (off[0] > off[1])
    return ck_st_tensor_fail(err, path, name,
                       "data_offsets [%" PRIu64 ", %" PRIu64
                       "] end before they begin",
                       off[0], off[1]);
  if (off[1] - off[0] != nbytes)
    return ck_st_tensor_fail(err, path, name,
                       "data_offsets [%" PRIu64 ", %" PRIu64 "] but dtype %s "
                       "x shape %s needs %" PRIu64 " bytes",
                       off[0], off[1], ck_dtype_name(t->dtype), sbuf, nbytes);
  t->ndim = (int)ndim;
  t->numel = numel;
  t->nbytes = nbytes;
  t->begin = off[0];
  t->end = off[1];
  return 0;
}

static int cmp_offsets(const void *a, const void *b) {
  const ck_st_tensor *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int cmp_by_name(const void *a, const void *b, void *base) {
  const ck_st_tensor *t = base;
  return strcmp(t[*(const size_t *)a].name, t[*(const size_t *)b].name);
}

/* Check that the tensors (sorted by offsets) tile [0, data_len) with no
 * overlap and no gap, as the reference library requires. */
static int check_tiling(const char *path, const ck_st_file *f,
                        ck_error *err) {
  uint64_t expect = 0;
  for (size_t i = 0; i < f->n; i++) {
    const ck_st_tensor *t = &f->tensors[i], *p = i ? t - 1 : NULL;
    if (t->begin < expect)
      return ck_st_tensor_fail(err, path, t->name,
                         "data_offsets [%" PRIu64 ", %" PRIu64 "] overlap "
                         "tensor '%.*s' at [%" PRIu64 ", %" PRIu64 "]",
                         t->begin, t->end, NAME_SHOWN, p->name, p->begin,
                         p->end);
    if (t->begin > expect) {
      if (p)
        return ck_st_tensor_fail(err, path, t->name,
                           "data_offsets [%" PRIu64 ", %" PRIu64 "] leave a "
                           "gap of %" PRIu64 " bytes after tensor '%.*s' "
                           "ending at %" PRIu64 "; tensors must tile the "
                           "data section",
                           t->begin, t->end, t->begin - expect, NAME_SHOWN,
                           p->name, p->end);
      return ck_st_tensor_fail(err, path, t->name,
                         "data_offsets [%" PRIu64 ", %" PRIu64 "] leave a "
                         "gap of %" PRIu64 " bytes at the start of the data "
                         "section; tensors must tile the data section",
                         t->begin, t->end, t->begin);
    }
    expect = t->end;
  }
  return 0;
}

/* Parse and validate the header text; fills f->tensors (data order),
 * f->meta, f->data_len.  f->truncated is set instead of failing when the
 * data runs past the file and header_only is set. */
static int parse_header(ck_st_file *f, const char *h, int header_only,
                        ck_error *err) {
  const char *path = f->path;
  if (check_depth(path, h, (size_t)f->header_len, err)) return -1;
  json_error_t jerr;
  json_t *root = json_loadb(h, (size_t)f->header_len, JSON_REJECT_DUPLICATES,
                            &jerr);
  if (!root) {
    if (json_error_code(&jerr) == json_error_duplicate_key)
      return ck_fail_at(err, STAGE, (ck_about){.file = path},
                        "%s: header lists a name twice (%s, line %d, column "
                        "%d); tensor names must be unique",
                        path, jerr.text, jerr.line, jerr.column);
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: header is not valid JSON: %s (line %d, column %d)",
                      path, jerr.text, jerr.line, jerr.column);
  }
  int rc = -1;
  if (!json_is_object(root)) {
    ck_fail_at(err, STAGE, (ck_about){.file = path},
               "%s: header is a JSON %s, expected an object of tensor entries",
               path, json_type_name(root));
    goto out;
  }

  /* Pass 1: count and size everything, check __metadata__. */
  json_t *meta = json_object_get(root, "__metadata__");
  if (meta && json_is_null(meta)) meta = NULL;
  if (meta && !json_is_object(meta)) {
    ck_fail_at(err, STAGE, (ck_about){.file = path},
               "%s: __metadata__ is a JSON %s, expected an object of strings",
               path, json_type_name(meta));
    goto out;
  }
  size_t n = json_object_size(root) -
             (json_object_get(root, "__metadata__") ? 1 : 0);
  if (n > CK_ST_MAX_TENSORS) {
    ck_fail_at(err, STAGE, (ck_about){.file = path},
               "%s: header lists %zu tensors, more than the cap of %u", path, n,
               CK_ST_MAX_TENSORS);
    goto out;
  }
  size_t strbytes = 0, ndims = 0;
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    if (strcmp(key, "__metadata__") == 0) continue;
    strbytes += strlen(key) + 1;
    if (json_is_object(v)) {
      json_t *s = json_object_get(v, "shape");
      if (json_is_array(s) && json_array_size(s) <= CK_ST_MAX_RANK)
        ndims += json_array_size(s);
    }
  }
  if (meta) {
    json_object_foreach(meta, key, v) {
      if (!json_is_string(v)) {
        char what[96];
        json_describe(v, what, sizeof what);
        ck_fail_at(err, STAGE, (ck_about){.file = path, .key = key},
                   "%s: __metadata__ key '%.*s': value is %s, expected a "
                   "string (metadata must map strings to strings)",
                   path, NAME_SHOWN, key, what);
        goto out;
      }
      strbytes += strlen(key) + 1 + strlen(json_string_value(v)) + 1;
    }
    f->n_meta = json_object_size(meta);
  }

  f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
  f->by_name = calloc(n ? n : 1, sizeof *f->by_name);
  f->shapes = calloc(ndims ? ndims : 1, sizeof *f->shapes);
  f->strings = malloc(strbytes ? strbytes : 1);
  f->meta = calloc(f->n_meta ? 2 * f->n_meta : 1, sizeof *f->meta);
  if (!f->tensors || !f->by_name || !f->shapes || !f->strings || !f->meta) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: out of memory for a header of %zu tensors", path, n);
    goto out;
  }

  /* Pass 2: validate each tensor in header order, copy out. */
  char *sp = f->strings;
  uint64_t *shp = f->shapes;
  size_t k = 0;
  json_object_foreach(root, key, v) {
    if (strcmp(key, "__metadata__") == 0) continue;
    uint64_t shape[CK_ST_MAX_RANK];
    ck_st_tensor *t = &f->tensors[k];
    if (parse_tensor(path, key, v, t, shape, err)) goto out;
    size_t len = strlen(key) + 1;
    memcpy(sp, key, len);
    t->name = sp;
    sp += len;
    memcpy(shp, shape, (size_t)t->ndim * sizeof *shp);
    t->shape = shp;
    shp += t->ndim;
    k++;
  }
  f->n = k;
  if (meta) {
    size_t m = 0;
    json_object_foreach(meta, key, v) {
      const char *val = json_string_value(v);
      size_t kl = strlen(key) + 1, vl = strlen(val) + 1;
      memcpy(sp, key, kl);
      f->meta[2 * m] = sp;
      sp += kl;
      memcpy(sp, val, vl);
      f->meta[2 * m + 1] = sp;
      sp += vl;
      m++;
    }
  }

  if (f->n) qsort(f->tensors, f->n, sizeof *f->tensors, cmp_offsets);
  if (check_tiling(path, f, err)) goto out;
  f->data_len = f->n ? f->tensors[f->n - 1].end : 0;

  uint64_t avail = f->file_size - 8 - f->header_len;
  if (f->data_len > avail) {
    if (!header_only) {
      size_t i = 0;
      while (f->tensors[i].end <= avail) i++;
      const ck_st_tensor *t = &f->tensors[i];
      ck_st_tensor_fail(err, path, t->name,
                  "data_offsets [%" PRIu64 ", %" PRIu64 "] run past the end "
                  "of the data section, which has %" PRIu64 " bytes (file "
                  "of %" PRIu64 " bytes, truncated?)",
                  t->begin, t->end, avail, f->file_size);
      goto out;
    }
    f->truncated = 1;
  } else if (f->data_len < avail) {
    if (f->n)
      ck_fail_at(err, STAGE,
                 (ck_about){.file = path, .tensor = f->tensors[f->n - 1].name},
                 "%s: %" PRIu64 " stray bytes after the last tensor's data "
                 "(tensor '%.*s' ends at %" PRIu64 " of a %" PRIu64
                 "-byte data section); tensors must tile the data section",
                 path, avail - f->data_len, NAME_SHOWN,
                 f->tensors[f->n - 1].name, f->data_len, avail);
    else
      ck_fail_at(err, STAGE, (ck_about){.file = path},
                 "%s: %" PRIu64 " stray bytes after the header of a file with "
                 "no tensors; expected the file to end there",
                 path, avail);
    goto out;
  }

  for (size_t i = 0; i < f->n; i++) {
    f->tensors[i].file_offset = 8 + f->header_len + f->tensors[i].begin;
    f->by_name[i] = i;
  }
  if (f->n)
    qsort_r(f->by_name, f->n, sizeof *f->by_name, cmp_by_name, f->tensors);
  rc = 0;
out:
  json_decref(root);
  return rc;
}

static int read_full(int fd, void *buf, size_t len, uint64_t off) {
  unsigned char *p = buf;
  while (len) {
    ssize_t r = pread(fd, p, len, (off_t)off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) {
      errno = EIO; /* file shrank under us */
      return -1;
    }
    p += r;
    off += (uint64_t)r;
    len -= (size_t)r;
  }
  return 0;
}

static int check_short(const ck_st_file *f, ck_error *err) {
  if (f->file_size < 8)
    return ck_fail_at(err, STAGE, (ck_about){.file = f->path},
                      "%s: file is %" PRIu64 " bytes, too short for the 8-byte "
                      "header length",
                      f->path, f->file_size);
  return 0;
}

/* The little-endian header length N, against the cap (checked first: N
 * is attacker-controlled and sizes an allocation) and the file size. */
static int check_header_len(ck_st_file *f, const unsigned char *lenbuf,
                            ck_error *err) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | lenbuf[i];
  f->header_len = n;
  if (n > CK_ST_HEADER_MAX)
    return ck_fail_at(err, STAGE, (ck_about){.file = f->path},
                      "%s: header length %" PRIu64 " exceeds the cap of %u "
                      "bytes",
                      f->path, n, CK_ST_HEADER_MAX);
  if (n > f->file_size - 8)
    return ck_fail_at(err, STAGE, (ck_about){.file = f->path},
                      "%s: header length %" PRIu64
                      " but the file has only %" PRIu64
                      " bytes after the 8-byte length",
                      f->path, n, f->file_size - 8);
  return 0;
}

static void set_data(ck_st_file *f, const unsigned char *base) {
  const unsigned char *data = base + 8 + f->header_len;
  for (size_t i = 0; i < f->n; i++)
    f->tensors[i].data = data + f->tensors[i].begin;
}

static ck_st_file *open_impl(const char *path, int header_only,
                             ck_error *err) {
  ck_st_file *f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(path))) {
    free(f);
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path}, "%s: out of memory",
               path);
    return NULL;
  }
  char *hbuf = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: cannot open: %s", path, strerror(errno));
    goto fail;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: cannot stat: %s", path, strerror(errno));
    goto fail;
  }
  if (!S_ISREG(st.st_mode)) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: not a regular file", path);
    goto fail;
  }
  f->file_size = (uint64_t)st.st_size;
  if (check_short(f, err)) goto fail;
  unsigned char lenbuf[8];
  if (read_full(fd, lenbuf, 8, 0) != 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: cannot read: %s", path, strerror(errno));
    goto fail;
  }
  if (check_header_len(f, lenbuf, err)) goto fail;
  uint64_t n = f->header_len;
  const char *h;
  if (header_only) {
    hbuf = malloc(n ? (size_t)n : 1);
    if (!hbuf) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                 "%s: out of memory for a %" PRIu64 "-byte header", path, n);
      goto fail;
    }
    if (read_full(fd, hbuf, (size_t)n, 8) != 0) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                 "%s: cannot read header: %s", path, strerror(errno));
      goto fail;
    }
    h = hbuf;
  } else {
    if (f->file_size > SIZE_MAX) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                 "%s: file too large to map", path);
      goto fail;
    }
    f->map_len = (size_t)f->file_size;
    f->map = mmap(NULL, f->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (f->map == MAP_FAILED) {
      f->map = NULL;
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                 "%s: cannot mmap %" PRIu64 " bytes: %s", path, f->file_size,
                 strerror(errno));
      goto fail;
    }
    h = (const char *)f->map + 8;
  }
  close(fd);
  fd = -1;
  if (parse_header(f, h, header_only, err) != 0) goto fail;
  free(hbuf);
  if (f->map) set_data(f, f->map);
  return f;
fail:
  if (fd >= 0) close(fd);
  free(hbuf);
  ck_st_close(f);
  return NULL;
}

ck_st_file *ck_st_open(const char *path, ck_error *err) {
  return open_impl(path, 0, err);
}

ck_st_file *ck_st_open_header_only(const char *path, ck_error *err) {
  return open_impl(path, 1, err);
}

ck_st_file *ck_st_parse_buffer(const void *bytes, size_t len,
                               const char *name, ck_error *err) {
  ck_st_file *f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(name ? name : "<buffer>"))) {
    free(f);
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = name ? name : "<buffer>"},
               "%s: out of memory", name ? name : "<buffer>");
    return NULL;
  }
  f->file_size = len;
  if (check_short(f, err) || check_header_len(f, bytes, err) ||
      parse_header(f, (const char *)bytes + 8, 0, err)) {
    ck_st_close(f);
    return NULL;
  }
  set_data(f, bytes);
  return f;
}

static int cmp_views(const void *a, const void *b) {
  const ck_st_tensor *x = a, *y = b;
  if (x->file_offset != y->file_offset)
    return x->file_offset < y->file_offset ? -1 : 1;
  return strcmp(x->name, y->name);
}

ck_st_file *ck_st_from_views(const char *path, uint64_t file_size,
                             const ck_st_view *views, size_t n,
                             const void *base, void *map, size_t map_len,
                             ck_error *err) {
  ck_st_file *f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(path))) {
    free(f);
    if (map) munmap(map, map_len);
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: out of memory", path);
    return NULL;
  }
  f->map = map;
  f->map_len = map_len;
  f->file_size = file_size;
  f->views = 1;
  size_t strbytes = 0, ndims = 0;
  for (size_t i = 0; i < n; i++) {
    if (views[i].ndim < 0 || views[i].ndim > CK_ST_MAX_RANK) {
      ck_st_tensor_fail(err, path, views[i].name,
                        "shape has %d dimensions, more than the cap of %d",
                        views[i].ndim, CK_ST_MAX_RANK);
      goto fail;
    }
    strbytes += strlen(views[i].name) + 1;
    ndims += (size_t)views[i].ndim;
  }
  f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
  f->by_name = calloc(n ? n : 1, sizeof *f->by_name);
  f->shapes = calloc(ndims ? ndims : 1, sizeof *f->shapes);
  f->strings = malloc(strbytes ? strbytes : 1);
  f->meta = calloc(1, sizeof *f->meta);
  if (!f->tensors || !f->by_name || !f->shapes || !f->strings || !f->meta) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: out of memory for %zu tensors", path, n);
    goto fail;
  }
  char *sp = f->strings;
  uint64_t *shp = f->shapes;
  for (size_t i = 0; i < n; i++) {
    const ck_st_view *v = &views[i];
    ck_st_tensor *t = &f->tensors[i];
    size_t len = strlen(v->name) + 1;
    memcpy(sp, v->name, len);
    t->name = sp;
    sp += len;
    if (v->ndim) memcpy(shp, v->shape, (size_t)v->ndim * sizeof *shp);
    t->shape = shp;
    t->ndim = v->ndim;
    shp += v->ndim;
    t->dtype = v->dtype;
    if (ck_dtype_size(v->dtype) == 0) {
      ck_st_tensor_fail(err, path, v->name, "invalid dtype");
      goto fail;
    }
    uint64_t numel = 1;
    for (int d = 0; d < v->ndim; d++)
      if (__builtin_mul_overflow(numel, v->shape[d], &numel)) {
        ck_st_tensor_fail(err, path, v->name,
                          "shape has more than 2^64 elements");
        goto fail;
      }
    t->numel = numel;
    if (__builtin_mul_overflow(numel, (uint64_t)ck_dtype_size(v->dtype),
                               &t->nbytes) ||
        t->nbytes > file_size || v->file_offset > file_size - t->nbytes) {
      ck_st_tensor_fail(err, path, v->name,
                        "%" PRIu64 " elements of %s at byte %" PRIu64
                        " run past the end of the file (%" PRIu64 " bytes)",
                        numel, ck_dtype_name(v->dtype), v->file_offset,
                        file_size);
      goto fail;
    }
    t->file_offset = t->begin = v->file_offset;
    t->end = v->file_offset + t->nbytes;
    if (t->end > f->data_len) f->data_len = t->end;
  }
  f->n = n;
  if (n) qsort(f->tensors, n, sizeof *f->tensors, cmp_views);
  for (size_t i = 0; i < n; i++) {
    f->by_name[i] = i;
    if (base) f->tensors[i].data = (const unsigned char *)base +
                                   f->tensors[i].file_offset;
  }
  if (n) qsort_r(f->by_name, n, sizeof *f->by_name, cmp_by_name, f->tensors);
  for (size_t i = 1; i < n; i++) {
    const char *a = f->tensors[f->by_name[i]].name;
    if (strcmp(a, f->tensors[f->by_name[i - 1]].name) == 0) {
      ck_st_tensor_fail(err, path, a, "listed twice; tensor names must be "
                        "unique");
      goto fail;
    }
  }
  return f;
fail:
  ck_st_close(f);
  return NULL;
}

void ck_st_close(ck_st_file *f) {
  if (!f) return;
  if (f->map) munmap(f->map, f->map_len);
  free(f->tensors);
  free(f->by_name);
  free(f->shapes);
  free(f->strings);
  free(f->meta);
  free(f->path);
  free(f);
}

const char *ck_st_path(const ck_st_file *f) { return f->path; }
uint64_t ck_st_file_size(const ck_st_file *f) { return f->file_size; }
uint64_t ck_st_header_len(const ck_st_file *f) { return f->header_len; }
uint64_t ck_st_data_offset(const ck_st_file *f) {
  return f->views ? 0 : 8 + f->header_len;
}
uint64_t ck_st_data_len(const ck_st_file *f) { return f->data_len; }
int ck_st_truncated(const ck_st_file *f) { return f->truncated; }
size_t ck_st_count(const ck_st_file *f) { return f->n; }

const ck_st_tensor *ck_st_tensor_at(const ck_st_file *f, size_t i) {
  return i < f->n ? &f->tensors[i] : NULL;
}

const ck_st_tensor *ck_st_find(const ck_st_file *f, const char *name) {
  size_t lo = 0, hi = f->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const ck_st_tensor *t = &f->tensors[f->by_name[mid]];
    int c = strcmp(name, t->name);
    if (c == 0) return t;
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  return NULL;
}

const char *ck_st_meta_get(const ck_st_file *f, const char *key) {
  for (size_t i = 0; i < f->n_meta; i++)
    if (strcmp(f->meta[2 * i], key) == 0) return f->meta[2 * i + 1];
  return NULL;
}

size_t ck_st_meta_count(const ck_st_file *f) { return f->n_meta; }

void ck_st_meta_at(const ck_st_file *f, size_t i, const char **key,
                   const char **value) {
  if (i >= f->n_meta) {
    if (key) *key = NULL;
    if (value) *value = NULL;
    return;
  }
  if (key) *key = f->meta[2 * i];
  if (value) *value = f->meta[2 * i + 1];
}
