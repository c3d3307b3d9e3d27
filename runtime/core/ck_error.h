/* ck_error.h - the one error-reporting path of the ckconv runtime.
 *
 * Every runtime function that can fail takes a `ck_error *` and returns
 * 0 on success or -1 on failure after filling it.  The error carries the
 * stage (one of common/ck_stages.def), one human message, and as
 * separate fields the file, config key and tensor it is about and the
 * spec rule that failed, so that reports (--json) never parse the
 * message back.  Library code never prints and never exits; the command
 * prints `ckconv: error[STAGE]: MESSAGE` once, at the top.
 */
#ifndef CK_ERROR_H
#define CK_ERROR_H

#include <stdarg.h>

#define CK_ERROR_MSG_MAX 4096

/* ORDER CK_STAGE: the stages, in the order of a conversion. */
typedef enum ck_stage {
  CK_STAGE_NONE = -1, /* no error set */
#define CK_STAGE(id, name, doc) CK_STAGE_##id,
#include "ck_stages.def"
#undef CK_STAGE
  CK_STAGE_COUNT
} ck_stage;

typedef struct ck_error {
  ck_stage stage_id;          /* CK_STAGE_NONE when no error is set */
  const char *stage;          /* its name ("" when none); static */
  char msg[CK_ERROR_MSG_MAX]; /* message, NUL-terminated, may be cut */
  /* What the error is about; "" when it names none.  ck_fail clears
   * them, the setters below fill them in as the error travels up. */
  char file[1024];  /* the file (or folder) it is about */
  char key[512];    /* config key (dotted path) */
  char tensor[512]; /* tensor name */
  char rule[256];   /* spec location of the rule: "FILE:LINE" */
} ck_error;

/* Name of a stage ("io"); "" for CK_STAGE_NONE or an invalid value. */
const char *ck_stage_name(ck_stage s);

/* Set the error (overwrites any earlier one, fields cleared).  Always
 * returns -1 so that callers can write `return ck_fail(err, ...)`. */
int ck_fail(ck_error *err, ck_stage stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ck_vfail(ck_error *err, ck_stage stage, const char *fmt, va_list ap);

/* What an error is about, given where it is raised; NULL fields are
 * left empty. */
typedef struct ck_about {
  const char *file, *key, *tensor;
} ck_about;

/* ck_fail that also records what the error is about. */
int ck_fail_at(ck_error *err, ck_stage stage, ck_about about, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));

/* Append more text to the message of an error already set (for lists of
 * problems reported at once). */
void ck_error_append(ck_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the message with context, keeping the stage and fields. */
void ck_error_prefix(ck_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the message with "PATH: " and record PATH as the error's file
 * unless a more precise one (a file inside it) is already recorded. */
void ck_error_in_file(ck_error *err, const char *path);

/* Record what the error is about (NULL or "" leaves the field as it is).
 * Each returns -1, like ck_fail. */
int ck_error_set_file(ck_error *err, const char *path);
int ck_error_set_key(ck_error *err, const char *key);
int ck_error_set_tensor(ck_error *err, const char *tensor);
int ck_error_set_rule(ck_error *err, const char *file, int line);

/* Report an error already set under another stage (a YAML error met
 * while reading a checkpoint is a checkpoint error), keeping the rest. */
void ck_error_restage(ck_error *err, ck_stage stage);

void ck_error_clear(ck_error *err);
int ck_error_is_set(const ck_error *err);

#endif
