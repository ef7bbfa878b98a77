"""Helpers shared by the reliability tests: run imgshard on a corpus, read its rows back by path."""
import dataclasses
import os
import sys

import cv2
import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "integration"))
from harness import IMGSHARD, TempDir, max_diff, mpi_env, mpirun  # noqa: E402,F401

SIZE = 32  # every run resizes to SIZE x SIZE: small, and upscales the tiny images too
PIPELINE = f"resize={SIZE}:{SIZE}"
RUN_TIMEOUT = 180  # a hang (a FIFO read, a bomb inflated) fails the test instead of the suite


@dataclasses.dataclass
class Row:
    index: int
    status: int
    error: str
    orig_shape: tuple
    image: np.ndarray


def run(inputs, out, *args, np_=2, threads=2, timeout=RUN_TIMEOUT):
    """imgshard under real `mpirun -np np_` with the tests' pipeline; returns CompletedProcess."""
    return mpirun([*inputs, "-o", out, "-p", PIPELINE, *args], np_=np_, threads=threads, timeout=timeout)


def rows(out):
    """{relative path: Row} and the root attributes of an output file."""
    with h5py.File(out, "r") as f:
        paths = list(f["paths"].asstr()[:])
        status = f["status"][:]
        errors = list(f["errors"].asstr()[:])
        shapes = f["orig_shape"][:]
        images = f["images"][:]
        attrs = dict(f.attrs)
    return {p: Row(i, int(status[i]), errors[i], tuple(int(v) for v in shapes[i]), images[i])
            for i, p in enumerate(paths)}, attrs


def reference(path):
    """What the spec promises: cv2.imread(IMREAD_COLOR), RGB, then the same resize."""
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    assert bgr is not None, f"cv2 cannot read {path}"
    return cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def describe(result):
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
