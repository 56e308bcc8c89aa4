"""Losses, as means over the batch (PyTorch's defaults), each returning (value, grad).

The heavy lifting is one fused kernel of the active backend per loss (one pass, numerically
stable; on the CPU the Cython loops of neuralviz._native.losses):
cross_entropy takes logits and integer labels (softmax + log-likelihood in one step),
bce takes logits and 0/1 targets, mse takes any predictions and targets of the same shape.
Targets are checked here, so a label out of range or a mismatched shape names itself.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import backend
from .device import beside, contiguous

LOSSES = ("mse", "bce", "cross_entropy")


def _as_float(name: str, y: np.ndarray, like: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "fiub":
        raise TypeError(f"{name}: targets must be numeric, got dtype {y.dtype}")
    if y.shape != like.shape:
        if y.size == like.size:  # (N,) labels for an (N, 1) output, say
            y = y.reshape(like.shape)
        else:
            raise ValueError(f"{name}: targets have shape {y.shape} but predictions have shape {like.shape}")
    return np.ascontiguousarray(y, dtype=like.dtype)


def mse(pred: np.ndarray, target: np.ndarray, grad: bool = True):
    """Mean squared error over all elements; grad = 2 (pred - target) / numel."""
    target = beside(_as_float("mse", target, pred), pred)
    g = np.empty_like(pred) if grad else None
    return backend.current.mse(contiguous(pred), target, g), g


def bce(logits: np.ndarray, target: np.ndarray, grad: bool = True):
    """Binary cross-entropy on logits (sigmoid folded in, stable for large |logit|)."""
    target = _as_float("bce", target, logits)
    if target.size and (target.min() < 0 or target.max() > 1):
        raise ValueError(f"bce: targets must lie in [0, 1], got values in [{target.min()}, {target.max()}]")
    target = beside(target, logits)
    g = np.empty_like(logits) if grad else None
    return backend.current.bce_with_logits(contiguous(logits), target, g), g


def is_per_pixel(logits_shape: tuple, labels_shape: tuple) -> bool:
    """Whether (N, C, H, W) scores meet (N, H, W) labels: a class per pixel, the classes on axis 1 (NCHW)."""
    return len(logits_shape) == 4 and tuple(labels_shape) == (logits_shape[0], *logits_shape[2:])


def cross_entropy(logits: np.ndarray, labels: np.ndarray, grad: bool = True):
    """Softmax cross-entropy on logits (..., C) with integer labels (...), mean over the rows.

    Segmentation: logits (N, C, H, W) with labels (N, H, W) take the softmax over the channel axis at every
    pixel (mean over all N·H·W pixels), through the same fused kernel on the (N·H·W, C) rows.
    """
    labels = np.asarray(labels)
    if is_per_pixel(np.shape(logits), labels.shape):
        value, g = cross_entropy(np.moveaxis(logits, 1, -1), labels, grad)
        return value, (np.ascontiguousarray(np.moveaxis(g, -1, 1)) if grad else None)
    if labels.dtype.kind == "f":
        if not np.all(np.mod(labels, 1) == 0):
            raise ValueError("cross_entropy: labels must be integer class indices")
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels must be integers, got dtype {labels.dtype}")
    c = logits.shape[-1]
    if labels.shape != logits.shape[:-1]:
        raise ValueError(
            f"cross_entropy: labels have shape {labels.shape} but logits of shape "
            f"{logits.shape} need labels of shape {logits.shape[:-1]}"
        )
    flat = contiguous(logits).reshape(-1, c)
    g = np.empty_like(flat) if grad else None
    labels = np.ascontiguousarray(labels, dtype=np.int64).reshape(-1)
    labels = beside(labels, flat)
    value = backend.current.softmax_cross_entropy(flat, labels, g)
    return value, (g.reshape(logits.shape) if grad else None)


def get(name: str) -> Callable:
    """The loss function for a name: 'mse', 'bce' or 'cross_entropy'."""
    try:
        return {"mse": mse, "bce": bce, "cross_entropy": cross_entropy}[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None
