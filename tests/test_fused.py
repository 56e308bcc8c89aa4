"""neuralviz._fused (the Cython hot-path loops) against numpy references, float64 finite
differences and, where installed, PyTorch; plus its input validation.

References are computed in float64 (longdouble where an ulp-level claim is checked) from
the same inputs, so float32 results are compared with a tolerance of a few ulp.
"""

import numpy as np
import pytest
from gil_probe import ticks_inside
from gradcheck import numeric_grad

from neuralviz import _fused as F

DTYPES = [np.float32, np.float64]
# (rtol, atol) against a float64 reference: a few ulp of the dtype
TOL = {np.float32: (1e-6, 1e-7), np.float64: (1e-14, 1e-15)}
SHAPES = [(1,), (7,), (10, 8), (3, 5, 7), (2, 3, 4, 5), (67, 251)]  # last: > 16k, GIL released


def rand(shape, dtype=np.float64, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def away_from_zero(shape, dtype, seed=0):
    """Random values with |x| >= 0.1: no finite-difference step crosses a kink at 0."""
    x = rand(shape, np.float64, seed)
    return (np.sign(x) * (0.1 + np.abs(x))).astype(dtype)


def assert_close(ours, ref, dtype, what=""):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, err_msg=what)


# ---------------------------------------------------------------------------------------------
# numpy references (float64)
# ---------------------------------------------------------------------------------------------


def ref_sigmoid(x):
    x = np.asarray(x, np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


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


def ref_softmax_xent(logits, labels):
    x = logits.astype(np.float64)
    n = x.shape[0]
    m = x.max(axis=1, keepdims=True)
    e = np.exp(x - m)
    s = e.sum(axis=1, keepdims=True)
    loss = np.mean(m[:, 0] + np.log(s[:, 0]) - x[np.arange(n), labels])
    grad = e / s
    grad[np.arange(n), labels] -= 1
    return loss, grad / n


def ref_bce(logits, targets):
    x, t = logits.astype(np.float64), targets.astype(np.float64)
    loss = np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))))
    return loss, (ref_sigmoid(x) - t) / x.size


def ref_mse(pred, target):
    d = pred.astype(np.float64) - target.astype(np.float64)
    return np.mean(d * d), 2 * d / d.size


# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------


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
    with np.errstate(all="ignore"):
        assert np.isnan(F.mse(x, x, np.empty_like(x)))
        assert np.isnan(F.bce_with_logits(x, x))
        assert np.isnan(F.softmax_cross_entropy(x, np.zeros(0, np.int64)))


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,c", [(1, 1), (1, 5), (10, 2), (7, 13), (128, 10), (3, 1000)])
def test_softmax_cross_entropy_matches_numpy(dtype, n, c):
    logits = rand((n, c), dtype, seed=8, scale=3)
    labels = np.random.default_rng(9).integers(0, c, n)
    ref_loss, ref_grad = ref_softmax_xent(logits, labels)
    grad = np.full_like(logits, np.nan)
    loss = F.softmax_cross_entropy(logits, labels, grad)
    assert isinstance(loss, float)
    assert_close(loss, ref_loss, dtype, "loss")
    assert_close(grad, ref_grad, dtype, "grad")
    assert F.softmax_cross_entropy(logits, labels) == loss  # no-grad path: same value
    g = logits.copy()
    assert F.softmax_cross_entropy(g, labels, g) == loss  # grad written over the logits
    np.testing.assert_array_equal(g, grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1,), (10, 1), (7, 3), (2, 3, 5)])
def test_bce_and_mse_match_numpy(dtype, shape):
    x = rand(shape, dtype, seed=10, scale=3)
    t = np.random.default_rng(11).uniform(0, 1, shape).astype(dtype)  # soft targets too
    for fn, ref in [(F.bce_with_logits, ref_bce), (F.mse, ref_mse)]:
        ref_loss, ref_grad = ref(x, t)
        grad = np.full_like(x, np.nan)
        loss = fn(x, t, grad)
        assert isinstance(loss, float)
        assert_close(loss, ref_loss, dtype, fn.__name__)
        assert_close(grad, ref_grad, dtype, fn.__name__)
        assert fn(x, t) == loss
        g = x.copy()
        assert fn(g, t, g) == loss
        np.testing.assert_array_equal(g, grad)


