"""`imgshard.open`: a read-only, fork-safe view of one imgshard output file.

The h5py handle is opened lazily and per process: the view remembers the pid that opened
it, and a process that finds a handle opened by another (a DataLoader worker forked after
the parent read items) drops that inherited handle and opens its own. An h5py handle is
never used across a fork, which is what corrupts reads in forked workers (PyTorch issues
#11929, #11887). Creating the view opens the file once to check it, then closes it again,
so a view made before a fork holds no handle at all.

Per-image metadata (`labels`, `status`, `paths`, ...) is read on first use and cached as
plain NumPy arrays and lists, which a fork copies safely.
"""

import collections
import os
import re
import socket
import threading

import h5py
import numpy as np
from h5py import h5s

# /status codes, as README.md's "Status codes" table names them.
STATUS_NAMES = {
    0: "ok",
    1: "unreadable",
    2: "empty",
    3: "unknown_format",
    4: "corrupt",
    5: "truncated",
    6: "decoder_warning",
    7: "too_large",
    8: "kernel_failed",
    255: "pending",
}
PENDING = 255

# /timings datasets with one value per rank, in the order a table shows them; any other
# per-rank dataset a newer imgshard writes is appended after these.
_TIMING_COLUMNS = ("rank", "hosts", "threads", "images", "units", "wall_seconds")
_TIMING_COUNTERS = ("bytes_read", "bytes_sent")


