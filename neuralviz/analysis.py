"""Measurements of a trained network that lecture scenes put on screen.

Two questions the talk asks of a network, answered with the layers' own backward passes
(no autodiff library, no finite differences):

* `input_jacobian_norm`: how sharply does the function bend? The mean over examples of
  ‖∂f/∂x‖_F, f the network's output (the logits of a classifier). Input noise during
  training is a penalty on exactly this quantity (Bishop 1995), which the noise scene shows.
* `layer_gradient_norms`: how much gradient reaches each layer? ‖∂L/∂θ‖ per parametrised
  layer, the bars of the residual scene (skips let gradients reach early layers).

Both leave training state alone: no optimizer step, the parameter gradient arrays come back
as the very objects they were with the values they had, and the network is run in
evaluation mode (dropout and input noise off) so that the numbers describe the function
the network computes, not one random draw of it. They do overwrite the network's cached
forward pass (`net.outputs`, the layers' saved inputs), as any forward call does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import losses
from .network import Network
from .spec import INPUT

__all__ = ["input_jacobian_norm", "layer_gradient_norms"]

# Seeds in flight per chunk: K output units x examples x the widest layer must stay modest.
_CHUNK_ELEMENTS = 1 << 22


def input_jacobian_norm(net: Network, x: np.ndarray) -> float:
    """Mean over the N examples of x of the Frobenius norm of ∂f(x_n)/∂x_n.

    f is the network's output in evaluation mode (logits for a classifier: the softmax is
    the loss's, not the network's). The Jacobian of each example has one row per output
    unit; all rows of all examples come back in one batched pass per chunk: K one-hot seeds
    (K = output units) are carried to the input through every layer's `backward_seeds`,
    which holds the parameters fixed and leaves their gradients untouched.
    """
    x = _check_net_input("input_jacobian_norm", net, x)
    if any(net.layers[e["id"]].type == "embedding" for e in net.order if INPUT in e["inputs"]):
        raise TypeError("input_jacobian_norm: this network reads token ids (an embedding layer); ids have no Jacobian")
    x = np.ascontiguousarray(x, dtype=net.dtype)
    k = int(np.prod(net.output_shape))
    widest = max(int(np.prod(s)) for s in [net.input_shape, *(layer.output_shape for layer in net.layers.values())])
    chunk = max(1, _CHUNK_ELEMENTS // max(1, k * widest))
    norms = [_jacobian_norms(net, x[i : i + chunk], k) for i in range(0, len(x), chunk)]
    return float(np.mean(np.concatenate(norms)))


def _jacobian_norms(net: Network, x: np.ndarray, k: int) -> np.ndarray:
    """‖∂f/∂x‖_F of each example of one chunk: (N,)."""
    out = net.forward(x, train=False)
    n = len(x)
    seeds = np.zeros((k, n, k), dtype=out.dtype)
    seeds[np.arange(k), :, np.arange(k)] = 1.0  # seed k: unit k of every example's output
    grads = {net.output_id: seeds.reshape(k, *out.shape)}
    for entry in reversed(net.order):
        g = grads.pop(entry["id"], None)
        if g is None:
            continue  # this layer does not influence the output
        for src, gi in zip(entry["inputs"], net.layers[entry["id"]].backward_seeds(g)):
            if gi is not None:
                grads[src] = gi if src not in grads else grads[src] + gi
    jac = grads.get(INPUT)
    if jac is None:  # the output does not depend on the input at all
        return np.zeros(n)
    jac = np.asarray(jac, dtype=np.float64).reshape(k, n, -1)
    return np.sqrt(np.einsum("knd,knd->n", jac, jac))


def layer_gradient_norms(
    net: Network, loss: str | Callable, x: np.ndarray, y: np.ndarray, *, train: bool = False
) -> dict[str, float]:
    """layer id -> ‖∂L/∂θ‖ for every layer with parameters, in network (topological) order.

    θ is *all* of that layer's parameters together (weight and bias of a dense or conv2d
    layer, every gate matrix of a recurrent one): the Euclidean norm of their concatenated
    gradients. L is `loss` ('mse', 'bce', 'cross_entropy' or a callable (out, y) -> (value,
    grad)) averaged over the batch, as Trainer computes it. By default the forward pass runs
    in evaluation mode (train=False) so that dropout and noise do not make the bars flicker;
    train=True measures one training-mode draw instead.

    The gradients accumulate into scratch arrays: each parameter's original .grad array
    comes back, the same object with the same values, so a later optimizer step sees what
    it would have seen (Trainer.step zeroes the gradients before its own backward anyway).
    A layer whose parameters get no gradient (it does not influence the output) reads 0.
    """
    x = _check_net_input("layer_gradient_norms", net, x)
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(x):
        raise ValueError(
            f"layer_gradient_norms: need one target per example, got {len(x)} examples and targets of shape {y.shape}"
        )
    loss_fn = losses.get(loss) if isinstance(loss, str) else loss
    if not callable(loss_fn):
        raise TypeError(f"layer_gradient_norms: loss must be a loss name or a callable, got {type(loss).__name__}")
    params = net.parameters()
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = np.zeros(p.value.shape, p.value.dtype)
        out = net.forward(x, train=train)
        value, grad = loss_fn(out, y)
        if not np.isfinite(float(value)):
            raise ValueError(f"layer_gradient_norms: the loss is {float(value)} on this batch")
        net.backward(grad, input_grad=False)
        return {
            lid: float(np.sqrt(sum(np.sum(np.square(p.grad, dtype=np.float64)) for p in layer.params.values())))
            for lid, layer in net.layers.items()
            if layer.params
        }
    finally:
        for p, g in zip(params, saved):
            p.grad = g


def _check_net_input(fn: str, net: Network, x) -> np.ndarray:
    """x as an array of shape (N >= 1, *net.input_shape), or a clear error naming fn."""
    if not isinstance(net, Network):
        raise TypeError(f"{fn}: net must be a Network, got {type(net).__name__}")
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: x must be numeric, got dtype {x.dtype}")
    if x.ndim != len(net.input_shape) + 1 or x.shape[1:] != net.input_shape:
        want = ", ".join(map(str, net.input_shape))
        raise ValueError(f"{fn}: x must have shape (N, {want}) for this network, got {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{fn}: x holds no examples")
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise ValueError(f"{fn}: x contains NaN or inf")
    return x
