"""The table of datasets `load` knows, and the validation of their options.

Each dataset registers a builder together with a declaration of its options (default, checker, one-line doc).
`load` checks the user's options against that declaration *before* generating anything, so a typo or an
out-of-range value fails with a message naming the option, and the resolved options (defaults filled in) are
stored on the Dataset, which is what lets the app save a dataset choice and regenerate it bit for bit.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Checker: (dataset name, option name, raw value) -> normalised value, or raise ValueError.
Checker = Callable[[str, str, Any], Any]

KINDS = ("planar", "regression", "image", "sequence")


@dataclass(frozen=True)
class Option:
    default: Any
    check: Checker
    doc: str


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # one of KINDS: which panel/views of the app suit the data
    task: str  # see Dataset.task
    summary: str
    options: dict[str, Option]
    build: Callable[..., Any]  # build(rng: np.random.Generator, seed, **resolved_options) -> Dataset
    requires: tuple[str, ...] = field(default=())  # options with no usable default (e.g. mnist's path)


REGISTRY: dict[str, Entry] = {}


def register(
    name: str, *, kind: str, task: str, summary: str, options: dict[str, Option], requires: tuple[str, ...] = ()
):
    """Decorator adding a builder to the registry under `name`."""
    if kind not in KINDS:
        raise ValueError(f"unknown dataset kind {kind!r}")

    def decorate(build):
        REGISTRY[name] = Entry(name, kind, task, summary, dict(options), build, tuple(requires))
        return build

    return decorate


def resolve_options(entry: Entry, given: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with the given options, every value checked and normalised."""
    unknown = sorted(set(given) - set(entry.options))
    if unknown:
        raise ValueError(
            f"load({entry.name!r}): unknown option {unknown[0]!r}; "
            f"{entry.name} accepts {', '.join(sorted(entry.options))}"
        )
    for name in entry.requires:
        if given.get(name) is None:
            raise ValueError(f"load({entry.name!r}): option {name!r} is required ({entry.options[name].doc})")
    resolved = {}
    for name, opt in entry.options.items():
        value = given.get(name, opt.default)
        resolved[name] = opt.check(entry.name, name, value)
    return resolved


# ---------------------------------------------------------------------------------------------- checkers


def _where(dataset: str, option: str, value: Any) -> str:
    return f"load({dataset!r}): option {option}={value!r}"


def integer(lo: int, hi: int | None = None) -> Checker:
    """An int in [lo, hi] (bool rejected: `n=True` is a bug, not 1)."""

    def check(dataset, option, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{_where(dataset, option, value)} must be an integer")
        value = int(value)
        if value < lo or (hi is not None and value > hi):
            bound = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
            raise ValueError(f"{_where(dataset, option, value)} is outside {bound}")
        return value

    return check


def optional_integer(lo: int, hi: int | None = None) -> Checker:
    inner = integer(lo, hi)
    return lambda dataset, option, value: None if value is None else inner(dataset, option, value)


def real(lo: float, hi: float) -> Checker:
    """A finite real number in [lo, hi], returned as a Python float."""

    def check(dataset, option, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{_where(dataset, option, value)} must be a number")
        value = float(value)
        if not (lo <= value <= hi):  # also rejects NaN
            raise ValueError(f"{_where(dataset, option, value)} is outside [{lo}, {hi}]")
        return value

    return check


def choice(*allowed: Any) -> Checker:
    def check(dataset, option, value):
        if value not in allowed:
            raise ValueError(f"{_where(dataset, option, value)} is not one of {', '.join(repr(a) for a in allowed)}")
        return value

    return check


def float_dtype(dataset: str, option: str, value: Any) -> str:
    """'float32' or 'float64' (numpy dtypes and their names accepted); stored as the name so options stay JSON."""
    try:
        dt = np.dtype(value)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{_where(dataset, option, value)} must be 'float32' or 'float64'")
    return dt.name


def directory(dataset: str, option: str, value: Any) -> str | None:
    """A path-like; existence is checked by the loader, whose error names the files it looked for."""
    if value is None:
        return None
    try:
        return os.fspath(value)
    except TypeError:
        raise ValueError(f"{_where(dataset, option, value)} must be a path") from None


# Options shared by most datasets, declared once so their docs and ranges stay the same everywhere.
def n_option(default: int, lo: int = 4, hi: int = 1_000_000) -> Option:
    return Option(default, integer(lo, hi), "number of examples, train and test together")


def noise_option(default: float, doc: str) -> Option:
    return Option(default, real(0.0, 0.5), doc)


def test_fraction_option(default: float) -> Option:
    return Option(default, real(0.0, 0.9), "fraction of the examples held out as the test set")


DTYPE_OPTION = Option("float32", float_dtype, "dtype of the float arrays: 'float32' or 'float64'")
