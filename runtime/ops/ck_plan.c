/* ck_plan.c - the preflight of a conversion (`ckconv plan`, and the first
 * step of `convert`).
 *
 * Exists so that every problem of an input is known before a tensor byte
 * moves, all at once: the config is converted as convert converts it
 * (unknown HF keys are all listed, then accepted for the rest of the
 * check so that the tensors are still checked), the tensor jobs are built
 * by the engine's own ck_jobs_build (leaf by leaf when it fails, so that
 * every problem is itemised), the tie rules are checked both ways, and
 * the output files and offsets come from the writer's own layout code
 * (ck_ckpt_out_file_layout).  Only the config and safetensors headers are
 * read in header-only mode.
 */
#include "ck_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_convert.h"
#include "ck_out_meta.h"

/* Append to a growing list of problems or warnings (arena memory). */
static ck_pf_problem *push_item(ck_preflight *pf, ck_pf_problem **items,
                                size_t *n, size_t *cap, const char *kind,
                                ck_stage stage, const char *message) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 16;
    ck_pf_problem *p = ck_rt_alloc(&pf->rt, c * sizeof *p);
    if (*n) memcpy(p, *items, *n * sizeof *p);
    *items = p;
    *cap = c;
  }
  ck_pf_problem *p = &(*items)[(*n)++];
  memset(p, 0, sizeof *p);
  p->kind = kind;
  p->stage = stage;
  p->message = ck_rt_strdup(&pf->rt, message);
  return p;
}

static ck_pf_problem *add_problem(ck_preflight *pf, const char *kind,
                                  ck_stage stage, const char *message) {
  return push_item(pf, &pf->problems, &pf->n_problems, &pf->cap_problems,
                   kind, stage, message);
}

static void add_warning(ck_preflight *pf, const char *kind,
                        const ck_ckpt_tensor *t, const char *message) {
  ck_pf_problem *w = push_item(pf, &pf->warnings, &pf->n_warnings,
                               &pf->cap_warnings, kind, CK_STAGE_WEIGHTS,
                               message);
  w->tensor = t->name;
  w->file = ck_st_path(t->file);
}

/* A tensor named NAME or ending in ".NAME" for a buffer NAME of the
 * format (an old checkpoint's rotary_emb.inv_freq): transformers
 * recomputes it, so it is skipped. */
static const char *known_buffer(const ck_format *f, const char *name) {
  size_t n = strlen(name);
  for (int i = 0; f && i < f->n_buffers; i++) {
    size_t b = strlen(f->buffers[i]);
    if (n >= b && strcmp(name + n - b, f->buffers[i]) == 0 &&
        (n == b || name[n - b - 1] == '.'))
      return f->buffers[i];
  }
  return NULL;
}

typedef ck_ties ties;

static void find_ties(ck_preflight *pf, ties *t) {
  ck_find_ties(&pf->rt, &pf->L, t);
}

/* The HF head of a leaf consuming Fast-LLM tensor `fl`, if it is one. */
static int is_head(const ck_preflight *pf, const char *name) {
  if (pf->in_kind == CK_CKPT_HF) return ck_is_hf_head(name);
  for (size_t i = 0; i < pf->L.plan.n; i++) {
    const ck_leaf *l = &pf->L.plan.leaves[i];
    if (l->n_fl == 1 && strcmp(l->fl[0], name) == 0)
      return l->n_hf == 1 && ck_is_hf_head(l->hf[0]);
  }
  return 0;
}

static int same_layout(const ck_st_tensor *a, const ck_st_tensor *b) {
  if (a->dtype != b->dtype || a->ndim != b->ndim) return 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return 0;
  return 1;
}

/* Tied config, head present: compare it with the embeddings when the data
 * is mapped, so the message says whether dropping it would lose anything. */
