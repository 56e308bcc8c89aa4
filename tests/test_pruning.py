"""Pruning (neuralviz/pruning.py): exact fractions, masks that hold through every optimizer and the fused
path, masks saved with the network, the compression claim in a cheap version, and clear errors."""

import json

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import optim, presets, pruning
from neuralviz.io import load, save
from neuralviz.pruning import prune, unprune
from neuralviz.trainer import FUSED_REASON

MLP = {
    "input_shape": [3],
    "layers": [
        {"id": "h1", "type": "dense", "units": 12},
        {"id": "a1", "type": "tanh"},
        {"id": "h2", "type": "dense", "units": 8},
        {"id": "a2", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 2},
    ],
}
PERCEPTRON = {"input_shape": [3], "layers": [{"id": "lin", "type": "dense", "units": 1}, {"id": "thr", "type": "step"}]}
CNN = {
    "input_shape": [1, 6, 6],
    "layers": [
        {"id": "c1", "type": "conv2d", "channels": 4, "kernel_size": 3},
        {"id": "r1", "type": "relu"},
        {"id": "f", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 3},
    ],
}


def data(n=64, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def values(net):
    return {p.name: p.value for p in net.parameters()}


def assert_pruned_zero(net):
    """Every masked weight is exactly +0.0 (no -0.0 left by a multiplication)."""
    assert net.masks
    for name, keep in net.masks.items():
        pruned = values(net)[name][~keep]
        assert np.all(pruned == 0) and not np.signbit(pruned).any(), name


# ---------------------------------------------------------------------------------------------- fractions
def test_global_scope_prunes_exactly_the_fraction_and_the_smallest():
    net = nv.Network.from_spec(MLP, seed=1)
    masks = prune(net, 0.6, output_cap=None)
    total = sum(m.size for m in masks.values())
    assert sum(int((~m).sum()) for m in masks.values()) == round(0.6 * total)
    assert set(masks) == {"h1.weight", "h2.weight", "out.weight"}  # weights only, never biases
    kept = np.concatenate([np.abs(values(net)[n][m]) for n, m in masks.items()])
    assert pruning.sparsity(net) == pytest.approx(round(0.6 * total) / total)
    before = nv.Network.from_spec(MLP, seed=1)
    dropped = np.concatenate([np.abs(values(before)[n][~m]) for n, m in masks.items()])
    assert dropped.max() <= kept.min()
    assert_pruned_zero(net)


def test_layer_scope_prunes_each_layer_exactly_and_caps_the_output_layer():
    net = nv.Network.from_spec(MLP, seed=2)
    masks = prune(net, 0.9, scope="layer")
    assert int((~masks["h1.weight"]).sum()) == round(0.9 * 36)
    assert int((~masks["h2.weight"]).sum()) == round(0.9 * 96)
    assert int((~masks["out.weight"]).sum()) == int(0.75 * 16)  # output_cap = 0.75
    sp = pruning.layer_sparsity(net)
    assert sp["out"] == pytest.approx(0.75) and sp["h2"] == pytest.approx(round(0.9 * 96) / 96)


def test_global_scope_with_the_cap_keeps_the_total_exact():
    net = nv.Network.from_spec(MLP, seed=3)
    for layer in ("h1", "h2"):  # make the output layer's weights the smallest, so the cap binds
        net.layers[layer].weight.value[...] += np.sign(net.layers[layer].weight.value) * 10
    masks = prune(net, 0.5)
    total = sum(m.size for m in masks.values())
    assert int((~masks["out.weight"]).sum()) == 12  # capped at 75 % of 16
    assert sum(int((~m).sum()) for m in masks.values()) == round(0.5 * total)


def test_pruning_again_only_removes_more_and_random_is_seeded():
    net = nv.Network.from_spec(MLP, seed=4)
    first = prune(net, 0.3)
    second = prune(net, 0.6)
    for name in first:
        assert not np.any(second[name] & ~first[name])  # nothing pruned comes back
    assert pruning.sparsity(net) == pytest.approx(0.6, abs=1e-2)
    a, b = (nv.Network.from_spec(MLP, seed=4) for _ in range(2))
    ma, mb = prune(a, 0.5, by="random", seed=7), prune(b, 0.5, by="random", seed=7)
    assert all(np.array_equal(ma[k], mb[k]) for k in ma)


def test_layers_option_and_counts():
    net = nv.Network.from_spec(MLP, seed=5)
    masks = prune(net, 0.5, layers=["h2"])
    assert list(masks) == ["h2.weight"] and list(net.masks) == ["h2.weight"]
    assert int((~masks["h2.weight"]).sum()) == 48
    assert pruning.nonzero_count(net) == net.num_parameters() - 48
    unprune(net)
    assert net.masks == {}


def test_loading_a_state_keeps_a_pruned_network_pruned_and_zero_prunes_nothing():
    net = nv.Network.from_spec(MLP, seed=6)
    dense = net.state_dict()
    prune(net, 0.5)
    net.load_state_dict(dense)
    assert_pruned_zero(net)
    other = nv.Network.from_spec(MLP, seed=6)
    masks = prune(other, 0.0)
    assert all(m.all() for m in masks.values()) and pruning.sparsity(other) == 0.0
    trainer = nv.Trainer(other, "cross_entropy", optim.make("sgd", other, lr=0.1))
    assert trainer.path_reason == FUSED_REASON  # nothing pruned: the fused path at full speed


# ---------------------------------------------------------------------------------------------- training
def _trainer(name, spec=MLP):
    net = nv.Network.from_spec(spec, seed=0)
    opt = optim.make(name, net, lr=1.0 if name == "perceptron" else 0.01)
    loss = "mse" if name == "perceptron" else "cross_entropy"
    return net, nv.Trainer(net, loss, opt, seed=0)


@pytest.mark.parametrize("name", optim.names())
def test_masks_hold_through_training_on_every_optimizer(name, tmp_path):
    spec = PERCEPTRON if name == "perceptron" else MLP
    net, trainer = _trainer(name, spec)
    prune(net, 0.5)
    start = {k: v.copy() for k, v in values(net).items()}
    x, y = data()
    y = y.astype(np.float32) if name == "perceptron" else y
    for i in range(6):
        trainer.step(x[i * 8 : i * 8 + 8], y[i * 8 : i * 8 + 8])
    assert_pruned_zero(net)
    moved = [not np.array_equal(start[k][m], values(net)[k][m]) for k, m in net.masks.items()]
    assert any(moved), "the kept weights should train"
    back = load(save(net, tmp_path / "m.nvz"))  # the masks come back and keep holding
    assert back.masks.keys() == net.masks.keys()
    assert all(np.array_equal(back.masks[k], net.masks[k]) for k in net.masks)
    opt = optim.make(name, back, lr=1.0 if name == "perceptron" else 0.01)
    trainer = nv.Trainer(back, "mse" if name == "perceptron" else "cross_entropy", opt)
    trainer.step(x[:8], y[:8])
    assert_pruned_zero(back)


def test_fused_path_keeps_masks_and_matches_the_layer_path():
    x, y = data(80)
    nets = [nv.Network.from_spec(MLP, seed=0, dtype="float64") for _ in range(2)]
    trainers = []
    for net in nets:
        prune(net, 0.7)
        trainers.append(nv.Trainer(net, "cross_entropy", optim.make("sgd", net, lr=0.2, l1=1e-3), seed=0))
    trainers[1]._allow_fused = False
    fused = trainers[0].train_steps(x, y, 40, 8)
    layered = trainers[1].train_steps(x, y, 40, 8)
    assert trainers[0].path == "fused" and "mask" in trainers[0].path_reason
    assert trainers[1].path == "layers"
    assert_pruned_zero(nets[0])
    np.testing.assert_allclose(fused, layered, rtol=1e-9, atol=1e-12)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_allclose(a.value, b.value, rtol=1e-9, atol=1e-12)
    assert trainers[0].steps == trainers[0].opt.steps == 40


@pytest.mark.parametrize("lr, reason", [(1e4, "non-finite"), (10.0, "runaway")])
def test_fused_path_with_masks_stops_on_divergence_where_the_layer_path_does(lr, reason):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3))
    y = rng.normal(size=(40, 2)) * 1e3
    errors, nets = [], []
    for fused in (True, False):
        net = nv.Network.from_spec(MLP, seed=0, dtype="float64")
        prune(net, 0.5)
        trainer = nv.Trainer(net, "mse", optim.make("sgd", net, lr=lr), seed=0)
        trainer._allow_fused = fused
        with pytest.raises(nv.TrainingDiverged) as err:
            trainer.train_steps(x, y, 80, 8)
        errors.append((err.value.step, err.value.reason, trainer.steps))
        nets.append(net)
        assert_pruned_zero(net)
        assert all(np.isfinite(p.value).all() for p in net.parameters())
    assert errors[0] == errors[1] and errors[0][1] == reason
    for a, b in zip(*(n.parameters() for n in nets)):
        np.testing.assert_allclose(a.value, b.value, rtol=1e-6)  # chaotic growth: loose on purpose


