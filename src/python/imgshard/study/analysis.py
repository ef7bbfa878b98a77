"""A study's table: one row per (ranks, threads), medians over the repeats, speedup,
efficiency, Karp-Flatt and the fitted law (study.csv and the printed table)."""

from __future__ import annotations

import json
import math
import os

import numpy as np

from .._tables import text_table
from .cost import WRITERS, run_writer
from .laws import fit_amdahl, fit_gustafson, karp_flatt, speedup_and_efficiency
from .reports import PHASES, summarize_report
from .runner import log


def attach_reports(records, out):
    runs = []
    for rec in records:
        with open(os.path.join(out, rec["report"])) as fh:
            rep = json.load(fh)
        runs.append(dict(rec, report=rep, summary=summarize_report(rep)))
    return runs


def aggregate(runs) -> list:
    """One row per (ranks, threads, writer): medians over repeats. A run's writer is the
    one it was run with (runs.json), else what its report shows; a one-rank run from a
    runs.json without it counts as --writer ranks (imgshard's default)."""
    groups = {}
    for run in runs:
        w = run_writer(run) or "ranks"
        groups.setdefault((run["ranks"], run["threads"], w), []).append(run)
    rows = []
    order = {w: i for i, w in enumerate(WRITERS)}
    for (r, t, w), rs in sorted(groups.items(),
                                key=lambda kv: (kv[0][0] * kv[0][1], kv[0][0], order.get(kv[0][2], 9))):
        sums = [x["summary"] for x in rs]
        secs = np.array([s["seconds"] for s in sums])
        row = {
            "ranks": r, "threads": t, "cores": r * t, "writer": w,
            "nodes": int(max(s["nodes"] for s in sums)),
            "images": int(np.median([s["images"] for s in sums])),
            "failed": int(np.max([s["failed"] for s in sums])),
            "repeats": len(rs),
            "seconds": float(np.median(secs)),
            "seconds_min": float(secs.min()), "seconds_max": float(secs.max()),
            "launch_seconds": float(np.median([x["launch_seconds"] for x in rs])),
        }
        row["images_per_s"] = row["images"] / row["seconds"] if row["seconds"] > 0 else float("nan")
        for ph in PHASES:
            row[ph] = float(np.median([s[ph] for s in sums]))
        for ph in PHASES:
            row["r0_" + ph] = float(np.median([s["r0_" + ph] for s in sums]))
        row["units"] = int(np.median([s["units"] for s in sums]))
        row["chunk"] = sums[0]["chunk"]
        row["schedule"] = sums[0]["schedule"]
        row["bytes_read"] = int(np.median([s["bytes_read"] for s in sums]))
        row["bytes_sent"] = int(np.median([s["bytes_sent"] for s in sums]))
        for key in ("bytes_received", "bytes_written", "r0_images", "r0_bytes_received", "r0_bytes_written"):
            row[key] = int(np.median([s.get(key, 0) for s in sums]))
        row["out_bytes"] = int(np.median([x.get("out_bytes", 0) for x in rs]))
        rows.append(row)
    return rows


TEXT_COLUMNS = ("schedule", "writer")
COUNT_COLUMNS = ("ranks", "threads", "cores", "nodes", "images", "failed", "repeats", "units", "chunk",
                 "bytes_read", "bytes_sent", "out_bytes", "bytes_received", "bytes_written", "r0_images",
                 "r0_bytes_received", "r0_bytes_written")


def read_study_csv(path) -> list:
    """The rows of a study.csv (this script's, or an older one without some columns: a
    missing `nodes` is 1, a missing `writer` is root, the only writer before --writer)."""
    import csv
    rows = []
    with open(path, newline="") as fh:
        for raw in csv.DictReader(fh):
            row = {}
            for k, v in raw.items():
                if k in TEXT_COLUMNS:
                    row[k] = v
                elif v in ("", None):
                    row[k] = float("nan")
                elif k in COUNT_COLUMNS:
                    row[k] = int(float(v))
                else:
                    row[k] = float(v)
            row.setdefault("nodes", 1)
            row["writer"] = row.get("writer") or "root"
            rows.append(row)
    return rows


