"""imgshard.torch.ImageDataset: items as torchvision.io.read_image gives them, failed rows
skipped, and correct samples from DataLoader(num_workers=2, shuffle=True) after the parent
process has read items itself (the h5py-across-fork trap)."""
import os
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
import unittest

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader

import outputs
from imgshard.torch import BlockShuffleBatchSampler, ImageDataset
from outputs import BAD_FILES


def stored(path):
    with h5py.File(path, "r") as f:
        return f["images"][()], f["labels"][()], f["status"][()], f.attrs["layout"]


def as_chw(image, layout):
    return image if layout == "chw" else image.transpose(2, 0, 1)


class Items(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = outputs.get()

    def test_items_are_chw_tensors_and_int_labels_for_every_flavour(self):
        expected = {"rgb": ((3, 30, 40), torch.uint8), "float_chw_gzip": ((3, 30, 40), torch.float32),
                    "gray": ((1, 30, 40), torch.uint8), "chw": ((3, 30, 40), torch.uint8)}
        for name, (shape, dtype) in expected.items():
            with self.subTest(flavour=name):
                path = getattr(self.out, name)
                images, labels, status, layout = stored(path)
                ds = ImageDataset(path)
                self.assertEqual(len(ds), int((status == 0).sum()))
                # All read first, one by one and as a batch: an item is its own memory, never
                # a view of a buffer the next read overwrites.
                items = [ds[i] for i in range(len(ds))] + ds.__getitems__(list(range(len(ds))))
                for k, (image, label) in enumerate(items):
                    i = k % len(ds)
                    row = ds.rows[i]
                    self.assertEqual((tuple(image.shape), image.dtype), (shape, dtype))
                    self.assertTrue(image.is_contiguous())
                    self.assertIs(type(label), int)
                    self.assertEqual(label, labels[row])
                    np.testing.assert_array_equal(image.numpy(), as_chw(images[row], layout), err_msg=f"item {i}")

    def test_failed_rows_are_skipped_unless_asked_and_rows_map_items_to_the_file(self):
        path = self.out.rgb
        images, labels, status, _ = stored(path)
        ds = ImageDataset(path)
        np.testing.assert_array_equal(ds.rows, np.flatnonzero(status == 0))
        self.assertEqual(len(ds), len(status) - len(BAD_FILES))
        everything = ImageDataset(path, skip_failed=False)
        self.assertEqual(len(everything), len(status))
        failed_row = int(np.flatnonzero(status != 0)[0])
        self.assertFalse(everything[failed_row][0].any(), "a failed row is zeros")
        self.assertEqual(ds.targets, labels[status == 0].tolist())
        self.assertEqual(ds.classes, ["animals", "fruit", "objects", "scenes"])
        self.assertEqual(ds.class_to_idx["scenes"], 3)

    def test_transform_and_pickling(self):
        ds = ImageDataset(self.out.rgb, transform=lambda x: x.float() / 255, target_transform=lambda y: y + 100)
        image, label = ds[0]
        self.assertEqual(image.dtype, torch.float32)
        self.assertLessEqual(float(image.max()), 1.0)
        self.assertGreaterEqual(label, 100)
        plain = ImageDataset(self.out.rgb)
        plain[0]  # an open handle must not travel (spawn-started workers get a pickled copy)
        copy = pickle.loads(pickle.dumps(plain))
        self.assertIsNone(copy.file.opened_by)
        self.assertTrue(torch.equal(copy[5][0], plain[5][0]))

    def test_threads_each_get_their_own_items(self):
        # One read buffer per process was shared by threads: a thread read into it while
        # another was copying its image out (319 of 2000 items wrong).
        images, labels, status, layout = stored(self.out.rgb)
        ds = ImageDataset(self.out.rgb)
        order = np.random.default_rng(7).integers(0, len(ds), 1200).tolist()
        start = threading.Barrier(8)

        def item(i):
            if i < 8:
                start.wait()  # all eight threads running before the reads
            return ds[order[i]][0]

        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(item, range(len(order))))
        wrong = [i for i, image in enumerate(got)
                 if not np.array_equal(image.numpy(), as_chw(images[ds.rows[order[i]]], layout))]
        self.assertEqual(wrong, [])

    def test_empty_batch_idle_dataset_and_misplaced_options(self):
        ds = ImageDataset(self.out.rgb)
        self.assertEqual(ds.__getitems__([]), [])
        # The constructor reads labels and status, then lets the file go: an idle dataset must
        # not keep an --resume or another writer out.
        self.assertIsNone(ds.file.opened_by)
        with self.assertRaisesRegex(IndexError, "item -99 out of range"):
            ds[-99]
        import imgshard
        with self.assertRaisesRegex(ValueError, "imgshard.open's"):
            ImageDataset(imgshard.open(self.out.rgb), rdcc_nbytes=123)


