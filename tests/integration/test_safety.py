"""Nothing already on disk is lost, one run per output, and no failure of one image or of the
disk crashes the run: each defect of the hardening review, reproduced through the real binary
under mpirun and read back with h5py."""
import contextlib
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import time
import unittest

import h5py

from harness import (IMGSHARD, SAMPLE, TempDir, assert_same_file, kill_session, mpi_env, mpirun, popen_in_session, read,
                     sample_files, wait_for_line)

ARGS = ["-p", "resize=40:30", "--chunk", "2", "--checkpoint-seconds", "0"]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def imgshard_lines(stderr):
    """imgshard's own lines (mpirun adds banners of its own)."""
    return [line for line in stderr.splitlines() if line.startswith("imgshard:")]


class WithReference(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.reference = os.path.join(cls.dir, "reference.h5")
        r = mpirun([SAMPLE, "-o", cls.reference, *ARGS], np_=2)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def out(self, name):
        path = os.path.join(self.dir, name)
        for p in (path, path + ".journal", path + ".lock"):
            if os.path.exists(p):
                os.remove(p)
        return path

    def interrupted_file(self, name, point="unit:2"):
        """An output whose run was SIGKILLed (the whole session, as a node loss) at `point`."""
        out = self.out(name)
        proc = popen_in_session([SAMPLE, "-o", out, *ARGS], extra_env={"IMGSHARD_TEST_STALL": point})
        wait_for_line(proc, f"test stall at {point}")
        kill_session(proc)
        return out


class ResumeLeavesWhatIsNotItsOwnAlone(WithReference):
    def assert_refused_untouched(self, out, before, *needles):
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = imgshard_lines(r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])
        self.assertEqual(digest(out), before, "--resume changed a file that is not its own")
        self.assertFalse(os.path.exists(out + ".journal"))
        self.assertFalse(os.path.exists(out + ".lock"), "the run lock outlived the run")

    def test_text_file_named_like_the_output(self):
        out = self.out("notes.h5")
        with open(out, "w") as f:
            f.write("precious notes, not an HDF5 file\n")
        self.assert_refused_untouched(out, digest(out), "cannot be opened as an imgshard output", "left as it is")

    def test_another_programs_hdf5_file(self):
        out = self.out("theirs.h5")
        with h5py.File(out, "w") as f:
            f["x"] = list(range(10))
            f.attrs["owner"] = "someone else"
        self.assert_refused_untouched(out, digest(out), "not an imgshard output")

    def test_partial_output_held_open_by_a_reader_is_left_then_resumed(self):
        out = self.interrupted_file("held.h5")
        before = digest(out)
        with open(out + ".journal", "rb") as f:
            journal = f.read()
        with h5py.File(out, "r"):
            r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            lines = imgshard_lines(r.stderr)
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("is open in another process", lines[0])  # the cause, not HDF5's "unable to open file"
            self.assertIn("left as it is", lines[0])
        self.assertEqual(digest(out), before)
        with open(out + ".journal", "rb") as f:
            self.assertEqual(f.read(), journal, "the journal of the partial run was lost")
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already done", r.stderr)
        assert_same_file(self, self.reference, out)


class OneRunPerOutput(WithReference):
    def test_second_run_is_refused_before_it_touches_anything(self):
        out = self.out("busy.h5")
        proc = popen_in_session([SAMPLE, "-o", out, *ARGS], extra_env={"IMGSHARD_TEST_STALL": "created"})
        try:
            wait_for_line(proc, "test stall at created")
            before = digest(out)
            for extra in ([], ["--force"], ["--resume"]):
                with self.subTest(extra=extra):
                    r = mpirun([SAMPLE, "-o", out, *ARGS, *extra], np_=1)
                    self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                    self.assertIn("another imgshard run is writing", r.stderr)
                    self.assertIn(f"pid ", r.stderr)
                    self.assertEqual(digest(out), before)
            proc.send_signal(signal.SIGUSR1)
            proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 4)
        finally:
            if proc.poll() is None:
                kill_session(proc)
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        assert_same_file(self, self.reference, out)


