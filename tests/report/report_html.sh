#!/bin/sh
# The HTML report: its figures recounted from the records file of the same
# run (report_check.py), sharded --save-state + `mmscore report` giving the
# same figure data as one run, inputs' text escaped, and a report that
# cannot be written failing the run.  Data: tests/data and structures/ (a
# fresh clone has them); python3 reads the records.
# usage: report_html.sh MMSCORE SOURCE_DIR BADFIG_PLUGIN_DIR
set -eu
cli=$1 src=$2 badfig=$3
data=$src/tests/data
command -v python3 >/dev/null 2>&1 || { echo "SKIPPED: python3 is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check="python3 $src/tests/report/report_check.py"
gen="$data/readers/perturbed.csv $data/readers/llama2_7b_metastable.csv $src/structures $data/pipeline/bad.csv"

# validate --symmetry: generated series, space groups, diagnostics, failed reads.
"$cli" validate -q --symmetry --records "$tmp/v.jsonl" --report "$tmp/v.html" $gen
$check "$tmp/v.html" "$tmp/v.jsonl" 60

# Within a section, a plugin's figures before those of the plugins it
# requires: validity's counts, then structure's and symmetry's diagnostics.
order=$(grep -o '<figure id="fig-[^"]*"' "$tmp/v.html" | tr '\n' ' ')
case "$order" in
  *fig-validity-validity*fig-structure-diagnostics_codes*fig-symmetry-symmetry_diagnostics_codes*) ;;
  *) echo "FAIL: Validity section order: $order"; exit 1 ;;
esac

# eval: generated against reference.
"$cli" eval -q --ref "$data/readers/perov_5_test.csv" --records "$tmp/e.jsonl" \
  --report "$tmp/e.html" $gen
$check "$tmp/e.html" "$tmp/e.jsonl" 20

# S.U.N. breakdown (sun with the stability plugin's hull).
"$cli" eval -q --novelty-ref "$data/sun/novelty_ref.csv" --hull-ref "$data/stability/hull_ref.csv" \
  --records "$tmp/s.jsonl" --report "$tmp/s.html" "$data/sun/sun_public.csv"
$check "$tmp/s.html" "$tmp/s.jsonl" 400

# Shards (in any order to `report`) give the single run's figures.
for i in 0 1 2; do
  "$cli" validate -q --symmetry --shard $i/3 --save-state "$tmp/v$i.state" $gen
  "$cli" eval -q --ref "$data/readers/perov_5_test.csv" --shard $i/3 \
    --save-state "$tmp/e$i.state" $gen
done
"$cli" report --output "$tmp/vs.html" "$tmp/v2.state" "$tmp/v0.state" "$tmp/v1.state"
$check --same "$tmp/v.html" "$tmp/vs.html"
"$cli" report "$tmp/e1.state" "$tmp/e0.state" "$tmp/e2.state" > "$tmp/es.html"
$check --same "$tmp/e.html" "$tmp/es.html"
for i in 0 1; do
  "$cli" eval -q --novelty-ref "$data/sun/novelty_ref.csv" --hull-ref "$data/stability/hull_ref.csv" \
    --shard $i/2 --save-state "$tmp/s$i.state" "$data/sun/sun_public.csv"
done
"$cli" report --output "$tmp/ss.html" "$tmp/s1.state" "$tmp/s0.state"
$check --same "$tmp/s.html" "$tmp/ss.html"
# ... and the same refusals as merge: a missing shard.
if "$cli" report --output "$tmp/x.html" "$tmp/v0.state" "$tmp/v1.state" 2>"$tmp/err"; then
  echo "FAIL: a missing shard was accepted"; exit 1
fi
grep -q "shards missing" "$tmp/err" || { cat "$tmp/err"; echo "FAIL: no reason given"; exit 1; }

# QA: choice's accuracy per model, subject, category and source and its
# parsed/unparsed replies, caption's histograms per model, recounted from the
# records.  The fixture subset has model and source fields only: subjects
# and categories (MMSci-like names, some long) are added by record index, and
# captions get 11 models (past the 8 series a figure draws).
python3 - "$data" "$tmp" <<'PY'
import json, sys
data, tmp = sys.argv[1:]
subjects = ["Materials science", "Scientific community and society", "Physics", "Chemistry",
            "Energy science and technology", "Ecology", "Nanoscience and technology"]
with open(f"{tmp}/choice.jsonl", "w") as out:
    for i, line in enumerate(open(f"{data}/choice/subset.jsonl")):
        r = json.loads(line)
        r["subject"] = subjects[i * 5 % len(subjects)]
        r["category"] = ["Physical sciences", "Earth and environmental sciences"][i % 2]
        out.write(json.dumps(r) + "\n")
    # a line that does not read and a record choice cannot score (no gold)
    out.write('{"id": "broken", "model": \n')
    out.write(json.dumps({"id": "no-gold", "model": "bard", "question": "Q?\\nA. x\\nB. y",
                          "raw_output": "A"}) + "\n")
with open(f"{tmp}/captions.jsonl", "w") as out:
    for i, line in enumerate(open(f"{data}/caption/captions.jsonl")):
        r = json.loads(line)
        r["model"] = "model-%02d" % (i % 11) if i % 11 else "a model named at length, " * 4
        out.write(json.dumps(r) + "\n")
PY
"$cli" qa choice -q --records "$tmp/qc.jsonl" --report "$tmp/qc.html" "$tmp/choice.jsonl"
$check "$tmp/qc.html" "$tmp/qc.jsonl" 200
grep -q '; 1 record could not be read' "$tmp/qc.html" || { echo "FAIL: the unscored record is not said"; exit 1; }
"$cli" qa choice -q --extractor mmsci --records "$tmp/qm.jsonl" --report "$tmp/qm.html" \
  "$data/choice/subset.jsonl"
