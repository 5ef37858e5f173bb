"""Scaled uniqueness/novelty case for tests/bench/sun.sh: a training set and
a generated set made from P1 CIFs (the LLaMA-2 samples of the crystal
fixtures) by seeded perturbations of lattice lengths and fractional
coordinates, some small (the copies match their base), some large (they do
not).  Also a subset for timing pymatgen: the first N_SUB generated rows and
the training rows of their reduced formulas.
One base structure per reduced formula, so group sizes stay near MP-20's.
Usage: python3 sun_gen.py N_TRAIN N_GEN N_SUB OUTDIR SOURCE.csv..."""
import csv
import math
import os
import random
import sys
from functools import reduce

csv.field_size_limit(1 << 30)
n_train, n_gen, n_sub, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sources = sys.argv[5:]


def parse(cif):
    """cell parameters and (symbol, x, y, z) of a pymatgen-written P1 CIF; None otherwise"""
    cell, sites, cols, in_loop = {}, [], [], False
    for line in cif.splitlines():
        t = line.split()
        if not t:
            continue
        if t[0].startswith("_cell_") and len(t) > 1:
            cell[t[0]] = float(t[1])
        elif t[0] == "_symmetry_equiv_pos_as_xyz" or t[0] == "_space_group_symop_operation_xyz":
            pass
        elif t[0] == "loop_":
            cols, in_loop = [], True
        elif t[0].startswith("_atom_site_") and in_loop:
            cols.append(t[0])
        elif in_loop and cols and "_atom_site_fract_x" in cols and len(t) == len(cols):
            d = dict(zip(cols, t))
            if float(d.get("_atom_site_occupancy", "1")) != 1:
                return None
            sites.append((d["_atom_site_type_symbol"].rstrip("0123456789+-"),
                          float(d["_atom_site_fract_x"]), float(d["_atom_site_fract_y"]),
                          float(d["_atom_site_fract_z"])))
        elif t[0].startswith("_") or t[0].startswith("data_"):
            in_loop = in_loop and t[0].startswith("_atom_site_")
    keys = ["_cell_length_a", "_cell_length_b", "_cell_length_c", "_cell_angle_alpha", "_cell_angle_beta",
            "_cell_angle_gamma"]
    if not sites or any(k not in cell for k in keys) or "P 1" not in cif and "P1" not in cif:
        return None
    return [cell[k] for k in keys], sites


def reduced(sites):
    c = {}
    for s in sites:
        c[s[0]] = c.get(s[0], 0) + 1
    g = reduce(math.gcd, c.values())
    return " ".join(f"{e}{n // g}" for e, n in sorted(c.items()))


def write_cif(name, par, sites):
    lines = [f"data_{name}", "_symmetry_space_group_name_H-M   'P 1'"]
    for k, v in zip(("a", "b", "c"), par[:3]):
        lines.append(f"_cell_length_{k}   {v:.8f}")
    for k, v in zip(("alpha", "beta", "gamma"), par[3:]):
        lines.append(f"_cell_angle_{k}   {v:.8f}")
    lines += ["loop_", " _atom_site_label", " _atom_site_type_symbol", " _atom_site_fract_x",
              " _atom_site_fract_y", " _atom_site_fract_z", " _atom_site_occupancy"]
    for i, (e, x, y, z) in enumerate(sites):
        lines.append(f"  {e}{i} {e} {x % 1:.8f} {y % 1:.8f} {z % 1:.8f} 1")
    return "\n".join(lines) + "\n"


def perturb(rng, base, big):
    par, sites = base
    sl = 0.12 if big else 0.01   # lattice length strain
    sx = 0.15 if big else 0.004  # fractional displacement
    p = [par[i] * (1 + rng.uniform(-sl, sl)) for i in range(3)] + list(par[3:])
    return p, [(e, x + rng.gauss(0, sx), y + rng.gauss(0, sx), z + rng.gauss(0, sx)) for e, x, y, z in sites]


bases, seen = [], set()
for src in sources:
    with open(src, newline="") as f:
        for r in csv.DictReader(f):
            b = parse(r["cif"])
            if b and len(b[1]) <= 40 and reduced(b[1]) not in seen:
                seen.add(reduced(b[1]))
                bases.append(b)
rng = random.Random(17)
os.makedirs(out, exist_ok=True)
train, gen = [], []
for i in range(n_train):
    b = bases[i % len(bases)]
    train.append((f"train-{i}", perturb(rng, b, rng.random() < 0.5)))
for i in range(n_gen):
    b = bases[rng.randrange(len(bases))]
    gen.append((f"gen-{i}", perturb(rng, b, rng.random() < 0.6)))


def dump(path, items):
    with open(path, "w", newline="") as g:
        w = csv.writer(g)
        w.writerow(["id", "cif"])
        for name, (p, s) in items:
            w.writerow([name, write_cif(name, p, s)])


dump(f"{out}/train.csv", train)
dump(f"{out}/gen.csv", gen)
sub = gen[:n_sub]
forms = {reduced(s) for _, (p, s) in sub}
dump(f"{out}/gen_sub.csv", sub)
dump(f"{out}/train_sub.csv", [t for t in train if reduced(t[1][1]) in forms])
print(f"{len(bases)} base structures, {n_train} training, {n_gen} generated; subset {n_sub} generated "
      f"with {sum(1 for t in train if reduced(t[1][1]) in forms)} training rows of their formulas")
