"""Saving and loading a network: one .npz file holding the spec (JSON), the weights and a format version.

    m.nvz  (a zip, as numpy.savez writes it)
        __meta__.npy          uint8 bytes of the JSON {"format": "neuralviz.model/1", "spec": {...},
                              "dtype": "float32" | "float64", "seed": int}
        param/<name>.npy      one real floating-point array per parameter ("param/h1.weight", ...)
        mask/<name>.npy       a pruned network's masks (nv.prune): one bool array per masked parameter,
                              True = kept; absent in files of unpruned networks and in older files

A pruned network is written deflated (numpy.savez_compressed), so its zeros cost little on disk: a
64-256-256-10 net pruned by 90 % shrinks from 334 KiB to 53 KiB (benchmarks/compression.py).
Unpruned networks are stored as before: random float weights deflate by a few percent only.

Writes go to a temporary file (``m.nvz.XXXXXXXX.tmp``) that is fsynced and renamed into place, and the folder is
fsynced after the rename, so a crash, a kill or a full disk never leaves a half-written model. A failed save
removes its temporary file; a save that was killed cannot, so every save first removes the temporary files of
the same target left by saves that are no longer running (a running save holds a lock on its own).

Loading never trusts the file: it is read as a zip with every size checked before anything is inflated (the
declared sizes of all members together against ``max_bytes``, the metadata against MAX_META_BYTES, each
parameter's npy header against the shape the spec gives it), members are inflated with exactly the declared
size as a cap, and no file name inside it is ever opened (the spec is the metadata's own JSON object, never a
path). Every problem -- truncated or random bytes, unknown or duplicate members, a missing ``spec``, a
parameter that is complex, bool, integer, datetime or object, has the wrong shape, or holds NaN or inf --
raises ValueError naming the file and the entry (FileNotFoundError / IsADirectoryError for a path that is
not a regular file).
"""

from __future__ import annotations

import json
import math
import os
import re
import reprlib
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np
from numpy.lib import format as npformat

from .network import Network

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

FILE_FORMAT = "neuralviz.model/1"

# Limits checked before anything is inflated (override per call: load(path, max_bytes=...)).
MAX_MODEL_BYTES = 4 * 1024**3  # all members together, inflated: 2**28 float64 parameters (the default budget) fit
MAX_META_BYTES = 16 * 1024**2  # the JSON metadata (a spec with a layout is a few KiB)
MAX_MEMBERS = 20_000  # zip entries (a network has a few per layer)
MAX_NPY_HEADER = 10_000  # bytes of one npy header (numpy's own default limit)
STALE_TEMP_AGE_S = 600.0  # where file locks are not available: a temporary this old belongs to a dead save

_DTYPES = ("float32", "float64")


