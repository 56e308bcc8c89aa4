"""Turning a segmentation frame's arrays into pixels: class maps in the dataset's colours, the colour image, and a
class's fuzzy score (its softmax probability) on a one-sided scale. Pure numpy, no Qt: the board only shows them.
"""

from __future__ import annotations

import numpy as np

from ..common.theme import Theme, diverging_lut, hex_to_rgb


def colour_table(colours) -> np.ndarray:
    """(K, 3) uint8 from a list of '#rrggbb' strings or RGB triples (0-255 ints or 0-1 floats), as a dataset
    module may give them; ValueError naming the entry it cannot read."""
    rows = []
    for i, c in enumerate(colours):
        if isinstance(c, str):
            rows.append(hex_to_rgb(c))
            continue
        triple = np.asarray(c, dtype=np.float64).ravel()
        if triple.shape != (3,) or not np.all(np.isfinite(triple)):
            raise ValueError(f"class colour {i} must be '#rrggbb' or an RGB triple, got {c!r:.40}")
        rows.append(triple * 255.0 if triple.max() <= 1.0 else triple)
    return np.clip(np.rint(np.array(rows, dtype=np.float64)), 0, 255).astype(np.uint8).reshape(-1, 3)


def class_map_rgb(labels: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(H, W) class ids -> (H, W, 3) uint8 in each class's colour (ids past the table wrap round)."""
    labels = np.asarray(labels, dtype=np.int64)
    return np.ascontiguousarray(table[np.mod(labels, len(table))])


def image_rgb(x: np.ndarray) -> np.ndarray:
    """A (3, H, W) image in [0, 1] (a grey (1, H, W) one too) -> (H, W, 3) uint8."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] not in (1, 3):
        raise ValueError(f"image_rgb: expected a (3, H, W) or (1, H, W) image, got shape {x.shape}")
    rgb = np.repeat(x, 3, axis=0) if x.shape[0] == 1 else x
    return np.ascontiguousarray(np.rint(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8).transpose(1, 2, 0))


def softmax(scores: np.ndarray, axis: int = 0) -> np.ndarray:
    """Class scores -> probabilities over `axis`, stable (the largest score is subtracted first)."""
    s = np.asarray(scores, dtype=np.float64)
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def score_lut(theme: Theme) -> np.ndarray:
    """(256, 4) uint8: the theme's neutral at probability 0 to its positive blue at 1 (the diverging map's blue
    half stretched): a probability is one-sided, so every shade goes to telling 0.4 from 0.6."""
    half = diverging_lut(theme)[128:]
    return np.ascontiguousarray(half[np.linspace(0, len(half) - 1, 256).round().astype(int)])
