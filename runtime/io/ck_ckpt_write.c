/* ck_ckpt_write.c - writing HF and Fast-LLM checkpoint folders.
 *
 * Last step of a tensor conversion: splits the exported tensors into
 * model_{k}.safetensors files as upstream's StateDictSaver does, streams
 * them through ck_st_writer one file at a time (write_all) or lays them
 * all out for writes at known offsets (layout, the fast path), writes the
 * small files byte-exact, and publishes the folder with one rename
 * (crash-safe). */
#include "ck_ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_ckpt_fs.h"
#include "ck_ckpt_out_priv.h"
#include "ck_fault.h"
#include "ck_json_out.h"
#include "ck_yaml.h"

#define STAGE CK_STAGE_CHECKPOINT
#define DEFAULT_PER_FILE ((uint64_t)1 << 32)

/* The temporary folder being written, for ck_ckpt_out_interrupted: one
 * output at a time per process (the command writes one). */
static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static char active_tmp[4096], active_out[4096];
static int active_staged; /* kept for --resume, not removed */

static void set_active(const char *tmp, const char *out) {
  pthread_mutex_lock(&active_mu);
  active_staged = 0;
  snprintf(active_tmp, sizeof active_tmp, "%s", tmp ? tmp : "");
  snprintf(active_out, sizeof active_out, "%s", out ? out : "");
  pthread_mutex_unlock(&active_mu);
}

int ck_ckpt_out_interrupted(char *out_dir, size_t n) {
  pthread_mutex_lock(&active_mu);
  int had = active_tmp[0] != '\0';
  if (had && active_staged) {
    snprintf(out_dir, n, "%s", active_out);
    had = 2;
  } else if (had) {
    /* a writer thread may still create a file between the walk and the
     * rmdir: a few passes */
    for (int pass = 0; pass < 5 && ck_ckpt_fs_rm_rf(active_tmp) != 0; pass++)
      ;
    snprintf(out_dir, n, "%s", active_out);
    active_tmp[0] = active_out[0] = '\0';
  }
  pthread_mutex_unlock(&active_mu);
  return had;
}
#define MIN_PER_FILE ((uint64_t)1 << 20)


/* ---------------------------------------------------------------- begin */

/* PID if name is exactly prefix followed by decimal digits, else 0. */
static long pid_suffix(const char *name, const char *prefix) {
  size_t n = strlen(prefix);
  if (strncmp(name, prefix, n) != 0 || !name[n]) return 0;
  long pid = 0;
  for (const char *p = name + n; *p; p++) {
    if (*p < '0' || *p > '9' || pid > 99999999) return 0;
    pid = pid * 10 + (*p - '0');
  }
  return pid;
}

/* A process that no longer exists (ESRCH), or our own pid, which cannot
 * have written anything yet under this run's names. */
static int pid_gone(long pid) {
  if (pid == (long)getpid()) return 1;
  return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Leftovers of runs to the same out_dir that were killed (SIGKILL, power
 * loss) and so could not clean up.  Names carry the writer's pid; those
 * of live processes (a concurrent run) are never touched.
 *   .NAME.ckconv-tmp-PID: never published, maybe partial: removed.
 *   .NAME.ckconv-old-PID: the out_dir a --force run had moved aside.  If
 *     out_dir is absent, that run died between its two renames: the old
 *     folder is put back, restoring the state before that run.  Else the
 *     new folder was published and the old copy is garbage: removed.
 * Best effort: what cannot be removed stays, and does not stop this run
 * (its own names differ unless its pid was reused, a case mkdir reports).
 */
static void clean_stale(const ck_ckpt_out *o, const char *base) {
  DIR *d = opendir(o->parent);
  if (!d) return;
  size_t bl = strlen(base);
  char *tmp_prefix = malloc(bl + 32), *old_prefix = malloc(bl + 32);
  if (!tmp_prefix || !old_prefix) goto done;
  snprintf(tmp_prefix, bl + 32, ".%s.ckconv-tmp-", base);
  snprintf(old_prefix, bl + 32, ".%s.ckconv-old-", base);
  struct dirent *e;
  while ((e = readdir(d))) {
    long tmp_pid = pid_suffix(e->d_name, tmp_prefix);
    long old_pid = pid_suffix(e->d_name, old_prefix);
    if ((!tmp_pid && !old_pid) || !pid_gone(tmp_pid ? tmp_pid : old_pid))
      continue;
    char *p = ck_ckpt_fs_join(o->parent, e->d_name);
    if (!p) break;
    struct stat st;
    if (old_pid && lstat(o->out_dir, &st) != 0 && errno == ENOENT) {
      if (rename(p, o->out_dir) == 0) ck_ckpt_fs_sync_dir(o->parent);
    } else {
      (void)ck_ckpt_fs_rm_rf(p);
    }
    free(p);
  }
done:
  free(tmp_prefix);
  free(old_prefix);
  closedir(d);
}

/* 1 when dir is a directory with nothing in it. */
static int empty_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  int empty = 1;
  while (empty && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
  closedir(d);
  return empty;
}

/* What may stand at out_dir: nothing, an empty folder (made for the
 * output: taken as it is), or, with --force, a checkpoint folder (HF or
 * fast_llm) to replace.  Anything else -- a file, a folder of other
 * things -- is never replaced: --force must not delete what is not a
 * checkpoint. */
static int check_replaceable(const ck_ckpt_out *o, ck_error *err) {
  struct stat st;
  if (lstat(o->out_dir, &st) != 0) {
    if (errno == ENOENT) return 0;
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->out_dir},
                      "%s: cannot stat: %s", o->out_dir, strerror(errno));
  }
  if (!S_ISDIR(st.st_mode))
    return ck_fail_at(err, STAGE, (ck_about){.file = o->out_dir},
                      "%s exists and is not a folder; ckconv writes a new "
                      "folder and replaces (with --force) only a checkpoint "
                      "folder", o->out_dir);
  if (empty_dir(o->out_dir)) return 0;
  ck_ckpt_kind kind;
  ck_error e;
  ck_error_clear(&e);
  if (ck_ckpt_detect(o->out_dir, &kind, &e) != 0)
    return ck_fail_at(err, STAGE, (ck_about){.file = o->out_dir},
                      "%s exists and is not a checkpoint folder (no "
                      "config.json or metadata.yaml); ckconv replaces only "
                      "a checkpoint (with --force), choose another output",
                      o->out_dir);
  if (!o->force)
    return ck_fail_at(err, STAGE, (ck_about){.file = o->out_dir},
                      "%s exists; use --force to replace it", o->out_dir);
  return 0;
}

