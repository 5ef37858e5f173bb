#!/usr/bin/env bash
# One format on stdout, fields kept with records, outputs that are inputs
# refused, failed writes reported with the path and the reason.
set -euo pipefail
mms=$1 data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
csv=$data/core_writer/structures.csv
expect() { # exit-code, stderr-pattern, command...
  local want=$1 pat=$2; shift 2
  set +e
  "$@" > out.txt 2> err.txt
  local rc=$?
  set -e
  if [ "$rc" -ne "$want" ] || ! grep -q -- "$pat" err.txt; then
    echo "FAIL: $* -> exit $rc (want $want), stderr:"; cat err.txt; exit 1
  fi
}
# --records - with --json: refused unless the summary goes to a file
expect 2 "give the summary its own file" "$mms" validate -q --json --records - "$csv"
"$mms" validate -q --json --records - --summary s.json "$csv" > recs.jsonl
python3 - <<'PY'
import json
recs = [json.loads(l) for l in open("recs.jsonl")]
assert len(recs) == 74, len(recs)
s = json.load(open("s.json"))
assert s["records"] == 74
# the other CSV columns stay with each record; the structure column does not
assert recs[0]["fields"] == {"id": recs[0]["id"], "origin": "perov_5_test"}, recs[0]["fields"]
PY
"$mms" validate -q --no-fields --records nf.jsonl "$csv"
! grep -q '"fields"' nf.jsonl
# progress: nothing off a terminal, unless --progress (a line every 10 s and at the end)
"$mms" validate "$csv" > /dev/null 2> err.txt
! grep -q "records," err.txt
"$mms" validate --progress "$csv" > /dev/null 2> err.txt
grep -q "^mmscore: 74 records, [0-9]*/s$" err.txt
# an output that is an input: refused before anything is written
cp "$csv" in.csv
sum=$(md5sum < in.csv)
expect 2 "is the input in.csv" "$mms" validate -q --records in.csv in.csv
ln -s in.csv alias.csv
expect 2 "is the input" "$mms" validate -q --summary alias.csv in.csv
[ "$(md5sum < in.csv)" = "$sum" ]
# failed writes: exit 1 with the path and the reason
if [ -w /dev/full ]; then
  expect 1 "/dev/full: cannot write: No space left on device" \
    "$mms" validate -q --records /dev/full "$csv"
  expect 1 "cannot write the summary to /dev/full: No space left on device" \
    "$mms" validate -q --json --summary /dev/full "$csv"
  set +e
  "$mms" validate --json "$csv" > /dev/full 2> err.txt
  rc=$?
  set -e
  [ $rc -eq 1 ] && grep -q "cannot write the summary to stdout: No space left on device" err.txt
  expect 1 "/dev/full: cannot write" "$mms" validate -q --save-state /dev/full "$csv"
  # convert: a file that cannot be written completely is not left behind
  mkdir cv
  ln -s /dev/full cv/P-00035.cif
  expect 1 "cannot write cv/P-00035.cif: No space left on device" \
    "$mms" convert -q --shard 1/2 --to cif --out cv "$csv"
  [ ! -e cv/P-00035.cif ] && [ ! -L cv/P-00035.cif ]
  [ "$(ls cv | wc -l)" -eq 35 ]
fi
echo "outputs: all checks passed"
