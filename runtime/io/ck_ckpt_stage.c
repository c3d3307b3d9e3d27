/* ck_ckpt_stage.c - the staging folder of a resumable or partial
 * conversion (`convert --resume`, `--part K/N`, `--finish`).
 *
 * A plain conversion writes into a temp folder named after its PID and
 * removed when it fails.  A staged one writes into the stable
 * <parent>/.<base>.ckconv-staging, so that a later run, or another part
 * on another machine, finds the same files at the same offsets: the
 * first process to take the lock lays out every output file (headers
 * written, files sized) and then writes `manifest`, the conversion's
 * identity; every later process compares its own identity with it field
 * by field and refuses, saying what differs, when anything does.  Which
 * tensors are on disk is the journals' business (ck_journal.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_ckpt_fs.h"
#include "ck_ckpt_out_priv.h"

#define STAGE CK_STAGE_CHECKPOINT

int ck_ckpt_out_set_manifest(ck_ckpt_out *o, json_t *manifest) {
  json_decref(o->manifest);
  o->manifest = json_incref(manifest);
  return 0;
}

/* A value in a message: strings bare, anything else as compact JSON. */
static void show(json_t *v, char *buf, size_t n) {
  if (!v) {
    snprintf(buf, n, "(none)");
  } else if (json_is_string(v)) {
    snprintf(buf, n, "%s", json_string_value(v));
  } else {
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(buf, n, "%s", s ? s : "?");
    free(s);
  }
}

/* What differs between the manifest found (was) and ours (now), said the
 * way the user can act on it; "" when they are the same.  "input" (the
 * path as given) is not compared: the same files may be named otherwise. */
static void differs(json_t *was, json_t *now, char *msg, size_t n) {
  msg[0] = '\0';
  const char *in = json_string_value(json_object_get(now, "input"));
  const char *key;
  json_t *v;
  json_object_foreach(now, key, v) {
    json_t *w = json_object_get(was, key);
    if (strcmp(key, "input") == 0 || (w && json_equal(v, w))) continue;
    if (strcmp(key, "inputs") == 0 && json_is_object(w)) {
      const char *name;
      json_t *f;
      json_object_foreach(v, name, f) {
        json_t *g = json_object_get(w, name);
        if (!g) {
          snprintf(msg, n, "%s/%s is new since the earlier run", in, name);
          return;
        }
        if (json_equal(f, g)) continue;
        char a[64], b[64], c[64], d[64];
        show(json_object_get(g, "size"), a, sizeof a);
        show(json_object_get(f, "size"), b, sizeof b);
        show(json_object_get(g, "mtime_ns"), c, sizeof c);
        show(json_object_get(f, "mtime_ns"), d, sizeof d);
        snprintf(msg, n, "%s/%s changed (size %s -> %s, mtime_ns %s -> %s)",
                 in, name, a, b, c, d);
        return;
      }
      json_object_foreach(w, name, f) if (!json_object_get(v, name)) {
        snprintf(msg, n, "%s/%s is gone since the earlier run", in, name);
        return;
      }
    }
    char a[200], b[200];
    show(w, a, sizeof a);
    show(v, b, sizeof b);
    snprintf(msg, n, "%s differs (was %s, now %s)", key, a, b);
    return;
  }
}

/* Empty the staging folder but for its lock: what a process killed
 * while laying out left (no manifest yet, so nothing to resume). */
static void wipe(const ck_ckpt_out *o) {
  DIR *d = opendir(o->tmp_dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
        !strcmp(e->d_name, "lock"))
      continue;
    char *p = ck_ckpt_fs_join(o->tmp_dir, e->d_name);
    if (p) (void)ck_ckpt_fs_rm_rf(p);
    free(p);
  }
  closedir(d);
}

