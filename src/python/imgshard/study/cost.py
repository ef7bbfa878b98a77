"""The projection's cost model (``scaling-study --project``), calibrated on measured runs.

Cost model (``CostModel``)
--------------------------
imgshard has R ranks of T threads. Rank 0 discovers and plans (once), hands
out units of ``chunk`` images and collects what the workers report; when it has
nothing to coordinate it processes units itself. Who writes the /images rows is
the writer (``imgshard --writer``):

* ``root`` (the old design): rank 0 receives every row and writes it;
* ``ranks`` (the default): every rank writes the rows it computed into the file
  itself (pwrite at the row's offset), and rank 0 receives per image only a few
  bytes of metadata (status, error text, original shape), writes the small
  datasets and keeps the journal.

Calibrated constants, all in seconds (see ``calibrate``):

* c_w   worker cost per image in core-seconds: (read + decode + kernels) x
        threads / images of the worker ranks;
* c_s   a worker's serial messaging per image: (send + receive) / images;
* c_own ``ranks`` only: a rank's write of its own rows per image, its write
        phase / its images (= b_out / BW_rank, BW_rank one rank's write bandwidth);
* c_msg rank 0's hand-out and receive per image: (send + receive) / images,
        i.e. its per-unit cost h divided by chunk (c_msg = h / chunk); with
        ``root`` that receive carries every row's pixels, with ``ranks`` metadata;
* c_wr  ``root``: rank 0's HDF5 write of every row per image: its write phase /
        images (= b_out / BW_write). ``ranks``: 0. Rank 0's main thread then only
        hands the metadata rows to its writer thread; its write phase is the wait
        for that thread, above all at the end of the run (the last units' rows and
        the final sync): about 0.1 to 0.2 s a run as measured, whether the run had
        240 images or 1,200, so it goes into F. c_wr_all = rank 0's write / images,
        the same time charged per image, gives a lower bound of R*_0, printed too;
* F     rank 0's one-time discover + plan (``ranks``: + its write phase).

Derived: a worker rank completes x_w = 1 / (c_w/T + c_s + c_own) images/s,
rank 0 x_0 = 1 / (c_w/T + c_own) images/s when it processes, and rank 0 spends
c_0 = c_msg + c_wr seconds coordinating every image. Rank 0 processes only in
the time that coordination leaves free, (1 - X c_0), so the steady-state
throughput X solves X = (R-1) x_w + (1 - X c_0) x_0:

    X(R) = ((R - 1) x_w + x_0) / (1 + c_0 x_0)   while (R - 1) x_w c_0 <= 1
    X(R) = 1 / c_0                              beyond: rank 0 is saturated

(continuous at the boundary). Rank 0 saturates from

    R*_0 = 1 + 1 / (c_0 x_w)  ranks   (~ per-image work time of a rank / c_0),

the write bandwidth alone would saturate it (``root``) from R_w = 1 + 1 / (c_wr
x_w), and the coordinator's utilisation is U_0 = min(1, X c_0).

The file system takes at most B bytes/s from all ranks together (``fs_bw``, the
``--fs-bandwidth`` what-if): X <= B / b_out (b_out: output bytes per image). With
``ranks`` every rank writes b_out x_w bytes/s, so the file system saturates from

    R*_fs = 1 + (B/b_out (1 + c_0 x_0) - x_0) / x_w   ~  B / (b_out x_w) ranks;

with ``root`` the single writer gets at most B itself (c_wr >= b_out / B), so B
lowers R*_0 instead. An optional aggregate read bandwidth caps X <= BW_read /
b_in (b_in: input bytes per image) in the same way. R* is the smallest of R*_0,
R*_fs and the read cap's. For N images the predicted wall time is F + N / X(R),
the throughput N / that.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Iterable, Sequence

import numpy as np

from .reports import COMPUTE_PHASES, count, phase, processed, rank0, worker_ranks, writer_of

WRITERS = ("ranks", "root")


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
    writer: str = "root"  # who writes the rows: "root" (rank 0, all of them) or "ranks" (each its own)
    c_own: float = 0.0    # "ranks": a rank's write of its own rows, seconds per image
    fs_bw: float = 0.0    # aggregate file-system write bandwidth, bytes/s (0: no cap)
    c_wr_all: float = 0.0  # "ranks": rank 0's write phase per image (what F holds, charged per image)

    @property
    def c_0(self) -> float:
        return self.c_msg + self.c_wr

    @property
    def x_w(self) -> float:
        return 1.0 / (self.c_w / self.threads + self.c_s + self.c_own)

    @property
    def x_0(self) -> float:
        return 1.0 / (self.c_w / self.threads + self.c_own)

    @property
    def write_bw(self) -> float:
        """Write bandwidth of one writer (bytes/s): rank 0's implied by c_wr ("root"), a
        rank's own implied by c_own ("ranks"); inf if writing is free."""
        c = self.c_own if self.writer == "ranks" else self.c_wr
        return self.b_out / c if c > 0 else math.inf

    @property
    def rank_bytes_per_s(self) -> float:
        """Bytes/s one busy worker rank makes (and, with "ranks", writes): b_out x_w."""
        return self.b_out * self.x_w

    def with_write_bw(self, bw: float) -> "CostModel":
        """The same model with the writer's bandwidth bw (bytes/s): c_wr = b_out / bw
        ("root"), c_own = b_out / bw ("ranks")."""
        if not self.b_out:
            raise ValueError("output bytes per image unknown; cannot use a write bandwidth")
        if self.writer == "ranks":
            return dataclasses.replace(self, c_own=self.b_out / bw)
        return dataclasses.replace(self, c_wr=self.b_out / bw)

    def with_fs_bw(self, bw: float) -> "CostModel":
        """The same model on a file system that takes bw bytes/s from all ranks together.
        "root": rank 0's write can go no faster (c_wr >= b_out / bw)."""
        if not self.b_out:
            raise ValueError("output bytes per image unknown; cannot use a file-system bandwidth")
        m = dataclasses.replace(self, fs_bw=bw)
        if self.writer == "root":
            m.c_wr = max(self.c_wr, self.b_out / bw)
        return m

    def with_chunk(self, chunk: int) -> "CostModel":
        """"ranks": the same model with units of `chunk` images. What a rank 0 and a worker
        pay per unit (a hand-out, a result's metadata, its bookkeeping: c_msg, c_s, c_wr)
        spreads over the unit's images, so it scales with measured chunk / chunk. Not for
        "root", whose receive and write carry the pixels: per byte, not per unit."""
        if self.writer != "ranks":
            raise ValueError("--writer root moves every row through rank 0: its cost is per byte, not per unit")
        if not self.chunk or chunk < 1:
            raise ValueError("the measured chunk is unknown")
        k = self.chunk / chunk
        # c_wr_all stays: it holds rank 0's own rows, a cost per byte
        return dataclasses.replace(self, c_msg=self.c_msg * k, c_s=self.c_s * k, c_wr=self.c_wr * k, chunk=chunk)

    def saturation_ranks(self) -> float:
        """R*_0 = 1 + 1/(c_0 x_w): from this many ranks rank 0 is 100% busy."""
        return 1.0 + 1.0 / (self.c_0 * self.x_w) if self.c_0 > 0 else math.inf

    def saturation_ranks_upper(self) -> float:
        """R*_0 with rank 0's write phase charged per image ("ranks": c_wr_all, instead of
        once per run in F): a lower bound of R*_0."""
        c0 = self.c_msg + max(self.c_wr, self.c_wr_all)
        return 1.0 + 1.0 / (c0 * self.x_w) if c0 > 0 else math.inf

    def write_saturation_ranks(self) -> float:
        """R_w = 1 + 1/(c_wr x_w): where rank 0's write alone would saturate it."""
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

    def fs_cap(self) -> float:
        """Images/s the file system takes: B / b_out (inf without a bandwidth)."""
        return self.fs_bw / self.b_out if self.fs_bw > 0 and self.b_out > 0 else math.inf

    def throughput(self, ranks):
        """Steady-state images/s on `ranks` ranks (array-friendly)."""
        return np.minimum(self._uncapped(ranks), min(self.read_cap(), self.fs_cap()))

    def _cap_ranks(self, cap: float) -> float:
        """Smallest rank count (real) at which an images/s cap binds."""
        if not math.isfinite(cap):
            return math.inf
        c0, xw, x0 = self.c_0, self.x_w, self.x_0
        if c0 > 0 and 1.0 / c0 <= cap:
            return math.inf
        return 1.0 + (cap * (1.0 + c0 * x0) - x0) / xw

    def read_saturation_ranks(self) -> float:
        """Smallest rank count (real) at which the read bandwidth cap binds."""
        return self._cap_ranks(self.read_cap())

    def fs_saturation_ranks(self) -> float:
        """R*_fs: smallest rank count (real) at which the file system's bandwidth binds."""
        return self._cap_ranks(self.fs_cap())

    def r_star(self):
        """(R*, what binds there): the smallest of rank 0's saturation ("rank0"), the file
        system's ("fs") and the read bandwidth's ("read_bw"); (inf, None) if none binds."""
        cands = [(self.saturation_ranks(), "rank0"), (self.fs_saturation_ranks(), "fs"),
                 (self.read_saturation_ranks(), "read_bw")]
        r, what = min(cands, key=lambda c: c[0])
        return (r, what) if math.isfinite(r) else (math.inf, None)

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
        """What bounds the throughput at each rank count: workers, rank0, fs or read_bw."""
        r = np.atleast_1d(np.asarray(ranks, dtype=float))
        unc = self._uncapped(r)
        read, fs = self.read_cap(), self.fs_cap()
        out = []
        for ri, xi in zip(r, unc):
            if xi >= min(read, fs):
                out.append("read_bw" if read <= fs else "fs")
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


