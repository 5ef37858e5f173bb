"""pymatgen 2022.11.7 StructureMatcher timed on the pairs match_bench times:
fit(a, b) and get_rms_dist(a, b) per preset, CIF parsing excluded.
Usage: python3 match_pymatgen.py PAIRS.jsonl MAX_PAIRS  (prints one JSON line)"""
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")
from pymatgen.analysis.structure_matcher import ElementComparator, StructureMatcher  # noqa: E402
from pymatgen.core import Structure  # noqa: E402

path, maxp = sys.argv[1], int(sys.argv[2])
pairs = []
with open(path) as f:
    for line in f:
        if len(pairs) >= maxp:
            break
        d = json.loads(line)
        pairs.append((Structure.from_str(d["cif_a"], fmt="cif"), Structure.from_str(d["cif_b"], fmt="cif")))
presets = {
    "default": StructureMatcher(),
    "cdvae": StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3),
    "supercell": StructureMatcher(attempt_supercell=True, comparator=ElementComparator()),
}
out = {"pairs": len(pairs)}
for name, m in presets.items():
    t0 = time.process_time()
    fits = sum(bool(m.fit(a, b)) for a, b in pairs)
    t1 = time.process_time()
    for a, b in pairs:
        m.get_rms_dist(a, b)
    t2 = time.process_time()
    out[name] = {"fit_s": t1 - t0, "rms_s": t2 - t1, "n_fit": fits}
print(json.dumps(out))
