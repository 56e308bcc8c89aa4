"""The fused small-MLP training path (neuralviz.fastpath, kernel csrc/cpu/mlp.cpp) against
the layer-by-layer path it replaces: Trainer.step with optim "sgd" on the same minibatches
must give the same per-step losses and the same weights (float64 to rounding, float32
within ~1e-5), plus eligibility, divergence and argument errors."""

import numpy as np
import pytest
from gil_probe import ticks_inside

import neuralviz as nv
from neuralviz.fastpath import fused_mlp_plan, sample_order, train_steps

ACTIVATIONS = ["tanh", "relu", "sigmoid", "leaky_relu"]
LOSSES = ["mse", "bce", "cross_entropy"]


def mlp_spec(sizes, act, bias=True, out_act=None, slope=0.1):
    """Dense layers of the given sizes, `act` after each hidden one, `out_act` at the end."""
    layers = []
    for k, units in enumerate(sizes[1:]):
        layers.append({"id": f"d{k}", "type": "dense", "units": units, "bias": bias})
        a = act if k < len(sizes) - 2 else out_act
        if a is not None:
            layers.append({"id": f"a{k}", "type": a, **({"slope": slope} if a == "leaky_relu" else {})})
    return {"input_shape": [sizes[0]], "layers": layers}


def make_data(loss, n, n_in, n_out, rng, dtype=np.float64):
    x = rng.normal(size=(n, n_in)).astype(dtype)
    if loss == "cross_entropy":
        y = rng.integers(0, n_out, size=n)
    elif loss == "bce":
        y = (rng.random((n, n_out)) < 0.5).astype(dtype)
        y[:, 0] = rng.random(n)  # soft targets too
    else:
        y = rng.normal(size=(n, n_out)).astype(dtype)
    if n_out == 1 and loss != "cross_entropy":
        y = y[:, 0]  # (N,) targets for a single output, as the Playground data comes
    return x, y


def train_both(spec, loss, dtype="float64", batch=10, steps=50, lr=0.1, weight_decay=0.0, l1=0.0, seed=0):
    """Trains two copies of one network, fused and layer by layer; returns both with losses."""
    rng = np.random.default_rng(seed)
    fused = nv.Network.from_spec(spec, seed=seed, dtype=dtype)
    layered = nv.Network.from_spec(spec, seed=seed, dtype=dtype)
    n = 37  # not a multiple of the batch: minibatches span epochs
    x, y = make_data(loss, n, fused.input_shape[0], fused.output_shape[0], rng, fused.dtype)
    order = sample_order(n, steps, batch, rng)
    fused_losses = train_steps(fused, x, y, loss, lr, order, batch, weight_decay=weight_decay, l1=l1)
    opt = nv.optim.make("sgd", layered, lr=lr, weight_decay=weight_decay, l1=l1)
    trainer = nv.Trainer(layered, loss, opt, seed=seed)
    ref_losses = [trainer.step(x[idx], y[idx]) for idx in order.reshape(steps, batch)]
    return fused, fused_losses, layered, np.array(ref_losses)


def assert_same_training(fused, fused_losses, layered, ref_losses, rtol, atol):
    np.testing.assert_allclose(fused_losses, ref_losses, rtol=rtol, atol=atol)
    for p, q in zip(fused.parameters(), layered.parameters()):
        assert p.name == q.name
        np.testing.assert_allclose(p.value, q.value, rtol=rtol, atol=atol, err_msg=p.name)
    # the run must have moved the weights, or the comparison proves nothing
    start = nv.Network.from_spec(fused.to_spec(), seed=fused.seed, dtype=str(fused.dtype))
    moved = max(np.abs(p.value - s.value).max() for p, s in zip(fused.parameters(), start.parameters()))
    assert moved > 1e-3


# (bias, batch, weight_decay, l1, out_act)
CONFIGS = [(True, 10, 0.0, 0.0, None), (False, 1, 1e-2, 1e-3, None), (True, 10, 1e-3, 1e-2, "sigmoid")]


