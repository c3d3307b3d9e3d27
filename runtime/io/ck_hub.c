/* ck_hub.c - Hugging Face hub cache folders and repo ids (ck_hub.h).
 *
 * Before a checkpoint is opened (ck_ckpt_read.c): a repo id given on the
 * command line becomes its snapshot folder, and each file of a folder is
 * checked against the symlink rule.  The rules are huggingface_hub's own
 * (constants.py for the cache folder, validate_repo_id for the id,
 * refs/<revision> and snapshots/<commit> for the layout), re-stated here:
 * only stat, readlink, realpath and small reads; nothing is written. */
#include "ck_hub.h"

#include "ck_ckpt_fs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE CK_STAGE_CHECKPOINT

/* ------------------------------------------------------------ repo ids */

static int id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int word_char(char c) { return id_char(c) && c != '-' && c != '.'; }

/* One part of an id ([\w.-]+ between word boundaries), n chars at s. */
static int id_part(const char *s, size_t n, size_t max) {
  if (n == 0 || n > max || !word_char(s[0]) || !word_char(s[n - 1]))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!id_char(s[i])) return 0;
  return 1;
}

int ck_hub_is_repo_id(const char *s) {
  struct stat st;
  if (lstat(s, &st) == 0 || (errno != ENOENT && errno != ENOTDIR)) return 0;
  const char *slash = strchr(s, '/');
  size_t n = strlen(s);
  if (slash && strchr(slash + 1, '/')) return 0;
  if (slash ? !id_part(s, (size_t)(slash - s), 96) ||
                  !id_part(slash + 1, n - (size_t)(slash - s) - 1, 96)
            : !id_part(s, n, 96))
    return 0;
  /* validate_repo_id: "--" and ".." are not allowed, nor a ".git" end */
  return !strstr(s, "--") && !strstr(s, "..") &&
         !(n >= 4 && strcmp(s + n - 4, ".git") == 0);
}

/* ------------------------------------------------------------- folders */



/* os.path.expanduser for "~" and "~/...": $HOME, else the passwd entry. */
static char *expand_home(const char *p) {
  if (p[0] != '~' || (p[1] && p[1] != '/')) return strdup(p);
  const char *home = getenv("HOME");
  if (!home || !home[0]) {
    struct passwd *pw = getpwuid(getuid());
    home = pw ? pw->pw_dir : "/";
  }
  return p[1] ? ck_ckpt_fs_join(home, p + 2) : strdup(home);
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && v[0] ? v : NULL;
}

char *ck_hub_cache_dir(void) {
  const char *v = env("HF_HUB_CACHE");
  if (!v) v = env("HUGGINGFACE_HUB_CACHE");
  if (v) return expand_home(v);
  char *home, *hub;
  if ((v = env("HF_HOME"))) {
    home = expand_home(v);
  } else {
    char *xdg = expand_home(env("XDG_CACHE_HOME") ? env("XDG_CACHE_HOME")
                                                  : "~/.cache");
    home = xdg ? ck_ckpt_fs_join(xdg, "huggingface") : NULL;
    free(xdg);
  }
  hub = home ? ck_ckpt_fs_join(home, "hub") : NULL;
  free(home);
  return hub;
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_hex40(const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f') ||
          (s[n] >= 'A' && s[n] <= 'F')))
      return 0;
  return n == 40;
}

/* The names of the refs under dir (refs/pr/1 style ones included), in
 * name order, as "a, b, c" into buf; depth bounds the walk. */
static void list_refs(const char *dir, const char *prefix, int depth,
                      char *buf, size_t n) {
  struct dirent **e = NULL;
  int k = scandir(dir, &e, NULL, alphasort);
  for (int i = 0; i < k; i++) {
    char *p = e[i]->d_name[0] == '.' ? NULL : ck_ckpt_fs_join(dir, e[i]->d_name);
    char name[512];
    snprintf(name, sizeof name, "%s%s", prefix, e[i]->d_name);
    struct stat st;
    if (p && stat(p, &st) == 0) {
      if (S_ISREG(st.st_mode)) {
        size_t u = strlen(buf);
        snprintf(buf + u, n - u, "%s%s", u ? ", " : "", name);
      } else if (S_ISDIR(st.st_mode) && depth > 0) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s/", name);
        list_refs(p, sub, depth - 1, buf, n);
      }
    }
    free(p);
    free(e[i]);
  }
  free(e);
}

/* The commit a ref file holds (its text without surrounding white space),
 * or NULL when there is no such ref.  1 in *bad for an unreadable one or
 * one that does not hold a 40-hex commit hash (err set). */
static char *read_ref(const char *path, int *bad, ck_error *err) {
  struct stat st;
  *bad = 0;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return NULL;
  size_t len;
  char *text = ck_ckpt_fs_read_small(path, "a ref", &len, err);
  if (!text) {
    *bad = 1;
    return NULL;
  }
  char *s = text;
  while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
  size_t k = strlen(s);
  while (k && (s[k - 1] == ' ' || s[k - 1] == '\n' || s[k - 1] == '\r' ||
               s[k - 1] == '\t'))
    s[--k] = '\0';
  char *hash = is_hex40(s) ? strdup(s) : NULL;
  if (!hash) {
    *bad = 1;
    ck_fail_at(err, STAGE, (ck_about){.file = path},
               "%s: not a commit hash; expected the commit hash of the ref",
               path);
  }
  free(text);
  return hash;
}

