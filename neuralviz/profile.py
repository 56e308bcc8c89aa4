"""Where a network's time and memory go: one training step, measured layer by layer.

    import neuralviz as nv
    prof = nv.profile.layer_costs(net, 64)       # a batch of 64 made from seed 0, or pass real x (and y)
    print(prof.table())
    prof.rows[0].forward_ms, prof.peak_bytes

The lecture's "Big data, scaling" slide names memory size and CPU/GPU consumption; this module measures both
for any Network, as the Trainer's layer path runs it:

* time: the engine's own passes run (Network.forward in training mode, the loss, Network.backward without the
  input gradient, as Trainer.step does), with time.perf_counter read around every layer's forward and backward
  call. The layers' methods are wrapped for the duration of the call only (instance attributes, removed
  afterwards), so what is timed is exactly the code training runs. One step warms up (first-touch page faults,
  the kernels' workspaces), then `repeats` steps are timed and each figure is the median over them.
* memory: parameter bytes (the values; training holds as many again for the gradients), each layer's output for
  the batch (measured: the arrays the forward pass made) and its work buffers (Layer.workspace, elements per
  example, times the batch). `peak_bytes` adds them up the way the engine's memory budget does (every output
  and every work buffer is alive at once until the backward pass) plus the gradients and the input: an
  estimate, not a measurement of the process, and without the optimizer's state (Adam: 2 x the parameters).

Nothing about the network changes: no optimizer step runs, and the parameter gradients, the run-time random
generators (dropout, noise), the `skip_grad_x` flags and the outputs the app's views read are put back as they
were. The whole step is timed too (`step_ms`): what the rows do not cover (the loss, the network's
bookkeeping) is `other_ms`.

A plain dense chain trained with plain SGD goes through the fused C++ kernel instead of the layers (see
trainer.py); this measures the layer path, which every network can take. The backend's name is recorded
(`backend`): the CPU kernels are synchronous, so the clock brackets the work; on a backend that queues work
(a GPU's) each timed pass ends with the backend's synchronize(), so the figures mean the same.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import backend, losses
from .layers.base import is_int, show
from .network import Network
from .spec import INPUT

__all__ = ["LayerCost", "Profile", "layer_costs", "format_bytes"]


@dataclass(frozen=True)
class LayerCost:
    """One layer's share of a training step. Bytes are for the whole batch; times are medians in ms."""

    id: str
    type: str
    params: int  # parameter count
    param_bytes: int  # the parameter values (their gradients take as many again)
    activation_bytes: int  # the layer's output for the batch
    workspace_bytes: int  # its largest work buffers for the batch (Layer.workspace)
    forward_ms: float
    backward_ms: float  # 0 for a layer the output's gradient does not reach
    share: float  # (forward_ms + backward_ms) / the whole step's median time, in [0, 1]

    @property
    def total_ms(self) -> float:
        return self.forward_ms + self.backward_ms


@dataclass(frozen=True)
class Profile:
    """A measured training step: `rows` in execution order, totals, and where it ran."""

    rows: tuple[LayerCost, ...]
    batch: int
    input_shape: tuple[int, ...]
    loss: str
    repeats: int
    step_ms: float  # median of the whole step: forward, loss and backward
    input_bytes: int
    peak_bytes: int  # estimate: see the module doc
    backend: str  # "cpu" (the active backend's name)
    threads: int  # the CPU kernels' threads
    isa: str  # the CPU kernels' instruction set: "generic", "avx2" or "avx512"
    dtype: str

    @property
    def total_forward_ms(self) -> float:
        return sum(r.forward_ms for r in self.rows)

    @property
    def total_backward_ms(self) -> float:
        return sum(r.backward_ms for r in self.rows)

    @property
    def other_ms(self) -> float:
        """The step's time outside the layers: the loss and the network's bookkeeping (never below 0)."""
        return max(0.0, self.step_ms - self.total_forward_ms - self.total_backward_ms)

    @property
    def param_bytes(self) -> int:
        return sum(r.param_bytes for r in self.rows)

    @property
    def activation_bytes(self) -> int:
        return sum(r.activation_bytes for r in self.rows)

    @property
    def workspace_bytes(self) -> int:
        return sum(r.workspace_bytes for r in self.rows)

    def where(self) -> str:
        """'cpu, avx512, 1 thread': what the times were measured on."""
        return f"{self.backend}, {self.isa}, {self.threads} thread{'s' * (self.threads != 1)}"

    def table(self) -> str:
        """The rows as aligned text, with totals and the step's summary underneath."""
        head = (
            f"{'layer':14s} {'type':16s} {'params':>10s} {'param mem':>10s} {'output mem':>11s} "
            f"{'work mem':>10s} {'fwd ms':>9s} {'bwd ms':>9s} {'share':>6s}"
        )
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r.id[:14]:14s} {r.type[:16]:16s} {r.params:>10,d} {format_bytes(r.param_bytes):>10s} "
                f"{format_bytes(r.activation_bytes):>11s} {format_bytes(r.workspace_bytes):>10s} "
                f"{r.forward_ms:>9.3f} {r.backward_ms:>9.3f} {r.share:>6.0%}"
            )
        lines.append("-" * len(head))
        lines.append(
            f"{'total':14s} {'':16s} {sum(r.params for r in self.rows):>10,d} {format_bytes(self.param_bytes):>10s} "
            f"{format_bytes(self.activation_bytes):>11s} {format_bytes(self.workspace_bytes):>10s} "
            f"{self.total_forward_ms:>9.3f} {self.total_backward_ms:>9.3f}"
        )
        lines.append(
            f"step {self.step_ms:.3f} ms (layers {self.total_forward_ms + self.total_backward_ms:.3f}, loss and "
            f"bookkeeping {self.other_ms:.3f}) · batch {self.batch} of {self.input_shape} · loss {self.loss} · "
            f"{self.where()} · median of {self.repeats} · peak memory ≈ {format_bytes(self.peak_bytes)}"
        )
        return "\n".join(lines)


