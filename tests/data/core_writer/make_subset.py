"""Rebuild this folder from ../shared/fixtures/crystals (see SOURCE.md).
Run with a Python that has pymatgen 2022.11.7 (Debian's /usr/bin/python3)."""
import csv
import shutil
import warnings

warnings.filterwarnings("ignore")
from pymatgen.core import Structure  # noqa: E402
from pymatgen.io.cif import CifWriter  # noqa: E402

F = "/work/shared/fixtures/crystals/"
csv.field_size_limit(1 << 30)


def rows(name):
    return list(csv.DictReader(open(F + name + ".csv", newline="")))


out = []
for name in ("perov_5_test", "carbon_24_test", "llama2_7b_metastable"):
    for i, r in enumerate(rows(name)[:20]):
        out.append((f"{name}:{i}", name, r["cif"]))
# perturbed: partial occupancy and charged species (first 6 of each), a flat
# cell (P-00460) and a NaN-electronegativity site order (P-02728)
pert = rows("perturbed")
picked = {"partial": 0, "oxi": 0}
for r in pert:
    for key in picked:
        if key in r["transform"] and picked[key] < 6:
            picked[key] += 1
            out.append((r["id"], "perturbed " + r["transform"], r["cif"]))
            break
    if r["id"] in ("P-00460", "P-02728"):
        out.append((r["id"], "perturbed " + r["transform"], r["cif"]))
with open("structures.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "origin", "cif"])
    w.writerows(out)

CORPUS = ["Cod_2100513", "site_type_symbol_test", "srycoo", "Li2O", "Fe",
          "cif_finite_precision_frac_coord_error", "Fe3O4", "La2CoO4", "CuCl", "hex_1170",
          "Co8", "CsSnI3"]
for c in CORPUS:
    shutil.copy(F + "cif_corpus/" + c + ".cif", "corpus/")

# What pymatgen's CifWriter writes for structures pymatgen read.
layout = {"llama2_0": rows("llama2_7b_metastable")[0]["cif"],
          "llama2_1": rows("llama2_7b_metastable")[1]["cif"],
          "perov_0": rows("perov_5_test")[0]["cif"],
          "carbon_0": rows("carbon_24_test")[0]["cif"],
          "oxi_0": open(F + "cif_corpus/Li2O.cif").read()}
for k, text in layout.items():
    s = Structure.from_str(text, fmt="cif")
    CifWriter(s).write_file(f"pymatgen/{k}.cif")
