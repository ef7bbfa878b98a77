"""scripts/scaling-study: strong/weak scaling study of imgshard over MPI ranks x OpenMP threads.

    scripts/scaling-study --input DIR --ranks 1,2,4 --threads 1,2 --out DIR
                          [--images N] [--repeat K] [--warmup W] [--mode strong|weak]
                          [--launcher mpirun|srun] [--project R] [--imgshard PATH]
                          [--pipeline SPEC] [--schedule S] [--chunk N] [--writer ranks,root]
                          [--fs-bandwidth MB/S] [--project-chunk N]
    scripts/scaling-study --reanalyze --out DIR [--project R ...]
    scripts/scaling-study --from-csv STUDY.csv --out DIR [--project R ...]

For every (ranks, threads, writer) it runs imgshard K times with --report, takes
the median, and writes to --out:

  study.csv        one row per configuration (columns: see scripts/scaling-study.md)
  runs.json        every run (kept so that --reanalyze can redo the analysis)
  reports/*.json   imgshard's reports, logs/*.log its output
  speedup.png      speedup vs cores, with the ideal line and the fitted law
  efficiency.png   parallel efficiency vs cores
  phases.png       stacked phase seconds per configuration (mean over ranks; rank 0)
  projection.csv, projection.png, projection.json   with --project R: R* for each
                   writer measured (before: --writer root, after: --writer ranks)

The math (Amdahl/Gustafson fits, Karp-Flatt) is in imgshard.study.laws, the
projection's cost model in imgshard.study.cost; their docstrings have the formulas.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .._tables import jsonable, write_csv
from .analysis import STUDY_COLUMNS, aggregate, analyse, attach_reports, print_table, read_study_csv
from .cost import WRITERS
from .inputs import parse_int_list
from .plots import plot_scaling
from .projection import project
from .runner import StudyError, load_runs, log, run_study


def parse_args(argv, root=None):
    ap = argparse.ArgumentParser(
        prog="scaling-study",
        description="Run imgshard over a grid of MPI ranks x OpenMP threads and "
                    "analyse its scaling (see scripts/scaling-study.md).")
    ap.add_argument("--input", help="folder of images (walked like imgshard does)")
    ap.add_argument("--out", required=True, help="folder for the study's results")
    ap.add_argument("--ranks", default="1,2,4", help="MPI rank counts, e.g. 1,2,4 or 1-8 (default 1,2,4)")
    ap.add_argument("--threads", default="1", help="OpenMP threads per rank, e.g. 1,2 (default 1)")
    ap.add_argument("--images", type=int, help="strong: use the first N images (repeated through "
                    "symlinks if the folder has fewer); weak: N images per core (or per rank)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per configuration; the median is kept (default 3)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="unrecorded runs of the largest configuration first, to warm caches (default 1)")
    ap.add_argument("--mode", choices=("strong", "weak"), default="strong")
    ap.add_argument("--weak-per", choices=("core", "rank"), default="core",
                    help="weak mode: --images is per core (ranks x threads, default) or per rank")
    ap.add_argument("--launcher", choices=("mpirun", "srun"), default="mpirun")
    ap.add_argument("--launcher-arg", action="append", default=[], metavar="ARG",
                    help="extra argument for mpirun/srun (repeatable)")
    ap.add_argument("--imgshard", default=None,
                    help="imgshard binary (default: $IMGSHARD, else build/bin/imgshard of this repo, else imgshard on PATH)")
    ap.add_argument("--pipeline", default="resize=224:224", help="imgshard -p SPEC (default resize=224:224)")
    ap.add_argument("--schedule", choices=("static", "dynamic"), help="imgshard --schedule")
    ap.add_argument("--chunk", type=int, help="imgshard --chunk (images per unit)")
    ap.add_argument("--imgshard-arg", action="append", default=[], metavar="ARG",
                    help="extra argument for imgshard, e.g. --imgshard-arg=--decode=fast (repeatable)")
    ap.add_argument("--writer", default="ranks", metavar="LIST",
                    help="imgshard --writer: ranks (default: every rank writes its rows), root (rank 0 "
                         "writes every row), or ranks,root (every configuration with both; the projection "
                         "then prints R* for each)")
    ap.add_argument("--project", type=int, default=0, metavar="R",
                    help="project throughput and rank 0's load up to R ranks (cost model)")
    ap.add_argument("--calibrate", choices=("largest", "all"), default="largest",
                    help="projection: calibrate on the runs with the most ranks at each thread "
                         "count (default), or pool all runs")
    ap.add_argument("--project-images", type=int, default=0, metavar="N",
                    help="projection: images of the projected run (default: the study's largest)")
    ap.add_argument("--write-bw", type=float, default=0.0, metavar="MB/S",
                    help="projection: assume this HDF5 write bandwidth instead of the measured one")
    ap.add_argument("--read-bw", type=float, default=0.0, metavar="MB/S",
                    help="projection: cap the aggregate input read bandwidth")
    ap.add_argument("--project-chunk", type=int, default=0, metavar="N",
                    help="projection, --writer ranks: units of N images instead of the measured chunk "
                         "(per-unit costs scale with measured chunk / N)")
    ap.add_argument("--fs-bandwidth", type=float, default=0.0, metavar="MB/S",
                    help="projection: the file system takes at most this many MB/s of output from all "
                         "ranks together (default: no cap)")
    ap.add_argument("--scratch", help="folder for the HDF5 outputs (default OUT/work); the "
                    "file system matters: it is where imgshard writes")
    ap.add_argument("--keep-h5", action="store_true", help="keep every run's HDF5 output")
    ap.add_argument("--run-timeout", type=float, default=0.0, metavar="S",
                    help="kill a run after S seconds (default: no limit)")
    ap.add_argument("--reanalyze", action="store_true",
                    help="run nothing: redo study.csv, plots and projection from OUT/runs.json")
    ap.add_argument("--from-csv", metavar="STUDY.csv",
                    help="run nothing: table, plots and projection (into --out) from a study.csv, such as "
                         "those in data/measured/, calibrating on its medians")
    a = ap.parse_args(argv)
    a.root = root
    try:
        a.ranks = parse_int_list(a.ranks)
        a.threads = parse_int_list(a.threads)
    except ValueError as e:
        ap.error(str(e))
    if a.repeat < 1:
        ap.error("--repeat must be >= 1")
    if a.images is not None and a.images < 1:
        ap.error("--images must be >= 1")
    a.writer = list(dict.fromkeys(w.strip() for w in a.writer.split(",") if w.strip()))
    if not a.writer or any(w not in WRITERS for w in a.writer):
        ap.error(f"--writer: a list of {' and '.join(WRITERS)}")
    if not a.reanalyze and not a.from_csv and not a.input:
        ap.error("--input is required (unless --reanalyze or --from-csv)")
    if a.project < 0:
        ap.error("--project must be >= 0")
    return a


def main(argv=None, root=None):
    """The command line; `root`: the checkout whose build/bin/imgshard is the default binary."""
    args = parse_args(sys.argv[1:] if argv is None else argv, root)
    out = os.path.abspath(args.out)
    try:
        if args.from_csv:
            runs, meta = None, {"from_csv": os.path.abspath(args.from_csv)}
            rows = read_study_csv(args.from_csv)
            if not rows:
                raise StudyError(f"no rows in {args.from_csv}")
            os.makedirs(out, exist_ok=True)
        else:
            if args.reanalyze:
                records, meta = load_runs(out)
                args.mode = meta.get("mode", args.mode)
            else:
                records, meta = run_study(args)
            if not records:
                raise StudyError("no runs recorded")
            runs = attach_reports(records, out)
            rows = aggregate(runs)
        ref, fit = analyse(rows, args.mode)
        if runs is not None:
            write_csv(os.path.join(out, "study.csv"), STUDY_COLUMNS, rows)
        print_table(rows, ref, fit, args.mode)
        plots = plot_scaling(rows, fit, out, args.mode)
        study = {"meta": meta, "fit": {"law": fit.law, "serial_fraction": fit.f,
                                       "rmse": fit.rmse, "points": fit.n},
                 "baseline": {"ranks": ref["ranks"], "threads": ref["threads"]}}
        if args.project:
            study["projection"] = project(runs, rows, args, out)
        with open(os.path.join(out, "study.json"), "w") as fh:
            json.dump(jsonable(study), fh, indent=1)
        log("")
        log(f"wrote {os.path.join(out, 'study.csv') + ', ' if runs is not None else ''}"
            + ", ".join(os.path.basename(p) for p in plots)
            + (", projection.csv, projection.png" if args.project else ""))
    except StudyError as e:
        print(f"scaling-study: error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        print(f"scaling-study: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scaling-study: interrupted", file=sys.stderr)
        return 130
    return 0
