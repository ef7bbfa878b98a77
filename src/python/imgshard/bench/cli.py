"""scripts/benchmark: imgshard's benchmark: imgshard against the Python pipeline it replaces, a peer tool
(vipsthumbnail) and the bare decode+resize loop that bounds it, on the same machine, the
same cores and the same images, in one run.

    scripts/benchmark [--cores N] [--repeat K] [--images N] [--out DIR] [--linearity]

Steps:
  1. corpus: scripts/make-corpus (N product-photo-like JPEGs, cached in ~/.cache). When
     /usr/share/wallpapers is missing and we are root, installs plasma-workspace-wallpapers
     first (--no-install: don't); falls back to opencv-doc's photographs otherwise.
  2. rows, each run K times (round robin, so drift hits every row alike), every command
     confined to the same N CPUs (sched_setaffinity, inherited by mpirun's ranks and
     xargs' children):
       python            scripts/python-baseline.py: ProcessPoolExecutor(N).map over
                         imread + cvtColor + resize(224x224, INTER_AREA), np.stack, h5py
       python-chunk16    the same with Executor.map(chunksize=16) (information only)
       python-imagenet   shorter side 256, centre crop 224, normalize, CHW float32
       vips              vipsthumbnail --size 224x224! -o TMP/%s.v, via xargs -P N, batches
                         of files per process, VIPS_CONCURRENCY=1 (one thread per process)
       decode-only       bare_decode --scale 1 --resize none: read + full-size TurboJPEG
                         decode, no resize, no output: the physical limit of exact mode
       decode-only-fast  bare_decode --scale auto --resize none: the same at the DCT scale
                         --decode fast picks: the limit of fast mode
       bare-exact        bare_decode --scale 1: decode + cv::resize(INTER_AREA), the loop a
                         user of OpenCV would write (information)
       bare-fast         bare_decode --scale auto: the same at the DCT scale (information)
       imgshard-exact    imgshard -p resize=224:224 (--decode exact)
       imgshard-fast     imgshard -p resize=224:224 --decode fast
       imgshard-imagenet imgshard -p shorter=256,crop=224:224,normalize=...,layout=chw
       writer-root       mpirun -np 2 imgshard --writer root: rank 0 receives and writes
                         every row
       writer-ranks      mpirun -np 2 imgshard --writer ranks (the default): every rank
                         writes its own rows; its ratio is over writer-root's seconds
     imgshard runs as `imgshard --threads N` (one process, no launcher: an MPI
     singleton), as `mpirun -np 1 --bind-to none imgshard --threads N` and as
     `mpirun -np N --bind-to none imgshard --threads 1` (as users launch it); the best
     one is the row, all are listed, and the targets are judged on both the launch users
     make and the best layout.
  3. table on stdout, results.csv, runs.csv (every run), meta.json under --out.

Columns: seconds is the median end-to-end wall time of the command (process start to
exit: interpreter and mpirun start-up included, as a user sees it); x python is the
Python baseline's seconds over the row's (for imgshard-imagenet: over python-imagenet's).
internal s is the time the program reports for its own work (python-baseline: pool start
to closed HDF5 file; bare_decode: its loop; imgshard: wall_seconds of --report), and
% of limit is the row's internal images/s over its decode-only loop's (exact and imagenet:
decode-only, fast: decode-only-fast). Targets (issue 14): exact >= 3.0x python and >= 65%
of decode-only; fast >= 5.0x python; imagenet >= 4.0x python-imagenet; (issue 13)
writer-ranks >= 0.95x writer-root, no loss of single-node speed against the rank-0 writer. max|d| mean|d| =%:
the row's /images against the matching Python output, and the share of equal values.

--linearity adds (--linearity-only: only) a scaling-in-N step: the first 1000 corpus files,
and 8000 files that cycle over the same 1000 (a folder of symbolic links), through
decode-only, imgshard-exact and python; it prints the per-image time at each size, their
ratio (1.0 = perfectly linear) and the peak memory (RSS of the largest process).

The rows are declared once, in imgshard.bench.rows.ROWS; imgshard.bench.runner runs them.
"""

import argparse
import json
import os
import platform
import shutil
import sys
from datetime import datetime, timezone

from .corpus import cpu_model, ensure_wallpapers, list_images, make_corpus, tool_versions, warm_cache, write_list
from .linearity import linearity
from .report import NOTES, compare_outputs, compute_ratios, print_table, summarize, verdicts, write_csv, write_runs_csv
from .rows import Context, make_rows
from .runner import busy_warning, log, log_once, run_rows


