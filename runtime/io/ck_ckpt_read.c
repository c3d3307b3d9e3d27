/* ck_ckpt_read.c - opening HF and Fast-LLM checkpoint folders.
 *
 * First step of a tensor conversion: validates the folder's layout as
 * upstream's loaders would (plus file-name safety), opens every weight
 * file once through ck_safetensors and exposes the tensors by name.
 * Read-only: nothing is ever created or changed in the input folder. */
#include "ck_ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_ckpt_fs.h"
#include "ck_hub.h"
#include "ck_torchbin.h"
#include "ck_yaml.h"

#define STAGE CK_STAGE_CHECKPOINT

struct ck_ckpt_in {
  ck_ckpt_kind kind;
  char *dir;              /* as given, trailing '/' removed */
  char *realdir;          /* realpath(dir), for symlink checks */
  char *repo;             /* the hub cache repo (models--ORG--NAME) that
                             holds dir as a snapshot, or NULL */
  json_t *config;         /* owned */
  json_t *base_model;     /* borrowed from config, or `empty` */
  json_t *empty;          /* owned {} */
  ck_st_file **files;
  char **file_names;      /* plain names inside dir, parallel to files */
  size_t n_files;
  ck_ckpt_tensor *tensors;
  size_t n;
  int names_owned;        /* fast_llm: tensor names are malloc'd */
  size_t *table;          /* open addressing: tensor index + 1, 0 empty */
  size_t table_mask;
  char *ignored;          /* HF: .bin weights left beside safetensors */
};

/* ---------------------------------------------------------------- paths */

static int has_suffix(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

/* A file name taken from an index or state_index must stay inside the
 * folder: an index is data, and a crafted one must not make ckconv read
 * (and later copy into an output) arbitrary files.  `where` describes the
 * entry ("weight_map entry 'x'") for messages. */
static int check_member(const ck_ckpt_in *c, const char *index_path,
                        const char *where, const char *name, const char *ext,
                        ck_error *err) {
  if (!name[0])
    return ck_fail_at(err, STAGE, (ck_about){.file = index_path},
                      "%s: %s: empty file name", index_path, where);
  if (name[0] == '/')
    return ck_fail_at(err, STAGE, (ck_about){.file = index_path},
                      "%s: %s: file '%s' is an absolute path; "
                      "expected a file name inside %s",
                      index_path, where, name, c->dir);
  if (strchr(name, '/'))
    return ck_fail_at(err, STAGE, (ck_about){.file = index_path},
                      "%s: %s: file '%s' contains '/'; expected a "
                      "plain file name inside %s",
                      index_path, where, name, c->dir);
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return ck_fail_at(err, STAGE, (ck_about){.file = index_path},
                      "%s: %s: file '%s' is not a file name", index_path, where,
                      name);
  if (!has_suffix(name, ext))
    return ck_fail_at(err, STAGE, (ck_about){.file = index_path},
                      "%s: %s: file '%s' is not a %s file", index_path, where,
                      name, ext);
  char *p = ck_ckpt_fs_join(c->dir, name);
  if (!p)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = index_path},
                      "%s: out of memory", index_path);
  struct stat st;
  int rc = 0;
  if (lstat(p, &st) != 0) {
    if (errno == ENOENT)
      rc = ck_fail_at(err, STAGE, (ck_about){.file = index_path},
                      "%s: %s: file '%s' is listed but missing", index_path,
                      where, name);
    else
      rc = ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = index_path},
                      "%s: %s: cannot stat %s: %s", index_path, where, p,
                      strerror(errno));
  } else if (S_ISLNK(st.st_mode)) {
    /* followed or refused by open_files (ck_hub_check_link) */
  } else if (!S_ISREG(st.st_mode)) {
    rc = ck_fail_at(err, STAGE, (ck_about){.file = index_path},
                    "%s: %s: file '%s' is not a regular file", index_path,
                    where, name);
  }
  free(p);
  return rc;
}

