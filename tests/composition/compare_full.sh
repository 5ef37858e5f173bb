#!/usr/bin/env bash
# Agreement of comp_valid with the reference on every fixture row.
#   tests/composition/compare_full.sh BUILD_DIR [FIXTURES_CRYSTALS_DIR]
# 1. The SMACT check alone on each row's elements/counts (exactly basic_eval's
#    Crystal.elems/comps), with SMACT 2.5.5's Zr value and the old 0.33:
#    agreement table, per-file median and worst time.
# 2. If the mmscore CLI is built: `mmscore validate` on the fixture inputs,
#    comparing comp_valid and valid (= struct_valid and comp_valid, the
#    reference's valid_pre_fp) record by record (compare_cli.py).
# Skips cleanly (exit 0) when the fixtures are absent.
set -u
build=${1:?usage: compare_full.sh BUILD_DIR [FIXTURES_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=${2:-$here/../../../shared/fixtures/crystals}
if [ ! -d "$fixtures" ]; then
    echo "compare_full: no fixtures at $fixtures; skipped"
    exit 0
fi
tool=$build/tests/composition/compare_smact
if [ ! -x "$tool" ]; then
    echo "compare_full: $tool not built (configure with the composition plugin)" >&2
    exit 2
fi
echo "== SMACT check on the reference compositions =="
"$tool" --repeat 5 "$fixtures"/*.ref.jsonl
status=$?
if [ -x "$build/mmscore" ] && command -v python3 >/dev/null; then
    echo
    echo "== mmscore validate vs the reference, record by record =="
    python3 "$here/compare_cli.py" "$build" "$fixtures" || status=1
else
    echo "(mmscore CLI or python3 missing: record-by-record comparison skipped)"
fi
exit $status
