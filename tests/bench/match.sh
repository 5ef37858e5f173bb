#!/usr/bin/env bash
# Structure matcher speed: fit and get_rms_dist per preset, mmscore
# (match_bench) against pymatgen 2022.11.7 (Debian python3-pymatgen, the
# reference) on the same pairs in the same run, one core each, CPU time (the
# machine is shared: wall time would mostly measure the other jobs), CIF
# parsing excluded on both sides; then `mmscore match --group` over 10,000
# generated and reference structures on two threads (wall time).
#   tests/bench/match.sh BUILD_DIR        (MATCH_BENCH_PAIRS=N, default 400)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: match.sh BUILD_DIR}"
fix="${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}"
pairs="$fix/matching/pairs.jsonl"
[ -f "$pairs" ] || pairs="$here/../data/match/pairs_sample.jsonl"
n="${MATCH_BENCH_PAIRS:-400}"
tool="$build/tests/match/match_bench"
[ -x "$tool" ] || { echo "match bench: $tool not built, skipped"; exit 0; }
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
echo "match: first $n pairs of $(basename "$pairs"), one core, CPU seconds (load average: $(cut -d' ' -f1 /proc/loadavg))"
ours=$("${pin[@]}" "$tool" "$pairs" "$n" 3)
if /usr/bin/python3 -c 'import pymatgen' 2>/dev/null; then
  ref=$("${pin[@]}" /usr/bin/python3 "$here/match_pymatgen.py" "$pairs" "$n")
else
  ref=""
  echo "  (python3-pymatgen not installed: no reference timing)"
fi
/usr/bin/python3 - "$ours" "$ref" <<'PY'
import json, sys
ours = json.loads(sys.argv[1]); ref = json.loads(sys.argv[2]) if sys.argv[2] else None
n = ours["pairs"]
for p in ("default", "cdvae", "supercell"):
    o = ours[p]
    for op, key in (("fit", "fit_s"), ("get_rms_dist", "rms_s")):
        line = f"  {p:9s} {op:12s} mmscore {o[key] / n * 1e6:8.1f} us/pair ({n / o[key]:8.0f} pairs/s)"
        if ref:
            r = ref[p][key]
            line += f"   pymatgen {r / n * 1e3:6.2f} ms/pair   ratio {r / o[key]:6.0f}x"
        print(line)
    print(f"  {p:9s} fit on cells reduced once: {o['fit_reduced_s'] / n * 1e6:.1f} us/pair")
    if ref and ref[p]["n_fit"] != o["n_fit"]:
        print(f"  WARNING: {p}: {o['n_fit']} fits here, {ref[p]['n_fit']} in pymatgen")
PY
# grouping: LLaMA-2 samples + carbon_24 test + perov_5 test + 827 perov_5 val = 10,000
c="$fix/crystals"
if [ -f "$c/llama2_7b_metastable.csv" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  /usr/bin/python3 "$here/csv_head.py" 827 "$c/perov_5_val.csv" "$tmp/perov_5_val_827.csv"
  for preset in default cdvae; do
    t0=$(date +%s.%N)
    "$build/mmscore" match --group --preset "$preset" -j 2 --json "$c/llama2_7b_metastable.csv" \
      "$c/carbon_24_test.csv" "$c/perov_5_test.csv" "$tmp/perov_5_val_827.csv" > "$tmp/g.json"
    t1=$(date +%s.%N)
    /usr/bin/python3 - "$tmp/g.json" "$preset" "$t0" "$t1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["plugins"]["match"]
secs = float(sys.argv[4]) - float(sys.argv[3])
print(f"  match --group {sys.argv[2]:8s} {d['n_structures']} structures -> {d['n_groups']} groups in {secs:.1f} s "
      f"wall, 2 threads (target < 60 s; pymatgen took 44 s for 1,200 of them, fixtures README)")
PY
  done
fi
