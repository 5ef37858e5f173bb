#!/usr/bin/env bash
# Round trips of every fixture structure through every writer, and our CIF
# against pymatgen 2022.11.7 (layout = CifWriter's, pymatgen re-reads the same
# structure) when a Python with pymatgen is around.
#   tests/core_writer/roundtrip_full.sh BUILD_DIR
# Skips (exit 0) without ../shared/fixtures.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
F=${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}/crystals
if [ ! -d "$F" ]; then
    echo "roundtrip_full: no fixtures at $F, skipped"
    exit 0
fi
tool=$build/tests/core_writer/writer_roundtrip
status=0
echo "== read -> write -> read, every structure, every format"
"$tool" "$F/cif_corpus" "$F"/perov_5_test.csv "$F"/perov_5_val.csv "$F"/carbon_24_test.csv \
    "$F"/llama2_7b_metastable.csv "$F"/perturbed.csv || status=1

py=""
for p in python3 /usr/bin/python3; do
    if "$p" -c "import pymatgen.core" 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
    echo "pymatgen not importable: CifWriter comparison skipped"
    exit $status
fi
echo "== our CIF vs pymatgen's CifWriter and CifParser"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in perov_5_test perov_5_val carbon_24_test llama2_7b_metastable perturbed; do
    "$build/mmscore" convert -q "$F/$f.csv" --to cif --out "$tmp/$f" --records "$tmp/$f.jsonl" \
        2>/dev/null
    "$py" "$here/pymatgen_check.py" "$tmp/$f.jsonl" "$F/$f.csv" || status=1
done
"$build/mmscore" convert -q "$F/cif_corpus" --to cif --out "$tmp/corpus" \
    --records "$tmp/corpus.jsonl" 2>/dev/null
"$py" "$here/pymatgen_check.py" "$tmp/corpus.jsonl" "$F/cif_corpus" || status=1
exit $status
