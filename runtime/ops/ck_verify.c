/* ck_verify.c - compare the tensors of two checkpoints (ck_verify.h).
 * Each tensor is streamed through the engine and compared block by
 * block with the other side's mapped bytes, so memory stays small. */
#include "ck_verify.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_convert.h"
#include "ck_json_out.h"
#include "ck_ties.h"

typedef struct cmp_ctx {
  const unsigned char *want; /* the other checkpoint's tensor bytes */
  ck_dtype want_dt, got_dt;
  uint64_t pos;              /* elements compared so far */
  int bit_identical;
  int rounded_identical;     /* the wider side, cast to the narrower one's
                                dtype as convert --dtype casts, is equal */
  int within_tolerance;      /* fp16 against bf16: every value within both
                                roundings (same_source) */
  uint64_t overflow_inf, underflow_zero; /* what that cast did */
  double max_rel;
  uint64_t bad_at;
} cmp_ctx;

/* Elements are compared in chunks: one cast call per chunk and side into
 * doubles, never one call per element. */
#define CMP_CHUNK 1024

static int to_f64(ck_dtype dt, const unsigned char *p, uint64_t first,
                  size_t k, double *out) {
  ck_error e;
  return ck_dtype_cast(CK_DT_F64, out, dt, p + first * ck_dtype_size(dt), k,
                       &e);
}

/* |x - y| / max(|x|, |y|); two NaNs are equal, one NaN is as far as can
 * be. */
static double rel_diff(double x, double y) {
  if (x != x || y != y) return (x != x && y != y) ? 0 : 1;
  double scale = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
  return scale > 0 && isfinite(scale) ? fabs(x - y) / scale : 0;
}

/* fp16 and bf16 roundings of one value: each is within half an ulp of
 * it, so they differ by at most 2^-8 + 2^-11 of the value, plus half of
 * fp16's subnormal step (2^-25) where fp16 has no more precision. */
static int same_source(double x, double y) {
  if (x != x || y != y) return x != x && y != y;
  if (x == y) return 1;
  double m = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
  return fabs(x - y) <= (1.0 / 256 + 1.0 / 2048) * m + 0x1p-25;
}

/* Across dtypes of different widths (a --dtype cast): cast the wider
 * side's block to the narrower dtype with convert's own cast and compare
 * bytes, counting the values the cast sent to inf (convert's own count,
 * ck_dtype_count_overflow) or to zero.  0, or -1 when the pair is not one
 * ck_dtype_cast converts (then the tolerance rule applies). */
static int compare_rounded(cmp_ctx *c, const unsigned char *got, uint64_t n) {
  size_t gs = ck_dtype_size(c->got_dt), ws = ck_dtype_size(c->want_dt);
  if (gs == ws || !ck_dtype_is_castable_float(c->got_dt) ||
      !ck_dtype_is_castable_float(c->want_dt))
    return -1;
  const unsigned char *wide = gs > ws ? got : c->want + c->pos * ws;
  const unsigned char *narrow = gs > ws ? c->want + c->pos * ws : got;
  ck_dtype wide_dt = gs > ws ? c->got_dt : c->want_dt;
  ck_dtype narrow_dt = gs > ws ? c->want_dt : c->got_dt;
  c->within_tolerance = 0; /* this rule, not the tolerance one, decides */
  size_t ns = ck_dtype_size(narrow_dt), wsz = ck_dtype_size(wide_dt);
  unsigned char buf[CMP_CHUNK * 8];
  double w[CMP_CHUNK], r[CMP_CHUNK], y[CMP_CHUNK];
  ck_error e;
  for (uint64_t i = 0; i < n; i += CMP_CHUNK) {
    size_t k = n - i < CMP_CHUNK ? (size_t)(n - i) : CMP_CHUNK;
    if (ck_dtype_cast(narrow_dt, buf, wide_dt, wide + i * wsz, k, &e))
      return -1;
    c->overflow_inf +=
        ck_dtype_count_overflow(narrow_dt, buf, wide_dt, wide + i * wsz, k);
    to_f64(wide_dt, wide, i, k, w);
    to_f64(narrow_dt, buf, 0, k, r);
    to_f64(narrow_dt, narrow, i, k, y);
    int same = memcmp(buf, narrow + i * ns, k * ns) == 0;
    for (size_t j = 0; j < k; j++) {
      if (r[j] == 0 && w[j] != 0) c->underflow_zero++;
      if (!same && c->rounded_identical &&
          memcmp(buf + j * ns, narrow + (i + j) * ns, ns) != 0) {
        c->rounded_identical = 0;
        c->bad_at = c->pos + i + j;
      }
      double rel = rel_diff(w[j], y[j]);
      if (rel > c->max_rel) c->max_rel = rel;
    }
  }
  return 0;
}

