"""The layer contract every layer type follows (Caffe's, in Python).

A layer is built from its spec entry and the shapes of its inputs; building *is* shape
inference, so a bad spec fails before any data flows, with the layer id in the message.
`forward` caches what `backward` needs; `backward` returns one gradient per input and
*accumulates* parameter gradients (so a network can sum gradients over several passes).
Shapes exclude the batch dimension.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np


class SpecError(ValueError):
    """An invalid network spec: names the layer id and the shapes or values involved."""


@dataclass(eq=False)
class Parameter:
    """A trainable array with its gradient; name is '<layer_id>.<local name>'."""

    name: str
    value: np.ndarray
    grad: np.ndarray = field(init=False)

    def __post_init__(self):
        self.grad = np.zeros_like(self.value)

    @property
    def size(self) -> int:
        return self.value.size


class Layer:
    """Base class. Subclasses set `type`, `defaults` and implement build/forward/backward."""

    type: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    # Set by Network.backward: the input gradient will be discarded, so layers with a
    # costly one (dense, conv2d) may return None instead of computing it.
    skip_grad_x: bool = False

    def __init__(
        self, layer_id: str, config: dict, input_shapes: list[tuple], dtype: np.dtype, rng: np.random.Generator
    ):
        self.id = layer_id
        self.dtype = np.dtype(dtype)
        self.input_shapes = [tuple(s) for s in input_shapes]
        unknown = set(config) - set(self.defaults)
        if unknown:
            raise SpecError(
                f"layer '{layer_id}' ({self.type}): unknown parameter(s) "
                f"{sorted(unknown)}; allowed: {sorted(self.defaults) or 'none'}"
            )
        self.config = {**self.defaults, **config}
        n = len(input_shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            want = f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs else f"at least {self.min_inputs}"
            raise SpecError(f"layer '{layer_id}' ({self.type}) takes {want} input(s), got {n}")
        self.params: dict[str, Parameter] = {}
        self.output_shape: tuple = self.build(rng)

    # ---- to implement -------------------------------------------------------------
    def build(self, rng: np.random.Generator) -> tuple:
        """Validate config against input shapes, create parameters, return output shape."""
        return self.input_shapes[0]

    def forward(self, inputs: list[np.ndarray], train: bool) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray) -> list[np.ndarray | None]:
        raise NotImplementedError

    def flops(self) -> int:
        """Multiply-adds x2 per example for the forward pass (0 for cheap elementwise)."""
        return 0

    # ---- helpers --------------------------------------------------------------------
    def error(self, message: str) -> SpecError:
        shapes = ", ".join(str(s) for s in self.input_shapes)
        return SpecError(f"layer '{self.id}' ({self.type}): {message} (input shapes: {shapes})")

    def add_param(self, local: str, value: np.ndarray) -> Parameter:
        p = Parameter(f"{self.id}.{local}", np.ascontiguousarray(value, dtype=self.dtype))
        self.params[local] = p
        return p

    def set_seed(self, rng: np.random.Generator) -> None:
        """Layers with run-time randomness (dropout, noise) take their generator here."""

    def int_param(self, key: str, minimum: int = 1) -> int:
        v = self.config[key]
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < minimum:
            raise self.error(f"'{key}' must be an integer >= {minimum}, got {v!r}")
        return int(v)

    def pair_param(self, key: str, minimum: int) -> tuple[int, int]:
        v = self.config[key]
        pair = (v, v) if not isinstance(v, (list, tuple)) else tuple(v)
        if (
            len(pair) != 2
            or any(not isinstance(e, (int, np.integer)) or isinstance(e, bool) for e in pair)
            or min(pair) < minimum
        ):
            raise self.error(f"'{key}' must be an int >= {minimum} or a pair of them, got {v!r}")
        return int(pair[0]), int(pair[1])

    def float_param(self, key: str, low: float, high: float, low_open: bool = False) -> float:
        v = self.config[key]
        ok = isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)
        ok = ok and (v > low if low_open else v >= low) and v <= high
        if not ok:
            bracket = "(" if low_open else "["
            raise self.error(f"'{key}' must be a number in {bracket}{low}, {high}], got {v!r}")
        return float(v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, out={self.output_shape})"


def uniform_init(rng: np.random.Generator, shape, fan_in: int) -> np.ndarray:
    """PyTorch's default for Linear/Conv/RNN: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(max(fan_in, 1))
    return rng.uniform(-bound, bound, size=shape)
