"""FisherProbe: the Fisher matrix at one run's current weights, next to its approximations, as pictures.

What the inspector shows (research brief §6.3: curvature matrices side by side, correlation-normalised):
    exact   F = (1/N) Σ J_nᵀ Λ_n J_n on a probe of training points (only up to EXACT_LIMIT parameters)
    kfac    K-FAC's block-diagonal G ⊗ A            qd    Ollivier's quasi-diagonal metric
    diag    the diagonal
each as correlations F_ij / √(F_ii F_jj) and as signed log-magnitudes; its eigenvalue spectrum (how
badly conditioned the problem is, and where λ cuts in); the condition number over time.
Each matrix is the one the optimizer of that name would use (opt.refresh + opt.fisher_matrix), measured
one at a time so that only one dense P x P array exists at once. Pure numpy (the worker thread runs it);
pictures are pooled to at most TILE_PIXELS² so a frame stays small.
"""

from __future__ import annotations

import time

import numpy as np

from ... import optim
from ..common.snapshot import frozen
from .config import EXACT_LIMIT
from .frames import FisherFrame, FisherTile
from .race_run import RaceRun

PROBE_POINTS = 200  # training points the inspector's Fisher is measured on
PICTURE_LIMIT = 4000  # parameters: above this no P x P picture (each dense matrix would be > 128 MB)
TILE_PIXELS = 240  # larger matrices are max-pooled to this many rows and columns
DECADES = 8  # the log-magnitude picture spans this many decades below the largest entry
SPECTRA_UP_TO = 600  # dense eigenvalues of QD up to this size (exact: up to EXACT_LIMIT; K-FAC: factors)
COND_CAP = 1e17  # beyond this the double-precision Fisher is numerically singular
TITLES = {"exact": "exact Fisher F", "kfac": "K-FAC: G ⊗ A per layer", "qd": "quasi-diagonal", "diag": "diagonal"}
ORDER = ("exact", "kfac", "qd", "diag")
METHOD = {"exact": "ng-exact", "kfac": "kfac", "qd": "qd", "diag": "diag"}


def pooled(m: np.ndarray, size: int = TILE_PIXELS) -> np.ndarray:
    """m reduced to at most size x size by keeping, per block, the entry of largest magnitude."""
    n = m.shape[0]
    if n <= size:
        return m
    k = -(-n // size)
    pad = k * (-(-n // k)) - n
    a = np.pad(m, ((0, pad), (0, pad)))
    b = (
        a.reshape(a.shape[0] // k, k, a.shape[1] // k, k)
        .transpose(0, 2, 1, 3)
        .reshape(a.shape[0] // k, a.shape[1] // k, -1)
    )
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
        base = dict(
            step=step,
            run_label=run.label,
            run_title=run.choice.title,
            parameters=params,
            fisher=fisher,
            damping=float(damping),
        )
        if params > PICTURE_LIMIT:
            return self._empty(
                base,
                f"{params:,d} parameters: the Fisher is a {params:,d} × {params:,d} matrix "
                f"({8 * params * params / 1e9:,.1f} GB); the inspector draws networks of up to "
                f"{PICTURE_LIMIT:,d} parameters.",
                start,
            )
        notes = (
            []
            if params <= EXACT_LIMIT
            else [
                f"The exact Fisher is not computed above {EXACT_LIMIT:,d} parameters (this network has {params:,d}); "
                "its approximations are."
            ]
        )
        tiles, spectra, layers, peak = [], {}, (), 0.0
        for kind in ORDER:
            if kind == "exact" and params > EXACT_LIMIT:
                continue
            measured = self._metric(run, kind, fisher)
            if measured is None:
                if kind in ("kfac", "qd") and not any("cover" in n for n in notes):
                    notes.append("K-FAC and QD do not cover this network's layers.")
                continue
            opt, (m, blocks) = measured
            layers = layer_ranges(blocks)
            peak = max(peak, float(np.abs(m).max()))
            tiles.append((kind, pooled(correlation(m)), pooled(m)))
            spectra[kind] = self._spectrum(kind, opt, m)
            del m
        tiles = tuple(
            FisherTile(
                k, TITLES[k], frozen(c.astype(np.float32)), frozen(magnitude(raw, peak).astype(np.float32)), params
            )
            for k, c, raw in tiles
        )
        tracked = next(k for k in ("exact", "kfac", "diag", "qd") if k in spectra)
        cond, damped = condition(spectra[tracked], damping)
        history = self._cond.setdefault(run.label, [])
        history[:] = [h for h in history if h[0] < step]
        history.append((step, cond, damped))
        h = np.asarray(history, dtype=np.float64)
        return FisherFrame(
            **base,
            tiles=tiles,
            layers=layers,
            spectra=spectra,
            cond_kind=tracked,
            cond_steps=frozen(h[:, 0]),
            cond=frozen(h[:, 1]),
            cond_damped=frozen(h[:, 2]),
            message=" ".join(notes),
            seconds=time.perf_counter() - start,
        )

    def _metric(self, run: RaceRun, kind: str, fisher: str):
        """(the method's optimizer, its metric as (P x P, blocks)) at the run's weights, or None when the
        method does not cover this network's layers."""
        try:
            opt = optim.make(METHOD[kind], run.net, damping=0.0, fisher=fisher)
        except ValueError:
            return None
        with np.errstate(all="ignore"):
            opt.refresh(self.x, self.y, self.loss)
            return opt, opt.fisher_matrix()

    @staticmethod
    def _spectrum(kind: str, opt, m: np.ndarray) -> np.ndarray:
        """Eigenvalues, largest first (K-FAC's from its Kronecker factors: eig(G ⊗ A) = eig(G) eig(A))."""
        if kind == "diag":
            w = np.diag(m)
        elif kind == "kfac":
            parts = [np.outer(np.linalg.eigvalsh(g), np.linalg.eigvalsh(a)).ravel() for a, g in opt.factors().values()]
            covered = sum(p.size for p in parts)
            w = np.concatenate(parts + [np.zeros(max(0, m.shape[0] - covered))])  # uncovered parameters: 0
        elif kind == "qd" and m.shape[0] > SPECTRA_UP_TO:
            return frozen(np.zeros(0))
        else:
            w = np.linalg.eigvalsh(m)
        return frozen(np.sort(w)[::-1].copy())

    def _empty(self, base: dict, message: str, start: float) -> FisherFrame:
        empty = frozen(np.zeros(0))
        return FisherFrame(
            **base,
            tiles=(),
            layers=(),
            spectra={},
            cond_kind="",
            cond_steps=empty,
            cond=empty,
            cond_damped=empty,
            message=message,
            seconds=time.perf_counter() - start,
        )

    def forget(self, label: str | None = None) -> None:
        if label is None:
            self._cond.clear()
        else:
            self._cond.pop(label, None)
