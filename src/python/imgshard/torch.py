"""PyTorch side of imgshard: a fork-safe Dataset over an output file (needs torch).

    from torch.utils.data import DataLoader
    from imgshard.torch import ImageDataset

    ds = ImageDataset("out.h5")                     # items: (uint8 tensor [C, H, W], int label)
    for images, labels in DataLoader(ds, batch_size=64, shuffle=True, num_workers=4):
        ...

Each worker opens the file itself on its first item (see imgshard.reader): the parent may
read items before the DataLoader forks its workers, and `persistent_workers` or the
`spawn` start method work the same.
"""

import os
import threading

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from .reader import ImageFile, stretches

__all__ = ["ImageDataset", "BlockShuffleBatchSampler"]


class ImageDataset(Dataset):
    """A torch Dataset over an imgshard output file.

    Items are `(image, label)`: `image` a tensor [C, H, W] (uint8, or float32 after the
    `normalize` kernel) as `torchvision.io.read_image` gives, whatever the file's layout
    (NHWC rows are transposed, `layout=chw` rows are returned as stored); `label` an int
    (-1 for files written with `--labels none`). `transform(image)` and
    `target_transform(label)` are applied when given.

    With skip_failed=True (the default) the rows of images that failed (and, in an
    incomplete file, the pending ones) are no items; `ds.rows[i]` is the file row of item
    i either way. `classes`, `class_to_idx` and `targets` are as torchvision's ImageFolder
    has them. `allow_incomplete` and `h5py_options` (e.g. rdcc_nbytes) go to imgshard.open.

    Batches: DataLoader's batched fetch calls `__getitems__`, which makes one HDF5 read per
    stretch of consecutive rows in the batch (BlockShuffleBatchSampler makes such
    stretches).
    """

    def __init__(self, path, transform=None, skip_failed=True, target_transform=None, allow_incomplete=False,
                 **h5py_options):
        if isinstance(path, ImageFile):
            if allow_incomplete or h5py_options:
                raise ValueError("allow_incomplete and h5py options are imgshard.open's: give them there, or "
                                 "give ImageDataset the path")
            self.file = path
        else:
            self.file = ImageFile(path, allow_incomplete=allow_incomplete, **h5py_options)
        was_open = self.file.opened_by == os.getpid()
        self.transform = transform
        self.target_transform = target_transform
        status = self.file.status
        self.rows = np.flatnonzero(status == 0) if skip_failed else np.arange(len(self.file))
        self._labels = self.file.labels[self.rows]
        self._chw = self.file.layout == "chw"
        self._dtype = torch.from_numpy(np.empty(0, self.file.dtype)).dtype
        self._local = threading.local()  # .buffer: (pid, ndarray), see _scratch
        self.classes = list(self.file.label_names)
        self.class_to_idx = {name: k for k, name in enumerate(self.classes)}
        if not was_open:
            self.file.close()  # opened again on the first item: an idle dataset holds no handle

    @property
    def targets(self):
        return self._labels.tolist()

    def __len__(self):
        return len(self.rows)

    def _label(self, index):
        label = int(self._labels[index])
        return label if self.target_transform is None else self.target_transform(label)

    def _image(self, tensor):
        return tensor if self.transform is None else self.transform(tensor)

    def _scratch(self, count):
        """A buffer of count NHWC rows, kept per process and thread and reused: reading into
        fresh memory costs a page fault per 4 kB, as much as the read itself. (One per thread:
        a thread reading into another's buffer would change the images it is copying out.)"""
        pid = os.getpid()
        buffer = getattr(self._local, "buffer", None)
        if buffer is None or buffer[0] != pid or len(buffer[1]) < count:
            buffer = self._local.buffer = (pid, np.empty((max(count, 1), *self.file.image_shape), self.file.dtype))
        return buffer[1][:count]

    def _read(self, rows):
        """Items' image tensors [C, H, W] of rows (consecutive increasing ones read at once):
        CHW files are read straight into the tensors, NHWC rows through a reused buffer
        and one transposing copy each."""
        tensors = []
        for start, stop in stretches(rows):
            row, count = int(rows[start]), stop - start
            if self._chw:
                block = torch.empty((count, *self.file.image_shape), dtype=self._dtype)
                self.file.read_range(row, count, out=block.numpy())
                tensors.extend(block.unbind(0))
            else:
                hwc = self.file.read_range(row, count, out=self._scratch(count))
                # clone, not contiguous(): a one-channel row permuted is contiguous already, and
                # contiguous() would hand out a view of the buffer the next read overwrites.
                tensors.extend(torch.from_numpy(image).permute(2, 0, 1).clone(memory_format=torch.contiguous_format)
                               for image in hwc)
        return tensors

    def __getitem__(self, index):
        given, index = index, int(index)
        if index < 0:
            index += len(self.rows)
        if not 0 <= index < len(self.rows):
            raise IndexError(f"item {given} out of range for {len(self.rows)} items")
        return self._image(self._read(self.rows[index:index + 1])[0]), self._label(index)

    def __getitems__(self, indices):
        """A batch of items; DataLoader calls it instead of __getitem__ when batching."""
        indices = np.asarray(indices, dtype=np.int64)
        if len(indices) and (indices.min() < -len(self.rows) or indices.max() >= len(self.rows)):
            raise IndexError(f"items out of range for {len(self.rows)} items")
        images = self._read(self.rows[indices])
        return [(self._image(image), self._label(index)) for image, index in zip(images, indices.tolist())]

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()


class BlockShuffleBatchSampler(Sampler):
    """Batches made of `block_size` consecutive items from `batch_size / block_size` random
    places of the dataset, in random order; pass it as DataLoader(ds, batch_sampler=...).

    Each block is one HDF5 read. A trade: a batch holds neighbours, and neighbouring rows
    come from one folder (one class), so keep blocks small next to the batch (the default
    8 of 64 mixes eight places per batch). Every item appears once per epoch, in a new order
    each epoch; a seeded `generator` makes the sequence of orders the same from run to run.
    A short last block stays last, so that batches of a multiple of block_size are whole
    blocks (one read each); with drop_last it is shuffled in like the others, so that no
    item is left out of every epoch.
    """

    def __init__(self, dataset_size, batch_size, block_size=8, shuffle=True, drop_last=False, generator=None):
        if isinstance(dataset_size, Dataset):
            dataset_size = len(dataset_size)
        if batch_size < 1 or block_size < 1:
            raise ValueError("batch_size and block_size must be >= 1")
        self.size = int(dataset_size)
        self.batch_size = int(batch_size)
        self.block_size = min(int(block_size), self.batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator

    def __len__(self):
        if self.drop_last:
            return self.size // self.batch_size
        return (self.size + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        generator = self.generator
        if generator is None:
            generator = torch.Generator()
            generator.manual_seed(int(torch.empty((), dtype=torch.int64).random_().item()))
        starts = torch.arange(0, self.size, self.block_size)
        if self.shuffle:
            whole = len(starts) if self.drop_last else self.size // self.block_size  # the rest stays last
            starts = torch.cat([starts[:whole][torch.randperm(whole, generator=generator)], starts[whole:]])
        order = torch.cat([torch.arange(s, min(s + self.block_size, self.size)) for s in starts.tolist()]) \
            if self.size else torch.empty(0, dtype=torch.int64)
        for b in range(len(self)):
            # In block order: the items of a block stay neighbours, one read each. (Order within
            # a batch makes no difference to a training step.)
            yield order[b * self.batch_size:(b + 1) * self.batch_size].tolist()
