#!/usr/bin/python3
"""scripts/benchmark: its table of rows (imgshard.bench.rows) and a smoke run.

    test_benchmark.py Rows      # the declared table: no binary needed
    test_benchmark.py Smoke     # scripts/benchmark on 6 images, --repeat 1 (needs $IMGSHARD, mpirun)

The smoke run checks that the printed table has every row and ratio (x python, and
writer-ranks against writer-root), that results.csv agrees, and that both writers made
the same /images; it asserts nothing about timings. ctest sets PYTHONPATH and IMGSHARD.
"""

import csv
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest

from imgshard.bench import report, rows

SOURCE_DIR = os.environ.get("IMGSHARD_SOURCE_DIR",
                            os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))
SCRIPT = os.path.join(SOURCE_DIR, "scripts", "benchmark")
IMGSHARD = os.environ.get("IMGSHARD", "")
N_IMAGES = 6

# Rows the smoke run must print whatever tools are installed (vips and the limit rows are
# checked only when vipsthumbnail and bare_decode are there).
ALWAYS = ["python", "python-chunk16", "python-imagenet", "imgshard-exact", "imgshard-fast",
          "imgshard-imagenet", "writer-root", "writer-ranks"]


class Rows(unittest.TestCase):
    def test_every_reference_names_a_row(self):
        names = [s.name for s in rows.ROWS]
        self.assertEqual(len(names), len(set(names)), "row names repeat")
        for s in rows.ROWS:
            for ref in (s.baseline, s.limit, s.compare):
                if ref:
                    self.assertIn(ref, names, f"{s.name} refers to {ref}")
            if s.target:
                self.assertIsNotNone(s.baseline, f"{s.name}: a target needs a baseline")
                if s.target.share:
                    self.assertIsNotNone(s.limit, f"{s.name}: a share target needs a limit")

    def test_writer_pair(self):
        root, ranks = rows.SPECS["writer-root"], rows.SPECS["writer-ranks"]
        self.assertEqual(ranks.baseline, "writer-root")
        self.assertEqual(root.layouts(8), ranks.layouts(8))
        self.assertEqual([(x.launcher, x.ranks, x.threads) for x in ranks.layouts(8)], [("mpirun", 2, 4)])
        self.assertEqual([(x.launcher, x.ranks, x.threads) for x in ranks.layouts(1)], [("mpirun", 2, 1)])

    def test_commands(self):
        a = types.SimpleNamespace(cores=2, python="/usr/bin/python3", imgshard="/bin/true", bare="/bin/true",
                                  mpirun="/usr/bin/mpirun", scripts="/s")
        with tempfile.TemporaryDirectory() as tmp:
            made = rows.make_rows(rows.Context(a, ["/in"], 10, tmp, os.path.join(tmp, "list")), say=lambda m: None)
        by = {}
        for r in made:
            by.setdefault(r.name, []).append(r)
        self.assertEqual([r.layout for r in by["imgshard-exact"]],
                         ["1 process x 2 threads", "1 rank x 2 threads", "2 ranks x 1 thread"])
        self.assertEqual([r.launched for r in by["imgshard-exact"]], [False, False, True])
        for writer in ("root", "ranks"):
            (r,) = by[f"writer-{writer}"]
            self.assertEqual(r.cmd[:3], ["/usr/bin/mpirun", "-np", "2"])
            self.assertEqual(r.cmd[-2:], ["--writer", writer])
            self.assertTrue(r.output.endswith(f"writer-{writer}-mpirun2x1.h5"))
        self.assertIn("--imagenet", by["python-imagenet"][0].cmd)
        self.assertEqual(by["python"][0].cmd[:2], ["/usr/bin/python3", "/s/python-baseline.py"])

    def test_ratios_and_verdicts(self):
        def res(name, wall, layout="l", best=True, launched=False):
            return dict(name=name, group=rows.SPECS[name].group, layout=layout, images=100, wall=wall,
                        internal=None, cpu=wall, best=best, launched=launched)
        results = [res("python", 10.0), res("writer-root", 2.0), res("writer-ranks", 1.6)]
        report.compute_ratios(results)
        by = {r["name"]: r for r in results}
        self.assertEqual(by["writer-ranks"]["vs"], "writer-root")
        self.assertAlmostEqual(by["writer-ranks"]["ratio"], 2.0 / 1.6)
        self.assertAlmostEqual(by["writer-root"]["ratio"], 10.0 / 2.0)
        lines, _ = report.verdicts(results)
        (line,) = [x for x in lines if "writer-ranks" in x]
        self.assertIn("1.25x writer-root (target >= 0.95x) PASS", line)


