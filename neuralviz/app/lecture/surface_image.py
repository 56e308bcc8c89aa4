"""The loss surface as a picture: a shaded contour map, computed in numpy so the view only hands it to an
ImageItem (and the band levels to its isocurves).

Log loss, because the surface spans decades between the valley floor and the rim; interpolated UPSAMPLE
times finer than it was computed, so a 61 x 61 grid shows no blocky cells on a projector.
"""

from __future__ import annotations

import numpy as np

from ..common.theme import Theme, diverging_lut
from .surface_worker import SurfaceData

__all__ = ["surface_image", "UPSAMPLE", "BANDS"]

UPSAMPLE = 4  # the surface is drawn interpolated 4x finer than it is computed (no blocky cells)
BANDS = 12  # contour bands over the surface's log-loss range


def surface_image(data: SurfaceData, theme: Theme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rgba (F, F, 4) uint8, fine log-loss (F, F), band levels): the surface upsampled UPSAMPLE times
    (linear interpolation of log10 loss), coloured from the theme's blue (low loss) to its neutral (high),
    in BANDS steps softened by the continuous value, like a shaded contour map."""
    logz = np.log10(np.maximum(data.z, 1e-12))
    fine = _upsample(logz, UPSAMPLE)
    lo, hi = float(np.percentile(fine, 0.5)), float(fine.max())  # the lowest 0.5%: one dark valley floor
    t = np.clip((fine - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(fine)
    shade = 0.65 * np.floor(t * BANDS).clip(0, BANDS - 1) / (BANDS - 1) + 0.35 * t
    lut = diverging_lut(theme)[128:][::-1]  # blue (low) .. neutral (high)
    rgba = lut[np.clip((shade * (len(lut) - 1)).round().astype(int), 0, len(lut) - 1)]
    levels = lo + (hi - lo) * np.arange(1, BANDS) / BANDS
    return np.ascontiguousarray(rgba), fine, levels


def _upsample(z: np.ndarray, k: int) -> np.ndarray:
    """Linear interpolation onto a grid k times finer (the corners stay where they are)."""
    rows, cols = z.shape
    r_new, c_new = np.linspace(0, rows - 1, (rows - 1) * k + 1), np.linspace(0, cols - 1, (cols - 1) * k + 1)
    tmp = np.stack([np.interp(c_new, np.arange(cols), row) for row in z])
    return np.stack([np.interp(r_new, np.arange(rows), col) for col in tmp.T]).T
