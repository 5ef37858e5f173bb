#!/usr/bin/python3
"""Copy the small fixture subsets the readers' CTest test uses.

    /usr/bin/python3 tests/data/readers/make_subsets.py ../shared/fixtures/crystals

Writes <name>.csv (header + chosen rows, the original columns) and
<name>.ref.jsonl (the matching reference lines, cut down to the fields the
test compares) for each fixture CSV, and copies cif_corpus/ with its refs.
Rows: the first 20 of each clean CSV; from perturbed.csv the first 12 rows
plus, per kind of change, the first rows whose CIF is under 6 kB: parse
failures, flat cells (volume < 0.1), noble-gas / superheavy substitutions
(NaN electronegativity: the formula-order cases), oxidation states written
by CifWriter or only in labels, partial occupancies, and supercells."""
import csv, json, os, shutil, sys

src = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
KEEP = ["row", "csv_index", "material_id", "file", "parse_ok", "parse_error",
        "parsed_n_sites", "parsed_formula", "parsed_is_ordered", "crystal_ok",
        "elements", "counts", "volume", "density"]
NAN_X = {"He", "Ne", "Ar", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn",
         "Nh", "Fl", "Mc", "Lv", "Ts", "Og"}
csv.field_size_limit(1 << 30)


def slim(ref):
    return {k: ref[k] for k in KEEP if k in ref}


def pick_perturbed(rows, refs):
    chosen = list(range(12))
    rules = [
        ("parse failure", lambda r, d: not d["parse_ok"], 6),
        ("flat cell", lambda r, d: d.get("volume") is not None and d["volume"] < 0.1, 4),
        ("NaN electronegativity", lambda r, d: d["parse_ok"] and any(
            e in NAN_X for e in (d.get("elements") or [])), 10),
        ("oxidation via CifWriter", lambda r, d: "oxi_cifwriter" in r["transform"], 3),
        ("oxidation in labels only", lambda r, d: "oxi_label_only" in r["transform"], 3),
        ("partial occupancy", lambda r, d: "partial_occ" in r["transform"] and d["parse_ok"], 3),
        ("supercell", lambda r, d: "supercell" in r["transform"] and d["parse_ok"], 3),
    ]
    for _, rule, count in rules:
        got = 0
        for i, (r, d) in enumerate(zip(rows, refs)):
            if got == count:
                break
            if i not in chosen and len(r["cif"]) < 6000 and rule(r, d):
                chosen.append(i)
                got += 1
    return sorted(chosen)


for name in ["perov_5_test", "perov_5_val", "carbon_24_test", "llama2_7b_metastable",
             "perturbed"]:
    with open(os.path.join(src, name + ".csv"), newline="") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames
        rows = list(reader)
    refs = [json.loads(l) for l in open(os.path.join(src, name + ".ref.jsonl"))]
    idx = pick_perturbed(rows, refs) if name == "perturbed" else list(range(20))
    with open(os.path.join(here, name + ".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for i in idx:
            w.writerow(rows[i])
    with open(os.path.join(here, name + ".ref.jsonl"), "w") as f:
        for i in idx:
            f.write(json.dumps(slim(refs[i])) + "\n")

dst = os.path.join(here, "cif_corpus")
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(os.path.join(src, "cif_corpus"), dst)
os.chmod(dst, 0o755)
for fn in os.listdir(dst):
    os.chmod(os.path.join(dst, fn), 0o644)
with open(os.path.join(here, "cif_corpus.ref.jsonl"), "w") as f:
    for l in open(os.path.join(src, "cif_corpus.ref.jsonl")):
        f.write(json.dumps(slim(json.loads(l))) + "\n")
