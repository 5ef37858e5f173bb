#!/usr/bin/env bash
# bond_length_score of the symmetry plugin against CrystaLLM's function on
# pymatgen 2022.11.7's CrystalNN (bond_reference_cnn.py) over the first N
# rows of fixture CSVs.  Not part of CTest: needs /work/shared and Debian's
# python3-pymatgen.  Usage: compare_bonds_full.sh BUILD_DIR [N]
build=${1:?build dir}
n=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../../../shared/fixtures/crystals
[ -d "$fixtures" ] || fixtures=/work/shared/fixtures/crystals
if [ ! -d "$fixtures" ] || [ ! -x /usr/bin/python3 ]; then
    echo "compare_bonds_full: fixtures or /usr/bin/python3 missing; skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-24s %6s %10s %8s %8s\n' fixture rows agree_1e-9 both_null differ
for f in carbon_24_test perov_5_test llama2_7b_metastable perturbed; do
    # the first n rows as JSONL {"source", "row", "cif"}, for both sides
    /usr/bin/python3 - "$fixtures/$f.csv" "$n" "$f" > "$tmp/$f.jsonl" <<'PY'
import csv, json, sys
csv.field_size_limit(1 << 30)
for i, r in enumerate(csv.DictReader(open(sys.argv[1]))):
    if i >= int(sys.argv[2]):
        break
    print(json.dumps({"source": sys.argv[3], "row": i, "cif": r["cif"]}))
PY
    /usr/bin/python3 "$here/bond_reference_cnn.py" "$tmp/$f.jsonl" 64 > "$tmp/$f.ref"
    "$build/mmscore" run --plugins symmetry -q -j 1 --records "$tmp/$f.ours" "$tmp/$f.jsonl" \
        >/dev/null 2>&1
    /usr/bin/python3 - "$tmp/$f.ref" "$tmp/$f.ours" "$f" <<'PY'
import json, sys
ours = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    ours[r.get("index")] = r.get("bond_length_score", "absent")
rows = agree = null = 0
bad = []
for line in open(sys.argv[1]):
    ref = json.loads(line)
    if "crystalnn" not in ref:
        continue
    rows += 1
    want, got = ref["crystalnn"], ours.get(ref["row"], "absent")
    if want is None and got is None:
        null += 1
    elif want is not None and isinstance(got, (int, float)) and not isinstance(got, bool) and abs(want - got) <= 1e-9:
        agree += 1
    else:
        bad.append((ref["row"], want, got))
print(f"{sys.argv[3]:<24} {rows:6d} {agree:10d} {null:8d} {len(bad):8d}")
for b in bad[:5]:
    print("   row %d: reference %s, ours %s" % b)
PY
done