def main(argv=None, root=None):
    """The command line; `root`: the checkout whose build/bin and scripts/ are the defaults."""
    root = root or os.getcwd()
    usable = sorted(os.sched_getaffinity(0))
    ap = argparse.ArgumentParser(
        prog="benchmark",
        description="Benchmark imgshard against the Python baseline, vipsthumbnail and the bare "
                    "decode loop, and its two writers against each other (see scripts/benchmark.md).")
    ap.add_argument("--cores", type=int, default=len(usable),
                    help=f"cores for every row (default: all usable, {len(usable)})")
    ap.add_argument("--repeat", type=int, default=3, help="runs per row, median reported (default 3)")
    ap.add_argument("--images", type=int, default=4800,
                    help="corpus size (default 4800: start-up then weighs little)")
    ap.add_argument("--seed", type=int, default=42, help="corpus seed (default 42)")
    ap.add_argument("--corpus", help="use this folder of images instead of make-corpus")
    ap.add_argument("--out", default=os.path.join(root, "build", "benchmark"),
                    help="results folder (default build/benchmark)")
    ap.add_argument("--imgshard", default=os.path.join(root, "build", "bin", "imgshard"))
    ap.add_argument("--bare", default=os.path.join(root, "build", "bin", "bare_decode"))
    ap.add_argument("--mpirun", default=shutil.which("mpirun"))
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="interpreter with cv2, numpy, h5py (default /usr/bin/python3)")
    ap.add_argument("--only", default="", help="comma list: run only rows whose name contains one")
    ap.add_argument("--skip", default="", help="comma list: skip rows whose name contains one")
    ap.add_argument("--linearity", action="store_true",
                    help="also measure per-image time at --linearity-sizes")
    ap.add_argument("--linearity-only", action="store_true", help="only the linearity step")
    ap.add_argument("--linearity-sizes", default="1000,8000",
                    help="two sizes (default 1000,8000); the larger cycles over the smaller's files")
    ap.add_argument("--no-install", action="store_true",
                    help="never apt-get install plasma-workspace-wallpapers")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per command (default 1800)")
    ap.add_argument("--keep", action="store_true", help="keep the outputs (HDF5 files) under OUT/tmp")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    a = ap.parse_args(argv)
    a.root = root
    a.scripts = os.path.join(root, "scripts")

    if a.cores < 1 or a.cores > len(usable):
        ap.error(f"--cores must be between 1 and {len(usable)} (the usable CPUs)")
    if a.repeat < 1:
        ap.error("--repeat must be >= 1")
    if a.repeat < 3:
        log(f"benchmark: --repeat {a.repeat}: medians of fewer than 3 runs are not for publishing")
    a.cpuset = set(usable[:a.cores])
    for attr in ("imgshard", "bare"):
        v = getattr(a, attr)
        if v:
            setattr(a, attr, os.path.abspath(v))
    only = [s for s in a.only.split(",") if s]
    skip = [s for s in a.skip.split(",") if s]

    def wanted(row):
        if only and not any(s in row.name for s in only):
            return False
        return not any(s in row.name for s in skip)

    out = os.path.abspath(a.out)
    tmp = os.path.join(out, "tmp")
    logdir = os.path.join(out, "logs")
    for d in (out, tmp, logdir):
        os.makedirs(d, exist_ok=True)

    env = dict(os.environ)
    env["VIPS_CONCURRENCY"] = "1"
    if os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    # Nothing may spread beyond the given cores on its own.
    for k in ("OMP_NUM_THREADS", "OPENCV_FOR_THREADS_NUM"):
        env.pop(k, None)

    # 1. corpus
    if a.corpus:
        corpus = os.path.abspath(a.corpus)
    else:
        ensure_wallpapers(a)
        corpus = make_corpus(a, a.images)
    files = list_images(corpus)
    if not files:
        sys.exit(f"benchmark: no image under {corpus}")
    n = len(files)
    listfile = os.path.join(tmp, "corpus.txt")
    write_list(listfile, files)
    mean_mb = sum(os.path.getsize(p) for p in files) / n / 1e6

    meta = dict(date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                host=platform.node(), cpu=cpu_model(), usable_cpus=len(usable), cores=a.cores,
                cpuset=sorted(a.cpuset), repeat=a.repeat, corpus=corpus, images=n,
                mean_file_mb=mean_mb, versions=tool_versions(a))
    log(f"benchmark: {n} images in {corpus} ({mean_mb * 1000:.0f} kB mean), "
        f"{a.cores} of {len(usable)} CPUs ({meta['cpu']}), {a.repeat} runs per row")

    all_rows = []
    if not a.linearity_only:
        rows = [r for r in make_rows(Context(a, [corpus], n, tmp, listfile), say=log_once) if wanted(r)]
        all_rows = rows
        if a.dry_run:
            for r in rows:
                print(f"{r.name} [{r.layout}]: taskset -c {','.join(map(str, sorted(a.cpuset)))} "
                      + " ".join(r.cmd))
        else:
            warm_cache(files)
            meta["cpu_busy_before"] = busy_warning(a)
            run_rows(rows, a, env, logdir, "main")
            fidelity = compare_outputs(rows, {r.name: r for r in rows if r.group == "python"})
            results = summarize(rows)
            compute_ratios(results)
            title = (f"\nimgshard benchmark: {n} images ({mean_mb * 1000:.0f} kB mean JPEG), "
                     f"{a.cores} cores ({meta['cpu']}), median of {a.repeat} runs\n")
            print_table(results, fidelity, title)
            vlines, all_ok = verdicts(results)
            print("\ntargets:")
            print("\n".join(vlines))
            print("\n" + NOTES)
            write_csv(os.path.join(out, "results.csv"), results, fidelity)
            write_runs_csv(os.path.join(out, "runs.csv"), "main", rows)
            meta["all_targets_met"] = all_ok
            meta["results"] = results
            print(f"\nwrote {out}/results.csv, runs.csv, meta.json; logs in {logdir}")

    lin_ok = True
    if a.linearity or a.linearity_only:
        lin_ok = linearity(a, env, files, out, tmp, logdir, wanted, meta)

    if not a.dry_run:
        with open(os.path.join(out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1, default=str)
        if not a.keep:
            for r in all_rows:
                if r.output and os.path.exists(r.output):
                    os.remove(r.output)
            shutil.rmtree(os.path.join(tmp, "vips"), ignore_errors=True)
    if a.check and not a.dry_run and (not meta.get("all_targets_met", a.linearity_only) or not lin_ok):
        sys.exit(1)
