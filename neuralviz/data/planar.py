"""2-D classification data in the style of the TensorFlow Playground.

Inputs lie roughly in [-6, 6] x [-6, 6], the Playground's plotting domain, and its raw input scale (so the
Playground's sin(x1) feature means the same thing here). `noise` is the Playground's 0-50 % slider as a number in
[0, 0.5], `n` counts train and test together and `test_fraction` defaults to the Playground's 50 %.

xor, circles, gaussians and spirals with 2 classes reproduce the Playground's generators (`dataset.ts`). xor,
circles and checkerboard draw noise-free points and label the *displaced* point, so noise blurs the boundary
instead of moving the points (the Playground's way); gaussians, spirals and moons move the points.

Labels are int64 0/1 (0..K-1 for the multi-class variants). Class indices count outwards and around (circles'
inner disc is class 0, gaussians' blob at (2, 2) is class 0), and xor's class 1 is "the signs of x1 and x2
differ", as in the truth table.
"""

from __future__ import annotations

import numpy as np

from ._registry import (
    DTYPE_OPTION,
    Option,
    integer,
    n_option,
    noise_option,
    optional_integer,
    register,
    test_fraction_option,
)
from .split import check_split_sizes, train_test

FEATURE_NAMES = ["x1", "x2"]
RADIUS = 5.0  # Playground's circle radius and the half-width of its xor square


def _per_class_counts(n: int, k: int) -> np.ndarray:
    """n split over k classes as evenly as possible (the first n % k classes get one more)."""
    return n // k + (np.arange(k) < n % k)


def _classes_option(hi: int) -> Option:
    return Option(2, integer(2, hi), f"number of classes (2-{hi})")


def _common(n: int = 500, noise: float = 0.0) -> dict[str, Option]:
    return {
        "n": n_option(n),
        "noise": noise_option(noise, "Playground noise level in [0, 0.5]"),
        "test_fraction": test_fraction_option(0.5),
        "dtype": DTYPE_OPTION,
    }


def _finish(
    x: np.ndarray,
    y: np.ndarray,
    classes: int,
    rng: np.random.Generator,
    test_fraction: float,
    dtype: str,
    description: str,
) -> dict:
    x_train, y_train, x_test, y_test = train_test(x.astype(dtype), y.astype(np.int64), test_fraction, rng)
    return dict(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=classes,
        feature_names=list(FEATURE_NAMES),
        description=description,
    )


# ---------------------------------------------------------------------------------------------- generators


