"""Synthetic top-down "aerial" scenes with a class per pixel (issue 20): the segmentation dataset.

Each scene is drawn from a seeded generator in a fixed order, later objects covering earlier ones:
grass (a textured green background), water (smooth blue blobs), roads (long thin grey bands, sometimes
crossing), buildings (rotated rectangles with a roof colour, shaded on one half like a gabled roof) and
trees (dark, grainy round crowns). Every class has its own colour and texture plus noise and lighting, so
a pixel's neighbourhood tells the class apart, but where one region ends needs the image at full resolution:
what a coarse classifier (pooling, then upsampling) misses and a refinement (nv.segmentation) recovers.

x: (N, 3, S, S) float in [0, 1] (RGB); y: (N, S, S) int64 class ids, in the order of CLASSES.
"""

from __future__ import annotations

import numpy as np

from ._registry import DTYPE_OPTION, Option, integer, n_option, register, test_fraction_option
from .split import check_split_sizes, train_test

CLASSES = ["grass", "road", "building", "tree", "water"]
GRASS, ROAD, BUILDING, TREE, WATER = range(len(CLASSES))
# One display colour per class (RGB 0-255), for class maps: distinct from each other and from the photos.
CLASS_COLOURS = [(120, 200, 80), (90, 90, 90), (220, 60, 50), (20, 100, 30), (40, 110, 230)]


def _smooth_noise(rng: np.random.Generator, size: int, cell: int) -> np.ndarray:
    """Value noise in about [-1, 1]: a coarse random grid upsampled bilinearly (texture at scale `cell`)."""
    n = size // cell + 2
    grid = rng.uniform(-1.0, 1.0, (n, n))
    t = np.arange(size) / cell
    i, f = t.astype(int), t - t.astype(int)
    rows = grid[i] * (1 - f)[:, None] + grid[i + 1] * f[:, None]
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]


def _paint(image: np.ndarray, labels: np.ndarray, mask: np.ndarray, cls: int, colour: np.ndarray) -> None:
    """Draws `colour` ((3, S, S) or (3,)) over the pixels of `mask` and labels them `cls`."""
    colour = np.asarray(colour, dtype=np.float64)
    if colour.ndim == 1:
        colour = colour[:, None, None]
    image[:, mask] = np.broadcast_to(colour, image.shape)[:, mask]
    labels[mask] = cls


def _grass(rng, image, labels, yy, xx, size):
    texture = 0.6 * _smooth_noise(rng, size, 3) + 0.4 * _smooth_noise(rng, size, 8)
    base = np.array([0.45, 0.68, 0.30]) + rng.uniform(-0.05, 0.05, 3)
    _paint(image, labels, np.ones((size, size), bool), GRASS, base[:, None, None] * (1 + 0.15 * texture))


def _water(rng, image, labels, yy, xx, size):
    for _ in range(rng.integers(0, 2, endpoint=True)):
        cy, cx = rng.uniform(0, size, 2)
        r = rng.uniform(0.15, 0.3) * size
        wobble = 0.25 * r * _smooth_noise(rng, size, max(size // 4, 2))
        mask = np.hypot(yy - cy, xx - cx) < r + wobble
        base = np.array([0.15, 0.35, 0.70]) + rng.uniform(-0.04, 0.04, 3)
        _paint(image, labels, mask, WATER, base[:, None, None] * (1 + 0.05 * _smooth_noise(rng, size, 16)))


def _roads(rng, image, labels, yy, xx, size):
    for _ in range(rng.integers(1, 2, endpoint=True)):
        angle = rng.uniform(0, np.pi)
        cy, cx = rng.uniform(0.2, 0.8, 2) * size
        width = rng.uniform(0.04, 0.08) * size
        distance = np.abs(-(yy - cy) * np.sin(angle) + (xx - cx) * np.cos(angle))
        mask = distance < width / 2
        grey = rng.uniform(0.42, 0.55)
        _paint(image, labels, mask, ROAD, np.full(3, grey)[:, None, None] * (1 + 0.04 * _smooth_noise(rng, size, 2)))


def _buildings(rng, image, labels, yy, xx, size):
    roofs = np.array([[0.72, 0.30, 0.22], [0.62, 0.40, 0.28], [0.80, 0.52, 0.30], [0.55, 0.25, 0.35]])
    for _ in range(rng.integers(1, 4, endpoint=True)):
        cy, cx = rng.uniform(0.1, 0.9, 2) * size
        half_h, half_w = rng.uniform(0.05, 0.14, 2) * size
        angle = rng.uniform(0, np.pi / 2)
        c, s = np.cos(angle), np.sin(angle)
        u = (xx - cx) * c + (yy - cy) * s  # along the roof
        v = -(xx - cx) * s + (yy - cy) * c  # across the ridge
        mask = (np.abs(u) < half_w) & (np.abs(v) < half_h)
        roof = roofs[rng.integers(len(roofs))] + rng.uniform(-0.05, 0.05, 3)
        shade = np.where(v > 0, 0.78, 1.08)  # the sunlit and the shaded half of a gabled roof
        _paint(image, labels, mask, BUILDING, roof[:, None, None] * shade[None])


def _trees(rng, image, labels, yy, xx, size):
    grain = _smooth_noise(rng, size, 1)
    for _ in range(rng.integers(2, 8, endpoint=True)):
        cy, cx = rng.uniform(0, size, 2)
        r = rng.uniform(0.03, 0.08) * size
        d = np.hypot(yy - cy, xx - cx)
        mask = d < r
        base = np.array([0.12, 0.36, 0.14]) + rng.uniform(-0.03, 0.03, 3)
        light = 1.15 - 0.45 * np.clip(d / r, 0, 1)  # a round crown, darker at its rim
        _paint(image, labels, mask, TREE, base[:, None, None] * light[None] * (1 + 0.35 * grain))


LAYERS = (_grass, _water, _roads, _buildings, _trees)  # drawing order: later layers cover earlier ones


def draw_scene(rng: np.random.Generator, size: int = 64, noise: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """One scene: image (3, size, size) float64 in [0, 1] and labels (size, size) int64.

    The labels are the class of the last object drawn on each pixel, so they match the drawing exactly;
    a little pixel noise (std `noise`) and a global brightness on top make no two grass pixels alike.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    image = np.zeros((3, size, size))
    labels = np.zeros((size, size), np.int64)
    for layer in LAYERS:
        layer(rng, image, labels, yy, xx, size)
    image *= rng.uniform(0.85, 1.15)
    image += rng.normal(0.0, noise, image.shape)
    return np.clip(image, 0.0, 1.0), labels


@register(
    "segmentation",
    kind="image",
    task="segmentation",
    summary="Synthetic aerial scenes: grass, roads, buildings, trees, water; a class per pixel",
    options={
        "n": n_option(400),
        "size": Option(64, integer(16, 256), "image side in pixels"),
        "test_fraction": test_fraction_option(0.25),
        "dtype": DTYPE_OPTION,
    },
)
def build(rng, *, n, size, test_fraction, dtype):
    check_split_sizes("segmentation", n, test_fraction)
    images, labels = zip(*(draw_scene(rng, size) for _ in range(n)))
    x = np.stack(images).astype(dtype)
    y = np.stack(labels)
    x_train, y_train, x_test, y_test = train_test(x, y, test_fraction, rng)
    return dict(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=len(CLASSES),
        class_names=list(CLASSES),
    )