static json_t *load_json(const char *path, const char *what, ck_error *err) {
  size_t len;
  char *text = ck_ckpt_fs_read_small(path, what, &len, err);
  if (!text) return NULL;
  json_error_t je;
  json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  free(text);
  if (!v) {
    ck_fail(err, STAGE, "%s:%d:%d: invalid JSON: %s", path, je.line,
            je.column, je.text);
    return NULL;
  }
  if (!json_is_object(v)) {
    json_decref(v);
    ck_fail_at(err, STAGE, (ck_about){.file = path},
               "%s: expected a JSON object at the top level", path);
    return NULL;
  }
  return v;
}

/* ---------------------------------------------------------------- table */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* Insert tensor i; returns the index of an earlier tensor with the same
 * name, or (size_t)-1. */
static size_t table_insert(ck_ckpt_in *c, size_t i) {
  size_t k = (size_t)hash_str(c->tensors[i].name) & c->table_mask;
  while (c->table[k]) {
    size_t j = c->table[k] - 1;
    if (strcmp(c->tensors[j].name, c->tensors[i].name) == 0) return j;
    k = (k + 1) & c->table_mask;
  }
  c->table[k] = i + 1;
  return (size_t)-1;
}

static int table_alloc(ck_ckpt_in *c, size_t n, ck_error *err) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  c->table = calloc(cap, sizeof *c->table);
  c->tensors = calloc(n ? n : 1, sizeof *c->tensors);
  if (!c->table || !c->tensors)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
                      "%s: out of memory for %zu tensors", c->dir, n);
  c->table_mask = cap - 1;
  return 0;
}

/* ---------------------------------------------------------------- files */

/* Open the named files (already checked) in order: a .bin file through
 * the torch zip reader, anything else as safetensors. */
static int open_files(ck_ckpt_in *c, json_t *names, int header_only,
                      ck_error *err) {
  size_t n = json_array_size(names);
  c->files = calloc(n ? n : 1, sizeof *c->files);
  c->file_names = calloc(n ? n : 1, sizeof *c->file_names);
  if (!c->files || !c->file_names)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
                      "%s: out of memory", c->dir);
  for (size_t i = 0; i < n; i++) {
    const char *nm = json_string_value(json_array_get(names, i));
    char *p = ck_ckpt_fs_join(c->dir, nm);
    c->file_names[i] = strdup(nm);
    int linked = p && c->file_names[i] &&
                 ck_hub_check_link(p, c->dir, c->realdir, c->repo, err) == 0;
    if (linked && has_suffix(nm, ".bin"))
      c->files[i] = ck_tb_open(p, header_only, err);
    else if (linked)
      c->files[i] = header_only ? ck_st_open_header_only(p, err)
                                : ck_st_open(p, err);
    else if (!p || !c->file_names[i])
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
                 "%s: out of memory", c->dir);
    free(p);
    if (!c->files[i]) {
      /* ck_ckpt_close frees the first n_files names only */
      free(c->file_names[i]);
      c->file_names[i] = NULL;
      return -1;
    }
    c->n_files = i + 1;
  }
  return 0;
}

/* Add a distinct file name to `list` (array) once, remembering its
 * position in `seen` (object name -> index). */
static int note_file(json_t *list, json_t *seen, const char *name) {
  if (json_object_get(seen, name)) return 0;
  if (json_object_set_new(seen, name,
                          json_integer((json_int_t)json_array_size(list))) ||
      json_array_append_new(list, json_string(name)))
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- HF */

/* PyTorch weight files left beside the safetensors ones (upstream reads
 * the safetensors and ignores them): a note naming them, or NULL. */
static char *note_ignored_bin(const ck_ckpt_in *c) {
  DIR *d = opendir(c->dir);
  if (!d) return NULL;
  char names[600] = "";
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *nm = de->d_name;
    if (strncmp(nm, "pytorch_model", 13) != 0 ||
        !(has_suffix(nm, ".bin") || has_suffix(nm, ".bin.index.json")) ||
        !ck_ckpt_fs_is_file(c->dir, nm))
      continue;
    if (++n <= 3) {
      size_t l = strlen(names);
      snprintf(names + l, sizeof names - l, "%s%.150s", l ? ", " : "", nm);
    }
  }
  closedir(d);
  if (!n) return NULL;
  char *msg = malloc(1024);
  if (msg)
    snprintf(msg, 1024, "%s: PyTorch weights present but ignored (the "
             "safetensors weights are read): %s%s", c->dir, names,
             n > 3 ? ", ..." : "");
  return msg;
}

