"""Looking inside a trained network through its input: input gradients, the input-Jacobian norm,
and the sampled networks of stochastic weights.

* `input_gradients`: per example, ∂ℓ_n/∂x_n (ℓ_n that example's loss) or, without targets,
  the gradient of the winning score (saliency). The adversarial attacks (nv.adversarial) and the
  robustness page read these.
* `jacobian_norm`: the mean over a batch of ‖∂f/∂x‖_F, f the logits: how sharply the function bends.
  Input noise during training is a penalty on it (Bishop 1995). One implementation:
  nv.analysis.input_jacobian_norm, which this calls.
* `sample_networks` / `sampled_outputs`: K networks whose stochastic_dense weights are drawn once
  each (seeded), for "several sampled networks' decision maps overlaid" and MC prediction.

All of it runs the network in evaluation mode (no dropout, no input noise, stochastic_dense at its
mean unless a sample is asked for) and leaves every parameter and its gradient as it was (the
gradients go to scratch arrays); like any forward pass it overwrites the network's cached outputs.

Named after what it does, not the standard library's `inspect`: the package imports absolutely, so
`import inspect` elsewhere still means the standard module; this one is `neuralviz.inspect`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from . import losses
from .analysis import _check_net_input, input_jacobian_norm
from .layers.base import is_int
from .network import Network

__all__ = [
    "jacobian_norm",
    "input_gradients",
    "natural_loss",
    "sample_networks",
    "sampled_outputs",
    "stochastic_layers",
]

GRADIENT_BATCH = 1024  # rows per backward pass: bounds the activations' memory on big inputs


def jacobian_norm(net: Network, x: np.ndarray) -> float:
    """Mean over the N examples of x of ‖∂f(x_n)/∂x_n‖_F, f the network's output (the logits of a
    classifier) in evaluation mode. The same number as nv.analysis.input_jacobian_norm (this is it)."""
    return input_jacobian_norm(net, x)


def natural_loss(net: Network, y: np.ndarray) -> str:
    """The loss a network with this output would be trained with on targets y, for attacks and
    gradients when none is named: integer labels and several output units -> 'cross_entropy';
    one output unit and 0/1 targets -> 'bce'; anything else -> 'mse'. A net trained with another
    loss (the perceptron with mse on 0/1 labels) should name it."""
    y = np.asarray(y)
    units = net.output_shape[-1]
    if units > 1 and y.dtype.kind in "iu" and y.shape[1:] == net.output_shape[:-1]:
        return "cross_entropy"
    if units == 1 and y.size and np.all((y == 0) | (y == 1)):
        return "bce"
    return "mse"


def input_gradients(net: Network, x: np.ndarray, y: np.ndarray | None = None, loss=None) -> np.ndarray:
    """Per-example input gradients, shape x.shape, in the network's dtype.

    With targets y: ∂ℓ_n/∂x_n, ℓ_n the loss of example n alone (its mean over output elements, as
    the batch losses average), i.e. N·∂L/∂x for the batch mean L. `loss`: 'mse', 'bce',
    'cross_entropy', a callable (out, y) -> (value, grad) of the batch mean, or None for
    natural_loss(net, y). Without y: the gradient of each example's winning score (the largest
    logit; the single output for one unit), the saliency map of the feature-maps page.
    """
    x = _as_input("input_gradients", net, x)
    if y is None:
        if loss is not None:
            raise ValueError("input_gradients: a loss needs targets y (without y the gradient is of the winning score)")
        fn = _winning_score
    else:
        y = _as_targets("input_gradients", x, y)
        fn = loss_function("input_gradients", net, y, loss)
    with grads_held(net):
        return np.concatenate(
            [
                loss_input_grad(net, x[i : i + GRADIENT_BATCH], None if y is None else y[i : i + GRADIENT_BATCH], fn)
                for i in range(0, len(x), GRADIENT_BATCH)
            ]
        )


def loss_input_grad(net: Network, x: np.ndarray, y, fn: Callable) -> np.ndarray:
    """∂ℓ_n/∂x_n for one batch (per-example losses: the batch mean's gradient times N). Call inside
    grads_held(net): the parameter gradients this accumulates are not the caller's."""
    out = net.forward(x, train=False)
    value, grad = fn(out, y)
    if not np.isfinite(float(value)):
        raise ValueError(f"input gradients: the loss is {float(value)} on this batch")
    gx = net.backward(np.asarray(grad) * len(x))
    if gx is None:
        raise TypeError("input gradients: this network reads token ids (an embedding layer); ids have no gradient")
    return gx


def loss_function(fn: str, net: Network, y: np.ndarray, loss) -> Callable:
    """The batch-mean loss (out, y) -> (value, grad) that `loss` names (None: natural_loss)."""
    if loss is None:
        loss = natural_loss(net, y)
    if isinstance(loss, str):
        if loss not in losses.LOSSES:
            raise ValueError(f"{fn}: loss must be one of {', '.join(losses.LOSSES)} or a callable, got {loss!r}")
        return losses.get(loss)
    if callable(loss):
        return loss
    raise TypeError(f"{fn}: loss must be a loss name or a callable, got {type(loss).__name__}")


def _winning_score(out: np.ndarray, _y) -> tuple[float, np.ndarray]:
    """Sum of each example's largest output (one unit: the output itself), divided by N so that
    loss_input_grad's ×N gives every example the gradient of its own score."""
    seed = np.zeros_like(out)
    if out.shape[-1] == 1:
        seed[...] = 1.0
    else:
        np.put_along_axis(seed, out.argmax(axis=-1)[..., None], 1.0, axis=-1)
    return float(np.sum(out * seed)) / len(out), seed / len(out)


@contextmanager
def grads_held(net: Network) -> Iterator[None]:
    """Runs a block of backward passes with every parameter gradient sent to scratch arrays: the
    original p.grad arrays (the very objects, with their values) come back afterwards."""
    params = net.parameters()
    saved = [p.grad for p in params]
    for p in params:
        p.grad = np.zeros(p.value.shape, p.value.dtype)
    try:
        yield
    finally:
        for p, g in zip(params, saved):
            p.grad = g


# ---------------------------------------------------------------------------------- stochastic weights
def stochastic_layers(net: Network) -> list:
    """The network's stochastic_dense layers, in network order."""
    return [net.layers[e["id"]] for e in net.order if net.layers[e["id"]].type == "stochastic_dense"]


def sample_networks(net: Network, k: int, seed: int = 0) -> list[Callable[[np.ndarray], np.ndarray]]:
    """K forward functions x -> outputs, sample i with every stochastic_dense weight drawn once,
    w = μ + σ⊙ε_i, ε_i from seed (same seed, same K networks; sample i does not depend on k).

    Each function runs the network in evaluation mode (dropout and noise off) with the draw held
    in the layers' frozen_eps for the call only, so the mean network is untouched between calls.
    The draws are taken now: training the network afterwards moves μ and σ under the same ε.
    """
    layers = stochastic_layers(net)
    if not layers:
        raise ValueError("sample_networks: the network has no stochastic_dense layer; every sample would be the same")
    if not is_int(k) or k < 1:
        raise ValueError(f"sample_networks: k must be an integer >= 1, got {k!r:.60}")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"sample_networks: seed must be an integer >= 0, got {seed!r:.60}")
    draws = []
    for i in range(int(k)):
        rng = np.random.default_rng([int(seed), i])
        draws.append([layer.draw_eps(rng) for layer in layers])
    return [_sampled_forward(net, layers, eps) for eps in draws]