/* begin, and begin_staged (staged: the stable staging folder, kept). */
static ck_ckpt_out *begin(const char *out_dir, ck_ckpt_kind kind, int force,
                          int staged, ck_error *err) {
  ck_ckpt_out *o = calloc(1, sizeof *o);
  if (!o) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
    return NULL;
  }
  o->kind = kind;
  o->force = force;
  o->lock_fd = -1;
  o->staged = staged;
  if (!out_dir) return o;

  char *d = strdup(out_dir);
  if (!d) goto oom;
  size_t len = strlen(d);
  while (len > 1 && d[len - 1] == '/') d[--len] = '\0';
  o->out_dir = d;
  char *slash = strrchr(d, '/');
  const char *base = slash ? slash + 1 : d;
  if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
    ck_fail_at(err, STAGE, (ck_about){.file = out_dir},
               "%s: the output must name a new directory (not "
               "'.', '..' or '/')",
               out_dir);
    goto fail;
  }
  o->parent = slash ? strndup(d, slash == d ? 1 : (size_t)(slash - d))
                    : strdup(".");
  if (!o->parent) goto oom;
  size_t cap = strlen(o->parent) + strlen(base) + 64;
  o->tmp_dir = malloc(cap);
  o->old_dir = malloc(cap);
  if (!o->tmp_dir || !o->old_dir) goto oom;
  const char *sep = strcmp(o->parent, "/") == 0 ? "" : "/";
  if (staged)
    snprintf(o->tmp_dir, cap, "%s%s.%s.ckconv-staging", o->parent, sep, base);
  else
    snprintf(o->tmp_dir, cap, "%s%s.%s.ckconv-tmp-%ld", o->parent, sep, base,
             (long)getpid());
  snprintf(o->old_dir, cap, "%s%s.%s.ckconv-old-%ld", o->parent, sep, base,
           (long)getpid());

  clean_stale(o, base);
  if (check_replaceable(o, err)) goto fail;
  if (ck_ckpt_fs_mkdir_p(o->parent, err)) goto fail;
  struct stat st;
  if (staged && lstat(o->tmp_dir, &st) == 0 && S_ISDIR(st.st_mode)) {
    /* an earlier run's or a concurrent part's: resumed */
  } else if (mkdir(o->tmp_dir, 0755) != 0 && !(staged && errno == EEXIST)) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->out_dir},
               "%s: cannot create its temporary folder %s: %s%s", o->out_dir,
               o->tmp_dir, strerror(errno),
               errno == EEXIST ? " (left by an "
                                 "interrupted run? remove it)"
                               : "");
    goto fail;
  }
  o->tmp_exists = 1;
  set_active(o->tmp_dir, o->out_dir);
  if (staged) {
    pthread_mutex_lock(&active_mu);
    active_staged = 1;
    pthread_mutex_unlock(&active_mu);
  }
  return o;
oom:
  ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = out_dir}, "%s: out of memory",
             out_dir);
fail:
  ck_ckpt_out_abort(o);
  return NULL;
}

ck_ckpt_out *ck_ckpt_out_begin(const char *out_dir, ck_ckpt_kind kind,
                               int force, ck_error *err) {
  return begin(out_dir, kind, force, 0, err);
}

ck_ckpt_out *ck_ckpt_out_begin_staged(const char *out_dir, ck_ckpt_kind kind,
                                      int force, ck_error *err) {
  return begin(out_dir, kind, force, 1, err);
}

/* ---------------------------------------------------------------- plan */

void ck_ckpt_out_set_max_file_bytes(ck_ckpt_out *o, uint64_t bytes) {
  o->max_file_bytes = bytes;
}

/* Upstream's StateDictSaver: add tensors in export order, and as soon as
 * the running element count reaches the limit, the pending tensors make
 * a file; whatever is left makes the last one.  A file can exceed the
 * limit by up to one tensor. */