@pytest.mark.parametrize("sizes", [(2, 8, 8, 1), (5, 16, 7, 3)], ids=["2-8-8-1", "5-16-7-3"])
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_float64_matches_layer_path(loss, act, sizes):
    if loss == "cross_entropy" and sizes[-1] == 1:
        sizes = sizes[:-1] + (2,)  # one class makes cross-entropy identically zero
    for bias, batch, wd, l1, out_act in CONFIGS:
        spec = mlp_spec(sizes, act, bias=bias, out_act=out_act)
        result = train_both(spec, loss, batch=batch, weight_decay=wd, l1=l1)
        assert_same_training(*result, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_float32_matches_layer_path(loss, act):
    # no l1 here: its sign(p) jumps by 2 lr l1 when float32 rounding moves a weight that
    # hovers at zero across it (float64 covers l1 above)
    spec = mlp_spec((5, 16, 7, 3), act)
    result = train_both(spec, loss, dtype="float32", weight_decay=1e-3)
    assert result[0].parameters()[0].value.dtype == np.float32
    assert_same_training(*result, rtol=1e-5, atol=1e-5)


def test_wide_layers_take_the_gemm_path_on_every_isa(isa):
    """Layers with enough work per product go through nvz::gemm (each instruction set)."""
    spec = mlp_spec((20, 64, 48, 5), "tanh")
    result = train_both(spec, "cross_entropy", batch=32, steps=20, lr=0.05)
    assert_same_training(*result, rtol=1e-10, atol=1e-13)


def test_linear_chain_without_activations_matches():
    spec = mlp_spec((3, 4, 2), None)
    assert fused_mlp_plan(nv.Network.from_spec(spec)).acts == (None, None)
    assert_same_training(*train_both(spec, "mse", batch=4, lr=0.05), rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------------------- eligibility


def test_plan_describes_the_network():
    net = nv.Network.from_spec(mlp_spec((2, 8, 8, 1), "leaky_relu", slope=0.2), dtype="float64")
    plan = fused_mlp_plan(net)
    assert plan.sizes == (2, 8, 8, 1)
    assert plan.acts == ("leaky_relu", "leaky_relu", None)
    assert plan.leaky_slope == 0.2
    assert plan.weights[0] is net.layers["d0"].weight.value  # the network's own arrays
    assert plan.biases[2] is net.layers["d2"].bias.value
    no_bias = fused_mlp_plan(nv.Network.from_spec(mlp_spec((2, 3, 1), "relu", bias=False)))
    assert no_bias.biases == (None, None)


def _with(spec, index, *layers):
    """spec with `layers` inserted before position `index` of its layer list."""
    spec = {**spec, "layers": list(spec["layers"])}
    spec["layers"][index:index] = list(layers)
    return spec


BASE = mlp_spec((2, 8, 8, 1), "tanh")
INELIGIBLE = {
    "dropout": _with(BASE, 2, {"id": "drop", "type": "dropout", "p": 0.5}),
    "noise": _with(BASE, 0, {"id": "noise", "type": "gaussian_noise", "std": 0.1}),
    "step activation": mlp_spec((2, 3, 1), "step"),
    "activation first": _with(BASE, 0, {"id": "pre", "type": "tanh"}),
    "two activations": _with(BASE, 2, {"id": "again", "type": "relu"}),
    "different leaky slopes": {
        "input_shape": [2],
        "layers": [
            {"id": "d0", "type": "dense", "units": 3},
            {"id": "a0", "type": "leaky_relu", "slope": 0.1},
            {"id": "d1", "type": "dense", "units": 3},
            {"id": "a1", "type": "leaky_relu", "slope": 0.2},
            {"id": "d2", "type": "dense", "units": 1},
        ],
    },
    "skip connection": {
        "input_shape": [2],
        "layers": [
            {"id": "d0", "type": "dense", "units": 2},
            {"id": "a0", "type": "tanh"},
            {"id": "sum", "type": "add", "inputs": ["a0", "input"]},
            {"id": "out", "type": "dense", "units": 1},
        ],
    },
    "image input": {
        "input_shape": [1, 4, 4],
        "layers": [{"id": "f", "type": "flatten"}, {"id": "d", "type": "dense", "units": 2}],
    },
}


@pytest.mark.parametrize("name", list(INELIGIBLE))
def test_ineligible_networks_have_no_plan_and_refuse_fused_training(name):
    net = nv.Network.from_spec(INELIGIBLE[name])
    assert fused_mlp_plan(net) is None
    x = np.zeros((4,) + net.input_shape, np.float32)
    with pytest.raises(ValueError, match="not eligible"):
        train_steps(net, x, np.zeros(4), "mse", 0.1, np.arange(4), 2)


def test_same_leaky_slopes_are_eligible():
    assert fused_mlp_plan(nv.Network.from_spec(mlp_spec((2, 3, 3, 1), "leaky_relu"))) is not None


# ---------------------------------------------------------------------------- divergence


def test_divergence_raises_with_the_step_and_keeps_the_weights_before_it():
    spec = mlp_spec((2, 8, 8, 1), "tanh")
    rng = np.random.default_rng(3)
    x, y = make_data("bce", 30, 2, 1, rng)
    order = sample_order(29, 20, 10, rng)
    x[29] = np.nan
    order[45] = 29  # the only use of sample 29: in the minibatch of step 5
    net = nv.Network.from_spec(spec, dtype="float64")
    with pytest.raises(nv.TrainingDiverged, match="step 5") as info:
        train_steps(net, x, y, "bce", 0.1, order, 10)
    assert info.value.step == 5 and len(info.value.losses) == 4
    assert np.all(np.isfinite(info.value.losses))
    before = nv.Network.from_spec(spec, dtype="float64")
    train_steps(before, x, y, "bce", 0.1, order[:40], 10)
    for p, q in zip(net.parameters(), before.parameters()):
        np.testing.assert_array_equal(p.value, q.value)
    # the layer path stops at the same step
    ref = nv.Network.from_spec(spec, dtype="float64")
    trainer = nv.Trainer(ref, "bce", nv.optim.make("sgd", ref, lr=0.1))
    with pytest.raises(nv.TrainingDiverged):
        for idx in order.reshape(20, 10):
            trainer.step(x[idx], y[idx])
    assert trainer.steps == 4


def test_overflowing_weights_diverge_too():
    net = nv.Network.from_spec(mlp_spec((2, 4, 1), None), dtype="float32")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 2)) * 100, rng.normal(size=10) * 100
    with pytest.raises(nv.TrainingDiverged):
        train_steps(net, x, y, "mse", 10.0, sample_order(10, 200, 5, rng), 5)
    assert all(np.all(np.isfinite(p.value)) for p in net.parameters())