/* Weight files in upstream's HF loader order of preference:
 * model.safetensors, model.safetensors.index.json, pytorch_model.bin,
 * pytorch_model.bin.index.json.  An index's weight_map lists the files
 * (ext: the suffix they must have); *index / *idx_path are set then. */
static int pick_hf_files(ck_ckpt_in *c, json_t *list, json_t *seen,
                         json_t **index, json_t **wm, char **idx_path,
                         ck_error *err) {
  static const char *const single[] = {"model.safetensors",
                                       "pytorch_model.bin"};
  static const char *const indexes[] = {"model.safetensors.index.json",
                                        "pytorch_model.bin.index.json"};
  static const char *const exts[] = {".safetensors", ".bin"};
  for (int k = 0; k < 2; k++) {
    if (ck_ckpt_fs_is_file(c->dir, single[k])) {
      if (note_file(list, seen, single[k])) goto oom;
    } else if (ck_ckpt_fs_is_file(c->dir, indexes[k])) {
      if (!(*idx_path = ck_ckpt_fs_join(c->dir, indexes[k]))) goto oom;
      /* the index is read only through the one symlink rule */
      if (ck_hub_check_link(*idx_path, c->dir, c->realdir, c->repo, err))
        return -1;
      if (!(*index = load_json(*idx_path, "", err))) return -1;
      *wm = json_object_get(*index, "weight_map");
      if (!json_is_object(*wm))
        return ck_fail_at(err, STAGE, (ck_about){.file = *idx_path},
                          "%s: 'weight_map' is %s, expected an object of "
                          "tensor name -> file name",
                          *idx_path, *wm ? "not an object" : "missing");
      const char *key;
      json_t *v;
      json_object_foreach(*wm, key, v) {
        char where[512];
        snprintf(where, sizeof where, "weight_map entry '%.400s'", key);
        if (!json_is_string(v))
          return ck_fail_at(err, STAGE, (ck_about){.file = *idx_path},
                            "%s: %s: expected a file name string", *idx_path,
                            where);
        const char *fn = json_string_value(v);
        if (json_object_get(seen, fn)) continue;
        if (check_member(c, *idx_path, where, fn, exts[k], err)) return -1;
        if (note_file(list, seen, fn)) goto oom;
      }
    } else {
      continue;
    }
    if (k == 0) c->ignored = note_ignored_bin(c);
    return 0;
  }
  return ck_fail(err, STAGE, "No compatible checkpoint found in %s (looked "
                 "for model.safetensors, model.safetensors.index.json, "
                 "pytorch_model.bin, pytorch_model.bin.index.json)",
                 c->dir);
oom:
  return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
                    "%s: out of memory", c->dir);
}

static int open_hf(ck_ckpt_in *c, int header_only, ck_error *err) {
  char *cfg_path = ck_ckpt_fs_join(c->dir, "config.json");
  char *idx_path = NULL;
  json_t *index = NULL, *wm = NULL;
  json_t *list = json_array(), *seen = json_object();
  int rc = -1;
  if (!cfg_path || !list || !seen) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
               "%s: out of memory", c->dir);
    goto done;
  }
  if (ck_hub_check_link(cfg_path, c->dir, c->realdir, c->repo, err))
    goto done;
  c->config = load_json(cfg_path, "a Hugging Face checkpoint needs "
                        "config.json", err);
  if (!c->config) goto done;
  if (pick_hf_files(c, list, seen, &index, &wm, &idx_path, err)) goto done;

  if (open_files(c, list, header_only, err)) goto done;
  size_t total = 0;
  for (size_t f = 0; f < c->n_files; f++) total += ck_st_count(c->files[f]);
  if (table_alloc(c, total, err)) goto done;
  for (size_t f = 0; f < c->n_files; f++) {
    for (size_t i = 0; i < ck_st_count(c->files[f]); i++) {
      const ck_st_tensor *t = ck_st_tensor_at(c->files[f], i);
      c->tensors[c->n] = (ck_ckpt_tensor){t->name, t, c->files[f]};
      size_t dup = table_insert(c, c->n);
      if (dup != (size_t)-1) {
        ck_fail_at(err, STAGE, (ck_about){.file = c->dir, .tensor = t->name},
                   "%s: tensor '%.400s' is in two files: %s and %s", c->dir,
                   t->name, ck_st_path(c->tensors[dup].file),
                   ck_st_path(c->files[f]));
        goto done;
      }
      c->n++;
    }
  }
  if (wm) {
    const char *key;
    json_t *v;
    json_object_foreach(wm, key, v) {
      const char *fn = json_string_value(v);
      size_t f = (size_t)json_integer_value(json_object_get(seen, fn));
      if (!ck_st_find(c->files[f], key)) {
        ck_fail_at(err, STAGE, (ck_about){.file = idx_path, .key = key},
                   "%s: weight_map entry '%.400s' names %s, which "
                   "does not contain it",
                   idx_path, key, fn);
        goto done;
      }
    }
  }
  rc = 0;
