#!/usr/bin/python3
"""Unit tests of imgshard.study (the scaling study's math): fits, Karp-Flatt, cost model,
image lists.

Needs no imgshard binary. Run one group (ctest sets PYTHONPATH to src/python and tests):
    PYTHONPATH=src/python:tests test_study_math.py AmdahlFit
"""

import math
import os
import tempfile
import unittest

import numpy as np

import tolerances as tol
from imgshard import study as st

CORES = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64], dtype=float)


class AmdahlFit(unittest.TestCase):
    def test_exact_data(self):
        for f in (0.0, 0.01, 0.07, 0.3, 0.9):
            fit = st.fit_amdahl(CORES, st.amdahl_speedup(CORES, f))
            self.assertAlmostEqual(fit.f, f, places=tol.FIT_PLACES)
            self.assertLess(fit.rmse, 10 ** -tol.FIT_PLACES)
            self.assertEqual(fit.law, "amdahl")

    def test_noisy_timings_recover_serial_fraction(self):
        # Synthetic wall times T(p) = T1 (f + (1-f)/p), 2% multiplicative noise,
        # three repeats each with the median kept, as scaling-study does.
        f, t1 = 0.07, 120.0
        for seed in range(25):
            rng = np.random.default_rng(seed)
            t_true = t1 * (f + (1 - f) / CORES)
            t = np.median(t_true * (1 + 0.02 * rng.standard_normal((3, CORES.size))), axis=0)
            speedup = t[0] / t
            fit = st.fit_amdahl(CORES, speedup)
            self.assertLess(abs(fit.f - f), tol.NOISY_FIT_F, f"seed {seed}: f = {fit.f}")

    def test_bounds(self):
        self.assertAlmostEqual(st.fit_amdahl(CORES, CORES).f, 0.0, places=tol.FIT_PLACES)
        self.assertAlmostEqual(st.fit_amdahl(CORES, 1.2 * CORES).f, 0.0, places=tol.FIT_PLACES)  # superlinear: clamped
        self.assertAlmostEqual(st.fit_amdahl(CORES, np.ones_like(CORES)).f, 1.0, places=tol.FIT_PLACES)

    def test_predict_and_bad_input(self):
        fit = st.fit_amdahl([1, 2, 4], st.amdahl_speedup([1, 2, 4], 0.2))
        self.assertAlmostEqual(float(fit.predict(1e9)), 5.0, places=tol.AMDAHL_LIMIT_PLACES)   # 1/f
        with self.assertRaises(ValueError):
            st.fit_amdahl([1, 2], [1.0])
        with self.assertRaises(ValueError):
            st.fit_amdahl([1, 2], [float("nan"), 0.0])


class KarpFlatt(unittest.TestCase):
    def test_constant_on_exact_amdahl(self):
        for f in (0.0, 0.07, 0.5):
            e = st.karp_flatt(st.amdahl_speedup(CORES, f), CORES)
            self.assertTrue(math.isnan(e[0]))               # p = 1: undefined
            np.testing.assert_allclose(e[1:], f, atol=tol.CLOSED_FORM_ATOL)

    def test_scalar_and_growth(self):
        self.assertAlmostEqual(st.karp_flatt(1.5, 2), (1 / 1.5 - 0.5) / 0.5)
        self.assertTrue(math.isnan(st.karp_flatt(1.0, 1)))
        # Overhead growing with p (T = 1/p + 0.01 p) gives a growing metric.
        t = 1 / CORES + 0.01 * CORES
        e = st.karp_flatt((1 + 0.01) / t, CORES)
        self.assertTrue(np.all(np.diff(e[1:]) > 0))


class Gustafson(unittest.TestCase):
    def test_exact_and_clamped(self):
        for f in (0.0, 0.1, 0.4):
            self.assertAlmostEqual(st.fit_gustafson(CORES, st.gustafson_speedup(CORES, f)).f, f,
                                   places=tol.CLOSED_FORM_PLACES)
        self.assertEqual(st.fit_gustafson(CORES, 2 * CORES).f, 0.0)

    def test_speedup_and_efficiency(self):
        s, e = st.speedup_and_efficiency([2, 4, 8], [20.0, 36.0, 60.0], 2, 20.0)
        np.testing.assert_allclose(s, [2.0, 3.6, 6.0])
        np.testing.assert_allclose(e, [1.0, 0.9, 0.75])


