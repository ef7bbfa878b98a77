"""What the benchmark prints and writes: medians, ratios, shares of the limit, fidelity
against the Python output, the targets' verdicts, results.csv and runs.csv."""

from __future__ import annotations

import csv
import os
import sys

from .._tables import fmt, text_table
from .rows import SPECS, TARGETS

NOTES = (
    "seconds: end-to-end wall time (start-up included), median; +-%: half the "
    "range of the runs over the median;\nx python: python's seconds / the row's (in parentheses "
    "when the row is measured against another row); cpu s: user+system CPU seconds of the whole run "
    "(median); x py cpu: the same baseline's cpu s / the row's\n(steadier than wall time when the "
    "machine is shared; the targets use wall time);\n"
    "internal: the program's own timing; % of limit: internal "
    "images/s over the decode-only loop's (* end-to-end basis);\nmax|d| mean|d| =%: /images "
    "against the Python baseline's output (grey levels; imagenet: normalized units) "
    "and the share of equal values;\n(rows in parentheses): the other imgshard layouts; "
    "targets are judged as users launch imgshard (mpirun -np N) and on its best layout;\n"
    "writer-ranks / writer-root: mpirun -np 2, every rank writes its own rows (--writer ranks, "
    "the default) against rank 0 writing every row (--writer root).")


def ratio_text(t):
    """A target's ratio as printed: 3.0, or 0.95 (a 'no loss' target needs its second digit)."""
    return f"{t.ratio:.{2 if t.ratio < 1 else 1}f}"


def compare_outputs(rows, byname):
    """Max and mean |difference| of /images against the matching Python output, the images
    imgshard failed, and the share of equal values; a block of images at a time."""
    try:
        import h5py
        import numpy as np
    except ImportError:
        return {}
    res = {}
    for row in rows:
        if not row.spec.compare or not row.output or not os.path.exists(row.output):
            continue
        ref_row = byname.get(row.spec.compare)
        if not ref_row or not ref_row.output or not os.path.exists(ref_row.output):
            continue
        try:
            with h5py.File(ref_row.output, "r") as fr, h5py.File(row.output, "r") as f:
                ref, x = fr["images"], f["images"]
                status = f["status"][()] if "status" in f else None
                if x.shape != ref.shape:
                    res[(row.name, row.layout)] = (f"shape {x.shape} != {ref.shape}", None)
                    continue
                dmax, dsum, equal = 0.0, 0.0, 0
                for i in range(0, x.shape[0], 256):
                    d = np.abs(x[i:i + 256].astype(np.float64) - ref[i:i + 256].astype(np.float64))
                    dmax = max(dmax, float(d.max()))
                    dsum += float(d.sum())
                    equal += int((d == 0).sum())
                values = int(np.prod(x.shape))
            bad = int((status != 0).sum()) if status is not None else 0
            res[(row.name, row.layout)] = (dmax, dsum / values, bad, equal / values)
        except Exception as e:  # noqa: BLE001 (report, don't crash the benchmark)
            res[(row.name, row.layout)] = (f"cannot compare: {e}", None)
    return res


def summarize(rows):
    """One result per (name, layout); the fastest layout of each name is its row (best)."""
    results = []
    for row in rows:
        wall = row.median("wall")
        internal = row.median("internal")
        walls_ok = [r.wall for r in row.ok_runs()]
        spread = ((max(walls_ok) - min(walls_ok)) / 2 / wall) if (wall and len(walls_ok) > 1) else None
        rss = max((r.rss_mb for r in row.ok_runs()), default=None)
        results.append(dict(name=row.name, group=row.group, layout=row.layout, images=row.images,
                            runs=len(row.ok_runs()), wall=wall, internal=internal, rss=rss,
                            spread=spread, cpu=row.median("cpu"),
                            walls=[r.wall for r in row.runs], errors=row.errors,
                            cmd=" ".join(row.cmd), best=False, launched=row.launched))
    for name in {r["name"] for r in results}:
        cands = [r for r in results if r["name"] == name]
        timed = [r for r in cands if r["wall"] is not None]
        if len(cands) == 1:
            cands[0]["best"] = True
        elif timed:
            min(timed, key=lambda r: r["wall"])["best"] = True
    return results


