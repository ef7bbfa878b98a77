"""Every rank writes its own rows (--writer ranks, the default) or rank 0 writes them all
(--writer root): the files are bit-identical either way, pixels do not travel through rank 0,
rows of whole pages bypass the page cache, and a worker killed alone is resumed to the same
file."""
import ctypes
import json
import mmap
import os
import signal
import subprocess
import unittest

import h5py
import numpy as np

from harness import (SAMPLE, TempDir, assert_same_file, kill_session, mpirun, popen_in_session, wait_for_line)
from test_safety import rank_pids

FLAVOURS = {
    "uint8_nhwc": ["-p", "resize=40:30"],
    "float32_chw": ["-p", "resize=40:30,normalize,layout=chw"],
    "uint8_gzip": ["-p", "resize=40:30", "--compress", "gzip"],
    "float32_gzip": ["-p", "resize=24:24,normalize", "--compress", "gzip=2"],
    # 9216-byte rows: every fourth row starts on a page, so units start on a page or not,
    # and their whole pages go around the page cache while neighbours share partial ones.
    "uint8_pages": ["-p", "resize=64:48"],
}
# (ranks, threads, schedule, chunk): one, several, and odd unit sizes.
LAYOUTS = [(1, 1, "dynamic", 64), (2, 2, "static", 1), (3, 1, "dynamic", 5)]


