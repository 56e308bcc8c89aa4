"""stochastic_dense: Gaussian weights w = μ + softplus(ρ)⊙ε (Blundell et al. 2015).

Gradients are checked in float64 against central differences of the loss through *fixed* noise (the
network re-seeded before every forward, or the draw frozen in frozen_eps), with and without the KL
term of a Gaussian prior; evaluation is the deterministic mean network; training draws are seeded.
"""

import numpy as np
import pytest
from gradcheck import check_network_gradients, numeric_grad

import neuralviz as nv
from neuralviz.layers import LAYER_TYPES, SpecError
from neuralviz.layers.stochastic_dense import StochasticDense, inverse_softplus, softplus


def spec(**config):
    layer = {"id": "s", "type": "stochastic_dense", "units": 3, **config}
    return {
        "input_shape": [4],
        "layers": [layer, {"id": "a", "type": "tanh"}, {"id": "out", "type": "dense", "units": 2}],
    }


def net64(seed=0, **config):
    return nv.Network.from_spec(spec(**config), seed=seed, dtype="float64")


def batch(n=5, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 4))


def test_registered_with_its_parameters():
    assert LAYER_TYPES["stochastic_dense"] is StochasticDense
    net = net64(sigma_init=0.2)
    layer = net.layers["s"]
    assert {p.name: p.value.shape for p in layer.params.values()} == {
        "s.weight_mean": (3, 4),
        "s.weight_rho": (3, 4),
        "s.bias": (3,),
    }
    np.testing.assert_allclose(layer.sigma, 0.2, rtol=1e-12)
    assert net.layers["s"].stochastic


def test_mean_and_bias_start_as_a_dense_layer_with_the_same_seed():
    """With σ -> 0 the layer *is* dense: same draws for weight/weight_mean and bias."""
    dense = nv.Network.from_spec(
        {**spec(), "layers": [{"id": "s", "type": "dense", "units": 3}, *spec()["layers"][1:]]}, seed=3
    )
    stoch = nv.Network.from_spec(spec(), seed=3)
    np.testing.assert_array_equal(stoch.layers["s"].weight_mean.value, dense.layers["s"].weight.value)
    np.testing.assert_array_equal(stoch.layers["s"].bias.value, dense.layers["s"].bias.value)
    x = batch().astype(np.float32)
    np.testing.assert_allclose(stoch.forward(x), dense.forward(x), rtol=1e-6, atol=1e-6)


def test_evaluation_is_deterministic_and_uses_the_mean():
    net = net64(sigma_init=0.5)
    x = batch()
    a, b = net.forward(x), net.forward(x)
    np.testing.assert_array_equal(a, b)
    layer = net.layers["s"]
    h = np.tanh(x @ layer.weight_mean.value.T + layer.bias.value)
    out = net.layers["out"]
    np.testing.assert_allclose(a, h @ out.weight.value.T + out.bias.value, rtol=1e-12)


def test_training_forward_is_seeded():
    net = net64(sigma_init=0.5)
    x = batch()
    net.reseed(7)
    a = net.forward(x, train=True)
    net.reseed(7)
    np.testing.assert_array_equal(net.forward(x, train=True), a)
    assert not np.allclose(net.forward(x, train=True), a)  # the next draw differs
    net.reseed(8)
    assert not np.allclose(net.forward(x, train=True), a)
    other = net64(sigma_init=0.5)  # same network seed: same draws
    other.reseed(7)
    np.testing.assert_array_equal(other.forward(x, train=True), a)
    assert not np.allclose(a, net.forward(x))  # a draw is not the mean


def test_one_weight_draw_per_batch_is_mu_plus_sigma_eps():
    net = net64(sigma_init=0.3)
    layer = net.layers["s"]
    x = batch()
    net.forward(x, train=True)
    w = layer.weight_mean.value + softplus(layer.weight_rho.value) * layer.eps
    np.testing.assert_allclose(net.outputs["s"], x @ w.T + layer.bias.value, rtol=1e-12)


@pytest.mark.parametrize("config", [{}, {"bias": False, "sigma_init": 0.8}, {"units": 1}])
def test_gradients_through_fixed_noise(config):
    """Loss through a fixed draw (the net re-seeded before every forward): ∂/∂μ, ∂/∂ρ, bias, input."""
    net = net64(**config)
    check_network_gradients(net, batch(), train=True, reseed=11, what=f"stochastic_dense {config}")


def test_gradients_through_frozen_eps_per_time_step():
    """(time, features) input as dense takes it, with the draw frozen in frozen_eps."""
    s = {
        "input_shape": [3, 4],
        "layers": [
            {"id": "s", "type": "stochastic_dense", "units": 2, "sigma_init": 0.4},
            {"id": "f", "type": "flatten"},
        ],
    }
    net = nv.Network.from_spec(s, seed=1, dtype="float64")
    layer = net.layers["s"]
    layer.frozen_eps = layer.draw_eps(np.random.default_rng(5))
    x = np.random.default_rng(2).standard_normal((4, 3, 4))
    check_network_gradients(net, x, train=True, what="stochastic_dense per time step")
    check_network_gradients(net, x, train=False, what="stochastic_dense frozen in evaluation")


