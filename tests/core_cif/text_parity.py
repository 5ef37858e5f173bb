#!/usr/bin/python3
"""mms_read_text against crystal-text-llm's own path, on texts made from fixture CIFs.

    /usr/bin/python3 tests/core_cif/text_parity.py BUILD_DIR ../shared/fixtures/crystals/*.csv

Needs Debian's python3-pymatgen (2022.11.7).  For the first 700 rows of each CSV (those pymatgen reads) it writes the
text as crystal-text-llm's get_crystal_string does (random translation, lengths .1f, angles
truncated to int, coordinates .2f), reads it back the reference way (llama_sample.parse_fn,
then Structure.from_str of the CIF it writes) and with mmscore (BUILD_DIR/tests/core_cif/
read_texts), and prints how often both agree on reading, n_sites, reduced formula and volume
(relative 1e-6).  The two functions below restate the reference's logic for this comparison."""
import csv, os, subprocess, sys, tempfile, warnings

warnings.filterwarnings("ignore")
import numpy as np
from pymatgen.core import Structure
from pymatgen.core.lattice import Lattice

csv.field_size_limit(1 << 30)
np.random.seed(0)


def crystal_string(cif):
    s = Structure.from_str(cif, fmt="cif")
    s.translate_sites(indices=range(len(s)), vector=np.random.uniform(size=(3,)))
    p = s.lattice.parameters
    lines = [" ".join(f"{x:.1f}" for x in p[:3]), " ".join(str(int(x)) for x in p[3:])]
    for sp, c in zip(s.species, s.frac_coords):
        lines += [str(sp), " ".join(f"{x:.2f}" for x in c)]
    return "\n".join(lines)


def reference(text):
    lines = [x for x in text.split("\n") if len(x) > 0]
    lengths = [float(x) for x in lines[0].split(" ")]
    angles = [float(x) for x in lines[1].split(" ")]
    st = Structure(lattice=Lattice.from_parameters(*(lengths + angles)), species=lines[2::2],
                   coords=[[float(y) for y in x.split(" ")] for x in lines[3::2]])
    return Structure.from_str(st.to(fmt="cif"), fmt="cif")


build, files = sys.argv[1], sys.argv[2:]
texts, refs = [], []
for fn in files:
    for row in list(csv.DictReader(open(fn)))[:700]:
        try:
            t = crystal_string(row["cif"])
        except Exception:  # a CIF pymatgen cannot read gives no text
            continue
        texts.append(t)
        try:
            s = reference(t)
            refs.append((len(s), s.composition.reduced_formula, s.volume))
        except Exception:
            refs.append(None)
with tempfile.NamedTemporaryFile("w", delete=False) as f:
    f.write("\0".join(texts) + "\0")
out = subprocess.run([os.path.join(build, "tests/core_cif/read_texts"), f.name],
                     capture_output=True, text=True, check=True).stdout.splitlines()
os.unlink(f.name)
same = {"outcome": 0, "n_sites": 0, "formula": 0, "volume": 0}
both = 0
for ref, line in zip(refs, out):
    p = line.split(" ")
    ours_ok = p[0] == "ok"
    same["outcome"] += ours_ok == (ref is not None)
    if ours_ok and ref:
        both += 1
        same["n_sites"] += int(p[1]) == ref[0]
        same["formula"] += p[2] == ref[1]
        v = float(p[3])  # flat cells: both below 0.1 A^3 (as docs/cif-parity.md)
        same["volume"] += (v < 0.1 and ref[2] < 0.1) or abs(v - ref[2]) <= 1e-6 * abs(ref[2])
print(f"texts {len(texts)}, both read {both}: " +
      ", ".join(f"{k} {v}/{len(texts) if k == 'outcome' else both}" for k, v in same.items()))
