"""Fuzz cases for the files the engine and the app open: `run_case(seed)`.

Each seed (numpy.random.default_rng(seed)) picks one kind of file -- a model (.nvz), an IDX file (.idx or
.idx.gz) or a studio session (JSON + weights .npz) -- writes a valid one into a temporary folder the case
creates and removes, mutates it, and opens it with the public loader: ``nv.load`` (then one forward pass on
a zero input when that is small), ``nv.data.read_idx``, ``neuralviz.app.session.load_session``.

Mutations start from valid files and include: truncation, bit flips, random overwrites, insertions and
garbage; zip members dropped, duplicated, renamed, swapped, added, re-compressed; npy headers with inflated
shapes or odd dtypes (complex, bool, int, datetime, object, structured); parameters of the wrong shape or with
NaN/inf; decompression bombs (a few MB of deflated zeros declaring up to 4 GB, in a zip member or a gzip
stream) and zip/IDX headers declaring sizes the data does not have; metadata that is not JSON, nests too deep,
lacks its spec, or gives a path or another odd value for the spec, dtype or seed; odd values anywhere in a
spec; sessions with odd settings (``"step": 1.5``, ``"batch_size": "ten"`` or ``-5``, ...), unknown or
missing keys, and weights entries that leave the session's folder (``../w.npz``, absolute paths, a link
to a file outside, NUL bytes).

`run_case` returns when the file loads (or the loader refuses it cleanly) and raises what the loader raises:
the harness counts ValueError/TypeError/OSError as clear errors and anything else as unclear. The helpers
(zip_bytes, deflate_zeros, gzip_bomb, npy_bytes) are also used by tests/test_hardening_files.py.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

KINDS = ("model", "idx", "idx.gz", "session")

# ---------------------------------------------------------------------------------------------- file helpers


def npy_header(shape: tuple, descr: str = "<f4", fortran: bool = False) -> bytes:
    """The bytes of an npy 1.0 header declaring `shape` of `descr` (no data)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": fortran, "shape": tuple(shape)})
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(array), allow_pickle=True)
    return buf.getvalue()


def deflate_zeros(prefix: bytes, zeros: int, level: int = 9) -> bytes:
    """A raw deflate stream of `prefix` followed by `zeros` zero bytes, made in milliseconds even for
    gigabytes: after a full flush the compressor starts afresh, so one compressed 16 MiB block of zeros
    is simply repeated."""
    chunk = 1 << 24
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    out = [c.compress(prefix), c.flush(zlib.Z_FULL_FLUSH)]
    whole, rest = divmod(zeros, chunk)
    if whole:
        block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
        out.append(block * whole)
    out.append(c.compress(bytes(rest)))
    out.append(c.flush(zlib.Z_FINISH))
    return b"".join(out)


def zip_bytes(members: list[dict]) -> bytes:
    """A zip written by hand, so that it can lie. Each member: name, data (the stored or deflated bytes),
    method (0 stored, 8 deflated), size (the declared uncompressed size), crc (declared CRC-32). Names may
    repeat; sizes may be anything below 4 GiB."""
    out, central = bytearray(), bytearray()
    for m in members:
        name = m["name"].encode("utf-8")
        data, method = m["data"], m.get("method", 0)
        size = m.get("size", len(data)) & 0xFFFFFFFF
        crc = m.get("crc", zlib.crc32(data) if method == 0 else 0) & 0xFFFFFFFF
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(name), 0)
        out += name + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size, len(name), 0, 0, 0, 0,
            0, offset,
        )  # fmt: skip
        central += name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def stored(name: str, payload: bytes) -> dict:
    return {"name": name, "data": payload, "method": 0, "size": len(payload), "crc": zlib.crc32(payload)}


def deflated(name: str, payload: bytes) -> dict:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = c.compress(payload) + c.flush()
    return {"name": name, "data": data, "method": 8, "size": len(payload), "crc": zlib.crc32(payload)}


def zip_bomb_member(name: str, declared_bytes: int, descr: str = "<f4") -> dict:
    """A deflated npy member of zeros declaring `declared_bytes` of data (a few MB for gigabytes)."""
    itemsize = np.dtype(descr).itemsize
    count = declared_bytes // itemsize
    header = npy_header((count,), descr)
    data = deflate_zeros(header, count * itemsize)
    return {"name": name, "data": data, "method": 8, "size": len(header) + count * itemsize, "crc": 0}


