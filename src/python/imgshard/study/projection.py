"""`scaling-study --project R`: the cost model calibrated on the study, projected to R ranks
(projection.csv, projection.json, projection.png, and the lines it prints).

One model per threads-per-rank value and writer measured: `--writer ranks` (every rank
writes its own rows) and `--writer root` (rank 0 writes every row, the old design); with
both, the projection prints R* before (root) and after (ranks) side by side.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from .._tables import jsonable, write_csv
from .cost import WRITERS, calibrate, calibrate_rows, row_writer
from .plots import plot_projection
from .runner import log, warn

PROJ_COLUMNS = ["threads", "ranks", "cores", "images", "images_per_s", "steady_images_per_s",
                "speedup_vs_1rank", "rank0_utilisation", "worker_utilisation", "limit",
                "measured_images_per_s", "writer"]

LIMIT_WORDS = {"rank0": "rank 0's coordination", "fs": "the file system's bandwidth",
               "read_bw": "the read bandwidth", None: "nothing"}


def study_writers(rows) -> list:
    """The writers the study measured with more than one rank (one-rank rows fit either),
    in WRITERS order; the one-rank rows' writer when there is no other."""
    multi = {row_writer(r) for r in rows if r["ranks"] >= 2}
    return [w for w in WRITERS if w in multi] or [row_writer(rows[0])]


def _calibrated(runs, rows, args, t, writer):
    """(model, ranks it was calibrated on) for T = t and the writer."""
    mine = [r for r in rows if r["threads"] == t and (row_writer(r) == writer or r["ranks"] == 1)]
    if not mine:
        raise ValueError(f"no study row with {t} threads and --writer {writer}")
    r_cal = max(r["ranks"] for r in mine) if args.calibrate == "largest" else None
    if runs is not None:
        return calibrate(runs, t, r_cal, writer), r_cal
    return calibrate_rows(rows, t, r_cal, writer), r_cal


def _what_ifs(m, args):
    if args.write_bw > 0:
        if m.b_out:
            m = m.with_write_bw(args.write_bw * 1e6)
        else:
            warn("--write-bw ignored: output size per image unknown")
    if getattr(args, "fs_bandwidth", 0) > 0:
        if m.b_out:
            m = m.with_fs_bw(args.fs_bandwidth * 1e6)
        else:
            warn("--fs-bandwidth ignored: output size per image unknown")
    if getattr(args, "project_chunk", 0) > 0 and m.writer == "ranks":
        try:
            m = m.with_chunk(args.project_chunk)
        except ValueError as e:
            warn(f"--project-chunk ignored: {e}")
    if args.read_bw > 0:
        m.read_bw = args.read_bw * 1e6
    return m


