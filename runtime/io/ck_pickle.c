/* ck_pickle.c - a restricted pickle reader for torch state dicts.
 *
 * torch.save pickles the state dict (protocol 2) and writes tensor bytes
 * to separate zip entries named by persistent ids.  This is a stack
 * machine over the opcodes that pickler emits for that object graph; it
 * builds inert values (ints, strings, tuples, lists, dicts, allowed
 * globals, storages, tensor views) and never calls anything: REDUCE on
 * an allowed global is interpreted here, any other global is refused at
 * GLOBAL time.  Sizes are capped so that a hostile file only ever costs
 * memory proportional to its own length. */
#include "ck_pickle.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGE CK_STAGE_CHECKPOINT
#define NONE_IDX UINT32_MAX

typedef enum {
  V_NONE, V_BOOL, V_INT, V_STR, V_TUPLE, V_LIST, V_DICT, V_GLOBAL,
  V_STORAGE, V_TENSOR
} vkind;

/* The globals a state dict may name, and what REDUCE does with them. */
typedef enum { G_ODICT, G_REBUILD_V2, G_REBUILD_PARAM, G_STORAGE } gkind;

typedef struct {
  const char *module, *name;
  gkind kind;
  ck_dtype dtype; /* G_STORAGE; CK_DT_INVALID: no ckconv dtype */
} allowed_global;

/* torch's storage type names (torch/storage.py _dtype_to_storage_type_map
 * and the legacy typed classes): all accepted by GLOBAL, so that a dtype
 * ckconv has no ck_dtype for gets a message about the dtype, not about
 * an unknown global. */
static const allowed_global GLOBALS[] = {
    {"collections", "OrderedDict", G_ODICT, CK_DT_INVALID},
    {"torch._utils", "_rebuild_tensor_v2", G_REBUILD_V2, CK_DT_INVALID},
    {"torch._utils", "_rebuild_parameter", G_REBUILD_PARAM, CK_DT_INVALID},
    {"torch", "DoubleStorage", G_STORAGE, CK_DT_F64},
    {"torch", "FloatStorage", G_STORAGE, CK_DT_F32},
    {"torch", "HalfStorage", G_STORAGE, CK_DT_F16},
    {"torch", "BFloat16Storage", G_STORAGE, CK_DT_BF16},
    {"torch", "LongStorage", G_STORAGE, CK_DT_I64},
    {"torch", "IntStorage", G_STORAGE, CK_DT_I32},
    {"torch", "ShortStorage", G_STORAGE, CK_DT_I16},
    {"torch", "CharStorage", G_STORAGE, CK_DT_I8},
    {"torch", "ByteStorage", G_STORAGE, CK_DT_U8},
    {"torch", "BoolStorage", G_STORAGE, CK_DT_BOOL},
    {"torch", "ComplexFloatStorage", G_STORAGE, CK_DT_C64},
    {"torch", "UInt16Storage", G_STORAGE, CK_DT_U16},
    {"torch", "UInt32Storage", G_STORAGE, CK_DT_U32},
    {"torch", "UInt64Storage", G_STORAGE, CK_DT_U64},
    {"torch", "Float8_e4m3fnStorage", G_STORAGE, CK_DT_F8_E4M3},
    {"torch", "Float8_e5m2Storage", G_STORAGE, CK_DT_F8_E5M2},
    {"torch", "Float8_e4m3fnuzStorage", G_STORAGE, CK_DT_F8_E4M3FNUZ},
    {"torch", "Float8_e5m2fnuzStorage", G_STORAGE, CK_DT_F8_E5M2FNUZ},
    {"torch", "Float8_e8m0fnuStorage", G_STORAGE, CK_DT_F8_E8M0},
    {"torch", "ComplexDoubleStorage", G_STORAGE, CK_DT_INVALID},
    {"torch", "QInt8Storage", G_STORAGE, CK_DT_INVALID},
    {"torch", "QUInt8Storage", G_STORAGE, CK_DT_INVALID},
    {"torch", "QInt32Storage", G_STORAGE, CK_DT_INVALID},
    {"torch", "QUInt4x2Storage", G_STORAGE, CK_DT_INVALID},
    {"torch", "QUInt2x4Storage", G_STORAGE, CK_DT_INVALID},
};
#define N_GLOBALS (sizeof GLOBALS / sizeof GLOBALS[0])

