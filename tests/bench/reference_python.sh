#!/usr/bin/env bash
# Prints a python3 that has pymatgen 2022.11.7 (Debian python3-pymatgen, the
# version the reference ran), the interpreter reference_proxy.py needs;
# exits 1 when there is none.
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import importlib.metadata as m, sys; sys.exit(m.version("pymatgen") != "2022.11.7")' \
      2> /dev/null; then
    echo "$p"
    exit 0
  fi
done
exit 1
