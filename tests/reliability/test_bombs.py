"""Decompression bombs: the size is read from the header and refused before any pixel buffer.

Every format's header declaring more than --max-pixels (default 178,956,970) is refused with
status 7 and its declared size in the reason; the run's peak RSS, measured per rank with
/usr/bin/time inside mpirun, stays that of a run of small images. The 30000x30000 PNG is a
real one: its 2.6 MB of IDAT inflate to 2.7 GB of rows.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import h5py

import corpus
from common import IMGSHARD, PIPELINE, RUN_TIMEOUT, TempDir, describe, max_diff, mpi_env, reference, rows, run
from corpus import CORRUPT, OK, TOO_LARGE, WARNING

# Far under the 1.5 GB the issue allows; a run of small images peaks near 100 MB per rank,
# and decoding the PNG bomb would need 2.7 GB for its rows alone.
RSS_LIMIT_KB = 400 * 1024


def run_measured(inputs, out, *args):
    """imgshard under `mpirun -np 2`, each rank under /usr/bin/time: (result, [maxrss_kb per rank]).
    Each rank's figure goes to a file of its own: on a shared stderr, mpirun's messages can
    cut into a line."""
    env = mpi_env()
    rss_dir = tempfile.mkdtemp(prefix="imgshard-rss-")
    wrapper = os.path.join(rss_dir, "measure.sh")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec /usr/bin/time -f %M -o "{rss_dir}/rank.$OMPI_COMM_WORLD_RANK" "$@"\n')
    os.chmod(wrapper, 0o755)
    cmd = ["mpirun", "-np", "2", "--bind-to", "none", "--oversubscribe", wrapper,
           IMGSHARD, *inputs, "-o", out, "-p", PIPELINE, "--threads", "2", "--progress", "none", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env)
    rss = []
    for name in sorted(os.listdir(rss_dir)):
        if name.startswith("rank."):
            with open(os.path.join(rss_dir, name)) as f:
                rss.append(int(f.read().split()[-1]))
    shutil.rmtree(rss_dir, ignore_errors=True)
    return result, rss


class Bombs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.top = cls.tmp.__enter__()
        cls.root = os.path.join(cls.top, "bombs")
        cls.cases = {c.rel: c for c in corpus.bomb_corpus(cls.root)}
        corpus.write(cls.root, "zz_good.jpg", corpus.encode_cv(".jpg", corpus.photo(40, 50)))
        corpus.write(cls.root, "zz_good.png", corpus.encode_cv(".png", corpus.photo(40, 50)))
        cls.out = os.path.join(cls.top, "bombs.h5")
        cls.result, cls.rss = run_measured([cls.root], cls.out)
        cls.rows = rows(cls.out)[0] if os.path.exists(cls.out) else {}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def check(self, rel):
        case = self.cases[rel]
        self.assertIn(rel, self.rows, describe(self.result))
        r = self.rows[rel]
        self.assertEqual(r.status, TOO_LARGE, f"{rel} ({case.note}): {r.error}")
        self.assertIn(case.reason, r.error)
        self.assertIn("over --max-pixels 178956970", r.error)
        self.assertNotIn("\n", r.error)
        self.assertFalse(r.image.any())
        self.assertEqual(r.orig_shape, (0, 0, 0))

    def test_run_finishes_and_good_images_are_written(self):
        self.assertEqual(self.result.returncode, 3, describe(self.result))
        for rel in ("zz_good.jpg", "zz_good.png"):
            self.assertEqual(self.rows[rel].status, OK)
            self.assertLessEqual(max_diff(self.rows[rel].image, reference(os.path.join(self.root, rel))), 1)

    def test_peak_rss_stays_small(self):
        self.assertEqual(len(self.rss), 2, describe(self.result))
        for kb in self.rss:
            self.assertLess(kb, RSS_LIMIT_KB, f"peak RSS {kb} kB per rank: {self.rss}")
        print(f"\n  peak RSS per rank with every bomb: {[kb // 1024 for kb in self.rss]} MB", end=" ")

    def test_png_30000x30000(self):
        self.check("png_30000.png")
        self.check("png_header_only.png")
        self.check("png_max.png")

    def test_jpeg(self):
        self.check("jpeg_30000.jpg")
        self.check("jpeg_progressive_20000.jpg")
        self.check("jpeg_65500.jpg")
        self.check("jpeg_30000_then_1000mb.jpg")

    def test_webp(self):
        self.check("webp_vp8x.webp")
        self.check("webp_vp8.webp")

    def test_tiff(self):
        self.check("tiff_le.tif")
        self.check("tiff_be_long.tif")
        self.check("bigtiff.tif")
        self.check("tiff_tile.tif")

    def test_bmp(self):
        self.check("bmp.bmp")
        self.check("bmp_top_down.bmp")

    def test_pnm(self):
        self.check("pgm.pgm")
        self.check("ppm_comment.ppm")
        self.check("ppm_hash_ends_number.ppm")
        self.check("ppm_vtab_formfeed.ppm")
        self.check("pam.ppm")

    def test_png_bomb_alone(self):
        with TempDir() as top:
            corpus.write(top, "in/bomb.png", corpus.png_bomb(30000, 30000))
            corpus.write(top, "in/good.png", corpus.encode_cv(".png", corpus.photo(40, 50)))
            out = os.path.join(top, "out.h5")
            result, rss = run_measured([os.path.join(top, "in")], out)
            self.assertEqual(result.returncode, 3, describe(result))
            r, _ = rows(out)
            self.assertEqual(r["bomb.png"].status, TOO_LARGE)
            self.assertIn("PNG declares 30000x30000 = 900000000 pixels", r["bomb.png"].error)
            self.assertEqual(r["good.png"].status, OK)
            self.assertEqual(len(rss), 2, describe(result))
            self.assertLess(max(rss), RSS_LIMIT_KB, rss)
            print(f"\n  peak RSS per rank, PNG bomb alone: {[kb // 1024 for kb in rss]} MB", end=" ")


class MaxPixels(unittest.TestCase):
    def test_limit_is_inclusive_in_every_code_path(self):
        """--max-pixels N accepts exactly N pixels and refuses N + 1 row's worth (JPEG: libjpeg's
        header; the others: ours)."""
        with TempDir() as top:
            root = os.path.join(top, "in")
            for ext in (".jpg", ".png", ".bmp", ".webp", ".tif", ".ppm"):
                corpus.write(root, f"at_limit{ext}", corpus.encode_cv(ext, corpus.photo(25, 40)))   # 1000 pixels
                corpus.write(root, f"over_limit{ext}", corpus.encode_cv(ext, corpus.photo(25, 41)))  # 1025
            out = os.path.join(top, "out.h5")
            result = run([root], out, "--max-pixels", "1000")
            self.assertEqual(result.returncode, 3, describe(result))
            r, attrs = rows(out)
            self.assertEqual(int(attrs["max_pixels"]), 1000)
            for ext in (".jpg", ".png", ".bmp", ".webp", ".tif", ".ppm"):
                self.assertEqual(r[f"at_limit{ext}"].status, OK, r[f"at_limit{ext}"].error)
                over = r[f"over_limit{ext}"]
                self.assertEqual(over.status, TOO_LARGE, ext)
                self.assertIn("declares 41x25 = 1025 pixels, over --max-pixels 1000", over.error)


class ScanBomb(unittest.TestCase):
    def test_progressive_jpeg_with_too_many_scans(self):
        """A progressive JPEG can repeat scans, each a pass over the whole image: past 500 (as
        libjpeg-turbo's TJFLAG_LIMITSCANS) it is refused even under --fail-on error."""
        with TempDir() as top:
            root = os.path.join(top, "in")
            prog = corpus.encode_cv(".jpg", corpus.photo(32, 32), [corpus.cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
            corpus.write(root, "many.jpg", corpus.jpeg_many_scans(prog, 300))
            corpus.write(root, "too_many.jpg", corpus.jpeg_many_scans(prog, 600))
            for level, many, too_many in (("warning", WARNING, WARNING), ("error", OK, CORRUPT)):
                out = os.path.join(top, f"{level}.h5")
                result = run([root], out, "--fail-on", level)
                self.assertEqual(result.returncode, 3, describe(result))
                r, _ = rows(out)
                self.assertEqual(r["many.jpg"].status, many, r["many.jpg"].error)
                self.assertEqual(r["too_many.jpg"].status, too_many, r["too_many.jpg"].error)
                if level == "error":
                    self.assertIn("more than 500 scans", r["too_many.jpg"].error)
                    # Under --fail-on error what decodes is what cv2.imread returns.
                    self.assertLessEqual(max_diff(r["many.jpg"].image, reference(os.path.join(root, "many.jpg"))), 1)
                else:
                    self.assertIn("Inconsistent progression", r["too_many.jpg"].error)


if __name__ == "__main__":
    unittest.main()
