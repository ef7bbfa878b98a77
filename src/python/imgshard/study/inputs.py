"""The study's inputs: rank/thread lists, the images of a folder, @lists that repeat them."""

from __future__ import annotations

import os
from typing import Sequence

from .._walk import IMAGE_EXTENSIONS, find_images

__all__ = ["IMAGE_EXTENSIONS", "find_images", "parse_int_list", "write_image_list", "images_for"]


def parse_int_list(text: str) -> list:
    """'1,2,4' or '1-4' or '1,2,8-16:4' -> sorted unique positive ints."""
    out = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        step = 1
        if ":" in part:
            part, s = part.split(":", 1)
            step = int(s)
        if "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
            out.update(range(a, b + 1, step))
        else:
            out.add(int(part))
    if not out or min(out) < 1:
        raise ValueError(f"bad list {text!r}: positive integers expected")
    return sorted(out)


def write_image_list(images: Sequence[str], n: int, list_path: str) -> str:
    """Write an imgshard ``@list`` of the first n images (paths relative to the
    list's folder). When n exceeds len(images), the list wraps around: pass k
    (k >= 1) uses symlinks ``rep<k>/<index><ext>`` next to the list, so every
    line is a distinct path. Returns list_path."""
    if not images:
        raise ValueError("no images to list")
    if n < 1:
        raise ValueError("n must be >= 1")
    folder = os.path.dirname(os.path.abspath(list_path))
    os.makedirs(folder, exist_ok=True)
    lines = []
    for i in range(n):
        k, j = divmod(i, len(images))
        src = os.path.realpath(images[j])
        if k == 0:
            target = src
        else:
            ext = os.path.splitext(src)[1]
            target = os.path.join(folder, f"rep{k}", f"{j:07d}{ext}")
            if not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(src, target)
        lines.append(os.path.relpath(target, folder))
    with open(list_path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return list_path


def images_for(mode: str, n: int, ranks: int, threads: int, per: str = "core") -> int:
    """Images of one configuration: n in strong mode; in weak mode n per core
    (ranks x threads) or, with per='rank', n per rank."""
    if mode == "strong":
        return n
    if per == "rank":
        return n * ranks
    return n * ranks * threads
