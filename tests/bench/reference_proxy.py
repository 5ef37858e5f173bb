#!/usr/bin/env python3
"""Time the reference's structure fingerprint now, on this machine.

Usage: reference_proxy.py [--ms] FIXTURE.csv [N [FIXTURE.ref.jsonl]]   (N 0 or absent: all rows)

The speed of this shared machine drifts by up to 2x, so a ratio against the
timings written in crystals/README.md mixes our speed with the machine's
speed of that day.  This script re-times, in the same minute as our
benchmark, the part of basic_eval's per-crystal work that dominates its
cost: for the first N crystals of FIXTURE.csv, pymatgen's CIF parse, the
rebuild from lattice parameters (as crystal-text-llm basic_eval.py does),
and the CrystalNN "ops" fingerprint averaged over sites (CDVAE's
get_fingerprints).  matminer is not packaged for Debian, so the loop of
matminer 0.8's CrystalNNFingerprint.featurize is written out below around
the same pymatgen calls it makes (CrystalNN.get_nn_data and one
LocalStructOrderParams per motif); the motif list per CN is matminer's
cn_target_motif_op.yaml, the op parameters pymatgen's cn_opt_params.yaml,
as matminer loads them.  Magpie and the SMACT validity are left out, so the
time is a little below the reference's.

With FIXTURE.ref.jsonl the fingerprints are also compared with the
reference's stored ones (max abs difference printed), which shows that the
loop computes what the reference computed.

Needs pymatgen 2022.11.7 (Debian python3-pymatgen, the reference's
version).  Prints one line: N, CPU seconds, ms per structure (with --ms only
the ms per structure, for scripts).
"""
import csv
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
import yaml  # noqa: E402
import pymatgen.analysis.local_env as local_env  # noqa: E402
from pymatgen.analysis.local_env import CrystalNN, LocalStructOrderParams  # noqa: E402
from pymatgen.core import Lattice, Structure  # noqa: E402

# matminer v0.8.0 featurizers/site/cn_target_motif_op.yaml (data)
CN_TARGET_MOTIF_OP = {
    1: ["sgl_bd"],
    2: ["L-shaped", "water-like", "bent 120 degrees", "bent 150 degrees", "linear"],
    3: ["trigonal planar", "trigonal non-coplanar", "T-shaped"],
    4: ["square co-planar", "tetrahedral", "rectangular see-saw-like", "see-saw-like",
        "trigonal pyramidal"],
    5: ["pentagonal planar", "square pyramidal", "trigonal bipyramidal"],
    6: ["hexagonal planar", "octahedral", "pentagonal pyramidal"],
    7: ["hexagonal pyramidal", "pentagonal bipyramidal"],
    8: ["body-centered cubic", "hexagonal bipyramidal"],
    9: ["q2", "q4", "q6"],
    10: ["q2", "q4", "q6"],
    11: ["q2", "q4", "q6"],
    12: ["cuboctahedral", "q2", "q4", "q6"],
}
MAX_CN = 24


def make_ops():
    path = os.path.join(os.path.dirname(local_env.__file__), "cn_opt_params.yaml")
    with open(path) as f:
        params = yaml.safe_load(f)
    ops = {}
    for cn in range(1, MAX_CN + 1):
        ops[cn] = ["wt"]
        for t in CN_TARGET_MOTIF_OP.get(cn, []):
            ot, p = t, None
            if t in params.get(cn, {}):
                ot = params[cn][t][0]
                if len(params[cn][t]) > 1:
                    p = params[cn][t][1]
            ops[cn].append(LocalStructOrderParams([ot], parameters=[p]))
    return ops


def site_fp(cnn, ops, s, idx):
    nn = cnn.get_nn_data(s, idx)
    row = []
    for cn in range(1, MAX_CN + 1):
        wt = nn.cn_weights.get(cn, 0)
        for op in ops[cn]:
            if op == "wt":
                row.append(wt)
            elif wt == 0:
                row.append(0)
            else:
                neigh = [d["site"] for d in nn.cn_nninfo[cn]]
                v = op.get_order_parameters([s[idx]] + neigh, 0,
                                            indices_neighs=list(range(1, len(neigh) + 1)))[0]
                row.append(wt * (v or 0))
    return row


def main():
    args = [a for a in sys.argv[1:] if a != "--ms"]
    ms_only = len(args) < len(sys.argv) - 1
    src = args[0]
    n = int(args[1]) if len(args) > 1 else 0
    refs = None
    if len(args) > 2:
        refs = [json.loads(line) for line in open(args[2])]
    csv.field_size_limit(1 << 30)
    with open(src, newline="") as f:
        cifs = [row["cif"] for row in csv.DictReader(f)]
    cifs = cifs[:n] if n > 0 else cifs
    cnn, ops = CrystalNN(), make_ops()
    fps = []
    t0 = time.process_time()
    for cif in cifs:
        try:
            s = Structure.from_str(cif, fmt="cif")
            s = Structure(Lattice.from_parameters(*s.lattice.parameters), s.species,
                          s.frac_coords)
            fps.append(np.array([site_fp(cnn, ops, s, i) for i in range(len(s))]).mean(axis=0))
        except Exception:  # the reference drops such crystals too
            fps.append(None)
    cpu = time.process_time() - t0
    check = ""
    if refs is not None:
        diffs = [float(np.max(np.abs(fp - np.array(r["struct_fp"]))))
                 for fp, r in zip(fps, refs) if fp is not None and r.get("struct_fp")]
        check = f"; vs the reference's stored fingerprints: {len(diffs)} compared, " \
                f"max abs diff {max(diffs) if diffs else float('nan'):.1e}"
    if ms_only:
        print(f"{cpu / len(cifs) * 1000:.1f}")
        return
    print(f"{len(cifs)} structures, cpu {cpu:.2f} s, {cpu / len(cifs) * 1000:.1f} ms/structure{check}")


if __name__ == "__main__":
    main()