class Loader(unittest.TestCase):
    """Every sample of a shuffled epoch through two forked workers is one row of the file,
    bit for bit, with its label; each row exactly once."""

    @classmethod
    def setUpClass(cls):
        cls.out = outputs.get()

    def check_epoch(self, path, **loader_args):
        images, labels, status, layout = stored(path)
        ds = ImageDataset(path)
        # In a worker, right after the read: the handle it used is the worker's own. (Debian 12's
        # HDF5 reads with pread, so an inherited handle would happen to read right here: this is
        # what shows the worker did not use one.)
        def own_handle(image):
            assert ds.file.opened_by == os.getpid(), f"worker {os.getpid()} read through a handle it did not open"
            return image
        ds.transform = own_handle
        # The parent reads first: its h5py handle is open when the DataLoader forks.
        ds[0], ds[len(ds) - 1]
        self.assertEqual(ds.file.opened_by, os.getpid())
        # Rows are told apart by their bytes (every sample photo differs).
        by_bytes = {as_chw(images[row], layout).tobytes(): int(row) for row in ds.rows}
        self.assertEqual(len(by_bytes), len(ds.rows), "distinct rows")
        seen = []
        for batch, batch_labels in DataLoader(ds, num_workers=2, **loader_args):
            for image, label in zip(batch, batch_labels):
                row = by_bytes.get(image.numpy().tobytes())
                self.assertIsNotNone(row, "a sample equal to no row of the file")
                self.assertEqual(int(label), labels[row])
                seen.append(row)
        self.assertEqual(sorted(seen), sorted(ds.rows.tolist()))
        # And the parent's own handle still reads right after the workers are gone.
        self.assertTrue(np.array_equal(ds[3][0].numpy(), as_chw(images[ds.rows[3]], layout)))
        return seen

    def test_shuffled_epoch_with_two_workers_after_the_parent_read(self):
        for name in ("rgb", "float_chw_gzip"):
            with self.subTest(flavour=name):
                self.check_epoch(getattr(self.out, name), batch_size=4, shuffle=True)

    def test_block_shuffle_batches_cover_every_item_once(self):
        sampler = BlockShuffleBatchSampler(103, batch_size=16, block_size=4, generator=torch.Generator().manual_seed(1))
        batches = list(sampler)
        self.assertEqual(len(batches), len(sampler))
        self.assertEqual(sorted(i for b in batches for i in b), list(range(103)))
        self.assertTrue(all(len(b) == 16 for b in batches[:-1]))
        # The short block (100-102) stays last: every other batch is four whole blocks.
        self.assertEqual(batches[-1][-3:], [100, 101, 102])
        self.assertTrue(all(b[k] % 4 == 0 and b[k + 3] == b[k] + 3 for b in batches[:-1] for k in range(0, 16, 4)))
        # Each batch is made of runs of consecutive items (one read each), from several places.
        runs = [len(np.flatnonzero(np.diff(sorted(b)) != 1)) + 1 for b in batches]
        self.assertLessEqual(max(runs), 16 // 4 + 1)
        self.assertGreater(max(runs), 1)
        self.assertEqual(len(list(BlockShuffleBatchSampler(103, 16, drop_last=True))), 6)
        ds = ImageDataset(self.out.rgb)
        self.check_epoch(self.out.rgb, batch_sampler=BlockShuffleBatchSampler(ds, batch_size=5, block_size=2))


if __name__ == "__main__":
    unittest.main()
