"""Reading and writing IDX files, the format MNIST and Fashion-MNIST are distributed in.

Layout (big-endian): two zero bytes, a type code, the number of dimensions d, then d uint32 sizes, then the
values in C order. A name ending in .gz is read or written through gzip.

Reading never trusts the header: the size it declares (the product of the dimensions times the item size) is
checked against ``max_bytes`` (default MAX_IDX_BYTES, 1 GiB) before anything is allocated or inflated; a plain
file must then be exactly that long (checked from its size, before reading), and a gzipped one is inflated into
a buffer of exactly that size, so a small .idx.gz that would inflate to gigabytes (a decompression bomb) is
refused after reading its 4 + 4·d header bytes. Only regular files are opened (a FIFO or /dev/zero would block
or never end). Every problem raises ValueError naming the file (FileNotFoundError for a missing one).
"""

from __future__ import annotations

import gzip
import math
import os
import stat
import struct
import sys
import zlib

import numpy as np

# IDX type code -> big-endian numpy dtype.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODE_OF = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}

# The most an IDX file may hold once inflated (EMNIST "byclass", the largest of the MNIST family, is 0.55 GB);
# override per call with read_idx(path, max_bytes=...), or for every call (nv.data.load("mnist", ...)
# included) by setting neuralviz.data.idx.MAX_IDX_BYTES.
MAX_IDX_BYTES = 1024**3
_CHUNK = 1 << 24
_GZIP_ERRORS = (OSError, EOFError, zlib.error)  # BadGzipFile is an OSError


def _magic(head: bytes, path: str) -> tuple[np.dtype, int]:
    if len(head) < 4:
        raise ValueError(f"IDX file {path}: {len(head)} bytes is too short for the 4-byte magic number")
    zero0, zero1, code, ndim = head[0], head[1], head[2], head[3]
    if zero0 != 0 or zero1 != 0 or code not in IDX_TYPES or ndim == 0:
        raise ValueError(
            f"IDX file {path}: bad magic number 0x{head[:4].hex()} (expected 0x0000TTDD with "
            f"type TT in {{{', '.join(f'{c:02x}' for c in IDX_TYPES)}}} and DD >= 1 dimensions)"
        )
    return np.dtype(IDX_TYPES[code]), ndim


def _data_size(shape: tuple[int, ...], dtype: np.dtype, path: str, max_bytes: int) -> int:
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > max_bytes:
        raise ValueError(
            f"IDX file {path}: header declares shape {shape} of {dtype.name} ({nbytes:,d} bytes), more than "
            f"the limit of {max_bytes:,d} bytes (read_idx(..., max_bytes=...) raises it)"
        )
    return nbytes


def parse_idx(data: bytes, path: str = "<bytes>", *, max_bytes: int | None = None) -> np.ndarray:
    """The array held by IDX bytes; ValueError naming `path` for a bad magic number or a size mismatch."""
    max_bytes = MAX_IDX_BYTES if max_bytes is None else max_bytes
    dtype, ndim = _magic(data[:4], path)
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"IDX file {path}: truncated header ({len(data)} bytes, {ndim} dimensions need {header})")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    nbytes = _data_size(shape, dtype, path, max_bytes)
    if len(data) != header + nbytes:
        raise ValueError(
            f"IDX file {path}: size mismatch: header says shape {shape} of {dtype.name} "
            f"({header + nbytes} bytes in all) but the file holds {len(data)} bytes"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _open_regular(path: str):
    """A binary file object for a regular file; never blocks (FIFO) or opens a device or a folder."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file not found: {path}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"IDX file {path} is a directory, not a file") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"IDX file {path} is a directory, not a file")
        raise ValueError(f"IDX file {path} is not a regular file")
    return os.fdopen(fd, "rb")


def _read_exact(f, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def _read_stream(f, path: str, max_bytes: int, file_size: int | None) -> np.ndarray:
    """Header first, sizes checked, then exactly the declared data (file_size: of a plain file, else None)."""
    head = _read_exact(f, 4)
    dtype, ndim = _magic(head, path)
    header = 4 + 4 * ndim
    dims = _read_exact(f, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"IDX file {path}: truncated header ({4 + len(dims)} bytes, {ndim} dimensions need {header})")
    shape = struct.unpack(f">{ndim}I", dims)
    nbytes = _data_size(shape, dtype, path, max_bytes)
    said = f"header says shape {shape} of {dtype.name} ({header + nbytes:,d} bytes in all)"
    if file_size is not None and file_size != header + nbytes:
        raise ValueError(f"IDX file {path}: size mismatch: {said} but the file holds {file_size:,d} bytes")
    array = np.empty(math.prod(shape), dtype=dtype.newbyteorder("="))
    view, got = memoryview(array).cast("B"), 0
    while got < nbytes:
        n = f.readinto(view[got : got + _CHUNK])  # chunks: gzip copies through a buffer of the size asked
        if not n:
            raise ValueError(f"IDX file {path}: size mismatch: {said} but the data ends after {header + got:,d}")
        got += n
    if f.read(1):
        raise ValueError(f"IDX file {path}: size mismatch: {said} but the file holds more")
    if dtype.itemsize > 1 and sys.byteorder == "little":
        array.byteswap(inplace=True)  # the bytes were big-endian
    return array.reshape(shape)


def read_idx(path: str | os.PathLike, *, max_bytes: int | None = None) -> np.ndarray:
    """Array stored in an IDX file (optionally gzipped), in native byte order.

    ValueError naming the file for a bad header, a size mismatch, a damaged gzip stream or a declared size
    above `max_bytes` (default MAX_IDX_BYTES; checked before anything is inflated)."""
    path = os.fspath(path)
    max_bytes = MAX_IDX_BYTES if max_bytes is None else max_bytes
    with _open_regular(path) as raw:
        if not path.endswith(".gz"):
            return _read_stream(raw, path, max_bytes, os.fstat(raw.fileno()).st_size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                return _read_stream(f, path, max_bytes, None)
        except _GZIP_ERRORS as err:
            raise ValueError(f"IDX file {path}: not a valid gzip stream ({type(err).__name__}: {err})") from None


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write `array` (uint8, int8, int16, int32, float32 or float64; >= 1 dimension) as IDX; gzip if *.gz.

    The file is written to a temporary name and renamed into place (an interrupted write leaves the old one)."""
    from ..io import atomic_write  # here: neuralviz.io imports the network, which data does not need

    path = os.fspath(path)
    array = np.asarray(array)
    code = _CODE_OF.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"write_idx: dtype {array.dtype} has no IDX type code")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: need 1 to 255 dimensions, got shape {array.shape}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"write_idx: dimensions must be below 2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()

    def write(fh):
        if path.endswith(".gz"):
            with gzip.GzipFile(filename=os.path.basename(path), fileobj=fh, mode="wb", mtime=0) as gz:
                gz.write(header + body)
        else:
            fh.write(header + body)

    atomic_write(path, write)