def compute_ratios(results):
    """x baseline (wall and cpu), and the share of the limit: internal images/s over the
    limit row's, on the end-to-end basis when either lacks an internal time."""
    for r in results:
        r["ips"] = r["images"] / r["wall"] if r["wall"] else None
        r["internal_ips"] = r["images"] / r["internal"] if r["internal"] else None
    main = {r["name"]: r for r in results if r["best"]}
    for r in results:
        spec = SPECS.get(r["name"])
        base = main.get(spec.baseline) if spec and spec.baseline else None
        r["vs"] = base["name"] if base else None
        r["ratio"] = (base["wall"] / r["wall"]) if (base and base["wall"] and r["wall"]) else None
        r["cpu_ratio"] = (base["cpu"] / r["cpu"]) if (base and base["cpu"] and r["cpu"]) else None
        lim = main.get(spec.limit) if spec and spec.limit else None
        r["limit"] = lim["name"] if lim else None
        if lim and r["internal_ips"] and lim["internal_ips"]:
            r["share"], r["share_basis"] = r["internal_ips"] / lim["internal_ips"], "internal"
        elif lim and r["ips"] and lim["ips"]:
            r["share"], r["share_basis"] = r["ips"] / lim["ips"], "end-to-end"
        else:
            r["share"], r["share_basis"] = None, None


def verdicts(results):
    """Each target, judged on the launch users make and on the best layout (once, when the
    row has one layout)."""
    main = {r["name"]: r for r in results if r["best"]}
    launched = {r["name"]: r for r in results if r.get("launched")}
    lines = []
    all_ok = True
    for name, t in TARGETS.items():
        spec = SPECS[name]
        several = spec.layouts is not None and len(spec.layouts(2)) > 1   # as declared, measured or not
        picks = (("as launched", launched), ("best layout", main)) if several else (("", main),)
        for label, pick in picks:
            r = pick.get(name)
            parts = []
            head = f"  {name:18s} {label}".rstrip()
            if not r or r["wall"] is None:
                lines.append(f"{head}: not measured")
                all_ok = False
                continue
            ok = judge(parts, r["ratio"], t.ratio, f"{r['ratio'] or 0:.2f}x {spec.baseline}",
                       f"{ratio_text(t)}x", f"x {spec.baseline}")
            if t.share:
                share = r["share"] if r["limit"] == spec.limit else None
                ok &= judge(parts, share, t.share, f"{100 * (share or 0):.0f}% of {spec.limit}",
                            f"{100 * t.share:.0f}%", f"% of {spec.limit}")
            all_ok &= ok
            lines.append(f"{head} [{r['layout']}]: " + "; ".join(parts))
    return lines, all_ok


def judge(parts, value, target, measured, wanted, what):
    """Appends one verdict to `parts` ("MEASURED (target >= WANTED) PASS|FAIL", or "WHAT: not
    measured" when value is None) and returns whether it met the target."""
    if value is None:
        parts.append(f"{what}: not measured")
        return False
    good = value >= target
    parts.append(f"{measured} (target >= {wanted}) {'PASS' if good else 'FAIL'}")
    return good


