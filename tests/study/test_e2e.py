#!/usr/bin/python3
"""End-to-end test of scripts/scaling-study against a real imgshard binary.

    test_e2e.py --imgshard PATH [--script scripts/scaling-study] [--workdir DIR]

Builds a 24-image input (OpenCV's sample JPEGs, synthesised with cv2 if those are
missing), runs a 2x2 study (ranks 1,2 x threads 1,2) with a projection, then a
weak-scaling study that needs more images than the folder has (an @list with
symlinks), then --reanalyze, and checks the files and columns. Asserts nothing
about timings. Exit 77 (skip) when mpirun is missing.
"""

import argparse
import csv
import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
PHASES = ("discover", "plan", "wait", "read", "decode", "kernels", "send", "receive", "write", "other")
REQUIRED = ["ranks", "threads", "cores", "images", "seconds", "images_per_s", "speedup",
            "efficiency", "karp_flatt"] + list(PHASES) + ["r0_" + p for p in PHASES]
SAMPLES = "/usr/share/doc/opencv-doc/examples/data"
N_IMAGES = 24


def make_input(folder):
    os.makedirs(os.path.join(folder, "cats"))
    os.makedirs(os.path.join(folder, "dogs"))
    samples = sorted(glob.glob(os.path.join(SAMPLES, "*.jpg")))[:N_IMAGES]
    for i, src in enumerate(samples):
        shutil.copy(src, os.path.join(folder, ("cats", "dogs")[i % 2], os.path.basename(src)))
    if len(samples) < N_IMAGES:
        import cv2
        import numpy as np
        rng = np.random.default_rng(6)
        for i in range(len(samples), N_IMAGES):
            h, w = 120 + 7 * i, 160 + 5 * i
            img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            cv2.imwrite(os.path.join(folder, ("cats", "dogs")[i % 2], f"synth{i:02d}.jpg"), img)


def run(cmd):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(p.stdout, flush=True)
    if p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {' '.join(cmd)}")
    return p.stdout


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def check_png(path):
    assert os.path.isfile(path), f"missing {path}"
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n", f"not a PNG: {path}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--imgshard", required=True)
    ap.add_argument("--script", default=os.path.join(HERE, "..", "..", "scripts", "scaling-study"))
    ap.add_argument("--workdir", default=os.path.join(os.getcwd(), "study-e2e"))
    a = ap.parse_args()
    if not shutil.which("mpirun"):
        print("mpirun not found: skipped")
        return 77
    if not os.access(a.imgshard, os.X_OK):
        print(f"imgshard binary not found: {a.imgshard}")
        return 1
    shutil.rmtree(a.workdir, ignore_errors=True)
    inp = os.path.join(a.workdir, "input")
    make_input(inp)
    study = [sys.executable, a.script, "--imgshard", a.imgshard, "--repeat", "1", "--warmup", "0"]

    # 1. Strong scaling, 2 x 2 grid, with a projection.
    out = os.path.join(a.workdir, "strong")
    text = run(study + ["--input", inp, "--ranks", "1,2", "--threads", "1,2", "--project", "16",
                        "--out", out])
    assert "serial fraction" in text and "Karp-Flatt" in text, "fit not printed"
    rows = read_csv(os.path.join(out, "study.csv"))
    missing = [c for c in REQUIRED if c not in rows[0]]
    assert not missing, f"study.csv lacks {missing}"
    assert len(rows) >= 4, f"{len(rows)} rows"
    assert {(int(r["ranks"]), int(r["threads"])) for r in rows} == {(1, 1), (1, 2), (2, 1), (2, 2)}
    for r in rows:
        assert int(r["images"]) == N_IMAGES, r
        assert int(r["cores"]) == int(r["ranks"]) * int(r["threads"]), r
        assert float(r["seconds"]) > 0 and float(r["speedup"]) > 0 and float(r["efficiency"]) > 0, r
    pngs = glob.glob(os.path.join(out, "*.png"))
    assert pngs, "no PNG written"
    for name in ("speedup.png", "efficiency.png", "phases.png", "projection.png"):
        check_png(os.path.join(out, name))
    proj = read_csv(os.path.join(out, "projection.csv"))
    assert len(proj) == 2 * 16, f"{len(proj)} projection rows"
    for p in proj:
        assert float(p["images_per_s"]) > 0 and 0 <= float(p["rank0_utilisation"]) <= 1, p

    # 2. Weak scaling needing more images than the folder has: @list with symlinks.
    out2 = os.path.join(a.workdir, "weak")
    run(study + ["--input", inp, "--ranks", "1,2", "--threads", "1", "--mode", "weak",
                 "--images", "20", "--out", out2])
    rows2 = read_csv(os.path.join(out2, "study.csv"))
    assert sorted(int(r["images"]) for r in rows2) == [20, 40], rows2
    assert all(int(r["failed"]) == 0 for r in rows2), rows2

    # 3. Re-analysis from the saved reports gives the same table.
    before = read_csv(os.path.join(out, "study.csv"))
    run([sys.executable, a.script, "--reanalyze", "--out", out])
    assert read_csv(os.path.join(out, "study.csv")) == before, "--reanalyze changed study.csv"
    assert {r["writer"] for r in before} == {"ranks"}, "the default writer is ranks"

    # 4. Both writers: every configuration with --writer ranks and --writer root, the
    # projection's R* for each (before and after), a file system's bandwidth as a what-if.
    out4 = os.path.join(a.workdir, "writers")
    text = run(study + ["--input", inp, "--ranks", "1,2", "--threads", "1", "--writer", "ranks,root",
                        "--project", "64", "--fs-bandwidth", "100", "--chunk", "4", "--out", out4])
    rows4 = read_csv(os.path.join(out4, "study.csv"))
    assert sorted((int(r["ranks"]), r["writer"]) for r in rows4) == [(1, "ranks"), (1, "root"), (2, "ranks"),
                                                                     (2, "root")], rows4
    for r in rows4:
        if int(r["ranks"]) == 2:
            # rank 0 receives only metadata with --writer ranks, every row with --writer root
            row_bytes = int(r["bytes_written"]) // N_IMAGES
            assert row_bytes == 224 * 224 * 3, r
            if r["writer"] == "ranks":
                assert int(r["r0_bytes_received"]) < 0.01 * int(r["bytes_written"]), r
                assert int(r["r0_bytes_written"]) < int(r["bytes_written"]), r
            else:
                assert int(r["r0_bytes_received"]) >= int(r["bytes_written"]) - int(r["r0_bytes_written"]), r
                assert int(r["r0_bytes_written"]) == int(r["bytes_written"]), r
    assert "with --writer root" in text and "with --writer ranks" in text, "no R* before and after"
    proj4 = read_csv(os.path.join(out4, "projection.csv"))
    assert sorted({p["writer"] for p in proj4}) == ["ranks", "root"] and len(proj4) == 2 * 64, len(proj4)
    assert {p["limit"] for p in proj4} <= {"workers", "rank0", "fs"}, {p["limit"] for p in proj4}
    check_png(os.path.join(out4, "projection.png"))

    # 5. A study.csv alone (as in data/measured/): table, plots and projection from its medians.
    out5 = os.path.join(a.workdir, "from-csv")
    text = run([sys.executable, a.script, "--from-csv", os.path.join(out4, "study.csv"), "--project", "16",
                "--out", out5])
    assert "R* " in text and os.path.isfile(os.path.join(out5, "projection.csv")), "no projection from the CSV"
    print("study e2e: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