def resident_pages(path, offset, size):
    """How many pages of bytes [offset, offset + size) of the file are in the page cache:
    mincore over a mapping of them, which reads nothing in. offset is a multiple of the page
    size."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    vec = ctypes.create_string_buffer(pages)
    fd = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, offset)
        if address in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap")
        try:
            if libc.mincore(address, size, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore")
        finally:
            libc.munmap(address, size)
    finally:
        os.close(fd)
    return sum(b & 1 for b in vec.raw)


def report_of(path):
    with open(path) as f:
        return {r["rank"]: r for r in json.load(f)["ranks"]}


class Writers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def run_ok(self, name, args, np_=1, threads=1, writer="ranks"):
        out = os.path.join(self.dir, name + ".h5")
        report = os.path.join(self.dir, name + ".json")
        r = mpirun([SAMPLE, "-o", out, *args, "--writer", writer, "--report", report], np_=np_, threads=threads)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out, report, r

    def test_ranks_writer_equals_root_writer_everywhere(self):
        for flavour, args in FLAVOURS.items():
            reference, _, _ = self.run_ok(f"{flavour}-root", args, writer="root")
            for np_, threads, schedule, chunk in LAYOUTS:
                with self.subTest(flavour=flavour, ranks=np_, threads=threads, schedule=schedule, chunk=chunk):
                    out, _, _ = self.run_ok(f"{flavour}-{np_}-{threads}-{schedule}-{chunk}",
                                            [*args, "--schedule", schedule, "--chunk", str(chunk)], np_, threads)
                    assert_same_file(self, reference, out)

    def test_pixels_do_not_travel_through_rank_0(self):
        out, report, r = self.run_ok("bytes-ranks", ["-p", "resize=64:64", "--chunk", "2"], np_=3)
        self.assertIn("every rank writes its rows", r.stderr)
        ranks = report_of(report)
        with h5py.File(out, "r") as f:
            total = f["images"].nbytes
            self.assertEqual(f["timings/bytes_written"][:].sum(), total)
            self.assertEqual(f["timings/bytes_received"][0], ranks[0]["bytes_received"])
        self.assertEqual(sum(r["bytes_written"] for r in ranks.values()), total)
        self.assertGreater(ranks[1]["bytes_written"] + ranks[2]["bytes_written"], 0, "the workers wrote nothing")
        self.assertLess(ranks[0]["bytes_received"], 0.01 * total, ranks[0])
        print(f"\n  rank 0 received {ranks[0]['bytes_received']} bytes for {total} bytes of /images", end=" ")

    def test_rows_of_whole_pages_bypass_the_page_cache(self):
        """Rows that start on a page are written with O_DIRECT: a conversion's output, written
        once and read later, neither costs a copy into the page cache nor evicts what is in
        it (the images still to read). --writer root stores rows through HDF5 and the cache."""
        if subprocess.run(["stat", "-f", "-c", "%T", self.dir], capture_output=True, text=True).stdout.strip() == "tmpfs":
            self.skipTest("on tmpfs the page cache is the file")
        try:  # imgshard writes through the page cache where the file system refuses O_DIRECT
            os.close(os.open(os.path.join(self.dir, "direct-probe"), os.O_WRONLY | os.O_CREAT | os.O_DIRECT))
        except OSError as e:
            self.skipTest(f"the file system of {self.dir} refuses O_DIRECT: {e}")
        for writer, np_ in (("ranks", 2), ("ranks", 1), ("root", 2)):
            with self.subTest(writer=writer, ranks=np_):
                out, _, _ = self.run_ok(f"cache-{writer}-{np_}", ["-p", "resize=64:64", "--chunk", "4"], np_, writer=writer)
                with h5py.File(out, "r") as f:  # reads metadata only
                    offset, size = int(f["images"].id.get_offset()), int(f["images"].nbytes)
                self.assertEqual(offset % mmap.PAGESIZE, 0, "/images does not start on a page")
                resident = resident_pages(out, offset, size)
                pages = size // mmap.PAGESIZE
                if writer == "ranks":
                    self.assertEqual(resident, 0, f"{resident} of {pages} pages of rows in the page cache")
                else:
                    self.assertGreater(resident, 0, "the check would not see rows in the page cache")

    def test_root_writer_receives_every_row(self):
        out, report, r = self.run_ok("bytes-root", ["-p", "resize=64:64", "--chunk", "2"], np_=3, writer="root")
        self.assertIn("rank 0 writes every row", r.stderr)
        ranks = report_of(report)
        with h5py.File(out, "r") as f:
            total = f["images"].nbytes
        self.assertEqual(ranks[0]["bytes_written"], total)
        self.assertEqual(ranks[1]["bytes_written"] + ranks[2]["bytes_written"], 0)
        self.assertGreater(ranks[0]["bytes_received"], (ranks[1]["images"] + ranks[2]["images"]) * 64 * 64 * 3 - 1)

    def test_compressed_rows_are_stored_by_rank_0(self):
        out, report, r = self.run_ok("gzip", ["-p", "resize=64:64", "--compress", "gzip"], np_=2)
        self.assertIn("rank 0 writes every row", r.stderr)
        self.assertEqual(report_of(report)[1]["bytes_written"], 0)


class WorkerKilledAlone(unittest.TestCase):
    def test_sigkill_of_one_worker_then_resume_equals_a_clean_run(self):
        args = ["-p", "resize=40:30", "--chunk", "2", "--checkpoint-seconds", "0"]
        with TempDir() as d:
            reference = os.path.join(d, "reference.h5")
            r = mpirun([SAMPLE, "-o", reference, *args, "--writer", "root"], np_=1)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = os.path.join(d, "out.h5")
            proc = popen_in_session([SAMPLE, "-o", out, *args], np_=3, extra_env={"IMGSHARD_TEST_STALL": "unit:3"})
            try:
                wait_for_line(proc, "test stall at unit:3")
                os.kill(rank_pids(proc.pid)[2], signal.SIGKILL)  # the worker alone, as the OOM killer would
                proc.communicate(timeout=120)  # mpirun ends the job by itself: no hang
                self.assertNotEqual(proc.returncode, 0)
            finally:
                kill_session(proc)
            with h5py.File(out, "r") as f:
                self.assertEqual(f.attrs["complete"], 0)
            r = mpirun([SAMPLE, "-o", out, *args, "--resume"], np_=3)
            self.assertEqual(r.returncode, 0, r.stderr)
            assert_same_file(self, reference, out)


if __name__ == "__main__":
    unittest.main()
