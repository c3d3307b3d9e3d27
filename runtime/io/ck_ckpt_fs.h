/* ck_ckpt_fs.h - file-system helpers shared by ck_ckpt_read.c,
 * ck_ckpt_write.c, ck_hub.c and the files a conversion carries
 * (ck_carry.c): the checkpoint folder's own helpers, not a general API.
 *
 * Small whole-file reads with a layout-error message for missing files,
 * durable small-file writes, and the rm -rf / mkdir -p / fsync-dir steps
 * of the crash-safe publication of an output folder. */
#ifndef CK_CKPT_FS_H
#define CK_CKPT_FS_H

#include <stddef.h>

#include "ck_error.h"

/* Largest config / index / metadata file read. */
#define CK_CKPT_FS_SMALL_MAX ((size_t)1 << 30)

/* "dir/name", malloc'd; NULL on OOM. */
char *ck_ckpt_fs_join(const char *dir, const char *name);

/* 1 if dir/name is a regular file (symlinks followed), as Path.is_file. */
int ck_ckpt_fs_is_file(const char *dir, const char *name);

/* Whole file, NUL-terminated, length in *len.  A missing file is a
 * "checkpoint" error "PATH: missing (WHAT)"; other failures are "io". */
char *ck_ckpt_fs_read_small(const char *path, const char *what, size_t *len,
                            ck_error *err);

/* Create dir/name (which must not exist), write, fsync and close. */
int ck_ckpt_fs_write_file(const char *dir, const char *name,
                          const void *data, size_t len, ck_error *err);

/* mkdir -p (mode 0755). */
int ck_ckpt_fs_mkdir_p(const char *dir, ck_error *err);

/* rm -rf that never follows symlinks nor crosses mount points; a missing
 * path is fine.  0 or -1 (errno set). */
int ck_ckpt_fs_rm_rf(const char *path);

/* fsync a directory, best effort (some file systems refuse). */
void ck_ckpt_fs_sync_dir(const char *dir);

#endif
