#!/usr/bin/env bash
# Uniqueness and novelty (sun plugin, MatterGen rules) at MP-20 scale: 10,000
# generated structures against a 27,000-structure training set, both made
# from the fixture crystals by seeded perturbations (sun_gen.py), two
# threads, wall and CPU seconds (target < 60 s wall on two cores); then
# pymatgen 2022.11.7 on a subset (the first 500 generated rows and the
# training rows of their formulas) in the same run: verdicts compared row by
# row and the time ratio.  The machine is shared: the load average is printed.
#   tests/bench/sun.sh BUILD_DIR        (SUN_BENCH_SUB=N, default 500)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: sun.sh BUILD_DIR}"
fix="${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}"
sub="${SUN_BENCH_SUB:-500}"
[ -f "$build/plugins/sun.so" ] || { echo "sun bench: sun plugin not built, skipped"; exit 0; }
[ -f "$fix/crystals/llama2_7b_metastable.csv" ] || { echo "sun bench: $fix/crystals missing, skipped"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$here/sun_gen.py" 27000 10000 "$sub" "$tmp" "$fix/stability/queries_val.csv" \
  "$fix/crystals/llama2_7b_metastable.csv" "$fix/crystals/perov_5_test.csv" "$fix/crystals/perov_5_val.csv" \
  | sed 's/^/  sun: /'
run() { # GEN TRAIN OUT: mmscore's sun scorer alone, records and summary
  /usr/bin/time -f "%e %U %S" -o "$3.time" "$build/mmscore" run --plugins sun --set generated \
    --novelty-ref "$2" -j 2 -q --json --records "$3.records" "$1" > "$3"
}
echo "sun: load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores"
run "$tmp/gen.csv" "$tmp/train.csv" "$tmp/full.json"
run "$tmp/gen_sub.csv" "$tmp/train_sub.csv" "$tmp/sub.json"
ref=""
if /usr/bin/python3 -c 'import pymatgen' 2>/dev/null; then
  /usr/bin/python3 "$here/sun_pymatgen.py" "$tmp/gen_sub.csv" "$tmp/train_sub.csv" > "$tmp/ref.json"
  ref="$tmp/ref.json"
else
  echo "  (python3-pymatgen not installed: no reference timing)"
fi
/usr/bin/python3 - "$tmp" "$ref" <<'PY'
import json, sys
tmp, ref = sys.argv[1], sys.argv[2]
def summary(name):
    s = json.load(open(f"{tmp}/{name}.json"))["plugins"]["sun"]
    wall, user, sys_ = map(float, open(f"{tmp}/{name}.json.time").read().split())
    return s, wall, user + sys_
s, wall, cpu = summary("full")
n = s["n_structures"]
print(f"  sun: {n} generated vs {s['n_novelty_reference']} training: {wall:.1f} s wall, {cpu:.1f} s CPU, "
      f"2 threads ({n / wall:.0f} structures/s; target < 60 s); unique {s['n_unique']}, novel {s['n_novel']}")
ss, swall, scpu = summary("sub")
line = f"  subset: {ss['n_structures']} generated vs {ss['n_novelty_reference']} training: mmscore {scpu:.2f} s CPU (reading included)"
if ref:
    r = json.load(open(ref))
    line += f", pymatgen {r['cpu_s']:.1f} s CPU (matching only), ratio {r['cpu_s'] / max(scpu, 1e-3):.0f}x"
    ours = [json.loads(l) for l in open(f"{tmp}/sub.json.records")]
    bad = sum(1 for a, b in zip(ours, r["rows"]) if (a.get("unique"), a.get("dup_of"), a.get("novel"),
              a.get("match_ref_id")) != (b["unique"], b["dup_of"], b["novel"], b["match_ref_id"]))
    line += f"; verdicts: {len(r['rows']) - bad}/{len(r['rows'])} rows equal"
    if bad or len(ours) != len(r["rows"]):
        line += "  WARNING: rows differ"
print(line)
PY