int ck_ckpt_out_plan(ck_ckpt_out *o, const ck_ckpt_out_tensor *t, size_t n,
                     uint64_t parameters_per_file, ck_error *err) {
  const char *where = o->out_dir ? o->out_dir : "plan";
  if (o->planned || o->t)
    return ck_fail_at(err, STAGE, (ck_about){.file = where},
                      "%s: tensors already planned", where);
  uint64_t ppf = parameters_per_file ? parameters_per_file : DEFAULT_PER_FILE;
  const char *env = getenv("CK_MIN_PARAMETERS_PER_FILE_OK");
  int lifted = env && strcmp(env, "1") == 0;
  if (ppf < MIN_PER_FILE && !lifted)
    return ck_fail(err, STAGE, "parameters_per_file %" PRIu64 " is below "
                   "the minimum of 2**20 (%" PRIu64 ")", ppf, MIN_PER_FILE);
  if (n && !t)
    return ck_fail_at(err, STAGE, (ck_about){.file = where},
                      "%s: %zu tensors but no array", where, n);

  o->t = calloc(n ? n : 1, sizeof *o->t);
  o->keys = calloc(n ? n : 1, sizeof *o->keys);
  o->file_of = calloc(n ? n : 1, sizeof *o->file_of);
  o->file_first = calloc(n + 1, sizeof *o->file_first);
  json_t *names = json_object();
  int rc = -1;
  if (!o->t || !o->keys || !o->file_of || !o->file_first || !names) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = where},
               "%s: out of memory planning %zu tensors", where, n);
    goto done;
  }
  uint64_t count = 0;
  size_t file = 0;
  for (size_t i = 0; i < n; i++) {
    const char *nm = t[i].name;
    if (!nm || !*nm) {
      ck_fail_at(err, STAGE, (ck_about){.file = where},
                 "%s: planned tensor #%zu has no name", where, i);
      goto done;
    }
    if (o->kind == CK_CKPT_FAST_LLM && strchr(nm, '/')) {
      ck_fail_at(err, STAGE, (ck_about){.file = where, .tensor = nm},
                 "%s: tensor '%.400s': a Fast-LLM parameter name "
                 "may not contain '/'",
                 where, nm);
      goto done;
    }
    if (strcmp(nm, "__metadata__") == 0) {
      ck_fail_at(err, STAGE, (ck_about){.file = where},
                 "%s: tensor '__metadata__': reserved name", where);
      goto done;
    }
    if (json_object_get(names, nm)) {
      ck_fail_at(err, STAGE, (ck_about){.file = where, .tensor = nm},
                 "%s: tensor '%.400s' planned twice (#%zu and "
                 "#%zu)",
                 where, nm,
                 (size_t)json_integer_value(json_object_get(names, nm)), i);
      goto done;
    }
    if (json_object_set_new(names, nm, json_integer((json_int_t)i))) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = where},
                 "%s: out of memory", where);
      goto done;
    }
    if (ck_dtype_size(t[i].dtype) == 0 || t[i].ndim < 0 ||
        t[i].ndim > CK_ST_MAX_RANK) {
      ck_fail_at(err, STAGE, (ck_about){.file = where, .tensor = nm},
                 "%s: tensor '%.400s': invalid dtype %d or rank "
                 "%d",
                 where, nm, (int)t[i].dtype, t[i].ndim);
      goto done;
    }
    uint64_t numel = 1;
    for (int d = 0; d < t[i].ndim; d++)
      if (__builtin_mul_overflow(numel, t[i].shape[d], &numel)) {
        ck_fail_at(err, STAGE, (ck_about){.file = where, .tensor = nm},
                   "%s: tensor '%.400s': more than 2^64 elements", where, nm);
        goto done;
      }
    o->t[i] = t[i];
    o->t[i].name = strdup(nm);
    size_t kl = strlen(nm) + sizeof "/weights";
    o->keys[i] = malloc(kl);
    o->n = i + 1;
    if (!o->t[i].name || !o->keys[i]) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = where},
                 "%s: out of memory", where);
      goto done;
    }
    snprintf(o->keys[i], kl, "%s%s", nm,
             o->kind == CK_CKPT_FAST_LLM ? "/weights" : "");
    if (o->max_file_bytes) {
      /* Hugging Face's rule: a tensor that would take a non-empty file
       * past the size starts the next one (alone, if larger) */
      uint64_t bytes = numel * ck_dtype_size(t[i].dtype);
      if (count && (count + bytes > o->max_file_bytes || count + bytes < count)) {
        o->file_first[++file] = i;
        count = 0;
      }
      o->file_of[i] = file;
      count += bytes;
      continue;
    }
    o->file_of[i] = file;
    if (__builtin_add_overflow(count, numel, &count)) count = UINT64_MAX;
    if (count >= ppf) {
      o->file_first[++file] = i + 1;
      count = 0;
    }
  }
  o->n_files = o->file_first[file] < n ? file + 1 : file;
  o->file_first[o->n_files] = n;
  o->file_names = calloc(o->n_files ? o->n_files : 1, sizeof *o->file_names);
  if (!o->file_names) {
    ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = where}, "%s: out of memory",
               where);
    goto done;
  }
  for (size_t f = 0; f < o->n_files; f++) {
    char buf[64];
    snprintf(buf, sizeof buf, "model_%zu.safetensors", f);
    if (!(o->file_names[f] = strdup(buf))) {
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = where},
                 "%s: out of memory", where);
      goto done;
    }
  }
  o->planned = 1;
  rc = 0;
