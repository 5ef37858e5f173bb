#!/usr/bin/env python3
"""The HTML report in a real browser (headless Chromium).

usage: report_browser.py CHROMIUM REPORT.html... (exit 77 when CHROMIUM is not there)

For each report:
- the page is loaded with --dump-dom and Chromium's log on stderr: no
  console message may appear (a control page with console.error first shows
  that this way of looking catches them), and every figure of the report's
  figure data is in the DOM Chromium built, an <svg> with drawn rects of
  non-zero size or a <table> with rows;
- every figure is then laid out in a band of its own on one page and the
  screenshot is read (PNG decoded with the standard library): each band must
  hold ink, and a chart's band pixels of the series colours (bars drawn).
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

BAND = 560
COLOURS = ["#4269d0", "#efb118", "#ff725c"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, w = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or inter:
                sys.exit(f"{path}: PNG kind {depth}/{ctype}/{inter} not read here")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows



def band_pixels(rows, w, bpp, y0, y1, colours):
    ink = colour = 0
    for y in range(y0, min(y1, len(rows))):
        line = rows[y]
        for x in range(0, w * bpp, bpp):
            r, g, b = line[x], line[x + 1], line[x + 2]
            if r < 245 or g < 245 or b < 245:
                ink += 1
                if any(abs(r - c[0]) < 24 and abs(g - c[1]) < 24 and abs(b - c[2]) < 24
                       for c in colours):
                    colour += 1
    return ink, colour


def chromium(exe, tmp, args, url):
    profile = tempfile.mkdtemp(dir=tmp)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"] + args + [url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    if p.returncode != 0:
        fail(f"chromium exited {p.returncode}: {p.stderr[-2000:]}")
    return p.stdout, p.stderr


def console_lines(stderr):
    return [l for l in stderr.splitlines() if ":CONSOLE" in l or "Uncaught" in l]


def main():
    exe = shutil.which(sys.argv[1])
    if not exe:
        print(f"SKIPPED: {sys.argv[1]} is not installed")
        sys.exit(77)
    tmp = tempfile.mkdtemp()
    try:
        control = os.path.join(tmp, "control.html")
        open(control, "w").write('<!DOCTYPE html><p>x</p><script>console.error("control")</script>')
        _, err = chromium(exe, tmp, ["--dump-dom"], "file://" + control)
        if not console_lines(err):
            fail("a console.error on a control page is not seen: console errors cannot be checked")
        total = 0
        for report in sys.argv[2:]:
            total += check(exe, tmp, os.path.abspath(report))
        if total < 8:
            fail(f"only {total} figures checked")
        print(f"ok: {total} figures present and drawn in Chromium, no console messages")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check(exe, tmp, report):
    html = open(report, encoding="utf-8").read()
    data = json.loads(re.search(r'<script type="application/json" id="mmscore-figures">(.*?)</script>',
                                html, re.S).group(1).replace("<\\/", "</"))
    figs = [(p["plugin"], f) for p in data["plugins"] for f in p.get("figures", [])]
    if not figs:
        fail(f"{report}: no figures")
    dom, err = chromium(exe, tmp, ["--dump-dom"], "file://" + report)
    if console_lines(err):
        fail(f"{report}: console messages: {console_lines(err)}")
    for plugin, f in figs:
        m = re.search(r'<figure id="fig-%s-%s"[^>]*>(.*?)</figure>' % (re.escape(plugin), re.escape(f["id"])),
                      dom, re.S)
        if not m:
            fail(f"{report}: figure {plugin}/{f['id']} is not in the DOM")
        body = m.group(1)
        if f["kind"] == "table":
            if f["rows"] and body.count("<tr>") < len(f["rows"]) + 1:
                fail(f"{report}: table {plugin}/{f['id']} lost rows")
            continue
        rects = re.findall(r'<rect x="[^"]*" y="[^"]*" width="([^"]*)" height="([^"]*)"', body)
        if "<svg" not in body or not any(float(w) > 0 and float(h) > 0 for w, h in rects):
            fail(f"{report}: figure {plugin}/{f['id']} has no drawn bar")
    # Each figure in a band of its own, one screenshot.
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    blocks = re.findall(r'<figure id="fig-.*?</figure>', html, re.S)
    if len(blocks) != len(figs):
        fail(f"{report}: {len(figs)} figures in the data, {len(blocks)} on the page")
    page = ["<!DOCTYPE html><html><head><meta charset='utf-8'><style>", style,
            "body{margin:0;max-width:none}.band{position:absolute;left:0;width:1000px;"
            f"height:{BAND - 10}px;overflow:hidden;padding:0 8px}}</style></head><body>"]
    for i, b in enumerate(blocks):
        page.append(f'<div class="band" style="top:{i * BAND}px">{b}</div>')
    page.append("</body></html>")
    grid = os.path.join(tmp, "grid.html")
    open(grid, "w", encoding="utf-8").write("".join(page))
    shot = os.path.join(tmp, "grid.png")
    _, err = chromium(exe, tmp, [f"--screenshot={shot}", f"--window-size=1016,{BAND * len(blocks)}"],
                      "file://" + grid)
    if console_lines(err):
        fail(f"{report}: console messages on the figures page: {console_lines(err)}")
    w, h, bpp, rows = decode(shot)
    if h < BAND * len(blocks):
        fail(f"{report}: screenshot {w}x{h} is smaller than the page")
    cols = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in COLOURS]
    by_id = {f"fig-{plugin}-{f['id']}": (plugin, f) for plugin, f in figs}
    for i, b in enumerate(blocks):
        plugin, f = by_id[re.match(r'<figure id="([^"]*)"', b).group(1)]
        ink, colour = band_pixels(rows, w, bpp, i * BAND, (i + 1) * BAND, cols)
        if ink < 500:
            fail(f"{report}: figure {plugin}/{f['id']} is blank in the screenshot ({ink} pixels)")
        if f["kind"] != "table" and colour < 30:
            fail(f"{report}: figure {plugin}/{f['id']} shows no bars ({colour} coloured pixels)")
    return len(figs)


if __name__ == "__main__":
    main()