def model(**kw):
    base = dict(threads=4, c_w=0.02, c_s=0.0005, c_msg=0.0002, c_wr=0.0003, fixed=1.5,
                chunk=16, b_out=150528.0, b_in=110000.0)
    base.update(kw)
    return st.CostModel(**base)


class Projection(unittest.TestCase):
    R = np.arange(1, 1001)

    def test_single_rank(self):
        m = model()
        self.assertAlmostEqual(float(m.throughput(1)), 1 / (m.c_w / m.threads + m.c_0))

    def test_monotone_and_saturates_where_formula_says(self):
        for kw in ({}, {"threads": 1}, {"c_msg": 0.0}, {"c_wr": 0.002}, {"c_s": 0.0}):
            m = model(**kw)
            x = m.throughput(self.R)
            self.assertTrue(np.all(np.diff(x) >= -tol.MONOTONE_SLACK), kw)
            rstar = m.saturation_ranks()
            self.assertAlmostEqual(rstar, 1 + 1 / (m.c_0 * m.x_w))
            self.assertLess(rstar, self.R[-1])
            x_max = 1 / m.c_0
            after = self.R >= rstar
            np.testing.assert_allclose(x[after], x_max, rtol=tol.PROJECTION_RTOL)
            self.assertTrue(np.all(x[~after] < x_max))
            u0 = m.rank0_utilisation(self.R)
            np.testing.assert_allclose(u0[after], 1.0)
            self.assertTrue(np.all(u0[~after] < 1.0))
            self.assertTrue(np.all(np.diff(u0) >= -tol.MONOTONE_SLACK))
            lo, hi = self.R[~after].max(), self.R[after].min()
            self.assertEqual(m.limit([lo, hi]), ["workers", "rank0"])
            # Continuous: the unsaturated branch reaches 1/c0 exactly at R*.
            self.assertAlmostEqual(((rstar - 1) * m.x_w + m.x_0) / (1 + m.c_0 * m.x_0), x_max)

    def test_worker_utilisation(self):
        m = model()
        uw = m.worker_utilisation(self.R)
        self.assertTrue(math.isnan(uw[0]))
        rstar = m.saturation_ranks()
        np.testing.assert_allclose(uw[1:][self.R[1:] < rstar], 1.0)
        self.assertTrue(np.all(np.diff(uw[self.R >= math.ceil(rstar)]) < 0))

    def test_write_bandwidth(self):
        m = model(c_msg=0.0)
        self.assertAlmostEqual(m.write_saturation_ranks(), m.saturation_ranks())
        self.assertAlmostEqual(m.write_bw, m.b_out / m.c_wr)
        slow = m.with_write_bw(m.write_bw / 2)
        self.assertAlmostEqual(slow.c_wr, 2 * m.c_wr)
        self.assertLess(slow.saturation_ranks(), m.saturation_ranks())

    def test_no_coordination_cost_never_saturates(self):
        m = model(c_msg=0.0, c_wr=0.0)
        self.assertEqual(m.saturation_ranks(), math.inf)
        np.testing.assert_allclose(m.throughput(self.R), (self.R - 1) * m.x_w + m.x_0)

    def test_read_bandwidth_cap(self):
        m = model(read_bw=200e6)
        cap = 200e6 / m.b_in
        x = m.throughput(self.R)
        self.assertTrue(np.all(x <= cap + tol.MONOTONE_SLACK))
        rr = m.read_saturation_ranks()
        self.assertLess(rr, m.saturation_ranks())
        self.assertEqual(m.limit([math.ceil(rr)]), ["read_bw"])
        self.assertEqual(m.limit([math.floor(rr)]), ["workers"])

    def test_ranks_writer_and_file_system(self):
        # Every rank writes its own rows (c_own), rank 0 only coordinates (c_msg + c_wr).
        m = model(writer="ranks", c_own=0.0004, c_msg=0.00001, c_wr=0.0)
        self.assertAlmostEqual(m.x_w, 1 / (m.c_w / m.threads + m.c_s + m.c_own))
        self.assertAlmostEqual(m.rank_bytes_per_s, m.b_out * m.x_w)
        self.assertAlmostEqual(m.write_bw, m.b_out / m.c_own)
        rstar0 = m.saturation_ranks()
        self.assertAlmostEqual(rstar0, 1 + 1 / (m.c_0 * m.x_w))
        self.assertAlmostEqual(float(m.throughput(1)), m.x_0 / (1 + m.c_0 * m.x_0))
        self.assertEqual(m.fs_saturation_ranks(), math.inf)
        self.assertEqual(m.r_star(), (rstar0, "rank0"))
        # A file system of 20 per-rank streams: it binds at about 20 ranks, well before rank 0.
        fs = m.with_fs_bw(20 * m.rank_bytes_per_s)
        self.assertEqual(fs.c_wr, m.c_wr)                      # "ranks": rank 0's write is untouched
        rfs = fs.fs_saturation_ranks()
        self.assertLess(abs(rfs - 20), 1.0)                    # ~ B / (b_out x_w)
        self.assertEqual(fs.r_star(), (rfs, "fs"))
        x = fs.throughput(self.R)
        self.assertTrue(np.all(x <= fs.fs_cap() * (1 + tol.PROJECTION_RTOL)))
        np.testing.assert_allclose(x[self.R >= math.ceil(rfs)], fs.fs_cap(), rtol=tol.PROJECTION_RTOL)
        self.assertEqual(fs.limit([math.floor(rfs), math.ceil(rfs)]), ["workers", "fs"])
        # The upper bound counts rank 0's whole write phase: R*_0 can only fall.
        self.assertLess(model(writer="ranks", c_own=0.0004, c_wr=0.0, c_wr_all=0.001).saturation_ranks_upper(),
                        model(writer="ranks", c_own=0.0004, c_wr=0.0).saturation_ranks())

    def test_chunk_what_if(self):
        m = model(writer="ranks", c_own=0.0004, c_msg=0.00008, c_wr=0.00002, c_s=0.00004, chunk=16)
        big = m.with_chunk(64)
        self.assertEqual(big.chunk, 64)
        for field in ("c_msg", "c_wr", "c_s"):
            self.assertAlmostEqual(getattr(big, field), getattr(m, field) / 4, msg=field)
        self.assertEqual((big.c_w, big.c_own, big.fixed), (m.c_w, m.c_own, m.fixed))
        self.assertGreater(big.saturation_ranks(), 3 * m.saturation_ranks())
        with self.assertRaises(ValueError):
            model().with_chunk(64)   # root: per byte

    def test_root_writer_on_a_file_system(self):
        # Rank 0 writes every row: a file system slower than its write slows rank 0 itself.
        m = model()
        slow = m.with_fs_bw(m.b_out / (2 * m.c_wr))          # half rank 0's measured write speed
        self.assertAlmostEqual(slow.c_wr, 2 * m.c_wr)
        self.assertLess(slow.saturation_ranks(), m.saturation_ranks())
        self.assertEqual(slow.fs_saturation_ranks(), math.inf)   # rank 0 saturates first
        fast = m.with_fs_bw(m.b_out / (m.c_wr / 2))
        self.assertEqual(fast.c_wr, m.c_wr)

    def test_wall(self):
        m = model()
        self.assertAlmostEqual(float(m.wall(10000, 8)), m.fixed + 10000 / float(m.throughput(8)))
        self.assertLess(float(m.run_throughput(10000, 8)), float(m.throughput(8)))


