"""pymatgen 2022.11.7 reference for tests/bench/sun.sh: MatterGen's rules
(greedy uniqueness within reduced-formula groups, novelty against the
training rows of the same reduced formula, fit(new, earlier_or_train)) on
GEN.csv against TRAIN.csv.  Prints JSON: counts, per-row verdicts and the
CPU seconds of matching (CIF parsing excluded, as on mmscore's side it is
not separable: mmscore's time includes it).
Usage: python3 sun_pymatgen.py GEN.csv TRAIN.csv"""
import csv
import json
import sys
import time
import warnings

from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Structure

warnings.filterwarnings("ignore")
csv.field_size_limit(1 << 30)


def load(path):
    with open(path, newline="") as f:
        return [(r["id"], Structure.from_str(r["cif"], fmt="cif", primitive=False)) for r in csv.DictReader(f)]


gen, train = load(sys.argv[1]), load(sys.argv[2])
sm = StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5, primitive_cell=True, scale=True,
                      attempt_supercell=False, allow_subset=False)
t0 = time.process_time()
by_formula = {}
for i, (_, s) in enumerate(train):
    by_formula.setdefault(s.composition.reduced_formula, []).append(i)
reps, rows = {}, []
for i, (gid, s) in enumerate(gen):
    f = s.composition.reduced_formula
    dup = next((j for j in reps.get(f, []) if sm.fit(s, gen[j][1])), None)
    if dup is None:
        reps.setdefault(f, []).append(i)
    ref = next((k for k in by_formula.get(f, []) if sm.fit(s, train[k][1])), None)
    rows.append({"id": gid, "unique": dup is None, "dup_of": dup, "novel": ref is None,
                 "match_ref_id": None if ref is None else train[ref][0]})
secs = time.process_time() - t0
print(json.dumps({"n": len(gen), "n_unique": sum(r["unique"] for r in rows),
                  "n_novel": sum(r["novel"] for r in rows), "cpu_s": secs, "rows": rows}))
