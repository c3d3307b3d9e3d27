/* ck_journal.c - the journal of a resumable conversion (ck_journal.h):
 * its checksum, its records, reading it back and appending to it. */
#include "ck_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define CHUNK ((size_t)1 << 20) /* a multiple of 32: lanes carry over */
/* The data checksum samples large tensors (ck_journal.h): both edges
 * whole, one page in every stride. */
#define SAMPLE_EDGE ((uint64_t)64 << 10)
#define SAMPLE_PAGE ((uint64_t)4 << 10)
#define SAMPLE_STRIDE ((uint64_t)1 << 20)

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static uint64_t round64(uint64_t acc, uint64_t w) {
  return rotl(acc + w * P2, 31) * P1;
}
static uint64_t le64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v; /* the byte order of this machine: sums are never moved */
}

typedef struct sum_state {
  uint64_t v[4];
  uint64_t total;
} sum_state;

static void sum_init(sum_state *s) {
  s->v[0] = P1 + P2;
  s->v[1] = P2;
  s->v[2] = 0;
  s->v[3] = 0 - P1;
  s->total = 0;
}

/* 32-byte blocks; the remainder (< 32, only on the last call) mixed in
 * word by word and byte by byte. */
static void sum_update(sum_state *s, const unsigned char *p, size_t len) {
  size_t i = 0;
  for (; i + 32 <= len; i += 32)
    for (int l = 0; l < 4; l++) s->v[l] = round64(s->v[l], le64(p + i + 8 * l));
  for (; i + 8 <= len; i += 8) s->v[0] = round64(s->v[0], le64(p + i));
  for (; i < len; i++) s->v[1] = round64(s->v[1], p[i]);
  s->total += len;
}

static uint64_t sum_final(const sum_state *s) {
  uint64_t h = rotl(s->v[0], 1) + rotl(s->v[1], 7) + rotl(s->v[2], 12) +
               rotl(s->v[3], 18);
  h ^= s->total * P3;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  return h;
}

/* Add len bytes of fd at off to s, in CHUNK reads. */
static int sum_region(sum_state *s, int fd, uint64_t off, uint64_t len,
                      unsigned char *buf) {
  while (len) {
    size_t k = len < CHUNK ? (size_t)len : CHUNK;
    ssize_t r = pread(fd, buf, k, (off_t)off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (size_t)r != k) { /* regular files: short only at EOF */
      if (r >= 0) errno = EIO;
      return -1;
    }
    sum_update(s, buf, k);
    off += k;
    len -= k;
  }
  return 0;
}

int ck_journal_sum(int fd, uint64_t off, uint64_t len, uint64_t *sum) {
  /* no read is longer than the tensor: a small tensor gets a small
   * buffer, not a fresh 1 MiB mapping per call */
  unsigned char *buf = malloc(len && len < CHUNK ? (size_t)len : CHUNK);
  if (!buf) return -1;
  sum_state s;
  sum_init(&s);
  int rc = 0;
  if (len <= 2 * SAMPLE_EDGE + SAMPLE_STRIDE) {
    rc = sum_region(&s, fd, off, len, buf);
  } else {
    /* the edges whole, one page per stride between them: regions in
     * increasing order, all multiples of 32 bytes but the last */
    rc = sum_region(&s, fd, off, SAMPLE_EDGE, buf);
    for (uint64_t at = SAMPLE_STRIDE; !rc && at + SAMPLE_PAGE <= len - SAMPLE_EDGE;
         at += SAMPLE_STRIDE)
      rc = sum_region(&s, fd, off + at, SAMPLE_PAGE, buf);
    if (!rc) rc = sum_region(&s, fd, off + len - SAMPLE_EDGE, SAMPLE_EDGE, buf);
    s.total = len; /* the length counts whole */
  }
  free(buf);
  if (rc) return -1;
  *sum = sum_final(&s);
  return 0;
}

static uint64_t text_sum(const char *p, size_t len) {
  sum_state s;
  sum_init(&s);
  sum_update(&s, (const unsigned char *)p, len);
  return sum_final(&s);
}

