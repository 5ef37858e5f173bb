"""Exit 1 unless two summaries (JSON files) are equal value for value.

The merged summary's own "merge" note (how many shards) is the one key a
single run does not have."""
import json
import sys

a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
b.pop("merge", None)
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print(f"differs: {k}: {json.dumps(a.get(k))[:300]} vs {json.dumps(b.get(k))[:300]}")
    sys.exit(1)
n = len(json.dumps(a))
print(f"equal ({n} bytes of summary, records {a.get('records')})")
