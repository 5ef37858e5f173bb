"""The header and the first N records of a CSV (CIF columns span lines, so
`head` cannot cut one).  Usage: python3 csv_head.py N IN.csv OUT.csv"""
import csv
import sys

csv.field_size_limit(1 << 30)
n, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(src, newline="") as f, open(dst, "w", newline="") as g:
    w = csv.writer(g)
    for i, row in enumerate(csv.reader(f)):
        if i > n:
            break
        w.writerow(row)
