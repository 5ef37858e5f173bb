#!/usr/bin/env bash
# The core's CIF reader against Open Babel's (through the openbabel plugin)
# on cif_corpus/ and a sample of each fixture CSV: cell and composition.
#   tests/openbabel/crosscheck.sh BUILD_DIR [ROWS_PER_CSV]   (default 300)
# Prints every file where they differ, with the reason, then the counts.
# Skips (exit 0) without ../shared/fixtures or without the plugin.
set -u
build=${1:-build}
rows=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)
F=${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}/crystals
tool=$build/tests/openbabel/ob_crosscheck
plugin=$build/plugins/openbabel.so
if [ ! -d "$F" ] || [ ! -x "$tool" ] || [ ! -f "$plugin" ]; then
    echo "crosscheck: fixtures or the openbabel plugin missing, skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every CSV row's CIF as a file named after the CSV and its row.
python3 - "$F" "$tmp" "$rows" <<'PY'
import csv, os, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
csv.field_size_limit(1 << 30)
for name in ("perov_5_test", "perov_5_val", "carbon_24_test", "llama2_7b_metastable", "perturbed"):
    os.makedirs(f"{dst}/{name}")
    for i, row in enumerate(csv.DictReader(open(f"{src}/{name}.csv", newline=""))):
        if i >= n:
            break
        with open(f"{dst}/{name}/row{i:05d}.cif", "w") as f:
            f.write(row["cif"])
PY
echo "== cif_corpus (all files)"
"$tool" "$plugin" "$F"/cif_corpus/*
for name in perov_5_test perov_5_val carbon_24_test llama2_7b_metastable perturbed; do
    echo "== $name.csv (first $rows rows)"
    "$tool" "$plugin" "$tmp/$name"/*.cif
done