done:
  json_decref(index);
  json_decref(list);
  json_decref(seen);
  free(cfg_path);
  free(idx_path);
  return rc;
}

/* ---------------------------------------------------------------- fast_llm */

/* "N.N.N" -> components; 0 on success.  Only plain release versions:
 * Fast-LLM writes its __version__, which is one. */
static int parse_version(const char *s, long v[8], int *nv) {
  *nv = 0;
  while (*nv < 8) {
    if (*s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    v[(*nv)++] = strtol(s, &end, 10);
    if (errno) return -1;
    s = end;
    if (!*s) return 0;
    if (*s++ != '.') return -1;
  }
  return -1;
}

static int cmp_version(const long *a, int na, const long *b, int nb) {
  for (int i = 0; i < na || i < nb; i++) {
    long x = i < na ? a[i] : 0, y = i < nb ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

static int check_metadata(ck_ckpt_in *c, const char *path, ck_error *err) {
  static const char *const allowed[] = {"config", "fast_llm_version",
                                        "format", "metadata", "model",
                                        "shards"};
  const char *key;
  json_t *v;
  json_object_foreach(c->config, key, v) {
    size_t i = 0;
    while (i < 6 && strcmp(key, allowed[i]) != 0) i++;
    if (i == 6)
      return ck_fail_at(err, STAGE, (ck_about){.file = path, .key = key},
                        "%s: unknown top-level key '%.200s' "
                        "(expected only config, fast_llm_version, format, "
                        "metadata, model, shards)",
                        path, key);
  }
  static const char *const required[] = {"fast_llm_version", "format",
                                         "metadata", "model", "shards"};
  for (size_t i = 0; i < 5; i++)
    if (!json_object_get(c->config, required[i]))
      return ck_fail_at(err, STAGE,
                        (ck_about){.file = path, .key = required[i]},
                        "%s: missing top-level key '%s'", path, required[i]);
  json_t *fmt = json_object_get(c->config, "format");
  if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "fast_llm"))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: format is %s%s%s, expected 'fast_llm'", path,
                      json_is_string(fmt) ? "'" : "",
                      json_is_string(fmt) ? json_string_value(fmt)
                                          : "not a "
                                            "string",
                      json_is_string(fmt) ? "'" : "");
  if (!json_is_string(json_object_get(c->config, "model")))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: model is not a string (expected e.g. "
                      "'gpt')",
                      path);

  json_t *ver = json_object_get(c->config, "fast_llm_version");
  long v_got[8], v_min[8], v_max[8];
  int n_got, n_min, n_max;
  if (!json_is_string(ver) ||
      parse_version(json_string_value(ver), v_got, &n_got))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: fast_llm_version is not a version "
                      "string like '%s'",
                      path, CK_CKPT_FAST_LLM_VERSION);
  parse_version(CK_CKPT_FAST_LLM_MIN_VERSION, v_min, &n_min);
  parse_version(CK_CKPT_FAST_LLM_VERSION, v_max, &n_max);
  if (cmp_version(v_got, n_got, v_max, n_max) > 0)
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: fast_llm_version %s: written by a "
                      "newer Fast-LLM (ckconv reads up to %s)",
                      path, json_string_value(ver), CK_CKPT_FAST_LLM_VERSION);
  if (cmp_version(v_got, n_got, v_min, n_min) < 0)
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: fast_llm_version %s is no longer "
                      "supported (expected %s or newer)",
                      path, json_string_value(ver),
                      CK_CKPT_FAST_LLM_MIN_VERSION);

  json_t *shards = json_object_get(c->config, "shards");
  int has_weights = 0;
  size_t i;
  json_t *s;
  if (!json_is_array(shards))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: shards is not a list", path);
  json_array_foreach(shards, i, s) {
    if (!json_is_string(s))
      return ck_fail_at(err, STAGE, (ck_about){.file = path},
                        "%s: shards[%zu] is not a string", path, i);
    if (strcmp(json_string_value(s), "weights") == 0) has_weights = 1;
  }
  if (!has_weights)
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: shards does not contain 'weights'", path);

  json_t *cfg = json_object_get(c->config, "config");
  if (cfg && !json_is_object(cfg))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: config is not a mapping", path);
  json_t *bm = cfg ? json_object_get(cfg, "base_model") : NULL;
  if (bm && !json_is_object(bm))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: config.base_model is not a mapping", path);
  if (bm) c->base_model = bm;

  json_t *md = json_object_get(c->config, "metadata");
  json_t *si = json_is_object(md) ? json_object_get(md, "state_index") : NULL;
  if (!json_is_object(si))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: metadata.state_index is %s, expected a "
                      "mapping of 'name/shard' -> file name",
                      path,
                      !json_is_object(md) ? "absent (metadata is not a "
                                            "mapping)"
                      : si                ? "not a mapping"
                                          : "missing");
  return 0;
}

