"""The device elementwise kernels (csrc/cuda/activations.cu, losses.cu, updates.cu through
bind_elementwise.cpp) against the CPU backend's kernels of the same name on the same inputs:
activations forward and backward, the three losses (value, gradient, the label check) and the
four optimizer updates over several steps, in float32 and float64.

Besides the values: the outputs' contract (None allocates, a given output is written and
returned itself, in place works), empty arrays, saturating and NaN inputs, the exception class
and the kernel's name on bad arguments, and that a loss costs exactly one copy back to the host.
"""

from __future__ import annotations

import cuda_devices
import numpy as np
import pytest
from cuda_devices import tol, up

from neuralviz import backend

dev = cuda_devices.dev  # the fixture (the simulator, and the GPU where there is one)
CPU = backend.CPU
DTYPES = [np.float32, np.float64]
SIZES = [0, 1, 1000, 70000]


def inputs(n, dtype, seed=0, special=True):
    """n values around 0 (two dimensions when n allows), with saturating ones (+-100), exact
    zeros and a NaN mixed in."""
    x = np.random.default_rng(seed).standard_normal(n) * 3
    if special and n >= 8:
        x[:6] = [100, -100, 0, -0.0, np.nan, 20]
    x = x.astype(dtype)
    return x.reshape(-1, 8) if n % 8 == 0 and n else x


def close(got, want, dtype):
    np.testing.assert_allclose(got.numpy(), want, **tol(dtype))
    assert got.shape == want.shape and got.dtype == np.dtype(dtype).name


def same_error(dev, name, *args, **kwargs):
    """CPU.<name> and the device's <name> raise the same exception class on the same (bad) numpy
    arguments (uploaded for the device), the device's message naming the kernel."""

    def on_dev(a):
        return up(dev, a) if isinstance(a, np.ndarray) else a

    with pytest.raises(Exception) as cpu_err:
        getattr(CPU, name)(*args, **kwargs)
    with pytest.raises(cpu_err.type) as dev_err:
        getattr(dev, name)(*map(on_dev, args), **{k: on_dev(v) for k, v in kwargs.items()})
    assert name in str(dev_err.value)


# ---- activations ------------------------------------------------------------------------------