def _running_writer(path):
    """The "pid N on host H" of the imgshard run holding path's lock, when that run is on this
    host and alive; else None. Reads the lock's text only (never locks it: that could make
    a starting run think another one holds it)."""
    try:
        fd = os.open(path + ".lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        holder = os.pread(fd, 256, 0).decode("utf-8", "replace").strip()
    finally:
        os.close(fd)
    match = re.fullmatch(r"pid (\d+) on host (.+)", holder)
    if not match or match.group(2) != socket.gethostname():
        return None
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return None
    except OSError:
        pass  # alive, another user's
    return holder


class FileError(ValueError):
    """The file exists but cannot be read as an imgshard output (see the subclasses)."""


class NotImgshardFileError(FileError):
    """Not an HDF5 file, or an HDF5 file that imgshard did not write."""


class IncompleteFileError(FileError):
    """The run that writes the file has not finished: its root attribute `complete` is not 1."""


Failure = collections.namedtuple("Failure", "index status reason path")
Failure.__doc__ = "One failed image: its row, /status code, /errors reason and source path."
Failure.status_name = property(lambda self: STATUS_NAMES.get(self.status, f"status {self.status}"))


class Table:
    """A small column-named table (the per-rank timings): `columns`, `rows` (tuples),
    `column(name)`, `to_dicts()`; `str()` prints it aligned."""

    def __init__(self, columns, rows):
        self.columns = list(columns)
        self.rows = [tuple(r) for r in rows]

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def column(self, name):
        k = self.columns.index(name)
        return [r[k] for r in self.rows]

    def to_dicts(self):
        return [dict(zip(self.columns, r)) for r in self.rows]

    def __str__(self):
        def cell(v):
            return f"{v:.3f}" if isinstance(v, float) else str(v)
        text = [[str(c) for c in self.columns]] + [[cell(v) for v in r] for r in self.rows]
        widths = [max(len(line[k]) for line in text) for k in range(len(self.columns))]
        return "\n".join("  ".join(v.rjust(w) for v, w in zip(line, widths)).rstrip() for line in text)

    def __repr__(self):
        return f"Table({self.columns!r}, {len(self.rows)} rows)"


def open(path, allow_incomplete=False, **h5py_options):  # noqa: A001 (imgshard.open, like gzip.open)
    """A read-only view of the imgshard output at `path` (see ImageFile).

    Raises FileNotFoundError, NotImgshardFileError, or IncompleteFileError for a file whose
    run has not finished, unless allow_incomplete=True. `h5py_options` go to h5py.File,
    for instance rdcc_nbytes (the chunk cache, see README.md "Read speed").
    """
    return ImageFile(path, allow_incomplete=allow_incomplete, **h5py_options)


def _to_python(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_to_python(v) for v in value.tolist()]
    return value


def _strings(dataset):
    """A variable-length string dataset as a list of str (bytes that are not UTF-8 are kept
    as surrogate escapes, as os.fsdecode does)."""
    return dataset.asstr(errors="surrogateescape")[()].tolist()


def _column(dataset):
    if h5py.check_string_dtype(dataset.dtype) is not None:
        return _strings(dataset)
    return dataset[()]


_PATH_ESCAPE = re.compile(rb"\\(\\|x[0-9a-f]{2})")


def path_bytes(path):
    """The source name's bytes of a /paths entry. imgshard stores every path as valid UTF-8:
    a byte that is not UTF-8 as `\\xHH`, a backslash as `\\\\` (README, "The HDF5 file").
    `os.fsdecode(path_bytes(p))` is then a name that open() finds."""
    return _PATH_ESCAPE.sub(lambda m: b"\\" if m.group(1) == b"\\" else bytes([int(m.group(1)[1:], 16)]),
                            os.fsencode(path))


def _identity(path):
    """Which file path names: a run with --force replaces the file under the same name."""
    st = os.stat(path)
    return st.st_dev, st.st_ino


def stretches(rows):
    """(start, stop) of each stretch of consecutive increasing values in rows:
    [3, 4, 5, 9, 2, 3] -> (0, 3), (3, 4), (4, 6); none for no rows."""
    if len(rows) == 0:
        return []
    breaks = (np.flatnonzero(np.diff(rows) != 1) + 1).tolist()
    return list(zip([0, *breaks], [*breaks, len(rows)]))


class _ProcessHandle:
    """What one process holds of a file: the h5py File, /images, and the dataspaces that
    every read reuses (h5py's own indexing builds them anew for each read)."""

    def __init__(self, path, h5py_options, identity):
        self.pid = os.getpid()
        self.file = h5py.File(path, "r", **h5py_options)
        if _identity(path) != identity:
            self.file.close()
            raise FileError(f"{path} was replaced after this view opened it (an `imgshard --force` run, or a "
                            f"copy): its rows and metadata would not match; open it again")
        self.images = self.file["images"]
        self.row_shape = tuple(self.images.shape[1:])
        self.origin = (0,) * len(self.row_shape)
        self.file_space = self.images.id.get_space()
        self.memory_spaces = {}
        self.lock = threading.Lock()  # file_space is selected, then read: one thread at a time

    def read(self, row, count, out):
        """Rows [row, row + count) into out, a C-contiguous array of count rows (or one row)."""
        if not out.flags.c_contiguous:
            raise ValueError("out must be a C-contiguous array")
        if out.size != count * int(np.prod(self.row_shape)):
            raise ValueError(f"out has shape {out.shape}, not {count} rows of {self.row_shape}")
        with self.lock:
            space = self.memory_spaces.get(out.shape)
            if space is None:
                space = self.memory_spaces[out.shape] = h5s.create_simple(out.shape)
            self.file_space.select_hyperslab((row, *self.origin), (count, *self.row_shape))
            self.images.id.read(space, self.file_space, out)

    def drop_inherited(self):
        """Closes a handle inherited across a fork, in the child: its copy only (read-only, so
        nothing is written; the parent's handle lives on in the parent)."""
        try:
            self.file.close()
        except Exception:
            pass


class ImageFile:
    """A read-only view of one imgshard output.

    Images: `len(f)`; `f[i]` -> (image ndarray, int label); `f[a:b]` or `f[[i, j, ...]]` ->
    (images ndarray [k, ...], labels ndarray [k]), read in one call per stretch of
    consecutive rows; `read_row(i)`, `read_range(start, count)` and `read_rows(rows)` read
    images only, into a buffer of yours when given as `out=`.
    Per image: `labels`, `paths`, `status`, `errors`, `orig_shape`, `meta` (the /meta/*
    columns), `inputs` and `input_index` (None where the file has none); `failed` (a list of
    Failure), `ok_rows`, `pending_rows`.
    The file: `label_names`, `attrs` (root attributes as Python values), `image_shape`,
    `dtype`, `layout`, `pipeline`, `complete`, `timings` (a Table, one row per rank),
    `images_per_second`; `h5` and `images` are this process's h5py File and /images.
    """

    def __init__(self, path, allow_incomplete=False, **h5py_options):
        self.path = os.fspath(path)
        self._h5py_options = dict(h5py_options)
        self._local = None
        self._cache = {}
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"{self.path}: no such file")
        if os.path.isdir(self.path):
            raise NotImgshardFileError(f"{self.path} is a directory, not an imgshard output file")
        if not h5py.is_hdf5(self.path):
            raise NotImgshardFileError(f"{self.path} is not an HDF5 file (so not an imgshard output)")
        try:
            f = h5py.File(self.path, "r", **self._h5py_options)
            self._identity = _identity(self.path)
        except OSError as e:
            writer = _running_writer(self.path)
            if writer:
                raise FileError(f"{self.path}: HDF5 cannot open it ({e}); an imgshard run is writing it "
                                f"({writer}, still running): wait for it to end") from None
            raise FileError(f"{self.path}: HDF5 cannot open it ({e}); a run killed while creating it "
                            f"leaves such a file: run it again with --force") from None
        try:
            self._read_header(f, allow_incomplete)
        except FileError:
            raise
        except Exception as e:  # h5py's RuntimeError and the like on a damaged file: name the file
            raise FileError(f"{self.path}: HDF5 cannot read it ({e}); the file is damaged") from None

    def _read_header(self, f, allow_incomplete):
        """The attributes and /images' shape, from the open file f (closed here)."""
        with f:
            if "imgshard_version" not in f.attrs or not all(isinstance(f.get(name), h5py.Dataset)
                                                            for name in ("images", "status", "labels")):
                raise NotImgshardFileError(f"{self.path} is an HDF5 file but not an imgshard output "
                                           f"(no /images, /status or /labels dataset, or no imgshard_version "
                                           f"attribute)")
            self.attrs = {k: _to_python(v) for k, v in f.attrs.items()}
            images = f["images"]
            self._len = int(images.shape[0])
            self.image_shape = tuple(int(s) for s in images.shape[1:])
            self.dtype = images.dtype
            self.chunks = images.chunks
            self.compression = images.compression
            if not self.complete and not allow_incomplete:
                pending = int(np.count_nonzero(f["status"][()] == PENDING)) if "status" in f else self._len
                raise IncompleteFileError(
                    f"{self.path} is incomplete (complete={self.attrs.get('complete')}): the run that writes it "
                    f"has not finished, {pending} of {self._len} images are still pending; finish it with "
                    f"`imgshard ... --resume`, or pass allow_incomplete=True to read it as it is")

    # -- the per-process handle ---------------------------------------------------------

    def _process(self):
        """This process's _ProcessHandle, opened on first use (and again in a forked child)."""
        local = self._local
        if local is None or local.pid != os.getpid():
            if local is not None:
                local.drop_inherited()
            local = self._local = _ProcessHandle(self.path, self._h5py_options, self._identity)
        return local

    @property
    def h5(self):
        """This process's h5py.File, opened on first use (and again in a forked child)."""
        return self._process().file

    @property
    def images(self):
        """This process's h5py Dataset /images."""
        return self._process().images

    @property
    def opened_by(self):
        """The pid of the process whose handle this view holds, None while it holds none."""
        return None if self._local is None else self._local.pid

    def close(self):
        if self._local is not None and self._local.pid == os.getpid():
            self._local.file.close()
        self._local = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getstate__(self):
        # Pickled for spawn-started workers: the handle stays behind, the child opens its own.
        state = self.__dict__.copy()
        state["_local"] = None
        return state

    def __repr__(self):
        state = "complete" if self.complete else "incomplete"
        return (f"<imgshard file {self.path!r}: {self._len} images {self.image_shape} {self.dtype}, "
                f"{self.layout}, {state}>")

    # -- images ---------------------------------------------------------------------------

    def __len__(self):
        return self._len

    def _row(self, index):
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"image index must be an integer, got {index!r}")
        i = int(index) + (self._len if index < 0 else 0)
        if not 0 <= i < self._len:
            raise IndexError(f"image index {index} out of range for {self._len} images")
        return i

    def __getitem__(self, key):
        if getattr(key, "ndim", None) == 0:  # a 0-d NumPy array or tensor: one index, as NumPy has it
            key = key.item()
        if isinstance(key, (int, np.integer)):
            i = self._row(key)
            return self.read_row(i), int(self.labels[i])
        if isinstance(key, slice):
            rows = np.arange(self._len)[key]
        else:
            rows = np.asarray(key)
            if rows.dtype == bool:
                if rows.shape != (self._len,):
                    raise IndexError(f"boolean index of shape {rows.shape} for {self._len} images")
                rows = np.flatnonzero(rows)
            elif rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
                raise TypeError(f"image indices must be one list of integers, got {key!r}")
            rows = np.array([self._row(i) for i in rows.tolist()], dtype=np.int64)
        return self.read_rows(rows), self.labels[rows]

    def read_row(self, row, out=None):
        """The image of one row (0 <= row < len), into `out` (C-contiguous, image_shape, the
        file's dtype) when given: a buffer reused from row to row saves an allocation."""
        if not isinstance(row, (int, np.integer)) or not 0 <= row < self._len:
            raise IndexError(f"row {row} out of range for {self._len} images")
        row = int(row)
        if out is None:
            out = np.empty(self.image_shape, self.dtype)
        self._process().read(row, 1, out)
        return out

    def read_range(self, start, count, out=None):
        """Rows [start, start + count) in one HDF5 read, into `out` (C-contiguous, count rows)
        when given."""
        if out is None:
            out = np.empty((count,) + self.image_shape, self.dtype)
        if start < 0 or count < 0 or start + count > self._len:
            raise IndexError(f"rows {start}..{start + count - 1} out of range for {self._len} images")
        if count:
            self._process().read(int(start), int(count), out)
        return out

    def read_rows(self, rows, out=None):
        """Images of `rows` (any order, repeats allowed) as one array [len(rows), ...], into
        `out` when given. One HDF5 read per stretch of consecutive increasing rows: a batch
        of neighbouring rows costs one read."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if out is None:
            out = np.empty((len(rows),) + self.image_shape, dtype=self.dtype)
        if len(rows) == 0:
            return out
        if rows.min() < 0 or rows.max() >= self._len:
            raise IndexError(f"image rows out of range for {self._len} images")
        local = self._process()
        for start, stop in stretches(rows):
            local.read(int(rows[start]), stop - start, out[start:stop])
        return out

    # -- per-image metadata, read once and cached -------------------------------------------

    def _read(self, name, read):
        try:
            return read(self.h5)
        except FileError:
            raise
        except Exception as e:  # h5py's OSError, KeyError and the like on a damaged file
            raise FileError(f"{self.path}: HDF5 cannot read its {name} ({type(e).__name__}: {e}); "
                            f"the file is damaged") from None

    def _cached(self, name, read):
        if name not in self._cache:
            self._cache[name] = self._read(name, read)
        return self._cache[name]

    def _optional(self, name, read):
        return self._cached(name, lambda f: read(f[name]) if name in f else None)

    @property
    def labels(self):
        """int32 [N]: class index of each image, -1 without labels."""
        return self._cached("labels", lambda f: f["labels"][()])

    @property
    def label_names(self):
        """The class names (str), index = label."""
        return self._optional("label_names", _strings) or []

    @property
    def paths(self):
        """Each image's source path (str), relative to its INPUT, as stored: a name that is not
        UTF-8 has escapes (see path_bytes)."""
        return self._cached("paths", lambda f: _strings(f["paths"]))

    @property
    def status(self):
        """uint8 [N]: 0 ok, else a code of STATUS_NAMES (255: pending in an incomplete file)."""
        return self._cached("status", lambda f: f["status"][()])

    @property
    def errors(self):
        """One-line reason per image (str), empty when ok."""
        return self._cached("errors", lambda f: _strings(f["errors"]))

    @property
    def orig_shape(self):
        """int32 [N, 3]: height, width and channels of each decoded source (zeros if not decoded)."""
        return self._cached("orig_shape", lambda f: f["orig_shape"][()])

    @property
    def meta(self):
        """The other columns of a CSV manifest: {name: list of str}, empty without one."""
        def read(f):
            group = f.get("meta")
            if not isinstance(group, h5py.Group):
                return {}
            return {name: _column(ds) for name, ds in group.items() if isinstance(ds, h5py.Dataset)}
        return self._cached("meta", read)

    @property
    def inputs(self):
        """The INPUT arguments as given (list of str), or None where the file has none."""
        return self._optional("inputs", _strings)

    @property
    def input_index(self):
        """int32 [N]: which INPUT each image came from, or None where the file has none."""
        return self._optional("input_index", lambda ds: ds[()])

    @property
    def input_errors(self):
        """Folders inside an INPUT that could not be listed, as `path: reason` (str); [] when none."""
        return [e for e in (self._optional("input_errors", _strings) or []) if e]

    @property
    def ok_rows(self):
        """Rows whose image was written (status 0)."""
        return np.flatnonzero(self.status == 0)

    @property
    def pending_rows(self):
        """Rows not processed yet (only in an incomplete file)."""
        return np.flatnonzero(self.status == PENDING)

    @property
    def failed(self):
        """Every failed image (status not 0 and not pending), as Failure(index, status, reason, path)."""
        status = self.status
        rows = np.flatnonzero((status != 0) & (status != PENDING))
        if len(rows) == 0:
            return []
        if len(rows) > 256 or "errors" in self._cache:
            errors, paths = self.errors, self.paths
            strings = [(errors[int(i)], paths[int(i)]) for i in rows]
        else:
            # Only the failed rows' strings: a file of millions of images with a few failures
            # does not need every path in memory.
            def read(f):
                errors = f["errors"].asstr(errors="surrogateescape")
                paths = f["paths"].asstr(errors="surrogateescape")
                return [(errors[int(i)], paths[int(i)]) for i in rows]
            strings = self._read("errors and paths", read)
        return [Failure(int(i), int(status[i]), *pair) for i, pair in zip(rows, strings)]

    # -- the file ----------------------------------------------------------------------------

    @property
    def complete(self):
        return self.attrs.get("complete") == 1

    @property
    def layout(self):
        return self.attrs.get("layout", "nhwc")

    @property
    def pipeline(self):
        return self.attrs.get("pipeline", "")

    @property
    def timings(self):
        """The run's per-rank timings as a Table (rank, host, threads, images, units, wall
        seconds, then seconds per phase, then byte counters), or None without /timings."""
        def read(f):
            group = f.get("timings")
            if not isinstance(group, h5py.Group) or "wall_seconds" not in group:
                return None
            ranks = int(group["wall_seconds"].shape[0])
            columns, values = [], []
            per_rank = [name for name in group if isinstance(group[name], h5py.Dataset)
                        and group[name].shape == (ranks,)]
            ordered = [n for n in _TIMING_COLUMNS if n in per_rank]
            counters = [n for n in per_rank if n not in ordered and n not in ("phase_names",)]
            for name in ordered:
                columns.append({"hosts": "host", "wall_seconds": "wall_s"}.get(name, name))
                values.append(_to_python(_column(group[name])) if name == "hosts" else group[name][()].tolist())
            if "phase_names" in group and "phase_seconds" in group:
                seconds = group["phase_seconds"][()]
                for k, phase in enumerate(_strings(group["phase_names"])):
                    columns.append(phase)
                    values.append(seconds[:, k].tolist())
            counters.sort(key=lambda n: (n not in _TIMING_COUNTERS, n))
            for name in counters:
                columns.append(name)
                values.append(_to_python(_column(group[name])) if h5py.check_string_dtype(group[name].dtype)
                              else group[name][()].tolist())
            return Table(columns, zip(*values))
        return self._cached("timings", read)

    @property
    def images_per_second(self):
        """The run's throughput: images processed / rank 0's wall time (what its summary line
        says), or None without timings."""
        t = self.timings
        if t is None or "wall_s" not in t.columns or "images" not in t.columns:
            return None
        wall = t.column("wall_s")[0]
        return sum(t.column("images")) / wall if wall > 0 else None
