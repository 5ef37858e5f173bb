#!/usr/bin/env bash
# The docs' minimal plugin (built by tests/docs/CMakeLists.txt) is listed,
# runs under `validate`, and gives every structure read its n_sites.
#   docs_plugin.sh MMSCORE_CLI PLUGIN_DIR INPUT
set -euo pipefail
cli=$1 dir=$2 input=$3
"$cli" plugins --plugin-dir "$dir" > "$dir/../plugins.txt"
grep -q "^mini 1.0.0 (scorer" "$dir/../plugins.txt"
"$cli" validate -q --plugin-dir "$dir" --records "$dir/../records.jsonl" "$input"
sites=$(grep -o '"n_sites":[0-9]*' "$dir/../records.jsonl" | cut -d: -f2 | tr '\n' ' ')
mini=$(grep -o '"mini_sites":[0-9]*' "$dir/../records.jsonl" | cut -d: -f2 | tr '\n' ' ')
n=$(wc -w <<< "$mini")
echo "docs_plugin: mini_sites on $n records"
[ "$n" -ge 10 ] && [ "$sites" = "$mini" ]
