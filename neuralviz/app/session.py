"""Saving and opening a studio session: the settings as JSON next to the weights as .npz.

    lecture.json            {"format": "neuralviz.session/1", "settings": {...}, "step": ...,
                             "weights": "lecture.weights.npz"}
    lecture.weights.npz     one array per parameter ("h1.weight", ...)

Both files are written to a temporary name and renamed into place, so an interrupted save never leaves a
half-written session. Opening checks the format and names the file in every error.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .settings import StudioSettings

SESSION_FORMAT = "neuralviz.session/1"


def weights_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".weights.npz")


def save_session(
    path: str | Path,
    settings: StudioSettings,
    params: dict[str, np.ndarray] | None = None,
    step: int = 0,
    epoch: float = 0.0,
) -> Path:
    """Writes the session file (and the weights file when params are given); returns the session path."""
    path = Path(path)
    meta = {
        "format": SESSION_FORMAT,
        "settings": settings.to_dict(),
        "step": int(step),
        "epoch": float(epoch),
        "weights": weights_path(path).name if params else None,
    }
    if params:
        _atomic_write(weights_path(path), lambda fh: np.savez(fh, **{k: np.asarray(v) for k, v in params.items()}))
    _atomic_write(path, lambda fh: fh.write(json.dumps(meta, indent=1).encode("utf-8")))
    return path


def load_session(path: str | Path) -> tuple[StudioSettings, dict[str, np.ndarray] | None, dict]:
    """(settings, weights or None, metadata) of a saved session."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"session file not found: {path}")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a neuralviz session (not valid JSON: {err})") from None
    if not isinstance(meta, dict) or meta.get("format") != SESSION_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ValueError(f"{path} is not a neuralviz session (format {found!r}, expected {SESSION_FORMAT!r})")
    settings = StudioSettings.from_dict(meta.get("settings", {}))
    state = None
    if meta.get("weights"):
        wpath = path.parent / meta["weights"]
        if not wpath.is_file():
            raise FileNotFoundError(f"{path}: its weights file {wpath} is missing")
        try:
            with np.load(wpath, allow_pickle=False) as data:
                state = {k: data[k] for k in data.files}
        except Exception as err:  # zip and header errors both mean a damaged file
            raise ValueError(f"{wpath} is not a readable weights file: {err}") from None
    return settings, state, meta


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
