#!/bin/bash
# Agreement of mmscore's CIF reader with pymatgen 2022.11.7 over every fixture
# CSV and the CIF corpus of ../shared/fixtures/crystals.
# Usage: tests/core_cif/compare_full.sh BUILD_DIR [FIXTURES_CRYSTALS_DIR]
build=${1:?build dir}
here=$(cd "$(dirname "$0")" && pwd)
fx=${2:-$here/../../../shared/fixtures/crystals}
if [ ! -d "$fx" ]; then
    echo "compare_full: $fx not found, skipped"
    exit 0
fi
exec "$build/tests/core_cif/compare_full" "$fx"
