"""FisherProbe: the Fisher matrix at one run's current weights, next to its approximations, as pictures.

What the inspector shows (research brief §6.3: curvature matrices side by side, correlation-normalised):
    exact   F = (1/N) Σ J_nᵀ Λ_n J_n on a probe of training points (only up to EXACT_LIMIT parameters)
    kfac    K-FAC's block-diagonal G ⊗ A            qd    Ollivier's quasi-diagonal metric
    diag    the diagonal
each as correlations F_ij / √(F_ii F_jj) and as signed log-magnitudes; its eigenvalue spectrum (how
badly conditioned the problem is, and where λ cuts in); the condition number over time.
Pure numpy (the worker thread runs it); pictures are pooled to at most TILE_PIXELS² so a frame stays small.
"""
from __future__ import annotations

import time
from typing import Optional

import numpy as np

from ...optim.natural import MAX_MATRIX_PARAMS, fisher_matrices
from ..snapshot import frozen
from .config import EXACT_LIMIT
from .frames import FisherFrame, FisherTile
from .race_run import RaceRun

PROBE_POINTS = 200        # training points the inspector's Fisher is measured on
TILE_PIXELS = 240         # larger matrices are max-pooled to this many rows and columns
DECADES = 8               # the log-magnitude picture spans this many decades below the largest entry
SPECTRA_UP_TO = 600       # eigenvalues of every approximation up to this size (above: the tracked one only)
COND_CAP = 1e17           # beyond this the double-precision Fisher is numerically singular
TITLES = {"exact": "exact Fisher F", "kfac": "K-FAC: G ⊗ A per layer", "qd": "quasi-diagonal",
          "diag": "diagonal"}
ORDER = ("exact", "kfac", "qd", "diag")


