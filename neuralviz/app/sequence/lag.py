"""The lag of a sequence task: how far back the net must remember (no Qt).

The adding problem's lag is its length T (the two marked numbers lie anywhere in it); the copy task's is its
delay D (the steps between the symbols and the go marker). Changing it changes the sequences' length, so the
network's input_shape must follow: with_lag() loads the dataset with the new option and fits the net's T to it,
and the run starts over from scratch (a net trained on one T is not the net of another).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from ... import data, presets
from ...data import Dataset

# dataset name -> (option that sets the lag, its label on the page, its lowest value)
LAG_OPTIONS = {"adding": ("length", "T", 2), "copy": ("delay", "Delay", 1)}
MAX_LAG = 200  # longer sequences train too slowly to watch (the datasets themselves allow 1000)


@dataclass(frozen=True)
class Lag:
    """The lag option of a preset's task: which option, its label, its value and range."""

    option: str
    label: str
    value: int
    low: int
    high: int = MAX_LAG


def lag_of(preset: dict) -> Lag | None:
    """The preset's lag (None if its task has none to change): the dataset option's value, or its default."""
    ds_cfg = preset.get("dataset") or {}
    found = LAG_OPTIONS.get(ds_cfg.get("name")) if isinstance(ds_cfg, dict) else None
    if found is None:
        return None
    option, label, low = found
    value = (ds_cfg.get("options") or {}).get(option)
    if value is None:
        value = data.default_options(ds_cfg["name"])[option]
    return Lag(option, label, int(value), low, max(MAX_LAG, int(value)))


def with_lag(preset: dict, lag: int | None, seed: int, where: str) -> tuple[dict, Dataset | None]:
    """The preset with its task's lag set to `lag` and the net's input length fitted to the new sequences, and
    the dataset it loaded to learn that length (None, and the preset unchanged, for lag None). ValueError if
    the task has no lag or `lag` is out of range."""
    if lag is None:
        return preset, None
    found = lag_of(preset)
    if found is None:
        raise ValueError(f"{where}: the task {(preset.get('dataset') or {}).get('name')!r} has no lag to set")
    if isinstance(lag, bool) or not isinstance(lag, int) or not found.low <= lag <= found.high:
        raise ValueError(f"{where}: {found.label} must be an integer in [{found.low}, {found.high}], got {lag!r:.40}")
    preset = copy.deepcopy(preset)
    ds_cfg = preset["dataset"]
    ds_cfg["options"] = {**(ds_cfg.get("options") or {}), found.option: lag}
    ds = presets.load_dataset(ds_cfg, seed, where)
    shape = list(preset["network"]["input_shape"])
    shape[0] = int(ds.x_train.shape[1])
    preset["network"]["input_shape"] = shape
    return preset, ds
