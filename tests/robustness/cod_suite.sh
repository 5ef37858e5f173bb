#!/bin/bash
# Every file of the COD CIF-parser conformance suite (github
# cod-developers/CIF-parsers, folder 1.1/tests) through the four commands of
# the robustness test, read as CIF: no signal, exit 0, one consistent record
# line per record.  The suite has no stated licence, so it is not copied into
# this repository: pass a checkout (or an extracted 1.1/tests folder).  Use an
# ASan+UBSan build (-DMMSCORE_SANITIZE=ON) to check for memory errors too.
# Usage: tests/robustness/cod_suite.sh BUILD_DIR CIF-PARSERS/1.1/tests
set -u
build=${1:?build dir}
suite=${2:?path to CIF-parsers/1.1/tests}
status=0
# The runner takes one flat folder; the suite's descriptions and expected
# outputs are not inputs.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in $(cd "$suite" && find . -type f ! -name '*.tsv' ! -name '*.md' ! -name '*.canon' \
                              ! -name runtests | sort); do
    cp "$suite/$f" "$work/$(echo "${f#./}" | tr / _)"
done
echo "$(ls "$work" | wc -l) files from $suite"
MMSCORE_ROBUSTNESS_DIR="$work" MMSCORE_ROBUSTNESS_FORMAT=cif \
    "$build/tests/robustness/test_robustness" || status=1
exit $status
