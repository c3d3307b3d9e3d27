/* ck_torchbin.c - pytorch_model.bin (torch.save zip archive) reader.
 *
 * torch.save (torch >= 1.6) writes PREFIX/data.pkl (the state dict,
 * pickled), PREFIX/data/KEY (each storage's raw bytes, stored without
 * compression, little-endian) and small entries (version, byteorder).
 * libzip validates the archive and reads the small entries; the data
 * offsets, which libzip does not expose, come from our own reading of
 * the central directory and local headers, cross-checked against libzip.
 * The result is a ck_st_file of views into the mapped file, so nothing
 * downstream knows the input was not safetensors. */
#include "ck_torchbin.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "ck_pickle.h"

#define STAGE CK_STAGE_CHECKPOINT
#define NAME_SHOWN 200

/* One central directory entry, as we read it ourselves. */
typedef struct {
  const unsigned char *name;
  size_t nlen;
  unsigned method, flags;
  uint32_t crc;
  uint64_t csize, usize, off; /* off: its local header */
  uint64_t data;              /* its data, after the local header */
} cd_entry;

typedef struct {
  const char *path;
  const unsigned char *b;
  size_t len;
  ck_error *err;
  cd_entry *e;
  size_t n;
  uint64_t cd_start; /* entry data must end before the directory */
  size_t *sorted;    /* entry indices by name */
  zip_t *za;
  const unsigned char *prefix;
  size_t plen;
} archive;

__attribute__((format(printf, 2, 3))) static int fail(archive *a,
                                                      const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ck_fail_at(a->err, STAGE, (ck_about){.file = a->path}, "%s: %s",
                    a->path, msg);
}

__attribute__((format(printf, 3, 4))) static int
tensor_fail(archive *a, const char *name, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ck_fail_at(a->err, STAGE, (ck_about){.file = a->path, .tensor = name},
                    "%s: tensor '%.*s%s': %s", a->path, NAME_SHOWN, name,
                    strlen(name) > NAME_SHOWN ? "..." : "", msg);
}

static uint64_t rd(const unsigned char *p, int n) {
  uint64_t x = 0;
  for (int i = n - 1; i >= 0; i--) x = (x << 8) | p[i];
  return x;
}

/* ---------------------------------------------------------- directory */

/* The end of central directory record (and its ZIP64 form when a field
 * overflows): where the directory is and how many entries it has. */
static int find_directory(archive *a, uint64_t *cd_off, uint64_t *cd_size,
                          uint64_t *count) {
  const unsigned char *b = a->b;
  size_t len = a->len, eocd = SIZE_MAX;
  if (len < 22) return fail(a, "too short for a zip archive");
  size_t lo = len - 22 > 0xffff ? len - 22 - 0xffff : 0;
  for (size_t p = len - 22 + 1; p-- > lo;)
    if (rd(b + p, 4) == 0x06054b50 && p + 22 + rd(b + p + 20, 2) == len) {
      eocd = p;
      break;
    }
  if (eocd == SIZE_MAX)
    return fail(a, "no zip end of central directory record; the archive "
                "is truncated or damaged");
  *count = rd(b + eocd + 10, 2);
  *cd_size = rd(b + eocd + 12, 4);
  *cd_off = rd(b + eocd + 16, 4);
  uint64_t end = eocd;
  if (*count == 0xffff || *cd_size == 0xffffffff || *cd_off == 0xffffffff) {
    if (eocd < 20 || rd(b + eocd - 20, 4) != 0x07064b50)
      return fail(a, "zip directory fields overflow but there is no ZIP64 "
                  "locator");
    uint64_t z = rd(b + eocd - 20 + 8, 8);
    if (z > eocd - 20 || eocd - 20 - z < 56 || rd(b + z, 4) != 0x06064b50)
      return fail(a, "ZIP64 end of central directory record not found "
                  "where its locator says (byte %" PRIu64 ")",
                  z);
    *count = rd(b + z + 32, 8);
    *cd_size = rd(b + z + 40, 8);
    *cd_off = rd(b + z + 48, 8);
    end = z;
  }
  if (*cd_off > end || *cd_size > end - *cd_off)
    return fail(a, "zip central directory (%" PRIu64 " bytes at byte %" PRIu64
                ") runs past its end record",
                *cd_size, *cd_off);
  if (*count > *cd_size / 46)
    return fail(a, "zip directory claims %" PRIu64 " entries in %" PRIu64
                " bytes",
                *count, *cd_size);
  return 0;
}

