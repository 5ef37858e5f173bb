#!/usr/bin/python3
"""CIFs that state real space groups, for checking the space-group diagnostics
on files they were not designed on (docs/diagnostics.md).

    /usr/bin/python3 tests/symmetry/symmetrized_cifs.py IN.csv OUT.csv [EVERY]

For every EVERY-th row (default 10) of a fixture CSV with a `cif` column,
pymatgen 2022.11.7's CifWriter writes the structure symmetrized at symprec
0.01 and at 0.1 (the stated group and its operations are spglib's at that
tolerance), and the 0.1 file once more with its symmetry-operation loop cut
to the identity while the symbol stays: a file stating a group its atoms
(the asymmetric unit alone) do not have, as a language model may write it.
OUT.csv has columns id, variant (`symprec_0.01`, `symprec_0.1`,
`identity_only`), cif.  Run `mmscore validate --symmetry` on it: with the
default symprec 0.1, the first two variants should give no MMS202 and the
third (rows stating more than P1) should.
"""
import csv
import re
import sys
import warnings

from pymatgen.core import Structure
from pymatgen.io.cif import CifWriter


def identity_only(cif):
    """The operation loop of CifWriter's output with only its first row, x, y, z."""
    lines, out, in_ops = cif.splitlines(), [], False
    for line in lines:
        if line.strip().startswith("_symmetry_equiv_pos_as_xyz"):
            in_ops, kept = True, False
            out.append(line)
            continue
        if in_ops:
            if re.match(r"\s*\d+\s+'", line):
                if not kept:
                    out.append(line)
                    kept = True
                continue
            in_ops = False
        out.append(line)
    return "\n".join(out) + "\n"


def main(argv):
    warnings.filterwarnings("ignore")
    csv.field_size_limit(10**9)
    every = int(argv[3]) if len(argv) > 3 else 10
    n = 0
    with open(argv[1], newline="") as f, open(argv[2], "w", newline="") as g:
        out = csv.writer(g)
        out.writerow(["id", "variant", "cif"])
        for i, row in enumerate(csv.DictReader(f)):
            if i % every:
                continue
            try:
                s = Structure.from_str(row["cif"], fmt="cif")
                loose = str(CifWriter(s, symprec=0.1))
                out.writerow([i, "symprec_0.01", str(CifWriter(s, symprec=0.01))])
            except Exception:  # pymatgen cannot read or symmetrize it: not a test case
                continue
            out.writerow([i, "symprec_0.1", loose])
            if "'P 1'" not in loose and "P1\n" not in loose:
                out.writerow([i, "identity_only", identity_only(loose)])
            n += 1
    print("%d structures written" % n, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
