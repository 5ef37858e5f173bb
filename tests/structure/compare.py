#!/usr/bin/env python3
"""Agreement of mmscore records with a reference *.ref.jsonl, for the values
of the structure and symmetry plugins: struct_valid equal; volume, density
and min_distance within 1e-6 relative; space-group numbers at symprec 0.1
and 0.01 equal (mmscore run with --symprec-extra 0.01).

  compare.py RECORDS.jsonl REF.jsonl [-v]

Records are matched to reference rows by input position (CSV) or, for a
folder of CIFs, by file name (the first data block, as pymatgen reads it).
Rows basic_eval did not judge (crystal_ok false) are not compared.  Flat
cells (volume < 0.1 Å³) are counted apart: the reference's density and
min_dist there are round-off of a near-singular matrix, ours are null.
Prints one table row; -v lists every disagreement.  Exit 1 if any."""
import json, os, sys

def rel_ok(a, b, tol=1e-6):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)

def main():
    ours_path, ref_path = sys.argv[1], sys.argv[2]
    verbose = "-v" in sys.argv
    ours = [json.loads(l) for l in open(ours_path)]
    refs = [json.loads(l) for l in open(ref_path)]
    by_file = {}
    for o in ours:
        by_file.setdefault(os.path.basename(o.get("source", "")), o)
    stats = {k: [0, 0] for k in ("struct_valid", "volume", "density", "min_distance", "sg_0.1", "sg_0.01")}
    flat = []
    for pos, r in enumerate(refs):
        o = by_file.get(r["file"]) if "file" in r else (ours[pos] if pos < len(ours) else None)
        rid = r.get("id") or r.get("material_id") or r.get("file") or r["row"]
        def check(key, ok, detail):
            stats[key][1] += 1
            if ok:
                stats[key][0] += 1
            elif verbose:
                print(f"  {rid} {key}: ours/ref {detail}")
        if not r.get("crystal_ok"):
            continue
        if o is None or not o.get("ok", True):
            check("struct_valid", False, ("not read", o and o.get("error")))
            continue
        check("struct_valid", o.get("struct_valid") == r["struct_valid"], (o.get("struct_valid"), r["struct_valid"]))
        if r["volume"] < 0.1:
            flat.append(rid)
        else:
            check("volume", rel_ok(o.get("volume"), r["volume"]), (o.get("volume"), r["volume"]))
            check("density", rel_ok(o.get("density"), r["density"]), (o.get("density"), r["density"]))
            check("min_distance", rel_ok(o.get("min_distance"), r["min_dist"]), (o.get("min_distance"), r["min_dist"]))
        for key, suf in (("sg_0.1", ""), ("sg_0.01", "_extra")):
            ref = r["sg_symprec_" + key[3:]]
            check(key, o.get("sg_number" + suf) == ref["number"],
                  (o.get("sg_number" + suf), o.get("sg_error" + suf), ref.get("number"), ref.get("error")))
    cells = " | ".join(f"{a}/{n}" for a, n in stats.values())
    print(f"| {os.path.basename(ref_path)} | {cells} | {len(flat)} |")
    return 0 if all(a == n for a, n in stats.values()) else 1

sys.exit(main())
