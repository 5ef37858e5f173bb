#!/usr/bin/env bash
# The reference's fingerprint code and mmscore timed in the same minutes, on
# the same structures.
#   tests/bench/vs_reference_now.sh BUILD_DIR FIXTURE.csv STEP LABEL
# The ratios against crystals/README.md's timings mix our speed with this
# shared machine's speed on the day those were taken (it drifts by up to 2x).
# Here the reference's own code (reference_proxy.py: pymatgen 2022.11.7's
# CIF parse and CrystalNN "ops" fingerprint, the loop of matminer 0.8,
# without Magpie and validity) runs on every STEP-th crystal of FIXTURE.csv,
# alternating with `mmscore run --plugins fingerprint -j 1` on the same
# crystals (repeated 20 times, so that start-up does not count), six
# mmscore runs around five reference runs, all in CPU time.
# Prints one line: reference and mmscore ms/structure (medians) and the
# median of the five paired ratios, each reference run against the mean of
# the two mmscore runs around it (ratio.awk: the machine's speed changes
# within seconds, so single pairs of runs are noisy).  Needs a python3 with
# pymatgen 2022.11.7 (Debian python3-pymatgen, the version the reference
# ran); skips without one.
set -uo pipefail
build=${1:?usage: vs_reference_now.sh BUILD_DIR FIXTURE.csv STEP LABEL}
src=${2:?} step=${3:?} label=${4:?}
here=$(cd "$(dirname "$0")" && pwd)
if ! py=$("$here/reference_python.sh"); then
  echo "now $label: no python3 with pymatgen 2022.11.7: skipped"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=$("$py" - "$src" "$step" "$tmp" <<'PY'
import csv, sys
csv.field_size_limit(1 << 30)
src, step, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.reader(open(src, newline="")))
sub = rows[1::step]
for name, copies in (("subset", 1), ("repeated", 20)):
    with open(f"{out}/{name}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(rows[0])
        for _ in range(copies):
            w.writerows(sub)
print(len(sub))
PY
)
mm() {
  /usr/bin/time -f "%U %S" -o "$tmp/time" "$build/mmscore" run -q -j 1 --plugins fingerprint \
    --skip-invalid false "$tmp/repeated.csv" > /dev/null || true
  awk -v n="$n" '{ printf "%.4f\n", ($1 + $2) / (20 * n) * 1000 }' "$tmp/time"
}
ref() {
  "$py" "$here/reference_proxy.py" --ms "$tmp/subset.csv"
}
ms="" rs=""
for _ in 1 2 3 4 5; do
  ms="$ms $(mm)"
  rs="$rs $(ref)"
done
ms="$ms $(mm)"
read -r rmed mmed rpair rlo rhi < <(awk -v num="$rs" -v den="$ms" -f "$here/ratio.awk")
printf 'now %s (%d structures, every %d-th): reference code %.1f ms/structure (runs:%s), mmscore %.3f ms/structure (runs:%s): %sx (median of 5 paired ratios; lowest %sx, highest %sx)\n' \
  "$label" "$n" "$step" "$rmed" "$rs" "$mmed" "$ms" "$rpair" "$rlo" "$rhi"
