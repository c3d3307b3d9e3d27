/* ck_sha256.h - SHA-256 (FIPS 180-4), for provenance.
 *
 * ckconv records in every checkpoint it writes the digest of the input's
 * config and index files and of the specs it was compiled from, so that
 * an output can be traced to exactly what produced it.  convc computes
 * the spec digest, the runtime the input digests: one implementation
 * serves both.  The digest itself is libmd's (<sha2.h>, Debian libmd-dev);
 * this is a thin wrapper giving it ckconv's names and the hex form.
 */
#ifndef CK_SHA256_H
#define CK_SHA256_H

#include <stddef.h>
#include <sha2.h>

typedef struct ck_sha256 {
  SHA2_CTX ctx;
} ck_sha256;

void ck_sha256_init(ck_sha256 *s);
void ck_sha256_update(ck_sha256 *s, const void *data, size_t n);
/* Writes the digest as 64 lowercase hex digits and a NUL into hex. */
void ck_sha256_hex(ck_sha256 *s, char hex[65]);

/* The digest of a whole file, read in blocks; -1 (errno set) when it
 * cannot be read. */
int ck_sha256_file(const char *path, char hex[65]);

#endif
