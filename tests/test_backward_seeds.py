"""The natural-gradient part of the layer contract: `backward_seeds` (K stacked output seeds
back to the inputs, parameters held fixed) and `unfold` (dense/conv2d as one matrix product
per output location).

backward_seeds is checked, for every layer type, against the layer's own backward run once
per seed: the same input gradients (float64), and p.grad left exactly as it was (the very
array, with the very values). The vectorised overrides are also checked against the base
class's generic loop, which is what a layer without an override runs.
"""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.layers import LAYER_TYPES, Layer
from neuralviz.layers.conv import im2col
from neuralviz.optim import natural as ng

K = 3  # seeds
N = 4  # examples

# (type, config, input shapes (no batch), train): every layer type, odd geometries included
CASES = [
    ("dense", {"units": 3}, [(5,)], False),
    ("dense", {"units": 2, "bias": False}, [(5,)], False),
    ("dense", {"units": 2}, [(4, 3)], False),  # per time step
    ("conv2d", {"channels": 3, "kernel_size": 3}, [(2, 7, 6)], False),
    (
        "conv2d",
        {"channels": 2, "kernel_size": [2, 3], "stride": [2, 1], "padding": [1, 2], "dilation": [1, 2]},
        [(3, 9, 8)],
        False,
    ),
    ("conv_transpose2d", {"channels": 3, "kernel_size": 3}, [(2, 4, 5)], False),
    (
        "conv_transpose2d",
        {"channels": 2, "kernel_size": [4, 3], "stride": [2, 3], "padding": [1, 0], "output_padding": [1, 2]},
        [(3, 4, 3)],
        False,
    ),
    ("upsample", {"scale": 2}, [(2, 3, 4)], False),
    ("upsample", {"scale": [1, 3]}, [(2, 3, 4)], False),
    ("pde_refine", {"iterations": 2, "hidden": 3}, [(3, 5, 4), (2, 5, 4)], False),
    ("maxpool2d", {"kernel_size": 2}, [(2, 6, 7)], False),
    ("maxpool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [(2, 7, 7)], False),
    ("avgpool2d", {"kernel_size": 2}, [(2, 6, 7)], False),
    ("avgpool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [(2, 7, 7)], False),
    ("flatten", {}, [(2, 3, 4)], False),
    ("reshape", {"shape": [3, 2, 2]}, [(12,)], False),
    ("relu", {}, [(6,)], False),
    ("leaky_relu", {"slope": 0.2}, [(6,)], False),
    ("tanh", {}, [(2, 3, 3)], False),
    ("sigmoid", {}, [(6,)], False),
    ("step", {}, [(6,)], False),
    ("dropout", {"p": 0.3}, [(8,)], True),
    ("gaussian_noise", {"std": 0.5}, [(8,)], True),
    ("add", {}, [(5,), (5,), (5,)], False),
    ("concat", {"axis": 1}, [(2, 3), (4, 3)], False),
    ("concat", {"axis": 2}, [(2, 3), (2, 1)], False),
    ("rnn", {"hidden": 4}, [(5, 3)], False),
    ("lstm", {"hidden": 4, "return_sequences": True}, [(5, 3)], False),
    ("gru", {"hidden": 4}, [(5, 3)], False),
    ("clockwork", {"hidden": 5, "periods": [1, 2, 4], "return_sequences": True}, [(6, 3)], False),
    ("embedding", {"vocab": 7, "dim": 3}, [(5,)], False),
    ("polynomial", {"degree": 3}, [(3,)], False),
    ("memory", {"vocab": 7, "dim": 3, "hops": 2}, [(4, 3)], False),
    ("stochastic_dense", {"units": 3, "sigma_init": 0.3}, [(5,)], True),  # a weight draw
    ("stochastic_dense", {"units": 2, "bias": False}, [(4, 3)], False),  # the mean, per time step
]


def case_id(case) -> str:
    kind, config, shapes, _ = case
    return f"{kind}-{config}-{shapes}"


def layer_after_forward(kind, config, shapes, train, seed=0):
    """A float64 layer of this type after one forward pass over N random examples."""
    rng = np.random.default_rng(seed)
    layer = LAYER_TYPES[kind]("l", config, shapes, np.float64, rng)
    layer.set_seed(np.random.default_rng(seed + 1))
    if kind in ("embedding", "memory"):
        inputs = [rng.integers(0, config["vocab"], size=(N, *shapes[0]))]
    else:
        inputs = [rng.standard_normal((N, *s)) for s in shapes]
    y = layer.forward(inputs, train)
    return layer, y


def seeds_for(y, seed=1):
    return np.random.default_rng(seed).standard_normal((K, *y.shape))


def per_seed_backward(layer, seeds):
    """The reference: the layer's own backward once per seed (accumulates p.grad)."""
    runs = [layer.backward(np.ascontiguousarray(s)) for s in seeds]
    return [None if g is None else np.stack([r[i] for r in runs]) for i, g in enumerate(runs[0])]


def assert_same_grads(got, want, what):
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        if w is None:
            assert g is None, f"{what}: input {i} takes no gradient"
            continue
        assert g.shape == w.shape, f"{what}: input {i} has shape {g.shape}, expected {w.shape}"
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14, err_msg=f"{what}: input {i}")


def test_every_layer_type_is_covered():
    assert {case[0] for case in CASES} == set(LAYER_TYPES)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_backward_seeds_equals_one_backward_per_seed(case):
    kind, config, shapes, train = case
    layer, y = layer_after_forward(kind, config, shapes, train)
    seeds = seeds_for(y)
    rng = np.random.default_rng(2)
    for p in layer.params.values():
        p.grad[...] = rng.standard_normal(p.grad.shape)  # non-zero: accumulation would show
    held = [(p, p.grad, p.grad.copy()) for p in layer.params.values()]
    got = layer.backward_seeds(seeds)
    for p, array, values in held:
        assert p.grad is array, f"{kind}: {p.name}.grad was replaced"
        np.testing.assert_array_equal(p.grad, values, err_msg=f"{kind}: {p.name}.grad changed")
    for i, g in enumerate(got):
        if g is not None:
            assert g.shape == (K, N, *shapes[i]), f"{kind}: input {i}"
    assert_same_grads(got, per_seed_backward(layer, seeds), kind)


def overrides(kind: str) -> bool:
    return LAYER_TYPES[kind].backward_seeds is not Layer.backward_seeds


@pytest.mark.parametrize("case", [c for c in CASES if overrides(c[0])], ids=case_id)
def test_vectorised_rules_equal_the_generic_loop(case):
    kind, config, shapes, train = case
    layer, y = layer_after_forward(kind, config, shapes, train)
    seeds = seeds_for(y)
    assert_same_grads(layer.backward_seeds(seeds), Layer.backward_seeds(layer, seeds), kind)


@pytest.mark.parametrize("kind", ["dense", "conv2d", "maxpool2d", "avgpool2d", "flatten", "relu", "tanh", "sigmoid"])
def test_the_fast_layers_override_the_generic_loop(kind):
    assert overrides(kind)


def test_generic_loop_computes_the_input_gradient_a_network_would_skip():
    """Network.backward(input_grad=False) sets skip_grad_x; the seeds need x's gradient anyway,
    and the flag comes back as it was."""
    layer, y = layer_after_forward("rnn", {"hidden": 3}, [(4, 2)], False)
    layer.skip_grad_x = True
    seeds = seeds_for(y)
    got = layer.backward_seeds(seeds)
    assert layer.skip_grad_x is True
    layer.skip_grad_x = False
    assert_same_grads(got, per_seed_backward(layer, seeds), "rnn")


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in ("dense", "conv2d")], ids=case_id)
def test_unfold_is_the_forward_pass_as_one_product_per_location(case):
    """y[n, t] = W x[n, t] + b with (x, y) as unfold regroups them: the patches are conv's own."""
    kind, config, shapes, _ = case
    layer, y = layer_after_forward(kind, config, shapes, False)
    x, y_loc = layer.unfold(y[None])
    w = layer.weight.value.reshape(len(layer.weight.value), -1)
    b = layer.bias.value if layer.bias is not None else 0.0
    assert x.shape[:2] == y_loc.shape[1:3] and y_loc.shape[0] == 1
    np.testing.assert_allclose(y_loc[0], x @ w.T + b, rtol=1e-12, atol=1e-13)


