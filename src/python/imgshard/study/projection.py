"""`scaling-study --project R`: the cost model calibrated on the study, projected to R ranks
(projection.csv, projection.json, projection.png, and the lines it prints)."""

from __future__ import annotations

import json
import math
import os

import numpy as np

from .._tables import jsonable, write_csv
from .cost import calibrate
from .plots import plot_projection
from .runner import log, warn


PROJ_COLUMNS = ["threads", "ranks", "cores", "images", "images_per_s", "steady_images_per_s",
                "speedup_vs_1rank", "rank0_utilisation", "worker_utilisation", "limit",
                "measured_images_per_s"]


def project(runs, rows, args, out):
    R = args.project
    ranks = np.arange(1, R + 1)
    prows, models = [], {}
    measured = {(r["ranks"], r["threads"]): r["images_per_s"] for r in rows}
    for t in sorted({r["threads"] for r in rows}):
        r_cal = None
        if args.calibrate == "largest":
            r_cal = max(r["ranks"] for r in rows if r["threads"] == t)
        try:
            m = calibrate(runs, t, r_cal)
        except ValueError as e:
            warn(f"projection for {t} threads skipped: {e}")
            continue
        m_cal = m
        if args.write_bw > 0:
            if m.b_out:
                m = m.with_write_bw(args.write_bw * 1e6)
            else:
                warn("--write-bw ignored: output size per image unknown")
        if args.read_bw > 0:
            m.read_bw = args.read_bw * 1e6
        n = args.project_images or max(r["images"] for r in rows if r["threads"] == t)
        x_run = m.run_throughput(n, ranks)
        x_ss = m.throughput(ranks)
        u0 = m.rank0_utilisation(ranks)
        uw = m.worker_utilisation(ranks)
        lim = m.limit(ranks)
        for i, r in enumerate(ranks):
            prows.append({
                "threads": t, "ranks": int(r), "cores": int(r) * t, "images": n,
                "images_per_s": float(x_run[i]), "steady_images_per_s": float(x_ss[i]),
                "speedup_vs_1rank": float(x_run[i] / x_run[0]),
                "rank0_utilisation": float(u0[i]), "worker_utilisation": float(uw[i]),
                "limit": lim[i], "measured_images_per_s": measured.get((int(r), t), float("nan")),
            })
        models[t] = (m, n, m_cal, r_cal)
    if not models:
        return None
    write_csv(os.path.join(out, "projection.csv"), PROJ_COLUMNS, prows)
    summary = {}
    log("")
    log(f"projection up to {R} ranks (cost model, see scripts/scaling-study.md):")
    for t, (m, n, m_cal, r_cal) in models.items():
        rs, rw, rr = m.saturation_ranks(), m.write_saturation_ranks(), m.read_saturation_ranks()
        xmax = 1.0 / m.c_0 if m.c_0 > 0 else math.inf
        summary[t] = {
            "threads": t, "c_w": m.c_w, "c_s": m.c_s, "c_msg": m.c_msg, "c_wr": m.c_wr,
            "c_0": m.c_0, "fixed": m.fixed, "chunk": m.chunk, "b_out": m.b_out, "b_in": m.b_in,
            "x_w": m.x_w, "x_0": m.x_0, "write_bw": m.write_bw, "read_bw": m.read_bw,
            "saturation_ranks": rs, "write_saturation_ranks": rw, "read_saturation_ranks": rr,
            "max_images_per_s": xmax, "images": n, "calibrated_on_ranks": r_cal,
        }
        log(f"  {t} thread(s)/rank, calibrated on "
            + ("all runs" if r_cal is None else f"the {r_cal}-rank runs") + ":")
        log(f"    worker c_w = {m.c_w * 1e3:.3f} core-ms/image "
            f"(x_w = {m.x_w:.1f} images/s/rank), rank 0 c_0 = {m.c_0 * 1e3:.4f} ms/image "
            f"(hand-out+receive {m.c_msg * 1e3:.4f}, write {m.c_wr * 1e3:.4f}"
            + (f" = {m.write_bw / 1e6:.0f} MB/s" if math.isfinite(m.write_bw) and m.b_out else "")
            + f"), fixed {m.fixed:.3f} s")
        if math.isfinite(rs):
            tail_ = (f"rank 0 saturates from R* = {rs:.1f} ranks ({math.ceil(rs)} ranks, "
                     f"{math.ceil(rs) * t} cores) at {xmax:.0f} images/s")
            tail_ += "; within the projection" if rs <= R else f"; beyond {R} ranks"
        else:
            tail_ = "rank 0 never saturates (no coordination cost measured)"
        log("    " + tail_)
        if math.isfinite(rw):
            log(f"    the write alone would saturate rank 0 from {rw:.1f} ranks")
        if math.isfinite(rr):
            log(f"    the read bandwidth caps throughput from {max(rr, 1.0):.1f} ranks")
        for row in rows:   # the calibrated model against every measured point at T
            if row["threads"] == t:
                x = row["images_per_s"]
                pred = float(m_cal.run_throughput(row["images"], row["ranks"]))
                log(f"    check R={row['ranks']}: measured {x:.1f}, model {pred:.1f} images/s "
                    f"({100 * (pred - x) / x:+.0f}%)")
    with open(os.path.join(out, "projection.json"), "w") as fh:
        json.dump(jsonable({"ranks": R, "models": [summary[t] for t in summary]}), fh, indent=1)
    plot_projection(prows, summary, R, out)
    return summary