def test_mse_partial_sums_cover_every_remainder():
    for n in range(1, 20):
        p, t = rand(n, seed=n), rand(n, seed=100 + n)
        assert F.mse(p, t) == pytest.approx(ref_mse(p, t)[0], rel=1e-14)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "bce_with_logits", "mse"])
def test_loss_gradients_match_finite_differences(loss):
    rng = np.random.default_rng(12)
    x = rand((5, 4), seed=13, scale=2)
    if loss == "softmax_cross_entropy":
        target = rng.integers(0, 4, 5)
    elif loss == "bce_with_logits":
        target = rng.integers(0, 2, (5, 4)).astype(np.float64)
    else:
        target = rand((5, 4), seed=14)
    fn = getattr(F, loss)
    grad = np.empty_like(x)
    fn(x, target, grad)
    for i, num in numeric_grad(lambda: fn(x, target), x).items():
        assert abs(grad.reshape(-1)[i] - num) <= 1e-5 + 1e-3 * abs(num), (loss, i, grad.reshape(-1)[i], num)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_stay_finite(dtype):
    logits = np.array([[1000, -1000, 0], [-1000, -1000, -1000], [1000, 1000, -1000]], dtype)
    labels = np.array([1, 0, 2])
    grad = np.empty_like(logits)
    loss = F.softmax_cross_entropy(logits, labels, grad)
    ref_loss, ref_grad = ref_softmax_xent(logits, labels)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx(ref_loss, rel=1e-6)
    assert_close(grad, ref_grad, dtype)
    x = np.array([1000, -1000, 1000, -1000, 0], dtype)
    t = np.array([0, 1, 1, 0, 1], dtype)
    g = np.empty_like(x)
    loss = F.bce_with_logits(x, t, g)
    assert loss == pytest.approx(ref_bce(x, t)[0], rel=1e-6)
    np.testing.assert_allclose(g, ref_bce(x, t)[1], rtol=1e-6, atol=0)
    for f in (F.tanh_forward, F.sigmoid_forward):
        assert np.all(np.isfinite(f(x)))


def test_non_finite_loss_is_returned_not_raised():
    x = np.array([[np.nan, 1.0]])
    g = np.empty_like(x)
    assert np.isnan(F.softmax_cross_entropy(x, np.array([1]), g))
    assert np.isnan(F.mse(np.array([np.inf]), np.array([np.inf])))
    assert F.mse(np.array([1e200]), np.array([-1e200])) == np.inf


def test_torch_losses_match():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    rng = np.random.default_rng(15)
    for dtype in DTYPES:
        logits = rand((12, 7), dtype, seed=16, scale=4)
        labels = rng.integers(0, 7, 12)
        targets = rng.integers(0, 2, (12, 7)).astype(dtype)
        pred_target = rand((12, 7), dtype, seed=17)
        cases = [
            (F.softmax_cross_entropy, labels, lambda a, t=labels: tF.cross_entropy(a, torch.from_numpy(t))),
            (
                F.bce_with_logits,
                targets,
                lambda a, t=targets: tF.binary_cross_entropy_with_logits(a, torch.from_numpy(t)),
            ),
            (F.mse, pred_target, lambda a, t=pred_target: tF.mse_loss(a, torch.from_numpy(t))),
        ]
        for fn, target, torch_fn in cases:
            grad = np.empty_like(logits)
            loss = fn(logits, target, grad)
            t_logits = torch.from_numpy(logits.copy()).requires_grad_(True)
            t_loss = torch_fn(t_logits)
            t_loss.backward()
            rtol = 1e-5 if dtype == np.float32 else 1e-12
            assert loss == pytest.approx(t_loss.item(), rel=rtol), fn.__name__
            np.testing.assert_allclose(grad, t_logits.grad.numpy(), rtol=rtol, atol=rtol * 1e-2, err_msg=fn.__name__)


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
# Optimizer updates
# ---------------------------------------------------------------------------------------------


