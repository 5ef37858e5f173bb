#!/usr/bin/env bash
# Fingerprint agreement with the reference over every fixture row.
#   tests/fingerprint/compare_full.sh BUILD_DIR [--list]
# Runs `mmscore run --plugins fingerprint` on each /work/shared/fixtures
# crystals input (CIF reader + plugin, as a user would) and compares with the
# reference's comp_fp / struct_fp (compare_full.py).  Skips when the fixtures
# are absent.
set -euo pipefail
build=${1:?usage: compare_full.sh BUILD_DIR [--list]}
list=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
fx=${MMSCORE_FIXTURES:-$here/../../../shared/fixtures/crystals}
[ -d "$fx" ] || fx=/work/shared/fixtures/crystals
if [ ! -d "$fx" ]; then echo "fixtures not found: skipped"; exit 0; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf "%-24s %6s %6s %8s %6s %8s %8s  %s\n" file n magpie "" cnn "" missing "time (s, -j 1)"
for name in carbon_24_test perov_5_test perov_5_val llama2_7b_metastable cif_corpus; do
  start=$(date +%s.%N)
  if [ "$name" = cif_corpus ]; then
    # one folder run; records are matched to reference rows by file name
    "$build/mmscore" run -q -j 1 --plugins fingerprint --skip-invalid false \
      --records "$out/raw.jsonl" "$fx/cif_corpus" || true
    python3 - "$fx/cif_corpus.ref.jsonl" "$out/raw.jsonl" > "$out/$name.jsonl" <<'PY'
import json, os, sys
row = {json.loads(l)["file"]: i for i, l in enumerate(open(sys.argv[1]))}
seen = set()
for line in open(sys.argv[2]):
    r = json.loads(line)
    f = os.path.basename(r.get("source", ""))
    if f in row and f not in seen:  # first data block of each file, as the reference
        seen.add(f)
        r["index"] = row[f]
        print(json.dumps(r))
PY
  else
    "$build/mmscore" run -q -j 1 --plugins fingerprint --skip-invalid false \
      --records "$out/$name.jsonl" "$fx/$name.csv" || true
  fi
  end=$(date +%s.%N)
  python3 "$here/compare_full.py" "$name" "$out/$name.jsonl" "$fx/$name.ref.jsonl" $list \
    | sed "1s/\$/  $(echo "$end - $start" | bc)/"
done
