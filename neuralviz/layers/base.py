"""The layer contract every layer type follows (Caffe's, in Python).

A layer is built from its spec entry and the shapes of its inputs; building *is* shape
inference, so a bad spec fails before any data flows, with the layer id and the key in the
message. `forward` caches what `backward` needs; `backward` returns one gradient per input
and *accumulates* parameter gradients (so a network can sum gradients over several passes).
Shapes exclude the batch dimension.

Natural gradient needs two more things from a layer, both read from the last forward pass:
`backward_seeds` carries K stacked output-space seeds (K, N, *out) back to the inputs with
the parameters held fixed (the Fisher's per-example backward; p.grad is never touched), and
`unfold` shows a dense or conv2d layer as one matrix product per output location (the
inputs and seeds the per-layer statistics are built from).

Building happens in two phases so that a spec can be refused before any memory is taken:
`build` validates the parameters (strictly: an int must be an int, not a bool or a float; a
flag must be a bool), works out the output shape with Python ints (no overflow), and
*declares* the parameters (`add_param(local, shape, init)`); `materialize` then draws their
initial values. A layer constructed on its own materialises at once, after checking its own
parameter and activation counts against the budget (see `limits`). Network.from_spec builds
every layer first, checks the whole network against the budget, then materialises.

Budget (memory taken by a spec, checked before allocating):

* MAX_PARAMS = 2**28 (268,435,456) parameters in all. Building peaks at about 16 bytes per
  float32 parameter (the float64 initial draw, the value and its gradient), so the default
  is about 4 GiB; an optimizer adds its state on top (adam: 8 bytes per parameter more).
* MAX_ACTIVATIONS = 2**28 elements *per example*, summed over the layers' outputs and their
  largest work buffers (a conv's padded input, its im2col matrix): 1 GiB per float32
  example.

Override per call (`Network.from_spec(spec, max_params=..., max_activations=...)`), per
process with the environment variables NEURALVIZ_MAX_PARAMS / NEURALVIZ_MAX_ACTIVATIONS, or
by assigning neuralviz.layers.base.MAX_PARAMS / MAX_ACTIVATIONS. Any single size in a spec
(units, channels, kernel_size, stride, padding, dilation, hidden, vocab, dim, an input
dimension) must also be at most MAX_SIZE = 2**31 - 1.
"""

from __future__ import annotations

import math
import os
import reprlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

MAX_PARAMS = 2**28
MAX_ACTIVATIONS = 2**28
MAX_SIZE = 2**31 - 1
_ENV = {"max_params": "NEURALVIZ_MAX_PARAMS", "max_activations": "NEURALVIZ_MAX_ACTIVATIONS"}


class SpecError(ValueError):
    """An invalid network spec: names the layer id and the shapes or values involved."""


_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxother = 3, 60, 60
_repr.maxlist = _repr.maxtuple = _repr.maxdict = 6


def show(value: Any) -> str:
    """A short repr for error messages: bounded in length and in nesting depth."""
    try:
        return _repr.repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails must not hide the real error
        return f"<{type(value).__name__}>"


