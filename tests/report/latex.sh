#!/bin/sh
# mmscore table --format latex compiles in a document with booktabs.
# usage: latex.sh MMSCORE TEST_DATA; exit 77 (skipped) without pdflatex.
set -eu
cli=$1 data=$2
command -v pdflatex >/dev/null 2>&1 || { echo "SKIPPED: pdflatex is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cli" eval -q --json --ref "$data/readers/perov_5_test.csv" "$data/readers/perov_5_val.csv" >"$tmp/val.json"
"$cli" validate -q --json "$data/readers/carbon_24_test.csv" >"$tmp/carbon_24.json"
"$cli" table --format latex --label 'perov_5 val & 100%' "$tmp/val.json" --label carbon_24 "$tmp/carbon_24.json" >"$tmp/table.tex"
cat >"$tmp/paper.tex" <<'TEX'
\documentclass{article}
\usepackage{booktabs}
\begin{document}
\input{table.tex}
\end{document}
TEX
(cd "$tmp" && pdflatex -interaction=nonstopmode -halt-on-error paper.tex >paper.out 2>&1) || {
    cat "$tmp/paper.out"; echo "FAIL: the table does not compile"; exit 1; }
test -s "$tmp/paper.pdf" || { echo "FAIL: no PDF"; exit 1; }
echo "ok: the LaTeX table compiles"
