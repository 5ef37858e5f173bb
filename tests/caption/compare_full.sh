#!/usr/bin/env bash
# Full-fixture agreement table of the caption metrics: all 407 pairs of
# ../shared/fixtures/qa/captions.jsonl against captions.ref.jsonl (values)
# and captions.tokens.jsonl (intermediates), the MMSci-style means, and the
# libstemmer-vs-nltk Porter measurement; then the CLI's records against the
# driver's values.
#   tests/caption/compare_full.sh BUILD_DIR [--list]   (--list: every disagreement)
# Skips cleanly without ../shared.  Exit 1 when a per-pair metric is below
# the issue's bar (BLEU/ROUGE 100% within 1e-12, METEOR >= 99% within 1e-6).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build}"
fixtures="${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}/qa"
if [ ! -f "$fixtures/captions.jsonl" ]; then
  echo "caption compare_full: $fixtures/captions.jsonl absent, skipped"
  exit 0
fi
tool="$build/caption_compare"
[ -x "$tool" ] || { echo "caption compare_full: build $tool first (cmake --build $build --target caption_compare)" >&2; exit 2; }
out="$(mktemp)"
trap 'rm -f "$out" "$out.rec"' EXIT
"$tool" "$fixtures/captions.jsonl" "$fixtures/captions.ref.jsonl" "$fixtures/captions.tokens.jsonl" ${2:-} | tee "$out"

if [ -x "$build/caption_porter_check" ]; then
  echo
  echo "Porter stemmer on the fixture ROUGE tokens longer than 3 characters:"
  "$build/caption_porter_check" "$fixtures/captions.tokens.jsonl" | grep -v '^libstemmer:' | sed 's/^/  /'
fi

status=0
awk '$4 !~ /%$/ { next }
     $1 ~ /^(bleu|precision_[1-4]|brevity_penalty|rouge1|rouge2|rougeL|rougeLsum)$/ && $3 != $2 { bad = 1 }
     $1 == "meteor" && $3 < 0.99 * $2 { bad = 1 }
     END { exit bad }' "$out" || { echo "caption compare_full: below the agreement bar" >&2; status=1; }

# The plugin through the CLI must carry the same per-pair values.
cli="$build/mmscore"
if [ -x "$cli" ]; then
  "$cli" qa caption --quiet --records "$out.rec" "$fixtures/captions.jsonl" > /dev/null
  python3 - "$out.rec" "$fixtures/captions.ref.jsonl" <<'PY' || status=1
import json, sys
ref = {json.loads(l)["id"]: json.loads(l) for l in open(sys.argv[2])}
n = agree = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    p = ref[r["id"]]["proper"]
    ok = True
    for k, tol in (("bleu", 1e-12), ("rouge1", 1e-12), ("rouge2", 1e-12), ("rougeL", 1e-12),
                   ("rougeLsum", 1e-12), ("meteor", 1e-6)):
        a, b = r.get(k), p.get(k)
        ok &= (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= tol)
    n += 1
    agree += ok
print("CLI records agreeing with the reference on bleu, rouge*, meteor: %d/%d" % (agree, n))
sys.exit(0 if agree == n else 1)
PY
fi
exit $status
