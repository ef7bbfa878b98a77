"""`python3 -m imgshard inspect`: failures grouped with counts and paths, labels, phases;
exit 1 with one line for anything that is not a readable imgshard file; and the package and
its imgshard-inspect command installed by `cmake --install` to a prefix."""
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import outputs
from imgshard import cli
from imgshard.reader import FileError, ImageFile
from outputs import BAD_FILES


def run_main(argv):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(argv)
    return code, stdout.getvalue(), stderr.getvalue()


def inspect(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "imgshard", "inspect", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


class Inspect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = outputs.get()

    def test_file_with_failures_shows_counts_reasons_and_paths(self):
        r = inspect(self.out.rgb)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = r.stdout
        n = 17 + len(BAD_FILES)
        self.assertIn(f"{n} x 30 x 40 x 3 uint8 (nhwc)", text)
        self.assertIn("complete", text.splitlines()[0])
        self.assertIn(f"{n - len(BAD_FILES)} ok, {len(BAD_FILES)} failed", text)
        self.assertIn(f"failures by reason ({len(BAD_FILES)} images)", text)
        for path in BAD_FILES:
            self.assertIn(path, text)
        for words in ("truncated: ", "Premature end of JPEG file", "empty: ", "unknown_format: "):
            self.assertIn(words, text)
        self.assertRegex(text, r"\n +2 +unknown_format: .*\n +fruit/garbage.jpg, objects/notes.png\n")
        self.assertIn("animals 5, fruit 3, objects 4, scenes 5", text)
        self.assertIn("resize=width=40:height=30", text)
        self.assertRegex(text, r"speed +[\d.]+ images/s")
        table = text[text.index("per-rank phases"):].splitlines()
        self.assertEqual(table[1].split()[:5], ["rank", "host", "images", "wall_s", "discover"])
        self.assertEqual([line.split()[0] for line in table[2:4]], ["0", "1"])
        self.assertLessEqual(len(text.splitlines()), 40, "one screen")

    def test_json_for_scripts(self):
        code, stdout, stderr = run_main(["inspect", self.out.rgb, "--json"])
        self.assertEqual(code, 0, stderr)
        s = json.loads(stdout)
        self.assertEqual((s["images"], s["ok"], s["failed"], s["pending"]), (21, 17, 4, 0))
        self.assertEqual(s["shape"], [21, 30, 40, 3])
        self.assertTrue(s["complete"])
        # The two non-images share one reason: one group, counted twice, most frequent first.
        groups = [(g["status"], g["count"], g["paths"]) for g in s["failures"]]
        self.assertEqual(groups[0], ("unknown_format", 2, ["fruit/garbage.jpg", "objects/notes.png"]))
        self.assertEqual(sorted(groups[1:]), [("empty", 1, ["animals/empty.png"]), ("truncated", 1, ["scenes/cut.jpg"])])
        self.assertEqual({c["name"]: c["count"] for c in s["labels"]},
                         {"animals": 5, "fruit": 3, "objects": 4, "scenes": 5})
        self.assertEqual([t["rank"] for t in s["timings"]], [0, 1])
        self.assertGreater(s["images_per_second"], 0)

    def test_incomplete_file_is_readable_and_says_so(self):
        code, stdout, stderr = run_main(["inspect", self.out.incomplete])
        self.assertEqual(code, 0, stderr)
        self.assertIn("INCOMPLETE", stdout.splitlines()[0])
        self.assertIn("--resume", stdout.splitlines()[0])
        self.assertRegex(stdout, r"\d+ ok, \d+ failed, \d+ pending")

    def test_anything_else_exits_1_with_one_line(self):
        r = inspect(self.out.other)  # the real command once; the other cases in this process
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertEqual(r.stderr, f"imgshard inspect: {self.out.other} is an HDF5 file but not an imgshard output "
                                   f"(no /images, /status or /labels dataset, or no imgshard_version attribute)\n")
        cases = ((self.out.notes, "not an HDF5 file"), (os.path.join(self.out.dir, "missing.h5"), "no such file"),
                 (self.out.dir, "directory"))
        for path, words in cases:
            with self.subTest(path=path):
                code, stdout, stderr = run_main(["inspect", path])
                self.assertEqual((code, stdout), (1, ""))
                self.assertEqual(len(stderr.splitlines()), 1, stderr)
                self.assertIn(words, stderr)
                self.assertIn(path, stderr)
        with self.assertRaises(SystemExit) as e, contextlib.redirect_stderr(io.StringIO()):
            cli.main(["inspect"])
        self.assertEqual(e.exception.code, 1, "a usage error")

    def test_file_a_run_is_writing_names_the_run_not_force(self):
        """HDF5 refuses a file a run holds open for writing; the message said a killed run
        left it and advised --force, which would destroy the running run's output."""
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "busy.h5")
            proc = outputs.popen_in_session([self.out.src, "-o", out, "-p", outputs.SIZE], np_=1,
                                            extra_env={"IMGSHARD_TEST_STALL": "created"})
            try:
                rest, _ = outputs._wait_for_stderr_line(proc, "test stall at created")
                code, stdout, stderr = run_main(["inspect", out])
                self.assertEqual((code, stdout), (1, ""))
                self.assertEqual(len(stderr.splitlines()), 1, stderr)
                self.assertIn("an imgshard run is writing it (pid ", stderr)
                self.assertNotIn("--force", stderr)
                proc.send_signal(signal.SIGUSR1)
                proc.wait(timeout=120)
                self.assertEqual(proc.returncode, 4)
            finally:
                if proc.poll() is None:
                    outputs.kill_session(proc)
                proc.stdout.close()

    def test_damaged_file_is_a_file_error_naming_it(self):
        """Bytes overwritten inside the file's structure: h5py raised a bare RuntimeError."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "damaged.h5")
            shutil.copy(self.out.gray, path)
            with open(path, "r+b") as f:
                f.seek(2000)
                f.write(b"\xff" * 4000)
            with self.assertRaises(FileError) as e:
                ImageFile(path)
            self.assertIn(path, str(e.exception))
            code, stdout, stderr = run_main(["inspect", path])
            self.assertEqual((code, stdout), (1, ""))
            self.assertIn(path, stderr)


class Install(unittest.TestCase):
    def test_cmake_install_to_a_prefix_gives_the_package_and_imgshard_inspect(self):
        build = os.environ.get("IMGSHARD_BINARY_DIR")
        if not build:
            self.skipTest("IMGSHARD_BINARY_DIR is not set: run through ctest")
        out = outputs.get()
        with tempfile.TemporaryDirectory(prefix="imgshard-prefix-") as prefix:
            r = subprocess.run(["cmake", "--install", build, "--prefix", prefix, "--component", "python"],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # Neither this checkout nor any .pth on the path: only the prefix.
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            r = subprocess.run([os.path.join(prefix, "bin", "imgshard-inspect"), out.rgb], capture_output=True,
                               text=True, env=env, cwd="/")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("4 failed", r.stdout)
            version = f"{sys.version_info[0]}.{sys.version_info[1]}"
            site = os.path.join(prefix, "lib", f"python{version}", "dist-packages")
            r = subprocess.run([sys.executable, "-c", "import imgshard; print(imgshard.__file__)"],
                               capture_output=True, text=True, cwd="/", env={**env, "PYTHONPATH": site})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(r.stdout.startswith(site), r.stdout)
            self.assertTrue(os.path.isfile(os.path.join(site, "imgshard", "torch.py")))
            # The tools' subpackages come along (install(DIRECTORY) copies the whole tree).
            r = subprocess.run([sys.executable, "-c", "import imgshard.study.cli, imgshard.bench.cli; "
                                "print(imgshard.study.__file__)"],
                               capture_output=True, text=True, cwd="/", env={**env, "PYTHONPATH": site})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(r.stdout.startswith(os.path.join(site, "imgshard", "study")), r.stdout)


if __name__ == "__main__":
    unittest.main()