/* Parse and check metadata.yaml's text into c->config, and list the
 * distinct files of its state_index (checked names) in `list`/`seen`. */
static int parse_metadata(ck_ckpt_in *c, const char *path, const char *text,
                          size_t len, json_t *list, json_t *seen,
                          ck_error *err) {
  c->config = ck_yaml_load(text, len, path, err);
  if (!c->config) {
    ck_error_restage(err, STAGE);
    return -1;
  }
  if (!json_is_object(c->config))
    return ck_fail_at(err, STAGE, (ck_about){.file = path},
                      "%s: expected a mapping at the top level", path);
  if (check_metadata(c, path, err)) return -1;

  json_t *si = json_object_get(json_object_get(c->config, "metadata"),
                               "state_index");
  const char *key;
  json_t *v;
  json_object_foreach(si, key, v) {
    char where[512];
    snprintf(where, sizeof where, "state_index entry '%.400s'", key);
    const char *slash = strchr(key, '/');
    if (!slash || slash == key || !slash[1])
      return ck_fail_at(err, STAGE, (ck_about){.file = path},
                        "%s: %s: expected a key "
                        "'parameter/shard'",
                        path, where);
    if (!json_is_string(v))
      return ck_fail_at(err, STAGE, (ck_about){.file = path},
                        "%s: %s: expected a file name string", path, where);
    const char *fn = json_string_value(v);
    if (json_object_get(seen, fn)) continue;
    if (check_member(c, path, where, fn, ".safetensors", err)) return -1;
    if (note_file(list, seen, fn))
      return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
                        "%s: out of memory", c->dir);
  }
  return 0;
}

