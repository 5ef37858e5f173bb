#!/usr/bin/env python3
"""Checks an HTML report's figures against the records file of the same run.

usage: report_check.py REPORT.html RECORDS.jsonl MIN_RECORDS [--allow-plugin-errors]
                       [--model-field NAME]   (caption's model_field, default model)
       report_check.py --same A.html B.html      (figure data equal: sharded vs single)

The figure data are read from the report's <script type="application/json"
id="mmscore-figures"> block (data, never run); every histogram, bar chart and
example table a crystal plugin drew is recounted from the records and must
agree exactly; so does every QA figure (choice's accuracy per model,
subject, category and source and its parsed/unparsed replies, caption's
histograms per model).  Exit 1 with what differs; at least MIN_RECORDS structures
must have been compared, so a run that drew nothing cannot pass."""
import bisect
import collections
import json
import re
import sys


def figures(path):
    html = open(path, encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="mmscore-figures">(.*?)</script>', html, re.S)
    if not m:
        sys.exit(f"FAIL: {path}: no figure data block")
    return html, json.loads(m.group(1).replace("<\\/", "</"))


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def cut(text, n=300):
    """Text as the report keeps it: at most n bytes, never half a character."""
    return text.encode("utf-8")[:n].decode("utf-8", "ignore")


def series_of(rec):
    return {"reference": "reference", "train": None}.get(rec["set"], "generated")


def check_histogram(fig, values):
    """values: {series: [x...]}; bins [e_i, e_{i+1}), the last closed."""
    edges = fig["edges"]
    drawn = {s["name"]: s["values"] for s in fig["series"]}
    outside = 0
    for name, xs in values.items():
        counts = [0] * (len(edges) - 1)
        for x in xs:
            if x < edges[0] or x > edges[-1]:
                outside += 1
                continue
            i = min(bisect.bisect_right(edges, x) - 1, len(counts) - 1)
            counts[i] += 1
        if sum(counts) == 0 and name not in drawn:
            continue
        if drawn.get(name) != counts:
            fail(f"histogram {fig['id']} series {name}: drawn {drawn.get(name)}, records give {counts}")
    if outside and "not drawn" not in fig.get("caption", ""):
        fail(f"histogram {fig['id']}: {outside} values outside the edges and the caption does not say so")


def check_bars(fig, values, key=lambda c: c):
    drawn = {s["name"]: s["values"] for s in fig["series"]}
    cats = [key(c) for c in fig["categories"]]
    for name, xs in values.items():
        c = collections.Counter(xs)
        want = [c.get(k, 0) for k in cats]
        if sum(want) == 0 and name not in drawn:
            continue
        if drawn.get(name) != want:
            fail(f"bars {fig['id']} series {name}: drawn {drawn.get(name)}, records give {want}")
        missing = set(c) - set(cats)
        if missing:
            fail(f"bars {fig['id']} series {name}: records have {sorted(missing)}, not drawn")


def check_diagnostics(plugin, figs, recs, key):
    per = collections.Counter()
    examples = collections.defaultdict(list)
    for r in recs:
        if series_of(r) != "generated":
            continue  # a reference set's diagnostics are not drawn
        seen_code, seen = set(), set()
        for d in r.get(key) or []:
            if (d["code"], d["severity"]) not in seen:
                seen.add((d["code"], d["severity"]))
                per[(d["code"], d["severity"])] += 1
            if d["code"] not in seen_code:
                seen_code.add(d["code"])
                if len(examples[d["code"]]) < 5:
                    examples[d["code"]].append([d["code"], d["severity"], cut(r["source"]),
                                                cut(r["id"]), r["line"], cut(d["message"])])
    if not per:
        return 0
    bars = figs.get(f"{key}_codes" if key != "diagnostics" else "diagnostics_codes")
    if not bars:
        fail(f"{plugin}: records carry {key} but no figure counts them")
    for s in bars["series"]:
        for code, v in zip(bars["categories"], s["values"]):
            if per.get((code, s["name"]), 0) != v:
                fail(f"{plugin} {bars['id']}: {code} {s['name']} drawn {v}, records {per.get((code, s['name']), 0)}")
    if sum(sum(s["values"]) for s in bars["series"]) != sum(per.values()):
        fail(f"{plugin} {bars['id']}: drawn counts do not add up to the records'")
    table = figs[bars["id"].replace("_codes", "_examples")]
    want = [row for code in sorted(examples) for row in examples[code]]
    if table["rows"] != want:
        fail(f"{plugin}: example table differs from the first records of each code")
    return sum(per.values())


def failed_examples(recs):
    """Records that did not read: the first 5 of each code, in input order."""
    want = collections.defaultdict(list)
    for r in recs:
        if not r["ok"] and len(want[r["error"]["code"]]) < 5:
            want[r["error"]["code"]].append({"source": cut(r["source"]), "id": cut(r["id"]),
                                             "line": r["error"]["line"],
                                             "message": cut(r["error"]["message"])})
    return dict(want)


def plugin_failed(rec, plugin):
    return not rec["ok"] or plugin in (rec.get("plugin_errors") or {})


def field_key(v):
    """A breakdown/series key as the QA plugins make it from a field."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return "%.17g" % v
    return None


def check_choice(figs, recs):
    """Accuracy per model/subject/category/source and the parsed/unparsed
    replies, recounted from the records' pred and correct; returns the
    records compared."""
    ok = [r for r in recs if not plugin_failed(r, "choice")]
    invalid = sum(1 for r in recs if r["ok"] and plugin_failed(r, "choice"))
    drawn_dims = 0
    for dim in ("model", "subject", "category", "source"):
        fig = figs.get(f"accuracy_by_{dim}")
        tallies = collections.defaultdict(lambda: [0, 0, 0])  # n, parsed, correct
        field = None
        if fig:
            field = re.search(r'per value of the field "(.*?)"', fig["caption"]).group(1)
        else:
            field = dim  # the default field names
        for r in ok:
            k = field_key((r.get("fields") or {}).get(field))
            if k is None:
                continue
            t = tallies[k]
            t[0] += 1
            t[1] += r["pred"] is not None
            t[2] += r["correct"] is True
        if not fig:
            if tallies:
                fail(f"choice: records have the field {field} but no accuracy_by_{dim} figure")
            continue
        drawn_dims += 1
        mmsci = "mmsci extractor" in fig["caption"]
        den = {k: (t[1] if mmsci else t[0]) for k, t in tallies.items()}
        keys = [k for k in tallies if den[k]]
        undefined = len(tallies) - len(keys)
        if len(keys) > 100:
            keys = sorted(keys, key=lambda k: (-tallies[k][0], k.encode()))[:100]
        keys.sort(key=lambda k: k.encode())
        want = [100.0 * (tallies[k][2] / den[k]) for k in keys]
        if fig["categories"] != keys:
            fail(f"choice {fig['id']}: categories {fig['categories']}, records give {keys}")
        got = fig["series"][0]["values"]
        if len(fig["series"]) != 1 or got != want:
            fail(f"choice {fig['id']}: drawn {got}, records give {want}")
        if undefined and f" {undefined} " not in fig["caption"]:
            fail(f"choice {fig['id']}: {undefined} values without an accuracy, the caption does not say")
    # parsed and unparsed replies per model
    fig = figs["answers"]
    by_model = collections.defaultdict(lambda: [0, 0])
    for r in ok:
        k = field_key((r.get("fields") or {}).get("model"))
        if "accuracy_by_model" in figs:
            if k is None:
                continue
        else:
            k = "all records"
        by_model[k][0] += r["pred"] is not None
        by_model[k][1] += r["pred"] is None
    keys = sorted(by_model, key=lambda k: (-sum(by_model[k]), k.encode()))[:100]
    keys.sort(key=lambda k: k.encode())
    drawn = {s["name"]: s["values"] for s in fig["series"]}
    want = {"parsed": [by_model[k][0] for k in keys], "unparsed": [by_model[k][1] for k in keys]}
    if fig["categories"] != keys or drawn != want:
        fail(f"choice answers: drawn {fig['categories']} {drawn}, records give {keys} {want}")
    if f"; {invalid} record" not in fig["caption"]:
        fail(f"choice answers: the caption does not give the {invalid} records that could not be read")
    if not drawn_dims:
        fail("choice: no accuracy figure")
    return len(ok)


CAPTION_METRICS = ["bleu", "bleu_precision_1", "bleu_precision_2", "bleu_precision_3",
                   "bleu_precision_4", "rouge1", "rouge2", "rougeL", "rougeLsum", "meteor",
                   "sacrebleu"]


def check_caption(figs, recs, model_field):
    """Each metric's histogram, a series per model (the first 7 of more than
    8 named, the rest "other models"), recounted from the per-record values."""
    pairs = [r for r in recs if not plugin_failed(r, "caption")]
    failed = sum(1 for r in recs if r["ok"] and plugin_failed(r, "caption"))
    scored = [r for r in pairs if r["empty_candidate"] is False]
    models = []  # first-seen order; the accumulator keeps 16 apart
    for r in scored:
        k = field_key((r.get("fields") or {}).get(model_field)) or ""
        if k not in models:
            models.append(k)
    own, rest = models[:16], models[16:]
    series = own + (["other models"] if rest else [])
    if len(series) > 8:
        own, series = own[:7], own[:7] + ["other models"]
    def name(k):
        if k in own:
            return k if k else ("all pairs" if len(models) == 1 else "(no model field)")
        return "other models"
    names = [name(k) if k != "other models" else k for k in series] or ["all pairs"]
    for metric in CAPTION_METRICS:
        fig = figs.get("hist_" + metric.lower())
        if not fig:
            fail(f"caption: no histogram of {metric}")
        edges = fig["edges"]
        counts = {n: [0] * (len(edges) - 1) for n in names}
        undefined = outside = 0
        for r in scored:
            x = r[metric]
            if x is None:
                undefined += 1
                continue
            if edges[0] <= x <= edges[-1]:
                i = min(bisect.bisect_right(edges, x) - 1, len(edges) - 2)
            elif edges[-1] < x <= edges[-1] * (1 + 1e-9):
                i = len(edges) - 2  # sacreBLEU's 100.00000000000004
            else:
                outside += 1
                continue
            counts[name(field_key((r.get("fields") or {}).get(model_field)) or "")][i] += 1
        drawn = {s["name"]: s["values"] for s in fig["series"]}
        if [s["name"] for s in fig["series"]] != names or drawn != counts:
            fail(f"caption {fig['id']}: drawn {drawn}, records give {counts}")
        cap = fig["caption"]
        if not cap.startswith(f"The {len(scored)} pairs with a non-empty candidate") or \
                f"; {len(pairs) - len(scored)} pair" not in cap or f"and {failed} that could not" not in cap:
            fail(f"caption {fig['id']}: the caption's counts differ from the records': {cap}")
        if undefined and f" {undefined} pair" not in cap:
            fail(f"caption {fig['id']}: {undefined} undefined values, the caption does not say")
        if outside:
            fail(f"caption {fig['id']}: {outside} values outside the edges")
    return len(scored)


def check_qa(data, plugins, recs, minimum):
    n = 0
    if "choice" in plugins:
        n = check_choice(plugins["choice"], recs)
    if "caption" in plugins:
        field = sys.argv[sys.argv.index("--model-field") + 1] if "--model-field" in sys.argv else "model"
        n = check_caption(plugins["caption"], recs, field)
    want = failed_examples(recs)
    if want != data["failed_records"]:
        fail(f"failed records: report {data['failed_records']}, records {want}")
    if n < minimum:
        fail(f"only {n} QA records compared (at least {minimum} expected)")
    print(f"ok: {n} QA records agree with the figures of {', '.join(sorted(plugins))}")


def main():
    if sys.argv[1] == "--same":
        a, b = figures(sys.argv[2])[1], figures(sys.argv[3])[1]
        if a != b:
            fail(f"figure data of {sys.argv[2]} and {sys.argv[3]} differ")
        n = sum(len(p.get("figures", [])) for p in a["plugins"])
        if n < 3:
            fail(f"only {n} figures compared")
        print(f"ok: {n} figures and the failed records are the same")
        return
    html, data = figures(sys.argv[1])
    recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    minimum = int(sys.argv[3])
    # Self-contained: nothing fetched, nothing run.
    for bad in (r"<script(?![^>]*application/json)", r"\bsrc=", r"<link", r"@import", r"url\("):
        if re.search(bad, html):
            fail(f"the page has {bad}: not self-contained or runs a script")
    plugins = {p["plugin"]: {f["id"]: f for f in p.get("figures", [])} for p in data["plugins"]}
    errors = [p for p in data["plugins"] if "error" in p]
    if errors and "--allow-plugin-errors" not in sys.argv:
        fail(f"plugins failed to give figures: {errors}")
    if "structure" not in plugins and ("choice" in plugins or "caption" in plugins):
        check_qa(data, plugins, recs, minimum)
        return
    read = [r for r in recs if r["ok"] and series_of(r)]
    by = collections.defaultdict(lambda: collections.defaultdict(list))
    for r in read:
        s = series_of(r)
        by["n_sites"][s].append(r["n_sites"])
        by["n_elements"][s].append(str(len(r["elements"])))
        if r.get("density") is not None:
            by["density"][s].append(r["density"])
        if "sg_number" in r:
            by["space_group"][s].append(r["sg_number"])
            if r.get("crystal_system"):
                by["crystal_system"][s].append(r["crystal_system"])
    st = plugins.get("structure")
    if not st:
        fail("no structure figures")
    check_histogram(st["n_sites"], by["n_sites"])
    check_histogram(st["density"], by["density"])
    check_bars(st["n_elements"], by["n_elements"])
    ndiag = check_diagnostics("structure", st, recs, "diagnostics")
    if "symmetry" in plugins:
        sy = plugins["symmetry"]
        sg = {s: [x for x in v if x is not None] for s, v in by["space_group"].items()}
        check_bars(sy["space_group"], sg, key=lambda c: int(c.split()[0]))
        check_bars(sy["crystal_system"], by["crystal_system"])
        ndiag += check_diagnostics("symmetry", sy, recs, "symmetry_diagnostics")
    if "distribution" in plugins:
        # wdist's two samples: valid generated crystals with fingerprints, every
        # reference crystal basic_eval counts (no sampling in these runs).
        wd = collections.defaultdict(lambda: collections.defaultdict(list))
        for r in recs:
            s = series_of(r)
            if not s or not r["ok"] or r.get("basic_eval_counted") is not True:
                continue
            if s == "generated" and not (r.get("valid") is True and r.get("fp_status", "ok") == "ok"):
                continue
            if r.get("density") is not None:
                wd["density"][s].append(r["density"])
            wd["nelems"][s].append(str(r["n_elements"]))
        di = plugins["distribution"]
        check_histogram(di["wdist_density"], wd["density"])
        check_bars(di["wdist_num_elems"], wd["nelems"])
        n = sum(map(len, wd["nelems"].values()))
        if n < minimum:
            fail(f"only {n} crystals in wdist's samples")
    if "validity" in plugins:
        gen = [r for r in recs if series_of(r) == "generated"]
        counted = [r for r in gen if r.get("valid_counted") is True]
        want = {"records": len(gen), "read": sum(r["ok"] for r in gen), "counted": len(counted),
                "struct valid": sum(r.get("struct_valid") is True for r in counted),
                "comp valid": sum(r.get("comp_valid") is True for r in counted),
                "valid": sum(r.get("valid") is True for r in counted)}
        fig = plugins["validity"]["validity"]
        got = dict(zip(fig["categories"], fig["series"][0]["values"]))
        if got != want:
            fail(f"validity counts: drawn {got}, records {want}")
    if "sun" in plugins:
        gen = [r for r in recs if series_of(r) == "generated"]
        want = {"structures": len(gen),
                "unique": sum(r.get("unique") is True for r in gen),
                "novel": sum(r.get("novel") is True for r in gen),
                "unique and novel": sum(r.get("unique") is True and r.get("novel") is True for r in gen),
                "stable": sum(r.get("stable") is True for r in gen),
                "S.U.N.": sum(r.get("sun") is True for r in gen),
                "failed": sum(r.get("unique") is None for r in gen)}
        fig = plugins["sun"]["sun"]
        got = dict(zip(fig["categories"], fig["series"][0]["values"]))
        for k, v in got.items():
            if want[k] != v:
                fail(f"sun breakdown {k}: drawn {v}, records {want[k]}")
        if len(gen) < minimum:
            fail(f"only {len(gen)} generated records for the S.U.N. breakdown")
    want = failed_examples(recs)
    if want != data["failed_records"]:
        fail(f"failed records: report {data['failed_records']}, records {want}")
    for series in ("generated", "reference"):
        n = len(by["n_sites"].get(series, []))
        if n and n < minimum:
            fail(f"only {n} {series} structures compared (at least {minimum} expected)")
    if len(read) < minimum:
        fail(f"only {len(read)} structures compared")
    print(f"ok: {len(read)} structures, {sum(map(len, want.values()))} failed records and "
          f"{ndiag} record diagnostics agree with the figures")


main()
