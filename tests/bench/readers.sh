#!/bin/bash
# CIF reader throughput on the fixture CSVs (one core, parse only).
# Usage: tests/bench/readers.sh BUILD_DIR
build=${1:?build dir}
here=$(cd "$(dirname "$0")" && pwd)
fx=${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}/crystals
if [ ! -d "$fx" ]; then
    echo "readers bench: $fx not found, skipped"
    exit 0
fi
echo "== readers: mms_read_cif throughput =="
"$build/tests/core_cif/read_bench" "$fx"/perov_5_test.csv "$fx"/perov_5_val.csv \
    "$fx"/carbon_24_test.csv "$fx"/llama2_7b_metastable.csv "$fx"/perturbed.csv
