"""The grid over the input plane of 2-D data: where a decision map (and every neuron's map) is evaluated.

The studio's decision boundary, the comparison's maps and the editor's node pictures all evaluate the
network on the same kind of grid, so they agree on what "the plane" is:

    extent = square_extent(points)            # (-r, r, -r, r): every point inside, at least the Playground's ±6
    xy = grid_points(extent, 96)               # (96*96, 2) cell centres, row = x2, column = x1
    x = input_grid(extent, 96, ["x1", "x2", "x1*x2"])   # the network's inputs there (features expanded)
    p = probabilities(predict(net, x), loss).reshape(96, 96)   # row i: x2 of row i (draw it flipped: x2 up)

No Qt.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..data.features import expand_features

__all__ = ["square_extent", "grid_points", "input_grid", "PLAYGROUND_HALF_WIDTH"]

PLAYGROUND_HALF_WIDTH = 6.0  # the TensorFlow Playground shows the plane from -6 to 6
MARGIN = 1.05  # the farthest point sits 5% inside the edge


def square_extent(points: np.ndarray, least: float = PLAYGROUND_HALF_WIDTH) -> tuple[float, float, float, float]:
    """(x1 min, x1 max, x2 min, x2 max) of the square [-r, r]² around the origin that holds every point with
    a 5% margin, r rounded up to a whole number and at least `least` (the Playground's view, so the small
    lecture datasets all look alike). points: (N, 2), possibly empty."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"square_extent: points must have shape (N, 2), got {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError("square_extent: points contain NaN or inf")
    r = float(max(least, np.ceil(np.abs(points).max() * MARGIN))) if len(points) else float(least)
    return (-r, r, -r, r)


def grid_points(extent: Sequence[float], size: int) -> np.ndarray:
    """(size * size, 2) float64: the centres of a size x size grid of cells over extent = (x1 min, x1 max,
    x2 min, x2 max), row-major with x2 down the rows and x1 along them (reshape a value per point to
    (size, size): row i, column j is cell (x1_j, x2_i))."""
    x0, x1, y0, y1 = (float(v) for v in extent)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"grid_points: size must be an integer >= 1, got {size!r:.60}")
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"grid_points: extent must have min < max on both axes, got {tuple(extent)}")
    xs = x0 + (np.arange(size) + 0.5) * ((x1 - x0) / size)
    ys = y0 + (np.arange(size) + 0.5) * ((y1 - y0) / size)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def input_grid(extent: Sequence[float], size: int, features: Sequence[str] = ("x1", "x2")) -> np.ndarray:
    """The network's inputs over the grid: grid_points with the Playground features expanded (float64)."""
    return expand_features(grid_points(extent, size), features)
