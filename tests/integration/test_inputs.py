"""Inputs as datasets ship them: zip and tar archives read in place, CSV manifests with labels
and metadata, several INPUTs whose relative paths clash, and --resume fingerprints of all of
it. Real mpirun (-np 2 and 3), files read back with h5py."""
import csv
import io
import os
import shutil
import subprocess
import sys
import tarfile
import unittest
import zipfile

import h5py
import numpy as np

from harness import SAMPLE, TempDir, assert_same_file, mpirun, read, sample_files

ARGS = ["-p", "resize=32:24"]
OK, UNREADABLE, CORRUPT = 0, 1, 4


def zip_folder(folder, out, compression):
    with zipfile.ZipFile(out, "w", compression) as z:
        for rel in sorted(sample_files(folder), key=lambda p: p.encode()[::-1]):  # not in imgshard's order
            z.write(os.path.join(folder, rel), rel)


def member_data_offset(zip_path, name):
    """Where the member's data starts: after its local header (name and extra field)."""
    with zipfile.ZipFile(zip_path) as z:
        info = z.getinfo(name)
    with open(zip_path, "rb") as f:
        f.seek(info.header_offset + 26)
        header = f.read(4)
    return info.header_offset + 30 + int.from_bytes(header[:2], "little") + int.from_bytes(header[2:], "little"), info


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x5A]))


def write_csv(path, header, rows, bom=False, crlf=False):
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n" if crlf else "\n").writerows([header, *rows])
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        f.write(text.getvalue())


def strings(f, name):
    return list(f[name].asstr()[:])


class Inputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.files = sample_files()
        cls.folder_out = cls.path("folder.h5")
        r = mpirun([SAMPLE, "-o", cls.folder_out, *ARGS], np_=2)
        assert r.returncode == 0, r.stderr
        cls.deflated = cls.path("sample.zip")
        zip_folder(SAMPLE, cls.deflated, zipfile.ZIP_DEFLATED)
        # Row by relative path: what every CSV case compares its images against.
        d = read(cls.folder_out, "images", "paths")
        cls.folder_rows = {p.decode(): image for p, image in zip(d["paths"], d["images"])}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    def run_ok(self, args, out, np_, code=0):
        r = mpirun([*args, "-o", out, *ARGS], np_=np_)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        return r

    def assert_usage_error(self, args, message, np_=2):
        out = self.path("never.h5")
        r = mpirun([*args, "-o", out, *ARGS], np_=np_)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(message, r.stderr)
        self.assertEqual(len([l for l in r.stderr.splitlines() if l.startswith("imgshard")]), 1, r.stderr)
        self.assertFalse(os.path.exists(out), "an error before any work writes nothing")

    # ---- archives -------------------------------------------------------------------------

    def test_zip_and_tar_of_the_folder_equal_the_folder(self):
        stored = self.path("stored/sample.zip")
        os.makedirs(os.path.dirname(stored))
        zip_folder(SAMPLE, stored, zipfile.ZIP_STORED)
        tar = self.path("sample.tar")
        with tarfile.open(tar, "w", format=tarfile.PAX_FORMAT) as t:
            t.add(SAMPLE, arcname=".")  # members "./animals/...", as `tar -C DIR .` writes them
        for name, archive, ranks in (("deflated", self.deflated, 3), ("stored", stored, 2), ("tar", tar, 3)):
            with self.subTest(archive=name):
                out = self.path(f"{name}.h5")
                self.run_ok([archive], out, ranks)
                assert_same_file(self, self.folder_out, out)
                with h5py.File(out, "r") as f:
                    self.assertEqual(strings(f, "inputs"), [archive])
                    self.assertEqual(f["input_index"][:].tolist(), [0] * len(self.files))
                    self.assertEqual(f["input_index"].dtype, np.int32)

    def test_damaged_zip_members_get_a_status_and_the_others_are_written(self):
        bad = self.path("damaged.zip")
        with zipfile.ZipFile(bad, "w") as z:
            for rel in self.files:
                z.write(os.path.join(SAMPLE, rel), rel, zipfile.ZIP_STORED if rel.startswith("fruit/") else zipfile.ZIP_DEFLATED)
        deflated = next(rel for rel in self.files if not rel.startswith("fruit/"))
        stored = next(rel for rel in self.files if rel.startswith("fruit/"))
        for rel in (deflated, stored):
            offset, info = member_data_offset(bad, rel)
            flip(bad, offset + info.compress_size // 2)
        out = self.path("damaged.h5")
        self.run_ok([bad], out, 2, code=3)
        with h5py.File(out, "r") as f:
            status = dict(zip(strings(f, "paths"), f["status"][:].tolist()))
            errors = dict(zip(strings(f, "paths"), strings(f, "errors")))
            images = dict(zip(strings(f, "paths"), f["images"][:]))
        for rel in (deflated, stored):
            self.assertEqual(status[rel], CORRUPT, rel)
            self.assertTrue(errors[rel].startswith("corrupt zip member"), errors[rel])
            self.assertFalse(images[rel].any())
        for rel in self.files:
            if rel not in (deflated, stored):
                self.assertEqual(status[rel], OK, rel)
                self.assertTrue(np.array_equal(images[rel], self.folder_rows[rel]), rel)

    def test_damaged_central_directory_is_an_error_before_any_work(self):
        bad = self.path("baddir.zip")
        shutil.copy(self.deflated, bad)
        with open(bad, "rb") as f:
            data = f.read()
        flip(bad, data.rindex(b"PK\x01\x02"))  # the last central directory entry
        self.assert_usage_error([bad], "damaged zip central directory", np_=3)

    def test_compressed_tarball_is_refused(self):
        tgz = self.path("sample.tar.gz")
        with tarfile.open(tgz, "w:gz") as t:
            t.add(SAMPLE, arcname=".")
        self.assert_usage_error([tgz], "decompress it first")

    # ---- CSV manifests --------------------------------------------------------------------

    def csv_rows(self):
        """Every sample image, not in folder order, with a label name and awkward metadata."""
        order = sorted(self.files, key=lambda p: (len(p), p[::-1]))
        titles = ['plain', 'with, comma', 'with "quotes"', 'two\nlines', '  spaced  ', 'ünïcode ✓']
        return [[rel, rel.split("/")[0].upper(), titles[i % len(titles)], str(1000 + i)] for i, rel in enumerate(order)]

    def test_csv_with_quoting_bom_and_crlf_gives_labels_and_meta(self):
        rows = self.csv_rows()
        manifest = self.path("train.csv")
        write_csv(manifest, ["path", "label", "title", "item_id"], rows, bom=True, crlf=True)
        # The manifest beside the images: paths relative to the CSV's folder, here via --csv-root.
        out = self.path("csv.h5")
        self.run_ok(["@" + manifest, "--csv-root", SAMPLE], out, 3)
        with open(manifest, encoding="utf-8-sig", newline="") as f:
            expected = list(csv.reader(f))[1:]
        with h5py.File(out, "r") as f:
            self.assertEqual(strings(f, "paths"), [r[0] for r in expected])
            names = sorted({r[1] for r in expected})
            self.assertEqual(strings(f, "label_names"), names)
            self.assertEqual(f["labels"][:].tolist(), [names.index(r[1]) for r in expected])
            self.assertEqual(sorted(f["meta"].keys()), ["item_id", "title"])
            self.assertEqual(strings(f, "meta/title"), [r[2] for r in expected])
            self.assertEqual(strings(f, "meta/item_id"), [r[3] for r in expected])
            self.assertEqual(strings(f, "inputs"), ["@" + manifest])
            for i, r in enumerate(expected):
                self.assertTrue(np.array_equal(f["images"][i], self.folder_rows[r[0]]), r[0])
        # --labels dirname still overrides the CSV's column.
        out2 = self.path("csv-dirname.h5")
        self.run_ok(["@" + manifest, "--csv-root", SAMPLE, "--labels", "dirname"], out2, 2)
        with h5py.File(out2, "r") as f:
            self.assertEqual(strings(f, "label_names"), sorted({r[0].split("/")[0] for r in expected}))

    def test_csv_column_names_that_are_not_utf8_are_escaped_as_paths_are(self):
        # A Latin-1 header, as an old spreadsheet saves it; "a\\xff" would clash with "a\xff"
        # unless a backslash is escaped too.
        manifest = self.path("latin1.csv")
        with open(manifest, "wb") as f:
            f.write(b"path,Gr\xf6\xdfe,a\xff,a\\xff\n")
            for rel in self.files[:3]:
                f.write(rel.encode() + b",caf\xe9,1,2\n")
        out = self.path("latin1.h5")
        self.run_ok(["@" + manifest, "--csv-root", SAMPLE], out, 2)
        with h5py.File(out, "r") as f:
            self.assertEqual(sorted(f["meta"].keys()), ["Gr\\xf6\\xdfe", "a\\\\xff", "a\\xff"])
            self.assertEqual(strings(f, "meta/Gr\\xf6\\xdfe"), ["caf\\xe9"] * 3)
            self.assertEqual(strings(f, "meta/a\\xff"), ["1"] * 3)
        r = subprocess.run([sys.executable, "-m", "imgshard", "inspect", out], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("/meta/Gr\\xf6\\xdfe", r.stdout)

    def test_integer_labels_are_kept_as_ids(self):
        rows = [[rel, str(i * 57 // (len(self.files) - 1))] for i, rel in enumerate(self.files)]  # 0 .. 57
        shutil.copytree(SAMPLE, self.path("ids"))
        manifest = self.path("ids/ids.csv")  # paths relative to the CSV's own folder
        write_csv(manifest, ["path", "category"], rows)
        out = self.path("ids.h5")
        self.run_ok(["@" + manifest, "--csv-label", "category"], out, 2)
        with h5py.File(out, "r") as f:
            self.assertEqual(f["labels"][:].tolist(), [int(r[1]) for r in rows])
            self.assertEqual(strings(f, "label_names"), [str(i) for i in range(58)])
            self.assertNotIn("meta", f)

    def test_csv_bad_header_and_bad_row_are_errors_with_the_line(self):
        bad_header = self.path("bad_header.csv")
        write_csv(bad_header, ["file", "label"], [[self.files[0], "a"]])
        self.assert_usage_error(["@" + bad_header], "bad_header.csv line 1: no column 'path'")
        bad_row = self.path("bad_row.csv")
        with open(bad_row, "w") as f:
            f.write(f'path,label\n{self.files[0]},a\n"{self.files[1]}\nstill the path",b\n{self.files[2]},c,extra\n')
        self.assert_usage_error(["@" + bad_row, "--csv-root", SAMPLE], "bad_row.csv line 5: 3 fields", np_=3)

    def test_csv_row_naming_a_missing_file_gets_a_status(self):
        manifest = self.path("missing.csv")
        write_csv(manifest, ["path", "label"], [[self.files[0], "a"], ["nowhere/gone.jpg", "b"], [self.files[1], "a"]])
        out = self.path("missing.h5")
        self.run_ok(["@" + manifest, "--csv-root", SAMPLE], out, 2, code=3)
        with h5py.File(out, "r") as f:
            self.assertEqual(f["status"][:].tolist(), [OK, UNREADABLE, OK])
            self.assertIn("no such file", strings(f, "errors")[1])

    def test_csv_paths_into_a_zip(self):
        # The Kaggle layout: train.csv beside images.zip, other column names.
        rows = [[rel, rel.split("/")[0], str(i)] for i, rel in enumerate(reversed(self.files))]
        rows.insert(3, ["animals/not-in-the-zip.jpg", "animals", "99"])
        manifest = self.path("kaggle.csv")
        write_csv(manifest, ["image", "category", "posting_id"], rows)
        out = self.path("kaggle.h5")
        self.run_ok(["@" + manifest, "--csv-root", self.deflated, "--csv-path", "image", "--csv-label", "category"], out,
                    3, code=3)
        with h5py.File(out, "r") as f:
            self.assertEqual(strings(f, "paths"), [r[0] for r in rows])
            self.assertEqual(strings(f, "meta/posting_id"), [r[2] for r in rows])
            status, errors = f["status"][:].tolist(), strings(f, "errors")
            for i, r in enumerate(rows):
                if i == 3:
                    self.assertEqual(status[i], UNREADABLE)
                    self.assertIn("no such member", errors[i])
                else:
                    self.assertEqual(status[i], OK, r[0])
                    self.assertTrue(np.array_equal(f["images"][i], self.folder_rows[r[0]]), r[0])

    # ---- several INPUTs --------------------------------------------------------------------

    def test_clashing_relative_paths_are_told_apart_by_input_index(self):
        for split, rel in (("train", self.files[0]), ("extra", self.files[5])):
            os.makedirs(self.path(f"{split}/cat"))
            shutil.copy(os.path.join(SAMPLE, rel), self.path(f"{split}/cat/1.jpg"))
        out = self.path("clash.h5")
        train, extra = self.path("train"), self.path("extra") + "/"
        self.run_ok([train, extra], out, 2)
        with h5py.File(out, "r") as f:
            self.assertEqual(strings(f, "paths"), ["cat/1.jpg", "cat/1.jpg"])
            self.assertEqual(strings(f, "inputs"), [train, extra])  # as given, trailing slash included
            self.assertEqual(f["input_index"][:].tolist(), [0, 1])
            self.assertTrue(np.array_equal(f["images"][0], self.folder_rows[self.files[0]]))
            self.assertTrue(np.array_equal(f["images"][1], self.folder_rows[self.files[5]]))

    # ---- resume ----------------------------------------------------------------------------

    def test_resume_refuses_a_file_made_from_another_csv_or_archive(self):
        manifest = self.path("resume.csv")
        rows = [[rel, "x", "t"] for rel in self.files[:4]]
        write_csv(manifest, ["path", "label", "title"], rows)
        archive = self.path("resume/sample.zip")
        os.makedirs(os.path.dirname(archive))
        shutil.copy(self.deflated, archive)
        out = self.path("resume.h5")
        args = ["@" + manifest, "--csv-root", archive]
        self.run_ok(args, out, 2)
        with open(out, "rb") as f:
            before = f.read()
        rows[2][2] = "another title"  # one metadata cell
        write_csv(manifest, ["path", "label", "title"], rows)
        self.assert_resume_refused(args, out, before)
        rows[2][2] = "t"
        write_csv(manifest, ["path", "label", "title"], rows)
        zip_folder(SAMPLE, archive, zipfile.ZIP_STORED)  # same names, other bytes
        self.assert_resume_refused(args, out, before)

    def assert_resume_refused(self, args, out, before):
        r = mpirun([*args, "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("made from other inputs", r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), before, "a refused --resume leaves the file as it was")


if __name__ == "__main__":
    unittest.main()