typedef struct {
  vkind kind;
  int64_t i;            /* int, bool, global index, storage/tensor index */
  uint32_t off, len;    /* V_STR: bytes in the pickle */
  uint32_t first, last; /* containers: cell chain (NONE_IDX when empty) */
  uint32_t count;       /* containers: items (dict: keys and values) */
} value;

typedef struct {
  uint32_t v, next;
} cell;

typedef struct {
  uint32_t key_off, key_len; /* storage key in the pickle */
  const allowed_global *type;
  uint64_t numel;
} storage;

typedef struct {
  const unsigned char *p;
  size_t len, at; /* at: offset of the current opcode */
  const char *path, *entry;
  ck_error *err;
  value *v;
  size_t nv, capv;
  cell *c;
  size_t nc, capc;
  uint32_t *stack;
  size_t sp, caps;
  size_t marks[CK_PK_MAX_MARKS];
  size_t nmarks;
  uint32_t *memo;
  size_t capm;
  storage *st;
  size_t nst, capst;
  ck_pk_tensor *t;    /* rebuilt tensors; name and storage set at the end */
  size_t *t_st;       /* parallel to t: index into st */
  size_t nt, capt, capts;
  size_t nmemo;       /* memo entries set (MEMOIZE's next index) */
} unpickler;

__attribute__((format(printf, 2, 3))) static int fail(unpickler *u,
                                                      const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ck_fail_at(u->err, STAGE, (ck_about){.file = u->path},
                    "%s: %s: byte %zu: %s", u->path, u->entry, u->at, msg);
}

static const char *kind_name(vkind k) {
  switch (k) {
  case V_NONE: return "None";
  case V_BOOL: return "a bool";
  case V_INT: return "an integer";
  case V_STR: return "a string";
  case V_TUPLE: return "a tuple";
  case V_LIST: return "a list";
  case V_DICT: return "a dict";
  case V_GLOBAL: return "a class or function";
  case V_STORAGE: return "a storage";
  case V_TENSOR: return "a tensor";
  }
  return "a value";
}

/* Grow *arr (of *cap elements of size sz) to hold n; the caps keep every
 * array proportional to the pickle's length. */
static int grow(unpickler *u, void **arr, size_t *cap, size_t n, size_t sz) {
  if (n <= *cap) return 0;
  if (n > CK_PK_MAX_STACK * (size_t)4)
    return fail(u, "more than %u values; not a state dict",
                CK_PK_MAX_STACK * 4);
  size_t nc = *cap ? *cap * 2 : 64;
  while (nc < n) nc *= 2;
  void *p = realloc(*arr, nc * sz);
  if (!p) return fail(u, "out of memory");
  *arr = p;
  *cap = nc;
  return 0;
}

static int new_value(unpickler *u, vkind k, uint32_t *out) {
  if (grow(u, (void **)&u->v, &u->capv, u->nv + 1, sizeof *u->v)) return -1;
  u->v[u->nv] = (value){.kind = k, .first = NONE_IDX, .last = NONE_IDX};
  *out = (uint32_t)u->nv++;
  return 0;
}

static int push(unpickler *u, uint32_t v) {
  if (u->sp >= CK_PK_MAX_STACK)
    return fail(u, "stack deeper than %u values", CK_PK_MAX_STACK);
  if (grow(u, (void **)&u->stack, &u->caps, u->sp + 1, sizeof *u->stack))
    return -1;
  u->stack[u->sp++] = v;
  return 0;
}

static int push_new(unpickler *u, vkind k, int64_t i) {
  uint32_t v;
  if (new_value(u, k, &v)) return -1;
  u->v[v].i = i;
  return push(u, v);
}

