"""The benchmark's rows, declared once: what each runs, what it is measured against, and
what it must reach.

`ROWS` is the table: one `RowSpec` per row, with its command builder, its baseline (the
row whose seconds its ratio divides), its limit (the decode-only loop its "% of limit"
compares with), its target and its layouts. `make_rows` turns the specs into `Row`s to
run, one per layout, leaving out those whose tool is missing.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import statistics
from typing import Callable, Optional

PIPE_EXACT = "resize=224:224"
PIPE_IMAGENET = ("shorter=256,crop=224:224,"
                 "normalize=mean=0.485/0.456/0.406:std=0.229/0.224/0.225,layout=chw")


@dataclasses.dataclass(frozen=True)
class Target:
    """The row's images/s must be >= ratio x its baseline's and, with a share, >= share x
    its limit's (the internal rates)."""
    ratio: float
    share: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class Layout:
    """How a command is launched: directly or under mpirun, ranks x threads."""
    launcher: str      # "direct" (one process: an MPI singleton) or "mpirun"
    ranks: int
    threads: int
    launched: bool = False   # as users launch it: the layout the targets are judged on first

    @property
    def label(self) -> str:
        first = "1 process" if self.launcher == "direct" else f"{self.ranks} rank{'s' if self.ranks > 1 else ''}"
        return f"{first} x {self.threads} thread{'s' if self.threads > 1 else ''}"

    @property
    def tag(self) -> str:
        return f"{self.launcher}{self.ranks}x{self.threads}"


@dataclasses.dataclass
class Context:
    """What the command builders need: the options, the inputs and where to write."""
    a: object             # parsed options: cores, python, imgshard, bare, mpirun, scripts, ...
    inputs: list          # INPUT arguments (the corpus folder)
    n: int                # images
    tmp: str              # folder for outputs
    listfile: Optional[str] = None   # the images, one path a line (vips)


@dataclasses.dataclass
class Built:
    """One row's command as the builder made it."""
    cmd: list
    layout: str = ""
    output: Optional[str] = None          # HDF5 file written, compared with the Python output
    internal: Optional[Callable] = None   # fn(Finished run) -> the program's own seconds
    prepare: Optional[Callable] = None    # fn() before each run, untimed
    check: Optional[Callable] = None      # fn() -> problem or None, after the first run
    launched: bool = False


@dataclasses.dataclass(frozen=True)
class RowSpec:
    name: str
    group: str                       # python, peer, limit, imgshard, writer
    build: Callable                  # fn(Context, row name, Layout or None) -> Built
    what: str = ""                   # one line for --help and the notes
    baseline: Optional[str] = "python"   # ratio = baseline's seconds / this row's
    limit: Optional[str] = None      # "% of limit" against this row's internal images/s
    compare: Optional[str] = None    # /images compared with this Python row's output
    target: Optional[Target] = None
    layouts: Optional[Callable] = None   # fn(cores) -> [Layout]; None: one plain command
    needs: str = "python"            # the tool that must be there: python, vips, bare, imgshard


class Row:
    """A spec on one layout, and its runs."""

    def __init__(self, spec: RowSpec, built: Built, images: int):
        self.spec = spec
        self.name, self.group = spec.name, spec.group
        self.cmd, self.layout, self.output = built.cmd, built.layout, built.output
        self.internal, self.prepare, self.check = built.internal, built.prepare, built.check
        self.launched = built.launched
        self.images = images
        self.accept_rc = (0,)
        self.runs = []
        self.errors = []

    def ok_runs(self):
        return [r for r in self.runs if r.rc in self.accept_rc and not r.timed_out]

    def median(self, attr):
        vals = [getattr(r, attr) for r in self.ok_runs() if getattr(r, attr, None) is not None]
        return statistics.median(vals) if vals else None


# --- how each program reports its own time ----------------------------------------------------

