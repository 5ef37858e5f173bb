#!/bin/sh
# The HTML reports of fixture runs (tests/data, structures/: validate, eval,
# qa choice, qa caption) in headless Chromium: every figure present and
# drawn, no console messages (report_browser.py says how).  Skipped (77)
# without chromium or python3.
# usage: report_browser.sh MMSCORE SOURCE_DIR
set -eu
cli=$1 src=$2
data=$src/tests/data
command -v python3 >/dev/null 2>&1 || { echo "SKIPPED: python3 is not installed"; exit 77; }
command -v chromium >/dev/null 2>&1 || { echo "SKIPPED: chromium is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cli" validate -q --symmetry --report "$tmp/validate.html" "$data/readers/perturbed.csv" \
  "$src/structures" "$data/pipeline/bad.csv"
"$cli" eval -q --ref "$data/readers/perov_5_test.csv" --novelty-ref "$data/sun/novelty_ref.csv" \
  --hull-ref "$data/stability/hull_ref.csv" --report "$tmp/eval.html" \
  "$data/sun/sun_public.csv" "$data/pipeline/bad.csv"
# QA: accuracy bars (long model names lie the bars down) and the caption
# histograms with a series per kind of pair.
"$cli" qa choice -q --report "$tmp/choice.html" "$data/choice/subset.jsonl"
"$cli" qa caption -q --model-field kind --report "$tmp/caption.html" "$data/caption/captions.jsonl"
python3 "$src/tests/report/report_browser.py" chromium "$tmp/validate.html" "$tmp/eval.html" \
  "$tmp/choice.html" "$tmp/caption.html"