def effective_grad(p, g, wd, l1):
    return g + wd * p + l1 * np.sign(p)


def ref_step(kind, p, g, state, hp, step):
    """One update in numpy, with the arrays' dtype and torch's order of operations."""
    dt = p.dtype.type
    d = effective_grad(p, g, dt(hp["wd"]), dt(hp["l1"]))
    if kind == "sgd":
        p -= dt(hp["lr"]) * d
    elif kind == "momentum":
        mu = dt(hp["momentum"])
        state[0][:] = state[0] * mu + d
        p -= dt(hp["lr"]) * ((d + mu * state[0]) if hp["nesterov"] else state[0])
    elif kind == "adam":
        m, v = state
        b1, b2 = hp["beta1"], hp["beta2"]
        m += dt(1 - b1) * (d - m)
        v[:] = v * dt(b2) + dt(1 - b2) * d * d
        step_size = dt(hp["lr"] / (1 - b1**step))
        denom = np.sqrt(v) / dt(np.sqrt(1 - b2**step)) + dt(hp["eps"])
        p += (-step_size * m) / denom
    elif kind == "rmsprop":
        sq = state[0]
        sq[:] = sq * dt(hp["alpha"]) + dt(1 - hp["alpha"]) * d * d
        p += (-dt(hp["lr"]) * d) / (np.sqrt(sq) + dt(hp["eps"]))


def our_step(kind, p, g, state, hp, step):
    if kind == "sgd":
        F.sgd_update(p, g, hp["lr"], hp["wd"], hp["l1"])
    elif kind == "momentum":
        F.momentum_update(p, g, state[0], hp["lr"], hp["momentum"], hp["nesterov"], hp["wd"], hp["l1"])
    elif kind == "adam":
        F.adam_update(p, g, state[0], state[1], hp["lr"], hp["beta1"], hp["beta2"], hp["eps"], step, hp["wd"], hp["l1"])
    elif kind == "rmsprop":
        F.rmsprop_update(p, g, state[0], hp["lr"], hp["alpha"], hp["eps"], hp["wd"], hp["l1"])


OPTIMIZERS = {
    "sgd": {"lr": 0.1},
    "momentum": {"lr": 0.05, "momentum": 0.9, "nesterov": False},
    "nesterov": {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    "adam": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    "adam_low_beta1": {"lr": 0.01, "beta1": 0.3, "beta2": 0.99, "eps": 1e-6},  # lerp's other branch
    "rmsprop": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8},
}


def kind_of(name):
    return {"nesterov": "momentum", "adam_low_beta1": "adam"}.get(name, name)


