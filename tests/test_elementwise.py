"""The C++ tanh/sigmoid kernels used for large arrays, on every instruction set."""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import _C
from neuralviz._native import activations as native


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
    # sigmoid(-inf) underflows (gradually, as exp does) to 0
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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_tail_underflows_gradually(isa, dtype):
    """Far negative inputs keep their relative accuracy down to subnormals, then reach 0."""
    lo, hi = (80.0, 110.0) if dtype == np.float32 else (700.0, 750.0)
    x = -np.linspace(lo, hi, 1001).astype(dtype)
    ours = _C.sigmoid_forward(x, np.empty_like(x)).astype(np.longdouble)
    ref = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    normal = ref >= np.finfo(dtype).tiny
    ulp = np.spacing(ref[normal].astype(dtype)).astype(np.longdouble)
    assert np.max(np.abs(ours[normal] - ref[normal]) / ulp) <= 3
    steps = np.abs(ours[~normal] - ref[~normal]) / np.finfo(dtype).smallest_subnormal
    assert steps.max() <= 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_maths_as_the_cython_loops(isa, dtype):
    """csrc/common/nn_math.h is compiled into both: the baseline copy gives the Cython loops' bits;
    the AVX2 and AVX-512 copies differ only where FMA contraction rounds once instead of twice."""
    x = (np.random.default_rng(5).standard_normal(5000) * 10).astype(dtype)
    for name in ("tanh", "sigmoid"):
        ours = getattr(_C, f"{name}_forward")(x, np.empty_like(x))
        loops = getattr(native, f"{name}_forward")(x)
        if isa == "generic":
            np.testing.assert_array_equal(ours, loops, err_msg=name)
        else:
            np.testing.assert_allclose(ours, loops, rtol=4 * np.finfo(dtype).eps, atol=0, err_msg=name)
