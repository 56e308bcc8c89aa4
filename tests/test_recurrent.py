"""nv.ops.rnn_tanh / lstm / gru and their backwards against the numpy reference
(ref_recurrent.py), PyTorch and float64 finite differences, on every instruction set."""

import numpy as np
import pytest
import ref_recurrent as ref

import neuralviz as nv

CELLS = ["rnn_tanh", "lstm", "gru"]
TORCH_NAMES = {"w_ih": "weight_ih_l0", "w_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}
# (T, N, I, H): batch 1, hidden 1, odd sizes, tails of the vector width (4/8/16 lanes) and of
# the GEMM register tile (4/6/8 rows, 8..32 columns).
SHAPES = [(5, 3, 4, 7), (1, 1, 1, 1), (3, 1, 2, 1), (4, 2, 3, 17), (6, 7, 5, 33), (2, 13, 1, 40)]


def make_problem(cell, T, N, I, H, dtype=np.float64, seed=0):
    """Inputs, weights and random upstream gradients (never all ones) for one call."""
    rng = np.random.default_rng(seed)
    G = ref.GATES[cell]

    def r(*shape, scale=1.0):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    k = 1 / np.sqrt(H)
    return {
        "x": r(T, N, I),
        "h0": r(N, H),
        "c0": r(N, H),
        "w_ih": r(G * H, I, scale=k),
        "w_hh": r(G * H, H, scale=k),
        "b_ih": r(G * H, scale=k),
        "b_hh": r(G * H, scale=k),
        "grad_y": r(T, N, H),
        "grad_hT": r(N, H),
        "grad_cT": r(N, H),
    }


def inputs(cell, p):
    """Positional arguments of nv.ops.<cell> (and of the reference)."""
    state = (p["x"], p["h0"], p["c0"]) if cell == "lstm" else (p["x"], p["h0"])
    return state + (p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])


def state_grads(cell, p, on):
    """grad_hT (and grad_cT) arguments: random, or None (= zero)."""
    names = ["grad_hT", "grad_cT"] if cell == "lstm" else ["grad_hT"]
    return tuple(p[n] if on else None for n in names)


def ours_forward(cell, p):
    return getattr(nv.ops, cell)(*inputs(cell, p))


def ours_backward(cell, p, with_state_grads=True):
    return getattr(nv.ops, f"{cell}_backward")(*inputs(cell, p), p["grad_y"], *state_grads(cell, p, with_state_grads))


def as64(p):
    return {k: v.astype(np.float64) for k, v in p.items()}


def assert_close(ours, want, dtype, what):
    want = np.asarray(want, dtype=np.float64)
    assert ours.shape == want.shape, f"{what}: shape {ours.shape} != {want.shape}"
    assert ours.dtype == dtype, f"{what}: dtype {ours.dtype}"
    if dtype == np.float64:
        np.testing.assert_allclose(ours, want, rtol=1e-9, atol=1e-11, err_msg=what)
    else:
        scale = max(1.0, float(np.abs(want).max(initial=0)))
        np.testing.assert_allclose(ours, want, rtol=1e-4, atol=2e-5 * scale, err_msg=what)


OUT_NAMES = {"rnn_tanh": ["y", "h_T"], "gru": ["y", "h_T"], "lstm": ["y", "h_T", "c_T"]}
GRAD_NAMES = {
    "rnn_tanh": ["grad_x", "grad_h0", "grad_w_ih", "grad_w_hh", "grad_b_ih", "grad_b_hh"],
    "gru": ["grad_x", "grad_h0", "grad_w_ih", "grad_w_hh", "grad_b_ih", "grad_b_hh"],
    "lstm": ["grad_x", "grad_h0", "grad_c0", "grad_w_ih", "grad_w_hh", "grad_b_ih", "grad_b_hh"],
}


