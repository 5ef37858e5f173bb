"""Make tests/data/match/groups_subset.{csv,json}: rows 0-99 (LLaMA-2) and
600-799 (carbon_24) of ../shared/fixtures/matching/groups_llama2_7b_carbon24.csv
grouped by pymatgen 2022.11.7's StructureMatcher (Debian python3-pymatgen),
reference format of that folder (group_of_row numbered by first member)."""
import csv, json, sys, time, warnings
warnings.filterwarnings("ignore")
from pymatgen.core import Structure
from pymatgen.analysis.structure_matcher import StructureMatcher

src, out = sys.argv[1], sys.argv[2]
csv.field_size_limit(1 << 30)
rows = list(csv.DictReader(open(src, newline="")))
rows = rows[0:100] + rows[600:800]
with open(out + ".csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
structs = [Structure.from_str(r["cif"], fmt="cif") for r in rows]
res = {"source": "rows 0-99 and 600-799 of shared/fixtures/matching/groups_llama2_7b_carbon24.csv",
       "presets": {}}
for name, m in (("default", StructureMatcher()), ("cdvae", StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3))):
    t = time.time()
    groups = m.group_structures(structs)
    secs = time.time() - t
    first = {}
    for g in groups:
        idx = sorted(next(i for i, s in enumerate(structs) if s is x) for x in g)
        for i in idx:
            first[i] = idx[0]
    order = sorted(set(first.values()))
    num = {f: k for k, f in enumerate(order)}
    res["presets"][name] = {"n_unique": len(groups), "seconds": secs,
                            "group_of_row": [num[first[i]] for i in range(len(structs))]}
json.dump(res, open(out + ".json", "w"))
print({k: v["n_unique"] for k, v in res["presets"].items()})
