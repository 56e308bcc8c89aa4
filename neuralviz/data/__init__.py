"""Datasets for the demos: ``ds = neuralviz.data.load(name, seed=0, **options)``.

=============== ========== =========================== ==========================================================
name            kind       task                        x / y
=============== ========== =========================== ==========================================================
xor, circles,   planar     classification              (N, 2) in about [-6, 6]² / (N,) int64; Playground style
gaussians,                                             (`noise` 0-0.5, `test_fraction` 0.5); `classes` for
spirals, moons,                                        circles/gaussians/spirals/checkerboard
checkerboard
sine, step, abs regression regression                  (N, 1) in [-1, 1] / (N, 1); bumps: a sum of
bumps                                                  Gaussian bumps (`bumps` 1-8) where width matters
digits          image      classification              (N, 1, 8, 8) in [0, 1] / (N,) int64, 1797 real digits
shapes          image      classification              (N, 1, S, S) / (N,) int64, 4 shapes
mnist,          image      classification              (N, 1, 28, 28) / (N,) int64 from IDX files: path=DIR
fashion_mnist
sine_forecast   sequence   sequence-regression         (N, T, 1) / (N, horizon)
adding          sequence   sequence-regression         (N, T, 2) / (N, 1)
copy            sequence   sequence-labeling           (N, T, K+2) one-hot / (N, T) int64 (target="last":
                                                       sequence-classification, (N,))
two_lags        sequence   sequence-regression         (N, T, 1) random ±1 / (N, 1) = x[T-1-short] + x[T-1-long]
story_qa        sequence   sequence-classification     (N, T) int64 token ids / (N,) int64 place index;
                                                       layout="memory": (N, S+1, J) sentence rows, question last
char_text       sequence   sequence-classification     (N, T) int64 character ids / (N,) int64 next character;
                                                       Shakespeare's Coriolanus (text.py), `ds.vocab` = characters
segmentation    image      segmentation                (N, 3, S, S) aerial scenes / (N, S, S) int64 class per pixel
                                                       (segmentation.py: CLASSES, CLASS_COLOURS; `size` 64)
=============== ========== =========================== ==========================================================

Every dataset is a pure function of (name, seed, options): the same seed gives identical arrays, and
``load(ds.name, seed=ds.seed, **ds.options)`` regenerates a dataset. Float arrays are float32 unless
``dtype="float64"``. Class labels stay int64; ``ds.targets("bce")`` or `to_targets` convert them for a loss.

Minibatch order comes from ``BatchStream(n, batch_size, seed=...)`` (batch_stream.py), the one source of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Importing the generator modules registers their datasets; this order is the order names() lists them in.
from . import planar, regression, images, sequences, story_qa, text, segmentation  # noqa: F401  isort:skip
from ._assets import asset_path
from ._registry import KINDS, REGISTRY, resolve_options
from .batch_stream import BatchStream
from .dataset import TASKS, Dataset, make_rng, to_targets
from .features import PLAYGROUND_FEATURES, expand_features
from .idx import read_idx, write_idx

__all__ = [
    "load",
    "names",
    "describe",
    "default_options",
    "Dataset",
    "BatchStream",
    "to_targets",
    "expand_features",
    "PLAYGROUND_FEATURES",
    "read_idx",
    "write_idx",
    "asset_path",
    "TASKS",
    "KINDS",
    "REGISTRY",
    "resolve_options",
]


def names(kind: str | None = None) -> list[str]:
    """Dataset names in registration order, optionally only one kind ('planar', 'regression', 'image', 'sequence')."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"names: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return [name for name, entry in REGISTRY.items() if kind is None or entry.kind == kind]


def _entry(name: str):
    entry = REGISTRY.get(name)
    if entry is None:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(names())}")
    return entry


def default_options(name: str) -> dict[str, Any]:
    """The options `load(name)` uses when none are given (None marks a required option such as mnist's path)."""
    return {opt: spec.default for opt, spec in _entry(name).options.items()}


def describe(name: str) -> dict[str, Any]:
    """What the app's dataset panel shows: kind, task, one-line summary and each option's default and doc."""
    entry = _entry(name)
    return {
        "name": name,
        "kind": entry.kind,
        "task": entry.task,
        "summary": entry.summary,
        "options": {opt: {"default": spec.default, "doc": spec.doc} for opt, spec in entry.options.items()},
        "required": list(entry.requires),
    }


def load(name: str, seed: int | np.random.Generator = 0, **options: Any) -> Dataset:
    """Generate (or read) dataset `name`; see the module docstring for the names and describe(name) for options.

    Raises ValueError for an unknown name or a bad option (naming it), FileNotFoundError for missing data files.
    """
    entry = _entry(name)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer, np.random.Generator)):
        raise ValueError(f"load({name!r}): seed must be an int or a numpy Generator, got {seed!r}")
    if not isinstance(seed, np.random.Generator) and seed < 0:
        raise ValueError(f"load({name!r}): seed must be >= 0, got {seed}")
    resolved = resolve_options(entry, options)
    parts = entry.build(make_rng(seed), **resolved)
    task = parts.pop("task", entry.task)
    return Dataset(
        name=name,
        task=task,
        kind=entry.kind,
        options=resolved,
        seed=None if isinstance(seed, np.random.Generator) else int(seed),
        **parts,
    )
