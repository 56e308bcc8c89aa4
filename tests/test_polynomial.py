"""The polynomial-features layer: values, order, gradients, spec round trip and clear errors."""

import math

import numpy as np
import pytest
from gradcheck import check_network_gradients

import neuralviz as nv
from neuralviz.layers import SpecError


def poly_net(d=2, degree=3, head=None, dtype="float64"):
    layers = [{"id": "p", "type": "polynomial", "degree": degree}]
    if head:
        layers.append({"id": "w", "type": "dense", "units": head})
    return nv.Network.from_spec({"input_shape": [d], "layers": layers}, seed=0, dtype=dtype)


def test_two_inputs_degree_three_in_documented_order():
    x, y = 2.0, 3.0
    got = poly_net().forward(np.array([[x, y]]))
    expected = [x, y, x * x, x * y, y * y, x**3, x * x * y, x * y * y, y**3]
    np.testing.assert_array_equal(got, [expected])


@pytest.mark.parametrize("d,degree", [(1, 1), (1, 4), (2, 1), (3, 2), (3, 3), (4, 2)])
def test_every_monomial_once(d, degree):
    """Distinct primes as inputs: each product of primes is a distinct monomial."""
    primes = np.array([2.0, 3.0, 5.0, 7.0])[:d]
    out = poly_net(d, degree).forward(primes[None])[0]
    assert out.shape == (math.comb(d + degree, degree) - 1,)
    assert len(set(out.tolist())) == out.size  # no monomial twice
    # every one has total degree 1..degree: exact products of the primes
    powers = [float(np.prod(primes**e)) for e in np.ndindex(*(degree + 1,) * d) if 1 <= sum(e) <= degree]
    assert sorted(out.tolist()) == sorted(powers)


@pytest.mark.parametrize("d,degree", [(2, 3), (3, 2), (1, 3), (2, 1)])
def test_gradients_match_finite_differences(d, degree):
    net = poly_net(d, degree, head=2)
    x = np.random.default_rng(4).standard_normal((3, d))
    check_network_gradients(net, x, what=f"polynomial d={d} degree={degree}")


def test_backward_seeds_match_one_backward_per_seed():
    net = poly_net(3, 3)
    x = np.random.default_rng(5).standard_normal((4, 3))
    net.forward(x)
    layer = net.layers["p"]
    seeds = np.random.default_rng(6).standard_normal((3, 4, layer.output_shape[0]))
    stacked = layer.backward_seeds(seeds)[0]
    for k in range(3):
        np.testing.assert_allclose(stacked[k], layer.backward(seeds[k])[0], rtol=1e-12)


def test_float32_keeps_its_dtype():
    out = poly_net(dtype="float32").forward(np.ones((2, 2), np.float32))
    assert out.dtype == np.float32


def test_spec_round_trip():
    net = poly_net(head=1)
    again = nv.Network.from_spec(net.to_spec(), seed=0, dtype="float64")
    x = np.random.default_rng(7).standard_normal((5, 2))
    np.testing.assert_array_equal(again.forward(x), net.forward(x))
    assert net.layer_table()[0]["output_shape"] == (9,)


@pytest.mark.parametrize(
    "input_shape,degree,match",
    [
        ([2, 3], 3, "flat"),
        ([1, 4, 4], 2, "flatten"),
        ([2], 0, "degree"),
        ([2], 17, "degree"),
        ([2], 2.0, "integer"),
        ([2], True, "integer"),
        ([400], 3, "monomials"),
    ],
)
def test_bad_specs_are_clear_errors(input_shape, degree, match):
    spec = {"input_shape": input_shape, "layers": [{"id": "p", "type": "polynomial", "degree": degree}]}
    with pytest.raises(SpecError, match=match):
        nv.Network.from_spec(spec)


def test_wrong_batch_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="shape"):
        poly_net().forward(np.ones((3, 3)))