def read_table(text):
    """The benchmark's table as {row name: {column: cell}} (best rows only), from its
    fixed-width layout: the header line starting with "row", a rule, then the rows."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("row "))
    header, rule = lines[start], lines[start + 1]
    spans, pos = [], 0
    for dashes in rule.split("  "):
        spans.append((pos, pos + len(dashes)))
        pos += len(dashes) + 2
    names = [header[a:b].strip() for a, b in spans]
    table = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = {n: line[a:b].strip() for n, (a, b) in zip(names, spans)}
        if not cells["row"].startswith("("):
            table[cells["row"]] = cells
    return table


def ratio_of(cell):
    """'1.18 (writer-root)' -> (1.18, 'writer-root'); '2.90' -> (2.9, None)."""
    value, _, vs = cell.partition(" ")
    return float(value), vs.strip("()") or None


class Smoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not IMGSHARD or not os.access(IMGSHARD, os.X_OK) or not shutil.which("mpirun"):
            raise unittest.SkipTest("needs $IMGSHARD and mpirun (run through ctest)")
        cls.tmp = tempfile.mkdtemp(prefix="imgshard-bench-smoke-")
        corpus = os.path.join(cls.tmp, "corpus")
        os.makedirs(corpus)
        for src in sorted(glob.glob(os.path.join(SOURCE_DIR, "data", "sample", "*", "*.jpg")))[:N_IMAGES]:
            shutil.copy(src, corpus)
        # 589 x 512: `shorter=256` gives a longer side of exactly 294.5, which imgshard rounds
        # up; the ImageNet baseline must make the same size or it crops one pixel apart.
        import cv2
        import numpy as np
        noise = np.random.default_rng(7).integers(0, 256, (512, 589, 3), dtype=np.uint8)
        cv2.imwrite(os.path.join(corpus, "half_pixel.jpg"), noise)
        cls.out = os.path.join(cls.tmp, "out")
        bare = os.path.join(os.path.dirname(IMGSHARD), "bare_decode")
        cmd = [sys.executable, SCRIPT, "--corpus", corpus, "--repeat", "1", "--out", cls.out, "--imgshard", IMGSHARD,
               "--bare", bare, "--timeout", "300", "--no-install", "--cores", str(min(2, len(os.sched_getaffinity(0))))]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        print(p.stdout, p.stderr[-3000:], sep="\n", flush=True)
        if p.returncode != 0:
            raise AssertionError(f"scripts/benchmark exited {p.returncode}")
        cls.stdout = p.stdout
        cls.table = read_table(p.stdout)
        cls.has_vips = shutil.which("vipsthumbnail") is not None
        cls.has_bare = os.access(bare, os.X_OK)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_row_is_printed(self):
        want = list(ALWAYS)
        if self.has_vips:
            want.append("vips")
        if self.has_bare:
            want += ["decode-only", "decode-only-fast", "bare-exact", "bare-fast"]
        self.assertEqual(sorted(set(want) - set(self.table)), [], self.stdout)
        for name in want:
            self.assertEqual(self.table[name]["seconds"].replace(".", "", 1).isdigit(), True, name)

    def test_ratios(self):
        t = self.table
        self.assertEqual(t["python"]["x python"], "1.00")
        self.assertEqual(t["python-imagenet"]["x python"], "-")
        for name, vs in (("imgshard-exact", None), ("imgshard-fast", None), ("imgshard-imagenet", "imagenet"),
                         ("writer-root", None), ("writer-ranks", "writer-root")):
            value, got_vs = ratio_of(t[name]["x python"])
            self.assertGreater(value, 0, name)
            self.assertEqual(got_vs, vs, name)
        if self.has_bare:
            self.assertEqual(t["decode-only"]["% of limit"], "(limit)")
            self.assertTrue(t["imgshard-exact"]["% of limit"].endswith("%"), t["imgshard-exact"])

    def test_writer_ratio_in_csv_and_verdicts(self):
        with open(os.path.join(self.out, "results.csv"), newline="") as fh:
            res = {r["name"]: r for r in csv.DictReader(fh) if r["best"] == "1"}
        root, ranks = res["writer-root"], res["writer-ranks"]
        self.assertEqual(ranks["vs"], "writer-root")
        self.assertAlmostEqual(float(ranks["ratio"]), float(root["wall_s_median"]) / float(ranks["wall_s_median"]))
        self.assertEqual(ranks["target_ratio"], "0.95")
        self.assertIn("--writer ranks", ranks["command"])
        self.assertIn("--writer root", root["command"])
        self.assertRegex(self.stdout, r"\n  writer-ranks \[2 ranks x 1 thread\]: [0-9.]+x writer-root "
                                      r"\(target >= 0\.95x\) (PASS|FAIL)\n")

    def test_both_writers_make_the_same_images(self):
        # Each output against the Python one: equal figures (both equal each other bit for bit).
        t = self.table
        self.assertNotEqual(t["writer-ranks"]["max|d| mean|d| =%"], "")
        self.assertEqual(t["writer-ranks"]["max|d| mean|d| =%"], t["writer-root"]["max|d| mean|d| =%"])
        self.assertEqual(t["writer-ranks"]["max|d| mean|d| =%"], t["imgshard-exact"]["max|d| mean|d| =%"])

    def test_imagenet_chain_matches_its_python(self):
        # Float rounding of the normalisation only (about 1e-6), never a shifted crop (over 1).
        cell = self.table["imgshard-imagenet"]["max|d| mean|d| =%"]
        self.assertLess(float(cell.split()[0]), 1e-4, cell)

    def test_files(self):
        for name in ("results.csv", "runs.csv", "meta.json"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)
        self.assertEqual(glob.glob(os.path.join(self.out, "tmp", "*.h5")), [], "outputs not removed without --keep")


if __name__ == "__main__":
    unittest.main(verbosity=2)
