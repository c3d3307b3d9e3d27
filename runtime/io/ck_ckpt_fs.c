/* ck_ckpt_fs.c - file-system steps of checkpoint reading and writing.
 *
 * Used by ck_ckpt_read.c (small files of an input folder) and
 * ck_ckpt_write.c (durable writes, the temp dir's creation and removal,
 * the renames that publish an output folder). */
#include "ck_ckpt_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_fault.h"

#define STAGE CK_STAGE_CHECKPOINT

char *ck_ckpt_fs_join(const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  char *p = malloc(a + b + 2);
  if (!p) return NULL;
  memcpy(p, dir, a);
  p[a] = '/';
  memcpy(p + a + 1, name, b + 1);
  return p;
}

int ck_ckpt_fs_is_file(const char *dir, const char *name) {
  char *p = ck_ckpt_fs_join(dir, name);
  struct stat st;
  int r = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
  free(p);
  return r;
}

/* A missing file is a layout error (the folder is incomplete), not an
 * OS error, so it gets the "checkpoint" stage. */
char *ck_ckpt_fs_read_small(const char *path, const char *what, size_t *len,
                            ck_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT)
      ck_fail_at(err, STAGE, (ck_about){.file = path}, "%s: missing (%s)", path,
                 what);
    else
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                 "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n + 1 >= cap) {
      if (cap >= CK_CKPT_FS_SMALL_MAX) {
        ck_fail_at(err, STAGE, (ck_about){.file = path},
                   "%s: larger than %zu bytes", path, CK_CKPT_FS_SMALL_MAX);
        goto fail;
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
    size_t r = fread(buf + n, 1, cap - 1 - n, f);
    n += r;
    if (r == 0) {
      if (ferror(f)) {
        ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path}, "%s: read error",
                   path);
        goto fail;
      }
      fclose(f);
      buf[n] = '\0';
      *len = n;
      return buf;
    }
  }
  ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path}, "%s: out of memory",
             path);
fail:
  free(buf);
  fclose(f);
  return NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path) != 0 ? -1 : 0;
}

/* rm -rf that never follows symlinks nor leaves the file system. */
int ck_ckpt_fs_rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
  return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Best effort: some file systems refuse fsync on a directory. */
void ck_ckpt_fs_sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

int ck_ckpt_fs_mkdir_p(const char *dir, ck_error *err) {
  char *p = strdup(dir);
  if (!p)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = dir},
                      "%s: out of memory", dir);
  for (char *s = p + 1;; s++) {
    if (*s != '/' && *s) continue;
    char c = *s;
    *s = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = p},
                 "%s: cannot create directory: %s", p, strerror(errno));
      free(p);
      return -1;
    }
    if (!c) break;
    *s = c;
  }
  free(p);
  return 0;
}

/* Create dir/name (must not exist), write, fsync, close. */
int ck_ckpt_fs_write_file(const char *dir, const char *name,
                          const void *data, size_t len, ck_error *err) {
  char *p = ck_ckpt_fs_join(dir, name);
  if (!p)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = dir},
                      "%s: out of memory", dir);
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  int rc = -1;
  if (fd < 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = p}, "%s: cannot create: %s",
               p, strerror(errno));
    goto done;
  }
  if (ck_fault_write_all(fd, data, len) != 0) {
    int e = errno;
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = p},
               "%s: write failed: %s%s", p, strerror(e),
               e == ENOSPC || e == EDQUOT ? " (the disk is full)" : "");
    goto done;
  }
  if (fsync(fd) != 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = p}, "%s: fsync failed: %s",
               p, strerror(errno));
    goto done;
  }
  rc = close(fd);
  fd = -1;
  if (rc)
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = p}, "%s: close failed: %s",
               p, strerror(errno));
done:
  if (fd >= 0) close(fd);
  free(p);
  return rc;
}

