"""Running a scaling study: every (ranks, threads) configuration, K times, with --report.

`run_study(args)` runs the grid (args as `imgshard.study.cli.parse_args` makes them) and
returns the records that runs.json keeps; `load_runs(out)` reads them back.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile

from .. import _proc
from .inputs import find_images, images_for, write_image_list

OK_EXIT_CODES = (0, 3)   # 3: finished, some images failed (still a valid timing)


class StudyError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(msg, flush=True)


def warn(msg: str) -> None:
    print(f"scaling-study: warning: {msg}", file=sys.stderr, flush=True)


def default_imgshard(root=None) -> str:
    """$IMGSHARD, else build/bin/imgshard of the checkout `root`, else imgshard on PATH."""
    env = os.environ.get("IMGSHARD")
    if env:
        return env
    if root:
        return os.path.normpath(os.path.join(root, "build", "bin", "imgshard"))
    return shutil.which("imgshard") or "imgshard"


def launcher_cmd(args, ranks: int, threads: int) -> list:
    if args.launcher == "srun":
        return ["srun", "--mpi=pmix", "-n", str(ranks), "--cpus-per-task", str(threads),
                *args.launcher_arg]
    return ["mpirun", "-np", str(ranks), "--bind-to", "none", "--oversubscribe", *args.launcher_arg]


@functools.lru_cache(maxsize=None)
def site_chose_no_pmix_fence() -> bool:
    """True when the cluster's mpi.conf leaves PMIxCollFence unset (`scontrol show config`)."""
    try:
        out = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return re.search(r"^PMIxCollFence\s+= \(null\)$", out, re.M) is not None


def run_env(args, threads: int) -> dict:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    if args.launcher == "mpirun":
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    elif "SLURM_PMIX_FENCE" not in env and site_chose_no_pmix_fence():
        # Slurm's PMIx fences as rings across the nodes, as slurm/imgshard.sbatch asks for:
        # its tree barrier let ranks leave MPI_Init early (slurm/README.md)
        env["SLURM_PMIX_FENCE"] = "ring"
    return env


def run_once(cmd, env, log_path, timeout):
    """Run cmd in its own process group, its output to log_path; returns (rc, seconds).
    A run past `timeout` seconds (0: none) is stopped and raises StudyError."""
    with open(log_path, "w") as logf:
        logf.write("$ " + shlex.join(cmd) + "\n")
        logf.flush()
        done = _proc.run(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, timeout=timeout or None)
    if done.timed_out:
        raise StudyError(f"run timed out after {timeout:g} s: {shlex.join(cmd)} (log: {log_path})")
    return done.rc, done.wall


def tail(path, n=25):
    try:
        with open(path, errors="replace") as fh:
            return "".join(fh.readlines()[-n:])
    except OSError:
        return ""


class Runner:
    def __init__(self, args):
        self.args = args
        self.out = os.path.abspath(args.out)
        self.scratch = os.path.abspath(args.scratch or os.path.join(self.out, "work"))
        for d in (self.out, self.scratch, os.path.join(self.out, "reports"),
                  os.path.join(self.out, "logs")):
            os.makedirs(d, exist_ok=True)
        self.listdir = tempfile.mkdtemp(prefix="lists-", dir=self.scratch)
        self.binary = os.path.abspath(args.imgshard or default_imgshard(args.root))
        self.images = find_images(args.input)
        if not self.images:
            raise StudyError(f"no image files under {args.input}")
        self.lists = {}
        self.records = []

    def close(self):
        shutil.rmtree(self.listdir, ignore_errors=True)

    def input_for(self, n_images):
        """imgshard INPUT for a configuration: the folder itself, or an @list."""
        a = self.args
        if a.mode == "strong" and a.images is None:
            return os.path.abspath(a.input)
        if n_images not in self.lists:
            path = os.path.join(self.listdir, f"list-{n_images}.txt")
            write_image_list(self.images, n_images, path)
            self.lists[n_images] = "@" + path
        return self.lists[n_images]

    def n_images(self, ranks, threads):
        a = self.args
        if a.mode == "strong":
            return a.images or len(self.images)
        return images_for("weak", a.images, ranks, threads, a.weak_per)

    def command(self, ranks, threads, inp, h5, report, writer=None):
        a = self.args
        cmd = launcher_cmd(a, ranks, threads) + [
            self.binary, inp, "-o", h5, "--force", "--progress", "none",
            "--threads", str(threads), "--report", report, "-p", a.pipeline]
        if writer:
            cmd += ["--writer", writer]
        if a.schedule:
            cmd += ["--schedule", a.schedule]
        if a.chunk:
            cmd += ["--chunk", str(a.chunk)]
        return cmd + list(a.imgshard_arg)

    def run_config(self, ranks, threads, tag, record=True, writer=None):
        a = self.args
        n = self.n_images(ranks, threads)
        inp = self.input_for(n)
        h5 = os.path.join(self.scratch, f"out-{tag}.h5")
        report = os.path.join(self.out, "reports", f"{tag}.json")
        logp = os.path.join(self.out, "logs", f"{tag}.log")
        for p in (report,):
            if os.path.exists(p):
                os.remove(p)
        cmd = self.command(ranks, threads, inp, h5, report, writer)
        rc, secs = run_once(cmd, run_env(a, threads), logp, a.run_timeout)
        if rc not in OK_EXIT_CODES:
            raise StudyError(f"imgshard exited with {rc}: {shlex.join(cmd)}\n--- {logp} (tail) ---\n{tail(logp)}")
        if not os.path.exists(report):
            raise StudyError(f"imgshard wrote no report {report}\n--- {logp} (tail) ---\n{tail(logp)}")
        with open(report) as fh:
            rep = json.load(fh)
        out_bytes = os.path.getsize(h5) if os.path.exists(h5) else 0
        if not a.keep_h5 and os.path.exists(h5):
            os.remove(h5)
        if not record:
            return rep, secs
        self.records.append({
            "ranks": ranks, "threads": threads, "tag": tag, "rc": rc,
            "report": os.path.relpath(report, self.out), "launch_seconds": secs,
            "out_bytes": out_bytes, "requested_images": n, "writer": writer or "ranks"})
        return rep, secs

    def save(self, meta):
        path = os.path.join(self.out, "runs.json")
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"meta": meta, "runs": self.records}, fh, indent=1)
        os.replace(tmp, path)


