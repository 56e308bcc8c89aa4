"""The image GAN without Qt: preset gan-digits (shapes, determinism, a short run that keeps its losses finite and
moves the samples towards the data), latent interpolation and arithmetic (neuralviz/generative/latent.py), and
the run behind the page and the lecture view (neuralviz/app/gan_images/run.py: fixed codes, picks, frames).

Short runs only (tens to hundreds of steps, about a second); the budget's sample quality, judged by a digits
classifier, is measured in benchmarks/gan_digits.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.generative.latent import arithmetic, interpolate, lerp, slerp

PRESET = "gan-digits"


def gan(seed: int = 0):
    return nv.generative.GAN.from_preset(PRESET, seed=seed)


# ----------------------------------------------------------------------------------------------- the preset
def test_the_preset_is_a_gan_on_digits_in_tanh_range():
    preset = nv.presets.load(PRESET)
    assert preset["kind"] == "gan" and preset["data"]["source"] == "dataset"
    g = gan()
    assert g.generator.input_shape == (g.latent_dim,) == (16,)
    assert g.generator.output_shape == g.discriminator.input_shape == (1, 8, 8)
    assert g.discriminator.output_shape == (1,)
    assert "conv2d" in {layer.type for layer in g.discriminator.layers.values()}
    assert "conv_transpose2d" in {layer.type for layer in g.generator.layers.values()}
    samples, real = g.sample(6), g.real(6)
    assert samples.shape == real.shape == (6, 1, 8, 8)
    assert samples.min() >= -1 and samples.max() <= 1  # tanh output
    assert real.min() >= -1 and real.max() <= 1 and real.max() > 0.5  # digits rescaled to [-1, 1]


def test_the_same_seed_trains_the_same_gan():
    a, b, c = gan(3), gan(3), gan(4)
    for g in (a, b, c):
        g.train(3)
    z = a.latent(5, seed=1)
    np.testing.assert_array_equal(a.sample(z=z), b.sample(z=z))
    np.testing.assert_array_equal(a.history["g_loss"], b.history["g_loss"])
    assert not np.allclose(a.sample(z=z), c.sample(z=z))


def test_a_short_run_keeps_losses_finite_and_changes_the_samples():
    g = gan()
    z = g.latent(100, seed=5)
    real = g.real(100, seed=6)
    before = g.sample(z=z)
    history = g.train(100)
    after = g.sample(z=z)
    assert len(history["d_loss"]) == len(history["g_loss"]) == 100 == g.steps_done
    assert np.all(np.isfinite(history["d_loss"])) and np.all(np.isfinite(history["g_loss"]))
    assert np.abs(after - before).max() > 0.1, "training did not change the samples"
    p_real, p_fake = g.discriminate(real), g.discriminate(after)
    assert p_real.shape == p_fake.shape == (100,) and np.all((p_real > 0) & (p_real < 1))


# ------------------------------------------------------------------------------------------ latent arithmetic
def test_lerp_and_slerp_start_at_a_and_end_at_b():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
    for f in (lerp, slerp):
        ends = f(a, b, [0.0, 1.0])
        np.testing.assert_allclose(ends[0], a, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ends[1], b, rtol=1e-5, atol=1e-6)
        assert f(a, b, 0.5).shape == (16,) and f(a, b, 0.5).dtype == np.float32
    np.testing.assert_allclose(lerp(a, b, 0.25), 0.75 * a + 0.25 * b, rtol=1e-6)


def test_slerp_follows_the_circle_and_keeps_the_norm():
    a, b = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    np.testing.assert_allclose(slerp(a, b, 0.5), [np.sqrt(2), np.sqrt(2)])
    np.testing.assert_allclose(np.linalg.norm(lerp(a, b, 0.5)), np.sqrt(2))  # lerp cuts inside the circle
    c = np.array([0.0, 4.0])
    np.testing.assert_allclose(np.linalg.norm(slerp(a, c, np.linspace(0, 1, 5)), axis=1), [2, 2.5, 3, 3.5, 4])
    # parallel or zero vectors: no unique circle, the straight line
    np.testing.assert_allclose(slerp(a, 3 * a, 0.5), 2 * a)
    np.testing.assert_allclose(slerp(np.zeros(2), a, 0.5), a / 2)
    np.testing.assert_allclose(slerp(a, -a, 0.25), 0.5 * a)


def test_interpolate_makes_a_strip_with_both_ends():
    a, b = np.ones(4), [-1.0, -1.0, -1.0, 2.0]
    strip = interpolate(a, b, 7)
    assert strip.shape == (7, 4)
    np.testing.assert_allclose(strip[[0, -1]], [a, b], atol=1e-12)
    np.testing.assert_allclose(interpolate(a, b, 3, "lerp")[1], (a + np.asarray(b)) / 2)


def test_arithmetic_is_a_minus_b_plus_c_with_means_of_several():
    a, b, c = np.array([1.0, 2.0]), np.array([0.5, 0.5]), np.array([0.0, 3.0])
    np.testing.assert_allclose(arithmetic(a, b, c), [0.5, 4.5])
    many = np.array([[1.0, 0.0], [3.0, 2.0]])  # their mean is [2, 1]
    np.testing.assert_allclose(arithmetic(many, b, c), [1.5, 3.5])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: lerp(np.ones(3), np.ones(4), 0.5), "differ in size"),
        (lambda: slerp(np.ones((2, 3)), np.ones(3), 0.5), "1-D numeric latent vector"),
        (lambda: slerp(np.array([1.0, np.nan]), np.ones(2), 0.5), "NaN or inf"),
        (lambda: lerp(np.ones(2), np.ones(2), np.nan), "finite"),
        (lambda: interpolate(np.ones(2), np.ones(2), 1), "n >= 2"),
        (lambda: interpolate(np.ones(2), np.ones(2), 5, "cubic"), "unknown interpolation mode 'cubic'"),
        (lambda: arithmetic(np.ones(2), np.ones(3), np.ones(2)), "differ in size"),
        (lambda: arithmetic(np.empty((0, 2)), np.ones(2), np.ones(2)), "a holds no latent vectors"),
        (lambda: arithmetic("z", np.ones(2), np.ones(2)), "1-D numeric"),
    ],
)
def test_bad_latents_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------------------- the page's and view's run
def test_the_run_decodes_fixed_codes_and_the_picks():
    from neuralviz.app.gan_images.run import GRID, REAL, STRIP, GanImagesRun

    run = GanImagesRun(PRESET, seed=0)
    first = run.frame()
    assert first.samples.shape == (GRID, 8, 8) and first.real.shape == (REAL, 8, 8)
    run.advance(5)
    frame = run.frame()
    assert frame.step == 5 and len(frame.steps) == len(frame.d_loss) == len(frame.g_loss) == 5
    assert not np.allclose(frame.samples, first.samples)  # the same codes, a new generator
    np.testing.assert_array_equal(frame.real, first.real)
    assert 0 < frame.d_real < 1 and 0 < frame.d_fake < 1
    a, b, c = frame.picks
    assert frame.strip.shape == (STRIP, 8, 8)
    np.testing.assert_allclose(frame.strip[0], frame.samples[a], atol=1e-5)  # the strip's ends are a and b
    np.testing.assert_allclose(frame.strip[-1], frame.samples[b], atol=1e-5)
    z = run.fixed_z
    expected = run.gan.sample(z=(z[a] - z[b] + z[c])[None])[0, 0]
    np.testing.assert_allclose(frame.total[0], expected, atol=1e-5)
    # the frame holds copies: training on does not change what the GUI is drawing
    held = frame.samples.copy()
    run.advance(2)
    np.testing.assert_array_equal(frame.samples, held)


def test_new_codes_and_the_walk_mode():
    from neuralviz.app.gan_images.run import GanImagesRun

    run, twin = GanImagesRun(PRESET, seed=2), GanImagesRun(PRESET, seed=2)
    first = run.fixed_z.copy()
    np.testing.assert_array_equal(first, twin.fixed_z)  # the grid's codes follow the seed
    run.new_codes()
    assert not np.allclose(run.fixed_z, first)
    twin.new_codes()
    np.testing.assert_array_equal(run.fixed_z, twin.fixed_z)  # ... and the number of draws
    slerped = run.frame().strip
    run.set_walk("lerp")
    frame = run.frame()
    assert frame.walk == "lerp" and not np.allclose(frame.strip[1:-1], slerped[1:-1])
    np.testing.assert_allclose(frame.strip[[0, -1]], slerped[[0, -1]], atol=1e-5)  # the same ends
    with pytest.raises(ValueError, match="unknown interpolation 'cubic'"):
        run.set_walk("cubic")


def test_picking_tiles_and_bad_picks():
    from neuralviz.app.gan_images.run import GanImagesRun

    run = GanImagesRun(PRESET, seed=1)
    run.pick(40, 0)
    run.pick(41, 1)
    assert run.picks[:2] == (40, 41)
    with pytest.raises(ValueError, match="tile must be in"):
        run.pick(64, 0)
    with pytest.raises(ValueError, match="pick slot"):
        run.pick(3, 3)
    with pytest.raises(ValueError, match="GAN preset"):
        GanImagesRun("digits-cnn")  # not a GAN preset


def test_the_lecture_scene_shows_this_preset():
    from neuralviz.lecture.scene import load_scenes

    (scene,) = [s for s in load_scenes() if s.name == "gan-images"]
    assert scene.topic == 13 and scene.view == "gan_images" and scene.preset_name == PRESET
    assert 0 < scene.stop.steps <= 20_000
