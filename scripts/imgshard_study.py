"""Math and bookkeeping behind ``scripts/scaling-study`` (importable, unit-tested).

Nothing here launches processes or draws plots; it only needs NumPy.

Speedup laws
------------
p is the number of cores (MPI ranks x OpenMP threads), f the serial fraction.

* Amdahl (strong scaling, fixed problem):   S(p) = 1 / (f + (1 - f) / p)
* Gustafson (weak scaling, problem ~ p):    S(p) = p - f (p - 1)
* Karp-Flatt experimentally determined serial fraction of a measured point:
      e(p) = (1/S - 1/p) / (1 - 1/p)          (undefined for p = 1)
  On exact Amdahl data e(p) == f for every p; e growing with p means overhead
  that grows with the core count (communication, a saturated coordinator),
  not a fixed serial part.

``fit_amdahl`` finds f in [0, 1] minimising sum_i (S_i - S_Amdahl(p_i; f))^2,
ordinary least squares on the speedups themselves (not on 1/S), by a dense grid
followed by golden-section refinement (the SSE is smooth in f).

Cost model (``CostModel``, used by ``--project``)
--------------------------------------------------
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
import os
from typing import Iterable, Sequence

import numpy as np

PHASES = ("discover", "plan", "wait", "read", "decode", "kernels",
          "send", "receive", "write", "other")
COMPUTE_PHASES = ("read", "decode", "kernels")
IMAGE_EXTENSIONS = frozenset(
    ("jpg", "jpeg", "png", "webp", "tif", "tiff", "bmp", "pgm", "ppm"))


# ---------------------------------------------------------------------------
# Speedup laws and fits


def amdahl_speedup(p, f):
    """Amdahl's speedup on p cores with serial fraction f (array-friendly)."""
    p = np.asarray(p, dtype=float)
    return 1.0 / (f + (1.0 - f) / p)


def gustafson_speedup(p, f):
    """Gustafson's scaled speedup on p cores with serial fraction f."""
    p = np.asarray(p, dtype=float)
    return p - f * (p - 1.0)


def karp_flatt(speedup, p):
    """Karp-Flatt serial fraction e = (1/S - 1/p) / (1 - 1/p); NaN where p <= 1."""
    s = np.asarray(speedup, dtype=float)
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (1.0 / s - 1.0 / p) / (1.0 - 1.0 / p)
    e = np.where(p > 1.0, e, np.nan)
    return float(e) if e.ndim == 0 else e


@dataclasses.dataclass(frozen=True)
class Fit:
    law: str          # "amdahl" or "gustafson"
    f: float          # fitted serial fraction, in [0, 1]
    rmse: float       # root mean square residual of the speedups
    n: int            # number of points used

    def predict(self, p):
        law = amdahl_speedup if self.law == "amdahl" else gustafson_speedup
        return law(p, self.f)


def _check_points(cores, speedup):
    p = np.asarray(cores, dtype=float).ravel()
    s = np.asarray(speedup, dtype=float).ravel()
    if p.shape != s.shape:
        raise ValueError("cores and speedup differ in length")
    keep = np.isfinite(p) & np.isfinite(s) & (p > 0) & (s > 0)
    if not keep.any():
        raise ValueError("no usable (cores, speedup) point to fit")
    return p[keep], s[keep]