# ---------------------------------------------------------------------------------------------- writing
def save(net: Network, path: str | os.PathLike, *, compress: bool | None = None) -> Path:
    """Write `net` to `path` (conventionally *.nvz) atomically, with its pruning masks; returns the path.

    compress: deflate the members (None: exactly when the network has masks, whose zeros deflate well)."""
    path = Path(path)
    masks = getattr(net, "masks", {})
    if compress is None:
        compress = bool(masks)
    if not isinstance(compress, bool):
        raise TypeError(f"save: compress must be True, False or None, got {type(compress).__name__}")
    meta = {"format": FILE_FORMAT, "spec": net.to_spec(), "dtype": str(net.dtype), "seed": net.seed}
    arrays = {f"param/{k}": v for k, v in net.state_dict().items()}
    arrays.update({f"mask/{k}": np.asarray(v, dtype=bool) for k, v in masks.items()})
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    writer = np.savez_compressed if compress else np.savez
    atomic_write(path, lambda fh: writer(fh, **arrays))
    return path


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Write a file through `write(fh)` so that `path` holds either its old or its complete new content.

    The data goes to a temporary file beside `path` (locked while it is written), is fsynced and renamed over
    `path`; then the folder is fsynced, so the rename survives a power cut. On any failure the temporary is
    removed and the old file is untouched. Stale temporaries of the same target (from saves that were killed)
    are removed first."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save to {path}: it is a directory")
    folder = path.parent
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=folder)
    try:
        _lock(fd)
        _chmod_as_umask(fd)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(tmp, path)  # while the lock is held: no cleaner takes it for a dead save's file
        fsync_dir(folder)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _chmod_as_umask(fd: int) -> None:
    """mkstemp makes 0600 files; a saved model should get the permissions open() would give it."""
    if os.name != "posix":
        return
    os.fchmod(fd, 0o666 & ~_umask())


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (os.umask sets it, racing other threads)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename in it) to disk; a no-op where folders cannot be opened (Windows)."""
    if os.name != "posix":
        return
    fd = os.open(os.fspath(folder) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files atomic_write left beside `path` when a save was killed; returns them.

    Only names atomic_write makes for this target (``NAME.XXXXXXXX.tmp``) are considered, and only those no
    running save holds a lock on (without file locks: those older than STALE_TEMP_AGE_S)."""
    path = Path(path)
    pattern = re.compile(re.escape(path.name) + r"\.[a-z0-9_]{8}\.tmp")
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or not temp_is_abandoned(entry.path):
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue  # gone meanwhile, or not ours to remove
    return removed


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def temp_is_abandoned(path: str | os.PathLike) -> bool:
    """Whether a temporary file of atomic_write belongs to no running save (its writer holds a lock)."""
    if fcntl is None:  # pragma: no cover - Windows
        return time.time() - os.stat(path, follow_symlinks=False).st_mtime > STALE_TEMP_AGE_S
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a save in progress (this process or another) holds it
    finally:
        os.close(fd)  # releases our lock too
    return True


