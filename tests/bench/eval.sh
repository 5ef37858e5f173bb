#!/usr/bin/env bash
# Benchmark of `mmscore eval` (issue 4).  Usage: tests/bench/eval.sh BUILD_DIR
#  1. the set part alone on 10,000 generated x 10,000 reference crystals,
#     synthesised by resampling (with replacement, fixed seed) the per-structure
#     fingerprints of the perov_5 reference files: time of the table
#     (coverage, novelty, diversity, Wasserstein); target < 30 s on 2 cores;
#  2. the whole `mmscore eval` on perov_5_val.csv vs perov_5_test.csv (read,
#     validity, fingerprints, table), its wall time and the ratio to the Python
#     reference: crystals/README.md times the fingerprint loop on perov_5_test
#     at 418 s for 3785 structures including space groups (~11.5 s at ~330
#     structures/s), which basic_eval does not compute, so ~406.5 s per set
#     and ~813 s for the two sets (basic_eval's own table, cdist and pdist in
#     scipy, is not timed there and not counted: the ratio is a lower bound);
#     then again with a warm --ref-cache (the reference read from the cache).
# Needs ../shared/fixtures (or /work/shared/fixtures); skips without them.
set -uo pipefail
build="$(cd "${1:-build}" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../../../shared/fixtures/crystals"
[ -f "$fixtures/aggregates.json" ] || fixtures=/work/shared/fixtures/crystals
if [ ! -f "$fixtures/aggregates.json" ]; then
  echo "eval bench: no fixtures found; skipped"
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
TIMEFORMAT='%R %U %S'
echo "== eval benchmark (cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg))"

# 1. set part, 10k x 10k
tb="$build/tests/coverage/test_coverage"
if [ -x "$tb" ] && command -v python3 > /dev/null; then
  # resampled with replacement by Python's seeded generator (shuf with a
  # repeating --random-source file drew only ~20 distinct rows, which made
  # the nearest-distance search unrealistically cheap)
  python3 - "$fixtures" "$tmp" <<'PY'
import random, sys
src, out = sys.argv[1], sys.argv[2]
rnd = random.Random(0)
for name, dst in (("perov_5_val", "gen"), ("perov_5_test", "ref")):
    rows = open(f"{src}/{name}.ref.jsonl").read().splitlines()
    with open(f"{out}/{dst}.jsonl", "w") as f:
        f.writelines(rnd.choice(rows) + "\n" for _ in range(10000))
PY
  (cd "$here/.." && MMSCORE_COVERAGE_BENCH_GEN="$tmp/gen.jsonl" MMSCORE_COVERAGE_BENCH_REF="$tmp/ref.jsonl" "$tb")
else
  echo "set part: needs $tb (tests on) and python3; skipped"
fi

# 2. whole eval on the fixture pair
cli="$build/mmscore"
if [ ! -x "$cli" ] || [ ! -f "$build/plugins/fingerprint.so" ]; then
  echo "full eval: needs $cli and the fingerprint plugin; skipped"
  exit 0
