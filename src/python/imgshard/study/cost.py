"""The projection's cost model (``scaling-study --project``), calibrated on measured runs.

Cost model (``CostModel``)
--------------------------
imgshard has R ranks of T threads. Rank 0 discovers and plans (once), hands
out units of ``chunk`` images, receives the results and writes HDF5; when it
has nothing to coordinate it processes units itself. Calibrated constants,
all in seconds (see ``calibrate``):

* c_w   worker cost per image in core-seconds: (read + decode + kernels) x
        threads / images of the worker ranks;
* c_s   a worker's serial messaging per image: (send + receive) / images;
* c_msg rank 0's hand-out and receive per image: (send + receive) / images,
        i.e. its per-unit cost h divided by chunk (c_msg = h / chunk);
* c_wr  rank 0's HDF5 write per image: write / images (= b_out / BW_write,
        b_out the output bytes per image, BW_write the write bandwidth);
* F     rank 0's one-time discover + plan.

Derived: a worker rank completes x_w = 1 / (c_w/T + c_s) images/s, rank 0
x_0 = T / c_w images/s when it processes, and rank 0 spends c_0 = c_msg + c_wr
seconds coordinating every image. Rank 0 processes only in the time that
coordination leaves free, (1 - X c_0), so the steady-state throughput X solves
X = (R-1) x_w + (1 - X c_0) x_0:

    X(R) = ((R - 1) x_w + x_0) / (1 + c_0 x_0)   while (R - 1) x_w c_0 <= 1
    X(R) = 1 / c_0                              beyond: rank 0 is saturated

(continuous at the boundary). Rank 0 saturates from

    R* = 1 + 1 / (c_0 x_w)   ranks,

the write bandwidth alone would saturate it from R_w = 1 + 1 / (c_wr x_w), and
the coordinator's utilisation is U_0 = min(1, X c_0). An optional aggregate
read bandwidth caps X <= BW_read / b_in (b_in: input bytes per image). For N
images the predicted wall time is F + N / X(R), the throughput N / that.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Iterable, Sequence

import numpy as np

from .reports import COMPUTE_PHASES, phase, processed, rank0, worker_ranks


@dataclasses.dataclass
class CostModel:
    """Throughput model of an imgshard run; see the module docstring."""
    threads: int
    c_w: float            # core-seconds per image (read + decode + kernels)
    c_s: float = 0.0      # worker send + receive seconds per image
    c_msg: float = 0.0    # rank 0 hand-out + receive seconds per image
    c_wr: float = 0.0     # rank 0 write seconds per image
    fixed: float = 0.0    # rank 0 discover + plan seconds, once per run
    chunk: int = 0        # images per unit the constants were measured at
    b_out: float = 0.0    # output bytes per image
    b_in: float = 0.0     # input bytes read per image
    read_bw: float = 0.0  # aggregate read bandwidth cap, bytes/s (0: none)

    @property
    def c_0(self) -> float:
        return self.c_msg + self.c_wr

    @property
    def x_w(self) -> float:
        return 1.0 / (self.c_w / self.threads + self.c_s)

    @property
    def x_0(self) -> float:
        return self.threads / self.c_w

    @property
    def write_bw(self) -> float:
        """Write bandwidth implied by c_wr (bytes/s); inf if writing is free."""
        return self.b_out / self.c_wr if self.c_wr > 0 else math.inf

    def with_write_bw(self, bw: float) -> "CostModel":
        """The same model with c_wr = b_out / bw (bw in bytes/s)."""
        if not self.b_out:
            raise ValueError("output bytes per image unknown; cannot use a write bandwidth")
        return dataclasses.replace(self, c_wr=self.b_out / bw)

    def saturation_ranks(self) -> float:
        """R* = 1 + 1/(c_0 x_w): from this many ranks rank 0 is 100% busy."""
        return 1.0 + 1.0 / (self.c_0 * self.x_w) if self.c_0 > 0 else math.inf

    def write_saturation_ranks(self) -> float:
        """R_w = 1 + 1/(c_wr x_w): where writing alone would saturate rank 0."""
        return 1.0 + 1.0 / (self.c_wr * self.x_w) if self.c_wr > 0 else math.inf

    def _uncapped(self, ranks):
        r = np.asarray(ranks, dtype=float)
        c0, xw, x0 = self.c_0, self.x_w, self.x_0
        x = ((r - 1.0) * xw + x0) / (1.0 + c0 * x0)
        if c0 > 0:
            x = np.minimum(x, 1.0 / c0)
        return x

    def read_cap(self) -> float:
        return self.read_bw / self.b_in if self.read_bw > 0 and self.b_in > 0 else math.inf

    def throughput(self, ranks):
        """Steady-state images/s on `ranks` ranks (array-friendly)."""
        return np.minimum(self._uncapped(ranks), self.read_cap())

    def read_saturation_ranks(self) -> float:
        """Smallest rank count (real) at which the read bandwidth cap binds."""
        cap = self.read_cap()
        if not math.isfinite(cap):
            return math.inf
        c0, xw, x0 = self.c_0, self.x_w, self.x_0
        if c0 > 0 and 1.0 / c0 <= cap:
            return math.inf
        return 1.0 + (cap * (1.0 + c0 * x0) - x0) / xw

    def rank0_utilisation(self, ranks):
        """Fraction of rank 0's time spent coordinating (hand-out, receive, write)."""
        return np.minimum(1.0, self.throughput(ranks) * self.c_0)

    def worker_utilisation(self, ranks):
        """Fraction of the workers' capacity used ((R-1) x_w is their capacity)."""
        r = np.asarray(ranks, dtype=float)
        x = self.throughput(r)
        u0 = np.minimum(1.0, x * self.c_0)
        from_workers = x - (1.0 - u0) * self.x_0
        cap = (r - 1.0) * self.x_w
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(cap > 0, from_workers / cap, np.nan)
        return np.clip(u, 0.0, 1.0)

    def limit(self, ranks) -> list:
        """What bounds the throughput at each rank count: workers, rank0 or read_bw."""
        r = np.atleast_1d(np.asarray(ranks, dtype=float))
        unc = self._uncapped(r)
        out = []
        for ri, xi in zip(r, unc):
            if xi >= self.read_cap():
                out.append("read_bw")
            elif ri >= self.saturation_ranks():
                out.append("rank0")
            else:
                out.append("workers")
        return out

    def wall(self, images: int, ranks):
        """Predicted wall seconds for `images` images: F + N / X(R)."""
        return self.fixed + images / self.throughput(ranks)

    def run_throughput(self, images: int, ranks):
        """Predicted images / wall for a whole run of `images` images."""
        return images / self.wall(images, ranks)


