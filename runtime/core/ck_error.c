/* ck_error.c - the runtime's single error path (ck_error.h). */
#include "ck_error.h"

#include <stdio.h>
#include <string.h>

static const char *const stage_names[] = {
#define CK_STAGE(id, name, doc) name,
#include "ck_stages.def"
#undef CK_STAGE
};

const char *ck_stage_name(ck_stage s) {
  return s >= 0 && s < CK_STAGE_COUNT ? stage_names[s] : "";
}

int ck_vfail(ck_error *err, ck_stage stage, const char *fmt, va_list ap) {
  if (!err) return -1;
  if (stage < 0 || stage >= CK_STAGE_COUNT) stage = CK_STAGE_INTERNAL;
  err->stage_id = stage;
  err->stage = stage_names[stage];
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  err->file[0] = err->key[0] = err->tensor[0] = err->rule[0] = '\0';
  return -1;
}

int ck_fail(ck_error *err, ck_stage stage, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ck_vfail(err, stage, fmt, ap);
  va_end(ap);
  return -1;
}

int ck_fail_at(ck_error *err, ck_stage stage, ck_about about, const char *fmt,
               ...) {
  va_list ap;
  va_start(ap, fmt);
  ck_vfail(err, stage, fmt, ap);
  va_end(ap);
  ck_error_set_file(err, about.file);
  ck_error_set_key(err, about.key);
  ck_error_set_tensor(err, about.tensor);
  return -1;
}

void ck_error_append(ck_error *err, const char *fmt, ...) {
  if (!err) return;
  size_t used = strlen(err->msg);
  if (used + 1 >= sizeof err->msg) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg + used, sizeof err->msg - used, fmt, ap);
  va_end(ap);
}

void ck_error_prefix(ck_error *err, const char *fmt, ...) {
  if (!err) return;
  char head[1024];
  char old[CK_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%s%s", head, old);
}

void ck_error_in_file(ck_error *err, const char *path) {
  if (!err || !path) return;
  ck_error_prefix(err, "%s: ", path);
  size_t n = strlen(path);
  /* a file already named inside this folder is the more precise one */
  if (!(err->file[0] && strncmp(err->file, path, n) == 0 &&
        err->file[n] == '/'))
    ck_error_set_file(err, path);
}

static int set_field(char *field, size_t size, const char *value) {
  if (value && value[0]) snprintf(field, size, "%s", value);
  return -1;
}

int ck_error_set_file(ck_error *err, const char *path) {
  return err ? set_field(err->file, sizeof err->file, path) : -1;
}

int ck_error_set_key(ck_error *err, const char *key) {
  return err ? set_field(err->key, sizeof err->key, key) : -1;
}

int ck_error_set_tensor(ck_error *err, const char *tensor) {
  return err ? set_field(err->tensor, sizeof err->tensor, tensor) : -1;
}

int ck_error_set_rule(ck_error *err, const char *file, int line) {
  if (!err || !file) return -1;
  snprintf(err->rule, sizeof err->rule, "%s:%d", file, line);
  return -1;
}

void ck_error_restage(ck_error *err, ck_stage stage) {
  if (!err || stage < 0 || stage >= CK_STAGE_COUNT) return;
  err->stage_id = stage;
  err->stage = stage_names[stage];
}

void ck_error_clear(ck_error *err) {
  if (!err) return;
  err->stage_id = CK_STAGE_NONE;
  err->stage = "";
  err->msg[0] = '\0';
  err->file[0] = err->key[0] = err->tensor[0] = err->rule[0] = '\0';
}

int ck_error_is_set(const ck_error *err) {
  return err && err->stage && err->stage[0] != '\0';
}
