"""Saving and loading a network: one .npz file holding the spec (JSON), the weights and
a format version. Writes go to a temporary file that is renamed into place, so a crash or
a full disk never leaves a half-written model; loading checks everything and names the
file in every error."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .network import Network

FILE_FORMAT = "neuralviz.model/1"


def save(net: Network, path: str | Path) -> Path:
    path = Path(path)
    meta = {"format": FILE_FORMAT, "spec": net.to_spec(), "dtype": str(net.dtype), "seed": net.seed}
    arrays = {f"param/{k}": v for k, v in net.state_dict().items()}
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: str | Path) -> Network:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            files = data.files
            meta = json.loads(bytes(data["__meta__"]).decode("utf-8")) if "__meta__" in files else None
            state = {k[len("param/") :]: data[k] for k in files if k.startswith("param/")}
    except Exception as err:  # zip, npy header, JSON and decoding errors all mean "corrupt"
        raise ValueError(
            f"{path} is not a readable neuralviz model file (truncated or corrupt): {type(err).__name__}: {err}"
        ) from None
    if meta is None:
        raise ValueError(f"{path} is not a neuralviz model file (no metadata)")
    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        raise ValueError(
            f"{path}: unsupported model format {meta.get('format') if isinstance(meta, dict) else meta!r}"
            f" (expected {FILE_FORMAT!r})"
        )
    net = Network.from_spec(meta["spec"], seed=meta.get("seed", 0), dtype=meta.get("dtype", "float32"))
    try:
        net.load_state_dict(state)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return net