static int pop(unpickler *u, uint32_t *v) {
  size_t floor = u->nmarks ? u->marks[u->nmarks - 1] : 0;
  if (u->sp <= floor) return fail(u, "stack underflow");
  *v = u->stack[--u->sp];
  return 0;
}

static int top(unpickler *u, uint32_t *v) {
  if (pop(u, v)) return -1;
  u->sp++;
  return 0;
}

/* Append value x to container c. */
static int add_item(unpickler *u, uint32_t c, uint32_t x) {
  if (grow(u, (void **)&u->c, &u->capc, u->nc + 1, sizeof *u->c)) return -1;
  u->c[u->nc] = (cell){x, NONE_IDX};
  value *cv = &u->v[c];
  if (cv->last == NONE_IDX) cv->first = (uint32_t)u->nc;
  else u->c[cv->last].next = (uint32_t)u->nc;
  cv->last = (uint32_t)u->nc++;
  cv->count++;
  return 0;
}

/* The i-th item of a container (i < count). */
static uint32_t item(const unpickler *u, uint32_t c, uint32_t i) {
  uint32_t k = u->v[c].first;
  while (i--) k = u->c[k].next;
  return u->c[k].v;
}

/* Close the topmost MARK: *from is the stack height it was set at. */
static int pop_mark(unpickler *u, size_t *from) {
  if (!u->nmarks) return fail(u, "no MARK to close");
  *from = u->marks[--u->nmarks];
  return 0;
}

/* The values from stack position `from` up become one tuple. */
static int make_tuple(unpickler *u, size_t from) {
  uint32_t t;
  if (new_value(u, V_TUPLE, &t)) return -1;
  for (size_t k = from; k < u->sp; k++)
    if (add_item(u, t, u->stack[k])) return -1;
  u->sp = from;
  return push(u, t);
}

static int need(unpickler *u, size_t pos, size_t n) {
  if (n > u->len - pos)
    return fail(u, "truncated: the opcode needs %zu more bytes, %zu left",
                n, u->len - pos);
  return 0;
}

static uint64_t le(const unsigned char *p, int n) {
  uint64_t x = 0;
  for (int i = n - 1; i >= 0; i--) x = (x << 8) | p[i];
  return x;
}

static int is_str(const unpickler *u, uint32_t v, const char *s) {
  const value *x = &u->v[v];
  return x->kind == V_STR && x->len == strlen(s) &&
         memcmp(u->p + x->off, s, x->len) == 0;
}

/* GLOBAL module\nname\n (or STACK_GLOBAL): only the allowlist. */
static int do_global(unpickler *u, const unsigned char *mod, size_t ml,
                     const unsigned char *nm, size_t nl) {
  for (size_t g = 0; g < N_GLOBALS; g++)
    if (strlen(GLOBALS[g].module) == ml && strlen(GLOBALS[g].name) == nl &&
        memcmp(GLOBALS[g].module, mod, ml) == 0 &&
        memcmp(GLOBALS[g].name, nm, nl) == 0)
      return push_new(u, V_GLOBAL, (int64_t)g);
  return fail(u, "GLOBAL %.*s.%.*s is not allowed in a state dict (ckconv "
              "reads only tensors, OrderedDict and torch storages, and never "
              "runs code from a checkpoint)",
              (int)(ml > 100 ? 100 : ml), (const char *)mod,
              (int)(nl > 100 ? 100 : nl), (const char *)nm);
}

/* A line of GLOBAL's argument, without its '\n'. */
static int line(unpickler *u, size_t *pos, const unsigned char **s,
                size_t *n) {
  const unsigned char *e = memchr(u->p + *pos, '\n', u->len - *pos);
  if (!e) return fail(u, "truncated: GLOBAL without its newline");
  *s = u->p + *pos;
  *n = (size_t)(e - *s);
  *pos += *n + 1;
  return 0;
}

static int get_int(unpickler *u, uint32_t v, const char *what, int64_t *out) {
  if (u->v[v].kind != V_INT)
    return fail(u, "%s is %s, expected an integer", what,
                kind_name(u->v[v].kind));
  *out = u->v[v].i;
  return 0;
}

