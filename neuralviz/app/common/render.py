"""Turning the numbers of a snapshot into pixels: heat-maps, class maps and QImages.

The colour mapping runs in neuralviz.viz.colormap_rgba (one pass in C, into a reused buffer), so a
frame with dozens of neuron maps costs well under a millisecond of the GUI thread.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage

from ...viz import colormap_rgba
from .theme import Theme, class_rgb, diverging_lut

# Backgrounds under data points are paled this much toward white, so the points (full colour) stand out.
PALE = 0.3


class HeatmapPainter:
    """Maps value arrays to RGBA with the theme's diverging colour map (-1 .. 0 .. 1)."""

    def __init__(self, theme: Theme):
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.lut = diverging_lut(theme)
        self.pale_lut = self.lut.copy()
        self.pale_lut[:, :3] = np.rint(self.lut[:, :3] + (255.0 - self.lut[:, :3]) * PALE).astype(np.uint8)
        self._class_rgb: dict[int, np.ndarray] = {}

    def diverging(self, values: np.ndarray, scale: float = 1.0, pale: bool = False) -> np.ndarray:
        """(H, W) values in [-scale, scale] -> (H, W, 4) uint8 (orange negative, blue positive)."""
        values = np.ascontiguousarray(values, dtype=np.float32)
        out = np.empty(values.shape + (4,), dtype=np.uint8)
        scale = float(scale) if np.isfinite(scale) and scale > 0 else 1.0
        return colormap_rgba(values, self.pale_lut if pale else self.lut, -scale, scale, out)

    def diverging_stack(self, values: np.ndarray, scales: np.ndarray, pale: bool = False) -> np.ndarray:
        """(N, H, W) maps, map i in [-scales[i], scales[i]] -> (N, H, W, 4) uint8 in one pass (a frame's
        dozens of neuron maps cost one call, not one each)."""
        values = np.asarray(values, dtype=np.float32)
        if values.ndim != 3:
            raise ValueError(f"diverging_stack: values must be (N, H, W), got shape {values.shape}")
        n, h, w = values.shape
        scales = np.asarray(scales, dtype=np.float32).reshape(-1)
        if len(scales) != n:
            raise ValueError(f"diverging_stack: {n} maps but {len(scales)} scales")
        scales = np.where(np.isfinite(scales) & (scales > 0), scales, np.float32(1.0))
        unit = np.ascontiguousarray(values / scales[:, None, None]).reshape(n * h, w)
        out = np.empty((n, h, w, 4), dtype=np.uint8)
        colormap_rgba(unit, self.pale_lut if pale else self.lut, -1.0, 1.0, out.reshape(n * h, w, 4))
        return out

    def probability(self, p: np.ndarray, discretize: bool = False) -> np.ndarray:
        """(H, W) p(class 1) -> pale RGBA: orange (class 0) .. neutral .. blue (class 1)."""
        v = (2.0 * p - 1.0).astype(np.float32)
        if discretize:
            v = np.where(v >= 0, np.float32(0.8), np.float32(-0.8))
        return self.diverging(v, pale=True)

    def classes(self, probs: np.ndarray, discretize: bool = False) -> np.ndarray:
        """(K, H, W) class probabilities -> RGBA: the winning class's colour, paler where unsure."""
        k = probs.shape[0]
        colours = self._class_rgb.setdefault(k, class_rgb(self.theme, k))
        winner = probs.argmax(axis=0)
        if discretize:
            confidence = np.full(winner.shape, 0.6, dtype=np.float32)
        else:
            confidence = ((probs.max(axis=0) - 1.0 / k) / (1.0 - 1.0 / k)).astype(np.float32)
        white = np.float32(255.0)
        rgb = white + (colours[winner] - white) * (confidence[..., None] * (1.0 - PALE))
        out = np.empty(winner.shape + (4,), dtype=np.uint8)
        out[..., :3] = np.clip(rgb, 0, 255).astype(np.uint8)
        out[..., 3] = 255
        return out


def neuron_scale(values: np.ndarray) -> float:
    """Colour scale of a neuron's map: ±1 for bounded units (tanh, sigmoid); the largest |value| when the
    unit goes beyond (ReLU), so unbounded units stay readable and weak ones look weak."""
    m = float(np.nanmax(np.abs(values))) if values.size else 1.0
    return m if np.isfinite(m) and m > 1.0 else 1.0


def neuron_scales(values: np.ndarray) -> np.ndarray:
    """neuron_scale of each of the maps values[0], values[1], ... in one pass: (N, ...) -> (N,)."""
    flat = np.abs(np.asarray(values, dtype=np.float32).reshape(len(values), -1))
    if flat.shape[1] == 0:
        return np.ones(len(values), dtype=np.float32)
    m = np.fmax.reduce(flat, axis=1)  # NaN-ignoring max (NaN only when a whole map is NaN)
    return np.where(np.isfinite(m) & (m > 1.0), m, np.float32(1.0))


def to_qimage(rgba: np.ndarray, flip: bool = True) -> QImage:
    """An (H, W, 4) uint8 array as a QImage that owns its pixels; flip puts row 0 at the bottom
    (the maps are stored with x2 increasing down the rows, as plots draw them)."""
    if flip:
        rgba = rgba[::-1]
    rgba = np.ascontiguousarray(rgba)
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def grey_qimage(image: np.ndarray) -> QImage:
    """An (H, W) array in [0, 1] as a greyscale QImage (white background, dark strokes... as stored)."""
    g = np.ascontiguousarray(np.clip(image * 255.0, 0, 255).astype(np.uint8))
    h, w = g.shape
    return QImage(g.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
