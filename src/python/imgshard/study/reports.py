"""Reading imgshard's ``--report`` JSON: phases, rank 0, the worker ranks, per-run sums.

A report is ``{wall_seconds, images, processed, failed, mpi_ranks, omp_threads, schedule,
chunk, ranks: [{rank, host, threads, images, units, bytes_read, bytes_sent,
bytes_received, bytes_written, wall_seconds, phases: {...}}]}`` (README, "What imgshard
reports"); older reports lack some keys, which count as 0.
"""

from __future__ import annotations

import numpy as np

PHASES = ("discover", "plan", "wait", "read", "decode", "kernels",
          "send", "receive", "write", "other")
COMPUTE_PHASES = ("read", "decode", "kernels")


def phase(rank: dict, name: str) -> float:
    return float((rank.get("phases") or {}).get(name, 0.0) or 0.0)


def rank0(report: dict) -> dict:
    for r in report.get("ranks") or []:
        if int(r.get("rank", -1)) == 0:
            return r
    return {"rank": 0, "phases": {}}


def processed(report: dict) -> int:
    """Images this run processed: "processed" where the report has it (fewer than
    "images" after --resume), else "images"."""
    return int(report.get("processed", report.get("images", 0)) or 0)


def nodes(report: dict) -> int:
    """Hosts the run's ranks ran on: the distinct per-rank "host" names (1 if unknown)."""
    hosts = {str(r.get("host", "")) for r in report.get("ranks") or [] if r.get("host")}
    return max(1, len(hosts))


def summarize_report(report: dict) -> dict:
    """Flat per-run metrics: phase means over ranks, rank 0's phases, totals."""
    ranks = report.get("ranks") or []
    out = {
        "images": processed(report),
        "failed": int(report.get("failed", 0)),
        "seconds": float(report.get("wall_seconds", float("nan"))),
        "chunk": int(report.get("chunk", 0) or 0),
        "schedule": str(report.get("schedule", "")),
        "units": sum(int(r.get("units", 0) or 0) for r in ranks),
        "bytes_read": sum(int(r.get("bytes_read", 0) or 0) for r in ranks),
        "bytes_sent": sum(int(r.get("bytes_sent", 0) or 0) for r in ranks),
        "nodes": nodes(report),
    }
    r0 = rank0(report)
    for ph in PHASES:
        vals = [phase(r, ph) for r in ranks]
        out[ph] = float(np.mean(vals)) if vals else 0.0
        out["r0_" + ph] = phase(r0, ph)
    return out


def worker_ranks(report: dict) -> list:
    """Ranks whose image counts measure processing: ranks >= 1, or rank 0 alone."""
    ranks = report.get("ranks") or []
    workers = [r for r in ranks if int(r.get("rank", 0)) != 0]
    if not workers or sum(int(r.get("images", 0) or 0) for r in workers) == 0:
        workers = list(ranks)
    return workers