def test_im2col_columns_follow_the_weight_layout():
    """Patch column (c, i, j) of location (oh, ow) is x[c, oh·s + i·d − p, ow·s + j·d − p]."""
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7))
    cols = im2col(x, (2, 3), (2, 1), (1, 0), (2, 1))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    oh, ow = (8 - 3) // 2 + 1, (7 - 3) // 1 + 1
    assert cols.shape == (2, oh * ow, 3 * 2 * 3)
    for n, t, col in [(0, 0, 0), (1, 5, 7), (1, oh * ow - 1, 17)]:
        c, i, j = np.unravel_index(col, (3, 2, 3))
        r, q = divmod(t, ow)
        assert cols[n, t, col] == xp[n, c, 2 * r + 2 * i, q + j]


def test_backprop_seeds_leaves_every_gradient_alone():
    """Through a network mixing fast layers and the generic loop (gru, add): p.grad untouched."""
    spec = {
        "input_shape": [4, 3],
        "layers": [
            {"id": "r", "type": "gru", "hidden": 3, "return_sequences": True},
            {"id": "d", "type": "dense", "units": 3},
            {"id": "s", "type": "add", "inputs": ["r", "d"]},
            {"id": "t", "type": "tanh"},
            {"id": "f", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 2},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    rng = np.random.default_rng(0)
    out = net.forward(rng.standard_normal((N, 4, 3)))
    net.backward(rng.standard_normal(out.shape))
    held = [(p, p.grad, p.grad.copy()) for p in net.parameters()]
    deltas = ng.backprop_seeds(net, seeds_for(out))
    assert set(deltas) == {"r", "d", "out"}
    for p, array, values in held:
        assert p.grad is array
        np.testing.assert_array_equal(p.grad, values, err_msg=p.name)


@pytest.mark.parametrize("fisher", ["true", "mc", "empirical"])
def test_seeds_keep_a_float32_network_in_float32(fisher):
    """The scores promote to float64; the kernels take one dtype, so the seeds are cast back
    (they used to stop at a float32 conv2d or leaky_relu that is not the first layer)."""
    spec = {
        "input_shape": [1, 6, 6],
        "layers": [
            {"id": "c1", "type": "conv2d", "channels": 2, "kernel_size": 3},
            {"id": "a", "type": "leaky_relu"},
            {"id": "c2", "type": "conv2d", "channels": 2, "kernel_size": 2},
            {"id": "f", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 3},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0)
    rng = np.random.default_rng(0)
    out = net.forward(rng.standard_normal((N, 1, 6, 6)).astype(np.float32))
    y = rng.integers(0, 3, size=N)
    assert ng.output_seeds(out, y, "cross_entropy", fisher, rng=rng).dtype == np.float32
    curv = ng.Curvature.from_network(net, y, "cross_entropy", fisher, rng=rng)
    assert set(curv.layers) == {"c1", "c2", "out"}
    assert all(st.delta.dtype == np.float32 for st in curv.layers.values())