class JournalThatWasCutShort(WithReference):
    def test_torn_last_record_then_resume_gives_the_clean_file(self):
        out = self.interrupted_file("torn.h5", "unit:3")
        journal = out + ".journal"
        size = os.path.getsize(journal)
        self.assertGreater(size, 12, "the interrupted run journaled nothing")
        os.truncate(journal, size - 6)  # a kill or a full disk in the middle of the last record
        with open(journal, "a") as f:
            f.write("1")  # and a stray fragment that a glued-on record would turn into a range
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        assert_same_file(self, self.reference, out)
        with h5py.File(out, "r") as f:
            self.assertNotIn(255, f["status"][:].tolist())


class StringsOfRowsNotJournaled(WithReference):
    def test_resume_never_follows_what_a_killed_run_left_in_errors(self):
        """A run killed between checkpoints can leave rows of /errors on disk that point into
        HDF5's string heap where nothing was ever written (the raw rows reached the disk, the
        heap they name did not). --resume rewrites those rows, and HDF5 frees what a row it
        overwrites points to: following such a pointer fails the resume, or frees another
        row's string. Planted here: rows still pending point past the end of the file, or at
        a string of /paths."""
        out = self.interrupted_file("dangling.h5", "unit:2")
        with h5py.File(out, "r") as f:
            errors, paths = f["errors"].id, f["paths"].id
            pending = [i for i, s in enumerate(f["status"][:]) if s == 255]
            n = f["errors"].shape[0]
            self.assertEqual(errors.get_storage_size(), 16 * n, "a heap pointer is 16 bytes: length, address, index")
            at, paths_at = errors.get_offset(), paths.get_offset()
        self.assertGreater(len(pending), 2, "the killed run left too little pending")
        with open(out, "r+b") as f:
            f.seek(paths_at)
            to_a_path = f.read(16)  # /paths row 0: a real string in a real heap collection
            self.assertNotEqual(to_a_path[4:12], bytes(8))
            past_the_end = struct.pack("<IQI", 7, os.path.getsize(out) + (1 << 20), 1)
            for k, i in enumerate(pending):
                f.seek(at + 16 * i)
                f.write(past_the_end if k % 2 else to_a_path)
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        assert_same_file(self, self.reference, out)