def _describe(m, t, R, rows_t, m_cal, r_cal):
    """The lines printed for one model, and its summary for projection.json."""
    rs, rw, rr, rf = (m.saturation_ranks(), m.write_saturation_ranks(), m.read_saturation_ranks(),
                      m.fs_saturation_ranks())
    r_star, what = m.r_star()
    xmax = float(m.throughput(max(r_star, 1.0))) if math.isfinite(r_star) else math.inf
    lines = [f"  {t} thread(s)/rank, --writer {m.writer}, calibrated on "
             + ("all runs" if r_cal is None else f"the {r_cal}-rank runs")
             + (f" (chunk {m_cal.chunk}, projected to chunk {m.chunk})" if m.chunk != m_cal.chunk else "") + ":"]
    if m.writer == "ranks":
        lines.append(f"    a rank: c_w = {m.c_w * 1e3:.3f} core-ms/image of work, its own rows "
                     f"c_own = {m.c_own * 1e3:.4f} ms/image"
                     + (f" ({m.write_bw / 1e6:.0f} MB/s)" if math.isfinite(m.write_bw) and m.b_out else "")
                     + f", messaging c_s = {m.c_s * 1e3:.4f}: x_w = {m.x_w:.1f} images/s/rank"
                     + (f", {m.rank_bytes_per_s / 1e6:.1f} MB/s of rows" if m.b_out else ""))
        lines.append(f"    rank 0: c_0 = {m.c_0 * 1e6:.2f} us/image (hand-out+receive), "
                     f"fixed {m.fixed:.3f} s a run (discover, plan, its write phase: "
                     f"{m.c_wr_all * 1e6:.2f} us/image if charged per image)")
    else:
        lines.append(f"    worker c_w = {m.c_w * 1e3:.3f} core-ms/image "
                     f"(x_w = {m.x_w:.1f} images/s/rank), rank 0 c_0 = {m.c_0 * 1e3:.4f} ms/image "
                     f"(hand-out+receive {m.c_msg * 1e3:.4f}, write {m.c_wr * 1e3:.4f}"
                     + (f" = {m.write_bw / 1e6:.0f} MB/s" if math.isfinite(m.write_bw) and m.b_out else "")
                     + f"), fixed {m.fixed:.3f} s")
    if math.isfinite(rs):
        tail_ = (f"rank 0 saturates from R*_0 = {rs:.1f} ranks ({math.ceil(rs)} ranks, "
                 f"{math.ceil(rs) * t} cores) at {1.0 / m.c_0:.0f} images/s")
        tail_ += "; within the projection" if rs <= R else f"; beyond {R} ranks"
    else:
        tail_ = "rank 0 never saturates (no coordination cost measured)"
    lines.append("    " + tail_)
    if m.writer == "ranks" and m.c_wr_all > 0:
        lines.append(f"    with rank 0's write phase charged per image instead of per run "
                     f"(c_0 + {m.c_wr_all * 1e6:.2f} us): R*_0 = {m.saturation_ranks_upper():.1f} ranks")
    if m.writer == "root" and math.isfinite(rw):
        lines.append(f"    the write alone would saturate rank 0 from {rw:.1f} ranks")
    if math.isfinite(rf):
        lines.append(f"    the file system ({m.fs_bw / 1e6:.0f} MB/s, {m.fs_cap():.0f} images/s) caps "
                     f"throughput from R*_fs = {max(rf, 1.0):.1f} ranks")
    elif m.fs_bw > 0 and m.writer == "ranks":
        lines.append(f"    the file system ({m.fs_bw / 1e6:.0f} MB/s, {m.fs_cap():.0f} images/s) is never reached: "
                     f"rank 0 saturates first")
    elif m.fs_bw > 0 and m.writer == "root":
        lines.append(f"    the file system ({m.fs_bw / 1e6:.0f} MB/s) bounds rank 0's own write: "
                     f"c_wr >= {m.b_out / m.fs_bw * 1e3:.4f} ms/image")
    if math.isfinite(rr):
        lines.append(f"    the read bandwidth caps throughput from {max(rr, 1.0):.1f} ranks")
    lines.append(f"    R* = {r_star:.1f} ranks: {LIMIT_WORDS[what]}" if math.isfinite(r_star)
                 else "    R* = none: nothing measured saturates")
    for row in rows_t:   # the calibrated model against every measured point at T, this writer
        x = row["images_per_s"]
        pred = float(m_cal.run_throughput(row["images"], row["ranks"]))
        lines.append(f"    check R={row['ranks']}: measured {x:.1f}, model {pred:.1f} images/s "
                     f"({100 * (pred - x) / x:+.0f}%)")
    summary = {
        "threads": t, "writer": m.writer, "c_w": m.c_w, "c_s": m.c_s, "c_own": m.c_own, "c_msg": m.c_msg,
        "c_wr": m.c_wr, "c_0": m.c_0, "fixed": m.fixed, "chunk": m.chunk, "b_out": m.b_out, "b_in": m.b_in,
        "x_w": m.x_w, "x_0": m.x_0, "write_bw": m.write_bw, "read_bw": m.read_bw, "fs_bw": m.fs_bw,
        "rank_bytes_per_s": m.rank_bytes_per_s,
        "c_wr_all": m.c_wr_all, "saturation_ranks_upper": m.saturation_ranks_upper(),
        "saturation_ranks": rs, "write_saturation_ranks": rw, "read_saturation_ranks": rr,
        "fs_saturation_ranks": rf, "r_star": r_star, "r_star_limit": what,
        "max_images_per_s": 1.0 / m.c_0 if m.c_0 > 0 else math.inf, "images_per_s_at_r_star": xmax,
        "calibrated_on_ranks": r_cal,
    }
    return lines, summary


