"""imgshard.open on every output flavour equals h5py's view of the same file; it refuses
incomplete and foreign files with a clear message, and is safe across a fork."""
import contextlib
import io
import multiprocessing
import os
import shutil
import unittest

import h5py
import numpy as np

import imgshard
import outputs
from imgshard import cli
from outputs import BAD_FILES, FLAVOURS, TempDir

PHASES = ["discover", "plan", "wait", "read", "decode", "kernels", "send", "receive", "write", "other"]


def h5_rows(path):
    with h5py.File(path, "r") as f:
        return {name: (f[name].asstr()[()].tolist() if h5py.check_string_dtype(f[name].dtype) else f[name][()])
                for name in ("images", "labels", "label_names", "paths", "status", "errors", "orig_shape")}


class Reader(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = outputs.get()
        cls.files = {name: getattr(cls.out, name) for name in FLAVOURS}
        cls.incomplete = cls.out.incomplete
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_every_flavour_reads_as_h5py_does(self):
        for name, path in self.files.items():
            with self.subTest(flavour=name):
                ref = h5_rows(path)
                f = imgshard.open(path)
                shape, dtype, layout = FLAVOURS[name][1]
                self.assertEqual(len(f), len(ref["images"]))
                self.assertEqual((f.image_shape, f.dtype, f.layout), (shape, dtype, layout))
                for i in range(len(f)):
                    image, label = f[i]
                    self.assertEqual(image.dtype, dtype)
                    np.testing.assert_array_equal(image, ref["images"][i], err_msg=f"{name} row {i}")
                    self.assertIsInstance(label, int)
                    self.assertEqual(label, ref["labels"][i])
                self.assertEqual(f.paths, ref["paths"])
                self.assertEqual(f.errors, ref["errors"])
                self.assertEqual(f.label_names, ref["label_names"])
                np.testing.assert_array_equal(f.status, ref["status"])
                np.testing.assert_array_equal(f.orig_shape, ref["orig_shape"])
                np.testing.assert_array_equal(f.labels, ref["labels"])
                self.assertTrue(f.complete)

    def test_slices_and_index_lists_read_the_same_rows(self):
        f = imgshard.open(self.files["float_chw_gzip"])
        ref = h5_rows(f.path)
        n = len(f)
        for key in (slice(2, 9), slice(None, None, 3), slice(None, None, -1), slice(-4, None), [5, 1, 5, n - 1, 0],
                    np.array([3, 4, 5, 10, 11])):
            with self.subTest(key=key):
                images, labels = f[key]
                rows = np.arange(n)[key]
                np.testing.assert_array_equal(images, ref["images"][rows])
                np.testing.assert_array_equal(labels, ref["labels"][rows])
        self.assertEqual(f[-1][1], ref["labels"][-1])
        with self.assertRaises(IndexError):
            f[n]
        np.testing.assert_array_equal(f.read_range(3, 4), ref["images"][3:7])
        np.testing.assert_array_equal(f.read_row(n - 1), ref["images"][n - 1])
        with self.assertRaises(IndexError):
            f.read_range(n - 2, 3)
        out = np.zeros((3, *f.image_shape), np.float32)
        self.assertIs(f.read_rows([7, 6, 8], out=out), out)
        np.testing.assert_array_equal(out, ref["images"][[7, 6, 8]])

    def test_failed_images_carry_index_status_reason_and_path(self):
        f = imgshard.open(self.files["rgb"])
        failed = {x.path: x for x in f.failed}
        self.assertEqual({p: x.status for p, x in failed.items()}, BAD_FILES)
        for x in failed.values():
            self.assertEqual(f.paths[x.index], x.path)
            self.assertEqual(f.errors[x.index], x.reason)
            self.assertTrue(x.reason)
            self.assertEqual(x.status_name, imgshard.STATUS_NAMES[x.status])
            self.assertFalse(f[x.index][0].any(), "a failed image's row is zeros")
        self.assertEqual(failed["scenes/cut.jpg"].status_name, "truncated")
        self.assertEqual(len(f.ok_rows) + len(f.failed), len(f))
        self.assertEqual(len(f.pending_rows), 0)

    def test_attributes_and_timings_table(self):
        f = imgshard.open(self.files["rgb"])
        with h5py.File(f.path, "r") as h:
            self.assertEqual(f.attrs["pipeline"], h.attrs["pipeline"])
            self.assertEqual(f.attrs["mpi_ranks"], 2)
            self.assertIsInstance(f.attrs["complete"], int)
            t = f.timings
            self.assertEqual(len(t), 2)
            self.assertEqual(t.column("rank"), [0, 1])
            for phase in PHASES:
                self.assertIn(phase, t.columns)
            np.testing.assert_allclose(t.column("decode"), h["timings/phase_seconds"][:, PHASES.index("decode")])
            self.assertEqual(sum(t.column("images")), len(f))
            self.assertEqual(t.to_dicts()[1]["rank"], 1)
            self.assertIn("wall_s", str(t).splitlines()[0])
            self.assertAlmostEqual(f.images_per_second, len(f) / h["timings/wall_seconds"][0])
        self.assertEqual(f.meta, {}, "no CSV manifest, no /meta")

    def test_escaped_names_give_back_the_source_bytes(self):
        f = imgshard.open(self.out.names)
        self.assertEqual(sorted(imgshard.path_bytes(p) for p in f.paths), sorted(outputs.ODD_NAMES))
        for p in f.paths:
            self.assertTrue(os.path.exists(os.path.join(os.fsencode(self.out.dir), b"names", imgshard.path_bytes(p))))
        self.assertIn("caf\u00e9.jpg", f.paths, "a UTF-8 name is stored as it is")
        self.assertEqual(f.input_errors, [])

    def test_meta_inputs_and_non_utf8_paths_are_read_where_present(self):
        # Columns a CSV manifest adds (/meta/*, /inputs, /input_index), written here with h5py.
        path = os.path.join(self.dir, "with-meta.h5")
        shutil.copy(self.files["gray"], path)
        n = len(imgshard.open(path))
        strings = h5py.string_dtype()
        with h5py.File(path, "r+") as h:
            for name in ("meta", "inputs", "input_index", "input_errors"):
                if name in h:
                    del h[name]
            h.create_dataset("meta/split", data=[("train" if i % 2 else "val") for i in range(n)], dtype=strings)
            h.create_dataset("inputs", data=["a/", "b.csv"], dtype=strings)
            h.create_dataset("input_index", data=np.arange(n, dtype=np.int32) % 2)
            h.create_dataset("input_errors", data=["a/locked: Permission denied"], dtype=strings)
            paths = h["paths"]
            paths[0] = b"caf\xe9.jpg"  # Latin-1 bytes, as no imgshard writes them: still read
        f = imgshard.open(path)
        self.assertEqual(f.meta["split"][:3], ["val", "train", "val"])
        self.assertEqual(f.inputs, ["a/", "b.csv"])
        np.testing.assert_array_equal(f.input_index, np.arange(n) % 2)
        self.assertEqual(os.fsencode(f.paths[0]), b"caf\xe9.jpg")
        self.assertEqual(f.input_errors, ["a/locked: Permission denied"])
        r = cli_main(["inspect", path])
        self.assertIn("folders that could not be listed (1, skipped):\n  a/locked: Permission denied", r)
        self.assertIn(f"  inputs     a/ ({(n + 1) // 2}), b.csv ({n // 2})\n", r)
        self.assertIn("  meta       /meta/split\n", r)

    def test_incomplete_file_is_refused_unless_allowed(self):
        with self.assertRaises(imgshard.IncompleteFileError) as e:
            imgshard.open(self.incomplete)
        message = str(e.exception)
        for words in ("incomplete", "--resume", "allow_incomplete=True", "pending"):
            self.assertIn(words, message)
        f = imgshard.open(self.incomplete, allow_incomplete=True)
        self.assertFalse(f.complete)
        self.assertGreater(len(f.pending_rows), 0)
        self.assertGreater(len(f.ok_rows), 0, "the first unit was written before the stop")
        complete = imgshard.open(self.files["rgb"])
        for i in f.ok_rows:
            np.testing.assert_array_equal(f[i][0], complete[i][0])
        self.assertNotIn(255, [x.status for x in f.failed], "pending rows are not failures")

    def test_foreign_and_missing_files_are_refused_with_one_clear_line(self):
        torn = os.path.join(self.dir, "torn.h5")  # an HDF5 signature and nothing after it
        with open(self.out.rgb, "rb") as src, open(torn, "wb") as dst:
            dst.write(src.read(1024))
        cases = ((torn, imgshard.FileError, "HDF5 cannot open it"),
                 (self.out.other, imgshard.NotImgshardFileError, "not an imgshard output"),
                 (self.out.notes, imgshard.NotImgshardFileError, "not an HDF5 file"),
                 (self.dir, imgshard.NotImgshardFileError, "directory"),
                 (os.path.join(self.dir, "missing.h5"), FileNotFoundError, "no such file"))
        for path, error, words in cases:
            with self.subTest(path=path):
                with self.assertRaises(error) as e:
                    imgshard.open(path)
                self.assertIn(words, str(e.exception))
                self.assertIn(path, str(e.exception))
                self.assertNotIn("\n", str(e.exception))

    def test_file_replaced_under_a_view_is_refused_not_mixed(self):
        # `imgshard --force` replaces the file under its name; a view (or a DataLoader worker)
        # that opened it again read the new file's pixels with the old one's labels and length.
        path = os.path.join(self.dir, "replaced.h5")
        shutil.copy(self.files["rgb"], path)
        f = imgshard.open(path)
        self.assertEqual(len(f.labels), len(f))
        f.close()
        shutil.copy(self.files["gray"], path + ".new")
        os.replace(path + ".new", path)
        with self.assertRaisesRegex(imgshard.FileError, "was replaced after this view opened it"):
            f[0]
        self.assertEqual(imgshard.open(path).image_shape[-1], 1, "a new view reads the new file")

    def test_indexes_that_are_no_row_are_refused_clearly(self):
        f = imgshard.open(self.files["rgb"])
        n = len(f)
        image, label = f[np.array(5)]  # a 0-d array or tensor is one index, as in NumPy
        np.testing.assert_array_equal(image, f[5][0])
        self.assertIs(type(label), int)
        for key, error, words in ((n, IndexError, f"image index {n} out of range"),
                                  (-n - 1, IndexError, f"image index {-n - 1} out of range"),
                                  (2.7, TypeError, "integer"),
                                  ([[1, 2], [3, 4]], TypeError, "one list of integers"),
                                  (np.ones(n - 1, bool), IndexError, "boolean index")):
            with self.subTest(key=key):
                with self.assertRaisesRegex(error, words):
                    f[key]
        for row in (-1, n):  # h5py's OverflowError and "Could not get a validated dataspace"
            with self.assertRaisesRegex(IndexError, "out of range"):
                f.read_row(row)

    def test_damaged_or_partial_files_raise_file_error_naming_the_file(self):
        odd = os.path.join(self.dir, "odd.h5")
        with h5py.File(odd, "w") as g:  # the two marks of an imgshard file, and nothing else
            g.attrs["imgshard_version"] = "0"
            g.create_dataset("images", (2, 4, 4, 3), np.uint8)
        with self.assertRaisesRegex(imgshard.NotImgshardFileError, "not an imgshard output"):
            imgshard.open(odd, allow_incomplete=True)
        damaged = os.path.join(self.dir, "damaged.h5")
        shutil.copy(self.files["rgb"], damaged)
        with h5py.File(damaged, "r+") as g:  # /errors no longer strings
            del g["errors"]
            g["errors"] = np.zeros(len(g["status"]), np.int32)
        # /errors whole, and only the failed rows' (a file with up to 256 failures)
        for name, read in (("errors", lambda f: f.errors), ("failed", lambda f: f.failed)):
            with self.subTest(read=name):
                self.assertTrue(0 < len(BAD_FILES) <= 256)  # the path that reads the failed rows alone
                with self.assertRaises(imgshard.FileError) as e:
                    read(imgshard.open(damaged))
                self.assertIn(damaged, str(e.exception))
                self.assertIn("damaged", str(e.exception))

    def test_view_made_and_used_before_a_fork_reads_right_in_the_children(self):
        f = imgshard.open(self.files["rgb"])
        ref = h5_rows(f.path)["images"]
        f[0]  # the parent now holds an open handle, which the children inherit
        self.assertEqual(f.opened_by, os.getpid())
        global _forked_view
        _forked_view = f
        with multiprocessing.get_context("fork").Pool(2) as pool:
            sums = pool.map(_checksum_in_child, range(len(f)))
        self.assertEqual(sums, [int(ref[i].astype(np.int64).sum()) for i in range(len(f))])
        np.testing.assert_array_equal(f[3][0], ref[3], "the parent's handle still works after the fork")


def cli_main(argv):
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert cli.main(argv) == 0
    return stdout.getvalue()


_forked_view = None


def _checksum_in_child(i):
    image, _ = _forked_view[i]
    assert _forked_view.opened_by == os.getpid(), "the child opened its own handle"
    return int(image.astype(np.int64).sum())


if __name__ == "__main__":
    unittest.main()
