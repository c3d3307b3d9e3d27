/* ck_jobs_build.c - weight plan -> tensor jobs.
 *
 * Runtime stage after ck_weights.c: each leaf converter becomes the jobs
 * that produce its outputs from the mapped input tensors (byte-range
 * copies, transposes), after every shape, dtype and coverage check; each
 * problem is reported with the tensor it is about.
 */
#include "ck_job.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ shapes */

typedef struct shape {
  int ndim;
  uint64_t d[CK_ST_MAX_RANK];
} shape;

static void shape_text(const shape *s, char *buf, size_t n) {
  size_t used = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < s->ndim && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%llu", i ? ", " : "",
                             (unsigned long long)s->d[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
}

static int shape_eq(const shape *a, const ck_st_tensor *t) {
  if (a->ndim != t->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->d[i] != t->shape[i]) return 0;
  return 1;
}

static uint64_t numel(const shape *s) {
  uint64_t n = 1;
  for (int i = 0; i < s->ndim; i++) n *= s->d[i];
  return n;
}

/* HF-side shapes of a leaf from its Fast-LLM shape. */
static int hf_shapes(const ck_leaf *l, const shape *fl, shape *hf,
                     char *why, size_t n) {
  int parts = l->n_hf;
  switch (l->transform) {
  case CK_TF_PLAIN:
  case CK_TF_OUTPUT:
    for (int j = 0; j < parts; j++) hf[j] = *fl;
    return 0;
  case CK_TF_SPLIT:
  case CK_TF_KEY_VALUE:
  case CK_TF_SHARED_KEY_VALUE: /* one HF name: the K-only tensor as is */
  case CK_TF_TRANSPOSE_SPLIT:
    if (fl->ndim < 1 || fl->d[0] % (uint64_t)parts != 0) {
      snprintf(why, n, "dimension 0 of %s is not divisible into %d parts",
               l->fl[0], parts);
      return -1;
    }
    for (int j = 0; j < parts; j++) {
      hf[j] = *fl;
      hf[j].d[0] = fl->d[0] / (uint64_t)parts;
      if (l->transform == CK_TF_TRANSPOSE_SPLIT && fl->ndim == 2) {
        hf[j].d[0] = fl->d[1];
        hf[j].d[1] = fl->d[0] / (uint64_t)parts;
      }
    }
    return 0;
  case CK_TF_MOE_LAYER_1:
  case CK_TF_MOE_LAYER_2: {
    /* [E*k, H] <-> [E, k, H] (layer 1, same bytes) or [E, H, k] (layer 2,
     * each expert transposed) */
    json_t *e = l->params ? json_object_get(l->params, "experts") : NULL;
    uint64_t E = json_is_integer(e) ? (uint64_t)json_integer_value(e) : 0;
    if (!E || fl->ndim != 2 || fl->d[0] % E) {
      snprintf(why, n, "%s: not divisible into %llu experts", l->fl[0],
               (unsigned long long)E);
      return -1;
    }
    hf[0].ndim = 3;
    hf[0].d[0] = E;
    hf[0].d[1] = l->transform == CK_TF_MOE_LAYER_1 ? fl->d[0] / E : fl->d[1];
    hf[0].d[2] = l->transform == CK_TF_MOE_LAYER_1 ? fl->d[1] : fl->d[0] / E;
    return 0;
  }
  case CK_TF_PATCH_EMBEDDING: {
    /* [out, C*h*w] <-> [out, C, h, w]: the same bytes, another shape */
    json_t *c = l->params ? json_object_get(l->params, "input_channels") : NULL;
    json_t *h = l->params ? json_object_get(l->params, "patch_height") : NULL;
    json_t *w = l->params ? json_object_get(l->params, "patch_width") : NULL;
    if (!json_is_integer(c) || !json_is_integer(h) || !json_is_integer(w) ||
        fl->ndim != 2 ||
        fl->d[1] != (uint64_t)(json_integer_value(c) * json_integer_value(h) *
                               json_integer_value(w))) {
      snprintf(why, n, "%s: patch embedding shape does not match its "
               "input_channels x patch_height x patch_width", l->fl[0]);
      return -1;
    }
    hf[0].ndim = 4;
    hf[0].d[0] = fl->d[0];
    hf[0].d[1] = (uint64_t)json_integer_value(c);
    hf[0].d[2] = (uint64_t)json_integer_value(h);
    hf[0].d[3] = (uint64_t)json_integer_value(w);
    return 0;
  }
  default:
    snprintf(why, n, "the tensor engine does not run transform '%s' yet",
             ck_transform_name(l->transform));
    return -1;
  }
}

/* ------------------------------------------------------- job building */

typedef struct builder {
  ck_rt *rt;
  ck_error *err;
  int problems;
  const ck_tensor_sink *sink;
} builder;

/* One problem with the input tensors: to the sink as it is, and into the
 * error, which lists the first 20. */
static void problem_at(builder *b, const char *kind, ck_stage stage,
                       const char *tensor, const char *buf) {
  if (b->sink && b->sink->fn) b->sink->fn(b->sink->arg, kind, stage, tensor, buf);
  if (b->problems++ == 0)
    ck_fail_at(b->err, stage, (ck_about){.tensor = tensor}, "%s", buf);
  else if (b->problems <= 20) ck_error_append(b->err, "; %s", buf);
  else if (b->problems == 21) ck_error_append(b->err, "; ...");
}

static void problem(builder *b, const char *kind, const char *tensor,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(builder *b, const char *kind, const char *tensor,
                    const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  problem_at(b, kind, CK_STAGE_WEIGHTS, tensor, buf);
}

int ck_weight_dtype_bad(const ck_ckpt_tensor *t, const char *model,
                        char *buf, size_t n) {
  if (!ck_dtype_is_integer(t->t->dtype)) return 0;
  snprintf(buf, n, "%s: tensor '%s' has dtype %s; the weights of %s%s "
           "model are floating point", ck_st_path(t->file), t->name,
           ck_dtype_name(t->t->dtype), model ? "a " : "the",
           model ? model : "");
  return 1;
}

static void add_out(ck_rt *rt, ck_jobs *J, size_t *cap, const char *name,
                    ck_dtype dt, const shape *s, ck_job job) {
  if (J->n == *cap) {
    *cap = *cap ? 2 * *cap : 256;
    ck_job *nj = ck_rt_alloc(rt, sizeof *nj * *cap);
    ck_ckpt_out_tensor *no = ck_rt_alloc(rt, sizeof *no * *cap);
    if (J->n) {
      memcpy(nj, J->jobs, sizeof *nj * J->n);
      memcpy(no, J->out, sizeof *no * J->n);
    }
    J->jobs = nj;
    J->out = no;
  }
  ck_ckpt_out_tensor *o = &J->out[J->n];
  memset(o, 0, sizeof *o);
  o->name = name;
  o->dtype = dt;
  o->ndim = s->ndim;
  for (int i = 0; i < s->ndim; i++) o->shape[i] = s->d[i];
  job.out_dt = dt;
  job.out_elems = numel(s);
  job.overflow_inf = J->overflow_inf;
  J->jobs[J->n++] = job;
  J->total_bytes += job.out_elems * ck_dtype_size(dt);
}

static const unsigned char *data(const ck_ckpt_tensor *t) {
  return (const unsigned char *)t->t->data;
}

int ck_jobs_build(ck_rt *rt, const ck_plan *plan, const ck_params *params,
                  ck_direction dir, const ck_ckpt_in *in, ck_dtype out_dtype,
                  ck_jobs *J, ck_error *err) {
  return ck_jobs_build_each(rt, plan, params, dir, in, out_dtype, NULL, J, err);
}

/* Input k is another name for the bytes of a consumed input (same file,
 * offset, dtype, shape): torch.save writes tied weights so, both names
 * viewing one storage.  Nothing is lost by not copying it; the preflight
 * (ck_plan.c) allows this for a tied head only. */
static int alias_of_used(const ck_ckpt_in *in, const unsigned char *used,
                         size_t k) {
  const ck_ckpt_tensor *a = ck_ckpt_at(in, k);
  for (size_t j = 0; j < ck_ckpt_count(in); j++) {
    const ck_ckpt_tensor *b = ck_ckpt_at(in, j);
    if (!used[j] || b->file != a->file ||
        b->t->file_offset != a->t->file_offset ||
        b->t->dtype != a->t->dtype || b->t->ndim != a->t->ndim)
      continue;
    int d = 0;
    while (d < a->t->ndim && a->t->shape[d] == b->t->shape[d]) d++;
    if (d == a->t->ndim) return 1;
  }
  return 0;
}

int ck_jobs_build_each(ck_rt *rt, const ck_plan *plan, const ck_params *params,
                       ck_direction dir, const ck_ckpt_in *in,
                       ck_dtype out_dtype, const ck_tensor_sink *sink,
                       ck_jobs *J, ck_error *err) {
  memset(J, 0, sizeof *J);
  J->overflow_inf = ck_rt_alloc(rt, sizeof *J->overflow_inf);
  atomic_init(J->overflow_inf, 0);
  builder b = {rt, err, 0, sink};
  size_t cap = 0;
  size_t n_in = ck_ckpt_count(in);
  unsigned char *used = ck_rt_alloc(rt, n_in + 1);
  for (size_t li = 0; li < plan->n; li++) {
    const ck_leaf *l = &plan->leaves[li];
    char why[512];
    const ck_param *p = ck_params_find(params, l->fl[0]);
    if (!p) {
      problem(&b, "coverage", l->fl[0], "the model has no tensor '%s'",
              l->fl[0]);
      continue;
    }
    shape fl = {p->ndim, {0}};
    shape *hf = ck_rt_alloc(rt, sizeof *hf * (size_t)(l->n_hf + 1));
    for (int i = 0; i < p->ndim; i++) fl.d[i] = (uint64_t)p->shape[i];
    if (hf_shapes(l, &fl, hf, why, sizeof why)) {
      problem(&b, "transform", NULL, "%s", why);
      continue;
    }
    int n_src = dir == CK_EXPORT ? l->n_fl : l->n_hf;
    const char **src_names = dir == CK_EXPORT ? l->fl : l->hf;
    const ck_ckpt_tensor **src =
        ck_rt_alloc(rt, sizeof *src * (size_t)(n_src + 1));
    int missing = 0;
    ck_dtype dt = CK_DT_INVALID;
    for (int i = 0; i < n_src; i++) {
      src[i] = ck_ckpt_find(in, src_names[i]);
      if (!src[i]) {
        problem(&b, "missing", src_names[i], "missing tensor '%s'",
                src_names[i]);
        missing = 1;
        continue;
      }
      for (size_t k = 0; k < n_in; k++)
        if (ck_ckpt_at(in, k) == src[i]) used[k] = 1;
      if (ck_weight_dtype_bad(src[i], plan->model, why, sizeof why)) {
        problem_at(&b, "dtype", CK_STAGE_CHECKPOINT, src_names[i], why);
        missing = 1;
        continue;
      }
      const shape *want = dir == CK_EXPORT ? &fl : &hf[i];
      if (!shape_eq(want, src[i]->t)) {
        char a[128], c[128];
        shape got = {src[i]->t->ndim, {0}};
        for (int d = 0; d < got.ndim; d++) got.d[d] = src[i]->t->shape[d];
        shape_text(&got, a, sizeof a);
        shape_text(want, c, sizeof c);
        problem(&b, "shape", src_names[i],
                "tensor '%s' has shape %s but the config implies %s",
                src_names[i], a, c);
        missing = 1;
      }
      if (dt == CK_DT_INVALID) {
        dt = src[i]->t->dtype;
      } else if (dt != src[i]->t->dtype) {
        problem(&b, "dtype", src_names[0],
                "tensors of one converter have different dtypes: '%s' "
                "is %s, '%s' is %s",
                src_names[0], ck_dtype_name(dt), src_names[i],
                ck_dtype_name(src[i]->t->dtype));
        missing = 1;
      }
    }
    if (missing) continue;
    ck_dtype odt = out_dtype == CK_DT_INVALID ? dt : out_dtype;
    if (odt != dt &&
        !(ck_dtype_is_castable_float(dt) && ck_dtype_is_castable_float(odt))) {
      problem(&b, "dtype", src_names[0], "cannot cast '%s' from %s to %s",
              src_names[0], ck_dtype_name(dt), ck_dtype_name(odt));
      continue;
    }
    size_t es = ck_dtype_size(dt);
    int transposed = l->transform == CK_TF_TRANSPOSE_SPLIT && fl.ndim == 2;
    ck_job base = {0};
    base.in_dt = dt;
    base.esize = es;
    if (l->transform == CK_TF_MOE_LAYER_2) {
      /* per expert: [k, H] <-> [H, k] */
      ck_job job = base;
      job.kind = JOB_T_BATCH;
      job.src = data(src[0]);
      job.n_batch = hf[0].d[0];
      job.R = dir == CK_EXPORT ? hf[0].d[2] : hf[0].d[1];
      job.C = dir == CK_EXPORT ? hf[0].d[1] : hf[0].d[2];
      if (dir == CK_EXPORT) add_out(rt, J, &cap, l->hf[0], odt, &hf[0], job);
      else add_out(rt, J, &cap, l->fl[0], odt, &fl, job);
      continue;
    }
    if (dir == CK_EXPORT) {
      uint64_t bytes = src[0]->t->nbytes, part = bytes / (uint64_t)l->n_hf;
      for (int j = 0; j < l->n_hf; j++) {
        ck_job job = base;
        if (transposed) {
          job.kind = JOB_T_EXPORT;
          job.src = data(src[0]);
          job.R = fl.d[0];
          job.C = fl.d[1];
          job.rn = fl.d[0] / (uint64_t)l->n_hf;
          job.r0 = job.rn * (uint64_t)j;
        } else {
          job.kind = JOB_COPY;
          job.n_segs = 1;
          job.seg_ptr = ck_rt_alloc(rt, sizeof *job.seg_ptr);
          job.seg_len = ck_rt_alloc(rt, sizeof *job.seg_len);
          job.seg_file = ck_rt_alloc(rt, sizeof *job.seg_file);
          job.seg_off = ck_rt_alloc(rt, sizeof *job.seg_off);
          job.seg_ptr[0] = data(src[0]) ? data(src[0]) + part * (uint64_t)j : NULL;
          job.seg_len[0] = part;
          job.seg_file[0] = src[0]->file;
          job.seg_off[0] = src[0]->t->file_offset + part * (uint64_t)j;
        }
        add_out(rt, J, &cap, l->hf[j], odt, &hf[j], job);
      }
    } else {
      ck_job job = base;
      if (transposed) {
        job.kind = JOB_T_IMPORT;
        job.n_srcs = l->n_hf;
        job.srcs = ck_rt_alloc(rt, sizeof *job.srcs * (size_t)l->n_hf);
        for (int j = 0; j < l->n_hf; j++) job.srcs[j] = data(src[j]);
        job.C = fl.d[1];
        job.rn = fl.d[0] / (uint64_t)l->n_hf;
        job.R = fl.d[0];
      } else {
        job.kind = JOB_COPY;
        job.n_segs = l->n_hf;
        job.seg_ptr = ck_rt_alloc(rt, sizeof *job.seg_ptr * (size_t)l->n_hf);
        job.seg_len = ck_rt_alloc(rt, sizeof *job.seg_len * (size_t)l->n_hf);
        job.seg_file = ck_rt_alloc(rt, sizeof *job.seg_file * (size_t)l->n_hf);
        job.seg_off = ck_rt_alloc(rt, sizeof *job.seg_off * (size_t)l->n_hf);
        for (int j = 0; j < l->n_hf; j++) {
          job.seg_ptr[j] = data(src[j]);
          job.seg_len[j] = src[j]->t->nbytes;
          job.seg_file[j] = src[j]->file;
          job.seg_off[j] = src[j]->t->file_offset;
        }
      }
      add_out(rt, J, &cap, l->fl[0], odt, &fl, job);
    }
  }
  for (size_t k = 0; k < n_in; k++)
    if (!used[k] && !alias_of_used(in, used, k) &&
        !(sink && sink->skip && sink->skip(sink->arg, ck_ckpt_at(in, k)->name)))
      problem(&b, "unexpected", ck_ckpt_at(in, k)->name,
              "unexpected tensor '%s' (no converter of this format "
              "consumes it)",
              ck_ckpt_at(in, k)->name);
  if (b.problems > 1)
    ck_error_prefix(err, "%d problems with the input tensors: ", b.problems);
  return b.problems ? -1 : 0;
}