# ---------------------------------------------------------------- numpy reference


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}N{}I{}H{}".format(*s))
@pytest.mark.parametrize("cell", CELLS)
def test_matches_reference(isa, cell, shape, dtype):
    p = make_problem(cell, *shape, dtype=dtype, seed=sum(shape))
    p64 = as64(p)
    for name, ours, want in zip(OUT_NAMES[cell], ours_forward(cell, p), ref.FORWARD[cell](*inputs(cell, p64))):
        assert_close(ours, want, dtype, f"{cell} {isa} {name}")
    for with_state in (True, False):
        got = ours_backward(cell, p, with_state)
        want = ref.BACKWARD[cell](*inputs(cell, p64), p64["grad_y"], *state_grads(cell, p64, with_state))
        for name, g, w in zip(GRAD_NAMES[cell], got, want):
            assert_close(g, w, dtype, f"{cell} {isa} {name} (state grads {with_state})")


@pytest.mark.parametrize("cell", CELLS)
def test_threads_give_identical_results(cell):
    # Big enough that the per-step and weight-gradient GEMMs are split between threads;
    # the split never changes any sum's order, so results are bitwise equal.
    p = make_problem(cell, 3, 16, 8, 64, dtype=np.float32, seed=5)
    before = nv.get_num_threads()
    try:
        nv.set_num_threads(1)
        one = ours_forward(cell, p) + ours_backward(cell, p)
        nv.set_num_threads(2)
        two = ours_forward(cell, p) + ours_backward(cell, p)
    finally:
        nv.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- PyTorch


def torch_run(cell, p):
    """torch.nn.RNN/LSTM/GRU with our weights copied by name: outputs and all gradients of
    sum(y*grad_y) + sum(h_T*grad_hT) (+ sum(c_T*grad_cT))."""
    torch = pytest.importorskip("torch")
    dtype = torch.float64 if p["x"].dtype == np.float64 else torch.float32
    I, H = p["x"].shape[2], p["h0"].shape[1]
    module = {
        "rnn_tanh": lambda: torch.nn.RNN(I, H, nonlinearity="tanh"),
        "lstm": lambda: torch.nn.LSTM(I, H),
        "gru": lambda: torch.nn.GRU(I, H),
    }[cell]()
    module = module.to(dtype)
    with torch.no_grad():
        for ours, theirs in TORCH_NAMES.items():
            getattr(module, theirs).copy_(torch.from_numpy(p[ours]))
    t = {k: torch.from_numpy(v) for k, v in p.items()}
    x = t["x"].clone().requires_grad_()
    h0 = t["h0"][None].clone().requires_grad_()
    c0 = t["c0"][None].clone().requires_grad_()
    if cell == "lstm":
        y, (hT, cT) = module(x, (h0, c0))
        outs = (y, hT[0], cT[0])
        loss = (y * t["grad_y"]).sum() + (hT[0] * t["grad_hT"]).sum() + (cT[0] * t["grad_cT"]).sum()
        wrt = [x, h0, c0]
    else:
        y, hT = module(x, h0)
        outs = (y, hT[0])
        loss = (y * t["grad_y"]).sum() + (hT[0] * t["grad_hT"]).sum()
        wrt = [x, h0]
    wrt += [getattr(module, TORCH_NAMES[n]) for n in ("w_ih", "w_hh", "b_ih", "b_hh")]
    grads = [g.numpy() for g in torch.autograd.grad(loss, wrt)]
    n_states = 2 if cell == "lstm" else 1
    grads[1 : 1 + n_states] = [g[0] for g in grads[1 : 1 + n_states]]  # (1, N, H) -> (N, H)
    return [o.detach().numpy() for o in outs], grads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 3, 5, 11), (1, 2, 3, 4), (9, 1, 1, 32)], ids=lambda s: "T{}N{}I{}H{}".format(*s))
@pytest.mark.parametrize("cell", CELLS)
def test_matches_torch(cell, shape, dtype):
    p = make_problem(cell, *shape, dtype=dtype, seed=7)
    outs, grads = torch_run(cell, p)
    for name, ours, want in zip(OUT_NAMES[cell], ours_forward(cell, p), outs):
        assert_close(ours, want, dtype, f"{cell} vs torch {name}")
    for name, ours, want in zip(GRAD_NAMES[cell], ours_backward(cell, p), grads):
        assert_close(ours, want, dtype, f"{cell} vs torch {name}")


# ---------------------------------------------------------------- finite differences


