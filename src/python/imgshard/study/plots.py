"""The study's plots (Matplotlib, Agg): speedup, efficiency, phases, projection."""

from __future__ import annotations

import math
import os

import numpy as np

from .reports import PHASES


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


MARKERS = "osD^v<>ph*"


def plot_scaling(rows, fit, out, mode):
    plt = _plt()
    threads = sorted({r["threads"] for r in rows})
    writers = [w for w in ("ranks", "root") if any(r.get("writer", "root") == w for r in rows)]
    pmax = max(r["cores"] for r in rows)
    pp = np.linspace(1, max(pmax, 2), 200)
    law = "Amdahl" if fit.law == "amdahl" else "Gustafson"
    files = []
    for what in ("speedup", "efficiency"):
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        if what == "speedup":
            ax.plot(pp, pp, "k--", lw=1, label="ideal")
            ax.plot(pp, fit.predict(pp), "C7-", lw=1.5, label=f"{law} fit, f = {fit.f:.3f}")
        else:
            ax.axhline(1.0, color="k", ls="--", lw=1, label="ideal")
            ax.plot(pp, fit.predict(pp) / pp, "C7-", lw=1.5, label=f"{law} fit, f = {fit.f:.3f}")
        for i, t in enumerate(threads):
            for w in writers:
                g = sorted((r for r in rows if r["threads"] == t and r.get("writer", "root") == w),
                           key=lambda r: r["cores"])
                if not g:
                    continue
                ax.plot([r["cores"] for r in g], [r[what] for r in g], marker=MARKERS[i % len(MARKERS)],
                        color=f"C{i}", ls="--" if w == "root" and len(writers) > 1 else "-",
                        label=f"{t} thread{'s' if t > 1 else ''} per rank"
                              + (f", --writer {w}" if len(writers) > 1 else ""))
        ax.set_xlabel("cores (ranks x threads)")
        ax.set_ylabel("speedup" if what == "speedup" else "parallel efficiency")
        if what == "efficiency":
            ax.set_ylim(0, max(1.1, 1.1 * max(r["efficiency"] for r in rows)))
        ax.set_title(f"imgshard {mode} scaling: {what}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
        fig.tight_layout()
        path = os.path.join(out, f"{what}.png")
        fig.savefig(path, dpi=120)
        plt.close(fig)
        files.append(path)
    # Stacked phases: mean over ranks, and rank 0.
    # across nodes, each bar says how many: send/receive then carry the network's cost
    multi = any(r.get("nodes", 1) > 1 for r in rows)
    labels = [f"{r['ranks']}x{r['threads']}" + (f"\n{r.get('nodes', 1)} node(s)" if multi else "")
              + (f"\n{r.get('writer', 'root')}" if len(writers) > 1 else "") for r in rows]
    x = np.arange(len(rows))
    fig, axes = plt.subplots(1, 2, figsize=(max(8, 1.1 * len(rows) + 4), 4.8), sharey=True)
    for ax, prefix, title in ((axes[0], "", "mean over ranks"), (axes[1], "r0_", "rank 0")):
        bottom = np.zeros(len(rows))
        for i, ph in enumerate(PHASES):
            v = np.array([r[prefix + ph] for r in rows])
            ax.bar(x, v, bottom=bottom, color=f"C{i}", label=ph, width=0.7)
            bottom += v
        ax.plot(x, [r["seconds"] for r in rows], "k_", ms=18, mew=2, label="wall (median)")
        ax.set_xticks(x, labels, rotation=45 if len(rows) > 8 else 0)
        ax.set_xlabel("ranks x threads")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("seconds")
    axes[1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.suptitle("imgshard phase time per configuration")
    fig.tight_layout()
    path = os.path.join(out, "phases.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    files.append(path)
    return files


def plot_projection(prows, summary, R, out):
    """Throughput (log-log) and rank 0's utilisation against ranks, one colour per threads
    per rank, solid for --writer ranks and dashed for --writer root; R* marked."""
    plt = _plt()
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7.5, 8), sharex=True,
                                 gridspec_kw={"height_ratios": [3, 2]})
    threads = sorted({t for t, _ in summary})
    writers = [w for w in ("ranks", "root") if any(x == w for _, x in summary)]
    both = len(writers) > 1
    styles = {"ranks": "-", "root": "--"}
    for (t, w), s in summary.items():
        i = threads.index(t) * len(writers) + writers.index(w)
        g = [p for p in prows if p["threads"] == t and p["writer"] == w]
        rr = [p["ranks"] for p in g]
        c, ls = f"C{i}", styles.get(w, "-")
        who = f"{t} thread(s)/rank" + (f", --writer {w}" if both else "")
        a1.plot(rr, [p["steady_images_per_s"] for p in g], color=c, ls=ls, label=f"model, {who}, steady state")
        a1.plot(rr, [p["images_per_s"] for p in g], color=c, ls=ls, lw=0.7, alpha=0.6,
                label=f"model, {who}, run of {g[0]['images']} images")
        meas = [(p["ranks"], p["measured_images_per_s"]) for p in g
                if not math.isnan(p["measured_images_per_s"])]
        if meas:
            a1.plot(*zip(*meas), MARKERS[i % len(MARKERS)], color=c, mfc=c if w == "ranks" else "none",
                    label=f"measured, {who}")
        a2.plot(rr, [p["rank0_utilisation"] for p in g], color=c, ls=ls, label=f"rank 0, {who}")
        a2.plot(rr, [p["worker_utilisation"] for p in g], color=c, ls=":", lw=0.8, label=f"workers, {who}")
        rs = s["r_star"]
        if math.isfinite(rs) and rs <= R:
            for ax in (a1, a2):
                ax.axvline(rs, color=c, ls=ls, lw=0.8)
            what = {"rank0": "rank 0", "fs": "file system", "read_bw": "read"}.get(s["r_star_limit"], "")
            a1.annotate(f"R* = {rs:.{0 if rs >= 10 else 1}f} ({what}{', ' + w if both else ''})",
                        (rs, s["images_per_s_at_r_star"]),
                        color=c, textcoords="offset points", xytext=(4, -12), fontsize="small")
        if s.get("fs_bw"):
            a1.axhline(s["fs_bw"] / s["b_out"], color="k", ls="-.", lw=0.7)
    if any(s.get("fs_bw") for s in summary.values()):
        a1.plot([], [], "k-.", lw=0.7, label="file system's bandwidth / bytes per image")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_ylabel("images/s")
    a1.set_title(f"imgshard projected throughput up to {R} ranks")
    a1.grid(alpha=0.3, which="both")
    a1.legend(fontsize="x-small")
    a2.set_ylabel("utilisation")
    a2.set_ylim(0, 1.05)
    a2.set_xlabel("MPI ranks")
    a2.grid(alpha=0.3, which="both")
    a2.legend(fontsize="x-small")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "projection.png"), dpi=120)
    plt.close(fig)