def n_state(kind):
    return {"sgd": 0, "momentum": 1, "adam": 2, "rmsprop": 1}[kind]


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("regularise", [(0.0, 0.0), (0.01, 0.003)])
@pytest.mark.parametrize("size", [1, 37, 20011])
def test_optimizer_steps_match_numpy(name, dtype, regularise, size):
    kind = kind_of(name)
    hp = dict(OPTIMIZERS[name], wd=regularise[0], l1=regularise[1])
    p_ours = rand(size, dtype, seed=20)
    p_ours[: size // 5] = 0  # sign(0) = 0 in the L1 term
    p_ref = p_ours.copy()
    s_ours = [np.zeros_like(p_ours) for _ in range(n_state(kind))]
    s_ref = [np.zeros_like(p_ours) for _ in range(n_state(kind))]
    for step in range(1, 5):
        g = rand(size, dtype, seed=20 + step)
        g_before = g.copy()
        our_step(kind, p_ours, g, s_ours, hp, step)
        ref_step(kind, p_ref, g, s_ref, hp, step)
        np.testing.assert_array_equal(g, g_before)  # the gradient is read only
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(p_ours, p_ref, rtol=rtol, atol=rtol)
    for a, b in zip(s_ours, s_ref):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_steps_match_torch(name):
    torch = pytest.importorskip("torch")
    kind = kind_of(name)
    base = OPTIMIZERS[name]
    for dtype in DTYPES:
        for wd, l1 in [(0.0, 0.0), (0.01, 0.003)]:
            p = rand((6, 5), dtype, seed=30)
            p[0] = 0
            tp = torch.nn.Parameter(torch.from_numpy(p.copy()))
            if kind in ("sgd", "momentum"):
                opt = torch.optim.SGD(
                    [tp],
                    lr=base["lr"],
                    momentum=base.get("momentum", 0),
                    nesterov=base.get("nesterov", False),
                    weight_decay=wd,
                )
            elif kind == "adam":
                opt = torch.optim.Adam(
                    [tp], lr=base["lr"], betas=(base["beta1"], base["beta2"]), eps=base["eps"], weight_decay=wd
                )
            else:
                opt = torch.optim.RMSprop([tp], lr=base["lr"], alpha=base["alpha"], eps=base["eps"], weight_decay=wd)
            state = [np.zeros_like(p) for _ in range(n_state(kind))]
            hp = dict(base, wd=wd, l1=l1)
            for step in range(1, 7):
                g = rand((6, 5), dtype, seed=40 + step)
                # torch has no L1 term: add l1 * sign(param) to its gradient by hand
                tp.grad = torch.from_numpy(g + dtype(l1) * np.sign(tp.detach().numpy()))
                opt.step()
                our_step(kind, p, g, state, hp, step)
            rtol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(
                p, tp.detach().numpy(), rtol=rtol, atol=rtol * 0.1, err_msg=f"{name} {dtype.__name__} wd={wd} l1={l1}"
            )


# ---------------------------------------------------------------------------------------------
# Colour mapping
# ---------------------------------------------------------------------------------------------


def ref_colormap(values, lut, vmin, vmax):
    v = values.astype(np.float64)
    with np.errstate(all="ignore"):
        f = (v - vmin) * (256.0 / (vmax - vmin) if vmax > vmin else 0.0)
        idx = np.clip(np.nan_to_num(np.floor(f), nan=0.0, posinf=255, neginf=0), 0, 255).astype(np.intp)
    out = lut[idx]
    out[np.isnan(v)] = 0
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (130, 131)])
def test_colormap_matches_numpy(dtype, shape):
    rng = np.random.default_rng(50)
    lut = rng.integers(0, 256, (256, 4), dtype=np.uint8)
    values = rng.uniform(-1.5, 2.5, shape).astype(dtype)
    flat = values.reshape(-1)
    flat[:6] = [np.nan, np.inf, -np.inf, -1.0, 2.0, 0.5][: flat.size]
    out = np.full(shape + (4,), 7, np.uint8)
    assert F.colormap_rgba(values, lut, -1.0, 2.0, out) is out
    np.testing.assert_array_equal(out, ref_colormap(values, lut, -1.0, 2.0))
    np.testing.assert_array_equal(
        F.colormap_rgba(values, lut, 0.5, 0.5), ref_colormap(values, lut, 0.5, 0.5)
    )  # vmin == vmax: row 0


def test_colormap_ends_and_nan():
    lut = np.arange(256 * 4, dtype=np.int64).reshape(256, 4).astype(np.uint8)
    lut[:, 0] = np.arange(256)
    v = np.array([[0.0, 1.0, 0.5, np.nan, -3.0, 9.0, 1 / 256 - 1e-12, 1 / 256]])
    out = F.colormap_rgba(v, lut, 0.0, 1.0)
    np.testing.assert_array_equal(out[0, :, 0], [0, 255, 128, 0, 0, 255, 0, 1])
    np.testing.assert_array_equal(out[0, 3], [0, 0, 0, 0])  # NaN: transparent


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
    with pytest.raises(TypeError, match="target has dtype"):
        F.mse(x32, x64)
    with pytest.raises(TypeError, match="m has dtype"):
        F.adam_update(x32, x32.copy(), x64, x32.copy(), 0.1, 0.9, 0.999, 1e-8, 1)
    with pytest.raises(TypeError, match="labels must be int64, got int32"):
        F.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(2, np.int32))
    with pytest.raises(TypeError, match="labels must be int64, got float64"):
        F.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(TypeError):
        F.relu_forward([1.0, 2.0])  # not an array
    with pytest.raises(TypeError, match="out must be a numpy array or None"):
        F.relu_forward(x32, [0.0] * 4)
    with pytest.raises(TypeError, match="lut must be uint8, got float64"):
        F.colormap_rgba(np.zeros((2, 2)), np.zeros((256, 4)), 0, 1)
    with pytest.raises(TypeError, match="out must be uint8, got float32"):
        F.colormap_rgba(np.zeros((2, 2)), np.zeros((256, 4), np.uint8), 0, 1, np.zeros((2, 2, 4), np.float32))
    with pytest.raises(TypeError, match="step must be an integer, got float"):
        F.adam_update(x32, x32.copy(), x32.copy(), x32.copy(), 0.1, 0.9, 0.999, 1e-8, 1.5)


