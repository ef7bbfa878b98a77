"""imgshard end to end on the sample photos: real mpirun, real HDF5 read back with h5py."""
import os
import shutil
import unittest

import cv2
import h5py
import numpy as np

import tolerances as tol
from harness import SAMPLE, TempDir, max_diff, mpirun, read, reference, sample_files

TOLERANCE = tol.JPEG_DECODE


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.files = sample_files()
        cls.baseline = os.path.join(cls.dir, "np1.h5")
        r = mpirun([SAMPLE, "-o", cls.baseline, "-p", "resize=64:64"], np_=1, threads=1)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_every_image_matches_opencv_reference(self):
        d = read(self.baseline, "images", "status")
        self.assertEqual(d["images"].shape, (len(self.files), 64, 64, 3))
        self.assertEqual(d["images"].dtype, np.uint8)
        for i, rel in enumerate(self.files):
            ref = reference(os.path.join(SAMPLE, rel), 64, 64)
            self.assertEqual(d["status"][i], 0, rel)
            self.assertLessEqual(max_diff(d["images"][i], ref), TOLERANCE, f"{rel}: differs from cv2 by more than 1")

    def test_linear_interpolation_matches_opencv(self):
        out = os.path.join(self.dir, "linear.h5")
        r = mpirun([SAMPLE, "-o", out, "-p", "resize=48:40:interp=linear"], np_=2, threads=1)
        self.assertEqual(r.returncode, 0, r.stderr)
        images = read(out, "images")["images"]
        for i, rel in enumerate(self.files):
            ref = reference(os.path.join(SAMPLE, rel), 48, 40, cv2.INTER_LINEAR)
            self.assertLessEqual(max_diff(images[i], ref), TOLERANCE, rel)

    def test_paths_labels_shapes_and_attributes(self):
        with h5py.File(self.baseline, "r") as f:
            self.assertEqual(list(f["paths"].asstr()[:]), self.files)
            names = sorted({rel.split("/")[0] for rel in self.files})
            self.assertEqual(list(f["label_names"].asstr()[:]), names)
            expected = [names.index(rel.split("/")[0]) for rel in self.files]
            self.assertEqual(f["labels"][:].tolist(), expected)
            self.assertEqual(f["labels"].dtype, np.int32)
            for i, rel in enumerate(self.files):
                h, w, _ = cv2.imread(os.path.join(SAMPLE, rel)).shape
                self.assertEqual(f["orig_shape"][i][:2].tolist(), [h, w], rel)
            self.assertEqual(list(f["errors"].asstr()[:]), [""] * len(self.files))
            attrs = f.attrs
            for key in ("imgshard_version", "pipeline", "layout", "decode", "created", "mpi_ranks", "omp_threads",
                        "schedule", "complete"):
                self.assertIn(key, attrs)
            self.assertEqual(attrs["complete"], 1)
            self.assertEqual(attrs["layout"], "nhwc")
            self.assertEqual(attrs["decode"], "exact")
            self.assertEqual(attrs["pipeline"], "resize=width=64:height=64:mode=stretch:interp=area:fill=0")
            self.assertEqual(attrs["mpi_ranks"], 1)
            # Uncompressed: one contiguous block, each row's place in the file fixed at creation
            # (every rank writes its rows there); compressed files keep one chunk per image.
            self.assertIsNone(f["images"].chunks)
            self.assertEqual(f["images"].id.get_offset() is not None, True)

    def test_labels_none(self):
        out = os.path.join(self.dir, "nolabels.h5")
        r = mpirun([SAMPLE, "-o", out, "-p", "resize=16:16", "--labels", "none"])
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out, "r") as f:
            self.assertTrue((f["labels"][:] == -1).all())
            self.assertEqual(f["label_names"].shape, (0,))

    def test_bit_identical_for_any_ranks_threads_schedule_chunk(self):
        base = read(self.baseline, "images", "paths", "status", "orig_shape", "labels")
        configs = [(2, 2, "static", 1), (3, 1, "dynamic", 7), (3, 2, "static", 7), (2, 1, "dynamic", 1),
                   (1, 2, "static", 7)]
        for ranks, threads, schedule, chunk in configs:
            with self.subTest(ranks=ranks, threads=threads, schedule=schedule, chunk=chunk):
                out = os.path.join(self.dir, f"r{ranks}t{threads}{schedule}{chunk}.h5")
                r = mpirun([SAMPLE, "-o", out, "-p", "resize=64:64", "--schedule", schedule, "--chunk", str(chunk)],
                           np_=ranks, threads=threads)
                self.assertEqual(r.returncode, 0, r.stderr)
                other = read(out, "images", "paths", "status", "orig_shape", "labels")
                for name, value in base.items():
                    self.assertTrue(np.array_equal(value, other[name]), f"/{name} differs")
                with h5py.File(out, "r") as f:
                    self.assertEqual(f.attrs["mpi_ranks"], ranks)
                    self.assertEqual(f.attrs["omp_threads"], threads)
                    self.assertEqual(f.attrs["schedule"], schedule)

    def test_compressed_output_has_the_same_pixels(self):
        # Rows are compressed where they are computed (workers, rank 0's threads) and stored
        # as chunks: whoever compressed them, h5py must read the same pixels back.
        for ranks, threads in ((1, 2), (2, 1), (3, 1)):
            with self.subTest(ranks=ranks, threads=threads):
                out = os.path.join(self.dir, f"gzip{ranks}{threads}.h5")
                r = mpirun([SAMPLE, "-o", out, "-p", "resize=64:64", "--compress", "gzip=6", "--chunk", "5"],
                           np_=ranks, threads=threads)
                self.assertEqual(r.returncode, 0, r.stderr)
                with h5py.File(out, "r") as f:
                    self.assertEqual(f["images"].compression, "gzip")
                    self.assertEqual(f["images"].compression_opts, 6)
                    self.assertTrue(np.array_equal(f["images"][:], read(self.baseline, "images")["images"]))

    def test_compressed_float_output_equals_uncompressed(self):
        chain = "resize=32:24,normalize,layout=chw"
        plain, packed = os.path.join(self.dir, "f32.h5"), os.path.join(self.dir, "f32gz.h5")
        self.assertEqual(mpirun([SAMPLE, "-o", plain, "-p", chain], np_=2).returncode, 0)
        r = mpirun([SAMPLE, "-o", packed, "-p", chain, "--compress", "gzip"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        a, b = read(plain, "images")["images"], read(packed, "images")["images"]
        self.assertEqual(b.dtype, np.float32)
        self.assertEqual(b.shape, (len(self.files), 3, 24, 32))
        self.assertTrue(np.array_equal(a, b))


class ExitCodes(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()

    def tearDown(self):
        self.tmp.__exit__(None, None, None)

    def assert_usage_error(self, args, message, np_=2):
        out = os.path.join(self.dir, "never.h5")
        r = mpirun([*args, "-o", out] if "-o" not in args else args, np_=np_)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = [line for line in r.stderr.splitlines() if line.startswith("imgshard")]
        self.assertEqual(len(lines), 1, f"want one error line (rank 0 only), got: {r.stderr}")
        self.assertIn(message, lines[0])
        if "-o" not in args:
            self.assertFalse(os.path.exists(out), "a usage error must write nothing")

    def test_unknown_kernel(self):
        self.assert_usage_error([SAMPLE, "-p", "resize=8:8,blur"], "unknown kernel 'blur'")

    def test_bad_argument(self):
        self.assert_usage_error([SAMPLE, "-p", "resize=0:8"], "resize: width must be between 1 and 65535, got '0'")

    def test_checkpoint_seconds_nan(self):
        # NaN passed the range check and switched journaling off (nothing kept for --resume).
        self.assert_usage_error([SAMPLE, "--checkpoint-seconds", "nan"], "must be a number of 0 or more, got 'nan'")

    def test_zero_limit_says_what_is_allowed(self):
        # CLI11's own check said "Value 0 not in range 0.000000 to 1797...", 300 digits long.
        self.assert_usage_error([SAMPLE, "--max-pixels", "0"],
                                "--max-pixels: must be a whole number from 1 to 18446744073709551615, got '0'")

    def test_limit_too_large_for_64_bits(self):
        # CLI11 turned 2^64 and above into 2^64 - 1 without a word.
        self.assert_usage_error([SAMPLE, "--max-file-bytes", str(2**64)],
                                f"--max-file-bytes: must be a whole number from 1 to {2**64 - 1}, got '{2**64}'")

    def test_report_into_a_missing_folder(self):
        # It ran to the end, then only warned that the report could not be written (exit 0).
        report = os.path.join(self.dir, "nowhere", "r.json")
        self.assert_usage_error([SAMPLE, "--report", report], "the folder")

    def test_pipeline_without_fixed_size(self):
        if "gray" not in mpirun(["--list-kernels"]).stdout:
            self.skipTest("needs the gray kernel")
        self.assert_usage_error([SAMPLE, "-p", "gray"], "does not give every image one fixed size")

    def test_empty_pipeline(self):
        self.assert_usage_error([SAMPLE, "-p", ""], "pipeline: empty")

    def test_no_images_found(self):
        os.makedirs(os.path.join(self.dir, "empty"))
        with open(os.path.join(self.dir, "empty", "notes.txt"), "w") as f:
            f.write("no images here")
        self.assert_usage_error([os.path.join(self.dir, "empty")], "no images found")

    def test_missing_input(self):
        self.assert_usage_error([os.path.join(self.dir, "nowhere")], "no such file or directory")

    def test_existing_output_needs_force(self):
        out = os.path.join(self.dir, "exists.h5")
        with open(out, "w") as f:
            f.write("precious")
        self.assert_usage_error([SAMPLE, "-o", out, "-p", "resize=8:8"], "exists")
        with open(out) as f:
            self.assertEqual(f.read(), "precious", "an existing output must not be touched")
        r = mpirun([SAMPLE, "-o", out, "-p", "resize=8:8", "--force"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out, "r") as f:
            self.assertEqual(f.attrs["complete"], 1)

    def test_help_version_list_kernels(self):
        for flag, text in (("--help", "--pipeline"), ("--version", "imgshard "), ("--list-kernels", "resize")):
            r = mpirun([flag], np_=1)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(text, r.stdout)

    def test_bad_images_exit_3_and_good_ones_are_written(self):
        src = os.path.join(self.dir, "mixed")
        os.makedirs(src)
        good = sample_files()[:3]
        for rel in good:
            shutil.copy(os.path.join(SAMPLE, rel), os.path.join(src, "a_" + os.path.basename(rel)))
        with open(os.path.join(src, "b_text.jpg"), "w") as f:
            f.write("this is not an image\n")
        open(os.path.join(src, "c_empty.png"), "w").close()
        jpeg = next(os.path.join(SAMPLE, rel) for rel in good if rel.endswith(".jpg"))
        with open(jpeg, "rb") as f:
            data = f.read()
        with open(os.path.join(src, "d_truncated.jpg"), "wb") as f:
            f.write(data[: len(data) // 2])
        # --chunk 1 on one rank: result buffers are reused, so a failed row must be zeroed
        # even where a good image of an earlier unit left its pixels.
        for ranks, extra in ((2, []), (1, ["--chunk", "1", "--schedule", "static"])):
            with self.subTest(ranks=ranks, extra=extra):
                self.check_mixed(src, ranks, extra)

    def check_mixed(self, src, ranks, extra):
        out = os.path.join(self.dir, f"mixed{ranks}.h5")
        r = mpirun([src, "-o", out, "-p", "resize=32:32", *extra], np_=ranks)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("3 failed", r.stdout)
        with h5py.File(out, "r") as f:
            paths = list(f["paths"].asstr()[:])
            status = f["status"][:].tolist()
            errors = list(f["errors"].asstr()[:])
            images = f["images"][:]
            self.assertEqual(f.attrs["complete"], 1)
        by_name = dict(zip(paths, zip(status, errors, images)))
        self.assertEqual(by_name["b_text.jpg"][0], 3)  # unknown format
        self.assertEqual(by_name["c_empty.png"][0], 2)  # empty
        self.assertEqual(by_name["d_truncated.jpg"][0], 5)  # truncated, not a half-grey image
        self.assertIn("truncated", by_name["d_truncated.jpg"][1])
        for name in ("b_text.jpg", "c_empty.png", "d_truncated.jpg"):
            self.assertFalse(by_name[name][2].any(), f"{name}: a failed row must be zeros")
            self.assertNotEqual(by_name[name][1], "")
        for name, (s, e, image) in by_name.items():
            if name.startswith("a_"):
                self.assertEqual((s, e), (0, ""), name)
                self.assertLessEqual(max_diff(image, reference(os.path.join(src, name), 32, 32)), 1, name)


if __name__ == "__main__":
    unittest.main()
