/* ck_engine.c - plan -> jobs -> bytes, in bounded memory.
 *
 * Runtime stage after ck_weights.c.  Every transform of the llama family
 * is either a byte-range copy (rename, split and key-value chunks along
 * dim 0, their concatenation on import) or a transpose of a 2-D tensor
 * split along its last dimension; both are produced block by block from
 * the mmapped input, so memory stays at a few MiB whatever the tensor.
 * The fast path (ck_jobs_write, end of file) writes the same bytes at
 * their offsets from several threads, identity copies in the kernel.
 */
#include "ck_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_BYTES CK_ENGINE_BLOCK_BYTES

enum { JOB_COPY, JOB_T_EXPORT, JOB_T_IMPORT, JOB_T_BATCH };

struct ck_job {
  int kind;
  ck_dtype in_dt, out_dt;
  size_t esize;            /* input element size */
  uint64_t out_elems;
  /* COPY: concatenation of byte segments of the inputs */
  const unsigned char **seg_ptr;
  uint64_t *seg_len;
  const ck_st_file **seg_file; /* where each segment lives on disk, */
  uint64_t *seg_off;           /* for copy_file_range */
  int n_segs;
  /* T_EXPORT: input [R, C]; output [C, rn] = rows r0..r0+rn, transposed */
  const unsigned char *src;
  uint64_t R, C, r0, rn;
  /* T_IMPORT: n inputs [C, rn]; output [n*rn, C] */
  const unsigned char **srcs;
  int n_srcs;
  /* T_BATCH: input [n_batch, R, C] (src) -> output [n_batch, C, R] */
  uint64_t n_batch;
};

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
static void problem(builder *b, const char *kind, const char *tensor,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(builder *b, const char *kind, const char *tensor,
                    const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (b->sink) b->sink->fn(b->sink->arg, kind, tensor, buf);
  if (b->problems++ == 0)
    ck_fail_at(b->err, CK_STAGE_WEIGHTS, (ck_about){.tensor = tensor}, "%s",
               buf);
  else if (b->problems <= 20) ck_error_append(b->err, "; %s", buf);
  else if (b->problems == 21) ck_error_append(b->err, "; ...");
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

int ck_jobs_build_each(ck_rt *rt, const ck_plan *plan, const ck_params *params,
                       ck_direction dir, const ck_ckpt_in *in,
                       ck_dtype out_dtype, const ck_tensor_sink *sink,
                       ck_jobs *J, ck_error *err) {
  memset(J, 0, sizeof *J);
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
    if (!used[k])
      problem(&b, "unexpected", ck_ckpt_at(in, k)->name,
              "unexpected tensor '%s' (no converter of this format "
              "consumes it)",
              ck_ckpt_at(in, k)->name);
  if (b.problems > 1)
    ck_error_prefix(err, "%d problems with the input tensors: ", b.problems);
  return b.problems ? -1 : 0;
}

/* ----------------------------------------------------------- running */

/* A worker's scratch memory: raw holds transposed input, cast the cast
 * output.  Fixed size (BUF_BYTES each) and reused for every job; it only
 * grows when a single output row is longer than a block (one row of a
 * tensor, never a whole tensor). */
typedef struct out_buf {
  unsigned char *raw, *cast;
  size_t raw_bytes, cast_bytes;
} out_buf;

static int buf_ensure(out_buf *b, size_t raw, size_t cast, ck_error *err) {
  if (raw > b->raw_bytes) {
    unsigned char *p = realloc(b->raw, raw);
    if (!p)
      return ck_fail(err, CK_STAGE_IO, "out of memory for a %zu-byte block",
                     raw);
    b->raw = p;
    b->raw_bytes = raw;
  }
  if (cast > b->cast_bytes) {
    unsigned char *p = realloc(b->cast, cast);
    if (!p)
      return ck_fail(err, CK_STAGE_IO, "out of memory for a %zu-byte block",
                     cast);
    b->cast = p;
    b->cast_bytes = cast;
  }
  return 0;
}

static void buf_free(out_buf *b) {
  free(b->raw);
  free(b->cast);
  b->raw = b->cast = NULL;
  b->raw_bytes = b->cast_bytes = 0;
}

/* Cast (if needed) n elements of p and hand them to the sink.  The cast
 * kernels of ck_dtype.c are one loop per (from, to) pair: the dispatch
 * happens once per block, never per element. */
static int emit(const ck_job *job, out_buf *b, const unsigned char *p,
                size_t n, ck_sink_fn sink, void *arg, ck_error *err) {
  if (job->in_dt == job->out_dt)
    return sink(arg, p, n * job->esize, err);
  if (ck_dtype_cast(job->out_dt, b->cast, job->in_dt, p, n, err)) return -1;
  return sink(arg, b->cast, n * ck_dtype_size(job->out_dt), err);
}

/* dst[c * dst_stride + r] = src[r * src_stride + c] for r < rows,
 * c < cols, in TILE x TILE tiles (4 KiB of f32 per side, both in L1) so
 * that both sides stay in cache: a plain column walk over a transposed
 * weight misses the cache on every read.  One macro instance per element
 * size: the inner loop is a plain load/store, no call. */
#define TILE 32
#define TRANSPOSE(T)                                                       \
  do {                                                                     \
    T *d = (T *)dst;                                                       \
    const T *sr = (const T *)src;                                          \
    for (uint64_t r0 = 0; r0 < rows; r0 += TILE)                           \
      for (uint64_t c0 = 0; c0 < cols; c0 += TILE) {                       \
        uint64_t r1 = r0 + TILE < rows ? r0 + TILE : rows;                 \
        uint64_t c1 = c0 + TILE < cols ? c0 + TILE : cols;                 \
        for (uint64_t r = r0; r < r1; r++)                                 \
          for (uint64_t c = c0; c < c1; c++)                               \
            d[c * dst_stride + r] = sr[r * src_stride + c];                \
      }                                                                    \
  } while (0)

static void transpose(void *dst, uint64_t dst_stride, const void *src,
                      uint64_t src_stride, uint64_t rows, uint64_t cols,
                      size_t es) {
  switch (es) {
  case 1: TRANSPOSE(uint8_t); break;
  case 2: TRANSPOSE(uint16_t); break;
  case 4: TRANSPOSE(uint32_t); break;
  default: TRANSPOSE(uint64_t); break;
  }
}

/* Elements per block for a job: BUF_BYTES of the wider of its input and
 * output element. */
static uint64_t block_elems(const ck_job *job) {
  size_t w = job->esize > ck_dtype_size(job->out_dt) ? job->esize
                                                     : ck_dtype_size(job->out_dt);
  uint64_t cap = BUF_BYTES / (w ? w : 1);
  if (cap > job->out_elems) cap = job->out_elems ? job->out_elems : 1;
  return cap;
}

/* Make room for `elems` elements of a job in b (raw if the job transposes,
 * cast if it casts). */
static int job_room(const ck_job *job, out_buf *b, uint64_t elems,
                    ck_error *err) {
  size_t raw = job->kind != JOB_COPY ? (size_t)elems * job->esize : 0;
  size_t cast = job->in_dt != job->out_dt
                    ? (size_t)elems * ck_dtype_size(job->out_dt) : 0;
  return buf_ensure(b, raw, cast, err);
}

/* Produce job's bytes, in order, in blocks of at most block_elems
 * elements (a transposed row may make one block longer), into sink. */
static int run_job(const ck_job *job, out_buf *b, ck_sink_fn sink, void *arg,
                   ck_error *err) {
  size_t es = job->esize;
  uint64_t cap = block_elems(job);
  if (job->kind == JOB_COPY && job->in_dt == job->out_dt) {
    /* straight from the mapped input: one call per segment, so the writer
     * can hand large ranges to write(2) without copying them */
    for (int s = 0; s < job->n_segs; s++)
      if (sink(arg, job->seg_ptr[s], (size_t)job->seg_len[s], err)) return -1;
    return 0;
  }
  if (job->kind == JOB_COPY) {
    if (job_room(job, b, cap, err)) return -1;
    for (int s = 0; s < job->n_segs; s++) {
      uint64_t n = job->seg_len[s] / es;
      for (uint64_t off = 0; off < n; off += cap) {
        size_t k = (size_t)(n - off < cap ? n - off : cap);
        if (emit(job, b, job->seg_ptr[s] + off * es, k, sink, arg, err))
          return -1;
      }
    }
    return 0;
  }
  if (job->kind == JOB_T_EXPORT) {
    /* output rows c (of length rn), as many as fit in one block */
    uint64_t rows = cap / (job->rn ? job->rn : 1);
    if (rows == 0) rows = 1;
    if (job_room(job, b, rows * job->rn, err)) return -1;
    for (uint64_t c0 = 0; c0 < job->C; c0 += rows) {
      uint64_t c1 = c0 + rows < job->C ? c0 + rows : job->C;
      /* output rows c0..c1 of [C, rn] = columns c0..c1 of input rows
       * r0..r0+rn */
      transpose(b->raw, job->rn, job->src + (job->r0 * job->C + c0) * es,
                job->C, job->rn, c1 - c0, es);
      if (emit(job, b, b->raw, (size_t)((c1 - c0) * job->rn), sink, arg, err))
        return -1;
    }
    return 0;
  }
  if (job->kind == JOB_T_BATCH) {
    /* each of n_batch [R, C] matrices, transposed to [C, R] */
    uint64_t rows = cap / (job->R ? job->R : 1);
    if (rows == 0) rows = 1;
    if (job_room(job, b, rows * job->R, err)) return -1;
    for (uint64_t e = 0; e < job->n_batch; e++) {
      const unsigned char *m = job->src + e * job->R * job->C * es;
      for (uint64_t c0 = 0; c0 < job->C; c0 += rows) {
        uint64_t c1 = c0 + rows < job->C ? c0 + rows : job->C;
        transpose(b->raw, job->R, m + c0 * es, job->C, job->R, c1 - c0, es);
        if (emit(job, b, b->raw, (size_t)((c1 - c0) * job->R), sink, arg,
                 err))
          return -1;
      }
    }
    return 0;
  }
  /* T_IMPORT */
  uint64_t rows = cap / (job->C ? job->C : 1);
  if (rows == 0) rows = 1;
  if (job_room(job, b, rows * job->C, err)) return -1;
  for (uint64_t r0 = 0; r0 < job->R; r0 += rows) {
    uint64_t r1 = r0 + rows < job->R ? r0 + rows : job->R;
    /* output rows r0..r1 of [R, C]; row r is column r % rn of input
     * r / rn ([C, rn]); split where the input changes */
    for (uint64_t r = r0; r < r1;) {
      uint64_t j = r / job->rn, rr = r % job->rn;
      uint64_t n = job->rn - rr < r1 - r ? job->rn - rr : r1 - r;
      transpose(b->raw + (r - r0) * job->C * es, job->C,
                job->srcs[j] + rr * es, job->rn, job->C, n, es);
      r += n;
    }
    if (emit(job, b, b->raw, (size_t)((r1 - r0) * job->C), sink, arg, err))
      return -1;
  }
  return 0;
}

int ck_jobs_run(const ck_jobs *jobs, size_t index, ck_sink_fn sink,
                void *arg, ck_error *err) {
  out_buf b = {0};
  int rc = run_job(&jobs->jobs[index], &b, sink, arg, err);
  buf_free(&b);
  return rc;
}

static int to_writer(void *arg, const void *bytes, size_t len,
                     ck_error *err) {
  return ck_st_writer_write((ck_st_writer *)arg, bytes, len, err);
}

int ck_jobs_produce(void *ctx, size_t index, ck_st_writer *w, ck_error *err) {
  ck_jobs_progress *p = ctx;
  if (ck_jobs_run(p->jobs, index, to_writer, w, err)) return -1;
  p->done_bytes += p->jobs->jobs[index].out_elems *
                   ck_dtype_size(p->jobs->jobs[index].out_dt);
  if (p->report) p->report(p->report_arg, p->done_bytes, p->jobs->total_bytes);
  return 0;
}

/* ------------------------------------------------ positional fast path
 *
 * ck_jobs_write: the output files are laid out from the plan (headers
 * written, files sized), then N worker threads take tensors in write
 * order and write each at its known offset: identity copies with
 * copy_file_range(2) (the bytes never enter user memory; the kernel may
 * even share blocks), everything else through run_job into pwrite(2).
 * Each worker owns one out_buf, so memory is N * 2 * BUF_BYTES whatever
 * the model. */

uint64_t ck_jobs_write_memory(int n_workers) {
  return (uint64_t)(n_workers > 0 ? n_workers : 1) * 2 * BUF_BYTES;
}

/* One open input file: copy_file_range needs a descriptor, the job only
 * knows the mapped file. */
typedef struct src_fd {
  const ck_st_file *file;
  int fd;
} src_fd;

typedef struct shared {
  const ck_jobs *jobs;
  ck_ckpt_out *o;
  int simple;                /* no copy_file_range */
  src_fd *srcs;
  size_t n_srcs;
  pthread_mutex_t mu;        /* guards everything below */
  size_t next;               /* next position in write order */
  int failed;
  ck_error err;              /* the first worker error */
  uint64_t done;
  void (*report)(void *arg, uint64_t done, uint64_t total);
  void *report_arg;
} shared;

/* copy_file_range does not work between these files (other file
 * systems, old kernel, special files): every later copy goes straight
 * to the fallback.  Set once by any worker; a stale 0 read by another
 * costs one failing call. */
static _Atomic int cfr_broken;

static int src_fd_of(const shared *S, const ck_st_file *f) {
  for (size_t i = 0; i < S->n_srcs; i++)
    if (S->srcs[i].file == f) return S->srcs[i].fd;
  return -1;
}

static int write_failed(const char *path, const char *name, int e,
                        ck_error *err) {
  return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path, .tensor = name},
                    "%s: tensor '%.400s': write failed: %s%s", path, name,
                    strerror(e),
                    e == ENOSPC || e == EDQUOT ? " (the disk is full)" : "");
}

