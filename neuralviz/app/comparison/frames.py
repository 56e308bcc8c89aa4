"""The immutable objects the comparison worker hands to the views (every array a read-only copy).

RaceInfo     what stays fixed while one race runs (problem, run titles, twin description)
RunTrace     one run's history and current picture
RaceFrame    one frame: every run at the same step
FisherTile   one matrix of the Fisher inspector, ready to colour
FisherFrame  the inspector's content: tiles, spectra, condition number over time
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .config import RaceConfig
from .problem import Problem


@dataclass(frozen=True)
class RaceInfo:
    serial: int
    problem: Problem
    config: RaceConfig
    labels: tuple[str, ...]  # "A", "B", ...
    titles: tuple[str, ...]  # "SGD", "K-FAC", ...
    twin_text: str = ""  # the reparametrisation the twins live in ("" when off)
    notice: str = ""  # what the race changed on its own (substituted optimizers, ...)
    exact_allowed: bool = True  # exact natural gradient is offered (small enough network)


@dataclass(frozen=True)
class RunTrace:
    label: str
    title: str  # "K-FAC  lr 1  λ 0"
    steps: np.ndarray  # evaluated steps
    loss: np.ndarray  # training loss at those steps
    seconds: np.ndarray  # this run's own optimizer time up to those steps
    gap: np.ndarray  # relative gap to the reparametrised twin (nan without twin)
    accuracy: float | None
    output: np.ndarray | None  # planar: (H, W) p(class 1) or (K, H, W); regression: (points,)
    diverged: str = ""
    twin_diverged: str = ""
    start_digest: str = ""  # hash of the initial weights (identical for every run)
    damping: float | None = None  # λ in force (natural-gradient runs)
    info: Mapping[str, float] = field(default_factory=dict)  # the optimizer's last info (cond, ...)


@dataclass(frozen=True)
class RaceFrame:
    info: RaceInfo
    step: int
    playing: bool
    runs: tuple[RunTrace, ...]
    steps_per_second: float = 0.0
    final: bool = False
    serial: int = 0


@dataclass(frozen=True)
class FisherTile:
    kind: str  # exact | kfac | qd | diag
    title: str
    correlation: np.ndarray  # (n, n) in [-1, 1]: F_ij / sqrt(F_ii F_jj)
    magnitude: np.ndarray  # (n, n) in [-1, 1]: sign · (1 + log10(|F_ij| / max|F|) / decades)
    size: int  # P: the matrix is P x P (the images may be pooled to n x n)


@dataclass(frozen=True)
class FisherFrame:
    step: int
    run_label: str
    run_title: str
    parameters: int
    fisher: str
    damping: float
    tiles: tuple[FisherTile, ...]
    layers: tuple[tuple[str, int, int], ...]  # (layer id, start, stop) in parameter order
    spectra: Mapping[str, np.ndarray]  # kind -> eigenvalues, largest first
    cond_kind: str  # whose condition number is tracked ("exact", "kfac")
    cond_steps: np.ndarray
    cond: np.ndarray  # cond(F) at those steps (inf: singular)
    cond_damped: np.ndarray  # cond(F + λI)
    message: str = ""  # why a part is missing
    seconds: float = 0.0  # what computing this frame cost