int ck_hub_resolve(const char *repo_id, const char *revision, char **dir,
                   char **commit, ck_error *err) {
  *dir = NULL;
  if (commit) *commit = NULL;
  const char *rev = revision ? revision : "main";
  char name[512] = "models--";
  size_t u = strlen(name);
  for (const char *s = repo_id; *s && u + 3 < sizeof name; s++) {
    if (*s == '/') {
      name[u++] = '-';
      name[u++] = '-';
    } else {
      name[u++] = *s;
    }
  }
  name[u] = '\0';
  char *cache = ck_hub_cache_dir();
  char *repo = cache ? ck_ckpt_fs_join(cache, name) : NULL;
  char *refs = repo ? ck_ckpt_fs_join(repo, "refs") : NULL;
  char *ref = refs ? ck_ckpt_fs_join(refs, rev) : NULL;
  char *hash = NULL, *snaps = NULL, *snap = NULL;
  int rc = -1, bad = 0;
  if (!ref) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
    goto done;
  }
  if (!is_dir(repo)) {
    ck_fail_at(err, STAGE, (ck_about){.file = repo},
               "%s is not in the Hugging Face cache: looked for %s; download "
               "it first (e.g. `hf download %s`) or give a folder",
               repo_id, repo, repo_id);
    goto done;
  }
  if (!rev[0] || rev[0] == '/' || strstr(rev, "..")) {
    ck_fail_at(err, STAGE, (ck_about){.file = repo},
               "--revision '%s' is not a branch, tag or commit name", rev);
    goto done;
  }
  hash = read_ref(ref, &bad, err);
  if (bad) goto done;
  if (!hash && is_hex40(rev)) hash = strdup(rev);
  if (!hash) {
    char have[1024] = "";
    list_refs(refs, "", 2, have, sizeof have);
    ck_fail_at(err, STAGE, (ck_about){.file = repo},
               "%s has no revision '%s' in the Hugging Face cache (%s/refs "
               "has %s); give a downloaded branch or tag, or a full "
               "40-character commit hash",
               repo_id, rev, repo, have[0] ? have : "no refs");
    goto done;
  }
  snaps = ck_ckpt_fs_join(repo, "snapshots");
  snap = snaps ? ck_ckpt_fs_join(snaps, hash) : NULL;
  if (!snap) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
    goto done;
  }
  if (!is_dir(snap)) {
    ck_fail_at(err, STAGE, (ck_about){.file = snap},
               "%s: revision '%s' is commit %s, but its snapshot %s is "
               "missing; download it again (e.g. `hf download %s "
               "--revision %s`)",
               repo_id, rev, hash, snap, repo_id, rev);
    goto done;
  }
  *dir = snap;
  snap = NULL;
  if (commit) {
    *commit = hash;
    hash = NULL;
  }
  rc = 0;
done:
  free(cache);
  free(repo);
  free(refs);
  free(ref);
  free(hash);
  free(snaps);
  free(snap);
  return rc;
}

char *ck_hub_repo_of(const char *realdir) {
  const char *s = strrchr(realdir, '/');
  if (!s || s == realdir || !s[1]) return NULL;
  size_t snap = (size_t)(s - realdir); /* ".../snapshots" ends here */
  if (snap < 10 || strncmp(realdir + snap - 10, "/snapshots", 10) != 0)
    return NULL;
  size_t end = snap - 10, start = end;
  while (start > 0 && realdir[start - 1] != '/') start--;
  if (end - start <= 8 || strncmp(realdir + start, "models--", 8) != 0)
    return NULL;
  return strndup(realdir, end);
}

/* ------------------------------------------------------------ symlinks */

static int under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (n == 1 && dir[0] == '/') return path[0] == '/';
  return strncmp(path, dir, n) == 0 && path[n] == '/';
}

int ck_hub_check_link(const char *path, const char *dir,
                      const char *realdir, const char *repo, ck_error *err) {
  struct stat st;
  if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) return 0;
  char raw[PATH_MAX];
  ssize_t n = readlink(path, raw, sizeof raw - 1);
  raw[n < 0 ? 0 : n] = '\0';
  ck_about at = {.file = path};
  char *target = realpath(path, NULL);
  if (!target) {
    if (errno == ELOOP)
      return ck_fail_at(err, STAGE, at,
                        "%s: symbolic link loop (it points to %s); refusing",
                        path, raw);
    if (errno == ENOENT || errno == ENOTDIR)
      return ck_fail_at(err, STAGE, at,
                        "%s: dangling symbolic link to %s; refusing", path,
                        raw);
    return ck_fail_at(err, CK_STAGE_IO, at, "%s: cannot resolve: %s", path,
                      strerror(errno));
  }
  int rc = 0;
  if (!under(target, repo ? repo : realdir))
    rc = ck_fail_at(err, STAGE, at,
                    "%s: symbolic link to %s, outside %s%s; refusing", path,
                    target, repo ? "the cache repo " : "", repo ? repo : dir);
  else if (stat(target, &st) != 0 || !S_ISREG(st.st_mode))
    rc = ck_fail_at(err, STAGE, at,
                    "%s: symbolic link to %s, which is %s; refusing", path,
                    target, stat(target, &st) == 0 && S_ISDIR(st.st_mode)
                                ? "a directory"
                                : "not a regular file");
  free(target);
  return rc;
}
