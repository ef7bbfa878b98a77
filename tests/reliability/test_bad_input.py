"""Bad input never stops the run: each kind gets its status code, a one-line reason, a zero row.

One corpus of every kind of bad file (corpus.bad_corpus) plus a few good images, run under
`mpirun -np 2` once per --fail-on level; each test then looks at its own files' rows.
"""
import os
import unittest


import corpus
from common import TempDir, describe, max_diff, reference, rows, run
from corpus import CORRUPT, EMPTY, OK, TRUNCATED, UNKNOWN, UNREADABLE, WARNING

GOOD = ["good/a.jpg", "good/b.png", "good/c.webp"]

# The damaged-but-decodable files: flagged under --fail-on warning only.
WARNING_ONLY = ["bad_huffman.jpg", "extraneous.jpg", "premature_segment.jpg", "bad_progression.jpg",
                "bad_restart.jpg", "bad_text_crc.png"]
TRUNCATED_JPEG = ["truncated.jpg", "truncated_progressive.jpg", "no_eoi.jpg"]


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        top = cls.tmp.__enter__()
        cls.root = os.path.join(top, "corpus")
        cls.cases = {c.rel: c for c in corpus.bad_corpus(cls.root)}
        for i, rel in enumerate(GOOD):
            ext = os.path.splitext(rel)[1]
            corpus.write(cls.root, rel, corpus.encode_cv(ext, corpus.photo(30 + i, 40, i)))
        cls.results, cls.rows, cls.attrs = {}, {}, {}
        for level in ("warning", "truncated", "error"):
            out = os.path.join(top, f"{level}.h5")
            args = [] if level == "warning" else ["--fail-on", level]  # warning is the default
            cls.results[level] = run([cls.root], out, *args)
            if os.path.exists(out):
                cls.rows[level], cls.attrs[level] = rows(out)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def row(self, rel, level="warning"):
        self.assertIn(level, self.rows, describe(self.results[level]))
        self.assertIn(rel, self.rows[level], f"{rel} not in /paths")
        return self.rows[level][rel]

    def check(self, rel, level="warning", status=None, reason=None):
        """The file failed with its status and a one-line reason, its row zero."""
        case = self.cases[rel]
        status = case.status if status is None else status
        reason = case.reason if reason is None else reason
        r = self.row(rel, level)
        self.assertEqual(r.status, status, f"{rel} ({case.note}): status {r.status}, reason {r.error!r}")
        self.assertIn(reason, r.error, f"{rel} ({case.note})")
        self.assertNotIn("\n", r.error, f"{rel}: the reason is one line")
        self.assertFalse(r.image.any(), f"{rel}: a failed image's row of /images is zeros")
        self.assertEqual(r.orig_shape, (0, 0, 0), f"{rel}: a failed decode has no shape")

    # --- the run as a whole ------------------------------------------------------------------

    def test_run_finishes_with_exit_3_and_complete(self):
        for level, result in self.results.items():
            self.assertEqual(result.returncode, 3, f"--fail-on {level}: " + describe(result))
            self.assertEqual(self.attrs[level]["complete"], 1)
            self.assertEqual(self.attrs[level]["fail_on"], level)

    def test_good_images_still_written(self):
        for level in self.rows:
            for rel in GOOD:
                r = self.row(rel, level)
                self.assertEqual(r.status, OK, f"{rel}: {r.error}")
                self.assertEqual(r.error, "")
                self.assertLessEqual(max_diff(r.image, reference(os.path.join(self.root, rel))), 1, rel)

    def test_every_bad_file_has_its_status(self):
        for rel in self.cases:
            with self.subTest(rel):
                self.check(rel)

    def test_summary_names_the_failures(self):
        out = self.results["warning"].stdout
        self.assertIn(f"{len(self.cases)} failed", out)
        self.assertIn("failed [", out)

    # --- files that cannot be read -----------------------------------------------------------

    def test_empty_file(self):
        self.check("empty.jpg")
        self.assertEqual(self.row("empty.jpg").status, EMPTY)

    def test_random_bytes(self):
        self.check("random.jpg")
        self.assertEqual(self.row("random.jpg").status, UNKNOWN)

    def test_text_file_named_png(self):
        self.check("text.png")

    def test_text_starting_with_bmp_and_pnm_magic(self):
        self.check("text_bm.bmp")
        self.check("text_p5.pgm")

    def test_gif_is_unknown_format(self):
        self.check("gif.png")

    def test_directory_named_jpg_is_not_an_image(self):
        paths = self.rows["warning"]
        self.assertFalse([p for p in paths if p.startswith("dir.jpg")], "a directory is walked, never read")

    def test_dangling_symlink(self):
        self.check("dangling.jpg")
        self.assertEqual(self.row("dangling.jpg").status, UNREADABLE)

    def test_symlink_loop(self):
        self.check("loop.png")

    def test_fifo_does_not_hang(self):
        self.check("fifo.jpg")  # the run itself finished within RUN_TIMEOUT

    # --- JPEG ------------------------------------------------------------------------------

    def test_truncated_jpeg(self):
        self.check("truncated.jpg")
        self.assertEqual(self.row("truncated.jpg").status, TRUNCATED)

    def test_truncated_jpeg_in_its_headers(self):
        self.check("truncated_header.jpg")

    def test_truncated_progressive_jpeg(self):
        self.check("truncated_progressive.jpg")

    def test_jpeg_without_eoi(self):
        self.check("no_eoi.jpg")

    def test_bad_huffman_code(self):
        self.check("bad_huffman.jpg")
        self.assertEqual(self.row("bad_huffman.jpg").status, WARNING)

    def test_extraneous_bytes_before_marker(self):
        self.check("extraneous.jpg")

    def test_premature_end_of_data_segment(self):
        self.check("premature_segment.jpg")

    def test_inconsistent_progression(self):
        self.check("bad_progression.jpg")

    def test_wrong_restart_marker(self):
        self.check("bad_restart.jpg")

    def test_corrupt_jpeg_headers(self):
        self.check("jpeg_bad_sof.jpg")
        self.check("jpeg_no_sof.jpg")
        self.assertEqual(self.row("jpeg_no_sof.jpg").status, CORRUPT)

    # --- PNG and the formats cv::imdecode reads ----------------------------------------------

    def test_truncated_png(self):
        self.check("truncated.png")
        self.check("no_iend.png")
        self.check("png_header_only.png")

    def test_png_bad_crc(self):
        self.check("bad_crc.png")

    def test_png_damaged_idat(self):
        self.check("damaged_idat.png")

    def test_png_bad_ihdr(self):
        self.check("bad_ihdr.png")

    def test_png_ancillary_crc_is_a_warning(self):
        self.check("bad_text_crc.png")

    def test_truncated_and_corrupt_webp(self):
        self.check("truncated.webp")
        self.check("damaged.webp")

    def test_truncated_and_corrupt_tiff(self):
        self.check("truncated.tif")
        self.check("ifd_past_end.tif")
        self.check("bad_bits.tif")

    def test_truncated_and_corrupt_bmp(self):
        self.check("truncated.bmp")
        self.check("bad_bpp.bmp")

    def test_truncated_and_corrupt_pnm(self):
        self.check("truncated.ppm")
        self.check("bad_maxval.pgm")

    # --- --fail-on ---------------------------------------------------------------------------

    def test_fail_on_truncated_accepts_recoverable_warnings(self):
        for rel in WARNING_ONLY:
            r = self.row(rel, "truncated")
            self.assertEqual(r.status, OK, f"{rel}: {r.error}")
            self.assertTrue(r.image.any(), rel)
        for rel in TRUNCATED_JPEG + ["truncated_header.jpg", "truncated.png", "truncated.webp", "truncated.bmp"]:
            self.check(rel, "truncated")
        for rel in ("jpeg_no_sof.jpg", "bad_crc.png", "damaged_idat.png", "bad_bits.tif"):
            self.check(rel, "truncated")

    def test_fail_on_error_accepts_whatever_decodes(self):
        # JPEG decodes truncated and damaged data (grey padding, smeared blocks): exactly what
        # cv2.imread returns for them, then.
        for rel in WARNING_ONLY + TRUNCATED_JPEG:
            r = self.row(rel, "error")
            self.assertEqual(r.status, OK, f"{rel}: {r.error}")
            self.assertLessEqual(max_diff(r.image, reference(os.path.join(self.root, rel))), 1, rel)
        # What no decoder can read still fails, with the cause found in the container.
        for rel in ("truncated.png", "truncated.webp", "truncated.tif", "truncated.bmp", "truncated.ppm"):
            self.check(rel, "error")
        for rel in ("jpeg_no_sof.jpg", "bad_crc.png", "damaged_idat.png", "damaged.webp", "bad_bits.tif", "empty.jpg",
                    "random.jpg", "fifo.jpg"):
            self.check(rel, "error")

    def test_default_is_fail_on_warning(self):
        self.assertEqual(self.attrs["warning"]["fail_on"], "warning")
        for rel in WARNING_ONLY:
            self.assertEqual(self.row(rel).status, WARNING, rel)


