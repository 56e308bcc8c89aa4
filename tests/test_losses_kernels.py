"""neuralviz._native.losses (softmax cross-entropy, BCE on logits, MSE, with gradients) against
numpy references, float64 finite differences and, where installed, PyTorch; plus its input
validation. The fused MLP trainer computes the same per-row maths (test_fastpath.py).
"""

import numpy as np
import pytest
from gradcheck import numeric_grad
from ref_elementwise import DTYPES, assert_close, rand, ref_sigmoid

from neuralviz._native import losses as F


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


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_arrays_are_fine(dtype):
    x = np.zeros((0, 4), dtype)
    with np.errstate(all="ignore"):
        assert np.isnan(F.mse(x, x, np.empty_like(x)))
        assert np.isnan(F.bce_with_logits(x, x))
        assert np.isnan(F.softmax_cross_entropy(x, np.zeros(0, np.int64)))


# ---------------------------------------------------------------------------------------------
# Bad input is reported, never silently cast, never a crash
# ---------------------------------------------------------------------------------------------


def test_wrong_dtypes_raise_type_error():
    x32 = np.zeros(4, np.float32)
    x64 = np.zeros(4, np.float64)
    with pytest.raises(TypeError, match="target has dtype"):
        F.mse(x32, x64)
    with pytest.raises(TypeError, match="labels must be int64, got int32"):
        F.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(2, np.int32))
    with pytest.raises(TypeError, match="labels must be int64, got float64"):
        F.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(2))


def test_wrong_shapes_and_layouts_raise_value_error():
    a = np.zeros((3, 4))
    with pytest.raises(ValueError, match="logits must be 2-D"):
        F.softmax_cross_entropy(np.zeros(3), np.zeros(3, np.int64))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\)"):
        F.softmax_cross_entropy(a, np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="grad_out has shape"):
        F.softmax_cross_entropy(a, np.zeros(3, np.int64), np.zeros((3, 5)))


@pytest.mark.parametrize("bad", [-1, 3, 100, -100])
def test_label_out_of_range_names_label_and_index(bad):
    logits = np.zeros((4, 3), np.float32)
    labels = np.array([0, 2, bad, 1])
    grad = np.full_like(logits, 5.0)
    with pytest.raises(ValueError, match=rf"label {bad} at index 2 is out of range for 3 classes"):
        F.softmax_cross_entropy(logits, labels, grad)
    assert np.all(grad == 5.0)  # nothing written before the error
