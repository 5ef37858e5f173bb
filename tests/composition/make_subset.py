#!/usr/bin/env python3
"""Write tests/data/composition/smact_rows.tsv from ../shared/fixtures/crystals.

One line per distinct (elements, counts) among the rows basic_eval built a
Crystal for (crystal_ok), keeping: every comp-invalid composition, every one
with an element whose SMACT electronegativity is missing or that has no
oxidation states (He Ne Ar Kr Xe Rn Pm), Zr, lanthanides and actinides, six
or more elements, single elements, all-metal ones, P-00337 (the reference's
timeout); plus a seeded random 600 of the rest.  Columns: fixture file,
row id, element symbols, counts (space-separated), comp_valid,
comp_valid_zr_eneg_0p33 ("null" where the reference has none).

Usage: make_subset.py FIXTURES_CRYSTALS_DIR OUT_TSV
"""
import glob
import json
import os
import random
import re
import sys

SPECIAL = {"He", "Ne", "Ar", "Kr", "Xe", "Rn", "Pm", "Zr"}
LANTHANIDES_ACTINIDES = set(
    "La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr"
    .split())


def smact_metals():
    # The is_metal column of the plugin's generated table (smact.metals).
    path = os.path.join(os.path.dirname(__file__), "../../plugins/composition/smact_tables.c")
    found = re.findall(r'\{"(\w+)", \d, [-\d.e]+, (\d),', open(path).read())
    return {sym for sym, metal in found if metal == "1"}


METALS = smact_metals()


def interesting(r):
    els = set(r["elements"])
    return (r["comp_valid"] is not True or els & SPECIAL or els & LANTHANIDES_ACTINIDES
            or len(els) >= 6 or len(els) == 1 or els <= METALS)


def main():
    src, out = sys.argv[1], sys.argv[2]
    seen, keep, rest = set(), [], []
    for path in sorted(glob.glob(os.path.join(src, "*.ref.jsonl"))):
        for line in open(path):
            r = json.loads(line)
            if not r.get("crystal_ok"):
                continue
            key = (tuple(r["elements"]), tuple(r["counts"]))
            if key in seen:
                continue
            seen.add(key)
            rid = r.get("id") or r.get("material_id") or r.get("file") or str(r["row"])
            row = (os.path.basename(path), str(rid), " ".join(r["elements"]),
                   " ".join(str(c) for c in r["counts"]),
                   json.dumps(r["comp_valid"]), json.dumps(r["comp_valid_zr_eneg_0p33"]))
            (keep if interesting(r) else rest).append(row)
    random.Random(3).shuffle(rest)
    rows = keep + rest[:600]
    with open(out, "w") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    print(f"{len(rows)} rows ({len(keep)} selected, {min(600, len(rest))} random)")


if __name__ == "__main__":
    main()