def table_lines(results, fidelity):
    hdr = ["row", "layout", "seconds", "+-%", "images/s", "x python", "internal s", "int. img/s",
           "% of limit", "cpu s", "x py cpu", "peak MB", "max|d| mean|d| =%", "target"]
    lines = []
    for r in results:
        name = r["name"] if r["best"] else f"  ({r['name']})"
        t = TARGETS.get(r["name"])
        target = ""
        if t and r["best"]:
            target = f">= {ratio_text(t)}x" + (f", >= {100 * t.share:.0f}%" if t.share else "")
        fid = fidelity.get((r["name"], r["layout"]))
        if fid is None:
            fid_s = ""
        elif fid[1] is None:
            fid_s = str(fid[0])[:30]
        else:
            fid_s = (f"{fid[0]:.3g} {fid[1]:.3g} {100 * fid[3]:.2f}%"
                     + (f" ({fid[2]} bad)" if fid[2] else ""))
        ratio = fmt(r["ratio"], ".2f")
        if ratio != "-" and r["vs"] and r["vs"] != "python":
            ratio += f" ({r['vs'].replace('python-', '')})"
        share = fmt(100 * r["share"], ".0f") + "%" if r["share"] is not None else "-"
        if r["share"] is not None and r["share_basis"] != "internal":
            share += "*"
        if r["limit"] == r["name"]:
            share = "(limit)"
        err = f"  FAILED: {r['errors'][0][:60]}" if r["errors"] and not r["runs"] else ""
        spread = fmt(100 * r["spread"], ".0f") if r["spread"] is not None else "-"
        lines.append([name, r["layout"], fmt(r["wall"], ".2f"), spread, fmt(r["ips"], ".0f"), ratio,
                      fmt(r["internal"], ".2f"), fmt(r["internal_ips"], ".0f"), share,
                      fmt(r["cpu"], ".1f"), fmt(r["cpu_ratio"], ".2f"), fmt(r["rss"], ".0f"), fid_s,
                      target + err])
    return text_table(hdr, lines)


def print_table(results, fidelity, title, out=sys.stdout):
    print(title, file=out)
    for line in table_lines(results, fidelity):
        print(line, file=out)


def write_csv(path, results, fidelity):
    fields = ["name", "best", "group", "layout", "images", "runs", "wall_s_median", "wall_s_all",
              "spread", "cpu_s_median", "cpu_ratio",
              "images_per_s", "vs", "ratio", "internal_s_median", "internal_images_per_s",
              "limit", "share_of_limit", "share_basis", "target_ratio", "target_share",
              "peak_rss_mb", "max_abs_diff", "mean_abs_diff", "equal_share", "launched", "errors",
              "command"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in results:
            t = TARGETS.get(r["name"])
            fid = fidelity.get((r["name"], r["layout"]))
            w.writerow(dict(
                name=r["name"], best=int(r["best"]), group=r["group"], layout=r["layout"],
                images=r["images"], runs=r["runs"], wall_s_median=r["wall"],
                wall_s_all=";".join(f"{x:.4f}" for x in r["walls"]), images_per_s=r["ips"],
                spread=r["spread"], cpu_s_median=r["cpu"], cpu_ratio=r["cpu_ratio"],
                vs=r["vs"], ratio=r["ratio"], internal_s_median=r["internal"],
                internal_images_per_s=r["internal_ips"], limit=r["limit"],
                share_of_limit=r["share"], share_basis=r["share_basis"],
                target_ratio=t.ratio if t else None, target_share=t.share if t else None,
                peak_rss_mb=r["rss"],
                max_abs_diff=fid[0] if fid and fid[1] is not None else None,
                mean_abs_diff=fid[1] if fid else None,
                equal_share=fid[3] if fid and fid[1] is not None else None,
                launched=int(r.get("launched", False)),
                errors=" | ".join(r["errors"]), command=r["cmd"]))


def write_runs_csv(path, label, rows, mode="w"):
    new = mode == "w" or not os.path.exists(path)
    with open(path, mode, newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["step", "name", "layout", "images", "run", "rc", "wall_s", "internal_s",
                        "cpu_s", "peak_rss_mb", "loadavg_before"])
        for row in rows:
            for i, r in enumerate(row.runs):
                w.writerow([label, row.name, row.layout, row.images, i + 1, r.rc,
                            f"{r.wall:.4f}", "" if r.internal is None else f"{r.internal:.4f}",
                            f"{r.cpu:.3f}", f"{r.rss_mb:.1f}", f"{r.load_before:.2f}"])
