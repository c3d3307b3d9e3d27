/* ck_parts.c - the split into parts (see ck_parts.h). */
#include "ck_parts.h"

#include <stdlib.h>

void ck_parts_assign(size_t n, const size_t *file_of, const uint64_t *bytes,
                     size_t n_files, int n_parts, int *part) {
  uint64_t total = 0;
  for (size_t p = 0; p < n; p++) total += bytes[p];
  int by_file = n_files >= (size_t)n_parts;
  uint64_t start = 0;
  size_t p = 0;
  while (p < n) {
    /* the unit: a whole file, or one tensor */
    size_t q = p + 1;
    while (by_file && q < n && file_of[q] == file_of[p]) q++;
    uint64_t len = 0;
    for (size_t k = p; k < q; k++) len += bytes[k];
    /* the part its middle byte falls in; by count when there are no
     * bytes at all */
    unsigned __int128 mid = (unsigned __int128)(start + len / 2) * n_parts;
    long k = total ? (long)(mid / total)
                   : (long)((by_file ? file_of[p] : p) * (size_t)n_parts /
                            (by_file ? n_files : n));
    if (k >= n_parts) k = n_parts - 1;
    for (size_t j = p; j < q; j++) part[j] = (int)k;
    start += len;
    p = q;
  }
}

static const ck_preflight *sort_pf; /* qsort has no context argument */

/* Write order: by file, then by offset in it. */
static int by_position(const void *a, const void *b) {
  const ck_pf_tensor *x = &sort_pf->t[*(const size_t *)a];
  const ck_pf_tensor *y = &sort_pf->t[*(const size_t *)b];
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

json_t *ck_parts_plan_json(const ck_preflight *pf, int n_parts, int only_k) {
  size_t n = pf->n;
  for (size_t i = 0; i < n; i++)
    if (pf->t[i].file < 0) return NULL;
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  size_t *file_of = malloc((n ? n : 1) * sizeof *file_of);
  uint64_t *bytes = malloc((n ? n : 1) * sizeof *bytes);
  int *part = malloc((n ? n : 1) * sizeof *part);
  json_t *all = NULL;
  if (!order || !file_of || !bytes || !part) goto done;
  for (size_t i = 0; i < n; i++) order[i] = i;
  sort_pf = pf;
  qsort(order, n, sizeof *order, by_position);
  for (size_t p = 0; p < n; p++) {
    file_of[p] = (size_t)pf->t[order[p]].file;
    bytes[p] = pf->t[order[p]].nbytes;
  }
  ck_parts_assign(n, file_of, bytes, pf->n_files, n_parts, part);
  all = json_array();
  for (int k = 0; k < n_parts; k++) {
    if (only_k > 0 && k != only_k - 1) continue;
    json_t *files = json_array(), *one = json_object();
    size_t tensors = 0, in_file = 0;
    uint64_t total = 0;
    json_t *cur = NULL;
    for (size_t p = 0; p < n; p++) {
      if (part[p] != k) continue;
      const ck_pf_tensor *t = &pf->t[order[p]];
      const ck_pf_file *f = &pf->files[t->file];
      if (!cur || p == 0 || file_of[p - 1] != file_of[p] || part[p - 1] != k) {
        cur = json_object();
        json_object_set_new(cur, "name", json_string(f->name));
        json_object_set_new(cur, "offset", json_integer((json_int_t)t->offset));
        json_object_set_new(cur, "tensors", json_integer(0));
        json_array_append_new(files, cur);
        in_file = 0;
      }
      in_file++;
      json_object_set_new(cur, "tensors", json_integer((json_int_t)in_file));
      json_object_set_new(cur, "end",
                          json_integer((json_int_t)(t->offset + t->nbytes)));
      json_object_set_new(cur, "whole",
                          json_boolean(in_file == f->n_tensors));
      tensors++;
      total += t->nbytes;
    }
    json_object_set_new(one, "part", json_sprintf("%d/%d", k + 1, n_parts));
    json_object_set_new(one, "tensors", json_integer((json_int_t)tensors));
    json_object_set_new(one, "bytes", json_integer((json_int_t)total));
    json_object_set_new(one, "files", files);
    json_array_append_new(all, one);
  }
done:
  free(order);
  free(file_of);
  free(bytes);
  free(part);
  return all;
}
