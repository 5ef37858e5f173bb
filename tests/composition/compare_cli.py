#!/usr/bin/env python3
"""Record-by-record agreement of `mmscore validate` with the reference.

Usage: compare_cli.py BUILD_DIR FIXTURES_CRYSTALS_DIR

For each fixture input (the CSVs and cif_corpus/) runs
`BUILD_DIR/mmscore validate --records ...` and compares, on the rows the
reference built a Crystal for (crystal_ok), comp_valid with `comp_valid` and
valid (struct_valid AND comp_valid) with `valid_pre_fp`; the reference's
timeout row (null) is compared with the exact answer True given in the
fixtures README.  Also counts rows the reference did not build that mmscore
marks valid_counted (should be none), and the validity summary's rates with
basic_eval's means over the rows it built (get_validity).  A second pass with --smact-zr-eneg 0.33
compares with `comp_valid_zr_eneg_0p33` (and struct_valid AND it).  Exit
status 1 on any disagreement.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile


def run_validate(build, path, out, extra):
    """Records and the validity plugin's summary of one input."""
    cmd = [os.path.join(build, "mmscore"), "validate", *extra, "--json", "--records", out, path]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.stderr.write(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}\n")
        return None, None
    with open(out) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    return recs, json.loads(proc.stdout)["plugins"]["validity"]


def compare_summary(name, refs, summary, comp_field):
    """basic_eval's get_validity: means over the crystals it built."""
    built = [r for r in refs if r.get("crystal_ok")]
    comp = [True if r[comp_field] is None else r[comp_field] for r in built]
    want = {
        "n_counted": len(built),
        "struct_valid_rate": sum(bool(r["struct_valid"]) for r in built) / len(built),
        "comp_valid_rate": sum(comp) / len(built),
        "valid_rate": sum(bool(r["struct_valid"]) and c for r, c in zip(built, comp)) / len(built),
    }
    bad = [k for k, v in want.items() if summary.get(k) is None or abs(summary[k] - v) > 1e-12]
    rates = " ".join(f"{k}={summary.get(k):.6f}" for k in list(want)[1:])
    print(f"    summary {'agrees' if not bad else 'DIFFERS in ' + ', '.join(bad)}: "
          f"n_counted={summary.get('n_counted')} {rates}")
    return not bad


def compare(name, refs, recs, by_file, comp_field):
    if by_file:
        got = {os.path.basename(r.get("source") or ""): r for r in recs}
        pairs = [(ref, got.get(os.path.basename(ref["file"]))) for ref in refs]
    else:
        got = {r.get("index"): r for r in recs}
        pairs = [(ref, got.get(ref["row"])) for ref in refs]
    t = dict(rows=len(refs), built=0, comp=0, valid=0, counted_ok=0, missing=0, timeouts=0,
             extra_counted=0)
    bad = []
    for ref, rec in pairs:
        if not ref.get("crystal_ok"):
            if rec is not None and rec.get("valid_counted") is True:
                t["extra_counted"] += 1
                bad.append((ref, rec, "counted but the reference built no Crystal"))
            continue
        t["built"] += 1
        if rec is None:
            t["missing"] += 1
            bad.append((ref, rec, "no record"))
            continue
        want_comp = ref[comp_field]
        if want_comp is None:  # the reference's timeout: exact answer True
            t["timeouts"] += 1
            want_comp = True
        want_valid = bool(ref["struct_valid"]) and want_comp
        t["comp"] += rec.get("comp_valid") is want_comp
        t["valid"] += rec.get("valid") is want_valid
        t["counted_ok"] += rec.get("valid_counted") is True
        if rec.get("comp_valid") is not want_comp or rec.get("valid") is not want_valid:
            bad.append((ref, rec, f"comp {rec.get('comp_valid')} (ref {want_comp}), "
                                  f"valid {rec.get('valid')} (ref {want_valid})"))
    print(f"{name:28s} {t['rows']:6d} {t['built']:7d} {t['comp']:>6d}/{t['built']:<6d}"
          f" {t['valid']:>6d}/{t['built']:<6d} {t['counted_ok']:>6d}/{t['built']:<6d}"
          f" {t['timeouts']:8d} {t['extra_counted']:6d}")
    for ref, rec, why in bad[:10]:
        rid = ref.get("id") or ref.get("material_id") or ref.get("file") or ref["row"]
        print(f"    {rid}: {why}")
    return not bad


def main():
    build, fixtures = sys.argv[1], sys.argv[2]
    inputs = sorted(glob.glob(os.path.join(fixtures, "*.csv")))
    if os.path.isdir(os.path.join(fixtures, "cif_corpus")):
        inputs.append(os.path.join(fixtures, "cif_corpus"))
    ok = True
    passes = (("comp_valid", []), ("comp_valid_zr_eneg_0p33", ["--smact-zr-eneg", "0.33"]))
    with tempfile.TemporaryDirectory() as tmp:
        for comp_field, extra in passes:
            print(f"\n{' '.join(['mmscore validate'] + extra)} vs {comp_field}")
            print(f"{'input':28s} {'rows':>6s} {'built':>7s} {'comp_valid':>13s} "
                  f"{'valid':>13s} {'counted':>13s} {'timeouts':>8s} {'extra':>6s}")
            for path in inputs:
                base = os.path.basename(path.rstrip("/"))
                stem = base[:-4] if base.endswith(".csv") else base
                ref_path = os.path.join(fixtures, stem + ".ref.jsonl")
                if not os.path.exists(ref_path):
                    continue
                with open(ref_path) as f:
                    refs = [json.loads(line) for line in f]
                recs, summary = run_validate(build, path, os.path.join(tmp, base + ".jsonl"),
                                             extra)
                if recs is None:
                    ok = False
                    continue
                ok &= compare(base, refs, recs, os.path.isdir(path), comp_field)
                ok &= compare_summary(base, refs, summary, comp_field)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
