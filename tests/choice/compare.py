#!/usr/bin/env python3
"""Agreement/accuracy table of choice_tool output against the fixture references.

usage: compare.py TOOL_OUTPUT.jsonl REF.jsonl SUMMARY.json [--list-disagreements N]
Prints, per source/model: MMSci-rule agreement with mmsci_pred/mmsci_path and
the MMSci-style accuracy; strict accuracy against reference_strict_pred and
published_pred (agreement and accuracy).  Exit status 1 if MMSci agreement < 100%.
"""
import collections
import json
import sys


def main():
    out_path, ref_path, summary_path = sys.argv[1:4]
    show = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--list-disagreements" else 0
    ours = {}
    with open(out_path) as f:
        for line in f:
            r = json.loads(line)
            ours[r["id"]] = r
    groups = collections.OrderedDict()
    missing = 0
    with open(ref_path) as f:
        for line in f:
            ref = json.loads(line)
            key = ref["id"]
            if key not in ours:
                missing += 1
                continue
            groups.setdefault("ALL", []).append((ref, ours[key]))
            g = "mmsci-cot" if key.startswith("mmsci-cot") else key.rsplit("-", 1)[0]
            groups.setdefault(g, []).append((ref, ours[key]))
    summary = json.load(open(summary_path)) if summary_path != "-" else {}
    hdr = ("group", "n", "mm_agree", "mm_path", "mm_acc", "mm_ref_acc", "st_acc", "st_unp",
           "refstrict_acc", "st=refstrict", "publ_acc", "st=publ")
    print("%-28s %5s %9s %8s %7s %10s %7s %6s %13s %12s %8s %8s" % hdr)
    bad_mm = 0
    dis = []
    for name, rows in groups.items():
        n = len(rows)
        mm_agree = sum(r["mmsci_pred"] == o["mmsci_pred"] for r, o in rows)
        mm_path = sum(r["mmsci_path"] == o["mmsci_path"].split(":")[0] for r, o in rows)
        valid = [(r, o) for r, o in rows if o["mmsci_pred"] is not None]
        mm_acc = sum(o["mmsci_pred"] == r["gold"] for r, o in valid) / max(1, len(valid))
        rvalid = [r for r, o in rows if r["mmsci_pred"] is not None]
        mm_ref = sum(r["mmsci_pred"] == r["gold"] for r in rvalid) / max(1, len(rvalid))
        st_acc = sum(o["strict_pred"] == r["gold"] for r, o in rows) / n
        st_unp = sum(o["strict_pred"] is None for r, o in rows)
        rs_acc = sum(r["reference_strict_pred"] == r["gold"] for r, o in rows) / n
        st_rs = sum(o["strict_pred"] == r["reference_strict_pred"] for r, o in rows)
        pb_acc = sum(r["published_pred"] == r["gold"] for r, o in rows) / n
        st_pb = sum(o["strict_pred"] == r["published_pred"] for r, o in rows)
        if name == "ALL":
            bad_mm = n - mm_agree + n - mm_path
            dis = [(r, o) for r, o in rows if o["strict_pred"] != r["published_pred"]]
        print("%-28s %5d %9s %8s %7.2f %10.2f %7.2f %6d %13.2f %12s %8.2f %8s" % (
            name[:28], n, "%d/%d" % (mm_agree, n) if mm_agree < n else "100%",
            "%d" % mm_path if mm_path < n else "100%", 100 * mm_acc, 100 * mm_ref,
            100 * st_acc, st_unp, 100 * rs_acc, "%d/%d" % (st_rs, n), 100 * pb_acc, "%d/%d" % (st_pb, n)))
    if missing:
        print("records missing from tool output:", missing)
    for r, o in dis[:show]:
        print(json.dumps({"id": r["id"], "gold": r["gold"], "strict": o["strict_pred"], "path": o["strict_path"],
                          "published": r["published_pred"], "ref_strict": r["reference_strict_pred"]}))
    if summary:
        print("\npublished accuracies (fixture summary):")
        for k, v in summary.items():
            rep = v.get("reported")
            if rep:
                print("  %-45s %6.2f%% (%d/%d)  %s" % (k, rep["acc"], rep["correct"], rep["count"], rep["where"]))
    return 1 if bad_mm else 0


if __name__ == "__main__":
    sys.exit(main())
