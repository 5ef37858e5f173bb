#!/usr/bin/env python3
"""The screenshots of docs/report.md ("HTML report"): fixture runs'
reports, one section at a time, in headless Chromium, cropped to what is
drawn.  usage: python3 docs/img/screenshots.py BUILD_DIR [FIXTURES_DIR]
(FIXTURES_DIR: ../shared/fixtures by default)."""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(src, "tests", "report"))
from report_browser import chromium, decode  # noqa: E402


def png(path, w, rows, bpp):
    """RGB PNG; each row with the filter (None, Sub, Up) of the smallest sum,
    PNG's own heuristic."""
    raw, prev = bytearray(), bytes(w * 3)
    for line in rows:
        rgb = bytes(line) if bpp == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3)
        cands = [(0, rgb),
                 (1, bytes(rgb[:3]) + bytes((a - b) & 255 for a, b in zip(rgb[3:], rgb))),
                 (2, bytes((a - b) & 255 for a, b in zip(rgb, prev)))]
        f, body = min(cands, key=lambda c: sum(v if v < 128 else 256 - v for v in c[1]))
        raw.append(f)
        raw.extend(body)
        prev = rgb

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, len(rows), 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def shoot(tmp, report, show, out, width=960, height=2400):
    html = open(report, encoding="utf-8").read()
    hide = "section,nav,h1{display:none}" + ",".join(show) + "{display:block}"
    page = os.path.join(tmp, "one.html")
    open(page, "w", encoding="utf-8").write(html.replace("</head>", f"<style>{hide}</style></head>", 1))
    shot = os.path.join(tmp, "one.png")
    chromium("chromium", tmp, [f"--screenshot={shot}", f"--window-size={width},{height}"], "file://" + page)
    w, h, bpp, rows = decode(shot)
    last = max((y for y in range(h) if any(v < 245 for v in rows[y][:w * bpp])), default=0)
    rows = rows[:last + 16]
    png(out, w, rows, bpp)
    print(f"{out}: {w}x{len(rows)}, {os.path.getsize(out)} bytes")


def main():
    build = os.path.abspath(sys.argv[1])
    fx = sys.argv[2] if len(sys.argv) > 2 else "../shared/fixtures"  # relative to the source tree
    cli = os.path.join(build, "mmscore")
    tmp = tempfile.mkdtemp()
    env = dict(os.environ, SOURCE_DATE_EPOCH="1796601600")
    ev, va, su, ch, ca = (os.path.join(tmp, n + ".html")
                          for n in ("eval", "validate", "sun", "choice", "caption"))
    c = f"{fx}/crystals"
    run = lambda cmd, *a: subprocess.run([cli, cmd, "-q", *a], check=True, env=env, cwd=src)
    run("eval", "--ref", f"{c}/perov_5_test.csv", "--report", ev, f"{c}/perturbed.csv",
        "tests/data/pipeline/bad.csv")
    run("validate", "--symmetry", "--report", va, f"{c}/perturbed.csv")
    run("eval", "--novelty-ref", f"{fx}/stability/novelty_ref.csv", "--hull-ref",
        f"{fx}/stability/hull_ref.csv", "--report", su, f"{fx}/stability/sun_public.csv")
    run("qa", "choice", "--report", ch, f"{fx}/qa/choice.jsonl")
    run("qa", "caption", "--model-field", "kind", "--report", ca, f"{fx}/qa/captions.jsonl")
    shoot(tmp, ev, ["h1", "nav", "#run", "#headline"], os.path.join(here, "report-top.png"))
    shoot(tmp, ev, ["#sec-distributions"], os.path.join(here, "report-distributions.png"))
    shoot(tmp, va, ["#sec-distributions"], os.path.join(here, "report-symmetry.png"))
    # the examples table is long: its first rows show what it is
    shoot(tmp, ev, ["#sec-validity"], os.path.join(here, "report-validity.png"), height=1000)
    shoot(tmp, su, ["#sec-uniqueness-and-novelty"], os.path.join(here, "report-sun.png"))
    shoot(tmp, ev, ["#failed"], os.path.join(here, "report-failed.png"), height=700)
    shoot(tmp, ch, ["#headline", "#sec-accuracy"], os.path.join(here, "report-accuracy.png"))
    # eleven histograms: the first two show what they are
    shoot(tmp, ca, ["#sec-captions"], os.path.join(here, "report-captions.png"), height=900)


main()
