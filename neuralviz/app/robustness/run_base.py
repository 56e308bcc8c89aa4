"""What the four robustness runs share: a network trained from an inline preset, step counting, copies.

A run is the engine side of one panel (no Qt): it trains in steps (`advance(k)`), stops at `limit` (the end of
its current phase: training, retraining...), takes the panel's commands (`set(name, value)`) and hands the GUI
immutable frames (`frame(playing, final)`). The worker (worker.py) drives whichever run its page shows.
"""

from __future__ import annotations

import numpy as np

from ... import presets
from ...network import Network
from ...prediction import accuracy


def flatten_digits_mlp(hidden: list[int], name: str) -> dict:
    """A dense net on the 8x8 digits: flatten, hidden ReLU layers, 10 logits."""
    layers: list[dict] = [{"id": "flat", "type": "flatten"}]
    for i, units in enumerate(hidden, 1):
        layers += [{"id": f"h{i}", "type": "dense", "units": units}, {"id": f"a{i}", "type": "relu"}]
    layers.append({"id": "out", "type": "dense", "units": 10})
    return {"format": "neuralviz.network/1", "name": name, "input_shape": [1, 8, 8], "layers": layers}


def build(network: dict, dataset: dict, training: dict, seed: int, data=None):
    """presets.build on an inline preset (the page's runs are not lecture presets of their own)."""
    preset = {"network": network, "dataset": dataset, "training": training}
    return presets.build(preset, seed, dataset=data, where="robustness")


def copy_network(net: Network) -> Network:
    """An independent network with the same spec and weights (a pruned copy must not touch the trained one)."""
    twin = Network.from_spec(net.to_spec(), seed=net.seed, dtype=str(net.dtype))
    twin.load_state_dict(net.state_dict())
    return twin


def test_accuracy(net: Network, x: np.ndarray, y: np.ndarray, loss: str = "cross_entropy") -> float:
    return float(accuracy(net.forward(x, train=False), y, loss))


def check_choice(run: str, name: str, known) -> None:
    if name not in known:
        raise ValueError(f"{run}: unknown setting {name!r:.40} (known: {', '.join(known)})")