static void tie_present(ck_preflight *pf, const ties *t, const char *name,
                        int header_only) {
  const char *emb = pf->in_kind == CK_CKPT_HF ? t->emb_hf : t->emb_fl;
  char msg[1024], extra[256] = "";
  const ck_ckpt_tensor *h = ck_ckpt_find(pf->L.in, name);
  const ck_ckpt_tensor *e = emb ? ck_ckpt_find(pf->L.in, emb) : NULL;
  if (header_only && h && e && same_layout(h->t, e->t)) {
    /* plan reads no data: say what convert will decide */
    snprintf(msg, sizeof msg, "'%s' is present though the config ties the "
             "output head to '%s': convert drops it if byte-identical to "
             "it, and refuses otherwise", name, emb);
    add_warning(pf, "tie", h, msg);
    return;
  }
  if (!header_only && h && e) {
    uint64_t at = 0;
    int c = ck_tie_compare(h, e, &at);
    if (c == 0) { /* a copy of the embeddings saved beside them: harmless */
      snprintf(msg, sizeof msg, "dropped '%s': the config ties the output "
               "head to '%s' and it is byte-identical to it", name, emb);
      add_warning(pf, "dropped", h, msg);
      return;
    }
    if (c == 2)
      snprintf(extra, sizeof extra, "; it differs from '%s' in shape or "
               "dtype", emb);
    else if (c == 1)
      snprintf(extra, sizeof extra, "; it differs from '%s' at element "
               "%llu", emb, (unsigned long long)at);
    else
      snprintf(extra, sizeof extra, "; it is byte-identical to '%s'", emb);
  }
  snprintf(msg, sizeof msg, "tied config but %s present: "
           "tied_embedding_weight is true, so the output head is the "
           "embeddings%s%s%s and '%s' would be dropped (remove it, or untie "
           "the config)%s", name, emb ? " '" : "", emb ? emb : "",
           emb ? "'" : "", name, extra);
  ck_pf_problem *p = add_problem(pf, "tie", CK_STAGE_WEIGHTS, msg);
  p->tensor = ck_rt_strdup(&pf->rt, name);
  p->file = h ? ck_st_path(h->file) : NULL;
}

/* A head that is the embeddings' very bytes (same file, offset, dtype and
 * shape) is the tie itself: torch.save writes a tied model's state dict
 * so, both names viewing one storage.  Nothing is dropped. */
static int is_alias(const ck_preflight *pf, const ties *t,
                    const ck_ckpt_tensor *h) {
  const char *emb = pf->in_kind == CK_CKPT_HF ? t->emb_hf : t->emb_fl;
  const ck_ckpt_tensor *e = emb ? ck_ckpt_find(pf->L.in, emb) : NULL;
  if (!e || e->file != h->file || e->t->file_offset != h->t->file_offset ||
      e->t->dtype != h->t->dtype || e->t->ndim != h->t->ndim)
    return 0;
  for (int d = 0; d < e->t->ndim; d++)
    if (e->t->shape[d] != h->t->shape[d]) return 0;
  return 1;
}

/* ---------------------------------------------------- tensor problems */

/* One problem of ck_jobs_build_each, as the report lists it. */
typedef struct tensor_sink_ctx {
  ck_preflight *pf;
  const ties *t;
} tensor_sink_ctx;

static void engine_problem(void *arg, const char *kind, ck_stage stage,
                           const char *tensor, const char *message) {
  tensor_sink_ctx *c = arg;
  ck_preflight *pf = c->pf;
  if (strcmp(kind, "unexpected") == 0)
    return; /* computed over the whole plan below */
  tensor = ck_rt_strdup(&pf->rt, tensor);
  if (strcmp(kind, "missing") == 0 && tensor && c->t->untied &&
      is_head(pf, tensor)) {
    char msg[1024];
    snprintf(msg, sizeof msg, "untied config but %s missing: "
             "tied_embedding_weight is false, so the output head is a tensor "
             "of its own (tie the config if the head is the embeddings)",
             tensor);
    ck_pf_problem *p = add_problem(pf, "tie", CK_STAGE_WEIGHTS, msg);
    p->tensor = tensor;
    return;
  }
  ck_pf_problem *p = add_problem(pf, kind, stage, message);
  p->tensor = tensor;
  const ck_ckpt_tensor *ct = tensor ? ck_ckpt_find(pf->L.in, tensor) : NULL;
  if (ct) p->file = ck_st_path(ct->file);
}

