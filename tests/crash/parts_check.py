"""parts_check.py PLAN_JSON N - the shares of `ckconv plan --parts N --json`
checked against the plan's own tensor list: every tensor in exactly one
part, the byte ranges holding exactly the tensors they count, whole files
when there are at least N files, else about 1/N of the bytes per part
(within one tensor)."""
import json
import sys

plan = json.load(open(sys.argv[1]))['plan']
n = int(sys.argv[2])
parts = plan['parts']
assert [p['part'] for p in parts] == ['%d/%d' % (k + 1, n) for k in range(n)]
files = {f['name']: f for f in plan['files']}
tensors = plan['tensors']
assert sum(p['tensors'] for p in parts) == len(tensors)
assert sum(p['bytes'] for p in parts) == sum(t['nbytes'] for t in tensors)
seen = {}
for p in parts:
    for f in p['files']:
        inside = [t for t in tensors if t['file'] == f['name']
                  and f['offset'] <= t['offset'] < f['end']]
        assert len(inside) == f['tensors'], (p, f)
        for t in inside:
            assert t['name'] not in seen, t['name']
            seen[t['name']] = p['part']
        if len(files) >= n:
            assert f['whole'] and f['tensors'] == files[f['name']]['tensors'], f
assert len(seen) == len(tensors)
if len(files) < n <= len(tensors):
    total = sum(p['bytes'] for p in parts)
    big = max(t['nbytes'] for t in tensors)
    assert all(abs(p['bytes'] - total / n) <= big for p in parts), \
        [p['bytes'] for p in parts]
