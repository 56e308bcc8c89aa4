"""nv.inspect: input gradients and the input-Jacobian norm against float64 central differences,
the sampled networks of stochastic weights, and the standard library's `inspect` left alone."""

import sys

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import inspect as nv_inspect
from neuralviz import losses

TANH_MLP = {
    "input_shape": [3],
    "layers": [
        {"id": "h", "type": "dense", "units": 5},
        {"id": "a", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 4},
    ],
}
TINY_CNN = {
    "input_shape": [1, 5, 5],
    "layers": [
        {"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 3, "padding": 1},
        {"id": "r", "type": "tanh"},
        {"id": "p", "type": "avgpool2d", "kernel_size": 2},
        {"id": "f", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 3},
    ],
}
STOCHASTIC = {
    "input_shape": [2],
    "layers": [
        {"id": "s", "type": "stochastic_dense", "units": 6, "sigma_init": 0.5},
        {"id": "a", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}


def net64(spec, seed=0):
    return nv.Network.from_spec(spec, seed=seed, dtype="float64")


def inputs(net, n=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, *net.input_shape))


def numeric_jacobian(net, x_n, eps=1e-6):
    """(outputs, inputs) Jacobian of one example by central differences."""
    flat = x_n.reshape(-1).copy()
    cols = []
    for i in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[i] += eps
        minus[i] -= eps
        f = [net.forward(v.reshape(1, *x_n.shape)).reshape(-1) for v in (plus, minus)]
        cols.append((f[0] - f[1]) / (2 * eps))
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("spec", [TANH_MLP, TINY_CNN], ids=["mlp", "cnn"])
def test_jacobian_norm_matches_finite_differences(spec):
    net = net64(spec)
    x = inputs(net)
    want = np.mean([np.linalg.norm(numeric_jacobian(net, x[n])) for n in range(len(x))])
    assert nv_inspect.jacobian_norm(net, x) == pytest.approx(want, rel=1e-6)
    assert nv_inspect.jacobian_norm(net, x) == nv.analysis.input_jacobian_norm(net, x)  # one implementation


def test_jacobian_norm_of_a_linear_model_is_the_weight_norm():
    net = net64({"input_shape": [6], "layers": [{"id": "out", "type": "dense", "units": 3}]})
    w = net.layers["out"].weight.value
    assert nv_inspect.jacobian_norm(net, inputs(net, 7)) == pytest.approx(np.linalg.norm(w), rel=1e-12)


def per_example_loss(net, loss, x_n, y_n):
    out = net.forward(x_n[None])
    return float(losses.get(loss)(out, y_n[None], grad=False)[0])


@pytest.mark.parametrize(
    "spec, loss, targets",
    [
        (TANH_MLP, "cross_entropy", lambda rng, n: rng.integers(0, 4, n)),
        (TINY_CNN, "cross_entropy", lambda rng, n: rng.integers(0, 3, n)),
        (TANH_MLP, "mse", lambda rng, n: rng.standard_normal((n, 4))),
        (
            {**TANH_MLP, "layers": [*TANH_MLP["layers"][:2], {"id": "out", "type": "dense", "units": 1}]},
            "bce",
            lambda rng, n: rng.integers(0, 2, (n, 1)).astype(float),
        ),
    ],
    ids=["ce-mlp", "ce-cnn", "mse", "bce"],
)
def test_input_gradients_are_per_example_loss_gradients(spec, loss, targets):
    net = net64(spec)
    x = inputs(net, 3)
    y = targets(np.random.default_rng(1), 3)
    got = nv_inspect.input_gradients(net, x, y, loss=loss)
    assert got.shape == x.shape and got.dtype == np.float64
    eps = 1e-6
    for n in range(len(x)):
        flat = x[n].reshape(-1)
        for i in range(flat.size):
            plus, minus = x[n].copy().reshape(-1), x[n].copy().reshape(-1)
            plus[i] += eps
            minus[i] -= eps
            num = (
                per_example_loss(net, loss, plus.reshape(x[n].shape), y[n])
                - per_example_loss(net, loss, minus.reshape(x[n].shape), y[n])
            ) / (2 * eps)
            a = got[n].reshape(-1)[i]
            assert abs(a - num) <= 1e-7 + 1e-5 * abs(num), f"{loss}: example {n} input {i}: {a} vs {num}"


def test_the_natural_loss_is_picked_from_the_targets():
    net = net64(TANH_MLP)
    x = inputs(net, 3)
    y = np.array([0, 3, 1])
    np.testing.assert_array_equal(
        nv_inspect.input_gradients(net, x, y), nv_inspect.input_gradients(net, x, y, loss="cross_entropy")
    )
    assert nv_inspect.natural_loss(net, y) == "cross_entropy"
    assert nv_inspect.natural_loss(net, np.zeros((3, 4))) == "mse"
    one = net64({"input_shape": [3], "layers": [{"id": "out", "type": "dense", "units": 1}]})
    assert nv_inspect.natural_loss(one, np.array([0, 1, 1])) == "bce"
    assert nv_inspect.natural_loss(one, np.array([0.3, 1.2])) == "mse"


def test_without_targets_the_gradient_is_of_the_winning_score():
    net = net64(TANH_MLP)
    x = inputs(net, 3)
    got = nv_inspect.input_gradients(net, x)
    win = net.forward(x).argmax(axis=1)
    for n in range(len(x)):
        np.testing.assert_allclose(got[n], numeric_jacobian(net, x[n])[win[n]], rtol=1e-6, atol=1e-9)


def test_gradients_leave_the_parameter_gradients_alone():
    net = net64(TINY_CNN)
    rng = np.random.default_rng(3)
    for p in net.parameters():
        p.grad[...] = rng.standard_normal(p.grad.shape)
    held = [(p, p.grad, p.grad.copy(), p.value.copy()) for p in net.parameters()]
    nv_inspect.input_gradients(net, inputs(net), np.array([0, 1, 2, 0]))
    nv_inspect.jacobian_norm(net, inputs(net))
    for p, array, grad, value in held:
        assert p.grad is array, p.name
        np.testing.assert_array_equal(p.grad, grad, err_msg=p.name)
        np.testing.assert_array_equal(p.value, value, err_msg=p.name)


def test_bad_input_is_named():
    net = net64(TANH_MLP)
    with pytest.raises(ValueError, match="shape"):
        nv_inspect.input_gradients(net, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="one target per example"):
        nv_inspect.input_gradients(net, inputs(net, 3), np.array([0, 1]))
    with pytest.raises(ValueError, match="loss must be one of"):
        nv_inspect.input_gradients(net, inputs(net, 2), np.array([0, 1]), loss="hinge")
    with pytest.raises(ValueError, match="needs targets"):
        nv_inspect.input_gradients(net, inputs(net, 2), loss="mse")
    with pytest.raises(ValueError, match="NaN"):
        nv_inspect.input_gradients(net, np.full((1, 3), np.nan))


# ---------------------------------------------------------------------------------- sampled networks
def test_sampled_networks_are_seeded_distinct_and_leave_the_mean_alone():
    net = net64(STOCHASTIC)
    x = inputs(net, 5)
    mean_before = net.forward(x).copy()
    first = [f(x) for f in nv_inspect.sample_networks(net, 3, seed=4)]
    again = nv_inspect.sampled_outputs(net, x, 3, seed=4)
    np.testing.assert_array_equal(np.stack(first), again)
    assert again.shape == (3, 5, 1)
    assert not np.allclose(again[0], again[1])
    np.testing.assert_array_equal(nv_inspect.sampled_outputs(net, x, 2, seed=4), again[:2])  # sample i ignores k
    assert not np.allclose(nv_inspect.sampled_outputs(net, x, 1, seed=5)[0], again[0])
    np.testing.assert_array_equal(net.forward(x), mean_before)
    assert net.layers["s"].frozen_eps is None


def test_sampled_network_uses_mu_plus_sigma_eps():
    net = net64(STOCHASTIC)
    x = inputs(net, 2)
    layer = net.layers["s"]
    eps = layer.draw_eps(np.random.default_rng([9, 0]))
    w = layer.weight_mean.value + layer.sigma * eps
    h = np.tanh(x @ w.T + layer.bias.value)
    want = h @ net.layers["out"].weight.value.T + net.layers["out"].bias.value
    np.testing.assert_allclose(nv_inspect.sample_networks(net, 1, seed=9)[0](x), want, rtol=1e-12)


def test_sampling_needs_a_stochastic_layer_and_a_count():
    with pytest.raises(ValueError, match="no stochastic_dense"):
        nv_inspect.sample_networks(net64(TANH_MLP), 3)
    with pytest.raises(ValueError, match="k must be"):
        nv_inspect.sample_networks(net64(STOCHASTIC), 0)


def test_the_standard_librarys_inspect_is_unaffected():
    import inspect

    assert inspect is sys.modules["inspect"]
    assert "neuralviz" not in (inspect.__file__ or "")
    assert callable(inspect.signature)
    assert nv_inspect.__name__ == "neuralviz.inspect"
