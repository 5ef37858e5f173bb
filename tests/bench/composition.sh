#!/usr/bin/env bash
# Throughput of the SMACT check alone (compositions/s) on the perturbed
# fixture's compositions, where the reference was timed: SMACT 2.5.5 took
# 51 us per composition at the median (../shared/fixtures/crystals/README.md).
# $1 = build dir.
build=${1:?build dir}
fixtures=$(dirname "$0")/../../../shared/fixtures/crystals
tool=$build/tests/composition/compare_smact
if [ ! -d "$fixtures" ] || [ ! -x "$tool" ]; then
    echo "composition bench: fixtures or $tool missing; skipped"
    exit 0
fi
echo "composition (SMACT comp_valid), each composition timed as the fastest of 50 calls:"
"$tool" --repeat 50 "$fixtures/perturbed.ref.jsonl" 2>/dev/null |
    grep -v '^disagreements'