/* A tuple of integers (size or stride) into dims; returns the count. */
static int get_dims(unpickler *u, uint32_t v, const char *what,
                    int64_t *dims, int *n) {
  if (u->v[v].kind != V_TUPLE)
    return fail(u, "%s is %s, expected a tuple of integers", what,
                kind_name(u->v[v].kind));
  if (u->v[v].count > CK_ST_MAX_RANK)
    return fail(u, "%s has %u dimensions, more than the cap of %d", what,
                u->v[v].count, CK_ST_MAX_RANK);
  *n = (int)u->v[v].count;
  for (int d = 0; d < *n; d++)
    if (get_int(u, item(u, v, (uint32_t)d), what, &dims[d])) return -1;
  return 0;
}

/* _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
 * backward_hooks[, metadata]) -> a tensor view (torch/_utils.py). */
static int rebuild_v2(unpickler *u, uint32_t args) {
  uint32_t n = u->v[args].count, a[7];
  if (n != 6 && n != 7)
    return fail(u, "_rebuild_tensor_v2 takes 6 or 7 arguments, got %u", n);
  for (uint32_t i = 0; i < n; i++) a[i] = item(u, args, i);
  if (u->v[a[0]].kind != V_STORAGE)
    return fail(u, "_rebuild_tensor_v2: argument 1 is %s, expected a "
                "storage (a persistent id)",
                kind_name(u->v[a[0]].kind));
  int64_t off = 0, size[CK_ST_MAX_RANK] = {0}, stride[CK_ST_MAX_RANK] = {0};
  int ns = 0, nd = 0;
  if (get_int(u, a[1], "storage_offset", &off) ||
      get_dims(u, a[2], "size", size, &ns) ||
      get_dims(u, a[3], "stride", stride, &nd))
    return -1;
  if (off < 0) return fail(u, "storage_offset %" PRId64 " < 0", off);
  if (ns != nd)
    return fail(u, "size has %d dimensions but stride %d", ns, nd);
  for (int d = 0; d < ns; d++)
    if (size[d] < 0)
      return fail(u, "size[%d] is %" PRId64 ", expected >= 0", d, size[d]);
  if (u->v[a[4]].kind != V_BOOL)
    return fail(u, "requires_grad is %s, expected a bool",
                kind_name(u->v[a[4]].kind));
  if (u->v[a[5]].kind != V_DICT || u->v[a[5]].count)
    return fail(u, "backward_hooks is %s, expected an empty OrderedDict",
                u->v[a[5]].kind == V_DICT ? "a non-empty dict"
                                          : kind_name(u->v[a[5]].kind));
  if (n == 7 && u->v[a[6]].kind != V_NONE && u->v[a[6]].kind != V_DICT)
    return fail(u, "metadata is %s, expected None or a dict",
                kind_name(u->v[a[6]].kind));
  if (grow(u, (void **)&u->t, &u->capt, u->nt + 1, sizeof *u->t) ||
      grow(u, (void **)&u->t_st, &u->capts, u->nt + 1, sizeof *u->t_st))
    return -1;
  const storage *s = &u->st[u->v[a[0]].i];
  ck_pk_tensor *t = &u->t[u->nt];
  memset(t, 0, sizeof *t);
  u->t_st[u->nt] = (size_t)u->v[a[0]].i;
  t->storage_type = s->type->name;
  t->dtype = s->type->dtype;
  t->storage_numel = s->numel;
  t->offset = (uint64_t)off;
  t->ndim = ns;
  for (int d = 0; d < ns; d++) {
    t->shape[d] = (uint64_t)size[d];
    t->stride[d] = stride[d];
  }
  return push_new(u, V_TENSOR, (int64_t)u->nt++);
}

