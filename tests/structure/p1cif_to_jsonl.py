#!/usr/bin/env python3
"""Interim tool until the core CIF reader lands: turn the fixtures' CSV rows
(pymatgen-written P1 CIFs) into JSONL structures for fixture_driver.

Reads like pymatgen 2022.11.7's CifParser for these simple files: values
without su's, 1/3 and 2/3 snapping (|1 - x/f| < 1e-4), coordinates wrapped
into [0, 1), lattice from Lattice.from_parameters (gamma* capped)."""
import csv, json, math, re, sys

csv.field_size_limit(1 << 30)

def lattice_from_parameters(a, b, c, al, be, ga):
    r = math.pi / 180.0
    ca, cb, cg = math.cos(al * r), math.cos(be * r), math.cos(ga * r)
    sa, sb = math.sin(al * r), math.sin(be * r)
    val = (ca * cb - cg) / (sa * sb)
    val = max(-1.0, min(1.0, val))
    gs = math.acos(val)
    return [[a * sb, 0.0, a * cb], [-b * sa * math.cos(gs), b * sa * math.sin(gs), b * ca], [0.0, 0.0, c]]

def num(s):
    return float(re.sub(r"\(\d+\)$", "", s))

def snap(x):
    for f in (1 / 3.0, 2 / 3.0):
        if abs(1 - x / f) < 1e-4:
            return f
    return x

def parse(cif):
    lines = cif.splitlines()
    tags, loops, name = {}, {}, None
    i = 0
    while i < len(lines):
        ln = lines[i].strip()
        if ln.startswith("data_"):
            name = ln[5:]
        elif ln == "loop_":
            cols = []
            i += 1
            while i < len(lines) and lines[i].strip().startswith("_"):
                cols.append(lines[i].strip())
                i += 1
            rows = []
            while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(("_", "loop_", "data_")):
                rows.append(re.findall(r"'[^']*'|\S+", lines[i].strip()))
                i += 1
            for k, col in enumerate(cols):
                loops[col] = [r[k].strip("'") if k < len(r) else "?" for r in rows]
            continue
        elif ln.startswith("_"):
            parts = ln.split(None, 1)
            tags[parts[0]] = parts[1].strip().strip("'") if len(parts) > 1 else ""
        i += 1
    p = [num(tags["_cell_length_" + k]) for k in "abc"] + [num(tags["_cell_angle_" + k]) for k in ("alpha", "beta", "gamma")]
    sites = []
    n = len(loops["_atom_site_fract_x"])
    for j in range(n):
        fr = [snap(num(loops["_atom_site_fract_" + k][j])) for k in "xyz"]
        fr = [x - math.floor(x) for x in fr]
        sym = loops.get("_atom_site_type_symbol", loops.get("_atom_site_label"))[j]
        occ = num(loops["_atom_site_occupancy"][j]) if "_atom_site_occupancy" in loops else 1.0
        m = re.match(r"([A-Z][a-z]?)(\d*)([+-]?)$", sym)
        el, ox = m.group(1), None
        if m.group(3):
            ox = (int(m.group(2)) if m.group(2) else 1) * (1 if m.group(3) == "+" else -1)
        sites.append({"el": el, "ox": ox, "occ": occ, "frac": fr,
                      "label": loops.get("_atom_site_label", [""] * n)[j]})
    keep = {k: v for k, v in tags.items() if k in ("_symmetry_space_group_name_H-M", "_chemical_formula_sum", "_chemical_formula_structural")}
    kl = {k: v for k, v in loops.items() if k in ("_atom_site_type_symbol", "_atom_site_symmetry_multiplicity")}
    return {"name": name, "lattice": lattice_from_parameters(*p), "sites": sites, "tags": keep, "loops": kl}

def main():
    path, out = sys.argv[1], sys.stdout
    rows = sys.argv[2:]
    with open(path, newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if rows and str(i) not in rows:
                continue
            rid = row.get("id") or row.get("material_id") or row.get("") or str(i)
            try:
                rec = parse(row["cif"])
            except Exception as e:  # noqa: BLE001 - tool: report and go on
                rec = {"error": repr(e)}
            rec["row"], rec["id"] = i, rid
            out.write(json.dumps(rec) + "\n")

main()
