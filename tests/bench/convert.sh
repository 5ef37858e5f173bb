#!/usr/bin/env bash
# mmscore convert throughput: llama2_7b_metastable.csv (3,358 pymatgen-written
# CIFs) to one CIF file per structure, one thread, wall clock.  Ratios: to the
# reference's pymatgen CIF parse + basic_eval validity (about 1,000
# structures/s, ../shared/fixtures/crystals/README.md), and to pymatgen
# 2022.11.7 doing this job (Structure.from_str + CifWriter + file), timed here
# on the first 500 rows when a Python with pymatgen is found.
#   tests/bench/convert.sh BUILD_DIR
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
csv=${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}/crystals/llama2_7b_metastable.csv
if [ ! -f "$csv" ]; then
    echo "convert bench: no fixtures, skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
"$build/mmscore" convert -q -j1 "$csv" --to cif --out "$tmp/cif" || exit 1
end=$(date +%s.%N)
n=$(ls "$tmp/cif" | wc -l)
rate=$(echo "$n / ($end - $start)" | bc -l)
printf 'convert --to cif: %d structures in %.2f s = %.0f structures/s (%.2fx the reference parse+validity rate of 1000/s)\n' \
    "$n" "$(echo "$end - $start" | bc -l)" "$rate" "$(echo "$rate / 1000" | bc -l)"
py=""
for p in python3 /usr/bin/python3; do
    if "$p" -c "import pymatgen.core" 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || exit 0
prate=$("$py" - "$csv" "$tmp/pmg" <<'PY'
import csv, os, sys, time, warnings
warnings.filterwarnings("ignore")
from pymatgen.core import Structure
from pymatgen.io.cif import CifWriter
csv.field_size_limit(1 << 30)
rows = [r["cif"] for r in csv.DictReader(open(sys.argv[1], newline=""))][:500]
os.makedirs(sys.argv[2])
t = time.time()
for i, c in enumerate(rows):
    CifWriter(Structure.from_str(c, fmt="cif")).write_file(f"{sys.argv[2]}/{i}.cif")
print(len(rows) / (time.time() - t))
PY
)
printf 'pymatgen from_str + CifWriter: %.0f structures/s; mmscore convert is %.1fx faster\n' \
    "$prate" "$(echo "$rate / $prate" | bc -l)"