static int compare_sink(void *arg, const void *bytes, size_t len,
                        ck_error *err) {
  (void)err;
  cmp_ctx *c = arg;
  size_t es = ck_dtype_size(c->got_dt);
  uint64_t n = len / es;
  if (c->want_dt == c->got_dt) {
    if (memcmp(bytes, c->want + c->pos * es, len) != 0 && c->bit_identical) {
      c->bit_identical = 0;
      for (uint64_t i = 0; i < n; i++)
        if (memcmp((const unsigned char *)bytes + i * es,
                   c->want + (c->pos + i) * es, es) != 0) {
          c->bad_at = c->pos + i;
          break;
        }
    }
  } else if (c->bit_identical = 0, compare_rounded(c, bytes, n) != 0) {
    /* fp16 against bf16: values within the coarser rounding */
    c->rounded_identical = 0;
    double x[CMP_CHUNK], y[CMP_CHUNK];
    for (uint64_t i = 0; i < n; i += CMP_CHUNK) {
      size_t k = n - i < CMP_CHUNK ? (size_t)(n - i) : CMP_CHUNK;
      if (to_f64(c->got_dt, bytes, i, k, x) ||
          to_f64(c->want_dt, c->want, c->pos + i, k, y)) {
        /* not floating point on both sides: only equal bytes agree */
        if (c->within_tolerance) c->bad_at = c->pos + i;
        c->within_tolerance = 0;
        break;
      }
      for (size_t j = 0; j < k; j++) {
        if (c->within_tolerance && !same_source(x[j], y[j])) {
          c->within_tolerance = 0;
          c->bad_at = c->pos + i + j;
        }
        double rel = rel_diff(x[j], y[j]);
        if (rel > c->max_rel) c->max_rel = rel;
      }
    }
  }
  c->pos += n;
  return 0;
}