@pytest.mark.parametrize("cell", CELLS)
def test_finite_differences(isa, cell):
    """Every entry of every input and weight, float64, central differences."""
    p = make_problem(cell, 3, 2, 2, 3, seed=11)
    n_out = len(OUT_NAMES[cell])
    upstream = [p["grad_y"], p["grad_hT"], p["grad_cT"]][:n_out]

    def loss():
        return sum(float(np.sum(o * g)) for o, g in zip(ours_forward(cell, p), upstream))

    analytic = dict(zip(GRAD_NAMES[cell], ours_backward(cell, p)))
    names = ["x", "h0"] + (["c0"] if cell == "lstm" else []) + ["w_ih", "w_hh", "b_ih", "b_hh"]
    eps = 1e-6
    for name in names:
        flat = p[name].reshape(-1)
        grad = analytic[f"grad_{name}"].reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = loss()
            flat[i] = old - eps
            down = loss()
            flat[i] = old
            numeric = (up - down) / (2 * eps)
            assert abs(grad[i] - numeric) <= 1e-5 + 1e-3 * abs(numeric), (
                f"{cell} {isa}: d/d{name}[{np.unravel_index(i, p[name].shape)}]: "
                f"analytic {grad[i]:.8g} vs numeric {numeric:.8g}"
            )


# ---------------------------------------------------------------- edge cases and API


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", CELLS)
def test_empty_sequence(isa, cell, dtype):
    p = make_problem(cell, 0, 3, 2, 5, dtype=dtype)
    outs = ours_forward(cell, p)
    assert outs[0].shape == (0, 3, 5) and outs[0].dtype == dtype
    np.testing.assert_array_equal(outs[1], p["h0"])
    if cell == "lstm":
        np.testing.assert_array_equal(outs[2], p["c0"])
    for with_state in (True, False):
        grads = dict(zip(GRAD_NAMES[cell], ours_backward(cell, p, with_state)))
        assert grads["grad_x"].shape == (0, 3, 2)
        want_h = p["grad_hT"] if with_state else np.zeros_like(p["h0"])
        np.testing.assert_array_equal(grads["grad_h0"], want_h)
        if cell == "lstm":
            want_c = p["grad_cT"] if with_state else np.zeros_like(p["c0"])
            np.testing.assert_array_equal(grads["grad_c0"], want_c)
        for name in ("grad_w_ih", "grad_w_hh", "grad_b_ih", "grad_b_hh"):
            assert not grads[name].any(), name


@pytest.mark.parametrize("cell", CELLS)
def test_cached_path_equals_functional(cell):
    p = make_problem(cell, 4, 3, 2, 9, dtype=np.float32, seed=3)
    plain = ours_forward(cell, p)
    cached = getattr(nv.ops, f"{cell}_forward_cached")(*inputs(cell, p))
    *outs, cache = cached
    for a, b in zip(plain, outs):
        np.testing.assert_array_equal(a, b)
    state = (p["x"], p["h0"], p["c0"]) if cell == "lstm" else (p["x"], p["h0"])
    via_cache = getattr(nv.ops, f"{cell}_backward_cached")(
        cache, *state, p["w_ih"], p["w_hh"], outs[0], p["grad_y"], *state_grads(cell, p, True)
    )
    for a, b in zip(ours_backward(cell, p), via_cache):
        np.testing.assert_array_equal(a, b)


def test_activations_accurate_to_a_few_ulp(isa):
    """The LSTM cache holds sigmoid(a) (i, f, o) and tanh(a) (g) of the pre-activations; with
    x W_ih^T = x exactly and zero recurrent weights and biases, a = x."""
    xs = np.concatenate(
        [
            np.linspace(-40, 40, 4001),
            np.geomspace(1e-30, 5, 300),
            -np.geomspace(1e-30, 5, 300),
            [20.0, -20.0, 1e-8, -1e-8],
        ]
    )
    for dtype in (np.float32, np.float64):
        x = xs.astype(dtype)
        N = x.size
        w_ih = np.ones((4, 1), dtype)
        zeros = np.zeros((4,), dtype)
        _, _, _, cache = nv.ops.lstm_forward_cached(
            x.reshape(1, N, 1),
            np.zeros((N, 1), dtype),
            np.zeros((N, 1), dtype),
            w_ih,
            np.zeros((4, 1), dtype),
            zeros,
            zeros,
        )
        gates = cache[: 4 * N].reshape(N, 4)
        xl = x.astype(np.longdouble)
        want_sig = 1 / (1 + np.exp(-xl))
        want_tanh = np.tanh(xl)
        for got, want, what in ((gates[:, 0], want_sig, "sigmoid"), (gates[:, 2], want_tanh, "tanh")):
            ulp = np.spacing(np.abs(want.astype(dtype)))
            err = np.abs(got.astype(np.longdouble) - want) / ulp
            tiny = np.abs(want) < np.finfo(dtype).tiny * 2**30  # sigmoid far in the left tail
            assert err[~tiny].max() <= 4, (what, dtype, x[~tiny][np.argmax(err[~tiny])])
        t = gates[:, 2]
        assert t[x == dtype(1e-30)][0] == dtype(1e-30)  # no cancellation near 0
        assert t[x == 20][0] == 1 and t[x == -20][0] == -1
        assert np.all(gates[:, 0] >= 0) and np.all(gates[:, 0] <= 1)