def pooled(m: np.ndarray, size: int = TILE_PIXELS) -> np.ndarray:
    """m reduced to at most size x size by keeping, per block, the entry of largest magnitude."""
    n = m.shape[0]
    if n <= size:
        return m
    k = -(-n // size)
    pad = k * (-(-n // k)) - n
    a = np.pad(m, ((0, pad), (0, pad)))
    b = a.reshape(a.shape[0] // k, k, a.shape[1] // k, k).transpose(0, 2, 1, 3).reshape(a.shape[0] // k,
                                                                                        a.shape[1] // k, -1)
    idx = np.abs(b).argmax(axis=-1)
    return np.take_along_axis(b, idx[..., None], axis=-1)[..., 0]


def correlation(m: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diag(m), 0.0, None))
    scale = np.outer(d, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(scale > 0, m / np.where(scale > 0, scale, 1.0), 0.0)
    return np.clip(c, -1.0, 1.0)


def magnitude(m: np.ndarray, reference: float) -> np.ndarray:
    """sign(F_ij) · (1 + log10(|F_ij| / reference) / DECADES), clipped to [-1, 1]."""
    if reference <= 0:
        return np.zeros_like(m)
    with np.errstate(divide="ignore"):
        level = 1.0 + np.log10(np.abs(m) / reference) / DECADES
    return np.sign(m) * np.clip(level, 0.0, 1.0)


def layer_ranges(blocks: list[tuple[str, int, int]]) -> tuple[tuple[str, int, int], ...]:
    """Parameter blocks (h1.weight, h1.bias, ...) merged per layer: (layer id, start, stop)."""
    out: list[list] = []
    for name, start, stop in blocks:
        layer = name.rsplit(".", 1)[0]
        if out and out[-1][0] == layer and out[-1][2] == start:
            out[-1][2] = stop
        else:
            out.append([layer, start, stop])
    return tuple((a, int(b), int(c)) for a, b, c in out)


def condition(eigenvalues: np.ndarray, damping: float) -> tuple[float, float]:
    """(cond(F), cond(F + λI)) from F's eigenvalues, largest first; inf where singular."""
    top, low = float(eigenvalues[0]), float(eigenvalues[-1])
    if top <= 0:
        return np.inf, np.inf
    low = max(low, 0.0)
    cond = top / low if low > top / COND_CAP else np.inf
    damped = (top + damping) / (low + damping) if low + damping > 0 else np.inf
    return cond, damped


class FisherProbe:
    """Measures FisherFrames for the runs of one race and remembers each run's condition number."""

    def __init__(self, x: np.ndarray, y: np.ndarray, loss: str):
        self.x, self.y, self.loss = x[:PROBE_POINTS], y[:PROBE_POINTS], loss
        self._cond: dict[str, list[tuple[int, float, float]]] = {}

    def measure(self, run: RaceRun, step: int, fisher: str, damping: float) -> FisherFrame:
        start = time.perf_counter()
        params = run.net.num_parameters()
        base = dict(step=step, run_label=run.label, run_title=run.choice.title, parameters=params,
                    fisher=fisher, damping=float(damping))
        if params > MAX_MATRIX_PARAMS:
            return self._empty(base, f"{params:,d} parameters: the Fisher would be a {params:,d} × {params:,d} "
                                     f"matrix ({8 * params * params / 1e9:,.0f} GB); the inspector draws "
                                     f"networks up to {MAX_MATRIX_PARAMS:,d} parameters.", start)
        kinds = (["exact"] if params <= EXACT_LIMIT else []) + ["kfac", "qd", "diag"]
        message = "" if params <= EXACT_LIMIT else (
            f"The exact Fisher is not computed above {EXACT_LIMIT:,d} parameters (this network has "
            f"{params:,d}); its approximations are.")
        with np.errstate(all="ignore"):
            try:
                mats = fisher_matrices(run.net, self.x, self.y, self.loss, fisher, kinds=kinds)
            except ValueError:   # a layer K-FAC / QD do not cover (recurrent, embedding, ...)
                kinds = [k for k in kinds if k in ("exact", "diag")]
                mats = fisher_matrices(run.net, self.x, self.y, self.loss, fisher, kinds=kinds)
                message = (message + " " if message else "") + "K-FAC and QD do not cover this network's layers."
        blocks = next(iter(mats.values()))[1]
        reference = max(float(np.abs(m).max()) for m, _ in mats.values())
        tiles = tuple(FisherTile(k, TITLES[k], frozen(pooled(correlation(mats[k][0])).astype(np.float32)),
                                 frozen(pooled(magnitude(mats[k][0], reference)).astype(np.float32)), params)
                      for k in ORDER if k in mats)
        tracked = "exact" if "exact" in mats else "kfac" if "kfac" in mats else "diag"
        spectra = {}
        for kind, (m, _) in mats.items():
            if kind == "diag":
                spectra[kind] = frozen(np.sort(np.diag(m))[::-1].copy())
            elif kind == tracked or params <= SPECTRA_UP_TO:
                spectra[kind] = frozen(np.linalg.eigvalsh(m)[::-1].copy())
        cond, damped = condition(spectra[tracked], damping)
        history = self._cond.setdefault(run.label, [])
        if history and history[-1][0] >= step:
            history[:] = [h for h in history if h[0] < step]
        history.append((step, cond, damped))
        h = np.asarray(history, dtype=np.float64)
        return FisherFrame(**base, tiles=tiles, layers=layer_ranges(blocks), spectra=spectra, cond_kind=tracked,
                           cond_steps=frozen(h[:, 0]), cond=frozen(h[:, 1]), cond_damped=frozen(h[:, 2]),
                           message=message, seconds=time.perf_counter() - start)

    def _empty(self, base: dict, message: str, start: float) -> FisherFrame:
        empty = frozen(np.zeros(0))
        return FisherFrame(**base, tiles=(), layers=(), spectra={}, cond_kind="", cond_steps=empty, cond=empty,
                           cond_damped=empty, message=message, seconds=time.perf_counter() - start)

    def forget(self, label: Optional[str] = None) -> None:
        if label is None:
            self._cond.clear()
        else:
            self._cond.pop(label, None)
