"""Real imgshard output files of every flavour, made by the built binary under mpirun, for the
tests of the Python package.

ctest makes them once for all the python.* tests (the fixture python.outputs runs
`outputs.py make DIR`, python.outputs_cleanup removes DIR; IMGSHARD_PYTHON_OUTPUTS names it);
a test module run on its own makes them in a temporary folder of its own.
"""
import atexit
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import h5py

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import SAMPLE, TempDir, kill_session, mpirun, popen_in_session  # noqa: E402

# Small rows keep every run short; the flavours differ in the pipeline's tail and options.
SIZE = "resize=40:30"
FLAVOURS = {
    "rgb": ([SIZE], ((30, 40, 3), "uint8", "nhwc")),
    "float_chw_gzip": ([f"{SIZE},normalize,layout=chw", "--compress", "gzip"], ((3, 30, 40), "float32", "chw")),
    "gray": ([f"{SIZE},gray"], ((30, 40, 1), "uint8", "nhwc")),
    "chw": ([f"{SIZE},layout=chw"], ((3, 30, 40), "uint8", "chw")),
}
# The bad files put into the inputs, and the status each must get.
BAD_FILES = {"fruit/garbage.jpg": 3, "objects/notes.png": 3, "scenes/cut.jpg": 5, "animals/empty.png": 2}


def inputs_with_failures(folder):
    """data/sample plus two non-images named like images, a JPEG cut short and an empty PNG."""
    src = os.path.join(folder, "in")
    shutil.copytree(SAMPLE, src)
    with open(os.path.join(src, "fruit", "garbage.jpg"), "wb") as f:
        f.write(b"this is not a JPEG at all")
    with open(os.path.join(src, "objects", "notes.png"), "wb") as f:
        f.write(b"nor is this a PNG")
    with open(os.path.join(SAMPLE, "scenes", "aero1.jpg"), "rb") as f:
        data = f.read()
    with open(os.path.join(src, "scenes", "cut.jpg"), "wb") as f:
        f.write(data[:len(data) // 3])
    open(os.path.join(src, "animals", "empty.png"), "wb").close()
    return src


# Source names that /paths must escape (bytes that are not UTF-8, a backslash), and one it keeps.
ODD_NAMES = [b"back\\slash.jpg", b"caf\xe9.jpg", "caf\u00e9.jpg".encode()]


def odd_names(folder):
    src = os.path.join(folder, "names")
    os.makedirs(src)
    for name in ODD_NAMES:
        shutil.copy(os.path.join(SAMPLE, "fruit", "apple.jpg"), os.path.join(os.fsencode(src), name))
    return src


def convert(src, out, args, np_=2):
    """Runs imgshard on src with args (-p PIPELINE and options); returns out. Exit 0, or 3
    when the inputs hold bad files."""
    r = mpirun([src, "-o", out, *(["-p"] if args else []), *args], np_=np_)
    if r.returncode not in (0, 3):
        raise AssertionError(f"imgshard exited {r.returncode}: {r.stdout}{r.stderr}")
    return out


def _wait_for_stderr_line(proc, text, timeout=120):
    """Blocks until proc's stderr has a line containing text; returns all stderr read so far.
    A thread reads the lines (select() on a buffered pipe can miss a line already buffered)."""
    lines = queue.Queue()

    def pump():
        for line in proc.stderr:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=pump, daemon=True).start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {text!r} within {timeout} s; stderr so far: {''.join(seen)}") from None
        if line is None:
            raise AssertionError(f"the run ended before {text!r} (exit {proc.wait()}): {''.join(seen)}")
        seen.append(line)
        if text in line:
            return lines, seen


def incomplete(src, out):
    """An interrupted run's file: stopped by SIGUSR1 at the moment its first unit is written
    (the binary's test stall point, so nothing races a clock); exit 4, complete = 0."""
    args = [src, "-o", out, "-p", SIZE, "--chunk", "2", "--checkpoint-seconds", "0"]
    proc = popen_in_session(args, np_=1, extra_env={"IMGSHARD_TEST_STALL": "unit:1"})
    try:
        rest, seen = _wait_for_stderr_line(proc, "test stall at unit:1")
        proc.send_signal(signal.SIGUSR1)  # mpirun forwards it to the rank
        proc.wait(timeout=120)
        seen += iter(rest.get, None)
    finally:
        if proc.poll() is None:
            kill_session(proc)
        proc.stdout.close()
    if proc.returncode != 4:
        raise AssertionError(f"the interrupted run exited {proc.returncode}, not 4: {''.join(seen)}")
    with h5py.File(out, "r") as f:
        assert f.attrs["complete"] == 0
    return out


def not_imgshard(folder):
    """An HDF5 file that imgshard did not write, and a text file."""
    h5 = os.path.join(folder, "other.h5")
    with h5py.File(h5, "w") as f:
        f["images"] = [[1, 2], [3, 4]]
    text = os.path.join(folder, "notes.h5")
    with open(text, "w") as f:
        f.write("not HDF5\n")
    return h5, text


def make_all(folder):
    """Every file the tests read, in folder; READY is written last. The runs go side by side:
    each is mostly mpirun's start-up."""
    os.makedirs(folder, exist_ok=True)
    src = inputs_with_failures(folder)
    with ThreadPoolExecutor(max_workers=6) as pool:
        # One flavour on 2 ranks, for a timings table with two rows; 1 rank is quicker.
        runs = [pool.submit(convert, src, os.path.join(folder, f"{name}.h5"), args, np_=2 if name == "rgb" else 1)
                for name, (args, _) in FLAVOURS.items()]
        runs.append(pool.submit(incomplete, src, os.path.join(folder, "incomplete.h5")))
        runs.append(pool.submit(convert, odd_names(folder), os.path.join(folder, "names.h5"), ["resize=8:8"], np_=1))
        # What `bash scripts/run-sample` makes (build/sample.h5): data/sample, the default pipeline.
        runs.append(pool.submit(convert, SAMPLE, os.path.join(folder, "sample.h5"), [], np_=2))
        for run in runs:
            run.result()
    not_imgshard(folder)
    open(os.path.join(folder, "READY"), "w").close()


def get():
    """The files, as a namespace: .src (the inputs), .rgb, .float_chw_gzip, .gray, .chw (each
    made from .src), .incomplete, .sample, .names (from ODD_NAMES), .other (HDF5, not
    imgshard's), .notes (text)."""
    folder = os.environ.get("IMGSHARD_PYTHON_OUTPUTS", "")
    if not folder or not os.path.exists(os.path.join(folder, "READY")):
        folder = tempfile.mkdtemp(prefix="imgshard-python-test-")
        atexit.register(shutil.rmtree, folder, True)
        make_all(folder)
    files = {name: os.path.join(folder, f"{name}.h5")
             for name in (*FLAVOURS, "incomplete", "sample", "names", "other", "notes")}
    return types.SimpleNamespace(dir=folder, src=os.path.join(folder, "in"), **files)


if __name__ == "__main__":
    command, folder = sys.argv[1:3]
    if command == "make":
        shutil.rmtree(folder, ignore_errors=True)
        make_all(folder)
    elif command == "clean":
        shutil.rmtree(folder, ignore_errors=True)
    else:
        sys.exit(f"usage: {sys.argv[0]} make|clean DIR")
