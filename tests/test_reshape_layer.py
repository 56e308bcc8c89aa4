"""The reshape layer (neuralviz/layers/reshape.py): flatten's inverse, the step from a generator's dense
output to an image. Shapes, bad specs named, float64 finite differences through a dense -> reshape -> conv
net, and the Fisher's seeds."""

import numpy as np
import pytest
from gradcheck import check_network_gradients

import neuralviz as nv
from neuralviz.layers import LAYER_TYPES, SpecError
from neuralviz.layers.reshape import Reshape


def test_the_layer_is_registered_under_its_spec_name():
    assert LAYER_TYPES.get("reshape") is Reshape


def make(shape, in_shape):
    return Reshape("r", {"shape": shape}, [in_shape], np.float64, np.random.default_rng(0))


def test_forward_is_a_view_of_the_batch_and_backward_its_inverse():
    layer = make([2, 3, 2], (12,))
    x = np.arange(24.0).reshape(2, 12)
    y = layer.forward([x], False)
    assert layer.output_shape == (2, 3, 2)
    np.testing.assert_array_equal(y, x.reshape(2, 2, 3, 2))
    (gx,) = layer.backward(y * 2)
    np.testing.assert_array_equal(gx, x * 2)
    assert layer.forward([np.zeros((0, 12))], False).shape == (0, 2, 3, 2)  # an empty batch too


def test_it_undoes_flatten_and_reshapes_images_too():
    layer = make([4, 6], (2, 3, 4))
    x = np.random.default_rng(1).standard_normal((3, 2, 3, 4))
    np.testing.assert_array_equal(layer.forward([x], False), x.reshape(3, 4, 6))


@pytest.mark.parametrize(
    "shape, message",
    [
        ([3, 5], "holds 15 elements but the input (12,) holds 12"),
        ([], "non-empty list of positive integers"),
        ([2, 0, 6], "non-empty list of positive integers"),
        ([2.0, 6], "non-empty list of positive integers"),
        ("12", "non-empty list of positive integers"),
        (None, "non-empty list of positive integers"),
    ],
)
def test_a_bad_shape_is_named(shape, message):
    with pytest.raises(SpecError, match="layer 'r' \\(reshape\\)") as err:
        make(shape, (12,))
    assert message in str(err.value)


def test_gradients_through_dense_reshape_conv_match_finite_differences():
    spec = {
        "input_shape": [3],
        "layers": [
            {"id": "d", "type": "dense", "units": 2 * 4 * 4},
            {"id": "r", "type": "reshape", "shape": [2, 4, 4]},
            {"id": "c", "type": "conv2d", "channels": 1, "kernel_size": 3, "padding": 1},
            {"id": "t", "type": "tanh"},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    assert net.output_shape == (1, 4, 4)
    x = np.random.default_rng(2).standard_normal((5, 3))
    check_network_gradients(net, x, what="dense-reshape-conv")


def test_backward_seeds_match_one_backward_per_seed():
    layer = make([3, 4], (12,))
    x = np.random.default_rng(3).standard_normal((4, 12))
    layer.forward([x], False)
    seeds = np.random.default_rng(4).standard_normal((3, 4, 3, 4))
    (stacked,) = layer.backward_seeds(seeds)
    np.testing.assert_array_equal(stacked, np.stack([layer.backward(s)[0] for s in seeds]))