# ---------------------------------------------------------------------------------------------- reading
def check_regular_file(path: Path, what: str) -> None:
    """FileNotFoundError / IsADirectoryError / ValueError unless `path` is a regular file (not a FIFO, a
    device such as /dev/zero, or a folder): opening those could block or never end."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} not found: {path}") from None
    except OSError as err:
        raise OSError(f"{what} {path} cannot be read: {err.strerror or err}") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{what} {path} is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise ValueError(f"{what} {path} is not a regular file")


class NpzReader:
    """A .npz (zip of .npy members) read defensively: sizes are checked before anything is inflated.

    Opening reads the zip directory and every member's npy header only; ``entries`` maps each key (member name
    without ".npy") to (shape, dtype). ``read(key)`` inflates one member, capped at its declared size. Every
    problem raises ValueError naming the file (and the entry)."""

    def __init__(self, path: str | os.PathLike, *, max_bytes: int | None = None, what: str = "file"):
        self.path = Path(path)
        self.what = what
        self.entries: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        self._infos: dict[str, tuple[zipfile.ZipInfo, int, bool]] = {}
        max_bytes = MAX_MODEL_BYTES if max_bytes is None else max_bytes
        check_regular_file(self.path, what)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except Exception as err:  # noqa: BLE001 - random bytes, a truncated directory, an unreadable file
            raise self._corrupt(err) from None
        try:
            self._scan(max_bytes)
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def _corrupt(self, err: BaseException) -> ValueError:
        detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        return ValueError(f"{self.path} is not a readable {self.what} (truncated or corrupt): {detail}")

    def error(self, message: str, key: str | None = None) -> ValueError:
        return ValueError(f"{self.path}: " + (f"entry {key!r}: " if key is not None else "") + message)

    def _scan(self, max_bytes: int) -> None:
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise self.error(f"{len(infos):,d} zip members is more than the {MAX_MEMBERS:,d} allowed")
        total = sum(info.file_size for info in infos)
        if total > max_bytes:
            raise self.error(
                f"its members would inflate to {total:,d} bytes, more than the limit of {max_bytes:,d} "
                "(a decompression bomb, or a file far larger than any model this program writes)"
            )
        for info in infos:
            name = info.filename
            if info.is_dir() or not name.endswith(".npy"):
                raise self.error(f"unexpected zip member {name!r} (a .npz holds only .npy arrays)")
            key = name[: -len(".npy")]
            if key in self.entries:
                raise self.error("appears twice in the zip", key)
            if info.flag_bits & 0x1:
                raise self.error("is encrypted", key)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self.error(f"uses zip compression method {info.compress_type} (only stored or deflated)", key)
            try:
                with self._zip.open(info) as fp:
                    version = npformat.read_magic(fp)
                    if version == (1, 0):
                        shape, fortran, dtype = npformat.read_array_header_1_0(fp, max_header_size=MAX_NPY_HEADER)
                    elif version == (2, 0):
                        shape, fortran, dtype = npformat.read_array_header_2_0(fp, max_header_size=MAX_NPY_HEADER)
                    else:
                        raise self.error(f"unsupported npy format version {version}", key)
                    header = fp.tell()
            except ValueError as err:
                if str(err).startswith(str(self.path)):
                    raise
                raise self.error(f"bad npy header ({err})", key) from None
            except Exception as err:  # noqa: BLE001 - zlib, CRC and EOF errors of a damaged member
                raise self.error(f"damaged ({type(err).__name__}: {err})", key) from None
            if not isinstance(shape, tuple) or any(not isinstance(d, int) or d < 0 for d in shape):
                raise self.error(f"bad shape {shape!r} in its npy header", key)
            if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.itemsize == 0:
                raise self.error(f"has dtype {dtype} (pickled objects and structured arrays are refused)", key)
            nbytes = math.prod(shape) * dtype.itemsize
            if header + nbytes != info.file_size:
                raise self.error(
                    f"its header declares shape {shape} of {dtype} ({nbytes:,d} bytes) but the member holds "
                    f"{max(info.file_size - header, 0):,d} bytes of data",
                    key,
                )
            self.entries[key] = (shape, dtype)
            self._infos[key] = (info, header, bool(fortran))

    def read(self, key: str) -> np.ndarray:
        """The array of one member (a new, writable array in native byte order)."""
        info, header, fortran = self._infos[key]
        shape, dtype = self.entries[key]
        nbytes = info.file_size - header
        data = bytearray(nbytes)  # at most what the checked headers declared
        try:
            with self._zip.open(info) as fp:
                fp.read(header)
                view, got = memoryview(data), 0
                while got < nbytes:
                    n = fp.readinto(view[got : got + (1 << 24)])  # chunks: zipfile copies through a buffer
                    if not n:
                        break
                    got += n
                if got != nbytes:
                    raise self.error(f"truncated: {got:,d} of {nbytes:,d} bytes", key)
                if fp.read(1):  # never more than declared; reaching the end also checks the CRC
                    raise self.error("holds more data than its header declares", key)
        except ValueError as err:
            if str(err).startswith(str(self.path)):
                raise
            raise self.error(f"damaged ({err})", key) from None
        except Exception as err:  # noqa: BLE001 - zlib, CRC and EOF errors of a damaged member
            raise self.error(f"damaged ({type(err).__name__}: {err})", key) from None
        array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        return array.astype(dtype.newbyteorder("="), copy=False) if not dtype.isnative else array


def load(path: str | os.PathLike, *, max_bytes: int | None = None) -> Network:
    """The network saved in `path` by save(); ValueError naming the file and the entry for any bad content.

    `max_bytes` (default MAX_MODEL_BYTES) caps what the file may inflate to, all members together; it is
    checked before anything is inflated."""
    path = Path(path)
    max_bytes = MAX_MODEL_BYTES if max_bytes is None else max_bytes
    with NpzReader(path, max_bytes=max_bytes, what="neuralviz model file") as npz:
        meta = _read_meta(npz)
        spec, dtype, seed = _meta_fields(npz, meta)
        unknown = sorted(k for k in npz.entries if k != "__meta__" and not k.startswith(("param/", "mask/")))
        if unknown:
            raise npz.error(
                f"unexpected entries {unknown} (a model file holds '__meta__', 'param/...' and 'mask/...' only)"
            )
        try:
            net = Network.from_spec(spec, seed=seed, dtype=dtype)
        except Exception as err:  # noqa: BLE001 - a crafted spec must fail as a bad file, whatever breaks
            raise npz.error(f"invalid network spec: {type(err).__name__}: {err}", "__meta__.spec") from None
        params = {p.name: p for p in net.parameters()}
        stored = {k[len("param/") :]: k for k in npz.entries if k.startswith("param/")}
        missing, extra = sorted(set(params) - set(stored)), sorted(set(stored) - set(params))
        if missing or extra:
            raise npz.error(
                f"its parameters do not match its spec: missing {missing}, unexpected {['param/' + k for k in extra]}"
            )
        for name, key in stored.items():  # every header checked before any weight is inflated
            shape, dt = npz.entries[key]
            if dt.kind != "f":
                raise npz.error(f"has dtype {dt}; parameters must be real floating point", key)
            if shape != params[name].value.shape:
                raise npz.error(f"has shape {shape}, but the spec gives {name} shape {params[name].value.shape}", key)
        state = {}
        for name, key in stored.items():
            value = npz.read(key)
            if not np.all(np.isfinite(value)):
                raise npz.error("contains NaN or inf (a diverged model is refused)", key)
            state[name] = value
        masks = _read_masks(npz, params)
    try:
        net.load_state_dict(state)
        net.set_masks(masks)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return net


def _read_masks(npz: NpzReader, params: dict) -> dict[str, np.ndarray]:
    """The 'mask/<name>' entries: bool arrays of their parameter's shape (none in older files)."""
    masks = {}
    for key in (k for k in npz.entries if k.startswith("mask/")):
        name = key[len("mask/") :]
        shape, dt = npz.entries[key]
        if name not in params:
            raise npz.error(f"masks a parameter the spec does not have ({name!r})", key)
        if dt.kind != "b" or shape != params[name].value.shape:
            raise npz.error(f"must be a bool array of shape {params[name].value.shape}, got {dt} {shape}", key)
        masks[name] = npz.read(key)
    return masks