def test_wrong_shapes_and_layouts_raise_value_error():
    a = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"out has shape \(4, 3\) but x has shape \(3, 4\)"):
        F.relu_forward(a, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="grad_y has shape"):
        F.sigmoid_backward(a, np.zeros(12))
    with pytest.raises(ValueError, match="C-contiguous"):
        F.tanh_forward(a.T)
    with pytest.raises(ValueError, match="C-contiguous"):
        F.relu_forward(a, np.zeros((4, 3)).T)
    ro = np.zeros((3, 4))
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="out is read-only"):
        F.relu_forward(a, ro)
    with pytest.raises(ValueError, match="param is read-only"):
        F.sgd_update(ro, a, 0.1)
    with pytest.raises(ValueError, match="non-native byte order"):
        F.relu_forward(a.astype(a.dtype.newbyteorder()))
    with pytest.raises(ValueError, match="velocity has shape"):
        F.momentum_update(a.copy(), a, np.zeros(5), 0.1, 0.9, False)
    with pytest.raises(ValueError, match="grad has shape"):
        F.rmsprop_update(a.copy(), np.zeros(12), a.copy(), 0.1, 0.9, 1e-8)
    with pytest.raises(ValueError, match="step must be >= 1"):
        F.adam_update(a.copy(), a, a.copy(), a.copy(), 0.1, 0.9, 0.999, 1e-8, 0)
    with pytest.raises(ValueError, match="logits must be 2-D"):
        F.softmax_cross_entropy(np.zeros(3), np.zeros(3, np.int64))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\)"):
        F.softmax_cross_entropy(a, np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="grad_out has shape"):
        F.softmax_cross_entropy(a, np.zeros(3, np.int64), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"lut must have shape \(256, 4\), got \(256, 3\)"):
        F.colormap_rgba(a, np.zeros((256, 3), np.uint8), 0, 1)
    with pytest.raises(ValueError, match="values must be 2-D"):
        F.colormap_rgba(np.zeros(3), np.zeros((256, 4), np.uint8), 0, 1)
    with pytest.raises(ValueError, match=r"out must have shape \(3, 4, 4\)"):
        F.colormap_rgba(a, np.zeros((256, 4), np.uint8), 0, 1, np.zeros((3, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="vmin <= vmax"):
        F.colormap_rgba(a, np.zeros((256, 4), np.uint8), 1, 0)
    with pytest.raises(ValueError, match="finite"):
        F.colormap_rgba(a, np.zeros((256, 4), np.uint8), 0, np.nan)


@pytest.mark.parametrize("bad", [-1, 3, 100, -100])
def test_label_out_of_range_names_label_and_index(bad):
    logits = np.zeros((4, 3), np.float32)
    labels = np.array([0, 2, bad, 1])
    grad = np.full_like(logits, 5.0)
    with pytest.raises(ValueError, match=rf"label {bad} at index 2 is out of range for 3 classes"):
        F.softmax_cross_entropy(logits, labels, grad)
    assert np.all(grad == 5.0)  # nothing written before the error


def test_long_loops_release_the_gil():
    """A thread keeps running while another is inside a long _fused loop (counted, not timed)."""
    x = rand(1 << 20, np.float64, seed=60)
    y = np.empty_like(x)
    inside, _ = ticks_inside(lambda: F.tanh_forward(x, y), want=5)
    assert inside >= 5
