"""Magnitude pruning with masked retraining (Han, Pool, Tran & Dally 2015, "Learning both Weights
and Connections for Efficient Neural Networks").

    masks = nv.prune(net, 0.9)                        # the 90 % smallest weights set to exactly 0
    nv.pruning.retrain(net, "compression", epochs=3)  # train the survivors; the pruned stay at 0
    nv.pruning.sparsity(net), nv.pruning.nonzero_count(net)
    nv.save(net, "small.nvz")                         # masks saved (and restored by nv.load)
    nv.unprune(net)                                   # forget the masks: all weights train again

What is pruned: the weights of dense and conv2d layers (`PRUNABLE_TYPES`), never biases (a bias is
one number per unit; Han et al. prune connections). `layers=` narrows it to some of those layers.

The masks live on the network (`net.masks`, parameter name -> bool array, True = kept), so every
later step keeps the pruned weights at exactly 0: the optimizer base class zeroes their gradients
before and the weights after each update (sgd, momentum, adam, rmsprop, the natural-gradient family,
the perceptron rule), and the fused SGD path applies them between its kernel steps. Pruning a pruned
network again prunes further: weights already pruned go first, so the masks only ever shrink.

The output layer is capped (`output_cap`, default 0.75): it loses at most that fraction of its
weights. Han et al. pruned fc3 of LeNet-300-100 less than the hidden layers (they kept 25 %), and on
digits a uniform 95 % that includes the output layer can cut every connection into one class
(research brief §4.1: one run fell to 21 % accuracy). With scope="global" the weights the cap spares
are taken from the other layers instead, so the overall fraction is still exact; with scope="layer"
every other layer loses exactly `fraction` and the output layer min(fraction, output_cap).
A network with a single prunable layer is not capped (that layer is all there is to prune).
"""

from __future__ import annotations

import math

import numpy as np

from .layers.base import is_int, show
from .network import Network

__all__ = [
    "PRUNABLE_TYPES",
    "OUTPUT_CAP",
    "prune",
    "unprune",
    "prunable",
    "sparsity",
    "nonzero_count",
    "layer_sparsity",
    "retrain",
    "compress",
]

PRUNABLE_TYPES = ("dense", "conv2d")
OUTPUT_CAP = 0.75
_BY = ("magnitude", "random")
_SCOPES = ("global", "layer")


# ---------------------------------------------------------------------------------------------- pruning
def prune(
    net: Network,
    fraction: float,
    *,
    by: str = "magnitude",
    scope: str = "global",
    layers=None,
    output_cap: float | None = OUTPUT_CAP,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Prune `fraction` (in [0, 1)) of the prunable weights: set them to exactly 0 and keep them there
    (masks stored on the network). Returns the masks of the pruned parameters, name -> bool array
    (True = kept).

    by: "magnitude" (the smallest |w| go, Han et al.) or "random" (a control, drawn with `seed`).
    scope: "global" (one ranking over all prunable weights: exactly round(fraction * total) go) or
    "layer" (each layer loses exactly round(fraction * its size)). output_cap: at most this fraction
    of the output layer's weights go (None: no cap); see the module doc."""
    _check_net(net, "prune")
    fraction = _fraction("fraction", fraction, high_open=True)
    cap = 1.0 if output_cap is None else _fraction("output_cap", output_cap, high_open=False)
    if by not in _BY:
        raise ValueError(f"prune: unknown by={show(by)}; choose one of {', '.join(_BY)}")
    if scope not in _SCOPES:
        raise ValueError(f"prune: unknown scope={show(scope)}; choose one of {', '.join(_SCOPES)}")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"prune: seed must be an integer >= 0, got {show(seed)}")
    names = prunable(net, layers)
    values = {p.name: p.value for p in net.parameters()}
    scores = [_score(values[n], net.masks.get(n), by, np.random.default_rng([seed, i])) for i, n in enumerate(names)]
    every = prunable(net)
    limits = [s.size for s in scores]
    if len(every) > 1 and names[-1] == every[-1]:  # the layer that computes the output is capped
        limits[-1] = math.floor(cap * limits[-1])
    counts = _layer_counts(scores, limits, fraction) if scope == "layer" else _global_counts(scores, limits, fraction)
    masks = dict(net.masks)
    for name, score, count in zip(names, scores, counts):
        keep = np.ones(score.size, dtype=bool)
        keep[np.argsort(score, kind="stable")[:count]] = False
        masks[name] = keep.reshape(values[name].shape)
    net.set_masks(masks)
    return {n: masks[n].copy() for n in names}


