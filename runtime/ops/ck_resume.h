/* ck_resume.h - staged conversions: `convert --resume`, `--part K/N` and
 * `--finish` (docs/cli.md, "Resume and parts").
 *
 * They exist because a conversion of a 1-2 TB checkpoint takes most of an
 * hour, and a kill, a preemption or a full disk near its end should not
 * cost all of it; and because sites with many machines on shared storage
 * want to split one conversion into Slurm array tasks or GNU parallel
 * jobs.  Both rest on the positional writer: a tensor's bytes land at a
 * fixed (file, offset) whatever process writes them, so the work can be
 * journaled per tensor (ck_journal.h) in a stable staging folder
 * (ck_ckpt_begin_staged) and done in any order by any process. */
#ifndef CK_RESUME_H
#define CK_RESUME_H

#include "ck_plan.h"

/* Write the output of the preflight pf staged: lay out or reuse the
 * staging folder (refusing a different conversion's), keep every tensor a
 * journal proves complete (its checksum checked against the bytes on
 * disk), write the rest of this run's share (all of it, or part K/N)
 * journaling it, and, unless a part, publish OUT.  --finish writes no
 * tensor: it refuses while any is missing, naming the parts. */
int ck_convert_staged(const ck_spec *spec, const ck_convert_opts *o,
                      ck_preflight *pf, ck_error *err);

#endif
