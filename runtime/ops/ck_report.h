/* ck_report.h - the JSON report objects of `--json`
 * (docs/ckconv-report.schema.json) built from a preflight and from an
 * error; new references. */
#ifndef CK_REPORT_H
#define CK_REPORT_H

#include "ck_plan.h"


/* The JSON report objects of `--json` (docs/ckconv-report.schema.json);
 * new references. */
json_t *ck_preflight_to_json(const ck_preflight *pf, const ck_convert_opts *o);
json_t *ck_preflight_problems_json(const ck_preflight *pf);
/* The same for pf->warnings. */
json_t *ck_preflight_warnings_json(const ck_preflight *pf);
/* {"stage", "message", "file", "key", "tensor"}: the file, key and tensor
 * a ck_fail message names, or null. */
json_t *ck_error_to_json(const ck_error *err);

#endif