done:
  json_decref(names);
  return rc;
}

size_t ck_ckpt_out_file_count(const ck_ckpt_out *o) { return o->n_files; }

const char *ck_ckpt_out_file_name(const ck_ckpt_out *o, size_t f) {
  return f < o->n_files ? o->file_names[f] : NULL;
}

void ck_ckpt_out_file_range(const ck_ckpt_out *o, size_t f, size_t *first,
                            size_t *end) {
  *first = f < o->n_files ? o->file_first[f] : o->n;
  *end = f < o->n_files ? o->file_first[f + 1] : o->n;
}

size_t ck_ckpt_out_tensor_file(const ck_ckpt_out *o, size_t i) {
  return i < o->n ? o->file_of[i] : o->n_files;
}

const char *ck_ckpt_out_tensor_key(const ck_ckpt_out *o, size_t i) {
  return i < o->n ? o->keys[i] : NULL;
}

const char *ck_ckpt_out_tmp_dir(const ck_ckpt_out *o) {
  return o->out_dir ? o->tmp_dir : NULL;
}

/* The safetensors writer of output file f: the one place that turns the
 * plan into writer entries, so the streamed write, the positional write
 * and `plan` lay out every file identically.  create: make the file in
 * the temp dir (ck_st_writer_open), else plan it only (ck_st_writer_plan). */
ck_st_writer *ck_ckpt_out_file_writer(const ck_ckpt_out *o, size_t f,
                                     int create, ck_error *err) {
  size_t first = o->file_first[f], cnt = o->file_first[f + 1] - first;
  ck_st_plan_entry *e = calloc(cnt ? cnt : 1, sizeof *e);
  char *path = create ? ck_ckpt_fs_join(o->tmp_dir, o->file_names[f]) : NULL;
  if (!e || (create && !path)) {
    free(e);
    free(path);
    ck_fail_at(err, CK_STAGE_IO,
               (ck_about){.file = o->out_dir ? o->tmp_dir : "plan"},
               "%s: out of memory", o->out_dir ? o->tmp_dir : "plan");
    return NULL;
  }
  for (size_t i = 0; i < cnt; i++)
    e[i] = (ck_st_plan_entry){o->keys[first + i], o->t[first + i].dtype,
                              o->t[first + i].ndim, o->t[first + i].shape};
  const char *const *mk = (const char *const *)o->mk;
  const char *const *mv = (const char *const *)o->mv;
  ck_st_writer *w =
      create ? ck_st_writer_open(path, e, cnt, mk, mv, o->n_meta, err)
             : ck_st_writer_plan(o->file_names[f], e, cnt, mk, mv, o->n_meta,
                                 err);
  free(e);
  free(path);
  return w;
}

/* Where file f's tensors land, without writing (see file_writer). */
int ck_ckpt_out_file_layout(const ck_ckpt_out *o, size_t f, uint64_t *offset,
                            uint64_t *header_len, uint64_t *size,
                            ck_error *err) {
  if (!o->planned || !o->meta_set || f >= o->n_files)
    return ck_fail(err, STAGE, "file layout needs plan and set_meta first");
  size_t cnt = o->file_first[f + 1] - o->file_first[f];
  ck_st_writer *w = ck_ckpt_out_file_writer(o, f, 0, err);
  if (!w) return -1;
  for (size_t i = 0; i < cnt; i++) offset[i] = ck_st_writer_offset(w, i);
  *header_len = ck_st_writer_header_len(w);
  *size = 8 + *header_len + ck_st_writer_data_len(w);
  ck_st_writer_abort(w);
  return 0;
}

/* ---------------------------------------------------------------- meta */

/* CheckpointMetadata.to_dict() for convert: fields in declaration order
 * (fast_llm_version, model, format, config, shards, metadata), and in
 * config the inherited `type` before base_model (dataclass field order).
 * The order shows only in the HF index, which is not key-sorted. */
static json_t *build_M(const ck_ckpt_meta *m) {
  json_t *M = json_object(), *cfg = json_object(), *shards = json_array();
  json_t *md = m->extra_metadata ? json_deep_copy(m->extra_metadata)
                                 : json_object();
  const char *v = m->fast_llm_version ? m->fast_llm_version
                                      : CK_CKPT_FAST_LLM_VERSION;
  int bad = !M || !cfg || !shards || !md;
  bad |= json_object_set_new(cfg, "type", json_string("gpt"));
  if (m->base_model && json_object_size(m->base_model))
    bad |= json_object_set(cfg, "base_model", m->base_model);
  bad |= json_array_append_new(shards, json_string("weights"));
  bad |= json_object_set_new(M, "fast_llm_version", json_string(v));
  bad |= json_object_set_new(M, "model", json_string("gpt"));
  bad |= json_object_set_new(M, "format", json_string(m->format_name));
  bad |= json_object_set(M, "config", cfg);
  bad |= json_object_set(M, "shards", shards);
  bad |= json_object_set(M, "metadata", md);
  json_decref(cfg);
  json_decref(shards);
  json_decref(md);
  if (bad) {
    json_decref(M);
    return NULL;
  }
  return M;
}

