/* ck_ties.c - tie rules of a loaded model (see ck_ties.h). */
#include "ck_ties.h"

#include <string.h>

#include "ck_convert.h"

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0 &&
         (a == b || s[a - b - 1] == '.');
}

int ck_is_hf_head(const char *name) {
  return ends_with(name, "lm_head.weight");
}

void ck_find_ties(ck_rt *rt, const ck_loaded *L, ck_ties *t) {
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < L->params.n; i++)
    if (L->params.items[i].tied_to) {
      t->tied = 1;
      t->head_fl = L->params.items[i].name;
      t->emb_fl = L->params.items[i].tied_to;
    }
  for (size_t i = 0; t->emb_fl && i < L->plan.n; i++) {
    const ck_leaf *l = &L->plan.leaves[i];
    if (l->n_fl == 1 && l->n_hf == 1 && strcmp(l->fl[0], t->emb_fl) == 0)
      t->emb_hf = l->hf[0];
  }
  if (!t->tied) {
    const char *segs[] = {"tied_embedding_weight"};
    ck_path path = {segs, 1, "tied_embedding_weight"};
    ck_val v;
    ck_error e;
    ck_scope sc = {.cfg = L->cfg};
    if (ck_resolve_path(rt, sc, &path, &v, CK_STAGE_INTERNAL, &e) == 0 && v.j &&
        json_is_false(v.j))
      t->untied = 1;
  }
}

int ck_tied_head(const ck_ties *t, ck_ckpt_kind kind, const char *name) {
  if (!t->tied) return 0;
  return kind == CK_CKPT_HF ? ck_is_hf_head(name)
                            : t->head_fl && strcmp(name, t->head_fl) == 0;
}

int ck_tie_compare(const ck_ckpt_tensor *h, const ck_ckpt_tensor *e,
                   uint64_t *at) {
  int same = h->t->dtype == e->t->dtype && h->t->nbytes == e->t->nbytes &&
             h->t->ndim == e->t->ndim;
  for (int d = 0; same && d < h->t->ndim; d++)
    same = h->t->shape[d] == e->t->shape[d];
  if (!same) return 2;
  size_t es = ck_dtype_size(h->t->dtype), k = 0;
  const unsigned char *a = h->t->data, *b = e->t->data;
  while (k < h->t->nbytes && a[k] == b[k]) k++;
  if (k == h->t->nbytes) return 0;
  *at = k / (es ? es : 1);
  return 1;
}
