"""nv analysis: the input Jacobian norm against finite differences, the per-layer gradient
norms against a manual backward, training state left alone, and clear errors."""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.analysis import input_jacobian_norm, layer_gradient_norms

RESIDUAL = {
    "input_shape": [3],
    "layers": [
        {"id": "noise", "type": "gaussian_noise", "std": 0.3},
        {"id": "h", "type": "dense", "units": 5},
        {"id": "a", "type": "tanh"},
        {"id": "h2", "type": "dense", "units": 5},
        {"id": "sum", "type": "add", "inputs": ["a", "h2"]},
        {"id": "act", "type": "sigmoid"},
        {"id": "out", "type": "dense", "units": 4},
    ],
}


def net64(spec=RESIDUAL, seed=1):
    return nv.Network.from_spec(spec, seed=seed, dtype="float64")


def finite_difference_norms(net, x, eps=1e-6):
    """‖∂f/∂x‖_F of each example by central differences (evaluation mode)."""
    norms = []
    for row in x:
        cols = []
        for j in range(row.size):
            d = np.zeros_like(row)
            d.reshape(-1)[j] = eps
            plus = net.forward((row + d)[None], train=False)
            minus = net.forward((row - d)[None], train=False)
            cols.append((plus - minus).reshape(-1) / (2 * eps))
        norms.append(np.linalg.norm(np.stack(cols)))
    return np.array(norms)


def test_jacobian_norm_matches_finite_differences():
    net = net64()
    x = np.random.default_rng(0).standard_normal((7, 3))
    expected = finite_difference_norms(net, x).mean()
    assert input_jacobian_norm(net, x) == pytest.approx(expected, rel=1e-6)


def test_jacobian_norm_of_a_conv_net_with_pooling_matches_finite_differences():
    spec = {
        "input_shape": [1, 5, 5],
        "layers": [
            {"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 3, "padding": 1},
            {"id": "t", "type": "tanh"},
            {"id": "p", "type": "avgpool2d", "kernel_size": 2},
            {"id": "f", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 3},
        ],
    }
    net = net64(spec)
    x = np.random.default_rng(8).standard_normal((3, 1, 5, 5))
    assert input_jacobian_norm(net, x) == pytest.approx(finite_difference_norms(net, x).mean(), rel=1e-6)


def test_jacobian_norm_of_a_linear_map_is_its_frobenius_norm():
    net = net64({"input_shape": [2], "layers": [{"id": "w", "type": "dense", "units": 3}]})
    x = np.random.default_rng(1).standard_normal((5, 2))
    assert input_jacobian_norm(net, x) == pytest.approx(np.linalg.norm(net.layers["w"].weight.value))


def test_jacobian_norm_chunks_agree_with_one_pass(monkeypatch):
    import neuralviz.analysis as analysis

    net = net64()
    x = np.random.default_rng(2).standard_normal((9, 3))
    whole = input_jacobian_norm(net, x)
    monkeypatch.setattr(analysis, "_CHUNK_ELEMENTS", 1)  # one example per chunk
    assert input_jacobian_norm(net, x) == pytest.approx(whole, rel=1e-12)


def test_gradient_norms_match_a_manual_backward_and_leave_gradients_alone():
    net = net64()
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 3)), rng.integers(0, 4, 8)
    for p in net.parameters():
        p.grad[...] = 7.0  # a stale gradient must come back as it was, in the same array
    before = [(p.grad, p.grad.copy()) for p in net.parameters()]
    norms = layer_gradient_norms(net, "cross_entropy", x, y)
    assert list(norms) == ["h", "h2", "out"]
    for (arr, old), p in zip(before, net.parameters()):
        assert p.grad is arr and np.array_equal(arr, old)
    net.zero_grad()
    _, g = nv.losses.cross_entropy(net.forward(x, train=False), y)
    net.backward(g)
    for lid in norms:
        manual = np.sqrt(sum(np.sum(p.grad**2) for p in net.layers[lid].params.values()))
        assert norms[lid] == pytest.approx(manual, rel=1e-12)


def test_gradient_norms_take_a_loss_callable():
    net = net64({"input_shape": [2], "layers": [{"id": "w", "type": "dense", "units": 1}]})
    x, y = np.ones((4, 2)), np.zeros((4, 1))
    assert layer_gradient_norms(net, nv.losses.mse, x, y) == pytest.approx(layer_gradient_norms(net, "mse", x, y))


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda n: input_jacobian_norm(n, np.zeros((4, 2))), ValueError, r"shape \(N, 3\)"),
        (lambda n: input_jacobian_norm(n, np.zeros(3)), ValueError, r"shape \(N, 3\)"),
        (lambda n: input_jacobian_norm(n, np.zeros((0, 3))), ValueError, "no examples"),
        (lambda n: input_jacobian_norm(n, np.full((1, 3), np.nan)), ValueError, "NaN"),
        (lambda n: input_jacobian_norm("net", np.zeros((1, 3))), TypeError, "must be a Network"),
        (lambda n: layer_gradient_norms(n, "mse", np.zeros((4, 3)), np.zeros(3)), ValueError, "one target"),
        (lambda n: layer_gradient_norms(n, "hinge", np.zeros((4, 3)), np.zeros(4)), ValueError, "unknown loss"),
        (lambda n: layer_gradient_norms(n, "mse", np.zeros((4, 2)), np.zeros(4)), ValueError, "shape"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call(net64())


def test_token_ids_have_no_jacobian():
    spec = {
        "input_shape": [4],
        "layers": [{"id": "e", "type": "embedding", "vocab": 5, "dim": 2}, {"id": "f", "type": "flatten"}],
    }
    with pytest.raises(TypeError, match="token ids"):
        input_jacobian_norm(net64(spec), np.zeros((2, 4), dtype=np.int64))