def gzip_bytes(payload: bytes) -> bytes:
    return gzip_wrap(zlib.compress(payload, 6)[2:-4], zlib.crc32(payload), len(payload))


def gzip_wrap(deflate: bytes, crc: int, size: int) -> bytes:
    return (
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + deflate + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)
    )


def gzip_bomb(prefix: bytes, zeros: int) -> bytes:
    """A gzip file of `prefix` + `zeros` zero bytes (CRC left 0: a reader that inflates it all fails late)."""
    return gzip_wrap(deflate_zeros(prefix, zeros), 0, len(prefix) + zeros)


def idx_header(code: int, shape: tuple) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


# ---------------------------------------------------------------------------------------------- odd values
def _odd_value(rng: np.random.Generator):
    pool = [
        None, True, False, 0, -1, 1, 2, 3, 7, -5, 2**31, 2**32 - 1, 2**63 - 1, 2**64, -(2**63), 10**30,
        0.5, 1.5, -0.0, 1e308, -1e-300, "", "ten", "3", "/etc/passwd", "../../x.json", "nan", "\x00",
        [], [1], [[[]]], {}, {"a": 1}, "x" * 1000,
    ]  # fmt: skip
    return copy.deepcopy(pool[int(rng.integers(len(pool)))])


def _deep(depth: int) -> str:
    """A placeholder that dumps() turns into `depth` nested lists (built as text: no recursion here)."""
    return f"__DEEP_{depth}__"


def dumps(value, **kw) -> str:
    """json.dumps, with NaN allowed and every _deep placeholder expanded."""
    text = json.dumps(value, **kw)
    return re.sub(r'"__DEEP_(\d+)__"', lambda m: "[" * int(m[1]) + "0" + "]" * int(m[1]), text)


