"""Real-data sources for a GAN: where the "real" samples come from.

A source is made from a preset's "data" block (`make(data_cfg)`) and draws as many samples as
asked from the generator it is handed, so the GAN owns every random stream:

    ring     8 Gaussians on a circle (radius 2, std 0.02, angles 2πk/8 with endpoint=False: 8 distinct modes;
             the unrolled-GAN notebook's linspace repeats one, giving 7)
    grid     25 Gaussians on a 5×5 lattice over [-2, 2]² (std 0.02)
    moons    two interleaving half circles (scikit-learn's shape), centred, with Gaussian jitter
    line     a segment from `start` to `end` with Gaussian jitter
    points   points the user drew, each draw one of them plus N(0, std²) noise (GAN Lab's "drawing")
    dataset  the training images of a neuralviz dataset (digits, shapes...) rescaled to `range`

The 2-D sources report `modes` (the mixture's centres, for the mode-coverage measure) and `extent`
(the square the app's view shows).
"""

from __future__ import annotations

import math

import numpy as np

SOURCES = ("ring", "grid", "moons", "line", "points", "dataset")


def _number(who: str, key: str, value, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: {key} must be a number, got {type(value).__name__} {value!r:.60}")
    v = float(value)
    if not math.isfinite(v) or v < low:
        raise ValueError(f"{who}: {key} must be a finite number >= {low:g}, got {value!r}")
    return v


def _count(who: str, key: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{who}: {key} must be an integer >= {low}, got {value!r:.60}")
    return int(value)


class Source:
    """Real samples of one shape. `modes` is None for sources that are not a mixture of blobs."""

    name = ""
    shape: tuple[int, ...] = (2,)
    modes: np.ndarray | None = None
    std: float = 0.0
    extent: float = 3.0  # the 2-D view shows [-extent, extent]²

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"source": self.name}


class Mixture(Source):
    """Equal-weight isotropic Gaussians at `modes`."""

    def __init__(self, name: str, modes: np.ndarray, std: float, extent: float):
        self.name, self.modes, self.std, self.extent = name, np.asarray(modes, dtype=np.float64), std, extent

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        which = rng.integers(0, len(self.modes), size=n)
        return (self.modes[which] + rng.normal(0.0, self.std, size=(n, 2))).astype(np.float32)

    def describe(self) -> dict:
        return {"source": self.name, "modes": len(self.modes), "std": self.std}


def ring(modes: int = 8, radius: float = 2.0, std: float = 0.02) -> Mixture:
    modes = _count("ring", "modes", modes)
    radius, std = _number("ring", "radius", radius), _number("ring", "std", std)
    angles = np.linspace(0.0, 2 * np.pi, modes, endpoint=False)
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return Mixture("ring", centres, std, 1.5 * radius)


def grid(side: int = 5, spacing: float = 1.0, std: float = 0.02) -> Mixture:
    side = _count("grid", "side", side)
    spacing, std = _number("grid", "spacing", spacing), _number("grid", "std", std)
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    centres = np.stack(np.meshgrid(ticks, ticks, indexing="xy"), axis=-1).reshape(-1, 2)
    return Mixture("grid", centres, std, max(1.0, ticks[-1]) * 1.5)


class Moons(Source):
    name = "moons"
    extent = 3.0

    def __init__(self, noise: float = 0.05, scale: float = 1.5):
        self.noise, self.scale = _number("moons", "noise", noise), _number("moons", "scale", scale)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        t = rng.uniform(0.0, np.pi, size=n)
        upper = rng.random(n) < 0.5
        x = np.where(upper, np.cos(t), 1 - np.cos(t))
        y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
        p = np.stack([x - 0.5, y - 0.25], axis=1) + rng.normal(0.0, self.noise, size=(n, 2))
        return (self.scale * p).astype(np.float32)

    def describe(self) -> dict:
        return {"source": "moons", "noise": self.noise}


class Line(Source):
    name = "line"
    extent = 3.0

    def __init__(self, start=(-1.5, -1.0), end=(1.5, 1.0), std: float = 0.02):
        self.start = np.asarray(start, dtype=np.float64)
        self.end = np.asarray(end, dtype=np.float64)
        if self.start.shape != (2,) or self.end.shape != (2,):
            raise ValueError(f"line: start and end must be [x, y] pairs, got {start!r:.60} and {end!r:.60}")
        self.std = _number("line", "std", std)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        u = rng.random((n, 1))
        p = self.start + u * (self.end - self.start) + rng.normal(0.0, self.std, size=(n, 2))
        return p.astype(np.float32)


class Points(Source):
    """User-drawn points: each sample is a drawn point plus N(0, std²) noise (GAN Lab's brush)."""

    name = "points"
    extent = 3.0

    def __init__(self, points=(), std: float = 0.02):
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2) if len(points) else np.zeros((0, 2))
        if not np.all(np.isfinite(p)):
            raise ValueError("points: the drawn points must be finite numbers")
        self.points, self.std = p, _number("points", "std", std)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if not len(self.points):
            raise ValueError("points: nothing drawn yet; drag on the plane to add points")
        which = rng.integers(0, len(self.points), size=n)
        return (self.points[which] + rng.normal(0.0, self.std, size=(n, 2))).astype(np.float32)

    def describe(self) -> dict:
        return {"source": "points", "points": self.points.tolist(), "std": self.std}


class DatasetImages(Source):
    """The training inputs of a neuralviz dataset, rescaled from [0, 1] to `range` (tanh's [-1, 1] by default)."""

    name = "dataset"

    def __init__(self, name: str, options: dict | None = None, range=(-1.0, 1.0), seed: int = 0):
        from .. import data

        if not isinstance(name, str) or not name:
            raise ValueError(f"dataset source: 'name' must name a dataset, got {name!r:.60}")
        if options is not None and not isinstance(options, dict):
            raise ValueError(f"dataset source: 'options' must be an object, got {type(options).__name__}")
        lo, hi = (float(v) for v in range)
        if not lo < hi:
            raise ValueError(f"dataset source: range must be [low, high] with low < high, got {range!r:.60}")
        ds = data.load(name, seed=seed, **(options or {}))
        x = np.asarray(ds.x_train, dtype=np.float32)
        self.images = (lo + (hi - lo) * x).astype(np.float32)
        self.shape, self.range, self.dataset = tuple(x.shape[1:]), (lo, hi), name
        self.extent = max(abs(lo), abs(hi))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.images[rng.integers(0, len(self.images), size=n)]

    def describe(self) -> dict:
        return {"source": "dataset", "name": self.dataset, "range": list(self.range)}


def make(cfg: dict, seed: int = 0) -> Source:
    """The source a preset's "data" block describes, e.g. {"source": "ring", "radius": 2}."""
    if not isinstance(cfg, dict) or cfg.get("source") not in SOURCES:
        got = cfg.get("source") if isinstance(cfg, dict) else cfg
        raise ValueError(f"GAN data: 'source' must be one of {', '.join(SOURCES)}, got {got!r:.60}")
    options = {k: v for k, v in cfg.items() if k != "source"}
    kind = cfg["source"]
    build = {"ring": ring, "grid": grid, "moons": Moons, "line": Line, "points": Points}.get(kind)
    try:
        if kind == "dataset":
            return DatasetImages(seed=seed, **options)
        return build(**options)
    except TypeError as err:
        if "unexpected keyword" not in str(err):
            raise
        raise ValueError(f"GAN data source {kind!r}: {err}") from None