# ---------------------------------------------------------------------------- arguments


@pytest.fixture
def small():
    net = nv.Network.from_spec(mlp_spec((2, 4, 3), "tanh"), dtype="float64")
    x = np.random.default_rng(0).normal(size=(6, 2))
    return net, x, np.array([0, 1, 2, 0, 1, 2])


def test_label_out_of_range_raises(small):
    net, x, labels = small
    before = [p.value.copy() for p in net.parameters()]
    for bad in (3, -1):
        y = labels.copy()
        y[4] = bad
        with pytest.raises(ValueError, match="label"):
            train_steps(net, x, y, "cross_entropy", 0.1, np.arange(6), 3)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p.value, b)  # nothing trained


@pytest.mark.parametrize("bad", [6, -1, 100])
def test_order_index_out_of_range_raises(small, bad):
    net, x, labels = small
    order = np.array([0, 1, 2, 3, 4, bad])
    with pytest.raises(ValueError, match="order"):
        train_steps(net, x, labels, "cross_entropy", 0.1, order, 3)


def test_other_bad_arguments_raise(small):
    net, x, labels = small
    order = np.arange(6)
    with pytest.raises(ValueError, match="multiple of batch"):
        train_steps(net, x, labels, "cross_entropy", 0.1, order[:5], 3)
    with pytest.raises(ValueError, match="order"):
        train_steps(net, x, labels, "cross_entropy", 0.1, order.astype(float), 3)
    with pytest.raises(ValueError, match="x must have shape"):
        train_steps(net, x[:, :1], labels, "cross_entropy", 0.1, order, 3)
    with pytest.raises(ValueError, match="labels of shape"):
        train_steps(net, x, labels[:5], "cross_entropy", 0.1, order, 3)
    with pytest.raises(ValueError, match="integer class"):
        train_steps(net, x, labels + 0.5, "cross_entropy", 0.1, order, 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        train_steps(net, x, np.full((6, 3), 2.0), "bce", 0.1, order, 3)
    with pytest.raises(ValueError, match="do not match"):
        train_steps(net, x, np.zeros((6, 2)), "mse", 0.1, order, 3)
    with pytest.raises(ValueError, match="unknown loss"):
        train_steps(net, x, labels, "hinge", 0.1, order, 3)
    for key, value in (("lr", -1.0), ("lr", float("nan")), ("weight_decay", -0.1), ("l1", True)):
        rates = {"lr": 0.1, "weight_decay": 0.0, "l1": 0.0, key: value}
        with pytest.raises(ValueError, match=key):
            train_steps(net, x, labels, "cross_entropy", order=order, batch=3, **rates)
    with pytest.raises(ValueError, match="batch"):
        train_steps(net, x, labels, "cross_entropy", 0.1, order, 0)


def test_zero_steps_is_a_no_op(small):
    net, x, labels = small
    before = [p.value.copy() for p in net.parameters()]
    losses = train_steps(net, x, labels, "cross_entropy", 0.1, np.empty(0, np.int64), 3)
    assert losses.shape == (0,)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p.value, b)


def test_sample_order_concatenates_shuffled_epochs():
    order = sample_order(7, steps=5, batch=3, rng=np.random.default_rng(0))
    assert order.dtype == np.int64 and order.shape == (15,)
    assert sorted(order[:7]) == list(range(7)) and sorted(order[7:14]) == list(range(7))
    assert sample_order(7, 0, 3, np.random.default_rng(0)).shape == (0,)
    with pytest.raises(ValueError, match="steps"):
        sample_order(7, -1, 3, np.random.default_rng(0))


def test_fused_training_releases_the_gil():
    """The app's GUI thread keeps drawing while its worker runs a long fused call."""
    net = nv.Network.from_spec(mlp_spec((2, 8, 8, 1), "tanh"))
    rng = np.random.default_rng(0)
    x, y = make_data("bce", 200, 2, 1, rng, np.float32)
    order = sample_order(200, 20000, 10, rng)
    # another Python thread runs while the fused call does (counted, not timed: see gil_probe); held, the
    # GIL would keep it out for the whole call
    inside, calls = ticks_inside(lambda: train_steps(net, x, y, "bce", 0.03, order, 10), want=3, max_calls=30)
    assert inside >= 3, f"another thread ticked {inside} times inside {calls} fused calls: the GIL is held"