$check "$tmp/qm.html" "$tmp/qm.jsonl" 150
"$cli" qa caption -q --records "$tmp/qk.jsonl" --report "$tmp/qk.html" "$tmp/captions.jsonl"
$check "$tmp/qk.html" "$tmp/qk.jsonl" 60
# Long names read whole: subjects as bar labels, a 100-character model name
# in the key cut in its middle (whole in the tooltip).
grep -q '</title>Energy science and technology</text>' "$tmp/qc.html" ||
  { echo "FAIL: a subject label is not shown whole"; exit 1; }
long="a model named at length, a model named at length, a model named at length, a model named at length, "
grep -q "<span title=\"$long\"><i [^>]*></i>a model named at length, a m… named at length, a model named at length, </span>" "$tmp/qk.html" ||
  { echo "FAIL: a long model name in the key is not cut in its middle"; exit 1; }
"$cli" qa caption -q --model-field kind --records "$tmp/qn.jsonl" --report "$tmp/qn.html" \
  "$data/caption/captions.jsonl"
$check "$tmp/qn.html" "$tmp/qn.jsonl" 60 --model-field kind
for i in 0 1 2; do
  "$cli" qa choice -q --shard $i/3 --save-state "$tmp/qc$i.state" "$tmp/choice.jsonl"
  "$cli" qa caption -q --shard $i/3 --save-state "$tmp/qk$i.state" "$tmp/captions.jsonl"
done
"$cli" report --output "$tmp/qcs.html" "$tmp/qc2.state" "$tmp/qc0.state" "$tmp/qc1.state"
$check --same "$tmp/qc.html" "$tmp/qcs.html"
"$cli" report --output "$tmp/qks.html" "$tmp/qk1.state" "$tmp/qk2.state" "$tmp/qk0.state"
$check --same "$tmp/qk.html" "$tmp/qks.html"

# Text from the inputs is escaped: an id and a message with markup; a 5000-byte
# id (of a record that does not read) is cut to 300 bytes on the page.
long=$(python3 -c 'print("\u00e9" * 2500)')
printf 'material_id,cif\n"<b>x</b>&amp","data_<i>y\n_cell_length_a 3\n"\n%s,data_z\n<!--<script>,data_w\n' \
  "$long" > "$tmp/markup.csv"
"$cli" validate -q --records "$tmp/m.jsonl" --report "$tmp/m.html" "$tmp/markup.csv" \
  "$src/structures" || true
grep -q '&lt;b&gt;x&lt;/b&gt;&amp;amp' "$tmp/m.html" || { echo "FAIL: the id is not escaped"; exit 1; }
if grep -q '<b>x</b>\|<i>y' "$tmp/m.html"; then echo "FAIL: markup from an input reached the page"; exit 1; fi
$check "$tmp/m.html" "$tmp/m.jsonl" 20
test "$(grep -c '<script' "$tmp/m.html")" = 1 || { echo "FAIL: an id opened a script"; exit 1; }
test "$(wc -c < "$tmp/m.html")" -lt 40000 || { echo "FAIL: a long id made the page large"; exit 1; }

# A plugin's acc_report failing, another's figure malformed: both named on
# the page and on stderr, the run exits 0 and the rest is drawn.
"$cli" validate -q --plugin-dir "$badfig" --records "$tmp/b.jsonl" --report "$tmp/b.html" \
  "$src/structures" 2>"$tmp/err"
grep -q "plugin badfig_error could not give its figures: badfig: deliberately no figures" "$tmp/err" ||
  { cat "$tmp/err"; echo "FAIL: the failing acc_report is not on stderr"; exit 1; }
grep -q "plugin badfig_shape: figure bad_edges not drawn: edges are not increasing" "$tmp/err" ||
  { cat "$tmp/err"; echo "FAIL: the malformed figure is not on stderr"; exit 1; }
grep -q '<section id="problems">' "$tmp/b.html" &&
  grep -q '<p class="problem">plugin <code>badfig_error</code> could not give its figures: badfig: deliberately' "$tmp/b.html" ||
  { echo "FAIL: the failing acc_report is not on the page"; exit 1; }
grep -q 'id="fig-badfig_shape-records"' "$tmp/b.html" || { echo "FAIL: the good figure is missing"; exit 1; }
if grep -q 'id="fig-badfig_shape-bad_edges"' "$tmp/b.html"; then echo "FAIL: a malformed figure was drawn"; exit 1; fi
$check "$tmp/b.html" "$tmp/b.jsonl" 20 --allow-plugin-errors

# A report that cannot be written: exit 1, the path and why.
if "$cli" validate -q --report "$tmp/no/such/dir/r.html" "$src/structures" 2>"$tmp/err"; then
  echo "FAIL: an unwritable report exited 0"; exit 1
fi
grep -q "cannot write the report to $tmp/no/such/dir/r.html: No such file" "$tmp/err" ||
  { cat "$tmp/err"; echo "FAIL: no path and reason"; exit 1; }
if [ -w /dev/full ]; then
  if "$cli" validate -q --report /dev/full "$src/structures" 2>"$tmp/err"; then
    echo "FAIL: a full disk exited 0"; exit 1
  fi
  grep -q "cannot write the report to /dev/full" "$tmp/err" || { cat "$tmp/err"; exit 1; }
fi
echo "ok: report figures (crystal and QA) agree with the records, shards, escaping, write failures"
