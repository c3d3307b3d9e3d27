#!/bin/sh
# check-stages.sh - the error stages are one list (common/ck_stages.def):
# the "Error stages" table of docs/cli.md and the stage enum of the
# report schema (docs/ckconv-report.schema.json) must name exactly the
# stages of the .def, so none is added in one place and forgotten in
# another.  Run from the top folder.
set -u
def=$(sed -n 's/^CK_STAGE([A-Z_]*, "\([a-z_]*\)".*/\1/p' common/ck_stages.def | sort)
doc=$(awk '/^### Error stages/ { on = 1 } on && /^\| `[a-z_]+` \|/ {
        s = $2; gsub(/`/, "", s); print s } on && /^```/ { exit }' docs/cli.md | sort)
schema=$(/usr/bin/python3 -c "import json; print('\n'.join(sorted(json.load(open('docs/ckconv-report.schema.json'))['\$defs']['stage']['enum'])))")
fail=0
[ -n "$def" ] || { echo "check-stages: no stage in common/ck_stages.def" >&2; exit 1; }
if [ "$def" != "$doc" ]; then
  echo "check-stages: docs/cli.md's Error stages table differs from common/ck_stages.def:" >&2
  printf '%s\n' "$def" >/tmp/ck_stages.$$.a; printf '%s\n' "$doc" >/tmp/ck_stages.$$.b
  diff /tmp/ck_stages.$$.a /tmp/ck_stages.$$.b >&2; fail=1
fi
if [ "$def" != "$schema" ]; then
  echo "check-stages: the schema's stage enum differs from common/ck_stages.def:" >&2
  printf '%s\n' "$def" >/tmp/ck_stages.$$.a; printf '%s\n' "$schema" >/tmp/ck_stages.$$.b
  diff /tmp/ck_stages.$$.a /tmp/ck_stages.$$.b >&2; fail=1
fi
rm -f /tmp/ck_stages.$$.a /tmp/ck_stages.$$.b
[ $fail = 0 ] && echo "stages: $(printf '%s\n' "$def" | wc -l) stages, the same in the .def, docs/cli.md and the report schema"
exit $fail
