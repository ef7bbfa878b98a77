"""Nothing lost: SIGKILL at known moments then --resume equals a clean run; clean stops on
SIGUSR1/SIGTERM exit 4 and resume; resume refuses another run's file; --strict."""
import os
import shutil
import signal
import subprocess
import unittest

import h5py

from harness import (SAMPLE, TempDir, assert_same_file, kill_session, mpirun, popen_in_session, read,
                     wait_for_line)

# Checkpoint after every unit, so that "killed after unit K" has journaled work to keep.
ARGS = ["-p", "resize=40:30", "--chunk", "2", "--checkpoint-seconds", "0"]


class Resume(unittest.TestCase):
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
        for p in (path, path + ".journal"):
            if os.path.exists(p):
                os.remove(p)
        return path

    def kill_at(self, point, out):
        proc = popen_in_session([SAMPLE, "-o", out, *ARGS], extra_env={"IMGSHARD_TEST_STALL": point})
        wait_for_line(proc, f"test stall at {point}")
        kill_session(proc)

    def test_sigkill_then_resume_equals_clean_run(self):
        for point in ("discovered", "created", "unit:3", "finishing"):
            with self.subTest(point=point):
                out = self.out(f"killed-{point.replace(':', '')}.h5")
                self.kill_at(point, out)
                r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                assert_same_file(self, self.reference, out)
                self.assertFalse(os.path.exists(out + ".journal"))

    def test_resume_does_not_redo_journaled_work(self):
        out = self.out("partial.h5")
        self.kill_at("unit:6", out)
        with open(out + ".journal") as f:
            journaled = sum(int(line.split()[1]) for line in f if line.endswith("\n"))
        self.assertGreater(journaled, 0, "six units were written: some must have been checkpointed")
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=3, threads=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"({journaled} already done)", r.stdout)
        assert_same_file(self, self.reference, out)

    def test_kill_during_a_resumed_run_then_resume_again(self):
        out = self.out("twice.h5")
        self.kill_at("unit:2", out)
        proc = popen_in_session([SAMPLE, "-o", out, *ARGS, "--resume"], extra_env={"IMGSHARD_TEST_STALL": "unit:2"})
        wait_for_line(proc, "test stall at unit:2")
        kill_session(proc)
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=1)
        self.assertEqual(r.returncode, 0, r.stderr)
        assert_same_file(self, self.reference, out)

    def test_signal_stops_cleanly_with_exit_4_then_resume(self):
        for sig in (signal.SIGUSR1, signal.SIGTERM):
            with self.subTest(signal=sig.name):
                out = self.out(f"signalled-{sig.name}.h5")
                proc = popen_in_session([SAMPLE, "-o", out, *ARGS], extra_env={"IMGSHARD_TEST_STALL": "unit:2"})
                wait_for_line(proc, "test stall at unit:2")
                if sig == signal.SIGUSR1:
                    proc.send_signal(sig)  # to mpirun, which forwards it to the ranks
                else:
                    # As Slurm does at a time limit: SIGTERM to every task (mpirun itself would
                    # answer a SIGTERM by ending the job with its own exit code).
                    subprocess.run(["pkill", "-TERM", "-s", str(proc.pid), "-x", "imgshard"], check=True)
                stdout, stderr = proc.communicate(timeout=120)
                self.assertEqual(proc.returncode, 4, stdout + stderr)
                self.assertIn("--resume", stderr)
                with h5py.File(out, "r") as f:
                    self.assertEqual(f.attrs["complete"], 0)
                    status = f["status"][:].tolist()
                    self.assertIn(255, status, "an interrupted run leaves work pending")
                # The summary line says how far the run got, not the collection's size.
                done = sum(s != 255 for s in status)
                self.assertRegex(stdout, rf"imgshard: {done} of {len(status)} images, ")
                r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
                self.assertEqual(r.returncode, 0, r.stderr)
                assert_same_file(self, self.reference, out)

    def test_signal_before_mpi_init_stops_cleanly(self):
        """A stop signal before MPI_Init (every rank at the stall point "start"): the ranks
        killed by its default action made mpirun exit 138, and once in three hang."""
        out = self.out("signalled-at-start.h5")
        proc = popen_in_session([SAMPLE, "-o", out, *ARGS], extra_env={"IMGSHARD_TEST_STALL": "start"})
        for _ in range(2):  # both ranks have their handlers
            wait_for_line(proc, "test stall at start")
        proc.send_signal(signal.SIGUSR1)  # to mpirun, which forwards it to the ranks
        stdout, stderr = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 4, stdout + stderr)
        self.assertIn("--resume", stderr)
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        assert_same_file(self, self.reference, out)

    def test_resume_of_a_complete_file_does_nothing(self):
        out = self.out("complete.h5")
        shutil.copy(self.reference, out)
        before = os.stat(out).st_mtime_ns
        r = mpirun([SAMPLE, "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already complete", r.stdout)
        self.assertEqual(os.stat(out).st_mtime_ns, before)

    def test_resume_refuses_other_pipeline_or_inputs(self):
        out = self.out("other.h5")
        self.kill_at("unit:2", out)
        for args in (["-p", "resize=41:30", "--chunk", "2"], ["--decode", "fast", *ARGS]):
            r = mpirun([SAMPLE, "-o", out, *args, "--resume"], np_=2)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("other inputs or another pipeline", r.stderr)
        r = mpirun([os.path.join(SAMPLE, "fruit"), "-o", out, *ARGS, "--resume"], np_=2)
        self.assertEqual(r.returncode, 1, r.stderr)
        # --chunk changes only the schedule, never the pixels: the resume goes on.
        r = mpirun([SAMPLE, "-o", out, "-p", "resize=40:30", "--chunk", "5", "--resume"], np_=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        assert_same_file(self, self.reference, out)

    def test_resume_and_force_exclude_each_other(self):
        r = mpirun([SAMPLE, "-o", self.out("x.h5"), *ARGS, "--resume", "--force"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("exclude each other", r.stderr)


class Strict(unittest.TestCase):
    def test_strict_stops_at_first_failure_and_keeps_what_was_written(self):
        with TempDir() as d:
            src = os.path.join(d, "in")
            shutil.copytree(SAMPLE, src)
            with open(os.path.join(src, "fruit", "zz_broken.jpg"), "w") as f:
                f.write("not a jpeg")
            out = os.path.join(d, "strict.h5")
            r = mpirun([src, "-o", out, "-p", "resize=16:16", "--chunk", "1", "--strict", "--schedule", "static"],
                       np_=1)
            self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
            self.assertIn("--strict", r.stderr)
            status = read(out, "status")["status"].tolist()
            with h5py.File(out, "r") as f:
                self.assertEqual(f.attrs["complete"], 0)
                broken = list(f["paths"].asstr()[:]).index("fruit/zz_broken.jpg")
            self.assertEqual(status[broken], 3)
            self.assertTrue(all(s == 0 for s in status[:broken]), "images before the failure were written")
            self.assertIn(255, status[broken + 1:], "the run stopped at the failure")


if __name__ == "__main__":
    unittest.main()
