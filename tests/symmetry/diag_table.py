#!/usr/bin/env python3
"""How often each diagnostic code fires, per fixture set, from `--records` files.

    diag_table.py [--check] LABEL:RECORDS_AFTER[:RECORDS_BEFORE] ...

Prints a Markdown table: one row per (code, severity), one column per set,
each cell the share of the set's records carrying that code (a record counts
once however many times the code fires in it), "before → after" when a
before file is given.  Rows "any warning" and "any error" count records with
at least one diagnostic of that severity.  With --check, also exits 1 unless
every before/after pair holds the same records once the two diagnostics
arrays (`diagnostics`, `symmetry_diagnostics`) are left out: a change of
severities must not change a value.  Used by tests/symmetry/diag_table.sh;
the table is in docs/diagnostics.md.
"""
import json
import sys

KEYS = ("diagnostics", "symmetry_diagnostics")
ORDER = {"error": 0, "warning": 1, "info": 2}


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def count(records):
    c = {}
    for r in records:
        seen = set()
        for k in KEYS:
            for d in r.get(k) or []:
                seen.add((d["code"], d["severity"]))
        for sev in ("warning", "error"):
            if any(s == sev for _, s in seen):
                seen.add(("any " + sev, sev))
        for key in seen:
            c[key] = c.get(key, 0) + 1
    return c


def without_diagnostics(r):
    return {k: v for k, v in r.items() if k not in KEYS}


def pct(n, total):
    if n == 0:
        return "0"
    return "%.1f%%" % (100.0 * n / total) if 100.0 * n / total >= 0.05 else "<0.1%"


def main(argv):
    check = "--check" in argv
    specs = [a for a in argv if a != "--check"]
    if not specs:
        sys.exit(__doc__)
    sets, bad = [], 0
    for spec in specs:
        label, after, *before = spec.split(":")
        new = load(after)
        old = load(before[0]) if before else None
        if old is not None and check:
            if len(old) != len(new):
                print("%s: %d records before, %d after" % (label, len(old), len(new)),
                      file=sys.stderr)
                bad += 1
            else:
                n_diff = sum(without_diagnostics(a) != without_diagnostics(b)
                             for a, b in zip(old, new))
                if n_diff:
                    print("%s: %d records differ outside the diagnostics" % (label, n_diff),
                          file=sys.stderr)
                    bad += 1
        sets.append((label, len(new), count(new), count(old) if old is not None else None))
    if not all(n for _, n, _, _ in sets):
        print("diag_table: a set has no records", file=sys.stderr)
        return 1
    rows = set()
    for _, _, a, b in sets:
        rows |= set(a) | set(b or {})
    any_rows = sorted(r for r in rows if r[0].startswith("any "))
    code_rows = sorted((r for r in rows if not r[0].startswith("any ")),
                       key=lambda r: (r[0], ORDER[r[1]]))
    print("| code | severity | " + " | ".join("%s (%d)" % (l, n) for l, n, _, _ in sets) + " |")
    print("|---|---|" + "---|" * len(sets))
    for code, sev in any_rows + code_rows:
        cells = []
        for _, n, a, b in sets:
            now = pct(a.get((code, sev), 0), n)
            cells.append(now if b is None else "%s → %s" % (pct(b.get((code, sev), 0), n), now))
        print("| %s | %s | %s |" % (code, sev, " | ".join(cells)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