def fill(path, leave=0):
    """Writes `path` until its file system is full, then gives back `leave` bytes of it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for block in (65536, 1024):
            try:
                while True:
                    os.write(fd, bytes(block))
            except OSError:
                pass  # no space left on the device
    finally:
        os.close(fd)
    os.truncate(path, max(0, os.path.getsize(path) - leave))
    os.sync()


class WritesNothingButItsOwnFiles(WithReference):
    """A link planted under the lock's or the journal's name, an output that is no file,
    an output or report that is one of the inputs: refused (exit 1) before anything is
    written, and the file behind is left byte for byte (a review's attack found each one
    written over)."""

    def refused(self, args, *needles):
        r = mpirun([*args, *ARGS], np_=2)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = imgshard_lines(r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])
        return r

    def notes(self, name):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("precious notes\n")
        return path, digest(path)

    def test_link_named_like_the_lock(self):
        out = self.out("linked-lock.h5")
        notes, before = self.notes("lock-notes.txt")
        os.symlink(notes, out + ".lock")
        try:
            self.refused([SAMPLE, "-o", out], "symbolic link")
            self.assertEqual(digest(notes), before, "written through the lock's link")
            self.assertFalse(os.path.exists(out))
        finally:
            os.remove(out + ".lock")

    def test_link_named_like_the_journal_on_resume(self):
        out = self.interrupted_file("linked-journal.h5")
        notes, before = self.notes("journal-notes.txt")
        os.remove(out + ".journal")
        os.symlink(notes, out + ".journal")
        try:
            self.refused([SAMPLE, "-o", out, "--resume"], "not a regular file")
            self.assertEqual(digest(notes), before, "journal records appended through a link")
        finally:
            os.remove(out + ".journal")

    def test_force_replaces_only_files(self):
        fifo = self.out("fifo.h5")
        os.mkfifo(fifo)
        folder = self.out("folder.h5")
        os.mkdir(folder)
        try:
            for out in (fifo, folder):
                with self.subTest(out=os.path.basename(out)):
                    self.refused([SAMPLE, "-o", out, "--force"], "not a regular file")
            self.assertTrue(os.path.exists(fifo) and not os.path.isfile(fifo), "--force removed a FIFO")
            self.assertTrue(os.path.isdir(folder), "--force removed a folder")
        finally:
            os.remove(fifo)
            os.rmdir(folder)

    def test_dangling_link_is_an_existing_output(self):
        out = self.out("dangling.h5")
        os.symlink(os.path.join(self.dir, "nowhere"), out)
        try:
            self.refused([SAMPLE, "-o", out], "exists")
            self.assertTrue(os.path.islink(out), "the link was replaced without --force")
        finally:
            os.remove(out)

    def test_output_or_report_over_an_input(self):
        with TempDir() as tmp:
            images = os.path.join(tmp, "images")
            shutil.copytree(SAMPLE, images)
            victim = os.path.join(images, sample_files(images)[0])
            before = digest(victim)
            self.refused([images, "-o", victim, "--force"], "is one of the inputs")
            self.refused([images, "-o", os.path.join(tmp, "o.h5"), "--report", victim], "is one of the inputs")
            self.assertEqual(digest(victim), before, "an input was written over")
            out = os.path.join(tmp, "same.h5")
            self.refused([images, "-o", out, "--report", out], "is the output file")
            self.assertFalse(os.path.exists(out))


class FullDisk(unittest.TestCase):
    """A full disk ends the run with exit 2 and one clear line, wherever it strikes (rows,
    HDF5's own structures, the new file itself), and once there is room the same command
    (with --resume when a file was left) gives the file an uninterrupted run writes."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a small file system needs root")
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()
        self.addCleanup(self.tmp.__exit__, None, None, None)

    def reference(self, src, args, code=0):
        path = os.path.join(self.dir, "reference.h5")
        r = mpirun([src, "-o", path, *args], np_=2)
        self.assertEqual(r.returncode, code, r.stderr)
        return path

    @contextlib.contextmanager
    def disk(self, tmpfs_size=None, ext4_kib_blocks=None):
        """A small tmpfs, or an ext4 of 32 MiB on a loop device with 1 KiB blocks, mounted
        afresh (the same layout each time) and unmounted at the end."""
        disk = os.path.join(self.dir, "disk")
        os.makedirs(disk, exist_ok=True)
        if ext4_kib_blocks:
            if not shutil.which("mkfs.ext4"):
                self.skipTest("no mkfs.ext4 here")
            image = os.path.join(self.dir, "disk.img")
            with open(image, "wb") as f:
                f.truncate(32 << 20)
            subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", "-b", str(ext4_kib_blocks * 1024), image], check=True)
            mount = ["mount", "-o", "loop", image, disk]
        else:
            mount = ["mount", "-t", "tmpfs", "-o", f"size={tmpfs_size}", "tmpfs", disk]
        if subprocess.run(mount).returncode != 0:
            self.skipTest("cannot mount a small file system here")
        try:
            yield disk
        finally:
            subprocess.run(["umount", disk], check=False)

    def run_into_full_disk(self, src, out, args, point, leave=0, preallocate_rows=False):
        """Runs until rank 0 stalls at `point`, fills the disk (leaving `leave` bytes), lets the
        run go on into it (the stop signal ends the stall), then frees the room again.
        Returns (exit code, stderr)."""
        filler = os.path.join(os.path.dirname(out), "filler")
        proc = popen_in_session([src, "-o", out, *args], extra_env={"IMGSHARD_TEST_STALL": point})
        try:
            wait_for_line(proc, f"test stall at {point}")
            if preallocate_rows:  # so that no row write is what fails
                with h5py.File(out, "r", locking=False) as f:
                    rows = (f["images"].id.get_offset(), f["images"].id.get_storage_size())
                fd = os.open(out, os.O_RDWR)
                try:
                    os.posix_fallocate(fd, *rows)
                finally:
                    os.close(fd)
            fill(filler, leave)
            proc.send_signal(signal.SIGUSR1)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                kill_session(proc)
            if os.path.exists(filler):
                os.remove(filler)
        self.assertNotIn("Segmentation fault", stderr)
        self.assertNotIn("terminate called", stderr)
        return proc.returncode, stdout + stderr

    def test_full_disk_is_exit_2_then_resume_finishes(self):
        args = ["-p", "resize=224:224", "--chunk", "2", "--checkpoint-seconds", "0"]
        reference = self.reference(SAMPLE, args)
        with self.disk(tmpfs_size="1m") as disk:
            out = os.path.join(disk, "out.h5")
            r = mpirun([SAMPLE, "-o", out, *args], np_=2)
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            # One line from each rank that hit the full disk (rank 0, and workers writing
            # their own rows), each saying so.
            fatal = [line for line in imgshard_lines(r.stderr) if "fatal" in line]
            self.assertGreaterEqual(len(fatal), 1, r.stderr)
            for line in fatal:
                self.assertTrue("is full" in line or "No space left on device" in line, line)
            self.assertNotIn("terminate called", r.stderr)
            subprocess.run(["mount", "-o", "remount,size=64m", disk], check=True)
            r = mpirun([SAMPLE, "-o", out, *args, "--resume"], np_=2)
            self.assertEqual(r.returncode, 0, r.stderr)
            assert_same_file(self, reference, out)

    def test_disk_full_for_the_file_structure_then_resume_finishes(self):
        """The disk fills while rank 0 writes HDF5's own structures (a checkpoint's flush, the
        timings at the end), not rows: the file on disk stays as the last checkpoint left it,
        the run says so with exit 2, and --resume finishes it."""
        args = ["-p", "resize=40:30", "--chunk", "2", "--checkpoint-seconds", "0"]
        reference = self.reference(SAMPLE, args)
        with self.disk(tmpfs_size="8m") as disk:
            # unit:3 stops early (the interrupted run's last flush); finishing stops with
            # every row journaled (the timings and `complete`).
            for point, writer in (("unit:3", "ranks"), ("unit:3", "root"), ("finishing", "ranks")):
                with self.subTest(point=point, writer=writer):
                    out = os.path.join(disk, f"out-{writer}-{point.replace(':', '')}.h5")
                    extra = [*args, "--writer", writer]
                    code, output = self.run_into_full_disk(SAMPLE, out, extra, point, preallocate_rows=True)
                    self.assertEqual(code, 2, output)
                    self.assertIn("is full", output)
                    r = mpirun([SAMPLE, "-o", out, *extra, "--resume"], np_=2)
                    self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                    assert_same_file(self, reference, out)
                    os.remove(out)

    def test_disk_full_with_holes_below_the_files_end_then_resume_finishes(self):
        """On 1 KiB blocks (ext4 picks them below 512 MB) an earlier flush can leave the unused
        tail of an HDF5 allocation block a hole below the file's end; a later flush writes
        there. The disk holds a few blocks fewer and more than the last flush needs, 81 files
        with failures (strings in /errors): each run ends (exit 2, or 3 when it fit) with a
        file --resume finishes."""
        args = ["-p", "resize=40:30", "--chunk", "2", "--checkpoint-seconds", "0"]
        src = os.path.join(self.dir, "in")
        first = sample_files()[0]
        for k in range(3):
            shutil.copytree(SAMPLE, os.path.join(src, f"c{k}"))
            for j in range(5):
                with open(os.path.join(SAMPLE, first), "rb") as f, open(os.path.join(src, f"c{k}", f"cut{j}.jpg"), "wb") as g:
                    g.write(f.read(3000))
                with open(os.path.join(src, f"c{k}", f"bad{j}.png"), "w") as g:
                    g.write("not an image")
        reference = self.reference(src, args, code=3)
        for free in range(5, 13):
            with self.subTest(free_blocks=free), self.disk(ext4_kib_blocks=1) as disk:
                out = os.path.join(disk, "out.h5")
                code, output = self.run_into_full_disk(src, out, args, "finishing", leave=free * 1024)
                self.assertIn(code, (2, 3), output)
                if code == 2:
                    self.assertIn("is full", output)
                    r = mpirun([src, "-o", out, *args, "--resume"], np_=2)
                    self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
                assert_same_file(self, reference, out)

    def test_disk_full_while_the_output_is_created(self):
        """Too little room for the new file itself: exit 2 with one line, and no file left
        behind (it could not be resumed, and a plain rerun would be refused for it), so the
        same command works once there is room."""
        args = ["-p", "resize=40:30", "--chunk", "2"]
        reference = self.reference(SAMPLE, args)
        with self.disk(tmpfs_size="8m") as disk:
            out, filler = os.path.join(disk, "out.h5"), os.path.join(disk, "filler")
            for room in (4096, 8192, 16384):
                with self.subTest(room=room):
                    fill(filler, room)
                    r = mpirun([SAMPLE, "-o", out, *args], np_=2)
                    os.remove(filler)
                    self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                    fatal = [line for line in imgshard_lines(r.stderr) if "fatal" in line]
                    self.assertEqual(len(fatal), 1, r.stderr)
                    self.assertIn("is full", fatal[0])
                    self.assertFalse(os.path.exists(out), "a file that cannot be resumed was left")
                    r = mpirun([SAMPLE, "-o", out, *args], np_=2)
                    self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                    assert_same_file(self, reference, out)
                    os.remove(out)


