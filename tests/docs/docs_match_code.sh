#!/usr/bin/env bash
# The docs say what the code does, checked from the code's own tables:
#  1. every flag of `mmscore CMD --help` (the command's and the common ones)
#     is in docs/cli.md, and every --flag docs/cli.md names is one of those,
#     a plugin option, or one of the page's deliberate non-flags;
#  2. every diagnostic code emitted in plugins/ is a row of
#     docs/diagnostics.md with the severity the code gives it, and every row
#     is a code still emitted;
#  3. every per-record and summary value a plugin declares (`mmscore plugins
#     NAME`) is named, in backquotes, in that plugin's docs/metrics-*.md, and
#     so is every option (as `option_name` or as its --flag).
#   docs_match_code.sh MMSCORE_CLI SOURCE_DIR
set -uo pipefail
cli=$1 src=$2
docs=$src/docs
fail=0
bad() { echo "docs_match_code: $*"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. flags
"$cli" --help > "$tmp/help" || bad "mmscore --help failed"
sed -n '/^commands:/,/^$/p' "$tmp/help" | grep -oE '^  [a-z]+' | tr -d ' ' > "$tmp/cmds"
: > "$tmp/flags"
while read -r cmd; do
  "$cli" "$cmd" --help > "$tmp/h.$cmd" 2>/dev/null || bad "mmscore $cmd --help failed"
  sed -n '/^flags of /,/^$/p;/^common flags:/,/^$/p' "$tmp/h.$cmd" |
    grep -oE '^  --[a-z0-9-]+' | tr -d ' ' >> "$tmp/flags"
done < "$tmp/cmds"
sort -u -o "$tmp/flags" "$tmp/flags"
n_flags=$(wc -l < "$tmp/flags")
[ "$(wc -l < "$tmp/cmds")" -ge 10 ] && [ "$n_flags" -ge 30 ] ||
  bad "too few commands or flags read from --help (the help format changed?)"
while read -r f; do
  grep -qE -- "${f}([^a-z0-9-]|$)" "$docs/cli.md" || bad "$f (mmscore --help) is not in docs/cli.md"
done < "$tmp/flags"
"$cli" plugins > "$tmp/plugins" 2>/dev/null
grep -oE '^    --[a-z0-9-]+' "$tmp/plugins" | tr -d ' ' > "$tmp/options"
# Not flags: the typo in the "did you mean" example, placeholders, cmake's.
printf '%s\n' --symprc --name --some-option --install >> "$tmp/options"
grep -oE -- '--[a-z][a-z0-9-]*' "$docs/cli.md" | sort -u | while read -r f; do
  grep -qxF -- "$f" "$tmp/flags" "$tmp/options" ||
    echo "$f is in docs/cli.md but is no flag of any command nor a plugin option"
done > "$tmp/extra"
[ -s "$tmp/extra" ] && { sed 's/^/docs_match_code: /' "$tmp/extra"; fail=1; }

# 2. diagnostic codes: each mmsc_diag_add call's codes and severity
: > "$tmp/emitted"
for f in $(grep -rlE '"MMS[0-9]{3}"' "$src/plugins" --include='*.c'); do
  tr '\n' ' ' < "$f" | grep -oE 'mmsc_diag_add\([^;]*MMSC_SEV_[A-Z]+' |
    while read -r call; do
      sev=$(grep -oE 'MMSC_SEV_[A-Z]+$' <<< "$call" | sed 's/MMSC_SEV_//' | tr 'A-Z' 'a-z')
      grep -oE '"MMS[0-9]{3}"' <<< "$call" | tr -d '"' | sed "s/\$/ $sev/"
    done >> "$tmp/emitted"
  grep -oE '"MMS[0-9]{3}"' "$f" | tr -d '"' | sort -u | while read -r c; do
    grep -q "^$c " "$tmp/emitted" ||
      echo "docs_match_code: $c in ${f#"$src"/} is not emitted by an mmsc_diag_add call this check reads"
  done
done > "$tmp/unread"
[ -s "$tmp/unread" ] && { cat "$tmp/unread"; fail=1; }
sort -u -o "$tmp/emitted" "$tmp/emitted"
[ "$(wc -l < "$tmp/emitted")" -ge 15 ] || bad "too few diagnostic codes found in plugins/"
while read -r code sev; do
  grep -qE "^\| $code \| $sev \|" "$docs/diagnostics.md" ||
    bad "$code ($sev in the code) has no row '| $code | $sev |' in docs/diagnostics.md"
done < "$tmp/emitted"
grep -oE '^\| MMS[0-9]{3} ' "$docs/diagnostics.md" | tr -d '| ' | sort -u | while read -r code; do
  grep -q "^$code " "$tmp/emitted" || echo "docs_match_code: $code is in docs/diagnostics.md but no plugin emits it"
done > "$tmp/stale"
[ -s "$tmp/stale" ] && { cat "$tmp/stale"; fail=1; }

# 3. declared values against each plugin's page
declare -A page=([caption]=caption [choice]=choice [composition]=composition [coverage]=eval
  [distribution]=eval [fingerprint]=fingerprint [match]=match [csp]=match [stability]=stability
  [structure]=structure [sun]=sun [symmetry]=symmetry [validity]=validity)
n_vals=0
for p in $(grep -oE '^[a-z0-9_]+ [^ ]+ \(scorer' "$tmp/plugins" | cut -d' ' -f1); do
  if [ -z "${page[$p]:-}" ]; then
    bad "plugin $p has no docs/metrics-*.md in this check's map (tests/docs/docs_match_code.sh)"
    continue
  fi
  doc=$docs/metrics-${page[$p]}.md
  "$cli" plugins "$p" 2>/dev/null |
    awk '/^  [a-z]/ { sec = $1 } sec ~ /^(metrics|summary):$/ && /^    [A-Za-z0-9_]+ / { print $1 }' \
    > "$tmp/vals.$p"
  while read -r v; do
    n_vals=$((n_vals + 1))
    grep -qF "\`$v\`" "$doc" || bad "$p value $v is not named (\`$v\`) in ${doc#"$src"/}"
  done < "$tmp/vals.$p"
  "$cli" plugins "$p" 2>/dev/null |
    awk '/^  [a-z]/ { sec = $1 } sec == "options:" && /^    --/ { print $1 }' > "$tmp/opts.$p"
  while read -r f; do
    n_vals=$((n_vals + 1))
    o=${f#--} && o=${o//-/_}
    grep -qF "\`$o\`" "$doc" || grep -qE -- "${f}([^a-z0-9-]|$)" "$doc" ||
      bad "$p option $o is in ${doc#"$src"/} neither as \`$o\` nor as $f"
  done < "$tmp/opts.$p"
done
[ "$n_vals" -ge 20 ] || bad "only $n_vals plugin values read from mmscore plugins"

echo "docs_match_code: $n_flags flags, $(wc -l < "$tmp/emitted") diagnostic codes, $n_vals plugin values and options checked"
exit $fail