/* Outputs of one leaf in ck_jobs_build's order. */
static int leaf_outputs(const ck_leaf *l, ck_direction dir) {
  if (dir == CK_IMPORT || l->transform == CK_TF_MOE_LAYER_2) return 1;
  return l->n_hf;
}

static void add_outputs(ck_preflight *pf, const ck_leaf *l, ck_direction dir,
                        const ck_jobs *J, size_t first) {
  int n = leaf_outputs(l, dir);
  for (int j = 0; j < n && first + (size_t)j < J->n; j++) {
    const ck_ckpt_out_tensor *o = &J->out[first + (size_t)j];
    ck_pf_tensor *t = &pf->t[pf->n++];
    memset(t, 0, sizeof *t);
    t->name = o->name;
    t->sources = dir == CK_EXPORT ? l->fl : l->hf;
    t->n_sources = dir == CK_EXPORT ? l->n_fl : l->n_hf;
    t->transform = ck_transform_name(l->transform);
    t->dtype = o->dtype;
    t->ndim = o->ndim;
    t->nbytes = ck_dtype_size(o->dtype);
    for (int d = 0; d < o->ndim; d++) {
      t->shape[d] = o->shape[d];
      t->nbytes *= o->shape[d];
    }
    t->file = -1;
  }
}

/* The input tensors the preflight itself decides on (below): known
 * buffers, which it skips, and a tied head, which it drops or refuses. */
static int accounted_here(void *arg, const char *name) {
  tensor_sink_ctx *c = arg;
  return ck_tied_head(c->t, c->pf->in_kind, name) ||
         (c->pf->in_kind == CK_CKPT_HF &&
          known_buffer(c->pf->L.format, name) != NULL);
}

static void check_tensors(ck_preflight *pf, const ck_convert_opts *o,
                          int header_only) {
  ck_rt *rt = &pf->rt;
  ck_loaded *L = &pf->L;
  ck_direction dir = pf->in_kind == CK_CKPT_HF ? CK_IMPORT : CK_EXPORT;
  ties t;
  find_ties(pf, &t);
  size_t max_out = 1;
  for (size_t i = 0; i < L->plan.n; i++)
    max_out += (size_t)leaf_outputs(&L->plan.leaves[i], dir);
  pf->t = ck_rt_alloc(rt, max_out * sizeof *pf->t);
  ck_error e;
  ck_error_clear(&e);
  tensor_sink_ctx whole = {pf, &t};
  ck_tensor_sink accounted = {NULL, &whole, accounted_here};
  if (ck_jobs_build_each(rt, &L->plan, &L->params, dir, L->in, o->dtype,
                         &accounted, &pf->jobs, &e) == 0) {
    pf->jobs_ok = 1;
    size_t pos = 0;
    for (size_t i = 0; i < L->plan.n; i++) {
      add_outputs(pf, &L->plan.leaves[i], dir, &pf->jobs, pos);
      pos += (size_t)leaf_outputs(&L->plan.leaves[i], dir);
    }
  } else {
    /* leaf by leaf: every problem, and the outputs of the good leaves */
    for (size_t i = 0; i < L->plan.n; i++) {
      ck_plan one = {&L->plan.leaves[i], 1, 1, L->plan.model};
      ck_jobs J;
      ck_error_clear(&e);
      tensor_sink_ctx ctx = {pf, &t};
      ck_tensor_sink sink = {engine_problem, &ctx, NULL};
      ck_jobs_build_each(rt, &one, &L->params, dir, L->in, o->dtype, &sink, &J,
                         &e);
      /* a leaf with a problem of its own adds no output */
      if (J.n == (size_t)leaf_outputs(&L->plan.leaves[i], dir))
        add_outputs(pf, &L->plan.leaves[i], dir, &J, 0);
    }
  }
  /* every input tensor consumed (ck_jobs_build's rule, itemised) */
  size_t n_in = ck_ckpt_count(L->in);
  unsigned char *used = ck_rt_alloc(rt, n_in + 1);
  for (size_t i = 0; i < L->plan.n; i++) {
    const ck_leaf *l = &L->plan.leaves[i];
    int n = dir == CK_EXPORT ? l->n_fl : l->n_hf;
    const char **names = dir == CK_EXPORT ? l->fl : l->hf;
    for (int k = 0; k < n; k++) {
      const ck_ckpt_tensor *ct = ck_ckpt_find(L->in, names[k]);
      for (size_t j = 0; ct && j < n_in; j++)
        if (ck_ckpt_at(L->in, j) == ct) used[j] = 1;
    }
  }
  for (size_t j = 0; j < n_in; j++) {
    const ck_ckpt_tensor *ct = ck_ckpt_at(L->in, j);
    if (used[j]) {
      pf->read_bytes += ct->t->nbytes;
      continue;
    }
    if (ck_tied_head(&t, pf->in_kind, ct->name)) {
      if (!is_alias(pf, &t, ct)) tie_present(pf, &t, ct->name, header_only);
      continue;
    }
    const char *buffer = pf->in_kind == CK_CKPT_HF
                             ? known_buffer(L->format, ct->name) : NULL;
    if (buffer) {
      char msg[1024];
      snprintf(msg, sizeof msg, "skipped '%s': a %s buffer, which "
               "transformers computes and does not load", ct->name, buffer);
      add_warning(pf, "skipped", ct, msg);
      continue;
    }
    char msg[1024];
    snprintf(msg, sizeof msg, "unexpected tensor '%s' (no converter of this "
             "format consumes it)", ct->name);
    ck_pf_problem *p = add_problem(pf, "unexpected", CK_STAGE_WEIGHTS, msg);
    p->tensor = ct->name;
    p->file = ck_st_path(ct->file);
  }
}

