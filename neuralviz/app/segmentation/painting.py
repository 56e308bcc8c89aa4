"""Drawing a scene: classes painted onto a test image with the mouse, so the room can ask "what if a road ran
here?" and watch both nets answer (no Qt).

The painted pixels get the painted class as their true label (so the ground truth stays exact) and a colour drawn
from that class's own pixels in the training images: per class, the mean and the spread of each RGB channel
(ClassLook, measured once from the data, so it follows whatever the dataset's renderer draws). The texture of the
dataset's own renderer is not reproduced, only its colour statistics: painted regions are plainer than drawn ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOOK_IMAGES = 64  # training images the class colours are measured on
BRUSH = 3  # brush radius in pixels


@dataclass(frozen=True)
class ClassLook:
    mean: np.ndarray  # (C, 3) RGB mean of each class's pixels
    std: np.ndarray  # (C, 3) their spread


def class_look(x: np.ndarray, y: np.ndarray, num_classes: int) -> ClassLook:
    """Each class's RGB mean and spread over its pixels in the first LOOK_IMAGES images (grey for a class with
    no pixel there)."""
    x, y = np.asarray(x[:LOOK_IMAGES], np.float64), np.asarray(y[:LOOK_IMAGES])
    pixels = x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
    labels = y.reshape(-1)
    mean = np.full((num_classes, x.shape[1]), 0.5)
    std = np.zeros((num_classes, x.shape[1]))
    for c in range(num_classes):
        mine = pixels[labels == c]
        if len(mine):
            mean[c], std[c] = mine.mean(axis=0), mine.std(axis=0)
    return ClassLook(mean, std)


def brush_mask(shape: tuple[int, int], points, radius: float = BRUSH) -> np.ndarray:
    """(H, W) bool: the pixels whose centre lies within `radius` of a stroke, the line through its (row, col)
    points in turn (points are in image coordinates: pixel (r, c) spans [r, r+1) x [c, c+1)); ValueError for
    points that are not finite (row, col) pairs."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2) if len(points) else np.zeros((0, 2))
    if not np.all(np.isfinite(pts)):
        raise ValueError("paint: a stroke's points must be finite (row, col) pairs")
    centres = np.stack(np.mgrid[0 : shape[0], 0 : shape[1]], axis=-1) + 0.5
    mask = np.zeros(shape, bool)
    for a, b in zip(pts, np.concatenate([pts[1:], pts[-1:]])):  # each segment (a single point: a dot)
        ab = b - a
        t = np.clip(((centres - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
        mask |= np.linalg.norm(centres - (a + t[..., None] * ab), axis=-1) <= radius
    return mask


def paint(image: np.ndarray, labels: np.ndarray, mask: np.ndarray, cls: int, look: ClassLook, seed: int = 0):
    """Copies of a (3, H, W) image and its (H, W) labels with class `cls` painted over `mask`: labels set to cls,
    colours drawn from the class's look (seeded noise, clipped to [0, 1])."""
    if not 0 <= int(cls) < len(look.mean):
        raise ValueError(f"paint: class {cls!r} is not one of 0..{len(look.mean) - 1}")
    image, labels = np.array(image, copy=True), np.array(labels, copy=True)
    rng = np.random.default_rng(seed)
    n = int(mask.sum())
    colours = look.mean[cls][:, None] + look.std[cls][:, None] * rng.standard_normal((image.shape[0], n))
    image[:, mask] = np.clip(colours, 0.0, 1.0).astype(image.dtype)
    labels[mask] = int(cls)
    return image, labels