static int pwrite_all(int fd, const unsigned char *p, size_t len,
                      uint64_t off) {
  while (len) {
    ssize_t w = pwrite(fd, p, len, (off_t)off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    if (w == 0) {
      errno = EIO;
      return -1;
    }
    p += w;
    off += (uint64_t)w;
    len -= (size_t)w;
  }
  return 0;
}

/* Sink of run_job for the fast path: pwrite at a running offset. */
typedef struct at_sink {
  int fd;
  uint64_t off;
  const char *path, *name;
} at_sink;

static int to_offset(void *arg, const void *bytes, size_t len,
                     ck_error *err) {
  at_sink *s = arg;
  if (pwrite_all(s->fd, bytes, len, s->off))
    return write_failed(s->path, s->name, errno, err);
  s->off += len;
  return 0;
}

/* Copy len bytes from in_fd at in_off to out_fd at out_off: in the kernel
 * with copy_file_range when it can, else pread/pwrite through the
 * worker's buffer (the whole raw + cast area, 2 * BUF_BYTES). */
static int copy_range(const shared *S, out_buf *b, const ck_st_file *in,
                      uint64_t in_off, at_sink *out, uint64_t len,
                      ck_error *err) {
  int in_fd = src_fd_of(S, in);
  if (in_fd < 0)
    return ck_fail_at(err, CK_STAGE_IO,
                      (ck_about){.file = ck_st_path(in), .tensor = out->name},
                      "%s: tensor '%.400s': input file not open",
                      ck_st_path(in), out->name);
  while (len && !S->simple && !cfr_broken) {
    loff_t io = (loff_t)in_off, oo = (loff_t)out->off;
    size_t want = len > ((size_t)1 << 30) ? (size_t)1 << 30 : (size_t)len;
    ssize_t n = copy_file_range(in_fd, &io, out->fd, &oo, want, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
                  errno == EINVAL || errno == EBADF || errno == ETXTBSY)) {
      cfr_broken = 1;
      break;
    }
    if (n < 0) return write_failed(out->path, out->name, errno, err);
    if (n == 0)
      return ck_fail_at(err, CK_STAGE_IO,
                        (ck_about){.file = ck_st_path(in), .tensor = out->name},
                        "%s: tensor '%.400s': the input ends before "
                        "its data (file changed while converting?)",
                        ck_st_path(in), out->name);
    in_off += (uint64_t)n;
    out->off += (uint64_t)n;
    len -= (uint64_t)n;
  }
  if (!len) return 0;
  if (buf_ensure(b, BUF_BYTES, BUF_BYTES, err)) return -1;
  while (len) {
    size_t k = len < BUF_BYTES ? (size_t)len : BUF_BYTES;
    ssize_t r = pread(in_fd, b->raw, k, (off_t)in_off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return ck_fail_at(err, CK_STAGE_IO,
                        (ck_about){.file = ck_st_path(in), .tensor = out->name},
                        "%s: tensor '%.400s': read failed: %s", ck_st_path(in),
                        out->name,
                        r < 0 ? strerror(errno) : "unexpected end of file");
    if (to_offset(out, b->raw, (size_t)r, err)) return -1;
    in_off += (uint64_t)r;
    len -= (uint64_t)r;
  }
  return 0;
}

/* Write planned tensor i (an index into jobs / the plan). */
static int write_tensor(shared *S, out_buf *b, size_t i, ck_error *err) {
  const ck_job *job = &S->jobs->jobs[i];
  at_sink s;
  ck_ckpt_out_target(S->o, i, &s.fd, &s.off, &s.path);
  s.name = S->jobs->out[i].name;
  if (job->kind == JOB_COPY && job->in_dt == job->out_dt) {
    for (int k = 0; k < job->n_segs; k++)
      if (copy_range(S, b, job->seg_file[k], job->seg_off[k], &s,
                     job->seg_len[k], err))
        return -1;
    return 0;
  }
  if (run_job(job, b, to_offset, &s, err)) {
    if (!strstr(err->msg, s.name))
      ck_error_prefix(err, "tensor '%.400s': ", s.name);
    return -1;
  }
  return 0;
}

static void *worker(void *arg) {
  shared *S = arg;
  out_buf b = {0};
  ck_error err;
  ck_error_clear(&err);
  for (;;) {
    pthread_mutex_lock(&S->mu);
    size_t p = S->next++;
    int stop = S->failed || p >= S->jobs->n;
    pthread_mutex_unlock(&S->mu);
    if (stop) break;
    size_t i = ck_ckpt_out_data_order(S->o, p);
    const ck_job *job = &S->jobs->jobs[i];
    uint64_t bytes = job->out_elems * ck_dtype_size(job->out_dt);
    int rc = bytes ? write_tensor(S, &b, i, &err) : 0;
    pthread_mutex_lock(&S->mu);
    if (rc && !S->failed) {
      S->failed = 1;
      S->err = err; /* reported once: later failures are consequences */
    }
    if (!rc) {
      S->done += bytes;
      if (S->report) S->report(S->report_arg, S->done, S->jobs->total_bytes);
    }
    pthread_mutex_unlock(&S->mu);
    if (rc) break;
  }
  buf_free(&b);
  return NULL;
}

int ck_jobs_write(const ck_jobs *jobs, ck_ckpt_out *o,
                  const ck_write_opts *opts, ck_error *err) {
  shared S;
  memset(&S, 0, sizeof S);
  S.jobs = jobs;
  S.o = o;
  S.simple = opts->no_copy_file_range;
  S.report = opts->report;
  S.report_arg = opts->report_arg;
  int n_threads = opts->jobs < 1 ? 1 : opts->jobs;
  if ((size_t)n_threads > jobs->n) n_threads = jobs->n ? (int)jobs->n : 1;
  int rc = -1;
  /* one descriptor per input file that identity copies read */
  size_t cap = 0;
  for (size_t j = 0; j < jobs->n; j++)
    cap += (size_t)jobs->jobs[j].n_segs;
  S.srcs = calloc(cap ? cap : 1, sizeof *S.srcs);
  if (!S.srcs) return ck_fail(err, CK_STAGE_IO, "out of memory");
  for (size_t j = 0; j < jobs->n; j++) {
    const ck_job *job = &jobs->jobs[j];
    if (job->kind != JOB_COPY) continue;
    for (int k = 0; k < job->n_segs; k++) {
      const ck_st_file *f = job->seg_file[k];
      if (src_fd_of(&S, f) >= 0) continue;
      int fd = open(ck_st_path(f), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = ck_st_path(f)},
                   "%s: cannot open: %s", ck_st_path(f), strerror(errno));
        goto done;
      }
      S.srcs[S.n_srcs++] = (src_fd){f, fd};
    }
  }
  if (ck_ckpt_out_layout(o, err)) goto done;
  if (pthread_mutex_init(&S.mu, NULL) != 0) {
    ck_fail(err, CK_STAGE_IO, "cannot create a mutex");
    goto done;
  }
  pthread_t *th = calloc((size_t)n_threads, sizeof *th);
  int started = 0;
  if (!th) {
    ck_fail(err, CK_STAGE_IO, "out of memory");
  } else {
    /* the calling thread is worker 0 */
    for (int t = 1; t < n_threads; t++) {
      if (pthread_create(&th[t], NULL, worker, &S) != 0) break;
      started++;
    }
    worker(&S);
    for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
    free(th);
    if (S.failed) {
      *err = S.err;
    } else if (S.next < jobs->n) {
      ck_fail(err, CK_STAGE_IO, "internal error: not every tensor was written");
    } else {
      rc = ck_ckpt_out_layout_done(o, err);
    }
  }
  pthread_mutex_destroy(&S.mu);
done:
  for (size_t i = 0; i < S.n_srcs; i++) close(S.srcs[i].fd);
  free(S.srcs);
  return rc;
}