static int open_fast_llm(ck_ckpt_in *c, int header_only, ck_error *err) {
  char *path = ck_ckpt_fs_join(c->dir, "metadata.yaml");
  json_t *list = json_array(), *seen = json_object();
  char *text = NULL;
  int rc = -1;
  if (!path || !list || !seen) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
               "%s: out of memory", c->dir);
    goto done;
  }
  size_t len;
  if (ck_hub_check_link(path, c->dir, c->realdir, c->repo, err)) goto done;
  text = ck_ckpt_fs_read_small(path, "a fast_llm checkpoint needs "
                               "metadata.yaml", &len, err);
  if (!text) goto done;
  if (parse_metadata(c, path, text, len, list, seen, err)) goto done;
  if (open_files(c, list, header_only, err)) goto done;
  json_t *si = json_object_get(json_object_get(c->config, "metadata"),
                               "state_index");
  const char *key;
  json_t *v;

  /* Every file tensor must be indexed to this very file ... */
  size_t total = 0;
  for (size_t f = 0; f < c->n_files; f++) total += ck_st_count(c->files[f]);
  c->names_owned = 1;
  if (table_alloc(c, total, err)) goto done;
  for (size_t f = 0; f < c->n_files; f++) {
    for (size_t i = 0; i < ck_st_count(c->files[f]); i++) {
      const ck_st_tensor *t = ck_st_tensor_at(c->files[f], i);
      json_t *fv = json_object_get(si, t->name);
      if (!fv || strcmp(json_string_value(fv), c->file_names[f]) != 0) {
        ck_fail_at(
            err, STAGE,
            (ck_about){.file = ck_st_path(c->files[f]), .tensor = t->name},
            "%s: tensor '%.400s' %s%s%s", ck_st_path(c->files[f]), t->name,
            fv ? "is indexed under " : "is not in metadata.yaml's state_index",
            fv ? json_string_value(fv) : "",
            fv ? " in metadata.yaml's "
                 "state_index"
               : "");
        goto done;
      }
      const char *slash = strchr(t->name, '/');
      if (strcmp(slash + 1, "weights") != 0) continue;
      char *name = strndup(t->name, (size_t)(slash - t->name));
      if (!name) {
        ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
                   "%s: out of memory", c->dir);
        goto done;
      }
      c->tensors[c->n] = (ck_ckpt_tensor){name, t, c->files[f]};
      c->n++;
      table_insert(c, c->n - 1); /* unique: state_index keys are */
    }
  }
  /* ... and every index entry present in its file. */
  json_object_foreach(si, key, v) {
    const char *fn = json_string_value(v);
    size_t f = (size_t)json_integer_value(json_object_get(seen, fn));
    if (!ck_st_find(c->files[f], key)) {
      ck_fail_at(err, STAGE, (ck_about){.file = path, .key = key},
                 "%s: state_index entry '%.400s' names %s, which "
                 "does not contain it",
                 path, key, fn);
      goto done;
    }
  }
  rc = 0;
done:
  free(text);
  free(path);
  json_decref(list);
  json_decref(seen);
  return rc;
}

/* ---------------------------------------------------------------- API */

/* metadata.yaml and config.json decide the layout: a link among them
 * that the symlink rule refuses (dangling, outside, ...) is named as
 * such rather than making the folder look like no checkpoint. */
static int check_top_links(const char *dir, ck_error *err) {
  char *real = realpath(dir, NULL);
  if (!real) return 0; /* reported by the caller's stat */
  char *repo = ck_hub_repo_of(real);
  static const char *const names[] = {"metadata.yaml", "config.json"};
  int rc = 0;
  for (size_t i = 0; i < 2 && !rc; i++) {
    char *p = ck_ckpt_fs_join(dir, names[i]);
    rc = p ? ck_hub_check_link(p, dir, real, repo, err)
           : ck_fail(err, CK_STAGE_IO, "out of memory");
    free(p);
  }
  free(repo);
  free(real);
  return rc;
}

int ck_ckpt_detect(const char *dir, ck_ckpt_kind *kind, ck_error *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return ck_fail_at(err, errno == ENOENT ? STAGE : CK_STAGE_IO,
                      (ck_about){.file = dir}, "%s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return ck_fail_at(err, STAGE, (ck_about){.file = dir},
                      "%s: not a directory (expected a checkpoint "
                      "folder)",
                      dir);
  if (check_top_links(dir, err)) return -1;
  if (ck_ckpt_fs_is_file(dir, "metadata.yaml")) {
    *kind = CK_CKPT_FAST_LLM;
    return 0;
  }
  if (ck_ckpt_fs_is_file(dir, "config.json")) {
    *kind = CK_CKPT_HF;
    return 0;
  }
  return ck_fail_at(err, STAGE, (ck_about){.file = dir},
                    "%s: not a checkpoint folder: looked for "
                    "metadata.yaml (fast_llm) and config.json (Hugging Face), "
                    "found neither",
                    dir);
}

