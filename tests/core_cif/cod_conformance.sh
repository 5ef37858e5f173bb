#!/bin/bash
# Run every file of the COD CIF-parser conformance suite (github
# cod-developers/CIF-parsers, folder 1.1/tests) through the readers; build
# with -DMMSCORE_SANITIZE=ON to check for crashes under ASan/UBSan.  The
# suite is not copied into this repository (mixed licences): pass a checkout.
# Usage: tests/core_cif/cod_conformance.sh BUILD_DIR CIF-PARSERS/1.1/tests
build=${1:?build dir}
suite=${2:?path to CIF-parsers/1.1/tests}
find "$suite" -type f ! -name '*.tsv' ! -name '*.md' ! -name '*.canon' ! -name runtests \
    -print0 | sort -z | xargs -0 "$build/tests/core_cif/read_files"
