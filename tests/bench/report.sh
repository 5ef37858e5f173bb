#!/usr/bin/env bash
# Large runs stay light: `mmscore validate` of 100,000+ structures (the
# fixture CSVs given again until there are that many) with and without
# --report FILE.html: the report's size (target < 5 MB) and the extra time it
# costs (target < 1 s).  Two ways to see the extra time: the same run
# without and with --report (wall and CPU, noisy on a shared machine), and
# the run's saved state through `mmscore merge` against `mmscore report`
# (both read and merge the same state; the difference is the report alone).
# Prints the figures drawn (kind, bins, what they count).  $1 = build dir.
build=${1:?build dir}
fixtures=$(dirname "$0")/../../../shared/fixtures/crystals
[ -d "$fixtures" ] || fixtures=/work/shared/fixtures/crystals
cli=$build/mmscore
if [ ! -d "$fixtures" ] || [ ! -x "$cli" ]; then
    echo "report bench: fixtures or $cli missing; skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files="carbon_24_test perov_5_test llama2_7b_metastable perturbed"
per=0
for f in $files; do
    per=$((per + $(python3 -c "import csv,sys; csv.field_size_limit(1<<30); print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))" "$fixtures/$f.csv")))
done
inputs="" n=0
while [ $n -lt 100000 ]; do
    for f in $files; do inputs="$inputs $fixtures/$f.csv"; done
    n=$((n + per))
done
jobs=${MMSCORE_BENCH_JOBS:-2}
echo "report bench: $n records (the fixture CSVs $((n / per)) times), -j $jobs," \
     "load $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores (shared)"

# timed LABEL ARGS...: wall and CPU seconds of one mmscore run
timed() {
    local label=$1; shift
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time "$cli" "$@" >/dev/null 2>"$tmp/err"; } 2>&1 | tail -1)
    set -- $t
    echo "$label $1 $(python3 -c "print(round($2 + $3, 2))")"
}
plain=$(timed plain validate -q -j "$jobs" $inputs)
with=$(timed report validate -q -j "$jobs" --save-state "$tmp/run.state" --report "$tmp/r.html" $inputs)
merge=$(timed merge merge -q "$tmp/run.state")
rep=$(timed report_only report --output "$tmp/r2.html" "$tmp/run.state")
python3 - "$tmp/r.html" "$tmp/r2.html" "$plain" "$with" "$merge" "$rep" <<'PY'
import json, os, re, sys
r, r2 = sys.argv[1], sys.argv[2]
t = {x.split()[0]: tuple(map(float, x.split()[1:])) for x in sys.argv[3:]}
size = os.path.getsize(r)
print(f"  report file             {size / 1e6:.3f} MB (target < 5 MB): {'ok' if size < 5e6 else 'OVER'}")
print(f"  validate                wall {t['plain'][0]:.2f} s  cpu {t['plain'][1]:.2f} s")
print(f"  validate --report       wall {t['report'][0]:.2f} s  cpu {t['report'][1]:.2f} s "
      f"(also --save-state; extra wall {t['report'][0] - t['plain'][0]:+.2f} s, "
      f"cpu {t['report'][1] - t['plain'][1]:+.2f} s: noise of a shared machine included)")
extra = t['report_only'][0] - t['merge'][0]
print(f"  merge STATE             wall {t['merge'][0]:.2f} s  cpu {t['merge'][1]:.2f} s")
print(f"  report STATE            wall {t['report_only'][0]:.2f} s  cpu {t['report_only'][1]:.2f} s "
      f"(the report alone: {extra:+.2f} s wall, target < 1 s: {'ok' if extra < 1 else 'OVER'})")
def figures(path):
    html = open(path, encoding="utf-8").read()
    return json.loads(re.search(r'id="mmscore-figures">(.*?)</script>', html, re.S).group(1).replace("<\\/", "</"))
data = figures(r)
print(f"  figure data of the run and of report STATE: {'the same' if figures(r2) == data else 'DIFFER'}")
for p in data["plugins"]:
    for f in p.get("figures", []):
        if f["kind"] == "table":
            print(f"  {p['plugin']}/{f['id']:<24} table, {len(f['rows'])} rows")
        else:
            n = len(f["series"][0]["values"])
            tot = ", ".join(f"{s['name']} {int(sum(s['values']))}" for s in f["series"])
            print(f"  {p['plugin']}/{f['id']:<24} {f['kind']}, {n} bins: {tot}")
print(f"  failed records shown    {sum(len(v) for v in data['failed_records'].values())} "
      f"(of codes {', '.join(data['failed_records'])})")
PY
