"""Fused training of small dense networks: many SGD steps in one C++ call.

For Playground-size networks (2-8-8-1 tanh, batch 10) a layer-by-layer step is dominated by
Python overhead, not arithmetic. When a network is a plain chain of dense layers, each
optionally followed by one tanh / relu / sigmoid / leaky_relu, `train_steps` runs whole
stretches of minibatch SGD (forward, loss, backward, update) inside one call of the active
backend's kernel `mlp_sgd_steps`, with the GIL released, on the network's own parameter arrays.
Results match Trainer.step with optim "sgd" (same formulas, same minibatches) to rounding.

You rarely call this module: nv.Trainer.train_steps and Trainer.fit take the fused path by
themselves whenever the network, loss and optimizer qualify (trainer.path says which path
ran and trainer.path_reason why). Called directly:

    plan = fused_mlp_plan(net)          # None: use the Trainer instead
    order = nv.data.BatchStream(len(x), 10, seed=0).take(1000 * 10)
    losses = train_steps(net, x, y, "bce", lr=0.03, order=order, batch=10)

Prediction needs nothing special: net.forward(x) is already one kernel call per layer.

Pruned networks (nv.prune: masks on the network) stay on this path: the kernel has no mask
argument, so the steps then run one kernel call each with the masks applied in between (the
pruned weights are exactly 0 at every forward pass, as on the layer path). That is the
layer path's arithmetic at a fraction of its Python cost, though not the many steps per call
of an unpruned net (a mask argument to the C++ kernel would give those back).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import backend
from .data.batch_stream import BatchStream
from .network import Network
from .spec import INPUT
from .trainer import FUSED_REASON, RunawayDetector, TrainingDiverged

# Codes of the kernel's enums (csrc/cpu/mlp.h: Act, MlpLoss).
_ACT_CODES = {None: 0, "tanh": 1, "relu": 2, "sigmoid": 3, "leaky_relu": 4}
_ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu")
_LOSS_CODES = {"mse": 0, "bce": 1, "cross_entropy": 2}


@dataclass(frozen=True)
class FusedMlpPlan:
    """What the kernel needs to know about an eligible network.

    sizes: input width, then each dense layer's units; acts: the activation after each dense
    layer (None for none); weights/biases: the network's own parameter arrays (updated in
    place by train_steps; a bias is None for a dense layer built with bias=False).
    """

    sizes: tuple[int, ...]
    acts: tuple[str | None, ...]
    leaky_slope: float
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray | None, ...]
    masks: tuple[tuple[np.ndarray, np.ndarray], ...] = ()  # (parameter array, its mask as 0/1 of its dtype)

    @property
    def reason(self) -> str:
        """Why the Trainer takes this plan (its trainer.path_reason)."""
        if self.masks:
            return "plain SGD on a dense chain with pruning masks: one step per C++ call, masks applied between"
        return FUSED_REASON


def fused_mlp_plan(net: Network) -> FusedMlpPlan | None:
    """The plan for the fused path, or None if the network does not qualify."""
    plan = _plan_or_reason(net)
    return plan if isinstance(plan, FusedMlpPlan) else None


def _plan_or_reason(net: Network) -> FusedMlpPlan | str:
    """A plan, or a sentence saying why the network cannot take the fused path."""
    if len(net.input_shape) != 1:
        return f"the input must be a feature vector, got shape {net.input_shape}"
    sizes, acts, slopes, weights, biases = [net.input_shape[0]], [], set(), [], []
    previous, previous_type = INPUT, None
    for entry in net.order:
        layer = net.layers[entry["id"]]
        if entry["inputs"] != [previous]:
            return f"layer '{entry['id']}' does not simply follow '{previous}' (not a plain chain)"
        if layer.type == "dense":
            sizes.append(int(layer.weight.value.shape[0]))
            acts.append(None)
            weights.append(layer.weight.value)
            biases.append(layer.bias.value if layer.bias is not None else None)
        elif layer.type in _ACTIVATIONS:
            if previous_type != "dense":
                return (
                    f"activation '{entry['id']}' does not directly follow a dense layer "
                    "(the fused path runs one activation per dense layer)"
                )
            acts[-1] = layer.type
            if layer.type == "leaky_relu":
                slopes.add(float(layer.slope))
        else:
            return f"layer '{entry['id']}' has type '{layer.type}', which the fused path does not run"
        previous, previous_type = entry["id"], layer.type
    if not weights:
        return "the network has no dense layer"
    if previous != net.output_id:
        return f"the output '{net.output_id}' is not the end of the chain"
    if len(slopes) > 1:
        return f"leaky_relu layers use different slopes {sorted(slopes)}; the kernel takes one"
    slope = slopes.pop() if slopes else 0.0
    return FusedMlpPlan(tuple(sizes), tuple(acts), slope, tuple(weights), tuple(biases), _mask_pairs(net))


def _mask_pairs(net: Network) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(parameter array, mask as 0/1 factors) for each of the network's pruning masks that prunes something."""
    params = {p.name: p.value for p in net.parameters()}
    masks = getattr(net, "masks", {}).items()
    return tuple((params[name], keep.astype(params[name].dtype)) for name, keep in masks if not keep.all())


