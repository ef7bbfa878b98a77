"""Odd but valid images decode as cv2.imread does (then the same resize), with the right /orig_shape.

One corpus of every oddity (corpus.odd_corpus), one `mpirun -np 2` run over it; each test looks
at its own group of files. JPEG goes through imgshard's own libjpeg path (within 1 grey level
of OpenCV's, per the spec); every other format through cv::imdecode (exactly equal).
"""
import os
import unittest

import cv2
import h5py

import corpus
from common import TempDir, describe, max_diff, reference, rows, run
from corpus import OK


class OddImages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        top = cls.tmp.__enter__()
        cls.root = os.path.join(top, "corpus")
        cls.cases = {c.rel: c for c in corpus.odd_corpus(cls.root)}
        cls.out = os.path.join(top, "odd.h5")
        cls.result = run([cls.root], cls.out)
        cls.rows, cls.attrs = rows(cls.out) if os.path.exists(cls.out) else ({}, {})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def check(self, rel, shape=None):
        """Decoded, equal to cv2's reference, /orig_shape = (height, width after EXIF, channels as stored)."""
        case = self.cases[rel]
        self.assertIn(rel, self.rows, describe(self.result))
        r = self.rows[rel]
        self.assertEqual(r.status, OK, f"{rel} ({case.note}): {r.error}")
        self.assertEqual(r.error, "")
        path = os.path.join(self.root, rel)
        diff = max_diff(r.image, reference(path))
        self.assertLessEqual(diff, case.tolerance, f"{rel} ({case.note}) differs from cv2 by {diff}")
        h, w = cv2.imread(path, cv2.IMREAD_COLOR).shape[:2] if shape is None else shape
        self.assertEqual(r.orig_shape, (h, w, case.channels), f"{rel} ({case.note})")

    def check_all(self, prefix):
        selected = [rel for rel in self.cases if rel.startswith(prefix)]
        self.assertTrue(selected, prefix)
        for rel in selected:
            with self.subTest(rel):
                self.check(rel)

    def test_run_exits_0_and_lists_every_file(self):
        self.assertEqual(self.result.returncode, 0, describe(self.result))
        self.assertEqual(sorted(self.rows), sorted(self.cases, key=lambda p: p.encode()))
        self.assertEqual(list(self.rows), sorted(self.rows, key=lambda p: p.encode()), "byte order of the paths")
        self.assertEqual(self.attrs["complete"], 1)

    # --- JPEG ------------------------------------------------------------------------------

    def test_baseline_and_optimised_jpeg(self):
        self.check("jpeg/baseline.jpg")
        self.check("jpeg/optimized.jpg")

    def test_greyscale_jpeg(self):
        self.check("jpeg/grey.jpg")
        self.check("jpeg/grey_progressive.jpg")

    def test_progressive_jpeg(self):
        self.check("jpeg/progressive.jpg")

    def test_restart_markers(self):
        self.check("jpeg/restart.jpg")

    def test_chroma_subsampling(self):
        self.check_all("jpeg/subsampling_")

    def test_cmyk_jpeg(self):
        self.check("jpeg/cmyk.jpg")
        self.check("jpeg/cmyk_progressive.jpg")

    def test_exif_orientations(self):
        # Stored 24 wide x 40 high; 5..8 swap the axes. OpenCV applies every orientation.
        for o in range(1, 9):
            with self.subTest(orientation=o):
                self.check(f"exif/orientation_{o}.jpg", shape=(24, 40) if o >= 5 else (40, 24))
        self.check("exif/orientation_6_grey.jpg", shape=(24, 40))

    def test_bytes_after_eoi_are_ignored(self):
        self.check("exif/trailing_garbage.jpg")

    # --- PNG -------------------------------------------------------------------------------

    def test_png_every_colour_type_and_bit_depth(self):
        self.check_all("png/type")

    def test_png_interlaced(self):
        interlaced = [rel for rel in self.cases if "adam7" in rel]
        self.assertEqual(len(interlaced), 15)
        for rel in interlaced:
            with self.subTest(rel):
                self.check(rel)

    def test_png_transparency_chunk(self):
        self.check("png/grey_trns.png")
        self.check("png/rgb_trns.png")
        self.check("png/palette_trns.png")

    def test_png_16_bit_rgba_palette_grey_alpha(self):
        for rel in ("png/cv2_16bit.png", "png/cv2_rgba.png", "png/pil_palette.png", "png/pil_la.png"):
            self.check(rel)

    def test_png_bytes_after_iend_are_ignored(self):
        self.check("png/trailing_garbage.png")

    # --- other formats ---------------------------------------------------------------------

    def test_webp(self):
        for rel in ("other/lossy.webp", "other/lossless.webp", "other/rgba.webp", "other/lossy_alpha.webp"):
            self.check(rel)

    def test_tiff(self):
        for rel in ("other/lzw.tif", "other/raw.tiff", "other/grey16.tif", "other/rgba.tif", "other/deflate.tif",
                    "other/palette.tif", "other/big_endian.tif", "other/bigtiff.tif", "other/bigtiff_be.tif"):
            self.check(rel)

    def test_bmp(self):
        for rel in ("other/rgb24.bmp", "other/grey8.bmp", "other/bgra32.bmp", "other/palette.bmp", "other/mono.bmp",
                    "other/top_down.bmp", "other/rle8.bmp"):
            self.check(rel)

    def test_pgm_ppm_pam(self):
        for rel in ("other/binary.pgm", "other/binary.ppm", "other/ascii.pgm", "other/ascii.ppm", "other/grey16.pgm",
                    "other/comment.ppm", "other/pam.ppm"):
            self.check(rel)

    def test_format_by_content_not_extension(self):
        self.check_all("content/")

    # --- sizes -----------------------------------------------------------------------------

    def test_one_by_one_in_every_format(self):
        self.check_all("sizes/1x1")

    def test_long_thin_images(self):
        for rel in ("sizes/6000x3.jpg", "sizes/3x6000.jpg", "sizes/6000x3.png", "sizes/3x6000.png"):
            self.check(rel)

    def test_every_size_from_1_to_33(self):
        self.check_all("sizes/square_")
        self.check_all("sizes/oblong_")

    # --- names -----------------------------------------------------------------------------

    def test_upper_case_extensions(self):
        for rel in ("names/UPPER.JPG", "names/Mixed.JpEg", "names/UPPER.PNG", "names/UPPER.TIFF"):
            self.check(rel)

    def test_non_ascii_names(self):
        for rel in ("names/café.jpg", "names/日本語の名前.png", "names/with space 🙂.webp"):
            self.check(rel)
        with h5py.File(self.out, "r") as f:
            raw = list(f["paths"][:])
        self.assertIn("names/日本語の名前.png".encode(), raw, "/paths holds the UTF-8 bytes of the name")

    def test_symlinked_files(self):
        self.check("names/link_abs.png")
        self.check("names/link_rel.jpg")


if __name__ == "__main__":
    unittest.main()
