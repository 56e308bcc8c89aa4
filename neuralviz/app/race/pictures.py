"""What a run's panel draws, computed in the worker thread from the run's network (no Qt).

PLANE      2-D data: the network's output over a grid on the plane (every run on the same square, so the
           panels read as mirror images), its inputs expanded into each run's own features
LINE       1-D regression: the fitted curve over a common x range
CONFUSION  other classification (digits): the test confusion matrix, rows = true class, normalised per row
SCATTER    other regression to one number (the adding problem's sequences): the prediction against the target
           for the first test examples; the diagonal is a perfect answer, a horizontal band a net that answers
           the mean whatever the sequence
NUMBERS    anything else: the panel shows its numbers only
"""

from __future__ import annotations

import numpy as np

from ...data import expand_features
from ...prediction import predict, predict_labels, probabilities
from ...viz import grid_points, square_extent
from .frames import CONFUSION, LINE, NUMBERS, PLANE, SCATTER, RunData, frozen

GRID = 128  # cells a side of the plane's map (small nets: a smooth boundary costs nothing) ...
COARSE_GRID = 64  # ... and for networks above COARSE_ABOVE parameters
COARSE_ABOVE = 20_000
LINE_POINTS = 200  # points of a fitted curve
SCATTER_POINTS = 200  # test examples in a prediction-vs-target scatter


def plane_inputs(dataset, plane: np.ndarray) -> np.ndarray | None:
    """The run's network inputs at 2-D points of the plane, or None when its inputs are not (features of) x1, x2."""
    names = list(dataset.feature_names or [])
    width = dataset.x_train.shape[1] if dataset.x_train.ndim == 2 else 0
    if dataset.kind != "planar" or width == 0:
        return None
    if len(names) == width:
        try:
            return expand_features(plane, names)
        except ValueError:
            return None
    return plane if width == 2 else None


def raw_points(dataset) -> RunData:
    """The points as drawn: x1, x2 of planar data (whatever features the network reads), x of a curve."""
    names = list(dataset.feature_names or [])
    cols = [names.index("x1"), names.index("x2")] if {"x1", "x2"} <= set(names) else [0, 1]
    if dataset.kind != "planar":
        cols = [0]

    def pick(x):
        return frozen(np.asarray(x, dtype=np.float64).reshape(len(x), -1)[:, cols])

    return RunData(
        train_x=pick(dataset.x_train),
        train_y=frozen(dataset.y_train),
        test_x=pick(dataset.x_test),
        test_y=frozen(dataset.y_test),
    )


def picture_kind(datasets) -> str:
    """The one kind of picture every run can show (NUMBERS when they differ)."""
    if all(plane_inputs(d, np.zeros((1, 2))) is not None for d in datasets):
        return PLANE
    if all(d.task == "regression" and d.x_train.ndim == 2 and d.x_train.shape[1] == 1 for d in datasets):
        return LINE
    if all(d.is_classification and d.num_classes and d.num_classes <= 20 and len(d.x_test) for d in datasets):
        return CONFUSION
    if all(_one_number(d) for d in datasets):
        return SCATTER
    return NUMBERS


def _one_number(dataset) -> bool:
    """Regression to one number per example, with test examples to show."""
    y = dataset.y_test
    regression = dataset.task in ("regression", "sequence-regression")
    return regression and y is not None and len(y) > 0 and int(np.prod(np.shape(y)[1:])) == 1


def scatter_points(dataset) -> RunData:
    """SCATTER: the targets of the first SCATTER_POINTS test examples (the predictions come with each frame)."""
    n = min(SCATTER_POINTS, len(dataset.y_test))
    empty = frozen(np.zeros((0, 1)))
    target = frozen(np.asarray(dataset.y_test[:n], dtype=np.float64).reshape(n))
    return RunData(train_x=empty, train_y=empty, test_x=frozen(np.arange(n, dtype=np.float64)[:, None]), test_y=target)


class Pictures:
    """The grid, the line and the extent shared by every run of one race, and each run's picture."""

    def __init__(self, datasets, kind: str, parameters: int = 0):
        self.kind = kind
        self.grid = GRID if parameters <= COARSE_ABOVE else COARSE_GRID
        self.data = tuple(
            raw_points(d) if kind in (PLANE, LINE) else scatter_points(d) if kind == SCATTER else None for d in datasets
        )
        self.extent = None
        self.line_x = None
        self._inputs: list[np.ndarray | None] = [None] * len(datasets)
        if kind == PLANE:
            everything = np.concatenate([np.concatenate([d.train_x, d.test_x]) for d in self.data])
            self.extent = square_extent(everything)
            plane = grid_points(self.extent, self.grid)
            self._inputs = [plane_inputs(d, plane).astype(d.x_train.dtype) for d in datasets]
        elif kind == LINE:
            xs = np.concatenate([np.concatenate([d.train_x, d.test_x]).ravel() for d in self.data])
            ys = np.concatenate([np.concatenate([d.train_y, d.test_y]).ravel() for d in self.data]).astype(float)
            lo, hi = float(xs.min()), float(xs.max())
            pad = 0.04 * ((hi - lo) or 1.0)
            self.line_x = frozen(np.linspace(lo - pad, hi + pad, LINE_POINTS))
            ypad = 0.12 * (float(ys.max() - ys.min()) or 1.0)
            self.extent = (lo - pad, hi + pad, float(ys.min()) - ypad, float(ys.max()) + ypad)
            self._inputs = [self.line_x[:, None].astype(d.x_train.dtype) for d in datasets]
        elif kind == SCATTER:
            targets = np.concatenate([d.test_y for d in self.data])
            lo, hi = float(targets.min()), float(targets.max())
            pad = 0.08 * ((hi - lo) or 1.0)
            self.extent = (lo - pad, hi + pad, lo - pad, hi + pad)
            self._inputs = [d.x_test[: len(r.test_y)] for d, r in zip(datasets, self.data)]

    def draw(self, index: int, net, loss: str) -> np.ndarray | None:
        """Run `index`'s picture now (PLANE / LINE; CONFUSION comes from the evaluation's test outputs)."""
        x = self._inputs[index]
        if x is None:
            return None
        out = predict(net, x)
        if self.kind in (LINE, SCATTER):
            return frozen(np.asarray(out, dtype=np.float64).reshape(len(x), -1)[:, 0])
        p = np.nan_to_num(probabilities(out, loss), nan=0.5)
        g = self.grid
        p = p.reshape(g, g) if p.ndim == 1 else p.T.reshape(-1, g, g)
        return frozen(p.astype(np.float32))


def confusion(out: np.ndarray, y: np.ndarray, loss: str, classes: int) -> np.ndarray:
    """(K, K) float32: row t, column p = share of the class-t examples predicted as p (rows sum to 1)."""
    predicted = predict_labels(out, loss).ravel()
    true = np.asarray(y).reshape(len(predicted), -1)
    true = true.argmax(axis=1) if true.shape[1] > 1 else true[:, 0].astype(np.int64)
    m = np.zeros((classes, classes), dtype=np.float64)
    np.add.at(m, (np.clip(true, 0, classes - 1), np.clip(predicted, 0, classes - 1)), 1.0)
    rows = m.sum(axis=1, keepdims=True)
    return frozen((m / np.maximum(rows, 1.0)).astype(np.float32))


__all__ = ["Pictures", "picture_kind", "confusion", "CONFUSION", "LINE", "NUMBERS", "PLANE", "SCATTER"]
