#!/usr/bin/env bash
# Throughput of `mmscore validate` on one core (-j 1) over the fixture CSVs,
# against the reference timings of ../shared/fixtures/crystals/README.md:
#   pymatgen parse + basic_eval validity   ~1,000 structures/s
#   space groups at two symprecs           ~330 structures/s
# (so validity + space groups at two symprecs ~ 1/(1/1000 + 1/330) = 248/s).
# The default `validate` is the validity path alone (target: >= 20x the
# reference); `--symmetry` adds space groups, CrystaLLM's consistency checks
# and the CrystalNN bond score.  When python3-pymatgen is installed, the
# reference's own validity path (reference_validity.py) is timed in the same
# run on the same structures, so the ratio does not depend on the day's
# machine speed.  Reports wall-clock and CPU (user+sys) rates: the machine is
# shared, and CPU time is the fair measure when other jobs run.  $1 = build dir.
build=${1:?build dir}
fixtures=$(dirname "$0")/../../../shared/fixtures/crystals
[ -d "$fixtures" ] || fixtures=/work/shared/fixtures/crystals
cli=$build/mmscore
if [ ! -d "$fixtures" ] || [ ! -x "$cli" ]; then
    echo "validate bench: fixtures or $cli missing; skipped"
    exit 0
fi
files="carbon_24_test perov_5_test llama2_7b_metastable perturbed"
n=0
for f in $files; do
    n=$((n + $(python3 -c "import csv,sys; csv.field_size_limit(1<<30); print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$fixtures/$f.csv")))
done
inputs=""
for f in $files; do inputs="$inputs $fixtures/$f.csv"; done

# run LABEL REFERENCE_RATE ARGS...: time one mmscore run, print the rates
run() {
    local label=$1 ref=$2
    shift 2
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time "$cli" "$@" -q -j 1 $inputs >/dev/null 2>&1; } 2>&1 | tail -1)
    python3 - "$label" "$ref" "$n" $t <<'PY'
import sys
label, ref, n, wall, user, sys_ = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), *map(float, sys.argv[4:7])
cpu = user + sys_
print(f"{label:<44} {n} structures  wall {n / wall:8.0f}/s ({n / wall / ref:6.1f}x)  "
      f"cpu {n / cpu:8.0f}/s ({n / cpu / ref:6.1f}x)  vs reference {ref:.0f}/s")
PY
}

echo "validate benchmark, one worker thread, $n structures ($files):"
run "mmscore validate (default: validity path)" 1000 validate
run "space groups at 0.1 and 0.01 (symmetry)" 330 run --plugins symmetry --symprec-extra 0.01
run "mmscore validate --symmetry (symprec 0.1)" 248 validate --symmetry
run "validate --symmetry --symprec-extra 0.01" 248 validate --symmetry --symprec-extra 0.01

# The reference's validity path timed now, on the same structures (CPU).
here=$(dirname "$0")
if py=$(bash "$here/reference_python.sh"); then
    read -r rn rcpu rwall < <("$py" "$here/reference_validity.py" $inputs)
    t=$( { TIMEFORMAT='%R %U %S'; time "$cli" validate -q -j 1 $inputs >/dev/null 2>&1; } 2>&1 | tail -1)
    python3 - "$rn" "$rcpu" "$rwall" "$n" $t <<'PY'
import sys
rn, rcpu, rwall, n, wall, user, sys_ = sys.argv[1:8]
rn, n = int(rn), int(n)
rcpu, rwall, wall, cpu = float(rcpu), float(rwall), float(wall), float(user) + float(sys_)
print(f"reference validity path now (pymatgen parse + rebuild + distances, no SMACT): "
      f"{rn / rcpu:.0f}/s cpu, {rn / rwall:.0f}/s wall")
print(f"mmscore validate vs that, same run: cpu {n / cpu:.0f}/s ({n / cpu / (rn / rcpu):.1f}x), "
      f"wall {n / wall:.0f}/s ({n / wall / (rn / rwall):.1f}x)")
PY
else
    echo "(python3-pymatgen 2022.11.7 not installed: reference not timed in this run)"
fi

# The floor under the symmetry rows: spglib's spgat_get_dataset alone on the
# same cells (no reading, plugin or report), built as tests/core_cif/spglib_floor.
floor=$build/tests/core_cif/spglib_floor
if [ -x "$floor" ]; then
    echo
    "$floor" $inputs
fi
