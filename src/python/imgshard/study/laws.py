"""Speedup laws and their fits.

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
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np


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