def _read_meta(npz: NpzReader) -> dict:
    if "__meta__" not in npz.entries:
        raise ValueError(f"{npz.path} is not a neuralviz model file (no '__meta__' entry)")
    shape, dtype = npz.entries["__meta__"]
    if dtype != np.uint8 or len(shape) != 1:
        raise npz.error(f"must be 1-D uint8 (JSON bytes), got {dtype} of shape {shape}", "__meta__")
    if shape[0] > MAX_META_BYTES:
        raise npz.error(f"{shape[0]:,d} bytes of metadata is more than the {MAX_META_BYTES:,d} allowed", "__meta__")
    raw = npz.read("__meta__").tobytes()
    meta = parse_json(raw, f"{npz.path}: entry '__meta__'")
    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ValueError(f"{npz.path}: unsupported model format {found!r} (expected {FILE_FORMAT!r})")
    return meta


def _meta_fields(npz: NpzReader, meta: dict) -> tuple[dict, str, int]:
    if "spec" not in meta:
        raise npz.error("metadata has no 'spec' (the network the weights belong to)", "__meta__.spec")
    spec = meta["spec"]
    if not isinstance(spec, dict):
        # never a path or JSON text: a file's content must not make us open another file
        raise npz.error(f"must be a JSON object (the network spec itself), got {type(spec).__name__}", "__meta__.spec")
    dtype = meta.get("dtype", "float32")
    if dtype not in _DTYPES:
        raise npz.error(f"must be one of {list(_DTYPES)}, got {reprlib.repr(dtype)}", "__meta__.dtype")
    seed = meta.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise npz.error(f"must be a whole number >= 0, got {reprlib.repr(seed)}", "__meta__.seed")
    return spec, dtype, seed


def parse_json(raw: bytes, where: str):
    """JSON from bytes, strictly: UTF-8, no NaN/Infinity, no nesting deep enough to exhaust the stack;
    ValueError starting with `where` otherwise."""

    def no_constants(name):
        raise ValueError(f"{name} is not valid JSON")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=no_constants)
    except UnicodeDecodeError as err:
        raise ValueError(f"{where}: not UTF-8 text ({err})") from None
    except RecursionError:
        raise ValueError(f"{where}: JSON nested too deeply") from None
    except ValueError as err:  # JSONDecodeError, huge integers
        raise ValueError(f"{where}: not valid JSON ({err})") from None