/* The dtype holding most of the output's bytes: what config.json states
 * (a model cast with --dtype, or kept as it was, has one). */
static ck_dtype dominant_dtype(const ck_jobs *jobs) {
  uint64_t bytes[CK_DT_COUNT] = {0};
  for (size_t i = 0; i < jobs->n; i++) {
    const ck_ckpt_out_tensor *t = &jobs->out[i];
    uint64_t b = ck_dtype_size(t->dtype);
    for (int d = 0; d < t->ndim; d++) b *= t->shape[d];
    if (t->dtype >= 0 && t->dtype < CK_DT_COUNT) bytes[t->dtype] += b;
  }
  ck_dtype best = CK_DT_INVALID;
  for (int d = 0; d < CK_DT_COUNT; d++)
    if (bytes[d] && (best == CK_DT_INVALID || bytes[d] > bytes[best]))
      best = (ck_dtype)d;
  return best;
}

/* Files and offsets, by the writer's code, for a plan without problems. */
static void lay_out(ck_preflight *pf, const ck_convert_opts *o) {
  ck_rt *rt = &pf->rt;
  ck_error e;
  ck_error_clear(&e);
  int to_fast_llm = pf->out_kind == CK_CKPT_FAST_LLM;
  ck_ckpt_meta *meta = &pf->meta; /* what convert then writes */
  if (ck_output_meta(rt, &pf->L, o->in_dir, to_fast_llm,
                     dominant_dtype(&pf->jobs), meta, &e)) {
    add_problem(pf, "output", e.stage_id, e.msg);
    return;
  }
  pf->meta_ok = 1;
  ck_ckpt_out *out = ck_ckpt_out_begin(NULL, pf->out_kind, 0, &e);
  if (out) ck_ckpt_out_set_max_file_bytes(out, o->max_shard_bytes);
  if (!out || ck_ckpt_out_plan(out, pf->jobs.out, pf->jobs.n,
                               o->parameters_per_file, &e) ||
      ck_ckpt_out_set_meta(out, meta, &e)) {
    add_problem(pf, "output", e.stage_id, e.msg);
    ck_ckpt_out_abort(out);
    return;
  }
  pf->n_files = ck_ckpt_out_file_count(out);
  pf->files = ck_rt_alloc(rt, (pf->n_files + 1) * sizeof *pf->files);
  for (size_t f = 0; f < pf->n_files; f++) {
    size_t first, end;
    ck_ckpt_out_file_range(out, f, &first, &end);
    uint64_t *off = ck_rt_alloc(rt, (end - first + 1) * sizeof *off);
    ck_pf_file *pfile = &pf->files[f];
    if (ck_ckpt_out_file_layout(out, f, off, &pfile->header_len,
                                &pfile->size, &e)) {
      add_problem(pf, "output", e.stage_id, e.msg);
      break;
    }
    pfile->name = ck_rt_strdup(rt, ck_ckpt_out_file_name(out, f));
    pfile->n_tensors = end - first;
    pf->write_bytes += pfile->size;
    for (size_t i = first; i < end && i < pf->n; i++) {
      pf->t[i].file = (long)f;
      pf->t[i].offset = off[i - first];
      pf->t[i].begin = off[i - first] - 8 - pfile->header_len;
      pf->t[i].key = ck_rt_strdup(rt, ck_ckpt_out_tensor_key(out, i));
    }
  }
  ck_ckpt_out_abort(out); /* plan-only: nothing on disk */
}

