"""neuralviz._native.updates (SGD, momentum, Adam, RMSprop steps in place) against numpy with the
arrays' dtype and torch's order of operations, and against torch.optim where installed; plus
input validation.
"""

import numpy as np
import pytest
from ref_elementwise import DTYPES, rand

from neuralviz._native import updates as F


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
# Bad input is reported, never silently cast, never a crash
# ---------------------------------------------------------------------------------------------


def test_wrong_dtypes_raise_type_error():
    x32 = np.zeros(4, np.float32)
    x64 = np.zeros(4, np.float64)
    with pytest.raises(TypeError, match="m has dtype"):
        F.adam_update(x32, x32.copy(), x64, x32.copy(), 0.1, 0.9, 0.999, 1e-8, 1)
    with pytest.raises(TypeError, match="step must be an integer, got float"):
        F.adam_update(x32, x32.copy(), x32.copy(), x32.copy(), 0.1, 0.9, 0.999, 1e-8, 1.5)


def test_wrong_shapes_and_layouts_raise_value_error():
    a = np.zeros((3, 4))
    ro = np.zeros((3, 4))
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="param is read-only"):
        F.sgd_update(ro, a, 0.1)
    with pytest.raises(ValueError, match="velocity has shape"):
        F.momentum_update(a.copy(), a, np.zeros(5), 0.1, 0.9, False)
    with pytest.raises(ValueError, match="grad has shape"):
        F.rmsprop_update(a.copy(), np.zeros(12), a.copy(), 0.1, 0.9, 1e-8)
    with pytest.raises(ValueError, match="step must be >= 1"):
        F.adam_update(a.copy(), a, a.copy(), a.copy(), 0.1, 0.9, 0.999, 1e-8, 0)
