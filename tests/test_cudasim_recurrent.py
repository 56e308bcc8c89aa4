"""The CUDA backend's recurrences (rnn_tanh, lstm, gru; forward and backward over whole
sequences) against the CPU backend's kernels on the same inputs: outputs, last states, the
cache's Python-visible structure, every gradient, the T = 0 edge, determinism, and the
argument checks (ValueError naming the kernel). Every case runs on the three device paths (the
`path` fixture): the persistent kernels (every step in one cooperative launch, the default), the
fused one-launch-per-step kernels (NVZ_RNN_PERSISTENT=0) and the GEMM + gate-kernel pair
(NVZ_RNN_FUSED=0); the launch counts of each are checked too."""

from __future__ import annotations

import cuda_devices
import numpy as np
import pytest
from cuda_devices import tol, up

from neuralviz.backend import CPU

dev = cuda_devices.dev  # the fixture (the simulator, and the GPU where there is one)
GATES = {"rnn_tanh": 1, "lstm": 4, "gru": 3}
I, H = 4, 6


@pytest.fixture(params=["persistent", "fused", "unfused"])
def path(request, monkeypatch):
    """The device's recurrence path, chosen per call by NVZ_RNN_FUSED and NVZ_RNN_PERSISTENT (see
    recurrent.cu)."""
    monkeypatch.setenv("NVZ_RNN_FUSED", "0" if request.param == "unfused" else "1")
    monkeypatch.setenv("NVZ_RNN_PERSISTENT", "1" if request.param == "persistent" else "0")
    return request.param


def make(cell: str, dtype, T: int, N: int, seed: int = 0, H: int = H) -> dict:
    """Inputs of one call: nonzero h0 / c0, weights scaled so the gates stay off saturation."""
    rng = np.random.default_rng(seed)
    g = GATES[cell] * H
    hh_scale = 0.5 * np.sqrt(6 / H)  # as at H = 6: pre-activations of the same size

    def r(*shape, scale=1.0):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    return {
        "x": r(T, N, I),
        "h0": r(N, H, scale=0.5),
        "c0": r(N, H, scale=0.5),
        "w_ih": r(g, I, scale=0.5),
        "w_hh": r(g, H, scale=hh_scale),
        "b_ih": r(g, scale=0.3),
        "b_hh": r(g, scale=0.3),
        "gy": r(T, N, H),
        "ghT": r(N, H),
        "gcT": r(N, H),
    }


def states(cell: str, a: dict) -> list:
    return [a["h0"], a["c0"]] if cell == "lstm" else [a["h0"]]


