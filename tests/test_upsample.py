"""upsample (nearest, integer scale): forward against np.repeat and PyTorch, gradients by float64
finite differences and by hand, bad specs, and a net that grows images and learns."""

import gradcheck
import numpy as np
import pytest

import neuralviz as nv
from neuralviz.layers import LAYER_TYPES, SpecError


def make_layer(scale, input_shape=(2, 3, 4), dtype=np.float64):
    return LAYER_TYPES["upsample"]("up", {"scale": scale}, [input_shape], dtype, np.random.default_rng(0))


def ref_forward(x, sh, sw):
    """Each pixel repeated sh times down and sw times across."""
    return np.repeat(np.repeat(x, sh, axis=2), sw, axis=3)


SCALES = [1, 2, 3, [2, 1], [1, 3], (3, 2)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", SCALES, ids=str)
def test_forward_repeats_each_pixel(scale, dtype):
    sh, sw = (scale, scale) if isinstance(scale, int) else scale
    layer = make_layer(scale, dtype=dtype)
    x = np.random.default_rng(1).standard_normal((3, 2, 3, 4)).astype(dtype)
    y = layer.forward([x], False)
    assert layer.output_shape == (2, 3 * sh, 4 * sw)
    assert y.dtype == dtype and y.flags.c_contiguous
    np.testing.assert_array_equal(y, ref_forward(x, sh, sw))


@pytest.mark.parametrize("scale", SCALES, ids=str)
def test_backward_sums_each_block(scale):
    sh, sw = (scale, scale) if isinstance(scale, int) else scale
    layer = make_layer(scale)
    x = np.random.default_rng(2).standard_normal((2, 2, 3, 4))
    gy = np.random.default_rng(3).standard_normal((2, 2, 3 * sh, 4 * sw))
    layer.forward([x], True)
    (gx,) = layer.backward(gy)
    want = np.zeros_like(x)
    for i in range(sh):
        for j in range(sw):
            want += gy[:, :, i::sh, j::sw]
    np.testing.assert_allclose(gx, want, rtol=1e-13, atol=1e-13)
    # the adjoint: <up(x), gy> = <x, up^T(gy)>
    assert np.isclose(np.sum(layer.forward([x], False) * gy), np.sum(x * gx))


def test_gradients_in_a_network():
    spec = {
        "input_shape": [2, 3, 3],
        "layers": [
            {"id": "up", "type": "upsample", "scale": [2, 3]},
            {"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 3, "padding": 1},
            {"id": "act", "type": "tanh"},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    gradcheck.check_network_gradients(net, np.random.default_rng(4).standard_normal((2, 2, 3, 3)), what="upsample")


def test_empty_batch():
    layer = make_layer(2)
    y = layer.forward([np.zeros((0, 2, 3, 4))], False)
    assert y.shape == (0, 2, 6, 8)
    assert layer.backward(np.zeros((0, 2, 6, 8)))[0].shape == (0, 2, 3, 4)


@pytest.mark.parametrize("scale", [2, [3, 1]], ids=str)
def test_matches_torch(scale):
    torch = pytest.importorskip("torch")
    sh, sw = (scale, scale) if isinstance(scale, int) else scale
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5))
    gy = np.random.default_rng(6).standard_normal((2, 3, 4 * sh, 5 * sw))
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.interpolate(tx, scale_factor=(sh, sw), mode="nearest")
    ty.backward(torch.tensor(gy))
    layer = make_layer(scale, (3, 4, 5))
    np.testing.assert_array_equal(layer.forward([x], True), ty.detach().numpy())
    np.testing.assert_allclose(layer.backward(gy)[0], tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "config, input_shape, match",
    [
        ({"scale": 0}, [1, 4, 4], "'scale'"),
        ({"scale": [2, 0]}, [1, 4, 4], "'scale'"),
        ({"scale": 1.5}, [1, 4, 4], "'scale'"),
        ({"scale": [2, 2, 2]}, [1, 4, 4], "'scale'"),
        ({"scale": True}, [1, 4, 4], "'scale'"),
        ({"scale": 2}, [8], "image input"),
        ({"scale": 2, "mode": "bilinear"}, [1, 4, 4], "unknown parameter"),
    ],
)
def test_bad_specs_raise(config, input_shape, match):
    spec = {"input_shape": input_shape, "layers": [{"id": "up", "type": "upsample", **config}]}
    with pytest.raises(SpecError, match=match):
        nv.Network.from_spec(spec)


def test_spec_round_trip_and_default_scale():
    spec = {"input_shape": [1, 3, 3], "layers": [{"id": "up", "type": "upsample"}]}
    net = nv.Network.from_spec(spec)
    assert net.forward(np.ones((1, 1, 3, 3), np.float32)).shape == (1, 1, 6, 6)
    assert nv.Network.from_spec(net.to_spec()).to_spec() == net.to_spec()


def test_upsample_then_conv_learns():
    """Upsample + conv2d, the checkerboard-free way to grow an image, fits 8x8 targets from 4x4 codes."""
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((16, 3, 4, 4)).astype(np.float32)
    targets = rng.uniform(0, 1, (16, 1, 8, 8)).astype(np.float32)
    spec = {
        "input_shape": [3, 4, 4],
        "layers": [
            {"id": "up", "type": "upsample", "scale": 2},
            {"id": "c1", "type": "conv2d", "channels": 16, "kernel_size": 3, "padding": 1},
            {"id": "r1", "type": "relu"},
            {"id": "c2", "type": "conv2d", "channels": 1, "kernel_size": 3, "padding": 1},
            {"id": "out", "type": "sigmoid"},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0)
    trainer = nv.Trainer(net, "mse", nv.optim.make("adam", net, lr=0.02), seed=0)
    losses = [trainer.step(codes, targets) for _ in range(150)]
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])