def test_kl_value_matches_the_closed_form():
    net = net64(sigma_init=0.3, prior_sigma=0.5, kl_weight=0.01)
    layer = net.layers["s"]
    mu, sigma = layer.weight_mean.value, layer.sigma
    want = np.sum(np.log(0.5 / sigma) + (sigma**2 + mu**2) / (2 * 0.25) - 0.5)
    assert layer.kl() == pytest.approx(0.01 * want, rel=1e-12)
    layer.weight_mean.value[...] = 0.0
    layer.weight_rho.value[...] = inverse_softplus(0.5)
    assert layer.kl() == pytest.approx(0.0, abs=1e-12)  # q equals the prior
    assert net64().layers["s"].kl() == 0.0  # no prior, no KL


def test_gradient_of_loss_plus_kl_through_fixed_noise():
    net = net64(sigma_init=0.3, prior_sigma=0.7, kl_weight=0.05)
    layer = net.layers["s"]
    x = batch()
    G = np.random.default_rng(1).standard_normal((5, 2))

    def objective():
        net.reseed(4)
        return float(np.sum(net.forward(x, train=True) * G)) + layer.kl()

    net.zero_grad()
    objective()
    net.backward(G)
    for p in (layer.weight_mean, layer.weight_rho):
        for i, num in numeric_grad(objective, p.value).items():
            a = p.grad.reshape(-1)[i]
            assert abs(a - num) <= 1e-5 + 1e-3 * abs(num), f"{p.name}[{i}]: analytic {a} vs numeric {num}"


def test_no_kl_gradient_after_an_evaluation_forward():
    with_prior = net64(sigma_init=0.3, prior_sigma=0.7, kl_weight=0.05)
    without = net64(sigma_init=0.3)
    x, G = batch(), np.ones((5, 2))
    for net in (with_prior, without):
        net.zero_grad()
        net.forward(x)
        net.backward(G)
    for a, b in zip(with_prior.parameters(), without.parameters()):
        np.testing.assert_array_equal(a.grad, b.grad, err_msg=a.name)
    assert not with_prior.layers["s"].weight_rho.grad.any()  # evaluation: no ε, no ∂/∂ρ


def test_sample_weights_is_seeded_and_centred_on_the_mean():
    layer = net64(sigma_init=0.5).layers["s"]
    np.testing.assert_array_equal(layer.sample_weights(3), layer.sample_weights(3))
    assert not np.allclose(layer.sample_weights(3), layer.sample_weights(4))
    rng = np.random.default_rng(0)
    draws = np.stack([layer.sample_weights(rng) for _ in range(2000)])
    np.testing.assert_allclose(draws.mean(axis=0), layer.weight_mean.value, atol=0.1)  # 5 standard errors
    np.testing.assert_allclose(draws.std(axis=0), 0.5, rtol=0.15)


def test_trains_on_the_layer_path_and_learns_sigma():
    ds = nv.data.load("gaussians", seed=0)
    s = {
        "input_shape": [2],
        "layers": [
            {"id": "s", "type": "stochastic_dense", "units": 8, "sigma_init": 0.1},
            {"id": "a", "type": "tanh"},
            {"id": "out", "type": "dense", "units": 1},
        ],
    }
    net = nv.Network.from_spec(s, seed=0)
    rho0 = net.layers["s"].weight_rho.value.copy()
    trainer = nv.Trainer(net, "bce", nv.optim.make("adam", net, lr=0.05), seed=0)
    losses = trainer.train_steps(ds.x_train, ds.y_train, 150, 16)
    assert trainer.path == "layers"
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:5])
    assert not np.array_equal(net.layers["s"].weight_rho.value, rho0)
    assert trainer.evaluate(ds.x_test, ds.y_test)["accuracy"] > 0.85


def test_save_and_load_keep_mean_and_rho(tmp_path):
    net = nv.Network.from_spec(spec(sigma_init=0.2, prior_sigma=1.0), seed=2)
    net.layers["s"].weight_rho.value[0, 0] = -1.5
    nv.save(net, tmp_path / "s.nvz")
    back = nv.load(tmp_path / "s.nvz")
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name], value, err_msg=name)
    assert back.layers["s"].prior_sigma == 1.0


def test_float32_and_empty_batches():
    net = nv.Network.from_spec(spec(sigma_init=0.2, prior_sigma=1.0), seed=0)
    for n in (3, 0):
        x = np.zeros((n, 4), np.float32)
        out = net.forward(x, train=True)
        assert out.shape == (n, 2) and out.dtype == np.float32
        gx = net.backward(np.ones_like(out))
        assert gx.shape == (n, 4) and gx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in net.parameters())


@pytest.mark.parametrize(
    "config, key",
    [
        ({"sigma_init": 0.0}, "sigma_init"),
        ({"sigma_init": -1.0}, "sigma_init"),
        ({"sigma_init": "big"}, "sigma_init"),
        ({"prior_sigma": -1.0}, "prior_sigma"),
        ({"prior_sigma": True}, "prior_sigma"),
        ({"kl_weight": float("nan")}, "kl_weight"),
        ({"units": True}, "units"),
        ({"bias": "yes"}, "bias"),
        ({"mean": 1}, "mean"),
    ],
)
def test_bad_config_names_the_key(config, key):
    with pytest.raises(SpecError, match=key):
        net64(**config)


def test_image_input_needs_a_flatten():
    with pytest.raises(SpecError, match="flatten"):
        nv.Network.from_spec(
            {"input_shape": [1, 4, 4], "layers": [{"id": "s", "type": "stochastic_dense", "units": 2}]}
        )


def test_frozen_eps_of_the_wrong_shape_is_refused():
    net = net64()
    net.layers["s"].frozen_eps = np.zeros((2, 2))
    with pytest.raises(ValueError, match="frozen_eps"):
        net.forward(batch())