def _nodes(value, path=()):
    """(path, value) of every node of a JSON value."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, path + (i,))


def _set(root, path, value):
    if not path:
        return value
    node = root
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return root


def _mutate_json(rng: np.random.Generator, value, times: int = 1):
    """Replace, delete or add a few nodes of a JSON value with odd values."""
    value = copy.deepcopy(value)
    for _ in range(times):
        nodes = list(_nodes(value))
        path, node = nodes[int(rng.integers(len(nodes)))]
        r = rng.random()
        if r < 0.6 or not path:
            new = _deep(int(rng.integers(20, 3000))) if rng.random() < 0.05 else _odd_value(rng)
            value = _set(value, path, new)
        elif r < 0.8:
            parent = value
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        elif isinstance(node, dict):
            node[str(_odd_value(rng))[:20]] = _odd_value(rng)
        elif isinstance(node, list):
            node.append(_odd_value(rng))
    return value


def _mutate_bytes(rng: np.random.Generator, data: bytes) -> bytes:
    """One byte-level corruption."""
    data = bytearray(data)
    n = len(data)
    op = int(rng.integers(9))
    if op == 0 and n:  # truncate
        return bytes(data[: int(rng.integers(n))])
    if op == 1 and n:  # flip bits
        for _ in range(int(rng.integers(1, 20))):
            i = int(rng.integers(n))
            data[i] ^= 1 << int(rng.integers(8))
        return bytes(data)
    if op == 2 and n:  # overwrite a range with random bytes
        i = int(rng.integers(n))
        k = int(rng.integers(1, 64))
        data[i : i + k] = rng.integers(0, 256, size=len(data[i : i + k]), dtype=np.uint8).tobytes()
        return bytes(data)
    if op == 3:  # insert random bytes
        i = int(rng.integers(n + 1))
        return (
            bytes(data[:i])
            + rng.integers(0, 256, size=int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
            + bytes(data[i:])
        )
    if op == 4 and n:  # zero a range
        i = int(rng.integers(n))
        data[i : i + int(rng.integers(1, 256))] = bytes(len(data[i : i + int(rng.integers(1, 256))]))
        return bytes(data)
    if op == 5:  # append garbage
        return bytes(data) + rng.integers(0, 256, size=int(rng.integers(1, 512)), dtype=np.uint8).tobytes()
    if op == 6:  # nothing at all
        return b""
    if op == 7:  # all random
        return rng.integers(0, 256, size=int(rng.integers(1, 4096)), dtype=np.uint8).tobytes()
    # set a 32-bit little- or big-endian field somewhere to a huge value (declared sizes, counts, offsets)
    if n >= 4:
        i = int(rng.integers(n - 3))
        big = int(rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x10000000, 0]))
        data[i : i + 4] = struct.pack("<I" if rng.random() < 0.5 else ">I", big)
    return bytes(data)


# ---------------------------------------------------------------------------------------------- models
def _model_spec(rng: np.random.Generator) -> dict:
    kind = int(rng.integers(5))
    if kind == 0:
        return {
            "input_shape": [int(rng.integers(1, 5))],
            "layers": [
                {"id": "h", "type": "dense", "units": int(rng.integers(1, 6))},
                {"id": "a", "type": str(rng.choice(["tanh", "relu", "sigmoid"]))},
                {"id": "out", "type": "dense", "units": int(rng.integers(1, 4)), "bias": bool(rng.random() < 0.7)},
            ],
        }
    if kind == 1:
        return {
            "input_shape": [1, 6, 6],
            "layers": [
                {"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 3, "padding": 1},
                {"id": "r", "type": "relu"},
                {"id": "p", "type": str(rng.choice(["maxpool2d", "avgpool2d"])), "kernel_size": 2},
                {"id": "f", "type": "flatten"},
                {"id": "out", "type": "dense", "units": 3},
            ],
        }
    if kind == 2:
        return {
            "input_shape": [4, 3],
            "layers": [
                {"id": "r", "type": str(rng.choice(["rnn", "lstm", "gru"])), "hidden": 5},
                {"id": "out", "type": "dense", "units": 2},
            ],
        }
    if kind == 3:
        return {
            "input_shape": [5],
            "layers": [
                {"id": "e", "type": "embedding", "vocab": 10, "dim": 4},
                {"id": "f", "type": "flatten"},
                {"id": "out", "type": "dense", "units": 2},
            ],
        }
    return {
        "input_shape": [3],
        "layers": [
            {"id": "a", "type": "dense", "units": 4},
            {"id": "b", "type": "dense", "units": 4, "inputs": ["input"]},
            {"id": "s", "type": str(rng.choice(["add", "concat"])), "inputs": ["a", "b"]},
            {"id": "out", "type": "dense", "units": 1},
        ],
    }


def _odd_array(rng: np.random.Generator, like: np.ndarray):
    """A parameter replaced by something that must be refused (or, rarely, accepted: float16)."""
    shape = like.shape
    choice = int(rng.integers(11))
    if choice == 0:
        return like.astype(np.complex128) + 1j
    if choice == 1:
        return like > 0
    if choice == 2:
        return like.astype(np.int64)
    if choice == 3:
        return np.zeros(shape, dtype="datetime64[s]")
    if choice == 4:
        return np.array([object()] * max(1, like.size), dtype=object)
    if choice == 5:
        return np.zeros(shape, dtype=[("a", "<f4")])
    if choice == 6:
        bad = like.astype(np.float64).copy()
        bad.flat[int(rng.integers(max(1, bad.size)))] = rng.choice([np.nan, np.inf, -np.inf])
        return bad
    if choice == 7:
        return np.zeros(tuple(d + 1 for d in shape) or (2,), like.dtype)
    if choice == 8:
        return like.reshape(-1)
    if choice == 9:
        return np.asfortranarray(like.astype(">f8"))
    return like.astype(np.float16)


def _model_members(rng: np.random.Generator, net, meta: dict) -> list[dict]:
    arrays = {f"param/{k}": v for k, v in net.state_dict().items()}
    meta_text = dumps(meta)
    members: list[dict] = []
    odd = {k for k in arrays if rng.random() < 0.3}
    for key, value in arrays.items():
        if key in odd:
            value = _odd_array(rng, value)
        members.append((key, npy_bytes(value)))
    meta_bytes = meta_text.encode("utf-8")
    members.append(("__meta__", npy_bytes(np.frombuffer(meta_bytes, np.uint8))))
    op = int(rng.integers(10))
    if op == 0 and members:  # drop one
        members.pop(int(rng.integers(len(members))))
    elif op == 1 and members:  # duplicate one
        members.append(members[int(rng.integers(len(members)))])
    elif op == 2 and len(members) > 1:  # swap two members' names
        i, j = rng.choice(len(members), 2, replace=False)
        (ki, vi), (kj, vj) = members[i], members[j]
        members[i], members[j] = (kj, vi), (ki, vj)
    elif op == 3:  # an unknown member
        members.append(
            (str(rng.choice(["extra", "param/", "../evil", "param/x/y", "__meta__.npy"])), npy_bytes(np.ones(3)))
        )
    elif op == 4 and members:  # a member's npy header inflated (declared shape bigger than the data)
        i = int(rng.integers(len(members)))
        k, raw = members[i]
        header = npy_header((int(rng.choice([2**20, 2**31, 2**40, 2**62])),), "<f4")
        members[i] = (k, header + raw[len(header) :] if len(raw) > len(header) else header)
    elif op == 5:  # metadata that is not what it should be
        bad = rng.choice(["notjson", "deep", "array", "nan", "utf8"])
        payload = {
            "notjson": b"{spec: nope",
            "deep": b"[" * 200_000 + b"]" * 200_000,
            "array": b"[1, 2, 3]",
            "nan": json.dumps({**meta, "seed": float("nan")}).encode(),
            "utf8": b'{"format": "\xff\xfe"}',
        }[str(bad)]
        members = [m for m in members if m[0] != "__meta__"] + [
            ("__meta__", npy_bytes(np.frombuffer(payload, np.uint8)))
        ]
    elif op == 6:  # metadata as another dtype
        members = [m for m in members if m[0] != "__meta__"] + [
            ("__meta__", npy_bytes(np.frombuffer(meta_bytes[: len(meta_bytes) // 4 * 4], np.float32)))
        ]
    names = [f"{k}.npy" for k, _ in members]
    out = []
    for name, (_, raw) in zip(names, members):
        out.append(deflated(name, raw) if rng.random() < 0.3 else stored(name, raw))
    if rng.random() < 0.05:  # a decompression bomb in place of a parameter (or beside the metadata)
        declared = int(rng.choice([2**24, 2**28, 2**30, 3 * 2**30, 2**32 - 2**20]))
        victim = next((m["name"] for m in out if m["name"].startswith("param/")), "param/x.npy")
        out = [m for m in out if m["name"] != victim] + [zip_bomb_member(victim, declared)]
    if rng.random() < 0.05 and out:  # a member's declared (zip) size changed
        m = out[int(rng.integers(len(out)))]
        m["size"] = int(rng.choice([0, 1, m["size"] + 1, 2**31, 2**32 - 1]))
    return out


def _make_model(rng: np.random.Generator, folder: Path) -> Path:
    import neuralviz as nv

    spec = _model_spec(rng)
    net = nv.Network.from_spec(spec, seed=int(rng.integers(1000)), dtype=str(rng.choice(["float32", "float64"])))
    path = folder / "model.nvz"
    r = rng.random()
    if r < 0.1:
        nv.save(net, path)  # valid: must load
    elif r < 0.4:
        nv.save(net, path)
        data = path.read_bytes()
        for _ in range(int(rng.integers(1, 3))):
            data = _mutate_bytes(rng, data)
        path.write_bytes(data)
    else:
        meta = {"format": "neuralviz.model/1", "spec": net.to_spec(), "dtype": str(net.dtype), "seed": net.seed}
        if rng.random() < 0.5:
            meta = _mutate_meta(rng, meta, folder)
        path.write_bytes(zip_bytes(_model_members(rng, net, meta)))
    return path


def _mutate_meta(rng: np.random.Generator, meta: dict, folder: Path) -> dict:
    r = rng.random()
    if r < 0.15:  # the spec as a path (to a real JSON spec beside it, to /etc/passwd, to a FIFO ...)
        target = folder / "spec.json"
        target.write_text(json.dumps(meta["spec"]))
        meta["spec"] = str(rng.choice([str(target), "spec.json", "/etc/passwd", "/dev/zero", "../spec.json"]))
        return meta
    if r < 0.25:
        meta.pop(str(rng.choice(["spec", "format", "dtype", "seed"])), None)
        return meta
    if r < 0.4:
        meta[str(rng.choice(["dtype", "seed", "format"]))] = _odd_value(rng)
        return meta
    meta["spec"] = _mutate_json(rng, meta["spec"], int(rng.integers(1, 4)))
    return meta


def _load_model(path: Path) -> None:
    import neuralviz as nv

    net = nv.load(path)
    shape = tuple(net.input_shape)
    if int(np.prod(shape)) <= 100_000:
        types = {layer.type for layer in net.layers.values()}
        x = np.zeros((1, *shape), dtype=np.int64 if "embedding" in types else net.dtype)
        net.forward(x)


# ---------------------------------------------------------------------------------------------- IDX
_IDX_CODES = {0x08: "u1", 0x09: "i1", 0x0B: "i2", 0x0C: "i4", 0x0D: "f4", 0x0E: "f8"}


def _make_idx(rng: np.random.Generator, folder: Path, gz: bool) -> Path:
    from ..data import write_idx

    code = int(rng.choice(list(_IDX_CODES)))
    shape = tuple(int(d) for d in rng.integers(0 if rng.random() < 0.1 else 1, 7, size=int(rng.integers(1, 5))))
    values = (rng.standard_normal(shape) * 50).astype(_IDX_CODES[code])
    path = folder / ("data.idx.gz" if gz else "data.idx")
    write_idx(path, values)
    r = rng.random()
    if r < 0.1:
        return path  # valid
    payload = idx_header(code, shape) + values.astype(">" + _IDX_CODES[code]).tobytes()
    if r < 0.2 and gz:  # a bomb: a small gzip declaring up to ~4 GB of data
        count = int(rng.choice([2**24, 2**28, 3 * 2**30, 2**32 - 1]))
        dims = (count,) if rng.random() < 0.5 else (count // 4096, 4096)
        path.write_bytes(gzip_bomb(idx_header(0x08, dims), math_prod(dims)))
        return path
    if r < 0.55:  # the uncompressed content corrupted (then, for .gz, compressed properly)
        if rng.random() < 0.5:
            payload = _mutate_idx_header(rng, payload)
        else:
            payload = _mutate_bytes(rng, payload)
        path.write_bytes(gzip_bytes(payload) if gz else payload)
        return path
    data = path.read_bytes()  # the file itself corrupted (gzip stream included)
    for _ in range(int(rng.integers(1, 3))):
        data = _mutate_bytes(rng, data)
    if gz and rng.random() < 0.2:
        data = data + data  # two gzip members
    path.write_bytes(data)
    return path


def math_prod(values) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


def _mutate_idx_header(rng: np.random.Generator, payload: bytes) -> bytes:
    data = bytearray(payload)
    ndim = data[3]
    op = int(rng.integers(4))
    if op == 0:  # magic bytes
        data[int(rng.integers(4))] = int(rng.integers(256))
    elif op == 1:  # number of dimensions
        data[3] = int(rng.choice([0, 1, ndim + 1, 255]))
    elif op == 2 and ndim:  # one dimension inflated
        i = 4 + 4 * int(rng.integers(ndim))
        data[i : i + 4] = struct.pack(">I", int(rng.choice([0, 2**16, 2**31, 2**32 - 1])))
    else:  # type code
        data[2] = int(rng.choice([0x00, 0x08, 0x0E, 0x0F, 0xFF]))
    return bytes(data)


# ---------------------------------------------------------------------------------------------- sessions
_SESSION_PRESETS = ("xor", "spirals", "perceptron", "universal-approximation", "digits-cnn", "lstm-adding")
_BAD_WEIGHTS = (
    "../outside.npz",
    "../../outside.npz",
    "/etc/passwd",
    "sub/w.npz",
    "C:w.npz",
    "..npz",
    "w.npz\x00.json",
    "",
    ".",
    "..",
    "link.npz",
    "missing.npz",
    "session.json",
)


def _make_session(rng: np.random.Generator, folder: Path) -> Path:
    import neuralviz as nv

    from ..app.session import save_session
    from ..app.settings import StudioSettings

    settings = StudioSettings.from_preset(str(rng.choice(_SESSION_PRESETS)))
    net = nv.Network.from_spec(settings.network)
    inner = folder / "s"
    inner.mkdir()
    path = inner / "session.json"
    params = net.state_dict() if rng.random() < 0.9 else None
    save_session(path, settings, params, step=int(rng.integers(1000)), epoch=float(rng.random() * 10))
    outside = folder / "outside.npz"
    np.savez(outside, **net.state_dict())  # a valid weights file outside the session's folder
    meta = json.loads(path.read_text(encoding="utf-8"))
    wname = meta.get("weights")
    r = rng.random()
    if r < 0.08:
        return path  # valid
    if r < 0.14 and wname:  # an old session: weights in <stem>.weights.npz
        os.replace(inner / wname, inner / "session.weights.npz")
        meta["weights"] = "session.weights.npz"
    elif r < 0.3:  # the weights entry leaves the folder (or names something odd)
        meta["weights"] = str(rng.choice(_BAD_WEIGHTS)) if rng.random() < 0.85 else _odd_value(rng)
        if meta["weights"] == "link.npz":
            os.symlink(outside, inner / "link.npz")
    elif r < 0.55:  # odd settings values
        meta["settings"] = _mutate_json(rng, meta["settings"], int(rng.integers(1, 3)))
        if not isinstance(meta["settings"], dict):
            meta["settings"] = {"batch_size": meta["settings"]}
    elif r < 0.65:  # the three, and friends
        key = str(rng.choice(["step", "epoch", "batch_size", "lr", "seed", "dropout", "hidden", "point_edits"]))
        value = _odd_value(rng) if rng.random() < 0.5 else [1.5, "ten", -5][int(rng.integers(3))]
        if key in ("step", "epoch"):
            meta[key] = value
        else:
            meta["settings"][key] = value
    elif r < 0.72:  # top-level keys
        if rng.random() < 0.5:
            meta.pop(str(rng.choice(["settings", "format", "step", "weights"])), None)
        else:
            meta[str(_odd_value(rng))[:10]] = _odd_value(rng)
    elif r < 0.85 and wname:  # the weights file corrupted
        wpath = inner / wname
        if rng.random() < 0.5:
            data = wpath.read_bytes()
            for _ in range(int(rng.integers(1, 3))):
                data = _mutate_bytes(rng, data)
            wpath.write_bytes(data)
        else:
            state = net.state_dict()
            members = []
            for k, v in state.items():
                members.append(stored(f"{k}.npy", npy_bytes(_odd_array(rng, v) if rng.random() < 0.4 else v)))
            if rng.random() < 0.2:
                members.append(zip_bomb_member("h.weight.npy", int(rng.choice([2**28, 3 * 2**30]))))
            if rng.random() < 0.2:
                members.append(members[0])
            wpath.write_bytes(zip_bytes(members))
        return path
    text = dumps(meta, indent=1)
    raw = text.encode("utf-8")
    if r >= 0.85:  # the JSON text itself corrupted
        raw = _mutate_bytes(rng, raw)
        if rng.random() < 0.1:
            raw = b"[" * 100_000 + b"]" * 100_000
    path.write_bytes(raw)
    return path


def _load_session(path: Path) -> None:
    from ..app.session import load_session

    load_session(path)


# ---------------------------------------------------------------------------------------------- the case
def build_case(seed: int, folder: str | os.PathLike) -> tuple[str, Path]:
    """Write the (mutated) file of case `seed` into `folder`; returns (kind, path)."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    kind = KINDS[int(rng.integers(len(KINDS)))]
    if kind == "model":
        return kind, _make_model(rng, folder)
    if kind in ("idx", "idx.gz"):
        return kind, _make_idx(rng, folder, gz=kind == "idx.gz")
    return kind, _make_session(rng, folder)


def load_case(kind: str, path: Path) -> None:
    """Open a case's file with the public loader of its kind."""
    if kind == "model":
        _load_model(path)
    elif kind in ("idx", "idx.gz"):
        from ..data import read_idx

        read_idx(path)
    else:
        _load_session(path)


def run_case(seed: int) -> None:
    """Build case `seed` in a fresh temporary folder, load it, remove the folder; raises what loading raises."""
    folder = tempfile.mkdtemp(prefix="neuralviz-fuzz-files-")
    try:
        kind, path = build_case(seed, folder)
        load_case(kind, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