/* Lay out every file (headers, sizes) and then the manifest. */
static int lay_out_new(ck_ckpt_out *o, const char *mpath, ck_error *err) {
  wipe(o);
  for (size_t f = 0; f < o->n_files; f++) {
    ck_st_writer *w = ck_ckpt_out_file_writer(o, f, 1, err);
    if (!w || ck_st_writer_layout(w, err)) {
      ck_st_writer_abort(w);
      return -1;
    }
    if (ck_st_writer_close(w, err)) return -1; /* fsynced, in place */
  }
  char *text = json_dumps(o->manifest, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (!text)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = mpath},
                      "%s: out of memory", mpath);
  char *tmp = ck_ckpt_fs_join(o->tmp_dir, "manifest.tmp");
  int rc = -1;
  if (!tmp) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
  } else {
    (void)unlink(tmp); /* a torn one of a run killed here */
    if (ck_ckpt_fs_write_file(o->tmp_dir, "manifest.tmp", text, strlen(text),
                              err) == 0) {
      if (rename(tmp, mpath) != 0)
        ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = mpath},
                   "%s: cannot rename %s into place: %s", mpath, tmp,
                   strerror(errno));
      else
        rc = 0;
    }
  }
  free(tmp);
  free(text);
  if (rc == 0) ck_ckpt_fs_sync_dir(o->tmp_dir);
  return rc;
}

/* The manifest found must be ours, and the files the laid-out ones. */
static int check_existing(ck_ckpt_out *o, const char *mpath, ck_error *err) {
  size_t len;
  char *text = ck_ckpt_fs_read_small(mpath, "staging manifest", &len, err);
  if (!text) return -1;
  json_error_t je;
  json_t *was = json_loadb(text, len, 0, &je);
  free(text);
  char msg[1024];
  if (!was)
    snprintf(msg, sizeof msg, "its manifest is not JSON (%s)", je.text);
  else
    differs(was, o->manifest, msg, sizeof msg);
  json_decref(was);
  if (msg[0])
    return ck_fail_at(err, STAGE, (ck_about){.file = o->tmp_dir},
                      "cannot resume %s: %s; the staging folder %s holds a "
                      "different conversion (remove it to start over)",
                      o->out_dir, msg, o->tmp_dir);
  for (size_t f = 0; f < o->n_files; f++) {
    uint64_t hl, size, *off = calloc(o->file_first[f + 1] - o->file_first[f] + 1,
                                     sizeof *off);
    struct stat st;
    int bad = !off || ck_ckpt_out_file_layout(o, f, off, &hl, &size, err);
    free(off);
    if (bad) return -1;
    char *p = ck_ckpt_fs_join(o->tmp_dir, o->file_names[f]);
    int ok = p && stat(p, &st) == 0 && (uint64_t)st.st_size == size;
    if (!ok) {
      ck_fail_at(err, STAGE, (ck_about){.file = p ? p : o->tmp_dir},
                 "cannot resume %s: %s is missing or not %" PRIu64
                 " bytes; remove the staging folder %s to start over",
                 o->out_dir, p ? p : o->file_names[f], size, o->tmp_dir);
      free(p);
      return -1;
    }
    free(p);
  }
  return 0;
}