/* Sizes and offset from a ZIP64 extended information extra field: only
 * the fields whose 32-bit value is 0xffffffff are present, in order. */
static int zip64_extra(archive *a, const unsigned char *x, size_t xl,
                       cd_entry *e) {
  while (xl >= 4) {
    unsigned id = (unsigned)rd(x, 2);
    size_t sz = (size_t)rd(x + 2, 2);
    if (sz > xl - 4) break;
    if (id == 1) {
      size_t k = 0;
      uint64_t *f[3] = {&e->usize, &e->csize, &e->off};
      for (int i = 0; i < 3; i++)
        if (*f[i] == 0xffffffff) {
          if (k + 8 > sz)
            return fail(a, "zip entry '%.*s': ZIP64 extra field too short",
                        (int)(e->nlen > 200 ? 200 : e->nlen), e->name);
          *f[i] = rd(x + 4 + k, 8);
          k += 8;
        }
      return 0;
    }
    x += 4 + sz;
    xl -= 4 + sz;
  }
  if (e->usize == 0xffffffff || e->csize == 0xffffffff || e->off == 0xffffffff)
    return fail(a, "zip entry '%.*s': sizes overflow but there is no ZIP64 "
                "extra field",
                (int)(e->nlen > 200 ? 200 : e->nlen), e->name);
  return 0;
}

static int cmp_names(const void *x, const void *y, void *ctx) {
  const cd_entry *e = ctx;
  const cd_entry *p = &e[*(const size_t *)x], *q = &e[*(const size_t *)y];
  size_t n = p->nlen < q->nlen ? p->nlen : q->nlen;
  int c = memcmp(p->name, q->name, n);
  if (c) return c;
  return p->nlen < q->nlen ? -1 : p->nlen > q->nlen;
}

static int read_directory(archive *a) {
  uint64_t off = 0, size = 0, count = 0;
  if (find_directory(a, &off, &size, &count)) return -1;
  a->cd_start = off;
  a->e = calloc(count ? (size_t)count : 1, sizeof *a->e);
  a->sorted = calloc(count ? (size_t)count : 1, sizeof *a->sorted);
  if (!a->e || !a->sorted) return fail(a, "out of memory");
  const unsigned char *b = a->b;
  uint64_t p = off, end = off + size;
  for (size_t i = 0; i < count; i++) {
    if (end - p < 46 || rd(b + p, 4) != 0x02014b50)
      return fail(a, "zip central directory entry %zu (byte %" PRIu64
                  ") is damaged",
                  i, p);
    cd_entry *e = &a->e[i];
    size_t nl = (size_t)rd(b + p + 28, 2), xl = (size_t)rd(b + p + 30, 2),
           cl = (size_t)rd(b + p + 32, 2);
    if (end - p - 46 < nl + xl + cl)
      return fail(a, "zip central directory entry %zu runs past the "
                  "directory",
                  i);
    e->flags = (unsigned)rd(b + p + 8, 2);
    e->method = (unsigned)rd(b + p + 10, 2);
    e->crc = (uint32_t)rd(b + p + 16, 4);
    e->csize = rd(b + p + 20, 4);
    e->usize = rd(b + p + 24, 4);
    e->off = rd(b + p + 42, 4);
    e->name = b + p + 46;
    e->nlen = nl;
    if (zip64_extra(a, b + p + 46 + nl, xl, e)) return -1;
    a->sorted[i] = i;
    p += 46 + nl + xl + cl;
  }
  a->n = (size_t)count;
  if (a->n) qsort_r(a->sorted, a->n, sizeof *a->sorted, cmp_names, a->e);
  for (size_t i = 1; i < a->n; i++)
    if (cmp_names(&a->sorted[i - 1], &a->sorted[i], a->e) == 0) {
      const cd_entry *e = &a->e[a->sorted[i]];
      return fail(a, "zip entry '%.*s' appears twice in the archive",
                  (int)(e->nlen > 200 ? 200 : e->nlen), e->name);
    }
  return 0;
}

