#!/usr/bin/env python3
"""Write the seed pieces of tests/fuzz/corpus/ that are not already files in
the tree (see corpus/SOURCE.md).  Run from the repository root; reads
tests/data and, for the QA seeds, ../shared/fixtures/qa when it exists."""
import csv
import io
import json
import os
import sys

root = os.getcwd()
out = os.path.join(root, "tests", "fuzz", "corpus")
fixtures = os.path.join(root, "..", "shared", "fixtures")


def write(kind, name, data):
    d = os.path.join(out, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def jsonl(path, n):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()][:n]


def qa(name, fallback):
    p = os.path.join(fixtures, "qa", name)
    return p if os.path.exists(p) else os.path.join(root, "tests", "data", fallback)


# choice: one record per file, as a JSONL line is handed to the plugin.
for i, rec in enumerate(jsonl(qa("choice.jsonl", "choice/subset.jsonl"), 24)):
    write("choice", "rec%02d.json" % i, json.dumps(rec, ensure_ascii=False))
    write("choice", "out%02d.txt" % i, rec.get("raw_output", ""))

# caption: candidate on the first line, references on the next ones.
for i, rec in enumerate(jsonl(qa("captions.jsonl", "caption/captions.jsonl"), 20)):
    refs = rec["references"] if isinstance(rec["references"], list) else [rec["references"]]
    write("caption", "pair%02d.txt" % i, "\n".join([rec["candidate"]] + refs[:4]) + "\n")

# input: the first records of the reader test CSVs (already subsets of the
# fixtures), as CSV and as JSONL.
for name in ("perov_5_test.csv", "llama2_7b_metastable.csv", "perturbed.csv"):
    with open(os.path.join(root, "tests", "data", "readers", name), newline="",
              encoding="utf-8") as f:
        rows = list(csv.reader(f))[:3]
    stem = name[:-4]
    # The header and two rows, cut at a record boundary by the csv module.
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    write("input", stem + "_head.csv", buf.getvalue())
    hdr = rows[0]
    lines = [json.dumps(dict(zip(hdr, r))) for r in rows[1:]]
    write("input", stem + "_head.jsonl", "\n".join(lines) + "\n")
print("wrote", out, file=sys.stderr)
