#!/usr/bin/env bash
# Two builds of mmscore timed against each other on this noisy shared host:
# the fingerprint run (`run --plugins fingerprint -j 1`, no records) on the
# first 600 perov_5_test structures, alternating OLD and NEW RUNS times each,
# CPU seconds sorted, medians and their ratio.  A build dir is anything with
# mmscore and plugins/ in it (e.g. a copy of an older build/).
#   tests/bench/compare_builds.sh OLD_BUILD NEW_BUILD [RUNS]
set -euo pipefail
if [ $# -lt 2 ]; then # e.g. from the bench target, which passes one build
  echo "compare_builds: usage: compare_builds.sh OLD_BUILD NEW_BUILD [RUNS]: skipped"; exit 0
fi
old=$1 new=$2
runs=${3:-11}
here=$(cd "$(dirname "$0")" && pwd)
fx=${MMSCORE_FIXTURES:-$here/../../../shared/fixtures/crystals}
[ -d "$fx" ] || fx=/work/shared/fixtures/crystals
if [ ! -d "$fx" ] || ! command -v python3 > /dev/null; then
  echo "compare_builds: needs the fixtures and python3: skipped"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/csv_head.py" 600 "$fx/perov_5_test.csv" "$tmp/p600.csv"
cpu() {
  /usr/bin/time -f "%U %S" -o "$tmp/t" "$1/mmscore" run -q -j 1 --plugins fingerprint \
    --skip-invalid false "$tmp/p600.csv" > /dev/null || true
  awk '{print $1 + $2}' "$tmp/t"
}
a="" b=""
for _ in $(seq "$runs"); do
  a="$a $(cpu "$old")"
  b="$b $(cpu "$new")"
done
med() { echo "$1" | tr ' ' '\n' | grep . | sort -g | awk '{t[NR] = $1} END {print t[int((NR + 1) / 2)]}'; }
echo "old:$(echo "$a" | tr ' ' '\n' | grep . | sort -g | tr '\n' ' ')"
echo "new:$(echo "$b" | tr ' ' '\n' | grep . | sort -g | tr '\n' ' ')"
awk -v o="$(med "$a")" -v n="$(med "$b")" 'BEGIN {
  printf "medians: old %.2f s, new %.2f s: new is %.2fx as fast\n", o, n, o / n }'
