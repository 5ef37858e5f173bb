"""Differential check of the stability kernel against pymatgen 2022.11.7 on
random systems built to hit the reference's corner cases: several entries per
composition (ties in energy per atom), scaled duplicates, compounds exactly on
a tie line, entries of positive formation energy, noble gases (NaN
electronegativity), diatomic and peroxide formulas, fractional amounts, and
queries equal to reference entries (the exact-zero rule).  Not part of CTest
(it needs pymatgen); run by hand:

    /usr/bin/python3 tests/stability/compare_random.py build/tests/stability/stability_bench [SEED] [N]

Prints the disagreements and a count; exits 1 on any."""
import json
import random
import subprocess
import sys
import tempfile
import warnings

from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

warnings.filterwarnings("ignore")
POOL = ["Li", "O", "H", "He", "Na", "Cl", "Fe", "N", "K"]
MU = {el: -random.Random(i).uniform(0.5, 5) for i, el in enumerate(POOL)}


def formula(d):
    return " ".join(f"{el}{amt:g}" for el, amt in d.items())


def rand_comp(rng, els):
    k = rng.randint(1, min(4, len(els)))
    chosen = rng.sample(els, k)
    if rng.random() < 0.1:
        return {el: rng.choice([0.25, 0.5, 0.75, 1.5]) for el in chosen}
    return {el: rng.randint(1, 4) for el in chosen}


def ref_epa(d):
    n = sum(d.values())
    return sum(MU[el] * a for el, a in d.items()) / n


def main():
    tool = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    nsys = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    rng = random.Random(seed)
    ref, queries = [], []
    for el in POOL:
        for j in range(rng.randint(1, 2)):
            n = rng.randint(1, 3)
            ref.append((f"elem-{el}-{j}", {el: n}, MU[el] * n + (0 if j == 0 else rng.uniform(0, 0.5))))
    for s in range(nsys):
        els = rng.sample(POOL, rng.randint(2, 4))
        made = []
        for c in range(rng.randint(1, 8)):
            d = rand_comp(rng, els)
            n = sum(d.values())
            e = (ref_epa(d) + rng.uniform(-1.0, 0.3)) * n
            if rng.random() < 0.15:  # a tie in energy per atom, another cell
                ref.append((f"s{s}c{c}dup", {k: v * 2 for k, v in d.items()}, 2 * e))
            ref.append((f"s{s}c{c}", d, e))
            made.append((d, e))
        if len(made) >= 2 and rng.random() < 0.3:  # exactly between two entries
            (d1, e1), (d2, e2) = made[0], made[1]
            d = dict(d1)
            for k, v in d2.items():
                d[k] = d.get(k, 0) + v
            ref.append((f"s{s}mix", d, e1 + e2))
        for q in range(6):
            r = rng.random()
            if r < 0.25:
                _, d, e = rng.choice(ref)
            elif r < 0.35:
                _, d0, e0 = rng.choice(ref)
                d, e = {k: v * 3 for k, v in d0.items()}, 3 * e0
            else:
                d = rand_comp(rng, els)
                e = (ref_epa(d) + rng.uniform(-0.5, 0.5)) * sum(d.values())
            queries.append((d, e))
    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/ref.csv", "w") as f:
            f.write("id,formula,energy\n")
            for i, d, e in ref:
                f.write(f"{i},{formula(d)},{e!r}\n")
        with open(f"{tmp}/q.tsv", "w") as f:
            for d, e in queries:
                f.write(f"{formula(d)}\t{e!r}\n")
        out = subprocess.run([tool, f"{tmp}/ref.csv", f"{tmp}/q.tsv", "--full"],
                             capture_output=True, text=True, check=True).stdout
    got = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    entries = []
    for i, d, e in ref:
        p = PDEntry(Composition(formula(d)), e)
        p.ref_id = i
        entries.append(p)
    bad = zeros = 0
    worst = 0.0  # largest difference in a value or a fraction of an agreeing row
    cache = {}
    for (d, e), g in zip(queries, got):
        c = Composition(formula(d))
        space = frozenset(c.elements)
        if space not in cache:
            cache[space] = PhaseDiagram([x for x in entries if set(x.composition.elements) <= space])
        pd = cache[space]
        q = PDEntry(c, e)
        dec, eah = pd.get_decomp_and_e_above_hull(q, allow_negative=True)
        ids = {}
        for k, v in dec.items():
            rid = getattr(k, "ref_id", None)
            if rid is None:  # the query itself: equal to a stable entry
                rid = next(x.ref_id for x in pd.stable_entries if x == q)
                zeros += 1
            ids[rid] = v
        want = (eah, pd.get_form_energy_per_atom(q), pd.get_hull_energy_per_atom(c))
        have = (g.get("e"), g.get("f"), g.get("h"))
        ok = all(h is not None and abs(h - w) <= 1e-9 for h, w in zip(have, want))
        ok = ok and set(ids) == set(g.get("ids", {})) and all(
            abs(ids[k] - g["ids"][k]) <= 1e-9 for k in ids)
        ok = ok and (eah == 0.0) == (g.get("e") == 0.0)
        if ok:
            worst = max([worst] + [abs(h - w) for h, w in zip(have, want)]
                        + [abs(ids[k] - g["ids"][k]) for k in ids])
        else:
            bad += 1
            print(f"{formula(d)} {e!r}: pymatgen {want} {ids}; mmscore {have} {g.get('ids')}")
    print(f"{len(queries)} queries ({zeros} equal to a stable entry), {len(cache)} systems, "
          f"{bad} disagreements, largest difference {worst:.3g}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
