/* ck_hub.h - the Hugging Face hub cache as an input: repo ids resolved
 * offline to snapshot folders, and the symlink rule of checkpoint files.
 *
 * huggingface_hub keeps a download of ORG/NAME in
 * CACHE/models--ORG--NAME/ with blobs/ (the file contents), refs/ (one
 * file per branch or tag holding a commit hash) and snapshots/<commit>/
 * (the repo's files as relative symlinks into ../../blobs/).  ckconv reads
 * that layout as it is, never writes to it and never uses the network. */
#ifndef CK_HUB_H
#define CK_HUB_H

#include "ck_error.h"

/* 1 when s has the form of a hub repo id (NAME or ORG/NAME, as
 * huggingface_hub's validate_repo_id accepts) and is not an existing path
 * (an existing path is always a folder). */
int ck_hub_is_repo_id(const char *s);

/* The hub cache folder, as huggingface_hub computes it: $HF_HUB_CACHE,
 * else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (a
 * leading ~ is expanded).  malloc'd; NULL on OOM. */
char *ck_hub_cache_dir(void);

/* The snapshot folder of repo_id at revision (NULL: "main"), offline: a
 * ref under refs/ gives the commit, a 40-hex revision is a commit, and
 * snapshots/<commit> must be a folder.  Errors (stage checkpoint) say which
 * folder was looked for, list the refs that exist, or say the snapshot is
 * missing.  On success *dir is malloc'd and *commit (may be NULL) gets the
 * commit hash, malloc'd. */
int ck_hub_resolve(const char *repo_id, const char *revision, char **dir,
                   char **commit, ck_error *err);

/* The enclosing repo folder (.../models--ORG--NAME) when realdir (an
 * absolute, resolved path) is .../models--ORG--NAME/snapshots/REV; else
 * NULL.  malloc'd. */
char *ck_hub_repo_of(const char *realdir);

/* The symlink rule for a file of a checkpoint folder (path is inside the
 * folder dir, as given for messages, whose realpath is realdir; repo is ck_hub_repo_of(realdir) or
 * NULL).  A path that is not a symlink passes.  A symlink passes when its
 * target (realpath) is a regular file inside repo (a cache snapshot), or
 * inside realdir (a plain folder).  Otherwise an error (stage checkpoint)
 * naming the link and where it points: outside, dangling, a loop, or a
 * directory.  A missing path passes (the caller reports it). */
int ck_hub_check_link(const char *path, const char *dir,
                      const char *realdir, const char *repo, ck_error *err);

#endif
