#!/usr/bin/env bash
# --resume after a real kill -9 and after SIGTERM: the records file and the
# summary are byte-identical to an uninterrupted run.
set -euo pipefail
mms=$1 data=$2
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
# 15 copies of the 74 records of structures.csv (ids made unique)
python3 - "$data/core_writer/structures.csv" <<'PY'
import csv, sys
csv.field_size_limit(1 << 30)
rows = list(csv.reader(open(sys.argv[1], newline="")))
with open("big.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(rows[0])
    for k in range(15):
        for r in rows[1:]:
            w.writerow([f"{r[0]}#{k}"] + r[1:])
PY
# --symmetry: slow enough (~300 records/s) to be killed mid-run
args=(validate --symmetry -j 1 --checkpoint-every 64 big.csv)
"$mms" "${args[@]}" --records full.jsonl --json > full.json
[ ! -e full.jsonl.ckpt ] # a finished run leaves no checkpoint
n=$(wc -l < full.jsonl)
[ "$n" -eq 1110 ]

for sig in KILL TERM; do
  rm -f part.jsonl part.jsonl.ckpt
  "$mms" "${args[@]}" --records part.jsonl --json > part.json 2> part.err &
  pid=$!
  # wait for the second checkpoint, then kill the process in the middle of its work
  for _ in $(seq 600); do
    if [ -e part.jsonl.ckpt ] && [ "$(wc -l < part.jsonl)" -ge 200 ]; then break; fi
    sleep 0.05
  done
  kill -s "$sig" "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
  pid=
  done_lines=$(wc -l < part.jsonl)
  echo "SIG$sig: exit $rc after $done_lines records"
  [ -e part.jsonl.ckpt ]
  [ "$done_lines" -lt "$n" ] || { echo "the run finished before the kill: test says nothing"; exit 1; }
  if [ "$sig" = TERM ]; then
    [ "$rc" -eq 143 ]
    grep -q "checkpoint saved in part.jsonl.ckpt" part.err
  fi
  "$mms" "${args[@]}" --records part.jsonl --json --resume > part.json
  cmp part.jsonl full.jsonl
  cmp part.json full.json
  [ ! -e part.jsonl.ckpt ]
  echo "SIG$sig: resumed run identical ($n records, summary $(wc -c < full.json) bytes)"
done
# an input changed since the checkpoint: refused, not mixed
rm -f part.jsonl part.jsonl.ckpt
"$mms" "${args[@]}" --records part.jsonl --json > /dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do
  if [ -e part.jsonl.ckpt ]; then break; fi
  sleep 0.05
done
kill -9 "$pid"
wait "$pid" || true
pid=
[ -e part.jsonl.ckpt ]
sed -i '2s/^/x/' big.csv
set +e
"$mms" "${args[@]}" --records part.jsonl --json --resume > /dev/null 2> err.txt
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "not the input the checkpoint was made from" err.txt
echo "changed input: resume refused"

# eval resumed past its reference set (kept in the checkpoint, not read again)
eargs=(eval -j 1 --checkpoint-every 64 --ref "$data/pipeline/perov_5_test_head.csv" --records e.jsonl)
"$mms" "${eargs[@]}" --json "$data/core_writer/structures.csv" > efull.json
cp e.jsonl efull.jsonl
"$mms" "${eargs[@]}" --json "$data/core_writer/structures.csv" > /dev/null &
pid=$!
for _ in $(seq 600); do
  if [ -e e.jsonl.ckpt ] && grep -q '"set":"generated"' e.jsonl; then break; fi
  sleep 0.02
done
kill -9 "$pid" || true
wait "$pid" || true
pid=
if [ -e e.jsonl.ckpt ]; then
  "$mms" "${eargs[@]}" --json --resume "$data/core_writer/structures.csv" > epart.json
  cmp e.jsonl efull.jsonl
  cmp epart.json efull.json
  echo "eval: resumed run identical"
fi
# --resume needs a records file
set +e
"$mms" validate --resume big.csv 2> err.txt
rc=$?
set -e
[ $rc -eq 2 ] && grep -q -- "--resume needs --records FILE" err.txt
echo "resume: all checks passed"
