"""The image files of a folder in imgshard's order, as `src/io/discover.cpp` walks it.

Links are followed; a link back up to a folder on the current path (a loop) is walked
once, not forever, while two links to the same folder elsewhere are both walked, as
imgshard does. Files are selected by extension (case-insensitive), dangling links
included, and sorted by the byte order of their path relative to the root.
"""

from __future__ import annotations

import os

IMAGE_EXTENSIONS = frozenset(("jpg", "jpeg", "png", "webp", "tif", "tiff", "bmp", "pgm", "ppm"))


def has_image_extension(name: str) -> bool:
    dot = name.rfind(".")
    return dot >= 0 and name[dot + 1:].lower() in IMAGE_EXTENSIONS


def find_images(root: str) -> list:
    """Image files under root (links followed, link loops cut), as absolute paths, sorted
    by the byte order of their path relative to root. A folder that cannot be listed is
    skipped (imgshard records it in /input_errors)."""
    root = os.path.abspath(root)
    found = []   # (relative path as bytes, absolute path)
    open_dirs = set()   # (st_dev, st_ino) of the folders on the current path

    def walk(folder: str, rel: str) -> None:
        try:
            st = os.stat(folder)
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if key in open_dirs:
            return
        open_dirs.add(key)
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            entries = []
        for entry in entries:
            child_rel = entry.name if not rel else rel + "/" + entry.name
            try:
                is_dir = entry.is_dir()   # follows links
            except OSError:
                is_dir = False
            if is_dir:
                walk(entry.path, child_rel)
            elif has_image_extension(entry.name):
                found.append((os.fsencode(child_rel), entry.path))
        open_dirs.discard(key)

    walk(root, "")
    found.sort(key=lambda x: x[0])
    return [path for _, path in found]
