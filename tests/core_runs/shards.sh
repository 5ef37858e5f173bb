#!/usr/bin/env bash
# Four shards of validate, eval and qa run by GNU parallel, merged: the
# summary equals one unsharded run value for value, and the shards' records
# files put together are the unsharded one byte for byte.
set -euo pipefail
mms=$1 data=$2
command -v parallel >/dev/null || { echo "SKIPPED: GNU parallel not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIPPED: no python3"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

check() { # name, single-run args...; the shards use the same args
  local name=$1; shift
  "$mms" "$@" -q -j 1 --json --records "$name.all.jsonl" > "$name.single.json"
  parallel --halt now,fail=1 "$mms" "$@" -q -j 1 --shard {}/4 --save-state "$name.{}.state" \
    --records "$name.{}.jsonl" ::: 0 1 2 3
  "$mms" merge --json -q "$name".{3,1,0,2}.state > "$name.merged.json"
  python3 "$here/compare_summaries.py" "$name.single.json" "$name.merged.json"
  cat "$name".{0,1,2,3}.jsonl | cmp - "$name.all.jsonl"
  local n
  n=$(wc -l < "$name.all.jsonl")
  [ "$n" -ge 20 ] || { echo "$name: only $n records compared"; exit 1; }
  echo "$name: 4 shards merged = single run ($n records)"
}

# structures.csv: multi-line CIFs in quoted CSV cells (the shards never cut one)
check validate validate "$data/core_writer/structures.csv"
# --cutoffs given to the runs only: merge takes it from the states
check eval eval --cutoffs perovskite --ref "$data/pipeline/perov_5_test_head.csv" \
  "$data/core_writer/structures.csv"
grep -q "\"cov_struc_cutoff\":[[:space:]]*0.2," eval.merged.json
check choice qa choice "$data/choice/subset.jsonl"
check caption qa caption "$data/caption/captions.jsonl"

# A shard given twice, a missing one: refused (exit 2) naming them.
set +e
"$mms" merge -q validate.0.state validate.0.state validate.1.state validate.2.state \
  validate.3.state 2> err.txt
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "same part (same shard)" err.txt
set +e
"$mms" merge -q validate.0.state validate.1.state validate.3.state 2> err.txt
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "1 of 4 shards missing: \[2\]" err.txt
"$mms" merge -q --json --allow-partial validate.0.state validate.1.state validate.3.state \
  > partial.json
python3 - <<'PY'
import json
m = json.load(open("partial.json"))["merge"]
assert m["partial"] is True and m["missing_shards"] == [2], m
PY
# Shards of another run (other options): refused naming the field.
"$mms" validate -q -j 1 --shard 2/4 --min-distance-cutoff 0.7 --save-state other.2.state \
  "$data/core_writer/structures.csv"
set +e
"$mms" merge -q validate.0.state validate.1.state other.2.state validate.3.state 2> err.txt
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "min_distance_cutoff" err.txt
# stdin cannot be counted for --shard: a usage error.
set +e
"$mms" validate -q --shard 0/2 - < "$data/core_writer/structures.csv" 2> err.txt
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "stdin" err.txt
echo "shards: all checks passed"
