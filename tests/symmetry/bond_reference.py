#!/usr/bin/python3
"""Reference values for bond_length_score: CrystaLLM's
bond_length_reasonableness_score (crystallm/_metrics.py, restated here as
data flow, not imported) with pymatgen 2022.11.7's MinimumDistanceNN in place
of CrystalNN, and the CrystalNN value too for comparison.  Needs Debian's
python3-pymatgen (/usr/bin/python3).

  bond_reference.py SUBSET.jsonl [--crystalnn] > OUT.jsonl   (records {"cif": ...})

CrystalNN is slow (seconds per supercell): only with --crystalnn."""
import json, sys, warnings

from pymatgen.analysis.local_env import CrystalNN, MinimumDistanceNN
from pymatgen.core import Structure

warnings.simplefilter("ignore")

def score(structure, nn, tolerance=0.32, h_factor=2.5):
    good = count = 0
    for i, site in enumerate(structure):
        for info in nn.get_nn_info(structure, i):
            if info["site_index"] == i:
                continue
            other = info["site"]
            length = site.distance(other)
            hydrogen = "H" in (site.specie.symbol, other.specie.symbol)
            if abs(site.specie.X - other.specie.X) >= 1.7:
                if site.specie.X < other.specie.X:
                    expected = site.specie.average_cationic_radius + other.specie.average_anionic_radius
                else:
                    expected = site.specie.average_anionic_radius + other.specie.average_cationic_radius
            else:
                expected = site.specie.atomic_radius + other.specie.atomic_radius
            ratio = length / expected
            if hydrogen:
                good += ratio < h_factor
            else:
                good += (1 - tolerance) < ratio < (1 + tolerance)
            count += 1
    return good / count

for line in open(sys.argv[1]):
    rec = json.loads(line)
    out = {"source": rec.get("source"), "row": rec.get("row")}
    try:
        s = Structure.from_str(rec["cif"], fmt="cif")
    except Exception as e:  # noqa: BLE001 - reference tool: record and go on
        out["error"] = repr(e)
        print(json.dumps(out))
        continue
    if s.volume < 1.0 or len(s) > 64:
        # flat cells make pymatgen's 10 A neighbour search near endless;
        # mmscore does not compute these either (work limit)
        out["skipped"] = "volume < 1 or more than 64 sites"
        print(json.dumps(out))
        continue
    methods = [("mindnn", MinimumDistanceNN())]
    if "--crystalnn" in sys.argv:
        methods.append(("crystalnn", CrystalNN()))
    for key, nn in methods:
        try:
            out[key] = float(score(s, nn))
        except Exception as e:  # noqa: BLE001
            out[key] = None
            out[key + "_error"] = repr(e)
    print(json.dumps(out))