def fit_amdahl(cores: Sequence[float], speedup: Sequence[float]) -> Fit:
    """Least-squares serial fraction f in [0, 1] of S = 1/(f + (1-f)/p)."""
    p, s = _check_points(cores, speedup)

    def sse(f):
        return float(np.sum((s - amdahl_speedup(p, f)) ** 2))

    grid = np.linspace(0.0, 1.0, 2001)
    errs = np.array([sse(f) for f in grid])
    i = int(np.argmin(errs))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo + (1 - g) * (hi - lo), lo + g * (hi - lo)
    fa, fb = sse(a), sse(b)
    for _ in range(80):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = lo + (1 - g) * (hi - lo)
            fa = sse(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = sse(b)
    f = (lo + hi) / 2.0
    if errs[i] < sse(f):        # the grid point itself is better (boundary)
        f = float(grid[i])
    return Fit("amdahl", float(f), math.sqrt(sse(f) / len(p)), len(p))


def fit_gustafson(cores: Sequence[float], speedup: Sequence[float]) -> Fit:
    """Least-squares serial fraction of S = p - f (p - 1) (closed form), in [0, 1]."""
    p, s = _check_points(cores, speedup)
    x = p - 1.0
    den = float(np.sum(x * x))
    f = float(np.sum((p - s) * x) / den) if den > 0 else 0.0
    f = min(max(f, 0.0), 1.0)
    res = s - gustafson_speedup(p, f)
    return Fit("gustafson", f, math.sqrt(float(np.mean(res ** 2))), len(p))


def speedup_and_efficiency(cores, throughput, ref_cores, ref_throughput):
    """Speedup S = ref_cores * X / X_ref and efficiency S / cores.

    Throughput-based, so it is the classic T(1)/T(p) for strong scaling and the
    scaled speedup for weak scaling. A baseline with ref_cores > 1 is assumed
    to be perfectly efficient.
    """
    c = np.asarray(cores, dtype=float)
    x = np.asarray(throughput, dtype=float)
    s = ref_cores * x / ref_throughput
    return s, s / c


# ---------------------------------------------------------------------------
# Reports


def _phase(rank: dict, name: str) -> float:
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
        vals = [_phase(r, ph) for r in ranks]
        out[ph] = float(np.mean(vals)) if vals else 0.0
        out["r0_" + ph] = _phase(r0, ph)
    return out


def worker_ranks(report: dict) -> list:
    """Ranks whose image counts measure processing: ranks >= 1, or rank 0 alone."""
    ranks = report.get("ranks") or []
    workers = [r for r in ranks if int(r.get("rank", 0)) != 0]
    if not workers or sum(int(r.get("images", 0) or 0) for r in workers) == 0:
        workers = list(ranks)
    return workers


# ---------------------------------------------------------------------------
# Cost model


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
            comp += _sum(_phase(r, ph) for ph in COMPUTE_PHASES) * t
            img += float(r.get("images", 0) or 0)
        if multi:
            for r in rep.get("ranks") or []:
                if int(r.get("rank", 0)) != 0:
                    s_msg += _phase(r, "send") + _phase(r, "receive")
                    s_img += float(r.get("images", 0) or 0)
        r0 = rank0(rep)
        wr += _phase(r0, "write")
        wr_img += n
        if multi:
            m0 += _phase(r0, "send") + _phase(r0, "receive")
            m0_img += n
        fixed.append(_phase(r0, "discover") + _phase(r0, "plan"))
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


# ---------------------------------------------------------------------------
# Inputs


def parse_int_list(text: str) -> list:
    """'1,2,4' or '1-4' or '1,2,8-16:4' -> sorted unique positive ints."""
    out = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        step = 1
        if ":" in part:
            part, s = part.split(":", 1)
            step = int(s)
        if "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
            out.update(range(a, b + 1, step))
        else:
            out.add(int(part))
    if not out or min(out) < 1:
        raise ValueError(f"bad list {text!r}: positive integers expected")
    return sorted(out)


def _bytes_key(path: str) -> bytes:
    return os.fsencode(path)


def find_images(root: str) -> list:
    """Image files under root (links followed), as absolute paths, in imgshard's
    order: sorted by the byte order of their path relative to root."""
    root = os.path.abspath(root)
    rel = []
    seen = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:          # a link loop
            dirnames[:] = []
            continue
        seen.add(real)
        for name in filenames:
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if ext in IMAGE_EXTENSIONS:
                rel.append(os.path.relpath(os.path.join(dirpath, name), root))
    rel.sort(key=_bytes_key)
    return [os.path.join(root, r) for r in rel]


def write_image_list(images: Sequence[str], n: int, list_path: str) -> str:
    """Write an imgshard ``@list`` of the first n images (paths relative to the
    list's folder). When n exceeds len(images), the list wraps around: pass k
    (k >= 1) uses symlinks ``rep<k>/<index><ext>`` next to the list, so every
    line is a distinct path. Returns list_path."""
    if not images:
        raise ValueError("no images to list")
    if n < 1:
        raise ValueError("n must be >= 1")
    folder = os.path.dirname(os.path.abspath(list_path))
    os.makedirs(folder, exist_ok=True)
    lines = []
    for i in range(n):
        k, j = divmod(i, len(images))
        src = os.path.realpath(images[j])
        if k == 0:
            target = src
        else:
            ext = os.path.splitext(src)[1]
            target = os.path.join(folder, f"rep{k}", f"{j:07d}{ext}")
            if not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(src, target)
        lines.append(os.path.relpath(target, folder))
    with open(list_path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return list_path


def images_for(mode: str, n: int, ranks: int, threads: int, per: str = "core") -> int:
    """Images of one configuration: n in strong mode; in weak mode n per core
    (ranks x threads) or, with per='rank', n per rank."""
    if mode == "strong":
        return n
    if per == "rank":
        return n * ranks
    return n * ranks * threads
