"""Our CIFs against pymatgen 2022.11.7 (run by roundtrip_full.sh).

For every structure of the fixture inputs, written by `mmscore convert --to
cif` (records file gives the written path per input row):
  layout:  pymatgen reads the original CIF and writes it with CifWriter; our
           file must have the same tokens, numbers equal once ours is rounded
           to CifWriter's 8 decimals.
  re-read: pymatgen reads our file and gets the structure it gets from the
           original (species, oxidation states, occupancies, fractional
           coordinates and lattice parameters within 1e-9).
usage: pymatgen_check.py RECORDS.jsonl ORIGINAL.csv|DIR
"""
import csv
import json
import os
import re
import sys
import warnings

warnings.filterwarnings("ignore")
from pymatgen.core import Structure  # noqa: E402
from pymatgen.io.cif import CifWriter  # noqa: E402

TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|\S+")


def tokens(text):
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        out.extend(TOKEN.findall(line))
    return out


def number(t):
    try:
        return float(t)
    except ValueError:
        return None


def same_layout(ref, ours):
    a, b = tokens(ref), tokens(ours)
    if len(a) != len(b):
        return f"{len(a)} tokens in pymatgen's, {len(b)} in ours"
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        fy = number(y)
        if fy is not None and number(x) is not None and "%.8f" % fy == x:
            continue
        return f"token {i}: pymatgen {x!r}, ours {y!r}"
    return None


def same_structure(s1, s2):
    if len(s1) != len(s2):
        return f"{len(s1)} sites became {len(s2)}"
    p1, p2 = s1.lattice.parameters, s2.lattice.parameters
    for u, v in zip(p1, p2):
        if abs(u - v) > 1e-9 * max(1.0, abs(u)):
            return f"lattice {p1} became {p2}"
    for i, (x, y) in enumerate(zip(s1, s2)):
        if x.species != y.species:
            return f"site {i}: {x.species} became {y.species}"
        d = abs(x.frac_coords - y.frac_coords)
        if (abs(d - d.round()) > 1e-9).any():
            return f"site {i}: {x.frac_coords} became {y.frac_coords}"
    return None


def originals(path):
    """Original CIF text per record index."""
    if os.path.isdir(path):
        return None
    csv.field_size_limit(1 << 30)
    return [row["cif"] for row in csv.DictReader(open(path, newline=""))]


def main():
    recs = [json.loads(line) for line in open(sys.argv[1])]
    rows = originals(sys.argv[2])
    n = layout_ok = reread_ok = skipped = 0
    shown = 0
    for r in recs:
        if not r.get("written"):
            continue
        orig = rows[r["index"]] if rows is not None else open(r["source"]).read()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s1 = Structure.from_str(orig, fmt="cif")
                ref = str(CifWriter(s1))
        except Exception:  # pymatgen cannot read it: nothing to compare
            skipped += 1
            continue
        n += 1
        ours = open(r["written"]).read()
        why = same_layout(ref, ours)
        if why is None:
            layout_ok += 1
        elif shown < 10:
            shown += 1
            print(f"  layout {r['id']}: {why}")
        try:
            s2 = Structure.from_str(ours, fmt="cif")
            why = same_structure(s1, s2)
        except Exception as e:  # noqa: BLE001
            why = f"pymatgen cannot read ours: {e}"
        if why is None:
            reread_ok += 1
        elif shown < 10:
            shown += 1
            print(f"  re-read {r['id']}: {why}")
    print(f"{os.path.basename(sys.argv[2])}: {n} structures (+{skipped} pymatgen cannot read): "
          f"layout = CifWriter {layout_ok}, pymatgen re-reads the same structure {reread_ok}")


main()
