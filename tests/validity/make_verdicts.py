#!/usr/bin/env python3
"""Write tests/data/validity/verdicts.tsv: the reference's per-row verdicts of two
fixture files, to drive the validity plugin's accumulator without the readers.

Usage: make_verdicts.py FIXTURES_CRYSTALS_DIR OUT_TSV
One line per input row of perov_5_val.ref.jsonl (tag V) and perturbed.ref.jsonl
(tag P): tag, row, parse_ok, crystal_ok, ordered, struct_valid, comp_valid, as
1/0, and "-" where the reference has no value (row not built, or timeout).
"""
import json
import os
import sys


def flag(x):
    return "-" if x is None else str(int(bool(x)))


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(out, "w") as f:
        for tag, name in (("V", "perov_5_val.ref.jsonl"), ("P", "perturbed.ref.jsonl")):
            for line in open(os.path.join(src, name)):
                r = json.loads(line)
                f.write("\t".join([tag, str(r["row"]), flag(r["parse_ok"]),
                                   flag(r.get("crystal_ok")), flag(r.get("parsed_is_ordered")),
                                   flag(r.get("struct_valid")), flag(r.get("comp_valid"))]) + "\n")


if __name__ == "__main__":
    main()
