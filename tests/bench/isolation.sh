#!/usr/bin/env bash
# What isolation costs: records/s of the same run with every scorer in the
# mmscore process (--no-isolate) and in forked workers (--isolate), and the
# ratio.  Two workloads: default `validate` on a fixture CSV (real plugins,
# ~ms per structure) and the isolation test plugin on 20,000 JSONL records
# (~µs per record: the per-record overhead shows in full).  Same outputs
# both ways (tests/isolation checks that byte for byte).  There is no Python
# reference for this: the ratio is isolated / in-process.
#   tests/bench/isolation.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: isolation.sh BUILD_DIR}"
mms="$build/mmscore"
faulty="$build/tests/isolation/faulty"
csv="$here/../../../shared/fixtures/crystals/perov_5_test.csv"
[ -f "$csv" ] || csv="$here/../data/readers/perov_5_test.csv"
[ -x "$mms" ] || { echo "isolation bench: $mms not built, skipped"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c 'import sys
for i in range(20000): sys.stdout.write("{\"id\": \"r%05d\"}\n" % i)' > "$tmp/ids.jsonl"

# "WALL CPU": the best of 3 runs of a command, wall-clock and CPU seconds
# (user + system, workers included).  On a loaded machine the CPU seconds are
# the cost; the wall clock also depends on how the scheduler treats forks.
best() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
walls, cpus = [], []
for _ in range(3):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
    walls.append(time.monotonic() - t0)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
print(min(walls), min(cpus))
PY
}

row() { # label records "wall cpu" (in-process) "wall cpu" (isolated)
  awk -v l="$1" -v n="$2" -v a="$3" -v b="$4" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    printf "  %s\n    per CPU second: in-process %9.0f  isolated %9.0f records/s  (isolated/in-process %.2f)\n", l, n / x[2], n / y[2], x[2] / y[2]
    printf "    per wall second: in-process %9.0f  isolated %9.0f records/s  (isolated/in-process %.2f)\n", n / x[1], n / y[1], x[1] / y[1] }'
}

n_csv=$(python3 -c 'import csv,sys; csv.field_size_limit(1<<30); print(sum(1 for _ in csv.reader(open(sys.argv[1]))) - 1)' "$csv")
echo "isolation: cost of forked workers (load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores shared)"
for j in 1 2; do
  a=$(best "$mms" validate -q -j $j --no-isolate --records /dev/null "$csv")
  b=$(best "$mms" validate -q -j $j --isolate --records /dev/null "$csv")
  row "validate $(basename "$csv") ($n_csv records), -j $j" "$n_csv" "$a" "$b"
done
if [ -d "$faulty" ]; then
  for j in 1 2; do
    a=$(best "$mms" run -q -j $j --no-isolate --plugin-dir "$faulty" --plugins crashy \
          --fault-on none --records /dev/null "$tmp/ids.jsonl")
    b=$(best "$mms" run -q -j $j --isolate --plugin-dir "$faulty" --plugins crashy \
          --fault-on none --records /dev/null "$tmp/ids.jsonl")
    row "run crashy (a scorer of about a microsecond), 20000 records, -j $j" 20000 "$a" "$b"
  done
fi
