"""The benchmark's one runner: every row K times, round robin, on the same CPUs."""

from __future__ import annotations

import os
import sys
import time

from .. import _proc

_said = set()


def log(msg=""):
    print(msg, file=sys.stderr, flush=True)


def log_once(msg):
    if msg not in _said:
        _said.add(msg)
        log(msg)


class Run:
    """One run of a row's command: _proc.Finished plus its output and what we read from it."""

    def __init__(self, done: _proc.Finished, stdout: str, stderr: str):
        self.rc, self.wall, self.rss_mb, self.cpu = done.rc, done.wall, done.rss_mb, done.cpu
        self.timed_out = done.timed_out
        self.stdout, self.stderr = stdout, stderr
        self.internal = None
        self.load_before = 0.0


def run_cmd(cmd, cpus, env, logdir, tag, timeout) -> Run:
    """Run cmd on the given CPUs, stdout and stderr to logdir/tag.out and .err; its wall
    time, exit code, peak RSS (the largest process waited for) and CPU seconds (user +
    system of the whole tree: less sensitive to other load than the wall time)."""
    out_path = os.path.join(logdir, f"{tag}.out")
    err_path = os.path.join(logdir, f"{tag}.err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        done = _proc.run(cmd, stdout=out, stderr=err, env=env, cpus=cpus, timeout=timeout)
    with open(out_path, errors="replace") as f:
        stdout = f.read()
    with open(err_path, errors="replace") as f:
        stderr = f.read()
    return Run(done, stdout, stderr)


def rows_failed_hard(row):
    # A command that fails twice in a row will fail again: stop wasting time on it.
    return len(row.runs) >= 2 and all(r.rc not in row.accept_rc for r in row.runs[-2:])


def run_rows(rows, a, env, logdir, label):
    """K (a.repeat) repetitions, round robin over the rows, so drift hits every row alike."""
    for rep in range(a.repeat):
        for row in rows:
            if rows_failed_hard(row):
                continue
            if row.prepare:
                row.prepare()
            tag = f"{label}-{row.name}-{row.layout}-{rep}".replace(" ", "").replace("/", "_")
            # What earlier runs left in the page cache reaches the disk now, outside every
            # timing: otherwise the next run pays for it (the Python rows' HDF5 writes stay
            # in the cache, and imgshard's checkpoint syncs made a later run write them).
            os.sync()
            load_before = loadavg()
            r = run_cmd(row.cmd, a.cpuset, env, logdir, tag, a.timeout)
            r.load_before = load_before
            if r.rc in row.accept_rc and not r.timed_out:
                r.internal = row.internal(r) if row.internal else None
            else:
                why = "timed out" if r.timed_out else f"exit code {r.rc}"
                tail = (r.stderr.strip().splitlines() or [""])[-1][:300]
                row.errors.append(f"{why}: {tail}")
                log(f"benchmark: {row.name} [{row.layout}] run {rep + 1}: {why}; "
                    f"see {logdir}/{tag}.err")
            row.runs.append(r)
            if rep == 0 and row.check and r.rc in row.accept_rc:
                problem = row.check()
                if problem:
                    row.errors.append(problem)
                    log(f"benchmark: {row.name}: {problem}")
            shown = f"{r.wall:7.2f} s" + (f" (internal {r.internal:.2f} s)" if r.internal else "")
            log(f"  [{label} {rep + 1}/{a.repeat}] {row.name:18s} {row.layout:22s} {shown}"
                f"  rc={r.rc}  {r.rss_mb:6.0f} MB")


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def cpu_times(cpus):
    """(busy, total) jiffies of the given CPUs, from /proc/stat."""
    busy = total = 0
    try:
        with open("/proc/stat") as f:
            for line in f:
                parts = line.split()
                if not parts or not parts[0].startswith("cpu") or parts[0] == "cpu":
                    continue
                if int(parts[0][3:]) not in cpus:
                    continue
                vals = [int(x) for x in parts[1:8]]
                total += sum(vals)
                busy += sum(vals) - vals[3] - vals[4]  # minus idle and iowait
    except (OSError, ValueError):
        pass
    return busy, total


def busy_warning(a, seconds=2.0):
    """Warn when something else runs on the benchmark's CPUs: it makes the numbers noisy."""
    b0, t0 = cpu_times(a.cpuset)
    time.sleep(seconds)
    b1, t1 = cpu_times(a.cpuset)
    busy = (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
    if busy > 0.10:
        log(f"benchmark: WARNING: the CPUs were {100 * busy:.0f}% busy before the first run: "
            "something else is running; the numbers will be noisy (see +-% and cpu s)")
    return busy