def run_writer(run: dict):
    """The writer of a recorded run: as recorded, else as its report shows (None: 1 rank)."""
    return run.get("writer") or writer_of(run["report"])


def _model_writer(runs: Sequence[dict], writer) -> str:
    if writer:
        return writer
    seen = {run_writer(r) for r in runs} - {None}
    if len(seen) > 1:
        raise ValueError("runs of both writers (--writer ranks and root): calibrate one writer at a time")
    return seen.pop() if seen else "root"


def calibrate(runs: Sequence[dict], threads: int, ranks: int | None = None, writer: str | None = None) -> CostModel:
    """Calibrate a CostModel for `threads` threads per rank from measured runs.

    Each run is a dict with "report" (the imgshard report), optionally "out_bytes"
    (size of the HDF5 file) and "writer" (as run; else read from the report:
    ``reports.writer_of``). Runs at other thread counts, at other rank counts when
    `ranks` is given, and of the other writer when `writer` is given, are ignored
    (one-rank runs count for either writer). Sums are pooled over the selected runs
    (ratio of sums, not mean of ratios):

      c_w   = sum (read+decode+kernels)*threads / sum images     over worker ranks
      c_s   = sum (send+receive) / sum images                    over ranks >= 1
      c_msg = sum (rank0.send + rank0.receive) / sum images      over runs with >= 2 ranks
      F     = median (rank0.discover + rank0.plan)

    and, by writer,

      root:  c_wr  = sum rank0.write / sum images                over all runs
      ranks: c_own = sum write / sum images                      over ranks >= 1
             c_wr  = 0; F += median rank0.write                   over runs with >= 2 ranks
             c_wr_all = sum rank0.write / sum images              (the same time per image)
             (in a one-rank run rank 0's write is that of its own rows: c_own)
    """
    sel = [r for r in runs if int(r["report"].get("omp_threads", 0)) == threads
           and (ranks is None or int(r["report"].get("mpi_ranks", 1)) == ranks)
           and (writer is None or run_writer(r) in (writer, None))]
    if not sel:
        where = f"{threads} threads" + ("" if ranks is None else f" and {ranks} ranks") \
            + ("" if writer is None else f" and --writer {writer}")
        raise ValueError(f"no run with {where} to calibrate from")
    w = _model_writer(sel, writer)
    comp = img = 0.0
    s_msg = s_img = 0.0
    own = own_img = 0.0     # workers' write of their rows
    own1 = own1_img = 0.0   # rank 0's in one-rank runs ("ranks": its own rows)
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
            img += float(count(r, "images"))
        r0 = rank0(rep)
        if multi:
            for r in rep.get("ranks") or []:
                if int(r.get("rank", 0)) != 0:
                    s_msg += phase(r, "send") + phase(r, "receive")
                    s_img += float(count(r, "images"))
                    own += phase(r, "write")
                    own_img += float(count(r, "images"))
            m0 += phase(r0, "send") + phase(r0, "receive")
            m0_img += n
        if w == "root" or multi:
            wr += phase(r0, "write")
            wr_img += n
        else:   # "ranks", one rank: rank 0 writes its own rows
            own1 += phase(r0, "write")
            own1_img += n
        fixed.append(phase(r0, "discover") + phase(r0, "plan")
                     + (phase(r0, "write") if w == "ranks" and multi else 0.0))
        if run.get("out_bytes") and n:
            b_out.append(float(run["out_bytes"]) / n)
        elif n and any("bytes_written" in r for r in rep.get("ranks") or []):
            b_out.append(sum(count(r, "bytes_written") for r in rep["ranks"]) / n)
        if n:
            b_in.append(sum(float(count(r, "bytes_read")) for r in rep.get("ranks") or []) / n)
        chunks.append(int(rep.get("chunk", 0) or 0))
    if img <= 0 or comp <= 0:
        raise ValueError(f"runs with {threads} threads report no processing time")
    ranks_writer = w == "ranks"
    return CostModel(
        threads=threads,
        c_w=comp / img,
        c_s=s_msg / s_img if s_img else 0.0,
        c_msg=m0 / m0_img if m0_img else 0.0,
        c_wr=wr / wr_img if (wr_img and not ranks_writer) else 0.0,
        c_wr_all=wr / wr_img if (ranks_writer and wr_img) else 0.0,
        fixed=float(np.median(fixed)),
        chunk=int(np.median(chunks)) if chunks else 0,
        b_out=float(np.median(b_out)) if b_out else 0.0,
        b_in=float(np.median(b_in)) if b_in else 0.0,
        writer=w,
        c_own=0.0 if w != "ranks" else own / own_img if own_img else own1 / own1_img if own1_img else 0.0,
    )


