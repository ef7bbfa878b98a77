"""Read imgshard's HDF5 output from Python.

    import imgshard
    f = imgshard.open("out.h5")          # a read-only view, safe to create before a fork
    image, label = f[0]                  # (H, W, C) uint8 ndarray, int
    images, labels = f[0:32]             # a batch, read in one call

`imgshard.torch.ImageDataset` wraps it as a PyTorch Dataset (needs torch), and
`python3 -m imgshard inspect out.h5` summarises a file. Only h5py and numpy are required;
the file itself stays plain HDF5 (see README.md, "The HDF5 file"). The tools behind
scripts/scaling-study and scripts/benchmark are `imgshard.study` and `imgshard.bench`
(Matplotlib for the study's plots).
"""

from .reader import (STATUS_NAMES, Failure, FileError, ImageFile, IncompleteFileError, NotImgshardFileError, Table,
                     open, path_bytes)

__version__ = "0.1.0"

__all__ = ["open", "ImageFile", "Failure", "Table", "STATUS_NAMES", "FileError", "IncompleteFileError",
           "NotImgshardFileError", "path_bytes", "__version__"]
