#!/usr/bin/env bash
# Multiple-choice extraction throughput (items/s) against MMSci's rules in
# Python (44,450 items/s on this machine, ../shared/fixtures/README.md).
#   tests/bench/choice.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: choice.sh BUILD_DIR}"
full="$here/../../../shared/fixtures/qa/choice.jsonl"
data="$full"
[ -f "$data" ] || data="$here/../data/choice/subset.jsonl"
tool="$build/choice_tool"
[ -x "$tool" ] || { echo "choice bench: $tool not built, skipped"; exit 0; }
items=$(wc -l < "$data")
rounds=$(( (200000 + items - 1) / items ))
echo "choice: extraction over $(basename "$data") ($items items x $rounds rounds, one thread)"
"$tool" --bench "$rounds" "$data" | while read -r mode n secs; do
  awk -v m="$mode" -v n="$n" -v s="$secs" 'BEGIN {
    r = n / s; printf "  %-7s %12.0f items/s   ratio to MMSci rules (44,450 items/s): %.1fx\n", m, r, r / 44450 }'
done