def _sampled_forward(net: Network, layers: list, eps: list) -> Callable[[np.ndarray], np.ndarray]:
    def forward(x: np.ndarray) -> np.ndarray:
        saved = [layer.frozen_eps for layer in layers]
        for layer, e in zip(layers, eps):
            layer.frozen_eps = e
        try:
            return net.forward(x, train=False).copy()
        finally:
            for layer, e in zip(layers, saved):
                layer.frozen_eps = e

    return forward


def sampled_outputs(net: Network, x: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """(K, N, *out): the outputs of sample_networks(net, k, seed) on x. Average their
    nv.prediction.probabilities over the first axis for the MC prediction."""
    x = _as_input("sampled_outputs", net, x)
    return np.stack([f(x) for f in sample_networks(net, k, seed)])


# ---------------------------------------------------------------------------------- checks
def _as_input(fn: str, net: Network, x) -> np.ndarray:
    """x checked (shape, finite, numeric) and in the network's dtype, C-contiguous."""
    return np.ascontiguousarray(_check_net_input(fn, net, x), dtype=net.dtype)


def _as_targets(fn: str, x: np.ndarray, y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(x):
        raise ValueError(f"{fn}: need one target per example, got {len(x)} examples and targets of shape {y.shape}")
    if y.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: targets must be numeric, got dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{fn}: targets contain NaN or inf")
    return y