class ListsAndDirectories(unittest.TestCase):
    """@list entries that do not exist (as a file deleted after discovery does), or are folders."""

    def test_list_naming_missing_file_and_directory(self):
        with TempDir() as top:
            good = corpus.write(top, "imgs/good.png", corpus.encode_cv(".png", corpus.photo(20, 20)))
            os.makedirs(os.path.join(top, "imgs", "folder.jpg"))
            listing = os.path.join(top, "list.txt")
            with open(listing, "w") as f:
                f.write("imgs/good.png\nimgs/deleted.jpg\nimgs/folder.jpg\n")
            out = os.path.join(top, "out.h5")
            result = run(["@" + listing], out)
            self.assertEqual(result.returncode, 3, describe(result))
            r, _ = rows(out)
            self.assertEqual(list(r), ["imgs/good.png", "imgs/deleted.jpg", "imgs/folder.jpg"])
            self.assertEqual(r["imgs/good.png"].status, OK)
            self.assertEqual(max_diff(r["imgs/good.png"].image, reference(good)), 0)
            self.assertEqual(r["imgs/deleted.jpg"].status, UNREADABLE)
            self.assertIn("no such file", r["imgs/deleted.jpg"].error)
            self.assertEqual(r["imgs/folder.jpg"].status, UNREADABLE)
            self.assertIn("directory", r["imgs/folder.jpg"].error)

    def test_directory_named_like_an_image_is_walked_not_read(self):
        with TempDir() as top:
            corpus.write(top, "in/a.png", corpus.encode_cv(".png", corpus.photo(20, 20)))
            corpus.write(top, "in/b.jpg/inner.png", corpus.encode_cv(".png", corpus.photo(21, 20)))
            os.makedirs(os.path.join(top, "in", "empty.jpg"))
            out = os.path.join(top, "out.h5")
            result = run([os.path.join(top, "in")], out)
            self.assertEqual(result.returncode, 0, describe(result))
            r, _ = rows(out)
            self.assertEqual(list(r), ["a.png", "b.jpg/inner.png"])
            self.assertTrue(all(row.status == OK for row in r.values()))

    @unittest.skipIf(os.geteuid() == 0, "root reads a chmod 000 file anyway")
    def test_unreadable_file(self):
        with TempDir() as top:
            path = corpus.write(top, "in/secret.png", corpus.encode_cv(".png", corpus.photo(20, 20)))
            corpus.write(top, "in/open.png", corpus.encode_cv(".png", corpus.photo(20, 20)))
            os.chmod(path, 0)
            out = os.path.join(top, "out.h5")
            result = run([os.path.join(top, "in")], out)
            self.assertEqual(result.returncode, 3, describe(result))
            r, _ = rows(out)
            self.assertEqual(r["secret.png"].status, UNREADABLE)
            self.assertIn("Permission denied", r["secret.png"].error)
            self.assertEqual(r["open.png"].status, OK)


