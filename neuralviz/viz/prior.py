"""Architecture as a prior on functions: what an untrained network computes over the plane, seed by seed.

Before any training, the weights are random, so a network spec is a *distribution* over functions: drawing
a seed draws one function. Showing a few of them for each of two or three architectures lets a lecturer
say "the architecture decides which functions are likely before any data is seen":

    maps = prior_maps(spec, seeds=range(16), resolution=64)   # (16, 64, 64): one output map per seed
    shown = auto_contrast(maps)                                  # each in [-1, 1], its shape visible

Row i of a map is x2 of row i (as neuralviz.viz.grid lays it out; draw it flipped so x2 points up).
No Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..network import Network
from ..prediction import predict
from .grid import PLAYGROUND_HALF_WIDTH, input_grid

__all__ = ["prior_maps", "auto_contrast", "PRIOR_EXTENT"]

PRIOR_EXTENT = (-PLAYGROUND_HALF_WIDTH, PLAYGROUND_HALF_WIDTH, -PLAYGROUND_HALF_WIDTH, PLAYGROUND_HALF_WIDTH)
MAX_RESOLUTION = 512  # a map is drawn in a few hundred pixels at most; beyond this is a mistake, not detail
ROBUST_PERCENTILE = 99.0  # auto-contrast maps the 99th percentile of |deviation| to the end of the colour scale


def prior_maps(
    spec: dict,
    seeds: Iterable[int],
    resolution: int = 64,
    extent: Sequence[float] = PRIOR_EXTENT,
    features: Sequence[str] = ("x1", "x2"),
    output: int = 0,
) -> np.ndarray:
    """(len(seeds), resolution, resolution) float64: output unit `output` of the untrained network built
    from `spec` with each seed, over the resolution x resolution grid of `extent` (x1 min, x1 max, x2 min,
    x2 max; the Playground's ±6 by default). `features` are the Playground input features the spec's
    input takes (its input_shape must be (len(features),)).

    Raw outputs (logits for a classifier): a network's scale at initialisation is part of its prior, so
    the caller decides whether to normalise (see auto_contrast)."""
    seeds = [_check_seed(s) for s in seeds]
    if not seeds:
        raise ValueError("prior_maps: seeds is empty; give at least one seed")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ValueError(f"prior_maps: resolution must be an integer, got {resolution!r:.60}")
    if not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"prior_maps: resolution must be in [2, {MAX_RESOLUTION}], got {resolution}")
    x = input_grid(extent, int(resolution), features)
    maps = np.empty((len(seeds), resolution, resolution), dtype=np.float64)
    for i, seed in enumerate(seeds):
        net = Network.from_spec(spec, seed=seed)
        _check_shapes(net, len(features), output)
        maps[i] = predict(net, x)[:, output].reshape(resolution, resolution)
    return maps


def auto_contrast(maps: np.ndarray, percentile: float = ROBUST_PERCENTILE) -> np.ndarray:
    """Each map on its own scale, in [-1, 1]: its median subtracted, then divided by the `percentile`-th
    percentile of |map - median| and clipped.

    Why: at initialisation a network's output is mostly a constant offset (the biases) plus a small
    variation — a map drawn on a fixed scale looks flat, although the *shape* of the function (its
    smoothness, its frequency, where it bends) is what the architecture decides. Removing the median and
    stretching the deviations to the colour scale shows that shape; using a high percentile rather than the
    maximum keeps one extreme corner from washing the rest out. The price: amplitudes are no longer
    comparable between maps (a map that varies by 0.001 looks as strong as one varying by 10). A map that is
    exactly constant stays 0 (neutral) rather than being stretched from rounding noise.

    maps: (..., H, W); returns float64 of the same shape. NaN (a diverged network) stays NaN."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim < 2:
        raise ValueError(f"auto_contrast: maps must have shape (..., H, W), got {maps.shape}")
    if not 0.0 < percentile <= 100.0:
        raise ValueError(f"auto_contrast: percentile must be in (0, 100], got {percentile}")
    flat = maps.reshape(*maps.shape[:-2], -1)
    with np.errstate(all="ignore"):
        centre = np.nanmedian(flat, axis=-1, keepdims=True)
        deviation = flat - centre
        scale = np.nanpercentile(np.abs(deviation), percentile, axis=-1, keepdims=True)
        # a constant map (up to float rounding of its values) has nothing to stretch
        tiny = scale <= 1e-9 * np.maximum(np.abs(centre), 1.0)
        out = np.where(tiny, 0.0, deviation / np.where(tiny, 1.0, scale))
    return np.clip(out, -1.0, 1.0).reshape(maps.shape)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"prior_maps: seeds must be integers >= 0, got {seed!r:.60}")
    return int(seed)


def _check_shapes(net: Network, n_features: int, output: int) -> None:
    if net.input_shape != (n_features,):
        raise ValueError(
            f"prior_maps: the network takes input {net.input_shape} but the plane gives {n_features} features; "
            "pass features= matching the spec's input_shape"
        )
    units = net.output_shape[-1] if len(net.output_shape) == 1 else None
    if units is None or not 0 <= output < units:
        raise ValueError(f"prior_maps: output {output} is not a unit of the network's output {net.output_shape}")