/* REDUCE: call an allowed global, interpreted (nothing is executed). */
static int reduce(unpickler *u) {
  uint32_t args = 0, fn = 0;
  if (pop(u, &args) || pop(u, &fn)) return -1;
  if (u->v[fn].kind != V_GLOBAL)
    return fail(u, "REDUCE on %s, expected an allowed class or function",
                kind_name(u->v[fn].kind));
  if (u->v[args].kind != V_TUPLE)
    return fail(u, "REDUCE arguments are %s, expected a tuple",
                kind_name(u->v[args].kind));
  const allowed_global *g = &GLOBALS[u->v[fn].i];
  switch (g->kind) {
  case G_ODICT:
    if (u->v[args].count)
      return fail(u, "OrderedDict called with arguments; torch writes "
                  "OrderedDict()");
    return push_new(u, V_DICT, 0);
  case G_REBUILD_V2:
    return rebuild_v2(u, args);
  case G_REBUILD_PARAM: {
    /* _rebuild_parameter(data, requires_grad, backward_hooks) */
    if (u->v[args].count != 3 ||
        u->v[item(u, args, 0)].kind != V_TENSOR)
      return fail(u, "_rebuild_parameter expects (tensor, requires_grad, "
                  "backward_hooks)");
    return push(u, item(u, args, 0));
  }
  case G_STORAGE:
    break;
  }
  return fail(u, "%s.%s called; storages appear only in persistent ids",
              g->module, g->name);
}

/* BINPERSID ('storage', storage_type, key, location, numel): one of the
 * archive's data/KEY entries (torch/serialization.py persistent_load). */
static int persid(unpickler *u) {
  uint32_t pid = 0;
  if (pop(u, &pid)) return -1;
  const value *t = &u->v[pid];
  if (t->kind != V_TUPLE || t->count != 5)
    return fail(u, "persistent id is %s%s, expected ('storage', type, key, "
                "location, numel)",
                kind_name(t->kind),
                t->kind == V_TUPLE ? " of the wrong length" : "");
  uint32_t a[5];
  for (uint32_t i = 0; i < 5; i++) a[i] = item(u, pid, i);
  if (!is_str(u, a[0], "storage"))
    return fail(u, "persistent id does not start with 'storage'");
  if (u->v[a[1]].kind != V_GLOBAL ||
      GLOBALS[u->v[a[1]].i].kind != G_STORAGE)
    return fail(u, "persistent id: storage type is %s, expected a torch "
                "storage class",
                kind_name(u->v[a[1]].kind));
  if (u->v[a[2]].kind != V_STR || u->v[a[3]].kind != V_STR)
    return fail(u, "persistent id: key and location must be strings");
  if (u->v[a[4]].kind != V_INT || u->v[a[4]].i < 0)
    return fail(u, "persistent id: numel is not a non-negative integer");
  const value *k = &u->v[a[2]];
  if (!k->len || memchr(u->p + k->off, '\0', k->len) ||
      memchr(u->p + k->off, '/', k->len))
    return fail(u, "persistent id: storage key is not a plain name");
  if (grow(u, (void **)&u->st, &u->capst, u->nst + 1, sizeof *u->st))
    return -1;
  u->st[u->nst] = (storage){k->off, k->len, &GLOBALS[u->v[a[1]].i],
                            (uint64_t)u->v[a[4]].i};
  return push_new(u, V_STORAGE, (int64_t)u->nst++);
}

static int memo_put(unpickler *u, uint64_t idx) {
  uint32_t v = 0;
  if (top(u, &v)) return -1;
  if (idx >= CK_PK_MAX_STACK)
    return fail(u, "memo index %" PRIu64 " is beyond the cap of %u", idx,
                CK_PK_MAX_STACK);
  size_t old = u->capm;
  if (grow(u, (void **)&u->memo, &u->capm, (size_t)idx + 1, sizeof *u->memo))
    return -1;
  for (size_t k = old; k < u->capm; k++) u->memo[k] = NONE_IDX;
  if (u->memo[idx] == NONE_IDX) u->nmemo++;
  u->memo[idx] = v;
  return 0;
}

static int memo_get(unpickler *u, uint64_t idx) {
  if (idx >= u->capm || u->memo[idx] == NONE_IDX)
    return fail(u, "memo index %" PRIu64 " was never stored", idx);
  return push(u, u->memo[idx]);
}

/* SETITEMS/APPENDS: the values above the mark go into the container
 * just below it. */