class Strict(unittest.TestCase):
    """--strict stops at the first failure: exit 3, what was written stays, complete stays 0."""

    def test_strict_stops_and_keeps_what_was_written(self):
        with TempDir() as top:
            root = os.path.join(top, "in")
            jpg = corpus.encode_cv(".jpg", corpus.photo(40, 40))
            corpus.write(root, "000_truncated.jpg", jpg[: len(jpg) // 2])
            for i in range(1, 120):
                corpus.write(root, f"{i:03d}.png", corpus.encode_cv(".png", corpus.photo(16, 16, i)))
            out = os.path.join(top, "out.h5")
            result = run([root], out, "--strict", "--chunk", "1")
            self.assertEqual(result.returncode, 3, describe(result))
            self.assertIn("--strict", result.stderr)
            r, attrs = rows(out)
            self.assertEqual(attrs["complete"], 0)
            self.assertEqual(r["000_truncated.jpg"].status, TRUNCATED)
            self.assertIn("Premature end of JPEG file", r["000_truncated.jpg"].error)
            statuses = [row.status for row in r.values()]
            self.assertIn(255, statuses, "the run went on to the end: --strict did not stop it")
            written = [row for row in r.values() if row.status == OK]
            self.assertTrue(written, "nothing written before the stop")
            for row in written:
                self.assertTrue(row.image.any())
            # And --resume finishes it: exit 3 (one image failed), complete.
            result = run([root], out, "--strict", "--chunk", "1", "--resume")
            r, attrs = rows(out)
            self.assertEqual(attrs["complete"], 1, describe(result))
            self.assertEqual(sorted({row.status for row in r.values()}), [OK, TRUNCATED])


if __name__ == "__main__":
    unittest.main()