def _sum(values: Iterable[float]) -> float:
    return float(sum(values))


def calibrate(runs: Sequence[dict], threads: int, ranks: int | None = None) -> CostModel:
    """Calibrate a CostModel for `threads` threads per rank from measured runs.

    Each run is a dict with "report" (the imgshard report) and optionally
    "out_bytes" (size of the HDF5 file). Runs at other thread counts, and at
    other rank counts when `ranks` is given, are ignored. Sums are pooled over
    the selected runs (ratio of sums, not mean of ratios):

      c_w   = sum (read+decode+kernels)*threads / sum images     over worker ranks
      c_s   = sum (send+receive) / sum images                    over ranks >= 1
      c_wr  = sum rank0.write / sum images                       over all runs
      c_msg = sum (rank0.send + rank0.receive) / sum images      over runs with >= 2 ranks
      F     = median (rank0.discover + rank0.plan)
    """
    sel = [r for r in runs if int(r["report"].get("omp_threads", 0)) == threads
           and (ranks is None or int(r["report"].get("mpi_ranks", 1)) == ranks)]
    if not sel:
        where = f"{threads} threads" + ("" if ranks is None else f" and {ranks} ranks")
        raise ValueError(f"no run with {where} to calibrate from")
    comp = img = 0.0
    s_msg = s_img = 0.0
    wr = wr_img = 0.0
    m0 = m0_img = 0.0
    fixed, b_out, b_in, chunks = [], [], [], []
    for run in sel:
        rep = run["report"]
        n = float(processed(rep))
        multi = int(rep.get("mpi_ranks", 1)) >= 2
        for r in worker_ranks(rep):
            t = int(r.get("threads", threads) or threads)
            comp += _sum(phase(r, ph) for ph in COMPUTE_PHASES) * t
            img += float(r.get("images", 0) or 0)
        if multi:
            for r in rep.get("ranks") or []:
                if int(r.get("rank", 0)) != 0:
                    s_msg += phase(r, "send") + phase(r, "receive")
                    s_img += float(r.get("images", 0) or 0)
        r0 = rank0(rep)
        wr += phase(r0, "write")
        wr_img += n
        if multi:
            m0 += phase(r0, "send") + phase(r0, "receive")
            m0_img += n
        fixed.append(phase(r0, "discover") + phase(r0, "plan"))
        if run.get("out_bytes") and n:
            b_out.append(float(run["out_bytes"]) / n)
        if n:
            b_in.append(sum(float(r.get("bytes_read", 0) or 0)
                            for r in rep.get("ranks") or []) / n)
        chunks.append(int(rep.get("chunk", 0) or 0))
    if img <= 0 or comp <= 0:
        raise ValueError(f"runs with {threads} threads report no processing time")
    return CostModel(
        threads=threads,
        c_w=comp / img,
        c_s=s_msg / s_img if s_img else 0.0,
        c_msg=m0 / m0_img if m0_img else 0.0,
        c_wr=wr / wr_img if wr_img else 0.0,
        fixed=float(np.median(fixed)),
        chunk=int(np.median(chunks)) if chunks else 0,
        b_out=float(np.median(b_out)) if b_out else 0.0,
        b_in=float(np.median(b_in)) if b_in else 0.0,
    )
