#!/usr/bin/env bash
# Caption metric throughput (pairs/s of CPU time, one thread: the machine is
# shared, and CPU time is what an idle machine would show) per metric and for all of
# them together, with the ratio to the reference implementations' timings on
# this machine (../shared/fixtures/README.md: HF bleu 2,695/s, rouge_score
# 226/s, HF meteor 250/s, sacreBLEU sentence 3,197/s, MMSci's loop 19.8/s).
# The reference timed 639 pairs of all lengths; this runs the 407 fixture
# pairs (or the 67-pair subset in tests/data without ../shared).
#   tests/bench/caption.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: caption.sh BUILD_DIR}"
fix="${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}/qa"
data="$fix/captions.jsonl" ref="$fix/captions.ref.jsonl"
if [ ! -f "$data" ]; then
  data="$here/../data/caption/captions.jsonl" ref="$here/../data/caption/captions.ref.jsonl"
fi
tool="$build/caption_compare"
[ -x "$tool" ] || { echo "caption bench: $tool not built, skipped"; exit 0; }
echo "caption: $(wc -l < "$data") pairs of $(basename "$(dirname "$data")")/$(basename "$data"), 5 rounds per metric, one thread (load average: $(cut -d' ' -f1 /proc/loadavg))"
"$tool" "$data" "$ref" --bench 5 | sed -n '/^benchmark/,$p'
