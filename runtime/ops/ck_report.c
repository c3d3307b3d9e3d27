/* ck_report.c - the JSON report objects of `--json` (ck_report.h). */
#include "ck_report.h"

#include <string.h>

#include "ck_convert.h"

static json_t *str_or_null(const char *s) {
  return s ? json_string(s) : json_null();
}

static json_t *items_json(const ck_pf_problem *items, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    const ck_pf_problem *p = &items[i];
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(p->kind));
    json_object_set_new(o, "stage", json_string(ck_stage_name(p->stage)));
    json_object_set_new(o, "message", json_string(p->message));
    json_object_set_new(o, "tensor", str_or_null(p->tensor));
    json_object_set_new(o, "key", str_or_null(p->key));
    json_object_set_new(o, "file", str_or_null(p->file));
    json_array_append_new(a, o);
  }
  return a;
}

json_t *ck_preflight_problems_json(const ck_preflight *pf) {
  return items_json(pf->problems, pf->n_problems);
}

json_t *ck_preflight_warnings_json(const ck_preflight *pf) {
  return items_json(pf->warnings, pf->n_warnings);
}

static json_t *field_or_null(const char *s) {
  return s && s[0] ? json_string(s) : json_null();
}

json_t *ck_error_to_json(const ck_error *err) {
  json_t *o = json_object();
  json_object_set_new(o, "stage", json_string(err->stage));
  json_object_set_new(o, "message", json_string(err->msg));
  json_object_set_new(o, "file", field_or_null(err->file));
  json_object_set_new(o, "key", field_or_null(err->key));
  json_object_set_new(o, "tensor", field_or_null(err->tensor));
  json_object_set_new(o, "rule", field_or_null(err->rule));
  return o;
}

static json_t *shape_json(int ndim, const uint64_t *shape) {
  json_t *a = json_array();
  for (int d = 0; d < ndim; d++)
    json_array_append_new(a, json_integer((json_int_t)shape[d]));
  return a;
}

json_t *ck_preflight_to_json(const ck_preflight *pf, const ck_convert_opts *o) {
  json_t *r = json_object();
  json_t *in = json_object(), *out = json_object();
  json_object_set_new(in, "path", json_string(o->in_dir));
  json_object_set_new(in, "layout", json_string(
      pf->in_kind == CK_CKPT_HF ? "hf" : "fast_llm"));
  json_object_set_new(in, "format", str_or_null(pf->format));
  json_object_set_new(in, "files", json_integer(
      pf->loaded ? (json_int_t)ck_ckpt_file_count(pf->L.in) : 0));
  json_object_set_new(in, "tensors", json_integer(
      pf->loaded ? (json_int_t)ck_ckpt_count(pf->L.in) : 0));
  json_object_set_new(out, "layout", json_string(
      pf->out_kind == CK_CKPT_HF ? "hf" : "fast_llm"));
  json_object_set_new(out, "format", json_string(o->to));
  json_object_set_new(out, "dtype", o->dtype == CK_DT_INVALID
                                        ? json_null()
                                        : json_string(ck_dtype_name(o->dtype)));
  json_object_set_new(out, "parameters_per_file", json_integer(
      (json_int_t)(o->parameters_per_file ? o->parameters_per_file
                                          : (uint64_t)1 << 32)));
  json_object_set_new(r, "input", in);
  json_object_set_new(r, "output", out);
  json_t *ts = json_array();
  for (size_t i = 0; i < pf->n; i++) {
    const ck_pf_tensor *t = &pf->t[i];
    json_t *j = json_object(), *src = json_array();
    for (int s = 0; s < t->n_sources; s++)
      json_array_append_new(src, json_string(t->sources[s]));
    json_object_set_new(j, "name", json_string(t->name));
    json_object_set_new(j, "key", str_or_null(t->key));
    json_object_set_new(j, "sources", src);
    json_object_set_new(j, "transform", json_string(t->transform));
    json_object_set_new(j, "dtype", json_string(ck_dtype_name(t->dtype)));
    json_object_set_new(j, "shape", shape_json(t->ndim, t->shape));
    json_object_set_new(j, "nbytes", json_integer((json_int_t)t->nbytes));
    if (t->file >= 0) {
      json_t *dofs = json_array();
      json_array_append_new(dofs, json_integer((json_int_t)t->begin));
      json_array_append_new(dofs, json_integer((json_int_t)(t->begin + t->nbytes)));
      json_object_set_new(j, "file", json_string(pf->files[t->file].name));
      json_object_set_new(j, "offset", json_integer((json_int_t)t->offset));
      json_object_set_new(j, "data_offsets", dofs);
    } else {
      json_object_set_new(j, "file", json_null());
      json_object_set_new(j, "offset", json_null());
      json_object_set_new(j, "data_offsets", json_null());
    }
    json_array_append_new(ts, j);
  }
  json_object_set_new(r, "tensors", ts);
  json_t *fs = json_array();
  for (size_t f = 0; f < pf->n_files; f++) {
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(pf->files[f].name));
    json_object_set_new(j, "tensors", json_integer((json_int_t)pf->files[f].n_tensors));
    json_object_set_new(j, "header_bytes", json_integer((json_int_t)pf->files[f].header_len));
    json_object_set_new(j, "size", json_integer((json_int_t)pf->files[f].size));
    json_array_append_new(fs, j);
  }
  json_object_set_new(r, "files", fs);
  json_t *cs = json_array();
  for (size_t i = 0; i < pf->n_carried; i++) {
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(pf->carried[i].name));
    json_object_set_new(j, "bytes", json_integer((json_int_t)pf->carried[i].bytes));
    json_array_append_new(cs, j);
  }
  json_object_set_new(r, "carried", cs);
  json_t *tot = json_object();
  json_object_set_new(tot, "read_bytes", json_integer((json_int_t)pf->read_bytes));
  json_object_set_new(tot, "write_bytes", json_integer((json_int_t)pf->write_bytes));
  json_object_set_new(tot, "output_files", json_integer((json_int_t)pf->n_files));
  json_object_set_new(tot, "output_tensors", json_integer((json_int_t)pf->n));
  json_object_set_new(tot, "peak_memory_bytes", json_integer((json_int_t)pf->peak_memory));
  json_object_set_new(r, "totals", tot);
  return r;
}
