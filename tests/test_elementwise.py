"""The C++ tanh/sigmoid kernels used for large arrays, on every instruction set."""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import _C


@pytest.mark.parametrize("dtype,ulps", [(np.float32, 4), (np.float64, 4)])
@pytest.mark.parametrize("n", [1, 7, 16, 33, 1000, 70001])
def test_tanh_sigmoid_match_numpy(isa, dtype, ulps, n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 6).astype(dtype)
    x[: min(n, 4)] = np.array([0.0, -0.0, 1e-30, -50.0], dtype)[: min(n, 4)]
    eps = np.finfo(dtype).eps
    out = _C.tanh_forward(x, np.empty_like(x))
    ref = np.tanh(x.astype(np.float64))
    np.testing.assert_allclose(out, ref, rtol=ulps * eps, atol=np.finfo(dtype).tiny)
    out = _C.sigmoid_forward(x, np.empty_like(x))
    ref = 1 / (1 + np.exp(-x.astype(np.float64)))
    np.testing.assert_allclose(out, ref, rtol=ulps * eps, atol=np.finfo(dtype).tiny)


def test_special_values_and_in_place(isa):
    x = np.array([np.nan, np.inf, -np.inf, 20.0, -20.0, 0.0], np.float32)
    t = _C.tanh_forward(x, np.empty_like(x))
    assert np.isnan(t[0]) and list(t[1:]) == [1, -1, 1, -1, 0]
    s = _C.sigmoid_forward(x, np.empty_like(x))
    # exp underflow is clamped near the smallest normal float, not to an exact 0
    assert np.isnan(s[0]) and s[1] == 1 and 0 <= s[2] <= 2 * np.finfo(np.float32).tiny and s[5] == 0.5
    y = x[1:].copy()
    _C.tanh_forward(y, y)
    np.testing.assert_array_equal(y, t[1:])


def test_large_layer_path_matches_small_path():
    net = nv.Network.from_spec({"input_shape": [8], "layers": [{"id": "t", "type": "tanh"}]})
    x = np.random.default_rng(0).standard_normal((40000, 8)).astype(np.float32)
    big = net.forward(x)
    small = np.concatenate([net.forward(x[i : i + 1000]) for i in range(0, 40000, 1000)])
    np.testing.assert_allclose(big, small, rtol=4e-7, atol=1e-38)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="out has"):
        _C.tanh_forward(np.zeros(4, np.float32), np.zeros(3, np.float32))
