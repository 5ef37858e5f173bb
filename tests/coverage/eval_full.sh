#!/usr/bin/env bash
# End-to-end check of `mmscore eval` against the reference table rows
# (aggregates.json): every job and cutoff set recorded there is rerun from the
# CSVs with mmscore's own reader, validity and fingerprint plugins, and each
# value is compared (rates and counts exactly, distances within 1e-6 absolute
# and relative).  Prints one line per value and exits non-zero on a mismatch.
# Usage: tests/coverage/eval_full.sh BUILD_DIR [FIXTURES_CRYSTALS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: eval_full.sh BUILD_DIR}" && pwd)"
fixtures="${2:-$here/../../../shared/fixtures/crystals}"
[ -f "$fixtures/aggregates.json" ] || fixtures=/work/shared/fixtures/crystals
if [ ! -f "$fixtures/aggregates.json" ]; then
  echo "eval_full: no fixtures (aggregates.json) found; skipped"
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$build/mmscore" "$fixtures" "$tmp" <<'PY'
import json, math, subprocess, sys
cli, fx, tmp = sys.argv[1:4]
agg = json.load(open(f"{fx}/aggregates.json"))
exact = {"comp_valid", "struct_valid", "valid", "cov_recall", "cov_precision",
         "struc_novelty", "comp_novelty", "novelty"}
bad = total = 0
for job in agg["jobs"]:
    for cutoffs, res in job["results"].items():
        cmd = [cli, "eval", "--json", "-q", "--cutoffs", cutoffs,
               "--ref", f"{fx}/{job['reference_cov']}",
               "--novelty-ref", f"{fx}/{job['reference_novelty']}", f"{fx}/{job['generated']}"]
        out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        ours = {}
        for sec in out["plugins"].values():
            if isinstance(sec, dict):
                ours.update(sec)
        print(f"{job['label']}, cutoffs {cutoffs}:")
        for key, want in res["metrics"].items():
            got = ours.get(key)
            total += 1
            if got is None:
                ok, diff = False, float("nan")
            else:
                diff = abs(got - want)
                ok = diff == 0 if key in exact else diff <= 1e-6 and diff <= 1e-6 * abs(want)
            bad += not ok
            print(f"  {key:16} reference {want!r:24} mmscore {got!r:24} diff {diff:.1e}"
                  f"{'' if ok else '  MISMATCH'}")
print(f"{total - bad}/{total} values agree (rates exactly, distances within 1e-6 abs. and rel.)")
sys.exit(1 if bad else 0)
PY
