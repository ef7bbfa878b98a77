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


def count(rank: dict, name: str) -> int:
    """A per-rank count (images, bytes_written, ...); 0 where the report lacks it."""
    return int(rank.get(name, 0) or 0)


def writer_of(report: dict):
    """Who wrote the /images rows of a run: "ranks" (every rank its own: workers report
    bytes_written), "root" (rank 0 wrote the rows the workers made, or a report from before
    --writer, without bytes_written), or None when one rank did everything (either)."""
    ranks = report.get("ranks") or []
    if ranks and not any("bytes_written" in r for r in ranks):
        return "root"
    workers = [r for r in ranks if int(r.get("rank", 0)) != 0]
    if any(count(r, "bytes_written") > 0 for r in workers):
        return "ranks"
    if any(count(r, "images") > 0 for r in workers):
        return "root"
    return None


def summarize_report(report: dict) -> dict:
    """Flat per-run metrics: phase means over ranks, rank 0's phases, totals, and rank 0's
    own images and byte counts (what it received from the others, what it wrote)."""
    ranks = report.get("ranks") or []
    r0 = rank0(report)
    out = {
        "images": processed(report),
        "failed": int(report.get("failed", 0)),
        "seconds": float(report.get("wall_seconds", float("nan"))),
        "chunk": int(report.get("chunk", 0) or 0),
        "schedule": str(report.get("schedule", "")),
        "units": sum(count(r, "units") for r in ranks),
        "bytes_read": sum(count(r, "bytes_read") for r in ranks),
        "bytes_sent": sum(count(r, "bytes_sent") for r in ranks),
        "bytes_received": sum(count(r, "bytes_received") for r in ranks),
        "bytes_written": sum(count(r, "bytes_written") for r in ranks),
        "r0_images": count(r0, "images"),
        "r0_bytes_received": count(r0, "bytes_received"),
        "r0_bytes_written": count(r0, "bytes_written"),
        "nodes": nodes(report),
    }
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
