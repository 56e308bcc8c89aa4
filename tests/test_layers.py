"""Every layer type's backward against float64 finite differences, through a network."""

import numpy as np
import pytest
from gradcheck import check_network_gradients

import neuralviz as nv


def one_layer(input_shape, layer, **kw):
    spec = {"input_shape": list(input_shape), "layers": [{"id": "l", **layer}]}
    return nv.Network.from_spec(spec, seed=3, dtype="float64", **kw)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CASES = [
    ((5,), {"type": "dense", "units": 3}),
    ((5,), {"type": "dense", "units": 1, "bias": False}),
    ((4, 3), {"type": "dense", "units": 2}),  # per time step
    ((2, 7, 6), {"type": "conv2d", "channels": 3, "kernel_size": 3}),
    (
        (3, 9, 8),
        {
            "type": "conv2d",
            "channels": 2,
            "kernel_size": [2, 3],
            "stride": [2, 1],
            "padding": [1, 2],
            "dilation": [1, 2],
        },
    ),
    ((2, 6, 7), {"type": "maxpool2d", "kernel_size": 2}),
    ((2, 7, 7), {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 6, 7), {"type": "avgpool2d", "kernel_size": 2}),
    ((2, 7, 7), {"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 3, 4), {"type": "flatten"}),
    ((6,), {"type": "relu"}),
    ((6,), {"type": "leaky_relu", "slope": 0.2}),
    ((2, 3, 3), {"type": "tanh"}),
    ((6,), {"type": "sigmoid"}),
    ((6,), {"type": "step"}),
    ((5, 3), {"type": "rnn", "hidden": 4}),
    ((5, 3), {"type": "rnn", "hidden": 4, "return_sequences": True}),
    ((5, 3), {"type": "lstm", "hidden": 4}),
    ((5, 3), {"type": "lstm", "hidden": 4, "return_sequences": True}),
    ((5, 3), {"type": "gru", "hidden": 4}),
    ((5, 3), {"type": "gru", "hidden": 4, "return_sequences": True}),
]


@pytest.mark.parametrize("input_shape,layer", CASES, ids=lambda v: str(v))
def test_layer_gradient(input_shape, layer):
    net = one_layer(input_shape, layer)
    x = rand((3, *input_shape))
    if layer["type"] in ("relu", "leaky_relu", "step"):
        x[np.abs(x) < 0.05] = 0.3  # keep away from the kink
    check_network_gradients(net, x, what=layer["type"])


def test_dropout_gradient_and_behaviour():
    net = one_layer((50,), {"type": "dropout", "p": 0.3})
    x = rand((4, 50))
    check_network_gradients(net, x, train=True, reseed=7, what="dropout")
    np.testing.assert_array_equal(net.forward(x, train=False), x)  # identity at eval
    net.reseed(7)
    y1 = net.forward(x, train=True)
    net.reseed(7)
    np.testing.assert_array_equal(net.forward(x, train=True), y1)  # seeded
    kept = y1 != 0
    assert 0.5 < kept.mean() < 0.9
    np.testing.assert_allclose(y1[kept], x[kept] / 0.7)  # inverted scaling


def test_gaussian_noise_gradient_and_behaviour():
    net = one_layer((40,), {"type": "gaussian_noise", "std": 0.5})
    x = rand((5, 40))
    check_network_gradients(net, x, train=True, reseed=2, what="gaussian_noise")
    np.testing.assert_array_equal(net.forward(x), x)
    assert 0.4 < np.std(net.forward(x, train=True) - x) < 0.6


def test_merge_layers_gradients():
    spec = {
        "input_shape": [4],
        "layers": [
            {"id": "a", "type": "dense", "units": 3},
            {"id": "b", "type": "dense", "units": 3, "inputs": ["input"]},
            {"id": "c", "type": "dense", "units": 2, "inputs": ["input"]},
            {"id": "s", "type": "add", "inputs": ["a", "b"]},
            {"id": "t", "type": "tanh"},
            {"id": "cat", "type": "concat", "inputs": ["t", "c", "input"]},
            {"id": "out", "type": "dense", "units": 2},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    assert net.output_shape == (2,)
    assert net.layers["cat"].output_shape == (9,)
    check_network_gradients(net, rand((3, 4)), what="add/concat")


def test_concat_channels_gradient():
    spec = {
        "input_shape": [2, 5, 5],
        "layers": [
            {"id": "c1", "type": "conv2d", "channels": 3, "kernel_size": 3, "padding": 1},
            {"id": "cat", "type": "concat", "inputs": ["c1", "input"]},
            {"id": "f", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 2},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    assert net.layers["cat"].output_shape == (5, 5, 5)
    check_network_gradients(net, rand((2, 2, 5, 5)), what="concat channels")


def test_embedding_gradient():
    spec = {
        "input_shape": [6],
        "layers": [
            {"id": "e", "type": "embedding", "vocab": 10, "dim": 4},
            {"id": "r", "type": "gru", "hidden": 3},
            {"id": "out", "type": "dense", "units": 2},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    ids = np.random.default_rng(0).integers(0, 10, size=(3, 6))
    check_network_gradients(net, ids, what="embedding")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        net.forward(ids + 10)


def test_fan_out_accumulates_both_gradients():
    """A layer output used twice (the residual case) receives the sum of both gradients."""
    spec = {
        "input_shape": [3],
        "layers": [
            {"id": "h", "type": "dense", "units": 3},
            {"id": "t", "type": "tanh"},
            {"id": "res", "type": "add", "inputs": ["t", "h"]},
        ],
    }
    net = nv.Network.from_spec(spec, seed=1, dtype="float64")
    x = rand((2, 3))
    G = rand((2, 3), seed=5)
    net.forward(x)
    net.zero_grad()
    net.backward(G)
    h = net.outputs["h"]
    g_h = G * (1 - np.tanh(h) ** 2) + G
    np.testing.assert_allclose(net.layers["h"].weight.grad, g_h.T @ x, rtol=1e-12)


def test_gradients_accumulate_across_backward_calls():
    net = one_layer((4,), {"type": "dense", "units": 2})
    x, G = rand((3, 4)), rand((3, 2), seed=9)
    net.forward(x)
    net.zero_grad()
    net.backward(G)
    once = net.layers["l"].weight.grad.copy()
    net.forward(x)
    net.backward(G)
    np.testing.assert_allclose(net.layers["l"].weight.grad, 2 * once)
