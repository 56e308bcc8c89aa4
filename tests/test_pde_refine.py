"""pde_refine (issue 20): u <- u + dt f(u, F) applied K times with tied weights. Float64 finite differences
through all K iterations for both inputs and every weight, a PyTorch reference of the forward and backward,
the history the page reads, and bad specs."""

import gradcheck
import numpy as np
import pytest

import neuralviz as nv
from neuralviz.layers import LAYER_TYPES, SpecError

SCORES, FEATURES = (3, 6, 5), (2, 6, 5)


def make_layer(config=None, shapes=(SCORES, FEATURES), dtype=np.float64, seed=0):
    cfg = {"iterations": 3, "hidden": 4, **(config or {})}
    return LAYER_TYPES["pde_refine"]("r", cfg, list(shapes), dtype, np.random.default_rng(seed))


def inputs(n=2, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *SCORES)).astype(dtype), rng.standard_normal((n, *FEATURES)).astype(dtype)


@pytest.mark.parametrize("config", [{"iterations": 1}, {"iterations": 4, "dt": 0.5}, {"kernel_size": 1}])
def test_layer_gradients_match_finite_differences_through_all_iterations(config):
    layer = make_layer(config)
    u, f = inputs()
    g = np.random.default_rng(3).standard_normal((2, *SCORES))

    def loss():
        return float(np.sum(layer.forward([u, f], False) * g))

    layer.forward([u, f], True)
    grad_u, grad_f = layer.backward(g)
    targets = [("u", u, grad_u), ("features", f, grad_f)]
    targets += [(p.name, p.value, p.grad.copy()) for p in layer.params.values()]
    for name, arr, analytic in targets:
        for i, num in gradcheck.numeric_grad(loss, arr, max_entries=25).items():
            a = analytic.reshape(-1)[i]
            assert abs(a - num) <= 1e-6 + 1e-4 * abs(num), f"d/d{name}[{i}]: analytic {a:.8g} vs numeric {num:.8g}"


def test_network_gradients_with_a_coarse_cnn_below():
    spec = {
        "input_shape": [2, 8, 8],
        "layers": [
            {"id": "c", "type": "conv2d", "channels": 3, "kernel_size": 3, "padding": 1},
            {"id": "p", "type": "maxpool2d", "kernel_size": 2},
            {"id": "up", "type": "upsample", "scale": 2},
            {"id": "r", "type": "pde_refine", "inputs": ["up", "input"], "iterations": 3, "hidden": 3},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    x = np.random.default_rng(0).standard_normal((2, 2, 8, 8))
    gradcheck.check_network_gradients(net, x, what="coarse cnn + pde_refine")


def test_matches_pytorch_forward_and_backward():
    torch = pytest.importorskip("torch")
    layer = make_layer({"iterations": 3, "dt": 0.3})
    u, f = inputs()
    g = np.random.default_rng(4).standard_normal((2, *SCORES))
    y = layer.forward([u, f], True)
    grad_u, grad_f = layer.backward(g)
    t = {k: torch.tensor(p.value, requires_grad=True) for k, p in layer.params.items()}
    tu, tf = torch.tensor(u, requires_grad=True), torch.tensor(f, requires_grad=True)
    conv = torch.nn.functional.conv2d
    v = tu
    for _ in range(3):
        h = torch.relu(conv(v, t["weight_u"], padding=1) + conv(tf, t["weight_f"], t["bias"], padding=1))
        v = v + 0.3 * conv(h, t["weight_out"], t["bias_out"], padding=1)
    (v * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y, v.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_u, tu.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grad_f, tf.grad.numpy(), rtol=1e-9, atol=1e-12)
    for k, p in layer.params.items():
        np.testing.assert_allclose(p.grad, t[k].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


def test_weights_are_tied_and_history_holds_every_iteration():
    few, many = make_layer({"iterations": 1}), make_layer({"iterations": 7})
    assert few.param_count() == many.param_count()  # the same weights, whatever K
    u, f = inputs(dtype=np.float32)
    layer = make_layer({"iterations": 4}, dtype=np.float32)
    y = layer.forward([u, f], False)
    assert y.dtype == np.float32 and y.shape == u.shape
    assert len(layer.history) == 5
    np.testing.assert_array_equal(layer.history[0], u)
    np.testing.assert_array_equal(layer.history[-1], y)
    assert not np.allclose(layer.history[1], layer.history[0])


def test_detach_passes_no_gradient_down_but_trains_the_refinement():
    attached, detached = make_layer(), make_layer({"detach": True})
    u, f = inputs()
    g = np.random.default_rng(5).standard_normal((2, *SCORES))
    for layer in (attached, detached):
        layer.forward([u, f], True)
    grads = attached.backward(g)
    assert detached.backward(g) == [None, None] and all(a is not None for a in grads)
    for name, p in detached.params.items():
        np.testing.assert_allclose(p.grad, attached.params[name].grad, rtol=1e-12, err_msg=name)


def test_zero_iterations_is_the_identity():
    layer = make_layer({"iterations": 0})
    u, f = inputs()
    np.testing.assert_array_equal(layer.forward([u, f], True), u)
    grad_u, grad_f = layer.backward(np.ones_like(u))
    np.testing.assert_array_equal(grad_u, np.ones_like(u))
    assert not grad_f.any()


@pytest.mark.parametrize(
    "config, shapes, match",
    [
        ({"kernel_size": 2}, (SCORES, FEATURES), "odd"),
        ({}, (SCORES, (2, 5, 5)), "pixels differ"),
        ({}, ((3, 6), (2, 6)), "image inputs"),
        ({"dt": 0}, (SCORES, FEATURES), "dt"),
        ({"iterations": -1}, (SCORES, FEATURES), "iterations"),
        ({"hidden": 2.5}, (SCORES, FEATURES), "hidden"),
        ({"steps": 3}, (SCORES, FEATURES), "unknown parameter"),
    ],
)
def test_bad_specs_name_the_problem(config, shapes, match):
    with pytest.raises(SpecError, match=match):
        make_layer(config, shapes)


def test_three_inputs_are_refused():
    with pytest.raises(SpecError, match="input"):
        make_layer({}, (SCORES, FEATURES, FEATURES))


def test_without_features_the_pde_acts_on_the_map_alone():
    layer = make_layer({"iterations": 2}, (SCORES,))
    assert "weight_f" not in layer.params
    u = inputs()[0]
    g = np.random.default_rng(6).standard_normal(u.shape)

    def loss():
        return float(np.sum(layer.forward([u], False) * g))

    layer.forward([u], True)
    (grad_u,) = layer.backward(g)
    targets = [("u", u, grad_u)] + [(p.name, p.value, p.grad.copy()) for p in layer.params.values()]
    for name, arr, analytic in targets:
        for i, num in gradcheck.numeric_grad(loss, arr, max_entries=20).items():
            a = analytic.reshape(-1)[i]
            assert abs(a - num) <= 1e-6 + 1e-4 * abs(num), f"d/d{name}[{i}]: analytic {a:.8g} vs numeric {num:.8g}"