/* The engine's buffers on the write path convert will take.  Default
 * (threaded, positional): two fixed buffers per worker
 * (ck_jobs_write_memory).  Simple path: per tensor in flight, a block of
 * up to 4 MiB for transposes and 8 bytes per element of a block for
 * casts, plus the writer's 8 MiB buffer.  The input is memory-mapped,
 * not counted. */
static void peak(ck_preflight *pf, const ck_convert_opts *o) {
  if (!ck_simple_io()) {
    pf->peak_memory = ck_jobs_write_memory(ck_write_jobs(o->jobs));
    return;
  }
  uint64_t worst = 0;
  for (size_t i = 0; i < pf->n; i++) {
    const ck_pf_tensor *t = &pf->t[i];
    const ck_ckpt_tensor *s =
        t->n_sources ? ck_ckpt_find(pf->L.in, t->sources[0]) : NULL;
    ck_dtype in_dt = s ? s->t->dtype : t->dtype;
    uint64_t es = ck_dtype_size(in_dt) ? ck_dtype_size(in_dt) : 1;
    uint64_t elems = t->nbytes / (ck_dtype_size(t->dtype) ? ck_dtype_size(t->dtype) : 1);
    uint64_t cap = (uint64_t)CK_ENGINE_BLOCK_BYTES / es;
    if (cap > elems) cap = elems ? elems : 1;
    uint64_t need = 0;
    if (strcmp(t->transform, "plain") != 0 && strcmp(t->transform, "split") &&
        strcmp(t->transform, "key_value"))
      need += cap * es;
    if (in_dt != t->dtype) need += cap * 8;
    if (need > worst) worst = need;
  }
  pf->peak_memory = CK_ST_WRITE_BUF_BYTES + worst;
}

/* ------------------------------------------------------------ run */

/* What stops the preflight outright: the input cannot be read at all. */
static int is_hard(ck_stage stage) {
  return stage == CK_STAGE_IO || stage == CK_STAGE_CHECKPOINT ||
         stage == CK_STAGE_SAFETENSORS || stage == CK_STAGE_USAGE;
}

/* Each unknown key of the HF coverage as its own problem (told by the
 * import through ck_hf_read.unknown_key). */
typedef struct unknown_ctx {
  ck_preflight *pf;
  const char *file; /* IN/config.json */
  int n;
} unknown_ctx;

static void unknown_key(void *arg, const char *key) {
  unknown_ctx *u = arg;
  char msg[1024];
  snprintf(msg, sizeof msg, "%s: HF config has unknown key '%s'", u->file, key);
  ck_pf_problem *p = add_problem(u->pf, "config", CK_STAGE_HF_COVERAGE, msg);
  p->key = ck_rt_strdup(&u->pf->rt, key);
  p->file = u->file;
  u->n++;
}

/* A file of the input left behind: a warning, so plan lists it and convert
 * says it (a .bin beside the safetensors is reported, never mixed in). */
