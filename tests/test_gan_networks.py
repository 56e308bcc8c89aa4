"""GAN.with_networks: the GAN page's editor hands back new generator/discriminator specs; the game is
rebuilt with them (same data, latent and live training settings, fresh weights from the seed), and a
player whose shapes do not fit the game is refused with the reason."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.generative.gan import GAN


def ring() -> GAN:
    return GAN.from_preset("gan-ring", seed=3)


def wider(spec: dict, units: int = 16) -> dict:
    """The spec with its first dense layer `units` wide (a user's edit in the editor)."""
    spec = copy.deepcopy(spec)
    next(l for l in spec["layers"] if l["type"] == "dense")["units"] = units
    return spec


def test_new_players_same_game():
    gan = ring()
    gan.set_lr(lr_g=3e-4)
    gan.set_loss("least_squares")
    gan.set_k_d(2)
    gan.train(steps=3)
    new = gan.with_networks(generator=wider(gan.preset["generator"]))
    assert new is not gan and new.steps_done == 0 and gan.steps_done == 3  # the old game is untouched
    assert new.generator.parameters()[0].value.shape != gan.generator.parameters()[0].value.shape
    assert (new.seed, new.latent_dim, new.lr_g, new.loss, new.k_d) == (3, 2, 3e-4, "least_squares", 2)
    # D kept its spec and, from the same seed, its fresh weights
    assert new.preset["discriminator"] == gan.preset["discriminator"]
    fresh_d = ring().discriminator
    assert all(np.array_equal(a.value, b.value) for a, b in zip(new.discriminator.parameters(), fresh_d.parameters()))
    d_loss, g_loss = new.step()
    assert np.isfinite(d_loss) and np.isfinite(g_loss)


def test_deterministic_and_none_keeps_both():
    a, b = ring().with_networks(), ring().with_networks()
    assert a.preset["generator"] == ring().preset["generator"]
    a.train(steps=2)
    b.train(steps=2)
    assert np.array_equal(a.sample(5, seed=1), b.sample(5, seed=1))


def test_drawn_points_are_kept():
    p = copy.deepcopy(nv.presets.load("gan-ring"))
    p["data"] = {"source": "points", "points": [[0.0, 0.0]]}
    gan = GAN(p, seed=0)
    gan.set_points([[1.0, 1.0], [2.0, 2.0]])
    new = gan.with_networks(discriminator=wider(gan.preset["discriminator"], 8))
    assert new.data_cfg["points"] == [[1.0, 1.0], [2.0, 2.0]]


def test_shapes_that_do_not_fit_are_refused():
    gan = ring()
    g3 = copy.deepcopy(gan.preset["generator"])
    g3["layers"][-1]["units"] = 3
    with pytest.raises(ValueError, match="generator makes"):
        gan.with_networks(generator=g3)
    g_in = copy.deepcopy(gan.preset["generator"])
    g_in["input_shape"] = [5]
    with pytest.raises(ValueError, match=r"latent\.dim"):
        gan.with_networks(generator=g_in)
    d_in = copy.deepcopy(gan.preset["discriminator"])
    d_in["input_shape"] = [3]
    with pytest.raises(ValueError, match="discriminator reads"):
        gan.with_networks(discriminator=d_in)
    d2 = copy.deepcopy(gan.preset["discriminator"])
    d2["layers"][-1]["units"] = 2
    with pytest.raises(ValueError, match="one logit"):
        gan.with_networks(discriminator=d2)


def test_bad_specs_say_which_player():
    gan = ring()
    with pytest.raises(TypeError, match="generator must be a network spec dict"):
        gan.with_networks(generator=[1, 2])
    broken = {"input_shape": [2], "layers": [{"id": "h", "type": "dence"}]}
    with pytest.raises(ValueError, match="discriminator spec does not build"):
        gan.with_networks(discriminator=broken)