def test_fused_fit_keeps_masks_and_unprune_lets_weights_grow_back():
    net = nv.Network.from_spec(MLP, seed=0)
    prune(net, 0.8)
    trainer = nv.Trainer(net, "cross_entropy", optim.make("sgd", net, lr=0.1), seed=0)
    x, y = data(64)
    trainer.train_steps(x, y, 30, 8)
    assert trainer.path == "fused"
    assert_pruned_zero(net)
    keep = net.masks["h2.weight"]
    unprune(net)
    trainer.train_steps(x, y, 30, 8)
    assert trainer.path_reason == FUSED_REASON
    assert np.count_nonzero(values(net)["h2.weight"][~keep]) > 0


def test_conv_weights_are_pruned_and_held_on_the_layer_path():
    net = nv.Network.from_spec(CNN, seed=0)
    masks = prune(net, 0.5, scope="layer")
    assert set(masks) == {"c1.weight", "out.weight"}
    trainer = nv.Trainer(net, "cross_entropy", optim.make("adam", net, lr=0.01), seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 1, 6, 6)).astype(np.float32)
    for _ in range(3):
        trainer.step(x, rng.integers(0, 3, 16))
    assert trainer.path == "layers"
    assert_pruned_zero(net)


# ---------------------------------------------------------------------------------------------- files
def test_files_without_masks_still_load_and_pruned_files_are_compressed(tmp_path):
    dense = nv.Network.from_spec(MLP, seed=0)
    plain = load(save(dense, tmp_path / "dense.nvz"))
    assert plain.masks == {}
    big = nv.Network.from_spec({"input_shape": [64], "layers": [{"id": "h", "type": "dense", "units": 128}]})
    size_dense = save(big, tmp_path / "big.nvz").stat().st_size
    prune(big, 0.9)
    size_pruned = save(big, tmp_path / "big-pruned.nvz").stat().st_size
    assert size_pruned < 0.5 * size_dense
    back = load(tmp_path / "big-pruned.nvz")
    assert np.array_equal(back.masks["h.weight"], big.masks["h.weight"])
    assert_pruned_zero(back)


