#!/usr/bin/env python3
"""Turn fixture rows into the cells basic_eval fingerprints, one JSON per line.

Usage: make_cells.py FIXTURE.csv|DIR_OF_CIFS FIXTURE.ref.jsonl [--rows i,j,...] > cells.jsonl

Needs pymatgen 2022.11.7 (Debian python3-pymatgen), the reference's reader.
Each output line: {"id", "row", "lattice" (rows a,b,c in Å), "frac", "z",
"fp_status", "comp_fp", "struct_fp"}.  The cell is rebuilt as crystal-text-llm
basic_eval.py does (Lattice.from_parameters of the parsed lattice's
parameters, the parsed fractional coordinates and species), so a C test can
read it without a CIF parser.  Rows whose reference has no fingerprint are
written with fp_status only when --all is given.
"""
import csv
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
from pymatgen.core import Lattice, Structure  # noqa: E402


def cifs(src, refs):
    if os.path.isdir(src):
        for r in refs:
            with open(os.path.join(src, r["file"]), encoding="latin-1") as f:
                yield r["file"], f.read()
    else:
        csv.field_size_limit(1 << 30)
        with open(src, newline="") as f:
            for i, row in enumerate(csv.DictReader(f)):
                yield row.get("material_id") or row.get("id") or str(i), row["cif"]


def main():
    src, ref = sys.argv[1], sys.argv[2]
    rows = None
    keep_all = "--all" in sys.argv
    if "--rows" in sys.argv:
        rows = {int(x) for x in sys.argv[sys.argv.index("--rows") + 1].split(",")}
    refs = [json.loads(line) for line in open(ref)]
    for i, (rid, cif) in enumerate(cifs(src, refs)):
        if rows is not None and i not in rows:
            continue
        r = refs[i]
        if r.get("comp_fp") is None and not keep_all:
            continue
        try:
            s = Structure.from_str(cif, fmt="cif")
            lat = Lattice.from_parameters(*s.lattice.parameters)
            s2 = Structure(lat, s.species, s.frac_coords)
            cell = {"lattice": lat.matrix.tolist(), "frac": s2.frac_coords.tolist(),
                    "z": [sp.Z for sp in s2.species]}
        except Exception as e:  # the reference could not read it either
            cell = {"error": str(e)}
        out = {"id": rid, "row": i, **cell, "fp_status": r.get("fp_status"),
               "comp_fp": r.get("comp_fp"), "struct_fp": r.get("struct_fp")}
        print(json.dumps(out))


if __name__ == "__main__":
    main()
