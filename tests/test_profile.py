"""neuralviz.profile.layer_costs: one training step measured layer by layer, the network left as it was."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import profile

CNN = {
    "input_shape": [1, 8, 8],
    "layers": [
        {"id": "c1", "type": "conv2d", "channels": 4, "kernel_size": 3, "padding": 1},
        {"id": "r1", "type": "relu"},
        {"id": "drop", "type": "dropout", "p": 0.5},
        {"id": "p1", "type": "maxpool2d", "kernel_size": 2},
        {"id": "f", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 3},
    ],
}
# a branch and a merge: rows follow the execution order, the skip's gradient is summed
RESIDUAL = {
    "input_shape": [6],
    "layers": [
        {"id": "a", "type": "dense", "units": 6},
        {"id": "t", "type": "tanh"},
        {"id": "sum", "type": "add", "inputs": ["a", "t"]},
        {"id": "out", "type": "dense", "units": 2},
    ],
}
TOKENS = {
    "input_shape": [5],
    "layers": [
        {"id": "emb", "type": "embedding", "vocab": 11, "dim": 4},
        {"id": "f", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 3},
    ],
}


def _net(spec, dtype="float32"):
    return nv.Network.from_spec(spec, seed=3, dtype=dtype)


def _fixed(prof: profile.Profile) -> list:
    """Everything a profile says except the times (and the shares computed from them)."""
    rows = [(r.id, r.type, r.params, r.param_bytes, r.activation_bytes, r.workspace_bytes) for r in prof.rows]
    return [rows, prof.batch, prof.input_shape, prof.loss, prof.peak_bytes, prof.backend, prof.threads, prof.isa]


def test_rows_follow_the_layers_with_their_sizes():
    net = _net(CNN)
    prof = profile.layer_costs(net, 16, repeats=2)
    assert [r.id for r in prof.rows] == [e["id"] for e in net.order]
    assert [r.type for r in prof.rows] == [net.layers[r.id].type for r in prof.rows]
    for r in prof.rows:
        layer = net.layers[r.id]
        count = sum(p.size for p in layer.params.values())
        assert r.params == count
        assert r.param_bytes == 4 * count  # float32
        assert r.activation_bytes == 16 * math.prod(layer.output_shape) * 4
        assert r.workspace_bytes == 16 * layer.workspace() * 4
    assert prof.rows[0].params == 4 * 9 + 4 and prof.rows[0].workspace_bytes > 0
    assert prof.param_bytes == 4 * net.num_parameters()
    assert prof.batch == 16 and prof.input_shape == (1, 8, 8) and prof.input_bytes == 16 * 64 * 4
    held = sum(r.activation_bytes + r.workspace_bytes for r in prof.rows)
    assert prof.peak_bytes == 2 * prof.param_bytes + prof.input_bytes + held
    assert prof.backend == "cpu" and prof.threads == nv.get_num_threads() and prof.isa == nv._C.get_isa()


def test_float64_doubles_the_bytes():
    prof32 = profile.layer_costs(_net(RESIDUAL), 8, repeats=1)
    prof64 = profile.layer_costs(_net(RESIDUAL, "float64"), 8, repeats=1)
    assert [2 * r.param_bytes for r in prof32.rows] == [r.param_bytes for r in prof64.rows]
    assert [2 * r.activation_bytes for r in prof32.rows] == [r.activation_bytes for r in prof64.rows]
    assert prof64.dtype == "float64"


def test_times_are_positive_and_add_up():
    prof = profile.layer_costs(_net(CNN), 32, repeats=3)
    assert all(r.forward_ms > 0 and r.backward_ms > 0 for r in prof.rows)
    assert prof.total_forward_ms == pytest.approx(sum(r.forward_ms for r in prof.rows))
    assert prof.total_backward_ms == pytest.approx(sum(r.backward_ms for r in prof.rows))
    assert prof.step_ms > 0 and prof.other_ms >= 0
    assert all(0 < r.share <= 1 for r in prof.rows)
    assert sum(r.share for r in prof.rows) < 1.5  # medians of parts: about the step, never far above it
    text = prof.table()
    assert all(r.id in text for r in prof.rows) and "peak memory" in text and "cpu" in text


def test_the_network_is_left_as_it_was():
    """Weights, gradients, the dropout generator, the outputs and the layers' methods: bitwise the same."""
    net = _net(CNN)
    x = np.random.default_rng(0).standard_normal((10, 1, 8, 8)).astype(np.float32)
    net.forward(x, train=True)
    net.backward(np.ones((10, 3), np.float32))  # gradients a trainer may be about to use
    weights = {p.name: p.value.copy() for p in net.parameters()}
    grads = {p.name: p.grad.copy() for p in net.parameters()}
    grad_arrays = {p.name: p.grad for p in net.parameters()}
    outputs = net.outputs
    dropout_state = net.layers["drop"].rng.bit_generator.state
    profile.layer_costs(net, 8, repeats=2)
    for p in net.parameters():
        assert np.array_equal(p.value, weights[p.name]) and p.value.tobytes() == weights[p.name].tobytes()
        assert p.grad is grad_arrays[p.name] and p.grad.tobytes() == grads[p.name].tobytes()
    assert net.outputs is outputs
    assert net.layers["drop"].rng.bit_generator.state == dropout_state
    assert all("forward" not in vars(layer) and "backward" not in vars(layer) for layer in net.layers.values())


