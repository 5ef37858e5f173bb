#!/usr/bin/env bash
# Full comparison of the coverage and distribution plugins with the reference
# table rows (aggregates.json: perov_5_val generated vs perov_5_test reference,
# cutoff sets mp20, carbon, perovskite), fed with the reference's own
# per-structure values (*.ref.jsonl).  Prints the agreement table.
# Usage: tests/coverage/compare_full.sh [BUILD_DIR] [FIXTURES_CRYSTALS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../../build}" && pwd)"
fixtures="${2:-$here/../../../shared/fixtures/crystals}"
if [ ! -f "$fixtures/aggregates.json" ]; then
  fixtures=/work/shared/fixtures/crystals
fi
if [ ! -f "$fixtures/aggregates.json" ]; then
  echo "compare_full: no fixtures (aggregates.json) found; skipped"
  exit 0
fi
bin="$build/tests/coverage/test_coverage"
[ -x "$bin" ] || { echo "compare_full: build $bin first" >&2; exit 1; }
cd "$here/.."
MMSCORE_COVERAGE_FULL="$fixtures" "$bin"

# The same plugins against the independent whole-matrix oracle (naive.c) on
# other fixture pairs: LLM-generated crystals, carbon, the invalid-heavy set.
for pair in "llama2_7b_metastable carbon_24_test" "perov_5_val llama2_7b_metastable" \
            "carbon_24_test perov_5_test"; do
  set -- $pair
  MMSCORE_COVERAGE_ORACLE_GEN="$fixtures/$1.ref.jsonl" \
  MMSCORE_COVERAGE_ORACLE_REF="$fixtures/$2.ref.jsonl" "$bin" | grep -v '^\[ *\(RUN\|OK\|==*\)'
done
