"""Saving and opening a studio session: the settings as JSON next to the weights as .npz.

    lecture.json                          {"format": "neuralviz.session/1", "settings": {...}, "step": 300,
                                           "epoch": 75.0, "weights": "lecture.weights.3f9c0a1b2d4e5f60.npz"}
    lecture.weights.3f9c0a1b2d4e5f60.npz  one array per parameter ("h1.weight", ...)

A save is atomic as a whole: the weights go to a NEW file (a fresh random version in its name), which is
written to a temporary name, fsynced, renamed into place and its folder fsynced; only then is the JSON, which
names that file, replaced the same way (written last). A kill at any moment leaves either the old JSON with
the old weights it names, or the new JSON with the new weights -- never a JSON naming weights that are not
there or not its own. After the new JSON is in place, the session's older weights files are removed (also
those of saves that were killed before their JSON was written), and so are temporaries of killed saves.

Opening is strict and complete before anything else happens: the JSON (at most MAX_SESSION_BYTES) must hold
exactly the keys above with the right types and ranges (every settings field is checked, see
validate_settings; errors name the file and the field, e.g. ``settings.batch_size``), and its "weights" entry
must be the bare name of a .npz file in the session's own folder (no path, no "..", not a link leading
elsewhere) -- the only file a session makes us open. The weights file is read like a model file
(neuralviz.io.NpzReader: sizes checked before inflating, real floating-point arrays only, no NaN or inf).

Compatibility: sessions written before versioned weights (``"weights": "lecture.weights.npz"``) open as
before; the format string is unchanged, because the JSON's layout is: only the weights file's name differs.
"""

from __future__ import annotations

import copy
import json
import math
import numbers
import os
import re
import reprlib
import secrets
from dataclasses import fields
from pathlib import Path

import numpy as np

from .. import data as nvdata
from .. import losses, optim
from ..data import REGISTRY, resolve_options
from ..io import NpzReader, atomic_write, check_regular_file, parse_json, temp_is_abandoned
from ..spec import normalise
from .common.spec_edit import ACTIVATION_TYPES, CHOOSABLE_ACTIVATIONS
from .settings import REGULARIZATIONS, StudioSettings

SESSION_FORMAT = "neuralviz.session/1"
MAX_SESSION_BYTES = 16 * 1024**2  # the JSON (a spec, settings and point edits: a few KiB in practice)
# The weights file, inflated (checked before inflating). The studio trains float32 networks within the engine's
# default parameter budget (2**28 parameters): their weights never need more.
MAX_WEIGHTS_BYTES = 2**28 * 4 + MAX_SESSION_BYTES
MAX_POINT_EDITS = 100_000
_TOP_KEYS = ("format", "settings", "step", "epoch", "weights")
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict = 60, 60, 6, 4


def weights_path(path: str | Path) -> Path:
    """Where sessions written before versioned weights kept theirs (still opened, removed by the next save)."""
    path = Path(path)
    return path.with_name(path.stem + ".weights.npz")


def _weights_pattern(path: Path) -> re.Pattern:
    """Names of the weights files a save of `path` writes, and of their temporaries."""
    return re.compile(re.escape(path.stem) + r"\.weights(?:\.[0-9a-f]{16})?\.npz(?P<tmp>\.[a-z0-9_]{8}\.tmp)?")