int ck_ckpt_stage_layout(ck_ckpt_out *o, ck_error *err) {
  if (!o->manifest)
    return ck_fail(err, CK_STAGE_INTERNAL, "staged output without manifest");
  char *lpath = ck_ckpt_fs_join(o->tmp_dir, "lock");
  char *mpath = ck_ckpt_fs_join(o->tmp_dir, "manifest");
  int rc = -1;
  if (!lpath || !mpath) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
    goto done;
  }
  /* one process lays out at a time; the others wait, then find it done */
  o->lock_fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (o->lock_fd < 0 || flock(o->lock_fd, LOCK_EX) != 0) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = lpath},
               "%s: cannot lock the staging folder: %s", lpath,
               strerror(errno));
    goto done;
  }
  struct stat st;
  if (stat(mpath, &st) == 0) {
    if (check_existing(o, mpath, err)) goto done;
  } else if (lay_out_new(o, mpath, err)) {
    o->drop_tmp = 1; /* nothing worth resuming (the disk may be full) */
    goto done;
  }
  o->ws = calloc(o->n_files ? o->n_files : 1, sizeof *o->ws);
  o->order = calloc(o->n ? o->n : 1, sizeof *o->order);
  o->sfd = malloc((o->n_files ? o->n_files : 1) * sizeof *o->sfd);
  o->spath = calloc(o->n_files ? o->n_files : 1, sizeof *o->spath);
  if (!o->ws || !o->order || !o->sfd || !o->spath) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
    goto done;
  }
  for (size_t f = 0; f < o->n_files; f++) o->sfd[f] = -1;
  for (size_t f = 0; f < o->n_files; f++) {
    size_t first = o->file_first[f], cnt = o->file_first[f + 1] - first;
    o->ws[f] = ck_ckpt_out_file_writer(o, f, 0, err);
    o->spath[f] = ck_ckpt_fs_join(o->tmp_dir, o->file_names[f]);
    if (!o->ws[f] || !o->spath[f]) goto done;
    o->sfd[f] = open(o->spath[f], O_RDWR | O_CLOEXEC);
    if (o->sfd[f] < 0) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->spath[f]},
                 "%s: cannot open: %s", o->spath[f], strerror(errno));
      goto done;
    }
    for (size_t p = 0; p < cnt; p++)
      o->order[first + p] = first + ck_st_writer_order(o->ws[f], p);
  }
  rc = 0;
done:
  if (o->lock_fd >= 0) close(o->lock_fd); /* releases the flock */
  o->lock_fd = -1;
  free(lpath);
  free(mpath);
  return rc;
}

int ck_ckpt_out_sync_file(ck_ckpt_out *o, size_t f, ck_error *err) {
  if (!o->staged || !o->sfd || f >= o->n_files || o->sfd[f] < 0) return 0;
  if (fdatasync(o->sfd[f]) != 0)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->spath[f]},
                      "%s: fdatasync failed: %s", o->spath[f], strerror(errno));
  return 0;
}

int ck_ckpt_stage_sync(ck_ckpt_out *o, ck_error *err) {
  for (size_t f = 0; f < o->n_files; f++)
    if (ck_ckpt_out_sync_file(o, f, err)) return -1;
  return 0;
}

void ck_ckpt_stage_close(ck_ckpt_out *o) {
  for (size_t f = 0; o->sfd && f < o->n_files; f++) {
    if (o->sfd[f] >= 0) close(o->sfd[f]);
    o->sfd[f] = -1;
  }
  for (size_t f = 0; o->spath && f < o->n_files; f++) free(o->spath[f]);
  free(o->sfd);
  free(o->spath);
  o->sfd = NULL;
  o->spath = NULL;
  if (o->lock_fd >= 0) close(o->lock_fd);
  o->lock_fd = -1;
}

/* Before publication: the staging folder becomes exactly the checkpoint
 * (the manifest, journals and lock are not part of it). */
int ck_ckpt_stage_drop_bookkeeping(ck_ckpt_out *o, ck_error *err) {
  if (ck_ckpt_stage_sync(o, err)) return -1;
  ck_ckpt_stage_close(o);
  DIR *d = opendir(o->tmp_dir);
  if (!d)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->tmp_dir},
                      "%s: cannot list: %s", o->tmp_dir, strerror(errno));
  struct dirent *e;
  int rc = 0;
  /* the manifest first: from here on the folder is not resumable */
  char *m = ck_ckpt_fs_join(o->tmp_dir, "manifest");
  if (m && unlink(m) != 0 && errno != ENOENT) rc = -1;
  free(m);
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, "lock") && strncmp(e->d_name, "journal", 7) &&
        strcmp(e->d_name, "manifest.tmp"))
      continue;
    char *p = ck_ckpt_fs_join(o->tmp_dir, e->d_name);
    if (p && unlink(p) != 0 && errno != ENOENT) rc = -1;
    free(p);
  }
  closedir(d);
  if (rc)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->tmp_dir},
                      "%s: cannot remove its journal: %s", o->tmp_dir,
                      strerror(errno));
  ck_ckpt_fs_sync_dir(o->tmp_dir);
  return 0;
}