def is_int(v: Any) -> bool:
    """A true integer: Python or numpy int, not a bool (True is 1 to Python) and not a float."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def limits(max_params: int | None = None, max_activations: int | None = None) -> tuple[int, int]:
    """The budget in force: the arguments if given, else the environment variables
    NEURALVIZ_MAX_PARAMS / NEURALVIZ_MAX_ACTIVATIONS, else MAX_PARAMS / MAX_ACTIVATIONS."""
    resolved = []
    for key, value, default in (
        ("max_params", max_params, MAX_PARAMS),
        ("max_activations", max_activations, MAX_ACTIVATIONS),
    ):
        source = key
        if value is None:
            text = os.environ.get(_ENV[key], "").strip().replace("_", "")
            if not text:
                resolved.append(int(default))
                continue
            source = f"environment variable {_ENV[key]}"
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{source} must be a positive integer, got {text!r}") from None
        if not is_int(value) or value < 1:
            raise ValueError(f"{source} must be a positive integer, got {show(value)}")
        resolved.append(int(value))
    return resolved[0], resolved[1]


@dataclass(eq=False)
class Parameter:
    """A trainable array with its gradient; name is '<layer_id>.<local name>'."""

    name: str
    value: np.ndarray
    grad: np.ndarray = field(init=False)

    def __post_init__(self):
        # np.zeros (calloc) rather than zeros_like: untouched pages cost no memory yet
        self.grad = np.zeros(self.value.shape, self.value.dtype)

    @property
    def size(self) -> int:
        return self.value.size


Init = Callable[[np.random.Generator, tuple], np.ndarray]


class Layer:
    """Base class. Subclasses set `type`, `defaults` and implement build/forward/backward."""

    type: ClassVar[str] = ""
    stochastic: ClassVar[bool] = False  # draws at run time in training mode (dropout, noise)
    defaults: ClassVar[dict[str, Any]] = {}
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    # Set by Network.backward: the input gradient will be discarded, so layers with a
    # costly one (dense, conv2d) may return None instead of computing it.
    skip_grad_x: bool = False
    # Runs on a device backend (its passes use only backend kernels and DeviceArray operations;
    # see neuralviz.device). Network.follow_backend refuses a GPU for a network with other layers.
    on_device: ClassVar[bool] = False

    def __init__(
        self,
        layer_id: str,
        config: dict,
        input_shapes: list[tuple],
        dtype: np.dtype,
        rng: np.random.Generator,
        *,
        materialize: bool = True,
        budget: tuple[int, int] | None = None,
    ):
        self.id = layer_id
        self.dtype = np.dtype(dtype)
        self.input_shapes = [tuple(s) for s in input_shapes]
        if not isinstance(config, dict):
            raise SpecError(f"layer '{layer_id}' ({self.type}): parameters must be an object, got {show(config)}")
        unknown = [k for k in config if k not in self.defaults]
        if unknown:
            raise SpecError(
                f"layer '{layer_id}' ({self.type}): unknown parameter(s) "
                f"{show(sorted(map(str, unknown)))}; allowed: {sorted(self.defaults) or 'none'}"
            )
        self.config = {**self.defaults, **config}
        n = len(input_shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            want = f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs else f"at least {self.min_inputs}"
            raise SpecError(f"layer '{layer_id}' ({self.type}) takes {want} input(s), got {n}")
        self.params: dict[str, Parameter] = {}
        self._pending: list[tuple[str, tuple, Init, str]] = []
        self._rng = rng
        self.output_shape: tuple = tuple(int(d) for d in self.build(rng))
        if not self.output_shape or any(d < 1 for d in self.output_shape):
            raise self.error(f"the output shape {self.output_shape} has an empty dimension")
        if any(d > MAX_SIZE for d in self.output_shape):
            raise self.error(f"the output shape {self.output_shape} has a dimension above {MAX_SIZE:,d}")
        max_params, max_activations = budget if budget is not None else limits()
        count = self.param_count()
        if count > max_params:
            raise self.error(
                f"{self.settings()} gives {count:,d} parameters, above the budget of {max_params:,d} "
                "(raise it with max_params= or NEURALVIZ_MAX_PARAMS)"
            )
        work = self.activation_count()
        if work > max_activations:
            raise self.error(
                f"{self.settings()} gives {work:,d} activation elements per example (output {self.output_shape}), "
                f"above the budget of {max_activations:,d} (raise it with max_activations= or "
                "NEURALVIZ_MAX_ACTIVATIONS)"
            )
        if materialize:
            self.materialize()

    # ---- to implement -------------------------------------------------------------
    def build(self, rng: np.random.Generator) -> tuple:
        """Validate config against input shapes, declare parameters, return output shape."""
        return self.input_shapes[0]

    def forward(self, inputs: list[np.ndarray], train: bool) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray) -> list[np.ndarray | None]:
        raise NotImplementedError

    def flops(self) -> int:
        """Multiply-adds x2 per example for the forward pass (0 for cheap elementwise)."""
        return 0

    def workspace(self) -> int:
        """Elements per example of the layer's largest work buffers besides its output."""
        return 0

    # ---- natural gradient (see the module docstring) ------------------------------------
    def backward_seeds(self, seeds: np.ndarray) -> list[np.ndarray | None]:
        """K stacked seeds (K, N, *out) -> one (K, N, *in) gradient per input (None where an
        input takes none, e.g. token ids), through the last forward pass.

        Unlike backward, parameter gradients are left exactly as they were and the input
        gradient is always computed: the Fisher backpropagates directions in output space,
        not the loss. This default runs backward once per seed with the parameter gradients
        sent to scratch arrays; layers with a closed form override it with one vectorised call.
        """
        with _params_held(self):
            per_seed = [self.backward(np.ascontiguousarray(s)) for s in seeds]
        return [None if g is None else np.stack([r[i] for r in per_seed]) for i, g in enumerate(per_seed[0])]

    def unfold(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The last forward pass as one product y_t = W x_t + b per output location t:
        (x (N, T, d_in), seeds regrouped from (K, N, *out) to (K, N, T, d_out)), W of shape
        (d_out, d_in). Only the layers the structured natural-gradient methods cover have it."""
        raise NotImplementedError(f"layer '{self.id}' ({self.type}) is not a matrix product per location")

    def settings(self) -> str:
        """The layer's parameters as 'units=8, bias=True' (for messages); 'the input' for none."""
        text = ", ".join(f"{k}={show(self.config[k])}" for k in self.defaults if self.config.get(k) is not None)
        return text or "the input"

    # ---- sizes ------------------------------------------------------------------------
    def param_count(self) -> int:
        """Parameters declared or allocated (exact Python int, no overflow)."""
        return sum(math.prod(shape) for _, shape, _, _ in self._pending) + sum(p.size for p in self.params.values())

    def param_shape(self, local: str) -> tuple:
        if local in self.params:
            return self.params[local].value.shape
        return next(shape for name, shape, _, _ in self._pending if name == local)

    def activation_count(self) -> int:
        """Elements per example this layer holds during a pass: its output plus its workspace."""
        return math.prod(self.output_shape) + self.workspace()

    def materialize(self) -> None:
        """Draws the declared parameters' initial values (in declaration order, from the layer's generator)."""
        for local, shape, init, attr in self._pending:
            value = np.ascontiguousarray(init(self._rng, shape), dtype=self.dtype)
            p = Parameter(f"{self.id}.{local}", value)
            self.params[local] = p
            setattr(self, attr, p)
        self._pending = []

    # ---- helpers --------------------------------------------------------------------
    def error(self, message: str) -> SpecError:
        shapes = ", ".join(str(s) for s in self.input_shapes)
        return SpecError(f"layer '{self.id}' ({self.type}): {message} (input shapes: {shapes})")

    def add_param(self, local: str, shape: tuple, init: Init, attr: str | None = None) -> None:
        """Declares a parameter; `materialize` sets self.<attr> (default: local) to it."""
        attr = attr or local
        self._pending.append((local, tuple(int(d) for d in shape), init, attr))
        setattr(self, attr, None)

    def set_seed(self, rng: np.random.Generator) -> None:
        """Layers with run-time randomness (dropout, noise) take their generator here."""

    def int_param(self, key: str, minimum: int = 1, maximum: int = MAX_SIZE) -> int:
        v = self.config[key]
        if not is_int(v):
            raise self.error(f"'{key}' must be an integer, got {_kind(v)} {show(v)}")
        if not minimum <= v <= maximum:
            raise self.error(f"'{key}' must be an integer in [{minimum}, {maximum:,d}], got {show(v)}")
        return int(v)

    def pair_param(self, key: str, minimum: int, maximum: int = MAX_SIZE) -> tuple[int, int]:
        v = self.config[key]
        pair = (v, v) if not isinstance(v, (list, tuple)) else tuple(v)
        if len(pair) != 2 or not all(is_int(e) for e in pair):
            raise self.error(f"'{key}' must be an integer or a pair [h, w] of integers, got {_kind(v)} {show(v)}")
        if not all(minimum <= e <= maximum for e in pair):
            raise self.error(f"'{key}' must be in [{minimum}, {maximum:,d}] (or a pair of such), got {show(v)}")
        return int(pair[0]), int(pair[1])

    def float_param(self, key: str, low: float, high: float, low_open: bool = False, high_open: bool = False) -> float:
        v = self.config[key]
        if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, (bool, np.bool_)):
            raise self.error(f"'{key}' must be a number, got {_kind(v)} {show(v)}")
        try:
            v = float(v)
        except OverflowError:  # an int beyond the float range
            v = math.inf
        ok = math.isfinite(v) and (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
        if not ok:
            bracket = ("(" if low_open else "[") + f"{low:g}, {high:g}" + (")" if high_open else "]")
            raise self.error(f"'{key}' must be a finite number in {bracket}, got {show(self.config[key])}")
        return v

    def bool_param(self, key: str) -> bool:
        v = self.config[key]
        if not isinstance(v, (bool, np.bool_)):
            raise self.error(f"'{key}' must be true or false, got {_kind(v)} {show(v)}")
        return bool(v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, out={self.output_shape})"


@contextmanager
def _params_held(layer: Layer) -> Iterator[None]:
    """Runs a block of layer.backward calls as pure input-gradient passes: the parameter
    gradients accumulate into scratch arrays (the original p.grad arrays, the very objects,
    come back untouched) and skip_grad_x is off, so every input gradient is computed."""
    saved = [(p, p.grad) for p in layer.params.values()]
    skip = layer.skip_grad_x
    for p, g in saved:
        p.grad = np.zeros(g.shape, g.dtype)
    layer.skip_grad_x = False
    try:
        yield
    finally:
        for p, g in saved:
            p.grad = g
        layer.skip_grad_x = skip


def _kind(v: Any) -> str:
    return {bool: "boolean", str: "string", list: "list", dict: "object", type(None): "null", float: "float"}.get(
        type(v), type(v).__name__
    )


def uniform_init(rng: np.random.Generator, shape, fan_in: int) -> np.ndarray:
    """PyTorch's default for Linear/Conv/RNN: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(max(fan_in, 1))
    return rng.uniform(-bound, bound, size=shape)


def uniform(fan_in: int) -> Init:
    """An initialiser drawing uniform_init(rng, shape, fan_in)."""
    return lambda rng, shape: uniform_init(rng, shape, fan_in)
