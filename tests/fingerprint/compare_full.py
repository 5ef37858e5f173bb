#!/usr/bin/env python3
"""Agreement of mmscore's fingerprint records with the reference rows.

Usage: compare_full.py NAME RECORDS.jsonl REFERENCE.ref.jsonl [--list]

Rows are matched by position (record "index" = reference "row").  Only rows
the reference fingerprinted (fp_status "ok") are compared.  Magpie: every
component within 1e-9 relative; CrystalNN: every component within 1e-6
absolute.  Prints one table row; --list names every disagreeing row.
"""
import json
import math
import sys


def main():
    name, rec_path, ref_path = sys.argv[1:4]
    listing = "--list" in sys.argv
    recs = {}
    with open(rec_path) as f:
        for line in f:
            r = json.loads(line)
            recs[r.get("index")] = r
    n = mag_ok = cnn_ok = missing = 0
    bad = []
    with open(ref_path) as f:
        for i, line in enumerate(f):
            ref = json.loads(line)
            if ref.get("fp_status") != "ok":
                continue
            n += 1
            r = recs.get(i)
            if r is None or r.get("fp_status") != "ok":
                missing += 1
                bad.append((i, "no fingerprint: %s %s" % (
                    None if r is None else r.get("fp_status"),
                    "" if r is None else r.get("fp_error", ""))))
                continue
            ok = True
            for x, y in zip(r["comp_fp"], ref["comp_fp"]):
                if x is None or y is None or (isinstance(y, float) and math.isnan(y)):
                    ok = ok and (x is None) == (y is None or math.isnan(y))
                elif abs(x - y) > 1e-9 * max(abs(x), abs(y)):
                    ok = False
            mag_ok += ok
            if not ok:
                bad.append((i, "comp_fp differs"))
            worst = max(abs(x - y) for x, y in zip(r["struct_fp"], ref["struct_fp"]))
            if worst <= 1e-6:
                cnn_ok += 1
            else:
                k = max(range(61), key=lambda k: abs(r["struct_fp"][k] - ref["struct_fp"][k]))
                bad.append((i, "struct_fp component %d: %.9g vs %.9g" % (
                    k, r["struct_fp"][k], ref["struct_fp"][k])))
    pct = lambda a: 100.0 * a / n if n else 0.0
    print("%-24s %6d %6d %7.2f%% %6d %7.2f%% %8d" % (name, n, mag_ok, pct(mag_ok), cnn_ok,
                                                    pct(cnn_ok), missing))
    if listing:
        for i, why in bad:
            print("    row %d: %s" % (i, why))


if __name__ == "__main__":
    main()