static void not_carried(void *arg, const char *name, const char *path,
                        const char *why) {
  ck_preflight *pf = arg;
  /* PyTorch files beside the safetensors read: said once, below */
  size_t n = strlen(name);
  if (ck_ckpt_ignored(pf->L.in) && strncmp(name, "pytorch_model", 13) == 0 &&
      (strcmp(name + n - 4, ".bin") == 0 ||
       strcmp(name + (n > 15 ? n - 15 : 0), ".bin.index.json") == 0))
    return;
  char msg[1024];
  snprintf(msg, sizeof msg, "not carried: %s: %s", name, why);
  ck_pf_problem *w = push_item(pf, &pf->warnings, &pf->n_warnings,
                               &pf->cap_warnings, "skipped", CK_STAGE_IO, msg);
  w->file = ck_rt_strdup(&pf->rt, path);
}

static void list_carried(ck_preflight *pf) {
  ck_error e;
  ck_error_clear(&e);
  const char *ignored = ck_ckpt_ignored(pf->L.in);
  if (ignored) {
    ck_pf_problem *w = push_item(pf, &pf->warnings, &pf->n_warnings,
                                 &pf->cap_warnings, "skipped", CK_STAGE_IO,
                                 ignored);
    w->file = ck_ckpt_dir(pf->L.in);
  }
  long n = ck_carry_list(&pf->rt, pf->L.in, &pf->carried, not_carried, pf,
                         &e);
  if (n < 0) add_problem(pf, "output", e.stage_id, e.msg);
  else pf->n_carried = (size_t)n;
}

/* A header-only open accepts a file shorter than its header says (so
 * that plan never reads data); that is a truncated download, and the
 * tensors at its end do not exist. */
static void check_sizes(ck_preflight *pf) {
  for (size_t f = 0; f < ck_ckpt_file_count(pf->L.in); f++) {
    const ck_st_file *sf = ck_ckpt_file_at(pf->L.in, f);
    if (!ck_st_truncated(sf)) continue;
    uint64_t want = ck_st_data_offset(sf) + ck_st_data_len(sf);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s: truncated: %llu bytes on disk, but its "
             "header describes %llu (an interrupted download or copy?)",
             ck_st_path(sf), (unsigned long long)ck_st_file_size(sf),
             (unsigned long long)want);
    ck_pf_problem *p = add_problem(pf, "truncated", CK_STAGE_SAFETENSORS, msg);
    p->file = ck_st_path(sf);
  }
}