fi
ref_s=813
run_eval() {
  { time "$cli" eval --json "$@" --ref "$fixtures/perov_5_test.csv" \
      "$fixtures/perov_5_val.csv" > "$tmp/out.json" 2> "$tmp/err"; } 2> "$tmp/time"
  read -r wall user sys < "$tmp/time"
  ratio=$(awk -v r=$ref_s -v w="$wall" 'BEGIN { printf "%.0f", r / w }')
  cratio=$(awk -v r=$ref_s -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", r / (u + s) }')
  # the reference is one process: its time compares with our CPU time on one
  # core; wall time depends on the load of this shared machine
  echo "full eval perov_5_val vs perov_5_test $*: wall ${wall} s (cpu ${user}+${sys} s):" \
       "${ratio}x the Python reference (~${ref_s} s) on wall time, ${cratio}x on CPU time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
}
# one core: the issue's measure; three runs, as the shared machine's speed
# varies from run to run by up to 2x
for i in 1 2 3; do run_eval -j 1 --distance-threads 1; done
# The reference's fingerprint code timed now (reference_proxy.py, on every
# 76th crystal of each set; needs pymatgen 2022.11.7), times the crystals
# basic_eval fingerprints (the valid ones of both sets): a same-day estimate
# of the reference's eval, without its Magpie, validity and table (so low).
# The machine's speed changes within seconds: six one-core evals alternate
# with five reference runs, and each reference run is compared with the two
# evals around it (ratio.awk); the median of those five ratios is the result.
if py=$("$here/reference_python.sh"); then
  "$py" - "$fixtures" "$tmp" <<'PY'
import csv, sys
csv.field_size_limit(1 << 30)
src, out = sys.argv[1], sys.argv[2]
with open(f"{out}/sample.csv", "w", newline="") as f:
    w = csv.writer(f)
    for i, name in enumerate(("perov_5_val", "perov_5_test")):
        rows = list(csv.reader(open(f"{src}/{name}.csv", newline="")))
        if i == 0:
            w.writerow(rows[0])
        w.writerows(rows[1::76])
PY
  nfp=$("$py" -c 'import json, sys; c = json.load(open(sys.argv[1]))["plugins"]["coverage"]; print(c["n_fingerprinted"] + c["n_reference_fingerprinted"])' "$tmp/out.json")
  evals="" refs=""
  for _ in 1 2 3 4 5; do
    run_eval -j 1 --distance-threads 1 > /dev/null
    evals="$evals $cpu"
    refs="$refs $("$py" "$here/reference_proxy.py" --ms "$tmp/sample.csv")"
  done
  run_eval -j 1 --distance-threads 1 > /dev/null
  evals="$evals $cpu"
  # the reference's eval time per run: its ms per crystal times the crystals
  refs_s=$(for r in $refs; do awk -v r="$r" -v n="$nfp" 'BEGIN { print r * n / 1000 }'; done)
  read -r rmed emed rpair rlo rhi < <(awk -v num="$(echo $refs_s)" -v den="$evals" -f "$here/ratio.awk")
  echo "same day: reference code (runs, ms/structure:$refs) x $nfp crystals fingerprinted =" \
       "~${rmed} s (median); one-core evals (cpu s:$evals, median $emed):" \
       "${rpair}x (median of 5 paired ratios; lowest ${rlo}x, highest ${rhi}x)"
fi
run_eval
run_eval --ref-cache "$tmp/ref.cache"  # cold: reads REF, writes the cache
run_eval --ref-cache "$tmp/ref.cache"  # warm: REF from the cache
# 3. whole eval, 10,000 generated vs 10,000 reference structures (CSV rows
#    resampled with replacement from perov_5_val / perov_5_test; needs python3)
if command -v python3 > /dev/null; then
  python3 - "$fixtures" "$tmp" <<'PY'
import csv, random, sys
csv.field_size_limit(1 << 30)
src, out = sys.argv[1], sys.argv[2]
rnd = random.Random(0)
for name, dst in (("perov_5_val", "gen10k"), ("perov_5_test", "ref10k")):
    rows = list(csv.reader(open(f"{src}/{name}.csv", newline="")))
    with open(f"{out}/{dst}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(rows[0])
        for _ in range(10000):
            w.writerow(rnd.choice(rows[1:]))
PY
  { time "$cli" eval --json --ref "$tmp/ref10k.csv" "$tmp/gen10k.csv" > "$tmp/out10k.json" \
      2> "$tmp/err"; } 2> "$tmp/time"
  read -r wall user sys < "$tmp/time"
  echo "full eval 10k generated vs 10k reference: wall ${wall} s (cpu ${user}+${sys} s;" \
       "target: under 30 s wall on 2 idle cores)"
fi

if command -v python3 > /dev/null; then
  python3 - "$tmp/out.json" "$fixtures/aggregates.json" <<'EOF'
import json, sys
out = json.load(open(sys.argv[1]))["plugins"]
ref = json.load(open(sys.argv[2]))["jobs"][0]["results"]["mp20"]["metrics"]
row = {**out.get("coverage", {}), **out.get("distribution", {})}
ok = 0
for k, v in ref.items():
    g = row.get(k)
    rate = any(s in k for s in ("valid", "cov_", "novelty"))
    good = g is not None and (g == v if rate else abs(g - v) <= 1e-6)
    ok += good
    print(f"  {k:16s} reference {v:.12g}  mmscore {g if g is None else format(g, '.12g')}"
          f"  {'ok' if good else 'DIFF %.2g' % abs((g or 0) - v)}")
print(f"  end to end (our fingerprints): {ok}/{len(ref)} table values within tolerance")
EOF
fi