def fwd_args(cell: str, a: dict) -> list:
    return [a["x"], *states(cell, a), a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"]]


def bwd_args(cell: str, a: dict, y, with_last: bool) -> list:
    """x, h0, (c0,) w_ih, w_hh, y, grad_y, grad_hT, (grad_cT): the backward's args after cache."""
    last = [a["ghT"], a["gcT"]] if cell == "lstm" else [a["ghT"]]
    if not with_last:
        last = [None] * len(last)
    return [a["x"], *states(cell, a), a["w_ih"], a["w_hh"], y, a["gy"], *last]


def on(dev, args: list) -> list:
    return [None if v is None else up(dev, v) for v in args]


def grad_tol(dtype) -> dict:
    # float32: the gradients sum over T steps and N rows in a different order than the CPU's
    # (per-step GEMMs vs one big GEMM, column sums vs per-step accumulation), so allow more
    # absolute slack than a single product needs.
    return {"rtol": 1e-4, "atol": 5e-5} if np.dtype(dtype) == np.float32 else tol(dtype)


@pytest.mark.parametrize("cell", list(GATES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T,N,hidden", [(1, 1, H), (1, 3, H), (5, 1, H), (5, 3, H), (3, 18, 70)])
def test_forward_backward_match_cpu(dev, path, cell, dtype, T, N, hidden):
    """(3, 18, 70): two row tiles and five unit tiles of the fused kernels, both partial, and
    K = H (forward) and G*H (backward) longer than one shared-memory chunk."""
    a = make(cell, dtype, T, N, H=hidden)
    ref = getattr(CPU, f"{cell}_forward")(*fwd_args(cell, a), True)
    out = getattr(dev, f"{cell}_forward")(*on(dev, fwd_args(cell, a)), True)
    assert len(out) == len(ref)
    for r, o in zip(ref[:-1], out[:-1]):  # y, hT (, cT)
        np.testing.assert_allclose(o.numpy(), r, **tol(dtype))
    cache = out[-1]
    assert cache is not None and len(cache.shape) == 1  # a flat Tensor, as the layer keeps it

    for with_last in (True, False):
        rb = getattr(CPU, f"{cell}_backward")(ref[-1], *bwd_args(cell, a, ref[0], with_last))
        ob = getattr(dev, f"{cell}_backward")(cache, *on(dev, bwd_args(cell, a, ref[0], with_last)))
        assert len(ob) == len(rb) == (7 if cell == "lstm" else 6)
        for r, o in zip(rb, ob):
            assert o.shape == r.shape
            np.testing.assert_allclose(o.numpy(), r, **grad_tol(dtype))


@pytest.mark.parametrize("cell", list(GATES))
def test_forward_without_cache(dev, path, cell):
    a = make(cell, np.float64, 3, 2)
    ref = getattr(CPU, f"{cell}_forward")(*fwd_args(cell, a), False)
    out = getattr(dev, f"{cell}_forward")(*on(dev, fwd_args(cell, a)), False)
    assert ref[-1] is None and out[-1] is None
    for r, o in zip(ref[:-1], out[:-1]):
        np.testing.assert_allclose(o.numpy(), r, **tol(np.float64))


@pytest.mark.parametrize("cell", list(GATES))
def test_empty_sequence(dev, path, cell):
    """T = 0: y is empty, the last state is the first; gh0 = grad_hT, weight gradients zero."""
    a = make(cell, np.float64, 0, 2)
    ref = getattr(CPU, f"{cell}_forward")(*fwd_args(cell, a), True)
    out = getattr(dev, f"{cell}_forward")(*on(dev, fwd_args(cell, a)), True)
    for r, o in zip(ref, out):
        assert o.shape == r.shape
        np.testing.assert_array_equal(o.numpy(), r)
    rb = getattr(CPU, f"{cell}_backward")(ref[-1], *bwd_args(cell, a, ref[0], True))
    ob = getattr(dev, f"{cell}_backward")(out[-1], *on(dev, bwd_args(cell, a, ref[0], True)))
    for r, o in zip(rb, ob):
        assert o.shape == r.shape
        np.testing.assert_array_equal(o.numpy(), r)


def test_backward_is_deterministic(dev, path):
    a = make("gru", np.float32, 4, 3)
    out = dev.gru_forward(*on(dev, fwd_args("gru", a)), True)
    args = on(dev, bwd_args("gru", a, out[0].numpy(), True))
    first = [g.numpy() for g in dev.gru_backward(out[-1], *args)]
    second = [g.numpy() for g in dev.gru_backward(out[-1], *args)]
    for f, s in zip(first, second):
        np.testing.assert_array_equal(f, s)


@pytest.mark.parametrize("cell", list(GATES))
def test_launch_counts(dev, path, cell):
    """Launches per call (each costs a few microseconds on a GPU): persistent, a few whatever T is;
    fused, one per step plus a bounded tail; the two-launch path, two per step."""
    T = 5
    a = make(cell, np.float32, T, 3)
    fwd = on(dev, fwd_args(cell, a))
    dev.reset_transfer_stats()
    out = getattr(dev, f"{cell}_forward")(*fwd, True)
    forward = dev.transfer_stats()["launches"]
    bwd = on(dev, bwd_args(cell, a, out[0].numpy(), True))
    dev.reset_transfer_stats()
    getattr(dev, f"{cell}_backward")(out[-1], *bwd)
    backward = dev.transfer_stats()["launches"]
    if path == "persistent":
        assert forward == 2  # the input projection, the sequence
        assert backward <= 9  # the last step, the sequence, dL/dh0, gx, gw_ih, gw_hh, biases
    elif path == "fused":
        assert forward <= T + 2
        assert backward <= T + 7  # the last step's gradients, dL/dh0, gx, gw_ih, gw_hh, biases
    else:
        assert forward >= 2 * T
        assert backward >= 2 * T


def run_sequence(dev, cell: str, a: dict) -> list:
    """y, hT (, cT) and every gradient of one forward + backward on the device, as numpy."""
    out = getattr(dev, f"{cell}_forward")(*on(dev, fwd_args(cell, a)), True)
    grads = getattr(dev, f"{cell}_backward")(out[-1], *on(dev, bwd_args(cell, a, out[0].numpy(), True)))
    return [o.numpy() for o in out[:-1]] + [g.numpy() for g in grads]


@pytest.mark.parametrize("cell", list(GATES))
def test_persistent_and_per_step_launches_agree_bitwise(dev, cell, monkeypatch):
    """The persistent kernels run the per-step kernels' code on the same pointers (fwd_step,
    bwd_step in recurrent.cu), so they give the same bits; 18 x 40: partial row and unit tiles."""
    a = make(cell, np.float32, 6, 18, H=40)
    monkeypatch.setenv("NVZ_RNN_PERSISTENT", "1")
    persistent = run_sequence(dev, cell, a)
    monkeypatch.setenv("NVZ_RNN_PERSISTENT", "0")
    per_step = run_sequence(dev, cell, a)
    for p, q in zip(persistent, per_step):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("cell", list(GATES))
def test_grid_beyond_cooperative_capacity_launches_per_step(dev, cell):
    """A grid that cannot be resident at once runs one launch per step instead. The simulator's
    capacity is 4096 threads: at N 48, H 96 the forward's 18 blocks of 128 threads fit (one launch
    for the sequence), the backward's 18 blocks of 256 do not."""
    if dev is not cuda_devices.SIM:
        pytest.skip("the simulator's capacity; a GPU's is far larger")
    T = 4
    a = make(cell, np.float32, T, 48, H=96)
    ref = getattr(CPU, f"{cell}_forward")(*fwd_args(cell, a), True)
    rb = getattr(CPU, f"{cell}_backward")(ref[-1], *bwd_args(cell, a, ref[0], True))
    dev.reset_transfer_stats()
    out = getattr(dev, f"{cell}_forward")(*on(dev, fwd_args(cell, a)), True)
    assert dev.transfer_stats()["launches"] == 2
    bwd = on(dev, bwd_args(cell, a, out[0].numpy(), True))
    dev.reset_transfer_stats()
    grads = getattr(dev, f"{cell}_backward")(out[-1], *bwd)
    assert dev.transfer_stats()["launches"] >= (T - 1) + 6
    for r, o in zip(ref[:-1], out[:-1]):
        np.testing.assert_allclose(o.numpy(), r, **tol(np.float32))
    for r, o in zip(rb, grads):
        np.testing.assert_allclose(o.numpy(), r, **grad_tol(np.float32))


def _bad_forward_calls(a: dict):
    """(kernel, args with one mismatch) for each forward: the mismatch is in the weights/states."""
    w_hh_bad = a["w_hh"][:, :-1]
    yield "rnn_tanh_forward", [a["x"], a["h0"], a["w_ih"][:H], w_hh_bad[:H], a["b_ih"][:H], a["b_hh"][:H]]
    yield "gru_forward", [a["x"], a["h0"], a["w_ih"][: 3 * H], a["w_hh"][: 3 * H], a["b_ih"][:5], a["b_hh"][: 3 * H]]
    yield "lstm_forward", [a["x"], a["h0"], a["c0"][:, :-1], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"]]
    yield "lstm_forward", [a["x"][0], a["h0"], a["c0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"]]


def test_forward_shape_errors(dev):
    a = make("lstm", np.float64, 2, 3)
    for name, args in _bad_forward_calls(a):
        with pytest.raises(ValueError, match=name):
            getattr(dev, name)(*on(dev, args), True)


@pytest.mark.parametrize("cell", list(GATES))
def test_backward_shape_and_dtype_errors(dev, cell):
    a = make(cell, np.float64, 2, 3)
    y = np.zeros((2, 3, H))
    name = f"{cell}_backward"
    good_cache = up(dev, np.zeros(getattr(CPU, f"{cell}_forward")(*fwd_args(cell, a), True)[-1].size))
    kernel = getattr(dev, name)
    with pytest.raises(ValueError, match=name):  # cache of the wrong size
        kernel(up(dev, np.zeros(7)), *on(dev, bwd_args(cell, a, y, True)))
    with pytest.raises(ValueError, match=name):  # y of the wrong length
        kernel(good_cache, *on(dev, bwd_args(cell, a, y[:1], True)))
    bad = bwd_args(cell, a, y, True)
    bad[-1] = bad[-1][:, :-1]  # grad_hT (or grad_cT) of the wrong width
    with pytest.raises(ValueError, match=name):
        kernel(good_cache, *on(dev, bad))
    mixed = bwd_args(cell, a, y, True)
    mixed[1] = mixed[1].astype(np.float32)  # h0 in float32, the rest float64
    with pytest.raises(ValueError, match=name):
        kernel(good_cache, *on(dev, mixed))
