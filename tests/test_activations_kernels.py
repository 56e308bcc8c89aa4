"""neuralviz._native.activations (the layer graph's elementwise activation loops) against numpy
references, float64 finite differences and, where installed, PyTorch; plus its input
validation and its GIL release. The same maths runs in the C++ kernels (test_elementwise.py).
"""

import numpy as np
import pytest
from gil_probe import ticks_inside
from gradcheck import numeric_grad
from ref_elementwise import DTYPES, assert_close, away_from_zero, rand, ref_sigmoid

from neuralviz._native import activations as F

SHAPES = [(1,), (7,), (10, 8), (3, 5, 7), (2, 3, 4, 5), (67, 251)]  # last: > 16k, GIL released


ACTIVATIONS = {
    # name: (forward ref, backward ref from (x, y, gy), takes slope, backward uses x or y)
    "relu": (lambda x: np.maximum(x, 0), lambda x, y, g: np.where(x > 0, g, 0)),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.2 * x), lambda x, y, g: np.where(x > 0, g, 0.2 * g)),
    "tanh": (np.tanh, lambda x, y, g: g * (1 - y * y)),
    "sigmoid": (ref_sigmoid, lambda x, y, g: g * (1 - y) * y),
}


def forward(name, x, out=None):
    if name == "leaky_relu":
        return F.leaky_relu_forward(x, 0.2, out)
    return getattr(F, f"{name}_forward")(x, out)


def backward(name, x, y, gy, gx=None):
    """Calls the backward with what the layer saves: y (relu may use either), x for leaky."""
    if name == "leaky_relu":
        return F.leaky_relu_backward(x, 0.2, gy, gx)
    return getattr(F, f"{name}_backward")(y, gy, gx)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_forward_backward_match_numpy(name, dtype, shape):
    fwd_ref, bwd_ref = ACTIVATIONS[name]
    x = rand(shape, dtype, seed=1, scale=3)
    gy = rand(shape, dtype, seed=2)
    y = forward(name, x)
    assert y.shape == x.shape and y.dtype == dtype
    assert_close(y, fwd_ref(x.astype(np.float64)), dtype, f"{name} forward")
    gx = backward(name, x, y, gy)
    assert gx.dtype == dtype
    assert_close(
        gx, bwd_ref(x.astype(np.float64), y.astype(np.float64), gy.astype(np.float64)), dtype, f"{name} backward"
    )


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_in_place_and_preallocated_outputs(name, dtype):
    x = rand((13, 11), dtype, seed=3, scale=2)
    gy = rand((13, 11), dtype, seed=4)
    y = forward(name, x)
    out = np.full_like(x, np.nan)
    assert forward(name, x, out) is out
    np.testing.assert_array_equal(out, y)
    gx = backward(name, x, y, gy)
    gx_out = np.full_like(x, np.nan)
    assert backward(name, x, y, gy, gx_out) is gx_out
    np.testing.assert_array_equal(gx_out, gx)
    g = gy.copy()
    backward(name, x, y, g, g)  # grad_x is grad_y
    np.testing.assert_array_equal(g, gx)
    forward(name, x, x)  # out is x
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(1,), (3, 7), (2, 3, 2, 3)])
def test_activation_backward_matches_finite_differences(name, shape):
    x = away_from_zero(shape, np.float64, seed=5)
    G = rand(shape, seed=6)
    y = forward(name, x)
    gx = backward(name, x, y, G)
    for i, num in numeric_grad(lambda: float(np.sum(forward(name, x) * G)), x).items():
        assert abs(gx.reshape(-1)[i] - num) <= 1e-5 + 1e-3 * abs(num), (name, i, gx.reshape(-1)[i], num)


