"""Measuring and looking at class maps (issue 20): a class per pixel, from a network of (N, C, H, W) scores.

    nv.segmentation.evaluate(net, x, y)   -> {"pixel_accuracy", "boundary_accuracy", "mean_iou"}
    nv.segmentation.predict_map(net, x)   -> (N, H, W) class ids
    nv.segmentation.refinement_steps(net, x) -> [u_0 (coarse), u_1, ..., u_K]: the scores after each
                                                iteration of the net's pde_refine layer

Boundary accuracy is the pixel accuracy on the pixels within `width` (2) pixels of a true class boundary:
where a coarse map, predicted at low resolution and upsampled, goes wrong, and what a refinement along the
image's edges is for. Pixel accuracy alone hides it (most pixels lie inside large regions).
"""

from __future__ import annotations

import numpy as np

from .layers.pde_refine import PdeRefine

__all__ = ["evaluate", "boundary_mask", "predict_map", "refinement_steps", "refine_layer", "BOUNDARY_WIDTH"]

BOUNDARY_WIDTH = 2
_BATCH = 64  # images per forward pass: bounds the memory of a long evaluation


def _check(fn: str, net, x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"segmentation.{fn}: x must be images (N, C, H, W), got shape {x.shape}")
    out = tuple(net.output_shape)
    if len(out) != 3 or out[1:] != x.shape[2:]:
        raise ValueError(
            f"segmentation.{fn}: the network must output class scores (C, H, W) at the images' "
            f"{x.shape[2]}x{x.shape[3]} pixels, but it outputs {out}"
        )
    if y is not None:
        y = np.asarray(y)
        if y.shape != (x.shape[0], *x.shape[2:]):
            raise ValueError(f"segmentation.{fn}: labels must have shape {(x.shape[0], *x.shape[2:])}, got {y.shape}")
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"segmentation.{fn}: labels must be integer class ids, got dtype {y.dtype}")
    return x


def predict_map(net, x: np.ndarray) -> np.ndarray:
    """The class of every pixel (argmax over the channel axis of the net's scores): (N, H, W) int64."""
    x = _check("predict_map", net, x)
    maps = [net.forward(x[i : i + _BATCH], train=False).argmax(axis=1) for i in range(0, len(x), _BATCH)]
    return np.concatenate(maps).astype(np.int64) if maps else np.zeros((0, *x.shape[2:]), np.int64)


def boundary_mask(y: np.ndarray, width: int = BOUNDARY_WIDTH) -> np.ndarray:
    """(N, H, W) or (H, W) bool: the pixels within `width` pixels (Chebyshev distance) of a class boundary,
    i.e. of a pixel whose 4-neighbour has another class. width=0 gives the boundary pixels themselves."""
    y = np.asarray(y)
    if y.ndim not in (2, 3):
        raise ValueError(f"boundary_mask: labels must have shape (H, W) or (N, H, W), got {y.shape}")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 0:
        raise ValueError(f"boundary_mask: width must be an integer >= 0, got {width!r}")
    edge = np.zeros(y.shape, bool)
    vertical = y[..., 1:, :] != y[..., :-1, :]
    horizontal = y[..., :, 1:] != y[..., :, :-1]
    edge[..., 1:, :] |= vertical
    edge[..., :-1, :] |= vertical
    edge[..., :, 1:] |= horizontal
    edge[..., :, :-1] |= horizontal
    return _dilate(edge, int(width))


def _dilate(mask: np.ndarray, width: int) -> np.ndarray:
    """Grows a mask by `width` pixels in every direction (a (2w+1)² square): separable max filters."""
    for axis in (-2, -1):
        grown = mask.copy()
        n = mask.shape[axis]
        for shift in range(1, width + 1):
            if shift >= n:
                break
            lo = [slice(None)] * mask.ndim
            hi = [slice(None)] * mask.ndim
            lo[axis], hi[axis] = slice(0, n - shift), slice(shift, n)
            grown[tuple(lo)] |= mask[tuple(hi)]
            grown[tuple(hi)] |= mask[tuple(lo)]
        mask = grown
    return mask


def scores(predicted: np.ndarray, y: np.ndarray, num_classes: int, width: int = BOUNDARY_WIDTH) -> dict:
    """The three figures of `evaluate` from a predicted map and the true one (both (N, H, W) ids).

    mean_iou averages intersection-over-union over the classes present in y or predicted (an absent class
    does not count as a perfect 1)."""
    right = predicted == y
    near = boundary_mask(y, width)
    ious = []
    for c in range(num_classes):
        union = np.count_nonzero((predicted == c) | (y == c))
        if union:
            ious.append(np.count_nonzero((predicted == c) & (y == c)) / union)
    return {
        "pixel_accuracy": float(right.mean()) if right.size else float("nan"),
        "boundary_accuracy": float(right[near].mean()) if near.any() else float("nan"),
        "mean_iou": float(np.mean(ious)) if ious else float("nan"),
    }


def evaluate(net, x: np.ndarray, y: np.ndarray, width: int = BOUNDARY_WIDTH) -> dict:
    """{"pixel_accuracy", "boundary_accuracy", "mean_iou"} of net's class map on images x with labels y."""
    x = _check("evaluate", net, x, y)
    return scores(predict_map(net, x), np.asarray(y), int(net.output_shape[0]), width)


def refine_layer(net) -> PdeRefine:
    """The net's pde_refine layer (the last one if several); ValueError naming the types if there is none."""
    found = [layer for layer in net.layers.values() if isinstance(layer, PdeRefine)]
    if not found:
        types = sorted({layer.type for layer in net.layers.values()})
        raise ValueError(f"segmentation: the network has no pde_refine layer (its layer types: {', '.join(types)})")
    return found[-1]


def refinement_steps(net, x: np.ndarray) -> list[np.ndarray]:
    """The class scores (N, C, H, W) before refinement (index 0: the coarse map) and after each of the K
    iterations of the net's pde_refine layer (index K: what the layer outputs), from one forward pass."""
    x = _check("refinement_steps", net, x)
    layer = refine_layer(net)
    steps: list[list[np.ndarray]] = []
    for i in range(0, len(x), _BATCH):
        net.forward(x[i : i + _BATCH], train=False)
        steps.append([u.copy() for u in layer.history])
    return [np.concatenate([chunk[k] for chunk in steps]) for k in range(layer.iterations + 1)]
