"""Scaled stability case from the fixture's compositions, seeded: a hull
reference of N_REF entries (the fixture's elemental rows at energy 0, then
compositions drawn from the fixture's hull entries and queries, energy per
atom = the source's formation energy per atom + N(0, 0.15) eV) and N_Q
queries (fixture query structures drawn at random, energy moved by
U(-0.3, 0.3) eV/atom), also written as OUT_QUERIES.tsv (cell formula, tab,
energy) for the kernel benchmarks.

usage: stability_gen.py FIXTURE_DIR OUT_REF.csv OUT_QUERIES.csv [N_REF N_Q SEED]"""
import csv
import json
import random
import sys

csv.field_size_limit(1 << 30)


def main():
    fixdir, out_ref, out_q = sys.argv[1:4]
    n_ref = int(sys.argv[4]) if len(sys.argv) > 4 else 150000
    n_q = int(sys.argv[5]) if len(sys.argv) > 5 else 100000
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 17)
    elems, comps = [], []
    with open(f"{fixdir}/hull_ref.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["id"].startswith("elem-"):
                elems.append((r["id"], r["formula"], r["energy"]))
            else:
                comps.append((r["formula"], float(r["energy"]) / int(r["n_atoms"]), int(r["n_atoms"])))
    with open(f"{fixdir}/queries_val.ref.jsonl") as f:
        for line in f:
            r = json.loads(line)
            comps.append((r["formula"], r["formation_energy_per_atom"], int(r["n_atoms"])))
    with open(out_ref, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "formula", "energy"])
        for row in elems:
            w.writerow(row)
        for i in range(n_ref - len(elems)):
            formula, epa, n = rng.choice(comps)
            w.writerow([f"s{i:06d}", formula, repr((epa + rng.gauss(0, 0.15)) * n)])
    rows = []
    with open(f"{fixdir}/queries_val.csv", newline="") as f:
        for r in csv.DictReader(f):
            rows.append(r)
    natoms, formula = {}, {}
    with open(f"{fixdir}/queries_val.ref.jsonl") as f:
        for line in f:
            r = json.loads(line)
            natoms[r["id"]] = int(r["n_atoms"])
            formula[r["id"]] = r["formula"]
    with open(out_q, "w", newline="") as f, open(out_q + ".tsv", "w") as t:
        w = csv.writer(f)
        w.writerow(["id", "cif", "energy"])
        for i in range(n_q):
            r = rng.choice(rows)
            e = float(r["energy"]) + rng.uniform(-0.3, 0.3) * natoms[r["id"]]
            w.writerow([f"g{i:06d}", r["cif"], repr(e)])
            t.write(f"{formula[r['id']]}\t{e!r}\n")


if __name__ == "__main__":
    main()