def xor_points(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform in the 4 quadrants, pushed 0.3 off the axes; class 1 where sign(x1) != sign(x2)."""
    padding = 0.3
    p = rng.uniform(-RADIUS, RADIUS, size=(n, 2))
    p += np.where(p > 0, padding, -padding)
    shown = p + rng.uniform(-RADIUS, RADIUS, size=(n, 2)) * noise
    y = (shown[:, 0] * shown[:, 1] < 0).astype(np.int64)
    return p, y


def ring_points(
    n: int, noise: float, classes: int, rng: np.random.Generator, rings: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Concentric rings of width R/rings (rings defaults to K, the classes); ring j > 0 leaves a gap of
    0.4 R/rings inside it (K=2: the Playground's inner disc r < 2.5 and outer ring 3.5 < r < 5). Ring j
    has class j mod K, read from the noise-displaced radius: with more rings than classes the classes
    alternate outwards, a radial pattern that a deep network composes and a shallow one pieces together."""
    rings = classes if rings is None else rings
    width = RADIUS / rings
    ring = np.repeat(np.arange(rings), _per_class_counts(n, rings))
    r_lo = np.where(ring == 0, 0.0, (ring + 0.4) * width)
    r = rng.uniform(r_lo, (ring + 1) * width)
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    p = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    shown = p + rng.uniform(-RADIUS, RADIUS, size=(n, 2)) * noise
    y = np.minimum(np.floor(np.hypot(shown[:, 0], shown[:, 1]) / width), rings - 1).astype(np.int64) % classes
    return p, y


def gaussian_points(n: int, noise: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic blobs with variance 0.5 + 7 * noise (the Playground's 0.5..4), centres on a circle through
    (2, 2) and (-2, -2) for 2 classes, pushed outwards a little for more than 4 classes so blobs stay apart."""
    radius = min(4.0, 2 * np.sqrt(2) * max(1.0, classes / 4))
    angles = np.pi / 4 + 2 * np.pi * np.arange(classes) / classes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(classes), _per_class_counts(n, classes))
    p = centres[y] + rng.normal(0.0, np.sqrt(0.5 + 7 * noise), size=(n, 2))
    return p, y


def spiral_points(n: int, noise: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """K interleaved arms, each turning 1.75 times while its radius grows to 5, arm j rotated by 2πj/K
    (K=2: the Playground's spiral). Noise jitters each coordinate by up to ±noise."""
    parts_p, parts_y = [], []
    for arm, count in enumerate(_per_class_counts(n, classes)):
        s = np.arange(count) / max(count, 1)
        r = RADIUS * s
        t = 1.75 * 2 * np.pi * s + 2 * np.pi * arm / classes
        p = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        parts_p.append(p + rng.uniform(-1.0, 1.0, size=p.shape) * noise)
        parts_y.append(np.full(count, arm))
    return np.concatenate(parts_p), np.concatenate(parts_y)


def moon_points(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons shape), scaled by 3 and centred; Gaussian
    jitter of std 0.6 * noise half-circle radii, so the slider's 0.5 matches make_moons(noise=0.3), already
    a heavy overlap."""
    counts = _per_class_counts(n, 2)
    t0 = rng.uniform(0.0, np.pi, size=counts[0])
    t1 = rng.uniform(0.0, np.pi, size=counts[1])
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    p = np.concatenate([upper, lower]) + rng.normal(0.0, 0.6 * noise, size=(n, 2))
    y = np.repeat([0, 1], counts)
    return 3.0 * (p - np.array([0.5, 0.25])), y


def checkerboard_points(
    n: int, noise: float, classes: int, cells: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform in [-5, 5]², `cells` squares per side; the square in column i, row j has class (i + j) mod K.
    The label is read at the point displaced by up to ±noise cell widths."""
    size = 2 * RADIUS / cells
    p = rng.uniform(-RADIUS, RADIUS, size=(n, 2))
    shown = p + rng.uniform(-1.0, 1.0, size=(n, 2)) * noise * size
    col_row = np.floor((shown + RADIUS) / size).astype(np.int64)
    y = (col_row[:, 0] + col_row[:, 1]) % classes
    return p, y


# ---------------------------------------------------------------------------------------------- registry

_SUMMARY = "2-D points, Playground style"


@register("xor", kind="planar", task="classification", summary=f"{_SUMMARY}: the four quadrants", options=_common())
def build_xor(rng, *, n, noise, test_fraction, dtype):
    check_split_sizes("xor", n, test_fraction)
    x, y = xor_points(n, noise, rng)
    return _finish(x, y, 2, rng, test_fraction, dtype, "class 1 where the signs of x1 and x2 differ")


@register(
    "circles",
    kind="planar",
    task="classification",
    summary=f"{_SUMMARY}: disc inside ring(s)",
    options={
        **_common(),
        "classes": _classes_option(6),
        "rings": Option(None, optional_integer(2, 12), "number of rings (2-12; default: one per class)"),
    },
)
def build_circles(rng, *, n, noise, test_fraction, dtype, classes, rings):
    check_split_sizes("circles", n, test_fraction)
    x, y = ring_points(n, noise, classes, rng, rings)
    what = (
        f"{classes} concentric rings" if rings in (None, classes) else f"{rings} rings of {classes} alternating classes"
    )
    return _finish(x, y, classes, rng, test_fraction, dtype, f"{what}, class 0 innermost")


@register(
    "gaussians",
    kind="planar",
    task="classification",
    summary=f"{_SUMMARY}: Gaussian blobs",
    options={**_common(), "classes": _classes_option(8)},
)
def build_gaussians(rng, *, n, noise, test_fraction, dtype, classes):
    check_split_sizes("gaussians", n, test_fraction)
    x, y = gaussian_points(n, noise, classes, rng)
    return _finish(x, y, classes, rng, test_fraction, dtype, f"{classes} Gaussian blobs")


@register(
    "spirals",
    kind="planar",
    task="classification",
    summary=f"{_SUMMARY}: interleaved spiral arms",
    options={**_common(), "classes": _classes_option(6)},
)
def build_spirals(rng, *, n, noise, test_fraction, dtype, classes):
    check_split_sizes("spirals", n, test_fraction)
    x, y = spiral_points(n, noise, classes, rng)
    return _finish(x, y, classes, rng, test_fraction, dtype, f"{classes} interleaved spiral arms")


@register(
    "moons",
    kind="planar",
    task="classification",
    summary=f"{_SUMMARY}: two interleaving half moons",
    options=_common(noise=0.2),
)
def build_moons(rng, *, n, noise, test_fraction, dtype):
    check_split_sizes("moons", n, test_fraction)
    x, y = moon_points(n, noise, rng)
    return _finish(x, y, 2, rng, test_fraction, dtype, "two interleaving half moons")


@register(
    "checkerboard",
    kind="planar",
    task="classification",
    summary=f"{_SUMMARY}: checkerboard squares",
    options={
        **_common(),
        "classes": _classes_option(6),
        "cells": Option(4, integer(2, 12), "squares per side of the board (2-12)"),
    },
)
def build_checkerboard(rng, *, n, noise, test_fraction, dtype, classes, cells):
    check_split_sizes("checkerboard", n, test_fraction)
    x, y = checkerboard_points(n, noise, classes, cells, rng)
    return _finish(
        x,
        y,
        classes,
        rng,
        test_fraction,
        dtype,
        f"{cells}x{cells} board, square (i, j) has class (i + j) mod {classes}",
    )