def _f(row: dict, key: str) -> float:
    v = row.get(key, "")
    try:
        return float(v) if v not in ("", None) else 0.0
    except (TypeError, ValueError):
        return 0.0


def row_writer(row: dict) -> str:
    """The writer of a study.csv row; "root" for a study from before --writer (no column)."""
    return str(row.get("writer") or "root")


def calibrate_rows(rows: Sequence[dict], threads: int, ranks: int | None = None,
                   writer: str | None = None) -> CostModel:
    """calibrate() from study.csv rows instead of reports (medians over the repeats), for
    a study whose reports are gone, such as those in data/measured/. Per row, with R
    ranks, n images, p the mean-over-ranks phases and r0_p rank 0's:

      worker sums = R p - r0_p; worker images = n - r0_images (r0_images, where the
      CSV lacks it, from rank 0's share of the compute time)
      c_w   = R (read+decode+kernels) T / n                     (all ranks pooled)
      c_s   = worker (send+receive) / worker images             rows with R >= 2
      c_own = worker write / worker images                      "ranks", rows with R >= 2
      c_msg = (r0_send + r0_receive) / n                        rows with R >= 2
      c_wr  = r0_write / n                                      "root", every row
      F    += r0_write                                          "ranks", rows with R >= 2
      F = median (r0_discover + r0_plan), b_out = out_bytes / n, b_in = bytes_read / n

    Ratios of sums over the selected rows, as calibrate() does.
    """
    sel = [r for r in rows if int(_f(r, "threads")) == threads
           and (ranks is None or int(_f(r, "ranks")) == ranks)
           and (writer is None or row_writer(r) == writer or int(_f(r, "ranks")) == 1)]
    if not sel:
        raise ValueError(f"no study row with {threads} threads"
                         + ("" if ranks is None else f" and {ranks} ranks")
                         + ("" if writer is None else f" and --writer {writer}"))
    writers = {row_writer(r) for r in sel if int(_f(r, "ranks")) >= 2}
    if writer is None and len(writers) > 1:
        raise ValueError("rows of both writers: calibrate one writer at a time")
    w = writer or (writers.pop() if writers else row_writer(sel[0]))
    comp = img = s_msg = s_img = own = own_img = wr = wr_img = m0 = m0_img = 0.0
    fixed, b_out, b_in, chunks = [], [], [], []
    for row in sel:
        R, n = int(_f(row, "ranks")), _f(row, "images")
        if n <= 0:
            continue
        all_comp = R * sum(_f(row, p) for p in COMPUTE_PHASES)
        r0_comp = sum(_f(row, "r0_" + p) for p in COMPUTE_PHASES)
        comp += all_comp * threads
        img += n
        if "r0_images" in row and row["r0_images"] not in ("", None):
            r0_img = _f(row, "r0_images")
        else:
            r0_img = n * r0_comp / all_comp if all_comp > 0 else n / R
        w_img = max(n - r0_img, 0.0)
        if R >= 2:
            s_msg += R * (_f(row, "send") + _f(row, "receive")) - (_f(row, "r0_send") + _f(row, "r0_receive"))
            s_img += w_img
            own += R * _f(row, "write") - _f(row, "r0_write")
            own_img += w_img
            m0 += _f(row, "r0_send") + _f(row, "r0_receive")
            m0_img += n
        if w == "root" or R >= 2:
            wr += _f(row, "r0_write")
            wr_img += n
        fixed.append(_f(row, "r0_discover") + _f(row, "r0_plan")
                     + (_f(row, "r0_write") if w == "ranks" and R >= 2 else 0.0))
        if _f(row, "out_bytes"):
            b_out.append(_f(row, "out_bytes") / n)
        if _f(row, "bytes_read"):
            b_in.append(_f(row, "bytes_read") / n)
        chunks.append(int(_f(row, "chunk")))
    if img <= 0 or comp <= 0:
        raise ValueError(f"rows with {threads} threads report no processing time")
    return CostModel(
        threads=threads, c_w=comp / img,
        c_s=max(s_msg, 0.0) / s_img if s_img else 0.0,
        c_msg=m0 / m0_img if m0_img else 0.0,
        c_wr=wr / wr_img if (wr_img and w != "ranks") else 0.0,
        c_wr_all=wr / wr_img if (w == "ranks" and wr_img) else 0.0,
        fixed=float(np.median(fixed)) if fixed else 0.0,
        chunk=int(np.median(chunks)) if chunks else 0,
        b_out=float(np.median(b_out)) if b_out else 0.0,
        b_in=float(np.median(b_in)) if b_in else 0.0,
        writer=w,
        c_own=max(own, 0.0) / own_img if (w == "ranks" and own_img) else 0.0,
    )