def unprune(net: Network) -> None:
    """Forget the network's masks: its pruned weights stay 0 for now but train again (net.clear_masks())."""
    _check_net(net, "unprune")
    net.clear_masks()


def prunable(net: Network, layers=None) -> list[str]:
    """Names of the parameters nv.prune may prune, in network order: the weights of the dense and conv2d
    layers (of those in `layers`, a list of layer ids, when given)."""
    _check_net(net, "prunable")
    if layers is None:
        return [layer.weight.name for layer in net.layers.values() if layer.type in PRUNABLE_TYPES]
    if isinstance(layers, str) or not isinstance(layers, (list, tuple)):
        raise TypeError(f"prune: layers must be a list of layer ids, got {show(layers)}")
    if not layers:
        raise ValueError("prune: layers is empty; name at least one dense or conv2d layer")
    for lid in layers:
        if not isinstance(lid, str) or lid not in net.layers:
            raise ValueError(f"prune: no layer {show(lid)}; the network has {list(net.layers)}")
        if net.layers[lid].type not in PRUNABLE_TYPES:
            raise ValueError(
                f"prune: layer {lid!r} is a {net.layers[lid].type} layer; only the weights of "
                f"{' and '.join(PRUNABLE_TYPES)} layers are pruned"
            )
    return [layer.weight.name for lid, layer in net.layers.items() if lid in layers]


def _score(value: np.ndarray, keep: np.ndarray | None, by: str, rng: np.random.Generator) -> np.ndarray:
    """One ranking score per weight (flat, float64): the lowest go first; already pruned weights score -1."""
    score = np.abs(value, dtype=np.float64).ravel() if by == "magnitude" else rng.random(value.size)
    if keep is not None:
        score[~keep.ravel()] = -1.0
    return score


def _layer_counts(scores: list[np.ndarray], limits: list[int], fraction: float) -> list[int]:
    """scope="layer": each layer loses round(fraction * its size), at most its limit."""
    return [min(round(fraction * s.size), limit) for s, limit in zip(scores, limits)]


def _global_counts(scores: list[np.ndarray], limits: list[int], fraction: float) -> list[int]:
    """scope="global": how many of the round(fraction * total) lowest-scored weights fall in each layer.
    A layer over its limit keeps it, and the others' ranking supplies the rest (until they run out)."""
    total = round(fraction * sum(s.size for s in scores))
    counts = _lowest(scores, total)
    over = [i for i, (c, limit) in enumerate(zip(counts, limits)) if c > limit]
    if not over:
        return counts
    free = [i for i in range(len(scores)) if i not in over]
    rest = _lowest([scores[i] for i in free], total - sum(limits[i] for i in over)) if free else []
    counts = [limits[i] for i in range(len(scores))]
    for i, c in zip(free, rest):
        counts[i] = c
    return counts


def _lowest(scores: list[np.ndarray], count: int) -> list[int]:
    """How many of the `count` lowest scores of all layers together (ties: in layer order) each layer holds."""
    flat = np.concatenate(scores)
    owner = np.repeat(np.arange(len(scores)), [s.size for s in scores])
    picked = owner[np.argsort(flat, kind="stable")[: max(0, min(count, flat.size))]]
    return [int(c) for c in np.bincount(picked, minlength=len(scores))]


# ---------------------------------------------------------------------------------------------- readouts
def sparsity(net: Network) -> float:
    """The fraction of the prunable weights (dense and conv2d weights) that are exactly 0."""
    _check_net(net, "sparsity")
    values = {p.name: p.value for p in net.parameters()}
    names = prunable(net)
    size = sum(values[n].size for n in names)
    return 1.0 - sum(int(np.count_nonzero(values[n])) for n in names) / size if size else 0.0


def layer_sparsity(net: Network) -> dict[str, float]:
    """Per prunable layer id: the fraction of its weights that are exactly 0 (for tables and the app)."""
    _check_net(net, "layer_sparsity")
    return {
        lid: 1.0 - np.count_nonzero(layer.weight.value) / layer.weight.value.size
        for lid, layer in net.layers.items()
        if layer.type in PRUNABLE_TYPES and layer.weight.value.size
    }


def nonzero_count(net: Network) -> int:
    """How many parameters (all of them, biases included) are not 0: the size a sparse format would keep."""
    _check_net(net, "nonzero_count")
    return sum(int(np.count_nonzero(p.value)) for p in net.parameters())