def test_a_mask_entry_that_does_not_fit_is_refused(tmp_path):
    net = nv.Network.from_spec(MLP, seed=0)
    meta = {"format": "neuralviz.model/1", "spec": net.to_spec(), "dtype": "float32", "seed": 0}
    arrays = {f"param/{k}": v for k, v in net.state_dict().items()}
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    for key, bad in (("mask/h1.weight", np.ones((2, 2), bool)), ("mask/nope.weight", np.ones(3, bool))):
        with open(tmp_path / "bad.nvz", "wb") as fh:  # a handle: savez would append ".npz" to a path
            np.savez(fh, **arrays, **{key: bad})
        with pytest.raises(ValueError, match="mask/"):
            load(tmp_path / "bad.nvz")


# ---------------------------------------------------------------------------------------------- the claim
def test_cheap_compression_claim():
    """The compression preset with 8 instead of 20 dense epochs and 2 retraining epochs: 90 % of the weights
    go and the accuracy comes back to within a few points (full claim: benchmarks/compression.py)."""
    preset = presets.load("compression")
    preset["training"]["epochs"] = 8
    result = pruning.compress(preset, seed=0, retrain_epochs=2)
    assert result["dense"] > 0.9
    assert result["sparsity"] == pytest.approx(0.9, abs=1e-3)
    assert result["retrained"] >= result["dense"] - 0.03
    assert result["retrained"] > result["pruned"] - 0.01
    assert result["nonzero"] < 0.15 * result["parameters"]
    assert_pruned_zero(result["network"])


# ---------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"fraction": 1.0}, ValueError, r"fraction must lie in \[0, 1\)"),
        ({"fraction": -0.1}, ValueError, "fraction"),
        ({"fraction": float("nan")}, ValueError, "fraction"),
        ({"fraction": "0.5"}, TypeError, "fraction must be a number"),
        ({"fraction": True}, TypeError, "fraction"),
        ({"fraction": 0.5, "by": "gradient"}, ValueError, "unknown by='gradient'"),
        ({"fraction": 0.5, "scope": "network"}, ValueError, "unknown scope='network'"),
        ({"fraction": 0.5, "layers": ["a1"]}, ValueError, "a1.*tanh"),
        ({"fraction": 0.5, "layers": ["zz"]}, ValueError, "no layer 'zz'"),
        ({"fraction": 0.5, "layers": []}, ValueError, "empty"),
        ({"fraction": 0.5, "layers": "h1"}, TypeError, "list of layer ids"),
        ({"fraction": 0.5, "output_cap": 1.5}, ValueError, "output_cap"),
        ({"fraction": 0.5, "seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    net = nv.Network.from_spec(MLP, seed=0)
    with pytest.raises(error, match=match):
        prune(net, **kwargs)
    assert net.masks == {}


def test_bad_masks_and_networks_are_refused():
    net = nv.Network.from_spec(MLP, seed=0)
    with pytest.raises(TypeError, match="expected a neuralviz Network"):
        prune("net", 0.5)
    with pytest.raises(ValueError, match="no parameter 'x.weight'"):
        net.set_masks({"x.weight": np.ones(3, bool)})
    with pytest.raises(ValueError, match="h1.weight must be a 0/1 or bool array of shape"):
        net.set_masks({"h1.weight": np.ones((3, 12))})
    with pytest.raises(ValueError, match="0/1"):
        net.set_masks({"h1.weight": np.full((12, 3), 0.5)})
    with pytest.raises(ValueError, match="'training' block"):
        pruning.retrain(net, {"network": MLP}, 1)
    with pytest.raises(ValueError, match="unknown preset"):
        pruning.retrain(net, "no-such-preset", 1)
