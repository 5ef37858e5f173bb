#!/usr/bin/python3
"""Reference values for bond_length_score: CrystaLLM's
bond_length_reasonableness_score (crystallm/_metrics.py), restated here as
data flow rather than imported, with the neighbours of pymatgen 2022.11.7's
CrystalNN() at its defaults, exactly as CrystaLLM calls it.  Needs Debian's
python3-pymatgen (/usr/bin/python3).

  bond_reference_cnn.py SUBSET.jsonl [MAX_SITES] > OUT.jsonl   (records {"cif": ...})

Cells of more than MAX_SITES sites (default 32) and flat cells (volume
< 1 A^3) are skipped to keep the run short; the row says so."""
import json, sys, warnings

from pymatgen.analysis.local_env import CrystalNN
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


max_sites = int(sys.argv[2]) if len(sys.argv) > 2 else 32
for line in open(sys.argv[1]):
    rec = json.loads(line)
    out = {"source": rec.get("source"), "row": rec.get("row")}
    try:
        s = Structure.from_str(rec["cif"], fmt="cif")
    except Exception as e:  # noqa: BLE001 - reference tool: record and go on
        out["error"] = repr(e)
        print(json.dumps(out), flush=True)
        continue
    if s.volume < 1.0 or len(s) > max_sites:
        out["skipped"] = "volume < 1 or more than %d sites" % max_sites
        print(json.dumps(out), flush=True)
        continue
    if any(getattr(sp, "oxi_state", None) for sp in s.composition):
        # CrystalNN would use ionic radii from the oxidation states, which
        # mmscore's structure model does not carry
        out["skipped"] = "oxidation states given"
        print(json.dumps(out), flush=True)
        continue
    try:
        out["crystalnn"] = float(score(s, CrystalNN()))
    except Exception as e:  # noqa: BLE001
        out["crystalnn"] = None
        out["crystalnn_error"] = repr(e)
    print(json.dumps(out), flush=True)