class HugeFiles(unittest.TestCase):
    def make_input(self, d):
        src = os.path.join(d, "in")
        shutil.copytree(os.path.join(SAMPLE, "fruit"), src)
        return src, sorted(os.listdir(src))[0]

    def test_file_over_max_file_bytes_is_its_own_failure_never_read(self):
        with TempDir() as d:
            src, first = self.make_input(d)
            huge = os.path.join(src, "huge.jpg")
            shutil.copy(os.path.join(src, first), huge)
            try:
                os.truncate(huge, 10 << 40)  # 10 TiB, sparse: what `truncate -s 10T` makes
            except OSError as e:
                self.skipTest(f"this file system has no 10 TiB sparse files: {e}")
            out = os.path.join(d, "out.h5")
            for extra in ([], ["--resume"]):
                r = mpirun([src, "-o", out, "-p", "resize=16:16", *extra], np_=2, threads=2)
                self.assertIn(r.returncode, (3,) if not extra else (0,), r.stdout + r.stderr)
            with h5py.File(out, "r") as f:
                paths = list(f["paths"].asstr()[:])
                i = paths.index("huge.jpg")
                self.assertEqual(f["status"][i], 7)
                self.assertIn("over --max-file-bytes 1073741824", f["errors"].asstr()[i])
                self.assertEqual(sorted(f["status"][:].tolist()).count(0), len(paths) - 1)
                self.assertEqual(f.attrs["complete"], 1)

    def test_out_of_memory_for_one_image_is_its_status(self):
        with TempDir() as d:
            src, first = self.make_input(d)
            big = os.path.join(src, "big.jpg")
            shutil.copy(os.path.join(src, first), big)
            os.truncate(big, 3 << 30)  # a real JPEG, then 3 GiB of zeros (sparse)
            out = os.path.join(d, "out.h5")
            # A singleton under a 2 GB address-space limit: reading the file whole cannot succeed.
            r = subprocess.run(["prlimit", "--as=2000000000", IMGSHARD, src, "-o", out, "-p", "resize=16:16",
                                "--max-file-bytes", str(8 << 30), "--progress", "none", "--threads", "2"],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
            with h5py.File(out, "r") as f:
                i = list(f["paths"].asstr()[:]).index("big.jpg")
                self.assertEqual(f["status"][i], 7)
                self.assertIn("out of memory", f["errors"].asstr()[i])


class UnreadableFolder(unittest.TestCase):
    """As a user who cannot list one folder (root can list anything, so the run drops to nobody)."""

    def test_unreadable_folder_is_reported_and_the_rest_written(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run as another user")
        with TempDir() as d:
            os.chmod(d, 0o777)
            src = os.path.join(d, "in")
            shutil.copytree(SAMPLE, src)
            for dirpath, dirnames, filenames in os.walk(src):
                os.chmod(dirpath, 0o755)
                for name in filenames:
                    os.chmod(os.path.join(dirpath, name), 0o644)
            hidden = os.path.join(src, "animals")
            n_hidden = len(os.listdir(hidden))
            os.chmod(hidden, 0)
            out = os.path.join(d, "out.h5")
            env = {k: v for k, v in os.environ.items() if not k.startswith("OMPI_ALLOW")}
            env.update(HOME=d, TMPDIR=d)
            r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                "mpirun", "-np", "2", "--bind-to", "none", "--oversubscribe", IMGSHARD, src,
                                "-o", out, "-p", "resize=16:16", "--progress", "none", "--threads", "1"],
                               capture_output=True, text=True, timeout=300, env=env)
            self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
            self.assertIn(f"{hidden}: cannot list directory: Permission denied", r.stderr)
            with h5py.File(out, "r") as f:
                errors = list(f["input_errors"].asstr()[:])
                self.assertEqual(len(errors), 1, errors)
                self.assertIn(hidden, errors[0])
                self.assertEqual(f["status"].shape[0], 17 - n_hidden)
                self.assertEqual(f["status"][:].tolist(), [0] * (17 - n_hidden))
                self.assertEqual(f.attrs["complete"], 1)