/* export_safetensors_metadata: str(value) for str/int/float/bool (Python
 * spellings), else yaml.safe_dump(value). */
static char *st_value(const json_t *v, ck_error *err) {
  char buf[CK_JSON_DOUBLE_BUFSZ];
  switch (json_typeof(v)) {
  case JSON_STRING:
    return strdup(json_string_value(v));
  case JSON_INTEGER:
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return strdup(buf);
  case JSON_REAL:
    ck_json_format_double(json_real_value(v), buf, sizeof buf);
    return strdup(buf);
  case JSON_TRUE:
    return strdup("True");
  case JSON_FALSE:
    return strdup("False");
  default:
    return ck_yaml_dump(v, err);
  }
}

static int check_meta(const ck_ckpt_out *o, const ck_ckpt_meta *m,
                      ck_error *err) {
  if (!m || !m->format_name || !*m->format_name)
    return ck_fail(err, STAGE, "checkpoint metadata without a format name");
  int is_fl = strcmp(m->format_name, "fast_llm") == 0;
  if (o->kind == CK_CKPT_FAST_LLM && !is_fl)
    return ck_fail(err, STAGE, "format '%s' given for a fast_llm output",
                   m->format_name);
  if (o->kind == CK_CKPT_HF && is_fl)
    return ck_fail(err, STAGE, "format 'fast_llm' given for a Hugging Face "
                   "output");
  if (o->kind == CK_CKPT_HF && !json_is_object(m->hf_config))
    return ck_fail(err, STAGE, "Hugging Face output (format '%s') without "
                   "an HF config object", m->format_name);
  if (m->base_model && !json_is_object(m->base_model))
    return ck_fail(err, STAGE, "base_model is not an object");
  if (m->extra_metadata && !json_is_object(m->extra_metadata))
    return ck_fail(err, STAGE, "extra metadata is not an object");
  if (m->extra_metadata && json_object_get(m->extra_metadata, "state_index"))
    return ck_fail(err, STAGE, "extra metadata may not contain "
                   "'state_index' (reserved for the tensor index)");
  return 0;
}

int ck_ckpt_out_set_meta(ck_ckpt_out *o, const ck_ckpt_meta *m,
                         ck_error *err) {
  if (o->meta_set || o->M)
    return ck_fail(err, STAGE, "checkpoint metadata already set");
  if (check_meta(o, m, err)) return -1;
  json_t *top = NULL;
  if (!(o->M = build_M(m))) goto oom;
  if (o->kind == CK_CKPT_HF) {
    o->hf_config = json_incref(m->hf_config);
    top = json_object();
    if (!top || json_object_set(top, "fast_llm_metadata", o->M) ||
        json_object_set(top, "model_config", o->hf_config) ||
        json_object_set_new(top, "format", json_string("pt")))
      goto oom;
  } else {
    top = json_incref(o->M);
  }
  size_t n = json_object_size(top);
  o->mk = calloc(n ? n : 1, sizeof *o->mk);
  o->mv = calloc(n ? n : 1, sizeof *o->mv);
  if (!o->mk || !o->mv) goto oom;
  const char *key;
  json_t *v;
  json_object_foreach(top, key, v) {
    o->mk[o->n_meta] = strdup(key);
    o->mv[o->n_meta] = st_value(v, err);
    o->n_meta++;
    if (!o->mk[o->n_meta - 1] || !o->mv[o->n_meta - 1]) goto oom;
  }
  json_decref(top);
  o->meta_set = 1;
  return 0;
oom:
  json_decref(top);
  return ck_fail(err, CK_STAGE_IO,
                 "out of memory building checkpoint metadata");
}

size_t ck_ckpt_out_st_meta(const ck_ckpt_out *o, const char *const **keys,
                           const char *const **values) {
  *keys = (const char *const *)o->mk;
  *values = (const char *const *)o->mv;
  return o->n_meta;
}

/* ---------------------------------------------------------------- data */

static uint64_t nbytes_of(const ck_ckpt_out_tensor *t) {
  uint64_t n = ck_dtype_size(t->dtype);
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

static int write_one_file(ck_ckpt_out *o, size_t f, ck_ckpt_produce_fn fn,
                          void *ctx, ck_error *err) {
  size_t first = o->file_first[f], cnt = o->file_first[f + 1] - first;
  ck_st_writer *w = ck_ckpt_out_file_writer(o, f, 1, err);
  if (!w) return -1;
  char *path = ck_ckpt_fs_join(o->tmp_dir, o->file_names[f]);
  if (!path) {
    ck_st_writer_abort(w);
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->tmp_dir},
                      "%s: out of memory", o->tmp_dir);
  }
  for (size_t p = 0; p < cnt; p++) {
    size_t j = ck_st_writer_order(w, p), idx = first + j;
    ck_error_clear(err); /* so a producer failing silently is noticed */
    if (fn(ctx, idx, w, err) != 0) {
      if (!ck_error_is_set(err))
        ck_fail_at(err, STAGE, (ck_about){.file = path, .tensor = o->keys[idx]},
                   "%s: tensor '%.400s': producer failed", path, o->keys[idx]);
      goto fail;
    }
    if (nbytes_of(&o->t[idx]) && ck_st_writer_next(w) == j) {
      ck_fail_at(err, STAGE, (ck_about){.file = path, .tensor = o->keys[idx]},
                 "%s: tensor '%.400s': producer returned before "
                 "writing all %" PRIu64 " bytes",
                 path, o->keys[idx], nbytes_of(&o->t[idx]));
      goto fail;
    }
  }
  free(path);
  return ck_st_writer_close(w, err);