def test_optimizer_state_is_untouched():
    net = _net(RESIDUAL)
    opt = nv.optim.make("adam", net, lr=0.01)
    x, y = np.ones((4, 6), np.float32), np.zeros((4, 2), np.float32)
    nv.Trainer(net, "mse", opt, seed=0).step(x, y)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(opt).items()}
    weights = net.state_dict()
    profile.layer_costs(net, x, y, loss="mse", repeats=2)
    assert opt.steps == before["steps"]
    assert all(np.array_equal(net.state_dict()[k], w) for k, w in weights.items())


def test_everything_but_the_times_is_deterministic():
    a = profile.layer_costs(_net(CNN), 12, repeats=2, seed=5)
    b = profile.layer_costs(_net(CNN), 12, repeats=2, seed=5)
    assert _fixed(a) == _fixed(b)


def test_it_makes_batches_the_network_can_read():
    """Token ids below the vocabulary for an embedding; labels for cross-entropy; x and y as given."""
    prof = profile.layer_costs(_net(TOKENS), 6, loss="cross_entropy", repeats=1)
    assert prof.input_bytes == 6 * 5 * 8  # int64 token ids
    assert [r.id for r in prof.rows] == ["emb", "f", "out"]
    x = np.zeros((3, 6), np.float32)
    y = np.array([0, 1, 1])
    prof = profile.layer_costs(_net(RESIDUAL), x, y, repeats=1)
    assert prof.loss == "cross_entropy" and prof.batch == 3


@pytest.mark.parametrize(
    "x, match",
    [
        (np.zeros((4, 7), np.float32), r"x has shape \(4, 7\) but the network takes inputs of shape \(batch, 6\)"),
        (np.zeros(6, np.float32), r"x has shape \(6,\)"),
        (np.zeros((0, 6), np.float32), "empty batch"),
        (0, "batch size must be at least 1"),
    ],
)
def test_a_bad_batch_is_named(x, match):
    with pytest.raises(ValueError, match=match):
        profile.layer_costs(_net(RESIDUAL), x)


def test_bad_arguments_are_named():
    net = _net(RESIDUAL)
    with pytest.raises(TypeError, match="net must be a Network"):
        profile.layer_costs({"input_shape": [6]}, 4)
    with pytest.raises(ValueError, match="repeats must be an integer >= 1"):
        profile.layer_costs(net, 4, repeats=0)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        profile.layer_costs(net, 4, loss="hinge")
    with pytest.raises(ValueError, match="y has shape \\(3, 2\\) but x has 4 examples"):
        profile.layer_costs(net, np.zeros((4, 6), np.float32), np.zeros((3, 2), np.float32))
    with pytest.raises(TypeError, match="x must be a numpy array or a batch size"):
        profile.layer_costs(net, [[0.0] * 6])


def test_format_bytes():
    assert [profile.format_bytes(n) for n in (0, 999, 14_336, 1_250_000, 2_100_000_000)] == [
        "0 B",
        "999 B",
        "14.3 kB",
        "1.25 MB",
        "2.1 GB",
    ]


def test_the_instruction_set_in_force_is_reported(isa):
    """Every ISA path runs the profiled step and is named in the result (the column a CUDA row will sit beside)."""
    prof = profile.layer_costs(_net(CNN), 4, repeats=1)
    assert prof.isa == isa and f"cpu, {isa}, " in prof.table()
    assert all(r.forward_ms > 0 for r in prof.rows)
