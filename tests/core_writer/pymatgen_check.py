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
from pymatgen.io.cif import CifParser, CifWriter  # noqa: E402

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


def same_token(x, y):
    fy = number(y)
    return x == y or (fy is not None and number(x) is not None and "%.8f" % fy == x)


def site_groups(rows):
    """Rows (7 tokens) grouped by site (consecutive rows at one position),
    label numbers dropped: pymatgen sorts the species of a disordered site,
    we keep the structure's order (docs/convert.md)."""
    groups = []
    for r in rows:
        key = tuple(r[3:6])
        row = (r[0], r[1].rstrip("0123456789")) + tuple(r[2:])
        if groups and groups[-1][0] == key:
            groups[-1][1].append(row)
        else:
            groups.append((key, [row]))
    return groups


def same_layout(ref, ours):
    a, b = tokens(ref), tokens(ours)
    if len(a) != len(b):
        return f"{len(a)} tokens in pymatgen's, {len(b)} in ours"
    head = max(i for i, t in enumerate(a) if t == "_atom_site_occupancy") + 1
    for i in range(head):
        if not same_token(a[i], b[i]):
            return f"token {i}: pymatgen {a[i]!r}, ours {b[i]!r}"
    ra = [a[i:i + 7] for i in range(head, len(a), 7)]
    rb = [b[i:i + 7] for i in range(head, len(b), 7)]
    ga, gb = site_groups(ra), site_groups(rb)
    if len(ga) != len(gb):
        return "sites grouped differently"
    for (_, x), (_, y) in zip(ga, gb):
        unmatched = list(y)
        for row in x:
            hit = next((r for r in unmatched if all(same_token(p, q) for p, q in zip(row, r))),
                       None)
            if hit is None:
                return f"site row {row} not in ours"
            unmatched.remove(hit)
    return None


def same_structure(s1, s2):
    if len(s1) != len(s2):
        return f"{len(s1)} sites became {len(s2)}"
    p1, p2 = s1.lattice.parameters, s2.lattice.parameters
    for u, v in zip(p1, p2):
        if abs(u - v) > 1e-9 * max(1.0, abs(u)):
            return f"lattice {p1} became {p2}"
    def same(x, y):
        d = abs(x.frac_coords - y.frac_coords)
        return x.species == y.species and not (abs(d - d.round()) > 1e-9).any()

    for i, (x, y) in enumerate(zip(s1, s2)):
        if not same(x, y):
            # pymatgen's own site sort is not idempotent with NaN
            # electronegativities: a permutation of exact sites is reported apart
            left = list(s2)
            for u in s1:
                hit = next((k for k, v in enumerate(left) if same(u, v)), None)
                if hit is None:
                    return f"site {i}: {x.species} {x.frac_coords} became {y.species} {y.frac_coords}"
                left.pop(hit)
            return "permuted"
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
    n = layout_ok = reread_ok = permuted = skipped = 0
    shown = 0
    blocks_seen = {}
    for r in recs:
        if not r.get("written"):
            continue
        if rows is not None:
            orig, block = rows[r["index"]], 0
        else:  # a corpus file: the k-th record of a file is its k-th block
            orig = open(r["source"], errors="replace").read()
            block = blocks_seen.get(r["source"], 0)
        blocks_seen[r["source"]] = block + 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s1 = CifParser.from_string(orig).get_structures(primitive=False)[block]
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
        elif why == "permuted":
            permuted += 1
        elif shown < 10:
            shown += 1
            print(f"  re-read {r['id']}: {why}")
    print(f"{os.path.basename(sys.argv[2])}: {n} structures (+{skipped} pymatgen cannot read): "
          f"layout = CifWriter {layout_ok}, pymatgen re-reads the same structure {reread_ok} "
          f"(+{permuted} with the sites permuted by its own sort)")


main()
