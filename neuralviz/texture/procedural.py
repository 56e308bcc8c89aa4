"""The bundled textures, drawn by numpy from a seed: bricks, weave, waves, cells, dots, marble.

Each maker returns a float (H, W, 3) image in [0, 1] that tiles (every pattern is periodic over the image,
so the synthesis's wrap-around padding sees no seam). The files in assets/textures/ were written by

    python -m neuralviz.texture.procedural assets/textures

and the same command rebuilds them byte for byte (no randomness without a seed, no floating-point
reductions whose order depends on threads).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .ppm import write_ppm

SIZE = 64


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column coordinates in [0, 1), shape (size, size)."""
    t = np.arange(size) / size
    return np.meshgrid(t, t, indexing="ij")


def _mix(a, b, t: np.ndarray) -> np.ndarray:
    """Blend colour a (where t = 0) into colour b (where t = 1), per pixel."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a + (b - a) * t[..., None]


def _value_noise(size: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth periodic noise in [0, 1]: a random cells×cells lattice, bicubic-smoothstep interpolated."""
    lattice = rng.random((cells, cells))
    t = np.arange(size) * cells / size
    i0 = np.floor(t).astype(int)
    f = t - i0
    f = f * f * (3 - 2 * f)
    i1 = (i0 + 1) % cells
    rows = lattice[i0] * (1 - f)[:, None] + lattice[i1] * f[:, None]
    return rows[:, i0] * (1 - f)[None, :] + rows[:, i1] * f[None, :]


def _turbulence(size: int, rng: np.random.Generator, octaves=(4, 8, 16)) -> np.ndarray:
    """A sum of value-noise octaves, halving the amplitude each time; about [0, 1]."""
    out = np.zeros((size, size))
    amp, total = 1.0, 0.0
    for cells in octaves:
        out += amp * _value_noise(size, cells, rng)
        total += amp
        amp /= 2
    return out / total


def bricks(size: int = SIZE, seed: int = 1) -> np.ndarray:
    """Red-brown bricks in a running bond, pale mortar, each brick its own shade."""
    rng = np.random.default_rng(seed)
    rows, cols = 6, 3
    y, x = _grid(size)
    row = np.floor(y * rows).astype(int)
    shifted = (x * cols + 0.5 * (row % 2)) % cols
    col = np.floor(shifted).astype(int)
    fy, fx = y * rows - row, shifted - col
    mortar = (fy < 0.16) | (fx < 0.06)
    shade = rng.uniform(-0.12, 0.12, (rows, cols))[row, col]
    img = _mix([0.62, 0.25, 0.16], [0.78, 0.38, 0.24], np.clip(0.5 + shade / 0.24, 0, 1))
    img += 0.08 * (_turbulence(size, rng, (8, 16, 32))[..., None] - 0.5)
    img[mortar] = 0.82 + 0.05 * rng.standard_normal((int(mortar.sum()), 1))
    return img


def weave(size: int = SIZE, seed: int = 2) -> np.ndarray:
    """Basket weave: blocks of horizontal and vertical threads in a checker, thread by thread shaded."""
    rng = np.random.default_rng(seed)
    y, x = _grid(size)
    blocks = 4
    by, bx = np.floor(y * blocks).astype(int), np.floor(x * blocks).astype(int)
    horizontal = (by + bx) % 2 == 0
    threads = 4 * blocks
    across = np.where(horizontal, y, x) * threads
    ridge = np.sin(np.pi * (across % 1.0)) ** 0.6
    jitter = rng.uniform(-0.08, 0.08, (threads,))[np.floor(across).astype(int) % threads]
    warp, weft = np.array([0.20, 0.33, 0.55]), np.array([0.85, 0.72, 0.40])
    img = np.where(horizontal[..., None], warp, weft) * (0.45 + 0.55 * ridge + jitter)[..., None]
    return img


def waves(size: int = SIZE, seed: int = 3) -> np.ndarray:
    """Wavy diagonal stripes of sea colours, their phase bent by smooth noise."""
    rng = np.random.default_rng(seed)
    y, x = _grid(size)
    bend = _turbulence(size, rng, (2, 4))
    phase = 2 * np.pi * (3 * x + 2 * y) + 5.0 * bend
    t = 0.5 + 0.5 * np.sin(phase)
    return _mix([0.05, 0.18, 0.40], [0.55, 0.85, 0.90], t**1.5)


def cells(size: int = SIZE, seed: int = 4) -> np.ndarray:
    """Voronoi cells (distances wrap around the image), each a random warm colour, with dark walls."""
    rng = np.random.default_rng(seed)
    n = 18
    points = rng.random((n, 2))
    colours = rng.uniform([0.55, 0.35, 0.10], [0.95, 0.75, 0.35], (n, 3))
    y, x = _grid(size)
    d = np.abs(np.stack([y, x], -1)[:, :, None, :] - points[None, None])
    d = np.minimum(d, 1 - d)
    dist = np.sqrt((d**2).sum(-1))
    order = np.sort(dist, axis=-1)
    nearest = np.argmin(dist, axis=-1)
    wall = np.clip((order[..., 1] - order[..., 0]) * size / 2.5, 0, 1)
    return colours[nearest] * (0.25 + 0.75 * wall[..., None])


def dots(size: int = SIZE, seed: int = 5) -> np.ndarray:
    """Polka dots of varied sizes on a jittered grid, on a light background."""
    rng = np.random.default_rng(seed)
    grid = 5
    y, x = _grid(size)
    img = np.broadcast_to(np.array([0.93, 0.90, 0.80]), (size, size, 3)).copy()
    for i in range(grid):
        for j in range(grid):
            cy, cx = (i + 0.5 + rng.uniform(-0.2, 0.2)) / grid, (j + 0.5 + rng.uniform(-0.2, 0.2)) / grid
            radius = rng.uniform(0.035, 0.075)
            dy, dx = np.abs(y - cy), np.abs(x - cx)
            dy, dx = np.minimum(dy, 1 - dy), np.minimum(dx, 1 - dx)
            inside = np.clip((radius - np.sqrt(dy**2 + dx**2)) * size, 0, 1)
            colour = [0.15, 0.25, 0.60] if (i + j) % 3 else [0.75, 0.15, 0.20]
            img = img * (1 - inside[..., None]) + np.asarray(colour) * inside[..., None]
    return img


def marble(size: int = SIZE, seed: int = 6) -> np.ndarray:
    """Marble: veins from sin(x + turbulence), grey-green stone."""
    rng = np.random.default_rng(seed)
    y, x = _grid(size)
    turb = _turbulence(size, rng, (4, 8, 16, 32))
    veins = np.abs(np.sin(2 * np.pi * (2 * x + y) + 9.0 * turb)) ** 0.4
    return _mix([0.20, 0.28, 0.25], [0.90, 0.92, 0.88], veins)


MAKERS = {"bricks": bricks, "weave": weave, "waves": waves, "cells": cells, "dots": dots, "marble": marble}


def make(name: str) -> np.ndarray:
    """The named texture as float64 (SIZE, SIZE, 3) in [0, 1]."""
    if name not in MAKERS:
        raise ValueError(f"no procedural texture {name!r}; they are: {', '.join(MAKERS)}")
    return np.clip(MAKERS[name](), 0.0, 1.0)


def write_all(folder: str | Path) -> list[Path]:
    """Write every texture as folder/<name>.ppm (binary PPM, 8 bits per channel)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_ppm(folder / f"{name}.ppm", make(name)) for name in MAKERS]


if __name__ == "__main__":
    for path in write_all(sys.argv[1] if len(sys.argv) > 1 else "assets/textures"):
        print(path)