fail:
  ck_st_writer_abort(w);
  free(path);
  return -1;
}

int ck_ckpt_out_write_all(ck_ckpt_out *o, ck_ckpt_produce_fn produce,
                          void *ctx, ck_error *err) {
  if (!o->out_dir || !o->tmp_exists)
    return ck_fail(err, STAGE, "plan-only checkpoint output cannot write");
  if (!o->planned || !o->meta_set || o->written)
    return ck_fail_at(err, STAGE, (ck_about){.file = o->out_dir},
                      "%s: write_all needs plan and set_meta "
                      "first, and runs once",
                      o->out_dir);
  for (size_t f = 0; f < o->n_files; f++)
    if (write_one_file(o, f, produce, ctx, err)) return -1;
  o->written = 1;
  return 0;
}

/* ------------------------------------------------------ positional data */

/* Open every file of the plan at once (fast path; see ck_ckpt.h): each
 * writer plans its file exactly as write_one_file would, so headers and
 * data offsets are byte-identical to the streamed ones. */
int ck_ckpt_out_layout(ck_ckpt_out *o, ck_error *err) {
  if (!o->out_dir || !o->tmp_exists)
    return ck_fail(err, STAGE, "plan-only checkpoint output cannot write");
  if (!o->planned || !o->meta_set || o->written || o->ws)
    return ck_fail_at(err, STAGE, (ck_about){.file = o->out_dir},
                      "%s: layout needs plan and set_meta first, "
                      "and runs once, instead of write_all",
                      o->out_dir);
  if (o->staged) return ck_ckpt_stage_layout(o, err);
  o->ws = calloc(o->n_files ? o->n_files : 1, sizeof *o->ws);
  o->order = calloc(o->n ? o->n : 1, sizeof *o->order);
  if (!o->ws || !o->order)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->tmp_dir},
                      "%s: out of memory", o->tmp_dir);
  for (size_t f = 0; f < o->n_files; f++) {
    size_t first = o->file_first[f], cnt = o->file_first[f + 1] - first;
    o->ws[f] = ck_ckpt_out_file_writer(o, f, 1, err);
    if (!o->ws[f] || ck_st_writer_layout(o->ws[f], err)) return -1;
    for (size_t p = 0; p < cnt; p++)
      o->order[first + p] = first + ck_st_writer_order(o->ws[f], p);
  }
  return 0;
}

void ck_ckpt_out_target(const ck_ckpt_out *o, size_t i, int *fd,
                        uint64_t *offset, const char **path) {
  size_t f = o->file_of[i];
  *fd = o->staged ? o->sfd[f] : ck_st_writer_fd(o->ws[f]);
  *offset = ck_st_writer_offset(o->ws[f], i - o->file_first[f]);
  *path = o->staged ? o->spath[f] : ck_st_writer_tmp_path(o->ws[f]);
}

size_t ck_ckpt_out_data_order(const ck_ckpt_out *o, size_t p) {
  return o->order && p < o->n ? o->order[p] : p;
}

int ck_ckpt_out_layout_done(ck_ckpt_out *o, ck_error *err) {
  if (!o->ws)
    return ck_fail_at(
        err, STAGE, (ck_about){.file = o->out_dir ? o->out_dir : "(plan only)"},
        "%s: layout_done without layout",
        o->out_dir ? o->out_dir : "(plan only)");
  if (o->staged) { /* the files stay open and in place: another part or
                      the --finish run publishes them */
    if (ck_ckpt_stage_sync(o, err)) return -1;
    o->written = 1;
    return 0;
  }
  for (size_t f = 0; f < o->n_files; f++) {
    ck_st_writer *w = o->ws[f];
    o->ws[f] = NULL;
    if (ck_st_writer_close(w, err)) return -1;
  }
  o->written = 1;
  return 0;
}

/* ---------------------------------------------------------------- finish */

