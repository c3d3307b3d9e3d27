/* ck_journal.h - the journal of a resumable conversion: one record per
 * tensor whose bytes are on disk, so that a run killed, preempted or
 * stopped by a full disk can be resumed (`convert --resume`, `--part`).
 *
 * A journal is a text file of records, appended only:
 *   t TENSOR OFFSET LENGTH DATASUM RECSUM\n
 * TENSOR is the planned tensor index, OFFSET/LENGTH where its bytes are
 * in its output file, DATASUM the checksum of those bytes (ck_journal_sum)
 * and RECSUM the checksum of the text before it, so a torn or damaged
 * record (the last one after a crash) is detected and ignored.  The
 * writer fdatasyncs the data a batch of records describes before it
 * appends them, so a record never claims bytes that are not on disk. */
#ifndef CK_JOURNAL_H
#define CK_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ck_error.h"

typedef struct ck_journal_rec {
  uint64_t tensor, offset, length, sum;
} ck_journal_rec;

/* The data checksum of the len bytes of fd at off: 64 bits, four lanes
 * of a multiply-rotate mix over 8-byte words (the round of XXH64).  Up to
 * 1.125 MiB it covers every byte; beyond, the first and last 64 KiB and
 * one 4 KiB page in every MiB between them (and the length), so that
 * checking costs under 1% of the bytes rather than a second read of the
 * checkpoint, which measured at up to 1.5x a plain conversion's time.
 * That proves the tensor was written (not the zeros of the laid-out file)
 * and catches damage at those places; that every byte reached the disk is
 * the ordering's guarantee (data fdatasynced before its record).  0, or
 * -1 with errno set (read error, or EIO for a file shorter than asked). */
int ck_journal_sum(int fd, uint64_t off, uint64_t len, uint64_t *sum);

/* Every valid record of the journal at path (a missing file has none);
 * *valid_end: the byte after the last valid record.  Reading stops at the
 * first invalid record.  *recs is malloc'd (free it). */
int ck_journal_load(const char *path, ck_journal_rec **recs, size_t *n,
                    uint64_t *valid_end, ck_error *err);

/* Open (create) the journal at path for appending, as this process's
 * own: an exclusive flock(2), refused when another process holds it
 * ("in use by another ckconv process"), and a torn tail cut off. */
int ck_journal_open(const char *path, int *fd, ck_error *err);

/* Append n records and fdatasync the journal. */
int ck_journal_append(int fd, const char *path, const ck_journal_rec *r,
                      size_t n, ck_error *err);

#endif
