#!/usr/bin/env python3
"""Time the reference's validity path now, on this machine.

Usage: reference_validity.py FIXTURE.csv... [--n N]   (N: at most N rows in all; default all)

What `mmscore validate` replaces is crystal-text-llm basic_eval.py's per-row
work before fingerprints: pymatgen's CIF parse (Structure.from_str), the
rebuild from lattice parameters and fractional coordinates (Crystal's
constructor), and the structure check (distance matrix with the diagonal
lifted, minimum >= 0.5 Å, volume >= 0.1 Å^3).  SMACT's composition check is
left out because SMACT is not packaged for Debian, so this time is a little
below the reference's and a ratio against it understates ours.

Needs pymatgen 2022.11.7 (Debian python3-pymatgen; reference_python.sh
finds it).  Prints one line: rows timed, CPU seconds, wall seconds.
"""
import csv
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
from pymatgen.core import Lattice, Structure  # noqa: E402


def struct_valid(s, cutoff=0.5):
    d = s.distance_matrix
    d = d + np.diag(np.ones(d.shape[0]) * (cutoff + 10.0))
    return not (d.min() < cutoff or s.volume < 0.1)


def one(cif):
    # basic_eval leaves a row out when any step raises (parse, rebuild, a
    # degenerate cell numpy cannot reduce)
    try:
        s = Structure.from_str(cif, fmt="cif")
        if not s.is_ordered:
            return None
        lat = Lattice.from_parameters(*s.lattice.abc, *s.lattice.angles)
        s = Structure(lat, [site.specie for site in s], s.frac_coords, coords_are_cartesian=False)
        return struct_valid(s)
    except Exception:
        return None


def main():
    args = sys.argv[1:]
    n_max = None
    if "--n" in args:
        k = args.index("--n")
        n_max = int(args[k + 1])
        del args[k : k + 2]
    csv.field_size_limit(1 << 30)
    cifs = []
    for path in args:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                cifs.append(row.get("cif") or "")
                if n_max and len(cifs) >= n_max:
                    break
        if n_max and len(cifs) >= n_max:
            break
    c0, w0 = time.process_time(), time.perf_counter()
    for c in cifs:
        one(c)
    print(len(cifs), time.process_time() - c0, time.perf_counter() - w0)


if __name__ == "__main__":
    main()