int ck_preflight_run(const ck_spec *spec, const ck_convert_opts *o,
                     int header_only, ck_preflight *pf, ck_error *err) {
  memset(pf, 0, sizeof *pf);
  ck_rt_init(&pf->rt, spec, o->layout ? o->layout : CK_LAYOUT_V4);
  if (ck_ckpt_detect(o->in_dir, &pf->in_kind, err)) return -1;
  int to_fast_llm = strcmp(o->to, "fast_llm") == 0;
  if ((pf->in_kind == CK_CKPT_FAST_LLM) == to_fast_llm)
    return ck_fail(err, CK_STAGE_USAGE,
                   "%s is already a %s checkpoint; ckconv "
                   "converts between fast_llm and HF layouts",
                   o->in_dir,
                   pf->in_kind == CK_CKPT_FAST_LLM ? "fast_llm" : "HF");
  pf->out_kind = to_fast_llm ? CK_CKPT_FAST_LLM : CK_CKPT_HF;
  const char *fmt = pf->in_kind == CK_CKPT_HF ? o->from : o->to;
  int flags = header_only ? CK_LOAD_HEADER_ONLY : 0;
  ck_error e;
  ck_error_clear(&e);
  char cfg_path[4096];
  snprintf(cfg_path, sizeof cfg_path, "%s/config.json", o->in_dir);
  unknown_ctx u = {pf, ck_rt_strdup(&pf->rt, cfg_path), 0};
  ck_hf_read listed = o->hf_read;
  listed.unknown_key = unknown_key;
  listed.unknown_arg = &u;
  if (ck_load(&pf->rt, o->in_dir, fmt, o->layout, flags, &listed, &pf->L, &e)) {
    if (is_hard(e.stage_id)) {
      *err = e;
      return -1;
    }
    pf->config_error = e;
    if (e.stage_id != CK_STAGE_HF_COVERAGE) {
      add_problem(pf, e.stage_id == CK_STAGE_WEIGHTS ? "coverage" : "config",
                  e.stage_id, e.msg);
      return 0;
    }
    /* the unknown keys are listed (unknown_key); accept them all to
     * check the tensors */
    if (!u.n) add_problem(pf, "config", e.stage_id, e.msg);
    json_t *cfg = ck_rt_own(&pf->rt, json_load_file(cfg_path, 0, NULL));
    size_t n = json_object_size(cfg), k = 0;
    const char **keys = ck_rt_alloc(&pf->rt, (n + (size_t)o->hf_read.n_ignore_keys + 1) * sizeof *keys);
    for (int i = 0; i < o->hf_read.n_ignore_keys; i++)
      keys[k++] = o->hf_read.ignore_keys[i];
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v) keys[k++] = key;
    ck_hf_read relaxed = o->hf_read;
    relaxed.ignore_keys = keys;
    relaxed.n_ignore_keys = (int)k;
    ck_error_clear(&e);
    if (ck_load(&pf->rt, o->in_dir, fmt, o->layout, flags, &relaxed, &pf->L,
                &e)) {
      if (is_hard(e.stage_id)) {
        *err = e;
        return -1;
      }
      if (e.stage_id != CK_STAGE_HF_COVERAGE)
        add_problem(pf, "config", e.stage_id, e.msg);
      return 0;
    }
  }
  pf->loaded = 1;
  pf->format = pf->L.format ? pf->L.format->name : NULL;
  check_sizes(pf);
  check_tensors(pf, o, header_only);
  list_carried(pf);
  if (!pf->n_problems && pf->jobs_ok) lay_out(pf, o);
  for (size_t i = 0; i < pf->n; i++)
    if (pf->files == NULL) pf->write_bytes += pf->t[i].nbytes;
  peak(pf, o);
  return 0;
}

void ck_preflight_free(ck_preflight *pf) {
  if (pf->loaded) ck_loaded_close(&pf->L);
  pf->loaded = 0;
  ck_rt_free(&pf->rt);
}

void ck_preflight_error(const ck_preflight *pf, const char *in_dir,
                        ck_error *err) {
  size_t n_t = 0;
  for (size_t i = 0; i < pf->n_problems; i++)
    if (pf->problems[i].stage == CK_STAGE_WEIGHTS) n_t++;
  int cfg = ck_error_is_set(&pf->config_error);
  if (cfg) *err = pf->config_error; /* as ck_load reported it */
  size_t k = 0;
  for (size_t i = 0; i < pf->n_problems; i++) {
    const ck_pf_problem *p = &pf->problems[i];
    if (cfg) break; /* below */
    if (k == CK_PF_LISTED) {
      ck_error_append(err, "; ... and %zu more; --json for all",
                      pf->n_problems - k);
      break;
    }
    if (k++ == 0)
      ck_fail(err, p->stage, "%s", p->message);
    else
      ck_error_append(err, "; %s", p->message);
  }
  if (cfg && n_t) {
    /* re-append with a lead-in: rebuild the tail */
    ck_error e = pf->config_error;
    ck_error_append(&e, "; and %zu problem%s with the input tensors of %s: ",
                    n_t, n_t == 1 ? "" : "s", in_dir);
    size_t j = 0;
    for (size_t i = 0; i < pf->n_problems; i++)
      if (pf->problems[i].stage == CK_STAGE_WEIGHTS) {
        if (j == CK_PF_LISTED) {
          ck_error_append(&e, "; ... and %zu more; --json for all", n_t - j);
          break;
        }
        ck_error_append(&e, "%s%s", j++ ? "; " : "",
                        pf->problems[i].message);
      }
    *err = e;
  } else if (!cfg && n_t) {
    if (n_t > 1)
      ck_error_prefix(err, "%zu problems with the input tensors: ", n_t);
    ck_error_prefix(err, "%s: ", in_dir);
  }
}
