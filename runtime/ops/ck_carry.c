/* ck_carry.c - which files of an input folder a conversion carries
 * (see ck_carry.h). */
#include "ck_carry.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ck_ckpt_fs.h"
#include "ck_config.h"
#include "ck_hub.h"

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Weight files of any kind, by their name. */
static int weight_file(const char *name) {
  static const char *const kinds[] = {".safetensors", ".bin", ".pt", ".pth",
                                      ".ckpt", ".h5", ".msgpack", ".gguf",
                                      ".onnx", ".safetensors.index.json",
                                      ".bin.index.json"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (has_suffix(name, kinds[i])) return 1;
  return 0;
}

/* The input checkpoint's own files: its config, index, marker, shards. */
static int checkpoint_file(const ck_ckpt_in *in, const char *name) {
  if (strcmp(name, "config.json") == 0 || strcmp(name, "metadata.yaml") == 0 ||
      strcmp(name, "ok") == 0 ||
      strcmp(name, "model.safetensors.index.json") == 0)
    return 1;
  for (size_t f = 0; f < ck_ckpt_file_count(in); f++) {
    const char *p = ck_st_path(ck_ckpt_file_at(in, f));
    const char *base = strrchr(p, '/');
    if (strcmp(base ? base + 1 : p, name) == 0) return 1;
    /* the index of .bin shards read */
    if (has_suffix(p, ".bin") &&
        strcmp(name, "pytorch_model.bin.index.json") == 0)
      return 1;
  }
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const ck_carried *)a)->name, ((const ck_carried *)b)->name);
}

long ck_carry_list(ck_rt *rt, const ck_ckpt_in *in, ck_carried **out,
                   ck_carry_skip_fn skip, void *skip_arg, ck_error *err) {
  const char *dir = ck_ckpt_dir(in);
  /* a symbolic link is carried only under the rule every input file
   * follows (ck_hub_check_link): to a regular file inside the folder, or
   * inside the hub cache repo of a snapshot; never elsewhere */
  char rdir[PATH_MAX];
  if (!realpath(dir, rdir))
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = dir},
                      "%s: cannot resolve: %s", dir, strerror(errno));
  DIR *d = opendir(dir);
  if (!d)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = dir},
                      "%s: cannot list: %s", dir, strerror(errno));
  char *repo = ck_hub_repo_of(rdir);
  size_t n = 0, cap = 16;
  ck_carried *list = ck_rt_alloc(rt, cap * sizeof *list);
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *name = e->d_name;
    if (name[0] == '.' || checkpoint_file(in, name)) continue;
    char *joined = ck_ckpt_fs_join(dir, name);
    if (!joined) abort(); /* as the arena does */
    const char *path = ck_rt_strdup(rt, joined);
    free(joined);
    struct stat ls, st;
    ck_error link_err;
    const char *why = NULL;
    if (lstat(path, &ls) != 0 || stat(path, &st) != 0)
      why = "cannot be read";
    else if (S_ISDIR(st.st_mode))
      why = "a folder (only the files beside the weights are carried)";
    else if (!S_ISREG(st.st_mode))
      why = "not a regular file";
    else if (S_ISLNK(ls.st_mode) &&
             ck_hub_check_link(path, dir, rdir, repo, &link_err) != 0)
      why = "a symbolic link out of the input folder";
    else if (weight_file(name))
      why = "weights of another kind or checkpoint (the output holds the "
            "converted ones only)";
    else if (ck_ckpt_out_reserved_name(name))
      why = "a name the output checkpoint uses itself";
    else if ((uint64_t)st.st_size > CK_CKPT_FS_SMALL_MAX)
      why = "larger than 1 GiB (not a tokenizer or config file)";
    if (why) {
      if (skip) skip(skip_arg, name, path, why);
      continue;
    }
    if (n == cap) { /* the arena aborts on out of memory, as for configs */
      ck_carried *m = ck_rt_alloc(rt, 2 * cap * sizeof *list);
      memcpy(m, list, n * sizeof *list);
      list = m;
      cap *= 2;
    }
    list[n++] = (ck_carried){ck_rt_strdup(rt, name), path,
                             (uint64_t)st.st_size};
  }
  closedir(d);
  free(repo);
  qsort(list, n, sizeof *list, by_name);
  *out = list;
  return (long)n;
}
