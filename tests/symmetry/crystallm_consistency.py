#!/usr/bin/python3
"""CrystaLLM's three consistency functions (crystallm/_metrics.py, restated)
run with pymatgen 2022.11.7 (Debian python3-pymatgen) on the first N rows of a
fixture CSV, compared with mmscore's records of the same CSV:

  mmscore validate -q -j 1 --records R.jsonl perturbed.csv
  /usr/bin/python3 tests/symmetry/crystallm_consistency.py perturbed.csv R.jsonl N

Prints {check: [agree, compared, crystallm raised]} and the first
disagreements.  Rows whose CIF the reader refuses have no mmscore values
(CrystaLLM's tag checks still run on them): they show as disagreements."""
import csv, json, re, sys, warnings
warnings.simplefilter("ignore")
from pymatgen.core import Composition, Structure
from pymatgen.io.cif import CifParser
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
csv.field_size_limit(1<<30)
def data_formula(c):
    m = re.search(r"data_([A-Za-z0-9]+)\n", c)
    if m: return m.group(1)
    raise Exception("no data_")
def formula_ok(c):
    p = CifParser.from_string(c); d = p.as_dict(); k = list(d.keys())[0]
    return Composition(data_formula(c)).reduced_formula == Composition(d[k]["_chemical_formula_sum"]).reduced_formula == Composition(d[k]["_chemical_formula_structural"]).reduced_formula
def mult_ok(c):
    p = CifParser.from_string(c); d = p.as_dict(); k = list(d.keys())[0]
    exp = Composition(d[k]["_chemical_formula_sum"]).as_dict(); act = {}
    for key in d:
        if "_atom_site_type_symbol" in d[key] and "_atom_site_symmetry_multiplicity" in d[key]:
            for t, m in zip(d[key]["_atom_site_type_symbol"], d[key]["_atom_site_symmetry_multiplicity"]):
                act[t] = act.get(t, 0) + int(m)
    return exp == act
def sg_ok(c):
    s = Structure.from_str(c, fmt="cif"); p = CifParser.from_string(c); d = p.as_dict()
    st = d[list(d.keys())[0]]['_symmetry_space_group_name_H-M']
    return st.strip() == SpacegroupAnalyzer(s, symprec=0.1).get_space_group_symbol().strip()
rows = list(csv.DictReader(open(sys.argv[1])))[: int(sys.argv[3])]
ours = [json.loads(l) for l in open(sys.argv[2])]
stats = {}
for i, row in enumerate(rows):
    o = ours[i]
    for name, f, key in (("formula", formula_ok, "formula_consistent"), ("multiplicity", mult_ok, "multiplicity_consistent"), ("sg", sg_ok, "sg_consistent")):
        try: want = bool(f(row["cif"]))
        except Exception as e: want = None
        got = o.get(key)
        st = stats.setdefault(name, [0, 0, 0])
        if want is None: st[2] += 1; continue
        st[1] += 1
        if got == want: st[0] += 1
        elif st[1] - st[0] <= 3:
            print(name, i, "ours", got, "crystallm", want)
print(stats)
