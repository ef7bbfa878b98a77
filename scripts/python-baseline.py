#!/usr/bin/python3
"""The Python pipeline that imgshard replaces, written the way its users write it.

    python-baseline.py [--cores N] [--imagenet] INPUT... -o OUT.h5

Default: a concurrent.futures.ProcessPoolExecutor(N).map over a function doing
cv2.imread + cv2.cvtColor(BGR2RGB) + cv2.resize((224, 224), INTER_AREA), then
numpy.stack and one h5py write of `images` (uint8, N x 224 x 224 x 3) and `paths`.
It is the counterpart of `imgshard -p resize=224:224`.

--imagenet: the usual torchvision-style preprocessing, by hand: resize the shorter
side to 256 (INTER_AREA), centre crop 224 x 224, /255, (x - mean) / std, transpose
to CHW, float32. The counterpart of
`imgshard -p shorter=256,crop=224:224,normalize=mean=0.485/0.456/0.406:std=0.229/0.224/0.225,layout=chw`.

INPUT: directories (all jpg/jpeg/png/... below, sorted), image files, or @list.txt
(one path a line, relative to the list's folder).

Each worker calls cv2.setNumThreads(1), so the run uses only the pool's N processes
(the only departure from the common code, which would let every worker start its own
OpenCV thread pool on every core). The last line on stdout is a JSON object with
images, seconds (from just before the pool starts to the closed HDF5 file: interpreter
start-up and imports excluded) and images_per_s.
"""

import argparse
import glob
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import cv2
import h5py
import numpy as np

EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".pgm", ".ppm")

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


# --- the user code -------------------------------------------------------------------

def load(path):
    img = cv2.imread(path)
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    img = cv2.resize(img, (224, 224), interpolation=cv2.INTER_AREA)
    return img


def load_imagenet(path):
    img = cv2.imread(path)
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    # The longer side rounded half up, as imgshard's `shorter` does (Python's round() takes
    # 294.5 to 294: a 512 x 589 image would then be cropped one pixel apart).
    size = (256, int(h * 256 / w + 0.5)) if w < h else (int(w * 256 / h + 0.5), 256)
    img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    h, w = img.shape[:2]
    top, left = (h - 224) // 2, (w - 224) // 2
    img = img[top:top + 224, left:left + 224]
    x = img.astype(np.float32) / 255.0
    x = (x - MEAN) / STD
    return x.transpose(2, 0, 1)


def init_worker():
    cv2.setNumThreads(1)


# --- plumbing ------------------------------------------------------------------------

def list_inputs(inputs):
    paths = []
    for inp in inputs:
        if inp.startswith("@"):
            base = os.path.dirname(os.path.abspath(inp[1:]))
            with open(inp[1:]) as f:
                for line in f:
                    line = line.rstrip("\n")
                    if line:
                        paths.append(os.path.join(base, line))
        elif os.path.isdir(inp):
            found = [p for p in glob.glob(os.path.join(inp, "**", "*"), recursive=True)
                     if p.lower().endswith(EXTENSIONS) and os.path.isfile(p)]
            paths.extend(sorted(found))
        else:
            paths.append(inp)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", metavar="INPUT")
    ap.add_argument("-o", "--output", required=True, metavar="OUT.h5")
    ap.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)),
                    help="worker processes (default: the usable cores)")
    ap.add_argument("--imagenet", action="store_true",
                    help="shorter side 256, centre crop 224, normalize, CHW float32")
    ap.add_argument("--chunksize", type=int, default=1,
                    help="Executor.map chunksize (default 1, as users leave it)")
    args = ap.parse_args()

    cv2.setNumThreads(1)
    paths = list_inputs(args.inputs)
    if not paths:
        sys.exit("python-baseline: no input image")
    fn = load_imagenet if args.imagenet else load

    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.cores, initializer=init_worker) as ex:
        images = list(ex.map(fn, paths, chunksize=args.chunksize))
    x = np.stack(images)
    with h5py.File(args.output, "w") as f:
        f.create_dataset("images", data=x)
        f.create_dataset("paths", data=paths, dtype=h5py.string_dtype())
    seconds = time.perf_counter() - t0

    print(json.dumps(dict(tool="python-baseline", variant="imagenet" if args.imagenet else "resize",
                          images=len(paths), cores=args.cores, shape=list(x.shape),
                          dtype=str(x.dtype), seconds=seconds,
                          images_per_s=len(paths) / seconds)))


if __name__ == "__main__":
    main()