class NamesThatAreNotUtf8(unittest.TestCase):
    def test_paths_read_back_as_str_with_the_bytes_escaped(self):
        with TempDir() as d:
            src = os.path.join(d, "in")
            os.mkdir(src)
            fruit = os.path.join(SAMPLE, "fruit")
            first, second = sorted(os.listdir(fruit))[:2]
            shutil.copy(os.path.join(fruit, first), os.path.join(os.fsencode(src), b"bad\xff name.jpg"))
            shutil.copy(os.path.join(fruit, second), os.path.join(src, "back\\slash.jpg"))
            out = os.path.join(d, "out.h5")
            r = mpirun([src, "-o", out, "-p", "resize=16:16"], np_=2)
            self.assertEqual(r.returncode, 0, r.stderr)
            with h5py.File(out, "r") as f:
                paths = list(f["paths"].asstr()[()])  # raised UnicodeDecodeError before
            self.assertEqual(sorted(paths), sorted(["bad\\xff name.jpg", "back\\\\slash.jpg"]))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rank_pids(mpirun_pid):
    """{rank: pid} of the ranks mpirun started (its children that carry a world rank)."""
    pids = {}
    with open(f"/proc/{mpirun_pid}/task/{mpirun_pid}/children") as f:
        children = f.read().split()
    for pid in children:
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        for item in env:
            if item.startswith(b"OMPI_COMM_WORLD_RANK="):
                pids[int(item.split(b"=")[1])] = int(pid)
    return pids