def fake_report(ranks, threads, n, c_w=0.01, c_s=0.001, c_msg=0.0004, c_wr=0.0006, fixed=0.2, chunk=8):
    """A report as imgshard would write it for a run obeying the cost model."""
    per = [0] * ranks
    if ranks == 1:
        per[0] = n
    else:
        per[0] = n // 10
        rest = n - per[0]
        for r in range(1, ranks):
            per[r] = rest // (ranks - 1) + (1 if r - 1 < rest % (ranks - 1) else 0)
    out = []
    for r in range(ranks):
        comp = per[r] * c_w / threads
        ph = dict.fromkeys(st.PHASES, 0.0)
        ph.update(read=0.2 * comp, decode=0.5 * comp, kernels=0.3 * comp)
        if r == 0:
            ph.update(discover=0.75 * fixed, plan=0.25 * fixed, write=n * c_wr)
            if ranks > 1:
                ph.update(send=0.25 * n * c_msg, receive=0.75 * n * c_msg)
        else:
            ph.update(send=0.9 * per[r] * c_s, receive=0.1 * per[r] * c_s, wait=0.05)
        out.append({"rank": r, "host": "h", "threads": threads, "images": per[r],
                    "units": -(-per[r] // chunk), "bytes_read": per[r] * 1000, "bytes_sent": 0,
                    "wall_seconds": sum(ph.values()), "phases": ph})
    wall = max(x["wall_seconds"] for x in out)
    return {"imgshard_version": "test", "pipeline": "resize=224:224", "wall_seconds": wall,
            "images": n, "failed": 0, "images_per_s": n / wall, "mpi_ranks": ranks,
            "omp_threads": threads, "schedule": "dynamic", "chunk": chunk, "ranks": out}


def fake_ranks_report(ranks, threads, n, c_w=0.01, c_s=0.0001, c_own=0.002, c_msg=0.00003, c_book=0.00001,
                      row_bytes=5000, fixed=0.2, chunk=8):
    """A report of a --writer ranks run obeying the cost model: every rank writes its rows
    (c_own per image at one bandwidth), rank 0 receives metadata and keeps the books
    (c_book per image) besides writing the rows of its own units."""
    rep = fake_report(ranks, threads, n, c_w=c_w, c_s=c_s, c_msg=c_msg, c_wr=0.0, fixed=fixed, chunk=chunk)
    for r in rep["ranks"]:
        own = r["images"] * c_own
        r["phases"]["write"] = own + (n * c_book if r["rank"] == 0 and ranks > 1 else 0.0)
        r["bytes_written"] = r["images"] * row_bytes
        r["bytes_received"] = 10 * n if r["rank"] == 0 and ranks > 1 else 0
    return rep


class Calibrate(unittest.TestCase):
    def test_recovers_constants(self):
        runs = [{"report": fake_report(r, t, 400), "out_bytes": 400 * 5000}
                for r in (1, 2, 4) for t in (1, 2)]
        for t in (1, 2):
            m = st.calibrate(runs, t)
            self.assertEqual(m.threads, t)
            self.assertAlmostEqual(m.c_w, 0.01)
            self.assertAlmostEqual(m.c_s, 0.001)
            self.assertAlmostEqual(m.c_msg, 0.0004)
            self.assertAlmostEqual(m.c_wr, 0.0006)
            self.assertAlmostEqual(m.fixed, 0.2)
            self.assertEqual(m.chunk, 8)
            self.assertAlmostEqual(m.b_out, 5000)
            self.assertAlmostEqual(m.b_in, 1000)
        with self.assertRaises(ValueError):
            st.calibrate(runs, 3)

    def test_rank_filter(self):
        runs = [{"report": fake_report(1, 2, 100, c_w=0.05)}, {"report": fake_report(4, 2, 400)}]
        self.assertAlmostEqual(st.calibrate(runs, 2, ranks=4).c_w, 0.01)
        self.assertAlmostEqual(st.calibrate(runs, 2, ranks=1).c_w, 0.05)
        # Pooled over worker ranks: 100 images of rank 0 alone, 360 of ranks 1-3.
        self.assertAlmostEqual(st.calibrate(runs, 2).c_w, (100 * 0.05 + 360 * 0.01) / 460)
        with self.assertRaises(ValueError):
            st.calibrate(runs, 2, ranks=2)

    def test_single_rank_runs_only(self):
        m = st.calibrate([{"report": fake_report(1, 1, 100)}], 1)
        self.assertAlmostEqual(m.c_w, 0.01)
        self.assertEqual((m.c_s, m.c_msg, m.b_out), (0.0, 0.0, 0.0))
        self.assertAlmostEqual(m.c_wr, 0.0006)

    def test_ranks_writer(self):
        runs = [{"report": fake_ranks_report(r, 1, 400), "writer": "ranks", "out_bytes": 400 * 5000}
                for r in (1, 2, 4)]
        m = st.calibrate(runs, 1, writer="ranks")
        self.assertEqual(m.writer, "ranks")
        self.assertAlmostEqual(m.c_w, 0.01)
        self.assertAlmostEqual(m.c_s, 0.0001)
        self.assertAlmostEqual(m.c_own, 0.002)
        self.assertAlmostEqual(m.c_msg, 0.00003)
        # Rank 0's write phase (its own 40 rows and the books) counts once per run, in F.
        r0_write = 400 * 0.00001 + 40 * 0.002
        self.assertEqual(m.c_wr, 0.0)
        self.assertAlmostEqual(m.fixed, 0.2 + r0_write)
        self.assertAlmostEqual(m.c_wr_all, r0_write / 400)
        self.assertAlmostEqual(m.write_bw, 5000 / 0.002)
        # One rank alone: its write is that of its own rows.
        one = st.calibrate(runs, 1, ranks=1, writer="ranks")
        self.assertAlmostEqual(one.c_own, 0.002)
        self.assertEqual((one.c_wr, one.c_msg), (0.0, 0.0))
        # The writer read from the reports when runs.json does not say.
        self.assertEqual(st.writer_of(fake_ranks_report(2, 1, 40)), "ranks")
        self.assertEqual(st.writer_of(fake_report(2, 1, 40)), "root")          # no bytes_written: before --writer
        self.assertIsNone(st.writer_of(fake_ranks_report(1, 1, 40)))            # one rank: either
        self.assertEqual(st.calibrate([{"report": fake_ranks_report(4, 1, 400)}], 1).writer, "ranks")
        mixed = runs + [{"report": fake_report(4, 1, 400), "writer": "root"}]
        with self.assertRaises(ValueError):
            st.calibrate(mixed, 1)
        self.assertAlmostEqual(st.calibrate(mixed, 1, ranks=4, writer="root").c_wr, 0.0006)
        self.assertAlmostEqual(st.calibrate(mixed, 1, ranks=4, writer="ranks").c_own, 0.002)

    def test_from_study_rows(self):
        # calibrate_rows on study.csv's medians gives what calibrate gives on the reports.
        from imgshard.study.analysis import aggregate
        for writer, make in (("ranks", fake_ranks_report), ("root", fake_report)):
            runs = []
            for r in (1, 2, 4):
                rep = make(r, 2, 400)
                runs.append({"ranks": r, "threads": 2, "report": rep, "summary": st.summarize_report(rep),
                             "writer": writer, "launch_seconds": 1.0, "out_bytes": 400 * 5000})
            rows = aggregate(runs)
            self.assertEqual({x["writer"] for x in rows}, {writer})
            for ranks in (4, None):
                a, b = st.calibrate(runs, 2, ranks, writer), st.calibrate_rows(rows, 2, ranks, writer)
                for field in ("c_w", "c_s", "c_msg", "c_wr", "c_own", "c_wr_all", "fixed", "b_out", "b_in"):
                    self.assertAlmostEqual(getattr(a, field), getattr(b, field), msg=f"{writer} {ranks} {field}")
            # A study.csv from before --writer has no writer column: root.
            self.assertEqual(st.row_writer({"ranks": 2}), "root")

    def test_summarize_report(self):
        rep = fake_report(2, 1, 100)
        s = st.summarize_report(rep)
        self.assertEqual(s["images"], 100)
        self.assertAlmostEqual(s["write"], 100 * 0.0006 / 2)
        self.assertAlmostEqual(s["r0_write"], 100 * 0.0006)
        self.assertEqual(s["units"], sum(r["units"] for r in rep["ranks"]))
        for ph in st.PHASES:
            self.assertIn(ph, s)
            self.assertIn("r0_" + ph, s)


class ImageList(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "in")
        for rel in ("b.jpg", "B.PNG", "a/z.JPEG", "a.b.tif", "notes.txt", "a/sub/y.webp", "noext"):
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(rel.encode())

    def tearDown(self):
        self.tmp.cleanup()

    def test_find_images_order(self):
        got = [os.path.relpath(p, self.root) for p in st.find_images(self.root)]
        self.assertEqual(got, ["B.PNG", "a.b.tif", "a/sub/y.webp", "a/z.JPEG", "b.jpg"])

    def test_find_images_links(self):
        # A link back up (a loop) is walked once; two links to one folder are both walked,
        # as imgshard's own walker does (src/io/discover.cpp).
        os.symlink(os.path.join(self.root, "a"), os.path.join(self.root, "a", "sub", "up"))
        os.symlink(os.path.join(self.root, "a", "sub"), os.path.join(self.root, "c"))
        got = [os.path.relpath(p, self.root) for p in st.find_images(self.root)]
        # a/sub/up is a (on the path): cut. c is a/sub, so c/up is a (not on that path): walked,
        # and its sub is c itself (on the path): cut.
        self.assertEqual(got, ["B.PNG", "a.b.tif", "a/sub/y.webp", "a/z.JPEG", "b.jpg", "c/up/z.JPEG", "c/y.webp"])

    def read_list(self, path):
        folder = os.path.dirname(path)
        with open(path) as fh:
            lines = fh.read().splitlines()
        return lines, [os.path.join(folder, line) for line in lines]

    def test_prefix(self):
        imgs = st.find_images(self.root)
        path = st.write_image_list(imgs, 3, os.path.join(self.tmp.name, "lists", "l.txt"))
        lines, full = self.read_list(path)
        self.assertEqual(len(lines), 3)
        self.assertTrue(all(not os.path.isabs(x) for x in lines))
        self.assertEqual([os.path.realpath(p) for p in full], [os.path.realpath(p) for p in imgs[:3]])

    def test_wraps_with_symlinks(self):
        imgs = st.find_images(self.root)
        path = st.write_image_list(imgs, 12, os.path.join(self.tmp.name, "w", "l.txt"))
        lines, full = self.read_list(path)
        self.assertEqual(len(lines), 12)
        self.assertEqual(len(set(lines)), 12)                 # distinct paths
        for i, p in enumerate(full):
            self.assertEqual(os.path.realpath(p), os.path.realpath(imgs[i % len(imgs)]))
            self.assertEqual(os.path.splitext(p)[1], os.path.splitext(imgs[i % len(imgs)])[1])
        # Rewriting is idempotent (symlinks already there).
        st.write_image_list(imgs, 12, path)
        with self.assertRaises(ValueError):
            st.write_image_list([], 3, path)

    def test_images_for(self):
        self.assertEqual(st.images_for("strong", 100, 4, 2), 100)
        self.assertEqual(st.images_for("weak", 100, 4, 2), 800)
        self.assertEqual(st.images_for("weak", 100, 4, 2, per="rank"), 400)

    def test_parse_int_list(self):
        self.assertEqual(st.parse_int_list("4,1,2,2"), [1, 2, 4])
        self.assertEqual(st.parse_int_list("1-4"), [1, 2, 3, 4])
        self.assertEqual(st.parse_int_list("1,8-32:8"), [1, 8, 16, 24, 32])
        for bad in ("", "0,1", "x"):
            with self.assertRaises(ValueError):
                st.parse_int_list(bad)


if __name__ == "__main__":
    unittest.main(verbosity=2)
