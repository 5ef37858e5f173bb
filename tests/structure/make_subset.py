#!/usr/bin/env python3
"""Pick the hard cases of the fixtures into tests/data/structure/ (see
SOURCE.md there): the rows' CIF texts and the matching reference fields.
Rerun: python3 tests/structure/make_subset.py"""
import csv, json, os

csv.field_size_limit(1 << 30)

FIX = "/work/shared/fixtures/crystals"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "structure")
KEEP = ("row", "id", "material_id", "transform", "crystal_ok", "struct_valid", "volume", "density",
        "min_dist", "n_sites", "sg_symprec_0.1", "sg_symprec_0.01")
# A flat cell whose reference space group at 0.01 rests on round-off of
# numpy's trigonometry (docs/metrics-symmetry.md): not reproducible.
EXCLUDE = {("perturbed", 1901)}

def pick(name, refs):
    rows = []
    if name == "perturbed":
        seen = {}
        for r in refs:
            t = r.get("transform", "")
            sg1, sg2 = r.get("sg_symprec_0.1") or {}, r.get("sg_symprec_0.01") or {}
            kinds = [k for k in ("skew", "dup_near", "move_close", "scale", "supercell", "subst_species", "partial", "charge")
                     if k in t]
            if r.get("volume") is not None and r["volume"] < 0.1:
                kinds.append("flat")
            if sg1.get("error"):
                kinds.append("sg_fail_0.1")
            if sg2.get("error"):
                kinds.append("sg_fail_0.01")
            if not r.get("crystal_ok"):
                kinds.append("not_crystal")
            for k in kinds:
                # a handful per kind, small cells first to keep the data small
                if seen.get(k, 0) < 8 and (r.get("n_sites") or 0) <= 64:
                    seen[k] = seen.get(k, 0) + 1
                    rows.append(r["row"])
                    break
    else:
        # the most skewed cells and every insensible or invalid one
        def skew(r):
            l = r.get("lattice") or {}
            return max(abs(l.get(k, 90) - 90) for k in ("alpha", "beta", "gamma"))
        ok = [r for r in refs if r.get("crystal_ok")]
        ok.sort(key=skew, reverse=True)
        rows = [r["row"] for r in ok[:6]]
        rows += [r["row"] for r in refs if r.get("crystal_ok") and not r["struct_valid"]][:3]
        rows += [r["row"] for r in ok if min((r.get("lattice") or {}).get(k, 90) for k in ("alpha", "beta", "gamma")) < 10][:3]
    return sorted(set(x for x in rows if (name, x) not in EXCLUDE))

def main():
    structs, refs_out = [], []
    for name in ("perturbed", "carbon_24_test", "perov_5_test", "llama2_7b_metastable"):
        refs = [json.loads(l) for l in open(f"{FIX}/{name}.ref.jsonl")]
        rows = pick(name, refs)
        with open(f"{FIX}/{name}.csv", newline="") as f:
            cifs = [row["cif"] for row in csv.DictReader(f)]
        for row in rows:
            structs.append(json.dumps({"source": name, "row": row, "cif": cifs[row]}))
            r = {k: refs[row][k] for k in KEEP if k in refs[row]}
            r["source"] = name
            refs_out.append(json.dumps(r))
    # real-world CIFs: symmetry to expand, one-site cells, disorder (the
    # small files only, to keep the data small)
    for line in open(f"{FIX}/cif_corpus.ref.jsonl"):
        r = json.loads(line)
        path = f"{FIX}/cif_corpus/{r['file']}"
        if os.path.getsize(path) > 6000:
            continue
        structs.append(json.dumps({"source": "cif_corpus", "row": r["row"], "file": r["file"],
                                   "cif": open(path, encoding="utf-8", errors="replace").read()}))
        k = {key: r[key] for key in KEEP if key in r}
        k["source"] = "cif_corpus"
        refs_out.append(json.dumps(k))
    with open(os.path.join(OUT, "subset.jsonl"), "w") as f:
        f.write("\n".join(structs) + "\n")
    with open(os.path.join(OUT, "subset.ref.jsonl"), "w") as f:
        f.write("\n".join(refs_out) + "\n")
    print(len(structs), "structures")

main()