class WaitingRanksSleep(unittest.TestCase):
    def test_worker_uses_no_cpu_while_rank_0_discovers(self):
        with TempDir() as d:
            out = os.path.join(d, "out.h5")
            proc = popen_in_session([SAMPLE, "-o", out, *ARGS], extra_env={"IMGSHARD_TEST_STALL": "discovered"})
            try:
                wait_for_line(proc, "test stall at discovered")
                worker = rank_pids(proc.pid)[1]
                before, t0 = cpu_seconds(worker), time.monotonic()
                time.sleep(3)  # rank 0 "discovers" (stalls) meanwhile; the worker waits for it
                used, wall = cpu_seconds(worker) - before, time.monotonic() - t0
                print(f"\n  worker CPU while waiting: {used:.2f} s in {wall:.1f} s", end=" ")
                # A spinning wait takes a core (~3 s here); a sleeping one a few ms.
                self.assertLess(used, 0.2 * wall, f"the waiting worker used {used:.2f} s of CPU in {wall:.1f} s")
                proc.send_signal(signal.SIGUSR1)
                proc.communicate(timeout=120)
                self.assertEqual(proc.returncode, 4)
            finally:
                if proc.poll() is None:
                    kill_session(proc)


class OpenCVDecodersLoadedOnDemand(unittest.TestCase):
    """OpenCV's decoders (every format but JPEG, and GDAL behind them) live in a module beside
    the binary that a rank loads on its first image that needs them (0.2 s of start-up per
    rank otherwise, for runs of JPEGs too)."""

    def loaded_at_first_unit(self, folder):
        """Whether rank 0 has libopencv_imgcodecs mapped once its first unit is written."""
        with TempDir() as d:
            out = os.path.join(d, "out.h5")
            proc = popen_in_session([folder, "-o", out, "-p", "resize=40:30", "--chunk", "64"], np_=1,
                                    extra_env={"IMGSHARD_TEST_STALL": "unit:1"})
            try:
                wait_for_line(proc, "test stall at unit:1")
                with open(f"/proc/{rank_pids(proc.pid)[0]}/maps") as f:
                    return "libopencv_imgcodecs" in f.read()
            finally:
                kill_session(proc)

    def test_jpegs_alone_never_load_them_and_a_png_does(self):
        with TempDir() as d:
            for i, name in enumerate(n for n in sample_files() if n.endswith(".jpg")):
                shutil.copy(os.path.join(SAMPLE, name), os.path.join(d, f"{i:02}.jpg"))
            self.assertFalse(self.loaded_at_first_unit(d), "a run of JPEGs alone loaded OpenCV's codecs")
        self.assertTrue(self.loaded_at_first_unit(SAMPLE), "the sample's PNGs were decoded without OpenCV's codecs?")

    def test_a_copy_of_the_binary_alone_is_refused_on_every_rank_before_any_output(self):
        with TempDir() as d:
            os.mkdir(os.path.join(d, "bin"))
            lonely = os.path.join(d, "bin", "imgshard")
            shutil.copy(IMGSHARD, lonely)
            out = os.path.join(d, "out.h5")
            r = mpirun([SAMPLE, "-o", out], np_=2, timeout=300, binary=lonely)
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            lines = imgshard_lines(r.stderr)
            self.assertEqual(sorted(line.split(" on ")[0] for line in lines),
                             ["imgshard: fatal: rank 0", "imgshard: fatal: rank 1"], r.stderr)
            for line in lines:
                self.assertIn(d, line)
                self.assertIn("imgshard_opencv_codecs.so", line)
            self.assertFalse(os.path.exists(out), "the refused run created its output")


