"""Reading and writing IDX files, the format MNIST and Fashion-MNIST are distributed in.

Layout (big-endian): two zero bytes, a type code, the number of dimensions d, then d uint32 sizes, then the
values in C order. A name ending in .gz is read or written through gzip.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

# IDX type code -> big-endian numpy dtype.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODE_OF = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}


def _read_bytes(path: str) -> bytes:
    if str(path).endswith(".gz"):
        try:
            with gzip.open(path, "rb") as f:
                return f.read()
        except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
            raise ValueError(f"IDX file {path}: not a valid gzip stream ({err})") from None
    with open(path, "rb") as f:
        return f.read()


def parse_idx(data: bytes, path: str = "<bytes>") -> np.ndarray:
    """The array held by IDX bytes; ValueError naming `path` for a bad magic number or a size mismatch."""
    if len(data) < 4:
        raise ValueError(f"IDX file {path}: {len(data)} bytes is too short for the 4-byte magic number")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0 or code not in IDX_TYPES or ndim == 0:
        raise ValueError(
            f"IDX file {path}: bad magic number 0x{data[:4].hex()} (expected 0x0000TTDD with "
            f"type TT in {{{', '.join(f'{c:02x}' for c in IDX_TYPES)}}} and DD >= 1 dimensions)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"IDX file {path}: truncated header ({len(data)} bytes, {ndim} dimensions need {header})")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(IDX_TYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"IDX file {path}: size mismatch: header says shape {shape} of {dtype.name} "
            f"({expected} bytes in all) but the file holds {len(data)} bytes"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Array stored in an IDX file (optionally gzipped), in native byte order."""
    path = os.fspath(path)
    return parse_idx(_read_bytes(path), path)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write `array` (uint8, int8, int16, int32, float32 or float64; >= 1 dimension) as IDX; gzip if *.gz."""
    path = os.fspath(path)
    array = np.asarray(array)
    code = _CODE_OF.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"write_idx: dtype {array.dtype} has no IDX type code")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: need 1 to 255 dimensions, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + body)