static int plain_name(const char *s) {
  return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int ck_ckpt_out_reserved_name(const char *name) {
  return !plain_name(name) || strcmp(name, "ok") == 0 ||
         strcmp(name, "metadata.yaml") == 0 ||
         strcmp(name, "config.json") == 0 ||
         strcmp(name, "model.safetensors.index.json") == 0 ||
         strncmp(name, "model_", 6) == 0;
}

int ck_ckpt_out_add_file(ck_ckpt_out *o, const char *name, const void *data,
                         size_t len, ck_error *err) {
  if (!o->out_dir)
    return ck_fail(err, STAGE, "plan-only checkpoint output cannot write");
  if (ck_ckpt_out_reserved_name(name))
    return ck_fail_at(err, STAGE, (ck_about){.file = o->out_dir},
                      "%s: cannot add file '%s': not a plain file "
                      "name, or one the checkpoint itself uses",
                      o->out_dir, name);
  return ck_ckpt_fs_write_file(o->tmp_dir, name, data, len, err);
}

int ck_ckpt_out_copy_file(ck_ckpt_out *o, const char *name, const char *src,
                          ck_error *err) {
  size_t len;
  char *data = ck_ckpt_fs_read_small(src, "file to carry", &len, err);
  if (!data) return -1;
  int rc = ck_ckpt_out_add_file(o, name, data, len, err);
  free(data);
  return rc;
}

static int same_meta(const ck_ckpt_out *o, const ck_ckpt_meta *m) {
  json_t *M = build_M(m);
  int same = M && json_equal(M, o->M) &&
             (o->kind != CK_CKPT_HF || json_equal(m->hf_config, o->hf_config));
  json_decref(M);
  return same;
}

static int write_text(const char *dir, const char *name, char *text,
                      const char *suffix, ck_error *err) {
  if (!text)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = dir},
                      "%s/%s: out of memory", dir, name);
  size_t a = strlen(text), b = strlen(suffix);
  char *all = realloc(text, a + b + 1);
  if (!all) {
    free(text);
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = dir},
                      "%s/%s: out of memory", dir, name);
  }
  memcpy(all + a, suffix, b + 1);
  int rc = ck_ckpt_fs_write_file(dir, name, all, a + b, err);
  free(all);
  return rc;
}

static int write_small_files(ck_ckpt_out *o, ck_error *err) {
  json_t *index = json_object(), *doc = NULL;
  int rc = -1;
  if (!index) goto oom;
  for (size_t i = 0; i < o->n; i++)
    if (json_object_set_new(index, o->keys[i],
                            json_string(o->file_names[o->file_of[i]])))
      goto oom;
  if (o->kind == CK_CKPT_FAST_LLM) {
    doc = json_deep_copy(o->M);
    if (!doc || json_object_set(json_object_get(doc, "metadata"),
                                "state_index", index))
      goto oom;
    char *y = ck_yaml_dump(doc, err);
    if (!y) goto done;
    if (write_text(o->tmp_dir, "metadata.yaml", y, "", err)) goto done;
  } else {
    if (write_text(o->tmp_dir, "config.json",
                   ck_json_dumps_py(o->hf_config, 2, 1), "\n", err))
      goto done;
    doc = json_object();
    if (!doc || json_object_set_new(doc, "metadata", json_object()))
      goto oom;
    json_t *md = json_object_get(doc, "metadata");
    /* bytes of tensor data, as Hugging Face's writer records it (loaders
     * and hub tools read it to size downloads and memory) */
    uint64_t total = 0;
    for (size_t i = 0; i < o->n; i++) {
      uint64_t b = ck_dtype_size(o->t[i].dtype);
      for (int d = 0; d < o->t[i].ndim; d++) b *= o->t[i].shape[d];
      total += b;
    }
    if (json_object_set(md, "fast_llm_metadata", o->M) ||
        json_object_set(md, "model_config", o->hf_config) ||
        json_object_set_new(md, "format", json_string("pt")) ||
        json_object_set_new(md, "total_size", json_integer((json_int_t)total)) ||
        json_object_set(doc, "weight_map", index))
      goto oom;
    if (write_text(o->tmp_dir, "model.safetensors.index.json",
                   ck_json_dumps_py(doc, 4, 0), "", err))
      goto done;
  }
  if (ck_ckpt_fs_write_file(o->tmp_dir, "ok", "", 0, err)) goto done;
  rc = 0;
  goto done;
oom:
  ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->tmp_dir},
             "%s: out of memory writing the metadata", o->tmp_dir);
done:
  json_decref(index);
  json_decref(doc);
  return rc;
}

/* Swap the finished temp dir in.  A replaced out_dir is renamed aside
 * first (and put back if the second rename fails), so out_dir is only
 * ever the old complete folder, the new one, or (between the two renames,
 * e.g. after a crash there) absent with the old copy at old_dir. */
