"""Gram matrices: which features fire together, averaged over every position (Gatys, Ecker, Bethge 2015).

For a layer's feature maps F of shape (N maps, M positions), G = F Fᵀ / M: G_ij is the mean product of maps
i and j over the image. Where things are is averaged away, what co-occurs stays: that is a texture.

The loss of one layer compares the image's Gram G with the source's Ĝ, relative to the source's size,

    E = ‖G − Ĝ‖² / ‖Ĝ‖²       (ivust's relative measure; Gatys's 1/(4N²M²) scaling up to a constant)

so 1.0 is "as far from the source as the source is from zero", and a fall by 90% is a fall to a tenth,
whatever the layer's scale. Its gradient with respect to F is ∂E/∂F = 4 (G − Ĝ) F / (M ‖Ĝ‖²).
"""

from __future__ import annotations

import numpy as np

from .. import ops


def _maps(features: np.ndarray) -> np.ndarray:
    """(C, H, W), (1, C, H, W) or (C, M) features as a (C, M) matrix."""
    f = np.asarray(features)
    if f.ndim == 4:
        if f.shape[0] != 1:
            raise ValueError(f"gram: features must hold one image, got a batch of {f.shape[0]} (shape {f.shape})")
        f = f[0]
    if f.ndim == 3:
        f = f.reshape(f.shape[0], -1)
    if f.ndim != 2 or f.shape[1] == 0:
        raise ValueError(f"gram: features must be (C, H, W), (1, C, H, W) or (C, M) with M > 0, got shape {f.shape}")
    if f.dtype not in (np.float32, np.float64):
        f = f.astype(np.float64)
    return np.ascontiguousarray(f)


def gram(features: np.ndarray) -> np.ndarray:
    """G = F Fᵀ / M for feature maps (C, H, W) (or (1, C, H, W), or (C, M)): a symmetric (C, C) matrix."""
    f = _maps(features)
    return ops.matmul(f, f, trans_b=True) / f.shape[1]


def gram_loss(features: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """(E, ∂E/∂F) for E = ‖gram(F) − target‖² / ‖target‖²; the gradient has the shape features came in."""
    shape = np.shape(features)
    f = _maps(features)
    m = f.shape[1]
    g = ops.matmul(f, f, trans_b=True) / m
    target = np.asarray(target)
    if target.shape != g.shape:
        raise ValueError(f"gram_loss: target must be {g.shape} (one entry per pair of maps), got {target.shape}")
    scale = float(np.sum(target.astype(np.float64) ** 2))
    if scale <= 0.0:
        raise ValueError("gram_loss: the target Gram matrix is all zeros (a blank source gives nothing to match)")
    diff = g - target
    loss = float(np.sum(diff.astype(np.float64) ** 2)) / scale
    # the engine's single-threaded GEMM: numpy's threaded BLAS stalls for milliseconds on a busy machine
    grad = (4.0 / (m * scale)) * ops.matmul(np.ascontiguousarray(diff, dtype=f.dtype), f)
    return loss, grad.reshape(shape).astype(f.dtype, copy=False)
