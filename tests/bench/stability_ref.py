"""Times pymatgen 2022.11.7's PhaseDiagram on the stability queries, as the
fixture's reference values were made: one PhaseDiagram per chemical system
(from the hull entries whose elements are a subset, cached per system), then
get_decomp_and_e_above_hull(allow_negative=True) per query.  Reading the
files is not timed.  Prints "TIME seconds" and "CPU seconds" (process CPU time; the fastest of
--repeat N runs, each from an empty cache) and, with --print, one
e_above_hull per query (for the agreement check in stability.sh).

usage: stability_ref.py HULL_REF.csv QUERIES.tsv [--print] [--repeat N]"""
import csv
import sys
import time
import warnings

from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

warnings.filterwarnings("ignore")


def main():
    ref_path, query_path = sys.argv[1], sys.argv[2]
    with open(ref_path, newline="") as f:
        entries = [PDEntry(Composition(r["formula"]), float(r["energy"])) for r in csv.DictReader(f)]
    spaces = [frozenset(e.composition.elements) for e in entries]
    queries = []
    with open(query_path) as f:
        for line in f:
            formula, energy = line.rstrip("\n").split("\t")
            queries.append(PDEntry(Composition(formula), float(energy)))
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    elapsed = cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        cache = {}
        out = []
        for q in queries:
            space = frozenset(q.composition.elements)
            pd = cache.get(space)
            if pd is None:
                pd = PhaseDiagram([e for e, s in zip(entries, spaces) if s <= space])
                cache[space] = pd
            out.append(pd.get_decomp_and_e_above_hull(q, allow_negative=True)[1])
        elapsed = min(elapsed, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    if "--print" in sys.argv[3:]:
        for x in out:
            print(repr(x))
    print(f"TIME {elapsed:.6f}")
    print(f"CPU {cpu:.6f}")
    print(f"pymatgen: {len(queries)} queries, {len(cache)} systems, hulls+queries {elapsed:.4f} s "
          f"(fastest of {repeat})", file=sys.stderr)


if __name__ == "__main__":
    main()
