#!/usr/bin/python3
"""Space groups given by symbol or number only (no listed operations): mmscore vs pymatgen.

    /usr/bin/python3 tests/core_cif/spacegroup_parity.py BUILD_DIR

Writes one-atom CIFs at special and general positions into a temporary folder: every IT number
(_symmetry_Int_Tables_number), every group's symbol as pymatgen writes it, plain and suffixed
symbols (":1", ":2", "H", ":R"...) of the groups with two origins or rhombohedral axes, and
old-style glide symbols ("C m c a", "C c c b"...), then runs pymatgen_parity.py on them."""
import os, subprocess, sys, tempfile, warnings

warnings.filterwarnings("ignore")
from pymatgen.symmetry.groups import SpaceGroup

PTS = [(0, 0, 0), (0.25, 0.25, 0.25), (0.5, 0, 0), (0.1, 0.2, 0.3), (0.125, 0.125, 0.125),
       (1 / 3, 2 / 3, 0.25), (0, 0, 0.25)]
ORIGIN = [48, 50, 59, 68, 70, 85, 86, 88, 125, 126, 129, 130, 133, 134, 137, 138, 141, 142,
          201, 203, 222, 224, 227, 228]
RHOMB = [146, 148, 155, 160, 161, 166, 167]
OLD = ["C m m b", "A b m m", "A c m m", "B m c m", "B m a m", "C c c b", "A b a a", "A c a a",
       "B b a b", "C m c a", "C m m a", "C c c a", "A b m 2", "A b a 2", "B m a b", "C c m b",
       "A b m a", "B b c m", "C 2 c b", "C m c e", "A e a 2", "Aba2", "Abm2", "Ccca", "Cmma"]


def cell(n, rhombohedral_axes=False):
    if rhombohedral_axes:
        return (5, 5, 5, 80, 80, 80)
    sg = SpaceGroup.from_int_number(n)
    system = sg.crystal_system
    if system in ("hexagonal", "trigonal"):
        return (5, 5, 7, 90, 90, 120)
    if system == "cubic":
        return (5, 5, 5, 90, 90, 90)
    if system == "tetragonal":
        return (5, 5, 7, 90, 90, 90)
    return (5, 6, 7, 90, 100 if system == "monoclinic" else 90, 90)


def cif(cellp, tag, value, xyz):
    a, b, c, al, be, ga = cellp
    return (f"data_t\n_cell_length_a {a}\n_cell_length_b {b}\n_cell_length_c {c}\n"
            f"_cell_angle_alpha {al}\n_cell_angle_beta {be}\n_cell_angle_gamma {ga}\n"
            f"{tag} {value}\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
            f"_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
            f"C1 C {xyz[0]} {xyz[1]} {xyz[2]}\n")


cases = []
for n in range(1, 231):
    for p in PTS:
        cases.append(cif(cell(n), "_symmetry_Int_Tables_number", n, p))
        cases.append(cif(cell(n), "_symmetry_space_group_name_H-M",
                         f"'{SpaceGroup.from_int_number(n).symbol}'", p))
for n in ORIGIN + RHOMB:
    base = SpaceGroup.from_int_number(n).symbol.rstrip("12HR").replace("_", "")
    sufs = ["", ":H", ":R", "H", "R", " :R"] if n in RHOMB else ["", ":1", ":2", " :2", "1", "2"]
    for suf in sufs:
        for p in PTS:
            cases.append(cif(cell(n, n in RHOMB and "R" in suf), "_symmetry_space_group_name_H-M",
                             f"'{base}{suf}'", p))
for sym in OLD:
    for p in PTS:
        cases.append(cif((5, 6, 7, 90, 90, 90), "_symmetry_space_group_name_H-M", f"'{sym}'", p))
with tempfile.TemporaryDirectory() as d:
    files = []
    for i, text in enumerate(cases):
        files.append(os.path.join(d, f"{i}.cif"))
        with open(files[-1], "w") as f:
            f.write(text)
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([sys.executable, os.path.join(here, "pymatgen_parity.py"), sys.argv[1]] + files,
                   check=True)