def project(runs, rows, args, out):
    """Calibrate, project to args.project ranks, print, write the files. `runs`: the
    study's runs with their reports, or None to calibrate on the rows (a study.csv)."""
    R = args.project
    ranks = np.arange(1, R + 1)
    prows, models = [], {}
    writers = study_writers(rows)
    measured = {(r["ranks"], r["threads"], row_writer(r)): r["images_per_s"] for r in rows}
    for t in sorted({r["threads"] for r in rows}):
        for w in writers:
            try:
                m_cal, r_cal = _calibrated(runs, rows, args, t, w)
            except ValueError as e:
                warn(f"projection for {t} threads, --writer {w} skipped: {e}")
                continue
            m = _what_ifs(m_cal, args)
            n = args.project_images or max(r["images"] for r in rows if r["threads"] == t)
            x_run = m.run_throughput(n, ranks)
            x_ss = m.throughput(ranks)
            u0 = m.rank0_utilisation(ranks)
            uw = m.worker_utilisation(ranks)
            lim = m.limit(ranks)
            for i, r in enumerate(ranks):
                meas = measured.get((int(r), t, w))
                if meas is None and r == 1:   # one rank: either writer's run measures it
                    meas = next((v for (rr, tt, _), v in measured.items() if rr == 1 and tt == t), None)
                prows.append({
                    "threads": t, "ranks": int(r), "cores": int(r) * t, "images": n,
                    "images_per_s": float(x_run[i]), "steady_images_per_s": float(x_ss[i]),
                    "speedup_vs_1rank": float(x_run[i] / x_run[0]),
                    "rank0_utilisation": float(u0[i]), "worker_utilisation": float(uw[i]),
                    "limit": lim[i], "measured_images_per_s": float("nan") if meas is None else meas,
                    "writer": w,
                })
            models[(t, w)] = (m, n, m_cal, r_cal)
    if not models:
        return None
    write_csv(os.path.join(out, "projection.csv"), PROJ_COLUMNS, prows)
    summary = {}
    log("")
    log(f"projection up to {R} ranks (cost model, see scripts/scaling-study.md):")
    for (t, w), (m, n, m_cal, r_cal) in models.items():
        rows_t = [r for r in rows if r["threads"] == t and row_writer(r) == w]
        lines, summary[(t, w)] = _describe(m, t, R, rows_t, m_cal, r_cal)
        summary[(t, w)]["images"] = n
        for line in lines:
            log(line)
    for t in sorted({t for t, _ in models}):
        before, after = summary.get((t, "root")), summary.get((t, "ranks"))
        if before and after:
            log(f"  {t} thread(s)/rank: R* {before['r_star']:.1f} ranks with --writer root "
                f"({LIMIT_WORDS[before['r_star_limit']]}) -> {after['r_star']:.1f} with --writer ranks "
                f"({LIMIT_WORDS[after['r_star_limit']]})")
        elif after or before:
            other = "root" if after else "ranks"
            log(f"  {t} thread(s)/rank: --writer {other} not measured (run the study with "
                f"--writer ranks,root to compare)")
    with open(os.path.join(out, "projection.json"), "w") as fh:
        json.dump(jsonable({"ranks": R, "models": list(summary.values())}), fh, indent=1)
    plot_projection(prows, summary, R, out)
    return {f"{t}-{w}": s for (t, w), s in summary.items()}