def last_json(text):
    """The last line of text that parses as a JSON object, or None."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                pass
    return None


def find_key(obj, keys):
    """First value of any of keys in a (nested) JSON object, breadth first."""
    queue = [obj]
    while queue:
        o = queue.pop(0)
        if isinstance(o, dict):
            for k in keys:
                if k in o and isinstance(o[k], (int, float)):
                    return float(o[k])
            queue.extend(v for v in o.values() if isinstance(v, (dict, list)))
        elif isinstance(o, list):
            queue.extend(v for v in o if isinstance(v, (dict, list)))
    return None


def internal_from_stdout(run):
    """python-baseline.py and bare_decode end with a JSON line holding "seconds"."""
    j = last_json(run.stdout)
    return j.get("seconds") if j else None


def internal_from_report(report_path):
    def f(run):
        try:
            with open(report_path) as fh:
                rep = json.load(fh)
        except (OSError, json.JSONDecodeError):
            return None
        return find_key(rep, ["wall_seconds", "wall_s", "seconds"])
    return f


# --- command builders ---------------------------------------------------------------------------

def python_cmd(*extra):
    """scripts/python-baseline.py on --cores processes."""
    def build(ctx: Context, name: str, layout=None) -> Built:
        a = ctx.a
        out = os.path.join(ctx.tmp, f"{name}.h5")
        cmd = [a.python, os.path.join(a.scripts, "python-baseline.py"), "--cores", str(a.cores), *extra,
               *ctx.inputs, "-o", out]
        return Built(cmd, f"{a.cores} processes", output=out, internal=internal_from_stdout)
    return build


def vips_cmd(ctx: Context, name: str, layout=None) -> Built:
    """vipsthumbnail over the files in batches, xargs -P cores, one thread per process."""
    a, n = ctx.a, ctx.n
    outdir = os.path.join(ctx.tmp, "vips")
    batch = max(1, min(100, math.ceil(n / (a.cores * 8))))

    def prepare():
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)

    def check():
        got = len(os.listdir(outdir))
        return None if got == n else f"vipsthumbnail wrote {got} of {n} files"

    cmd = ["xargs", "-a", ctx.listfile, "-d", "\n", "-P", str(a.cores), "-n", str(batch),
           shutil.which("vipsthumbnail"), "--size", "224x224!", "-o", os.path.join(outdir, "%s.v")]
    return Built(cmd, f"xargs -P {a.cores} -n {batch}", prepare=prepare, check=check)


def bare_cmd(scale, resize):
    """tests/bench/bare_decode: the decode (+ resize) loop over OpenMP threads, no output."""
    def build(ctx: Context, name: str, layout=None) -> Built:
        a = ctx.a
        cmd = [a.bare, "--threads", str(a.cores), "--scale", scale, "--resize", resize, *ctx.inputs]
        return Built(cmd, f"{a.cores} threads", internal=internal_from_stdout)
    return build


def imgshard_cmd(pipe, decode, *extra):
    """imgshard on the layout, with --report (its wall_seconds is the internal time)."""
    def build(ctx: Context, name: str, layout: Layout) -> Built:
        a = ctx.a
        tag = f"{name}-{layout.tag}"
        out = os.path.join(ctx.tmp, f"{tag}.h5")
        rep = os.path.join(ctx.tmp, f"{tag}.report.json")
        launch = [] if layout.launcher == "direct" else [a.mpirun, "-np", str(layout.ranks), "--bind-to", "none",
                                                          "--oversubscribe"]
        cmd = [*launch, a.imgshard, *ctx.inputs, "-o", out, "-p", pipe, "--decode", decode,
               "--threads", str(layout.threads), "--force", "--progress", "none", "--report", rep, *extra]

        def prepare():
            if os.path.exists(rep):
                os.remove(rep)
        return Built(cmd, layout.label, output=out, internal=internal_from_report(rep), prepare=prepare,
                     launched=layout.launched)
    return build


def imgshard_layouts(cores):
    """One process started directly (an MPI singleton, as on a laptop), one rank under
    mpirun, and one rank per core under mpirun (as users launch it)."""
    layouts = [Layout("direct", 1, cores), Layout("mpirun", 1, cores, launched=cores == 1)]
    if cores > 1:
        layouts.append(Layout("mpirun", cores, 1, launched=True))
    return layouts


def writer_layouts(cores):
    """Two ranks under mpirun, the cores shared between them: the smallest run in which a
    rank other than rank 0 makes rows, so that who writes them matters."""
    return [Layout("mpirun", 2, max(1, cores // 2), launched=True)]


# --- the table ----------------------------------------------------------------------------------

ROWS = (
    RowSpec("python", "python", python_cmd(), baseline="python",
            what="scripts/python-baseline.py: ProcessPoolExecutor(N).map over imread + cvtColor + "
                 "resize(224x224, INTER_AREA), np.stack, h5py"),
    RowSpec("python-chunk16", "python", python_cmd("--chunksize", "16"),
            what="the same with Executor.map(chunksize=16) (information only)"),
    RowSpec("python-imagenet", "python", python_cmd("--imagenet"), baseline=None,
            what="shorter side 256, centre crop 224, normalize, CHW float32"),
    RowSpec("vips", "peer", vips_cmd, needs="vips",
            what="vipsthumbnail --size 224x224! via xargs -P N, VIPS_CONCURRENCY=1"),
    RowSpec("decode-only", "limit", bare_cmd("1", "none"), limit="decode-only", needs="bare",
            what="bare_decode --scale 1 --resize none: the physical limit of exact mode"),
    RowSpec("decode-only-fast", "limit", bare_cmd("auto", "none"), limit="decode-only-fast", needs="bare",
            what="bare_decode --scale auto --resize none: the limit of fast mode"),
    RowSpec("bare-exact", "limit", bare_cmd("1", "opencv"), limit="decode-only", needs="bare",
            what="bare_decode --scale 1: decode + cv::resize(INTER_AREA) (information)"),
    RowSpec("bare-fast", "limit", bare_cmd("auto", "opencv"), limit="decode-only-fast", needs="bare",
            what="bare_decode --scale auto: the same at the DCT scale (information)"),
    RowSpec("imgshard-exact", "imgshard", imgshard_cmd(PIPE_EXACT, "exact"), limit="decode-only",
            compare="python", target=Target(3.0, 0.65), layouts=imgshard_layouts, needs="imgshard",
            what="imgshard -p resize=224:224 (--decode exact)"),
    RowSpec("imgshard-fast", "imgshard", imgshard_cmd(PIPE_EXACT, "fast"), limit="decode-only-fast",
            compare="python", target=Target(5.0), layouts=imgshard_layouts, needs="imgshard",
            what="imgshard -p resize=224:224 --decode fast"),
    RowSpec("imgshard-imagenet", "imgshard", imgshard_cmd(PIPE_IMAGENET, "exact"), baseline="python-imagenet",
            limit="decode-only", compare="python-imagenet", target=Target(4.0), layouts=imgshard_layouts,
            needs="imgshard", what="imgshard -p shorter=256,crop=224:224,normalize=...,layout=chw"),
    RowSpec("writer-root", "writer", imgshard_cmd(PIPE_EXACT, "exact", "--writer", "root"), limit="decode-only",
            compare="python", layouts=writer_layouts, needs="imgshard",
            what="mpirun -np 2 imgshard --writer root: rank 0 receives and writes every row"),
    RowSpec("writer-ranks", "writer", imgshard_cmd(PIPE_EXACT, "exact", "--writer", "ranks"),
            baseline="writer-root", limit="decode-only", compare="python", target=Target(0.95),
            layouts=writer_layouts, needs="imgshard",
            what="mpirun -np 2 imgshard --writer ranks (the default): every rank writes its own rows"),
)
SPECS = {s.name: s for s in ROWS}
TARGETS = {s.name: s.target for s in ROWS if s.target}


def missing_tool(spec: RowSpec, a) -> Optional[str]:
    """Why the spec's tool is missing (a message), or None when it is there."""
    if spec.needs == "vips" and not shutil.which("vipsthumbnail"):
        return "benchmark: vipsthumbnail not found (apt-get install libvips-tools): skipping vips"
    if spec.needs == "bare" and (not a.bare or not os.access(a.bare, os.X_OK)):
        return (f"benchmark: bare_decode not found at {a.bare}: skipping the limit rows "
                "(build it: cmake -S . -B build -DIMGSHARD_BUILD_BENCHMARKS=ON && "
                "cmake --build build --target bare_decode; or pass --bare PATH)")
    if spec.needs == "imgshard":
        if not a.imgshard or not os.access(a.imgshard, os.X_OK):
            return (f"benchmark: imgshard not found at {a.imgshard}: skipping the imgshard rows "
                    "(build it: cmake -S . -B build && cmake --build build; or pass --imgshard PATH)")
        if not a.mpirun:
            return "benchmark: mpirun not found (apt-get install openmpi-bin): skipping the imgshard rows"
    return None


def make_rows(ctx: Context, names=None, say=print) -> list:
    """Rows of the specs named (all of ROWS by default), in the table's order, one per
    layout; a spec whose tool is missing is left out and `say` is told why."""
    rows = []
    for spec in ROWS:
        if names is not None and spec.name not in names:
            continue
        why = missing_tool(spec, ctx.a)
        if why:
            say(why)
            continue
        layouts = spec.layouts(ctx.a.cores) if spec.layouts else [None]
        for layout in layouts:
            rows.append(Row(spec, spec.build(ctx, spec.name, layout), ctx.n))
    return rows