def test_relu_gradient_at_zero_is_zero_and_nan_propagates():
    x = np.array([-1.0, 0.0, -0.0, 2.0, np.nan])
    gy = np.array([5.0, 6.0, 7.0, 8.0, 9.0])
    np.testing.assert_array_equal(F.relu_backward(x, gy)[:4], [0, 0, 0, 8])
    assert np.isnan(F.relu_forward(x)[4])
    # a masked upstream inf/NaN stays masked (a select, not a multiply)
    np.testing.assert_array_equal(F.relu_backward(np.array([-1.0, -1.0]), np.array([np.inf, np.nan])), [0, 0])
    # leaky: slope applies at 0, as torch
    np.testing.assert_array_equal(F.leaky_relu_backward(np.array([0.0]), 0.1, np.array([2.0])), [0.2])


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_and_sigmoid_are_accurate_to_a_few_ulp(dtype):
    rng = np.random.default_rng(7)
    lim = 110 if dtype == np.float32 else 750
    x = np.concatenate(
        [
            rng.uniform(-25, 25, 20000),
            rng.standard_normal(5000) * 1e-3,
            rng.standard_normal(2000) * 1e-30,
            rng.uniform(-lim, lim, 5000),
        ]
    ).astype(dtype)
    xl = x.astype(np.longdouble)
    for name, f, ref in [("tanh", F.tanh_forward, np.tanh(xl)), ("sigmoid", F.sigmoid_forward, 1 / (1 + np.exp(-xl)))]:
        ours = f(x).astype(np.longdouble)
        normal = np.abs(ref) >= np.finfo(dtype).tiny
        ulp = np.spacing(np.abs(ref[normal]).astype(dtype)).astype(np.longdouble)
        err = np.abs(ours[normal] - ref[normal]) / ulp
        assert err.max() <= 3, (name, err.max(), x[normal][np.argmax(err)])
        # sigmoid's far negative tail underflows gradually, like exp: within a subnormal step
        tiny_err = np.abs(ours[~normal] - ref[~normal]) / np.finfo(dtype).smallest_subnormal
        assert tiny_err.size == 0 or tiny_err.max() <= 1, (name, tiny_err.max())


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_special_values(dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1000, -1000, 1e30, -1e30], dtype)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(F.tanh_forward(x), np.tanh(x))
        np.testing.assert_array_equal(np.signbit(F.tanh_forward(x)[:2]), [False, True])
        np.testing.assert_array_equal(F.sigmoid_forward(x), [0.5, 0.5, 1, 0, np.nan, 1, 0, 1, 0])
        np.testing.assert_array_equal(F.relu_forward(x), np.maximum(x, 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_arrays_are_fine(dtype):
    x = np.zeros((0, 4), dtype)
    for name in ACTIVATIONS:
        assert forward(name, x).shape == (0, 4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_of_extreme_inputs_stay_finite(dtype):
    x = np.array([1000, -1000, 1000, -1000, 0], dtype)
    for f in (F.tanh_forward, F.sigmoid_forward):
        assert np.all(np.isfinite(f(x)))


def test_torch_activations_match():
    torch = pytest.importorskip("torch")
    for dtype in DTYPES:
        x = rand((9, 17), dtype, seed=18, scale=3)
        gy = rand((9, 17), dtype, seed=19)
        # 1 - y^2 and (1 - y) y cancel where y is near 1: an ulp of y there is ~1e-7 absolute
        rtol, atol = (2e-6, 1e-6) if dtype == np.float32 else (1e-14, 1e-15)
        for name, torch_fn in [
            ("relu", torch.relu),
            ("tanh", torch.tanh),
            ("sigmoid", torch.sigmoid),
            ("leaky_relu", lambda a: torch.nn.functional.leaky_relu(a, 0.2)),
        ]:
            y = forward(name, x)
            gx = backward(name, x, y, gy)
            tx = torch.from_numpy(x.copy()).requires_grad_(True)
            ty = torch_fn(tx)
            ty.backward(torch.from_numpy(gy))
            np.testing.assert_allclose(y, ty.detach().numpy(), rtol=rtol, atol=atol, err_msg=name)
            np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


# ---------------------------------------------------------------------------------------------
# Bad input is reported, never silently cast, never a crash
# ---------------------------------------------------------------------------------------------


def test_wrong_dtypes_raise_type_error():
    x32 = np.zeros(4, np.float32)
    x64 = np.zeros(4, np.float64)
    with pytest.raises(TypeError, match="relu_forward: x must be float32 or float64, got int64"):
        F.relu_forward(np.zeros(4, np.int64))
    with pytest.raises(TypeError, match="float16"):
        F.tanh_forward(np.zeros(4, np.float16))
    with pytest.raises(TypeError, match="out has dtype float64 but x has dtype float32"):
        F.relu_forward(x32, x64)
    with pytest.raises(TypeError, match="grad_y has dtype float32 but y has dtype float64"):
        F.tanh_backward(x64, x32)
    with pytest.raises(TypeError):
        F.relu_forward([1.0, 2.0])  # not an array
    with pytest.raises(TypeError, match="out must be a numpy array or None"):
        F.relu_forward(x32, [0.0] * 4)


def test_wrong_shapes_and_layouts_raise_value_error():
    a = np.zeros((3, 4))
    ro = np.zeros((3, 4))
    ro.setflags(write=False)
    with pytest.raises(ValueError, match=r"out has shape \(4, 3\) but x has shape \(3, 4\)"):
        F.relu_forward(a, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="grad_y has shape"):
        F.sigmoid_backward(a, np.zeros(12))
    with pytest.raises(ValueError, match="C-contiguous"):
        F.tanh_forward(a.T)
    with pytest.raises(ValueError, match="C-contiguous"):
        F.relu_forward(a, np.zeros((4, 3)).T)
    with pytest.raises(ValueError, match="out is read-only"):
        F.relu_forward(a, ro)
    with pytest.raises(ValueError, match="non-native byte order"):
        F.relu_forward(a.astype(a.dtype.newbyteorder()))


def test_long_loops_release_the_gil():
    """A thread keeps running while another is inside a long activation loop (counted, not timed)."""
    x = rand(1 << 20, np.float64, seed=60)
    y = np.empty_like(x)
    inside, _ = ticks_inside(lambda: F.tanh_forward(x, y), want=5)
    assert inside >= 5