/* Entry index by name, or SIZE_MAX. */
static size_t find_entry(const archive *a, const char *name) {
  size_t nl = strlen(name), lo = 0, hi = a->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const cd_entry *e = &a->e[a->sorted[mid]];
    size_t n = e->nlen < nl ? e->nlen : nl;
    int c = memcmp(name, e->name, n);
    if (!c) c = nl < e->nlen ? -1 : nl > e->nlen;
    if (!c) return a->sorted[mid];
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  return SIZE_MAX;
}

/* libzip must see the same entries: names, sizes, method and CRC. */
static int cross_check(archive *a) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(a->b, a->len, 0, &ze);
  if (src) {
    a->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!a->za) zip_source_free(src);
  }
  if (!a->za) {
    int rc = fail(a, "not a valid zip archive: %s", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return rc;
  }
  zip_error_fini(&ze);
  if ((uint64_t)zip_get_num_entries(a->za, 0) != a->n)
    return fail(a, "libzip finds %" PRId64 " zip entries, the central "
                "directory lists %zu",
                (int64_t)zip_get_num_entries(a->za, 0), a->n);
  for (size_t i = 0; i < a->n; i++) {
    zip_stat_t st;
    const cd_entry *e = &a->e[i];
    if (zip_stat_index(a->za, i, ZIP_FL_ENC_RAW, &st) != 0 ||
        !(st.valid & ZIP_STAT_NAME) || strlen(st.name) != e->nlen ||
        memcmp(st.name, e->name, e->nlen) != 0 || st.size != e->usize ||
        st.comp_size != e->csize || st.comp_method != (int32_t)e->method ||
        st.crc != e->crc)
      return fail(a, "zip entry %zu ('%.*s'): libzip reads it differently "
                  "(name, sizes, method or CRC); the archive is damaged",
                  i, (int)(e->nlen > 200 ? 200 : e->nlen), e->name);
  }
  return 0;
}

/* Offset of entry i's data: after its local header, which must agree
 * with the central directory. */
static int data_offset(archive *a, size_t i, uint64_t *out) {
  const cd_entry *e = &a->e[i];
  const unsigned char *b = a->b;
  int nl = (int)(e->nlen > 200 ? 200 : e->nlen);
  if (e->off > a->cd_start || a->cd_start - e->off < 30 ||
      rd(b + e->off, 4) != 0x04034b50)
    return fail(a, "zip entry '%.*s': no local header at byte %" PRIu64
                " (the offset its directory entry gives)",
                nl, e->name, e->off);
  const unsigned char *h = b + e->off;
  size_t lnl = (size_t)rd(h + 26, 2), lxl = (size_t)rd(h + 28, 2);
  uint64_t start = e->off + 30 + lnl + lxl;
  int same = lnl == e->nlen && start <= a->cd_start &&
             memcmp(h + 30, e->name, lnl) == 0 &&
             rd(h + 8, 2) == e->method;
  if (same && !(rd(h + 6, 2) & 8)) {
    uint64_t lc = rd(h + 18, 4), lu = rd(h + 22, 4);
    same = rd(h + 14, 4) == e->crc &&
           (lc == 0xffffffff || lc == e->csize) &&
           (lu == 0xffffffff || lu == e->usize);
  }
  if (!same)
    return fail(a, "zip entry '%.*s': its local header at byte %" PRIu64
                " does not match the central directory (name, method, "
                "CRC or sizes); the archive is damaged",
                nl, e->name, e->off);
  if (e->csize > a->cd_start - start)
    return fail(a, "zip entry '%.*s': %" PRIu64 " bytes of data at byte %"
                PRIu64 " run into the central directory",
                nl, e->name, e->csize, start);
  *out = start;
  return 0;
}

