"""nv.generative.GAN: the pinned API, determinism, which net each step moves, the losses, the
sources, the mode-coverage measure, and GAN presets kept out of the single-network preset lists.

The full claim (gan-ring covers >= 6 of 8 modes with >= 80 % high-quality samples after its budget,
over several seeds) is measured in benchmarks/gan_ring.py; here a short run checks that the game learns.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.generative import metrics, sources
from neuralviz.generative.gan import GAN, GanState


def small(source=None, **training) -> dict:
    """gan-ring with a smaller budget (and other training keys or a source when given)."""
    p = copy.deepcopy(nv.presets.load("gan-ring"))
    p["training"].update(training)
    if source is not None:
        p["data"] = source
    return p


def params(net) -> list[np.ndarray]:
    return [p.value.copy() for p in net.parameters()]


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_pinned_api_shapes():
    gan = nv.generative.GAN.from_preset("gan-ring", seed=0)
    history = gan.train(steps=20)
    assert set(history) == {"d_loss", "g_loss"} and len(history["d_loss"]) == 20
    assert gan.steps_done == 20 and gan.g_steps == 20 and gan.d_steps == 20 * gan.k_d
    assert gan.sample(7).shape == (7, 2) and gan.real(5).shape == (5, 2)
    z = gan.latent(4, seed=3)
    assert z.shape == (4, 2) and np.array_equal(gan.sample(z=z), gan.sample(z=z))
    p = gan.discriminate(gan.real(6))
    assert p.shape == (6,) and np.all((p >= 0) & (p <= 1))
    assert gan.input_gradient(gan.sample(5)).shape == (5, 2)
    assert gan.input_gradient(gan.sample(5), of="g_loss").shape == (5, 2)
    assert isinstance(gan.generator, nv.Network) and isinstance(gan.discriminator, nv.Network)


def test_same_seed_same_numbers_and_reset():
    a, b = GAN.from_preset("gan-ring", seed=4), GAN.from_preset("gan-ring", seed=4)
    a.sample(10)  # drawing for a view must not change the training
    ha, hb = a.train(30), b.train(30)
    assert np.array_equal(ha["d_loss"], hb["d_loss"]) and np.array_equal(ha["g_loss"], hb["g_loss"])
    assert np.array_equal(a.sample(5, seed=1), b.sample(5, seed=1))
    c = GAN.from_preset("gan-ring", seed=5)
    assert not np.array_equal(c.train(30)["g_loss"], ha["g_loss"])
    a.reset(4)
    assert a.steps_done == 0 and not a.history["g_loss"]
    assert np.array_equal(a.train(30)["g_loss"], ha["g_loss"])


def test_g_step_leaves_d_alone_and_d_step_leaves_g_alone():
    gan = GAN.from_preset("gan-ring", seed=0)
    d0, g0 = params(gan.discriminator), params(gan.generator)
    gan.step_g()
    assert same(params(gan.discriminator), d0) and not same(params(gan.generator), g0)
    assert all(not p.grad.any() for p in gan.discriminator.parameters())
    g1 = params(gan.generator)
    gan.step_d()
    assert same(params(gan.generator), g1) and not same(params(gan.discriminator), d0)


@pytest.mark.parametrize("loss", ["non_saturating", "saturating", "least_squares"])
def test_losses_finite_and_gradient_direction(loss):
    gan = GAN.from_preset(small(loss=loss), seed=0)
    h = gan.train(40)
    assert np.all(np.isfinite(h["d_loss"])) and np.all(np.isfinite(h["g_loss"]))
    # a G step moves fakes towards where D says "real": D's output on a fixed batch rises
    z = gan.latent(256, seed=0)
    before = gan.discriminate(gan.sample(z=z)).mean()
    gan.set_lr(lr_g=1e-2)
    for _ in range(5):
        gan.step_g()
    assert gan.discriminate(gan.sample(z=z)).mean() > before


def test_input_gradient_matches_finite_differences():
    gan = GAN.from_preset("gan-ring", seed=1)
    gan.train(10)
    x = gan.sample(3, seed=0).astype(np.float64)
    g = gan.input_gradient(x)
    eps = 1e-3  # small: a ReLU kink within eps would bend the difference quotient
    for i in range(2):
        dx = np.zeros_like(x)
        dx[:, i] = eps
        fd = (gan.discriminate(x + dx) - gan.discriminate(x - dx)) / (2 * eps)
        np.testing.assert_allclose(g[:, i], fd, atol=2e-3 + 0.05 * np.abs(fd).max())


def test_state_is_a_copy():
    gan = GAN.from_preset("gan-ring", seed=0)
    gan.train(3)
    s = gan.state()
    assert isinstance(s, GanState) and s.steps_done == 3 and len(s.d_loss) == 3
    gan.train(2)
    assert len(s.g_loss) == 3


def test_k_d_and_lr_controls():
    gan = GAN.from_preset("gan-ring", seed=0)
    gan.set_k_d(3)
    gan.step()
    assert gan.d_steps == 3 and gan.g_steps == 1
    gan.set_lr(lr_g=2e-3, lr_d=5e-4)
    assert gan.opt_g.base_lr == 2e-3 and gan.opt_d.base_lr == 5e-4
    with pytest.raises(ValueError, match="lr_g"):
        gan.set_lr(lr_g=-1)
    with pytest.raises(ValueError, match="k_d"):
        gan.set_k_d(-1)
    gan.set_loss("least_squares")
    assert gan.loss == "least_squares" and np.isfinite(gan.step()[1])
    with pytest.raises(ValueError, match="loss must be one of"):
        gan.set_loss("wasserstein")


def test_short_run_learns_the_ring():
    """A 3,000-step run (its own short cosine schedule) already spreads over the ring. Measured here: seeds 0, 1, 2
    cover 8, 7, 8 modes with 70, 26, 61 % high quality; another CPU's rounding takes the game down another path
    (a GAN amplifies it), so the bounds sit below the worst seed."""
    gan = GAN.from_preset(small(steps=3000, schedule_options={"total_steps": 3000, "min_lr": 1e-5}), seed=0)
    untrained = gan.coverage(n=1000)
    gan.train()
    cov = gan.coverage(n=1000)
    assert cov["modes_covered"] >= 5 and cov["high_quality_fraction"] >= 0.1, cov
    assert cov["high_quality_fraction"] > untrained["high_quality_fraction"] + 0.05


def test_mode_coverage_on_synthetic_samples():
    ring = sources.ring()
    rng = np.random.default_rng(0)
    all_modes = ring.sample(800, rng)
    c = metrics.mode_coverage(all_modes, ring.modes, ring.std)
    assert c["modes_covered"] == 8 and c["modes_strict"] == 8 and c["high_quality_fraction"] > 0.98
    one = ring.modes[[0]] + rng.normal(0, 0.02, (500, 2))
    stray = np.concatenate([one, ring.modes[[3]]])  # one sample covers mode 3, loosely
    c = metrics.mode_coverage(stray, ring.modes, ring.std)
    assert c["modes_covered"] == 2 and c["modes_strict"] == 1 and c["counts"][0] > 400
    far = metrics.mode_coverage(np.zeros((10, 2)), ring.modes, ring.std)
    assert far["modes_covered"] == 0 and far["high_quality_fraction"] == 0.0
    with pytest.raises(ValueError, match="std"):
        metrics.mode_coverage(all_modes, ring.modes, 0.0)
    with pytest.raises(ValueError, match="samples"):
        metrics.mode_coverage(np.zeros((3, 3)), ring.modes, 0.02)


def test_sources():
    rng = np.random.default_rng(0)
    ring = sources.ring()
    assert len(np.unique(ring.modes.round(6), axis=0)) == 8  # endpoint=False: no repeated mode
    np.testing.assert_allclose(np.linalg.norm(ring.modes, axis=1), 2.0)
    assert sources.grid().modes.shape == (25, 2)
    for cfg in ({"source": "moons"}, {"source": "line"}, {"source": "points", "points": [[0, 0], [1, 1]]}):
        x = sources.make(cfg).sample(50, rng)
        assert x.shape == (50, 2) and x.dtype == np.float32 and np.all(np.isfinite(x))
    drawn = sources.make({"source": "points", "points": [[1.0, -1.0]], "std": 0.02}).sample(200, rng)
    assert np.abs(drawn.mean(0) - [1, -1]).max() < 0.01
    images = sources.make({"source": "dataset", "name": "digits", "range": [-1, 1]}).sample(4, rng)
    assert images.shape == (4, 1, 8, 8) and images.min() >= -1 and images.max() <= 1
    with pytest.raises(ValueError, match="source"):
        sources.make({"source": "spiral"})
    with pytest.raises(ValueError, match="nothing drawn"):
        sources.make({"source": "points"}).sample(3, rng)
    with pytest.raises(ValueError, match="unexpected keyword"):
        sources.make({"source": "ring", "radiuss": 2})


def test_draw_your_own_points():
    gan = GAN.from_preset("gan-draw", seed=0)
    gan.set_points([[0.5, 0.5], [-0.5, 0.5]])
    assert np.abs(gan.real(400).mean(0) - [0, 0.5]).max() < 0.15
    with pytest.raises(ValueError, match="points"):
        GAN.from_preset("gan-ring").set_points([[0, 0]])


def test_bad_presets_name_the_problem():
    with pytest.raises(ValueError, match="not a GAN preset"):
        GAN.from_preset("xor")
    with pytest.raises(ValueError, match="latent.dim"):
        p = small()
        p["latent"]["dim"] = 3
        GAN.from_preset(p)
    with pytest.raises(ValueError, match="training.loss"):
        GAN.from_preset(small(loss="wasserstein"))
    with pytest.raises(ValueError, match="unknown preset"):
        GAN.from_preset("gan-nothing")


def test_gan_presets_stay_out_of_network_lists():
    gans = nv.presets.names("gan")
    assert {"gan-ring", "gan-collapse"} <= set(gans)
    assert not set(gans) & set(nv.presets.names())
    assert set(nv.presets.names(None)) == set(nv.presets.names()) | set(gans)
    for name in gans:
        assert nv.presets.load(name)["kind"] == "gan"
    with pytest.raises(ValueError, match="GAN.from_preset"):
        nv.presets.train("gan-ring")
    assert not any(name in gans for name, _ in nv.presets.titles(lambda p: True))


@pytest.mark.parametrize("name", ["gan-ring", "gan-collapse", "gan-grid", "gan-moons", "gan-draw"])
def test_each_2d_preset_trains_a_few_steps(name):
    gan = GAN.from_preset(name, seed=0)
    h = gan.train(5)
    assert np.all(np.isfinite(h["g_loss"])) and gan.sample(3).shape == (3, 2)
