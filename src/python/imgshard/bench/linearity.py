"""The benchmark's linearity step (--linearity): per-image time and peak memory at two
corpus sizes, the larger a folder of links cycling over the smaller's files."""

from __future__ import annotations

import csv
import os
import sys

from .._tables import fmt, text_table
from .corpus import cycle_folder, warm_cache
from .report import write_runs_csv
from .rows import Context, make_rows
from .runner import log, log_once, run_rows

# The rows measured at both sizes, in this order: the decode limit, imgshard, Python.
LINEARITY_ROWS = ["decode-only", "imgshard-exact", "python"]


def linearity(a, env, files, out, tmp, logdir, wanted, meta):
    sizes = [int(x) for x in a.linearity_sizes.split(",")]
    if len(sizes) != 2 or sizes[0] < 1 or sizes[1] < sizes[0]:
        sys.exit("benchmark: --linearity-sizes needs two sizes, small,large")
    base = files[:sizes[0]]
    if len(base) < sizes[0]:
        log(f"benchmark: linearity: the corpus has {len(base)} images, not {sizes[0]}: cycling")
    per_size = {}
    all_rows = []
    for size in sizes:
        d = os.path.join(out, "linearity", f"n{size}")
        if not a.dry_run:
            cycle_folder(d, base, size)
        lin_tmp = os.path.join(tmp, f"lin{size}")
        os.makedirs(lin_tmp, exist_ok=True)
        ctx = Context(a, [d], size, lin_tmp)
        rows = [r for r in make_rows(ctx, LINEARITY_ROWS, say=log_once) if wanted(r)]
        rows.sort(key=lambda r: LINEARITY_ROWS.index(r.name))
        per_size[size] = rows
        all_rows += rows
    if a.dry_run:
        for size, rows in per_size.items():
            for r in rows:
                print(f"linearity n={size} {r.name} [{r.layout}]: " + " ".join(r.cmd))
        return True
    warm_cache(base)
    for size in sizes:
        log(f"benchmark: linearity, {size} images")
        run_rows(per_size[size], a, env, logdir, f"lin{size}")
    write_runs_csv(os.path.join(out, "runs.csv"), "linearity", all_rows, mode="a")

    small, large = sizes
    print(f"\nlinearity: per-image time at {small} and {large} images ({large} cycles over the "
          f"same {len(base)} files), median of {a.repeat} runs, {a.cores} cores")
    hdr = ["row", "layout", f"ms/img @{small}", f"ms/img @{large}", "ratio",
           f"cpu ms/img @{small}", f"cpu ms/img @{large}", "cpu ratio", f"peak MB @{small}",
           f"peak MB @{large}"]
    lines, csv_rows = [], []
    ok = True
    for r_small in per_size[small]:
        r_large = next((r for r in per_size[large]
                        if r.name == r_small.name and r.layout == r_small.layout), None)
        if r_large is None:
            continue
        vals = []
        for r, size in ((r_small, small), (r_large, large)):
            t = r.median("internal") or r.median("wall")
            vals.append(1000 * t / size if t else None)
        ratio = vals[1] / vals[0] if all(vals) else None
        cpu = [1000 * r.median("cpu") / size if r.median("cpu") else None
               for r, size in ((r_small, small), (r_large, large))]
        cpu_ratio = cpu[1] / cpu[0] if all(cpu) else None
        rss = [max((x.rss_mb for x in r.ok_runs()), default=None) for r in (r_small, r_large)]
        if r_small.group == "imgshard" and ratio is not None and ratio > 1.10:
            ok = False
        lines.append([r_small.name, r_small.layout, fmt(vals[0], ".3f"), fmt(vals[1], ".3f"),
                      fmt(ratio, ".3f"), fmt(cpu[0], ".2f"), fmt(cpu[1], ".2f"),
                      fmt(cpu_ratio, ".3f"), fmt(rss[0], ".0f"), fmt(rss[1], ".0f")])
        csv_rows.append(dict(name=r_small.name, layout=r_small.layout, small=small, large=large,
                             ms_per_image_small=vals[0], ms_per_image_large=vals[1], ratio=ratio,
                             cpu_ms_per_image_small=cpu[0], cpu_ms_per_image_large=cpu[1],
                             cpu_ratio=cpu_ratio,
                             peak_rss_mb_small=rss[0], peak_rss_mb_large=rss[1]))
        for r in (r_small, r_large):
            if r.output and os.path.exists(r.output) and not a.keep:
                os.remove(r.output)
    for line in text_table(hdr, lines):
        print(line)
    print("(per-image time from the internal timing where the program reports one; ratio = "
          f"@{large} / @{small}: 1.00 is linear; imgshard's should stay <= 1.10, and its peak "
          "memory flat;\n cpu: user+system CPU time of the whole run, steadier than wall time "
          "on a busy machine)")
    with open(os.path.join(out, "linearity.csv"), "w", newline="") as f:
        fields = ["name", "layout", "small", "large", "ms_per_image_small", "ms_per_image_large",
                  "ratio", "cpu_ms_per_image_small", "cpu_ms_per_image_large", "cpu_ratio",
                  "peak_rss_mb_small", "peak_rss_mb_large"]
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(csv_rows)
    meta["linearity"] = csv_rows
    print(f"wrote {out}/linearity.csv")
    return ok