def format_bytes(n: int) -> str:
    """Decimal units, three significant digits: 812 B, 14.3 kB, 1.25 MB, 2.1 GB."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


# ---------------------------------------------------------------------------------------------- measuring
def layer_costs(
    net: Network,
    x: np.ndarray | int = 64,
    y: np.ndarray | None = None,
    *,
    loss: str | None = None,
    repeats: int = 5,
    seed: int = 0,
) -> Profile:
    """Measure one training step of `net`, layer by layer (see the module doc).

    x: a batch (shape (batch, *net.input_shape)) or a batch size, for a batch drawn from `seed` (standard
    normal values, or token ids below the vocabulary for a network that reads token ids). y: the targets;
    when left out they are drawn from `seed` too, to suit the loss. loss: "mse", "bce" or "cross_entropy";
    by default cross_entropy for integer targets, else mse. Everything in the result but the times is a
    function of the network, the batch and the loss alone."""
    if not isinstance(net, Network):
        raise TypeError(f"layer_costs: net must be a Network, got {type(net).__name__}")
    if not is_int(repeats) or repeats < 1:
        raise ValueError(f"layer_costs: repeats must be an integer >= 1, got {show(repeats)}")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"layer_costs: seed must be an integer >= 0, got {show(seed)}")
    rng = np.random.default_rng([int(seed), 7_919])
    x = _batch(net, x, rng)
    loss = _loss_name(loss, y)
    y = _targets(net, loss, len(x), rng) if y is None else _checked_targets(y, len(x))
    with _preserved(net), _timed_layers(net) as clock:
        steps = [_one_step(net, x, y, losses.get(loss), clock) for _ in range(int(repeats) + 1)][1:]  # warm-up
        outputs = {lid: a.nbytes for lid, a in net.outputs.items() if lid != INPUT}
    return _profile(net, x, loss, int(repeats), steps, outputs)


def _batch(net: Network, x, rng: np.random.Generator) -> np.ndarray:
    """The batch to time: x checked against the network's input, or made when x is a batch size."""
    if is_int(x):
        if x < 1:
            raise ValueError(f"layer_costs: the batch size must be at least 1, got {x}")
        vocab = _vocab(net)
        if vocab is not None:
            return rng.integers(0, vocab, size=(int(x), *net.input_shape), dtype=np.int64)
        return rng.standard_normal((int(x), *net.input_shape)).astype(net.dtype)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"layer_costs: x must be a numpy array or a batch size, got {type(x).__name__}")
    want = f"(batch, {', '.join(map(str, net.input_shape))})"
    if x.ndim == 0 or x.shape[1:] != net.input_shape:
        raise ValueError(f"layer_costs: x has shape {x.shape} but the network takes inputs of shape {want}")
    if len(x) == 0:
        raise ValueError(f"layer_costs: x is an empty batch (shape {x.shape}); the network takes {want}")
    return x


def _vocab(net: Network) -> int | None:
    """The smallest vocabulary among the layers fed token ids by the input, None if the input is not ids."""
    first = [net.layers[e["id"]] for e in net.order if INPUT in e["inputs"]]
    if first and all(getattr(layer, "takes_integer_input", False) for layer in first):
        return min(int(layer.config["vocab"]) for layer in first)
    return None


def _loss_name(loss: str | None, y) -> str:
    if loss is None:
        return "cross_entropy" if y is not None and np.asarray(y).dtype.kind in "iu" else "mse"
    if loss not in losses.LOSSES:
        raise ValueError(f"layer_costs: unknown loss {show(loss)}; choose one of {', '.join(losses.LOSSES)}")
    return loss