# ---------------------------------------------------------------------------------------------- retraining
def retrain(
    net: Network,
    preset,
    epochs: int | None = None,
    *,
    lr: float | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    dataset=None,
) -> dict:
    """Masked retraining: `epochs` epochs (None: the preset's "pruning" block's retrain_epochs, else 3)
    of Trainer.fit on the preset's dataset with a fresh optimizer of the preset's kind and
    hyperparameters (its lr unless `lr` is given: Han et al. retrain at a lower rate), the masks
    holding the pruned weights at 0. Returns {"test_accuracy", "test_loss", "train_loss", "history",
    "sparsity"}. `preset`: a name or a preset dict; `dataset`: the preset's dataset when the caller
    already loaded it (else loaded with `seed`). Trainer.fit with any optimizer does the same: the
    masks live on the network."""
    from . import optim
    from . import presets as presets_mod
    from .trainer import Trainer

    _check_net(net, "retrain")
    block = presets_mod.load(preset) if isinstance(preset, str) else preset
    if not isinstance(block, dict) or not isinstance(block.get("training"), dict):
        raise ValueError(f"retrain: preset must be a preset name or dict with a 'training' block, got {show(preset)}")
    training = block["training"]
    if epochs is None:
        epochs = (block.get("pruning") or {}).get("retrain_epochs", 3)
    ds = dataset if dataset is not None else presets_mod.load_dataset(block.get("dataset") or {}, seed, "retrain")
    hparams = {k: v for k, v in training.items() if k not in ("loss", "optimizer", "batch_size", "epochs")}
    if lr is not None:
        hparams["lr"] = lr
    opt = optim.make(training.get("optimizer", "adam"), net, **hparams)
    trainer = Trainer(net, training.get("loss") or ds.default_loss, opt, seed=seed)
    batch_size = training.get("batch_size", 32) if batch_size is None else batch_size
    history = trainer.fit(ds, epochs=epochs, batch_size=batch_size, progress=False)
    test = trainer.evaluate(ds.x_test, ds.y_test)
    return {
        "test_accuracy": test.get("accuracy"),
        "test_loss": test["loss"],
        "train_loss": history["train_loss"][-1],
        "history": history,
        "sparsity": sparsity(net),
    }


def compress(
    preset="compression", seed: int = 0, *, fraction: float | None = None, retrain_epochs: int | None = None
) -> dict:
    """The whole story for a preset: train it dense (nv.presets.train), prune (its "pruning" block:
    fraction, scope, output_cap; `fraction` overrides), retrain with the mask. Returns the network and
    {"dense", "pruned", "retrained"} test accuracies, "sparsity", "parameters" and "nonzero"."""
    from . import presets as presets_mod

    block = presets_mod.load(preset) if isinstance(preset, str) else preset
    if not isinstance(block, dict):
        raise ValueError(f"compress: preset must be a preset name or dict, got {show(preset)}")
    options = block.get("pruning") or {}
    fraction = options.get("fraction", 0.9) if fraction is None else fraction
    net, metrics = presets_mod.train(block, seed=seed)
    ds = presets_mod.load_dataset(block.get("dataset") or {}, seed, "compress")
    prune(net, fraction, scope=options.get("scope", "global"), output_cap=options.get("output_cap", OUTPUT_CAP))
    pruned = _accuracy(net, block, ds)
    after = retrain(net, block, retrain_epochs, seed=seed, dataset=ds)
    return {
        "network": net,
        "dense": metrics["test_accuracy"],
        "pruned": pruned,
        "retrained": after["test_accuracy"],
        "sparsity": sparsity(net),
        "parameters": net.num_parameters(),
        "nonzero": nonzero_count(net),
    }


def _accuracy(net: Network, block: dict, ds) -> float | None:
    """Test accuracy of net as it stands (no training)."""
    from . import optim
    from .trainer import Trainer

    loss = (block.get("training") or {}).get("loss") or ds.default_loss
    return Trainer(net, loss, optim.make("sgd", net, lr=0.0)).evaluate(ds.x_test, ds.y_test).get("accuracy")


# ---------------------------------------------------------------------------------------------- checks
def _check_net(net, fn: str) -> None:
    if not isinstance(net, Network):
        raise TypeError(f"{fn}: expected a neuralviz Network, got {type(net).__name__}")


def _fraction(key: str, value, *, high_open: bool) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"prune: {key} must be a number, got {type(value).__name__} {show(value)}")
    v = float(value)
    if not (0.0 <= v < 1.0 if high_open else 0.0 <= v <= 1.0):
        interval = "[0, 1)" if high_open else "[0, 1]"
        raise ValueError(f"prune: {key} must lie in {interval}, got {value!r}")
    return v