/* One record line (without the newline) into buf; its length. */
static int format_rec(char *buf, size_t cap, const ck_journal_rec *r) {
  int n = snprintf(buf, cap, "t %" PRIu64 " %" PRIu64 " %" PRIu64 " %016" PRIx64,
                   r->tensor, r->offset, r->length, r->sum);
  return n + snprintf(buf + n, cap - (size_t)n, " %016" PRIx64 "\n",
                      text_sum(buf, (size_t)n));
}

/* Parse the line [p, nl): 1 for a valid record. */
static int parse_rec(const char *p, size_t len, ck_journal_rec *r) {
  char line[160], back[160];
  if (len >= sizeof line - 1) return 0;
  memcpy(line, p, len);
  line[len] = '\0';
  uint64_t rs;
  int used = 0;
  if (sscanf(line, "t %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNx64
             " %" SCNx64 "%n", &r->tensor, &r->offset, &r->length, &r->sum,
             &rs, &used) != 5 || (size_t)used != len)
    return 0;
  /* the canonical text, so that any altered byte fails the check */
  int n = format_rec(back, sizeof back, r);
  return n == (int)len + 1 && memcmp(back, line, len) == 0;
}

int ck_journal_load(const char *path, ck_journal_rec **recs, size_t *n,
                    uint64_t *valid_end, ck_error *err) {
  *recs = NULL;
  *n = 0;
  *valid_end = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT) return 0;
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                      "%s: cannot read the journal: %s", path,
                      strerror(errno));
  }
  size_t cap = 0;
  char line[256];
  uint64_t at = 0;
  while (fgets(line, sizeof line, f)) {
    size_t len = strlen(line);
    ck_journal_rec r;
    if (len == 0 || line[len - 1] != '\n' || !parse_rec(line, len - 1, &r))
      break; /* torn or damaged: nothing after it is trusted */
    if (*n == cap) {
      cap = cap ? cap * 2 : 256;
      ck_journal_rec *g = realloc(*recs, cap * sizeof *g);
      if (!g) {
        fclose(f);
        free(*recs);
        *recs = NULL;
        return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                          "%s: out of memory", path);
      }
      *recs = g;
    }
    (*recs)[(*n)++] = r;
    at += len;
  }
  fclose(f);
  *valid_end = at;
  return 0;
}

int ck_journal_open(const char *path, int *fd, ck_error *err) {
  int d = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (d < 0)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                      "%s: cannot open the journal: %s", path,
                      strerror(errno));
  if (flock(d, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    close(d);
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                      "%s: %s", path,
                      e == EWOULDBLOCK ? "in use by another ckconv process "
                                         "(the same part runs twice?)"
                                       : strerror(e));
  }
  ck_journal_rec *r;
  size_t n;
  uint64_t end;
  if (ck_journal_load(path, &r, &n, &end, err)) {
    close(d);
    return -1;
  }
  free(r);
  if (ftruncate(d, (off_t)end) != 0 || lseek(d, 0, SEEK_END) < 0) {
    int e = errno;
    close(d);
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                      "%s: cannot cut its torn tail: %s", path, strerror(e));
  }
  *fd = d;
  return 0;
}

int ck_journal_append(int fd, const char *path, const ck_journal_rec *r,
                      size_t n, ck_error *err) {
  char buf[8192];
  size_t used = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || used + 160 > sizeof buf) {
      const char *p = buf;
      size_t left = used;
      while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          int e = w < 0 ? errno : EIO;
          return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                            "%s: cannot append to the journal: %s%s", path,
                            strerror(e),
                            e == ENOSPC || e == EDQUOT ? " (the disk is full)"
                                                       : "");
        }
        p += w;
        left -= (size_t)w;
      }
      used = 0;
      if (i == n) break;
    }
    used += (size_t)format_rec(buf + used, sizeof buf - used, &r[i]);
  }
  if (fdatasync(fd) != 0)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                      "%s: fdatasync failed: %s", path, strerror(errno));
  return 0;
}