class LibrariesNeverComeFromTheWorkingFolder(unittest.TestCase):
    def test_a_folder_with_files_named_like_its_libraries(self):
        """A file in the folder imgshard is started from, named like a library it links, is
        never loaded. CMake's build-tree RUNPATH for an installed target ends in an empty
        entry, which ld.so reads as the working folder: build/bin/imgshard started from a
        folder holding a libexif.so.12 loaded that file (a library planted there would run
        inside imgshard; this file, not even ELF, stopped it at start-up)."""
        ldd = subprocess.run(["ldd", IMGSHARD], capture_output=True, text=True, check=True).stdout
        names = [line.split()[0] for line in ldd.splitlines() if "=>" in line]
        self.assertIn("libexif.so.12", names, ldd)
        with TempDir() as d:
            for name in names:
                with open(os.path.join(d, name), "w") as f:
                    f.write("not a library\n")
            r = mpirun([SAMPLE, "-o", "out.h5", "-p", "resize=16:16"], np_=2, timeout=300, cwd=d)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(len(read(os.path.join(d, "out.h5"), "images")["images"]), len(sample_files()))


class DefaultThreads(unittest.TestCase):
    def test_unbound_ranks_share_the_node(self):
        with TempDir() as d:
            out, report = os.path.join(d, "out.h5"), os.path.join(d, "report.json")
            env = mpi_env()
            env.pop("OMP_NUM_THREADS", None)
            r = subprocess.run(["mpirun", "-np", "2", "--bind-to", "none", "--oversubscribe", IMGSHARD, SAMPLE,
                                "-o", out, "-p", "resize=16:16", "--progress", "none", "--report", report],
                               capture_output=True, text=True, timeout=300, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            cpus = len(os.sched_getaffinity(0))
            expected = max(1, cpus // 2)
            with open(report) as f:
                threads = [rank["threads"] for rank in json.load(f)["ranks"]]
            self.assertEqual(threads, [expected, expected], f"{cpus} CPUs shared by 2 ranks")
            self.assertIn(f"x {expected} thread(s) ({cpus} CPU(s) / 2 rank(s) on this node)", r.stderr)


if __name__ == "__main__":
    unittest.main()
