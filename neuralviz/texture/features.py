"""The feature factory of texture synthesis: one layer of random filters at several sizes, then a ReLU.

Ustyuzhaninov, Brendel, Gatys and Bethge (2016, "What does it take to generate natural textures?") showed
that one untrained conv layer of random filters at many scales matches VGG's textures surprisingly well,
provided there is a non-linearity: without the ReLU a Gram matrix of linear filters only holds the image's
second-order statistics (its power spectrum), and the synthesis gives blotchy Gaussian noise.

The live version (../shared/research/generative_robustness_brief.md §3): filter sizes 3, 5, 7, 11, 15 with 32
maps each, Glorot-uniform weights, zero bias, on the mean-centred image. Padding wraps around, so the image
is a torus: no border artefacts, and the synthesised texture tiles. Convolutions are the engine's
(neuralviz.ops.conv2d); the gradient to the pixels is a conv2d too (see `backward`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ops

DEFAULT_SIZES = (3, 5, 7, 11, 15)
DEFAULT_MAPS = 32


def wrap_pad(x: np.ndarray, p: int) -> np.ndarray:
    """(1, C, H, W) padded by p on every side with the opposite edge's pixels (a torus)."""
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="wrap") if p else x


def circular_conv(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Cross-correlation of (1, C, H, W) with odd (C_out, C, k, k) filters on the torus: (1, C_out, H, W)."""
    return ops.conv2d(wrap_pad(x, w.shape[-1] // 2), w)


def circular_conv_backward(grad_y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """∂L/∂x of circular_conv from ∂L/∂y.

    On the torus the adjoint of correlating with w is correlating with w flipped in space and with its
    in/out channels swapped (for odd k the flip turns offset a − k//2 into k//2 − a): one more forward conv,
    cheaper than conv2d_backward, which would also compute the filters' gradients we never use."""
    adjoint = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    return circular_conv(grad_y, adjoint)


@dataclass(frozen=True)
class FeatureSpec:
    """What the feature layer is: filter sizes (odd), maps per size, ReLU or linear, the filters' seed."""

    sizes: tuple[int, ...] = DEFAULT_SIZES
    maps: int = DEFAULT_MAPS
    relu: bool = True
    seed: int = 0

    def check(self) -> FeatureSpec:
        sizes = tuple(self.sizes)
        if not sizes:
            raise ValueError("texture features: sizes must name at least one filter size")
        for k in sizes:
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 or k % 2 == 0:
                raise ValueError(f"texture features: filter sizes must be odd integers >= 1, got {k!r}")
        if isinstance(self.maps, bool) or not isinstance(self.maps, (int, np.integer)) or self.maps < 1:
            raise ValueError(f"texture features: maps must be an integer >= 1, got {self.maps!r}")
        return FeatureSpec(tuple(int(k) for k in sizes), int(self.maps), bool(self.relu), int(self.seed))


class RandomFilters:
    """One conv layer per filter size (random, fixed), each a "layer" whose Gram matrix is matched."""

    def __init__(self, spec: FeatureSpec = FeatureSpec(), channels: int = 3, dtype=np.float32):
        self.spec = spec.check()
        rng = np.random.default_rng(self.spec.seed)
        self.weights = []
        for k in self.spec.sizes:
            fan_in, fan_out = channels * k * k, self.spec.maps * k * k
            limit = np.sqrt(6.0 / (fan_in + fan_out))  # Glorot uniform, Lasagne's default as in ivust's code
            self.weights.append(rng.uniform(-limit, limit, (self.spec.maps, channels, k, k)).astype(dtype))
        self.dtype = np.dtype(dtype)

    def __len__(self) -> int:
        return len(self.weights)

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Feature maps (1, maps, H, W) per filter size, for a centred image x (1, C, H, W)."""
        x = np.ascontiguousarray(x, dtype=self.dtype)
        pre = [circular_conv(x, w) for w in self.weights]
        return [np.maximum(p, 0) for p in pre] if self.spec.relu else pre

    def backward(self, features: list[np.ndarray], grads: list[np.ndarray]) -> np.ndarray:
        """∂L/∂x from ∂L/∂(each layer's maps); `features` are forward's outputs (the ReLU's mask)."""
        total = None
        for w, f, g in zip(self.weights, features, grads):
            if self.spec.relu:
                g = np.where(f > 0, g, 0).astype(self.dtype)
            part = circular_conv_backward(np.ascontiguousarray(g, dtype=self.dtype), w)
            total = part if total is None else total + part
        return total