def train_steps(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    loss: str,
    lr: float,
    order: np.ndarray,
    batch: int,
    weight_decay: float = 0.0,
    l1: float = 0.0,
    runaway: RunawayDetector | None = None,
    plan: FusedMlpPlan | None = None,
) -> np.ndarray:
    """Runs len(order) // batch SGD steps on net in one kernel call; returns their losses.

    Step s trains on the samples x[order[s*batch:(s+1)*batch]], exactly as Trainer.step(x[idx],
    y[idx]) with optim.make("sgd", net, lr=lr, weight_decay=weight_decay, l1=l1) would; each
    loss is the one before that step's update (in the network's dtype). y is what losses.py
    takes: targets of the output's shape for mse/bce ((N,) is fine for one output unit),
    integer labels (N,) for cross_entropy. The parameters are updated in place, so weight
    views and snapshots of net stay valid; no Trainer or optimizer state is touched. `plan`:
    fused_mlp_plan(net) when the caller has just worked it out (the Trainer), else None.

    Raises ValueError if the network is not eligible (see fused_mlp_plan) or an argument is
    wrong, and TrainingDiverged if a loss becomes NaN or infinite, or (with a `runaway`
    detector, the Trainer's) stays far above its start. Either way the parameters then hold
    the state before the failing step, exactly as Trainer.step leaves them, and the exception
    carries `step` (1-based within this call), `loss`, `reason` ("non-finite" or "runaway")
    and `losses` (those of the steps done). A runaway is seen after the kernel returns, so the
    call then restores the parameters it started from and reruns the steps before the
    failing one (the kernel is deterministic: the same numbers as stopping there).
    """
    plan = plan or _plan_or_reason(net)
    if not isinstance(plan, FusedMlpPlan):
        raise ValueError(f"train_steps: network not eligible for the fused path: {plan}")
    if loss not in _LOSS_CODES:
        raise ValueError(f"train_steps: unknown loss {loss!r}; choose one of {', '.join(_LOSS_CODES)}")
    batch = _positive_int("batch", batch)
    lr, weight_decay, l1 = (_rate(k, v) for k, v in (("lr", lr), ("weight_decay", weight_decay), ("l1", l1)))
    x = np.ascontiguousarray(x, dtype=net.dtype)
    if x.ndim != 2 or x.shape[1] != plan.sizes[0]:
        raise ValueError(f"train_steps: x must have shape (n, {plan.sizes[0]}), got {x.shape}")
    order = _as_order(order, batch)
    targets, labels = _targets(loss, y, len(x), plan.sizes[-1], net.dtype)
    start = _snapshot(plan) if runaway is not None else None

    def run(picks: np.ndarray) -> tuple[int, np.ndarray]:
        kernel_plan = _kernel_plan(plan, loss)
        if plan.masks:
            return _masked_steps(plan, kernel_plan, (x, targets, labels), picks, batch, (lr, weight_decay, l1))
        data = (x, targets, labels, picks, len(picks) // batch, batch)
        return backend.current.mlp_sgd_steps(*kernel_plan, *data, lr, weight_decay, l1)

    done, losses = run(order)
    fired = runaway.update(losses[:done]) if runaway is not None else -1
    if fired >= 0:  # a runaway before any NaN: stop where Trainer.step would have stopped
        _restore(plan, start)
        run(order[: fired * batch])
        rate = f"fused sgd, learning rate {lr:g}"
        raise _diverged(runaway.message(float(losses[fired]), fired + 1, rate), fired, losses, lr, "runaway")
    if done < len(order) // batch:
        message = (
            f"loss became {losses[done]} at step {done + 1} of {len(order) // batch} (fused sgd, learning rate "
            f"{lr:g}); lower the learning rate or add regularisation"
        )
        raise _diverged(message, done, losses, lr, "non-finite")
    return losses


def _kernel_plan(plan: FusedMlpPlan, loss: str) -> tuple:
    """The kernel's first arguments: the network's shape, activation and loss codes, and its parameters."""
    acts = [_ACT_CODES[a] for a in plan.acts]
    return list(plan.sizes), acts, plan.leaky_slope, _LOSS_CODES[loss], list(plan.weights), list(plan.biases)


def _masked_steps(
    plan: FusedMlpPlan, kernel_plan: tuple, data: tuple, picks: np.ndarray, batch: int, rates: tuple
) -> tuple[int, np.ndarray]:
    """The kernel's (done, losses) for the steps of `picks`, one kernel call per step with the pruned
    entries set to 0 before the first step and after each: the pruned weights are 0 at every forward."""
    steps = len(picks) // batch
    losses = np.zeros(steps, dtype=plan.weights[0].dtype)
    _zero_pruned(plan)
    for s in range(steps):
        done, loss = backend.current.mlp_sgd_steps(
            *kernel_plan, *data, picks[s * batch : (s + 1) * batch], 1, batch, *rates
        )
        losses[s] = loss[0]
        if done < 1:  # non-finite: the kernel left the parameters as before this step
            _zero_pruned(plan, exact=True)
            return s, losses
        _zero_pruned(plan)
    return steps, losses


def _zero_pruned(plan: FusedMlpPlan, exact: bool = False) -> None:
    """Pruned entries to +0.0. Multiplying by the 0/1 factors (then adding 0 to turn -0.0 into +0.0) is 7x
    quicker than np.copyto(where=) on a 256 x 256 weight; it would leave NaN where an update overflowed a
    pruned weight to inf, but the next loss is then NaN and the call stops, with exact=True zeroing them."""
    for value, factor in plan.masks:
        if exact:
            np.copyto(value, 0, where=factor == 0)
        else:
            np.multiply(value, factor, out=value)
            np.add(value, 0, out=value)


def _snapshot(plan: FusedMlpPlan) -> list[np.ndarray]:
    return [a.copy() for a in (*plan.weights, *plan.biases) if a is not None]


def _restore(plan: FusedMlpPlan, saved: list[np.ndarray]) -> None:
    """Copies back in place: the network's arrays (and views of them) stay the same objects."""
    for a, b in zip([a for a in (*plan.weights, *plan.biases) if a is not None], saved):
        a[...] = b


def _diverged(message: str, index: int, losses: np.ndarray, lr: float, reason: str) -> TrainingDiverged:
    """The error for the step at `index` (0-based in this call), carrying the losses of the steps before it."""
    err = TrainingDiverged(message, step=index + 1, lr=lr, loss=float(losses[index]), reason=reason)
    err.losses = losses[:index]
    return err


def sample_order(n: int, steps: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """steps * batch sample indices from a fresh BatchStream(n, batch, seed=rng): shuffled epochs
    back to back (a minibatch may span two epochs, so every batch has the full size the kernel
    needs). Kept for existing callers; new code holds one BatchStream and calls its take()."""
    n, batch = _positive_int("n", n, "sample_order"), _positive_int("batch", batch, "sample_order")
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"sample_order: steps must be an integer >= 0, got {steps!r}")
    return BatchStream(n, batch, seed=rng).take(int(steps) * batch)


# ---------------------------------------------------------------------- argument checks


def _positive_int(name: str, value, fn: str = "train_steps") -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{fn}: {name} must be an integer >= 1, got {value!r}")
    return int(value)


def _rate(name: str, value) -> float:
    """Checked as optim's Optimizer checks its hyperparameters."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, float, np.number))
        or not value >= 0
        or not math.isfinite(value)
    ):
        raise ValueError(f"train_steps: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _as_order(order, batch: int) -> np.ndarray:
    order = np.asarray(order)
    if order.ndim != 1 or (order.size and order.dtype.kind not in "iu"):
        raise ValueError(
            f"train_steps: order must be a 1-D array of integer sample indices, "
            f"got shape {order.shape} and dtype {order.dtype}"
        )
    if order.size % batch:
        raise ValueError(f"train_steps: len(order) = {order.size} is not a multiple of batch = {batch}")
    return np.ascontiguousarray(order, dtype=np.int64)


def _targets(loss: str, y, n: int, outputs: int, dtype: np.dtype):
    """(targets, labels) for the kernel, converted and checked as losses.py does."""
    y = np.asarray(y)
    if loss == "cross_entropy":
        if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
            raise ValueError("train_steps: cross_entropy labels must be integer class indices")
        if y.dtype.kind not in "iuf":
            raise TypeError(f"train_steps: cross_entropy labels must be integers, got dtype {y.dtype}")
        if y.shape != (n,):
            raise ValueError(f"train_steps: cross_entropy needs labels of shape ({n},), got {y.shape}")
        return None, np.ascontiguousarray(y, dtype=np.int64)
    if y.dtype.kind not in "fiub":
        raise TypeError(f"train_steps: {loss} targets must be numeric, got dtype {y.dtype}")
    if y.size != n * outputs:
        raise ValueError(f"train_steps: {loss} targets of shape {y.shape} do not match {n} samples x {outputs} outputs")
    y = np.ascontiguousarray(y.reshape(n, outputs), dtype=dtype)
    if loss == "bce" and y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"train_steps: bce targets must lie in [0, 1], got values in [{y.min()}, {y.max()}]")
    return y, None
