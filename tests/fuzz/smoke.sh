#!/usr/bin/env bash
# A short libFuzzer run of one harness from its seeds: smoke.sh FUZZER
# SECONDS WORKDIR SEED_DIR...  New inputs go to WORKDIR (in the build tree),
# crashes to WORKDIR/crash-*; prints the executions done.  Exit 0 when the
# run found nothing, 1 when it did, 77 (skipped) when the fuzzer cannot run.
set -uo pipefail
fuzzer=$1 seconds=$2 work=$3
shift 3
if [ ! -x "$fuzzer" ]; then
  echo "SKIPPED: no fuzzer binary $fuzzer"
  exit 77
fi
mkdir -p "$work/corpus"
log="$work/last.log"
# -rss_limit_mb: hostile inputs must stay within the 2 GiB the robustness
# test allows; -timeout: a hang is a finding too.
"$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" "$@" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
echo "$(basename "$fuzzer"): ${execs:-?} executions in ${seconds} s (rc $rc)"
if [ $rc -ne 0 ]; then
  tail -40 "$log"
  exit 1
fi
