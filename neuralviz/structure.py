"""Learning the structure: group sparsity that deletes whole hidden neurons while the net trains.

The lecture's "learn structure" slide: a penalty can remove not only single weights (L1) but whole neurons.
Group lasso (Yuan & Lin 2006; Scardapane et al. 2017 for neurons) adds λ Σ_g ‖w_g‖ to the loss, one group per
hidden neuron. Its proximal step after every optimizer step,

    w_g ← w_g · max(0, 1 − lr·λ / ‖w_g‖),

shrinks each group towards zero and sets it *exactly* to zero once its norm is below lr·λ, which a gradient step
on the penalty never does (it would oscillate around zero). The L1 proximal step (soft-thresholding every weight
by lr·l1) does the same per weight.

A neuron's group is either its incoming weights and its bias (`groups="incoming"`: the row of its dense layer's
weight; a zero row and bias make the neuron output act(0), which is 0 for relu/tanh, so it is gone) or its
outgoing weights (`groups="outgoing"`: its column in the next dense layer; nobody listens to it any more).
The hidden neurons are the units of every dense layer except the network's output.

    net = nv.Network.from_spec(spec)
    trainer = nv.Trainer(net, "cross_entropy", nv.optim.make("adam", net, lr=1e-2))
    trainer.fit(ds, epochs=20, batch_size=32, callbacks=[nv.structure.GroupLasso(1e-3)])
    nv.structure.alive_neurons(net)   # {"h1": 23, "h2": 9}: neurons whose group norm is above ALIVE_TOL
"""

from __future__ import annotations

import math

import numpy as np

from .network import Network
from .trainer import Callback

__all__ = ["GroupLasso", "alive_neurons", "group_norms", "hidden_layers", "ALIVE_TOL"]

ALIVE_TOL = 1e-8  # a group with a norm at or below this is a deleted neuron (the proximal step writes exact zeros)
GROUPS = ("incoming", "outgoing")
_PASS_THROUGH = {"relu", "leaky_relu", "tanh", "sigmoid", "step", "dropout", "gaussian_noise"}


def hidden_layers(net: Network) -> list[str]:
    """Ids of the dense layers whose units are hidden neurons (every dense layer but the output), in order."""
    if not isinstance(net, Network):
        raise TypeError(f"structure: net must be a Network, got {type(net).__name__}")
    return [e["id"] for e in net.order if e["type"] == "dense" and e["id"] != net.output_id]


def _consumer(net: Network, layer_id: str) -> str | None:
    """The dense layer that reads layer_id's units through element-wise layers only (None when there is none, or
    when the units fan out or merge: then a neuron has no single outgoing group)."""
    current = layer_id
    while True:
        readers = [e for e in net.order if current in e["inputs"]]
        if len(readers) != 1:
            return None
        entry = readers[0]
        if entry["type"] == "dense":
            return entry["id"]
        if entry["type"] not in _PASS_THROUGH:
            return None
        current = entry["id"]


def _groups(net: Network, layer_id: str, groups: str) -> list[np.ndarray]:
    """The arrays whose row (incoming) or column (outgoing) i is neuron i's group; views into the parameters."""
    if groups == "incoming":
        params = net.layers[layer_id].params
        return [params["weight"].value] + ([params["bias"].value[:, None]] if "bias" in params else [])
    reader = _consumer(net, layer_id)
    if reader is None:
        raise ValueError(
            f"structure: layer {layer_id!r} has no single dense layer reading its units, so its neurons have no "
            "outgoing group; use groups='incoming'"
        )
    return [net.layers[reader].params["weight"].value.T]


def group_norms(net: Network, groups: str = "incoming") -> dict[str, np.ndarray]:
    """Per hidden dense layer, the norm of each neuron's group (float64, one entry per unit)."""
    _check_groups(groups)
    out = {}
    for lid in hidden_layers(net):
        parts = _groups(net, lid, groups)
        out[lid] = np.sqrt(sum(np.sum(np.asarray(a, dtype=np.float64) ** 2, axis=1) for a in parts))
    return out


def alive_neurons(net: Network, groups: str = "incoming", tol: float = ALIVE_TOL) -> dict[str, int]:
    """Per hidden dense layer, how many neurons are alive (group norm > tol)."""
    return {lid: int(np.count_nonzero(n > tol)) for lid, n in group_norms(net, groups).items()}


class GroupLasso(Callback):
    """A Trainer callback: after every optimizer step, the group-lasso proximal step on each hidden neuron's group
    (strength λ) and, with l1 > 0, soft-thresholding of every dense weight (strength l1), both scaled by the
    optimizer's current learning rate. `apply(net, lr)` does the same outside a Trainer (the app's worker).
    A callback with on_step makes the Trainer take its layer-by-layer path (the fused kernel has no hook)."""

    def __init__(self, strength: float, *, groups: str = "incoming", l1: float = 0.0):
        self.strength = _non_negative("strength", strength)
        self.l1 = _non_negative("l1", l1)
        self.groups = _check_groups(groups)

    def on_step(self, trainer, step: int, loss: float) -> bool | None:
        self.apply(trainer.net, float(trainer.opt.lr))
        return None

    def apply(self, net: Network, lr: float) -> None:
        lr = _non_negative("lr", lr)
        if self.strength > 0:
            for lid in hidden_layers(net):
                _shrink_groups(_groups(net, lid, self.groups), lr * self.strength)
        if self.l1 > 0:
            for e in net.order:
                if e["type"] == "dense":
                    w = net.layers[e["id"]].params["weight"].value
                    w[...] = np.sign(w) * np.maximum(np.abs(w) - lr * self.l1, 0)


def _shrink_groups(parts: list[np.ndarray], threshold: float) -> None:
    """w_g ← w_g · max(0, 1 − threshold/‖w_g‖) for every row g across `parts` (in place, exact zeros below)."""
    norms = np.sqrt(sum(np.sum(np.asarray(a, dtype=np.float64) ** 2, axis=1) for a in parts))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norms > threshold, 1.0 - threshold / norms, 0.0)
    for a in parts:
        a *= scale[:, None].astype(a.dtype)


def _check_groups(groups) -> str:
    if groups not in GROUPS:
        raise ValueError(f"structure: groups must be one of {GROUPS}, got {groups!r:.40}")
    return groups


def _non_negative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"structure: {name} must be a finite number >= 0, got {value!r:.40}")
    return float(value)
