#!/usr/bin/python3
"""mms_read_cif against pymatgen itself on any CIF files.

    /usr/bin/python3 tests/core_cif/pymatgen_parity.py BUILD_DIR FILE.cif...

Needs Debian's python3-pymatgen (2022.11.7).  Reads each file with
Structure.from_str(text, fmt="cif") (the reference's call), writes what it read to a temporary
ref.jsonl (parse_ok, parsed_n_sites, parsed_formula, volume, density) and runs
BUILD_DIR/tests/core_cif/compare_full --folder on it, which prints the disagreements and the
agreement row.  E.g. on all 92 CIFs of Debian's pymatgen-test-files:
    pymatgen_parity.py build $(dpkg -L pymatgen-test-files | grep -E '\\.m?cif$')"""
import json, os, subprocess, sys, tempfile, warnings

warnings.filterwarnings("ignore")
from pymatgen.core import Structure

build, files = sys.argv[1], sys.argv[2:]
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as ref:
    for fn in files:
        line = {"file": os.path.abspath(fn)}
        try:
            s = Structure.from_str(open(fn, errors="replace").read(), fmt="cif")
            line.update(parse_ok=True, parsed_n_sites=len(s),
                        parsed_formula=s.composition.reduced_formula, volume=s.volume,
                        density=s.density if s.volume >= 0.1 else None)
        except Exception as e:
            line.update(parse_ok=False, parse_error=f"{type(e).__name__}: {e}"[:200])
        ref.write(json.dumps(line) + "\n")
subprocess.run([os.path.join(build, "tests/core_cif/compare_full"), "--folder", "", ref.name],
               check=True)
os.unlink(ref.name)
