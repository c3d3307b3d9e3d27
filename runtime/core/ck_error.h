/* ck_error.h - the one error-reporting path of the ckconv runtime.
 *
 * Every runtime function that can fail takes a `ck_error *` and returns
 * 0 on success or -1 on failure after filling it.  The error carries the
 * pipeline stage (`model_type_check`, `hf_coverage`, `validation`, `io`,
 * ...) and one human message naming the file, key or tensor involved.
 * Library code never prints and never exits; the command prints
 * `ckconv: error[STAGE]: MESSAGE` once, at the top.
 */
#ifndef CK_ERROR_H
#define CK_ERROR_H

#include <stdarg.h>

#define CK_ERROR_MSG_MAX 4096

typedef struct ck_error {
  char stage[32];            /* stage name; empty when no error is set */
  char msg[CK_ERROR_MSG_MAX]; /* message, NUL-terminated, may be cut */
} ck_error;

/* Set the error (overwrites any earlier one).  Always returns -1 so that
 * callers can write `return ck_fail(err, "io", "...")`. */
int ck_fail(ck_error *err, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ck_vfail(ck_error *err, const char *stage, const char *fmt, va_list ap);

/* Append more text to the message of an error already set (for lists of
 * problems reported at once). */
void ck_error_append(ck_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the message with context ("file.json: "), keeping the stage. */
void ck_error_prefix(ck_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void ck_error_clear(ck_error *err);
int ck_error_is_set(const ck_error *err);

#endif