static int fill(unpickler *u, vkind want) {
  size_t from = 0;
  if (pop_mark(u, &from)) return -1;
  if (from == 0 || from <= (u->nmarks ? u->marks[u->nmarks - 1] : 0))
    return fail(u, "no container below the MARK");
  uint32_t c = u->stack[from - 1];
  if (u->v[c].kind != want)
    return fail(u, "%s into %s", want == V_DICT ? "SETITEMS" : "APPENDS",
                kind_name(u->v[c].kind));
  if (want == V_DICT && (u->sp - from) % 2)
    return fail(u, "SETITEMS with an odd number of values");
  for (size_t k = from; k < u->sp; k++)
    if (add_item(u, c, u->stack[k])) return -1;
  u->sp = from;
  return 0;
}

static int one_op(unpickler *u, size_t *pos, int *stop, uint32_t *result) {
  unsigned char op = u->p[*pos];
  u->at = *pos;
  (*pos)++;
  uint32_t a = 0, b = 0, c = 0;
  size_t from = 0;
  switch (op) {
  case 0x80: /* PROTO */
    if (need(u, *pos, 1)) return -1;
    if (u->p[*pos] > 5)
      return fail(u, "pickle protocol %u is newer than 5", u->p[*pos]);
    (*pos)++;
    return 0;
  case 0x95: /* FRAME (protocol 4): only a length hint */
    if (need(u, *pos, 8)) return -1;
    *pos += 8;
    return 0;
  case '}': return push_new(u, V_DICT, 0);
  case ']': return push_new(u, V_LIST, 0);
  case ')': return push_new(u, V_TUPLE, 0);
  case 'N': return push_new(u, V_NONE, 0);
  case 0x88: return push_new(u, V_BOOL, 1);
  case 0x89: return push_new(u, V_BOOL, 0);
  case '(':
    if (u->nmarks >= CK_PK_MAX_MARKS)
      return fail(u, "MARKs nest deeper than %d", CK_PK_MAX_MARKS);
    u->marks[u->nmarks++] = u->sp;
    return 0;
  case 'X': case 0x8c: case 0x8d: { /* BINUNICODE, SHORT_, BINUNICODE8 */
    int w = op == 'X' ? 4 : op == 0x8c ? 1 : 8;
    if (need(u, *pos, (size_t)w)) return -1;
    uint64_t n = le(u->p + *pos, w);
    *pos += (size_t)w;
    if (n > CK_PK_MAX_STRING)
      return fail(u, "string of %" PRIu64 " bytes, more than the cap of %u",
                  n, CK_PK_MAX_STRING);
    if (need(u, *pos, (size_t)n)) return -1;
    if (new_value(u, V_STR, &a)) return -1;
    u->v[a].off = (uint32_t)*pos;
    u->v[a].len = (uint32_t)n;
    *pos += (size_t)n;
    return push(u, a);
  }
  case 'q': case 'r': { /* BINPUT, LONG_BINPUT */
    int w = op == 'q' ? 1 : 4;
    if (need(u, *pos, (size_t)w)) return -1;
    uint64_t i = le(u->p + *pos, w);
    *pos += (size_t)w;
    return memo_put(u, i);
  }
  case 0x94: /* MEMOIZE: the next index */
    return memo_put(u, u->nmemo);
  case 'h': case 'j': { /* BINGET, LONG_BINGET */
    int w = op == 'h' ? 1 : 4;
    if (need(u, *pos, (size_t)w)) return -1;
    uint64_t i = le(u->p + *pos, w);
    *pos += (size_t)w;
    return memo_get(u, i);
  }
  case 'c': { /* GLOBAL */
    const unsigned char *m = NULL, *n = NULL;
    size_t ml = 0, nl = 0;
    if (line(u, pos, &m, &ml) || line(u, pos, &n, &nl)) return -1;
    return do_global(u, m, ml, n, nl);
  }
  case 0x93: /* STACK_GLOBAL */
    if (pop(u, &b) || pop(u, &a)) return -1;
    if (u->v[a].kind != V_STR || u->v[b].kind != V_STR)
      return fail(u, "STACK_GLOBAL needs two strings");
    return do_global(u, u->p + u->v[a].off, u->v[a].len, u->p + u->v[b].off,
                     u->v[b].len);
  case 'J': case 'K': case 'M': { /* BININT, BININT1, BININT2 */
    int w = op == 'J' ? 4 : op == 'K' ? 1 : 2;
    if (need(u, *pos, (size_t)w)) return -1;
    uint64_t x = le(u->p + *pos, w);
    *pos += (size_t)w;
    return push_new(u, V_INT, w == 4 ? (int64_t)(int32_t)(uint32_t)x
                                     : (int64_t)x);
  }
  case 0x8a: { /* LONG1: n little-endian two's complement bytes */
    if (need(u, *pos, 1)) return -1;
    int n = u->p[(*pos)++];
    if (n > 8) return fail(u, "integer of %d bytes does not fit 64 bits", n);
    if (need(u, *pos, (size_t)n)) return -1;
    uint64_t x = le(u->p + *pos, n);
    if (n && n < 8 && (u->p[*pos + (size_t)n - 1] & 0x80))
      x |= ~(uint64_t)0 << (8 * n);
    *pos += (size_t)n;
    return push_new(u, V_INT, (int64_t)x);
  }
  case 't':
    if (pop_mark(u, &from)) return -1;
    return make_tuple(u, from);
  case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
    size_t n = (size_t)(op - 0x84);
    size_t floor = u->nmarks ? u->marks[u->nmarks - 1] : 0;
    if (u->sp < floor + n) return fail(u, "stack underflow");
    return make_tuple(u, u->sp - n);
  }
  case 'a': /* APPEND */
    if (pop(u, &a) || top(u, &c)) return -1;
    if (u->v[c].kind != V_LIST)
      return fail(u, "APPEND to %s", kind_name(u->v[c].kind));
    return add_item(u, c, a);
  case 'e': return fill(u, V_LIST);
  case 's': /* SETITEM */
    if (pop(u, &b) || pop(u, &a) || top(u, &c)) return -1;
    if (u->v[c].kind != V_DICT)
      return fail(u, "SETITEM on %s", kind_name(u->v[c].kind));
    return add_item(u, c, a) || add_item(u, c, b) ? -1 : 0;
  case 'u': return fill(u, V_DICT);
  case 'R': return reduce(u);
  case 'Q': return persid(u);
  case 'b': /* BUILD: only OrderedDict's instance state (_metadata) */
    if (pop(u, &a) || top(u, &c)) return -1;
    if (u->v[c].kind != V_DICT)
      return fail(u, "BUILD on %s; only a state dict's OrderedDict has "
                  "state",
                  kind_name(u->v[c].kind));
    if (u->v[a].kind != V_DICT && u->v[a].kind != V_NONE)
      return fail(u, "BUILD state is %s, expected a dict",
                  kind_name(u->v[a].kind));
    return 0;
  case '.': /* STOP */
    if (pop(u, result)) return -1;
    *stop = 1;
    return 0;
  }
  if (op >= 0x20 && op < 0x7f)
    return fail(u, "opcode 0x%02x ('%c') is not one torch.save writes for a "
                "state dict",
                op, op);
  return fail(u, "opcode 0x%02x is not one torch.save writes for a state "
              "dict",
              op);
}