static void note(ck_verify_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(ck_verify_report *r, const char *fmt, ...) {
  if (r->first_difference[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->first_difference, sizeof r->first_difference, fmt, ap);
  va_end(ap);
}

/* verify's per-tensor state: set on the calling thread (where the other
 * side's tensor is and whether the shapes agree), compared by a worker,
 * then tallied in job order so the report does not depend on --jobs. */
enum { VJ_MISSING, VJ_SHAPE, VJ_RUN, VJ_TIE };

typedef struct vjob {
  int state;
  int rc;
  cmp_ctx c;
} vjob;

typedef struct vpool {
  const ck_jobs *jobs;
  vjob *v;
  atomic_size_t next;
  atomic_int stop;
  size_t err_at;            /* lowest failing job (under mu) */
  ck_error err;
  pthread_mutex_t mu;
} vpool;

static void *verify_worker(void *arg) {
  vpool *p = arg;
  for (;;) {
    /* jobs are taken in increasing order, so every job before a failing
     * one has been taken and finishes: the error kept is the first one
     * in job order, as on one thread */
    if (atomic_load(&p->stop)) break;
    size_t j = atomic_fetch_add(&p->next, 1);
    if (j >= p->jobs->n) break;
    vjob *v = &p->v[j];
    if (v->state != VJ_RUN) continue;
    ck_error e;
    ck_error_clear(&e);
    v->rc = ck_jobs_run(p->jobs, j, compare_sink, &v->c, &e);
    if (v->rc) {
      pthread_mutex_lock(&p->mu);
      if (j < p->err_at) {
        p->err_at = j;
        p->err = e;
      }
      pthread_mutex_unlock(&p->mu);
      atomic_store(&p->stop, 1);
    }
  }
  return NULL;
}

/* Tied config, head present on one side: it must equal the embeddings of
 * that side (convert drops it). */
static void verify_tie(ck_verify_report *rep, const ck_ckpt_in *in,
                       const char *head, const char *emb) {
  const ck_ckpt_tensor *h = ck_ckpt_find(in, head);
  const ck_ckpt_tensor *e = emb ? ck_ckpt_find(in, emb) : NULL;
  uint64_t at = 0;
  int c = h && e ? ck_tie_compare(h, e, &at) : 2;
  if (c == 0) {
    rep->tied_heads++;
    if (!rep->tied_head[0])
      snprintf(rep->tied_head, sizeof rep->tied_head,
               "tied head '%s' identical to the embeddings '%s'", head, emb);
    return;
  }
  rep->compared++;
  rep->differing++;
  if (!e)
    note(rep, "tied head '%s' has no embeddings to compare with", head);
  else if (c == 2)
    note(rep, "tied head '%s' differs from the embeddings '%s' in shape or "
         "dtype", head, emb);
  else
    note(rep, "tied head '%s' differs from the embeddings '%s' at element "
         "%llu", head, emb, (unsigned long long)at);
}

/* The HF config a checkpoint's config exports to: what the formats map
 * (the architecture), in one canonical form for both layouts.  NULL with
 * err when it cannot be read or exported. */
static json_t *canonical_config(ck_rt *rt, const ck_ckpt_in *in,
                                const ck_format *f, ck_error *err) {
  json_t *base = NULL;
  if (ck_ckpt_kind_of(in) == CK_CKPT_HF) {
    if (!ck_import_hf_config(rt, f, ck_ckpt_config(in), NULL, NULL, &base,
                             err))
      return NULL;
  } else {
    ck_cfg *cfg = ck_load_base_model(rt, f, ck_ckpt_base_model(in), err);
    if (!cfg) return NULL;
    base = ck_cfg_to_dict(rt, cfg);
  }
  return ck_export_config(rt, f, base, err);
}

/* Configs are compared too: both sides exported as HF by format f must be
 * the same dict (the first differing key is named).  A side that cannot
 * be exported (upstream's gemma4 dense case) leaves them uncompared. */
static void verify_configs(ck_rt *rt, const ck_ckpt_in *x,
                           const ck_ckpt_in *y, const ck_format *f,
                           ck_verify_report *rep) {
  ck_error e;
  ck_error_clear(&e);
  json_t *cx = canonical_config(rt, x, f, &e);
  json_t *cy = cx ? canonical_config(rt, y, f, &e) : NULL;
  if (!cx || !cy) {
    snprintf(rep->config, sizeof rep->config, "not compared: %s", e.msg);
    return;
  }
  const char *k;
  json_t *v;
  json_object_foreach(cx, k, v) {
    json_t *w = json_object_get(cy, k);
    if (w && json_equal(v, w)) continue;
    char *a = ck_json_dumps_py(v, -1, 1);
    char *b = w ? ck_json_dumps_py(w, -1, 1) : NULL;
    snprintf(rep->config, sizeof rep->config, "differ: %s is %.200s in %s "
             "and %.200s in %s", k, a ? a : "?", ck_ckpt_dir(x),
             b ? b : "absent", ck_ckpt_dir(y));
    free(a);
    free(b);
    rep->config_differences = 1;
    return;
  }
  json_object_foreach(cy, k, v)
    if (!json_object_get(cx, k)) {
      snprintf(rep->config, sizeof rep->config, "differ: %s is absent in "
               "%s", k, ck_ckpt_dir(x));
      rep->config_differences = 1;
      return;
    }
  snprintf(rep->config, sizeof rep->config, "agree (%s, as exported by "
           "the %s mapping)", f->name, f->name);
}

/* The format both sides are read with: the fast_llm side's (given, or
 * recorded by ckconv), else the HF side's config.json. */
static const ck_format *pair_format(const ck_spec *spec, const ck_ckpt_in *x,
                                    const ck_ckpt_in *y, const char *given) {
  if (given && strcmp(given, "auto") != 0) return ck_format_find(spec, given);
  const ck_ckpt_in *sides[2] = {x, y};
  for (int i = 0; i < 2; i++) {
    json_t *c = ck_ckpt_config(sides[i]);
    if (ck_ckpt_kind_of(sides[i]) == CK_CKPT_HF) {
      ck_error e;
      const ck_format *f = ck_format_for_hf(spec, c, &e);
      if (f) return f;
    } else {
      json_t *r = json_object_get(
          json_object_get(json_object_get(c, "metadata"), "ckconv"), "format");
      if (json_is_string(r)) return ck_format_find(spec, json_string_value(r));
    }
  }
  return NULL;
}

int ck_verify(const ck_spec *spec, const char *a, const char *b,
              const char *format, int n_threads, ck_verify_report *rep,
              ck_error *err) {
  memset(rep, 0, sizeof *rep);
  ck_ckpt_kind ka, kb;
  if (ck_ckpt_detect(a, &ka, err) || ck_ckpt_detect(b, &kb, err)) return -1;
  ck_rt rt;
  ck_rt_init(&rt, spec, CK_LAYOUT_V4);
  int rc = -1;
  ck_loaded L = {0};
  ck_ckpt_in *other = NULL;
  ck_ties ties = {0};
  const char *tie_fl = NULL; /* the fast_llm side's tied head, if present */
  /* the fast_llm side (if any) is the one the plan runs from */
  const char *src = ka == CK_CKPT_FAST_LLM ? a : b;
  const char *dst = src == a ? b : a;
  ck_ckpt_kind kdst = src == a ? kb : ka;
  if (ka == kb) {
    src = a;
    dst = b;
  }
  other = ck_ckpt_open(dst, kdst, 0, err);
  if (!other) goto out;
  ck_jobs jobs;
  if (ka != kb) {
    const char *fmt = format;
    if (!fmt || strcmp(fmt, "auto") == 0) {
      const ck_format *f = ck_format_for_hf(spec, ck_ckpt_config(other), err);
      if (!f) goto out;
      fmt = f->name;
    }
    if (ck_load(&rt, src, fmt, 0, CK_LOAD_NO_EXPORT, NULL, &L, err))
      goto out;
    ck_find_ties(&rt, &L, &ties);
    ck_plan plan = L.plan;
    if (ties.tied && ties.head_fl && ck_ckpt_find(L.in, ties.head_fl)) {
      /* the tied head is held anyway: a leaf of its own keeps the job
       * builder from rejecting it; it is compared with the embeddings */
      int consumed = 0;
      for (size_t i = 0; i < plan.n; i++)
        for (int k = 0; k < plan.leaves[i].n_fl; k++)
          if (strcmp(plan.leaves[i].fl[k], ties.head_fl) == 0) consumed = 1;
      if (!consumed) {
        tie_fl = ties.head_fl;
        plan.leaves = ck_rt_alloc(&rt, sizeof *plan.leaves * (plan.n + 1));
        memcpy(plan.leaves, L.plan.leaves, sizeof *plan.leaves * plan.n);
        const char **name = ck_rt_alloc(&rt, sizeof *name);
        name[0] = tie_fl;
        plan.leaves[plan.n++] =
            (ck_leaf){name, 1, name, 1, CK_TF_PLAIN, NULL, NULL};
      }
    }
    if (ck_jobs_build(&rt, &plan, &L.params, CK_EXPORT, L.in,
                      CK_DT_INVALID, &jobs, err))
      goto out;
  } else {
    /* same layout: every tensor as is */
    L.in = ck_ckpt_open(src, ka, 0, err);
    if (!L.in) goto out;
    ck_plan plan = {0};
    ck_params params = {0};
    size_t n = ck_ckpt_count(L.in);
    plan.leaves = ck_rt_alloc(&rt, sizeof *plan.leaves * (n + 1));
    params.items = ck_rt_alloc(&rt, sizeof *params.items * (n + 1));
    for (size_t i = 0; i < n; i++) {
      const ck_ckpt_tensor *t = ck_ckpt_at(L.in, i);
      const char **name = ck_rt_alloc(&rt, sizeof *name);
      name[0] = t->name;
      plan.leaves[i] = (ck_leaf){name, 1, name, 1, CK_TF_PLAIN, NULL, NULL};
      ck_param *p = &params.items[i];
      p->name = t->name;
      p->ndim = t->t->ndim;
      for (int d = 0; d < p->ndim && d < CK_MAX_DIMS; d++)
        p->shape[d] = (long long)t->t->shape[d];
    }
    plan.n = params.n = n;
    if (ck_jobs_build(&rt, &plan, &params, CK_EXPORT, L.in, CK_DT_INVALID,
                      &jobs, err))
      goto out;
  }
  /* the src side's weights were checked by ck_jobs_build; the other's: */
  for (size_t k = 0; k < ck_ckpt_count(other); k++) {
    const ck_ckpt_tensor *t = ck_ckpt_at(other, k);
    char why[1024];
    if (ck_weight_dtype_bad(t, L.format ? L.format->name : NULL, why,
                            sizeof why)) {
      ck_fail_at(err, CK_STAGE_CHECKPOINT,
                 (ck_about){.file = ck_st_path(t->file), .tensor = t->name},
                 "%s", why);
      goto out;
    }
  }
  unsigned char *seen = ck_rt_alloc(&rt, ck_ckpt_count(other) + 1);
  vjob *v = ck_rt_alloc(&rt, sizeof *v * (jobs.n + 1));
  size_t n_run = 0;
  for (size_t j = 0; j < jobs.n; j++) {
    const ck_ckpt_out_tensor *o = &jobs.out[j];
    if (tie_fl && strcmp(o->name, tie_fl) == 0) {
      v[j].state = VJ_TIE;
      continue;
    }
    const ck_ckpt_tensor *t = ck_ckpt_find(other, o->name);
    if (!t) {
      v[j].state = VJ_MISSING;
      continue;
    }
    for (size_t k = 0; k < ck_ckpt_count(other); k++)
      if (ck_ckpt_at(other, k) == t) seen[k] = 1;
    int same_shape = t->t->ndim == o->ndim;
    for (int d = 0; same_shape && d < o->ndim; d++)
      same_shape = t->t->shape[d] == o->shape[d];
    if (!same_shape) {
      v[j].state = VJ_SHAPE;
      continue;
    }
    v[j].state = VJ_RUN;
    v[j].c = (cmp_ctx){.want = t->t->data, .want_dt = t->t->dtype,
                       .got_dt = o->dtype, .bit_identical = 1,
                       .rounded_identical = 1, .within_tolerance = 1};
    n_run++;
  }
  /* compare on up to n_threads threads (the caller's among them); each
   * job runs with ck_jobs_run's bounded block buffers */
  int nt = ck_write_jobs(n_threads);
  if ((size_t)nt > n_run) nt = n_run ? (int)n_run : 1;
  vpool pool = {.jobs = &jobs, .v = v, .err_at = (size_t)-1};
  atomic_init(&pool.next, 0);
  atomic_init(&pool.stop, 0);
  pthread_mutex_init(&pool.mu, NULL);
  pthread_t *th = ck_rt_alloc(&rt, sizeof *th * (size_t)nt);
  int started = 0;
  for (int i = 1; i < nt; i++, started++)
    if (pthread_create(&th[started], NULL, verify_worker, &pool)) break;
  verify_worker(&pool);
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&pool.mu);
  if (pool.err_at != (size_t)-1) {
    *err = pool.err;
    goto out;
  }
  for (size_t j = 0; j < jobs.n; j++) {
    const ck_ckpt_out_tensor *o = &jobs.out[j];
    if (v[j].state == VJ_TIE) continue;
    if (v[j].state == VJ_MISSING) {
      rep->unmatched++;
      note(rep, "'%s' is missing from %s", o->name, dst);
      continue;
    }
    rep->compared++;
    if (v[j].state == VJ_SHAPE) {
      rep->differing++;
      note(rep, "'%s' has different shapes", o->name);
      continue;
    }
    const cmp_ctx c = v[j].c;
    rep->overflow_inf += c.overflow_inf;
    rep->underflow_zero += c.underflow_zero;
    if (c.bit_identical) {
      rep->identical++;
    } else if (c.want_dt != c.got_dt && c.rounded_identical) {
      rep->rounded++;
    } else if (c.want_dt != c.got_dt && c.within_tolerance) {
      rep->within_tolerance++;
    } else {
      rep->differing++;
      note(rep, "'%s' differs at element %llu (%s vs %s%s)", o->name,
           (unsigned long long)c.bad_at, ck_dtype_name(c.got_dt),
           ck_dtype_name(c.want_dt),
           c.want_dt == c.got_dt ? ""
           : ck_dtype_size(c.want_dt) != ck_dtype_size(c.got_dt)
               ? ", not the wider one rounded to the narrower dtype"
               : ", beyond the dtype tolerance");
    }
    if (c.max_rel > rep->max_rel_diff) rep->max_rel_diff = c.max_rel;
  }
  if (tie_fl) verify_tie(rep, L.in, tie_fl, ties.emb_fl);
  const ck_format *cf = pair_format(spec, L.in, other, format);
  if (cf) {
    rt.layout = CK_LAYOUT_V4; /* one canonical layout for both */
    verify_configs(&rt, L.in, other, cf, rep);
  } else {
    snprintf(rep->config, sizeof rep->config,
             "not compared: no HF format known for either side (give -f)");
  }
  for (size_t k = 0; k < ck_ckpt_count(other); k++)
    if (!seen[k]) {
      const char *name = ck_ckpt_at(other, k)->name;
      if (ka != kb && ck_tied_head(&ties, CK_CKPT_HF, name)) {
        verify_tie(rep, other, name, ties.emb_hf);
        continue;
      }
      rep->unmatched++;
      note(rep, "'%s' in %s has no counterpart in %s", name, dst, src);
    }
  rc = 0;
out:
  ck_ckpt_close(other);
  ck_loaded_close(&L);
  ck_rt_free(&rt);
  return rc;
}