/* An empty ck_ckpt_in for the folder dir (which must exist). */
static ck_ckpt_in *new_in(const char *dir, ck_ckpt_kind kind, ck_error *err) {
  ck_ckpt_in *c = calloc(1, sizeof *c);
  if (!c || !(c->dir = strdup(dir)) || !(c->empty = json_object())) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = dir}, "%s: out of memory",
               dir);
    ck_ckpt_close(c);
    return NULL;
  }
  size_t dl = strlen(c->dir);
  while (dl > 1 && c->dir[dl - 1] == '/') c->dir[--dl] = '\0';
  c->kind = kind;
  c->base_model = c->empty;
  struct stat st;
  if (stat(c->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    ck_fail_at(err, STAGE, (ck_about){.file = c->dir}, "%s: not a directory",
               c->dir);
    ck_ckpt_close(c);
    return NULL;
  }
  if (!(c->realdir = realpath(c->dir, NULL))) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
               "%s: cannot resolve: %s", c->dir, strerror(errno));
    ck_ckpt_close(c);
    return NULL;
  }
  c->repo = ck_hub_repo_of(c->realdir);
  return c;
}

ck_ckpt_in *ck_ckpt_open(const char *dir, ck_ckpt_kind kind, int header_only,
                         ck_error *err) {
  ck_ckpt_in *c = new_in(dir, kind, err);
  if (!c) return NULL;
  int rc = kind == CK_CKPT_FAST_LLM ? open_fast_llm(c, header_only, err)
                                    : open_hf(c, header_only, err);
  if (rc) {
    ck_ckpt_close(c);
    return NULL;
  }
  return c;
}

int ck_ckpt_check_metadata(const char *dir, const char *text, size_t len,
                           ck_error *err) {
  ck_ckpt_in *c = new_in(dir, CK_CKPT_FAST_LLM, err);
  if (!c) return -1;
  char *path = ck_ckpt_fs_join(c->dir, "metadata.yaml");
  json_t *list = json_array(), *seen = json_object();
  int rc = !path || !list || !seen
               ? ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = c->dir},
                            "%s: out of memory", c->dir)
               : parse_metadata(c, path, text, len, list, seen, err);
  json_decref(list);
  json_decref(seen);
  free(path);
  ck_ckpt_close(c);
  return rc;
}

void ck_ckpt_close(ck_ckpt_in *c) {
  if (!c) return;
  if (c->names_owned)
    for (size_t i = 0; i < c->n; i++) free((char *)c->tensors[i].name);
  for (size_t i = 0; i < c->n_files; i++) {
    ck_st_close(c->files[i]);
    free(c->file_names[i]);
  }
  free(c->files);
  free(c->file_names);
  free(c->tensors);
  free(c->table);
  json_decref(c->config);
  json_decref(c->empty);
  free(c->ignored);
  free(c->realdir);
  free(c->repo);
  free(c->dir);
  free(c);
}

ck_ckpt_kind ck_ckpt_kind_of(const ck_ckpt_in *c) { return c->kind; }
const char *ck_ckpt_dir(const ck_ckpt_in *c) { return c->dir; }
size_t ck_ckpt_count(const ck_ckpt_in *c) { return c->n; }

const ck_ckpt_tensor *ck_ckpt_at(const ck_ckpt_in *c, size_t i) {
  return i < c->n ? &c->tensors[i] : NULL;
}

const ck_ckpt_tensor *ck_ckpt_find(const ck_ckpt_in *c, const char *name) {
  size_t k = (size_t)hash_str(name) & c->table_mask;
  while (c->table[k]) {
    const ck_ckpt_tensor *t = &c->tensors[c->table[k] - 1];
    if (strcmp(t->name, name) == 0) return t;
    k = (k + 1) & c->table_mask;
  }
  return NULL;
}

size_t ck_ckpt_file_count(const ck_ckpt_in *c) { return c->n_files; }
const ck_st_file *ck_ckpt_file_at(const ck_ckpt_in *c, size_t i) {
  return i < c->n_files ? c->files[i] : NULL;
}

json_t *ck_ckpt_config(const ck_ckpt_in *c) { return c->config; }
json_t *ck_ckpt_base_model(const ck_ckpt_in *c) { return c->base_model; }
const char *ck_ckpt_ignored(const ck_ckpt_in *c) { return c->ignored; }
