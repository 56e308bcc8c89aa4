"""Issue 14, kernels: inputs that crashed, hung or silently misbehaved now raise a clear error.

Each reproducer runs in a fresh subprocess, so a regression (an abort, a segfault, a hang)
fails its test instead of killing pytest. The subprocess prints the exception's type and
message on its last line; the test checks that line.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import _C

PRELUDE = """
import numpy as np
import neuralviz as nv
from neuralviz import _C
f32 = np.float32
x8, w3 = np.ones((1, 1, 8, 8), f32), np.ones((1, 1, 3, 3), f32)
"""

BIG = 2**63 - 1

REPRODUCERS = {
    # 2*padding wrapped: the direct conv wrote before its padded buffer ("double free or corruption")
    "conv2d padding": ("nv.ops.conv2d(x8, w3, padding=2**63 - 1)", "padding 9223372036854775807"),
    # ... and with stride 2 returned a (1, 1, 2, 2) array
    "conv2d padding stride 2": ("nv.ops.conv2d(x8, w3, padding=2**63 - 1, stride=2)", "padding"),
    # the stride-2 backward segfaulted
    "conv2d_backward padding stride 2": (
        f"_C.conv2d_backward(x8, w3, np.ones((1, 1, 2, 2), f32), 2, 2, {BIG}, {BIG}, 1, 1)",
        "padding 9223372036854775807",
    ),
    "conv2d padding huge": ("nv.ops.conv2d(x8, w3, padding=2**40)", "padding=(1099511627776, 1099511627776)"),
    "conv2d padding large": ("nv.ops.conv2d(x8, w3, padding=2**20)", "memory"),
    # dilation*(k-1) wrapped and a result came back
    "conv2d dilation": ("_C.conv2d(x8, w3, None, 1, 1, 0, 0, 2**62, 2**62)", "dilation 4611686018427387904"),
    "conv2d dilation with padding": (
        "_C.conv2d(x8, w3, None, 1, 1, 2**62, 2**62, 2**62, 2**62)",
        "overflows 64-bit arithmetic",
    ),
    # kH*kW wrapped: the window count made the average NaN or inf
    "avg_pool2d kernel": ("_C.avg_pool2d(x8, 2**62, 2**62, 1, 1, 2**61, 2**61)", "kernel_size"),
    "avg_pool2d_backward kernel": (
        "_C.avg_pool2d_backward(np.ones((1, 1, 9, 9), f32), 8, 8, 2**62, 2**62, 1, 1, 2**61, 2**61)",
        "kernel_size",
    ),
    "max_pool2d padding": ("_C.max_pool2d(x8, 2**63 - 1, 2, 1, 1, 2**62 - 1, 0)", "padding 4611686018427387903"),
    # steps*batch wrapped to a tiny `order`: the binding must refuse before the kernel reads it
    "mlp_sgd_steps steps*batch": (
        "_C.mlp_sgd_steps([2, 1], [0], 0.0, 0, [np.ones((1, 2), f32)], [None], np.ones((4, 2), f32),"
        " np.ones((4, 1), f32), None, np.zeros(0, np.int64), 2**32, 2**32, 0.1, 0.0, 0.0)",
        "steps*batch = 4294967296*4294967296",
    ),
    "mlp_sgd_steps steps*batch wraps to 2": (
        "_C.mlp_sgd_steps([2, 1], [0], 0.0, 0, [np.ones((1, 2), f32)], [None], np.ones((4, 2), f32),"
        " np.ones((4, 1), f32), None, np.zeros(2, np.int64), 3, 6148914691236517206, 0.1, 0.0, 0.0)",
        "steps*batch",
    ),
    # T = 2**40 with an empty batch looped 2**40 empty steps without the GIL
    "rnn_tanh_forward T=2**40, N=0": (
        "_C.rnn_tanh_forward(np.ones((2**40, 0, 2), f32), np.ones((0, 3), f32), np.ones((3, 2), f32),"
        " np.ones((3, 3), f32), np.ones(3, f32), np.ones(3, f32), False)",
        "batch, input and hidden sizes must be positive",
    ),
    "gru_forward T=2**40, N=0": (
        "_C.gru_forward(np.ones((2**40, 0, 2), f32), np.ones((0, 3), f32), np.ones((9, 2), f32),"
        " np.ones((9, 3), f32), np.ones(9, f32), np.ones(9, f32), True)",
        "batch, input and hidden sizes must be positive",
    ),
    "lstm_forward T=2**40, N=0": (
        "_C.lstm_forward(np.ones((2**40, 0, 2), f32), np.ones((0, 3), f32), np.ones((0, 3), f32),"
        " np.ones((12, 2), f32), np.ones((12, 3), f32), np.ones(12, f32), np.ones(12, f32), False)",
        "batch, input and hidden sizes must be positive",
    ),
    "rnn_tanh_backward T=2**40, N=0": (
        "_C.rnn_tanh_backward(np.ones(0, f32), np.ones((2**40, 0, 2), f32), np.ones((0, 3), f32),"
        " np.ones((3, 2), f32), np.ones((3, 3), f32), np.ones((2**40, 0, 3), f32),"
        " np.ones((2**40, 0, 3), f32), None)",
        "batch, input and hidden sizes must be positive",
    ),
    # with K = 0 the result size is bounded by no input
    "matmul empty inner dimension": (
        "_C.matmul(np.ones((2**40, 0), f32), np.ones((0, 2**20), f32), False, False)",
        "memory",
    ),
    "linear_forward empty features": (
        "_C.linear_forward(np.ones((2**40, 0), f32), np.ones((2**20, 0), f32), None)",
        "memory",
    ),
    "max_pool2d_backward x_shape": (
        "_C.max_pool2d_backward(x8, np.zeros((1, 1, 8, 8), np.int64), 2**20, 2**20)",
        "memory",
    ),
    # found by `python -m neuralviz.fuzz --domains kernels`: a stride beyond the padded input
    # overflowed stride*width products in the kernels (segfaults); it is valid (one output)
    "conv2d huge stride with padding": (
        f"r = _C.conv2d(np.ones((6, 6, 2, 1), f32), np.ones((6, 6, 3, 4), f32), None, {BIG}, {BIG}, 2, 2, 1, 1)",
        "returned (6, 6, 1, 1)",
    ),
    "conv2d_backward huge stride with padding": (
        "r = _C.conv2d_backward(np.ones((4, 3, 3, 4), f32), np.ones((3, 3, 4, 5), f32),"
        f" np.ones((4, 3, 1, 1), f32), {BIG}, {BIG}, 3, 3, 2, 1, True, True, True)",
        "returned (4, 3, 3, 4) (3, 3, 4, 5) (3,)",
    ),
    "conv2d huge horizontal stride": (
        f"r = nv.ops.conv2d(np.ones((5, 6, 5, 5)), np.ones((5, 6, 5, 4)), stride=(1, {BIG}), padding=(1, 3),"
        " dilation=(1, 2))",
        "returned (5, 5, 3, 1)",
    ),
    # ... and a linear layer of 2**40 rows of nothing looped over them
    "linear_forward empty output": (
        "r = _C.linear_forward(np.ones((2**40, 0), f32), np.ones((0, 0), f32), np.ones(0, f32))",
        "returned (1099511627776, 0)",
    ),
    # OpenMP aborted (or segfaulted) creating 100000 threads
    "set_num_threads": ("_C.set_num_threads(100000)", "set_num_threads: n must be in [1, 1024], got 100000"),
}


def start_snippet(code: str) -> subprocess.Popen:
    script = PRELUDE + textwrap.dedent(f"""
        r = None
        try:
            {code}
        except Exception as e:
            print(f"{{type(e).__name__}}: {{e}}")
        else:
            print("returned", *(a.shape for a in (r if isinstance(r, tuple) else [r]) if a is not None))
        """)
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def processes():
    """All reproducers started at once (each pays the import of neuralviz; they overlap)."""
    procs = {name: start_snippet(code) for name, (code, _) in REPRODUCERS.items()}
    yield procs
    for p in procs.values():
        if p.poll() is None:
            p.kill()
        p.communicate()


@pytest.mark.parametrize("name", list(REPRODUCERS))
def test_reproducer_raises_a_clear_error_or_returns(name, processes):
    out, err = processes[name].communicate(timeout=60)
    code = processes[name].returncode
    assert code == 0, f"{name}: the process died ({code}): {err[-2000:]}"
    last, want = out.strip().splitlines()[-1], REPRODUCERS[name][1]
    if want.startswith("returned"):
        assert last == want, f"{name}: {last}"
    else:
        assert last.startswith("ValueError: ") and want in last, f"{name}: {last}"


# ------------------------------------------------------------------ max_pool2d_backward's x_shape
def test_max_pool2d_backward_refuses_indices_read_with_another_width():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    _, idx = nv.ops.max_pool2d(x, 2)
    gy = np.ones(idx.shape)
    assert nv.ops.max_pool2d_backward(gy, idx, x.shape).sum() == gy.sum()
    with pytest.raises(ValueError, match="indices do not come from max_pool2d"):
        _C.max_pool2d_backward(gy, idx, 8, 8)  # same element count per row pair, wrong width
    with pytest.raises(ValueError, match="indices do not come from max_pool2d"):
        nv.ops.max_pool2d_backward(gy, idx, (2, 3, 8, 8))
    with pytest.raises(ValueError, match="cannot come from max_pool2d"):
        _C.max_pool2d_backward(np.ones((2, 3, 9, 9)), np.zeros((2, 3, 9, 9), np.int64), 4, 4)


def test_max_pool2d_backward_accepts_every_forward_geometry_with_ties_and_nan():
    # the ordering check must hold for the forward's own indices: ties, NaN, padding, overlap
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (2, 2, 9, 7)).astype(np.float64)  # many ties
    x[0, 0, 2, 3] = x[1, 1, 5, 5] = x[1, 1, 5, 6] = np.nan
    for k, s, p in [(2, 1, 0), (3, 1, 1), (3, 2, 1), (2, 3, 1), (4, 1, 2), ((3, 2), (1, 2), (1, 0))]:
        _, idx = nv.ops.max_pool2d(x, k, s, p)
        gx = nv.ops.max_pool2d_backward(np.ones(idx.shape), idx, x.shape)
        assert gx.sum() == idx.size


# ------------------------------------------------------------------ still valid at the edges
def test_valid_calls_at_the_edges_still_run():
    x, w = np.ones((1, 1, 8, 8), np.float32), np.ones((1, 1, 3, 3), np.float32)
    assert nv.ops.conv2d(x, w, padding=100).shape == (1, 1, 206, 206)
    assert nv.ops.conv2d(x, w, stride=2**62).shape == (1, 1, 1, 1)
    assert nv.ops.conv2d(x, w, dilation=3, padding=(2, 0)).shape == (1, 1, 6, 2)
    assert _C.conv2d(np.ones((0, 1, 8, 8), np.float32), w, None, 1, 1, 0, 0, 1, 1).shape == (0, 1, 6, 6)
    assert np.isfinite(nv.ops.avg_pool2d(x, 2**20, padding=2**19)).all()
    y, h = nv.ops.rnn_tanh(*(np.ones(s) for s in [(0, 2, 3), (2, 4), (4, 3), (4, 4), (4,), (4,)]))
    assert y.shape == (0, 2, 4) and h.shape == (2, 4)
    assert _C.matmul(np.ones((3, 0)), np.ones((0, 2)), False, False).tolist() == [[0, 0]] * 3
