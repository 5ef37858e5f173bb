#!/usr/bin/env bash
# Full comparison of the structure and symmetry plugins with the reference
# evaluator over every fixture with reference outputs.  Needs a build (the
# mmscore CLI and plugins) and ../shared/fixtures; not part of CTest.
#
#   tests/structure/compare_full.sh [BUILD_DIR] [-v]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build}"
verbose="${2:-}"
fix="${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}/crystals"
[ -d "$fix" ] || fix=/work/shared/fixtures/crystals
if [ ! -d "$fix" ]; then
    echo "compare_full: no fixtures at $fix (set MMSCORE_FIXTURES); skipped"
    exit 0
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
status=0
echo "| reference | struct_valid | volume | density | min_distance | sg 0.1 | sg 0.01 | flat cells (not compared numerically) |"
echo "|---|---|---|---|---|---|---|---|"
for ref in "$fix"/*.ref.jsonl; do
    name="$(basename "$ref" .ref.jsonl)"
    input="$fix/$name.csv"
    [ -e "$input" ] || input="$fix/$name/"
    "$build/mmscore" validate -q -j 1 --symprec-extra 0.01 --records "$out/$name.jsonl" "$input" >/dev/null
    python3 "$here/compare.py" "$out/$name.jsonl" "$ref" $verbose || status=1
done
exit $status
