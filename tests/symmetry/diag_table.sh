#!/usr/bin/env bash
# How often each diagnostic code fires on the fixture sets: `mmscore validate
# --symmetry --symprec-extra 0.01 --records` on every CSV of
# ../shared/fixtures/crystals and on its cif_corpus folder, tabulated by
# diag_table.py (the table of docs/diagnostics.md).  With a second build, each
# cell is "before → after", and the run fails unless the two builds' JSON
# summaries are byte-identical and their records differ only in the
# diagnostics arrays.
#   tests/symmetry/diag_table.sh NEW_BUILD [OLD_BUILD]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: diag_table.sh NEW_BUILD [OLD_BUILD]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
fx=${MMSCORE_FIXTURES:-$here/../../../shared/fixtures/crystals}
[ -d "$fx" ] || fx=/work/shared/fixtures/crystals
[ -d "$fx" ] || { echo "diag_table: no fixtures at $fx" >&2; exit 1; }
builds=("$(cd "$1" && pwd)")
[ $# -ge 2 ] && builds+=("$(cd "$2" && pwd)")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inputs=("$fx"/carbon_24_test.csv "$fx"/perov_5_test.csv "$fx"/perov_5_val.csv "$fx"/cif_corpus
        "$fx"/llama2_7b_metastable.csv "$fx"/perturbed.csv)
specs=() bad=0
for in in "${inputs[@]}"; do
  name=$(basename "$in" .csv)
  for k in "${!builds[@]}"; do
    # Same working directory and paths for both builds, so the summaries compare.
    (cd "$tmp" && "${builds[$k]}/mmscore" validate --symmetry --symprec-extra 0.01 -q -j 2 \
      --records "$tmp/$name.$k.jsonl" --json "$in" > "$tmp/$name.$k.json")
  done
  spec="$name:$tmp/$name.0.jsonl"
  if [ ${#builds[@]} -eq 2 ]; then
    spec="$spec:$tmp/$name.1.jsonl"
    cmp -s "$tmp/$name.0.json" "$tmp/$name.1.json" || { echo "DIFFER summary of $name" >&2; bad=1; }
  fi
  specs+=("$spec")
done
python3 "$here/diag_table.py" --check "${specs[@]}" || bad=1
exit $bad