# ---------------------------------------------------------------------------------------------- saving
def save_session(
    path: str | Path,
    settings: StudioSettings,
    params: dict[str, np.ndarray] | None = None,
    step: int = 0,
    epoch: float = 0.0,
) -> Path:
    """Writes the session (the weights file first when params are given, the JSON last); returns its path.

    The session is checked as open_session will check it before anything is written, so a save never
    produces a session that does not open."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save the session to {path}: it is a directory")
    meta = {
        "format": SESSION_FORMAT,
        "settings": settings.to_dict(),
        "step": int(step),
        "epoch": float(epoch),
        "weights": None,
    }
    state = {k: np.asarray(v) for k, v in params.items()} if params else None
    if state:
        meta["weights"] = f"{path.stem}.weights.{secrets.token_hex(8)}.npz"
    validate_session(meta, path)
    if state:
        _check_weights(state, path)
        _remove_files_of(path, keep=None, temps_only=True)
        atomic_write(path.parent / meta["weights"], lambda fh: np.savez(fh, **state))
    atomic_write(path, lambda fh: fh.write(json.dumps(meta, indent=1).encode("utf-8")))
    _remove_files_of(path, keep=meta["weights"])
    return path


def _remove_files_of(path: Path, keep: str | None, temps_only: bool = False) -> None:
    """Remove the weights files of this session other than `keep`, and temporaries of killed saves."""
    pattern = _weights_pattern(path)
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or entry.name == keep:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if match["tmp"] is not None:
                if temp_is_abandoned(entry.path):
                    os.unlink(entry.path)
            elif not temps_only:
                os.unlink(entry.path)
        except OSError:
            continue


# ---------------------------------------------------------------------------------------------- opening
def load_session(path: str | Path) -> tuple[StudioSettings, dict[str, np.ndarray] | None, dict]:
    """(settings, weights or None, metadata) of a saved session; the whole session is checked first.

    Raises ValueError naming the file and the field for any bad content, FileNotFoundError for a missing
    session or weights file."""
    path = Path(path)
    check_regular_file(path, "session file")
    with open(path, "rb") as fh:
        raw = fh.read(MAX_SESSION_BYTES + 1)
    if len(raw) > MAX_SESSION_BYTES:
        raise ValueError(f"{path} is not a neuralviz session (larger than {MAX_SESSION_BYTES:,d} bytes)")
    meta = parse_json(raw, f"{path} is not a neuralviz session")
    if not isinstance(meta, dict) or meta.get("format") != SESSION_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ValueError(f"{path} is not a neuralviz session (format {found!r}, expected {SESSION_FORMAT!r})")
    validate_session(meta, path)
    settings = StudioSettings.from_dict(meta["settings"])
    state = None
    if meta.get("weights") is not None:
        state = _read_weights(path, meta["weights"])
    return settings, state, meta


def _read_weights(path: Path, name: str) -> dict[str, np.ndarray]:
    folder = path.parent
    wpath = folder / name
    if os.path.dirname(os.path.realpath(wpath)) != os.path.realpath(folder):
        raise ValueError(f"{path}: 'weights' {name!r} leads outside the session's folder (a link)")
    if not wpath.exists():
        raise FileNotFoundError(f"{path}: its weights file {wpath} is missing")
    with NpzReader(wpath, max_bytes=MAX_WEIGHTS_BYTES, what="weights file") as npz:
        for key, (_shape, dtype) in npz.entries.items():
            if dtype.kind != "f":
                raise npz.error(f"has dtype {dtype}; weights must be real floating point", key)
        state = {}
        for key in npz.entries:
            value = npz.read(key)
            if not np.all(np.isfinite(value)):
                raise npz.error("contains NaN or inf (weights of a diverged run are refused)", key)
            state[key] = value
    return state


def _check_weights(state: dict[str, np.ndarray], path: Path) -> None:
    for key, value in state.items():
        if value.dtype.kind != "f" or not np.all(np.isfinite(value)):
            raise ValueError(f"cannot save the session {path}: weights {key!r} are not finite real numbers")


# ---------------------------------------------------------------------------------------------- checking
def validate_session(meta: dict, path: str | Path = "session") -> None:
    """ValueError naming `path` and the field unless `meta` is a complete, valid session dict."""
    unknown = sorted(set(meta) - set(_TOP_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {unknown}; a session holds {', '.join(_TOP_KEYS)}")
    if "settings" not in meta:
        raise ValueError(f"{path}: 'settings' is missing")
    step = meta.get("step", 0)
    if not _is_int(step) or not 0 <= step < 2**63:
        raise ValueError(f"{path}: 'step' must be a whole number >= 0, got {_repr.repr(step)}")
    epoch = meta.get("epoch", 0.0)
    if not _is_real(epoch) or not 0 <= epoch < math.inf:
        raise ValueError(f"{path}: 'epoch' must be a finite number >= 0, got {_repr.repr(epoch)}")
    weights = meta.get("weights")
    if weights is not None:
        if not isinstance(weights, str) or not _is_bare_npz_name(weights):
            raise ValueError(
                f"{path}: 'weights' must be the name of a .npz file in the session's own folder "
                f"(no folder part, no '..'), got {_repr.repr(weights)}"
            )
    validate_settings(meta["settings"], path)


def _is_bare_npz_name(name: str) -> bool:
    return (
        name.endswith(".npz")
        and len(name) <= 255
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
        and (os.name != "nt" or ":" not in name)  # a Windows drive ("C:x.npz") or stream
        and name not in (".", "..")
        and os.path.basename(name) == name
        and not os.path.isabs(name)
    )


def validate_settings(data, path: str | Path = "session") -> None:
    """ValueError naming `path` and the field (``settings.<field>``) unless `data` is a valid settings dict.

    Types are strict (no bool for a number, no float for a count) and ranges are those the panels offer where
    a panel edits the value (batch size 1..4096, seed 0..999999), so nothing is clamped or reinterpreted
    later. Missing fields take their defaults (older sessions)."""
    if not isinstance(data, dict):
        raise ValueError(f"{path}: 'settings' must be a JSON object, got {type(data).__name__}")
    names = [f.name for f in fields(StudioSettings)]
    unknown = sorted(set(data) - set(names), key=str)
    if unknown:
        raise ValueError(f"{path}: unknown settings key(s) {unknown}")
    for key in names:
        if key in data:
            problem = _CHECKS[key](data[key], data) if key in _CHECKS else None
            if problem:
                raise ValueError(f"{path}: settings.{key} {problem}, got {_repr.repr(data[key])}")


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and math.isfinite(v)


def _int_in(lo: int, hi: int | None):
    def check(v, _):
        if _is_int(v) and lo <= v and (hi is None or v <= hi):
            return None
        return f"must be a whole number >= {lo}" if hi is None else f"must be a whole number from {lo} to {hi:,d}"

    return check


def _real_in(lo: float, hi: float = math.inf, hi_open: bool = False):
    top = f"below {hi:g}" if hi_open else (f"at most {hi:g}" if hi < math.inf else "")

    def check(v, _):
        ok = _is_real(v) and lo <= v and (v < hi if hi_open else v <= hi)
        return None if ok else f"must be a finite number >= {lo:g}" + (f" and {top}" if top else "")

    return check


def _one_of(options, optional: bool = False):
    options = tuple(options)

    def check(v, _):
        if v is None and optional:
            return None
        if isinstance(v, str) and v in options:
            return None
        return "must be " + ("null or " if optional else "") + "one of " + ", ".join(map(str, options))

    return check


def _string(v, _):
    return None if isinstance(v, str) else "must be a string"


def _network(v, _):
    if not isinstance(v, dict):
        return "must be a network spec (a JSON object)"
    if not v:
        return None  # no network yet: the run says "pick a preset"
    try:
        normalise(copy.deepcopy(v))
    except Exception as err:  # noqa: BLE001 - whatever a crafted spec breaks, it is an invalid spec
        return f"is not a valid network spec ({type(err).__name__}: {err})"
    return None


def _dataset_options(v, data):
    if not isinstance(v, dict) or any(not isinstance(k, str) for k in v):
        return "must be a JSON object of option values"
    entry = REGISTRY.get(data.get("dataset", StudioSettings.dataset))
    if entry is None:
        return None  # settings.dataset is reported
    try:
        resolve_options(entry, v)
    except Exception as err:  # noqa: BLE001
        return f"are not valid ({err})"
    return None


def _features(v, _):
    if not isinstance(v, list) or any(not isinstance(f, str) or f not in nvdata.PLAYGROUND_FEATURES for f in v):
        return "must be a list of input features from " + ", ".join(nvdata.PLAYGROUND_FEATURES)
    return None


def _hidden(v, _):
    if v is None:
        return None
    if not isinstance(v, list) or len(v) > 256 or any(not _is_int(n) or not 1 <= n < 2**31 for n in v):
        return "must be null or a list of layer widths (whole numbers >= 1)"
    return None


def _point_edits(v, _):
    if not isinstance(v, list) or len(v) > MAX_POINT_EDITS:
        return f"must be a list of at most {MAX_POINT_EDITS:,d} point edits"
    for i, e in enumerate(v):
        add = isinstance(e, list) and len(e) == 4 and e[0] == "add" and _is_int(e[3]) and 0 <= e[3] < 2**31
        remove = isinstance(e, list) and len(e) == 3 and e[0] == "remove"
        if not (add or remove) or not all(_is_real(x) for x in e[1:3]):
            return f'[{i}] must be ["add", x1, x2, label] or ["remove", x1, x2] with finite numbers'
    return None


_CHECKS = {
    "preset": _string,
    "title": _string,
    "network": _network,
    "dataset": _one_of(nvdata.names()),
    "dataset_options": _dataset_options,
    "data_seed": _int_in(0, None),  # the seed, then +1 per "regenerate"
    "features": _features,
    "loss": _one_of(losses.LOSSES, optional=True),
    "optimizer": _one_of(optim.names()),
    "lr": _real_in(0.0),
    "batch_size": _int_in(1, 4096),  # the batch-size box's range
    "regularization": _one_of(REGULARIZATIONS),
    "reg_rate": _real_in(0.0),
    "hidden": _hidden,
    "activation": _one_of(dict.fromkeys((*ACTIVATION_TYPES, *CHOOSABLE_ACTIVATIONS, "mixed")), optional=True),
    "dropout": _real_in(0.0, 1.0, hi_open=True),
    "input_noise": _real_in(0.0),
    "seed": _int_in(0, 999_999),  # the seed box's range
    "point_edits": _point_edits,
}