# name: the scalar arguments between the tensor and the output
FORWARD = {"relu_forward": (), "leaky_relu_forward": (0.1,), "tanh_forward": (), "sigmoid_forward": ()}
# name: (the forward whose input or output the backward reads, scalars before grad_y)
BACKWARD = {
    "relu_backward": ("relu_forward", ()),
    "leaky_relu_backward": (None, (0.1,)),
    "tanh_backward": ("tanh_forward", ()),
    "sigmoid_backward": ("sigmoid_forward", ()),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", list(FORWARD))
def test_forward_matches_cpu(dev, name, n, dtype):
    x = inputs(n, dtype)
    scalars = FORWARD[name]
    want = getattr(CPU, name)(x, *scalars)
    close(getattr(dev, name)(up(dev, x), *scalars), want, dtype)
    out = dev.empty(list(x.shape), np.dtype(dtype).name)
    assert getattr(dev, name)(up(dev, x), *scalars, out) is out  # a given output comes back
    close(out, want, dtype)
    inplace = up(dev, x)
    getattr(dev, name)(inplace, *scalars, out=inplace)
    close(inplace, want, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["tanh_forward", "sigmoid_forward"])
def test_forward_large_takes_the_cpu_large_arguments(dev, name, dtype):
    x = inputs(1000, dtype)
    want = getattr(CPU, name + "_large")(x, np.empty_like(x))
    out = dev.empty(list(x.shape), np.dtype(dtype).name)
    assert getattr(dev, name + "_large")(up(dev, x), out) is out
    close(out, want, dtype)
    same_error(dev, name + "_large", x, np.empty(3, dtype))  # out of another size


@pytest.mark.parametrize("dtype", DTYPES)
def test_saturation_and_nan(dev, dtype):
    x = np.array([100, -100, np.nan, 0, -0.0, 1e4, -1e4], dtype)
    t, s, r = (getattr(dev, f)(up(dev, x)).numpy() for f in ("tanh_forward", "sigmoid_forward", "relu_forward"))
    np.testing.assert_array_equal(t[[0, 1, 5, 6]], [1, -1, 1, -1])
    assert s[0] == 1 and s[5] == 1 and s[6] == 0 and 0 < s[1] < 1e-43
    assert np.isnan(t[2]) and np.isnan(s[2]) and np.isnan(r[2])  # NaN propagates, as torch
    # an inf upstream gradient stays masked where the derivative is 0
    g = np.full(7, np.inf, dtype)
    got = dev.relu_backward(up(dev, x), up(dev, g)).numpy()
    np.testing.assert_array_equal(got, CPU.relu_backward(x, g))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", list(BACKWARD))
def test_backward_matches_cpu(dev, name, n, dtype):
    forward, scalars = BACKWARD[name]
    x = inputs(n, dtype, special=False)
    saved = getattr(CPU, forward)(x) if forward else x
    gy = inputs(n, dtype, seed=1)
    want = getattr(CPU, name)(saved, *scalars, gy)
    close(getattr(dev, name)(up(dev, saved), *scalars, up(dev, gy)), want, dtype)
    gx = dev.empty(list(x.shape), np.dtype(dtype).name)
    assert getattr(dev, name)(up(dev, saved), *scalars, up(dev, gy), gx) is gx
    close(gx, want, dtype)
    inplace = up(dev, gy)
    getattr(dev, name)(up(dev, saved), *scalars, inplace, grad_x=inplace)
    close(inplace, want, dtype)


@pytest.mark.parametrize("name", list(FORWARD) + list(BACKWARD))
def test_activation_argument_errors(dev, name):
    a = np.ones((3, 4))
    scalars = FORWARD.get(name) or BACKWARD.get(name, (None, ()))[1]
    tensors = 1 if name in FORWARD else 2  # before the output

    def args(first, second=a, out=None):  # (x, scalars, out) or (saved, scalars, grad_y, grad_x)
        return (first, *scalars, *[second][: tensors - 1], out)

    same_error(dev, name, *args(np.ones((3, 4), np.int64)))
    for bad in (np.ones((4, 3)), np.ones((3, 4), np.float32)):  # a shape, then a dtype
        same_error(dev, name, *args(a, out=bad))
        if tensors == 2:  # grad_y unlike the saved tensor
            same_error(dev, name, *args(a, bad))


# ---- losses -----------------------------------------------------------------------------------


def targets_for(name, n, dtype):
    t = np.random.default_rng(2).random(n)  # soft targets in [0, 1) for bce, values for mse
    return (t if name == "bce_with_logits" else t * 4 - 2).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", ["mse", "bce_with_logits"])
def test_elementwise_loss_matches_cpu(dev, name, n, dtype):
    x = inputs(n, dtype, special=False)
    if n >= 2:
        x.flat[:2] = [100, -100]  # saturating logits: the stable forms stay finite
    t = targets_for(name, n, dtype).reshape(x.shape)
    grad = np.empty_like(x)
    want = getattr(CPU, name)(x, t, grad)
    dgrad = dev.zeros(list(x.shape), np.dtype(dtype).name)
    got = getattr(dev, name)(up(dev, x), up(dev, t), dgrad)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)  # both sum in float64
    assert np.isnan(got) == (n == 0)
    close(dgrad, grad, dtype)
    np.testing.assert_equal(getattr(dev, name)(up(dev, x), up(dev, t)), got)  # without gradient
    inplace = up(dev, x)  # the gradient may overwrite the predictions
    np.testing.assert_equal(getattr(dev, name)(inplace, up(dev, t), grad_out=inplace), got)
    close(inplace, grad, dtype)


def test_loss_nan_is_returned(dev):
    x = np.array([1.0, np.nan, 2.0])
    t = np.zeros(3)
    for name in ("mse", "bce_with_logits"):
        assert np.isnan(getattr(dev, name)(up(dev, x), up(dev, t))) and np.isnan(getattr(CPU, name)(x, t))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows,classes", [(0, 3), (1, 1), (1, 5), (1000, 10), (7000, 10), (37, 300)])
def test_softmax_cross_entropy_matches_cpu(dev, rows, classes, dtype):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((rows, classes)) * 5).astype(dtype)
    if rows >= 2 and classes >= 2:
        x[0, 0], x[1, 1] = 100, -100
    labels = rng.integers(0, classes, rows)
    grad = np.empty_like(x)
    want = CPU.softmax_cross_entropy(x, labels, grad)
    dgrad = dev.zeros([rows, classes], np.dtype(dtype).name)
    got = dev.softmax_cross_entropy(up(dev, x), up(dev, labels), dgrad)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, equal_nan=True)
    close(dgrad, grad, dtype)
    np.testing.assert_equal(dev.softmax_cross_entropy(up(dev, x), up(dev, labels)), got)
    inplace = up(dev, x)
    np.testing.assert_equal(dev.softmax_cross_entropy(inplace, up(dev, labels), grad_out=inplace), got)
    close(inplace, grad, dtype)


@pytest.mark.parametrize("bad", [-1, 10])
def test_softmax_bad_label_raises_and_writes_nothing(dev, bad):
    x = np.random.default_rng(4).standard_normal((600, 10))
    labels = np.zeros(600, np.int64)
    labels[[300, 599]] = bad, 11  # the first bad one (by row) is reported
    grad = dev.zeros([600, 10], "float64")
    with pytest.raises(ValueError) as cpu_err:
        CPU.softmax_cross_entropy(x, labels, np.zeros_like(x))
    with pytest.raises(ValueError) as dev_err:
        dev.softmax_cross_entropy(up(dev, x), up(dev, labels), grad)
    assert str(dev_err.value) == str(cpu_err.value)
    assert f"label {bad} at index 300" in str(dev_err.value)
    assert not grad.numpy().any()
    with pytest.raises(ValueError, match="label 0 at index 0 .* 0 classes"):  # C = 0
        dev.softmax_cross_entropy(dev.zeros([2, 0], "float64"), up(dev, np.zeros(2, np.int64)))