def _targets(net: Network, loss: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Targets the loss accepts for the network's output: class labels, 0/1 values or normal values."""
    out = (n, *net.output_shape)
    if loss == "cross_entropy":
        if len(out) == 4:  # segmentation: a class per pixel, the classes on axis 1
            return rng.integers(0, out[1], size=(n, *out[2:]), dtype=np.int64)
        return rng.integers(0, out[-1], size=out[:-1], dtype=np.int64)
    if loss == "bce":
        return rng.integers(0, 2, size=out).astype(net.dtype)
    return rng.standard_normal(out).astype(net.dtype)


def _checked_targets(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != n:
        raise ValueError(f"layer_costs: y has shape {y.shape} but x has {n} examples: one target each")
    return y


_PASSES = ("forward", "backward")


class _Clock:
    """Per-layer seconds of the current step, filled by the wrapped forward/backward methods."""

    def __init__(self):
        self.forward: dict[str, float] = {}
        self.backward: dict[str, float] = {}

    def reset(self) -> None:
        self.forward, self.backward = {}, {}

    def wrap(self, lid: str, method: Callable, into: str) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                sync = getattr(backend.current, "synchronize", None)
                if sync is not None:  # a GPU queues its kernels: wait, so the clock brackets the work
                    sync()
                times = getattr(self, into)
                times[lid] = times.get(lid, 0.0) + time.perf_counter() - start

        return timed


class _timed_layers:
    """Context manager: every layer's forward and backward report to a _Clock (instance attributes shadow the
    class's methods, so Network.forward/backward call them unchanged; removed on exit)."""

    def __init__(self, net: Network):
        self.net = net
        self.clock = _Clock()

    def __enter__(self) -> _Clock:
        # what the instances held before (normally nothing: the class's methods), to put back on exit
        self.before = {
            lid: {k: layer.__dict__[k] for k in _PASSES if k in layer.__dict__}
            for lid, layer in self.net.layers.items()
        }
        for lid, layer in self.net.layers.items():
            for name in _PASSES:
                setattr(layer, name, self.clock.wrap(lid, getattr(layer, name), name))
        return self.clock

    def __exit__(self, *exc) -> None:
        for lid, layer in self.net.layers.items():
            for name in _PASSES:
                layer.__dict__.pop(name, None)
            layer.__dict__.update(self.before[lid])


class _preserved:
    """Context manager: the network as it was on exit. Parameter values are never written (no optimizer
    step); the gradients are copied back into the same arrays (optimizers may hold them), the random
    generators get their states back, and the outputs and flags the app reads are restored."""

    def __init__(self, net: Network):
        self.net = net

    def __enter__(self) -> None:
        net = self.net
        self.grads = [(p.grad, p.grad.copy()) for p in net.parameters()]
        self.outputs, self.output_grads = net.outputs, net.output_grads
        self.skips = {lid: layer.__dict__.get("skip_grad_x") for lid, layer in net.layers.items()}
        self.generators = [
            (g, g.bit_generator.state)
            for layer in net.layers.values()
            for g in vars(layer).values()
            if isinstance(g, np.random.Generator)
        ]

    def __exit__(self, *exc) -> None:
        net = self.net
        for grad, saved in self.grads:
            grad[...] = saved  # in place (a DeviceArray too): optimizers may hold these arrays
        for g, state in self.generators:
            g.bit_generator.state = state
        net.outputs, net.output_grads = self.outputs, self.output_grads
        for lid, skip in self.skips.items():
            if skip is None:
                net.layers[lid].__dict__.pop("skip_grad_x", None)  # back to the class default
            else:
                net.layers[lid].skip_grad_x = skip


def _one_step(net: Network, x, y, loss_fn, clock: _Clock) -> tuple[dict, dict, float]:
    """Trainer.step without the update: per-layer forward and backward seconds, and the whole step's."""
    clock.reset()
    net.zero_grad()
    start = time.perf_counter()
    out = net.forward(x, train=True)
    _, grad = loss_fn(out, y)
    net.backward(grad, input_grad=False)
    return clock.forward, clock.backward, time.perf_counter() - start


def _profile(net: Network, x: np.ndarray, loss: str, repeats: int, steps: list, outputs: dict) -> Profile:
    n, item = len(x), net.dtype.itemsize
    step_ms = 1e3 * statistics.median(s[2] for s in steps)
    rows = []
    for lid, layer in net.layers.items():
        fwd = 1e3 * statistics.median(s[0].get(lid, 0.0) for s in steps)
        bwd = 1e3 * statistics.median(s[1].get(lid, 0.0) for s in steps)
        rows.append(
            LayerCost(
                id=lid,
                type=layer.type,
                params=sum(p.size for p in layer.params.values()),
                param_bytes=sum(p.value.nbytes for p in layer.params.values()),
                activation_bytes=outputs.get(lid, n * math.prod(layer.output_shape) * item),
                workspace_bytes=n * layer.workspace() * item,
                forward_ms=fwd,
                backward_ms=bwd,
                share=min(1.0, (fwd + bwd) / step_ms) if step_ms > 0 else 0.0,
            )
        )
    rows_t = tuple(rows)
    held = sum(r.activation_bytes + r.workspace_bytes for r in rows_t)
    return Profile(
        rows=rows_t,
        batch=n,
        input_shape=tuple(net.input_shape),
        loss=loss,
        repeats=repeats,
        step_ms=step_ms,
        input_bytes=int(x.nbytes),
        peak_bytes=2 * sum(r.param_bytes for r in rows_t) + int(x.nbytes) + held,
        backend=net.device.name if net.device is not None else "cpu",  # where it ran (it may stay on the CPU)
        threads=backend.get_num_threads(),
        isa=backend.cpu_isa(),
        dtype=str(net.dtype),
    )
