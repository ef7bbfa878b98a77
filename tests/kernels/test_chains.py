"""Chained pipelines through `mpirun -np 2 imgshard` equal the same chain in cv2/NumPy, image by image.

Each reference starts from cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) and spells out every
kernel as the OpenCV/NumPy expression its declaration gives (`imgshard --list-kernels`).
Tolerances (tests/tolerances.py): UINT8_EXACT for uint8, FLOAT32 for float32.
"""
import math
import os
import sys
import unittest

import cv2
import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import SAMPLE, TempDir, mpirun  # noqa: E402
import tolerances as tol  # noqa: E402


def round_half_up(x):
    """std::lround for positive x: imgshard's rounding of computed sizes."""
    return int(math.floor(x + 0.5))


def decoded(path):
    return cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def gray(img):
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def resize_crop(img, w, h, interp=cv2.INTER_AREA):
    """resize=W:H:mode=crop: scale by max(W/w, H/h), then the centre W x H."""
    s = max(w / img.shape[1], h / img.shape[0])
    sw, sh = max(round_half_up(img.shape[1] * s), w), max(round_half_up(img.shape[0] * s), h)
    return crop(cv2.resize(img, (sw, sh), interpolation=interp), w, h)


def resize_pad(img, w, h, fill, interp=cv2.INTER_AREA):
    """resize=W:H:mode=pad:fill=V: scale by min(W/w, H/h), centred on a W x H canvas of V."""
    s = min(w / img.shape[1], h / img.shape[0])
    sw = min(max(round_half_up(img.shape[1] * s), 1), w)
    sh = min(max(round_half_up(img.shape[0] * s), 1), h)
    out = np.full((h, w) + img.shape[2:], fill, img.dtype)
    x, y = (w - sw) // 2, (h - sh) // 2
    out[y:y + sh, x:x + sw] = cv2.resize(img, (sw, sh), interpolation=interp)
    return out


def shorter(img, s, interp=cv2.INTER_AREA):
    h, w = img.shape[:2]
    size = (s, round_half_up(h * s / w)) if w < h else (round_half_up(w * s / h), s)
    return cv2.resize(img, size, interpolation=interp)


def crop(img, w, h, x=None, y=None):
    x = (img.shape[1] - w) // 2 if x is None else x
    y = (img.shape[0] - h) // 2 if y is None else y
    return img[y:y + h, x:x + w]


def sobel(img):
    g = gray(img)
    return cv2.convertScaleAbs(cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)))


def sharpen(img, amount, sigma):
    return cv2.addWeighted(img, 1 + amount, cv2.GaussianBlur(img, (0, 0), sigma), -amount, 0)


def gamma(img, g):
    return cv2.LUT(img, np.floor(255 * (np.arange(256) / 255) ** g + 0.5).astype(np.uint8))


def per_channel(img, f):
    return f(img) if img.ndim == 2 else cv2.merge([f(c) for c in cv2.split(img)])


def normalize(img, mean, std):
    return ((img / 255.0 - np.array(mean)) / np.array(std)).astype(np.float32)


CHAINS = {
    "imagenet": (
        "resize=256:256:mode=crop,crop=224:224,normalize=mean=0.485/0.456/0.406:std=0.229/0.224/0.225,layout=chw",
        lambda img: normalize(crop(resize_crop(img, 256, 256), 224, 224),
                              [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]).transpose(2, 0, 1)),
    "colour_five": (
        "shorter=160,crop=144:144,flip=h,sharpen=amount=0.6:sigma=1.5,gamma=0.8",
        lambda img: gamma(sharpen(cv2.flip(crop(shorter(img, 160), 144, 144), 1), 0.6, 1.5), 0.8)),
    "edges_five": (
        "resize=192:160,gray,gauss=sigma=1:ksize=5,sobel,threshold=otsu",
        lambda img: cv2.threshold(sobel(cv2.GaussianBlur(
            gray(cv2.resize(img, (192, 160), interpolation=cv2.INTER_AREA)), (5, 5), 1)),
            0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]),
    "tones_seven": (
        "resize=128:96:mode=pad:fill=9,rotate=90,clahe=clip=3:tiles=4,median=3,brightness=alpha=1.2:beta=-10,"
        "invert,normalize=mean=0.5:std=0.25",
        lambda img: normalize(255 - cv2.convertScaleAbs(cv2.medianBlur(per_channel(
            cv2.rotate(resize_pad(img, 128, 96, 9), cv2.ROTATE_90_CLOCKWISE),
            lambda c: cv2.createCLAHE(clipLimit=3, tileGridSize=(4, 4)).apply(c)), 3), alpha=1.2, beta=-10),
            [0.5], [0.25])),
    "grey_six": (
        "resize=300:300,crop=5:6:200:150,box=4,equalize,laplacian,canny=30:90",
        lambda img: cv2.Canny(cv2.convertScaleAbs(cv2.Laplacian(gray(
            per_channel(cv2.blur(crop(cv2.resize(img, (300, 300), interpolation=cv2.INTER_AREA), 200, 150, 5, 6),
                                 (4, 4)), cv2.equalizeHist)), cv2.CV_16S)), 30, 90)),
}


class ChainsEqualOpenCV(unittest.TestCase):
    def run_chain(self, name):
        spec, reference = CHAINS[name]
        with TempDir() as tmp:
            out = os.path.join(tmp, "chain.h5")
            r = mpirun([SAMPLE, "-o", out, "-p", spec], np_=2)
            self.assertEqual(r.returncode, 0, r.stderr)
            with h5py.File(out, "r") as f:
                images, paths, status = f["images"][()], f["paths"].asstr()[:], f["status"][()]
                layout = f.attrs["layout"]
        self.assertGreater(len(paths), 10)
        float32 = images.dtype == np.float32
        tolerance = tol.FLOAT32 if float32 else tol.UINT8_EXACT
        for i, rel in enumerate(paths):
            self.assertEqual(status[i], 0, rel)
            want = reference(decoded(os.path.join(SAMPLE, rel)))
            if want.ndim == 2 and layout == "nhwc":
                want = want[:, :, None]  # one channel is stored as [H, W, 1]
            got = images[i]
            self.assertEqual(got.shape, want.shape, f"{name}: {rel}")
            self.assertEqual(got.dtype, want.dtype, f"{name}: {rel}")
            diff = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
            self.assertLessEqual(diff, tolerance, f"{name}: {rel}: max difference {diff} (pipeline {spec})")

    def test_imagenet_preprocessing_to_chw_float32(self):
        self.run_chain("imagenet")

    def test_five_colour_kernels(self):
        self.run_chain("colour_five")

    def test_five_kernels_to_a_binary_edge_map(self):
        self.run_chain("edges_five")

    def test_seven_tone_kernels_to_float32(self):
        self.run_chain("tones_seven")

    def test_six_grey_kernels_with_an_offset_crop(self):
        self.run_chain("grey_six")


if __name__ == "__main__":
    unittest.main(verbosity=2)