def test_loss_argument_errors(dev):
    x = np.ones((4, 3))
    labels = np.zeros(4, np.int64)
    fn = "softmax_cross_entropy"
    same_error(dev, fn, np.ones(4), labels)  # 1-D logits
    same_error(dev, fn, x, labels.astype(float))
    same_error(dev, fn, x, labels[:3])
    same_error(dev, fn, x, labels, np.ones((3, 3)))
    for name in ("mse", "bce_with_logits"):
        same_error(dev, name, x, np.ones(12))
        same_error(dev, name, x, x.astype(np.float32))
        same_error(dev, name, x, x, np.ones((4, 3), np.float32))


def test_loss_is_deterministic_and_copies_back_once(dev):
    x = up(dev, inputs(70000, np.float32, special=False))
    t = up(dev, targets_for("mse", 70000, np.float32).reshape(-1, 8))
    dev.reset_transfer_stats()
    first = dev.mse(x, t)
    assert dev.transfer_stats()["to_host"] == 1  # the loss value, nothing else
    assert all(dev.mse(x, t) == first for _ in range(3))  # fixed-order reduction: same bits


# ---- optimizer updates ------------------------------------------------------------------------


def state(n, dtype, seed):
    p = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    p[:3] = 0  # sign(0) = 0 in the L1 term
    return p


# name: (number of state arrays, scalars after them, whether it takes Adam's step)
UPDATES = {
    "sgd_update": (0, (0.1,), False),
    "momentum_update": (1, (0.1, 0.9, False), False),
    "nesterov": (1, (0.1, 0.9, True), False),
    "adam_update": (2, (0.01, 0.9, 0.999, 1e-8), True),
    "adam_lerp_from_d": (2, (0.01, 0.3, 0.99, 1e-3), True),  # 1 - beta1 >= 1/2: the other lerp
    "rmsprop_update": (1, (0.01, 0.99, 1e-8), False),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(UPDATES))
def test_updates_follow_cpu_over_steps(dev, case, dtype):
    name = case if case.endswith("_update") else ("momentum_update" if case == "nesterov" else "adam_update")
    n_state, scalars, has_step = UPDATES[case]
    n = 1003
    p = state(n, dtype, 5)
    states = [np.zeros(n, dtype) for _ in range(n_state)]
    dp, dstates = up(dev, p), [up(dev, s) for s in states]
    for step in range(1, 5):
        g = state(n, dtype, 10 + step)
        extra = (np.int64(step),) if has_step else ()
        kwargs = {"weight_decay": 0.01, "l1": 1e-3}
        assert getattr(CPU, name)(p, g, *states, *scalars, *extra, **kwargs) is None
        assert getattr(dev, name)(dp, up(dev, g), *dstates, *scalars, *extra, **kwargs) is None
        close(dp, p, dtype)
        for ds, s in zip(dstates, states):
            close(ds, s, dtype)


@pytest.mark.parametrize("name", ["sgd_update", "momentum_update", "adam_update", "rmsprop_update"])
def test_update_without_decay_and_empty(dev, name):
    n_state, scalars, has_step = UPDATES[name]
    for n in (0, 5):
        p = state(n, np.float64, 6)
        p[:1] = np.inf  # no weight decay: an infinite parameter must not turn into NaN
        g = state(n, np.float64, 7)
        states = [np.zeros(n) for _ in range(n_state)]
        dp, dstates = up(dev, p), [up(dev, s) for s in states]
        extra = (1,) if has_step else ()
        getattr(CPU, name)(p, g, *states, *scalars, *extra)
        getattr(dev, name)(dp, up(dev, g), *dstates, *scalars, *extra)
        np.testing.assert_allclose(dp.numpy(), p, **tol(np.float64))


def test_update_argument_errors(dev):
    p, g = np.ones(4), np.ones(4)
    z = np.zeros(4)
    for bad in (np.ones(5), np.ones(4, np.float32)):  # a shape, then a dtype
        same_error(dev, "sgd_update", p, bad, 0.1)
        same_error(dev, "momentum_update", p, g, bad, 0.1, 0.9, False)
        same_error(dev, "rmsprop_update", p, g, bad, 0.1, 0.9, 1e-8)
        same_error(dev, "adam_update", p, g, z, bad, 0.1, 0.9, 0.99, 1e-8, 1)
    ints = np.ones(4, np.int64)
    same_error(dev, "sgd_update", ints, ints, 0.1)
    for step in (0, 1.5):  # step >= 1, an integer
        same_error(dev, "adam_update", p, g, z, z, 0.1, 0.9, 0.99, 1e-8, step)
