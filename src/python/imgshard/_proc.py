"""Running one command of a benchmark or a study: its own process group, its CPUs, its
resource use, and one way to stop it when it runs too long or the user presses Ctrl-C.

Shared by `imgshard.bench` and `imgshard.study`; nothing here knows about imgshard.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import threading
import time

#: Seconds a stopped run gets between SIGTERM and SIGKILL: mpirun ends its ranks on TERM,
#: which takes a moment; a run that ignores TERM is killed.
STOP_GRACE_S = 5.0


@dataclasses.dataclass
class Finished:
    """How a command ended."""
    rc: int               # exit code (negative: killed by that signal)
    wall: float           # seconds from start to exit
    rss_mb: float         # peak resident memory of the largest process waited for (wait4)
    cpu: float            # user + system CPU seconds of the whole tree that was waited for
    timed_out: bool = False


def stop_group(pgid: int, grace: float = STOP_GRACE_S) -> None:
    """SIGTERM to the process group, then SIGKILL to whatever is left after `grace` s."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(cmd, *, stdout, stderr, env=None, cpus=None, timeout: float | None = None,
        grace: float = STOP_GRACE_S) -> Finished:
    """Run cmd in a new session (its own process group), stdin from /dev/null, output to
    the given files (stderr may be subprocess.STDOUT). `cpus`: a set of CPU numbers the
    command and its children are confined to. After `timeout` seconds (None or 0: no
    limit) the whole group is stopped (stop_group) and Finished.timed_out is set. Ctrl-C
    stops the group too, then propagates."""
    t0 = time.perf_counter()
    preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True, preexec_fn=preexec)
    timed_out = threading.Event()

    def expire():
        timed_out.set()
        stop_group(proc.pid, grace)

    timer = threading.Timer(timeout, expire) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    except KeyboardInterrupt:
        stop_group(proc.pid, grace)
        proc.wait()
        raise
    finally:
        if timer:
            timer.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Finished(proc.returncode, wall, ru.ru_maxrss / 1024.0, ru.ru_utime + ru.ru_stime,
                    timed_out.is_set())