def test_nan_propagates():
    p = make_problem("gru", 2, 2, 3, 4)
    p["x"][0, 0, 0] = np.nan
    y, _ = ours_forward("gru", p)
    assert np.isnan(y[0, 0]).all() and np.isfinite(y[0, 1]).all()


@pytest.mark.parametrize("cell", CELLS)
def test_bad_shapes_name_the_argument(cell):
    p = make_problem(cell, 3, 2, 4, 5)
    G = ref.GATES[cell]
    bad = {
        "w_ih": np.zeros((G * 5, 3)),
        "w_hh": np.zeros((G * 5, 4)),
        "b_ih": np.zeros(G * 5 + 1),
        "b_hh": np.zeros((G * 5, 1)),
        "h0": np.zeros((3, 5)),
    }
    if cell == "lstm":
        bad["c0"] = np.zeros((2, 6))
    for name, value in bad.items():
        q = dict(p, **{name: value})
        with pytest.raises(ValueError, match=name):
            ours_forward(cell, q)
    with pytest.raises(ValueError, match=r"\bx\b"):
        ours_forward(cell, dict(p, x=np.zeros((3, 2))))
    for name in ["grad_y", "grad_hT"] + (["grad_cT"] if cell == "lstm" else []):
        q = dict(p, **{name: np.zeros((7, 7))})
        with pytest.raises(ValueError, match=name):
            ours_backward(cell, q)


# ---------------------------------------------------------------- issue 22: GEMM blocking, bench


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape", [(2, 3, 300, 20), (2, 2, 3, 260), (20, 13, 3, 9)], ids=lambda s: "T{}N{}I{}H{}".format(*s)
)
@pytest.mark.parametrize("cell", CELLS)
def test_matches_reference_past_one_k_block(isa, cell, shape, dtype):
    # I + H (the LSTM's step GEMM takes [x_t | h_{t-1}] while I <= H) or H alone past the
    # GEMM's K block (256), so the packed weights hold several K blocks; and T*N >= 256 rows,
    # where the gated cells compute dW_hh in its transposed form (H_prev^T dA).
    p = make_problem(cell, *shape, dtype=dtype, seed=7)
    p64 = as64(p)
    for name, ours, want in zip(OUT_NAMES[cell], ours_forward(cell, p), ref.FORWARD[cell](*inputs(cell, p64))):
        assert_close(ours, want, dtype, f"{cell} {isa} {name}")
    got = ours_backward(cell, p)
    want = ref.BACKWARD[cell](*inputs(cell, p64), p64["grad_y"], *state_grads(cell, p64, True))
    for name, g, w in zip(GRAD_NAMES[cell], got, want):
        assert_close(g, w, dtype, f"{cell} {isa} {name}")


def test_bench_peak_memory_probe_sees_a_known_allocation():
    # The bench's peak-memory row (neuralviz.bench.recurrent.report) rests on this probe: a
    # 64 MiB array, far above glibc's largest mmap threshold, must show up as 64 MiB.
    import os

    from neuralviz.bench import _memory

    if not os.path.exists("/proc/self/clear_refs"):
        pytest.skip("needs Linux's /proc/self/clear_refs")
    mib = _memory.peak_bytes(lambda: np.ones(8 * 2**20)) / 2**20
    assert 60 <= mib <= 72, mib