/* Read a whole small entry through libzip (which checks its CRC). */
static unsigned char *read_entry(archive *a, size_t i, size_t max,
                                 size_t *len) {
  const cd_entry *e = &a->e[i];
  int nl = (int)(e->nlen > 200 ? 200 : e->nlen);
  if (e->usize > max) {
    fail(a, "zip entry '%.*s' is %" PRIu64 " bytes, more than the cap of "
         "%zu", nl, e->name, e->usize, max);
    return NULL;
  }
  unsigned char *buf = malloc(e->usize ? (size_t)e->usize : 1);
  if (!buf) {
    fail(a, "out of memory");
    return NULL;
  }
  zip_file_t *zf = zip_fopen_index(a->za, i, 0);
  zip_int64_t got = zf ? zip_fread(zf, buf, e->usize) : -1;
  char why[256];
  snprintf(why, sizeof why, "%s",
           zf ? zip_error_strerror(zip_file_get_error(zf))
              : zip_error_strerror(zip_get_error(a->za)));
  if (zf && got == (zip_int64_t)e->usize) {
    char extra;
    if (zip_fread(zf, &extra, 1) != 0) got = -1; /* CRC checked at EOF */
    snprintf(why, sizeof why, "%s",
             zip_error_strerror(zip_file_get_error(zf)));
  }
  if (zf) zip_fclose(zf);
  if (got != (zip_int64_t)e->usize) {
    free(buf);
    fail(a, "zip entry '%.*s' cannot be read: %s", nl, e->name, why);
    return NULL;
  }
  *len = (size_t)e->usize;
  return buf;
}

/* ---------------------------------------------------------- tensors */

static int entry_name(archive *a, char *buf, size_t size, const char *rest) {
  if ((size_t)snprintf(buf, size, "%.*s/%s", (int)a->plen,
                       (const char *)a->prefix, rest) >= size)
    return fail(a, "zip entry name too long");
  return 0;
}

/* Check one tensor of the state dict against its storage entry and give
 * its view.  first_dtype: per entry, the dtype its first view used. */