def preflight(args, binary):
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise StudyError(f"imgshard binary not found or not executable: {binary} "
                         "(build it, or pass --imgshard PATH / set $IMGSHARD)")
    exe = "srun" if args.launcher == "srun" else "mpirun"
    if not shutil.which(exe):
        raise StudyError(f"{exe} not found on PATH")
    if args.launcher == "srun" and not os.environ.get("SLURM_JOB_ID"):
        warn("--launcher srun outside a Slurm allocation: every run asks for its own")
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    big = max(r * t for r in args.ranks for t in args.threads)
    if args.launcher == "mpirun" and big > cpus:
        warn(f"up to {big} cores requested but {cpus} CPUs available here: "
             "oversubscribed points do not measure scaling")
    if args.mode == "weak" and args.images is None:
        raise StudyError("--mode weak needs --images N (images per core, or per rank with --weak-per rank)")


def run_study(args) -> list:
    preflight(args, os.path.abspath(args.imgshard or default_imgshard(args.root)))
    runner = Runner(args)
    writers = getattr(args, "writer", None) or ["ranks"]
    configs = [(r, t, w) for r in args.ranks for t in args.threads for w in writers]
    meta = {
        "mode": args.mode, "weak_per": args.weak_per, "input": os.path.abspath(args.input),
        "images_arg": args.images, "pipeline": args.pipeline, "launcher": args.launcher,
        "imgshard": runner.binary, "host": socket.gethostname(),
        "started": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join([sys.argv[0]] + sys.argv[1:]),
        "repeat": args.repeat, "slurm_job_id": os.environ.get("SLURM_JOB_ID"), "writers": writers,
    }
    log(f"scaling-study: {len(configs)} configurations x {args.repeat} repeats, "
        f"{args.mode} scaling, {len(runner.images)} images under {args.input}, launcher {args.launcher}"
        + (f", --writer {' and '.join(writers)}" if len(writers) > 1 else ""))
    try:
        big = max(configs, key=lambda c: (c[0] * c[1], c[0]))
        for k in range(args.warmup):
            _, secs = runner.run_config(*big[:2], tag=f"warmup{k + 1}", record=False, writer=big[2])
            log(f"  warm-up R={big[0]} T={big[1]}: {secs:.2f} s")
        # Repeat-major order spreads slow drifts (caches, noisy neighbours) over all configs.
        for k in range(1, args.repeat + 1):
            for r, t, w in configs:
                tag = f"R{r}-T{t}-{k}" if len(writers) == 1 else f"R{r}-T{t}-{w}-{k}"
                rep, secs = runner.run_config(r, t, tag, writer=w)
                wall = float(rep.get("wall_seconds", secs))
                who = f" {w:<5s}" if len(writers) > 1 else ""
                log(f"  R={r:<4d} T={t:<3d}{who} run {k}/{args.repeat}: {rep.get('images', 0)} images, "
                    f"{wall:.3f} s ({float(rep.get('images_per_s', 0)):.1f} images/s), "
                    f"launch {secs:.2f} s")
                runner.save(meta)
    finally:
        runner.close()
    meta["finished"] = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    runner.save(meta)
    return runner.records, meta


def load_runs(out):
    path = os.path.join(out, "runs.json")
    with open(path) as fh:
        data = json.load(fh)
    return data["runs"], data.get("meta", {})