HEAD = ["ranks", "threads", "cores", "nodes", "images", "failed", "repeats", "seconds", "seconds_min",
        "seconds_max", "launch_seconds", "images_per_s", "speedup", "efficiency", "karp_flatt",
        "fit_speedup"]
TAIL = ["units", "chunk", "schedule", "bytes_read", "bytes_sent", "out_bytes",
        # who wrote the rows (--writer), and the byte counts of the report: received from other
        # ranks and written into /images, summed over the ranks and rank 0's own
        "writer", "bytes_received", "bytes_written", "r0_images", "r0_bytes_received", "r0_bytes_written"]
STUDY_COLUMNS = HEAD + list(PHASES) + ["r0_" + p for p in PHASES] + TAIL


def writers_of(rows) -> list:
    """The writers of the rows, in WRITERS order (the first is the study's main one)."""
    present = {r.get("writer", "root") for r in rows}
    return [w for w in WRITERS if w in present] + sorted(present - set(WRITERS))


def analyse(rows, mode):
    """Speedup, efficiency and Karp-Flatt of every row against one baseline (the fewest
    cores, then ranks, of the main writer), and the law fitted to the main writer's rows."""
    main = writers_of(rows)[0]
    mine = [r for r in rows if r.get("writer", "root") == main]
    ref = min(mine, key=lambda r: (r["cores"], r["ranks"]))
    cores = np.array([r["cores"] for r in rows], dtype=float)
    xput = np.array([r["images_per_s"] for r in rows], dtype=float)
    sp, eff = speedup_and_efficiency(cores, xput, ref["cores"], ref["images_per_s"])
    kf = karp_flatt(sp, cores)
    is_main = np.array([r.get("writer", "root") == main for r in rows])
    fit = (fit_amdahl if mode == "strong" else fit_gustafson)(cores[is_main], sp[is_main])
    for row, s, e, k in zip(rows, sp, eff, kf):
        row["speedup"], row["efficiency"], row["karp_flatt"] = float(s), float(e), float(k)
        row["fit_speedup"] = float(fit.predict(row["cores"]))
    return ref, fit


def print_table(rows, ref, fit, mode):
    law = "Amdahl" if fit.law == "amdahl" else "Gustafson"
    log("")
    header = ["ranks", "thr", "cores", "nodes", "images", "seconds", "images/s", "speedup", "effic.",
              "Karp-Flatt"]
    cells = [[r["ranks"], r["threads"], r["cores"], r.get("nodes", 1), r["images"], f"{r['seconds']:.3f}",
              f"{r['images_per_s']:.1f}", f"{r['speedup']:.2f}", f"{r['efficiency']:.2f}",
              "" if math.isnan(r["karp_flatt"]) else f"{r['karp_flatt']:.4f}"] for r in rows]
    widths = [5, 3, 5, 5, 7, 9, 9, 7, 6, 10]
    writers = writers_of(rows)
    if len(writers) > 1:   # a study of both writers: say which each row ran
        header.insert(4, "writer")
        widths.insert(4, 6)
        for r, c in zip(rows, cells):
            c.insert(4, r.get("writer", "root"))
    for line in text_table(header, cells, align="r", sep=" ", rule=False, min_widths=widths):
        log(line)
    log(f"baseline: {ref['ranks']} rank(s) x {ref['threads']} thread(s)"
        + (f", --writer {ref.get('writer')}" if len(writers) > 1 else "") + f"; {mode} scaling")
    if ref["cores"] > 1:
        log(f"  note: the baseline uses {ref['cores']} cores and is taken as perfectly efficient "
            "(speedup = cores, Karp-Flatt 0 there); include --ranks 1 --threads 1 for true speedups")
    distinct = len({r["cores"] for r in rows})
    note = "" if distinct >= 2 else " (one core count only: not meaningful)"
    log(f"fitted serial fraction ({law}, least squares on speedup): f = {fit.f:.4f} "
        f"(rmse {fit.rmse:.3f}, {fit.n} points{', --writer ' + writers[0] if len(writers) > 1 else ''}){note}")
    if fit.law == "amdahl" and fit.f > 0:
        log(f"  Amdahl's limit: speedup <= 1/f = {1.0 / fit.f:.1f}")