static int check_tensor(archive *a, const ck_pk_tensor *t,
                        ck_dtype *first_dtype, ck_st_view *v) {
  char en[1200];
  if (t->dtype == CK_DT_INVALID)
    return tensor_fail(a, t->name, "storage type torch.%s has no ckconv "
                       "dtype (ckconv reads %s)",
                       t->storage_type, ck_dtype_all_names());
  if (entry_name(a, en, sizeof en, "data/")) return -1;
  if (strlen(en) + strlen(t->storage) >= sizeof en)
    return tensor_fail(a, t->name, "its persistent id names storage "
                       "'%.100s...', a key too long for an archive entry",
                       t->storage);
  strcat(en, t->storage);
  size_t i = find_entry(a, en);
  if (i == SIZE_MAX)
    return tensor_fail(a, t->name, "its persistent id names storage '%.100s'"
                       ", but the archive has no entry '%.300s'",
                       t->storage, en);
  const cd_entry *e = &a->e[i];
  if (e->method != 0)
    return tensor_fail(a, t->name, "zip entry '%.300s' is compressed "
                       "(method %u); torch.save stores tensor data "
                       "uncompressed, and ckconv reads only stored entries",
                       en, e->method);
  if (e->csize != e->usize) /* the view covers usize bytes of the file */
    return tensor_fail(a, t->name, "zip entry '%.300s' is stored with %"
                       PRIu64 " bytes in the archive but claims %" PRIu64,
                       en, e->csize, e->usize);
  size_t es = ck_dtype_size(t->dtype);
  uint64_t want;
  if (__builtin_mul_overflow(t->storage_numel, (uint64_t)es, &want) ||
      want != e->usize)
    return tensor_fail(a, t->name, "storage '%.100s' has %" PRIu64
                       " elements of %s by its persistent id, %" PRIu64
                       " bytes, but zip entry '%.300s' has %" PRIu64 " bytes",
                       t->storage, t->storage_numel,
                       ck_dtype_name(t->dtype), want, en, e->usize);
  if (first_dtype[i] == CK_DT_INVALID) first_dtype[i] = t->dtype;
  else if (first_dtype[i] != t->dtype)
    return tensor_fail(a, t->name, "storage '%.100s' is read as %s here "
                       "and as %s by another tensor",
                       t->storage, ck_dtype_name(t->dtype),
                       ck_dtype_name(first_dtype[i]));
  uint64_t numel = 1, expect = 1;
  for (int d = 0; d < t->ndim; d++)
    if (__builtin_mul_overflow(numel, t->shape[d], &numel))
      return tensor_fail(a, t->name, "shape has more than 2^64 elements");
  if (numel) {
    for (int d = t->ndim - 1; d >= 0; d--) {
      if (t->shape[d] != 1 && (t->stride[d] < 0 ||
                               (uint64_t)t->stride[d] != expect)) {
        char got[400] = "", exp[400] = "";
        uint64_t x = 1, ex[CK_ST_MAX_RANK];
        for (int k = t->ndim - 1; k >= 0; k--) {
          ex[k] = x;
          x *= t->shape[k];
        }
        for (int k = 0; k < t->ndim; k++) {
          size_t gl = strlen(got), el = strlen(exp);
          snprintf(got + gl, sizeof got - gl, "%s%" PRId64, k ? ", " : "",
                   t->stride[k]);
          snprintf(exp + el, sizeof exp - el, "%s%" PRIu64, k ? ", " : "",
                   ex[k]);
        }
        return tensor_fail(a, t->name, "strides (%s) are not the contiguous "
                           "ones (%s) for its shape; ckconv reads contiguous "
                           "tensors only (save t.contiguous())",
                           got, exp);
      }
      expect *= t->shape[d];
    }
  }
  uint64_t endel;
  if (__builtin_add_overflow(t->offset, numel, &endel) ||
      endel > t->storage_numel)
    return tensor_fail(a, t->name, "a view of %" PRIu64 " elements at "
                       "storage offset %" PRIu64 " runs past the end of "
                       "storage '%.100s' (%" PRIu64 " elements)",
                       numel, t->offset, t->storage, t->storage_numel);
  uint64_t start = e->data;
  /* the engine loads elements in place from the mapping */
  if ((start + t->offset * es) % es)
    return tensor_fail(a, t->name, "its data at byte %" PRIu64 " of the "
                       "file is not aligned to its %zu-byte elements "
                       "(torch.save aligns every storage to 64 bytes)",
                       start + t->offset * es, es);
  v->name = t->name;
  v->dtype = t->dtype;
  v->ndim = t->ndim;
  v->shape = t->shape;
  v->file_offset = start + t->offset * es;
  return 0;
}

/* Files torch.save wrote before 1.6 are a bare pickle (or a tar). */
static int check_magic(archive *a) {
  const unsigned char *b = a->b;
  if (a->len >= 4 && rd(b, 4) == 0x04034b50) return 0;
  if ((a->len >= 2 && b[0] == 0x80 && b[1] <= 5) ||
      (a->len >= 262 && memcmp(b + 257, "ustar", 5) == 0))
    return fail(a, "was written by torch.save before torch 1.6 (not a zip "
                "file); re-save it with a newer torch, or convert it to "
                "safetensors");
  if (a->len >= 4 && rd(b, 4) == 0x06054b50)
    return fail(a, "is an empty zip archive, not a torch.save checkpoint");
  return fail(a, "is not a torch.save zip archive (it starts with %s%02x "
              "%02x %02x %02x, expected PK\\3\\4)",
              a->len < 4 ? "fewer than 4 bytes: " : "",
              a->len > 0 ? b[0] : 0, a->len > 1 ? b[1] : 0,
              a->len > 2 ? b[2] : 0, a->len > 3 ? b[3] : 0);
}

/* The whole read over bytes b (a mapping of the file or the fuzzer's
 * buffer); views point into base (NULL: header-only). */
