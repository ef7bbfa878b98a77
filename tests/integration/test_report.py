"""Scaling measurements: --report JSON, /timings in the HDF5, progress and the summary line."""
import json
import os
import unittest

import h5py
import numpy as np

import tolerances as tol
from harness import SAMPLE, TempDir, mpirun, sample_files

PHASES = ["discover", "plan", "wait", "read", "decode", "kernels", "send", "receive", "write", "other"]


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.out = os.path.join(cls.dir, "out.h5")
        cls.json_path = os.path.join(cls.dir, "report.json")
        cls.result = mpirun([SAMPLE, "-o", cls.out, "-p", "resize=32:32", "--chunk", "3", "--report", cls.json_path],
                         np_=2, threads=1)
        assert cls.result.returncode == 0, cls.result.stderr
        with open(cls.json_path) as f:
            cls.report = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_report_schema(self):
        r = self.report
        for key in ("imgshard_version", "pipeline", "wall_seconds", "images", "failed", "images_per_s", "mpi_ranks",
                    "omp_threads", "schedule", "chunk", "ranks"):
            self.assertIn(key, r)
        self.assertEqual(r["images"], len(sample_files()))
        self.assertEqual(r["failed"], 0)
        self.assertEqual(r["mpi_ranks"], 2)
        self.assertEqual(r["chunk"], 3)
        self.assertGreater(r["images_per_s"], 0)
        self.assertEqual([rank["rank"] for rank in r["ranks"]], [0, 1])
        for rank in r["ranks"]:
            for key in ("rank", "host", "threads", "images", "bytes_read", "phases"):
                self.assertIn(key, rank)
            self.assertEqual(sorted(rank["phases"]), sorted(PHASES))

    def test_every_image_is_counted_once(self):
        self.assertEqual(sum(rank["images"] for rank in self.report["ranks"]), self.report["images"])
        total_bytes = sum(os.path.getsize(os.path.join(SAMPLE, p)) for p in sample_files())
        self.assertEqual(sum(rank["bytes_read"] for rank in self.report["ranks"]), total_bytes)

    def test_phases_sum_to_wall_time_on_every_rank(self):
        for rank in self.report["ranks"]:
            total = sum(rank["phases"].values())
            self.assertAlmostEqual(total, rank["wall_seconds"], delta=tol.PHASE_SUM_SHARE * rank["wall_seconds"],
                                   msg=f"rank {rank['rank']}: phases {rank['phases']}")
            self.assertTrue(all(v >= 0 for v in rank["phases"].values()))
        worker = self.report["ranks"][1]
        if worker["images"]:
            self.assertGreater(worker["phases"]["decode"], 0)

    def test_timings_in_hdf5_match_the_report(self):
        with h5py.File(self.out, "r") as f:
            t = f["timings"]
            self.assertEqual(list(t["phase_names"].asstr()[:]), PHASES)
            seconds = t["phase_seconds"][:]
            self.assertEqual(seconds.shape, (2, len(PHASES)))
            self.assertEqual(seconds.dtype, np.float64)
            for i, rank in enumerate(self.report["ranks"]):
                np.testing.assert_allclose(seconds[i], [rank["phases"][p] for p in PHASES],
                                           rtol=tol.REPORT_ROUNDTRIP_RTOL)
                self.assertEqual(t["images"][i], rank["images"])
                self.assertEqual(t["bytes_read"][i], rank["bytes_read"])
            self.assertEqual(list(t["hosts"].asstr()[:]), [r["host"] for r in self.report["ranks"]])

    def test_summary_line(self):
        lines = [line for line in self.result.stdout.splitlines() if line.startswith("imgshard:")]
        self.assertEqual(len(lines), 1, self.result.stdout)
        self.assertRegex(lines[0], r"imgshard: \d+ images, 0 failed, [\d.]+ s, [\d.]+ img/s on 2 rank\(s\)")

    def test_progress_log_without_terminal(self):
        out = os.path.join(self.dir, "log.h5")
        r = mpirun([SAMPLE, "-o", out, "-p", "resize=8:8", "--progress", "log"], np_=2)
        n = len(sample_files())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, rf"imgshard: {n}/{n} images \(100%\), [\d.]+ img/s, done in")
        self.assertNotIn("\r", r.stderr, "no terminal: no self-updating line")

    def test_progress_none_is_silent(self):
        out = os.path.join(self.dir, "quiet.h5")
        r = mpirun([SAMPLE, "-o", out, "-p", "resize=8:8", "--progress", "none"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotRegex(r.stderr, r"\d+/\d+ images")


if __name__ == "__main__":
    unittest.main()
