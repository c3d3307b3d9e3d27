/* ck_error.c - formatting for the runtime's single error path. */
#include "ck_error.h"

#include <stdio.h>
#include <string.h>

int ck_vfail(ck_error *err, const char *stage, const char *fmt, va_list ap) {
  if (!err) return -1;
  snprintf(err->stage, sizeof err->stage, "%s", stage ? stage : "error");
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  return -1;
}

int ck_fail(ck_error *err, const char *stage, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ck_vfail(err, stage, fmt, ap);
  va_end(ap);
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

void ck_error_clear(ck_error *err) {
  if (!err) return;
  err->stage[0] = '\0';
  err->msg[0] = '\0';
}

int ck_error_is_set(const ck_error *err) { return err && err->stage[0] != '\0'; }
