#!/usr/bin/env bash
# Full-fixture agreement/accuracy table for the choice extractors.
#   tests/choice/compare_full.sh BUILD_DIR [N]   (N: list N strict/published disagreements)
# Needs ../shared/fixtures (skips cleanly without it), python3, and the
# choice_tool built in BUILD_DIR.  Exit 1 if MMSci agreement is below 100%.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build}"
fixtures="${MMSCORE_FIXTURES:-$here/../../../shared/fixtures}/qa"
if [ ! -f "$fixtures/choice.jsonl" ]; then
  echo "choice compare_full: $fixtures/choice.jsonl absent, skipped"
  exit 0
fi
tool="$build/choice_tool"
[ -x "$tool" ] || { echo "choice compare_full: build $tool first (cmake --build $build --target choice_tool)" >&2; exit 2; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$tool" "$fixtures/choice.jsonl" > "$out"
args=("$out" "$fixtures/choice.ref.jsonl" "$fixtures/choice.summary.json")
[ -n "${2:-}" ] && args+=(--list-disagreements "$2")
python3 "$here/compare.py" "${args[@]}"

# The plugin through the CLI must give the tool's letters record for record.
cli="$build/mmscore"
if [ -x "$cli" ]; then
  for mode in strict mmsci; do
    "$cli" qa choice --quiet --extractor "$mode" --records "$out.$mode" "$fixtures/choice.jsonl" > /dev/null
  done
  python3 - "$out" "$out.strict" "$out.mmsci" <<'PY'
import json, sys
tool = {json.loads(l)["id"]: json.loads(l) for l in open(sys.argv[1])}
for mode, path in (("strict", sys.argv[2]), ("mmsci", sys.argv[3])):
    same = total = 0
    for line in open(path):
        r = json.loads(line)
        total += 1
        same += r.get("pred") == tool[r["id"]][mode + "_pred"] and r.get("extract_path") == tool[r["id"]][mode + "_path"]
    print("CLI %-6s records agreeing with choice_tool: %d/%d" % (mode, same, total))
PY
  rm -f "$out.strict" "$out.mmsci"
fi