static int publish(ck_ckpt_out *o, ck_error *err) {
  struct stat st;
  int had_old = 0;
  /* what stands at out_dir now (it may have changed since begin) */
  if (check_replaceable(o, err)) return -1;
  if (lstat(o->out_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
      empty_dir(o->out_dir)) {
    /* an empty folder: rename(2) replaces it in one step */
  } else if (lstat(o->out_dir, &st) == 0) { /* a checkpoint, --force */
    if (ck_ckpt_fs_rm_rf(o->old_dir) != 0)
      return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->out_dir},
                        "%s: cannot remove a stale %s: %s", o->out_dir,
                        o->old_dir, strerror(errno));
    if (rename(o->out_dir, o->old_dir) != 0)
      return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->out_dir},
                        "%s: cannot move it aside to %s: %s", o->out_dir,
                        o->old_dir, strerror(errno));
    had_old = 1;
    ck_fault_point("between-renames");
  } else if (errno != ENOENT) {
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->out_dir},
                      "%s: cannot stat: %s", o->out_dir, strerror(errno));
  }
  /* under active_mu: a SIGINT watcher removing the temp dir
   * (ck_ckpt_out_interrupted) either finishes before the rename, which
   * then fails, or finds nothing active after it; never a rename of a
   * half-removed folder into place */
  pthread_mutex_lock(&active_mu);
  int moved = rename(o->tmp_dir, o->out_dir) == 0;
  int e = errno;
  if (moved) active_tmp[0] = active_out[0] = '\0';
  pthread_mutex_unlock(&active_mu);
  if (!moved) {
    if (had_old) (void)rename(o->old_dir, o->out_dir);
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = o->out_dir},
                      "%s: cannot rename %s into place: %s", o->out_dir,
                      o->tmp_dir, strerror(e));
  }
  o->tmp_exists = 0;
  ck_ckpt_fs_sync_dir(o->parent);
  ck_fault_point("after-publish");
  if (had_old && ck_ckpt_fs_rm_rf(o->old_dir) != 0)
    return ck_fail(err, CK_STAGE_IO,
                   "%s was written, but its previous copy, "
                   "moved to %s, could not be removed: %s",
                   o->out_dir, o->old_dir, strerror(errno));
  return 0;
}

int ck_ckpt_out_finish(ck_ckpt_out *o, const ck_ckpt_meta *m,
                       ck_error *err) {
  int rc = -1;
  if (!o->out_dir) {
    ck_fail(err, STAGE, "plan-only checkpoint output cannot be finished");
  } else if (!o->written) {
    ck_fail_at(err, STAGE, (ck_about){.file = o->out_dir},
               "%s: finish before write_all completed", o->out_dir);
  } else if (m && check_meta(o, m, err)) {
    /* err set */
  } else if (m && !same_meta(o, m)) {
    ck_fail_at(err, STAGE, (ck_about){.file = o->out_dir},
               "%s: finish given metadata different from "
               "set_meta's, which the safetensors files were written with",
               o->out_dir);
  } else if (o->staged && ck_ckpt_stage_drop_bookkeeping(o, err)) {
    /* err set */
  } else if (write_small_files(o, err) == 0) {
    ck_ckpt_fs_sync_dir(o->tmp_dir);
    ck_fault_point("before-publish");
    rc = publish(o, err);
  }
  if (rc) ck_ckpt_out_name_output(o, err);
  ck_ckpt_out_abort(o); /* removes the temp dir unless it was published */
  return rc;
}

void ck_ckpt_out_name_output(const ck_ckpt_out *o, ck_error *err) {
  /* a staging folder outlives the run: its real path is the useful one */
  if (!o || !o->out_dir || !err || o->staged) return;
  size_t tl = strlen(o->tmp_dir);
  char *fields[] = {err->msg, err->file};
  size_t sizes[] = {sizeof err->msg, sizeof err->file};
  for (int f = 0; f < 2; f++) {
    char buf[CK_ERROR_MSG_MAX], *in = fields[f];
    size_t used = 0;
    for (char *p = in; *p && used + 1 < sizeof buf;) {
      if (strncmp(p, o->tmp_dir, tl) == 0) {
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s",
                                 o->out_dir);
        p += tl;
        if (*p == '/') { /* a file in it: the name it will have */
          const char *end = p + strcspn(p, ": '\"");
          const char *part = strstr(p, ".ckpart");
          if (part && part < end) {
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%.*s",
                                     (int)(part - p), p);
            p = (char *)part + 7;
          }
        }
      } else {
        buf[used++] = *p++;
      }
    }
    buf[used < sizeof buf ? used : sizeof buf - 1] = '\0';
    snprintf(in, sizes[f], "%s", buf);
  }
}

void ck_ckpt_out_abort(ck_ckpt_out *o) {
  if (!o) return;
  if (o->staged) ck_ckpt_stage_close(o);
  if (o->tmp_exists && o->staged && !o->drop_tmp) {
    set_active(NULL, NULL); /* kept for --resume */
  } else if (o->tmp_exists) {
    set_active(NULL, NULL);
    ck_ckpt_fs_rm_rf(o->tmp_dir);
  }
  for (size_t i = 0; i < o->n; i++) {
    free((char *)o->t[i].name);
    free(o->keys[i]);
  }
  for (size_t f = 0; f < o->n_files && o->file_names; f++)
    free(o->file_names[f]);
  for (size_t i = 0; i < o->n_meta; i++) {
    free(o->mk[i]);
    free(o->mv[i]);
  }
  free(o->mk);
  free(o->mv);
  for (size_t f = 0; f < o->n_files && o->ws; f++)
    ck_st_writer_abort(o->ws[f]);
  free(o->ws);
  free(o->order);
  json_decref(o->manifest);
  json_decref(o->M);
  json_decref(o->hf_config);
  free(o->t);
  free(o->keys);
  free(o->file_of);
  free(o->file_first);
  free(o->file_names);
  free(o->out_dir);
  free(o->parent);
  free(o->tmp_dir);
  free(o->old_dir);
  free(o);
}
