#!/usr/bin/env bash
# Two builds of mmscore give the same bytes: the records file, the JSON
# summary and the exit status of `validate` on every CSV of the fixtures
# (../shared/fixtures/crystals) and of tests/data, and of `eval` of every
# fixture CSV against perov_5_test (novelty against perov_5_val), with the
# saved reference state compared too.  For refactors that must not change a
# number (e.g. moving kernels into plugins/common).  A build dir is anything
# with mmscore and plugins/ in it.  Prints one line per comparison and the
# count of records compared; exits 1 on any difference.
#   tests/bench/compare_results.sh OLD_BUILD NEW_BUILD
set -euo pipefail
if [ $# -lt 2 ]; then # e.g. from the bench target, which passes one build
  echo "compare_results: usage: compare_results.sh OLD_BUILD NEW_BUILD: skipped"; exit 0
fi
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
fx=${MMSCORE_FIXTURES:-$here/../../../shared/fixtures/crystals}
[ -d "$fx" ] || fx=/work/shared/fixtures/crystals
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
csvs=$(ls "$fx"/*.csv 2> /dev/null; find "$here/../data" -name '*.csv' | sort)
[ -n "$csvs" ] || { echo "compare_results: no CSV found"; exit 1; }
diffs=0 records=0 runs=0
# run NAME ARGS...: the same command with each build, outputs compared byte for byte.
run() {
  local name=$1; shift
  for b in old new; do
    local dir=$old; [ $b = new ] && dir=$new
    mkdir -p "$tmp/$b"
    # Same working directory and paths for both, so messages naming files match.
    (cd "$tmp" && set +e; "$dir/mmscore" "${@//@B@/$b}" -q -j 2 --records "$tmp/$b/$name.jsonl" --json \
      > "$tmp/$b/$name.json" 2> "$tmp/$b/$name.err"; echo $? > "$tmp/$b/$name.rc")
    sed -i "s|$dir|BUILD|g; s|$tmp/$b/|TMP/|g" "$tmp/$b/$name.err"
  done
  local bad=""
  for ext in jsonl json rc err; do
    cmp -s "$tmp/old/$name.$ext" "$tmp/new/$name.$ext" || bad="$bad $ext"
  done
  local n; n=$(wc -l < "$tmp/new/$name.jsonl")
  records=$((records + n)) runs=$((runs + 1))
  if [ -n "$bad" ]; then
    diffs=$((diffs + 1)); echo "DIFFER $name ($n records, exit $(cat "$tmp/new/$name.rc")):$bad"
  else
    echo "same   $name ($n records, exit $(cat "$tmp/new/$name.rc"))"
  fi
}
for c in $csvs; do
  run "validate-$(basename "$(dirname "$c")")-$(basename "$c" .csv)" validate "$c"
done
if [ -f "$fx/perov_5_test.csv" ] && [ -f "$fx/perov_5_val.csv" ]; then
  for c in "$fx"/*.csv; do
    # The first run saves the reference accumulators, the later ones load them
    # (in both builds alike): the cache files are compared at the end.
    run "eval-$(basename "$c" .csv)" eval --ref "$fx/perov_5_test.csv" \
      --novelty-ref "$fx/perov_5_val.csv" --ref-cache "$tmp/@B@/refcache.json" "$c"
  done
fi
if [ -f "$tmp/old/refcache.json" ]; then
  runs=$((runs + 1))
  if cmp -s "$tmp/old/refcache.json" "$tmp/new/refcache.json"; then echo "same   eval reference state"
  else diffs=$((diffs + 1)); echo "DIFFER eval reference state"; fi
fi
echo "compare_results: $runs runs, $records records compared, $diffs differ"
[ "$diffs" -eq 0 ] && [ "$records" -gt 0 ]
