"""Lecture presets (assets/presets/*.json): a network spec, a dataset with its options,
training hyperparameters and the views the app opens. The CLI and the app both start
from these, so every demo of the lecture is one name away."""

from __future__ import annotations

import json
from pathlib import Path

from .data import asset_path

PRESET_FORMAT = "neuralviz.preset/1"


def _preset_dir() -> Path:
    return asset_path("presets/xor.json").parent


def names() -> list[str]:
    return sorted(p.stem for p in _preset_dir().glob("*.json"))


def load(name: str) -> dict:
    """The preset dict for a name (see assets/presets/)."""
    path = _preset_dir() / f"{name}.json"
    if not path.is_file():
        raise ValueError(f"unknown preset {name!r}; available: {', '.join(names())}")
    preset = json.loads(path.read_text(encoding="utf-8"))
    if preset.get("format") != PRESET_FORMAT:
        raise ValueError(f"{path}: not a neuralviz preset (format {preset.get('format')!r})")
    return preset
