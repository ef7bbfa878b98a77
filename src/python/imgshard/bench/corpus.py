"""The benchmark's images and machine: the corpus (scripts/make-corpus), its file list,
folders of links for the linearity step, and what the run records about the machine."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys

from .._walk import find_images
from .runner import log


def ensure_wallpapers(a):
    """plasma-workspace-wallpapers' photographs, installed when missing and we are root."""
    wp = "/usr/share/wallpapers"
    if os.path.isdir(wp) and any(os.scandir(wp)):
        return
    if a.no_install:
        log("benchmark: plasma-workspace-wallpapers not installed (--no-install): "
            "corpus from opencv-doc's photographs only")
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("benchmark: plasma-workspace-wallpapers not installed and not root: corpus from "
            "opencv-doc's photographs only (as root: apt-get install plasma-workspace-wallpapers)")
        return
    log("benchmark: installing plasma-workspace-wallpapers (photographs for the corpus)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
           "plasma-workspace-wallpapers"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        log("benchmark: could not install plasma-workspace-wallpapers: corpus from opencv-doc's "
            "photographs only\n  " + (r.stderr.strip().splitlines() or [""])[-1])


def make_corpus(a, n):
    """scripts/make-corpus -n N: the folder of the (cached) corpus."""
    cmd = [a.python, os.path.join(a.scripts, "make-corpus"), "-n", str(n), "--seed", str(a.seed)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        sys.exit("benchmark: make-corpus failed")
    return r.stdout.strip().splitlines()[-1]


def list_images(d):
    """The images under d in imgshard's order (the walker of imgshard._walk)."""
    return find_images(d)


def warm_cache(files):
    for p in files:
        with open(p, "rb") as f:
            while f.read(1 << 20):
                pass


def cycle_folder(dst, files, n):
    """A folder of n symbolic links cycling over files (recreated when it differs)."""
    stamp = os.path.join(dst, ".source")
    want = f"{n}\n" + "\n".join(files) + "\n"
    if os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == want:
                return
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    for i in range(n):
        src = files[i % len(files)]
        os.symlink(src, os.path.join(dst, f"img_{i:06d}{os.path.splitext(src)[1]}"))
    with open(stamp, "w") as f:
        f.write(want)


def write_list(path, files):
    with open(path, "w") as f:
        for p in files:
            f.write(p + "\n")


def tool_versions(a):
    v = {}

    def cmd_out(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else ""
        except Exception:  # noqa: BLE001
            return None
    v["python"] = cmd_out([a.python, "-c", "import sys,cv2,numpy,h5py;print(sys.version.split()[0],"
                                           "'cv2',cv2.__version__,'numpy',numpy.__version__,"
                                           "'h5py',h5py.__version__)"])
    if shutil.which("vipsthumbnail"):
        v["vips"] = cmd_out(["vipsthumbnail", "--version"])
    if a.imgshard and os.access(a.imgshard, os.X_OK):
        v["imgshard"] = cmd_out([a.imgshard, "--version"])
    if a.mpirun:
        v["mpirun"] = cmd_out([a.mpirun, "--version"])
    if a.root:
        v["git"] = cmd_out(["git", "-C", a.root, "describe", "--always", "--dirty"])
    return v


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