/* UTF-8 (no overlongs, surrogates or NUL): names become JSON strings
 * and C strings. */
static int valid_name(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t k;
    if (c == 0) return 0;
    if (c < 0x80) k = 0;
    else if (c >= 0xc2 && c < 0xe0) k = 1;
    else if ((c & 0xf0) == 0xe0) k = 2;
    else if (c >= 0xf0 && c < 0xf5) k = 3;
    else return 0;
    if (k > n - i - 1) return 0;
    for (size_t j = 1; j <= k; j++)
      if ((s[i + j] & 0xc0) != 0x80) return 0;
    if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] >= 0xa0) ||
        (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] >= 0x90))
      return 0;
    i += k + 1;
  }
  return 1;
}

/* The top-level dict into out: every key a string, every value a tensor. */
static int flatten(unpickler *u, uint32_t d, ck_pk_dict *out) {
  if (u->v[d].kind != V_DICT)
    return fail(u, "the pickle holds %s, expected a state dict (a dict of "
                "name -> tensor)",
                kind_name(u->v[d].kind));
  size_t n = u->v[d].count / 2, bytes = 0;
  uint32_t k = u->v[d].first;
  for (size_t i = 0; i < n; i++) {
    uint32_t key = u->c[k].v, val = u->c[u->c[k].next].v;
    k = u->c[u->c[k].next].next;
    if (u->v[key].kind != V_STR)
      return fail(u, "state dict key %zu is %s, expected a string", i,
                  kind_name(u->v[key].kind));
    const value *kv = &u->v[key];
    const storage *s = u->v[val].kind == V_TENSOR
                           ? &u->st[u->t_st[u->v[val].i]] : NULL;
    /* every name is written once in a real pickle: memoized copies of a
     * long key must not make this loop (and the copy) quadratic */
    bytes += kv->len + 1 + (s ? s->key_len + 1 : 0);
    if (bytes > 2 * u->len + 4096)
      return fail(u, "the state dict's names add up to more bytes than the "
                  "pickle holds (a key repeated through the memo)");
    if (!valid_name(u->p + kv->off, kv->len))
      return fail(u, "state dict key %zu is not valid UTF-8 (or holds NUL)",
                  i);
    if (u->v[val].kind != V_TENSOR)
      return fail(u, "key '%.*s' holds %s, not a tensor; ckconv reads a flat "
                  "state dict (name -> tensor) as torch.save(model."
                  "state_dict()) writes it%s",
                  (int)(kv->len > 200 ? 200 : kv->len),
                  (const char *)u->p + kv->off, kind_name(u->v[val].kind),
                  u->v[val].kind == V_DICT ? ", not a nested one" : "");
  }
  out->t = calloc(n ? n : 1, sizeof *out->t);
  out->strings = malloc(bytes ? bytes : 1);
  if (!out->t || !out->strings) return fail(u, "out of memory");
  char *sp = out->strings;
  k = u->v[d].first;
  for (size_t i = 0; i < n; i++) {
    const value *kv = &u->v[u->c[k].v];
    uint32_t val = u->c[u->c[k].next].v;
    k = u->c[u->c[k].next].next;
    ck_pk_tensor *t = &out->t[i];
    *t = u->t[u->v[val].i];
    const storage *s = &u->st[u->t_st[u->v[val].i]];
    memcpy(sp, u->p + kv->off, kv->len);
    sp[kv->len] = '\0';
    t->name = sp;
    sp += kv->len + 1;
    memcpy(sp, u->p + s->key_off, s->key_len);
    sp[s->key_len] = '\0';
    t->storage = sp;
    sp += s->key_len + 1;
  }
  out->n = n;
  return 0;
}

int ck_pickle_state_dict(const unsigned char *p, size_t len,
                         const char *path, const char *entry,
                         ck_pk_dict *out, ck_error *err) {
  unpickler u = {.p = p, .len = len, .path = path, .entry = entry,
                 .err = err};
  memset(out, 0, sizeof *out);
  size_t pos = 0;
  int stop = 0, rc = -1;
  uint32_t result = 0;
  while (!stop && pos < len)
    if (one_op(&u, &pos, &stop, &result)) goto done;
  u.at = pos;
  if (!stop) {
    fail(&u, "truncated: the pickle ends without its STOP opcode");
    goto done;
  }
  if (pos != len) {
    fail(&u, "%zu bytes after the STOP opcode", len - pos);
    goto done;
  }
  rc = flatten(&u, result, out);
done:
  if (rc) ck_pickle_free(out);
  free(u.v);
  free(u.c);
  free(u.stack);
  free(u.memo);
  free(u.st);
  free(u.t);
  free(u.t_st);
  return rc;
}

void ck_pickle_free(ck_pk_dict *d) {
  free(d->t);
  free(d->strings);
  memset(d, 0, sizeof *d);
}
