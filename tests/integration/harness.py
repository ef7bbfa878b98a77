"""Shared helpers of the end-to-end tests: run the real binary under mpirun, read with h5py."""
import atexit
import os
import shutil
import subprocess
import tempfile

import cv2
import h5py
import numpy as np

IMGSHARD = os.environ.get("IMGSHARD", "")
SOURCE_DIR = os.environ.get("IMGSHARD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = os.path.join(SOURCE_DIR, "data", "sample")
EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".pgm", ".ppm")


_mpi_scratch = None


def mpi_env():
    """The environment of a run under mpirun: as root, and with Open MPI's own files (each
    mpirun's session folder, the ranks' shared-memory segments) in one folder of this test
    process, removed when it exits. A run the test kills cannot remove them itself: one
    ctest run of integration.resume left 8 folders in /tmp and 16 segments in /dev/shm."""
    global _mpi_scratch
    if _mpi_scratch is None:
        _mpi_scratch = tempfile.mkdtemp(prefix="imgshard-test-mpi-",
                                        dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        atexit.register(shutil.rmtree, _mpi_scratch, True)
    env = dict(os.environ)
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_orte_tmpdir_base=_mpi_scratch, OMPI_MCA_btl_vader_backing_directory=_mpi_scratch)
    return env


def mpirun(args, np_=1, threads=1, timeout=600, extra_env=None, mpirun_args=(), binary=None, cwd=None):
    """Runs imgshard (or `binary`, a copy of it) under `mpirun -np np_` (in folder `cwd`),
    returns the CompletedProcess (never raises on rc)."""
    if not IMGSHARD:
        raise RuntimeError("IMGSHARD is not set: run the tests through ctest")
    env = mpi_env()
    env.update(extra_env or {})
    cmd = ["mpirun", "-np", str(np_), "--bind-to", "none", "--oversubscribe", *mpirun_args, binary or IMGSHARD, "--progress", "none",
           *args, "--threads", str(threads)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def sample_files(root=SAMPLE):
    """The images under root in imgshard's order: byte order of the relative path."""
    rel = []
    for dirpath, _, files in os.walk(root, followlinks=True):
        for name in files:
            if name.lower().endswith(EXTENSIONS):
                rel.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(rel, key=lambda p: p.encode())


def reference(path, width, height, interpolation=cv2.INTER_AREA):
    """What the spec promises for resize=W:H: OpenCV's full decode, RGB, then cv2.resize."""
    rgb = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return cv2.resize(rgb, (width, height), interpolation=interpolation)


def read(path, *names):
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in names}


def max_diff(a, b):
    return int(np.abs(a.astype(np.int32) - b.astype(np.int32)).max())


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="imgshard-test-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def popen_in_session(args, np_=2, threads=1, extra_env=None):
    """Starts imgshard under mpirun in a session of its own (setsid), so that the whole run,
    mpirun and every rank, can be killed at once as a node loss would (see STACK.md)."""
    env = mpi_env()
    env.update(extra_env or {})
    cmd = ["mpirun", "-np", str(np_), "--bind-to", "none", "--oversubscribe", IMGSHARD, "--progress", "none",
           *args, "--threads", str(threads)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def wait_for_line(proc, text, timeout=120):
    """Reads proc's stderr until a line contains `text`; returns the lines read.
    Plain blocking readline() on a thread of its own, joined with a timeout: select() on the
    buffered pipe misses a line that arrived in the same read as the one before it (the wait
    then timed out with the run stalled). The thread stops at the line, so a later
    proc.communicate() reads the rest alone."""
    import threading
    lines = []

    def read():
        for line in iter(proc.stderr.readline, ""):
            lines.append(line)
            if text in line:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive() or not lines or text not in lines[-1]:
        raise AssertionError(f"never saw {text!r} within {timeout} s; stderr so far: {''.join(lines)}")
    return lines


def kill_session(proc):
    """SIGKILL to every process of the run's session, then reaps mpirun."""
    subprocess.run(["pkill", "-KILL", "-s", str(proc.pid)], check=False)
    proc.wait(timeout=60)
    # Ranks are in the same session: wait until none is left holding the output's lock.
    import time
    for _ in range(100):
        if subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True).returncode != 0:
            return
        time.sleep(0.1)
    raise AssertionError("processes of the killed run are still alive")


DATASETS = ("images", "paths", "labels", "label_names", "orig_shape", "status", "errors")


def assert_same_file(test, expected_path, actual_path):
    """Every per-image dataset bit-identical, and the actual file complete."""
    with h5py.File(expected_path, "r") as e, h5py.File(actual_path, "r") as a:
        test.assertEqual(a.attrs["complete"], 1)
        for name in DATASETS:
            test.assertEqual(e[name].shape, a[name].shape, name)
            test.assertTrue(np.array_equal(e[name][()], a[name][()]), f"/{name} differs")