static ck_st_file *parse(const char *path, const unsigned char *b, size_t len,
                         const void *base, void *map, size_t map_len,
                         ck_error *err) {
  archive a = {.path = path, .b = b, .len = len, .err = err};
  ck_pk_dict d = {0};
  ck_st_view *views = NULL;
  ck_dtype *first = NULL;
  unsigned char *pkl = NULL;
  ck_st_file *f = NULL;
  if (check_magic(&a) || read_directory(&a)) goto done;
  /* our own reading of every local header first: its message is more
   * precise than libzip's for a damaged offset */
  for (size_t i = 0; i < a.n; i++)
    if (data_offset(&a, i, &a.e[i].data)) goto done;
  if (cross_check(&a)) goto done;
  if (!a.n) {
    fail(&a, "the zip archive has no entries");
    goto done;
  }
  a.prefix = a.e[0].name;
  const unsigned char *slash = memchr(a.prefix, '/', a.e[0].nlen);
  if (!slash || slash == a.prefix) {
    fail(&a, "zip entry '%.*s' is not in a folder; torch.save puts every "
         "entry under one (e.g. archive/data.pkl)",
         (int)(a.e[0].nlen > 200 ? 200 : a.e[0].nlen), a.e[0].name);
    goto done;
  }
  a.plen = (size_t)(slash - a.prefix);
  char en[1200];
  if (entry_name(&a, en, sizeof en, "byteorder")) goto done;
  size_t bo = find_entry(&a, en), n;
  if (bo != SIZE_MAX) {
    unsigned char *t = read_entry(&a, bo, 64, &n);
    if (!t) goto done;
    int little = n == 6 && memcmp(t, "little", 6) == 0;
    free(t);
    if (!little) {
      fail(&a, "zip entry '%s' says the data is not little-endian; ckconv "
           "reads little-endian checkpoints only", en);
      goto done;
    }
  }
  if (entry_name(&a, en, sizeof en, "data.pkl")) goto done;
  size_t pk = find_entry(&a, en);
  if (pk == SIZE_MAX) {
    fail(&a, "the zip archive has no entry '%s' (the pickled state dict); "
         "not a torch.save checkpoint (a TorchScript archive?)", en);
    goto done;
  }
  if (!(pkl = read_entry(&a, pk, CK_TB_PICKLE_MAX, &n))) goto done;
  if (ck_pickle_state_dict(pkl, n, path, en, &d, err)) goto done;
  views = calloc(d.n ? d.n : 1, sizeof *views);
  first = malloc((a.n ? a.n : 1) * sizeof *first);
  if (!views || !first) {
    fail(&a, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < a.n; i++) first[i] = CK_DT_INVALID;
  for (size_t i = 0; i < d.n; i++)
    if (check_tensor(&a, &d.t[i], first, &views[i])) goto done;
  f = ck_st_from_views(path, len, views, d.n, base, map, map_len, err);
  /* its checks (a name twice, a view past the file) are about this .bin */
  if (!f) ck_error_restage(err, CK_STAGE_CHECKPOINT);
  map = NULL; /* owned by f, or unmapped on its failure */
done:
  if (map) munmap(map, map_len);
  if (a.za) zip_discard(a.za);
  free(a.e);
  free(a.sorted);
  free(pkl);
  free(views);
  free(first);
  ck_pickle_free(&d);
  return f;
}

ck_st_file *ck_tb_open(const char *path, int header_only, ck_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  int st_rc = fstat(fd, &st);
  if (st_rc != 0 || !S_ISREG(st.st_mode)) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path}, "%s: %s", path,
               st_rc ? strerror(errno) : "not a regular file");
    close(fd);
    return NULL;
  }
  if ((uint64_t)st.st_size > SIZE_MAX) {
    close(fd);
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
               "%s: file too large to map", path);
    return NULL;
  }
  size_t len = (size_t)st.st_size;
  void *map = NULL;
  if (len) {
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                 "%s: cannot mmap %zu bytes: %s", path, len, strerror(errno));
      close(fd);
      return NULL;
    }
  }
  close(fd);
  static const unsigned char empty[1];
  if (!header_only)
    return parse(path, map ? map : empty, len, map ? map : empty, map, len,
                 err);
  /* header-only: the mapping serves the parse only */
  ck_st_file *f = parse(path, map ? map : empty, len, NULL, NULL, 0, err);
  if (map) munmap(map, len);
  return f;
}

ck_st_file *ck_tb_parse_buffer(const void *bytes, size_t len,
                               const char *name, ck_error *err) {
  static const unsigned char empty[1];
  const unsigned char *b = len ? bytes : empty;
  return parse(name ? name : "<buffer>", b, len, b, NULL, 0, err);
}
